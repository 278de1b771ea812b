// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace file reader. Opening validates the file header and walks the frame
 * headers only (every length bounded by the file size before anything is
 * allocated), resyncing on the sync word past damage; META frames are read
 * then. Iteration decodes one chunk at a time. docs/FORMAT.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "trace.h"
#include "codec.h"
#include "defs.h"
#include "hash.h"

#define RESYNC_BLOCK	(64 * 1024)

struct chunk_ent {
	__u64 off;
	struct kmt_frame_hdr h;
	bool bad;		/* counted in bad_frames already */
};

struct meta_item {
	__u16 key;
	__u32 len;
	size_t off;		/* in meta_blob */
};

/* Reads, checks and inflates payloads; its raw buffer holds the last one. */
struct loader {
	z_stream zs;
	bool zs_ready;
	struct kmt_buf zbuf;	/* stored payload */
	struct kmt_buf raw;	/* decompressed payload */
};

/*
 * A chunk's events decoded ahead by the helper (chunks decode independently: the
 * delta state, dictionaries and sites start afresh in each). Only for chunks of at
 * most PREDECODE_MAX events (the writer's default is 65536), so the array stays
 * bounded whatever a file claims; larger ones decode on the reading thread.
 */
#define PREDECODE_MAX	(128u * 1024)

struct predecoded {
	bool on;		/* this chunk's first EVENTS section was decoded ahead */
	int init_err;		/* kmt_dec__init's result for it */
	int end;		/* kmt_dec__next's after the last event: 0 or -EBADMSG */
	size_t n, i;		/* events decoded, returned */
	__u64 t_min, t_max;	/* of the n events' timestamps */
	size_t cap;
	struct kmt_event *ev;
};

/*
 * A helper thread loads (reads, checks, inflates) the chunk after the one being
 * decoded, and decodes its events too while the reading thread has the more to do.
 * Between chunks it runs the caller's own work, if any (trace_reader__set_helper_work);
 * a chunk it has not begun while at that work is loaded by the reading thread.
 */
struct prefetch {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running;
	bool off;		/* one CPU: not worth a thread */
	bool stop;
	bool has_job;		/* job is the chunk it has, or is loading */
	bool busy;		/* loading it */
	bool started;		/* the helper has begun the job */
	size_t job;
	int ret;		/* the job's result once !busy */
	struct loader l;
	struct kmt_chunk_dec dec;
	struct predecoded pre;
	bool want_pre;		/* decode the job's events too (see pre_next) */
	/* ns per event, moving averages: the helper's loading, its decoding */
	double load_ns, dec_ns;
	bool have_dec;
	int force;		/* 1 always, 0 never, -1 measure: trace_reader__set_predecode(),
				 * KMMTRACE_PREDECODE (tests) over it */
	int (*work)(void *);	/* trace_reader__set_helper_work() */
	void *work_arg;
	bool kicked;		/* work may have something to do */
	bool in_work;		/* the helper is running it */
};

#define SPARE_MAX	4

struct trace_reader {
	int fd;
	struct trace_reader_stats st;
	__u64 data_off;		/* first frame */
	struct chunk_ent *chunks;
	size_t nr_chunks;
	size_t cap_chunks;
	size_t next_chunk;
	struct chunk_ent *cur;	/* chunk being decoded */
	struct meta_item *meta;
	size_t nr_meta;
	size_t cap_meta;
	struct kmt_buf meta_blob;
	struct loader ld;
	struct prefetch pf;
	struct kmt_chunk_dec dec;
	struct predecoded pre;	/* the current chunk's events, when the helper decoded them */
	struct kmt_event one;	/* trace_reader__batch()'s batch of one */
	double proc_ns;		/* ns per event the reading thread spends beyond decoding */
	bool have_proc;
	__u64 handed_ns;	/* when it got the current chunk (0: none) */
	__u64 handed_events;
	bool handed_pre;
	int predecode;		/* trace_reader__set_predecode() */
	bool last_whole;	/* the last batch was r->pre.ev, a whole chunk */
	struct kmt_event *spare[SPARE_MAX];	/* arrays handed back (trace_reader__give_batch) */
	size_t spare_cap[SPARE_MAX];
	int nr_spare;
	struct kmt_defs *defs;
};

enum probe {
	PROBE_OK,
	PROBE_BAD,
	PROBE_TRUNC,
};

