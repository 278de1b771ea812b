/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Memory for a large hash table that doubles in place. */
#ifndef __KMT_TABLE_H
#define __KMT_TABLE_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"

/*
 * A table's memory: address space reserved once (PROT_NONE, 2 MiB-aligned,
 * advised for huge pages), made writable as the table grows. Doubling a table
 * then faults in only its new half, where a fresh table was faulted in whole:
 * for the report's 40 MB pointer table, 40 MB of first touches over all its
 * doublings instead of 80 (a first touch costs 0.4-1.7 ms per MB in a VM whose
 * freed memory the host takes back).
 */
struct kmt_region {
	char *base;
	size_t reserved;	/* bytes of address space; 0: none (use malloc) */
	size_t len;		/* bytes writable from base, faulted in */
};

/*
 * base writable for len bytes, the new bytes zero and faulted in, in address
 * order: 0, or -ENOMEM when the reservation (made on the first call) is too
 * small or cannot be had; then the caller falls back to a table of its own.
 */
int kmt_region_grow(struct kmt_region *rg, size_t len);
void kmt_region_free(struct kmt_region *rg);

/*
 * How kmt_table_double() sees an entry: used (not an empty slot), and its hash,
 * whose low bits give the home slot (home = hash & (slots - 1)).
 */
struct kmt_table_ops {
	size_t esz;
	bool (*used)(const void *e);
	size_t (*hash)(const void *e);
};

#define KMT_TABLE_ESZ_MAX	64

/*
 * Rehashes a linear-probing table of cap slots (a power of two, cyclic, not
 * full) into 2 * cap slots in place: t holds 2 * cap entries, the upper cap of
 * them empty (zero). 0, or -EINVAL (the table full, or entries larger than
 * KMT_TABLE_ESZ_MAX), the table unchanged. It allocates nothing. Inline, so
 * that ops, a constant, and its calls fold into the loop.
 *
 * Each entry is taken out and put back with the doubled mask, the old slots in
 * cluster order: from just after an empty slot s, which no cluster crosses, to
 * the end, then from slot 0 up to s. An entry's new home is its old one, h, or
 * h + cap.
 * - Put back at h, it stops at its own emptied slot at the latest: every slot it
 *   passes was taken out and put back already, so no slot emptied later lies on
 *   the probe path of an entry already placed.
 * - Bound for the upper half, it meets only entries put back. Its probe could
 *   run off the top and wrap to slots 0..s, still to be taken out, only while the
 *   old slots after s are taken out; but those entries have homes at or below
 *   their slots (no cluster there wraps), so of them at most M are bound for the
 *   top M slots of the upper half, for every M: the top is never overrun then.
 */
static inline int kmt_table_double(void *tab, size_t cap, const struct kmt_table_ops *ops)
{
	size_t mask = 2 * cap - 1, s, k, i, j, esz = ops->esz;
	char *t = tab, e[KMT_TABLE_ESZ_MAX];

	if (esz > sizeof(e))
		return -EINVAL;
	for (s = 0; s < cap && ops->used(t + s * esz); s++)
		;
	if (s == cap)
		return -EINVAL;
	for (k = 1; k < cap; k++) {
		i = (s + k) & (cap - 1);
		if (!ops->used(t + i * esz))
			continue;
		memcpy(e, t + i * esz, esz);
		memset(t + i * esz, 0, esz);
		for (j = ops->hash(e) & mask; ops->used(t + j * esz); j = (j + 1) & mask)
			;
		memcpy(t + j * esz, e, esz);
	}
	return 0;
}

/* Frees a table t, in its region when it has one (rg->reserved), else malloc'ed. */
static inline void kmt_table_free(struct kmt_region *rg, void *t)
{
	if (rg->reserved)
		kmt_region_free(rg);
	else
		free(t);
}

/*
 * Grows the table t of cap slots (0: none yet; else ncap is 2 * cap) to ncap
 * slots: in place where it lies in its region; else into a new table, a region
 * of its own from 1 MiB on, or where that cannot be had a calloc()ed one, the
 * entries put back in slot order (linear probing, home = hash & (ncap - 1)) and
 * t freed. The table, or NULL with t unchanged (out of memory). Inline, as
 * kmt_table_double().
 */
static inline void *kmt_table_grow(struct kmt_region *rg, void *t, size_t cap, size_t ncap,
				   const struct kmt_table_ops *ops)
{
	size_t esz = ops->esz, i, j;
	struct kmt_region nrg = { 0 };
	char *o = t, *n;

	if (rg->reserved && !kmt_region_grow(rg, ncap * esz) &&
	    (!cap || !kmt_table_double(rg->base, cap, ops)))
		return rg->base;
	if (!rg->reserved && ncap * esz >= (1u << 20) && kmt_region_grow(&nrg, ncap * esz))
		kmt_region_free(&nrg);
	n = nrg.reserved ? nrg.base : kmt_table_calloc(ncap, esz);
	if (!n)
		return NULL;
	for (i = 0; i < cap; i++) {
		if (!ops->used(o + i * esz))
			continue;
		for (j = ops->hash(o + i * esz) & (ncap - 1); ops->used(n + j * esz);
		     j = (j + 1) & (ncap - 1))
			;
		memcpy(n + j * esz, o + i * esz, esz);
	}
	kmt_table_free(rg, o);
	*rg = nrg;
	return n;
}

#endif /* __KMT_TABLE_H */
