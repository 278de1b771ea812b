// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The slab model on hand-built event streams whose outcomes are worked out
 * by hand below, check() after every step; SLUB's calculate_order() against
 * a real /proc/slabinfo; the kmalloc size-class advice; replay rate and
 * memory per live object.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "../test.h"
#include "slab.h"

#define PS		4096ULL
#define PO		0xffff888000000000ULL		/* page_offset of these tests */
#define B0		(PO + 0x12340000ULL)		/* a slab base: 16 KiB aligned */
#define SITE_A		0xffffffff81100000ULL
#define SITE_B		0xffffffff81200000ULL
#define SITE_INT	0xffffffff81300000ULL		/* inside __do_kmalloc_node() */
#define GFP_ACCT	0x400000u			/* __GFP_ACCOUNT, as the trace says */

/* A cache of 16 slots of 256 bytes in one page: objects of 200 bytes. */
static const struct kmt_cache_def def_obj = {
	.cache = 0xffff888100aa0000ULL, .object_size = 200, .size = 256, .align = 8,
	.order = 0, .objects = 16, .name = "test_obj",
};

/* 16 slots of 512 bytes in two pages. */
static const struct kmt_cache_def def_two = {
	.cache = 0xffff888100bb0000ULL, .object_size = 500, .size = 512, .align = 8,
	.order = 1, .objects = 16, .name = "test_two",
};

/*
 * A /proc/slabinfo in this machine's format (kernel 6.18, 2 CPUs), cut down,
 * with one line that is not slabinfo. kmalloc classes: 64, 96, 128, 192,
 * 1k, 8k; kmalloc-64 also as -cg-, -rcl- and dma- variants.
 */
static const char slabinfo[] =
"slabinfo - version: 2.1\n"
"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
"tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "
"<sharedavail>\n"
"dentry              9828   9828    192   21    1 : tunables    0    0    0"
	" : slabdata    468    468      0\n"
"kmalloc-cg-64        256    256     64   64    1 : tunables    0    0    0"
	" : slabdata      4      4      0\n"
"dma-kmalloc-64         0      0     64   64    1 : tunables    0    0    0"
	" : slabdata      0      0      0\n"
"kmalloc-rcl-64         0      0     64   64    1 : tunables    0    0    0"
	" : slabdata      0      0      0\n"
"kmalloc-8k            37     48   8192    4    8 : tunables    0    0    0"
	" : slabdata     12     12      0\n"
"kmalloc-1k           713    720   1024   16    4 : tunables    0    0    0"
	" : slabdata     45     45      0\n"
"kmalloc-128         8564   8672    128   32    1 : tunables    0    0    0"
	" : slabdata    271    271      0\n"
"kmalloc-64          6464   6464     64   64    1 : tunables    0    0    0"
	" : slabdata    101    101      0\n"
"kmalloc-192         6616   6888    192   21    1 : tunables    0    0    0"
	" : slabdata    328    328      0\n"
"kmalloc-96          6132   6132     96   42    1 : tunables    0    0    0"
	" : slabdata    146    146      0\n"
"this line is not slabinfo\n";

static struct slab_model *mk(bool fresh, __u32 gfp_account)
{
	struct slab_model_opts o = {
		.sz = sizeof(o), .page_size = PS, .nr_cpus = 2, .page_offset = PO,
		.new_slabs_fresh = fresh, .gfp_account = gfp_account,
	};

	return slab_model__new(&o, NULL);
}

static int alloc(struct slab_model *m, __u32 type, __u64 ptr, __u64 site, __u64 req, __u64 size,
		 __u64 cache, __u32 gfp)
{
	struct kmt_event e = { .type = type, .ptr = ptr, .call_site = site, .size = req,
			       .size2 = size, .aux = cache, .gfp = gfp, .stack_id = -1 };

	return slab_model__apply(m, &e);
}

static int cfree(struct slab_model *m, __u32 type, __u64 ptr, __u64 cache)
{
	struct kmt_event e = { .type = type, .ptr = ptr, .call_site = SITE_B, .aux = cache,
			       .stack_id = -1 };

	return slab_model__apply(m, &e);
}

static int page(struct slab_model *m, __u32 type, __u64 pfn, int order, __u32 cpu)
{
	struct kmt_event e = { .type = type, .ptr = pfn, .order = order, .cpu = cpu,
			       .stack_id = -1 };

	return slab_model__apply(m, &e);
}

#define CALLOC		KMT_EV_CACHE_ALLOC
#define CFREE		KMT_EV_CACHE_FREE
#define KMALLOC		KMT_EV_KMALLOC
#define KFREE		KMT_EV_KFREE

#define CHECK(m) do { char _err[256];						\
	if (slab_model__check((m), _err, sizeof(_err))) FAIL("%s", _err); } while (0)
/* apply one event, expect its return value, then check every invariant */
#define APPLY(m, ret, call) do { ASSERT_EQ((call), (ret)); CHECK(m); } while (0)
/* an object of test_obj (slot k of the slab at base) */
#define OBJ(m, ret, base, k)	APPLY(m, ret, alloc(m, CALLOC, (base) + (k) * 256, SITE_A, \
						    200, 256, def_obj.cache, 0))
#define FREE_OBJ(m, ret, base, k) APPLY(m, ret, cfree(m, CFREE, (base) + (k) * 256, def_obj.cache))
#define STATS(m, name, st) do { int _c = slab_model__cache_find((m), (name));		\
	ASSERT_GE(_c, 0); ASSERT_EQ(slab_model__cache_stats((m), _c, &(st)), 0); } while (0)

/* ---- one slab: full, partial, empty ---- */

/*
 * 16 objects of 200 bytes in 256-byte slots fill the page: full, 16 * 56 =
 * 896 bytes of internal waste, no tail (16 * 256 = 4096). One freed: partial,
 * one free slot = 256 bytes of external fragmentation, 15 * 56 = 840 internal.
 * All freed: empty, 4096 bytes in an empty slab. Unknown slots never arise:
 * the slab filled from slot 0 with every slot seen.
 */
