// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace dump: one line per event, decoded, like perf script (-j: JSON lines). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "jsonout.h"
#include "context.h"
#include "event.h"
#include "trace.h"
#include "tracemeta.h"

enum field_fmt { F_HEX, F_DEC, F_SDEC, F_GFP, F_SYM, F_MT, F_PFN };

enum field_src { S_PTR, S_CALL_SITE, S_SIZE, S_SIZE2, S_AUX, S_AUX2, S_GFP, S_NODE, S_ORDER,
		 S_MT, S_ARG, S_ARG2 };

struct field {
	const char *name;
	enum field_src src;
	enum field_fmt fmt;
};

#define END { NULL, 0, 0 }
#define SLAB_ALLOC { "call_site", S_CALL_SITE, F_SYM }, { "ptr", S_PTR, F_HEX }, \
	{ "bytes_req", S_SIZE, F_DEC }, { "bytes_alloc", S_SIZE2, F_DEC }, \
	{ "gfp_flags", S_GFP, F_GFP }, { "node", S_NODE, F_SDEC }
#define SLAB_FREE { "call_site", S_CALL_SITE, F_SYM }, { "ptr", S_PTR, F_HEX }

/* Names as the kernel's tracepoints print them. */
static const struct field fields[KMT_EV_MAX][9] = {
	[KMT_EV_KMALLOC] = { SLAB_ALLOC, END },
	[KMT_EV_KFREE] = { SLAB_FREE, END },
	[KMT_EV_CACHE_ALLOC] = { SLAB_ALLOC, { "cache", S_AUX, F_HEX }, END },
	[KMT_EV_CACHE_FREE] = { SLAB_FREE, { "cache", S_AUX, F_HEX }, END },
	[KMT_EV_PAGE_ALLOC] = { { "pfn", S_PTR, F_PFN }, { "order", S_ORDER, F_SDEC },
		{ "gfp_flags", S_GFP, F_GFP }, { "migratetype", S_MT, F_MT }, END },
	[KMT_EV_PAGE_FREE] = { { "pfn", S_PTR, F_PFN }, { "order", S_ORDER, F_SDEC }, END },
	[KMT_EV_PAGE_FREE_BATCHED] = { { "pfn", S_PTR, F_PFN }, END },
	[KMT_EV_PAGE_ALLOC_ZONE_LOCKED] = { { "pfn", S_PTR, F_PFN }, { "order", S_ORDER, F_SDEC },
		{ "migratetype", S_MT, F_MT }, { "percpu_refill", S_ARG, F_SDEC }, END },
	[KMT_EV_PAGE_PCPU_DRAIN] = { { "pfn", S_PTR, F_PFN }, { "order", S_ORDER, F_SDEC },
		{ "migratetype", S_MT, F_MT }, END },
	[KMT_EV_PAGE_ALLOC_EXTFRAG] = { { "pfn", S_PTR, F_PFN }, { "alloc_order", S_ORDER, F_SDEC },
		{ "fallback_order", S_ARG, F_SDEC }, { "alloc_migratetype", S_MT, F_MT },
		{ "fallback_migratetype", S_AUX, F_MT }, END },
	[KMT_EV_VMAP_ALLOC] = { { "va_start", S_PTR, F_HEX }, { "size", S_SIZE, F_DEC },
		{ "align", S_SIZE2, F_DEC }, { "vstart", S_AUX, F_HEX }, { "vend", S_AUX2, F_HEX },
		{ "failed", S_ARG, F_SDEC }, END },
	[KMT_EV_VMAP_FREE] = { { "va_start", S_PTR, F_HEX }, { "nr_lazy", S_SIZE, F_DEC },
		{ "nr_lazy_max", S_SIZE2, F_DEC }, END },
	[KMT_EV_VMAP_PURGE] = { { "start", S_PTR, F_HEX }, { "end", S_AUX, F_HEX },
		{ "npurged", S_SIZE, F_DEC }, END },
	[KMT_EV_PERCPU_ALLOC] = { { "call_site", S_CALL_SITE, F_SYM },
		{ "reserved_atomic", S_ARG, F_SDEC }, { "size", S_SIZE, F_DEC },
		{ "align", S_ARG2, F_SDEC }, { "base_addr", S_AUX, F_HEX }, { "off", S_AUX2, F_DEC },
		{ "ptr", S_PTR, F_HEX }, { "bytes_alloc", S_SIZE2, F_DEC },
		{ "gfp_flags", S_GFP, F_GFP } },
	[KMT_EV_PERCPU_FREE] = { { "base_addr", S_AUX, F_HEX }, { "off", S_AUX2, F_DEC },
		{ "ptr", S_PTR, F_HEX }, END },
	[KMT_EV_TLB_FLUSH] = { { "reason", S_ARG, F_SDEC }, { "pages", S_SIZE, F_SDEC }, END },
	[KMT_EV_PERCPU_CHUNK_CREATE] = { { "base_addr", S_PTR, F_HEX }, END },
	[KMT_EV_PERCPU_CHUNK_DESTROY] = { { "base_addr", S_PTR, F_HEX }, END },
};

