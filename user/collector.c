// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The collector: see collector.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "collector.h"
#include "context.h"
#include "ksyms.h"
#include "tp_args.h"
#include "reorder.h"
#include "ringbuf.h"
#include "sysinfo.h"
#include "u64set.h"
#include "kmmtrace.skel.h"
/* only its ELF bytes: the same programs with a direct preempt-count load (Makefile) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "kmmtrace_direct.skel.h"
#pragma GCC diagnostic pop

struct collector {
	struct kmmtrace_bpf *skel;
	struct ringbuf *rb;
	struct kmt_sink sink;
	struct collector_opts opts;
	struct tp_args args;
	struct kmt_calib calib;
	struct bpf_link *links[KMT_EV_MAX];
	int status[KMT_EV_MAX];
	char why[KMT_EV_MAX][128];
	struct ksyms *ksyms;
	struct u64set syms;
	__u64 *unresolved;	/* addresses described without a symbol, retried later */
	size_t nr_unresolved, cap_unresolved;
	__u64 recent_syms[4096];	/* direct-mapped: addresses known to be in syms */
	struct u64set stacks;
	struct cache_sizes *caches;	/* open-addressing: kmem_cache * -> sizes */
	size_t caches_cap;
	size_t caches_len;
	__u64 written[KMT_EV_MAX];
	__u64 stack_lookup_fail;
	__u64 bad_records;	/* malformed records: a bug, counted rather than trusted */
	__u64 last_reload_ns;
	__u32 page_struct_size;
	bool direct_pc;		/* loading kmmtrace_direct's bytes (until ruled out) */
	int sink_err;
	int nr_cpus;
	/* CPUs batch small records (batch_on): events wait here to be put in time order */
	struct reorder *held;
	__u64 last_release_ns;
	__u64 flush_busy;	/* flushes put off by a program holding a CPU's batch */
	__u64 releases, releases_put_off;
	size_t held_peak;
	bool no_flush;		/* kmt_flush refused or not wanted: no batches */
};

/* How often partial batches are flushed and held events released (what is held: ~1.5x that) */
#define RELEASE_MS	20
#define RELEASE_NS	(RELEASE_MS * 1000000ull)
/* Slack for clocks of different CPUs: an event this close to the release time waits. */
#define RELEASE_SLACK_NS 1000000ull
#define HELD_MAX	(1u << 20)

/* Event types the calibration needs attached even when not recorded. */
#define CALIB_EVENTS ((1ull << KMT_EV_CACHE_ALLOC) | (1ull << KMT_EV_KMALLOC) | \
		      (1ull << KMT_EV_PAGE_ALLOC))

static bool verbose;
static char refused_prog[64];	/* the program libbpf last reported the kernel refused */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[256];
	va_list copy;

	va_copy(copy, args);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	if (strstr(line, "BPF program load failed") &&
	    sscanf(line, "libbpf: prog '%63[^']'", refused_prog) != 1)
		sscanf(line, "prog '%63[^']'", refused_prog);
	if (level != LIBBPF_INFO && !verbose)
		return 0;
	return fputs(line, stderr);
}

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct bpf_program *prog_of(struct collector *c, int type)
{
	char name[64];

	snprintf(name, sizeof(name), "kmt_%s", kmt_event_type_name(type));
	return bpf_object__find_program_by_name(c->skel->obj, name);
}

static int preflight(char *err, size_t errlen)
{
	if (geteuid() != 0) {
		seterr(err, errlen, "recording needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN "
			"for /proc/kpageflags and pagemap): run it with sudo");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		seterr(err, errlen, "kernel BTF not found at /sys/kernel/btf/vmlinux: this kernel "
			"was built without CONFIG_DEBUG_INFO_BTF; record with `perf record -e "
			"'kmem:*'` and convert with `kmmtrace import`");
		return -ENOENT;
	}
	return 0;
}

