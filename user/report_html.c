// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace report --html (report_html.h): the report, the buddy replay, the lint and
 * the vmalloc analysis of one trace as one self-contained page.
 *
 * The page is static HTML (the key numbers, readable without JavaScript), one JSON
 * object with every number (<script type="application/json" id="kmt-data">), the
 * Chart.js UMD file Debian's libjs-chart.js installs, inlined, and the page's own
 * script, which draws the charts and replaces the static tables with sortable ones.
 * A Content-Security-Policy forbids every fetch: the file needs nothing else.
 *
 * The data object:
 *   { "version": 1, "tool", "file", "kernel", "events", "seconds",
 *     "report": { "group_by", "sort", "slab": {...}, "page": {...}, "groups" (report -j's
 *                 "slab_groups"), "page_groups", "gfp", "context", "caches" },
 *     "replay": { "error", "note", "interval_ns", "nr_orders", "thp_order",
 *                 "zones": [ { "node", "zone", "present", "end": { "free_pages",
 *                   "nr_free", "fragmentation_index", "unusable_index" (x1000) },
 *                   "kernel_end": null | { "free_pages", "nr_free" },
 *                   "series": { "t" (ns), "free_pages", "nr_free" [order][sample],
 *                     "fragmentation_index_thp", "unusable_index_thp" } } ] },
 *     "lint": { "checked", "summary", "notes", "findings": [...] },     (as lint -j)
 *     "vmalloc": { "available", "note", totals as vmalloc -j, "sites": [...] } }
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmdutil.h"
#include "commands.h"
#include "lint.h"
#include "lint_env.h"
#include "replay.h"
#include "report_html.h"
#include "slab.h"
#include "sysinfo.h"
#include "tracemeta.h"
#include "vmalloc.h"

#define HTML_MAX_SAMPLES	200	/* replay samples per zone, at most */
#define HTML_MAX_GROUPS		500	/* report groups in the data */
#define HTML_MAX_ROWS		200	/* caches, GFP groups, findings, vmalloc sites */
#define HTML_MAX_FRAMES		24	/* stack frames per lint finding */

/* Chart.js 4 and 3 UMD builds, where Debian's libjs-chart.js puts them. */
static const char *const chartjs_paths[] = {
	"/usr/share/javascript/chart.js/chart.umd.min.js",
	"/usr/share/javascript/chart.js/chart.umd.js",
	"/usr/share/javascript/chart.js/chart.min.js",
	"/usr/share/javascript/chart.js/Chart.min.js",
};

struct html_run {
	const struct report_html_opts *o;
	const struct report *rep;
	struct trace_reader *r;
	struct tracemeta meta;
	char *chartjs;
	size_t chartjs_len;
	const char *chartjs_path;
	/* the buddy replay */
	struct replay_result rr;
	int replay_err;
	char replay_why[256];
	__u64 interval_ns;
	/* the lint, set up as `kmmtrace lint FILE` sets it up */
	struct lint_env env;
	struct lint *lint;
	__u64 lint_t0;
	size_t lint_by[3];
	/* the vmalloc analysis */
	struct vmalloc_an *vm;		/* NULL: the trace has no vmalloc events */
	struct vmalloc_thresholds th;
	__u32 *vm_order, vm_n;
};

/* ---- Chart.js ---- */

static int load_chartjs(struct html_run *h)
{
	const char *env = getenv(REPORT_HTML_CHARTJS_ENV);
	size_t n = sizeof(chartjs_paths) / sizeof(chartjs_paths[0]);
	int e = -ENOENT;

	if (env && *env) {
		h->chartjs_path = env;
		e = sysinfo__read_file(env, &h->chartjs, &h->chartjs_len);
	}
	for (size_t i = 0; !(env && *env) && e && i < n; i++) {
		h->chartjs_path = chartjs_paths[i];
		e = sysinfo__read_file(chartjs_paths[i], &h->chartjs, &h->chartjs_len);
	}
	if (!e && !h->chartjs_len)
		e = -ENODATA;
	if (!e)
		return 0;
	if (env && *env)
		fprintf(stderr, "kmmtrace report: failed to read %s=%s: %s\n",
			REPORT_HTML_CHARTJS_ENV, env, strerror(-e));
	else
		fprintf(stderr, "kmmtrace report: --html needs Chart.js, not found in "
			"/usr/share/javascript/chart.js/\n");
	fprintf(stderr, "kmmtrace report: install libjs-chart.js, or set %s to its UMD file "
		"(chart.umd.js or chart.min.js)\n", REPORT_HTML_CHARTJS_ENV);
	return -ENOPKG;
}

/* Script text, with every "</script" and "<!--" made harmless to the HTML parser. */
static void write_script_text(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<' && i + 8 <= len && !strncasecmp(s + i, "</script", 8)) {
			fputs("<\\/", f);
			i++;
			continue;
		}
		if (s[i] == '<' && i + 4 <= len && !strncmp(s + i, "<!--", 4)) {
			fputs("<\\!", f);
			i++;
			continue;
		}
		fputc(s[i], f);
	}
}

/* ---- the analyses ---- */

/* The smallest 1, 2 or 5 times a power of ten ns that cuts span into fewer than max pieces. */
static __u64 sample_interval(__u64 span, __u64 max)
{
	__u64 raw = span / max + 1, p = 1;

	while (p <= raw / 10)
		p *= 10;
	if (p >= raw)
		return p;
	return p * 2 >= raw ? p * 2 : p * 5 >= raw ? p * 5 : p * 10;
}

/*
 * The replay, sampled so that the series has at most HTML_MAX_SAMPLES points
 * (each sample scans the zones: ~15 ms for 25 GiB).
 */
static void run_replay(struct html_run *h)
{
	__u64 span = h->rep->seconds * 1e9;
	struct replay_opts o = { .pageblock_order = -1 };

	h->interval_ns = span ? sample_interval(span, HTML_MAX_SAMPLES - 1) : 0;
	o.interval_ns = h->interval_ns;
	h->replay_err = replay__run(h->r, &o, false, &h->rr, h->replay_why,
				    sizeof(h->replay_why));
}

static int run_lint(struct html_run *h)
{
	lint_env__from_trace(h->r, &h->meta, 3, &h->env);
	h->lint = lint__new(&h->env, NULL, 0, NULL, NULL);
	if (!h->lint)
		return -ENOMEM;
	return lint_trace(h->r, h->lint, &h->lint_t0);
}

/* Areas, then live areas, largest first: `kmmtrace vmalloc`'s default order. */
static int vm_by_areas(const void *a, const void *b, void *ctx)
{
	const struct vmap_model *m = vmalloc_an__model(ctx);
	const struct vmap_site_stats *x = vmap_model__site(m, *(const __u32 *)a);
	const struct vmap_site_stats *y = vmap_model__site(m, *(const __u32 *)b);

	if (x->areas != y->areas)
		return x->areas < y->areas ? 1 : -1;
	if (x->live_areas != y->live_areas)
		return x->live_areas < y->live_areas ? 1 : -1;
	return *(const __u32 *)a < *(const __u32 *)b ? -1 : 1;
}

static int run_vmalloc(struct html_run *h)
{
	__u32 page_size = h->meta.page_size ? h->meta.page_size : 4096;
	int n;

	vmalloc_thresholds__default(&h->th, page_size);
	if (!trace_has_vmalloc_events(h->r))
		return 0;
	h->vm = vmalloc_an__new(trace_reader__defs(h->r), page_size);
	if (!h->vm)
		return -ENOMEM;
	n = vmalloc_trace(h->r, h->vm);
	if (n)
		return n;
	h->vm_n = vmalloc_an__nr_sites(h->vm);
	h->vm_order = calloc(h->vm_n ? h->vm_n : 1, sizeof(*h->vm_order));
	if (!h->vm_order)
		return -ENOMEM;
	for (__u32 i = 0; i < h->vm_n; i++)
		h->vm_order[i] = i;
	qsort_r(h->vm_order, h->vm_n, sizeof(*h->vm_order), vm_by_areas, h->vm);
	return 0;
}

