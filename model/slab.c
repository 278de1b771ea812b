// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reference model of the SLUB allocator, replayed from slab tracepoints.
 * Kernel references are to mm/slub.c, mm/slab_common.c, mm/slab.h and
 * include/linux/slab.h of linux-source-6.12 unless noted.
 *
 * Events, and the kernel paths that fire them:
 *
 * kmalloc(call_site, ptr, bytes_req, bytes_alloc, gfp, node):
 *	__do_kmalloc_node() after slab_alloc_node() on kmalloc_slab(size):
 *	bytes_alloc is s->size (also on 6.1), the slot size /proc/slabinfo
 *	prints as <objsize>, so the cache is the kmalloc cache of that slot
 *	size; its type (kmalloc_type(): __GFP_DMA, then __GFP_RECLAIMABLE,
 *	then __GFP_ACCOUNT) picks the variant when the GFP bits are known and
 *	the variant exists. Requests above KMALLOC_MAX_CACHE_SIZE go to
 *	___kmalloc_large_node(): bytes_alloc is PAGE_SIZE << get_order(size),
 *	and on 6.12 the event fires twice (in __kmalloc_large_node_noprof() with
 *	an internal call site, then in __do_kmalloc_node() with the caller's;
 *	6.1 fires once; traces of 6.18 show it twice): the second is folded
 *	into the first (SLAB_INC_DUP_LARGE). kmalloc(0)
 *	returns ZERO_SIZE_PTR without an event.
 * kmem_cache_alloc(call_site, ptr, s, bytes_req = s->object_size,
 *	bytes_alloc = s->size): slab_alloc_node() of kmem_cache_alloc*().
 * kfree(call_site, ptr): kfree(), before ZERO_OR_NULL_PTR() is tested: fires
 *	for NULL too; a large kmalloc is freed by free_large_kmalloc().
 * kmem_cache_free(call_site, ptr, s): kmem_cache_free() after cache_from_obj().
 * No event: kmem_cache_alloc_bulk(), kmem_cache_free_bulk(), kfree_bulk()
 *	(kvfree_rcu() batches), krealloc() in place.
 *
 * Slab layout (allocate_slab(), shuffle_freelist(), for_each_object()): a
 * slab is a folio of 2^oo_order(s->oo) pages, naturally aligned in the
 * direct map; its objects are at fixup_red_left(s, base) + k * s->size,
 * k < oo_objects(s->oo). The model keeps the left red zone as a per-cache
 * offset (0, or learnt from objects that all miss slots by the same amount
 * before the cache has a slab).
 *
 * State. A hash of live objects (address -> request size, call site, slab,
 * cache). A record per slab: base, cache, slots, two bitmaps: live (an
 * object the trace allocated) and known (live, or seen free); a slot in
 * neither is unknown. A hash of slab bases. Per cache, incrementally: slabs
 * per state, slots free and unknown, live objects and bytes, totals and
 * peaks. Per call site: counts, bytes, live, a kmalloc class histogram.
 *
 * Invariants (slab_model__check): every live object is in the object hash
 * once, reachable from its hash slot; an object with a slab lies on a slot
 * of it, within base .. base + slab_bytes, of its cache, and its live bit
 * is set; a slab's live count is the number of objects in it and of its
 * live bits; live bits are a subset of known bits; no bit beyond the slab's
 * slots; a slab's base is aligned to its cache's slab size and found under
 * that base in the slab hash; no two slabs overlap; the per-cache and
 * per-site counts match a recount.
 */
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "slab.h"
#include "table.h"

#define NONE32			0xffffffffu
#define ZERO_SIZE_PTR		16ULL		/* include/linux/slab.h */
#define NO_PFN			(~0ULL)		/* a failed mm_page_alloc */
#define MAX_OBJS_PER_SLAB	65535		/* record limit (MAX_OBJS_PER_PAGE is 32767) */
#define ULL(x)			((unsigned long long)(x))

#define OBJ_LARGE		0x1	/* kmalloc_large() */
#define OBJ_NOSLAB		0x2	/* tracked without a slab: slab holds bytes_alloc */
#define OBJ_KMALLOC		0x4

#define PO_VOTES		3	/* agreeing kmalloc_large() pairs to adopt a page_offset */
#define PA_RING			4	/* page allocations remembered per CPU */
#define OFF_VOTES		4	/* misses by one offset to learn a left red zone */
#define MAX_SUB_SCAN		64	/* slab bases probed inside one freed block, per order */

struct sm_obj {
	__u64 ptr;		/* 0: empty hash slot */
	__u32 req;
	__u32 site;
	__u32 slab;		/* record index; bytes_alloc with OBJ_NOSLAB */
	__u16 cache;
	__u16 flags;
};

_Static_assert(sizeof(struct sm_obj) == 24, "the object hash entry is the model's cost");

struct sm_slab {
	__u64 base;		/* 0: unused record */
	__u32 cache;		/* next unused record when unused */
	__u16 cap;
	__u16 live;
	__u16 nfree;		/* slots known free */
	__u8 order;
	__u8 pad;
	union {
		__u64 inl[2];	/* cap <= 64: live bits, known bits */
		__u64 *ext;	/* nwords live bits, then nwords known bits */
	} b;
};

_Static_assert(sizeof(struct sm_slab) == 40, "a slab record is the model's cost");

struct sm_kv {
	__u64 key;
	__u32 val;
	__u32 pad;
};

struct sm_map {			/* u64 -> u32, open addressing */
	struct sm_kv *e;
	unsigned int bits;	/* 0: not allocated */
	size_t len;
	bool has_zero;
	__u32 zero_val;
};

struct sm_cache {
	struct slab_cache_stats st;
	__u64 mask;		/* slab_bytes - 1 */
	__u64 recip;		/* ceil(2^32 / size): offset / size without a division */
	__u32 obj_off;		/* left red zone */
	__u32 off_cand;
	__u32 off_votes;
};

struct sm_site {
	struct slab_site_stats st;
};

struct sm_pa {			/* a recent page allocation of one CPU */
	__u64 pfn;		/* NO_PFN: unknown */
	__u64 addr;		/* direct-map address; 0: unknown */
	__s32 order;		/* -1: none */
	__u32 pad;
};

struct sm_cpu {
	struct sm_pa ring[PA_RING];
	__u32 pos;
};

struct slab_model {
	struct slab_model_opts o;
	unsigned int page_shift;
	__u64 page_offset;		/* 0: unknown */
	__u64 po_cand;

	struct sm_obj *objs;
	unsigned int obj_bits;
	struct kmt_region obj_rg;	/* objs' memory, when reserved (obj_rg.reserved) */
	size_t obj_len;

	struct sm_slab *slabs;
	__u32 nr_recs;			/* records used or on the free list */
	__u32 recs_cap;
	__u32 free_rec;			/* first unused record, NONE32 */
	struct sm_map slab_map;		/* base -> record */
	__u32 orders_used;		/* bit per order of a cache with geometry */
	__u64 slabs_by_order[SLAB_MAX_ORDER];
	size_t ext_words;		/* u64 words of external bitmaps */

	struct sm_cache *caches;
	int nr_caches;
	int caches_cap;
	struct sm_map cache_map;	/* kmem_cache * -> index */
	int large_cache;		/* pseudo caches, -1 until needed */
	int unmapped_cache;

	struct sm_site *sites;
	__u32 nr_sites;
	__u32 sites_cap;
	struct sm_map site_map;

	struct slab_kmalloc_class cls[SLAB_MAX_CLASSES];
	int nr_cls;
	__u8 *slot_cls;			/* class by slot size / 8, 0xff none */
	__u32 slot_cls_len;
	bool synthesized;

	struct sm_cpu *cpus;
	__u32 nr_cpus;

	__u64 last_alloc;		/* ptr of the last slab allocation event */
	bool inc_seen;			/* an inconsistency counted during this event */
	struct slab_model_stats st;
};

static inline void inc(struct slab_model *m, enum slab_inc kind)
{
	m->st.inc[kind]++;
	m->inc_seen = true;
}

static inline int fls32(__u32 x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static inline size_t hslot(__u64 key, unsigned int bits)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

/* get_order() for this page size (a size no block covers: the order of a 2^63-byte block) */
static unsigned int get_order(const struct slab_model *m, __u64 size)
{
	unsigned int o = 0;

	while ((__u64)m->o.page_size << o < size && (__u64)m->o.page_size << o < (1ULL << 63))
		o++;
	return o;
}

/* ---- u64 -> u32 maps ---- */

static __u32 map_get(const struct sm_map *h, __u64 key)
{
	size_t i, mask;

	if (!key)
		return h->has_zero ? h->zero_val : NONE32;
	if (!h->bits)
		return NONE32;
	mask = ((size_t)1 << h->bits) - 1;
	for (i = hslot(key, h->bits);; i = (i + 1) & mask) {
		if (h->e[i].key == key)
			return h->e[i].val;
		if (!h->e[i].key)
			return NONE32;
	}
}

static void map_place(struct sm_map *h, __u64 key, __u32 val)
{
	size_t mask = ((size_t)1 << h->bits) - 1, i;

	for (i = hslot(key, h->bits); h->e[i].key && h->e[i].key != key; i = (i + 1) & mask)
		;
	if (!h->e[i].key)
		h->len++;
	h->e[i].key = key;
	h->e[i].val = val;
}

static int map_grow(struct sm_map *h)
{
	struct sm_map n = { .bits = h->bits ? h->bits + 1 : 6 };
	size_t i;

	n.e = kmt_table_calloc((size_t)1 << n.bits, sizeof(*n.e));
	if (!n.e)
		return -ENOMEM;
	for (i = 0; h->bits && i < ((size_t)1 << h->bits); i++)
		if (h->e[i].key)
			map_place(&n, h->e[i].key, h->e[i].val);
	free(h->e);
	h->e = n.e;
	h->bits = n.bits;
	return 0;
}

static int map_put(struct sm_map *h, __u64 key, __u32 val)
{
	if (!key) {
		h->has_zero = true;
		h->zero_val = val;
		return 0;
	}
	if ((h->len + 1) * 10 > ((size_t)7 << h->bits) || !h->bits)
		if (map_grow(h))
			return -ENOMEM;
	map_place(h, key, val);
	return 0;
}

/* Backward-shift deletion: no tombstones, probe runs stay short. */
static void map_del(struct sm_map *h, __u64 key)
{
	size_t mask, i, j, k;

	if (!key) {
		h->has_zero = false;
		return;
	}
	if (!h->bits)
		return;
	mask = ((size_t)1 << h->bits) - 1;
	for (i = hslot(key, h->bits); h->e[i].key != key; i = (i + 1) & mask)
		if (!h->e[i].key)
			return;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!h->e[j].key)
			break;
		k = hslot(h->e[j].key, h->bits);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			h->e[i] = h->e[j];
			i = j;
		}
	}
	h->e[i].key = 0;
	h->len--;
}

static size_t map_bytes(const struct sm_map *h)
{
	return h->bits ? sizeof(struct sm_kv) << h->bits : 0;
}

/* ---- the object hash ---- */

/* An object's home slot: the low bits of its mixed address (user/table.h doubles in place). */
static inline size_t ohome(__u64 ptr, unsigned int bits)
{
	return kmt_hash64(ptr) & (((size_t)1 << bits) - 1);
}

