// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live tests: record the built-in workload with the real BPF programs on this
 * kernel and assert on what was captured. They need root and kernel BTF; they
 * skip with the reason elsewhere, but never under CI (CI=true), where a skip
 * would hide a broken capture.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "../test.h"
#include "../json.h"
#include "../build.h"
#include "context.h"
#include "event.h"
#include "trace.h"
#include "tracemeta.h"

/* Runs argv, stderr captured into err (if not NULL); returns the exit status or -1. */
static int run(char *const argv[], char *err, size_t errlen)
{
	int p[2], status;
	pid_t pid;
	size_t n = 0;
	ssize_t r;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		if (!err)
			dup2(open("/dev/null", O_WRONLY), 1);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], err ? err + n : (char[256]){ 0 }, err ? errlen - 1 - n : 256)) > 0)
		if (err)
			n += r;
	if (err)
		err[n] = 0;
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct capture {
	__u64 n[KMT_EV_MAX];
	__u64 pages;			/* pages allocated (sum of 1 << order) */
	__u64 tgid_mismatch;
	__u32 tgid;
	__u64 process_ctx, softirq_ctx, other_ctx, unknown_ctx;
	__u64 allocs, allocs_process;	/* kmalloc, kmem_cache_alloc, mm_page_alloc */
	__u64 reclaim_in_atomic;	/* direct-reclaim GFP in atomic context */
	__u64 with_sym, with_call_site;
	__u64 vmap_4m;			/* vmap areas of >= 4 MiB */
	__u64 pfn_outside_zones;
	__u64 gfp_kernel_seen;
	__u64 named_caches, cache_events;
	__u64 comm_ok;
	__u64 last_ts, backwards;	/* events timed before the one read before them */
	__u64 cpus;			/* bit per CPU (mod 64) with events */
	char err[512];
};

static bool in_zones(const struct trace_reader *r, __u64 pfn)
{
	__u32 len;
	const char *p = trace_reader__meta(r, KMT_META_ZONES, 0, &len);

	for (__u32 off = 0; p && off + sizeof(struct kmt_zone_info) <= len;
	     off += sizeof(struct kmt_zone_info)) {
		struct kmt_zone_info z;

		memcpy(&z, p + off, sizeof(z));
		if (pfn >= z.start_pfn && pfn < z.start_pfn + z.spanned)
			return true;
	}
	return false;
}

static void classify(struct capture *c, const struct tracemeta *m, const struct kmt_event *e)
{
	const char *cls = context__class(e->ctx);
	__u32 reclaim = gfp_mask_of(m->gfp, m->nr_gfp, "__GFP_DIRECT_RECLAIM");
	char buf[256];

	if (!strcmp(cls, "process"))
		c->process_ctx++;
	else if (!strcmp(cls, "softirq"))
		c->softirq_ctx++;
	else if (!strcmp(cls, "unknown"))
		c->unknown_ctx++;
	else
		c->other_ctx++;
	if (e->type == KMT_EV_KMALLOC || e->type == KMT_EV_CACHE_ALLOC ||
	    e->type == KMT_EV_PAGE_ALLOC) {
		c->allocs++;
		c->allocs_process += !strcmp(cls, "process");
	}
	if (reclaim && (e->gfp & reclaim) && strcmp(cls, "process"))
		c->reclaim_in_atomic++;
	if (e->type == KMT_EV_KMALLOC || e->type == KMT_EV_CACHE_ALLOC) {
		gfp_format(m->gfp, m->nr_gfp, e->gfp, buf, sizeof(buf));
		if (strstr(buf, "GFP_KERNEL"))
			c->gfp_kernel_seen++;
	}
}

