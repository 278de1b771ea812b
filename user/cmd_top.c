// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace top: a live, refreshing view of kernel memory allocations, like
 * slabtop or bpftop. Every interval: the call sites and the caches allocating
 * most, page allocations and frees by order, the context split of allocations
 * with GFP may-reclaim vs not, and the events lost so far. Plain ANSI escape
 * sequences and termios (no curses), so it works over ssh; -b prints screens
 * as text (or JSON lines with -j) for scripts.
 *
 * Frees are attributed to the call site and cache that allocated the object
 * when top saw that allocation (a pointer -> row table, up to TOP_MAX_TRACKED
 * objects); kmem_cache_free of an older object still counts for its cache.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include "collector.h"
#include "commands.h"
#include "context.h"
#include "defs.h"
#include "frames.h"
#include "gfp.h"
#include "hash.h"
#include "jsonout.h"
#include "sysinfo.h"

#define TOP_MAX_ORDERS		16
#define TOP_MAX_TRACKED		(1u << 20)	/* live objects whose allocation top remembers */
#define TOP_JSON_ROWS		20		/* rows per table with -j, unless -n */
#define TOP_RINGBUF_BYTES	(16ull << 20)
#define TOP_POLL_MS		50		/* longest wait for events before keys are read */
#define ZERO_OR_NULL(p)		((p) <= 16)	/* NULL and ZERO_SIZE_PTR: kfree(NULL) traces too */

enum top_sort { SORT_ALLOCS, SORT_BYTES, SORT_FREES, SORT_LIVE, SORT_NR };

static const char *const sort_names[SORT_NR] = { "allocs", "bytes", "frees", "live" };

struct top_counts {
	__u64 allocs;
	__u64 bytes;		/* bytes_alloc */
	__u64 frees;
};

/* u64 -> row index (call sites, caches), open addressing */
struct idmap_slot {
	__u64 key;
	__u32 val;
	__u32 used;
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap, len;	/* cap: power of two */
};

/* A live object allocated while top runs: which rows its free counts for. */
struct top_obj {
	__u64 ptr;		/* 0: empty slot */
	__u32 site;
	__u32 cache;
};

struct top_objs {
	struct top_obj *slots;
	size_t cap, len;
	__u64 untracked;	/* allocations not remembered: the table was full */
};

/* What one interval counted. */
struct top_interval {
	struct top_counts *sites;	/* by site row */
	struct top_counts *caches;	/* by cache row */
	size_t nr_sites, nr_caches;	/* rows when the interval ended */
	struct top_counts slab;
	__u64 older_frees;		/* slab frees of objects top did not see allocated */
	__u64 page_allocs[TOP_MAX_ORDERS];
	__u64 page_frees[TOP_MAX_ORDERS];
	__u64 page_failed;
	__u64 ctx[CTX_NR_CLASSES][2];	/* allocations by context class; [1]: may reclaim */
	__u64 events;
	double seconds;
	double elapsed;			/* since top started, at the end of the interval */
};

struct top {
	/* options */
	double delay;
	enum top_sort sort;
	int lines;			/* -n; 0: fit the terminal */
	bool batch, json;
	long iterations;
	struct collector_opts copts;
	/* this machine */
	char kernel[65];
	int cpus, nr_orders;
	__u32 reclaim;			/* __GFP_DIRECT_RECLAIM; 0 when unknown */
	bool vmemmap_known;		/* a failed page allocation is told apart */
	/* rows: call sites and caches, kept for the whole run */
	struct kmt_defs *defs;
	struct idmap site_ids, cache_ids, cache_names;
	__u64 *site_addr;
	char (*cache_name)[KMT_CACHE_NAME_LEN];
	size_t nr_sites, sites_cap, nr_caches, caches_cap;
	struct top_objs objs;
	struct top_interval cur, shown;
	struct collector *col;
	/* totals */
	__u64 events, drops, recursion;
	long screens;
	/* screen */
	bool caches_main, paused;
	int cols, rows, lines_out;
};

static const char top_usage[] =
	"usage: kmmtrace top [OPTIONS]\n"
	"\n"
	"A live, refreshing view of kernel memory allocations, like slabtop: per\n"
	"interval, the call sites and caches (kmem_cache names; kmalloc by size class)\n"
	"with allocations/s, bytes/s, frees/s and live (allocations - frees), page\n"
	"allocations and frees by order, the context split of allocations (process, rcu,\n"
	"preempt-off, bh-off, softirq, hardirq, nmi) with GFP may-reclaim vs not, and the\n"
	"events dropped and recursion misses so far. A free counts for the call site and\n"
	"cache that allocated the object when top saw that allocation. Needs root.\n"
	"Keys: s cycles the sort key, c swaps the call-site and cache tables, p pauses,\n"
	"q or Ctrl-C quits.\n"
	"\n"
	"  -d, --delay SECONDS    refresh interval, as top's -d (default 1; not record's\n"
	"                         duration)\n"
	"  -s, --sort KEY         initial sort: allocs (default), bytes, frees, live\n"
	"  -n, --lines N          rows per table (default: what fits the terminal, 80x24\n"
	"                         when not a terminal; 20 with -j)\n"
	"  -p, --pid PID[,PID...] only allocations made by these processes (up to 16)\n"
	"      --cgroup PATH      only tasks in this cgroup v2 directory and below\n"
	"  -b, --batch            no terminal control, no keys: each screen as plain text,\n"
	"                         screens separated by a blank line (as top -b)\n"
	"  -i, --iterations N     exit after N screens (default 0: until q or Ctrl-C)\n"
	"  -j, --json             with -b: one JSON object per screen, one per line\n"
	"  -h, --help             this help\n";

