// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sysinfo: /proc parsers on saved samples, the free-page map, metadata on this machine. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include "../test.h"
#include "gfp.h"
#include "sysinfo.h"
#include "trace.h"

#define data_text kmt_test__data

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

TEST(sysinfo_parse_zoneinfo)
{
	struct kmt_zone_info z[8];
	char *text = data_text("zoneinfo-6.18.txt");

	ASSERT_TRUE(text);
	ASSERT_EQ(parse_zoneinfo(text, z, 8), 5);
	ASSERT_EQ(parse_zoneinfo(text, z, 2), 5);	/* counts all, stores 2 */
	ASSERT_EQ(parse_zoneinfo(text, z, 8), 5);
	ASSERT_STREQ(z[0].name, "DMA");
	ASSERT_EQ(z[0].node, 0);
	ASSERT_EQ(z[0].start_pfn, 1);
	ASSERT_EQ(z[0].spanned, 4095);
	ASSERT_EQ(z[0].present, 3998);
	ASSERT_EQ(z[0].managed, 3840);
	ASSERT_STREQ(z[1].name, "DMA32");
	ASSERT_EQ(z[1].start_pfn, 4096);
	ASSERT_STREQ(z[2].name, "Normal");
	ASSERT_EQ(z[2].start_pfn, 1048576);
	ASSERT_EQ(z[2].spanned, 5505024);
	ASSERT_EQ(z[2].managed, 458752);
	ASSERT_STREQ(z[3].name, "Movable");		/* empty zones are kept */
	ASSERT_EQ(z[3].spanned, 0);
	ASSERT_EQ(z[3].start_pfn, 0);
	ASSERT_STREQ(z[4].name, "Device");
	ASSERT_EQ(parse_zoneinfo("nothing here\n", z, 8), -EINVAL);
	free(text);
}

TEST(sysinfo_parse_buddyinfo)
{
	const char *two = "Node 0, zone   Normal    1 2 3\nNode 1, zone   Normal   4 5 6\n";
	struct buddy_row r[4];
	char *text = data_text("buddyinfo-6.18.txt");

	ASSERT_TRUE(text);
	ASSERT_EQ(parse_buddyinfo(text, r, 4), 3);
	ASSERT_STREQ(r[0].zone, "DMA");
	ASSERT_EQ(r[0].nr_orders, 11);
	ASSERT_EQ(r[0].nr_free[10], 3);
	ASSERT_STREQ(r[2].zone, "Normal");
	ASSERT_EQ(r[2].nr_free[0], 1036);
	ASSERT_EQ(r[2].nr_free[10], 221);
	free(text);
	ASSERT_EQ(parse_buddyinfo(two, r, 4), 2);
	ASSERT_EQ(r[1].node, 1);
	ASSERT_EQ(r[1].nr_orders, 3);
	ASSERT_EQ(r[1].nr_free[2], 6);
	ASSERT_EQ(parse_buddyinfo("", r, 4), -EINVAL);
}

TEST(sysinfo_parse_pagetypeinfo)
{
	struct pagetype_info pi;
	char *text = data_text("pagetypeinfo-6.18.txt");

	ASSERT_TRUE(text);
	ASSERT_EQ(parse_pagetypeinfo(text, &pi), 0);
	ASSERT_EQ(pi.pageblock_order, 9);
	ASSERT_EQ(pi.nr_orders, 11);
	ASSERT_EQ(pi.nr_mt, 5);
	ASSERT_STREQ(pi.mt[0], "Unmovable");
	ASSERT_STREQ(pi.mt[3], "HighAtomic");
	ASSERT_STREQ(pi.mt[4], "Isolate");
	free(text);
	ASSERT_EQ(parse_pagetypeinfo("Page block order: 9\n", &pi), -EINVAL);
}

TEST(sysinfo_snapshot_decode)
{
	const char item[] = "\001buddyinfo\0Node 0, zone DMA 1 2";
	const char *name, *text;
	size_t len;
	__u8 phase;

	ASSERT_EQ(sysinfo__snapshot_decode(item, sizeof(item) - 1, &phase, &name, &text, &len), 0);
	ASSERT_EQ(phase, KMT_PHASE_END);
	ASSERT_STREQ(name, "buddyinfo");
	ASSERT_EQ(len, strlen("Node 0, zone DMA 1 2"));
	ASSERT_TRUE(!memcmp(text, "Node 0, zone DMA 1 2", len));
	ASSERT_EQ(sysinfo__snapshot_decode("\001abc", 4, &phase, &name, &text, &len), -EINVAL);
}

