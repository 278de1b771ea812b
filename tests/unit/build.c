// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hand-built traces for the unit tests: see tests/build.h. No tests here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "../build.h"
#include "../test.h"
#include "sysinfo.h"

/* ---- events ---- */

struct kmt_event tb_event(unsigned int type, __u64 ts, __u32 tid)
{
	struct kmt_event e = { .ts = ts, .type = type, .tgid = tid, .tid = tid, .node = -1,
			       .stack_id = -1 };

	return e;
}

struct kmt_event tb_slab(struct kmt_event e, __u64 ptr, __u64 cs, __u64 req, __u64 alloc)
{
	e.ptr = ptr;
	e.call_site = cs;
	e.size = req;
	e.size2 = alloc;
	return e;
}

struct kmt_event tb_page(struct kmt_event e, __u64 pfn, int order, int mt)
{
	e.ptr = pfn;
	e.order = order;
	e.mt = mt;
	return e;
}

/* ---- writing a trace ---- */

const char tb_migratetypes[] = "Unmovable\nMovable\nReclaimable\nHighAtomic\nIsolate";

struct trace_writer *tb_writer(const char *path, __u32 chunk_events, int zlevel)
{
	struct trace_writer_opts o = {
		.sz = sizeof(o), .chunk_events = chunk_events, .zlevel = zlevel,
	};
	struct trace_writer *w;
	int err = 0;

	w = trace_writer__open(path, &o, &err);
	if (!w)
		printf("    failed to open writer %s: %s\n", path, strerror(-err));
	return w;
}

int tb_meta_u32(struct trace_writer *w, __u16 key, __u32 v)
{
	return trace_writer__meta_add(w, key, &v, sizeof(v));
}

int tb_meta_snapshot(struct trace_writer *w, __u8 phase, const char *name, const char *text)
{
	size_t nl = strlen(name) + 1, tl = strlen(text);
	char *buf = malloc(1 + nl + tl);
	int err;

	if (!buf)
		return -ENOMEM;
	buf[0] = phase;
	memcpy(buf + 1, name, nl);
	memcpy(buf + 1 + nl, text, tl);
	err = trace_writer__meta_add(w, KMT_META_SNAPSHOT, buf, 1 + nl + tl);
	free(buf);
	return err;
}

int tb_meta_one_zone(struct trace_writer *w, __u64 pages)
{
	struct kmt_zone_info z = { .node = 0, .name = "Normal", .start_pfn = 0, .spanned = pages,
				   .present = pages, .managed = pages };
	struct freemap fm = {};
	void *fmbuf = NULL;
	size_t fmlen = 0;
	int err;

	err = trace_writer__meta_add(w, KMT_META_ZONES, &z, sizeof(z));
	err = err ? err : tb_meta_u32(w, KMT_META_NR_PAGE_ORDERS, 11);
	err = err ? err : tb_meta_u32(w, KMT_META_PAGEBLOCK_ORDER, 9);
	err = err ? err : tb_meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	err = err ? err : trace_writer__meta_add(w, KMT_META_MIGRATETYPES, tb_migratetypes,
						 strlen(tb_migratetypes));
	err = err ? err : freemap__add(&fm, 0, pages);
	err = err ? err : freemap__encode(&fm, KMT_PHASE_START, &fmbuf, &fmlen);
	err = err ? err : trace_writer__meta_add(w, KMT_META_FREEMAP, fmbuf, fmlen);
	free(fmbuf);
	freemap__free(&fm);
	return err;
}

int tb_finish(struct trace_writer *w, const struct kmt_event *ev, size_t n)
{
	int err = 0, e;

	for (size_t i = 0; i < n; i++) {
		e = trace_writer__add_event(w, &ev[i]);
		err = err ? err : e;
	}
	e = trace_writer__finish(w);
	trace_writer__free(w);
	return err ? err : e;
}

/* ---- reading it ---- */

struct trace_reader *tb_reader(const char *path)
{
	struct trace_reader *r;
	char msg[256];
	int err = 0;

	r = trace_reader__open(path, &err, msg, sizeof(msg));
	if (!r)
		printf("    failed to open reader %s: %d %s\n", path, err, msg);
	return r;
}

int tb_refused(const char *path, int want, const char *what)
{
	struct trace_reader *r;
	char msg[256] = "x";
	int err = 0;

	r = trace_reader__open(path, &err, msg, sizeof(msg));
	if (r || err != want || !strstr(msg, what)) {
		printf("    %s: reader %p err %d msg \"%s\"\n", path, (void *)r, err, msg);
		trace_reader__free(r);
		return 1;
	}
	return 0;
}

/* ---- files ---- */

const char *tb_path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", kmt_test__tmpdir(), name);
	return buf[i];
}

int tb_write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = len ? write(fd, p, len) : 0;
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

void *tb_read_file(const char *path, size_t *len)
{
	struct stat st;
	void *p = NULL;
	int fd = open(path, O_RDONLY);

	if (fd >= 0 && !fstat(fd, &st) && (p = malloc(st.st_size + 1)) &&
	    read(fd, p, st.st_size) != st.st_size) {
		free(p);
		p = NULL;
	}
	if (fd >= 0)
		close(fd);
	*len = p ? (size_t)st.st_size : 0;
	return p;
}

/* ---- the format's bytes ---- */

void tb_le(__u8 *p, __u64 v, int n)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

void tb_file_hdr(__u8 *h, __u16 major, __u16 minor)
{
	memset(h, 0, TB_FILE_HDR);
	memcpy(h, "KMMTRACE", 8);
	tb_le(h + 8, major, 2);
	tb_le(h + 10, minor, 2);
	tb_le(h + 12, TB_FILE_HDR, 4);
}

void tb_frame_hdr(__u8 *h, __u8 type, __u8 flags, __u32 stored, __u32 raw, __u32 nr,
		  const void *payload)
{
	memset(h, 0, TB_FRAME_HDR);
	tb_le(h, TB_FRAME_SYNC, 4);
	h[4] = type;
	h[5] = flags;
	tb_le(h + 6, TB_FRAME_HDR, 2);
	tb_le(h + 8, stored, 4);
	tb_le(h + 12, raw, 4);
	tb_le(h + 24, nr, 4);
	tb_le(h + 28, payload ? crc32(0, payload, stored) : 0, 4);
	tb_le(h + 60, crc32(0, h, 60), 4);
}
