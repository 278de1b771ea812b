// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace file writer/reader: round trips (events, definitions, metadata),
 * crash tolerance (a cut at every byte, flipped bytes, write failures), hostile
 * files, file mode, and the size and speed on a synthetic-realistic workload.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>
#include "../build.h"
#include "../test.h"
#include "trace.h"

/* ---- helpers ---- */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static __u64 rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static double rnd_unit(__u64 *s)
{
	return (rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fields each type keeps (the table in event.h), written out again independently. */
enum {
	M_PTR = 1 << 0, M_CS = 1 << 1, M_SIZE = 1 << 2, M_SIZE2 = 1 << 3, M_AUX = 1 << 4,
	M_AUX2 = 1 << 5, M_GFP = 1 << 6, M_NODE = 1 << 7, M_ORDER = 1 << 8, M_MT = 1 << 9,
	M_ARG = 1 << 10, M_ARG2 = 1 << 11, M_ALL = (1 << 12) - 1,
};

static unsigned int type_mask(unsigned int type)
{
	static const unsigned int m[KMT_EV_MAX] = {
		[KMT_EV_KMALLOC] = M_PTR | M_CS | M_SIZE | M_SIZE2 | M_GFP | M_NODE,
		[KMT_EV_KFREE] = M_PTR | M_CS,
		[KMT_EV_CACHE_ALLOC] = M_PTR | M_CS | M_SIZE | M_SIZE2 | M_AUX | M_GFP | M_NODE,
		[KMT_EV_CACHE_FREE] = M_PTR | M_CS | M_AUX,
		[KMT_EV_PAGE_ALLOC] = M_PTR | M_GFP | M_ORDER | M_MT,
		[KMT_EV_PAGE_FREE] = M_PTR | M_ORDER,
		[KMT_EV_PAGE_FREE_BATCHED] = M_PTR,
		[KMT_EV_PAGE_ALLOC_ZONE_LOCKED] = M_PTR | M_ORDER | M_MT | M_ARG,
		[KMT_EV_PAGE_PCPU_DRAIN] = M_PTR | M_ORDER | M_MT,
		[KMT_EV_PAGE_ALLOC_EXTFRAG] = M_PTR | M_AUX | M_ORDER | M_MT | M_ARG | M_ARG2,
		[KMT_EV_VMAP_ALLOC] = M_PTR | M_SIZE | M_SIZE2 | M_AUX | M_AUX2 | M_ARG,
		[KMT_EV_VMAP_FREE] = M_PTR | M_SIZE | M_SIZE2,
		[KMT_EV_VMAP_PURGE] = M_PTR | M_SIZE | M_AUX,
		[KMT_EV_PERCPU_ALLOC] = M_PTR | M_CS | M_SIZE | M_SIZE2 | M_AUX | M_AUX2 | M_GFP |
					M_ARG | M_ARG2,
		[KMT_EV_PERCPU_FREE] = M_PTR | M_AUX | M_AUX2,
		[KMT_EV_TLB_FLUSH] = M_SIZE | M_ARG,
		[KMT_EV_PERCPU_CHUNK_CREATE] = M_PTR,
		[KMT_EV_PERCPU_CHUNK_DESTROY] = M_PTR,
	};

	return type > KMT_EV_NONE && type < KMT_EV_MAX ? m[type] : M_ALL;
}

/* What the reader must give back for e: unused fields 0. */
static void expected(struct kmt_event *e)
{
	unsigned int m = type_mask(e->type);

#define KEEP(bit, f) do { if (!(m & (bit))) e->f = 0; } while (0)
	KEEP(M_PTR, ptr); KEEP(M_CS, call_site); KEEP(M_SIZE, size); KEEP(M_SIZE2, size2);
	KEEP(M_AUX, aux); KEEP(M_AUX2, aux2); KEEP(M_GFP, gfp); KEEP(M_NODE, node);
	KEEP(M_ORDER, order); KEEP(M_MT, mt); KEEP(M_ARG, arg); KEEP(M_ARG2, arg2);
#undef KEEP
	e->pad = 0;
}

/* 0 if equal; otherwise prints the first differing field */
static int event_diff(const struct kmt_event *a, const struct kmt_event *b, __u64 i)
{
#define CMP(f) do { if (a->f != b->f) { \
	printf("    event %llu: %s: got 0x%llx, want 0x%llx (type %u)\n", (unsigned long long)i, \
	       #f, (unsigned long long)a->f, (unsigned long long)b->f, b->type); return 1; } \
	} while (0)
	CMP(type); CMP(ts); CMP(cpu); CMP(tid); CMP(tgid); CMP(ctx); CMP(flags); CMP(stack_id);
	CMP(ptr); CMP(call_site); CMP(size); CMP(size2); CMP(aux); CMP(aux2); CMP(gfp);
	CMP(node); CMP(order); CMP(mt); CMP(arg); CMP(arg2); CMP(pad);
#undef CMP
	return 0;
}

static __u64 rnd_u64(__u64 *s, __u64 prev)
{
	switch (rnd(s) % 8) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return rnd(s);
	case 3: return rnd(s) % 100;
	case 4: return prev + rnd(s) % 64;
	case 5: return 1ull << (rnd(s) % 64);
	case 6: return (1ull << 63) + rnd(s) % 3 - 1;
	default: return prev - rnd(s) % 4096;
	}
}

static __s32 rnd_s32(__u64 *s)
{
	switch (rnd(s) % 6) {
	case 0: return 0;
	case 1: return -1;
	case 2: return INT_MIN;
	case 3: return INT_MAX;
	case 4: return (__s32)(rnd(s) % 16) - 8;
	default: return (__s32)rnd(s);
	}
}

/* Any type (also unknown ones), every field random with extremes; ts mostly rising. */
static void rnd_event(__u64 *s, struct kmt_event *e, __u64 *ts)
{
	static const __u32 odd_types[] = { 0, 19, 63, 200, 255 };
	__u64 r = rnd(s);

	e->type = r % 10 ? 1 + r % (KMT_EV_MAX - 1) : odd_types[r % 5];
	*ts = r % 50 ? *ts + rnd(s) % 1000 : r % 3 ? *ts - rnd(s) % 100000 : rnd_u64(s, *ts);
	e->ts = *ts;
	e->cpu = rnd(s) % 5 ? rnd(s) % 4 : (__u32)rnd_u64(s, 3);
	e->tid = rnd(s) % 3 ? 100 + rnd(s) % 5 : (__u32)rnd_u64(s, 0);
	e->tgid = rnd(s) % 2 ? e->tid : (__u32)rnd_u64(s, e->tid);
	e->ctx = rnd(s) % 2 ? 0xc0000000u : (__u32)rnd(s);
	e->flags = rnd(s) % 4 ? 0 : (__u32)rnd(s);
	e->stack_id = rnd(s) % 3 ? -1 : rnd_s32(s);
	e->ptr = rnd_u64(s, 0xffff888100000000ull);
	e->call_site = rnd(s) % 4 ? 0xffffffff81000000ull + rnd(s) % 8 : rnd_u64(s, 0);
	e->size = rnd_u64(s, 64);
	e->size2 = rnd_u64(s, e->size);
	e->aux = rnd_u64(s, e->ptr);
	e->aux2 = rnd_u64(s, e->aux);
	e->gfp = rnd(s) % 3 ? 0xcc0 : (__u32)rnd_u64(s, 0);
	e->node = rnd_s32(s);
	e->order = rnd_s32(s);
	e->mt = rnd_s32(s);
	e->arg = rnd_s32(s);
	e->arg2 = rnd_s32(s);
	e->pad = (__u32)rnd(s);
}

/* Reads the rest of r into a new array of *n events (NULL when none or on error). */
static struct kmt_event *read_rest(struct trace_reader *r, size_t *n, int *ret)
{
	struct kmt_event *v = NULL, *nv;
	size_t cap = 0;

	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		*ret = trace_reader__next(r, &v[*n]);
		if (*ret <= 0)
			break;
		(*n)++;
	}
	return v;
}

static int events_match(const struct kmt_event *got, size_t ngot, const struct kmt_event *want,
			size_t nwant)
{
	struct kmt_event w;
	size_t i;

	if (ngot != nwant) {
		printf("    got %zu events, want %zu\n", ngot, nwant);
		return 1;
	}
	for (i = 0; i < ngot; i++) {
		w = want[i];
		expected(&w);
		if (event_diff(&got[i], &w, i))
			return 1;
	}
	return 0;
}

