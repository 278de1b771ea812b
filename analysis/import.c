// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Text captures to events: see import.h.
 *
 * An event line is "HEADER TIMESTAMP: EVENT: FIELDS". The timestamp is found
 * first (the first word shaped like one and followed by an event name); the
 * header before it is read from the right (latency flags, CPU, TGID, then
 * the task), which copes with spaces and dashes in task names; the fields
 * after the event name are read by name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "import.h"
#include "u64set.h"

#define KERNEL_SPACE	0xffff800000000000ull	/* lowest x86-64 kernel address */

/* Context word units (include/linux/preempt.h, as KMT_CTX_* lays the word out) */
#define CTX_BH_DISABLE_OFFSET	0x00000200u	/* SOFTIRQ_DISABLE_OFFSET */
#define CTX_HARDIRQ_OFFSET	0x00010000u
#define CTX_NMI_OFFSET		0x00100000u

/* ---- interned strings: symbol and cache names ---- */

struct strtab {
	struct kmt_map map;	/* hash -> index */
	char **v;
	size_t n, cap;
};

static __u64 fnv1a(const char *s, size_t len)
{
	__u64 h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* Index of s (0-based), added if new (*added set); -ENOMEM. */
static long strtab__intern(struct strtab *t, const char *s, bool *added)
{
	__u64 h = fnv1a(s, strlen(s));
	__u32 *idx;
	char **v;

	*added = false;
	for (;; h = h * 31 + 1) {
		idx = kmt_map__get(&t->map, h);
		if (!idx)
			break;
		if (!strcmp(t->v[*idx], s))
			return *idx;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		v = realloc(t->v, t->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
	}
	t->v[t->n] = strdup(s);
	if (!t->v[t->n] || kmt_map__put(&t->map, h, t->n)) {
		free(t->v[t->n]);
		return -ENOMEM;
	}
	*added = true;
	return t->n++;
}

static void strtab__free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	kmt_map__free(&t->map);
}

/* ---- the importer ---- */

struct stored_stack {
	__u32 nr;
	__u64 *ips;
};

struct importer {
	struct import_opts opts;
	struct kmt_sink sink;
	struct import_stats st;
	char err[256];
	char *buf;			/* the current line, cut into words */
	size_t buf_cap;
	struct strtab syms;		/* "name\tmodule" */
	struct u64set sym_sent;		/* addresses whose kmt_sym was handed over */
	struct strtab cache_names;
	struct kmt_cache_def *caches;	/* by cache name index */
	struct kmt_map task_idx;	/* tid -> index in tasks */
	struct kmt_task *tasks;
	size_t nr_tasks, tasks_cap;
	struct kmt_map stack_idx;	/* hash of ips -> stack id */
	struct stored_stack *stacks;
	size_t nr_stacks, stacks_cap;
	struct kmt_event pending;	/* held back until its stack lines are read */
	bool has_pending;
	bool frames_open;		/* frame lines now belong to pending */
	bool frames_ignored;		/* a user stack: its frames are not kept */
	__u64 ips[KMT_MAX_STACK_DEPTH];
	__u32 nr_ips;
};

static void bad(struct importer *imp, __u64 lineno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(struct importer *imp, __u64 lineno, const char *fmt, ...)
{
	struct import_bad_line *b;
	va_list ap;

	if (imp->st.malformed++ >= IMPORT_BAD_SHOWN)
		return;
	b = &imp->st.bad[imp->st.malformed - 1];
	b->lineno = lineno;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof(b->why), fmt, ap);
	va_end(ap);
}

struct importer *importer__new(const struct import_opts *opts, const struct kmt_sink *sink)
{
	struct importer *imp = calloc(1, sizeof(*imp));

	if (!imp)
		return NULL;
	if (opts)
		memcpy(&imp->opts, opts, opts->sz < sizeof(*opts) ? opts->sz : sizeof(*opts));
	if (sink)
		imp->sink = *sink;
	imp->st.max_cpu = -1;
	imp->st.pageblock_order = -1;
	return imp;
}

void importer__free(struct importer *imp)
{
	if (!imp)
		return;
	strtab__free(&imp->syms);
	strtab__free(&imp->cache_names);
	u64set__free(&imp->sym_sent);
	kmt_map__free(&imp->task_idx);
	kmt_map__free(&imp->stack_idx);
	for (size_t i = 0; i < imp->nr_stacks; i++)
		free(imp->stacks[i].ips);
	free(imp->stacks);
	free(imp->tasks);
	free(imp->caches);
	free(imp->buf);
	free(imp);
}

const struct import_stats *importer__stats(const struct importer *imp)
{
	return &imp->st;
}

const char *importer__error(const struct importer *imp)
{
	return imp->err;
}

/* ---- words ---- */

/* The next whitespace-separated word of *p, NUL-terminated in place; NULL at the end. */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = 0;
	*p = s;
	return w;
}

static bool all_digits(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool all_xdigits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* A whole word as a number: "-12", "42", "0x1f". */
static int parse_num(const char *s, __u64 *v)
{
	char *end;

	errno = 0;
	if (s[0] == '-')
		*v = (__u64)strtoll(s, &end, 10);
	else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		*v = strtoull(s + 2, &end, 16);
	else
		*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || (s[0] == '0' && s[1] == 'x' && !s[2]))
		return -EINVAL;
	return 0;
}

/*
 * A %p value: "0xffff888102cdec20" (perf), "ffff888102cdec20" (tracefs
 * unhashed), "00000000281b1b4b" (tracefs hashed), "(nil)" / "(null)".
 */
static int parse_ptr(const char *s, __u64 *v, bool *hashed)
{
	bool prefixed = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	char *end;

	*hashed = false;
	if (!strcmp(s, "(nil)") || !strcmp(s, "(null)")) {
		*v = 0;
		return 0;
	}
	if (prefixed)
		s += 2;
	if (!all_xdigits(s) || strlen(s) > 16)
		return -EINVAL;
	*v = strtoull(s, &end, 16);
	*hashed = !prefixed && *v && *v <= 0xffffffffull;
	return 0;
}

