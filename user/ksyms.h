/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel text symbols from /proc/kallsyms (vmlinux and modules), sorted by
 * address, for resolving call sites and stack entries to "name+0x1a [mod]".
 *
 * /proc/kallsyms shows every address as 0 to readers without CAP_SYSLOG when
 * kernel.kptr_restrict is set (1, or 2 for everyone); ksyms__load() detects
 * that and fails with -EPERM and a reason rather than resolving to nonsense.
 */
#ifndef __KMT_KSYMS_H
#define __KMT_KSYMS_H

#include <stddef.h>
#include <linux/types.h>
#include "event.h"

/* An address further than this past the nearest symbol is not resolved. */
#define KSYMS_MAX_OFFSET	0x100000

struct ksyms;

/*
 * Loads path (NULL: /proc/kallsyms). NULL and *err (negative errno) on
 * failure, with a reason in why when why is not NULL.
 */
struct ksyms *ksyms__load(const char *path, int *err, char *why, size_t whylen);
/* Reads the file again (modules loaded since); on failure k is unchanged. */
int ksyms__reload(struct ksyms *k, char *why, size_t whylen);
void ksyms__free(struct ksyms *k);

/*
 * Fills out (addr, name, offset, module) for addr: 0, or -ENOENT when no
 * symbol covers it (out->name is then "").
 */
int ksyms__resolve(const struct ksyms *k, __u64 addr, struct kmt_sym *out);
/* "kfree+0x1a", "ext4_fill_super+0x3c [ext4]", or "0xffffffff81000000". */
int ksyms__snprint(const struct kmt_sym *s, char *buf, size_t len);
/* Address of a symbol by name (the first one when several), 0 when absent. */
__u64 ksyms__addr_of(const struct ksyms *k, const char *name);
size_t ksyms__count(const struct ksyms *k);

#endif /* __KMT_KSYMS_H */
