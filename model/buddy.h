/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A reference model of the kernel's buddy allocator, driven by the page
 * tracepoints of a trace (mm_page_alloc, mm_page_free, mm_page_free_batched,
 * mm_page_alloc_zone_locked, mm_page_pcpu_drain, mm_page_alloc_extfrag).
 * No I/O, no globals: the caller feeds zones, the initial free-page map and
 * events, and queries free lists, pageblocks and the kernel's own indices.
 *
 * Every page of a zone's span is in exactly one naturally aligned unit:
 *   FREE	a block on a buddy free list (zone->free_area[order])
 *   PCP	a block taken off the buddy that is not handed out yet: on a
 *		per-CPU list (freed to it, or refilled by rmqueue_bulk), or
 *		between mm_page_alloc_zone_locked and mm_page_alloc
 *   ALLOC	an allocation, with the migratetype it was allocated with, or
 *		"origin unknown" (allocated before the trace began, holes,
 *		reserved memory, pages the bulk allocator took silently)
 * How each tracepoint moves pages between them, and why, is written down at
 * the top of buddy.c with the kernel functions it mirrors.
 *
 * Pageblock migratetypes are not in the trace: blocks start MIGRATE_MOVABLE
 * and "unknown", buddy_model__set_pageblock_mt() sets what the caller knows,
 * and the events correct them: the free list a block was taken from
 * (zone_locked), the type a drained page went back to (pcpu_drain), the list
 * and claim of a fallback (extfrag).
 *
 * Inconsistencies never crash the model: each is counted by kind in
 * struct buddy_model_stats and the model repairs itself to the state the
 * event implies. Some kinds are expected in every trace (see
 * buddy_inc_expected()).
 *
 * Cost: one byte per page of the zones' spans plus 10 bytes per pageblock
 * (1.02 bytes per page with 512-page pageblocks); an event touches O(max
 * order) bytes, except a pageblock type change (a pageblock's units).
 */
#ifndef __KMT_BUDDY_H
#define __KMT_BUDDY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "event.h"
#include "trace.h"

#define BUDDY_MAX_ORDERS	16	/* NR_PAGE_ORDERS the model supports */
#define BUDDY_MAX_MT		8	/* migratetypes the model supports */

/* include/linux/mmzone.h enum migratetype: the first three are stable since v4.4 */
#define BUDDY_MT_UNMOVABLE	0
#define BUDDY_MT_MOVABLE	1
#define BUDDY_MT_RECLAIMABLE	2
#define BUDDY_MT_PCPTYPES	3	/* types below this merge with each other */

/* Allocation mobility kept per allocated unit and counted per pageblock */
enum buddy_mob {
	BUDDY_MOB_UNMOVABLE = BUDDY_MT_UNMOVABLE,
	BUDDY_MOB_MOVABLE = BUDDY_MT_MOVABLE,
	BUDDY_MOB_RECLAIMABLE = BUDDY_MT_RECLAIMABLE,
	BUDDY_MOB_UNKNOWN = 3,		/* origin unknown */
	BUDDY_NR_MOB,
};

/*
 * Where mm_page_alloc_extfrag fires relative to the allocation it reports.
 * Before 6.10 __rmqueue_fallback() only moved the block to the new free list
 * and fired; __rmqueue_smallest() then took the page (zone_locked follows).
 * Since 6.10 (the "freelist migratetype hygiene" series; also with the 6.15
 * __rmqueue_claim/__rmqueue_steal split) the page is already taken when it
 * fires. AUTO decides on the first ambiguous event by looking at the next
 * page event of the same CPU; a caller that knows the kernel release can set
 * the style instead.
 */
enum buddy_extfrag_style {
	BUDDY_EXTFRAG_AUTO = 0,
	BUDDY_EXTFRAG_BEFORE_ALLOC = 1,
	BUDDY_EXTFRAG_AFTER_ALLOC = 2,
};

struct buddy_model_opts {
	size_t sz;			/* sizeof(struct buddy_model_opts) */
	unsigned int nr_page_orders;	/* NR_PAGE_ORDERS (MAX_PAGE_ORDER + 1), 1..16 */
	unsigned int pageblock_order;	/* < nr_page_orders */
	unsigned int nr_migratetypes;	/* MIGRATE_TYPES, 3..8 */
	bool pcp;			/* true: the kernel; false: what-if "no pcp lists" */
	/*
	 * The order besides 0..PAGE_ALLOC_COSTLY_ORDER that pcp lists hold:
	 * HPAGE_PMD_ORDER with CONFIG_TRANSPARENT_HUGEPAGE (pcp_allowed_order()),
	 * 0 for none.
	 */
	unsigned int pcp_thp_order;
	__u32 isolate_mts;		/* bit per MIGRATE_ISOLATE type: frees bypass pcp */
	enum buddy_extfrag_style extfrag_style;
	/*
	 * CONFIG_PREEMPT_RT: a task holding a CPU's pcp lock can be preempted,
	 * and a free by another task on that CPU then bypasses the pcp lists
	 * (see "pcp lock" in buddy.c). Needs every event, not only page events.
	 */
	bool preempt_rt;
};

/*
 * Fill nr_migratetypes and isolate_mts from the trace's migratetype names
 * ('\n'-separated, kernel order, as /proc/pagetypeinfo). -EINVAL if the
 * first three are not Unmovable, Movable, Reclaimable.
 */
int buddy_model_opts__set_mt_names(struct buddy_model_opts *opts, const char *names, size_t len);

enum buddy_inc {
	/* expected in every trace */
	BUDDY_INC_FREE_UNSEEN,		/* free of an origin-unknown page (pre-trace, bulk alloc) */
	BUDDY_INC_FREE_PARTIAL,		/* free of part of an allocation (split_page, exact) */
	BUDDY_INC_FREE_IN_PCP,		/* free of a page in pcp: the bulk allocator took it */
	BUDDY_INC_ALLOC_UNSEEN,		/* alloc of an origin-unknown page (pcp at start) */
	BUDDY_INC_DRAIN_UNSEEN,		/* drain of an origin-unknown page (pcp at start) */
	BUDDY_INC_MT_CHANGED,		/* a known pageblock type changed without an event */
	/* inconsistencies: lost events, silent kernel paths, or a model error */
	BUDDY_INC_FREE_OF_FREE,		/* free of a page free in the buddy (compaction) */
	BUDDY_INC_ALLOC_OF_ALLOC,	/* alloc of a page already allocated */
	BUDDY_INC_ALLOC_FROM_BUDDY,	/* alloc of a free block: compaction capture, or
					   taken before the free map was read */
	BUDDY_INC_TAKE_NOT_FREE,	/* zone_locked/extfrag of a block not free */
	BUDDY_INC_DRAIN_NOT_PCP,	/* drain of a page not in pcp */
	BUDDY_INC_OUTSIDE_ZONES,	/* pfn range outside every zone (hotplug?) */
	BUDDY_INC_BAD_EVENT,		/* order or type out of range, pfn not aligned */
	BUDDY_INC_MAX,
};

const char *buddy_inc_name(enum buddy_inc kind);	/* "free_of_free", ... */
bool buddy_inc_expected(enum buddy_inc kind);

struct buddy_model_stats {
	__u64 events;			/* page events applied */
	__u64 ignored;			/* other events */
	__u64 failed_allocs;		/* mm_page_alloc with no page */
	__u64 inc[BUDDY_INC_MAX];
	__u64 unseen_pages;		/* pages in BUDDY_INC_FREE_UNSEEN events */
	__u64 outside_pages;		/* pages in BUDDY_INC_OUTSIDE_ZONES events */
	__u64 mt_revealed;		/* unknown pageblock types learned from events */
	__u64 fallbacks;		/* mm_page_alloc_extfrag events */
	__u64 claims;			/* ... that claimed the pageblock(s) */
	__u64 steals;			/* ... that took a page and left the block's type */
	enum buddy_extfrag_style extfrag_style;	/* configured or detected; AUTO: not yet */
};

struct buddy_model;

/*
 * Zones must not overlap (-EINVAL); empty zones are kept. Every page starts
 * allocated, origin unknown. Zone indices in this API are indices into zones.
 * NULL and *err (may be NULL) on failure.
 */
struct buddy_model *buddy_model__new(const struct buddy_model_opts *opts,
				     const struct kmt_zone_info *zones, int nr_zones, int *err);
void buddy_model__free(struct buddy_model *m);

/*
 * Initial state: a run of free pages (e.g. KPF_BUDDY runs of /proc/kpageflags),
 * cut into maximal naturally aligned blocks and merged as __free_one_page()
 * would. Parts outside every zone are skipped. Returns the pages added.
 */
__u64 buddy_model__add_free_run(struct buddy_model *m, __u64 pfn, __u64 npages);
/*
 * Set the migratetype of pfn's pageblock (and of every pageblock of a larger
 * free block covering it, as change_pageblock_range() does); free blocks move
 * lists as in __move_freepages_block(). 0, -ERANGE, -EINVAL.
 */
int buddy_model__set_pageblock_mt(struct buddy_model *m, __u64 pfn, int mt);

/*
 * Apply one event. Non-page events change no page (they only tell the pcp
 * lock tracking that their task went on). Returns 0 when the event
 * matched the model, 1 when it was counted in stats.inc[] (and repaired,
 * or ignored for BUDDY_INC_OUTSIDE_ZONES/BAD_EVENT), -EINVAL on NULL.
 */
int buddy_model__apply(struct buddy_model *m, const struct kmt_event *e);
/* Resolve an undecided AUTO extfrag event (as AFTER_ALLOC); call before final queries. */
void buddy_model__flush(struct buddy_model *m);
const struct buddy_model_stats *buddy_model__stats(const struct buddy_model *m);

/* ---- queries ---- */

int buddy_model__nr_zones(const struct buddy_model *m);
const struct kmt_zone_info *buddy_model__zone(const struct buddy_model *m, int zone);
int buddy_model__pfn_zone(const struct buddy_model *m, __u64 pfn);	/* -1: none */
unsigned int buddy_model__nr_page_orders(const struct buddy_model *m);

struct buddy_zone_stats {
	__u64 spanned;
	__u64 free_pages;		/* in the buddy, every type (NR_FREE_PAGES + isolated) */
	__u64 pcp_pages;
	__u64 alloc_pages;		/* allocated, origin unknown included */
	__u64 unknown_pages;		/* allocated, origin unknown */
	__u64 nr_free[BUDDY_MAX_ORDERS];	/* free blocks per order, as /proc/buddyinfo */
	int largest_order;		/* -1: no free block */
};
int buddy_model__zone_stats(const struct buddy_model *m, int zone, struct buddy_zone_stats *st);
/* Free blocks of one order on one type's list (mt < 0: every type). */
__u64 buddy_model__nr_free(const struct buddy_model *m, int zone, unsigned int order, int mt);
int buddy_model__largest_order(const struct buddy_model *m, int zone);	/* -1: none */

enum buddy_state {
	BUDDY_FREE = 1,
	BUDDY_PCP = 2,
	BUDDY_ALLOC = 3,
};

struct buddy_unit {
	__u64 head;		/* first pfn of the unit holding the pfn */
	int order;
	enum buddy_state state;
	enum buddy_mob mob;	/* BUDDY_ALLOC only */
	int zone;
	int pageblock_mt;	/* type of the pageblock of the pfn */
};
int buddy_model__lookup(const struct buddy_model *m, __u64 pfn, struct buddy_unit *u); /* -ERANGE */

struct buddy_pageblock {
	__u64 start_pfn;
	int mt;
	bool mt_known;		/* set by the caller or revealed by an event */
	bool mixed;		/* holds allocations of another mobility than its type */
	__u32 nr_alloc[BUDDY_NR_MOB];	/* allocated pages by allocation mobility */
};
__u64 buddy_model__nr_pageblocks(const struct buddy_model *m, int zone);
int buddy_model__pageblock(const struct buddy_model *m, int zone, __u64 idx,
			   struct buddy_pageblock *pb);

/*
 * Mixed: a pageblock of type Unmovable, Movable or Reclaimable that holds
 * allocated pages of known, different mobility. Origin-unknown pages never
 * make a block mixed (they are counted in with_unknown).
 */
struct buddy_pageblock_stats {
	__u64 total;
	__u64 by_mt[BUDDY_MAX_MT];
	__u64 mt_unknown;		/* never revealed: counted under MOVABLE in by_mt */
	__u64 mixed;
	__u64 mixed_by_mt[BUDDY_MAX_MT];
	__u64 with_unknown;		/* holding origin-unknown pages */
};
int buddy_model__pageblock_stats(const struct buddy_model *m, int zone,
				 struct buddy_pageblock_stats *st);

/*
 * The kernel's indices with its integer arithmetic (mm/vmstat.c), on an
 * array of free blocks per order (nr_orders entries):
 *  fragmentation_index	__fragmentation_index(): -1000 ("-1.000" in debugfs
 *			extfrag_index: a block of the order is free), else 0..1000
 *  unusable_index	unusable_free_index(): 0..1000
 *  extfrag_for_order	extfrag_for_order(): 0..100
 */
int buddy__fragmentation_index(const __u64 *nr_free, unsigned int nr_orders, unsigned int order);
int buddy__unusable_index(const __u64 *nr_free, unsigned int nr_orders, unsigned int order);
unsigned int buddy__extfrag_for_order(const __u64 *nr_free, unsigned int nr_orders,
				      unsigned int order);

int buddy_model__fragmentation_index(const struct buddy_model *m, int zone, unsigned int order);
int buddy_model__unusable_index(const struct buddy_model *m, int zone, unsigned int order);
unsigned int buddy_model__extfrag_for_order(const struct buddy_model *m, int zone,
					    unsigned int order);
/*
 * Proactive compaction score (mm/compaction.c): a zone's
 * fragmentation_score_zone_weighted() = present * extfrag_for_order(order) /
 * (node present + 1), and a node's sum of them (fragmentation_score_node()).
 * order is COMPACTION_HPAGE_ORDER (HPAGE_PMD_ORDER, 9 on x86-64).
 */
unsigned int buddy_model__compaction_score(const struct buddy_model *m, int zone,
					   unsigned int order);
unsigned int buddy_model__node_compaction_score(const struct buddy_model *m, int node,
						unsigned int order);

/*
 * Ideal compaction: the free blocks per order the zone would hold if every
 * relocatable page were moved out of the way, the number of free pages
 * unchanged. Pinned: allocations of Unmovable or Reclaimable mobility, and
 * origin-unknown pages outside Movable pageblocks; relocatable: Movable
 * allocations, origin-unknown pages in Movable pageblocks, pcp pages.
 * The pin-free stretches of the zone, cut into maximal aligned blocks capped
 * at the max order, are filled with free pages largest block first; the block
 * that takes the remainder r holds it as the blocks of r's binary digits.
 * Writes nr_orders counts; returns the largest order (-1: none) or -ERANGE.
 */
int buddy_model__ideal_free(const struct buddy_model *m, int zone, __u64 *nr_free);

/* Verify every invariant (see buddy.c). 0, or -EUCLEAN with "BUG: ..." in err. */
int buddy_model__check(const struct buddy_model *m, char *err, size_t errlen);

/* Bytes the model holds, and pages it describes (sum of zone spans). */
size_t buddy_model__mem_bytes(const struct buddy_model *m);
__u64 buddy_model__pages(const struct buddy_model *m);

#endif /* __KMT_BUDDY_H */
