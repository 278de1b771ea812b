/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the running kernel is, learnt at record time and stored as trace
 * metadata (keys in trace.h): uname, CPUs, page size, the GFP table, page
 * orders, pageblock order, migratetype names, zones, selected kconfig, and
 * snapshots of /proc and debugfs files plus the free-page map, taken at the
 * start and at the end of a recording.
 *
 * The parse helpers work on text only, so the analyses use them on the
 * snapshots stored in a trace, never on this machine's /proc.
 */
#ifndef __KMT_SYSINFO_H
#define __KMT_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "trace.h"

#define SYSINFO_MAX_ORDERS	32	/* NR_PAGE_ORDERS: 11 on x86-64, more on some arm64 */
#define SYSINFO_MAX_MT		16	/* MIGRATE_TYPES */
#define SYSINFO_MT_NAME_LEN	16
#define SYSINFO_ZONE_NAME_LEN	12	/* == sizeof(kmt_zone_info.name) */

/* Names of the KMT_META_SNAPSHOT items */
#define SYSINFO_SNAP_BUDDYINFO		"buddyinfo"
#define SYSINFO_SNAP_PAGETYPEINFO	"pagetypeinfo"
#define SYSINFO_SNAP_SLABINFO		"slabinfo"
#define SYSINFO_SNAP_VMALLOCINFO	"vmallocinfo"
#define SYSINFO_SNAP_VMSTAT		"vmstat"
#define SYSINFO_SNAP_ZONEINFO		"zoneinfo"
#define SYSINFO_SNAP_MEMINFO		"meminfo"
#define SYSINFO_SNAP_EXTFRAG_INDEX	"extfrag_index"		/* debugfs extfrag/ */
#define SYSINFO_SNAP_UNUSABLE_INDEX	"unusable_index"	/* debugfs extfrag/ */
/* /sys/module/page_reporting/parameters/page_reporting_order: free page reporting */
#define SYSINFO_SNAP_PAGE_REPORTING	"page_reporting_order"

struct sysinfo_opts {
	size_t sz;			/* sizeof(struct sysinfo_opts) */
	const char *tool_version;	/* KMT_META_TOOL_VERSION; "unknown" when NULL */
	bool no_mount;			/* never mount tracefs or debugfs */
	bool no_snapshots;		/* skip KMT_META_SNAPSHOT items */
	bool no_freemap;		/* skip KMT_META_FREEMAP */
};

struct trace_writer;

/*
 * Writes the metadata of a phase. KMT_PHASE_START: everything listed above;
 * both phases: snapshots and the free-page map. Anything this machine cannot
 * give (no slabinfo, no debugfs, no permission) is skipped and explained, one
 * line each, in err; only a failing writer makes it return a negative errno.
 */
int sysinfo__write_meta(struct trace_writer *w, enum kmt_phase phase,
			const struct sysinfo_opts *opts, char *err, size_t errlen);
/* The same items gathered in memory (thread-safe: touches no writer). */
struct meta_list;
int sysinfo__collect_meta(struct meta_list *l, enum kmt_phase phase,
			  const struct sysinfo_opts *opts, char *err, size_t errlen);

/*
 * Where tracefs / debugfs are mounted; mounts them at /sys/kernel/tracing and
 * /sys/kernel/debug when they are not and may_mount is set (needs root).
 * NULL and why when unavailable.
 */
const char *sysinfo__tracefs_dir(bool may_mount, char *why, size_t whylen);
const char *sysinfo__debugfs_dir(bool may_mount, char *why, size_t whylen);

/*
 * The running kernel's selected CONFIG_ lines (as stored in KMT_META_KCONFIG;
 * malloc'ed into *text, NULL with why on failure) and whether it is PREEMPT_RT.
 */
int sysinfo__kconfig(char **text, bool *rt, char *why, size_t whylen);
/* Reads a whole file (procfs sizes are 0) into a NUL-terminated malloc'ed buffer. */
int sysinfo__read_file(const char *path, char **buf, size_t *len);

/* ---- parse helpers (text in, structs out) ---- */

/*
 * /proc/zoneinfo: every zone of every node, in the kernel's order, so that the
 * index of a zone within its node is its zone index. Empty zones (spanned 0,
 * e.g. Movable, Device) are kept with zeros. Returns the number of zones found
 * (which may exceed max; only max are stored) or -EINVAL.
 */
int parse_zoneinfo(const char *text, struct kmt_zone_info *zones, int max);

