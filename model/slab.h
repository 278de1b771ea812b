/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A reference model of the kernel's SLUB allocator, driven by the slab
 * tracepoints of a trace (kmalloc, kfree, kmem_cache_alloc, kmem_cache_free)
 * and, when the direct map's base is known, by page events. No I/O, no
 * globals: the caller feeds caches (kmt_cache_def records, /proc/slabinfo
 * text), events, and queries caches, slabs and call sites.
 *
 * Every object the trace allocates is placed in its slab: SLUB carves a slab
 * out of a naturally aligned block of 2^order pages of the direct map, object
 * k at base + k * size (mm/slub.c for_each_object()), so an object's slab
 * base is its address rounded down to page_size << order. A slab's slots are
 * each in one of three states as far as the trace shows:
 *   live	an object the trace allocated and has not freed
 *   free	a slot the trace saw freed (or saw the slab allocated: all free)
 *   unknown	a slot the trace never touched: an object allocated before the
 *		trace began, or a free slot SLUB has not handed out since
 * and the slab is
 *   FULL	no slot known free (unknown slots are taken to be the pre-trace
 *		objects they most likely are)
 *   EMPTY	no live object and no unknown slot: SLUB may hold it on a
 *		partial list or have given its pages back; the model keeps it
 *		until a page free of its pages is seen
 *   PARTIAL	otherwise
 * so the free slots of partial slabs (external slab fragmentation) are a
 * lower bound, and free + unknown slots an upper bound; both are reported.
 *
 * What the trace cannot tell, and what the model does instead:
 *  - kmalloc events carry no cache: the cache is the kmalloc cache whose slot
 *    size is bytes_alloc (s->size); its variant (kmalloc-rcl-, kmalloc-cg-,
 *    dma-kmalloc-) follows kmalloc_type() from the GFP flags when the caller
 *    gives the trace's GFP bits (opts.gfp_*), else the plain kmalloc-<size>;
 *    a slab already owned by a variant of the same size keeps its owner.
 *    CONFIG_RANDOM_KMALLOC_CACHES copies (kmalloc-rnd-NN-) and
 *    CONFIG_SLAB_BUCKETS caches hash the call site with a boot-time seed or
 *    are per-caller: their objects are counted in the plain cache (slab
 *    records stay exact: a slab is known by its address, not its name).
 *  - kmem_cache_alloc_bulk(), kmem_cache_free_bulk() and kfree_bulk() (so
 *    kvfree_rcu() batches) fire no tracepoint: their objects show up as
 *    frees of unseen objects, or as allocations at a live address (counted,
 *    the old object dropped silently).
 *  - Empty slabs: SLUB keeps up to min_partial of them per node and frees
 *    the rest; only page events tell which (slab_model__page_freed()).
 *  - A slab allocated with the fallback order (s->min) when the preferred
 *    order failed, KFENCE objects, and debug caches with a left red zone
 *    that differs between slabs are placed with the cache's usual geometry;
 *    objects that do not fall on a slot are tracked without a slab.
 *  - Hashed pointers (KMT_EVF_HASHED_PTR) pair allocations with frees but
 *    have no address: such objects are tracked without a slab.
 *  - Merged caches (slab_merge): kmem_cache_create() of a compatible cache
 *    returns an existing one, so events name that cache (and slabinfo lists
 *    only it); the model reports per real kmem_cache, as the kernel does.
 *  - The direct map's base is not in the trace: page events need it (given,
 *    or inferred from kmalloc_large(): opts.infer_page_offset).
 *
 * Inconsistencies never crash the model: each is counted by kind in
 * struct slab_model_stats and the model repairs itself to the state the
 * event implies (an allocation at an address proves its slab belongs to the
 * allocating cache now; pages being freed or allocated hold no object).
 *
 * Cost: one 24-byte hash entry per live object (hash load 0.35-0.7), one
 * 40-byte record per slab plus two bits per slot beyond 64 slots, one record
 * per call site. An event is O(1): one object hash probe, one slab record.
 */