static void account(struct capture *c, struct trace_reader *r, const struct tracemeta *m,
		    const struct kmt_event *e)
{
	const struct kmt_task *t;

	c->n[e->type]++;
	c->backwards += e->ts < c->last_ts;
	c->last_ts = e->ts;
	c->cpus |= 1ull << (e->cpu % 64);
	if (!c->tgid)
		c->tgid = e->tgid;
	if (e->tgid != c->tgid)
		c->tgid_mismatch++;
	classify(c, m, e);
	if (e->call_site) {
		const struct kmt_sym *s = trace_reader__sym(r, e->call_site);

		c->with_call_site++;
		c->with_sym += s && s->name[0];
	}
	if (e->type == KMT_EV_PAGE_ALLOC && e->ptr != ~0ull) {
		c->pages += 1ull << e->order;
		c->pfn_outside_zones += !in_zones(r, e->ptr);
	}
	if (e->type == KMT_EV_VMAP_ALLOC && e->size >= (4u << 20))
		c->vmap_4m++;
	if (e->type == KMT_EV_CACHE_ALLOC) {
		const struct kmt_cache_def *d = trace_reader__cache(r, e->aux);

		c->cache_events++;
		c->named_caches += d && d->name[0];
	}
	t = trace_reader__task(r, e->tid);
	c->comm_ok += t && !strcmp(t->comm, "kmmtrace");
}

/* Reads a whole trace into c; 0 or -1 with c->err set. */
static int capture_read(const char *path, struct capture *c, struct tracemeta *m)
{
	char msg[256] = "";
	int err = 0, n;
	struct trace_reader *r = trace_reader__open(path, &err, msg, sizeof(msg));
	struct kmt_event e;
	const struct trace_reader_stats *s;

	memset(c, 0, sizeof(*c));
	if (!r) {
		snprintf(c->err, sizeof(c->err), "open %s: %s", path, msg);
		return -1;
	}
	tracemeta__load(r, m);
	while ((n = trace_reader__next(r, &e)) > 0)
		account(c, r, m, &e);
	s = trace_reader__stats(r);
	if (n < 0 || s->truncated || !s->finished || s->bad_frames) {
		snprintf(c->err, sizeof(c->err), "read %s: n=%d truncated=%d finished=%d bad=%llu",
			 path, n, s->truncated, s->finished, (unsigned long long)s->bad_frames);
		n = -1;
	}
	trace_reader__free(r);
	return n < 0 ? -1 : 0;
}

static __u64 sum(const __u64 *v)
{
	__u64 s = 0;

	for (int i = 0; i < KMT_EV_MAX; i++)
		s += v[i];
	return s;
}

