// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Allocation sites from stacks: see frames.h. */
#include <stdio.h>
#include <string.h>
#include "defs.h"
#include "frames.h"
#include "ksyms.h"

static const char *const internal[] = {
	"bpf_trace_run", "__bpf", "bpf_map_area_alloc", "bpf_map_kmalloc", "bpf_map_kzalloc",
	"__alloc_", "alloc_pages", "__folio_alloc", "folio_alloc",
	"get_page_from_freelist", "__get_free_pages", "get_zeroed_page", "alloc_slab",
	"allocate_slab", "new_slab", "___slab_alloc", "__slab_alloc", "kmem_cache_alloc",
	"__kmalloc", "kmalloc", "__kmem_cache", "slab_alloc", "rmqueue", "__rmqueue",
	"alloc_frozen", "__alloc_frozen", "__do_kmalloc", "kmalloc_large", "___kmalloc",
	"refill_obj_stock", "obj_cgroup_charge", "kfree", "kmem_cache_free", "free_",
	"__free_", "slab_free", "__slab_free", "do_slab_free",
	/* vmalloc and percpu internals */
	"__vmalloc", "vmalloc", "vzalloc", "__vmap", "alloc_vmap_area", "__alloc_vmap_area",
	"__get_vm_area", "get_vm_area", "kvmalloc", "__kvmalloc", "kvzalloc", "kvcalloc",
	"kvrealloc", "vm_area_alloc_pages", "pcpu_", "__alloc_percpu", "alloc_percpu",
};

/* A JIT'ed BPF program: bpf_prog_<16 hex digits of its tag>_<name> */
static bool bpf_prog_frame(const char *name)
{
	if (strncmp(name, "bpf_prog_", 9))
		return false;
	for (int i = 9; i < 25; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return name[25] == '_' || !name[25];
}

bool frames__internal(const char *name)
{
	if (!name[0] || bpf_prog_frame(name))
		return true;	/* unresolved, or a BPF program's own frame */
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (!strncmp(name, internal[i], strlen(internal[i])))
			return true;
	return false;
}

bool frames__site(const struct kmt_defs *d, int stack_id, char *buf, size_t len)
{
	const struct kmt_stack *s = stack_id >= 0 ? kmt_defs__stack(d, stack_id) : NULL;

	for (__u32 i = 0; s && i < s->nr; i++) {
		const struct kmt_sym *sym = kmt_defs__sym(d, s->ips[i]);
		int n;

		if (!sym || frames__internal(sym->name))
			continue;
		n = snprintf(buf, len, "%.100s", sym->name);
		if (sym->module[0] && n > 0 && (size_t)n < len)
			snprintf(buf + n, len - n, " [%.50s]", sym->module);
		return true;
	}
	return false;
}

void frames__sym_name(const struct kmt_defs *d, __u64 addr, char *buf, size_t len)
{
	const struct kmt_sym *s = kmt_defs__sym(d, addr);

	if (s)
		ksyms__snprint(s, buf, len);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}
