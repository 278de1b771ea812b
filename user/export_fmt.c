// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace export formats for other tools:
 *   folded  "root;...;leaf WEIGHT" lines (flamegraph.pl, speedscope, inferno),
 *           allocations weighted by bytes or by count;
 *   pprof   a gzip'd profile.proto (github.com/google/pprof/proto/profile.proto)
 *           with two sample values, alloc_objects/count and alloc_space/bytes,
 *           readable by `pprof` and continuous-profiling services;
 *   csv     a time series: events per type, slab and page bytes allocated, per
 *           interval.
 * Allocations are kmalloc, kmem_cache_alloc, mm_page_alloc (page size << order),
 * percpu_alloc_percpu and alloc_vmap_area; their stacks come from `record -g`
 * (the BPF program's own frames dropped), else the call site stands for one.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "codec.h"
#include "defs.h"
#include "export_fmt.h"
#include "frames.h"
#include "hash.h"

/* ---- aggregation by stack (or call site) ---- */

struct agg_ent {
	__u64 key;		/* stack id | 1 << 62, or call site, or type << 56; + 1 */
	struct kmt_event ex;	/* one event: its stack or call site names the frames */
	__u64 count, bytes;
};

struct agg {
	struct agg_ent *t;
	size_t cap, len;
	__u32 page_size;
};

static __u64 alloc_bytes(const struct agg *a, const struct kmt_event *e)
{
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_PERCPU_ALLOC:
		return e->size2 ? e->size2 : e->size;
	case KMT_EV_PAGE_ALLOC:
		return e->order >= 0 && e->order < 32 ? (__u64)a->page_size << e->order : 0;
	case KMT_EV_VMAP_ALLOC:
		return e->size;
	}
	return 0;
}

static bool is_sample(const struct kmt_event *e)
{
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_PERCPU_ALLOC:
		return e->ptr != 0;
	case KMT_EV_PAGE_ALLOC:
		return e->ptr != ~0ull;
	case KMT_EV_VMAP_ALLOC:
		return !e->arg;
	}
	return false;
}

