// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The buddy model on hand-built event streams whose outcomes are worked out
 * by hand below, check() after every operation; a seeded random property
 * test; the kernel's index formulas on hand-computed free areas; replay rate.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "../test.h"
#include "buddy.h"

/* migratetypes as on this machine's /proc/pagetypeinfo (no CMA) */
#define MT_NAMES	"Unmovable\nMovable\nReclaimable\nHighAtomic\nIsolate"
#define U		BUDDY_MT_UNMOVABLE
#define M		BUDDY_MT_MOVABLE
#define R		BUDDY_MT_RECLAIMABLE
#define HA		3
#define ISO		4

/* zone indices and the layout of x86-64's first zones */
#define Z_DMA		0	/* pfn 1..0xffe: neither end aligned */
#define Z_DMA32		1	/* 0x1000..0x17ff */
#define Z_NORMAL	2	/* 0x100000..0x100fff: four order-10 blocks */
#define N		0x100000ULL

static const struct kmt_zone_info test_zones[] = {
	{ .node = 0, .name = "DMA", .start_pfn = 1, .spanned = 0xffe, .present = 0xffe,
	  .managed = 0xffe },
	{ .node = 0, .name = "DMA32", .start_pfn = 0x1000, .spanned = 0x800, .present = 0x800,
	  .managed = 0x800 },
	{ .node = 0, .name = "Normal", .start_pfn = N, .spanned = 0x1000, .present = 0x1000,
	  .managed = 0x1000 },
};

static struct buddy_model *mk(bool pcp, enum buddy_extfrag_style style)
{
	struct buddy_model_opts o = {
		.sz = sizeof(o),
		.nr_page_orders = 11,
		.pageblock_order = 9,
		.pcp = pcp,
		.pcp_thp_order = 9,
		.extfrag_style = style,
	};

	if (buddy_model_opts__set_mt_names(&o, MT_NAMES, strlen(MT_NAMES)))
		return NULL;
	return buddy_model__new(&o, test_zones, 3, NULL);
}

static int ev(struct buddy_model *m, __u32 type, __u64 pfn, int order, int mt)
{
	struct kmt_event e = { .type = type, .ptr = pfn, .order = order, .mt = mt,
			       .arg = type == KMT_EV_PAGE_ALLOC_ZONE_LOCKED, .stack_id = -1 };

	return buddy_model__apply(m, &e);
}

static int extfrag(struct buddy_model *m, __u32 cpu, __u64 pfn, int order, int fb_order,
		   int alloc_mt, int fb_mt)
{
	struct kmt_event e = { .type = KMT_EV_PAGE_ALLOC_EXTFRAG, .ptr = pfn, .order = order,
			       .arg = fb_order, .mt = alloc_mt, .aux = (__u64)fb_mt, .arg2 = -1,
			       .cpu = cpu, .stack_id = -1 };

	return buddy_model__apply(m, &e);
}

#define ALLOC		KMT_EV_PAGE_ALLOC
#define FREE		KMT_EV_PAGE_FREE
#define LOCKED		KMT_EV_PAGE_ALLOC_ZONE_LOCKED
#define DRAIN		KMT_EV_PAGE_PCPU_DRAIN

#define CHECK(m) do { char _err[256];						\
	if (buddy_model__check((m), _err, sizeof(_err))) FAIL("%s", _err); } while (0)
/* apply one event, expect its return value, then check every invariant */
#define APPLY(m, ret, type, pfn, order, mt) do {				\
	ASSERT_EQ(ev((m), (type), (pfn), (order), (mt)), (ret)); CHECK(m); } while (0)

static __u64 nfree(const struct buddy_model *m, int zone, unsigned int order)
{
	return buddy_model__nr_free(m, zone, order, -1);
}

static struct buddy_zone_stats zst(const struct buddy_model *m, int zone)
{
	struct buddy_zone_stats st;

	buddy_model__zone_stats(m, zone, &st);
	return st;
}

static struct buddy_unit unit(const struct buddy_model *m, __u64 pfn)
{
	struct buddy_unit u = { .head = ~0ULL, .order = -1 };

	buddy_model__lookup(m, pfn, &u);
	return u;
}

static __u64 inc(const struct buddy_model *m, enum buddy_inc kind)
{
	return buddy_model__stats(m)->inc[kind];
}

static __u64 inc_total(const struct buddy_model *m)
{
	__u64 n = 0;
	int k;

	for (k = 0; k < BUDDY_INC_MAX; k++)
		n += inc(m, k);
	return n;
}

TEST(buddy_new_and_opts)
{
	struct buddy_model_opts o = { .sz = sizeof(o), .nr_page_orders = 11, .pageblock_order = 9 };
	struct kmt_zone_info overlap[2] = { test_zones[1], test_zones[1] };
	struct buddy_model *m;
	int err = 0;

	buddy_model__free(NULL);
	ASSERT_EQ(buddy_model_opts__set_mt_names(&o, "Movable\nUnmovable\nReclaimable", 30),
		  -EINVAL);
	ASSERT_EQ(buddy_model_opts__set_mt_names(&o, MT_NAMES, strlen(MT_NAMES)), 0);
	ASSERT_EQ(o.nr_migratetypes, 5);
	ASSERT_EQ(o.isolate_mts, 1u << ISO);
	overlap[1].start_pfn += 0x10;
	m = buddy_model__new(&o, overlap, 2, &err);
	ASSERT_TRUE(!m);
	ASSERT_EQ(err, -EINVAL);
	o.pageblock_order = 11;
	ASSERT_TRUE(!buddy_model__new(&o, test_zones, 3, &err));
	ASSERT_EQ(err, -EINVAL);
	o.pageblock_order = 9;
	m = buddy_model__new(&o, test_zones, 3, &err);
	ASSERT_TRUE(m);
	CHECK(m);
	/* everything starts allocated, origin unknown */
	ASSERT_EQ(zst(m, Z_NORMAL).alloc_pages, 0x1000);
	ASSERT_EQ(zst(m, Z_NORMAL).unknown_pages, 0x1000);
	ASSERT_EQ(zst(m, Z_NORMAL).largest_order, -1);
	ASSERT_EQ(buddy_model__pfn_zone(m, 0), -1);
	ASSERT_EQ(buddy_model__pfn_zone(m, 1), Z_DMA);
	ASSERT_EQ(buddy_model__pfn_zone(m, N + 0xfff), Z_NORMAL);
	ASSERT_EQ(buddy_model__pfn_zone(m, N + 0x1000), -1);
	ASSERT_EQ(buddy_model__nr_pageblocks(m, Z_DMA), 8);	/* pfn 0..0xfff */
	ASSERT_EQ(buddy_model__nr_pageblocks(m, Z_NORMAL), 8);
	buddy_model__free(m);
}

/*
 * Free runs are cut into maximal aligned blocks, capped at order 10:
 * DMA (pfn 1..0xffe) holds 1 o0, 2 o1, 4 o2, ..., 512 o9, 1024 o10, 2048 o10,
 * then 3072 o9, 3584 o8, ..., 4092 o1, 4094 o0: two blocks of every order.
 * The Normal zone's 4096 pages are four order-10 blocks, not one order-12
 * block.
 */
