/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kmmtrace report --html: one self-contained HTML file with the report, the
 * buddy replay's fragmentation over time, the lint's and the vmalloc
 * analysis' findings, all run over the same trace. The numbers are embedded
 * once as JSON (<script type="application/json" id="kmt-data">), the key ones
 * also as static HTML; tables and charts are drawn by the page's own script
 * with Chart.js, read from Debian's libjs-chart.js at run time and inlined:
 * the page loads nothing from anywhere.
 */
#ifndef __KMT_REPORT_HTML_H
#define __KMT_REPORT_HTML_H

#include "report.h"
#include "trace.h"

/* Where the Chart.js UMD file is looked for, after $KMMTRACE_CHARTJS. */
#define REPORT_HTML_CHARTJS_ENV "KMMTRACE_CHARTJS"

struct report_html_opts {
	const char *out;		/* the HTML file (written 0600) */
	const char *trace;		/* the trace's path, as shown in the page */
	enum report_group group;	/* how rep's groups were made */
	const char *sort;		/* and sorted */
	int lines;			/* rows of the static tables (0: all) */
};

/*
 * Writes the HTML report of trace r, whose report rep was computed already;
 * runs the replay, the lint and the vmalloc analysis over r (rewinding it).
 * 0; -ENOPKG when Chart.js is not installed; another negative errno when the
 * file could not be written. Reasons are printed on stderr.
 */
int report_html__write(const struct report_html_opts *o, struct trace_reader *r,
		       const struct report *rep);

#endif /* __KMT_REPORT_HTML_H */
