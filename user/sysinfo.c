// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Record-time facts about the running kernel, written as trace metadata, and
 * the text parsers the analyses reuse on the stored snapshots.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <zlib.h>
#include "gfp.h"
#include "sysinfo.h"
#include "metalist.h"
#include "trace.h"

#define TRACEFS_DIR	"/sys/kernel/tracing"
#define DEBUGFS_DIR	"/sys/kernel/debug"
#define KPF_BUDDY	10	/* include/uapi/linux/kernel-page-flags.h */

/* Appends one line to err (a list of what was skipped and why). */
static void note(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!err || !errlen)
		return;
	used = strnlen(err, errlen);
	if (used + 2 >= errlen)
		return;
	if (used)
		err[used++] = '\n';
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

int sysinfo__read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *b = NULL, *nb;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!b || n + 1 >= cap) {
			cap = b ? cap * 2 : cap;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		n += r;
	}
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	b[n] = 0;
	*buf = b;
	if (len)
		*len = n;
	return 0;
}

/* ---- tracefs and debugfs ---- */

static bool is_fs(const char *dir, long magic)
{
	struct statfs s;

	return !statfs(dir, &s) && s.f_type == magic;
}

static const char *fs_dir(const char *dir, const char *alt, const char *type, long magic,
			  bool may_mount, char *why, size_t whylen)
{
	if (is_fs(dir, magic))
		return dir;
	if (alt && is_fs(alt, magic))
		return alt;
	if (!may_mount) {
		snprintf(why, whylen, "%s is not mounted at %s", type, dir);
		return NULL;
	}
	if (geteuid() != 0) {
		snprintf(why, whylen, "%s is not mounted at %s (mounting it needs root)", type,
			 dir);
		return NULL;
	}
	if (mount(type, dir, type, 0, NULL)) {
		snprintf(why, whylen, "failed to mount %s at %s: %s", type, dir, strerror(errno));
		return NULL;
	}
	return dir;
}

const char *sysinfo__tracefs_dir(bool may_mount, char *why, size_t whylen)
{
	return fs_dir(TRACEFS_DIR, DEBUGFS_DIR "/tracing", "tracefs", TRACEFS_MAGIC, may_mount,
		      why, whylen);
}

const char *sysinfo__debugfs_dir(bool may_mount, char *why, size_t whylen)
{
	return fs_dir(DEBUGFS_DIR, NULL, "debugfs", DEBUGFS_MAGIC, may_mount, why, whylen);
}

/* ---- parse helpers ---- */

/* The next line of *p (without its '\n') in line[len]; false at the end. */
static bool next_line(const char **p, char *line, size_t len)
{
	const char *s = *p, *e;
	size_t n;

	if (!*s)
		return false;
	e = strchrnul(s, '\n');
	n = e - s < (ptrdiff_t)len ? (size_t)(e - s) : len - 1;
	memcpy(line, s, n);
	line[n] = 0;
	*p = *e ? e + 1 : e;
	return true;
}

/* "  spanned  4095" / "  start_pfn:           1" -> value of key */
static bool zone_field(const char *line, const char *key, __u64 *val)
{
	size_t n = strlen(key);

	line += strspn(line, " \t");
	if (strncmp(line, key, n) || (line[n] != ' ' && line[n] != ':'))
		return false;
	line += n + (line[n] == ':');
	return sscanf(line, "%llu", (unsigned long long *)val) == 1;
}

int parse_zoneinfo(const char *text, struct kmt_zone_info *zones, int max)
{
	struct kmt_zone_info z = {}, *cur = NULL;
	char line[512];
	int nr = 0;

	while (next_line(&text, line, sizeof(line))) {
		if (!strncmp(line, "Node ", 5)) {
			memset(&z, 0, sizeof(z));
			if (sscanf(line, "Node %u, zone %11s", &z.node, z.name) != 2)
				return -EINVAL;
			cur = nr < max ? &zones[nr] : NULL;
			if (cur)
				*cur = z;
			nr++;
			continue;
		}
		if (!cur)
			continue;
		if (zone_field(line, "spanned", &cur->spanned) ||
		    zone_field(line, "present", &cur->present) ||
		    zone_field(line, "managed", &cur->managed) ||
		    zone_field(line, "start_pfn", &cur->start_pfn))
			continue;
	}
	return nr ? nr : -EINVAL;
}

/* Reads the numbers after "Node N, zone NAME" into v[]; returns how many. */
static int read_counts(const char *s, __u64 *v, int max)
{
	unsigned long long x;
	char *end;
	int n = 0;

	for (;;) {
		s += strspn(s, " \t>");	/* pagetypeinfo prints ">100000" when capped */
		if (!isdigit((unsigned char)*s))
			return n;
		x = strtoull(s, &end, 10);
		if (n < max)
			v[n] = x;
		n++;
		s = end;
	}
}