/* ---- the data object ---- */

#define U(x) ((unsigned long long)(x))

/* A JSON string that cannot end, or open anything in, the <script> element holding it. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_groups(FILE *f, const char *name, const struct report_group_stat *g, size_t n)
{
	fprintf(f, ",\"%s\":[", name);
	for (size_t i = 0; i < n && i < HTML_MAX_GROUPS; i++) {
		fprintf(f, "%s{\"key\":", i ? "," : "");
		jstr(f, g[i].key);
		fprintf(f, ",\"allocs\":%llu,\"bytes_req\":%llu,\"bytes_alloc\":%llu,"
			"\"frees\":%llu,\"live\":%llu,\"live_bytes\":%llu,\"cross_cpu_frees\":%llu,"
			"\"lifetime_p50_ns\":%llu}", U(g[i].allocs), U(g[i].bytes_req),
			U(g[i].bytes_alloc), U(g[i].frees), U(g[i].live), U(g[i].live_bytes),
			U(g[i].cross_cpu_frees), U(report__life_pct(&g[i], 0.5)));
	}
	fputc(']', f);
}

static void json_report_tables(FILE *f, const struct report *rep)
{
	fprintf(f, ",\"gfp\":[");
	for (size_t i = 0; i < rep->nr_gfp_groups && i < HTML_MAX_ROWS; i++) {
		fprintf(f, "%s{\"key\":", i ? "," : "");
		jstr(f, rep->gfp_groups[i].key);
		fprintf(f, ",\"allocs\":%llu,\"bytes_alloc\":%llu}", U(rep->gfp_groups[i].allocs),
			U(rep->gfp_groups[i].bytes_alloc));
	}
	fprintf(f, "],\"context\":[");
	for (int i = 0; i < rep->nr_ctx; i++) {
		fprintf(f, "%s{\"context\":", i ? "," : "");
		jstr(f, rep->ctx[i].context);
		fprintf(f, ",\"may_reclaim\":%llu,\"no_reclaim\":%llu}", U(rep->ctx[i].reclaim),
			U(rep->ctx[i].atomic));
	}
	fprintf(f, "],\"caches\":[");
	for (size_t i = 0; i < rep->nr_caches && i < HTML_MAX_ROWS; i++) {
		const struct slab_cache_stats *st = &rep->caches[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		jstr(f, st->name[0] ? st->name : "?");
		fprintf(f, ",\"live\":%llu,\"full\":%llu,\"partial\":%llu,\"empty\":%llu,"
			"\"memory\":%llu,\"internal_waste\":%llu,\"external_waste\":%llu}",
			U(st->live_objs), U(st->nr[SLAB_FULL]), U(st->nr[SLAB_PARTIAL]),
			U(st->nr[SLAB_EMPTY]), U(st->mem_bytes), U(st->internal_waste),
			U(st->partial_free_bytes));
	}
	fputc(']', f);
}

static void json_report(FILE *f, const struct html_run *h)
{
	const struct report_slab_totals *s = &h->rep->slab;
	const struct report_page_totals *p = &h->rep->page;

	fprintf(f, "\"report\":{\"group_by\":\"%s\",\"sort\":", report__group_name(h->o->group));
	jstr(f, h->o->sort ? h->o->sort : "");
	fprintf(f, ",\"slab\":{\"nr_allocs\":%llu,\"bytes_requested\":%llu,"
		"\"bytes_allocated\":%llu,\"bytes_freed\":%llu,\"cross_cpu_allocs\":%llu,"
		"\"nr_frees\":%llu,\"frees_unmatched\":%llu},", U(s->nr_allocs), U(s->requested),
		U(s->allocated), U(s->freed), U(s->nr_cross_allocs), U(s->nr_frees),
		U(s->free_unmatched));
	fprintf(f, "\"page\":{\"nr_allocs\":%llu,\"alloc_bytes\":%llu,\"nr_frees\":%llu,"
		"\"free_bytes\":%llu,\"nr_free_only\":%llu,\"free_only_bytes\":%llu,"
		"\"nr_fails\":%llu,\"fail_bytes\":%llu}", U(p->nr_allocs), U(p->alloc_bytes),
		U(p->nr_frees), U(p->free_bytes), U(p->nr_nomatch), U(p->nomatch_bytes),
		U(p->nr_fails), U(p->fail_bytes));
	json_groups(f, "groups", h->rep->slab_groups, h->rep->nr_slab_groups);
	json_groups(f, "page_groups", h->rep->page_groups, h->rep->nr_page_groups);
	json_report_tables(f, h->rep);
	fputc('}', f);
}

/* One value of a zone sample: per order, or for the whole zone (o ignored). */
typedef long long (*sample_fn)(const struct replay_zone_sample *s, unsigned int o);

static long long s_free_pages(const struct replay_zone_sample *s, unsigned int o)
{
	return s->free_pages;
}

static long long s_nr_free(const struct replay_zone_sample *s, unsigned int o)
{
	return s->nr_free[o];
}

static long long s_frag(const struct replay_zone_sample *s, unsigned int o)
{
	return s->frag_index[o];
}

static long long s_unusable(const struct replay_zone_sample *s, unsigned int o)
{
	return s->unusable[o];
}

/* get(sample, o) of zone z over time */
static void json_series(FILE *f, const struct replay_result *res, int z, sample_fn get,
			unsigned int o)
{
	fputc('[', f);
	for (size_t i = 0; i < res->nr_samples; i++)
		fprintf(f, "%s%lld", i ? "," : "", get(&res->samples[i].zone[z], o));
	fputc(']', f);
}

/* get(s, o) for every order */
static void json_orders(FILE *f, const char *key, const struct replay_zone_sample *s,
			unsigned int n, sample_fn get)
{
	fprintf(f, "\"%s\":[", key);
	for (unsigned int o = 0; o < n; o++)
		fprintf(f, "%s%lld", o ? "," : "", get(s, o));
	fputc(']', f);
}

static void json_zone(FILE *f, const struct replay_result *res, int z)
{
	const struct replay_zone_sample *end = &res->samples[res->nr_samples - 1].zone[z];
	const struct replay_check_zone *k = &res->end[z];
	unsigned int thp = res->thp_order < res->nr_orders ? res->thp_order : res->nr_orders - 1;
	char name[sizeof(res->zones[z].name) + 1];

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(res->zones[z].name), res->zones[z].name);
	fprintf(f, "{\"node\":%u,\"zone\":", res->zones[z].node);
	jstr(f, name);
	fprintf(f, ",\"present\":%llu,\"end\":{\"free_pages\":%llu,\"pcp_pages\":%llu,",
		U(res->zones[z].present), U(end->free_pages), U(end->pcp_pages));
	json_orders(f, "nr_free", end, res->nr_orders, s_nr_free);
	fputc(',', f);
	json_orders(f, "fragmentation_index", end, res->nr_orders, s_frag);
	fputc(',', f);
	json_orders(f, "unusable_index", end, res->nr_orders, s_unusable);
	fprintf(f, "},\"kernel_end\":");
	if (k->have_kernel) {
		fprintf(f, "{\"free_pages\":%llu,\"nr_free\":[", U(k->kernel_free_pages));
		for (unsigned int o = 0; o < res->nr_orders; o++)
			fprintf(f, "%s%llu", o ? "," : "", U(k->kernel_nr_free[o]));
		fprintf(f, "]}");
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\"series\":{\"t\":[");
	for (size_t i = 0; i < res->nr_samples; i++)
		fprintf(f, "%s%llu", i ? "," : "", U(res->samples[i].t));
	fprintf(f, "],\"free_pages\":");
	json_series(f, res, z, s_free_pages, 0);
	fprintf(f, ",\"nr_free\":[");
	for (unsigned int o = 0; o < res->nr_orders; o++) {
		fprintf(f, "%s", o ? "," : "");
		json_series(f, res, z, s_nr_free, o);
	}
	fprintf(f, "],\"fragmentation_index_thp\":");
	json_series(f, res, z, s_frag, thp);
	fprintf(f, ",\"unusable_index_thp\":");
	json_series(f, res, z, s_unusable, thp);
	fprintf(f, "}}");
}

