// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live: `kmmtrace vmalloc` on a recording (with stacks) of the workload's known
 * vmalloc users — 8 BPF array maps of 4 MiB created and destroyed (their value
 * area is vmalloc'ed by bpf_map_area_alloc() for array_map_alloc()) and 200
 * forks (vmap'ed thread stacks, partly from the per-CPU stack cache) — finds
 * them at the right call sites with the right sizes and counts.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "../test.h"
#include "../json.h"

static struct json *vmalloc_json(const char *path, int *status)
{
	char cmd[1024], *text = malloc(8 << 20);
	struct json *j;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s vmalloc -j -n 0 %s 2>/dev/null", kmt_test__binary(), path);
	p = popen(cmd, "r");
	if (!p || !text) {
		free(text);
		return NULL;
	}
	n = fread(text, 1, (8 << 20) - 1, p);
	text[n] = 0;
	*status = pclose(p);
	j = json_parse(text, NULL);
	free(text);
	return j;
}

static const struct json *site(const struct json *j, const char *name)
{
	for (const struct json *s = json_get(j, "sites") ? json_get(j, "sites")->child : NULL; s;
	     s = s->next)
		if (!strcmp(json_str(json_get(s, "site")) ?: "", name))
			return s;
	return NULL;
}

static bool has_flag(const struct json *s, const char *flag)
{
	for (const struct json *f = json_get(s, "flags") ? json_get(s, "flags")->child : NULL; f;
	     f = f->next)
		if (!strcmp(json_str(f) ?: "", flag))
			return true;
	return false;
}

TEST(live_vmalloc_finds_bpf_maps_and_stacks)
{
	char out[512], cmd[1024];
	const struct json *s;
	struct json *j;
	int st;

	NEED_ROOT_BPF();
	if (access("/sys/kernel/tracing/events/vmalloc", F_OK) &&
	    access("/sys/kernel/debug/tracing/events/vmalloc", F_OK))
		SKIP("this kernel has no vmalloc tracepoints (they exist from 6.2)");
	snprintf(out, sizeof(out), "%s/vm.kmt", kmt_test__tmpdir());
	snprintf(cmd, sizeof(cmd), "%s record -q -g -e vmalloc,page -o %s -- sh -c '%s workload -q "
		 "vmalloc fork; sleep 0.5' 2>/dev/null", kmt_test__binary(), out, kmt_test__binary());
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
	j = vmalloc_json(out, &st);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(WEXITSTATUS(st), 0);

	/* every map's 4 MiB of values (+ a page of header, + the guard page) */
	s = site(j, "array_map_alloc");
	ASSERT_TRUE(s != NULL);
	ASSERT_GE(json_num(json_get(s, "areas"), 0), 8);
	ASSERT_GE(json_num(json_get(s, "max_bytes"), 0), (4 << 20) + 4096);
	ASSERT_LE(json_num(json_get(s, "max_bytes"), 0), (4 << 20) + 3 * 4096);
	ASSERT_GE(json_num(json_get(s, "frees"), 0), 8);	/* destroyed (deferred): freed lazily */
	ASSERT_GE(json_num(json_get(s, "big_small_pages"), 0), 8);	/* 4 MiB with 4 KiB pages */
	ASSERT_TRUE(has_flag(s, "4k-not-huge"));
	ASSERT_GE(json_num(json_get(s, "stack_id"), -1), 0);
	/* a 4 MiB area maps 1024 + 1 pages: PTEs at least 8 x 1025 */
	ASSERT_GE(json_num(json_get(s, "ptes"), 0), 8 * 1025);

	/* fork: vmap'ed thread stacks (THREAD_SIZE >= 16 KiB, + guard) from copy_process */
	s = site(j, "copy_process");
	if (!s)
		s = site(j, "dup_task_struct");
	ASSERT_TRUE(s != NULL);
	ASSERT_GE(json_num(json_get(s, "areas"), 0), 1);
	ASSERT_GE(json_num(json_get(s, "min_bytes"), 0), 16384 + 4096);
	ASSERT_EQ(json_num(json_get(s, "min_bytes"), 0), json_num(json_get(s, "max_bytes"), 1));

	/* the totals hold together */
	ASSERT_GE(json_num(json_get(j, "allocs"), 0), 9);
	ASSERT_GE(json_num(json_get(j, "live_areas"), 0), 1);	/* start snapshot areas */
	ASSERT_GE(json_num(json_get(j, "snapshot_areas"), 0), 1);
	json_free(j);

	/* and the lint has nothing to object to but the vmalloc hints */
	snprintf(cmd, sizeof(cmd), "%s lint -m error %s >/dev/null 2>&1", kmt_test__binary(), out);
	ASSERT_EQ(WEXITSTATUS(system(cmd)), 0);
}