#ifndef __KMT_SLAB_H
#define __KMT_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "event.h"

#define SLAB_NAME_LEN		64	/* slabinfo names can exceed KMT_CACHE_NAME_LEN */
#define SLAB_MAX_ORDER		16	/* slab orders the model supports */
#define SLAB_MAX_CLASSES	24	/* kmalloc size classes (kmalloc_info[] has 22) */
#define SLAB_CLASS_LARGE	(SLAB_MAX_CLASSES - 1)	/* kmalloc_large(): the page allocator */
#define SLAB_MAX_CACHES		65534

/* What a cache is, as far as kmalloc is concerned (mm/slab_common.c kmalloc_info[]). */
enum slab_kmalloc_type {
	SLAB_KM_NONE = 0,	/* not a kmalloc cache */
	SLAB_KM_NORMAL,		/* kmalloc-<size> */
	SLAB_KM_RECLAIM,	/* kmalloc-rcl-<size> (__GFP_RECLAIMABLE) */
	SLAB_KM_CGROUP,		/* kmalloc-cg-<size> (__GFP_ACCOUNT) */
	SLAB_KM_DMA,		/* dma-kmalloc-<size> (__GFP_DMA) */
	SLAB_KM_RANDOM,		/* kmalloc-rnd-NN-<size>: never chosen for an event */
	SLAB_KM_NO_OBJEXT,	/* kmalloc-no-objext-<size>: never chosen for an event */
	SLAB_KM_LARGE,		/* the pseudo cache of kmalloc_large() allocations */
	SLAB_KM_UNMAPPED,	/* the pseudo cache of kmalloc events no cache fits */
	SLAB_KM_NR_TYPES,
};

/* Where a cache's geometry (objects and pages per slab) came from. */
enum slab_geom_src {
	SLAB_GEOM_NONE = 0,	/* unknown: objects are tracked without a slab */
	SLAB_GEOM_DEF,		/* the trace's kmt_cache_def (kmem_cache->oo) */
	SLAB_GEOM_SLABINFO,	/* /proc/slabinfo objperslab and pagesperslab */
	SLAB_GEOM_DERIVED,	/* SLUB's calculate_order() on the slot size and nr_cpus */
};

enum slab_state {
	SLAB_FULL = 0,
	SLAB_PARTIAL = 1,
	SLAB_EMPTY = 2,
	SLAB_NR_STATES,
};

enum slab_snap {
	SLAB_SNAP_START = 0,
	SLAB_SNAP_END = 1,
};

struct slab_model_opts {
	size_t sz;			/* sizeof(struct slab_model_opts) */
	__u32 page_size;		/* the trace's page size: required, a power of two */
	__u32 nr_cpus;			/* for derived geometry: SLUB's min_objects; 0: 1 */
	__u32 kmalloc_min_size;		/* KMALLOC_MIN_SIZE; 0: 8 (x86-64) */
	__u32 kmalloc_max_cache_size;	/* KMALLOC_MAX_CACHE_SIZE; 0: 2 * page_size */
	__u32 slub_max_order;		/* slub_max_order; 0: 3 (PAGE_ALLOC_COSTLY_ORDER) */
	__u32 cache_line_size;		/* for the SLAB_HWCACHE_ALIGN suggestion; 0: 64 */
	/* GFP bits of the trace (gfp_mask_of()); 0: the kmalloc variant is not chosen by GFP */
	__u32 gfp_dma;			/* __GFP_DMA */
	__u32 gfp_reclaimable;		/* __GFP_RECLAIMABLE */
	__u32 gfp_account;		/* __GFP_ACCOUNT */
	/*
	 * The direct map's base (x86-64 page_offset_base): page events, whose
	 * ptr is a pfn, then act as slab_model__page_alloced()/page_freed() on
	 * page_offset + pfn * page_size. 0: unknown; with infer_page_offset the
	 * model learns it from kmalloc_large() allocations, each of which is an
	 * mm_page_alloc of pfn followed on the same CPU by a kmalloc of its
	 * address. While it is unknown page events are skipped (counted).
	 */
	__u64 page_offset;
	bool infer_page_offset;
	/* What-if: a slab first seen in the trace is new (its untouched slots are free). */
	bool new_slabs_fresh;
	/* The trace's definition of a kmem_cache * an event names; may be NULL. */
	const struct kmt_cache_def *(*cache_def)(void *ctx, __u64 cache);
	void *cache_def_ctx;
};

