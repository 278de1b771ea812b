// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace report on hand-built traces: every total worked out by hand with
 * perf kmem stat's definitions (tools/perf/builtin-kmem.c).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include "../build.h"
#include "../test.h"
#include "../json.h"
#include "report.h"
#include "trace.h"

static struct kmt_event ev(__u64 ts, int type, __u64 ptr, __u64 cs, __u64 req, __u64 alloc,
			   int cpu)
{
	struct kmt_event e = tb_slab(tb_event(type, ts, 7), ptr, cs, req, alloc);

	e.cpu = cpu;
	e.gfp = 0xcc0;
	return e;
}

static struct kmt_event page(__u64 ts, int type, __u64 pfn, int order, int mt)
{
	struct kmt_event e = tb_page(tb_event(type, ts, 7), pfn, order, mt);

	e.gfp = 0xcc0;
	return e;
}

/*
 * Slab: A (call site 0x100) allocates 40/64 at p1 and 100/128 at p2; B (0x200)
 * allocates 10/16 at p3 on node 1 from CPU 0 (a cross-node allocation); p1 is
 * freed on another CPU, p1 is freed again (perf counts it again: 64), p9 was
 * never allocated (unmatched). Page: order-0 pfn 10 allocated and freed; order-2
 * pfn 16 allocated and kept; pfn 99 freed unseen (free-only); one failure (order 1).
 */
static int write_trace(const char *path)
{
	struct kmt_event evs[] = {
		ev(1000, KMT_EV_KMALLOC, 0x1000, 0x100, 40, 64, 0),
		ev(2000, KMT_EV_KMALLOC, 0x2000, 0x100, 100, 128, 0),
		ev(3000, KMT_EV_KMALLOC, 0x3000, 0x200, 10, 16, 0),
		ev(4000, KMT_EV_KFREE, 0x1000, 0x900, 0, 0, 1),
		ev(5000, KMT_EV_KFREE, 0x1000, 0x900, 0, 0, 1),
		ev(6000, KMT_EV_KFREE, 0x9000, 0x900, 0, 0, 0),
		page(7000, KMT_EV_PAGE_ALLOC, 10, 0, 0),
		page(8000, KMT_EV_PAGE_ALLOC, 16, 2, 1),
		page(9000, KMT_EV_PAGE_FREE, 10, 0, 0),
		page(9500, KMT_EV_PAGE_FREE, 99, 0, 0),
		page(9800, KMT_EV_PAGE_ALLOC, ~0ull, 1, 0),
	};
	__u32 nodes[2] = { 0, 0 };
	struct trace_writer *w;

	evs[2].node = 1;
	evs[1].stack_id = 5;	/* p2's allocation stack */
	w = tb_writer(path, 0, 0);
	if (!w)
		return -1;
	tb_meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	trace_writer__meta_add(w, KMT_META_CPU_NODES, nodes, sizeof(nodes));
	trace_writer__meta_add(w, KMT_META_MIGRATETYPES, "Unmovable\nMovable\nReclaimable", 29);
	trace_writer__meta_flush(w);
	return tb_finish(w, evs, sizeof(evs) / sizeof(evs[0]));
}

static int run_report_with(const char *path, const struct report_opts *o, struct report *rep)
{
	struct trace_reader *r = tb_reader(path);
	char why[256];
	int e;

	if (!r)
		return -1;
	e = report__run(r, o, rep, why, sizeof(why));
	trace_reader__free(r);
	return e;
}

static int run_report(const char *path, enum report_group g, struct report *rep)
{
	struct report_opts o = { .group = g, .interval_ns = 2000 };
	struct trace_reader *r = tb_reader(path);
	char why[256];
	int e;

	if (!r)
		return -1;
	e = report__run(r, &o, rep, why, sizeof(why));
	trace_reader__free(r);
	return e;
}

static const struct report_group_stat *find(const struct report *rep, const char *key)
{
	for (size_t i = 0; i < rep->nr_slab_groups; i++)
		if (!strcmp(rep->slab_groups[i].key, key))
			return &rep->slab_groups[i];
	return NULL;
}

