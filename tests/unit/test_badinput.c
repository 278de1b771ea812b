// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bad input, as a user meets it: an empty file, a file that is no trace, a
 * trace of a newer format version, a file cut short, a chunk of length 0,
 * lengths larger than the file. Each gives a clear message from the reader
 * and from the commands, no crash, and no allocation beyond what the file's
 * size implies. Then the binary inputs the fuzz harnesses (tests/fuzz) found,
 * built in code: a timestamp far ahead of the others with interval sampling,
 * META values no kernel has, extreme event orders and sizes, a free-page run
 * near pfn 2^64, slab objects at address 0.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include "../build.h"
#include "../test.h"
#include "lint.h"
#include "replay.h"
#include "report.h"
#include "slab.h"
#include "sysinfo.h"
#include "trace.h"
#include "tracemeta.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* Runs `kmmtrace ARGS` on path; its stdout and stderr into out, its exit status returned. */
static int run_kmt(const char *args, const char *path, char *out, size_t len)
{
	char cmd[2048];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s '%s' 2>&1", kmt_test__binary(), args, path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < len && fgets(out + n, len - n, p))
		n += strlen(out + n);
	out[n] = 0;
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Heap in use: what a reader holds after reading is bounded by the file, not its claims. */
static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* A small good trace: META, `chunks` chunks of `per` events, END. offs[i]: frame i's start. */
static int small_trace(const char *path, int chunks, int per, __u64 *offs, int *nframes)
{
	struct trace_writer *w = tb_writer(path, per, -1);
	int err = 0, nf = 0;

	if (!w)
		return -1;
	trace_writer__meta_add(w, KMT_META_HOSTNAME, "box", 3);
	trace_writer__meta_flush(w);
	offs[nf++] = TB_FILE_HDR;
	for (int c = 0; c < chunks; c++) {
		offs[nf++] = trace_writer__bytes(w);
		for (int i = 0; i < per; i++) {
			struct kmt_event e = { .ts = 1000 + c * 1000 + i, .type = KMT_EV_KMALLOC,
					       .ptr = 0xffff888100000000ull + i * 64,
					       .call_site = 0xffffffff81000000ull, .size = 60,
					       .size2 = 64, .gfp = 0xcc0, .stack_id = -1 };

			err = trace_writer__add_event(w, &e);
		}
	}
	offs[nf++] = trace_writer__bytes(w);	/* the END frame */
	err = err ? err : trace_writer__finish(w);
	offs[nf] = trace_writer__bytes(w);
	trace_writer__free(w);
	*nframes = nf;
	return err;
}

static __u64 count_events(struct trace_reader *r)
{
	struct kmt_event e;
	__u64 n = 0;

	while (trace_reader__next(r, &e) > 0)
		n++;
	return n;
}

/* ---- the file as a whole ---- */

TEST(badinput_empty_file)
{
	char out[4096];

	ASSERT_EQ(tb_write_file(tb_path("empty.kmt"), "", 0), 0);
	ASSERT_EQ(tb_refused(tb_path("empty.kmt"), -EINVAL, "not a kmmtrace file (empty)"), 0);
	ASSERT_EQ(run_kmt("info", tb_path("empty.kmt"), out, sizeof(out)), 1);
	ASSERT_CONTAINS(out, "empty.kmt: not a kmmtrace file (empty)");
	ASSERT_EQ(run_kmt("report", tb_path("empty.kmt"), out, sizeof(out)), 1);
	ASSERT_CONTAINS(out, "not a kmmtrace file (empty)");
}

TEST(badinput_not_a_trace)
{
	static const char text[] = "Node 0, zone   Normal   1036    800    620\n";
	char out[4096];
	size_t len;
	void *elf = tb_read_file("/proc/self/exe", &len);

	ASSERT_TRUE(elf && len > 4096);
	ASSERT_EQ(tb_write_file(tb_path("elf"), elf, 4096), 0);
	free(elf);
	ASSERT_EQ(tb_refused(tb_path("elf"), -EINVAL, "not a kmmtrace file"), 0);
	ASSERT_EQ(tb_write_file(tb_path("text"), text, sizeof(text) - 1), 0);
	ASSERT_EQ(tb_refused(tb_path("text"), -EINVAL, "not a kmmtrace file"), 0);
	ASSERT_EQ(tb_write_file(tb_path("short"), "KMMTR", 5), 0);	/* shorter than the magic */
	ASSERT_EQ(tb_refused(tb_path("short"), -EINVAL, "not a kmmtrace file"), 0);
	ASSERT_EQ(run_kmt("lint", tb_path("text"), out, sizeof(out)), 2);
	ASSERT_CONTAINS(out, "not a kmmtrace file");
	ASSERT_EQ(run_kmt("dump", tb_path("elf"), out, sizeof(out)), 1);
	ASSERT_CONTAINS(out, "not a kmmtrace file");
}

TEST(badinput_newer_version)
{
	__u8 buf[TB_FILE_HDR + TB_FRAME_HDR];
	char out[4096];

	tb_file_hdr(buf, 2, 1);
	tb_frame_hdr(buf + TB_FILE_HDR, 3, 0, 0, 0, 0, NULL);	/* an END frame: a complete file */
	ASSERT_EQ(tb_write_file(tb_path("v2.kmt"), buf, sizeof(buf)), 0);
	ASSERT_EQ(tb_refused(tb_path("v2.kmt"), -EPROTONOSUPPORT,
			     "trace format version 2.1 is newer than the supported version 1.0"), 0);
	ASSERT_EQ(run_kmt("replay", tb_path("v2.kmt"), out, sizeof(out)), 1);
	ASSERT_CONTAINS(out, "trace format version 2.1 is newer than the supported version 1.0");
	/* a newer minor of this major reads */
	tb_file_hdr(buf, 1, 7);
	ASSERT_EQ(tb_write_file(tb_path("v1.7.kmt"), buf, sizeof(buf)), 0);
	ASSERT_EQ(run_kmt("info", tb_path("v1.7.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "1.7");
	/* the header itself cut short, or claiming more than the file */
	tb_file_hdr(buf, 1, 0);
	ASSERT_EQ(tb_write_file(tb_path("cut-hdr.kmt"), buf, 40), 0);
	ASSERT_EQ(tb_refused(tb_path("cut-hdr.kmt"), -EINVAL,
			     "truncated kmmtrace file header (40 bytes)"), 0);
	tb_le(buf + 12, 4096, 4);
	ASSERT_EQ(tb_write_file(tb_path("big-hdr.kmt"), buf, sizeof(buf)), 0);
	ASSERT_EQ(tb_refused(tb_path("big-hdr.kmt"), -EINVAL, "truncated kmmtrace file header"), 0);
}

/* ---- frames ---- */

TEST(badinput_truncated_file)
{
	const struct trace_reader_stats *st;
	struct trace_reader *r;
	__u64 offs[8];
	char out[8192], want[256];
	size_t len;
	__u8 *p;
	int nf;

	ASSERT_EQ(small_trace(tb_path("t.kmt"), 3, 50, offs, &nf), 0);
	p = tb_read_file(tb_path("t.kmt"), &len);
	ASSERT_TRUE(p && nf == 5 && len == offs[nf]);
	/* cut in the middle of the third chunk's payload: the first two chunks read */
	ASSERT_EQ(tb_write_file(tb_path("cut.kmt"), p, offs[3] + 100), 0);
	r = tb_reader(tb_path("cut.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(count_events(r), 100);
	st = trace_reader__stats(r);
	ASSERT_TRUE(st->truncated);
	ASSERT_EQ(st->truncated_at, offs[3]);
	ASSERT_FALSE(st->finished);
	ASSERT_EQ(st->bad_frames, 0);
	trace_reader__free(r);
	snprintf(want, sizeof(want), "cut.kmt is truncated at byte %llu; read up to its last "
		 "whole chunk", (unsigned long long)offs[3]);
	ASSERT_EQ(run_kmt("report", tb_path("cut.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, want);
	ASSERT_EQ(run_kmt("info", tb_path("cut.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "TRUNCATED");
	/* cut inside the third chunk's frame header */
	ASSERT_EQ(tb_write_file(tb_path("cut2.kmt"), p, offs[3] + 20), 0);
	r = tb_reader(tb_path("cut2.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(count_events(r), 100);
	ASSERT_TRUE(trace_reader__stats(r)->truncated);
	ASSERT_EQ(trace_reader__stats(r)->truncated_at, offs[3]);
	trace_reader__free(r);
	/* cut exactly between frames: not truncated, but unfinished */
	ASSERT_EQ(tb_write_file(tb_path("cut3.kmt"), p, offs[3]), 0);
	r = tb_reader(tb_path("cut3.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(count_events(r), 100);
	ASSERT_FALSE(trace_reader__stats(r)->truncated);
	ASSERT_FALSE(trace_reader__stats(r)->finished);
	trace_reader__free(r);
	ASSERT_EQ(run_kmt("report", tb_path("cut3.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "has no end marker (recording did not finish)");
	/* only the file header: no events, not an error */
	ASSERT_EQ(tb_write_file(tb_path("hdr-only.kmt"), p, TB_FILE_HDR), 0);
	ASSERT_EQ(run_kmt("lint", tb_path("hdr-only.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "has no end marker");
	free(p);
}

/* A file: good trace with extra frames spliced in before frame `at`. */
static int insert_frames(const char *path, const __u8 *orig, const __u64 *offs, int at, const __u8 *ins,
		  size_t inslen, size_t origlen)
{
	__u8 *p = malloc(origlen + inslen);
	int err;

	memcpy(p, orig, offs[at]);
	memcpy(p + offs[at], ins, inslen);
	memcpy(p + offs[at] + inslen, orig + offs[at], origlen - offs[at]);
	err = tb_write_file(path, p, origlen + inslen);
	free(p);
	return err;
}

TEST(badinput_zero_length_chunk)
{
	const struct trace_reader_stats *st;
	struct trace_reader *r;
	__u8 ins[3 * TB_FRAME_HDR], *p;
	__u64 offs[8];
	char out[8192];
	size_t len;
	int nf;

	ASSERT_EQ(small_trace(tb_path("z.kmt"), 2, 30, offs, &nf), 0);
	p = tb_read_file(tb_path("z.kmt"), &len);
	ASSERT_TRUE(p);
	/* an empty chunk, an empty META and an empty frame of a newer type: all fine */
	tb_frame_hdr(ins, 2, 0, 0, 0, 0, NULL);
	tb_frame_hdr(ins + TB_FRAME_HDR, 1, 0, 0, 0, 0, NULL);
	tb_frame_hdr(ins + 2 * TB_FRAME_HDR, 9, 0, 0, 0, 0, NULL);
	ASSERT_EQ(insert_frames(tb_path("z0.kmt"), p, offs, 2, ins, sizeof(ins), len), 0);
	r = tb_reader(tb_path("z0.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(count_events(r), 60);
	st = trace_reader__stats(r);
	ASSERT_EQ(st->bad_frames, 0);
	ASSERT_EQ(st->chunks, 3);
	ASSERT_TRUE(st->finished);
	ASSERT_FALSE(st->truncated);
	trace_reader__free(r);
	/* a 0-length chunk claiming 5 events, and a 0-length compressed chunk: corrupt */
	tb_frame_hdr(ins, 2, 0, 0, 0, 5, NULL);
	tb_frame_hdr(ins + TB_FRAME_HDR, 2, 1, 0, 0, 0, NULL);
	ASSERT_EQ(insert_frames(tb_path("z5.kmt"), p, offs, 2, ins, 2 * TB_FRAME_HDR, len), 0);
	r = tb_reader(tb_path("z5.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(count_events(r), 60);		/* the good chunks on either side read */
	st = trace_reader__stats(r);
	ASSERT_EQ(st->bad_frames, 1);		/* one damaged stretch */
	ASSERT_TRUE(st->finished);
	trace_reader__free(r);
	ASSERT_EQ(run_kmt("report", tb_path("z5.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "warning: 1 corrupt chunk(s) skipped");
	ASSERT_EQ(run_kmt("info", tb_path("z5.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "1 corrupt chunk(s) skipped");
	free(p);
}

/* Reads path whole; 0 when the heap it holds afterwards stays under limit. */
static int read_within(const char *path, size_t limit, __u64 want_events, bool truncated)
{
	size_t before = heap_bytes(), held;
	struct trace_reader *r = tb_reader(path);
	__u64 n;

	if (!r)
		return 1;
	n = count_events(r);
	held = heap_bytes() - before;
	if (n != want_events || trace_reader__stats(r)->truncated != truncated ||
	    (!SANITIZED && held > limit)) {
		printf("    %s: %llu events (want %llu), truncated %d, %zu bytes held (limit %zu)\n",
		       path, (unsigned long long)n, (unsigned long long)want_events,
		       trace_reader__stats(r)->truncated, held, limit);
		trace_reader__free(r);
		return 1;
	}
	trace_reader__free(r);
	return 0;
}

TEST(badinput_lengths_past_the_end)
{
	__u8 ins[TB_FRAME_HDR + 16], *p, body[16] = { 0 };
	__u64 offs[8];
	char out[8192];
	size_t len;
	int nf;

	ASSERT_EQ(small_trace(tb_path("l.kmt"), 2, 30, offs, &nf), 0);
	p = tb_read_file(tb_path("l.kmt"), &len);
	ASSERT_TRUE(p);
	/* the reader's own fixed state (decoder rings, dictionaries) is well under 2 MiB */
	ASSERT_EQ(read_within(tb_path("l.kmt"), 2 << 20, 60, false), 0);

	/* a last chunk claiming 200 MiB: truncated there, nothing allocated for it */
	memcpy(ins, p + offs[2], TB_FRAME_HDR);
	tb_frame_hdr(ins, 2, 0, 200 << 20, 200 << 20, 10, NULL);
	memcpy(p + offs[2], ins, TB_FRAME_HDR);
	ASSERT_EQ(tb_write_file(tb_path("l200.kmt"), p, offs[2] + TB_FRAME_HDR + 100), 0);
	ASSERT_EQ(read_within(tb_path("l200.kmt"), 2 << 20, 30, true), 0);
	ASSERT_EQ(run_kmt("report", tb_path("l200.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "is truncated at byte");
	/* a META frame claiming 100 MiB (read whole at open): the same */
	tb_frame_hdr(ins, 1, 0, 100 << 20, 100 << 20, 0, NULL);
	memcpy(p + offs[2], ins, TB_FRAME_HDR);
	ASSERT_EQ(tb_write_file(tb_path("m100.kmt"), p, offs[2] + TB_FRAME_HDR + 100), 0);
	ASSERT_EQ(read_within(tb_path("m100.kmt"), 2 << 20, 30, true), 0);
	/* a length over the format's 256 MiB limit: a bad header, the reader resyncs */
	free(p);
	p = tb_read_file(tb_path("l.kmt"), &len);
	tb_frame_hdr(ins, 2, 0, 0xfffffff0u, 0xfffffff0u, 0, NULL);
	ASSERT_EQ(insert_frames(tb_path("l4g.kmt"), p, offs, 2, ins, TB_FRAME_HDR, len), 0);
	ASSERT_EQ(read_within(tb_path("l4g.kmt"), 2 << 20, 60, false), 0);
	ASSERT_EQ(run_kmt("info", tb_path("l4g.kmt"), out, sizeof(out)), 0);
	ASSERT_CONTAINS(out, "1 corrupt chunk(s) skipped");
	/*
	 * A 16-byte DEFLATE chunk claiming the most it could inflate to (1032 x + 64):
	 * it does not inflate to that, so it is corrupt; the buffer is what 16 bytes imply.
	 */
	tb_frame_hdr(ins, 2, 1, 16, 16 * 1032 + 64, 0, body);
	memcpy(ins + TB_FRAME_HDR, body, 16);
	ASSERT_EQ(insert_frames(tb_path("lz.kmt"), p, offs, 2, ins, TB_FRAME_HDR + 16, len), 0);
	ASSERT_EQ(read_within(tb_path("lz.kmt"), 2 << 20, 60, false), 0);
	/* one byte more than DEFLATE can do: an impossible header, never allocated */
	tb_frame_hdr(ins, 2, 1, 16, 16 * 1032 + 65, 0, body);
	ASSERT_EQ(insert_frames(tb_path("lz2.kmt"), p, offs, 2, ins, TB_FRAME_HDR + 16, len), 0);
	ASSERT_EQ(read_within(tb_path("lz2.kmt"), 2 << 20, 60, false), 0);
	free(p);
}

/* Section, record and column lengths inside a chunk larger than what holds them. */
TEST(badinput_lengths_inside_a_chunk)
{
	static const __u8 payloads[][12] = {
		{ 1, 0x80, 0x80, 0x80, 0x80, 0x01 },		/* DEFS section of 256 MiB */
		{ 1, 3, 2, 0xff, 0x7f },			/* a task record of 16383 bytes */
		{ 2, 5, 1, 0, 1, 0, 0x7f },			/* EVENTS: TYPE column of 127 bytes */
		{ 2, 9, 1, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f }, /* ... of 4 GiB */
		{ 2, 4, 0xff, 0xff, 0xff, 0x0f },		/* 4 G events */
	};
	__u8 ins[TB_FRAME_HDR + 12], *p;
	__u64 offs[8];
	size_t len;
	int nf;

	ASSERT_EQ(small_trace(tb_path("c.kmt"), 2, 30, offs, &nf), 0);
	p = tb_read_file(tb_path("c.kmt"), &len);
	ASSERT_TRUE(p);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		const char *path = tb_path("cbad.kmt");
		struct trace_reader *r;

		tb_frame_hdr(ins, 2, 0, 12, 12, i == 2 || i == 3 ? 1 : 0, payloads[i]);
		memcpy(ins + TB_FRAME_HDR, payloads[i], 12);
		ASSERT_EQ(insert_frames(path, p, offs, 2, ins, sizeof(ins), len), 0);
		ASSERT_EQ(read_within(path, 2 << 20, 60, false), 0);
		r = tb_reader(path);
		ASSERT_TRUE(r);
		count_events(r);
		if (trace_reader__stats(r)->bad_frames != 1)
			FAIL("payload %zu: %llu bad frames", i,
			     (unsigned long long)trace_reader__stats(r)->bad_frames);
		trace_reader__free(r);
	}
	free(p);
}

/* ---- what the fuzz harnesses found (tests/fuzz) ---- */

/* A replayable trace: one 1024-page zone, free at the start, then events. */
static int replay_trace(const char *path, const struct kmt_event *ev, int n)
{
	struct trace_writer *w = tb_writer(path, 0, 0);

	if (!w)
		return -1;
	tb_meta_one_zone(w, 1024);
	return tb_finish(w, ev, n);
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * fuzz_trace: a timestamp far ahead of the others (a flipped high bit) with
 * interval sampling made replay and report take one sample per interval of
 * the gap (2^62 ns / 1 ms): hours of CPU and gigabytes. Now a gap costs the
 * samples at its two ends.
 */
TEST(badinput_fuzz_timestamp_gap_sampling)
{
	struct kmt_event ev[4] = {
		{ .ts = 1000, .type = KMT_EV_PAGE_ALLOC, .ptr = 16, .gfp = 0xcc0, .stack_id = -1 },
		{ .ts = 1000 + 3500000, .type = KMT_EV_KMALLOC, .ptr = 0xffff888100000000ull,
		  .size = 8, .size2 = 8, .call_site = 0xffffffff81000000ull, .stack_id = -1 },
		{ .ts = 1ull << 62, .type = KMT_EV_PAGE_FREE, .ptr = 16, .stack_id = -1 },
		{ .ts = ~0ull - 5, .type = KMT_EV_KFREE, .ptr = 0xffff888100000000ull,
		  .call_site = 0xffffffff81000000ull, .stack_id = -1 },
	};
	struct replay_opts ro = { .interval_ns = 1000000, .pageblock_order = -1 };
	struct report_opts po = { .interval_ns = 1000000 };
	struct replay_result res;
	struct report rep;
	struct trace_reader *r;
	char why[256] = "";
	double t0 = cpu_now();

	ASSERT_EQ(replay_trace(tb_path("gap.kmt"), ev, 4), 0);
	r = tb_reader(tb_path("gap.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(replay__run(r, &ro, true, &res, why, sizeof(why)), 0);
	/* boundaries 1, 2, 3 ms; both ends of each gap; the end: a handful, in order */
	ASSERT_LE(res.nr_samples, 9);
	ASSERT_GE(res.nr_samples, 4);
	for (size_t i = 1; i < res.nr_samples; i++)
		if (res.samples[i - 1].t > res.samples[i].t)
			FAIL("sample %zu at %llu after %llu", i, (unsigned long long)res.samples[i].t,
			     (unsigned long long)res.samples[i - 1].t);
	ASSERT_EQ(res.samples[0].t, 1000000);
	ASSERT_EQ(res.events, 2);
	replay_result__free(&res);
	ASSERT_EQ(trace_reader__rewind(r), 0);
	ASSERT_EQ(report__run(r, &po, &rep, why, sizeof(why)), 0);
	ASSERT_LE(rep.nr_slab_series, 9);
	ASSERT_EQ(rep.events, 4);
	report__free(&rep);
	trace_reader__free(r);
	ASSERT_LT(cpu_now() - t0, 5.0);
}

/*
 * fuzz_trace: NR_PAGE_ORDERS 0xffffff0b made lint__new shift by 4294967050
 * (undefined). tracemeta__load now reads values no kernel has as unknown.
 */
TEST(badinput_fuzz_meta_out_of_range)
{
	static const struct { __u32 page_size, orders, pbo; bool ok; } cases[] = {
		{ 4096, 11, 9, true }, { 65536, 14, 13, true }, { 4096, 0xffffff0bu, 9, false },
		{ 4095, 11, 9, false }, { 0x80000000u, 11, 9, false }, { 4096, 33, 40, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trace_writer *w = tb_writer(tb_path("meta.kmt"), 0, 0);
		struct trace_reader *r;
		struct lint_env env;
		struct tracemeta m;
		struct lint *l;

		ASSERT_TRUE(w);
		tb_meta_u32(w, KMT_META_PAGE_SIZE, cases[i].page_size);
		tb_meta_u32(w, KMT_META_NR_PAGE_ORDERS, cases[i].orders);
		tb_meta_u32(w, KMT_META_PAGEBLOCK_ORDER, cases[i].pbo);
		ASSERT_EQ(tb_finish(w, NULL, 0), 0);
		r = tb_reader(tb_path("meta.kmt"));
		ASSERT_TRUE(r);
		tracemeta__load(r, &m);
		if (cases[i].ok) {
			ASSERT_EQ(m.page_size, cases[i].page_size);
			ASSERT_EQ(m.nr_page_orders, cases[i].orders);
			ASSERT_EQ(m.pageblock_order, cases[i].pbo);
		} else {
			ASSERT_TRUE(m.page_size == cases[i].page_size || !m.page_size);
			ASSERT_TRUE(m.nr_page_orders == cases[i].orders || !m.nr_page_orders);
			ASSERT_LE(m.nr_page_orders, 32);
			ASSERT_LT(m.pageblock_order, 32);
			ASSERT_TRUE(!m.page_size || !(m.page_size & (m.page_size - 1)));
		}
		env = (struct lint_env){ .page_size = m.page_size,
					 .nr_page_orders = m.nr_page_orders, .costly_order = 3 };
		l = lint__new(&env, NULL, 0, NULL, NULL);
		ASSERT_TRUE(l);
		if (!m.nr_page_orders)
			ASSERT_CONTAINS(lint__notes(l), "the maximum page order is unknown");
		lint__free(l);
		trace_reader__free(r);
	}
}

/*
 * fuzz_trace, through report__run: page events of order -1 and 40 shifted the
 * page size by them (undefined); a kmalloc_large of more than page_size << 63
 * bytes ran get_order() past 64 bits; a kmalloc call site asking 0xfffffffd
 * bytes rounded its slot to 0 and the slab advice looped for ever.
 */
TEST(badinput_fuzz_extreme_event_values)
{
	struct slab_model_opts so = { .sz = sizeof(so), .page_size = 4096, .nr_cpus = 2 };
	struct kmt_event ev[] = {
		{ .ts = 100, .type = KMT_EV_PAGE_ALLOC, .ptr = 16, .order = 40, .gfp = 0xcc0,
		  .stack_id = -1 },
		{ .ts = 200, .type = KMT_EV_PAGE_FREE, .ptr = 16, .order = -1, .stack_id = -1 },
		{ .ts = 300, .type = KMT_EV_PAGE_ALLOC, .ptr = 32, .order = 1, .gfp = 0xcc0,
		  .stack_id = -1 },
		{ .ts = 400, .type = KMT_EV_KMALLOC, .ptr = 0xffff888100000000ull,
		  .call_site = 0xffffffff81000010ull, .size = 0xfffffffdull, .size2 = 0,
		  .gfp = 0xcc0, .node = -1, .stack_id = -1 },
		{ .ts = 500, .type = KMT_EV_KMALLOC, .ptr = 0xffff888200000000ull,
		  .call_site = 0xffffffff81000020ull, .size = (1ull << 63) + 1, .size2 = 0,
		  .gfp = 0xcc0, .node = -1, .stack_id = -1 },
	};
	struct report_opts po = { .group = REPORT_BY_ORDER };
	struct slab_site_advice a;
	struct slab_model *m;
	struct trace_reader *r;
	struct report rep;
	char why[256];
	int site;

	ASSERT_EQ(replay_trace(tb_path("ext.kmt"), ev, sizeof(ev) / sizeof(ev[0])), 0);
	r = tb_reader(tb_path("ext.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(report__run(r, &po, &rep, why, sizeof(why)), 0);
	ASSERT_EQ(rep.page.nr_allocs, 2);
	ASSERT_EQ(rep.page.alloc_bytes, 8192);		/* the order-40 block counts nothing */
	ASSERT_EQ(rep.page.nr_frees, 1);
	ASSERT_EQ(rep.page.free_bytes, 0);
	report__free(&rep);
	trace_reader__free(r);

	m = slab_model__new(&so, NULL);
	ASSERT_TRUE(m);
	for (size_t i = 3; i < 5; i++)
		ASSERT_GE(slab_model__apply(m, &ev[i]), 0);
	site = slab_model__site_find(m, ev[3].call_site);
	ASSERT_GE(site, 0);
	ASSERT_EQ(slab_model__site_advice(m, site, &a), 0);
	ASSERT_EQ(a.dedicated_size, 0xfffffff8u);
	ASSERT_GE(a.hwalign_size, a.dedicated_size);
	site = slab_model__site_find(m, ev[4].call_site);
	ASSERT_GE(site, 0);
	ASSERT_EQ(slab_model__site_advice(m, site, &a), 0);
	slab_model__free(m);
}

/*
 * fuzz_text: a FREEMAP value with a free run ending just below pfn 2^64 made
 * freemap__to_orders wrap past 2^64 and walk the whole pfn space.
 */
TEST(badinput_fuzz_freemap_near_2_64)
{
	struct freemap fm = {};
	__u64 counts[64] = {}, pages = 0;	/* 64: counts[nr_orders], orders capped at 63 */
	__u64 start = ~0ull - 1000;
	void *v;
	size_t len;
	__u8 ph;

	ASSERT_EQ(freemap__add(&fm, start, 999), 0);	/* [2^64 - 1001, 2^64 - 2) */
	ASSERT_EQ(freemap__encode(&fm, KMT_PHASE_START, &v, &len), 0);
	freemap__free(&fm);
	ASSERT_EQ(freemap__decode(v, len, &ph, &fm), 0);
	free(v);
	freemap__to_orders(&fm, ~0ull - (1 << 20), ~0ull, 11, counts);
	for (int o = 0; o < 11; o++)
		pages += counts[o] << o;
	ASSERT_EQ(pages, 999);
	memset(counts, 0, sizeof(counts));
	freemap__to_orders(&fm, 0, ~0ull, 64, counts);
	pages = 0;
	for (int o = 0; o < 64; o++)
		pages += counts[o] << o;
	ASSERT_EQ(pages, 999);
	freemap__free(&fm);
}

/*
 * fuzz_trace (a slab model fed the events, then slab_model__check): objects
 * at 0x9 and 0x3c0 made a slab record at base 0, which marks a free record:
 * the model lost count of it ("0 slab records, counted 1").
 */
TEST(badinput_fuzz_slab_at_address_zero)
{
	struct kmt_cache_def cd = { .cache = 0xffff888100100000ull, .object_size = 64, .size = 64,
				    .align = 8, .order = 0, .objects = 64, .name = "kmalloc-64" };
	struct slab_model_opts so = { .sz = sizeof(so), .page_size = 4096, .nr_cpus = 2 };
	struct kmt_event ev[] = {
		{ .ts = 1, .type = KMT_EV_CACHE_ALLOC, .ptr = 0x9, .size = 60, .size2 = 64,
		  .aux = cd.cache, .call_site = 0xffffffff81000010ull, .stack_id = -1 },
		{ .ts = 2, .type = KMT_EV_CACHE_FREE, .ptr = 0x3c0, .aux = cd.cache,
		  .call_site = 0xffffffff81000010ull, .stack_id = -1 },
		{ .ts = 3, .type = KMT_EV_CACHE_ALLOC, .ptr = 0xffff888100200040ull, .size = 60,
		  .size2 = 64, .aux = cd.cache, .call_site = 0xffffffff81000010ull, .stack_id = -1 },
		{ .ts = 4, .type = KMT_EV_CACHE_FREE, .ptr = 0x40, .aux = cd.cache,
		  .call_site = 0xffffffff81000010ull, .stack_id = -1 },
	};
	struct slab_model *m = slab_model__new(&so, NULL);
	char err[256] = "";

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &cd), 0);
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		ASSERT_GE(slab_model__apply(m, &ev[i]), 0);
		if (slab_model__check(m, err, sizeof(err)))
			FAIL("after event %zu: %s", i, err);
	}
	ASSERT_GE(slab_model__stats(m)->inc[SLAB_INC_BAD_EVENT], 2);
	ASSERT_EQ(slab_model__stats(m)->slabs, 1);	/* the one at 0xffff888100200000 */
	slab_model__free(m);
}

/*
 * fuzz_trace (slab model check): a cache of order-7 slabs allocating at the
 * base of another cache's order-0 slab left that record in place while the
 * new slab took its key in the hash ("not under its base in the slab hash").
 */
TEST(badinput_fuzz_slab_huge_over_small)
{
	struct kmt_cache_def small = { .cache = 0xffff888100100000ull, .object_size = 64,
				       .size = 64, .align = 8, .order = 0, .objects = 64,
				       .name = "small" };
	struct kmt_cache_def huge = { .cache = 0xffff888100100100ull, .object_size = 262281,
				      .size = 262288, .align = 8, .order = 7, .objects = 1,
				      .name = "huge" };
	struct slab_model_opts so = { .sz = sizeof(so), .page_size = 4096, .nr_cpus = 2 };
	struct kmt_event ev[] = {
		{ .ts = 1, .type = KMT_EV_CACHE_ALLOC, .ptr = 0xffff888100200900ull, .size = 60,
		  .size2 = 64, .aux = small.cache, .call_site = 0xffffffff81000010ull,
		  .stack_id = -1 },
		{ .ts = 2, .type = KMT_EV_CACHE_FREE, .ptr = 0xffff888100200900ull,
		  .aux = small.cache, .call_site = 0xffffffff81000010ull, .stack_id = -1 },
		{ .ts = 3, .type = KMT_EV_CACHE_ALLOC, .ptr = 0xffff888100200000ull, .size = 262281,
		  .size2 = 262288, .aux = huge.cache, .call_site = 0xffffffff81000020ull,
		  .stack_id = -1 },
		{ .ts = 4, .type = KMT_EV_CACHE_ALLOC, .ptr = 0xffff888100200040ull, .size = 60,
		  .size2 = 64, .aux = small.cache, .call_site = 0xffffffff81000010ull,
		  .stack_id = -1 },
	};
	struct slab_model *m = slab_model__new(&so, NULL);
	struct slab_info si;
	char err[256] = "";

	ASSERT_TRUE(m);
	ASSERT_GE(slab_model__add_cache(m, &small), 0);
	ASSERT_GE(slab_model__add_cache(m, &huge), 0);
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		ASSERT_GE(slab_model__apply(m, &ev[i]), 0);
		if (slab_model__check(m, err, sizeof(err)))
			FAIL("after event %zu: %s", i, err);
		if (i == 2) {	/* the huge slab replaced the small one */
			ASSERT_EQ(slab_model__slab_at(m, 0xffff888100200000ull, &si), 0);
			ASSERT_EQ(si.order, 7);
			ASSERT_EQ(slab_model__stats(m)->slabs, 1);
		}
	}
	slab_model__free(m);
}

/*
 * A ZONES item claiming 2^50 pages: the replay's model (a byte per page)
 * would be a petabyte. Refused with the reason, nothing allocated.
 */
TEST(badinput_replay_zone_span_too_large)
{
	struct kmt_zone_info z = { .node = 0, .name = "Normal", .spanned = 1ull << 50,
				   .present = 1024, .managed = 1024 };
	struct replay_opts ro = { .pageblock_order = -1 };
	struct replay_result res;
	struct trace_writer *w;
	struct trace_reader *r;
	char why[256] = "", out[4096];

	w = tb_writer(tb_path("zones.kmt"), 0, 0);
	ASSERT_TRUE(w);
	trace_writer__meta_add(w, KMT_META_ZONES, &z, sizeof(z));
	tb_meta_u32(w, KMT_META_NR_PAGE_ORDERS, 11);
	tb_meta_u32(w, KMT_META_PAGEBLOCK_ORDER, 9);
	trace_writer__meta_add(w, KMT_META_MIGRATETYPES, tb_migratetypes,
			       strlen(tb_migratetypes));
	ASSERT_EQ(tb_finish(w, NULL, 0), 0);
	r = tb_reader(tb_path("zones.kmt"));
	ASSERT_TRUE(r);
	ASSERT_EQ(replay__run(r, &ro, false, &res, why, sizeof(why)), -E2BIG);
	ASSERT_CONTAINS(why, "the trace's zones span 1125899906842624 pages");
	replay_result__free(&res);
	trace_reader__free(r);
	ASSERT_EQ(run_kmt("replay", tb_path("zones.kmt"), out, sizeof(out)), 1);
	ASSERT_CONTAINS(out, "kmmtrace replay: the trace's zones span");
}
