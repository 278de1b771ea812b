/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Typed access to a trace's metadata, validated once: the GFP table,
 * migratetype names, calibration, clock. Every analysis uses this instead of
 * decoding META items itself.
 */
#ifndef __KMT_TRACEMETA_H
#define __KMT_TRACEMETA_H

#include <stddef.h>
#include "gfp.h"
#include "trace.h"

#define KMT_MAX_MIGRATETYPES 16

struct tracemeta {
	struct kmt_gfp_entry gfp[KMT_GFP_MAX_ENTRIES];
	size_t nr_gfp;
	char migratetypes[KMT_MAX_MIGRATETYPES][24];
	int nr_migratetypes;
	struct kmt_calib calib;
	bool has_calib;
	struct kmt_clock clock;		/* start values from the first CLOCK item, end from the last */
	char release[128];
	__u32 nr_cpus;
	__u32 page_size;
	__u32 nr_page_orders;
	__u32 pageblock_order;
	__u32 preempt_rt;
	__u32 stacks;
	__u32 batch;		/* KMT_META_BATCH: records per CPU batch, 0 none */
	struct kmt_counters counters;
	bool has_counters;	/* false if the recording did not end cleanly */
};

void tracemeta__load(const struct trace_reader *r, struct tracemeta *m);
/* The text of a META item (truncated to sz - 1, NUL-terminated; "" when absent). */
void tracemeta__text(const struct trace_reader *r, __u16 key, char *buf, size_t sz);
/* The first snapshot name ("buddyinfo", ...) taken at phase, or NULL; *len set. */
const char *tracemeta__snapshot(const struct trace_reader *r, __u8 phase, const char *name,
				size_t *len);
/* "kfree+0x1a [mod]" for a text address the trace symbolised, else "0x..." */
void tracemeta__sym_name(const struct trace_reader *r, __u64 addr, char *buf, size_t len);
/* "Unmovable" etc., or "mt<N>" into buf */
const char *tracemeta__mt_name(const struct tracemeta *m, int mt, char *buf, size_t len);

#endif /* __KMT_TRACEMETA_H */
