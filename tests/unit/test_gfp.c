// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* GFP tables: print formats of 6.1, 6.12 and 6.18, BTF, and the kernel's own strings. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include "../test.h"
#include "gfp.h"
#include "sysinfo.h"

#define data_text kmt_test__data

static int table_from_data(const char *name, const struct btf *btf, struct kmt_gfp_entry **t,
			   size_t *n)
{
	char why[256] = "";
	char *text = data_text(name);
	int err;

	if (!text)
		return -ENOENT;
	err = gfp_table__from_format(text, btf, t, n, why, sizeof(why));
	if (err)
		fprintf(stdout, "    %s: %s\n", name, why);
	free(text);
	return err;
}

static const char *fmt(const struct kmt_gfp_entry *t, size_t n, __u32 gfp)
{
	static char buf[512];

	gfp_format(t, n, gfp, buf, sizeof(buf));
	return buf;
}

TEST(gfp_format_6_18_table)
{
	struct kmt_gfp_entry *t = NULL;
	size_t n = 0;

	ASSERT_EQ(table_from_data("kmalloc-6.18.format", NULL, &t, &n), 0);
	ASSERT_EQ(n, 38);	/* 14 composites, 24 bits */
	ASSERT_STREQ(t[0].name, "GFP_TRANSHUGE");
	ASSERT_STREQ(t[13].name, "__GFP_RECLAIM");
	ASSERT_STREQ(t[14].name, "__GFP_DMA");
	ASSERT_STREQ(t[n - 1].name, "__GFP_NO_OBJ_EXT");
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_KERNEL"), 0xcc0);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_KERNEL_ACCOUNT"), 0x400cc0);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_NOWAIT"), 0x2800);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_ATOMIC"), 0x820);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_HIGHUSER_MOVABLE"), 0x100cca);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_TRANSHUGE_LIGHT"), 0x1c20ca);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_TRANSHUGE"), 0x1c24ca);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "__GFP_DIRECT_RECLAIM"), 0x400);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "__GFP_NO_OBJ_EXT"), 1u << 24);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "__GFP_NOSUCH"), 0);
	ASSERT_EQ(t[6].flags, KMT_GFP_COMPOSITE);
	ASSERT_EQ(t[11].flags, KMT_GFP_BIT);	/* GFP_DMA is one bit */
	free(t);
}

/* The strings tracefs printed for real events on 6.18 (tests/data/gfp-trace-6.18.txt). */
TEST(gfp_format_kernel_strings)
{
	struct kmt_gfp_entry *t = NULL;
	char *text, *line, *save = NULL, str[256];
	unsigned int val;
	size_t n = 0;
	int known = 0, seen = 0;
	__u32 gfp;

	ASSERT_EQ(table_from_data("kmalloc-6.18.format", NULL, &t, &n), 0);
	text = data_text("gfp-trace-6.18.txt");
	ASSERT_TRUE(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "0x%x %255s", &val, str) == 2) {
			ASSERT_STREQ(fmt(t, n, val), str);
			known++;
		} else if (sscanf(line, "? %255s", str) == 1) {
			ASSERT_EQ(gfp_parse(t, n, str, &gfp), 0);
			ASSERT_STREQ(fmt(t, n, gfp), str);
			seen++;
		}
	}
	fprintf(stdout, "    %d filtered values, %d strings round-tripped\n", known, seen);
	ASSERT_GE(known, 5);
	ASSERT_GE(seen, 20);
	free(text);
	free(t);
}

