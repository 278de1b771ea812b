// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The vmap area model (model/vmap.c), the vmalloc analysis (analysis/vmalloc.c)
 * and `kmmtrace vmalloc` on hand-built traces. Every number checked is worked
 * out by hand next to its assertion; page size 4096 and huge size 2 MiB unless
 * told. Model tests are named vmap_*, analysis and CLI tests vmalloc_unit_*.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include "../build.h"
#include "../test.h"
#include "../json.h"
#include "defs.h"
#include "trace.h"
#include "vmalloc.h"
#include "vmap.h"

#define MIB		(1ull << 20)
#define VS		0xffffc90000000000ull	/* VMALLOC_START (x86-64, 4-level) */
#define VE		0xffffe8ffffffffffull	/* VMALLOC_END */

static int near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static struct vmap_model *model4k(void)
{
	struct vmap_model_opts o = { .sz = sizeof(o), .page_size = 4096 };

	return vmap_model__new(&o);
}

/* ------------------------------------------------------------------ model */

TEST(vmap_alloc_sizes_ptes_hist)
{
	struct vmap_model *m = model4k();
	const struct vmap_site_stats *st;

	ASSERT_TRUE(m != NULL);
	/* vmalloc(16 KiB): 4 pages + the guard page = 5 pages = 20480 bytes */
	ASSERT_EQ(vmap_model__alloc(m, 100, 0x10000, 20480, 4096, VS, VE, false, 2), 0);
	/* vmalloc(4 KiB): 1 page + guard = 8192 */
	ASSERT_EQ(vmap_model__alloc(m, 200, 0x20000, 8192, 4096, VS, VE, false, 2), 0);
	/* VM_NO_GUARD, one page: 4096 */
	ASSERT_EQ(vmap_model__alloc(m, 300, 0x30000, 4096, 4096, VS, VE, false, 2), 0);
	st = vmap_model__site(m, 2);
	ASSERT_TRUE(st != NULL);
	ASSERT_EQ(st->areas, 3);
	ASSERT_EQ(st->bytes, 32768);		/* 20480 + 8192 + 4096 */
	ASSERT_EQ(st->min_bytes, 4096);
	ASSERT_EQ(st->max_bytes, 20480);
	ASSERT_EQ(st->ptes, 6);			/* (5 - 1) + (2 - 1) + 1 (a single page has no guard) */
	ASSERT_EQ(st->size_hist[14], 1);	/* 16384 <= 20480 < 32768 */
	ASSERT_EQ(st->size_hist[13], 1);	/* 8192 = 2^13 */
	ASSERT_EQ(st->size_hist[12], 1);	/* 4096 = 2^12 */
	ASSERT_EQ(st->huge_aligned, 0);
	ASSERT_EQ(st->big_small_pages, 0);
	ASSERT_EQ(st->first_ts, 100);
	ASSERT_EQ(st->last_ts, 300);
	ASSERT_EQ(vmap_model__totals(m)->allocs, 3);
	/* sites are the caller's numbers: using 2 makes 0..2 exist, 3 does not */
	ASSERT_EQ(vmap_model__nr_sites(m), 3);
	ASSERT_EQ(vmap_model__site(m, 1)->areas, 0);
	ASSERT_TRUE(vmap_model__site(m, 3) == NULL);
	vmap_model__free(m);
}

TEST(vmap_huge_aligned_vs_big_small_pages)
{
	struct vmap_model *m = vmap_model__new(NULL);	/* defaults: 4096, 2 MiB */
	const struct vmap_site_stats *a, *b;

	ASSERT_TRUE(m != NULL);
	/* vmalloc_huge(4 MiB): 4 MiB + guard, PMD-aligned: a huge mapping attempt */
	vmap_model__alloc(m, 1, 0x40000000, 4 * MIB + 4096, 2 * MIB, VS, VE, false, 0);
	/* alignment alone decides: 1 MiB + guard with 2 MiB alignment is still "huge" */
	vmap_model__alloc(m, 2, 0x40800000, 1 * MIB + 4096, 2 * MIB, VS, VE, false, 0);
	/* vmalloc(2 MiB): 2 MiB + guard with page alignment: 4 KiB PTEs */
	vmap_model__alloc(m, 3, 0x41000000, 2 * MIB + 4096, 4096, VS, VE, false, 1);
	/* exactly 2 MiB (VM_NO_GUARD), page-aligned: >= the huge size */
	vmap_model__alloc(m, 4, 0x41400000, 2 * MIB, 4096, VS, VE, false, 1);
	/* one page under 2 MiB, page-aligned: neither */
	vmap_model__alloc(m, 5, 0x41800000, 2 * MIB - 4096, 4096, VS, VE, false, 1);
	a = vmap_model__site(m, 0);
	b = vmap_model__site(m, 1);
	ASSERT_EQ(a->huge_aligned, 2);
	ASSERT_EQ(a->big_small_pages, 0);
	ASSERT_EQ(a->ptes, 1024 + 256);		/* 1025 - 1 and 257 - 1 */
	ASSERT_EQ(a->size_hist[22], 1);		/* 4 MiB = 2^22 <= 4198400 < 2^23 */
	ASSERT_EQ(b->huge_aligned, 0);
	ASSERT_EQ(b->big_small_pages, 2);	/* 2101248 and 2097152 */
	ASSERT_EQ(b->ptes, 512 + 511 + 510);	/* 513 - 1, 512 - 1, 511 - 1 */
	vmap_model__free(m);
}

TEST(vmap_failed_alloc_not_inserted)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *st;

	/* a failed alloc_vmap_area() reports addr = -ENOMEM */
	ASSERT_EQ(vmap_model__alloc(m, 50, (__u64)-12, 8192, 4096, 0x400000, 0x500000, true, 0), 0);
	st = vmap_model__site(m, 0);
	ASSERT_EQ(st->failed, 1);
	ASSERT_EQ(st->areas, 0);
	ASSERT_EQ(st->bytes, 0);
	ASSERT_EQ(st->ptes, 0);
	ASSERT_EQ(st->first_ts, 50);		/* the site was seen */
	ASSERT_EQ(t->failed, 1);
	ASSERT_EQ(t->allocs, 0);		/* failures are counted apart */
	/* not inserted: freeing that address finds nothing */
	ASSERT_EQ(vmap_model__free_area(m, 60, (__u64)-12, 0, 32768), -1);
	ASSERT_EQ(t->frees_unknown, 1);
	vmap_model__finish(m);
	ASSERT_EQ(st->live_areas, 0);
	ASSERT_EQ(t->live_areas, 0);
	/* a failure's range does not count: no range at all, so no VA statistics */
	ASSERT_U64_EQ(t->vstart, 0);
	ASSERT_U64_EQ(t->vend, 0);
	ASSERT_EQ(t->va_gaps, 0);
	vmap_model__free(m);
}

TEST(vmap_free_makes_lazy)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *st;
	__u64 nlife = 0;

	vmap_model__alloc(m, 1000, 0x10000, 20480, 4096, VS, VE, false, 3);
	/* freed 3000 ns later; the kernel's nr_lazy is 5 pages after it */
	ASSERT_EQ(vmap_model__free_area(m, 4000, 0x10000, 5, 32768), 3);	/* its site */
	st = vmap_model__site(m, 3);
	ASSERT_EQ(st->frees, 1);
	ASSERT_EQ(st->lazy_pages, 5);		/* 20480 / 4096: the guard page too, as nr_lazy */
	ASSERT_EQ(st->life[11], 1);		/* 2048 <= 3000 < 4096 */
	for (int b = 0; b < VMAP_LIFE_BUCKETS; b++)
		nlife += st->life[b];
	ASSERT_EQ(nlife, 1);
	ASSERT_EQ(st->life_sum_ns, 3000);	/* 4000 - 1000 */
	ASSERT_EQ(t->frees, 1);
	ASSERT_EQ(t->frees_unknown, 0);
	ASSERT_EQ(t->kernel_nr_lazy, 5);
	ASSERT_EQ(t->nr_lazy_max, 32768);
	/* freed again while lazy (a missed alloc in between): not a live area any more */
	ASSERT_EQ(vmap_model__free_area(m, 5000, 0x10000, 10, 32768), -1);
	ASSERT_EQ(t->frees_unknown, 1);
	ASSERT_EQ(st->frees, 1);
	ASSERT_EQ(st->lazy_pages, 5);
	ASSERT_EQ(t->frees, 2);			/* every free event, unknown ones included */
	ASSERT_EQ(t->kernel_nr_lazy, 10);	/* the last one reported */
	vmap_model__finish(m);
	ASSERT_EQ(st->live_areas, 0);		/* lazy is not live */
	ASSERT_EQ(t->lazy_pages, 5);		/* still waiting for a purge at the end */
	vmap_model__free(m);
}