TEST(slab_one_slab_full_partial_empty)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;
	struct slab_info si;
	int k;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	for (k = 0; k < 16; k++)
		OBJ(m, 0, B0, k);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs, 1);
	ASSERT_EQ(st.nr[SLAB_FULL], 1);
	ASSERT_EQ(st.live_objs, 16);
	ASSERT_EQ(st.live_bytes_req, 3200);
	ASSERT_EQ(st.live_bytes_alloc, 4096);
	ASSERT_EQ(st.internal_waste, 896);
	ASSERT_EQ(st.mem_bytes, 4096);
	ASSERT_EQ(st.tail_bytes, 0);
	ASSERT_EQ(st.unknown_slots, 0);
	ASSERT_EQ(st.partial_free_bytes, 0);

	FREE_OBJ(m, 0, B0, 3);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.nr[SLAB_FULL], 0);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 1);
	ASSERT_EQ(st.partial_free_slots, 1);
	ASSERT_EQ(st.partial_free_bytes, 256);
	ASSERT_EQ(st.internal_waste, 840);
	ASSERT_EQ(slab_model__slab_at(m, B0 + 3 * 256 + 17, &si), 0);
	ASSERT_U64_EQ(si.base, B0);
	ASSERT_EQ(si.live, 15);
	ASSERT_EQ(si.free, 1);
	ASSERT_EQ(si.state, SLAB_PARTIAL);

	for (k = 0; k < 16; k++)
		if (k != 3)
			FREE_OBJ(m, 0, B0, k);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs, 1);
	ASSERT_EQ(st.nr[SLAB_EMPTY], 1);
	ASSERT_EQ(st.empty_bytes, 4096);
	ASSERT_EQ(st.partial_free_bytes, 0);
	ASSERT_EQ(st.live_objs, 0);
	ASSERT_EQ(st.internal_waste, 0);
	ASSERT_EQ(st.allocs, 16);
	ASSERT_EQ(st.frees, 16);
	ASSERT_EQ(st.peak_live_objs, 16);

	/* SLUB gives the page back: mm_page_free of its pfn */
	APPLY(m, 0, page(m, KMT_EV_PAGE_FREE, (B0 - PO) / PS, 0, 0));
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs, 0);
	ASSERT_EQ(st.slabs_freed, 1);
	ASSERT_EQ(slab_model__slab_at(m, B0, &si), -ENOENT);
	slab_model__free(m);
}

/*
 * Slots the trace never touched. 4 objects in slots 0..3 of a slab the trace
 * did not see allocated: 12 slots unknown (pre-trace objects or free), none
 * known free, so the slab counts as FULL, with 12 * 256 = 3072 unknown bytes.
 * Freeing slots 1 and 2: PARTIAL; external fragmentation 2 * 256 = 512
 * bytes at least, 512 + 3072 = 3584 at most. The same allocations after an
 * mm_page_alloc of the slab's page on the same CPU: the slab is new, its 12
 * other slots free: PARTIAL from the start, 12 * 256 = 3072 free bytes.
 */
TEST(slab_unknown_slots_and_fresh_slabs)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;
	int k;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	for (k = 0; k < 4; k++)
		OBJ(m, 0, B0, k);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.nr[SLAB_FULL], 1);
	ASSERT_EQ(st.slabs_unknown, 1);
	ASSERT_EQ(st.unknown_slots, 12);
	ASSERT_EQ(st.unknown_bytes, 3072);
	ASSERT_EQ(st.partial_free_bytes, 0);
	FREE_OBJ(m, 0, B0, 1);
	FREE_OBJ(m, 0, B0, 2);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 1);
	ASSERT_EQ(st.partial_free_bytes, 512);
	ASSERT_EQ(st.partial_free_bytes + st.unknown_bytes, 3584);

	/* a new slab on CPU 1, one page further */
	APPLY(m, 0, page(m, KMT_EV_PAGE_ALLOC, (B0 + PS - PO) / PS, 0, 1));
	for (k = 0; k < 4; k++) {
		struct kmt_event e = { .type = CALLOC, .ptr = B0 + PS + k * 256, .call_site = SITE_A,
				       .size = 200, .size2 = 256, .aux = def_obj.cache, .cpu = 1 };

		APPLY(m, 0, slab_model__apply(m, &e));
	}
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs, 2);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 2);
	ASSERT_EQ(st.slabs_unknown, 1);		/* only the first */
	ASSERT_EQ(st.partial_free_bytes, 512 + 3072);
	slab_model__free(m);
}

/* The address-based calls, for a caller that converts pfns itself. */
TEST(slab_page_calls_by_address)
{
	struct slab_model_opts o = { .sz = sizeof(o), .page_size = PS, .nr_cpus = 2 };
	struct slab_model *m = slab_model__new(&o, NULL);
	struct slab_cache_stats st;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	/* page events are skipped without a page_offset */
	APPLY(m, 0, page(m, KMT_EV_PAGE_ALLOC, (B0 - PO) / PS, 0, 0));
	ASSERT_EQ(slab_model__stats(m)->page_events_skipped, 1);
	ASSERT_EQ(slab_model__page_alloced(m, B0, 0, 0), 0);
	OBJ(m, 0, B0, 2);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.free_slots, 15);
	ASSERT_EQ(st.unknown_slots, 0);
	FREE_OBJ(m, 0, B0, 2);
	ASSERT_EQ(slab_model__page_freed(m, B0, 0), 1);
	CHECK(m);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs_freed, 1);
	slab_model__free(m);
}

/* ---- two slabs of an order-1 cache ---- */

/*
 * test_two: 16 slots of 512 bytes in 8 KiB slabs. Slab A at B0 filled (slot
 * 9 is in its second page, at B0 + 0x1200), slab B at B0 + 8 KiB with 4
 * objects; slabs are taken as new (opts.new_slabs_fresh), so B has 12 free
 * slots: 12 * 512 = 6144 bytes of external fragmentation. Two frees in A:
 * 14 free slots, 7168 bytes. Then B's pages are freed with its 4 objects
 * still live (they went in a bulk free): dropped, counted. A emptied, its
 * second page freed alone: a partial page free; then both pages.
 */
static int count_slab(const struct slab_info *si, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static int stop_at_partial(const struct slab_info *si, void *ctx)
{
	return si->state == SLAB_PARTIAL && si->live == 4 && si->free == 12;
}

TEST(slab_two_slabs)
{
	struct slab_model *m = mk(true, 0);
	int nslabs = 0;
	struct slab_cache_stats st;
	struct slab_object o;
	const __u64 a = B0, b = B0 + 2 * PS;
	int k;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_two), 0);
	for (k = 0; k < 16; k++)
		APPLY(m, 0, alloc(m, CALLOC, a + k * 512, SITE_A, 500, 512, def_two.cache, 0));
	for (k = 0; k < 4; k++)
		APPLY(m, 0, alloc(m, CALLOC, b + k * 512, SITE_A, 500, 512, def_two.cache, 0));
	STATS(m, "test_two", st);
	ASSERT_EQ(st.slabs, 2);
	ASSERT_EQ(st.nr[SLAB_FULL], 1);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 1);
	ASSERT_EQ(st.mem_bytes, 16384);
	ASSERT_EQ(st.partial_free_bytes, 6144);
	ASSERT_EQ(st.internal_waste, 20 * 12);
	ASSERT_EQ(slab_model__object(m, a + 0x1200, &o), 0);
	ASSERT_U64_EQ(o.slab, a);
	ASSERT_EQ(o.slot, 9);

	ASSERT_EQ(slab_model__for_each_slab(m, -1, count_slab, &nslabs), 0);
	ASSERT_EQ(nslabs, 2);
	ASSERT_EQ(slab_model__for_each_slab(m, slab_model__cache_find(m, "test_two"),
					    stop_at_partial, &nslabs), 1);

	APPLY(m, 0, cfree(m, CFREE, a + 0x1200, def_two.cache));
	APPLY(m, 0, cfree(m, KFREE, a, 0));
	STATS(m, "test_two", st);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 2);
	ASSERT_EQ(st.partial_free_slots, 14);
	ASSERT_EQ(st.partial_free_bytes, 7168);

	APPLY(m, 1, page(m, KMT_EV_PAGE_FREE, (b - PO) / PS, 1, 0));
	STATS(m, "test_two", st);
	ASSERT_EQ(st.slabs, 1);
	ASSERT_EQ(st.live_objs, 14);
	ASSERT_EQ(st.silent_frees, 4);
	ASSERT_EQ(slab_model__stats(m)->inc[SLAB_INC_PAGE_EVICT], 4);

	for (k = 1; k < 16; k++)
		if (k != 9)
			APPLY(m, 0, cfree(m, CFREE, a + k * 512, def_two.cache));
	STATS(m, "test_two", st);
	ASSERT_EQ(st.nr[SLAB_EMPTY], 1);
	ASSERT_EQ(st.empty_bytes, 8192);
	APPLY(m, 1, page(m, KMT_EV_PAGE_FREE, (a + PS - PO) / PS, 0, 0));
	ASSERT_EQ(slab_model__stats(m)->inc[SLAB_INC_PARTIAL_PAGE_FREE], 1);
	ASSERT_EQ(slab_model__page_freed(m, a, 1), 1);
	CHECK(m);
	STATS(m, "test_two", st);
	ASSERT_EQ(st.slabs, 0);
	ASSERT_EQ(st.slabs_freed, 2);
	ASSERT_EQ(st.frees, 16);
	slab_model__free(m);
}

