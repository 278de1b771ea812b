// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes the binary seeds of the fuzz harnesses (make fuzz; nothing binary is
 * committed):
 *   gen-seeds TRACE_DIR TEXT_DIR DATA_DIR [IMPORT.txt ...]
 * TRACE_DIR gets synthetic traces holding every event type, every definition
 * kind and every META key (stored and compressed, one cut short), and each
 * IMPORT.txt imported into a stored trace; TEXT_DIR gets fuzz_text's binary
 * META values (mode '9'). DATA_DIR is tests/data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gfp.h"
#include "import.h"
#include "sysinfo.h"
#include "trace.h"

static const char *data_dir;
static struct kmt_gfp_entry *gfp;
static size_t nr_gfp;

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "gen-seeds: cannot read %s\n", path);
		exit(1);
	}
	buf = malloc(n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		exit(1);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static void check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "gen-seeds: %s: %s\n", what, strerror(-err));
		exit(1);
	}
}

static void meta(struct trace_writer *w, __u16 key, const void *v, size_t len)
{
	check(trace_writer__meta_add(w, key, v, len), "meta_add");
}

static void meta_str(struct trace_writer *w, __u16 key, const char *s)
{
	meta(w, key, s, strlen(s));
}

static void meta_u32(struct trace_writer *w, __u16 key, __u32 v)
{
	meta(w, key, &v, sizeof(v));
}

static void snapshot(struct trace_writer *w, __u8 phase, const char *name, const char *text)
{
	size_t nl = strlen(name), tl = strlen(text);
	char *v = malloc(1 + nl + 1 + tl);

	v[0] = phase;
	memcpy(v + 1, name, nl + 1);
	memcpy(v + 2 + nl, text, tl);
	meta(w, KMT_META_SNAPSHOT, v, 2 + nl + tl);
	free(v);
}

/* Three small zones: 16 Ki pages in all, so the replay's model stays small. */
static const struct kmt_zone_info zones[] = {
	{ 0, "DMA", 0, 1024, 999, 960 },
	{ 0, "DMA32", 1024, 7168, 7168, 7000 },
	{ 0, "Normal", 8192, 8192, 8192, 8000 },
};

static const char buddyinfo[] =
	"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      0\n"
	"Node 0, zone    DMA32      1      1      4      2      5      4      3      3      4      2      4\n"
	"Node 0, zone   Normal     36     80     20     28      2      3      4      2      9      3      2\n";

static const char zoneinfo[] =
	"Node 0, zone      DMA\n  pages free     768\n        min      11\n        spanned  1024\n"
	"        present  999\n        managed  960\n  start_pfn:           0\n"
	"Node 0, zone    DMA32\n  pages free     5000\n        spanned  7168\n"
	"        present  7168\n        managed  7000\n  start_pfn:           1024\n"
	"Node 0, zone   Normal\n  pages free     3000\n        spanned  8192\n"
	"        present  8192\n        managed  8000\n  start_pfn:           8192\n"
	"Node 0, zone  Movable\n  pages free     0\n        spanned  0\n        present  0\n";

static const char slabinfo[] =
	"slabinfo - version: 2.1\n"
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
	"dentry             25000  25305    192   21    1 : tunables    0    0    0 : slabdata   1205   1205      0\n"
	"filp                2048   2112    256   32    2 : tunables    0    0    0 : slabdata     66     66      0\n"
	"kmalloc-1k           480    512   1024   16    4 : tunables    0    0    0 : slabdata     32     32      0\n"
	"kmalloc-192         1280   1302    192   21    1 : tunables    0    0    0 : slabdata     62     62      0\n"
	"kmalloc-64          6400   6400     64   64    1 : tunables    0    0    0 : slabdata    100    100      0\n"
	"kmalloc-8k            40     48   8192    4    8 : tunables    0    0    0 : slabdata     12     12      0\n";

static const char vmallocinfo[] =
	"0xffffc90000000000-0xffffc90000005000   20480 copy_process+0x1b3/0x1a20 pages=4 vmalloc N0=4\n"
	"0xffffc90000005000-0xffffc90000007000    8192 acpi_os_map_iomem+0x1ac/0x1c0 phys=0x000000007ffe0000 ioremap\n"
	"0xffffc90000010000-0xffffc90000015000   20480 unpurged vm_area\n"
	"0xffffc90000200000-0xffffc90000401000 2101248 bpf_prog_alloc_no_stats+0x3a/0x1a0 pages=512 vmalloc vpages N0=512\n";