/* Decide, per event type, whether its program loads; fill rodata from BTF. */
static int configure(struct collector *c, struct btf *btf, char *err, size_t errlen)
{
	struct kmmtrace_bpf__rodata *ro = c->skel->rodata;
	const char *pc_what = NULL;
	const struct btf_type *t;
	int id;

	tp_args__resolve(btf, &c->args);
	for (int ty = KMT_EV_NONE + 1; ty < KMT_EV_MAX; ty++)
		for (int s = 0; s < KMT_SLOT_MAX; s++)
			if (c->args.idx[ty][s] >= 0 && !(kmt_type_slots(ty) & (1u << s))) {
				seterr(err, errlen, "BUG: %s: argument slot %d missing from "
				       "kmt_type_slots()", kmt_event_type_name(ty), s);
				return -EINVAL;
			}
	memcpy((void *)ro->tp_arg, c->args.idx, sizeof(c->args.idx));
	if (context__pc_delta(btf, (__s64 *)&ro->pc_delta, &pc_what) == 0) {
		ro->pc_enabled = true;
		c->calib.method = 1;
	} else {
		fprintf(stderr, "kmmtrace: warning: cannot locate the per-CPU preempt count in "
			"BTF; allocation context will be unknown\n");
	}
	id = btf__find_by_name_kind(btf, "page", BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	c->page_struct_size = t ? t->size : 0;
	if (!c->page_struct_size) {
		seterr(err, errlen, "failed to find struct page in kernel BTF");
		return -ENOENT;
	}
	ro->self_tgid = getpid();
	ro->nr_pids = c->opts.nr_pids;
	memcpy((void *)ro->pids, c->opts.pids, sizeof(c->opts.pids));
	ro->capture_stacks = c->opts.stacks;
	/* a system-wide trace keeps the collector's own page events (see selected()) */
	ro->page_events_all = !c->opts.nr_pids && !c->opts.cgroup && !c->opts.lint.on;
	ro->lint_mode = c->opts.lint.on;
	ro->lint_rt = c->opts.lint.rt;
	ro->lint_reclaim = c->opts.lint.reclaim;
	ro->lint_kswapd = c->opts.lint.kswapd;
	ro->lint_special = c->opts.lint.special;
	ro->lint_nowarn = c->opts.lint.nowarn;
	ro->lint_zero = c->opts.lint.zero;
	ro->lint_iofs = c->opts.lint.iofs;
	ro->lint_kmalloc_big = c->opts.lint.kmalloc_big ? c->opts.lint.kmalloc_big : ~0ull;
	ro->events_mask = c->opts.events;
	ro->wake_bytes = c->opts.ringbuf_bytes / 8;
	return 0;
}

/* Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems). */
static int cgroup2_root(char *root, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[256], dir[4096], type[64];
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(root, len, "%s", dir);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

static int set_cgroup(struct collector *c, char *err, size_t errlen)
{
	struct kmmtrace_bpf__rodata *ro = c->skel->rodata;
	const char *p = c->opts.cgroup;
	char root[4096], path[8192], real[PATH_MAX];
	struct stat st;
	size_t rl;
	int level = 0;

	if (!p)
		return 0;
	if (cgroup2_root(root, sizeof(root))) {
		seterr(err, errlen, "--cgroup needs cgroup v2, and no cgroup2 file system is "
			"mounted");
		return -ENOENT;
	}
	rl = strlen(root);
	if (p[0] == '/')
		snprintf(path, sizeof(path), "%s", p);
	else
		snprintf(path, sizeof(path), "%s/%s", root, p);
	if (realpath(path, real))	/* the level below counts real components only */
		snprintf(path, sizeof(path), "%s", real);
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "failed to open cgroup %s: %s (give a cgroup v2 directory "
			"under %s)", path, strerror(errno ? errno : ENOTDIR), root);
		return -ENOENT;
	}
	if (strncmp(path, root, rl) || (path[rl] && path[rl] != '/')) {
		seterr(err, errlen, "cgroup %s is not under the cgroup v2 mount %s", path, root);
		return -EINVAL;
	}
	/* level: depth below the cgroup v2 root, as bpf_get_current_ancestor_cgroup_id() counts */
	for (p = path + rl; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	ro->cgroup_id = st.st_ino;
	ro->cgroup_level = level;
	return 0;
}

static void select_programs(struct collector *c)
{
	for (int type = 1; type < KMT_EV_MAX; type++) {
		struct bpf_program *p = prog_of(c, type);
		bool want = (c->opts.events | CALIB_EVENTS) & (1ull << type);

		if (!p)
			continue;
		if (!want) {
			c->status[type] = KMT_EVS_OFF;
			bpf_program__set_autoload(p, false);
		} else if (c->args.status[type] != TP_ARGS_OK) {
			c->status[type] = KMT_EVS_MISSING;
			snprintf(c->why[type], sizeof(c->why[type]), "%s", c->args.why[type]);
			bpf_program__set_autoload(p, false);
			if (c->opts.events & (1ull << type))
				fprintf(stderr, "kmmtrace: warning: %s: not recorded\n",
					c->args.why[type]);
		} else {
			c->status[type] = KMT_EVS_ON;
		}
	}
}

static int handle_record(void *ctx, void *data, __u32 size);

/*
 * Test hook: KMMTRACE_TEST_REFUSE=<event> makes that program one the kernel
 * refuses (a socket filter may not call tracing helpers), to exercise the
 * per-program fallback on a kernel where every program loads.
 */
static void test_refuse(struct collector *c)
{
	const char *name = getenv("KMMTRACE_TEST_REFUSE");
	int type = name ? kmt_event_type_from_name(name) : -1;
	struct bpf_program *p = type > 0 ? prog_of(c, type) : NULL;

	if (p && bpf_program__autoload(p))
		bpf_program__set_type(p, BPF_PROG_TYPE_SOCKET_FILTER);
}

/*
 * kmmtrace_bpf's skeleton, holding kmmtrace_direct's programs when direct: the Makefile
 * checked that both objects lay out their maps and globals alike.
 */
static struct kmmtrace_bpf *open_skeleton(bool direct)
{
	struct kmmtrace_bpf *obj;
	int err;

	if (!direct)
		return kmmtrace_bpf__open();
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	err = kmmtrace_bpf__create_skeleton(obj);
	if (!err) {
		obj->skeleton->data = (void *)kmmtrace_direct__elf_bytes(&obj->skeleton->data_sz);
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	}
	if (err) {
		kmmtrace_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

/*
 * The direct preempt-count load needs the bpf_rdonly_cast kfunc (Linux 6.2) and
 * refcount_t's struct in the kernel's BTF; KMMTRACE_NO_DIRECT_PC=1 declines it (to
 * compare the two, bench/run.sh).
 */
static bool direct_pc_possible(const struct btf *btf)
{
	const char *no = getenv("KMMTRACE_NO_DIRECT_PC");

	if (no && *no && strcmp(no, "0"))
		return false;
	return btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0 &&
	       btf__find_by_name_kind(btf, "refcount_struct", BTF_KIND_STRUCT) > 0;
}

static int open_configured(struct collector *c, const __u64 refused, char *err, size_t errlen)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int e;

	if (!btf) {
		seterr(err, errlen, "failed to load kernel BTF: %s", strerror(errno));
		return -errno;
	}
	c->direct_pc = c->direct_pc && direct_pc_possible(btf);
	c->skel = open_skeleton(c->direct_pc);
	if (!c->skel) {
		e = -errno;
		btf__free(btf);
		seterr(err, errlen, "failed to open BPF object: %s", strerror(-e));
		return e;
	}
	e = configure(c, btf, err, errlen);
	btf__free(btf);
	if (e || (e = set_cgroup(c, err, errlen)))
		return e;
	select_programs(c);
	for (int type = 1; type < KMT_EV_MAX; type++) {
		if (!(refused & (1ull << type)))
			continue;
		bpf_program__set_autoload(prog_of(c, type), false);
		c->status[type] = KMT_EVS_FAILED;
		snprintf(c->why[type], sizeof(c->why[type]), "the kernel refused the %s program "
			 "(kmmtrace record -v shows the verifier log)", kmt_event_type_name(type));
	}
	test_refuse(c);
	if (c->no_flush || c->opts.lint.on)	/* lint: few events, each wanted at once */
		bpf_program__set_autoload(c->skel->progs.kmt_flush, false);
	bpf_map__set_max_entries(c->skel->maps.rb, c->opts.ringbuf_bytes);
	bpf_map__set_max_entries(c->skel->maps.stacks, c->opts.stacks ? c->opts.stack_entries : 1);
	bpf_map__set_max_entries(c->skel->maps.stacks_alt,
				 c->opts.stacks ? c->opts.stack_entries / 4 + 1 : 1);
	return 0;
}

/* The event type of program name ("kmt_kmalloc"), or -1. */
static int type_of_prog(const char *name)
{
	return strncmp(name, "kmt_", 4) ? -1 : kmt_event_type_from_name(name + 4);
}

/*
 * Loads; a program this kernel refuses is left out (with a warning) and the
 * rest loaded again, so one tracepoint's quirk costs only its own events.
 */
static int open_and_load(struct collector *c, char *err, size_t errlen)
{
	const char *drop, *then = "";
	__u64 refused = 0;
	int e, type;

	for (;;) {
		if ((e = open_configured(c, refused, err, errlen)))
			return e;
		refused_prog[0] = 0;
		e = kmmtrace_bpf__load(c->skel);
		if (!e)
			break;
		/* what can be done without, retried without it */
		drop = NULL;
		if (c->direct_pc) {
			drop = "the direct preempt-count read";
			then = "; reading it with bpf_probe_read_kernel";
			c->direct_pc = false;
		} else if (!strcmp(refused_prog, "kmt_flush") && !c->no_flush) {
			drop = "kmt_flush";
			then = ": records are sent one by one";
			c->no_flush = true;
		}
		if (drop) {
			if (verbose)
				fprintf(stderr, "kmmtrace: %s did not load (%s)%s\n", drop,
					strerror(-e), then);
			kmmtrace_bpf__destroy(c->skel);
			c->skel = NULL;
			continue;
		}
		type = type_of_prog(refused_prog);
		if (type <= 0 || (refused & (1ull << type))) {
			seterr(err, errlen, "failed to load BPF program %s: %s (run with -v for the "
				"verifier log)", refused_prog[0] ? refused_prog : "(unknown)",
				strerror(-e));
			return e;
		}
		fprintf(stderr, "kmmtrace: warning: the kernel refused the %s program (%s); %s "
			"will not be recorded (-v shows why)\n", refused_prog, strerror(-e),
			kmt_event_type_name(type));
		refused |= 1ull << type;
		kmmtrace_bpf__destroy(c->skel);
		c->skel = NULL;
	}
	if (c->direct_pc && c->calib.method == 1)
		c->calib.method = 3;
	if (verbose)
		fprintf(stderr, "kmmtrace: preempt count read %s\n", c->calib.method == 3 ?
			"with a direct load (bpf_rdonly_cast)" : c->calib.method ?
			"with bpf_probe_read_kernel" : "nowhere (unknown)");
	c->rb = ringbuf__new(bpf_map__fd(c->skel->maps.rb), handle_record, c, &e);
	if (!c->rb) {
		seterr(err, errlen, "failed to map ring buffer: %s", strerror(-e));
		return e;
	}
	return 0;
}

static bool flush_cpu(struct collector *c, int cpu);

/*
 * Batches (see KMT_BATCH) where kmt_flush loaded and runs, but not on PREEMPT_RT:
 * programs are preemptible there, and a batch is per CPU. KMMTRACE_NO_BATCH=1 turns
 * them off (benchmarks compare).
 */
static void setup_batches(struct collector *c)
{
	const char *no = getenv("KMMTRACE_NO_BATCH");
	char *text = NULL, why[128];
	bool rt = false;

	if ((no && atoi(no) > 0) || bpf_program__fd(c->skel->progs.kmt_flush) < 0)
		return;
	sysinfo__kconfig(&text, &rt, why, sizeof(why));
	free(text);
	if (rt || !(c->held = reorder__new(c->nr_cpus)))
		return;
	if (!flush_cpu(c, 0)) {
		if (verbose)
			fprintf(stderr, "kmmtrace: kmt_flush does not run (%s): records are sent "
				"one by one\n", strerror(errno));
		reorder__free(c->held);
		c->held = NULL;
		return;
	}
	c->skel->bss->batch_on = 1;
}

struct collector *collector__new(const struct collector_opts *opts,
				 const struct kmt_sink *sink, char *err, size_t errlen)
{
	struct collector *c;
	char why[256] = "";
	int e;

	if (preflight(err, errlen))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	c->opts = *opts;
	c->sink = *sink;
	verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	c->nr_cpus = libbpf_num_possible_cpus();
	c->ksyms = ksyms__load(NULL, &e, why, sizeof(why));
	if (!c->ksyms)
		fprintf(stderr, "kmmtrace: warning: %s; call sites will not be symbolised\n", why);
	c->last_reload_ns = 0;
	c->direct_pc = true;	/* open_configured() rules it out from the kernel's BTF */
	if (open_and_load(c, err, errlen)) {
		collector__free(c);
		return NULL;
	}
	setup_batches(c);
	return c;
}

int collector__attach(struct collector *c, char *err, size_t errlen)
{
	int attached = 0;

	for (int type = 1; type < KMT_EV_MAX; type++) {
		struct bpf_program *p = prog_of(c, type);

		if (!p || !bpf_program__autoload(p))
			continue;
		c->links[type] = bpf_program__attach(p);
		if (!c->links[type]) {
			c->status[type] = KMT_EVS_FAILED;
			snprintf(c->why[type], sizeof(c->why[type]), "failed to attach %s: %s",
				 kmt_event_type_name(type), strerror(errno));
			fprintf(stderr, "kmmtrace: warning: %s\n", c->why[type]);
			continue;
		}
		attached++;
	}
	if (!attached) {
		seterr(err, errlen, "failed to attach any tracepoint");
		return -ENOENT;
	}
	return 0;
}

/* ---- records ---- */

/*
 * kmem_cache_alloc lost bytes_req/bytes_alloc in 6.1 (commit 2c1d697fb8ba):
 * they are the cache's object_size and size, known from its definition, so the
 * BPF side need not read struct kmem_cache on every allocation.
 */
struct cache_sizes {
	__u64 cache;
	__u32 object_size;
	__u32 size;
};

static struct cache_sizes *cache_slot(struct cache_sizes *t, size_t cap, __u64 cache)
{
	size_t i = (cache >> 6) * 0x9e3779b97f4a7c15ull >> 20;

	for (i &= cap - 1; t[i].cache && t[i].cache != cache; i = (i + 1) & (cap - 1))
		;
	return &t[i];
}

static void remember_cache(struct collector *c, const struct kmt_cache_def *d)
{
	struct cache_sizes *s;

	if ((c->caches_len + 1) * 2 > c->caches_cap) {
		size_t cap = c->caches_cap ? c->caches_cap * 2 : 1024;
		struct cache_sizes *n = calloc(cap, sizeof(*n));

		if (!n)
			return;
		for (size_t i = 0; i < c->caches_cap; i++)
			if (c->caches[i].cache)
				*cache_slot(n, cap, c->caches[i].cache) = c->caches[i];
		free(c->caches);
		c->caches = n;
		c->caches_cap = cap;
	}
	s = cache_slot(c->caches, c->caches_cap, d->cache);
	c->caches_len += !s->cache;
	s->cache = d->cache;
	s->object_size = d->object_size;
	s->size = d->size;
}

static void fill_cache_sizes(struct collector *c, struct kmt_event *e)
{
	const struct cache_sizes *s;

	if (!c->caches_cap || !e->aux)
		return;
	s = cache_slot(c->caches, c->caches_cap, e->aux);
	if (!s->cache)
		return;
	if (c->args.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_SIZE] < 0)
		e->size = s->object_size;
	if (c->args.idx[KMT_EV_CACHE_ALLOC][KMT_SLOT_SIZE2] < 0)
		e->size2 = s->size;
}

/* Reloads the symbols at most once a second (~50 ms each); true if it did. */
static bool reload_ksyms(struct collector *c, bool force)
{
	if (!c->ksyms ||
	    (!force && c->last_reload_ns && now_ns() - c->last_reload_ns < 1000000000ull))
		return false;
	c->last_reload_ns = now_ns();
	return ksyms__reload(c->ksyms, NULL, 0) == 0;
}

static void emit_sym(struct collector *c, __u64 addr)
{
	__u64 *recent = &c->recent_syms[(addr ^ (addr >> 12)) & 4095];
	struct kmt_sym s = { .addr = addr };
	int r;

	if (*recent == addr)
		return;
	*recent = addr;
	r = u64set__add(&c->syms, addr);
	if (r <= 0 || !c->sink.sym)
		return;
	/* a module loaded since: reload, or retry later (retry_unresolved) */
	if (c->ksyms && ksyms__resolve(c->ksyms, addr, &s) < 0 && reload_ksyms(c, false))
		ksyms__resolve(c->ksyms, addr, &s);
	s.addr = addr;
	if (!s.name[0] && c->ksyms) {
		if (c->nr_unresolved == c->cap_unresolved) {
			size_t cap = c->cap_unresolved ? c->cap_unresolved * 2 : 64;
			void *n = realloc(c->unresolved, cap * sizeof(*c->unresolved));

			if (n) {
				c->unresolved = n;
				c->cap_unresolved = cap;
			}
		}
		if (c->nr_unresolved < c->cap_unresolved)
			c->unresolved[c->nr_unresolved++] = addr;
	}
	if (c->sink.sym(c->sink.ctx, &s))
		c->sink_err = -EIO;
}

/*
 * Addresses that had no symbol (a module loading while we record): after a
 * reload, describe again those that now resolve; the sink keeps the last one.
 */
static void retry_unresolved(struct collector *c, bool force)
{
	size_t keep = 0;

	if (!c->nr_unresolved || !reload_ksyms(c, force))
		return;
	for (size_t i = 0; i < c->nr_unresolved; i++) {
		struct kmt_sym s = { .addr = c->unresolved[i] };

		if (ksyms__resolve(c->ksyms, s.addr, &s) < 0 || !s.name[0]) {
			c->unresolved[keep++] = c->unresolved[i];
			continue;
		}
		s.addr = c->unresolved[i];
		if (c->sink.sym(c->sink.ctx, &s))
			c->sink_err = -EIO;
	}
	c->nr_unresolved = keep;
}

static void emit_stack(struct collector *c, __s32 id)
{
	struct kmt_stack s = { .id = id };
	int fd = bpf_map__fd(id & KMT_STACK_ALT ? c->skel->maps.stacks_alt : c->skel->maps.stacks);
	__u32 key = id & ~KMT_STACK_ALT;

	if (id < 0 || u64set__add(&c->stacks, (__u64)id + 1) <= 0)
		return;
	if (bpf_map_lookup_elem(fd, &key, s.ips)) {
		c->stack_lookup_fail++;
		return;
	}
	while (s.nr < KMT_MAX_STACK_DEPTH && s.ips[s.nr])
		s.nr++;
	for (__u32 i = 0; i < s.nr; i++)
		emit_sym(c, s.ips[i]);
	if (c->sink.stack && c->sink.stack(c->sink.ctx, &s))
		c->sink_err = -EIO;
}

static void decode_event(struct collector *c, const struct kmt_rec_event *r, struct kmt_event *e)
{
	memset(e, 0, sizeof(*e));
	e->type = r->hdr.type;
	e->ts = r->hdr.ts;
	e->cpu = r->hdr.cpu;
	e->tgid = r->tgid;
	e->tid = r->tid;
	e->ctx = context__word(&c->calib, r->hdr.flags & KMT_RF_CTX_PC, r->pc,
			       r->hdr.flags & KMT_RF_CTX_RCU, r->rcu);
	e->ptr = r->ptr;
	e->call_site = r->call_site;
	e->size = r->size;
	e->size2 = r->size2;
	e->aux = r->aux;
	e->aux2 = r->aux2;
	e->gfp = r->gfp;
	e->node = r->node;
	e->order = r->order;
	e->mt = r->mt;
	e->arg = r->arg;
	e->arg2 = r->arg2;
	e->stack_id = r->stack_id < 0 ? -1 : r->stack_id;
	if (r->hdr.flags & KMT_RF_PAGE_PTR) {
		/* page_to_pfn() for SPARSEMEM_VMEMMAP; a NULL page (failed alloc) is pfn -1 */
		e->ptr = r->ptr && c->calib.vmemmap_base ?
			(r->ptr - c->calib.vmemmap_base) / c->page_struct_size : ~0ull;
	}
	if (e->type == KMT_EV_CACHE_ALLOC)
		fill_cache_sizes(c, e);
	if (e->type == KMT_EV_PAGE_ALLOC_EXTFRAG)
		e->arg2 = -1;	/* change_ownership: not available from the raw tracepoint */
	if (e->type == KMT_EV_PERCPU_ALLOC) {
		e->arg = (r->arg & 1) | ((r->order & 1) << 1);	/* reserved | is_atomic << 1 */
		e->order = 0;
	}
}

/* The kmt_rec_event a kmt_rec_small stands for (see bpf/kmmtrace.h). */
static void expand_small(const struct kmt_rec_small *s, struct kmt_rec_event *r)
{
	memset(r, 0, sizeof(*r));
	r->hdr = s->hdr;
	r->hdr.flags &= ~KMT_RF_SMALL;
	r->hdr.size = sizeof(*r);
	r->tgid = s->tgid;
	r->tid = s->tid;
	r->pc = s->ctx & 0xffffff;
	r->rcu = (__s8)(s->ctx >> 24);
	r->ptr = s->ptr;
	r->call_site = s->call_site;
	switch (s->hdr.type) {
	case KMT_EV_KMALLOC:
		r->size = s->size;
		r->size2 = s->size2;
		break;
	case KMT_EV_PAGE_ALLOC_ZONE_LOCKED:
		r->arg = (__s32)s->size;
		break;
	default:
		r->aux = s->aux;
		break;
	}
	r->gfp = s->gfp;
	r->stack_id = s->stack_id;
	r->node = s->node;
	r->order = s->order;
	r->mt = s->mt;
}

static int handle_event(struct collector *c, const struct kmt_rec_event *r)
{
	struct kmt_rec_event full;
	struct kmt_event e;

	if (r->hdr.flags & KMT_RF_SMALL) {
		expand_small((const struct kmt_rec_small *)r, &full);
		r = &full;
	}

	decode_event(c, r, &e);
	if (e.call_site)
		emit_sym(c, e.call_site);
	if (e.stack_id >= 0)
		emit_stack(c, e.stack_id);
	c->written[e.type]++;
	if (c->held) {
		if (reorder__push(c->held, &e))
			c->sink_err = -ENOMEM;
	} else if (c->sink.event && c->sink.event(c->sink.ctx, &e)) {
		c->sink_err = -EIO;
	}
	return 0;
}

static int handle_cache(struct collector *c, const struct kmt_rec_cache_def *r)
{
	struct kmt_cache_def d = {
		.cache = r->cache, .object_size = r->object_size, .size = r->size,
		.align = r->align, .flags = r->flags, .order = (__s32)r->order,
		.objects = r->objects, .has_ctor = r->has_ctor,
	};

	memcpy(d.name, r->name, sizeof(d.name));
	d.name[sizeof(d.name) - 1] = 0;
	remember_cache(c, &d);
	if (c->sink.cache && c->sink.cache(c->sink.ctx, &d))
		c->sink_err = -EIO;
	return 0;
}

static int handle_task(struct collector *c, const struct kmt_rec_task *r)
{
	struct kmt_task t = { .tgid = r->tgid, .tid = r->tid };

	memcpy(t.comm, r->comm, sizeof(t.comm));
	t.comm[sizeof(t.comm) - 1] = 0;
	if (c->sink.task && c->sink.task(c->sink.ctx, &t))
		c->sink_err = -EIO;
	return 0;
}

/* One ring-buffer record (several back to back are accepted too). */
static int handle_record(void *ctx, void *data, __u32 size)
{
	struct collector *c = ctx;

	for (__u32 off = 0; off + sizeof(struct kmt_rec_hdr) <= size && !c->sink_err;) {
		const struct kmt_rec_hdr *h = (const void *)((char *)data + off);

		if (h->size < sizeof(*h) || h->size > size - off) {
			c->bad_records++;
			break;
		}
		if (h->type > KMT_EV_NONE && h->type < KMT_EV_MAX &&
		    h->size >= ((h->flags & KMT_RF_SMALL) ? sizeof(struct kmt_rec_small)
							  : sizeof(struct kmt_rec_event)))
			handle_event(c, (const void *)h);
		else if (h->type == KMT_REC_CACHE_DEF && h->size >= sizeof(struct kmt_rec_cache_def))
			handle_cache(c, (const void *)h);
		else if (h->type == KMT_REC_TASK && h->size >= sizeof(struct kmt_rec_task))
			handle_task(c, (const void *)h);
		else
			c->bad_records++;
		off += h->size;
	}
	/* a failing sink (disk full) stops consumption; the caller reports it */
	return c->sink_err;
}

/* ---- calibration ---- */

static __u64 pagemap_pfn(int fd, const void *addr)
{
	__u64 ent = 0;
	off_t off = ((unsigned long)addr / getpagesize()) * sizeof(ent);

	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent) || !(ent & (1ull << 63)))
		return 0;
	return ent & ((1ull << 55) - 1);
}