static void roundtrip_random(int zlevel)
{
	const size_t n = 20000;
	const struct trace_reader_stats *st;
	struct kmt_event *ev = calloc(n, sizeof(*ev)), *got;
	__u64 seed = 0x1234 + zlevel, ts = 1000, tmin = ~0ull, tmax = 0;
	struct trace_writer *w;
	struct trace_reader *r;
	size_t i, ngot;
	int ret;

	ASSERT_TRUE(ev);
	w = tb_writer(tb_path("rt.kmt"), 1000, zlevel);
	ASSERT_TRUE(w);
	for (i = 0; i < n; i++) {
		rnd_event(&seed, &ev[i], &ts);
		tmin = ev[i].ts < tmin ? ev[i].ts : tmin;
		tmax = ev[i].ts > tmax ? ev[i].ts : tmax;
		trace_writer__set_lost(w, i / 7);
		ASSERT_EQ(trace_writer__add_event(w, &ev[i]), 0);
	}
	ASSERT_EQ(trace_writer__events(w), n);
	ASSERT_EQ(tb_finish(w, NULL, 0), 0);

	r = tb_reader(tb_path("rt.kmt"));
	ASSERT_TRUE(r);
	got = read_rest(r, &ngot, &ret);
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(trace_reader__next(r, &got[0]), 0);
	ASSERT_EQ(events_match(got, ngot, ev, n), 0);
	st = trace_reader__stats(r);
	ASSERT_EQ(st->events, n);
	ASSERT_EQ(st->chunks, n / 1000);
	ASSERT_EQ(st->bad_frames, 0);
	ASSERT_TRUE(st->finished);
	ASSERT_FALSE(st->truncated);
	ASSERT_U64_EQ(st->t_first, tmin);
	ASSERT_U64_EQ(st->t_last, tmax);
	ASSERT_EQ(st->lost, (n - 1) / 7);
	ASSERT_EQ(st->major, KMT_FORMAT_MAJOR);
	ASSERT_EQ(st->minor, KMT_FORMAT_MINOR);

	/* a second pass after rewind gives the same */
	free(got);
	ASSERT_EQ(trace_reader__rewind(r), 0);
	got = read_rest(r, &ngot, &ret);
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(events_match(got, ngot, ev, n), 0);
	ASSERT_EQ(trace_reader__stats(r)->events, n);
	trace_reader__free(r);
	free(got);
	free(ev);
}

TEST(trace_roundtrip_random)
{
	roundtrip_random(1);
}

TEST(trace_roundtrip_random_zlib9)
{
	roundtrip_random(9);
}

TEST(trace_roundtrip_random_uncompressed)
{
	roundtrip_random(-1);
}

/* Every type (and 3 unknown ones), each field at each extreme. */
#define EXT_TYPES	(KMT_EV_MAX + 3)

TEST(trace_roundtrip_extremes)
{
	static const __u64 v64[] = { 0, ~0ull, 1, 1ull << 63, (1ull << 63) - 1, 0x80, 0x7f };
	static const __s32 v32[] = { 0, -1, INT_MIN, INT_MAX, 1, -64, 64 };
	struct kmt_event *ev = calloc(EXT_TYPES * 7, sizeof(*ev)), *got, *e;
	struct trace_writer *w = tb_writer(tb_path("x.kmt"), 3, 0);
	struct trace_reader *r;
	size_t n = 0, ngot;
	unsigned int t, k;
	int ret;

	ASSERT_TRUE(ev && w);
	for (t = 0; t < EXT_TYPES; t++) {
		for (k = 0; k < 7; k++, n++) {
			e = &ev[n];
			e->type = t < KMT_EV_MAX ? t : 255 - (t - KMT_EV_MAX) * 50;
			e->ts = v64[(k + 1) % 7];
			e->cpu = (__u32)v64[k];
			e->tid = (__u32)v64[(k + 2) % 7];
			e->tgid = (__u32)v64[(k + 3) % 7];
			e->ctx = (__u32)v64[(k + 4) % 7];
			e->flags = (__u32)v64[(k + 5) % 7];
			e->stack_id = v32[k];
			e->ptr = e->call_site = e->aux2 = v64[k];
			e->size = e->aux = v64[(k + 3) % 7];
			e->size2 = v64[(k + 6) % 7];
			e->gfp = (__u32)v64[k];
			e->node = e->mt = e->arg2 = v32[k];
			e->order = e->arg = v32[(k + 1) % 7];
			ASSERT_EQ(trace_writer__add_event(w, e), 0);
		}
	}
	ASSERT_EQ(tb_finish(w, NULL, 0), 0);
	r = tb_reader(tb_path("x.kmt"));
	ASSERT_TRUE(r);
	got = read_rest(r, &ngot, &ret);
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(events_match(got, ngot, ev, n), 0);
	trace_reader__free(r);
	free(got);
	free(ev);
}

/* Events whose columns are all zero (left out of the chunk) still read back. */
TEST(trace_roundtrip_constant_columns)
{
	struct kmt_event ev[3000], *got;
	struct trace_writer *w = tb_writer(tb_path("z.kmt"), 1000, 0);
	struct trace_reader *r;
	size_t i, ngot;
	int ret;

	ASSERT_TRUE(w);
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 3000; i++) {
		ev[i].type = i < 1000 ? KMT_EV_KFREE : i < 2000 ? KMT_EV_NONE : KMT_EV_TLB_FLUSH;
		ev[i].ts = i < 2000 ? 0 : 77;	/* chunk 2: one delta, then none */
		ev[i].stack_id = i < 1000 ? -1 : 0;
		ASSERT_EQ(trace_writer__add_event(w, &ev[i]), 0);
	}
	ASSERT_EQ(trace_writer__finish(w), 0);
	ASSERT_LT(trace_writer__bytes(w), 1000);
	trace_writer__free(w);
	r = tb_reader(tb_path("z.kmt"));
	ASSERT_TRUE(r);
	got = read_rest(r, &ngot, &ret);
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(events_match(got, ngot, ev, 3000), 0);
	ASSERT_EQ(trace_reader__stats(r)->bad_frames, 0);
	trace_reader__free(r);
	free(got);
}

/* Rewinding part way through (the next chunk may be loading) restarts cleanly. */
TEST(trace_rewind_midway)
{
	const size_t n = 5000;
	struct kmt_event *ev = calloc(n, sizeof(*ev)), *got, e;
	struct trace_writer *w = tb_writer(tb_path("rw.kmt"), 300, 0);
	__u64 seed = 77, ts = 0;
	struct trace_reader *r;
	size_t i, k, ngot;
	int ret;

	ASSERT_TRUE(ev && w);
	for (i = 0; i < n; i++) {
		rnd_event(&seed, &ev[i], &ts);
		ASSERT_EQ(trace_writer__add_event(w, &ev[i]), 0);
	}
	ASSERT_EQ(tb_finish(w, NULL, 0), 0);
	r = tb_reader(tb_path("rw.kmt"));
	ASSERT_TRUE(r);
	for (k = 1; k < n; k = k * 3 + 7) {
		for (i = 0; i < k && trace_reader__next(r, &e) == 1; i++)
			;
		ASSERT_EQ(trace_reader__stats(r)->events, i);
		ASSERT_EQ(trace_reader__rewind(r), 0);
	}
	got = read_rest(r, &ngot, &ret);
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(events_match(got, ngot, ev, n), 0);
	trace_reader__free(r);
	free(got);
	free(ev);
}

static void fill_defs(int i, struct kmt_cache_def *c, struct kmt_task *t, struct kmt_stack *s,
		      struct kmt_sym *y)
{
	unsigned int k;

	memset(c, 0, sizeof(*c));
	memset(t, 0, sizeof(*t));
	memset(s, 0, sizeof(*s));
	memset(y, 0, sizeof(*y));
	c->cache = i ? 0xffff888100000000ull + i * 0x100 : 0;
	c->object_size = i * 8;
	c->size = i * 8 + 8;
	c->align = i % 2 ? 8 : 64;
	c->flags = i == 3 ? ~0u : 0x2000u * i;
	c->order = i % 5 == 4 ? -1 : i % 4;
	c->objects = i * 3;
	c->has_ctor = i % 2;
	if (i == 7)
		memset(c->name, 'x', sizeof(c->name));	/* no NUL: kept to 31 bytes */
	else
		snprintf(c->name, sizeof(c->name), "cache-%d%s", i,
			 i == 5 ? "-a-very-long-name!!" : "");
	t->tid = i ? 1000 + i : 0;
	t->tgid = 1000 + i / 4 * 4;
	snprintf(t->comm, sizeof(t->comm), "task%d", i);
	s->id = i == 9 ? INT_MAX : i;
	s->nr = i == 2 ? KMT_MAX_STACK_DEPTH : i % 6;
	for (k = 0; k < s->nr; k++)
		s->ips[k] = k % 3 == 2 ? ~0ull - k : 0xffffffff81000000ull + (k * 7919) % 100000;
	y->addr = i == 1 ? ~0ull : 0xffffffff81000000ull + i * 16;
	y->offset = i * 3;
	if (i == 2) {
		memset(y->name, 'n', sizeof(y->name) - 1);
		memset(y->module, 'm', sizeof(y->module) - 1);
	} else {
		snprintf(y->name, sizeof(y->name), "func_%d", i);
		snprintf(y->module, sizeof(y->module), "%s", i % 3 ? "" : "ext4");
	}
}

static int add_defs(struct trace_writer *w, int i)
{
	struct kmt_cache_def c;
	struct kmt_task t;
	struct kmt_stack s;
	struct kmt_sym y;

	fill_defs(i, &c, &t, &s, &y);
	return trace_writer__add_cache(w, &c) || trace_writer__add_task(w, &t) ||
	       trace_writer__add_stack(w, &s) || trace_writer__add_sym(w, &y);
}

