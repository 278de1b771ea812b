// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Replay: see replay.h. The model starts from the trace's start free-page map
 * (runs of KPF_BUDDY pages read just before the programs were attached),
 * applies every page event in file order, and is sampled every interval of
 * trace time. The start and end /proc/buddyinfo snapshots measure how far the
 * model is from the kernel; the end debugfs extfrag_index checks the index
 * formulas against the kernel's own arithmetic.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "replay.h"
#include "sysinfo.h"
#include "tracemeta.h"

struct replay {
	struct blame *blame;
	__u64 last_sample_t;
	bool check;
	__u64 end_check_ts;		/* compare with the kernel at this time (0: at the end) */
	bool end_checked;
	struct freemap_read *reads;	/* when the start free-page map read each pfn range */
	size_t nr_reads;
	struct trace_reader *r;
	struct buddy_model *m;
	struct replay_result *res;
	size_t cap;
	__u64 t0;
};

static void seterr(char *why, size_t len, const char *msg, const char *what)
{
	snprintf(why, len, "%s%s%s", msg, what ? ": " : "", what ? what : "");
}

static int load_zones(const struct trace_reader *r, struct replay_result *res)
{
	__u32 len;
	const char *p = trace_reader__meta(r, KMT_META_ZONES, 0, &len);

	if (!p || !len || len % sizeof(struct kmt_zone_info))
		return -ENOENT;
	res->nr_zones = len / sizeof(struct kmt_zone_info);
	if (res->nr_zones > REPLAY_MAX_ZONES)
		res->nr_zones = REPLAY_MAX_ZONES;
	memcpy(res->zones, p, res->nr_zones * sizeof(struct kmt_zone_info));
	return 0;
}

/*
 * The model takes a byte per page of every zone's span (and a little per
 * pageblock): a layout that would not fit in half of this machine's memory is
 * refused with a reason rather than allocated (a damaged ZONES item can claim
 * 2^64 pages).
 */
static int check_model_size(const struct replay_result *res, char *why, size_t wl)
{
	long nr = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	__u64 ram = nr > 0 && psz > 0 ? (__u64)nr * (__u64)psz : 0, pages = 0;

	for (int z = 0; z < res->nr_zones; z++)
		pages = pages + res->zones[z].spanned < pages ? UINT64_MAX
							      : pages + res->zones[z].spanned;
	if (!ram || pages <= ram / 2)
		return 0;
	snprintf(why, wl, "the trace's zones span %llu pages: the model would need %llu MiB, more "
		 "than half of this machine's %llu MiB", (unsigned long long)pages,
		 (unsigned long long)(pages >> 20), (unsigned long long)(ram >> 20));
	return -E2BIG;
}

static bool kconfig_has(const struct trace_reader *r, const char *line)
{
	__u32 len;
	const char *p = trace_reader__meta(r, KMT_META_KCONFIG, 0, &len);
	size_t n = strlen(line);

	for (const char *s = p; s && s + n <= p + len; s++)
		if ((s == p || s[-1] == '\n') && !strncmp(s, line, n) &&
		    (s + n == p + len || s[n] == '\n'))
			return true;
	return false;
}

static int model_opts(const struct trace_reader *r, const struct replay_opts *opts,
		      struct replay_result *res, struct buddy_model_opts *bo, char *why, size_t wl)
{
	struct tracemeta tm;
	__u32 len;
	const char *mts = trace_reader__meta(r, KMT_META_MIGRATETYPES, 0, &len);