static const char extfrag[] =
	"Node 0, zone      DMA -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000\n"
	"Node 0, zone    DMA32 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000\n"
	"Node 0, zone   Normal -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 0.953\n";

static const char unusable[] =
	"Node 0, zone      DMA 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.100 0.400\n"
	"Node 0, zone    DMA32 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.010 0.020 0.050\n"
	"Node 0, zone   Normal 0.000 0.010 0.030 0.060 0.100 0.120 0.170 0.230 0.280 0.440 0.650\n";

static void freemap_meta(struct trace_writer *w, __u8 phase, __u64 shift)
{
	struct freemap fm = {};
	struct freemap_read rd[2] = {
		{ 0, 8192, 1000, 2000 }, { 8192, 8192, 2000, 3500 },
	};
	__u8 tv[8 + sizeof(rd)] = { phase };
	void *v;
	size_t len;

	freemap__add(&fm, 256 + shift, 768);
	freemap__add(&fm, 2048, 5000);
	freemap__add(&fm, 9000 + shift, 513);
	freemap__add(&fm, 12000, 3000);
	check(freemap__encode(&fm, phase, &v, &len), "freemap__encode");
	meta(w, KMT_META_FREEMAP, v, len);
	free(v);
	freemap__free(&fm);
	memcpy(tv + 8, rd, sizeof(rd));
	meta(w, KMT_META_FREEMAP_TIMES, tv, sizeof(tv));
}

static void start_meta(struct trace_writer *w, bool full)
{
	struct kmt_calib calib = { .pc_base = 1, .pc_known = 1, .rcu_known = 1, .samples = 50,
				   .method = 1, .vmemmap_base = 0xffffea0000000000ull };
	struct kmt_clock clock = { .realtime_minus_mono = 1700000000000000000ll,
				   .start_mono = 1000 };
	struct kmt_event_status evs[KMT_EV_MAX - 1];
	__u32 nodes[2] = { 0, 0 };
	size_t len;
	char *pti;

	meta_str(w, KMT_META_KERNEL_RELEASE, "6.18.0-fuzz");
	meta_str(w, KMT_META_MACHINE, "x86_64");
	meta_u32(w, KMT_META_NR_CPUS, 2);
	meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	meta(w, KMT_META_GFP_TABLE, gfp, nr_gfp * sizeof(*gfp));
	meta_u32(w, KMT_META_NR_PAGE_ORDERS, 11);
	meta_u32(w, KMT_META_PAGEBLOCK_ORDER, 9);
	meta_str(w, KMT_META_MIGRATETYPES, "Unmovable\nMovable\nReclaimable\nHighAtomic\nIsolate");
	meta(w, KMT_META_ZONES, zones, sizeof(zones));
	meta_str(w, KMT_META_KCONFIG, "CONFIG_TRANSPARENT_HUGEPAGE=y\nCONFIG_PREEMPT_COUNT=y\n"
		 "# CONFIG_PREEMPT_RT is not set\n");
	meta(w, KMT_META_CALIB, &calib, sizeof(calib));
	meta(w, KMT_META_CLOCK, &clock, sizeof(clock));
	meta_u32(w, KMT_META_STACKS, 1);
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_BUDDYINFO, buddyinfo);
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_SLABINFO, slabinfo);
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_VMALLOCINFO, vmallocinfo);
	freemap_meta(w, KMT_PHASE_START, 0);
	if (!full)
		return;
	meta_str(w, KMT_META_KERNEL_VERSION, "#1 SMP PREEMPT_DYNAMIC");
	meta_str(w, KMT_META_HOSTNAME, "fuzz");
	meta_str(w, KMT_META_BOOT_ID, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	meta_u32(w, KMT_META_PREEMPT_RT, 0);
	meta_str(w, KMT_META_CMDLINE, "kmmtrace record -g -o fuzz.kmt");
	for (int t = 1; t < KMT_EV_MAX; t++)
		evs[t - 1] = (struct kmt_event_status){ t, t % 5 ? KMT_EVS_ON : KMT_EVS_MISSING };
	meta(w, KMT_META_EVENTS, evs, sizeof(evs));
	meta_str(w, KMT_META_TOOL_VERSION, "kmmtrace fuzz");
	meta_u32(w, KMT_META_STRUCT_PAGE, 64);
	meta_str(w, KMT_META_FILTER, "pid 100");
	meta_u32(w, KMT_META_COLLECTOR_PID, 4242);
	meta(w, KMT_META_CPU_NODES, nodes, sizeof(nodes));
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_ZONEINFO, zoneinfo);
	pti = slurp(data_dir, "pagetypeinfo-6.18.txt", &len);
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_PAGETYPEINFO, pti);
	free(pti);
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_MEMINFO, "MemTotal:  524288 kB\nMemFree: 300000 kB\n");
	snapshot(w, KMT_PHASE_START, SYSINFO_SNAP_VMSTAT, "nr_free_pages 75000\npgalloc_normal 100\n");
}

