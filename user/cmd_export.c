// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace export: rewrite a trace, optionally with its kernel addresses
 * redacted for sharing.
 *
 * --redact permutes bits 21..46 of every kernel address (objects, call sites,
 * stack frames, symbols, kmem_cache pointers, vmap and percpu addresses) with a
 * keyed 4-round Feistel network: a bijection, so every address keeps its own
 * image (allocations still pair with their frees, call sites with their
 * symbols) and everything within a 2 MiB region keeps its layout (objects stay
 * in their slabs: the slab model still works). The key is random unless --key
 * gives one (the same key redacts several traces consistently). PFNs are
 * physical page numbers, not addresses: they are kept, as the buddy replay needs
 * them; the vmemmap base is dropped and /proc/vmallocinfo's addresses are
 * permuted the same way (its phys= fields removed).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "commands.h"
#include "defs.h"
#include "export_fmt.h"
#include "hash.h"
#include "sysinfo.h"
#include "trace.h"
#include "tracemeta.h"

#define LOW_BITS	21
#define MID_BITS	26	/* bits 21..46: what varies between kernel addresses */
#define HALF		13

struct export {
	bool redact;
	__u64 key[4];
	const char *in, *out;
	struct trace_reader *r;
	struct trace_writer *w;
	struct kmt_defs *sent;	/* definitions written, as written (redacted keys) */
	__u64 events;
};

static const char export_usage[] =
	"usage: kmmtrace export [--redact [--key HEX]] -o OUT FILE\n"
	"       kmmtrace export --format folded|pprof|json|csv [-o OUT] [--count] [-i MS] FILE\n"
	"\n"
	"--format folded: allocations by stack as \"root;...;leaf WEIGHT\" lines for\n"
	"flamegraph.pl, speedscope or inferno, weighted by bytes (--count: by number);\n"
	"pprof: a gzip'd profile.proto (alloc_objects, alloc_space) for pprof, Parca or\n"
	"Pyroscope; json: one JSON object per event (as `dump -j -g`); csv: events per\n"
	"type and bytes allocated per interval (-i, default 1000 ms). Stacks come from\n"
	"`record -g`; without them the call site stands for the stack.\n"
	"\n"
	"Without --format, rewrite a trace. With --redact every kernel address in it (objects, call sites,\n"
	"stacks, symbols' addresses, kmem_cache, vmap and percpu addresses) is replaced by\n"
	"a keyed permutation that keeps 2 MiB regions together: allocations still pair\n"
	"with their frees and objects stay in their slabs, so every analysis works on the\n"
	"result; symbol names are kept. Physical page numbers are kept (the replay needs\n"
	"them). The output is written 0600.\n"
	"\n"
	"  -o, --output FILE   the new trace, or the export (default stdout; pprof needs it)\n"
	"  -f, --format FMT    kmt (default), folded, pprof, json, csv\n"
	"      --count         folded: weight by allocations instead of bytes\n"
	"  -i, --interval MS   csv: the interval (default 1000)\n"
	"      --redact        permute kernel addresses\n"
	"      --key HEX       the permutation's key (default: random), to redact several\n"
	"                      traces the same way\n"
	"  -h, --help          this help\n";

/* ---- the permutation ---- */

static __u32 round_fn(__u32 half, __u64 k)
{
	return kmt_hash64(half ^ k) & ((1u << HALF) - 1);
}

static __u64 permute(const struct export *x, __u64 addr)
{
	__u64 mid = (addr >> LOW_BITS) & ((1ull << MID_BITS) - 1);
	__u32 l = mid >> HALF, r = mid & ((1u << HALF) - 1), t;

	if (!x->redact || !addr || addr == ~0ull)
		return addr;
	for (int i = 0; i < 4; i++) {
		t = r;
		r = l ^ round_fn(r, x->key[i]);
		l = t;
	}
	mid = ((__u64)l << HALF) | r;
	return (addr & ~(((1ull << MID_BITS) - 1) << LOW_BITS)) | (mid << LOW_BITS);
}