TEST(live_record_workload)
{
	char out[512], err[8192];
	struct capture c;
	struct tracemeta m;
	struct stat st;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/w.kmt", kmt_test__tmpdir());
	char *argv[] = { (char *)kmt_test__binary(), "record", "-q", "--only-command", "-o", out,
			 "--", (char *)kmt_test__binary(), "workload", "-q", "pages", "slab",
			 "vmalloc", "percpu", NULL };
	ASSERT_EQ(run(argv, err, sizeof(err)), 0);
	ASSERT_EQ(stat(out, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	if (capture_read(out, &c, &m))
		FAIL("%s", c.err);
	ASSERT_EQ(c.tgid_mismatch, 0);
	ASSERT_GE(c.n[KMT_EV_CACHE_ALLOC], 2000);	/* a filp per open() */
	ASSERT_GE(c.n[KMT_EV_CACHE_FREE], 2000);
	ASSERT_GE(c.n[KMT_EV_KMALLOC], 1);
	ASSERT_GE(c.pages, 16384);			/* 64 MiB populated */
	ASSERT_GE(c.n[KMT_EV_PAGE_FREE] + c.n[KMT_EV_PAGE_FREE_BATCHED], 1);
	ASSERT_EQ(c.pfn_outside_zones, 0);		/* struct page -> pfn calibration */
	ASSERT_GE(c.vmap_4m, 8);			/* BPF array maps of 4 MiB */
	ASSERT_GE(c.n[KMT_EV_PERCPU_ALLOC], 8);
	ASSERT_GT(c.gfp_kernel_seen, 1000);		/* GFP decoded with the trace's table */
	ASSERT_EQ(c.named_caches, c.cache_events);	/* every cache described */
	ASSERT_GE(c.with_sym * 100, c.with_call_site * 99); /* call sites symbolised */
	ASSERT_GT(c.comm_ok, 0);
	ASSERT_EQ(c.unknown_ctx, 0);
	/* the workload allocates in process context (zone-locked and batched-free events
	 * run under the zone and pcp locks, so they are not counted here) */
	ASSERT_GE(c.allocs_process * 100, c.allocs * 99);
	ASSERT_EQ(c.reclaim_in_atomic, 0);		/* a stock kernel is clean */
	ASSERT_TRUE(m.has_counters);
	ASSERT_EQ(sum(m.counters.dropped), 0);
	for (int t = 1; t < KMT_EV_MAX; t++)
		ASSERT_EQ(m.counters.written[t], m.counters.seen[t]);
	ASSERT_EQ(sum(m.counters.written), sum(c.n));
	ASSERT_TRUE(m.has_calib);
	ASSERT_TRUE(m.calib.pc_known);
	ASSERT_GE(m.calib.pc_base, 1);			/* the tracepoint's own preempt_disable */
	ASSERT_NE(m.calib.vmemmap_base, 0);
	ASSERT_GT(m.nr_gfp, 10);
	ASSERT_GT(m.nr_page_orders, 1);
}

/*
 * System-wide, every CPU busy: CPUs send their records in batches, and the collector
 * puts them back in time order; nothing is lost on the way. With KMMTRACE_NO_BATCH=1,
 * one record at a time, the same counts.
 */
TEST(live_batches_in_time_order)
{
	char out[512], err[8192], script[1024];
	struct capture c;
	struct tracemeta m;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/b.kmt", kmt_test__tmpdir());
	snprintf(script, sizeof(script),
		 "for c in $(seq 0 %ld); do taskset -c $c %s workload -q storm --seconds 1 & "
		 "done; wait", ncpu - 1, kmt_test__binary());
	for (int batch = 1; batch >= 0; batch--) {
		if (!batch)
			setenv("KMMTRACE_NO_BATCH", "1", 1);
		char *a[] = { (char *)kmt_test__binary(), "record", "-q", "-o", out, "--", "sh",
			      "-c", script, NULL };
		int st = run(a, err, sizeof(err));

		unsetenv("KMMTRACE_NO_BATCH");
		ASSERT_EQ(st, 0);
		if (capture_read(out, &c, &m))
			FAIL("%s", c.err);
		ASSERT_GT(c.n[KMT_EV_CACHE_ALLOC], 100000);	/* a filp per open() */
		ASSERT_EQ(__builtin_popcountll(c.cpus), ncpu < 64 ? ncpu : 64);
		ASSERT_TRUE(m.has_counters);
		ASSERT_EQ(sum(m.counters.dropped), 0);
		for (int t = 1; t < KMT_EV_MAX; t++)
			ASSERT_EQ(m.counters.written[t], m.counters.seen[t]);
		ASSERT_EQ(sum(m.counters.written), sum(c.n));
		ASSERT_EQ(m.batch, batch ? KMT_BATCH : 0);	/* info: "order: time order" */
		if (batch)
			ASSERT_EQ(c.backwards, 0);
	}
}

/* Whether this kernel can take the direct preempt-count load (user/collector.c). */
static bool kernel_has_rdonly_cast(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok = btf && btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;

	btf__free(btf);
	return ok;
}

/*
 * Both ways of reading the preempt count (a direct load where the kernel has
 * bpf_rdonly_cast, bpf_probe_read_kernel otherwise) classify the same contexts.
 */
TEST(live_softirq_context)
{
	char out[512], err[8192];
	struct capture c;
	struct tracemeta m;

	NEED_ROOT_BPF();
	for (int probe = 0; probe < 2; probe++) {
		snprintf(out, sizeof(out), "%s/net%d.kmt", kmt_test__tmpdir(), probe);
		char *argv[] = { (char *)kmt_test__binary(), "record", "-q", "--only-command",
				 "-e", "slab,page", "-o", out, "--", (char *)kmt_test__binary(),
				 "workload", "-q", "-n", "64", "net", NULL };
		if (probe)
			setenv("KMMTRACE_NO_DIRECT_PC", "1", 1);
		int st = run(argv, err, sizeof(err));

		unsetenv("KMMTRACE_NO_DIRECT_PC");
		ASSERT_EQ(st, 0);
		if (capture_read(out, &c, &m))
			FAIL("%s", c.err);
		fprintf(stdout, "    %s: %llu process, %llu softirq, calibration method %u\n",
			probe ? "helper" : "default", (unsigned long long)c.process_ctx,
			(unsigned long long)c.softirq_ctx, m.calib.method);
		ASSERT_EQ(m.calib.method, probe || !kernel_has_rdonly_cast() ? 1u : 3u);
		ASSERT_EQ(m.calib.pc_base, 1u);
		/* loopback receive (skb allocations) runs in NET_RX softirq on the sender's thread */
		ASSERT_GT(c.softirq_ctx, 10);
		ASSERT_GT(c.process_ctx, 10);
		ASSERT_EQ(c.unknown_ctx, 0);
		ASSERT_EQ(c.reclaim_in_atomic, 0);
		ASSERT_EQ(c.n[KMT_EV_VMAP_ALLOC], 0);		/* -e excluded it */
	}
}

TEST(live_pid_filter_and_sigint)
{
	char out[512], go[512], err[4096], pidstr[32];
	int efd, status, wstatus;
	pid_t wl, rec;
	struct capture c;
	struct tracemeta m;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/p.kmt", kmt_test__tmpdir());
	snprintf(go, sizeof(go), "%s/go", kmt_test__tmpdir());
	char *wargv[] = { (char *)kmt_test__binary(), "workload", "-q", "--start-file", go,
			  "slab", NULL };
	wl = kmt_test__spawn(wargv, NULL);
	ASSERT_GT(wl, 0);
	snprintf(pidstr, sizeof(pidstr), "%d", wl);
	char *rargv[] = { (char *)kmt_test__binary(), "record", "-q", "-p", pidstr, "-o", out,
			  NULL };
	rec = kmt_test__start_recorder(rargv, &efd, wl, err, sizeof(err));
	if (rec < 0)
		FAIL("record did not start: %s", err);
	close(open(go, O_CREAT | O_WRONLY, 0600));
	ASSERT_EQ(waitpid(wl, &wstatus, 0), wl);
	kill(rec, SIGINT);
	ASSERT_EQ(waitpid(rec, &status, 0), rec);
	close(efd);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (capture_read(out, &c, &m))			/* SIGINT: a complete file */
		FAIL("%s", c.err);
	ASSERT_EQ(c.tgid, (__u32)wl);
	ASSERT_EQ(c.tgid_mismatch, 0);
	ASSERT_GE(c.n[KMT_EV_CACHE_ALLOC], 2000);
	ASSERT_GT(m.counters.filtered, 0);		/* other processes were filtered out */
}

TEST(live_errors_are_clear)
{
	char err[4096];

	NEED_ROOT_BPF();
	char *argv1[] = { (char *)kmt_test__binary(), "record", "-q", "-d", "0.1", "-o",
			  "/proc/no/such/dir/x.kmt", NULL };
	ASSERT_EQ(run(argv1, err, sizeof(err)), 1);
	ASSERT_CONTAINS(err, "failed to create /proc/no/such/dir/x.kmt");
	char *argv2[] = { (char *)kmt_test__binary(), "record", "-e", "nosuchevent", NULL };
	ASSERT_EQ(run(argv2, err, sizeof(err)), 2);
	ASSERT_CONTAINS(err, "unknown event 'nosuchevent'");
}

TEST(live_not_root_message)
{
	char err[4096];
	int p[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	NEED_ROOT_BPF();
	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		if (setgid(65534) || setuid(65534))
			_exit(126);
		execl(kmt_test__binary(), "kmmtrace", "record", "-o", "/tmp/never.kmt", NULL);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], err + n, sizeof(err) - 1 - n)) > 0)
		n += r;
	err[n] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	ASSERT_EQ(WEXITSTATUS(status), 1);
	ASSERT_CONTAINS(err, "needs root");
}

