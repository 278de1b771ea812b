// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GFP tables: learnt from a tracefs print format or from BTF, printed the way
 * the kernel's trace_print_flags_seq() prints them.
 */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "gfp.h"
#include "sysinfo.h"

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- a small evaluator for C constant expressions of the print formats ---- */

typedef int (*gfp_lookup_fn)(void *ctx, const char *name, size_t len, __u64 *val);

struct gfp_expr {
	const char *p;
	const char *end;
	gfp_lookup_fn lookup;
	void *ctx;
	int err;
	int depth;		/* of unary recursion, bounded */
	char bad[48];		/* the token that failed */
};

static void expr_skip_space(struct gfp_expr *e)
{
	while (e->p < e->end && isspace((unsigned char)*e->p))
		e->p++;
}

static bool expr_eat(struct gfp_expr *e, const char *op)
{
	size_t n = strlen(op);

	expr_skip_space(e);
	if ((size_t)(e->end - e->p) < n || strncmp(e->p, op, n))
		return false;
	/* "|" must not match "||", nor "&" "&&" */
	if (n == 1 && strchr("|&", op[0]) && e->p + 1 < e->end && e->p[1] == op[0])
		return false;
	e->p += n;
	return true;
}

static void expr_fail(struct gfp_expr *e, const char *at)
{
	size_t n = 0;

	if (e->err)
		return;
	e->err = -EINVAL;
	while (at + n < e->end && n < sizeof(e->bad) - 1 && !isspace((unsigned char)at[n]))
		n++;
	memcpy(e->bad, at, n);
	e->bad[n] = 0;
}

static size_t ident_len(const char *p, const char *end)
{
	size_t n = 0;

	if (p >= end || !(isalpha((unsigned char)*p) || *p == '_'))
		return 0;
	while (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_'))
		n++;
	return n;
}

static bool is_type_word(const char *p, size_t n)
{
	static const char *const words[] = {
		"unsigned", "signed", "long", "int", "short", "char", "gfp_t", "__force",
		"__bitwise", "const", "void", "u8", "u16", "u32", "u64", "__u8", "__u16",
		"__u32", "__u64", "size_t", NULL,
	};
	int i;

	for (i = 0; words[i]; i++)
		if (strlen(words[i]) == n && !strncmp(words[i], p, n))
			return true;
	return false;
}

/*
 * At '(': is this a cast? Returns the number of bytes up to and including the
 * closing ')' and sets *narrow when the type is 32 bits wide (gfp_t, int).
 */
static size_t cast_len(const char *p, const char *end, bool *narrow)
{
	const char *q = p + 1;
	bool words = false, is_long = false;
	size_t n;

	*narrow = false;
	for (;;) {
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q < end && *q == ')')
			break;
		if (q < end && *q == '*') {
			is_long = true;
			q++;
			continue;
		}
		n = ident_len(q, end);
		if (!n || !is_type_word(q, n))
			return 0;
		if (n == 4 && !strncmp(q, "long", 4))
			is_long = true;
		if ((n == 5 && !strncmp(q, "gfp_t", 5)) || (n == 3 && !strncmp(q, "int", 3)))
			*narrow = true;
		words = true;
		q += n;
	}
	if (!words)
		return 0;
	if (is_long)
		*narrow = false;
	return q + 1 - p;
}

static __u64 expr_or(struct gfp_expr *e);

static __u64 expr_number(struct gfp_expr *e)
{
	char *q;
	__u64 v;

	errno = 0;
	v = strtoull(e->p, &q, 0);
	if (errno || q == e->p || q > e->end) {
		expr_fail(e, e->p);
		return 0;
	}
	e->p = q;
	while (e->p < e->end && strchr("uUlL", *e->p))
		e->p++;
	return v;
}

static __u64 expr_ident(struct gfp_expr *e)
{
	size_t n = ident_len(e->p, e->end);
	__u64 v = 0;

	if (!n || !e->lookup || e->lookup(e->ctx, e->p, n, &v)) {
		expr_fail(e, e->p);
		return 0;
	}
	e->p += n;
	return v;
}

static __u64 expr_unary_inner(struct gfp_expr *e);

