// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz harness: the input is a trace file (docs/FORMAT.md). It is opened with
 * the trace reader, every event is read (up to FUZZ_MAX_EVENTS), every META
 * item goes through tracemeta and the META decoders of sysinfo, and the
 * analyses that consume a trace run on it: the lint engine and the vmalloc
 * analysis on the events read, then, when the whole trace is that short,
 * report__run or replay__run (one of them per input, picked by the input's
 * CRC like their options; each reads the trace again).
 *
 * So that mutations reach the decoders rather than die on a CRC, the harness
 * rewrites the header and payload CRCs of every frame it can find before
 * writing the file, unless bit 0 of byte 20 of the file header (reserved,
 * ignored by readers) is set: those inputs test the CRC checks themselves.
 */
#include <errno.h>
#include <zlib.h>
#include "fuzz.h"
#include "codec.h"
#include "context.h"
#include "defs.h"
#include "frames.h"
#include "lint.h"
#include "lint_env.h"
#include "replay.h"
#include "report.h"
#include "slab.h"
#include "svgplot.h"
#include "sysinfo.h"
#include "trace.h"
#include "tracemeta.h"
#include "vmalloc.h"

#define FUZZ_MAX_EVENTS		20000
/* The replay's model takes a byte per page of every zone: larger layouts are skipped. */
#define FUZZ_MAX_ZONE_PAGES	(1ull << 18)

static volatile __u64 sink;	/* keeps results alive */

static void use_str(const char *s)
{
	sink += s ? strlen(s) : 0;
}

/* Every snapshot through the parser its analyses use. */
static void snapshots(const struct trace_reader *r, const struct tracemeta *m)
{
	const void *v;
	__u32 vlen;

	for (unsigned int i = 0; (v = trace_reader__meta(r, KMT_META_SNAPSHOT, i, &vlen)); i++) {
		const char *name, *text;
		size_t tlen;
		__u8 ph;

		if (sysinfo__snapshot_decode(v, vlen, &ph, &name, &text, &tlen))
			continue;
		if (!strcmp(name, SYSINFO_SNAP_BUDDYINFO)) {
			struct buddy_row rows[8];

			sink += parse_buddyinfo(text, rows, 8);
		} else if (!strcmp(name, SYSINFO_SNAP_ZONEINFO)) {
			struct kmt_zone_info z[8];

			sink += parse_zoneinfo(text, z, 8);
		} else if (!strcmp(name, SYSINFO_SNAP_PAGETYPEINFO)) {
			struct pagetype_info pi;

			sink += parse_pagetypeinfo(text, &pi);
		} else if (!strcmp(name, SYSINFO_SNAP_SLABINFO)) {
			struct slab_model_opts o = { .sz = sizeof(o), .page_size = 4096,
						     .nr_cpus = m->nr_cpus };
			struct slab_model *sm = slab_model__new(&o, NULL);

			if (sm)
				sink += slab_model__load_slabinfo(sm, text, tlen, ph & 1);
			slab_model__free(sm);
		}
	}
}

/* FREEMAP and FREEMAP_TIMES items, and the orders they make per zone. */
static void freemaps(const struct trace_reader *r, const struct tracemeta *m)
{
	const struct kmt_zone_info *zones;
	const void *v;
	__u32 vlen, zlen;

	zones = trace_reader__meta(r, KMT_META_ZONES, 0, &zlen);
	for (unsigned int i = 0; (v = trace_reader__meta(r, KMT_META_FREEMAP, i, &vlen)); i++) {
		struct freemap fm;
		__u8 ph;

		if (freemap__decode(v, vlen, &ph, &fm))
			continue;
		for (__u32 z = 0; zones && z < zlen / sizeof(*zones) && z < 16; z++) {
			__u64 counts[SYSINFO_MAX_ORDERS] = {};
			__u64 start = zones[z].start_pfn, span = zones[z].spanned;

			if (span > FUZZ_MAX_ZONE_PAGES)
				continue;
			freemap__to_orders(&fm, start, start + span,
					   m->nr_page_orders < SYSINFO_MAX_ORDERS ?
					   m->nr_page_orders : SYSINFO_MAX_ORDERS, counts);
			sink += counts[0];
		}
		freemap__free(&fm);
	}
	for (unsigned int i = 0; (v = trace_reader__meta(r, KMT_META_FREEMAP_TIMES, i, &vlen));
	     i++) {
		struct freemap_read *reads;
		size_t nr;
		__u8 ph;

		if (!freemap_times__decode(v, vlen, &ph, &reads, &nr)) {
			sink += nr;
			free(reads);
		}
	}
}

