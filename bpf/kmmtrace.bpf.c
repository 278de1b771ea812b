// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace capture: one tp_btf program per allocation tracepoint, each turning
 * the tracepoint's arguments into one fixed-size record in a BPF ring buffer,
 * with the allocation's context (preempt count, RCU nesting) and optionally a
 * stack id. Kernel-version differences live in compat.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kmmtrace.h"
#include "compat.bpf.h"

#ifndef EEXIST
#define EEXIST 17
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 self_tgid;
const volatile __u32 nr_pids;
const volatile __u32 pids[KMT_MAX_PIDS];
const volatile __u64 cgroup_id;
const volatile __u32 cgroup_level;
const volatile bool capture_stacks;
const volatile __u64 events_mask = ~0ull;
const volatile bool page_events_all = true;
const volatile __u64 wake_bytes = 1 << 20;

/*
 * Lint mode (kmmtrace lint --live): only allocations a lint rule could flag
 * reach the ring buffer. GFP bits come from user space (the kernel's own table).
 */
const volatile bool lint_mode;
const volatile bool lint_rt;		/* PREEMPT_RT: non-reclaim allocations count too */
const volatile __u32 lint_reclaim;	/* __GFP_DIRECT_RECLAIM */
const volatile __u32 lint_kswapd;	/* __GFP_KSWAPD_RECLAIM */
const volatile __u32 lint_special;	/* always kept: __GFP_NOFAIL, __GFP_DMA, __GFP_DMA32... */
const volatile __u32 lint_nowarn;
const volatile __u32 lint_zero;
const volatile __u32 lint_iofs;		/* __GFP_IO | __GFP_FS */
const volatile __u64 lint_kmalloc_big;	/* kmalloc sizes above this are kept */
const volatile __u32 lint_site_cap = 64;	/* per site, for the rules not about context */
/* set by the collector once it knows it can flush partial batches (kmt_flush) */
__u32 batch_on;
/* set by the collector once calibrated: the tracing machinery's own depths */
__u32 lint_armed;
__u32 lint_pc_base;
__s32 lint_rcu_base;

/* Calibration: events from calib_tid are folded into calib, not emitted. */
__u32 calib_tid;
struct {
	__u32 min_pc;
	__s32 min_rcu;
	__u32 samples;
	__u32 pad;
	__u64 pages[8];		/* struct page * of the last page allocations */
	__u32 nr_pages;
} calib;	/* the collector sets min_* before calibrating */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 16384);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 4096);
} stacks_alt SEC(".maps");

/*
 * Everything a program needs per CPU, in one map value: one lookup per event.
 * The counters (enum kmt_counter) are read by the collector from this map.
 */
struct cpu_state {
	__u64 counters[KMT_CNT_MAX];
	__u64 pc_addr;		/* this CPU's preempt count (see compat.bpf.h) */
	__u32 tid;		/* the last task described from this CPU */
	__u32 nr_events;
	__u64 cache_slot[64];	/* direct-mapped recently seen kmem_cache pointers */
	__u64 lint_capped[64];	/* direct-mapped lint_sites keys over the cap */
	__u64 lint_ctor[32];	/* direct-mapped kmem_cache pointers, | 1 when it has a ctor */
	/*
	 * Small records waiting for one bpf_ringbuf_output(). batch_busy is held while
	 * a program fills the batch or kmt_flush empties it: a program that interrupts
	 * either (an interrupt's allocation, an NMI) reserves its record directly.
	 * Programs run with preemption disabled (not on PREEMPT_RT, where batches are
	 * off), so nothing else on this CPU runs in between.
	 */
	__u32 batch_n;
	__u32 batch_busy;
	struct kmt_rec_small batch[KMT_BATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpu_state SEC(".maps");

/* kmem_cache pointers already described to user space */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} caches_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct kmt_rec_task);
} tasks_seen SEC(".maps");

static __always_inline struct cpu_state *this_cpu_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

static __always_inline void count(struct cpu_state *cs, int slot)
{
	if (slot >= 0 && slot < KMT_CNT_MAX)
		cs->counters[slot]++;
}

/* Wake the collector only when enough data waits; checked every 64 events per CPU. */
static __always_inline long wake_if_due(void)
{
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
									 : BPF_RB_NO_WAKEUP;
}

