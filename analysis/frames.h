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
bool frames__site(const struct trace_reader *r, int stack_id, char *buf, size_t len);

#endif /* __KMT_FRAMES_H */
