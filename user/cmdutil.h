/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What `kmmtrace lint`, `kmmtrace vmalloc` and report --html share (user/cmdutil.c):
 * one pass of the lint or the vmalloc analysis over a trace, and the words for a
 * lint finding, so that the page says what the commands say. open_trace() and
 * report_trace_health() are in commands.h.
 */
#ifndef __KMT_CMDUTIL_H
#define __KMT_CMDUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include "trace.h"

struct kmt_defs;
struct lint;
struct vmalloc_an;

/* Whether the vmalloc tracepoints were on while r was recorded (an imported trace: assume so). */
bool trace_has_vmalloc_events(const struct trace_reader *r);
/*
 * Feeds an the areas of r's start snapshot of /proc/vmallocinfo, then every event
 * of r from its start (rewinding it), and finishes it. 0 at the end of the trace,
 * or the reader's negative errno (an holds what was read up to there).
 */
int vmalloc_trace(struct trace_reader *r, struct vmalloc_an *an);
/*
 * Feeds l every event of r from its start (rewinding it) and finishes it; *t0 (0
 * before) becomes the first event's time, the origin of a finding's first and last.
 * 0 at the end of the trace, or the reader's negative errno.
 */
int lint_trace(struct trace_reader *r, struct lint *l, __u64 *t0);

/* A finding's example type: "kmalloc", "kmem_cache_alloc", "page", "percpu", "vmalloc". */
const char *lint_event_type(unsigned int type);
/* What the example allocated: "kmalloc 64 bytes (64 allocated)", "order-2 pages"... */
void lint_example_what(const struct kmt_defs *d, const struct kmt_event *e, char *buf,
		       size_t len);
/* The example's context (context__format()), or "unknown" where it was not read. */
void lint_example_context(const struct kmt_event *e, char *buf, size_t len);
/* Up to max frames of stack id, BPF's own first frames skipped; their number. */
int lint_stack_frames(const struct kmt_defs *d, __s32 id, char names[][160], int max);

#endif /* __KMT_CMDUTIL_H */