/* ---- timestamps and event names ---- */

/*
 * "5212.317503:" (seconds, 1-9 decimals), "5304883699us", "5304883137us!:"
 * (latency-format: microseconds and a delay mark), or a bare integer counter
 * "123456:". *colon says whether the word carried its ':'.
 */
static bool parse_ts(const char *w, __u64 *ns, bool *colon)
{
	size_t len = strlen(w), i = 0, fd = 0;
	__u64 sec = 0, frac = 0;

	while (i < len && isdigit((unsigned char)w[i]) && i < 19)
		sec = sec * 10 + (w[i++] - '0');
	if (!i)
		return false;
	if (w[i] == 'u' && w[i + 1] == 's') {
		i += 2;
		if (i < len && w[i] != ':' && ispunct((unsigned char)w[i]))
			i++;	/* delay mark: ! # $ + * @ and so on */
		*colon = w[i] == ':';
		*ns = sec * 1000;
		return i + *colon == len;
	}
	if (w[i] == '.') {
		for (i++; isdigit((unsigned char)w[i]); i++, fd++)
			if (fd < 9)
				frac = frac * 10 + (w[i] - '0');
		if (!fd)
			return false;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	*colon = true;
	*ns = sec * 1000000000ull + frac;
	return w[i] == ':' && i + 1 == len;
}

static bool is_event_word(const char *w)
{
	size_t len = strlen(w);

	if (!strcmp(w, "<stack") || !strcmp(w, "<user"))
		return true;
	if (len < 2 || w[len - 1] != ':')
		return false;
	for (size_t i = 0; i < len - 1; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '_' && w[i] != ':' && w[i] != '-')
			return false;
	return true;
}

static int event_type(const char *name)
{
	const char *colon = strchr(name, ':');

	if (colon)
		name = colon + 1;
	if (!strcmp(name, "kmalloc_node"))
		return KMT_EV_KMALLOC;
	if (!strcmp(name, "kmem_cache_alloc_node"))
		return KMT_EV_CACHE_ALLOC;
	return kmt_event_type_from_name(name);
}

/* ---- the header: task, TGID, CPU, latency flags ---- */

struct header {
	char *comm;		/* NULL: unknown */
	bool has_tid, has_tgid, has_cpu;
	__u32 tid, tgid, cpu;
	const char *flags;	/* latency columns, NULL when absent */
};

/* "d.h2." (5.13+: five columns) or "d.h2" (four): irqs, resched, hard/soft, depth[, migrate] */
static bool is_flags(const char *w, size_t len)
{
	if (len != 4 && len != 5)
		return false;
	return strchr(".dDbX", w[0]) && strchr(".nNpBLl", w[1]) && strchr(".hHsSzZ", w[2]) &&
	       (w[3] == '.' || isxdigit((unsigned char)w[3])) &&
	       (len == 4 || w[4] == '.' || isxdigit((unsigned char)w[4]));
}

struct hword {
	size_t start, len;
};

#define HEADER_WORDS	32
#define MAX_CPUS	8192	/* the largest CONFIG_NR_CPUS */

static int split_words(const char *s, size_t len, struct hword *w, int max)
{
	int n = 0;

	for (size_t i = 0; i < len && n < max;) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		w[n].start = i;
		while (i < len && !isspace((unsigned char)s[i]))
			i++;
		w[n].len = i - w[n].start;
		n++;
	}
	return n;
}

/* CPU and latency flags ending the header: "[001] d..2.", "[001]", "0d..2."; returns words left */
static int header_cpu(struct header *h, const char *s, const struct hword *w, int n)
{
	const char *p;
	size_t len, i;

	if (n && is_flags(s + w[n - 1].start, w[n - 1].len))
		h->flags = s + w[--n].start;
	if (!n)
		return n;
	p = s + w[n - 1].start;
	len = w[n - 1].len;
	if (len >= 3 && p[0] == '[' && p[len - 1] == ']' && all_digits(p + 1, len - 2)) {
		h->has_cpu = true;
		h->cpu = strtoul(p + 1, NULL, 10);
		return n - 1;
	}
	for (i = 0; i < len && isdigit((unsigned char)p[i]); i++)
		;
	if (!h->flags && i && is_flags(p + i, len - i)) {	/* latency-format, report -l */
		h->flags = p + i;
		h->has_cpu = true;
		h->cpu = strtoul(p, NULL, 10);
		return n - 1;
	}
	return n;
}

/* record-tgid's "(   1234)" or "(-------)"; returns words left */
static int header_tgid(struct header *h, const char *s, const struct hword *w, int n)
{
	int first = n - 1;
	const char *p, *end;

	if (!n || s[w[n - 1].start + w[n - 1].len - 1] != ')')
		return n;
	while (first >= 0 && s[w[first].start] != '(')
		first--;
	if (first < 0)
		return n;
	p = s + w[first].start + 1;
	end = s + w[n - 1].start + w[n - 1].len - 1;
	while (p < end && *p == ' ')
		p++;
	if (all_digits(p, end - p)) {
		h->has_tgid = true;
		h->tgid = strtoul(p, NULL, 10);
	}
	return first;
}

/* perf script: "comm tid", "comm pid/tid", or "comm" alone */
static void header_task_perf(struct header *h, char *s, const struct hword *w, int n)
{
	const char *p = n ? s + w[n - 1].start : NULL, *slash;
	size_t len = n ? w[n - 1].len : 0;

	slash = p ? memchr(p, '/', len) : NULL;
	if (slash && all_digits(p, slash - p) && all_digits(slash + 1, p + len - slash - 1)) {
		h->has_tgid = h->has_tid = true;
		h->tgid = strtoul(p, NULL, 10);
		h->tid = strtoul(slash + 1, NULL, 10);
		n--;
	} else if (p && all_digits(p, len)) {
		h->has_tid = true;
		h->tid = strtoul(p, NULL, 10);
		n--;
	}
	if (!n)
		return;
	s[w[n - 1].start + w[n - 1].len] = 0;
	h->comm = s + w[0].start;
}

