// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace info: what a trace holds — metadata, counts, losses, time span, damage. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "event.h"
#include "trace.h"
#include "sysinfo.h"
#include "tracemeta.h"

struct info {
	__u64 count[KMT_EV_MAX];
	__u64 events;
	__u64 t_first, t_last;
	__u32 status[KMT_EV_MAX];
	char cmdline[512];
	char filter[256];
	__u64 recursion_misses;	/* summed over programs */
	char misses_by_prog[512];
	char errors[1024];	/* KMT_META_ERRORS: problems met while recording or importing */
	__u64 alloc_pages, free_pages;	/* pages in mm_page_alloc / mm_page_free events */
	bool have_vmstat;
	__u64 pgalloc, pgfree;		/* /proc/vmstat deltas, end - start */
	struct trace_coverage cov;
};

/* pgalloc_* summed, and pgfree, of a /proc/vmstat text */
static void vmstat_pages(const char *text, __u64 *alloc, __u64 *freed)
{
	*alloc = *freed = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char name[64];
		unsigned long long v;

		if (sscanf(p, "%63s %llu", name, &v) != 2)
			continue;
		if (!strncmp(name, "pgalloc_", 8))
			*alloc += v;
		else if (!strcmp(name, "pgfree"))
			*freed = v;
	}
}

static void vmstat_deltas(const struct trace_reader *r, struct info *in)
{
	const char *a = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_VMSTAT, &(size_t){ 0 });
	const char *b = tracemeta__snapshot(r, KMT_PHASE_END, SYSINFO_SNAP_VMSTAT, &(size_t){ 0 });
	__u64 a0, f0, a1, f1;

	if (!a || !b)
		return;
	vmstat_pages(a, &a0, &f0);
	vmstat_pages(b, &a1, &f1);
	in->have_vmstat = a1 >= a0 && f1 >= f0;
	in->pgalloc = a1 - a0;
	in->pgfree = f1 - f0;
}

static int scan(struct trace_reader *r, struct info *in)
{
	struct kmt_event e;
	const void *p;
	__u32 len;
	int n;

	while ((n = trace_reader__next(r, &e)) > 0) {
		if (e.type < KMT_EV_MAX)
			in->count[e.type]++;
		if (e.type == KMT_EV_PAGE_ALLOC && e.ptr != ~0ull && e.order >= 0 && e.order < 32)
			in->alloc_pages += 1ull << e.order;
		else if (e.type == KMT_EV_PAGE_FREE && e.order >= 0 && e.order < 32)
			in->free_pages += 1ull << e.order;
		if (!in->events++ || e.ts < in->t_first)
			in->t_first = e.ts;
		if (e.ts > in->t_last)
			in->t_last = e.ts;
	}
	p = trace_reader__meta(r, KMT_META_EVENTS, 0, &len);
	for (__u32 i = 0; p && i + 1 <= len / sizeof(struct kmt_event_status); i++) {
		struct kmt_event_status st;

		memcpy(&st, (const char *)p + i * sizeof(st), sizeof(st));
		if (st.type < KMT_EV_MAX)
			in->status[st.type] = st.status;
	}
	p = trace_reader__meta(r, KMT_META_PROG_STATS, 0, &len);
	for (__u32 i = 0; p && (i + 1) * sizeof(struct kmt_prog_stat) <= len; i++) {
		struct kmt_prog_stat ps;

		memcpy(&ps, (const char *)p + i * sizeof(ps), sizeof(ps));
		in->recursion_misses += ps.recursion_misses;
		if (ps.recursion_misses) {
			size_t l = strlen(in->misses_by_prog);

			snprintf(in->misses_by_prog + l, sizeof(in->misses_by_prog) - l, " %.*s=%llu",
				 (int)sizeof(ps.name), ps.name,
				 (unsigned long long)ps.recursion_misses);
		}
	}
	vmstat_deltas(r, in);
	trace_coverage(r, &in->cov);
	tracemeta__text(r, KMT_META_CMDLINE, in->cmdline, sizeof(in->cmdline));
	tracemeta__text(r, KMT_META_FILTER, in->filter, sizeof(in->filter));
	tracemeta__text(r, KMT_META_ERRORS, in->errors, sizeof(in->errors));
	for (char *c = in->errors; *c; c++)
		if (*c == '\n' && c[1])
			*c = ';';
	return n;
}

static const char *status_name(__u32 st)
{
	static const char *const names[] = { "off", "on", "missing", "failed" };

	return st < 4 ? names[st] : "?";
}

