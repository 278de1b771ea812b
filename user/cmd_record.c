// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace record: capture allocation events into a trace file. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "collector.h"
#include "metalist.h"
#include "commands.h"
#include "jsonout.h"
#include "sysinfo.h"
#include "trace.h"

struct record {
	struct collector_opts copts;
	const char *output;
	char partial[4096];	/* the name written under until the recording starts */
	double duration;
	char **cmd;
	bool only_command;
	bool quiet;
	bool json;		/* the summary as JSON on stdout */
	struct trace_writer *w;
	struct collector *c;
	/* the start snapshots, taken on a thread while events are drained */
	pthread_t snap_thread;
	bool snap_running;
	volatile int snap_done;
	int snap_err;
	struct meta_list snap;
	char snap_why[1024];
	pid_t child;
	int child_status;
	int go_fd;		/* write end: releases the child */
	__u64 t_start;
	int write_err;
};

#define PAGE_EVENTS (((1ull << (KMT_EV_PAGE_ALLOC_EXTFRAG + 1)) - 1) & \
		     ~((1ull << KMT_EV_PAGE_ALLOC) - 1))

static volatile sig_atomic_t stop_requested;
static const struct sysinfo_opts sysinfo_opts = {
	.sz = sizeof(sysinfo_opts),
	.tool_version = KMMTRACE_VERSION,
};

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- sink: collector -> trace writer ---- */

static int sink_event(void *ctx, const struct kmt_event *e)
{
	struct record *r = ctx;

	return r->write_err = trace_writer__add_event(r->w, e);
}

static int sink_cache(void *ctx, const struct kmt_cache_def *d)
{
	struct record *r = ctx;

	return r->write_err = trace_writer__add_cache(r->w, d);
}

static int sink_task(void *ctx, const struct kmt_task *t)
{
	struct record *r = ctx;

	return r->write_err = trace_writer__add_task(r->w, t);
}

static int sink_stack(void *ctx, const struct kmt_stack *s)
{
	struct record *r = ctx;

	return r->write_err = trace_writer__add_stack(r->w, s);
}

static int sink_sym(void *ctx, const struct kmt_sym *s)
{
	struct record *r = ctx;

	return r->write_err = trace_writer__add_sym(r->w, s);
}

/* ---- options ---- */

static const char record_usage[] =
	"usage: kmmtrace record [OPTIONS] [-- COMMAND [ARGS...]]\n"
	"\n"
	"Record kernel memory allocation events, system-wide by default. With COMMAND,\n"
	"record until it exits and return its exit status.\n"
	"\n"
	"  -o, --output FILE       trace file to write (default: kmmtrace.kmt)\n"
	"  -d, --duration SECONDS  stop after SECONDS (default: until Ctrl-C or COMMAND exits)\n"
	"  -p, --pid PID[,PID...]  only allocations made by these processes (up to 16)\n"
	"      --cgroup PATH       only tasks in this cgroup v2 directory and below\n"
	"      --only-command      only the COMMAND's own process (its threads, not children)\n"
	"  -g, --stacks            capture a kernel stack per event (symbolised in reports)\n"
	"  -e, --events LIST       comma-separated events or groups (default: all); groups:\n"
	"                          all, slab, page, vmalloc, percpu, tlb, kmem\n"
	"      --ringbuf-mb N      BPF ring buffer size in MiB, a power of two (default: 64)\n"
	"      --stack-entries N   stack map capacity (default: 16384)\n"
	"  -q, --quiet             no progress line and no summary\n"
	"  -j, --json              the summary as one JSON object on stdout\n"
	"  -v, --verbose           libbpf debug output\n"
	"  -h, --help              this help\n";

enum { OPT_CGROUP = 256, OPT_RINGBUF, OPT_STACK_ENTRIES, OPT_ONLY_COMMAND };