enum { OPT_CGROUP = 256 };

static const struct option top_options[] = {
	{ "delay", required_argument, NULL, 'd' },
	{ "sort", required_argument, NULL, 's' },
	{ "lines", required_argument, NULL, 'n' },
	{ "pid", required_argument, NULL, 'p' },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static volatile sig_atomic_t top_stop, top_resized;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		top_resized = 1;
	else
		top_stop = 1;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- options ---- */

static int parse_pids(struct top *t, const char *arg)
{
	char *dup = strdup(arg), *save = NULL, *tok, *end;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long pid = strtol(tok, &end, 10);

		if (*end || pid <= 0 || t->copts.nr_pids >= KMT_MAX_PIDS) {
			fprintf(stderr, "kmmtrace top: bad --pid '%s' (1 to %d numeric pids)\n",
				tok, KMT_MAX_PIDS);
			free(dup);
			return -EINVAL;
		}
		t->copts.pids[t->copts.nr_pids++] = pid;
	}
	free(dup);
	return 0;
}

static int parse_long(const char *opt, const char *arg, long min, long *out)
{
	char *end;

	*out = strtol(arg, &end, 10);
	if (!*arg || *end || *out < min) {
		fprintf(stderr, "kmmtrace top: bad %s '%s'\n", opt, arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_sort(const char *arg, enum top_sort *out)
{
	for (int i = 0; i < SORT_NR; i++) {
		if (!strcmp(arg, sort_names[i])) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "kmmtrace top: bad sort key '%s' (allocs, bytes, frees, live)\n", arg);
	return -EINVAL;
}

static int parse_opt(struct top *t, int opt, const char *arg)
{
	char *end;
	long v;

	switch (opt) {
	case 'd':
		t->delay = strtod(arg, &end);
		if (!*arg || *end || !(t->delay >= 0.1 && t->delay <= 3600)) {
			fprintf(stderr, "kmmtrace top: bad --delay '%s' (0.1 to 3600 s)\n", arg);
			return -EINVAL;
		}
		return 0;
	case 's': return parse_sort(arg, &t->sort);
	case 'n':
		if (parse_long("--lines", arg, 1, &v))
			return -EINVAL;
		t->lines = v > 10000 ? 10000 : v;
		return 0;
	case 'p': return parse_pids(t, arg);
	case OPT_CGROUP: t->copts.cgroup = arg; return 0;
	case 'b': t->batch = true; return 0;
	case 'i': return parse_long("--iterations", arg, 0, &t->iterations);
	case 'j': t->json = true; return 0;
	case 'h': fputs(top_usage, stdout); return 1;
	default: fputs(top_usage, stderr); return -EINVAL;
	}
}

static int top_parse(struct top *t, int argc, char **argv)
{
	int opt, e;

	t->delay = 1.0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:s:n:p:bi:jh", top_options, NULL)) != -1)
		if ((e = parse_opt(t, opt, optarg)))
			return e;
	if (optind != argc) {
		fputs(top_usage, stderr);
		return -EINVAL;
	}
	if (t->json && !t->batch) {
		fprintf(stderr, "kmmtrace top: -j needs -b\n");
		return -EINVAL;
	}
	t->copts.events = 1ull << KMT_EV_KMALLOC | 1ull << KMT_EV_KFREE |
			  1ull << KMT_EV_CACHE_ALLOC | 1ull << KMT_EV_CACHE_FREE |
			  1ull << KMT_EV_PAGE_ALLOC | 1ull << KMT_EV_PAGE_FREE |
			  1ull << KMT_EV_PAGE_FREE_BATCHED;
	t->copts.ringbuf_bytes = TOP_RINGBUF_BYTES;
	return 0;
}

/* ---- tables ---- */

static int idmap_grow(struct idmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 256, mask = cap - 1;
	struct idmap_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slots[i].used)
			continue;
		for (j = kmt_hash64(m->slots[i].key) & mask; s[j].used; j = (j + 1) & mask)
			;
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return 0;
}

/* The row of key, or -1. */
static long idmap_get(const struct idmap *m, __u64 key)
{
	size_t mask = m->cap - 1;

	if (!m->cap)
		return -1;
	for (size_t i = kmt_hash64(key) & mask; m->slots[i].used; i = (i + 1) & mask)
		if (m->slots[i].key == key)
			return m->slots[i].val;
	return -1;
}

/* Adds key (absent: the caller looked) -> val. */
static int idmap_put(struct idmap *m, __u64 key, __u32 val)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap && idmap_grow(m))
		return -ENOMEM;
	for (i = kmt_hash64(key) & (m->cap - 1); m->slots[i].used; i = (i + 1) & (m->cap - 1))
		;
	m->slots[i] = (struct idmap_slot){ .key = key, .val = val, .used = 1 };
	m->len++;
	return 0;
}

static int objs_grow(struct top_objs *o)
{
	size_t cap = o->cap ? 2 * o->cap : 4096;
	struct top_obj *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < o->cap; i++) {
		size_t j;

		if (!o->slots[i].ptr)
			continue;
		for (j = kmt_hash64(o->slots[i].ptr) & (cap - 1); s[j].ptr; j = (j + 1) & (cap - 1))
			;
		s[j] = o->slots[i];
	}
	free(o->slots);
	o->slots = s;
	o->cap = cap;
	return 0;
}