TEST(buddy_free_runs)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	unsigned int o;

	ASSERT_TRUE(m);
	ASSERT_EQ(buddy_model__add_free_run(m, 0, 0x1000), 0xffe);	/* pfn 0 is in no zone */
	CHECK(m);
	for (o = 0; o <= 10; o++)
		ASSERT_EQ(nfree(m, Z_DMA, o), 2);
	ASSERT_EQ(buddy_model__add_free_run(m, N, 0x1000), 0x1000);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_NORMAL, 10), 4);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 0x1000);
	/* two runs meeting: [0x1003, 0x1010) then [0x1010, 0x1020): 3 o0, 4 o2, 8 o3 + 16 o4 */
	ASSERT_EQ(buddy_model__add_free_run(m, 0x1003, 13), 13);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_DMA32, 0), 1);
	ASSERT_EQ(nfree(m, Z_DMA32, 2), 1);
	ASSERT_EQ(nfree(m, Z_DMA32, 3), 1);
	ASSERT_EQ(buddy_model__add_free_run(m, 0x1010, 16), 16);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_DMA32, 3), 1);	/* 0x1008 o3 */
	ASSERT_EQ(nfree(m, Z_DMA32, 4), 1);	/* 0x1010 o4: its buddy 0x1000 is not free */
	/*
	 * 0x1000..0x1002: 0x1000 o1 (its buddy 0x1002 not yet free), then 0x1002
	 * o0 merges: + 0x1003 -> o1, + 0x1000 -> o2, + 0x1004 -> o3, + 0x1008 ->
	 * o4, + 0x1010 -> o5.
	 */
	ASSERT_EQ(buddy_model__add_free_run(m, 0x1000, 3), 3);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_DMA32, 5), 1);	/* 0x1000..0x101f */
	ASSERT_EQ(zst(m, Z_DMA32).largest_order, 5);
	buddy_model__free(m);
}

/*
 * An order-0 allocation splits an order-3 block: expand() leaves the upper
 * halves free, order 2 at +4, order 1 at +2, order 0 at +1.
 */
TEST(buddy_split_order3)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);

	ASSERT_TRUE(m);
	ASSERT_EQ(buddy_model__add_free_run(m, N + 8, 8), 8);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);
	APPLY(m, 0, LOCKED, N + 8, 0, M);	/* rmqueue_bulk(): to a pcp list */
	ASSERT_EQ(nfree(m, Z_NORMAL, 0), 1);
	ASSERT_EQ(nfree(m, Z_NORMAL, 1), 1);
	ASSERT_EQ(nfree(m, Z_NORMAL, 2), 1);
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 0);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 7);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 1);
	ASSERT_EQ(unit(m, N + 9).head, N + 9);
	ASSERT_EQ(unit(m, N + 11).head, N + 10);
	ASSERT_EQ(unit(m, N + 11).order, 1);
	ASSERT_EQ(unit(m, N + 15).head, N + 12);
	ASSERT_EQ(unit(m, N + 15).order, 2);
	ASSERT_EQ(unit(m, N + 15).state, BUDDY_FREE);
	APPLY(m, 0, ALLOC, N + 8, 0, M);	/* handed out from the pcp list */
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).alloc_pages, 0x1000 - 7);
	ASSERT_EQ(unit(m, N + 8).state, BUDDY_ALLOC);
	ASSERT_EQ(unit(m, N + 8).mob, BUDDY_MOB_MOVABLE);
	/* a page inside a block: [N+12, 4) -> N+12 o0, N+13 taken, N+14 o1 */
	APPLY(m, 0, LOCKED, N + 13, 0, M);
	ASSERT_EQ(nfree(m, Z_NORMAL, 0), 2);
	ASSERT_EQ(nfree(m, Z_NORMAL, 1), 2);
	ASSERT_EQ(nfree(m, Z_NORMAL, 2), 0);
	/* N+8 back: pcp, then drained: + N+9 -> o1 at N+8, + N+10 -> o2; N+12 is split */
	APPLY(m, 0, FREE, N + 8, 0, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 6);
	APPLY(m, 0, DRAIN, N + 8, 0, M);
	ASSERT_EQ(unit(m, N + 8).order, 2);
	ASSERT_EQ(nfree(m, Z_NORMAL, 2), 1);
	ASSERT_EQ(nfree(m, Z_NORMAL, 1), 1);
	ASSERT_EQ(nfree(m, Z_NORMAL, 0), 1);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

/*
 * Allocate the 1024 pages of the first order-10 block one by one, free them
 * to pcp lists (nothing merges), drain them in another order: the block is
 * whole again. 4096 free pages are four order-10 blocks: the max order caps.
 */
TEST(buddy_merge_to_max_order)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	__u64 i;

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 0x1000);
	for (i = 0; i < 1024; i++) {
		APPLY(m, 0, LOCKED, N + i, 0, M);
		APPLY(m, 0, ALLOC, N + i, 0, M);
	}
	ASSERT_EQ(nfree(m, Z_NORMAL, 10), 3);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 3072);
	ASSERT_EQ(zst(m, Z_NORMAL).largest_order, 10);
	for (i = 0; i < 1024; i++)
		APPLY(m, 0, FREE, N + (i * 37) % 1024, 0, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 1024);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 3072);
	for (i = 0; i < 1024; i++) {
		APPLY(m, 0, DRAIN, N + (i * 101) % 1024, 0, M);
		if (i == 511)	/* still no order-10 block: 512 of its pages are out */
			ASSERT_EQ(nfree(m, Z_NORMAL, 10), 3);
	}
	ASSERT_EQ(nfree(m, Z_NORMAL, 10), 4);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(nfree(m, Z_NORMAL, i), 0);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 0x1000);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

/*
 * pcp_allowed_order(): orders 0..3 and the THP order wait on pcp lists for
 * mm_page_pcpu_drain; order 4 merges at once (__free_pages_ok()).
 */
TEST(buddy_pcp_free_then_drain)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 16);
	APPLY(m, 0, LOCKED, N, 0, M);
	APPLY(m, 0, ALLOC, N, 0, M);		/* N+1 o0, N+2 o1, N+4 o2, N+8 o3 free */
	APPLY(m, 0, FREE, N, 0, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 1);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 15);
	ASSERT_EQ(nfree(m, Z_NORMAL, 0), 1);	/* N+1 waits: its buddy N is on a pcp list */
	APPLY(m, 0, DRAIN, N, 0, M);
	ASSERT_EQ(nfree(m, Z_NORMAL, 4), 1);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 16);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 0);

	APPLY(m, 0, LOCKED, N, 4, M);		/* order 4: rmqueue_buddy() */
	APPLY(m, 0, ALLOC, N, 4, M);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 0);
	APPLY(m, 0, FREE, N, 4, 0);		/* not pcp-allowed: straight back */
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 16);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 0);

	buddy_model__add_free_run(m, N + 512, 512);
	APPLY(m, 0, LOCKED, N + 512, 9, M);	/* a THP */
	APPLY(m, 0, ALLOC, N + 512, 9, M);
	APPLY(m, 0, FREE, N + 512, 9, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 512);
	ASSERT_EQ(nfree(m, Z_NORMAL, 9), 0);
	APPLY(m, 0, DRAIN, N + 512, 9, M);
	ASSERT_EQ(nfree(m, Z_NORMAL, 9), 1);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

/*
 * rmqueue_bulk() refills a pcp list with eight order-0 pages from an order-3
 * block, __rmqueue_smallest() taking the smallest block each time: N (N+4 o2,
 * N+2 o1, N+1 o0 left), N+1, N+2 (N+3 left), N+3, N+4 (N+6 o1, N+5), N+5,
 * N+6 (N+7), N+7. Then one of them is allocated from the pcp list: only
 * mm_page_alloc fires.
 */
TEST(buddy_refill_then_pcp_alloc)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	int i;

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 8);
	for (i = 0; i < 8; i++) {
		APPLY(m, 0, LOCKED, N + i, 0, M);
		if (i == 0)
			ASSERT_EQ(nfree(m, Z_NORMAL, 2) + nfree(m, Z_NORMAL, 1) +
				  nfree(m, Z_NORMAL, 0), 3);
	}
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 8);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 0);
	APPLY(m, 0, ALLOC, N + 3, 0, U);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 7);
	ASSERT_EQ(unit(m, N + 3).mob, BUDDY_MOB_UNMOVABLE);
	APPLY(m, 0, FREE, N + 3, 0, 0);
	for (i = 7; i >= 0; i--)
		APPLY(m, 0, DRAIN, N + i, 0, M);
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

/*
 * Fallbacks recorded by mm_page_alloc_extfrag, 6.10+ order (the page is
 * already taken when it fires). Pageblocks of the Normal zone: 0-1 hold
 * N..N+1023 (allocated), 2-3 N+1024.., 4-5 N+2048.., 6-7 N+3072...
 *
 * Claim of a large block: an unmovable order-0 allocation takes N+1024 from
 * an order-10 Movable block: change_pageblock_range() makes pageblocks 2-3
 * Unmovable, expand() puts o9..o0 on Unmovable lists.
 */
