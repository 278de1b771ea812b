// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What every command that reads a trace does around it: open it, warn about its health. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
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
}