static __u64 expr_unary(struct gfp_expr *e)
{
	__u64 v;

	expr_skip_space(e);
	if (e->err || e->p >= e->end || e->depth >= 200) {
		expr_fail(e, e->p);
		return 0;
	}
	e->depth++;
	v = expr_unary_inner(e);
	e->depth--;
	return v;
}

static __u64 expr_unary_inner(struct gfp_expr *e)
{
	bool narrow;
	size_t n;
	__u64 v;

	if (expr_eat(e, "~"))
		return ~expr_unary(e);
	if (expr_eat(e, "-"))
		return -expr_unary(e);
	if (expr_eat(e, "!"))
		return !expr_unary(e);
	if (*e->p == '(') {
		n = cast_len(e->p, e->end, &narrow);
		if (n) {
			e->p += n;
			v = expr_unary(e);
			return narrow ? (__u32)v : v;
		}
		e->p++;
		v = expr_or(e);
		if (!expr_eat(e, ")"))
			expr_fail(e, e->p);
		return v;
	}
	if (isdigit((unsigned char)*e->p))
		return expr_number(e);
	return expr_ident(e);
}

static __u64 expr_add(struct gfp_expr *e)
{
	__u64 v = expr_unary(e);

	while (!e->err) {
		if (expr_eat(e, "+"))
			v += expr_unary(e);
		else if (expr_eat(e, "-"))
			v -= expr_unary(e);
		else
			break;
	}
	return v;
}

static __u64 expr_shift(struct gfp_expr *e)
{
	__u64 v = expr_add(e), s;

	while (!e->err) {
		if (expr_eat(e, "<<")) {
			s = expr_add(e);
			v = s < 64 ? v << s : 0;
		} else if (expr_eat(e, ">>")) {
			s = expr_add(e);
			v = s < 64 ? v >> s : 0;
		} else {
			break;
		}
	}
	return v;
}

static __u64 expr_and(struct gfp_expr *e)
{
	__u64 v = expr_shift(e);

	while (!e->err && expr_eat(e, "&"))
		v &= expr_shift(e);
	return v;
}

static __u64 expr_xor(struct gfp_expr *e)
{
	__u64 v = expr_and(e);

	while (!e->err && expr_eat(e, "^"))
		v ^= expr_and(e);
	return v;
}

static __u64 expr_or(struct gfp_expr *e)
{
	__u64 v = expr_xor(e);

	while (!e->err && expr_eat(e, "|"))
		v |= expr_xor(e);
	return v;
}

/* Evaluates [p, end) entirely; 0 or -EINVAL with the offending token in bad. */
static int expr_eval(const char *p, const char *end, gfp_lookup_fn lookup, void *ctx,
		     __u64 *val, char *bad, size_t badlen)
{
	struct gfp_expr e = { .p = p, .end = end, .lookup = lookup, .ctx = ctx };

	*val = expr_or(&e);
	expr_skip_space(&e);
	if (!e.err && e.p != e.end)
		expr_fail(&e, e.p);
	if (e.err && bad)
		snprintf(bad, badlen, "%s", e.bad[0] ? e.bad : "(end)");
	return e.err;
}

/* ---- tables ---- */

struct gfp_builder {
	struct kmt_gfp_entry *t;
	size_t n;
};

/*
 * A flag name as the kernel writes them: a C identifier, not "none". Anything
 * else (a '|', a space, nothing, "0x10", "none") would make gfp_format()'s
 * text unreadable to gfp_parse(), which takes those for separators, left-over
 * bits in hex and no flags.
 */
static bool gfp_name_ok(const char *name, size_t len)
{
	size_t i;

	if (!len || isdigit((unsigned char)name[0]) || (len == 4 && !strncmp(name, "none", 4)))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return false;
	return true;
}

