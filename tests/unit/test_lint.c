// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The GFP misuse lint (analysis/lint.c) on hand-built events: every rule fires
 * where the kernel would complain and stays quiet on the near misses; page
 * findings fold into the allocation they back; findings group by (rule, call
 * site, stack); suppressions; and `kmmtrace lint` on a written trace.
 *
 * GFP bits and composites are Linux 6.12's (include/linux/gfp_types.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "../build.h"
#include "../test.h"
#include "../json.h"
#include "defs.h"
#include "event.h"
#include "gfp.h"
#include "lint.h"
#include "trace.h"

/* ---- Linux 6.12's GFP bits ---- */

#define G_DMA		0x01u
#define G_HIGHMEM	0x02u
#define G_DMA32		0x04u
#define G_HIGH		0x20u
#define G_IO		0x40u
#define G_FS		0x80u
#define G_ZERO		0x100u
#define G_DIRECT	0x400u
#define G_KSWAPD	0x800u
#define G_NOWARN	0x2000u
#define G_NOFAIL	0x8000u
#define G_NORETRY	0x10000u
#define G_COMP		0x40000u

#define GFP_KERNEL	(G_DIRECT | G_KSWAPD | G_IO | G_FS)	/* 0xcc0 */
#define GFP_ATOMIC	(G_HIGH | G_KSWAPD)			/* 0x820 */
#define GFP_NOWAIT	(G_KSWAPD | G_NOWARN)			/* 0x2800 */
#define GFP_NOFS	(G_DIRECT | G_KSWAPD | G_IO)		/* 0xc40 */
#define GFP_NOIO	(G_DIRECT | G_KSWAPD)			/* 0xc00 */

/* show_gfp_flags() order: composites first, then single bits */
static const struct kmt_gfp_entry gfp_table[] = {
	{ GFP_KERNEL, KMT_GFP_COMPOSITE, "GFP_KERNEL" },
	{ GFP_NOFS, KMT_GFP_COMPOSITE, "GFP_NOFS" },
	{ GFP_ATOMIC, KMT_GFP_COMPOSITE, "GFP_ATOMIC" },
	{ GFP_NOIO, KMT_GFP_COMPOSITE, "GFP_NOIO" },
	{ GFP_NOWAIT, KMT_GFP_COMPOSITE, "GFP_NOWAIT" },
	{ G_DMA, KMT_GFP_BIT, "__GFP_DMA" },
	{ G_HIGHMEM, KMT_GFP_BIT, "__GFP_HIGHMEM" },
	{ G_DMA32, KMT_GFP_BIT, "__GFP_DMA32" },
	{ G_HIGH, KMT_GFP_BIT, "__GFP_HIGH" },
	{ G_IO, KMT_GFP_BIT, "__GFP_IO" },
	{ G_FS, KMT_GFP_BIT, "__GFP_FS" },
	{ G_ZERO, KMT_GFP_BIT, "__GFP_ZERO" },
	{ G_DIRECT, KMT_GFP_BIT, "__GFP_DIRECT_RECLAIM" },
	{ G_KSWAPD, KMT_GFP_BIT, "__GFP_KSWAPD_RECLAIM" },
	{ G_NOWARN, KMT_GFP_BIT, "__GFP_NOWARN" },
	{ G_NOFAIL, KMT_GFP_BIT, "__GFP_NOFAIL" },
	{ G_COMP, KMT_GFP_BIT, "__GFP_COMP" },
};

#define NR_GFP (sizeof(gfp_table) / sizeof(gfp_table[0]))

/* ---- context words ---- */

#define C_PROC		(KMT_CTX_PC_KNOWN | KMT_CTX_RCU_KNOWN)
#define C_SPIN		(C_PROC | 1u)			/* spin_lock(): preempt depth 1 */
#define C_BH		(C_PROC | 0x200u)		/* local_bh_disable() */
#define C_SOFTIRQ	(C_PROC | KMT_CTX_SOFTIRQ_SERVING)
#define C_HARDIRQ	(C_PROC | 0x10000u)
#define C_NMI		(C_PROC | 0x100000u)
#define C_RCU		(C_PROC | (1u << KMT_CTX_RCU_SHIFT))	/* rcu_read_lock() */
#define C_UNKNOWN	0u

/* ---- symbols, tasks, caches, stacks ---- */

#define S1		0xffffffff81a00010ull	/* my_func+0x10 */
#define S2		0xffffffff81b00020ull	/* other_func+0x20 */
#define S3		0xffffffff81c00030ull	/* no symbol */
#define S4		0xffffffff81e00040ull	/* fourth_func+0x40 */
#define KV		0xffffffff81300040ull	/* __kvmalloc_node_noprof+0x40 */
#define KV_CALLER	0xffffffff81d00050ull	/* my_table_alloc+0x50 */
#define IP_ALLOC	0xffffffff81200100ull	/* __alloc_pages_noprof+0x100 */
#define IP_DRV		0xffffffffc0001060ull	/* my_driver_fill+0x60 [mydrv] */
#define CACHE_CTOR	0xffff888100200000ull
#define CACHE_PLAIN	0xffff888100300000ull
#define STACK_DRV	3

static void put_sym(struct kmt_defs *d, __u64 addr, __u64 off, const char *name, const char *mod)
{
	struct kmt_sym s = { .addr = addr, .offset = off };

	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.module, sizeof(s.module), "%s", mod);
	kmt_defs__put_sym(d, &s);
}

static struct kmt_defs *defs(void)
{
	static struct kmt_defs *d;
	struct kmt_task t7 = { .tgid = 7, .tid = 7, .comm = "worker" };
	struct kmt_task t8 = { .tgid = 8, .tid = 8, .comm = "other" };
	struct kmt_cache_def ctor = { .cache = CACHE_CTOR, .object_size = 192, .size = 192,
				      .order = 0, .has_ctor = 1, .name = "ctor_cache" };
	struct kmt_cache_def plain = { .cache = CACHE_PLAIN, .object_size = 192, .size = 192,
				       .order = 0, .name = "plain_cache" };
	struct kmt_stack st = { .id = STACK_DRV, .nr = 2, .ips = { IP_ALLOC, IP_DRV } };

	if (d)
		return d;
	d = kmt_defs__new();
	if (!d)
		return NULL;
	put_sym(d, S1, 0x10, "my_func", "");
	put_sym(d, S2, 0x20, "other_func", "");
	put_sym(d, S4, 0x40, "fourth_func", "");
	put_sym(d, KV, 0x40, "__kvmalloc_node_noprof", "");
	put_sym(d, KV_CALLER, 0x50, "my_table_alloc", "");
	put_sym(d, IP_ALLOC, 0x100, "__alloc_pages_noprof", "");
	put_sym(d, IP_DRV, 0x60, "my_driver_fill", "mydrv");
	kmt_defs__put_task(d, &t7);
	kmt_defs__put_task(d, &t8);
	kmt_defs__put_cache(d, &ctor);
	kmt_defs__put_cache(d, &plain);
	kmt_defs__put_stack(d, &st);
	return d;
}

/* x86-64 SLUB: kmalloc caches up to 8 KiB, MAX_PAGE_ORDER 10 (KMALLOC_MAX_SIZE 4 MiB). */
static struct lint_env mkenv(void)
{
	return (struct lint_env){
		.gfp = gfp_table, .nr_gfp = NR_GFP, .page_size = 4096, .nr_page_orders = 11,
		.kmalloc_max_cache = 8192, .preempt_rt = false, .preempt_count = true,
		.costly_order = 3, .site_rules = false, .defs = defs(),
	};
}

/* ---- events ---- */

static __u64 g_ts, g_ptr;

static struct kmt_event base(int type, __u32 gfp, __u32 ctx)
{
	struct kmt_event e = tb_event(type, ++g_ts * 1000, 7);

	e.ctx = ctx;
	e.gfp = gfp;
	return e;
}

static struct kmt_event km(__u64 cs, __u64 size, __u32 gfp, __u32 ctx)
{
	return tb_slab(base(KMT_EV_KMALLOC, gfp, ctx), 0xffff888004000000ull + ++g_ptr * 0x4000,
		       cs, size, size);
}

static struct kmt_event cache_alloc(__u64 cs, __u64 cache, __u32 gfp, __u32 ctx)
{
	struct kmt_event e = tb_slab(base(KMT_EV_CACHE_ALLOC, gfp, ctx),
				     0xffff888005000000ull + ++g_ptr * 0x100, cs, 192, 192);

	e.aux = cache;
	return e;
}

static struct kmt_event pg(int order, __u32 gfp, __u32 ctx)
{
	return tb_page(base(KMT_EV_PAGE_ALLOC, gfp, ctx), 0x100000 + ++g_ptr * 16, order, 0);
}

