// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz harness: the small parsers, chosen by the first input byte (mod
 * NR_MODES; the seeds in tests/fuzz/corpus/fuzz_text start with the digit or
 * letter of their mode), the rest of the input being their text:
 *   '0' lint suppressions          '1' /proc/vmallocinfo (lines, then preload)
 *   '2' /proc/zoneinfo             '3' /proc/buddyinfo
 *   '4' /proc/pagetypeinfo         '5' /proc/slabinfo into a slab model
 *   '6' a tracefs format file's GFP print list, then gfp_format/gfp_parse
 *   '7' a kallsyms file            '8' GFP flag names against the 6.18 table
 *   '9' binary META values: GFP table, free-page map, its read times, a
 *       snapshot, migratetype names
 *   ':' report sort keys, group and lint rule names, event type names
 */
#include <errno.h>
#include "fuzz.h"
#include "buddy.h"
#include "ksyms.h"
#include "lint.h"
#include "report.h"
#include "slab.h"
#include "sysinfo.h"
#include "vmalloc.h"
#include "vmap.h"

#define NR_MODES	11

static volatile __u64 sink;

static void use_str(const char *s)
{
	sink += s ? strlen(s) : 0;
}

static void suppressions(const char *text)
{
	struct lint_suppression *s;
	char why[256];
	int n;

	if (lint__parse_suppressions(text, &s, &n, why, sizeof(why))) {
		if (!why[0] || s || n)
			abort();
		return;
	}
	for (int i = 0; i < n; i++)
		if ((s[i].rule < -1 || s[i].rule >= LINT_NR_RULES) ||
		    strnlen(s[i].site, sizeof(s[i].site)) == sizeof(s[i].site) ||
		    strnlen(s[i].comment, sizeof(s[i].comment)) == sizeof(s[i].comment))
			abort();
	free(s);
}

static void vmallocinfo(const char *text)
{
	struct vmalloc_an *a = vmalloc_an__new(NULL, 4096);
	char line[512], caller[64];
	__u64 addr, size;

	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
		p = eol ? eol + 1 : NULL;
		if (vmap__parse_vmallocinfo_line(line, &addr, &size, caller, sizeof(caller)))
			use_str(caller);
	}
	if (!a)
		abort();
	sink += vmalloc_an__preload(a, text);
	vmalloc_an__finish(a);
	for (__u32 s = 0; s < vmalloc_an__nr_sites(a); s++)
		use_str(vmalloc_an__site_name(a, s));
	vmalloc_an__free(a);
}

static void zoneinfo(const char *text)
{
	struct kmt_zone_info z[16];
	int n = parse_zoneinfo(text, z, 16);

	for (int i = 0; i < n && i < 16; i++)
		if (strnlen(z[i].name, sizeof(z[i].name)) == sizeof(z[i].name))
			abort();
}

static void buddyinfo(const char *text)
{
	struct buddy_row rows[16];
	int n = parse_buddyinfo(text, rows, 16);

	for (int i = 0; i < n && i < 16; i++)
		if (rows[i].nr_orders > SYSINFO_MAX_ORDERS ||
		    strnlen(rows[i].zone, sizeof(rows[i].zone)) == sizeof(rows[i].zone))
			abort();
}

static void pagetypeinfo(const char *text)
{
	struct pagetype_info pi;

	if (parse_pagetypeinfo(text, &pi))
		return;
	if (pi.nr_mt > SYSINFO_MAX_MT || pi.nr_orders > SYSINFO_MAX_ORDERS)
		abort();
	for (__u32 i = 0; i < pi.nr_mt; i++)
		if (strnlen(pi.mt[i], sizeof(pi.mt[i])) == sizeof(pi.mt[i]))
			abort();
}

static void slabinfo(const char *text, size_t len)
{
	struct slab_model_opts o = { .sz = sizeof(o), .page_size = 4096, .nr_cpus = 2 };
	struct slab_model *m = slab_model__new(&o, NULL);
	struct slab_cache_stats st;
	char err[256];

	if (!m)
		abort();
	sink += slab_model__load_slabinfo(m, text, len, SLAB_SNAP_START);
	sink += slab_model__load_slabinfo(m, text, len, SLAB_SNAP_END);
	for (int c = 0; c < slab_model__nr_caches(m); c++)
		if (!slab_model__cache_stats(m, c, &st))
			sink += st.objects;
	slab_model__totals(m, &st);
	if (slab_model__check(m, err, sizeof(err)))
		abort();	/* loading a snapshot keeps the model consistent */
	slab_model__free(m);
}

static void check_gfp_roundtrip(const struct kmt_gfp_entry *t, size_t n, __u32 gfp)
{
	char buf[2048];
	__u32 back;

	if (gfp_format(t, n, gfp, buf, sizeof(buf)) >= sizeof(buf))
		return;
	if (gfp_parse(t, n, buf, &back) || back != gfp)
		abort();	/* gfp_parse is gfp_format's inverse */
}

