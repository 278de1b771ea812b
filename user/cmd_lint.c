// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kmmtrace lint: GFP misuse, from a trace or live (analysis/lint.c, docs/LINT.md). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/btf.h>
#include "cmdutil.h"
#include "collector.h"
#include "commands.h"
#include "context.h"
#include "defs.h"
#include "jsonout.h"
#include "lint.h"
#include "lint_env.h"
#include "slab.h"
#include "sysinfo.h"
#include "tracemeta.h"

struct lint_cmd {
	bool json, live, quiet, list_rules;
	const char *path;
	const char *supp_path;
	enum lint_severity min_sev;
	int costly_order;
	int lines;
	double duration;
	struct collector_opts copts;
	/* filled while running */
	struct lint_suppression *supp;
	int nr_supp;
	struct lint_env env;
	struct tracemeta meta;		/* offline: the trace's; live: the GFP table */
	struct kmt_defs *defs;		/* live */
	struct lint *l;
	__u64 t0;			/* time origin for first/last */
	char kernel[128];
	char **cmd;			/* live: -- COMMAND [ARGS] */
	__u64 kernel_allocs;		/* live: allocations the kernel side looked at */
	__u64 lost;			/* events lost while recording */
};

static const char lint_usage[] =
	"usage: kmmtrace lint [OPTIONS] FILE\n"
	"       kmmtrace lint --live [-d SECONDS] [-p PID] [--cgroup PATH] [OPTIONS] [-- COMMAND]\n"
	"\n"
	"GFP misuse: sleeping allocations in atomic context (spinlock held, BH or\n"
	"preemption disabled, softirq, hardirq, NMI, RCU read side), vmalloc in atomic\n"
	"context, __GFP_NOFAIL misuse, PREEMPT_RT rules, and the warnings and hints of\n"
	"docs/LINT.md; findings grouped by rule, call site and stack. Exit status 1 when\n"
	"an error-severity finding is not suppressed, 0 otherwise, 2 on failure.\n"
	"\n"
	"      --live             trace this machine now; only allocations a rule could\n"
	"                         flag leave the kernel, with their stacks\n"
	"  -d, --duration SECONDS  with --live: stop after SECONDS (default: Ctrl-C, or\n"
	"                         when COMMAND exits)\n"
	"  -p, --pid PID          with --live: only this process (repeatable)\n"
	"      --cgroup PATH      with --live: only this cgroup v2 and its descendants\n"
	"  -s, --suppress FILE    accepted findings: lines \"RULE SITE  # why\"\n"
	"  -m, --min-severity S   show findings of S or worse: info (default), warning, error\n"
	"      --costly-order N   PAGE_ALLOC_COSTLY_ORDER (default 3)\n"
	"  -n, --lines N          findings shown (default 0: all)\n"
	"  -q, --quiet            with --live: no line per new finding, only the summary\n"
	"      --rules            list the rules and exit\n"
	"  -j, --json             JSON (schema in docs/LINT.md)\n"
	"  -h, --help             this help\n";

static volatile sig_atomic_t lint_stop;

static void on_signal(int sig)
{
	(void)sig;
	lint_stop = 1;
}

static int parse_sev(const char *s, enum lint_severity *out)
{
	if (!strcmp(s, "info"))
		*out = LINT_INFO;
	else if (!strcmp(s, "warning"))
		*out = LINT_WARNING;
	else if (!strcmp(s, "error"))
		*out = LINT_ERROR;
	else
		return -EINVAL;
	return 0;
}