	tracemeta__load(r, &tm);
	memset(bo, 0, sizeof(*bo));
	bo->sz = sizeof(*bo);
	bo->nr_page_orders = tm.nr_page_orders;
	bo->pageblock_order = opts->pageblock_order >= 0 ? (unsigned int)opts->pageblock_order
							 : tm.pageblock_order;
	bo->pcp = !opts->no_pcp;
	bo->preempt_rt = tm.preempt_rt;
	if (!bo->nr_page_orders || bo->nr_page_orders > BUDDY_MAX_ORDERS ||
	    bo->pageblock_order >= bo->nr_page_orders) {
		seterr(why, wl, "the trace has no usable page order / pageblock order metadata",
		       NULL);
		return -EINVAL;
	}
	if (!mts || buddy_model_opts__set_mt_names(bo, mts, len)) {
		seterr(why, wl, "the trace's migratetype names are missing or unexpected", NULL);
		return -EINVAL;
	}
	/* pcp_allowed_order(): HPAGE_PMD_ORDER with THP, which is the pageblock order there */
	if (kconfig_has(r, "CONFIG_TRANSPARENT_HUGEPAGE=y"))
		bo->pcp_thp_order = tm.pageblock_order;
	res->nr_orders = bo->nr_page_orders;
	res->pageblock_order = bo->pageblock_order;
	res->thp_order = tm.pageblock_order;
	res->nr_mt = tm.nr_migratetypes < BUDDY_MAX_MT ? tm.nr_migratetypes : BUDDY_MAX_MT;
	for (int i = 0; i < res->nr_mt; i++)
		snprintf(res->mt_names[i], sizeof(res->mt_names[i]), "%s", tm.migratetypes[i]);
	return 0;
}

/* When the start free-page map was read, by pfn range (older traces have none). */
static void load_freemap_times(const struct trace_reader *r, struct replay *rp)
{
	const void *v;
	__u32 len;

	for (unsigned int i = 0; (v = trace_reader__meta(r, KMT_META_FREEMAP_TIMES, i, &len));
	     i++) {
		__u8 phase;

		if (freemap_times__decode(v, len, &phase, &rp->reads, &rp->nr_reads))
			continue;
		if (phase == KMT_PHASE_START)
			return;
		free(rp->reads);
		rp->reads = NULL;
		rp->nr_reads = 0;
	}
}

/*
 * True when the start free-page map already shows the effect of event e: the
 * programs are attached before the map is read, so the first events overlap it.
 * The state of a pfn was sampled at about its place within its read's time span.
 */
static bool reflected_in_start_map(const struct replay *rp, const struct kmt_event *e)
{
	size_t lo = 0, hi = rp->nr_reads;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct freemap_read *rd = &rp->reads[mid];

		if (e->ptr < rd->pfn) {
			hi = mid;
		} else if (e->ptr >= rd->pfn + rd->npfns) {
			lo = mid + 1;
		} else {
			double f = (double)(e->ptr - rd->pfn) / (double)rd->npfns;

			return e->ts < rd->t_begin + (__u64)(f * (rd->t_end - rd->t_begin));
		}
	}
	return false;
}

/* Initial free pages from the start free-page map. */
static int load_freemap(const struct trace_reader *r, struct buddy_model *m)
{
	const void *v;
	__u32 len;

	for (unsigned int i = 0; (v = trace_reader__meta(r, KMT_META_FREEMAP, i, &len)); i++) {
		struct freemap fm = {};
		__u8 phase;

		if (freemap__decode(v, len, &phase, &fm))
			return -EINVAL;
		if (phase == KMT_PHASE_START)
			for (size_t k = 0; k < fm.nr; k++)
				buddy_model__add_free_run(m, fm.runs[k].pfn, fm.runs[k].len);
		freemap__free(&fm);
		if (phase == KMT_PHASE_START)
			return 0;
	}
	return -ENOENT;
}

static void sample_zone(const struct buddy_model *m, int z, const struct replay_result *res,
			struct replay_zone_sample *s)
{
	struct buddy_pageblock_stats pb;
	struct buddy_zone_stats st;
	__u64 ideal[BUDDY_MAX_ORDERS] = {};

	memset(s, 0, sizeof(*s));
	if (buddy_model__zone_stats(m, z, &st))
		return;
	s->free_pages = st.free_pages;
	s->pcp_pages = st.pcp_pages;
	s->largest_order = st.largest_order;
	for (unsigned int o = 0; o < res->nr_orders; o++) {
		s->nr_free[o] = st.nr_free[o];
		s->frag_index[o] = buddy_model__fragmentation_index(m, z, o);
		s->unusable[o] = buddy_model__unusable_index(m, z, o);
	}
	s->extfrag_thp = buddy_model__extfrag_for_order(m, z, res->thp_order);
	s->compaction_score = buddy_model__compaction_score(m, z, res->thp_order);
	s->ideal_largest_order = buddy_model__ideal_free(m, z, ideal);
	for (unsigned int o = res->thp_order; o < res->nr_orders; o++) {
		s->thp_blocks += st.nr_free[o] << (o - res->thp_order);
		s->ideal_thp_blocks += ideal[o] << (o - res->thp_order);
	}
	if (buddy_model__pageblock_stats(m, z, &pb) == 0) {
		memcpy(s->pageblocks_by_mt, pb.by_mt, sizeof(s->pageblocks_by_mt));
		s->mixed_pageblocks = pb.mixed;
	}
}