/* Runs argv; stdout returned malloc'ed in *out; returns the exit status. */
static int run_stdout(char *const argv[], char **out)
{
	size_t cap = 1 << 16, n = 0;
	int p[2], status;
	ssize_t r;
	pid_t pid;

	*out = malloc(cap);
	if (!*out || pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(open("/dev/null", O_WRONLY), 2);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], *out + n, cap - 1 - n)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *m = realloc(*out, cap *= 2);

			if (!m)
				break;
			*out = m;
		}
	}
	(*out)[n] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(live_dump_and_info_json)
{
	char out[512], err[8192], *text = NULL, *line, *save = NULL;
	__u64 lines = 0, kmalloc = 0, with_gfp = 0, with_stack = 0, written = 0;
	__u64 page_allocs = 0, mt_named = 0;
	long long stack_fail;
	struct json *info;
	size_t at = 0;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/j.kmt", kmt_test__tmpdir());
	char *rec[] = { (char *)kmt_test__binary(), "record", "-q", "-g", "--only-command", "-o",
			out, "--", (char *)kmt_test__binary(), "workload", "-q", "-n", "200", "slab",
			"pages", NULL };
	ASSERT_EQ(run(rec, err, sizeof(err)), 0);
	char *info_argv[] = { (char *)kmt_test__binary(), "info", "-j", out, NULL };
	ASSERT_EQ(run_stdout(info_argv, &text), 0);
	info = json_parse(text, &at);
	free(text);
	if (!info)
		FAIL("info -j is not JSON (offset %zu)", at);
	ASSERT_TRUE(json_num(json_get(info, "stacks"), 0) == 1);
	ASSERT_TRUE(json_num(json_get(info, "finished"), 0) == 1);
	ASSERT_EQ(json_num(json_get(info, "lost"), -1), 0);
	for (const struct json *c = json_get(info, "counts")->child; c; c = c->next)
		written += json_num(json_get(c, "written"), 0);
	stack_fail = json_num(json_get(json_get(info, "other_losses"), "stack_fail"), -1);
	ASSERT_EQ(written, json_num(json_get(info, "events"), -1));
	json_free(info);

	char *dump_argv[] = { (char *)kmt_test__binary(), "dump", "-j", out, NULL };
	ASSERT_EQ(run_stdout(dump_argv, &text), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json *e = json_parse(line, &at);
		const char *ev;

		if (!e) {
			free(text);
			FAIL("dump -j line %llu is not JSON: %.80s", (unsigned long long)lines, line);
		}
		lines++;
		ev = json_str(json_get(e, "event"));
		if (ev && !strcmp(ev, "mm_page_alloc")) {
			const char *mt = json_str(json_get(e, "migratetype"));

			page_allocs++;
			mt_named += mt && (!strcmp(mt, "Movable") || !strcmp(mt, "Unmovable") ||
					   !strcmp(mt, "Reclaimable"));
		}
		if (ev && !strcmp(ev, "kmalloc")) {
			kmalloc++;
			with_gfp += json_str(json_get(e, "gfp_flags")) != NULL;
			with_stack += json_len(json_get(e, "stack")) > 2;
		}
		json_free(e);
	}
	free(text);
	ASSERT_EQ(lines, written);
	ASSERT_GT(kmalloc, 0);
	ASSERT_EQ(with_gfp, kmalloc);	/* decoded flags on each */
	ASSERT_GT(page_allocs, 0);
	ASSERT_EQ(mt_named, page_allocs);	/* migratetypes by the trace's own names */
	/*
	 * A stack on each, but for stack-map hash collisions: a stack whose bucket
	 * holds another stack is lost for every occurrence — and counted, never silent.
	 */
	ASSERT_GT(with_stack, 0);
	ASSERT_LE(kmalloc - with_stack, stack_fail);
}

