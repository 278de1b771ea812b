// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GFP misuse lint: see lint.h and docs/LINT.md.
 *
 * The context test mirrors __might_resched() (kernel/sched/core.c): a sleeping
 * allocation is fine only when preempt_count() plus the task's RCU read-side
 * depth equals what the caller may hold (0 for might_alloc()), interrupts are
 * enabled and the task is not idle. The event's context word holds the preempt
 * count (preemption depth, softirq serving/disabled, hardirq, NMI) and the RCU
 * depth with the tracing machinery's own share removed. Interrupts disabled
 * without a preempt count change (local_irq_disable()) leave no trace in it.
 *
 * A page allocation that backs the slab, percpu or vmalloc allocation it is
 * part of (a new slab under kmalloc, kmalloc_large's pages, a vmalloc area's
 * pages) has the same task and context as that allocation: its findings are
 * folded into the allocation's (counted as backing pages), so one bug is one
 * finding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "context.h"
#include "defs.h"
#include "frames.h"
#include "hash.h"
#include "lint.h"
#include "vmalloc.h"

#define R_SCHED	"__might_resched() in kernel/sched/core.c, via might_alloc() (include/linux/sched/mm.h)"

const struct lint_rule lint_rules[LINT_NR_RULES] = {
	[LINT_SLEEP_IN_ATOMIC] = { "sleep-in-atomic", LINT_ERROR,
		"allocation that may sleep (direct reclaim allowed) with preemption or BH disabled, "
		"in softirq/hardirq, or inside an RCU read-side section",
		R_SCHED "; __GFP_DIRECT_RECLAIM in include/linux/gfp_types.h" },
	[LINT_ALLOC_IN_NMI] = { "alloc-in-nmi", LINT_ERROR,
		"allocation that may reclaim or wake kswapd from NMI context (only the *_nolock "
		"allocators, with no reclaim bits, are NMI-safe)",
		"alloc_pages_nolock() in mm/page_alloc.c; Documentation/core-api/memory-allocation.rst" },
	[LINT_VMALLOC_IN_ATOMIC] = { "vmalloc-in-atomic", LINT_ERROR,
		"vmalloc area allocated in atomic context (vmalloc may sleep)",
		"might_sleep() in alloc_vmap_area(), mm/vmalloc.c" },
	[LINT_NOFAIL_NO_RECLAIM] = { "nofail-without-reclaim", LINT_ERROR,
		"__GFP_NOFAIL without __GFP_DIRECT_RECLAIM: the allocator cannot honour it and may "
		"loop forever",
		"WARN_ON_ONCE(!can_direct_reclaim) in __alloc_pages_slowpath(), mm/page_alloc.c" },
	[LINT_RT_ATOMIC_ALLOC] = { "rt-atomic-alloc", LINT_ERROR,
		"PREEMPT_RT: allocation with preemption truly disabled (raw spinlock), in hardirq or "
		"NMI; the allocator takes sleeping spinlock_t locks there",
		"Documentation/locking/locktypes.rst (PREEMPT_RT caveats); "
		"Documentation/core-api/memory-allocation.rst" },
	[LINT_NOFAIL_HIGH_ORDER] = { "nofail-high-order", LINT_WARNING,
		"__GFP_NOFAIL with order > 1",
		"WARN_ON_ONCE(order > 1) in __alloc_pages_slowpath(), mm/page_alloc.c" },
	[LINT_COSTLY_ORDER_NO_RECLAIM] = { "costly-order-no-reclaim", LINT_WARNING,
		"allocation above PAGE_ALLOC_COSTLY_ORDER that cannot reclaim or compact and does "
		"not expect to fail (__GFP_NOWARN unset)",
		"PAGE_ALLOC_COSTLY_ORDER in include/linux/mmzone.h; __alloc_pages_slowpath()" },
	[LINT_HIGH_ORDER_NO_RECLAIM] = { "high-order-no-reclaim", LINT_INFO,
		"high-order (1..costly) allocation that cannot reclaim or compact and does not "
		"expect to fail (__GFP_NOWARN unset)",
		"__alloc_pages_slowpath() in mm/page_alloc.c" },
	[LINT_KMALLOC_LARGE] = { "kmalloc-large", LINT_WARNING,
		"kmalloc() above the largest kmalloc cache: served by the page allocator "
		"(kvmalloc() or a dedicated path is usually meant)",
		"KMALLOC_MAX_CACHE_SIZE in include/linux/slab.h; __kmalloc_large_node() in mm/slub.c" },
	[LINT_KMALLOC_TOO_LARGE] = { "kmalloc-too-large", LINT_WARNING,
		"kmalloc() above KMALLOC_MAX_SIZE: always fails, with a warning",
		"KMALLOC_MAX_SIZE in include/linux/slab.h; __kmalloc_large_node() in mm/slub.c" },
	[LINT_SLAB_BAD_ZONE] = { "slab-dma32-highmem", LINT_WARNING,
		"__GFP_DMA32 or __GFP_HIGHMEM passed to the slab allocator (stripped with a warning)",
		"GFP_SLAB_BUG_MASK in mm/internal.h; kmalloc_fix_flags() in mm/slub.c" },
	[LINT_ZERO_WITH_CTOR] = { "zero-with-ctor", LINT_WARNING,
		"__GFP_ZERO on a cache with a constructor (the zeroing destroys the constructed state)",
		"WARN_ON_ONCE(s->ctor && (flags & __GFP_ZERO)) in mm/slub.c" },
	[LINT_KVMALLOC_NO_FALLBACK] = { "kvmalloc-no-fallback", LINT_WARNING,
		"kvmalloc() larger than a page without direct reclaim: the vmalloc fallback is "
		"impossible, so it fails when memory is fragmented",
		"__kvmalloc_node_noprof() in mm/util.c (!gfpflags_allow_blocking: return NULL)" },
	[LINT_ATOMIC_WHERE_SLEEPABLE] = { "atomic-where-sleepable", LINT_INFO,
		"GFP_ATOMIC/GFP_NOWAIT from process context at a call site never seen in atomic "
		"context: draws on reserves for nothing (sections with only interrupts disabled are "
		"invisible to the trace)",
		"Documentation/core-api/memory-allocation.rst (GFP_ATOMIC, GFP_NOWAIT)" },
	[LINT_GFP_DMA] = { "gfp-dma", LINT_INFO,
		"GFP_DMA / __GFP_DMA: the small DMA zone; the DMA API is preferred",
		"Documentation/core-api/memory-allocation.rst (GFP_DMA)" },
	[LINT_EXPLICIT_NOFS_NOIO] = { "explicit-nofs-noio", LINT_INFO,
		"explicit GFP_NOFS/GFP_NOIO: the scope API (memalloc_nofs_save/memalloc_noio_save) "
		"is preferred",
		"Documentation/core-api/gfp_mask-from-fs-io.rst" },
	[LINT_VMALLOC_SMALL] = { "vmalloc-small", LINT_INFO,
		"vmalloc areas of a few pages: kmalloc()/kvmalloc() would serve them from the direct "
		"map, without a guard page, 4 KiB PTEs and lazy-purge TLB flushes",
		"Documentation/core-api/memory-allocation.rst (vmalloc for large buffers); "
		"docs/VMALLOC.md" },
	[LINT_VMALLOC_CHURN] = { "vmalloc-churn", LINT_WARNING,
		"vmalloc areas allocated and freed many times a second: each free joins the lazy "
		"list, purged with a kernel TLB flush IPI to every CPU",
		"free_vmap_area_noflush() and __purge_vmap_area_lazy() in mm/vmalloc.c" },
	[LINT_VMALLOC_NOT_HUGE] = { "vmalloc-4k-not-huge", LINT_INFO,
		"vmalloc areas of 2 MiB or more mapped with 4 KiB pages: vmalloc_huge()/kvmalloc() "
		"would map them with 2 MiB pages",
		"VM_ALLOW_HUGE_VMAP in mm/vmalloc.c (__vmalloc_node_range_noprof)" },
};