static struct kmt_event vmap(__u64 size, __u32 ctx)
{
	struct kmt_event e = base(KMT_EV_VMAP_ALLOC, 0, ctx);

	e.ptr = 0xffffc90000000000ull + ++g_ptr * 0x100000;
	/* 64 pages more: not a small area (vmalloc-small is tested on its own) */
	e.size = size + 64 * 4096;
	e.size2 = 1;
	return e;
}

static struct kmt_event pcpu(__u64 cs, bool atomic, __u32 gfp, __u32 ctx)
{
	struct kmt_event e = tb_slab(base(KMT_EV_PERCPU_ALLOC, gfp, ctx), 0x30000 + ++g_ptr * 8,
				     cs, 8, 8);

	e.arg = atomic ? 2 : 0;
	e.arg2 = 8;
	return e;
}

static struct kmt_event tid(struct kmt_event e, __u32 t)
{
	e.tid = e.tgid = t;
	return e;
}

static struct kmt_event cpu(struct kmt_event e, __u32 c)
{
	e.cpu = c;
	return e;
}

static struct kmt_event stack(struct kmt_event e, __s32 id)
{
	e.stack_id = id;
	return e;
}

static struct kmt_event ptr(struct kmt_event e, __u64 p)
{
	e.ptr = p;
	return e;
}

/* ---- running the engine ---- */

static struct lint *run_supp(const struct lint_env *env, const struct kmt_event *e, size_t n,
			     const struct lint_suppression *supp, int nr_supp)
{
	struct lint *l = lint__new(env, supp, nr_supp, NULL, NULL);

	if (!l)
		return NULL;
	for (size_t i = 0; i < n; i++)
		lint__event(l, &e[i]);
	lint__finish(l);
	return l;
}

static struct lint *run(const struct lint_env *env, const struct kmt_event *e, size_t n)
{
	return run_supp(env, e, n, NULL, 0);
}

/* The rule ids of the findings, in the engine's order: "sleep-in-atomic,gfp-dma" or "". */
static const char *ids_of(const struct lint *l)
{
	static char bufs[8][512];
	static int k;
	char *b = bufs[k++ & 7];
	const struct lint_finding *f;
	size_t n, len = 0;

	b[0] = 0;
	if (!l)
		return "(no lint)";
	f = lint__findings(l, &n);
	for (size_t i = 0; i < n && len < 500; i++)
		len += snprintf(b + len, 512 - len, "%s%s", i ? "," : "", lint_rules[f[i].rule].id);
	return b;
}

static const char *lint_ids(const struct lint_env *env, const struct kmt_event *e, size_t n)
{
	struct lint *l = run(env, e, n);
	const char *s = ids_of(l);

	lint__free(l);
	return s;
}

#define EVS(...)	((struct kmt_event[]){ __VA_ARGS__ })
#define NEVS(...)	(sizeof(EVS(__VA_ARGS__)) / sizeof(struct kmt_event))
#define IDS(env, ...)	lint_ids((env), EVS(__VA_ARGS__), NEVS(__VA_ARGS__))
#define RUN(env, ...)	run((env), EVS(__VA_ARGS__), NEVS(__VA_ARGS__))

static const struct lint_finding *nth(const struct lint *l, size_t i)
{
	size_t n;
	const struct lint_finding *f = lint__findings(l, &n);

	return i < n ? &f[i] : NULL;
}

static size_t nr_findings(const struct lint *l)
{
	size_t n;

	lint__findings(l, &n);
	return n;
}

static const char *sev_of(const struct lint_finding *f)
{
	return lint_severity_name(lint_rules[f->rule].severity);
}

/* ---- the rule table ---- */

/* The vmalloc analysis' flags as lint findings, named by the area's call site. */
TEST(lint_vmalloc_rules)
{
	struct lint_env env = mkenv();
	struct kmt_event ev[40];
	struct lint *l;
	size_t n = 0;
	const struct lint_finding *f;
	size_t nf;

	/* 20 one-page areas (2 pages with the guard), each freed 1 ms later: small and churn */
	for (int i = 0; i < 20; i++) {
		struct kmt_event a = base(KMT_EV_VMAP_ALLOC, 0, C_PROC), fr;

		a.ts = 1000000 + i * 1000000ull;
		a.ptr = 0xffffc90001000000ull + i * 0x10000;
		a.size = 2 * 4096;
		a.size2 = 4096;
		fr = a;
		fr.type = KMT_EV_VMAP_FREE;
		fr.ts = a.ts + 500000;
		fr.size = 2;
		fr.size2 = 32768;
		ev[n++] = a;
		ev[n++] = fr;
	}
	l = lint__new(&env, NULL, 0, NULL, NULL);
	ASSERT_TRUE(l != NULL);
	for (size_t i = 0; i < n; i++)
		lint__event(l, &ev[i]);
	lint__finish(l);
	f = lint__findings(l, &nf);
	/* 20 areas in 19.5 ms: > 10/s, mean life 0.5 ms, >= 10 of each: churn (warning) first */
	ASSERT_EQ(nf, 2);
	ASSERT_STREQ(lint_rules[f[0].rule].id, "vmalloc-churn");
	ASSERT_EQ(f[0].count, 20);
	ASSERT_STREQ(lint_rules[f[1].rule].id, "vmalloc-small");
	ASSERT_EQ(f[1].count, 20);
	ASSERT_CONTAINS(f[1].site, "record with -g");	/* no stack: named by its task */
	ASSERT_EQ(lint__count(l, LINT_ERROR), 0);
	lint__free(l);
}

TEST(lint_rule_table)
{
	static const struct { const char *id, *sev; } want[LINT_NR_RULES] = {
		[LINT_SLEEP_IN_ATOMIC] = { "sleep-in-atomic", "error" },
		[LINT_ALLOC_IN_NMI] = { "alloc-in-nmi", "error" },
		[LINT_VMALLOC_IN_ATOMIC] = { "vmalloc-in-atomic", "error" },
		[LINT_NOFAIL_NO_RECLAIM] = { "nofail-without-reclaim", "error" },
		[LINT_RT_ATOMIC_ALLOC] = { "rt-atomic-alloc", "error" },
		[LINT_NOFAIL_HIGH_ORDER] = { "nofail-high-order", "warning" },
		[LINT_COSTLY_ORDER_NO_RECLAIM] = { "costly-order-no-reclaim", "warning" },
		[LINT_HIGH_ORDER_NO_RECLAIM] = { "high-order-no-reclaim", "info" },
		[LINT_KMALLOC_LARGE] = { "kmalloc-large", "warning" },
		[LINT_KMALLOC_TOO_LARGE] = { "kmalloc-too-large", "warning" },
		[LINT_SLAB_BAD_ZONE] = { "slab-dma32-highmem", "warning" },
		[LINT_ZERO_WITH_CTOR] = { "zero-with-ctor", "warning" },
		[LINT_KVMALLOC_NO_FALLBACK] = { "kvmalloc-no-fallback", "warning" },
		[LINT_ATOMIC_WHERE_SLEEPABLE] = { "atomic-where-sleepable", "info" },
		[LINT_GFP_DMA] = { "gfp-dma", "info" },
		[LINT_EXPLICIT_NOFS_NOIO] = { "explicit-nofs-noio", "info" },
		[LINT_VMALLOC_SMALL] = { "vmalloc-small", "info" },
		[LINT_VMALLOC_CHURN] = { "vmalloc-churn", "warning" },
		[LINT_VMALLOC_NOT_HUGE] = { "vmalloc-4k-not-huge", "info" },
	};

	for (int i = 0; i < LINT_NR_RULES; i++) {
		ASSERT_STREQ(lint_rules[i].id, want[i].id);
		ASSERT_STREQ(lint_severity_name(lint_rules[i].severity), want[i].sev);
		ASSERT_TRUE(lint_rules[i].summary && lint_rules[i].summary[0]);
		ASSERT_TRUE(lint_rules[i].ref && lint_rules[i].ref[0]);
		ASSERT_EQ(lint_rule_by_id(want[i].id), i);
	}
	ASSERT_EQ(lint_rule_by_id("nosuch-rule"), -1);
	ASSERT_EQ(lint_rule_by_id(""), -1);
	ASSERT_EQ(lint_rule_by_id("*"), -1);
}