TEST(live_cgroup_filter)
{
	char root[4096] = "", cg[4200], procs[4300], out[512], go[512], err[4096], rel[64];
	int efd, status;
	pid_t wl, rec;
	struct capture c;
	struct tracemeta m;
	FILE *f;

	NEED_ROOT_BPF();
	f = fopen("/proc/self/mounts", "r");
	if (f) {
		char dev[256], dir[4096], type[64];

		while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
			if (!strcmp(type, "cgroup2") && !root[0])
				snprintf(root, sizeof(root), "%s", dir);
		fclose(f);
	}
	if (!root[0])
		SKIP("no cgroup v2 hierarchy mounted");
	snprintf(rel, sizeof(rel), "kmt-test-%d", getpid());
	snprintf(cg, sizeof(cg), "%s/%s", root, rel);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	ASSERT_EQ(mkdir(cg, 0755), 0);
	snprintf(out, sizeof(out), "%s/cg.kmt", kmt_test__tmpdir());
	snprintf(go, sizeof(go), "%s/go", kmt_test__tmpdir());
	char *wargv[] = { (char *)kmt_test__binary(), "workload", "-q", "--start-file", go,
			  "slab", NULL };
	wl = kmt_test__spawn(wargv, NULL);
	f = fopen(procs, "w");
	if (f) {
		fprintf(f, "%d\n", wl);
		fclose(f);
	}
	char *rargv[] = { (char *)kmt_test__binary(), "record", "-q", "--cgroup", rel, "-o",
			  out, NULL };
	rec = kmt_test__start_recorder(rargv, &efd, wl, err, sizeof(err));
	if (rec < 0) {
		rmdir(cg);
		FAIL("record did not start: %s", err);
	}
	close(open(go, O_CREAT | O_WRONLY, 0600));
	waitpid(wl, NULL, 0);
	kill(rec, SIGTERM);
	waitpid(rec, &status, 0);
	close(efd);
	rmdir(cg);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (capture_read(out, &c, &m))			/* SIGTERM: a complete file */
		FAIL("%s", c.err);
	ASSERT_EQ(c.tgid, (__u32)wl);
	ASSERT_EQ(c.tgid_mismatch, 0);
	ASSERT_GE(c.n[KMT_EV_CACHE_ALLOC], 2000);
}

