// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Allocation context: see context.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "context.h"
#include "event.h"

/* Offset of per-CPU variable name in .data..percpu, or -1. */
static long long percpu_var_offset(const struct btf *btf, const char *name, __u32 *type_id)
{
	int sec = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_var_secinfo *vi;
	const struct btf_type *t;

	if (sec <= 0)
		return -1;
	t = btf__type_by_id(btf, sec);
	vi = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, vi++) {
		const struct btf_type *v = btf__type_by_id(btf, vi->type);

		if (v && btf_is_var(v) && !strcmp(btf__name_by_offset(btf, v->name_off), name)) {
			if (type_id)
				*type_id = v->type;
			return vi->offset;
		}
	}
	return -1;
}

/* Byte offset of member name in struct type_id, looking into anonymous members; or -1. */
static long long member_offset(const struct btf *btf, __u32 type_id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const struct btf_member *m;

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		long long off = btf_member_bit_offset(t, i) / 8, sub;

		if (mn && !strcmp(mn, name))
			return off;
		if ((!mn || !mn[0]) && (sub = member_offset(btf, m->type, name)) >= 0)
			return off + sub;
	}
	return -1;
}

int context__pc_delta(const struct btf *btf, __s64 *delta, const char **what)
{
	long long rq = percpu_var_offset(btf, "runqueues", NULL);
	long long pc = percpu_var_offset(btf, "__preempt_count", NULL);
	__u32 hot_type;

	if (rq < 0)
		return -ENOENT;
	if (pc >= 0) {
		*what = "__preempt_count";
	} else {
		long long hot = percpu_var_offset(btf, "pcpu_hot", &hot_type);
		long long m = hot >= 0 ? member_offset(btf, hot_type, "preempt_count") : -1;

		if (m < 0)
			return -ENOENT;
		pc = hot + m;
		*what = "pcpu_hot.preempt_count";
	}
	*delta = pc - rq;
	return 0;
}

__u32 context__word(const struct kmt_calib *calib, bool pc_valid, __u32 pc, bool rcu_valid,
		    __s32 rcu)
{
	__u32 w = 0;

	if (pc_valid) {
		__u32 depth = pc & KMT_CTX_PREEMPT_MASK;

		depth = depth > calib->pc_base ? depth - calib->pc_base : 0;
		w = (pc & (KMT_CTX_SOFTIRQ_MASK | KMT_CTX_HARDIRQ_MASK | KMT_CTX_NMI_MASK)) | depth |
		    KMT_CTX_PC_KNOWN;
	}
	if (rcu_valid) {
		__s32 r = rcu - calib->rcu_base;

		r = r < 0 ? 0 : r > 63 ? 63 : r;
		w |= ((__u32)r << KMT_CTX_RCU_SHIFT) | KMT_CTX_RCU_KNOWN;
	}
	return w;
}

enum ctx_class context__class_id(__u32 c)
{
	if (!(c & KMT_CTX_PC_KNOWN))
		return CTX_UNKNOWN;
	if (KMT_CTX_IN_NMI(c))
		return CTX_NMI;
	if (KMT_CTX_IN_HARDIRQ(c))
		return CTX_HARDIRQ;
	if (KMT_CTX_IN_SERVING_SOFTIRQ(c))
		return CTX_SOFTIRQ;
	if (KMT_CTX_BH_DISABLED(c))
		return CTX_BH_OFF;
	if (KMT_CTX_PREEMPT(c))
		return CTX_PREEMPT_OFF;
	if (KMT_CTX_RCU(c))
		return CTX_RCU;
	return CTX_PROCESS;
}

const char *context__class_name(enum ctx_class c)
{
	static const char *const names[CTX_NR_CLASSES] = {
		"process", "rcu", "preempt-off", "bh-off", "softirq", "hardirq", "nmi", "unknown",
	};

	return c < CTX_NR_CLASSES ? names[c] : "unknown";
}

const char *context__class(__u32 c)
{
	return context__class_name(context__class_id(c));
}

int context__format(__u32 c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", context__class(c));

	if (!(c & KMT_CTX_PC_KNOWN))
		return n;
	if (KMT_CTX_PREEMPT(c))
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0, " pd=%u", KMT_CTX_PREEMPT(c));
	if (KMT_CTX_BH_DISABLED(c) && KMT_CTX_IN_SERVING_SOFTIRQ(c))
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0, " bh-off");
	if ((c & KMT_CTX_RCU_KNOWN) && KMT_CTX_RCU(c))
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0, " rcu=%u", KMT_CTX_RCU(c));
	return n;
}