static __always_inline long wake_flags(struct cpu_state *cs)
{
	return ++cs->nr_events & 63 ? BPF_RB_NO_WAKEUP : wake_if_due();
}

/* Keeps the compiler from moving loads and stores of the batch across batch_busy. */
#define kmt_barrier() asm volatile("" ::: "memory")

/* Sends what the batch holds; on failure its events count as dropped, by type. */
static __always_inline void flush_batch(struct cpu_state *cs)
{
	__u32 n = cs->batch_n;

	if (n > KMT_BATCH)
		n = KMT_BATCH;
	if (n && bpf_ringbuf_output(&rb, cs->batch, n * sizeof(cs->batch[0]), wake_if_due())) {
#pragma clang loop unroll(disable)
		for (__u32 i = 0; i < KMT_BATCH; i++) {
			if (i >= n)
				break;
			count(cs, KMT_CNT_DROPPED + cs->batch[i].hdr.type);
		}
	}
	cs->batch_n = 0;
}

/* A stack id; on a bucket collision, one from the second map (KMT_STACK_ALT). */
static __always_inline __s32 get_stack(struct cpu_state *cs, __u64 *ctx)
{
	long id = bpf_get_stackid(ctx, &stacks, 0);

	if (id == -EEXIST) {
		id = bpf_get_stackid(ctx, &stacks_alt, 1);	/* skip our own frame */
		if (id >= 0)
			return id | KMT_STACK_ALT;
	}
	if (id < 0)
		count(cs, KMT_CNT_STACK_FAIL);
	return id;
}

static __always_inline void fill_hdr(struct kmt_rec_hdr *h, int type, int size)
{
	h->type = type;
	h->flags = 0;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts = bpf_ktime_get_ns();
}

static __always_inline bool pid_selected(__u32 tgid)
{
	if (!nr_pids)
		return true;
	for (int i = 0; i < KMT_MAX_PIDS; i++) {
		if (i >= nr_pids)
			break;
		if (pids[i] == tgid)
			return true;
	}
	return false;
}

static __always_inline void calibrate(struct cpu_state *cs, int type, __u64 *ctx,
				      struct task_struct *t)
{
	__u32 pc, n;
	__s32 rcu;

	if (read_preempt_count(cs, t, &pc) && pc < calib.min_pc)
		calib.min_pc = pc;
	if (read_rcu_nesting(t, &rcu) && rcu < calib.min_rcu)
		calib.min_rcu = rcu;
	calib.samples++;
	if (type == KMT_EV_PAGE_ALLOC) {
		n = calib.nr_pages;
		calib.pages[n & 7] = TP_ARG(ctx, type, KMT_SLOT_PTR);
		calib.nr_pages = n + 1;
	}
}

/* false: the event is not for us (filtered, or the collector's own). */
static __always_inline bool selected(struct cpu_state *cs, int type, __u64 *ctx,
				     struct task_struct *t, __u64 id)
{
	__u32 tgid = id >> 32;
	bool page = type >= KMT_EV_PAGE_ALLOC && type <= KMT_EV_PAGE_ALLOC_EXTFRAG;

	/*
	 * The collector does not trace its own slab, vmalloc and percpu use, but
	 * in a system-wide trace its page events are kept: a model of the free
	 * lists must see every page that changes hands (analyses can tell them
	 * apart by pid, KMT_META_COLLECTOR_PID).
	 */
	if (tgid == self_tgid) {
		__u32 pc = 0;

		if ((__u32)id == calib_tid && calib_tid)
			calibrate(cs, type, ctx, t);
		if (page && page_events_all)
			return true;
		/*
		 * An interrupt (hardirq, serving softirq, NMI) that landed while the
		 * collector ran is not the collector's: keep it (the preempt count's
		 * layout: softirq serving bit 8, hardirq bits 16-19, NMI 20-23).
		 */
		if (!read_preempt_count(cs, t, &pc) || !(pc & 0xff0100)) {
			count(cs, KMT_CNT_FILTERED);
			return false;
		}
	}
	if (!pid_selected(tgid) ||
	    (cgroup_id && bpf_get_current_ancestor_cgroup_id(cgroup_level) != cgroup_id)) {
		count(cs, KMT_CNT_FILTERED);
		return false;
	}
	return true;
}

