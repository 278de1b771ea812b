// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace report --html on a hand-built trace (one 4096-page zone, slab call
 * sites with symbols, a GFP_KERNEL kmalloc under a spinlock, vmalloc areas):
 * the page embeds the numbers `report -j`, `lint -j`, `vmalloc -j` and
 * `replay -j` print, escapes whatever could end its scripts, is written 0600,
 * refers to nothing outside itself and needs Chart.js; and in Debian's
 * chromium, headless, it draws its tables and charts without one console
 * message, showing the same numbers.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "../build.h"
#include "../test.h"
#include "../json.h"
#include "event.h"
#include "gfp.h"
#include "sysinfo.h"
#include "trace.h"

/* Linux 6.12's GFP bits (include/linux/gfp_types.h) */
#define G_IO		0x40u
#define G_FS		0x80u
#define G_DIRECT	0x400u
#define G_KSWAPD	0x800u
#define GFP_KERNEL	(G_DIRECT | G_KSWAPD | G_IO | G_FS)

#define C_PROC		(KMT_CTX_PC_KNOWN | KMT_CTX_RCU_KNOWN)
#define C_SPIN		(C_PROC | 1u)		/* spin_lock(): preemption depth 1 */

#define S_BIG		0xffffffff81a00010ull	/* big_alloc+0x10 */
#define S_SMALL		0xffffffff81b00020ull	/* small_alloc+0x20 */
#define S_LOCKED	0xffffffff81c00030ull	/* locked_alloc+0x30: the lint error */
#define S_CACHE		0xffffffff81d00040ull	/* cache_user+0x40 */
#define S_VM_RANGE	0xffffffff81400100ull	/* __vmalloc_node_range_noprof+0x100 */
#define S_VM_USER	0xffffffff81e00050ull	/* vm_user+0x50 */
#define CACHE		0xffff888100300000ull
#define OBJ		0xffff888200000000ull
#define VS		0xffffc90000000000ull
#define VE		(VS + 0x1fffffffffffull)
#define T0		1000000000ull		/* the first event, ns */
#define STEP		8000000ull		/* 8 ms between rounds */
#define ROUNDS		120
#define WEIRD_COMM	"</script><b>&"		/* a task may name itself anything */

static const struct kmt_gfp_entry gfp_table[] = {
	{ GFP_KERNEL, KMT_GFP_COMPOSITE, "GFP_KERNEL" },
	{ G_IO, KMT_GFP_BIT, "__GFP_IO" },
	{ G_FS, KMT_GFP_BIT, "__GFP_FS" },
	{ G_DIRECT, KMT_GFP_BIT, "__GFP_DIRECT_RECLAIM" },
	{ G_KSWAPD, KMT_GFP_BIT, "__GFP_KSWAPD_RECLAIM" },
};

struct evs {
	struct kmt_event e[2048];
	int n;
};

static struct kmt_event *add(struct evs *v, __u64 ts, int type)
{
	struct kmt_event *e = &v->e[v->n++];

	*e = tb_event(type, ts, 7);
	e->ctx = C_PROC;
	return e;
}

static void page(struct evs *v, __u64 ts, int type, __u64 pfn)
{
	struct kmt_event *e = add(v, ts, type);

	*e = tb_page(*e, pfn, 0, 1);
	e->gfp = type == KMT_EV_PAGE_ALLOC ? GFP_KERNEL : 0;
}

static void slab(struct evs *v, __u64 ts, int type, __u64 ptr, __u64 cs, __u64 req, __u64 alloc)
{
	struct kmt_event *e = add(v, ts, type);

	*e = tb_slab(*e, ptr, cs, req, alloc);
	e->gfp = req ? GFP_KERNEL : 0;
	e->aux = type == KMT_EV_CACHE_ALLOC || type == KMT_EV_CACHE_FREE ? CACHE : 0;
}