/* Zones the page shows: those with pages, when the replay ran. */
static bool zone_shown(const struct html_run *h, int z)
{
	return !h->replay_err && h->rr.nr_samples && h->rr.nr_orders && h->rr.zones[z].spanned;
}

static void json_replay(FILE *f, const struct html_run *h)
{
	const struct replay_result *res = &h->rr;
	bool first = true;

	fprintf(f, "\"replay\":{\"error\":");
	jstr(f, h->replay_err ? h->replay_why : "");
	fprintf(f, ",\"note\":");
	jstr(f, h->replay_err ? "" : h->replay_why);
	fprintf(f, ",\"interval_ns\":%llu,\"nr_orders\":%u,\"thp_order\":%u,\"zones\":[",
		U(h->interval_ns), res->nr_orders, res->thp_order);
	for (int z = 0; z < res->nr_zones && z < REPLAY_MAX_ZONES; z++) {
		if (!zone_shown(h, z))
			continue;
		fprintf(f, "%s", first ? "" : ",");
		json_zone(f, res, z);
		first = false;
	}
	fprintf(f, "]}");
}

/* The finding's stack, BPF's own first frames skipped (as `kmmtrace lint`). */
static void json_stack(FILE *f, const struct html_run *h, __s32 id)
{
	char names[HTML_MAX_FRAMES][160];
	int n = lint_stack_frames(h->env.defs, id, names, HTML_MAX_FRAMES);

	fputc('[', f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s", i ? "," : "");
		jstr(f, names[i]);
	}
	fputc(']', f);
}

static double lint_rel_s(const struct html_run *h, __u64 ts)
{
	return ts > h->lint_t0 ? (ts - h->lint_t0) / 1e9 : 0.0;
}

static void json_finding(FILE *f, const struct html_run *h, const struct lint_finding *x)
{
	const struct lint_rule *r = &lint_rules[x->rule];
	const struct kmt_event *e = &x->example;
	char buf[256];

	fprintf(f, "{\"rule\":");
	jstr(f, r->id);
	fprintf(f, ",\"severity\":\"%s\",\"site\":", lint_severity_name(r->severity));
	jstr(f, x->site);
	fprintf(f, ",\"count\":%llu,\"first_s\":%.9f,\"last_s\":%.9f,\"backing_pages\":%llu,"
		"\"suppressed\":%s,\"type\":\"%s\",\"pid\":%u,\"tid\":%u,\"cpu\":%u,\"comm\":",
		U(x->count), lint_rel_s(h, x->first_ts), lint_rel_s(h, x->last_ts),
		U(x->backing_pages), x->suppressed_by >= 0 ? "true" : "false",
		lint_event_type(e->type), e->tgid, e->tid, e->cpu);
	jstr(f, x->comm);
	lint_example_context(e, buf, sizeof(buf));
	fprintf(f, ",\"context\":");
	jstr(f, buf);
	lint__gfp_name(h->lint, e->gfp, buf, sizeof(buf));
	fprintf(f, ",\"gfp\":");
	jstr(f, e->type == KMT_EV_VMAP_ALLOC ? "" : buf);
	lint_example_what(h->env.defs, e, buf, sizeof(buf));
	fprintf(f, ",\"what\":");
	jstr(f, buf);
	fprintf(f, ",\"summary\":");
	jstr(f, r->summary);
	fprintf(f, ",\"reference\":");
	jstr(f, r->ref);
	fprintf(f, ",\"stack\":");
	json_stack(f, h, x->stack_id);
	fputc('}', f);
}

static void json_lint(FILE *f, const struct html_run *h)
{
	const struct lint_stats *st = lint__stats(h->lint);
	const char *notes = lint__notes(h->lint);
	const struct lint_finding *x;
	size_t n;

	x = lint__findings(h->lint, &n);
	fprintf(f, "\"lint\":{\"checked\":{\"events\":%llu,\"allocations\":%llu,"
		"\"no_context\":%llu,\"folded_pages\":%llu},\"summary\":{\"error\":%zu,"
		"\"warning\":%zu,\"info\":%zu},\"notes\":[", U(st->events), U(st->allocs),
		U(st->no_ctx), U(st->folded_pages), h->lint_by[LINT_ERROR],
		h->lint_by[LINT_WARNING], h->lint_by[LINT_INFO]);
	for (const char *p = notes; *p;) {
		const char *e = strchr(p, '\n');
		char line[400];

		snprintf(line, sizeof(line), "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
		fprintf(f, "%s", p == notes ? "" : ",");
		jstr(f, line);
		p = e ? e + 1 : p + strlen(p);
	}
	fprintf(f, "],\"findings\":[");
	for (size_t i = 0; i < n && i < HTML_MAX_ROWS; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_finding(f, h, &x[i]);
	}
	fprintf(f, "]}");
}

static void json_vm_site(FILE *f, const struct html_run *h, __u32 s)
{
	static const struct { unsigned int bit; const char *name; } flags[] = {
		{ VMF_SMALL, "small" }, { VMF_CHURN, "churn" }, { VMF_NOT_HUGE, "4k-not-huge" },
		{ VMF_PURGES, "purges" },
	};
	const struct vmap_site_stats *st = vmap_model__site(vmalloc_an__model(h->vm), s);
	unsigned int fl = vmalloc_an__flags(h->vm, s, &h->th), k = 0;
	double secs = vmalloc_an__seconds(h->vm);

	fprintf(f, "{\"site\":");
	jstr(f, vmalloc_an__site_name(h->vm, s));
	fprintf(f, ",\"areas\":%llu,\"failed\":%llu,\"frees\":%llu,\"bytes\":%llu,"
		"\"min_bytes\":%llu,\"max_bytes\":%llu,\"ptes\":%llu,\"live_areas\":%llu,"
		"\"live_bytes\":%llu,\"purged_pages\":%llu,\"purge_share\":%.6f,"
		"\"churn_per_s\":%.3f,\"mean_life_ns\":%llu,\"flags\":[", U(st->areas),
		U(st->failed), U(st->frees), U(st->bytes), U(st->min_bytes), U(st->max_bytes),
		U(st->ptes), U(st->live_areas), U(st->live_bytes), U(st->purged_pages),
		st->purge_share, secs > 0 ? (st->areas + st->frees) / secs : 0.0,
		U(st->life_frees ? st->life_sum_ns / st->life_frees : 0));
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (fl & flags[i].bit)
			fprintf(f, "%s\"%s\"", k++ ? "," : "", flags[i].name);
	fprintf(f, "]}");
}

static void json_vmalloc(FILE *f, const struct html_run *h)
{
	const struct vmap_totals *t;

	if (!h->vm) {
		fprintf(f, "\"vmalloc\":{\"available\":false,\"note\":\"this trace has no vmalloc "
			"events (the tracepoints exist from Linux 6.2)\",\"sites\":[]}");
		return;
	}
	t = vmap_model__totals(vmalloc_an__model(h->vm));
	fprintf(f, "\"vmalloc\":{\"available\":true,\"note\":\"%s\",\"seconds\":%.9f,"
		"\"allocs\":%llu,\"failed\":%llu,\"frees\":%llu,\"frees_unknown\":%llu,"
		"\"purges\":%llu,\"empty_purges\":%llu,\"purged_pages\":%llu,\"lazy_pages\":%llu,"
		"\"live_areas\":%llu,\"live_bytes\":%llu,\"sites\":[",
		h->meta.stacks ? "" : "recorded without stacks: call sites are unknown (record "
		"with -g)", vmalloc_an__seconds(h->vm), U(t->allocs), U(t->failed), U(t->frees),
		U(t->frees_unknown), U(t->purges), U(t->empty_purges), U(t->purged_pages),
		U(t->lazy_pages), U(t->live_areas), U(t->live_bytes));
	for (__u32 i = 0; i < h->vm_n && i < HTML_MAX_ROWS; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_vm_site(f, h, h->vm_order[i]);
	}
	fprintf(f, "]}");
}

static void json_data(FILE *f, const struct html_run *h)
{
	fprintf(f, "{\"version\":1,\"tool\":\"kmmtrace %s\",\"file\":", KMMTRACE_VERSION);
	jstr(f, h->o->trace);
	fprintf(f, ",\"kernel\":");
	jstr(f, h->meta.release);
	fprintf(f, ",\"events\":%llu,\"seconds\":%.6f,", U(h->rep->events), h->rep->seconds);
	json_report(f, h);
	fputc(',', f);
	json_replay(f, h);
	fputc(',', f);
	json_lint(f, h);
	fputc(',', f);
	json_vmalloc(f, h);
	fputc('}', f);
}

/* ---- the static page ---- */

static void hstr(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* 1234567 as 1,234,567 into buf (32 bytes): as the page's script shows integers. */
static const char *grouped(__u64 v, char *buf)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", U(v)), k = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = 0;
	return buf;
}

static void hnum(FILE *f, __u64 v)
{
	char buf[32];

	fputs(grouped(v, buf), f);
}

static void td_num(FILE *f, const char *cls, __u64 v)
{
	fprintf(f, "<td class=\"c-%s num\">", cls);
	hnum(f, v);
	fputs("</td>", f);
}

static void td_str(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td class=\"c-%s\">", cls);
	hstr(f, s);
	fputs("</td>", f);
}