TEST(lint_gfp_table_masks)
{
	struct lint_env env = mkenv();
	struct lint *l = lint__new(&env, NULL, 0, NULL, NULL);
	char buf[128];

	ASSERT_TRUE(l != NULL);
	ASSERT_U64_EQ(gfp_mask_of(gfp_table, NR_GFP, "GFP_KERNEL"), 0xcc0);
	ASSERT_U64_EQ(gfp_mask_of(gfp_table, NR_GFP, "GFP_ATOMIC"), 0x820);
	ASSERT_U64_EQ(gfp_mask_of(gfp_table, NR_GFP, "GFP_NOWAIT"), 0x2800);
	ASSERT_U64_EQ(gfp_mask_of(gfp_table, NR_GFP, "GFP_NOFS"), 0xc40);
	ASSERT_U64_EQ(gfp_mask_of(gfp_table, NR_GFP, "GFP_NOIO"), 0xc00);
	lint__gfp_name(l, GFP_KERNEL | G_ZERO, buf, sizeof(buf));
	ASSERT_STREQ(buf, "GFP_KERNEL|__GFP_ZERO");
	lint__gfp_name(l, GFP_ATOMIC | G_NOFAIL, buf, sizeof(buf));
	ASSERT_STREQ(buf, "GFP_ATOMIC|__GFP_NOFAIL");
	lint__free(l);
}

/* ---- sleep-in-atomic ---- */

TEST(lint_sleep_in_atomic_contexts)
{
	static const struct { const char *name; __u32 ctx; } ctxs[] = {
		{ "preempt depth 1", C_SPIN }, { "preempt depth 2", C_PROC | 2 },
		{ "BH disabled", C_BH }, { "serving softirq", C_SOFTIRQ },
		{ "hardirq", C_HARDIRQ }, { "RCU depth 1", C_RCU },
		{ "RCU depth 1 + BH", C_RCU | 0x200 },
	};
	struct lint_env env = mkenv();

	for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++) {
		const char *got = IDS(&env, km(S1, 64, GFP_KERNEL, ctxs[i].ctx));

		if (strcmp(got, "sleep-in-atomic"))
			FAIL("GFP_KERNEL kmalloc, %s: \"%s\"", ctxs[i].name, got);
	}
	/* any allocation that may enter direct reclaim */
	ASSERT_STREQ(IDS(&env, km(S1, 64, G_DIRECT | G_IO | G_FS, C_SPIN)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, cache_alloc(S1, CACHE_PLAIN, GFP_KERNEL, C_SPIN)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, pg(0, GFP_KERNEL, C_HARDIRQ)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_NOIO, C_SPIN)), "sleep-in-atomic,explicit-nofs-noio");
}

TEST(lint_sleep_in_atomic_finding)
{
	struct lint_env env = mkenv();
	struct kmt_event e = km(S1, 64, GFP_KERNEL, C_SPIN);
	const struct lint_finding *f;
	const struct lint_stats *st;
	struct lint *l = run(&env, &e, 1);

	ASSERT_EQ(nr_findings(l), 1);
	f = nth(l, 0);
	ASSERT_STREQ(lint_rules[f->rule].id, "sleep-in-atomic");
	ASSERT_EQ(f->rule, LINT_SLEEP_IN_ATOMIC);
	ASSERT_STREQ(sev_of(f), "error");
	ASSERT_STREQ(f->site, "my_func+0x10");
	ASSERT_STREQ(f->comm, "worker");
	ASSERT_U64_EQ(f->call_site, S1);
	ASSERT_EQ(f->stack_id, -1);
	ASSERT_EQ(f->count, 1);
	ASSERT_EQ(f->first_ts, e.ts);
	ASSERT_EQ(f->last_ts, e.ts);
	ASSERT_EQ(f->backing_pages, 0);
	ASSERT_EQ(f->suppressed_by, -1);
	ASSERT_EQ(f->example.gfp, GFP_KERNEL);
	ASSERT_EQ(f->example.ctx, C_SPIN);
	st = lint__stats(l);
	ASSERT_EQ(st->events, 1);
	ASSERT_EQ(st->allocs, 1);
	ASSERT_EQ(st->no_ctx, 0);
	ASSERT_EQ(st->findings[LINT_SLEEP_IN_ATOMIC], 1);
	ASSERT_EQ(lint__count(l, LINT_ERROR), 1);
	ASSERT_EQ(lint__count(l, LINT_INFO), 1);
	lint__free(l);
}

TEST(lint_sleep_in_atomic_near_misses)
{
	struct lint_env env = mkenv();
	struct kmt_event e;
	struct lint *l;

	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_SPIN)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_NOWAIT, C_SOFTIRQ)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_HARDIRQ)), "");
	ASSERT_STREQ(IDS(&env, pg(0, GFP_NOWAIT, C_BH)), "");
	/* RCU nesting the kernel does not track (!PREEMPT_RCU) is not read */
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, KMT_CTX_PC_KNOWN | (1u << KMT_CTX_RCU_SHIFT))),
		     "");

	/* unknown context: context rules skipped, and counted */
	l = RUN(&env, km(S1, 64, GFP_KERNEL, C_UNKNOWN));
	ASSERT_STREQ(ids_of(l), "");
	ASSERT_EQ(lint__stats(l)->no_ctx, 1);
	ASSERT_EQ(lint__stats(l)->allocs, 1);
	lint__free(l);
	e = km(S1, 64, GFP_KERNEL, C_SPIN);
	e.flags = KMT_EVF_NO_CTX;
	l = run(&env, &e, 1);
	ASSERT_STREQ(ids_of(l), "");
	ASSERT_EQ(lint__stats(l)->no_ctx, 1);
	lint__free(l);
	/* ... but not the others */
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC | G_NOFAIL, C_UNKNOWN)), "nofail-without-reclaim");
}

/* ---- alloc-in-nmi ---- */

TEST(lint_alloc_in_nmi)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S1, 64, GFP_ATOMIC, C_NMI));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "alloc-in-nmi");
	ASSERT_STREQ(sev_of(nth(l, 0)), "error");
	ASSERT_STREQ(nth(l, 0)->site, "my_func+0x10");
	ASSERT_EQ(lint__stats(l)->findings[LINT_SLEEP_IN_ATOMIC], 0);
	lint__free(l);
	/* nmi_enter() adds HARDIRQ_OFFSET too */
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_NMI | 0x10000)), "alloc-in-nmi");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_NMI)), "alloc-in-nmi");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_NOWAIT, C_NMI)), "alloc-in-nmi");
	ASSERT_STREQ(IDS(&env, pcpu(S1, false, GFP_KERNEL, C_NMI)), "alloc-in-nmi");
	/* the *_nolock style: no reclaim bits at all */
	ASSERT_STREQ(IDS(&env, pg(0, G_NOWARN | G_ZERO | G_COMP, C_NMI)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, G_NOWARN, C_NMI)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, 0, C_NMI)), "");
	/* on PREEMPT_RT too, NMI is its own rule */
	env.preempt_rt = true;
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_NMI)), "alloc-in-nmi");
}

/* ---- vmalloc-in-atomic ---- */

TEST(lint_vmalloc_in_atomic)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, vmap(3 * 4096, C_SPIN));
	const struct lint_finding *f;

	ASSERT_EQ(nr_findings(l), 1);
	f = nth(l, 0);
	ASSERT_STREQ(lint_rules[f->rule].id, "vmalloc-in-atomic");
	ASSERT_STREQ(sev_of(f), "error");
	ASSERT_EQ(f->call_site, 0);
	ASSERT_STREQ(f->site, "?");		/* no call site, no stack */
	lint__free(l);
	/* the site of an event without a call site comes from its stack */
	l = RUN(&env, stack(vmap(4096, C_SPIN), STACK_DRV));
	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(nth(l, 0)->site, "my_driver_fill [mydrv]");
	ASSERT_EQ(nth(l, 0)->stack_id, STACK_DRV);
	lint__free(l);
	ASSERT_STREQ(IDS(&env, vmap(4096, C_SOFTIRQ)), "vmalloc-in-atomic");
	ASSERT_STREQ(IDS(&env, vmap(4096, C_RCU)), "vmalloc-in-atomic");
	ASSERT_STREQ(IDS(&env, vmap(4096, C_NMI)), "vmalloc-in-atomic");
	ASSERT_STREQ(IDS(&env, vmap(4096, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, vmap(4096, C_UNKNOWN)), "");
}

/* ---- nofail-without-reclaim ---- */

TEST(lint_nofail_without_reclaim)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S2, 64, GFP_ATOMIC | G_NOFAIL, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "nofail-without-reclaim");
	ASSERT_STREQ(sev_of(nth(l, 0)), "error");
	ASSERT_STREQ(nth(l, 0)->site, "other_func+0x20");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S2, 64, GFP_NOWAIT | G_NOFAIL, C_PROC)), "nofail-without-reclaim");
	ASSERT_STREQ(IDS(&env, pg(0, GFP_ATOMIC | G_NOFAIL, C_PROC)), "nofail-without-reclaim");
	ASSERT_STREQ(IDS(&env, km(S2, 64, GFP_KERNEL | G_NOFAIL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S2, 64, GFP_NOFS | G_NOFAIL, C_PROC)), "explicit-nofs-noio");
	/* percpu does not take __GFP_NOFAIL's meaning from the slab/page allocator */
	ASSERT_STREQ(IDS(&env, pcpu(S2, true, GFP_ATOMIC | G_NOFAIL, C_PROC)), "");
}