enum slab_inc {
	/* expected in every trace */
	SLAB_INC_FREE_UNSEEN,		/* free of an object allocated before the trace, or in bulk */
	SLAB_INC_ALLOC_LIVE,		/* allocation at a live address: a silent (bulk) free */
	SLAB_INC_DUP_LARGE,		/* the second kmalloc event of a kmalloc_large() (6.12+) */
	SLAB_INC_SLAB_REUSED,		/* a slab's pages now hold another cache's objects */
	SLAB_INC_PAGE_EVICT,		/* a live object in pages freed or allocated */
	/* inconsistencies: lost events, kernel paths the model does not mirror, or a model error */
	SLAB_INC_CACHE_MISMATCH,	/* kmem_cache_free names another cache than the allocation */
	SLAB_INC_MISPLACED,		/* an object not on a slot of its slab (KFENCE, s->min order) */
	SLAB_INC_NO_CACHE,		/* kmalloc bytes_alloc is no kmalloc slot size (placed by
					   bytes_req, or unmapped), kmem_cache_alloc of no cache */
	SLAB_INC_NO_GEOMETRY,		/* a cache whose slab geometry is unknown */
	SLAB_INC_PARTIAL_PAGE_FREE,	/* pages freed or allocated cover part of a slab */
	SLAB_INC_BAD_EVENT,		/* too many caches; bytes_req above the slot (clamped);
					   an object in the first slab-sized block of addresses */
	SLAB_INC_MAX,
};

const char *slab_inc_name(enum slab_inc kind);	/* "free_unseen", ... */
bool slab_inc_expected(enum slab_inc kind);

struct slab_model_stats {
	__u64 events;			/* slab and page events applied */
	__u64 ignored;			/* other events */
	__u64 inc[SLAB_INC_MAX];
	__u64 null_frees;		/* kfree(NULL) and kfree(ZERO_SIZE_PTR) */
	__u64 zero_size_allocs;		/* allocations returning ZERO_SIZE_PTR */
	__u64 unseen_free_no_cache;	/* kfree of an unseen object in no known slab */
	__u64 hashed_ptrs;		/* objects with a hashed pointer, tracked without a slab */
	__u64 variant_by_gfp;		/* kmalloc events put in a variant cache by their GFP flags */
	__u64 variant_by_slab;		/* ... by the cache owning their slab */
	__u64 page_events_skipped;	/* page events while page_offset is unknown */
	__u64 page_offset;		/* in use; 0: unknown */
	bool page_offset_inferred;
	__u32 page_offset_votes;	/* kmalloc_large() pairs that agreed */
	__u32 page_offset_conflicts;	/* ... and disagreed */
	__u64 slabinfo_lines;		/* caches read from slabinfo snapshots */
	__u64 slabinfo_bad_lines;
	__u64 live_objects;		/* in every cache */
	__u64 slabs;			/* slab records */
};

struct slab_model;

/* NULL and *err (may be NULL) on failure: -EINVAL for bad opts, -ENOMEM. */
struct slab_model *slab_model__new(const struct slab_model_opts *opts, int *err);
void slab_model__free(struct slab_model *m);	/* NULL: no-op */

/*
 * A cache the trace defines (kmem_cache *, names and geometry). A cache of
 * the same pointer is updated, one of the same name without a pointer (from
 * slabinfo) takes the pointer. Geometry is only set while the cache has no
 * slab. Returns the cache index, or -EINVAL, -ENOSPC, -ENOMEM.
 */
