// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Memory for a large hash table that doubles in place (table.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table.h"

#define HUGE_PAGE	(2ul << 20)
/* Address space for one table: PROT_NONE costs nothing until made writable. */
#define RESERVE		(64ul << 30)

int kmt_region_grow(struct kmt_region *rg, size_t len)
{
	size_t page;

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
	page = (size_t)sysconf(_SC_PAGESIZE);
	len = (len + page - 1) & ~(page - 1);
	if (mprotect(rg->base + rg->len, len - rg->len, PROT_READ | PROT_WRITE))
		return -ENOMEM;
	kmt_fault_in(rg->base + rg->len, len - rg->len);	/* see kmt_table_calloc */
	rg->len = len;
	return 0;
}

void kmt_region_free(struct kmt_region *rg)
{
	if (rg->reserved)
		munmap(rg->base, rg->reserved);
	*rg = (struct kmt_region){ 0 };
}