/* ---- kmalloc caches from slabinfo ---- */

TEST(slab_slabinfo_load)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;
	struct slab_kmalloc_class kc;

	ASSERT_TRUE(m);
	ASSERT_EQ(slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	ASSERT_EQ(slab_model__stats(m)->slabinfo_bad_lines, 1);
	STATS(m, "kmalloc-8k", st);
	ASSERT_EQ(st.order, 3);
	ASSERT_EQ(st.objects, 4);
	ASSERT_EQ(st.slab_bytes, 32768);
	ASSERT_EQ(st.geom, SLAB_GEOM_SLABINFO);
	ASSERT_EQ(st.kmalloc, SLAB_KM_NORMAL);
	ASSERT_EQ(st.nominal, 8192);
	ASSERT_TRUE(st.slabinfo[SLAB_SNAP_START].valid);
	ASSERT_EQ(st.slabinfo[SLAB_SNAP_START].active_objs, 37);
	ASSERT_EQ(st.slabinfo[SLAB_SNAP_START].num_slabs, 12);
	STATS(m, "dentry", st);
	ASSERT_EQ(st.kmalloc, SLAB_KM_NONE);
	ASSERT_EQ(st.objects, 21);
	/* classes by nominal size: 64 96 128 192 1k 8k */
	ASSERT_EQ(slab_model__nr_kmalloc_classes(m), 6);
	ASSERT_EQ(slab_model__kmalloc_class(m, 0, &kc), 0);
	ASSERT_EQ(kc.nominal, 64);
	ASSERT_EQ(kc.cache[SLAB_KM_NORMAL], slab_model__cache_find(m, "kmalloc-64"));
	ASSERT_EQ(kc.cache[SLAB_KM_CGROUP], slab_model__cache_find(m, "kmalloc-cg-64"));
	ASSERT_EQ(kc.cache[SLAB_KM_DMA], slab_model__cache_find(m, "dma-kmalloc-64"));
	ASSERT_EQ(slab_model__kmalloc_class_of(m, 72), 1);	/* kmalloc-96 */
	ASSERT_EQ(slab_model__kmalloc_class_of(m, 129), 3);	/* kmalloc-192 */
	ASSERT_EQ(slab_model__kmalloc_class_of(m, 8193), SLAB_CLASS_LARGE);
	/* the def of a cache slabinfo knows takes its pointer, keeps one record */
	{
		struct kmt_cache_def d = { .cache = 0xffff888100cc0000ULL, .object_size = 192,
					   .size = 192, .order = 0, .objects = 21, .name = "dentry" };

		ASSERT_EQ(slab_model__add_cache(m, &d), slab_model__cache_find(m, "dentry"));
		ASSERT_EQ(slab_model__cache_of(m, d.cache), slab_model__cache_find(m, "dentry"));
	}
	ASSERT_EQ(slab_model__load_slabinfo(m, "garbage\n", 8, SLAB_SNAP_END), -EINVAL);
	CHECK(m);
	slab_model__free(m);
}

/*
 * kmalloc events land in the cache whose slot size is bytes_alloc: 50 -> 64
 * (waste 14), 72 -> 96 (24), 130/150/192 -> 192 (62 + 42 + 0 = 104), 8000 ->
 * 8192 (192, an order-3 slab of 4 objects), 10000 -> kmalloc_large(): 16384,
 * 6384 wasted, no slab. Internal waste in all: 14 + 24 + 104 + 192 + 6384.
 */
TEST(slab_kmalloc_classes_and_internal_waste)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st, t;
	const __u64 p64 = B0, p96 = B0 + PS, p192 = B0 + 2 * PS, p8k = B0 + 0x8000;
	const __u64 large = B0 + 0x10000;

	ASSERT_TRUE(m);
	ASSERT_EQ(slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	APPLY(m, 0, alloc(m, KMALLOC, p64, SITE_A, 50, 64, 0, 0));
	APPLY(m, 0, alloc(m, KMALLOC, p96, SITE_A, 72, 96, 0, 0));
	APPLY(m, 0, alloc(m, KMALLOC, p192, SITE_A, 130, 192, 0, 0));
	APPLY(m, 0, alloc(m, KMALLOC, p192 + 192, SITE_A, 150, 192, 0, 0));
	APPLY(m, 0, alloc(m, KMALLOC, p192 + 384, SITE_A, 192, 192, 0, 0));
	APPLY(m, 0, alloc(m, KMALLOC, p8k + 8192, SITE_A, 8000, 8192, 0, 0));
	APPLY(m, 0, alloc(m, KMALLOC, large, SITE_A, 10000, 16384, 0, 0));
	STATS(m, "kmalloc-64", st);
	ASSERT_EQ(st.live_objs, 1);
	ASSERT_EQ(st.internal_waste, 14);
	STATS(m, "kmalloc-96", st);
	ASSERT_EQ(st.internal_waste, 24);
	STATS(m, "kmalloc-192", st);
	ASSERT_EQ(st.live_objs, 3);
	ASSERT_EQ(st.internal_waste, 104);
	ASSERT_EQ(st.slabs, 1);
	STATS(m, "kmalloc-8k", st);
	ASSERT_EQ(st.internal_waste, 192);
	ASSERT_EQ(st.mem_bytes, 32768);
	ASSERT_EQ(st.partial_free_bytes + st.unknown_bytes, 3 * 8192);
	STATS(m, "kmalloc-large", st);
	ASSERT_EQ(st.kmalloc, SLAB_KM_LARGE);
	ASSERT_EQ(st.internal_waste, 6384);
	ASSERT_EQ(st.mem_bytes, 16384);
	ASSERT_EQ(st.slabs, 0);
	slab_model__totals(m, &t);
	ASSERT_EQ(t.internal_waste, 14 + 24 + 104 + 192 + 6384);
	ASSERT_EQ(t.live_objs, 7);
	ASSERT_EQ(t.bytes_alloc - t.bytes_req, 14 + 24 + 104 + 192 + 6384);

	/* kfree names no cache: the object knows it */
	APPLY(m, 0, cfree(m, KFREE, p192 + 192, 0));
	APPLY(m, 0, cfree(m, KFREE, large, 0));
	APPLY(m, 0, cfree(m, KFREE, 0, 0));		/* kfree(NULL) fires too */
	STATS(m, "kmalloc-192", st);
	ASSERT_EQ(st.internal_waste, 62);
	ASSERT_EQ(st.frees, 1);
	slab_model__totals(m, &t);
	ASSERT_EQ(t.internal_waste, 14 + 24 + 62 + 192);
	ASSERT_EQ(slab_model__stats(m)->null_frees, 1);
	slab_model__free(m);
}

