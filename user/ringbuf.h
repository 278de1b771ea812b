/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* BPF ring buffer consumer with batched position updates: see ringbuf.c. */
#ifndef __KMT_RINGBUF_H
#define __KMT_RINGBUF_H

#include <stdbool.h>
#include <linux/types.h>

struct ringbuf;

/* Called for each record; a negative return stops consumption and is returned. */
typedef int (*ringbuf_fn)(void *ctx, void *data, __u32 size);

struct ringbuf *ringbuf__new(int map_fd, ringbuf_fn fn, void *ctx, int *err);
/* Consumes every submitted record; returns how many, or a callback's error. */
int ringbuf__consume(struct ringbuf *rb);
/* Where the next record will be reserved: every record reserved so far lies before it. */
unsigned long ringbuf__reserved(const struct ringbuf *rb);
/* Whether every record before pos was consumed (none there is still being written). */
bool ringbuf__consumed_to(const struct ringbuf *rb, unsigned long pos);
/* Waits up to timeout_ms for a wakeup, then consumes. */
int ringbuf__poll(struct ringbuf *rb, int timeout_ms);
void ringbuf__free(struct ringbuf *rb);

#endif /* __KMT_RINGBUF_H */
