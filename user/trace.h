/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kmmtrace trace file (.kmt): writer and reader. Format in docs/FORMAT.md.
 *
 * A file is a header followed by frames. Every frame has a sync word, a type,
 * a sequence number, lengths and CRC32s, and is compressed alone, so a file cut
 * at any byte reads up to its last whole frame. Metadata frames hold (key, value)
 * items; chunk frames hold definitions (caches, tasks, stacks, symbols) followed
 * by column-encoded events.
 */
#ifndef __KMT_TRACE_H
#define __KMT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include "event.h"

#define KMT_FILE_MAGIC		"KMMTRACE"
#define KMT_FORMAT_MAJOR	1	/* readers reject a larger major */
#define KMT_FORMAT_MINOR	0

/* Metadata keys. Values are little-endian binary or NUL-free text (len excludes no NUL). */
enum kmt_meta_key {
	KMT_META_KERNEL_RELEASE = 1,	/* text: uname -r */
	KMT_META_KERNEL_VERSION = 2,	/* text: uname -v */
	KMT_META_MACHINE = 3,		/* text: uname -m */
	KMT_META_HOSTNAME = 4,		/* text */
	KMT_META_BOOT_ID = 5,		/* text: /proc/sys/kernel/random/boot_id */
	KMT_META_NR_CPUS = 6,		/* u32: possible CPUs */
	KMT_META_PAGE_SIZE = 7,		/* u32 */
	KMT_META_GFP_TABLE = 8,		/* struct kmt_gfp_entry[] (see gfp.h) */
	KMT_META_NR_PAGE_ORDERS = 9,	/* u32: MAX_PAGE_ORDER + 1 */
	KMT_META_PAGEBLOCK_ORDER = 10,	/* u32 */
	KMT_META_MIGRATETYPES = 11,	/* text: names separated by '\n', in kernel order */
	KMT_META_ZONES = 12,		/* struct kmt_zone_info[] */
	KMT_META_KCONFIG = 13,		/* text: selected CONFIG_ lines of the running kernel */
	KMT_META_PREEMPT_RT = 14,	/* u32: 1 on PREEMPT_RT kernels */
	KMT_META_CALIB = 15,		/* struct kmt_calib */
	KMT_META_CLOCK = 16,		/* struct kmt_clock */
	KMT_META_CMDLINE = 17,		/* text: the kmmtrace command line */
	KMT_META_EVENTS = 18,		/* struct kmt_event_status[] */
	KMT_META_SNAPSHOT = 19,		/* u8 phase, NUL-terminated name, then the file's text */
	KMT_META_FREEMAP = 20,		/* u8 phase, then varint pairs (pfn delta, run length) */
	KMT_META_COUNTERS = 21,		/* struct kmt_counters (end of recording) */
	KMT_META_PROG_STATS = 22,	/* struct kmt_prog_stat[] (end of recording) */
	KMT_META_TOOL_VERSION = 23,	/* text */
	KMT_META_STRUCT_PAGE = 24,	/* u32 sizeof(struct page) */
	KMT_META_FILTER = 25,		/* text: pid/cgroup filters in force */
	KMT_META_STACKS = 26,		/* u32: 1 when stacks were captured */
	KMT_META_ERRORS = 27,		/* text: problems met while recording, one per line */
	KMT_META_FREEMAP_TIMES = 28,	/* u8 phase, 7 pad, struct freemap_read[] (sysinfo.h) */
	KMT_META_COLLECTOR_PID = 29,	/* u32: the recorder's own pid (only its page events are in) */
	KMT_META_CPU_NODES = 31,	/* u32 per possible CPU: its NUMA node */
	KMT_META_END_BUDDYINFO_TIME = 30, /* u64 t_begin, t_end: when the first END buddyinfo was
					   * read, still tracing (CLOCK_MONOTONIC) */
	KMT_META_BATCH = 32,		/* u32: records per CPU batch; the events are in time order */
	KMT_META_MAX,
};

enum kmt_phase {
	KMT_PHASE_START = 0,
	KMT_PHASE_END = 1,
};

struct kmt_zone_info {
	__u32 node;
	char name[12];		/* "DMA", "DMA32", "Normal", "Movable", ... */
	__u64 start_pfn;
	__u64 spanned;
	__u64 present;
	__u64 managed;
};

