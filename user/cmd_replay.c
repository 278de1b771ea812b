// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace replay: the buddy model over a trace, its metrics over time, its fidelity. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "jsonout.h"
#include "replay.h"
#include "svgplot.h"

struct replay_cmd {
	struct replay_opts opts;
	bool json;
	bool check;
	double tol_free;	/* % */
	double tol_order;	/* % */
	unsigned int tol_min_order;
	const char *zone;	/* only this zone name */
	__u32 orders;		/* bit per order shown in text output */
	const char *plot;
	const char *path;
};

static const char replay_usage[] =
	"usage: kmmtrace replay [OPTIONS] FILE\n"
	"\n"
	"Replay a trace's page events through a model of the buddy allocator (free lists\n"
	"per order and migratetype, pageblocks, per-CPU lists), starting from the free-page\n"
	"map recorded at the start, and report fragmentation over time: free blocks per\n"
	"order, the kernel's extfrag and unusable indices, THP-sized blocks, pageblocks per\n"
	"migratetype and mixed pageblocks, and what an ideal compaction would leave.\n"
	"\n"
	"  -i, --interval MS        sample every MS of trace time (default 1000; 0: end only)\n"
	"      --check              compare the end state with the kernel's (end buddyinfo);\n"
	"                           exit 1 beyond the tolerances or on a broken invariant\n"
	"      --tolerance-free PCT total free pages (default 1)\n"
	"      --tolerance-order PCT free blocks per order, orders >= --min-order (default 5)\n"
	"      --min-order N        lowest order --check compares (default 3)\n"
	"      --zone NAME          only zones named NAME (DMA, DMA32, Normal, ...)\n"
	"      --orders LIST        only these orders in the text tables (3-10, 0,9)\n"
	"      --no-pcp             what-if: no per-CPU page lists (frees go to the buddy)\n"
	"      --pageblock-order N  what-if: another pageblock order\n"
	"      --plot FILE.svg      free blocks per order and indices over time, as SVG\n"
	"  -j, --json               JSON (schema in docs/REPLAY.md)\n"
	"  -h, --help               this help\n";

enum { OPT_CHECK = 256, OPT_TOL_FREE, OPT_TOL_ORDER, OPT_MIN_ORDER, OPT_ZONE, OPT_NO_PCP,
       OPT_PB_ORDER, OPT_PLOT, OPT_ORDERS };

static int parse_double(const char *opt, const char *arg, double *out)
{
	char *end;

	*out = strtod(arg, &end);
	if (*end || *out < 0) {
		fprintf(stderr, "kmmtrace replay: bad %s '%s'\n", opt, arg);
		return -EINVAL;
	}
	return 0;
}

/* "3-10" or "0,3,9": a bit per order. */
static int parse_orders(const char *arg, __u32 *mask)
{
	const char *p = arg;

	*mask = 0;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0 || a > 31)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b > 31)
				return -EINVAL;
		}
		for (long o = a; o <= b; o++)
			*mask |= 1u << o;
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

