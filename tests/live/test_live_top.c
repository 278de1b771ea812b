// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `kmmtrace top`: its help and usage errors (no root needed), then live, while
 * the churn workload opens, writes and removes files: three JSON screens in
 * batch mode that hold the workload's call site (alloc_empty_file) and cache
 * (filp), page allocations by order, a context split that adds up to the
 * allocations, and the drop counter; and a plain-text batch run with its
 * header and column titles.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../test.h"
#include "../json.h"

/* Runs top with args while churn runs in a loop until top exits. */
static char *top_under_churn(const char *args, int *status)
{
	char cmd[2048];
	const char *k = kmt_test__binary(), *dir = kmt_test__tmpdir();

	snprintf(cmd, sizeof(cmd), "sh -c '(while [ ! -e %s/stop ]; do %s workload -q churn "
		 "--seconds 0.3 >/dev/null 2>&1; done) & timeout 60 %s top %s 2>/dev/null; st=$?; "
		 "touch %s/stop; wait; exit $st'", dir, k, k, args, dir);
	return kmt_test__run(cmd, status);
}

TEST(top_help_and_usage_errors)
{
	char cmd[512], *out;
	int st;

	snprintf(cmd, sizeof(cmd), "%s top --help 2>&1", kmt_test__binary());
	out = kmt_test__run(cmd, &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 0);
	ASSERT_CONTAINS(out, "usage: kmmtrace top");
	ASSERT_CONTAINS(out, "-s, --sort");
	ASSERT_CONTAINS(out, "-n, --lines");
	ASSERT_CONTAINS(out, "-b, --batch");
	ASSERT_CONTAINS(out, "-i, --iterations");
	ASSERT_CONTAINS(out, "-j, --json");
	ASSERT_CONTAINS(out, "-d, --delay");
	free(out);

	/* -j without -b, a bad sort key, an operand: usage errors */
	snprintf(cmd, sizeof(cmd), "%s top -j >/dev/null 2>&1", kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s top -b -s nope >/dev/null 2>&1", kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s top -b -d 0 >/dev/null 2>&1", kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s top -b extra >/dev/null 2>&1", kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
}

static const struct json *named(const struct json *arr, const char *key, const char *prefix)
{
	for (const struct json *r = arr ? arr->child : NULL; r; r = r->next)
		if (!strncmp(json_str(json_get(r, key)) ?: "", prefix, strlen(prefix)))
			return r;
	return NULL;
}

static const char *const classes[] = {
	"process", "rcu", "preempt-off", "bh-off", "softirq", "hardirq", "nmi",
};

/* One screen's own arithmetic: contexts add up to the allocations, orders to the pages. */
static const char *check_screen(const struct json *j)
{
	const struct json *ctx = json_get(j, "context"), *pages = json_get(j, "pages"), *d;
	double sum = 0, allocs, page_sum = 0;

	d = json_get(j, "drops");
	if (!d || d->type != JSON_NUM || !json_get(j, "recursion_misses"))
		return "drops and recursion_misses must be numbers";
	if (!ctx || !pages || !json_get(j, "slab") || !json_get(j, "sites") ||
	    !json_get(j, "caches") || !json_get(ctx, "classes") || !json_get(pages, "orders"))
		return "a section is missing";
	allocs = json_num(json_get(json_get(j, "slab"), "allocs"), -1) +
		 json_num(json_get(pages, "allocs"), -1);
	for (const struct json *c = json_get(ctx, "classes")->child; c; c = c->next) {
		double may = json_num(json_get(c, "may_reclaim"), 0);
		double no = json_num(json_get(c, "no_reclaim"), 0);

		sum += json_num(json_get(c, "allocs"), 0);
		if (!json_get(c, "may_reclaim"))
			return "a context class lacks may_reclaim";
		if (json_get(c, "may_reclaim")->type == JSON_NUM &&
		    may + no != json_num(json_get(c, "allocs"), -1))
			return "may_reclaim + no_reclaim != allocs in a context class";
	}
	for (int i = 0; i < 7; i++)
		if (!named(json_get(ctx, "classes"), "context", classes[i]))
			return "a context class is missing";
	if (sum != json_num(json_get(ctx, "allocs"), -1) || sum != allocs)
		return "the context split does not add up to the slab + page allocations";
	if (json_len(json_get(pages, "orders")) < 1)
		return "no page orders";
	for (const struct json *o = json_get(pages, "orders")->child; o; o = o->next)
		page_sum += json_num(json_get(o, "allocs"), 0);
	if (page_sum != json_num(json_get(pages, "allocs"), -1))
		return "page orders do not add up to the page allocations";
	return NULL;
}

TEST(live_top_json_batch_under_churn)
{
	bool site = false, filp = false, pages = false;
	char *out, *line, *save = NULL;
	int st, screens = 0;

	NEED_ROOT_BPF();
	out = top_under_churn("-b -i 3 -d 0.5 -j", &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json *j = json_parse(line, NULL);
		const struct json *r;
		const char *why;

		if (!j)
			FAIL("screen %d is not JSON: %.200s", screens + 1, line);
		screens++;
		why = check_screen(j);
		if (why)
			FAIL("screen %d: %s", screens, why);
		ASSERT_EQ(json_num(json_get(j, "iteration"), 0), screens);
		r = named(json_get(j, "sites"), "site", "alloc_empty_file+");
		site |= r && json_num(json_get(r, "allocs"), 0) > 0;
		r = named(json_get(j, "caches"), "cache", "filp");
		filp |= r && !strcmp(json_str(json_get(r, "cache")), "filp") &&
			json_num(json_get(r, "allocs"), 0) > 0;
		pages |= json_num(json_get(json_get(j, "pages"), "allocs"), 0) > 0;
		json_free(j);
	}
	free(out);
	ASSERT_EQ(screens, 3);
	ASSERT_TRUE(site);
	ASSERT_TRUE(filp);
	ASSERT_TRUE(pages);
}

TEST(live_top_text_batch)
{
	char *out, *second;
	int st;

	NEED_ROOT_BPF();
	out = top_under_churn("-b -i 2 -d 0.5 -s bytes", &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 0);
	ASSERT_TRUE(strncmp(out, "top ", 4) == 0 || strncmp(out, "kmmtrace top ", 13) == 0);
	ASSERT_TRUE(strcasestr(out, "cpu") != NULL);
	ASSERT_CONTAINS(out, "ev");
	ASSERT_CONTAINS(out, "drops ");
	ASSERT_CONTAINS(out, "recursion ");
	ASSERT_CONTAINS(out, "sort bytes");
	ASSERT_CONTAINS(out, "CALL SITE");
	ASSERT_CONTAINS(out, "CACHE");
	ASSERT_CONTAINS(out, "ALLOCS/S");
	ASSERT_CONTAINS(out, "BYTES/S");
	ASSERT_CONTAINS(out, "FREES/S");
	ASSERT_CONTAINS(out, "LIVE");
	ASSERT_CONTAINS(out, "\norder ");
	ASSERT_CONTAINS(out, "\ncontext ");
	ASSERT_CONTAINS(out, "may-recl/s");
	ASSERT_TRUE(strstr(out, "\x1b[") == NULL);	/* no terminal control in batch mode */
	/* two screens, a blank line between them, none after */
	second = strstr(out, "\n\ntop ");
	if (!second)
		second = strstr(out, "\n\nkmmtrace top ");
	ASSERT_TRUE(second != NULL);
	ASSERT_CONTAINS(second + 2, "CALL SITE");
	ASSERT_TRUE(out[strlen(out) - 1] == '\n' && out[strlen(out) - 2] != '\n');
	free(out);
}

TEST(live_top_needs_root)
{
	char cmd[512], *out;
	int st;

	if (geteuid() || access("/usr/bin/setpriv", X_OK))
		SKIP("needs root and setpriv to drop to an unprivileged user");
	snprintf(cmd, sizeof(cmd), "setpriv --reuid=65534 --regid=65534 --clear-groups %s top -b "
		 "-i 1 2>&1", kmt_test__binary());
	out = kmt_test__run(cmd, &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 1);
	ASSERT_CONTAINS(out, "kmmtrace top: ");
	ASSERT_CONTAINS(out, "root");
	free(out);
}