static void vmap(struct evs *v, __u64 ts, int type, __u64 addr, __u64 size)
{
	struct kmt_event *e = add(v, ts, type);

	e->ptr = addr;
	e->size = size;
	if (type == KMT_EV_VMAP_ALLOC) {
		e->size2 = 4096;
		e->aux = VS;
		e->aux2 = VE;
		e->stack_id = 1;
	} else if (type == KMT_EV_VMAP_FREE) {
		e->size2 = 32768;
	} else {
		e->aux = addr + 0x10000;
	}
}

/*
 * Every 8 ms for 120 rounds: an order-0 page taken off the buddy (pfn 33 i) and
 * allocated, from round 60 on the page of round i - 60 freed and drained back;
 * a 1000-byte kmalloc at big_alloc, freed ten rounds later; a 40-byte one at
 * small_alloc every other round; a kmem_cache_alloc at cache_user every third.
 * Round 50: GFP_KERNEL under a spinlock at locked_alloc (task WEIRD_COMM); rounds
 * 20 and 21: two vmap areas of vm_user, the first freed at 40 and purged at 41.
 */
static void events(struct evs *v)
{
	for (__u64 i = 0; i < ROUNDS; i++) {
		__u64 t = T0 + i * STEP;

		page(v, t, KMT_EV_PAGE_ALLOC_ZONE_LOCKED, i * 33);
		page(v, t + 1000, KMT_EV_PAGE_ALLOC, i * 33);
		if (i >= 60) {
			page(v, t + 2000, KMT_EV_PAGE_FREE, (i - 60) * 33);
			page(v, t + 3000, KMT_EV_PAGE_PCPU_DRAIN, (i - 60) * 33);
		}
		slab(v, t + 4000, KMT_EV_KMALLOC, OBJ + i * 0x1000, S_BIG, 1000, 1024);
		if (i >= 10)
			slab(v, t + 5000, KMT_EV_KFREE, OBJ + (i - 10) * 0x1000, S_BIG, 0, 0);
		if (i % 2 == 0)
			slab(v, t + 6000, KMT_EV_KMALLOC, OBJ + 0x100000 + i * 64, S_SMALL, 40, 64);
		if (i % 3 == 0)
			slab(v, t + 7000, KMT_EV_CACHE_ALLOC, OBJ + 0x200000 + i * 192, S_CACHE,
			     180, 192);
		if (i == 50) {
			slab(v, t + 8000, KMT_EV_KMALLOC, OBJ + 0x300000, S_LOCKED, 64, 64);
			v->e[v->n - 1].ctx = C_SPIN;
			v->e[v->n - 1].tgid = v->e[v->n - 1].tid = 9;
		}
		if (i == 20 || i == 21)
			vmap(v, t + 9000, KMT_EV_VMAP_ALLOC, VS + 0x100000 + (i - 20) * 0x4000,
			     8192);
		if (i == 40)
			vmap(v, t + 9000, KMT_EV_VMAP_FREE, VS + 0x100000, 2);
		if (i == 41)
			vmap(v, t + 9000, KMT_EV_VMAP_PURGE, VS + 0x100000, 1);
	}
}

static void add_sym(struct trace_writer *w, __u64 addr, __u64 off, const char *name)
{
	struct kmt_sym s = { .addr = addr, .offset = off };

	snprintf(s.name, sizeof(s.name), "%s", name);
	trace_writer__add_sym(w, &s);
}

static void add_defs(struct trace_writer *w)
{
	struct kmt_cache_def c = { .cache = CACHE, .object_size = 192, .size = 192, .order = 0,
				   .objects = 21, .name = "test_cache" };
	struct kmt_task t7 = { .tgid = 7, .tid = 7, .comm = "worker" };
	struct kmt_task t9 = { .tgid = 9, .tid = 9, .comm = WEIRD_COMM };
	struct kmt_stack st = { .id = 1, .nr = 2, .ips = { S_VM_RANGE, S_VM_USER } };

	add_sym(w, S_BIG, 0x10, "big_alloc");
	add_sym(w, S_SMALL, 0x20, "small_alloc");
	add_sym(w, S_LOCKED, 0x30, "locked_alloc");
	add_sym(w, S_CACHE, 0x40, "cache_user");
	add_sym(w, S_VM_RANGE, 0x100, "__vmalloc_node_range_noprof");
	add_sym(w, S_VM_USER, 0x50, "vm_user");
	trace_writer__add_cache(w, &c);
	trace_writer__add_task(w, &t7);
	trace_writer__add_task(w, &t9);
	trace_writer__add_stack(w, &st);
}