static size_t obj_find(const struct slab_model *m, __u64 ptr)
{
	size_t mask = ((size_t)1 << m->obj_bits) - 1, i;

	for (i = ohome(ptr, m->obj_bits);; i = (i + 1) & mask) {
		if (m->objs[i].ptr == ptr)
			return i;
		if (!m->objs[i].ptr)
			return (size_t)-1;
	}
}

static void obj_place(struct sm_obj *t, unsigned int bits, const struct sm_obj *o)
{
	size_t mask = ((size_t)1 << bits) - 1, i;

	for (i = ohome(o->ptr, bits); t[i].ptr; i = (i + 1) & mask)
		;
	t[i] = *o;
}

static bool obj_used(const void *e)
{
	return ((const struct sm_obj *)e)->ptr != 0;
}

static size_t obj_hash(const void *e)
{
	return kmt_hash64(((const struct sm_obj *)e)->ptr);
}

static const struct kmt_table_ops obj_ops = { sizeof(struct sm_obj), obj_used, obj_hash };

static void objs_free(struct slab_model *m)
{
	kmt_table_free(&m->obj_rg, m->objs);
	m->objs = NULL;
}

/*
 * Room for one more object: grow at 70% load. From 1 MiB on the table doubles
 * in place, in memory reserved for it (user/table.h); where that cannot be had,
 * into a new table.
 */
static int obj_reserve(struct slab_model *m)
{
	struct sm_obj *t;

	if ((m->obj_len + 1) * 10 <= ((size_t)7 << m->obj_bits))
		return 0;
	t = kmt_table_grow(&m->obj_rg, m->objs, (size_t)1 << m->obj_bits,
			   (size_t)2 << m->obj_bits, &obj_ops);
	if (!t)
		return -ENOMEM;
	m->objs = t;
	m->obj_bits++;
	return 0;
}

/* Backward-shift deletion: no tombstones, probe runs stay short. */
static void obj_del_at(struct slab_model *m, size_t i)
{
	size_t mask = ((size_t)1 << m->obj_bits) - 1, j, k;

	for (j = i;;) {
		j = (j + 1) & mask;
		if (!m->objs[j].ptr)
			break;
		k = ohome(m->objs[j].ptr, m->obj_bits);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->objs[i] = m->objs[j];
			i = j;
		}
	}
	m->objs[i].ptr = 0;
	m->obj_len--;
}

/* ---- slab records ---- */

static inline unsigned int nwords(unsigned int cap)
{
	return (cap + 63) >> 6;
}

static inline __u64 *live_bits(struct sm_slab *s)
{
	return s->cap <= 64 ? &s->b.inl[0] : s->b.ext;
}

static inline __u64 *known_bits(struct sm_slab *s)
{
	return s->cap <= 64 ? &s->b.inl[1] : s->b.ext + nwords(s->cap);
}

static inline const __u64 *live_bits_c(const struct sm_slab *s)
{
	return s->cap <= 64 ? &s->b.inl[0] : s->b.ext;
}

static inline const __u64 *known_bits_c(const struct sm_slab *s)
{
	return s->cap <= 64 ? &s->b.inl[1] : s->b.ext + nwords(s->cap);
}

static inline enum slab_state slab_state_of(const struct sm_slab *s)
{
	if (s->nfree == s->cap)
		return SLAB_EMPTY;
	return s->nfree ? SLAB_PARTIAL : SLAB_FULL;
}

static inline unsigned int slab_unknown(const struct sm_slab *s)
{
	return s->cap - s->live - s->nfree;
}

/* Add (sign 1) or take out (-1) what slab s contributes to its cache's counts. */
static inline void slab_acct(struct sm_cache *c, const struct sm_slab *s, int sign)
{
	unsigned int unknown = slab_unknown(s);

	c->st.nr[slab_state_of(s)] += sign;
	c->st.slabs_unknown += sign * (unknown != 0);
	c->st.free_slots += sign * (__s64)s->nfree;
	c->st.unknown_slots += sign * (__s64)unknown;
}

static inline __u64 cache_mem(const struct sm_cache *c)
{
	return c->st.slabs * c->st.slab_bytes;
}

static void peaks(struct sm_cache *c)
{
	__u64 mem = c->st.kmalloc == SLAB_KM_LARGE ? c->st.live_bytes_alloc : cache_mem(c);

	if (c->st.slabs > c->st.peak_slabs)
		c->st.peak_slabs = c->st.slabs;
	if (c->st.live_objs > c->st.peak_live_objs)
		c->st.peak_live_objs = c->st.live_objs;
	if (mem > c->st.peak_mem_bytes)
		c->st.peak_mem_bytes = mem;
}

/* A new record for a slab of cache ci at base; slots unknown, or free when fresh. */
static __u32 slab_new(struct slab_model *m, int ci, __u64 base, bool fresh)
{
	struct sm_cache *c = &m->caches[ci];
	unsigned int cap = c->st.objects, nw = nwords(cap), i;
	struct sm_slab *s;
	__u32 idx;

	if (m->free_rec == NONE32 && m->nr_recs == m->recs_cap) {
		__u32 ncap = m->recs_cap ? m->recs_cap * 2 : 1024;
		struct sm_slab *n = realloc(m->slabs, ncap * sizeof(*n));

		if (!n)
			return NONE32;
		kmt_thp_hint(n, ncap * sizeof(*n));
		m->slabs = n;
		m->recs_cap = ncap;
	}
	if (map_put(&m->slab_map, base, 0))
		return NONE32;
	if (m->free_rec != NONE32) {
		idx = m->free_rec;
		m->free_rec = m->slabs[idx].cache;
	} else {
		idx = m->nr_recs++;
	}
	map_put(&m->slab_map, base, idx);
	s = &m->slabs[idx];
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->cache = (__u32)ci;
	s->cap = (__u16)cap;
	s->order = (__u8)c->st.order;
	if (cap > 64) {
		s->b.ext = calloc(2 * nw, sizeof(__u64));
		if (!s->b.ext) {
			map_del(&m->slab_map, base);
			s->base = 0;
			s->cache = m->free_rec;
			m->free_rec = idx;
			return NONE32;
		}
		m->ext_words += 2 * nw;
	}
	if (fresh || m->o.new_slabs_fresh) {
		__u64 *k = known_bits(s);

		for (i = 0; i < cap; i++)
			k[i >> 6] |= 1ULL << (i & 63);
		s->nfree = (__u16)cap;
	}
	c->st.slabs++;
	c->st.slabs_created++;
	m->slabs_by_order[s->order]++;
	m->st.slabs++;
	slab_acct(c, s, 1);
	peaks(c);
	return idx;
}

static void obj_release(struct slab_model *m, size_t i, int how);

enum { REL_FREE, REL_SILENT, REL_EVICT };

enum slab_drop_why {
	DROP_PAGE_FREE,		/* its pages were freed */
	DROP_PAGE_ALLOC,	/* its pages were allocated: the record was stale */
	DROP_REUSED,		/* another cache's objects are in its pages */
	DROP_WHATIF,		/* slab_model__drop_empty() */
};

/* Drop slab record idx; its live objects are dropped as silently freed. */
static void slab_drop(struct slab_model *m, __u32 idx, enum slab_drop_why why)
{
	struct sm_slab *s = &m->slabs[idx];
	struct sm_cache *c = &m->caches[s->cache];
	unsigned int i;

	for (i = 0; s->live && i < s->cap; i++) {
		size_t oi;

		if (!(live_bits(s)[i >> 6] & (1ULL << (i & 63))))
			continue;
		oi = obj_find(m, s->base + c->obj_off + (__u64)i * c->st.size);
		if (oi != (size_t)-1)
			obj_release(m, oi, why == DROP_REUSED ? REL_SILENT : REL_EVICT);
		else		/* a broken invariant: check() reports it */
			break;
	}
	slab_acct(c, s, -1);
	c->st.slabs--;
	if (why == DROP_PAGE_FREE)
		c->st.slabs_freed++;
	else if (why != DROP_WHATIF)
		c->st.slabs_reused++;
	m->slabs_by_order[s->order]--;
	m->st.slabs--;
	map_del(&m->slab_map, s->base);
	if (s->cap > 64) {
		m->ext_words -= 2 * nwords(s->cap);
		free(s->b.ext);
	}
	s->base = 0;
	s->cache = m->free_rec;
	m->free_rec = idx;
}

/*
 * off / size for offsets inside a slab (< 2^32): exact when size divides
 * off, as the kernel's obj_to_index() with reciprocal_divide() is.
 */
static inline __u64 slot_div(const struct sm_cache *c, __u64 off)
{
	return (off * c->recip) >> 32;
}

/* Slot ptr falls on in a slab of c at base, or -1. */
static int slot_of(const struct sm_cache *c, __u64 base, __u64 ptr)
{
	__u64 off = ptr - base, q;

	if (off < c->obj_off || off >= c->st.slab_bytes)
		return -1;
	off -= c->obj_off;
	q = slot_div(c, off);
	if (q * c->st.size != off || q >= c->st.objects)
		return -1;
	return (int)q;
}

static void slot_set_live(struct sm_cache *c, struct sm_slab *s, unsigned int slot)
{
	__u64 bit = 1ULL << (slot & 63);
	__u64 *k = &known_bits(s)[slot >> 6];

	slab_acct(c, s, -1);
	if (*k & bit)
		s->nfree--;
	*k |= bit;
	live_bits(s)[slot >> 6] |= bit;
	s->live++;
	slab_acct(c, s, 1);
}

static void slot_set_free(struct sm_cache *c, struct sm_slab *s, unsigned int slot)
{
	__u64 bit = 1ULL << (slot & 63);
	__u64 *l = &live_bits(s)[slot >> 6];
	__u64 *k = &known_bits(s)[slot >> 6];

	if ((*k & bit) && !(*l & bit))
		return;			/* already known free */
	slab_acct(c, s, -1);
	if (*l & bit)
		s->live--;
	*l &= ~bit;
	*k |= bit;
	s->nfree++;
	slab_acct(c, s, 1);
}

static __u32 slab_find(const struct slab_model *m, __u64 base)
{
	return map_get(&m->slab_map, base);
}

/* Cache ci's objects, live bytes and per-object accounting when an object leaves. */
static void obj_release(struct slab_model *m, size_t i, int how)
{
	struct sm_obj o = m->objs[i];
	struct sm_cache *c = &m->caches[o.cache];
	struct sm_site *site = &m->sites[o.site];
	__u32 alloc = o.flags & OBJ_NOSLAB ? o.slab : c->st.size;

	if (!(o.flags & OBJ_NOSLAB)) {
		struct sm_slab *s = &m->slabs[o.slab];

		slot_set_free(c, s, (unsigned int)slot_div(c, o.ptr - s->base - c->obj_off));
	}
	c->st.live_objs--;
	c->st.live_bytes_req -= o.req;
	c->st.live_bytes_alloc -= alloc;
	site->st.live_objs--;
	site->st.live_bytes_req -= o.req;
	site->st.live_bytes_alloc -= alloc;
	if (how == REL_FREE) {
		c->st.frees++;
		site->st.frees++;
	} else {
		c->st.silent_frees++;
		site->st.silent_frees++;
		if (how == REL_EVICT)
			inc(m, SLAB_INC_PAGE_EVICT);
	}
	obj_del_at(m, i);
	m->st.live_objects--;
}

/* ---- caches ---- */