static int replay_opt(struct replay_cmd *c, int opt, const char *arg)
{
	double v;

	switch (opt) {
	case 'i':
		if (parse_double("--interval", arg, &v))
			return -EINVAL;
		c->opts.interval_ns = v * 1e6;
		return 0;
	case OPT_CHECK: c->check = true; return 0;
	case OPT_TOL_FREE: return parse_double("--tolerance-free", arg, &c->tol_free);
	case OPT_TOL_ORDER: return parse_double("--tolerance-order", arg, &c->tol_order);
	case OPT_MIN_ORDER:
		if (parse_double("--min-order", arg, &v))
			return -EINVAL;
		c->tol_min_order = v;
		return 0;
	case OPT_ZONE: c->zone = arg; return 0;
	case OPT_NO_PCP: c->opts.no_pcp = true; return 0;
	case OPT_PB_ORDER:
		if (parse_double("--pageblock-order", arg, &v))
			return -EINVAL;
		c->opts.pageblock_order = v;
		return 0;
	case OPT_PLOT: c->plot = arg; return 0;
	case OPT_ORDERS:
		if (parse_orders(arg, &c->orders)) {
			fprintf(stderr, "kmmtrace replay: bad --orders '%s' (e.g. 3-10 or 0,9)\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'j': c->json = true; return 0;
	case 'h': fputs(replay_usage, stdout); return 1;
	default: fputs(replay_usage, stderr); return -EINVAL;
	}
}

static int replay_parse(struct replay_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "tolerance-free", required_argument, NULL, OPT_TOL_FREE },
		{ "tolerance-order", required_argument, NULL, OPT_TOL_ORDER },
		{ "min-order", required_argument, NULL, OPT_MIN_ORDER },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "no-pcp", no_argument, NULL, OPT_NO_PCP },
		{ "pageblock-order", required_argument, NULL, OPT_PB_ORDER },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "orders", required_argument, NULL, OPT_ORDERS },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, e;

	c->opts.interval_ns = 1000000000ull;
	c->opts.pageblock_order = -1;
	c->tol_free = 1;
	c->tol_order = 5;
	c->tol_min_order = 3;
	c->orders = ~0u;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jh", opts, NULL)) != -1)
		if ((e = replay_opt(c, opt, optarg)))
			return e;
	if (optind != argc - 1) {
		fputs(replay_usage, stderr);
		return -EINVAL;
	}
	c->path = argv[optind];
	return 0;
}

static bool zone_selected(const struct replay_cmd *c, const struct replay_result *res, int z)
{
	return !c->zone || !strcmp(c->zone, res->zones[z].name);
}

/* Fidelity verdict for one zone: 0 within tolerances, 1 beyond. */
static int zone_verdict(const struct replay_cmd *c, const struct replay_result *res, int z)
{
	const struct replay_check_zone *k = &res->end[z];

	if (!k->have_kernel)
		return 0;
	if (fabs(k->err_free_pages) * 100 > c->tol_free)
		return 1;
	for (unsigned int o = c->tol_min_order; o < res->nr_orders; o++)
		if (fabs(k->err_order[o]) * 100 > c->tol_order &&
		    llabs((long long)res->samples[res->nr_samples - 1].zone[z].nr_free[o] -
			  (long long)(k->kernel_nr_free[o] + k->reporting[o])) > 1)
			return 1;
	return 0;
}

static void print_orders(__u32 mask, const char *label, const __u64 *v, unsigned int n)
{
	printf("  %-22s", label);
	for (unsigned int o = 0; o < n; o++)
		if (mask & (1u << o))
			printf(" %7llu", (unsigned long long)v[o]);
	printf("\n");
}

static void print_indices(__u32 mask, const char *label, const int *v, unsigned int n)
{
	printf("  %-22s", label);
	for (unsigned int o = 0; o < n; o++)
		if (mask & (1u << o))
			printf(" %7.3f", v[o] / 1000.0);
	printf("\n");
}