static void set_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/* bytes read (short only at end of file), or -errno */
static ssize_t pread_full(int fd, void *buf, size_t len, __u64 off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	return done;
}

static void *grow_array(void *p, size_t *cap, size_t len, size_t esz)
{
	size_t ncap = *cap ? *cap * 2 : 16;

	if (len < *cap)
		return p;
	p = realloc(p, ncap * esz);
	if (p)
		*cap = ncap;
	return p;
}

/* ---- definitions ---- */

static int apply_defs(struct trace_reader *r, const __u8 *p, size_t len)
{
	struct kmt_cur c = { .p = p, .end = p + len };
	union kmt_def d;
	int tag = 0, err = 0;

	while (!err && (tag = kmt_def__next(&c, &d)) > 0) {
		switch (tag) {
		case KMT_DEF_CACHE:
			err = kmt_defs__put_cache(r->defs, &d.cache);
			break;
		case KMT_DEF_TASK:
			err = kmt_defs__put_task(r->defs, &d.task);
			break;
		case KMT_DEF_STACK:
			err = kmt_defs__put_stack(r->defs, &d.stack);
			break;
		case KMT_DEF_SYM:
			err = kmt_defs__put_sym(r->defs, &d.sym);
			break;
		}
	}
	return err ? err : tag;
}

/* ---- payloads ---- */

/* Reads, checks and inflates a frame's payload into l->raw. */
static int load_payload(struct loader *l, int fd, __u64 off, const struct kmt_frame_hdr *h)
{
	bool z = h->flags & KMT_FRAME_F_DEFLATE;
	struct kmt_buf *dst = z ? &l->zbuf : &l->raw;
	ssize_t n;

	if (h->flags & ~KMT_FRAME_F_DEFLATE)
		return -EBADMSG;
	if (kmt_buf__reserve(dst, (size_t)h->stored_len + 1) ||
	    kmt_buf__reserve(&l->raw, (size_t)h->raw_len + 1))
		return -ENOMEM;
	n = pread_full(fd, dst->p, h->stored_len, off + h->hdr_size);
	if (n < 0)
		return n;
	if (n != h->stored_len)
		return -EIO;	/* the file shrank since it was indexed */
	if (kmt_crc32(dst->p, h->stored_len) != h->payload_crc)
		return -EBADMSG;
	if (!z)
		return 0;
	if (!l->zs_ready) {
		if (inflateInit2(&l->zs, -15) != Z_OK)
			return -ENOMEM;
		l->zs_ready = true;
	}
	inflateReset(&l->zs);
	l->zs.next_in = dst->p;
	l->zs.avail_in = h->stored_len;
	l->zs.next_out = l->raw.p;
	l->zs.avail_out = h->raw_len;
	if (inflate(&l->zs, Z_FINISH) != Z_STREAM_END || l->zs.avail_out || l->zs.avail_in)
		return -EBADMSG;
	return 0;
}

static void loader_free(struct loader *l)
{
	if (l->zs_ready)
		inflateEnd(&l->zs);
	kmt_buf__free(&l->zbuf);
	kmt_buf__free(&l->raw);
}

/* Checks a META payload whole, then keeps its items (values 16-aligned, NUL after). */
static int parse_meta(struct trace_reader *r, const __u8 *p, size_t len)
{
	const __u8 *q, *end = p + len;
	struct meta_item *it;
	__u32 ilen;

	for (q = p; q < end; q += 6 + ilen) {
		if (end - q < 6 || (ilen = kmt_le32(q + 2)) > (size_t)(end - q - 6))
			return -EBADMSG;
	}
	for (q = p; q < end; q += 6 + ilen) {
		ilen = kmt_le32(q + 2);
		it = grow_array(r->meta, &r->cap_meta, r->nr_meta, sizeof(*r->meta));
		if (!it)
			return -ENOMEM;
		r->meta = it;
		if (kmt_buf__reserve(&r->meta_blob, (size_t)ilen + 16))
			return -ENOMEM;
		r->meta_blob.len = (r->meta_blob.len + 15) & ~(size_t)15;
		it = &r->meta[r->nr_meta++];
		it->key = kmt_le16(q);
		it->len = ilen;
		it->off = r->meta_blob.len;
		kmt_buf__put(&r->meta_blob, q + 6, ilen);
		kmt_buf__put(&r->meta_blob, "", 1);
	}
	return 0;
}

/* ---- indexing ---- */