int slab_model__add_cache(struct slab_model *m, const struct kmt_cache_def *d);
/*
 * A /proc/slabinfo text ("name active_objs num_objs objsize objperslab
 * pagesperslab : tunables ... : slabdata active_slabs num_slabs sharedavail"):
 * caches not known by name are added with that geometry; every cache keeps
 * the snapshot's counts for the report. Lines that do not parse are counted
 * in stats.slabinfo_bad_lines. Returns the caches read, or -EINVAL when the
 * text holds lines but none parses, -ENOMEM.
 */
int slab_model__load_slabinfo(struct slab_model *m, const char *text, size_t len,
			      enum slab_snap phase);

/*
 * Apply one event. Other events are ignored. Returns 0 when the event
 * matched the model, 1 when it was counted in stats.inc[], -EINVAL on NULL,
 * -ENOMEM (the event was not applied).
 */
int slab_model__apply(struct slab_model *m, const struct kmt_event *e);
/*
 * Apply n events in order, fetching the hash slots of events a few ahead
 * while applying one: several cache misses in flight instead of one.
 * *nr_inc (may be NULL) gets the events counted in stats.inc[]. 0, or the
 * first negative return of slab_model__apply() (events before it applied).
 */
/* Fetches e's object slot into the cache, for an apply a few events later. */
void slab_model__prefetch(const struct slab_model *m, const struct kmt_event *e);
int slab_model__apply_batch(struct slab_model *m, const struct kmt_event *ev, size_t n,
			    size_t *nr_inc);

/*
 * Pages [addr, addr + page_size << order) of the direct map were freed
 * (mm_page_free): every slab record inside them is dropped, and live objects
 * in them are dropped as silently freed (SLAB_INC_PAGE_EVICT). The replay
 * converts an event's pfn with page_offset + pfn * page_size when the trace's
 * page_offset is known (opts.page_offset or inferred), else skips it;
 * slab_model__apply() does this for page events. Returns the slabs dropped.
 */
int slab_model__page_freed(struct slab_model *m, __u64 addr, unsigned int order);
/*
 * Pages were allocated (mm_page_alloc) on cpu: a slab of that base and order
 * created next on that CPU (allocate_slab() then the first object) is new,
 * every slot of it free; the model remembers the last few allocations per
 * CPU. Stale slab records in the pages are dropped as in page_freed.
 * Returns the slabs dropped.
 */
int slab_model__page_alloced(struct slab_model *m, __u64 addr, unsigned int order, __u32 cpu);
/* Drop every EMPTY slab, as if SLUB had freed them all. Returns the slabs dropped. */
__u64 slab_model__drop_empty(struct slab_model *m);

const struct slab_model_stats *slab_model__stats(const struct slab_model *m);

/* ---- caches ---- */

struct slab_cache_stats {
	char name[SLAB_NAME_LEN];	/* "" when only the pointer is known */
	__u64 cache;			/* struct kmem_cache *; 0 unknown */
	__u32 object_size;		/* bytes_req of kmem_cache_alloc (s->object_size) */
	__u32 size;			/* slot size (s->size), bytes_alloc */
	__u32 objects;			/* objects per slab; 0 unknown */
	__s32 order;			/* pages per slab = 1 << order; -1 unknown */
	__u64 slab_bytes;		/* page_size << order */
	enum slab_geom_src geom;
	enum slab_kmalloc_type kmalloc;
	int kmalloc_class;		/* index for slab_model__kmalloc_class(); -1 none */
	__u32 nominal;			/* kmalloc-<nominal>; 0 for other caches */