/* Touch fresh pages; each fault's last page allocation is the page itself. */
static int locate_vmemmap(struct collector *c, char *err, size_t errlen)
{
	struct kmmtrace_bpf__bss *bss = c->skel->bss;
	long ps = getpagesize();
	__u64 cand[16], best = 0;
	int n = 0, votes = 0;
	int fd, e;
	char *m;

	if (!c->links[KMT_EV_PAGE_ALLOC]) {
		seterr(err, errlen, "page events cannot be recorded: they need mm_page_alloc, "
		       "which is not attached, to locate struct pages");
		return -ESRCH;
	}
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		e = -errno;
		seterr(err, errlen, "page events need /proc/self/pagemap, which failed to open "
		       "(%s): run as root in the initial namespace", strerror(-e));
		return e;
	}
	m = mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		e = -errno;
		close(fd);
		seterr(err, errlen, "failed to map calibration pages: %s", strerror(-e));
		return e;
	}
	madvise(m, 16 * ps, MADV_NOHUGEPAGE);
	m[0] = 1;	/* page tables */
	for (int i = 1; i < 16; i++) {
		__u32 before = __atomic_load_n(&bss->calib.nr_pages, __ATOMIC_SEQ_CST), after;
		__u64 pfn;

		m[i * ps] = 1;
		after = __atomic_load_n(&bss->calib.nr_pages, __ATOMIC_SEQ_CST);
		pfn = pagemap_pfn(fd, m + i * ps);
		if (after == before || !pfn)
			continue;
		cand[n++] = bss->calib.pages[(after - 1) & 7] - pfn * c->page_struct_size;
	}
	for (int i = 0; i < n; i++) {
		int v = 0;

		for (int j = 0; j < n; j++)
			v += cand[j] == cand[i];
		if (v > votes) {
			votes = v;
			best = cand[i];
		}
	}
	munmap(m, 16 * ps);
	close(fd);
	if (votes < 3) {
		seterr(err, errlen, "failed to locate struct pages (%d of %d page faults agreed); "
			"page events need /proc/self/pagemap PFNs (CAP_SYS_ADMIN): run as root "
			"in the initial namespace", votes, n);
		return -ENOENT;
	}
	c->calib.vmemmap_base = best;
	return 0;
}