static int write_trace(const char *path)
{
	struct evs *v = calloc(1, sizeof(*v));
	struct trace_writer *w;
	int err;

	if (!v)
		return -1;
	w = tb_writer(path, 0, 0);
	if (!w) {
		free(v);
		return -1;
	}
	/* the zone [0, 4096), all free at the start: four order-10 blocks */
	tb_meta_one_zone(w, 4096);
	tb_meta_snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_BUDDYINFO,
			 "Node 0, zone   Normal      0      0      0      0      0"
			 "      0      0      0      0      0      4 \n");
	tb_meta_u32(w, KMT_META_STACKS, 1);
	trace_writer__meta_add(w, KMT_META_GFP_TABLE, gfp_table, sizeof(gfp_table));
	trace_writer__meta_flush(w);
	add_defs(w);
	events(v);
	err = tb_finish(w, v->e, v->n);
	free(v);
	return err;
}

/* ---- running things ---- */

static char *slurp(const char *path)
{
	char *text = NULL;

	if (sysinfo__read_file(path, &text, NULL))
		return NULL;
	return text;
}

/* sh -c CMD; its exit status, -1 if it did not exit */
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `kmmtrace ARGS TRACE` -j, parsed; NULL on failure */
static struct json *kmt_json(const char *dir, const char *args, const char *trace)
{
	char out[600], *text;
	struct json *j;

	snprintf(out, sizeof(out), "%s/out.json", dir);
	if (sh("%s %s %s > %s 2>/dev/null", kmt_test__binary(), args, trace, out) > 1)
		return NULL;
	text = slurp(out);
	j = text ? json_parse(text, NULL) : NULL;
	free(text);
	return j;
}

#define NUM(obj, key) ((long long)json_num(json_get((obj), (key)), -1))

/* The page's embedded data object, parsed. */
static struct json *page_data(const char *html)
{
	static const char open[] = "<script type=\"application/json\" id=\"kmt-data\">";
	const char *p = strstr(html, open), *e;
	struct json *j;
	char *text;

	if (!p || !(e = strstr(p, "</script>")))
		return NULL;
	p += sizeof(open) - 1;
	text = strndup(p, e - p);
	j = text ? json_parse(text, NULL) : NULL;
	free(text);
	return j;
}

static size_t count_ci(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strcasestr(p, needle)); p++)
		n++;
	return n;
}

/* Writes the trace and, with chartjs (NULL: the installed one), the page; its exit status. */
static int make_page(const char *dir, const char *chartjs, char *trace, char *html, size_t len)
{
	snprintf(trace, len, "%s/t.kmt", dir);
	snprintf(html, len, "%s/t.html", dir);
	if (write_trace(trace))
		return -1;
	if (chartjs)
		return sh("KMMTRACE_CHARTJS='%s' %s report --html %s %s 2>%s/stderr", chartjs,
			  kmt_test__binary(), html, trace, dir);
	return sh("env -u KMMTRACE_CHARTJS %s report --html %s %s 2>%s/stderr",
		  kmt_test__binary(), html, trace, dir);
}

/* ---- the file ---- */

static const char stub_chartjs[] =
	"/* a stand-in for Chart.js */ window.Chart = function () {};\n"
	"var tricky = \"</SCRIPT><!-- \";\n";