	/* now */
	__u64 slabs;
	__u64 nr[SLAB_NR_STATES];	/* slabs FULL, PARTIAL, EMPTY */
	__u64 slabs_unknown;		/* slabs with slots the trace never touched */
	__u64 live_objs;
	__u64 live_bytes_req;
	__u64 live_bytes_alloc;
	__u64 internal_waste;		/* live_bytes_alloc - live_bytes_req: size rounding */
	__u64 mem_bytes;		/* slabs * slab_bytes; kmalloc_large: live_bytes_alloc */
	__u64 free_slots;		/* slots known free, empty slabs included */
	__u64 partial_free_slots;	/* ... in PARTIAL slabs */
	__u64 partial_free_bytes;	/* external fragmentation (lower bound): * size */
	__u64 unknown_slots;		/* never touched: pre-trace objects or free */
	__u64 unknown_bytes;		/* partial_free_bytes + unknown_bytes: upper bound */
	__u64 empty_bytes;		/* memory in EMPTY slabs */
	__u64 tail_bytes;		/* slabs * (slab_bytes - objects * size): slab leftover */

	/* over the trace */
	__u64 allocs;
	__u64 frees;
	__u64 failed;			/* allocations that returned NULL */
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u64 unseen_frees;		/* frees of objects the trace did not see allocated */
	__u64 silent_frees;		/* live objects dropped: reallocated, or their pages freed */
	__u64 misplaced;		/* objects tracked without a slab */
	__u64 slabs_created;
	__u64 slabs_freed;		/* dropped by a page free */
	__u64 slabs_reused;		/* dropped: the pages were another cache's or were allocated */
	__u64 peak_slabs;
	__u64 peak_live_objs;
	__u64 peak_mem_bytes;

	/* /proc/slabinfo at the start and end of the recording, when given */
	struct {
		bool valid;
		__u64 active_objs;
		__u64 num_objs;
		__u64 num_slabs;
	} slabinfo[2];
};

int slab_model__nr_caches(const struct slab_model *m);
int slab_model__cache_stats(const struct slab_model *m, int cache, struct slab_cache_stats *st);
int slab_model__cache_find(const struct slab_model *m, const char *name);	/* -1: none */
int slab_model__cache_of(const struct slab_model *m, __u64 kmem_cache);		/* -1: none */
/* Sum over every cache (name "total"; geometry fields zero; peaks are sums of peaks). */
void slab_model__totals(const struct slab_model *m, struct slab_cache_stats *st);

/* kmalloc size classes, by nominal size; SLAB_CLASS_LARGE is kmalloc_large(). */
struct slab_kmalloc_class {
	__u32 nominal;			/* 8, 16, ..., 96, 192, ..., 8192 */
	__u32 size;			/* slot size of the plain cache */
	int cache[SLAB_KM_NR_TYPES];	/* cache index per type, -1 none */
};
int slab_model__nr_kmalloc_classes(const struct slab_model *m);
int slab_model__kmalloc_class(const struct slab_model *m, int cls, struct slab_kmalloc_class *kc);
/* The class kmalloc(size) lands in (kmalloc_slab()), or SLAB_CLASS_LARGE, -1 for 0. */
int slab_model__kmalloc_class_of(const struct slab_model *m, __u64 size);

/* ---- slabs and objects ---- */

struct slab_info {
	__u64 base;
	int cache;
	unsigned int order;
	__u32 capacity;
	__u32 live;
	__u32 free;			/* known free */
	__u32 unknown;
	enum slab_state state;
};
/* The slab holding addr: 0, or -ENOENT. */
int slab_model__slab_at(const struct slab_model *m, __u64 addr, struct slab_info *si);
/* Every slab (cache < 0) or one cache's, in no particular order; fn returning non-zero stops. */
int slab_model__for_each_slab(const struct slab_model *m, int cache,
			      int (*fn)(const struct slab_info *si, void *ctx), void *ctx);

struct slab_object {
	__u64 ptr;
	int cache;
	__u64 call_site;
	__u32 bytes_req;
	__u32 bytes_alloc;
	__u64 slab;			/* slab base; 0 when tracked without a slab */
	__u32 slot;
};
int slab_model__object(const struct slab_model *m, __u64 ptr, struct slab_object *o); /* -ENOENT */