struct dump {
	struct trace_reader *r;
	struct tracemeta meta;
	bool json;
	bool stacks;
	__u64 t0;
	FILE *out;
};

static __u64 field_value(const struct kmt_event *e, enum field_src s)
{
	switch (s) {
	case S_PTR: return e->ptr;
	case S_CALL_SITE: return e->call_site;
	case S_SIZE: return e->size;
	case S_SIZE2: return e->size2;
	case S_AUX: return e->aux;
	case S_AUX2: return e->aux2;
	case S_GFP: return e->gfp;
	case S_NODE: return (__u64)(__s64)e->node;
	case S_ORDER: return (__u64)(__s64)e->order;
	case S_MT: return (__u64)(__s64)e->mt;
	case S_ARG: return (__u64)(__s64)e->arg;
	case S_ARG2: return (__u64)(__s64)e->arg2;
	}
	return 0;
}

/* The field's text; quoted says whether JSON needs quotes. */
static void format_field(const struct dump *d, const struct kmt_event *e, const struct field *f,
			 char *buf, size_t len, bool *quoted)
{
	__u64 v = field_value(e, f->src);

	*quoted = true;
	switch (f->fmt) {
	case F_HEX: snprintf(buf, len, "0x%llx", (unsigned long long)v); break;
	case F_PFN:
		*quoted = false;
		snprintf(buf, len, "%lld", v == ~0ull ? -1LL : (long long)v);
		break;
	case F_DEC: *quoted = false; snprintf(buf, len, "%llu", (unsigned long long)v); break;
	case F_SDEC: *quoted = false; snprintf(buf, len, "%lld", (long long)v); break;
	case F_GFP: gfp_format(d->meta.gfp, d->meta.nr_gfp, (__u32)v, buf, len); break;
	case F_SYM: tracemeta__sym_name(d->r, v, buf, len); break;
	case F_MT: {
		char tmp[32];

		snprintf(buf, len, "%s", tracemeta__mt_name(&d->meta, (int)v, tmp, sizeof(tmp)));
		break;
	}
	}
	if (f->fmt == F_MT && d->meta.nr_migratetypes == 0) {
		snprintf(buf, len, "%lld", (long long)v);
		*quoted = false;
	}
}


static void print_stack(const struct dump *d, const struct kmt_event *e)
{
	const struct kmt_stack *s = trace_reader__stack(d->r, e->stack_id);
	char sym[256];

	if (!s)
		return;
	for (__u32 i = 0; i < s->nr; i++) {
		tracemeta__sym_name(d->r, s->ips[i], sym, sizeof(sym));
		if (d->json) {
			fputs(i ? "," : "", d->out);
			json_print_string(d->out, sym);
		} else {
			fprintf(d->out, "\t%16llx %s\n", (unsigned long long)s->ips[i], sym);
		}
	}
}

/* The field table of type, or NULL for a type this build does not know (a newer file). */
static const struct field *fields_of(__u32 type)
{
	return type < KMT_EV_MAX ? fields[type] : NULL;
}

static void print_plain(struct dump *d, const struct kmt_event *e)
{
	const struct kmt_task *t = trace_reader__task(d->r, e->tid);
	char buf[256];
	bool q;

	context__format(e->ctx, buf, sizeof(buf));
	fprintf(d->out, "%16s %7u/%-7u [%03u] %6llu.%09llu: %s: ", t ? t->comm : "?", e->tid,
		e->tgid, e->cpu, (unsigned long long)((e->ts - d->t0) / 1000000000ull),
		(unsigned long long)((e->ts - d->t0) % 1000000000ull), kmt_event_type_name(e->type));
	for (int i = 0; fields_of(e->type) && i < 9 && fields[e->type][i].name; i++) {
		format_field(d, e, &fields[e->type][i], buf, sizeof(buf), &q);
		fprintf(d->out, "%s=%s ", fields[e->type][i].name, buf);
	}
	if (!fields_of(e->type))
		fprintf(d->out, "type=%u ptr=0x%llx ", e->type, (unsigned long long)e->ptr);
	context__format(e->ctx, buf, sizeof(buf));
	fprintf(d->out, "ctx=%s\n", buf);
	if (d->stacks && e->stack_id >= 0)
		print_stack(d, e);
}

