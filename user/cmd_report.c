// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace report: call sites, caches, GFP, context, orders; perf kmem stat's totals. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "jsonout.h"
#include "frames.h"
#include "ksyms.h"
#include "report.h"
#include "report_html.h"

struct report_cmd {
	struct report_opts opts;
	const char *sort;
	int lines;
	bool json;
	bool leaks;
	const char *html;	/* --html OUT */
	const char *path;
};

static const char report_usage[] =
	"usage: kmmtrace report [OPTIONS] FILE\n"
	"\n"
	"Slab and page allocations of a trace: the totals `perf kmem stat` prints, with\n"
	"its definitions, then allocations grouped by call site (or cache, GFP flags,\n"
	"context, order, pid, comm): count, bytes requested and allocated, internal\n"
	"fragmentation, frees, what is still live at the end, frees on another CPU,\n"
	"lifetime; GFP flags used, and allocations by context and GFP class.\n"
	"\n"
	"  -s, --sort KEYS        comma-separated, largest first; '+key' smallest first\n"
	"                         (allocs, bytes_req, bytes_alloc, frag, frees, live_bytes,\n"
	"                         live, cross, lifetime, age; default -bytes_alloc)\n"
	"  -g, --group-by KEY     callsite (default), cache, gfp, context, order, pid, comm\n"
	"  -f, --filter KEY=VAL   only allocations with comm=, pid=, cpu=, cache=, context=,\n"
	"                         callsite=SUBSTRING, gfp=SUBSTRING (repeatable: all must hold)\n"
	"      --leaks            allocations still live at the end, by group, oldest first,\n"
	"                         with the oldest one's stack when recorded with -g\n"
	"      --min-age SECONDS  with --leaks: only groups whose oldest live one is older\n"
	"  -n, --lines N          rows per table (default 20; 0: all)\n"
	"  -i, --interval MS      also sample the slab caches' state every MS of trace time\n"
	"      --no-model         without the slab model (caches' slabs, size-class advice):\n"
	"                         the rest in about three quarters of the time\n"
	"  -j, --json             JSON\n"
	"      --html OUT.html    write one self-contained page instead of the text: these\n"
	"                         tables, fragmentation over time and free blocks per order\n"
	"                         (replay), lint and vmalloc findings, with charts; needs\n"
	"                         Debian's libjs-chart.js (or $KMMTRACE_CHARTJS: Chart.js's\n"
	"                         UMD file), which it inlines; written mode 0600\n"
	"  -h, --help             this help\n";