/* A row of a key-value table; id names the number for tests and scripts. */
static void kv_row(FILE *f, const char *id, const char *label, __u64 v)
{
	fprintf(f, "<tr><th>%s</th><td class=\"num\" id=\"%s\">", label, id);
	hnum(f, v);
	fputs("</td></tr>\n", f);
}

static const char page_css[] =
	":root { --fg: #1d2330; --muted: #5b6475; --line: #dde1e8; --alt: #f4f6f9;\n"
	"  --err: #b3261e; --warn: #9a5b00; --info: #245fa8; }\n"
	"body { font: 14px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif;\n"
	"  color: var(--fg); margin: 0; }\n"
	"header { background: #20293a; color: #fff; padding: 16px 24px; }\n"
	"header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }\n"
	"header p { margin: 0; color: #c9d1e0; }\n"
	"nav { padding: 8px 24px; border-bottom: 1px solid var(--line);\n"
	"  background: var(--alt); }\n"
	"nav a { margin-right: 16px; color: var(--info); text-decoration: none; }\n"
	"main { max-width: 1280px; margin: 0 auto; padding: 0 24px 48px; }\n"
	"h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px;\n"
	"  border-bottom: 1px solid var(--line); }\n"
	"h3 { font-size: 15px; margin: 20px 0 6px; }\n"
	"p.note, .note { color: var(--muted); }\n"
	"table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }\n"
	"th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left;\n"
	"  vertical-align: top; }\n"
	"thead th { background: var(--alt); white-space: nowrap; cursor: pointer;\n"
	"  user-select: none; }\n"
	"table.kv th { font-weight: normal; color: var(--muted); }\n"
	".num { text-align: right; font-variant-numeric: tabular-nums; }\n"
	"tbody tr:nth-child(even) { background: #fafbfc; }\n"
	".c-key, .c-site, .c-name, code { font-size: 12px;\n"
	"  font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }\n"
	".chart { position: relative; height: 320px; margin: 8px 0 16px; }\n"
	".grid { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }\n"
	"@media (max-width: 960px) { .grid { grid-template-columns: 1fr; } }\n"
	".sev-error { color: var(--err); font-weight: 600; }\n"
	".sev-warning { color: var(--warn); font-weight: 600; }\n"
	".sev-info { color: var(--info); }\n"
	".why { color: var(--muted); margin: 4px 0; }\n"
	"ol.stack { margin: 4px 0; padding-left: 20px; }\n"
	"#kmt-error { margin: 16px 0; padding: 8px 12px; background: #fdecea;\n"
	"  color: var(--err); }\n"
	"footer { color: var(--muted); font-size: 12px; margin-top: 40px; }\n"
	"button.more { margin: -8px 0 14px; font: inherit; font-size: 12px; cursor: pointer; }\n"
	".tablewrap { overflow-x: auto; }\n"
	"td.c-rule, td.c-severity, td.c-first_s, td.c-count { white-space: nowrap; }\n"
	"td.c-gfp, td.c-what { max-width: 260px; overflow-wrap: anywhere; }\n"
	".nojs .chart, .nojs .js-only { display: none; }\n";