TEST(buddy_extfrag_claim_large)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	struct buddy_pageblock pb;

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N + 1024, 3072);	/* three order-10 blocks, Movable */
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 10, M), 3);
	ASSERT_EQ(extfrag(m, 0, N + 1024, 0, 10, U, M), 0);
	CHECK(m);
	ASSERT_EQ(unit(m, N + 1024).state, BUDDY_PCP);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 9, U), 1);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 0, U), 1);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 10, M), 2);
	ASSERT_EQ(buddy_model__pageblock(m, Z_NORMAL, 3, &pb), 0);
	ASSERT_EQ(pb.mt, U);
	ASSERT_TRUE(pb.mt_known);
	APPLY(m, 0, ALLOC, N + 1024, 0, U);
	ASSERT_EQ(buddy_model__pageblock(m, Z_NORMAL, 2, &pb), 0);
	ASSERT_EQ(pb.nr_alloc[BUDDY_MOB_UNMOVABLE], 1);
	ASSERT_FALSE(pb.mixed);
	ASSERT_EQ(buddy_model__stats(m)->claims, 1);
	ASSERT_EQ(buddy_model__stats(m)->fallbacks, 1);
	buddy_model__free(m);
}

/*
 * Steal: a movable page from N+2048 (N+2049 o0, N+2050 o1, ... N+2560 o9
 * left), then an unmovable allocation steals N+2050 (order-1 fallback
 * block): N+2051 stays on the Movable list, pageblock 4 stays Movable, and
 * now holds an unmovable page: mixed.
 * Claim by moving the block: try_to_steal_block() retypes pageblock 4 and
 * __rmqueue_smallest() takes N+2051 from the Unmovable list (zone_locked,
 * type U), then extfrag fires for the taken page. The type change seen at
 * zone_locked is the claim, not an inconsistency. Pageblock 4's free blocks
 * (o8 N+2304 .. o2 N+2052) move to Unmovable lists; o9 N+2560 is pageblock 5.
 */
TEST(buddy_extfrag_steal_then_claim)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	struct buddy_pageblock_stats ps;

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N + 2048, 1024);
	APPLY(m, 0, LOCKED, N + 2048, 0, M);
	APPLY(m, 0, ALLOC, N + 2048, 0, M);
	ASSERT_EQ(extfrag(m, 0, N + 2050, 0, 1, U, M), 0);
	CHECK(m);
	ASSERT_EQ(unit(m, N + 2051).state, BUDDY_FREE);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 0, M), 2);	/* N+2049, N+2051 */
	APPLY(m, 0, ALLOC, N + 2050, 0, U);
	ASSERT_EQ(buddy_model__stats(m)->steals, 1);
	ASSERT_EQ(buddy_model__pageblock_stats(m, Z_NORMAL, &ps), 0);
	ASSERT_EQ(ps.mixed, 1);
	ASSERT_EQ(ps.mixed_by_mt[M], 1);
	ASSERT_EQ(ps.with_unknown, 6);	/* all but pageblocks 4-5: nothing seen there */

	ASSERT_EQ(ev(m, LOCKED, N + 2051, 0, U), 1);
	CHECK(m);
	ASSERT_EQ(extfrag(m, 0, N + 2051, 0, 3, U, M), 0);
	CHECK(m);
	ASSERT_EQ(inc(m, BUDDY_INC_MT_CHANGED), 0);
	ASSERT_EQ(buddy_model__stats(m)->claims, 1);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 8, U), 1);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 2, U), 1);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 9, M), 1);
	ASSERT_EQ(buddy_model__pageblock_stats(m, Z_NORMAL, &ps), 0);
	ASSERT_EQ(ps.mixed, 1);		/* now Unmovable, holding a movable page */
	ASSERT_EQ(ps.mixed_by_mt[U], 1);
	ASSERT_EQ(ps.by_mt[U], 1);
	buddy_model__free(m);
}

/*
 * AUTO on a pre-6.10 stream: extfrag fires with the block still free and
 * the next page event of that CPU is the zone_locked that takes it (at the
 * block itself, fallback order 10 >= pageblock order). An event of another
 * CPU in between does not decide.
 */
TEST(buddy_extfrag_auto_before)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AUTO);
	struct kmt_event e = { .type = LOCKED, .ptr = N + 1024, .order = 0, .mt = U, .arg = 1,
			       .cpu = 3 };

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N + 1024, 3072);
	ASSERT_EQ(extfrag(m, 3, N + 1024, 0, 10, U, M), 0);
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_AUTO);
	CHECK(m);
	ASSERT_EQ(unit(m, N + 1024).state, BUDDY_FREE);	/* pending */
	APPLY(m, 1, FREE, N + 7, 0, 0);	/* cpu 0, an unseen page */
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_AUTO);
	ASSERT_EQ(buddy_model__apply(m, &e), 0);
	CHECK(m);
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_BEFORE_ALLOC);
	ASSERT_EQ(unit(m, N + 1024).state, BUDDY_PCP);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 9, U), 1);
	ASSERT_EQ(inc(m, BUDDY_INC_MT_CHANGED), 0);

	/*
	 * Below pageblock order, steal_suitable_fallback() claims the pageblock
	 * when free + alike pages >= 256. Pageblock 4 (N+2048): 256 movable
	 * pages allocated, 256 free: an unmovable request claims it (alike: the
	 * non-movable, non-free pages = 0; 256 + 0 >= 256).
	 */
	APPLY(m, 0, LOCKED, N + 2048, 8, M);
	APPLY(m, 0, ALLOC, N + 2048, 8, M);
	ASSERT_EQ(extfrag(m, 3, N + 2304, 0, 8, U, M), 0);
	APPLY(m, 0, LOCKED, N + 2304, 0, U);
	ASSERT_EQ(buddy_model__stats(m)->claims, 2);
	ASSERT_EQ(unit(m, N + 2304).pageblock_mt, U);
	/*
	 * Pageblock 6 (N+3072): 384 movable pages, 128 free: 128 + 0 < 256, a
	 * reclaimable request steals without claiming. The block moves to the
	 * Reclaimable list, the pageblock stays Movable; the zone_locked that
	 * follows says R and is not a type change.
	 */
	APPLY(m, 0, LOCKED, N + 3072, 8, M);
	APPLY(m, 0, ALLOC, N + 3072, 8, M);
	APPLY(m, 0, LOCKED, N + 3328, 7, M);
	APPLY(m, 0, ALLOC, N + 3328, 7, M);
	ASSERT_EQ(extfrag(m, 3, N + 3456, 0, 7, R, M), 0);
	CHECK(m);
	ASSERT_EQ(buddy_model__stats(m)->steals, 1);
	APPLY(m, 0, LOCKED, N + 3456, 0, R);
	ASSERT_EQ(inc(m, BUDDY_INC_MT_CHANGED), 0);
	ASSERT_EQ(unit(m, N + 3456).pageblock_mt, M);
	buddy_model__free(m);
}

/*
 * AUTO, fallback below pageblock order, before 6.10: the zone_locked that
 * follows takes the smallest moved block of the pageblock, not the
 * fallback block itself. Pageblock 2 (N+1024): an order-3 block at N+1032
 * and an order-0 page at N+1025 are free; the fallback reports the order-3
 * block, __rmqueue_smallest() then takes N+1025.
 */
