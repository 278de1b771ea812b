/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * vmalloc analysis over a trace (kmmtrace vmalloc, and the lint's vmalloc
 * rules): areas attributed to call sites from their stacks (the first frame
 * outside the vmalloc core), fed to model/vmap, plus the flags a site earns.
 * docs/VMALLOC.md.
 */
#ifndef __KMT_VMALLOC_H
#define __KMT_VMALLOC_H

#include <stdbool.h>
#include <linux/types.h>
#include "event.h"
#include "vmap.h"

struct kmt_defs;

struct vmalloc_thresholds {
	__u64 small_bytes;	/* areas mapping at most this much are "small" (default 4 pages) */
	double churn_per_s;	/* allocations per second of trace for "churn" (default 10) */
	__u64 churn_life_ns;	/* ... with a mean lifetime below this (default 1 s) */
	__u64 churn_min;	/* ... and at least this many allocations and frees (default 10) */
};

/* Flags a site earns (docs/VMALLOC.md). */
#define VMF_SMALL	0x1	/* most areas small: kmalloc/kvmalloc would serve them */
#define VMF_CHURN	0x2	/* allocated and freed many times per second */
#define VMF_NOT_HUGE	0x4	/* areas >= 2 MiB mapped with 4 KiB pages */
#define VMF_PURGES	0x8	/* its lazily freed pages forced purges (TLB flush IPIs) */

struct vmalloc_an;

struct vmalloc_an *vmalloc_an__new(const struct kmt_defs *defs, __u32 page_size);
void vmalloc_an__free(struct vmalloc_an *a);
/* Areas live at the start, from a /proc/vmallocinfo text; the number loaded. */
int vmalloc_an__preload(struct vmalloc_an *a, const char *vmallocinfo);
/* Any event: the vmalloc ones and the page allocations that back a new area. */
void vmalloc_an__event(struct vmalloc_an *a, const struct kmt_event *e);
void vmalloc_an__finish(struct vmalloc_an *a);
/* Start-snapshot areas whose addresses the kernel hashed (%pK): never matched with a free. */
__u64 vmalloc_an__hashed_snapshot_areas(const struct vmalloc_an *a);

const struct vmap_model *vmalloc_an__model(const struct vmalloc_an *a);
const struct kmt_defs *vmalloc_an__defs(const struct vmalloc_an *a);
__u32 vmalloc_an__nr_sites(const struct vmalloc_an *a);
const char *vmalloc_an__site_name(const struct vmalloc_an *a, __u32 site);
/* The first allocation of the site (stack_id included), or NULL (snapshot-only sites). */
const struct kmt_event *vmalloc_an__site_example(const struct vmalloc_an *a, __u32 site);
/* Seconds the trace spans (first to last event fed). */
double vmalloc_an__seconds(const struct vmalloc_an *a);
/* VMF_* of a site. */
unsigned int vmalloc_an__flags(const struct vmalloc_an *a, __u32 site,
			       const struct vmalloc_thresholds *th);
void vmalloc_thresholds__default(struct vmalloc_thresholds *th, __u32 page_size);

#endif /* __KMT_VMALLOC_H */