/* Remembers ptr's rows; when the table is full (or memory is short), counts it untracked. */
static void objs_put(struct top_objs *o, __u64 ptr, __u32 site, __u32 cache)
{
	size_t i, mask;

	if ((o->len + 1) * 2 > o->cap && (o->cap >= 2 * TOP_MAX_TRACKED || objs_grow(o))) {
		o->untracked++;
		return;
	}
	mask = o->cap - 1;
	i = kmt_hash64(ptr) & mask;
	while (o->slots[i].ptr && o->slots[i].ptr != ptr)
		i = (i + 1) & mask;
	if (!o->slots[i].ptr)
		o->len++;
	o->slots[i] = (struct top_obj){ .ptr = ptr, .site = site, .cache = cache };
}

/* Finds and removes ptr (backward-shift deletion keeps every probe chain whole). */
static bool objs_take(struct top_objs *o, __u64 ptr, struct top_obj *out)
{
	size_t mask = o->cap - 1, i, j;

	if (!o->cap)
		return false;
	for (i = kmt_hash64(ptr) & mask; o->slots[i].ptr != ptr; i = (i + 1) & mask)
		if (!o->slots[i].ptr)
			return false;
	*out = o->slots[i];
	for (j = (i + 1) & mask; o->slots[j].ptr; j = (j + 1) & mask) {
		size_t home = kmt_hash64(o->slots[j].ptr) & mask;

		/* j may fill the hole at i when i lies between its home and j */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			o->slots[i] = o->slots[j];
			i = j;
		}
	}
	o->slots[i].ptr = 0;
	o->len--;
	return true;
}

