// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Mixed-pageblock blame: see blame.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blame.h"
#include "frames.h"
#include "hash.h"

struct owner {
	__u64 pfn;		/* head of an unmovable/reclaimable allocation; 0: empty */
	__u32 site;
	__u32 pad;
};

struct site_key {
	__u64 key;		/* stack id + 1, or (1 << 63) | hash of the comm; 0: empty */
	__u32 site;
	__u32 pad;
};

struct blame {
	const struct trace_reader *r;
	int movable_mt;
	unsigned int pageblock_order;
	struct owner *own;		/* open addressing by pfn, linear probing */
	size_t own_cap, own_len;
	struct site_key *keys;
	size_t keys_cap, keys_len;
	struct blame_site *sites;
	__u64 *stamp;			/* per site: the (sample, block) it was last credited in */
	size_t nr_sites, sites_cap;
	__u64 stamp_now;
	struct blame_site *sorted;	/* last blame__sites() result */
};

struct blame *blame__new(const struct trace_reader *r, int movable_mt, unsigned int pb_order)
{
	struct blame *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->r = r;
	b->movable_mt = movable_mt;
	b->pageblock_order = pb_order;
	b->own_cap = 1 << 16;
	b->keys_cap = 1 << 14;	/* sites beyond 3/4 of this stay unattributed */
	b->own = calloc(b->own_cap, sizeof(*b->own));
	b->keys = calloc(b->keys_cap, sizeof(*b->keys));
	if (!b->own || !b->keys) {
		blame__free(b);
		return NULL;
	}
	return b;
}

void blame__free(struct blame *b)
{
	if (!b)
		return;
	free(b->own);
	free(b->keys);
	free(b->sites);
	free(b->stamp);
	free(b->sorted);
	free(b);
}

/* ---- owners: pfn -> site, open addressing with backward-shift deletion ---- */

static struct owner *owner_slot(struct owner *t, size_t cap, __u64 pfn)
{
	size_t i = kmt_hash64(pfn) & (cap - 1);

