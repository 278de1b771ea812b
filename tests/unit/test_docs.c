// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Documentation in sync: every option a command's source declares (its struct
 * option table) is in its --help; every option in --help (long or short form) is
 * in the README's command table row for that command; kmmtrace.8 is what
 * tools/gen-man.sh makes from the help texts today.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include "../test.h"

static const char *const commands[] = {
	"record", "dump", "info", "import", "report", "lint", "top", "vmalloc", "replay",
	"export", "workload",
};

/* The README table row of a command: the line starting "| `kmmtrace CMD". */
static char *readme_row(const char *readme, const char *cmd)
{
	char needle[64];
	const char *p, *e;

	snprintf(needle, sizeof(needle), "\n| `kmmtrace %s ", cmd);
	p = strstr(readme, needle);
	if (!p)
		return NULL;
	p++;
	e = strchr(p, '\n');
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* "-x" as an option token in text: preceded by '[', ' ', '`' or '/' and not a letter after. */
static bool has_short(const char *text, char c)
{
	for (const char *p = text; (p = strchr(p, '-')); p++)
		if (p[1] == c && !isalnum((unsigned char)p[2]) && p > text &&
		    strchr("[ `/", p[-1]))
			return true;
	return false;
}

TEST(docs_help_readme_and_sources_agree)
{
	char *readme = kmt_test__data("../../README.md");

	ASSERT_TRUE(readme != NULL);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *cmd = commands[i];
		char line[512], src[256], *help, *row, *source;

		snprintf(line, sizeof(line), "%s %s --help 2>&1", kmt_test__binary(), cmd);
		help = kmt_test__run(line, NULL);
		ASSERT_TRUE(help != NULL);
		row = readme_row(readme, cmd);
		if (!row)
			FAIL("README.md has no command table row for %s", cmd);
		/* help -> README: each "  -x, --long" or "      --long" line */
		for (char *p = help; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
			char s = 0, lng[64] = "", want[80];

			if (sscanf(p, " -%c, --%63[a-z0-9-]", &s, lng) != 2 &&
			    sscanf(p, " --%63[a-z0-9-]", lng) != 1)
				continue;
			if (p[0] != ' ' || !strcmp(lng, "help"))
				continue;
			snprintf(want, sizeof(want), "--%s", lng);
			if (!strstr(row, want) && !(s && has_short(row, s)))
				FAIL("README's row for %s lacks %s%s%c", cmd, want, s ? " / -" : "",
				     s ? s : ' ');
		}
		/* source -> help: the struct option table's names */
		snprintf(src, sizeof(src), "../../user/%s%s.c", strcmp(cmd, "workload") ? "cmd_" : "",
			 cmd);
		source = kmt_test__data(src);
		ASSERT_TRUE(source != NULL);
		for (char *p = strstr(source, "struct option"); p; p = strstr(p + 1, "struct option")) {
			char *end = strstr(p, "{},");

			for (char *q = strstr(p, "{ \""); q && end && q < end; q = strstr(q + 1, "{ \"")) {
				char name[64], want[80];

				if (sscanf(q, "{ \"%63[a-z0-9-]\"", name) != 1)
					continue;
				snprintf(want, sizeof(want), "--%s", name);
				if (!strstr(help, want))
					FAIL("%s --help lacks %s, which %s declares", cmd, want, src + 6);
			}
		}
		free(source);
		free(row);
		free(help);
	}
	free(readme);
}

TEST(docs_man_page_is_current)
{
	char cmd[1024], *want, *got = kmt_test__data("../../kmmtrace.8");

	ASSERT_TRUE(got != NULL);
	snprintf(cmd, sizeof(cmd), "sh tests/data/../../tools/gen-man.sh %s 2>&1", kmt_test__binary());
	want = kmt_test__run(cmd, NULL);
	ASSERT_TRUE(want != NULL);
	if (strcmp(want, got))
		FAIL("kmmtrace.8 is out of date: run make man");
	free(want);
	free(got);
}

TEST(docs_bash_completion)
{
	char cmd[2048], *out;

	snprintf(cmd, sizeof(cmd),
		 "bash -c 'source tests/data/../../tools/kmmtrace-completion.bash; "
		 "COMP_WORDS=(%s li); COMP_CWORD=1; _kmmtrace; echo \"${COMPREPLY[@]}\"; "
		 "COMP_WORDS=(%s lint --co); COMP_CWORD=2; _kmmtrace; echo \"${COMPREPLY[@]}\"; "
		 "COMP_WORDS=(%s report -g ca); COMP_CWORD=3; _kmmtrace; echo \"${COMPREPLY[@]}\"; "
		 "COMP_WORDS=(%s record --ring); COMP_CWORD=2; _kmmtrace; echo \"${COMPREPLY[@]}\"' 2>&1",
		 kmt_test__binary(), kmt_test__binary(), kmt_test__binary(), kmt_test__binary());
	out = kmt_test__run(cmd, NULL);
	ASSERT_TRUE(out != NULL);
	ASSERT_STREQ(out, "lint\n--costly-order\ncallsite cache\n--ringbuf-mb\n");
	free(out);
}