const char *lint_severity_name(enum lint_severity s)
{
	return s == LINT_ERROR ? "error" : s == LINT_WARNING ? "warning" : "info";
}

int lint_rule_by_id(const char *id)
{
	for (int i = 0; i < LINT_NR_RULES; i++)
		if (!strcmp(id, lint_rules[i].id))
			return i;
	return -1;
}

struct masks {
	__u32 reclaim, kswapd, nofail, nowarn, dma, dma32, highmem, zero, fs, io;
};

/* A flagged page allocation waiting to see whether the next allocation owns it. */
struct pending {
	bool valid;
	struct kmt_event e;
	__u32 rules;		/* bit per rule */
};

/* The last flagged slab/percpu/vmalloc allocation per CPU: later pages may back it. */
struct owner {
	bool valid;
	__u32 tid, ctx;
	__u32 finding[LINT_NR_RULES > 16 ? 16 : LINT_NR_RULES];
	int nr;
	int type;
};

struct site {
	__u64 call_site;
	__u64 proc_noreclaim;	/* GFP_ATOMIC/NOWAIT in process context */
	__u64 atomic;		/* any allocation in atomic context */
	__u64 first_ts, last_ts;
	struct kmt_event example;
	bool is_kvmalloc;
	bool kv_known;
};

struct lint {
	struct lint_env env;
	struct masks m;
	__u64 max_kmalloc;	/* KMALLOC_MAX_SIZE, 0 unknown */
	struct lint_suppression *supp;
	int nr_supp;
	lint_new_fn on_new;
	void *ctx;
	struct lint_stats st;
	struct lint_finding *f;
	size_t nr_f, cap_f;
	struct kmt_map fmap;	/* fkey() -> index in f */
	struct site *sites;	/* open addressing by call_site (+1 in key) */
	size_t scap, slen;
	struct pending *pend;
	struct owner *own;
	__u64 *kv_ptr;		/* per CPU: pointer of the last kvmalloc attempt */
	__u32 nr_cpu_slots;
	char notes[1024];
	bool finished;
	struct vmalloc_an *vm;	/* vmalloc rules, per call site */
};

