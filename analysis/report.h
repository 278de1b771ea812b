/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kmmtrace report: slab and page allocations of a trace, totalled the way
 * `perf kmem stat` totals them (so both tools agree on the same events) and
 * grouped by call site, cache, GFP flags, context, order, pid or comm.
 * A pure consumer of decoded events plus the trace's metadata.
 */
#ifndef __KMT_REPORT_H
#define __KMT_REPORT_H

#include <stdbool.h>
#include <linux/types.h>
#include "slab.h"
#include "trace.h"

enum report_group {
	REPORT_BY_CALLSITE,
	REPORT_BY_CACHE,
	REPORT_BY_GFP,
	REPORT_BY_CONTEXT,
	REPORT_BY_ORDER,
	REPORT_BY_PID,
	REPORT_BY_COMM,
};

#define REPORT_LIFE_BUCKETS 48	/* log2 ns */
#define REPORT_MAX_FILTERS 8

struct report_filter {
	char key[16];		/* comm, pid, cpu, cache, callsite, gfp, context */
	char value[64];
};

struct report_opts {
	enum report_group group;
	struct report_filter filters[REPORT_MAX_FILTERS];
	int nr_filters;
	double leak_min_age;	/* seconds; leaks older than this at the end */
	__u64 interval_ns;	/* slab states sampled every interval (0: end only) */
	bool no_model;		/* no slab model: caches, advice, samples stay empty */
};

/* All slab caches at one instant (model/slab). */
struct report_slab_sample {
	__u64 t;			/* ns since the first event */
	__u64 full, partial, empty;	/* slabs */
	__u64 live_objs;
	__u64 mem_bytes;		/* in slabs */
	__u64 internal_waste;
	__u64 external_waste;		/* free slots in partial slabs (lower bound) */
};

/* One group of slab or page allocations. */
struct report_group_stat {
	char key[160];
	__u64 allocs;
	__u64 frees;			/* frees matched to an allocation of this group */
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u64 bytes_freed;
	__u64 live;			/* allocations outstanding at the end */
	__u64 live_bytes;
	__u64 cross_cpu_frees;		/* freed on another CPU than allocated (perf: pingpong) */
	__u64 first_ts, last_ts;
	__u64 life[REPORT_LIFE_BUCKETS];	/* alloc -> free time, log2 ns */
	__u64 oldest_live_ts;		/* of the allocations still live at the end */
	__s32 oldest_live_stack;	/* its stack id (record -g), -1 none */
};

/* perf kmem stat's summaries, with its definitions (tools/perf/builtin-kmem.c). */
struct report_slab_totals {
	__u64 nr_allocs;		/* kmalloc + kmem_cache_alloc events */
	__u64 requested;
	__u64 allocated;
	__u64 freed;			/* frees of pointers allocated in the trace: last size there */
	__u64 nr_cross_allocs;		/* node given and not the allocating CPU's node */
	__u64 nr_frees;
	__u64 free_unmatched;		/* frees of pointers never allocated in the trace */
};

struct report_page_totals {
	__u64 nr_allocs, alloc_bytes;	/* every mm_page_alloc, failures included */
	__u64 nr_frees, free_bytes;	/* mm_page_free */
	__u64 nr_nomatch, nomatch_bytes;	/* frees of pages not allocated in the trace */
	__u64 nr_fails, fail_bytes;
	__u64 by_order_mt[16][8];	/* successful allocations */
};

struct report_ctx_row {
	char context[16];		/* context class */
	__u64 reclaim;			/* allocations that may enter direct reclaim */
	__u64 atomic;			/* __GFP_HIGH or no reclaim at all */
	__u64 other;
};

/*
 * Memory allocated during the trace and still held at its end, each byte once, by
 * layer. perf's totals (and ours above) count slab pages and kmalloc_large()'s
 * pages again as page allocations; here a live page allocation is attributed to
 * the slab layer when the slab model holds a slab at its address, to a
 * kmalloc_large() object when one lives there, and to the page layer otherwise.
 * That needs the direct map's base (inferred from kmalloc_large() pairs).
 */
struct report_layers {
	bool classified;		/* the direct map's base was known */
	__u64 slab_objects;		/* live objects' bytes_alloc, kmalloc_large() excluded */
	__u64 large;			/* live kmalloc_large() allocations */
	__u64 slab_pages;		/* live page allocations that are slabs */
	__u64 other_pages;		/* every other live page allocation */
	__u64 unclassified_pages;	/* live page allocations when the base is unknown */
	__u64 percpu;			/* live per-CPU allocations (bytes_alloc) */
};

/* Per-CPU allocations (percpu:*), by call site. */
struct report_percpu {
	__u64 allocs, frees, failed;
	__u64 bytes;			/* requested size per CPU */
	__u64 bytes_alloc;		/* what the allocator reports it took (all CPUs) */
	__u64 live, live_bytes_alloc;
	__u64 atomic, reserved;
	__u32 max_align;
	char site[160];
};

/* A call site's kmalloc size-class analysis (model/slab). */
struct report_advice {
	char site[160];
	struct slab_site_stats st;
	struct slab_site_advice a;
};

struct report {
	struct report_slab_totals slab;
	struct report_page_totals page;
	struct report_group_stat *slab_groups;
	size_t nr_slab_groups;
	struct report_group_stat *page_groups;
	size_t nr_page_groups;
	struct report_group_stat *gfp_groups;	/* slab + page allocations by GFP flags */
	size_t nr_gfp_groups;
	struct report_ctx_row ctx[8];
	int nr_ctx;
	__u64 events;
	__u64 filtered_out;
	double seconds;				/* trace span */
	__u32 page_size;
	char mt_names[8][24];
	int nr_mt;
	/* the slab model at the end of the trace */
	bool have_model;			/* false: --no-model, or it could not start */
	struct slab_cache_stats *caches;	/* by memory in slabs, largest first */
	size_t nr_caches;
	struct report_advice *advice;		/* by saving, largest first */
	size_t nr_advice;
	struct slab_model_stats slab_model;
	struct report_slab_sample *slab_series;	/* every --interval, and the end */
	size_t nr_slab_series;
	struct report_layers layers;
	struct report_percpu *percpu;		/* by live bytes, then allocations */
	size_t nr_percpu;
	__u64 percpu_chunks_created, percpu_chunks_destroyed, percpu_free_unmatched;
};

int report__run(struct trace_reader *r, const struct report_opts *opts, struct report *rep,
		char *why, size_t whylen);
void report__free(struct report *rep);

/* Sorts groups by keys ("-bytes_alloc,allocs", '+' ascending); -EINVAL with why. */
int report__sort(struct report_group_stat *g, size_t n, const char *keys, char *why,
		 size_t whylen);
/* Lifetime percentile (0..1) of a group, in ns (bucket upper bound); 0 if no frees. */
__u64 report__life_pct(const struct report_group_stat *g, double pct);
int report__parse_group(const char *name, enum report_group *g);
const char *report__group_name(enum report_group g);

#endif /* __KMT_REPORT_H */