/* ---- definitions, each written before the first event that needs it ---- */

static int send_sym(struct export *x, __u64 addr)
{
	const struct kmt_sym *s = trace_reader__sym(x->r, addr);
	const struct kmt_sym *o;
	struct kmt_sym c;

	if (!s || !addr)
		return 0;
	c = *s;
	c.addr = permute(x, s->addr);
	o = kmt_defs__sym(x->sent, c.addr);
	if (o && !memcmp(o, &c, sizeof(c)))
		return 0;
	return kmt_defs__put_sym(x->sent, &c) ?: trace_writer__add_sym(x->w, &c);
}

static int send_defs(struct export *x, const struct kmt_event *e)
{
	const struct kmt_task *t = trace_reader__task(x->r, e->tid), *ot;
	const struct kmt_stack *st = e->stack_id >= 0 ? trace_reader__stack(x->r, e->stack_id) : NULL;
	int err = 0;

	if (t && (!(ot = kmt_defs__task(x->sent, t->tid)) || memcmp(ot, t, sizeof(*t))))
		err = kmt_defs__put_task(x->sent, t) ?: trace_writer__add_task(x->w, t);
	if (!err && e->call_site)
		err = send_sym(x, e->call_site);
	if (!err && st && !kmt_defs__stack(x->sent, st->id)) {
		struct kmt_stack c = *st;

		for (__u32 i = 0; i < c.nr && !err; i++) {
			err = send_sym(x, st->ips[i]);
			c.ips[i] = permute(x, st->ips[i]);
		}
		if (!err)
			err = kmt_defs__put_stack(x->sent, st) ?: trace_writer__add_stack(x->w, &c);
	}
	if (!err && (e->type == KMT_EV_CACHE_ALLOC || e->type == KMT_EV_CACHE_FREE) && e->aux) {
		const struct kmt_cache_def *d = trace_reader__cache(x->r, e->aux), *od;
		struct kmt_cache_def c;

		if (d) {
			c = *d;
			c.cache = permute(x, d->cache);
			od = kmt_defs__cache(x->sent, c.cache);
			if (!od || memcmp(od, &c, sizeof(c)))
				err = kmt_defs__put_cache(x->sent, &c) ?: trace_writer__add_cache(x->w, &c);
		}
	}
	return err;
}

static void redact_event(const struct export *x, struct kmt_event *e)
{
	e->call_site = permute(x, e->call_site);
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_KFREE:
		e->ptr = permute(x, e->ptr);
		break;
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_CACHE_FREE:
		e->ptr = permute(x, e->ptr);
		e->aux = permute(x, e->aux);
		break;
	case KMT_EV_VMAP_ALLOC:
		e->ptr = permute(x, e->ptr);
		e->aux = permute(x, e->aux);
		e->aux2 = permute(x, e->aux2);
		break;
	case KMT_EV_VMAP_FREE:
		e->ptr = permute(x, e->ptr);
		break;
	case KMT_EV_VMAP_PURGE:
		e->ptr = permute(x, e->ptr);
		e->aux = permute(x, e->aux);
		break;
	case KMT_EV_PERCPU_ALLOC:
	case KMT_EV_PERCPU_FREE:
		e->ptr = permute(x, e->ptr);
		e->aux = permute(x, e->aux);
		break;
	case KMT_EV_PERCPU_CHUNK_CREATE:
	case KMT_EV_PERCPU_CHUNK_DESTROY:
		e->ptr = permute(x, e->ptr);
		break;
	}
}

/* ---- metadata ---- */