/* Counters of an interval zeroed, with room for every row known so far. */
static int interval_reset(struct top_interval *iv, size_t sites, size_t caches)
{
	struct top_counts *s, *c;

	s = realloc(iv->sites, (sites ? sites : 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	iv->sites = s;
	c = realloc(iv->caches, (caches ? caches : 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	*iv = (struct top_interval){ .sites = s, .caches = c };
	memset(s, 0, sites * sizeof(*s));
	memset(c, 0, caches * sizeof(*c));
	return 0;
}

/* Row arrays grown by doubling; the new part of the interval's counters zeroed. */
static int grow_rows(void **names, size_t name_size, struct top_counts **cnt, size_t *cap)
{
	size_t n = *cap ? 2 * *cap : 256;
	void *p = realloc(*names, n * name_size);
	struct top_counts *c;

	if (!p)
		return -ENOMEM;
	*names = p;
	c = realloc(*cnt, n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c + *cap, 0, (n - *cap) * sizeof(*c));
	*cnt = c;
	*cap = n;
	return 0;
}

static long site_row(struct top *t, __u64 addr)
{
	long id = idmap_get(&t->site_ids, addr);

	if (id >= 0)
		return id;
	if (t->nr_sites == t->sites_cap &&
	    grow_rows((void **)&t->site_addr, sizeof(*t->site_addr), &t->cur.sites, &t->sites_cap))
		return -ENOMEM;
	if (idmap_put(&t->site_ids, addr, t->nr_sites))
		return -ENOMEM;
	t->site_addr[t->nr_sites] = addr;
	return t->nr_sites++;
}

/* "kmalloc-96", "kmalloc-1k": the kernel's names of the kmalloc caches by object size. */
static void kmalloc_name(__u64 bytes, char *buf, size_t len)
{
	if (bytes >= 1024 && !(bytes % 1024))
		snprintf(buf, len, "kmalloc-%lluk", (unsigned long long)bytes / 1024);
	else
		snprintf(buf, len, "kmalloc-%llu", (unsigned long long)bytes);
}

/*
 * The cache row of a kmem_cache pointer (even) or a kmalloc size class (key
 * size << 1 | 1); rows are merged by name, so a cache seen both ways is one row.
 */
static long cache_row(struct top *t, __u64 key)
{
	const struct kmt_cache_def *d;
	char name[KMT_CACHE_NAME_LEN];
	long id = idmap_get(&t->cache_ids, key);

	if (id >= 0)
		return id;
	if (key & 1) {
		kmalloc_name(key >> 1, name, sizeof(name));
	} else {
		d = kmt_defs__cache(t->defs, key);
		if (d && d->name[0])
			snprintf(name, sizeof(name), "%s", d->name);
		else
			snprintf(name, sizeof(name), "0x%llx", (unsigned long long)key);
	}
	id = idmap_get(&t->cache_names, kmt_hash_str(name));
	if (id < 0) {
		if (t->nr_caches == t->caches_cap &&
		    grow_rows((void **)&t->cache_name, sizeof(*t->cache_name), &t->cur.caches,
			      &t->caches_cap))
			return -ENOMEM;
		if (idmap_put(&t->cache_names, kmt_hash_str(name), t->nr_caches))
			return -ENOMEM;
		memcpy(t->cache_name[t->nr_caches], name, sizeof(name));
		id = t->nr_caches++;
	}
	return idmap_put(&t->cache_ids, key, id) ? -ENOMEM : id;
}

/* ---- events ---- */

static void count_context(struct top *t, const struct kmt_event *e)
{
	enum ctx_class c = e->flags & KMT_EVF_NO_CTX ? CTX_UNKNOWN : context__class_id(e->ctx);

	t->cur.ctx[c][t->reclaim && (e->gfp & t->reclaim)]++;
}

static int slab_alloc(struct top *t, const struct kmt_event *e)
{
	__u64 key = e->type == KMT_EV_CACHE_ALLOC ? e->aux & ~1ull : e->size2 << 1 | 1;
	long site = site_row(t, e->call_site), cache;

	if (site < 0 || (cache = cache_row(t, key)) < 0)
		return -ENOMEM;
	t->cur.sites[site].allocs++;
	t->cur.sites[site].bytes += e->size2;
	t->cur.caches[cache].allocs++;
	t->cur.caches[cache].bytes += e->size2;
	t->cur.slab.allocs++;
	t->cur.slab.bytes += e->size2;
	count_context(t, e);
	if (!ZERO_OR_NULL(e->ptr))
		objs_put(&t->objs, e->ptr, site, cache);
	return 0;
}

static int slab_free(struct top *t, const struct kmt_event *e)
{
	struct top_obj o;
	long cache = -1;

	if (ZERO_OR_NULL(e->ptr))
		return 0;
	t->cur.slab.frees++;
	if (objs_take(&t->objs, e->ptr, &o)) {
		t->cur.sites[o.site].frees++;
		cache = o.cache;
	} else {
		t->cur.older_frees++;
		if (e->type == KMT_EV_CACHE_FREE && e->aux)
			cache = cache_row(t, e->aux & ~1ull);
		if (cache == -ENOMEM)
			return -ENOMEM;
	}
	if (cache >= 0)
		t->cur.caches[cache].frees++;
	return 0;
}

static int order_of(const struct top *t, int order)
{
	return order < 0 ? 0 : order >= t->nr_orders ? t->nr_orders - 1 : order;
}

static int top_event(void *ctx, const struct kmt_event *e)
{
	struct top *t = ctx;

	t->cur.events++;
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
		return slab_alloc(t, e);
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
		return slab_free(t, e);
	case KMT_EV_PAGE_ALLOC:
		t->cur.page_allocs[order_of(t, e->order)]++;
		if (e->ptr == ~0ull && t->vmemmap_known)
			t->cur.page_failed++;
		count_context(t, e);
		return 0;
	case KMT_EV_PAGE_FREE:
		t->cur.page_frees[order_of(t, e->order)]++;
		return 0;
	case KMT_EV_PAGE_FREE_BATCHED:
		t->cur.page_frees[0]++;
		return 0;
	}
	return 0;
}

static int top_cache(void *ctx, const struct kmt_cache_def *d)
{
	return kmt_defs__put_cache(((struct top *)ctx)->defs, d);
}

static int top_sym(void *ctx, const struct kmt_sym *s)
{
	return kmt_defs__put_sym(((struct top *)ctx)->defs, s);
}

/* ---- rows, sorted ---- */

struct top_row {
	__u32 idx;
	const struct top_counts *c;
};

static __s64 live_of(const struct top_counts *c)
{
	return (__s64)(c->allocs - c->frees);
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct top_row *x = a, *y = b;
	enum top_sort s = *(const enum top_sort *)arg;
	__s64 kx, ky;

	switch (s) {
	case SORT_BYTES: kx = x->c->bytes; ky = y->c->bytes; break;
	case SORT_FREES: kx = x->c->frees; ky = y->c->frees; break;
	case SORT_LIVE: kx = live_of(x->c); ky = live_of(y->c); break;
	default: kx = x->c->allocs; ky = y->c->allocs; break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	if (x->c->allocs != y->c->allocs)
		return x->c->allocs > y->c->allocs ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The shown interval's active rows of one table, sorted; *n of them. NULL when none. */
static struct top_row *sorted_rows(const struct top *t, bool caches, size_t *n)
{
	const struct top_counts *c = caches ? t->shown.caches : t->shown.sites;
	size_t nr = caches ? t->shown.nr_caches : t->shown.nr_sites;
	struct top_row *rows = malloc((nr ? nr : 1) * sizeof(*rows));
	enum top_sort s = t->sort;

	*n = 0;
	if (!rows)
		return NULL;
	for (size_t i = 0; i < nr; i++)
		if (c[i].allocs || c[i].frees)
			rows[(*n)++] = (struct top_row){ .idx = i, .c = &c[i] };
	qsort_r(rows, *n, sizeof(*rows), cmp_rows, &s);
	return rows;
}

static void row_name(const struct top *t, bool caches, __u32 idx, char *buf, size_t len)
{
	if (caches)
		snprintf(buf, len, "%s", t->cache_name[idx]);
	else
		frames__sym_name(t->defs, t->site_addr[idx], buf, len);
}

/* ---- text screen ---- */

/*
 * The three formats below: v divided by base (1000 or 1024) until it is below next
 * (below first while not divided yet), then a unit letter; narrow drops the
 * decimal from 10 up ("417K" rather than "417.0K").
 */
static void fmt_scaled(double v, double base, double first, double next, bool narrow,
		       char *buf, size_t len)
{
	static const char units[] = " KMGT";
	int u = 0;

	while (v >= (u ? next : first) && u < 4) {
		v /= base;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, narrow && v >= 9.95 ? "%.0f%c" : "%.1f%c", v, units[u]);
}

/* "812", "45.2K", "12.3M": counts and rates in 6 characters or fewer. */
static void fmt_num(double v, char *buf, size_t len)
{
	fmt_scaled(v, 1000, 99999.5, 999.95, false, buf, len);
}

/* Bytes (per second) with binary units: "512", "12.3K", "4.0M". */
static void fmt_bytes(double v, char *buf, size_t len)
{
	fmt_scaled(v, 1024, 1023.5, 1023.5, false, buf, len);
}

/* At most 5 characters, for the narrow order and context columns: "812", "417K", "1.2M". */
static void fmt_short(double v, char *buf, size_t len)
{
	fmt_scaled(v, 1000, 99999.5, 999.5, true, buf, len);
}

static void fmt_signed(__s64 v, char *buf, size_t len)
{
	char n[16];

	fmt_num(v < 0 ? -(double)v : (double)v, n, sizeof(n));
	snprintf(buf, len, "%s%s", v > 0 ? "+" : v < 0 ? "-" : "", n);
}

static double rate(const struct top *t, __u64 n)
{
	return t->shown.seconds > 0 ? n / t->shown.seconds : 0;
}

enum { ATTR_NONE, ATTR_REVERSE, ATTR_BOLD };

/* One screen line, cut to the terminal's width (and height, live). */
static void __attribute__((format(printf, 3, 4))) put(struct top *t, int attr, const char *fmt, ...)
{
	int width = t->batch ? t->cols : t->cols - 1;	/* live: never write the last column */
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (width < (int)sizeof(line) && (int)strlen(line) > width)
		line[width] = 0;
	if (t->batch) {
		printf("%s\n", line);
		return;
	}
	if (t->lines_out >= t->rows)
		return;
	/* no newline after the last line: the screen must not scroll */
	printf("%s", t->lines_out++ ? "\n" : "");
	if (attr == ATTR_REVERSE)
		printf("\033[7m%-*s\033[0m", width, line);
	else if (attr == ATTR_BOLD)
		printf("\033[1m%s\033[0m\033[K", line);
	else
		printf("%s\033[K", line);
}

static void draw_header(struct top *t)
{
	const struct top_interval *s = &t->shown;
	char ev[24], line[512];

	fmt_num(rate(t, s->events), ev, sizeof(ev));
	snprintf(line, sizeof(line), "kmmtrace top - %s, %d CPUs - %.1f s - %s events/s - drops "
		 "%llu, recursion misses %llu - sort %s%s", t->kernel, t->cpus, s->elapsed, ev,
		 (unsigned long long)t->drops, (unsigned long long)t->recursion,
		 sort_names[t->sort], t->paused ? " [paused]" : "");
	if ((int)strlen(line) >= t->cols)
		snprintf(line, sizeof(line), "top %s %dcpu %.1fs %s ev/s drops %llu recursion "
			 "%llu sort %s%s", t->kernel, t->cpus, s->elapsed, ev,
			 (unsigned long long)t->drops, (unsigned long long)t->recursion,
			 sort_names[t->sort], t->paused ? " [paused]" : "");
	put(t, ATTR_REVERSE, "%s", line);
}

static void draw_totals(struct top *t)
{
	const struct top_interval *s = &t->shown;
	char a[24], b[24], f[24], l[24], o[24];
	__u64 pa = 0, pf = 0, pbytes = 0;

	fmt_num(rate(t, s->slab.allocs), a, sizeof(a));
	fmt_bytes(rate(t, s->slab.bytes), b, sizeof(b));
	fmt_num(rate(t, s->slab.frees), f, sizeof(f));
	fmt_signed(live_of(&s->slab), l, sizeof(l));
	fmt_num(rate(t, s->older_frees), o, sizeof(o));
	put(t, ATTR_NONE, "slab   %s allocs/s  %sB/s  %s frees/s (%s older)  live %s", a, b, f,
	    o, l);
	for (int i = 0; i < t->nr_orders; i++) {
		pa += s->page_allocs[i];
		pf += s->page_frees[i];
		pbytes += s->page_allocs[i] * ((__u64)sysconf(_SC_PAGESIZE) << i);
	}
	fmt_num(rate(t, pa), a, sizeof(a));
	fmt_bytes(rate(t, pbytes), b, sizeof(b));
	fmt_num(rate(t, pf), f, sizeof(f));
	put(t, ATTR_NONE, "pages  %s allocs/s  %sB/s  %s frees/s  failed %llu", a, b, f,
	    (unsigned long long)s->page_failed);
}

static void draw_orders(struct top *t)
{
	int n = t->nr_orders < (t->cols - 10) / 6 ? t->nr_orders : (t->cols - 10) / 6;
	char line[512], v[24];
	const __u64 *rows[2] = { t->shown.page_allocs, t->shown.page_frees };
	static const char *const labels[2] = { "allocs/s", "frees/s" };
	size_t len;

	len = snprintf(line, sizeof(line), "%-10s", "order");
	for (int i = 0; i < n; i++)
		len += snprintf(line + len, sizeof(line) - len, "%6d", i);
	put(t, ATTR_BOLD, "%s", line);
	for (int r = 0; r < 2; r++) {
		len = snprintf(line, sizeof(line), "%-10s", labels[r]);
		for (int i = 0; i < n; i++) {
			fmt_short(rate(t, rows[r][i]), v, sizeof(v));
			len += snprintf(line + len, sizeof(line) - len, "%6s", v);
		}
		put(t, ATTR_NONE, "%s", line);
	}
}

static void draw_context(struct top *t)
{
	static const char *const labels[3] = { "allocs/s", "may-recl/s", "no-recl/s" };
	char line[512], v[24];
	size_t len;

	len = snprintf(line, sizeof(line), "%-11s", "context");
	for (int c = 0; c < CTX_NR_CLASSES; c++)
		if (c != CTX_UNKNOWN || t->shown.ctx[c][0] + t->shown.ctx[c][1])
			len += snprintf(line + len, sizeof(line) - len, " %7s",
					context__class_name(c));
	put(t, ATTR_BOLD, "%s", line);
	for (int r = 0; r < 3; r++) {
		len = snprintf(line, sizeof(line), "%-11s", labels[r]);
		for (int c = 0; c < CTX_NR_CLASSES; c++) {
			const __u64 *n = t->shown.ctx[c];
			int w = strlen(context__class_name(c));

			if (c == CTX_UNKNOWN && !(n[0] + n[1]))
				continue;
			if (r && !t->reclaim)
				snprintf(v, sizeof(v), "-");
			else
				fmt_short(rate(t, r == 0 ? n[0] + n[1] : r == 1 ? n[1] : n[0]), v,
					  sizeof(v));
			len += snprintf(line + len, sizeof(line) - len, " %*s", w > 7 ? w : 7, v);
		}
		put(t, ATTR_NONE, "%s", line);
	}
}

static void draw_table(struct top *t, bool caches, int max)
{
	int w = t->cols - 4 * 11 - 1 > 16 ? t->cols - 4 * 11 - 1 : 16;
	char name[256], a[24], b[24], f[24], l[24];
	struct top_row *rows;
	size_t n;

	put(t, ATTR_BOLD, "%-*s %10s %10s %10s %10s", w, caches ? "CACHE" : "CALL SITE", "ALLOCS/S",
	    "BYTES/S", "FREES/S", "LIVE");
	rows = sorted_rows(t, caches, &n);
	for (size_t i = 0; rows && i < n && (int)i < max; i++) {
		row_name(t, caches, rows[i].idx, name, sizeof(name));
		fmt_num(rate(t, rows[i].c->allocs), a, sizeof(a));
		fmt_bytes(rate(t, rows[i].c->bytes), b, sizeof(b));
		fmt_num(rate(t, rows[i].c->frees), f, sizeof(f));
		fmt_signed(live_of(rows[i].c), l, sizeof(l));
		put(t, ATTR_NONE, "%-*.*s %10s %10s %10s %10s", w, w, name, a, b, f, l);
	}
	free(rows);
}

static void term_size(struct top *t)
{
	struct winsize ws;

	t->cols = 80;
	t->rows = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		t->cols = ws.ws_col;
		t->rows = ws.ws_row;
	}
}

/* Rows of the main and the second table: -n, or what fits the screen. */
static void table_rows(const struct top *t, int *main_rows, int *second_rows)
{
	/* header, 2 totals, blank, 3 order lines, 4 context lines, blank, title; live: keys */
	int avail = t->rows - 13 - !t->batch;

	if (avail >= 8) {
		*second_rows = (avail - 2) / 3;
		*main_rows = avail - 2 - *second_rows;
	} else {
		*second_rows = 0;
		*main_rows = avail > 1 ? avail : 1;
	}
	if (t->lines && t->batch) {
		*main_rows = *second_rows = t->lines;
	} else if (t->lines) {
		*main_rows = *main_rows < t->lines ? *main_rows : t->lines;
		*second_rows = *second_rows < t->lines ? *second_rows : t->lines;
	}
}

static void draw_text(struct top *t)
{
	int main_rows, second_rows;

	term_size(t);
	t->lines_out = 0;
	if (!t->batch)
		printf("\033[H");
	else if (t->screens)
		printf("\n");
	table_rows(t, &main_rows, &second_rows);
	draw_header(t);
	draw_totals(t);
	put(t, ATTR_NONE, "%s", "");
	draw_orders(t);
	draw_context(t);
	put(t, ATTR_NONE, "%s", "");
	draw_table(t, t->caches_main, main_rows);
	if (second_rows) {
		put(t, ATTR_NONE, "%s", "");
		draw_table(t, !t->caches_main, second_rows);
	}
	if (!t->batch) {
		while (t->lines_out < t->rows - 1)
			put(t, ATTR_NONE, "%s", "");
		put(t, ATTR_NONE, "keys: s sort (%s)  c %s  p %s  q quit", sort_names[t->sort],
		    t->caches_main ? "call sites" : "caches", t->paused ? "resume" : "pause");
		printf("\033[J");
	}
	fflush(stdout);
}

/* ---- JSON ---- */

static void json_counts(const struct top *t, const struct top_counts *c)
{
	printf("\"allocs\":%llu,\"bytes\":%llu,\"frees\":%llu,\"live\":%lld,\"allocs_per_s\":%.1f,"
	       "\"bytes_per_s\":%.1f,\"frees_per_s\":%.1f", (unsigned long long)c->allocs,
	       (unsigned long long)c->bytes, (unsigned long long)c->frees, (long long)live_of(c),
	       rate(t, c->allocs), rate(t, c->bytes), rate(t, c->frees));
}

static void json_table(const struct top *t, bool caches)
{
	int max = t->lines ? t->lines : TOP_JSON_ROWS;
	struct top_row *rows;
	char name[256];
	size_t n;

	printf("\"%s\":[", caches ? "caches" : "sites");
	rows = sorted_rows(t, caches, &n);
	for (size_t i = 0; rows && i < n && (int)i < max; i++) {
		row_name(t, caches, rows[i].idx, name, sizeof(name));
		printf("%s{\"%s\":", i ? "," : "", caches ? "cache" : "site");
		json_print_string(stdout, name);
		if (!caches)
			printf(",\"call_site\":\"0x%llx\"",
			       (unsigned long long)t->site_addr[rows[i].idx]);
		printf(",");
		json_counts(t, rows[i].c);
		printf("}");
	}
	printf("]");
	free(rows);
}

static void json_pages(const struct top *t)
{
	const struct top_interval *s = &t->shown;
	__u64 pa = 0, pf = 0;

	for (int i = 0; i < t->nr_orders; i++) {
		pa += s->page_allocs[i];
		pf += s->page_frees[i];
	}
	printf("\"pages\":{\"allocs\":%llu,\"frees\":%llu,\"failed\":%llu,\"allocs_per_s\":%.1f,"
	       "\"frees_per_s\":%.1f,\"orders\":[", (unsigned long long)pa, (unsigned long long)pf,
	       (unsigned long long)s->page_failed, rate(t, pa), rate(t, pf));
	for (int i = 0; i < t->nr_orders; i++)
		printf("%s{\"order\":%d,\"allocs\":%llu,\"frees\":%llu}", i ? "," : "", i,
		       (unsigned long long)s->page_allocs[i], (unsigned long long)s->page_frees[i]);
	printf("]}");
}

static void json_context(const struct top *t)
{
	__u64 total = 0;

	for (int c = 0; c < CTX_NR_CLASSES; c++)
		total += t->shown.ctx[c][0] + t->shown.ctx[c][1];
	printf("\"context\":{\"allocs\":%llu,\"reclaim_known\":%s,\"classes\":[",
	       (unsigned long long)total, t->reclaim ? "true" : "false");
	for (int c = 0; c < CTX_NR_CLASSES; c++) {
		const __u64 *n = t->shown.ctx[c];

		printf("%s{\"context\":\"%s\",\"allocs\":%llu", c ? "," : "",
		       context__class_name(c), (unsigned long long)(n[0] + n[1]));
		if (t->reclaim)
			printf(",\"may_reclaim\":%llu,\"no_reclaim\":%llu}",
			       (unsigned long long)n[1], (unsigned long long)n[0]);
		else
			printf(",\"may_reclaim\":null,\"no_reclaim\":null}");
	}
	printf("]}");
}

static void draw_json(struct top *t)
{
	const struct top_interval *s = &t->shown;

	printf("{\"iteration\":%ld,\"kernel\":", t->screens + 1);
	json_print_string(stdout, t->kernel);
	printf(",\"cpus\":%d,\"elapsed_s\":%.3f,\"interval_s\":%.3f,\"sort\":\"%s\","
	       "\"events\":%llu,\"events_per_s\":%.1f,\"events_total\":%llu,\"drops\":%llu,"
	       "\"recursion_misses\":%llu,\"slab\":{", t->cpus, s->elapsed, s->seconds,
	       sort_names[t->sort], (unsigned long long)s->events, rate(t, s->events),
	       (unsigned long long)t->events, (unsigned long long)t->drops,
	       (unsigned long long)t->recursion);
	json_counts(t, &s->slab);
	printf(",\"older_frees\":%llu,\"untracked\":%llu},", (unsigned long long)s->older_frees,
	       (unsigned long long)t->objs.untracked);
	json_table(t, false);
	printf(",");
	json_table(t, true);
	printf(",");
	json_pages(t);
	printf(",");
	json_context(t);
	printf("}\n");
	fflush(stdout);
}

/* ---- terminal ---- */

#define ENTER_SCREEN	"\033[?1049h\033[?25l\033[2J"	/* alternate screen, no cursor */
#define LEAVE_SCREEN	"\033[?25h\033[?1049l"

static struct termios saved_tio, raw_tio;
static bool tio_saved, screen_on;

static void term_restore(void)
{
	if (screen_on) {
		fflush(stdout);
		(void)!write(STDOUT_FILENO, LEAVE_SCREEN, sizeof(LEAVE_SCREEN) - 1);
		screen_on = false;
	}
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = false;
	}
}

/* Ctrl-Z: give the shell its terminal back, stop, and take it again when continued. */
static void on_tstp(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, me = { .sa_handler = on_tstp };
	int saved_errno = errno;
	sigset_t set;

	if (screen_on)
		(void)!write(STDOUT_FILENO, LEAVE_SCREEN, sizeof(LEAVE_SCREEN) - 1);
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* continued */
	sigemptyset(&me.sa_mask);
	sigaction(sig, &me, NULL);
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &raw_tio);
	if (screen_on)
		(void)!write(STDOUT_FILENO, ENTER_SCREEN, sizeof(ENTER_SCREEN) - 1);
	top_resized = 1;
	errno = saved_errno;
}

/* Keys without Enter or echo (signals stay: Ctrl-C quits), and a screen of our own. */
static void term_setup(void)
{
	struct sigaction sa = { .sa_handler = on_tstp };

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		raw_tio = saved_tio;
		raw_tio.c_lflag &= ~(ICANON | ECHO);
		raw_tio.c_cc[VMIN] = 0;
		raw_tio.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw_tio))
			tio_saved = true;
	}
	atexit(term_restore);
	fputs(ENTER_SCREEN, stdout);
	fflush(stdout);
	screen_on = true;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTSTP, &sa, NULL);
}