/* tracefs, trace-cmd: "[instance: ]comm-pid"; the comm may hold dashes and spaces */
static int header_task_tracefs(struct header *h, char *s, const struct hword *w, int n)
{
	int first = 0;
	char *task, *dash;

	if (n > 1 && s[w[0].start + w[0].len - 1] == ':')	/* trace-cmd's instance name */
		first = 1;
	if (first >= n)
		return -EINVAL;
	s[w[n - 1].start + w[n - 1].len] = 0;
	task = s + w[first].start;
	dash = strrchr(task, '-');
	if (!dash || !all_digits(dash + 1, strlen(dash + 1)))
		return -EINVAL;
	*dash = 0;
	h->has_tid = true;
	h->tid = strtoul(dash + 1, NULL, 10);
	h->comm = *task && strcmp(task, "<...>") ? task : NULL;
	return 0;
}

/* The header: s[0, len) is modified (the comm is cut out of it). NULL, or what is wrong. */
static const char *parse_header(struct header *h, char *s, size_t len, enum import_format fmt)
{
	struct hword w[HEADER_WORDS];
	int n = split_words(s, len, w, HEADER_WORDS);

	memset(h, 0, sizeof(*h));
	n = header_cpu(h, s, w, n);
	if (h->has_cpu && h->cpu >= MAX_CPUS)
		return "CPU number out of range";
	n = header_tgid(h, s, w, n);
	if (fmt == IMPORT_FMT_PERF)
		header_task_perf(h, s, w, n);
	else if (header_task_tracefs(h, s, w, n))
		return "no task-pid before the CPU column";
	return NULL;
}

/*
 * The latency columns as the context word. tracefs prints (trace_output.c,
 * trace_print_lat_fmt): irqs-off 'd', BH-disabled 'b', both 'D'; hardirq 'h',
 * softirq 's', hardirq in softirq 'H', NMI 'z', NMI in hardirq 'Z'; then the
 * preempt depth (caller's, saturated at 15) in hex.
 */
static __u32 ctx_from_flags(const char *f, bool *irqs_off)
{
	__u32 ctx = KMT_CTX_PC_KNOWN;

	*irqs_off = f[0] == 'd' || f[0] == 'D';
	if (f[0] == 'b' || f[0] == 'D')
		ctx |= CTX_BH_DISABLE_OFFSET;	/* at least one level */
	switch (f[2]) {
	case 'Z': ctx |= CTX_NMI_OFFSET | CTX_HARDIRQ_OFFSET; break;
	case 'z': ctx |= CTX_NMI_OFFSET; break;
	case 'H': ctx |= CTX_HARDIRQ_OFFSET | KMT_CTX_SOFTIRQ_SERVING; break;
	case 'h': ctx |= CTX_HARDIRQ_OFFSET; break;
	case 's': ctx |= KMT_CTX_SOFTIRQ_SERVING; break;
	}
	if (f[3] != '.')
		ctx |= isdigit((unsigned char)f[3]) ? f[3] - '0' : tolower(f[3]) - 'a' + 10;
	return ctx;
}

/* ---- fields ---- */

enum fslot {
	F_PTR, F_CALL_SITE, F_SIZE, F_SIZE2, F_AUX, F_AUX2, F_GFP, F_NODE, F_ORDER, F_MT,
	F_ARG, F_ARG2,
	F_CACHE_NAME,		/* kmem_cache_alloc/free name=: a synthetic cache in aux */
	F_RESERVED,		/* percpu: arg bit 0 */
	F_ATOMIC,		/* percpu: arg bit 1 */
	F_PAGE,			/* struct page * of page events: tells failed allocations */
	F_PB_ORDER,		/* extfrag's pageblock_order: trace metadata */
	F_REASON,		/* tlb_flush "reason:text (N)" */
};

enum fkind { K_NUM, K_PTR, K_SYM, K_GFP, K_STR, K_PAREN };

struct ifield {
	const char *name;
	__u8 slot;		/* enum fslot */
	__u8 kind;		/* enum fkind */
	__u8 required;		/* a line without it is malformed */
};

#define MAX_FIELDS	12
#define END		{ NULL, 0, 0, 0 }
#define CALL_SITE	{ "call_site", F_CALL_SITE, K_SYM, 0 }
#define OBJ_PTR		{ "ptr", F_PTR, K_PTR, 1 }
#define SLAB_SIZES	{ "bytes_req", F_SIZE, K_NUM, 0 }, { "bytes_alloc", F_SIZE2, K_NUM, 0 }, \
			{ "gfp_flags", F_GFP, K_GFP, 0 }, { "node", F_NODE, K_NUM, 0 }
#define PAGE_PFN	{ "page", F_PAGE, K_PTR, 0 }, { "pfn", F_PTR, K_NUM, 1 }
#define ORDER		{ "order", F_ORDER, K_NUM, 0 }
#define MT		{ "migratetype", F_MT, K_NUM, 0 }