TEST(vmap_free_unknown_address)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);

	vmap_model__alloc(m, 10, 0x10000, 8192, 4096, VS, VE, false, 0);
	ASSERT_EQ(vmap_model__free_area(m, 20, 0x999000, 7, 32768), -1);
	ASSERT_EQ(t->frees, 1);
	ASSERT_EQ(t->frees_unknown, 1);
	ASSERT_EQ(t->kernel_nr_lazy, 7);	/* the kernel's numbers are kept all the same */
	ASSERT_EQ(vmap_model__site(m, 0)->frees, 0);
	ASSERT_EQ(vmap_model__site(m, 0)->lazy_pages, 0);
	vmap_model__finish(m);
	ASSERT_EQ(t->live_areas, 1);		/* 0x10000 untouched */
	ASSERT_EQ(t->lazy_pages, 0);
	vmap_model__free(m);
}

TEST(vmap_empty_purge_changes_nothing)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *st;

	vmap_model__alloc(m, 10, 0x10000, 8192, 4096, VS, VE, false, 0);
	vmap_model__free_area(m, 20, 0x10000, 2, 32768);
	ASSERT_EQ(vmap_model__purge(m, 30, 0, 0, 0), 0);	/* npurged 0: nothing, no flush */
	st = vmap_model__site(m, 0);
	ASSERT_EQ(t->empty_purges, 1);
	ASSERT_EQ(t->purges, 0);
	ASSERT_EQ(t->purged_areas, 0);
	ASSERT_EQ(t->purged_areas_model, 0);
	ASSERT_EQ(t->purged_pages, 0);
	ASSERT_EQ(st->purged_pages, 0);
	ASSERT_TRUE(near(st->purge_share, 0));
	/* the lazy area is still on the list: a real purge finds it */
	vmap_model__purge(m, 40, 0x10000, 0x12000, 1);
	ASSERT_EQ(t->purges, 1);
	ASSERT_EQ(t->purged_areas_model, 1);
	ASSERT_EQ(t->purged_pages, 2);		/* 8192 / 4096 */
	ASSERT_TRUE(near(st->purge_share, 1.0));	/* the only area of that purge */
	vmap_model__free(m);
}

TEST(vmap_purge_share_by_pages)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *a, *b;

	/* site A (0): 2 + 1 pages; site B (1): 1 page freed, 4 pages kept */
	vmap_model__alloc(m, 10, 0x10000, 8192, 4096, VS, VE, false, 0);
	vmap_model__alloc(m, 20, 0x20000, 4096, 4096, VS, VE, false, 0);
	vmap_model__alloc(m, 30, 0x30000, 4096, 4096, VS, VE, false, 1);
	vmap_model__alloc(m, 40, 0x40000, 16384, 4096, VS, VE, false, 1);
	vmap_model__free_area(m, 50, 0x10000, 2, 32768);
	vmap_model__free_area(m, 60, 0x20000, 3, 32768);
	vmap_model__free_area(m, 70, 0x30000, 4, 32768);
	a = vmap_model__site(m, 0);
	b = vmap_model__site(m, 1);
	ASSERT_EQ(a->lazy_pages, 3);		/* 2 + 1 */
	ASSERT_EQ(b->lazy_pages, 1);
	/* the kernel purged 4 areas: one of them the model never saw */
	vmap_model__purge(m, 80, 0x10000, 0x31000, 4);
	ASSERT_EQ(t->purges, 1);
	ASSERT_EQ(t->purged_areas, 4);		/* the kernel's count */
	ASSERT_EQ(t->purged_areas_model, 3);	/* 0x10000, 0x20000, 0x30000 */
	ASSERT_EQ(t->purged_pages, 4);		/* 3 + 1 */
	ASSERT_EQ(a->purged_pages, 3);
	ASSERT_EQ(b->purged_pages, 1);
	ASSERT_TRUE(near(a->purge_share, 0.75));	/* 3 of 4 pages */
	ASSERT_TRUE(near(b->purge_share, 0.25));	/* 1 of 4 */
	/* the areas are gone: a second purge finds none of them */
	vmap_model__purge(m, 90, 0, 0, 2);
	ASSERT_EQ(t->purges, 2);
	ASSERT_EQ(t->purged_areas, 6);		/* 4 + 2 as the kernel says */
	ASSERT_EQ(t->purged_areas_model, 3);	/* unchanged */
	ASSERT_EQ(t->purged_pages, 4);
	ASSERT_TRUE(near(a->purge_share, 0.75));
	ASSERT_TRUE(near(b->purge_share, 0.25));
	/* and a free of a purged address is unknown */
	ASSERT_EQ(vmap_model__free_area(m, 95, 0x10000, 0, 32768), -1);
	ASSERT_EQ(t->frees_unknown, 1);
	vmap_model__finish(m);
	ASSERT_EQ(t->lazy_pages, 0);
	ASSERT_EQ(t->live_areas, 1);		/* 0x40000 */
	ASSERT_EQ(b->live_bytes, 16384);
	ASSERT_EQ(b->live_ptes, 3);		/* 4 pages - guard */
	ASSERT_EQ(a->live_areas, 0);
	vmap_model__free(m);
}

TEST(vmap_preexisting_snapshot_areas)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *s0, *s1;
	__u64 nlife = 0;

	ASSERT_EQ(vmap_model__preexisting(m, 0x10000, 8192, 0, false), 0);
	ASSERT_EQ(vmap_model__preexisting(m, 0x20000, 12288, 1, true), 0);	/* "unpurged" */
	ASSERT_EQ(vmap_model__preexisting(m, 0x30000, 20480, 0, false), 0);
	ASSERT_EQ(t->snapshot_areas, 3);
	s0 = vmap_model__site(m, 0);
	ASSERT_EQ(s0->areas, 0);		/* not allocated in the trace */
	/* a snapshot area freed in the trace: lazy, but its lifetime is unknown */
	ASSERT_EQ(vmap_model__free_area(m, 5000, 0x30000, 8, 32768), 0);
	ASSERT_EQ(s0->frees, 1);
	ASSERT_EQ(s0->lazy_pages, 5);		/* 20480 / 4096 */
	ASSERT_EQ(s0->life_sum_ns, 0);
	for (int b = 0; b < VMAP_LIFE_BUCKETS; b++)
		nlife += s0->life[b];
	ASSERT_EQ(nlife, 0);
	/* the next purge takes the preexisting lazy area too: 3 + 5 = 8 pages */
	vmap_model__purge(m, 6000, 0x20000, 0x35000, 2);
	s1 = vmap_model__site(m, 1);
	ASSERT_EQ(t->purged_areas_model, 2);
	ASSERT_EQ(t->purged_pages, 8);
	ASSERT_EQ(s1->purged_pages, 3);		/* 12288 / 4096 */
	ASSERT_TRUE(near(s1->purge_share, 0.375));	/* 3 / 8 */
	ASSERT_EQ(s0->purged_pages, 5);
	ASSERT_TRUE(near(s0->purge_share, 0.625));	/* 5 / 8 */
	ASSERT_EQ(s1->lazy_pages, 0);		/* freed before the trace, not in it */
	vmap_model__finish(m);
	ASSERT_EQ(s0->live_areas, 1);		/* 0x10000 */
	ASSERT_EQ(s0->live_bytes, 8192);
	ASSERT_EQ(s0->live_ptes, 1);
	ASSERT_EQ(s0->snapshot_areas, 1);
	ASSERT_EQ(s1->live_areas, 0);
	ASSERT_EQ(t->live_areas, 1);
	ASSERT_EQ(t->live_bytes, 8192);
	ASSERT_EQ(t->snapshot_areas, 3);	/* as loaded */
	ASSERT_EQ(t->lazy_pages, 0);
	vmap_model__free(m);
}

