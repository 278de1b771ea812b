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
int cmd_vmalloc(int argc, char **argv);

struct trace_reader;
/* Opens a trace for command cmd; prints the reason and returns NULL on failure. */
struct trace_reader *open_trace(const char *cmd, const char *path);
/* Warns about truncation, corruption and recorded losses (after a full pass). */
void report_trace_health(const char *cmd, const char *path, const struct trace_reader *r);

#endif /* __KMT_COMMANDS_H */