/* ---- PREEMPT_RT ---- */

TEST(lint_preempt_rt)
{
	struct lint_env env = mkenv();
	struct lint *l;

	env.preempt_rt = true;
	/* raw_spin_lock(): preemption truly disabled */
	l = RUN(&env, km(S1, 64, GFP_ATOMIC, C_SPIN));
	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "rt-atomic-alloc");
	ASSERT_STREQ(sev_of(nth(l, 0)), "error");
	ASSERT_STREQ(nth(l, 0)->site, "my_func+0x10");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_HARDIRQ)), "rt-atomic-alloc");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_NOWAIT, C_SPIN)), "rt-atomic-alloc");
	ASSERT_STREQ(IDS(&env, pg(0, GFP_ATOMIC, C_SPIN)), "rt-atomic-alloc");
	/* spin_lock() on RT: a sleeping lock, RCU read side + migrate_disable() */
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_RCU)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_RCU)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_SPIN)), "sleep-in-atomic");
	/* nothing that may reclaim or wake kswapd */
	ASSERT_STREQ(IDS(&env, km(S1, 64, G_NOWARN, C_SPIN)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_UNKNOWN)), "");
	/* not an RT kernel: GFP_ATOMIC under a spinlock is what it is for */
	env.preempt_rt = false;
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_SPIN)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_HARDIRQ)), "");
}

/* ---- !CONFIG_PREEMPT_COUNT ---- */

TEST(lint_no_preempt_count)
{
	struct lint_env env = mkenv();
	struct lint *l;

	env.preempt_count = false;
	l = RUN(&env, km(S1, 64, GFP_KERNEL, C_SPIN));
	ASSERT_STREQ(ids_of(l), "");
	ASSERT_CONTAINS(lint__notes(l), "CONFIG_PREEMPT_COUNT");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_HARDIRQ)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_SOFTIRQ)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_BH)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_NMI)), "alloc-in-nmi");
	env.preempt_count = true;
	l = RUN(&env, km(S1, 64, GFP_KERNEL, C_PROC));
	ASSERT_TRUE(strstr(lint__notes(l), "CONFIG_PREEMPT_COUNT") == NULL);
	lint__free(l);
}

TEST(lint_notes)
{
	struct lint_env env = mkenv();
	struct lint *l = lint__new(&env, NULL, 0, NULL, NULL);

	ASSERT_TRUE(l != NULL);
	ASSERT_CONTAINS(lint__notes(l), "atomic-where-sleepable");	/* site_rules off */
	ASSERT_TRUE(strstr(lint__notes(l), "kmalloc-large") == NULL);
	ASSERT_TRUE(strstr(lint__notes(l), "GFP table") == NULL);
	lint__free(l);
	env.site_rules = true;
	l = lint__new(&env, NULL, 0, NULL, NULL);
	ASSERT_STREQ(lint__notes(l), "");
	lint__free(l);

	env.kmalloc_max_cache = 0;
	env.nr_page_orders = 0;
	l = RUN(&env, km(S1, 16 << 20, GFP_KERNEL, C_PROC));
	ASSERT_CONTAINS(lint__notes(l), "kmalloc-large is not checked");
	ASSERT_CONTAINS(lint__notes(l), "kmalloc-too-large is not checked");
	ASSERT_STREQ(ids_of(l), "");
	lint__free(l);

	/* no GFP table: only vmalloc-in-atomic */
	env = mkenv();
	env.gfp = NULL;
	env.nr_gfp = 0;
	l = RUN(&env, km(S1, 64, GFP_KERNEL, C_SPIN), km(S1, 64, GFP_ATOMIC | G_NOFAIL, C_NMI),
		pg(4, GFP_ATOMIC | G_DMA, C_PROC), vmap(4096, C_SPIN));
	ASSERT_CONTAINS(lint__notes(l), "no GFP table");
	ASSERT_STREQ(ids_of(l), "vmalloc-in-atomic");
	lint__free(l);
}

/* ---- page order rules ---- */

TEST(lint_page_order_rules)
{
	struct lint_env env = mkenv();
	struct lint *l;

	l = RUN(&env, pg(2, GFP_KERNEL | G_NOFAIL, C_PROC));
	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "nofail-high-order");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	ASSERT_EQ(nth(l, 0)->example.order, 2);
	lint__free(l);
	ASSERT_STREQ(IDS(&env, pg(1, GFP_KERNEL | G_NOFAIL, C_PROC)), "");

	l = RUN(&env, pg(4, GFP_ATOMIC, C_PROC));
	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "costly-order-no-reclaim");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	lint__free(l);
	l = RUN(&env, pg(2, GFP_ATOMIC, C_PROC));
	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "high-order-no-reclaim");
	ASSERT_STREQ(sev_of(nth(l, 0)), "info");
	lint__free(l);
	/* PAGE_ALLOC_COSTLY_ORDER is 3: order 3 is not costly yet, order 1 is high */
	ASSERT_STREQ(IDS(&env, pg(3, GFP_ATOMIC, C_PROC)), "high-order-no-reclaim");
	ASSERT_STREQ(IDS(&env, pg(1, GFP_ATOMIC, C_PROC)), "high-order-no-reclaim");
	ASSERT_STREQ(IDS(&env, pg(1, G_KSWAPD, C_PROC)), "high-order-no-reclaim");
	/* near misses: order 0, __GFP_NOWARN, or reclaim allowed */
	ASSERT_STREQ(IDS(&env, pg(0, GFP_ATOMIC, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(4, GFP_ATOMIC | G_NOWARN, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(2, GFP_ATOMIC | G_NOWARN, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(2, GFP_NOWAIT, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(4, GFP_KERNEL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(2, GFP_KERNEL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(10, GFP_KERNEL | G_NOWARN, C_PROC)), "");
	/* the order rules are page rules: a kmalloc's order field means nothing */
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_PROC)), "");
	/* all three on one page: error first, then the warnings in rule order */
	ASSERT_STREQ(IDS(&env, pg(4, GFP_ATOMIC | G_NOFAIL, C_PROC)),
		     "nofail-without-reclaim,nofail-high-order,costly-order-no-reclaim");
	/* --costly-order */
	env.costly_order = 1;
	ASSERT_STREQ(IDS(&env, pg(2, GFP_ATOMIC, C_PROC)), "costly-order-no-reclaim");
	ASSERT_STREQ(IDS(&env, pg(1, GFP_ATOMIC, C_PROC)), "high-order-no-reclaim");
}

/* ---- kmalloc sizes ---- */

TEST(lint_kmalloc_large)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S1, 16384, GFP_KERNEL, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "kmalloc-large");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	ASSERT_STREQ(nth(l, 0)->site, "my_func+0x10");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S1, 8192, GFP_KERNEL, C_PROC)), "");	/* kmalloc-8k */
	ASSERT_STREQ(IDS(&env, km(S1, 8193, GFP_KERNEL, C_PROC)), "kmalloc-large");
	ASSERT_STREQ(IDS(&env, km(S1, 16384, GFP_KERNEL | G_NOWARN, C_PROC)), "kmalloc-large");
	/* KMALLOC_MAX_SIZE = 4096 << MAX_PAGE_ORDER: still served */
	ASSERT_STREQ(IDS(&env, km(S1, 4096 << 10, GFP_KERNEL, C_PROC)), "kmalloc-large");
	/* kmem_cache_alloc is not kmalloc */
	ASSERT_STREQ(IDS(&env, cache_alloc(S1, CACHE_PLAIN, GFP_KERNEL, C_PROC)), "");
}

TEST(lint_kmalloc_too_large)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S2, (4096 << 10) + 1, GFP_KERNEL, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "kmalloc-too-large");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	ASSERT_STREQ(nth(l, 0)->site, "other_func+0x20");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S2, 64 << 20, GFP_KERNEL, C_PROC)), "kmalloc-too-large");
	/* the caller expects the failure */
	ASSERT_STREQ(IDS(&env, km(S2, (4096 << 10) + 1, GFP_KERNEL | G_NOWARN, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S2, 64 << 20, GFP_NOWAIT, C_PROC)), "");
	/* a smaller MAX_PAGE_ORDER */
	env.nr_page_orders = 9;
	ASSERT_STREQ(IDS(&env, km(S2, (4096 << 8) + 1, GFP_KERNEL, C_PROC)), "kmalloc-too-large");
}