/* Reads pending key presses; true when the screen needs redrawing. */
static bool read_keys(struct top *t)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	bool redraw = false;
	char buf[32];
	ssize_t n;

	if (!tio_saved || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
		return false;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	for (ssize_t i = 0; i < n; i++) {
		switch (buf[i]) {
		case 's': t->sort = (t->sort + 1) % SORT_NR; redraw = true; break;
		case 'c': t->caches_main = !t->caches_main; redraw = true; break;
		case 'p': t->paused = !t->paused; redraw = true; break;
		case 'q': case 'Q': case 3: top_stop = 1; break;
		}
	}
	return redraw;
}

/* ---- running ---- */

/* Ends an interval: totals, the drop counters, and (unless paused) a new screen's data. */
static int top_tick(struct top *t, double seconds, double elapsed)
{
	struct kmt_counters k;
	struct top_interval old;

	t->events += t->cur.events;
	if (!collector__counters(t->col, &k)) {
		t->drops = 0;
		for (int i = 0; i < KMT_EV_MAX; i++)
			t->drops += k.dropped[i];
		t->recursion = k.recursion_misses;
	}
	if (!t->paused) {
		old = t->shown;
		t->shown = t->cur;
		t->shown.nr_sites = t->nr_sites;
		t->shown.nr_caches = t->nr_caches;
		t->shown.seconds = seconds;
		t->shown.elapsed = elapsed;
		t->cur = old;
	}
	return interval_reset(&t->cur, t->sites_cap, t->caches_cap);
}