static void process_context_allocations(void)
{
	for (int i = 0; i < 16; i++) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
}

int collector__calibrate(struct collector *c, char *err, size_t errlen)
{
	struct kmmtrace_bpf__bss *bss = c->skel->bss;
	int e;

	bss->calib.min_pc = ~0u;
	bss->calib.min_rcu = 0x7fffffff;
	__atomic_store_n(&bss->calib_tid, (__u32)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	process_context_allocations();
	e = locate_vmemmap(c, err, errlen);
	__atomic_store_n(&bss->calib_tid, 0, __ATOMIC_SEQ_CST);
	c->calib.samples = bss->calib.samples;
	if (bss->calib.min_pc != ~0u) {
		c->calib.pc_known = 1;
		c->calib.pc_base = bss->calib.min_pc & KMT_CTX_PREEMPT_MASK;
		if (bss->calib.min_pc & ~KMT_CTX_PREEMPT_MASK)
			fprintf(stderr, "kmmtrace: warning: calibration saw preempt count 0x%x in "
				"process context\n", bss->calib.min_pc);
	}
	if (bss->calib.min_rcu != 0x7fffffff) {
		c->calib.rcu_known = 1;
		c->calib.rcu_base = bss->calib.min_rcu;
	}
	if (!c->calib.pc_known)
		c->calib.method = 0;
	bss->lint_pc_base = c->calib.pc_base;
	bss->lint_rcu_base = c->calib.rcu_base;
	__atomic_store_n(&bss->lint_armed, 1, __ATOMIC_SEQ_CST);
	/* detach what only the calibration needed */
	for (int type = 1; type < KMT_EV_MAX; type++) {
		if (c->links[type] && !(c->opts.events & (1ull << type))) {
			bpf_link__destroy(c->links[type]);
			c->links[type] = NULL;
			c->status[type] = KMT_EVS_OFF;
		}
	}
	return e;
}

/* ---- running ---- */

static int consume_all(struct collector *c)
{
	int n;

	do {
		n = ringbuf__consume(c->rb);
	} while (n > 0 && !c->sink_err);
	return c->sink_err ? c->sink_err : (n < 0 ? n : 0);
}

static int sink_held(void *ctx, const struct kmt_event *e)
{
	struct collector *c = ctx;

	return c->sink.event && c->sink.event(c->sink.ctx, e) ? -EIO : 0;
}

/*
 * Sends this CPU's partial batch (kmt_flush). false: a program on it holds the batch
 * after several tries, or the run failed.
 */
static bool flush_cpu(struct collector *c, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);
	int fd = bpf_program__fd(c->skel->progs.kmt_flush);

	for (int i = 0; i < 8; i++) {
		o.retval = 0;
		if (bpf_prog_test_run_opts(fd, &o))
			return errno == ENXIO;	/* offline: it holds nothing new */
		if (!o.retval)
			return true;
		c->flush_busy++;
	}
	return false;
}