/* ---- helpers ---- */

static bool ctx_known(const struct kmt_event *e)
{
	return (e->ctx & KMT_CTX_PC_KNOWN) && !(e->flags & KMT_EVF_NO_CTX);
}

/* __might_resched() would fire: preempt count or RCU depth above what the caller may hold. */
static bool ctx_atomic(const struct kmt_event *e)
{
	__u32 c = e->ctx;

	return KMT_CTX_IN_NMI(c) || KMT_CTX_IN_HARDIRQ(c) || (c & KMT_CTX_SOFTIRQ_MASK) ||
	       KMT_CTX_PREEMPT(c) || ((c & KMT_CTX_RCU_KNOWN) && KMT_CTX_RCU(c));
}

static bool is_alloc(int type)
{
	return type == KMT_EV_KMALLOC || type == KMT_EV_CACHE_ALLOC || type == KMT_EV_PAGE_ALLOC ||
	       type == KMT_EV_PERCPU_ALLOC || type == KMT_EV_VMAP_ALLOC;
}

static void note(struct lint *l, const char *s)
{
	size_t n = strlen(l->notes);

	snprintf(l->notes + n, sizeof(l->notes) - n, "%s\n", s);
}

void lint__gfp_name(const struct lint *l, __u32 gfp, char *buf, size_t len)
{
	gfp_format(l->env.gfp, l->env.nr_gfp, gfp, buf, len);
}

/* "func" out of "func+0x1a/0x80 [mod]" */
static void site_func(const char *site, char *buf, size_t len)
{
	size_t n = strcspn(site, "+ ");

	snprintf(buf, len, "%.*s", (int)n, site);
}

/* ---- findings ---- */

static __u64 fkey(int rule, __u64 call_site, __s32 stack)
{
	return kmt_hash64(call_site ^ ((__u64)(__u32)stack << 20) ^ ((__u64)rule << 56)) ^
	       ((__u64)rule * 0x9E3779B97F4A7C15ull) ^ (__u64)(__u32)stack;
}

/* The call site, or the first frame outside the allocators when the call site is one of them. */
static void name_site(const struct lint *l, const struct kmt_event *e, char *buf, size_t len)
{
	const struct kmt_sym *sym = e->call_site ? kmt_defs__sym(l->env.defs, e->call_site) : NULL;

	if (e->call_site && !(sym && frames__internal(sym->name) &&
			      frames__site(l->env.defs, e->stack_id, buf, len)))
		frames__sym_name(l->env.defs, e->call_site, buf, len);
	else if (!e->call_site && !frames__site(l->env.defs, e->stack_id, buf, len))
		snprintf(buf, len, "?");
}

static int suppressed_by(struct lint *l, int rule, const char *site)
{
	char func[160];

	site_func(site, func, sizeof(func));
	for (int i = 0; i < l->nr_supp; i++) {
		const struct lint_suppression *s = &l->supp[i];

		if ((s->rule < 0 || s->rule == rule) &&
		    (!strcmp(s->site, "*") || !strcmp(s->site, func)))
			return i;
	}
	return -1;
}

static bool same_finding(const struct lint_finding *f, int rule, const struct kmt_event *e)
{
	return f->rule == rule && f->call_site == e->call_site && f->stack_id == e->stack_id;
}

