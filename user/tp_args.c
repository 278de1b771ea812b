// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tracepoint argument discovery from BTF: see tp_args.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "tp_args.h"
#include "event.h"

struct tp_param {
	const char *name;	/* parameter name in TP_PROTO */
	int slot;		/* enum kmt_slot */
	int required;
};

/*
 * Parameter names across kernel versions. A name absent on this kernel leaves
 * its slot at -1 (the BPF side fills such slots otherwise, e.g. kmem_cache_alloc's
 * sizes from struct kmem_cache since 6.1).
 */
static const struct tp_param tp_params[KMT_EV_MAX][11] = {
	[KMT_EV_KMALLOC] = { { "ptr", KMT_SLOT_PTR, 1 }, { "call_site", KMT_SLOT_CALL_SITE, 1 },
		{ "bytes_req", KMT_SLOT_SIZE, 1 }, { "bytes_alloc", KMT_SLOT_SIZE2, 1 },
		{ "gfp_flags", KMT_SLOT_GFP, 1 }, { "node", KMT_SLOT_NODE, 0 } },
	[KMT_EV_KFREE] = { { "ptr", KMT_SLOT_PTR, 1 }, { "call_site", KMT_SLOT_CALL_SITE, 1 } },
	[KMT_EV_CACHE_ALLOC] = { { "ptr", KMT_SLOT_PTR, 1 },
		{ "call_site", KMT_SLOT_CALL_SITE, 1 }, { "s", KMT_SLOT_AUX, 0 },
		{ "bytes_req", KMT_SLOT_SIZE, 0 }, { "bytes_alloc", KMT_SLOT_SIZE2, 0 },
		{ "gfp_flags", KMT_SLOT_GFP, 1 }, { "node", KMT_SLOT_NODE, 0 } },
	[KMT_EV_CACHE_FREE] = { { "ptr", KMT_SLOT_PTR, 1 },
		{ "call_site", KMT_SLOT_CALL_SITE, 1 }, { "s", KMT_SLOT_AUX, 0 } },
	[KMT_EV_PAGE_ALLOC] = { { "page", KMT_SLOT_PTR, 1 }, { "order", KMT_SLOT_ORDER, 1 },
		{ "gfp_flags", KMT_SLOT_GFP, 1 }, { "migratetype", KMT_SLOT_MT, 1 } },
	[KMT_EV_PAGE_FREE] = { { "page", KMT_SLOT_PTR, 1 }, { "order", KMT_SLOT_ORDER, 1 } },
	[KMT_EV_PAGE_FREE_BATCHED] = { { "page", KMT_SLOT_PTR, 1 } },
	[KMT_EV_PAGE_ALLOC_ZONE_LOCKED] = { { "page", KMT_SLOT_PTR, 1 },
		{ "order", KMT_SLOT_ORDER, 1 }, { "migratetype", KMT_SLOT_MT, 1 },
		{ "percpu_refill", KMT_SLOT_ARG, 0 } },
	[KMT_EV_PAGE_PCPU_DRAIN] = { { "page", KMT_SLOT_PTR, 1 }, { "order", KMT_SLOT_ORDER, 1 },
		{ "migratetype", KMT_SLOT_MT, 1 } },
	[KMT_EV_PAGE_ALLOC_EXTFRAG] = { { "page", KMT_SLOT_PTR, 1 },
		{ "alloc_order", KMT_SLOT_ORDER, 1 }, { "fallback_order", KMT_SLOT_ARG, 1 },
		{ "alloc_migratetype", KMT_SLOT_MT, 1 },
		{ "fallback_migratetype", KMT_SLOT_AUX, 1 } },
	[KMT_EV_VMAP_ALLOC] = { { "addr", KMT_SLOT_PTR, 1 }, { "size", KMT_SLOT_SIZE, 1 },
		{ "align", KMT_SLOT_SIZE2, 0 }, { "vstart", KMT_SLOT_AUX, 0 },
		{ "vend", KMT_SLOT_AUX2, 0 }, { "failed", KMT_SLOT_ARG, 0 } },
	[KMT_EV_VMAP_FREE] = { { "va_start", KMT_SLOT_PTR, 1 }, { "nr_lazy", KMT_SLOT_SIZE, 0 },
		{ "nr_lazy_max", KMT_SLOT_SIZE2, 0 } },
	[KMT_EV_VMAP_PURGE] = { { "start", KMT_SLOT_PTR, 1 }, { "end", KMT_SLOT_AUX, 1 },
		{ "npurged", KMT_SLOT_SIZE, 0 } },
	/* is_atomic goes to ORDER; the collector folds it into arg (see record.c) */
	[KMT_EV_PERCPU_ALLOC] = { { "ptr", KMT_SLOT_PTR, 1 }, { "call_site", KMT_SLOT_CALL_SITE, 0 },
		{ "size", KMT_SLOT_SIZE, 1 }, { "bytes_alloc", KMT_SLOT_SIZE2, 0 },
		{ "base_addr", KMT_SLOT_AUX, 0 }, { "off", KMT_SLOT_AUX2, 0 },
		{ "gfp_flags", KMT_SLOT_GFP, 0 }, { "reserved", KMT_SLOT_ARG, 0 },
		{ "is_atomic", KMT_SLOT_ORDER, 0 }, { "align", KMT_SLOT_ARG2, 0 } },
	[KMT_EV_PERCPU_FREE] = { { "ptr", KMT_SLOT_PTR, 1 }, { "base_addr", KMT_SLOT_AUX, 0 },
		{ "off", KMT_SLOT_AUX2, 0 } },
	[KMT_EV_TLB_FLUSH] = { { "reason", KMT_SLOT_ARG, 1 }, { "pages", KMT_SLOT_SIZE, 1 } },
	[KMT_EV_PERCPU_CHUNK_CREATE] = { { "base_addr", KMT_SLOT_PTR, 1 } },
	[KMT_EV_PERCPU_CHUNK_DESTROY] = { { "base_addr", KMT_SLOT_PTR, 1 } },
};