static int check_defs(struct trace_reader *r, int i)
{
	const struct kmt_cache_def *rc;
	const struct kmt_task *rt;
	const struct kmt_stack *rs;
	const struct kmt_sym *ry;
	struct kmt_cache_def c;
	struct kmt_task t;
	struct kmt_stack s;
	struct kmt_sym y;

	fill_defs(i, &c, &t, &s, &y);
	if (i == 7)
		c.name[sizeof(c.name) - 1] = 0;
	rc = trace_reader__cache(r, c.cache);
	rt = trace_reader__task(r, t.tid);
	rs = trace_reader__stack(r, s.id);
	ry = trace_reader__sym(r, y.addr);
	if (!rc || !rt || !rs || !ry) {
		printf("    def %d missing: %p %p %p %p\n", i, rc, rt, rs, ry);
		return 1;
	}
	if (memcmp(rc, &c, sizeof(c)) || memcmp(rt, &t, sizeof(t)) || memcmp(rs, &s, sizeof(s)) ||
	    memcmp(ry, &y, sizeof(y))) {
		printf("    def %d differs: %d %d %d %d\n", i, !!memcmp(rc, &c, sizeof(c)),
		       !!memcmp(rt, &t, sizeof(t)), !!memcmp(rs, &s, sizeof(s)),
		       !!memcmp(ry, &y, sizeof(y)));
		return 1;
	}
	return 0;
}