/* The finding of (rule, e's site, e's stack), created on first sight; -1 on ENOMEM. */
static long finding_of(struct lint *l, int rule, const struct kmt_event *e, __u64 count)
{
	__u64 k = fkey(rule, e->call_site, e->stack_id);
	__u32 *idx = kmt_map__get(&l->fmap, k);
	long found = -1;
	struct lint_finding *f;

	if (idx && same_finding(&l->f[*idx], rule, e))
		found = *idx;
	for (size_t i = 0; idx && found < 0 && i < l->nr_f; i++)	/* a hash collision */
		if (same_finding(&l->f[i], rule, e))
			found = i;
	if (found >= 0) {
		f = &l->f[found];
		f->count += count;
		f->last_ts = e->ts > f->last_ts ? e->ts : f->last_ts;
		return found;
	}
	if (l->nr_f == l->cap_f) {
		size_t cap = l->cap_f ? l->cap_f * 2 : 64;
		void *n = realloc(l->f, cap * sizeof(*l->f));

		if (!n)
			return -1;
		l->f = n;
		l->cap_f = cap;
	}
	f = &l->f[l->nr_f];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->call_site = e->call_site;
	f->stack_id = e->stack_id;
	f->count = count;
	f->first_ts = f->last_ts = e->ts;
	f->example = *e;
	name_site(l, e, f->site, sizeof(f->site));
	{
		const struct kmt_task *t = kmt_defs__task(l->env.defs, e->tid);

		snprintf(f->comm, sizeof(f->comm), "%s", t ? t->comm : "?");
	}
	f->suppressed_by = suppressed_by(l, rule, f->site);
	if (f->suppressed_by >= 0)
		l->supp[f->suppressed_by].used++;
	if (!idx && kmt_map__put(&l->fmap, k, l->nr_f))
		return -1;
	l->nr_f++;
	if (l->on_new && f->suppressed_by < 0)
		l->on_new(l->ctx, l, f);
	return l->nr_f - 1;
}

static long report(struct lint *l, int rule, const struct kmt_event *e)
{
	l->st.findings[rule]++;
	return finding_of(l, rule, e, 1);
}

/* ---- call sites (atomic-where-sleepable, kvmalloc) ---- */

static struct site *site_of(struct lint *l, __u64 call_site)
{
	size_t i;

	if ((l->slen + 1) * 2 > l->scap) {
		size_t cap = l->scap ? l->scap * 2 : 1024;
		struct site *n = calloc(cap, sizeof(*n));

		if (!n)
			return NULL;
		for (size_t j = 0; j < l->scap; j++) {
			if (!l->sites[j].call_site)
				continue;
			for (i = kmt_hash64(l->sites[j].call_site) & (cap - 1); n[i].call_site;
			     i = (i + 1) & (cap - 1))
				;
			n[i] = l->sites[j];
		}
		free(l->sites);
		l->sites = n;
		l->scap = cap;
	}
	for (i = kmt_hash64(call_site) & (l->scap - 1); l->sites[i].call_site;
	     i = (i + 1) & (l->scap - 1))
		if (l->sites[i].call_site == call_site)
			return &l->sites[i];
	l->sites[i].call_site = call_site;
	l->slen++;
	return &l->sites[i];
}

static bool site_is_kvmalloc(struct lint *l, struct site *s)
{
	if (!s->kv_known) {
		const struct kmt_sym *sym = kmt_defs__sym(l->env.defs, s->call_site);

		s->is_kvmalloc = sym && strstr(sym->name, "kvmalloc");
		s->kv_known = sym != NULL;	/* symbols may arrive later (live) */
	}
	return s->is_kvmalloc;
}

/* ---- rules ---- */

