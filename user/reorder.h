/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events held back until every CPU has handed over all it timed earlier, then
 * released in time order. CPUs send their events in batches (see KMT_BATCH), so
 * the ring buffer's order is only per CPU; this puts the trace back in the order
 * the events happened.
 */
#ifndef __KMT_REORDER_H
#define __KMT_REORDER_H

#include <stddef.h>
#include <linux/types.h>
#include "event.h"

struct reorder;

/* A negative return stops the release and is returned. */
typedef int (*reorder_fn)(void *ctx, const struct kmt_event *e);

struct reorder *reorder__new(int nr_cpus);
/* Holds a copy of e (queued by its CPU); -ENOMEM. */
int reorder__push(struct reorder *r, const struct kmt_event *e);
/*
 * Hands fn every held event with ts < before, oldest first (equal times: by CPU,
 * then in the order pushed). before = ~0ull releases everything.
 */
int reorder__release(struct reorder *r, __u64 before, reorder_fn fn, void *ctx);
size_t reorder__held(const struct reorder *r);
void reorder__free(struct reorder *r);

#endif /* __KMT_REORDER_H */