/* ---- call sites: the kmalloc size-class analysis ---- */

#define SLAB_SITE_KMALLOC	0x1	/* kmalloc events */
#define SLAB_SITE_CACHE		0x2	/* kmem_cache_alloc events */
#define SLAB_SITE_LARGE		0x4	/* kmalloc_large() */

struct slab_site_stats {
	__u64 call_site;
	__u32 kinds;			/* SLAB_SITE_* */
	int cache;			/* of its last allocation; -1 none */
	__u64 allocs;
	__u64 frees;			/* of its objects, wherever freed */
	__u64 failed;
	__u64 silent_frees;
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u64 live_objs;
	__u64 live_bytes_req;
	__u64 live_bytes_alloc;
	__u32 min_req;			/* 0 when no allocation */
	__u32 max_req;
	__u64 hist[SLAB_MAX_CLASSES];	/* kmalloc allocations per class */
};
int slab_model__nr_sites(const struct slab_model *m);
int slab_model__site_stats(const struct slab_model *m, int site, struct slab_site_stats *st);
int slab_model__site_find(const struct slab_model *m, __u64 call_site);	/* -1: none */

enum slab_advice {
	SLAB_ADVICE_NONE = 0,		/* no kmalloc allocation */
	SLAB_ADVICE_KEEP,		/* kmalloc wastes least (or nothing) */
	SLAB_ADVICE_DEDICATED,		/* a dedicated cache of dedicated_size wastes less */
};

/*
 * What a call site's kmalloc allocations waste, and the size that would
 * waste least. A dedicated cache (kmem_cache_create() without flags) has
 * slot ALIGN(max_req, 8): calculate_alignment() gives ARCH_SLAB_MINALIGN,
 * and calculate_sizes() keeps the free pointer inside the object; its
 * waste is allocs * slot - bytes_req. Waste per object is shown with the
 * slab tail (slab_bytes - objects * slot) shared by the objects of a slab.
 */
struct slab_site_advice {
	int bucket;			/* the class most of its allocations land in; -1 */
	__u32 bucket_size;		/* its slot size */
	__u64 kmalloc_waste;		/* sum of bytes_alloc - bytes_req */
	__u64 kmalloc_tail;		/* its share of slab tails (estimated from the classes) */
	__u32 dedicated_size;		/* ALIGN(max_req, 8) */
	__u32 dedicated_objects;	/* objects per slab of such a cache (derived geometry) */
	__s32 dedicated_order;
	__u64 dedicated_waste;		/* allocs * dedicated_size - bytes_req */
	__u64 dedicated_tail;
	__u32 hwalign_size;		/* the slot with SLAB_HWCACHE_ALIGN */
	__u64 hwalign_waste;
	enum slab_advice advice;
	__u64 saving;			/* bytes over the trace's allocations, tails included */
};
int slab_model__site_advice(const struct slab_model *m, int site, struct slab_site_advice *a);

/* ---- helpers ---- */

/*
 * SLUB's calculate_order() (mm/slub.c, slub_min_order 0): the slab order for
 * a slot size, min_objects = 4 * (fls(nr_cpus) + 1). *objects gets
 * (page_size << order) / size. -EINVAL when size is 0.
 */
int slab__calculate_order(__u32 size, __u32 page_size, __u32 nr_cpus, __u32 max_order,
			  __u32 *objects);
/* "kmalloc-cg-1k" -> SLAB_KM_CGROUP, 1024; SLAB_KM_NONE for other names. */
enum slab_kmalloc_type slab__kmalloc_name(const char *name, __u32 *nominal);

/* Verify every invariant (see slab.c). 0, or -EUCLEAN with "BUG: ..." in err. */
int slab_model__check(const struct slab_model *m, char *err, size_t errlen);

/* Bytes the model holds. */
size_t slab_model__mem_bytes(const struct slab_model *m);

#endif /* __KMT_SLAB_H */
