// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kmmtrace import: a perf script, tracefs or trace-cmd text capture of the
 * kmem, vmalloc, percpu and tlb tracepoints into a trace file, so that every
 * analysis runs on captures made with other tools. The decoding is in
 * analysis/import.c; this file reads lines, picks the GFP table, writes the
 * trace and its metadata, and tells what could not be known.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/btf.h>
#include "commands.h"
#include "gfp.h"
#include "import.h"
#include "jsonout.h"
#include "sysinfo.h"
#include "trace.h"

struct import_cmd {
	const char *in_path;
	const char *out_path;
	const char *gfp_format;		/* --gfp-format FILE */
	bool gfp_system;		/* --gfp-from-system */
	bool quiet;
	bool json;
	struct kmt_gfp_entry *gfp;
	size_t nr_gfp;
	char gfp_why[256];		/* where the table came from, or why there is none */
	struct trace_writer *w;
	bool reported;			/* the error was explained already */
	char cmdline[4096];
};

static const char import_usage[] =
	"usage: kmmtrace import [OPTIONS] FILE\n"
	"\n"
	"Convert a text capture of the kmem, vmalloc, percpu and tlb tracepoints into a\n"
	"trace file: 'perf script' output (best with -F comm,pid,tid,cpu,time,event,trace),\n"
	"tracefs 'trace' (its latency columns become the allocation context), or\n"
	"'trace-cmd report' (-l for the latency columns). FILE '-' is standard input.\n"
	"GFP flag names are read with the running kernel's table unless told otherwise.\n"
	"\n"
	"  -o, --output TRACE      trace file to write (default: kmmtrace.kmt)\n"
	"      --gfp-format FILE   read GFP names with this events/kmem/kmalloc/format,\n"
	"                          saved on the kernel that made the capture\n"
	"      --gfp-from-system   read GFP names with the running kernel's table (the\n"
	"                          default, but here failing when it cannot be learnt)\n"
	"  -q, --quiet             only warnings and errors\n"
	"  -j, --json              the summary as one JSON object on stdout\n"
	"  -h, --help              this help\n";

enum { OPT_GFP_FORMAT = 256, OPT_GFP_SYSTEM };

static int import_parse(struct import_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "gfp-format", required_argument, NULL, OPT_GFP_FORMAT },
		{ "gfp-from-system", no_argument, NULL, OPT_GFP_SYSTEM },
		{ "quiet", no_argument, NULL, 'q' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:qjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': c->out_path = optarg; break;
		case OPT_GFP_FORMAT: c->gfp_format = optarg; break;
		case OPT_GFP_SYSTEM: c->gfp_system = true; break;
		case 'q': c->quiet = true; break;
		case 'j': c->json = true; break;
		case 'h': fputs(import_usage, stdout); return 1;
		default: fputs(import_usage, stderr); return 2;
		}
	}
	if (optind != argc - 1 || (c->gfp_format && c->gfp_system)) {
		fputs(import_usage, stderr);
		return 2;
	}
	c->in_path = argv[optind];
	for (int i = 0, n = snprintf(c->cmdline, sizeof(c->cmdline), "kmmtrace"); i < argc &&
	     n < (int)sizeof(c->cmdline) - 2; i++)
		n += snprintf(c->cmdline + n, sizeof(c->cmdline) - n, " %s", argv[i]);
	return 0;
}

/* --gfp-format FILE; a format that prints ___GFP_*_BIT names needs BTF: this kernel's. */
static int gfp_from_file(struct import_cmd *c)
{
	char *text = NULL, why[160] = "";
	struct btf *btf = NULL;
	size_t len;
	int err = sysinfo__read_file(c->gfp_format, &text, &len);

	if (err) {
		fprintf(stderr, "kmmtrace import: failed to read %s: %s\n", c->gfp_format,
			strerror(-err));
		return err;
	}
	err = gfp_table__from_format(text, NULL, &c->gfp, &c->nr_gfp, why, sizeof(why));
	if (err) {
		btf = btf__load_vmlinux_btf();
		if (btf && !gfp_table__from_format(text, btf, &c->gfp, &c->nr_gfp, why,
						   sizeof(why))) {
			err = 0;
			fprintf(stderr, "kmmtrace import: note: %s names GFP bits symbolically; "
				"their values were taken from this kernel's BTF\n", c->gfp_format);
		}
		btf__free(btf);
	}
	if (err)
		fprintf(stderr, "kmmtrace import: failed to read a GFP table from %s: %s\n",
			c->gfp_format, why);
	snprintf(c->gfp_why, sizeof(c->gfp_why), "GFP table from %s", c->gfp_format);
	free(text);
	return err;
}