static int report_opt(struct report_cmd *c, int opt, char *arg)
{
	struct report_filter *f;
	char *eq;

	switch (opt) {
	case 's': c->sort = arg; return 0;
	case 'g':
		if (report__parse_group(arg, &c->opts.group)) {
			fprintf(stderr, "kmmtrace report: unknown group '%s'\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'f':
		eq = strchr(arg, '=');
		if (!eq || c->opts.nr_filters == REPORT_MAX_FILTERS) {
			fprintf(stderr, "kmmtrace report: bad filter '%s' (KEY=VALUE)\n", arg);
			return -EINVAL;
		}
		f = &c->opts.filters[c->opts.nr_filters++];
		snprintf(f->key, sizeof(f->key), "%.*s", (int)(eq - arg), arg);
		snprintf(f->value, sizeof(f->value), "%s", eq + 1);
		return 0;
	case 'L': c->leaks = true; return 0;
	case 'a': c->opts.leak_min_age = atof(arg); return 0;
	case 'n': c->lines = atoi(arg); return 0;
	case 'i': c->opts.interval_ns = atof(arg) * 1e6; return 0;
	case 'M': c->opts.no_model = true; return 0;
	case 'j': c->json = true; return 0;
	case 'H': c->html = arg; return 0;
	case 'h': fputs(report_usage, stdout); return 1;
	default: fputs(report_usage, stderr); return -EINVAL;
	}
}

static int report_parse(struct report_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "filter", required_argument, NULL, 'f' },
		{ "leaks", no_argument, NULL, 'L' },
		{ "min-age", required_argument, NULL, 'a' },
		{ "lines", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "no-model", no_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, e;

	c->sort = "-bytes_alloc";
	c->lines = 20;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:g:f:n:i:jh", opts, NULL)) != -1)
		if ((e = report_opt(c, opt, optarg)))
			return e;
	if (optind != argc - 1) {
		fputs(report_usage, stderr);
		return -EINVAL;
	}
	if (c->opts.no_model && (c->opts.interval_ns || c->html)) {
		fprintf(stderr, "kmmtrace report: --no-model leaves nothing for %s to show: "
			"drop one of them\n", c->html ? "--html" : "-i");
		return -EINVAL;
	}
	c->path = argv[optind];
	return 0;
}

static double frag_pct(__u64 req, __u64 alloc)
{
	return alloc ? 100.0 - 100.0 * req / alloc : 0.0;	/* perf kmem's fragmentation() */
}

static void print_slab_summary(const struct report *rep)
{
	const struct report_slab_totals *t = &rep->slab;

	printf("SUMMARY (SLAB allocator)\n========================\n");
	printf("Total bytes requested: %llu\n", (unsigned long long)t->requested);
	printf("Total bytes allocated: %llu\n", (unsigned long long)t->allocated);
	printf("Total bytes freed:     %llu\n", (unsigned long long)t->freed);
	if (t->allocated > t->freed)
		printf("Net total bytes allocated: %llu\n",
		       (unsigned long long)(t->allocated - t->freed));
	printf("Total bytes wasted on internal fragmentation: %llu\n",
	       (unsigned long long)(t->allocated - t->requested));
	printf("Internal fragmentation: %f%%\n", frag_pct(t->requested, t->allocated));
	printf("Cross CPU allocations: %llu/%llu\n", (unsigned long long)t->nr_cross_allocs,
	       (unsigned long long)t->nr_allocs);
	printf("(frees of objects allocated before the trace began: %llu of %llu)\n",
	       (unsigned long long)t->free_unmatched, (unsigned long long)t->nr_frees);
}

static void print_page_summary(const struct report *rep)
{
	const struct report_page_totals *t = &rep->page;
	__u64 af = t->nr_frees - t->nr_nomatch, afb = t->free_bytes - t->nomatch_bytes;

	printf("\nSUMMARY (page allocator)\n========================\n");
	printf("%-30s: %16llu   [ %16llu KB ]\n", "Total allocation requests",
	       (unsigned long long)t->nr_allocs, (unsigned long long)t->alloc_bytes / 1024);
	printf("%-30s: %16llu   [ %16llu KB ]\n\n", "Total free requests",
	       (unsigned long long)t->nr_frees, (unsigned long long)t->free_bytes / 1024);
	printf("%-30s: %16llu   [ %16llu KB ]\n", "Total alloc+freed requests",
	       (unsigned long long)af, (unsigned long long)afb / 1024);
	printf("%-30s: %16llu   [ %16llu KB ]\n", "Total alloc-only requests",
	       (unsigned long long)(t->nr_allocs - af),
	       (unsigned long long)(t->alloc_bytes - afb) / 1024);
	printf("%-30s: %16llu   [ %16llu KB ]\n\n", "Total free-only requests",
	       (unsigned long long)t->nr_nomatch, (unsigned long long)t->nomatch_bytes / 1024);
	printf("%-30s: %16llu   [ %16llu KB ]\n\n", "Total allocation failures",
	       (unsigned long long)t->nr_fails, (unsigned long long)t->fail_bytes / 1024);
	printf("%5s", "Order");
	for (int m = 0; m < rep->nr_mt; m++)
		printf("  %12s", rep->mt_names[m]);
	printf("\n");
	for (int o = 0; o < 16; o++) {
		bool any = false;

		for (int m = 0; m < rep->nr_mt; m++)
			any |= t->by_order_mt[o][m] != 0;
		if (!any)
			continue;
		printf("%5d", o);
		for (int m = 0; m < rep->nr_mt; m++) {
			if (t->by_order_mt[o][m])
				printf("  %12llu", (unsigned long long)t->by_order_mt[o][m]);
			else
				printf("  %12s", ".");
		}
		printf("\n");
	}
}

static void fmt_ns(__u64 ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
}

static void print_groups(const struct report_cmd *c, const struct report *rep, const char *what,
			 const struct report_group_stat *g, size_t n)
{
	size_t rows = c->lines > 0 && (size_t)c->lines < n ? (size_t)c->lines : n;

	printf("\n%s allocations by %s (sorted by %s; %zu of %zu):\n", what,
	       report__group_name(c->opts.group), c->sort, rows, n);
	printf("%10s %12s %12s %6s %10s %9s %12s %8s %9s %9s  %s\n", "allocs", "bytes_req",
	       "bytes_alloc", "frag%", "frees", "live", "live_bytes", "cross", "life_p50",
	       "allocs/s", report__group_name(c->opts.group));
	for (size_t i = 0; i < rows; i++) {
		char life[16];

		fmt_ns(report__life_pct(&g[i], 0.5), life, sizeof(life));
		printf("%10llu %12llu %12llu %6.2f %10llu %9llu %12llu %8llu %9s %9.0f  %s\n",
		       (unsigned long long)g[i].allocs, (unsigned long long)g[i].bytes_req,
		       (unsigned long long)g[i].bytes_alloc, frag_pct(g[i].bytes_req, g[i].bytes_alloc),
		       (unsigned long long)g[i].frees, (unsigned long long)g[i].live,
		       (unsigned long long)g[i].live_bytes, (unsigned long long)g[i].cross_cpu_frees,
		       life, rep->seconds > 0 ? g[i].allocs / rep->seconds : 0.0, g[i].key);
	}
}

/* The frames of stack id outside the allocators, indented, when the trace has it. */
static void print_stack(const struct trace_reader *r, int id)
{
	const struct kmt_stack *s = id >= 0 ? trace_reader__stack(r, id) : NULL;

	for (__u32 i = 0; s && i < s->nr; i++) {
		const struct kmt_sym *sym = trace_reader__sym(r, s->ips[i]);
		char name[256];

		if (!sym || frames__internal(sym->name))
			continue;
		ksyms__snprint(sym, name, sizeof(name));
		printf("%36s %s\n", "", name);
	}
}

static void print_leaks(const struct report_cmd *c, const struct trace_reader *r,
			struct report_group_stat *g, size_t n, __u64 t_end)
{
	char why[128];

	report__sort(g, n, "age", why, sizeof(why));
	printf("\nstill allocated at the end (oldest first; --min-age %.1f s):\n",
	       c->opts.leak_min_age);
	printf("%9s %12s %10s  %s\n", "live", "live_bytes", "oldest", "group");
	for (size_t i = 0, shown = 0; i < n && (!c->lines || shown < (size_t)c->lines); i++) {
		double age = g[i].oldest_live_ts ? (t_end - g[i].oldest_live_ts) / 1e9 : 0;

		if (!g[i].live || age < c->opts.leak_min_age)
			continue;
		printf("%9llu %12llu %9.3fs  %s\n", (unsigned long long)g[i].live,
		       (unsigned long long)g[i].live_bytes, age, g[i].key);
		print_stack(r, g[i].oldest_live_stack);	/* the oldest one's stack */
		shown++;
	}
}

static void print_slab_model(const struct report_cmd *c, const struct report *rep)
{
	size_t rows = c->lines > 0 && (size_t)c->lines < rep->nr_caches ? (size_t)c->lines :
									    rep->nr_caches;

	if (!rep->have_model) {
		printf("\nslab caches: no model (%s)\n", c->opts.no_model ? "--no-model" :
			"it could not start: out of memory");
		return;
	}
	printf("\nslab caches at the end (model; by memory in slabs; %zu of %zu):\n", rows,
	       rep->nr_caches);
	printf("%-24s %9s %7s %7s %7s %11s %11s %11s %11s\n", "cache", "live", "full", "partial",
	       "empty", "memory", "int.waste", "ext.waste", "ext.waste<=");
	for (size_t i = 0; i < rows; i++) {
		const struct slab_cache_stats *st = &rep->caches[i];

		printf("%-24.24s %9llu %7llu %7llu %7llu %11llu %11llu %11llu %11llu\n",
		       st->name[0] ? st->name : "?", (unsigned long long)st->live_objs,
		       (unsigned long long)st->nr[SLAB_FULL], (unsigned long long)st->nr[SLAB_PARTIAL],
		       (unsigned long long)st->nr[SLAB_EMPTY], (unsigned long long)st->mem_bytes,
		       (unsigned long long)st->internal_waste,
		       (unsigned long long)st->partial_free_bytes,
		       (unsigned long long)(st->partial_free_bytes + st->unknown_bytes));
	}
	printf("(ext.waste: free slots in partial slabs; ext.waste<=: also counting slots the "
	       "trace never touched)\n");
	if (rep->nr_slab_series > 1) {
		printf("\nslab states over time (all caches):\n%10s %9s %9s %9s %12s %12s %12s\n",
		       "t (s)", "full", "partial", "empty", "memory", "int.waste", "ext.waste");
		for (size_t i = 0; i < rep->nr_slab_series; i++) {
			const struct report_slab_sample *s = &rep->slab_series[i];

			printf("%10.3f %9llu %9llu %9llu %12llu %12llu %12llu\n", s->t / 1e9,
			       (unsigned long long)s->full, (unsigned long long)s->partial,
			       (unsigned long long)s->empty, (unsigned long long)s->mem_bytes,
			       (unsigned long long)s->internal_waste,
			       (unsigned long long)s->external_waste);
		}
	}
	if (!rep->nr_advice)
		return;
	printf("\nkmalloc size classes: call sites a dedicated cache would serve with less waste:\n");
	printf("%10s %8s %10s %9s %10s %12s  %s\n", "allocs", "bucket", "waste", "dedicated",
	       "waste", "saving", "call site");
	for (size_t i = 0; i < rep->nr_advice && (!c->lines || i < (size_t)c->lines); i++) {
		const struct report_advice *a = &rep->advice[i];

		printf("%10llu %8u %10llu %9u %10llu %12llu  %s\n",
		       (unsigned long long)a->st.allocs, a->a.bucket_size,
		       (unsigned long long)(a->a.kmalloc_waste + a->a.kmalloc_tail),
		       a->a.dedicated_size,
		       (unsigned long long)(a->a.dedicated_waste + a->a.dedicated_tail),
		       (unsigned long long)a->a.saving, a->site);
	}
}

static void print_percpu(const struct report_cmd *c, const struct report *rep)
{
	size_t rows = c->lines > 0 && (size_t)c->lines < rep->nr_percpu ? (size_t)c->lines :
									     rep->nr_percpu;

	if (!rep->nr_percpu && !rep->percpu_chunks_created)
		return;
	printf("\nper-CPU allocations by call site (by live bytes; %zu of %zu); chunks created "
	       "%llu, destroyed %llu; frees of older allocations %llu:\n", rows, rep->nr_percpu,
	       (unsigned long long)rep->percpu_chunks_created,
	       (unsigned long long)rep->percpu_chunks_destroyed,
	       (unsigned long long)rep->percpu_free_unmatched);
	printf("%8s %8s %10s %12s %8s %12s %6s %7s  %s\n", "allocs", "frees", "size", "bytes_alloc",
	       "live", "live_bytes", "align", "atomic", "call site");
	for (size_t i = 0; i < rows; i++) {
		const struct report_percpu *p = &rep->percpu[i];

		printf("%8llu %8llu %10llu %12llu %8llu %12llu %6u %7llu  %s\n",
		       (unsigned long long)p->allocs, (unsigned long long)p->frees,
		       (unsigned long long)p->bytes, (unsigned long long)p->bytes_alloc,
		       (unsigned long long)p->live, (unsigned long long)p->live_bytes_alloc,
		       p->max_align, (unsigned long long)p->atomic, p->site);
	}
}

static void print_layers(const struct report *rep, bool no_model)
{
	const struct report_layers *l = &rep->layers;

	printf("\nallocated during the trace and still held at its end, each byte once:\n");
	printf("  slab objects                   %14llu bytes (in slabs, which may predate the "
	       "trace)\n", (unsigned long long)l->slab_objects);
	printf("  kmalloc_large()                %14llu bytes (their pages not counted again)\n",
	       (unsigned long long)l->large);
	if (l->classified) {
		printf("  new slab pages                 %14llu bytes\n",
		       (unsigned long long)l->slab_pages);
		printf("  other page allocations         %14llu bytes\n",
		       (unsigned long long)l->other_pages);
	} else if (no_model) {
		printf("  page allocations (unsplit)     %14llu bytes: without the slab model "
		       "(--no-model) slab pages cannot be told apart\n",
		       (unsigned long long)l->unclassified_pages);
	} else {
		printf("  page allocations (unsplit)     %14llu bytes: the direct map's base is "
		       "unknown (no kmalloc_large() in the trace), so slab pages cannot be told "
		       "apart\n", (unsigned long long)l->unclassified_pages);
	}
	printf("  per-CPU allocations            %14llu bytes\n", (unsigned long long)l->percpu);
	printf("(perf kmem's totals above count slab pages and kmalloc_large() pages again "
	       "among page allocations)\n");
}

static void print_gfp_ctx(const struct report *rep)
{
	printf("\nGFP flags of allocations (slab and page):\n%10s %14s  %s\n", "allocs", "bytes",
	       "gfp_flags");
	for (size_t i = 0; i < rep->nr_gfp_groups && i < 30; i++)
		printf("%10llu %14llu  %s\n", (unsigned long long)rep->gfp_groups[i].allocs,
		       (unsigned long long)rep->gfp_groups[i].bytes_alloc, rep->gfp_groups[i].key);
	printf("\nallocations by context and GFP class:\n%-12s %14s %14s\n", "context",
	       "may reclaim", "no reclaim");
	for (int i = 0; i < rep->nr_ctx; i++)
		if (rep->ctx[i].reclaim || rep->ctx[i].atomic)
			printf("%-12s %14llu %14llu\n", rep->ctx[i].context,
			       (unsigned long long)rep->ctx[i].reclaim,
			       (unsigned long long)rep->ctx[i].atomic);
}


static void json_groups(const char *name, const struct report_group_stat *g, size_t n,
			size_t rows)
{
	printf(",\"%s\":[", name);
	for (size_t i = 0; i < n && i < rows; i++) {
		printf("%s{\"key\":", i ? "," : "");
		json_print_string(stdout, g[i].key);
		printf(",\"allocs\":%llu,\"bytes_req\":%llu,\"bytes_alloc\":%llu,\"frees\":%llu,"
		       "\"bytes_freed\":%llu,\"live\":%llu,\"live_bytes\":%llu,\"cross_cpu_frees\":%llu,"
		       "\"lifetime_p50_ns\":%llu,\"lifetime_p99_ns\":%llu,\"oldest_live_ts\":%llu,"
		       "\"oldest_live_stack_id\":%d}",
		       (unsigned long long)g[i].allocs, (unsigned long long)g[i].bytes_req,
		       (unsigned long long)g[i].bytes_alloc, (unsigned long long)g[i].frees,
		       (unsigned long long)g[i].bytes_freed, (unsigned long long)g[i].live,
		       (unsigned long long)g[i].live_bytes,
		       (unsigned long long)g[i].cross_cpu_frees,
		       (unsigned long long)report__life_pct(&g[i], 0.5),
		       (unsigned long long)report__life_pct(&g[i], 0.99),
		       (unsigned long long)g[i].oldest_live_ts, g[i].live ? g[i].oldest_live_stack : -1);
	}
	printf("]");
}

static void print_json(const struct report_cmd *c, const struct report *rep)
{
	const struct report_slab_totals *s = &rep->slab;
	const struct report_page_totals *p = &rep->page;
	size_t rows = c->lines > 0 ? (size_t)c->lines : (size_t)-1;

	printf("{\"events\":%llu,\"seconds\":%.6f,\"group_by\":\"%s\",\"slab\":{\"nr_allocs\":%llu,"
	       "\"bytes_requested\":%llu,\"bytes_allocated\":%llu,\"bytes_freed\":%llu,"
	       "\"cross_cpu_allocs\":%llu,\"nr_frees\":%llu,\"frees_unmatched\":%llu},",
	       (unsigned long long)rep->events, rep->seconds, report__group_name(c->opts.group),
	       (unsigned long long)s->nr_allocs, (unsigned long long)s->requested,
	       (unsigned long long)s->allocated, (unsigned long long)s->freed,
	       (unsigned long long)s->nr_cross_allocs, (unsigned long long)s->nr_frees,
	       (unsigned long long)s->free_unmatched);
	printf("\"page\":{\"nr_allocs\":%llu,\"alloc_bytes\":%llu,\"nr_frees\":%llu,"
	       "\"free_bytes\":%llu,\"nr_free_only\":%llu,\"free_only_bytes\":%llu,"
	       "\"nr_fails\":%llu,\"fail_bytes\":%llu}",
	       (unsigned long long)p->nr_allocs, (unsigned long long)p->alloc_bytes,
	       (unsigned long long)p->nr_frees, (unsigned long long)p->free_bytes,
	       (unsigned long long)p->nr_nomatch, (unsigned long long)p->nomatch_bytes,
	       (unsigned long long)p->nr_fails, (unsigned long long)p->fail_bytes);
	json_groups("slab_groups", rep->slab_groups, rep->nr_slab_groups, rows);
	json_groups("page_groups", rep->page_groups, rep->nr_page_groups, rows);
	json_groups("gfp", rep->gfp_groups, rep->nr_gfp_groups, rows);
	printf(",\"context\":[");
	for (int i = 0; i < rep->nr_ctx; i++)
		printf("%s{\"context\":\"%s\",\"may_reclaim\":%llu,\"no_reclaim\":%llu}",
		       i ? "," : "", rep->ctx[i].context, (unsigned long long)rep->ctx[i].reclaim,
		       (unsigned long long)rep->ctx[i].atomic);
	printf("],\"slab_model\":%s,\"caches\":[", rep->have_model ? "true" : "false");
	for (size_t i = 0; i < rep->nr_caches && i < rows; i++) {
		const struct slab_cache_stats *st = &rep->caches[i];

		printf("%s{\"name\":", i ? "," : "");
		json_print_string(stdout, st->name);
		printf(",\"live\":%llu,\"full\":%llu,\"partial\":%llu,\"empty\":%llu,"
		       "\"memory\":%llu,\"internal_waste\":%llu,\"external_waste\":%llu,"
		       "\"external_waste_max\":%llu}", (unsigned long long)st->live_objs,
		       (unsigned long long)st->nr[SLAB_FULL], (unsigned long long)st->nr[SLAB_PARTIAL],
		       (unsigned long long)st->nr[SLAB_EMPTY], (unsigned long long)st->mem_bytes,
		       (unsigned long long)st->internal_waste,
		       (unsigned long long)st->partial_free_bytes,
		       (unsigned long long)(st->partial_free_bytes + st->unknown_bytes));
	}
	printf("],\"size_class_advice\":[");
	for (size_t i = 0; i < rep->nr_advice && i < rows; i++) {
		const struct report_advice *a = &rep->advice[i];

		printf("%s{\"call_site\":", i ? "," : "");
		json_print_string(stdout, a->site);
		printf(",\"allocs\":%llu,\"bucket\":%u,\"dedicated\":%u,\"saving\":%llu}",
		       (unsigned long long)a->st.allocs, a->a.bucket_size, a->a.dedicated_size,
		       (unsigned long long)a->a.saving);
	}
	printf("],\"layers\":{\"classified\":%s,\"slab_objects\":%llu,\"kmalloc_large\":%llu,"
	       "\"slab_pages\":%llu,\"other_pages\":%llu,\"unclassified_pages\":%llu,"
	       "\"percpu\":%llu}", rep->layers.classified ? "true" : "false",
	       (unsigned long long)rep->layers.slab_objects, (unsigned long long)rep->layers.large,
	       (unsigned long long)rep->layers.slab_pages,
	       (unsigned long long)rep->layers.other_pages,
	       (unsigned long long)rep->layers.unclassified_pages,
	       (unsigned long long)rep->layers.percpu);
	printf(",\"slab_series\":[");
	for (size_t i = 0; i < rep->nr_slab_series; i++) {
		const struct report_slab_sample *t = &rep->slab_series[i];

		printf("%s{\"t\":%llu,\"full\":%llu,\"partial\":%llu,\"empty\":%llu,"
		       "\"live\":%llu,\"memory\":%llu,\"internal_waste\":%llu,"
		       "\"external_waste\":%llu}", i ? "," : "", (unsigned long long)t->t,
		       (unsigned long long)t->full, (unsigned long long)t->partial,
		       (unsigned long long)t->empty, (unsigned long long)t->live_objs,
		       (unsigned long long)t->mem_bytes, (unsigned long long)t->internal_waste,
		       (unsigned long long)t->external_waste);
	}
	printf("],\"percpu\":{\"chunks_created\":%llu,\"chunks_destroyed\":%llu,\"sites\":[",
	       (unsigned long long)rep->percpu_chunks_created,
	       (unsigned long long)rep->percpu_chunks_destroyed);
	for (size_t i = 0; i < rep->nr_percpu && i < rows; i++) {
		const struct report_percpu *p = &rep->percpu[i];

		printf("%s{\"call_site\":", i ? "," : "");
		json_print_string(stdout, p->site);
		printf(",\"allocs\":%llu,\"frees\":%llu,\"size\":%llu,\"bytes_alloc\":%llu,"
		       "\"live\":%llu,\"live_bytes_alloc\":%llu,\"max_align\":%u}",
		       (unsigned long long)p->allocs, (unsigned long long)p->frees,
		       (unsigned long long)p->bytes, (unsigned long long)p->bytes_alloc,
		       (unsigned long long)p->live, (unsigned long long)p->live_bytes_alloc,
		       p->max_align);
	}
	printf("]}}\n");
}

int cmd_report(int argc, char **argv)
{
	struct report_cmd c = {};
	struct trace_reader *r;
	struct report rep;
	char why[256] = "";
	int e;

	e = report_parse(&c, argc, argv);
	if (e)
		return e > 0 ? 0 : 2;
	r = open_trace("report", c.path);
	if (!r)
		return 1;
	e = report__run(r, &c.opts, &rep, why, sizeof(why));
	if (!e)
		e = report__sort(rep.slab_groups, rep.nr_slab_groups, c.sort, why, sizeof(why));
	if (!e)
		e = report__sort(rep.page_groups, rep.nr_page_groups, c.sort, why, sizeof(why));
	if (!e)
		e = report__sort(rep.gfp_groups, rep.nr_gfp_groups, "allocs", why, sizeof(why));
	if (e) {
		fprintf(stderr, "kmmtrace report: %s\n", why);
		report__free(&rep);
		trace_reader__free(r);
		return e == -EINVAL ? 2 : 1;
	}
	report_trace_health("report", c.path, r);
	if (c.html) {
		struct report_html_opts ho = { .out = c.html, .trace = c.path,
					       .group = c.opts.group, .sort = c.sort,
					       .lines = c.lines };

		e = report_html__write(&ho, r, &rep);
	}
	if (!e && c.json) {
		print_json(&c, &rep);
	} else if (!e && !c.html) {
		print_slab_summary(&rep);
		print_groups(&c, &rep, "slab", rep.slab_groups, rep.nr_slab_groups);
		print_slab_model(&c, &rep);
		print_page_summary(&rep);
		print_groups(&c, &rep, "page", rep.page_groups, rep.nr_page_groups);
		print_percpu(&c, &rep);
		print_layers(&rep, c.opts.no_model);
		print_gfp_ctx(&rep);
		if (c.leaks)
			print_leaks(&c, r, rep.slab_groups, rep.nr_slab_groups,
				    trace_reader__stats(r)->t_last);
	}
	report__free(&rep);
	trace_reader__free(r);
	return e == -ENOPKG ? 2 : e ? 1 : 0;
}
