/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one ABI shared by the BPF programs and the collector: ring-buffer records,
 * the tracepoint argument table filled in from BTF at load time, and the event
 * type numbers (also used, unchanged, by the trace file and every analysis).
 *
 * Every ring-buffer record begins with struct kmt_rec_hdr (type and size).
 */
#ifndef __KMMTRACE_H
#define __KMMTRACE_H

enum kmt_event_type {
	KMT_EV_NONE = 0,
	KMT_EV_KMALLOC = 1,		/* kmem:kmalloc (and kmalloc_node on old kernels) */
	KMT_EV_KFREE = 2,		/* kmem:kfree */
	KMT_EV_CACHE_ALLOC = 3,		/* kmem:kmem_cache_alloc (and _node) */
	KMT_EV_CACHE_FREE = 4,		/* kmem:kmem_cache_free */
	KMT_EV_PAGE_ALLOC = 5,		/* kmem:mm_page_alloc */
	KMT_EV_PAGE_FREE = 6,		/* kmem:mm_page_free */
	KMT_EV_PAGE_FREE_BATCHED = 7,	/* kmem:mm_page_free_batched */
	KMT_EV_PAGE_ALLOC_ZONE_LOCKED = 8, /* kmem:mm_page_alloc_zone_locked */
	KMT_EV_PAGE_PCPU_DRAIN = 9,	/* kmem:mm_page_pcpu_drain */
	KMT_EV_PAGE_ALLOC_EXTFRAG = 10,	/* kmem:mm_page_alloc_extfrag */
	KMT_EV_VMAP_ALLOC = 11,		/* vmalloc:alloc_vmap_area */
	KMT_EV_VMAP_FREE = 12,		/* vmalloc:free_vmap_area_noflush */
	KMT_EV_VMAP_PURGE = 13,		/* vmalloc:purge_vmap_area_lazy */
	KMT_EV_PERCPU_ALLOC = 14,	/* percpu:percpu_alloc_percpu */
	KMT_EV_PERCPU_FREE = 15,	/* percpu:percpu_free_percpu */
	KMT_EV_TLB_FLUSH = 16,		/* tlb:tlb_flush */
	KMT_EV_PERCPU_CHUNK_CREATE = 17, /* percpu:percpu_create_chunk */
	KMT_EV_PERCPU_CHUNK_DESTROY = 18, /* percpu:percpu_destroy_chunk */
	KMT_EV_MAX,
};

/* Records that are not events: they describe objects that events refer to. */
enum kmt_rec_type {
	KMT_REC_CACHE_DEF = 64,		/* first sight of a struct kmem_cache */
	KMT_REC_TASK = 65,		/* first sight of a task, or its comm changed */
};

/*
 * Programs are raw_tp, not tp_btf: before 2025 kernels (6.1, 6.12) the BTF
 * context check refuses `const void *` arguments (kmalloc's ptr) under tp_btf,
 * while raw_tp reads every argument as a u64 through the same __bpf_trace_run.
 *
 * Record slots a tracepoint argument can land in. The collector finds, in the
 * kernel's BTF, the parameter names of __bpf_trace_<tracepoint> and stores for
 * each (event, slot) the index of the parameter that fills it in the raw
 * tracepoint context, or -1 when this kernel's tracepoint has no such
 * parameter (user/tp_args.c). This is how prototype differences between
 * kernel versions are absorbed without version checks.
 */
enum kmt_slot {
	KMT_SLOT_PTR,
	KMT_SLOT_CALL_SITE,
	KMT_SLOT_SIZE,
	KMT_SLOT_SIZE2,
	KMT_SLOT_AUX,
	KMT_SLOT_AUX2,
	KMT_SLOT_GFP,
	KMT_SLOT_NODE,
	KMT_SLOT_ORDER,
	KMT_SLOT_MT,
	KMT_SLOT_ARG,
	KMT_SLOT_ARG2,
	KMT_SLOT_MAX,
};

/*
 * The slots each event type can ever fill (on any kernel: user/tp_args.c's table).
 * The programs read only these, so the rest cost nothing; the collector refuses
 * to load if the argument table ever resolves a slot outside this mask.
 */