static int table_add(struct gfp_builder *b, const char *name, size_t namelen, __u64 mask)
{
	struct kmt_gfp_entry *e;
	size_t i;

	if (b->n >= KMT_GFP_MAX_ENTRIES || namelen >= KMT_GFP_NAME_LEN || mask >> 32)
		return -E2BIG;
	if (!gfp_name_ok(name, namelen))
		return -EINVAL;
	/* a name listed twice: the first wins, as in gfp_parse() and gfp_mask_of() */
	for (i = 0; i < b->n; i++)
		if (!strncmp(b->t[i].name, name, namelen) && !b->t[i].name[namelen])
			return 0;
	if (!b->t) {
		b->t = calloc(KMT_GFP_MAX_ENTRIES, sizeof(*b->t));
		if (!b->t)
			return -ENOMEM;
	}
	e = &b->t[b->n++];
	e->mask = mask;
	e->flags = !mask ? 0 : (mask & (mask - 1)) ? KMT_GFP_COMPOSITE : KMT_GFP_BIT;
	memcpy(e->name, name, namelen);
	e->name[namelen] = 0;
	return 0;
}

__u32 gfp_mask_of(const struct kmt_gfp_entry *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(t[i].name, name, KMT_GFP_NAME_LEN))
			return t[i].mask;
	return 0;
}

static bool table_has(const struct gfp_builder *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->t[i].name, name))
			return true;
	return false;
}

/* ---- BTF: the anonymous enum of ___GFP_*_BIT (6.10 and later) ---- */

static const struct btf_type *btf_gfp_enum(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *m;
	__u32 id, cnt = btf__type_cnt(btf);
	int i;

	for (id = 1; id < cnt; id++) {
		t = btf__type_by_id(btf, id);
		if (!btf_is_enum(t) || t->name_off)
			continue;
		m = btf_enum(t);
		for (i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, m[i].name_off), "___GFP_DMA_BIT"))
				return t;
	}
	return NULL;
}

struct btf_bits {
	const struct btf *btf;
	const struct btf_type *t;
};