TEST(report_perf_kmem_totals)
{
	struct report rep;
	const char *path = tb_path("r.kmt");

	ASSERT_EQ(write_trace(path), 0);
	ASSERT_EQ(run_report(path, REPORT_BY_CALLSITE, &rep), 0);
	ASSERT_EQ(rep.slab.nr_allocs, 3);
	ASSERT_EQ(rep.slab.requested, 150);
	ASSERT_EQ(rep.slab.allocated, 208);
	ASSERT_EQ(rep.slab.freed, 128);			/* 64 + 64: perf counts the double free */
	ASSERT_EQ(rep.slab.nr_cross_allocs, 1);		/* node 1 from CPU 0 of node 0 */
	ASSERT_EQ(rep.slab.free_unmatched, 1);
	ASSERT_EQ(rep.page.nr_allocs, 3);		/* failures included */
	ASSERT_EQ(rep.page.alloc_bytes, 4096 + 16384 + 8192);
	ASSERT_EQ(rep.page.nr_frees, 2);
	ASSERT_EQ(rep.page.nr_nomatch, 1);		/* pfn 99 */
	ASSERT_EQ(rep.page.nr_fails, 1);
	ASSERT_EQ(rep.page.by_order_mt[0][0], 1);
	ASSERT_EQ(rep.page.by_order_mt[2][1], 1);
	/* each byte once: p2 and p3 live (128 + 16); pfn 16 (order 2) live, unsplit */
	ASSERT_FALSE(rep.layers.classified);		/* no kmalloc_large(): no direct-map base */
	ASSERT_EQ(rep.layers.slab_objects, 144);
	ASSERT_EQ(rep.layers.unclassified_pages, 16384);
	/* slab samples at 2000, 4000, 6000 and 8000 ns after the first event, and the end */
	ASSERT_EQ(rep.nr_slab_series, 5);
	ASSERT_EQ(rep.slab_series[0].t, 2000);
	ASSERT_EQ(rep.slab_series[4].t, 9800 - 1000);
	report__free(&rep);
}

TEST(report_groups_and_sort)
{
	const struct report_group_stat *a, *b;
	struct report rep;
	const char *path = tb_path("g.kmt");
	char why[128];

	ASSERT_EQ(write_trace(path), 0);
	ASSERT_EQ(run_report(path, REPORT_BY_CALLSITE, &rep), 0);
	ASSERT_EQ(rep.nr_slab_groups, 2);
	a = find(&rep, "0x100");
	b = find(&rep, "0x200");
	ASSERT_TRUE(a && b);
	ASSERT_EQ(a->allocs, 2);
	ASSERT_EQ(a->bytes_req, 140);
	ASSERT_EQ(a->frees, 1);			/* the second free of p1 is not a new one */
	ASSERT_EQ(a->cross_cpu_frees, 1);
	ASSERT_EQ(a->live, 1);
	ASSERT_EQ(a->live_bytes, 128);
	ASSERT_EQ(a->oldest_live_ts, 2000);		/* p2, still live */
	ASSERT_EQ(a->oldest_live_stack, 5);
	ASSERT_EQ(report__life_pct(a, 0.5), 4096);	/* 3000 ns: the [2048, 4096) bucket */
	ASSERT_EQ(b->live_bytes, 16);
	ASSERT_EQ(report__sort(rep.slab_groups, rep.nr_slab_groups, "+bytes_alloc", why,
			       sizeof(why)), 0);
	ASSERT_STREQ(rep.slab_groups[0].key, "0x200");
	ASSERT_EQ(report__sort(rep.slab_groups, rep.nr_slab_groups, "frag", why, sizeof(why)), 0);
	ASSERT_STREQ(rep.slab_groups[0].key, "0x200");	/* 1 - 10/16 > 1 - 140/192 */
	ASSERT_NE(report__sort(rep.slab_groups, rep.nr_slab_groups, "nonsense", why,
			       sizeof(why)), 0);
	ASSERT_CONTAINS(why, "unknown sort key");
	report__free(&rep);
	ASSERT_EQ(run_report(path, REPORT_BY_PID, &rep), 0);
	ASSERT_EQ(rep.nr_slab_groups, 1);
	ASSERT_STREQ(rep.slab_groups[0].key, "7");
	report__free(&rep);
}

/* Runs cmd: its exit status is status and its output holds text. */
#define ASSERT_CMD(cmd, status, text) do {					\
	int _st;								\
	char *_out = kmt_test__run(cmd, &_st);					\
										\
	ASSERT_CONTAINS(_out, text);						\
	ASSERT_EQ(WEXITSTATUS(_st), status);					\
	free(_out);								\
} while (0)