TEST(vmap_finish_end_state)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *s0, *s1, *s2;

	vmap_model__alloc(m, 10, 0x10000, 20480, 4096, VS, VE, false, 0);
	vmap_model__alloc(m, 20, 0x20000, 8192, 4096, VS, VE, false, 0);
	vmap_model__alloc(m, 30, 0x30000, 12288, 4096, VS, VE, false, 1);
	vmap_model__alloc(m, 40, 0x40000, 16384, 4096, VS, VE, false, 1);
	vmap_model__free_area(m, 50, 0x40000, 4, 32768);
	vmap_model__preexisting(m, 0x50000, 8192, 2, true);
	vmap_model__finish(m);
	s0 = vmap_model__site(m, 0);
	s1 = vmap_model__site(m, 1);
	s2 = vmap_model__site(m, 2);
	ASSERT_EQ(s0->live_areas, 2);
	ASSERT_EQ(s0->live_bytes, 28672);	/* 20480 + 8192 */
	ASSERT_EQ(s0->live_ptes, 5);		/* 4 + 1 */
	ASSERT_EQ(s1->live_areas, 1);		/* 0x30000; 0x40000 is lazy */
	ASSERT_EQ(s1->live_bytes, 12288);
	ASSERT_EQ(s1->live_ptes, 2);
	ASSERT_EQ(s2->live_areas, 0);
	ASSERT_EQ(t->live_areas, 3);
	ASSERT_EQ(t->live_bytes, 40960);	/* 28672 + 12288 */
	ASSERT_EQ(t->lazy_pages, 6);		/* 16384 / 4096 + 8192 / 4096 */
	/* finishing twice counts nothing twice */
	vmap_model__finish(m);
	ASSERT_EQ(s0->live_areas, 2);
	ASSERT_EQ(t->live_bytes, 40960);
	ASSERT_EQ(t->lazy_pages, 6);
	vmap_model__free(m);
}

TEST(vmap_finish_va_fragmentation)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);

	/* another range, once, before the main one */
	vmap_model__alloc(m, 1, 0x300000, 0x1000, 4096, 0, 0x10000000, false, 1);
	/* four failures in a third range: failures do not vote */
	for (int i = 0; i < 4; i++)
		vmap_model__alloc(m, 2 + i, (__u64)-12, 8192, 4096, 0x400000, 0x500000, true, 2);
	/* the main range [0x100000, 0x200000), three times */
	vmap_model__alloc(m, 10, 0x100000, 0x2000, 4096, 0x100000, 0x200000, false, 0);
	vmap_model__alloc(m, 11, 0x104000, 0x3000, 4096, 0x100000, 0x200000, false, 0);
	vmap_model__alloc(m, 12, 0x180000, 0x1000, 4096, 0x100000, 0x200000, false, 1);
	vmap_model__free_area(m, 13, 0x180000, 1, 32768);	/* lazy: keeps its VA */
	vmap_model__finish(m);
	ASSERT_U64_EQ(t->vstart, 0x100000);
	ASSERT_U64_EQ(t->vend, 0x200000);
	/*
	 * held: [0x100000,0x102000) [0x104000,0x107000) [0x180000,0x181000);
	 * 0x300000 is outside. Free: [0x102000,0x104000) = 0x2000,
	 * [0x107000,0x180000) = 0x79000, [0x181000,0x200000) = 0x7f000.
	 */
	ASSERT_EQ(t->va_gaps, 3);
	ASSERT_U64_EQ(t->va_free_bytes, 0xfa000);	/* 0x100000 - 0x6000 held */
	ASSERT_U64_EQ(t->va_largest_gap, 0x7f000);
	ASSERT_EQ(t->live_areas, 3);		/* 0x300000, 0x100000, 0x104000 */
	ASSERT_EQ(t->lazy_pages, 1);
	vmap_model__free(m);
}

TEST(vmap_address_reuse_replaces_area)
{
	struct vmap_model *m = model4k();
	const struct vmap_totals *t = vmap_model__totals(m);
	const struct vmap_site_stats *s0, *s1;

	/* X: site 0's area, then (its free and purge missed) site 1's */
	vmap_model__alloc(m, 100, 0x10000, 8192, 4096, VS, VE, false, 0);
	vmap_model__alloc(m, 200, 0x10000, 16384, 4096, VS, VE, false, 1);
	/* Y: site 0's area freed, then (the purge missed) reused by site 1 */
	vmap_model__alloc(m, 300, 0x20000, 8192, 4096, VS, VE, false, 0);
	ASSERT_EQ(vmap_model__free_area(m, 400, 0x20000, 2, 32768), 0);
	vmap_model__alloc(m, 500, 0x20000, 4096, 4096, VS, VE, false, 1);
	/* the lazy list still names Y, but Y is live again: nothing purged */
	vmap_model__purge(m, 600, 0x20000, 0x22000, 1);
	ASSERT_EQ(t->purged_areas_model, 0);
	ASSERT_EQ(t->purged_pages, 0);
	/* X's free goes to site 1, the newer area: life 1200 - 200 = 1000 ns */
	ASSERT_EQ(vmap_model__free_area(m, 1200, 0x10000, 4, 32768), 1);
	s0 = vmap_model__site(m, 0);
	s1 = vmap_model__site(m, 1);
	ASSERT_EQ(s1->frees, 1);
	ASSERT_EQ(s1->lazy_pages, 4);		/* 16384 / 4096, not site 0's 8192 */
	ASSERT_EQ(s1->life[9], 1);		/* 512 <= 1000 < 1024 */
	ASSERT_EQ(s1->life_sum_ns, 1000);
	ASSERT_EQ(s0->frees, 1);		/* Y only */
	vmap_model__finish(m);
	ASSERT_EQ(s0->areas, 2);		/* allocation statistics stay */
	ASSERT_EQ(s1->areas, 2);
	ASSERT_EQ(s0->live_areas, 0);
	ASSERT_EQ(s1->live_areas, 1);		/* Y */
	ASSERT_EQ(s1->live_bytes, 4096);
	ASSERT_EQ(t->live_areas, 1);
	ASSERT_EQ(t->lazy_pages, 4);		/* X */
	vmap_model__free(m);
}

TEST(vmap_backing_page_orders)
{
	struct vmap_model *m = model4k();

	vmap_model__backing_page(m, 1, 0);
	ASSERT_EQ(vmap_model__site(m, 1)->backing_pages, 1);
	vmap_model__backing_page(m, 1, 3);
	ASSERT_EQ(vmap_model__site(m, 1)->backing_pages, 9);	/* 1 + 2^3 */
	vmap_model__backing_page(m, 1, -1);			/* nonsense order: one page */
	ASSERT_EQ(vmap_model__site(m, 1)->backing_pages, 10);
	vmap_model__free(m);
}

TEST(vmap_parse_vmallocinfo_lines)
{
	__u64 addr = 0, size = 0;
	char caller[64], small[5];

	ASSERT_TRUE(vmap__parse_vmallocinfo_line(
		"0xffffc90000000000-0xffffc90000005000   20480 copy_process+0x1b3/0x1a20 pages=4 "
		"vmalloc N0=4", &addr, &size, caller, sizeof(caller)));
	ASSERT_U64_EQ(addr, 0xffffc90000000000ull);
	ASSERT_EQ(size, 20480);
	ASSERT_STREQ(caller, "copy_process");	/* "+0x1b3/0x1a20" cut */
	ASSERT_TRUE(vmap__parse_vmallocinfo_line(
		"0xffffc90000020000-0xffffc90000022000    8192 pci_iomap_range+0x62/0x80 "
		"phys=0x00000000fed00000 ioremap", &addr, &size, caller, sizeof(caller)));
	ASSERT_U64_EQ(addr, 0xffffc90000020000ull);
	ASSERT_EQ(size, 8192);
	ASSERT_STREQ(caller, "pci_iomap_range");
	/* an ioremap without a caller */
	ASSERT_TRUE(vmap__parse_vmallocinfo_line(
		"0xffffc90000024000-0xffffc90000026000    8192 phys=0x00000000fed00000 ioremap",
		&addr, &size, caller, sizeof(caller)));
	ASSERT_STREQ(caller, "?");
	ASSERT_TRUE(vmap__parse_vmallocinfo_line(
		"0xffffc90000010000-0xffffc90000012000    8192 unpurged vm_area", &addr, &size,
		caller, sizeof(caller)));
	ASSERT_U64_EQ(addr, 0xffffc90000010000ull);
	ASSERT_EQ(size, 8192);
	ASSERT_STREQ(caller, "unpurged");
	/* the caller buffer's length is respected: 4 characters and the NUL */
	ASSERT_TRUE(vmap__parse_vmallocinfo_line(
		"0xffffc90000000000-0xffffc90000005000   20480 copy_process+0x1b3/0x1a20 pages=4",
		&addr, &size, small, sizeof(small)));
	ASSERT_STREQ(small, "copy");
	ASSERT_FALSE(vmap__parse_vmallocinfo_line("garbage in, garbage out", &addr, &size, caller,
						  sizeof(caller)));
	ASSERT_FALSE(vmap__parse_vmallocinfo_line("", &addr, &size, caller, sizeof(caller)));
	/*
	 * hashed addresses (%pK under kptr_restrict, as this machine prints them):
	 * the ends are unrelated, the size field counts
	 */
	ASSERT_TRUE(vmap__parse_vmallocinfo_line(
		"0x00000000467e8f22-0x000000002b0c2f5d   20480 irq_init_percpu_irqstack+0x10f/0x180",
		&addr, &size, caller, sizeof(caller)));
	ASSERT_U64_EQ(addr, 0x467e8f22ull);
	ASSERT_U64_EQ(size, 20480);
	ASSERT_STREQ(caller, "irq_init_percpu_irqstack");
	/* end before start with no size: nothing to go by */
	ASSERT_FALSE(vmap__parse_vmallocinfo_line("0xffffc90000005000-0xffffc90000000000 0",
						  &addr, &size, caller, sizeof(caller)));
}