/* Describe the current task when this CPU last saw another one and its comm is new. */
static __always_inline void describe_task(struct cpu_state *tc, __u64 id)
{
	__u32 tid = id;
	struct kmt_rec_task *seen, *r, v = {};
	union {
		char c[16];
		__u64 q[2];
	} comm;

	if (tc->tid == tid)
		return;
	tc->tid = tid;
	bpf_get_current_comm(comm.c, sizeof(comm.c));
	seen = bpf_map_lookup_elem(&tasks_seen, &tid);
	if (seen && *(__u64 *)&seen->comm[0] == comm.q[0] && *(__u64 *)&seen->comm[8] == comm.q[1])
		return;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		tc->tid = 0;	/* try again on the next event */
		count(tc, KMT_CNT_TASK_DROPPED);
		return;
	}
	fill_hdr(&r->hdr, KMT_REC_TASK, sizeof(*r));
	r->tgid = id >> 32;
	r->tid = tid;
	__builtin_memcpy(r->comm, comm.c, sizeof(comm.c));
	__builtin_memcpy(v.comm, comm.c, sizeof(comm.c));
	bpf_map_update_elem(&tasks_seen, &tid, &v, BPF_ANY);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

/*
 * Describe a kmem_cache on first sight. The definition is reserved before the
 * cache is marked as described, so any event that sees the mark is reserved
 * after the definition and reaches the collector after it.
 */
static __always_inline void describe_cache(struct cpu_state *tc, __u64 cache)
{
	__u32 slot = (cache >> 6) & 63;
	struct kmt_rec_cache_def *d;
	__u8 one = 1;
	long err;

	if (!cache || tc->cache_slot[slot] == cache)
		return;
	if (bpf_map_lookup_elem(&caches_seen, &cache)) {
		tc->cache_slot[slot] = cache;
		return;
	}
	d = bpf_ringbuf_reserve(&rb, sizeof(*d), 0);
	if (!d) {
		count(tc, KMT_CNT_CACHE_DEF_DROPPED);
		return;
	}
	err = bpf_map_update_elem(&caches_seen, &cache, &one, BPF_NOEXIST);
	if (err) {
		bpf_ringbuf_discard(d, BPF_RB_NO_WAKEUP);
		if (err == -EEXIST)
			tc->cache_slot[slot] = cache;	/* another CPU described it */
		else
			count(tc, KMT_CNT_CACHE_DEF_DROPPED);	/* caches_seen full */
		return;
	}
	fill_hdr(&d->hdr, KMT_REC_CACHE_DEF, sizeof(*d));
	d->cache = cache;
	read_cache(cache, d);
	bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);
	tc->cache_slot[slot] = cache;
}

static __always_inline void fill_context(struct cpu_state *cs, struct kmt_rec_event *e,
					 struct task_struct *t)
{
	if (read_preempt_count(cs, t, &e->pc))
		e->hdr.flags |= KMT_RF_CTX_PC;
	else
		count(cs, KMT_CNT_PC_UNKNOWN);
	if (read_rcu_nesting(t, &e->rcu))
		e->hdr.flags |= KMT_RF_CTX_RCU;
}