static int load_gfp(struct import_cmd *c)
{
	int err;

	if (c->gfp_format)
		return gfp_from_file(c);
	err = gfp_table__from_system(&c->gfp, &c->nr_gfp, c->gfp_why, sizeof(c->gfp_why));
	if (err && c->gfp_system) {
		fprintf(stderr, "kmmtrace import: failed to learn this kernel's GFP table: %s\n",
			c->gfp_why);
		return err;
	}
	if (err) {		/* fine while the capture prints masks as numbers */
		c->gfp = NULL;
		c->nr_gfp = 0;
	}
	return 0;
}

/* ---- metadata ---- */

static int meta_text(struct trace_writer *w, __u16 key, const char *s)
{
	return trace_writer__meta_add(w, key, s, strlen(s));
}

static int write_start_meta(struct import_cmd *c)
{
	char release[256];
	int err;

	snprintf(release, sizeof(release), "imported: %s",
		 strcmp(c->in_path, "-") ? c->in_path : "<stdin>");
	err = meta_text(c->w, KMT_META_TOOL_VERSION, KMMTRACE_VERSION);
	err = err ?: meta_text(c->w, KMT_META_CMDLINE, c->cmdline);
	err = err ?: meta_text(c->w, KMT_META_KERNEL_RELEASE, release);
	if (!err && c->nr_gfp)
		err = trace_writer__meta_add(c->w, KMT_META_GFP_TABLE, c->gfp,
					     c->nr_gfp * sizeof(*c->gfp));
	return err ?: trace_writer__meta_flush(c->w);
}

#define NOTE(...) (n += snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))

/* What was lost or may be wrong, one line each (with the notes: KMT_META_ERRORS). */
static size_t import_warnings(const struct import_stats *st, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (st->malformed)
		NOTE("%llu malformed lines skipped (first: line %llu: %s)\n",
		     (unsigned long long)st->malformed, (unsigned long long)st->bad[0].lineno,
		     st->bad[0].why);
	if (st->gfp_unknown)
		NOTE("%llu events name GFP flags the table lacks (first: %s, line %llu); those "
		     "bits are missing from their masks\n", (unsigned long long)st->gfp_unknown,
		     st->gfp_unknown_name, (unsigned long long)st->gfp_unknown_line);
	if (st->lost)
		NOTE("the capture lost %llu events\n", (unsigned long long)st->lost);
	if (st->orphan_frames)
		NOTE("%llu stack frames followed no event and were dropped\n",
		     (unsigned long long)st->orphan_frames);
	return n < len ? n : len - 1;
}

/* What the text does not say, one line each. */
static size_t import_notes(const struct import_stats *st, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (st->irqs_off)
		NOTE("%llu events ran with interrupts disabled (latency column 'd'/'D'); the "
		     "context word has no bit for it\n", (unsigned long long)st->irqs_off);
	if (st->no_ctx)
		NOTE("%llu events have no context: the text has no latency columns\n",
		     (unsigned long long)st->no_ctx);
	if (st->no_tgid)
		NOTE("%llu events have a thread id but no process id (tgid 0)\n",
		     (unsigned long long)st->no_tgid);
	if (st->hashed)
		NOTE("%llu events carry hashed pointers (tracefs %%p): they pair allocations "
		     "with frees but are not addresses\n", (unsigned long long)st->hashed);
	return n < len ? n : len - 1;
}
#undef NOTE