/*
 * Variants: with __GFP_ACCOUNT known, kmalloc(GFP_KERNEL_ACCOUNT) goes to
 * kmalloc-cg-64. Without it, to kmalloc-64 - unless the slab it lands in is
 * already kmalloc-cg-64's (seen through a merged cache's kmem_cache_alloc).
 */
TEST(slab_kmalloc_variants)
{
	struct slab_model *m = mk(false, GFP_ACCT), *n = mk(false, 0);
	struct kmt_cache_def cg = { .cache = 0xffff888100dd0000ULL, .object_size = 64,
				    .size = 64, .order = 0, .objects = 64, .name = "kmalloc-cg-64" };
	struct slab_cache_stats st;

	ASSERT_TRUE(m && n);
	ASSERT_EQ(slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	ASSERT_EQ(slab_model__load_slabinfo(n, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	APPLY(m, 0, alloc(m, KMALLOC, B0, SITE_A, 40, 64, 0, GFP_ACCT | 0xcc0));
	APPLY(m, 0, alloc(m, KMALLOC, B0 + PS, SITE_A, 40, 64, 0, 0xcc0));
	STATS(m, "kmalloc-cg-64", st);
	ASSERT_EQ(st.live_objs, 1);
	STATS(m, "kmalloc-64", st);
	ASSERT_EQ(st.live_objs, 1);
	ASSERT_EQ(slab_model__stats(m)->variant_by_gfp, 1);

	/* no GFP bits: by the slab's owner */
	ASSERT_EQ(slab_model__add_cache(n, &cg), slab_model__cache_find(n, "kmalloc-cg-64"));
	APPLY(n, 0, alloc(n, CALLOC, B0, SITE_B, 64, 64, cg.cache, 0));
	APPLY(n, 0, alloc(n, KMALLOC, B0 + 64, SITE_A, 40, 64, 0, GFP_ACCT));
	APPLY(n, 0, alloc(n, KMALLOC, B0 + PS, SITE_A, 40, 64, 0, GFP_ACCT));
	STATS(n, "kmalloc-cg-64", st);
	ASSERT_EQ(st.live_objs, 2);
	STATS(n, "kmalloc-64", st);
	ASSERT_EQ(st.live_objs, 1);
	ASSERT_EQ(slab_model__stats(n)->variant_by_slab, 1);
	/* kmem_cache_free(kmalloc-cg-64) of the kmalloc-64 object: same class, no mismatch */
	APPLY(n, 0, cfree(n, CFREE, B0 + PS, cg.cache));
	ASSERT_EQ(slab_model__stats(n)->inc[SLAB_INC_CACHE_MISMATCH], 0);
	slab_model__free(m);
	slab_model__free(n);
}

/* No kmalloc cache in the trace: kmalloc_info[]'s, with SLUB's geometry for 2 CPUs. */
TEST(slab_kmalloc_without_slabinfo)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;

	ASSERT_TRUE(m);
	APPLY(m, 0, alloc(m, KMALLOC, B0, SITE_A, 300, 512, 0, 0));
	STATS(m, "kmalloc-512", st);
	ASSERT_EQ(st.geom, SLAB_GEOM_DERIVED);
	ASSERT_EQ(st.order, 1);
	ASSERT_EQ(st.objects, 16);
	ASSERT_EQ(slab_model__nr_kmalloc_classes(m), 13);	/* 8 .. 8k, 96, 192 */
	/* a bytes_alloc no class has: placed by the request, counted */
	APPLY(m, 1, alloc(m, KMALLOC, B0 + PS * 8, SITE_A, 20, 40, 0, 0));
	STATS(m, "kmalloc-32", st);
	ASSERT_EQ(st.live_objs, 1);
	CHECK(m);
	slab_model__free(m);
}

/* ---- frees the trace cannot match ---- */

/*
 * kmem_cache_free of slot 5 of a slab never seen: the slab appears with one
 * known free slot, 15 unknown (PARTIAL); kfree of slot 6: the slab tells the
 * cache; kfree of an address in no slab: counted without a cache; kfree of a
 * pointer never seen at all; kmem_cache_free of a cache nobody defined.
 * Then an allocation reuses slot 5: live 1, free 1 (slot 6), unknown 14.
 */
TEST(slab_unseen_frees)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;
	struct slab_info si;
	const struct slab_model_stats *ms;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	APPLY(m, 1, cfree(m, CFREE, B0 + 5 * 256, def_obj.cache));
	APPLY(m, 1, cfree(m, KFREE, B0 + 6 * 256, 0));
	APPLY(m, 1, cfree(m, KFREE, B0 + 64 * PS, 0));
	APPLY(m, 1, cfree(m, CFREE, B0 + 128 * PS, 0xffff888100ee0000ULL));
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.unseen_frees, 2);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 1);
	ASSERT_EQ(st.free_slots, 2);
	ASSERT_EQ(st.unknown_slots, 14);
	ms = slab_model__stats(m);
	ASSERT_EQ(ms->inc[SLAB_INC_FREE_UNSEEN], 4);
	ASSERT_EQ(ms->unseen_free_no_cache, 1);
	ASSERT_EQ(slab_model__cache_of(m, 0xffff888100ee0000ULL), 1);
	{
		struct slab_cache_stats u;

		ASSERT_EQ(slab_model__cache_stats(m, 1, &u), 0);
		ASSERT_EQ(u.unseen_frees, 1);
		ASSERT_EQ(u.geom, SLAB_GEOM_NONE);
	}
	OBJ(m, 0, B0, 5);
	ASSERT_EQ(slab_model__slab_at(m, B0, &si), 0);
	ASSERT_EQ(si.live, 1);
	ASSERT_EQ(si.free, 1);
	ASSERT_EQ(si.unknown, 14);
	slab_model__free(m);
}

/* An allocation at a live address: the old object went in a bulk free. */
TEST(slab_alloc_at_live_address)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	OBJ(m, 0, B0, 0);
	OBJ(m, 1, B0, 0);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.live_objs, 1);
	ASSERT_EQ(st.allocs, 2);
	ASSERT_EQ(st.silent_frees, 1);
	ASSERT_EQ(slab_model__stats(m)->inc[SLAB_INC_ALLOC_LIVE], 1);
	slab_model__free(m);
}