static bool lengths_ok(const struct kmt_frame_hdr *h)
{
	if (h->hdr_size < KMT_FRAME_HDR_SIZE || h->hdr_size > KMT_FRAME_HDR_MAX)
		return false;
	if (h->stored_len > KMT_FRAME_MAX || h->raw_len > KMT_FRAME_MAX)
		return false;
	if (h->flags & KMT_FRAME_F_DEFLATE) {
		if (h->raw_len > (__u64)h->stored_len * 1032 + 64 || !h->stored_len)
			return false;
	} else if (h->stored_len != h->raw_len) {
		return false;
	}
	if (h->type == KMT_FRAME_CHUNK)
		return h->nr_events <= h->raw_len;
	return h->type != KMT_FRAME_META && h->type != KMT_FRAME_END ? true : !h->nr_events;
}

static int probe_frame(struct trace_reader *r, __u64 off, struct kmt_frame_hdr *h)
{
	__u64 avail = r->st.file_size - off;
	__u8 buf[KMT_FRAME_HDR_SIZE], sync[4];
	ssize_t n;

	n = pread_full(r->fd, buf, avail < sizeof(buf) ? avail : sizeof(buf), off);
	if (n < 0)
		return n;
	if (n < (ssize_t)sizeof(buf)) {	/* a cut header, if it starts like one */
		kmt_put_le32(sync, KMT_FRAME_SYNC);
		return memcmp(buf, sync, n < 4 ? n : 4) ? PROBE_BAD : PROBE_TRUNC;
	}
	if (kmt_frame_hdr__unpack(buf, h) || !lengths_ok(h))
		return PROBE_BAD;
	if ((__u64)h->hdr_size + h->stored_len > avail)
		return PROBE_TRUNC;
	return PROBE_OK;
}

/* Offset of the next plausible frame after damage at from - 1 (file size if none). */
static int resync(struct trace_reader *r, __u64 from, __u64 *next)
{
	__u8 buf[RESYNC_BLOCK], sync[4];
	struct kmt_frame_hdr h;
	__u64 off = from;
	ssize_t n, i;
	int ret;

	kmt_put_le32(sync, KMT_FRAME_SYNC);
	while (off < r->st.file_size) {
		n = pread_full(r->fd, buf, sizeof(buf), off);
		if (n <= 0)
			return n ? n : -EIO;
		for (i = 0; i < n; i++) {
			if (buf[i] != sync[0] || (i + 4 <= n && memcmp(buf + i, sync, 4)))
				continue;
			ret = probe_frame(r, off + i, &h);
			if (ret < 0)
				return ret;
			if (ret != PROBE_BAD) {
				*next = off + i;
				return 0;
			}
		}
		off += n;
	}
	*next = r->st.file_size;
	return 0;
}

