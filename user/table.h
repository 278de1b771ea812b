/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Memory for a large hash table that doubles in place. */
#ifndef __KMT_TABLE_H
#define __KMT_TABLE_H
#include <stdbool.h>
#include <stddef.h>

/*
 * A table's memory: address space reserved once (PROT_NONE, 2 MiB-aligned,
 * advised for huge pages), made writable as the table grows. Doubling a table
 * then touches only its new half, where a fresh table and a copy touched three
 * halves: for the report's 40 MB pointer table, 40 MB of first touches instead
 * of 80 (a first touch costs 0.4-1.7 ms per MB in a VM whose freed memory the
 * host takes back).
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
 * KMT_TABLE_ESZ_MAX), the table unchanged. It allocates nothing.
 */
int kmt_table_double(void *t, size_t cap, const struct kmt_table_ops *ops);

#endif /* __KMT_TABLE_H */
