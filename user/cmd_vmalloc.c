// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace vmalloc: vmap areas by call site, lazy purges, TLB cost (docs/VMALLOC.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "defs.h"
#include "frames.h"
#include "jsonout.h"
#include "sysinfo.h"
#include "tracemeta.h"
#include "vmalloc.h"

struct vm_cmd {
	bool json;
	int lines;
	const char *path;
	const char *sort;
	struct vmalloc_thresholds th;
	double small_pages, churn;
};

static const char vm_usage[] =
	"usage: kmmtrace vmalloc [OPTIONS] FILE\n"
	"\n"
	"vmap areas (vmalloc, vmap, ioremap...) by call site: count, sizes, 4 KiB PTEs,\n"
	"lifetime, churn, what is live at the end, each site's share of the lazy purges\n"
	"(each one a kernel TLB flush sent to every CPU), the TLB entries its live areas\n"
	"need against the direct map's, and VA-space fragmentation. Call sites come from\n"
	"stacks: record with -g. Flags: small areas that kmalloc/kvmalloc would serve,\n"
	"high churn, areas >= 2 MiB mapped with 4 KiB pages, purges caused.\n"
	"\n"
	"  -s, --sort KEY         areas (default), bytes, live, churn, purges, ptes\n"
	"  -n, --lines N          call sites shown (default 20; 0: all)\n"
	"      --small PAGES      an area mapping at most PAGES pages is small (default 4)\n"
	"      --churn N          allocations per second that make a site churn (default 10)\n"
	"  -j, --json             JSON\n"
	"  -h, --help             this help\n";

static int vm_parse(struct vm_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "lines", required_argument, NULL, 'n' },
		{ "small", required_argument, NULL, 'S' },
		{ "churn", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt;

	c->lines = 20;
	c->sort = "areas";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:n:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': c->sort = optarg; break;
		case 'n': c->lines = atoi(optarg); break;
		case 'S': c->small_pages = atof(optarg); break;
		case 'C': c->churn = atof(optarg); break;
		case 'j': c->json = true; break;
		case 'h': fputs(vm_usage, stdout); return 1;
		default: fputs(vm_usage, stderr); return -EINVAL;
		}
	}
	if (strcmp(c->sort, "areas") && strcmp(c->sort, "bytes") && strcmp(c->sort, "live") &&
	    strcmp(c->sort, "churn") && strcmp(c->sort, "purges") && strcmp(c->sort, "ptes")) {
		fprintf(stderr, "kmmtrace vmalloc: unknown sort key '%s'\n", c->sort);
		return -EINVAL;
	}
	if (optind != argc - 1) {
		fputs(vm_usage, stderr);
		return -EINVAL;
	}
	c->path = argv[optind];
	return 0;
}

/* ---- helpers ---- */

static const struct vmalloc_an *sort_an;
static const char *sort_key;

static double key_of(__u32 s)
{
	const struct vmap_site_stats *st = vmap_model__site(vmalloc_an__model(sort_an), s);
	double secs = vmalloc_an__seconds(sort_an);

	if (!strcmp(sort_key, "bytes"))
		return st->bytes;
	if (!strcmp(sort_key, "live"))
		return st->live_bytes;
	if (!strcmp(sort_key, "churn"))
		return secs > 0 ? (st->areas + st->frees) / secs : 0;
	if (!strcmp(sort_key, "purges"))
		return st->purge_share;
	if (!strcmp(sort_key, "ptes"))
		return st->ptes;
	return st->areas + st->live_areas * 1e-9;
}

static int by_key(const void *a, const void *b)
{
	double x = key_of(*(const __u32 *)a), y = key_of(*(const __u32 *)b);

	if (x != y)
		return x < y ? 1 : -1;
	return (int)*(const __u32 *)a - (int)*(const __u32 *)b;
}