static void check_report_numbers(const struct json *d, const struct json *rj)
{
	const struct json *r = json_get(d, "report");
	const struct json *g = json_at(json_get(r, "groups"), 0);
	const struct json *rg = json_at(json_get(rj, "slab_groups"), 0);

	ASSERT_EQ(NUM(json_get(r, "slab"), "nr_allocs"), NUM(json_get(rj, "slab"), "nr_allocs"));
	ASSERT_EQ(NUM(json_get(r, "slab"), "nr_allocs"), ROUNDS + ROUNDS / 2 + ROUNDS / 3 + 1);
	ASSERT_EQ(NUM(json_get(r, "slab"), "bytes_allocated"),
		  NUM(json_get(rj, "slab"), "bytes_allocated"));
	ASSERT_EQ(NUM(json_get(r, "page"), "nr_allocs"), NUM(json_get(rj, "page"), "nr_allocs"));
	ASSERT_EQ(NUM(json_get(r, "page"), "nr_allocs"), ROUNDS);
	ASSERT_EQ(json_len(json_get(r, "groups")), json_len(json_get(rj, "slab_groups")));
	ASSERT_STREQ(json_str(json_get(g, "key")), "big_alloc+0x10");
	ASSERT_STREQ(json_str(json_get(g, "key")), json_str(json_get(rg, "key")));
	ASSERT_EQ(NUM(g, "bytes_alloc"), NUM(rg, "bytes_alloc"));
	ASSERT_EQ(NUM(g, "bytes_alloc"), ROUNDS * 1024);
}

static void check_replay(const struct json *d, const struct json *pj)
{
	const struct json *z = json_at(json_get(json_get(d, "replay"), "zones"), 0);
	const struct json *pz = json_at(json_get(pj, "zones"), 0);
	const struct json *s = json_get(z, "series"), *nr = json_get(s, "nr_free");
	size_t n = json_len(json_get(s, "t"));

	ASSERT_STREQ(json_str(json_get(json_get(d, "replay"), "error")), "");
	ASSERT_EQ(json_len(json_get(json_get(d, "replay"), "zones")), 1);
	ASSERT_STREQ(json_str(json_get(z, "zone")), "Normal");
	ASSERT_GE(n, 50);		/* 0.95 s in 5 ms steps */
	ASSERT_LE(n, 200);
	ASSERT_EQ(json_len(nr), 11);
	ASSERT_EQ(json_len(json_at(nr, 10)), n);
	ASSERT_EQ(json_len(json_get(s, "fragmentation_index_thp")), n);
	for (size_t o = 0; o < 11; o++) {
		long long end = json_num(json_at(json_get(json_get(z, "end"), "nr_free"), o), -1);

		ASSERT_EQ(end, json_num(json_at(json_get(json_get(pz, "end"), "nr_free"), o), -2));
		ASSERT_EQ(end, json_num(json_at(json_at(nr, o), n - 1), -2));
	}
	/* four order-10 blocks at the start; 60 pages still allocated at the end */
	ASSERT_EQ(json_num(json_at(json_at(nr, 10), 0), -1), 3);
	ASSERT_EQ(NUM(json_get(z, "end"), "free_pages"), 4096 - 60);
}

static void check_lint_vmalloc(const struct json *d, const struct json *lj, const struct json *vj)
{
	const struct json *l = json_get(d, "lint"), *v = json_get(d, "vmalloc");
	const struct json *f = json_at(json_get(l, "findings"), 0);

	ASSERT_EQ(NUM(json_get(l, "summary"), "error"), NUM(json_get(lj, "summary"), "error"));
	ASSERT_EQ(NUM(json_get(l, "summary"), "error"), 1);
	ASSERT_EQ(NUM(json_get(l, "summary"), "info"), NUM(json_get(lj, "summary"), "info"));
	ASSERT_EQ(json_len(json_get(l, "findings")), json_len(json_get(lj, "findings")));
	ASSERT_STREQ(json_str(json_get(f, "rule")), "sleep-in-atomic");
	ASSERT_STREQ(json_str(json_get(f, "site")), "locked_alloc+0x30");
	ASSERT_STREQ(json_str(json_get(f, "context")), "preempt-off pd=1");
	ASSERT_STREQ(json_str(json_get(f, "gfp")), "GFP_KERNEL");
	ASSERT_TRUE(json_get(v, "available") && json_get(v, "available")->num == 1);
	ASSERT_EQ(NUM(v, "allocs"), NUM(vj, "allocs"));
	ASSERT_EQ(NUM(v, "allocs"), 2);
	ASSERT_EQ(NUM(v, "purges"), NUM(vj, "purges"));
	ASSERT_STREQ(json_str(json_get(json_at(json_get(v, "sites"), 0), "site")), "vm_user");
	ASSERT_STREQ(json_str(json_get(json_at(json_get(vj, "sites"), 0), "site")), "vm_user");
}

