/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md): inputs as
 * files (the trace reader and ksyms take a path), NUL-terminated copies, and a
 * GFP table to read flag names with.
 */
#ifndef __KMT_FUZZ_H
#define __KMT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "codec.h"
#include "gfp.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * One memfd per process, rewritten for each input; *path names it for
 * open(2). Returns 0, or -1 when it cannot be written (the input is skipped).
 */
static inline int fuzz_file(const void *data, size_t size, const char **path)
{
	static char buf[64];
	static int fd = -1;
	size_t done = 0;
	ssize_t n;

	if (fd < 0) {
		fd = memfd_create("kmt-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0))
		return -1;
	while (done < size) {
		n = pwrite(fd, (const char *)data + done, size - done, done);
		if (n <= 0)
			return -1;
		done += n;
	}
	*path = buf;
	return 0;
}

/*
 * Rewrites the header and payload CRC of every frame found in a trace file, so
 * that mutations reach the decoders instead of failing a check; not when bit 0
 * of byte 20 of the file header (reserved, ignored by readers) is set.
 */
static inline void fuzz_fix_crcs(uint8_t *p, size_t n)
{
	size_t off;
	__u32 hsz;

	if (n < KMT_FILE_HDR_SIZE || memcmp(p, KMT_FILE_MAGIC, 8) || (p[20] & 1))
		return;
	hsz = kmt_le32(p + 12);
	if (hsz < KMT_FILE_HDR_SIZE || hsz > n)
		return;
	for (off = hsz; off + KMT_FRAME_HDR_SIZE <= n;) {
		__u16 fhs;
		__u32 stored;

		if (kmt_le32(p + off) != KMT_FRAME_SYNC) {
			off++;
			continue;
		}
		fhs = kmt_le16(p + off + 6);
		stored = kmt_le32(p + off + 8);
		if (fhs >= KMT_FRAME_HDR_SIZE && fhs <= KMT_FRAME_HDR_MAX &&
		    off + fhs + (__u64)stored <= n) {
			kmt_put_le32(p + off + 28, kmt_crc32(p + off + fhs, stored));
			kmt_put_le32(p + off + 60, kmt_crc32(p + off, 60));
			off += fhs + (size_t)stored;
		} else {
			kmt_put_le32(p + off + 60, kmt_crc32(p + off, 60));
			off += 4;
		}
	}
}

/* A malloc'ed NUL-terminated copy (embedded NULs stay: parsers see a prefix). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* The 6.18 GFP table, parsed once from tests/data (FUZZ_DATA_DIR set by the Makefile). */
#ifndef FUZZ_DATA_DIR
#define FUZZ_DATA_DIR "tests/data"
#endif

static inline const struct kmt_gfp_entry *fuzz_gfp_table(size_t *n)
{
	static struct kmt_gfp_entry *table;
	static size_t nr;
	static int done;

	if (!done) {
		FILE *f = fopen(FUZZ_DATA_DIR "/kmalloc-6.18.format", "r");
		char text[16384], why[256];
		size_t len = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

		if (f)
			fclose(f);
		text[len] = 0;
		done = 1;
		if (!len || gfp_table__from_format(text, NULL, &table, &nr, why, sizeof(why))) {
			fprintf(stderr, "fuzz: cannot read %s/kmalloc-6.18.format\n", FUZZ_DATA_DIR);
			abort();
		}
	}
	*n = nr;
	return table;
}

#endif /* __KMT_FUZZ_H */