/*
 * --no-model: every table but the model's comes out the same; the caches, the
 * advice and the samples stay empty. The command refuses it with -i and --html,
 * which show only the model.
 */
TEST(report_no_model_same_tables)
{
	const char *path = tb_path("nm.kmt");
	struct report_opts o = { .group = REPORT_BY_CALLSITE, .no_model = true };
	struct report full, nm;
	char cmd[1200];

	ASSERT_EQ(write_trace(path), 0);
	ASSERT_EQ(run_report(path, REPORT_BY_CALLSITE, &full), 0);
	ASSERT_EQ(run_report_with(path, &o, &nm), 0);
	ASSERT_TRUE(full.have_model);
	ASSERT_GT(full.nr_caches, 0);
	ASSERT_FALSE(nm.have_model);
	ASSERT_EQ(nm.nr_caches, 0);
	ASSERT_EQ(nm.nr_advice, 0);
	ASSERT_EQ(nm.nr_slab_series, 0);
	ASSERT_EQ(memcmp(&nm.slab, &full.slab, sizeof(nm.slab)), 0);
	ASSERT_EQ(memcmp(&nm.page, &full.page, sizeof(nm.page)), 0);
	ASSERT_EQ(memcmp(nm.ctx, full.ctx, sizeof(nm.ctx)), 0);
	ASSERT_EQ(nm.nr_slab_groups, full.nr_slab_groups);
	ASSERT_EQ(memcmp(nm.slab_groups, full.slab_groups,
			 full.nr_slab_groups * sizeof(*full.slab_groups)), 0);
	ASSERT_EQ(nm.nr_page_groups, full.nr_page_groups);
	ASSERT_EQ(memcmp(nm.page_groups, full.page_groups,
			 full.nr_page_groups * sizeof(*full.page_groups)), 0);
	ASSERT_EQ(nm.layers.slab_objects, full.layers.slab_objects);
	report__free(&full);
	report__free(&nm);

	snprintf(cmd, sizeof(cmd), "%s report --no-model -i 10 %s 2>&1", kmt_test__binary(), path);
	ASSERT_CMD(cmd, 2, "--no-model leaves nothing for -i to show");
	snprintf(cmd, sizeof(cmd), "%s report --no-model --html %s.html %s 2>&1",
		 kmt_test__binary(), path, path);
	ASSERT_CMD(cmd, 2, "--no-model leaves nothing for --html to show");
	snprintf(cmd, sizeof(cmd), "%s report --no-model %s 2>&1", kmt_test__binary(), path);
	ASSERT_CMD(cmd, 0, "slab caches: no model (--no-model)");
}

TEST(report_json_parses)
{
	const char *path = tb_path("j.kmt");
	char cmd[1200], *text = malloc(1 << 20);
	struct json *j;
	size_t n;
	FILE *p;

	ASSERT_EQ(write_trace(path), 0);
	snprintf(cmd, sizeof(cmd), "%s report -j %s 2>/dev/null", kmt_test__binary(), path);
	p = popen(cmd, "r");
	ASSERT_TRUE(p != NULL);
	n = fread(text, 1, (1 << 20) - 1, p);
	text[n] = 0;
	ASSERT_EQ(pclose(p), 0);
	j = json_parse(text, NULL);
	free(text);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_num(json_get(json_get(j, "slab"), "bytes_freed"), -1), 128);
	ASSERT_EQ(json_num(json_get(json_get(j, "page"), "nr_free_only"), -1), 1);
	ASSERT_EQ(json_len(json_get(j, "slab_groups")), 2);
	ASSERT_STREQ(json_str(json_get(json_at(json_get(j, "slab_groups"), 0), "key")), "0x100");
	json_free(j);
}