/* Field names as each kernel version's TP_printk spells them. */
static const struct ifield fields[KMT_EV_MAX][MAX_FIELDS] = {
	[KMT_EV_KMALLOC] = { CALL_SITE, OBJ_PTR, SLAB_SIZES, END },
	[KMT_EV_KFREE] = { CALL_SITE, OBJ_PTR, END },
	[KMT_EV_CACHE_ALLOC] = { CALL_SITE, OBJ_PTR, SLAB_SIZES,
		{ "name", F_CACHE_NAME, K_STR, 0 }, END },
	[KMT_EV_CACHE_FREE] = { CALL_SITE, OBJ_PTR, { "name", F_CACHE_NAME, K_STR, 0 }, END },
	[KMT_EV_PAGE_ALLOC] = { PAGE_PFN, ORDER, MT, { "gfp_flags", F_GFP, K_GFP, 0 }, END },
	[KMT_EV_PAGE_FREE] = { PAGE_PFN, ORDER, END },
	[KMT_EV_PAGE_FREE_BATCHED] = { PAGE_PFN, ORDER, END },
	[KMT_EV_PAGE_ALLOC_ZONE_LOCKED] = { PAGE_PFN, ORDER, MT,
		{ "percpu_refill", F_ARG, K_NUM, 0 }, END },
	[KMT_EV_PAGE_PCPU_DRAIN] = { PAGE_PFN, ORDER, MT, END },
	[KMT_EV_PAGE_ALLOC_EXTFRAG] = { PAGE_PFN, { "alloc_order", F_ORDER, K_NUM, 0 },
		{ "fallback_order", F_ARG, K_NUM, 0 }, { "alloc_migratetype", F_MT, K_NUM, 0 },
		{ "fallback_migratetype", F_AUX, K_NUM, 0 },
		{ "change_ownership", F_ARG2, K_NUM, 0 },
		{ "pageblock_order", F_PB_ORDER, K_NUM, 0 }, END },
	[KMT_EV_VMAP_ALLOC] = { { "va_start", F_PTR, K_NUM, 1 }, { "size", F_SIZE, K_NUM, 0 },
		{ "align", F_SIZE2, K_NUM, 0 }, { "vstart", F_AUX, K_NUM, 0 },
		{ "vend", F_AUX2, K_NUM, 0 }, { "failed", F_ARG, K_NUM, 0 }, END },
	[KMT_EV_VMAP_FREE] = { { "va_start", F_PTR, K_NUM, 1 }, { "nr_lazy", F_SIZE, K_NUM, 0 },
		{ "nr_lazy_max", F_SIZE2, K_NUM, 0 }, END },
	[KMT_EV_VMAP_PURGE] = { { "start", F_PTR, K_NUM, 1 }, { "end", F_AUX, K_NUM, 0 },
		{ "num_purged", F_SIZE, K_NUM, 0 }, { "npurged", F_SIZE, K_NUM, 0 }, END },
	[KMT_EV_PERCPU_ALLOC] = { CALL_SITE, { "reserved", F_RESERVED, K_NUM, 0 },
		{ "is_atomic", F_ATOMIC, K_NUM, 0 }, { "size", F_SIZE, K_NUM, 0 },
		{ "align", F_ARG2, K_NUM, 0 }, { "base_addr", F_AUX, K_PTR, 1 },
		{ "off", F_AUX2, K_NUM, 1 }, { "ptr", F_PTR, K_PTR, 0 },
		{ "bytes_alloc", F_SIZE2, K_NUM, 0 }, { "gfp_flags", F_GFP, K_GFP, 0 }, END },
	[KMT_EV_PERCPU_FREE] = { { "base_addr", F_AUX, K_PTR, 1 }, { "off", F_AUX2, K_NUM, 1 },
		{ "ptr", F_PTR, K_PTR, 0 }, END },
	[KMT_EV_TLB_FLUSH] = { { "pages", F_SIZE, K_NUM, 1 }, { "reason", F_REASON, K_PAREN, 0 },
		END },
	[KMT_EV_PERCPU_CHUNK_CREATE] = { { "base_addr", F_PTR, K_PTR, 1 }, END },
	[KMT_EV_PERCPU_CHUNK_DESTROY] = { { "base_addr", F_PTR, K_PTR, 1 }, END },
};

/* What one line's fields tell beyond the event itself. */
struct line_ctx {
	struct importer *imp;
	__u64 lineno;
	const char *orig;	/* the unmodified line, for text that holds spaces */
	size_t len;		/* its length without the newline */
	const char *copy;	/* the line being cut into words: orig's offsets */
	__u32 seen;		/* bit per field table index */
	bool page_null;
	long cache;		/* cache name index, -1 none */
};

static void set_slot(struct kmt_event *e, enum fslot slot, __u64 v)
{
	switch (slot) {
	case F_PTR: e->ptr = v; break;
	case F_CALL_SITE: e->call_site = v; break;
	case F_SIZE: e->size = v; break;
	case F_SIZE2: e->size2 = v; break;
	case F_AUX: e->aux = v; break;
	case F_AUX2: e->aux2 = v; break;
	case F_GFP: e->gfp = (__u32)v; break;
	case F_NODE: e->node = (__s32)v; break;
	case F_ORDER: e->order = (__s32)v; break;
	case F_MT: e->mt = (__s32)v; break;
	case F_ARG: e->arg = (__s32)v; break;
	case F_ARG2: e->arg2 = (__s32)v; break;
	case F_RESERVED: e->arg = (e->arg & ~1) | (v ? 1 : 0); break;
	case F_ATOMIC: e->arg = (e->arg & ~2) | (v ? 2 : 0); break;
	case F_REASON: e->arg = (__s32)v; break;
	default: break;
	}
}

/* ---- definitions: symbols, caches, tasks, stacks ---- */

static int emit_sym(struct importer *imp, __u64 addr, const char *name, __u64 off,
		    const char *module)
{
	struct kmt_sym s = { .addr = addr, .offset = off };
	int added = u64set__add(&imp->sym_sent, addr);

	if (added <= 0 || !imp->sink.sym)
		return added < 0 ? added : 0;
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.module, sizeof(s.module), "%s", module ? module : "");
	return imp->sink.sym(imp->sink.ctx, &s);
}

/*
 * A call site or a stack frame as printed: hex stays an address; a symbol,
 * "name", "name+0x1a" or "name+0x1a/0x40", gets its synthetic address.
 */