static void print_json(struct dump *d, const struct kmt_event *e)
{
	const struct kmt_task *t = trace_reader__task(d->r, e->tid);
	char buf[256];
	bool q;

	fprintf(d->out, "{\"ts\":%llu,\"event\":\"%s\",\"cpu\":%u,\"pid\":%u,\"tid\":%u,\"comm\":",
		(unsigned long long)e->ts, kmt_event_type_name(e->type), e->cpu, e->tgid, e->tid);
	json_print_string(d->out, t ? t->comm : "");
	context__format(e->ctx, buf, sizeof(buf));
	fprintf(d->out, ",\"ctx\":\"%s\",\"ctx_word\":%u", context__class(e->ctx), e->ctx);
	if (!fields_of(e->type))
		fprintf(d->out, ",\"type\":%u", e->type);
	for (int i = 0; fields_of(e->type) && i < 9 && fields[e->type][i].name; i++) {
		const struct field *f = &fields[e->type][i];

		format_field(d, e, f, buf, sizeof(buf), &q);
		fprintf(d->out, ",\"%s\":", f->name);
		if (q)
			json_print_string(d->out, buf);
		else
			fputs(buf, d->out);
		if (f->fmt == F_GFP || f->fmt == F_SYM)
			fprintf(d->out, ",\"%s_raw\":%llu", f->name,
				(unsigned long long)field_value(e, f->src));
	}
	if (e->stack_id >= 0) {
		fprintf(d->out, ",\"stack_id\":%d,\"stack\":[", e->stack_id);
		print_stack(d, e);
		fputc(']', d->out);
	}
	fputs("}\n", d->out);
}

static const char dump_usage[] =
	"usage: kmmtrace dump [OPTIONS] FILE\n"
	"\n"
	"Print every event of a trace, decoded: task, tid/pid, CPU, time since the\n"
	"first event, event name, its fields as the kernel's tracepoint names them\n"
	"(GFP flags decoded with the trace's own table, call sites symbolised), and\n"
	"the allocation context.\n"
	"\n"
	"  -j, --json          one JSON object per line\n"
	"  -g, --stacks        print each event's kernel stack when recorded\n"
	"  -e, --events LIST   only these event names (comma-separated)\n"
	"  -h, --help          this help\n";

static int dump_parse(struct dump *d, int argc, char **argv, __u64 *mask, const char **path)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "stacks", no_argument, NULL, 'g' },
		{ "events", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{},
	};
	int opt;

	*mask = ~0ull;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "jge:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': d->json = true; break;
		case 'g': d->stacks = true; break;
		case 'e': {
			char *dup = strdup(optarg), *save = NULL, *tok;

			*mask = 0;
			for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int t = kmt_event_type_from_name(tok);

				if (t < 0) {
					fprintf(stderr, "kmmtrace dump: unknown event '%s'\n", tok);
					free(dup);
					return 2;
				}
				*mask |= 1ull << t;
			}
			free(dup);
			break;
		}
		case 'h': fputs(dump_usage, stdout); return 1;
		default: fputs(dump_usage, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(dump_usage, stderr);
		return 2;
	}
	*path = argv[optind];
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	struct dump d = { .out = stdout };
	struct kmt_event e;
	const char *path;
	__u64 mask;
	int ret = dump_parse(&d, argc, argv, &mask, &path), n;

	if (ret)
		return ret == 1 ? 0 : ret;
	d.r = open_trace("dump", path);
	if (!d.r)
		return 1;
	tracemeta__load(d.r, &d.meta);
	d.t0 = d.meta.clock.start_mono;
	while ((n = trace_reader__next(d.r, &e)) > 0) {
		if (e.type < 64 && !(mask & (1ull << e.type)))
			continue;
		if (e.type >= 64 && mask != ~0ull)
			continue;
		if (!d.t0 || e.ts < d.t0)
			d.t0 = e.ts;
		if (d.json)
			print_json(&d, &e);
		else
			print_plain(&d, &e);
	}
	if (n < 0)
		fprintf(stderr, "kmmtrace dump: failed to read %s: %s\n", path, strerror(-n));
	report_trace_health("dump", path, d.r);
	trace_reader__free(d.r);
	return n < 0 ? 1 : 0;
}