static void metadata(const struct trace_reader *r, struct tracemeta *m)
{
	static const char *const names[] = {
		SYSINFO_SNAP_BUDDYINFO, SYSINFO_SNAP_PAGETYPEINFO, SYSINFO_SNAP_SLABINFO,
		SYSINFO_SNAP_VMALLOCINFO, SYSINFO_SNAP_VMSTAT, SYSINFO_SNAP_ZONEINFO,
		SYSINFO_SNAP_MEMINFO, SYSINFO_SNAP_EXTFRAG_INDEX, SYSINFO_SNAP_UNUSABLE_INDEX,
	};
	char buf[256];
	size_t len;

	tracemeta__load(r, m);
	for (__u16 key = 0; key <= KMT_META_MAX; key++) {
		tracemeta__text(r, key, buf, sizeof(buf));
		use_str(buf);
	}
	for (int ph = 0; ph < 2; ph++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			use_str(tracemeta__snapshot(r, ph, names[i], &len));
	for (int mt = -1; mt <= KMT_MAX_MIGRATETYPES; mt++)
		use_str(tracemeta__mt_name(m, mt, buf, sizeof(buf)));
	snapshots(r, m);
	freemaps(r, m);
}

/* What the printing commands look up for an event. */
static void event_lookups(const struct trace_reader *r, const struct tracemeta *m,
			  const struct kmt_event *e, bool stack)
{
	const struct kmt_stack *s;
	char buf[512];

	use_str(kmt_event_type_name(e->type));
	use_str(kmt_event_type_group(e->type));
	tracemeta__sym_name(r, e->call_site, buf, sizeof(buf));
	use_str(buf);
	gfp_format(m->gfp, m->nr_gfp, e->gfp, buf, sizeof(buf));
	use_str(buf);
	gfp_format(m->gfp, m->nr_gfp, e->gfp, buf, 8);		/* cut short */
	context__format(e->ctx, buf, sizeof(buf));
	use_str(buf);
	use_str(context__class(e->ctx));
	use_str(tracemeta__mt_name(m, e->mt, buf, sizeof(buf)));
	if (trace_reader__task(r, e->tid))
		use_str(trace_reader__task(r, e->tid)->comm);
	if (trace_reader__cache(r, e->aux))
		use_str(trace_reader__cache(r, e->aux)->name);
	if (!stack)
		return;
	s = trace_reader__stack(r, e->stack_id);
	for (__u32 i = 0; s && i < s->nr && i < KMT_MAX_STACK_DEPTH; i++) {
		frames__sym_name(trace_reader__defs(r), s->ips[i], buf, sizeof(buf));
		use_str(buf);
	}
	frames__site(trace_reader__defs(r), e->stack_id, buf, sizeof(buf));
	use_str(buf);
}

/* Suppressions of every rule, parsed once (the process keeps them). */
static const struct lint_suppression *suppressions(int *n)
{
	static struct lint_suppression *s;
	static int nr = -1;
	char text[4096], why[256];
	size_t len = 0;

	if (nr < 0) {
		for (int i = 0; i < LINT_NR_RULES; i++)
			len += snprintf(text + len, sizeof(text) - len, "%s %s  # fuzz\n",
					lint_rules[i].id, i & 1 ? "*" : "kvmalloc_node_noprof");
		snprintf(text + len, sizeof(text) - len, "* alloc_pipe_info\n");
		if (lint__parse_suppressions(text, &s, &nr, why, sizeof(why)))
			abort();
	}
	*n = nr;
	return s;
}

static void on_new(void *ctx, const struct lint *l, const struct lint_finding *f)
{
	char buf[256];

	lint__gfp_name(l, f->example.gfp, buf, sizeof(buf));
	use_str(buf);
	use_str(f->site);
}

static const struct kmt_cache_def *cache_def(void *ctx, __u64 cache)
{
	return trace_reader__cache(ctx, cache);
}

/* A slab model fed the events as the report feeds it; its invariants must hold. */
static struct slab_model *slab_new(struct trace_reader *r, const struct tracemeta *m)
{
	struct slab_model_opts o = {
		.sz = sizeof(o), .page_size = m->page_size ? m->page_size : 4096,
		.nr_cpus = m->nr_cpus, .infer_page_offset = true, .cache_def = cache_def,
		.cache_def_ctx = r,
		.gfp_dma = gfp_mask_of(m->gfp, m->nr_gfp, "__GFP_DMA"),
		.gfp_reclaimable = gfp_mask_of(m->gfp, m->nr_gfp, "__GFP_RECLAIMABLE"),
		.gfp_account = gfp_mask_of(m->gfp, m->nr_gfp, "__GFP_ACCOUNT"),
	};
	struct slab_model *s = slab_model__new(&o, NULL);
	const char *text;
	size_t len;

	if (!s)
		abort();
	if ((text = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_SLABINFO, &len)))
		slab_model__load_slabinfo(s, text, len, SLAB_SNAP_START);
	return s;
}