static void end_meta(struct trace_writer *w, bool full, __u64 events)
{
	struct kmt_clock clock = { .realtime_minus_mono = 1700000000000000000ll,
				   .start_mono = 1000, .end_mono = 900000 };
	struct kmt_counters cnt = { .filtered = 3 };
	struct kmt_prog_stat ps[2] = { { "kmt_kmalloc", 2, 100, 18000 },
				       { "kmt_mm_page_alloc", 0, 50, 9000 } };
	__u64 t[2] = { 800000, 850000 };

	for (int i = 1; i < KMT_EV_MAX; i++) {
		cnt.seen[i] = events / (KMT_EV_MAX - 1) + i;
		cnt.written[i] = events / (KMT_EV_MAX - 1);
		cnt.dropped[i] = i & 1;
	}
	meta(w, KMT_META_CLOCK, &clock, sizeof(clock));
	meta(w, KMT_META_COUNTERS, &cnt, sizeof(cnt));
	snapshot(w, KMT_PHASE_END, SYSINFO_SNAP_BUDDYINFO, buddyinfo);
	meta(w, KMT_META_END_BUDDYINFO_TIME, t, sizeof(t));
	if (!full)
		return;
	meta(w, KMT_META_PROG_STATS, ps, sizeof(ps));
	snapshot(w, KMT_PHASE_END, SYSINFO_SNAP_SLABINFO, slabinfo);
	snapshot(w, KMT_PHASE_END, SYSINFO_SNAP_VMALLOCINFO, vmallocinfo);
	snapshot(w, KMT_PHASE_END, SYSINFO_SNAP_EXTFRAG_INDEX, extfrag);
	snapshot(w, KMT_PHASE_END, SYSINFO_SNAP_UNUSABLE_INDEX, unusable);
	freemap_meta(w, KMT_PHASE_END, 7);
	meta_str(w, KMT_META_ERRORS, "stack map full: 3 stacks lost\n");
}

#define SYM_BASE	0xffffffff81000000ull
#define SLAB_BASE	0xffff888100000000ull

static const char *const sym_names[] = {
	"kmalloc_trace_noprof", "alloc_pipe_info", "getname_flags", "alloc_empty_file",
	"__alloc_skb", "copy_process", "ext4_alloc_inode", "kvmalloc_node_noprof",
	"__vmalloc_node_range_noprof", "pcpu_alloc_noprof", "bpf_prog_alloc_no_stats",
	"rmqueue_bulk",
};
#define NR_SYMS	(sizeof(sym_names) / sizeof(sym_names[0]))

