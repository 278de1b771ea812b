/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Blame for mixed pageblocks: which allocation sites put unmovable and
 * reclaimable pages into pageblocks of another type (Movable ones, mostly), and
 * for how long — in pageblock-seconds — and which of them caused fallbacks
 * (mm_page_alloc_extfrag). A site is the first stack frame outside the page
 * and slab allocators when stacks were recorded, else the task's name.
 */
#ifndef __KMT_BLAME_H
#define __KMT_BLAME_H

#include <linux/types.h>
#include "buddy.h"
#include "trace.h"

struct blame;

struct blame_site {
	char name[160];
	double pageblock_seconds;	/* sum over sampled intervals of mixed blocks it is in */
	__u64 pages_now;		/* its foreign pages in mixed blocks at the last sample */
	__u64 allocs;			/* unmovable/reclaimable allocations seen */
	__u64 fallbacks;		/* mm_page_alloc_extfrag events */
};

/* movable_mt: the trace's Movable migratetype; pb_order: pageblock order. NULL: ENOMEM. */
struct blame *blame__new(const struct trace_reader *r, int movable_mt, unsigned int pb_order);
/* Called for each page event, before the model applies it. */
void blame__event(struct blame *b, const struct kmt_event *e);
/* Credits every site in a mixed pageblock of the model with dt_ns of it. */
void blame__sample(struct blame *b, const struct buddy_model *m, __u64 dt_ns);
/* Sites by pageblock-seconds, then fallbacks; the array is owned by b. */
const struct blame_site *blame__sites(struct blame *b, size_t *n);
void blame__free(struct blame *b);

#endif /* __KMT_BLAME_H */
