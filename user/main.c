// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace: dispatch to a subcommand (unique prefixes accepted, as in bpftool). */
#include <stdio.h>
#include <string.h>
#include "commands.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "record", cmd_record, "record allocation events into a trace file" },
	{ "dump", cmd_dump, "print a trace's events, one per line (-j: JSON lines)" },
	{ "info", cmd_info, "print a trace's metadata, counts, losses and time span" },
	{ "import", cmd_import, "convert perf script / tracefs / trace-cmd text into a trace" },
	{ "report", cmd_report, "slab and page allocations by call site, cache, GFP, context" },
	{ "lint", cmd_lint, "GFP misuse: sleeping allocations in atomic context, and more" },
	{ "top", cmd_top, "live view: top call sites, caches, page orders, contexts, drops" },
	{ "vmalloc", cmd_vmalloc, "vmap areas by call site: sizes, churn, lazy purges, TLB cost" },
	{ "replay", cmd_replay, "replay page events through a buddy model: fragmentation" },
	{ "export", cmd_export, "rewrite a trace, --redact: kernel addresses permuted for sharing" },
	{ "workload", cmd_workload, "run a built-in deterministic allocation workload" },
	{ "help", cmd_help, "this help" },
	{ "version", cmd_version, "print the version" },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: kmmtrace COMMAND [OPTIONS]\n\n"
	       "Trace Linux kernel memory allocations with eBPF and analyse them offline.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < NR_CMDS; i++)
		printf("  %-10s %s\n", cmds[i].name, cmds[i].help);
	printf("\n'kmmtrace COMMAND --help' lists the options of a command.\n");
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("kmmtrace %s\n", KMMTRACE_VERSION);
	return 0;
}

static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *found = NULL;

	for (size_t i = 0; i < NR_CMDS; i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
		if (!strncmp(cmds[i].name, name, strlen(name))) {
			if (found)
				return NULL;	/* ambiguous */
			found = &cmds[i];
		}
	}
	return found;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc, argv) || argc < 2 ? 2 : 0;
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "kmmtrace: unknown or ambiguous command '%s'; see 'kmmtrace help'\n",
			argv[1]);
		return 2;
	}
	return c->fn(argc - 1, argv + 1);
}
