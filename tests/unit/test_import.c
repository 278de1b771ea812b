// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace import: captures of kernel 6.18 by perf script, tracefs and
 * trace-cmd report (tests/data/import/, see its README), hand-made lines for
 * contexts and older kernels, malformed lines, the GFP table rules, and a
 * round trip through cmd_import and the trace reader.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../test.h"
#include "gfp.h"
#include "import.h"
#include "trace.h"

int cmd_import(int argc, char **argv);	/* user/cmd_import.c */

#define NS(s, us)	((s) * 1000000000ull + (us) * 1000ull)	/* "s.us" timestamps */

/* ---- what an import hands to its sink, kept in memory ---- */

struct got {
	struct kmt_event *ev;
	size_t nr_ev, cap_ev;
	struct kmt_sym *syms;
	size_t nr_syms, cap_syms;
	struct kmt_task *tasks;
	size_t nr_tasks, cap_tasks;
	struct kmt_cache_def *caches;
	size_t nr_caches, cap_caches;
	struct kmt_stack *stacks;
	size_t nr_stacks, cap_stacks;
	struct import_stats st;
	int err;			/* importer__line's first error */
	__u64 err_line;
	char why[256];
};

static int push(void **arr, size_t *n, size_t *cap, const void *item, size_t sz)
{
	void *v;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		v = realloc(*arr, *cap * sz);
		if (!v)
			return -ENOMEM;
		*arr = v;
	}
	memcpy((char *)*arr + *n * sz, item, sz);
	(*n)++;
	return 0;
}

#define PUSH(g, f, item) push((void **)&(g)->f, &(g)->nr_##f, &(g)->cap_##f, item, sizeof(*(item)))

static int got_event(void *ctx, const struct kmt_event *e)
{
	return PUSH((struct got *)ctx, ev, e);
}

static int got_sym(void *ctx, const struct kmt_sym *s)
{
	return PUSH((struct got *)ctx, syms, s);
}

static int got_task(void *ctx, const struct kmt_task *t)
{
	return PUSH((struct got *)ctx, tasks, t);
}

static int got_stack(void *ctx, const struct kmt_stack *s)
{
	return PUSH((struct got *)ctx, stacks, s);
}

static int got_cache(void *ctx, const struct kmt_cache_def *c)
{
	return PUSH((struct got *)ctx, caches, c);
}

static void got_free(struct got *g)
{
	free(g->ev);
	free(g->syms);
	free(g->tasks);
	free(g->caches);
	free(g->stacks);
	memset(g, 0, sizeof(*g));
}

/* The table of the kernel the samples come from (tests/data/kmalloc-6.18.format). */
static struct kmt_gfp_entry *table_618(size_t *n)
{
	struct kmt_gfp_entry *t = NULL;
	char why[256], *text = kmt_test__data("kmalloc-6.18.format");

	*n = 0;
	if (text && gfp_table__from_format(text, NULL, &t, n, why, sizeof(why)))
		t = NULL;
	free(text);
	return t;
}

/* Imports text line by line; stops at the first error like the command does. */
static void import_text(const char *text, const struct kmt_gfp_entry *t, size_t n, struct got *g)
{
	struct import_opts o = { .sz = sizeof(o), .gfp = t, .nr_gfp = n };
	struct kmt_sink s = { g, got_event, got_cache, got_task, got_stack, got_sym };
	struct importer *imp = importer__new(&o, &s);
	__u64 lineno = 0;

	for (const char *p = text; !g->err && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		g->err = importer__line(imp, p, ++lineno);
		g->err_line = lineno;
	}
	if (!g->err)
		g->err = importer__finish(imp);
	g->st = *importer__stats(imp);
	snprintf(g->why, sizeof(g->why), "%s", importer__error(imp));
	importer__free(imp);
}

/* Imports tests/data/import/NAME with the 6.18 GFP table; false when the data is missing. */
static bool import_data(const char *name, struct got *g)
{
	char path[128], *text;
	struct kmt_gfp_entry *t;
	size_t n;

	snprintf(path, sizeof(path), "import/%s", name);
	text = kmt_test__data(path);
	t = table_618(&n);
	memset(g, 0, sizeof(*g));
	if (text && t)
		import_text(text, t, n, g);
	free(text);
	free(t);
	return text && t;
}

static const struct kmt_event *find_ev(const struct got *g, __u64 ts, unsigned int type)
{
	for (size_t i = 0; i < g->nr_ev; i++)
		if (g->ev[i].ts == ts && g->ev[i].type == type)
			return &g->ev[i];
	return NULL;
}

static const struct kmt_sym *find_sym(const struct got *g, __u64 addr)
{
	const struct kmt_sym *s = NULL;

	for (size_t i = 0; i < g->nr_syms; i++)	/* the last definition wins, as in a trace */
		if (g->syms[i].addr == addr)
			s = &g->syms[i];
	return s;
}