static const char page_js[] =
	"(function () {\n"
	"'use strict';\n"
	"var body = document.body, charts = [], zoneCharts = [];\n"
	"document.documentElement.className = '';\n"
	"function fail(msg) {\n"
	"  var e = document.getElementById('kmt-error');\n"
	"  body.setAttribute('data-kmt-status', 'error');\n"
	"  e.hidden = false;\n"
	"  e.textContent = 'This page could not be drawn: ' + msg;\n"
	"}\n"
	"window.addEventListener('error', function (ev) {\n"
	"  fail(ev.message || 'script error');\n"
	"});\n"
	"function $(id) { return document.getElementById(id); }\n"
	"function el(tag, cls, text) {\n"
	"  var e = document.createElement(tag);\n"
	"  if (cls) e.className = cls;\n"
	"  if (text !== undefined && text !== null) e.textContent = text;\n"
	"  return e;\n"
	"}\n"
	"function num(v) {\n"
	"  if (typeof v !== 'number') return v === undefined || v === null ? '' : String(v);\n"
	"  if (Number.isInteger(v)) return String(v).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',');\n"
	"  return v.toFixed(3);\n"
	"}\n"
	"function fix(d) { return function (v) { return v.toFixed(d); }; }\n"
	"function idx(v) { return (v / 1000).toFixed(3); }\n"
	"function dur(ns) {\n"
	"  if (!ns) return '-';\n"
	"  if (ns < 1e6) return (ns / 1e3).toFixed(1) + ' us';\n"
	"  if (ns < 1e9) return (ns / 1e6).toFixed(1) + ' ms';\n"
	"  return (ns / 1e9).toFixed(2) + ' s';\n"
	"}\n"
	"function human(v) {\n"
	"  var u = ['', 'K', 'M', 'G', 'T'], i = 0;\n"
	"  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }\n"
	"  return (i ? v.toFixed(v < 10 ? 1 : 0) : String(v)) + u[i];\n"
	"}\n"
	"function shorten(s) { return s.length > 48 ? s.slice(0, 47) + '\\u2026' : s; }\n"
	"function hue(i, n) {\n"
	"  return 'hsl(' + Math.round(i * 330 / Math.max(n, 1)) + ',65%,45%)';\n"
	"}\n"
	"/* cols: {k: class key, t: title, n: numeric, v(row): value, s(row): sort key,\n"
	" * f(value, row): text, h(td, value, row): fills the cell} */\n"
	"function table(id, cols, rows) {\n"
	"  var wrap = el('div', 'tablewrap'), t = el('table', 'data'), head = el('tr');\n"
	"  var tb = el('tbody');\n"
	"  var more = el('button', 'more'), dir = [], all = false, shown = rows;\n"
	"  t.id = id;\n"
	"  function val(c, r) { return c.v ? c.v(r) : r[c.k]; }\n"
	"  function fill(rs) {\n"
	"    shown = rs;\n"
	"    tb.textContent = '';\n"
	"    if (!rs.length) {\n"
	"      var td = el('td', 'none', 'none');\n"
	"      td.colSpan = cols.length;\n"
	"      tb.appendChild(el('tr')).appendChild(td);\n"
	"    }\n"
	"    more.hidden = all || rs.length <= 25;\n"
	"    more.textContent = 'show all ' + rs.length + ' rows';\n"
	"    rs.slice(0, all ? rs.length : 25).forEach(function (r) {\n"
	"      var tr = el('tr');\n"
	"      cols.forEach(function (c) {\n"
	"        var v = val(c, r), td = el('td', 'c-' + c.k + (c.n ? ' num' : ''));\n"
	"        if (c.h) c.h(td, v, r);\n"
	"        else td.textContent = c.f ? c.f(v, r) : num(v);\n"
	"        tr.appendChild(td);\n"
	"      });\n"
	"      tb.appendChild(tr);\n"
	"    });\n"
	"  }\n"
	"  function sort(i) {\n"
	"    var c = cols[i], d = dir[i] = dir[i] ? -dir[i] : (c.n ? -1 : 1);\n"
	"    fill(rows.slice().sort(function (a, b) {\n"
	"      var x = c.s ? c.s(a) : val(c, a), y = c.s ? c.s(b) : val(c, b);\n"
	"      return (x < y ? -1 : x > y ? 1 : 0) * d;\n"
	"    }));\n"
	"  }\n"
	"  cols.forEach(function (c, i) {\n"
	"    var th = el('th', c.n ? 'num' : '', c.t);\n"
	"    th.title = 'sort by ' + c.t;\n"
	"    th.addEventListener('click', function () { sort(i); });\n"
	"    head.appendChild(th);\n"
	"  });\n"
	"  more.addEventListener('click', function () { all = true; fill(shown); });\n"
	"  t.appendChild(el('thead')).appendChild(head);\n"
	"  t.appendChild(tb);\n"
	"  fill(rows);\n"
	"  wrap.appendChild(t);\n"
	"  wrap.appendChild(more);\n"
	"  return wrap;\n"
	"}\n"
	"function place(box, node, staticId) {\n"
	"  $(box).appendChild(node);\n"
	"  if (staticId) $(staticId).hidden = true;\n"
	"}\n"
	"function newChart(id, cfg, list) {\n"
	"  cfg.options = Object.assign({ animation: false, responsive: true,\n"
	"    maintainAspectRatio: false }, cfg.options || {});\n"
	"  list.push(new Chart($(id), cfg));\n"
	"}\n"
	"function axis(text, extra) {\n"
	"  return Object.assign({ title: { display: true, text: text } }, extra || {});\n"
	"}\n"
	"function groupCols(name) {\n"
	"  return [\n"
	"    { k: 'key', t: name, f: String },\n"
	"    { k: 'allocs', t: 'allocs', n: 1 },\n"
	"    { k: 'bytes_req', t: 'bytes requested', n: 1 },\n"
	"    { k: 'bytes_alloc', t: 'bytes allocated', n: 1 },\n"
	"    { k: 'frag', t: 'frag %', n: 1, f: fix(2), v: function (r) {\n"
	"      return r.bytes_alloc ? 100 - 100 * r.bytes_req / r.bytes_alloc : 0; } },\n"
	"    { k: 'frees', t: 'frees', n: 1 },\n"
	"    { k: 'live', t: 'live', n: 1 },\n"
	"    { k: 'live_bytes', t: 'live bytes', n: 1 },\n"
	"    { k: 'cross_cpu_frees', t: 'cross-CPU frees', n: 1 },\n"
	"    { k: 'lifetime_p50_ns', t: 'lifetime p50', n: 1, f: dur }\n"
	"  ];\n"
	"}\n"
	"function renderReport(R) {\n"
	"  var top = R.groups.slice().sort(function (a, b) {\n"
	"    return b.bytes_alloc - a.bytes_alloc;\n"
	"  }).slice(0, 15), cols = groupCols(R.group_by);\n"
	"  place('callsites-box', table('callsites', cols, R.groups), 'static-callsites');\n"
	"  place('page-groups-box', table('page-groups', cols, R.page_groups));\n"
	"  place('caches-box', table('caches', [\n"
	"    { k: 'name', t: 'cache' }, { k: 'live', t: 'live objects', n: 1 },\n"
	"    { k: 'full', t: 'full slabs', n: 1 }, { k: 'partial', t: 'partial', n: 1 },\n"
	"    { k: 'empty', t: 'empty', n: 1 }, { k: 'memory', t: 'memory', n: 1 },\n"
	"    { k: 'internal_waste', t: 'internal waste', n: 1 },\n"
	"    { k: 'external_waste', t: 'external waste', n: 1 }], R.caches));\n"
	"  place('gfp-box', table('gfp', [{ k: 'key', t: 'GFP flags' },\n"
	"    { k: 'allocs', t: 'allocs', n: 1 },\n"
	"    { k: 'bytes_alloc', t: 'bytes', n: 1 }], R.gfp));\n"
	"  place('context-box', table('context', [{ k: 'context', t: 'context' },\n"
	"    { k: 'may_reclaim', t: 'may reclaim', n: 1 },\n"
	"    { k: 'no_reclaim', t: 'no reclaim', n: 1 }],\n"
	"    R.context.filter(function (r) { return r.may_reclaim || r.no_reclaim; })));\n"
	"  newChart('chart-callsites', { type: 'bar', data: {\n"
	"    labels: top.map(function (r) { return shorten(r.key); }),\n"
	"    datasets: [\n"
	"      { label: 'bytes allocated', backgroundColor: hue(0, 3),\n"
	"        data: top.map(function (r) { return r.bytes_alloc; }) },\n"
	"      { label: 'bytes requested', backgroundColor: hue(2, 3),\n"
	"        data: top.map(function (r) { return r.bytes_req; }) }] },\n"
	"    options: { indexAxis: 'y', scales: { y: { ticks: { autoSkip: false } },\n"
	"      x: axis('bytes', { ticks: { callback: human } }) } }\n"
	"  }, charts);\n"
	"}\n"
	"function points(t, v, f) {\n"
	"  return v.map(function (y, i) { return { x: t[i], y: f(y) }; });\n"
	"}\n"
	"function positive(y) { return y > 0 ? y : null; }\n"
	"function drawZone(P, z) {\n"
	"  var Z = P.zones[z], S = Z.series, thp = P.thp_order, few = S.t.length < 60;\n"
	"  var t = S.t.map(function (x) { return x / 1e9; }), end = [];\n"
	"  zoneCharts.forEach(function (c) { c.destroy(); });\n"
	"  zoneCharts = [];\n"
	"  newChart('chart-frag', { type: 'line', data: {\n"
	"    datasets: S.nr_free.map(function (v, o) {\n"
	"      return { label: 'order ' + o, data: points(t, v, positive),\n"
	"        borderColor: hue(o, P.nr_orders), backgroundColor: hue(o, P.nr_orders),\n"
	"        pointRadius: few ? 2 : 0, borderWidth: 1.5 };\n"
	"    }) }, options: { scales: { x: axis('trace time (s)', { type: 'linear' }),\n"
	"    y: axis('free blocks', { type: 'logarithmic' }) } } }, zoneCharts);\n"
	"  newChart('chart-index', { type: 'line', data: { datasets: [\n"
	"    { label: 'fragmentation index, order ' + thp, borderColor: hue(0, 2),\n"
	"      backgroundColor: hue(0, 2), pointRadius: few ? 2 : 0,\n"
	"      data: points(t, S.fragmentation_index_thp, function (y) { return y / 1000; }) },\n"
	"    { label: 'unusable free index, order ' + thp, borderColor: hue(1, 2),\n"
	"      backgroundColor: hue(1, 2), pointRadius: few ? 2 : 0,\n"
	"      data: points(t, S.unusable_index_thp, function (y) { return y / 1000; }) }] },\n"
	"    options: { scales: { x: axis('trace time (s)', { type: 'linear' }),\n"
	"      y: axis('index', { min: -1, max: 1 }) } } }, zoneCharts);\n"
	"  end.push({ label: 'model', backgroundColor: hue(0, 3), data: Z.end.nr_free });\n"
	"  if (Z.kernel_end)\n"
	"    end.push({ label: 'kernel (/proc/buddyinfo)', backgroundColor: hue(2, 3),\n"
	"      data: Z.kernel_end.nr_free });\n"
	"  newChart('chart-orders', { type: 'bar', data: {\n"
	"    labels: Z.end.nr_free.map(function (v, o) { return String(o); }), datasets: end },\n"
	"    options: { scales: { x: axis('order'),\n"
	"    y: axis('free blocks at the end', { type: 'logarithmic' }) } } }, zoneCharts);\n"
	"  $('orders-box').textContent = '';\n"
	"  place('orders-box', table('orders', [{ k: 'order', t: 'order', n: 1 },\n"
	"    { k: 'model', t: 'free blocks (model)', n: 1 },\n"
	"    { k: 'kernel', t: 'free blocks (kernel)', n: 1 },\n"
	"    { k: 'frag', t: 'fragmentation index', n: 1, f: idx },\n"
	"    { k: 'unusable', t: 'unusable index', n: 1, f: idx }],\n"
	"    Z.end.nr_free.map(function (v, o) {\n"
	"      return { order: o, model: v,\n"
	"        kernel: Z.kernel_end ? Z.kernel_end.nr_free[o] : '-',\n"
	"        frag: Z.end.fragmentation_index[o], unusable: Z.end.unusable_index[o] };\n"
	"    })), 'static-orders');\n"
	"}\n"
	"function renderReplay(P) {\n"
	"  var best = 0, sel;\n"
	"  if (P.note) $('replay-note').textContent = P.note;\n"
	"  if (P.error || !P.zones.length) {\n"
	"    $('replay-note').textContent = 'No buddy-allocator replay: ' +\n"
	"      (P.error || 'no zones');\n"
	"    $('replay-charts').hidden = true;\n"
	"    return;\n"
	"  }\n"
	"  P.zones.forEach(function (z, i) {\n"
	"    if (z.present > P.zones[best].present) best = i;\n"
	"  });\n"
	"  if (P.zones.length > 1) {\n"
	"    sel = el('select');\n"
	"    sel.id = 'zone-select';\n"
	"    P.zones.forEach(function (z, i) {\n"
	"      var o = el('option', '', 'node ' + z.node + ' zone ' + z.zone);\n"
	"      o.value = String(i);\n"
	"      sel.appendChild(o);\n"
	"    });\n"
	"    sel.value = String(best);\n"
	"    sel.addEventListener('change', function () { drawZone(P, Number(sel.value)); });\n"
	"    $('zone-box').appendChild(el('label', '', 'zone ')).appendChild(sel);\n"
	"  } else {\n"
	"    $('zone-box').textContent = 'node ' + P.zones[0].node + ' zone ' +\n"
	"      P.zones[0].zone;\n"
	"  }\n"
	"  drawZone(P, best);\n"
	"}\n"
	"function stackCell(td, v, r) {\n"
	"  var d = el('details'), ol = el('ol', 'stack');\n"
	"  d.appendChild(el('summary', '', v));\n"
	"  d.appendChild(el('div', 'why', r.summary + ' (' + r.reference + ')'));\n"
	"  r.stack.forEach(function (s) { ol.appendChild(el('li', '', s)); });\n"
	"  if (r.stack.length) d.appendChild(ol);\n"
	"  td.appendChild(d);\n"
	"}\n"
	"function renderLint(L) {\n"
	"  var rank = { error: 0, warning: 1, info: 2 };\n"
	"  place('lint-box', table('lint', [\n"
	"    { k: 'severity', t: 'severity', s: function (r) { return -rank[r.severity]; },\n"
	"      h: function (td, v) { td.textContent = v; td.className += ' sev-' + v; } },\n"
	"    { k: 'rule', t: 'rule' },\n"
	"    { k: 'site', t: 'call site', h: stackCell },\n"
	"    { k: 'count', t: 'count', n: 1 },\n"
	"    { k: 'context', t: 'context' },\n"
	"    { k: 'gfp', t: 'GFP flags' },\n"
	"    { k: 'what', t: 'example' },\n"
	"    { k: 'task', t: 'task', v: function (r) { return r.comm + ' (' + r.pid + ')'; } },\n"
	"    { k: 'first_s', t: 'first \\u2013 last (s)', n: 1, f: function (v, r) {\n"
	"      return v.toFixed(3) + ' \\u2013 ' + r.last_s.toFixed(3); } }],\n"
	"    L.findings), 'static-lint');\n"
	"}\n"
	"function renderVmalloc(V) {\n"
	"  if (!V.available) return;\n"
	"  place('vmalloc-box', table('vmalloc', [\n"
	"    { k: 'site', t: 'call site' }, { k: 'areas', t: 'areas', n: 1 },\n"
	"    { k: 'failed', t: 'failed', n: 1 }, { k: 'frees', t: 'frees', n: 1 },\n"
	"    { k: 'bytes', t: 'bytes', n: 1 }, { k: 'min_bytes', t: 'min', n: 1 },\n"
	"    { k: 'max_bytes', t: 'max', n: 1 }, { k: 'ptes', t: '4 KiB PTEs', n: 1 },\n"
	"    { k: 'live_areas', t: 'live areas', n: 1 },\n"
	"    { k: 'live_bytes', t: 'live bytes', n: 1 },\n"
	"    { k: 'purge_share', t: 'purges caused', n: 1, f: fix(2) },\n"
	"    { k: 'churn_per_s', t: 'churn/s', n: 1, f: fix(1) },\n"
	"    { k: 'flags', t: 'flags', f: function (v) { return v.join(' '); } }], V.sites),\n"
	"    'static-vmalloc');\n"
	"}\n"
	"var D;\n"
	"try {\n"
	"  D = JSON.parse($('kmt-data').textContent);\n"
	"} catch (e) {\n"
	"  fail('the embedded data do not parse: ' + e.message);\n"
	"  return;\n"
	"}\n"
	"if (typeof Chart === 'undefined') {\n"
	"  fail('the inlined charting library did not load');\n"
	"  return;\n"
	"}\n"
	"renderReport(D.report);\n"
	"renderReplay(D.replay);\n"
	"renderLint(D.lint);\n"
	"renderVmalloc(D.vmalloc);\n"
	"body.setAttribute('data-kmt-charts', String(charts.length + zoneCharts.length));\n"
	"if (body.getAttribute('data-kmt-status') !== 'error')\n"
	"  body.setAttribute('data-kmt-status', 'ok');\n"
	"})();\n";