/* With --check, the model's invariants are verified at every sample (O(pages) each). */
static int take_sample(struct replay *rp, __u64 t)
{
	struct replay_result *res = rp->res;
	struct replay_sample *s;

	if (res->nr_samples == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 64;
		void *n = realloc(res->samples, cap * sizeof(*res->samples));

		if (!n)
			return -ENOMEM;
		res->samples = n;
		rp->cap = cap;
	}
	s = &res->samples[res->nr_samples++];
	s->t = t;
	if (rp->blame) {
		blame__sample(rp->blame, rp->m, t - rp->last_sample_t);
		rp->last_sample_t = t;
	}
	if (rp->check && !res->check_err[0])
		buddy_model__check(rp->m, res->check_err, sizeof(res->check_err));
	for (int z = 0; z < res->nr_zones; z++)
		sample_zone(rp->m, z, res, &s->zone[z]);
	return 0;
}

static double rel_err(__u64 model, __u64 kernel)
{
	if (model == kernel)
		return 0;
	return kernel ? ((double)model - (double)kernel) / (double)kernel : 1.0;
}

/* Model vs a /proc/buddyinfo text, per zone. */
static bool compare_buddyinfo(const struct buddy_model *m, const struct replay_result *res,
			      const char *text, struct replay_check_zone *cz)
{
	struct buddy_row rows[64];
	int n = text ? parse_buddyinfo(text, rows, 64) : -1;
	__u64 reporting_left, adjusted_pages;

	for (int i = 0; i < n && i < 64; i++) {
		for (int z = 0; z < res->nr_zones; z++) {
			struct buddy_zone_stats st;
			struct replay_check_zone *c = &cz[z];

			if (rows[i].node != res->zones[z].node ||
			    strcmp(rows[i].zone, res->zones[z].name) ||
			    buddy_model__zone_stats(m, z, &st))
				continue;
			c->have_kernel = true;
			c->kernel_free_pages = 0;
			c->reporting_blocks = 0;
			reporting_left = REPLAY_REPORTING_BLOCKS;
			adjusted_pages = 0;
			for (unsigned int o = 0; o < res->nr_orders && o < rows[i].nr_orders; o++) {
				__u64 k = rows[i].nr_free[o], lack = 0;

				if (res->page_reporting_order >= 0 &&
				    o >= (unsigned int)res->page_reporting_order &&
				    st.nr_free[o] > k) {
					lack = st.nr_free[o] - k;
					lack = lack < reporting_left ? lack : reporting_left;
					reporting_left -= lack;
				}
				c->reporting[o] = lack;
				c->reporting_blocks += lack;
				c->kernel_nr_free[o] = k;
				c->kernel_free_pages += k << o;
				adjusted_pages += (k + lack) << o;
				c->err_order[o] = rel_err(st.nr_free[o], k + lack);
			}
			c->err_free_pages = rel_err(st.free_pages, adjusted_pages);
		}
	}
	return n > 0;
}

/* One zone's row of a debugfs extfrag file: "-1.000 0.953 ..." into x1000 integers. */
static void parse_index_row(const char *p, unsigned int nr_orders, int *out)
{
	for (unsigned int o = 0; o < nr_orders; o++) {
		double v;
		int used;

		if (sscanf(p, "%lf%n", &v, &used) != 1)
			break;
		p += used;
		out[o] = (int)(v * 1000 + (v < 0 ? -0.5 : 0.5));
	}
}

