/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * GFP flags as the running kernel defines and prints them.
 *
 * A table lists names and masks in the order of the kernel's show_gfp_flags()
 * (include/trace/events/mmflags.h): composites such as GFP_KERNEL first, then
 * single __GFP_ bits. gfp_format() walks it as the kernel's
 * trace_print_flags_seq() does, so "GFP_KERNEL|__GFP_ZERO" reads exactly as in
 * ftrace output. The table is learnt at record time (tracefs print format, or
 * BTF) and stored in the trace as KMT_META_GFP_TABLE, so nothing here assumes
 * a kernel version's bit values.
 */
#ifndef __KMT_GFP_H
#define __KMT_GFP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define KMT_GFP_BIT		0x1	/* the mask is a single bit */
#define KMT_GFP_COMPOSITE	0x2	/* several bits: GFP_KERNEL, __GFP_RECLAIM */

#define KMT_GFP_NAME_LEN	40
#define KMT_GFP_MAX_ENTRIES	96

/* One entry of KMT_META_GFP_TABLE; the item is an array of these, little-endian. */
struct kmt_gfp_entry {
	__u32 mask;
	__u32 flags;		/* KMT_GFP_BIT or KMT_GFP_COMPOSITE; 0 for a zero mask */
	char name[KMT_GFP_NAME_LEN];
};

_Static_assert(sizeof(struct kmt_gfp_entry) == 48, "kmt_gfp_entry is part of the file format");

/* Which show_gfp_flags() list a table built from BTF follows. */
enum kmt_gfp_order {
	KMT_GFP_ORDER_LEGACY = 0,	/* up to 6.13: hand-ordered list, __GFP_HIGHMEM early */
	KMT_GFP_ORDER_BITS = 1,		/* 6.14 on: composites, then all bits in bit order */
};

struct btf;

/*
 * Learns the running kernel's table: the print format of kmem:kmalloc in
 * tracefs (mounted if needed and we are root), its symbolic names evaluated
 * with BTF when the kernel prints ___GFP_*_BIT names, or BTF alone when tracefs
 * is unavailable. why (may be NULL) tells which source was used, or why none
 * worked. *table is malloc'ed; 0 or a negative errno.
 */
int gfp_table__from_system(struct kmt_gfp_entry **table, size_t *n, char *why, size_t whylen);
/* The same, mounting tracefs only when may_mount is set. */
int gfp_table__learn(bool may_mount, struct kmt_gfp_entry **table, size_t *n, char *why,
		     size_t whylen);

/*
 * Parses the __print_flags() list of a tracefs format file (the whole file's
 * text). btf, which may be NULL, resolves ___GFP_*_BIT names.
 */
int gfp_table__from_format(const char *text, const struct btf *btf,
			   struct kmt_gfp_entry **table, size_t *n, char *why, size_t whylen);

/* Builds the table from BTF's ___GFP_*_BIT enum and gfp_types.h's definitions. */
int gfp_table__from_btf(const struct btf *btf, enum kmt_gfp_order order,
			struct kmt_gfp_entry **table, size_t *n, char *why, size_t whylen);

/* The list order a kernel release ("6.12.48+deb13-amd64") uses. */
enum kmt_gfp_order gfp_order_for_release(const char *release);

/*
 * A KMT_META_GFP_TABLE value read from a trace, checked and copied into a
 * malloc'ed, aligned table. -EINVAL when its length or names are malformed.
 */
int gfp_table__from_meta(const void *val, __u32 len, struct kmt_gfp_entry **table, size_t *n);

/*
 * Prints gfp as the kernel's trace output does: "GFP_KERNEL|__GFP_ZERO",
 * left-over bits as "0x..", and "none" for 0. Returns the length the full
 * text needs (like snprintf); buf is always NUL-terminated when len > 0.
 */
size_t gfp_format(const struct kmt_gfp_entry *t, size_t n, __u32 gfp, char *buf, size_t len);

/* The inverse: "GFP_KERNEL|__GFP_ZERO|0x1000000" or "none". 0 or -EINVAL. */
int gfp_parse(const struct kmt_gfp_entry *t, size_t n, const char *text, __u32 *gfp);

/* The mask named name ("__GFP_DIRECT_RECLAIM", "GFP_KERNEL"), 0 when absent. */
__u32 gfp_mask_of(const struct kmt_gfp_entry *t, size_t n, const char *name);

#endif /* __KMT_GFP_H */