static int site_addr(struct importer *imp, char *text, const char *module, __u64 *addr)
{
	bool prefixed = text[0] == '0' && text[1] == 'x';
	char key[sizeof(((struct kmt_sym *)0)->name) + 64], *plus, *slash;
	__u64 off = 0;
	bool added;
	long idx;

	if (!strcmp(text, "(nil)") || !strcmp(text, "(null)")) {
		*addr = 0;
		return 0;
	}
	if (all_xdigits(text + 2 * prefixed) && (prefixed || strlen(text) >= 8)) {
		*addr = strtoull(text, NULL, 16);
		return 0;
	}
	plus = strrchr(text, '+');
	if (plus) {
		slash = strchr(plus, '/');
		if (slash)
			*slash = 0;
		if (parse_num(plus + 1, &off))
			return -EINVAL;
		*plus = 0;
	}
	if (!*text || strlen(text) >= sizeof(((struct kmt_sym *)0)->name))
		return -EINVAL;
	snprintf(key, sizeof(key), "%s\t%s", text, module ? module : "");
	idx = strtab__intern(&imp->syms, key, &added);
	if (idx < 0)
		return idx;
	*addr = KMT_IMPORT_SYM_BASE + ((__u64)(idx + 1) << KMT_IMPORT_SYM_SHIFT) +
		(off & ((1ull << KMT_IMPORT_SYM_SHIFT) - 1));
	return emit_sym(imp, *addr, text, off, module);
}

