// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace report: see report.h. Slab totals follow perf kmem's
 * evsel__process_alloc_event / _free_event (tools/perf/builtin-kmem.c): a free
 * counts the last size allocated at its pointer, if the pointer was ever
 * allocated in the trace, freed or not; page totals follow
 * evsel__process_page_alloc_event / _free_event: mm_page_free only (a batched
 * free is also an mm_page_free), failures counted among allocations.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "context.h"
#include "frames.h"
#include "hash.h"
#include "gfp.h"
#include "report.h"
#include "sysinfo.h"
#include "table.h"
#include "tracemeta.h"

/* A pointer (slab) or pfn (page) the trace allocated. */
struct obj {
	__u64 key;		/* ptr or pfn, + 1 (0: empty slot) */
	__u64 ts;
	__u32 last_alloc;	/* bytes_alloc of the last allocation here (perf's last_alloc) */
	__u32 bytes_req;
	__u32 group;
	__s32 stack;		/* stack id of the allocation, -1 none */
	__u16 cpu;
	__u8 live;
	__u8 order;
};

struct obj_map {
	struct obj *t;
	size_t cap, len;
	struct kmt_region rg;	/* t's memory, when reserved (rg.reserved) */
};

struct group_map {
	struct kmt_map map;	/* key -> index of its group */
	struct report_group_stat *g;
	struct kmt_event *first;	/* an event of each group, to name it */
	size_t nr, gcap;
};

/*
 * What feeds the slab model, on its own cache lines: with the model on a thread
 * of its own, fields next to those the reading thread writes for every event
 * (the GFP cache, say) made the line bounce between the two CPUs, and the two
 * threads took 40 % more CPU time.
 */
struct model_feed {
	struct slab_model *slab;	/* NULL: no model (--no-model, or out of memory) */
	struct report *rep;	/* slab_series */
	__u64 interval_ns;
	__u64 t_first;		/* the first event's, for the samples' times */
	bool started;
	__u64 next_sample;
	size_t series_cap;
	struct kmt_cache_def def_copy;	/* cache_def()'s answer on the model's thread */
} __attribute__((aligned(64)));

struct run {
	struct trace_reader *r;
	const struct report_opts *opts;
	struct report *rep;
	struct tracemeta meta;
	struct obj_map slab_objs, pages;
	struct group_map slab_g, page_g, gfp_g;
	__u32 reclaim_mask;
	__u32 *cpu_node;
	__u32 nr_cpu_node;
	__u64 t_first, t_last;
	struct obj_map percpu_objs;
	struct report_percpu *pcpu;	/* group index -> stats, parallel to pcpu_g */
	struct group_map pcpu_g;
	size_t pcpu_cap;
	__u32 last_gfp;		/* group_of cache for the GFP table */
	int last_gfp_g;
	struct slab_worker *worker;	/* NULL: the model runs inline */
	struct model_feed mf;
};

/*
 * The slab model off the reading thread, fed the same whole chunks as the
 * tables: while the reading thread works through chunk k, the model works
 * through chunk k or one up to WORKER_QUEUE - 1 before it, and the reader's
 * helper inflates (and, with three CPUs, decodes) chunk k + 1. With three CPUs
 * the model has a thread of its own; with two it runs on the reader's helper
 * (on_helper, trace_reader__set_helper_work), between chunks. The reading
 * thread keeps each chunk's array from the reader (trace_reader__keep_batch)
 * until both are done with it, then hands it back. The model asks the reader
 * for cache definitions, which the reading thread adds to as it reads:
 * defs_mu covers both.
 */
#define WORKER_QUEUE	2

struct worker_job {
	struct kmt_event *ev;
	size_t n, cap;
	size_t pos;		/* events the model has been through */
};

/*
 * The model goes through a chunk a slice at a time, by whichever thread is free:
 * when the reading thread finds the queue full it runs the slices itself, and
 * the model's thread (or the helper) leaves them to it, going back to inflating.
 * On a vCPU the host gives half its time, the helper had held the reading
 * thread to its pace: 1.26-1.39 s for a 0.6 s report.
 */
#define MODEL_SLICE	4096

struct slab_worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t defs_mu;
	bool running, stop;
	bool on_helper;		/* the model runs on the reader's helper thread */
	struct worker_job q[WORKER_QUEUE];
	unsigned int head, done, tail;	/* tail <= done <= head: jobs the model finished */
	bool busy;		/* a slice of job done is being run */
	bool reader_in;		/* the reading thread runs the slices (the queue is full) */
	struct run *run;
};

/* ---- object maps ---- */

/* Where a probe for key starts (key is ptr + 1, as stored). */
static size_t obj_home(size_t cap, __u64 key)
{
	return kmt_hash64(key) & (cap - 1);
}

static void obj_map_free(struct obj_map *m)
{
	kmt_table_free(&m->rg, m->t);
	m->t = NULL;
	m->cap = 0;
}

static struct obj *obj_slot(struct obj *t, size_t cap, __u64 key)
{
	size_t i = obj_home(cap, key);