/* Rules for one allocation event, as a bit mask. */
static __u32 check(struct lint *l, const struct kmt_event *e, struct site *s)
{
	const struct masks *m = &l->m;
	bool known = ctx_known(e), atomic = known && ctx_atomic(e);
	bool nmi = known && KMT_CTX_IN_NMI(e->ctx);
	bool slab = e->type == KMT_EV_KMALLOC || e->type == KMT_EV_CACHE_ALLOC;
	bool page = e->type == KMT_EV_PAGE_ALLOC, pcpu = e->type == KMT_EV_PERCPU_ALLOC;
	bool vmap = e->type == KMT_EV_VMAP_ALLOC;
	__u32 gfp = e->gfp, r = 0;
	bool reclaim, any_reclaim, kv = false;

	if (!known)
		l->st.no_ctx++;
	if (e->type == KMT_EV_KMALLOC) {
		__u64 *kv_last = &l->kv_ptr[e->cpu % l->nr_cpu_slots];

		kv = s && site_is_kvmalloc(l, s);
		/*
		 * Newer kvmalloc() traces its result again with its caller's call site
		 * (same pointer, right after the attempt): part of the same kvmalloc.
		 */
		if (!kv && e->ptr && *kv_last == e->ptr)
			kv = true;
		*kv_last = kv && !(s && s->is_kvmalloc) ? 0 : kv ? e->ptr : 0;
	}
	if (vmap) {
		if (atomic)
			r |= 1u << LINT_VMALLOC_IN_ATOMIC;
		return r;
	}
	/* percpu: is_atomic is !gfpflags_allow_blocking(gfp) (mm/percpu.c) */
	reclaim = pcpu ? !(e->arg & 2) : m->reclaim && (gfp & m->reclaim);
	any_reclaim = reclaim || (m->kswapd && (gfp & m->kswapd));
	if (nmi) {
		if (any_reclaim)
			r |= 1u << LINT_ALLOC_IN_NMI;
	} else if (reclaim && atomic && l->env.preempt_count) {
		r |= 1u << LINT_SLEEP_IN_ATOMIC;
	} else if (reclaim && atomic && (KMT_CTX_IN_HARDIRQ(e->ctx) ||
					 (e->ctx & KMT_CTX_SOFTIRQ_MASK))) {
		r |= 1u << LINT_SLEEP_IN_ATOMIC;	/* without PREEMPT_COUNT only irq bits show */
	}
	if (l->env.preempt_rt && known && !reclaim && any_reclaim &&
	    (KMT_CTX_PREEMPT(e->ctx) || KMT_CTX_IN_HARDIRQ(e->ctx)) && !nmi)
		r |= 1u << LINT_RT_ATOMIC_ALLOC;
	if (m->nofail && (gfp & m->nofail) && !pcpu) {
		if (m->reclaim && !(gfp & m->reclaim))
			r |= 1u << LINT_NOFAIL_NO_RECLAIM;
		if (page && e->order > 1)
			r |= 1u << LINT_NOFAIL_HIGH_ORDER;
	}
	if (page && e->order > 0 && m->reclaim && !(gfp & m->reclaim) && m->nowarn &&
	    !(gfp & m->nowarn))
		r |= 1u << (e->order > l->env.costly_order ? LINT_COSTLY_ORDER_NO_RECLAIM
							  : LINT_HIGH_ORDER_NO_RECLAIM);
	if (e->type == KMT_EV_KMALLOC) {
		if (l->max_kmalloc && e->size > l->max_kmalloc) {
			if (!(m->nowarn && (gfp & m->nowarn)))
				r |= 1u << LINT_KMALLOC_TOO_LARGE;
		} else if (l->env.kmalloc_max_cache && e->size > l->env.kmalloc_max_cache && !kv) {
			r |= 1u << LINT_KMALLOC_LARGE;
		}
		/*
		 * The attempt's flags are the caller's adjusted (kmalloc_gfp_adjust():
		 * since 6.15 without direct reclaim above a page), so a blocking
		 * caller is told by __GFP_IO/__GFP_FS, which GFP_ATOMIC/NOWAIT lack.
		 */
		if (kv && s && s->is_kvmalloc && e->size > l->env.page_size && m->reclaim &&
		    !(gfp & (m->reclaim | m->io | m->fs)))
			r |= 1u << LINT_KVMALLOC_NO_FALLBACK;
	}
	if (slab && (gfp & (m->dma32 | m->highmem)))
		r |= 1u << LINT_SLAB_BAD_ZONE;
	if (e->type == KMT_EV_CACHE_ALLOC && m->zero && (gfp & m->zero)) {
		const struct kmt_cache_def *d = kmt_defs__cache(l->env.defs, e->aux);

		if (d && d->has_ctor)
			r |= 1u << LINT_ZERO_WITH_CTOR;
	}
	if (!pcpu && m->dma && (gfp & m->dma))
		r |= 1u << LINT_GFP_DMA;
	if (slab && reclaim && m->fs && m->io && (!(gfp & m->fs) || !(gfp & m->io)))
		r |= 1u << LINT_EXPLICIT_NOFS_NOIO;
	/* the site rule: GFP_ATOMIC/NOWAIT (kswapd, no direct reclaim) in process context */
	if (s && known && l->env.site_rules && l->env.preempt_count && !kv) {
		if (atomic) {
			s->atomic++;
		} else if (!reclaim && m->kswapd && (gfp & m->kswapd) && !pcpu) {
			if (!s->proc_noreclaim++)
				s->example = *e;
			s->first_ts = s->first_ts ? s->first_ts : e->ts;
			s->last_ts = e->ts;
		}
	}
	return r;
}