struct buddy_row {
	__u32 node;
	char zone[SYSINFO_ZONE_NAME_LEN];
	__u32 nr_orders;
	__u64 nr_free[SYSINFO_MAX_ORDERS];	/* free blocks per order */
};

/* /proc/buddyinfo (populated zones only). Rows found, or -EINVAL. */
int parse_buddyinfo(const char *text, struct buddy_row *rows, int max);

struct pagetype_info {
	__u32 pageblock_order;
	__u32 nr_orders;			/* columns of the free-count table */
	__u32 nr_mt;
	char mt[SYSINFO_MAX_MT][SYSINFO_MT_NAME_LEN];	/* "Unmovable", "Movable", ... */
};

/* The header of /proc/pagetypeinfo: pageblock order, orders, migratetype names. */
int parse_pagetypeinfo(const char *text, struct pagetype_info *pi);

/* From kernel BTF: NR_PAGE_ORDERS (struct zone's free_area[]), sizeof(struct page). */
struct btf;
int sysinfo__btf_nr_page_orders(const struct btf *btf);
int sysinfo__btf_struct_page_size(const struct btf *btf);
/* Migratetype names from BTF's enum migratetype, spelt as /proc/pagetypeinfo does. */
int sysinfo__btf_migratetypes(const struct btf *btf, struct pagetype_info *pi);

/* A KMT_META_SNAPSHOT value: points into val. 0 or -EINVAL. */
int sysinfo__snapshot_decode(const void *val, __u32 len, __u8 *phase, const char **name,
			     const char **text, size_t *textlen);

/* ---- the free-page map: runs of pages in the buddy allocator (KPF_BUDDY) ---- */

struct freemap_run {
	__u64 pfn;
	__u64 len;
};

/*
 * When each block of /proc/kpageflags was read (CLOCK_MONOTONIC, the clock of
 * event timestamps): the state of pfn p was sampled at about
 * t_begin + (p - pfn) / npfns * (t_end - t_begin). A replay uses it to skip
 * events the map already reflects. Stored as KMT_META_FREEMAP_TIMES: u8 phase,
 * 7 bytes of padding, then these records (little-endian).
 */
struct freemap_read {
	__u64 pfn;
	__u64 npfns;
	__u64 t_begin;
	__u64 t_end;
};

struct freemap {
	struct freemap_run *runs;
	size_t nr;
	size_t cap;
	__u64 nr_pfns;			/* pfns scanned */
	struct freemap_read *reads;	/* by freemap__scan */
	size_t nr_reads;
};

/* A KMT_META_FREEMAP_TIMES value into a malloc'ed array. 0 or -EINVAL. */
int freemap_times__decode(const void *val, size_t len, __u8 *phase, struct freemap_read **reads,
			  size_t *nr);

/* Scans /proc/kpageflags (path NULL) or another file of u64 page flags. */
int freemap__scan(struct freemap *fm, const char *path);
/*
 * freemap__scan(), checked against /proc/buddyinfo around it and taken again when
 * they disagree although buddyinfo held still (free page reporting isolates blocks
 * for a moment); *scans: how many were taken.
 */
int freemap__scan_checked(struct freemap *fm, unsigned int *scans);
/* Free blocks per order of every zone in buddyinfo equal those of fm's runs. */
bool freemap__matches_buddyinfo(const struct freemap *fm, const char *buddyinfo,
				const char *zoneinfo);
int freemap__add(struct freemap *fm, __u64 pfn, __u64 len);	/* appends, merging */
void freemap__free(struct freemap *fm);				/* frees the runs */

/*
 * KMT_META_FREEMAP value: u8 phase, then per run two LEB128 varints: the
 * pfn's distance from the end of the previous run (from 0 for the first), and
 * the run length. *buf is malloc'ed.
 */
int freemap__encode(const struct freemap *fm, __u8 phase, void **buf, size_t *len);
int freemap__decode(const void *val, size_t len, __u8 *phase, struct freemap *fm);

/*
 * Cuts the runs, clipped to [start_pfn, end_pfn), into maximal naturally
 * aligned blocks of at most order nr_orders - 1 and adds their number per
 * order to counts[nr_orders] - what /proc/buddyinfo would show if the kernel
 * had merged every buddy pair it could.
 */
void freemap__to_orders(const struct freemap *fm, __u64 start_pfn, __u64 end_pfn,
			unsigned int nr_orders, __u64 *counts);

#endif /* __KMT_SYSINFO_H */