	while (t[i].key && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static bool obj_used(const void *e)
{
	return ((const struct obj *)e)->key != 0;
}

static size_t obj_hash(const void *e)
{
	return kmt_hash64(((const struct obj *)e)->key);
}

static const struct kmt_table_ops obj_ops = { sizeof(struct obj), obj_used, obj_hash };

/* Twice the slots (user/table.h: in place in the map's reserved memory, or copied). */
static int obj_grow(struct obj_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1 << 16;
	struct obj *t = kmt_table_grow(&m->rg, m->t, m->cap, cap, &obj_ops);

	if (!t)
		return -ENOMEM;
	m->t = t;
	m->cap = cap;
	return 0;
}

/* The entry for key (created empty); NULL on ENOMEM. */
static struct obj *obj_get(struct obj_map *m, __u64 key)
{
	struct obj *o;

	if ((m->len + 1) * 4 > m->cap * 3 && obj_grow(m))	/* up to 3/4 full */
		return NULL;
	o = obj_slot(m->t, m->cap, key + 1);
	if (!o->key) {
		o->key = key + 1;
		m->len++;
	}
	return o;
}

static struct obj *obj_find(const struct obj_map *m, __u64 key)
{
	struct obj *o;

	if (!m->cap)
		return NULL;
	o = obj_slot(m->t, m->cap, key + 1);
	return o->key ? o : NULL;
}

static void obj_prefetch(const struct run *run, const struct kmt_event *e)
{
	const struct obj_map *m;

	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
		m = &run->slab_objs;
		break;
	case KMT_EV_PAGE_ALLOC:
	case KMT_EV_PAGE_FREE:
		m = &run->pages;
		break;
	default:
		return;
	}
	if (m->cap)
		__builtin_prefetch(&m->t[obj_home(m->cap, e->ptr + 1)]);
}

/* ---- groups ---- */

static int group_new(struct group_map *gm, const struct kmt_event *e)
{
	if (gm->nr == gm->gcap) {
		size_t cap = gm->gcap ? gm->gcap * 2 : 256;
		void *g = realloc(gm->g, cap * sizeof(*gm->g));
		void *f;

		if (!g)
			return -ENOMEM;
		gm->g = g;
		f = realloc(gm->first, cap * sizeof(*gm->first));
		if (!f)
			return -ENOMEM;
		gm->first = f;
		gm->gcap = cap;
	}
	memset(&gm->g[gm->nr], 0, sizeof(gm->g[0]));
	gm->g[gm->nr].first_ts = e->ts;
	gm->first[gm->nr] = *e;
	return gm->nr++;
}

/* The group of key (created with e as its sample); -1 on ENOMEM. */
static int group_of(struct group_map *gm, __u64 key, const struct kmt_event *e)
{
	__u32 *v = kmt_map__get(&gm->map, key);
	int g;

	if (v)
		return (int)*v;
	g = group_new(gm, e);
	if (g < 0 || kmt_map__put(&gm->map, key, (__u32)g))
		return -1;
	return g;
}

static void group_map_free(struct group_map *gm)
{
	kmt_map__free(&gm->map);
	free(gm->g);
	free(gm->first);
	memset(gm, 0, sizeof(*gm));
}

/* ---- keys and names ---- */

static int ctx_index(__u32 ctx)
{
	return context__class_id(ctx);
}

static __u64 comm_hash(const struct run *run, const struct kmt_event *e)
{
	const struct kmt_task *t = trace_reader__task(run->r, e->tid);

	return kmt_hash_str(t ? t->comm : "?");
}

/* The grouping key of an allocation event. */
static __u64 group_key(const struct run *run, const struct kmt_event *e)
{
	switch (run->opts->group) {
	case REPORT_BY_CALLSITE:
		/* page events have no call site: the stack stands for it (or nothing) */
		return e->call_site ? e->call_site :
		       e->stack_id >= 0 ? (__u64)e->stack_id | (1ull << 62) : 1ull << 61;
	case REPORT_BY_CACHE:
		return e->type == KMT_EV_CACHE_ALLOC ? e->aux : (1ull << 63) | e->size2;
	case REPORT_BY_GFP: return e->gfp;
	case REPORT_BY_CONTEXT: return ctx_index(e->ctx);
	case REPORT_BY_ORDER: return e->type == KMT_EV_PAGE_ALLOC ? (__u64)e->order : 0;
	case REPORT_BY_PID: return e->tgid;
	case REPORT_BY_COMM: return comm_hash(run, e);
	}
	return 0;
}

static void cache_name(const struct run *run, const struct kmt_event *e, char *buf, size_t len)
{
	const struct kmt_cache_def *d;

	if (e->type == KMT_EV_PAGE_ALLOC) {
		snprintf(buf, len, "pages");
	} else if (e->type == KMT_EV_CACHE_ALLOC) {
		d = trace_reader__cache(run->r, e->aux);
		if (d && d->name[0])
			snprintf(buf, len, "%s", d->name);
		else
			snprintf(buf, len, "cache 0x%llx", (unsigned long long)e->aux);
	} else {
		snprintf(buf, len, "kmalloc (%llu-byte objects)", (unsigned long long)e->size2);
	}
}

/* The display name of a group from one of its events. */
static void group_name(const struct run *run, const struct kmt_event *e, char *buf, size_t len)
{
	const struct kmt_task *t;

	switch (run->opts->group) {
	case REPORT_BY_CALLSITE:
		if (e->call_site)
			tracemeta__sym_name(run->r, e->call_site, buf, len);
		else if (!frames__site(trace_reader__defs(run->r), e->stack_id, buf, len))
			snprintf(buf, len, "(no call site: record with -g)");
		return;
	case REPORT_BY_CACHE: cache_name(run, e, buf, len); return;
	case REPORT_BY_GFP: gfp_format(run->meta.gfp, run->meta.nr_gfp, e->gfp, buf, len); return;
	case REPORT_BY_CONTEXT: snprintf(buf, len, "%s", context__class(e->ctx)); return;
	case REPORT_BY_ORDER:
		snprintf(buf, len, e->type == KMT_EV_PAGE_ALLOC ? "order %d" : "slab", e->order);
		return;
	case REPORT_BY_PID: snprintf(buf, len, "%u", e->tgid); return;
	case REPORT_BY_COMM:
		t = trace_reader__task(run->r, e->tid);
		snprintf(buf, len, "%s", t ? t->comm : "?");
		return;
	}
}

/* ---- filters ---- */

static bool filter_match(const struct run *run, const struct report_filter *f,
			 const struct kmt_event *e)
{
	char buf[200];

	if (!strcmp(f->key, "pid"))
		return e->tgid == strtoul(f->value, NULL, 10);
	if (!strcmp(f->key, "cpu"))
		return e->cpu == strtoul(f->value, NULL, 10);
	if (!strcmp(f->key, "context"))
		return !strcmp(context__class(e->ctx), f->value);
	if (!strcmp(f->key, "comm")) {
		const struct kmt_task *t = trace_reader__task(run->r, e->tid);

		return t && !strcmp(t->comm, f->value);
	}
	if (!strcmp(f->key, "cache")) {
		cache_name(run, e, buf, sizeof(buf));
		return !strcmp(buf, f->value);
	}
	if (!strcmp(f->key, "callsite")) {
		tracemeta__sym_name(run->r, e->call_site, buf, sizeof(buf));
		return strstr(buf, f->value) != NULL;
	}
	if (!strcmp(f->key, "gfp")) {
		gfp_format(run->meta.gfp, run->meta.nr_gfp, e->gfp, buf, sizeof(buf));
		return strstr(buf, f->value) != NULL;
	}
	return false;
}

static bool selected(const struct run *run, const struct kmt_event *e)
{
	for (int i = 0; i < run->opts->nr_filters; i++)
		if (!filter_match(run, &run->opts->filters[i], e))
			return false;
	return true;
}

/* ---- events ---- */

/* floor(log2(ns)), 0 for 0, at most the last bucket */
static unsigned int life_bucket(__u64 ns)
{
	unsigned int b = ns ? 63 - __builtin_clzll(ns) : 0;

	return b < REPORT_LIFE_BUCKETS - 1 ? b : REPORT_LIFE_BUCKETS - 1;
}

static __u32 cpu_node(const struct run *run, __u32 cpu)
{
	return cpu < run->nr_cpu_node ? run->cpu_node[cpu] : 0;
}

/* GFP totals by flags, and the context x GFP class table, for slab and page allocations. */
static void account_gfp_ctx(struct run *run, const struct kmt_event *e, __u64 bytes)
{
	struct report *rep = run->rep;
	int g, c = ctx_index(e->ctx);

	if (e->gfp == run->last_gfp && run->last_gfp_g >= 0) {
		g = run->last_gfp_g;
	} else {
		g = group_of(&run->gfp_g, e->gfp, e);
		run->last_gfp = e->gfp;
		run->last_gfp_g = g;
	}

	if (g >= 0) {
		run->gfp_g.g[g].allocs++;
		run->gfp_g.g[g].bytes_alloc += bytes;
	}
	if (run->reclaim_mask && (e->gfp & run->reclaim_mask))
		rep->ctx[c].reclaim++;
	else if (run->reclaim_mask)
		rep->ctx[c].atomic++;
	else
		rep->ctx[c].other++;
}

static void slab_alloc(struct run *run, const struct kmt_event *e)
{
	struct report_slab_totals *t = &run->rep->slab;
	int g = group_of(&run->slab_g, group_key(run, e), e);
	struct obj *o = e->ptr ? obj_get(&run->slab_objs, e->ptr) : NULL;
	struct report_group_stat *gs;

	t->nr_allocs++;
	t->requested += e->size;
	t->allocated += e->size2;
	if (e->node >= 0 && (__u32)e->node != cpu_node(run, e->cpu))
		t->nr_cross_allocs++;
	account_gfp_ctx(run, e, e->size2);
	if (!e->ptr || g < 0 || !o)
		return;	/* perf counts failed allocations in the totals too */
	gs = &run->slab_g.g[g];
	gs->allocs++;
	gs->bytes_req += e->size;
	gs->bytes_alloc += e->size2;
	gs->last_ts = e->ts;
	*o = (struct obj){ .key = o->key, .ts = e->ts, .last_alloc = e->size2,
			   .bytes_req = e->size, .group = g, .cpu = e->cpu, .live = 1,
			   .stack = e->stack_id };
}

static void slab_free(struct run *run, const struct kmt_event *e)
{
	struct report_slab_totals *t = &run->rep->slab;
	struct obj *o = obj_find(&run->slab_objs, e->ptr);
	struct report_group_stat *gs;

	t->nr_frees++;
	if (!o) {
		t->free_unmatched++;
		return;
	}
	t->freed += o->last_alloc;	/* perf: even when this pointer was freed already */
	gs = &run->slab_g.g[o->group];
	if (!o->live)
		return;
	o->live = 0;
	gs->frees++;
	gs->bytes_freed += o->last_alloc;
	gs->cross_cpu_frees += o->cpu != e->cpu;
	gs->life[life_bucket(e->ts - o->ts)]++;
}

/* Bytes of a block of order pages; an order no kernel has (< 0, >= 32) counts 0. */
static __u64 order_bytes(__u64 page_size, int order)
{
	return order >= 0 && order < 32 ? page_size << order : 0;
}

static void page_alloc(struct run *run, const struct kmt_event *e)
{
	struct report_page_totals *t = &run->rep->page;
	__u64 bytes = order_bytes(run->rep->page_size, e->order);
	struct report_group_stat *gs;
	struct obj *o;
	int g;

	t->nr_allocs++;
	t->alloc_bytes += bytes;
	if (e->ptr == ~0ull) {
		t->nr_fails++;
		t->fail_bytes += bytes;
		return;
	}
	account_gfp_ctx(run, e, bytes);
	if (e->order >= 0 && e->order < 16 && e->mt >= 0 && e->mt < 8)
		t->by_order_mt[e->order][e->mt]++;
	g = group_of(&run->page_g, group_key(run, e), e);
	o = obj_get(&run->pages, e->ptr);
	if (g < 0 || !o)
		return;
	gs = &run->page_g.g[g];
	gs->allocs++;
	gs->bytes_alloc += bytes;
	gs->bytes_req += bytes;
	gs->last_ts = e->ts;
	*o = (struct obj){ .key = o->key, .ts = e->ts, .group = g, .cpu = e->cpu, .live = 1,
			   .order = e->order };
}

static void page_free(struct run *run, const struct kmt_event *e)
{
	struct report_page_totals *t = &run->rep->page;
	__u64 bytes = order_bytes(run->rep->page_size, e->order);
	struct obj *o = obj_find(&run->pages, e->ptr);
	struct report_group_stat *gs;

	t->nr_frees++;
	t->free_bytes += bytes;
	if (!o || !o->live) {	/* perf erases a page from its live tree when freed */
		t->nr_nomatch++;
		t->nomatch_bytes += bytes;
		return;
	}
	o->live = 0;
	gs = &run->page_g.g[o->group];
	gs->frees++;
	gs->bytes_freed += bytes;
	gs->cross_cpu_frees += o->cpu != e->cpu;
	gs->life[life_bucket(e->ts - o->ts)]++;
}

/* The per-CPU group of e's call site; NULL on ENOMEM. */
static struct report_percpu *pcpu_group(struct run *run, const struct kmt_event *e, __u32 *gi)
{
	int g = group_of(&run->pcpu_g, e->call_site, e);

