/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A growable open-addressing set of non-zero... any __u64 values (0 tracked aside). */
#ifndef __KMT_U64SET_H
#define __KMT_U64SET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct u64set {
	__u64 *slots;
	size_t cap;		/* power of two */
	size_t len;
	bool has_zero;
};

/* 1 if added, 0 if present, -ENOMEM */
int u64set__add(struct u64set *s, __u64 v);
bool u64set__has(const struct u64set *s, __u64 v);
void u64set__free(struct u64set *s);

#endif /* __KMT_U64SET_H */
