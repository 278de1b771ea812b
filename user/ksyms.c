// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/kallsyms loader and resolver. The file's text is kept and its names
 * NUL-terminated in place, so loading ~150k symbols is one read, one pass and
 * one (mostly presorted) sort.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksyms.h"
#include "sysinfo.h"

struct ksym {
	__u64 addr;
	const char *name;
	const char *module;	/* NULL for vmlinux */
	__u32 rank;		/* among equal addresses, lower wins: T, t, W, w; within
				 * each, a 32-bit compat alias (__ia32_sys_*) last */
	__u32 seq;		/* line number: keeps the sort stable */
};

struct ksyms {
	char *text;
	struct ksym *syms;
	size_t nr;
	char path[256];
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int type_rank(char t)
{
	switch (t) {
	case 'T':
		return 0;
	case 't':
		return 1;
	case 'W':
		return 2;
	case 'w':
		return 3;
	default:
		return -1;	/* data, absolute, ...: not text */
	}
}

/*
 * Parses the line at *p ("ffffffff816307d0 T kfree" or "... t foo\t[mod]"),
 * NUL-terminating its name and module in place. 1 when *s is a text symbol.
 */
static int parse_line(char **p, char *end, struct ksym *s)
{
	char *q = *p, *eol = memchr(q, '\n', end - q);
	int rank, d;

	if (!eol)
		eol = end;
	*p = eol < end ? eol + 1 : end;
	*eol = 0;
	s->addr = 0;
	for (; (d = hexval(*q)) >= 0; q++)
		s->addr = s->addr << 4 | d;
	if (q[0] != ' ' || !q[1] || q[2] != ' ' || !q[3])
		return 0;
	rank = type_rank(q[1]);
	if (rank < 0)
		return 0;
	s->name = q + 3;
	/* __ia32_sys_vfork shares __x64_sys_vfork's address, and is listed first */
	s->rank = rank * 2 + !strncmp(s->name, "__ia32_", 7);
	s->module = NULL;
	q = strchr(q + 3, '\t');
	if (q) {
		*q++ = 0;
		if (*q == '[') {
			s->module = q + 1;
			q[strcspn(q, "]")] = 0;
		}
	}
	return 1;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int sysctl_int(const char *path)
{
	char *s = NULL;
	int v = -1;

	if (!sysinfo__read_file(path, &s, NULL))
		v = atoi(s);
	free(s);
	return v;
}

/* kernel/kallsyms.c kallsyms_show_value(): CAP_SYSLOG, or perf access under kptr_restrict 0 */
static void say_hidden(const char *path, char *why, size_t whylen)
{
	snprintf(why, whylen, "failed to load %s: addresses hidden (kptr_restrict=%d, "
		 "perf_event_paranoid=%d, uid %u without CAP_SYSLOG): run as root", path,
		 sysctl_int("/proc/sys/kernel/kptr_restrict"),
		 sysctl_int("/proc/sys/kernel/perf_event_paranoid"), geteuid());
}

/* Parses text, NUL-terminating names in place (syms point into it); -EPERM if all are 0. */
static int parse_all(char *text, size_t len, struct ksym **syms, size_t *nr)
{
	size_t cap = len / 32 + 16, n = 0, nonzero = 0;
	char *p = text, *end = text + len;
	struct ksym *s, *ns;
	__u32 seq = 0;

	s = malloc(cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	while (p < end) {
		if (n == cap) {
			cap *= 2;
			ns = realloc(s, cap * sizeof(*s));
			if (!ns) {
				free(s);
				return -ENOMEM;
			}
			s = ns;
		}
		if (!parse_line(&p, end, &s[n]))
			continue;
		s[n].seq = seq++;
		nonzero += s[n].addr != 0;
		n++;
	}
	if (n && !nonzero) {
		free(s);
		return -EPERM;
	}
	if (n)
		qsort(s, n, sizeof(*s), ksym_cmp);
	*syms = s;
	*nr = n;
	return 0;
}

static int load_into(struct ksyms *k, char *why, size_t whylen)
{
	struct ksym *syms = NULL;
	char *text = NULL;
	size_t len, nr = 0;
	int err;

	err = sysinfo__read_file(k->path, &text, &len);
	if (err) {
		if (why)
			snprintf(why, whylen, "failed to read %s: %s", k->path, strerror(-err));
		return err;
	}
	err = parse_all(text, len, &syms, &nr);
	if (err) {
		if (why && err == -EPERM)
			say_hidden(k->path, why, whylen);
		else if (why)
			snprintf(why, whylen, "failed to load %s: %s", k->path, strerror(-err));
		free(text);
		return err;
	}
	free(k->syms);
	free(k->text);
	k->text = text;
	k->syms = syms;
	k->nr = nr;
	return 0;
}

struct ksyms *ksyms__load(const char *path, int *err, char *why, size_t whylen)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	int ret;

	if (!k) {
		ret = -ENOMEM;
		goto fail;
	}
	snprintf(k->path, sizeof(k->path), "%s", path ? path : "/proc/kallsyms");
	ret = load_into(k, why, whylen);
	if (!ret)
		return k;
	free(k);
fail:
	if (err)
		*err = ret;
	return NULL;
}

int ksyms__reload(struct ksyms *k, char *why, size_t whylen)
{
	return load_into(k, why, whylen);
}

void ksyms__free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->text);
	free(k);
}

size_t ksyms__count(const struct ksyms *k)
{
	return k ? k->nr : 0;
}

/* The first (best ranked) symbol at the highest address <= addr, or NULL. */
static const struct ksym *find(const struct ksyms *k, __u64 addr)
{
	size_t lo = 0, hi = k->nr, mid;
	__u64 at;

	while (lo < hi) {	/* first symbol above addr */
		mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	at = k->syms[lo - 1].addr;
	while (lo > 1 && k->syms[lo - 2].addr == at)
		lo--;
	return &k->syms[lo - 1];
}

int ksyms__resolve(const struct ksyms *k, __u64 addr, struct kmt_sym *out)
{
	const struct ksym *s = k ? find(k, addr) : NULL;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	if (!s || addr - s->addr > KSYMS_MAX_OFFSET)
		return -ENOENT;
	out->offset = addr - s->addr;
	snprintf(out->name, sizeof(out->name), "%s", s->name);
	if (s->module)
		snprintf(out->module, sizeof(out->module), "%s", s->module);
	return 0;
}

int ksyms__snprint(const struct kmt_sym *s, char *buf, size_t len)
{
	if (!s->name[0])
		return snprintf(buf, len, "0x%llx", (unsigned long long)s->addr);
	return snprintf(buf, len, "%s+0x%llx%s%s%s", s->name, (unsigned long long)s->offset,
			s->module[0] ? " [" : "", s->module, s->module[0] ? "]" : "");
}

__u64 ksyms__addr_of(const struct ksyms *k, const char *name)
{
	__u64 best = 0;
	__u32 seq = ~0u;
	size_t i;

	for (i = 0; k && i < k->nr; i++) {
		if (k->syms[i].seq < seq && !strcmp(k->syms[i].name, name)) {
			best = k->syms[i].addr;
			seq = k->syms[i].seq;
		}
	}
	return best;
}