TEST(freemap_varint_round_trip)
{
	struct freemap fm = {}, back = {};
	void *buf = NULL;
	size_t len, i;
	__u8 phase = 9;

	ASSERT_EQ(freemap__add(&fm, 0, 1), 0);
	ASSERT_EQ(freemap__add(&fm, 1, 5), 0);		/* merges with [0, 1) */
	ASSERT_EQ(freemap__add(&fm, 127, 128), 0);
	ASSERT_EQ(freemap__add(&fm, 1ull << 40, 300), 0);
	ASSERT_EQ(freemap__add(&fm, (1ull << 40) + 70000, 1ull << 33), 0);
	ASSERT_EQ(fm.nr, 4);
	ASSERT_EQ(freemap__encode(&fm, KMT_PHASE_END, &buf, &len), 0);
	/* phase, (0, 6), (121, 128: 2 bytes), (2^40-255: 6, 300: 2), (69700: 3, 2^33: 5) */
	ASSERT_EQ(len, 1 + 2 + 3 + 8 + 8);
	ASSERT_EQ(freemap__decode(buf, len, &phase, &back), 0);
	ASSERT_EQ(phase, KMT_PHASE_END);
	ASSERT_EQ(back.nr, fm.nr);
	for (i = 0; i < fm.nr; i++) {
		ASSERT_U64_EQ(back.runs[i].pfn, fm.runs[i].pfn);
		ASSERT_U64_EQ(back.runs[i].len, fm.runs[i].len);
	}
	freemap__free(&back);
	ASSERT_EQ(freemap__decode(buf, len - 1, &phase, &back), -EINVAL);	/* cut varint */
	ASSERT_EQ(back.nr, 0);
	free(buf);
	freemap__free(&fm);
}

TEST(freemap_to_orders)
{
	__u64 c[11] = {};
	struct freemap fm = {};

	/* [0, 1539): 1024 + 512 + 2 + 1 */
	ASSERT_EQ(freemap__add(&fm, 0, 1539), 0);
	/* [4097, 4100): 1 at 4097, 2 at 4098 */
	ASSERT_EQ(freemap__add(&fm, 4097, 3), 0);
	/* [8192, 8192 + 4096): four blocks of the max order */
	ASSERT_EQ(freemap__add(&fm, 8192, 4096), 0);
	freemap__to_orders(&fm, 0, ~0ull, 11, c);
	ASSERT_EQ(c[10], 5);
	ASSERT_EQ(c[9], 1);
	ASSERT_EQ(c[1], 2);
	ASSERT_EQ(c[0], 2);
	ASSERT_EQ(c[2] + c[3] + c[4] + c[5] + c[6] + c[7] + c[8], 0);
	/*
	 * Clipped to [1, 4099): [1, 1024) gives one block of each order 0-9, then
	 * 512 + 2 + 1 up to 1539; [4097, 4099) gives two single pages.
	 */
	memset(c, 0, sizeof(c));
	freemap__to_orders(&fm, 1, 4099, 11, c);
	ASSERT_EQ(c[10], 0);
	ASSERT_EQ(c[9], 2);
	ASSERT_EQ(c[8], 1);
	ASSERT_EQ(c[2], 1);
	ASSERT_EQ(c[1], 2);
	ASSERT_EQ(c[0], 4);
	freemap__free(&fm);
}

/*
 * One scan of /proc/kpageflags between two reads of /proc/buddyinfo; true when
 * buddyinfo did not change meanwhile. *bi is the text read after the scan.
 */
static bool scan_between(struct freemap *fm, char **bi, double *ms)
{
	char *before = NULL;
	bool stable;
	double t0;

	if (sysinfo__read_file("/proc/buddyinfo", &before, NULL))
		return false;
	t0 = now_ms();
	if (freemap__scan(fm, NULL)) {
		free(before);
		return false;
	}
	*ms = now_ms() - t0;
	if (sysinfo__read_file("/proc/buddyinfo", bi, NULL)) {
		free(before);
		freemap__free(fm);
		return false;
	}
	stable = !strcmp(before, *bi);
	free(before);
	return stable;
}

/* Prints one zone's kpageflags/buddyinfo counts and adds them to the totals. */
static void compare_zone(const struct freemap *fm, const struct kmt_zone_info *z,
			 const struct buddy_row *r, __u64 *fm_tot, __u64 *bi_tot)
{
	__u64 c[SYSINFO_MAX_ORDERS] = {};
	unsigned int k;

	freemap__to_orders(fm, z->start_pfn, z->start_pfn + z->spanned, r->nr_orders, c);
	fprintf(stdout, "    node %u %-7s", r->node, r->zone);
	for (k = 0; k < r->nr_orders; k++) {
		fprintf(stdout, " %llu/%llu", (unsigned long long)c[k],
			(unsigned long long)r->nr_free[k]);
		fm_tot[k] += c[k];
		bi_tot[k] += r->nr_free[k];
	}
	fprintf(stdout, "\n");
}