static const struct kmt_task *find_task(const struct got *g, __u32 tid)
{
	const struct kmt_task *t = NULL;

	for (size_t i = 0; i < g->nr_tasks; i++)
		if (g->tasks[i].tid == tid)
			t = &g->tasks[i];
	return t;
}

static const struct kmt_cache_def *find_cache(const struct got *g, __u64 cache)
{
	const struct kmt_cache_def *c = NULL;

	for (size_t i = 0; i < g->nr_caches; i++)
		if (g->caches[i].cache == cache)
			c = &g->caches[i];
	return c;
}

static __u32 mask(const char *names)
{
	struct kmt_gfp_entry *t;
	char buf[256];
	size_t n;
	__u32 m = ~0u;

	t = table_618(&n);
	snprintf(buf, sizeof(buf), "%s", names);
	if (t && gfp_parse(t, n, buf, &m))
		m = ~0u;
	free(t);
	return m;
}

#define IMPORT_OR_SKIP(name, g) do { if (!import_data(name, g)) \
	SKIP("tests/data/import/" name " or kmalloc-6.18.format missing"); } while (0)

/* ---- perf script ---- */

TEST(import_perf_script_kmalloc)
{
	struct got g;
	const struct kmt_event *e;
	const struct kmt_sym *s;
	const struct kmt_task *t;

	IMPORT_OR_SKIP("perf-script-6.18.txt", &g);
	ASSERT_EQ(g.err, 0);
	/* perf 11174 [000]  5212.317308: kmem:kmalloc: call_site=sched_setaffinity+0x10c
	 * ptr=0xffff888102cdec20 bytes_req=32 bytes_alloc=32 gfp_flags=GFP_KERNEL node=-1 */
	e = find_ev(&g, NS(5212, 317308), KMT_EV_KMALLOC);
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->ptr, 0xffff888102cdec20ull);
	ASSERT_EQ(e->size, 32);
	ASSERT_EQ(e->size2, 32);
	ASSERT_U64_EQ(e->gfp, mask("GFP_KERNEL"));
	ASSERT_U64_EQ(e->gfp, 0xcc0);
	ASSERT_EQ(e->node, -1);
	ASSERT_EQ(e->cpu, 0);
	ASSERT_EQ(e->tid, 11174);
	ASSERT_EQ(e->tgid, 0);			/* perf script prints the tid alone */
	ASSERT_EQ(e->ctx, 0);
	ASSERT_EQ(e->flags, KMT_EVF_NO_CTX);	/* no latency columns; a real address */
	ASSERT_EQ(e->stack_id, -1);
	ASSERT_TRUE(KMT_IMPORT_IS_SYNTHETIC(e->call_site));
	s = find_sym(&g, e->call_site);
	ASSERT_TRUE(s);
	ASSERT_STREQ(s->name, "sched_setaffinity");
	ASSERT_EQ(s->offset, 0x10c);
	ASSERT_STREQ(s->module, "");
	t = find_task(&g, 11174);
	ASSERT_TRUE(t);
	ASSERT_STREQ(t->comm, "perf");
	got_free(&g);
}

TEST(import_perf_script_pages_and_counts)
{
	struct got g;
	const struct kmt_event *e;

	IMPORT_OR_SKIP("perf-script-6.18.txt", &g);
	/* kmem:mm_page_alloc: page=0x108458 pfn=0x108458 order=0 migratetype=0
	 * gfp_flags=GFP_HIGHUSER|__GFP_ACCOUNT */
	e = find_ev(&g, NS(5212, 317554), KMT_EV_PAGE_ALLOC);
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->ptr, 0x108458);
	ASSERT_EQ(e->order, 0);
	ASSERT_EQ(e->mt, 0);
	ASSERT_U64_EQ(e->gfp, mask("GFP_HIGHUSER|__GFP_ACCOUNT"));
	ASSERT_EQ(e->cpu, 1);
	ASSERT_EQ(g.st.lines, 253);
	ASSERT_EQ(g.st.malformed, 0);
	ASSERT_EQ(g.st.other_events, 84);	/* kmem:rss_stat */
	ASSERT_EQ(g.st.events, 169);
	ASSERT_EQ(g.st.by_format[IMPORT_FMT_PERF], 253);
	ASSERT_EQ(g.st.by_type[KMT_EV_KMALLOC], 12);
	ASSERT_EQ(g.st.by_type[KMT_EV_CACHE_ALLOC], 17);
	ASSERT_EQ(g.st.by_type[KMT_EV_PAGE_PCPU_DRAIN], 12);
	ASSERT_EQ(g.st.by_type[KMT_EV_PERCPU_FREE], 6);
	ASSERT_EQ(g.st.by_type[KMT_EV_TLB_FLUSH], 14);
	ASSERT_EQ(g.st.by_type[KMT_EV_VMAP_ALLOC], 12);
	ASSERT_EQ(g.st.no_ctx, 169);
	ASSERT_EQ(g.st.hashed, 0);
	ASSERT_EQ(g.st.max_cpu, 1);
	got_free(&g);
}

