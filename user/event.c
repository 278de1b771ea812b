// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event type names, as the kernel's tracepoints are named. */
#include <string.h>
#include "event.h"

static const struct {
	const char *name;
	const char *group;
} event_types[KMT_EV_MAX] = {
	[KMT_EV_NONE] = { "none", "" },
	[KMT_EV_KMALLOC] = { "kmalloc", "kmem" },
	[KMT_EV_KFREE] = { "kfree", "kmem" },
	[KMT_EV_CACHE_ALLOC] = { "kmem_cache_alloc", "kmem" },
	[KMT_EV_CACHE_FREE] = { "kmem_cache_free", "kmem" },
	[KMT_EV_PAGE_ALLOC] = { "mm_page_alloc", "kmem" },
	[KMT_EV_PAGE_FREE] = { "mm_page_free", "kmem" },
	[KMT_EV_PAGE_FREE_BATCHED] = { "mm_page_free_batched", "kmem" },
	[KMT_EV_PAGE_ALLOC_ZONE_LOCKED] = { "mm_page_alloc_zone_locked", "kmem" },
	[KMT_EV_PAGE_PCPU_DRAIN] = { "mm_page_pcpu_drain", "kmem" },
	[KMT_EV_PAGE_ALLOC_EXTFRAG] = { "mm_page_alloc_extfrag", "kmem" },
	[KMT_EV_VMAP_ALLOC] = { "alloc_vmap_area", "vmalloc" },
	[KMT_EV_VMAP_FREE] = { "free_vmap_area_noflush", "vmalloc" },
	[KMT_EV_VMAP_PURGE] = { "purge_vmap_area_lazy", "vmalloc" },
	[KMT_EV_PERCPU_ALLOC] = { "percpu_alloc_percpu", "percpu" },
	[KMT_EV_PERCPU_FREE] = { "percpu_free_percpu", "percpu" },
	[KMT_EV_TLB_FLUSH] = { "tlb_flush", "tlb" },
	[KMT_EV_PERCPU_CHUNK_CREATE] = { "percpu_create_chunk", "percpu" },
	[KMT_EV_PERCPU_CHUNK_DESTROY] = { "percpu_destroy_chunk", "percpu" },
};

const char *kmt_event_type_name(unsigned int type)
{
	return type < KMT_EV_MAX && event_types[type].name ? event_types[type].name : "unknown";
}

const char *kmt_event_type_group(unsigned int type)
{
	return type < KMT_EV_MAX && event_types[type].group ? event_types[type].group : "";
}

int kmt_event_type_from_name(const char *name)
{
	const char *colon = strchr(name, ':');

	if (colon)
		name = colon + 1;
	for (int i = 1; i < KMT_EV_MAX; i++)
		if (!strcmp(name, event_types[i].name))
			return i;
	return -1;
}
