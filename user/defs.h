/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Definitions a trace's events refer to by key: kmem_caches, tasks, stacks and
 * symbols. The trace reader keeps them as it decodes; a live consumer of the
 * collector (the lint) keeps them through kmt_defs__sink().
 */
#ifndef __KMT_DEFS_H
#define __KMT_DEFS_H

#include "trace.h"

struct kmt_defs;

struct kmt_defs *kmt_defs__new(void);
void kmt_defs__free(struct kmt_defs *d);

/* Insert or replace; 0 or -ENOMEM. */
int kmt_defs__put_cache(struct kmt_defs *d, const struct kmt_cache_def *c);
int kmt_defs__put_task(struct kmt_defs *d, const struct kmt_task *t);
int kmt_defs__put_stack(struct kmt_defs *d, const struct kmt_stack *s);
int kmt_defs__put_sym(struct kmt_defs *d, const struct kmt_sym *s);

/* NULL when unknown (d may be NULL). */
const struct kmt_cache_def *kmt_defs__cache(const struct kmt_defs *d, __u64 cache);
const struct kmt_task *kmt_defs__task(const struct kmt_defs *d, __u32 tid);
const struct kmt_stack *kmt_defs__stack(const struct kmt_defs *d, __s32 id);
const struct kmt_sym *kmt_defs__sym(const struct kmt_defs *d, __u64 addr);

/* A sink storing every definition in d; its event callback is NULL (set your own). */
struct kmt_sink kmt_defs__sink(struct kmt_defs *d);

#endif /* __KMT_DEFS_H */