TEST(import_perf_script_callchains)
{
	struct got g;
	const struct kmt_event *e, *e2;
	const struct kmt_stack *st;
	const struct kmt_sym *s;

	IMPORT_OR_SKIP("perf-script-callchain-6.18.txt", &g);
	ASSERT_EQ(g.st.malformed, 0);
	ASSERT_EQ(g.st.events, 7);
	ASSERT_EQ(g.st.stacks, 7);
	/* ls 12226/12226 [001]  5313.204066785: kmem:mm_page_alloc: ... (--ns) */
	e = find_ev(&g, 5313204066785ull, KMT_EV_PAGE_ALLOC);
	ASSERT_TRUE(e);
	ASSERT_EQ(e->tgid, 12226);
	ASSERT_EQ(e->tid, 12226);
	ASSERT_GE(e->stack_id, 0);
	ASSERT_LT(e->stack_id, (long long)g.nr_stacks);
	st = &g.stacks[e->stack_id];
	ASSERT_EQ(st->id, e->stack_id);
	ASSERT_EQ(st->nr, 13);			/* the user frame is left out */
	ASSERT_U64_EQ(st->ips[0], 0xffffffff8162184bull);
	ASSERT_U64_EQ(st->ips[12], 0xffffffff81000130ull);
	s = find_sym(&g, st->ips[0]);
	ASSERT_TRUE(s);
	ASSERT_STREQ(s->name, "__alloc_frozen_pages_noprof");
	ASSERT_EQ(s->offset, 0x26b);
	/* two kmallocs from perf_event_mmap+0x155 via elf_load+0xaf: one stack */
	e = find_ev(&g, 5313204134326ull, KMT_EV_KMALLOC);
	e2 = find_ev(&g, 5313204142137ull, KMT_EV_KMALLOC);
	ASSERT_TRUE(e && e2);
	ASSERT_GE(e->stack_id, 0);
	ASSERT_EQ(e->stack_id, e2->stack_id);
	got_free(&g);
}

/* ---- tracefs ---- */

TEST(import_tracefs_fields)
{
	struct got g;
	const struct kmt_event *e;
	const struct kmt_sym *s;
	const struct kmt_cache_def *c;

	IMPORT_OR_SKIP("tracefs-6.18.txt", &g);
	ASSERT_EQ(g.err, 0);
	ASSERT_EQ(g.st.malformed, 0);
	ASSERT_EQ(g.st.events, 333);
	ASSERT_EQ(g.st.header_cpus, 2);			/* "#P:2" */
	/* bash-11371 [000] ..... 5233.698284: kmalloc: call_site=lsm_blob_alloc+0x3b/0x60
	 * ptr=000000002620e732 bytes_req=11 bytes_alloc=16
	 * gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO node=-1 */
	e = find_ev(&g, NS(5233, 698284), KMT_EV_KMALLOC);
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->ptr, 0x2620e732);
	ASSERT_EQ(e->flags, KMT_EVF_HASHED_PTR);
	ASSERT_EQ(e->size, 11);
	ASSERT_EQ(e->size2, 16);
	ASSERT_U64_EQ(e->gfp, mask("GFP_KERNEL_ACCOUNT|__GFP_ZERO"));
	ASSERT_U64_EQ(e->gfp, 0x400dc0);
	ASSERT_EQ(e->ctx, KMT_CTX_PC_KNOWN);		/* "....." */
	s = find_sym(&g, e->call_site);
	ASSERT_TRUE(s);
	ASSERT_STREQ(s->name, "lsm_blob_alloc");
	ASSERT_EQ(s->offset, 0x3b);
	/* kmem_cache_alloc: ... name=skbuff_head_cache bytes_req=224 bytes_alloc=256 */
	e = find_ev(&g, NS(5233, 733912), KMT_EV_CACHE_ALLOC);
	ASSERT_TRUE(e);
	c = find_cache(&g, e->aux);
	ASSERT_TRUE(c);
	ASSERT_STREQ(c->name, "skbuff_head_cache");
	ASSERT_EQ(c->object_size, 224);
	ASSERT_EQ(c->size, 256);
	ASSERT_EQ(c->order, -1);
	/* alloc_vmap_area: va_start: 18446683600570839040 size=8192 align=1 ... */
	e = find_ev(&g, NS(5233, 711196), KMT_EV_VMAP_ALLOC);
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->ptr, 0xffffc900000c7000ull);
	ASSERT_EQ(e->size, 8192);
	ASSERT_EQ(e->size2, 1);
	ASSERT_U64_EQ(e->aux, 0xffffc90000000000ull);
	ASSERT_U64_EQ(e->aux2, 0xffffe8ffffffffffull);
	/* purge_vmap_area_lazy: start=0xffffc90000065000 end=0xffffc90008839000 num_purged=89 */
	e = find_ev(&g, NS(5233, 722791), KMT_EV_VMAP_PURGE);
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->aux, 0xffffc90008839000ull);
	ASSERT_EQ(e->size, 89);
	/* percpu_alloc_percpu: ... size=16 align=8 base_addr=00000000c9055f85 off=43248 */
	e = find_ev(&g, NS(5233, 698311), KMT_EV_PERCPU_ALLOC);
	ASSERT_TRUE(e);
	ASSERT_EQ(e->size, 16);
	ASSERT_EQ(e->arg2, 8);
	ASSERT_EQ(e->arg, 0);
	ASSERT_U64_EQ(e->aux, 0xc9055f85);
	ASSERT_EQ(e->aux2, 43248);
	ASSERT_EQ(e->size2, 64);
	got_free(&g);
}