static const struct option record_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "pid", required_argument, NULL, 'p' },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "only-command", no_argument, NULL, OPT_ONLY_COMMAND },
	{ "stacks", no_argument, NULL, 'g' },
	{ "events", required_argument, NULL, 'e' },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF },
	{ "stack-entries", required_argument, NULL, OPT_STACK_ENTRIES },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int parse_pids(struct record *r, const char *arg)
{
	char *dup = strdup(arg), *save = NULL, *tok, *end;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long pid = strtol(tok, &end, 10);

		if (*end || pid <= 0 || r->copts.nr_pids >= KMT_MAX_PIDS) {
			fprintf(stderr, "kmmtrace record: bad --pid '%s' (1 to %d numeric pids)\n",
				tok, KMT_MAX_PIDS);
			free(dup);
			return -EINVAL;
		}
		r->copts.pids[r->copts.nr_pids++] = pid;
	}
	free(dup);
	return 0;
}

static int parse_number(const char *opt, const char *arg, double min, double *out)
{
	char *end;

	*out = strtod(arg, &end);
	if (*end || *out < min) {
		fprintf(stderr, "kmmtrace record: bad %s '%s'\n", opt, arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_opt(struct record *r, int opt, const char *arg)
{
	char err[256];
	double v;

	switch (opt) {
	case 'o': r->output = arg; return 0;
	case 'd': return parse_number("--duration", arg, 0.001, &r->duration);
	case 'p': return parse_pids(r, arg);
	case OPT_CGROUP: r->copts.cgroup = arg; return 0;
	case OPT_ONLY_COMMAND: r->only_command = true; return 0;
	case 'g': r->copts.stacks = true; return 0;
	case 'q': r->quiet = true; return 0;
	case 'j': r->json = true; return 0;
	case 'v': r->copts.verbose = true; return 0;
	case 'e':
		if (collector__parse_events(arg, &r->copts.events, err, sizeof(err))) {
			fprintf(stderr, "kmmtrace record: %s\n", err);
			return -EINVAL;
		}
		return 0;
	case OPT_RINGBUF:
		if (parse_number("--ringbuf-mb", arg, 1, &v))
			return -EINVAL;
		r->copts.ringbuf_bytes = (__u64)v << 20;
		if (r->copts.ringbuf_bytes & (r->copts.ringbuf_bytes - 1)) {
			fprintf(stderr, "kmmtrace record: --ringbuf-mb must be a power of two\n");
			return -EINVAL;
		}
		return 0;
	case OPT_STACK_ENTRIES:
		if (parse_number("--stack-entries", arg, 1, &v))
			return -EINVAL;
		r->copts.stack_entries = v;
		return 0;
	case 'h': fputs(record_usage, stdout); return 1;
	default: fputs(record_usage, stderr); return -EINVAL;
	}
}

static int parse_args(struct record *r, int argc, char **argv)
{
	int opt, e;

	r->output = "kmmtrace.kmt";
	r->copts.events = ((1ull << KMT_EV_MAX) - 1) & ~1ull;
	r->copts.ringbuf_bytes = 64ull << 20;
	r->copts.stack_entries = 16384;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+o:d:p:ge:qjvh", record_options, NULL)) != -1)
		if ((e = parse_opt(r, opt, optarg)))
			return e;
	if (optind < argc)
		r->cmd = argv + optind;
	if (r->only_command && !r->cmd) {
		fprintf(stderr, "kmmtrace record: --only-command needs a COMMAND after --\n");
		return -EINVAL;
	}
	if (r->only_command && r->copts.nr_pids >= KMT_MAX_PIDS) {
		fprintf(stderr, "kmmtrace record: --only-command takes one of the %d --pid slots\n",
			KMT_MAX_PIDS);
		return -EINVAL;
	}
	return 0;
}

/* ---- the command to run ---- */

/* Forks COMMAND stopped on a pipe; record releases it once tracing runs. */
static int spawn_command(struct record *r)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	r->child = fork();
	if (r->child < 0)
		return -errno;
	if (r->child == 0) {
		close(p[1]);
		signal(SIGPIPE, SIG_DFL);	/* an ignored signal stays ignored across exec */
		if (read(p[0], &c, 1) != 1)
			_exit(125);	/* record stopped or failed before starting */
		execvp(r->cmd[0], r->cmd);
		fprintf(stderr, "kmmtrace record: failed to run %s: %s\n", r->cmd[0],
			strerror(errno));
		_exit(errno == EACCES || errno == ENOEXEC ? 126 : 127);	/* as shells do */
	}
	close(p[0]);
	r->go_fd = p[1];
	if (r->only_command)
		r->copts.pids[r->copts.nr_pids++] = r->child;	/* room checked in parse_args */
	return 0;
}

static void release_command(struct record *r)
{
	if (r->go_fd > 0) {
		if (write(r->go_fd, "g", 1) != 1)
			perror("kmmtrace record: failed to start command");
		close(r->go_fd);
		r->go_fd = -1;
	}
}

static bool command_exited(struct record *r)
{
	int status;

	if (r->child <= 0)
		return false;
	if (waitpid(r->child, &status, WNOHANG) != r->child)
		return false;
	r->child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->child = 0;
	return true;
}

/* Waits for COMMAND (retrying on signals); its exit status as a shell reports it. */
static void reap_command(struct record *r)
{
	int status;
	pid_t p;

	if (r->child <= 0)
		return;
	do {
		p = waitpid(r->child, &status, 0);
	} while (p < 0 && errno == EINTR);
	if (p == r->child)
		r->child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->child = 0;
}

/* ---- metadata ---- */

static void meta_text(struct record *r, __u16 key, const char *s)
{
	trace_writer__meta_add(r->w, key, s, strlen(s));
}

static void write_cmdline(struct record *r, int argc, char **argv)
{
	char buf[4096];
	size_t n = 0;

	n = snprintf(buf, sizeof(buf), "kmmtrace");
	for (int i = 0; i < argc && n < sizeof(buf) - 2; i++)
		n += snprintf(buf + n, sizeof(buf) - n, " %s", argv[i]);
	meta_text(r, KMT_META_CMDLINE, buf);
}

/* The NUMA node of every possible CPU (perf kmem's cross-node allocation count needs it). */
static void write_cpu_nodes(struct record *r)
{
	int n = libbpf_num_possible_cpus();
	__u32 *nodes = n > 0 ? calloc(n, sizeof(*nodes)) : NULL;

	if (!nodes)
		return;
	for (int cpu = 0; cpu < n; cpu++) {
		char path[96];
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
		d = opendir(path);
		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, "node", 4) && de->d_name[4] >= '0' &&
			    de->d_name[4] <= '9')
				nodes[cpu] = atoi(de->d_name + 4);
		if (d)
			closedir(d);
	}
	trace_writer__meta_add(r->w, KMT_META_CPU_NODES, nodes, n * sizeof(*nodes));
	free(nodes);
}