static void print_zone(const struct replay_cmd *c, const struct replay_result *res, int z)
{
	const struct replay_zone_sample *s = &res->samples[res->nr_samples - 1].zone[z];
	const struct replay_check_zone *k = &res->end[z];

	printf("\nnode %u zone %s: pfn %llu-%llu, %llu pages present\n", res->zones[z].node,
	       res->zones[z].name, (unsigned long long)res->zones[z].start_pfn,
	       (unsigned long long)(res->zones[z].start_pfn + res->zones[z].spanned),
	       (unsigned long long)res->zones[z].present);
	printf("  %-22s", "order");
	for (unsigned int o = 0; o < res->nr_orders; o++)
		if (c->orders & (1u << o))
			printf(" %7u", o);
	printf("\n");
	print_orders(c->orders, "free blocks (model)", s->nr_free, res->nr_orders);
	if (k->have_kernel)
		print_orders(c->orders, "free blocks (kernel)", k->kernel_nr_free, res->nr_orders);
	print_indices(c->orders, "fragmentation index", s->frag_index, res->nr_orders);
	if (k->have_index)
		print_indices(c->orders, "  kernel's (debugfs)", k->kernel_frag_index, res->nr_orders);
	print_indices(c->orders, "unusable index", s->unusable, res->nr_orders);
	if (k->have_unusable)
		print_indices(c->orders, "  kernel's (debugfs)", k->kernel_unusable, res->nr_orders);
	for (int m = 0; m < res->nr_mt; m++) {
		char label[40];
		bool any = false;

		for (unsigned int o = 0; o < res->nr_orders; o++)
			any |= res->end_free_by_mt[z][m][o] != 0;
		snprintf(label, sizeof(label), "  %s", res->mt_names[m]);
		if (any)
			print_orders(c->orders, label, res->end_free_by_mt[z][m], res->nr_orders);
	}
	if (res->start[z].have_kernel)
		printf("  at the start: the free-page map gives %+.2f %% free pages vs buddyinfo\n",
		       res->start[z].err_free_pages * 100);
	printf("  free pages %llu (kernel %llu, %+.2f %%), pcp pages %llu, largest order %d\n",
	       (unsigned long long)s->free_pages, (unsigned long long)k->kernel_free_pages,
	       k->err_free_pages * 100, (unsigned long long)s->pcp_pages, s->largest_order);
	if (k->reporting_blocks)
		printf("  free page reporting (order >= %d): %llu free blocks the kernel had off "
		       "its lists when read are counted as free (at most %d)\n",
		       res->page_reporting_order, (unsigned long long)k->reporting_blocks,
		       REPLAY_REPORTING_BLOCKS);
	printf("  THP-order (%u) free blocks %llu, after an ideal compaction %llu (largest "
	       "order %d); extfrag(%u) %u, compaction score %u\n", res->thp_order,
	       (unsigned long long)s->thp_blocks, (unsigned long long)s->ideal_thp_blocks,
	       s->ideal_largest_order, res->thp_order, s->extfrag_thp, s->compaction_score);
	printf("  pageblocks:");
	for (int m = 0; m < res->nr_mt; m++)
		if (s->pageblocks_by_mt[m])
			printf(" %s %llu", res->mt_names[m],
			       (unsigned long long)s->pageblocks_by_mt[m]);
	printf("; mixed %llu\n", (unsigned long long)s->mixed_pageblocks);
	if (c->check && k->have_kernel) {
		printf("  check: %s", zone_verdict(c, res, z) ? "FAIL" : "ok");
		for (unsigned int o = c->tol_min_order; o < res->nr_orders; o++)
			if (fabs(k->err_order[o]) * 100 > c->tol_order)
				printf(" (order %u off by %+.1f %%)", o, k->err_order[o] * 100);
		printf("\n");
	}
}

static void print_blame(const struct replay_result *res)
{
	size_t shown = 0;

	printf("\nmixed pageblocks, by who put unmovable/reclaimable pages there "
	       "(pageblock-seconds, pages at the end, allocations, fallbacks):\n");
	for (size_t i = 0; i < res->nr_blame && shown < 10; i++) {
		const struct blame_site *b = &res->blame[i];

		if (!b->pageblock_seconds && !b->fallbacks)
			continue;
		printf("  %10.2f %8llu %8llu %6llu  %s\n", b->pageblock_seconds,
		       (unsigned long long)b->pages_now, (unsigned long long)b->allocs,
		       (unsigned long long)b->fallbacks, b->name);
		shown++;
	}
	if (!shown)
		printf("  none\n");
}

