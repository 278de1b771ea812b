// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The collector's reorder stage: per-CPU batches back in time order. */
#include <stdlib.h>
#include "../test.h"
#include "reorder.h"

struct out {
	__u64 *ts;
	__u32 *cpu;
	__u64 *seq;	/* size: the order pushed, to check ties keep it */
	size_t n, cap;
	int fail_at;	/* a sink error after this many (-1: never) */
};

static int collect(void *ctx, const struct kmt_event *e)
{
	struct out *o = ctx;

	if ((int)o->n == o->fail_at)
		return -5;
	if (o->n < o->cap) {
		o->ts[o->n] = e->ts;
		o->cpu[o->n] = e->cpu;
		o->seq[o->n] = e->size;
	}
	o->n++;
	return 0;
}

/*
 * Four CPUs send their events in batches of up to 32 at random, each CPU's times
 * rising with now and then an earlier one (an interrupt's event sent directly ahead
 * of the batch it interrupted); releases at watermarks hand out exactly the events
 * before each, in time order, and nothing twice.
 */
TEST(reorder_batches_back_in_time_order)
{
	enum { NCPU = 4, N = 20000 };
	struct reorder *r = reorder__new(NCPU);
	struct out o = { .fail_at = -1 };
	__u64 now[NCPU] = { 0 }, pushed = 0, released_below = 0;
	unsigned int seed = 7;

	ASSERT_TRUE(r != NULL);
	o.cap = N;
	o.ts = calloc(N, sizeof(*o.ts));
	o.cpu = calloc(N, sizeof(*o.cpu));
	o.seq = calloc(N, sizeof(*o.seq));
	ASSERT_TRUE(o.ts && o.cpu && o.seq);
	while (pushed < N) {
		int cpu = rand_r(&seed) % NCPU, batch = 1 + rand_r(&seed) % 32;
		__u64 lowest = ~0ull;

		for (int i = 0; i < batch && pushed < N; i++) {
			struct kmt_event e = { .cpu = cpu, .size = pushed };

			now[cpu] += 1 + rand_r(&seed) % 100;
			e.ts = now[cpu];
			if (rand_r(&seed) % 50 == 0 && now[cpu] > 300)
				e.ts -= 1 + rand_r(&seed) % 200;	/* overtook its batch */
			if (rand_r(&seed) % 20 == 0)
				e.ts = now[(cpu + 1) % NCPU] + 1;	/* equal times across CPUs */
			ASSERT_EQ(reorder__push(r, &e), 0);
			pushed++;
		}
		/* release below the slowest CPU, as after flushing every CPU */
		for (int c = 0; c < NCPU; c++)
			lowest = now[c] < lowest ? now[c] : lowest;
		if (lowest > 500 && rand_r(&seed) % 3 == 0) {
			size_t before = o.n;

			ASSERT_EQ(reorder__release(r, lowest - 400, collect, &o), 0);
			for (size_t i = before; i < o.n; i++)
				ASSERT_LT(o.ts[i], lowest - 400);
			if (o.n > before)
				ASSERT_GE(o.ts[before], released_below ? released_below - 400 : 0);
			released_below = lowest;
		}
	}
	ASSERT_EQ(reorder__held(r) + o.n, N);
	ASSERT_EQ(reorder__release(r, ~0ull, collect, &o), 0);
	ASSERT_EQ(o.n, N);
	ASSERT_EQ(reorder__held(r), 0);
	for (size_t i = 1; i < o.n; i++) {
		ASSERT_LE(o.ts[i - 1], o.ts[i]);
		if (o.ts[i - 1] == o.ts[i] && o.cpu[i - 1] == o.cpu[i])
			ASSERT_LT(o.seq[i - 1], o.seq[i]);	/* ties: the order pushed */
		if (o.ts[i - 1] == o.ts[i])
			ASSERT_LE(o.cpu[i - 1], o.cpu[i]);	/* then by CPU */
	}
	/* every event exactly once */
	char *seen = calloc(N, 1);

	ASSERT_TRUE(seen != NULL);
	for (size_t i = 0; i < o.n; i++) {
		ASSERT_LT(o.seq[i], N);
		ASSERT_EQ(seen[o.seq[i]], 0);
		seen[o.seq[i]] = 1;
	}
	free(seen);
	free(o.ts);
	free(o.cpu);
	free(o.seq);
	reorder__free(r);
}

/* A CPU number past the queues goes to the first; a sink error stops the release. */
TEST(reorder_odd_cpu_and_sink_error)
{
	struct reorder *r = reorder__new(2);
	__u64 ts[8];
	__u32 cpu[8];
	__u64 seq[8];
	struct out o = { .ts = ts, .cpu = cpu, .seq = seq, .cap = 8, .fail_at = 2 };

	ASSERT_TRUE(r != NULL);
	for (int i = 0; i < 5; i++) {
		struct kmt_event e = { .cpu = i == 3 ? 99 : i % 2, .ts = 100 - i, .size = i };

		ASSERT_EQ(reorder__push(r, &e), 0);
	}
	ASSERT_EQ(reorder__release(r, 50, collect, &o), 0);	/* nothing that early */
	ASSERT_EQ(o.n, 0);
	ASSERT_EQ(reorder__release(r, ~0ull, collect, &o), -5);
	ASSERT_EQ(o.n, 2);
	ASSERT_EQ(ts[0], 96);
	ASSERT_EQ(ts[1], 97);
	ASSERT_EQ(reorder__held(r), 2);	/* the refused one (98) was handed out */
	o.fail_at = -1;
	ASSERT_EQ(reorder__release(r, ~0ull, collect, &o), 0);
	ASSERT_EQ(o.n, 4);
	ASSERT_EQ(ts[2], 99);
	ASSERT_EQ(cpu[2], 1);
	ASSERT_EQ(ts[3], 100);
	ASSERT_EQ(reorder__held(r), 0);
	reorder__free(r);
}
