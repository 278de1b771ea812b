/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * GFP misuse lint: rules over allocation events (docs/LINT.md). The engine has
 * no I/O: feed it events (from a trace file or live from the collector), then
 * finish it and read the findings, grouped by (rule, call site, stack).
 *
 * Every GFP bit comes from the trace's own table; the context word of each
 * event already has the tracing machinery's own preempt/RCU depth removed
 * (calibrated at record time, see user/context.c).
 */
#ifndef __KMT_LINT_H
#define __KMT_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "event.h"
#include "gfp.h"

enum lint_severity { LINT_INFO, LINT_WARNING, LINT_ERROR };

enum lint_rule_id {
	LINT_SLEEP_IN_ATOMIC,
	LINT_ALLOC_IN_NMI,
	LINT_VMALLOC_IN_ATOMIC,
	LINT_NOFAIL_NO_RECLAIM,
	LINT_RT_ATOMIC_ALLOC,
	LINT_NOFAIL_HIGH_ORDER,
	LINT_COSTLY_ORDER_NO_RECLAIM,
	LINT_HIGH_ORDER_NO_RECLAIM,
	LINT_KMALLOC_LARGE,
	LINT_KMALLOC_TOO_LARGE,
	LINT_SLAB_BAD_ZONE,
	LINT_ZERO_WITH_CTOR,
	LINT_KVMALLOC_NO_FALLBACK,
	LINT_ATOMIC_WHERE_SLEEPABLE,
	LINT_GFP_DMA,
	LINT_EXPLICIT_NOFS_NOIO,
	LINT_VMALLOC_SMALL,
	LINT_VMALLOC_CHURN,
	LINT_VMALLOC_NOT_HUGE,
	LINT_NR_RULES
};

struct lint_rule {
	const char *id;
	enum lint_severity severity;
	const char *summary;	/* one line */
	const char *ref;	/* the kernel code or document it follows */
};

extern const struct lint_rule lint_rules[LINT_NR_RULES];

const char *lint_severity_name(enum lint_severity s);
/* rule index by id, or -1 */
int lint_rule_by_id(const char *id);

struct kmt_defs;

/* What the lint knows of the kernel the events come from (all from the trace). */
struct lint_env {
	const struct kmt_gfp_entry *gfp;
	size_t nr_gfp;
	__u32 page_size;
	__u32 nr_page_orders;		/* MAX_PAGE_ORDER + 1; 0 unknown */
	__u64 kmalloc_max_cache;	/* largest kmalloc cache object; 0 unknown */
	bool preempt_rt;
	bool preempt_count;		/* spinlocks raise the preempt count (CONFIG_PREEMPT_COUNT) */
	int costly_order;		/* PAGE_ALLOC_COSTLY_ORDER */
	bool site_rules;		/* every allocation is seen: per-site rules apply */
	__u32 live_cap;			/* live: events kept per site for the non-context rules */
	const struct kmt_defs *defs;	/* caches, tasks, stacks, symbols (may grow while fed) */
};

struct lint_suppression {
	int rule;		/* -1: any rule */
	char site[128];		/* symbol name (no offset), or "*" */
	char comment[160];
	__u64 used;		/* findings it suppressed */
	int line;
};

struct lint_finding {
	int rule;
	__u64 call_site;	/* 0 when the event has none (page, vmap) */
	__s32 stack_id;
	char site[160];		/* "func+0x1a/0x80 [mod]", the first non-allocator frame, or "?" */
	__u64 count;
	__u64 first_ts, last_ts;
	__u64 backing_pages;	/* page allocations folded into this finding (slab/vmalloc backing) */
	struct kmt_event example;
	char comm[16];
	int suppressed_by;	/* index in the suppressions, or -1 */
};

struct lint_stats {
	__u64 events;		/* all events fed */
	__u64 allocs;		/* allocation events checked */
	__u64 no_ctx;		/* allocations whose context is unknown: context rules skipped */
	__u64 findings[LINT_NR_RULES];	/* events per rule (suppressed included) */
	__u64 folded_pages;	/* page findings folded into the allocation they back */
};

struct lint;

/* Called once per new finding group (live printing); may be NULL. */
typedef void (*lint_new_fn)(void *ctx, const struct lint *l, const struct lint_finding *f);

struct lint *lint__new(const struct lint_env *env, const struct lint_suppression *supp,
		       int nr_supp, lint_new_fn on_new, void *ctx);
void lint__event(struct lint *l, const struct kmt_event *e);
/* Flushes pending state and computes the site rules; call once after the last event. */
void lint__finish(struct lint *l);
/* Findings, errors first, then by count; valid until lint__free. */
const struct lint_finding *lint__findings(const struct lint *l, size_t *n);
const struct lint_stats *lint__stats(const struct lint *l);
const struct lint_suppression *lint__suppressions(const struct lint *l, int *n);
/* Rules this environment cannot check, one reason per line ("" if none). */
const char *lint__notes(const struct lint *l);
/* Unsuppressed findings of severity >= sev. */
size_t lint__count(const struct lint *l, enum lint_severity sev);
void lint__free(struct lint *l);

/*
 * Suppressions file: one per line, "RULE SITE  # comment" (RULE may be '*',
 * SITE a symbol name or '*'); blank lines and lines starting with '#' skipped.
 * 0, or -EINVAL with the line number and reason in why.
 */
int lint__parse_suppressions(const char *text, struct lint_suppression **out, int *nr,
			     char *why, size_t whylen);

/* Writes GFP names for the finding's example into buf (helper for printers). */
void lint__gfp_name(const struct lint *l, __u32 gfp, char *buf, size_t len);

#endif /* __KMT_LINT_H */