struct kmt_calib {
	__u32 pc_base;		/* preempt count the tracing machinery adds in process context */
	__s32 rcu_base;		/* RCU nesting it adds (0 if untracked) */
	__u32 pc_known;		/* 1 if the preempt count could be read */
	__u32 rcu_known;	/* 1 if task->rcu_read_lock_nesting exists */
	__u32 samples;		/* calibration events seen */
	__u32 method;		/* preempt count found from: 0 nowhere; 1 per-CPU offsets from BTF
			 * + this CPU's runqueue, bpf_probe_read_kernel; 2 (unused) __ksym;
			 * 3 as 1, read with a direct load (bpf_rdonly_cast) */
	__u64 vmemmap_base;	/* struct page * of pfn 0 (0 unknown) */
};

struct kmt_clock {
	__s64 realtime_minus_mono;	/* ns: add to event ts for wall-clock time */
	__u64 start_mono;
	__u64 end_mono;
};

/* status of each event type's program at record time */
enum kmt_ev_status {
	KMT_EVS_OFF = 0,	/* not requested */
	KMT_EVS_ON = 1,		/* attached */
	KMT_EVS_MISSING = 2,	/* tracepoint absent on this kernel */
	KMT_EVS_FAILED = 3,	/* load or attach failed */
};

struct kmt_event_status {
	__u32 type;
	__u32 status;
};

struct kmt_counters {
	__u64 seen[KMT_EV_MAX];		/* emitted by the kernel, counted in BPF */
	__u64 dropped[KMT_EV_MAX];	/* failed ring-buffer reserves */
	__u64 written[KMT_EV_MAX];	/* written to the file */
	__u64 stack_fail;
	__u64 cache_def_dropped;
	__u64 filtered;
	__u64 pc_unknown;
	__u64 task_dropped;		/* task descriptions lost (retried on the next event) */
	__u64 stack_lookup_fail;	/* stack ids whose stack could not be read */
	__u64 bad_records;		/* malformed ring-buffer records (a bug) */
	__u64 recursion_misses;		/* events lost: a program re-entered on its CPU */
};

struct kmt_prog_stat {
	char name[32];
	__u64 recursion_misses;
	__u64 run_cnt;		/* 0 unless kernel.bpf_stats_enabled */
	__u64 run_time_ns;
};

/* Where decoded events and their definitions go: a trace writer, a live consumer. */
struct kmt_sink {
	void *ctx;
	int (*event)(void *ctx, const struct kmt_event *e);
	int (*cache)(void *ctx, const struct kmt_cache_def *c);
	int (*task)(void *ctx, const struct kmt_task *t);
	int (*stack)(void *ctx, const struct kmt_stack *s);
	int (*sym)(void *ctx, const struct kmt_sym *s);
};

/* ---- writer ---- */

struct trace_writer;

struct trace_writer_opts {
	size_t sz;
	__u32 chunk_events;	/* events per chunk (default 65536, at most 1 << 20) */
	int zlevel;		/* zlib level 1-9 (0: default 1); < 0: store uncompressed */
};

/* Creates (mode 0600, truncating) and writes the file header. NULL + *err on failure. */
struct trace_writer *trace_writer__open(const char *path, const struct trace_writer_opts *opts,
					int *err);
/* Metadata items gather in a pending META frame, written by meta_flush. */
int trace_writer__meta_add(struct trace_writer *w, __u16 key, const void *val, __u32 len);
int trace_writer__meta_flush(struct trace_writer *w);
/* Definitions go into the current chunk, before its events. */
int trace_writer__add_cache(struct trace_writer *w, const struct kmt_cache_def *c);
int trace_writer__add_task(struct trace_writer *w, const struct kmt_task *t);
int trace_writer__add_stack(struct trace_writer *w, const struct kmt_stack *s);
int trace_writer__add_sym(struct trace_writer *w, const struct kmt_sym *s);
int trace_writer__add_event(struct trace_writer *w, const struct kmt_event *e);
/* Losses so far, stored in every following chunk so a cut file still knows them. */
void trace_writer__set_lost(struct trace_writer *w, __u64 lost);
int trace_writer__flush(struct trace_writer *w);	/* write the current chunk now */
/*
 * Flush, write the END frame, fsync. The writer must still be freed.
 * After a failed write every call returns that error; the file then ends
 * on its last whole frame.
 */
int trace_writer__finish(struct trace_writer *w);
__u64 trace_writer__bytes(const struct trace_writer *w);	/* bytes written so far */
__u64 trace_writer__events(const struct trace_writer *w);
void trace_writer__free(struct trace_writer *w);
/* A sink that adds everything it is given to w. */
struct kmt_sink trace_writer__sink(struct trace_writer *w);