/*
 * Releases, in time order, the held events timed before a point every CPU is known
 * to have handed over: the clock is read, then each CPU's batch is flushed (a CPU
 * whose batch is held by a program may still produce an earlier time: nothing is
 * released then), then the ring is consumed up to where it was reserved after the
 * flushes. A record reserved directly is reserved before its time is read, so one
 * before that point still being written may be older too: nothing is released then
 * either. all: everything, at the end.
 */
static int release_held(struct collector *c, bool all)
{
	__u64 t = now_ns();
	bool complete = true;
	unsigned long upto;
	int e;

	if (!c->held)
		return 0;
	c->last_release_ns = t;
	for (int cpu = 0; cpu < c->nr_cpus; cpu++)
		complete &= flush_cpu(c, cpu);
	upto = ringbuf__reserved(c->rb);
	if ((e = consume_all(c)))
		return e;
	/* past HELD_MAX events (one CPU's batch held at every try, for rounds on end) the
	 * order is given up rather than memory */
	if (reorder__held(c->held) > c->held_peak)
		c->held_peak = reorder__held(c->held);
	if (!all && (!complete || !ringbuf__consumed_to(c->rb, upto)) &&
	    reorder__held(c->held) < HELD_MAX) {
		c->releases_put_off++;
		return 0;
	}
	c->releases++;
	e = reorder__release(c->held, all ? ~0ull : t - RELEASE_SLACK_NS, sink_held, c);
	if (e)
		c->sink_err = e;
	return e;
}

