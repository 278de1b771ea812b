/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Replay: a trace's page events through the buddy model (model/buddy.h),
 * sampled over trace time, checked against the kernel's own end state.
 * A pure consumer of a trace reader: no other I/O.
 */
#ifndef __KMT_REPLAY_H
#define __KMT_REPLAY_H

#include <stdbool.h>
#include <linux/types.h>
#include "blame.h"
#include "buddy.h"
#include "trace.h"

#define REPLAY_MAX_ZONES 16

struct replay_opts {
	__u64 interval_ns;		/* sample period in trace time (0: end only) */
	bool no_pcp;			/* what-if: no per-CPU page lists */
	int pageblock_order;		/* what-if: another pageblock order (-1: the trace's) */
};

/* One zone at one instant. */
struct replay_zone_sample {
	__u64 free_pages;
	__u64 pcp_pages;
	__u64 nr_free[BUDDY_MAX_ORDERS];
	int frag_index[BUDDY_MAX_ORDERS];	/* kernel's extfrag_index, -1000..1000 */
	int unusable[BUDDY_MAX_ORDERS];		/* 0..1000 */
	unsigned int extfrag_thp;		/* extfrag_for_order(THP order), 0..100 */
	unsigned int compaction_score;
	int largest_order;
	__u64 thp_blocks;			/* free blocks of the THP order (larger counted) */
	__u64 pageblocks_by_mt[BUDDY_MAX_MT];
	__u64 mixed_pageblocks;
	int ideal_largest_order;		/* after an ideal compaction */
	__u64 ideal_thp_blocks;
};

struct replay_sample {
	__u64 t;				/* ns since the first event */
	struct replay_zone_sample zone[REPLAY_MAX_ZONES];
};

/* The kernel's end state against the model's, per zone. */
struct replay_check_zone {
	bool have_kernel;
	__u64 kernel_nr_free[BUDDY_MAX_ORDERS];
	__u64 kernel_free_pages;
	/*
	 * Free blocks the kernel's read lacked against the model at orders from
	 * page_reporting_order up, taken as being reported (at most
	 * REPLAY_REPORTING_BLOCKS in all); the errors below count them as free.
	 */
	__u64 reporting[BUDDY_MAX_ORDERS];
	__u64 reporting_blocks;
	double err_free_pages;			/* relative: (model - kernel) / kernel */
	double err_order[BUDDY_MAX_ORDERS];	/* relative per order; 0 when both 0 */
	bool have_index;			/* debugfs extfrag_index at the end */
	int kernel_frag_index[BUDDY_MAX_ORDERS];
	int index_from_kernel_counts[BUDDY_MAX_ORDERS];	/* our formula on the kernel's counts */
	bool have_unusable;			/* debugfs unusable_index at the end */
	int kernel_unusable[BUDDY_MAX_ORDERS];
	int unusable_from_kernel_counts[BUDDY_MAX_ORDERS];
};

/*
 * Free page reporting (virtio-balloon; mm/page_reporting.c) isolates up to
 * PAGE_REPORTING_CAPACITY free blocks of page_reporting_order and above while it
 * reports them to the host, and puts them back, with no tracepoint either way: a
 * buddyinfo read in between lacks them. The capacity is 32 from 5.7 to 6.18; it is
 * not exported, so the check takes it as its allowance.
 */
#define REPLAY_REPORTING_BLOCKS 32

struct replay_result {
	int page_reporting_order;		/* -1: the kernel does not report free pages */
	int nr_zones;
	struct kmt_zone_info zones[REPLAY_MAX_ZONES];
	unsigned int nr_orders;
	unsigned int pageblock_order;
	unsigned int thp_order;
	int nr_mt;
	char mt_names[BUDDY_MAX_MT][24];
	struct replay_sample *samples;		/* the series; the last is the end */
	size_t nr_samples;
	struct buddy_model_stats stats;
	struct replay_check_zone start[REPLAY_MAX_ZONES];	/* model after init vs start buddyinfo */
	struct replay_check_zone end[REPLAY_MAX_ZONES];		/* model at the end vs end buddyinfo */
	bool have_start, have_end;
	__u64 events;				/* page events applied */
	__u64 events_read;			/* every event of the trace */
	__u64 skipped_in_map;			/* page events the start free-page map reflects */
	__u64 lost;				/* events the recording lost */
	size_t model_bytes;
	__u64 model_pages;
	double seconds;				/* CPU time of the replay loop */
	char check_err[256];			/* a model invariant broken (--check) */
	__u64 end_free_by_mt[REPLAY_MAX_ZONES][BUDDY_MAX_MT][BUDDY_MAX_ORDERS];
	struct blame_site *blame;		/* sites by pageblock-seconds */
	size_t nr_blame;
};

/* Replays r from its start; 0 or a negative errno with why filled. */
int replay__run(struct trace_reader *r, const struct replay_opts *opts, bool check_invariants,
		struct replay_result *res, char *why, size_t whylen);
void replay_result__free(struct replay_result *res);

#endif /* __KMT_REPLAY_H */