	if (g < 0)
		return NULL;
	if ((size_t)g >= run->pcpu_cap) {
		size_t cap = run->pcpu_cap ? run->pcpu_cap * 2 : 64;
		void *n = realloc(run->pcpu, cap * sizeof(*run->pcpu));

		if (!n)
			return NULL;
		memset((struct report_percpu *)n + run->pcpu_cap, 0,
		       (cap - run->pcpu_cap) * sizeof(*run->pcpu));
		run->pcpu = n;
		run->pcpu_cap = cap;
	}
	*gi = g;
	return &run->pcpu[g];
}

static void percpu_alloc(struct run *run, const struct kmt_event *e)
{
	struct report_percpu *p;
	struct obj *o;
	__u32 g;

	if (!selected(run, e) || !(p = pcpu_group(run, e, &g)))
		return;
	p->allocs++;
	if (!e->ptr) {
		p->failed++;
		return;
	}
	p->bytes += e->size;
	p->bytes_alloc += e->size2;
	p->atomic += (e->arg >> 1) & 1;
	p->reserved += e->arg & 1;
	if ((__u32)e->arg2 > p->max_align)
		p->max_align = e->arg2;
	o = obj_get(&run->percpu_objs, e->ptr);
	if (o)
		*o = (struct obj){ .key = o->key, .ts = e->ts, .last_alloc = e->size2,
				   .group = g, .live = 1 };
}

static void percpu_free(struct run *run, const struct kmt_event *e)
{
	struct obj *o = obj_find(&run->percpu_objs, e->ptr);

	if (!o || !o->live) {
		run->rep->percpu_free_unmatched++;
		return;
	}
	o->live = 0;
	run->pcpu[o->group].frees++;
}

static void handle(struct run *run, const struct kmt_event *e)
{
	bool alloc = e->type == KMT_EV_KMALLOC || e->type == KMT_EV_CACHE_ALLOC ||
		     e->type == KMT_EV_PAGE_ALLOC;

	if (alloc && !selected(run, e)) {
		run->rep->filtered_out++;
		return;
	}
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
		slab_alloc(run, e);
		break;
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
		slab_free(run, e);
		break;
	case KMT_EV_PAGE_ALLOC:
		page_alloc(run, e);
		break;
	case KMT_EV_PAGE_FREE:
		page_free(run, e);
		break;
	case KMT_EV_PERCPU_ALLOC:
		percpu_alloc(run, e);
		break;
	case KMT_EV_PERCPU_FREE:
		percpu_free(run, e);
		break;
	case KMT_EV_PERCPU_CHUNK_CREATE:
		run->rep->percpu_chunks_created++;
		break;
	case KMT_EV_PERCPU_CHUNK_DESTROY:
		run->rep->percpu_chunks_destroyed++;
		break;
	}
}