static void defs(struct trace_writer *w, int round)
{
	static const char *const caches[] = { "kmalloc-64", "kmalloc-192", "kmalloc-1k",
					      "dentry", "filp", "kmalloc-8k" };
	static const __u32 sizes[] = { 64, 192, 1024, 192, 256, 8192 };

	for (size_t i = 0; i < NR_SYMS; i++) {
		struct kmt_sym s = { .addr = SYM_BASE + i * 0x1000 + 0x1a, .offset = 0x1a };

		snprintf(s.name, sizeof(s.name), "%s", sym_names[i]);
		if (i == 6)
			snprintf(s.module, sizeof(s.module), "ext4");
		check(trace_writer__add_sym(w, &s), "add_sym");
	}
	for (size_t i = 0; i < 6; i++) {
		struct kmt_cache_def c = { .cache = SLAB_BASE + 0x100000 + i * 0x100,
					   .object_size = sizes[i] - (i & 1) * 8,
					   .size = sizes[i], .align = 8, .flags = i == 3 ? 0x20000 : 0,
					   .order = sizes[i] >= 1024 ? 3 : 0,
					   .objects = (4096u << (sizes[i] >= 1024 ? 3 : 0)) / sizes[i],
					   .has_ctor = i == 4 };

		snprintf(c.name, sizeof(c.name), "%s", caches[i]);
		check(trace_writer__add_cache(w, &c), "add_cache");
	}
	for (int i = 0; i < 4; i++) {
		struct kmt_task t = { .tgid = 100 + (i & ~1), .tid = 100 + i };

		snprintf(t.comm, sizeof(t.comm), "%s%d", round ? "worker" : "kmmtrace", i);
		check(trace_writer__add_task(w, &t), "add_task");
	}
	for (int i = 0; i < 4; i++) {
		struct kmt_stack s = { .id = i + 10 * round, .nr = 3 + i };

		for (__u32 k = 0; k < s.nr; k++)
			s.ips[k] = SYM_BASE + ((i + k) % NR_SYMS) * 0x1000 + 0x1a + k;
		check(trace_writer__add_stack(w, &s), "add_stack");
	}
}

/* Contexts: process, a spinlock, softirq, hardirq, BH off, RCU, unknown. */
static const __u32 ctxs[] = { 0xc0000000u, 0xc0000001u, 0xc0000100u, 0xc0010000u,
			      0xc0000200u, 0xc2000000u, 0 };

