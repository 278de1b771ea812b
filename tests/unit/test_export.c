// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace export --redact: kernel addresses permuted (bits 21..46, keyed),
 * pairs and 2 MiB layouts kept, symbol names kept, PFNs kept; the report reads
 * the same; the same key gives the same permutation; the file is 0600.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>
#include "../build.h"
#include "../test.h"
#include "../json.h"
#include "trace.h"

#define A1 0xffff888100cfc040ull
#define A2 0xffff888136a0f100ull
#define CS 0xffffffff81234567ull
#define CACHE 0xffff88810022f600ull

static int write_trace(const char *path)
{
	struct kmt_sym sym = { .addr = CS, .offset = 0x27, .name = "alloc_thing" };
	struct kmt_cache_def cd = { .cache = CACHE, .object_size = 60, .size = 64, .order = 0,
				    .objects = 64, .name = "thing_cache" };
	struct kmt_stack st = { .id = 1, .nr = 2, .ips = { CS, 0xffffffff81000010ull } };
	struct kmt_sym sym2 = { .addr = 0xffffffff81000010ull, .offset = 0x10, .name = "caller_fn" };
	struct kmt_event evs[] = {
		{ .ts = 1000, .type = KMT_EV_CACHE_ALLOC, .ptr = A1, .call_site = CS, .size = 60,
		  .size2 = 64, .aux = CACHE, .tgid = 7, .tid = 7, .node = -1, .stack_id = 1,
		  .gfp = 0xcc0 },
		{ .ts = 2000, .type = KMT_EV_KMALLOC, .ptr = A2, .call_site = CS, .size = 100,
		  .size2 = 128, .tgid = 7, .tid = 7, .node = -1, .stack_id = -1, .gfp = 0xcc0 },
		{ .ts = 3000, .type = KMT_EV_CACHE_FREE, .ptr = A1, .call_site = CS, .aux = CACHE,
		  .tgid = 7, .tid = 7, .node = -1, .stack_id = -1 },
		{ .ts = 4000, .type = KMT_EV_PAGE_ALLOC, .ptr = 123456, .order = 2, .mt = 0,
		  .tgid = 7, .tid = 7, .node = -1, .stack_id = -1, .gfp = 0xcc0 },
	};
	struct trace_writer *w = tb_writer(path, 0, 0);

	if (!w)
		return -1;
	tb_meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	trace_writer__meta_flush(w);
	trace_writer__add_sym(w, &sym);
	trace_writer__add_sym(w, &sym2);
	trace_writer__add_cache(w, &cd);
	trace_writer__add_stack(w, &st);
	return tb_finish(w, evs, sizeof(evs) / sizeof(evs[0]));
}

static int read_events(const char *path, struct kmt_event *ev, int max, char *sym, size_t symlen,
		       char *cache, size_t cachelen, __u64 *frame1)
{
	struct trace_reader *r = tb_reader(path);
	const struct kmt_sym *s;
	const struct kmt_cache_def *d;
	const struct kmt_stack *st;
	int n = 0;

	if (!r)
		return -1;
	while (n < max && trace_reader__next(r, &ev[n]) > 0)
		n++;
	s = trace_reader__sym(r, ev[0].call_site);
	snprintf(sym, symlen, "%s", s ? s->name : "");
	d = trace_reader__cache(r, ev[0].aux);
	snprintf(cache, cachelen, "%s", d ? d->name : "");
	st = trace_reader__stack(r, ev[0].stack_id);
	*frame1 = st && st->nr > 1 ? st->ips[1] : 0;
	if (*frame1) {
		s = trace_reader__sym(r, *frame1);
		if (!s || strcmp(s->name, "caller_fn"))
			*frame1 = 1;	/* the frame's symbol did not follow it */
	}
	trace_reader__free(r);
	return n;
}