#define KMT_S(s)	(1u << KMT_SLOT_##s)
static inline __attribute__((always_inline)) unsigned int kmt_type_slots(int type)
{
	switch (type) {
	case KMT_EV_KMALLOC:
		return KMT_S(PTR) | KMT_S(CALL_SITE) | KMT_S(SIZE) | KMT_S(SIZE2) | KMT_S(GFP) |
		       KMT_S(NODE);
	case KMT_EV_KFREE:
		return KMT_S(PTR) | KMT_S(CALL_SITE);
	case KMT_EV_CACHE_ALLOC:
		return KMT_S(PTR) | KMT_S(CALL_SITE) | KMT_S(AUX) | KMT_S(SIZE) | KMT_S(SIZE2) |
		       KMT_S(GFP) | KMT_S(NODE);
	case KMT_EV_CACHE_FREE:
		return KMT_S(PTR) | KMT_S(CALL_SITE) | KMT_S(AUX);
	case KMT_EV_PAGE_ALLOC:
		return KMT_S(PTR) | KMT_S(ORDER) | KMT_S(GFP) | KMT_S(MT);
	case KMT_EV_PAGE_FREE:
		return KMT_S(PTR) | KMT_S(ORDER);
	case KMT_EV_PAGE_FREE_BATCHED:
		return KMT_S(PTR);
	case KMT_EV_PAGE_ALLOC_ZONE_LOCKED:
		return KMT_S(PTR) | KMT_S(ORDER) | KMT_S(MT) | KMT_S(ARG);
	case KMT_EV_PAGE_PCPU_DRAIN:
		return KMT_S(PTR) | KMT_S(ORDER) | KMT_S(MT);
	case KMT_EV_PAGE_ALLOC_EXTFRAG:
		return KMT_S(PTR) | KMT_S(ORDER) | KMT_S(ARG) | KMT_S(MT) | KMT_S(AUX);
	case KMT_EV_VMAP_ALLOC:
		return KMT_S(PTR) | KMT_S(SIZE) | KMT_S(SIZE2) | KMT_S(AUX) | KMT_S(AUX2) |
		       KMT_S(ARG);
	case KMT_EV_VMAP_FREE:
		return KMT_S(PTR) | KMT_S(SIZE) | KMT_S(SIZE2);
	case KMT_EV_VMAP_PURGE:
		return KMT_S(PTR) | KMT_S(AUX) | KMT_S(SIZE);
	case KMT_EV_PERCPU_ALLOC:
		return KMT_S(PTR) | KMT_S(CALL_SITE) | KMT_S(SIZE) | KMT_S(SIZE2) | KMT_S(AUX) |
		       KMT_S(AUX2) | KMT_S(GFP) | KMT_S(ARG) | KMT_S(ORDER) | KMT_S(ARG2);
	case KMT_EV_PERCPU_FREE:
		return KMT_S(PTR) | KMT_S(AUX) | KMT_S(AUX2);
	case KMT_EV_TLB_FLUSH:
		return KMT_S(ARG) | KMT_S(SIZE);
	case KMT_EV_PERCPU_CHUNK_CREATE:
	case KMT_EV_PERCPU_CHUNK_DESTROY:
		return KMT_S(PTR);
	default:
		return 0;
	}
}

/* Largest raw tracepoint argument index the BPF side can read. */
#define KMT_MAX_TP_ARGS		12

#define KMT_NO_ARG		(-1)
#define KMT_MAX_PIDS		16
/*
 * Small records a CPU gathers before one bpf_ringbuf_output() (record and top, not
 * on PREEMPT_RT): one reserve and commit per batch instead of per event. The
 * collector flushes partial batches and puts events back in time order.
 */
#define KMT_BATCH		32
/*
 * A stack id with this bit comes from the second stack map: a stack whose
 * bucket in the first map holds another stack (-EEXIST) is stored there,
 * hashed without its first frame (the BPF program's own), so the two maps
 * collide independently.
 */
#define KMT_STACK_ALT		0x40000000
#define KMT_CACHE_NAME_LEN	32

/* kmt_rec_hdr.flags */
#define KMT_RF_PAGE_PTR		0x01	/* ptr is a struct page *, not yet a pfn */
#define KMT_RF_CTX_PC		0x02	/* pc holds the raw per-CPU preempt count */
#define KMT_RF_CTX_RCU		0x04	/* rcu holds the task's RCU read-side nesting */
#define KMT_RF_SMALL		0x08	/* a struct kmt_rec_small, not a kmt_rec_event */