TEST(buddy_extfrag_auto_before_small)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AUTO);
	struct kmt_event e = { .type = LOCKED, .ptr = N + 1025, .order = 0, .mt = U, .arg = 1,
			       .cpu = 1 };

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N + 1025, 1);
	buddy_model__add_free_run(m, N + 1032, 8);
	ASSERT_EQ(extfrag(m, 1, N + 1032, 0, 3, U, M), 0);
	ASSERT_EQ(buddy_model__apply(m, &e), 0);
	CHECK(m);
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_BEFORE_ALLOC);
	ASSERT_EQ(unit(m, N + 1025).state, BUDDY_PCP);
	ASSERT_EQ(unit(m, N + 1032).state, BUDDY_FREE);
	/*
	 * 9 free pages; the 503 others, origin unknown in a Movable pageblock,
	 * count as movable: alike = 512 - (9 + 503) = 0, 9 < 256: no claim.
	 */
	ASSERT_EQ(buddy_model__stats(m)->steals, 1);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

/* AUTO: an extfrag whose CPU stays silent is decided "after" in time. */
TEST(buddy_extfrag_auto_timeout)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AUTO);
	int i;

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 1024);
	ASSERT_EQ(extfrag(m, 1, N, 0, 3, U, M), 0);
	for (i = 0; i < 1024; i++)
		ev(m, FREE, N + 2048 + i, 0, 0);	/* cpu 0 */
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_AUTO);
	ev(m, FREE, N + 3072, 0, 0);
	CHECK(m);
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_AFTER_ALLOC);
	ASSERT_EQ(unit(m, N).state, BUDDY_PCP);
	buddy_model__free(m);
}

/*
 * mm_page_free_batched follows mm_page_free for the same folio: nothing to
 * do. Without mm_page_free (not recorded), the page is freed with the order
 * of its allocation. Without THPs on pcp lists, an order-9 free merges now.
 */
TEST(buddy_free_batched)
{
	struct buddy_model_opts o = { .sz = sizeof(o), .nr_page_orders = 11, .pageblock_order = 9,
				      .nr_migratetypes = 5, .pcp = true };
	struct buddy_model *m = buddy_model__new(&o, test_zones, 3, NULL);

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 1024);
	APPLY(m, 0, LOCKED, N, 2, M);
	APPLY(m, 0, ALLOC, N, 2, M);
	APPLY(m, 0, FREE, N, 2, 0);
	APPLY(m, 0, KMT_EV_PAGE_FREE_BATCHED, N, 0, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 4);
	APPLY(m, 0, LOCKED, N + 4, 2, M);
	APPLY(m, 0, ALLOC, N + 4, 2, M);
	APPLY(m, 0, KMT_EV_PAGE_FREE_BATCHED, N + 4, 0, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 8);
	APPLY(m, 0, DRAIN, N, 2, M);
	APPLY(m, 0, DRAIN, N + 4, 2, M);
	APPLY(m, 0, LOCKED, N + 512, 9, M);
	APPLY(m, 0, ALLOC, N + 512, 9, M);
	APPLY(m, 0, FREE, N + 512, 9, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 0);
	ASSERT_EQ(nfree(m, Z_NORMAL, 10), 1);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

static int evt(struct buddy_model *m, __u32 type, __u64 pfn, int order, __u32 cpu, __u32 tid,
	       __u32 ctx)
{
	struct kmt_event e = { .type = type, .ptr = pfn, .order = order, .mt = M,
			       .arg = type == KMT_EV_PAGE_ALLOC_ZONE_LOCKED, .cpu = cpu,
			       .tid = tid, .ctx = ctx, .stack_id = -1 };

	return buddy_model__apply(m, &e);
}

/*
 * The pcp lock: task 10 refills CPU 1's list (rmqueue_bulk(), under the lock)
 * and is preempted there. A free by task 20 on CPU 1 fails pcp_spin_trylock()
 * and merges at once (PREEMPT_RT); on CPU 0 it goes to a pcp list. Once task
 * 10 fired another event, the lock is free again. Without PREEMPT_RT another
 * task cannot run under the lock, an interrupt of the holder can.
 */
TEST(buddy_pcp_lock_holder)
{
	struct buddy_model_opts o = { .sz = sizeof(o), .nr_page_orders = 11, .pageblock_order = 9,
				      .pcp = true };
	__u32 softirq = KMT_CTX_PC_KNOWN | KMT_CTX_SOFTIRQ_SERVING;

	for (int rt = 0; rt < 2; rt++) {
		struct buddy_model *m;

		o.preempt_rt = rt;
		ASSERT_EQ(buddy_model_opts__set_mt_names(&o, MT_NAMES, strlen(MT_NAMES)), 0);
		m = buddy_model__new(&o, test_zones, 3, NULL);
		ASSERT_TRUE(m);
		buddy_model__add_free_run(m, N, 16);
		ASSERT_EQ(evt(m, LOCKED, N, 0, 1, 10, 0), 0);	/* N+8 o3 stays free */
		ASSERT_EQ(evt(m, ALLOC, N, 0, 1, 10, 0), 0);
		ASSERT_EQ(evt(m, LOCKED, N + 1, 0, 1, 10, 0), 0);
		ASSERT_EQ(evt(m, ALLOC, N + 1, 0, 1, 10, 0), 0);
		ASSERT_EQ(evt(m, LOCKED, N + 2, 0, 1, 10, 0), 0);	/* preempted here */
		ASSERT_EQ(evt(m, FREE, N, 0, 1, 20, 0), 0);
		ASSERT_EQ(unit(m, N).state, rt ? BUDDY_FREE : BUDDY_PCP);
		ASSERT_EQ(evt(m, FREE, N + 1, 0, 0, 20, 0), 0);		/* CPU 0 */
		ASSERT_EQ(unit(m, N + 1).state, BUDDY_PCP);
		CHECK(m);
		ASSERT_EQ(evt(m, KMT_EV_KFREE, 0, 0, 1, 10, 0), 0);	/* task 10 went on */
		ASSERT_EQ(evt(m, DRAIN, N + 1, 0, 0, 20, 0), 0);
		ASSERT_EQ(nfree(m, Z_NORMAL, 1), rt ? 1 : 0);		/* N..N+1 */
		ASSERT_EQ(evt(m, ALLOC, N + 2, 0, 1, 10, 0), 0);	/* from pcp */
		ASSERT_EQ(evt(m, LOCKED, N + 3, 0, 1, 10, 0), 0);
		ASSERT_EQ(evt(m, FREE, N + 2, 0, 1, 10, softirq), 0);	/* an interrupt */
		ASSERT_EQ(unit(m, N + 2).state, BUDDY_FREE);	/* the trylock fails either way */
		ASSERT_EQ(evt(m, ALLOC, N + 3, 0, 1, 10, 0), 0);	/* unlocked */
		ASSERT_EQ(evt(m, FREE, N + 3, 0, 1, 20, 0), 0);
		ASSERT_EQ(unit(m, N + 3).state, BUDDY_PCP);
		ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, rt ? 1 : 2);
		CHECK(m);
		ASSERT_EQ(inc_total(m), 0);
		buddy_model__free(m);
	}
}

/* AUTO on a 6.10+ stream: extfrag is the take, mm_page_alloc follows. */
TEST(buddy_extfrag_auto_after)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AUTO);

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N + 1024, 1024);
	ASSERT_EQ(extfrag(m, 0, N + 1024, 0, 10, U, M), 0);
	APPLY(m, 0, ALLOC, N + 1024, 0, U);	/* from "pcp": the pending take was applied */
	ASSERT_EQ(buddy_model__stats(m)->extfrag_style, BUDDY_EXTFRAG_AFTER_ALLOC);
	ASSERT_EQ(inc_total(m), 0);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 9, U), 1);
	/* decided: the next ones apply at once */
	ASSERT_EQ(extfrag(m, 0, N + 1536, 0, 9, M, U), 0);
	CHECK(m);
	ASSERT_EQ(unit(m, N + 1536).state, BUDDY_PCP);
	ASSERT_EQ(unit(m, N + 1537).pageblock_mt, M);
	/* flush resolves a last undecided event */
	buddy_model__free(m);
	m = mk(true, BUDDY_EXTFRAG_AUTO);
	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 8);
	ASSERT_EQ(extfrag(m, 0, N, 0, 3, U, M), 0);
	buddy_model__flush(m);
	CHECK(m);
	ASSERT_EQ(unit(m, N).state, BUDDY_PCP);
	ASSERT_EQ(buddy_model__stats(m)->steals, 1);
	buddy_model__free(m);
}