static void html_head(FILE *f, const struct html_run *h)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\" class=\"nojs\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
		"<meta name=\"generator\" content=\"kmmtrace %s\">\n<title>kmmtrace report: ",
		KMMTRACE_VERSION);
	hstr(f, h->o->trace);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body data-kmt-status=\"static\">\n"
		"<header><h1>kmmtrace report</h1><p><span id=\"trace-file\">", page_css);
	hstr(f, h->o->trace);
	fprintf(f, "</span>: kernel ");
	hstr(f, h->meta.release[0] ? h->meta.release : "unknown");
	fprintf(f, ", <span id=\"total-events\">");
	hnum(f, h->rep->events);
	fprintf(f, "</span> events over %.3f s</p></header>\n<nav><a href=\"#sec-totals\">totals"
		"</a><a href=\"#sec-fragmentation\">fragmentation</a><a href=\"#sec-callsites\">"
		"call sites</a><a href=\"#sec-lint\">lint</a><a href=\"#sec-vmalloc\">vmalloc</a>"
		"</nav>\n<main>\n<div id=\"kmt-error\" hidden></div>\n<noscript><p class=\"note\">"
		"Without JavaScript: no charts, and only the key tables.</p></noscript>\n",
		h->rep->seconds);
}

static void html_totals(FILE *f, const struct html_run *h)
{
	const struct report_slab_totals *s = &h->rep->slab;
	const struct report_page_totals *p = &h->rep->page;
	const struct vmap_totals *t = h->vm ? vmap_model__totals(vmalloc_an__model(h->vm)) : NULL;

	fprintf(f, "<section id=\"sec-totals\"><h2>Totals</h2>\n<div class=\"grid\"><div>\n"
		"<h3>Slab allocations (perf kmem stat's definitions)</h3>\n"
		"<table class=\"kv\" id=\"totals\">\n");
	kv_row(f, "total-slab-allocs", "allocations", s->nr_allocs);
	kv_row(f, "total-slab-bytes-req", "bytes requested", s->requested);
	kv_row(f, "total-slab-bytes-alloc", "bytes allocated", s->allocated);
	kv_row(f, "total-slab-bytes-freed", "bytes freed", s->freed);
	kv_row(f, "total-slab-frees", "frees", s->nr_frees);
	fprintf(f, "<tr><th>internal fragmentation</th><td class=\"num\">%.2f %%</td></tr>\n"
		"</table>\n<h3>Page allocations</h3>\n<table class=\"kv\" id=\"totals-page\">\n",
		s->allocated ? 100.0 - 100.0 * s->requested / s->allocated : 0.0);
	kv_row(f, "total-page-allocs", "allocations", p->nr_allocs);
	kv_row(f, "total-page-alloc-bytes", "bytes", p->alloc_bytes);
	kv_row(f, "total-page-frees", "frees", p->nr_frees);
	kv_row(f, "total-page-fails", "failures", p->nr_fails);
	fprintf(f, "</table>\n</div><div>\n<h3>Findings</h3>\n"
		"<table class=\"kv\" id=\"totals-findings\">\n");
	kv_row(f, "lint-errors", "lint errors", h->lint_by[LINT_ERROR]);
	kv_row(f, "lint-warnings", "lint warnings", h->lint_by[LINT_WARNING]);
	kv_row(f, "lint-info", "lint hints (info)", h->lint_by[LINT_INFO]);
	kv_row(f, "lint-allocs", "allocations checked", lint__stats(h->lint)->allocs);
	if (t) {
		kv_row(f, "vmalloc-areas", "vmalloc areas", t->allocs);
		kv_row(f, "vmalloc-purges", "vmalloc purges (TLB flush IPIs)", t->purges);
		kv_row(f, "vmalloc-live-bytes", "vmalloc bytes live at the end", t->live_bytes);
	}
	fprintf(f, "</table>\n</div></div>\n</section>\n");
}

