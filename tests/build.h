/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Hand-built traces for the unit tests (tests/unit/build.c): events with the
 * fields a recording fills for every event, the META items several tests
 * share, writing and reading a trace file, and the format's raw bytes for
 * damaged files. Nothing here asserts: a failure comes back as the return
 * value, with a line on stdout saying why, for the test to assert on.
 * tb_ stands for test build.
 */
#ifndef __KMT_TEST_BUILD_H
#define __KMT_TEST_BUILD_H

#include <stddef.h>
#include <linux/types.h>
#include "event.h"
#include "trace.h"

/* ---- events ---- */

/* An event of type at ts by task tid (its tgid too), on no node and without a stack. */
struct kmt_event tb_event(unsigned int type, __u64 ts, __u32 tid);
/* e with the slab fields: the object, the call site, bytes requested and allocated. */
struct kmt_event tb_slab(struct kmt_event e, __u64 ptr, __u64 cs, __u64 req, __u64 alloc);
/* e with the page fields: the pfn, the order and the migratetype. */
struct kmt_event tb_page(struct kmt_event e, __u64 pfn, int order, int mt);

/* ---- writing a trace ---- */

/* The migratetypes of x86-64 without CMA, as KMT_META_MIGRATETYPES holds them. */
extern const char tb_migratetypes[];

/* Creates path with trace_writer_opts' chunk_events and zlevel (0: defaults); NULL on failure. */
struct trace_writer *tb_writer(const char *path, __u32 chunk_events, int zlevel);
int tb_meta_u32(struct trace_writer *w, __u16 key, __u32 v);
/* A KMT_META_SNAPSHOT item: the phase, name with its NUL, then text without. */
int tb_meta_snapshot(struct trace_writer *w, __u8 phase, const char *name, const char *text);
/*
 * What replay needs of the machine: one zone, node 0's "Normal" over pfns
 * [0, pages), all free at the start; 11 page orders, pageblock order 9,
 * 4 KiB pages and tb_migratetypes.
 */
int tb_meta_one_zone(struct trace_writer *w, __u64 pages);
/* Adds the n events at ev, then finishes and frees w: 0, or the first error. */
int tb_finish(struct trace_writer *w, const struct kmt_event *ev, size_t n);

/* ---- reading it ---- */

/* Opens path; NULL, with the reader's reason on stdout, on failure. */
struct trace_reader *tb_reader(const char *path);
/* 0 when the reader refuses path with err want and a message containing what. */
int tb_refused(const char *path, int want, const char *what);

/* ---- files ---- */

/* name in this test's temporary directory (four buffers, used in turn). */
const char *tb_path(const char *name);
/* Writes len bytes at p to path (0600, truncated): 0 or a negative errno. */
int tb_write_file(const char *path, const void *p, size_t len);
/* The file at path, malloc'ed with a byte to spare, *len its size; NULL and 0 on failure. */
void *tb_read_file(const char *path, size_t *len);

/* ---- the format's bytes, restated from docs/FORMAT.md rather than taken from the code ---- */

#define TB_FILE_HDR	64		/* file header bytes */
#define TB_FRAME_HDR	64		/* frame header bytes */
#define TB_FRAME_SYNC	0x1A464B89u

/* The low n bytes of v at p, little-endian. */
void tb_le(__u8 *p, __u64 v, int n);
void tb_file_hdr(__u8 *h, __u16 major, __u16 minor);
/* A frame header for stored bytes of payload (their CRC when payload is given). */
void tb_frame_hdr(__u8 *h, __u8 type, __u8 flags, __u32 stored, __u32 raw, __u32 nr,
		  const void *payload);

#endif /* __KMT_TEST_BUILD_H */