/* Median from log2 buckets: the bucket's upper bound ("<= 2^(b+1)"). */
static __u64 hist_median(const __u64 *h, unsigned int n, __u64 total)
{
	__u64 acc = 0;

	for (unsigned int b = 0; b < n && total; b++) {
		acc += h[b];
		if (acc * 2 >= total)
			return 1ull << (b + 1 < 63 ? b + 1 : 63);
	}
	return 0;
}

static void human(__u64 v, char *buf, size_t len)
{
	if (v >= 10ull << 30)
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v >= 10ull << 20)
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v >= 10ull << 10)
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void dur(__u64 ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns >= 1000000000ull)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (ns >= 1000000ull)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fus", ns / 1e3);
}

static __u64 direct_map_entries(__u64 bytes, __u64 huge)
{
	return bytes ? (bytes + huge - 1) / huge : 0;
}

static void flags_text(unsigned int f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", f & VMF_SMALL ? "small " : "", f & VMF_CHURN ? "churn " : "",
		 f & VMF_NOT_HUGE ? "4k-not-huge " : "", f & VMF_PURGES ? "purges" : "");
}

/* ---- output ---- */

static void print_text(const struct vm_cmd *c, const struct vmalloc_an *an, const __u32 *order,
		       __u32 n, __u32 page_size)
{
	const struct vmap_model *m = vmalloc_an__model(an);
	const struct vmap_totals *t = vmap_model__totals(m);
	double secs = vmalloc_an__seconds(an);
	__u64 live_ptes = 0, live_mapped = 0;
	char a[32], b[32], d[32];

	printf("vmalloc: %llu areas allocated (%llu failed), %llu lazily freed in %.2f s; "
	       "%llu purges = %llu kernel TLB flushes to every CPU (%llu calls found nothing)\n",
	       (unsigned long long)t->allocs, (unsigned long long)t->failed,
	       (unsigned long long)t->frees, secs, (unsigned long long)t->purges,
	       (unsigned long long)t->purges, (unsigned long long)t->empty_purges);
	printf("  purged areas: %llu (kernel), %llu (model), %llu pages; waiting at the end: "
	       "%llu pages (kernel's last nr_lazy %llu of nr_lazy_max %llu)\n",
	       (unsigned long long)t->purged_areas, (unsigned long long)t->purged_areas_model,
	       (unsigned long long)t->purged_pages, (unsigned long long)t->lazy_pages,
	       (unsigned long long)t->kernel_nr_lazy, (unsigned long long)t->nr_lazy_max);
	human(t->live_bytes, a, sizeof(a));
	printf("  live at the end: %llu areas, %s bytes (%llu from the start snapshot); frees of "
	       "areas never seen: %llu\n", (unsigned long long)t->live_areas, a,
	       (unsigned long long)t->snapshot_areas, (unsigned long long)t->frees_unknown);
	if (vmalloc_an__hashed_snapshot_areas(an))
		printf("  (the kernel hashed /proc/vmallocinfo's addresses: the %llu areas from before "
		       "the trace cannot be matched with their frees and count as live; frees of "
		       "them are the frees of areas never seen)\n",
		       (unsigned long long)vmalloc_an__hashed_snapshot_areas(an));
	if (t->vend > t->vstart) {
		human(t->va_free_bytes, a, sizeof(a));
		human(t->va_largest_gap, b, sizeof(b));
		printf("  VA 0x%llx-0x%llx: %s free in %llu ranges, largest %s (fragmentation "
		       "%.1f %%)\n", (unsigned long long)t->vstart, (unsigned long long)t->vend, a,
		       (unsigned long long)t->va_gaps, b,
		       t->va_free_bytes ? 100.0 * (1 - (double)t->va_largest_gap / t->va_free_bytes)
					: 0.0);
	}
	printf("\n%-44s %6s %5s %6s %6s %6s %7s %6s %7s %8s %7s %6s  %s\n", "call site", "areas",
	       "fail", "min", "max", "ptes", "live", "liveB", "life", "churn/s", "purges", "backpg",
	       "flags");
	for (__u32 i = 0; i < n && (!c->lines || i < (__u32)c->lines); i++) {
		const struct vmap_site_stats *st = vmap_model__site(m, order[i]);
		unsigned int f = vmalloc_an__flags(an, order[i], &c->th);
		char fl[64], mn[16], mx[16], lb[16];

		human(st->min_bytes, mn, sizeof(mn));
		human(st->max_bytes, mx, sizeof(mx));
		human(st->live_bytes, lb, sizeof(lb));
		dur(hist_median(st->life, VMAP_LIFE_BUCKETS, st->life_frees), d, sizeof(d));
		flags_text(f, fl, sizeof(fl));
		printf("%-44.44s %6llu %5llu %6s %6s %6llu %7llu %6s %7s %8.1f %7.2f %6llu  %s\n",
		       vmalloc_an__site_name(an, order[i]), (unsigned long long)st->areas,
		       (unsigned long long)st->failed, mn, mx, (unsigned long long)st->ptes,
		       (unsigned long long)st->live_areas, lb, d,
		       secs > 0 ? (st->areas + st->frees) / secs : 0.0, st->purge_share,
		       (unsigned long long)st->backing_pages, fl);
	}
	for (__u32 i = 0; i < n; i++) {
		const struct vmap_site_stats *st = vmap_model__site(m, order[i]);

		live_ptes += st->live_ptes;
		live_mapped += st->live_ptes * page_size;
	}
	printf("\nTLB reach of the live areas: %llu 4 KiB entries; the same bytes in the direct map "
	       "need %llu 2 MiB entries\n", (unsigned long long)live_ptes,
	       (unsigned long long)direct_map_entries(live_mapped, 2 << 20));
	printf("\nfindings:\n");
	for (__u32 i = 0; i < n; i++) {
		const struct vmap_site_stats *st = vmap_model__site(m, order[i]);
		unsigned int f = vmalloc_an__flags(an, order[i], &c->th);
		const char *name = vmalloc_an__site_name(an, order[i]);

		if (f & VMF_SMALL)
			printf("  small: %s: %llu areas, most mapping <= %llu KiB: kmalloc()/kvmalloc() "
			       "would serve them from the direct map, without a guard page, PTEs or "
			       "purges\n", name, (unsigned long long)st->areas,
			       (unsigned long long)(c->th.small_bytes >> 10));
		if (f & VMF_CHURN)
			printf("  churn: %s: %.1f allocations/s, mean lifetime %.2f ms: every free "
			       "adds to the lazy list that ends in a TLB flush IPI\n", name,
			       secs > 0 ? st->areas / secs : 0.0,
			       st->life_frees ? st->life_sum_ns / st->life_frees / 1e6 : 0.0);
		if (f & VMF_NOT_HUGE)
			printf("  4k-not-huge: %s: %llu areas >= 2 MiB without 2 MiB alignment: mapped "
			       "with 4 KiB pages; vmalloc_huge()/kvmalloc() would use 2 MiB pages\n",
			       name, (unsigned long long)st->big_small_pages);
		if ((f & VMF_PURGES) && t->purges)
			printf("  purges: %s: %.0f %% of the lazily freed pages purged (%.2f of %llu "
			       "flushes)\n", name, 100.0 * st->purged_pages / (t->purged_pages ?: 1),
			       st->purge_share, (unsigned long long)t->purges);
	}
}