/* Free blocks per order from /proc/kpageflags against /proc/buddyinfo (root). */
TEST(freemap_live_matches_buddyinfo)
{
	__u64 fm_tot[SYSINFO_MAX_ORDERS] = {}, bi_tot[SYSINFO_MAX_ORDERS] = {}, diff;
	struct kmt_zone_info z[64];
	struct buddy_row r[64];
	char *zi = NULL, *bi = NULL;
	struct freemap fm = {};
	int nz, nb, i, j, k, tries;
	bool stable = false;
	double ms = 0;

	if (geteuid())
		SKIP("needs root: /proc/kpageflags is readable by root only");
	/*
	 * Free page reporting (virtio-balloon) isolates blocks of page_reporting_order
	 * and above for a moment: a scan can miss them while buddyinfo reads the same
	 * before and after. Such a scan is taken again, as `record` does
	 * (freemap__scan_checked); one that never agrees fails below.
	 */
	ASSERT_EQ(sysinfo__read_file("/proc/zoneinfo", &zi, NULL), 0);
	for (tries = 0; tries < 6; tries++) {
		if (tries) {
			freemap__free(&fm);
			free(bi);
			bi = NULL;
		}
		stable = scan_between(&fm, &bi, &ms);
		if (stable && freemap__matches_buddyinfo(&fm, bi, zi))
			break;
	}
	ASSERT_TRUE(bi);
	fprintf(stdout, "    kpageflags: %llu pfns, %zu runs in %.1f ms; buddyinfo %s; %d scans%s\n",
		(unsigned long long)fm.nr_pfns, fm.nr, ms,
		stable ? "unchanged during the scan" : "changed during every scan",
		tries < 6 ? tries + 1 : 6,
		access("/sys/module/page_reporting", F_OK) ? "" : " (free page reporting built in)");
	ASSERT_LT(ms, 1000);
	nz = parse_zoneinfo(zi, z, 64);
	nb = parse_buddyinfo(bi, r, 64);
	free(zi);
	free(bi);
	ASSERT_GT(nz, 0);
	ASSERT_GT(nb, 0);
	fprintf(stdout, "    free blocks per order 0..%u, kpageflags/buddyinfo:\n",
		r[0].nr_orders - 1);
	for (i = 0; i < nb; i++) {
		for (j = 0; j < nz; j++)
			if (z[j].node == r[i].node && !strcmp(z[j].name, r[i].zone))
				break;
		ASSERT_LT(j, nz);
		compare_zone(&fm, &z[j], &r[i], fm_tot, bi_tot);
	}
	freemap__free(&fm);
	/*
	 * When buddyinfo did not change during a scan, every order must match
	 * exactly. Otherwise allocations went on during the few hundred ms of
	 * the scan: within 10% from order 3 on, or 4 blocks where counts are small.
	 */
	for (k = stable ? 0 : 3; k < (int)r[0].nr_orders; k++) {
		diff = fm_tot[k] > bi_tot[k] ? fm_tot[k] - bi_tot[k] : bi_tot[k] - fm_tot[k];
		if (stable ? diff != 0 : diff * 100 > 10 * bi_tot[k] && diff > 4)
			FAIL("order %d: kpageflags %llu vs buddyinfo %llu", k,
			     (unsigned long long)fm_tot[k], (unsigned long long)bi_tot[k]);
	}
}

TEST(sysinfo_live_btf)
{
	struct pagetype_info pi, bpi;
	struct buddy_row r;
	char *text = NULL;
	struct btf *btf;
	int orders;

	btf = btf__load_vmlinux_btf();
	if (!btf)
		SKIP("no kernel BTF");
	orders = sysinfo__btf_nr_page_orders(btf);
	ASSERT_EQ(sysinfo__read_file("/proc/buddyinfo", &text, NULL), 0);
	ASSERT_EQ(parse_buddyinfo(text, &r, 1), parse_buddyinfo(text, NULL, 0));
	free(text);
	ASSERT_EQ(orders, r.nr_orders);
	ASSERT_GE(sysinfo__btf_struct_page_size(btf), 56);
	ASSERT_EQ(sysinfo__btf_migratetypes(btf, &bpi), 0);
	btf__free(btf);
	if (sysinfo__read_file("/proc/pagetypeinfo", &text, NULL))
		SKIP("needs root: /proc/pagetypeinfo");
	ASSERT_EQ(parse_pagetypeinfo(text, &pi), 0);
	free(text);
	ASSERT_EQ(bpi.nr_mt, pi.nr_mt);
	for (orders = 0; orders < (int)pi.nr_mt; orders++)
		ASSERT_STREQ(bpi.mt[orders], pi.mt[orders]);
}