TEST(gfp_format_edges)
{
	struct kmt_gfp_entry *t = NULL;
	char small[8];
	size_t n = 0, need;
	__u32 gfp;

	ASSERT_EQ(table_from_data("kmalloc-6.18.format", NULL, &t, &n), 0);
	ASSERT_STREQ(fmt(t, n, 0), "none");
	ASSERT_STREQ(fmt(t, n, 0x80000000u), "0x80000000");
	ASSERT_STREQ(fmt(t, n, 0xcc0 | 0x80000000u), "GFP_KERNEL|0x80000000");
	ASSERT_STREQ(fmt(t, n, 0xc00), "GFP_NOIO");	/* listed before __GFP_RECLAIM */
	ASSERT_STREQ(fmt(t, n, 0x400), "__GFP_DIRECT_RECLAIM");
	ASSERT_STREQ(fmt(t, n, 0x42dc0), "GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN|__GFP_COMP");
	need = gfp_format(t, n, 0xcc0, small, sizeof(small));
	ASSERT_EQ(need, strlen("GFP_KERNEL"));
	ASSERT_STREQ(small, "GFP_KER");
	ASSERT_EQ(gfp_parse(t, n, "none", &gfp), 0);
	ASSERT_EQ(gfp, 0);
	ASSERT_EQ(gfp_parse(t, n, "GFP_KERNEL|0x80000000", &gfp), 0);
	ASSERT_U64_EQ(gfp, 0x80000cc0);
	ASSERT_EQ(gfp_parse(t, n, "GFP_KERNEL|__GFP_BOGUS", &gfp), -EINVAL);
	ASSERT_EQ(gfp_parse(t, n, "GFP_KERNEL||", &gfp), -EINVAL);
	free(t);
}

TEST(gfp_format_6_1_numeric)
{
	struct kmt_gfp_entry *t = NULL;
	size_t n = 0;

	ASSERT_EQ(table_from_data("kmalloc-6.1.format", NULL, &t, &n), 0);
	ASSERT_EQ(n, 36);
	ASSERT_STREQ(t[0].name, "GFP_TRANSHUGE");
	ASSERT_STREQ(t[n - 1].name, "__GFP_ZEROTAGS");
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_KERNEL"), 0xcc0);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_ATOMIC"), 0xa20);	/* has __GFP_ATOMIC */
	ASSERT_U64_EQ(gfp_mask_of(t, n, "__GFP_ATOMIC"), 0x200);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_NOWAIT"), 0x800);	/* no __GFP_NOWARN yet */
	ASSERT_STREQ(fmt(t, n, 0xcc0), "GFP_KERNEL");
	ASSERT_STREQ(fmt(t, n, 0xa20), "GFP_ATOMIC");
	ASSERT_STREQ(fmt(t, n, 0x2800), "GFP_NOWAIT|__GFP_NOWARN");
	/* 6.1's hand-made order: ZERO after COMP */
	ASSERT_STREQ(fmt(t, n, 0x42dc0), "GFP_KERNEL|__GFP_NOWARN|__GFP_COMP|__GFP_ZERO");
	ASSERT_STREQ(fmt(t, n, 0x1000000), "0x1000000");	/* SKIP_ZERO: not listed */
	free(t);
}

/* The bits of 6.12's enum (no KASAN_HW_TAGS, no LOCKDEP, with SLAB_OBJ_EXT). */
static struct btf *btf_6_12(void)
{
	static const char *const bits[] = {
		"DMA", "HIGHMEM", "DMA32", "MOVABLE", "RECLAIMABLE", "HIGH", "IO", "FS", "ZERO",
		"UNUSED", "DIRECT_RECLAIM", "KSWAPD_RECLAIM", "WRITE", "NOWARN", "RETRY_MAYFAIL",
		"NOFAIL", "NORETRY", "MEMALLOC", "COMP", "NOMEMALLOC", "HARDWALL", "THISNODE",
		"ACCOUNT", "ZEROTAGS", "NO_OBJ_EXT", "LAST", NULL,
	};
	struct btf *btf = btf__new_empty();
	char name[64];
	int i;

	if (!btf)
		return NULL;
	btf__add_enum(btf, "migratetype", 4);		/* a decoy */
	btf__add_enum_value(btf, "MIGRATE_UNMOVABLE", 0);
	btf__add_enum(btf, NULL, 4);
	for (i = 0; bits[i]; i++) {
		snprintf(name, sizeof(name), "___GFP_%s_BIT", bits[i]);
		btf__add_enum_value(btf, name, i);
	}
	return btf;
}