int parse_buddyinfo(const char *text, struct buddy_row *rows, int max)
{
	struct buddy_row r;
	char line[1024];
	int nr = 0, off, cnt;

	while (next_line(&text, line, sizeof(line))) {
		memset(&r, 0, sizeof(r));
		if (sscanf(line, "Node %u, zone %11s%n", &r.node, r.zone, &off) != 2)
			continue;
		cnt = read_counts(line + off, r.nr_free, SYSINFO_MAX_ORDERS);
		if (!cnt || cnt > SYSINFO_MAX_ORDERS)
			return -EINVAL;
		r.nr_orders = cnt;
		if (nr < max)
			rows[nr] = r;
		nr++;
	}
	return nr ? nr : -EINVAL;
}

static int pagetype_names(const char *s, struct pagetype_info *pi)
{
	char name[SYSINFO_MT_NAME_LEN];
	int off;

	pi->nr_mt = 0;
	while (sscanf(s, "%15s%n", name, &off) == 1) {
		if (pi->nr_mt >= SYSINFO_MAX_MT)
			return -E2BIG;
		memcpy(pi->mt[pi->nr_mt++], name, sizeof(name));
		s += off;
	}
	return pi->nr_mt ? 0 : -EINVAL;
}

int parse_pagetypeinfo(const char *text, struct pagetype_info *pi)
{
	static const char free_hdr[] = "Free pages count per migrate type at order";
	static const char blk_hdr[] = "Number of blocks type";
	bool have_order = false;
	__u64 orders[SYSINFO_MAX_ORDERS + 1];
	char line[1024];
	int cnt;

	memset(pi, 0, sizeof(*pi));
	while (next_line(&text, line, sizeof(line))) {
		if (sscanf(line, "Page block order: %u", &pi->pageblock_order) == 1) {
			have_order = true;
		} else if (!strncmp(line, free_hdr, sizeof(free_hdr) - 1) && !pi->nr_orders) {
			cnt = read_counts(line + sizeof(free_hdr) - 1, orders, SYSINFO_MAX_ORDERS);
			if (cnt <= 0 || cnt > SYSINFO_MAX_ORDERS)
				return -EINVAL;
			pi->nr_orders = cnt;
		} else if (!strncmp(line, blk_hdr, sizeof(blk_hdr) - 1) && !pi->nr_mt) {
			if (pagetype_names(line + sizeof(blk_hdr) - 1, pi))
				return -EINVAL;
		}
	}
	return have_order && pi->nr_orders && pi->nr_mt ? 0 : -EINVAL;
}

int sysinfo__snapshot_decode(const void *val, __u32 len, __u8 *phase, const char **name,
			     const char **text, size_t *textlen)
{
	const char *p = val, *nul;

	if (!val || len < 2)
		return -EINVAL;
	nul = memchr(p + 1, 0, len - 1);
	if (!nul)
		return -EINVAL;
	*phase = p[0];
	*name = p + 1;
	*text = nul + 1;
	*textlen = len - (nul + 1 - p);
	return 0;
}

/* ---- BTF ---- */

/* Elements of the array member mname of struct sname; negative errno. */
static int btf_member_nelems(const struct btf *btf, const char *sname, const char *mname)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id < 0)
		return id;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), mname))
			continue;
		t = btf__type_by_id(btf, m->type);
		return t && btf_is_array(t) ? (int)btf_array(t)->nelems : -EINVAL;
	}
	return -ENOENT;
}

int sysinfo__btf_nr_page_orders(const struct btf *btf)
{
	return btf_member_nelems(btf, "zone", "free_area");
}

int sysinfo__btf_struct_page_size(const struct btf *btf)
{
	int id = btf__find_by_name_kind(btf, "page", BTF_KIND_STRUCT);

	return id < 0 ? id : btf__resolve_size(btf, id);
}

/* MIGRATE_HIGHATOMIC -> "HighAtomic", as mm/page_alloc.c's migratetype_names[] */
static void mt_display_name(const char *e, char *out, size_t len)
{
	static const char *const known[][2] = {
		{ "UNMOVABLE", "Unmovable" }, { "MOVABLE", "Movable" },
		{ "RECLAIMABLE", "Reclaimable" }, { "HIGHATOMIC", "HighAtomic" },
		{ "CMA", "CMA" }, { "ISOLATE", "Isolate" },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(e, known[i][0])) {
			snprintf(out, len, "%s", known[i][1]);
			return;
		}
	}
	snprintf(out, len, "%s", e);
	for (i = 1; out[i]; i++)
		out[i] = tolower((unsigned char)out[i]);
}