TEST(import_tracefs_latency_columns)
{
	struct got g;
	const struct kmt_event *e;

	IMPORT_OR_SKIP("tracefs-6.18.txt", &g);
	/* ..s2.: serving softirq, preempt depth 2 */
	e = find_ev(&g, NS(5233, 730909), KMT_EV_CACHE_FREE);
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->ctx, KMT_CTX_PC_KNOWN | KMT_CTX_SOFTIRQ_SERVING | 2);
	ASSERT_TRUE(KMT_CTX_IN_SERVING_SOFTIRQ(e->ctx));
	ASSERT_EQ(KMT_CTX_PREEMPT(e->ctx), 2);
	ASSERT_FALSE(e->ctx & KMT_CTX_RCU_KNOWN);
	ASSERT_FALSE(e->flags & KMT_EVF_NO_CTX);
	/* d.h..: hardirq, irqs off (counted, not representable) */
	e = find_ev(&g, NS(5233, 741473), KMT_EV_TLB_FLUSH);
	ASSERT_TRUE(e);
	ASSERT_TRUE(KMT_CTX_IN_HARDIRQ(e->ctx));
	ASSERT_EQ(KMT_CTX_PREEMPT(e->ctx), 0);
	ASSERT_EQ(e->arg, 5);				/* reason: remote wrong CPU (5) */
	ASSERT_EQ(e->size, 0);
	/* b..1.: BH disabled, depth 1 */
	e = find_ev(&g, NS(5233, 732155), KMT_EV_CACHE_ALLOC);
	ASSERT_TRUE(e);
	ASSERT_TRUE(KMT_CTX_BH_DISABLED(e->ctx));
	ASSERT_FALSE(KMT_CTX_IN_SERVING_SOFTIRQ(e->ctx));
	ASSERT_EQ(KMT_CTX_PREEMPT(e->ctx), 1);
	ASSERT_EQ(g.st.irqs_off, 43);			/* d and D columns in the sample */
	ASSERT_EQ(g.st.no_ctx, 0);
	got_free(&g);
}

TEST(import_tracefs_hashed_pointers_pair)
{
	struct got g;
	const struct kmt_event *a, *f;

	IMPORT_OR_SKIP("tracefs-6.18.txt", &g);
	/* line 42 kmem_cache_alloc and line 212 kmem_cache_free of ptr=00000000349a063c */
	a = find_ev(&g, NS(5233, 698328), KMT_EV_CACHE_ALLOC);
	f = find_ev(&g, NS(5233, 698948), KMT_EV_CACHE_FREE);
	ASSERT_TRUE(a && f);
	ASSERT_U64_EQ(a->ptr, 0x349a063c);
	ASSERT_U64_EQ(f->ptr, a->ptr);
	ASSERT_U64_EQ(f->aux, a->aux);			/* the same cache: anon_vma_chain */
	ASSERT_TRUE(a->flags & KMT_EVF_HASHED_PTR);
	ASSERT_TRUE(f->flags & KMT_EVF_HASHED_PTR);
	ASSERT_EQ(g.st.hashed, 214);			/* non-NULL ptr= or base_addr= */
	got_free(&g);
}

static bool same_event(const struct kmt_event *a, const struct kmt_event *b, bool ctx)
{
	__u32 fa = a->flags & ~(ctx ? 0 : KMT_EVF_NO_CTX);
	__u32 fb = b->flags & ~(ctx ? 0 : KMT_EVF_NO_CTX);

	return a->ts == b->ts && a->type == b->type && a->ptr == b->ptr &&
	       a->call_site == b->call_site && a->size == b->size && a->size2 == b->size2 &&
	       a->aux == b->aux && a->aux2 == b->aux2 && a->cpu == b->cpu &&
	       a->tid == b->tid && a->tgid == b->tgid && a->gfp == b->gfp &&
	       a->node == b->node && a->order == b->order && a->mt == b->mt &&
	       a->arg == b->arg && a->arg2 == b->arg2 && fa == fb && (!ctx || a->ctx == b->ctx);
}