/*
 * Events made with DEFINE_EVENT share their class's __bpf_trace_<class>
 * function, which is where BTF keeps parameter names; the typedef
 * btf_trace_<event> exists for every event but its prototype is unnamed.
 */
static const char *const tp_classes[] = {
	"mm_page", "kmem_alloc", "kmem_alloc_node", "kmem_free", "mm_page_pcpu_drain",
};

/* The FUNC_PROTO of btf_trace_<tp> (a typedef of a pointer to it), or NULL. */
static const struct btf_type *tp_typedef_proto(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;		/* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? t : NULL;
}

static const struct btf_type *func_proto(const struct btf *btf, const char *func)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "__bpf_trace_%s", func);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? t : NULL;
}

static bool same_params(const struct btf_type *a, const struct btf_type *b)
{
	if (btf_vlen(a) != btf_vlen(b))
		return false;
	for (int i = 0; i < btf_vlen(a); i++)
		if (btf_params(a)[i].type != btf_params(b)[i].type)
			return false;
	return true;
}

/* The named prototype of tracepoint tp, or NULL (*exists says if tp is there at all). */
static const struct btf_type *tp_proto(const struct btf *btf, const char *tp, bool *exists)
{
	const struct btf_type *want = tp_typedef_proto(btf, tp), *t;

	*exists = want != NULL;
	if (!want)
		return NULL;
	t = func_proto(btf, tp);
	if (t && same_params(t, want))
		return t;
	for (size_t i = 0; i < sizeof(tp_classes) / sizeof(tp_classes[0]); i++) {
		t = func_proto(btf, tp_classes[i]);
		if (t && same_params(t, want))
			return t;
	}
	return NULL;
}

/* Raw context index of parameter name (the hidden __data is not counted), or -1. */
static int param_index(const struct btf *btf, const struct btf_type *proto, const char *name)
{
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto);

	for (int i = 1; i < n; i++) {
		const char *pn = btf__name_by_offset(btf, p[i].name_off);

		if (pn && !strcmp(pn, name))
			return i - 1 < KMT_MAX_TP_ARGS ? i - 1 : -1;
	}
	return -1;
}

static void resolve_one(const struct btf *btf, int type, struct tp_args *a)
{
	const char *tp = kmt_event_type_name(type);
	bool exists;
	const struct btf_type *proto = tp_proto(btf, tp, &exists);

	for (int s = 0; s < KMT_SLOT_MAX; s++)
		a->idx[type][s] = KMT_NO_ARG;
	if (exists && !proto) {
		a->status[type] = TP_ARGS_MISMATCH;
		snprintf(a->why[type], sizeof(a->why[type]), "%s:%s: no named prototype in BTF",
			 kmt_event_type_group(type), tp);
		return;
	}
	if (!proto) {
		a->status[type] = TP_ARGS_MISSING;
		snprintf(a->why[type], sizeof(a->why[type]), "this kernel has no %s:%s tracepoint",
			 kmt_event_type_group(type), tp);
		return;
	}
	a->status[type] = TP_ARGS_OK;
	for (int i = 0; i < 11 && tp_params[type][i].name; i++) {
		const struct tp_param *p = &tp_params[type][i];
		int idx = param_index(btf, proto, p->name);

		if (idx < 0 && p->required) {
			a->status[type] = TP_ARGS_MISMATCH;
			snprintf(a->why[type], sizeof(a->why[type]),
				 "%s:%s has no argument '%s' on this kernel",
				 kmt_event_type_group(type), tp, p->name);
			return;
		}
		a->idx[type][p->slot] = idx;
	}
}

void tp_args__resolve(const struct btf *btf, struct tp_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int type = 1; type < KMT_EV_MAX; type++)
		resolve_one(btf, type, a);
}