TEST(lint_kmalloc_large_kvmalloc)
{
	struct lint_env env = mkenv();
	const __u32 kv_gfp = GFP_KERNEL | G_NOWARN | G_NORETRY;	/* kmalloc_gfp_adjust() */
	const __u64 P = 0xffff888040000000ull;
	struct lint *l;

	/* the attempt inside __kvmalloc_node_noprof() */
	ASSERT_STREQ(IDS(&env, ptr(km(KV, 16384, kv_gfp, C_PROC), P)), "");
	/* ... and the same pointer traced again with the caller's call site */
	ASSERT_STREQ(IDS(&env, ptr(km(KV, 16384, kv_gfp, C_PROC), P),
			 ptr(km(KV_CALLER, 16384, GFP_KERNEL, C_PROC), P)), "");
	/* only right after the attempt: a later one is the caller's own kmalloc */
	l = RUN(&env, ptr(km(KV, 16384, kv_gfp, C_PROC), P),
		ptr(km(KV_CALLER, 16384, GFP_KERNEL, C_PROC), P),
		ptr(km(KV_CALLER, 16384, GFP_KERNEL, C_PROC), P));
	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "kmalloc-large");
	ASSERT_STREQ(nth(l, 0)->site, "my_table_alloc+0x50");
	ASSERT_EQ(nth(l, 0)->count, 1);
	lint__free(l);
	/* another pointer, or another CPU: not the kvmalloc's */
	ASSERT_STREQ(IDS(&env, ptr(km(KV, 16384, kv_gfp, C_PROC), P),
			 ptr(km(KV_CALLER, 16384, GFP_KERNEL, C_PROC), P + 0x8000)), "kmalloc-large");
	ASSERT_STREQ(IDS(&env, ptr(km(KV, 16384, kv_gfp, C_PROC), P),
			 cpu(ptr(km(KV_CALLER, 16384, GFP_KERNEL, C_PROC), P), 1)), "kmalloc-large");
}

TEST(lint_kvmalloc_no_fallback)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(KV, 3 * 4096, GFP_ATOMIC | G_NOWARN | G_NORETRY, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "kvmalloc-no-fallback");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	ASSERT_U64_EQ(nth(l, 0)->call_site, KV);
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(KV, 3 * 4096, GFP_ATOMIC, C_PROC)), "kvmalloc-no-fallback");
	ASSERT_STREQ(IDS(&env, km(KV, 3 * 4096, GFP_NOWAIT, C_PROC)), "kvmalloc-no-fallback");
	ASSERT_STREQ(IDS(&env, km(KV, 64 << 10, GFP_ATOMIC | G_NOWARN, C_PROC)),
		     "kvmalloc-no-fallback");
	/* 6.15+ strips direct reclaim above a page: __GFP_IO/__GFP_FS tell a blocking caller */
	ASSERT_STREQ(IDS(&env, km(KV, 3 * 4096, G_KSWAPD | G_IO | G_FS | G_NOWARN, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(KV, 3 * 4096, GFP_KERNEL | G_NOWARN, C_PROC)), "");
	/* up to a page kvmalloc never falls back */
	ASSERT_STREQ(IDS(&env, km(KV, 4096, GFP_ATOMIC, C_PROC)), "");
	/* not a kvmalloc call site: kmalloc-large instead */
	ASSERT_STREQ(IDS(&env, km(S1, 3 * 4096, GFP_ATOMIC, C_PROC)), "kmalloc-large");
	/* the caller-site echo is not a second kvmalloc-no-fallback */
	l = RUN(&env, ptr(km(KV, 3 * 4096, GFP_ATOMIC, C_PROC), 0xffff888041000000ull),
		ptr(km(KV_CALLER, 3 * 4096, GFP_ATOMIC, C_PROC), 0xffff888041000000ull));
	ASSERT_STREQ(ids_of(l), "kvmalloc-no-fallback");
	ASSERT_EQ(nth(l, 0)->count, 1);
	lint__free(l);
}

/* ---- slab flags ---- */

TEST(lint_slab_dma32_highmem)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S1, 64, GFP_KERNEL | G_DMA32, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "slab-dma32-highmem");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL | G_HIGHMEM, C_PROC)), "slab-dma32-highmem");
	ASSERT_STREQ(IDS(&env, cache_alloc(S1, CACHE_PLAIN, GFP_KERNEL | G_DMA32, C_PROC)),
		     "slab-dma32-highmem");
	/* the page allocator takes them */
	ASSERT_STREQ(IDS(&env, pg(0, GFP_KERNEL | G_HIGHMEM, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pg(0, GFP_KERNEL | G_DMA32, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_PROC)), "");
}

TEST(lint_zero_with_ctor)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, cache_alloc(S2, CACHE_CTOR, GFP_KERNEL | G_ZERO, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "zero-with-ctor");
	ASSERT_STREQ(sev_of(nth(l, 0)), "warning");
	ASSERT_STREQ(nth(l, 0)->site, "other_func+0x20");
	ASSERT_U64_EQ(nth(l, 0)->example.aux, CACHE_CTOR);
	lint__free(l);
	ASSERT_STREQ(IDS(&env, cache_alloc(S2, CACHE_PLAIN, GFP_KERNEL | G_ZERO, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, cache_alloc(S2, CACHE_CTOR, GFP_KERNEL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, cache_alloc(S2, 0xffff888100900000ull, GFP_KERNEL | G_ZERO, C_PROC)),
		     "");	/* unknown cache */
	ASSERT_STREQ(IDS(&env, km(S2, 64, GFP_KERNEL | G_ZERO, C_PROC)), "");
}

TEST(lint_gfp_dma)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S1, 64, GFP_KERNEL | G_DMA, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "gfp-dma");
	ASSERT_STREQ(sev_of(nth(l, 0)), "info");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, pg(0, GFP_KERNEL | G_DMA, C_PROC)), "gfp-dma");
	ASSERT_STREQ(IDS(&env, cache_alloc(S1, CACHE_PLAIN, GFP_KERNEL | G_DMA, C_PROC)), "gfp-dma");
	ASSERT_STREQ(IDS(&env, pcpu(S1, false, GFP_KERNEL | G_DMA, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL | G_DMA32, C_PROC)), "slab-dma32-highmem");
}

TEST(lint_explicit_nofs_noio)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S1, 64, GFP_NOFS, C_PROC));

	ASSERT_EQ(nr_findings(l), 1);
	ASSERT_STREQ(lint_rules[nth(l, 0)->rule].id, "explicit-nofs-noio");
	ASSERT_STREQ(sev_of(nth(l, 0)), "info");
	ASSERT_STREQ(nth(l, 0)->site, "my_func+0x10");
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_NOIO, C_PROC)), "explicit-nofs-noio");
	ASSERT_STREQ(IDS(&env, cache_alloc(S1, CACHE_PLAIN, GFP_NOFS, C_PROC)), "explicit-nofs-noio");
	/* page allocations, non-blocking and plain GFP_KERNEL ones are not */
	ASSERT_STREQ(IDS(&env, pg(0, GFP_NOFS, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, pcpu(S1, false, GFP_NOFS, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_ATOMIC, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_NOWAIT, C_PROC)), "");
}

/* ---- percpu ---- */

