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

__u64 kmt_cur__uv_slow(struct kmt_cur *c)
{
	const __u8 *p = c->p;
	__u64 v = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (p >= c->end) {
			if (!c->zero)
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
enum { DICT_CALL_SITE, DICT_GFP, DICT_CACHE, DICT_MISC };

#define F(f, e, p)	{ KMT_F_##f, KMT_ENC_##e, p }
#define SLAB_PTR	F(PTR, PTR, CLS_SLAB)
#define PFN		F(PTR, PTR, CLS_PFN)
#define CALL_SITE	F(CALL_SITE, DICT, DICT_CALL_SITE)
#define GFP		F(GFP, DICT, DICT_GFP)
#define ZZ(f)		F(f, ZZ, 0)
#define UV(f)		F(f, UV, 0)

static const struct kmt_type_desc type_descs[KMT_EV_MAX] = {
	[KMT_EV_KMALLOC] = { 6, { SLAB_PTR, CALL_SITE, UV(SIZE), F(SIZE2, DSIZE, 0), GFP,
				  ZZ(NODE) } },
	[KMT_EV_KFREE] = { 2, { SLAB_PTR, CALL_SITE } },
	[KMT_EV_CACHE_ALLOC] = { 7, { SLAB_PTR, CALL_SITE, UV(SIZE), F(SIZE2, DSIZE, 0),
				      F(AUX, DICT, DICT_CACHE), GFP, ZZ(NODE) } },
	[KMT_EV_CACHE_FREE] = { 3, { SLAB_PTR, CALL_SITE, F(AUX, DICT, DICT_CACHE) } },
	[KMT_EV_PAGE_ALLOC] = { 4, { PFN, GFP, ZZ(ORDER), ZZ(MT) } },
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
	[KMT_EV_PERCPU_ALLOC] = { 9, { F(PTR, PTR, CLS_PERCPU), CALL_SITE, UV(SIZE),
				       F(SIZE2, DSIZE, 0), F(AUX, DICT, DICT_MISC), UV(AUX2), GFP,
				       ZZ(ARG), ZZ(ARG2) } },
	[KMT_EV_PERCPU_FREE] = { 3, { F(PTR, PTR, CLS_PERCPU), F(AUX, DICT, DICT_MISC),
				      UV(AUX2) } },
	[KMT_EV_TLB_FLUSH] = { 2, { UV(SIZE), ZZ(ARG) } },
	[KMT_EV_PERCPU_CHUNK_CREATE] = { 1, { F(PTR, PTR, CLS_PCPU_CHUNK) } },
	[KMT_EV_PERCPU_CHUNK_DESTROY] = { 1, { F(PTR, PTR, CLS_PCPU_CHUNK) } },
};

/* Types this table does not know keep every field. */
static const struct kmt_type_desc generic_desc = {
	KMT_F_NR, { F(PTR, PTR, CLS_OTHER), CALL_SITE, UV(SIZE), F(SIZE2, DSIZE, 0), UV(AUX),
		    UV(AUX2), GFP, ZZ(NODE), ZZ(ORDER), ZZ(MT), ZZ(ARG), ZZ(ARG2) }
};

const struct kmt_type_desc *kmt_type_desc(unsigned int type)
{
	if (type > KMT_EV_NONE && type < KMT_EV_MAX)
		return &type_descs[type];
	return &generic_desc;
}

/* 32-bit fields travel sign- (s32) or zero- (u32) extended to 64 bits. */
static inline __u64 field_get(const struct kmt_event *e, unsigned int f)
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

static inline void field_set(struct kmt_event *e, unsigned int f, __u64 v)
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

/* ---- encoder ---- */

#define ENC_EVENT_MAX	(2 * KMT_VARINT_MAX)	/* bytes one event adds to one column */

static inline void enc_put(struct kmt_chunk_enc *enc, int col, __u64 v)
{
	struct kmt_buf *b = &enc->col[col];

	b->len = kmt_put_uv(b->p + b->len, v) - b->p;
	enc->col_any[col] |= v != 0;
}

static int enc_reserve(struct kmt_chunk_enc *enc)
{
	int i, err;

	for (i = 0; i < KMT_COL_NR; i++) {
		if (unlikely(enc->col[i].cap - enc->col[i].len < ENC_EVENT_MAX)) {
			err = kmt_buf__reserve(&enc->col[i], ENC_EVENT_MAX);
			if (err)
				return err;
		}
	}
	for (i = 0; i <= DICT_MISC; i++) {
		err = kmt_map__reserve(&enc->dict[i], 2);
		if (err)
			return err;
	}
	return 0;
}

static inline void enc_field(struct kmt_chunk_enc *enc, const struct kmt_event *e,
			     const struct kmt_field_enc *f)
{
	int col = KMT_COL_FIELD + f->field;
	__u64 v = field_get(e, f->field), base;
	struct kmt_map *dict;
	__u32 *idx;

	switch (f->enc) {
	case KMT_ENC_ZZ:
		v = kmt_zz((__s64)v);
		break;
	case KMT_ENC_PTR:
		base = enc->st.ptr_base[f->param];
		enc->st.ptr_base[f->param] = v;
		v = kmt_zz((__s64)(v - base));
		break;
	case KMT_ENC_DICT:
		dict = &enc->dict[f->param];
		idx = kmt_map__get(dict, v);
		if (likely(idx)) {
			v = *idx;
			break;
		}
		enc_put(enc, col, dict->len);	/* a new index, then the value */
		kmt_map__put(dict, v, dict->len);	/* reserved: cannot fail */
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

int kmt_enc__add(struct kmt_chunk_enc *enc, const struct kmt_event *e)
{
	struct kmt_delta_state *st = &enc->st;
	const struct kmt_type_desc *d;
	__u32 slot = e->cpu % KMT_CPU_SLOTS;
	int i, err;

	if (e->type >= KMT_NR_TYPES)
		return -EINVAL;
	err = enc_reserve(enc);
	if (err)
		return err;
	d = kmt_type_desc(e->type);
	enc->used[e->type] = 1;
	enc_put(enc, KMT_COL_TYPE, e->type);
	enc_put(enc, KMT_COL_TS, kmt_zz((__s64)(e->ts - st->prev_ts)));
	enc_put(enc, KMT_COL_CPU, e->cpu);
	enc_put(enc, KMT_COL_TID, kmt_zz((__s32)(e->tid - st->last_tid[slot])));
	enc_put(enc, KMT_COL_TGID, kmt_zz((__s32)(e->tid - e->tgid)));
	enc_put(enc, KMT_COL_CTX, e->ctx ^ st->last_ctx[slot]);
	enc_put(enc, KMT_COL_FLAGS, e->flags);
	enc_put(enc, KMT_COL_STACK, kmt_zz((__s32)((__u32)e->stack_id + 1)));
	st->prev_ts = e->ts;
	st->last_tid[slot] = e->tid;
	st->last_ctx[slot] = e->ctx;
	for (i = 0; i < d->nr; i++)
		enc_field(enc, e, &d->f[i]);
	if (!enc->nr_events++ || e->ts < enc->t_min)
		enc->t_min = e->ts;
	if (e->ts > enc->t_max)
		enc->t_max = e->ts;
	return 0;
}

/* nr_events, type descriptors and column directory of the EVENTS section */
#define EV_HDR_MAX	(3 * KMT_VARINT_MAX + KMT_NR_TYPES * (2 + 1 + 3 * KMT_F_NR) + \
			 KMT_COL_NR * 2 * KMT_VARINT_MAX)

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
		nr += enc->col_any[i] || (i == KMT_COL_TYPE && enc->nr_events);
	p = kmt_put_uv(p, nr);
	*data_len = 0;
	for (i = 0; i < KMT_COL_NR; i++) {
		if (!enc->col_any[i] && !(i == KMT_COL_TYPE && enc->nr_events))
			continue;
		p = kmt_put_uv(p, i);
		p = kmt_put_uv(p, enc->col[i].len);
		*data_len += enc->col[i].len;
	}
	return p - hdr;
}

int kmt_enc__finish(struct kmt_chunk_enc *enc, struct kmt_buf *b)
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
	for (i = 0; i < KMT_COL_NR; i++) {
		if (enc->col_any[i] || (i == KMT_COL_TYPE && enc->nr_events))
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
}

/* ---- decoder ---- */

static inline __u64 dec_uv(struct kmt_chunk_dec *d, int col)
{
	struct kmt_cur *c = &d->col[col];
	__u64 v;

	if (likely(c->p < c->end && *c->p < 0x80))
		return *c->p++;
	v = kmt_cur__uv_slow(c);
	d->bad |= c->bad;
	return v;
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

static inline void dec_field(struct kmt_chunk_dec *d, struct kmt_event *e,
			     const struct kmt_field_enc *f)
{
	int col = KMT_COL_FIELD + f->field;
	__u64 v = dec_uv(d, col);
	struct kmt_dict *dc;

	switch (f->enc) {
	case KMT_ENC_ZZ:
		v = kmt_unzz(v);
		break;
	case KMT_ENC_PTR:
		v = d->st.ptr_base[f->param] += (__u64)kmt_unzz(v);
		break;
	case KMT_ENC_DICT:
		dc = &d->dict[f->param];
		v = likely(v < dc->len) ? dc->v[v] : dict_new(d, dc, v, col);
		break;
	case KMT_ENC_DSIZE:
		v = e->size + (__u64)kmt_unzz(v);
		break;
	case KMT_ENC_DPTR:
		v = e->ptr + (__u64)kmt_unzz(v);
		break;
	}
	field_set(e, f->field, v);
}

static int dec_done(struct kmt_chunk_dec *d)
{
	int i;

	for (i = 0; i < KMT_COL_NR; i++) {
		if (d->col[i].p != d->col[i].end)
			return -EBADMSG;
	}
	return 0;
}

int kmt_dec__next(struct kmt_chunk_dec *d, struct kmt_event *e)
{
	struct kmt_delta_state *st = &d->st;
	const struct kmt_type_desc *desc;
	__u64 type;
	__u32 slot;
	int i;

	if (!d->left)
		return dec_done(d);
	type = dec_uv(d, KMT_COL_TYPE);
	if (type >= KMT_NR_TYPES || !d->known[type])
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts = st->prev_ts += (__u64)kmt_unzz(dec_uv(d, KMT_COL_TS));
	e->cpu = dec_uv(d, KMT_COL_CPU);
	slot = e->cpu % KMT_CPU_SLOTS;
	e->tid = st->last_tid[slot] += (__u32)kmt_unzz(dec_uv(d, KMT_COL_TID));
	e->tgid = e->tid - (__u32)kmt_unzz(dec_uv(d, KMT_COL_TGID));
	e->ctx = st->last_ctx[slot] ^= (__u32)dec_uv(d, KMT_COL_CTX);
	e->flags = dec_uv(d, KMT_COL_FLAGS);
	e->stack_id = (__s32)((__u32)kmt_unzz(dec_uv(d, KMT_COL_STACK)) - 1);
	desc = &d->desc[type];
	for (i = 0; i < desc->nr; i++)
		dec_field(d, e, &desc->f[i]);
	if (unlikely(d->bad))
		return -EBADMSG;
	d->left--;
	return 1;
}

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
	case KMT_ENC_DICT:
		return f->param < KMT_NR_DICTS;
	case KMT_ENC_DSIZE:
		return seen & 1u << KMT_F_SIZE;
	case KMT_ENC_DPTR:
		return seen & 1u << KMT_F_PTR;
	default:
		return false;
	}
}

static int dec_descs(struct kmt_chunk_dec *d, struct kmt_cur *c)
{
	__u64 nr = kmt_cur__uv(c), t, i, j;
	struct kmt_type_desc *desc;
	unsigned int seen;

	memset(d->known, 0, sizeof(d->known));
	if (nr > KMT_NR_TYPES)
		return -EBADMSG;
	for (i = 0; i < nr; i++) {
		t = kmt_cur__uv(c);
		if (t >= KMT_NR_TYPES || d->known[t])
			return -EBADMSG;
		desc = &d->desc[t];
		desc->nr = kmt_cur__u8(c);
		if (desc->nr > KMT_F_NR)
			return -EBADMSG;
		for (j = 0, seen = 0; j < desc->nr; j++) {
			desc->f[j].field = kmt_cur__u8(c);
			desc->f[j].enc = kmt_cur__u8(c);
			desc->f[j].param = kmt_cur__u8(c);
			if (!field_enc_ok(&desc->f[j], seen))
				return -EBADMSG;
			seen |= 1u << desc->f[j].field;
		}
		d->known[t] = 1;
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
}