TEST(report_percpu)
{
	struct kmt_event evs[] = {
		{ .ts = 1, .type = KMT_EV_PERCPU_CHUNK_CREATE, .ptr = 0x100000, .stack_id = -1 },
		{ .ts = 2, .type = KMT_EV_PERCPU_ALLOC, .ptr = 0x10, .call_site = 0x500, .size = 8,
		  .size2 = 16, .arg = 2, .arg2 = 8, .stack_id = -1 },
		{ .ts = 3, .type = KMT_EV_PERCPU_ALLOC, .ptr = 0x20, .call_site = 0x500, .size = 8,
		  .size2 = 16, .arg2 = 64, .stack_id = -1 },
		{ .ts = 4, .type = KMT_EV_PERCPU_FREE, .ptr = 0x10, .stack_id = -1 },
		{ .ts = 5, .type = KMT_EV_PERCPU_FREE, .ptr = 0x99, .stack_id = -1 },
	};
	struct trace_writer *w;
	struct report rep;
	const char *path = tb_path("pc.kmt");

	w = tb_writer(path, 0, 0);
	ASSERT_TRUE(w != NULL);
	ASSERT_EQ(tb_finish(w, evs, 5), 0);
	ASSERT_EQ(run_report(path, REPORT_BY_CALLSITE, &rep), 0);
	ASSERT_EQ(rep.percpu_chunks_created, 1);
	ASSERT_EQ(rep.percpu_free_unmatched, 1);
	ASSERT_EQ(rep.nr_percpu, 1);
	ASSERT_EQ(rep.percpu[0].allocs, 2);
	ASSERT_EQ(rep.percpu[0].frees, 1);
	ASSERT_EQ(rep.percpu[0].bytes, 16);
	ASSERT_EQ(rep.percpu[0].live, 1);
	ASSERT_EQ(rep.percpu[0].live_bytes_alloc, 16);
	ASSERT_EQ(rep.percpu[0].max_align, 64);
	ASSERT_EQ(rep.percpu[0].atomic, 1);
	ASSERT_STREQ(rep.percpu[0].site, "0x500");
	report__free(&rep);
}

/*
 * The pointer tables and the model's object hash double in place, in address
 * space reserved for them (user/table.c); where it cannot be had (here: an
 * address-space limit below the 64 GiB reservation) they grow by copying. Both
 * ways give the same report, byte for byte, with 150 000 objects allocated at
 * 4 call sites and 100 000 of them freed: each table doubles several times.
 */
TEST(report_tables_grow_in_place_or_by_copy)
{
	const size_t nalloc = 150000, nfree = 100000;
	const char *path = tb_path("grow.kmt");
	struct kmt_event *evs = calloc(nalloc + nfree, sizeof(*evs));
	char cmd[1200], *a, *b;
	struct trace_writer *w;
	struct json *j;
	int st;

	ASSERT_TRUE(evs != NULL);
	for (size_t i = 0; i < nalloc; i++)
		evs[i] = ev(1000 + i, KMT_EV_KMALLOC, 0xffff888100000000ull + i * 64,
			    0x100 + (i % 4) * 0x100, 40, 64, (int)(i % 2));
	for (size_t i = 0; i < nfree; i++)	/* every third object stays */
		evs[nalloc + i] = ev(1000 + nalloc + i, KMT_EV_KFREE,
				     0xffff888100000000ull + (i + i / 2) * 64, 0x900, 0, 0, 0);
	w = tb_writer(path, 0, 0);
	ASSERT_TRUE(w != NULL);
	tb_meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	trace_writer__meta_flush(w);
	ASSERT_EQ(tb_finish(w, evs, nalloc + nfree), 0);
	free(evs);

	snprintf(cmd, sizeof(cmd), "%s report -j %s 2>/dev/null", kmt_test__binary(), path);
	a = kmt_test__run(cmd, &st);
	ASSERT_EQ(st, 0);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	b = strdup(a);	/* the sanitizers' shadow memory needs more address space than the limit */
#else
	snprintf(cmd, sizeof(cmd), "ulimit -v 1000000 && %s report -j %s 2>/dev/null",
		 kmt_test__binary(), path);
	b = kmt_test__run(cmd, &st);
	ASSERT_EQ(st, 0);
#endif
	ASSERT_TRUE(a && b && strlen(a) > 100);
	if (strcmp(a, b))
		FAIL("the report differs when the tables grow by copying");
	j = json_parse(a, NULL);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_num(json_get(json_get(j, "slab"), "nr_allocs"), -1), nalloc);
	ASSERT_EQ(json_num(json_get(json_get(j, "slab"), "bytes_freed"), -1), nfree * 64);
	ASSERT_EQ(json_len(json_get(j, "slab_groups")), 4);
	json_free(j);
	free(a);
	free(b);
}
