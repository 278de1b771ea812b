/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The hashes the open-addressing tables share. */
#ifndef __KMT_HASH_H
#define __KMT_HASH_H

#include <stddef.h>
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

#endif /* __KMT_HASH_H */
