/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Importing text captures of the kmem, vmalloc, percpu and tlb tracepoints
 * made with other tools: `perf script`, tracefs `trace` (with or without its
 * latency columns, latency-format, record-tgid) and `trace-cmd report` (plain
 * or -l). The format is recognised per line, so concatenated captures work.
 *
 * Each event line becomes a struct kmt_event. Fields are found by name
 * wherever they stand in the line; what a line lacks is marked unknown with
 * KMT_EVF_* flags, never invented:
 *  - no latency columns (perf script, trace-cmd report): KMT_EVF_NO_CTX;
 *  - latency columns: hardirq/softirq/NMI letters, BH-disabled and the preempt
 *    depth become the context word with KMT_CTX_PC_KNOWN; RCU nesting is never
 *    printed, so KMT_CTX_RCU_KNOWN stays clear; irqs-off ('d', 'D') has no bit
 *    in the context word and is only counted;
 *  - pointers tracefs printed hashed (plain %p: 32-bit values, zero-padded) are
 *    kept, since hashing is stable for a boot and allocations still pair with
 *    their frees, and the event gets KMT_EVF_HASHED_PTR;
 *  - a call site printed as symbol+offset is given a synthetic address (below)
 *    and a struct kmt_sym so reports print the text back; one printed in hex
 *    stays that address;
 *  - only a thread id printed: tgid 0, counted in import_stats.no_tgid.
 * Timestamps are the capture's clock in ns (tracefs "local", perf's sched_clock
 * based perf_clock, or whatever trace_clock was set), not CLOCK_MONOTONIC.
 * Stacks follow their event: perf script callchains (kernel frames with their
 * real addresses) and tracefs "<stack trace>" blocks (names only: synthetic
 * addresses as for call sites).
 *
 * The importer is a decoder only: it hands events and the definitions they
 * need (tasks, symbols, caches, stacks) to a sink, e.g. a trace writer.
 */
#ifndef __KMT_IMPORT_H
#define __KMT_IMPORT_H

#include <stddef.h>
#include <linux/types.h>
#include "event.h"
#include "trace.h"
#include "gfp.h"

/*
 * Synthetic addresses, in the non-canonical hole of x86-64 so that they are
 * never a real kernel address: symbol n (from 1, in order of first sight) is
 * at KMT_IMPORT_SYM_BASE + (n << KMT_IMPORT_SYM_SHIFT), and "sym+0x1a" at
 * that plus 0x1a; slab cache n (named in kmem_cache_alloc/free lines) is
 * KMT_IMPORT_CACHE_BASE + n * KMT_IMPORT_CACHE_STEP.
 */
#define KMT_IMPORT_SYM_BASE	0xfffe000000000000ull
#define KMT_IMPORT_SYM_SHIFT	24
#define KMT_IMPORT_CACHE_BASE	0xfffd000000000000ull
#define KMT_IMPORT_CACHE_STEP	0x1000ull

#define KMT_IMPORT_IS_SYNTHETIC(a) ((a) >= KMT_IMPORT_CACHE_BASE && (a) < 0xffff000000000000ull)

#define IMPORT_BAD_SHOWN	10	/* malformed lines kept with their reason */

struct import_opts {
	size_t sz;				/* sizeof(struct import_opts) */
	const struct kmt_gfp_entry *gfp;	/* the GFP table names are read with */
	size_t nr_gfp;				/* 0: only numeric gfp_flags can be read */
};

struct import_bad_line {
	__u64 lineno;
	char why[120];
};

enum import_format {
	IMPORT_FMT_PERF,	/* perf script: "comm tid [cpu] ts: group:event: fields" */
	IMPORT_FMT_TRACEFS,	/* tracefs, trace-cmd: "comm-pid [cpu] flags ts: event: ..." */
	IMPORT_FMT_MAX,
};

struct import_stats {
	__u64 lines;
	__u64 events;			/* handed to the sink */
	__u64 by_type[KMT_EV_MAX];
	__u64 by_format[IMPORT_FMT_MAX];
	__u64 other_events;		/* lines of tracepoints without a kmmtrace type */
	__u64 malformed;
	struct import_bad_line bad[IMPORT_BAD_SHOWN];	/* the first ones */
	__u64 irqs_off;			/* irqs-off in the latency columns: no ctx bit */
	__u64 no_ctx;			/* no latency columns */
	__u64 no_tgid;			/* only the thread id was printed */
	__u64 no_cpu;
	__u64 hashed;			/* events with a hashed pointer */
	__u64 sym_sites;		/* call sites given a synthetic address */
	__u64 gfp_unknown;		/* events with GFP names not in the table */
	__u64 gfp_unknown_line;		/* the first of them */
	char gfp_unknown_name[KMT_GFP_NAME_LEN];
	__u64 lost;			/* events the capture says it lost */
	__u64 stacks;			/* events given a stack */
	__u64 orphan_frames;		/* stack frames with no event to attach to */
	__s64 max_cpu;			/* -1: no CPU seen */
	__u32 header_cpus;		/* "#P:N" (tracefs) or "cpus=N" (trace-cmd); 0 unknown */
	__s32 pageblock_order;		/* from mm_page_alloc_extfrag; -1 unknown */
	__u64 t_first;
	__u64 t_last;
};

struct importer;

/* NULL on ENOMEM. The sink's callbacks may be NULL (definitions are then dropped). */
struct importer *importer__new(const struct import_opts *opts, const struct kmt_sink *sink);
/*
 * Reads one line (with or without its newline); lineno counts from 1.
 * Returns 0 (the line may have been malformed: see the stats), a sink's
 * error, or -ENOKEY when the line has GFP flag names and no table was given
 * (importer__error() says which); importing cannot go on after an error.
 */
int importer__line(struct importer *imp, const char *line, __u64 lineno);
/* Hands over the last event, held back until its stack is known. */
int importer__finish(struct importer *imp);
const struct import_stats *importer__stats(const struct importer *imp);
/* The reason of the last -ENOKEY, "" otherwise. */
const char *importer__error(const struct importer *imp);
void importer__free(struct importer *imp);

#endif /* __KMT_IMPORT_H */
