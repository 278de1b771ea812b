// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ksyms: a saved kallsyms sample, hidden addresses, and this machine's /proc/kallsyms. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "../test.h"
#include "ksyms.h"

static void data_path(const char *name, char *path, size_t len)
{
	const char *env = getenv("KMT_TEST_DATA");
	char dir[400], *p;

	snprintf(dir, sizeof(dir), "%s", __FILE__);
	p = strstr(dir, "/unit/");
	if (p)
		strcpy(p, "/data");
	snprintf(path, len, "%s/%s", env ? env : dir, name);
}

static const char *resolve(const struct ksyms *k, __u64 addr)
{
	static char buf[256];
	struct kmt_sym s;

	ksyms__resolve(k, addr, &s);
	ksyms__snprint(&s, buf, sizeof(buf));
	return buf;
}

TEST(ksyms_sample)
{
	char path[512], why[256] = "";
	struct ksyms *k;
	struct kmt_sym s;
	int err = 0;

	data_path("kallsyms-sample.txt", path, sizeof(path));
	k = ksyms__load(path, &err, why, sizeof(why));
	if (!k)
		FAIL("%s", why);
	ASSERT_EQ(ksyms__count(k), 22);		/* 26 lines, 4 not text */
	ASSERT_STREQ(resolve(k, 0xffffffff816307d0), "kfree+0x0");
	ASSERT_STREQ(resolve(k, 0xffffffff816307d5), "kfree+0x5");
	ASSERT_STREQ(resolve(k, 0xffffffff816307c8), "__pfx_kfree+0x8");
	/* three T at one address: the first in the file wins */
	ASSERT_STREQ(resolve(k, 0xffffffff81000010), "srso_alias_untrain_ret+0x10");
	/* T before t, and the 64-bit entry point before its 32-bit compat alias */
	ASSERT_STREQ(resolve(k, 0xffffffff81358d63), "__x64_sys_vfork+0x43");
	/* t before W at one address */
	ASSERT_STREQ(resolve(k, 0xffffffff81d5aa91), "cpu_show_not_affected+0x1");
	ASSERT_STREQ(resolve(k, 0xffffffffc0a10404), "ext4_iget+0x4 [ext4]");
	ASSERT_STREQ(resolve(k, 0xffffffffc0900010), "xfs_fs_fill_super+0x10 [xfs]");
	ASSERT_STREQ(resolve(k, 0xffffffffc0201001), "ftrace_trampoline+0x1 [__builtin__ftrace]");
	/* below the first symbol, and far past the nearest one */
	ASSERT_EQ(ksyms__resolve(k, 0xffffffff80000000, &s), -ENOENT);
	ASSERT_STREQ(s.name, "");
	ASSERT_STREQ(resolve(k, 0xffffffff80000000), "0xffffffff80000000");
	ASSERT_EQ(ksyms__resolve(k, 0xffffffff8220bb08 + KSYMS_MAX_OFFSET + 1, &s), -ENOENT);
	ASSERT_EQ(ksyms__resolve(k, 0xffffffff8220bb08 + 0x10, &s), 0);
	ASSERT_STREQ(s.name, "_etext");
	ASSERT_EQ(s.offset, 0x10);
	ASSERT_U64_EQ(ksyms__addr_of(k, "abort"), 0xffffffff81207610);
	ASSERT_U64_EQ(ksyms__addr_of(k, "jiffies"), 0);		/* data: not loaded */
	ASSERT_EQ(ksyms__reload(k, why, sizeof(why)), 0);
	ASSERT_EQ(ksyms__count(k), 22);
	ksyms__free(k);
	ksyms__free(NULL);
}

/* What a reader without CAP_SYSLOG sees under kptr_restrict. */
TEST(ksyms_hidden_addresses)
{
	const char *text = "0000000000000000 T _stext\n0000000000000000 T kfree\n"
			   "0000000000000000 t ext4_iget\t[ext4]\n";
	char path[512], why[256] = "";
	struct ksyms *k;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/kallsyms", kmt_test__tmpdir());
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	k = ksyms__load(path, &err, why, sizeof(why));
	ASSERT_TRUE(!k);
	ASSERT_EQ(err, -EPERM);
	ASSERT_CONTAINS(why, "kptr_restrict");
	k = ksyms__load("/nonexistent/kallsyms", &err, why, sizeof(why));
	ASSERT_TRUE(!k);
	ASSERT_EQ(err, -ENOENT);
}

#ifdef __SANITIZE_ADDRESS__
#define LOAD_LIMIT_MS 400	/* ASan makes the parse several times slower */
#else
#define LOAD_LIMIT_MS 100
#endif

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

TEST(ksyms_live)
{
	char why[256] = "";
	struct ksyms *k;
	struct kmt_sym s;
	__u64 addr;
	double t0, ms;
	int err = 0, i;

	if (geteuid()) {
		/* as non-root the load either works (kptr_restrict=0) or must say why not */
		k = ksyms__load(NULL, &err, why, sizeof(why));
		if (!k) {
			ASSERT_EQ(err, -EPERM);
			ASSERT_CONTAINS(why, "kptr_restrict");
			fprintf(stdout, "    %s\n", why);
		}
		ksyms__free(k);
		SKIP("needs root for the timing and resolution checks");
	}
	t0 = now_ms();
	k = ksyms__load(NULL, &err, why, sizeof(why));
	ms = now_ms() - t0;
	if (!k)
		FAIL("%s", why);
	fprintf(stdout, "    /proc/kallsyms: %zu text symbols in %.1f ms\n", ksyms__count(k), ms);
	ASSERT_LT(ms, LOAD_LIMIT_MS);
	addr = ksyms__addr_of(k, "kfree");
	ASSERT_NE(addr, 0);
	ASSERT_STREQ(resolve(k, addr), "kfree+0x0");
	ASSERT_STREQ(resolve(k, addr + 5), "kfree+0x5");
	ASSERT_EQ(ksyms__resolve(k, addr + 5, &s), 0);
	ASSERT_U64_EQ(s.addr, addr + 5);
	ASSERT_STREQ(s.module, "");
	t0 = now_ms();
	for (i = 0; i < 1000000; i++)
		ksyms__resolve(k, addr + (i & 0xff), &s);
	fprintf(stdout, "    1M resolves in %.1f ms\n", now_ms() - t0);
	ASSERT_EQ(ksyms__reload(k, why, sizeof(why)), 0);
	ASSERT_STREQ(resolve(k, addr + 5), "kfree+0x5");
	ksyms__free(k);
}