TEST(trace_roundtrip_defs)
{
	struct trace_writer *w = tb_writer(tb_path("d.kmt"), 4, 0);
	struct kmt_event e = { .type = KMT_EV_KFREE, .stack_id = -1 }, got;
	struct kmt_task t2 = { .tgid = 1004, .tid = 1005, .comm = "renamed" };
	struct kmt_stack big = { .id = 1, .nr = KMT_MAX_STACK_DEPTH + 1 };
	struct trace_reader *r;
	int i, n = 0;

	ASSERT_TRUE(w);
	ASSERT_EQ(trace_writer__add_stack(w, &big), -EINVAL);
	for (i = 0; i < 10; i++)	/* chunk 0: defs 0-9 and 4 events */
		ASSERT_EQ(add_defs(w, i), 0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(trace_writer__add_event(w, &e), 0);
	for (i = 10; i < 20; i++)	/* chunk 1: defs 10-19, then its events */
		ASSERT_EQ(add_defs(w, i), 0);
	e.tid = 1015;
	for (i = 0; i < 4; i++)
		ASSERT_EQ(trace_writer__add_event(w, &e), 0);
	ASSERT_EQ(add_defs(w, 20), 0);	/* chunk 2: definitions only */
	ASSERT_EQ(trace_writer__flush(w), 0);
	ASSERT_EQ(trace_writer__add_task(w, &t2), 0);	/* chunk 3: a comm change */
	ASSERT_EQ(tb_finish(w, NULL, 0), 0);

	r = tb_reader(tb_path("d.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(trace_reader__stats(r)->chunks, 4);
	ASSERT_TRUE(!trace_reader__task(r, 1015));	/* nothing before iterating */
	while (trace_reader__next(r, &got) == 1) {
		if (n++ == 4) {		/* first event of chunk 1: its definitions are in */
			ASSERT_TRUE(trace_reader__task(r, 1015) != NULL);
			ASSERT_TRUE(!trace_reader__sym(r, 0xffffffff81000000ull + 20 * 16));
		}
	}
	ASSERT_EQ(n, 8);
	for (i = 0; i <= 20; i++) {
		if (i != 5)	/* its task was renamed */
			ASSERT_EQ(check_defs(r, i), 0);
	}
	ASSERT_STREQ(trace_reader__task(r, 1005)->comm, "renamed");
	ASSERT_TRUE(!trace_reader__cache(r, 12345));
	ASSERT_TRUE(!trace_reader__stack(r, -1));
	ASSERT_EQ(trace_reader__stats(r)->bad_frames, 0);
	trace_reader__free(r);
}

TEST(trace_meta_repeated_keys)
{
	struct trace_writer *w = tb_writer(tb_path("m.kmt"), 0, 0);
	struct kmt_event e = { .type = KMT_EV_TLB_FLUSH, .size = 1 };
	struct kmt_counters cnt = { .seen = { 1, 2, 3 }, .pc_unknown = 42 };
	const struct kmt_counters *rc;
	struct trace_reader *r;
	__u32 ncpu = 2, len = 99;
	const char *s;

	ASSERT_TRUE(w);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_KERNEL_RELEASE, "6.1.0-18-amd64", 14), 0);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_NR_CPUS, &ncpu, sizeof(ncpu)), 0);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_SNAPSHOT, "\0buddyinfo\0A", 12), 0);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_SNAPSHOT, "\0slabinfo\0B", 11), 0);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_FILTER, NULL, 0), 0);
	ASSERT_EQ(trace_writer__meta_flush(w), 0);
	ASSERT_EQ(trace_writer__meta_flush(w), 0);	/* nothing pending: no frame */
	ASSERT_EQ(trace_writer__add_event(w, &e), 0);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_SNAPSHOT, "\1buddyinfo\0C", 12), 0);
	ASSERT_EQ(trace_writer__meta_add(w, KMT_META_COUNTERS, &cnt, sizeof(cnt)), 0);
	ASSERT_EQ(tb_finish(w, NULL, 0), 0);	/* flushes the chunk, then META, then END */

	r = tb_reader(tb_path("m.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(trace_reader__stats(r)->frames, 4);
	s = trace_reader__meta(r, KMT_META_KERNEL_RELEASE, 0, &len);
	ASSERT_EQ(len, 14);
	ASSERT_STREQ(s, "6.1.0-18-amd64");	/* a NUL follows every value */
	ASSERT_TRUE(!trace_reader__meta(r, KMT_META_KERNEL_RELEASE, 1, &len));
	ASSERT_EQ(*(const __u32 *)trace_reader__meta(r, KMT_META_NR_CPUS, 0, &len), 2);
	s = trace_reader__meta(r, KMT_META_SNAPSHOT, 0, &len);
	ASSERT_TRUE(s && len == 12 && !memcmp(s, "\0buddyinfo\0A", 12));
	s = trace_reader__meta(r, KMT_META_SNAPSHOT, 1, &len);
	ASSERT_TRUE(s && len == 11 && !memcmp(s, "\0slabinfo\0B", 11));
	s = trace_reader__meta(r, KMT_META_SNAPSHOT, 2, &len);
	ASSERT_TRUE(s && len == 12 && !memcmp(s, "\1buddyinfo\0C", 12));
	ASSERT_TRUE(!trace_reader__meta(r, KMT_META_SNAPSHOT, 3, &len));
	s = trace_reader__meta(r, KMT_META_FILTER, 0, &len);
	ASSERT_TRUE(s && len == 0);
	rc = trace_reader__meta(r, KMT_META_COUNTERS, 0, &len);
	ASSERT_TRUE(rc && len == sizeof(cnt));
	ASSERT_EQ((unsigned long)rc % 8, 0);	/* values are aligned for direct use */
	ASSERT_EQ(rc->seen[2], 3);
	ASSERT_EQ(rc->pc_unknown, 42);
	ASSERT_TRUE(!trace_reader__meta(r, KMT_META_ERRORS, 0, NULL));
	trace_reader__free(r);
}

/* ---- crash tolerance ---- */

#define SMALL_FRAMES	8

/* A small trace; bound[i] = file offset after frame i, nev[i] = events up to it. */
struct small_trace {
	struct kmt_event ev[64];
	size_t nr;
	__u64 bound[SMALL_FRAMES];
	size_t nev[SMALL_FRAMES];
	int nb;
	void *data;
	size_t size;
};

static int make_small(const char *path, struct small_trace *t, __u32 chunk, int chunks)
{
	struct trace_writer *w = tb_writer(path, chunk, 0);
	__u64 seed = 99, ts = 5000;
	int c, i;

	memset(t, 0, sizeof(*t));
	if (!w)
		return -1;
	trace_writer__meta_add(w, KMT_META_HOSTNAME, "box", 3);
	trace_writer__meta_flush(w);
	t->bound[t->nb++] = trace_writer__bytes(w);
	for (c = 0; c < chunks; c++) {
		for (i = 0; i < (int)chunk; i++) {
			rnd_event(&seed, &t->ev[t->nr], &ts);
			trace_writer__add_event(w, &t->ev[t->nr++]);
		}
		t->nev[t->nb] = t->nr;
		t->bound[t->nb++] = trace_writer__bytes(w);
	}
	if (trace_writer__finish(w))
		return -1;
	t->nev[t->nb] = t->nr;
	t->bound[t->nb++] = trace_writer__bytes(w);
	trace_writer__free(w);
	t->data = tb_read_file(path, &t->size);
	return t->data && t->size == t->bound[t->nb - 1] ? 0 : -1;
}

/* Reads a cut at len; 0 when it holds exactly the frames before the cut. */
static int check_cut(const struct small_trace *t, size_t len)
{
	const struct trace_reader_stats *st;
	const char *path = tb_path("cut.kmt");
	size_t i, want = 0, ngot;
	__u64 frame_start = TB_FILE_HDR;
	struct trace_reader *r;
	struct kmt_event *got;
	bool boundary = len == TB_FILE_HDR;
	char msg[128];
	int err = 0, ret, bad = 0;

	tb_write_file(path, t->data, len);
	r = trace_reader__open(path, &err, msg, sizeof(msg));
	if (len < TB_FILE_HDR)
		return r || err != -EINVAL || !msg[0];
	if (!r)
		return 1;
	for (i = 0; i < (size_t)t->nb; i++) {
		if (t->bound[i] <= len) {
			want = t->nev[i] ? t->nev[i] : want;
			frame_start = t->bound[i];
			boundary |= t->bound[i] == len;
		}
	}
	got = read_rest(r, &ngot, &ret);
	st = trace_reader__stats(r);
	bad |= ret || events_match(got, ngot, t->ev, want);
	bad |= st->truncated == boundary || st->bad_frames;
	bad |= st->truncated && st->truncated_at != frame_start;
	bad |= st->finished != (len == t->size);
	bad |= !trace_reader__meta(r, KMT_META_HOSTNAME, 0, NULL) != (len < t->bound[0]);
	if (bad)
		printf("    cut at %zu: %zu events (want %zu), truncated %d at %llu, bad %llu\n",
		       len, ngot, want, st->truncated, (unsigned long long)st->truncated_at,
		       (unsigned long long)st->bad_frames);
	trace_reader__free(r);
	free(got);
	return bad;
}

TEST(trace_cut_at_every_byte)
{
	struct small_trace t;
	size_t len;

	ASSERT_EQ(make_small(tb_path("small.kmt"), &t, 5, 3), 0);
	for (len = 0; len <= t.size; len++) {
		if (check_cut(&t, len))
			FAIL("cut at %zu of %zu", len, t.size);
	}
	free(t.data);
}

/*
 * Matches got against the chunks of t, each either whole or missing;
 * returns the number of missing chunks, or -1 if got is anything else.
 */
static int whole_chunks(const struct small_trace *t, const struct kmt_event *got, size_t ngot)
{
	size_t j = 0, k, prev = 0, i, len;
	struct kmt_event w;
	int missing = 0;

	for (k = 1; k < (size_t)t->nb - 1; prev = t->nev[k], k++) {
		len = t->nev[k] - prev;
		for (i = 0; i < len && j + i < ngot; i++) {
			w = t->ev[prev + i];
			expected(&w);
			if (memcmp(&got[j + i], &w, sizeof(w)))
				break;
		}
		if (i == len)
			j += len;
		else
			missing++;
	}
	return j == ngot ? missing : -1;
}

/* Flips one byte at off; checks the damage stays within whole frames. */
static int check_flip(const struct small_trace *t, size_t off)
{
	const char *path = tb_path("flip.kmt");
	const struct trace_reader_stats *st;
	__u8 *p = malloc(t->size);
	struct trace_reader *r;
	struct kmt_event *got;
	size_t ngot;
	char msg[128];
	int err = 0, ret, missing, bad = 0;

	memcpy(p, t->data, t->size);
	p[off] ^= 0x5a;
	tb_write_file(path, p, t->size);
	free(p);
	r = trace_reader__open(path, &err, msg, sizeof(msg));
	if (!r)		/* only the file header's magic, version or size can refuse a file */
		return off >= 16 || err >= 0 || !msg[0];
	got = read_rest(r, &ngot, &ret);
	st = trace_reader__stats(r);
	missing = whole_chunks(t, got, ngot);
	bad |= ret || missing < 0;
	bad |= off >= TB_FILE_HDR && !st->bad_frames;	/* every frame byte is checked */
	bad |= missing > 0 && !st->bad_frames && !st->truncated;
	bad |= off >= TB_FILE_HDR && st->bad_frames > 1;
	if (bad)
		printf("    flip at %zu: %zu events, missing %d, bad %llu, truncated %d\n", off,
		       ngot, missing, (unsigned long long)st->bad_frames, st->truncated);
	trace_reader__free(r);
	free(got);
	return bad;
}

TEST(trace_flipped_byte)
{
	const struct trace_reader_stats *st;
	struct trace_reader *r;
	struct small_trace t;
	struct kmt_event *got;
	size_t off, ngot;
	__u8 *p;
	int i, ret;

	ASSERT_EQ(make_small(tb_path("small.kmt"), &t, 10, 5), 0);
	/* a byte in the payload of chunk 2, then one in its header */
	for (i = 0; i < 2; i++) {
		off = t.bound[2] + (i ? 30 : 100);
		p = malloc(t.size);
		memcpy(p, t.data, t.size);
		p[off] ^= 0xff;
		tb_write_file(tb_path("f.kmt"), p, t.size);
		free(p);
		r = tb_reader(tb_path("f.kmt"));
		ASSERT_TRUE(r);
		got = read_rest(r, &ngot, &ret);
		st = trace_reader__stats(r);
		ASSERT_EQ(ret, 0);
		ASSERT_EQ(st->bad_frames, 1);
		ASSERT_EQ(ngot, 40);
		ASSERT_EQ(whole_chunks(&t, got, ngot), 1);
		ASSERT_EQ(got[20].ts, t.ev[30].ts);	/* chunk 2 (events 20-29) is the one gone */
		ASSERT_TRUE(st->finished);
		trace_reader__free(r);
		free(got);
	}
	for (off = 0; off < t.size; off++) {
		if (check_flip(&t, off))
			FAIL("flip at %zu of %zu", off, t.size);
	}
	free(t.data);
}

/* ---- hostile files ---- */

TEST(trace_refuses_non_traces)
{
	__u8 buf[4096];
	__u64 seed = 7;
	size_t i;

	ASSERT_EQ(tb_write_file(tb_path("empty"), "", 0), 0);
	ASSERT_EQ(tb_refused(tb_path("empty"), -EINVAL, "not a kmmtrace file"), 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rnd(&seed);
	ASSERT_EQ(tb_write_file(tb_path("random"), buf, sizeof(buf)), 0);
	ASSERT_EQ(tb_refused(tb_path("random"), -EINVAL, "not a kmmtrace file"), 0);
	memcpy(buf, "KMMTRACX", 8);
	ASSERT_EQ(tb_write_file(tb_path("magic"), buf, sizeof(buf)), 0);
	ASSERT_EQ(tb_refused(tb_path("magic"), -EINVAL, "not a kmmtrace file"), 0);
	tb_file_hdr(buf, 2, 3);
	ASSERT_EQ(tb_write_file(tb_path("v2"), buf, TB_FILE_HDR), 0);
	ASSERT_EQ(tb_refused(tb_path("v2"), -EPROTONOSUPPORT, "2.3"), 0);
	ASSERT_EQ(tb_refused(tb_path("v2"), -EPROTONOSUPPORT, "1.0"), 0);
	tb_file_hdr(buf, 1, 0);
	ASSERT_EQ(tb_write_file(tb_path("short"), buf, 40), 0);
	ASSERT_EQ(tb_refused(tb_path("short"), -EINVAL, "truncated"), 0);
	tb_le(buf + 12, 1 << 30, 4);
	ASSERT_EQ(tb_write_file(tb_path("hsz"), buf, sizeof(buf)), 0);
	ASSERT_EQ(tb_refused(tb_path("hsz"), -EINVAL, "header"), 0);
	ASSERT_EQ(tb_refused(tb_path("nonexistent"), -ENOENT, "failed to open"), 0);
	ASSERT_EQ(tb_refused(kmt_test__tmpdir(), -EISDIR, "failed to read"), 0);
}

/* Header, then frames given as (header, payload) pieces; returns the reader or NULL. */
static struct trace_reader *open_crafted(const __u8 *body, size_t len, int minor)
{
	__u8 *p = malloc(TB_FILE_HDR + 128 + len);
	size_t hsz = TB_FILE_HDR + (minor ? 128 : 0);

	tb_file_hdr(p, 1, minor);
	tb_le(p + 12, hsz, 4);		/* a newer minor with a longer header */
	memset(p + TB_FILE_HDR, 0xee, hsz - TB_FILE_HDR);
	memcpy(p + hsz, body, len);
	tb_write_file(tb_path("crafted.kmt"), p, hsz + len);
	free(p);
	return tb_reader(tb_path("crafted.kmt"));
}

TEST(trace_hostile_frames)
{
	static const __u8 empty_meta[] = { 0 };
	const struct trace_reader_stats *st;
	__u8 body[8192], *p = body;
	struct trace_reader *r;
	struct kmt_event e;
	__u64 seed = 3;
	size_t i;

	tb_frame_hdr(p, 2, 1, ~0u, ~0u, 0, NULL);	/* claims a 4 GiB frame */
	p += TB_FRAME_HDR;
	tb_frame_hdr(p, 2, 0, 0, 0, 0, NULL);		/* a valid empty chunk */
	p += TB_FRAME_HDR;
	tb_frame_hdr(p, 2, 1, 0, 0, 0, NULL);		/* zlib with no data */
	p += TB_FRAME_HDR;
	tb_frame_hdr(p, 2, 0, 1, 1, 5, empty_meta);	/* 5 events in 1 byte */
	p += TB_FRAME_HDR;
	*p++ = 0;
	tb_frame_hdr(p, 9, 0, 1, 1, 0, empty_meta);	/* a frame type from the future */
	p += TB_FRAME_HDR;
	*p++ = 0;
	tb_frame_hdr(p, 2, 4, 1, 1, 0, empty_meta);	/* unknown payload flag */
	p += TB_FRAME_HDR;
	*p++ = 0;
	for (i = 0; i < 1000; i++)			/* garbage */
		*p++ = rnd(&seed);
	tb_frame_hdr(p, 2, 0, 200 << 20, 200 << 20, 0, NULL);	/* 200 MiB, past the end */
	p += TB_FRAME_HDR;
	r = open_crafted(body, p - body, 5);
	ASSERT_TRUE(r);
	ASSERT_EQ(trace_reader__next(r, &e), 0);
	st = trace_reader__stats(r);
	ASSERT_EQ(st->minor, 5);
	ASSERT_EQ(st->chunks, 2);	/* the empty one and the flag-4 one */
	/* 4 GiB; zlib-empty and 5-in-1 (adjacent: one damaged stretch); garbage; flag 4 */
	ASSERT_EQ(st->bad_frames, 4);
	ASSERT_TRUE(st->truncated);
	ASSERT_EQ(st->truncated_at, TB_FILE_HDR + 128 + (p - body) - TB_FRAME_HDR);
	ASSERT_FALSE(st->finished);
	trace_reader__free(r);
}

TEST(trace_garbage_after_header)
{
	__u8 body[65536];
	struct trace_reader *r;
	struct kmt_event e;
	__u64 seed = 11;
	size_t i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = rnd(&seed) % 4 ? rnd(&seed) : (TB_FRAME_SYNC >> (8 * (i % 4)));
	r = open_crafted(body, sizeof(body), 0);
	ASSERT_TRUE(r);
	ASSERT_EQ(trace_reader__next(r, &e), 0);
	ASSERT_EQ(trace_reader__stats(r)->events, 0);
	ASSERT_GE(trace_reader__stats(r)->bad_frames, 1);
	trace_reader__free(r);
}

/*
 * Chunk payloads with valid CRCs but mutated bytes (what a buggy or hostile
 * writer makes): never a crash, at most that chunk lost or cut short.
 */
/*
 * n random events (defs before every defs_every-th from 0; none if 0) through w,
 * finished and freed; the file's bytes in a new buffer (*len), NULL on failure.
 */
static __u8 *write_random(struct trace_writer *w, const char *path, size_t n,
			  size_t defs_every, __u64 seed, size_t *len)
{
	struct kmt_event e;
	__u64 ts = 0;

	for (size_t i = 0; w && i < n; i++) {
		if (defs_every && i % defs_every == 0 && add_defs(w, i / defs_every))
			return NULL;
		rnd_event(&seed, &e, &ts);
		if (trace_writer__add_event(w, &e))
			return NULL;
	}
	if (!w || trace_writer__finish(w))
		return NULL;
	trace_writer__free(w);
	return tb_read_file(path, len);
}

/*
 * Changes nbytes random bytes in the payload of frame number frame (or the last) of
 * the stored (uncompressed) trace p, and rewrites its CRCs so the change reaches the
 * decoders.
 */
static void mutate_frame(__u8 *p, size_t len, size_t frame, size_t nbytes, __u64 *seed)
{
	size_t off = 64;
	__u32 stored;

	for (;;) {
		stored = p[off + 8] | p[off + 9] << 8 | p[off + 10] << 16 |
			 (__u32)p[off + 11] << 24;
		if (!frame-- || off + 2 * TB_FRAME_HDR + stored > len)
			break;
		off += TB_FRAME_HDR + stored;
	}
	for (size_t k = 0; stored && k < nbytes; k++)
		p[off + TB_FRAME_HDR + rnd(seed) % stored] = rnd(seed);
	tb_le(p + off + 28, crc32(0, p + off + TB_FRAME_HDR, stored), 4);
	tb_le(p + off + 60, crc32(0, p + off, 60), 4);
}

TEST(trace_mutated_payloads)
{
	const char *path = tb_path("mut.kmt");
	struct trace_writer *w = tb_writer(path, 0, -1);	/* stored: bytes to aim at */
	__u64 seed = 1234;
	struct trace_reader *r;
	struct kmt_event e;
	size_t i, len, n;
	__u8 *orig, *p;
	int iter;

	ASSERT_TRUE(w);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(add_defs(w, i), 0);
	orig = write_random(w, path, 300, 0, seed, &len);
	ASSERT_TRUE(orig);
	p = malloc(len);
	for (iter = 0; iter < 3000; iter++) {
		memcpy(p, orig, len);
		mutate_frame(p, len, 0, 1 + (size_t)iter % 4, &seed);	/* the chunk: first frame */
		tb_write_file(path, p, len);
		r = tb_reader(path);
		ASSERT_TRUE(r);
		for (n = 0; trace_reader__next(r, &e) == 1; n++)
			;
		ASSERT_LE(n, 300);
		ASSERT_LE(trace_reader__stats(r)->bad_frames, 1);
		ASSERT_TRUE(trace_reader__stats(r)->finished);
		trace_reader__free(r);
	}
	free(p);
	free(orig);
}

/* What one reading gave: the events, and the reader's account of them. */
struct reading {
	struct kmt_event *ev;
	size_t n;
	struct trace_reader_stats st;
	int work_units;		/* how 4: units of helper work run */
};

/* Appends n events to out (room made). */
static void take(struct reading *out, size_t *cap, const struct kmt_event *ev, size_t n)
{
	if (out->n + n > *cap) {
		*cap = (out->n + n) * 2;
		out->ev = realloc(out->ev, *cap * sizeof(*out->ev));
	}
	memcpy(out->ev + out->n, ev, n * sizeof(*ev));
	out->n += n;
}

/* Helper work for read_how(): each unit is a sleep, long enough for chunks to be taken back. */
struct slow_work {
	pthread_t reader;
	int pending;		/* units asked for: added by the reader, read by the helper */
	int done;
	bool elsewhere;		/* every unit ran on a thread other than the reader's */
	bool in_fn;
};

static int slow_unit(void *arg)
{
	struct slow_work *w = arg;

	if (__atomic_load_n(&w->pending, __ATOMIC_ACQUIRE) == w->done)
		return 0;
	__atomic_store_n(&w->in_fn, true, __ATOMIC_RELEASE);
	w->elsewhere &= !pthread_equal(pthread_self(), w->reader);
	usleep(100);
	w->done++;
	__atomic_store_n(&w->in_fn, false, __ATOMIC_RELEASE);
	return 1;
}

/*
 * how: 0 one at a time, 1 batches of 7, 2 one at a time on one CPU, 3 whole-chunk
 * batches whose arrays are kept (trace_reader__keep_batch) and read only three
 * batches later, then handed back; 4 as 3, with a unit of slow helper work
 * (trace_reader__set_helper_work) asked for after every batch. predecode: 0, 1
 * through KMMTRACE_PREDECODE, -1 measured, 2 TRACE_DECODE_CHUNK_HERE, 3
 * TRACE_DECODE_AHEAD.
 */
static int read_how(const char *path, int how, int predecode, struct reading *out)
{
	struct slow_work work = { .reader = pthread_self(), .elsewhere = true };
	bool working = false;
	struct { struct kmt_event *ev; size_t n, cap; } kept[3];
	int nkept = 0, ever_kept = 0;
	cpu_set_t old, one;
	struct trace_reader *r;
	const struct kmt_event *b;
	size_t cap = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (how == 2) {
		if (sched_getaffinity(0, sizeof(old), &old))
			return -1;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	if (predecode == 0 || predecode == 1)
		setenv("KMMTRACE_PREDECODE", predecode ? "1" : "0", 1);
	r = tb_reader(path);
	if (r && predecode >= 2)
		trace_reader__set_predecode(r, predecode == 2 ? TRACE_DECODE_CHUNK_HERE :
								TRACE_DECODE_AHEAD);
	if (r && how == 4)
		working = trace_reader__set_helper_work(r, slow_unit, &work);
	for (ret = r ? 1 : -1; ret > 0 && how >= 3;) {
		struct kmt_event *k;
		size_t kcap;

		ret = trace_reader__batch(r, &b, 1 << 20);
		if (working) {
			__atomic_add_fetch(&work.pending, 1, __ATOMIC_RELEASE);
			trace_reader__kick(r);
		}
		k = ret > 0 ? trace_reader__keep_batch(r, &kcap) : NULL;
		if (k && k != b)
			return -2;
		if (nkept && (!k || nkept == 3)) {	/* the oldest, or all before one not kept */
			for (int i = 0; i < (k ? 1 : nkept); i++) {
				take(out, &cap, kept[i].ev, kept[i].n);
				trace_reader__give_batch(r, kept[i].ev, kept[i].cap);
			}
			if (k)
				memmove(kept, kept + 1, --nkept * sizeof(kept[0]));
			else
				nkept = 0;
		}
		if (k) {
			ever_kept++;
			kept[nkept].ev = k;
			kept[nkept].n = ret;
			kept[nkept++].cap = kcap;
		} else if (ret > 0) {
			take(out, &cap, b, ret);
		}
	}
	for (int i = 0; i < nkept; i++) {
		take(out, &cap, kept[i].ev, kept[i].n);
		free(kept[i].ev);
	}
	if (how >= 3 && predecode >= 2 && out->n >= 200 && ever_kept < 2)
		ret = -3;	/* whole chunks were asked for: arrays to keep */
	if (working) {
		trace_reader__set_helper_work(r, NULL, NULL);
		if (work.in_fn || !work.elsewhere || !work.done)
			ret = -4;	/* taken back while running, or run here, or never */
		out->work_units = work.done;
	}
	for (; ret > 0;) {
		if (out->n + 7 > cap) {
			cap = cap * 2 + 64;
			out->ev = realloc(out->ev, cap * sizeof(*out->ev));
		}
		if (how == 1) {
			ret = trace_reader__batch(r, &b, 7);
			for (int i = 0; i < ret; i++)
				out->ev[out->n++] = b[i];
		} else {
			ret = trace_reader__next(r, &out->ev[out->n]);
			out->n += ret == 1;
		}
	}
	if (r)
		out->st = *trace_reader__stats(r);
	trace_reader__free(r);
	unsetenv("KMMTRACE_PREDECODE");
	if (how == 2)
		sched_setaffinity(0, sizeof(old), &old);
	return ret;
}

/*
 * The reader's helper thread decodes chunks ahead; inline decoding, batches and
 * single events must agree on every event and every count, damaged chunks included,
 * also while the helper runs the caller's work and chunks are loaded here instead.
 */
TEST(trace_helper_decodes_like_inline)
{
	const char *path = tb_path("pre.kmt");
	struct trace_writer *w = tb_writer(path, 64, -1);	/* stored, 64 events a chunk */
	__u64 seed = 99;
	/* how, predecode */
	static const int ways[][2] = { { 0, 0 }, { 0, 1 }, { 1, 1 }, { 1, 0 }, { 0, -1 }, { 2, -1 },
				       { 3, 2 }, { 3, 3 }, { 1, 2 }, { 3, -1 }, { 4, 2 } };
	__u64 taken_back = 0, units = 0;
	cpu_set_t cpus;
	enum { NWAYS = sizeof(ways) / sizeof(ways[0]) };
	struct reading rd[NWAYS];
	struct kmt_event e;
	size_t len;
	__u8 *orig, *p;
	int iter, how;

	ASSERT_TRUE(w);
	orig = write_random(w, path, 1000, 100, seed, &len);
	ASSERT_TRUE(orig);
	p = malloc(len);
	for (iter = 0; iter < 400; iter++) {
		memcpy(p, orig, len);
		/* frame number iter % 20 (or the last); the first reading is of the whole file */
		mutate_frame(p, len, iter % 20, iter ? 1 + (size_t)iter % 4 : 0, &seed);
		tb_write_file(path, p, len);
		for (how = 0; how < NWAYS; how++)
			ASSERT_EQ(read_how(path, ways[how][0], ways[how][1], &rd[how]), 0);
		if (!iter)
			ASSERT_EQ(rd[0].n, 1000);
		for (how = 1; how < NWAYS; how++) {
			ASSERT_EQ(rd[how].n, rd[0].n);
			ASSERT_EQ(memcmp(rd[how].ev, rd[0].ev, rd[0].n * sizeof(e)), 0);
			ASSERT_EQ(rd[how].st.events, rd[0].st.events);
			ASSERT_EQ(rd[how].st.bad_frames, rd[0].st.bad_frames);
			ASSERT_EQ(rd[how].st.t_first, rd[0].st.t_first);
			ASSERT_EQ(rd[how].st.t_last, rd[0].st.t_last);
			ASSERT_EQ(rd[how].st.lost, rd[0].st.lost);
		}
		taken_back += rd[NWAYS - 1].st.taken_back;
		units += rd[NWAYS - 1].work_units;
		for (how = 0; how < NWAYS; how++)
			free(rd[how].ev);
	}
	/* the helper ran the caller's work, and chunks were loaded here meanwhile */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) >= 2) {
		ASSERT_TRUE(units > 400);
		ASSERT_TRUE(taken_back > 0);
	}
	free(p);
	free(orig);
}

/* ---- writer: file mode, failures, misuse ---- */

TEST(trace_file_mode_0600)
{
	const char *path = tb_path("mode.kmt");
	struct trace_writer *w;
	struct stat st;
	mode_t old = umask(0);

	ASSERT_EQ(tb_write_file(path, "old", 3), 0);
	ASSERT_EQ(chmod(path, 0666), 0);
	w = tb_writer(path, 0, 0);
	umask(old);
	ASSERT_TRUE(w);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(st.st_size, TB_FILE_HDR);	/* truncated, header written */
	trace_writer__free(w);
	unlink(path);
	umask(0);
	w = tb_writer(path, 0, 0);
	umask(old);
	ASSERT_TRUE(w);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	trace_writer__free(w);
}

/* A file size limit makes a write fail part way: the file must end on a whole frame. */
TEST(trace_write_failure_leaves_whole_frames)
{
	const char *path = tb_path("full.kmt");
	struct kmt_event *ev = calloc(100000, sizeof(*ev)), *got;
	const struct trace_reader_stats *st;
	struct rlimit old, lim;
	struct trace_writer *w;
	struct trace_reader *r;
	__u64 seed = 5, ts = 0;
	size_t i, ngot, size;
	int err = 0, ret;
	void *data;

	ASSERT_TRUE(ev);
	w = tb_writer(path, 100, -1);
	ASSERT_TRUE(w);
	ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 50000;
	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 100000 && !err; i++) {
		rnd_event(&seed, &ev[i], &ts);
		err = trace_writer__add_event(w, &ev[i]);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ASSERT_EQ(err, -EFBIG);
	ASSERT_EQ(trace_writer__add_event(w, &ev[0]), -EFBIG);	/* the error sticks */
	ASSERT_EQ(trace_writer__meta_flush(w), -EFBIG);
	ASSERT_EQ(trace_writer__finish(w), -EFBIG);
	size = trace_writer__bytes(w);
	trace_writer__free(w);
	data = tb_read_file(path, &ngot);
	ASSERT_EQ(ngot, size);
	free(data);
	ASSERT_LE(size, 50000);

	r = tb_reader(path);
	ASSERT_TRUE(r);
	got = read_rest(r, &ngot, &ret);
	st = trace_reader__stats(r);
	ASSERT_EQ(ret, 0);
	ASSERT_FALSE(st->truncated);
	ASSERT_EQ(st->bad_frames, 0);
	ASSERT_FALSE(st->finished);
	ASSERT_EQ(i % 100, 0);		/* the add that completed a chunk failed */
	ASSERT_EQ(ngot, i - 100);
	ASSERT_EQ(events_match(got, ngot, ev, ngot), 0);
	trace_reader__free(r);
	free(got);
	free(ev);
}

TEST(trace_writer_misuse)
{
	struct trace_writer_opts o = { .sz = sizeof(o) };
	struct kmt_event e = { .type = 256 };
	struct trace_writer *w;
	int err = 0;

	o.chunk_events = (1u << 20) + 1;
	ASSERT_TRUE(!trace_writer__open(tb_path("a.kmt"), &o, &err));
	ASSERT_EQ(err, -EINVAL);
	o.chunk_events = 0;
	o.zlevel = 10;
	ASSERT_TRUE(!trace_writer__open(tb_path("a.kmt"), &o, &err));
	ASSERT_EQ(err, -EINVAL);
	ASSERT_TRUE(!trace_writer__open(tb_path("no/such/dir.kmt"), NULL, &err));
	ASSERT_EQ(err, -ENOENT);
	w = trace_writer__open(tb_path("a.kmt"), NULL, &err);
	ASSERT_TRUE(w);
	ASSERT_EQ(trace_writer__add_event(w, &e), -EINVAL);
	ASSERT_EQ(trace_writer__events(w), 0);
	e.type = KMT_EV_KFREE;
	ASSERT_EQ(trace_writer__add_event(w, &e), 0);
	ASSERT_EQ(trace_writer__finish(w), 0);
	ASSERT_EQ(trace_writer__add_event(w, &e), -EINVAL);
	ASSERT_EQ(trace_writer__meta_add(w, 1, "x", 1), -EINVAL);
	ASSERT_EQ(trace_writer__events(w), 1);
	ASSERT_GT(trace_writer__bytes(w), TB_FILE_HDR);
	trace_writer__free(w);
	trace_writer__free(NULL);
	trace_reader__free(NULL);
}

/*
 * ---- a synthetic-realistic workload ----
 *
 * Two CPUs whose clocks advance ~300 ns per event, read in near time order;
 * 24 tasks; 200 call sites (skewed use) over 13 kmalloc and 35 named caches,
 * each with a LIFO freelist fed by new slabs; ~3000 live objects; 10 GFP
 * values; order-0 pages through per-CPU LIFO lists refilled in batches of 31
 * contiguous pfns (with zone_locked events); a few TLB flushes, vmap and
 * percpu events. With paths on, most slab traffic runs through 48 code paths
 * (fixed sequences of allocations and frees of short-lived objects, as a
 * syscall or packet does); with paths off every operation is drawn alone,
 * which no real workload does: a worst case for the encoding.
 */
#define G_CPUS		2
#define G_SITES		200
#define G_KMALLOC	13
#define G_CACHES	48
#define G_TASKS		24
#define G_LIVE		4096
#define G_PAGES		2048
#define G_PCP		64
#define G_PATHS		48
#define G_STEPS		8

struct g_site {
	__u64 addr;
	__u64 free_addr;
	bool cache_alloc;
	bool var_size;
	__u32 size;
	__u32 gfp;
	int cache;
};

struct g_cache {
	__u64 addr;
	__u32 size;
	__u64 *free;
	int nfree;
	int cap;
};

struct g_obj {
	__u64 ptr;
	int site;
	int cache;
};

struct g_page {
	__u64 pfn;
	int order;
};

/* A code path: allocations (ref < 0) and frees of the path's own objects (ref = step). */
struct g_path {
	int n;
	int site[G_STEPS];
	int ref[G_STEPS];
};

struct g_run {
	bool active;
	int path;
	int step;
	struct g_obj obj[G_STEPS];
};

struct gen {
	__u64 s;
	__u64 ts[G_CPUS];
	int task[G_CPUS];
	int cpu;
	__u64 slab_next;
	__u64 zone_next;
	__u64 vmap_next;
	struct g_site site[G_SITES];
	struct g_cache cache[G_CACHES];
	struct g_obj live[G_LIVE];
	int nlive;
	struct g_page page[G_PAGES];
	int npage;
	__u64 pcp[G_CPUS][G_PCP];
	int npcp[G_CPUS];
	bool paths;
	struct g_path path[G_PATHS];
	struct g_run run[G_CPUS];
};

static const __u32 g_gfp[10] = {
	0xcc0, 0xdc0, 0x820, 0x800, 0x2800, 0x400cc0, 0xcc0 | 0x2000, 0x100cc0, 0xa20, 0x40cc0,
};
static const __u32 g_kmalloc_size[G_KMALLOC] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};