static void report_rules(struct lint *l, const struct kmt_event *e, __u32 rules, struct owner *o)
{
	if (o) {
		o->valid = true;
		o->tid = e->tid;
		o->ctx = e->ctx;
		o->type = e->type;
		o->nr = 0;
	}
	for (int i = 0; i < LINT_NR_RULES; i++) {
		long fi;

		if (!(rules & (1u << i)))
			continue;
		fi = report(l, i, e);
		if (o && fi >= 0 && o->nr < (int)(sizeof(o->finding) / sizeof(o->finding[0])))
			o->finding[o->nr++] = fi;
	}
}

/* A pending page finding: backs the allocation that follows, or stands alone. */
static void flush_pending(struct lint *l, struct pending *p)
{
	if (!p->valid)
		return;
	p->valid = false;
	report_rules(l, &p->e, p->rules, NULL);
}

/* Context rules: a page folded into an allocation must share them. */
#define CTX_RULES	(1u << LINT_SLEEP_IN_ATOMIC | 1u << LINT_ALLOC_IN_NMI | 1u << LINT_RT_ATOMIC_ALLOC)
/* The page's other rules are kept when it is folded, unless the allocation has them too. */
#define PAGE_RULES	(~CTX_RULES)

static struct pending *pend_of(struct lint *l, __u32 cpu)
{
	return &l->pend[cpu % l->nr_cpu_slots];
}

void lint__event(struct lint *l, const struct kmt_event *e)
{
	struct pending *p;
	struct owner *o;
	struct site *s = NULL;
	__u32 rules;

	l->st.events++;
	if (l->finished)
		return;
	if (l->vm)
		vmalloc_an__event(l->vm, e);
	if (!is_alloc(e->type))
		return;
	l->st.allocs++;
	p = pend_of(l, e->cpu);
	o = &l->own[e->cpu % l->nr_cpu_slots];
	if (e->call_site && e->type != KMT_EV_PAGE_ALLOC && e->type != KMT_EV_VMAP_ALLOC)
		s = site_of(l, e->call_site);
	rules = check(l, e, s);
	if (e->type == KMT_EV_PAGE_ALLOC) {
		/* pages of the vmalloc area (or percpu chunk) this task just flagged */
		if (rules && o->valid && o->tid == e->tid && o->ctx == e->ctx &&
		    (o->type == KMT_EV_VMAP_ALLOC)) {
			for (int i = 0; i < o->nr; i++)
				l->f[o->finding[i]].backing_pages++;
			l->st.folded_pages++;
			return;
		}
		flush_pending(l, p);
		if (rules) {
			p->valid = true;
			p->e = *e;
			p->rules = rules;
		}
		return;
	}
	if (p->valid) {
		if (p->e.tid == e->tid && p->e.ctx == e->ctx && e->type != KMT_EV_VMAP_ALLOC &&
		    !(p->rules & ~rules & CTX_RULES)) {
			/* the page was this allocation's new slab or kmalloc_large pages */
			__u32 own = p->rules & ~rules & PAGE_RULES;

			p->valid = false;
			l->st.folded_pages++;
			if (own)
				report_rules(l, &p->e, own, NULL);
			if (rules) {
				report_rules(l, e, rules, o);
				if (o->nr)
					l->f[o->finding[0]].backing_pages++;
				return;
			}
		} else {
			flush_pending(l, p);
		}
	}
	o->valid = false;
	if (rules)
		report_rules(l, e, rules, o);
}

/* ---- set-up and results ---- */

