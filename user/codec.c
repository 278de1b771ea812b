// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace file codec: buffers, hash map, frame headers, definition records and
 * the column encoding of chunk events (docs/FORMAT.md, "Chunk payload").
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#include "codec.h"

__u32 kmt_crc32(const void *p, size_t len)
{
	return (__u32)crc32_z(0, p, len);
}

/* ---- byte buffer ---- */

int kmt_buf__reserve(struct kmt_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	__u8 *p;

	if (b->cap - b->len >= more)
		return 0;
	if (more > SIZE_MAX / 4 - b->len)
		return -ENOMEM;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int kmt_buf__put(struct kmt_buf *b, const void *p, size_t len)
{
	int err = kmt_buf__reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

int kmt_buf__put_uv(struct kmt_buf *b, __u64 v)
{
	int err = kmt_buf__reserve(b, KMT_VARINT_MAX);

	if (err)
		return err;
	b->len = kmt_put_uv(b->p + b->len, v) - b->p;
	return 0;
}

void kmt_buf__free(struct kmt_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- cursor ---- */

/* What absent (all-zero) columns read from, refilled when used up. */
const __u8 kmt_zeros[4096];

__u64 kmt_cur__uv_slow(struct kmt_cur *c)
{
	const __u8 *p = c->p;
	__u64 v = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (p >= c->end) {
			if (c->zero && p == c->p) {	/* an absent column: zeros for ever */
				c->p = kmt_zeros + 1;
				c->end = kmt_zeros + sizeof(kmt_zeros);
				return 0;
			}
			c->bad = true;
			c->p = c->end;
			return 0;
		}
		v |= (__u64)(*p & 0x7f) << shift;
		if (!(*p++ & 0x80)) {
			c->p = p;
			return v;
		}
	}
	c->bad = true;		/* more than 10 bytes */
	c->p = c->end;
	return 0;
}

__u8 kmt_cur__u8(struct kmt_cur *c)
{
	if (c->p >= c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

void kmt_cur__str(struct kmt_cur *c, char *dst, size_t cap)
{
	__u64 len = kmt_cur__uv(c);

	if (c->bad || len >= cap || len > (__u64)(c->end - c->p)) {
		c->bad = true;
		dst[0] = 0;
		return;
	}
	memcpy(dst, c->p, len);
	dst[len] = 0;
	c->p += len;
}

/* ---- hash map ---- */

static struct kmt_map_slot *map_find(struct kmt_map *m, __u64 key)
{
	__u32 i = kmt_map__slot(m, key);

	while (m->slots[i].gen == m->gen && m->slots[i].key != key)
		i = (i + 1) & m->mask;
	return &m->slots[i];
}

static int map_grow(struct kmt_map *m, __u32 cap)
{
	struct kmt_map old = *m;
	__u32 i;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->mask = cap - 1;
	m->gen = 1;
	m->len = 0;
	for (i = 0; old.slots && i <= old.mask; i++) {
		if (old.slots[i].gen == old.gen)
			kmt_map__put(m, old.slots[i].key, old.slots[i].val);
	}
	free(old.slots);
	return 0;
}

int kmt_map__reserve(struct kmt_map *m, __u32 more)
{
	__u64 need = ((__u64)m->len + more) * 2;
	__u64 cap = m->slots ? (__u64)m->mask + 1 : 0;

	if (need <= cap)
		return 0;
	if (!cap)
		cap = 64;
	while (cap < need)
		cap *= 2;
	if (cap > (1u << 31))
		return -ENOMEM;
	return map_grow(m, (__u32)cap);
}

int kmt_map__put(struct kmt_map *m, __u64 key, __u32 val)
{
	struct kmt_map_slot *s;
	int err = kmt_map__reserve(m, 1);

	if (err)
		return err;
	s = map_find(m, key);
	if (s->gen != m->gen) {
		s->gen = m->gen;
		s->key = key;
		m->len++;
	}
	s->val = val;
	return 0;
}

void kmt_map__clear(struct kmt_map *m)
{
	m->len = 0;
	if (!m->slots)
		return;
	if (++m->gen == 0) {
		memset(m->slots, 0, ((size_t)m->mask + 1) * sizeof(*m->slots));
		m->gen = 1;
	}
}

void kmt_map__free(struct kmt_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- frame header ---- */

void kmt_frame_hdr__pack(const struct kmt_frame_hdr *h, __u8 out[KMT_FRAME_HDR_SIZE])
{
	memset(out, 0, KMT_FRAME_HDR_SIZE);
	kmt_put_le32(out + 0, KMT_FRAME_SYNC);
	out[4] = h->type;
	out[5] = h->flags;
	kmt_put_le16(out + 6, KMT_FRAME_HDR_SIZE);
	kmt_put_le32(out + 8, h->stored_len);
	kmt_put_le32(out + 12, h->raw_len);
	kmt_put_le64(out + 16, h->seq);
	kmt_put_le32(out + 24, h->nr_events);
	kmt_put_le32(out + 28, h->payload_crc);
	kmt_put_le64(out + 32, h->t_first);
	kmt_put_le64(out + 40, h->t_last);
	kmt_put_le64(out + 48, h->lost);
	kmt_put_le32(out + 60, kmt_crc32(out, 60));
}

int kmt_frame_hdr__unpack(const __u8 in[KMT_FRAME_HDR_SIZE], struct kmt_frame_hdr *h)
{
	if (kmt_le32(in) != KMT_FRAME_SYNC || kmt_le32(in + 60) != kmt_crc32(in, 60))
		return -EBADMSG;
	h->type = in[4];
	h->flags = in[5];
	h->hdr_size = kmt_le16(in + 6);
	h->stored_len = kmt_le32(in + 8);
	h->raw_len = kmt_le32(in + 12);
	h->seq = kmt_le64(in + 16);
	h->nr_events = kmt_le32(in + 24);
	h->payload_crc = kmt_le32(in + 28);
	h->t_first = kmt_le64(in + 32);
	h->t_last = kmt_le64(in + 40);
	h->lost = kmt_le64(in + 48);
	return 0;
}

/* ---- definition records ---- */

#define DEF_BODY_MAX	(32 + KMT_MAX_STACK_DEPTH * KMT_VARINT_MAX)

static __u8 *put_str(__u8 *p, const char *s, size_t cap)
{
	size_t len = strnlen(s, cap - 1);

	p = kmt_put_uv(p, len);
	memcpy(p, s, len);
	return p + len;
}

static int put_def(struct kmt_buf *b, __u8 tag, const __u8 *body, size_t len)
{
	int err = kmt_buf__reserve(b, 1 + KMT_VARINT_MAX + len);

	if (err)
		return err;
	b->p[b->len++] = tag;
	b->len = kmt_put_uv(b->p + b->len, len) - b->p;
	memcpy(b->p + b->len, body, len);
	b->len += len;
	return 0;
}

int kmt_def__put_cache(struct kmt_buf *b, const struct kmt_cache_def *c)
{
	__u8 body[DEF_BODY_MAX], *p = body;

	p = kmt_put_uv(p, c->cache);
	p = kmt_put_uv(p, c->object_size);
	p = kmt_put_uv(p, c->size);
	p = kmt_put_uv(p, c->align);
	p = kmt_put_uv(p, c->flags);
	p = kmt_put_uv(p, kmt_zz(c->order));
	p = kmt_put_uv(p, c->objects);
	p = kmt_put_uv(p, c->has_ctor);
	p = put_str(p, c->name, sizeof(c->name));
	return put_def(b, KMT_DEF_CACHE, body, p - body);
}

int kmt_def__put_task(struct kmt_buf *b, const struct kmt_task *t)
{
	__u8 body[DEF_BODY_MAX], *p = body;

	p = kmt_put_uv(p, t->tgid);
	p = kmt_put_uv(p, t->tid);
	p = put_str(p, t->comm, sizeof(t->comm));
	return put_def(b, KMT_DEF_TASK, body, p - body);
}

int kmt_def__put_stack(struct kmt_buf *b, const struct kmt_stack *s)
{
	__u8 body[DEF_BODY_MAX], *p = body;
	__u32 i;

	if (s->nr > KMT_MAX_STACK_DEPTH)
		return -EINVAL;
	p = kmt_put_uv(p, kmt_zz(s->id));
	p = kmt_put_uv(p, s->nr);
	for (i = 0; i < s->nr; i++)
		p = kmt_put_uv(p, i ? kmt_zz(s->ips[i] - s->ips[i - 1]) : s->ips[0]);
	return put_def(b, KMT_DEF_STACK, body, p - body);
}

int kmt_def__put_sym(struct kmt_buf *b, const struct kmt_sym *s)
{
	__u8 body[DEF_BODY_MAX], *p = body;

	p = kmt_put_uv(p, s->addr);
	p = kmt_put_uv(p, s->offset);
	p = put_str(p, s->name, sizeof(s->name));
	p = put_str(p, s->module, sizeof(s->module));
	return put_def(b, KMT_DEF_SYM, body, p - body);
}

static void get_cache(struct kmt_cur *c, struct kmt_cache_def *d)
{
	memset(d, 0, sizeof(*d));
	d->cache = kmt_cur__uv(c);
	d->object_size = kmt_cur__uv(c);
	d->size = kmt_cur__uv(c);
	d->align = kmt_cur__uv(c);
	d->flags = kmt_cur__uv(c);
	d->order = kmt_unzz(kmt_cur__uv(c));
	d->objects = kmt_cur__uv(c);
	d->has_ctor = kmt_cur__uv(c);
	kmt_cur__str(c, d->name, sizeof(d->name));
}

static void get_stack(struct kmt_cur *c, struct kmt_stack *s)
{
	__u32 i;

	memset(s, 0, sizeof(*s));
	s->id = kmt_unzz(kmt_cur__uv(c));
	s->nr = kmt_cur__uv(c);
	if (s->nr > KMT_MAX_STACK_DEPTH) {
		c->bad = true;
		return;
	}
	if (s->nr)
		s->ips[0] = kmt_cur__uv(c);
	for (i = 1; i < s->nr; i++)
		s->ips[i] = s->ips[i - 1] + (__u64)kmt_unzz(kmt_cur__uv(c));
}

int kmt_def__next(struct kmt_cur *c, union kmt_def *d)
{
	struct kmt_cur body;
	__u64 len;
	__u8 tag;

	if (c->p >= c->end)
		return 0;
	tag = kmt_cur__u8(c);
	len = kmt_cur__uv(c);
	if (c->bad || !tag || len > (__u64)(c->end - c->p))
		return -EBADMSG;
	body = (struct kmt_cur){ .p = c->p, .end = c->p + len };
	c->p += len;
	switch (tag) {
	case KMT_DEF_CACHE:
		get_cache(&body, &d->cache);
		break;
	case KMT_DEF_TASK:
		memset(&d->task, 0, sizeof(d->task));
		d->task.tgid = kmt_cur__uv(&body);
		d->task.tid = kmt_cur__uv(&body);
		kmt_cur__str(&body, d->task.comm, sizeof(d->task.comm));
		break;
	case KMT_DEF_STACK:
		get_stack(&body, &d->stack);
		break;
	case KMT_DEF_SYM:
		memset(&d->sym, 0, sizeof(d->sym));
		d->sym.addr = kmt_cur__uv(&body);
		d->sym.offset = kmt_cur__uv(&body);
		kmt_cur__str(&body, d->sym.name, sizeof(d->sym.name));
		kmt_cur__str(&body, d->sym.module, sizeof(d->sym.module));
		break;
	default:
		return tag;	/* a newer record kind: skipped */
	}
	return body.bad ? -EBADMSG : tag;
}

/* ---- event columns ---- */

enum { CLS_SLAB, CLS_PFN, CLS_VMAP, CLS_PERCPU, CLS_PCPU_CHUNK, CLS_OTHER = KMT_NR_CLASSES - 1 };
enum { DICT_CALL_SITE, DICT_GFP, DICT_MISC };

#define F(f, e, p)	{ KMT_F_##f, KMT_ENC_##e, p }
#define SLAB_PTR	F(PTR, RPTR, CLS_SLAB | KMT_RPTR_SITE)
#define PFN		F(PTR, RPTR, CLS_PFN)
#define CS_DICT		F(CALL_SITE, CSITE, DICT_CALL_SITE)
#define GFP_DICT	F(GFP, DICT, DICT_GFP)
#define SITE(f)		F(f, SITE, 0)
#define ZZ(f)		F(f, ZZ, 0)
#define UV(f)		F(f, UV, 0)

/*
 * Slab events key size, size2, cache and gfp by call site (mostly the same
 * each time) and find pointers among recent ones (LIFO reuse, short lives).
 */
static const struct kmt_type_desc type_descs[KMT_EV_MAX] = {
	[KMT_EV_KMALLOC] = { 6, { CS_DICT, SITE(SIZE), SITE(SIZE2), SITE(GFP), ZZ(NODE),
				  SLAB_PTR } },
	[KMT_EV_KFREE] = { 2, { CS_DICT, SLAB_PTR } },
	[KMT_EV_CACHE_ALLOC] = { 7, { CS_DICT, SITE(SIZE), SITE(SIZE2), SITE(AUX), SITE(GFP),
				      ZZ(NODE), SLAB_PTR } },
	[KMT_EV_CACHE_FREE] = { 3, { CS_DICT, SITE(AUX), SLAB_PTR } },
	[KMT_EV_PAGE_ALLOC] = { 4, { PFN, GFP_DICT, ZZ(ORDER), ZZ(MT) } },
	[KMT_EV_PAGE_FREE] = { 2, { PFN, ZZ(ORDER) } },
	[KMT_EV_PAGE_FREE_BATCHED] = { 1, { PFN } },
	[KMT_EV_PAGE_ALLOC_ZONE_LOCKED] = { 4, { PFN, ZZ(ORDER), ZZ(MT), ZZ(ARG) } },
	[KMT_EV_PAGE_PCPU_DRAIN] = { 3, { PFN, ZZ(ORDER), ZZ(MT) } },
	[KMT_EV_PAGE_ALLOC_EXTFRAG] = { 6, { PFN, UV(AUX), ZZ(ORDER), ZZ(MT), ZZ(ARG),
					     ZZ(ARG2) } },
	[KMT_EV_VMAP_ALLOC] = { 6, { F(PTR, PTR, CLS_VMAP), UV(SIZE), UV(SIZE2),
				     F(AUX, DICT, DICT_MISC), F(AUX2, DICT, DICT_MISC), ZZ(ARG) } },
	[KMT_EV_VMAP_FREE] = { 3, { F(PTR, PTR, CLS_VMAP), UV(SIZE), UV(SIZE2) } },
	[KMT_EV_VMAP_PURGE] = { 3, { F(PTR, PTR, CLS_VMAP), UV(SIZE), F(AUX, DPTR, 0) } },
	[KMT_EV_PERCPU_ALLOC] = { 9, { CS_DICT, SITE(SIZE), SITE(SIZE2), SITE(GFP),
				       F(AUX, DICT, DICT_MISC), UV(AUX2), ZZ(ARG), ZZ(ARG2),
				       F(PTR, PTR, CLS_PERCPU) } },
	[KMT_EV_PERCPU_FREE] = { 3, { F(AUX, DICT, DICT_MISC), UV(AUX2),
				      F(PTR, PTR, CLS_PERCPU) } },
	[KMT_EV_TLB_FLUSH] = { 2, { UV(SIZE), ZZ(ARG) } },
	[KMT_EV_PERCPU_CHUNK_CREATE] = { 1, { F(PTR, PTR, CLS_PCPU_CHUNK) } },
	[KMT_EV_PERCPU_CHUNK_DESTROY] = { 1, { F(PTR, PTR, CLS_PCPU_CHUNK) } },
};

/* Types this table does not know keep every field. */
static const struct kmt_type_desc generic_desc = {
	KMT_F_NR, { F(PTR, PTR, CLS_OTHER), CS_DICT, UV(SIZE), F(SIZE2, DSIZE, 0), UV(AUX),
		    UV(AUX2), GFP_DICT, ZZ(NODE), ZZ(ORDER), ZZ(MT), ZZ(ARG), ZZ(ARG2) }
};

/* The types of the table, for encoders and decoders specialized at compile time. */
#define BUILTIN_TYPES(X)							\
	X(KMT_EV_KMALLOC) X(KMT_EV_KFREE) X(KMT_EV_CACHE_ALLOC) X(KMT_EV_CACHE_FREE)	\
	X(KMT_EV_PAGE_ALLOC) X(KMT_EV_PAGE_FREE) X(KMT_EV_PAGE_FREE_BATCHED)		\
	X(KMT_EV_PAGE_ALLOC_ZONE_LOCKED) X(KMT_EV_PAGE_PCPU_DRAIN)			\
	X(KMT_EV_PAGE_ALLOC_EXTFRAG) X(KMT_EV_VMAP_ALLOC) X(KMT_EV_VMAP_FREE)		\
	X(KMT_EV_VMAP_PURGE) X(KMT_EV_PERCPU_ALLOC) X(KMT_EV_PERCPU_FREE)		\
	X(KMT_EV_TLB_FLUSH) X(KMT_EV_PERCPU_CHUNK_CREATE) X(KMT_EV_PERCPU_CHUNK_DESTROY)

#define INLINE	static inline __attribute__((always_inline))

const struct kmt_type_desc *kmt_type_desc(unsigned int type)
{
	if (type < KMT_EV_MAX && type_descs[type].nr)
		return &type_descs[type];
	return &generic_desc;	/* also a type added to kmmtrace.h but not here yet */
}

/* 32-bit fields travel sign- (s32) or zero- (u32) extended to 64 bits. */
INLINE __u64 field_get(const struct kmt_event *e, unsigned int f)
{
	switch (f) {
	case KMT_F_PTR:		return e->ptr;
	case KMT_F_CALL_SITE:	return e->call_site;
	case KMT_F_SIZE:	return e->size;
	case KMT_F_SIZE2:	return e->size2;
	case KMT_F_AUX:		return e->aux;
	case KMT_F_AUX2:	return e->aux2;
	case KMT_F_GFP:		return e->gfp;
	case KMT_F_NODE:	return (__s64)e->node;
	case KMT_F_ORDER:	return (__s64)e->order;
	case KMT_F_MT:		return (__s64)e->mt;
	case KMT_F_ARG:		return (__s64)e->arg;
	default:		return (__s64)e->arg2;
	}
}

INLINE void field_set(struct kmt_event *e, unsigned int f, __u64 v)
{
	switch (f) {
	case KMT_F_PTR:		e->ptr = v; break;
	case KMT_F_CALL_SITE:	e->call_site = v; break;
	case KMT_F_SIZE:	e->size = v; break;
	case KMT_F_SIZE2:	e->size2 = v; break;
	case KMT_F_AUX:		e->aux = v; break;
	case KMT_F_AUX2:	e->aux2 = v; break;
	case KMT_F_GFP:		e->gfp = v; break;
	case KMT_F_NODE:	e->node = v; break;
	case KMT_F_ORDER:	e->order = v; break;
	case KMT_F_MT:		e->mt = v; break;
	case KMT_F_ARG:		e->arg = v; break;
	default:		e->arg2 = v; break;
	}
}

#define RPTR_ESC	(KMT_RING - 1)	/* RPTR code: a full zigzag delta follows */

INLINE void ring_push(struct kmt_delta_state *st, unsigned int cls, __u64 v)
{
	st->ring[cls][++st->head[cls] & (KMT_RING - 1)] = v;
}

INLINE __u64 ring_at(const struct kmt_delta_state *st, unsigned int cls, unsigned int i)
{
	return st->ring[cls][(st->head[cls] - i) & (KMT_RING - 1)];
}

/* Makes idx the current call site; a site seen first starts with every field 0. */
static int site_select(struct kmt_sites *s, __u64 idx)
{
	__u32 cap = s->cap ? s->cap : 64;
	struct kmt_site *n;

	s->cur = &s->scratch;
	if (likely(idx < s->len)) {
		s->cur = &s->s[idx];
		return 0;
	}
	if (idx >= UINT32_MAX / 2)
		return -EBADMSG;
	while (cap <= idx)
		cap *= 2;
	if (cap > s->cap) {
		n = realloc(s->s, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->s = n;
		s->cap = cap;
	}
	memset(&s->s[s->len], 0, (idx + 1 - s->len) * sizeof(*n));
	s->len = idx + 1;
	s->cur = &s->s[idx];
	return 0;
}

static void sites_reset(struct kmt_sites *s)
{
	s->len = 0;
	s->cur = &s->scratch;
}

/* ---- encoder ---- */

#define ENC_EVENT_MAX	(2 * KMT_VARINT_MAX)	/* bytes one event adds to one column */
#define ENC_BATCH	64			/* events between checks for room */
#define RIDX_SLOTS	((size_t)KMT_NR_CLASSES << KMT_RIDX_BITS)

INLINE void enc_put(struct kmt_chunk_enc *enc, int col, __u64 v)
{
	struct kmt_buf *b = &enc->col[col];

	b->len = kmt_put_uv(b->p + b->len, v) - b->p;
	enc->col_any[col] |= v != 0;
}

/* The ts delta's low byte (nearly random) and the rest go to separate columns. */
INLINE void enc_ts(struct kmt_chunk_enc *enc, __u64 z)
{
	struct kmt_buf *b = &enc->col[KMT_COL_TS];

	b->p[b->len++] = (__u8)z;
	enc->col_any[KMT_COL_TS] |= (__u8)z != 0;
	enc_put(enc, KMT_COL_TS_HI, z >> 8);
}

/* Room for ENC_BATCH more events, so that encoding one cannot fail half way. */
static int enc_reserve(struct kmt_chunk_enc *enc)
{
	struct kmt_sites *s = &enc->sites;
	__u32 len = s->len;
	int i, err;

	for (i = 0; i < KMT_COL_NR; i++) {
		err = kmt_buf__reserve(&enc->col[i], ENC_BATCH * ENC_EVENT_MAX);
		if (err)
			return err;
	}
	for (i = 0; i < KMT_NR_DICTS; i++) {
		err = kmt_map__reserve(&enc->dict[i], 2 * ENC_BATCH);
		if (err)
			return err;
	}
	if (!enc->ridx) {
		enc->ridx = calloc(RIDX_SLOTS, sizeof(*enc->ridx));
		if (!enc->ridx)
			return -ENOMEM;
		enc->gen = 1;
	}
	err = site_select(s, enc->dict[DICT_CALL_SITE].len + 2 * ENC_BATCH);
	s->cur = &s->scratch;	/* set again by the next event's call site */
	s->len = len;		/* keep the room, not the sites */
	if (!err)
		enc->room = ENC_BATCH;
	return err;
}

/*
 * Puts v's index in dictionary k, a new index followed by v. pred 0: plain
 * index; otherwise 0 stands for index pred - 1 and others are index + 1
 * (pred ~0u: no prediction). Returns the index.
 */
INLINE __u32 enc_dict(struct kmt_chunk_enc *enc, int col, unsigned int k, __u64 v,
		      __u32 pred)
{
	struct kmt_map *dict = &enc->dict[k];
	__u32 *idx = kmt_map__get(dict, v), bias = !!pred, n;

	if (likely(idx)) {
		if (*idx + 1 == pred)
			enc_put(enc, col, 0);
		else
			enc_put(enc, col, *idx + bias);
		return *idx;
	}
	n = dict->len;
	enc_put(enc, col, n + bias);
	enc_put(enc, col, v);
	kmt_map__put(dict, v, n);	/* reserved: cannot fail */
	return n;
}

/* A call site, predicted from the one that followed this CPU's previous call site. */
INLINE void enc_csite(struct kmt_chunk_enc *enc, int col, unsigned int k, __u64 v)
{
	__u32 *last = &enc->st.last_site[enc->st.slot], pred, idx;

	pred = *last ? enc->sites.s[*last - 1].next : 0;
	idx = enc_dict(enc, col, k, v, pred ? pred : ~0u);
	site_select(&enc->sites, idx);		/* reserved: cannot fail */
	if (*last)
		enc->sites.s[*last - 1].next = idx + 1;
	*last = idx + 1;
}

/* The value a missed RPTR is a delta against: the class's last, or the call site's. */
INLINE __u64 *rptr_base(struct kmt_delta_state *st, struct kmt_sites *sites,
			unsigned int param)
{
	unsigned int cls = param & KMT_RPTR_CLASS;

	if (param & KMT_RPTR_SITE)
		return &sites->cur->v[KMT_F_PTR];
	return &st->ring[cls][st->head[cls] & (KMT_RING - 1)];
}

INLINE struct kmt_ridx_slot *ridx_slot(struct kmt_chunk_enc *enc, unsigned int cls, __u64 v)
{
	__u32 h = (__u32)((v * 0x9E3779B97F4A7C15ull) >> (64 - KMT_RIDX_BITS));

	return &enc->ridx[(cls << KMT_RIDX_BITS) | h];
}

/* RPTR: a position among the class's last RPTR_ESC values, or a delta vs a base. */
INLINE void enc_rptr(struct kmt_chunk_enc *enc, int col, unsigned int param, __u64 v)
{
	unsigned int cls = param & KMT_RPTR_CLASS;
	struct kmt_ridx_slot *slot = ridx_slot(enc, cls, v);
	__u64 *base = rptr_base(&enc->st, &enc->sites, param);
	__u64 z = kmt_zz((__s64)(v - *base));
	__u32 head = enc->st.head[cls];

	if (slot->gen == enc->gen && slot->v == v && head - slot->head < RPTR_ESC) {
		enc_put(enc, col, head - slot->head);
	} else if (z < ~0ull - KMT_RING) {
		enc_put(enc, col, KMT_RING + z);
	} else {
		enc_put(enc, col, RPTR_ESC);	/* a delta too large to add KMT_RING to */
		enc_put(enc, col, z);
	}
	if (param & KMT_RPTR_SITE)
		*base = v;
	ring_push(&enc->st, cls, v);
	*slot = (struct kmt_ridx_slot){ .v = v, .head = head + 1, .gen = enc->gen };
}

INLINE void enc_field(struct kmt_chunk_enc *enc, const struct kmt_event *e,
		      const struct kmt_field_enc *f)
{
	int col = KMT_COL_FIELD + f->field;
	__u64 v = field_get(e, f->field), *site;

	switch (f->enc) {
	case KMT_ENC_ZZ:
		v = kmt_zz((__s64)v);
		break;
	case KMT_ENC_PTR:
		v = kmt_zz((__s64)(v - ring_at(&enc->st, f->param, 0)));
		ring_push(&enc->st, f->param, field_get(e, f->field));
		break;
	case KMT_ENC_RPTR:
		enc_rptr(enc, col, f->param, v);
		return;
	case KMT_ENC_DICT:
		enc_dict(enc, col, f->param, v, 0);
		return;
	case KMT_ENC_CSITE:
		enc_csite(enc, col, f->param, v);
		return;
	case KMT_ENC_SITE:
		site = &enc->sites.cur->v[f->field];
		v = kmt_zz((__s64)(v - *site));
		*site = field_get(e, f->field);
		break;
	case KMT_ENC_DSIZE:
		v = kmt_zz((__s64)(v - e->size));
		break;
	case KMT_ENC_DPTR:
		v = kmt_zz((__s64)(v - e->ptr));
		break;
	}
	enc_put(enc, col, v);
}

/* With d a constant, the loop unrolls and each field's encoding is known. */
INLINE void enc_fields(struct kmt_chunk_enc *enc, const struct kmt_event *e,
		       const struct kmt_type_desc *d)
{
	int i;

#pragma GCC unroll 12
	for (i = 0; i < d->nr; i++)
		enc_field(enc, e, &d->f[i]);
}

int kmt_enc__add(struct kmt_chunk_enc *enc, const struct kmt_event *e)
{
	struct kmt_delta_state *st = &enc->st;
	__u32 slot = e->cpu % KMT_CPU_SLOTS;
	int err;

	if (e->type >= KMT_NR_TYPES)
		return -EINVAL;
	if (unlikely(!enc->room)) {
		err = enc_reserve(enc);
		if (err)
			return err;
	}
	enc->room--;
	enc->used[e->type] = 1;
	st->slot = slot;
	enc_put(enc, KMT_COL_TYPE, e->type);
	enc_ts(enc, kmt_zz((__s64)(e->ts - st->prev_ts)));
	enc_put(enc, KMT_COL_CPU, e->cpu);
	enc_put(enc, KMT_COL_TID, kmt_zz((__s32)(e->tid - st->last_tid[slot])));
	enc_put(enc, KMT_COL_TGID, kmt_zz((__s32)(e->tid - e->tgid - st->last_tgd[slot])));
	enc_dict(enc, KMT_COL_CTX, KMT_DICT_CTX, e->ctx, 0);
	enc_put(enc, KMT_COL_FLAGS, e->flags);
	enc_put(enc, KMT_COL_STACK, kmt_zz((__s32)((__u32)e->stack_id + 1)));
	st->prev_ts = e->ts;
	st->last_tid[slot] = e->tid;
	st->last_tgd[slot] = e->tid - e->tgid;
	switch (e->type) {
#define X(t) case t: enc_fields(enc, e, &type_descs[t]); break;
	BUILTIN_TYPES(X)
#undef X
	default:
		enc_fields(enc, e, kmt_type_desc(e->type));
	}
	if (!enc->nr_events++ || e->ts < enc->t_min)
		enc->t_min = e->ts;
	if (e->ts > enc->t_max)
		enc->t_max = e->ts;
	return 0;
}

/* nr_events, type descriptors and column directory of the EVENTS section */
#define EV_HDR_MAX	(3 * KMT_VARINT_MAX + KMT_NR_TYPES * (2 + 1 + 3 * KMT_F_NR) + \
			 KMT_COL_NR * 2 * KMT_VARINT_MAX)

static bool enc_col_kept(const struct kmt_chunk_enc *enc, int i)
{
	return enc->col_any[i] || (i == KMT_COL_TYPE && enc->nr_events);
}

static size_t enc_header(const struct kmt_chunk_enc *enc, __u8 *hdr, size_t *data_len)
{
	__u8 *p = kmt_put_uv(hdr, enc->nr_events);
	const struct kmt_type_desc *d;
	unsigned int t, i, nr = 0;

	for (t = 0; t < KMT_NR_TYPES; t++)
		nr += enc->used[t];
	p = kmt_put_uv(p, nr);
	for (t = 0; t < KMT_NR_TYPES; t++) {
		if (!enc->used[t])
			continue;
		d = kmt_type_desc(t);
		p = kmt_put_uv(p, t);
		*p++ = d->nr;
		for (i = 0; i < d->nr; i++) {
			*p++ = d->f[i].field;
			*p++ = d->f[i].enc;
			*p++ = d->f[i].param;
		}
	}
	for (i = nr = 0; i < KMT_COL_NR; i++)
		nr += enc_col_kept(enc, i);
	p = kmt_put_uv(p, nr);
	*data_len = 0;
	for (i = 0; i < KMT_COL_NR; i++) {
		if (!enc_col_kept(enc, i))
			continue;
		p = kmt_put_uv(p, i);
		p = kmt_put_uv(p, enc->col[i].len);
		*data_len += enc->col[i].len;
	}
	return p - hdr;
}

int kmt_enc__finish(struct kmt_chunk_enc *enc, struct kmt_buf *b, size_t *cuts, int *ncuts)
{
	__u8 hdr[EV_HDR_MAX];
	size_t hlen, dlen;
	int i, err;

	hlen = enc_header(enc, hdr, &dlen);
	err = kmt_buf__reserve(b, 1 + KMT_VARINT_MAX + hlen + dlen);
	if (err)
		return err;
	b->p[b->len++] = KMT_SEC_EVENTS;
	b->len = kmt_put_uv(b->p + b->len, hlen + dlen) - b->p;
	kmt_buf__put(b, hdr, hlen);
	*ncuts = 0;
	for (i = 0; i < KMT_COL_NR; i++) {
		if (!enc_col_kept(enc, i))
			continue;
		cuts[(*ncuts)++] = b->len;
		kmt_buf__put(b, enc->col[i].p, enc->col[i].len);
	}
	return 0;
}

size_t kmt_enc__size(const struct kmt_chunk_enc *enc)
{
	size_t n = 0;
	int i;

	for (i = 0; i < KMT_COL_NR; i++)
		n += enc->col[i].len;
	return n;
}

void kmt_enc__reset(struct kmt_chunk_enc *enc)
{
	int i;

	for (i = 0; i < KMT_COL_NR; i++)
		enc->col[i].len = 0;
	for (i = 0; i < KMT_NR_DICTS; i++)
		kmt_map__clear(&enc->dict[i]);
	memset(enc->col_any, 0, sizeof(enc->col_any));
	memset(&enc->st, 0, sizeof(enc->st));
	memset(enc->used, 0, sizeof(enc->used));
	sites_reset(&enc->sites);
	if (enc->ridx && !++enc->gen) {		/* wrapped: forget every slot */
		memset(enc->ridx, 0, RIDX_SLOTS * sizeof(*enc->ridx));
		enc->gen = 1;
	}
	enc->room = 0;
	enc->nr_events = 0;
	enc->t_min = enc->t_max = 0;
}

void kmt_enc__free(struct kmt_chunk_enc *enc)
{
	int i;

	if (!enc)
		return;
	for (i = 0; i < KMT_COL_NR; i++)
		kmt_buf__free(&enc->col[i]);
	for (i = 0; i < KMT_NR_DICTS; i++)
		kmt_map__free(&enc->dict[i]);
	free(enc->sites.s);
	enc->sites = (struct kmt_sites){ 0 };
	free(enc->ridx);
	enc->ridx = NULL;
}

/* ---- decoder ---- */

INLINE __u64 dec_uv(struct kmt_chunk_dec *d, int col)
{
	struct kmt_cur *c = &d->col[col];
	__u64 v;

	if (likely(c->p < c->end && *c->p < 0x80))
		return *c->p++;
	v = kmt_cur__uv_slow(c);
	d->bad |= c->bad;
	return v;
}

INLINE __u64 dec_ts(struct kmt_chunk_dec *d)
{
	struct kmt_cur *c = &d->col[KMT_COL_TS];
	__u64 lo = 0;

	if (likely(c->p < c->end))
		lo = *c->p++;
	else
		lo = kmt_cur__uv_slow(c);	/* past the end: bad, or a zero column's refill */
	d->bad |= c->bad;
	return lo | dec_uv(d, KMT_COL_TS_HI) << 8;
}

static __u64 dict_new(struct kmt_chunk_dec *d, struct kmt_dict *dc, __u64 idx, int col)
{
	__u32 cap = dc->cap ? dc->cap * 2 : 64;
	__u64 *v, val;

	if (idx != dc->len || dc->len == UINT32_MAX / 2) {
		d->bad = true;
		return 0;
	}
	val = dec_uv(d, col);
	if (dc->len == dc->cap) {
		v = realloc(dc->v, cap * sizeof(*v));
		if (!v) {
			d->bad = true;
			return 0;
		}
		dc->v = v;
		dc->cap = cap;
	}
	dc->v[dc->len++] = val;
	return val;
}

/* Reads a dictionary index (and a new value); *idx gets the index. */
INLINE __u64 dec_dict(struct kmt_chunk_dec *d, int col, unsigned int k, __u64 *idx)
{
	struct kmt_dict *dc = &d->dict[k];

	*idx = dec_uv(d, col);
	return likely(*idx < dc->len) ? dc->v[*idx] : dict_new(d, dc, *idx, col);
}

INLINE __u64 dec_csite(struct kmt_chunk_dec *d, int col, unsigned int k)
{
	__u32 *last = &d->st.last_site[d->st.slot], pred;
	struct kmt_dict *dc = &d->dict[k];
	__u64 idx = dec_uv(d, col), v;

	pred = *last ? d->sites.s[*last - 1].next : 0;
	if (unlikely(!idx && !pred)) {
		d->sites.cur = &d->sites.scratch;
		d->bad = true;
		return 0;
	}
	idx = idx ? idx - 1 : pred - 1;
	if (likely(idx < d->sites.len && idx < dc->len)) {
		v = dc->v[idx];
		d->sites.cur = &d->sites.s[idx];
	} else {
		v = idx < dc->len ? dc->v[idx] : dict_new(d, dc, idx, col);
		if (d->bad || site_select(&d->sites, idx)) {
			d->sites.cur = &d->sites.scratch;
			d->bad = true;
			return 0;
		}
	}
	if (*last)
		d->sites.s[*last - 1].next = idx + 1;
	*last = idx + 1;
	return v;
}

INLINE __u64 dec_rptr(struct kmt_chunk_dec *d, int col, unsigned int param)
{
	__u64 code = dec_uv(d, col), *base = rptr_base(&d->st, &d->sites, param), v;
	unsigned int cls = param & KMT_RPTR_CLASS;

	if (code < RPTR_ESC)
		v = ring_at(&d->st, cls, code);
	else if (code == RPTR_ESC)
		v = *base + (__u64)kmt_unzz(dec_uv(d, col));
	else
		v = *base + (__u64)kmt_unzz(code - KMT_RING);
	if (param & KMT_RPTR_SITE)
		*base = v;
	ring_push(&d->st, cls, v);
	return v;
}

INLINE void dec_field(struct kmt_chunk_dec *d, struct kmt_event *e,
		      const struct kmt_field_enc *f)
{
	int col = KMT_COL_FIELD + f->field;
	__u64 v, idx, *site;

	switch (f->enc) {
	case KMT_ENC_UV:
		v = dec_uv(d, col);
		break;
	case KMT_ENC_ZZ:
		v = kmt_unzz(dec_uv(d, col));
		break;
	case KMT_ENC_PTR:
		v = ring_at(&d->st, f->param, 0) + (__u64)kmt_unzz(dec_uv(d, col));
		ring_push(&d->st, f->param, v);
		break;
	case KMT_ENC_RPTR:
		v = dec_rptr(d, col, f->param);
		break;
	case KMT_ENC_DICT:
		v = dec_dict(d, col, f->param, &idx);
		break;
	case KMT_ENC_CSITE:
		v = dec_csite(d, col, f->param);
		break;
	case KMT_ENC_SITE:
		site = &d->sites.cur->v[f->field];
		v = *site += (__u64)kmt_unzz(dec_uv(d, col));
		break;
	case KMT_ENC_DSIZE:
		v = e->size + (__u64)kmt_unzz(dec_uv(d, col));
		break;
	default:	/* KMT_ENC_DPTR */
		v = e->ptr + (__u64)kmt_unzz(dec_uv(d, col));
		break;
	}
	field_set(e, f->field, v);
}

static int dec_done(struct kmt_chunk_dec *d)
{
	int i;

	for (i = 0; i < KMT_COL_NR; i++) {
		if (!d->col[i].zero && d->col[i].p != d->col[i].end)
			return -EBADMSG;
	}
	return 0;
}

/* The fields a type may leave unset (memset here becomes a slow rep stos) */
INLINE void event_clear(struct kmt_event *e)
{
	e->ptr = e->call_site = e->size = e->size2 = e->aux = e->aux2 = 0;
	e->gfp = e->pad = 0;
	e->node = e->order = e->mt = e->arg = e->arg2 = 0;
}

INLINE void dec_fields(struct kmt_chunk_dec *d, struct kmt_event *e,
		       const struct kmt_type_desc *desc)
{
	int i;

#pragma GCC unroll 12
	for (i = 0; i < desc->nr; i++)
		dec_field(d, e, &desc->f[i]);
}

/* A type this build encodes otherwise, or does not know */
static __attribute__((noinline)) void dec_fields_any(struct kmt_chunk_dec *d,
		     struct kmt_event *e,
		     const struct kmt_type_desc *desc)
{
	int i;

	for (i = 0; i < desc->nr; i++)
		dec_field(d, e, &desc->f[i]);
}

int kmt_dec__next(struct kmt_chunk_dec *d, struct kmt_event *e)
{
	struct kmt_delta_state *st = &d->st;
	__u64 type, idx;
	__u32 slot;

	if (!d->left)
		return dec_done(d);
	type = dec_uv(d, KMT_COL_TYPE);
	if (type >= KMT_NR_TYPES || !d->known[type])
		return -EBADMSG;
	event_clear(e);
	e->type = type;
	e->ts = st->prev_ts += (__u64)kmt_unzz(dec_ts(d));
	e->cpu = dec_uv(d, KMT_COL_CPU);
	st->slot = slot = e->cpu % KMT_CPU_SLOTS;
	e->tid = st->last_tid[slot] += (__u32)kmt_unzz(dec_uv(d, KMT_COL_TID));
	st->last_tgd[slot] += (__u32)kmt_unzz(dec_uv(d, KMT_COL_TGID));
	e->tgid = e->tid - st->last_tgd[slot];
	e->ctx = dec_dict(d, KMT_COL_CTX, KMT_DICT_CTX, &idx);
	e->flags = dec_uv(d, KMT_COL_FLAGS);
	e->stack_id = (__s32)((__u32)kmt_unzz(dec_uv(d, KMT_COL_STACK)) - 1);
	switch (d->fast[type] ? type : KMT_EV_NONE) {
#define X(t) case t: dec_fields(d, e, &type_descs[t]); break;
	BUILTIN_TYPES(X)
#undef X
	default:
		dec_fields_any(d, e, &d->desc[type]);
	}
	if (unlikely(d->bad))
		return -EBADMSG;
	d->left--;
	return 1;
}

/* seen: fields already in the descriptor; bit KMT_F_NR: the call site is known (CSITE) */
static bool field_enc_ok(const struct kmt_field_enc *f, unsigned int seen)
{
	if (f->field >= KMT_F_NR || (seen & 1u << f->field))
		return false;
	switch (f->enc) {
	case KMT_ENC_UV:
	case KMT_ENC_ZZ:
		return true;
	case KMT_ENC_PTR:
		return f->param < KMT_NR_CLASSES;
	case KMT_ENC_RPTR:
		if (f->param & KMT_RPTR_SITE && !(seen & 1u << KMT_F_NR))
			return false;
		return f->param <= (KMT_RPTR_SITE | KMT_RPTR_CLASS);
	case KMT_ENC_DICT:
		return f->param < KMT_NR_DICTS;
	case KMT_ENC_CSITE:
		return f->param < KMT_NR_DICTS && f->field == KMT_F_CALL_SITE;
	case KMT_ENC_SITE:
		return seen & 1u << KMT_F_NR;
	case KMT_ENC_DSIZE:
		return seen & 1u << KMT_F_SIZE;
	case KMT_ENC_DPTR:
		return seen & 1u << KMT_F_PTR;
	default:
		return false;
	}
}

static int dec_desc(struct kmt_type_desc *desc, struct kmt_cur *c)
{
	struct kmt_field_enc *f;
	unsigned int j, seen = 0;

	memset(desc, 0, sizeof(*desc));
	desc->nr = kmt_cur__u8(c);
	if (desc->nr > KMT_F_NR)
		return -EBADMSG;
	for (j = 0; j < desc->nr; j++) {
		f = &desc->f[j];
		f->field = kmt_cur__u8(c);
		f->enc = kmt_cur__u8(c);
		f->param = kmt_cur__u8(c);
		if (!field_enc_ok(f, seen))
			return -EBADMSG;
		seen |= 1u << f->field;
		if (f->enc == KMT_ENC_CSITE)
			seen |= 1u << KMT_F_NR;
	}
	return c->bad ? -EBADMSG : 0;
}

static int dec_descs(struct kmt_chunk_dec *d, struct kmt_cur *c)
{
	__u64 nr = kmt_cur__uv(c), t, i;

	memset(d->known, 0, sizeof(d->known));
	memset(d->fast, 0, sizeof(d->fast));
	if (nr > KMT_NR_TYPES)
		return -EBADMSG;
	for (i = 0; i < nr; i++) {
		t = kmt_cur__uv(c);
		if (t >= KMT_NR_TYPES || d->known[t] || dec_desc(&d->desc[t], c))
			return -EBADMSG;
		d->known[t] = 1;
		d->fast[t] = t < KMT_EV_MAX && type_descs[t].nr &&
			     !memcmp(&d->desc[t], &type_descs[t], sizeof(type_descs[t]));
	}
	return c->bad ? -EBADMSG : 0;
}

#define MAX_COLS	64

static int dec_cols(struct kmt_chunk_dec *d, struct kmt_cur *c)
{
	__u64 nr = kmt_cur__uv(c), id[MAX_COLS], len[MAX_COLS], i;
	const __u8 *p;

	if (nr > MAX_COLS)
		return -EBADMSG;
	for (i = 0; i < nr; i++) {
		id[i] = kmt_cur__uv(c);
		len[i] = kmt_cur__uv(c);
	}
	if (c->bad)
		return -EBADMSG;
	for (i = 0; i < KMT_COL_NR; i++)
		d->col[i] = (struct kmt_cur){ .zero = true };
	for (i = 0, p = c->p; i < nr; i++) {
		if (len[i] > (__u64)(c->end - p))
			return -EBADMSG;
		if (id[i] < KMT_COL_NR) {
			if (!d->col[id[i]].zero)
				return -EBADMSG;
			d->col[id[i]] = (struct kmt_cur){ .p = p, .end = p + len[i] };
		}
		p += len[i];
	}
	return p == c->end ? 0 : -EBADMSG;
}

int kmt_dec__init(struct kmt_chunk_dec *d, const __u8 *p, size_t len, __u64 nr_events)
{
	struct kmt_cur c = { .p = p, .end = p + len };
	int i;

	d->left = 0;
	d->bad = false;
	if (kmt_cur__uv(&c) != nr_events || dec_descs(d, &c) || dec_cols(d, &c))
		return -EBADMSG;
	if (nr_events && d->col[KMT_COL_TYPE].zero)
		return -EBADMSG;
	memset(&d->st, 0, sizeof(d->st));
	for (i = 0; i < KMT_NR_DICTS; i++)
		d->dict[i].len = 0;
	sites_reset(&d->sites);
	d->left = nr_events;
	return 0;
}

void kmt_dec__free(struct kmt_chunk_dec *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < KMT_NR_DICTS; i++) {
		free(d->dict[i].v);
		d->dict[i] = (struct kmt_dict){ 0 };
	}
	free(d->sites.s);
	d->sites = (struct kmt_sites){ 0 };
}