/* A slot this event type can fill, or its empty value when it cannot (folded at compile time). */
#define SLOT(ctx, type, slot, none)					\
	((kmt_type_slots(type) & KMT_S(slot)) ? TP_ARG(ctx, type, KMT_SLOT_##slot) : (none))

static __always_inline void fill_slots(struct kmt_rec_event *e, __u64 *ctx, const int type)
{
	e->ptr = SLOT(ctx, type, PTR, 0);
	e->call_site = SLOT(ctx, type, CALL_SITE, 0);
	e->size = SLOT(ctx, type, SIZE, 0);
	e->size2 = SLOT(ctx, type, SIZE2, 0);
	e->aux = SLOT(ctx, type, AUX, 0);
	e->aux2 = SLOT(ctx, type, AUX2, 0);
	e->gfp = SLOT(ctx, type, GFP, 0);
	e->node = (kmt_type_slots(type) & KMT_S(NODE)) && TP_HAS(type, KMT_SLOT_NODE) ?
		  (__s32)TP_ARG(ctx, type, KMT_SLOT_NODE) : -1;
	e->order = SLOT(ctx, type, ORDER, 0);
	e->mt = SLOT(ctx, type, MT, 0);
	e->arg = SLOT(ctx, type, ARG, 0);
	e->arg2 = SLOT(ctx, type, ARG2, 0);
}

static __always_inline bool page_type(const int type)
{
	return type >= KMT_EV_PAGE_ALLOC && type <= KMT_EV_PAGE_ALLOC_EXTFRAG;
}

/* Types that can use struct kmt_rec_small (decided at compile and load time). */
static __always_inline bool small_type(const int type)
{
	switch (type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
	case KMT_EV_PAGE_ALLOC:
	case KMT_EV_PAGE_FREE:
	case KMT_EV_PAGE_FREE_BATCHED:
	case KMT_EV_PAGE_ALLOC_ZONE_LOCKED:
	case KMT_EV_PAGE_PCPU_DRAIN:
		return true;
	case KMT_EV_CACHE_ALLOC:	/* < 6.1: sizes in the tracepoint, no room for them */
		return !TP_HAS(type, KMT_SLOT_SIZE) && !TP_HAS(type, KMT_SLOT_SIZE2);
	default:
		return false;
	}
}

static __always_inline int emit_small(struct cpu_state *cs, __u64 *ctx, const int type,
				      struct task_struct *t, __u64 id, __u64 size, __u64 size2)
{
	struct kmt_rec_small *e;
	__u8 flags = KMT_RF_SMALL;
	bool batched = false;
	__u32 pc = 0;
	__s32 rcu = 0;

	if (batch_on && !cs->batch_busy) {
		cs->batch_busy = 1;
		kmt_barrier();
		e = &cs->batch[cs->batch_n & (KMT_BATCH - 1)];
		batched = true;
	} else {
		e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
		if (!e) {
			count(cs, KMT_CNT_DROPPED + type);
			return 0;
		}
	}
	/* the time is read after the batch is held: see kmt_flush */
	e->hdr.type = type;
	e->hdr.size = sizeof(*e);
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->hdr.ts = bpf_ktime_get_ns();
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	if (read_preempt_count(cs, t, &pc))
		flags |= KMT_RF_CTX_PC;
	else
		count(cs, KMT_CNT_PC_UNKNOWN);
	if (read_rcu_nesting(t, &rcu)) {
		flags |= KMT_RF_CTX_RCU;
		rcu = rcu < -128 ? -128 : rcu > 127 ? 127 : rcu;
	}
	if (page_type(type))
		flags |= KMT_RF_PAGE_PTR;
	e->hdr.flags = flags;
	e->ctx = (pc & 0xffffff) | ((__u32)rcu << 24);
	e->gfp = SLOT(ctx, type, GFP, 0);
	e->ptr = SLOT(ctx, type, PTR, 0);
	e->call_site = SLOT(ctx, type, CALL_SITE, 0);
	if (type == KMT_EV_KMALLOC) {
		e->size = size;
		e->size2 = size2;
	} else if (type == KMT_EV_PAGE_ALLOC_ZONE_LOCKED) {
		e->aux = (__u32)SLOT(ctx, type, ARG, 0);
	} else {
		e->aux = SLOT(ctx, type, AUX, 0);
	}
	e->node = (kmt_type_slots(type) & KMT_S(NODE)) && TP_HAS(type, KMT_SLOT_NODE) ?
		  (__s16)TP_ARG(ctx, type, KMT_SLOT_NODE) : -1;
	e->order = SLOT(ctx, type, ORDER, 0);
	e->mt = SLOT(ctx, type, MT, 0);
	e->stack_id = -1;
	if (capture_stacks)
		e->stack_id = get_stack(cs, ctx);
	if (!batched) {
		bpf_ringbuf_submit(e, wake_flags(cs));
		return 0;
	}
	if (++cs->batch_n >= KMT_BATCH)
		flush_batch(cs);
	kmt_barrier();
	cs->batch_busy = 0;
	return 0;
}

/*
 * Run by the collector on each CPU (BPF_PROG_TEST_RUN with BPF_F_TEST_RUN_ON_CPU, in
 * an IPI on other CPUs) to send a partial batch. Returns 1 when a program on this CPU
 * holds the batch: that program's event may already carry a time older than the
 * collector's clock, so the collector cannot yet release events up to it.
 */
SEC("raw_tp")
int kmt_flush(void *ctx)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return 0;
	if (cs->batch_busy)
		return 1;
	cs->batch_busy = 1;
	kmt_barrier();
	flush_batch(cs);
	kmt_barrier();
	cs->batch_busy = 0;
	return 0;
}

/* Lint mode: events passed per (call site or page order) for the non-context rules. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u32);
} lint_sites SEC(".maps");

static __always_inline bool lint_site_ok(struct cpu_state *cs, __u64 key)
{
	__u32 one = 1, *n, slot = (key >> 2) & 63;

	if (cs->lint_capped[slot] == key)
		return false;	/* a hot site over the cap: no map lookup */
	n = bpf_map_lookup_elem(&lint_sites, &key);
	if (!n) {
		bpf_map_update_elem(&lint_sites, &key, &one, BPF_ANY);
		return true;
	}
	if (*n >= lint_site_cap) {
		cs->lint_capped[slot] = key;
		return false;
	}
	__sync_fetch_and_add(n, 1);
	return true;
}