TEST(lint_percpu_atomic_flag)
{
	struct lint_env env = mkenv();

	/* is_atomic (arg bit 1), not the GFP bits, says whether pcpu_alloc() may block */
	ASSERT_STREQ(IDS(&env, pcpu(S1, false, GFP_KERNEL, C_SPIN)), "sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, pcpu(S1, true, GFP_ATOMIC, C_SPIN)), "");
	ASSERT_STREQ(IDS(&env, pcpu(S1, true, GFP_ATOMIC, C_SOFTIRQ)), "");
	ASSERT_STREQ(IDS(&env, pcpu(S1, false, GFP_KERNEL, C_PROC)), "");
	env.site_rules = true;
	ASSERT_STREQ(IDS(&env, pcpu(S1, true, GFP_ATOMIC, C_PROC)), "");
}

/* ---- atomic-where-sleepable ---- */

TEST(lint_atomic_where_sleepable)
{
	struct lint_env env = mkenv();
	struct kmt_event e[] = {
		stack(km(S1, 64, GFP_ATOMIC, C_PROC), 4),
		km(S2, 64, GFP_ATOMIC, C_PROC),
		stack(km(S1, 64, GFP_ATOMIC, C_PROC), 5),
		km(S2, 64, GFP_ATOMIC, C_SOFTIRQ),
		km(S1, 64, GFP_ATOMIC, C_PROC),
	};
	const struct lint_finding *f;
	struct lint *l;

	env.site_rules = true;
	l = run(&env, e, 5);
	ASSERT_STREQ(ids_of(l), "atomic-where-sleepable");
	f = nth(l, 0);
	ASSERT_STREQ(sev_of(f), "info");
	ASSERT_U64_EQ(f->call_site, S1);
	ASSERT_STREQ(f->site, "my_func+0x10");
	ASSERT_EQ(f->count, 3);
	ASSERT_EQ(f->stack_id, -1);		/* one finding per site, whatever the stacks */
	ASSERT_EQ(f->first_ts, e[0].ts);
	ASSERT_EQ(f->last_ts, e[4].ts);
	ASSERT_EQ(f->example.gfp, GFP_ATOMIC);
	ASSERT_STREQ(f->comm, "worker");
	ASSERT_EQ(lint__stats(l)->findings[LINT_ATOMIC_WHERE_SLEEPABLE], 3);
	ASSERT_EQ(lint__count(l, LINT_WARNING), 0);
	ASSERT_EQ(lint__count(l, LINT_INFO), 1);
	lint__free(l);

	/* GFP_NOWAIT too */
	ASSERT_STREQ(IDS(&env, km(S4, 64, GFP_NOWAIT, C_PROC)), "atomic-where-sleepable");
	/* seen in atomic context once (any flags): not a candidate */
	ASSERT_STREQ(IDS(&env, km(S4, 64, GFP_ATOMIC, C_PROC), km(S4, 64, GFP_ATOMIC, C_SPIN)), "");
	ASSERT_STREQ(IDS(&env, km(S4, 64, GFP_ATOMIC, C_PROC), km(S4, 64, GFP_ATOMIC, C_RCU)), "");
	/* GFP_KERNEL in process context, or an unknown context: nothing to say */
	ASSERT_STREQ(IDS(&env, km(S4, 64, GFP_KERNEL, C_PROC)), "");
	ASSERT_STREQ(IDS(&env, km(S4, 64, GFP_ATOMIC, C_UNKNOWN)), "");
	/* page and vmap events have no call site */
	ASSERT_STREQ(IDS(&env, pg(0, GFP_ATOMIC, C_PROC)), "");
	/* kvmalloc's attempt: its flags are the caller's, adjusted */
	ASSERT_STREQ(IDS(&env, km(KV, 64, GFP_ATOMIC, C_PROC)), "");

	/* without every allocation seen (live lint's filter), the rule is off */
	env.site_rules = false;
	ASSERT_STREQ(lint_ids(&env, e, 5), "");
}

/* ---- folding page findings into the allocation they back ---- */

TEST(lint_fold_slab_page)
{
	struct lint_env env = mkenv();
	struct kmt_event e[] = {
		pg(0, GFP_KERNEL, C_SPIN),			/* the new slab */
		km(S1, 64, GFP_KERNEL, C_SPIN),
	};
	const struct lint_finding *f;
	struct lint *l = run(&env, e, 2);

	ASSERT_STREQ(ids_of(l), "sleep-in-atomic");
	f = nth(l, 0);
	ASSERT_U64_EQ(f->call_site, S1);		/* the kmalloc's */
	ASSERT_STREQ(f->site, "my_func+0x10");
	ASSERT_EQ(f->example.type, KMT_EV_KMALLOC);
	ASSERT_EQ(f->count, 1);
	ASSERT_EQ(f->backing_pages, 1);
	ASSERT_EQ(lint__stats(l)->folded_pages, 1);
	ASSERT_EQ(lint__stats(l)->findings[LINT_SLEEP_IN_ATOMIC], 1);
	ASSERT_EQ(lint__stats(l)->allocs, 2);
	lint__free(l);
}

TEST(lint_fold_needs_same_task_and_context)
{
	struct lint_env env = mkenv();
	struct kmt_event e[] = {
		pg(0, GFP_KERNEL, C_SPIN),
		tid(km(S1, 64, GFP_KERNEL, C_SPIN), 8),
	};
	const struct lint_finding *a, *b;
	struct lint *l = run(&env, e, 2);

	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,sleep-in-atomic");
	a = nth(l, 0);
	b = nth(l, 1);
	if (a->call_site)	/* same rule and count: the order of the two is free */
		a = nth(l, 1), b = nth(l, 0);
	ASSERT_EQ(a->call_site, 0);
	ASSERT_EQ(a->example.type, KMT_EV_PAGE_ALLOC);
	ASSERT_STREQ(a->site, "?");
	ASSERT_STREQ(a->comm, "worker");
	ASSERT_U64_EQ(b->call_site, S1);
	ASSERT_STREQ(b->comm, "other");
	ASSERT_EQ(a->backing_pages, 0);
	ASSERT_EQ(b->backing_pages, 0);
	ASSERT_EQ(lint__stats(l)->folded_pages, 0);
	ASSERT_EQ(lint__stats(l)->findings[LINT_SLEEP_IN_ATOMIC], 2);
	lint__free(l);

	/* another context, another CPU: two findings */
	ASSERT_STREQ(IDS(&env, pg(0, GFP_KERNEL, C_SPIN), km(S1, 64, GFP_KERNEL, C_PROC | 2)),
		     "sleep-in-atomic,sleep-in-atomic");
	ASSERT_STREQ(IDS(&env, pg(0, GFP_KERNEL, C_SPIN), cpu(km(S1, 64, GFP_KERNEL, C_SPIN), 1)),
		     "sleep-in-atomic,sleep-in-atomic");
	/* the next allocation is clean (GFP_ATOMIC): the page stands alone */
	l = RUN(&env, pg(0, GFP_KERNEL, C_SPIN), km(S1, 64, GFP_ATOMIC, C_SPIN));
	ASSERT_STREQ(ids_of(l), "sleep-in-atomic");
	ASSERT_EQ(nth(l, 0)->call_site, 0);
	ASSERT_EQ(lint__stats(l)->folded_pages, 0);
	lint__free(l);
	/* a page finding with a stack is named by its first non-allocator frame */
	l = RUN(&env, stack(pg(0, GFP_KERNEL, C_SPIN), STACK_DRV));
	ASSERT_STREQ(ids_of(l), "sleep-in-atomic");
	ASSERT_STREQ(nth(l, 0)->site, "my_driver_fill [mydrv]");
	lint__free(l);
}

TEST(lint_fold_keeps_page_only_rules)
{
	struct lint_env env = mkenv();
	/* kmalloc_large(): its order-2 pages, then the kmalloc event */
	struct lint *l = RUN(&env, pg(2, GFP_KERNEL | G_NOFAIL | G_COMP, C_SPIN),
			     km(S1, 16384, GFP_KERNEL | G_NOFAIL, C_SPIN));
	const struct lint_finding *f;

	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,nofail-high-order,kmalloc-large");
	f = nth(l, 0);
	ASSERT_U64_EQ(f->call_site, S1);
	ASSERT_EQ(f->backing_pages, 1);
	ASSERT_EQ(nth(l, 1)->call_site, 0);		/* the page's own */
	ASSERT_EQ(nth(l, 1)->example.order, 2);
	ASSERT_U64_EQ(nth(l, 2)->call_site, S1);
	ASSERT_EQ(lint__stats(l)->folded_pages, 1);
	lint__free(l);
}

TEST(lint_fold_vmalloc_pages)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, vmap(3 * 4096, C_SPIN), pg(0, GFP_KERNEL | G_HIGHMEM, C_SPIN),
			     pg(0, GFP_KERNEL | G_HIGHMEM, C_SPIN),
			     pg(0, GFP_KERNEL | G_HIGHMEM, C_SPIN));
	const struct lint_finding *f;

	ASSERT_STREQ(ids_of(l), "vmalloc-in-atomic");
	f = nth(l, 0);
	ASSERT_EQ(f->count, 1);
	ASSERT_EQ(f->backing_pages, 3);
	ASSERT_EQ(lint__stats(l)->folded_pages, 3);
	ASSERT_EQ(lint__stats(l)->findings[LINT_SLEEP_IN_ATOMIC], 0);
	lint__free(l);
	/* another task's page is its own finding */
	l = RUN(&env, vmap(4096, C_SPIN), pg(0, GFP_KERNEL, C_SPIN), tid(pg(0, GFP_KERNEL, C_SPIN), 8));
	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,vmalloc-in-atomic");	/* errors by rule */
	ASSERT_EQ(nth(l, 0)->example.tid, 8);
	ASSERT_EQ(nth(l, 1)->backing_pages, 1);
	ASSERT_EQ(lint__stats(l)->folded_pages, 1);
	lint__free(l);
	/* a clean vmalloc owns nothing */
	ASSERT_STREQ(IDS(&env, vmap(4096, C_PROC), pg(0, GFP_KERNEL, C_PROC)), "");
}

