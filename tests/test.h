/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal test harness: TEST(name) { ... } registers a test; ASSERT_* fail it
 * with file:line and the values involved; SKIP(reason) skips it. The runner
 * (tests/test_main.c) runs every test, or those whose name contains argv[1],
 * and closes with "N passed, N failed, N skipped".
 */
#ifndef __KMT_TEST_H
#define __KMT_TEST_H

#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>

struct kmt_test {
	const char *name;
	const char *file;
	void (*fn)(void);
	struct kmt_test *next;
};

void kmt_test__register(struct kmt_test *t);
void kmt_test__fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kmt_test__skip(const char *reason);
int kmt_test__failed(void);
/* Set by the runner: the kmmtrace binary to test (env KMMTRACE or ./kmmtrace). */
const char *kmt_test__binary(void);
/* The text of tests/data/NAME (or $KMT_TEST_DATA/NAME), malloc'ed; NULL if unreadable. */
char *kmt_test__data(const char *name);
/* A fresh temporary directory for this test, removed afterwards. */
const char *kmt_test__tmpdir(void);
/* Runs a shell command; its stdout (malloc'ed, NUL-terminated) and exit status (may be NULL). */
char *kmt_test__run(const char *cmd, int *status);
/* Starts argv (PATH searched) with stdout to /dev/null, stderr to a pipe (*err_fd, or closed). */
int kmt_test__spawn(char *const argv[], int *err_fd);
/* Reads fd until needle shows up (true) or EOF (false); what was read is in buf. */
bool kmt_test__wait_for_text(int fd, const char *needle, char *buf, size_t len);
/*
 * Starts a `kmmtrace record` argv and waits for its "recording" line: its pid, stderr in
 * *err_fd. When it does not start: -1, what it printed in buf, and it and also (a
 * workload, if > 0) killed and reaped.
 */
int kmt_test__start_recorder(char *const argv[], int *err_fd, int also, char *buf,
			     size_t len);

#define TEST(n)								\
	static void test_##n(void);					\
	static struct kmt_test kmt_test_##n = { #n, __FILE__, test_##n, NULL }; \
	__attribute__((constructor)) static void kmt_test_reg_##n(void)	\
	{ kmt_test__register(&kmt_test_##n); }				\
	static void test_##n(void)

#define FAIL(...) do { kmt_test__fail(__FILE__, __LINE__, __VA_ARGS__); return; } while (0)
#define SKIP(reason) do { kmt_test__skip(reason); return; } while (0)

/*
 * Live BPF tests: skipped without root or kernel BTF, with the reason, but a
 * failure under CI, where they must run.
 */
#define NEED_ROOT_BPF() do {								\
	const char *_why = geteuid() ? "not root" :					\
			   access("/sys/kernel/btf/vmlinux", R_OK) ?			\
			   "no kernel BTF (/sys/kernel/btf/vmlinux)" : NULL;		\
	if (_why && getenv("CI"))							\
		FAIL("live BPF tests cannot run under CI: %s", _why);			\
	if (_why)									\
		SKIP(_why);								\
} while (0)

#define ASSERT_TRUE(c) do { if (!(c)) FAIL("expected: %s", #c); } while (0)
#define ASSERT_FALSE(c) do { if (c) FAIL("expected false: %s", #c); } while (0)
#define ASSERT_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b); } while (0)
#define ASSERT_NE(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a == _b) FAIL("%s != %s: both %lld", #a, #b, _a); } while (0)
#define ASSERT_GE(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a < _b) FAIL("%s >= %s: %lld < %lld", #a, #b, _a, _b); } while (0)
#define ASSERT_LE(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a > _b) FAIL("%s <= %s: %lld > %lld", #a, #b, _a, _b); } while (0)
#define ASSERT_GT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a <= _b) FAIL("%s > %s: %lld <= %lld", #a, #b, _a, _b); } while (0)
#define ASSERT_LT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a >= _b) FAIL("%s < %s: %lld >= %lld", #a, #b, _a, _b); } while (0)
#define ASSERT_U64_EQ(a, b) do { unsigned long long _a = (a), _b = (b); \
	if (_a != _b) FAIL("%s == %s: 0x%llx != 0x%llx", #a, #b, _a, _b); } while (0)
#define ASSERT_STREQ(a, b) do { const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, \
		_a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define ASSERT_CONTAINS(hay, needle) do { const char *_h = (hay), *_n = (needle); \
	if (!_h || !strstr(_h, _n)) FAIL("\"%s\" not found in %s", _n, #hay); } while (0)

#endif /* __KMT_TEST_H */