enum slab_kmalloc_type slab__kmalloc_name(const char *name, __u32 *nominal)
{
	static const struct {
		const char *prefix;
		enum slab_kmalloc_type type;
	} pre[] = {	/* kmalloc_info[] names (INIT_KMALLOC_INFO) */
		{ "kmalloc-rcl-", SLAB_KM_RECLAIM },
		{ "kmalloc-cg-", SLAB_KM_CGROUP },
		{ "dma-kmalloc-", SLAB_KM_DMA },
		{ "kmalloc-no-objext-", SLAB_KM_NO_OBJEXT },
		{ "kmalloc-rnd-", SLAB_KM_RANDOM },	/* kmalloc-rnd-01-64 */
		{ "kmalloc-", SLAB_KM_NORMAL },
	};
	unsigned int i;

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t n = strlen(pre[i].prefix);
		const char *p = name + n;
		unsigned long v;
		char *end;

		if (strncmp(name, pre[i].prefix, n))
			continue;
		if (pre[i].type == SLAB_KM_RANDOM) {
			if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != '-')
				return SLAB_KM_NONE;
			p += 3;
		}
		if (*p < '1' || *p > '9')
			return SLAB_KM_NONE;
		v = strtoul(p, &end, 10);
		if (*end == 'k')
			v <<= 10, end++;
		else if (*end == 'M')
			v <<= 20, end++;
		if (*end || !v || v > (1UL << 30))
			return SLAB_KM_NONE;
		if (nominal)
			*nominal = (__u32)v;
		return pre[i].type;
	}
	return SLAB_KM_NONE;
}

static int cache_new(struct slab_model *m, const char *name, __u64 ptr)
{
	struct sm_cache *c;
	int ci;

	if (m->nr_caches >= SLAB_MAX_CACHES) {
		inc(m, SLAB_INC_BAD_EVENT);
		return -ENOSPC;
	}
	if (m->nr_caches == m->caches_cap) {
		int ncap = m->caches_cap ? m->caches_cap * 2 : 64;
		struct sm_cache *n = realloc(m->caches, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->caches = n;
		m->caches_cap = ncap;
	}
	if (ptr && map_put(&m->cache_map, ptr, (__u32)m->nr_caches))
		return -ENOMEM;
	ci = m->nr_caches++;
	c = &m->caches[ci];
	memset(c, 0, sizeof(*c));
	snprintf(c->st.name, sizeof(c->st.name), "%s", name);
	c->st.cache = ptr;
	c->st.order = -1;
	c->st.kmalloc_class = -1;
	c->st.kmalloc = slab__kmalloc_name(c->st.name, &c->st.nominal);
	return ci;
}

/* Set a cache's geometry while it has no slab; DERIVED computes order and objects. */
static bool cache_set_geom(struct slab_model *m, struct sm_cache *c, __u32 size, __u32 objects,
			   int order, enum slab_geom_src src)
{
	if (c->st.slabs || !size)
		return false;
	if (src == SLAB_GEOM_DERIVED)
		order = slab__calculate_order(size, m->o.page_size, m->o.nr_cpus,
					      m->o.slub_max_order, &objects);
	if (order < 0 || order >= SLAB_MAX_ORDER || !objects || objects > MAX_OBJS_PER_SLAB ||
	    size < 2 || ((__u64)m->o.page_size << order) > (1ULL << 31) ||
	    (__u64)objects * size > (__u64)m->o.page_size << order)
		return false;
	c->st.size = size;
	c->st.objects = objects;
	c->st.order = order;
	c->st.slab_bytes = (__u64)m->o.page_size << order;
	c->st.geom = src;
	c->mask = c->st.slab_bytes - 1;
	c->recip = ((1ULL << 32) + size - 1) / size;
	m->orders_used |= 1u << order;
	return true;
}

/* A cache named name without a pointer; def names are cut at KMT_CACHE_NAME_LEN - 1. */
static int cache_by_name(const struct slab_model *m, const char *name, bool without_ptr)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < m->nr_caches; i++) {
		const char *cn = m->caches[i].st.name;

		if (without_ptr && m->caches[i].st.cache)
			continue;
		if (!strcmp(cn, name))
			return i;
		if (n == KMT_CACHE_NAME_LEN - 1 && !strncmp(cn, name, n))
			return i;
		if (strlen(cn) == KMT_CACHE_NAME_LEN - 1 && !strncmp(cn, name, KMT_CACHE_NAME_LEN - 1))
			return i;
	}
	return -1;
}

static void classes_build(struct slab_model *m);

int slab_model__add_cache(struct slab_model *m, const struct kmt_cache_def *d)
{
	char name[KMT_CACHE_NAME_LEN + 1];
	struct sm_cache *c;
	__u32 ci;

	if (!m || !d || !d->cache)
		return -EINVAL;
	memcpy(name, d->name, KMT_CACHE_NAME_LEN);
	name[KMT_CACHE_NAME_LEN] = 0;
	ci = map_get(&m->cache_map, d->cache);
	if (ci == NONE32 && name[0]) {
		int byname = cache_by_name(m, name, true);

		if (byname >= 0) {
			if (map_put(&m->cache_map, d->cache, (__u32)byname))
				return -ENOMEM;
			m->caches[byname].st.cache = d->cache;
			ci = (__u32)byname;
		}
	}
	if (ci == NONE32) {
		int r = cache_new(m, name, d->cache);

		if (r < 0)
			return r;
		ci = (__u32)r;
	}
	c = &m->caches[ci];
	if (!c->st.name[0] && name[0]) {
		snprintf(c->st.name, sizeof(c->st.name), "%s", name);
		c->st.kmalloc = slab__kmalloc_name(c->st.name, &c->st.nominal);
	}
	if (d->object_size)
		c->st.object_size = d->object_size;
	if (d->order >= 0 && d->objects &&
	    (c->st.geom != SLAB_GEOM_DEF || c->st.size != d->size))
		cache_set_geom(m, c, d->size, d->objects, d->order, SLAB_GEOM_DEF);
	else if (c->st.geom == SLAB_GEOM_NONE)
		cache_set_geom(m, c, d->size, 0, 0, SLAB_GEOM_DERIVED);
	if (c->st.kmalloc != SLAB_KM_NONE)
		classes_build(m);
	return (int)ci;
}

static int parse_slabinfo_line(struct slab_model *m, const char *line, enum slab_snap phase)
{
	char name[SLAB_NAME_LEN];
	unsigned long long active, num, aslabs, nslabs;
	unsigned int objsize, per, pages;
	struct sm_cache *c;
	int ci;

	if (sscanf(line, "%63s %llu %llu %u %u %u : tunables %*u %*u %*u : slabdata %llu %llu",
		   name, &active, &num, &objsize, &per, &pages, &aslabs, &nslabs) != 8)
		return -EINVAL;
	if (!pages || (pages & (pages - 1)) || !objsize)
		return -EINVAL;
	ci = cache_by_name(m, name, false);
	if (ci < 0)
		ci = cache_new(m, name, 0);
	if (ci < 0)
		return ci;
	c = &m->caches[ci];
	if (strlen(c->st.name) < strlen(name)) {	/* a def's cut name: take the full one */
		snprintf(c->st.name, sizeof(c->st.name), "%s", name);
		c->st.kmalloc = slab__kmalloc_name(c->st.name, &c->st.nominal);
	}
	if (!c->st.object_size && c->st.nominal)
		c->st.object_size = c->st.nominal;	/* kmalloc_info[].size */
	if (c->st.geom == SLAB_GEOM_NONE || c->st.geom == SLAB_GEOM_DERIVED)
		cache_set_geom(m, c, objsize, per, fls32(pages) - 1, SLAB_GEOM_SLABINFO);
	c->st.slabinfo[phase].valid = true;
	c->st.slabinfo[phase].active_objs = active;
	c->st.slabinfo[phase].num_objs = num;
	c->st.slabinfo[phase].num_slabs = nslabs;
	(void)aslabs;
	return 0;
}

int slab_model__load_slabinfo(struct slab_model *m, const char *text, size_t len,
			      enum slab_snap phase)
{
	const char *p = text, *end = text + len;
	int ok = 0, bad = 0;

	if (!m || (!text && len) || (phase != SLAB_SNAP_START && phase != SLAB_SNAP_END))
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;
		char line[512];
		int r;

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		if (n && n < sizeof(line) && *p != '#' && strncmp(p, "slabinfo -", 10)) {
			memcpy(line, p, n);
			line[n] = 0;
			r = parse_slabinfo_line(m, line, phase);
			if (r == -ENOMEM)
				return r;
			if (r)
				bad++;
			else
				ok++;
		} else if (n >= sizeof(line)) {
			bad++;
		}
		p += n + 1;
	}
	m->st.slabinfo_lines += ok;
	m->st.slabinfo_bad_lines += bad;
	classes_build(m);
	return ok || !bad ? ok : -EINVAL;
}

/* The cache an event names; a pseudo cache built from the event when the trace has no def. */
static int cache_of_event(struct slab_model *m, const struct kmt_event *e)
{
	const struct kmt_cache_def *d;
	__u32 ci = map_get(&m->cache_map, e->aux);
	int r;

	if (ci != NONE32 || !e->aux)
		return ci == NONE32 ? -1 : (int)ci;
	d = m->o.cache_def ? m->o.cache_def(m->o.cache_def_ctx, e->aux) : NULL;
	if (d && d->cache == e->aux)
		return slab_model__add_cache(m, d);
	r = cache_new(m, "", e->aux);
	if (r >= 0 && e->type == KMT_EV_CACHE_ALLOC) {
		m->caches[r].st.object_size = (__u32)e->size;
		cache_set_geom(m, &m->caches[r], (__u32)e->size2, 0, 0, SLAB_GEOM_DERIVED);
	}
	return r;
}

static int pseudo_cache(struct slab_model *m, int *slot, const char *name,
			enum slab_kmalloc_type type)
{
	if (*slot < 0) {
		int r = cache_new(m, name, 0);

		if (r < 0)
			return r;
		m->caches[r].st.kmalloc = type;
		m->caches[r].st.kmalloc_class = type == SLAB_KM_LARGE ? SLAB_CLASS_LARGE : -1;
		*slot = r;
	}
	return *slot;
}

/* ---- kmalloc size classes ---- */

static int class_slot(struct slab_model *m, __u32 nominal)
{
	int i;

	for (i = 0; i < m->nr_cls; i++)
		if (m->cls[i].nominal == nominal)
			return i;
	if (m->nr_cls >= SLAB_CLASS_LARGE)
		return -1;
	i = m->nr_cls++;
	memset(&m->cls[i], 0, sizeof(m->cls[i]));
	memset(m->cls[i].cache, 0xff, sizeof(m->cls[i].cache));
	m->cls[i].nominal = nominal;
	return i;
}

static void classes_sort(struct slab_model *m)
{
	int i, j;

	for (i = 1; i < m->nr_cls; i++) {
		struct slab_kmalloc_class k = m->cls[i];

		for (j = i; j > 0 && m->cls[j - 1].nominal > k.nominal; j--)
			m->cls[j] = m->cls[j - 1];
		m->cls[j] = k;
	}
}

