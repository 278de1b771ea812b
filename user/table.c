// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Memory for a large hash table that doubles in place (table.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table.h"

#define HUGE_PAGE	(2ul << 20)
/* Address space for one table: PROT_NONE costs nothing until made writable. */
#define RESERVE		(64ul << 30)

int kmt_region_grow(struct kmt_region *rg, size_t len)
{
	if (!rg->reserved) {
		char *p = mmap(NULL, RESERVE + HUGE_PAGE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		uintptr_t a;

		if (p == MAP_FAILED)
			return -ENOMEM;
		/* keep the 2 MiB-aligned RESERVE bytes inside, give the rest back */
		a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
		if (a > (uintptr_t)p)
			munmap(p, a - (uintptr_t)p);
		if ((uintptr_t)p + HUGE_PAGE > a)
			munmap((char *)a + RESERVE, (uintptr_t)p + HUGE_PAGE - a);
		rg->base = (char *)a;
		rg->reserved = RESERVE;
		rg->len = 0;
		madvise(rg->base, RESERVE, MADV_HUGEPAGE);	/* a failure leaves small pages */
	}
	if (len <= rg->len)
		return 0;
	if (len > rg->reserved)
		return -ENOMEM;
	len = (len + 4095) & ~(size_t)4095;
	if (mprotect(rg->base + rg->len, len - rg->len, PROT_READ | PROT_WRITE))
		return -ENOMEM;
	/* fault the new bytes in, in address order (see kmt_table_calloc) */
	for (size_t off = rg->len; off < len; off += 4096)
		((volatile char *)rg->base)[off] = 0;
	rg->len = len;
	return 0;
}

void kmt_region_free(struct kmt_region *rg)
{
	if (rg->reserved)
		munmap(rg->base, rg->reserved);
	*rg = (struct kmt_region){ 0 };
}

/*
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
int kmt_table_double(void *tab, size_t cap, const struct kmt_table_ops *ops)
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