static int g_kmalloc_cache(__u32 size)
{
	int i;

	for (i = 0; i < G_KMALLOC - 1 && g_kmalloc_size[i] < size; i++)
		;
	return i;
}

static int g_pick_site(struct gen *g)
{
	double u = rnd_unit(&g->s);

	return (int)(u * u * u * G_SITES);
}

/* 1-4 allocations, then their frees, mostly in reverse order; some objects stay live. */
static void g_path_init(struct gen *g, struct g_path *p)
{
	int nalloc = 1 + rnd(&g->s) % 4, i, k;

	for (i = 0; i < nalloc; i++) {
		p->site[i] = g_pick_site(g);
		p->ref[i] = -1;
	}
	p->n = nalloc;
	for (i = 0; i < nalloc; i++) {
		k = rnd(&g->s) % 4 ? nalloc - 1 - i : i;
		if (rnd(&g->s) % 8 == 0)
			continue;	/* kept: joins the long-lived objects */
		p->site[p->n] = p->site[k];
		p->ref[p->n++] = k;
	}
}

static void gen_init(struct gen *g, __u64 seed)
{
	struct g_site *s;
	double u;
	int i;

	memset(g, 0, sizeof(*g));
	g->s = seed;
	g->ts[0] = g->ts[1] = 1000000000ull;
	g->slab_next = 0xffff888104000000ull;
	g->zone_next = 0x100000;
	g->vmap_next = 0xffffc90000000000ull;
	for (i = 0; i < G_CACHES; i++) {
		g->cache[i].addr = 0xffff888100040000ull + i * 0x100;
		g->cache[i].size = i < G_KMALLOC ? g_kmalloc_size[i] : 32 + rnd(&g->s) % 32 * 32;
	}
	for (i = 0; i < G_SITES; i++) {
		s = &g->site[i];
		s->addr = 0xffffffff81000000ull + (rnd(&g->s) % 0x1000000 & ~0xfull);
		s->free_addr = 0xffffffff81000000ull + (rnd(&g->s) % 0x1000000 & ~0xfull);
		s->cache_alloc = rnd(&g->s) % 10 < 4;
		s->var_size = !s->cache_alloc && rnd(&g->s) % 5 == 0;
		u = rnd_unit(&g->s);
		s->gfp = g_gfp[(int)(u * u * 10)];
		s->cache = G_KMALLOC + rnd(&g->s) % (G_CACHES - G_KMALLOC);
		u = rnd_unit(&g->s);
		s->size = s->cache_alloc ? g->cache[s->cache].size : 8 + (__u32)(u * u * 1000);
	}
	for (i = 0; i < G_PATHS; i++)
		g_path_init(g, &g->path[i]);
}