/* A slab's pages reused by another cache without a page event: the old record goes. */
TEST(slab_reused_by_another_cache)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats st;
	struct slab_info si;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	ASSERT_GE(slab_model__add_cache(m, &def_two), 0);
	OBJ(m, 0, B0, 0);
	OBJ(m, 0, B0, 1);
	OBJ(m, 0, B0 + PS, 0);
	/* test_two's order-1 slab at B0 covers both test_obj slabs */
	APPLY(m, 1, alloc(m, CALLOC, B0 + 512, SITE_A, 500, 512, def_two.cache, 0));
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs, 0);
	ASSERT_EQ(st.slabs_reused, 2);
	ASSERT_EQ(st.live_objs, 0);
	ASSERT_EQ(st.silent_frees, 3);
	ASSERT_EQ(slab_model__slab_at(m, B0 + PS, &si), 0);
	ASSERT_U64_EQ(si.base, B0);
	ASSERT_EQ(si.order, 1);
	/* and back: a test_obj object in the second page drops test_two's slab */
	OBJ(m, 1, B0 + PS, 3);
	STATS(m, "test_two", st);
	ASSERT_EQ(st.slabs_reused, 1);
	ASSERT_EQ(st.slabs, 0);
	slab_model__free(m);
}

/*
 * Objects off the slots: one 100 bytes into a slot (KFENCE-like) is tracked
 * without a slab. A debug cache whose objects all start 64 bytes into their
 * slot (left red zone): the first three are tracked without a slab, the
 * fourth teaches the offset.
 */
TEST(slab_misplaced_and_red_zone)
{
	struct slab_model *m = mk(false, 0);
	struct kmt_cache_def dbg = def_obj;
	struct slab_cache_stats st;
	struct slab_object o;
	int k;

	ASSERT_TRUE(m);
	dbg.cache = 0xffff888100ff0000ULL;
	snprintf(dbg.name, sizeof(dbg.name), "test_dbg");
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	ASSERT_GE(slab_model__add_cache(m, &dbg), 0);
	APPLY(m, 1, alloc(m, CALLOC, B0 + 100, SITE_A, 200, 256, def_obj.cache, 0));
	ASSERT_EQ(slab_model__object(m, B0 + 100, &o), 0);
	ASSERT_EQ(o.slab, 0);
	ASSERT_EQ(o.bytes_alloc, 256);
	for (k = 0; k < 3; k++)
		APPLY(m, 1, alloc(m, CALLOC, B0 + PS + 64 + k * 256, SITE_A, 200, 256, dbg.cache, 0));
	APPLY(m, 0, alloc(m, CALLOC, B0 + PS + 64 + 3 * 256, SITE_A, 200, 256, dbg.cache, 0));
	ASSERT_EQ(slab_model__object(m, B0 + PS + 64 + 3 * 256, &o), 0);
	ASSERT_U64_EQ(o.slab, B0 + PS);
	ASSERT_EQ(o.slot, 3);
	STATS(m, "test_dbg", st);
	ASSERT_EQ(st.misplaced, 3);
	ASSERT_EQ(st.live_objs, 4);
	APPLY(m, 0, cfree(m, CFREE, B0 + PS + 64, dbg.cache));
	APPLY(m, 0, cfree(m, CFREE, B0 + 100, def_obj.cache));
	slab_model__free(m);
}

/* Hashed pointers pair allocations and frees, nothing more. */
TEST(slab_hashed_pointers)
{
	struct slab_model *m = mk(false, 0);
	struct kmt_event e = { .type = CALLOC, .ptr = 0x1234567, .call_site = SITE_A, .size = 200,
			       .size2 = 256, .aux = def_obj.cache, .flags = KMT_EVF_HASHED_PTR };
	struct slab_cache_stats st;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	APPLY(m, 0, slab_model__apply(m, &e));
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.live_objs, 1);
	ASSERT_EQ(st.slabs, 0);
	e.type = KFREE;
	APPLY(m, 0, slab_model__apply(m, &e));
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.live_objs, 0);
	ASSERT_EQ(st.frees, 1);
	ASSERT_EQ(slab_model__stats(m)->hashed_ptrs, 1);
	slab_model__free(m);
}

/* ---- kmalloc_large() ---- */

/*
 * 6.12 fires kmalloc twice for kmalloc(10000): from __kmalloc_large_node_noprof()
 * with a call site inside __do_kmalloc_node(), then with the caller's. One
 * object, owned by the caller.
 */
TEST(slab_large_double_event)
{
	struct slab_model *m = mk(false, 0);
	struct slab_site_stats ss;
	struct slab_cache_stats st;
	const __u64 p = B0 + 0x40000;

	ASSERT_TRUE(m);
	APPLY(m, 0, alloc(m, KMALLOC, p, SITE_INT, 10000, 16384, 0, 0));
	APPLY(m, 1, alloc(m, KMALLOC, p, SITE_A, 10000, 16384, 0, 0));
	STATS(m, "kmalloc-large", st);
	ASSERT_EQ(st.allocs, 1);
	ASSERT_EQ(st.live_objs, 1);
	ASSERT_EQ(slab_model__site_stats(m, slab_model__site_find(m, SITE_INT), &ss), 0);
	ASSERT_EQ(ss.allocs, 0);
	ASSERT_EQ(ss.live_objs, 0);
	ASSERT_EQ(slab_model__site_stats(m, slab_model__site_find(m, SITE_A), &ss), 0);
	ASSERT_EQ(ss.allocs, 1);
	ASSERT_EQ(ss.hist[SLAB_CLASS_LARGE], 1);
	ASSERT_EQ(ss.kinds, SLAB_SITE_KMALLOC | SLAB_SITE_LARGE);
	ASSERT_EQ(slab_model__stats(m)->inc[SLAB_INC_DUP_LARGE], 1);
	APPLY(m, 0, cfree(m, KFREE, p, 0));
	ASSERT_EQ(slab_model__site_stats(m, slab_model__site_find(m, SITE_A), &ss), 0);
	ASSERT_EQ(ss.frees, 1);
	ASSERT_EQ(ss.live_objs, 0);
	slab_model__free(m);
}

/*
 * page_offset unknown: three kmalloc_large() allocations, each an
 * mm_page_alloc of order 2 followed on its CPU by kmalloc(16000) of the
 * page's address, show it; from then on page events place new slabs.
 */