struct lint *lint__new(const struct lint_env *env, const struct lint_suppression *supp,
		       int nr_supp, lint_new_fn on_new, void *ctx)
{
	struct lint *l = calloc(1, sizeof(*l));
	struct masks *m;

	if (!l)
		return NULL;
	l->env = *env;
	if (l->env.costly_order <= 0)
		l->env.costly_order = 3;
	if (!l->env.page_size)
		l->env.page_size = 4096;
	l->on_new = on_new;
	l->ctx = ctx;
	l->nr_cpu_slots = 1024;
	l->pend = calloc(l->nr_cpu_slots, sizeof(*l->pend));
	l->own = calloc(l->nr_cpu_slots, sizeof(*l->own));
	l->kv_ptr = calloc(l->nr_cpu_slots, sizeof(*l->kv_ptr));
	if (nr_supp > 0) {
		l->supp = calloc(nr_supp, sizeof(*l->supp));
		if (l->supp) {
			memcpy(l->supp, supp, nr_supp * sizeof(*supp));
			l->nr_supp = nr_supp;
		}
	}
	if (!l->pend || !l->own || !l->kv_ptr || (nr_supp > 0 && !l->supp)) {
		lint__free(l);
		return NULL;
	}
	l->vm = vmalloc_an__new(env->defs, l->env.page_size);
	m = &l->m;
#define MASK(f, name) m->f = gfp_mask_of(env->gfp, env->nr_gfp, name)
	MASK(reclaim, "__GFP_DIRECT_RECLAIM");
	MASK(kswapd, "__GFP_KSWAPD_RECLAIM");
	MASK(nofail, "__GFP_NOFAIL");
	MASK(nowarn, "__GFP_NOWARN");
	MASK(dma, "__GFP_DMA");
	MASK(dma32, "__GFP_DMA32");
	MASK(highmem, "__GFP_HIGHMEM");
	MASK(zero, "__GFP_ZERO");
	MASK(fs, "__GFP_FS");
	MASK(io, "__GFP_IO");
#undef MASK
	if (!env->nr_gfp)
		note(l, "no GFP table in the trace: only vmalloc-in-atomic is checked");
	else if (!m->reclaim)
		note(l, "the GFP table has no __GFP_DIRECT_RECLAIM: sleep-in-atomic is not checked");
	if (!env->preempt_count)
		note(l, "CONFIG_PREEMPT_COUNT is off: spinlocks and preempt_disable() leave no trace in "
			"the preempt count; only softirq, hardirq and NMI contexts are checked");
	if (!env->site_rules)
		note(l, "atomic-where-sleepable needs every allocation: run lint on a recording");
	if (env->live_cap) {
		char buf[200];

		snprintf(buf, sizeof(buf), "live: the rules about flags and sizes see at most %u "
			 "events per call site (their counts are lower bounds)", env->live_cap);
		note(l, buf);
	}
	if (env->nr_page_orders && env->nr_page_orders <= 32 && l->env.page_size <= (1u << 20))
		l->max_kmalloc = (__u64)l->env.page_size << (env->nr_page_orders - 1);
	else
		note(l, "the maximum page order is unknown: kmalloc-too-large is not checked");
	if (!env->kmalloc_max_cache)
		note(l, "the largest kmalloc cache is unknown (no slabinfo): kmalloc-large is not "
			"checked");
	return l;
}

/* The vmalloc analysis' site flags as findings, one per (rule, site). */
static void vmalloc_findings(struct lint *l)
{
	static const struct { unsigned int flag; int rule; } map[] = {
		{ VMF_SMALL, LINT_VMALLOC_SMALL },
		{ VMF_CHURN, LINT_VMALLOC_CHURN },
		{ VMF_NOT_HUGE, LINT_VMALLOC_NOT_HUGE },
	};
	struct vmalloc_thresholds th;

	if (!l->vm)
		return;
	vmalloc_an__finish(l->vm);
	vmalloc_thresholds__default(&th, l->env.page_size);
	for (__u32 s = 0; s < vmalloc_an__nr_sites(l->vm); s++) {
		const struct kmt_event *ex = vmalloc_an__site_example(l->vm, s);
		const struct vmap_site_stats *st = vmap_model__site(vmalloc_an__model(l->vm), s);
		unsigned int f = vmalloc_an__flags(l->vm, s, &th);

		if (!ex || !st)
			continue;
		for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
			__u64 n = map[k].rule == LINT_VMALLOC_NOT_HUGE ? st->big_small_pages : st->areas;
			struct kmt_event e = *ex;
			long fi;

			if (!(f & map[k].flag))
				continue;
			e.call_site = 0;
			l->st.findings[map[k].rule] += n;
			fi = finding_of(l, map[k].rule, &e, n);
			if (fi < 0)
				continue;
			snprintf(l->f[fi].site, sizeof(l->f[fi].site), "%s",
				 vmalloc_an__site_name(l->vm, s));
			l->f[fi].first_ts = st->first_ts;
			l->f[fi].last_ts = st->last_ts;
			if (l->f[fi].suppressed_by >= 0)
				l->supp[l->f[fi].suppressed_by].used--;
			l->f[fi].suppressed_by = suppressed_by(l, map[k].rule, l->f[fi].site);
			if (l->f[fi].suppressed_by >= 0)
				l->supp[l->f[fi].suppressed_by].used++;
		}
	}
}

static int by_severity_count(const void *a, const void *b)
{
	const struct lint_finding *x = a, *y = b;
	int sx = lint_rules[x->rule].severity, sy = lint_rules[y->rule].severity;

	if (sx != sy)
		return sy - sx;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->rule != y->rule)
		return x->rule - y->rule;
	return strcmp(x->site, y->site);
}