static void print_plain(const struct replay_cmd *c, const struct replay_result *res)
{
	const struct buddy_model_stats *st = &res->stats;

	printf("replay: %llu events read, %llu page events applied, in %.3f s CPU (%.1f M "
	       "events/s); model %.1f bytes per page of %llu pages\n",
	       (unsigned long long)res->events_read, (unsigned long long)res->events, res->seconds,
	       res->seconds > 0 ? res->events_read / res->seconds / 1e6 : 0.0,
	       res->model_pages ? (double)res->model_bytes / res->model_pages : 0.0,
	       (unsigned long long)res->model_pages);
	printf("trace: %.3f s, %zu samples, %llu events lost while recording, %llu page events "
	       "already in the start free-page map\n",
	       res->nr_samples ? res->samples[res->nr_samples - 1].t / 1e9 : 0.0,
	       res->nr_samples, (unsigned long long)res->lost,
	       (unsigned long long)res->skipped_in_map);
	for (int z = 0; z < res->nr_zones; z++)
		if (zone_selected(c, res, z) && res->zones[z].spanned)
			print_zone(c, res, z);
	printf("\nmodel events: fallbacks %llu (claims %llu, steals %llu), failed allocations "
	       "%llu, pageblock types revealed %llu\n", (unsigned long long)st->fallbacks,
	       (unsigned long long)st->claims, (unsigned long long)st->steals,
	       (unsigned long long)st->failed_allocs, (unsigned long long)st->mt_revealed);
	print_blame(res);
	printf("inconsistencies:");
	for (int i = 0; i < BUDDY_INC_MAX; i++)
		if (st->inc[i])
			printf(" %s %llu%s", buddy_inc_name(i), (unsigned long long)st->inc[i],
			       buddy_inc_expected(i) ? " (expected)" : "");
	printf("\n");
	if (res->check_err[0])
		printf("%s\n", res->check_err);
}


static void json_u64s(const char *key, const __u64 *v, unsigned int n)
{
	printf("\"%s\":[", key);
	for (unsigned int o = 0; o < n; o++)
		printf("%s%llu", o ? "," : "", (unsigned long long)v[o]);
	printf("]");
}

static void json_ints(const char *key, const int *v, unsigned int n)
{
	printf("\"%s\":[", key);
	for (unsigned int o = 0; o < n; o++)
		printf("%s%d", o ? "," : "", v[o]);
	printf("]");
}

static void json_sample(const struct replay_result *res, const struct replay_zone_sample *s)
{
	printf("{\"free_pages\":%llu,\"pcp_pages\":%llu,", (unsigned long long)s->free_pages,
	       (unsigned long long)s->pcp_pages);
	json_u64s("nr_free", s->nr_free, res->nr_orders);
	printf(",");
	json_ints("fragmentation_index", s->frag_index, res->nr_orders);
	printf(",");
	json_ints("unusable_index", s->unusable, res->nr_orders);
	printf(",\"extfrag_thp\":%u,\"compaction_score\":%u,\"largest_order\":%d,"
	       "\"thp_blocks\":%llu,\"ideal_thp_blocks\":%llu,\"ideal_largest_order\":%d,"
	       "\"mixed_pageblocks\":%llu,\"pageblocks\":{", s->extfrag_thp, s->compaction_score,
	       s->largest_order, (unsigned long long)s->thp_blocks,
	       (unsigned long long)s->ideal_thp_blocks, s->ideal_largest_order,
	       (unsigned long long)s->mixed_pageblocks);
	for (int m = 0; m < res->nr_mt; m++)
		printf("%s\"%s\":%llu", m ? "," : "", res->mt_names[m],
		       (unsigned long long)s->pageblocks_by_mt[m]);
	printf("}}");
}