/* The slot size -> class table: plain caches first, then the variants. */
static void classes_slot_table(struct slab_model *m)
{
	static const int order[] = { SLAB_KM_NORMAL, SLAB_KM_RECLAIM, SLAB_KM_CGROUP, SLAB_KM_DMA,
				     SLAB_KM_RANDOM, SLAB_KM_NO_OBJEXT };
	__u32 max = 0, len;
	unsigned int t;
	int i;

	for (i = 0; i < m->nr_caches; i++)
		if (m->caches[i].st.kmalloc_class >= 0 && m->caches[i].st.size > max &&
		    m->caches[i].st.kmalloc_class != SLAB_CLASS_LARGE)
			max = m->caches[i].st.size;
	len = max / 8 + 1;
	if (len > m->slot_cls_len) {
		__u8 *n = realloc(m->slot_cls, len);

		if (!n)
			len = m->slot_cls_len;	/* keep the old table: lookups fall back */
		else
			m->slot_cls = n;
	}
	m->slot_cls_len = len;
	if (m->slot_cls)
		memset(m->slot_cls, 0xff, len);
	for (t = 0; t < sizeof(order) / sizeof(order[0]); t++) {
		for (i = 0; i < m->nr_cls; i++) {
			int ci = m->cls[i].cache[order[t]];
			__u32 size = ci >= 0 ? m->caches[ci].st.size : 0;

			if (size && !(size % 8) && size / 8 < len && m->slot_cls[size / 8] == 0xff)
				m->slot_cls[size / 8] = (__u8)i;
		}
	}
}

static void classes_build(struct slab_model *m)
{
	int i, k;

	m->nr_cls = 0;
	for (i = 0; i < m->nr_caches; i++) {
		struct sm_cache *c = &m->caches[i];

		if (c->st.kmalloc == SLAB_KM_LARGE)
			continue;
		c->st.kmalloc_class = -1;
		if (c->st.kmalloc == SLAB_KM_NONE || c->st.kmalloc >= SLAB_KM_LARGE ||
		    !c->st.size || !c->st.nominal)
			continue;
		k = class_slot(m, c->st.nominal);
		if (k >= 0 && m->cls[k].cache[c->st.kmalloc] < 0)
			m->cls[k].cache[c->st.kmalloc] = i;
	}
	classes_sort(m);
	for (k = 0; k < m->nr_cls; k++) {
		struct slab_kmalloc_class *kc = &m->cls[k];
		unsigned int t;

		for (t = 0; t < SLAB_KM_NR_TYPES; t++) {
			if (kc->cache[t] < 0)
				continue;
			m->caches[kc->cache[t]].st.kmalloc_class = k;
			if (!kc->size || t == SLAB_KM_NORMAL)
				kc->size = m->caches[kc->cache[t]].st.size;
		}
	}
	classes_slot_table(m);
}

/* No kmalloc cache in the trace: the kmalloc_info[] caches with derived geometry. */
static void classes_synth(struct slab_model *m)
{
	__u32 sizes[SLAB_MAX_CLASSES], s, n = 0, i;
	__u32 min = m->o.kmalloc_min_size;

	m->synthesized = true;
	if (min <= 32)
		sizes[n++] = 96;
	if (min <= 64)
		sizes[n++] = 192;
	for (s = min; s <= m->o.kmalloc_max_cache_size && n < SLAB_CLASS_LARGE; s <<= 1)
		sizes[n++] = s;
	for (i = 0; i < n; i++) {
		char name[32];
		int ci;

		s = sizes[i];
		if (s < 1024)
			snprintf(name, sizeof(name), "kmalloc-%u", s);
		else if (s < (1u << 20))
			snprintf(name, sizeof(name), "kmalloc-%uk", s >> 10);
		else
			snprintf(name, sizeof(name), "kmalloc-%uM", s >> 20);
		if (cache_by_name(m, name, false) >= 0)
			continue;
		ci = cache_new(m, name, 0);
		if (ci < 0)
			break;
		m->caches[ci].st.object_size = s;
		cache_set_geom(m, &m->caches[ci], s, 0, 0, SLAB_GEOM_DERIVED);
	}
	classes_build(m);
}

/* The smallest class of nominal size >= size: kmalloc_slab() with kmalloc_size_index[]. */
static int class_by_req(const struct slab_model *m, __u64 size)
{
	int i;

	for (i = 0; i < m->nr_cls; i++)
		if (m->cls[i].nominal >= size)
			return i;
	return -1;
}

static int class_by_slot(const struct slab_model *m, __u64 size)
{
	if (size % 8 || size / 8 >= m->slot_cls_len || !m->slot_cls)
		return -1;
	return m->slot_cls[size / 8] == 0xff ? -1 : m->slot_cls[size / 8];
}

/* kmalloc_type(): the variant the GFP flags ask for, if the model knows it. */
static int kmalloc_variant(struct slab_model *m, const struct slab_kmalloc_class *kc, __u32 gfp)
{
	static const int any[] = { SLAB_KM_NORMAL, SLAB_KM_RECLAIM, SLAB_KM_CGROUP, SLAB_KM_DMA,
				   SLAB_KM_RANDOM, SLAB_KM_NO_OBJEXT };
	int t = -1;
	unsigned int i;

	if (m->o.gfp_dma && (gfp & m->o.gfp_dma) && kc->cache[SLAB_KM_DMA] >= 0)
		t = SLAB_KM_DMA;
	else if (m->o.gfp_reclaimable && (gfp & m->o.gfp_reclaimable) &&
		 kc->cache[SLAB_KM_RECLAIM] >= 0)
		t = SLAB_KM_RECLAIM;
	else if (m->o.gfp_account && (gfp & m->o.gfp_account) && kc->cache[SLAB_KM_CGROUP] >= 0)
		t = SLAB_KM_CGROUP;
	if (t >= 0) {
		m->st.variant_by_gfp++;
		return kc->cache[t];
	}
	for (i = 0; i < sizeof(any) / sizeof(any[0]); i++)
		if (kc->cache[any[i]] >= 0)
			return kc->cache[any[i]];
	return -1;
}

/* The cache of a kmalloc event: by slot size (bytes_alloc), else by request. */
static int kmalloc_pick(struct slab_model *m, const struct kmt_event *e)
{
	int cls;

	if (!m->nr_cls && !m->synthesized)
		classes_synth(m);
	cls = class_by_slot(m, e->size2);
	if (cls < 0) {		/* no slot of that size: placed by the request */
		inc(m, SLAB_INC_NO_CACHE);
		cls = class_by_req(m, e->size);
	}
	return cls < 0 ? -1 : kmalloc_variant(m, &m->cls[cls], e->gfp);
}

static bool same_class(const struct slab_model *m, __u32 a, __u32 b)
{
	const struct sm_cache *x = &m->caches[a], *y = &m->caches[b];

	return x->st.kmalloc_class >= 0 && x->st.kmalloc_class == y->st.kmalloc_class &&
	       x->st.kmalloc_class != SLAB_CLASS_LARGE && x->st.size == y->st.size &&
	       x->st.order == y->st.order;
}

/* ---- call sites ---- */

static __u32 site_get(struct slab_model *m, __u64 call_site)
{
	__u32 idx = map_get(&m->site_map, call_site);
	struct sm_site *s;

	if (idx != NONE32)
		return idx;
	if (m->nr_sites == m->sites_cap) {
		__u32 ncap = m->sites_cap ? m->sites_cap * 2 : 256;
		struct sm_site *n = realloc(m->sites, ncap * sizeof(*n));

		if (!n)
			return NONE32;
		m->sites = n;
		m->sites_cap = ncap;
	}
	if (map_put(&m->site_map, call_site, m->nr_sites))
		return NONE32;
	s = &m->sites[m->nr_sites];
	memset(s, 0, sizeof(*s));
	s->st.call_site = call_site;
	s->st.cache = -1;
	s->st.min_req = NONE32;
	return m->nr_sites++;
}

/* ---- page events ---- */

