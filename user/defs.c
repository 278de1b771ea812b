// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Definitions by key: see defs.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "defs.h"

/* key -> index in an array of esz-byte records */
struct def_table {
	struct kmt_map map;
	void *v;
	size_t esz;
	__u32 len;
	__u32 cap;
};

struct kmt_defs {
	struct def_table caches, tasks, stacks, syms;
};

struct kmt_defs *kmt_defs__new(void)
{
	struct kmt_defs *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->caches.esz = sizeof(struct kmt_cache_def);
	d->tasks.esz = sizeof(struct kmt_task);
	d->stacks.esz = sizeof(struct kmt_stack);
	d->syms.esz = sizeof(struct kmt_sym);
	return d;
}

static int def_put(struct def_table *t, __u64 key, const void *rec)
{
	__u32 *idx = kmt_map__get(&t->map, key);
	int err;

	if (idx) {
		memcpy((char *)t->v + (size_t)*idx * t->esz, rec, t->esz);
		return 0;
	}
	if (t->len == t->cap) {
		__u32 cap = t->cap ? t->cap * 2 : 16;
		void *v = realloc(t->v, (size_t)cap * t->esz);

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	err = kmt_map__put(&t->map, key, t->len);
	if (err)
		return err;
	memcpy((char *)t->v + (size_t)t->len++ * t->esz, rec, t->esz);
	return 0;
}

static const void *def_get(const struct def_table *t, __u64 key)
{
	const __u32 *idx = kmt_map__get(&t->map, key);

	return idx ? (const char *)t->v + (size_t)*idx * t->esz : NULL;
}

static void def_free(struct def_table *t)
{
	kmt_map__free(&t->map);
	free(t->v);
}

void kmt_defs__free(struct kmt_defs *d)
{
	if (!d)
		return;
	def_free(&d->caches);
	def_free(&d->tasks);
	def_free(&d->stacks);
	def_free(&d->syms);
	free(d);
}

int kmt_defs__put_cache(struct kmt_defs *d, const struct kmt_cache_def *c)
{
	return def_put(&d->caches, c->cache, c);
}

int kmt_defs__put_task(struct kmt_defs *d, const struct kmt_task *t)
{
	return def_put(&d->tasks, t->tid, t);
}

int kmt_defs__put_stack(struct kmt_defs *d, const struct kmt_stack *s)
{
	return def_put(&d->stacks, (__u32)s->id, s);
}

int kmt_defs__put_sym(struct kmt_defs *d, const struct kmt_sym *s)
{
	return def_put(&d->syms, s->addr, s);
}

const struct kmt_cache_def *kmt_defs__cache(const struct kmt_defs *d, __u64 cache)
{
	return d ? def_get(&d->caches, cache) : NULL;
}

const struct kmt_task *kmt_defs__task(const struct kmt_defs *d, __u32 tid)
{
	return d ? def_get(&d->tasks, tid) : NULL;
}

const struct kmt_stack *kmt_defs__stack(const struct kmt_defs *d, __s32 id)
{
	return d ? def_get(&d->stacks, (__u32)id) : NULL;
}

const struct kmt_sym *kmt_defs__sym(const struct kmt_defs *d, __u64 addr)
{
	return d ? def_get(&d->syms, addr) : NULL;
}

static int sink_cache(void *ctx, const struct kmt_cache_def *c)
{
	return kmt_defs__put_cache(ctx, c);
}

static int sink_task(void *ctx, const struct kmt_task *t)
{
	return kmt_defs__put_task(ctx, t);
}

static int sink_stack(void *ctx, const struct kmt_stack *s)
{
	return kmt_defs__put_stack(ctx, s);
}

static int sink_sym(void *ctx, const struct kmt_sym *s)
{
	return kmt_defs__put_sym(ctx, s);
}

struct kmt_sink kmt_defs__sink(struct kmt_defs *d)
{
	return (struct kmt_sink){ .ctx = d, .cache = sink_cache, .task = sink_task,
				  .stack = sink_stack, .sym = sink_sym };
}
