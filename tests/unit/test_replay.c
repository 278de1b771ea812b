// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace replay on hand-built traces: one 1024-page zone, free at the start,
 * page events whose effect on the free lists is worked out by hand.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include "../build.h"
#include "../test.h"
#include "../json.h"
#include "replay.h"
#include "sysinfo.h"
#include "trace.h"

static const struct kmt_task *blame_task;	/* a task definition for write_trace */
static const char *reporting_order;	/* write_trace: page_reporting_order snapshot */

/* A trace of one zone [0, 1024) entirely free at the start, with events and an end state. */
static int write_trace(const char *path, const struct kmt_event *ev, int n, const char *end_buddy)
{
	struct trace_writer *w = tb_writer(path, 0, 0);

	if (!w)
		return -1;
	tb_meta_one_zone(w, 1024);
	tb_meta_snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_BUDDYINFO,
			 "Node 0, zone   Normal      0      0      0      0      0      0      0"
			 "      0      0      0      1 \n");
	if (reporting_order)
		tb_meta_snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_PAGE_REPORTING, reporting_order);
	trace_writer__meta_flush(w);
	if (blame_task)
		trace_writer__add_task(w, blame_task);
	for (int i = 0; i < n; i++)
		trace_writer__add_event(w, &ev[i]);
	trace_writer__flush(w);
	tb_meta_snapshot(w, KMT_PHASE_END, SYSINFO_SNAP_BUDDYINFO, end_buddy);
	trace_writer__meta_flush(w);
	return tb_finish(w, NULL, 0);
}

static struct kmt_event page_ev(__u64 ts, int type, __u64 pfn, int order, int mt)
{
	struct kmt_event e = { .ts = ts, .type = type, .ptr = pfn, .order = order, .mt = mt,
			       .stack_id = -1, .gfp = 0xcc0 };

	return e;
}

static int replay_file(const char *path, struct replay_result *res, __u64 interval_ns)
{
	struct replay_opts o = { .interval_ns = interval_ns, .pageblock_order = -1 };
	struct trace_reader *r = tb_reader(path);
	char why[256];
	int e;

	if (!r)
		return -1;
	e = replay__run(r, &o, true, res, why, sizeof(why));
	if (e)
		fprintf(stdout, "    replay: %s\n", why);
	trace_reader__free(r);
	return e;
}

TEST(replay_split_then_merge)
{
	/* t=1ms: buddy hands pfn 0 (order 0) to a CPU; t=2ms: allocated */
	struct kmt_event ev[] = {
		page_ev(1000000, KMT_EV_PAGE_ALLOC_ZONE_LOCKED, 0, 0, 1),
		page_ev(2000000, KMT_EV_PAGE_ALLOC, 0, 0, 1),
	};
	const char *path = tb_path("split.kmt");
	struct replay_result res;
	const struct replay_zone_sample *s;

	/* expand(): an order-10 block split for one page leaves one free block of 0..9 */
	ASSERT_EQ(write_trace(path, ev, 2, "Node 0, zone   Normal      1      1      1      1"
			      "      1      1      1      1      1      1      0 \n"), 0);
	ASSERT_EQ(replay_file(path, &res, 1000000), 0);
	ASSERT_STREQ(res.check_err, "");
	ASSERT_TRUE(res.have_start && res.have_end);
	ASSERT_EQ(res.start[0].err_free_pages, 0);	/* the free map reproduced buddyinfo */
	ASSERT_EQ(res.nr_samples, 2);			/* one boundary (t=1ms) + the end */
	s = &res.samples[res.nr_samples - 1].zone[0];
	for (int o = 0; o < 10; o++)
		ASSERT_EQ(s->nr_free[o], 1);
	ASSERT_EQ(s->nr_free[10], 0);
	ASSERT_EQ(s->free_pages, 1023);
	ASSERT_EQ(s->largest_order, 9);
	ASSERT_EQ(res.end[0].err_free_pages, 0);
	for (int o = 0; o < 11; o++)
		ASSERT_EQ(res.end[0].err_order[o], 0);
	ASSERT_EQ(res.events, 2);
	replay_result__free(&res);
}