static int agg_add(struct agg *a, const struct kmt_event *e)
{
	__u64 key = e->stack_id >= 0 ? ((__u64)(__u32)e->stack_id | 1ull << 62) :
		    e->call_site ? e->call_site : (__u64)e->type << 56;
	size_t i;

	key++;
	if ((a->len + 1) * 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		struct agg_ent *n = calloc(cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (size_t j = 0; j < a->cap; j++) {
			if (!a->t[j].key)
				continue;
			for (i = kmt_hash64(a->t[j].key) & (cap - 1); n[i].key; i = (i + 1) & (cap - 1))
				;
			n[i] = a->t[j];
		}
		free(a->t);
		a->t = n;
		a->cap = cap;
	}
	for (i = kmt_hash64(key) & (a->cap - 1); a->t[i].key && a->t[i].key != key;
	     i = (i + 1) & (a->cap - 1))
		;
	if (!a->t[i].key) {
		a->t[i].key = key;
		a->t[i].ex = *e;
		a->len++;
	}
	a->t[i].count++;
	a->t[i].bytes += alloc_bytes(a, e);
	return 0;
}

/* Frames of an entry, leaf first; returns how many (at most max). */
static int frames_of(const struct kmt_defs *d, const struct kmt_event *e, __u64 *ips,
		     char names[][160], int max)
{
	const struct kmt_stack *st = e->stack_id >= 0 ? kmt_defs__stack(d, e->stack_id) : NULL;
	int n = 0;
	bool started = false;

	for (__u32 i = 0; st && i < st->nr && n < max; i++) {
		const struct kmt_sym *s = kmt_defs__sym(d, st->ips[i]);

		/* the BPF program and the tracepoint machinery come first: skip them */
		if (!started && (!s || !s->name[0] || !strncmp(s->name, "bpf_prog_", 9) ||
				 !strncmp(s->name, "bpf_trace_run", 13) || !strncmp(s->name, "__bpf", 5)))
			continue;
		started = true;
		ips[n] = st->ips[i];
		if (s && s->name[0])
			snprintf(names[n], 160, "%.100s%s%.50s%s", s->name, s->module[0] ? " [" : "",
				 s->module, s->module[0] ? "]" : "");
		else
			snprintf(names[n], 160, "0x%llx", (unsigned long long)st->ips[i]);
		n++;
	}
	if (n)
		return n;
	if (e->call_site) {
		const struct kmt_sym *s = kmt_defs__sym(d, e->call_site);

		ips[0] = e->call_site;
		if (s && s->name[0])
			snprintf(names[0], 160, "%s", s->name);
		else
			snprintf(names[0], 160, "0x%llx", (unsigned long long)e->call_site);
		return 1;
	}
	ips[0] = 0;
	snprintf(names[0], 160, "[%s, no stack]", kmt_event_type_name(e->type));
	return 1;
}

/* ---- folded ---- */

static int write_folded(struct trace_reader *r, struct agg *a, FILE *out, bool by_count)
{
	static __u64 ips[KMT_MAX_STACK_DEPTH];
	static char names[KMT_MAX_STACK_DEPTH][160];

	for (size_t i = 0; i < a->cap; i++) {
		const struct agg_ent *en = &a->t[i];
		int n;

		if (!en->key)
			continue;
		n = frames_of(trace_reader__defs(r), &en->ex, ips, names, KMT_MAX_STACK_DEPTH);
		for (int k = n - 1; k >= 0; k--) {
			/* ';' separates frames: keep it out of names */
			for (char *c = names[k]; *c; c++)
				if (*c == ';')
					*c = ':';
			fprintf(out, "%s%s", names[k], k ? ";" : "");
		}
		fprintf(out, " %llu\n", (unsigned long long)(by_count ? en->count : en->bytes));
	}
	return ferror(out) ? -EIO : 0;
}

/* ---- pprof: a minimal protobuf writer ---- */

struct pb {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void pb_put(struct pb *b, const void *v, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		void *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void pb_varint(struct pb *b, __u64 v)
{
	unsigned char buf[10];
	int n = 0;

	do {
		buf[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
	} while (v);
	pb_put(b, buf, n);
}

static void pb_uint(struct pb *b, int field, __u64 v)
{
	pb_varint(b, (__u64)field << 3);
	pb_varint(b, v);
}

static void pb_bytes(struct pb *b, int field, const void *v, size_t n)
{
	pb_varint(b, (__u64)field << 3 | 2);
	pb_varint(b, n);
	pb_put(b, v, n);
}

static void pb_msg(struct pb *b, int field, struct pb *m)
{
	pb_bytes(b, field, m->p, m->len);
	if (m->err)
		b->err = m->err;
	m->len = 0;
}

/* interning tables for strings, functions and locations: key -> id from 1 */
struct intern {
	struct kmt_map map;
	__u32 len;
};

static int intern(struct intern *t, __u64 key, bool *fresh)
{
	__u32 *id = kmt_map__get(&t->map, key);

	*fresh = !id;
	if (id)
		return *id;
	if (kmt_map__put(&t->map, key, t->len + 1))
		return -1;
	return ++t->len;
}

static void intern_free(struct intern *t)
{
	kmt_map__free(&t->map);
}

struct pprof {
	struct pb prof, tmp, tmp2, strings;
	struct intern str, fn, loc;
};

/* The string table index of s (0 is ""). */
static __u64 str_id(struct pprof *p, const char *s)
{
	bool fresh;
	int id;

	if (!*s)
		return 0;
	id = intern(&p->str, kmt_hash_str(s), &fresh);
	if (id < 0)
		return 0;
	if (fresh)
		pb_bytes(&p->strings, 6, s, strlen(s));
	return id;
}

static __u64 location(struct pprof *p, __u64 addr, const char *name)
{
	__u64 fkey = kmt_hash_str(name), fid, lid;
	bool fresh;
	int id;

	id = intern(&p->fn, fkey, &fresh);
	if (id < 0)
		return 0;
	fid = id;
	if (fresh) {
		__u64 sid = str_id(p, name);

		pb_uint(&p->tmp, 1, fid);
		pb_uint(&p->tmp, 2, sid);
		pb_uint(&p->tmp, 3, sid);
		pb_msg(&p->prof, 5, &p->tmp);
	}
	id = intern(&p->loc, addr ^ (fkey << 1), &fresh);
	if (id < 0)
		return 0;
	lid = id;
	if (fresh) {
		pb_uint(&p->tmp, 1, lid);
		pb_uint(&p->tmp, 3, addr);
		pb_uint(&p->tmp2, 1, fid);
		pb_msg(&p->tmp, 4, &p->tmp2);
		pb_msg(&p->prof, 4, &p->tmp);
	}
	return lid;
}

static int write_pprof(struct trace_reader *r, struct agg *a, const char *path, __u64 t0,
		       __u64 dur)
{
	static __u64 ips[KMT_MAX_STACK_DEPTH];
	static char names[KMT_MAX_STACK_DEPTH][160];
	struct pprof p = {};
	gzFile gz;
	int err = 0;

	/* string 0 is "" */
	pb_bytes(&p.strings, 6, "", 0);
	/* sample types: alloc_objects/count, alloc_space/bytes */
	pb_uint(&p.tmp, 1, str_id(&p, "alloc_objects"));
	pb_uint(&p.tmp, 2, str_id(&p, "count"));
	pb_msg(&p.prof, 1, &p.tmp);
	pb_uint(&p.tmp, 1, str_id(&p, "alloc_space"));
	pb_uint(&p.tmp, 2, str_id(&p, "bytes"));
	pb_msg(&p.prof, 1, &p.tmp);
	for (size_t i = 0; i < a->cap; i++) {
		const struct agg_ent *en = &a->t[i];
		struct pb locs = {}, vals = {};
		int n;

		if (!en->key)
			continue;
		n = frames_of(trace_reader__defs(r), &en->ex, ips, names, KMT_MAX_STACK_DEPTH);
		for (int k = 0; k < n; k++)	/* leaf first, as pprof wants */
			pb_varint(&locs, location(&p, ips[k], names[k]));
		pb_varint(&vals, en->count);
		pb_varint(&vals, en->bytes);
		pb_bytes(&p.tmp, 1, locs.p, locs.len);
		pb_bytes(&p.tmp, 2, vals.p, vals.len);
		free(locs.p);
		free(vals.p);
		pb_msg(&p.prof, 2, &p.tmp);
	}
	pb_uint(&p.prof, 9, t0);
	pb_uint(&p.prof, 10, dur);
	pb_uint(&p.tmp, 1, str_id(&p, "space"));
	pb_uint(&p.tmp, 2, str_id(&p, "bytes"));
	pb_msg(&p.prof, 11, &p.tmp);
	/* the string table last: every string is interned by now */
	pb_put(&p.prof, p.strings.p, p.strings.len);
	err = p.prof.err ?: p.strings.err ?: p.tmp.err;
	if (!err) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		gz = fd >= 0 ? gzdopen(fd, "wb") : NULL;
		if (!gz && fd >= 0)
			close(fd);
		if (!gz || gzwrite(gz, p.prof.p, p.prof.len) != (int)p.prof.len)
			err = -EIO;
		if (gz && gzclose(gz) != Z_OK)
			err = -EIO;
	}
	free(p.prof.p);
	free(p.tmp.p);
	free(p.tmp2.p);
	free(p.strings.p);
	intern_free(&p.str);
	intern_free(&p.fn);
	intern_free(&p.loc);
	return err;
}

/* ---- csv ---- */

static int write_csv(struct trace_reader *r, FILE *out, __u64 interval_ns, __u32 page_size)
{
	__u64 cnt[KMT_EV_MAX] = {}, slab = 0, page = 0, t0 = 0, next = 0;
	struct agg a = { .page_size = page_size };
	struct kmt_event e;
	int n;

	fprintf(out, "t_s");
	for (int t = 1; t < KMT_EV_MAX; t++)
		fprintf(out, ",%s", kmt_event_type_name(t));
	fprintf(out, ",slab_bytes_alloc,page_bytes_alloc\n");
	while ((n = trace_reader__next(r, &e)) > 0) {
		if (!t0) {
			t0 = e.ts;
			next = t0 + interval_ns;
		}
		while (e.ts >= next) {
			fprintf(out, "%.3f", (next - interval_ns - t0) / 1e9);
			for (int t = 1; t < KMT_EV_MAX; t++)
				fprintf(out, ",%llu", (unsigned long long)cnt[t]);
			fprintf(out, ",%llu,%llu\n", (unsigned long long)slab, (unsigned long long)page);
			memset(cnt, 0, sizeof(cnt));
			slab = page = 0;
			next += interval_ns;
		}
		if (e.type < KMT_EV_MAX)
			cnt[e.type]++;
		if (is_sample(&e) && (e.type == KMT_EV_KMALLOC || e.type == KMT_EV_CACHE_ALLOC))
			slab += alloc_bytes(&a, &e);
		else if (is_sample(&e) && e.type == KMT_EV_PAGE_ALLOC)
			page += alloc_bytes(&a, &e);
	}
	if (t0) {
		fprintf(out, "%.3f", (next - interval_ns - t0) / 1e9);
		for (int t = 1; t < KMT_EV_MAX; t++)
			fprintf(out, ",%llu", (unsigned long long)cnt[t]);
		fprintf(out, ",%llu,%llu\n", (unsigned long long)slab, (unsigned long long)page);
	}
	return n < 0 ? n : ferror(out) ? -EIO : 0;
}

/* ---- entry ---- */

int export_fmt__write(struct trace_reader *r, const struct export_fmt_opts *o)
{
	struct agg a = { .page_size = o->page_size ? o->page_size : 4096 };
	__u64 t0 = 0, t1 = 0;
	struct kmt_event e;
	FILE *out = stdout;
	int n, err = 0;

	if (o->format == EXPORT_CSV || o->format == EXPORT_FOLDED) {
		/* exports may name kernel addresses: 0600 like traces */
		int fd = o->path && strcmp(o->path, "-") ?
			 open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : 1;

		if (fd < 0 || !(out = fd == 1 ? stdout : fdopen(fd, "w")))
			return -errno;
	}
	if (o->format == EXPORT_CSV) {
		err = write_csv(r, out, o->interval_ns ? o->interval_ns : 1000000000ull, a.page_size);
		goto done;
	}
	while ((n = trace_reader__next(r, &e)) > 0) {
		if (!t0)
			t0 = e.ts;
		t1 = e.ts;
		if (is_sample(&e) && (err = agg_add(&a, &e)))
			break;
	}
	if (!err && n < 0)
		err = n;
	if (!err && o->format == EXPORT_FOLDED)
		err = write_folded(r, &a, out, o->by_count);
	else if (!err && o->format == EXPORT_PPROF)
		err = write_pprof(r, &a, o->path, o->t0_realtime_ns + t0, t1 - t0);
done:
	free(a.t);
	if (out != stdout && fclose(out) && !err)
		err = -EIO;
	return err;
}