void lint__finish(struct lint *l)
{
	if (l->finished)
		return;
	for (__u32 i = 0; i < l->nr_cpu_slots; i++)
		flush_pending(l, &l->pend[i]);
	for (size_t i = 0; i < l->scap; i++) {
		struct site *s = &l->sites[i];
		long fi;

		if (!s->call_site || !s->proc_noreclaim || s->atomic)
			continue;
		s->example.stack_id = -1;	/* one finding per site */
		l->st.findings[LINT_ATOMIC_WHERE_SLEEPABLE] += s->proc_noreclaim;
		fi = finding_of(l, LINT_ATOMIC_WHERE_SLEEPABLE, &s->example, s->proc_noreclaim);
		if (fi >= 0) {
			l->f[fi].first_ts = s->first_ts;
			l->f[fi].last_ts = s->last_ts;
		}
	}
	vmalloc_findings(l);
	/* names again: symbols may have been described since (a module loaded while tracing) */
	for (size_t i = 0; i < l->nr_f; i++) {
		struct lint_finding *f = &l->f[i];

		if (f->rule >= LINT_VMALLOC_SMALL)
			continue;	/* named by the vmalloc analysis */
		name_site(l, &f->example, f->site, sizeof(f->site));
		if (f->suppressed_by >= 0)
			l->supp[f->suppressed_by].used--;
		f->suppressed_by = suppressed_by(l, f->rule, f->site);
		if (f->suppressed_by >= 0)
			l->supp[f->suppressed_by].used++;
	}
	l->finished = true;
	if (l->nr_f)
		qsort(l->f, l->nr_f, sizeof(*l->f), by_severity_count);
	kmt_map__free(&l->fmap);
}

const struct lint_finding *lint__findings(const struct lint *l, size_t *n)
{
	*n = l->nr_f;
	return l->f;
}

const struct lint_stats *lint__stats(const struct lint *l)
{
	return &l->st;
}

const struct lint_suppression *lint__suppressions(const struct lint *l, int *n)
{
	*n = l->nr_supp;
	return l->supp;
}

const char *lint__notes(const struct lint *l)
{
	return l->notes;
}

size_t lint__count(const struct lint *l, enum lint_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr_f; i++)
		n += l->f[i].suppressed_by < 0 && lint_rules[l->f[i].rule].severity >= sev;
	return n;
}

void lint__free(struct lint *l)
{
	if (!l)
		return;
	free(l->f);
	kmt_map__free(&l->fmap);
	free(l->sites);
	free(l->pend);
	free(l->own);
	vmalloc_an__free(l->vm);
	free(l->kv_ptr);
	free(l->supp);
	free(l);
}

/* ---- suppressions ---- */

int lint__parse_suppressions(const char *text, struct lint_suppression **out, int *nr,
			     char *why, size_t whylen)
{
	struct lint_suppression *v = NULL, *s;
	int n = 0, cap = 0, line = 0;
	const char *p = text;

	*out = NULL;
	*nr = 0;
	while (p && *p) {
		const char *eol = strchr(p, '\n'), *hash;
		char buf[512], rule[64], site[160], extra[8];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		int k;

		line++;
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), p);
		p = eol ? eol + 1 : NULL;
		hash = strchr(buf, '#');
		k = sscanf(buf, "%63s %159s %7s", rule, site, extra);
		if (k <= 0 || rule[0] == '#')
			continue;
		if (k < 2 || site[0] == '#' || (k == 3 && extra[0] != '#')) {
			snprintf(why, whylen, "line %d: expected \"RULE SITE  # comment\"", line);
			free(v);
			return -EINVAL;
		}
		if (strcmp(rule, "*") && lint_rule_by_id(rule) < 0) {
			snprintf(why, whylen, "line %d: unknown rule '%s' (kmmtrace lint --rules lists them)",
				 line, rule);
			free(v);
			return -EINVAL;
		}
		if (n == cap) {
			int c = cap ? cap * 2 : 16;
			void *nv = realloc(v, c * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = c;
		}
		s = &v[n++];
		memset(s, 0, sizeof(*s));
		s->rule = strcmp(rule, "*") ? lint_rule_by_id(rule) : -1;
		s->line = line;
		site_func(site, s->site, sizeof(s->site));
		if (hash) {
			hash++;
			while (*hash == ' ' || *hash == '\t')
				hash++;
			snprintf(s->comment, sizeof(s->comment), "%s", hash);
		}
	}
	*out = v;
	*nr = n;
	return 0;
}