static void show(struct top *t)
{
	if (t->json)
		draw_json(t);
	else
		draw_text(t);
}

static int top_loop(struct top *t)
{
	__u64 start = mono_ns(), last = start, step = t->delay * 1e9, next = start + step, now;
	int e = 0, wait;

	while (!top_stop && !e) {
		now = mono_ns();
		wait = now >= next ? 0 : (int)((next - now + 999999) / 1000000);
		e = collector__poll(t->col, wait < TOP_POLL_MS ? wait : TOP_POLL_MS);
		if (!t->batch && (read_keys(t) || top_resized) && t->screens) {
			if (top_resized)
				printf("\033[2J");
			top_resized = 0;
			draw_text(t);
		}
		now = mono_ns();
		if (e || top_stop || now < next)
			continue;
		if ((e = top_tick(t, (now - last) / 1e9, (now - start) / 1e9)))
			break;
		last = now;
		next = next + step > now ? next + step : now + step;
		if (t->paused)
			continue;
		show(t);
		t->screens++;
		if (ferror(stdout) || (t->iterations && t->screens >= t->iterations))
			break;
	}
	if (e)
		fprintf(stderr, "kmmtrace top: failed to read events: %s\n", strerror(-e));
	return e ? -1 : 0;
}

/* What the screens say about this machine: release, CPUs, page orders, __GFP_DIRECT_RECLAIM. */
static void top_machine(struct top *t)
{
	struct kmt_gfp_entry *gfp = NULL;
	struct utsname u;
	struct btf *btf;
	char why[400];
	size_t n = 0;

	if (!uname(&u))
		snprintf(t->kernel, sizeof(t->kernel), "%s", u.release);
	t->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	btf = btf__load_vmlinux_btf();
	t->nr_orders = btf ? sysinfo__btf_nr_page_orders(btf) : 0;
	btf__free(btf);
	if (t->nr_orders <= 0 || t->nr_orders > TOP_MAX_ORDERS)
		t->nr_orders = t->nr_orders > TOP_MAX_ORDERS ? TOP_MAX_ORDERS : 11;
	if (gfp_table__from_system(&gfp, &n, why, sizeof(why)))
		fprintf(stderr, "kmmtrace top: warning: cannot learn this kernel's GFP flags (%s): "
			"no may-reclaim split\n", why);
	else
		t->reclaim = gfp_mask_of(gfp, n, "__GFP_DIRECT_RECLAIM");
	free(gfp);
}