static int pa_record(struct slab_model *m, __u32 cpu, __u64 pfn, __u64 addr,
		     unsigned int order)
{
	struct sm_cpu *c;

	if (cpu >= m->nr_cpus) {
		__u32 n = cpu + 1 > 2 * m->nr_cpus ? cpu + 1 : 2 * m->nr_cpus;
		struct sm_cpu *nc;
		__u32 i, j;

		if (cpu >= 65536)
			return 0;
		nc = realloc(m->cpus, n * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		for (i = m->nr_cpus; i < n; i++) {
			nc[i].pos = 0;
			for (j = 0; j < PA_RING; j++)
				nc[i].ring[j] = (struct sm_pa){ .pfn = NO_PFN, .order = -1 };
		}
		m->cpus = nc;
		m->nr_cpus = n;
	}
	c = &m->cpus[cpu];
	c->ring[c->pos].pfn = pfn;
	c->ring[c->pos].addr = addr;
	c->ring[c->pos].order = (__s32)order;
	c->pos = (c->pos + 1) % PA_RING;
	return 0;
}

/* A slab at base of this order was allocated just before on this CPU: all its slots are free. */
static bool pa_fresh(struct slab_model *m, __u32 cpu, __u64 base, unsigned int order)
{
	unsigned int i;

	if (cpu >= m->nr_cpus)
		return false;
	for (i = 0; i < PA_RING; i++) {
		struct sm_pa *pa = &m->cpus[cpu].ring[i];
		__u64 addr = pa->addr;

		if (!addr && m->page_offset && pa->pfn != NO_PFN)
			addr = m->page_offset + (pa->pfn << m->page_shift);
		if (pa->order == (__s32)order && addr == base) {
			pa->order = -1;
			return true;
		}
	}
	return false;
}

/*
 * A kmalloc_large() allocation is an mm_page_alloc of pfn followed, on the
 * same CPU, by a kmalloc of its direct-map address: one vote for
 * page_offset = ptr - pfn * page_size.
 */
static void infer_page_offset(struct slab_model *m, const struct kmt_event *e)
{
	struct sm_pa *pa;
	__u64 cand;

	if (m->page_offset || !m->o.infer_page_offset || !e->ptr || e->cpu >= m->nr_cpus ||
	    (e->flags & KMT_EVF_HASHED_PTR))
		return;
	pa = &m->cpus[e->cpu].ring[(m->cpus[e->cpu].pos + PA_RING - 1) % PA_RING];
	if (pa->order != (__s32)get_order(m, e->size) || pa->pfn == NO_PFN ||
	    e->ptr < pa->pfn << m->page_shift)
		return;
	cand = e->ptr - (pa->pfn << m->page_shift);
	pa->order = -1;
	if (m->st.page_offset_votes && cand != m->po_cand) {
		m->st.page_offset_conflicts++;
		if (m->st.page_offset_conflicts < m->st.page_offset_votes)
			return;
		m->st.page_offset_votes = 0;	/* more against than for: start again */
		m->st.page_offset_conflicts = 0;
	}
	if (!m->st.page_offset_votes)
		m->po_cand = cand;
	if (++m->st.page_offset_votes >= PO_VOTES) {
		m->page_offset = m->po_cand;
		m->st.page_offset = m->po_cand;
		m->st.page_offset_inferred = true;
	}
}

/* Drop live objects of slab idx that lie in [lo, hi): its pages there are gone. */
static void evict_in(struct slab_model *m, __u32 idx, __u64 lo, __u64 hi)
{
	struct sm_slab *s = &m->slabs[idx];
	struct sm_cache *c = &m->caches[s->cache];
	unsigned int i;

	for (i = 0; s->live && i < s->cap; i++) {
		__u64 p = s->base + c->obj_off + (__u64)i * c->st.size;
		size_t oi;

		if (p < lo || p >= hi || !(live_bits(s)[i >> 6] & (1ULL << (i & 63))))
			continue;
		oi = obj_find(m, p);
		if (oi != (size_t)-1)
			obj_release(m, oi, REL_EVICT);
	}
}

/*
 * Drop the slab records overlapping [addr, addr + page_size << order).
 * A record larger than the range: with page set (pages freed or allocated
 * inside a slab) only its objects in the range go; else the record goes.
 */
static int drop_range(struct slab_model *m, __u64 addr, unsigned int order,
		      enum slab_drop_why why, bool page)
{
	__u64 end = addr + ((__u64)m->o.page_size << order), b;
	unsigned int o;
	int dropped = 0;

	for (o = 0; o < SLAB_MAX_ORDER; o++) {
		__u64 sz = (__u64)m->o.page_size << o;
		__u32 idx;

		if (!(m->orders_used & (1u << o)) || !m->slabs_by_order[o])
			continue;
		if (o >= order) {
			idx = slab_find(m, addr & ~(sz - 1));
			if (idx == NONE32 || m->slabs[idx].order != o)
				continue;
			if (o > order && page) {
				inc(m, SLAB_INC_PARTIAL_PAGE_FREE);
				evict_in(m, idx, addr, end);
				continue;
			}
			slab_drop(m, idx, why);
			dropped++;
			continue;
		}
		if (order - o > 30 || (1ULL << (order - o)) > MAX_SUB_SCAN) {
			/*
			 * A huge block: stale records inside go when reused, but
			 * one at addr itself has the key a new slab there takes.
			 */
			idx = slab_find(m, addr);
			if (idx != NONE32 && m->slabs[idx].order == o) {
				slab_drop(m, idx, why);
				dropped++;
			}
			continue;
		}
		for (b = addr; b < end; b += sz) {
			idx = slab_find(m, b);
			if (idx != NONE32 && m->slabs[idx].order == o) {
				slab_drop(m, idx, why);
				dropped++;
			}
		}
	}
	return dropped;
}

int slab_model__page_freed(struct slab_model *m, __u64 addr, unsigned int order)
{
	if (!m || order >= 64 || ((__u64)m->o.page_size << order) == 0)
		return -EINVAL;
	return drop_range(m, addr, order, DROP_PAGE_FREE, true);
}

int slab_model__page_alloced(struct slab_model *m, __u64 addr, unsigned int order, __u32 cpu)
{
	int n;

	if (!m || order >= 64)
		return -EINVAL;
	n = drop_range(m, addr, order, DROP_PAGE_ALLOC, true);
	if (n)
		inc(m, SLAB_INC_SLAB_REUSED);
	if (pa_record(m, cpu, m->page_offset && addr >= m->page_offset ?
			       (addr - m->page_offset) >> m->page_shift : NO_PFN, addr, order))
		return -ENOMEM;
	return n;
}

static int on_page(struct slab_model *m, const struct kmt_event *e)
{
	unsigned int order = e->type == KMT_EV_PAGE_FREE_BATCHED ? 0 : (unsigned int)e->order;
	__u64 addr;
	int n;

	if (e->ptr == NO_PFN || e->order < 0 || e->order >= 32)
		return 0;
	if (e->type == KMT_EV_PAGE_ALLOC && pa_record(m, e->cpu, e->ptr, 0, order))
		return -ENOMEM;
	if (!m->page_offset) {
		m->st.page_events_skipped++;
		return 0;
	}
	addr = m->page_offset + (e->ptr << m->page_shift);
	if (e->type != KMT_EV_PAGE_ALLOC)
		return drop_range(m, addr, order, DROP_PAGE_FREE, true) < 0 ? -ENOMEM : 0;
	n = drop_range(m, addr, order, DROP_PAGE_ALLOC, true);
	if (n)
		inc(m, SLAB_INC_SLAB_REUSED);
	return 0;
}

/* ---- placing objects ---- */

/* Objects of a debug cache all miss slots by its left red zone: learn it before any slab. */
static bool learn_offset(struct sm_cache *c, __u64 base, __u64 ptr)
{
	__u32 r = (__u32)((ptr - base) % c->st.size);

	if (c->st.slabs || r == c->obj_off)
		return false;
	if (r == c->off_cand && c->off_votes) {
		c->off_votes++;
	} else {
		c->off_cand = r;
		c->off_votes = 1;
	}
	if (c->off_votes < OFF_VOTES)
		return false;
	c->obj_off = r;
	return true;
}

/*
 * The slab of an object of cache *ci at ptr, created if needed, in *slab
 * and its slot in *slot. A slab owned by a kmalloc cache of the same class
 * keeps its owner (*ci changes); one owned by another cache, or records
 * overlapping the new slab, are stale and dropped. Returns 0, 1 when ptr
 * is on no slot (counted), -ENOMEM.
 */
static int place(struct slab_model *m, int *ci, __u64 ptr, __u32 cpu, __u32 *slab, int *slot)
{
	struct sm_cache *c = &m->caches[*ci];
	__u64 base = ptr & ~c->mask;
	__u32 idx;

	if (!base) {	/* no slab at address 0 (and base 0 marks a free record) */
		inc(m, SLAB_INC_BAD_EVENT);
		return 1;
	}
	idx = slab_find(m, base);
	if (idx != NONE32 && m->slabs[idx].cache != (__u32)*ci) {
		if (same_class(m, m->slabs[idx].cache, (__u32)*ci)) {
			*ci = (int)m->slabs[idx].cache;
			c = &m->caches[*ci];
			m->st.variant_by_slab++;
		} else {
			idx = NONE32;
		}
	}
	*slot = slot_of(c, base, ptr);
	if (*slot < 0 && learn_offset(c, base, ptr))
		*slot = slot_of(c, base, ptr);
	if (*slot < 0) {
		c->st.misplaced++;
		inc(m, SLAB_INC_MISPLACED);
		return 1;
	}
	if (idx == NONE32) {
		if (drop_range(m, base, (unsigned int)c->st.order, DROP_REUSED, false))
			inc(m, SLAB_INC_SLAB_REUSED);
		idx = slab_new(m, *ci, base, pa_fresh(m, cpu, base, (unsigned int)c->st.order));
		if (idx == NONE32)
			return -ENOMEM;
	}
	*slab = idx;
	return 0;
}

/* ---- slab events ---- */

struct alloc_ev {
	int ci;
	__u32 req;
	__u32 alloc;		/* the event's bytes_alloc */
	__u16 flags;		/* OBJ_* */
	int cls;		/* the site histogram's class; -1 none */
	__u32 kind;		/* SLAB_SITE_* */
};

static void site_add(struct sm_site *s, const struct alloc_ev *a, __u32 live_alloc, int sign)
{
	s->st.allocs += sign;
	s->st.bytes_req += sign * (__s64)a->req;
	s->st.bytes_alloc += sign * (__s64)a->alloc;
	s->st.live_objs += sign;
	s->st.live_bytes_req += sign * (__s64)a->req;
	s->st.live_bytes_alloc += sign * (__s64)live_alloc;
	if (a->cls >= 0)
		s->st.hist[a->cls] += sign;
	if (sign < 0)
		return;
	s->st.kinds |= a->kind;
	s->st.cache = a->ci;
	if (a->req < s->st.min_req)
		s->st.min_req = a->req;
	if (a->req > s->st.max_req)
		s->st.max_req = a->req;
}

/*
 * 6.12 fires kmalloc twice for a kmalloc_large() from __do_kmalloc_node():
 * the second, with the caller's call site, immediately follows the first.
 */
static bool dup_large(struct slab_model *m, const struct kmt_event *e, const struct alloc_ev *a,
		      size_t i, __u32 si)
{
	struct sm_obj *o = &m->objs[i];
	struct alloc_ev old = *a;

	if (!(a->flags & OBJ_LARGE) || !(o->flags & OBJ_LARGE) || o->req != a->req ||
	    o->slab != a->alloc || m->last_alloc != e->ptr)
		return false;
	if (o->site != si) {
		site_add(&m->sites[o->site], &old, o->slab, -1);
		site_add(&m->sites[si], a, o->slab, 1);
		o->site = si;
	}
	inc(m, SLAB_INC_DUP_LARGE);
	return true;
}

static int on_alloc(struct slab_model *m, const struct kmt_event *e, struct alloc_ev *a)
{
	__u32 si = site_get(m, e->call_site), slab = 0, live_alloc;
	struct sm_cache *c;
	struct sm_obj o;
	int slot = 0, r;
	size_t i;

	if (si == NONE32 || obj_reserve(m))
		return -ENOMEM;
	if (e->ptr == ZERO_SIZE_PTR) {		/* not traced by 6.x: no object anyway */
		m->st.zero_size_allocs++;
		return 0;
	}
	if (!e->ptr) {
		m->caches[a->ci].st.failed++;
		m->sites[si].st.failed++;
		m->sites[si].st.kinds |= a->kind;
		return 0;
	}
	i = obj_find(m, e->ptr);
	if (i != (size_t)-1) {
		if (dup_large(m, e, a, i, si))
			return 1;
		inc(m, SLAB_INC_ALLOC_LIVE);
		obj_release(m, i, REL_SILENT);
	}
	if (e->flags & KMT_EVF_HASHED_PTR) {
		m->st.hashed_ptrs++;
		a->flags |= OBJ_NOSLAB;
	} else if (!(a->flags & OBJ_NOSLAB) && m->caches[a->ci].st.geom == SLAB_GEOM_NONE) {
		inc(m, SLAB_INC_NO_GEOMETRY);
		a->flags |= OBJ_NOSLAB;
	} else if (!(a->flags & OBJ_NOSLAB)) {
		r = place(m, &a->ci, e->ptr, e->cpu, &slab, &slot);
		if (r < 0)
			return r;
		if (r)
			a->flags |= OBJ_NOSLAB;
	}
	c = &m->caches[a->ci];
	if (a->flags & OBJ_KMALLOC && !(a->flags & OBJ_LARGE))
		a->cls = c->st.kmalloc_class;
	live_alloc = a->flags & OBJ_NOSLAB ? a->alloc : c->st.size;
	if (a->req > live_alloc) {	/* more asked than the slot holds: not this cache's */
		inc(m, SLAB_INC_BAD_EVENT);
		a->req = live_alloc;
	}
	o = (struct sm_obj){ .ptr = e->ptr, .req = a->req, .site = si, .cache = (__u16)a->ci,
			     .slab = a->flags & OBJ_NOSLAB ? a->alloc : slab, .flags = a->flags };
	obj_place(m->objs, m->obj_bits, &o);
	m->obj_len++;
	m->st.live_objects++;
	if (!(a->flags & OBJ_NOSLAB))
		slot_set_live(c, &m->slabs[slab], (unsigned int)slot);
	c->st.allocs++;
	c->st.bytes_req += a->req;
	c->st.bytes_alloc += a->alloc;
	c->st.live_objs++;
	c->st.live_bytes_req += a->req;
	c->st.live_bytes_alloc += live_alloc;
	peaks(c);
	site_add(&m->sites[si], a, live_alloc, 1);
	m->last_alloc = e->ptr;
	return m->inc_seen;
}

static int on_kmalloc(struct slab_model *m, const struct kmt_event *e)
{
	struct alloc_ev a = { .req = (__u32)e->size, .alloc = (__u32)e->size2,
			      .flags = OBJ_KMALLOC, .cls = -1, .kind = SLAB_SITE_KMALLOC };

	if (e->size > m->o.kmalloc_max_cache_size) {
		a.ci = pseudo_cache(m, &m->large_cache, "kmalloc-large", SLAB_KM_LARGE);
		a.flags |= OBJ_LARGE | OBJ_NOSLAB;
		a.cls = SLAB_CLASS_LARGE;
		a.kind |= SLAB_SITE_LARGE;
		if (!a.alloc) {
			__u64 sz = (__u64)m->o.page_size << get_order(m, e->size);

			a.alloc = sz < UINT32_MAX ? (__u32)sz : UINT32_MAX;
		}
		infer_page_offset(m, e);
	} else {
		a.ci = kmalloc_pick(m, e);
		if (a.ci < 0) {
			a.ci = pseudo_cache(m, &m->unmapped_cache, "kmalloc-unmapped",
					    SLAB_KM_UNMAPPED);
			a.flags |= OBJ_NOSLAB;
		}
	}
	if (a.ci < 0)
		return a.ci == -ENOSPC ? 1 : a.ci;
	return on_alloc(m, e, &a);
}

static int on_cache_alloc(struct slab_model *m, const struct kmt_event *e)
{
	struct alloc_ev a = { .req = (__u32)e->size, .alloc = (__u32)e->size2, .cls = -1,
			      .kind = SLAB_SITE_CACHE };
	struct sm_cache *c;

	a.ci = cache_of_event(m, e);
	if (a.ci == -1) {
		inc(m, SLAB_INC_NO_CACHE);
		a.ci = pseudo_cache(m, &m->unmapped_cache, "kmalloc-unmapped", SLAB_KM_UNMAPPED);
		a.flags |= OBJ_NOSLAB;
	}
	if (a.ci < 0)
		return a.ci == -ENOSPC ? 1 : a.ci;
	c = &m->caches[a.ci];
	if (c->st.geom == SLAB_GEOM_NONE && !c->st.size && e->size2) {
		c->st.object_size = (__u32)e->size;
		cache_set_geom(m, c, (__u32)e->size2, 0, 0, SLAB_GEOM_DERIVED);
	}
	if (!a.alloc)
		a.alloc = c->st.size;
	return on_alloc(m, e, &a);
}

/* A slab record holding ptr on a slot, whatever the cache (kfree names none). */
static __u32 probe_slab(const struct slab_model *m, __u64 ptr, int *slot)
{
	unsigned int o;

	for (o = 0; o < SLAB_MAX_ORDER; o++) {
		__u64 base = ptr & ~(((__u64)m->o.page_size << o) - 1);
		__u32 idx;

		if (!(m->orders_used & (1u << o)) || !m->slabs_by_order[o])
			continue;
		idx = slab_find(m, base);
		if (idx == NONE32 || m->slabs[idx].order != o)
			continue;
		*slot = slot_of(&m->caches[m->slabs[idx].cache], base, ptr);
		if (*slot >= 0)
			return idx;
	}
	return NONE32;
}

/* A free of an object the trace did not see allocated: its slot is known free now. */
static int unseen_free(struct slab_model *m, const struct kmt_event *e, int ci)
{
	__u32 idx = NONE32;
	int slot = -1, r;

	inc(m, SLAB_INC_FREE_UNSEEN);
	if (e->flags & KMT_EVF_HASHED_PTR) {
		/* no address to place it by */
	} else if (ci >= 0 && m->caches[ci].st.geom != SLAB_GEOM_NONE) {
		r = place(m, &ci, e->ptr, e->cpu, &idx, &slot);
		if (r < 0)
			return r;
		if (r)
			idx = NONE32;
	} else if (ci < 0) {
		idx = probe_slab(m, e->ptr, &slot);
		if (idx != NONE32)
			ci = (int)m->slabs[idx].cache;
	}
	if (ci < 0) {
		m->st.unseen_free_no_cache++;
		return 1;
	}
	m->caches[ci].st.unseen_frees++;
	if (idx != NONE32)
		slot_set_free(&m->caches[ci], &m->slabs[idx], (unsigned int)slot);
	return 1;
}

static int on_free(struct slab_model *m, const struct kmt_event *e)
{
	int ci = -1;
	size_t i;

	if (!e->ptr || e->ptr == ZERO_SIZE_PTR) {
		m->st.null_frees++;
		return 0;
	}
	if (e->type == KMT_EV_CACHE_FREE && e->aux) {
		ci = cache_of_event(m, e);
		if (ci == -ENOMEM)
			return ci;
	}
	i = obj_find(m, e->ptr);
	if (i == (size_t)-1)
		return unseen_free(m, e, ci);
	if (ci >= 0 && ci != m->objs[i].cache && !same_class(m, (__u32)ci, m->objs[i].cache))
		inc(m, SLAB_INC_CACHE_MISMATCH);
	obj_release(m, i, REL_FREE);
	return m->inc_seen;
}

int slab_model__apply(struct slab_model *m, const struct kmt_event *e)
{
	int r;

	if (!m || !e)
		return -EINVAL;
	m->inc_seen = false;
	switch (e->type) {
	case KMT_EV_KMALLOC:
		r = on_kmalloc(m, e);
		break;
	case KMT_EV_CACHE_ALLOC:
		r = on_cache_alloc(m, e);
		break;
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
		r = on_free(m, e);
		break;
	case KMT_EV_PAGE_ALLOC:
	case KMT_EV_PAGE_FREE:
	case KMT_EV_PAGE_FREE_BATCHED:
		r = on_page(m, e);
		break;
	default:
		m->st.ignored++;
		return 0;
	}
	if (r < 0)
		return r;
	m->st.events++;
	return m->inc_seen ? 1 : 0;
}

void slab_model__prefetch(const struct slab_model *m, const struct kmt_event *e)
{
	if (m && e->ptr && m->objs)
		__builtin_prefetch(&m->objs[ohome(e->ptr, m->obj_bits)]);
}

int slab_model__apply_batch(struct slab_model *m, const struct kmt_event *ev, size_t n,
			    size_t *nr_inc)
{
	const size_t ahead = 8;
	size_t i, incs = 0;
	int r;

	if (!m || (!ev && n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (i + ahead < n)
			slab_model__prefetch(m, &ev[i + ahead]);
		r = slab_model__apply(m, &ev[i]);
		if (r < 0)
			return r;
		incs += (size_t)r;
	}
	if (nr_inc)
		*nr_inc = incs;
	return 0;
}

__u64 slab_model__drop_empty(struct slab_model *m)
{
	__u64 n = 0;
	__u32 i;

	for (i = 0; m && i < m->nr_recs; i++) {
		if (m->slabs[i].base && m->slabs[i].nfree == m->slabs[i].cap) {
			slab_drop(m, i, DROP_WHATIF);
			n++;
		}
	}
	return n;
}

const struct slab_model_stats *slab_model__stats(const struct slab_model *m)
{
	return &m->st;
}

/* ---- queries ---- */

int slab_model__nr_caches(const struct slab_model *m)
{
	return m->nr_caches;
}

static void cache_derived(struct slab_cache_stats *st)
{
	__u64 empty_slots = st->nr[SLAB_EMPTY] * st->objects;

	st->internal_waste = st->live_bytes_alloc - st->live_bytes_req;
	st->mem_bytes = st->kmalloc == SLAB_KM_LARGE ? st->live_bytes_alloc
						       : st->slabs * st->slab_bytes;
	st->partial_free_slots = st->free_slots - empty_slots;
	st->partial_free_bytes = st->partial_free_slots * st->size;
	st->unknown_bytes = st->unknown_slots * st->size;
	st->empty_bytes = st->nr[SLAB_EMPTY] * st->slab_bytes;
	st->tail_bytes = st->slabs * (st->slab_bytes - (__u64)st->objects * st->size);
}

int slab_model__cache_stats(const struct slab_model *m, int cache, struct slab_cache_stats *st)
{
	if (!m || !st || cache < 0 || cache >= m->nr_caches)
		return -ERANGE;
	*st = m->caches[cache].st;
	cache_derived(st);
	return 0;
}

int slab_model__cache_find(const struct slab_model *m, const char *name)
{
	int i;

	for (i = 0; i < m->nr_caches; i++)
		if (!strcmp(m->caches[i].st.name, name))
			return i;
	return -1;
}

int slab_model__cache_of(const struct slab_model *m, __u64 kmem_cache)
{
	__u32 ci = kmem_cache ? map_get(&m->cache_map, kmem_cache) : NONE32;

	return ci == NONE32 ? -1 : (int)ci;
}

void slab_model__totals(const struct slab_model *m, struct slab_cache_stats *t)
{
	int i, k;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "total");
	t->order = -1;
	t->kmalloc_class = -1;
	for (i = 0; i < m->nr_caches; i++) {
		struct slab_cache_stats s;

		slab_model__cache_stats(m, i, &s);
#define ADD(f) t->f += s.f
		ADD(slabs); ADD(slabs_unknown); ADD(live_objs); ADD(live_bytes_req);
		ADD(live_bytes_alloc); ADD(internal_waste); ADD(mem_bytes); ADD(free_slots);
		ADD(partial_free_slots); ADD(partial_free_bytes); ADD(unknown_slots);
		ADD(unknown_bytes); ADD(empty_bytes); ADD(tail_bytes); ADD(allocs); ADD(frees);
		ADD(failed); ADD(bytes_req); ADD(bytes_alloc); ADD(unseen_frees);
		ADD(silent_frees); ADD(misplaced); ADD(slabs_created); ADD(slabs_freed);
		ADD(slabs_reused); ADD(peak_slabs); ADD(peak_live_objs); ADD(peak_mem_bytes);
		for (k = 0; k < SLAB_NR_STATES; k++)
			ADD(nr[k]);
		for (k = 0; k < 2; k++) {
			t->slabinfo[k].valid |= s.slabinfo[k].valid;
			ADD(slabinfo[k].active_objs);
			ADD(slabinfo[k].num_objs);
			ADD(slabinfo[k].num_slabs);
		}
#undef ADD
	}
}

int slab_model__nr_kmalloc_classes(const struct slab_model *m)
{
	return m->nr_cls;
}

int slab_model__kmalloc_class(const struct slab_model *m, int cls, struct slab_kmalloc_class *kc)
{
	if (cls == SLAB_CLASS_LARGE) {
		memset(kc, 0, sizeof(*kc));
		memset(kc->cache, 0xff, sizeof(kc->cache));
		kc->cache[SLAB_KM_LARGE] = m->large_cache;
		return 0;
	}
	if (cls < 0 || cls >= m->nr_cls)
		return -ERANGE;
	*kc = m->cls[cls];
	return 0;
}

int slab_model__kmalloc_class_of(const struct slab_model *m, __u64 size)
{
	int cls;

	if (!size)
		return -1;
	if (size > m->o.kmalloc_max_cache_size)
		return SLAB_CLASS_LARGE;
	cls = class_by_req(m, size);
	return cls < 0 ? SLAB_CLASS_LARGE : cls;
}

static void slab_fill(const struct slab_model *m, const struct sm_slab *s, struct slab_info *si)
{
	si->base = s->base;
	si->cache = (int)s->cache;
	si->order = s->order;
	si->capacity = s->cap;
	si->live = s->live;
	si->free = s->nfree;
	si->unknown = slab_unknown(s);
	si->state = slab_state_of(s);
	(void)m;
}

int slab_model__slab_at(const struct slab_model *m, __u64 addr, struct slab_info *si)
{
	unsigned int o;

	for (o = 0; o < SLAB_MAX_ORDER; o++) {
		__u64 sz = (__u64)m->o.page_size << o;
		__u32 idx;

		if (!(m->orders_used & (1u << o)))
			continue;
		idx = slab_find(m, addr & ~(sz - 1));
		if (idx != NONE32 && m->slabs[idx].order == o) {
			slab_fill(m, &m->slabs[idx], si);
			return 0;
		}
	}
	return -ENOENT;
}

int slab_model__for_each_slab(const struct slab_model *m, int cache,
			      int (*fn)(const struct slab_info *si, void *ctx), void *ctx)
{
	struct slab_info si;
	__u32 i;
	int r;

	for (i = 0; i < m->nr_recs; i++) {
		const struct sm_slab *s = &m->slabs[i];

		if (!s->base || (cache >= 0 && s->cache != (__u32)cache))
			continue;
		slab_fill(m, s, &si);
		r = fn(&si, ctx);
		if (r)
			return r;
	}
	return 0;
}

int slab_model__object(const struct slab_model *m, __u64 ptr, struct slab_object *out)
{
	const struct sm_obj *o;
	const struct sm_cache *c;
	size_t i;

	if (!ptr)
		return -ENOENT;
	i = obj_find(m, ptr);
	if (i == (size_t)-1)
		return -ENOENT;
	o = &m->objs[i];
	c = &m->caches[o->cache];
	memset(out, 0, sizeof(*out));
	out->ptr = ptr;
	out->cache = o->cache;
	out->call_site = m->sites[o->site].st.call_site;
	out->bytes_req = o->req;
	if (o->flags & OBJ_NOSLAB) {
		out->bytes_alloc = o->slab;
		return 0;
	}
	out->bytes_alloc = c->st.size;
	out->slab = m->slabs[o->slab].base;
	out->slot = (__u32)((ptr - out->slab - c->obj_off) / c->st.size);
	return 0;
}

int slab_model__nr_sites(const struct slab_model *m)
{
	return (int)m->nr_sites;
}

int slab_model__site_stats(const struct slab_model *m, int site, struct slab_site_stats *st)
{
	if (!m || !st || site < 0 || (__u32)site >= m->nr_sites)
		return -ERANGE;
	*st = m->sites[site].st;
	if (st->min_req == NONE32)
		st->min_req = 0;
	return 0;
}

int slab_model__site_find(const struct slab_model *m, __u64 call_site)
{
	__u32 i = map_get(&m->site_map, call_site);

	return i == NONE32 ? -1 : (int)i;
}

/* ---- the size-class analysis ---- */

static __u64 align_up(__u64 v, __u64 a)
{
	return (v + a - 1) / a * a;
}

/* Share of slab tails of n objects of cache ci: n * leftover / objects per slab. */
static __u64 tail_share(const struct slab_model *m, int ci, __u64 n)
{
	const struct sm_cache *c = ci >= 0 ? &m->caches[ci] : NULL;

	if (!c || !c->st.objects || !c->st.slab_bytes)
		return 0;
	return n * (c->st.slab_bytes - (__u64)c->st.objects * c->st.size) / c->st.objects;
}

static int class_cache(const struct slab_kmalloc_class *kc)
{
	int t;

	for (t = SLAB_KM_NORMAL; t < SLAB_KM_LARGE; t++)
		if (kc->cache[t] >= 0)
			return kc->cache[t];
	return -1;
}

static void advice_kmalloc(const struct slab_model *m, const struct slab_site_stats *st,
			   struct slab_site_advice *a)
{
	__u64 best = 0;
	int k;

	for (k = 0; k < SLAB_MAX_CLASSES; k++) {
		if (st->hist[k] > best) {
			best = st->hist[k];
			a->bucket = k;
		}
		if (k < m->nr_cls)
			a->kmalloc_tail += tail_share(m, class_cache(&m->cls[k]), st->hist[k]);
	}
	if (a->bucket >= 0 && a->bucket < m->nr_cls)
		a->bucket_size = m->cls[a->bucket].size;
	a->kmalloc_waste = st->bytes_alloc - st->bytes_req;
}

static void advice_dedicated(const struct slab_model *m, const struct slab_site_stats *st,
			     struct slab_site_advice *a)
{
	__u64 aligned = align_up(st->max_req ? st->max_req : 1, 8);
	/* a request near 4 GiB would round to 0 in 32 bits (and the loop below never end) */
	__u32 slot = aligned <= UINT32_MAX ? (__u32)aligned : UINT32_MAX & ~7u, ralign, objects = 0;
	int order;

	a->dedicated_size = slot;
	a->dedicated_waste = st->allocs * slot - st->bytes_req;
	order = slab__calculate_order(slot, m->o.page_size, m->o.nr_cpus, m->o.slub_max_order,
				      &objects);
	a->dedicated_order = order;
	a->dedicated_objects = objects;
	if (order >= 0 && objects)
		a->dedicated_tail = st->allocs * (((__u64)m->o.page_size << order) -
						  (__u64)objects * slot) / objects;
	/* calculate_alignment() with SLAB_HWCACHE_ALIGN */
	for (ralign = m->o.cache_line_size; slot <= ralign / 2; ralign /= 2)
		;
	aligned = align_up(slot, ralign > 8 ? ralign : 8);
	a->hwalign_size = aligned <= UINT32_MAX ? (__u32)aligned : slot;
	a->hwalign_waste = st->allocs * a->hwalign_size - st->bytes_req;
}

int slab_model__site_advice(const struct slab_model *m, int site, struct slab_site_advice *a)
{
	struct slab_site_stats st;
	__u64 kcost, dcost;
	int r = slab_model__site_stats(m, site, &st);

	if (r)
		return r;
	memset(a, 0, sizeof(*a));
	a->bucket = -1;
	a->dedicated_order = -1;
	if (!(st.kinds & SLAB_SITE_KMALLOC) || (st.kinds & SLAB_SITE_CACHE) || !st.allocs)
		return 0;
	advice_kmalloc(m, &st, a);
	advice_dedicated(m, &st, a);
	kcost = a->kmalloc_waste + a->kmalloc_tail;
	dcost = a->dedicated_waste + a->dedicated_tail;
	a->advice = dcost < kcost ? SLAB_ADVICE_DEDICATED : SLAB_ADVICE_KEEP;
	a->saving = dcost < kcost ? kcost - dcost : 0;
	return 0;
}

/* ---- helpers ---- */

/* calc_slab_order() */
static int calc_slab_order(__u32 size, __u32 page_size, unsigned int min_order,
			   unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		__u64 slab_size = (__u64)page_size << order;

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return (int)order;
}

int slab__calculate_order(__u32 size, __u32 page_size, __u32 nr_cpus, __u32 max_order,
			  __u32 *objects)
{
	__u32 min_objects, max_objects, fraction;
	unsigned int min_order = 0, order;

	if (!size || !page_size)
		return -EINVAL;
	if (!max_order)
		max_order = 3;
	min_objects = 4 * ((__u32)fls32(nr_cpus > 1 ? nr_cpus : 1) + 1);
	max_objects = (__u32)(((__u64)page_size << max_order) / size);
	if (!max_objects)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	while (((__u64)page_size << min_order) < (__u64)min_objects * size)
		min_order++;	/* get_order(min_objects * size) */
	order = min_order;
	if (((__u64)page_size << min_order) / size > 32767) {	/* MAX_OBJS_PER_PAGE */
		for (order = 0; ((__u64)page_size << order) < (__u64)size * 32767; order++)
			;
		order--;
	} else {
		for (fraction = 16; fraction > 1; fraction /= 2) {
			order = (unsigned int)calc_slab_order(size, page_size, min_order, max_order,
							      fraction);
			if (order <= max_order)
				break;
		}
		if (fraction <= 1)	/* get_order(size) */
			for (order = 0; ((__u64)page_size << order) < size; order++)
				;
	}
	if (order >= SLAB_MAX_ORDER)
		return -EINVAL;
	if (objects)
		*objects = (__u32)(((__u64)page_size << order) / size);
	return (int)order;
}

/* ---- lifetime ---- */

struct slab_model *slab_model__new(const struct slab_model_opts *opts, int *err)
{
	struct slab_model *m;
	int e = -EINVAL;

	if (!opts || opts->sz < sizeof(size_t) || !opts->page_size ||
	    (opts->page_size & (opts->page_size - 1)) || opts->page_size < 512)
		goto fail;
	e = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail;
	memcpy(&m->o, opts, opts->sz < sizeof(m->o) ? opts->sz : sizeof(m->o));
	m->o.sz = sizeof(m->o);
	if (!m->o.kmalloc_min_size)
		m->o.kmalloc_min_size = 8;
	if (!m->o.kmalloc_max_cache_size)
		m->o.kmalloc_max_cache_size = 2 * m->o.page_size;
	if (!m->o.slub_max_order)
		m->o.slub_max_order = 3;
	if (!m->o.cache_line_size)
		m->o.cache_line_size = 64;
	m->page_shift = (unsigned int)fls32(m->o.page_size) - 1;
	m->page_offset = m->o.page_offset;
	m->st.page_offset = m->page_offset;
	m->free_rec = NONE32;
	m->large_cache = m->unmapped_cache = -1;
	m->obj_bits = 10;
	m->objs = calloc((size_t)1 << m->obj_bits, sizeof(*m->objs));
	if (m->objs)
		return m;
	free(m);
fail:
	if (err)
		*err = e;
	return NULL;
}

void slab_model__free(struct slab_model *m)
{
	__u32 i;

	if (!m)
		return;
	for (i = 0; i < m->nr_recs; i++)
		if (m->slabs[i].base && m->slabs[i].cap > 64)
			free(m->slabs[i].b.ext);
	free(m->slabs);
	free(m->slab_map.e);
	objs_free(m);
	free(m->caches);
	free(m->cache_map.e);
	free(m->sites);
	free(m->site_map.e);
	free(m->slot_cls);
	free(m->cpus);
	free(m);
}

size_t slab_model__mem_bytes(const struct slab_model *m)
{
	return sizeof(*m) + (sizeof(struct sm_obj) << m->obj_bits) +
	       (size_t)m->recs_cap * sizeof(struct sm_slab) + m->ext_words * sizeof(__u64) +
	       map_bytes(&m->slab_map) + (size_t)m->caches_cap * sizeof(struct sm_cache) +
	       map_bytes(&m->cache_map) + (size_t)m->sites_cap * sizeof(struct sm_site) +
	       map_bytes(&m->site_map) + m->slot_cls_len + m->nr_cpus * sizeof(struct sm_cpu);
}

static const char *const inc_names[SLAB_INC_MAX] = {
	[SLAB_INC_FREE_UNSEEN] = "free_unseen",
	[SLAB_INC_ALLOC_LIVE] = "alloc_live",
	[SLAB_INC_DUP_LARGE] = "dup_large",
	[SLAB_INC_SLAB_REUSED] = "slab_reused",
	[SLAB_INC_PAGE_EVICT] = "page_evict",
	[SLAB_INC_CACHE_MISMATCH] = "cache_mismatch",
	[SLAB_INC_MISPLACED] = "misplaced",
	[SLAB_INC_NO_CACHE] = "no_cache",
	[SLAB_INC_NO_GEOMETRY] = "no_geometry",
	[SLAB_INC_PARTIAL_PAGE_FREE] = "partial_page_free",
	[SLAB_INC_BAD_EVENT] = "bad_event",
};

const char *slab_inc_name(enum slab_inc kind)
{
	return (unsigned int)kind < SLAB_INC_MAX ? inc_names[kind] : "unknown";
}

bool slab_inc_expected(enum slab_inc kind)
{
	return kind <= SLAB_INC_PAGE_EVICT;
}

/* ---- invariants ---- */

struct check_ctx {
	const struct slab_model *m;
	char *err;
	size_t errlen;
	struct slab_cache_stats *cs;	/* recounted, per cache */
	struct slab_site_stats *ss;	/* recounted live fields, per site */
	__u32 *slab_objs;		/* objects found per record */
};

__attribute__((format(printf, 2, 3)))
static int bug(struct check_ctx *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "BUG: %s", msg);
	return -EUCLEAN;
}