static void gfp_format_file(const char *text)
{
	struct kmt_gfp_entry *t;
	char why[256], buf[64];
	size_t n;

	if (gfp_table__from_format(text, NULL, &t, &n, why, sizeof(why)))
		return;
	for (size_t i = 0; i < n; i++) {
		if (strnlen(t[i].name, sizeof(t[i].name)) == sizeof(t[i].name))
			abort();
		check_gfp_roundtrip(t, n, t[i].mask);
		check_gfp_roundtrip(t, n, t[i].mask | 0x80000000u);
		sink += gfp_mask_of(t, n, t[i].name);
	}
	check_gfp_roundtrip(t, n, 0);
	check_gfp_roundtrip(t, n, ~0u);
	gfp_format(t, n, 0xcc0, buf, 5);
	free(t);
}

static void kallsyms(const uint8_t *data, size_t size)
{
	static const __u64 addrs[] = { 0, 1, 0xffffffff81000000ull, 0xffffffff81234567ull,
				       0xffffffffc0000000ull, ~0ull };
	struct kmt_sym s;
	struct ksyms *k;
	const char *path;
	char why[256], buf[256];
	int err;

	if (fuzz_file(data, size, &path))
		return;
	k = ksyms__load(path, &err, why, sizeof(why));
	if (!k) {
		if (err >= 0)
			abort();
		return;
	}
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		if (ksyms__resolve(k, addrs[i], &s) == 0) {
			ksyms__snprint(&s, buf, sizeof(buf));
			sink += ksyms__addr_of(k, s.name);
		}
	}
	sink += ksyms__count(k) + ksyms__addr_of(k, "kfree");
	ksyms__reload(k, why, sizeof(why));
	ksyms__free(k);
}

static void gfp_names(const char *text)
{
	size_t n;
	const struct kmt_gfp_entry *t = fuzz_gfp_table(&n);
	__u32 gfp;

	if (gfp_parse(t, n, text, &gfp) == 0)
		check_gfp_roundtrip(t, n, gfp);
	sink += gfp_mask_of(t, n, text);
}

static void meta_values(const uint8_t *data, size_t size)
{
	struct kmt_gfp_entry *t;
	struct freemap fm;
	struct freemap_read *reads;
	struct buddy_model_opts bo = { .sz = sizeof(bo) };
	const char *name, *text;
	size_t n, tlen;
	__u8 ph;

	if (gfp_table__from_meta(data, size, &t, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (strnlen(t[i].name, sizeof(t[i].name)) == sizeof(t[i].name))
				abort();
		free(t);
	}
	if (freemap__decode(data, size, &ph, &fm) == 0) {
		__u64 counts[SYSINFO_MAX_ORDERS] = {};

		freemap__to_orders(&fm, 0, 1 << 20, 11, counts);
		freemap__to_orders(&fm, ~0ull - (1 << 20), ~0ull, SYSINFO_MAX_ORDERS, counts);
		freemap__free(&fm);
	}
	if (freemap_times__decode(data, size, &ph, &reads, &n) == 0)
		free(reads);
	if (sysinfo__snapshot_decode(data, size, &ph, &name, &text, &tlen) == 0) {
		if (text + tlen != (const char *)data + size)
			abort();
		use_str(name);
	}
	buddy_model_opts__set_mt_names(&bo, (const char *)data, size);
}

static void names(const char *text)
{
	struct report_group_stat g[3] = {};
	enum report_group grp;
	char why[256];

	for (int i = 0; i < 3; i++) {
		snprintf(g[i].key, sizeof(g[i].key), "k%d", i);
		g[i].allocs = i;
		g[i].life[i] = 1;
	}
	if (report__sort(g, 3, text, why, sizeof(why)) && !why[0])
		abort();
	if (report__parse_group(text, &grp) == 0)
		use_str(report__group_name(grp));
	sink += lint_rule_by_id(text) + kmt_event_type_from_name(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	int mode;

	if (!size)
		return 0;
	mode = (data[0] - '0' + 256) % NR_MODES;
	data++;
	size--;
	text = fuzz_strdup(data, size);
	switch (mode) {
	case 0: suppressions(text); break;
	case 1: vmallocinfo(text); break;
	case 2: zoneinfo(text); break;
	case 3: buddyinfo(text); break;
	case 4: pagetypeinfo(text); break;
	case 5: slabinfo(text, size); break;
	case 6: gfp_format_file(text); break;
	case 7: kallsyms(data, size); break;
	case 8: gfp_names(text); break;
	case 9: meta_values(data, size); break;
	default: names(text); break;
	}
	free(text);
	return 0;
}