static void gen_free(struct gen *g)
{
	int i;

	for (i = 0; i < G_CACHES; i++)
		free(g->cache[i].free);
}

static void g_common(struct gen *g, struct kmt_event *e, __u32 type)
{
	int r = rnd(&g->s) % 100, t = g->task[g->cpu];

	memset(e, 0, sizeof(*e));
	e->type = type;
	g->ts[g->cpu] += 50 + rnd(&g->s) % 500;
	e->ts = g->ts[g->cpu];
	e->cpu = g->cpu;
	e->tid = 2000 + t * 7;
	e->tgid = t < 8 ? 2000 : e->tid;
	e->ctx = 0xc0000000u | (r < 85 ? 0 : r < 93 ? 0x100 : r < 98 ? 1 : 0x10000);
	e->stack_id = -1;
}

static __u64 g_cache_pop(struct gen *g, struct g_cache *c)
{
	__u32 slab = c->size <= 256 ? 4096 : c->size <= 1024 ? 16384 : 32768, n, i;

	if (!c->nfree) {
		n = slab / c->size;
		if (c->cap < (int)n) {
			c->cap = n;
			c->free = realloc(c->free, n * sizeof(*c->free));
		}
		for (i = 0; i < n; i++)		/* lowest address first out */
			c->free[i] = g->slab_next + (__u64)(n - 1 - i) * c->size;
		c->nfree = n;
		g->slab_next += slab + 4096 * (rnd(&g->s) % 64);
	}
	return c->free[--c->nfree];
}