static unsigned int popcount_words(const __u64 *w, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		k += (unsigned int)__builtin_popcountll(w[i]);
	return k;
}

static int check_slab(struct check_ctx *c, __u32 idx)
{
	const struct slab_model *m = c->m;
	const struct sm_slab *s = &m->slabs[idx];
	const struct sm_cache *cc;
	unsigned int nw = nwords(s->cap), i, nlive, nknown;
	const __u64 *l = live_bits_c(s), *k = known_bits_c(s);

	if (s->cache >= (__u32)m->nr_caches)
		return bug(c, "slab 0x%llx: cache %u out of range", ULL(s->base), s->cache);
	cc = &m->caches[s->cache];
	if (s->cap != cc->st.objects || s->order != cc->st.order || (s->base & cc->mask))
		return bug(c, "slab 0x%llx of %s: %u slots order %u, cache has %u order %d",
			   ULL(s->base), cc->st.name, s->cap, s->order, cc->st.objects,
			   cc->st.order);
	if (slab_find(m, s->base) != idx)
		return bug(c, "slab 0x%llx not under its base in the slab hash", ULL(s->base));
	for (i = 0; i < nw; i++) {
		__u64 beyond = (i == nw - 1 && s->cap % 64) ? ~0ULL << (s->cap % 64) : 0;

		if (l[i] & ~k[i])
			return bug(c, "slab 0x%llx: a live slot not known", ULL(s->base));
		if ((l[i] | k[i]) & beyond)
			return bug(c, "slab 0x%llx: bits beyond %u slots", ULL(s->base), s->cap);
	}
	nlive = popcount_words(l, nw);
	nknown = popcount_words(k, nw);
	if (nlive != s->live || nknown - nlive != s->nfree)
		return bug(c, "slab 0x%llx: live/free %u/%u, bits say %u/%u", ULL(s->base),
			   s->live, s->nfree, nlive, nknown - nlive);
	c->cs[s->cache].slabs++;
	c->cs[s->cache].nr[slab_state_of(s)]++;
	c->cs[s->cache].slabs_unknown += slab_unknown(s) != 0;
	c->cs[s->cache].free_slots += s->nfree;
	c->cs[s->cache].unknown_slots += slab_unknown(s);
	return 0;
}