/* ------------------------------------------------------------------ analysis */

#define S_VM_RANGE	0xffffffff81300100ull	/* __vmalloc_node_range_noprof */
#define S_VM_NODE	0xffffffff81300200ull	/* __vmalloc_node_noprof */
#define S_KVMALLOC	0xffffffff81300300ull	/* __kvmalloc_node_noprof */
#define S_BPF_AREA	0xffffffff81200100ull	/* bpf_map_area_alloc */
#define S_ARRAY_MAP	0xffffffff81200200ull	/* array_map_alloc */
#define S_MAP_CREATE	0xffffffff81200300ull	/* map_create */
#define S_COPY_PROC	0xffffffff81080100ull	/* copy_process */
#define S_DRV		0xffffffffc0001000ull	/* mydrv_probe [mydrv] */
#define S_NONE		0xffffffff81ffff00ull	/* no symbol */

static const struct kmt_sym syms[] = {
	{ .addr = S_VM_RANGE, .name = "__vmalloc_node_range_noprof" },
	{ .addr = S_VM_NODE, .name = "__vmalloc_node_noprof" },
	{ .addr = S_KVMALLOC, .name = "__kvmalloc_node_noprof" },
	{ .addr = S_BPF_AREA, .name = "bpf_map_area_alloc" },
	{ .addr = S_ARRAY_MAP, .name = "array_map_alloc" },
	{ .addr = S_MAP_CREATE, .name = "map_create" },
	{ .addr = S_COPY_PROC, .name = "copy_process" },
	{ .addr = S_DRV, .name = "mydrv_probe", .module = "mydrv" },
};

/*
 * 1: bpf array map -> "array_map_alloc" (bpf_map_area_alloc is internal: "bpf_")
 * 2: fork -> "copy_process"
 * 3: an unresolved frame, kvmalloc, then a module -> "mydrv_probe [mydrv]"
 * 4: vmalloc core and bpf only -> no site
 */
static void make_stack(struct kmt_stack *s, int id, const __u64 *ips, __u32 nr)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->nr = nr;
	memcpy(s->ips, ips, nr * sizeof(*ips));
}

static void stacks(struct kmt_stack out[4])
{
	static const __u64 s1[] = { S_VM_RANGE, S_BPF_AREA, S_ARRAY_MAP, S_MAP_CREATE };
	static const __u64 s2[] = { S_VM_RANGE, S_VM_NODE, S_COPY_PROC };
	static const __u64 s3[] = { S_NONE, S_KVMALLOC, S_DRV };
	static const __u64 s4[] = { S_VM_RANGE, S_BPF_AREA };

	make_stack(&out[0], 1, s1, 4);
	make_stack(&out[1], 2, s2, 3);
	make_stack(&out[2], 3, s3, 3);
	make_stack(&out[3], 4, s4, 2);
}

static const struct kmt_task modprobe = { .tgid = 42, .tid = 43, .comm = "modprobe" };

/* The symbols, the stacks and modprobe, to a definition store or a trace alike. */
static void put_defs(struct kmt_sink s)
{
	struct kmt_stack st[4];

	stacks(st);
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		s.sym(s.ctx, &syms[i]);
	for (int i = 0; i < 4; i++)
		s.stack(s.ctx, &st[i]);
	s.task(s.ctx, &modprobe);
}

static struct kmt_defs *make_defs(void)
{
	struct kmt_defs *d = kmt_defs__new();

	if (d)
		put_defs(kmt_defs__sink(d));
	return d;
}

static struct kmt_event va_alloc(__u64 ts, __u64 addr, __u64 size, __u64 align, int stack)
{
	struct kmt_event e = { .ts = ts, .type = KMT_EV_VMAP_ALLOC, .ptr = addr, .size = size,
			       .size2 = align, .aux = VS, .aux2 = VE, .tgid = 10, .tid = 10,
			       .node = -1, .stack_id = stack };

	return e;
}

static struct kmt_event va_free(__u64 ts, __u64 addr, __u64 nr_lazy)
{
	struct kmt_event e = { .ts = ts, .type = KMT_EV_VMAP_FREE, .ptr = addr, .size = nr_lazy,
			       .size2 = 32768, .tgid = 10, .tid = 10, .node = -1, .stack_id = -1 };

	return e;
}

static struct kmt_event va_purge(__u64 ts, __u64 start, __u64 end, __u64 npurged)
{
	struct kmt_event e = { .ts = ts, .type = KMT_EV_VMAP_PURGE, .ptr = start, .aux = end,
			       .size = npurged, .tgid = 10, .tid = 10, .node = -1,
			       .stack_id = -1 };

	return e;
}

static struct kmt_event pg_alloc(__u64 ts, __u64 pfn, int order, __u32 tid, __u32 cpu)
{
	struct kmt_event e = { .ts = ts, .type = KMT_EV_PAGE_ALLOC, .ptr = pfn, .order = order,
			       .tgid = tid, .tid = tid, .cpu = cpu, .gfp = 0xcc2, .node = -1,
			       .stack_id = -1 };

	return e;
}