TEST(export_redact_permutes_and_keeps_what_analyses_need)
{
	char in[512], out[512], out2[512], cmd[2048], sym[128], cache[64], *r1, *r2;
	const char *k = kmt_test__binary();
	struct kmt_event a[8], b[8], c[8];
	__u64 f1;
	struct stat st;

	snprintf(in, sizeof(in), "%s/x.kmt", kmt_test__tmpdir());
	snprintf(out, sizeof(out), "%s/x.red.kmt", kmt_test__tmpdir());
	snprintf(out2, sizeof(out2), "%s/x.red2.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_trace(in), 0);
	snprintf(cmd, sizeof(cmd), "%s export --redact --key 1234abcd -o %s %s 2>/dev/null", k, out, in);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	snprintf(cmd, sizeof(cmd), "%s export --redact --key 1234abcd -o %s %s 2>/dev/null", k, out2, in);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	ASSERT_EQ(stat(out, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(read_events(in, a, 8, sym, sizeof(sym), cache, sizeof(cache), &f1), 4);
	ASSERT_EQ(read_events(out, b, 8, sym, sizeof(sym), cache, sizeof(cache), &f1), 4);
	/* names follow their permuted addresses */
	ASSERT_STREQ(sym, "alloc_thing");
	ASSERT_STREQ(cache, "thing_cache");
	ASSERT_TRUE(f1 > 1);
	ASSERT_NE(f1, 0xffffffff81000010ull);
	/* addresses changed, low 21 bits and the top bits kept, pairs kept */
	ASSERT_NE(b[0].ptr, a[0].ptr);
	ASSERT_NE(b[0].call_site, a[0].call_site);
	ASSERT_NE(b[0].aux, a[0].aux);
	ASSERT_U64_EQ(b[0].ptr & ((1ull << 21) - 1), a[0].ptr & ((1ull << 21) - 1));
	ASSERT_U64_EQ(b[0].ptr >> 47, a[0].ptr >> 47);
	ASSERT_U64_EQ(b[2].ptr, b[0].ptr);		/* the free still names its object */
	ASSERT_U64_EQ(b[2].aux, b[0].aux);
	ASSERT_U64_EQ(b[3].ptr, a[3].ptr);		/* the PFN is kept */
	ASSERT_NE(b[1].ptr, b[0].ptr);
	/* the same key, the same permutation */
	ASSERT_EQ(read_events(out2, c, 8, sym, sizeof(sym), cache, sizeof(cache), &f1), 4);
	for (int i = 0; i < 4; i++) {
		ASSERT_U64_EQ(c[i].ptr, b[i].ptr);
		ASSERT_U64_EQ(c[i].call_site, b[i].call_site);
	}
	/* the report reads the same from both */
	snprintf(cmd, sizeof(cmd), "%s report -n 5 %s 2>/dev/null", k, in);
	r1 = kmt_test__run(cmd, NULL);
	snprintf(cmd, sizeof(cmd), "%s report -n 5 %s 2>/dev/null", k, out);
	r2 = kmt_test__run(cmd, NULL);
	ASSERT_TRUE(r1 && r2);
	ASSERT_CONTAINS(r1, "alloc_thing");
	ASSERT_STREQ(r2, r1);
	free(r1);
	free(r2);
	/* without --redact, a faithful copy */
	snprintf(cmd, sizeof(cmd), "%s export -o %s %s 2>/dev/null", k, out2, in);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	ASSERT_EQ(read_events(out2, c, 8, sym, sizeof(sym), cache, sizeof(cache), &f1), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_U64_EQ(c[i].ptr, a[i].ptr);
	/* bad usage */
	snprintf(cmd, sizeof(cmd), "%s export --key zz --redact -o %s %s 2>/dev/null", k, out2, in);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s export %s 2>/dev/null", k, in);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
}

/* ---- formats for other tools ---- */

static __u64 pb_varint(const unsigned char *b, size_t len, size_t *i)
{
	__u64 r = 0;
	int s = 0;

	while (*i < len) {
		unsigned char c = b[(*i)++];

		r |= (__u64)(c & 0x7f) << s;
		s += 7;
		if (!(c & 0x80))
			break;
	}
	return r;
}

TEST(export_folded_pprof_csv_json)
{
	char in[512], out[512], cmd[2048], *txt;
	const char *k = kmt_test__binary();
	unsigned char *pb = malloc(1 << 20);
	__u64 samples = 0, vals[2] = { 0, 0 }, strings = 0;
	struct stat st;
	size_t n, i = 0;
	int lines = 0;
	gzFile gz;

	ASSERT_TRUE(pb != NULL);
	snprintf(in, sizeof(in), "%s/f.kmt", kmt_test__tmpdir());
	ASSERT_EQ(write_trace(in), 0);
	/* folded by bytes: the stack root first; the call site stands for a missing stack */
	snprintf(cmd, sizeof(cmd), "%s export -f folded %s 2>/dev/null | sort", k, in);
	txt = kmt_test__run(cmd, NULL);
	ASSERT_TRUE(txt != NULL);
	ASSERT_STREQ(txt, "[mm_page_alloc, no stack] 16384\nalloc_thing 128\n"
			  "caller_fn;alloc_thing 64\n");
	free(txt);
	snprintf(cmd, sizeof(cmd), "%s export -f folded --count %s 2>/dev/null | sort", k, in);
	txt = kmt_test__run(cmd, NULL);
	ASSERT_STREQ(txt, "[mm_page_alloc, no stack] 1\nalloc_thing 1\ncaller_fn;alloc_thing 1\n");
	free(txt);
	/* pprof: gzip'd profile.proto with 3 samples: 3 objects, 16576 bytes */
	snprintf(out, sizeof(out), "%s/f.pb.gz", kmt_test__tmpdir());
	snprintf(cmd, sizeof(cmd), "%s export -f pprof -o %s %s 2>/dev/null", k, out, in);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	ASSERT_EQ(stat(out, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	gz = gzopen(out, "rb");
	ASSERT_TRUE(gz != NULL);
	n = gzread(gz, pb, 1 << 20);
	gzclose(gz);
	while (i < n) {
		__u64 key = pb_varint(pb, n, &i), len;

		if ((key & 7) == 0) {
			pb_varint(pb, n, &i);
			continue;
		}
		ASSERT_EQ(key & 7, 2);
		len = pb_varint(pb, n, &i);
		if (key >> 3 == 6)
			strings++;
		if (key >> 3 == 2) {	/* Sample: field 2 holds the packed values */
			size_t j = i, end = i + len;

			samples++;
			while (j < end) {
				__u64 k2 = pb_varint(pb, end, &j), l2 = pb_varint(pb, end, &j);

				if (k2 >> 3 == 2) {
					size_t m = j;

					vals[0] += pb_varint(pb, j + l2, &m);
					vals[1] += pb_varint(pb, j + l2, &m);
				}
				j += l2;
			}
		}
		i += len;
	}
	ASSERT_EQ(samples, 3);
	ASSERT_EQ(vals[0], 3);
	ASSERT_EQ(vals[1], 64 + 128 + 16384);
	ASSERT_GE(strings, 6);	/* "", 2 types, 2 units, function names */
	/* csv: a header and one row holding every event */
	snprintf(cmd, sizeof(cmd), "%s export -f csv %s 2>/dev/null", k, in);
	txt = kmt_test__run(cmd, NULL);
	ASSERT_TRUE(txt != NULL);
	ASSERT_CONTAINS(txt, "t_s,kmalloc,kfree,kmem_cache_alloc,kmem_cache_free,mm_page_alloc");
	ASSERT_CONTAINS(txt, "\n0.000,1,0,1,1,1,");
	ASSERT_CONTAINS(txt, ",192,16384\n");	/* slab bytes 64 + 128, page bytes */
	free(txt);
	/* json: one object per event */
	snprintf(cmd, sizeof(cmd), "%s export -f json %s 2>/dev/null", k, in);
	txt = kmt_test__run(cmd, NULL);
	ASSERT_TRUE(txt != NULL);
	for (char *p = txt; (p = strchr(p, '\n')); p++)
		lines++;
	ASSERT_EQ(lines, 4);
	ASSERT_CONTAINS(txt, "\"kmem_cache_alloc\"");
	free(txt);
	free(pb);
}