/* No two slabs overlap: a slab's range holds no other record's base, at any order. */
static int check_overlap(struct check_ctx *c, __u32 idx)
{
	const struct slab_model *m = c->m;
	const struct sm_slab *s = &m->slabs[idx];
	__u64 end = s->base + ((__u64)m->o.page_size << s->order), b;
	unsigned int o;

	for (o = 0; o < SLAB_MAX_ORDER; o++) {
		__u64 sz = (__u64)m->o.page_size << o;
		__u32 j;

		if (!(m->orders_used & (1u << o)) || o == s->order)
			continue;
		if (o > s->order) {
			j = slab_find(m, s->base & ~(sz - 1));
			if (j != NONE32 && j != idx && m->slabs[j].order == o)
				return bug(c, "slab 0x%llx inside slab 0x%llx", ULL(s->base),
					   ULL(m->slabs[j].base));
			continue;
		}
		for (b = s->base + sz; b < end; b += sz) {
			j = slab_find(m, b);
			if (j != NONE32)
				return bug(c, "slab 0x%llx inside slab 0x%llx", ULL(b),
					   ULL(s->base));
		}
	}
	return 0;
}

static int check_object(struct check_ctx *c, size_t i)
{
	const struct slab_model *m = c->m;
	const struct sm_obj *o = &m->objs[i];
	const struct sm_cache *cc;
	__u32 alloc;

	if (obj_find(m, o->ptr) != i)
		return bug(c, "object 0x%llx not reachable from its hash slot", ULL(o->ptr));
	if (o->cache >= m->nr_caches || o->site >= m->nr_sites)
		return bug(c, "object 0x%llx: cache %u site %u out of range", ULL(o->ptr),
			   o->cache, o->site);
	cc = &m->caches[o->cache];
	alloc = o->flags & OBJ_NOSLAB ? o->slab : cc->st.size;
	if (!(o->flags & OBJ_NOSLAB)) {
		const struct sm_slab *s;
		__u64 off;

		if (o->slab >= m->nr_recs || !m->slabs[o->slab].base)
			return bug(c, "object 0x%llx: slab record %u unused", ULL(o->ptr), o->slab);
		s = &m->slabs[o->slab];
		off = o->ptr - s->base;
		if (s->cache != o->cache)
			return bug(c, "object 0x%llx of %s in a slab of %s", ULL(o->ptr),
				   cc->st.name, m->caches[s->cache].st.name);
		if (o->ptr < s->base || off >= (__u64)m->o.page_size << s->order ||
		    off < cc->obj_off || (off - cc->obj_off) % cc->st.size ||
		    (off - cc->obj_off) / cc->st.size >= s->cap)
			return bug(c, "object 0x%llx not on a slot of slab 0x%llx", ULL(o->ptr),
				   ULL(s->base));
		off = (off - cc->obj_off) / cc->st.size;
		if (!(live_bits_c(s)[off >> 6] & (1ULL << (off & 63))))
			return bug(c, "object 0x%llx: slot %llu not live", ULL(o->ptr), ULL(off));
		c->slab_objs[o->slab]++;
	}
	c->cs[o->cache].live_objs++;
	c->cs[o->cache].live_bytes_req += o->req;
	c->cs[o->cache].live_bytes_alloc += alloc;
	c->ss[o->site].live_objs++;
	c->ss[o->site].live_bytes_req += o->req;
	c->ss[o->site].live_bytes_alloc += alloc;
	return 0;
}

