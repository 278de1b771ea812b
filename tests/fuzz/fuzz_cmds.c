// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz harness: the commands that read a trace, as a user runs them on a bad
 * file (`kmmtrace info|dump|report|lint|vmalloc|replay FILE`, with their
 * printing, JSON and options), their output thrown away. The input is a trace
 * file, its CRCs rewritten as fuzz_trace does; traces of more than
 * FUZZ_MAX_EVENTS events are skipped. Run with -close_fd_mask=3.
 */
#include <getopt.h>
#include <zlib.h>
#include "fuzz.h"
#include "codec.h"
#include "commands.h"
#include "trace.h"

#define FUZZ_MAX_EVENTS		5000
#define FUZZ_MAX_ZONE_PAGES	(1ull << 18)

/* Short enough for the commands, and a zone layout the replay can hold. */
static bool worth_it(const char *path)
{
	struct trace_reader *r = trace_reader__open(path, NULL, NULL, 0);
	const struct kmt_zone_info *z;
	struct kmt_event e;
	__u64 n = 0, pages = 0;
	__u32 len;
	int ret;

	if (!r)
		return true;	/* the refusal is worth a run */
	while (n <= FUZZ_MAX_EVENTS && (ret = trace_reader__next(r, &e)) > 0)
		n++;
	z = trace_reader__meta(r, KMT_META_ZONES, 0, &len);
	for (__u32 i = 0; z && i < len / sizeof(*z); i++)
		pages += z[i].spanned > FUZZ_MAX_ZONE_PAGES ? FUZZ_MAX_ZONE_PAGES + 1 : z[i].spanned;
	trace_reader__free(r);
	return n <= FUZZ_MAX_EVENTS && pages <= FUZZ_MAX_ZONE_PAGES;
}

typedef int (*cmd_fn)(int argc, char **argv);

static void run(cmd_fn fn, const char *const *args, const char *path)
{
	char *argv[16];
	int argc = 0;

	while (args[argc] && argc < 14) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	optind = 0;	/* getopt starts over */
	fn(argc, argv);
	fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const info[] = { "info", NULL }, *const info_j[] = { "info", "-j", NULL };
	static const char *const dump[] = { "dump", "-g", NULL }, *const dump_j[] = { "dump", "-j", "-g", NULL };
	static const char *const rep[] = { "report", "-n", "0", "--leaks", "-i", "1", NULL };
	static const char *const rep_j[] = { "report", "-j", "-g", "context", "-s", "frag,age", NULL };
	static const char *const rep_g[] = { "report", "-g", "order", "-f", "comm=kmmtrace0", NULL };
	static const char *const lint[] = { "lint", NULL }, *const lint_j[] = { "lint", "-j", NULL };
	static const char *const vm[] = { "vmalloc", "-n", "0", NULL };
	static const char *const vm_j[] = { "vmalloc", "-j", "-s", "purges", NULL };
	static const char *const rp[] = { "replay", "-i", "1", NULL };
	static const char *const rp_j[] = { "replay", "-j", "--check", "--no-pcp", NULL };
	static const struct { cmd_fn fn; const char *const *args; } cmds[] = {
		{ cmd_info, info }, { cmd_info, info_j }, { cmd_dump, dump }, { cmd_dump, dump_j },
		{ cmd_report, rep }, { cmd_report, rep_j }, { cmd_report, rep_g },
		{ cmd_lint, lint }, { cmd_lint, lint_j }, { cmd_vmalloc, vm }, { cmd_vmalloc, vm_j },
		{ cmd_replay, rp }, { cmd_replay, rp_j },
	};
	const size_t nr = sizeof(cmds) / sizeof(cmds[0]);
	uint8_t *copy = malloc(size ? size : 1);
	const char *path;
	__u32 h;

	if (!copy)
		abort();
	memcpy(copy, data, size);
	fuzz_fix_crcs(copy, size);
	h = (__u32)crc32(0, data, size);
	if (!fuzz_file(copy, size, &path) && worth_it(path)) {
		run(cmds[h % nr].fn, cmds[h % nr].args, path);
		run(cmds[(h >> 8) % nr].fn, cmds[(h >> 8) % nr].args, path);
	}
	free(copy);
	return 0;
}