/*
 * debugfs extfrag/extfrag_index or unusable_index ("Node 0, zone   Normal -1.000
 * ..."): the kernel's own values, next to our formula on the kernel's own end counts.
 */
static void compare_index(const char *text, struct replay_result *res, bool unusable)
{
	for (const char *line = text; line && *line;) {
		char zone[32];
		unsigned int node;
		int off = 0;

		if (sscanf(line, "Node %u, zone %31s%n", &node, zone, &off) == 2) {
			for (int z = 0; z < res->nr_zones; z++) {
				struct replay_check_zone *c = &res->end[z];

				if (res->zones[z].node != node || strcmp(res->zones[z].name, zone) ||
				    !c->have_kernel)
					continue;
				parse_index_row(line + off, res->nr_orders,
						unusable ? c->kernel_unusable : c->kernel_frag_index);
				for (unsigned int o = 0; o < res->nr_orders; o++) {
					if (unusable)
						c->unusable_from_kernel_counts[o] = buddy__unusable_index(
							c->kernel_nr_free, res->nr_orders, o);
					else
						c->index_from_kernel_counts[o] = buddy__fragmentation_index(
							c->kernel_nr_free, res->nr_orders, o);
				}
				if (unusable)
					c->have_unusable = true;
				else
					c->have_index = true;
			}
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
}

static void end_check(struct replay *rp)
{
	size_t len;

	rp->end_checked = true;
	rp->res->have_end = compare_buddyinfo(rp->m, rp->res,
		tracemeta__snapshot(rp->r, KMT_PHASE_END, SYSINFO_SNAP_BUDDYINFO, &len), rp->res->end);
}

/* The recording kernel's page_reporting_order, or -1 (no free page reporting). */
static int page_reporting_order(const struct trace_reader *r)
{
	size_t len;
	const char *t = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_PAGE_REPORTING,
					    &len);
	char buf[16];
	int o;

	if (!t || !len || len >= sizeof(buf))
		return -1;
	memcpy(buf, t, len);
	buf[len] = 0;
	if (sscanf(buf, "%d", &o) != 1 || o < 0 || o >= BUDDY_MAX_ORDERS)
		return -1;
	return o;
}

/* When the end buddyinfo was read while still tracing (newer traces). */
static __u64 end_buddyinfo_time(const struct trace_reader *r)
{
	__u64 t[2];
	__u32 len;
	const void *v = trace_reader__meta(r, KMT_META_END_BUDDYINFO_TIME, 0, &len);

	if (!v || len != sizeof(t))
		return 0;
	memcpy(t, v, sizeof(t));
	return t[0] + (t[1] - t[0]) / 2;
}

static int movable_mt(const struct replay_result *res)
{
	for (int i = 0; i < res->nr_mt; i++)
		if (!strcmp(res->mt_names[i], "Movable"))
			return i;
	return BUDDY_MT_MOVABLE;
}

static void keep_blame(struct replay *rp)
{
	size_t n = 0;
	const struct blame_site *s = rp->blame ? blame__sites(rp->blame, &n) : NULL;

	if (!s || !n)
		return;
	rp->res->blame = malloc(n * sizeof(*s));
	if (rp->res->blame) {
		memcpy(rp->res->blame, s, n * sizeof(*s));
		rp->res->nr_blame = n;
	}
}

static bool is_page_event(__u32 type)
{
	return type >= KMT_EV_PAGE_ALLOC && type <= KMT_EV_PAGE_ALLOC_EXTFRAG;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Applies every page event; samples at each interval boundary of trace time. */
static int replay_events(struct replay *rp, const struct replay_opts *opts, char *why,
			 size_t wl)
{
	__u64 next = 0, iv = opts->interval_ns;
	struct kmt_event e;
	int n, err;

	while ((n = trace_reader__next(rp->r, &e)) > 0) {
		rp->res->events_read++;
		if (!rp->t0) {
			rp->t0 = e.ts;
			next = e.ts < UINT64_MAX - iv ? e.ts + iv : UINT64_MAX;
		}
		/*
		 * The model does not change between events: of several boundaries
		 * crossed at once, the first and the last are enough (a gap, or a
		 * damaged timestamp far ahead, costs two samples, not one per interval).
		 */
		if (iv && e.ts >= next) {
			__u64 last = next + (e.ts - next) / iv * iv;

			if ((err = take_sample(rp, next - rp->t0)))
				return err;
			if (last != next && (err = take_sample(rp, last - rp->t0)))
				return err;
			next = last < UINT64_MAX - iv ? last + iv : UINT64_MAX;
		}
		if (rp->end_check_ts && !rp->end_checked && e.ts >= rp->end_check_ts)
			end_check(rp);
		if (!is_page_event(e.type)) {
			buddy_model__apply(rp->m, &e);	/* its task went on: pcp lock tracking */
			continue;
		}
		if (rp->nr_reads && reflected_in_start_map(rp, &e)) {
			rp->res->skipped_in_map++;
			continue;
		}
		if (rp->blame)
			blame__event(rp->blame, &e);
		buddy_model__apply(rp->m, &e);
		rp->res->events++;
	}
	if (n < 0) {
		snprintf(why, wl, "failed to read the trace: %s", strerror(-n));
		return n;
	}
	return 0;
}

int replay__run(struct trace_reader *r, const struct replay_opts *opts, bool check_invariants,
		struct replay_result *res, char *why, size_t wl)
{
	struct replay rp = { .r = r, .res = res, .check = check_invariants };
	const struct trace_reader_stats *st;
	struct buddy_model_opts bo;
	size_t len;
	double t;
	int err;

	memset(res, 0, sizeof(*res));
	if (load_zones(r, res)) {
		seterr(why, wl, "the trace has no zone layout (KMT_META_ZONES)", NULL);
		return -ENOENT;
	}
	if ((err = model_opts(r, opts, res, &bo, why, wl)) || (err = check_model_size(res, why, wl)))
		return err;
	rp.m = buddy_model__new(&bo, res->zones, res->nr_zones, &err);
	if (!rp.m) {
		seterr(why, wl, "failed to create the buddy model", strerror(-err));
		return err;
	}
	if (load_freemap(r, rp.m))
		seterr(why, wl, "no start free-page map in the trace: the model starts empty", NULL);
	load_freemap_times(r, &rp);
	rp.blame = blame__new(r, movable_mt(res), res->pageblock_order);
	rp.end_check_ts = end_buddyinfo_time(r);
	res->page_reporting_order = page_reporting_order(r);
	res->have_start = compare_buddyinfo(rp.m, res,
		tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_BUDDYINFO, &len), res->start);
	t = cpu_seconds();
	err = trace_reader__rewind(r);
	if (!err)
		err = replay_events(&rp, opts, why, wl);
	res->seconds = cpu_seconds() - t;
	buddy_model__flush(rp.m);
	st = trace_reader__stats(r);
	if (!err)
		err = take_sample(&rp, rp.t0 && st->t_last > rp.t0 ? st->t_last - rp.t0 : 0);
	res->lost = st->lost;
	keep_blame(&rp);
	if (!rp.end_checked)
		end_check(&rp);
	compare_index(tracemeta__snapshot(r, KMT_PHASE_END, SYSINFO_SNAP_EXTFRAG_INDEX, &len), res, false);
	compare_index(tracemeta__snapshot(r, KMT_PHASE_END, SYSINFO_SNAP_UNUSABLE_INDEX, &len), res, true);
	for (int z = 0; z < res->nr_zones && z < REPLAY_MAX_ZONES; z++)
		for (int mt = 0; mt < res->nr_mt; mt++)
			for (unsigned int o = 0; o < res->nr_orders; o++)
				res->end_free_by_mt[z][mt][o] = buddy_model__nr_free(rp.m, z, o, mt);
	res->stats = *buddy_model__stats(rp.m);
	res->model_bytes = buddy_model__mem_bytes(rp.m);
	res->model_pages = buddy_model__pages(rp.m);
	buddy_model__free(rp.m);
	free(rp.reads);
	blame__free(rp.blame);
	return err;
}

void replay_result__free(struct replay_result *res)
{
	free(res->blame);
	res->blame = NULL;
	res->nr_blame = 0;
	free(res->samples);
	res->samples = NULL;
	res->nr_samples = 0;
}
