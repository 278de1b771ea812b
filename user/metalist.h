/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Metadata items gathered in memory, written to a trace later: lets the
 * start-of-recording snapshots be taken on another thread while the main one
 * drains the ring buffer (the trace writer itself is single-threaded).
 */
#ifndef __KMT_METALIST_H
#define __KMT_METALIST_H

#include <linux/types.h>

struct trace_writer;

struct meta_list {
	struct meta_item *items;
	size_t nr;
	size_t cap;
};

int meta_list__add(struct meta_list *l, __u16 key, const void *val, __u32 len);
/* Adds every item to w's pending META frame (the caller flushes). */
int meta_list__write(const struct meta_list *l, struct trace_writer *w);
void meta_list__free(struct meta_list *l);

#endif /* __KMT_METALIST_H */
