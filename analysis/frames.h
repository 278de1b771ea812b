/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Stack frames: the first one that is not the allocators' own (or tracing's). */
#ifndef __KMT_FRAMES_H
#define __KMT_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include "trace.h"

/* True for frames of the page/slab allocators, of BPF and unresolved ones. */
bool frames__internal(const char *symbol);
/*
 * Writes "name [module]" of the first frame of stack id outside the
 * allocators into buf; false when there is no such stack or frame.
 */
struct kmt_defs;
bool frames__site(const struct kmt_defs *d, int stack_id, char *buf, size_t len);
/* "kfree+0x1a [mod]" for an address the defs symbolise, else "0x..." */
void frames__sym_name(const struct kmt_defs *d, __u64 addr, char *buf, size_t len);

#endif /* __KMT_FRAMES_H */
