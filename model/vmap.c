// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vmap area model: see vmap.h. How each tracepoint maps to the kernel (6.12):
 *
 *   alloc_vmap_area(addr, size, align, vstart, vend, failed): fired at the end
 *     of alloc_vmap_area() for every area — vmalloc, vmap, ioremap, vm_map_ram
 *     blocks, percpu chunks — including ones reused from the per-node pools.
 *     size is what the caller asked for, the guard page included
 *     (__get_vm_area_node() adds it unless VM_NO_GUARD); a huge mapping
 *     attempt (vmalloc_huge, kvmalloc >= PMD size) asks for PMD alignment.
 *   free_vmap_area_noflush(va_start, nr_lazy, nr_lazy_max): the area joins its
 *     node's lazy tree; nr_lazy is the global count of lazily freed pages after
 *     adding it; beyond nr_lazy_max a drain is scheduled.
 *   purge_vmap_area_lazy(start, end, npurged): __purge_vmap_area_lazy() took
 *     every node's whole lazy list, flushed [start, end) from every CPU's TLB
 *     once (flush_tlb_kernel_range(): IPIs; a full flush above 33 pages on
 *     x86) and released the areas; npurged 0 means there was nothing (and no
 *     flush). tlb:tlb_flush does not see these kernel flushes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "vmap.h"

enum { AREA_LIVE = 1, AREA_LAZY = 2, AREA_PURGING = 3 };

struct area {
	__u64 addr;		/* 0: empty slot; ~0: deleted */
	__u64 size;
	__u64 ts;		/* allocated (0: before the trace) */
	__u32 site;
	__u8 state;
	__u8 snapshot;
};

struct vmap_model {
	struct vmap_model_opts o;
	struct area *t;
	size_t cap, used;	/* used counts deleted slots too */
	__u64 *lazy;		/* addresses of lazily freed areas, in free order */
	size_t nr_lazy, cap_lazy;
	struct vmap_site_stats *sites;
	__u32 nr_sites, cap_sites;
	struct { __u64 vstart, vend, n; } ranges[8];
	struct vmap_totals tot;
	bool finished;
};

#define DELETED (~0ull)

static unsigned int log2u(__u64 v)
{
	unsigned int b = 0;

	while (v > 1) {
		v >>= 1;
		b++;
	}
	return b;
}

struct vmap_model *vmap_model__new(const struct vmap_model_opts *o)
{
	struct vmap_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (o)
		memcpy(&m->o, o, o->sz < sizeof(m->o) ? o->sz : sizeof(m->o));
	m->o.sz = sizeof(m->o);
	if (!m->o.page_size)
		m->o.page_size = 4096;
	if (!m->o.huge_size)
		m->o.huge_size = 2 << 20;
	return m;
}

void vmap_model__free(struct vmap_model *m)
{
	if (!m)
		return;
	free(m->t);
	free(m->lazy);
	free(m->sites);
	free(m);
}

/* ---- areas by address ---- */

static struct area *slot_of(struct area *t, size_t cap, __u64 addr, bool for_insert)
{
	size_t i = kmt_hash64(addr) & (cap - 1);
	struct area *tomb = NULL;

	for (;; i = (i + 1) & (cap - 1)) {
		if (!t[i].addr)
			return for_insert && tomb ? tomb : &t[i];
		if (t[i].addr == DELETED) {
			if (!tomb)
				tomb = &t[i];
		} else if (t[i].addr == addr) {
			return &t[i];
		}
	}
}

static int grow(struct vmap_model *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024, used = 0;
	struct area *n;

	/* only live entries move: the table may not need to double */
	for (size_t i = 0; i < m->cap; i++)
		used += m->t[i].addr && m->t[i].addr != DELETED;
	while (cap > 1024 && (used + 1) * 4 < cap)
		cap /= 2;
	if ((used + 1) * 2 > cap)
		cap *= 2;
	n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->t[i].addr && m->t[i].addr != DELETED)
			*slot_of(n, cap, m->t[i].addr, true) = m->t[i];
	free(m->t);
	m->t = n;
	m->cap = cap;
	m->used = used;
	return 0;
}

static struct area *find(const struct vmap_model *m, __u64 addr)
{
	struct area *a;

	if (!m->cap || !addr || addr == DELETED)
		return NULL;
	a = slot_of(m->t, m->cap, addr, false);
	return a->addr == addr ? a : NULL;
}

static struct area *insert(struct vmap_model *m, __u64 addr)
{
	struct area *a;

	if (!addr || addr == DELETED)
		return NULL;
	if ((a = find(m, addr)))
		return a;
	if ((m->used + 1) * 2 > m->cap && grow(m))
		return NULL;
	a = slot_of(m->t, m->cap, addr, true);
	if (!a->addr)
		m->used++;
	memset(a, 0, sizeof(*a));
	a->addr = addr;
	return a;
}

static void erase(struct area *a)
{
	a->addr = DELETED;
}

/* ---- sites ---- */