static int add_chunk(struct trace_reader *r, __u64 off, const struct kmt_frame_hdr *h)
{
	struct chunk_ent *c;

	c = grow_array(r->chunks, &r->cap_chunks, r->nr_chunks, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r->chunks = c;
	c = &r->chunks[r->nr_chunks++];
	c->off = off;
	c->h = *h;
	c->bad = false;
	r->st.chunks++;
	return 0;
}

static int add_frame(struct trace_reader *r, __u64 off, const struct kmt_frame_hdr *h)
{
	int err = 0;

	r->st.frames++;
	switch (h->type) {
	case KMT_FRAME_CHUNK:
		return add_chunk(r, off, h);
	case KMT_FRAME_META:
		err = load_payload(&r->ld, r->fd, off, h);
		if (!err)
			err = parse_meta(r, r->ld.raw.p, h->raw_len);
		break;
	case KMT_FRAME_END:
		err = load_payload(&r->ld, r->fd, off, h);
		if (!err)
			r->st.finished = true;
		break;
	default:
		break;		/* a newer frame type: skipped */
	}
	if (err == -EBADMSG) {
		r->st.bad_frames++;
		err = 0;
	}
	return err;
}

static int index_frames(struct trace_reader *r)
{
	__u64 off = r->data_off;
	struct kmt_frame_hdr h;
	int ret;

	while (off < r->st.file_size) {
		ret = probe_frame(r, off, &h);
		if (ret < 0)
			return ret;
		if (ret == PROBE_TRUNC) {
			r->st.truncated = true;
			r->st.truncated_at = off;
			break;
		}
		if (ret == PROBE_BAD) {
			r->st.bad_frames++;
			ret = resync(r, off + 1, &off);
			if (ret)
				return ret;
			continue;
		}
		ret = add_frame(r, off, &h);
		if (ret)
			return ret;
		off += h.hdr_size + (__u64)h.stored_len;
	}
	return 0;
}

static int read_file_header(struct trace_reader *r, char *msg, size_t msglen)
{
	__u8 h[KMT_FILE_HDR_SIZE] = { 0 };
	ssize_t n = pread_full(r->fd, h, sizeof(h), 0);
	__u32 hsz;

	if (n < 0)
		return n;
	if (n < 8 || memcmp(h, KMT_FILE_MAGIC, 8)) {
		set_msg(msg, msglen, "not a kmmtrace file%s", n ? "" : " (empty)");
		return -EINVAL;
	}
	r->st.major = kmt_le16(h + 8);
	r->st.minor = kmt_le16(h + 10);
	hsz = kmt_le32(h + 12);
	if (n >= 12 && (r->st.major > KMT_FORMAT_MAJOR || !r->st.major)) {
		set_msg(msg, msglen,
			"trace format version %u.%u is %s than the supported version %u.%u",
			r->st.major, r->st.minor, r->st.major ? "newer" : "older",
			KMT_FORMAT_MAJOR, KMT_FORMAT_MINOR);
		return -EPROTONOSUPPORT;
	}
	if (n < (ssize_t)sizeof(h) || hsz > r->st.file_size) {
		set_msg(msg, msglen, "truncated kmmtrace file header (%lld bytes)", (long long)n);
		return -EINVAL;
	}
	if (hsz < KMT_FILE_HDR_SIZE || hsz > KMT_FILE_HDR_MAX) {
		set_msg(msg, msglen, "bad kmmtrace file header size %u", hsz);
		return -EINVAL;
	}
	r->data_off = hsz;
	return 0;
}

struct trace_reader *trace_reader__open(const char *path, int *err, char *msg, size_t msglen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int ret = -ENOMEM;

	set_msg(msg, msglen, "%s", "");
	if (!r)
		goto fail;
	r->fd = -1;
	r->predecode = TRACE_DECODE_MEASURED;
	if (!(r->defs = kmt_defs__new()))
		goto fail;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st)) {
		ret = -errno;
		set_msg(msg, msglen, "failed to open %s: %s", path, strerror(-ret));
		goto fail;
	}
	r->st.file_size = st.st_size;
	ret = read_file_header(r, msg, msglen);
	if (!ret)
		ret = index_frames(r);
	if (ret) {
		if (msg && !msg[0])
			set_msg(msg, msglen, "failed to read %s: %s", path, strerror(-ret));
		goto fail;
	}
	return r;
fail:
	trace_reader__free(r);
	if (err)
		*err = ret;
	return NULL;
}

/* ---- iteration ---- */

static const __u8 no_events[] = { 0, 0, 0 };	/* 0 events, 0 types, 0 columns */

/* A chunk payload's next section: 1 (*sec, its body at c->p, *len), 0 at the end, -EBADMSG. */
static int chunk_section(struct kmt_cur *c, __u8 *sec, __u64 *len)
{
	if (c->p >= c->end)
		return 0;
	*sec = kmt_cur__u8(c);
	*len = kmt_cur__uv(c);
	return c->bad || *len > (__u64)(c->end - c->p) ? -EBADMSG : 1;
}

static int parse_chunk(struct trace_reader *r, const __u8 *p, const struct chunk_ent *c)
{
	struct kmt_cur cur = { .p = p, .end = p + c->h.raw_len };
	bool events = false;
	__u64 len;
	__u8 sec;
	int err;

	while ((err = chunk_section(&cur, &sec, &len)) > 0) {
		err = 0;
		if (sec == KMT_SEC_DEFS) {
			err = apply_defs(r, cur.p, len);
		} else if (sec == KMT_SEC_EVENTS) {
			if (events)
				return -EBADMSG;
			events = true;
			err = r->pre.on ? r->pre.init_err :
			      kmt_dec__init(&r->dec, cur.p, len, c->h.nr_events);
		}
		if (err)
			return err;
		cur.p += len;
	}
	if (err)
		return err;
	if (events)
		return 0;
	r->pre.on = false;
	return kmt_dec__init(&r->dec, no_events, sizeof(no_events), c->h.nr_events);
}