static void json_zone(const struct replay_cmd *c, const struct replay_result *res, int z)
{
	const struct replay_check_zone *k = &res->end[z];

	printf("{\"node\":%u,\"zone\":\"%s\",\"start_pfn\":%llu,\"spanned\":%llu,"
	       "\"present\":%llu,\"end\":", res->zones[z].node, res->zones[z].name,
	       (unsigned long long)res->zones[z].start_pfn,
	       (unsigned long long)res->zones[z].spanned,
	       (unsigned long long)res->zones[z].present);
	json_sample(res, &res->samples[res->nr_samples - 1].zone[z]);
	printf(",\"end_free_by_migratetype\":{");
	for (int m = 0; m < res->nr_mt; m++) {
		printf("%s", m ? "," : "");
		json_u64s(res->mt_names[m], res->end_free_by_mt[z][m], res->nr_orders);
	}
	printf("}");
	if (k->have_kernel) {
		printf(",\"kernel_end\":{\"free_pages\":%llu,",
		       (unsigned long long)k->kernel_free_pages);
		json_u64s("nr_free", k->kernel_nr_free, res->nr_orders);
		if (k->have_index) {
			printf(",");
			json_ints("fragmentation_index", k->kernel_frag_index, res->nr_orders);
			printf(",");
			json_ints("fragmentation_index_of_counts", k->index_from_kernel_counts,
				  res->nr_orders);
		}
		if (k->have_unusable) {
			printf(",");
			json_ints("unusable_index", k->kernel_unusable, res->nr_orders);
			printf(",");
			json_ints("unusable_index_of_counts", k->unusable_from_kernel_counts,
				  res->nr_orders);
		}
		printf(",");
		json_u64s("reporting", k->reporting, res->nr_orders);
		printf(",\"err_free_pages\":%.6f,\"check\":\"%s\"}", k->err_free_pages,
		       zone_verdict(c, res, z) ? "fail" : "ok");
	}
	printf(",\"series\":[");
	for (size_t i = 0; i < res->nr_samples; i++) {
		printf("%s{\"t\":%llu,\"zone\":", i ? "," : "",
		       (unsigned long long)res->samples[i].t);
		json_sample(res, &res->samples[i].zone[z]);
		printf("}");
	}
	printf("]}");
}

static void print_json(const struct replay_cmd *c, const struct replay_result *res)
{
	const struct buddy_model_stats *st = &res->stats;
	bool first = true;

	printf("{\"events_read\":%llu,\"events\":%llu,\"skipped_in_start_map\":%llu,"
	       "\"cpu_seconds\":%.6f,\"model_bytes\":%zu,\"model_pages\":%llu,"
	       "\"lost\":%llu,\"nr_orders\":%u,\"pageblock_order\":%u,\"thp_order\":%u,"
	       "\"page_reporting_order\":%d,\"zones\":[", (unsigned long long)res->events_read,
	       (unsigned long long)res->events, (unsigned long long)res->skipped_in_map,
	       res->seconds, res->model_bytes, (unsigned long long)res->model_pages,
	       (unsigned long long)res->lost, res->nr_orders, res->pageblock_order,
	       res->thp_order, res->page_reporting_order);
	for (int z = 0; z < res->nr_zones; z++) {
		if (!zone_selected(c, res, z) || !res->zones[z].spanned)
			continue;
		printf("%s", first ? "" : ",");
		json_zone(c, res, z);
		first = false;
	}
	printf("],\"fallbacks\":%llu,\"claims\":%llu,\"steals\":%llu,\"failed_allocs\":%llu,"
	       "\"inconsistencies\":{", (unsigned long long)st->fallbacks,
	       (unsigned long long)st->claims, (unsigned long long)st->steals,
	       (unsigned long long)st->failed_allocs);
	for (int i = 0; i < BUDDY_INC_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", buddy_inc_name(i),
		       (unsigned long long)st->inc[i]);
	printf("},\"blame\":[");
	for (size_t i = 0, n = 0; i < res->nr_blame && n < 50; i++) {
		const struct blame_site *b = &res->blame[i];

		if (!b->pageblock_seconds && !b->fallbacks)
			continue;
		printf("%s{\"site\":", n++ ? "," : "");
		json_print_string(stdout, b->name);
		printf(",\"pageblock_seconds\":%.6f,\"pages_at_end\":%llu,\"allocs\":%llu,"
		       "\"fallbacks\":%llu}", b->pageblock_seconds,
		       (unsigned long long)b->pages_now, (unsigned long long)b->allocs,
		       (unsigned long long)b->fallbacks);
	}
	printf("],\"invariant_error\":\"%s\"}\n", res->check_err);
}

static void whatif_row(const char *name, long long base, long long alt)
{
	printf("  %-28s %12lld %12lld %+12lld\n", name, base, alt, alt - base);
}