TEST(live_disk_full)
{
	char dir[512], out[600], err[8192];
	struct trace_reader *r;
	struct kmt_event e;
	__u64 n = 0;
	int st;

	NEED_ROOT_BPF();
	snprintf(dir, sizeof(dir), "%s/small", kmt_test__tmpdir());
	ASSERT_EQ(mkdir(dir, 0700), 0);
	snprintf(err, sizeof(err), "mount -t tmpfs -o size=256k tmpfs %s", dir);
	if (system(err))
		SKIP("cannot mount a small tmpfs");
	snprintf(out, sizeof(out), "%s/x.kmt", dir);
	char *argv[] = { (char *)kmt_test__binary(), "record", "-q", "-o", out, "--",
			 (char *)kmt_test__binary(), "workload", "-q", "mixed", NULL };
	st = run(argv, err, sizeof(err));
	r = trace_reader__open(out, &(int){ 0 }, NULL, 0);
	while (r && trace_reader__next(r, &e) > 0)
		n++;
	trace_reader__free(r);
	snprintf(out, sizeof(out), "umount %s", dir);
	if (system(out))
		FAIL("umount failed");
	ASSERT_EQ(st, 1);
	ASSERT_CONTAINS(err, "No space left on device");
	ASSERT_TRUE(r != NULL);			/* what was written reads back */
	ASSERT_GT(n, 0);
}

TEST(live_command_exit_status_and_signals)
{
	char out[512], err[4096];

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/c.kmt", kmt_test__tmpdir());
	char *a1[] = { (char *)kmt_test__binary(), "record", "-q", "-e", "kmalloc", "-o", out,
		       "--", "/bin/sh", "-c", "exit 3", NULL };
	ASSERT_EQ(run(a1, err, sizeof(err)), 3);
	char *a2[] = { (char *)kmt_test__binary(), "record", "-q", "-e", "kmalloc", "-o", out,
		       "--", "/no/such/command", NULL };
	ASSERT_EQ(run(a2, err, sizeof(err)), 127);
	ASSERT_CONTAINS(err, "failed to run /no/such/command");
	/* the command gets SIGPIPE's default disposition, not the recorder's */
	char *a3[] = { (char *)kmt_test__binary(), "record", "-q", "-e", "kmalloc", "-o", out,
		       "--", "/bin/sh", "-c", "kill -PIPE $$; exit 0", NULL };
	ASSERT_EQ(run(a3, err, sizeof(err)), 128 + SIGPIPE);
}

