// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz harness: analysis/import.c over the input text, line by line as
 * `kmmtrace import` feeds it (perf script, tracefs, trace-cmd report, their
 * stack lines, headers). The sink checks what it is given; one input in eight
 * is also written with the trace writer to a memfd and read back, and the
 * events must come back identical.
 */
#include <errno.h>
#include <zlib.h>
#include "fuzz.h"
#include "import.h"
#include "trace.h"

#define MAX_KEEP	4096	/* events compared after a round trip */

struct got {
	struct kmt_sink w;		/* the writer's sink, or none */
	struct kmt_event *ev;
	size_t nr;
};

static int got_event(void *ctx, const struct kmt_event *e)
{
	struct got *g = ctx;

	if (e->type == KMT_EV_NONE || e->type >= KMT_EV_MAX)
		abort();
	if (g->nr < MAX_KEEP)
		g->ev[g->nr] = *e;
	g->nr++;
	return g->w.event ? g->w.event(g->w.ctx, e) : 0;
}

static int got_cache(void *ctx, const struct kmt_cache_def *c)
{
	struct got *g = ctx;

	if (strnlen(c->name, sizeof(c->name)) == sizeof(c->name))
		abort();
	return g->w.cache ? g->w.cache(g->w.ctx, c) : 0;
}

static int got_task(void *ctx, const struct kmt_task *t)
{
	struct got *g = ctx;

	if (strnlen(t->comm, sizeof(t->comm)) == sizeof(t->comm))
		abort();
	return g->w.task ? g->w.task(g->w.ctx, t) : 0;
}

static int got_stack(void *ctx, const struct kmt_stack *s)
{
	struct got *g = ctx;

	if (s->nr > KMT_MAX_STACK_DEPTH)
		abort();
	return g->w.stack ? g->w.stack(g->w.ctx, s) : 0;
}

static int got_sym(void *ctx, const struct kmt_sym *s)
{
	struct got *g = ctx;

	if (strnlen(s->name, sizeof(s->name)) == sizeof(s->name) ||
	    strnlen(s->module, sizeof(s->module)) == sizeof(s->module))
		abort();
	return g->w.sym ? g->w.sym(g->w.ctx, s) : 0;
}

/* Reads the written trace back: the events must be those the sink was given. */
static void read_back(const char *path, const struct got *g)
{
	struct trace_reader *r = trace_reader__open(path, NULL, NULL, 0);
	struct kmt_event e;
	size_t n = 0;
	int ret;

	if (!r)
		abort();
	while ((ret = trace_reader__next(r, &e)) > 0) {
		if (n < MAX_KEEP && n < g->nr) {
			struct kmt_event want = g->ev[n];

			want.pad = 0;
			if (memcmp(&e, &want, sizeof(e)))
				abort();
		}
		n++;
	}
	if (ret || n != g->nr || trace_reader__stats(r)->bad_frames)
		abort();
	trace_reader__free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_opts o = { .sz = sizeof(o) };
	struct got g = { .nr = 0 };
	struct kmt_sink sink = { .ctx = &g, .event = got_event, .cache = got_cache,
				 .task = got_task, .stack = got_stack, .sym = got_sym };
	struct trace_writer *w = NULL;
	__u32 h = (__u32)crc32(0, data, size);
	struct importer *imp;
	const char *path = NULL;
	char *text = fuzz_strdup(data, size), *line, *next;
	__u64 lineno = 0;
	int err = 0;

	if (!(h & 8))
		o.gfp = fuzz_gfp_table(&o.nr_gfp);
	g.ev = malloc(MAX_KEEP * sizeof(*g.ev));
	if (!g.ev)
		abort();
	if (!(h & 7) && !fuzz_file("", 0, &path)) {
		w = trace_writer__open(path, NULL, &err);
		if (!w)
			abort();
		g.w = trace_writer__sink(w);
	}
	imp = importer__new(&o, &sink);
	if (!imp)
		abort();
	for (line = text; line && !err; line = next) {
		next = memchr(line, '\n', text + size - line);
		if (next)
			*next++ = 0;
		err = importer__line(imp, line, ++lineno);
		if (err && err != -ENOKEY)
			abort();	/* only the sink fails otherwise, and this one does not */
		if (line == text + size)
			break;
	}
	if (!err && importer__finish(imp))
		abort();
	if (err && importer__error(imp)[0] == 0)
		abort();	/* -ENOKEY says which name */
	if (importer__stats(imp)->events != g.nr)
		abort();
	importer__free(imp);
	if (w) {
		if (trace_writer__finish(w))
			abort();
		trace_writer__free(w);
		read_back(path, &g);
	}
	free(g.ev);
	free(text);
	return 0;
}
