/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Decoded events: what every analysis and model sees, live or from a file.
 * No BPF headers here beyond the shared type numbers.
 *
 * Field meanings per type (unused fields are 0):
 *
 *  type                 ptr          call_site size        size2        aux          aux2   gfp node order mt  arg            arg2
 *  KMALLOC              object       yes       bytes_req   bytes_alloc  -            -      yes yes  -     -   -              -
 *  KFREE                object       yes       -           -            -            -      -   -    -     -   -              -
 *  CACHE_ALLOC          object       yes       bytes_req   bytes_alloc  kmem_cache * -      yes yes  -     -   -              -
 *  CACHE_FREE           object       yes       -           -            kmem_cache * -      -   -    -     -   -              -
 *  PAGE_ALLOC           pfn          -         -           -            -            -      yes -    yes   yes -              -
 *  PAGE_FREE            pfn          -         -           -            -            -      -   -    yes   -   -              -
 *  PAGE_FREE_BATCHED    pfn          -         -           -            -            -      -   -    0     -   -              -
 *  PAGE_ALLOC_ZONE_LOCKED pfn        -         -           -            -            -      -   -    yes   yes percpu_refill  -
 *  PAGE_PCPU_DRAIN      pfn          -         -           -            -            -      -   -    yes   yes -              -
 *  PAGE_ALLOC_EXTFRAG   pfn          -         -           -            fallback_mt  -      -   -    alloc alloc_mt fallback_order change_ownership(-1 unknown)
 *  VMAP_ALLOC           addr         -         size        align        vstart       vend   -   -    -     -   failed         -
 *  VMAP_FREE            va_start     -         nr_lazy     nr_lazy_max  -            -      -   -    -     -   -              -
 *  VMAP_PURGE           start        -         npurged     -            end          -      -   -    -     -   -              -
 *  PERCPU_ALLOC         ptr          yes       size        bytes_alloc  base_addr    off    yes -    -     -   reserved|atomic<<1 align
 *  PERCPU_FREE          ptr          -         -           -            base_addr    off    -   -    -     -   -              -
 *  TLB_FLUSH            -            -         pages       -            -            -      -   -    -     -   reason         -
 *  PERCPU_CHUNK_CREATE  base_addr    -         -           -            -            -      -   -    -     -   -              -
 *  PERCPU_CHUNK_DESTROY base_addr    -         -           -            -            -      -   -    -     -   -              -
 */
#ifndef __KMT_EVENT_H
#define __KMT_EVENT_H

#include <linux/types.h>
#include "../bpf/kmmtrace.h"

/*
 * Context word: the per-CPU preempt count's layout (x86-64, include/linux/preempt.h)
 * with the tracing machinery's own contribution removed, plus the task's RCU
 * read-side nesting, also baseline-corrected.
 */
#define KMT_CTX_PREEMPT_MASK	0x000000ffu	/* preemption-disable depth */
#define KMT_CTX_SOFTIRQ_MASK	0x0000ff00u	/* 0x100: serving softirq; +0x200 per local_bh_disable */
#define KMT_CTX_SOFTIRQ_SERVING	0x00000100u
#define KMT_CTX_HARDIRQ_MASK	0x000f0000u
#define KMT_CTX_NMI_MASK	0x00f00000u
#define KMT_CTX_RCU_SHIFT	24
#define KMT_CTX_RCU_MASK	0x3f000000u	/* RCU read-side nesting, saturated at 63 */
#define KMT_CTX_RCU_KNOWN	0x40000000u	/* the kernel tracks RCU nesting per task */
#define KMT_CTX_PC_KNOWN	0x80000000u	/* the preempt count was read */

#define KMT_CTX_PREEMPT(c)	((c) & KMT_CTX_PREEMPT_MASK)
#define KMT_CTX_RCU(c)		(((c) & KMT_CTX_RCU_MASK) >> KMT_CTX_RCU_SHIFT)
#define KMT_CTX_IN_NMI(c)	(((c) & KMT_CTX_NMI_MASK) != 0)
#define KMT_CTX_IN_HARDIRQ(c)	(((c) & KMT_CTX_HARDIRQ_MASK) != 0)
#define KMT_CTX_IN_SERVING_SOFTIRQ(c) (((c) & KMT_CTX_SOFTIRQ_SERVING) != 0)
#define KMT_CTX_BH_DISABLED(c)	(((c) & KMT_CTX_SOFTIRQ_MASK & ~KMT_CTX_SOFTIRQ_SERVING) != 0)

/* kmt_event.flags */
#define KMT_EVF_NO_CTX		0x01	/* context unknown (e.g. imported without latency columns) */
#define KMT_EVF_NO_CALL_SITE	0x02
#define KMT_EVF_NO_TID		0x04
#define KMT_EVF_NO_CPU		0x08
#define KMT_EVF_HASHED_PTR	0x10	/* ptr is a hashed pointer (tracefs %p) */

struct kmt_event {
	__u64 ts;		/* ns, CLOCK_MONOTONIC */
	__u64 ptr;
	__u64 call_site;
	__u64 size;
	__u64 size2;
	__u64 aux;
	__u64 aux2;
	__u32 type;		/* enum kmt_event_type */
	__u32 cpu;
	__u32 tgid;
	__u32 tid;
	__u32 ctx;		/* KMT_CTX_* */
	__u32 gfp;
	__s32 node;
	__s32 order;
	__s32 mt;
	__s32 arg;
	__s32 arg2;
	__s32 stack_id;		/* -1 when none */
	__u32 flags;		/* KMT_EVF_* */
	__u32 pad;
};

struct kmt_cache_def {
	__u64 cache;		/* struct kmem_cache * */
	__u32 object_size;
	__u32 size;
	__u32 align;
	__u32 flags;
	__s32 order;		/* pages per slab = 1 << order; -1 unknown */
	__u32 objects;		/* objects per slab; 0 unknown */
	__u32 has_ctor;
	char name[KMT_CACHE_NAME_LEN];
};

struct kmt_task {
	__u32 tgid;
	__u32 tid;
	char comm[16];
};

#define KMT_MAX_STACK_DEPTH	127

struct kmt_stack {
	__s32 id;
	__u32 nr;
	__u64 ips[KMT_MAX_STACK_DEPTH];
};

/* A resolved kernel text address: name+offset [module] */
struct kmt_sym {
	__u64 addr;
	__u64 offset;		/* addr - symbol start */
	char name[128];		/* "" when unresolved */
	char module[56];	/* "" for vmlinux */
};

const char *kmt_event_type_name(unsigned int type);	/* "kmalloc", "mm_page_alloc", ... */
const char *kmt_event_type_group(unsigned int type);	/* "kmem", "vmalloc", "percpu", "tlb" */
int kmt_event_type_from_name(const char *name);		/* -1 if unknown */

#endif /* __KMT_EVENT_H */
