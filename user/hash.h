/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The hashes the open-addressing tables share. */
#ifndef __KMT_HASH_H
#define __KMT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/types.h>

/* A 64-bit integer mixed (MurmurHash3's finaliser, first steps) for table slots. */
static inline size_t kmt_hash64(__u64 v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	return (size_t)(v ^ (v >> 33));
}

/* FNV-1a of a string. */
static inline __u64 kmt_hash_str(const char *s)
{
	__u64 h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/*
 * Asks for transparent huge pages under a large table (THP is "madvise" on Debian's
 * kernels): the tables are probed at random, and with 4 KiB pages nearly every probe
 * of a table of tens of MB also misses the TLB — a two-dimensional page walk in a VM.
 * Only the 2 MiB-aligned middle of the block is advised; below 4 MiB it is not worth
 * it. glibc serves such blocks with mmap, so calloc's memory is still untouched and
 * is faulted in as huge pages; a failure only leaves the small pages.
 */
static inline void kmt_thp_hint(void *p, size_t len)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(huge - 1);

	if (p && len >= (4u << 20) && end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
}

/* Faults len bytes at p in, in address order, a store to every 4 KiB page. */
static inline void kmt_fault_in(void *p, size_t len)
{
	for (size_t off = 0; off < len; off += 4096)
		((volatile char *)p)[off] = 0;
}

/*
 * A zeroed table of n entries of size bytes, for a table that is about to be
 * filled at random (a rehash): large ones get the THP hint and are faulted in
 * here, in address order. Faulted in by the rehash's random stores instead, the
 * report's 40 MB pointer table took 0.14 s to grow to its size (0.045 s with
 * huge pages), against 0.065 s (0.03 s) in order.
 */
static inline void *kmt_table_calloc(size_t n, size_t size)
{
	char *p = calloc(n, size);
	size_t len = n * size;

	if (p && len >= (1u << 20)) {
		kmt_thp_hint(p, len);
		kmt_fault_in(p, len);
	}
	return p;
}

#endif /* __KMT_HASH_H */