/* The example area's raw stack, symbolised, as JSON strings. */
static void print_stack(const struct vmalloc_an *an, const struct kmt_event *ex)
{
	const struct kmt_defs *d = vmalloc_an__defs(an);
	const struct kmt_stack *st = ex && ex->stack_id >= 0 ? kmt_defs__stack(d, ex->stack_id) : NULL;
	char buf[200];

	for (__u32 i = 0; st && i < st->nr; i++) {
		frames__sym_name(d, st->ips[i], buf, sizeof(buf));
		printf("%s", i ? "," : "");
		json_print_string(stdout, buf);
	}
}

static void print_json(const struct vm_cmd *c, const struct vmalloc_an *an, const __u32 *order,
		       __u32 n, __u32 page_size)
{
	const struct vmap_model *m = vmalloc_an__model(an);
	const struct vmap_totals *t = vmap_model__totals(m);
	double secs = vmalloc_an__seconds(an);
	__u64 live_ptes = 0;

	printf("{\"seconds\":%.9f,\"allocs\":%llu,\"failed\":%llu,\"frees\":%llu,"
	       "\"frees_unknown\":%llu,\"purges\":%llu,\"empty_purges\":%llu,\"purged_areas\":%llu,"
	       "\"purged_areas_model\":%llu,\"purged_pages\":%llu,\"lazy_pages\":%llu,"
	       "\"kernel_nr_lazy\":%llu,\"nr_lazy_max\":%llu,\"live_areas\":%llu,\"live_bytes\":%llu,"
	       "\"snapshot_areas\":%llu,\"snapshot_hashed\":%llu,\"va\":{\"start\":%llu,\"end\":%llu,\"free\":%llu,"
	       "\"largest_gap\":%llu,\"gaps\":%llu},\"sites\":[",
	       secs, (unsigned long long)t->allocs, (unsigned long long)t->failed,
	       (unsigned long long)t->frees, (unsigned long long)t->frees_unknown,
	       (unsigned long long)t->purges, (unsigned long long)t->empty_purges,
	       (unsigned long long)t->purged_areas, (unsigned long long)t->purged_areas_model,
	       (unsigned long long)t->purged_pages, (unsigned long long)t->lazy_pages,
	       (unsigned long long)t->kernel_nr_lazy, (unsigned long long)t->nr_lazy_max,
	       (unsigned long long)t->live_areas, (unsigned long long)t->live_bytes,
	       (unsigned long long)t->snapshot_areas,
	       (unsigned long long)vmalloc_an__hashed_snapshot_areas(an), (unsigned long long)t->vstart,
	       (unsigned long long)t->vend, (unsigned long long)t->va_free_bytes,
	       (unsigned long long)t->va_largest_gap, (unsigned long long)t->va_gaps);
	for (__u32 i = 0; i < n && (!c->lines || i < (__u32)c->lines); i++) {
		const struct vmap_site_stats *st = vmap_model__site(m, order[i]);
		const struct kmt_event *ex = vmalloc_an__site_example(an, order[i]);
		unsigned int f = vmalloc_an__flags(an, order[i], &c->th);

		printf("%s{\"site\":", i ? "," : "");
		json_print_string(stdout, vmalloc_an__site_name(an, order[i]));
		printf(",\"areas\":%llu,\"failed\":%llu,\"frees\":%llu,\"bytes\":%llu,\"min_bytes\":%llu,"
		       "\"max_bytes\":%llu,\"ptes\":%llu,\"huge_aligned\":%llu,\"big_small_pages\":%llu,"
		       "\"live_areas\":%llu,\"live_bytes\":%llu,\"live_ptes\":%llu,"
		       "\"live_direct_map_entries\":%llu,\"snapshot_areas\":%llu,\"lazy_pages\":%llu,"
		       "\"purged_pages\":%llu,\"purge_share\":%.6f,\"backing_pages\":%llu,"
		       "\"mean_life_ns\":%llu,\"churn_per_s\":%.3f,\"stack_id\":%d,\"flags\":[",
		       (unsigned long long)st->areas, (unsigned long long)st->failed,
		       (unsigned long long)st->frees, (unsigned long long)st->bytes,
		       (unsigned long long)st->min_bytes, (unsigned long long)st->max_bytes,
		       (unsigned long long)st->ptes, (unsigned long long)st->huge_aligned,
		       (unsigned long long)st->big_small_pages, (unsigned long long)st->live_areas,
		       (unsigned long long)st->live_bytes, (unsigned long long)st->live_ptes,
		       (unsigned long long)direct_map_entries(st->live_ptes * page_size, 2 << 20),
		       (unsigned long long)st->snapshot_areas, (unsigned long long)st->lazy_pages,
		       (unsigned long long)st->purged_pages, st->purge_share,
		       (unsigned long long)st->backing_pages,
		       (unsigned long long)(st->life_frees ? st->life_sum_ns / st->life_frees : 0),
		       secs > 0 ? (st->areas + st->frees) / secs : 0.0, ex ? ex->stack_id : -1);
		printf("%s%s%s%s]", f & VMF_SMALL ? "\"small\"" : "",
		       f & VMF_CHURN ? (f & VMF_SMALL ? ",\"churn\"" : "\"churn\"") : "",
		       f & VMF_NOT_HUGE ? (f & (VMF_SMALL | VMF_CHURN) ? ",\"4k-not-huge\"" : "\"4k-not-huge\"") : "",
		       f & VMF_PURGES ? (f & (VMF_SMALL | VMF_CHURN | VMF_NOT_HUGE) ? ",\"purges\"" : "\"purges\"") : "");
		printf(",\"size_hist\":{");
		for (unsigned int b = 0, k = 0; b < VMAP_SIZE_BUCKETS; b++)
			if (st->size_hist[b])
				printf("%s\"%llu\":%llu", k++ ? "," : "", 1ull << b,
				       (unsigned long long)st->size_hist[b]);
		/* lifetimes: bucket b holds [2^b, 2^(b+1)) ns */
		printf("},\"life_hist_ns\":{");
		for (unsigned int b = 0, k = 0; b < VMAP_LIFE_BUCKETS; b++)
			if (st->life[b])
				printf("%s\"%llu\":%llu", k++ ? "," : "", 1ull << b,
				       (unsigned long long)st->life[b]);
		printf("},\"stack\":[");
		print_stack(an, ex);
		printf("]}");
	}
	for (__u32 i = 0; i < n; i++)
		live_ptes += vmap_model__site(m, order[i])->live_ptes;
	printf("],\"tlb\":{\"live_4k_entries\":%llu,\"direct_map_2m_entries\":%llu}}\n",
	       (unsigned long long)live_ptes,
	       (unsigned long long)direct_map_entries(live_ptes * page_size, 2 << 20));
}