static int by_pcpu_live(const void *a, const void *b)
{
	const struct report_percpu *x = a, *y = b;

	if (x->live_bytes_alloc != y->live_bytes_alloc)
		return x->live_bytes_alloc < y->live_bytes_alloc ? 1 : -1;
	return (x->allocs < y->allocs) - (x->allocs > y->allocs);
}

/* Live per-CPU allocations at the end, names, and the table handed to the report. */
static void percpu_results(struct run *run)
{
	struct report *rep = run->rep;
	size_t n = run->pcpu_g.nr < run->pcpu_cap ? run->pcpu_g.nr : run->pcpu_cap;

	for (size_t i = 0; i < run->percpu_objs.cap; i++) {
		const struct obj *o = &run->percpu_objs.t[i];

		if (o->key && o->live && o->group < n) {
			run->pcpu[o->group].live++;
			run->pcpu[o->group].live_bytes_alloc += o->last_alloc;
		}
	}
	for (size_t i = 0; i < n; i++)
		tracemeta__sym_name(run->r, run->pcpu_g.first[i].call_site, run->pcpu[i].site,
			 sizeof(run->pcpu[i].site));
	if (n)
		qsort(run->pcpu, n, sizeof(*run->pcpu), by_pcpu_live);
	rep->percpu = run->pcpu;
	rep->nr_percpu = n;
	run->pcpu = NULL;
	group_map_free(&run->pcpu_g);
	obj_map_free(&run->percpu_objs);
}

/* ---- the end ---- */

static void finish_live(struct obj_map *m, struct group_map *gm, __u32 page_size, bool pages)
{
	for (size_t i = 0; i < m->cap; i++) {
		const struct obj *o = &m->t[i];
		struct report_group_stat *g;

		if (!o->key || !o->live)
			continue;
		g = &gm->g[o->group];
		g->live++;
		g->live_bytes += pages ? order_bytes(page_size, o->order) : o->last_alloc;
		if (!g->oldest_live_ts || o->ts < g->oldest_live_ts) {
			g->oldest_live_ts = o->ts;
			g->oldest_live_stack = o->stack;
		}
	}
}

static void name_groups(struct run *run, struct group_map *gm)
{
	for (size_t i = 0; i < gm->nr; i++)
		group_name(run, &gm->first[i], gm->g[i].key, sizeof(gm->g[i].key));
}