TEST(replay_pcp_free_then_drain)
{
	struct kmt_event ev[] = {
		page_ev(1000000, KMT_EV_PAGE_ALLOC_ZONE_LOCKED, 0, 0, 1),
		page_ev(1100000, KMT_EV_PAGE_ALLOC, 0, 0, 1),
		page_ev(2000000, KMT_EV_PAGE_FREE, 0, 0, 0),		/* to a pcp list */
		page_ev(3000000, KMT_EV_PAGE_PCPU_DRAIN, 0, 0, 1),	/* back to the buddy */
	};
	struct replay_result res;
	const char *path = tb_path("pcp.kmt");
	const struct replay_sample *s;

	ASSERT_EQ(write_trace(path, ev, 4, "Node 0, zone   Normal      0      0      0      0"
			      "      0      0      0      0      0      0      1 \n"), 0);
	ASSERT_EQ(replay_file(path, &res, 1000000), 0);
	ASSERT_STREQ(res.check_err, "");
	ASSERT_GE(res.nr_samples, 3);
	/*
	 * A sample is taken at each boundary before the event that crosses it:
	 * [0] at +1ms (allocated), [1] at +2ms (freed to pcp, drain not yet seen).
	 */
	s = &res.samples[1];
	ASSERT_EQ(s->t, 3000000 - 1000000);
	ASSERT_EQ(s->zone[0].pcp_pages, 1);		/* freed, not yet merged */
	ASSERT_EQ(s->zone[0].nr_free[10], 0);
	s = &res.samples[res.nr_samples - 1];
	ASSERT_EQ(s->zone[0].pcp_pages, 0);
	ASSERT_EQ(s->zone[0].nr_free[10], 1);		/* merged all the way back */
	ASSERT_EQ(s->zone[0].free_pages, 1024);
	ASSERT_EQ(res.end[0].err_free_pages, 0);
	replay_result__free(&res);
}

TEST(replay_detects_divergence)
{
	struct kmt_event ev[] = {
		page_ev(1000000, KMT_EV_PAGE_ALLOC_ZONE_LOCKED, 0, 0, 1),
		page_ev(1100000, KMT_EV_PAGE_ALLOC, 0, 0, 1),
	};
	struct replay_result res;
	const char *path = tb_path("div.kmt");

	/* the kernel says everything is free again: the model (1023 free) is 0.1% off */
	ASSERT_EQ(write_trace(path, ev, 2, "Node 0, zone   Normal      0      0      0      0"
			      "      0      0      0      0      0      0      1 \n"), 0);
	ASSERT_EQ(replay_file(path, &res, 0), 0);
	ASSERT_TRUE(res.end[0].have_kernel);
	ASSERT_EQ(res.end[0].kernel_free_pages, 1024);
	ASSERT_TRUE(res.end[0].err_free_pages < -0.0009);	/* (1023 - 1024) / 1024 */
	ASSERT_EQ(res.end[0].err_order[10], -1);	/* model 0 vs kernel 1 */
	replay_result__free(&res);
}

/*
 * Free page reporting had the zone's one order-10 block off the free lists when the
 * end buddyinfo was read: where the trace says the kernel reports from order 9, the
 * check counts it free; without that, the same end state fails the check.
 */
TEST(replay_check_allows_reported_blocks)
{
	static const char end[] = "Node 0, zone   Normal      0      0      0      0      0"
				  "      0      0      0      0      0      0 \n";
	const char *path = tb_path("rep.kmt");
	struct replay_result res;
	char cmd[1024];

	reporting_order = "9\n";
	ASSERT_EQ(write_trace(path, NULL, 0, end), 0);
	reporting_order = NULL;
	ASSERT_EQ(replay_file(path, &res, 0), 0);
	ASSERT_EQ(res.page_reporting_order, 9);
	ASSERT_EQ(res.end[0].kernel_free_pages, 0);
	ASSERT_EQ(res.end[0].reporting[10], 1);
	ASSERT_EQ(res.end[0].reporting_blocks, 1);
	ASSERT_EQ(res.end[0].err_order[10], 0);
	ASSERT_TRUE(res.end[0].err_free_pages == 0);
	replay_result__free(&res);
	snprintf(cmd, sizeof(cmd), "%s replay --check %s > /dev/null 2>&1", kmt_test__binary(),
		 path);
	ASSERT_EQ(system(cmd), 0);

	ASSERT_EQ(write_trace(path, NULL, 0, end), 0);	/* a kernel that does not report */
	ASSERT_EQ(replay_file(path, &res, 0), 0);
	ASSERT_EQ(res.page_reporting_order, -1);
	ASSERT_EQ(res.end[0].reporting_blocks, 0);
	ASSERT_TRUE(res.end[0].err_free_pages > 0);
	replay_result__free(&res);
	ASSERT_NE(system(cmd), 0);
}