TEST(slab_infer_page_offset)
{
	struct slab_model_opts o = { .sz = sizeof(o), .page_size = PS, .nr_cpus = 2,
				     .infer_page_offset = true };
	struct slab_model *m = slab_model__new(&o, NULL);
	struct slab_cache_stats st;
	const struct slab_model_stats *ms;
	__u64 pfn;
	int k;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	for (k = 0; k < 3; k++) {
		struct kmt_event e = { .type = KMALLOC, .call_site = SITE_A, .size = 16000,
				       .size2 = 16384, .cpu = 1 };

		pfn = 0x40000 + 4 * k;
		APPLY(m, 0, page(m, KMT_EV_PAGE_ALLOC, pfn, 2, 1));
		e.ptr = PO + pfn * PS;
		APPLY(m, 0, slab_model__apply(m, &e));
		ms = slab_model__stats(m);
		ASSERT_EQ(ms->page_offset_votes, k + 1);
	}
	ASSERT_U64_EQ(ms->page_offset, PO);
	ASSERT_TRUE(ms->page_offset_inferred);
	ASSERT_EQ(ms->page_events_skipped, 3);
	/* a new test_obj slab: every slot free but the one allocated */
	pfn = (B0 - PO) / PS;
	APPLY(m, 0, page(m, KMT_EV_PAGE_ALLOC, pfn, 0, 0));
	OBJ(m, 0, B0, 7);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.nr[SLAB_PARTIAL], 1);
	ASSERT_EQ(st.free_slots, 15);
	ASSERT_EQ(st.unknown_slots, 0);
	FREE_OBJ(m, 0, B0, 7);
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.nr[SLAB_EMPTY], 1);
	APPLY(m, 0, page(m, KMT_EV_PAGE_FREE, pfn, 0, 0));
	STATS(m, "test_obj", st);
	ASSERT_EQ(st.slabs, 0);
	slab_model__free(m);
}

/* ---- the size-class analysis ---- */

/*
 * A call site asking 72 bytes, 10 times. kmalloc-96: 24 bytes wasted each,
 * 240; the slab tail of kmalloc-96 (4096 - 42 * 96 = 64 bytes per 42
 * objects) adds 10 * 64 / 42 = 15. A dedicated cache: slot ALIGN(72, 8) = 72
 * (ARCH_SLAB_MINALIGN 8; the free pointer stays inside the object), so no
 * rounding waste; calculate_order(72) with 2 CPUs: min_objects 4 * (fls(2) +
 * 1) = 12, get_order(864) = 0, 4096 % 72 = 64 <= 4096 / 16: order 0, 56
 * objects, tail 64: 10 * 64 / 56 = 11. Saving 255 - 11 = 244. With
 * SLAB_HWCACHE_ALIGN the slot would be ALIGN(72, 64) = 128: 560 wasted,
 * worse than kmalloc.
 */