static void mark_bad(struct trace_reader *r, struct chunk_ent *c)
{
	if (!c->bad)
		r->st.bad_frames++;
	c->bad = true;
}

/* ---- prefetch ---- */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void ewma(double *avg, double sample, bool have)
{
	*avg = have ? *avg * 0.75 + sample * 0.25 : sample;
}

/*
 * Whether the helper should decode chunk i's events too. Per event, the helper loads
 * (L) and may decode (D); the reading thread does its analysis (P). Decoding on the
 * helper makes the pair take max(P, L + D) per event instead of max(D + P, L): worth
 * it for a heavy analysis (report), not for a light one (replay skips most events).
 * Measured as it goes; every 64th chunk is decoded ahead to keep D current.
 */
static bool pre_next(const struct trace_reader *r, const struct prefetch *pf, size_t i)
{
	double L = pf->load_ns, D = pf->dec_ns, P = r->proc_ns;
	double ahead, inline_;

	if (pf->force >= 0)
		return pf->force;
	if (!pf->have_dec || !r->have_proc || i % 64 == 0)
		return true;
	ahead = P > L + D ? P : L + D;
	inline_ = D + P > L ? D + P : L;
	return ahead < inline_;
}

/*
 * The helper's half of parse_chunk(): finds the payload's first EVENTS section the
 * same way and decodes it whole into pre; pre->on stays false where parse_chunk()
 * would stop before it, or the chunk is too large, so the reading thread does it all.
 */
static void predecode(struct kmt_chunk_dec *d, struct predecoded *pre, const __u8 *p,
		      const struct kmt_frame_hdr *h)
{
	struct kmt_cur cur = { .p = p, .end = p + h->raw_len };
	struct kmt_event spare;
	__u64 len;
	__u8 sec;
	int ret;

	pre->on = false;
	if (h->nr_events > PREDECODE_MAX)
		return;
	while ((ret = chunk_section(&cur, &sec, &len)) > 0 && sec != KMT_SEC_EVENTS)
		cur.p += len;
	if (ret <= 0)
		return;
	if (pre->cap < h->nr_events) {
		struct kmt_event *ev = realloc(pre->ev, h->nr_events * sizeof(*ev));

		if (!ev)
			return;
		kmt_thp_hint(ev, h->nr_events * sizeof(*ev));
		pre->ev = ev;
		pre->cap = h->nr_events;
	}
	pre->n = pre->i = 0;
	pre->end = 0;
	pre->t_min = UINT64_MAX;
	pre->t_max = 0;
	pre->init_err = kmt_dec__init(d, cur.p, len, h->nr_events);
	if (!pre->init_err) {
		while (pre->n < pre->cap && (ret = kmt_dec__next(d, &pre->ev[pre->n])) == 1) {
			__u64 ts = pre->ev[pre->n++].ts;

			pre->t_min = ts < pre->t_min ? ts : pre->t_min;
			pre->t_max = ts > pre->t_max ? ts : pre->t_max;
		}
		if (pre->n == pre->cap)	/* the decoder's verdict on what follows */
			while ((ret = kmt_dec__next(d, &spare)) == 1)
				;
		pre->end = ret;
	}
	pre->on = true;
}

/* One unit of the caller's work, on the helper, with pf->mu held on entry and return. */
static void helper_work(struct prefetch *pf)
{
	int (*fn)(void *) = pf->work;
	void *arg = pf->work_arg;
	int did;

	pf->kicked = false;
	pf->in_work = true;
	pthread_mutex_unlock(&pf->mu);
	did = fn(arg);
	pthread_mutex_lock(&pf->mu);
	pf->in_work = false;
	pf->kicked |= did > 0;
	pthread_cond_broadcast(&pf->cv);
}