/*
 * Pages the trace never saw allocated: allocated before it began, or by the
 * bulk allocator. Their frees are expected, counted apart, and put the
 * pages where a free puts them.
 */
TEST(buddy_free_unseen)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	int i;

	ASSERT_TRUE(m);
	APPLY(m, 1, FREE, N + 5, 0, 0);
	ASSERT_EQ(inc(m, BUDDY_INC_FREE_UNSEEN), 1);
	ASSERT_EQ(buddy_model__stats(m)->unseen_pages, 1);
	ASSERT_TRUE(buddy_inc_expected(BUDDY_INC_FREE_UNSEEN));
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 1);
	APPLY(m, 0, DRAIN, N + 5, 0, M);
	APPLY(m, 1, FREE, N + 4, 0, 0);
	APPLY(m, 0, DRAIN, N + 4, 0, M);
	ASSERT_EQ(unit(m, N + 5).head, N + 4);	/* merged: o1 */
	APPLY(m, 1, FREE, N + 6, 1, 0);		/* order 1: 2 unknown units */
	APPLY(m, 0, DRAIN, N + 6, 1, M);
	ASSERT_EQ(unit(m, N + 7).order, 2);
	ASSERT_EQ(buddy_model__stats(m)->unseen_pages, 4);
	/* on a pcp list when the trace began: allocated, or drained */
	APPLY(m, 1, ALLOC, N + 100, 0, M);
	ASSERT_EQ(inc(m, BUDDY_INC_ALLOC_UNSEEN), 1);
	APPLY(m, 1, DRAIN, N + 101, 0, M);
	ASSERT_EQ(inc(m, BUDDY_INC_DRAIN_UNSEEN), 1);
	ASSERT_EQ(unit(m, N + 101).state, BUDDY_FREE);
	/* split_page(): an order-3 allocation freed page by page */
	buddy_model__add_free_run(m, N + 64, 8);
	APPLY(m, 0, LOCKED, N + 64, 3, M);
	APPLY(m, 0, ALLOC, N + 64, 3, U);
	/*
	 * The first free splits o3 as expand() would: N+65 o0, N+66 o1, N+68 o2
	 * stay allocated; N+65 then matches, N+66 splits (N+67), N+68 splits
	 * (N+69, N+70 o1), N+70 splits (N+71): four partial frees.
	 */
	for (i = 0; i < 8; i++) {
		ASSERT_GE(ev(m, FREE, N + 64 + i, 0, 0), 0);
		CHECK(m);
	}
	ASSERT_EQ(inc(m, BUDDY_INC_FREE_PARTIAL), 4);
	for (i = 0; i < 8; i++)
		APPLY(m, 0, DRAIN, N + 64 + i, 0, M);
	ASSERT_EQ(unit(m, N + 64).order, 3);
	ASSERT_EQ(unit(m, N + 64).state, BUDDY_FREE);
	buddy_model__free(m);
}

TEST(buddy_outside_zones)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	struct kmt_event e = { .type = KMT_EV_KMALLOC, .ptr = 0xffff888000000000ULL };

	ASSERT_TRUE(m);
	APPLY(m, 1, FREE, 0x50000, 0, 0);		/* hotplugged memory? */
	APPLY(m, 1, FREE, 0, 0, 0);			/* pfn 0: in no zone */
	APPLY(m, 1, ALLOC, 0x1800, 0, M);		/* just past DMA32 */
	APPLY(m, 1, FREE, N + 0x1000 - 1024, 11, 0);	/* order 11 > max order */
	APPLY(m, 1, FREE, N + 1, 1, 0);			/* misaligned */
	APPLY(m, 1, FREE, N, -1, 0);
	APPLY(m, 1, FREE, 0xffe, 1, 0);		/* DMA ends at 0xffe: 0xffe+2 crosses */
	ASSERT_EQ(inc(m, BUDDY_INC_OUTSIDE_ZONES), 4);
	ASSERT_EQ(buddy_model__stats(m)->outside_pages, 5);
	ASSERT_EQ(inc(m, BUDDY_INC_BAD_EVENT), 3);
	ASSERT_EQ(zst(m, Z_NORMAL).unknown_pages, 0x1000);
	ASSERT_EQ(buddy_model__apply(m, &e), 0);
	ASSERT_EQ(buddy_model__stats(m)->ignored, 1);
	e.type = ALLOC;
	e.ptr = ~0ULL;					/* a failed allocation */
	ASSERT_EQ(buddy_model__apply(m, &e), 0);
	ASSERT_EQ(buddy_model__stats(m)->failed_allocs, 1);
	ASSERT_EQ(buddy_model__apply(m, NULL), -EINVAL);
	CHECK(m);
	buddy_model__free(m);
}

/* Every inconsistency is counted by kind and repaired to what the event implies. */
TEST(buddy_repairs)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 8);
	APPLY(m, 1, FREE, N + 2, 0, 0);		/* compaction took it silently */
	ASSERT_EQ(inc(m, BUDDY_INC_FREE_OF_FREE), 1);
	ASSERT_EQ(unit(m, N + 2).state, BUDDY_PCP);
	ASSERT_EQ(unit(m, N + 3).order, 0);	/* N o1, N+3 o0, N+4 o2 */
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 7);
	APPLY(m, 0, LOCKED, N + 4, 0, M);
	APPLY(m, 0, ALLOC, N + 4, 0, M);
	APPLY(m, 1, ALLOC, N + 4, 0, M);	/* a lost free */
	ASSERT_EQ(inc(m, BUDDY_INC_ALLOC_OF_ALLOC), 1);
	APPLY(m, 1, ALLOC, N + 5, 0, U);	/* no zone_locked: compaction capture? */
	ASSERT_EQ(inc(m, BUDDY_INC_ALLOC_FROM_BUDDY), 1);
	ASSERT_EQ(unit(m, N + 5).mob, BUDDY_MOB_UNMOVABLE);
	APPLY(m, 1, LOCKED, N + 4, 0, M);	/* in use, says the model */
	ASSERT_EQ(inc(m, BUDDY_INC_TAKE_NOT_FREE), 1);
	ASSERT_EQ(unit(m, N + 4).state, BUDDY_PCP);
	APPLY(m, 1, DRAIN, N + 5, 0, M);	/* allocated, says the model */
	ASSERT_EQ(inc(m, BUDDY_INC_DRAIN_NOT_PCP), 1);
	ASSERT_EQ(unit(m, N + 5).state, BUDDY_FREE);
	APPLY(m, 1, FREE, N + 4, 0, 0);		/* alloc_pages_bulk() took it from pcp */
	ASSERT_EQ(inc(m, BUDDY_INC_FREE_IN_PCP), 1);
	APPLY(m, 0, DRAIN, N + 4, 0, M);
	APPLY(m, 0, DRAIN, N + 2, 0, M);
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);	/* whole again */
	/* a known type contradicted: a highatomic reservation the trace cannot see */
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N, U), 0);
	CHECK(m);
	APPLY(m, 1, LOCKED, N, 0, HA);
	ASSERT_EQ(inc(m, BUDDY_INC_MT_CHANGED), 1);
	ASSERT_EQ(unit(m, N + 1).pageblock_mt, HA);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 2, HA), 1);
	ASSERT_EQ(buddy_model__stats(m)->mt_revealed, 1);	/* the first zone_locked */
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, 0x50000, U), -ERANGE);
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N, 5), -EINVAL);
	buddy_model__free(m);
}

/*
 * __free_one_page() does not merge across pageblocks when one type is not
 * mergeable (Isolate, HighAtomic, CMA); frees into an isolated pageblock skip
 * the pcp lists. Retyping the block back lets them merge.
 */