static void static_orders_row(FILE *f, const char *label, const __u64 *v, unsigned int n)
{
	fprintf(f, "<tr><td>");
	hstr(f, label);
	fprintf(f, "</td>");
	for (unsigned int o = 0; o < n; o++)
		td_num(f, "order", v[o]);
	fprintf(f, "</tr>\n");
}

static void static_orders(FILE *f, const struct html_run *h)
{
	const struct replay_result *res = &h->rr;

	fprintf(f, "<table class=\"data\" id=\"static-orders\"><thead><tr><th>free blocks at the "
		"end, order</th>");
	for (unsigned int o = 0; o < res->nr_orders; o++)
		fprintf(f, "<th class=\"num\">%u</th>", o);
	fprintf(f, "</tr></thead><tbody>\n");
	for (int z = 0; z < res->nr_zones && z < REPLAY_MAX_ZONES; z++) {
		char label[64];

		if (!zone_shown(h, z))
			continue;
		snprintf(label, sizeof(label), "node %u zone %.12s (model)", res->zones[z].node,
			 res->zones[z].name);
		static_orders_row(f, label, res->samples[res->nr_samples - 1].zone[z].nr_free,
				  res->nr_orders);
		snprintf(label, sizeof(label), "node %u zone %.12s (kernel)", res->zones[z].node,
			 res->zones[z].name);
		if (res->end[z].have_kernel)
			static_orders_row(f, label, res->end[z].kernel_nr_free, res->nr_orders);
	}
	fprintf(f, "</tbody></table>\n");
}

static void html_fragmentation(FILE *f, const struct html_run *h)
{
	__u64 iv = h->interval_ns;

	fprintf(f, "<section id=\"sec-fragmentation\"><h2>Fragmentation over time</h2>\n"
		"<p class=\"note\">");
	if (h->replay_err)
		fprintf(f, "<span id=\"replay-note\">No buddy-allocator replay: ");
	else
		fprintf(f, "The buddy allocator replayed over the trace from its start free-page "
			"map (<code>kmmtrace replay</code>), sampled every %g %s of trace time. "
			"<span id=\"replay-note\">", iv >= 1000000000 ? iv / 1e9 :
			iv >= 1000000 ? iv / 1e6 : iv / 1e3, iv >= 1000000000 ? "s" :
			iv >= 1000000 ? "ms" : "us");
	hstr(f, h->replay_why);
	fprintf(f, "</span></p>\n<div id=\"replay-charts\"%s>\n<div id=\"zone-box\"></div>\n"
		"<h3 class=\"js-only\">Free blocks per order</h3>\n"
		"<div class=\"chart\"><canvas id=\"chart-frag\"></canvas></div>\n"
		"<h3 class=\"js-only\">Fragmentation index and unusable free index of order %u "
		"(THP size)</h3>\n"
		"<div class=\"chart\"><canvas id=\"chart-index\"></canvas></div>\n"
		"<h3>Free blocks per order at the end</h3>\n<div class=\"grid\">"
		"<div class=\"chart\"><canvas id=\"chart-orders\"></canvas></div>\n"
		"<div><div id=\"orders-box\"></div>\n", h->replay_err ? " hidden" : "",
		h->rr.thp_order);
	static_orders(f, h);
	fprintf(f, "</div></div>\n</div>\n</section>\n");
}

