// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every command that reads a trace does around it: open it, warn about its
 * health; and what the lint and vmalloc commands share with report --html (cmdutil.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "context.h"
#include "defs.h"
#include "event.h"
#include "frames.h"
#include "lint.h"
#include "sysinfo.h"
#include "trace.h"
#include "tracemeta.h"
#include "vmalloc.h"

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

/* ---- one analysis' pass over a trace ---- */

bool trace_has_vmalloc_events(const struct trace_reader *r)
{
	const struct kmt_event_status *st;
	__u32 len = 0;

	st = trace_reader__meta(r, KMT_META_EVENTS, 0, &len);
	if (!st)
		return true;	/* imported: no event list */
	for (size_t i = 0; i < len / sizeof(*st); i++)
		if (st[i].type == KMT_EV_VMAP_ALLOC)
			return st[i].status == KMT_EVS_ON;
	return false;
}

int vmalloc_trace(struct trace_reader *r, struct vmalloc_an *an)
{
	struct kmt_event e;
	const char *snap;
	size_t len;
	int n;

	/* areas from before the trace, so that their frees are not frees of areas never seen */
	snap = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_VMALLOCINFO, &len);
	if (snap)
		vmalloc_an__preload(an, snap);
	n = trace_reader__rewind(r);
	if (n)
		return n;
	while ((n = trace_reader__next(r, &e)) > 0)
		vmalloc_an__event(an, &e);
	vmalloc_an__finish(an);
	return n;
}

int lint_trace(struct trace_reader *r, struct lint *l, __u64 *t0)
{
	struct kmt_event e;
	int n;

	n = trace_reader__rewind(r);
	if (n)
		return n;
	while ((n = trace_reader__next(r, &e)) > 0) {
		if (!*t0)
			*t0 = e.ts;
		lint__event(l, &e);
	}
	lint__finish(l);
	return n;
}

/* ---- a lint finding in words ---- */

const char *lint_event_type(unsigned int type)
{
	switch (type) {
	case KMT_EV_KMALLOC: return "kmalloc";
	case KMT_EV_CACHE_ALLOC: return "kmem_cache_alloc";
	case KMT_EV_PAGE_ALLOC: return "page";
	case KMT_EV_PERCPU_ALLOC: return "percpu";
	case KMT_EV_VMAP_ALLOC: return "vmalloc";
	}
	return "?";
}

void lint_example_what(const struct kmt_defs *d, const struct kmt_event *e, char *buf,
		       size_t len)
{
	const struct kmt_cache_def *c;

	switch (e->type) {
	case KMT_EV_KMALLOC:
		snprintf(buf, len, "kmalloc %llu bytes (%llu allocated)", (unsigned long long)e->size,
			 (unsigned long long)e->size2);
		break;
	case KMT_EV_CACHE_ALLOC:
		c = kmt_defs__cache(d, e->aux);
		snprintf(buf, len, "kmem_cache_alloc from %s (%llu bytes)",
			 c && c->name[0] ? c->name : "?", (unsigned long long)e->size);
		break;
	case KMT_EV_PAGE_ALLOC:
		snprintf(buf, len, "order-%d pages", e->order);
		break;
	case KMT_EV_PERCPU_ALLOC:
		snprintf(buf, len, "alloc_percpu %llu bytes", (unsigned long long)e->size);
		break;
	case KMT_EV_VMAP_ALLOC:
		snprintf(buf, len, "vmap area of %llu bytes", (unsigned long long)e->size);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

void lint_example_context(const struct kmt_event *e, char *buf, size_t len)
{
	if ((e->ctx & KMT_CTX_PC_KNOWN) && !(e->flags & KMT_EVF_NO_CTX))
		context__format(e->ctx, buf, len);
	else
		snprintf(buf, len, "unknown");
}

int lint_stack_frames(const struct kmt_defs *d, __s32 id, char names[][160], int max)
{
	const struct kmt_stack *s = id >= 0 ? kmt_defs__stack(d, id) : NULL;
	bool started = false;
	int n = 0;

	for (__u32 i = 0; s && i < s->nr && n < max; i++) {
		const struct kmt_sym *sym = kmt_defs__sym(d, s->ips[i]);

		/* the BPF program and its helpers on top: not the allocation's */
		if (!started && (!sym || !sym->name[0] || !strncmp(sym->name, "bpf_", 4) ||
				 !strncmp(sym->name, "__bpf", 5)))
			continue;
		started = true;
		frames__sym_name(d, s->ips[i], names[n++], 160);
	}
	return n;
}
