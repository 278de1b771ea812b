// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace workload: deterministic allocation workloads, by name, made from the
 * calling thread so a recording can find them by tid. Tests and the benchmark
 * use them; so can a user checking the tool on a new kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "commands.h"

struct workload {
	long n;			/* scenario-specific repeat count, 0: default */
	double seconds;		/* churn: run time */
	bool quiet;
	bool json;		/* one JSON object per scenario instead of the text */
};

static void say(const struct workload *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct workload *w, const char *fmt, ...)
{
	va_list ap;

	if (w->quiet)
		return;
	va_start(ap, fmt);
	printf("workload: ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* Anonymous memory, populated then unmapped: page allocations and frees. */
static int wl_pages(const struct workload *w)
{
	size_t mb = w->n ? w->n : 64, len = mb << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	say(w, "pages: populated and freed %zu MiB of anonymous memory (tid %ld)", mb,
	    (long)syscall(SYS_gettid));
	return 0;
}

/* Files, pipes and sockets opened and closed: slab caches and kmalloc. */
static int wl_slab(const struct workload *w)
{
	long n = w->n ? w->n : 2000;

	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY), p[2], s;

		if (fd >= 0)
			close(fd);
		if (pipe(p) == 0) {
			close(p[0]);
			close(p[1]);
		}
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s >= 0)
			close(s);
	}
	say(w, "slab: %ld x (open+close, pipe, unix socket) (tid %ld)", n,
	    (long)syscall(SYS_gettid));
	return 0;
}

/* BPF array maps big enough to be vmalloc'ed, and per-CPU arrays (alloc_percpu). */
static int wl_maps(const struct workload *w, enum bpf_map_type type, const char *what,
		   __u32 value_size, __u32 entries)
{
	long n = w->n ? w->n : 8;

	for (long i = 0; i < n; i++) {
		int fd = bpf_map_create(type, NULL, 4, value_size, entries, NULL);

		if (fd < 0)
			return -errno;
		close(fd);
	}
	say(w, "%s: created and destroyed %ld maps of %u x %u bytes (tid %ld)", what, n, entries,
	    value_size, (long)syscall(SYS_gettid));
	return 0;
}

static int wl_vmalloc(const struct workload *w)
{
	return wl_maps(w, BPF_MAP_TYPE_ARRAY, "vmalloc", 4096, 1024);
}

static int wl_percpu(const struct workload *w)
{
	return wl_maps(w, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu", 64, 64);
}

static void *net_server(void *arg)
{
	int ls = *(int *)arg, s = accept(ls, NULL, NULL);
	char buf[65536];

	while (s >= 0 && read(s, buf, sizeof(buf)) > 0)
		;
	if (s >= 0)
		close(s);
	return NULL;
}

/* A loopback TCP burst: the receive path allocates in softirq context. */
static int wl_net(const struct workload *w)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	long mb = w->n ? w->n : 32;
	int ls = socket(AF_INET, SOCK_STREAM, 0), c = -1, e = 0;
	socklen_t alen = sizeof(a);
	static char buf[65536];
	pthread_t th;

	if (ls < 0 || bind(ls, (void *)&a, sizeof(a)) || listen(ls, 1) ||
	    getsockname(ls, (void *)&a, &alen))
		return -errno;
	if ((e = pthread_create(&th, NULL, net_server, &ls))) {
		close(ls);
		return -e;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a))) {
		e = -errno;
		shutdown(ls, SHUT_RDWR);	/* wakes the server out of accept() */
	}
	for (long i = 0; !e && i < mb * 16; i++)
		if (write(c, buf, sizeof(buf)) < 0)
			e = -errno;
	if (c >= 0)
		close(c);
	pthread_join(th, NULL);
	close(ls);
	if (!e)
		say(w, "net: sent %ld MiB over loopback TCP (tid %ld)", mb, (long)syscall(SYS_gettid));
	return e;
}

/*
 * fork + exit: task structs, vmap'ed kernel stacks, page tables. The children
 * live FORK_ALIVE at a time: the kernel keeps two freed stacks per CPU for the
 * next fork, so with one child at a time every fork could be served from that
 * cache and vmalloc nothing (a CI rehearsal's live vmalloc test saw none).
 */
#define FORK_ALIVE	16