/* The same trace replayed as recorded and with the changed parameter, side by side. */
static void print_whatif(const struct replay_cmd *c, const struct replay_result *base,
			 const struct replay_result *alt)
{
	char what[64], name[32];

	snprintf(what, sizeof(what), "%s%s%s", c->opts.no_pcp ? "no per-CPU lists" : "",
		 c->opts.no_pcp && c->opts.pageblock_order >= 0 ? ", " : "",
		 c->opts.pageblock_order >= 0 ? "another pageblock order" : "");
	printf("\nwhat-if (%s), at the end of the trace:\n", what);
	for (int z = 0; z < base->nr_zones; z++) {
		const struct replay_zone_sample *b = &base->samples[base->nr_samples - 1].zone[z];
		const struct replay_zone_sample *a = &alt->samples[alt->nr_samples - 1].zone[z];

		if (!zone_selected(c, base, z) || !base->zones[z].spanned)
			continue;
		printf(" node %u zone %s %28s %12s %12s\n", base->zones[z].node,
		       base->zones[z].name, "as recorded", "what-if", "difference");
		whatif_row("free pages (buddy)", b->free_pages, a->free_pages);
		whatif_row("pcp pages", b->pcp_pages, a->pcp_pages);
		for (unsigned int o = 0; o < base->nr_orders; o++) {
			snprintf(name, sizeof(name), "free blocks order %u", o);
			whatif_row(name, b->nr_free[o], a->nr_free[o]);
		}
		whatif_row("THP-order free blocks", b->thp_blocks, a->thp_blocks);
		whatif_row("fragmentation index (THP)", b->frag_index[base->thp_order],
			   a->frag_index[base->thp_order]);
		whatif_row("unusable index (THP)", b->unusable[base->thp_order],
			   a->unusable[base->thp_order]);
		whatif_row("mixed pageblocks", b->mixed_pageblocks, a->mixed_pageblocks);
	}
}

/* The plot shows the selected zone, or the zone with the most pages. */
static int write_plot(const struct replay_cmd *c, const struct replay_result *res)
{
	int best = -1;
	FILE *f;

	for (int z = 0; z < res->nr_zones; z++)
		if (zone_selected(c, res, z) &&
		    (best < 0 || res->zones[z].present > res->zones[best].present))
			best = z;
	f = best >= 0 ? fopen(c->plot, "w") : NULL;
	if (!f || svgplot__replay(f, res, best) || fclose(f)) {
		fprintf(stderr, "kmmtrace replay: failed to write %s\n", c->plot);
		return -1;
	}
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_cmd c = {};
	struct replay_result res;
	struct trace_reader *r;
	char why[256] = "";
	int e, bad = 0;

	e = replay_parse(&c, argc, argv);
	if (e)
		return e > 0 ? 0 : 2;
	r = open_trace("replay", c.path);
	if (!r)
		return 1;
	e = replay__run(r, &c.opts, c.check, &res, why, sizeof(why));
	if (e) {
		fprintf(stderr, "kmmtrace replay: %s\n", why);
		replay_result__free(&res);
		trace_reader__free(r);
		return 1;
	}
	report_trace_health("replay", c.path, r);
	if (c.plot && write_plot(&c, &res))
		e = 1;
	if (c.json)
		print_json(&c, &res);
	else
		print_plain(&c, &res);
	if (!c.json && (c.opts.no_pcp || c.opts.pageblock_order >= 0)) {
		struct replay_opts as_recorded = c.opts;
		struct replay_result base;

		as_recorded.no_pcp = false;
		as_recorded.pageblock_order = -1;
		if (replay__run(r, &as_recorded, false, &base, why, sizeof(why)) == 0)
			print_whatif(&c, &base, &res);
		replay_result__free(&base);
	}
	for (int z = 0; c.check && z < res.nr_zones; z++)
		bad |= zone_selected(&c, &res, z) && zone_verdict(&c, &res, z);
	if (c.check && (bad || res.check_err[0] || !res.have_end)) {
		if (!res.have_end)
			fprintf(stderr, "kmmtrace replay: --check: the trace has no end buddyinfo "
				"snapshot (recording did not finish)\n");
		e = 1;
	}
	replay_result__free(&res);
	trace_reader__free(r);
	return e;
}