/* trace-cmd report and report -l of one capture: the same events; -l adds the context */
TEST(import_trace_cmd_report)
{
	struct got plain, lat;

	IMPORT_OR_SKIP("trace-cmd-report-6.18.txt", &plain);
	IMPORT_OR_SKIP("trace-cmd-report-l-6.18.txt", &lat);
	ASSERT_EQ(plain.st.malformed, 0);
	ASSERT_EQ(lat.st.malformed, 0);
	ASSERT_EQ(plain.st.header_cpus, 2);		/* "cpus=2" */
	ASSERT_EQ(plain.nr_ev, 80);
	ASSERT_EQ(lat.nr_ev, plain.nr_ev);
	ASSERT_EQ(plain.st.no_ctx, 80);
	ASSERT_EQ(lat.st.no_ctx, 0);
	for (size_t i = 0; i < plain.nr_ev; i++) {
		if (!same_event(&plain.ev[i], &lat.ev[i], false))
			FAIL("event %zu differs between report and report -l", i);
		if (!(lat.ev[i].ctx & KMT_CTX_PC_KNOWN))
			FAIL("event %zu of report -l has no context", i);
	}
	ASSERT_EQ(plain.ev[0].cpu, 1);
	ASSERT_EQ(plain.ev[0].tid, 12128);
	ASSERT_STREQ(find_task(&plain, 12128)->comm, "bash");	/* "kmtimp:" prefix dropped */
	got_free(&plain);
	got_free(&lat);
}

/* record-tgid and latency-format renderings of one tracefs buffer */
TEST(import_tracefs_tgid_and_latency_format)
{
	struct got tg, lf;

	IMPORT_OR_SKIP("tracefs-record-tgid-6.18.txt", &tg);
	IMPORT_OR_SKIP("tracefs-latency-format-6.18.txt", &lf);
	ASSERT_EQ(tg.st.malformed, 0);
	ASSERT_EQ(lf.st.malformed, 0);
	ASSERT_EQ(tg.nr_ev, 30);
	ASSERT_EQ(lf.nr_ev, tg.nr_ev);
	for (size_t i = 0; i < tg.nr_ev; i++)
		if (!same_event(&tg.ev[i], &lf.ev[i], true))
			FAIL("event %zu differs between record-tgid and latency-format", i);
	ASSERT_EQ(tg.ev[0].ts, NS(5304, 883137));	/* "5304883137us!:" */
	ASSERT_EQ(tg.ev[0].tgid, 0);			/* "(-------)" */
	ASSERT_EQ(tg.st.no_tgid, 30);
	got_free(&tg);
	got_free(&lf);
}

TEST(import_tracefs_stacktrace)
{
	struct got g;
	const struct kmt_stack *st;
	const struct kmt_sym *s;

	IMPORT_OR_SKIP("tracefs-stacktrace-6.18.txt", &g);
	ASSERT_EQ(g.st.malformed, 0);
	ASSERT_EQ(g.nr_ev, 3);
	ASSERT_EQ(g.st.stacks, 3);
	ASSERT_GE(g.ev[0].stack_id, 0);
	st = &g.stacks[g.ev[0].stack_id];
	ASSERT_EQ(st->nr, 11);
	s = find_sym(&g, st->ips[2]);
	ASSERT_TRUE(s);
	ASSERT_STREQ(s->name, "lsm_blob_alloc");
	ASSERT_EQ(s->offset, 0);
	/* the call site lsm_blob_alloc+0x3b sits 0x3b past the frame's synthetic symbol */
	ASSERT_U64_EQ(g.ev[0].call_site, st->ips[2] + 0x3b);
	got_free(&g);
}

/* ---- hand-made: contexts, failures, older kernels ---- */

TEST(import_hand_made_contexts)
{
	struct got g;
	const struct kmt_event *e;

	IMPORT_OR_SKIP("hand-made.txt", &g);
	ASSERT_EQ(g.st.malformed, 0);
	e = find_ev(&g, NS(5240, 1), KMT_EV_KMALLOC);		/* d.h1. */
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->ctx, KMT_CTX_PC_KNOWN | 0x10000 | 1);
	ASSERT_EQ(e->tid, 0);
	ASSERT_STREQ(find_task(&g, 0)->comm, "swapper");	/* <idle> */
	e = find_ev(&g, NS(5240, 2), KMT_EV_KFREE);		/* ..H2. */
	ASSERT_U64_EQ(e->ctx, KMT_CTX_PC_KNOWN | 0x10000 | KMT_CTX_SOFTIRQ_SERVING | 2);
	e = find_ev(&g, NS(5240, 3), KMT_EV_KMALLOC);		/* d.Z3. */
	ASSERT_TRUE(KMT_CTX_IN_NMI(e->ctx) && KMT_CTX_IN_HARDIRQ(e->ctx));
	ASSERT_EQ(KMT_CTX_PREEMPT(e->ctx), 3);
	e = find_ev(&g, NS(5240, 4), KMT_EV_CACHE_FREE);	/* D..1. */
	ASSERT_U64_EQ(e->ctx, KMT_CTX_PC_KNOWN | 0x200 | 1);
	e = find_ev(&g, NS(5240, 5), KMT_EV_PAGE_FREE);		/* ...a. */
	ASSERT_EQ(KMT_CTX_PREEMPT(e->ctx), 10);
	e = find_ev(&g, NS(5240, 6), KMT_EV_PAGE_FREE);		/* d.s1: 4 columns */
	ASSERT_U64_EQ(e->ctx, KMT_CTX_PC_KNOWN | KMT_CTX_SOFTIRQ_SERVING | 1);
	ASSERT_EQ(g.st.irqs_off, 5);
	got_free(&g);
}