static void g_cache_push(struct g_cache *c, __u64 ptr)
{
	if (c->nfree == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->free = realloc(c->free, c->cap * sizeof(*c->free));
	}
	c->free[c->nfree++] = ptr;
}

static struct g_obj g_alloc_at(struct gen *g, struct kmt_event *e, int si)
{
	struct g_site *s = &g->site[si];
	__u32 size = s->var_size ? 8 + rnd(&g->s) % (2 * s->size) : s->size;
	int ci = s->cache_alloc ? s->cache : g_kmalloc_cache(size);
	struct g_cache *c = &g->cache[ci];

	g_common(g, e, s->cache_alloc ? KMT_EV_CACHE_ALLOC : KMT_EV_KMALLOC);
	e->ptr = g_cache_pop(g, c);
	e->call_site = s->addr;
	e->size = size < c->size ? size : c->size;
	e->size2 = c->size;
	e->aux = s->cache_alloc ? c->addr : 0;
	e->gfp = s->gfp;
	e->node = rnd(&g->s) % 10 ? -1 : 0;
	return (struct g_obj){ e->ptr, si, ci };
}

static void g_free_obj(struct gen *g, struct kmt_event *e, struct g_obj o)
{
	g_common(g, e, g->site[o.site].cache_alloc ? KMT_EV_CACHE_FREE : KMT_EV_KFREE);
	e->ptr = o.ptr;
	e->call_site = g->site[o.site].free_addr;
	e->aux = g->site[o.site].cache_alloc ? g->cache[o.cache].addr : 0;
	g_cache_push(&g->cache[o.cache], o.ptr);
}

static void g_keep(struct gen *g, struct g_obj o)
{
	if (g->nlive < G_LIVE)
		g->live[g->nlive++] = o;
}

static int g_slab_alloc(struct gen *g, struct kmt_event *e)
{
	g_keep(g, g_alloc_at(g, e, g_pick_site(g)));
	return 1;
}