TEST(vmalloc_unit_site_from_stack)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	struct kmt_event e[] = {
		va_alloc(1000, VS + 0x100000, 8192, 4096, 1),
		va_alloc(2000, VS + 0x104000, 20480, 4096, 2),
		va_alloc(3000, VS + 0x10a000, 8192, 4096, 3),
		va_alloc(4000, VS + 0x10c000, 8192, 4096, 1),
	};
	const struct kmt_event *ex;

	ASSERT_TRUE(d && a);
	for (size_t i = 0; i < 4; i++)
		vmalloc_an__event(a, &e[i]);
	ASSERT_EQ(vmalloc_an__nr_sites(a), 3);	/* stacks 1, 2, 3; the 4th event is stack 1 again */
	/* [__vmalloc_node_range_noprof, bpf_map_area_alloc, array_map_alloc, map_create] */
	ASSERT_STREQ(vmalloc_an__site_name(a, 0), "array_map_alloc");
	ASSERT_STREQ(vmalloc_an__site_name(a, 1), "copy_process");
	/* unresolved frame and __kvmalloc skipped; a module's frame carries its module */
	ASSERT_STREQ(vmalloc_an__site_name(a, 2), "mydrv_probe [mydrv]");
	ASSERT_STREQ(vmalloc_an__site_name(a, 3), "?");	/* past the last site */
	ASSERT_EQ(vmap_model__site(vmalloc_an__model(a), 0)->areas, 2);
	ASSERT_EQ(vmap_model__site(vmalloc_an__model(a), 0)->bytes, 16384);	/* 8192 * 2 */
	ex = vmalloc_an__site_example(a, 0);	/* the first allocation */
	ASSERT_TRUE(ex != NULL);
	ASSERT_EQ(ex->ts, 1000);
	ASSERT_EQ(ex->stack_id, 1);
	ASSERT_TRUE(vmalloc_an__site_example(a, 3) == NULL);
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_site_fallback_without_stack)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096), *b;
	struct kmt_event e[] = {
		va_alloc(1000, VS + 0x100000, 8192, 4096, -1),	/* tid 43: modprobe */
		va_alloc(2000, VS + 0x104000, 8192, 4096, -1),	/* tid 99: no task record */
		va_alloc(3000, VS + 0x108000, 8192, 4096, 4),	/* only internal frames */
		va_alloc(4000, VS + 0x10c000, 8192, 4096, 77),	/* undefined stack id */
	};

	ASSERT_TRUE(d && a);
	e[0].tid = 43;
	e[1].tid = 99;
	e[2].tid = 43;
	e[3].tid = 99;
	for (size_t i = 0; i < 4; i++)
		vmalloc_an__event(a, &e[i]);
	ASSERT_EQ(vmalloc_an__nr_sites(a), 2);
	ASSERT_STREQ(vmalloc_an__site_name(a, 0), "? (modprobe; record with -g for the call site)");
	ASSERT_STREQ(vmalloc_an__site_name(a, 1), "? (no stack; record with -g for the call site)");
	ASSERT_EQ(vmap_model__site(vmalloc_an__model(a), 0)->areas, 2);	/* events 0 and 2 */
	ASSERT_EQ(vmap_model__site(vmalloc_an__model(a), 1)->areas, 2);	/* events 1 and 3 */
	vmalloc_an__free(a);
	/* no definitions at all (and page size 0: 4096) */
	b = vmalloc_an__new(NULL, 0);
	ASSERT_TRUE(b != NULL);
	vmalloc_an__event(b, &e[0]);
	ASSERT_STREQ(vmalloc_an__site_name(b, 0), "? (no stack; record with -g for the call site)");
	ASSERT_EQ(vmap_model__site(vmalloc_an__model(b), 0)->ptes, 1);	/* 8192 / 4096 - 1 */
	vmalloc_an__free(b);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_event_fields)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	const struct vmap_totals *t = vmap_model__totals(vmalloc_an__model(a));
	struct kmt_event e[] = {
		va_alloc(1000, VS + 0x100000, 8192, 4096, 1),
		va_alloc(1500, (__u64)-12, 8192, 4096, 1),		/* failed */
		va_alloc(2000, VS + 0x400000, 4 * MIB + 4096, 2 * MIB, 2),
		va_free(3000, VS + 0x100000, 2),
		va_purge(4000, VS + 0x100000, VS + 0x102000, 1),
		{ .ts = 5000, .type = KMT_EV_KMALLOC, .ptr = 0x1000, .size = 8, .size2 = 8,
		  .stack_id = -1 },
	};
	const struct vmap_site_stats *s0, *s1;

	ASSERT_TRUE(d && a);
	e[1].arg = 1;
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		vmalloc_an__event(a, &e[i]);
	vmalloc_an__finish(a);
	s0 = vmap_model__site(vmalloc_an__model(a), 0);
	s1 = vmap_model__site(vmalloc_an__model(a), 1);
	ASSERT_EQ(t->allocs, 2);
	ASSERT_EQ(t->failed, 1);		/* arg != 0 */
	ASSERT_EQ(s0->failed, 1);
	ASSERT_EQ(s1->huge_aligned, 1);		/* size2 is the alignment */
	ASSERT_EQ(t->frees, 1);
	ASSERT_EQ(t->kernel_nr_lazy, 2);	/* VMAP_FREE size */
	ASSERT_EQ(t->nr_lazy_max, 32768);	/* VMAP_FREE size2 */
	ASSERT_EQ(t->purges, 1);
	ASSERT_EQ(t->purged_areas, 1);		/* VMAP_PURGE size */
	ASSERT_EQ(t->purged_pages, 2);
	ASSERT_U64_EQ(t->vstart, VS);		/* aux */
	ASSERT_U64_EQ(t->vend, VE);		/* aux2 */
	ASSERT_EQ(t->live_areas, 1);		/* the 4 MiB area */
	/* any event counts for the span: 1000 .. 5000 ns */
	ASSERT_TRUE(near(vmalloc_an__seconds(a), 4e-6));
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_preload_vmallocinfo)
{
	static const char info[] =
		"0xffffc90000000000-0xffffc90000005000   20480 copy_process+0x1b3/0x1a20 pages=4 vmalloc N0=4\n"
		"0xffffc90000010000-0xffffc90000012000    8192 unpurged vm_area\n"
		"0xffffc90000020000-0xffffc90000022000    8192 pci_iomap_range+0x62/0x80 phys=0x00000000fed00000 ioremap\n"
		"not a vmallocinfo line\n"
		"0xffffc90000030000-0xffffc90000033000   12288 copy_process+0x1b3/0x1a20 pages=2 vmalloc N0=2";
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	const struct vmap_model *m = vmalloc_an__model(a);
	const struct vmap_totals *t = vmap_model__totals(m);
	struct kmt_event e1 = va_alloc(1000, VS + 0x40000, 8192, 4096, 2);
	struct kmt_event e2 = va_purge(2000, VS + 0x10000, VS + 0x12000, 1);
	struct vmalloc_thresholds th;
	const struct vmap_site_stats *s0, *s1, *s2;

	ASSERT_TRUE(d && a);
	ASSERT_EQ(vmalloc_an__preload(a, info), 4);	/* the garbage line skipped */
	ASSERT_EQ(vmalloc_an__nr_sites(a), 3);
	ASSERT_STREQ(vmalloc_an__site_name(a, 0), "copy_process");
	ASSERT_STREQ(vmalloc_an__site_name(a, 1), "(lazily freed before the trace)");
	ASSERT_STREQ(vmalloc_an__site_name(a, 2), "pci_iomap_range");
	ASSERT_TRUE(vmalloc_an__site_example(a, 0) == NULL);	/* snapshot only so far */
	/* a fork in the trace: stack 2 names "copy_process", the same site */
	vmalloc_an__event(a, &e1);
	ASSERT_EQ(vmalloc_an__nr_sites(a), 3);
	ASSERT_TRUE(vmalloc_an__site_example(a, 0) != NULL);
	/* the purge takes the "unpurged" area: 8192 / 4096 = 2 pages, all of the purge */
	vmalloc_an__event(a, &e2);
	vmalloc_an__finish(a);
	s0 = vmap_model__site(m, 0);
	s1 = vmap_model__site(m, 1);
	s2 = vmap_model__site(m, 2);
	ASSERT_EQ(t->purged_areas_model, 1);
	ASSERT_EQ(s1->purged_pages, 2);
	ASSERT_TRUE(near(s1->purge_share, 1.0));
	ASSERT_EQ(s0->areas, 1);		/* allocated in the trace */
	ASSERT_EQ(s0->live_areas, 3);		/* 2 from the snapshot + 1 */
	ASSERT_EQ(s0->live_bytes, 40960);	/* 20480 + 12288 + 8192 */
	ASSERT_EQ(s0->snapshot_areas, 2);
	ASSERT_EQ(s2->live_areas, 1);
	ASSERT_EQ(s2->live_ptes, 1);		/* 8192: 2 pages - guard */
	ASSERT_EQ(t->snapshot_areas, 4);
	ASSERT_EQ(t->live_areas, 4);		/* 3 + the ioremap */
	ASSERT_EQ(t->lazy_pages, 0);
	vmalloc_thresholds__default(&th, 4096);
	/* no areas of its own, but all the purged pages */
	ASSERT_EQ(vmalloc_an__flags(a, 1, &th), VMF_PURGES);
	ASSERT_EQ(vmalloc_an__flags(a, 2, &th), 0);
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_backing_pages)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	const struct vmap_model *m = vmalloc_an__model(a);
	const __u64 t0 = 1000000;
	struct kmt_event e[] = {
		/* site 0 (stack 1): 5 pages = 4 mapped, on CPU 2 by tid 7 */
		va_alloc(t0, VS + 0x100000, 20480, 4096, 1),
		pg_alloc(t0 + 1000, 100, 0, 7, 2),	/* yes: 1 (4 to come -> 3) */
		pg_alloc(t0 + 2000, 101, 0, 8, 2),	/* another tid */
		pg_alloc(t0 + 3000, 102, 0, 7, 3),	/* another CPU */
		pg_alloc(t0 + 4000, 104, 1, 7, 2),	/* yes: 2 (3 -> 1) */
		pg_alloc(t0 + 5000, ~0ull, 0, 7, 2),	/* a failed page allocation */
		pg_alloc(t0 + 6000, 106, 1, 7, 2),	/* 2 pages, 1 to come: no */
		pg_alloc(t0 + 7000, 108, 0, 7, 2),	/* yes: 1 (1 -> 0) */
		pg_alloc(t0 + 8000, 109, 0, 7, 2),	/* the area is full */
		/* site 1 (stack 2): a page exactly 10 ms later is too late */
		va_alloc(100000000, VS + 0x200000, 8192, 4096, 2),
		pg_alloc(100000000 + 10000000, 200, 0, 7, 2),
		/* site 2 (stack 3): just under 10 ms is in time */
		va_alloc(200000000, VS + 0x300000, 8192, 4096, 3),
		pg_alloc(200000000 + 9999999, 300, 0, 7, 2),
		/* a failed area of site 0: the page after it backs nothing */
		va_alloc(300000000, (__u64)-12, 8192, 4096, 1),
		pg_alloc(300000000 + 1000, 400, 0, 7, 2),
	};

	ASSERT_TRUE(d && a);
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		if (e[i].type == KMT_EV_VMAP_ALLOC) {
			e[i].tid = 7;
			e[i].cpu = 2;
		}
	}
	e[13].arg = 1;
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		vmalloc_an__event(a, &e[i]);
	ASSERT_STREQ(vmalloc_an__site_name(a, 0), "array_map_alloc");
	ASSERT_EQ(vmap_model__site(m, 0)->backing_pages, 4);	/* 1 + 2 + 1: its 4 mapped pages */
	ASSERT_EQ(vmap_model__site(m, 1)->backing_pages, 0);
	ASSERT_EQ(vmap_model__site(m, 2)->backing_pages, 1);
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_flag_small)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	struct vmalloc_thresholds th;
	__u64 addr = VS;

	ASSERT_TRUE(d && a);
	vmalloc_thresholds__default(&th, 4096);
	ASSERT_EQ(th.small_bytes, 16384);	/* 4 pages */
	/* site 0: three 8192 areas (1 mapped page) and one of 17 pages */
	for (int i = 0; i < 3; i++) {
		struct kmt_event e = va_alloc(1000 + i, addr += 0x100000, 8192, 4096, 1);

		vmalloc_an__event(a, &e);
	}
	{
		struct kmt_event e = va_alloc(1010, addr += 0x100000, 69632, 4096, 1);

		vmalloc_an__event(a, &e);
	}
	/* site 1: one small, one big: half is not "most" */
	{
		struct kmt_event e1 = va_alloc(1020, addr += 0x100000, 8192, 4096, 2);
		struct kmt_event e2 = va_alloc(1030, addr += 0x100000, 69632, 4096, 2);

		vmalloc_an__event(a, &e1);
		vmalloc_an__event(a, &e2);
	}
	/* site 2: two areas of 3 pages (2 mapped + guard) */
	for (int i = 0; i < 2; i++) {
		struct kmt_event e = va_alloc(1040 + i, addr += 0x100000, 12288, 4096, 3);

		vmalloc_an__event(a, &e);
	}
	vmalloc_an__finish(a);
	/*
	 * No frees (no churn), nothing >= 2 MiB, no purges: SMALL alone.
	 * Site 0: 3 of 4 areas small, 3 * 2 > 4.
	 */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_SMALL);
	ASSERT_EQ(vmalloc_an__flags(a, 1, &th), 0);		/* 1 * 2 > 2 is false */
	ASSERT_EQ(vmalloc_an__flags(a, 2, &th), VMF_SMALL);	/* 12288 maps 8192 */
	/*
	 * with "small" at one page: 8192-byte areas map exactly one page (small),
	 * 12288-byte ones map two (not)
	 */
	th.small_bytes = 4096;
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_SMALL);
	ASSERT_EQ(vmalloc_an__flags(a, 2, &th), 0);
	/* the boundary at the default: 20480 bytes map exactly 4 pages (small), 24576 map 5 */
	vmalloc_thresholds__default(&th, 4096);
	for (__u64 size = 20480; size <= 24576; size += 4096) {
		struct vmalloc_an *b = vmalloc_an__new(d, 4096);

		ASSERT_TRUE(b != NULL);
		for (int i = 0; i < 3; i++) {
			struct kmt_event e = va_alloc(1050 + i, addr += 0x100000, size, 4096, 1);

			vmalloc_an__event(b, &e);
		}
		vmalloc_an__finish(b);
		ASSERT_EQ(vmalloc_an__flags(b, 0, &th), size == 20480 ? VMF_SMALL : 0);
		vmalloc_an__free(b);
	}
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_flag_churn)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	const struct vmap_model *m = vmalloc_an__model(a);
	const __u64 t0 = 1000000000;
	struct vmalloc_thresholds th;

	ASSERT_TRUE(d && a);
	/*
	 * Site 0 (stack 1): 40 areas, one every 50 ms, each freed 1 ms later.
	 * Site 1 (stack 2): 40 areas at the same pace, all freed at t0 + 3 s.
	 * The trace spans t0 .. t0 + 3 s = 3.0 s: 40 / 3 = 13.3 allocations/s each.
	 */
	for (int i = 0; i < 40; i++) {
		struct kmt_event e1 = va_alloc(t0 + i * 50000000ull, 0x10000000 + i * 0x10000ull,
					       8192, 4096, 1);
		struct kmt_event e2 = va_alloc(t0 + i * 50000000ull + 1000,
					       0x20000000 + i * 0x10000ull, 8192, 4096, 2);
		struct kmt_event f1 = va_free(t0 + i * 50000000ull + 1000000,
					      0x10000000 + i * 0x10000ull, 2);

		vmalloc_an__event(a, &e1);
		vmalloc_an__event(a, &e2);
		vmalloc_an__event(a, &f1);
	}
	for (int i = 0; i < 40; i++) {
		struct kmt_event f2 = va_free(t0 + 3000000000ull, 0x20000000 + i * 0x10000ull, 2);

		vmalloc_an__event(a, &f2);
	}
	vmalloc_an__finish(a);
	ASSERT_TRUE(near(vmalloc_an__seconds(a), 3.0));
	ASSERT_EQ(vmap_model__site(m, 0)->life_sum_ns, 40000000);	/* 40 * 1 ms */
	/*
	 * Site 1: life_i = 3e9 - 1000 - i * 5e7; sum = 40 * (3e9 - 1000) - 5e7 * 780
	 * = 119999960000 - 39000000000 = 80999960000; mean 2024999000 ns >= 1 s.
	 */
	ASSERT_EQ(vmap_model__site(m, 1)->life_sum_ns, 80999960000ll);
	vmalloc_thresholds__default(&th, 4096);
	/* 13.3 >= 10 per s and a mean lifetime of 1 ms < 1 s; 8192 areas are small too */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_SMALL | VMF_CHURN);
	/* as many per second, but long-lived */
	ASSERT_EQ(vmalloc_an__flags(a, 1, &th), VMF_SMALL);
	th.churn_per_s = 20;			/* 13.3 < 20 */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th) & VMF_CHURN, 0);
	vmalloc_thresholds__default(&th, 4096);
	th.churn_life_ns = 1000000;		/* the mean, 1 ms, is not below 1 ms */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th) & VMF_CHURN, 0);
	vmalloc_thresholds__default(&th, 4096);
	ASSERT_EQ(th.churn_min, 10);
	th.churn_min = 40;			/* 40 allocations and 40 frees: enough */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th) & VMF_CHURN, VMF_CHURN);
	th.churn_min = 41;			/* one short */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th) & VMF_CHURN, 0);
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