/* /proc/vmallocinfo with its ranges permuted and phys= removed; malloc'ed. */
static char *redact_vmallocinfo(const struct export *x, const char *text, size_t len,
				size_t *out_len)
{
	char *out = malloc(len + 1), *o = out;
	const char *p = text, *end = text + len;

	if (!out)
		return NULL;
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		char line[1024], *ph;
		unsigned long long a, b;
		int used = 0;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		if ((ph = strstr(line, " phys=")))
			memmove(ph, ph + strcspn(ph + 1, " ") + 1, strlen(ph + strcspn(ph + 1, " ") + 1) + 1);
		if (sscanf(line, "0x%llx-0x%llx%n", &a, &b, &used) == 2)
			o += snprintf(o, out + len + 1 - o, "0x%llx-0x%llx%s\n",
				      (unsigned long long)permute(x, a),
				      (unsigned long long)permute(x, b - 1) + 1, line + used);
		else
			o += snprintf(o, out + len + 1 - o, "%s\n", line);
		if (o > out + len)
			o = out + len;
		p = eol ? eol + 1 : end;
	}
	*out_len = o - out;
	return out;
}

static int copy_meta(struct export *x)
{
	for (__u16 key = 1; key < KMT_META_MAX + 8; key++) {
		const void *v;
		__u32 len;

		for (unsigned int n = 0; (v = trace_reader__meta(x->r, key, n, &len)); n++) {
			const char *name, *text;
			__u8 phase;
			size_t tlen;
			int err;

			if (x->redact && key == KMT_META_CALIB && len == sizeof(struct kmt_calib)) {
				struct kmt_calib c;

				memcpy(&c, v, sizeof(c));
				c.vmemmap_base = 0;
				err = trace_writer__meta_add(x->w, key, &c, sizeof(c));
			} else if (x->redact && key == KMT_META_SNAPSHOT &&
				   !sysinfo__snapshot_decode(v, len, &phase, &name, &text, &tlen) &&
				   !strcmp(name, SYSINFO_SNAP_VMALLOCINFO)) {
				size_t hl = text - (const char *)v, nl;
				char *red = redact_vmallocinfo(x, text, tlen, &nl);
				char *buf = red ? malloc(hl + nl) : NULL;

				if (!buf) {
					free(red);
					return -ENOMEM;
				}
				memcpy(buf, v, hl);
				memcpy(buf + hl, red, nl);
				err = trace_writer__meta_add(x->w, key, buf, hl + nl);
				free(buf);
				free(red);
			} else {
				err = trace_writer__meta_add(x->w, key, v, len);
			}
			if (err)
				return err;
		}
	}
	return trace_writer__meta_flush(x->w);
}

static int parse_key(struct export *x, const char *hex)
{
	char *end;
	__u64 k = strtoull(hex, &end, 16);

	if (!*hex || *end)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		x->key[i] = kmt_hash64(k + i * 0x9E3779B97F4A7C15ull) ^ (k >> i);
	return 0;
}