/* Hands a group table over to the report (the map keeps nothing). */
static struct report_group_stat *take_groups(struct group_map *gm, size_t *n)
{
	struct report_group_stat *g = gm->g;

	*n = gm->nr;
	gm->g = NULL;
	gm->nr = gm->gcap = 0;
	return g;
}

/* u32 per CPU: its NUMA node (KMT_META_CPU_NODES), for perf's "cross CPU allocations". */
static void load_cpu_nodes(struct run *run)
{
	__u32 len;
	const void *v = trace_reader__meta(run->r, KMT_META_CPU_NODES, 0, &len);

	if (!v || !len || len % 4 || !(run->cpu_node = malloc(len)))
		return;
	memcpy(run->cpu_node, v, len);
	run->nr_cpu_node = len / 4;
}

static const struct kmt_cache_def *cache_def(void *ctx, __u64 cache)
{
	struct run *run = ctx;
	const struct kmt_cache_def *d;

	if (!run->worker)
		return trace_reader__cache(run->r, cache);
	pthread_mutex_lock(&run->worker->defs_mu);	/* a copy: the store may move */
	d = trace_reader__cache(run->r, cache);
	if (d)
		run->mf.def_copy = *d;
	pthread_mutex_unlock(&run->worker->defs_mu);
	return d ? &run->mf.def_copy : NULL;
}

/* The slab model, fed every slab and page event (filters apply to the tables only). */
static void slab_setup(struct run *run)
{
	struct slab_model_opts o = {
		.sz = sizeof(o), .page_size = run->rep->page_size, .nr_cpus = run->meta.nr_cpus,
		.gfp_dma = gfp_mask_of(run->meta.gfp, run->meta.nr_gfp, "__GFP_DMA"),
		.gfp_reclaimable = gfp_mask_of(run->meta.gfp, run->meta.nr_gfp,
					       "__GFP_RECLAIMABLE"),
		.gfp_account = gfp_mask_of(run->meta.gfp, run->meta.nr_gfp, "__GFP_ACCOUNT"),
		.infer_page_offset = true, .cache_def = cache_def, .cache_def_ctx = run,
	};
	const char *text;
	size_t len;
	int err;

	if (run->opts->no_model)
		return;
	run->mf.slab = slab_model__new(&o, &err);
	if (!run->mf.slab)
		return;
	if ((text = tracemeta__snapshot(run->r, KMT_PHASE_START, SYSINFO_SNAP_SLABINFO, &len)))
		slab_model__load_slabinfo(run->mf.slab, text, len, SLAB_SNAP_START);
	if ((text = tracemeta__snapshot(run->r, KMT_PHASE_END, SYSINFO_SNAP_SLABINFO, &len)))
		slab_model__load_slabinfo(run->mf.slab, text, len, SLAB_SNAP_END);
}

static void setup(struct run *run)
{
	struct report *rep = run->rep;

	tracemeta__load(run->r, &run->meta);
	rep->page_size = run->meta.page_size ? run->meta.page_size : 4096;
	rep->nr_mt = run->meta.nr_migratetypes < 8 ? run->meta.nr_migratetypes : 8;
	for (int i = 0; i < rep->nr_mt; i++)
		snprintf(rep->mt_names[i], sizeof(rep->mt_names[i]), "%s",
			 run->meta.migratetypes[i]);
	run->reclaim_mask = gfp_mask_of(run->meta.gfp, run->meta.nr_gfp, "__GFP_DIRECT_RECLAIM");
	for (int i = 0; i < CTX_NR_CLASSES; i++)
		snprintf(rep->ctx[i].context, sizeof(rep->ctx[i].context), "%s",
			 context__class_name(i));
	rep->nr_ctx = CTX_NR_CLASSES;
	load_cpu_nodes(run);
	slab_setup(run);
}

/* Live memory by layer, each byte once (see struct report_layers). */
static void layers(struct run *run)
{
	struct report_layers *l = &run->rep->layers;
	__u64 ps = run->rep->page_size, large_min = 2 * ps;	/* KMALLOC_MAX_CACHE_SIZE */
	__u64 base = run->mf.slab ? slab_model__stats(run->mf.slab)->page_offset : 0;

	l->classified = base != 0;
	for (size_t i = 0; i < run->slab_objs.cap; i++) {
		const struct obj *o = &run->slab_objs.t[i];

		if (o->key && o->live)
			*(o->last_alloc > large_min ? &l->large : &l->slab_objects) += o->last_alloc;
	}
	for (size_t i = 0; i < run->pages.cap; i++) {
		const struct obj *o = &run->pages.t[i];
		__u64 bytes = order_bytes(ps, o->order), addr = base + (o->key - 1) * ps;
		const struct obj *big;
		struct slab_info si;

		if (!o->key || !o->live)
			continue;
		if (!base)
			l->unclassified_pages += bytes;
		else if (!slab_model__slab_at(run->mf.slab, addr, &si))
			l->slab_pages += bytes;
		else if (!((big = obj_find(&run->slab_objs, addr)) && big->live &&
			   big->last_alloc > large_min))
			l->other_pages += bytes;
	}
	for (size_t i = 0; i < run->percpu_objs.cap; i++)
		if (run->percpu_objs.t[i].key && run->percpu_objs.t[i].live)
			l->percpu += run->percpu_objs.t[i].last_alloc;
}

static int by_mem(const void *a, const void *b)
{
	const struct slab_cache_stats *x = a, *y = b;

	return (x->mem_bytes < y->mem_bytes) - (x->mem_bytes > y->mem_bytes);
}

static int by_saving(const void *a, const void *b)
{
	const struct report_advice *x = a, *y = b;

	return (x->a.saving < y->a.saving) - (x->a.saving > y->a.saving);
}