static void *prefetch_main(void *arg)
{
	struct trace_reader *r = arg;
	struct prefetch *pf = &r->pf;
	struct chunk_ent c;
	__u64 t0, t1, t2;
	bool want;
	int ret;

	pthread_mutex_lock(&pf->mu);
	while (!pf->stop) {
		if (!pf->busy || pf->started) {
			if (pf->work && pf->kicked)
				helper_work(pf);
			else
				pthread_cond_wait(&pf->cv, &pf->mu);
			continue;
		}
		pf->started = true;
		c = r->chunks[pf->job];
		want = pf->want_pre;
		pthread_mutex_unlock(&pf->mu);
		t0 = now_ns();
		ret = load_payload(&pf->l, r->fd, c.off, &c.h);
		t1 = now_ns();
		pf->pre.on = false;
		if (!ret && want)
			predecode(&pf->dec, &pf->pre, pf->l.raw.p, &c.h);
		t2 = now_ns();
		pthread_mutex_lock(&pf->mu);
		if (!ret && c.h.nr_events) {
			ewma(&pf->load_ns, (double)(t1 - t0) / c.h.nr_events, pf->load_ns > 0);
			if (pf->pre.on) {
				ewma(&pf->dec_ns, (double)(t2 - t1) / c.h.nr_events, pf->have_dec);
				pf->have_dec = true;
			}
		}
		pf->ret = ret;
		pf->busy = false;
		pthread_cond_broadcast(&pf->cv);
	}
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

/* pf->force for r->predecode: whether the helper decodes (1, 0) or measures (-1) */
static int helper_decodes(const struct trace_reader *r)
{
	return r->predecode == TRACE_DECODE_CHUNK_HERE ? 0 : r->predecode;
}

/* Worth it with two chunks or more to go and two CPUs or more to run on; else load inline. */
static void prefetch_start(struct trace_reader *r, size_t i)
{
	struct prefetch *pf = &r->pf;
	cpu_set_t cpus;

	if (pf->running || pf->off || r->nr_chunks - i < 2)
		return;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) || CPU_COUNT(&cpus) < 2) {
		pf->off = true;
		return;
	}
	pf->force = getenv("KMMTRACE_PREDECODE") ? atoi(getenv("KMMTRACE_PREDECODE")) > 0
						  : helper_decodes(r);
	if (pthread_mutex_init(&pf->mu, NULL))
		return;
	if (pthread_cond_init(&pf->cv, NULL)) {
		pthread_mutex_destroy(&pf->mu);
		return;
	}
	if (pthread_create(&pf->th, NULL, prefetch_main, r)) {
		pthread_cond_destroy(&pf->cv);
		pthread_mutex_destroy(&pf->mu);
		return;
	}
	pf->running = true;
}

static void prefetch_job(struct prefetch *pf, size_t i, bool want_pre)
{
	pf->want_pre = want_pre;
	pf->job = i;
	pf->has_job = true;
	pf->busy = true;
	pf->started = false;
	pthread_cond_broadcast(&pf->cv);
}

/* An array handed back (trace_reader__give_batch) for pre, if it has none: the caller kept it. */
static void take_spare(struct trace_reader *r, struct predecoded *pre)
{
	if (pre->ev || !r->nr_spare)
		return;
	r->nr_spare--;
	pre->ev = r->spare[r->nr_spare];
	pre->cap = r->spare_cap[r->nr_spare];
}

/* Chunk i's payload into r->ld.raw, from the helper when it has it; then the next. */
static int load_chunk_payload(struct trace_reader *r, size_t i)
{
	struct prefetch *pf = &r->pf;
	struct predecoded tmp_pre;
	struct kmt_buf tmp;
	double busy = -1;
	bool here;
	int ret;

	prefetch_start(r, i);
	if (pf->running && r->handed_ns && r->handed_events)	/* the chunk just done */
		busy = (double)(now_ns() - r->handed_ns) / r->handed_events;
	r->handed_ns = 0;
	r->pre.on = false;
	if (!pf->running)
		return load_payload(&r->ld, r->fd, r->chunks[i].off, &r->chunks[i].h);
	pthread_mutex_lock(&pf->mu);
	if (busy >= 0) {	/* dec_ns is the helper's, written under the lock */
		if (!r->handed_pre)
			busy -= pf->have_dec ? pf->dec_ns : 0;
		ewma(&r->proc_ns, busy > 0 ? busy : 0, r->have_proc);
		r->have_proc = true;
	}
	if (!pf->has_job || pf->job != i) {	/* first call, or after a rewind */
		pf->busy &= pf->started;	/* not begun: dropped, so never waited for */
		while (pf->busy)
			pthread_cond_wait(&pf->cv, &pf->mu);
		prefetch_job(pf, i, pre_next(r, pf, i));
	}
	here = pf->busy && !pf->started && pf->in_work;	/* busy with the caller's work */
	if (here) {	/* not begun: loaded here, after the next is handed to the helper */
		pf->busy = false;
		r->st.taken_back++;
	}
	while (pf->busy)
		pthread_cond_wait(&pf->cv, &pf->mu);
	if (!here) {
		tmp = r->ld.raw;
		r->ld.raw = pf->l.raw;
		pf->l.raw = tmp;
		tmp_pre = r->pre;
		r->pre = pf->pre;
		pf->pre = tmp_pre;
		pf->pre.on = false;
		if (r->predecode != TRACE_DECODE_CHUNK_HERE)	/* else the helper needs none */
			take_spare(r, &pf->pre);
		ret = pf->ret;
	}
	pf->has_job = false;
	if (i + 1 < r->nr_chunks)
		prefetch_job(pf, i + 1, pre_next(r, pf, i + 1));
	pthread_mutex_unlock(&pf->mu);
	if (here)
		ret = load_payload(&r->ld, r->fd, r->chunks[i].off, &r->chunks[i].h);
	r->handed_ns = now_ns();
	r->handed_events = r->chunks[i].h.nr_events;
	r->handed_pre = r->pre.on;
	return ret;
}