/* "___GFP_X_BIT" -> its value, for symbolic print formats. */
static int lookup_bit_enum(void *ctx, const char *name, size_t len, __u64 *val)
{
	const struct btf_bits *bb = ctx;
	const struct btf_enum *m;
	const char *s;
	int i;

	if (!bb || !bb->t)
		return -ENOENT;
	m = btf_enum(bb->t);
	for (i = 0; i < btf_vlen(bb->t); i++) {
		s = btf__name_by_offset(bb->btf, m[i].name_off);
		if (strlen(s) == len && !strncmp(s, name, len)) {
			*val = (__u32)m[i].val;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- tracefs print format ---- */

/* Skips a string literal at *p (pointing at '"'); returns the end or NULL. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : NULL;
}

/* The end of the expression at p: the ',' or '}' or ')' at depth 0. */
static const char *expr_end(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return NULL;
			p--;
		} else if (*p == '(' || *p == '{') {
			depth++;
		} else if ((*p == ')' || *p == '}') && depth) {
			depth--;
		} else if (!depth && (*p == ',' || *p == '}' || *p == ')')) {
			return p;
		}
	}
	return NULL;
}

static const char *skip_ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * One "{ mask, "NAME" }," at *pp: 1 when an entry was added and *pp moved past
 * it, 0 at the end of the list ("{ 0, NULL }" or ")"), negative on errors.
 */
static int parse_flag_entry(const char **pp, struct gfp_builder *b, struct btf_bits *bb,
			    char *why, size_t whylen)
{
	const char *p = skip_ws(*pp), *e, *name;
	char bad[48];
	__u64 mask;
	int err;

	if (*p != '{')
		return *p == ')' ? 0 : -EINVAL;
	p = skip_ws(p + 1);
	e = expr_end(p);
	if (!e || *e != ',')
		return -EINVAL;
	name = skip_ws(e + 1);
	if (*name != '"')	/* { 0, ((void *)0) } or { -1, NULL } */
		return 0;
	err = expr_eval(p, e, lookup_bit_enum, bb, &mask, bad, sizeof(bad));
	if (err) {
		say(why, whylen, "failed to evaluate gfp mask: unknown '%s'%s", bad,
		    bb->t ? "" : " (no BTF to resolve names)");
		return -ENOENT;
	}
	e = skip_string(name);
	if (!e)
		return -EINVAL;
	err = table_add(b, name + 1, e - 1 - (name + 1), mask);
	if (err)
		return err;
	e = skip_ws(e);
	if (*e != '}')
		return -EINVAL;
	e = skip_ws(e + 1);
	*pp = *e == ',' ? e + 1 : e;
	return 1;
}

/* Finds the __print_flags( whose first argument is the gfp_flags field. */
static const char *find_gfp_print_flags(const char *text)
{
	const char *p = text, *arg;

	while ((p = strstr(p, "__print_flags(")) != NULL) {
		p += strlen("__print_flags(");
		arg = expr_end(p);
		if (!arg)
			return NULL;
		if (memmem(p, arg - p, "gfp", 3))
			return p;
	}
	return NULL;
}

int gfp_table__from_format(const char *text, const struct btf *btf,
			   struct kmt_gfp_entry **table, size_t *n, char *why, size_t whylen)
{
	struct btf_bits bb = { .btf = btf, .t = btf ? btf_gfp_enum(btf) : NULL };
	struct gfp_builder b = {};
	const char *p;
	int err = 0;

	p = find_gfp_print_flags(text);
	if (!p) {
		say(why, whylen, "failed to find __print_flags(gfp_flags, ...) in the format");
		return -ENOENT;
	}
	/* skip the flags and delimiter arguments */
	p = expr_end(p);
	p = p && *p == ',' ? expr_end(p + 1) : NULL;
	if (p && *p == ',')
		p++;
	while (p && (err = parse_flag_entry(&p, &b, &bb, why, whylen)) > 0)
		;
	if (!p || err || !b.n) {
		if (err != -ENOENT)
			say(why, whylen, "failed to parse the __print_flags list of the format: %s",
			    err == -E2BIG ? "too many or too long names" : "syntax");
		free(b.t);
		return err ? err : -EINVAL;
	}
	*table = b.t;
	*n = b.n;
	return 0;
}

/*
 * The composite masks, as include/linux/gfp_types.h defines them in the
 * kernels whose BTF has the ___GFP_*_BIT enum (6.10 and later). These are the
 * kernel's definitions; the bit values come from the running kernel's BTF, and
 * a bit the kernel lacks (__GFP_SKIP_KASAN without KASAN_HW_TAGS) counts as 0,
 * as it does there.
 */
static const struct gfp_def {
	const char *name;
	const char *expr;
} gfp_defs[] = {
	{ "__GFP_RECLAIM",		"__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM" },
	{ "GFP_ATOMIC",			"__GFP_HIGH | __GFP_KSWAPD_RECLAIM" },
	{ "GFP_KERNEL",			"__GFP_RECLAIM | __GFP_IO | __GFP_FS" },
	{ "GFP_KERNEL_ACCOUNT",		"GFP_KERNEL | __GFP_ACCOUNT" },
	{ "GFP_NOWAIT",			"__GFP_KSWAPD_RECLAIM | __GFP_NOWARN" },
	{ "GFP_NOIO",			"__GFP_RECLAIM" },
	{ "GFP_NOFS",			"__GFP_RECLAIM | __GFP_IO" },
	{ "GFP_USER",			"__GFP_RECLAIM | __GFP_IO | __GFP_FS | "
					"__GFP_HARDWALL" },
	{ "GFP_DMA",			"__GFP_DMA" },
	{ "GFP_DMA32",			"__GFP_DMA32" },
	{ "GFP_HIGHUSER",		"GFP_USER | __GFP_HIGHMEM" },
	{ "GFP_HIGHUSER_MOVABLE",	"GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN" },
	{ "GFP_TRANSHUGE_LIGHT",	"(GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | "
					"__GFP_NOWARN) & ~__GFP_RECLAIM" },
	{ "GFP_TRANSHUGE",		"GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM" },
};

#define NR_GFP_DEFS (sizeof(gfp_defs) / sizeof(gfp_defs[0]))

/* show_gfp_flags() up to 6.13 (__def_gfpflag_names, then the KASAN extras) */
static const char *const gfp_order_legacy[] = {
	"GFP_TRANSHUGE", "GFP_TRANSHUGE_LIGHT", "GFP_HIGHUSER_MOVABLE", "GFP_HIGHUSER",
	"GFP_USER", "GFP_KERNEL_ACCOUNT", "GFP_KERNEL", "GFP_NOFS", "GFP_ATOMIC", "GFP_NOIO",
	"GFP_NOWAIT", "GFP_DMA", "__GFP_HIGHMEM", "GFP_DMA32", "__GFP_HIGH", "__GFP_IO",
	"__GFP_FS", "__GFP_NOWARN", "__GFP_RETRY_MAYFAIL", "__GFP_NOFAIL", "__GFP_NORETRY",
	"__GFP_COMP", "__GFP_ZERO", "__GFP_NOMEMALLOC", "__GFP_MEMALLOC", "__GFP_HARDWALL",
	"__GFP_THISNODE", "__GFP_RECLAIMABLE", "__GFP_MOVABLE", "__GFP_ACCOUNT", "__GFP_WRITE",
	"__GFP_RECLAIM", "__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM", "__GFP_ZEROTAGS",
	"__GFP_SKIP_ZERO", "__GFP_SKIP_KASAN", NULL,
};

/* show_gfp_flags() from 6.14: these, then every bit of TRACE_GFP_FLAGS in bit order */
static const char *const gfp_order_bits[] = {
	"GFP_TRANSHUGE", "GFP_TRANSHUGE_LIGHT", "GFP_HIGHUSER_MOVABLE", "GFP_HIGHUSER",
	"GFP_USER", "GFP_KERNEL_ACCOUNT", "GFP_KERNEL", "GFP_NOFS", "GFP_ATOMIC", "GFP_NOIO",
	"GFP_NOWAIT", "GFP_DMA", "GFP_DMA32", "__GFP_RECLAIM", NULL,
};

/* Every name gfp_types.h defines: bits from BTF, then gfp_defs[] in order. */
struct gfp_names {
	struct gfp_builder all;		/* the bits, in bit order, then gfp_defs[] */
	size_t nbits;
	const struct btf *btf;
	const struct btf_type *t;
};

/* "__GFP_X" -> 1 << ___GFP_X_BIT, "GFP_X" -> its definition; unknown __GFP_ bits are 0. */
static int lookup_gfp_name(void *ctx, const char *name, size_t len, __u64 *val)
{
	struct gfp_names *gn = ctx;
	size_t i;

	for (i = 0; i < gn->all.n; i++) {
		if (strlen(gn->all.t[i].name) == len && !strncmp(gn->all.t[i].name, name, len)) {
			*val = gn->all.t[i].mask;
			return 0;
		}
	}
	if (len > 6 && !strncmp(name, "__GFP_", 6)) {
		*val = 0;
		return 0;
	}
	return -ENOENT;
}

static int btf_bits_collect(struct gfp_names *gn)
{
	const struct btf_enum *m = btf_enum(gn->t);
	char name[KMT_GFP_NAME_LEN];
	const char *s;
	size_t len;
	int i, err;

	for (i = 0; i < btf_vlen(gn->t); i++) {
		s = btf__name_by_offset(gn->btf, m[i].name_off);
		len = strlen(s);
		if (strncmp(s, "___GFP_", 7) || len < 12 || strcmp(s + len - 4, "_BIT"))
			continue;
		if (!strcmp(s, "___GFP_UNUSED_BIT") || !strcmp(s, "___GFP_LAST_BIT"))
			continue;
		if (m[i].val < 0 || m[i].val >= 32)
			return -ERANGE;
		/* "___GFP_DMA_BIT" -> "__GFP_DMA" */
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), s + 1);
		err = table_add(&gn->all, name, strlen(name), 1ull << m[i].val);
		if (err)
			return err;
	}
	gn->nbits = gn->all.n;
	return 0;
}