/* n areas of site 0 (stack 1), one every 10 ms, each freed 1 ms later. */
static struct vmalloc_an *quick_areas(const struct kmt_defs *d, int n)
{
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);

	for (int i = 0; a && i < n; i++) {
		struct kmt_event e = va_alloc(1000000000 + i * 10000000ull, VS + i * 0x10000ull, 8192,
					      4096, 1);
		struct kmt_event f = va_free(1000000000 + i * 10000000ull + 1000000,
					     VS + i * 0x10000ull, 2);

		vmalloc_an__event(a, &e);
		vmalloc_an__event(a, &f);
	}
	if (a)
		vmalloc_an__finish(a);
	return a;
}

TEST(vmalloc_unit_flag_churn_needs_ten)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_thresholds th;
	struct vmalloc_an *a;

	ASSERT_TRUE(d != NULL);
	vmalloc_thresholds__default(&th, 4096);
	/* 9 areas: span (8 * 10 + 1) ms = 0.081 s, 9 / 0.081 = 111 per s, 1 ms each; 9 < 10 */
	a = quick_areas(d, 9);
	ASSERT_TRUE(a != NULL);
	ASSERT_TRUE(near(vmalloc_an__seconds(a), 0.081));
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_SMALL);
	vmalloc_an__free(a);
	/* 10 areas: 0.091 s, 10 / 0.091 = 110 per s: churn */
	a = quick_areas(d, 10);
	ASSERT_TRUE(a != NULL);
	ASSERT_TRUE(near(vmalloc_an__seconds(a), 0.091));
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_SMALL | VMF_CHURN);
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

