/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommands: each takes its own argv (argv[0] is the subcommand) and returns an exit code. */
#ifndef __KMT_COMMANDS_H
#define __KMT_COMMANDS_H

#define KMMTRACE_VERSION "0.1.0"

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_workload(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_vmalloc(int argc, char **argv);
int cmd_export(int argc, char **argv);

struct trace_reader;
/* Opens a trace for command cmd; prints the reason and returns NULL on failure. */
struct trace_reader *open_trace(const char *cmd, const char *path);
/* Warns about truncation, corruption and recorded losses (after a full pass). */
void report_trace_health(const char *cmd, const char *path, const struct trace_reader *r);

/*
 * What share of the events the kernel emitted the trace holds, per event type:
 * emitted = counted by the programs (seen) + skipped by recursion (per program).
 */
struct trace_coverage {
	int known;			/* 0: no end counters (recording did not finish) */
	unsigned long long emitted[32];
	unsigned long long written[32];
};
int trace_coverage(const struct trace_reader *r, struct trace_coverage *c);
/* "captured 100 % of the 12345 events the kernel emitted" or per class below 100 %. */
void trace_coverage_text(const struct trace_coverage *c, char *buf, size_t len);

#endif /* __KMT_COMMANDS_H */