static int btf_defs_eval(struct gfp_names *gn, char *why, size_t whylen)
{
	const char *s;
	char bad[48];
	__u64 v;
	size_t i;
	int err;

	for (i = 0; i < NR_GFP_DEFS; i++) {
		s = gfp_defs[i].expr;
		err = expr_eval(s, s + strlen(s), lookup_gfp_name, gn, &v, bad, sizeof(bad));
		if (!err)
			err = table_add(&gn->all, gfp_defs[i].name, strlen(gfp_defs[i].name), v);
		if (err) {
			say(why, whylen, "failed to evaluate %s: %s", gfp_defs[i].name,
			    strerror(-err));
			return err;
		}
	}
	return 0;
}

static int copy_named(struct gfp_builder *b, const struct gfp_builder *all, const char *name,
		      bool skip_zero)
{
	size_t i;

	for (i = 0; i < all->n; i++) {
		if (strcmp(all->t[i].name, name))
			continue;
		if (skip_zero && !all->t[i].mask)
			return 0;
		return table_add(b, name, strlen(name), all->t[i].mask);
	}
	return 0;	/* a bit this kernel does not have */
}

static int btf_layout(struct gfp_builder *b, const struct gfp_names *gn,
		      enum kmt_gfp_order order)
{
	const struct gfp_builder *all = &gn->all;
	const char *const *names = order == KMT_GFP_ORDER_BITS ? gfp_order_bits : gfp_order_legacy;
	size_t i;
	int err;