static int count_meta(const struct trace_reader *r, __u16 key)
{
	__u32 len;
	int n = 0;

	while (trace_reader__meta(r, key, n, &len))
		n++;
	return n;
}

static void check_start_meta(const struct trace_reader *r)
{
	struct kmt_gfp_entry *t = NULL;
	const void *v;
	struct utsname u;
	__u32 len, val;
	size_t n = 0;

	uname(&u);
	v = trace_reader__meta(r, KMT_META_KERNEL_RELEASE, 0, &len);
	ASSERT_TRUE(v && len == strlen(u.release) && !memcmp(v, u.release, len));
	v = trace_reader__meta(r, KMT_META_PAGE_SIZE, 0, &len);
	ASSERT_TRUE(v && len == 4);
	memcpy(&val, v, 4);
	ASSERT_EQ(val, sysconf(_SC_PAGESIZE));
	v = trace_reader__meta(r, KMT_META_NR_PAGE_ORDERS, 0, &len);
	ASSERT_TRUE(v && len == 4);
	v = trace_reader__meta(r, KMT_META_GFP_TABLE, 0, &len);
	ASSERT_TRUE(v);
	ASSERT_EQ(gfp_table__from_meta(v, len, &t, &n), 0);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_KERNEL"), gfp_mask_of(t, n, "__GFP_RECLAIM") |
		      gfp_mask_of(t, n, "__GFP_IO") | gfp_mask_of(t, n, "__GFP_FS"));
	free(t);
	v = trace_reader__meta(r, KMT_META_ZONES, 0, &len);
	ASSERT_TRUE(v && len && len % sizeof(struct kmt_zone_info) == 0);
	ASSERT_TRUE(trace_reader__meta(r, KMT_META_MIGRATETYPES, 0, &len));
	ASSERT_TRUE(trace_reader__meta(r, KMT_META_PAGEBLOCK_ORDER, 0, &len));
	ASSERT_TRUE(trace_reader__meta(r, KMT_META_TOOL_VERSION, 0, &len));
}

/* Both phases through the real writer and reader API (root: kpageflags, pagetypeinfo). */
TEST(sysinfo_live_write_meta)
{
	struct sysinfo_opts opts = { .sz = sizeof(opts), .tool_version = "test" };
	char path[512], err[4096], msg[256];
	const char *name, *text;
	struct trace_writer *w;
	struct trace_reader *r;
	const void *v;
	size_t tlen;
	__u32 len;
	__u8 phase;
	int e = 0, nsnap;
	double t0;

	if (geteuid())
		SKIP("needs root: /proc/kpageflags, /proc/pagetypeinfo, debugfs");
	snprintf(path, sizeof(path), "%s/meta.kmt", kmt_test__tmpdir());
	w = trace_writer__open(path, NULL, &e);
	ASSERT_TRUE(w);
	t0 = now_ms();
	ASSERT_EQ(sysinfo__write_meta(w, KMT_PHASE_START, &opts, err, sizeof(err)), 0);
	fprintf(stdout, "    start phase: %.1f ms; notes: %s\n", now_ms() - t0, err[0] ? err : "-");
	t0 = now_ms();
	ASSERT_EQ(sysinfo__write_meta(w, KMT_PHASE_END, &opts, err, sizeof(err)), 0);
	fprintf(stdout, "    end phase: %.1f ms\n", now_ms() - t0);
	ASSERT_EQ(trace_writer__meta_flush(w), 0);
	ASSERT_EQ(trace_writer__finish(w), 0);
	trace_writer__free(w);
	r = trace_reader__open(path, &e, msg, sizeof(msg));
	ASSERT_TRUE(r);
	check_start_meta(r);
	nsnap = count_meta(r, KMT_META_SNAPSHOT);
	ASSERT_GE(nsnap, 2 * 7);
	v = trace_reader__meta(r, KMT_META_SNAPSHOT, nsnap - 1, &len);
	ASSERT_EQ(sysinfo__snapshot_decode(v, len, &phase, &name, &text, &tlen), 0);
	ASSERT_EQ(phase, KMT_PHASE_END);
	ASSERT_EQ(count_meta(r, KMT_META_FREEMAP), 2);
	ASSERT_EQ(count_meta(r, KMT_META_KERNEL_RELEASE), 1);
	trace_reader__free(r);
}