/* Per-cache state and per-site size-class advice, out of the slab model. */
static void slab_results(struct run *run)
{
	struct report *rep = run->rep;
	int nc = run->mf.slab ? slab_model__nr_caches(run->mf.slab) : 0;
	int ns = run->mf.slab ? slab_model__nr_sites(run->mf.slab) : 0;

	if (!run->mf.slab)
		return;
	rep->have_model = true;
	rep->slab_model = *slab_model__stats(run->mf.slab);
	rep->caches = calloc(nc ? nc : 1, sizeof(*rep->caches));
	rep->advice = calloc(ns ? ns : 1, sizeof(*rep->advice));
	for (int i = 0; rep->caches && i < nc; i++)
		if (!slab_model__cache_stats(run->mf.slab, i, &rep->caches[rep->nr_caches]))
			rep->nr_caches++;
	for (int i = 0; rep->advice && i < ns; i++) {
		struct report_advice *a = &rep->advice[rep->nr_advice];

		if (slab_model__site_stats(run->mf.slab, i, &a->st) ||
		    slab_model__site_advice(run->mf.slab, i, &a->a) ||
		    a->a.advice != SLAB_ADVICE_DEDICATED)
			continue;
		tracemeta__sym_name(run->r, a->st.call_site, a->site, sizeof(a->site));
		rep->nr_advice++;
	}
	if (rep->nr_caches)
		qsort(rep->caches, rep->nr_caches, sizeof(*rep->caches), by_mem);
	if (rep->nr_advice)
		qsort(rep->advice, rep->nr_advice, sizeof(*rep->advice), by_saving);
}

static void slab_sample(struct model_feed *f, __u64 t)
{
	struct report *rep = f->rep;
	struct report_slab_sample *s;
	struct slab_cache_stats st;

	if (!f->slab)
		return;
	if (rep->nr_slab_series == f->series_cap) {
		size_t cap = f->series_cap ? f->series_cap * 2 : 64;
		void *n = realloc(rep->slab_series, cap * sizeof(*rep->slab_series));

		if (!n)
			return;
		rep->slab_series = n;
		f->series_cap = cap;
	}
	slab_model__totals(f->slab, &st);
	s = &rep->slab_series[rep->nr_slab_series++];
	*s = (struct report_slab_sample){
		.t = t, .full = st.nr[SLAB_FULL], .partial = st.nr[SLAB_PARTIAL],
		.empty = st.nr[SLAB_EMPTY], .live_objs = st.live_objs, .mem_bytes = st.mem_bytes,
		.internal_waste = st.internal_waste, .external_waste = st.partial_free_bytes,
	};
}

/*
 * Samples the slab model at the interval boundaries the event at ts crosses.
 * The model does not change between events, so of several boundaries crossed
 * at once only the first and the last are sampled: a gap in the trace (or a
 * damaged timestamp far ahead) costs two samples, not one per interval.
 */
static void maybe_sample(struct model_feed *f, __u64 ts)
{
	__u64 iv = f->interval_ns, last;

	if (!iv)
		return;
	if (!f->next_sample)
		f->next_sample = ts < UINT64_MAX - iv ? ts + iv : UINT64_MAX;
	if (ts < f->next_sample)
		return;
	last = f->next_sample + (ts - f->next_sample) / iv * iv;
	slab_sample(f, f->next_sample - f->t_first);
	if (last != f->next_sample)
		slab_sample(f, last - f->t_first);
	f->next_sample = last < UINT64_MAX - iv ? last + iv : UINT64_MAX;
}

/* The slab model's share of a batch: its interval samples and every event. */
static void slab_feed(struct model_feed *f, const struct kmt_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct kmt_event *e = &ev[i];

		if (i + 8 < n)
			slab_model__prefetch(f->slab, &ev[i + 8]);
		if (!f->started) {
			f->t_first = e->ts;
			f->started = true;
		}
		maybe_sample(f, e->ts);
		slab_model__apply(f->slab, e);
	}
}

/* The next slice of the oldest queued chunk through the model: 1, or 0 when none is free. */
static int slab_worker_slice(struct slab_worker *w, bool reader)
{
	struct worker_job *j;
	size_t from, to;

	pthread_mutex_lock(&w->mu);
	if (w->busy || w->done == w->head || (!reader && w->reader_in)) {
		pthread_mutex_unlock(&w->mu);
		return 0;
	}
	j = &w->q[w->done % WORKER_QUEUE];
	from = j->pos;
	to = j->n - from > MODEL_SLICE ? from + MODEL_SLICE : j->n;
	w->busy = true;
	pthread_mutex_unlock(&w->mu);
	slab_feed(&w->run->mf, j->ev + from, to - from);
	pthread_mutex_lock(&w->mu);
	j->pos = to;
	if (to == j->n)
		w->done++;
	w->busy = false;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 1;
}

/* The model's thread's (or the helper's) unit of work. */
static int slab_worker_step(void *arg)
{
	return slab_worker_slice(arg, false);
}

/*
 * The reading thread, with w->mu held, waiting for the model to finish the
 * oldest chunk: it runs the next slice itself if none is being run, else waits.
 */
static void slab_worker_help(struct slab_worker *w)
{
	w->reader_in = true;
	if (w->busy) {
		pthread_cond_wait(&w->cv, &w->mu);
		return;
	}
	pthread_mutex_unlock(&w->mu);
	slab_worker_slice(w, true);
	pthread_mutex_lock(&w->mu);
}

