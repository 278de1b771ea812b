// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vmalloc analysis: see vmalloc.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "defs.h"
#include "frames.h"
#include "hash.h"
#include "vmalloc.h"

#define NAME_LEN	160
#define BACKING_NS	10000000ull	/* pages of an area follow its allocation within 10 ms */
#define CPU_SLOTS	1024

struct site_ent {
	char name[NAME_LEN];
	struct kmt_event example;
	bool has_example;
};

struct vmalloc_an {
	const struct kmt_defs *defs;
	struct vmap_model *m;
	__u32 page_size;
	struct site_ent *sites;
	__u32 nr, cap;
	struct kmt_map names;	/* name hash -> index in sites */
	/* the last area allocated on each CPU, and how many of its pages are still to come */
	struct { __u32 tid; __u32 site; __u64 ts; __u64 left; bool valid; } last[CPU_SLOTS];
	__u64 t_first, t_last;
	__u64 hashed;		/* snapshot areas whose address was hashed */
};

struct vmalloc_an *vmalloc_an__new(const struct kmt_defs *defs, __u32 page_size)
{
	struct vmalloc_an *a = calloc(1, sizeof(*a));
	struct vmap_model_opts o = { .sz = sizeof(o), .page_size = page_size };

	if (!a)
		return NULL;
	a->defs = defs;
	a->page_size = page_size ? page_size : 4096;
	a->m = vmap_model__new(&o);
	if (!a->m) {
		free(a);
		return NULL;
	}
	return a;
}

void vmalloc_an__free(struct vmalloc_an *a)
{
	if (!a)
		return;
	vmap_model__free(a->m);
	free(a->sites);
	kmt_map__free(&a->names);
	free(a);
}

/* The index of a site name, created on first sight; -1 on ENOMEM. */
static int site_idx(struct vmalloc_an *a, const char *name)
{
	__u64 k = kmt_hash_str(name);
	__u32 *idx = kmt_map__get(&a->names, k);

	/* a 64-bit hash collision would merge two sites: check the name, then try ~hash */
	if (idx && !strcmp(a->sites[*idx].name, name))
		return *idx;
	if (idx) {
		k = ~k;
		idx = kmt_map__get(&a->names, k);
		if (idx)
			return *idx;
	}
	if (a->nr == a->cap) {
		__u32 cap = a->cap ? a->cap * 2 : 64;
		void *n = realloc(a->sites, cap * sizeof(*a->sites));

		if (!n)
			return -1;
		a->sites = n;
		a->cap = cap;
	}
	if (kmt_map__put(&a->names, k, a->nr))
		return -1;
	memset(&a->sites[a->nr], 0, sizeof(a->sites[0]));
	snprintf(a->sites[a->nr].name, NAME_LEN, "%s", name);
	return a->nr++;
}

int vmalloc_an__preload(struct vmalloc_an *a, const char *text)
{
	int n = 0;

	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		char line[512], caller[NAME_LEN];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		__u64 addr, size;
		int s;

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
		p = eol ? eol + 1 : NULL;
		if (!vmap__parse_vmallocinfo_line(line, &addr, &size, caller, sizeof(caller)))
			continue;
		/*
		 * /proc/vmallocinfo prints %pK: hashed unless kptr_restrict allows
		 * real addresses. A hashed area cannot be matched with its free:
		 * give it a key of its own outside the kernel's address space.
		 */
		if (addr < 0xffff000000000000ull)
			addr = (1ull << 62) + ++a->hashed;
		/* "unpurged vm_area": lazily freed before the trace, waiting for a purge */
		s = site_idx(a, strcmp(caller, "unpurged") ? caller : "(lazily freed before the trace)");
		if (s >= 0 && !vmap_model__preexisting(a->m, addr, size, s, !strcmp(caller, "unpurged")))
			n++;
	}
	return n;
}

/* Where an area comes from: its stack's first frame outside the vmalloc core. */
static void name_area(const struct vmalloc_an *a, const struct kmt_event *e, char *buf, size_t len)
{
	const struct kmt_task *t;

	if (frames__site(a->defs, e->stack_id, buf, len))
		return;
	t = kmt_defs__task(a->defs, e->tid);
	snprintf(buf, len, "? (%s; record with -g for the call site)", t ? t->comm : "no stack");
}