TEST(live_duration_stops_command)
{
	char out[512], err[4096];
	struct timespec t0, t1;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/d.kmt", kmt_test__tmpdir());
	char *a[] = { (char *)kmt_test__binary(), "record", "-q", "-e", "kmalloc", "-d", "0.3",
		      "-o", out, "--", "/bin/sleep", "30", NULL };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(run(a, err, sizeof(err)), 128 + SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_LT(t1.tv_sec - t0.tv_sec, 15);
}

/*
 * Without mm_page_alloc, page events cannot be recorded (it locates struct pages): the
 * start fails saying so, and an earlier trace at the output is left as it was.
 */
TEST(live_failed_start_keeps_earlier_trace)
{
	char out[512], err[8192], partial[600];
	size_t len = 0;
	char *text;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/keep.kmt", kmt_test__tmpdir());
	ASSERT_EQ(tb_write_file(out, "earlier", 7), 0);
	setenv("KMMTRACE_TEST_REFUSE", "mm_page_alloc", 1);
	char *a[] = { (char *)kmt_test__binary(), "record", "-q", "-o", out, "--", "true", NULL };
	int st = run(a, err, sizeof(err));

	unsetenv("KMMTRACE_TEST_REFUSE");
	ASSERT_EQ(st, 1);
	ASSERT_CONTAINS(err, "refused the kmt_mm_page_alloc program");
	ASSERT_CONTAINS(err, "they need mm_page_alloc, which is not attached");
	ASSERT_CONTAINS(err, "leave page events out (-e slab,vmalloc,percpu,tlb)");
	text = tb_read_file(out, &len);
	ASSERT_TRUE(text != NULL);
	ASSERT_EQ(len, 7);
	ASSERT_EQ(memcmp(text, "earlier", 7), 0);
	free(text);
	/* nothing left under the temporary name (the recorder's pid is not known here) */
	DIR *d = opendir(kmt_test__tmpdir());
	struct dirent *de;

	ASSERT_TRUE(d != NULL);
	partial[0] = 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".partial"))
			snprintf(partial, sizeof(partial), "%s", de->d_name);
	closedir(d);
	ASSERT_STREQ(partial, "");
}

/* A program the kernel refuses costs only its own events (KMMTRACE_TEST_REFUSE hook). */
TEST(live_refused_program_degrades)
{
	char out[512], err[8192], *text = NULL;
	const struct json *counts;
	struct json *info;

	NEED_ROOT_BPF();
	snprintf(out, sizeof(out), "%s/r.kmt", kmt_test__tmpdir());
	setenv("KMMTRACE_TEST_REFUSE", "kfree", 1);
	char *a[] = { (char *)kmt_test__binary(), "record", "-q", "--only-command", "-e", "slab",
		      "-o", out, "--", (char *)kmt_test__binary(), "workload", "-q", "-n", "100",
		      "slab", NULL };
	int st = run(a, err, sizeof(err));

	unsetenv("KMMTRACE_TEST_REFUSE");
	ASSERT_EQ(st, 0);
	ASSERT_CONTAINS(err, "refused the kmt_kfree program");
	char *ia[] = { (char *)kmt_test__binary(), "info", "-j", out, NULL };
	ASSERT_EQ(run_stdout(ia, &text), 0);
	info = json_parse(text, NULL);
	free(text);
	ASSERT_TRUE(info != NULL);
	counts = json_get(info, "counts");
	ASSERT_STREQ(json_str(json_get(json_get(counts, "kfree"), "status")), "failed");
	ASSERT_EQ(json_num(json_get(json_get(counts, "kfree"), "written"), -1), 0);
	ASSERT_GT(json_num(json_get(json_get(counts, "kmem_cache_alloc"), "written"), 0), 100);
	json_free(info);
}