/* Kernels without the vmalloc tracepoints (< 6.2): the start and end snapshots only. */
static int snapshots_only(const struct vm_cmd *c, struct trace_reader *r, __u32 page_size)
{
	const char *s0, *s1;
	size_t l0, l1;
	struct vmalloc_an *a0 = vmalloc_an__new(NULL, page_size), *a1 = vmalloc_an__new(NULL, page_size);

	s0 = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_VMALLOCINFO, &l0);
	s1 = tracemeta__snapshot(r, KMT_PHASE_END, SYSINFO_SNAP_VMALLOCINFO, &l1);
	fprintf(stderr, "kmmtrace vmalloc: this trace has no vmalloc events (the tracepoints exist "
		"from Linux 6.2): from /proc/vmallocinfo at the start and the end only\n");
	if (!a0 || !a1 || !s0 || !s1) {
		fprintf(stderr, "kmmtrace vmalloc: the trace has no vmallocinfo snapshots either "
			"(record as root)\n");
		vmalloc_an__free(a0);
		vmalloc_an__free(a1);
		return -1;
	}
	vmalloc_an__preload(a0, s0);
	vmalloc_an__preload(a1, s1);
	vmalloc_an__finish(a0);
	vmalloc_an__finish(a1);
	if (c->json)
		printf("{\"snapshots_only\":true,\"sites\":[");
	else
		printf("%-44s %8s %10s %8s %10s\n", "caller", "start", "bytes", "end", "bytes");
	for (__u32 i = 0, k = 0; i < vmalloc_an__nr_sites(a1) || i < vmalloc_an__nr_sites(a0); i++) {
		/* sites are numbered per analysis: match by name */
		const char *name = i < vmalloc_an__nr_sites(a1) ? vmalloc_an__site_name(a1, i) : NULL;
		const struct vmap_site_stats *e1 = name ? vmap_model__site(vmalloc_an__model(a1), i) : NULL;
		const struct vmap_site_stats *e0 = NULL;

		if (!name)
			break;
		for (__u32 j = 0; j < vmalloc_an__nr_sites(a0); j++)
			if (!strcmp(vmalloc_an__site_name(a0, j), name))
				e0 = vmap_model__site(vmalloc_an__model(a0), j);
		if (c->json) {
			printf("%s{\"caller\":", k++ ? "," : "");
			json_print_string(stdout, name);
			printf(",\"start_areas\":%llu,\"start_bytes\":%llu,\"end_areas\":%llu,"
			       "\"end_bytes\":%llu}", (unsigned long long)(e0 ? e0->live_areas : 0),
			       (unsigned long long)(e0 ? e0->live_bytes : 0),
			       (unsigned long long)e1->live_areas, (unsigned long long)e1->live_bytes);
		} else if (!c->lines || k++ < (__u32)c->lines) {
			printf("%-44.44s %8llu %10llu %8llu %10llu\n", name,
			       (unsigned long long)(e0 ? e0->live_areas : 0),
			       (unsigned long long)(e0 ? e0->live_bytes : 0),
			       (unsigned long long)e1->live_areas, (unsigned long long)e1->live_bytes);
		}
	}
	if (c->json)
		printf("]}\n");
	vmalloc_an__free(a0);
	vmalloc_an__free(a1);
	return 0;
}

