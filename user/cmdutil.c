// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What every command that reads a trace does around it: open it, warn about its health. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "event.h"
#include "trace.h"

/* Opens a trace for a command; prints the reason and returns NULL on failure. */
struct trace_reader *open_trace(const char *cmd, const char *path)
{
	char msg[256] = "";
	int err = 0;
	struct trace_reader *r = trace_reader__open(path, &err, msg, sizeof(msg));

	if (!r && msg[0] && strstr(msg, path))
		fprintf(stderr, "kmmtrace %s: %s\n", cmd, msg);
	else if (!r && msg[0])
		fprintf(stderr, "kmmtrace %s: %s: %s\n", cmd, path, msg);
	else if (!r)
		fprintf(stderr, "kmmtrace %s: failed to open %s: %s\n", cmd, path, strerror(-err));
	return r;
}

int trace_coverage(const struct trace_reader *r, struct trace_coverage *c)
{
	struct kmt_counters k;
	const void *p;
	__u32 len;

	_Static_assert(KMT_EV_MAX <= 32, "trace_coverage arrays");
	memset(c, 0, sizeof(*c));
	p = trace_reader__meta(r, KMT_META_COUNTERS, 0, &len);
	if (!p || len != sizeof(k))
		return -ENOENT;
	memcpy(&k, p, sizeof(k));
	for (int t = 1; t < KMT_EV_MAX; t++) {
		c->emitted[t] = k.seen[t];
		c->written[t] = k.written[t];
	}
	p = trace_reader__meta(r, KMT_META_PROG_STATS, 0, &len);
	for (__u32 i = 0; p && (i + 1) * sizeof(struct kmt_prog_stat) <= len; i++) {
		struct kmt_prog_stat ps;

		memcpy(&ps, (const char *)p + i * sizeof(ps), sizeof(ps));
		for (int t = 1; t < KMT_EV_MAX; t++) {
			char name[48];

			snprintf(name, sizeof(name), "%s", kmt_event_type_name(t));
			if (!strncmp(ps.name, name, sizeof(ps.name)))
				c->emitted[t] += ps.recursion_misses;
		}
	}
	c->known = 1;
	return 0;
}

void trace_coverage_text(const struct trace_coverage *c, char *buf, size_t len)
{
	static const struct { const char *name; int first, last; } classes[] = {
		{ "slab events", KMT_EV_KMALLOC, KMT_EV_CACHE_FREE },
		{ "page allocations", KMT_EV_PAGE_ALLOC, KMT_EV_PAGE_ALLOC },
		{ "page frees", KMT_EV_PAGE_FREE, KMT_EV_PAGE_FREE_BATCHED },
		{ "other page events", KMT_EV_PAGE_ALLOC_ZONE_LOCKED, KMT_EV_PAGE_ALLOC_EXTFRAG },
		{ "vmalloc events", KMT_EV_VMAP_ALLOC, KMT_EV_VMAP_PURGE },
		{ "percpu events", KMT_EV_PERCPU_ALLOC, KMT_EV_PERCPU_FREE },
		{ "tlb flushes", KMT_EV_TLB_FLUSH, KMT_EV_TLB_FLUSH },
	};
	unsigned long long e = 0, w = 0;
	size_t n;

	if (!c->known) {
		snprintf(buf, len, "coverage unknown (the recording did not finish)");
		return;
	}
	for (int t = 1; t < KMT_EV_MAX; t++) {
		e += c->emitted[t];
		w += c->written[t];
	}
	if (w >= e) {
		snprintf(buf, len, "captured 100 %% of the %llu events the kernel emitted", e);
		return;
	}
	n = snprintf(buf, len, "captured %.2f %% of the %llu events the kernel emitted:",
		     100.0 * w / e, e);
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]) && n < len; i++) {
		unsigned long long ce = 0, cw = 0;

		for (int t = classes[i].first; t <= classes[i].last; t++) {
			ce += c->emitted[t];
			cw += c->written[t];
		}
		if (ce)
			n += snprintf(buf + n, len - n, "%s %.2f %% of %s", n && buf[n - 1] != ':' ?
				      "," : "", 100.0 * cw / ce, classes[i].name);
	}
}

/* Warns on stderr about truncation, corruption and losses after a full pass. */
void report_trace_health(const char *cmd, const char *path, const struct trace_reader *r)
{
	const struct trace_reader_stats *s = trace_reader__stats(r);
	struct kmt_counters k;
	__u64 misses = 0;
	const void *p;
	__u32 len;

	p = trace_reader__meta(r, KMT_META_COUNTERS, 0, &len);
	if (p && len == sizeof(k)) {
		memcpy(&k, p, sizeof(k));
		misses = k.recursion_misses;
	}

	if (s->truncated)
		fprintf(stderr, "kmmtrace %s: warning: %s is truncated at byte %llu; read up to "
			"its last whole chunk\n", cmd, path, (unsigned long long)s->truncated_at);
	else if (!s->finished)
		fprintf(stderr, "kmmtrace %s: warning: %s has no end marker (recording did "
			"not finish)\n", cmd, path);
	if (s->bad_frames)
		fprintf(stderr, "kmmtrace %s: warning: %llu corrupt chunk(s) skipped\n", cmd,
			(unsigned long long)s->bad_frames);
	if (s->lost || misses)
		fprintf(stderr, "kmmtrace %s: warning: %llu events were lost while recording "
			"(%llu ring buffer full, %llu recursion misses)\n", cmd,
			(unsigned long long)(s->lost + misses), (unsigned long long)s->lost,
			(unsigned long long)misses);
	{
		struct trace_coverage c;
		char buf[600];

		if (!trace_coverage(r, &c)) {
			trace_coverage_text(&c, buf, sizeof(buf));
			fprintf(stderr, "kmmtrace %s: coverage: %s\n", cmd, buf);
		}
	}
}