TEST(buddy_isolate_no_merge)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);

	ASSERT_TRUE(m);
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N + 512, ISO), 0);
	buddy_model__add_free_run(m, N, 1024);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_NORMAL, 9), 2);
	ASSERT_EQ(nfree(m, Z_NORMAL, 10), 0);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 9, ISO), 1);
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N + 512, M), 0);
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_NORMAL, 10), 1);
	/* a large free block is retyped whole */
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N + 600, HA), 0);
	CHECK(m);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 10, HA), 1);
	ASSERT_EQ(unit(m, N).pageblock_mt, HA);
	/* an unseen free into an isolated pageblock: to the buddy at once */
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N + 1536, ISO), 0);
	APPLY(m, 1, FREE, N + 1536, 0, 0);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 0);
	ASSERT_EQ(buddy_model__nr_free(m, Z_NORMAL, 0, ISO), 1);
	buddy_model__free(m);
}

/* What-if "no pcp lists": frees merge at once, allocations take from the buddy. */
TEST(buddy_no_pcp_whatif)
{
	struct buddy_model *m = mk(false, BUDDY_EXTFRAG_AFTER_ALLOC);

	ASSERT_TRUE(m);
	buddy_model__add_free_run(m, N, 8);
	APPLY(m, 0, LOCKED, N, 0, M);		/* only the type */
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);
	APPLY(m, 0, ALLOC, N, 0, M);
	ASSERT_EQ(nfree(m, Z_NORMAL, 2), 1);
	ASSERT_EQ(zst(m, Z_NORMAL).free_pages, 7);
	APPLY(m, 0, FREE, N, 0, 0);
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);
	ASSERT_EQ(zst(m, Z_NORMAL).pcp_pages, 0);
	APPLY(m, 0, DRAIN, N, 0, M);		/* ignored */
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);
	ASSERT_EQ(extfrag(m, 0, N, 0, 3, U, M), 0);	/* a steal: the type stays */
	CHECK(m);
	ASSERT_EQ(nfree(m, Z_NORMAL, 3), 1);
	ASSERT_EQ(inc_total(m), 0);
	buddy_model__free(m);
}

/*
 * Hand-worked free areas (11 orders):
 *  A = { o0: 10, o1: 5, o3: 2 }: free_pages = 10 + 10 + 16 = 36, 17 blocks.
 *   fragmentation_index(4): no block >= 16 pages, requested 16:
 *     1000 - (1000 + 36000 / 16) / 17 = 1000 - 3250 / 17 = 1000 - 191 = 809
 *   fragmentation_index(3): 2 suitable blocks -> -1000 (debugfs "-1.000")
 *   unusable_index(2): suitable = 2 << 1 = 4 blocks of 4 pages = 16 pages:
 *     (36 - 16) * 1000 / 36 = 555
 *   unusable_index(0) = 0, unusable_index(4) = 1000
 *   extfrag_for_order(2) = (36 - 16) * 100 / 36 = 55; (9) = 100
 *  B = { o0: 3 }: fragmentation_index(1) = 1000 - (1000 + 1500) / 3 = 167;
 *   fragmentation_index(10) = 1000 - (1000 + 3000 / 1024) / 3 = 1000 - 1002 / 3 = 666
 *  C = { o0: 1 }: fragmentation_index(10) = 1000 - (1000 + 0) / 1 = 0
 *  empty: fragmentation_index 0, unusable_index 1000, extfrag_for_order 0
 */
TEST(buddy_index_formulas)
{
	__u64 a[11] = { 10, 5, 0, 2 }, b[11] = { 3 }, c[11] = { 1 }, none[11] = { 0 };

	ASSERT_EQ(buddy__fragmentation_index(a, 11, 4), 809);
	ASSERT_EQ(buddy__fragmentation_index(a, 11, 3), -1000);
	ASSERT_EQ(buddy__fragmentation_index(a, 11, 0), -1000);
	ASSERT_EQ(buddy__unusable_index(a, 11, 2), 555);
	ASSERT_EQ(buddy__unusable_index(a, 11, 0), 0);
	ASSERT_EQ(buddy__unusable_index(a, 11, 4), 1000);
	ASSERT_EQ(buddy__extfrag_for_order(a, 11, 2), 55);
	ASSERT_EQ(buddy__extfrag_for_order(a, 11, 9), 100);
	ASSERT_EQ(buddy__fragmentation_index(b, 11, 1), 167);
	ASSERT_EQ(buddy__fragmentation_index(b, 11, 10), 666);
	ASSERT_EQ(buddy__fragmentation_index(c, 11, 10), 0);
	ASSERT_EQ(buddy__fragmentation_index(none, 11, 3), 0);
	ASSERT_EQ(buddy__unusable_index(none, 11, 3), 1000);
	ASSERT_EQ(buddy__extfrag_for_order(none, 11, 3), 0);
	ASSERT_EQ(buddy__fragmentation_index(a, 11, 11), 0);	/* WARN_ON_ONCE path */
}

/*
 * The same on model state, and the proactive compaction score. DMA32 holds
 * 8 single free pages: extfrag_for_order(9) = 100, fragmentation_index(1) =
 * 1000 - (1000 + 8000 / 2) / 8 = 375. Weighted by present pages, node 0
 * present = 0xffe + 0x800 + 0x1000 = 10238:
 *   DMA32: 2048 * 100 / 10239 = 20; DMA and Normal: no free page -> 0.
 *   Node: 20.
 * Normal with one order-9 block and 512 single pages (every other pfn of
 * N+1024..N+2047): free 1024, suitable(9) = 1 -> extfrag (1024 - 512) * 100
 * / 1024 = 50: 4096 * 50 / 10239 = 20; node 40. fragmentation_index(10):
 * 513 blocks, 1000 - (1000 + 1000) / 513 = 997.
 */
TEST(buddy_index_on_model)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	int i;

	ASSERT_TRUE(m);
	for (i = 0; i < 8; i++)
		buddy_model__add_free_run(m, 0x1000 + 2 * i, 1);
	ASSERT_EQ(buddy_model__extfrag_for_order(m, Z_DMA32, 9), 100);
	ASSERT_EQ(buddy_model__fragmentation_index(m, Z_DMA32, 1), 375);
	ASSERT_EQ(buddy_model__unusable_index(m, Z_DMA32, 1), 1000);
	ASSERT_EQ(buddy_model__compaction_score(m, Z_DMA32, 9), 20);
	ASSERT_EQ(buddy_model__node_compaction_score(m, 0, 9), 20);
	buddy_model__add_free_run(m, N, 512);
	for (i = 0; i < 512; i++)
		buddy_model__add_free_run(m, N + 1024 + 2 * i, 1);
	CHECK(m);
	ASSERT_EQ(buddy_model__extfrag_for_order(m, Z_NORMAL, 9), 50);
	ASSERT_EQ(buddy_model__compaction_score(m, Z_NORMAL, 9), 20);
	ASSERT_EQ(buddy_model__node_compaction_score(m, 0, 9), 40);
	ASSERT_EQ(buddy_model__node_compaction_score(m, 1, 9), 0);
	ASSERT_EQ(buddy_model__fragmentation_index(m, Z_NORMAL, 10), 997);
	buddy_model__free(m);
}

/*
 * Ideal compaction. Normal: pageblocks 4-5 (N+2048..N+3071) Unmovable and
 * unseen (pinned), one unmovable page at N+1124 (pinned), the rest unseen in
 * Movable blocks or free (relocatable). Free: 512 single pages, every other
 * pfn of N+3072..N+4095: the buddy's largest order is 0.
 * Pin-free stretches: [N, N+1124) = o10 + 64 + 32 + 4; [N+1125, N+2048) =
 * 1 + 2 + 8 + 16 + 128 + 256 + 512 (o0 o1 o3 o4 o7 o8 o9); [N+3072, N+4096)
 * = o10. Candidates: two o10. 512 free pages fill no o10 block whole: the
 * remainder 512 is one o9 block. With the odd pages free too, 1024: one
 * o10. With 700 more: one o10, and 700 = 512 + 128 + 32 + 16 + 8 + 4 in the
 * other.
 */