/* json: what `dump -j -g` prints; folded, pprof, csv: export_fmt.c */
static int export_other(struct export *x, struct export_fmt_opts *fo)
{
	struct tracemeta m;
	int err;

	if (x->redact) {
		fprintf(stderr, "kmmtrace export: --redact rewrites traces (--format kmt); export "
			"the redacted trace\n");
		return 2;
	}
	if (fo->format == EXPORT_JSON) {
		char *argv[] = { "dump", "-j", "-g", (char *)x->in, NULL };

		if (x->out && strcmp(x->out, "-")) {
			int fd = open(x->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

			if (fd < 0 || dup2(fd, 1) < 0) {
				fprintf(stderr, "kmmtrace export: failed to create %s: %s\n", x->out,
					strerror(errno));
				return 2;
			}
			close(fd);
		}
		return cmd_dump(4, argv) ? 2 : 0;
	}
	x->r = open_trace("export", x->in);
	if (!x->r)
		return 2;
	tracemeta__load(x->r, &m);
	fo->path = x->out;
	fo->page_size = m.page_size;
	fo->t0_realtime_ns = m.clock.realtime_minus_mono > 0 ? m.clock.realtime_minus_mono : 0;
	err = export_fmt__write(x->r, fo);
	if (err)
		fprintf(stderr, "kmmtrace export: %s: %s\n", x->out ? x->out : "stdout",
			strerror(-err));
	report_trace_health("export", x->in, x->r);
	trace_reader__free(x->r);
	return err ? 2 : 0;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "redact", no_argument, NULL, 'R' },
		{ "key", required_argument, NULL, 'K' },
		{ "format", required_argument, NULL, 'f' },
		{ "count", no_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct export x = {};
	struct export_fmt_opts fo = {};
	const char *key = NULL, *fmt = "kmt";
	struct kmt_event e;
	int opt, err = 0, n;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:f:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': x.out = optarg; break;
		case 'f': fmt = optarg; break;
		case 'c': fo.by_count = true; break;
		case 'i': fo.interval_ns = atof(optarg) * 1e6; break;
		case 'R': x.redact = true; break;
		case 'K': key = optarg; break;
		case 'h': fputs(export_usage, stdout); return 0;
		default: fputs(export_usage, stderr); return 2;
		}
	}
	if (!strcmp(fmt, "kmt"))
		fo.format = EXPORT_KMT;
	else if (!strcmp(fmt, "folded"))
		fo.format = EXPORT_FOLDED;
	else if (!strcmp(fmt, "pprof"))
		fo.format = EXPORT_PPROF;
	else if (!strcmp(fmt, "json"))
		fo.format = EXPORT_JSON;
	else if (!strcmp(fmt, "csv"))
		fo.format = EXPORT_CSV;
	else {
		fprintf(stderr, "kmmtrace export: unknown format '%s' (kmt, folded, pprof, json, "
			"csv)\n", fmt);
		return 2;
	}
	if (optind != argc - 1 || ((fo.format == EXPORT_KMT || fo.format == EXPORT_PPROF) && !x.out)) {
		fputs(export_usage, stderr);
		return 2;
	}
	x.in = argv[optind];
	if (fo.format != EXPORT_KMT)
		return export_other(&x, &fo);
	if (key && (!x.redact || parse_key(&x, key))) {
		fprintf(stderr, "kmmtrace export: --key takes a hexadecimal number and needs "
			"--redact\n");
		return 2;
	}
	if (x.redact && !key && getrandom(x.key, sizeof(x.key), 0) != sizeof(x.key)) {
		fprintf(stderr, "kmmtrace export: getrandom: %s\n", strerror(errno));
		return 2;
	}
	x.r = open_trace("export", x.in);
	if (!x.r)
		return 2;
	x.sent = kmt_defs__new();
	x.w = x.sent ? trace_writer__open(x.out, NULL, &err) : NULL;
	if (!x.w) {
		fprintf(stderr, "kmmtrace export: failed to create %s: %s\n", x.out,
			strerror(err ? -err : ENOMEM));
		kmt_defs__free(x.sent);
		trace_reader__free(x.r);
		return 2;
	}
	err = copy_meta(&x);
	while (!err && (n = trace_reader__next(x.r, &e)) > 0) {
		err = send_defs(&x, &e);
		redact_event(&x, &e);
		if (!err)
			err = trace_writer__add_event(x.w, &e);
		x.events++;
		if (!err && !(x.events & 0xffff))
			trace_writer__set_lost(x.w, trace_reader__stats(x.r)->lost);
	}
	if (!err && n < 0)
		fprintf(stderr, "kmmtrace export: %s: stopped reading: %s\n", x.in, strerror(-n));
	if (!err) {
		trace_writer__set_lost(x.w, trace_reader__stats(x.r)->lost);
		err = trace_writer__finish(x.w);
	}
	if (err)
		fprintf(stderr, "kmmtrace export: failed to write %s: %s\n", x.out, strerror(-err));
	else
		fprintf(stderr, "kmmtrace export: %llu events written to %s%s\n",
			(unsigned long long)x.events, x.out, x.redact ? " (addresses redacted)" : "");
	report_trace_health("export", x.in, x.r);
	trace_writer__free(x.w);
	kmt_defs__free(x.sent);
	trace_reader__free(x.r);
	return err ? 2 : 0;
}