/* ---- grouping and order ---- */

TEST(lint_grouping)
{
	struct lint_env env = mkenv();
	struct kmt_event e[] = {
		stack(km(S1, 64, GFP_KERNEL, C_SPIN), 5),
		stack(km(S1, 64, GFP_KERNEL, C_BH), 5),
		stack(km(S1, 64, GFP_KERNEL, C_SOFTIRQ), 5),
	};
	const struct lint_finding *f;
	struct lint *l = run(&env, e, 3);

	ASSERT_STREQ(ids_of(l), "sleep-in-atomic");
	f = nth(l, 0);
	ASSERT_EQ(f->count, 3);
	ASSERT_EQ(f->stack_id, 5);
	ASSERT_EQ(f->first_ts, e[0].ts);
	ASSERT_EQ(f->last_ts, e[2].ts);
	ASSERT_EQ(f->example.ctx, C_SPIN);		/* the first one */
	ASSERT_EQ(lint__stats(l)->findings[LINT_SLEEP_IN_ATOMIC], 3);
	ASSERT_EQ(lint__count(l, LINT_ERROR), 1);
	lint__free(l);

	/* another stack, another call site, another rule: another finding */
	e[1].stack_id = 6;
	l = run(&env, e, 3);
	ASSERT_EQ(nr_findings(l), 2);
	ASSERT_EQ(nth(l, 0)->count, 2);		/* by count within a severity */
	ASSERT_EQ(nth(l, 0)->stack_id, 5);
	ASSERT_EQ(nth(l, 1)->count, 1);
	ASSERT_EQ(nth(l, 1)->stack_id, 6);
	lint__free(l);
	ASSERT_STREQ(IDS(&env, km(S1, 64, GFP_KERNEL, C_SPIN), km(S2, 64, GFP_KERNEL, C_SPIN)),
		     "sleep-in-atomic,sleep-in-atomic");
	l = RUN(&env, km(S1, 64, GFP_NOFS, C_SPIN), km(S1, 64, GFP_NOFS, C_PROC));
	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,explicit-nofs-noio");
	ASSERT_EQ(nth(l, 1)->count, 2);
	lint__free(l);
}

TEST(lint_order_by_severity)
{
	struct lint_env env = mkenv();
	struct lint *l = RUN(&env, km(S1, 64, GFP_KERNEL | G_DMA, C_PROC),	/* info */
			     km(S4, 64, GFP_KERNEL | G_DMA, C_PROC),		/* info x2 */
			     km(S4, 64, GFP_KERNEL | G_DMA, C_PROC),
			     km(S2, 16384, GFP_KERNEL, C_PROC),			/* warning */
			     km(S3, 64, GFP_KERNEL, C_HARDIRQ));		/* error */

	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,kmalloc-large,gfp-dma,gfp-dma");
	ASSERT_STREQ(nth(l, 0)->site, "0xffffffff81c00030");	/* no symbol */
	ASSERT_STREQ(nth(l, 1)->site, "other_func+0x20");
	ASSERT_STREQ(nth(l, 2)->site, "fourth_func+0x40");
	ASSERT_EQ(nth(l, 2)->count, 2);
	ASSERT_STREQ(nth(l, 3)->site, "my_func+0x10");
	ASSERT_EQ(lint__count(l, LINT_ERROR), 1);
	ASSERT_EQ(lint__count(l, LINT_WARNING), 2);
	ASSERT_EQ(lint__count(l, LINT_INFO), 4);
	lint__free(l);
}

/* ---- the event stream ---- */

static void count_new(void *ctx, const struct lint *l, const struct lint_finding *f)
{
	(void)l;
	(void)f;
	++*(int *)ctx;
}

TEST(lint_events_and_callback)
{
	struct lint_env env = mkenv();
	struct kmt_event fr = km(S1, 0, 0, C_SPIN), e[] = {
		km(S1, 64, GFP_KERNEL, C_SPIN), km(S1, 64, GFP_KERNEL, C_SPIN),
		km(S2, 64, GFP_ATOMIC, C_PROC), km(S1, 64, GFP_KERNEL, C_SPIN),
	};
	struct lint *l;
	int calls = 0;

	env.site_rules = true;
	fr.type = KMT_EV_KFREE;
	l = lint__new(&env, NULL, 0, count_new, &calls);
	ASSERT_TRUE(l != NULL);
	lint__event(l, &fr);
	for (int i = 0; i < 4; i++)
		lint__event(l, &e[i]);
	ASSERT_EQ(calls, 1);			/* once per new group, as it appears */
	lint__finish(l);
	ASSERT_EQ(calls, 2);			/* + the site rule, at the end */
	lint__finish(l);			/* idempotent */
	lint__event(l, &e[0]);			/* after the end: counted, not checked */
	ASSERT_EQ(calls, 2);
	ASSERT_EQ(lint__stats(l)->events, 6);
	ASSERT_EQ(lint__stats(l)->allocs, 4);
	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,atomic-where-sleepable");
	ASSERT_EQ(nth(l, 0)->count, 3);
	lint__free(l);
}

/* ---- suppressions ---- */

static const char supp_text[] =
	"# comment\n"
	"\n"
	"sleep-in-atomic my_func  # accepted: holds a mutex really\n"
	"* other_func\n";

TEST(lint_parse_suppressions)
{
	struct lint_suppression *s = NULL;
	char why[256] = "";
	int n = -1;

	ASSERT_EQ(lint__parse_suppressions(supp_text, &s, &n, why, sizeof(why)), 0);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(s[0].rule, LINT_SLEEP_IN_ATOMIC);
	ASSERT_STREQ(s[0].site, "my_func");
	ASSERT_STREQ(s[0].comment, "accepted: holds a mutex really");
	ASSERT_EQ(s[0].line, 3);
	ASSERT_EQ(s[0].used, 0);
	ASSERT_EQ(s[1].rule, -1);
	ASSERT_STREQ(s[1].site, "other_func");
	ASSERT_STREQ(s[1].comment, "");
	ASSERT_EQ(s[1].line, 4);
	free(s);

	/* a SITE written as the finding shows it */
	ASSERT_EQ(lint__parse_suppressions("gfp-dma my_func+0x10/0x40 # ok", &s, &n, why,
					   sizeof(why)), 0);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(s[0].rule, LINT_GFP_DMA);
	ASSERT_STREQ(s[0].site, "my_func");
	ASSERT_STREQ(s[0].comment, "ok");
	free(s);
	ASSERT_EQ(lint__parse_suppressions("", &s, &n, why, sizeof(why)), 0);
	ASSERT_EQ(n, 0);
	free(s);
	ASSERT_EQ(lint__parse_suppressions("  # indented\n\t\n", &s, &n, why, sizeof(why)), 0);
	ASSERT_EQ(n, 0);
	free(s);
}

TEST(lint_parse_suppressions_errors)
{
	struct lint_suppression *s = (void *)1;
	char why[256] = "";
	int n = -1;

	ASSERT_EQ(lint__parse_suppressions("nosuch-rule x", &s, &n, why, sizeof(why)), -EINVAL);
	ASSERT_CONTAINS(why, "line 1");
	ASSERT_CONTAINS(why, "nosuch-rule");
	ASSERT_TRUE(s == NULL);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(lint__parse_suppressions("# c\nsleep-in-atomic\n", &s, &n, why, sizeof(why)),
		  -EINVAL);
	ASSERT_CONTAINS(why, "line 2");
	ASSERT_EQ(lint__parse_suppressions("\n\n* my_func trailing words\n", &s, &n, why,
					   sizeof(why)), -EINVAL);
	ASSERT_CONTAINS(why, "line 3");
	ASSERT_EQ(lint__parse_suppressions("gfp-dma # no site\n", &s, &n, why, sizeof(why)),
		  -EINVAL);
	ASSERT_CONTAINS(why, "line 1");
}

TEST(lint_suppressed_finding)
{
	struct lint_env env = mkenv();
	struct lint_suppression *s = NULL;
	const struct lint_suppression *used;
	const struct lint_finding *f;
	char why[256];
	struct lint *l;
	int n, nu, calls = 0;

	ASSERT_EQ(lint__parse_suppressions(supp_text, &s, &n, why, sizeof(why)), 0);
	l = lint__new(&env, s, n, count_new, &calls);
	free(s);				/* the engine keeps its own copy */
	ASSERT_TRUE(l != NULL);
	{
		struct kmt_event e = km(S1, 64, GFP_KERNEL, C_SPIN);

		lint__event(l, &e);
	}
	lint__finish(l);
	ASSERT_EQ(nr_findings(l), 1);
	f = nth(l, 0);
	ASSERT_STREQ(f->site, "my_func+0x10");
	ASSERT_GE(f->suppressed_by, 0);
	ASSERT_EQ(f->suppressed_by, 0);
	ASSERT_EQ(lint__count(l, LINT_ERROR), 0);
	ASSERT_EQ(lint__count(l, LINT_INFO), 0);
	ASSERT_EQ(lint__stats(l)->findings[LINT_SLEEP_IN_ATOMIC], 1);	/* still counted */
	ASSERT_EQ(calls, 0);			/* not announced */
	used = lint__suppressions(l, &nu);
	ASSERT_EQ(nu, 2);
	ASSERT_EQ(used[0].used, 1);
	ASSERT_EQ(used[1].used, 0);
	lint__free(l);
}