TEST(slab_site_advice_72)
{
	struct slab_model *m = mk(false, 0);
	struct slab_site_advice a;
	struct slab_site_stats ss;
	int k, s;

	ASSERT_TRUE(m);
	ASSERT_EQ(slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	for (k = 0; k < 10; k++)
		APPLY(m, 0, alloc(m, KMALLOC, B0 + k * 96, SITE_A, 72, 96, 0, 0));
	s = slab_model__site_find(m, SITE_A);
	ASSERT_EQ(slab_model__site_stats(m, s, &ss), 0);
	ASSERT_EQ(ss.hist[1], 10);		/* class 1: kmalloc-96 */
	ASSERT_EQ(ss.min_req, 72);
	ASSERT_EQ(ss.max_req, 72);
	ASSERT_EQ(slab_model__site_advice(m, s, &a), 0);
	ASSERT_EQ(a.bucket, 1);
	ASSERT_EQ(a.bucket_size, 96);
	ASSERT_EQ(a.kmalloc_waste, 240);
	ASSERT_EQ(a.kmalloc_tail, 15);
	ASSERT_EQ(a.dedicated_size, 72);
	ASSERT_EQ(a.dedicated_order, 0);
	ASSERT_EQ(a.dedicated_objects, 56);
	ASSERT_EQ(a.dedicated_waste, 0);
	ASSERT_EQ(a.dedicated_tail, 11);
	ASSERT_EQ(a.hwalign_size, 128);
	ASSERT_EQ(a.hwalign_waste, 560);
	ASSERT_EQ(a.advice, SLAB_ADVICE_DEDICATED);
	ASSERT_EQ(a.saving, 244);
	slab_model__free(m);
}

/*
 * A call site asking 40 or 100 bytes, 5 times each: kmalloc-64 and -128,
 * 5 * 24 + 5 * 28 = 260 wasted, no slab tails (64 * 64 and 32 * 128 fill a
 * page). One cache for both would have slot 104: 10 * 104 - 700 = 340, plus
 * 10 * 40 / 39 = 10 of tail (4096 % 104 = 40, 39 objects): kmalloc wins.
 */
TEST(slab_site_advice_varied)
{
	struct slab_model *m = mk(false, 0);
	struct slab_site_advice a;
	struct slab_site_stats ss;
	int k, s;

	ASSERT_TRUE(m);
	ASSERT_EQ(slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	for (k = 0; k < 5; k++) {
		APPLY(m, 0, alloc(m, KMALLOC, B0 + k * 64, SITE_B, 40, 64, 0, 0));
		APPLY(m, 0, alloc(m, KMALLOC, B0 + PS + k * 128, SITE_B, 100, 128, 0, 0));
	}
	s = slab_model__site_find(m, SITE_B);
	ASSERT_EQ(slab_model__site_stats(m, s, &ss), 0);
	ASSERT_EQ(ss.hist[0], 5);
	ASSERT_EQ(ss.hist[2], 5);
	ASSERT_EQ(ss.bytes_req, 700);
	ASSERT_EQ(slab_model__site_advice(m, s, &a), 0);
	ASSERT_EQ(a.kmalloc_waste, 260);
	ASSERT_EQ(a.kmalloc_tail, 0);
	ASSERT_EQ(a.dedicated_size, 104);
	ASSERT_EQ(a.dedicated_waste, 340);
	ASSERT_EQ(a.dedicated_objects, 39);
	ASSERT_EQ(a.dedicated_tail, 10);
	ASSERT_EQ(a.advice, SLAB_ADVICE_KEEP);
	ASSERT_EQ(a.saving, 0);
	slab_model__free(m);
}

/* ---- helpers ---- */

/* SLUB's order and objects per slab for the kmalloc sizes, as this 2-CPU machine's slabinfo. */
TEST(slab_calculate_order)
{
	static const struct { __u32 size, order, objects; } want[] = {
		{ 8, 0, 512 }, { 16, 0, 256 }, { 32, 0, 128 }, { 64, 0, 64 }, { 96, 0, 42 },
		{ 128, 0, 32 }, { 192, 0, 21 }, { 256, 0, 16 }, { 512, 1, 16 }, { 1024, 2, 16 },
		{ 2048, 3, 16 }, { 4096, 3, 8 }, { 8192, 3, 4 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		__u32 objects = 0;

		ASSERT_EQ(slab__calculate_order(want[i].size, 4096, 2, 3, &objects), want[i].order);
		ASSERT_EQ(objects, want[i].objects);
	}
	ASSERT_EQ(slab__calculate_order(0, 4096, 2, 3, NULL), -EINVAL);
}

TEST(slab_kmalloc_names)
{
	__u32 n = 0;

	ASSERT_EQ(slab__kmalloc_name("kmalloc-64", &n), SLAB_KM_NORMAL);
	ASSERT_EQ(n, 64);
	ASSERT_EQ(slab__kmalloc_name("kmalloc-cg-1k", &n), SLAB_KM_CGROUP);
	ASSERT_EQ(n, 1024);
	ASSERT_EQ(slab__kmalloc_name("kmalloc-rcl-8k", &n), SLAB_KM_RECLAIM);
	ASSERT_EQ(n, 8192);
	ASSERT_EQ(slab__kmalloc_name("dma-kmalloc-192", &n), SLAB_KM_DMA);
	ASSERT_EQ(slab__kmalloc_name("kmalloc-rnd-03-2M", &n), SLAB_KM_RANDOM);
	ASSERT_EQ(n, 2 << 20);
	ASSERT_EQ(slab__kmalloc_name("kmalloc_buckets", &n), SLAB_KM_NONE);
	ASSERT_EQ(slab__kmalloc_name("kmalloc-64x", &n), SLAB_KM_NONE);
	ASSERT_EQ(slab__kmalloc_name("dentry", &n), SLAB_KM_NONE);
}

TEST(slab_bad_opts)
{
	struct slab_model_opts o = { .sz = sizeof(o), .page_size = 3000 };
	int err = 0;

	ASSERT_TRUE(slab_model__new(&o, &err) == NULL);
	ASSERT_EQ(err, -EINVAL);
	slab_model__free(NULL);
}

/* ---- a random property test ---- */

/*
 * Every kind of event, on 64 pages where caches of orders 0, 1 and 2 and
 * kmalloc caches fight over the same slabs: allocations on and off slots,
 * frees seen and unseen, kfree and kmem_cache_free of the wrong cache,
 * page allocations and frees of orders 0..4, hashed pointers. The model
 * must keep every invariant after every event, whatever it counts.
 */
TEST(slab_random_property)
{
	static const __u32 sizes[3] = { 256, 512, 1024 };
	struct slab_model *m = mk(false, GFP_ACCT);
	__u64 rnd = 0x2545f4914f6cdd1dULL, defs[3];
	int i, k;

	ASSERT_TRUE(m);
	ASSERT_EQ(slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START), 10);
	for (k = 0; k < 3; k++) {
		struct kmt_cache_def d = { .cache = 0xffff888300000000ULL + k * 0x100,
					   .object_size = sizes[k] - 8, .size = sizes[k],
					   .order = k, .objects = (__u32)((PS << k) / sizes[k]) };

		snprintf(d.name, sizeof(d.name), "prop_%d", k);
		defs[k] = d.cache;
		ASSERT_GE(slab_model__add_cache(m, &d), 0);
	}
	for (i = 0; i < 30000; i++) {
		struct kmt_event e = { .stack_id = -1 };
		__u64 r, page_no;
		int kind, c;

		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		r = rnd;
		kind = (int)(r % 16);
		c = (int)((r >> 4) % 3);
		page_no = (r >> 8) % 64;
		e.cpu = (__u32)((r >> 16) % 2);
		e.call_site = SITE_A + ((r >> 20) % 4) * 8;
		e.ptr = B0 + page_no * PS + ((r >> 24) % 16) * ((r >> 28) % 8 ? sizes[c] : 40);
		if (kind < 5) {			/* kmem_cache_alloc */
			e.type = CALLOC;
			e.aux = defs[(r >> 32) % 16 ? c : (c + 1) % 3];
			e.size = sizes[c] - 8;
			e.size2 = sizes[c];
		} else if (kind < 8) {		/* kmalloc 64 / 128 / 8k / large */
			static const __u32 ks[4] = { 64, 128, 8192, 16384 };
			int q = (int)((r >> 32) % 4);

			e.type = KMALLOC;
			e.size = ks[q] - 7;
			e.size2 = ks[q];
			e.gfp = (r >> 36) % 2 ? GFP_ACCT : 0;
			e.ptr = B0 + page_no * PS + ((r >> 40) % 8) * ks[q] % (PS << 3);
		} else if (kind < 12) {		/* frees */
			e.type = (r >> 32) % 2 ? KFREE : CFREE;
			e.aux = e.type == CFREE ? defs[(r >> 33) % 3] : 0;
		} else if (kind < 15) {		/* page events */
			e.type = kind == 12 ? KMT_EV_PAGE_ALLOC : KMT_EV_PAGE_FREE;
			e.order = (int)((r >> 32) % 5);
			e.ptr = ((B0 - PO) / PS + page_no) & ~((1ULL << e.order) - 1);
		} else {			/* a hashed pointer */
			e.type = (r >> 32) % 2 ? CALLOC : KFREE;
			e.aux = defs[c];
			e.size = sizes[c] - 8;
			e.size2 = sizes[c];
			e.ptr = r | 1;
			e.flags = KMT_EVF_HASHED_PTR;
		}
		ASSERT_GE(slab_model__apply(m, &e), 0);
		CHECK(m);
	}
	for (k = 0; k < SLAB_INC_MAX; k++)
		fprintf(stdout, "%s%s %llu", k ? "," : "    counted:", slab_inc_name(k),
			(unsigned long long)slab_model__stats(m)->inc[k]);
	fprintf(stdout, "\n");
	slab_model__free(m);
}

/* ---- rate and memory ---- */

/*
 * A synthetic stream with SLUB's reuse pattern: per cache a LIFO of free
 * slots (the per-CPU freelist), new slabs at the next free address; frees of
 * random live objects. ~1 M live objects in steady state.
 */
struct gen_cache {
	__u64 cache;
	__u32 size, req, objects, order;
	__u64 *free;		/* free slot addresses, LIFO */
	size_t nfree, cap;
};

struct gen {
	struct gen_cache c[8];
	__u64 next_base;
	__u64 *live;		/* address | cache index in the low 3 bits of a side array */
	__u8 *live_c;
	size_t nlive, cap;
	__u64 rnd;
	bool recent;		/* frees favour young objects */
};

static __u64 gen_rand(struct gen *g)
{
	g->rnd ^= g->rnd << 13;
	g->rnd ^= g->rnd >> 7;
	g->rnd ^= g->rnd << 17;
	return g->rnd;
}

static __u64 gen_slot(struct gen *g, struct gen_cache *c)
{
	if (!c->nfree) {
		__u64 bytes = PS << c->order, base = (g->next_base + bytes - 1) & ~(bytes - 1);
		__u32 k;

		g->next_base = base + bytes;
		if (c->cap < c->objects) {
			c->cap = c->objects * 2;
			c->free = realloc(c->free, c->cap * sizeof(*c->free));
		}
		for (k = c->objects; k-- > 0;)
			c->free[c->nfree++] = base + (__u64)k * c->size;
	}
	return c->free[--c->nfree];
}

static void gen_push_free(struct gen_cache *c, __u64 p)
{
	if (c->nfree == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->free = realloc(c->free, c->cap * sizeof(*c->free));
	}
	c->free[c->nfree++] = p;
}

static void gen_event(struct gen *g, struct kmt_event *e, size_t target)
{
	bool do_alloc = g->nlive < target / 2 || (g->nlive < 2 * target && gen_rand(g) % 2);

	memset(e, 0, sizeof(*e));
	if (do_alloc) {
		unsigned int ci = (unsigned int)(gen_rand(g) % 8);
		struct gen_cache *c = &g->c[ci];

		e->ptr = gen_slot(g, c);
		e->type = c->cache ? CALLOC : KMALLOC;
		e->aux = c->cache;
		e->size = c->req;
		e->size2 = c->size;
		e->call_site = SITE_A + ci * 16;
		if (g->nlive == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 1024;
			g->live = realloc(g->live, g->cap * sizeof(*g->live));
			g->live_c = realloc(g->live_c, g->cap);
		}
		g->live[g->nlive] = e->ptr;
		g->live_c[g->nlive++] = (__u8)ci;
		return;
	}
	{
		/* most slab objects die young: 9 frees in 10 among the 256 newest */
		size_t i = gen_rand(g) % g->nlive, near = g->nlive < 256 ? g->nlive : 256;

		if (g->recent && gen_rand(g) % 10)
			i = g->nlive - 1 - gen_rand(g) % near;
		struct gen_cache *c = &g->c[g->live_c[i]];

		e->ptr = g->live[i];
		e->type = c->cache ? CFREE : KFREE;
		e->aux = c->cache;
		gen_push_free(c, e->ptr);
		g->live[i] = g->live[--g->nlive];
		g->live_c[i] = g->live_c[g->nlive];
	}
}

static void gen_init(struct gen *g, struct slab_model *m)
{
	static const __u32 sizes[8][3] = {	/* size, req, order */
		{ 64, 50, 0 }, { 96, 72, 0 }, { 192, 150, 0 }, { 128, 100, 0 },
		{ 256, 200, 0 }, { 1024, 1000, 2 }, { 128, 128, 0 }, { 64, 64, 0 },
	};
	int i;

	memset(g, 0, sizeof(*g));
	g->rnd = 0x9e3779b97f4a7c15ULL;
	g->next_base = PO + 0x100000000ULL;
	for (i = 0; i < 8; i++) {
		struct gen_cache *c = &g->c[i];

		c->size = sizes[i][0];
		c->req = sizes[i][1];
		c->order = sizes[i][2];
		c->objects = (__u32)((PS << c->order) / c->size);
		if (i >= 4) {	/* named caches; 0..3 are kmalloc */
			struct kmt_cache_def d = { .cache = 0xffff888200000000ULL + i * 0x1000,
						   .object_size = c->req, .size = c->size,
						   .order = (__s32)c->order, .objects = c->objects };

			snprintf(d.name, sizeof(d.name), "gen_%d", i);
			c->cache = d.cache;
			slab_model__add_cache(m, &d);
		}
	}
}

static void gen_free(struct gen *g)
{
	int i;

	for (i = 0; i < 8; i++)
		free(g->c[i].free);
	free(g->live);
	free(g->live_c);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Replay rate on 4 M events, ~0.5 M live objects: frees of young objects
 * (the common case: most slab objects die young), then frees of uniformly
 * random live objects (the worst case: each free is a cache miss in a hash
 * larger than the CPU's caches); event by event, and in batches that fetch
 * hash slots ahead. Printed, not asserted.
 */
static double replay_once(const struct kmt_event *ev, size_t n, bool batch, size_t nlive)
{
	struct slab_model *m = mk(false, 0);
	struct slab_cache_stats t;
	struct gen g;
	double t0, dt = 0;
	size_t i;
	char err[256];

	if (!m) {
		kmt_test__fail(__FILE__, __LINE__, "no model");
		return 0;
	}
	slab_model__load_slabinfo(m, slabinfo, strlen(slabinfo), SLAB_SNAP_START);
	gen_init(&g, m);	/* the same caches as the stream's generator */
	gen_free(&g);
	t0 = now_s();
	if (batch) {
		i = slab_model__apply_batch(m, ev, n, NULL) ? 0 : n;
	} else {
		for (i = 0; i < n; i++)
			if (slab_model__apply(m, &ev[i]) < 0)
				break;
	}
	dt = now_s() - t0;
	slab_model__totals(m, &t);
	if (i != n || t.live_objs != nlive || slab_model__check(m, err, sizeof(err)))
		kmt_test__fail(__FILE__, __LINE__, "replay: %zu of %zu events, %llu live of %zu",
			       i, n, (unsigned long long)t.live_objs, nlive);
	for (i = 0; i < SLAB_INC_MAX; i++)
		if (slab_model__stats(m)->inc[i])
			kmt_test__fail(__FILE__, __LINE__, "%s counted", slab_inc_name(i));
	/* memory proportional to live objects: hash entries, slab records, sites */
	if (slab_model__mem_bytes(m) / t.live_objs >= 96)
		kmt_test__fail(__FILE__, __LINE__, "%.1f bytes per live object",
			       (double)slab_model__mem_bytes(m) / t.live_objs);
	fprintf(stdout, "      %-11s %.1f M events/s; %llu live objects, %llu slabs, %.1f bytes per "
		"live object\n", batch ? "batched:" : "one by one:", n / dt / 1e6,
		(unsigned long long)t.live_objs, (unsigned long long)t.slabs,
		(double)slab_model__mem_bytes(m) / t.live_objs);
	slab_model__free(m);
	return dt;
}

static void replay_rate(bool recent, const char *what)
{
	const size_t n = 4000000, target = 1000000;
	struct kmt_event *ev = malloc(n * sizeof(*ev));
	struct slab_model *m = mk(false, 0);
	struct gen g;
	size_t i;

	ASSERT_TRUE(m && ev);
	gen_init(&g, m);
	g.recent = recent;
	for (i = 0; i < n; i++)
		gen_event(&g, &ev[i], target);
	fprintf(stdout, "    slab replay, %s, %zu events:\n", what, n);
	replay_once(ev, n, false, g.nlive);
	replay_once(ev, n, true, g.nlive);
	gen_free(&g);
	free(ev);
	slab_model__free(m);
}

TEST(slab_replay_rate)
{
	replay_rate(true, "young frees");
	if (!kmt_test__failed())
		replay_rate(false, "random frees");
}

/* Memory accounting: model bytes per live object as objects come and go. */
TEST(slab_memory_per_object)
{
	struct slab_model *m = mk(false, 0);
	size_t peak;
	__u64 k;

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &def_obj), 0);
	for (k = 0; k < 160000; k++)
		ASSERT_EQ(alloc(m, CALLOC, B0 + k * 256, SITE_A, 200, 256, def_obj.cache, 0), 0);
	peak = slab_model__mem_bytes(m);
	/* 160000 objects in 10000 slabs: at most 2^18 hash entries of 24 bytes, 40-byte records */
	ASSERT_LT(peak / 160000, 64);
	fprintf(stdout, "    %zu bytes for 160000 live objects: %.1f per object\n", peak,
		peak / 160000.0);
	for (k = 0; k < 160000; k++)
		ASSERT_EQ(cfree(m, CFREE, B0 + k * 256, def_obj.cache), 0);
	ASSERT_EQ(slab_model__drop_empty(m), 10000);
	CHECK(m);
	ASSERT_EQ(slab_model__stats(m)->slabs, 0);
	ASSERT_EQ(slab_model__stats(m)->live_objects, 0);
	slab_model__free(m);
}