static void slab_done(struct slab_model *s)
{
	struct slab_cache_stats st;
	char err[256];

	if (slab_model__check(s, err, sizeof(err))) {
		fprintf(stderr, "slab model: %s\n", err);
		abort();
	}
	for (int c = 0; c < slab_model__nr_caches(s); c++)
		if (!slab_model__cache_stats(s, c, &st))
			sink += st.live_objs;
	sink += slab_model__mem_bytes(s);
	slab_model__free(s);
}

static void lint_results(struct lint *l)
{
	const struct lint_finding *f;
	char buf[256];
	size_t n;

	f = lint__findings(l, &n);
	for (size_t i = 0; i < n; i++) {
		lint__gfp_name(l, f[i].example.gfp, buf, sizeof(buf));
		use_str(buf);
		use_str(f[i].site);
	}
	use_str(lint__notes(l));
	for (int i = 0, n = 0; lint__suppressions(l, &n) && i < n; i++)
		sink += lint__suppressions(l, &n)[i].used;
	sink += lint__count(l, LINT_INFO) + lint__stats(l)->allocs;
}

static void vmalloc_results(struct vmalloc_an *a, __u32 page_size)
{
	struct vmalloc_thresholds th;

	vmalloc_thresholds__default(&th, page_size ? page_size : 4096);
	for (__u32 s = 0; s < vmalloc_an__nr_sites(a); s++) {
		use_str(vmalloc_an__site_name(a, s));
		sink += vmalloc_an__flags(a, s, &th);
		sink += vmap_model__site(vmalloc_an__model(a), s)->areas;
		sink += vmalloc_an__site_example(a, s) != NULL;
	}
	sink += vmap_model__totals(vmalloc_an__model(a))->live_areas;
	sink += (__u64)vmalloc_an__seconds(a);
}

static void run_report(struct trace_reader *r, __u32 h)
{
	static const char *const sorts[] = { "bytes_alloc", "allocs,-frag", "+lifetime,age",
					     "live_bytes,live,cross,frees,bytes_req" };
	struct report_opts o = { .group = h % 7, .leak_min_age = 0.5 };
	struct report rep;
	char why[256];

	if (h & 0x100)
		o.interval_ns = 1000000;
	if (h & 0x200) {
		snprintf(o.filters[0].key, sizeof(o.filters[0].key), "%s", "context");
		snprintf(o.filters[0].value, sizeof(o.filters[0].value), "%s", "process");
		o.nr_filters = 1;
	}
	trace_reader__rewind(r);
	if (report__run(r, &o, &rep, why, sizeof(why)) == 0) {
		report__sort(rep.slab_groups, rep.nr_slab_groups, sorts[(h >> 4) & 3], why,
			     sizeof(why));
		report__sort(rep.page_groups, rep.nr_page_groups, sorts[(h >> 6) & 3], why,
			     sizeof(why));
		for (size_t i = 0; i < rep.nr_slab_groups; i++)
			sink += report__life_pct(&rep.slab_groups[i], 0.5);
	}
	report__free(&rep);
}

