/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* BPF ring buffer consumer with batched position updates: see ringbuf.c. */
#ifndef __KMT_RINGBUF_H
#define __KMT_RINGBUF_H

#include <linux/types.h>

struct ringbuf;

/* Called for each record; a negative return stops consumption and is returned. */
typedef int (*ringbuf_fn)(void *ctx, void *data, __u32 size);

struct ringbuf *ringbuf__new(int map_fd, ringbuf_fn fn, void *ctx, int *err);
/* Consumes every submitted record; returns how many, or a callback's error. */
int ringbuf__consume(struct ringbuf *rb);
/* Waits up to timeout_ms for a wakeup, then consumes. */
int ringbuf__poll(struct ringbuf *rb, int timeout_ms);
void ringbuf__free(struct ringbuf *rb);

#endif /* __KMT_RINGBUF_H */