static struct vmap_site_stats *site(struct vmap_model *m, __u32 s)
{
	if (s >= m->cap_sites) {
		__u32 cap = m->cap_sites ? m->cap_sites : 16;
		void *n;

		while (cap <= s)
			cap *= 2;
		n = realloc(m->sites, cap * sizeof(*m->sites));
		if (!n)
			return NULL;
		memset((struct vmap_site_stats *)n + m->cap_sites, 0,
		       (cap - m->cap_sites) * sizeof(*m->sites));
		m->sites = n;
		m->cap_sites = cap;
	}
	if (s >= m->nr_sites)
		m->nr_sites = s + 1;
	return &m->sites[s];
}

static __u64 mapped_pages(const struct vmap_model *m, __u64 size)
{
	__u64 pages = (size + m->o.page_size - 1) / m->o.page_size;

	return pages > 1 ? pages - 1 : pages;	/* the guard page has no PTE */
}

/* ---- events ---- */

static int lazy_push(struct vmap_model *m, __u64 addr)
{
	if (m->nr_lazy == m->cap_lazy) {
		size_t cap = m->cap_lazy ? m->cap_lazy * 2 : 256;
		void *n = realloc(m->lazy, cap * sizeof(*m->lazy));

		if (!n)
			return -ENOMEM;
		m->lazy = n;
		m->cap_lazy = cap;
	}
	m->lazy[m->nr_lazy++] = addr;
	return 0;
}

int vmap_model__preexisting(struct vmap_model *m, __u64 addr, __u64 size, __u32 s, bool lazy)
{
	struct area *a = insert(m, addr);

	if (!a || !site(m, s))
		return -ENOMEM;
	a->size = size;
	a->site = s;
	a->state = lazy ? AREA_LAZY : AREA_LIVE;
	a->snapshot = 1;
	m->tot.snapshot_areas++;
	return lazy ? lazy_push(m, addr) : 0;
}

static void note_range(struct vmap_model *m, __u64 vstart, __u64 vend)
{
	int i, min = 0;

	for (i = 0; i < 8; i++) {
		if (m->ranges[i].n && m->ranges[i].vstart == vstart && m->ranges[i].vend == vend) {
			m->ranges[i].n++;
			return;
		}
		if (m->ranges[i].n < m->ranges[min].n)
			min = i;
	}
	m->ranges[min].vstart = vstart;
	m->ranges[min].vend = vend;
	m->ranges[min].n = 1;
}

int vmap_model__alloc(struct vmap_model *m, __u64 ts, __u64 addr, __u64 size, __u64 align,
		      __u64 vstart, __u64 vend, bool failed, __u32 s)
{
	struct vmap_site_stats *st = site(m, s);
	struct area *a;

	if (!st)
		return -ENOMEM;
	if (!st->first_ts)
		st->first_ts = ts;
	st->last_ts = ts;
	if (failed) {
		st->failed++;
		m->tot.failed++;
		return 0;
	}
	m->tot.allocs++;
	note_range(m, vstart, vend);
	st->areas++;
	st->bytes += size;
	st->min_bytes = st->areas == 1 || size < st->min_bytes ? size : st->min_bytes;
	st->max_bytes = size > st->max_bytes ? size : st->max_bytes;
	st->size_hist[log2u(size) < VMAP_SIZE_BUCKETS ? log2u(size) : VMAP_SIZE_BUCKETS - 1]++;
	st->ptes += mapped_pages(m, size);
	st->pages_hist[mapped_pages(m, size) < VMAP_PAGES_HIST - 1 ? mapped_pages(m, size)
								  : VMAP_PAGES_HIST - 1]++;
	if (align >= m->o.huge_size)
		st->huge_aligned++;
	else if (size >= m->o.huge_size)
		st->big_small_pages++;
	a = insert(m, addr);
	if (!a)
		return -ENOMEM;
	/* an address still held means missed events: the new area wins */
	a->size = size;
	a->ts = ts;
	a->site = s;
	a->state = AREA_LIVE;
	a->snapshot = 0;
	return 0;
}

int vmap_model__free_area(struct vmap_model *m, __u64 ts, __u64 addr, __u64 nr_lazy,
			  __u64 nr_lazy_max)
{
	struct area *a = find(m, addr);
	struct vmap_site_stats *st;
	__u64 pages;

	m->tot.frees++;
	m->tot.kernel_nr_lazy = nr_lazy;
	m->tot.nr_lazy_max = nr_lazy_max;
	if (!a || a->state != AREA_LIVE) {
		m->tot.frees_unknown++;
		return -1;
	}
	st = &m->sites[a->site];
	pages = (a->size + m->o.page_size - 1) / m->o.page_size;
	st->frees++;
	st->lazy_pages += pages;
	if (a->ts) {
		__u64 life = ts > a->ts ? ts - a->ts : 0;
		unsigned int b = log2u(life);

		st->life[b < VMAP_LIFE_BUCKETS ? b : VMAP_LIFE_BUCKETS - 1]++;
		st->life_sum_ns += life;
		st->life_frees++;
	}
	a->state = AREA_LAZY;
	if (lazy_push(m, addr))
		return -1;
	return a->site;
}