static void print_plain(const struct trace_reader *r, const struct tracemeta *m,
			const struct info *in)
{
	const struct trace_reader_stats *s = trace_reader__stats(r);
	double span = in->events ? (in->t_last - in->t_first) / 1e9 : 0;

	printf("format:       %u.%u, %llu bytes, %llu chunks\n", s->major, s->minor,
	       (unsigned long long)s->file_size, (unsigned long long)s->chunks);
	printf("kernel:       %s, %u CPUs, page size %u, %u page orders, pageblock order %u%s\n",
	       m->release, m->nr_cpus, m->page_size, m->nr_page_orders, m->pageblock_order,
	       m->preempt_rt ? ", PREEMPT_RT" : "");
	printf("command:      %s\n", in->cmdline);
	printf("filter:       %s\n", in->filter[0] ? in->filter : "none (system-wide)");
	printf("stacks:       %s\n", m->stacks ? "yes" : "no");
	if (m->batch)
		printf("order:        time order (CPUs sent batches of %u records)\n", m->batch);
	else
		printf("order:        as the ring buffer delivered (nearly time order)\n");
	printf("calibration:  preempt base %u, rcu base %d (%s), %u samples, preempt count %s\n",
	       m->calib.pc_base, m->calib.rcu_base, m->calib.rcu_known ? "tracked" : "untracked",
	       m->calib.samples, m->calib.method == 3 ? "loaded directly" :
	       m->calib.method == 1 ? "read by helper" : m->calib.method == 2 ? "from __ksym" :
	       "unknown");
	printf("events:       %llu over %.3f s (%.0f/s), %.2f bytes/event\n",
	       (unsigned long long)in->events, span, span > 0 ? in->events / span : 0.0,
	       in->events ? (double)s->file_size / in->events : 0.0);
	for (int t = 1; t < KMT_EV_MAX; t++) {
		if (!in->count[t] && in->status[t] != KMT_EVS_MISSING &&
		    in->status[t] != KMT_EVS_FAILED)
			continue;
		printf("  %-28s %12llu", kmt_event_type_name(t), (unsigned long long)in->count[t]);
		if (m->has_counters)
			printf("  seen %llu dropped %llu", (unsigned long long)m->counters.seen[t],
			       (unsigned long long)m->counters.dropped[t]);
		printf("%s%s\n", in->status[t] > 1 ? "  " : "",
		       in->status[t] > 1 ? status_name(in->status[t]) : "");
	}
	printf("losses:       %llu dropped%s, %llu recursion misses%s%s%s, %llu stacks lost\n",
	       (unsigned long long)s->lost,
	       m->has_counters ? "" : " (as of the last chunk; no end record)",
	       (unsigned long long)in->recursion_misses, in->misses_by_prog[0] ? " (" : "",
	       in->misses_by_prog[0] ? in->misses_by_prog + 1 : "", in->misses_by_prog[0] ? ")" : "",
	       (unsigned long long)(m->has_counters ? m->counters.stack_fail : 0));
	if (m->has_counters && (m->counters.cache_def_dropped || m->counters.pc_unknown ||
				m->counters.task_dropped || m->counters.stack_lookup_fail ||
				m->counters.bad_records))
		printf("also lost:    %llu cache definitions, %llu task names (retried), %llu "
		       "stacks unreadable, %llu malformed records; %llu events without context\n",
		       (unsigned long long)m->counters.cache_def_dropped,
		       (unsigned long long)m->counters.task_dropped,
		       (unsigned long long)m->counters.stack_lookup_fail,
		       (unsigned long long)m->counters.bad_records,
		       (unsigned long long)m->counters.pc_unknown);
	{
		char buf[600];

		trace_coverage_text(&in->cov, buf, sizeof(buf));
		printf("coverage:     %s\n", buf);
	}
	if (in->have_vmstat)
		printf("vmstat:       pgalloc +%llu pages, pgfree +%llu over the recording; the events "
		       "show %llu pages allocated (%.1f %%) and %llu freed (%.1f %%)%s\n",
		       (unsigned long long)in->pgalloc, (unsigned long long)in->pgfree,
		       (unsigned long long)in->alloc_pages,
		       in->pgalloc ? 100.0 * in->alloc_pages / in->pgalloc : 0.0,
		       (unsigned long long)in->free_pages,
		       in->pgfree ? 100.0 * in->free_pages / in->pgfree : 0.0,
		       in->filter[0] ? " (filtered recording: the events are a subset)" :
		       " (the bulk allocator, alloc_pages_bulk, has no tracepoint)");
	for (const char *l = in->errors; *l;) {
		const char *nl = strchr(l, ';');
		int len = nl ? (int)(nl - l) : (int)strlen(l);

		printf("note:         %.*s\n", len, l);
		l += len + (nl ? 1 : 0);
	}
	printf("integrity:    %s%s, %llu corrupt chunk(s) skipped\n",
	       s->truncated ? "TRUNCATED" : "complete", s->finished ? "" : ", no end marker",
	       (unsigned long long)s->bad_frames);
}