static void static_callsites(FILE *f, const struct html_run *h)
{
	const struct report *rep = h->rep;
	size_t rows = h->o->lines > 0 && (size_t)h->o->lines < rep->nr_slab_groups ?
		      (size_t)h->o->lines : rep->nr_slab_groups;

	fprintf(f, "<table class=\"data\" id=\"static-callsites\"><thead><tr><th>%s</th>"
		"<th class=\"num\">allocs</th><th class=\"num\">bytes requested</th>"
		"<th class=\"num\">bytes allocated</th><th class=\"num\">frees</th>"
		"<th class=\"num\">live</th><th class=\"num\">live bytes</th></tr></thead>"
		"<tbody>\n", report__group_name(h->o->group));
	for (size_t i = 0; i < rows; i++) {
		const struct report_group_stat *g = &rep->slab_groups[i];

		fprintf(f, "<tr>");
		td_str(f, "key", g->key);
		td_num(f, "allocs", g->allocs);
		td_num(f, "bytes_req", g->bytes_req);
		td_num(f, "bytes_alloc", g->bytes_alloc);
		td_num(f, "frees", g->frees);
		td_num(f, "live", g->live);
		td_num(f, "live_bytes", g->live_bytes);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table>\n");
}

static void html_callsites(FILE *f, const struct html_run *h)
{
	const char *g = report__group_name(h->o->group);

	fprintf(f, "<section id=\"sec-callsites\"><h2>Slab allocations by %s</h2>\n"
		"<p class=\"note\">Sorted by <code>", g);
	hstr(f, h->o->sort ? h->o->sort : "");
	fprintf(f, "</code>; the chart shows the 15 largest by bytes allocated.</p>\n"
		"<div class=\"chart\"><canvas id=\"chart-callsites\"></canvas></div>\n"
		"<div id=\"callsites-box\"></div>\n");
	static_callsites(f, h);
	fprintf(f, "<div class=\"js-only\">\n<h3>Page allocations by %s</h3>\n"
		"<div id=\"page-groups-box\"></div>\n<h3>Slab caches at the end (model)</h3>\n"
		"<div id=\"caches-box\"></div>\n<div class=\"grid\"><div><h3>GFP flags</h3>"
		"<div id=\"gfp-box\"></div></div>\n<div><h3>Allocations by context and GFP "
		"class</h3><div id=\"context-box\"></div></div></div>\n</div>\n</section>\n", g);
}

static void static_lint(FILE *f, const struct html_run *h)
{
	const struct lint_finding *x;
	size_t n;

	x = lint__findings(h->lint, &n);
	fprintf(f, "<table class=\"data\" id=\"static-lint\"><thead><tr><th>severity</th>"
		"<th>rule</th><th>call site</th><th class=\"num\">count</th><th>context</th>"
		"<th>GFP flags</th><th>task</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n && (h->o->lines <= 0 || i < (size_t)h->o->lines); i++) {
		const struct lint_rule *r = &lint_rules[x[i].rule];
		char buf[256];

		fprintf(f, "<tr><td class=\"c-severity sev-%s\">%s</td>",
			lint_severity_name(r->severity), lint_severity_name(r->severity));
		td_str(f, "rule", r->id);
		td_str(f, "site", x[i].site);
		td_num(f, "count", x[i].count);
		lint_example_context(&x[i].example, buf, sizeof(buf));
		td_str(f, "context", buf);
		lint__gfp_name(h->lint, x[i].example.gfp, buf, sizeof(buf));
		td_str(f, "gfp", x[i].example.type == KMT_EV_VMAP_ALLOC ? "" : buf);
		td_str(f, "task", x[i].comm);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table>\n");
}

static void html_lint(FILE *f, const struct html_run *h)
{
	const struct lint_stats *st = lint__stats(h->lint);
	const char *notes = lint__notes(h->lint);
	char b[32];

	fprintf(f, "<section id=\"sec-lint\"><h2>GFP misuse (lint)</h2>\n<p>%zu error%s, "
		"%zu warning%s, %zu info; %s allocations checked",
		h->lint_by[LINT_ERROR], h->lint_by[LINT_ERROR] == 1 ? "" : "s",
		h->lint_by[LINT_WARNING], h->lint_by[LINT_WARNING] == 1 ? "" : "s",
		h->lint_by[LINT_INFO], grouped(st->allocs, b));
	if (st->no_ctx)
		fprintf(f, ", %s without context (context rules skipped)", grouped(st->no_ctx, b));
	fprintf(f, ". The rules: <code>kmmtrace lint --rules</code>, docs/LINT.md.</p>\n");
	if (*notes) {
		fprintf(f, "<p class=\"note\">");
		hstr(f, notes);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<div id=\"lint-box\"></div>\n");
	static_lint(f, h);
	fprintf(f, "</section>\n");
}

static void static_vmalloc(FILE *f, const struct html_run *h)
{
	const struct vmap_model *m = vmalloc_an__model(h->vm);

	fprintf(f, "<table class=\"data\" id=\"static-vmalloc\"><thead><tr><th>call site</th>"
		"<th class=\"num\">areas</th><th class=\"num\">bytes</th>"
		"<th class=\"num\">live areas</th><th class=\"num\">live bytes</th>"
		"<th class=\"num\">purges caused</th></tr></thead><tbody>\n");
	for (__u32 i = 0; i < h->vm_n && (h->o->lines <= 0 || i < (__u32)h->o->lines); i++) {
		const struct vmap_site_stats *st = vmap_model__site(m, h->vm_order[i]);

		fprintf(f, "<tr>");
		td_str(f, "site", vmalloc_an__site_name(h->vm, h->vm_order[i]));
		td_num(f, "areas", st->areas);
		td_num(f, "bytes", st->bytes);
		td_num(f, "live_areas", st->live_areas);
		td_num(f, "live_bytes", st->live_bytes);
		fprintf(f, "<td class=\"c-purge_share num\">%.2f</td></tr>\n", st->purge_share);
	}
	fprintf(f, "</tbody></table>\n");
}

static void html_vmalloc(FILE *f, const struct html_run *h)
{
	const struct vmap_totals *t;
	char b[6][32];

	fprintf(f, "<section id=\"sec-vmalloc\"><h2>vmalloc areas by call site</h2>\n");
	if (!h->vm) {
		fprintf(f, "<p class=\"note\">This trace has no vmalloc events (the tracepoints "
			"exist from Linux 6.2).</p>\n</section>\n");
		return;
	}
	t = vmap_model__totals(vmalloc_an__model(h->vm));
	fprintf(f, "<p>%s areas allocated (%s failed), %s lazily freed; %s purges, each a "
		"kernel TLB flush sent to every CPU; live at the end: %s areas, %s bytes. More: "
		"<code>kmmtrace vmalloc</code>, docs/VMALLOC.md.</p>\n", grouped(t->allocs, b[0]),
		grouped(t->failed, b[1]), grouped(t->frees, b[2]), grouped(t->purges, b[3]),
		grouped(t->live_areas, b[4]), grouped(t->live_bytes, b[5]));
	if (!h->meta.stacks)
		fprintf(f, "<p class=\"note\">Recorded without stacks: call sites are unknown "
			"(record with -g).</p>\n");
	fprintf(f, "<div id=\"vmalloc-box\"></div>\n");
	static_vmalloc(f, h);
	fprintf(f, "</section>\n");
}

static void write_page(FILE *f, const struct html_run *h)
{
	html_head(f, h);
	html_totals(f, h);
	html_fragmentation(f, h);
	html_callsites(f, h);
	html_lint(f, h);
	html_vmalloc(f, h);
	fprintf(f, "<footer>Made by kmmtrace %s. Charts: Chart.js (MIT License, Copyright "
		"Chart.js Contributors), inlined from ", KMMTRACE_VERSION);
	hstr(f, h->chartjs_path);
	fprintf(f, ".</footer>\n</main>\n<script type=\"application/json\" id=\"kmt-data\">");
	json_data(f, h);
	fprintf(f, "</script>\n<script>\n");
	write_script_text(f, h->chartjs, h->chartjs_len);
	fprintf(f, "\n</script>\n<script>\n%s</script>\n</body>\n</html>\n", page_js);
}

/* Written next to out and renamed over it: mode 0600 (kernel addresses), never half. */
static int write_file(const struct html_run *h)
{
	size_t len = strlen(h->o->out) + sizeof(".XXXXXX");
	char *tmp = malloc(len);
	FILE *f = NULL;
	int fd = -1, e = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.XXXXXX", h->o->out);
	fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0600) || !(f = fdopen(fd, "w")))
		e = -errno;
	if (!e) {
		write_page(f, h);
		if (ferror(f))
			e = -EIO;
	}
	if (f && fclose(f) && !e)
		e = -errno;
	else if (!f && fd >= 0)
		close(fd);
	if (!e && rename(tmp, h->o->out))
		e = -errno;
	if (e && fd >= 0)
		unlink(tmp);
	if (e)
		fprintf(stderr, "kmmtrace report: failed to write %s: %s\n", h->o->out,
			strerror(-e));
	free(tmp);
	return e;
}

static void html_run_free(struct html_run *h)
{
	lint__free(h->lint);
	vmalloc_an__free(h->vm);
	free(h->vm_order);
	replay_result__free(&h->rr);
	free(h->chartjs);
	free(h);
}

int report_html__write(const struct report_html_opts *o, struct trace_reader *r,
		       const struct report *rep)
{
	struct html_run *h = calloc(1, sizeof(*h));
	const struct lint_finding *x;
	size_t n;
	int e;

	if (!h)
		return -ENOMEM;
	h->o = o;
	h->rep = rep;
	h->r = r;
	e = load_chartjs(h);
	if (!e) {
		tracemeta__load(r, &h->meta);
		run_replay(h);
		e = run_lint(h);
		if (!e)
			e = run_vmalloc(h);
		if (e)
			fprintf(stderr, "kmmtrace report: %s: failed to read the trace: %s\n",
				o->trace, strerror(-e));
	}
	if (!e) {
		x = lint__findings(h->lint, &n);
		for (size_t i = 0; i < n; i++)
			h->lint_by[lint_rules[x[i].rule].severity]++;
		e = write_file(h);
	}
	if (!e)
		fprintf(stderr, "kmmtrace report: wrote %s\n", o->out);
	html_run_free(h);
	return e;
}