TEST(import_hand_made_events)
{
	struct got g;
	const struct kmt_event *e;

	IMPORT_OR_SKIP("hand-made.txt", &g);
	e = find_ev(&g, NS(5240, 7), KMT_EV_PAGE_ALLOC);	/* failed: page NULL, pfn 0 */
	ASSERT_U64_EQ(e->ptr, ~0ull);
	ASSERT_EQ(e->order, 9);
	e = find_ev(&g, NS(5240, 25), KMT_EV_PAGE_ALLOC);	/* perf: page=(nil) */
	ASSERT_U64_EQ(e->ptr, ~0ull);
	e = find_ev(&g, NS(5240, 8), KMT_EV_PAGE_ALLOC_EXTFRAG);
	ASSERT_U64_EQ(e->ptr, 0x120000);
	ASSERT_EQ(e->order, 0);
	ASSERT_EQ(e->arg, 9);
	ASSERT_EQ(e->mt, 0);
	ASSERT_EQ(e->aux, 1);
	ASSERT_EQ(e->arg2, 1);
	ASSERT_EQ(g.st.pageblock_order, 9);
	e = find_ev(&g, NS(5240, 9), KMT_EV_PERCPU_CHUNK_CREATE);
	ASSERT_U64_EQ(e->ptr, 0xc9055f85);
	ASSERT_TRUE(find_ev(&g, NS(5240, 10), KMT_EV_PERCPU_CHUNK_DESTROY));
	e = find_ev(&g, NS(5240, 26), KMT_EV_PAGE_ALLOC_ZONE_LOCKED);
	ASSERT_EQ(e->arg, 1);
	ASSERT_EQ(e->mt, 1);
	ASSERT_EQ(g.st.lost, 42);				/* CPU:1 [LOST 42 EVENTS] */
	ASSERT_EQ(g.st.other_events, 1);			/* sched_switch */
	got_free(&g);
}

TEST(import_hand_made_old_kernels)
{
	struct got g;
	const struct kmt_event *e;

	IMPORT_OR_SKIP("hand-made.txt", &g);
	e = find_ev(&g, NS(5240, 11), KMT_EV_KMALLOC);		/* kmalloc_node, %lx site */
	ASSERT_TRUE(e);
	ASSERT_U64_EQ(e->call_site, 0xffffffff8120f3a1ull);
	ASSERT_FALSE(find_sym(&g, e->call_site));		/* an address: not symbolised */
	ASSERT_U64_EQ(e->ptr, 0xffff88003a2b1c00ull);
	ASSERT_FALSE(e->flags & KMT_EVF_HASHED_PTR);
	ASSERT_EQ(e->size2, 1024);
	ASSERT_EQ(e->cpu, 2);
	e = find_ev(&g, NS(5240, 12), KMT_EV_KMALLOC);		/* kmalloc without node= */
	ASSERT_EQ(e->node, -1);
	e = find_ev(&g, NS(5240, 13), KMT_EV_CACHE_ALLOC);	/* kmem_cache_alloc_node */
	ASSERT_EQ(e->node, 0);
	ASSERT_EQ(e->aux, 0);					/* no name=: cache unknown */
	e = find_ev(&g, NS(5240, 15), KMT_EV_PAGE_ALLOC);	/* pfn=%lu */
	ASSERT_EQ(e->ptr, 214987);
	e = find_ev(&g, NS(5240, 16), KMT_EV_KMALLOC);		/* gfp_flags=%08x */
	ASSERT_U64_EQ(e->gfp, 0xd0);
	got_free(&g);
}