static int write_end_meta(struct import_cmd *c, const struct import_stats *st)
{
	__u32 cpus = st->max_cpu + 1 > st->header_cpus ? st->max_cpu + 1 : st->header_cpus;
	__u32 pb = st->pageblock_order, stacks = 1;
	char notes[2048];
	size_t n = import_warnings(st, notes, sizeof(notes));
	int err = 0;

	n += import_notes(st, notes + n, sizeof(notes) - n);
	if (cpus)
		err = trace_writer__meta_add(c->w, KMT_META_NR_CPUS, &cpus, sizeof(cpus));
	if (!err && st->pageblock_order >= 0)
		err = trace_writer__meta_add(c->w, KMT_META_PAGEBLOCK_ORDER, &pb, sizeof(pb));
	if (!err && st->stacks)
		err = trace_writer__meta_add(c->w, KMT_META_STACKS, &stacks, sizeof(stacks));
	if (!err && n)
		err = trace_writer__meta_add(c->w, KMT_META_ERRORS, notes, n);
	return err ?: trace_writer__meta_flush(c->w);
}

/* ---- the import ---- */

/* Feeds every line of in to imp; 0, or the first fatal error. */
static int read_lines(struct import_cmd *c, struct importer *imp, FILE *in)
{
	const struct import_stats *st = importer__stats(imp);
	__u64 lineno = 0, lost = 0;
	size_t cap = 0;
	char *line = NULL;
	int err = 0;

	while (!err && getline(&line, &cap, in) >= 0) {
		err = importer__line(imp, line, ++lineno);
		if (!err && st->lost != lost)
			trace_writer__set_lost(c->w, lost = st->lost);
	}
	if (!err && ferror(in))
		err = -EIO;
	free(line);
	if (err == -ENOKEY)
		fprintf(stderr, "kmmtrace import: failed to read gfp_flags: %s (%s); pass "
			"--gfp-format FILE, a copy of /sys/kernel/tracing/events/kmem/kmalloc/"
			"format from the kernel that made the capture\n", importer__error(imp),
			c->gfp_why[0] ? c->gfp_why : "no table given");
	else if (err)
		fprintf(stderr, "kmmtrace import: failed to import %s at line %llu: %s\n",
			c->in_path, (unsigned long long)lineno, strerror(-err));
	c->reported = err;
	return err ?: importer__finish(imp);
}

static void print_bad_lines(const struct import_stats *st)
{
	__u64 shown = st->malformed < IMPORT_BAD_SHOWN ? st->malformed : IMPORT_BAD_SHOWN;

	fprintf(stderr, "kmmtrace import: warning: %llu malformed line%s skipped:\n",
		(unsigned long long)st->malformed, st->malformed == 1 ? "" : "s");
	for (__u64 i = 0; i < shown; i++)
		fprintf(stderr, "  line %llu: %s\n", (unsigned long long)st->bad[i].lineno,
			st->bad[i].why);
	if (st->malformed > shown)
		fprintf(stderr, "  ... and %llu more\n",
			(unsigned long long)(st->malformed - shown));
}

static void print_lines(const char *prefix, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(line, "malformed lines"))	/* print_bad_lines() lists them */
			fprintf(stderr, "kmmtrace import: %s: %s\n", prefix, line);
}