static int check_cache(struct check_ctx *c, int i)
{
	const struct slab_cache_stats *a = &c->m->caches[i].st, *b = &c->cs[i];
	int k;

	for (k = 0; k < SLAB_NR_STATES; k++)
		if (a->nr[k] != b->nr[k])
			return bug(c, "cache %s: %llu slabs in state %d, recounted %llu", a->name,
				   ULL(a->nr[k]), k, ULL(b->nr[k]));
	if (a->slabs != b->slabs || a->slabs_unknown != b->slabs_unknown ||
	    a->free_slots != b->free_slots || a->unknown_slots != b->unknown_slots)
		return bug(c, "cache %s: slabs/unknown slabs/free/unknown slots "
			   "%llu/%llu/%llu/%llu, recounted %llu/%llu/%llu/%llu", a->name,
			   ULL(a->slabs), ULL(a->slabs_unknown), ULL(a->free_slots),
			   ULL(a->unknown_slots), ULL(b->slabs), ULL(b->slabs_unknown),
			   ULL(b->free_slots), ULL(b->unknown_slots));
	if (a->live_objs != b->live_objs || a->live_bytes_req != b->live_bytes_req ||
	    a->live_bytes_alloc != b->live_bytes_alloc)
		return bug(c, "cache %s: live %llu objects %llu/%llu bytes, recounted "
			   "%llu %llu/%llu", a->name, ULL(a->live_objs), ULL(a->live_bytes_req),
			   ULL(a->live_bytes_alloc), ULL(b->live_objs), ULL(b->live_bytes_req),
			   ULL(b->live_bytes_alloc));
	if (a->live_objs > a->allocs || a->live_bytes_alloc < a->live_bytes_req)
		return bug(c, "cache %s: %llu live of %llu allocated, %llu bytes for %llu asked",
			   a->name, ULL(a->live_objs), ULL(a->allocs), ULL(a->live_bytes_alloc),
			   ULL(a->live_bytes_req));
	return 0;
}

static int check_counts(struct check_ctx *c)
{
	const struct slab_model *m = c->m;
	__u64 slabs = 0, by_order = 0;
	__u32 i;
	int r, k;

	for (i = 0; i < m->nr_recs; i++) {
		if (!m->slabs[i].base)
			continue;
		slabs++;
		if (c->slab_objs[i] != m->slabs[i].live)
			return bug(c, "slab 0x%llx: %u live, %u objects in the hash",
				   ULL(m->slabs[i].base), m->slabs[i].live, c->slab_objs[i]);
	}
	for (k = 0; k < SLAB_MAX_ORDER; k++)
		by_order += m->slabs_by_order[k];
	if (slabs != m->st.slabs || slabs != by_order || slabs != m->slab_map.len)
		return bug(c, "%llu slab records, counted %llu, by order %llu, in the hash %llu",
			   ULL(slabs), ULL(m->st.slabs), ULL(by_order), ULL(m->slab_map.len));
	for (k = 0; k < m->nr_caches; k++) {
		r = check_cache(c, k);
		if (r)
			return r;
	}
	for (i = 0; i < m->nr_sites; i++) {
		const struct slab_site_stats *a = &m->sites[i].st, *b = &c->ss[i];

		if (a->live_objs != b->live_objs || a->live_bytes_req != b->live_bytes_req ||
		    a->live_bytes_alloc != b->live_bytes_alloc || a->live_objs > a->allocs)
			return bug(c, "site 0x%llx: live %llu objects %llu/%llu bytes, recounted "
				   "%llu %llu/%llu", ULL(a->call_site), ULL(a->live_objs),
				   ULL(a->live_bytes_req), ULL(a->live_bytes_alloc),
				   ULL(b->live_objs), ULL(b->live_bytes_req),
				   ULL(b->live_bytes_alloc));
	}
	return 0;
}

static int check_all(struct check_ctx *c)
{
	const struct slab_model *m = c->m;
	size_t i, n = 0;
	int r;

	for (i = 0; i < m->nr_recs; i++) {
		if (!m->slabs[i].base)
			continue;
		r = check_slab(c, (__u32)i);
		if (!r)
			r = check_overlap(c, (__u32)i);
		if (r)
			return r;
	}
	for (i = 0; i < ((size_t)1 << m->obj_bits); i++) {
		if (!m->objs[i].ptr)
			continue;
		n++;
		r = check_object(c, i);
		if (r)
			return r;
	}
	if (n != m->obj_len || n != m->st.live_objects)
		return bug(c, "%zu objects in the hash, counted %zu and %llu", n, m->obj_len,
			   ULL(m->st.live_objects));
	return check_counts(c);
}

int slab_model__check(const struct slab_model *m, char *err, size_t errlen)
{
	struct check_ctx c = { .m = m, .err = err, .errlen = errlen };
	int r = -ENOMEM;

	if (err && errlen)
		err[0] = 0;
	c.cs = calloc(m->nr_caches + 1, sizeof(*c.cs));
	c.ss = calloc(m->nr_sites + 1, sizeof(*c.ss));
	c.slab_objs = calloc(m->nr_recs + 1, sizeof(*c.slab_objs));
	if (c.cs && c.ss && c.slab_objs)
		r = check_all(&c);
	free(c.cs);
	free(c.ss);
	free(c.slab_objs);
	return r;
}