static void assert_tables_equal(const struct kmt_gfp_entry *a, size_t na,
				const struct kmt_gfp_entry *b, size_t nb)
{
	size_t i;

	ASSERT_EQ(na, nb);
	for (i = 0; i < na; i++) {
		ASSERT_STREQ(a[i].name, b[i].name);
		ASSERT_U64_EQ(a[i].mask, b[i].mask);
		ASSERT_EQ(a[i].flags, b[i].flags);
	}
}

TEST(gfp_format_6_12_symbolic)
{
	struct kmt_gfp_entry *t = NULL, *bt = NULL;
	struct btf *btf = btf_6_12();
	char why[256] = "", *text;
	size_t n = 0, bn = 0;

	ASSERT_TRUE(btf);
	text = data_text("kmalloc-6.12-symbolic.format");
	ASSERT_TRUE(text);
	ASSERT_EQ(gfp_table__from_format(text, NULL, &t, &n, why, sizeof(why)), -ENOENT);
	ASSERT_CONTAINS(why, "___GFP_");
	ASSERT_CONTAINS(why, "BTF");
	ASSERT_EQ(gfp_table__from_format(text, btf, &t, &n, why, sizeof(why)), 0);
	free(text);
	ASSERT_EQ(n, 35);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_KERNEL"), 0xcc0);
	ASSERT_U64_EQ(gfp_mask_of(t, n, "GFP_NOWAIT"), 0x2800);
	ASSERT_STREQ(fmt(t, n, 0x42dc0), "GFP_KERNEL|__GFP_NOWARN|__GFP_COMP|__GFP_ZERO");
	/* BTF plus gfp_types.h's formulas give the very same table */
	ASSERT_EQ(gfp_table__from_btf(btf, KMT_GFP_ORDER_LEGACY, &bt, &bn, why, sizeof(why)), 0);
	assert_tables_equal(t, n, bt, bn);
	free(bt);
	free(t);
	btf__free(btf);
}

TEST(gfp_btf_6_18_matches_saved_format)
{
	struct kmt_gfp_entry *t = NULL, *bt = NULL;
	struct btf *btf = btf_6_12();	/* 6.12 and 6.18 have the same bits */
	char why[256] = "";
	size_t n = 0, bn = 0;

	ASSERT_TRUE(btf);
	ASSERT_EQ(table_from_data("kmalloc-6.18.format", NULL, &t, &n), 0);
	ASSERT_EQ(gfp_table__from_btf(btf, KMT_GFP_ORDER_BITS, &bt, &bn, why, sizeof(why)), 0);
	assert_tables_equal(t, n, bt, bn);
	free(bt);
	free(t);
	btf__free(btf);
}

/* On this machine: BTF gives the same table as the live print format. */
TEST(gfp_live_btf_matches_format)
{
	struct kmt_gfp_entry *t = NULL, *bt = NULL;
	char why[256] = "", bwhy[256] = "";
	struct btf *btf;
	struct utsname u;
	size_t n = 0, bn = 0;
	int err;

	btf = btf__load_vmlinux_btf();
	if (!btf)
		SKIP("no kernel BTF");
	uname(&u);
	err = gfp_table__from_btf(btf, gfp_order_for_release(u.release), &bt, &bn, bwhy,
				  sizeof(bwhy));
	btf__free(btf);
	if (err == -ENOENT)
		SKIP("no ___GFP_*_BIT enum in this kernel's BTF (< 6.10)");
	ASSERT_EQ(err, 0);
	ASSERT_EQ(gfp_table__from_system(&t, &n, why, sizeof(why)), 0);
	fprintf(stdout, "    %s; %zu entries\n", why, n);
	if (!strstr(why, "print format")) {
		free(t);
		free(bt);
		SKIP("tracefs unavailable: nothing to compare BTF with");
	}
	assert_tables_equal(t, n, bt, bn);
	ASSERT_STREQ(fmt(t, n, 0xcc0), "GFP_KERNEL");
	free(bt);
	free(t);
}