static void print_summary(const struct import_cmd *c, const struct import_stats *st)
{
	char text[2048];

	if (st->malformed)
		print_bad_lines(st);
	import_warnings(st, text, sizeof(text));
	print_lines("warning", text);
	if (c->json) {
		printf("{\"input\":");
		json_print_string(stdout, c->in_path);
		printf(",\"output\":");
		json_print_string(stdout, c->out_path);
		printf(",\"lines\":%llu,\"events\":%llu,\"perf_script\":%llu,\"tracefs\":%llu,"
		       "\"other_events\":%llu,\"malformed\":%llu,\"no_context\":%llu,"
		       "\"hashed\":%llu,\"stacks\":%llu,\"lost\":%llu,\"counts\":{",
		       (unsigned long long)st->lines, (unsigned long long)st->events,
		       (unsigned long long)st->by_format[IMPORT_FMT_PERF],
		       (unsigned long long)st->by_format[IMPORT_FMT_TRACEFS],
		       (unsigned long long)st->other_events, (unsigned long long)st->malformed,
		       (unsigned long long)st->no_ctx, (unsigned long long)st->hashed,
		       (unsigned long long)st->stacks, (unsigned long long)st->lost);
		for (int t = 1, first = 1; t < KMT_EV_MAX; t++)
			if (st->by_type[t]) {
				printf("%s\"%s\":%llu", first ? "" : ",", kmt_event_type_name(t),
				       (unsigned long long)st->by_type[t]);
				first = 0;
			}
		printf("}}\n");
		return;
	}
	if (c->quiet)
		return;
	import_notes(st, text, sizeof(text));
	print_lines("note", text);
	printf("imported %llu events from %llu lines of %s (%llu perf script, %llu tracefs/"
	       "trace-cmd; %llu of other tracepoints skipped) into %s\n",
	       (unsigned long long)st->events, (unsigned long long)st->lines, c->in_path,
	       (unsigned long long)st->by_format[IMPORT_FMT_PERF],
	       (unsigned long long)st->by_format[IMPORT_FMT_TRACEFS],
	       (unsigned long long)st->other_events, c->out_path);
	for (int t = 1; t < KMT_EV_MAX; t++)
		if (st->by_type[t])
			printf("  %-26s %llu\n", kmt_event_type_name(t),
			       (unsigned long long)st->by_type[t]);
	if (st->stacks)
		printf("  with a stack: %llu events\n", (unsigned long long)st->stacks);
	if (c->nr_gfp)
		printf("GFP names read with the %s%s\n", c->gfp_why, c->gfp_format ? "" :
		       "; pass --gfp-format if the capture comes from another kernel");
}

static int run_import(struct import_cmd *c, FILE *in)
{
	struct import_opts o = { .sz = sizeof(o), .gfp = c->gfp, .nr_gfp = c->nr_gfp };
	struct kmt_sink sink = trace_writer__sink(c->w);
	struct importer *imp = importer__new(&o, &sink);
	int err = imp ? write_start_meta(c) : -ENOMEM;

	err = err ?: read_lines(c, imp, in);
	if (!err && !importer__stats(imp)->events) {
		fprintf(stderr, "kmmtrace import: %s: no kmem, vmalloc, percpu or tlb event "
			"could be read\n", c->in_path);
		if (importer__stats(imp)->malformed)
			print_bad_lines(importer__stats(imp));
		c->reported = true;
		err = -ENODATA;
	}
	err = err ?: write_end_meta(c, importer__stats(imp));
	err = err ?: trace_writer__finish(c->w);
	if (!err)
		print_summary(c, importer__stats(imp));
	else if (!c->reported)
		fprintf(stderr, "kmmtrace import: failed to import %s into %s: %s\n", c->in_path,
			c->out_path, strerror(-err));
	importer__free(imp);
	return err;
}

/* A failed import leaves no file behind (but never removes a device or a FIFO). */
static void remove_output(const char *path)
{
	struct stat sb;

	if (!lstat(path, &sb) && S_ISREG(sb.st_mode))
		unlink(path);
}

int cmd_import(int argc, char **argv)
{
	struct import_cmd c = { .out_path = "kmmtrace.kmt" };
	FILE *in;
	int err = import_parse(&c, argc, argv);

	if (err)
		return err == 1 ? 0 : err;
	if (load_gfp(&c))
		return 1;
	in = strcmp(c.in_path, "-") ? fopen(c.in_path, "r") : stdin;
	if (!in) {
		fprintf(stderr, "kmmtrace import: failed to open %s: %s\n", c.in_path,
			strerror(errno));
		free(c.gfp);
		return 1;
	}
	c.w = trace_writer__open(c.out_path, NULL, &err);
	if (!c.w)
		fprintf(stderr, "kmmtrace import: failed to create %s: %s\n", c.out_path,
			strerror(-err));
	else
		err = run_import(&c, in);
	trace_writer__free(c.w);
	if (c.w && err)
		remove_output(c.out_path);
	if (in != stdin)
		fclose(in);
	free(c.gfp);
	return err ? 1 : 0;
}