static void events(struct trace_writer *w, int n, __u64 seed)
{
	static const __u32 gfps[] = { 0xcc0, 0x820, 0x2800, 0x100cca, 0x400dc0, 0x8c40, 0 };
	__u64 ts = 1000, live[64] = { 0 }, pfn = 9000, va = 0xffffc90000020000ull;
	int nlive = 0;

	for (int i = 0; i < n; i++) {
		__u64 r = seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		int type = 1 + (r >> 33) % (KMT_EV_MAX - 1);
		struct kmt_event e = {
			.ts = ts += 300 + (r >> 50) % 500, .type = type, .cpu = (r >> 20) & 1,
			.tid = 100 + ((r >> 22) & 3), .ctx = ctxs[(r >> 24) % 7],
			.stack_id = (r >> 27) % 3 ? (int)((r >> 29) % 4) : -1,
			.call_site = SYM_BASE + ((r >> 40) % NR_SYMS) * 0x1000 + 0x1a,
			.gfp = gfps[(r >> 44) % 7], .node = -1,
		};

		e.tgid = 100 + ((e.tid - 100) & ~1);
		if (i % 97 == 5)
			e.type = 40 + i % 3;	/* a type this build does not know */
		switch (e.type) {
		case KMT_EV_KMALLOC:
		case KMT_EV_CACHE_ALLOC:
			e.size = 1 + (r >> 8) % 200;
			e.size2 = e.size <= 64 ? 64 : e.size <= 192 ? 192 : 1024;
			e.aux = SLAB_BASE + 0x100000 + (e.size2 == 64 ? 0 : e.size2 == 192 ? 1 : 2) * 0x100;
			if (i % 31 == 3) {	/* kmalloc_large */
				e.size = e.size2 = 16384;
				e.aux = 0;
			}
			e.ptr = SLAB_BASE + 0x200000 + (__u64)(i % 40) * e.size2;
			if (nlive < 64)
				live[nlive++] = e.ptr;
			break;
		case KMT_EV_KFREE:
		case KMT_EV_CACHE_FREE:
			e.ptr = nlive ? live[--nlive] : 0;
			e.aux = SLAB_BASE + 0x100000;
			break;
		case KMT_EV_PAGE_ALLOC:
			e.ptr = pfn += 1 + (r >> 5) % 8;
			e.order = (r >> 9) % 4;
			e.mt = (r >> 13) % 3;
			if (i % 53 == 7)
				e.ptr = ~0ull;	/* a failed allocation */
			break;
		case KMT_EV_PAGE_FREE:
		case KMT_EV_PAGE_FREE_BATCHED:
		case KMT_EV_PAGE_PCPU_DRAIN:
			e.ptr = pfn - (r >> 5) % 16;
			e.order = e.type == KMT_EV_PAGE_FREE_BATCHED ? 0 : (r >> 9) % 3;
			e.mt = (r >> 13) % 3;
			break;
		case KMT_EV_PAGE_ALLOC_ZONE_LOCKED:
			e.ptr = 2048 + (r >> 5) % 4000;
			e.order = (r >> 9) % 3;
			e.mt = 1;
			e.arg = (r >> 11) & 1;
			break;
		case KMT_EV_PAGE_ALLOC_EXTFRAG:
			e.ptr = 12000 + (r >> 5) % 3000;
			e.aux = 1;
			e.order = 0;
			e.mt = 0;
			e.arg = 9;
			e.arg2 = 1;
			break;
		case KMT_EV_VMAP_ALLOC:
			e.ptr = va += 0x5000;
			e.size = 0x5000 + ((r >> 7) & 1) * 0x200000;
			e.size2 = (r >> 8) & 1 ? 0x200000 : 4096;
			e.aux = 0xffffc90000000000ull;
			e.aux2 = 0xffffe8ffffffffffull;
			e.arg = i % 41 == 9;
			break;
		case KMT_EV_VMAP_FREE:
			e.ptr = va;
			e.size = 5;
			e.size2 = 32768;
			break;
		case KMT_EV_VMAP_PURGE:
			e.ptr = 0xffffc90000020000ull;
			e.size = 3;
			e.aux = va + 0x5000;
			break;
		case KMT_EV_PERCPU_ALLOC:
			e.size = 8 << ((r >> 6) & 3);
			e.size2 = e.size * 2;
			e.aux = 0xffffe8ffff000000ull;
			e.aux2 = (r >> 12) % 4096;
			e.arg = (r >> 14) & 3;
			e.arg2 = 8;
			e.ptr = 0x60000 + e.aux2;
			break;
		case KMT_EV_PERCPU_FREE:
			e.aux = 0xffffe8ffff000000ull;
			e.aux2 = (r >> 12) % 4096;
			e.ptr = 0x60000 + e.aux2;
			break;
		case KMT_EV_TLB_FLUSH:
			e.size = (r >> 6) % 64;
			e.arg = (r >> 12) % 5;
			break;
		default:	/* percpu chunks, unknown types */
			e.ptr = 0xffffe8ffff000000ull + ((r >> 6) % 4) * 0x200000;
			e.size = r >> 40;
			e.size2 = e.size + 5;
			e.aux = r;
			e.aux2 = ~r;
			e.order = -1;
			e.mt = 2;
			e.arg = -7;
			e.arg2 = 3;
			break;
		}
		if (i % 61 == 11)
			e.flags = KMT_EVF_NO_CTX;
		if (i % 200 == 150)
			ts -= 2000;	/* slightly out of order, as per-CPU buffers deliver */
		check(trace_writer__add_event(w, &e), "add_event");
	}
}

static void synthetic(const char *dir, const char *name, int zlevel, __u32 chunk, int n,
		      bool full, size_t cut)
{
	struct trace_writer_opts o = { .sz = sizeof(o), .chunk_events = chunk, .zlevel = zlevel };
	struct trace_writer *w;
	char path[1024];
	__u64 bytes;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	w = trace_writer__open(path, &o, &err);
	check(w ? 0 : err, path);
	start_meta(w, full);
	check(trace_writer__meta_flush(w), "meta_flush");
	for (int round = 0; round < 2; round++) {
		defs(w, round);
		trace_writer__set_lost(w, round * 3);
		events(w, n / 2, 12345 + round + n);
		check(trace_writer__flush(w), "flush");
	}
	end_meta(w, full, n);
	check(trace_writer__finish(w), "finish");
	bytes = trace_writer__bytes(w);
	trace_writer__free(w);
	if (cut && cut < bytes && truncate(path, cut)) {
		perror(path);
		exit(1);
	}
}