int sysinfo__btf_migratetypes(const struct btf *btf, struct pagetype_info *pi)
{
	const struct btf_enum *m;
	const struct btf_type *t;
	const char *s;
	int id, i;

	id = btf__find_by_name_kind(btf, "migratetype", BTF_KIND_ENUM);
	if (id < 0)
		return id;
	t = btf__type_by_id(btf, id);
	m = btf_enum(t);
	pi->nr_mt = 0;
	for (i = 0; i < btf_vlen(t); i++) {
		s = btf__name_by_offset(btf, m[i].name_off);
		/* aliases and bounds: MIGRATE_PCPTYPES, __MIGRATE_TYPE_END, MIGRATE_TYPES */
		if (strncmp(s, "MIGRATE_", 8) || m[i].val != (int)pi->nr_mt ||
		    !strcmp(s, "MIGRATE_TYPES") || !strcmp(s, "MIGRATE_PCPTYPES"))
			continue;
		if (pi->nr_mt >= SYSINFO_MAX_MT)
			return -E2BIG;
		mt_display_name(s + 8, pi->mt[pi->nr_mt++], SYSINFO_MT_NAME_LEN);
	}
	return pi->nr_mt ? 0 : -ENOENT;
}

/* ---- the free-page map ---- */

int freemap__add(struct freemap *fm, __u64 pfn, __u64 len)
{
	struct freemap_run *r;
	size_t cap;

	if (fm->nr && fm->runs[fm->nr - 1].pfn + fm->runs[fm->nr - 1].len == pfn) {
		fm->runs[fm->nr - 1].len += len;
		return 0;
	}
	if (fm->nr == fm->cap) {
		cap = fm->cap ? fm->cap * 2 : 4096;
		r = realloc(fm->runs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		fm->runs = r;
		fm->cap = cap;
	}
	fm->runs[fm->nr].pfn = pfn;
	fm->runs[fm->nr].len = len;
	fm->nr++;
	return 0;
}

void freemap__free(struct freemap *fm)
{
	if (!fm)
		return;
	free(fm->runs);
	free(fm->reads);
	memset(fm, 0, sizeof(*fm));
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int note_read(struct freemap *fm, __u64 pfn, __u64 npfns, __u64 t0, __u64 t1)
{
	size_t n = fm->nr_reads;
	struct freemap_read *r;

	/* capacity: 64, then doubling at every power of two from 64 on */
	if (n == 0 || (n >= 64 && !(n & (n - 1)))) {
		r = realloc(fm->reads, (n ? 2 * n : 64) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		fm->reads = r;
	}
	fm->reads[fm->nr_reads++] = (struct freemap_read){ pfn, npfns, t0, t1 };
	return 0;
}

int freemap_times__decode(const void *val, size_t len, __u8 *phase, struct freemap_read **reads,
			  size_t *nr)
{
	const __u8 *p = val;

	if (len < 8 || (len - 8) % sizeof(**reads))
		return -EINVAL;
	*phase = p[0];
	*nr = (len - 8) / sizeof(**reads);
	*reads = malloc(*nr ? *nr * sizeof(**reads) : 1);
	if (!*reads)
		return -ENOMEM;
	memcpy(*reads, p + 8, *nr * sizeof(**reads));
	return 0;
}

/* Adds the runs of KPF_BUDDY pages of flags[n], the flags of pfns base.. */
static int freemap_block(struct freemap *fm, const __u64 *flags, size_t n, __u64 base)
{
	size_t i = 0, start;
	int err;

	while (i < n) {
		while (i < n && !(flags[i] & (1ull << KPF_BUDDY)))
			i++;
		start = i;
		while (i < n && (flags[i] & (1ull << KPF_BUDDY)))
			i++;
		if (i > start) {
			err = freemap__add(fm, base + start, i - start);
			if (err)
				return err;
		}
	}
	return 0;
}

int freemap__scan(struct freemap *fm, const char *path)
{
	const size_t nr = 65536;	/* pfns per read: 512 KiB */
	__u64 *flags, pfn = 0;
	int fd, err = 0;
	ssize_t r;

	memset(fm, 0, sizeof(*fm));
	fd = open(path ? path : "/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	flags = malloc(nr * sizeof(*flags));
	if (!flags) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		__u64 t0 = mono_ns();

		r = pread(fd, flags, nr * sizeof(*flags), pfn * sizeof(*flags));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		err = note_read(fm, pfn, r / sizeof(*flags), t0, mono_ns());
		if (!err)
			err = freemap_block(fm, flags, r / sizeof(*flags), pfn);
		pfn += r / sizeof(*flags);
		if (err || r % sizeof(*flags))
			break;
	}
	fm->nr_pfns = pfn;
	free(flags);
	close(fd);
	if (err)
		freemap__free(fm);
	return err;
}

static size_t put_varint(__u8 *p, __u64 v)
{
	size_t n = 0;

	do {
		p[n++] = (v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
		v >>= 7;
	} while (v);
	return n;
}

static int get_varint(const __u8 **p, const __u8 *end, __u64 *v)
{
	unsigned int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		*v |= (__u64)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return 0;
		shift += 7;
	}
	return -EINVAL;
}

int freemap__encode(const struct freemap *fm, __u8 phase, void **buf, size_t *len)
{
	__u64 prev_end = 0;
	size_t i, n = 0;
	__u8 *b;

	b = malloc(1 + fm->nr * 20);	/* two varints of at most 10 bytes per run */
	if (!b)
		return -ENOMEM;
	b[n++] = phase;
	for (i = 0; i < fm->nr; i++) {
		if (fm->runs[i].pfn < prev_end) {
			free(b);
			return -EINVAL;		/* runs must be sorted and apart */
		}
		n += put_varint(b + n, fm->runs[i].pfn - prev_end);
		n += put_varint(b + n, fm->runs[i].len);
		prev_end = fm->runs[i].pfn + fm->runs[i].len;
	}
	*buf = b;
	*len = n;
	return 0;
}

int freemap__decode(const void *val, size_t len, __u8 *phase, struct freemap *fm)
{
	const __u8 *p = val, *end = p + len;
	__u64 delta, run, pfn = 0;
	int err = 0;

	memset(fm, 0, sizeof(*fm));
	if (!val || !len)
		return -EINVAL;
	*phase = *p++;
	while (p < end && !err) {
		err = get_varint(&p, end, &delta);
		if (!err)
			err = get_varint(&p, end, &run);
		if (!err && (pfn + delta < pfn || pfn + delta + run < pfn + delta))
			err = -EINVAL;
		if (!err) {
			pfn += delta;
			err = freemap__add(fm, pfn, run);
			pfn += run;
		}
	}
	if (err)
		freemap__free(fm);
	return err;
}

void freemap__to_orders(const struct freemap *fm, __u64 start_pfn, __u64 end_pfn,
			unsigned int nr_orders, __u64 *counts)
{
	unsigned int max = nr_orders ? nr_orders - 1 : 0, order;
	__u64 pfn, end;
	size_t i;

	if (max > 63)
		max = 63;
	for (i = 0; i < fm->nr && nr_orders; i++) {
		pfn = fm->runs[i].pfn > start_pfn ? fm->runs[i].pfn : start_pfn;
		end = fm->runs[i].pfn + fm->runs[i].len;
		end = end < end_pfn ? end : end_pfn;
		while (pfn < end) {
			order = pfn ? (unsigned int)__builtin_ctzll(pfn) : max;
			order = order < max ? order : max;
			/* end - pfn, not pfn + block: a run near 2^64 must not wrap */
			while ((1ull << order) > end - pfn)
				order--;
			counts[order]++;
			pfn += 1ull << order;
		}
	}
}

/* ---- kconfig ---- */

/* CONFIG_ names kept; a trailing '*' matches a prefix. */
static const char *const kconfig_wanted[] = {
	"PREEMPT*", "SLUB*", "SLAB*", "SPARSEMEM*", "NUMA", "KALLSYMS*", "DEBUG_ATOMIC_SLEEP",
	"PROVE_LOCKING", "LOCKDEP", "HIGHMEM*", "ZONE_DMA*", "MEMCG*", "TRANSPARENT_HUGEPAGE*",
	"HUGETLB*", "PAGE_OWNER*", "DEFERRED_STRUCT_PAGE_INIT", "MEMORY_HOTPLUG*", "VMAP_STACK",
	"HAVE_ARCH_HUGE_VMALLOC", "KASAN*", "CMA", "COMPACTION", "ARCH_FORCE_MAX_ORDER",
	"NODES_SHIFT", NULL,
};

/* name[n] against a kconfig_wanted[] pattern */
static bool kconfig_match(const char *name, size_t n, const char *pat)
{
	size_t k = strlen(pat);

	if (pat[k - 1] == '*')
		return !strncmp(name, pat, k - 1);
	return n == k && !strncmp(name, pat, k);
}

static bool kconfig_line_wanted(const char *line)
{
	const char *name;
	size_t n;
	int i;

	if (!strncmp(line, "# CONFIG_", 9))
		name = line + 9;
	else if (!strncmp(line, "CONFIG_", 7))
		name = line + 7;
	else
		return false;
	n = strcspn(name, "= ");
	for (i = 0; kconfig_wanted[i]; i++)
		if (kconfig_match(name, n, kconfig_wanted[i]))
			return true;
	return false;
}

struct strbuf {
	char *s;
	size_t len;
	size_t cap;
};

static int sb_add(struct strbuf *sb, const char *s, size_t n)
{
	size_t cap;
	char *ns;

	if (sb->len + n + 1 > sb->cap) {
		cap = sb->cap ? sb->cap * 2 : 4096;
		while (cap < sb->len + n + 1)
			cap *= 2;
		ns = realloc(sb->s, cap);
		if (!ns)
			return -ENOMEM;
		sb->s = ns;
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = 0;
	return 0;
}

/* The wanted lines of /proc/config.gz, else /boot/config-<release>. */
static int kconfig_read(struct strbuf *sb, const char *release, char *why, size_t whylen)
{
	char path[300], line[512];
	gzFile f;
	int err = 0;

	/* gzopen reads plain files as they are, so one loop serves both */
	snprintf(path, sizeof(path), "/proc/config.gz");
	f = gzopen(path, "rb");
	if (!f) {
		snprintf(path, sizeof(path), "/boot/config-%s", release);
		f = gzopen(path, "rb");
	}
	if (!f) {
		snprintf(why, whylen, "no kernel config: /proc/config.gz and %s unreadable", path);
		return -ENOENT;
	}
	while (!err && gzgets(f, line, sizeof(line))) {
		if (kconfig_line_wanted(line))
			err = sb_add(sb, line, strlen(line));
	}
	gzclose(f);
	return err;
}

/* ---- metadata items ---- */

static int meta_text(struct meta_list *w, __u16 key, const char *s)
{
	return meta_list__add(w, key, s, strlen(s));
}

static int meta_u32(struct meta_list *w, __u16 key, __u32 v)
{
	return meta_list__add(w, key, &v, sizeof(v));
}

static int meta_uname(struct meta_list *w, const struct utsname *u, char *err, size_t errlen)
{
	char *boot_id = NULL;
	int ret;

	ret = meta_text(w, KMT_META_KERNEL_RELEASE, u->release);
	ret = ret ?: meta_text(w, KMT_META_KERNEL_VERSION, u->version);
	ret = ret ?: meta_text(w, KMT_META_MACHINE, u->machine);
	ret = ret ?: meta_text(w, KMT_META_HOSTNAME, u->nodename);
	if (ret)
		return ret;
	ret = sysinfo__read_file("/proc/sys/kernel/random/boot_id", &boot_id, NULL);
	if (ret) {
		note(err, errlen, "skipped boot id: %s", strerror(-ret));
		return 0;
	}
	boot_id[strcspn(boot_id, "\n")] = 0;
	ret = meta_text(w, KMT_META_BOOT_ID, boot_id);
	free(boot_id);
	return ret;
}

static int meta_cpus_pages(struct meta_list *w, const struct btf *btf, char *err,
			   size_t errlen)
{
	int cpus = libbpf_num_possible_cpus(), sz;
	int ret;

	if (cpus > 0) {
		ret = meta_u32(w, KMT_META_NR_CPUS, cpus);
		if (ret)
			return ret;
	} else {
		note(err, errlen, "skipped possible CPUs: %s", strerror(-cpus));
	}
	ret = meta_u32(w, KMT_META_PAGE_SIZE, sysconf(_SC_PAGESIZE));
	if (ret)
		return ret;
	sz = btf ? sysinfo__btf_struct_page_size(btf) : -ENOENT;
	if (sz <= 0) {
		note(err, errlen, "skipped sizeof(struct page): %s",
		     btf ? strerror(-sz) : "no BTF");
		return 0;
	}
	return meta_u32(w, KMT_META_STRUCT_PAGE, sz);
}

static int meta_gfp(struct meta_list *w, bool may_mount, char *err, size_t errlen)
{
	struct kmt_gfp_entry *t = NULL;
	char why[256];
	size_t n = 0;
	int ret;

	ret = gfp_table__learn(may_mount, &t, &n, why, sizeof(why));
	if (ret) {
		note(err, errlen, "skipped GFP table: %s", why);
		return 0;
	}
	if (!strstr(why, "print format"))
		note(err, errlen, "%s", why);	/* a fallback: say so */
	ret = meta_list__add(w, KMT_META_GFP_TABLE, t, n * sizeof(*t));
	free(t);
	return ret;
}

/* NR_PAGE_ORDERS from BTF (struct zone's free_area[]), checked against buddyinfo. */
static int meta_orders(struct meta_list *w, const struct btf *btf, char *err, size_t errlen)
{
	struct buddy_row row;
	int nr = -ENOENT, cols = 0;
	char *text = NULL;

	if (btf)
		nr = sysinfo__btf_nr_page_orders(btf);
	if (!sysinfo__read_file("/proc/buddyinfo", &text, NULL) &&
	    parse_buddyinfo(text, &row, 1) > 0)
		cols = row.nr_orders;
	free(text);
	if (nr > 0 && cols && nr != cols)
		note(err, errlen, "NR_PAGE_ORDERS: BTF says %d, /proc/buddyinfo shows %d; "
		     "using BTF", nr, cols);
	if (nr <= 0)
		nr = cols;
	if (nr <= 0) {
		note(err, errlen, "skipped NR_PAGE_ORDERS: neither BTF nor /proc/buddyinfo");
		return 0;
	}
	return meta_u32(w, KMT_META_NR_PAGE_ORDERS, nr);
}

static int meta_migratetypes(struct meta_list *w, const struct pagetype_info *pi)
{
	char names[SYSINFO_MAX_MT * (SYSINFO_MT_NAME_LEN + 1)] = "";
	size_t len = 0;
	__u32 i;

	for (i = 0; i < pi->nr_mt; i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s", i ? "\n" : "", pi->mt[i]);
	return meta_text(w, KMT_META_MIGRATETYPES, names);
}

/* PAGEBLOCK_ORDER and MIGRATETYPES: /proc/pagetypeinfo, names from BTF as a fallback. */
static int meta_pagetypes(struct meta_list *w, const struct btf *btf, char *err,
			  size_t errlen)
{
	struct pagetype_info pi;
	char *text = NULL;
	int ret;

	ret = sysinfo__read_file("/proc/pagetypeinfo", &text, NULL);
	ret = ret ?: parse_pagetypeinfo(text, &pi);
	free(text);
	if (!ret) {
		ret = meta_u32(w, KMT_META_PAGEBLOCK_ORDER, pi.pageblock_order);
		return ret ?: meta_migratetypes(w, &pi);
	}
	note(err, errlen, "skipped PAGEBLOCK_ORDER: /proc/pagetypeinfo: %s", strerror(-ret));
	if (btf && !sysinfo__btf_migratetypes(btf, &pi))
		return meta_migratetypes(w, &pi);
	note(err, errlen, "skipped MIGRATETYPES: neither /proc/pagetypeinfo nor BTF");
	return 0;
}

/* Every zone of /proc/zoneinfo, empty ones included (with zeros). */
static int meta_zones(struct meta_list *w, char *err, size_t errlen)
{
	struct kmt_zone_info *zones;
	char *text = NULL;
	int nr, ret;

	ret = sysinfo__read_file("/proc/zoneinfo", &text, NULL);
	if (ret) {
		note(err, errlen, "skipped zones: /proc/zoneinfo: %s", strerror(-ret));
		return 0;
	}
	nr = parse_zoneinfo(text, NULL, 0);
	zones = nr > 0 ? calloc(nr, sizeof(*zones)) : NULL;
	if (zones)
		nr = parse_zoneinfo(text, zones, nr);
	free(text);
	if (!zones) {
		note(err, errlen, "skipped zones: %s", nr > 0 ? "out of memory" : "unparsable");
		return 0;
	}
	ret = meta_list__add(w, KMT_META_ZONES, zones, nr * sizeof(*zones));
	free(zones);
	return ret;
}

int sysinfo__kconfig(char **text, bool *rt, char *why, size_t whylen)
{
	struct strbuf sb = {};
	struct utsname u;
	char *s = NULL;
	int ret;

	uname(&u);
	*text = NULL;
	ret = kconfig_read(&sb, u.release, why, whylen);
	if (!ret) {
		*text = sb.s ? sb.s : strdup("");
		if (!*text)
			ret = -ENOMEM;
	} else {
		free(sb.s);
	}
	*rt = (*text && strstr(*text, "CONFIG_PREEMPT_RT=y")) || strstr(u.version, "PREEMPT_RT");
	if (!sysinfo__read_file("/sys/kernel/realtime", &s, NULL) && atoi(s) == 1)
		*rt = true;
	free(s);
	return ret;
}

static int meta_kconfig(struct meta_list *w, const struct utsname *u, char *err,
			size_t errlen)
{
	char why[400], *text;
	bool rt;
	int ret;

	(void)u;
	ret = sysinfo__kconfig(&text, &rt, why, sizeof(why));
	if (ret) {
		note(err, errlen, "skipped KCONFIG: %s", ret == -ENOMEM ? "out of memory" : why);
	} else {
		ret = meta_text(w, KMT_META_KCONFIG, text);
		if (ret) {
			free(text);
			return ret;
		}
	}
	free(text);
	return meta_u32(w, KMT_META_PREEMPT_RT, rt);
}

static int meta_start(struct meta_list *w, const struct sysinfo_opts *opts, char *err,
		      size_t errlen)
{
	const char *version = opts && opts->tool_version ? opts->tool_version : "unknown";
	struct btf *btf;
	struct utsname u;
	int ret;

	uname(&u);
	btf = btf__load_vmlinux_btf();
	if (!btf)
		note(err, errlen, "no kernel BTF: %s", strerror(errno));
	ret = meta_uname(w, &u, err, errlen);
	ret = ret ?: meta_cpus_pages(w, btf, err, errlen);
	ret = ret ?: meta_gfp(w, !(opts && opts->no_mount), err, errlen);
	ret = ret ?: meta_orders(w, btf, err, errlen);
	ret = ret ?: meta_pagetypes(w, btf, err, errlen);
	ret = ret ?: meta_zones(w, err, errlen);
	ret = ret ?: meta_kconfig(w, &u, err, errlen);
	ret = ret ?: meta_text(w, KMT_META_TOOL_VERSION, version);
	btf__free(btf);
	return ret;
}

/* The rest; buddyinfo and the debugfs indexes are meta_snapshot_group()'s. */
static const struct snapshot_src {
	const char *name;
	const char *path;
	bool optional;		/* absent on most kernels: no note */
} snapshot_srcs[] = {
	{ SYSINFO_SNAP_PAGETYPEINFO,	"/proc/pagetypeinfo" },
	{ SYSINFO_SNAP_SLABINFO,	"/proc/slabinfo" },
	{ SYSINFO_SNAP_VMALLOCINFO,	"/proc/vmallocinfo" },
	{ SYSINFO_SNAP_VMSTAT,		"/proc/vmstat" },
	{ SYSINFO_SNAP_ZONEINFO,	"/proc/zoneinfo" },
	{ SYSINFO_SNAP_MEMINFO,		"/proc/meminfo" },
	/* CONFIG_PAGE_REPORTING: blocks from this order up may be off the free lists for a
	 * moment, with no tracepoint (replay --check allows for it) */
	{ SYSINFO_SNAP_PAGE_REPORTING,	"/sys/module/page_reporting/parameters/page_reporting_order",
	  true },
};

static int meta_snapshot_text(struct meta_list *w, __u8 phase, const char *name,
			      const char *text, size_t len)
{
	size_t nlen = strlen(name);
	char *item = malloc(1 + nlen + 1 + len);
	int ret;

	if (!item)
		return -ENOMEM;
	item[0] = phase;
	memcpy(item + 1, name, nlen + 1);
	memcpy(item + 1 + nlen + 1, text, len);
	ret = meta_list__add(w, KMT_META_SNAPSHOT, item, 1 + nlen + 1 + len);
	free(item);
	return ret;
}

static int meta_snapshot(struct meta_list *w, __u8 phase, const char *name, const char *path,
			 char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	int ret;

	ret = sysinfo__read_file(path, &text, &len);
	if (ret) {
		note(err, errlen, "skipped snapshot %s: %s", path, strerror(-ret));
		return 0;
	}
	ret = meta_snapshot_text(w, phase, name, text, len);
	free(text);
	return ret;
}

/*
 * /proc/buddyinfo and the kernel's own extfrag_index / unusable_index are compared
 * order by order (replay --check), so they must describe the same moment: read them
 * back to back, before the slow files (pagetypeinfo walks every pageblock), and again
 * while buddyinfo changed under the index reads. Tries that never settle keep the last.
 */
#define SNAP_GROUP_TRIES 8

static int meta_snapshot_group(struct meta_list *w, __u8 phase, const char *dbg, char *err,
			       size_t errlen)
{
	char *before = NULL, *after = NULL, *idx[2] = {}, path[300];
	const char *names[2] = { SYSINFO_SNAP_EXTFRAG_INDEX, SYSINFO_SNAP_UNUSABLE_INDEX };
	const char *files[2] = { "extfrag/extfrag_index", "extfrag/unusable_index" };
	size_t blen = 0, alen = 0, ilen[2] = {};
	int ret, i, tries;

	ret = sysinfo__read_file("/proc/buddyinfo", &before, &blen);
	if (ret) {
		note(err, errlen, "skipped snapshot /proc/buddyinfo: %s", strerror(-ret));
		before = NULL;
	}
	for (tries = 0; dbg && tries < SNAP_GROUP_TRIES; tries++) {
		for (i = 0; i < 2; i++) {
			free(idx[i]);
			idx[i] = NULL;
			snprintf(path, sizeof(path), "%s/%s", dbg, files[i]);
			if (sysinfo__read_file(path, &idx[i], &ilen[i]))
				idx[i] = NULL;
		}
		if (!before || sysinfo__read_file("/proc/buddyinfo", &after, &alen))
			break;
		if (alen == blen && !memcmp(after, before, blen)) {
			free(after);
			break;
		}
		free(before);
		before = after;
		blen = alen;
		after = NULL;
	}
	ret = 0;
	if (before)
		ret = meta_snapshot_text(w, phase, SYSINFO_SNAP_BUDDYINFO, before, blen);
	for (i = 0; i < 2; i++) {
		if (!ret && idx[i])
			ret = meta_snapshot_text(w, phase, names[i], idx[i], ilen[i]);
		else if (!idx[i] && dbg)
			note(err, errlen, "skipped snapshot %s/%s", dbg, files[i]);
		free(idx[i]);
	}
	free(before);
	return ret;
}

static int meta_snapshots(struct meta_list *w, __u8 phase, bool may_mount, char *err,
			  size_t errlen)
{
	const char *dbg;
	char why[200];
	size_t i;
	int ret;

	dbg = sysinfo__debugfs_dir(may_mount, why, sizeof(why));
	if (!dbg)
		note(err, errlen, "skipped debugfs snapshots: %s", why);
	ret = meta_snapshot_group(w, phase, dbg, err, errlen);
	for (i = 0; !ret && i < sizeof(snapshot_srcs) / sizeof(snapshot_srcs[0]); i++) {
		if (snapshot_srcs[i].optional && access(snapshot_srcs[i].path, R_OK))
			continue;
		ret = meta_snapshot(w, phase, snapshot_srcs[i].name, snapshot_srcs[i].path,
				    err, errlen);
	}
	return ret;
}

bool freemap__matches_buddyinfo(const struct freemap *fm, const char *buddyinfo,
				const char *zoneinfo)
{
	struct kmt_zone_info z[64];
	struct buddy_row r[64];
	int nz = parse_zoneinfo(zoneinfo, z, 64), nb = parse_buddyinfo(buddyinfo, r, 64);

	if (nz <= 0 || nb <= 0 || nz > 64 || nb > 64)
		return false;
	for (int i = 0; i < nb; i++) {
		__u64 c[SYSINFO_MAX_ORDERS] = {};
		int j;

		for (j = 0; j < nz; j++)
			if (z[j].node == r[i].node && !strcmp(z[j].name, r[i].zone))
				break;
		if (j == nz)
			return false;
		freemap__to_orders(fm, z[j].start_pfn, z[j].start_pfn + z[j].spanned,
				   r[i].nr_orders, c);
		if (memcmp(c, r[i].nr_free, r[i].nr_orders * sizeof(c[0])))
			return false;
	}
	return true;
}

/*
 * Free page reporting (virtio-balloon; mm/page_reporting.c, on this project's
 * development and CI machines) takes free blocks of page_reporting_order and above
 * off the free lists for a moment to report them to the host and puts them back
 * without a tracepoint: a scan that meets them misses them, and the replay would
 * never learn of them. So a scan during which buddyinfo held still must agree with
 * it order by order; one that does not is taken again (4 scans at most, the last
 * kept). When buddyinfo moved, allocations went on: the events recorded meanwhile
 * reconcile those (the scan's read times), nothing to check.
 */
int freemap__scan_checked(struct freemap *fm, unsigned int *scans)
{
	char *before = NULL, *after = NULL, *zi = NULL;
	unsigned int n;
	int ret = 0;

	for (n = 1; n <= 4; n++) {
		free(before);
		free(after);
		before = after = NULL;
		if (n > 1)
			freemap__free(fm);
		if (sysinfo__read_file("/proc/buddyinfo", &before, NULL))
			before = NULL;
		ret = freemap__scan(fm, NULL);
		if (ret)
			break;
		if (!before || sysinfo__read_file("/proc/buddyinfo", &after, NULL) ||
		    strcmp(before, after))
			break;
		if (!zi && sysinfo__read_file("/proc/zoneinfo", &zi, NULL))
			break;
		if (freemap__matches_buddyinfo(fm, after, zi) || n == 4)
			break;
	}
	if (scans)
		*scans = n > 4 ? 4 : n;
	free(before);
	free(after);
	free(zi);
	return ret;
}

static int meta_freemap(struct meta_list *w, __u8 phase, char *err, size_t errlen)
{
	struct freemap fm;
	void *buf = NULL;
	size_t len;
	int ret;

	ret = freemap__scan_checked(&fm, NULL);
	if (ret) {
		note(err, errlen, "skipped free-page map: /proc/kpageflags: %s", strerror(-ret));
		return ret == -ENOMEM ? ret : 0;
	}
	ret = freemap__encode(&fm, phase, &buf, &len);
	if (!ret) {
		ret = meta_list__add(w, KMT_META_FREEMAP, buf, len);
		free(buf);
	}
	if (!ret && (buf = calloc(1, 8 + fm.nr_reads * sizeof(*fm.reads)))) {
		*(__u8 *)buf = phase;
		memcpy((char *)buf + 8, fm.reads, fm.nr_reads * sizeof(*fm.reads));
		ret = meta_list__add(w, KMT_META_FREEMAP_TIMES, buf,
				     8 + fm.nr_reads * sizeof(*fm.reads));
		free(buf);
	}
	freemap__free(&fm);
	return ret;
}

int sysinfo__collect_meta(struct meta_list *w, enum kmt_phase phase,
			const struct sysinfo_opts *opts, char *err, size_t errlen)
{
	bool may_mount = !(opts && opts->no_mount);
	int ret = 0;

	if (err && errlen)
		err[0] = 0;
	if (phase == KMT_PHASE_START)
		ret = meta_start(w, opts, err, errlen);
	if (!ret && !(opts && opts->no_snapshots))
		ret = meta_snapshots(w, phase, may_mount, err, errlen);
	if (!ret && !(opts && opts->no_freemap))
		ret = meta_freemap(w, phase, err, errlen);
	return ret;
}

int sysinfo__write_meta(struct trace_writer *w, enum kmt_phase phase,
			const struct sysinfo_opts *opts, char *err, size_t errlen)
{
	struct meta_list l = {};
	int ret = sysinfo__collect_meta(&l, phase, opts, err, errlen);

	if (!ret)
		ret = meta_list__write(&l, w);
	meta_list__free(&l);
	return ret;
}
