/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector: loads the BPF programs this kernel supports, calibrates the
 * context baseline and the struct page -> pfn mapping, drains the ring buffer
 * and hands every record, decoded, to a sink (a trace writer, or a live
 * consumer such as the lint).
 */
#ifndef __KMT_COLLECTOR_H
#define __KMT_COLLECTOR_H

#include <stdbool.h>
#include <linux/types.h>
#include "event.h"
#include "trace.h"

struct collector;

struct collector_opts {
	__u64 events;			/* bit per enum kmt_event_type */
	__u32 pids[KMT_MAX_PIDS];
	__u32 nr_pids;
	const char *cgroup;		/* cgroup v2 path, or NULL */
	bool stacks;
	__u64 ringbuf_bytes;		/* power of two */
	__u32 stack_entries;
	bool verbose;			/* libbpf debug output */
	/* lint mode: only allocations a lint rule could flag leave the kernel */
	struct {
		bool on;
		bool rt;
		__u32 reclaim, kswapd, special, nowarn, zero, iofs;	/* GFP masks */
		__u64 kmalloc_big;
	} lint;
};

/* Opens and loads; NULL with a one-line reason in err on failure. */
struct collector *collector__new(const struct collector_opts *opts, const struct kmt_sink *sink,
				 char *err, size_t errlen);
/* Attaches every loadable program; warns about the others. */
int collector__attach(struct collector *c, char *err, size_t errlen);
/*
 * Measures what the tracing machinery adds to preempt/RCU depth and locates
 * struct pages. An error means page events cannot carry PFNs.
 */
int collector__calibrate(struct collector *c, char *err, size_t errlen);
/* Consumes what is in the ring buffer, waiting up to timeout_ms for more. */
int collector__poll(struct collector *c, int timeout_ms);
/* Detaches all programs and drains what is left. */
int collector__stop(struct collector *c);

const struct kmt_calib *collector__calib(const struct collector *c);
/* Records per CPU batch (events then reach the sink in time order), or 0. */
__u32 collector__batch(const struct collector *c);
/* Per-type status (enum kmt_ev_status) and reason for programs not attached. */
int collector__event_status(const struct collector *c, int type, const char **why);
/* Kernel-side counters summed over CPUs, plus what the collector decoded. */
int collector__counters(const struct collector *c, struct kmt_counters *out);
/* Per-program recursion misses; returns the number filled. */
int collector__prog_stats(const struct collector *c, struct kmt_prog_stat *out, int max);
void collector__free(struct collector *c);

/* Parses "kmalloc,kmem:mm_page_alloc,vmalloc,slab,page,all" into an event mask. */
int collector__parse_events(const char *list, __u64 *mask, char *err, size_t errlen);

#endif /* __KMT_COLLECTOR_H */
