/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A model of the kernel's vmap areas (mm/vmalloc.c), fed the vmalloc
 * tracepoints: alloc_vmap_area (an area is handed out), free_vmap_area_noflush
 * (it becomes lazily freed: unmapped, but its VA and its stale kernel TLB
 * entries stay until a purge), purge_vmap_area_lazy (every lazily freed area is
 * released after one flush_tlb_kernel_range() over all of them — an IPI to
 * every CPU). Areas that existed before the trace come from a /proc/vmallocinfo
 * snapshot.
 *
 * Areas belong to call sites, numbered by the caller (the analysis names them
 * from stacks); the model keeps per-site statistics, the lazy list and its
 * purges, and can tell the VA-space fragmentation of the vmalloc range. No I/O.
 */
#ifndef __KMT_VMAP_H
#define __KMT_VMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define VMAP_SIZE_BUCKETS	32	/* log2 of the area size in bytes */
#define VMAP_LIFE_BUCKETS	48	/* log2 of the lifetime in ns */
#define VMAP_PAGES_HIST		33	/* areas by mapped pages: 0..31, then 32 or more */

struct vmap_model_opts {
	size_t sz;
	__u32 page_size;		/* 4096 when 0 */
	__u64 huge_size;		/* PMD size: 2 MiB when 0 */
};

struct vmap_site_stats {
	__u64 areas;			/* allocated in the trace */
	__u64 failed;			/* failed allocations */
	__u64 frees;			/* lazily freed in the trace */
	__u64 bytes;			/* sum of area sizes (guard page included) */
	__u64 min_bytes, max_bytes;
	__u64 size_hist[VMAP_SIZE_BUCKETS];
	__u64 pages_hist[VMAP_PAGES_HIST];	/* by mapped pages (guard page excluded) */
	__u64 ptes;			/* 4 KiB PTEs mapped: pages without the guard page */
	__u64 huge_aligned;		/* areas aligned to the huge size (a huge mapping attempt) */
	__u64 big_small_pages;		/* areas >= the huge size without that alignment */
	__u64 life[VMAP_LIFE_BUCKETS];	/* alloc -> free, log2 ns */
	__u64 life_sum_ns;
	__u64 life_frees;		/* frees of areas allocated in the trace (with a lifetime) */
	__u64 live_areas, live_bytes, live_ptes;	/* at the end (snapshot areas included) */
	__u64 snapshot_areas;		/* of the live ones: from the start snapshot */
	__u64 lazy_pages;		/* pages it freed lazily */
	__u64 purged_pages;		/* of those, released by a purge in the trace */
	double purge_share;		/* sum over purges of its share of the purged pages */
	__u64 backing_pages;		/* page allocations seen backing its areas */
	__u64 first_ts, last_ts;
};

struct vmap_totals {
	__u64 allocs, failed, frees, frees_unknown;	/* frees of areas the model never saw */
	__u64 purges;			/* purges that released areas (one kernel TLB flush each) */
	__u64 empty_purges;		/* purge calls that found nothing */
	__u64 purged_areas;		/* as the kernel counted them */
	__u64 purged_areas_model;	/* as the model's lazy list had them */
	__u64 purged_pages;
	__u64 lazy_pages;		/* lazily freed, not yet purged, at the end (model) */
	__u64 kernel_nr_lazy;		/* the last nr_lazy the kernel reported */
	__u64 nr_lazy_max;		/* lazy_max_pages() as reported */
	__u64 live_areas, live_bytes;
	__u64 snapshot_areas;		/* areas loaded from the start snapshot */
	__u64 vstart, vend;		/* the vmalloc range most allocations asked for */
	__u64 va_free_bytes;		/* free VA in [vstart, vend) at the end */
	__u64 va_largest_gap;		/* the largest free range there */
	__u64 va_gaps;			/* free ranges */
};

struct vmap_model;

struct vmap_model *vmap_model__new(const struct vmap_model_opts *o);
void vmap_model__free(struct vmap_model *m);

/* An area that existed at the start (from /proc/vmallocinfo); lazy: freed, awaiting a purge. */
int vmap_model__preexisting(struct vmap_model *m, __u64 addr, __u64 size, __u32 site, bool lazy);
int vmap_model__alloc(struct vmap_model *m, __u64 ts, __u64 addr, __u64 size, __u64 align,
		      __u64 vstart, __u64 vend, bool failed, __u32 site);
/* Returns the freed area's site, or -1 when the model did not know the area. */
int vmap_model__free_area(struct vmap_model *m, __u64 ts, __u64 addr, __u64 nr_lazy,
			  __u64 nr_lazy_max);
int vmap_model__purge(struct vmap_model *m, __u64 ts, __u64 start, __u64 end, __u64 npurged);
/* A page allocation backing the last area allocated for site. */
void vmap_model__backing_page(struct vmap_model *m, __u32 site, int order);
/* Computes the end state (live areas, VA fragmentation). */
void vmap_model__finish(struct vmap_model *m);

const struct vmap_totals *vmap_model__totals(const struct vmap_model *m);
/* Sites 0 .. nr-1 (the caller's numbers); NULL past the last one seen. */
const struct vmap_site_stats *vmap_model__site(const struct vmap_model *m, __u32 site);
__u32 vmap_model__nr_sites(const struct vmap_model *m);

/* "0xffffc90000000000-0xffffc90000005000   20480 caller+0x1c/0x80 pages=4 vmalloc ...":
 * fills addr, size and the caller's function name; false for other lines. */
bool vmap__parse_vmallocinfo_line(const char *line, __u64 *addr, __u64 *size, char *caller,
				  size_t len);

#endif /* __KMT_VMAP_H */