TEST(buddy_ideal_compaction)
{
	struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
	__u64 nr[11];
	int i;

	ASSERT_TRUE(m);
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N + 2048, U), 0);
	ASSERT_EQ(buddy_model__set_pageblock_mt(m, N + 2560, U), 0);
	APPLY(m, 1, ALLOC, N + 1124, 0, U);	/* unseen before: now known unmovable */
	for (i = 0; i < 512; i++)
		buddy_model__add_free_run(m, N + 3072 + 2 * i, 1);
	CHECK(m);
	ASSERT_EQ(buddy_model__largest_order(m, Z_NORMAL), 0);
	ASSERT_EQ(buddy_model__ideal_free(m, Z_NORMAL, nr), 9);
	ASSERT_EQ(nr[9], 1);
	ASSERT_EQ(nr[10] + nr[8] + nr[0], 0);
	for (i = 0; i < 512; i++)
		buddy_model__add_free_run(m, N + 3073 + 2 * i, 1);
	ASSERT_EQ(buddy_model__ideal_free(m, Z_NORMAL, nr), 10);
	ASSERT_EQ(nr[10], 1);
	ASSERT_EQ(nr[9], 0);
	buddy_model__add_free_run(m, N, 700);
	ASSERT_EQ(buddy_model__ideal_free(m, Z_NORMAL, nr), 10);
	ASSERT_EQ(nr[10], 1);
	ASSERT_EQ(nr[9] + nr[7] + nr[5] + nr[4] + nr[3] + nr[2], 6);
	ASSERT_EQ(nr[8] + nr[6] + nr[1] + nr[0], 0);
	ASSERT_EQ(buddy_model__ideal_free(m, 7, nr), -ERANGE);
	buddy_model__free(m);
}

/* ---- random streams ---- */

struct rng {
	__u64 s;
};

static __u64 rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

struct blk {
	__u64 pfn;
	int order;
};

struct pool {			/* the test's own view: allocated and pcp blocks */
	struct blk *b;
	size_t n;
	size_t cap;
};

static void pool_add(struct pool *p, __u64 pfn, int order)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->b = realloc(p->b, p->cap * sizeof(*p->b));
		if (!p->b)
			abort();
	}
	p->b[p->n++] = (struct blk){ pfn, order };
}

static struct blk pool_take(struct pool *p, size_t i)
{
	struct blk b = p->b[i];

	p->b[i] = p->b[--p->n];
	return b;
}

static const int zone_idx[] = { Z_DMA, Z_DMA32, Z_NORMAL };

/* A random page event valid in the model's current state; 0 if none was made. */
static int random_valid_op(struct buddy_model *m, struct rng *r, struct pool *live,
			   struct pool *pcp)
{
	const struct kmt_zone_info *zi = buddy_model__zone(m, zone_idx[rnd(r) % 3]);
	int op = rnd(r) % 4, order = rnd(r) % 4 ? (int)(rnd(r) % 4) : (int)(rnd(r) % 11);
	struct buddy_unit u;
	struct blk b;
	__u64 pfn;

	if (op == 0 || (op == 1 && !live->n) || (op >= 2 && !pcp->n)) {
		pfn = (zi->start_pfn + rnd(r) % zi->spanned) & ~((1ULL << order) - 1);
		if (buddy_model__lookup(m, pfn, &u) || u.state != BUDDY_FREE || u.order < order)
			return 0;
		ev(m, LOCKED, pfn, order, u.pageblock_mt);
		if (rnd(r) % 2) {
			ev(m, ALLOC, pfn, order, (int)(rnd(r) % 3));
			pool_add(live, pfn, order);
		} else {
			pool_add(pcp, pfn, order);
		}
		return 1;
	}
	if (op == 1) {
		b = pool_take(live, rnd(r) % live->n);
		ev(m, FREE, b.pfn, b.order, 0);
		if (b.order <= 3 || b.order == 9)
			pool_add(pcp, b.pfn, b.order);
		return 1;
	}
	b = pool_take(pcp, rnd(r) % pcp->n);
	buddy_model__lookup(m, b.pfn, &u);
	if (op == 2 && u.state == BUDDY_PCP) {
		ev(m, DRAIN, b.pfn, b.order, u.pageblock_mt);
		return 1;
	}
	ev(m, ALLOC, b.pfn, b.order, (int)(rnd(r) % 3));	/* zone_locked'ed ones too */
	pool_add(live, b.pfn, b.order);
	return 1;
}

static void random_runs(struct buddy_model *m, struct buddy_model *m2, struct rng *r)
{
	int i;

	for (i = 0; i < 40; i++) {
		__u64 pfn = rnd(r) % 0x2000, n = rnd(r) % 300;

		pfn = i % 2 ? N + pfn % 0x1000 : pfn;
		buddy_model__add_free_run(m, pfn, n);
		buddy_model__add_free_run(m2, pfn, n);
	}
}

/*
 * Random valid alloc/free/drain streams on random initial free maps: no
 * inconsistency, every invariant after every event (conservation, nothing
 * mergeable left unmerged). Freeing and draining everything then gives the
 * initial free lists back, order by order: the merged state of a set of
 * free pages is unique.
 */
TEST(buddy_property_random)
{
	struct pool live = { 0 }, pcp = { 0 };
	struct rng r = { 0x9e3779b97f4a7c15ULL };
	int seed, i, z;
	unsigned int o;

	for (seed = 0; seed < 4; seed++) {
		struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);
		struct buddy_model *ref = mk(true, BUDDY_EXTFRAG_AFTER_ALLOC);

		ASSERT_TRUE(m && ref);
		random_runs(m, ref, &r);
		CHECK(m);
		for (i = 0; i < 6000; i++) {
			if (random_valid_op(m, &r, &live, &pcp))
				CHECK(m);
		}
		ASSERT_EQ(inc_total(m), 0);
		while (live.n) {
			struct blk b = pool_take(&live, 0);

			ev(m, FREE, b.pfn, b.order, 0);
			if (b.order <= 3 || b.order == 9)
				pool_add(&pcp, b.pfn, b.order);
		}
		while (pcp.n) {
			struct blk b = pool_take(&pcp, 0);
			struct buddy_unit u;

			buddy_model__lookup(m, b.pfn, &u);
			ev(m, u.state == BUDDY_PCP ? DRAIN : FREE, b.pfn, b.order, u.pageblock_mt);
		}
		CHECK(m);
		ASSERT_EQ(inc_total(m), 0);
		for (z = 0; z < 3; z++)
			for (o = 0; o < 11; o++)
				ASSERT_EQ(nfree(m, z, o), nfree(ref, z, o));
		buddy_model__free(m);
		buddy_model__free(ref);
	}
	free(live.b);
	free(pcp.b);
}

/* A fallback on a random free block, in either kernel's order, on a random CPU. */
static void random_fallback(struct buddy_model *m, struct rng *r)
{
	__u64 pfn = N + rnd(r) % 0x1000;
	struct buddy_unit u;
	struct kmt_event e = { .type = KMT_EV_PAGE_ALLOC_EXTFRAG, .arg2 = -1,
			       .cpu = (__u32)(rnd(r) % 3), .stack_id = -1 };

	if (buddy_model__lookup(m, pfn, &u) || u.state != BUDDY_FREE)
		return;
	e.ptr = u.head;
	e.order = (int)(rnd(r) % (u.order + 1));
	e.arg = u.order;
	e.mt = (int)(rnd(r) % 3);
	e.aux = (__u64)u.pageblock_mt;
	buddy_model__apply(m, &e);
	e.type = rnd(r) % 2 ? LOCKED : ALLOC;	/* before 6.10 : since */
	buddy_model__apply(m, &e);
}

static struct kmt_event random_event(struct rng *r)
{
	struct kmt_event e = {
		.type = KMT_EV_PAGE_ALLOC + rnd(r) % 6,
		.ptr = rnd(r) % 8 ? (rnd(r) % 2 ? N : 0) + rnd(r) % 0x1800 : rnd(r),
		.order = (int)(rnd(r) % 13) - 1,
		.mt = (int)(rnd(r) % 6) - 1,
		.arg = (int)(rnd(r) % 12),
		.arg2 = (int)(rnd(r) % 3) - 1,
		.aux = rnd(r) % 6,
		.cpu = (__u32)(rnd(r) % 3),
	};