TEST(vmalloc_unit_flag_not_huge)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	struct kmt_event e1 = va_alloc(1000, VS + 0x1000000, 2 * MIB + 4096, 4096, 1);
	struct kmt_event e2 = va_alloc(2000, VS + 0x2000000, 4 * MIB + 4096, 2 * MIB, 2);
	struct vmalloc_thresholds th;

	ASSERT_TRUE(d && a);
	vmalloc_an__event(a, &e1);
	vmalloc_an__event(a, &e2);
	vmalloc_an__finish(a);
	vmalloc_thresholds__default(&th, 4096);
	/* vmalloc(2 MiB) with page alignment: 512 4 KiB PTEs; not small, no frees */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_NOT_HUGE);
	/* vmalloc_huge(4 MiB): PMD-aligned, a huge mapping attempt */
	ASSERT_EQ(vmalloc_an__flags(a, 1, &th), 0);
	vmalloc_an__free(a);
	kmt_defs__free(d);
}

/* Site 0 (stack 1) frees an area of a_pages pages, site 1 (stack 2) one page; one purge. */
static struct vmalloc_an *purge_pair(const struct kmt_defs *d, __u64 a_pages)
{
	struct vmalloc_an *a = vmalloc_an__new(d, 4096);
	/* lifetimes of 2 s and a 2.5 s trace: 0.4 allocations/s, no churn */
	struct kmt_event e[] = {
		va_alloc(1000000000, VS + 0x100000, a_pages * 4096, 4096, 1),
		va_alloc(1000000000, VS + 0x200000, 4096, 4096, 2),
		va_free(3000000000ull, VS + 0x100000, a_pages),
		va_free(3000000000ull, VS + 0x200000, a_pages + 1),
		va_purge(3500000000ull, VS + 0x100000, VS + 0x201000, 2),
	};

	if (!a)
		return NULL;
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		vmalloc_an__event(a, &e[i]);
	vmalloc_an__finish(a);
	return a;
}

TEST(vmalloc_unit_flag_purges)
{
	struct kmt_defs *d = make_defs();
	struct vmalloc_an *a, *b;
	struct vmalloc_thresholds th;

	ASSERT_TRUE(d != NULL);
	vmalloc_thresholds__default(&th, 4096);
	/* 9 + 1 pages: site 0 has 0.9, site 1 exactly 0.1 of the purge */
	a = purge_pair(d, 9);
	ASSERT_TRUE(a != NULL);
	ASSERT_TRUE(near(vmap_model__site(vmalloc_an__model(a), 0)->purge_share, 0.9));
	ASSERT_TRUE(near(vmap_model__site(vmalloc_an__model(a), 1)->purge_share, 0.1));
	/* 36864 (bucket [32768, 65536)) is not small; 4096 (no guard, 1 page) is */
	ASSERT_EQ(vmalloc_an__flags(a, 0, &th), VMF_PURGES);
	ASSERT_EQ(vmalloc_an__flags(a, 1, &th), VMF_SMALL | VMF_PURGES);	/* 0.1 >= 0.1 */
	vmalloc_an__free(a);
	/* 10 + 1 pages: site 1 has 1/11 = 0.09 < 0.1 */
	b = purge_pair(d, 10);
	ASSERT_TRUE(b != NULL);
	ASSERT_TRUE(near(vmap_model__site(vmalloc_an__model(b), 1)->purge_share, 1.0 / 11));
	ASSERT_EQ(vmalloc_an__flags(b, 0, &th), VMF_PURGES);		/* 10/11 */
	ASSERT_EQ(vmalloc_an__flags(b, 1, &th), VMF_SMALL);
	vmalloc_an__free(b);
	kmt_defs__free(d);
}

/* ------------------------------------------------------------------ CLI */

/* A trace of evs; defs: syms, stacks and the modprobe task; snap: a START vmallocinfo. */
static int write_vm_trace(const char *path, const struct kmt_event *evs, size_t n, bool defs,
			  const char *snap)
{
	struct trace_writer *w = tb_writer(path, 0, 0);

	if (!w)
		return -1;
	tb_meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	tb_meta_u32(w, KMT_META_STACKS, defs);
	if (snap && tb_meta_snapshot(w, KMT_PHASE_START, "vmallocinfo", snap)) {
		trace_writer__free(w);
		return -1;
	}
	trace_writer__meta_flush(w);
	if (defs)
		put_defs(trace_writer__sink(w));
	return tb_finish(w, evs, n);
}