struct kmem_cache___ctor {
	void (*ctor)(void *);
} __attribute__((preserve_access_index));

/* Whether a kmem_cache has a constructor, cached per CPU (pointers are aligned). */
static __always_inline bool lint_has_ctor(struct cpu_state *cs, __u64 *ctx, const int type)
{
	__u64 cache = TP_ARG(ctx, type, KMT_SLOT_AUX), v;
	struct kmem_cache___ctor *kc = (void *)cache;
	__u32 slot = (cache >> 6) & 31;

	v = cs->lint_ctor[slot];
	if ((v & ~1ull) == cache && cache)
		return v & 1;
	v = cache | (bpf_core_field_exists(kc->ctor) && BPF_CORE_READ(kc, ctor) ? 1 : 0);
	cs->lint_ctor[slot] = v;
	return v & 1;
}

/* Lint mode: could a rule flag this allocation? Everything else stays in the kernel. */
static __always_inline bool lint_candidate(struct cpu_state *cs, __u64 *ctx, const int type,
					   struct task_struct *t)
{
	__u32 gfp = SLOT(ctx, type, GFP, 0), pc = 0;
	__s32 rcu = 0;
	bool always, reclaim;

	/* the vmalloc rules need every area, its free and the purges: rare events */
	if (type == KMT_EV_VMAP_ALLOC || type == KMT_EV_VMAP_FREE || type == KMT_EV_VMAP_PURGE)
		return lint_armed;
	if (type != KMT_EV_KMALLOC && type != KMT_EV_CACHE_ALLOC && type != KMT_EV_PAGE_ALLOC &&
	    type != KMT_EV_PERCPU_ALLOC)
		return false;
	if (!lint_armed)
		return false;
	/* rules about the flags or size: a few events per call site (or order) suffice */
	if ((gfp & lint_special) ||
	    (type == KMT_EV_KMALLOC && SLOT(ctx, type, SIZE, 0) > lint_kmalloc_big) ||
	    (type == KMT_EV_PAGE_ALLOC && SLOT(ctx, type, ORDER, 0) > 0 &&
	     !(gfp & (lint_reclaim | lint_nowarn))) ||
	    ((type == KMT_EV_KMALLOC || type == KMT_EV_CACHE_ALLOC) && (gfp & lint_reclaim) &&
	     (gfp & lint_iofs) != lint_iofs) ||
	    (type == KMT_EV_CACHE_ALLOC && (gfp & lint_zero) && lint_has_ctor(cs, ctx, type))) {
		__u64 key = SLOT(ctx, type, CALL_SITE, 0);

		if (!key)
			key = ((__u64)type << 56) | SLOT(ctx, type, ORDER, 0);
		if (lint_site_ok(cs, key))
			return true;
	}
	/* the context rules: allocations that may reclaim; vmalloc (and percpu without GFP) always */
	always = type == KMT_EV_VMAP_ALLOC ||
		 (type == KMT_EV_PERCPU_ALLOC && !TP_HAS(type, KMT_SLOT_GFP));
	reclaim = gfp & lint_reclaim;
	if (!reclaim && !(gfp & lint_kswapd) && !always)
		return false;	/* no reclaim at all: NMI-safe (*_nolock) or plain flags */
	if (!read_preempt_count(cs, t, &pc))
		return true;	/* unknown context: user space counts it */
	if (!reclaim && !always && !lint_rt)
		return pc & 0xf00000;	/* GFP_ATOMIC/NOWAIT: only NMI matters */
	if ((pc & 0xff) != lint_pc_base || (pc & ~0xffu))
		return true;
	return read_rcu_nesting(t, &rcu) && rcu > lint_rcu_base;
}