/* ---- reader ---- */

struct trace_reader;

struct trace_reader_stats {
	__u64 file_size;
	__u64 frames;
	__u64 chunks;
	__u64 events;		/* events decoded so far */
	__u64 bad_frames;	/* CRC or decode errors, skipped */
	__u64 lost;		/* losses recorded in the last good chunk */
	bool truncated;		/* the file ends inside a frame */
	bool finished;		/* an END frame was found */
	__u64 truncated_at;	/* offset of the partial frame */
	__u64 t_first;
	__u64 t_last;
	__u64 taken_back;	/* chunks loaded here while the helper ran other work */
	__u16 major;
	__u16 minor;
};

/*
 * Opens and indexes a trace: validates the header (bad magic, newer major
 * version: NULL, *err = -EINVAL / -EPROTONOSUPPORT, and msg filled with a
 * one-line reason), reads every META frame. msg may be NULL.
 */
struct trace_reader *trace_reader__open(const char *path, int *err, char *msg, size_t msglen);
/* 1: *e filled; 0: end of trace; < 0: I/O error */
int trace_reader__next(struct trace_reader *r, struct kmt_event *e);
/*
 * Up to max events at *ev, valid until the next call on r: > 0 their number, 0 at
 * the end, < 0 an I/O error. The same events as trace_reader__next() in the same
 * order; several at once where the reader's helper thread decoded the chunk ahead.
 */
int trace_reader__batch(struct trace_reader *r, const struct kmt_event **ev, size_t max);
/*
 * Where chunks' events are decoded. MEASURED (the default): on the reader's helper
 * thread, a chunk at a time, when it measures that this is faster, else here one at
 * a time. AHEAD: always on the helper. HERE: here, one at a time. CHUNK_HERE: here,
 * a whole chunk at once when it is reached (the helper only reads and inflates).
 * With AHEAD and CHUNK_HERE trace_reader__batch() hands out a chunk at a time, for
 * a caller that spreads a batch over threads of its own. Set before reading.
 */
enum trace_decode {
	TRACE_DECODE_MEASURED = -1,
	TRACE_DECODE_HERE = 0,
	TRACE_DECODE_AHEAD = 1,
	TRACE_DECODE_CHUNK_HERE = 2,
};
void trace_reader__set_predecode(struct trace_reader *r, int mode);
/*
 * Takes the array of the last trace_reader__batch() when that was a whole chunk
 * decoded ahead: its events stay valid after later calls, and the caller owns it
 * (*cap events long): free() it, or hand it back for reuse. NULL otherwise.
 * Neither call is thread-safe with the other calls on r.
 */
struct kmt_event *trace_reader__keep_batch(struct trace_reader *r, size_t *cap);
void trace_reader__give_batch(struct trace_reader *r, struct kmt_event *ev, size_t cap);
/*
 * Gives the reader's helper thread (see trace_reader__set_predecode) other work
 * to run when it has no chunk to load: fn(arg) does one unit and returns > 0,
 * or 0 when it has nothing to do; it is called again after trace_reader__kick().
 * A chunk the helper has not begun while in fn is loaded by the reading thread.
 * false when there is no helper (one CPU, fewer than two chunks to read): the
 * caller does the work itself. fn NULL takes it back, once fn has returned.
 */
bool trace_reader__set_helper_work(struct trace_reader *r, int (*fn)(void *), void *arg);
void trace_reader__kick(struct trace_reader *r);
int trace_reader__rewind(struct trace_reader *r);
const struct trace_reader_stats *trace_reader__stats(const struct trace_reader *r);

/* Metadata: the n-th item with key (0-based); NULL when absent. */
const void *trace_reader__meta(const struct trace_reader *r, __u16 key, unsigned int n,
			       __u32 *len);
/* Definitions seen so far while iterating (all of them after a full pass). */
const struct kmt_cache_def *trace_reader__cache(const struct trace_reader *r, __u64 cache);
const struct kmt_task *trace_reader__task(const struct trace_reader *r, __u32 tid);
const struct kmt_stack *trace_reader__stack(const struct trace_reader *r, __s32 id);
const struct kmt_sym *trace_reader__sym(const struct trace_reader *r, __u64 addr);
/* All of the above as one store (see defs.h), as far as the trace was read. */
struct kmt_defs;
const struct kmt_defs *trace_reader__defs(const struct trace_reader *r);
void trace_reader__free(struct trace_reader *r);

#endif /* __KMT_TRACE_H */