int cmd_vmalloc(int argc, char **argv)
{
	struct vm_cmd c = {};
	struct trace_reader *r;
	struct vmalloc_an *an;
	struct tracemeta meta;
	__u32 *order, n;
	int ret;

	ret = vm_parse(&c, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 2;
	r = open_trace("vmalloc", c.path);
	if (!r)
		return 2;
	tracemeta__load(r, &meta);
	if (!meta.page_size)
		meta.page_size = 4096;
	vmalloc_thresholds__default(&c.th, meta.page_size);
	if (c.small_pages > 0)
		c.th.small_bytes = c.small_pages * meta.page_size;
	if (c.churn > 0)
		c.th.churn_per_s = c.churn;
	if (!trace_has_vmalloc_events(r)) {
		ret = snapshots_only(&c, r, meta.page_size);
		trace_reader__free(r);
		return ret ? 2 : 0;
	}
	an = vmalloc_an__new(trace_reader__defs(r), meta.page_size);
	if (!an) {
		trace_reader__free(r);
		return 2;
	}
	ret = vmalloc_trace(r, an);
	if (ret < 0)
		fprintf(stderr, "kmmtrace vmalloc: %s: stopped reading: %s\n", c.path, strerror(-ret));
	n = vmalloc_an__nr_sites(an);
	order = calloc(n ? n : 1, sizeof(*order));
	for (__u32 i = 0; order && i < n; i++)
		order[i] = i;
	sort_an = an;
	sort_key = c.sort;
	if (order)
		qsort(order, n, sizeof(*order), by_key);
	if (!meta.stacks && !c.json)
		printf("(recorded without stacks: call sites are unknown; record with -g)\n");
	if (order && c.json)
		print_json(&c, an, order, n, meta.page_size);
	else if (order)
		print_text(&c, an, order, n, meta.page_size);
	report_trace_health("vmalloc", c.path, r);
	free(order);
	vmalloc_an__free(an);
	trace_reader__free(r);
	return ret < 0 || !order ? 2 : 0;
}