int vmap_model__purge(struct vmap_model *m, __u64 ts, __u64 start, __u64 end, __u64 npurged)
{
	__u64 total = 0;

	(void)ts;
	(void)start;
	(void)end;
	if (!npurged) {
		m->tot.empty_purges++;
		return 0;
	}
	m->tot.purges++;
	m->tot.purged_areas += npurged;
	/* an address can be listed twice (missed events): count each area once */
	for (size_t i = 0; i < m->nr_lazy; i++) {
		struct area *a = find(m, m->lazy[i]);

		if (a && a->state == AREA_LAZY) {
			total += (a->size + m->o.page_size - 1) / m->o.page_size;
			a->state = AREA_PURGING;
		}
	}
	for (size_t i = 0; i < m->nr_lazy; i++) {
		struct area *a = find(m, m->lazy[i]);
		__u64 pages;

		if (!a || a->state != AREA_PURGING)
			continue;
		pages = (a->size + m->o.page_size - 1) / m->o.page_size;
		m->sites[a->site].purged_pages += pages;
		m->sites[a->site].purge_share += (double)pages / total;
		m->tot.purged_areas_model++;
		m->tot.purged_pages += pages;
		erase(a);
	}
	m->nr_lazy = 0;
	return 0;
}

void vmap_model__backing_page(struct vmap_model *m, __u32 s, int order)
{
	struct vmap_site_stats *st = site(m, s);

	if (st)
		st->backing_pages += 1ull << (order > 0 && order < 20 ? order : 0);
}

/* ---- end state ---- */

static int by_addr(const void *a, const void *b)
{
	const __u64 *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

void vmap_model__finish(struct vmap_model *m)
{
	struct vmap_totals *t = &m->tot;
	__u64 (*r)[2] = NULL, cur;
	size_t n = 0, best = 0;

	if (m->finished)
		return;
	m->finished = true;
	for (int i = 1; i < 8; i++)
		if (m->ranges[i].n > m->ranges[best].n)
			best = i;
	t->vstart = m->ranges[best].vstart;
	t->vend = m->ranges[best].vend;
	if (m->cap)
		r = malloc(m->cap * sizeof(*r));
	for (size_t i = 0; i < m->cap; i++) {
		struct area *a = &m->t[i];
		struct vmap_site_stats *st;

		if (!a->addr || a->addr == DELETED)
			continue;
		if (a->state == AREA_LAZY) {
			t->lazy_pages += (a->size + m->o.page_size - 1) / m->o.page_size;
		} else {
			st = &m->sites[a->site];
			st->live_areas++;
			st->live_bytes += a->size;
			st->live_ptes += mapped_pages(m, a->size);
			st->snapshot_areas += a->snapshot;
			t->live_areas++;
			t->live_bytes += a->size;
		}
		/* lazily freed areas still hold their VA */
		if (r && a->addr >= t->vstart && a->addr < t->vend) {
			r[n][0] = a->addr;
			r[n][1] = a->addr + a->size;
			n++;
		}
	}
	if (!r || t->vend <= t->vstart) {
		free(r);
		return;
	}
	qsort(r, n, sizeof(*r), by_addr);
	cur = t->vstart;
	for (size_t i = 0; i <= n; i++) {
		__u64 s = i < n ? r[i][0] : t->vend;

		if (s > cur) {
			t->va_free_bytes += s - cur;
			t->va_gaps++;
			if (s - cur > t->va_largest_gap)
				t->va_largest_gap = s - cur;
		}
		if (i < n && r[i][1] > cur)
			cur = r[i][1];
	}
	free(r);
}

const struct vmap_totals *vmap_model__totals(const struct vmap_model *m)
{
	return &m->tot;
}

const struct vmap_site_stats *vmap_model__site(const struct vmap_model *m, __u32 s)
{
	return s < m->nr_sites ? &m->sites[s] : NULL;
}

__u32 vmap_model__nr_sites(const struct vmap_model *m)
{
	return m->nr_sites;
}

bool vmap__parse_vmallocinfo_line(const char *line, __u64 *addr, __u64 *size, char *caller,
				  size_t len)
{
	unsigned long long s, e, sz;
	char c[200];
	int k;

	/* with %pK hashing (kptr_restrict) the two ends are unrelated hashes: trust size */
	k = sscanf(line, "0x%llx-0x%llx %llu %199s", &s, &e, &sz, c);
	if (k < 3 || (!sz && e <= s))
		return false;
	*addr = s;
	*size = sz ? sz : e - s;
	if (k < 4 || !strncmp(c, "pages=", 6) || !strncmp(c, "phys=", 5))
		snprintf(c, sizeof(c), "?");
	c[strcspn(c, "+")] = 0;
	snprintf(caller, len, "%s", c);
	return true;
}