static int top_start(struct top *t)
{
	struct kmt_sink sink = { .ctx = t, .event = top_event, .cache = top_cache, .sym = top_sym };
	char err[512] = "";

	t->defs = kmt_defs__new();
	if (!t->defs || interval_reset(&t->cur, 0, 0) || interval_reset(&t->shown, 0, 0)) {
		fprintf(stderr, "kmmtrace top: out of memory\n");
		return -ENOMEM;
	}
	t->col = collector__new(&t->copts, &sink, err, sizeof(err));
	if (!t->col) {
		fprintf(stderr, "kmmtrace top: %s\n", err);
		return -1;
	}
	top_machine(t);
	if (collector__attach(t->col, err, sizeof(err))) {
		fprintf(stderr, "kmmtrace top: %s\n", err);
		return -1;
	}
	if (collector__calibrate(t->col, err, sizeof(err)))
		fprintf(stderr, "kmmtrace top: warning: %s\n", err);
	t->vmemmap_known = collector__calib(t->col)->vmemmap_base != 0;
	return 0;
}

static void top_free(struct top *t)
{
	collector__free(t->col);
	kmt_defs__free(t->defs);
	free(t->site_ids.slots);
	free(t->cache_ids.slots);
	free(t->cache_names.slots);
	free(t->site_addr);
	free(t->cache_name);
	free(t->objs.slots);
	free(t->cur.sites);
	free(t->cur.caches);
	free(t->shown.sites);
	free(t->shown.caches);
}

int cmd_top(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct top t = {};
	int e;

	e = top_parse(&t, argc, argv);
	if (e)
		return e > 0 ? 0 : 2;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	e = top_start(&t);
	if (!e && !top_stop) {
		if (!t.batch)
			term_setup();
		e = top_loop(&t);
		term_restore();
	}
	top_free(&t);
	return e ? 1 : 0;
}