/* Consumes the ring; with batches, also flushes every CPU's and releases what is due. */
static int drain(struct collector *c)
{
	return c->held ? release_held(c, false) : consume_all(c);
}

int collector__poll(struct collector *c, int timeout_ms)
{
	int n;

	if (c->held && (timeout_ms < 0 || timeout_ms > RELEASE_MS))
		timeout_ms = RELEASE_MS;
	n = ringbuf__poll(c->rb, timeout_ms);

	if (n >= 0 && c->held && now_ns() - c->last_release_ns >= RELEASE_NS)
		release_held(c, false);
	retry_unresolved(c, false);
	if (c->sink_err)
		return c->sink_err;
	return n < 0 && n != -EINTR ? n : 0;
}

/* Events the kernel counted that have not reached the collector (yet). */
static __u64 in_flight(struct collector *c)
{
	struct kmt_counters k;
	__u64 seen = 0, done = 0;

	if (collector__counters(c, &k))
		return 0;
	for (int t = 0; t < KMT_EV_MAX; t++) {
		seen += k.seen[t];
		done += k.written[t] + k.dropped[t];
	}
	return seen > done ? seen - done : 0;
}

int collector__stop(struct collector *c)
{
	int e;

	for (int type = 1; type < KMT_EV_MAX; type++) {
		bpf_link__destroy(c->links[type]);
		c->links[type] = NULL;
	}
	/*
	 * Detaching does not wait for programs already running: drain until counts agree
	 * (with batches, flushing each CPU's), then release every held event.
	 */
	e = drain(c);
	for (int i = 0; i < 50 && !e && in_flight(c); i++) {
		usleep(1000);
		e = drain(c);
	}
	if (!e && c->held)
		e = release_held(c, true);
	retry_unresolved(c, true);
	if (verbose && c->held)
		fprintf(stderr, "kmmtrace: time order: %llu releases, %llu put off (%llu flushes "
			"found a batch held), at most %zu events held\n",
			(unsigned long long)c->releases, (unsigned long long)c->releases_put_off,
			(unsigned long long)c->flush_busy, c->held_peak);
	if (c->bad_records)
		fprintf(stderr, "kmmtrace: BUG: %llu malformed ring-buffer records skipped\n",
			(unsigned long long)c->bad_records);
	return e;
}