/* A capture imported as `kmmtrace import` does, into a stored trace. */
static void imported(const char *dir, const char *txt)
{
	struct trace_writer_opts o = { .sz = sizeof(o), .chunk_events = 128, .zlevel = -1 };
	struct import_opts io = { .sz = sizeof(io), .gfp = gfp, .nr_gfp = nr_gfp };
	const char *base = strrchr(txt, '/') ? strrchr(txt, '/') + 1 : txt;
	struct trace_writer *w;
	struct importer *imp;
	struct kmt_sink sink;
	char path[1024], *text, *line, *next;
	__u64 lineno = 0;
	int err = 0;

	snprintf(path, sizeof(path), "%s/import-%.*s.kmt", dir,
		 (int)(strstr(base, ".txt") ? strstr(base, ".txt") - base : (long)strlen(base)), base);
	text = slurp(".", txt, NULL);
	w = trace_writer__open(path, &o, &err);
	check(w ? 0 : err, path);
	meta_str(w, KMT_META_KERNEL_RELEASE, "6.18.0-import");
	meta_u32(w, KMT_META_PAGE_SIZE, 4096);
	meta(w, KMT_META_GFP_TABLE, gfp, nr_gfp * sizeof(*gfp));
	check(trace_writer__meta_flush(w), "meta_flush");
	sink = trace_writer__sink(w);
	imp = importer__new(&io, &sink);
	for (line = text; line && *line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		err = importer__line(imp, line, ++lineno);
	}
	if (!err)
		err = importer__finish(imp);
	check(err, txt);
	importer__free(imp);
	check(trace_writer__finish(w), "finish");
	trace_writer__free(w);
	free(text);
}

static void write_seed(const char *dir, const char *name, const void *v, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite("9", 1, 1, f) != 1 || (len && fwrite(v, 1, len, f) != len) || fclose(f)) {
		fprintf(stderr, "gen-seeds: cannot write %s\n", path);
		exit(1);
	}
}

/* fuzz_text mode '9': binary META values. */
static void meta_seeds(const char *dir)
{
	struct freemap fm = {};
	struct freemap_read rd[2] = { { 0, 4096, 10, 20 }, { 4096, 100, 20, 30 } };
	__u8 tv[8 + sizeof(rd)] = { 0 };
	char snap[64];
	void *v;
	size_t len;

	write_seed(dir, "meta-gfp-table", gfp, nr_gfp * sizeof(*gfp));
	freemap__add(&fm, 1, 3);
	freemap__add(&fm, 4096, 1 << 20);
	freemap__add(&fm, 1ull << 40, 12345);
	check(freemap__encode(&fm, 0, &v, &len), "freemap__encode");
	write_seed(dir, "meta-freemap", v, len);
	free(v);
	freemap__free(&fm);
	memcpy(tv + 8, rd, sizeof(rd));
	write_seed(dir, "meta-freemap-times", tv, sizeof(tv));
	len = snprintf(snap, sizeof(snap), "%cbuddyinfo%cNode 0, zone DMA 1 2 3\n", 1, 0);
	write_seed(dir, "meta-snapshot", snap, len);
	write_seed(dir, "meta-migratetypes", "Unmovable\nMovable\nReclaimable\nHighAtomic\nIsolate",
		   48);
}

int main(int argc, char **argv)
{
	char why[256], *fmt;

	if (argc < 4) {
		fprintf(stderr, "usage: gen-seeds TRACE_DIR TEXT_DIR DATA_DIR [IMPORT.txt ...]\n");
		return 2;
	}
	data_dir = argv[3];
	fmt = slurp(data_dir, "kmalloc-6.18.format", NULL);
	if (gfp_table__from_format(fmt, NULL, &gfp, &nr_gfp, why, sizeof(why))) {
		fprintf(stderr, "gen-seeds: %s\n", why);
		return 1;
	}
	free(fmt);
	synthetic(argv[1], "synthetic-stored.kmt", -1, 64, 600, true, 0);
	synthetic(argv[1], "synthetic-deflate.kmt", 1, 64, 600, true, 0);
	synthetic(argv[1], "small-stored.kmt", -1, 16, 40, false, 0);
	synthetic(argv[1], "small-deflate.kmt", 6, 1000, 60, false, 0);
	synthetic(argv[1], "cut-stored.kmt", -1, 32, 200, false, 9000);
	for (int i = 4; i < argc; i++)
		imported(argv[1], argv[i]);
	meta_seeds(argv[2]);
	free(gfp);
	return 0;
}