	if (e.order > 0 && rnd(r) % 2)
		e.ptr &= ~((1ULL << e.order) - 1);
	return e;
}

/*
 * Streams mixing valid operations, fallbacks in both kernels' orders and
 * garbage (any type, pfn, order, type number), on the model and on the
 * no-pcp what-if: they never crash, and every invariant holds throughout.
 * KMT_BUDDY_FUZZ=N runs N seeds, checking after every event.
 */
TEST(buddy_property_garbage)
{
	int seeds = getenv("KMT_BUDDY_FUZZ") ? atoi(getenv("KMT_BUDDY_FUZZ")) : 1;
	int every = getenv("KMT_BUDDY_FUZZ") ? 1 : 7, seed, i;
	struct pool live = { 0 }, pcp = { 0 };

	for (seed = 0; seed < seeds; seed++) {
		struct rng r = { 12345 + 7919ULL * seed };
		struct buddy_model *m = mk(true, BUDDY_EXTFRAG_AUTO);
		struct buddy_model *ref = mk(false, BUDDY_EXTFRAG_AUTO);

		ASSERT_TRUE(m && ref);
		live.n = pcp.n = 0;
		random_runs(m, ref, &r);
		for (i = 0; i < 30000; i++) {
			struct kmt_event e = random_event(&r);
			int op = rnd(&r) % 4;

			if (op == 0)
				random_valid_op(m, &r, &live, &pcp);
			else if (op == 1)
				random_fallback(m, &r);
			ASSERT_GE(buddy_model__apply(m, &e), 0);
			ASSERT_GE(buddy_model__apply(ref, &e), 0);
			if (i % every == 0) {
				CHECK(m);
				CHECK(ref);
			}
		}
		buddy_model__flush(m);
		CHECK(m);
		CHECK(ref);
		ASSERT_GT(inc_total(m), 0);
		ASSERT_GT(buddy_model__stats(m)->claims, 0);
		ASSERT_GT(buddy_model__stats(m)->steals, 0);
		buddy_model__free(m);
		buddy_model__free(ref);
	}
	free(live.b);
	free(pcp.b);
}

/* ---- replay rate ---- */

#define BENCH_ZONE_PAGES	(1ULL << 22)	/* 16 GiB */
#define BENCH_CPUS		8
#define BENCH_CHUNK		(1 << 16)

struct bench {
	struct buddy_model *shadow;	/* the generator's oracle */
	struct rng r;
	struct pool live;
	struct pool pcp[BENCH_CPUS][2];	/* order 0, order 3 */
	__u64 cursor;
	struct kmt_event *ev;
	size_t n;
};

static void bench_emit(struct bench *b, __u32 type, __u64 pfn, int order, int mt, __u32 cpu)
{
	struct kmt_event *e = &b->ev[b->n++];

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ptr = pfn;
	e->order = order;
	e->mt = mt;
	e->cpu = cpu;
	e->arg = type == LOCKED;
	buddy_model__apply(b->shadow, e);
}

/* __rmqueue_smallest() for the generator: the next free block of >= order. */
static __u64 bench_find_free(struct bench *b, int order)
{
	__u64 scanned = 0;
	struct buddy_unit u;

	while (scanned < 2 * BENCH_ZONE_PAGES) {
		__u64 pfn = N + b->cursor;

		if (buddy_model__lookup(b->shadow, pfn, &u))
			return ~0ULL;
		if (u.state == BUDDY_FREE && u.order >= order)
			return u.head;
		scanned += 1ULL << u.order;
		b->cursor = (u.head - N + (1ULL << u.order)) % BENCH_ZONE_PAGES;
	}
	return ~0ULL;
}

/* One allocation, one free (and the drains it triggers) on a random CPU. */
static void bench_step(struct bench *b)
{
	__u32 cpu = rnd(&b->r) % BENCH_CPUS;
	int big = rnd(&b->r) % 16 == 0, order = big ? 3 : 0, mt = rnd(&b->r) % 3, i;
	struct pool *pcp = &b->pcp[cpu][big];
	struct blk k;

	if (!pcp->n) {		/* rmqueue_bulk(): a batch */
		for (i = 0; i < (big ? 2 : 31); i++) {
			__u64 pfn = bench_find_free(b, order);

			if (pfn == ~0ULL)
				break;
			bench_emit(b, LOCKED, pfn, order, M, cpu);
			pool_add(pcp, pfn, order);
		}
	}
	if (pcp->n) {
		k = pool_take(pcp, pcp->n - 1);
		bench_emit(b, ALLOC, k.pfn, k.order, mt, cpu);
		pool_add(&b->live, k.pfn, k.order);
	}
	if (b->live.n > BENCH_ZONE_PAGES / 4 || (b->live.n && rnd(&b->r) % 2)) {
		k = pool_take(&b->live, rnd(&b->r) % b->live.n);
		pcp = &b->pcp[cpu][k.order == 3];
		bench_emit(b, FREE, k.pfn, k.order, 0, cpu);
		pool_add(pcp, k.pfn, k.order);
		if (pcp->n > 96)	/* free_pcppages_bulk(): the oldest first */
			for (i = 0; i < 31; i++) {
				k = pool_take(pcp, 0);
				bench_emit(b, DRAIN, k.pfn, k.order, M, cpu);
			}
	}
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A synthetic pcp-heavy stream (refills of 31 pages, LIFO pcp allocation,
 * random frees, drains of 31 when a list passes 96, 1 in 16 of order 3) on
 * one 16 GiB zone: the rate of buddy_model__apply() alone, and the model's
 * memory per page. KMT_BENCH_EVENTS sets the length (default 2M).
 */
TEST(buddy_replay_rate)
{
	const struct kmt_zone_info zone = { .node = 0, .name = "Normal", .start_pfn = N,
					    .spanned = BENCH_ZONE_PAGES,
					    .present = BENCH_ZONE_PAGES };
	struct buddy_model_opts o = { .sz = sizeof(o), .nr_page_orders = 11,
				      .pageblock_order = 9, .nr_migratetypes = 5,
				      .pcp = true, .pcp_thp_order = 9 };
	struct bench b = { .r = { 777 } };
	__u64 total = getenv("KMT_BENCH_EVENTS") ? strtoull(getenv("KMT_BENCH_EVENTS"), 0, 0) :
						   2000000, done = 0;
	struct buddy_model *m = buddy_model__new(&o, &zone, 1, NULL);
	double t = 0, bpp;
	char err[256];
	int c, i;

	b.shadow = buddy_model__new(&o, &zone, 1, NULL);
	b.ev = malloc((BENCH_CHUNK + 256) * sizeof(*b.ev));
	ASSERT_TRUE(m && b.shadow && b.ev);
	buddy_model__add_free_run(m, N, BENCH_ZONE_PAGES);
	buddy_model__add_free_run(b.shadow, N, BENCH_ZONE_PAGES);
	while (done < total) {
		double t0;

		for (b.n = 0; b.n < BENCH_CHUNK;)
			bench_step(&b);
		t0 = now_sec();
		for (i = 0; i < (int)b.n; i++)
			buddy_model__apply(m, &b.ev[i]);
		t += now_sec() - t0;
		done += b.n;
	}
	bpp = (double)buddy_model__mem_bytes(m) / buddy_model__pages(m);
	fprintf(stdout, "    replay: %llu events in %.3f s: %.1f M events/s; %.2f bytes/page\n",
		(unsigned long long)done, t, done / t / 1e6, bpp);
	c = buddy_model__check(m, err, sizeof(err));
	if (c)
		FAIL("%s", err);
	ASSERT_EQ(inc_total(m), 0);
	ASSERT_LE(bpp, 16.0);
	for (c = 0; c < BENCH_CPUS; c++) {
		free(b.pcp[c][0].b);
		free(b.pcp[c][1].b);
	}
	free(b.live.b);
	free(b.ev);
	buddy_model__free(b.shadow);
	buddy_model__free(m);
}