__u32 collector__batch(const struct collector *c)
{
	return c->held ? KMT_BATCH : 0;
}

const struct kmt_calib *collector__calib(const struct collector *c)
{
	return &c->calib;
}

int collector__event_status(const struct collector *c, int type, const char **why)
{
	if (type <= 0 || type >= KMT_EV_MAX)
		return KMT_EVS_OFF;
	if (why)
		*why = c->why[type];
	return c->status[type];
}

static __u64 recursion_misses(const struct collector *c)
{
	__u64 n = 0;

	for (int type = 1; type < KMT_EV_MAX; type++) {
		struct bpf_program *p = prog_of((struct collector *)c, type);
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (p && bpf_program__fd(p) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

int collector__counters(const struct collector *c, struct kmt_counters *out)
{
	struct bpf_map *map = c->skel->maps.cpu_state;
	size_t vsz = (bpf_map__value_size(map) + 7) & ~7ul;	/* counters come first */
	__u8 *vals = calloc(c->nr_cpus, vsz);
	__u32 zero = 0;
	__u64 sum[KMT_CNT_MAX] = { 0 };

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &zero, vals)) {
		free(vals);
		return -errno;
	}
	for (int cpu = 0; cpu < c->nr_cpus; cpu++) {
		const __u64 *cnt = (const __u64 *)(vals + cpu * vsz);

		for (int i = 0; i < KMT_CNT_MAX; i++)
			sum[i] += cnt[i];
	}
	free(vals);
	memset(out, 0, sizeof(*out));
	for (int t = 0; t < KMT_EV_MAX; t++) {
		out->seen[t] = sum[KMT_CNT_SEEN + t];
		out->dropped[t] = sum[KMT_CNT_DROPPED + t];
		out->written[t] = c->written[t];
	}
	out->stack_fail = sum[KMT_CNT_STACK_FAIL];
	out->cache_def_dropped = sum[KMT_CNT_CACHE_DEF_DROPPED];
	out->filtered = sum[KMT_CNT_FILTERED];
	out->pc_unknown = sum[KMT_CNT_PC_UNKNOWN];
	out->task_dropped = sum[KMT_CNT_TASK_DROPPED];
	out->stack_lookup_fail = c->stack_lookup_fail;
	out->bad_records = c->bad_records;
	out->recursion_misses = recursion_misses(c);
	return 0;
}

int collector__prog_stats(const struct collector *c, struct kmt_prog_stat *out, int max)
{
	int n = 0;

	for (int type = 1; type < KMT_EV_MAX && n < max; type++) {
		struct bpf_program *p = prog_of((struct collector *)c, type);
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!p || bpf_program__fd(p) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].name, sizeof(out[n].name), "%s", kmt_event_type_name(type));
		out[n].recursion_misses = info.recursion_misses;
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	for (int type = 1; type < KMT_EV_MAX; type++)
		bpf_link__destroy(c->links[type]);
	ringbuf__free(c->rb);
	reorder__free(c->held);
	kmmtrace_bpf__destroy(c->skel);
	ksyms__free(c->ksyms);
	u64set__free(&c->syms);
	free(c->unresolved);
	u64set__free(&c->stacks);
	free(c->caches);
	free(c);
}