TEST(lint_suppression_matching)
{
	struct lint_env env = mkenv();
	struct lint_suppression *s = NULL;
	const struct lint_suppression *used;
	char why[256];
	struct lint *l;
	int n, nu;

	ASSERT_EQ(lint__parse_suppressions(supp_text, &s, &n, why, sizeof(why)), 0);
	l = run_supp(&env, EVS(km(S1, 64, GFP_NOFS, C_PROC),		/* other rule, my_func */
			       km(S2, 64, GFP_KERNEL, C_SPIN),		/* '*' at other_func */
			       km(S2, 64, GFP_KERNEL | G_DMA, C_PROC),
			       km(S3, 64, GFP_KERNEL, C_SPIN)), 4, s, n);	/* no symbol */
	free(s);
	ASSERT_TRUE(l != NULL);
	ASSERT_STREQ(ids_of(l), "sleep-in-atomic,sleep-in-atomic,gfp-dma,explicit-nofs-noio");
	for (size_t i = 0; i < nr_findings(l); i++) {
		const struct lint_finding *f = nth(l, i);
		int want = f->call_site == S2 ? 1 : -1;

		if (f->suppressed_by != want)
			FAIL("%s at %s: suppressed_by %d, want %d", lint_rules[f->rule].id, f->site,
			     f->suppressed_by, want);
	}
	ASSERT_EQ(lint__count(l, LINT_ERROR), 1);	/* S3's */
	ASSERT_EQ(lint__count(l, LINT_INFO), 2);	/* + my_func's explicit-nofs-noio */
	used = lint__suppressions(l, &nu);
	ASSERT_EQ(used[0].used, 0);
	ASSERT_EQ(used[1].used, 2);			/* two groups */
	lint__free(l);

	/* a module symbol, and a site taken from the stack */
	ASSERT_EQ(lint__parse_suppressions("vmalloc-in-atomic my_driver_fill", &s, &n, why,
					   sizeof(why)), 0);
	l = run_supp(&env, EVS(stack(vmap(4096, C_SPIN), STACK_DRV)), 1, s, n);
	free(s);
	ASSERT_STREQ(ids_of(l), "vmalloc-in-atomic");
	ASSERT_EQ(nth(l, 0)->suppressed_by, 0);
	ASSERT_EQ(lint__count(l, LINT_INFO), 0);
	lint__free(l);
}

/* ---- kmmtrace lint ---- */

static int write_lint_trace(const char *path, const struct kmt_event *e, size_t n)
{
	struct kmt_sym sym = { .addr = S1, .offset = 0x10, .name = "my_func" };
	struct kmt_task t = { .tgid = 7, .tid = 7, .comm = "worker" };
	struct trace_writer *w = tb_writer(path, 0, 0);

	if (!w)
		return -1;
	trace_writer__meta_add(w, KMT_META_GFP_TABLE, gfp_table, sizeof(gfp_table));
	tb_meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	tb_meta_u32(w, KMT_META_NR_PAGE_ORDERS, 11);
	trace_writer__meta_flush(w);
	trace_writer__add_sym(w, &sym);
	trace_writer__add_task(w, &t);
	return tb_finish(w, e, n);
}

/* stdout of `kmmtrace lint ARGS` (malloc'ed) and its exit status (-1 if it did not exit). */
static char *run_lint(const char *args, int *status)
{
	char cmd[2048], *text = malloc(1 << 20);
	size_t n;
	FILE *p;
	int st;

	*status = -1;
	if (!text)
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s lint %s 2>/dev/null", kmt_test__binary(), args);
	p = popen(cmd, "r");
	if (!p) {
		free(text);
		return NULL;
	}
	n = fread(text, 1, (1 << 20) - 1, p);
	text[n] = 0;
	st = pclose(p);
	if (st != -1 && WIFEXITED(st))
		*status = WEXITSTATUS(st);
	return text;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

TEST(lint_cmd_json_error)
{
	char path[512], args[1100], *out;
	const struct json *f;
	struct kmt_event e = km(S1, 64, GFP_KERNEL, C_SPIN);
	struct json *j;
	int st;

	snprintf(path, sizeof(path), "%s/err.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_lint_trace(path, &e, 1), 0);
	snprintf(args, sizeof(args), "-j %s", path);
	out = run_lint(args, &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(st, 1);
	j = json_parse(out, NULL);
	free(out);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_len(json_get(j, "findings")), 1);
	f = json_at(json_get(j, "findings"), 0);
	ASSERT_STREQ(json_str(json_get(f, "rule")), "sleep-in-atomic");
	ASSERT_STREQ(json_str(json_get(f, "severity")), "error");
	ASSERT_STREQ(json_str(json_get(f, "site")), "my_func+0x10");
	ASSERT_EQ(json_num(json_get(f, "count"), -1), 1);
	ASSERT_STREQ(json_str(json_get(json_get(f, "example"), "gfp")), "GFP_KERNEL");
	ASSERT_STREQ(json_str(json_get(json_get(f, "example"), "comm")), "worker");
	ASSERT_EQ(json_num(json_get(json_get(j, "summary"), "error"), -1), 1);
	ASSERT_EQ(json_num(json_get(json_get(j, "summary"), "suppressed"), -1), 0);
	ASSERT_EQ(json_num(json_get(json_get(j, "checked"), "allocations"), -1), 1);
	json_free(j);
}

TEST(lint_cmd_suppressed_and_clean)
{
	char path[512], supp[512], args[1200], *out;
	struct kmt_event e = km(S1, 64, GFP_KERNEL, C_SPIN), ok = km(S1, 64, GFP_KERNEL, C_PROC);
	const struct json *s;
	struct json *j;
	int st;

	snprintf(path, sizeof(path), "%s/s.kmt", kmt_test__tmpdir());
	snprintf(supp, sizeof(supp), "%s/supp.txt", kmt_test__tmpdir());
	ASSERT_EQ(write_lint_trace(path, &e, 1), 0);
	ASSERT_EQ(write_file(supp, supp_text), 0);
	snprintf(args, sizeof(args), "-j --suppress %s %s", supp, path);
	out = run_lint(args, &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(st, 0);
	j = json_parse(out, NULL);
	free(out);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_num(json_get(json_get(j, "summary"), "error"), -1), 0);
	ASSERT_EQ(json_num(json_get(json_get(j, "summary"), "suppressed"), -1), 1);
	ASSERT_TRUE(json_get(json_at(json_get(j, "findings"), 0), "suppressed") != NULL);
	ASSERT_EQ(json_num(json_get(json_at(json_get(j, "findings"), 0), "suppressed"), 0), 1);
	s = json_at(json_get(j, "suppressions"), 0);
	ASSERT_STREQ(json_str(json_get(s, "rule")), "sleep-in-atomic");
	ASSERT_EQ(json_num(json_get(s, "used"), -1), 1);
	json_free(j);

	/* a bad suppressions file is a failure (2) */
	ASSERT_EQ(write_file(supp, "nosuch-rule my_func\n"), 0);
	out = run_lint(args, &st);
	free(out);
	ASSERT_EQ(st, 2);

	/* a clean trace */
	snprintf(path, sizeof(path), "%s/clean.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_lint_trace(path, &ok, 1), 0);
	snprintf(args, sizeof(args), "%s", path);
	out = run_lint(args, &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(st, 0);
	ASSERT_CONTAINS(out, "0 errors");
	free(out);
}

TEST(lint_cmd_rules)
{
	char *out;
	struct json *j;
	int st;

	out = run_lint("--rules", &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(st, 0);
	for (int i = 0; i < LINT_NR_RULES; i++)
		ASSERT_CONTAINS(out, lint_rules[i].id);
	free(out);
	out = run_lint("--rules -j", &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(st, 0);
	j = json_parse(out, NULL);
	free(out);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_len(j), LINT_NR_RULES);
	ASSERT_STREQ(json_str(json_get(json_at(j, 0), "rule")), "sleep-in-atomic");
	ASSERT_STREQ(json_str(json_get(json_at(j, 0), "severity")), "error");
	json_free(j);
}