/* The static page: the key numbers, HTML-escaped; the scripts unbreakable. */
static void check_static(const char *html)
{
	ASSERT_CONTAINS(html, "id=\"total-slab-allocs\">221<");
	ASSERT_CONTAINS(html, "id=\"total-page-allocs\">120<");
	ASSERT_CONTAINS(html, "id=\"lint-errors\">1<");
	ASSERT_CONTAINS(html, "<td class=\"c-key\">big_alloc+0x10</td>"
			"<td class=\"c-allocs num\">120</td>");
	ASSERT_CONTAINS(html, "<td class=\"c-bytes_alloc num\">122,880</td>");
	ASSERT_CONTAINS(html, "<td class=\"c-rule\">sleep-in-atomic</td>");
	ASSERT_CONTAINS(html, "<td class=\"c-site\">vm_user</td>");
	/* the task's name: text in the tables, \u escapes in the data, never markup */
	ASSERT_CONTAINS(html, "&lt;/script&gt;&lt;b&gt;&amp;");
	ASSERT_CONTAINS(html, "\\u003c/script\\u003e\\u003cb\\u003e\\u0026");
	ASSERT_FALSE(strstr(html, WEIRD_COMM));
	/* the library's own "</SCRIPT><!--" */
	ASSERT_CONTAINS(html, "<\\/SCRIPT><\\!-- ");
	ASSERT_EQ(count_ci(html, "</script"), 3);	/* data, library, page script */
	ASSERT_EQ(count_ci(html, "<!--"), 0);
	/* nothing from anywhere else */
	ASSERT_CONTAINS(html, "Content-Security-Policy\" content=\"default-src 'none';");
	ASSERT_FALSE(strstr(html, "http:"));
	ASSERT_FALSE(strstr(html, "https:"));
	ASSERT_FALSE(strstr(html, "<link"));
	ASSERT_FALSE(strstr(html, "<script src"));
	ASSERT_CONTAINS(html, "<canvas id=\"chart-frag\">");
	ASSERT_CONTAINS(html, "<canvas id=\"chart-callsites\">");
}