static int lint_parse(struct lint_cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "live", no_argument, NULL, 'L' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'C' },
		{ "suppress", required_argument, NULL, 's' },
		{ "min-severity", required_argument, NULL, 'm' },
		{ "costly-order", required_argument, NULL, 'O' },
		{ "lines", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rules", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *end;
	int opt;

	c->costly_order = 3;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:p:s:m:n:qjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'L': c->live = true; break;
		case 'd':
			c->duration = strtod(optarg, &end);
			if (*end || c->duration <= 0) {
				fprintf(stderr, "kmmtrace lint: bad duration '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (c->copts.nr_pids == KMT_MAX_PIDS) {
				fprintf(stderr, "kmmtrace lint: at most %d -p\n", KMT_MAX_PIDS);
				return -EINVAL;
			}
			c->copts.pids[c->copts.nr_pids++] = strtoul(optarg, NULL, 10);
			break;
		case 'C': c->copts.cgroup = optarg; break;
		case 's': c->supp_path = optarg; break;
		case 'm':
			if (parse_sev(optarg, &c->min_sev)) {
				fprintf(stderr, "kmmtrace lint: bad severity '%s' (info, warning, "
					"error)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'O': c->costly_order = atoi(optarg); break;
		case 'n': c->lines = atoi(optarg); break;
		case 'q': c->quiet = true; break;
		case 'R': c->list_rules = true; break;
		case 'j': c->json = true; break;
		case 'h': fputs(lint_usage, stdout); return 1;
		default: fputs(lint_usage, stderr); return -EINVAL;
		}
	}
	if (c->list_rules)
		return 0;
	if (c->live && optind < argc && !strcmp(argv[optind - 1], "--")) {
		c->cmd = &argv[optind];
		optind = argc;
	}
	if (c->live ? optind != argc : optind != argc - 1) {
		fputs(lint_usage, stderr);
		return -EINVAL;
	}
	if (!c->live)
		c->path = argv[optind];
	if (!c->live && (c->duration || c->copts.nr_pids || c->copts.cgroup)) {
		fprintf(stderr, "kmmtrace lint: -d, -p and --cgroup need --live\n");
		return -EINVAL;
	}
	return 0;
}

static void list_rules(bool json)
{
	if (json) {
		printf("[");
		for (int i = 0; i < LINT_NR_RULES; i++) {
			printf("%s{\"rule\":", i ? "," : "");
			json_print_string(stdout, lint_rules[i].id);
			printf(",\"severity\":\"%s\",\"summary\":",
			       lint_severity_name(lint_rules[i].severity));
			json_print_string(stdout, lint_rules[i].summary);
			printf(",\"reference\":");
			json_print_string(stdout, lint_rules[i].ref);
			printf("}");
		}
		printf("]\n");
		return;
	}
	for (int i = 0; i < LINT_NR_RULES; i++)
		printf("%-24s %-8s %s\n%33s(%s)\n", lint_rules[i].id,
		       lint_severity_name(lint_rules[i].severity), lint_rules[i].summary, "",
		       lint_rules[i].ref);
}

static int load_suppressions(struct lint_cmd *c)
{
	char why[300], *text;
	int e;

	if (!c->supp_path)
		return 0;
	e = sysinfo__read_file(c->supp_path, &text, NULL);
	if (e) {
		fprintf(stderr, "kmmtrace lint: failed to read %s: %s\n", c->supp_path, strerror(-e));
		return e;
	}
	e = lint__parse_suppressions(text, &c->supp, &c->nr_supp, why, sizeof(why));
	free(text);
	if (e)
		fprintf(stderr, "kmmtrace lint: %s: %s\n", c->supp_path, why);
	return e;
}

/* ---- printing ---- */

static double rel_s(const struct lint_cmd *c, __u64 ts)
{
	return ts > c->t0 ? (ts - c->t0) / 1e9 : 0.0;
}

static void print_finding_text(const struct lint_cmd *c, const struct lint_finding *f, bool full)
{
	const struct lint_rule *r = &lint_rules[f->rule];
	char gfp[256], ctx[64], w[160], frames[24][160];
	int n;

	lint__gfp_name(c->l, f->example.gfp, gfp, sizeof(gfp));
	lint_example_context(&f->example, ctx, sizeof(ctx));
	lint_example_what(c->env.defs, &f->example, w, sizeof(w));
	printf("%s: %s: %s", lint_severity_name(r->severity), r->id, f->site);
	if (full)
		printf(" (%llu time%s)", (unsigned long long)f->count, f->count == 1 ? "" : "s");
	printf("\n    %s\n", r->summary);
	printf("    e.g. %s, %s, context %s, pid %u tid %u (%s) cpu %u", w,
	       f->example.type == KMT_EV_VMAP_ALLOC ? "no GFP" : gfp, ctx, f->example.tgid,
	       f->example.tid, f->comm, f->example.cpu);
	if (full)
		printf(", first %.3f s, last %.3f s", rel_s(c, f->first_ts), rel_s(c, f->last_ts));
	printf("\n");
	if (f->backing_pages)
		printf("    with %llu page allocation%s backing it\n",
		       (unsigned long long)f->backing_pages, f->backing_pages == 1 ? "" : "s");
	n = lint_stack_frames(c->env.defs, f->stack_id, frames, 24);
	for (int i = 0; i < n; i++)
		printf("      %s\n", frames[i]);
	if (full && f->suppressed_by >= 0)
		printf("    suppressed (%s line %d: %s)\n", c->supp_path,
		       c->supp[f->suppressed_by].line, c->supp[f->suppressed_by].comment);
	printf("    see %s\n", r->ref);
}

static void on_new(void *ctx, const struct lint *l, const struct lint_finding *f)
{
	struct lint_cmd *c = ctx;

	(void)l;
	if (c->quiet || c->json || lint_rules[f->rule].severity < c->min_sev)
		return;
	printf("new ");
	print_finding_text(c, f, false);
	fflush(stdout);
}

static void print_text(const struct lint_cmd *c)
{
	const struct lint_stats *st = lint__stats(c->l);
	const struct lint_finding *f;
	size_t n, shown = 0, supp = 0, by[3] = {};
	const char *notes = lint__notes(c->l);

	f = lint__findings(c->l, &n);
	if (c->live)
		printf("\n");
	for (size_t i = 0; i < n; i++) {
		if (f[i].suppressed_by >= 0) {
			supp++;
			continue;
		}
		by[lint_rules[f[i].rule].severity]++;
		if (lint_rules[f[i].rule].severity < c->min_sev || (c->lines && shown >= (size_t)c->lines))
			continue;
		print_finding_text(c, &f[i], true);
		printf("\n");
		shown++;
	}
	for (const char *p = notes; *p;) {
		const char *e = strchr(p, '\n');

		printf("note: %.*s\n", (int)(e ? e - p : (long)strlen(p)), p);
		p = e ? e + 1 : p + strlen(p);
	}
	for (int i = 0; i < c->nr_supp; i++)
		if (!lint__suppressions(c->l, &(int){ 0 })[i].used)
			printf("note: suppression at %s line %d matched nothing\n", c->supp_path,
			       c->supp[i].line);
	printf("lint: %zu error%s, %zu warning%s, %zu info (%zu suppressed); %llu allocations "
	       "checked", by[LINT_ERROR], by[LINT_ERROR] == 1 ? "" : "s", by[LINT_WARNING],
	       by[LINT_WARNING] == 1 ? "" : "s", by[LINT_INFO], supp,
	       (unsigned long long)(c->live ? c->kernel_allocs : st->allocs));
	if (st->no_ctx)
		printf(", %llu without context (context rules skipped)", (unsigned long long)st->no_ctx);
	if (c->lost)
		printf(", %llu events lost while tracing", (unsigned long long)c->lost);
	printf("\n");
}

static void json_event(const struct lint_cmd *c, const struct lint_finding *f)
{
	const struct kmt_event *e = &f->example;
	char buf[256];

	printf("{\"type\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":", lint_event_type(e->type),
	       e->tgid, e->tid);
	json_print_string(stdout, f->comm);
	printf(",\"cpu\":%u,\"context_class\":", e->cpu);
	if ((e->ctx & KMT_CTX_PC_KNOWN) && !(e->flags & KMT_EVF_NO_CTX)) {
		json_print_string(stdout, context__class(e->ctx));
		context__format(e->ctx, buf, sizeof(buf));
		printf(",\"context\":");
		json_print_string(stdout, buf);
	} else {
		printf("\"unknown\",\"context\":\"unknown\"");
	}
	lint__gfp_name(c->l, e->gfp, buf, sizeof(buf));
	printf(",\"gfp\":");
	json_print_string(stdout, e->type == KMT_EV_VMAP_ALLOC ? "" : buf);
	printf(",\"gfp_raw\":%u,\"bytes_req\":%llu,\"bytes_alloc\":%llu,\"order\":%d,\"t_s\":%.9f}",
	       e->gfp, (unsigned long long)e->size, (unsigned long long)e->size2,
	       e->type == KMT_EV_PAGE_ALLOC ? e->order : -1, rel_s(c, e->ts));
}

static void print_json(const struct lint_cmd *c)
{
	const struct lint_stats *st = lint__stats(c->l);
	const struct lint_finding *f;
	size_t n, by[3] = {}, supp = 0;
	const char *notes = lint__notes(c->l);
	char frames[24][160];
	bool first = true;

	f = lint__findings(c->l, &n);
	printf("{\"version\":1,\"source\":{\"live\":%s,\"file\":", c->live ? "true" : "false");
	json_print_string(stdout, c->path ? c->path : "");
	printf(",\"kernel\":");
	json_print_string(stdout, c->kernel);
	printf(",\"preempt_rt\":%s,\"preempt_count\":%s},", c->env.preempt_rt ? "true" : "false",
	       c->env.preempt_count ? "true" : "false");
	printf("\"checked\":{\"events\":%llu,\"allocations\":%llu,\"no_context\":%llu,"
	       "\"folded_pages\":%llu,\"lost\":%llu},",
	       (unsigned long long)st->events,
	       (unsigned long long)(c->live ? c->kernel_allocs : st->allocs),
	       (unsigned long long)st->no_ctx, (unsigned long long)st->folded_pages,
	       (unsigned long long)c->lost);
	printf("\"notes\":[");
	for (const char *p = notes; *p;) {
		const char *e = strchr(p, '\n');
		char line[400];

		snprintf(line, sizeof(line), "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
		printf("%s", p == notes ? "" : ",");
		json_print_string(stdout, line);
		p = e ? e + 1 : p + strlen(p);
	}
	printf("],\"findings\":[");
	for (size_t i = 0; i < n; i++) {
		const struct lint_rule *r = &lint_rules[f[i].rule];
		int nf;

		if (f[i].suppressed_by >= 0)
			supp++;
		else
			by[r->severity]++;
		if (r->severity < c->min_sev)
			continue;
		printf("%s{\"rule\":", first ? "" : ",");
		first = false;
		json_print_string(stdout, r->id);
		printf(",\"severity\":\"%s\",\"site\":", lint_severity_name(r->severity));
		json_print_string(stdout, f[i].site);
		printf(",\"call_site\":\"0x%llx\",\"count\":%llu,\"first_s\":%.9f,\"last_s\":%.9f,"
		       "\"backing_pages\":%llu,\"suppressed\":%s,\"example\":",
		       (unsigned long long)f[i].call_site, (unsigned long long)f[i].count,
		       rel_s(c, f[i].first_ts), rel_s(c, f[i].last_ts),
		       (unsigned long long)f[i].backing_pages, f[i].suppressed_by >= 0 ? "true" : "false");
		json_event(c, &f[i]);
		printf(",\"stack\":[");
		nf = lint_stack_frames(c->env.defs, f[i].stack_id, frames, 24);
		for (int k = 0; k < nf; k++) {
			printf("%s", k ? "," : "");
			json_print_string(stdout, frames[k]);
		}
		printf("],\"summary\":");
		json_print_string(stdout, r->summary);
		printf(",\"reference\":");
		json_print_string(stdout, r->ref);
		printf("}");
	}
	printf("],\"suppressions\":[");
	for (int i = 0; i < c->nr_supp; i++) {
		const struct lint_suppression *s = &lint__suppressions(c->l, &(int){ 0 })[i];

		printf("%s{\"rule\":", i ? "," : "");
		json_print_string(stdout, s->rule < 0 ? "*" : lint_rules[s->rule].id);
		printf(",\"site\":");
		json_print_string(stdout, s->site);
		printf(",\"comment\":");
		json_print_string(stdout, s->comment);
		printf(",\"line\":%d,\"used\":%llu}", s->line, (unsigned long long)s->used);
	}
	printf("],\"summary\":{\"error\":%zu,\"warning\":%zu,\"info\":%zu,\"suppressed\":%zu}}\n",
	       by[LINT_ERROR], by[LINT_WARNING], by[LINT_INFO], supp);
}

/* ---- offline ---- */

static int lint_file(struct lint_cmd *c)
{
	struct trace_reader *r = open_trace("lint", c->path);
	const struct trace_reader_stats *rs;
	int n;

	if (!r)
		return -1;
	tracemeta__load(r, &c->meta);
	snprintf(c->kernel, sizeof(c->kernel), "%s", c->meta.release);
	lint_env__from_trace(r, &c->meta, c->costly_order, &c->env);
	c->l = lint__new(&c->env, c->supp, c->nr_supp, NULL, c);
	if (!c->l) {
		fprintf(stderr, "kmmtrace lint: out of memory\n");
		trace_reader__free(r);
		return -1;
	}
	n = lint_trace(r, c->l, &c->t0);
	if (n < 0)
		fprintf(stderr, "kmmtrace lint: %s: stopped reading: %s\n", c->path, strerror(-n));
	rs = trace_reader__stats(r);
	c->lost = rs->lost;
	if (c->json)
		print_json(c);
	else
		print_text(c);
	report_trace_health("lint", c->path, r);
	trace_reader__free(r);
	return n < 0 ? -1 : 0;
}

/* ---- live ---- */

static int live_event(void *ctx, const struct kmt_event *e)
{
	struct lint_cmd *c = ctx;

	if (!c->t0)
		c->t0 = e->ts;
	lint__event(c->l, e);
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The environment of this machine, as `record` would store it. */
static int live_env(struct lint_cmd *c)
{
	struct kmt_gfp_entry *gfp = NULL;
	char why[400], *kconfig = NULL, *slabinfo = NULL;
	struct btf *btf;
	size_t n = 0;
	bool rt = false;
	int e;

	e = gfp_table__from_system(&gfp, &n, why, sizeof(why));
	if (e) {
		fprintf(stderr, "kmmtrace lint: cannot learn this kernel's GFP flags: %s\n", why);
		return e;
	}
	c->meta.nr_gfp = n < KMT_GFP_MAX_ENTRIES ? n : KMT_GFP_MAX_ENTRIES;
	memcpy(c->meta.gfp, gfp, c->meta.nr_gfp * sizeof(*gfp));
	free(gfp);
	if (sysinfo__kconfig(&kconfig, &rt, why, sizeof(why)))
		kconfig = NULL;
	btf = btf__load_vmlinux_btf();
	c->env = (struct lint_env){
		.gfp = c->meta.gfp, .nr_gfp = c->meta.nr_gfp, .page_size = sysconf(_SC_PAGESIZE),
		.nr_page_orders = btf ? sysinfo__btf_nr_page_orders(btf) : 0, .preempt_rt = rt,
		.preempt_count = lint_env__preempt_count(kconfig), .costly_order = c->costly_order,
		.defs = c->defs, .live_cap = 64,
	};
	if ((int)c->env.nr_page_orders < 0)
		c->env.nr_page_orders = 0;
	btf__free(btf);
	free(kconfig);
	if (!sysinfo__read_file("/proc/slabinfo", &slabinfo, NULL))
		c->env.kmalloc_max_cache = lint_env__kmalloc_max_cache(slabinfo);
	free(slabinfo);
	return 0;
}

static void live_filter(struct lint_cmd *c)
{
	const struct kmt_gfp_entry *g = c->meta.gfp;
	size_t n = c->meta.nr_gfp;

	c->copts.lint.on = true;
	c->copts.lint.rt = c->env.preempt_rt;
	c->copts.lint.reclaim = gfp_mask_of(g, n, "__GFP_DIRECT_RECLAIM");
	c->copts.lint.kswapd = gfp_mask_of(g, n, "__GFP_KSWAPD_RECLAIM");
	c->copts.lint.nowarn = gfp_mask_of(g, n, "__GFP_NOWARN");
	c->copts.lint.zero = gfp_mask_of(g, n, "__GFP_ZERO");
	c->copts.lint.iofs = gfp_mask_of(g, n, "__GFP_IO") | gfp_mask_of(g, n, "__GFP_FS");
	c->copts.lint.special = gfp_mask_of(g, n, "__GFP_NOFAIL") | gfp_mask_of(g, n, "__GFP_DMA") |
				gfp_mask_of(g, n, "__GFP_DMA32") | gfp_mask_of(g, n, "__GFP_HIGHMEM");
	/* kvmalloc above a page may lack a fallback; kmalloc above the caches is a rule */
	c->copts.lint.kmalloc_big = c->env.page_size;
	c->copts.events = 1ull << KMT_EV_KMALLOC | 1ull << KMT_EV_CACHE_ALLOC |
			  1ull << KMT_EV_PAGE_ALLOC | 1ull << KMT_EV_PERCPU_ALLOC |
			  1ull << KMT_EV_VMAP_ALLOC | 1ull << KMT_EV_VMAP_FREE | 1ull << KMT_EV_VMAP_PURGE;
	c->copts.stacks = true;
	c->copts.ringbuf_bytes = 4 << 20;
	c->copts.stack_entries = 16384;
}

static int live_cache(void *ctx, const struct kmt_cache_def *d)
{
	return kmt_defs__put_cache(((struct lint_cmd *)ctx)->defs, d);
}

static int live_task(void *ctx, const struct kmt_task *t)
{
	return kmt_defs__put_task(((struct lint_cmd *)ctx)->defs, t);
}

static int live_stack(void *ctx, const struct kmt_stack *s)
{
	return kmt_defs__put_stack(((struct lint_cmd *)ctx)->defs, s);
}

static int live_sym(void *ctx, const struct kmt_sym *s)
{
	return kmt_defs__put_sym(((struct lint_cmd *)ctx)->defs, s);
}

static int lint_live(struct lint_cmd *c)
{
	struct kmt_sink sink = { c, live_event, live_cache, live_task, live_stack, live_sym };
	struct sigaction sa = { .sa_handler = on_signal };
	struct collector *col;
	struct kmt_counters cnt;
	char err[512] = "", *rel = NULL;
	__u64 deadline = 0;
	pid_t child = 0;
	int e = 0;

	c->defs = kmt_defs__new();
	if (!c->defs || live_env(c))
		return -1;
	live_filter(c);
	if (!sysinfo__read_file("/proc/sys/kernel/osrelease", &rel, NULL)) {
		rel[strcspn(rel, "\n")] = 0;
		snprintf(c->kernel, sizeof(c->kernel), "%s", rel);
	}
	free(rel);
	c->l = lint__new(&c->env, c->supp, c->nr_supp, on_new, c);
	if (!c->l)
		return -1;
	col = collector__new(&c->copts, &sink, err, sizeof(err));
	if (!col) {
		fprintf(stderr, "kmmtrace lint: %s\n", err);
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (collector__attach(col, err, sizeof(err))) {
		fprintf(stderr, "kmmtrace lint: %s\n", err);
		collector__free(col);
		return -1;
	}
	if (collector__calibrate(col, err, sizeof(err)))
		fprintf(stderr, "kmmtrace lint: warning: %s\n", err);
	if (!collector__calib(col)->pc_known)
		fprintf(stderr, "kmmtrace lint: warning: the preempt count cannot be read on this "
			"kernel: context rules cannot be checked\n");
	if (!c->quiet && !c->json)
		fprintf(stderr, "kmmtrace lint: watching allocations%s\n",
			c->duration ? "" : " (Ctrl-C to stop)");
	if (c->duration)
		deadline = mono_ns() + (__u64)(c->duration * 1e9);
	if (c->cmd) {
		child = fork();
		if (child == 0) {
			signal(SIGPIPE, SIG_DFL);
			execvp(c->cmd[0], c->cmd);
			fprintf(stderr, "kmmtrace lint: cannot run %s: %s\n", c->cmd[0],
				strerror(errno));
			_exit(127);
		}
		if (child < 0)
			fprintf(stderr, "kmmtrace lint: fork: %s\n", strerror(errno));
	}
	while (!lint_stop && !e) {
		e = collector__poll(col, 100);
		if (deadline && mono_ns() >= deadline)
			break;
		if (child > 0 && waitpid(child, NULL, WNOHANG) == child) {
			child = 0;
			break;
		}
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (e)
		fprintf(stderr, "kmmtrace lint: %s\n", strerror(-e));
	collector__stop(col);
	if (!collector__counters(col, &cnt)) {
		for (int t = 0; t < KMT_EV_MAX; t++) {
			c->kernel_allocs += cnt.seen[t];
			c->lost += cnt.dropped[t];
		}
		c->kernel_allocs += cnt.filtered;
		c->lost += cnt.recursion_misses;
	}
	collector__free(col);
	lint__finish(c->l);
	if (c->json)
		print_json(c);
	else
		print_text(c);
	return 0;
}

int cmd_lint(int argc, char **argv)
{
	struct lint_cmd c = {};
	int e, errors;

	e = lint_parse(&c, argc, argv);
	if (e)
		return e > 0 ? 0 : 2;
	if (c.list_rules) {
		list_rules(c.json);
		return 0;
	}
	if (load_suppressions(&c))
		return 2;
	e = c.live ? lint_live(&c) : lint_file(&c);
	errors = c.l ? lint__count(c.l, LINT_ERROR) : 0;
	lint__free(c.l);
	kmt_defs__free(c.defs);
	free(c.supp);
	if (e)
		return 2;
	return errors ? 1 : 0;
}