TEST(gfp_expression_syntax)
{
	const char *ok = "print fmt: \"x=%s\", __print_flags(REC->gfp_flags, \"|\", "
			 "{(unsigned long)(0x10 | 3), \"A\"}, "
			 "{( unsigned long)((12) & ~(4)), \"B\"}, "
			 "{1UL << 5, \"C\"}, {(( gfp_t)(07 + 1 - 2) >> 1), \"D\"}, { -1, NULL })";
	struct kmt_gfp_entry *t = NULL;
	char why[256] = "", deep[5000];
	size_t n = 0, len;
	int i;

	ASSERT_EQ(gfp_table__from_format(ok, NULL, &t, &n, why, sizeof(why)), 0);
	ASSERT_EQ(n, 4);
	ASSERT_U64_EQ(t[0].mask, 0x13);
	ASSERT_U64_EQ(t[1].mask, 8);
	ASSERT_U64_EQ(t[2].mask, 0x20);
	ASSERT_U64_EQ(t[3].mask, 3);
	free(t);
	ASSERT_EQ(gfp_table__from_format("print fmt: \"%s\", REC->x", NULL, &t, &n, why,
					 sizeof(why)), -ENOENT);
	ASSERT_NE(gfp_table__from_format("__print_flags(REC->gfp_flags, \"|\", {(1 <<, \"A\"})",
					 NULL, &t, &n, why, sizeof(why)), 0);
	ASSERT_NE(gfp_table__from_format("__print_flags(REC->gfp_flags, \"|\", {1, \"A",
					 NULL, &t, &n, why, sizeof(why)), 0);
	/* nesting deeper than any kernel's is refused, not recursed into */
	len = snprintf(deep, sizeof(deep), "__print_flags(gfp, \"|\", {");
	for (i = 0; i < 2000; i++)
		deep[len++] = '(';
	deep[len++] = '1';
	for (i = 0; i < 2000; i++)
		deep[len++] = ')';
	snprintf(deep + len, sizeof(deep) - len, ", \"A\"} )");
	ASSERT_EQ(gfp_table__from_format(deep, NULL, &t, &n, why, sizeof(why)), -ENOENT);
	ASSERT_CONTAINS(why, "failed to evaluate");
}

TEST(gfp_table_from_meta)
{
	struct kmt_gfp_entry *t = NULL, *c = NULL;
	char buf[48 * 40 + 1];
	size_t n = 0, cn = 0;

	ASSERT_EQ(table_from_data("kmalloc-6.18.format", NULL, &t, &n), 0);
	memcpy(buf + 1, t, n * sizeof(*t));	/* unaligned on purpose */
	ASSERT_EQ(gfp_table__from_meta(buf + 1, n * sizeof(*t), &c, &cn), 0);
	assert_tables_equal(t, n, c, cn);
	free(c);
	ASSERT_EQ(gfp_table__from_meta(buf + 1, n * sizeof(*t) - 1, &c, &cn), -EINVAL);
	memset(buf + 1 + 8, 'x', 40);		/* name without NUL */
	ASSERT_EQ(gfp_table__from_meta(buf + 1, n * sizeof(*t), &c, &cn), -EINVAL);
	free(t);
}

TEST(gfp_order_for_release)
{
	ASSERT_EQ(gfp_order_for_release("6.1.0-18-amd64"), KMT_GFP_ORDER_LEGACY);
	ASSERT_EQ(gfp_order_for_release("6.13.12"), KMT_GFP_ORDER_LEGACY);
	ASSERT_EQ(gfp_order_for_release("6.14.0"), KMT_GFP_ORDER_BITS);
	ASSERT_EQ(gfp_order_for_release("6.18.44-fc-v669"), KMT_GFP_ORDER_BITS);
	ASSERT_EQ(gfp_order_for_release("7.0"), KMT_GFP_ORDER_BITS);
}
