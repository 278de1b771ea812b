// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reference model of the buddy allocator, replayed from page tracepoints.
 * Kernel references are to mm/page_alloc.c of linux-source-6.12 (Debian's,
 * which carries the 6.15 __rmqueue_claim()/__rmqueue_steal() split) unless
 * noted; 6.1 differences are named where they matter.
 *
 * State. One byte per pfn of every zone's span: the first pfn of each unit
 * (a naturally aligned block of 2^order pages) holds kind | mobility | order,
 * every other pfn of the unit holds 0. Kinds: FREE (on a buddy free list,
 * PageBuddy + buddy_order()), PCP (off the buddy, not handed out: on a pcp
 * list or in flight to mm_page_alloc), ALLOC (with the mobility of the
 * allocation, or origin unknown). "Is the buddy of this block free and of
 * this order" is one byte compare, as page_is_buddy(); the unit holding a
 * pfn is found by walking up the orders, as find_large_buddy(). Per
 * pageblock: its migratetype (get_pfnblock_migratetype()) and the pages
 * allocated in it per mobility. Per zone and order and type: free block
 * counts (free_area[order].nr_free per free_list[mt]), kept incrementally.
 * A free block is on the list of its pageblock's type, as 6.12 enforces in
 * __add_to_free_list() (before 6.10 a stolen block could sit on another
 * type's list, and __free_one_page() did not retype the buddy's pageblock
 * when merging across pageblocks; the model does as 6.12 does).
 *
 * Initial state: every page allocated, origin unknown; free runs (the
 * trace's free-page map) are freed into the buddy block by block, merging as
 * __free_one_page() does. Pageblock types are not in the trace: a pageblock
 * starts MIGRATE_MOVABLE, "unknown", until the caller sets it or an event
 * shows it (below); a shown type on an unknown block is counted in
 * mt_revealed, one that contradicts a known type in BUDDY_INC_MT_CHANGED.
 *
 * Events, and the kernel paths that fire them:
 *
 * mm_page_free(pfn, order): free_pages_prepare(), for every page freed,
 *	before it goes anywhere. free_unref_page()/free_unref_folios() then put
 *	pcp_allowed_order() pages (order <= PAGE_ALLOC_COSTLY_ORDER, or the THP
 *	order) on a pcp list -> PCP, unless the pageblock is MIGRATE_ISOLATE;
 *	other orders go through __free_pages_ok() -> free_one_page() ->
 *	split_large_buddy() -> __free_one_page() -> merged into the buddy now.
 * mm_page_free_batched(pfn): free_unref_folios(), after free_pages_prepare()
 *	already fired mm_page_free for the folio: nothing to do, unless the page
 *	is still allocated (mm_page_free not recorded): freed with the order of
 *	its allocation.
 * mm_page_pcpu_drain(pfn, order, mt): free_pcppages_bulk(), right after
 *	__free_one_page() of a page leaving a pcp list: PCP -> merged into the
 *	buddy. mt is the pageblock's type (6.12; the type cached at free time
 *	on 6.1) and corrects the model's.
 * mm_page_alloc_zone_locked(pfn, order, mt, percpu_refill):
 *	__rmqueue_smallest() after page_del_and_expand(): the block holding pfn
 *	leaves free_list[mt] and expand() gives back the rest -> PCP (a pcp
 *	refill by rmqueue_bulk(), or rmqueue_buddy() whose mm_page_alloc
 *	follows). percpu_refill is pcp_allowed_order() && mt < MIGRATE_PCPTYPES,
 *	not whether the page really goes to a pcp list, so both go to PCP. mt
 *	is the list, hence the pageblock's type: it corrects the model's.
 * mm_page_alloc(pfn, order, gfp, mt): __alloc_pages_noprof(), at the end:
 *	PCP -> ALLOC with mt (the allocation's migratetype). From a pcp list
 *	nothing else fires (__rmqueue_pcplist()). A page still in the buddy
 *	here was captured by compaction (compaction_capture()) or taken before
 *	the free map was read: BUDDY_INC_ALLOC_FROM_BUDDY.
 * mm_page_alloc_extfrag(pfn, alloc_order, fallback_order, alloc_mt,
 *	fallback_mt): a fallback to another type's list. Since 6.10 it fires
 *	after the page is taken: __rmqueue_claim() -> try_to_steal_block()
 *	either moved the whole pageblock (__move_freepages_block()) and took the
 *	page with __rmqueue_smallest() (zone_locked fired first: the page is
 *	already PCP), or, for fallback_order >= pageblock_order, retyped the
 *	block (change_pageblock_range()) and expand()ed it; __rmqueue_steal()
 *	took the page with page_del_and_expand() and left the pageblock's type.
 *	The last two fire nothing else: extfrag is the allocation -> PCP.
 *	Before 6.10, __rmqueue_fallback() -> steal_suitable_fallback() only
 *	moved the block (and maybe retyped the pageblock: free + alike pages >=
 *	half a pageblock) and fired with pfn still free; __rmqueue_smallest()
 *	then took a page (zone_locked). enum buddy_extfrag_style picks one;
 *	AUTO keeps the first ambiguous event pending and decides by the next
 *	page event of the same CPU (a zone_locked of the same order and type in
 *	the same pageblock - at pfn itself when fallback_order >= pageblock
 *	order - means "before"). change_ownership is not in live traces (-1);
 *	the model then applies the kernel's own rule to its own counts
 *	(origin-unknown pages in a Movable pageblock count as movable).
 *
 * pcp lock: free_unref_page() and free_unref_folios() only pcp_spin_trylock()
 *	this CPU's pcp; when another context holds it, the page goes straight
 *	to the buddy (free_one_page()) and no tracepoint says so. The holder is
 *	seen by the events it fires under the lock: the refills of
 *	rmqueue_bulk() (zone_locked with percpu_refill) and free_batched; it
 *	keeps the lock until its next other event (alloc_pages_bulk() holds it
 *	across a silent loop of refills). A free by another context on that
 *	CPU meanwhile merges into the buddy at mm_page_free: on PREEMPT_RT any
 *	other task (pcpu_task_pin() is migrate_disable(), the holder can be
 *	preempted by an rcuc/ or kworker thread), elsewhere only an interrupt
 *	of the holder (preemption is off). An mm_page_alloc from pcp by another
 *	context shows the lock was released.
 *
 * What the model cannot see: pages compaction isolates from the buddy
 * (__isolate_free_page() via isolate_freepages_block()) and page reporting,
 * pcp pages alloc_pages_bulk() hands out, frees that bypass the pcp lists
 * without a drain when the holder of the pcp lock fired no event (and
 * __free_pages_core() of memory onlining or deferred init: the model keeps
 * such pages in PCP), highatomic reservations and pageblock isolation. They
 * surface later as counted inconsistencies (free of a free page, free of a
 * pcp page, take of a block not free, type changed), each repaired to the
 * state the event implies.
 *
 * What-if "no pcp lists" (opts.pcp false): frees merge at mm_page_free,
 * mm_page_alloc takes the page from the buddy, zone_locked only tells the
 * pageblock type, drains are ignored.
 *
 * Invariants (buddy_model__check): every pfn of a zone is in exactly one
 * unit; units are naturally aligned and inside their zone; no two free
 * buddies of one order stay unmerged below the max order unless
 * __free_one_page() would refuse (at or above pageblock_order, types differ
 * and one is not mergeable: migratetype_is_mergeable()); a free block above
 * pageblock_order has one type on all its pageblocks; the incremental counts
 * match a recount; free + pcp + allocated == the zone's spanned pages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hash.h"
#include "buddy.h"

#define PAGE_ALLOC_COSTLY_ORDER	3	/* include/linux/mmzone.h */

#define U_FREE		0x40
#define U_PCP		0x80
#define U_ALLOC		0xc0
#define U_KIND(b)	((b) & 0xc0)
#define U_MOB(b)	(((b) >> 4) & 3)
#define U_ORDER(b)	((unsigned int)(b) & 0xf)
#define U_BYTE(kind, mob, order) ((__u8)((kind) | ((mob) << 4) | (order)))

#define NO_PFN		(~0ULL)
#define ULL(x)		((unsigned long long)(x))	/* for printf */
#define PB_KNOWN	0x01

/* what take_range() found in a range */
#define F_FREE		0x01
#define F_PCP		0x02
#define F_ALLOC_KNOWN	0x04
#define F_ALLOC_UNKNOWN	0x08
#define F_EXACT		0x10	/* one unit, exactly the range */

#define PEND_MAX_WAIT	1024	/* page events an AUTO extfrag waits for its CPU */

struct bm_pb {
	__u16 nr_alloc[BUDDY_NR_MOB];
	__u8 mt;
	__u8 flags;
};

struct bm_zone {
	__u64 start;		/* first pfn */
	__u64 end;		/* one past the last pfn */
	__u8 *pst;		/* unit byte per pfn */
	struct bm_pb *pb;	/* pageblocks, from the one holding start */
	__u64 pb_first;		/* start >> pageblock_order */
	__u64 nr_pb;
	__u64 free_pages;
	__u64 pcp_pages;
	__u64 alloc_pages;
	__u64 unknown_pages;
	__u64 nr_free[BUDDY_MAX_ORDERS][BUDDY_MAX_MT];
	struct kmt_zone_info info;
};

struct bm_pending {		/* an AUTO extfrag waiting for its style */
	bool active;
	__u32 waited;
	struct kmt_event e;
};

struct bm_steal {		/* before-6.10: a block moved lists without a claim */
	bool active;
	struct bm_zone *z;
	__u64 pb;		/* pageblock index (pfn >> pageblock_order) */
	int mt;
};

struct bm_pcp_lock {		/* who holds a CPU's pcp lock, as the events show */
	__u32 tid;
	bool irq;		/* taken in hardirq or softirq context */
	bool held;
};

struct buddy_model {
	struct buddy_model_opts o;
	unsigned int nr_orders;
	unsigned int max_order;	/* MAX_PAGE_ORDER */
	unsigned int pbo;	/* pageblock_order */
	__u64 pb_pages;
	int nr_zones;
	struct bm_zone *zones;	/* in the caller's order */
	struct bm_zone **sorted;	/* the non-empty ones, by start pfn */
	int nr_sorted;
	struct bm_zone *last;
	struct buddy_model_stats st;
	struct bm_pending pend;
	struct bm_steal steal;
	struct bm_zone *moved_z;	/* the last type change by a zone_locked: */
	__u64 moved_pb;			/* a claim if extfrag follows for the block */
	struct bm_pcp_lock *pcp_locks;	/* by CPU */
	__u32 nr_pcp_locks;
	bool pcp_bypass;		/* the event's CPU's pcp lock is held by another */
};

/* ---- units and counts ---- */

static inline struct bm_pb *pb_of(const struct buddy_model *m, const struct bm_zone *z,
				  __u64 pfn)
{
	return &z->pb[(pfn >> m->pbo) - z->pb_first];
}

static inline int pb_mt(const struct buddy_model *m, const struct bm_zone *z, __u64 pfn)
{
	return pb_of(m, z, pfn)->mt;
}

static inline bool mergeable(int mt)	/* migratetype_is_mergeable() */
{
	return mt < BUDDY_MT_PCPTYPES;
}

static inline bool pcp_allowed_order(const struct buddy_model *m, unsigned int order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER ||
	       (m->o.pcp_thp_order && order == m->o.pcp_thp_order);
}

static void pb_account(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
		       unsigned int order, unsigned int mob, int sign)
{
	__u64 i, n;

	if (order <= m->pbo) {
		struct bm_pb *pb = pb_of(m, z, pfn);

		pb->nr_alloc[mob] = (__u16)(pb->nr_alloc[mob] + sign * (1 << order));
		return;
	}
	n = 1ULL << (order - m->pbo);
	for (i = 0; i < n; i++) {
		struct bm_pb *pb = pb_of(m, z, pfn + (i << m->pbo));

		pb->nr_alloc[mob] = (__u16)(pb->nr_alloc[mob] + sign * (1 << m->pbo));
	}
}

static void unit_account(const struct buddy_model *m, struct bm_zone *z, __u64 pfn, __u8 b,
			 int sign)
{
	unsigned int order = U_ORDER(b);
	__u64 n = 1ULL << order;

	switch (U_KIND(b)) {
	case U_FREE:
		z->nr_free[order][pb_mt(m, z, pfn)] += sign;
		z->free_pages += sign * n;
		break;
	case U_PCP:
		z->pcp_pages += sign * n;
		break;
	case U_ALLOC:
		z->alloc_pages += sign * n;
		if (U_MOB(b) == BUDDY_MOB_UNKNOWN)
			z->unknown_pages += sign * n;
		pb_account(m, z, pfn, order, U_MOB(b), sign);
		break;
	}
}

static inline void unit_set(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
			    unsigned int order, __u8 kind, unsigned int mob)
{
	__u8 b = U_BYTE(kind, mob, order);

	z->pst[pfn - z->start] = b;
	unit_account(m, z, pfn, b, 1);
}

static inline void unit_clear(const struct buddy_model *m, struct bm_zone *z, __u64 pfn)
{
	unit_account(m, z, pfn, z->pst[pfn - z->start], -1);
	z->pst[pfn - z->start] = 0;
}

/* The head of the unit holding pfn, as find_large_buddy(); NO_PFN if none. */
static __u64 find_unit(const struct buddy_model *m, const struct bm_zone *z, __u64 pfn)
{
	unsigned int o;

	for (o = 0; o < m->nr_orders; o++) {
		__u64 h = pfn & ~((1ULL << o) - 1);
		__u8 b;

		if (h < z->start)
			break;
		b = z->pst[h - z->start];
		if (b)
			return U_ORDER(b) >= o ? h : NO_PFN;
	}
	return NO_PFN;
}

/* The free block holding all of [pfn, pfn + 2^order), or NO_PFN. */
static __u64 find_free_block(const struct buddy_model *m, const struct bm_zone *z, __u64 pfn,
			     unsigned int order)
{
	unsigned int o;

	for (o = order; o < m->nr_orders; o++) {
		__u64 h = pfn & ~((1ULL << o) - 1);
		__u8 b;

		if (h < z->start)
			break;
		b = z->pst[h - z->start];
		if (!b)
			continue;
		if (U_KIND(b) == U_FREE && U_ORDER(b) >= o)
			return h;
		break;
	}
	return NO_PFN;
}

/*
 * Remove unit h and give back, with its kind, every part of it except
 * [pfn, pfn + 2^order): for a free block this is page_del_and_expand() with
 * the page anywhere in the block, not only at its head.
 */
static void split_keep(const struct buddy_model *m, struct bm_zone *z, __u64 h, __u64 pfn,
		       unsigned int order)
{
	__u8 b = z->pst[h - z->start];
	unsigned int o = U_ORDER(b);

	unit_clear(m, z, h);
	while (o > order) {
		__u64 half;

		o--;
		half = 1ULL << o;
		if (pfn >= h + half) {
			unit_set(m, z, h, o, U_KIND(b), U_MOB(b));
			h += half;
		} else {
			unit_set(m, z, h + half, o, U_KIND(b), U_MOB(b));
		}
	}
}

static unsigned int found_flag(__u8 b)
{
	switch (U_KIND(b)) {
	case U_FREE:
		return F_FREE;
	case U_PCP:
		return F_PCP;
	default:
		return U_MOB(b) == BUDDY_MOB_UNKNOWN ? F_ALLOC_UNKNOWN : F_ALLOC_KNOWN;
	}
}

/*
 * Empty [pfn, pfn + 2^order) whatever it holds, splitting a larger unit
 * around it; the caller then sets the unit the event implies. Returns F_*.
 */
static unsigned int take_range(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
			       unsigned int order)
{
	__u64 end = pfn + (1ULL << order), p = pfn;
	unsigned int found = 0;

	while (p < end) {
		__u64 h = find_unit(m, z, p);
		__u8 b;

		if (h == NO_PFN) {	/* a broken invariant: check() reports it */
			z->pst[p++ - z->start] = 0;
			continue;
		}
		b = z->pst[h - z->start];
		found |= found_flag(b);
		if (h < pfn || h + (1ULL << U_ORDER(b)) > end) {
			split_keep(m, z, h, pfn, order);
			return found;
		}
		if (h == pfn && U_ORDER(b) == order)
			found |= F_EXACT;
		unit_clear(m, z, h);
		p = h + (1ULL << U_ORDER(b));
	}
	return found;
}

/* ---- pageblock types ---- */

/* change_pageblock_range() without moving free blocks: the caller has none there */
static void pb_range_set_raw(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
			     unsigned int order, int mt, __u8 flags)
{
	__u64 i, n = order > m->pbo ? 1ULL << (order - m->pbo) : 1;

	for (i = 0; i < n; i++) {
		struct bm_pb *pb = pb_of(m, z, pfn + (i << m->pbo));

		pb->mt = (__u8)mt;
		pb->flags = flags;
	}
}

/* Add sign to the free list count of every free block with its head in [lo, hi). */
static void count_free_blocks(const struct buddy_model *m, struct bm_zone *z, __u64 lo,
			      __u64 hi, int sign)
{
	__u64 p = find_unit(m, z, lo);

	if (p == NO_PFN)
		p = lo;
	while (p < hi) {
		__u8 b = z->pst[p - z->start];

		if (!b) {
			p++;
			continue;
		}
		if (U_KIND(b) == U_FREE && p >= lo)
			z->nr_free[U_ORDER(b)][pb_mt(m, z, p)] += sign;
		p += 1ULL << U_ORDER(b);
	}
}

static void free_one(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
		     unsigned int order);

/*
 * set_pageblock_migratetype() + __move_freepages_block(): the free blocks of
 * pfn's pageblock move to mt's lists. A free block larger than a pageblock
 * covering it is retyped whole (change_pageblock_range()), and a free block
 * of pageblock order or more is freed again, since its type decides whether
 * __free_one_page() merges it with its buddy.
 */
static void set_block_mt(const struct buddy_model *m, struct bm_zone *z, __u64 pfn, int mt)
{
	__u64 lo = pfn & ~(m->pb_pages - 1), hi = lo + m->pb_pages, h, i;
	__u8 b;

	lo = lo < z->start ? z->start : lo;
	hi = hi > z->end ? z->end : hi;
	h = find_unit(m, z, lo);
	b = h == NO_PFN ? 0 : z->pst[h - z->start];
	if (U_KIND(b) == U_FREE && U_ORDER(b) > m->pbo) {
		lo = h;
		hi = h + (1ULL << U_ORDER(b));
	}
	count_free_blocks(m, z, lo, hi, -1);
	for (i = lo >> m->pbo; i <= (hi - 1) >> m->pbo; i++) {
		z->pb[i - z->pb_first].mt = (__u8)mt;
		z->pb[i - z->pb_first].flags |= PB_KNOWN;
	}
	count_free_blocks(m, z, lo, hi, 1);
	b = z->pst[lo - z->start];
	if (U_KIND(b) == U_FREE && U_ORDER(b) >= m->pbo) {
		unit_clear(m, z, lo);
		free_one(m, z, lo, U_ORDER(b));
	}
}

/* Retype every pageblock of [pfn, pfn + 2^order) (change_pageblock_range()). */
static void set_range_mt(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
			 unsigned int order, int mt)
{
	__u64 p, end = pfn + (1ULL << order);

	for (p = pfn; p < end; p += m->pb_pages) {
		__u64 q = p < z->start ? z->start : p;	/* a zone may start mid-block */

		if (q >= z->end || q >= p + m->pb_pages)
			continue;
		if (pb_mt(m, z, q) != mt || !(pb_of(m, z, q)->flags & PB_KNOWN))
			set_block_mt(m, z, q, mt);
	}
}

static int count_inc(struct buddy_model *m, enum buddy_inc kind)
{
	m->st.inc[kind]++;
	return 1;
}

/* An event tells pfn's pageblock type: learn it, or correct it. Returns 1 if counted. */
static int reveal_mt(struct buddy_model *m, struct bm_zone *z, __u64 pfn, int mt)
{
	struct bm_pb *pb = pb_of(m, z, pfn);
	int ret = 0;

	if (mt < 0 || (unsigned int)mt >= m->o.nr_migratetypes)
		return 0;
	if (pb->mt == mt && (pb->flags & PB_KNOWN))
		return 0;
	if (!(pb->flags & PB_KNOWN))
		m->st.mt_revealed++;
	else
		ret = count_inc(m, BUDDY_INC_MT_CHANGED);
	if (pb->mt == mt)
		pb->flags |= PB_KNOWN;
	else
		set_block_mt(m, z, pfn, mt);
	return ret;
}

/* ---- merging: __free_one_page() and split_large_buddy() ---- */

static void free_one(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
		     unsigned int order)
{
	struct bm_pb *pb = pb_of(m, z, pfn);
	int mt = pb->mt;

	while (order < m->max_order) {
		__u64 bp = pfn ^ (1ULL << order);
		int bmt = mt;

		if (bp < z->start || bp + (1ULL << order) > z->end)
			break;
		if (z->pst[bp - z->start] != U_BYTE(U_FREE, 0, order))
			break;
		if (order >= m->pbo) {
			bmt = pb_mt(m, z, bp);
			if (bmt != mt && (!mergeable(mt) || !mergeable(bmt)))
				break;
		}
		unit_clear(m, z, bp);
		if (bmt != mt)	/* match buddy type, as 6.12 does */
			pb_range_set_raw(m, z, bp, order, mt, pb->flags);
		pfn &= ~(1ULL << order);
		order++;
	}
	unit_set(m, z, pfn, order, U_FREE, 0);
}

/* free_one_page(): blocks above pageblock order are freed pageblock by pageblock. */
static void free_to_buddy(const struct buddy_model *m, struct bm_zone *z, __u64 pfn,
			  unsigned int order)
{
	__u64 p, end;

	if (order <= m->pbo) {
		free_one(m, z, pfn, order);
		return;
	}
	end = pfn + (1ULL << order);
	for (p = pfn; p < end; p += m->pb_pages)
		free_one(m, z, p, m->pbo);
}

/* ---- zones ---- */

static struct bm_zone *zone_find(const struct buddy_model *m, __u64 pfn)
{
	int lo = 0, hi = m->nr_sorted;

	while (lo < hi) {	/* first zone with end > pfn */
		int mid = (lo + hi) / 2;

		if (m->sorted[mid]->end <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->nr_sorted && m->sorted[lo]->start <= pfn)
		return m->sorted[lo];
	return NULL;
}

/* The zone holding the event's whole block, or NULL with the reason counted. */
static struct bm_zone *event_zone(struct buddy_model *m, __u64 pfn, int order)
{
	struct bm_zone *z = m->last;

	if (order < 0 || (unsigned int)order >= m->nr_orders || (pfn & ((1ULL << order) - 1))) {
		count_inc(m, BUDDY_INC_BAD_EVENT);
		return NULL;
	}
	if (!z || pfn - z->start >= z->end - z->start)
		z = zone_find(m, pfn);
	if (!z || pfn + (1ULL << order) > z->end) {
		count_inc(m, BUDDY_INC_OUTSIDE_ZONES);
		m->st.outside_pages += 1ULL << order;
		return NULL;
	}
	m->last = z;
	return z;
}

static unsigned int mt_to_mob(int mt)
{
	return mt >= 0 && mt < BUDDY_MT_PCPTYPES ? (unsigned int)mt : BUDDY_MOB_UNKNOWN;
}

/* ---- events ---- */

static int on_page_alloc(struct buddy_model *m, const struct kmt_event *e)
{
	unsigned int order = (unsigned int)e->order, found;
	struct bm_zone *z;
	__u8 *b;

	if (e->ptr == NO_PFN) {
		m->st.failed_allocs++;
		return 0;
	}
	z = event_zone(m, e->ptr, e->order);
	if (!z)
		return 1;
	b = &z->pst[e->ptr - z->start];
	if (m->o.pcp && *b == U_BYTE(U_PCP, 0, order)) {	/* __rmqueue_pcplist() */
		if (m->pcp_bypass)	/* it took the lock: the holder let it go */
			m->pcp_locks[e->cpu].held = false;
		z->pcp_pages -= 1ULL << order;
		*b = U_BYTE(U_ALLOC, mt_to_mob(e->mt), order);
		unit_account(m, z, e->ptr, *b, 1);
		return 0;
	}
	found = take_range(m, z, e->ptr, order);
	unit_set(m, z, e->ptr, order, U_ALLOC, mt_to_mob(e->mt));
	if (found & F_ALLOC_KNOWN)
		return count_inc(m, BUDDY_INC_ALLOC_OF_ALLOC);
	if (found & F_FREE)
		return m->o.pcp ? count_inc(m, BUDDY_INC_ALLOC_FROM_BUDDY) : 0;
	if (found & F_PCP)	/* pcp units of another order */
		return count_inc(m, BUDDY_INC_ALLOC_OF_ALLOC);
	return count_inc(m, BUDDY_INC_ALLOC_UNSEEN);
}

static int free_classify(struct buddy_model *m, unsigned int found, unsigned int order)
{
	if (found & F_FREE)
		return count_inc(m, BUDDY_INC_FREE_OF_FREE);
	if (found & F_PCP)
		return count_inc(m, BUDDY_INC_FREE_IN_PCP);
	if (found & F_ALLOC_KNOWN)
		return count_inc(m, BUDDY_INC_FREE_PARTIAL);
	m->st.unseen_pages += 1ULL << order;
	return count_inc(m, BUDDY_INC_FREE_UNSEEN);
}

/* free_pages_prepare() fired; then free_unref_page() or __free_pages_ok() */
static int free_block(struct buddy_model *m, struct bm_zone *z, __u64 pfn, unsigned int order)
{
	__u8 b = z->pst[pfn - z->start];
	int ret = 0;

	if (U_KIND(b) == U_ALLOC && U_ORDER(b) == order && U_MOB(b) != BUDDY_MOB_UNKNOWN)
		unit_clear(m, z, pfn);
	else
		ret = free_classify(m, take_range(m, z, pfn, order), order);
	if (m->o.pcp && pcp_allowed_order(m, order) && !m->pcp_bypass &&
	    !(m->o.isolate_mts & (1u << pb_mt(m, z, pfn))))
		unit_set(m, z, pfn, order, U_PCP, 0);
	else
		free_to_buddy(m, z, pfn, order);
	return ret;
}

static int on_page_free(struct buddy_model *m, const struct kmt_event *e)
{
	struct bm_zone *z = event_zone(m, e->ptr, e->order);

	return z ? free_block(m, z, e->ptr, (unsigned int)e->order) : 1;
}

static int on_page_free_batched(struct buddy_model *m, const struct kmt_event *e)
{
	struct bm_zone *z = event_zone(m, e->ptr, 0);
	__u8 b;

	if (!z)
		return 1;
	b = z->pst[e->ptr - z->start];
	if (U_KIND(b) != U_ALLOC || e->ptr + (1ULL << U_ORDER(b)) > z->end)
		return 0;	/* mm_page_free did the work */
	return free_block(m, z, e->ptr, U_ORDER(b));
}

static int on_pcpu_drain(struct buddy_model *m, const struct kmt_event *e)
{
	unsigned int order = (unsigned int)e->order, found;
	struct bm_zone *z;
	int ret;

	if (!m->o.pcp)
		return 0;
	z = event_zone(m, e->ptr, e->order);
	if (!z)
		return 1;
	ret = reveal_mt(m, z, e->ptr, e->mt);
	if (z->pst[e->ptr - z->start] == U_BYTE(U_PCP, 0, order)) {
		unit_clear(m, z, e->ptr);
	} else {
		found = take_range(m, z, e->ptr, order) & ~F_EXACT;
		ret = count_inc(m, found == F_ALLOC_UNKNOWN ? BUDDY_INC_DRAIN_UNSEEN :
			       BUDDY_INC_DRAIN_NOT_PCP);
	}
	free_to_buddy(m, z, e->ptr, order);	/* free_pcppages_bulk(): __free_one_page() */
	return ret;
}

/* Take [pfn, pfn + 2^order) off the buddy into PCP, correcting the type to mt. */
static int take_to_pcp(struct buddy_model *m, struct bm_zone *z, __u64 pfn, unsigned int order,
		       int mt)
{
	__u64 h = find_free_block(m, z, pfn, order);
	int ret = 0;

	if (h == NO_PFN) {
		take_range(m, z, pfn, order);
		unit_set(m, z, pfn, order, U_PCP, 0);
		return count_inc(m, BUDDY_INC_TAKE_NOT_FREE);
	}
	if (mt >= 0 && (pb_mt(m, z, pfn) != mt || !(pb_of(m, z, pfn)->flags & PB_KNOWN))) {
		ret = reveal_mt(m, z, pfn, mt);
		if (ret) {
			m->moved_z = z;
			m->moved_pb = pfn >> m->pbo;
		}
		h = find_free_block(m, z, pfn, order);
	}
	split_keep(m, z, h, pfn, order);
	unit_set(m, z, pfn, order, U_PCP, 0);
	return ret;
}

static bool steal_exempt(struct buddy_model *m, struct bm_zone *z, const struct kmt_event *e)
{
	bool hit = m->steal.active && m->steal.z == z && m->steal.mt == e->mt &&
		   (e->ptr >> m->pbo) == m->steal.pb;

	if (m->steal.z == z)	/* the next take in the zone, under its lock */
		m->steal.active = false;
	return hit;
}

static int on_zone_locked(struct buddy_model *m, const struct kmt_event *e)
{
	struct bm_zone *z = event_zone(m, e->ptr, e->order);
	int mt = e->mt;

	if (!z)
		return 1;
	if (steal_exempt(m, z, e))
		mt = -1;
	if (!m->o.pcp)
		return mt < 0 ? 0 : reveal_mt(m, z, e->ptr, mt);
	return take_to_pcp(m, z, e->ptr, (unsigned int)e->order, mt);
}

/* Free pages in pfn's pageblock (prep_move_freepages_block()'s num_free). */
static __u64 pb_free_pages(const struct buddy_model *m, const struct bm_zone *z, __u64 pfn)
{
	__u64 lo = pfn & ~(m->pb_pages - 1), hi = lo + m->pb_pages, p, n = 0;

	lo = lo < z->start ? z->start : lo;
	hi = hi > z->end ? z->end : hi;
	p = find_unit(m, z, lo);
	for (p = p == NO_PFN ? lo : p; p < hi;) {
		__u8 b = z->pst[p - z->start];

		if (!b) {
			p++;
			continue;
		}
		if (U_KIND(b) == U_FREE)
			n += 1ULL << U_ORDER(b);
		p += 1ULL << U_ORDER(b);
	}
	return n;
}

/* steal_suitable_fallback() (6.1): would the pageblock be claimed? */
static bool claim_heuristic(const struct buddy_model *m, const struct bm_zone *z,
			    const struct kmt_event *e)
{
	const struct bm_pb *pb = pb_of(m, z, e->ptr);
	__u64 free_pages, movable, alike;

	/* can_steal_fallback(): whole_block */
	if (!((unsigned int)e->arg >= m->pbo / 2 || e->mt != BUDDY_MT_MOVABLE))
		return false;
	free_pages = pb_free_pages(m, z, e->ptr);
	movable = pb->nr_alloc[BUDDY_MOB_MOVABLE];	/* PageLRU() || __PageMovable() */
	if (pb->mt == BUDDY_MT_MOVABLE)		/* origin unknown: as its block's type */
		movable += pb->nr_alloc[BUDDY_MOB_UNKNOWN];
	if (e->mt == BUDDY_MT_MOVABLE)
		alike = movable;
	else if (pb->mt == BUDDY_MT_MOVABLE)
		alike = m->pb_pages - (free_pages + movable);
	else
		alike = 0;
	return free_pages + alike >= m->pb_pages / 2;
}

/* extfrag fired before the allocation: the block is still free (before 6.10) */
static int extfrag_before(struct buddy_model *m, struct bm_zone *z, const struct kmt_event *e)
{
	unsigned int fb_order = (unsigned int)e->arg;
	int ret = reveal_mt(m, z, e->ptr, (int)e->aux);

	if (fb_order >= m->pbo) {
		set_range_mt(m, z, e->ptr & ~((1ULL << fb_order) - 1), fb_order, e->mt);
		m->st.claims++;
	} else if (e->arg2 == 1 || (e->arg2 < 0 && claim_heuristic(m, z, e))) {
		set_block_mt(m, z, e->ptr, e->mt);
		m->st.claims++;
	} else {
		m->st.steals++;
		m->steal = (struct bm_steal){ true, z, e->ptr >> m->pbo, e->mt };
	}
	return ret;
}

/* extfrag fired after the allocation: this event is the take (6.10 and later) */
static int extfrag_after(struct buddy_model *m, struct bm_zone *z, const struct kmt_event *e)
{
	unsigned int fb_order = (unsigned int)e->arg;
	int ret = 0;

	if (find_free_block(m, z, e->ptr, (unsigned int)e->order) != NO_PFN)
		ret = reveal_mt(m, z, e->ptr, (int)e->aux);
	if (fb_order >= m->pbo) {
		set_range_mt(m, z, e->ptr & ~((1ULL << fb_order) - 1), fb_order, e->mt);
		m->st.claims++;
	} else if (e->arg2 == 1) {
		set_block_mt(m, z, e->ptr, e->mt);
		m->st.claims++;
	} else {
		m->st.steals++;
	}
	if (m->o.pcp)
		ret |= take_to_pcp(m, z, e->ptr, (unsigned int)e->order, -1);
	return ret;
}

static int extfrag_apply(struct buddy_model *m, struct bm_zone *z, const struct kmt_event *e)
{
	if (m->st.extfrag_style == BUDDY_EXTFRAG_BEFORE_ALLOC)
		return extfrag_before(m, z, e);
	return extfrag_after(m, z, e);
}

static int on_extfrag(struct buddy_model *m, const struct kmt_event *e)
{
	struct bm_zone *z = event_zone(m, e->ptr, e->order);
	__u8 b;

	if (!z)
		return 1;
	if (e->arg < e->order || (unsigned int)e->arg >= m->nr_orders ||
	    e->mt < 0 || (unsigned int)e->mt >= m->o.nr_migratetypes)
		return count_inc(m, BUDDY_INC_BAD_EVENT);
	m->st.fallbacks++;
	b = z->pst[e->ptr - z->start];
	if (m->o.pcp && (U_KIND(b) == U_PCP || U_KIND(b) == U_ALLOC)) {
		/* try_to_steal_block() moved the block, __rmqueue_smallest() took the page */
		if (m->st.extfrag_style == BUDDY_EXTFRAG_AUTO)
			m->st.extfrag_style = BUDDY_EXTFRAG_AFTER_ALLOC;
		if (m->st.extfrag_style == BUDDY_EXTFRAG_BEFORE_ALLOC)
			return count_inc(m, BUDDY_INC_TAKE_NOT_FREE);
		if (m->moved_z == z && m->moved_pb == e->ptr >> m->pbo) {
			m->st.inc[BUDDY_INC_MT_CHANGED]--;	/* that was this claim */
			m->moved_z = NULL;
		}
		m->st.claims++;
		return reveal_mt(m, z, e->ptr, e->mt);
	}
	if (m->st.extfrag_style == BUDDY_EXTFRAG_AUTO &&
	    find_free_block(m, z, e->ptr, (unsigned int)e->order) != NO_PFN) {
		m->pend = (struct bm_pending){ true, 0, *e };
		return 0;
	}
	return extfrag_apply(m, z, e);
}

/* Decide an AUTO extfrag by the next page event of its CPU (NULL: timed out). */
static void pend_resolve(struct buddy_model *m, const struct kmt_event *next)
{
	const struct kmt_event *p = &m->pend.e;
	enum buddy_extfrag_style style = BUDDY_EXTFRAG_AFTER_ALLOC;
	struct bm_zone *z = zone_find(m, p->ptr);

	if (next && next->type == KMT_EV_PAGE_ALLOC_ZONE_LOCKED && next->order == p->order &&
	    next->mt == p->mt) {
		if ((unsigned int)p->arg >= m->pbo ? next->ptr == p->ptr :
		    (next->ptr >> m->pbo) == (p->ptr >> m->pbo))
			style = BUDDY_EXTFRAG_BEFORE_ALLOC;
	}
	m->pend.active = false;
	m->st.extfrag_style = style;
	if (z)
		extfrag_apply(m, z, p);
}

void buddy_model__flush(struct buddy_model *m)
{
	if (m && m->pend.active)
		pend_resolve(m, NULL);
}

static bool same_cpu(const struct kmt_event *a, const struct kmt_event *b)
{
	return (a->flags & KMT_EVF_NO_CPU) || (b->flags & KMT_EVF_NO_CPU) || a->cpu == b->cpu;
}

static bool irq_ctx(const struct kmt_event *e)
{
	return !(e->flags & KMT_EVF_NO_CTX) &&
	       (e->ctx & (KMT_CTX_HARDIRQ_MASK | KMT_CTX_NMI_MASK | KMT_CTX_SOFTIRQ_SERVING));
}

/*
 * The pcp lock of the event's CPU (see "pcp lock" above): records its holder
 * and returns true when the event's context could not take it.
 */
static bool pcp_lock_note(struct buddy_model *m, const struct kmt_event *e)
{
	bool under = (e->type == KMT_EV_PAGE_ALLOC_ZONE_LOCKED && e->arg > 0) ||
		     e->type == KMT_EV_PAGE_FREE_BATCHED;
	struct bm_pcp_lock *l;

	if (!m->o.pcp || (e->flags & (KMT_EVF_NO_CPU | KMT_EVF_NO_TID)) || e->cpu >= 4096)
		return false;
	if (e->cpu >= m->nr_pcp_locks) {
		__u32 n = e->cpu + 1;
		void *p;

		if (!under)
			return false;
		p = realloc(m->pcp_locks, n * sizeof(*m->pcp_locks));
		if (!p)
			return false;
		m->pcp_locks = p;
		memset(m->pcp_locks + m->nr_pcp_locks, 0,
		       (n - m->nr_pcp_locks) * sizeof(*m->pcp_locks));
		m->nr_pcp_locks = n;
	}
	l = &m->pcp_locks[e->cpu];
	if (under) {
		*l = (struct bm_pcp_lock){ .tid = e->tid, .irq = irq_ctx(e), .held = true };
		return false;
	}
	if (!l->held)
		return false;
	if (l->tid == e->tid && l->irq == irq_ctx(e)) {	/* the holder went on */
		l->held = false;
		return false;
	}
	if (m->o.preempt_rt || (l->tid == e->tid && !l->irq))
		return true;
	l->held = false;	/* preemption is off under the lock: it was released */
	return false;
}

int buddy_model__apply(struct buddy_model *m, const struct kmt_event *e)
{
	if (!m || !e)
		return -EINVAL;
	m->pcp_bypass = pcp_lock_note(m, e);
	if (e->type < KMT_EV_PAGE_ALLOC || e->type > KMT_EV_PAGE_ALLOC_EXTFRAG) {
		m->st.ignored++;
		return 0;
	}
	m->st.events++;
	if (m->pend.active) {
		if (same_cpu(e, &m->pend.e))
			pend_resolve(m, e);
		else if (++m->pend.waited > PEND_MAX_WAIT)
			pend_resolve(m, NULL);
	}
	switch (e->type) {
	case KMT_EV_PAGE_ALLOC:
		return on_page_alloc(m, e);
	case KMT_EV_PAGE_FREE:
		return on_page_free(m, e);
	case KMT_EV_PAGE_FREE_BATCHED:
		return on_page_free_batched(m, e);
	case KMT_EV_PAGE_ALLOC_ZONE_LOCKED:
		return on_zone_locked(m, e);
	case KMT_EV_PAGE_PCPU_DRAIN:
		return on_pcpu_drain(m, e);
	default:
		return on_extfrag(m, e);
	}
}

/* ---- lifecycle and initial state ---- */

static int opts_check(const struct buddy_model_opts *o)
{
	if (o->nr_page_orders < 1 || o->nr_page_orders > BUDDY_MAX_ORDERS)
		return -EINVAL;
	if (o->pageblock_order >= o->nr_page_orders)
		return -EINVAL;
	if (o->nr_migratetypes < BUDDY_MT_PCPTYPES || o->nr_migratetypes > BUDDY_MAX_MT)
		return -EINVAL;
	if (o->pcp_thp_order >= o->nr_page_orders || o->extfrag_style > BUDDY_EXTFRAG_AFTER_ALLOC)
		return -EINVAL;
	return 0;
}

static int zone_init(struct buddy_model *m, struct bm_zone *z, const struct kmt_zone_info *zi)
{
	__u64 i;

	z->info = *zi;
	z->start = zi->start_pfn;
	z->end = zi->start_pfn + zi->spanned;
	if (z->end < z->start)
		return -EINVAL;
	z->pb_first = z->start >> m->pbo;
	z->nr_pb = z->end > z->start ? ((z->end - 1) >> m->pbo) - z->pb_first + 1 : 0;
	z->pst = malloc(zi->spanned ? zi->spanned : 1);
	z->pb = calloc(z->nr_pb ? z->nr_pb : 1, sizeof(*z->pb));
	kmt_thp_hint(z->pst, zi->spanned);	/* one byte per pfn, probed at random */
	if (!z->pst || !z->pb)
		return -ENOMEM;
	memset(z->pst, U_BYTE(U_ALLOC, BUDDY_MOB_UNKNOWN, 0), zi->spanned);
	for (i = 0; i < z->nr_pb; i++) {
		__u64 lo = (z->pb_first + i) << m->pbo, hi = lo + m->pb_pages;

		lo = lo < z->start ? z->start : lo;
		hi = hi > z->end ? z->end : hi;
		z->pb[i].mt = BUDDY_MT_MOVABLE;
		z->pb[i].nr_alloc[BUDDY_MOB_UNKNOWN] = (__u16)(hi - lo);
	}
	z->alloc_pages = z->unknown_pages = zi->spanned;
	return 0;
}

static int cmp_zone(const void *a, const void *b)
{
	const struct bm_zone *x = *(struct bm_zone *const *)a, *y = *(struct bm_zone *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int zones_init(struct buddy_model *m, const struct kmt_zone_info *zones, int nr)
{
	int i, err;

	m->zones = calloc(nr ? nr : 1, sizeof(*m->zones));
	m->sorted = calloc(nr ? nr : 1, sizeof(*m->sorted));
	if (!m->zones || !m->sorted)
		return -ENOMEM;
	m->nr_zones = nr;
	for (i = 0; i < nr; i++) {
		err = zone_init(m, &m->zones[i], &zones[i]);
		if (err)
			return err;
		if (m->zones[i].end > m->zones[i].start)	/* empty zones own no pfn */
			m->sorted[m->nr_sorted++] = &m->zones[i];
	}
	qsort(m->sorted, m->nr_sorted, sizeof(*m->sorted), cmp_zone);
	for (i = 1; i < m->nr_sorted; i++)
		if (m->sorted[i]->start < m->sorted[i - 1]->end)
			return -EINVAL;
	return 0;
}

struct buddy_model *buddy_model__new(const struct buddy_model_opts *opts,
				     const struct kmt_zone_info *zones, int nr_zones, int *err)
{
	struct buddy_model *m;
	int ret = -EINVAL;

	if (!opts || nr_zones < 0 || (nr_zones && !zones))
		goto fail;
	m = calloc(1, sizeof(*m));
	if (!m) {
		ret = -ENOMEM;
		goto fail;
	}
	memcpy(&m->o, opts, opts->sz < sizeof(m->o) ? opts->sz : sizeof(m->o));
	m->o.sz = sizeof(m->o);
	ret = opts_check(&m->o);
	if (ret)
		goto fail_free;
	m->nr_orders = m->o.nr_page_orders;
	m->max_order = m->nr_orders - 1;
	m->pbo = m->o.pageblock_order;
	m->pb_pages = 1ULL << m->pbo;
	m->st.extfrag_style = m->o.extfrag_style;
	ret = zones_init(m, zones, nr_zones);
	if (ret)
		goto fail_free;
	return m;
fail_free:
	buddy_model__free(m);
fail:
	if (err)
		*err = ret;
	return NULL;
}

void buddy_model__free(struct buddy_model *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; m->zones && i < m->nr_zones; i++) {
		free(m->zones[i].pst);
		free(m->zones[i].pb);
	}
	free(m->zones);
	free(m->sorted);
	free(m->pcp_locks);
	free(m);
}

int buddy_model_opts__set_mt_names(struct buddy_model_opts *opts, const char *names, size_t len)
{
	static const char *const pcp_names[] = { "Unmovable", "Movable", "Reclaimable" };
	unsigned int n = 0;
	size_t i = 0;

	if (!opts || !names)
		return -EINVAL;
	opts->isolate_mts = 0;
	while (i < len && names[i]) {
		size_t j = i;

		while (j < len && names[j] && names[j] != '\n')
			j++;
		if (n >= BUDDY_MAX_MT)
			return -EINVAL;
		if (n < BUDDY_MT_PCPTYPES &&
		    (strlen(pcp_names[n]) != j - i || strncasecmp(names + i, pcp_names[n], j - i)))
			return -EINVAL;
		if (j - i == 7 && !strncasecmp(names + i, "Isolate", 7))
			opts->isolate_mts |= 1u << n;
		n++;
		i = j < len && names[j] == '\n' ? j + 1 : j;
	}
	if (n < BUDDY_MT_PCPTYPES)
		return -EINVAL;
	opts->nr_migratetypes = n;
	return 0;
}

/* The first zone starting after pfn, or NULL. */
static struct bm_zone *zone_after(const struct buddy_model *m, __u64 pfn)
{
	int i;

	for (i = 0; i < m->nr_sorted; i++)
		if (m->sorted[i]->start > pfn)
			return m->sorted[i];
	return NULL;
}

__u64 buddy_model__add_free_run(struct buddy_model *m, __u64 pfn, __u64 npages)
{
	__u64 end = pfn + npages, added = 0;

	if (!m || end < pfn)
		return 0;
	while (pfn < end) {
		struct bm_zone *z = zone_find(m, pfn);
		__u64 zend;

		if (!z) {
			z = zone_after(m, pfn);
			if (!z)
				break;
			pfn = z->start;
			continue;
		}
		zend = end < z->end ? end : z->end;
		while (pfn < zend) {
			unsigned int o = 0;

			while (o < m->max_order && !(pfn & (1ULL << o)) &&
			       pfn + (2ULL << o) <= zend)
				o++;
			take_range(m, z, pfn, o);
			free_to_buddy(m, z, pfn, o);
			added += 1ULL << o;
			pfn += 1ULL << o;
		}
	}
	return added;
}

int buddy_model__set_pageblock_mt(struct buddy_model *m, __u64 pfn, int mt)
{
	struct bm_zone *z;

	if (!m || mt < 0 || (unsigned int)mt >= m->o.nr_migratetypes)
		return -EINVAL;
	z = zone_find(m, pfn);
	if (!z)
		return -ERANGE;
	set_block_mt(m, z, pfn, mt);
	return 0;
}

/* ---- queries ---- */

const struct buddy_model_stats *buddy_model__stats(const struct buddy_model *m)
{
	return &m->st;
}

int buddy_model__nr_zones(const struct buddy_model *m)
{
	return m->nr_zones;
}

unsigned int buddy_model__nr_page_orders(const struct buddy_model *m)
{
	return m->nr_orders;
}

static const struct bm_zone *zone_at(const struct buddy_model *m, int zone)
{
	return zone >= 0 && zone < m->nr_zones ? &m->zones[zone] : NULL;
}

const struct kmt_zone_info *buddy_model__zone(const struct buddy_model *m, int zone)
{
	const struct bm_zone *z = zone_at(m, zone);

	return z ? &z->info : NULL;
}

int buddy_model__pfn_zone(const struct buddy_model *m, __u64 pfn)
{
	const struct bm_zone *z = zone_find(m, pfn);

	return z ? (int)(z - m->zones) : -1;
}

static __u64 zone_nr_free(const struct buddy_model *m, const struct bm_zone *z,
			  unsigned int order)
{
	__u64 n = 0;
	unsigned int mt;

	for (mt = 0; mt < m->o.nr_migratetypes; mt++)
		n += z->nr_free[order][mt];
	return n;
}

static void zone_free_counts(const struct buddy_model *m, const struct bm_zone *z, __u64 *nr)
{
	unsigned int o;

	for (o = 0; o < m->nr_orders; o++)
		nr[o] = zone_nr_free(m, z, o);
}

static int largest(const __u64 *nr, unsigned int nr_orders)
{
	int o;

	for (o = (int)nr_orders - 1; o >= 0; o--)
		if (nr[o])
			return o;
	return -1;
}

int buddy_model__zone_stats(const struct buddy_model *m, int zone, struct buddy_zone_stats *st)
{
	const struct bm_zone *z = zone_at(m, zone);

	if (!z || !st)
		return -ERANGE;
	memset(st, 0, sizeof(*st));
	st->spanned = z->end - z->start;
	st->free_pages = z->free_pages;
	st->pcp_pages = z->pcp_pages;
	st->alloc_pages = z->alloc_pages;
	st->unknown_pages = z->unknown_pages;
	zone_free_counts(m, z, st->nr_free);
	st->largest_order = largest(st->nr_free, m->nr_orders);
	return 0;
}

__u64 buddy_model__nr_free(const struct buddy_model *m, int zone, unsigned int order, int mt)
{
	const struct bm_zone *z = zone_at(m, zone);

	if (!z || order >= m->nr_orders || mt >= (int)m->o.nr_migratetypes)
		return 0;
	return mt < 0 ? zone_nr_free(m, z, order) : z->nr_free[order][mt];
}

int buddy_model__largest_order(const struct buddy_model *m, int zone)
{
	__u64 nr[BUDDY_MAX_ORDERS];
	const struct bm_zone *z = zone_at(m, zone);

	if (!z)
		return -1;
	zone_free_counts(m, z, nr);
	return largest(nr, m->nr_orders);
}

int buddy_model__lookup(const struct buddy_model *m, __u64 pfn, struct buddy_unit *u)
{
	const struct bm_zone *z = zone_find(m, pfn);
	__u64 h;
	__u8 b;

	if (!z || !u)
		return -ERANGE;
	h = find_unit(m, z, pfn);
	if (h == NO_PFN)
		return -EUCLEAN;
	b = z->pst[h - z->start];
	u->head = h;
	u->order = (int)U_ORDER(b);
	u->state = (enum buddy_state)(U_KIND(b) >> 6);
	u->mob = U_KIND(b) == U_ALLOC ? (enum buddy_mob)U_MOB(b) : BUDDY_MOB_UNKNOWN;
	u->zone = (int)(z - m->zones);
	u->pageblock_mt = pb_mt(m, z, pfn);
	return 0;
}

static bool pb_mixed(const struct bm_pb *pb)
{
	unsigned int mob;

	if (pb->mt >= BUDDY_MT_PCPTYPES)
		return false;
	for (mob = 0; mob < BUDDY_MT_PCPTYPES; mob++)
		if (mob != pb->mt && pb->nr_alloc[mob])
			return true;
	return false;
}

__u64 buddy_model__nr_pageblocks(const struct buddy_model *m, int zone)
{
	const struct bm_zone *z = zone_at(m, zone);

	return z ? z->nr_pb : 0;
}

int buddy_model__pageblock(const struct buddy_model *m, int zone, __u64 idx,
			   struct buddy_pageblock *out)
{
	const struct bm_zone *z = zone_at(m, zone);
	const struct bm_pb *pb;
	unsigned int mob;

	if (!z || idx >= z->nr_pb || !out)
		return -ERANGE;
	pb = &z->pb[idx];
	out->start_pfn = (z->pb_first + idx) << m->pbo;
	out->mt = pb->mt;
	out->mt_known = pb->flags & PB_KNOWN;
	out->mixed = pb_mixed(pb);
	for (mob = 0; mob < BUDDY_NR_MOB; mob++)
		out->nr_alloc[mob] = pb->nr_alloc[mob];
	return 0;
}

int buddy_model__pageblock_stats(const struct buddy_model *m, int zone,
				 struct buddy_pageblock_stats *st)
{
	const struct bm_zone *z = zone_at(m, zone);
	__u64 i;

	if (!z || !st)
		return -ERANGE;
	memset(st, 0, sizeof(*st));
	st->total = z->nr_pb;
	for (i = 0; i < z->nr_pb; i++) {
		const struct bm_pb *pb = &z->pb[i];

		st->by_mt[pb->mt]++;
		st->mt_unknown += !(pb->flags & PB_KNOWN);
		st->with_unknown += pb->nr_alloc[BUDDY_MOB_UNKNOWN] != 0;
		if (pb_mixed(pb)) {
			st->mixed++;
			st->mixed_by_mt[pb->mt]++;
		}
	}
	return 0;
}

/* ---- the kernel's indices (mm/vmstat.c) ---- */

struct contig_page_info {
	__u64 free_pages;
	__u64 free_blocks_total;
	__u64 free_blocks_suitable;
};

/* fill_contig_page_info() */
static void fill_contig_page_info(const __u64 *nr_free, unsigned int nr_orders,
				  unsigned int suitable_order, struct contig_page_info *info)
{
	unsigned int order;

	memset(info, 0, sizeof(*info));
	for (order = 0; order < nr_orders; order++) {
		__u64 blocks = nr_free[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

int buddy__fragmentation_index(const __u64 *nr_free, unsigned int nr_orders, unsigned int order)
{
	struct contig_page_info info;
	__u64 requested = 1ULL << order;

	if (order >= nr_orders)	/* WARN_ON_ONCE(order > MAX_PAGE_ORDER) */
		return 0;
	fill_contig_page_info(nr_free, nr_orders, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return (int)(1000 - (1000 + info.free_pages * 1000ULL / requested) /
		     info.free_blocks_total);
}

int buddy__unusable_index(const __u64 *nr_free, unsigned int nr_orders, unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(nr_free, nr_orders, order, &info);
	if (!info.free_pages)
		return 1000;
	return (int)((info.free_pages - (info.free_blocks_suitable << order)) * 1000ULL /
		     info.free_pages);
}

unsigned int buddy__extfrag_for_order(const __u64 *nr_free, unsigned int nr_orders,
				      unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(nr_free, nr_orders, order, &info);
	if (!info.free_pages)
		return 0;
	return (unsigned int)((info.free_pages - (info.free_blocks_suitable << order)) * 100 /
			      info.free_pages);
}

int buddy_model__fragmentation_index(const struct buddy_model *m, int zone, unsigned int order)
{
	__u64 nr[BUDDY_MAX_ORDERS];
	const struct bm_zone *z = zone_at(m, zone);

	if (!z)
		return 0;
	zone_free_counts(m, z, nr);
	return buddy__fragmentation_index(nr, m->nr_orders, order);
}

int buddy_model__unusable_index(const struct buddy_model *m, int zone, unsigned int order)
{
	__u64 nr[BUDDY_MAX_ORDERS];
	const struct bm_zone *z = zone_at(m, zone);

	if (!z)
		return 1000;
	zone_free_counts(m, z, nr);
	return buddy__unusable_index(nr, m->nr_orders, order);
}

unsigned int buddy_model__extfrag_for_order(const struct buddy_model *m, int zone,
					    unsigned int order)
{
	__u64 nr[BUDDY_MAX_ORDERS];
	const struct bm_zone *z = zone_at(m, zone);

	if (!z)
		return 0;
	zone_free_counts(m, z, nr);
	return buddy__extfrag_for_order(nr, m->nr_orders, order);
}

static __u64 node_present(const struct buddy_model *m, __u32 node)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < m->nr_zones; i++)
		if (m->zones[i].info.node == node)
			n += m->zones[i].info.present;
	return n;
}

/* fragmentation_score_zone_weighted() */
unsigned int buddy_model__compaction_score(const struct buddy_model *m, int zone,
					   unsigned int order)
{
	const struct bm_zone *z = zone_at(m, zone);
	__u64 score;

	if (!z)
		return 0;
	score = z->info.present * buddy_model__extfrag_for_order(m, zone, order);
	return (unsigned int)(score / (node_present(m, z->info.node) + 1));
}

/* fragmentation_score_node(): populated zones only */
unsigned int buddy_model__node_compaction_score(const struct buddy_model *m, int node,
						unsigned int order)
{
	unsigned int score = 0;
	int i;

	for (i = 0; i < m->nr_zones; i++)
		if ((int)m->zones[i].info.node == node && m->zones[i].info.present)
			score += buddy_model__compaction_score(m, i, order);
	return score;
}

/* ---- ideal compaction ---- */

static bool unit_pinned(const struct buddy_model *m, const struct bm_zone *z, __u64 pfn, __u8 b)
{
	if (U_KIND(b) != U_ALLOC || U_MOB(b) == BUDDY_MOB_MOVABLE)
		return false;
	if (U_MOB(b) == BUDDY_MOB_UNKNOWN)
		return pb_mt(m, z, pfn) != BUDDY_MT_MOVABLE;
	return true;
}

/* Count the maximal aligned blocks of [lo, hi), capped at the max order. */
static void cut_blocks(const struct buddy_model *m, __u64 lo, __u64 hi, __u64 *nr)
{
	while (lo < hi) {
		unsigned int o = 0;

		while (o < m->max_order && !(lo & (1ULL << o)) && lo + (2ULL << o) <= hi)
			o++;
		nr[o]++;
		lo += 1ULL << o;
	}
}

int buddy_model__ideal_free(const struct buddy_model *m, int zone, __u64 *nr_free)
{
	const struct bm_zone *z = zone_at(m, zone);
	__u64 cand[BUDDY_MAX_ORDERS] = { 0 }, p, run, left;
	int o;

	if (!z || !nr_free)
		return -ERANGE;
	memset(nr_free, 0, m->nr_orders * sizeof(*nr_free));
	for (p = run = z->start; p < z->end;) {
		__u8 b = z->pst[p - z->start];
		__u64 n = b ? 1ULL << U_ORDER(b) : 1;

		if (unit_pinned(m, z, p, b)) {
			cut_blocks(m, run, p, cand);
			run = p + n;
		}
		p += n;
	}
	cut_blocks(m, run, z->end, cand);
	left = z->free_pages;
	for (o = (int)(m->max_order % BUDDY_MAX_ORDERS); o >= 0 && left; o--) {
		__u64 k = left >> o < cand[o] ? left >> o : cand[o];

		nr_free[o] += k;
		left -= k << o;
		if (left && k < cand[o])	/* the remainder, < 2^o, in one more block */
			break;
	}
	for (o = 0; o < (int)m->max_order; o++)
		if (left & (1ULL << o))
			nr_free[o]++;
	return largest(nr_free, m->nr_orders);
}

/* ---- invariants ---- */

struct check_ctx {
	const struct buddy_model *m;
	const struct bm_zone *z;
	char *err;
	size_t errlen;
	__u64 nr_free[BUDDY_MAX_ORDERS][BUDDY_MAX_MT];
	__u64 free_pages, pcp_pages, alloc_pages, unknown_pages;
	__u32 *pb_alloc;	/* nr_pb * BUDDY_NR_MOB */
};

__attribute__((format(printf, 3, 4)))
static int bug(struct check_ctx *c, __u64 pfn, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "BUG: zone %d (%s) pfn 0x%llx: %s",
			 (int)(c->z - c->m->zones), c->z->info.name, ULL(pfn), msg);
	return -EUCLEAN;
}

/* A free block: merged as far as __free_one_page() would, one type when large. */
static int check_free(struct check_ctx *c, __u64 p, unsigned int o)
{
	const struct buddy_model *m = c->m;
	const struct bm_zone *z = c->z;
	__u64 bp = p ^ (1ULL << o), i;
	int mt = pb_mt(m, z, p);

	c->nr_free[o][mt]++;
	c->free_pages += 1ULL << o;
	if (o < m->max_order && bp >= z->start && bp + (1ULL << o) <= z->end &&
	    z->pst[bp - z->start] == U_BYTE(U_FREE, 0, o)) {
		int bmt = pb_mt(m, z, bp);

		if (o < m->pbo || mt == bmt || (mergeable(mt) && mergeable(bmt)))
			return bug(c, p, "free buddies of order %u left unmerged (0x%llx)", o,
				   ULL(bp));
	}
	for (i = m->pb_pages; o > m->pbo && i < (1ULL << o); i += m->pb_pages)
		if (pb_mt(m, z, p + i) != mt)
			return bug(c, p, "free block of order %u spans pageblock types %d and %d",
				   o, mt, pb_mt(m, z, p + i));
	return 0;
}

static int check_unit(struct check_ctx *c, __u64 p, __u8 b)
{
	const struct buddy_model *m = c->m;
	const struct bm_zone *z = c->z;
	unsigned int o = U_ORDER(b);
	__u64 i;

	if (o >= m->nr_orders)
		return bug(c, p, "order %u out of range", o);
	if (p & ((1ULL << o) - 1))
		return bug(c, p, "block of order %u not naturally aligned", o);
	if (p + (1ULL << o) > z->end)
		return bug(c, p, "block of order %u ends outside its zone", o);
	for (i = 1; i < (1ULL << o); i++)
		if (z->pst[p + i - z->start])
			return bug(c, p + i, "overlaps the block of order %u at 0x%llx", o,
				   ULL(p));
	switch (U_KIND(b)) {
	case U_FREE:
		return U_MOB(b) ? bug(c, p, "free block with a mobility") : check_free(c, p, o);
	case U_PCP:
		c->pcp_pages += 1ULL << o;
		return 0;
	default:
		c->alloc_pages += 1ULL << o;
		if (U_MOB(b) == BUDDY_MOB_UNKNOWN)
			c->unknown_pages += 1ULL << o;
		for (i = 0; i < (1ULL << o); i++) {
			__u64 pb = ((p + i) >> m->pbo) - z->pb_first;

			c->pb_alloc[pb * BUDDY_NR_MOB + U_MOB(b)]++;
		}
		return 0;
	}
}

static int check_counts(struct check_ctx *c)
{
	const struct buddy_model *m = c->m;
	const struct bm_zone *z = c->z;
	unsigned int o, mt;
	__u64 i;

	for (o = 0; o < m->nr_orders; o++) {
		for (mt = 0; mt < BUDDY_MAX_MT; mt++) {
			if (c->nr_free[o][mt] == z->nr_free[o][mt])
				continue;
			return bug(c, z->start, "order %u type %u: %llu free blocks, counted %llu",
				   o, mt, ULL(c->nr_free[o][mt]), ULL(z->nr_free[o][mt]));
		}
	}
	if (c->free_pages != z->free_pages || c->pcp_pages != z->pcp_pages ||
	    c->alloc_pages != z->alloc_pages || c->unknown_pages != z->unknown_pages)
		return bug(c, z->start, "free/pcp/alloc/unknown pages %llu/%llu/%llu/%llu, "
			   "recounted %llu/%llu/%llu/%llu",
			   ULL(z->free_pages), ULL(z->pcp_pages), ULL(z->alloc_pages),
			   ULL(z->unknown_pages), ULL(c->free_pages), ULL(c->pcp_pages),
			   ULL(c->alloc_pages), ULL(c->unknown_pages));
	if (z->free_pages + z->pcp_pages + z->alloc_pages != z->end - z->start)
		return bug(c, z->start, "free + pcp + allocated != %llu spanned pages",
			   ULL(z->end - z->start));
	for (i = 0; i < z->nr_pb * BUDDY_NR_MOB; i++)
		if (c->pb_alloc[i] != z->pb[i / BUDDY_NR_MOB].nr_alloc[i % BUDDY_NR_MOB])
			return bug(c, (z->pb_first + i / BUDDY_NR_MOB) << m->pbo,
				   "pageblock mobility %llu: %u allocated pages, counted %u",
				   ULL(i % BUDDY_NR_MOB), c->pb_alloc[i],
				   z->pb[i / BUDDY_NR_MOB].nr_alloc[i % BUDDY_NR_MOB]);
	return 0;
}

static int check_zone(const struct buddy_model *m, const struct bm_zone *z, char *err,
		      size_t errlen)
{
	struct check_ctx c = { .m = m, .z = z, .err = err, .errlen = errlen };
	__u64 p = z->start;
	int ret = 0;

	c.pb_alloc = calloc(z->nr_pb * BUDDY_NR_MOB + 1, sizeof(*c.pb_alloc));
	if (!c.pb_alloc)
		return -ENOMEM;
	while (p < z->end && !ret) {
		__u8 b = z->pst[p - z->start];

		if (!b) {
			ret = bug(&c, p, "in no block");
			break;
		}
		ret = check_unit(&c, p, b);
		p += 1ULL << U_ORDER(b);
	}
	if (!ret)
		ret = check_counts(&c);
	free(c.pb_alloc);
	return ret;
}

int buddy_model__check(const struct buddy_model *m, char *err, size_t errlen)
{
	int i, ret;

	if (err && errlen)
		err[0] = 0;
	for (i = 0; i < m->nr_zones; i++) {
		ret = check_zone(m, &m->zones[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

size_t buddy_model__mem_bytes(const struct buddy_model *m)
{
	size_t n = sizeof(*m) + m->nr_zones * (sizeof(*m->zones) + sizeof(*m->sorted));
	int i;

	for (i = 0; i < m->nr_zones; i++)
		n += m->zones[i].end - m->zones[i].start + m->zones[i].nr_pb * sizeof(struct bm_pb);
	return n;
}

__u64 buddy_model__pages(const struct buddy_model *m)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < m->nr_zones; i++)
		n += m->zones[i].end - m->zones[i].start;
	return n;
}

static const char *const inc_names[BUDDY_INC_MAX] = {
	[BUDDY_INC_FREE_UNSEEN] = "free_unseen",
	[BUDDY_INC_FREE_PARTIAL] = "free_partial",
	[BUDDY_INC_FREE_IN_PCP] = "free_in_pcp",
	[BUDDY_INC_ALLOC_UNSEEN] = "alloc_unseen",
	[BUDDY_INC_DRAIN_UNSEEN] = "drain_unseen",
	[BUDDY_INC_MT_CHANGED] = "mt_changed",
	[BUDDY_INC_FREE_OF_FREE] = "free_of_free",
	[BUDDY_INC_ALLOC_OF_ALLOC] = "alloc_of_alloc",
	[BUDDY_INC_ALLOC_FROM_BUDDY] = "alloc_from_buddy",
	[BUDDY_INC_TAKE_NOT_FREE] = "take_not_free",
	[BUDDY_INC_DRAIN_NOT_PCP] = "drain_not_pcp",
	[BUDDY_INC_OUTSIDE_ZONES] = "outside_zones",
	[BUDDY_INC_BAD_EVENT] = "bad_event",
};

const char *buddy_inc_name(enum buddy_inc kind)
{
	return (unsigned int)kind < BUDDY_INC_MAX ? inc_names[kind] : "unknown";
}

bool buddy_inc_expected(enum buddy_inc kind)
{
	return kind <= BUDDY_INC_MT_CHANGED;
}