static void write_start_meta(struct record *r, int argc, char **argv)
{
	struct kmt_event_status st[KMT_EV_MAX];
	struct timespec rt, mono;
	struct kmt_clock clk = {};
	__u32 stacks = r->copts.stacks, n = 0, batch;
	char filt[512] = "";

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clk.realtime_minus_mono = (rt.tv_sec - mono.tv_sec) * 1000000000ll +
				  (rt.tv_nsec - mono.tv_nsec);
	clk.start_mono = r->t_start;
	write_cmdline(r, argc, argv);
	write_cpu_nodes(r);
	trace_writer__meta_add(r->w, KMT_META_CALIB, collector__calib(r->c),
			       sizeof(struct kmt_calib));
	trace_writer__meta_add(r->w, KMT_META_CLOCK, &clk, sizeof(clk));
	for (int t = 1; t < KMT_EV_MAX; t++) {
		st[n].type = t;
		st[n++].status = collector__event_status(r->c, t, NULL);
	}
	trace_writer__meta_add(r->w, KMT_META_EVENTS, st, n * sizeof(st[0]));
	trace_writer__meta_add(r->w, KMT_META_STACKS, &stacks, sizeof(stacks));
	batch = collector__batch(r->c);
	if (batch)
		trace_writer__meta_add(r->w, KMT_META_BATCH, &batch, sizeof(batch));
	for (__u32 i = 0, off = 0; i < r->copts.nr_pids && off < sizeof(filt) - 16; i++)
		off += snprintf(filt + off, sizeof(filt) - off, "%spid=%u", i ? " " : "",
				r->copts.pids[i]);
	if (r->copts.cgroup)
		snprintf(filt + strlen(filt), sizeof(filt) - strlen(filt), "%scgroup=%s",
			 filt[0] ? " " : "", r->copts.cgroup);
	meta_text(r, KMT_META_FILTER, filt);
	trace_writer__meta_add(r->w, KMT_META_COLLECTOR_PID, &(__u32){ getpid() }, sizeof(__u32));
}