static void prefetch_stop(struct trace_reader *r)
{
	struct prefetch *pf = &r->pf;

	if (!pf->running)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	pthread_join(pf->th, NULL);
	pthread_cond_destroy(&pf->cv);
	pthread_mutex_destroy(&pf->mu);
	pf->running = false;
}

static int load_chunk(struct trace_reader *r, size_t i)
{
	int err = load_chunk_payload(r, i);

	if (err)
		return err;
	if (r->predecode == TRACE_DECODE_CHUNK_HERE && !r->pre.on) {	/* whole, on this thread */
		take_spare(r, &r->pre);
		predecode(&r->dec, &r->pre, r->ld.raw.p, &r->chunks[i].h);
	}
	return parse_chunk(r, r->ld.raw.p, &r->chunks[i]);
}

/* Every event handed out, by trace_reader__next() or __batch(): count and time range. */
static inline void count_event(struct trace_reader *r, __u64 ts)
{
	if (!r->st.events++ || ts < r->st.t_first)
		r->st.t_first = ts;
	if (ts > r->st.t_last)
		r->st.t_last = ts;
}

/* Makes the next readable chunk current: 1, 0 past the last, < 0 an I/O error. */
static int next_chunk(struct trace_reader *r)
{
	struct chunk_ent *c;
	int ret;

	for (;;) {
		if (r->next_chunk >= r->nr_chunks)
			return 0;
		c = &r->chunks[r->next_chunk];
		ret = load_chunk(r, r->next_chunk++);
		if (ret == -EBADMSG) {
			mark_bad(r, c);
			continue;
		}
		if (ret < 0)
			return ret;
		r->cur = c;
		r->st.lost = c->h.lost;
		return 1;
	}
}

int trace_reader__next(struct trace_reader *r, struct kmt_event *e)
{
	int ret;

	r->last_whole = false;
	for (;;) {
		if (r->cur) {
			if (r->pre.on)
				ret = r->pre.i < r->pre.n ? (*e = r->pre.ev[r->pre.i++], 1) : r->pre.end;
			else
				ret = kmt_dec__next(&r->dec, e);
			if (likely(ret == 1)) {
				count_event(r, e->ts);
				return 1;
			}
			if (ret < 0)
				mark_bad(r, r->cur);
			r->cur = NULL;
		}
		ret = next_chunk(r);
		if (ret <= 0)
			return ret;
	}
}

int trace_reader__batch(struct trace_reader *r, const struct kmt_event **ev, size_t max)
{
	const struct kmt_event *b;
	size_t n, i;
	int ret;

	if (!max)
		return -EINVAL;
	r->last_whole = false;
	for (;;) {
		if (r->cur && !r->pre.on)
			break;	/* decoded on this thread: one at a time */
		if (r->cur && r->pre.i < r->pre.n) {
			n = r->pre.n - r->pre.i < max ? r->pre.n - r->pre.i : max;
			b = *ev = &r->pre.ev[r->pre.i];
			if (!r->pre.i && n == r->pre.n) {	/* a whole chunk: range known */
				r->last_whole = true;
				if (!r->st.events || r->pre.t_min < r->st.t_first)
					r->st.t_first = r->pre.t_min;
				if (r->pre.t_max > r->st.t_last)
					r->st.t_last = r->pre.t_max;
				r->st.events += n;
			} else {
				for (i = 0; i < n; i++)
					count_event(r, b[i].ts);
			}
			r->pre.i += n;
			return (int)n;
		}
		if (r->cur) {	/* decoded ahead, and all handed out */
			if (r->pre.end < 0)
				mark_bad(r, r->cur);
			r->cur = NULL;
		}
		ret = next_chunk(r);
		if (ret <= 0)
			return ret;
	}
	ret = trace_reader__next(r, &r->one);
	if (ret == 1)
		*ev = &r->one;
	return ret;
}

