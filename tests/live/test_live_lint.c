// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live lint on this (stock) kernel: during 30 s of mixed load (fork/exit, file
 * I/O, loopback TCP, BPF maps) no error-severity rule fires, live or on the
 * recording of the same load, while the report's context table shows both
 * process and softirq allocations. The in-kernel filter passes the candidates
 * (explicit GFP_NOFS from the file system, with stacks) and little else.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../test.h"
#include "../json.h"

#define LOAD_SECONDS 30

static struct json *read_json(FILE *p, int *status)
{
	size_t cap = 64 << 20, n;
	char *text = malloc(cap);
	struct json *j;

	if (!text)
		return NULL;
	n = fread(text, 1, cap - 1, p);
	text[n] = 0;
	*status = pclose(p);
	j = json_parse(text, NULL);
	free(text);
	return j;
}

static struct json *run_json(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");

	return p ? read_json(p, status) : NULL;
}

static const struct json *finding(const struct json *j, const char *rule)
{
	for (const struct json *f = json_get(j, "findings") ? json_get(j, "findings")->child : NULL;
	     f; f = f->next)
		if (!strcmp(json_str(json_get(f, "rule")) ?: "", rule))
			return f;
	return NULL;
}

static double ctx_total(const struct json *rep, const char *ctx)
{
	for (const struct json *c = json_get(rep, "context") ? json_get(rep, "context")->child : NULL;
	     c; c = c->next)
		if (!strcmp(json_str(json_get(c, "context")) ?: "", ctx))
			return json_num(json_get(c, "may_reclaim"), 0) +
			       json_num(json_get(c, "no_reclaim"), 0);
	return -1;
}

TEST(live_lint_stock_kernel_has_no_errors)
{
	const char *k = kmt_test__binary();
	char out[512], cmd[2048];
	const struct json *f, *errs;
	struct json *live, *off, *rep;
	int st, rst;
	FILE *lp;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/lint.kmt", kmt_test__tmpdir());
	/* live lint for the whole load, started first */
	snprintf(cmd, sizeof(cmd), "%s lint --live -j -d %d 2>%s/lint.err", k, LOAD_SECONDS + 4,
		 kmt_test__tmpdir());
	lp = popen(cmd, "r");
	ASSERT_TRUE(lp != NULL);
	snprintf(cmd, sizeof(cmd),
		 "%s record -q -o %s -- sh -c 'sleep 2; end=$(($(date +%%s) + %d)); "
		 "while [ $(date +%%s) -lt $end ]; do %s workload -q mixed; done' >/dev/null 2>&1",
		 k, out, LOAD_SECONDS, k);
	rst = system(cmd);
	live = read_json(lp, &st);
	ASSERT_EQ(WEXITSTATUS(rst), 0);
	ASSERT_TRUE(live != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 0);	/* 1 would mean an error finding */
	errs = json_get(json_get(live, "summary"), "error");
	ASSERT_EQ(json_num(errs, -1), 0);
	/* the kernel side looked at every allocation and passed few */
	ASSERT_GE(json_num(json_get(json_get(live, "checked"), "allocations"), 0), 100000);
	ASSERT_LT(json_num(json_get(json_get(live, "checked"), "events"), 1e12),
		  json_num(json_get(json_get(live, "checked"), "allocations"), 0) / 10);
	/* candidates do come through, with their stacks: file systems' explicit GFP_NOFS */
	f = finding(live, "explicit-nofs-noio");
	ASSERT_TRUE(f != NULL);
	ASSERT_GE(json_len(json_get(f, "stack")), 3);
	ASSERT_TRUE(finding(live, "sleep-in-atomic") == NULL);
	json_free(live);

	/* offline, every rule over every allocation of the same load */
	snprintf(cmd, sizeof(cmd), "%s lint -j %s 2>/dev/null", k, out);
	off = run_json(cmd, &st);
	ASSERT_TRUE(off != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 0);
	ASSERT_EQ(json_num(json_get(json_get(off, "summary"), "error"), -1), 0);
	ASSERT_GE(json_num(json_get(json_get(off, "checked"), "allocations"), 0), 100000);
	ASSERT_EQ(json_num(json_get(json_get(off, "checked"), "no_context"), -1), 0);
	json_free(off);

	/* context statistics: process and softirq (loopback TCP receive) allocations */
	snprintf(cmd, sizeof(cmd), "%s report -j -n 1 %s 2>/dev/null", k, out);
	rep = run_json(cmd, &st);
	ASSERT_TRUE(rep != NULL);
	ASSERT_GT(ctx_total(rep, "process"), 10000);
	ASSERT_GT(ctx_total(rep, "softirq"), 0);
	json_free(rep);
}