	for (i = 0; names[i]; i++) {
		err = copy_named(b, all, names[i], true);
		if (err)
			return err;
	}
	if (order != KMT_GFP_ORDER_BITS)
		return 0;
	for (i = 0; i < gn->nbits; i++) {
		if (!table_has(b, all->t[i].name)) {
			err = table_add(b, all->t[i].name, strlen(all->t[i].name), all->t[i].mask);
			if (err)
				return err;
		}
	}
	return 0;
}

int gfp_table__from_btf(const struct btf *btf, enum kmt_gfp_order order,
			struct kmt_gfp_entry **table, size_t *n, char *why, size_t whylen)
{
	struct gfp_names gn = { .btf = btf };
	struct gfp_builder b = {};
	int err;

	gn.t = btf ? btf_gfp_enum(btf) : NULL;
	if (!gn.t) {
		say(why, whylen, "failed to find the ___GFP_*_BIT enum in BTF (kernel < 6.10?)");
		return -ENOENT;
	}
	err = btf_bits_collect(&gn);
	if (!err)
		err = btf_defs_eval(&gn, why, whylen);
	if (!err)
		err = btf_layout(&b, &gn, order);
	free(gn.all.t);
	if (err) {
		free(b.t);
		return err;
	}
	*table = b.t;
	*n = b.n;
	return 0;
}

enum kmt_gfp_order gfp_order_for_release(const char *release)
{
	unsigned int major = 0, minor = 0;

	if (sscanf(release, "%u.%u", &major, &minor) != 2)
		return KMT_GFP_ORDER_BITS;
	return major > 6 || (major == 6 && minor >= 14) ? KMT_GFP_ORDER_BITS
							: KMT_GFP_ORDER_LEGACY;
}

/* ---- the running kernel ---- */

static int read_kmalloc_format(bool may_mount, char **text, char *why, size_t whylen)
{
	static const char *const events[] = { "kmalloc", "kmem_cache_alloc", "mm_page_alloc" };
	char path[256], tfwhy[160];
	const char *dir;
	size_t i, len;
	int err = -ENOENT;

	dir = sysinfo__tracefs_dir(may_mount, tfwhy, sizeof(tfwhy));
	if (!dir) {
		say(why, whylen, "%s", tfwhy);
		return -ENOENT;
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/kmem/%s/format", dir, events[i]);
		err = sysinfo__read_file(path, text, &len);
		if (!err)
			return 0;
	}
	say(why, whylen, "failed to read %s: %s", path, strerror(-err));
	return err;
}

static int from_btf_only(struct btf *btf, struct kmt_gfp_entry **table, size_t *n,
			 const char *tfwhy, char *why, size_t whylen)
{
	char bwhy[160] = "";
	struct utsname u;
	int err;

	if (!btf) {
		say(why, whylen, "no GFP table: %s; no kernel BTF", tfwhy);
		return -ENOENT;
	}
	uname(&u);
	err = gfp_table__from_btf(btf, gfp_order_for_release(u.release), table, n,
				  bwhy, sizeof(bwhy));
	if (err)
		say(why, whylen, "no GFP table: %s; %s", tfwhy, bwhy);
	else
		say(why, whylen, "GFP table from BTF and gfp_types.h (%s)", tfwhy);
	return err;
}