static int wl_fork(const struct workload *w)
{
	long n = w->n ? w->n : 200, done = 0;
	pid_t kids[FORK_ALIVE];
	int gate[2], err = 0;

	while (done < n && !err) {
		long k = 0, want = n - done < FORK_ALIVE ? n - done : FORK_ALIVE;
		char c;

		if (pipe(gate))
			return -errno;
		for (; k < want; k++) {
			kids[k] = fork();
			if (kids[k] < 0) {
				err = -errno;
				break;
			}
			if (kids[k] == 0) {	/* wait until the parent has forked them all */
				close(gate[1]);
				while (read(gate[0], &c, 1) < 0 && errno == EINTR)
					;
				_exit(0);
			}
		}
		close(gate[0]);
		close(gate[1]);
		for (long i = 0; i < k; i++)
			waitpid(kids[i], NULL, 0);
		done += k;
	}
	if (err)
		return err;
	say(w, "fork: %ld x fork+exit, %d alive at a time (tid %ld)", n, FORK_ALIVE,
	    (long)syscall(SYS_gettid));
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Allocation-heavy churn for the benchmark: small files created, written, read
 * and removed, pipes and sockets, for a fixed time. Prints operations/s.
 */
static int wl_churn(const struct workload *w)
{
	double t0 = now_s(), secs = w->seconds > 0 ? w->seconds : 2.0;
	char path[64], buf[512] = { 1 };
	struct rusage ru;
	double cpu0, cpu;
	long ops = 0;

	getrusage(RUSAGE_THREAD, &ru);
	cpu0 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;

	snprintf(path, sizeof(path), "/tmp/kmt-churn-%d", getpid());
	while (now_s() - t0 < secs) {
		for (int i = 0; i < 64; i++, ops++) {
			int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600), p[2];

			if (fd >= 0) {
				if (write(fd, buf, sizeof(buf)) < 0 || pread(fd, buf, 64, 0) < 0)
					ops--;
				close(fd);
			}
			unlink(path);
			if (pipe(p) == 0) {
				close(p[0]);
				close(p[1]);
			}
		}
	}
	getrusage(RUSAGE_THREAD, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	      ru.ru_stime.tv_usec / 1e6 - cpu0;
	printf("churn: %.0f ops/s over %.2f s, %.2f us CPU/op\n", ops / (now_s() - t0),
	       now_s() - t0, cpu * 1e6 / (ops ? ops : 1));
	return 0;
}

/* The densest event source: open+close of /dev/null in a loop (filp, names_cache, ...). */
static int wl_storm(const struct workload *w)
{
	double t0 = now_s(), secs = w->seconds > 0 ? w->seconds : 2.0;
	long ops = 0;

	while (now_s() - t0 < secs) {
		for (int i = 0; i < 256; i++, ops++)
			close(open("/dev/null", O_RDONLY));
	}
	printf("storm: %.0f ops/s over %.2f s\n", ops / (now_s() - t0), now_s() - t0);
	return 0;
}

static int wl_mixed(const struct workload *w)
{
	int (*const steps[])(const struct workload *) = { wl_pages, wl_slab, wl_vmalloc,
							  wl_percpu, wl_net, wl_fork };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int e = steps[i](w);

		if (e)
			return e;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct workload *w);
	const char *help;
} scenarios[] = {
	{ "pages", wl_pages, "populate and free N MiB of anonymous memory (64)" },
	{ "slab", wl_slab, "N x open/close, pipe, unix socket (2000)" },
	{ "vmalloc", wl_vmalloc, "N x create/destroy a 4 MiB BPF array map (8)" },
	{ "percpu", wl_percpu, "N x create/destroy a per-CPU BPF array map (8)" },
	{ "net", wl_net, "send N MiB over loopback TCP; receive runs in softirq (32)" },
	{ "fork", wl_fork, "N x fork+exit (200)" },
	{ "mixed", wl_mixed, "all of the above, in order" },
	{ "churn", wl_churn, "file/pipe churn for --seconds, prints ops/s (benchmark)" },
	{ "storm", wl_storm, "open+close /dev/null for --seconds: the densest event rate" },
};

#define NR_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static void workload_usage(FILE *f)
{
	fprintf(f, "usage: kmmtrace workload [-n N] [--seconds S] [--start-file PATH] [-q] [-j] "
		   "SCENARIO...\n\nScenarios (N defaults in parentheses):\n");
	for (size_t i = 0; i < NR_SCENARIOS; i++)
		fprintf(f, "  %-8s %s\n", scenarios[i].name, scenarios[i].help);
	fprintf(f, "\n  -n N               repeat count / size for the scenario\n"
		   "      --seconds S    run time for churn and storm (2)\n"
		   "      --start-file P wait until P exists before starting (30 s at most)\n"
		   "  -q, --quiet        no output\n"
		   "  -j, --json         one JSON object per scenario (scenario, n, pid, tid, seconds)\n"
		   "  -h, --help         this help\n");
}

static int wait_for_file(const char *path)
{
	struct stat st;

	for (int i = 0; i < 3000; i++) {
		if (!stat(path, &st))
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "kmmtrace workload: %s did not appear within 30 s\n", path);
	return -ETIMEDOUT;
}

static int run_scenario(const struct workload *w, const char *name)
{
	for (size_t i = 0; i < NR_SCENARIOS; i++) {
		if (strcmp(scenarios[i].name, name))
			continue;
		struct timespec t0, t1;
		int e;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		e = scenarios[i].fn(w);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (e)
			fprintf(stderr, "kmmtrace workload: %s failed: %s\n", name, strerror(-e));
		if (w->json)
			printf("{\"scenario\":\"%s\",\"n\":%ld,\"pid\":%d,\"tid\":%ld,"
			       "\"seconds\":%.6f,\"ok\":%s}\n", name, w->n, getpid(),
			       (long)syscall(SYS_gettid),
			       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
			       e ? "false" : "true");
		return e ? 1 : 0;
	}
	fprintf(stderr, "kmmtrace workload: unknown scenario '%s'\n", name);
	workload_usage(stderr);
	return 2;
}

int cmd_workload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "start-file", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, {},
	};
	struct workload w = {};
	const char *start_file = NULL;
	int opt, ret = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "n:qjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': w.json = w.quiet = true; break;
		case 'n': w.n = atol(optarg); break;
		case 's': w.seconds = atof(optarg); break;
		case 'f': start_file = optarg; break;
		case 'q': w.quiet = true; break;
		case 'h': workload_usage(stdout); return 0;
		default: workload_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		workload_usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (start_file && wait_for_file(start_file))
		return 1;
	for (int i = optind; i < argc && !ret; i++)
		ret = run_scenario(&w, argv[i]);
	return ret;
}
