// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test runner: see test.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <ftw.h>
#include "test.h"

static struct kmt_test *tests_head, **tests_tail = &tests_head;
static int cur_failed, cur_skipped;
static char cur_tmp[256];
static const char *binary = "./kmmtrace";

void kmt_test__register(struct kmt_test *t)
{
	*tests_tail = t;
	tests_tail = &t->next;
}

void kmt_test__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	cur_failed = 1;
}

void kmt_test__skip(const char *reason)
{
	fprintf(stdout, "    skipped: %s\n", reason);
	cur_skipped = 1;
}

int kmt_test__failed(void)
{
	return cur_failed;
}

const char *kmt_test__binary(void)
{
	return binary;
}

const char *kmt_test__tmpdir(void)
{
	if (!cur_tmp[0]) {
		snprintf(cur_tmp, sizeof(cur_tmp), "/tmp/kmt-test-XXXXXX");
		if (!mkdtemp(cur_tmp)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return cur_tmp;
}

char *kmt_test__data(const char *name)
{
	const char *env = getenv("KMT_TEST_DATA");
	char path[512], dir[400], *text = NULL, *p;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", __FILE__);
	p = strrchr(dir, '/');
	snprintf(p ? p + 1 : dir, sizeof(dir) - (p ? p + 1 - dir : 0), "data");
	snprintf(path, sizeof(path), "%s/%s", env ? env : dir, name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stdout, "    cannot read %s\n", path);
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *m = realloc(text, cap = cap ? cap * 2 : 65536);

			if (!m)
				break;
			text = m;
		}
		size_t r = fread(text + n, 1, cap - n - 1, f);

		n += r;
		if (!r)
			break;
	}
	fclose(f);
	if (text)
		text[n] = 0;
	return text;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;
	struct kmt_test *t;

	if (getenv("KMMTRACE"))
		binary = getenv("KMMTRACE");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = tests_head; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		cur_failed = cur_skipped = 0;
		cur_tmp[0] = 0;
		fprintf(stdout, "test %s ...\n", t->name);
		t->fn();
		if (cur_tmp[0] && !getenv("KMT_KEEP_TMP"))
			nftw(cur_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		if (cur_failed) {
			failed++;
			fprintf(stdout, "FAIL %s\n", t->name);
		} else if (cur_skipped) {
			skipped++;
			fprintf(stdout, "SKIP %s\n", t->name);
		} else {
			passed++;
			fprintf(stdout, "ok   %s\n", t->name);
		}
	}
	fprintf(stdout, "%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

char *kmt_test__run(const char *cmd, int *status)
{
	size_t cap = 16 << 20, n;
	char *text = malloc(cap);
	FILE *p = popen(cmd, "r");
	int st;

	if (!p || !text) {
		free(text);
		if (p)
			pclose(p);
		return NULL;
	}
	n = fread(text, 1, cap - 1, p);
	text[n] = 0;
	st = pclose(p);
	if (status)
		*status = st;
	return text;
}

int kmt_test__spawn(char *const argv[], int *err_fd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		dup2(open("/dev/null", O_WRONLY), 1);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (err_fd)
		*err_fd = p[0];
	else
		close(p[0]);
	return pid;
}

bool kmt_test__wait_for_text(int fd, const char *needle, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0) {
		n += r;
		buf[n] = 0;
		if (strstr(buf, needle))
			return true;
	}
	buf[n] = 0;
	return false;
}

int kmt_test__start_recorder(char *const argv[], int *err_fd, int also, char *buf,
			     size_t len)
{
	int pid = kmt_test__spawn(argv, err_fd);

	buf[0] = 0;
	if (pid > 0 && kmt_test__wait_for_text(*err_fd, "recording", buf, len))
		return pid;
	if (also > 0) {
		kill(also, SIGKILL);
		waitpid(also, NULL, 0);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}