TEST(html_page_data_and_escapes)
{
	const char *dir = kmt_test__tmpdir();
	char trace[512], html[512], stub[512], *text;
	struct json *d, *rj, *lj, *vj, *pj;
	struct stat st;
	FILE *f;

	snprintf(stub, sizeof(stub), "%s/stub.js", dir);
	f = fopen(stub, "w");
	ASSERT_TRUE(f != NULL);
	fputs(stub_chartjs, f);
	fclose(f);
	ASSERT_EQ(make_page(dir, stub, trace, html, sizeof(trace)), 0);
	ASSERT_EQ(stat(html, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	text = slurp(html);
	ASSERT_TRUE(text != NULL);
	check_static(text);
	d = page_data(text);
	free(text);
	rj = kmt_json(dir, "report -j", trace);
	lj = kmt_json(dir, "lint -j", trace);
	vj = kmt_json(dir, "vmalloc -j", trace);
	pj = kmt_json(dir, "replay -j -i 0", trace);
	if (d && rj && lj && vj && pj) {
		ASSERT_STREQ(json_str(json_get(d, "file")), trace);
		check_report_numbers(d, rj);
		check_replay(d, pj);
		check_lint_vmalloc(d, lj, vj);
	}
	ASSERT_TRUE(d && rj && lj && vj && pj);
	json_free(d);
	json_free(rj);
	json_free(lj);
	json_free(vj);
	json_free(pj);
}

TEST(html_needs_chartjs)
{
	const char *dir = kmt_test__tmpdir();
	char trace[512], html[512], path[600], *err;
	FILE *f;

	/* no library: exit 2, a reason that says what to install, no file */
	ASSERT_EQ(make_page(dir, "/nonexistent/chart.min.js", trace, html, sizeof(trace)), 2);
	ASSERT_TRUE(access(html, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	err = slurp(path);
	ASSERT_CONTAINS(err, "install libjs-chart.js, or set KMMTRACE_CHARTJS");
	free(err);
	/* an output that cannot be written: 1 */
	snprintf(path, sizeof(path), "%s/stub.js", dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs(stub_chartjs, f);
	fclose(f);
	ASSERT_EQ(sh("KMMTRACE_CHARTJS=%s %s report --html %s/no/such/dir/x.html %s 2>/dev/null",
		     path, kmt_test__binary(), dir, trace), 1);
}

/* ---- in a browser ---- */

/* Lines of chromium's stderr that come from a page's console or its errors. */
static int console_lines(const char *err, bool print)
{
	int n = 0;

	for (const char *p = err; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		int len = strchrnul(p, '\n') - p;

		if (!memmem(p, len, ":CONSOLE", 8) && !memmem(p, len, "Uncaught", 8) &&
		    !memmem(p, len, "file://", 7))
			continue;
		if (print)
			fprintf(stdout, "    page: %.*s\n", len, p);
		n++;
	}
	return n;
}

/* Dumps the DOM of file dir/name after its scripts ran; chromium's exit status. */
static int chromium(const char *dir, const char *name)
{
	return sh("cd %s && timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu "
		  "--disable-dev-shm-usage --no-first-run --user-data-dir=%s/profile "
		  "--enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "
		  "file://%s/%s > %s.dom 2> %s.err", dir, dir, dir, name, name, name);
}

/* The digits of the text after the tag that starts with needle, as a number; -1: none. */
static long long number_after(const char *html, const char *needle)
{
	const char *p = html ? strstr(html, needle) : NULL;
	long long v = -1;

	p = p ? strchr(p, '>') : NULL;
	for (p = p ? p + 1 : NULL; p && *p && *p != '<'; p++)
		if (isdigit((unsigned char)*p))
			v = (v < 0 ? 0 : v * 10) + (*p - '0');
	return v;
}

static long long id_number(const char *dom, const char *id)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "id=\"%s\"", id);
	return number_after(dom, needle);
}

/* The body of the table with id (the script's), malloc'ed; NULL when absent. */
static char *table_body(const char *dom, const char *id)
{
	char needle[128];
	const char *p, *e;

	snprintf(needle, sizeof(needle), "<table class=\"data\" id=\"%s\">", id);
	p = strstr(dom, needle);
	p = p ? strstr(p, "<tbody>") : NULL;
	e = p ? strstr(p, "</tbody>") : NULL;
	return e ? strndup(p, e - p) : NULL;
}

static void check_dom(const char *dom, const struct json *rj, const struct json *lj)
{
	char *calls = table_body(dom, "callsites"), *lint = table_body(dom, "lint");
	char *vm = table_body(dom, "vmalloc"), *orders = table_body(dom, "orders");
	static const char *const canvases[] = { "chart-frag", "chart-index", "chart-orders",
						"chart-callsites" };

	ASSERT_CONTAINS(dom, "data-kmt-status=\"ok\"");
	ASSERT_CONTAINS(dom, "data-kmt-charts=\"4\"");
	for (size_t i = 0; i < sizeof(canvases) / sizeof(canvases[0]); i++) {
		char needle[64];
		const char *c, *e;

		snprintf(needle, sizeof(needle), "<canvas id=\"%s\"", canvases[i]);
		c = strstr(dom, needle);
		e = c ? strchr(c, '>') : NULL;
		if (!e || !memmem(c, e - c, " width=\"", 8))	/* sized by Chart.js */
			FAIL("%s was not drawn", canvases[i]);
	}
	ASSERT_TRUE(calls && lint && vm && orders);
	ASSERT_EQ(count_ci(calls, "<tr"), json_len(json_get(rj, "slab_groups")));
	ASSERT_EQ(number_after(calls, "<td class=\"c-bytes_alloc num\""),
		  NUM(json_at(json_get(rj, "slab_groups"), 0), "bytes_alloc"));
	ASSERT_EQ(count_ci(orders, "<tr"), 11);
	ASSERT_EQ(number_after(vm, "<td class=\"c-areas num\""), 2);
	ASSERT_EQ(id_number(dom, "total-slab-allocs"), NUM(json_get(rj, "slab"), "nr_allocs"));
	ASSERT_EQ(id_number(dom, "total-page-allocs"), NUM(json_get(rj, "page"), "nr_allocs"));
	ASSERT_EQ(id_number(dom, "lint-errors"), NUM(json_get(lj, "summary"), "error"));
	ASSERT_EQ(count_ci(lint, "<tr"), json_len(json_get(lj, "findings")));
	ASSERT_EQ(count_ci(lint, "sev-error"), NUM(json_get(lj, "summary"), "error"));
	ASSERT_CONTAINS(lint, "&lt;/script&gt;&lt;b&gt;&amp; (9)");
	free(calls);
	free(lint);
	free(vm);
	free(orders);
}

TEST(html_renders_in_chromium)
{
	const char *dir = kmt_test__tmpdir();
	char trace[512], html[512], path[600], *dom, *err, *cut;
	struct json *rj, *lj;
	FILE *f;
	int st;

	if (sh("command -v chromium >/dev/null 2>&1")) {
		if (getenv("CI"))
			FAIL("chromium is not installed (apt-get install chromium) and CI is set");
		SKIP("chromium is not installed (apt-get install chromium)");
	}
	st = make_page(dir, NULL, trace, html, sizeof(trace));
	if (st == 2) {
		if (getenv("CI"))
			FAIL("Chart.js is not installed (apt-get install libjs-chart.js) and CI "
			     "is set");
		SKIP("Chart.js is not installed (apt-get install libjs-chart.js)");
	}
	ASSERT_EQ(st, 0);
	/* a page that logs: this chromium's console lines are recognised */
	snprintf(path, sizeof(path), "%s/control.html", dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs("<!DOCTYPE html><title>c</title><script>console.error('kmt-control')</script>", f);
	fclose(f);
	ASSERT_EQ(chromium(dir, "control.html"), 0);
	snprintf(path, sizeof(path), "%s/control.html.err", dir);
	err = slurp(path);
	ASSERT_CONTAINS(err, "kmt-control");
	ASSERT_GE(console_lines(err, false), 1);
	free(err);

	ASSERT_EQ(chromium(dir, "t.html"), 0);
	snprintf(path, sizeof(path), "%s/t.html.err", dir);
	err = slurp(path);
	ASSERT_TRUE(err != NULL);
	st = console_lines(err, true);
	free(err);
	ASSERT_EQ(st, 0);
	snprintf(path, sizeof(path), "%s/t.html.dom", dir);
	dom = slurp(path);
	ASSERT_TRUE(dom != NULL);
	cut = strstr(dom, "<script");	/* what the scripts made, not their text */
	if (cut)
		*cut = 0;
	rj = kmt_json(dir, "report -j", trace);
	lj = kmt_json(dir, "lint -j", trace);
	if (rj && lj)
		check_dom(dom, rj, lj);
	ASSERT_TRUE(rj && lj);
	free(dom);
	json_free(rj);
	json_free(lj);
}
