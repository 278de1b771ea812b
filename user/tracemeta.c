// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Typed trace metadata: see tracemeta.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frames.h"
#include "sysinfo.h"
#include "tracemeta.h"

static __u32 meta_u32(const struct trace_reader *r, __u16 key, __u32 dflt)
{
	__u32 len, v;
	const void *p = trace_reader__meta(r, key, 0, &len);

	if (!p || len != sizeof(v))
		return dflt;
	memcpy(&v, p, sizeof(v));
	return v;
}

void tracemeta__text(const struct trace_reader *r, __u16 key, char *buf, size_t sz)
{
	__u32 len;
	const char *p = trace_reader__meta(r, key, 0, &len);

	buf[0] = 0;
	if (!p)
		return;
	if (len >= sz)
		len = sz - 1;
	memcpy(buf, p, len);
	buf[len] = 0;
}

static void load_migratetypes(const struct trace_reader *r, struct tracemeta *m)
{
	__u32 len;
	const char *p = trace_reader__meta(r, KMT_META_MIGRATETYPES, 0, &len);
	const char *end = p ? p + len : NULL;

	while (p && p < end && m->nr_migratetypes < KMT_MAX_MIGRATETYPES) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;
		char *dst = m->migratetypes[m->nr_migratetypes++];

		if (n >= sizeof(m->migratetypes[0]))
			n = sizeof(m->migratetypes[0]) - 1;
		memcpy(dst, p, n);
		dst[n] = 0;
		p = nl ? nl + 1 : end;
	}
}

static void load_clock(const struct trace_reader *r, struct tracemeta *m)
{
	const void *p;
	__u32 len;

	p = trace_reader__meta(r, KMT_META_CLOCK, 0, &len);
	if (p && len == sizeof(m->clock))
		memcpy(&m->clock, p, sizeof(m->clock));
	for (unsigned int i = 1; (p = trace_reader__meta(r, KMT_META_CLOCK, i, &len)); i++) {
		struct kmt_clock c;

		if (len != sizeof(c))
			continue;
		memcpy(&c, p, sizeof(c));
		if (c.end_mono)
			m->clock.end_mono = c.end_mono;
	}
}

void tracemeta__load(const struct trace_reader *r, struct tracemeta *m)
{
	struct kmt_gfp_entry *gfp;
	const void *p;
	__u32 len;
	size_t n;

	memset(m, 0, sizeof(*m));
	p = trace_reader__meta(r, KMT_META_GFP_TABLE, 0, &len);
	if (p && gfp_table__from_meta(p, len, &gfp, &n) == 0) {
		n = n < KMT_GFP_MAX_ENTRIES ? n : KMT_GFP_MAX_ENTRIES;
		memcpy(m->gfp, gfp, n * sizeof(m->gfp[0]));
		m->nr_gfp = n;
		free(gfp);
	}
	load_migratetypes(r, m);
	p = trace_reader__meta(r, KMT_META_CALIB, 0, &len);
	if (p && len == sizeof(m->calib)) {
		memcpy(&m->calib, p, sizeof(m->calib));
		m->has_calib = true;
	}
	load_clock(r, m);
	tracemeta__text(r, KMT_META_KERNEL_RELEASE, m->release, sizeof(m->release));
	m->nr_cpus = meta_u32(r, KMT_META_NR_CPUS, 0);
	m->page_size = meta_u32(r, KMT_META_PAGE_SIZE, 0);
	m->nr_page_orders = meta_u32(r, KMT_META_NR_PAGE_ORDERS, 0);
	m->pageblock_order = meta_u32(r, KMT_META_PAGEBLOCK_ORDER, 0);
	/* what no kernel has reads as unknown: the analyses shift by these */
	if (m->page_size < 1024 || m->page_size > (1u << 20) || (m->page_size & (m->page_size - 1)))
		m->page_size = 0;
	if (m->nr_page_orders > SYSINFO_MAX_ORDERS)
		m->nr_page_orders = 0;
	if (m->pageblock_order >= SYSINFO_MAX_ORDERS)
		m->pageblock_order = 0;
	m->preempt_rt = meta_u32(r, KMT_META_PREEMPT_RT, 0);
	m->stacks = meta_u32(r, KMT_META_STACKS, 0);
	m->batch = meta_u32(r, KMT_META_BATCH, 0);
	p = trace_reader__meta(r, KMT_META_COUNTERS, 0, &len);
	if (p && len == sizeof(m->counters)) {
		memcpy(&m->counters, p, sizeof(m->counters));
		m->has_counters = true;
	}
}

const char *tracemeta__snapshot(const struct trace_reader *r, __u8 phase, const char *name,
				size_t *len)
{
	const void *v;
	__u32 vlen;

	for (unsigned int i = 0; (v = trace_reader__meta(r, KMT_META_SNAPSHOT, i, &vlen)); i++) {
		const char *n, *text;
		__u8 ph;

		if (sysinfo__snapshot_decode(v, vlen, &ph, &n, &text, len) == 0 && ph == phase &&
		    !strcmp(n, name))
			return text;
	}
	return NULL;
}

/* The reader's symbols are its defs': formatted as frames__sym_name() formats any defs'. */
void tracemeta__sym_name(const struct trace_reader *r, __u64 addr, char *buf, size_t len)
{
	frames__sym_name(trace_reader__defs(r), addr, buf, len);
}

const char *tracemeta__mt_name(const struct tracemeta *m, int mt, char *buf, size_t len)
{
	if (mt >= 0 && mt < m->nr_migratetypes)
		return m->migratetypes[mt];
	snprintf(buf, len, "mt%d", mt);
	return buf;
}