static __always_inline int emit(__u64 *ctx, const int type)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct cpu_state *cs = this_cpu_state();
	/* what bpf_get_current_pid_tgid() returns, by two loads instead of a call */
	__u64 id = ((__u64)(__u32)t->tgid << 32) | (__u32)t->pid;
	struct kmt_rec_event *e;
	__u64 size = 0, size2 = 0;

	if (!cs || !selected(cs, type, ctx, t, id) || !(events_mask & (1ull << type)))
		return 0;
	if (lint_mode && !lint_candidate(cs, ctx, type, t)) {
		count(cs, KMT_CNT_FILTERED);
		return 0;
	}
	count(cs, KMT_CNT_SEEN + type);
	describe_task(cs, id);
	if (type == KMT_EV_CACHE_ALLOC || type == KMT_EV_CACHE_FREE)
		describe_cache(cs, TP_ARG(ctx, type, KMT_SLOT_AUX));
	if (small_type(type)) {
		if (type == KMT_EV_KMALLOC) {
			size = SLOT(ctx, type, SIZE, 0);
			size2 = SLOT(ctx, type, SIZE2, 0);
		}
		if (!((size | size2) >> 32))
			return emit_small(cs, ctx, type, t, id, size, size2);
	}
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		count(cs, KMT_CNT_DROPPED + type);
		return 0;
	}
	fill_hdr(&e->hdr, type, sizeof(*e));
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	fill_context(cs, e, t);
	fill_slots(e, ctx, type);	/* kmem_cache_alloc sizes on >= 6.1: see collector.c */
	if (page_type(type))
		e->hdr.flags |= KMT_RF_PAGE_PTR;
	e->stack_id = -1;
	if (capture_stacks)
		e->stack_id = get_stack(cs, ctx);
	e->pad = 0;
	bpf_ringbuf_submit(e, wake_flags(cs));
	return 0;
}

#define KMT_PROG(tp, type)						\
	SEC("raw_tp/" #tp)						\
	int kmt_##tp(__u64 *ctx)					\
	{								\
		return emit(ctx, type);					\
	}

KMT_PROG(kmalloc, KMT_EV_KMALLOC)
KMT_PROG(kfree, KMT_EV_KFREE)
KMT_PROG(kmem_cache_alloc, KMT_EV_CACHE_ALLOC)
KMT_PROG(kmem_cache_free, KMT_EV_CACHE_FREE)
KMT_PROG(mm_page_alloc, KMT_EV_PAGE_ALLOC)
KMT_PROG(mm_page_free, KMT_EV_PAGE_FREE)
KMT_PROG(mm_page_free_batched, KMT_EV_PAGE_FREE_BATCHED)
KMT_PROG(mm_page_alloc_zone_locked, KMT_EV_PAGE_ALLOC_ZONE_LOCKED)
KMT_PROG(mm_page_pcpu_drain, KMT_EV_PAGE_PCPU_DRAIN)
KMT_PROG(mm_page_alloc_extfrag, KMT_EV_PAGE_ALLOC_EXTFRAG)
KMT_PROG(alloc_vmap_area, KMT_EV_VMAP_ALLOC)
KMT_PROG(free_vmap_area_noflush, KMT_EV_VMAP_FREE)
KMT_PROG(purge_vmap_area_lazy, KMT_EV_VMAP_PURGE)
KMT_PROG(percpu_alloc_percpu, KMT_EV_PERCPU_ALLOC)
KMT_PROG(percpu_free_percpu, KMT_EV_PERCPU_FREE)
KMT_PROG(tlb_flush, KMT_EV_TLB_FLUSH)
KMT_PROG(percpu_create_chunk, KMT_EV_PERCPU_CHUNK_CREATE)
KMT_PROG(percpu_destroy_chunk, KMT_EV_PERCPU_CHUNK_DESTROY)