static int g_slab_free(struct gen *g, struct kmt_event *e)
{
	int r = rnd(&g->s) % 10, i;
	struct g_obj o;

	if (r < 5)
		i = g->nlive - 1;
	else if (r < 8)
		i = g->nlive - 1 - rnd(&g->s) % (g->nlive < 16 ? g->nlive : 16);
	else
		i = rnd(&g->s) % g->nlive;
	o = g->live[i];
	if (r < 8)
		memmove(&g->live[i], &g->live[i + 1], (g->nlive - i - 1) * sizeof(o));
	else
		g->live[i] = g->live[g->nlive - 1];
	g->nlive--;
	g_free_obj(g, e, o);
	return 1;
}

/* The next step of the code path running on this CPU (a new one if none). */
static int g_path_step(struct gen *g, struct kmt_event *e)
{
	struct g_run *r = &g->run[g->cpu];
	const struct g_path *p;
	double u;
	int k;

	if (!r->active) {
		u = rnd_unit(&g->s);
		r->path = (int)(u * u * G_PATHS);
		r->step = 0;
		r->active = true;
	}
	p = &g->path[r->path];
	if (p->ref[r->step] < 0) {
		r->obj[r->step] = g_alloc_at(g, e, p->site[r->step]);
	} else {
		g_free_obj(g, e, r->obj[p->ref[r->step]]);
		r->obj[p->ref[r->step]].ptr = 0;
	}
	if (++r->step < p->n)
		return 1;
	r->active = false;
	for (k = 0; k < p->n; k++) {
		if (p->ref[k] < 0 && r->obj[k].ptr)
			g_keep(g, r->obj[k]);
	}
	return 1;
}

static int g_page_alloc(struct gen *g, struct kmt_event *out)
{
	int order = rnd(&g->s) % 100 < 85 ? 0 : 1 + rnd(&g->s) % 3, n = 0, k;
	int mt = rnd(&g->s) % 10 < 6, *np = &g->npcp[g->cpu];
	__u64 pfn;

	if (!order && !*np) {
		for (k = 0; k < 31; k++) {	/* rmqueue_bulk */
			g_common(g, &out[n], KMT_EV_PAGE_ALLOC_ZONE_LOCKED);
			out[n].ptr = g->pcp[g->cpu][30 - k] = g->zone_next++;
			out[n].mt = mt;
			out[n++].arg = 1;
		}
		*np = 31;
		if (rnd(&g->s) % 8 == 0)
			g->zone_next += rnd(&g->s) % 4096;
	}
	if (!order) {
		pfn = g->pcp[g->cpu][--*np];
	} else {
		pfn = (g->zone_next + (1u << order) - 1) & ~((1ull << order) - 1);
		g->zone_next = pfn + (1u << order);
	}
	g_common(g, &out[n], KMT_EV_PAGE_ALLOC);
	out[n].ptr = pfn;
	out[n].gfp = mt ? 0x140cca : 0xcc0;
	out[n].order = order;
	out[n].mt = mt;
	g->page[g->npage++] = (struct g_page){ pfn, order };
	return n + 1;
}

static int g_page_free(struct gen *g, struct kmt_event *out)
{
	int i = rnd(&g->s) % 10 < 7 ? g->npage - 1 : (int)(rnd(&g->s) % g->npage), n = 0, k;
	int *np = &g->npcp[g->cpu];
	struct g_page p = g->page[i];

	g->page[i] = g->page[--g->npage];
	g_common(g, &out[n], p.order || rnd(&g->s) % 20 ? KMT_EV_PAGE_FREE :
			     KMT_EV_PAGE_FREE_BATCHED);
	out[n].ptr = p.pfn;
	out[n++].order = out[0].type == KMT_EV_PAGE_FREE ? p.order : 0;
	if (p.order)
		return n;
	if (*np == G_PCP) {		/* drain the oldest half to the buddy lists */
		for (k = 0; k < G_PCP / 2; k++) {
			g_common(g, &out[n], KMT_EV_PAGE_PCPU_DRAIN);
			out[n++].ptr = g->pcp[g->cpu][k];
		}
		memmove(g->pcp[g->cpu], g->pcp[g->cpu] + G_PCP / 2, G_PCP / 2 * sizeof(__u64));
		*np = G_PCP / 2;
	}
	g->pcp[g->cpu][(*np)++] = p.pfn;
	return n;
}

static int g_other(struct gen *g, struct kmt_event *e)
{
	int r = rnd(&g->s) % 100;

	if (r < 60) {
		g_common(g, e, KMT_EV_TLB_FLUSH);
		e->size = rnd(&g->s) % 4 ? 1 : rnd(&g->s) % 512;
		e->arg = rnd(&g->s) % 4;
	} else if (r < 80) {
		g_common(g, e, KMT_EV_VMAP_ALLOC);
		e->size = (1 + rnd(&g->s) % 16) * 4096;
		e->ptr = g->vmap_next;
		g->vmap_next += e->size + 4096;
		e->size2 = r < 70 ? 4096 : 1;
		e->aux = 0xffffc90000000000ull;
		e->aux2 = 0xffffe8ffffffffffull;
	} else if (r < 95) {
		g_common(g, e, KMT_EV_VMAP_FREE);
		e->ptr = g->vmap_next - (1 + rnd(&g->s) % 64) * 4096;
		e->size = rnd(&g->s) % 32768;
		e->size2 = 32768;
	} else {
		g_common(g, e, r < 98 ? KMT_EV_PERCPU_ALLOC : KMT_EV_PERCPU_FREE);
		e->aux = 0xffffe8fffd000000ull;
		e->aux2 = rnd(&g->s) % 4096 * 8;
		e->ptr = 0x3e000 + e->aux2;
		if (e->type == KMT_EV_PERCPU_ALLOC) {
			e->call_site = g->site[rnd(&g->s) % 8].addr;
			e->size = e->size2 = 8 << rnd(&g->s) % 4;
			e->gfp = 0xcc0;
			e->arg2 = 8;
		}
	}
	return 1;
}

/* Fills out[] with up to 64 events of the next operation; returns how many. */
static int gen_step(struct gen *g, struct kmt_event *out)
{
	int lo = g->ts[0] <= g->ts[1] ? 0 : 1, r = rnd(&g->s) % 100;

	g->cpu = rnd(&g->s) % 8 ? lo : !lo;
	if (rnd(&g->s) % 64 == 0)
		g->task[g->cpu] = rnd(&g->s) % G_TASKS;
	if (g->paths && (g->run[g->cpu].active || (r < 85 && rnd(&g->s) % 10 < 7)))
		return g_path_step(g, out);
	if (r < 85) {
		if (g->nlive < 2500 || (g->nlive < 3500 && rnd(&g->s) % 2))
			return g_slab_alloc(g, out);
		return g_slab_free(g, out);
	}
	if (r < 97) {
		if (g->npage < 1000 || (g->npage < G_PAGES - 64 && rnd(&g->s) % 2))
			return g_page_alloc(g, out);
		return g_page_free(g, out);
	}
	return g_other(g, out);
}

static struct kmt_event *gen_events(size_t n, __u64 seed, bool paths)
{
	struct kmt_event *ev = malloc((n + 64) * sizeof(*ev));
	struct gen *g = malloc(sizeof(*g));
	size_t i = 0;

	if (ev && g) {
		gen_init(g, seed);
		g->paths = paths;
		while (i < n)
			i += gen_step(g, &ev[i]);
		gen_free(g);
	}
	free(g);
	return ev;
}

/* Writes and reads back n generated events; prints size and rates; returns bytes/event. */
static double measure(const char *what, size_t n, bool paths)
{
	struct kmt_event *ev = gen_events(n, 42, paths), e;
	struct trace_writer *w = tb_writer(tb_path("real.kmt"), 0, 0);
	struct trace_reader *r = NULL;
	double t0, tw, tr = 1;
	size_t i, bad = !ev || !w;
	__u64 bytes;

	t0 = now_s();
	for (i = 0; !bad && i < n; i++)
		bad = trace_writer__add_event(w, &ev[i]);
	bad |= !w || trace_writer__finish(w);
	tw = now_s() - t0;
	bytes = trace_writer__bytes(w);
	trace_writer__free(w);
	if (!bad)
		r = tb_reader(tb_path("real.kmt"));
	t0 = now_s();
	for (i = 0; r && trace_reader__next(r, &e) == 1; i++)
		bad += i >= n || e.ts != ev[i].ts || e.ptr != ev[i].ptr || e.size != ev[i].size;
	tr = now_s() - t0;
	bad |= !r || i != n;
	trace_reader__free(r);
	free(ev);
	if (bad)
		return 1e9;
	printf("    %s: %zu events, %llu bytes: %.2f bytes/event (zlib level 1)\n", what, n,
	       (unsigned long long)bytes, (double)bytes / n);
	printf("    %s: writer %.1f M events/s, reader %.1f M events/s%s\n", what, n / tw / 1e6,
	       n / tr / 1e6, SANITIZED ? " (sanitizers on: not representative)" : "");
	return (double)bytes / n;
}

TEST(trace_realistic_size_and_speed)
{
	ASSERT_LE(measure("realistic", 1000000, true), 8);
	ASSERT_LE(measure("no code paths (worst case)", 1000000, false), 8);
}