void vmalloc_an__event(struct vmalloc_an *a, const struct kmt_event *e)
{
	unsigned int slot = e->cpu % CPU_SLOTS;
	char name[NAME_LEN];
	int s;

	if (!a->t_first)
		a->t_first = e->ts ? e->ts : 1;
	a->t_last = e->ts > a->t_last ? e->ts : a->t_last;
	switch (e->type) {
	case KMT_EV_VMAP_ALLOC:
		/* KMT_SLOTS: ptr addr, size, size2 align, aux vstart, aux2 vend, arg failed */
		name_area(a, e, name, sizeof(name));
		s = site_idx(a, name);
		if (s < 0)
			return;
		if (!a->sites[s].has_example) {
			a->sites[s].example = *e;
			a->sites[s].has_example = true;
		}
		vmap_model__alloc(a->m, e->ts, e->ptr, e->size, e->size2, e->aux, e->aux2, e->arg != 0,
				  s);
		a->last[slot].valid = !e->arg;
		a->last[slot].tid = e->tid;
		a->last[slot].site = s;
		a->last[slot].ts = e->ts;
		a->last[slot].left = e->size / a->page_size > 1 ? e->size / a->page_size - 1 : 1;
		break;
	case KMT_EV_VMAP_FREE:
		vmap_model__free_area(a->m, e->ts, e->ptr, e->size, e->size2);
		break;
	case KMT_EV_VMAP_PURGE:
		vmap_model__purge(a->m, e->ts, e->ptr, e->aux, e->size);
		break;
	case KMT_EV_PAGE_ALLOC:
		if (a->last[slot].valid && a->last[slot].tid == e->tid &&
		    e->ts - a->last[slot].ts < BACKING_NS && e->ptr != ~0ull &&
		    e->order >= 0 && e->order < 20 && a->last[slot].left >= (1ull << e->order)) {
			vmap_model__backing_page(a->m, a->last[slot].site, e->order);
			a->last[slot].left -= 1ull << e->order;
		}
		break;
	}
}

void vmalloc_an__finish(struct vmalloc_an *a)
{
	vmap_model__finish(a->m);
}

__u64 vmalloc_an__hashed_snapshot_areas(const struct vmalloc_an *a)
{
	return a->hashed;
}

const struct vmap_model *vmalloc_an__model(const struct vmalloc_an *a)
{
	return a->m;
}

const struct kmt_defs *vmalloc_an__defs(const struct vmalloc_an *a)
{
	return a->defs;
}

__u32 vmalloc_an__nr_sites(const struct vmalloc_an *a)
{
	return a->nr;
}

const char *vmalloc_an__site_name(const struct vmalloc_an *a, __u32 s)
{
	return s < a->nr ? a->sites[s].name : "?";
}

const struct kmt_event *vmalloc_an__site_example(const struct vmalloc_an *a, __u32 s)
{
	return s < a->nr && a->sites[s].has_example ? &a->sites[s].example : NULL;
}

double vmalloc_an__seconds(const struct vmalloc_an *a)
{
	return a->t_last > a->t_first ? (a->t_last - a->t_first) / 1e9 : 0;
}

void vmalloc_thresholds__default(struct vmalloc_thresholds *th, __u32 page_size)
{
	th->small_bytes = 4ull * (page_size ? page_size : 4096);
	th->churn_per_s = 10;
	th->churn_life_ns = 1000000000ull;
	th->churn_min = 10;
}

unsigned int vmalloc_an__flags(const struct vmalloc_an *a, __u32 s,
			       const struct vmalloc_thresholds *th)
{
	const struct vmap_site_stats *st = vmap_model__site(a->m, s);
	double secs = vmalloc_an__seconds(a);
	unsigned int f = 0;
	__u64 small = 0;

	if (!st || !st->areas)
		return st && st->purge_share >= 0.1 ? VMF_PURGES : 0;
	/* areas whose mapped part (guard page excluded) fits the threshold */
	for (unsigned int p = 0; p < VMAP_PAGES_HIST - 1; p++)
		if ((__u64)p * a->page_size <= th->small_bytes)
			small += st->pages_hist[p];
	if (small * 2 > st->areas)
		f |= VMF_SMALL;
	if (secs > 0 && st->life_frees >= th->churn_min && st->areas >= th->churn_min &&
	    st->areas / secs >= th->churn_per_s &&
	    st->life_sum_ns / st->life_frees < th->churn_life_ns)
		f |= VMF_CHURN;
	if (st->big_small_pages)
		f |= VMF_NOT_HUGE;
	if (st->purge_share >= 0.1)
		f |= VMF_PURGES;
	return f;
}