struct kmt_event *trace_reader__keep_batch(struct trace_reader *r, size_t *cap)
{
	struct kmt_event *ev = r->pre.ev;

	if (!r->last_whole || !ev)
		return NULL;
	r->last_whole = false;
	*cap = r->pre.cap;
	r->pre.ev = NULL;	/* the helper gets a spare, or allocates */
	r->pre.cap = r->pre.n = r->pre.i = 0;
	return ev;
}

void trace_reader__give_batch(struct trace_reader *r, struct kmt_event *ev, size_t cap)
{
	if (!ev)
		return;
	if (r->nr_spare == SPARE_MAX) {
		free(ev);
		return;
	}
	r->spare[r->nr_spare] = ev;
	r->spare_cap[r->nr_spare++] = cap;
}

bool trace_reader__set_helper_work(struct trace_reader *r, int (*fn)(void *), void *arg)
{
	struct prefetch *pf = &r->pf;

	if (fn)
		prefetch_start(r, r->next_chunk);
	if (!pf->running)
		return false;
	pthread_mutex_lock(&pf->mu);
	while (!fn && pf->in_work)
		pthread_cond_wait(&pf->cv, &pf->mu);
	pf->work = fn;
	pf->work_arg = arg;
	pf->kicked = fn != NULL;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	return true;
}

void trace_reader__kick(struct trace_reader *r)
{
	struct prefetch *pf = &r->pf;

	if (!pf->running)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->kicked = true;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
}

void trace_reader__set_predecode(struct trace_reader *r, int mode)
{
	r->predecode = mode >= TRACE_DECODE_MEASURED && mode <= TRACE_DECODE_CHUNK_HERE ?
		       mode : TRACE_DECODE_MEASURED;
	if (r->pf.running && !getenv("KMMTRACE_PREDECODE"))
		r->pf.force = helper_decodes(r);	/* read by this thread only (pre_next) */
}

int trace_reader__rewind(struct trace_reader *r)
{
	r->next_chunk = 0;
	r->cur = NULL;
	r->last_whole = false;
	r->st.events = 0;
	r->st.t_first = 0;
	r->st.t_last = 0;
	r->st.lost = 0;
	return 0;
}

const struct trace_reader_stats *trace_reader__stats(const struct trace_reader *r)
{
	return &r->st;
}

const void *trace_reader__meta(const struct trace_reader *r, __u16 key, unsigned int n,
			       __u32 *len)
{
	size_t i;

	for (i = 0; i < r->nr_meta; i++) {
		if (r->meta[i].key != key || n--)
			continue;
		if (len)
			*len = r->meta[i].len;
		return r->meta_blob.p + r->meta[i].off;
	}
	return NULL;
}

const struct kmt_cache_def *trace_reader__cache(const struct trace_reader *r, __u64 cache)
{
	return kmt_defs__cache(r->defs, cache);
}

const struct kmt_task *trace_reader__task(const struct trace_reader *r, __u32 tid)
{
	return kmt_defs__task(r->defs, tid);
}

const struct kmt_stack *trace_reader__stack(const struct trace_reader *r, __s32 id)
{
	return kmt_defs__stack(r->defs, id);
}

const struct kmt_sym *trace_reader__sym(const struct trace_reader *r, __u64 addr)
{
	return kmt_defs__sym(r->defs, addr);
}

const struct kmt_defs *trace_reader__defs(const struct trace_reader *r)
{
	return r->defs;
}

void trace_reader__free(struct trace_reader *r)
{
	if (!r)
		return;
	prefetch_stop(r);
	if (r->fd >= 0)
		close(r->fd);
	loader_free(&r->ld);
	loader_free(&r->pf.l);
	free(r->chunks);
	free(r->meta);
	kmt_buf__free(&r->meta_blob);
	kmt_dec__free(&r->dec);
	kmt_dec__free(&r->pf.dec);
	free(r->pre.ev);
	free(r->pf.pre.ev);
	while (r->nr_spare)
		free(r->spare[--r->nr_spare]);
	kmt_defs__free(r->defs);
	free(r);
}