TEST(import_hand_made_names_and_gfp)
{
	struct got g;
	const struct kmt_event *e;
	const struct kmt_sym *s;
	const struct kmt_task *t;

	IMPORT_OR_SKIP("hand-made.txt", &g);
	e = find_ev(&g, NS(5240, 17), KMT_EV_KMALLOC);		/* ...+0x3a/0x2c0 [xfs] */
	s = find_sym(&g, e->call_site);
	ASSERT_TRUE(s);
	ASSERT_STREQ(s->name, "xfs_buf_alloc");
	ASSERT_STREQ(s->module, "xfs");
	ASSERT_EQ(s->offset, 0x3a);
	e = find_ev(&g, NS(5240, 18), KMT_EV_KMALLOC);		/* "Web Content-4321" */
	ASSERT_EQ(e->tid, 4321);
	ASSERT_EQ(e->tgid, 0);
	e = find_ev(&g, NS(5240, 23), KMT_EV_KMALLOC);		/* perf: 4300/4321 */
	ASSERT_EQ(e->tid, 4321);
	ASSERT_EQ(e->tgid, 4300);
	t = find_task(&g, 4321);				/* redefined with its tgid */
	ASSERT_STREQ(t->comm, "Web Content");
	ASSERT_EQ(t->tgid, 4300);
	ASSERT_FALSE(find_task(&g, 12345));			/* "<...>": comm unknown */
	e = find_ev(&g, NS(5240, 19), KMT_EV_KFREE);
	ASSERT_EQ(e->ptr, 0);
	ASSERT_FALSE(e->flags & KMT_EVF_HASHED_PTR);		/* NULL is not hashed */
	e = find_ev(&g, 5240000024123ull, KMT_EV_KFREE);	/* perf without a CPU column */
	ASSERT_TRUE(e->flags & KMT_EVF_NO_CPU);
	e = find_ev(&g, NS(5240, 20), KMT_EV_KMALLOC);		/* |__GFP_NOLOCKDEP */
	ASSERT_U64_EQ(e->gfp, 0xcc0);
	ASSERT_EQ(g.st.gfp_unknown, 1);
	ASSERT_EQ(g.st.gfp_unknown_line, 25);
	ASSERT_STREQ(g.st.gfp_unknown_name, "__GFP_NOLOCKDEP");
	e = find_ev(&g, NS(5240, 21), KMT_EV_KMALLOC);		/* GFP_KERNEL|0x4000000 */
	ASSERT_U64_EQ(e->gfp, 0x4000cc0);
	got_free(&g);
}

/* ---- malformed lines and the GFP table ---- */

