/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The lint's environment (struct lint_env) from what a trace or a kernel tells. */
#ifndef __KMT_LINT_ENV_H
#define __KMT_LINT_ENV_H

#include <stdbool.h>
#include "lint.h"
#include "trace.h"
#include "tracemeta.h"

/* Largest kmalloc-<N> cache of a /proc/slabinfo text; 0 when none. */
__u64 lint_env__kmalloc_max_cache(const char *slabinfo);
/* Spinlocks raise the preempt count unless the kconfig says CONFIG_PREEMPT_COUNT is off. */
bool lint_env__preempt_count(const char *kconfig);
/* The offline environment of a trace (its GFP table, kconfig, slabinfo, defs). */
void lint_env__from_trace(const struct trace_reader *r, const struct tracemeta *meta,
			  int costly_order, struct lint_env *env);

#endif /* __KMT_LINT_ENV_H */