TEST(replay_json_and_exit_status)
{
	struct kmt_event ev[] = {
		page_ev(1000000, KMT_EV_PAGE_ALLOC_ZONE_LOCKED, 0, 0, 1),
		page_ev(2000000, KMT_EV_PAGE_ALLOC, 0, 0, 1),
	};
	const char *path = tb_path("j.kmt");
	char cmd[1200], *text = malloc(1 << 20);
	const struct json *zone;
	struct json *j;
	size_t n;
	FILE *p;

	ASSERT_EQ(write_trace(path, ev, 2, "Node 0, zone   Normal      1      1      1      1"
			      "      1      1      1      1      1      1      0 \n"), 0);
	snprintf(cmd, sizeof(cmd), "%s replay -j --check %s", kmt_test__binary(), path);
	p = popen(cmd, "r");
	ASSERT_TRUE(p != NULL);
	n = fread(text, 1, (1 << 20) - 1, p);
	text[n] = 0;
	ASSERT_EQ(pclose(p), 0);			/* --check passes: exit 0 */
	j = json_parse(text, NULL);
	free(text);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(json_num(json_get(j, "events"), -1), 2);
	zone = json_at(json_get(j, "zones"), 0);
	ASSERT_STREQ(json_str(json_get(zone, "zone")), "Normal");
	ASSERT_EQ(json_num(json_at(json_get(json_get(zone, "end"), "nr_free"), 9), -1), 1);
	ASSERT_EQ(json_num(json_get(json_get(zone, "kernel_end"), "free_pages"), -1), 1023);
	ASSERT_STREQ(json_str(json_get(json_get(zone, "kernel_end"), "check")), "ok");
	ASSERT_GE(json_len(json_get(zone, "series")), 1);
	json_free(j);
	/* a divergent end state fails --check with exit status 1 */
	ASSERT_EQ(write_trace(path, ev, 2, "Node 0, zone   Normal      0      0      0      0"
			      "      0      0      0      0      0      0      2 \n"), 0);
	snprintf(cmd, sizeof(cmd), "%s replay --check %s > /dev/null 2>&1", kmt_test__binary(),
		 path);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 1);
}

TEST(replay_blame_mixed_pageblock)
{
	/*
	 * pfn 0 comes off the Movable list (zone_locked reveals pageblock 0 as
	 * Movable) and is allocated as Unmovable by task "blamer": the block is
	 * mixed from t=1.1ms to the end of the trace (t=5ms). Blame is credited per
	 * sampled interval in which the block is mixed at the sample: 4 x 1 ms.
	 */
	struct kmt_event ev[] = {
		page_ev(1000000, KMT_EV_PAGE_ALLOC_ZONE_LOCKED, 0, 0, 1),
		page_ev(1100000, KMT_EV_PAGE_ALLOC, 0, 0, 0),
		page_ev(5000000, KMT_EV_TLB_FLUSH, 0, 0, 0),	/* the trace goes on to 5 ms */
	};
	struct kmt_task task = { .tgid = 42, .tid = 42, .comm = "blamer" };
	struct replay_result res;
	const char *path = tb_path("blame.kmt");

	for (int i = 0; i < 3; i++)
		ev[i].tid = ev[i].tgid = 42;
	blame_task = &task;
	ASSERT_EQ(write_trace(path, ev, 3, "Node 0, zone   Normal      1      1      1      1"
			      "      1      1      1      1      1      1      0 \n"), 0);
	blame_task = NULL;
	ASSERT_EQ(replay_file(path, &res, 1000000), 0);
	ASSERT_EQ(res.samples[res.nr_samples - 1].zone[0].mixed_pageblocks, 1);
	ASSERT_GE(res.nr_blame, 1);
	ASSERT_STREQ(res.blame[0].name, "comm blamer");
	ASSERT_EQ(res.blame[0].allocs, 1);
	ASSERT_EQ(res.blame[0].pages_now, 1);
	/* samples at 2, 3, 4 ms and the end (5 ms), each crediting the 1 ms before it */
	ASSERT_GE(res.blame[0].pageblock_seconds * 1e6, 3999);
	ASSERT_LE(res.blame[0].pageblock_seconds * 1e6, 4001);
	replay_result__free(&res);
}