TEST(import_malformed_lines)
{
	static const __u64 want[] = { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
	struct got g;

	IMPORT_OR_SKIP("malformed.txt", &g);
	ASSERT_EQ(g.err, 0);
	ASSERT_EQ(g.st.lines, 22);
	ASSERT_EQ(g.st.malformed, 14);
	ASSERT_EQ(g.st.events, 4);
	for (int i = 0; i < IMPORT_BAD_SHOWN; i++)
		if (g.st.bad[i].lineno != want[i])
			FAIL("bad line %d: %llu, want %llu (%s)", i,
			     (unsigned long long)g.st.bad[i].lineno,
			     (unsigned long long)want[i], g.st.bad[i].why);
	ASSERT_CONTAINS(g.st.bad[0].why, "without ptr");
	ASSERT_CONTAINS(g.st.bad[2].why, "zzzz");
	ASSERT_CONTAINS(g.st.bad[9].why, "without pfn");
	got_free(&g);
}

TEST(import_gfp_names_need_a_table)
{
	char *text = kmt_test__data("import/tracefs-6.18.txt");
	struct got g = {};

	if (!text)
		SKIP("tests/data/import/tracefs-6.18.txt missing");
	import_text(text, NULL, 0, &g);
	ASSERT_EQ(g.err, -ENOKEY);
	ASSERT_EQ(g.err_line, 16);	/* the first gfp_flags= printed by name */
	ASSERT_CONTAINS(g.why, "line 16");
	ASSERT_CONTAINS(g.why, "GFP_KERNEL");
	free(text);
	got_free(&g);
}

TEST(import_numeric_gfp_without_table)
{
	static const char text[] =
		"  bash-11371 [000] .....  5233.698284: kmalloc: "
		"call_site=lsm_blob_alloc+0x3b/0x60 ptr=000000002620e732 bytes_req=11 "
		"bytes_alloc=16 gfp_flags=0x400dc0 node=-1\n"
		"  bash-11371 [000] .....  5233.698285: mm_page_alloc: page=0000000006398939 "
		"pfn=0x136b20 order=0 migratetype=0 gfp_flags=none\n";
	struct got g = {};

	import_text(text, NULL, 0, &g);
	ASSERT_EQ(g.err, 0);
	ASSERT_EQ(g.nr_ev, 2);
	ASSERT_U64_EQ(g.ev[0].gfp, 0x400dc0);
	ASSERT_EQ(g.ev[1].gfp, 0);
	got_free(&g);
}

/* ---- the command, in process: import -> trace file -> reader ---- */

static char *write_tmp(const char *data_name, const char *file)
{
	static char paths[2][512];
	static int k;
	char *text = kmt_test__data(data_name), *p = paths[k++ % 2];
	FILE *f;

	snprintf(p, sizeof(paths[0]), "%s/%s", kmt_test__tmpdir(), file);
	f = text ? fopen(p, "w") : NULL;
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(text);
	return f ? p : NULL;
}

static int run_import(const char *in, const char *out, const char *fmt)
{
	char *argv[] = { "import", "-q", "--gfp-format", (char *)fmt, "-o", (char *)out,
			 (char *)in, NULL };

	return cmd_import(7, argv);
}

static void check_meta(struct trace_reader *r, const char *in)
{
	char want[600];
	const char *p;
	__u32 len, cpus;

	snprintf(want, sizeof(want), "imported: %s", in);
	p = trace_reader__meta(r, KMT_META_KERNEL_RELEASE, 0, &len);
	if (!p || len != strlen(want) || memcmp(p, want, len))
		FAIL("KERNEL_RELEASE is not '%s'", want);
	if (!trace_reader__meta(r, KMT_META_TOOL_VERSION, 0, &len) || !len)
		FAIL("no TOOL_VERSION");
	p = trace_reader__meta(r, KMT_META_CMDLINE, 0, &len);
	if (!p || !memmem(p, len, "kmmtrace import", 15))
		FAIL("CMDLINE missing");
	p = trace_reader__meta(r, KMT_META_GFP_TABLE, 0, &len);
	if (!p || len != 38 * sizeof(struct kmt_gfp_entry))
		FAIL("GFP table missing or not the 6.18 one");
	p = trace_reader__meta(r, KMT_META_NR_CPUS, 0, &len);
	if (!p || len != 4)
		FAIL("NR_CPUS missing");
	memcpy(&cpus, p, 4);
	if (cpus != 2)
		FAIL("NR_CPUS %u, want 2", cpus);
}

TEST(import_round_trip)
{
	char *in = write_tmp("import/tracefs-6.18.txt", "tracefs.txt");
	char *fmt = write_tmp("kmalloc-6.18.format", "kmalloc.format");
	char out[512];
	struct trace_reader *r;
	struct kmt_event e;
	struct stat sb;
	struct got g;
	size_t i = 0;
	int err = 0, n;

	if (!in || !fmt || !import_data("tracefs-6.18.txt", &g))
		SKIP("test data missing");
	snprintf(out, sizeof(out), "%s/imported.kmt", kmt_test__tmpdir());
	ASSERT_EQ(run_import(in, out, fmt), 0);
	ASSERT_EQ(stat(out, &sb), 0);
	ASSERT_EQ(sb.st_mode & 0777, 0600);
	r = trace_reader__open(out, &err, NULL, 0);
	ASSERT_TRUE(r);
	check_meta(r, in);
	while ((n = trace_reader__next(r, &e)) > 0 && i < g.nr_ev)
		if (!same_event(&e, &g.ev[i++], true))
			FAIL("event %zu differs after the round trip", i - 1);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(i, g.nr_ev);
	ASSERT_STREQ(trace_reader__sym(r, g.ev[0].call_site)->name, "do_sys_openat2");
	ASSERT_STREQ(trace_reader__task(r, 11374)->comm, "kmmtrace");
	ASSERT_STREQ(trace_reader__cache(r, find_ev(&g, NS(5233, 733912),
						    KMT_EV_CACHE_ALLOC)->aux)->name,
		     "skbuff_head_cache");
	trace_reader__free(r);
	got_free(&g);
}

TEST(import_command_errors)
{
	char *in = write_tmp("import/malformed.txt", "bad.txt");
	char *fmt = write_tmp("kmalloc-6.18.format", "kmalloc.format");
	char out[512], *argv[] = { "import", "--no-such-option", NULL };
	FILE *f;

	if (!in || !fmt)
		SKIP("test data missing");
	snprintf(out, sizeof(out), "%s/none.kmt", kmt_test__tmpdir());
	ASSERT_EQ(cmd_import(2, argv), 2);
	f = fopen(in, "w");				/* nothing parses: exit 1, no file */
	ASSERT_TRUE(f);
	fputs("this is not a trace line\n# nor this\n", f);
	fclose(f);
	ASSERT_EQ(run_import(in, out, fmt), 1);
	ASSERT_NE(access(out, F_OK), 0);
}

/* The binary, once main.c lists the command. */
TEST(import_binary)
{
	char *in = write_tmp("import/perf-script-6.18.txt", "perf.txt");
	char *fmt = write_tmp("kmalloc-6.18.format", "kmalloc.format");
	char cmd[2048], line[1024];
	bool found = false;
	FILE *p;

	if (!in || !fmt)
		SKIP("test data missing");
	snprintf(cmd, sizeof(cmd), "%s import --help > /dev/null 2>&1", kmt_test__binary());
	if (system(cmd) != 0)
		SKIP("this kmmtrace binary has no import command");
	snprintf(cmd, sizeof(cmd), "%s import -q --gfp-format %s -o %s/b.kmt - < %s && %s dump "
		 "%s/b.kmt", kmt_test__binary(), fmt, kmt_test__tmpdir(), in, kmt_test__binary(),
		 kmt_test__tmpdir());
	p = popen(cmd, "r");
	ASSERT_TRUE(p);
	while (fgets(line, sizeof(line), p))
		found |= strstr(line, "call_site=sched_setaffinity+0x10c ptr=0xffff888102cdec20") &&
			 strstr(line, "gfp_flags=GFP_KERNEL node=-1");
	ASSERT_EQ(pclose(p), 0);
	ASSERT_TRUE(found);
}
