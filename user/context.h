/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading the allocation context: where this kernel keeps its per-CPU preempt
 * count (from BTF), and turning raw counters into the context word.
 */
#ifndef __KMT_CONTEXT_H
#define __KMT_CONTEXT_H

#include <stdbool.h>
#include <linux/types.h>
#include "trace.h"

struct btf;

/*
 * Offset of this kernel's preempt counter from the per-CPU `runqueues`, from
 * BTF's .data..percpu DATASEC: __preempt_count, or pcpu_hot.preempt_count.
 * 0 on success with *delta set and *what naming the variable; -ENOENT otherwise.
 */
int context__pc_delta(const struct btf *btf, __s64 *delta, const char **what);

/* Context word (KMT_CTX_*) from a raw preempt count and RCU nesting. */
__u32 context__word(const struct kmt_calib *calib, bool pc_valid, __u32 pc, bool rcu_valid,
		    __s32 rcu);

/* "process", "softirq", "hardirq", "nmi", "bh-disabled"... plus depths, e.g. "softirq pd=1 rcu=1" */
int context__format(__u32 ctx, char *buf, size_t len);
/* Context classes, least to most restrictive; unknown last. */
enum ctx_class {
	CTX_PROCESS, CTX_RCU, CTX_PREEMPT_OFF, CTX_BH_OFF, CTX_SOFTIRQ, CTX_HARDIRQ, CTX_NMI,
	CTX_UNKNOWN, CTX_NR_CLASSES,
};

enum ctx_class context__class_id(__u32 ctx);
/* "process", "rcu", "preempt-off", "bh-off", "softirq", "hardirq", "nmi", "unknown" */
const char *context__class_name(enum ctx_class c);
/* context__class_name(context__class_id(ctx)) */
const char *context__class(__u32 ctx);

#endif /* __KMT_CONTEXT_H */
