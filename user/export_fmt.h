/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* kmmtrace export's formats for other tools: folded stacks, pprof, CSV time series. */
#ifndef __KMT_EXPORT_FMT_H
#define __KMT_EXPORT_FMT_H

#include <stdbool.h>
#include <linux/types.h>
#include "trace.h"

enum export_format { EXPORT_KMT, EXPORT_FOLDED, EXPORT_PPROF, EXPORT_JSON, EXPORT_CSV };

struct export_fmt_opts {
	enum export_format format;
	const char *path;	/* NULL or "-": stdout (not for pprof) */
	bool by_count;		/* folded: weight by allocations, not bytes */
	__u64 interval_ns;	/* csv: 1 s when 0 */
	__u32 page_size;
	__u64 t0_realtime_ns;	/* pprof time_nanos: add to the first event's monotonic time */
};

/* Reads the whole trace (from its current position) and writes the format; 0 or -errno. */
int export_fmt__write(struct trace_reader *r, const struct export_fmt_opts *o);

#endif /* __KMT_EXPORT_FMT_H */
