/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where each tracepoint argument lands in a record, learned from the kernel's
 * BTF: the parameters of __bpf_trace_<tracepoint> are named, so the raw
 * context index of "bytes_req" or "page" is found by name on any kernel.
 */
#ifndef __KMT_TP_ARGS_H
#define __KMT_TP_ARGS_H

#include <linux/types.h>
#include "../bpf/kmmtrace.h"

struct btf;

enum tp_args_status {
	TP_ARGS_OK = 0,
	TP_ARGS_MISSING = 1,	/* this kernel has no such tracepoint */
	TP_ARGS_MISMATCH = 2,	/* it exists, but lacks an argument we need */
};

struct tp_args {
	__s8 idx[KMT_EV_MAX][KMT_SLOT_MAX];
	int status[KMT_EV_MAX];
	char why[KMT_EV_MAX][96];
};

/* Fill args from btf for every event type; never fails as a whole. */
void tp_args__resolve(const struct btf *btf, struct tp_args *args);

#endif /* __KMT_TP_ARGS_H */
