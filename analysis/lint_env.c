// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the lint knows of a trace's kernel: see lint_env.h. */
#include <stdio.h>
#include <string.h>
#include "lint_env.h"
#include "slab.h"
#include "sysinfo.h"

__u64 lint_env__kmalloc_max_cache(const char *slabinfo)
{
	__u64 best = 0;

	for (const char *p = slabinfo; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char name[80];
		__u32 nominal;

		if (sscanf(p, "%79s", name) == 1 &&
		    slab__kmalloc_name(name, &nominal) == SLAB_KM_NORMAL && nominal > best)
			best = nominal;
	}
	return best;
}

bool lint_env__preempt_count(const char *kconfig)
{
	/* unknown config: the distribution default (PREEMPT_DYNAMIC selects it) */
	return !kconfig || !strstr(kconfig, "# CONFIG_PREEMPT_COUNT is not set");
}

void lint_env__from_trace(const struct trace_reader *r, const struct tracemeta *meta,
			  int costly_order, struct lint_env *env)
{
	char kconfig[8192];
	const char *slabinfo;
	size_t len;

	tracemeta__text(r, KMT_META_KCONFIG, kconfig, sizeof(kconfig));
	slabinfo = tracemeta__snapshot(r, KMT_PHASE_START, SYSINFO_SNAP_SLABINFO, &len);
	if (!slabinfo)
		slabinfo = tracemeta__snapshot(r, KMT_PHASE_END, SYSINFO_SNAP_SLABINFO, &len);
	*env = (struct lint_env){
		.gfp = meta->gfp, .nr_gfp = meta->nr_gfp, .page_size = meta->page_size,
		.nr_page_orders = meta->nr_page_orders, .preempt_rt = meta->preempt_rt,
		.preempt_count = lint_env__preempt_count(kconfig[0] ? kconfig : NULL),
		.kmalloc_max_cache = slabinfo ? lint_env__kmalloc_max_cache(slabinfo) : 0,
		.costly_order = costly_order, .defs = trace_reader__defs(r), .site_rules = true,
	};
}
