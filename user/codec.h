/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Trace file codec (internal to trace_writer.c and trace_reader.c): varints,
 * zigzag, little-endian helpers, a growable byte buffer, a u64 -> u32 hash map,
 * the column encoder/decoder of chunk events and the definition records.
 * The byte layout is described in docs/FORMAT.md.
 */
#ifndef __KMT_CODEC_H
#define __KMT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include "event.h"

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

/* ---- varints, zigzag, little endian ---- */

#define KMT_VARINT_MAX	10

static inline __u64 kmt_zz(__s64 v)
{
	return ((__u64)v << 1) ^ (__u64)(v >> 63);
}

static inline __s64 kmt_unzz(__u64 v)
{
	return (__s64)((v >> 1) ^ -(v & 1));
}

/* Writes v as a LEB128 varint at p (room for KMT_VARINT_MAX bytes); returns the new end. */
static inline __u8 *kmt_put_uv(__u8 *p, __u64 v)
{
	while (v >= 0x80) {
		*p++ = (__u8)v | 0x80;
		v >>= 7;
	}
	*p++ = (__u8)v;
	return p;
}

static inline void kmt_put_le16(__u8 *p, __u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void kmt_put_le32(__u8 *p, __u32 v)
{
	kmt_put_le16(p, v);
	kmt_put_le16(p + 2, v >> 16);
}

static inline void kmt_put_le64(__u8 *p, __u64 v)
{
	kmt_put_le32(p, v);
	kmt_put_le32(p + 4, v >> 32);
}

static inline __u16 kmt_le16(const __u8 *p)
{
	return p[0] | (__u16)p[1] << 8;
}

static inline __u32 kmt_le32(const __u8 *p)
{
	return kmt_le16(p) | (__u32)kmt_le16(p + 2) << 16;
}

static inline __u64 kmt_le64(const __u8 *p)
{
	return kmt_le32(p) | (__u64)kmt_le32(p + 4) << 32;
}

/* zlib crc32 over any length */
__u32 kmt_crc32(const void *p, size_t len);

/* ---- byte buffer ---- */

struct kmt_buf {
	__u8 *p;
	size_t len;
	size_t cap;
};

int kmt_buf__reserve(struct kmt_buf *b, size_t more);	/* 0 or -ENOMEM */
int kmt_buf__put(struct kmt_buf *b, const void *p, size_t len);
int kmt_buf__put_uv(struct kmt_buf *b, __u64 v);
void kmt_buf__free(struct kmt_buf *b);

/* ---- bounded cursor over read-only bytes ---- */

struct kmt_cur {
	const __u8 *p;
	const __u8 *end;
	bool bad;		/* sticky: a read ran past the end or a varint was too long */
	bool zero;		/* reads past the end yield 0: an all-zero column left out */
};

extern const __u8 kmt_zeros[4096];

__u64 kmt_cur__uv_slow(struct kmt_cur *c);

static inline __u64 kmt_cur__uv(struct kmt_cur *c)
{
	const __u8 *p = c->p;

	if (likely(p < c->end && *p < 0x80)) {
		c->p = p + 1;
		return *p;
	}
	return kmt_cur__uv_slow(c);
}

__u8 kmt_cur__u8(struct kmt_cur *c);
/* Copies a varint-length string of at most cap - 1 bytes into dst, NUL-terminated. */
void kmt_cur__str(struct kmt_cur *c, char *dst, size_t cap);

/* ---- u64 -> u32 hash map (open addressing, O(1) clear) ---- */

struct kmt_map_slot {
	__u64 key;
	__u32 val;
	__u32 gen;		/* slot used when gen == map gen */
};

struct kmt_map {
	struct kmt_map_slot *slots;
	__u32 mask;		/* capacity - 1, capacity a power of two */
	__u32 len;
	__u32 gen;
};

static inline __u32 kmt_map__slot(const struct kmt_map *m, __u64 key)
{
	return (__u32)((key * 0x9E3779B97F4A7C15ull) >> 32) & m->mask;
}

/* Returns the value's address, or NULL when absent. */
static inline __u32 *kmt_map__get(const struct kmt_map *m, __u64 key)
{
	__u32 i;

	if (!m->slots)
		return NULL;
	for (i = kmt_map__slot(m, key); m->slots[i].gen == m->gen; i = (i + 1) & m->mask) {
		if (m->slots[i].key == key)
			return &m->slots[i].val;
	}
	return NULL;
}

int kmt_map__put(struct kmt_map *m, __u64 key, __u32 val);	/* insert or replace */
int kmt_map__reserve(struct kmt_map *m, __u32 more);	/* then `more` puts cannot fail */
void kmt_map__clear(struct kmt_map *m);
void kmt_map__free(struct kmt_map *m);

/* ---- file and frame headers ---- */

#define KMT_FILE_HDR_SIZE	64
#define KMT_FILE_HDR_MAX	(1u << 20)
#define KMT_FRAME_SYNC		0x1A464B89u	/* bytes 89 4B 46 1A: "\x89KF\x1a" */
#define KMT_FRAME_HDR_SIZE	64
#define KMT_FRAME_HDR_MAX	4096
#define KMT_FRAME_MAX		(256u << 20)	/* cap on stored and raw payload lengths */

enum kmt_frame_type {
	KMT_FRAME_META = 1,
	KMT_FRAME_CHUNK = 2,
	KMT_FRAME_END = 3,
};

#define KMT_FRAME_F_DEFLATE	0x01	/* payload is a raw DEFLATE stream (RFC 1951) */

struct kmt_frame_hdr {
	__u8 type;
	__u8 flags;
	__u16 hdr_size;
	__u32 stored_len;
	__u32 raw_len;
	__u64 seq;
	__u32 nr_events;
	__u32 payload_crc;
	__u64 t_first;
	__u64 t_last;
	__u64 lost;
};

void kmt_frame_hdr__pack(const struct kmt_frame_hdr *h, __u8 out[KMT_FRAME_HDR_SIZE]);
/* 0, or -EBADMSG when the sync word or the header CRC does not match */
int kmt_frame_hdr__unpack(const __u8 in[KMT_FRAME_HDR_SIZE], struct kmt_frame_hdr *h);

/* ---- chunk payload ---- */

enum kmt_section {
	KMT_SEC_DEFS = 1,
	KMT_SEC_EVENTS = 2,
};

enum kmt_def_tag {
	KMT_DEF_CACHE = 1,
	KMT_DEF_TASK = 2,
	KMT_DEF_STACK = 3,
	KMT_DEF_SYM = 4,
};

int kmt_def__put_cache(struct kmt_buf *b, const struct kmt_cache_def *c);
int kmt_def__put_task(struct kmt_buf *b, const struct kmt_task *t);
int kmt_def__put_stack(struct kmt_buf *b, const struct kmt_stack *s);
int kmt_def__put_sym(struct kmt_buf *b, const struct kmt_sym *s);

union kmt_def {
	struct kmt_cache_def cache;
	struct kmt_task task;
	struct kmt_stack stack;
	struct kmt_sym sym;
};

/*
 * Decodes the next definition record of a DEFS section into *d.
 * Returns its tag (unknown tags are returned too, with *d untouched),
 * 0 at the end of the section, -EBADMSG on a malformed record.
 */
int kmt_def__next(struct kmt_cur *c, union kmt_def *d);

/* Event fields stored per type; columns are KMT_COL_FIELD + field. */
enum kmt_field {
	KMT_F_PTR,
	KMT_F_CALL_SITE,
	KMT_F_SIZE,
	KMT_F_SIZE2,
	KMT_F_AUX,
	KMT_F_AUX2,
	KMT_F_GFP,
	KMT_F_NODE,
	KMT_F_ORDER,
	KMT_F_MT,
	KMT_F_ARG,
	KMT_F_ARG2,
	KMT_F_NR,
};

enum kmt_col {
	KMT_COL_TYPE,
	KMT_COL_TS,		/* low byte of the zigzag ts delta, one raw byte per event */
	KMT_COL_TS_HI,		/* the rest of it (>> 8), varint */
	KMT_COL_CPU,
	KMT_COL_TID,
	KMT_COL_TGID,
	KMT_COL_CTX,
	KMT_COL_FLAGS,
	KMT_COL_STACK,
	KMT_COL_FIELD,
	KMT_COL_NR = KMT_COL_FIELD + KMT_F_NR,
};

enum kmt_enc {
	KMT_ENC_UV = 1,		/* varint */
	KMT_ENC_ZZ = 2,		/* zigzag varint */
	KMT_ENC_PTR = 3,	/* zigzag delta vs the last value of address class param */
	KMT_ENC_DICT = 4,	/* index in dictionary param; a new index, then the value */
	KMT_ENC_DSIZE = 5,	/* zigzag delta vs this event's size */
	KMT_ENC_DPTR = 6,	/* zigzag delta vs this event's ptr */
	KMT_ENC_RPTR = 7,	/* position among the last values of class param, or */
				/* KMT_RING + zigzag delta vs a base (see FORMAT.md) */
	KMT_ENC_SITE = 8,	/* zigzag delta vs this field's last value at this call site */
	KMT_ENC_CSITE = 9,	/* call site: 0 when it is the one that followed the previous */
				/* call site on this CPU last time, else 1 + DICT code */
	KMT_ENC_MAX,
};

#define KMT_NR_TYPES	256	/* event types a chunk can hold */
#define KMT_NR_CLASSES	16
#define KMT_NR_DICTS	8
#define KMT_DICT_CTX	7	/* the dictionary of the ctx column */
#define KMT_RING	256
#define KMT_RPTR_CLASS	0x0f	/* RPTR param: the address class */
#define KMT_RPTR_SITE	0x10	/* RPTR param: misses are deltas vs this call site's last ptr */
#define KMT_CPU_SLOTS	1024	/* per-CPU delta state, indexed by cpu % KMT_CPU_SLOTS */

struct kmt_field_enc {
	__u8 field;
	__u8 enc;
	__u8 param;
};

struct kmt_type_desc {
	__u8 nr;
	struct kmt_field_enc f[KMT_F_NR];
};

/* The writer's encoding of each type's fields (the table in event.h). */
const struct kmt_type_desc *kmt_type_desc(unsigned int type);

struct kmt_delta_state {
	__u64 prev_ts;
	__u64 ring[KMT_NR_CLASSES][KMT_RING];	/* recent values per address class */
	__u32 head[KMT_NR_CLASSES];		/* pushes; ring[c][head % KMT_RING]: last */
	__u32 last_tid[KMT_CPU_SLOTS];
	__u32 last_tgd[KMT_CPU_SLOTS];	/* tid - tgid */
	__u32 last_site[KMT_CPU_SLOTS];	/* 1 + index of the CPU's last call site, 0: none */
	__u32 slot;			/* this event's CPU slot */
};

/* Last value of each field at one call site (by index in the call-site dictionary). */
struct kmt_site {
	__u64 v[KMT_F_NR];
	__u32 next;		/* 1 + index of the call site that followed it last, 0: none */
};

struct kmt_sites {
	struct kmt_site *s;
	__u32 len;
	__u32 cap;
	struct kmt_site *cur;	/* this event's call site (scratch when none or bad) */
	struct kmt_site scratch;
};

/* Encoder only: where each value was last pushed on its class's ring, if still there. */
#define KMT_RIDX_BITS	11

struct kmt_ridx_slot {
	__u64 v;
	__u32 head;		/* the ring's head right after v was pushed */
	__u32 gen;		/* valid when equal to the encoder's gen (one per chunk) */
};

struct kmt_chunk_enc {
	struct kmt_buf col[KMT_COL_NR];
	struct kmt_ridx_slot *ridx;	/* KMT_NR_CLASSES << KMT_RIDX_BITS */
	__u32 gen;
	__u8 col_any[KMT_COL_NR];	/* OR of the column's bytes: 0 if all zero */
	struct kmt_map dict[KMT_NR_DICTS];
	struct kmt_delta_state st;
	struct kmt_sites sites;
	__u8 used[KMT_NR_TYPES];
	__u32 nr_events;
	__u32 room;		/* events that can be added before checking for room again */
	__u64 t_min;
	__u64 t_max;
};

/* 0, -EINVAL for a type >= KMT_NR_TYPES, -ENOMEM */
int kmt_enc__add(struct kmt_chunk_enc *enc, const struct kmt_event *e);

#define KMT_ENC_CUTS	(KMT_COL_NR + 1)

/*
 * Appends the EVENTS section to b; cuts[] gets the offsets in b where its
 * columns start (*ncuts of them, at most KMT_ENC_CUTS): good deflate block
 * boundaries, as each column has its own statistics.
 */
int kmt_enc__finish(struct kmt_chunk_enc *enc, struct kmt_buf *b, size_t *cuts, int *ncuts);
size_t kmt_enc__size(const struct kmt_chunk_enc *enc);	/* column bytes so far */
void kmt_enc__reset(struct kmt_chunk_enc *enc);
void kmt_enc__free(struct kmt_chunk_enc *enc);

struct kmt_dict {
	__u64 *v;
	__u32 len;
	__u32 cap;
};

struct kmt_chunk_dec {
	struct kmt_cur col[KMT_COL_NR];
	struct kmt_type_desc desc[KMT_NR_TYPES];
	__u8 known[KMT_NR_TYPES];
	__u8 fast[KMT_NR_TYPES];	/* desc is this build's: a decoder specialized for it */
	struct kmt_dict dict[KMT_NR_DICTS];
	struct kmt_delta_state st;
	struct kmt_sites sites;
	__u64 left;		/* events still to decode */
	bool bad;
};

/* Parses an EVENTS section body. 0 or -EBADMSG (-ENOMEM). */
int kmt_dec__init(struct kmt_chunk_dec *dec, const __u8 *p, size_t len, __u64 nr_events);
/* 1: *e filled, 0: no more events (all columns consumed), -EBADMSG */
int kmt_dec__next(struct kmt_chunk_dec *dec, struct kmt_event *e);
void kmt_dec__free(struct kmt_chunk_dec *dec);

#endif /* __KMT_CODEC_H */
