// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tracepoint argument discovery on synthetic kernels: BTF built in memory with
 * the prototypes older and newer kernels have, to show that each argument is
 * found by name whatever its position, through a DEFINE_EVENT class too.
 */
#include <bpf/btf.h>
#include "../test.h"
#include "tp_args.h"

struct fake_kernel {
	struct btf *btf;
	int ulong, vptr, gfp, intt;
};

static void fake_init(struct fake_kernel *k)
{
	k->btf = btf__new_empty();
	k->ulong = btf__add_int(k->btf, "long unsigned int", 8, 0);
	k->intt = btf__add_int(k->btf, "int", 4, BTF_INT_SIGNED);
	k->gfp = btf__add_int(k->btf, "unsigned int", 4, 0);
	k->vptr = btf__add_ptr(k->btf, 0);
}

/* A prototype (void *__data, args...) with or without names. */
static int add_proto(struct fake_kernel *k, const char *const *names, const int *types, int n,
		     bool named)
{
	int id = btf__add_func_proto(k->btf, 0);

	btf__add_func_param(k->btf, named ? "__data" : "", k->vptr);
	for (int i = 0; i < n; i++)
		btf__add_func_param(k->btf, named ? names[i] : "", types[i]);
	return id;
}

/*
 * Adds the tracepoint event: typedef btf_trace_<event> (unnamed prototype) and
 * the named FUNC __bpf_trace_<func> (the event itself, or its class).
 */
static void add_tp(struct fake_kernel *k, const char *event, const char *func,
		   const char *const *names, const int *types, int n)
{
	char name[128];
	int proto = add_proto(k, names, types, n, false);

	snprintf(name, sizeof(name), "btf_trace_%s", event);
	btf__add_typedef(k->btf, name, btf__add_ptr(k->btf, proto));
	if (func) {
		proto = add_proto(k, names, types, n, true);
		snprintf(name, sizeof(name), "__bpf_trace_%s", func);
		btf__add_func(k->btf, name, BTF_FUNC_STATIC, proto);
	}
}

TEST(tp_args_old_kmem_alloc_class)
{
	/* 5.x: DEFINE_EVENT(kmem_alloc, kmem_cache_alloc, ...), sizes in the tracepoint */
	static const char *const names[] = { "call_site", "ptr", "bytes_req", "bytes_alloc",
					     "gfp_flags" };
	struct fake_kernel k;
	struct tp_args a;
	int types[5];

	fake_init(&k);
	types[0] = k.ulong; types[1] = k.vptr; types[2] = k.ulong; types[3] = k.ulong;
	types[4] = k.gfp;
	add_tp(&k, "kmem_cache_alloc", "kmem_alloc", names, types, 5);
	add_tp(&k, "kmalloc", NULL, names, types, 5);	/* shares the class function */
	tp_args__resolve(k.btf, &a);
	ASSERT_EQ(a.status[KMT_EV_CACHE_ALLOC], TP_ARGS_OK);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_CALL_SITE], 0);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_PTR], 1);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_SIZE], 2);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_SIZE2], 3);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_GFP], 4);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_AUX], -1);	/* no struct kmem_cache * */
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_NODE], -1);
	ASSERT_EQ(a.status[KMT_EV_KMALLOC], TP_ARGS_OK);
	ASSERT_EQ(a.idx[KMT_EV_KMALLOC][KMT_SLOT_SIZE], 2);
	/* no vmalloc tracepoints before 6.2 */
	ASSERT_EQ(a.status[KMT_EV_VMAP_ALLOC], TP_ARGS_MISSING);
	ASSERT_CONTAINS(a.why[KMT_EV_VMAP_ALLOC], "no vmalloc:alloc_vmap_area");
	btf__free(k.btf);
}

TEST(tp_args_new_kmem_cache_alloc)
{
	/* >= 6.1: (call_site, ptr, s, gfp_flags, node); sizes come from the cache */
	static const char *const names[] = { "call_site", "ptr", "s", "gfp_flags", "node" };
	struct fake_kernel k;
	struct tp_args a;
	int types[5];

	fake_init(&k);
	types[0] = k.ulong; types[1] = k.vptr; types[2] = k.vptr; types[3] = k.gfp;
	types[4] = k.intt;
	add_tp(&k, "kmem_cache_alloc", "kmem_cache_alloc", names, types, 5);
	tp_args__resolve(k.btf, &a);
	ASSERT_EQ(a.status[KMT_EV_CACHE_ALLOC], TP_ARGS_OK);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_AUX], 2);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_GFP], 3);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_NODE], 4);
	ASSERT_EQ(a.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_SIZE], -1);
	btf__free(k.btf);
}

TEST(tp_args_mismatch_and_unnamed)
{
	static const char *const page_names[] = { "page", "gfp_flags", "migratetype" };
	static const char *const drain[] = { "page", "order", "migratetype" };
	struct fake_kernel k;
	struct tp_args a;
	int types[3];

	fake_init(&k);
	types[0] = k.vptr; types[1] = k.gfp; types[2] = k.intt;
	/* a required argument ("order") renamed away: refused, with the reason */
	add_tp(&k, "mm_page_alloc", "mm_page_alloc", page_names, types, 3);
	/* a DEFINE_EVENT of class mm_page, with different types than the class */
	types[1] = k.ulong;
	add_tp(&k, "mm_page_pcpu_drain", NULL, drain, types, 3);
	tp_args__resolve(k.btf, &a);
	ASSERT_EQ(a.status[KMT_EV_PAGE_ALLOC], TP_ARGS_MISMATCH);
	ASSERT_CONTAINS(a.why[KMT_EV_PAGE_ALLOC], "'order'");
	ASSERT_EQ(a.status[KMT_EV_PAGE_PCPU_DRAIN], TP_ARGS_MISMATCH);
	btf__free(k.btf);
}

TEST(tp_args_this_kernel)
{
	struct btf *btf = btf__load_vmlinux_btf();
	struct tp_args a;

	if (!btf)
		SKIP("no kernel BTF");
	tp_args__resolve(btf, &a);
	ASSERT_EQ(a.status[KMT_EV_KMALLOC], TP_ARGS_OK);
	ASSERT_EQ(a.status[KMT_EV_PAGE_ALLOC_ZONE_LOCKED], TP_ARGS_OK);	/* via class mm_page */
	ASSERT_EQ(a.idx[KMT_EV_PAGE_ALLOC_ZONE_LOCKED][KMT_SLOT_ORDER], 1);
	ASSERT_GE(a.idx[KMT_EV_KMALLOC][KMT_SLOT_SIZE], 0);
	btf__free(btf);
}