/* ---- event selection ---- */

static __u64 group_mask(const char *name)
{
	static const struct {
		const char *name;
		__u64 mask;
	} groups[] = {
		{ "all", ((1ull << KMT_EV_MAX) - 1) & ~1ull },
		{ "slab", (1ull << KMT_EV_KMALLOC) | (1ull << KMT_EV_KFREE) |
			  (1ull << KMT_EV_CACHE_ALLOC) | (1ull << KMT_EV_CACHE_FREE) },
		{ "page", ((1ull << (KMT_EV_PAGE_ALLOC_EXTFRAG + 1)) - 1) &
			  ~((1ull << KMT_EV_PAGE_ALLOC) - 1) },
		{ "vmalloc", (1ull << KMT_EV_VMAP_ALLOC) | (1ull << KMT_EV_VMAP_FREE) |
			     (1ull << KMT_EV_VMAP_PURGE) },
		{ "percpu", (1ull << KMT_EV_PERCPU_ALLOC) | (1ull << KMT_EV_PERCPU_FREE) |
			    (1ull << KMT_EV_PERCPU_CHUNK_CREATE) |
			    (1ull << KMT_EV_PERCPU_CHUNK_DESTROY) },
		{ "tlb", 1ull << KMT_EV_TLB_FLUSH },
	};

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strcmp(name, groups[i].name))
			return groups[i].mask;
	if (!strcmp(name, "kmem") || !strcmp(name, "kmem:*"))
		return group_mask("slab") | group_mask("page");
	return 0;
}

int collector__parse_events(const char *list, __u64 *mask, char *err, size_t errlen)
{
	char *dup = strdup(list), *save = NULL, *tok;
	int e = 0;

	if (!dup)
		return -ENOMEM;
	*mask = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *star = strstr(tok, ":*");
		int type = kmt_event_type_from_name(tok);
		__u64 g = group_mask(tok);

		if (star)
			*star = 0;
		if (!g && star)
			g = group_mask(tok);
		if (type > 0)
			*mask |= 1ull << type;
		else if (g)
			*mask |= g;
		else {
			seterr(err, errlen, "unknown event '%s' (names: kmalloc, kfree, "
				"kmem_cache_alloc, ..., groups: all, slab, page, vmalloc, percpu, "
				"tlb, kmem)", tok);
			e = -EINVAL;
			break;
		}
	}
	free(dup);
	return e;
}