/* Runs `kmmtrace vmalloc ARGS`; its stdout in out (size len); the exit status. */
static int run_cli(const char *args, char *out, size_t len)
{
	char cmd[1200];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s vmalloc %s 2>/dev/null", kmt_test__binary(), args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out)
		n = fread(out, 1, len - 1, p);
	else
		while (fgetc(p) != EOF)
			;
	if (out)
		out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct json *run_json(const char *args)
{
	char *text = malloc(1 << 20);
	struct json *j = NULL;

	if (text && run_cli(args, text, 1 << 20) == 0)
		j = json_parse(text, NULL);
	free(text);
	return j;
}

static const struct json *site_named(const struct json *j, const char *name)
{
	const struct json *sites = json_get(j, "sites");

	for (size_t i = 0; i < json_len(sites); i++)
		if (json_str(json_get(json_at(sites, i), "site")) &&
		    !strcmp(json_str(json_get(json_at(sites, i), "site")), name))
			return json_at(sites, i);
	return NULL;
}

/* "small,churn,purges" */
static const char *flags_of(const struct json *site, char *buf, size_t len)
{
	const struct json *f = json_get(site, "flags");

	buf[0] = 0;
	for (size_t i = 0; i < json_len(f); i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "",
			 json_str(json_at(f, i)) ? json_str(json_at(f, i)) : "?");
	return buf;
}

#define NUM(obj, key) ((long long)json_num(json_get((obj), (key)), -1))

/*
 * array_map_alloc (stack 1): 3 areas of 8192 at 1000, 2000, 3000 ns; the first
 * two freed at 5000, 6000 (lifetimes 4000 ns each) and purged at 7000.
 * copy_process (stack 2): one area of 20480 at 4000, kept.
 * modprobe (no stack, tid 43): one area of 8192 at 4500, kept.
 * A free of an address never seen at 6500; an empty purge at 7500.
 */
static int write_main_trace(const char *path)
{
	struct kmt_event e[] = {
		va_alloc(1000, VS + 0x100000, 8192, 4096, 1),
		va_alloc(2000, VS + 0x104000, 8192, 4096, 1),
		va_alloc(3000, VS + 0x108000, 8192, 4096, 1),
		va_alloc(4000, VS + 0x110000, 20480, 4096, 2),
		va_alloc(4500, VS + 0x120000, 8192, 4096, -1),
		va_free(5000, VS + 0x100000, 2),
		va_free(6000, VS + 0x104000, 4),
		va_free(6500, VS + 0x900000, 4),
		va_purge(7000, VS + 0x100000, VS + 0x106000, 2),
		va_purge(7500, 0, 0, 0),
	};

	e[4].tid = 43;
	return write_vm_trace(path, e, sizeof(e) / sizeof(e[0]), true, NULL);
}

TEST(vmalloc_unit_cli_json)
{
	const struct json *s, *tlb, *va;
	char path[512], args[700], fl[128];
	struct json *j;

	snprintf(path, sizeof(path), "%s/vm.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_main_trace(path), 0);
	snprintf(args, sizeof(args), "-j %s", path);
	j = run_json(args);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(NUM(j, "allocs"), 5);
	ASSERT_EQ(NUM(j, "failed"), 0);
	ASSERT_EQ(NUM(j, "frees"), 3);			/* the unknown one included */
	ASSERT_EQ(NUM(j, "frees_unknown"), 1);
	ASSERT_EQ(NUM(j, "purges"), 1);
	ASSERT_EQ(NUM(j, "empty_purges"), 1);
	ASSERT_EQ(NUM(j, "purged_areas"), 2);
	ASSERT_EQ(NUM(j, "purged_areas_model"), 2);
	ASSERT_EQ(NUM(j, "purged_pages"), 4);		/* 2 areas * 2 pages */
	ASSERT_EQ(NUM(j, "lazy_pages"), 0);
	ASSERT_EQ(NUM(j, "kernel_nr_lazy"), 4);
	ASSERT_EQ(NUM(j, "nr_lazy_max"), 32768);
	ASSERT_EQ(NUM(j, "live_areas"), 3);
	ASSERT_EQ(NUM(j, "live_bytes"), 36864);	/* 8192 + 20480 + 8192 */
	ASSERT_TRUE(near(json_num(json_get(j, "seconds"), -1), 6.5e-6));	/* 1000 .. 7500 */
	/*
	 * VA [VS, VE): VE - VS = 0x1fffffffffff; held 36864 bytes in
	 * [+0x108000,+0x10a000) [+0x110000,+0x115000) [+0x120000,+0x122000): 4 free ranges.
	 */
	va = json_get(j, "va");
	ASSERT_EQ(NUM(va, "free"), 0x1fffffffffffll - 36864);
	ASSERT_EQ(NUM(va, "gaps"), 4);
	ASSERT_EQ(NUM(va, "largest_gap"), 0x1fffffffffffll - 0x122000);
	ASSERT_EQ(json_len(json_get(j, "sites")), 3);
	/* sorted by areas: 3 first */
	ASSERT_STREQ(json_str(json_get(json_at(json_get(j, "sites"), 0), "site")), "array_map_alloc");
	s = site_named(j, "array_map_alloc");
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(NUM(s, "areas"), 3);
	ASSERT_EQ(NUM(s, "frees"), 2);
	ASSERT_EQ(NUM(s, "bytes"), 24576);		/* 3 * 8192 */
	ASSERT_EQ(NUM(s, "min_bytes"), 8192);
	ASSERT_EQ(NUM(s, "max_bytes"), 8192);
	ASSERT_EQ(NUM(s, "ptes"), 3);			/* 3 * (2 - 1) */
	ASSERT_EQ(NUM(s, "live_areas"), 1);
	ASSERT_EQ(NUM(s, "live_bytes"), 8192);
	ASSERT_EQ(NUM(s, "live_ptes"), 1);
	ASSERT_EQ(NUM(s, "lazy_pages"), 4);
	ASSERT_EQ(NUM(s, "purged_pages"), 4);
	ASSERT_TRUE(near(json_num(json_get(s, "purge_share"), -1), 1.0));
	ASSERT_EQ(NUM(s, "mean_life_ns"), 4000);	/* (4000 + 4000) / 2 */
	ASSERT_EQ(NUM(s, "stack_id"), 1);
	ASSERT_EQ(NUM(json_get(s, "size_hist"), "8192"), 3);
	/*
	 * small: 8192 areas, 3 of 3; purges: share 1.0. Not churn: 3 / 6.5e-6 s is
	 * far above 10 per s with a mean life of 4 us, but churn needs at least 10
	 * allocations and 10 frees (3 and 2 here).
	 */
	ASSERT_STREQ(flags_of(s, fl, sizeof(fl)), "small,purges");
	s = site_named(j, "copy_process");
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(NUM(s, "areas"), 1);
	ASSERT_EQ(NUM(s, "bytes"), 20480);
	ASSERT_EQ(NUM(s, "ptes"), 4);
	ASSERT_EQ(NUM(s, "live_ptes"), 4);
	ASSERT_EQ(NUM(s, "live_direct_map_entries"), 1);	/* 16384 bytes: one 2 MiB entry */
	ASSERT_EQ(NUM(s, "stack_id"), 2);
	ASSERT_STREQ(flags_of(s, fl, sizeof(fl)), "small");	/* maps exactly 4 pages: small */
	s = site_named(j, "? (modprobe; record with -g for the call site)");
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(NUM(s, "areas"), 1);
	ASSERT_EQ(NUM(s, "stack_id"), -1);
	ASSERT_STREQ(flags_of(s, fl, sizeof(fl)), "small");	/* no frees: no churn */
	tlb = json_get(j, "tlb");
	ASSERT_EQ(NUM(tlb, "live_4k_entries"), 6);	/* 1 + 4 + 1 */
	ASSERT_EQ(NUM(tlb, "direct_map_2m_entries"), 1);	/* 6 * 4096 bytes */
	json_free(j);
}

TEST(vmalloc_unit_cli_sort_and_lines)
{
	char path[512], args[700];
	struct json *j;

	snprintf(path, sizeof(path), "%s/vm.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_main_trace(path), 0);
	/* by PTEs: copy_process's 4 before array_map_alloc's 3 */
	snprintf(args, sizeof(args), "-j -s ptes %s", path);
	j = run_json(args);
	ASSERT_TRUE(j != NULL);
	ASSERT_STREQ(json_str(json_get(json_at(json_get(j, "sites"), 0), "site")), "copy_process");
	ASSERT_STREQ(json_str(json_get(json_at(json_get(j, "sites"), 1), "site")),
		     "array_map_alloc");
	json_free(j);
	snprintf(args, sizeof(args), "-j -n 1 %s", path);
	j = run_json(args);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_len(json_get(j, "sites")), 1);
	ASSERT_EQ(NUM(json_get(j, "tlb"), "live_4k_entries"), 6);	/* all sites, still */
	json_free(j);
}

TEST(vmalloc_unit_cli_snapshot_purge)
{
	static const char snap[] =
		"0xffffc90000010000-0xffffc90000012000    8192 unpurged vm_area\n"
		"0xffffc90000000000-0xffffc90000005000   20480 copy_process+0x1b3/0x1a20 pages=4 vmalloc N0=4\n";
	/* no stacks: the site falls back; the purge takes both lazy areas, 2 pages each */
	struct kmt_event e[] = {
		va_alloc(1000, VS + 0x100000, 8192, 4096, -1),
		va_free(2000, VS + 0x100000, 4),
		va_purge(3000, VS + 0x10000, VS + 0x102000, 2),
	};
	char path[512], args[700], fl[128];
	const struct json *s;
	struct json *j;

	snprintf(path, sizeof(path), "%s/snap.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_vm_trace(path, e, 3, false, snap), 0);
	snprintf(args, sizeof(args), "-j %s", path);
	j = run_json(args);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(NUM(j, "snapshot_areas"), 2);
	ASSERT_EQ(NUM(j, "purged_areas_model"), 2);
	ASSERT_EQ(NUM(j, "purged_pages"), 4);		/* 2 + 2 */
	ASSERT_EQ(NUM(j, "live_areas"), 1);		/* copy_process's snapshot area */
	ASSERT_EQ(NUM(j, "live_bytes"), 20480);
	s = site_named(j, "(lazily freed before the trace)");
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(NUM(s, "areas"), 0);
	ASSERT_EQ(NUM(s, "purged_pages"), 2);
	ASSERT_TRUE(near(json_num(json_get(s, "purge_share"), -1), 0.5));	/* 2 of 4 */
	ASSERT_STREQ(flags_of(s, fl, sizeof(fl)), "purges");
	s = site_named(j, "copy_process");
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(NUM(s, "areas"), 0);
	ASSERT_EQ(NUM(s, "live_areas"), 1);
	ASSERT_EQ(NUM(s, "snapshot_areas"), 1);
	ASSERT_EQ(NUM(s, "live_ptes"), 4);
	ASSERT_STREQ(flags_of(s, fl, sizeof(fl)), "");
	s = site_named(j, "? (no stack; record with -g for the call site)");
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(NUM(s, "areas"), 1);
	ASSERT_EQ(NUM(s, "purged_pages"), 2);
	ASSERT_TRUE(near(json_num(json_get(s, "purge_share"), -1), 0.5));
	/* 1 area in 2 us, freed after 1 us: fast, but 1 < 10 allocations: no churn */
	ASSERT_STREQ(flags_of(s, fl, sizeof(fl)), "small,purges");
	json_free(j);
}

TEST(vmalloc_unit_cli_help_and_errors)
{
	char out[8192], path[512], args[700];

	ASSERT_EQ(run_cli("--help", out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "usage: kmmtrace vmalloc");
	snprintf(path, sizeof(path), "%s/vm.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_main_trace(path), 0);
	snprintf(args, sizeof(args), "-s nonsense %s", path);
	ASSERT_EQ(run_cli(args, NULL, 0), 2);
	ASSERT_EQ(run_cli("", NULL, 0), 2);		/* no file */
	snprintf(args, sizeof(args), "%s/missing.kmt", kmt_test__tmpdir());
	ASSERT_EQ(run_cli(args, NULL, 0), 2);
	/* the text output works too */
	snprintf(args, sizeof(args), "%s", path);
	ASSERT_EQ(run_cli(args, out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "array_map_alloc");
}