/* The synthetic address of the cache named name; its definition is handed over when new. */
static long intern_cache(struct importer *imp, const char *name, __u64 *addr)
{
	struct kmt_cache_def *c;
	bool added;
	long idx = strtab__intern(&imp->cache_names, name, &added);

	if (idx < 0)
		return idx;
	*addr = KMT_IMPORT_CACHE_BASE + (idx + 1) * KMT_IMPORT_CACHE_STEP;
	if (!added)
		return idx;
	c = realloc(imp->caches, imp->cache_names.cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	imp->caches = c;
	c = &c[idx];
	memset(c, 0, sizeof(*c));
	c->cache = *addr;
	c->order = -1;		/* pages per slab: not in the text */
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (imp->sink.cache)
		return imp->sink.cache(imp->sink.ctx, c) ?: idx;
	return idx;
}

/* kmem_cache_alloc prints the cache's object size (bytes_req) and slot size (bytes_alloc). */
static int cache_sizes(struct importer *imp, long idx, const struct kmt_event *e)
{
	struct kmt_cache_def *c = &imp->caches[idx];

	if (c->size || !e->size2)
		return 0;
	c->object_size = e->size;
	c->size = e->size2;
	return imp->sink.cache ? imp->sink.cache(imp->sink.ctx, c) : 0;
}

/* Describes the task when new or changed; fills e's tgid when another line printed it. */
static int note_task(struct importer *imp, struct kmt_event *e, const char *comm)
{
	struct kmt_task t = { .tgid = e->tgid, .tid = e->tid }, *v;
	__u32 *idx;

	if (e->flags & KMT_EVF_NO_TID)
		return 0;
	idx = kmt_map__get(&imp->task_idx, e->tid);
	if (idx && !t.tgid)
		e->tgid = t.tgid = imp->tasks[*idx].tgid;
	if (!comm)
		return 0;
	snprintf(t.comm, sizeof(t.comm), "%s", e->tid ? comm : "swapper");
	if (idx && !memcmp(&imp->tasks[*idx], &t, sizeof(t)))
		return 0;
	if (!idx) {
		if (imp->nr_tasks == imp->tasks_cap) {
			imp->tasks_cap = imp->tasks_cap ? imp->tasks_cap * 2 : 256;
			v = realloc(imp->tasks, imp->tasks_cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			imp->tasks = v;
		}
		if (kmt_map__put(&imp->task_idx, e->tid, imp->nr_tasks))
			return -ENOMEM;
		idx = kmt_map__get(&imp->task_idx, e->tid);
		imp->nr_tasks++;
	}
	imp->tasks[*idx] = t;
	return imp->sink.task ? imp->sink.task(imp->sink.ctx, &t) : 0;
}

/* The id of a stack (the same ips always get the same id); -ENOMEM. */
static long intern_stack(struct importer *imp, const __u64 *ips, __u32 nr)
{
	__u64 h = fnv1a((const char *)ips, nr * sizeof(*ips));
	struct kmt_stack s = { .nr = nr };
	struct stored_stack *v;
	__u32 *idx;

	for (;; h = h * 31 + 1) {
		idx = kmt_map__get(&imp->stack_idx, h);
		if (!idx)
			break;
		v = &imp->stacks[*idx];
		if (v->nr == nr && !memcmp(v->ips, ips, nr * sizeof(*ips)))
			return *idx;
	}
	if (imp->nr_stacks == imp->stacks_cap) {
		imp->stacks_cap = imp->stacks_cap ? imp->stacks_cap * 2 : 256;
		v = realloc(imp->stacks, imp->stacks_cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		imp->stacks = v;
	}
	v = &imp->stacks[imp->nr_stacks];
	v->nr = nr;
	v->ips = malloc(nr * sizeof(*ips));
	if (!v->ips || kmt_map__put(&imp->stack_idx, h, imp->nr_stacks)) {
		free(v->ips);
		return -ENOMEM;
	}
	memcpy(v->ips, ips, nr * sizeof(*ips));
	s.id = imp->nr_stacks++;
	memcpy(s.ips, ips, nr * sizeof(*ips));
	if (imp->sink.stack) {
		int err = imp->sink.stack(imp->sink.ctx, &s);

		if (err)
			return err;
	}
	return s.id;
}

static int emit_event(struct importer *imp, const struct kmt_event *e)
{
	struct import_stats *st = &imp->st;

	st->events++;
	st->by_type[e->type]++;
	if (st->events == 1 || e->ts < st->t_first)
		st->t_first = e->ts;
	if (e->ts > st->t_last)
		st->t_last = e->ts;
	if (!(e->flags & KMT_EVF_NO_CPU) && (__s64)e->cpu > st->max_cpu)
		st->max_cpu = e->cpu;
	return imp->sink.event ? imp->sink.event(imp->sink.ctx, e) : 0;
}

static int flush_pending(struct importer *imp)
{
	long id;

	if (!imp->has_pending)
		return 0;
	imp->has_pending = false;
	imp->frames_open = false;
	if (imp->nr_ips) {
		id = intern_stack(imp, imp->ips, imp->nr_ips);
		if (id < 0)
			return id;
		imp->pending.stack_id = id;
		imp->st.stacks++;
		imp->nr_ips = 0;
	}
	return emit_event(imp, &imp->pending);
}

int importer__finish(struct importer *imp)
{
	return flush_pending(imp);
}

/* ---- field values ---- */

/* gfp_flags: "GFP_KERNEL|__GFP_ZERO|0x1000000", "none", or old kernels' "%08x". */
static int parse_gfp(struct line_ctx *lc, char *val, __u32 *gfp)
{
	struct importer *imp = lc->imp;
	bool prefixed = val[0] == '0' && val[1] == 'x', unknown = false;
	char *part, *save = NULL;
	__u32 m;

	*gfp = 0;
	if (!strcmp(val, "none"))
		return 0;
	if (all_xdigits(val + 2 * prefixed)) {	/* GFP names never are hex digits */
		if (strlen(val + 2 * prefixed) > 8)
			return -EINVAL;
		*gfp = strtoul(val + 2 * prefixed, NULL, 16);
		return 0;
	}
	if (!imp->opts.nr_gfp) {
		snprintf(imp->err, sizeof(imp->err), "line %llu: gfp_flags=%s is printed by "
			 "name, and no GFP table is loaded to read it",
			 (unsigned long long)lc->lineno, val);
		return -ENOKEY;
	}
	for (part = strtok_r(val, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		if (!gfp_parse(imp->opts.gfp, imp->opts.nr_gfp, part, &m)) {
			*gfp |= m;
			continue;
		}
		if (!unknown && !imp->st.gfp_unknown) {
			imp->st.gfp_unknown_line = lc->lineno;
			snprintf(imp->st.gfp_unknown_name, sizeof(imp->st.gfp_unknown_name), "%s",
				 part);
		}
		unknown = true;
	}
	imp->st.gfp_unknown += unknown;
	return 0;
}

/* tlb_flush's "reason:local MM shootdown (3)": the number in the line's last parentheses. */
static int parse_reason(struct line_ctx *lc, const char *val, __u64 *v)
{
	size_t off = val - lc->copy;
	const char *open = memrchr(lc->orig + off, '(', lc->len - off);
	char *end;

	if (!open)
		return -EINVAL;
	errno = 0;
	*v = (__u64)strtoll(open + 1, &end, 10);
	return errno || end == open + 1 || *end != ')' ? -EINVAL : 0;
}

/* "[xfs]" after a call site: its module */
static const char *module_word(char **p)
{
	char *s = *p, *end, *w;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strcspn(s, " \t");
	if (*s != '[' || end - s < 3 || end[-1] != ']')
		return NULL;
	w = next_word(p);
	w[strlen(w) - 1] = 0;
	return w + 1;
}

static int apply_field(struct line_ctx *lc, const struct ifield *f, char *val, char **rest,
		       struct kmt_event *e)
{
	bool hashed = false;
	__u32 gfp;
	__u64 v = 0;
	int err = -EINVAL;

	switch (f->kind) {
	case K_NUM: err = parse_num(val, &v); break;
	case K_PTR: err = parse_ptr(val, &v, &hashed); break;
	case K_SYM: err = site_addr(lc->imp, val, module_word(rest), &v); break;
	case K_PAREN: err = parse_reason(lc, val, &v); break;
	case K_GFP:
		err = parse_gfp(lc, val, &gfp);
		v = gfp;
		break;
	case K_STR:
		lc->cache = intern_cache(lc->imp, val, &v);
		err = lc->cache < 0 ? (int)lc->cache : 0;
		if (!err)
			e->aux = v;
		return err;
	}
	if (err == -EINVAL)
		bad(lc->imp, lc->lineno, "bad %s value '%s'", f->name, val);
	if (err)
		return err;
	if (hashed && f->slot != F_PAGE)
		e->flags |= KMT_EVF_HASHED_PTR;
	if (f->slot == F_PAGE)
		lc->page_null = !v;
	else if (f->slot == F_PB_ORDER)
		lc->imp->st.pageblock_order = (__s32)v;
	set_slot(e, f->slot, v);
	return 0;
}

static int field_index(int type, const char *key)
{
	for (int i = 0; i < MAX_FIELDS && fields[type][i].name; i++)
		if (!strcmp(fields[type][i].name, key))
			return i;
	return -1;
}

/* The next "key=value", "key:value" or "key: value" word naming a field of type. */
static int next_field(int type, char **p, char **val)
{
	char *w, *sep;
	int i;

	while ((w = next_word(p))) {
		sep = strpbrk(w, "=:");
		if (!sep)
			continue;
		*sep = 0;
		i = field_index(type, w);
		if (i < 0)
			continue;
		*val = sep[1] ? sep + 1 : next_word(p);
		if (*val)
			return i;
	}
	return -1;
}

static void event_defaults(struct kmt_event *e, int type)
{
	e->type = type;
	e->stack_id = -1;
	if (type == KMT_EV_KMALLOC || type == KMT_EV_CACHE_ALLOC)
		e->node = -1;		/* NUMA_NO_NODE: what kmalloc without _node means */
	if (type == KMT_EV_PAGE_ALLOC_EXTFRAG)
		e->arg2 = -1;		/* change_ownership: unknown before 5.x */
}

/* Fields of type from p into e. -EINVAL: malformed (reported); other errors are fatal. */
static int parse_fields(struct line_ctx *lc, int type, char *p, struct kmt_event *e)
{
	const struct ifield *f = fields[type];
	char *val;
	int i, err;

	while ((i = next_field(type, &p, &val)) >= 0) {
		if (lc->seen & (1u << i))
			continue;
		lc->seen |= 1u << i;
		err = apply_field(lc, &f[i], val, &p, e);
		if (err)
			return err;
	}
	for (i = 0; i < MAX_FIELDS && f[i].name; i++) {
		if (f[i].required && !(lc->seen & (1u << i))) {
			bad(lc->imp, lc->lineno, "%s without %s", kmt_event_type_name(type),
			    f[i].name);
			return -EINVAL;
		}
		if (f[i].slot == F_CALL_SITE && !(lc->seen & (1u << i)))
			e->flags |= KMT_EVF_NO_CALL_SITE;
	}
	if ((type == KMT_EV_PAGE_ALLOC || type == KMT_EV_PAGE_ALLOC_ZONE_LOCKED) &&
	    lc->page_null && !e->ptr)
		e->ptr = ~0ull;		/* failed: the kernel prints page NULL, pfn 0 */
	if (type == KMT_EV_CACHE_ALLOC && lc->cache >= 0)
		return cache_sizes(lc->imp, lc->cache, e);
	return 0;
}

/* ---- lines ---- */

/* Length of the word at or after s[i] (0 at the end); *start is where it begins. */
static size_t word_at(const char *s, size_t i, size_t *start)
{
	size_t j;

	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	for (j = i; s[j] && !isspace((unsigned char)s[j]);)
		j++;
	*start = i;
	return j - i;
}

static bool word_is(const char *s, size_t start, size_t len, bool (*pred)(const char *))
{
	char w[64];

	if (!len || len >= sizeof(w))
		return false;
	memcpy(w, s + start, len);
	w[len] = 0;
	return pred(w);
}

struct ts_pos {
	size_t ts;		/* where the timestamp starts: the header ends there */
	size_t event;		/* where the event name starts */
	size_t event_len;
	__u64 ns;
};

/* The first word shaped like a timestamp and followed by an event name. */
static bool find_ts(const char *s, struct ts_pos *tp)
{
	size_t i = 0, len, start, j, elen;
	char w[64];
	bool colon;

	while ((len = word_at(s, i, &start))) {
		i = start + len;
		if (len >= sizeof(w))
			continue;
		memcpy(w, s + start, len);
		w[len] = 0;
		if (!parse_ts(w, &tp->ns, &colon))
			continue;
		j = i;
		if (!colon && !((elen = word_at(s, j, &j)) == 1 && s[j] == ':'))
			continue;
		if (!colon)
			j++;
		elen = word_at(s, j, &j);
		if (!word_is(s, j, elen, is_event_word))
			continue;
		tp->ts = start;
		tp->event = j;
		tp->event_len = elen;
		return true;
	}
	return false;
}

/* A tracefs "<stack trace>" or "<user stack trace>" line: the frames that follow. */
static void stack_marker(struct importer *imp, const struct header *h, bool user)
{
	const struct kmt_event *p = &imp->pending;

	imp->frames_open = false;
	imp->frames_ignored = user;
	if (user || !imp->has_pending || imp->nr_ips)
		return;
	if (h->has_cpu == !(p->flags & KMT_EVF_NO_CPU) && (!h->has_cpu || h->cpu == p->cpu) &&
	    h->has_tid && h->tid == p->tid)
		imp->frames_open = true;
}

/* Fills what the header tells; returns whether the latency columns said irqs-off. */
static bool event_from_header(const struct header *h, struct kmt_event *e)
{
	bool irqs_off = false;

	e->cpu = h->cpu;
	e->tid = h->tid;
	e->tgid = h->tgid;
	if (!h->has_cpu)
		e->flags |= KMT_EVF_NO_CPU;
	if (!h->has_tid)
		e->flags |= KMT_EVF_NO_TID;
	if (h->flags)
		e->ctx = ctx_from_flags(h->flags, &irqs_off);
	else
		e->flags |= KMT_EVF_NO_CTX;
	return irqs_off;
}

/* e becomes the pending event, the one stack lines attach to. */
static void hold_event(struct importer *imp, const struct kmt_event *e, bool irqs_off,
		       enum import_format fmt)
{
	struct import_stats *st = &imp->st;

	st->irqs_off += irqs_off;
	st->no_tgid += !(e->flags & KMT_EVF_NO_TID) && !e->tgid && e->tid;
	st->no_ctx += !!(e->flags & KMT_EVF_NO_CTX);
	st->no_cpu += !!(e->flags & KMT_EVF_NO_CPU);
	st->hashed += !!(e->flags & KMT_EVF_HASHED_PTR);
	st->sym_sites += KMT_IMPORT_IS_SYNTHETIC(e->call_site);
	imp->pending = *e;
	imp->has_pending = true;
	imp->frames_open = fmt == IMPORT_FMT_PERF;	/* perf's callchain lines follow */
	imp->frames_ignored = false;
}

/* Finds "TIMESTAMP: EVENT:" and cuts the event name out; false when there is none. */
static bool split_line(char *s, struct ts_pos *tp, char **name, char **rest)
{
	if (!find_ts(s, tp))
		return false;
	*name = s + tp->event;
	*rest = *name + tp->event_len;
	if (**rest)
		*(*rest)++ = 0;
	if ((*name)[tp->event_len - 1] == ':')
		(*name)[tp->event_len - 1] = 0;
	return true;
}

/* An event line. -EINVAL: malformed (reported); other errors are fatal. */
static int event_line(struct importer *imp, struct line_ctx *lc, char *s)
{
	struct kmt_event e = {};
	enum import_format fmt;
	struct ts_pos tp;
	struct header h;
	char *name, *rest;
	const char *why;
	int type, err;
	bool irqs_off;

	imp->frames_open = false;	/* until the line proves to be an event of ours */
	imp->frames_ignored = true;
	if (!split_line(s, &tp, &name, &rest)) {
		bad(imp, lc->lineno, "no 'TIMESTAMP: EVENT:' in the line");
		return -EINVAL;
	}
	fmt = strchr(name, ':') ? IMPORT_FMT_PERF : IMPORT_FMT_TRACEFS;
	why = parse_header(&h, s, tp.ts, fmt);
	if (why) {
		bad(imp, lc->lineno, "%s", why);
		return -EINVAL;
	}
	imp->st.by_format[fmt]++;
	if (name[0] == '<') {
		stack_marker(imp, &h, !strcmp(name, "<user"));
		return 0;
	}
	type = event_type(name);
	if (type < 0) {
		imp->st.other_events++;
		return 0;
	}
	event_defaults(&e, type);
	e.ts = tp.ns;
	irqs_off = event_from_header(&h, &e);
	err = parse_fields(lc, type, rest, &e);
	err = err ?: flush_pending(imp);
	err = err ?: note_task(imp, &e, h.comm);
	if (!err)
		hold_event(imp, &e, irqs_off, fmt);
	return err;
}

static void add_frame(struct importer *imp, __u64 ip)
{
	if (imp->nr_ips < KMT_MAX_STACK_DEPTH)
		imp->ips[imp->nr_ips++] = ip;
}

/* perf script callchain: "\tffffffff8162184b __alloc_pages+0x26b ([kernel.kallsyms])" */
static int perf_frame(struct importer *imp, char *p, __u64 lineno)
{
	char *addr = next_word(&p), *sym = next_word(&p), *dso = next_word(&p), *plus;
	const char *module = "";
	__u64 ip, off = 0;
	size_t n;

	if (!addr || !all_xdigits(addr) || strlen(addr) > 16) {
		bad(imp, lineno, "callchain line without an address");
		return 0;
	}
	ip = strtoull(addr, NULL, 16);
	if (ip < KERNEL_SPACE)
		return 0;		/* user frames: kmmtrace stacks are kernel stacks */
	add_frame(imp, ip);
	n = dso ? strlen(dso) : 0;
	if (n > 4 && dso[1] == '[' && strcmp(dso, "([kernel.kallsyms])")) {
		dso[n - 2] = 0;
		module = dso + 2;
	}
	if (!sym || sym[0] == '[')
		return 0;		/* [unknown] */
	plus = strrchr(sym, '+');
	if (plus && !parse_num(plus + 1, &off))
		*plus = 0;
	return emit_sym(imp, ip, sym, off, module);
}

/* tracefs stacktrace: " => kmem_cache_alloc_noprof", " => foo+0x1a/0x40", " => <ffff...>" */
static int tracefs_frame(struct importer *imp, char *p, __u64 lineno)
{
	char *w = next_word(&p);
	size_t n = w ? strlen(w) : 0;
	__u64 ip;
	int err;

	if (!n) {
		bad(imp, lineno, "stack frame line without a function");
		return 0;
	}
	if (w[0] == '<' && w[n - 1] == '>') {
		w[n - 1] = 0;
		if (!all_xdigits(w + 1)) {
			bad(imp, lineno, "bad stack frame address '%s'", w + 1);
			return 0;
		}
		add_frame(imp, strtoull(w + 1, NULL, 16));
		return 0;
	}
	err = site_addr(imp, w, module_word(&p), &ip);
	if (err == -EINVAL)
		bad(imp, lineno, "bad stack frame '%s'", w);
	else if (!err)
		add_frame(imp, ip);
	return err == -EINVAL ? 0 : err;
}

static int frame_line(struct importer *imp, char *s, bool perf, __u64 lineno)
{
	if (imp->frames_ignored)
		return 0;
	if (!imp->frames_open || !imp->has_pending) {
		imp->st.orphan_frames++;
		return 0;
	}
	return perf ? perf_frame(imp, s, lineno) : tracefs_frame(imp, s, lineno);
}

/* "# entries-in-buffer/entries-written: 81744/81800   #P:2": overwritten events, CPUs */
static void comment_line(struct importer *imp, const char *s)
{
	static const char ent[] = "entries-in-buffer/entries-written:";
	unsigned long long in, written;
	const char *p = strstr(s, ent);

	if (p && sscanf(p + sizeof(ent) - 1, " %llu/%llu", &in, &written) == 2 && written > in)
		imp->st.lost += written - in;
	p = strstr(s, "#P:");
	if (p)
		imp->st.header_cpus = strtoul(p + 3, NULL, 10);
}

/* Lines that are not events: headers, lost-event notes. True when s was one. */
static bool info_line(struct importer *imp, const char *s)
{
	unsigned long long n;
	const char *p;

	if (s[0] == '#') {
		comment_line(imp, s);
		return true;
	}
	if (!strncmp(s, "cpus=", 5)) {		/* trace-cmd report */
		imp->st.header_cpus = strtoul(s + 5, NULL, 10);
		return true;
	}
	if (!strncmp(s, "version = ", 10) || (!strncmp(s, "CPU ", 4) && strstr(s, " is empty")))
		return true;
	p = strstr(s, "[LOST ");		/* tracefs, trace-cmd: "CPU:0 [LOST 42 EVENTS]" */
	if (!strncmp(s, "CPU:", 4) && p && sscanf(p, "[LOST %llu", &n) == 1) {
		imp->st.lost += n;
		return true;
	}
	return false;
}

static int copy_line(struct importer *imp, const char *line, size_t len)
{
	char *b;

	if (len + 1 > imp->buf_cap) {
		b = realloc(imp->buf, len + 1);
		if (!b)
			return -ENOMEM;
		imp->buf = b;
		imp->buf_cap = len + 1;
	}
	memcpy(imp->buf, line, len);
	imp->buf[len] = 0;
	return 0;
}

int importer__line(struct importer *imp, const char *line, __u64 lineno)
{
	size_t len = strcspn(line, "\r\n");
	struct line_ctx lc = { .imp = imp, .lineno = lineno, .orig = line, .len = len,
			       .cache = -1 };
	char *s;
	int err = copy_line(imp, line, len);

	if (err)
		return err;
	imp->st.lines++;
	lc.copy = imp->buf;
	s = imp->buf + strspn(imp->buf, " ");
	if (!*s || info_line(imp, s))
		return 0;
	if (imp->buf[0] == '\t')
		return frame_line(imp, imp->buf, true, lineno);
	if (!strncmp(s, "=> ", 3))
		return frame_line(imp, s + 2, false, lineno);
	err = event_line(imp, &lc, imp->buf);
	return err == -EINVAL ? 0 : err;
}