int gfp_table__learn(bool may_mount, struct kmt_gfp_entry **table, size_t *n, char *why,
		     size_t whylen)
{
	char fwhy[160] = "", pwhy[160] = "";
	struct btf *btf = NULL;
	char *text = NULL;
	int err;

	err = read_kmalloc_format(may_mount, &text, fwhy, sizeof(fwhy));
	if (!err) {
		err = gfp_table__from_format(text, NULL, table, n, pwhy, sizeof(pwhy));
		if (!err) {
			say(why, whylen, "GFP table from the kmem:kmalloc print format");
			free(text);
			return 0;
		}
	}
	btf = btf__load_vmlinux_btf();
	if (btf && text) {
		/* 6.10-6.13 print ___GFP_*_BIT names: evaluate them with BTF */
		err = gfp_table__from_format(text, btf, table, n, pwhy, sizeof(pwhy));
		if (!err)
			say(why, whylen, "GFP table from the kmem:kmalloc print format and BTF");
	}
	if (err || !text)
		err = from_btf_only(btf, table, n, text ? pwhy : fwhy, why, whylen);
	btf__free(btf);
	free(text);
	return err;
}

int gfp_table__from_system(struct kmt_gfp_entry **table, size_t *n, char *why, size_t whylen)
{
	return gfp_table__learn(true, table, n, why, whylen);
}

/* ---- printing and parsing flags ---- */

struct out {
	char *buf;
	size_t len;
	size_t pos;
};

static void out_puts(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->pos < o->len)
		snprintf(o->buf + o->pos, o->len - o->pos, "%s", s);
	o->pos += n;
}

/* As trace_print_flags_seq(): first matching entries win, left-overs in hex. */
size_t gfp_format(const struct kmt_gfp_entry *t, size_t n, __u32 gfp, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	unsigned long flags = gfp;
	bool first = true;
	char hex[24];
	size_t i;

	if (len)
		buf[0] = 0;
	if (!gfp) {
		out_puts(&o, "none");
		return o.pos;
	}
	for (i = 0; i < n && flags; i++) {
		if ((flags & t[i].mask) != t[i].mask)
			continue;
		flags &= ~(unsigned long)t[i].mask;
		if (!first)
			out_puts(&o, "|");
		first = false;
		out_puts(&o, t[i].name);
	}
	if (flags) {
		if (!first)
			out_puts(&o, "|");
		snprintf(hex, sizeof(hex), "0x%lx", flags);
		out_puts(&o, hex);
	}
	return o.pos;
}

static int parse_one(const struct kmt_gfp_entry *t, size_t n, const char *s, size_t len,
		     __u32 *gfp)
{
	unsigned long long v;
	char tmp[KMT_GFP_NAME_LEN], *end;
	size_t i;

	if (!len || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	for (i = 0; i < n; i++) {
		if (!strcmp(t[i].name, tmp)) {
			*gfp |= t[i].mask;
			return 0;
		}
	}
	if (strncmp(tmp, "0x", 2))
		return -EINVAL;
	errno = 0;
	v = strtoull(tmp, &end, 16);
	if (errno || *end || v >> 32)
		return -EINVAL;
	*gfp |= v;
	return 0;
}

int gfp_parse(const struct kmt_gfp_entry *t, size_t n, const char *text, __u32 *gfp)
{
	const char *p = text, *bar;
	int err;

	*gfp = 0;
	if (!strcmp(text, "none") || !strcmp(text, "0x0"))
		return 0;
	for (;;) {
		bar = strchr(p, '|');
		err = parse_one(t, n, p, bar ? (size_t)(bar - p) : strlen(p), gfp);
		if (err || !bar)
			return err;
		p = bar + 1;
	}
}

int gfp_table__from_meta(const void *val, __u32 len, struct kmt_gfp_entry **table, size_t *n)
{
	const size_t esz = sizeof(struct kmt_gfp_entry);
	struct kmt_gfp_entry *t;
	size_t i, cnt;

	if (!val || !len || len % esz || len / esz > KMT_GFP_MAX_ENTRIES)
		return -EINVAL;
	cnt = len / esz;
	t = malloc(len);	/* a copy: val need not be aligned */
	if (!t)
		return -ENOMEM;
	memcpy(t, val, len);
	for (i = 0; i < cnt; i++) {
		if (!memchr(t[i].name, 0, sizeof(t[i].name)) ||
		    !gfp_name_ok(t[i].name, strlen(t[i].name))) {
			free(t);
			return -EINVAL;
		}
	}
	*table = t;
	*n = cnt;
	return 0;
}
