/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything that differs between kernel versions, in one place.
 *
 * - Tracepoint prototypes: the raw context index of each argument comes from
 *   tp_arg[][] (rodata), filled in by the collector from the kernel's BTF
 *   (parameter names of __bpf_trace_<tp>, user/tp_args.c). The verifier knows
 *   rodata values, so the switch below folds to one constant-offset load.
 * - Preempt count: per-CPU __preempt_count (<= 6.1, >= 6.15) or
 *   pcpu_hot.preempt_count (6.2 .. 6.14, commit 64701838bf05 "x86/percpu: Move
 *   preempt_count next to current_task"). The collector computes, from BTF's
 *   .data..percpu DATASEC, its offset relative to the per-CPU `runqueues`
 *   (pc_delta); this CPU's runqueue is reached from current->se.cfs_rq->rq, so
 *   no __ksym is needed (kernels without CONFIG_KALLSYMS_ALL cannot resolve
 *   per-CPU data symbols).
 * - RCU read-side nesting: task_struct::rcu_read_lock_nesting exists only with
 *   CONFIG_PREEMPT_RCU.
 * - struct kmem_cache: SLUB's `oo` (order << OO_SHIFT | objects, OO_SHIFT = 16
 *   in mm/slub.c since 2.6.25) exists only under SLUB.
 */
#ifndef __KMT_COMPAT_BPF_H
#define __KMT_COMPAT_BPF_H

#include <bpf/bpf_core_read.h>

const volatile __s8 tp_arg[KMT_EV_MAX][KMT_SLOT_MAX];
const volatile __s64 pc_delta;	/* &preempt_count - &runqueues, per-CPU offsets */
const volatile bool pc_enabled;

#ifdef KMT_DIRECT_PC
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;
#endif

/*
 * One load per case, with the offset in the instruction: tp_btf context reads
 * must use a constant offset from an unmodified ctx pointer, so clang must not
 * merge the cases into one load through a computed pointer.
 */
#define CTX_LOAD(ctx, n) ({						\
	__u64 __v;							\
	asm volatile("%0 = *(u64 *)(%1 + " #n " * 8)" : "=r"(__v) : "r"(ctx)); \
	__v;								\
})

static __always_inline __u64 tp_ctx_arg(__u64 *ctx, int idx)
{
	switch (idx) {
	case 0: return CTX_LOAD(ctx, 0);
	case 1: return CTX_LOAD(ctx, 1);
	case 2: return CTX_LOAD(ctx, 2);
	case 3: return CTX_LOAD(ctx, 3);
	case 4: return CTX_LOAD(ctx, 4);
	case 5: return CTX_LOAD(ctx, 5);
	case 6: return CTX_LOAD(ctx, 6);
	case 7: return CTX_LOAD(ctx, 7);
	case 8: return CTX_LOAD(ctx, 8);
	case 9: return CTX_LOAD(ctx, 9);
	case 10: return CTX_LOAD(ctx, 10);
	case 11: return CTX_LOAD(ctx, 11);
	default: return 0;
	}
}

#define TP_ARG(ctx, type, slot) tp_ctx_arg(ctx, tp_arg[type][slot])
#define TP_HAS(type, slot) (tp_arg[type][slot] >= 0)

struct task_struct___rcu {
	int rcu_read_lock_nesting;
} __attribute__((preserve_access_index));

struct sched_entity___grp {
	struct cfs_rq *cfs_rq;
} __attribute__((preserve_access_index));

/* This CPU's runqueue address, or 0. */
static __always_inline __u64 this_cpu_rq(struct task_struct *t)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_entity___grp *se = (void *)&t->se;
	struct cfs_rq *cfs;
	struct rq *rq;

	if (!bpf_core_field_exists(se->cfs_rq))
		return 0;
	cfs = BPF_CORE_READ(se, cfs_rq);
	if (!cfs)
		return 0;
	rq = BPF_CORE_READ(cfs, rq);
	if (!rq || BPF_CORE_READ(rq, cpu) != (int)cpu)
		return 0;
	return (__u64)rq;
}

/* Raw preempt count (need-resched bit cleared); false if unreadable. */
#define read_preempt_count(cs, t, pc) __read_preempt_count(&(cs)->pc_addr, t, pc)

/* *cached: this CPU's &preempt_count (runqueue + pc_delta) once verified, else 0. */
static __always_inline bool __read_preempt_count(__u64 *cached, struct task_struct *t, __u32 *pc)
{
	__u64 addr = *cached, rq;

	if (!pc_enabled)
		return false;
	if (!addr) {
		rq = this_cpu_rq(t);
		if (!rq)
			return false;
		addr = rq + pc_delta;
		*cached = addr;
	}
#ifdef KMT_DIRECT_PC
	/*
	 * A direct load: bpf_rdonly_cast (6.2+, inlined by the verifier to a move)
	 * makes the address an untrusted BTF pointer, read with one faulting load
	 * instead of a bpf_probe_read_kernel call. Any struct whose first member is
	 * a 4-byte int serves as the type: refcount_t's.
	 */
	{
		struct refcount_struct *r = bpf_rdonly_cast((void *)addr,
				bpf_core_type_id_kernel(struct refcount_struct));

		*pc = r->refs.counter;
	}
#else
	if (bpf_probe_read_kernel(pc, sizeof(*pc), (void *)addr))
		return false;
#endif
	*pc &= 0x7fffffff;	/* PREEMPT_NEED_RESCHED is folded in inverted */
	return true;
}

static __always_inline bool read_rcu_nesting(struct task_struct *t, __s32 *rcu)
{
	struct task_struct___rcu *tr = (void *)t;

	if (!bpf_core_field_exists(tr->rcu_read_lock_nesting))
		return false;
	*rcu = tr->rcu_read_lock_nesting;	/* a trusted task pointer: a direct load */
	return true;
}

struct kmem_cache_order_objects___slub {
	unsigned int x;
} __attribute__((preserve_access_index));

struct kmem_cache___slub {
	struct kmem_cache_order_objects___slub oo;
} __attribute__((preserve_access_index));

struct kmem_cache___any {
	unsigned int object_size;
	unsigned int size;
	unsigned int align;
	unsigned int flags;
	void (*ctor)(void *);
	const char *name;
} __attribute__((preserve_access_index));

#define KMT_SLUB_OO_SHIFT	16

static __always_inline void read_cache(__u64 cache, struct kmt_rec_cache_def *d)
{
	struct kmem_cache___slub *sc = (void *)cache;
	struct kmem_cache___any *c = (void *)cache;
	const char *name;
	__u32 oo;

	d->object_size = BPF_CORE_READ(c, object_size);
	d->size = BPF_CORE_READ(c, size);
	d->align = BPF_CORE_READ(c, align);
	d->flags = BPF_CORE_READ(c, flags);
	d->has_ctor = BPF_CORE_READ(c, ctor) != 0;
	name = BPF_CORE_READ(c, name);
	bpf_probe_read_kernel_str(d->name, sizeof(d->name), name);
	d->order = (__u32)-1;
	d->objects = 0;
	if (bpf_core_field_exists(sc->oo)) {
		oo = BPF_CORE_READ(sc, oo.x);
		d->order = oo >> KMT_SLUB_OO_SHIFT;
		d->objects = oo & ((1u << KMT_SLUB_OO_SHIFT) - 1);
	}
}

#endif /* __KMT_COMPAT_BPF_H */
