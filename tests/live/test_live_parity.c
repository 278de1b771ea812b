// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parity with perf kmem stat: the same perf.data, converted with `perf script`
 * and `kmmtrace import`, gives exactly the totals `perf kmem --slab --page stat`
 * prints (each total line compared as text). Needs root and perf.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../test.h"

/* The "Total ...", "Net ...", "Internal ...", "Cross ..." lines of a command's output. */
static char *totals(const char *cmd)
{
	char *out = calloc(1, 8192), line[512];
	size_t n = 0;
	FILE *p = popen(cmd, "r");

	while (p && out && fgets(line, sizeof(line), p)) {
		if (strncmp(line, "Total", 5) && strncmp(line, "Net", 3) &&
		    strncmp(line, "Internal", 8) && strncmp(line, "Cross", 5))
			continue;
		if (n + strlen(line) < 8191)
			n += snprintf(out + n, 8192 - n, "%s", line);
	}
	if (p)
		pclose(p);
	return out;
}

TEST(live_parity_with_perf_kmem_stat)
{
	const char *dir = kmt_test__tmpdir(), *bin = kmt_test__binary();
	char cmd[2048], *perf_t, *kmt_t;

	if (geteuid())
		SKIP("needs root");
	if (system("command -v perf >/dev/null 2>&1"))
		SKIP("perf is not installed (apt-get install linux-perf)");
	snprintf(cmd, sizeof(cmd), "cd %s && perf record -q -a -e kmem:kmalloc,kmem:kfree,"
		 "kmem:kmem_cache_alloc,kmem:kmem_cache_free,kmem:mm_page_alloc,kmem:mm_page_free "
		 "-o p.data -- %s workload -q -n 300 slab pages >/dev/null 2>&1 && "
		 "perf script -i p.data > p.txt 2>/dev/null && %s import -o p.kmt p.txt "
		 ">/dev/null 2>&1", dir, bin, bin);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && perf kmem -i p.data --slab --page stat 2>/dev/null",
		 dir);
	perf_t = totals(cmd);
	snprintf(cmd, sizeof(cmd), "cd %s && %s report p.kmt 2>/dev/null", dir, bin);
	kmt_t = totals(cmd);
	fprintf(stdout, "%s", kmt_t);
	ASSERT_GT(strlen(perf_t), 200);		/* both summaries were printed */
	ASSERT_STREQ(kmt_t, perf_t);
	free(perf_t);
	free(kmt_t);
}
