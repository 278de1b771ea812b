// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One queue per CPU, each kept in time order (a CPU's events arrive nearly in
 * order: only an event that interrupted a program filling the batch overtakes
 * it, so insertion from the tail is short), merged on release through a binary
 * heap of the queues' heads.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "reorder.h"

struct queue {
	struct kmt_event *ev;
	size_t head, len, cap;	/* held: ev[head .. len) */
};

struct reorder {
	struct queue *q;
	int nr;
	int *heap;		/* queue indices, by their head's time */
	size_t held;
};

struct reorder *reorder__new(int nr_cpus)
{
	struct reorder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->nr = nr_cpus > 0 ? nr_cpus : 1;
	r->q = calloc(r->nr, sizeof(*r->q));
	r->heap = calloc(r->nr, sizeof(*r->heap));
	if (!r->q || !r->heap) {
		reorder__free(r);
		return NULL;
	}
	return r;
}

static int queue_room(struct queue *q)
{
	struct kmt_event *n;
	size_t cap;

	if (q->len < q->cap)
		return 0;
	if (q->cap && q->head >= q->cap / 2) {	/* at least half released: slide down */
		memmove(q->ev, q->ev + q->head, (q->len - q->head) * sizeof(*q->ev));
		q->len -= q->head;
		q->head = 0;
		return 0;
	}
	cap = q->cap ? q->cap * 2 : 4096;
	n = realloc(q->ev, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	q->ev = n;
	q->cap = cap;
	return 0;
}

int reorder__push(struct reorder *r, const struct kmt_event *e)
{
	struct queue *q = &r->q[e->cpu < (__u32)r->nr ? e->cpu : 0];
	size_t i;

	if (queue_room(q))
		return -ENOMEM;
	for (i = q->len; i > q->head && q->ev[i - 1].ts > e->ts; i--)
		;
	if (i < q->len)
		memmove(q->ev + i + 1, q->ev + i, (q->len - i) * sizeof(*q->ev));
	q->ev[i] = *e;
	q->len++;
	r->held++;
	return 0;
}

/* Whether queue a's head goes before queue b's. */
static inline bool before_q(const struct reorder *r, int a, int b)
{
	__u64 ta = r->q[a].ev[r->q[a].head].ts, tb = r->q[b].ev[r->q[b].head].ts;

	return ta < tb || (ta == tb && a < b);
}

static void sift_down(struct reorder *r, int *h, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, m = i, t;

		if (l < n && before_q(r, h[l], h[m]))
			m = l;
		if (l + 1 < n && before_q(r, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int reorder__release(struct reorder *r, __u64 before, reorder_fn fn, void *ctx)
{
	int *h = r->heap, n = 0, e = 0;

	for (int i = 0; i < r->nr; i++)
		if (r->q[i].head < r->q[i].len && r->q[i].ev[r->q[i].head].ts < before)
			h[n++] = i;
	for (int i = n / 2 - 1; i >= 0; i--)
		sift_down(r, h, n, i);
	while (n && !e) {
		struct queue *q = &r->q[h[0]];

		e = fn(ctx, &q->ev[q->head]);
		q->head++;
		r->held--;
		if (q->head == q->len)
			q->head = q->len = 0;
		if (q->head == q->len || q->ev[q->head].ts >= before)
			h[0] = h[--n];
		sift_down(r, h, n, 0);
	}
	return e < 0 ? e : 0;
}

size_t reorder__held(const struct reorder *r)
{
	return r ? r->held : 0;
}

void reorder__free(struct reorder *r)
{
	if (!r)
		return;
	for (int i = 0; r->q && i < r->nr; i++)
		free(r->q[i].ev);
	free(r->q);
	free(r->heap);
	free(r);
}