static void print_json(const struct trace_reader *r, const struct tracemeta *m,
		       const struct info *in)
{
	const struct trace_reader_stats *s = trace_reader__stats(r);

	printf("{\"format\":\"%u.%u\",\"file_size\":%llu,\"chunks\":%llu,\"kernel\":\"%s\","
	       "\"nr_cpus\":%u,\"page_size\":%u,\"nr_page_orders\":%u,\"pageblock_order\":%u,"
	       "\"preempt_rt\":%s,\"stacks\":%s,\"batch\":%u,\"events\":%llu,\"t_first\":%llu,\"t_last\":%llu,"
	       "\"lost\":%llu,\"recursion_misses\":%llu,\"truncated\":%s,\"finished\":%s,"
	       "\"bad_chunks\":%llu,\"calibration\":{\"preempt_base\":%u,\"rcu_base\":%d,"
	       "\"rcu_tracked\":%s,\"samples\":%u,\"method\":%u},\"counts\":{",
	       s->major, s->minor, (unsigned long long)s->file_size,
	       (unsigned long long)s->chunks, m->release, m->nr_cpus, m->page_size,
	       m->nr_page_orders, m->pageblock_order, m->preempt_rt ? "true" : "false",
	       m->stacks ? "true" : "false", m->batch, (unsigned long long)in->events,
	       (unsigned long long)in->t_first, (unsigned long long)in->t_last,
	       (unsigned long long)s->lost, (unsigned long long)in->recursion_misses,
	       s->truncated ? "true" : "false",
	       s->finished ? "true" : "false", (unsigned long long)s->bad_frames,
	       m->calib.pc_base, m->calib.rcu_base, m->calib.rcu_known ? "true" : "false",
	       m->calib.samples, m->calib.method);
	for (int t = 1, first = 1; t < KMT_EV_MAX; t++) {
		printf("%s\"%s\":{\"written\":%llu,\"status\":\"%s\"", first ? "" : ",",
		       kmt_event_type_name(t), (unsigned long long)in->count[t],
		       status_name(in->status[t]));
		if (m->has_counters)
			printf(",\"seen\":%llu,\"dropped\":%llu",
			       (unsigned long long)m->counters.seen[t],
			       (unsigned long long)m->counters.dropped[t]);
		printf("}");
		first = 0;
	}
	printf("}");
	if (m->has_counters)
		printf(",\"other_losses\":{\"cache_def_dropped\":%llu,\"task_dropped\":%llu,"
		       "\"stack_fail\":%llu,\"stack_lookup_fail\":%llu,\"bad_records\":%llu,"
		       "\"pc_unknown\":%llu,\"filtered\":%llu}",
		       (unsigned long long)m->counters.cache_def_dropped,
		       (unsigned long long)m->counters.task_dropped,
		       (unsigned long long)m->counters.stack_fail,
		       (unsigned long long)m->counters.stack_lookup_fail,
		       (unsigned long long)m->counters.bad_records,
		       (unsigned long long)m->counters.pc_unknown,
		       (unsigned long long)m->counters.filtered);
	if (in->cov.known) {
		unsigned long long e = 0, w = 0;

		for (int t = 1; t < KMT_EV_MAX; t++) {
			e += in->cov.emitted[t];
			w += in->cov.written[t];
		}
		printf(",\"coverage\":{\"emitted\":%llu,\"written\":%llu}", e, w);
	}
	if (in->have_vmstat)
		printf(",\"vmstat\":{\"pgalloc\":%llu,\"pgfree\":%llu,\"event_alloc_pages\":%llu,"
		       "\"event_free_pages\":%llu}", (unsigned long long)in->pgalloc,
		       (unsigned long long)in->pgfree, (unsigned long long)in->alloc_pages,
		       (unsigned long long)in->free_pages);
	printf("}\n");
}

static const char info_usage[] =
	"usage: kmmtrace info [-j] FILE\n"
	"\n"
	"Print a trace's metadata (kernel, filters, calibration), event counts per type\n"
	"with what the kernel emitted and what was dropped, and whether the file is\n"
	"complete, truncated or damaged.\n"
	"\n"
	"  -j, --json   one JSON object\n"
	"  -h, --help   this help\n";

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, {},
	};
	struct trace_reader *r;
	struct tracemeta m;
	struct info in = {};
	bool json = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'h')
			return fputs(info_usage, stdout) < 0;
		else
			return fputs(info_usage, stderr), 2;
	}
	if (optind != argc - 1)
		return fputs(info_usage, stderr), 2;
	r = open_trace("info", argv[optind]);
	if (!r)
		return 1;
	tracemeta__load(r, &m);
	if ((opt = scan(r, &in)) < 0) {
		fprintf(stderr, "kmmtrace info: failed to read %s: %s\n", argv[optind],
			strerror(-opt));
		trace_reader__free(r);
		return 1;
	}
	if (json)
		print_json(r, &m, &in);
	else
		print_plain(r, &m, &in);
	trace_reader__free(r);
	return 0;
}