	while (t[i].pfn && t[i].pfn != pfn)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static void owner_put(struct blame *b, __u64 pfn, __u32 site)
{
	struct owner *o;

	if ((b->own_len + 1) * 2 > b->own_cap) {
		size_t cap = b->own_cap * 2;
		struct owner *n = calloc(cap, sizeof(*n));

		if (!n)
			return;
		for (size_t i = 0; i < b->own_cap; i++)
			if (b->own[i].pfn)
				*owner_slot(n, cap, b->own[i].pfn) = b->own[i];
		free(b->own);
		b->own = n;
		b->own_cap = cap;
	}
	o = owner_slot(b->own, b->own_cap, pfn);
	b->own_len += !o->pfn;
	o->pfn = pfn;
	o->site = site;
}

static void owner_del(struct blame *b, __u64 pfn)
{
	size_t cap = b->own_cap, i = owner_slot(b->own, cap, pfn) - b->own, j = i;

	if (!b->own[i].pfn)
		return;
	b->own[i].pfn = 0;
	b->own_len--;
	for (;;) {
		size_t k;

		j = (j + 1) & (cap - 1);
		if (!b->own[j].pfn)
			return;
		k = kmt_hash64(b->own[j].pfn) & (cap - 1);
		/* move j back to i unless its home k lies cyclically in (i, j] */
		if ((i < j) ? (k <= i || k > j) : (k <= i && k > j)) {
			b->own[i] = b->own[j];
			b->own[j].pfn = 0;
			i = j;
		}
	}
}

/* ---- sites ---- */

static void site_name(const struct blame *b, const struct kmt_event *e, char *buf, size_t len)
{
	const struct kmt_task *t = trace_reader__task(b->r, e->tid);

	if (frames__site(trace_reader__defs(b->r), e->stack_id, buf, len))
		return;
	if (t)
		snprintf(buf, len, "comm %s", t->comm);
	else
		snprintf(buf, len, "pid %u", e->tgid);
}

static __u64 site_key(const struct blame *b, const struct kmt_event *e)
{
	const struct kmt_task *t;

	if (e->stack_id >= 0)
		return (__u64)e->stack_id + 1;
	t = trace_reader__task(b->r, e->tid);
	return (1ull << 63) | (t ? kmt_hash_str(t->comm) : e->tgid);
}

static int grow_sites(struct blame *b)
{
	size_t cap = b->sites_cap ? b->sites_cap * 2 : 64;
	void *s = realloc(b->sites, cap * sizeof(*b->sites));
	void *st;

	if (!s)
		return -1;
	b->sites = s;
	st = realloc(b->stamp, cap * sizeof(*b->stamp));
	if (!st)
		return -1;
	b->stamp = st;
	b->sites_cap = cap;
	return 0;
}

/* The site of e (created on first sight); -1 on ENOMEM or a full key table. */
static int site_of(struct blame *b, const struct kmt_event *e)
{
	__u64 key = site_key(b, e);
	size_t i = kmt_hash64(key) & (b->keys_cap - 1), probes = 0;

	while (b->keys[i].key && b->keys[i].key != key && ++probes < b->keys_cap)
		i = (i + 1) & (b->keys_cap - 1);
	if (b->keys[i].key == key)
		return b->keys[i].site;
	if (b->keys[i].key || (b->keys_len + 1) * 4 > b->keys_cap * 3 ||
	    (b->nr_sites == b->sites_cap && grow_sites(b)))
		return -1;
	memset(&b->sites[b->nr_sites], 0, sizeof(b->sites[0]));
	site_name(b, e, b->sites[b->nr_sites].name, sizeof(b->sites[0].name));
	b->stamp[b->nr_sites] = 0;
	b->keys[i].key = key;
	b->keys[i].site = b->nr_sites;
	b->keys_len++;
	return b->nr_sites++;
}

/* ---- events and samples ---- */

void blame__event(struct blame *b, const struct kmt_event *e)
{
	int site;

	switch (e->type) {
	case KMT_EV_PAGE_ALLOC:
		if (e->ptr == ~0ull)
			return;
		owner_del(b, e->ptr + 1);
		if (e->mt == b->movable_mt || e->mt >= BUDDY_MT_PCPTYPES)
			return;
		site = site_of(b, e);
		if (site >= 0) {
			b->sites[site].allocs++;
			owner_put(b, e->ptr + 1, site);	/* +1: pfn 0 is a valid pfn */
		}
		return;
	case KMT_EV_PAGE_FREE:
	case KMT_EV_PAGE_FREE_BATCHED:
		owner_del(b, e->ptr + 1);
		return;
	case KMT_EV_PAGE_ALLOC_EXTFRAG:
		site = site_of(b, e);
		if (site >= 0)
			b->sites[site].fallbacks++;
		return;
	}
}

/* Credits each site owning foreign pages in one mixed pageblock. */
static void credit_block(struct blame *b, const struct buddy_model *m,
			 const struct buddy_pageblock *pb, double seconds)
{
	__u64 end = pb->start_pfn + (1ull << b->pageblock_order);
	struct buddy_unit u;

	b->stamp_now++;
	for (__u64 pfn = pb->start_pfn; pfn < end; pfn = u.head + (1ull << u.order)) {
		const struct owner *o;

		if (buddy_model__lookup(m, pfn, &u) || u.order < 0)
			return;
		if (u.state != BUDDY_ALLOC || (int)u.mob == pb->mt || u.mob == BUDDY_MOB_UNKNOWN ||
		    u.mob == BUDDY_MOB_MOVABLE)
			continue;
		o = owner_slot(b->own, b->own_cap, u.head + 1);
		if (!o->pfn)
			continue;
		b->sites[o->site].pages_now += 1ull << u.order;
		if (b->stamp[o->site] != b->stamp_now) {
			b->stamp[o->site] = b->stamp_now;
			b->sites[o->site].pageblock_seconds += seconds;
		}
	}
}

void blame__sample(struct blame *b, const struct buddy_model *m, __u64 dt_ns)
{
	for (size_t s = 0; s < b->nr_sites; s++)
		b->sites[s].pages_now = 0;
	for (int z = 0; z < buddy_model__nr_zones(m); z++) {
		__u64 n = buddy_model__nr_pageblocks(m, z);

		for (__u64 i = 0; i < n; i++) {
			struct buddy_pageblock pb;

			if (!buddy_model__pageblock(m, z, i, &pb) && pb.mixed)
				credit_block(b, m, &pb, dt_ns / 1e9);
		}
	}
}

static int by_blame(const void *a, const void *b)
{
	const struct blame_site *x = a, *y = b;

	if (x->pageblock_seconds != y->pageblock_seconds)
		return x->pageblock_seconds < y->pageblock_seconds ? 1 : -1;
	if (x->fallbacks != y->fallbacks)
		return x->fallbacks < y->fallbacks ? 1 : -1;
	return (x->allocs < y->allocs) - (x->allocs > y->allocs);
}

const struct blame_site *blame__sites(struct blame *b, size_t *n)
{
	/* sorting moves sites: the key table and owners keep indices, so sort a copy */
	struct blame_site *copy = malloc((b->nr_sites ? b->nr_sites : 1) * sizeof(*copy));

	*n = 0;
	if (!copy)
		return NULL;
	if (b->nr_sites) {
		memcpy(copy, b->sites, b->nr_sites * sizeof(*copy));
		qsort(copy, b->nr_sites, sizeof(*copy), by_blame);
	}
	free(b->sorted);
	b->sorted = copy;
	*n = b->nr_sites;
	return copy;
}