struct kmt_rec_hdr {
	__u8 type;
	__u8 flags;
	__u16 size;
	__u32 cpu;
	__u64 ts;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/*
 * One event. Field meanings per type are the same as in the decoded
 * struct kmt_event (user/event.h) and documented in docs/FORMAT.md.
 */
struct kmt_rec_event {
	struct kmt_rec_hdr hdr;
	__u32 tgid;
	__u32 tid;
	__u32 pc;		/* raw preempt count, need-resched bit cleared */
	__s32 rcu;		/* raw rcu_read_lock_nesting */
	__u64 ptr;
	__u64 call_site;
	__u64 size;
	__u64 size2;
	__u64 aux;
	__u64 aux2;
	__u32 gfp;
	__s32 stack_id;		/* -1: not captured; < -1: -errno of bpf_get_stackid */
	__s32 node;
	__s32 order;
	__s32 mt;
	__s32 arg;
	__s32 arg2;
	__u32 pad;
};

/*
 * The compact form of the frequent events (slab and page events but
 * mm_page_alloc_extfrag), used when every value fits: 64 bytes instead of 112.
 * Decoded exactly as the kmt_rec_event it stands for, with:
 *  - ctx: raw preempt count bits 0..23 (all the context word uses) and the RCU
 *    nesting, saturated to a signed byte, in bits 24..31;
 *  - kmalloc: size and size2 as 32 bits (a wider kmalloc is sent as kmt_rec_event);
 *  - kmem_cache_alloc/free: aux (kmem_cache *); kernels whose kmem_cache_alloc
 *    tracepoint carries sizes (< 6.1) send kmt_rec_event for it;
 *  - mm_page_alloc_zone_locked: arg in size;
 *  - node (NUMA node or -1), order and migratetype in their kernel ranges.
 */
struct kmt_rec_small {
	struct kmt_rec_hdr hdr;
	__u32 tgid;
	__u32 tid;
	__u32 ctx;
	__u32 gfp;
	__u64 ptr;
	__u64 call_site;
	union {
		__u64 aux;
		struct {
			__u32 size;
			__u32 size2;
		};
	};
	__s32 stack_id;
	__s16 node;
	__s8 order;
	__s8 mt;
};

struct kmt_rec_cache_def {
	struct kmt_rec_hdr hdr;
	__u64 cache;		/* struct kmem_cache * */
	__u32 object_size;
	__u32 size;
	__u32 align;
	__u32 flags;		/* slab_flags_t */
	__u32 order;		/* SLUB oo: pages per slab = 1 << order; -1 unknown */
	__u32 objects;		/* SLUB oo: objects per slab; 0 unknown */
	__u32 has_ctor;
	__u32 pad;
	char name[KMT_CACHE_NAME_LEN];
};

/* Per-CPU counters (array map "counters", one __u64 per slot and CPU). */
enum kmt_counter {
	KMT_CNT_SEEN = 0,			/* + type: events the kernel emitted that passed filters */
	KMT_CNT_DROPPED = KMT_EV_MAX,		/* + type: failed ring-buffer reserves */
	KMT_CNT_STACK_FAIL = 2 * KMT_EV_MAX,	/* bpf_get_stackid() failures */
	KMT_CNT_CACHE_DEF_DROPPED,		/* cache definitions lost */
	KMT_CNT_FILTERED,			/* events filtered out (pid/cgroup/self) */
	KMT_CNT_PC_UNKNOWN,			/* events whose preempt count was unreadable */
	KMT_CNT_TASK_DROPPED,			/* task descriptions lost (retried) */
	KMT_CNT_MAX,
};

struct kmt_rec_task {
	struct kmt_rec_hdr hdr;
	__u32 tgid;
	__u32 tid;
	char comm[16];
};

#ifndef __cplusplus
_Static_assert(sizeof(struct kmt_rec_hdr) == 16, "kmt_rec_hdr size");
_Static_assert(sizeof(struct kmt_rec_event) == 112, "kmt_rec_event size");
_Static_assert(sizeof(struct kmt_rec_small) == 64, "kmt_rec_small size");
_Static_assert(sizeof(struct kmt_rec_cache_def) == 88, "kmt_rec_cache_def size");
_Static_assert(sizeof(struct kmt_rec_task) == 40, "kmt_rec_task size");
#endif

#endif /* __KMMTRACE_H */
