// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live: the workload's known allocations (its own process) come out of
 * `kmmtrace report` with the right call sites, caches and sizes.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../test.h"
#include "../json.h"

static struct json *report_json(const char *args, const char *path)
{
	char cmd[1024], *text = malloc(16 << 20);
	struct json *j;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s report -j -n 0 %s %s 2>/dev/null", kmt_test__binary(),
		 args, path);
	p = popen(cmd, "r");
	if (!p || !text) {
		free(text);
		return NULL;
	}
	n = fread(text, 1, (16 << 20) - 1, p);
	text[n] = 0;
	pclose(p);
	j = json_parse(text, NULL);
	free(text);
	return j;
}

static const struct json *group_like(const struct json *groups, const char *prefix)
{
	for (const struct json *g = groups ? groups->child : NULL; g; g = g->next) {
		const char *k = json_str(json_get(g, "key"));

		if (!k)
			k = json_str(json_get(g, "name"));

		if (k && !strncmp(k, prefix, strlen(prefix)))
			return g;
	}
	return NULL;
}

TEST(live_report_finds_the_workload)
{
	char out[512], cmd[1024];
	const struct json *g;
	struct json *j;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/w.kmt", kmt_test__tmpdir());
	snprintf(cmd, sizeof(cmd), "%s record -q --only-command -e slab -o %s -- %s workload -q "
		 "-n 1000 slab 2>/dev/null", kmt_test__binary(), out, kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	/* by call site: every open() allocates a struct file in alloc_empty_file() */
	j = report_json("", out);
	ASSERT_TRUE(j != NULL);
	g = group_like(json_get(j, "slab_groups"), "alloc_empty_file+");
	ASSERT_TRUE(g != NULL);
	ASSERT_GE(json_num(json_get(g, "allocs"), 0), 2000);	/* open + pipe's two files */
	ASSERT_GE(json_num(json_get(g, "frees"), 0), json_num(json_get(g, "allocs"), 0) * 0.9);
	json_free(j);
	/* by cache: struct file comes from "filp", getname() from "names_cache" (4 KiB) */
	j = report_json("-g cache", out);
	ASSERT_TRUE(j != NULL);
	g = group_like(json_get(j, "slab_groups"), "filp");
	ASSERT_TRUE(g != NULL);
	ASSERT_GE(json_num(json_get(g, "allocs"), 0), 2000);
	g = group_like(json_get(j, "slab_groups"), "names_cache");
	ASSERT_TRUE(g != NULL);
	ASSERT_EQ(json_num(json_get(g, "bytes_alloc"), 0) / json_num(json_get(g, "allocs"), 1),
		  4096);
	json_free(j);
	/* the slab model: filp in the caches; pipes' buffer arrays (16 x struct pipe_buffer)
	 * land in a larger kmalloc bucket than a dedicated cache would need */
	j = report_json("", out);
	ASSERT_TRUE(group_like(json_get(j, "caches"), "filp") != NULL);
	for (const struct json *a = json_get(j, "size_class_advice")->child; a; a = a->next) {
		const char *site = json_str(json_get(a, "call_site"));

		if (site && !strncmp(site, "alloc_pipe_info", 15)) {
			ASSERT_GT(json_num(json_get(a, "bucket"), 0),
				  json_num(json_get(a, "dedicated"), 0));
			ASSERT_GT(json_num(json_get(a, "saving"), 0), 0);
		}
	}
	json_free(j);
	/* by comm: it is all the workload's */
	j = report_json("-g comm", out);
	ASSERT_EQ(json_len(json_get(j, "slab_groups")), 1);
	ASSERT_STREQ(json_str(json_get(json_at(json_get(j, "slab_groups"), 0), "key")),
		     "kmmtrace");
	json_free(j);
}

/* The whole of a command's standard output (malloc'd), or NULL. */
static char *cmd_output(const char *cmd, size_t *len)
{
	size_t cap = 1 << 20, n = 0, got;
	char *text = malloc(cap);
	FILE *p = popen(cmd, "r");

	while (text && p && (got = fread(text + n, 1, cap - n - 1, p)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *t = realloc(text, cap *= 2);

			if (!t) {
				free(text);
				text = NULL;
			}
			text = t;
		}
	}
	if (p)
		pclose(p);
	if (text)
		text[n] = 0;
	*len = n;
	return text;
}

/*
 * With two CPUs or more the slab model runs on a thread of its own, fed the
 * chunks the reading thread keeps from the reader (decoded by the reader's
 * helper, or by the reading thread); its answers, interval samples included,
 * are the inline model's to the byte. A system-wide
 * recording of churn, so there are many chunks and kmem_cache definitions
 * arriving as the trace is read.
 */
TEST(live_report_model_thread_same_answers)
{
	char out[512], cmd[1024], *a, *b;
	size_t alen, blen;
	struct json *j;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/churn.kmt", kmt_test__tmpdir());
	snprintf(cmd, sizeof(cmd), "%s record -q -e slab,kmem:mm_page_alloc,kmem:mm_page_free "
		 "-o %s -- %s workload -q churn --seconds 2 >/dev/null 2>&1", kmt_test__binary(),
		 out, kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	snprintf(cmd, sizeof(cmd), "%s info -j %s", kmt_test__binary(), out);
	a = cmd_output(cmd, &alen);
	ASSERT_TRUE(a != NULL);
	j = json_parse(a, NULL);
	free(a);
	ASSERT_TRUE(j != NULL);
	ASSERT_GE(json_num(json_get(j, "chunks"), 0), 3);
	json_free(j);

	snprintf(cmd, sizeof(cmd), "KMMTRACE_REPORT_WORKER=0 %s report -j -n 0 -i 20 %s "
		 "2>/dev/null", kmt_test__binary(), out);
	a = cmd_output(cmd, &alen);
	ASSERT_TRUE(a != NULL);
	j = json_parse(a, NULL);
	ASSERT_TRUE(j != NULL);
	ASSERT_GE(json_len(json_get(j, "caches")), 10);
	ASSERT_GE(json_len(json_get(j, "slab_series")), 20);
	json_free(j);
	/* 2: the reader's helper decodes (three CPUs); 3: the reading thread does (two) */
	for (int mode = 2; mode <= 3; mode++) {
		snprintf(cmd, sizeof(cmd), "KMMTRACE_REPORT_WORKER=%d %s report -j -n 0 -i 20 %s "
			 "2>/dev/null", mode, kmt_test__binary(), out);
		b = cmd_output(cmd, &blen);
		ASSERT_TRUE(b != NULL);
		ASSERT_EQ(alen, blen);
		ASSERT_TRUE(!memcmp(a, b, alen));
		free(b);
	}
	free(a);
}