static void run_replay(struct trace_reader *r, __u32 h)
{
	struct replay_opts o = { .pageblock_order = -1 };
	struct replay_result res;
	const struct kmt_zone_info *z;
	__u64 pages = 0;
	char why[256];
	__u32 len;

	z = trace_reader__meta(r, KMT_META_ZONES, 0, &len);
	for (__u32 i = 0; z && i < len / sizeof(*z) && i < REPLAY_MAX_ZONES; i++)
		pages += z[i].spanned > FUZZ_MAX_ZONE_PAGES ? FUZZ_MAX_ZONE_PAGES + 1 : z[i].spanned;
	if (pages > FUZZ_MAX_ZONE_PAGES)
		return;
	if (h & 0x400)
		o.interval_ns = 1000000;
	if (h & 0x800)
		o.no_pcp = true;
	if (h & 0x1000)
		o.pageblock_order = (h >> 13) & 15;
	if (replay__run(r, &o, h & 0x20000, &res, why, sizeof(why)) == 0) {
		FILE *f = fopen("/dev/null", "w");

		if (res.check_err[0]) {	/* the model's invariants hold whatever it is fed */
			fprintf(stderr, "replay --check: %s\n", res.check_err);
			abort();
		}
		for (int zi = 0; f && zi < res.nr_zones; zi++)
			svgplot__replay(f, &res, zi);
		if (f)
			fclose(f);
	}
	replay_result__free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct trace_reader_stats *st;
	const struct lint_suppression *supp;
	struct tracemeta *m = malloc(sizeof(*m));
	struct vmalloc_an *va = NULL;
	struct slab_model *sm = NULL;
	struct lint *l = NULL;
	struct trace_reader *r;
	struct lint_env env;
	struct kmt_event e;
	const char *path, *vmi;
	char msg[256];
	uint8_t *copy;
	size_t n = 0, len;
	int err = 0, ret = 0, nr_supp;
	__u32 h;

	copy = malloc(size ? size : 1);
	if (!m || !copy)
		abort();
	memcpy(copy, data, size);
	fuzz_fix_crcs(copy, size);
	h = (__u32)crc32(0, data, size);	/* picks the analyses' options */
	if (fuzz_file(copy, size, &path))
		goto out;
	r = trace_reader__open(path, &err, msg, sizeof(msg));
	if (!r) {
		if (!msg[0] || err >= 0)
			abort();	/* a refusal always says why */
		goto out;
	}
	metadata(r, m);
	lint_env__from_trace(r, m, 3, &env);	/* as `kmmtrace lint FILE` builds it */
	supp = suppressions(&nr_supp);
	l = h & 2 ? lint__new(&env, supp, nr_supp, on_new, NULL) : lint__new(&env, NULL, 0, NULL, NULL);
	va = vmalloc_an__new(trace_reader__defs(r), m->page_size);
	sm = slab_new(r, m);
	if (!l || !va)
		abort();
	vmi = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_VMALLOCINFO, &len);
	if (vmi)
		vmalloc_an__preload(va, vmi);
	while (n < FUZZ_MAX_EVENTS && (ret = trace_reader__next(r, &e)) > 0) {
		event_lookups(r, m, &e, n < 200);
		lint__event(l, &e);
		vmalloc_an__event(va, &e);
		slab_model__apply(sm, &e);
		n++;
	}
	slab_done(sm);
	lint__finish(l);
	lint_results(l);
	vmalloc_an__finish(va);
	vmalloc_results(va, m->page_size);
	st = trace_reader__stats(r);
	sink += st->events + st->bad_frames + st->truncated;
	if (ret == 0 && n < FUZZ_MAX_EVENTS) {	/* the whole trace was read: it is short */
		if (h & 1)	/* one of the two, for speed: mutations reach both */
			run_report(r, h);
		else
			run_replay(r, h);
		trace_reader__rewind(r);
		if (trace_reader__next(r, &e) > 0)
			sink += e.ts;
	}
	trace_reader__free(r);
out:
	lint__free(l);
	vmalloc_an__free(va);
	free(copy);
	free(m);
	return 0;
}