static void *slab_worker_main(void *arg)
{
	struct slab_worker *w = arg;

	for (;;) {
		if (slab_worker_step(w))
			continue;
		pthread_mutex_lock(&w->mu);
		while ((w->done == w->head || w->busy || w->reader_in) && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->done == w->head) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

/*
 * The model off the reading thread where there are two CPUs or more to run on;
 * else it runs inline. The work splits in four: inflating, decoding, the tables,
 * the model (about 0.25, 0.3, 0.45 and 0.45 s of CPU on the bench's 13 M events).
 * With three CPUs the reader's helper inflates and decodes, the model has a
 * thread of its own and the reading thread does the tables. With two the reading
 * thread decodes too, a chunk at a time (TRACE_DECODE_CHUNK_HERE), and the model
 * runs on the helper between the chunks it inflates: two threads for two CPUs. (A
 * third thread for it left a sixth of the CPU time idle, as the scheduler put two
 * of the three on one CPU.) A chunk the helper has not begun when the reading
 * thread needs it is inflated by the reading thread, which evens out the two.
 * KMMTRACE_REPORT_WORKER (tests): 0 keeps the model inline, 2 and 3 choose the
 * three- and the two-CPU layout.
 */
static void slab_worker_start(struct slab_worker *w, struct run *run)
{
	const char *env = getenv("KMMTRACE_REPORT_WORKER");
	int mode = env ? atoi(env) : 1;
	cpu_set_t cpus;
	int ncpu;

	w->run = run;
	if (!run->mf.slab || mode <= 0 || sched_getaffinity(0, sizeof(cpus), &cpus) ||
	    (ncpu = CPU_COUNT(&cpus)) < 2)
		return;
	if (mode == 2 || mode == 3)
		ncpu = mode == 2 ? 3 : 2;
	if (pthread_mutex_init(&w->mu, NULL))
		return;
	if (pthread_mutex_init(&w->defs_mu, NULL))
		goto fail_mu;
	if (pthread_cond_init(&w->cv, NULL))
		goto fail_defs;
	/* whole chunks, shared by both threads */
	trace_reader__set_predecode(run->r,
				    ncpu >= 3 ? TRACE_DECODE_AHEAD : TRACE_DECODE_CHUNK_HERE);
	if (ncpu < 3 && trace_reader__set_helper_work(run->r, slab_worker_step, w)) {
		w->on_helper = true;
	} else if (ncpu < 3 || pthread_create(&w->th, NULL, slab_worker_main, w)) {
		trace_reader__set_predecode(run->r, TRACE_DECODE_MEASURED);
		goto fail_cv;
	}
	w->running = true;
	run->worker = w;
	return;
fail_cv:
	pthread_cond_destroy(&w->cv);
fail_defs:
	pthread_mutex_destroy(&w->defs_mu);
fail_mu:
	pthread_mutex_destroy(&w->mu);
}

/* Hands back the arrays the model is done with; with all, waits for it to finish. */
static void slab_worker_reap(struct slab_worker *w, bool all)
{
	unsigned int done;

	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	while (all && w->done != w->head)
		slab_worker_help(w);
	if (all) {
		w->reader_in = false;
		pthread_cond_broadcast(&w->cv);
	}
	done = w->done;
	pthread_mutex_unlock(&w->mu);
	for (; w->tail != done; w->tail++) {
		struct worker_job *j = &w->q[w->tail % WORKER_QUEUE];

		trace_reader__give_batch(w->run->r, j->ev, j->cap);
	}
}

/* Queues a kept array for the model, waiting while the queue is full. */
static void slab_worker_queue(struct slab_worker *w, struct kmt_event *ev, size_t n, size_t cap)
{
	pthread_mutex_lock(&w->mu);
	while (w->head - w->tail == WORKER_QUEUE) {
		while (w->done == w->tail)
			slab_worker_help(w);
		pthread_mutex_unlock(&w->mu);
		slab_worker_reap(w, false);
		pthread_mutex_lock(&w->mu);
	}
	w->reader_in = false;
	w->q[w->head % WORKER_QUEUE] = (struct worker_job){ .ev = ev, .n = n, .cap = cap };
	w->head++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->on_helper)
		trace_reader__kick(w->run->r);
}

/*
 * Feeds the batch just read to the model: queued for it (on its own thread or
 * the reader's helper) when the reader lets us keep the array, else inline once
 * it has caught up (a batch that is not kept is only valid until the next read).
 */
static void slab_worker_feed(struct slab_worker *w, const struct kmt_event *ev, size_t n)
{
	struct kmt_event *kept;
	size_t cap;

	if (!w->run->mf.slab)
		return;
	if (w->running && (kept = trace_reader__keep_batch(w->run->r, &cap))) {
		slab_worker_queue(w, kept, n, cap);
		return;
	}
	slab_worker_reap(w, true);
	slab_feed(&w->run->mf, ev, n);
}

static void slab_worker_stop(struct slab_worker *w)
{
	if (!w->running)
		return;
	slab_worker_reap(w, true);
	if (w->on_helper) {
		trace_reader__set_helper_work(w->run->r, NULL, NULL);
	} else {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->defs_mu);
	pthread_mutex_destroy(&w->mu);
	w->running = false;
	w->run->worker = NULL;
}

/* The next batch; the model's thread may be asking the reader for definitions meanwhile. */
static int read_batch(struct run *run, const struct kmt_event **ev)
{
	struct slab_worker *w = run->worker;
	int n;

	if (w)
		pthread_mutex_lock(&w->defs_mu);
	n = trace_reader__batch(run->r, ev, 1 << 20);
	if (w)
		pthread_mutex_unlock(&w->defs_mu);
	return n;
}

int report__run(struct trace_reader *r, const struct report_opts *opts, struct report *rep,
		char *why, size_t whylen)
{
	struct run run = { .r = r, .opts = opts, .rep = rep, .last_gfp_g = -1,
			   .mf = { .rep = rep, .interval_ns = opts->interval_ns } };
	struct slab_worker w = { 0 };
	const struct kmt_event *ev;
	int n;

	memset(rep, 0, sizeof(*rep));
	setup(&run);
	slab_worker_start(&w, &run);
	for (;;) {
		slab_worker_reap(&w, false);
		n = read_batch(&run, &ev);
		if (n <= 0)
			break;
		slab_worker_feed(&w, ev, (size_t)n);
		for (int i = 0; i < n; i++) {
			const struct kmt_event *e = &ev[i];

			if (i + 8 < n)	/* the object's hash slot: a cache miss */
				obj_prefetch(&run, &ev[i + 8]);
			if (!rep->events++)
				run.t_first = e->ts;
			run.t_last = e->ts > run.t_last ? e->ts : run.t_last;
			handle(&run, e);
		}
	}
	slab_worker_stop(&w);
	if (n < 0)
		snprintf(why, whylen, "failed to read the trace: %s", strerror(-n));
	rep->seconds = (run.t_last - run.t_first) / 1e9;
	finish_live(&run.slab_objs, &run.slab_g, rep->page_size, false);
	finish_live(&run.pages, &run.page_g, rep->page_size, true);
	name_groups(&run, &run.slab_g);
	name_groups(&run, &run.page_g);
	for (size_t i = 0; i < run.gfp_g.nr; i++)
		gfp_format(run.meta.gfp, run.meta.nr_gfp, run.gfp_g.first[i].gfp,
			   run.gfp_g.g[i].key, sizeof(run.gfp_g.g[i].key));
	rep->slab_groups = take_groups(&run.slab_g, &rep->nr_slab_groups);
	rep->page_groups = take_groups(&run.page_g, &rep->nr_page_groups);
	rep->gfp_groups = take_groups(&run.gfp_g, &rep->nr_gfp_groups);
	group_map_free(&run.slab_g);
	group_map_free(&run.page_g);
	group_map_free(&run.gfp_g);
	layers(&run);
	obj_map_free(&run.slab_objs);
	obj_map_free(&run.pages);
	free(run.cpu_node);
	slab_sample(&run.mf, run.t_last - run.t_first);
	slab_results(&run);
	slab_model__free(run.mf.slab);
	percpu_results(&run);
	return n < 0 ? n : 0;
}

void report__free(struct report *rep)
{
	free(rep->slab_groups);
	free(rep->page_groups);
	free(rep->gfp_groups);
	free(rep->caches);
	free(rep->advice);
	free(rep->percpu);
	free(rep->slab_series);
	memset(rep, 0, sizeof(*rep));
}

/* ---- sorting and helpers ---- */

static const char *const group_names[] = {
	[REPORT_BY_CALLSITE] = "callsite", [REPORT_BY_CACHE] = "cache", [REPORT_BY_GFP] = "gfp",
	[REPORT_BY_CONTEXT] = "context", [REPORT_BY_ORDER] = "order", [REPORT_BY_PID] = "pid",
	[REPORT_BY_COMM] = "comm",
};

int report__parse_group(const char *name, enum report_group *g)
{
	for (size_t i = 0; i < sizeof(group_names) / sizeof(group_names[0]); i++)
		if (!strcmp(name, group_names[i])) {
			*g = i;
			return 0;
		}
	return -EINVAL;
}

const char *report__group_name(enum report_group g)
{
	return g < sizeof(group_names) / sizeof(group_names[0]) ? group_names[g] : "?";
}

__u64 report__life_pct(const struct report_group_stat *g, double pct)
{
	__u64 total = 0, seen = 0;

	for (int b = 0; b < REPORT_LIFE_BUCKETS; b++)
		total += g->life[b];
	for (int b = 0; b < REPORT_LIFE_BUCKETS && total; b++) {
		seen += g->life[b];
		if (seen >= pct * total)
			return 2ull << b;	/* the bucket's upper bound */
	}
	return 0;
}

/* Frag: internal fragmentation in per mille, as perf kmem's "frag" key. */
static double sort_value(const struct report_group_stat *g, int key)
{
	switch (key) {
	case 0: return g->allocs;
	case 1: return g->bytes_req;
	case 2: return g->bytes_alloc;
	case 3: return g->bytes_alloc ? 1.0 - (double)g->bytes_req / g->bytes_alloc : 0;
	case 4: return g->frees;
	case 5: return g->live_bytes;
	case 6: return g->live;
	case 7: return g->cross_cpu_frees;
	case 8: return report__life_pct(g, 0.5);
	case 9: return g->oldest_live_ts ? -(double)g->oldest_live_ts : 0;	/* older first */
	}
	return 0;
}

static const char *const sort_keys[] = {
	"allocs", "bytes_req", "bytes_alloc", "frag", "frees", "live_bytes", "live", "cross",
	"lifetime", "age",
};

#define MAX_SORT_KEYS 8

struct sort_spec {
	int by[MAX_SORT_KEYS];
	int sign[MAX_SORT_KEYS];
	int nr;
};

static int cmp_groups(const void *a, const void *b, void *arg)
{
	const struct sort_spec *s = arg;

	for (int i = 0; i < s->nr; i++) {
		double x = sort_value(a, s->by[i]), y = sort_value(b, s->by[i]);

		if (x != y)
			return (x < y ? -1 : 1) * s->sign[i];
	}
	return strcmp(((const struct report_group_stat *)a)->key,
		      ((const struct report_group_stat *)b)->key);
}

int report__sort(struct report_group_stat *g, size_t n, const char *keys, char *why,
		 size_t whylen)
{
	char buf[256], *save = NULL, *tok;
	struct sort_spec spec = { .nr = 0 };

	snprintf(buf, sizeof(buf), "%s", keys);
	for (tok = strtok_r(buf, ",", &save); tok && spec.nr < MAX_SORT_KEYS;
	     tok = strtok_r(NULL, ",", &save)) {
		int sign = -1;	/* largest first, unless '+' */
		size_t k;

		if (*tok == '+' || *tok == '-')
			sign = *tok++ == '+' ? 1 : -1;
		for (k = 0; k < sizeof(sort_keys) / sizeof(sort_keys[0]); k++)
			if (!strcmp(tok, sort_keys[k]))
				break;
		if (k == sizeof(sort_keys) / sizeof(sort_keys[0])) {
			snprintf(why, whylen, "unknown sort key '%s' (allocs, bytes_req, "
				 "bytes_alloc, frag, frees, live_bytes, live, cross, lifetime, age)",
				 tok);
			return -EINVAL;
		}
		spec.by[spec.nr] = k;
		spec.sign[spec.nr++] = sign;
	}
	if (n)
		qsort_r(g, n, sizeof(*g), cmp_groups, &spec);
	return 0;
}