static void write_end_meta(struct record *r, const struct kmt_counters *cnt)
{
	struct kmt_prog_stat ps[KMT_EV_MAX];
	struct kmt_clock clk = {};
	char why[1024] = "";
	int n = collector__prog_stats(r->c, ps, KMT_EV_MAX);

	clk.start_mono = r->t_start;
	clk.end_mono = mono_ns();
	trace_writer__meta_add(r->w, KMT_META_CLOCK, &clk, sizeof(clk));
	trace_writer__meta_add(r->w, KMT_META_COUNTERS, cnt, sizeof(*cnt));
	trace_writer__meta_add(r->w, KMT_META_PROG_STATS, ps, n * sizeof(ps[0]));
	sysinfo__write_meta(r->w, KMT_PHASE_END, &sysinfo_opts, why, sizeof(why));
}

/*
 * The start snapshots (free-page map, buddyinfo, ...) take ~0.4 s; they run on a
 * thread after the programs are attached, so the events of that time are kept
 * (the free-page map records when each part was read; replay sorts it out).
 */
static void *snapshot_thread(void *arg)
{
	struct record *r = arg;

	r->snap_err = sysinfo__collect_meta(&r->snap, KMT_PHASE_START, &sysinfo_opts,
					    r->snap_why, sizeof(r->snap_why));
	__atomic_store_n(&r->snap_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Writes the start snapshots once taken; wait: block until they are. */
static int finish_snapshots(struct record *r, bool wait)
{
	int e;

	if (!r->snap_running || (!wait && !__atomic_load_n(&r->snap_done, __ATOMIC_ACQUIRE)))
		return 0;
	pthread_join(r->snap_thread, NULL);
	r->snap_running = false;
	if (r->snap_why[0] && r->copts.verbose)
		fprintf(stderr, "kmmtrace record: note: %s\n", r->snap_why);
	e = r->snap_err ? r->snap_err : meta_list__write(&r->snap, r->w);
	if (!e)
		e = trace_writer__meta_flush(r->w);
	meta_list__free(&r->snap);
	if (e)
		fprintf(stderr, "kmmtrace record: failed to record the start snapshots: %s\n",
			strerror(-e));
	return e;
}

/* ---- progress and summary ---- */

static __u64 total(const __u64 *v)
{
	__u64 s = 0;

	for (int t = 0; t < KMT_EV_MAX; t++)
		s += v[t];
	return s;
}

static void progress(struct record *r, __u64 now)
{
	static __u64 last_ns, last_events;
	struct kmt_counters cnt;
	__u64 ev = trace_writer__events(r->w);
	double dt = (now - last_ns) / 1e9;

	if (collector__counters(r->c, &cnt))
		return;
	trace_writer__set_lost(r->w, total(cnt.dropped));
	if (!r->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\rkmmtrace: %6.1f s  %8.0f events/s  %8.1f MB  drops %llu   ",
			(now - r->t_start) / 1e9, last_ns ? (ev - last_events) / dt : 0.0,
			trace_writer__bytes(r->w) / 1e6, (unsigned long long)total(cnt.dropped));
	last_ns = now;
	last_events = ev;
}

static void summary_json(struct record *r, const struct kmt_counters *cnt)
{
	__u64 written = total(cnt->written);

	printf("{\"output\":");
	json_print_string(stdout, r->output);
	printf(",\"seconds\":%.3f,\"events\":%llu,\"bytes\":%llu,\"dropped\":%llu,"
	       "\"recursion_misses\":%llu,\"counts\":{", (mono_ns() - r->t_start) / 1e9,
	       (unsigned long long)written, (unsigned long long)trace_writer__bytes(r->w),
	       (unsigned long long)total(cnt->dropped), (unsigned long long)cnt->recursion_misses);
	for (int t = 1, first = 1; t < KMT_EV_MAX; t++) {
		const char *why;
		int st = collector__event_status(r->c, t, &why);
		static const char *const names[] = { "off", "on", "missing", "failed" };

		printf("%s\"%s\":{\"status\":\"%s\",\"seen\":%llu,\"written\":%llu,\"dropped\":%llu}",
		       first ? "" : ",", kmt_event_type_name(t), st >= 0 && st < 4 ? names[st] : "?",
		       (unsigned long long)cnt->seen[t], (unsigned long long)cnt->written[t],
		       (unsigned long long)cnt->dropped[t]);
		first = 0;
	}
	printf("},\"other_losses\":{\"cache_def_dropped\":%llu,\"task_dropped\":%llu,"
	       "\"stack_fail\":%llu,\"stack_lookup_fail\":%llu,\"bad_records\":%llu}}\n",
	       (unsigned long long)cnt->cache_def_dropped, (unsigned long long)cnt->task_dropped,
	       (unsigned long long)cnt->stack_fail, (unsigned long long)cnt->stack_lookup_fail,
	       (unsigned long long)cnt->bad_records);
	fflush(stdout);
}

static void summary(struct record *r, const struct kmt_counters *cnt)
{
	__u64 written = total(cnt->written), dropped = total(cnt->dropped);
	__u64 bytes = trace_writer__bytes(r->w);

	if (r->json)
		summary_json(r, cnt);
	if (r->quiet || r->json)
		return;
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	fprintf(stderr, "kmmtrace: %.1f s, %llu events captured into %s (%.1f MB, %.2f bytes/event)\n",
		(mono_ns() - r->t_start) / 1e9, (unsigned long long)written, r->output, bytes / 1e6,
		written ? (double)bytes / written : 0.0);
	for (int t = 1; t < KMT_EV_MAX; t++) {
		const char *why;
		int st = collector__event_status(r->c, t, &why);

		if (cnt->written[t] || cnt->dropped[t])
			fprintf(stderr, "  %-28s %12llu  dropped %llu\n", kmt_event_type_name(t),
				(unsigned long long)cnt->written[t],
				(unsigned long long)cnt->dropped[t]);
		else if (st == KMT_EVS_MISSING || st == KMT_EVS_FAILED)
			fprintf(stderr, "  %-28s not recorded: %s\n", kmt_event_type_name(t), why);
	}
	fprintf(stderr, "  drops: %llu (ring buffer full)%s\n", (unsigned long long)dropped,
		dropped ? "; try a larger --ringbuf-mb" : "");
	if (cnt->recursion_misses)
		fprintf(stderr, "  recursion misses: %llu (an interrupt re-entered a program on its "
			"CPU; those events are lost)\n", (unsigned long long)cnt->recursion_misses);
	if (cnt->cache_def_dropped || cnt->task_dropped || cnt->stack_lookup_fail ||
	    cnt->bad_records)
		fprintf(stderr, "  also lost: %llu cache definitions, %llu task names (retried), "
			"%llu stacks unreadable, %llu malformed records\n",
			(unsigned long long)cnt->cache_def_dropped,
			(unsigned long long)cnt->task_dropped,
			(unsigned long long)cnt->stack_lookup_fail,
			(unsigned long long)cnt->bad_records);
	if (cnt->stack_fail)
		fprintf(stderr, "  stacks lost: %llu (stack map full or collision; raise "
			"--stack-entries)\n", (unsigned long long)cnt->stack_fail);
}

/* ---- running ---- */

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int record_loop(struct record *r)
{
	__u64 deadline = r->duration > 0 ? r->t_start + (__u64)(r->duration * 1e9) : 0;
	__u64 next_progress = 0;
	int e = 0;

	while (!stop_requested) {
		__u64 now;

		e = collector__poll(r->c, 100);
		if (e) {
			fprintf(stderr, "\nkmmtrace record: failed to write %s: %s\n", r->output,
				strerror(r->write_err ? -r->write_err : -e));
			break;
		}
		now = mono_ns();
		if ((e = finish_snapshots(r, false)))
			break;
		if ((deadline && now >= deadline) || command_exited(r))
			break;
		if (now >= next_progress) {
			progress(r, now);
			next_progress = now + 1000000000ull;
		}
	}
	return e;
}

/*
 * The trace is written under a temporary name next to OUTPUT until the recording has
 * started, so a start that fails (no BPF, a program the kernel refuses, Ctrl-C) leaves
 * an earlier trace at OUTPUT as it was, and no stub. Not when OUTPUT exists and is not
 * a regular file (/dev/stdout, a FIFO): renaming onto it would replace it.
 */
static struct trace_writer *open_output(struct record *r, const struct trace_writer_opts *o,
					int *err)
{
	struct trace_writer *w = NULL;
	struct stat st;
	int n;

	r->partial[0] = 0;
	if (stat(r->output, &st) ? errno == ENOENT : S_ISREG(st.st_mode)) {
		n = snprintf(r->partial, sizeof(r->partial), "%s.%d.partial", r->output,
			     (int)getpid());
		if (n > 0 && (size_t)n < sizeof(r->partial))
			w = trace_writer__open(r->partial, o, err);
		if (!w)
			r->partial[0] = 0;	/* e.g. a directory we may not write in */
	}
	return w ? w : trace_writer__open(r->output, o, err);
}

static int record_start(struct record *r, int argc, char **argv)
{
	struct kmt_sink sink = { r, sink_event, sink_cache, sink_task, sink_stack, sink_sym };
	struct trace_writer_opts wopts = { .sz = sizeof(wopts) };
	char err[512] = "";
	int e;

	r->c = collector__new(&r->copts, &sink, err, sizeof(err));
	if (!r->c) {
		fprintf(stderr, "kmmtrace record: %s\n", err);
		return -1;
	}
	r->w = open_output(r, &wopts, &e);
	if (!r->w) {
		fprintf(stderr, "kmmtrace record: failed to create %s: %s\n", r->output,
			strerror(-e));
		return -1;
	}
	r->t_start = mono_ns();
	if (collector__attach(r->c, err, sizeof(err))) {
		fprintf(stderr, "kmmtrace record: %s\n", err);
		return -1;
	}
	if (collector__calibrate(r->c, err, sizeof(err))) {
		if (r->copts.events & PAGE_EVENTS) {
			fprintf(stderr, "kmmtrace record: %s; to record the rest, leave page "
				"events out (-e slab,vmalloc,percpu,tlb)\n", err);
			return -1;
		}
		fprintf(stderr, "kmmtrace record: warning: %s\n", err);
	}
	write_start_meta(r, argc, argv);
	if ((e = trace_writer__meta_flush(r->w))) {
		fprintf(stderr, "kmmtrace record: failed to write %s: %s\n", r->output,
			strerror(-e));
		return -1;
	}
	if ((e = pthread_create(&r->snap_thread, NULL, snapshot_thread, r))) {
		fprintf(stderr, "kmmtrace record: failed to start a thread: %s\n", strerror(e));
		return -1;
	}
	r->snap_running = true;
	if (stop_requested)
		return -1;	/* interrupted while starting: the command never runs */
	if (r->partial[0] && rename(r->partial, r->output)) {
		fprintf(stderr, "kmmtrace record: failed to create %s: %s\n", r->output,
			strerror(errno));
		return -1;
	}
	r->partial[0] = 0;
	fprintf(stderr, "kmmtrace: recording to %s%s\n", r->output,
		r->cmd ? "" : " (Ctrl-C to stop)");
	release_command(r);
	return 0;
}

/*
 * /proc/buddyinfo read while the programs are still attached, with the time:
 * replay --check compares the model at that instant, so frees that happen
 * between detaching and the end snapshots (RCU callbacks) do not count against it.
 */
static void end_buddyinfo(struct record *r)
{
	__u64 t[2] = { mono_ns(), 0 };
	char *text = NULL, *item;
	size_t len = 0;

	if (sysinfo__read_file("/proc/buddyinfo", &text, &len))
		return;
	t[1] = mono_ns();
	item = malloc(1 + sizeof(SYSINFO_SNAP_BUDDYINFO) + len);
	if (item) {
		item[0] = KMT_PHASE_END;
		memcpy(item + 1, SYSINFO_SNAP_BUDDYINFO, sizeof(SYSINFO_SNAP_BUDDYINFO));
		memcpy(item + 1 + sizeof(SYSINFO_SNAP_BUDDYINFO), text, len);
		trace_writer__meta_add(r->w, KMT_META_SNAPSHOT, item,
				       1 + sizeof(SYSINFO_SNAP_BUDDYINFO) + len);
		trace_writer__meta_add(r->w, KMT_META_END_BUDDYINFO_TIME, t, sizeof(t));
		free(item);
	}
	free(text);
}

static int record_finish(struct record *r)
{
	struct kmt_counters cnt = {};
	int e, fe;

	end_buddyinfo(r);
	e = collector__stop(r->c);
	finish_snapshots(r, true);

	if (e && !r->write_err)
		fprintf(stderr, "kmmtrace record: failed to drain ring buffer: %s\n", strerror(-e));
	if (collector__counters(r->c, &cnt) == 0) {
		trace_writer__set_lost(r->w, total(cnt.dropped));
		write_end_meta(r, &cnt);
		trace_writer__meta_flush(r->w);
	}
	fe = trace_writer__finish(r->w);
	if (fe) {
		fprintf(stderr, "kmmtrace record: failed to write %s: %s; the file holds what "
			"was written before the error\n", r->output, strerror(-fe));
		e = fe;
	}
	summary(r, &cnt);
	return e || r->write_err ? -1 : 0;
}

/* The recording stopped (-d, a signal) while COMMAND runs: stop it too. */
static void stop_command(struct record *r)
{
	if (r->child <= 0 || command_exited(r))
		return;
	if (!r->quiet)
		fprintf(stderr, "kmmtrace record: stopping %s (pid %d)\n", r->cmd[0], r->child);
	kill(r->child, SIGTERM);
}

int cmd_record(int argc, char **argv)
{
	struct record r = { .go_fd = -1 };
	int e, ret = 1;

	e = parse_args(&r, argc, argv);
	if (e)
		return e > 0 ? 0 : 2;
	install_signals();
	if (r.cmd && spawn_command(&r)) {
		fprintf(stderr, "kmmtrace record: failed to start %s: %s\n", r.cmd[0],
			strerror(errno));
		return 1;
	}
	if (record_start(&r, argc, argv) == 0) {
		e = record_loop(&r);
		stop_command(&r);
		ret = record_finish(&r) || e ? 1 : 0;
		reap_command(&r);
		if (r.cmd && ret == 0)
			ret = r.child_status;
	} else {
		if (r.partial[0])
			unlink(r.partial);
		if (r.snap_running)
			pthread_join(r.snap_thread, NULL);
		meta_list__free(&r.snap);
		if (r.child > 0) {
			close(r.go_fd);		/* the command exits without running */
			reap_command(&r);
		}
	}
	collector__free(r.c);
	trace_writer__free(r.w);
	return ret;
}
