// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Context words from raw preempt counts, and the small helpers around the collector. */
#include <bpf/btf.h>
#include "../test.h"
#include "context.h"
#include "event.h"
#include "u64set.h"

TEST(context_word_removes_baseline)
{
	struct kmt_calib cal = { .pc_base = 1, .rcu_base = 1, .pc_known = 1, .rcu_known = 1 };
	__u32 w;

	w = context__word(&cal, true, 0x1, true, 1);		/* plain process context */
	ASSERT_STREQ(context__class(w), "process");
	ASSERT_EQ(KMT_CTX_PREEMPT(w), 0);
	ASSERT_EQ(KMT_CTX_RCU(w), 0);
	w = context__word(&cal, true, 0x2, true, 1);		/* spin_lock held */
	ASSERT_STREQ(context__class(w), "preempt-off");
	ASSERT_EQ(KMT_CTX_PREEMPT(w), 1);
	w = context__word(&cal, true, 0x1, true, 3);		/* two rcu_read_lock()s */
	ASSERT_STREQ(context__class(w), "rcu");
	ASSERT_EQ(KMT_CTX_RCU(w), 2);
	w = context__word(&cal, true, 0x201, true, 1);		/* local_bh_disable() */
	ASSERT_STREQ(context__class(w), "bh-off");
	w = context__word(&cal, true, 0x102, true, 5);		/* serving softirq, a lock */
	ASSERT_STREQ(context__class(w), "softirq");
	ASSERT_TRUE(KMT_CTX_IN_SERVING_SOFTIRQ(w));
	ASSERT_FALSE(KMT_CTX_BH_DISABLED(w));
	w = context__word(&cal, true, 0x10001, true, 1);	/* hardirq */
	ASSERT_STREQ(context__class(w), "hardirq");
	w = context__word(&cal, true, 0x110001, true, 1);	/* NMI (also counts hardirq) */
	ASSERT_STREQ(context__class(w), "nmi");
	w = context__word(&cal, false, 0, false, 0);
	ASSERT_STREQ(context__class(w), "unknown");
	w = context__word(&cal, true, 0x1, true, 100);		/* saturates */
	ASSERT_EQ(KMT_CTX_RCU(w), 63);
	w = context__word(&cal, true, 0x0, true, -5);		/* never negative */
	ASSERT_EQ(KMT_CTX_PREEMPT(w), 0);
	ASSERT_EQ(KMT_CTX_RCU(w), 0);
}

TEST(context_format)
{
	struct kmt_calib cal = { .pc_base = 1, .rcu_base = 1 };
	char buf[64];

	context__format(context__word(&cal, true, 0x302, true, 7), buf, sizeof(buf));
	ASSERT_STREQ(buf, "softirq pd=1 bh-off rcu=6");
}

TEST(context_pc_delta_this_kernel)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const char *what = NULL;
	__s64 delta = 0;

	if (!btf)
		SKIP("no kernel BTF");
	ASSERT_EQ(context__pc_delta(btf, &delta, &what), 0);
	ASSERT_NE(delta, 0);
	ASSERT_TRUE(what && (!strcmp(what, "__preempt_count") ||
			     !strcmp(what, "pcpu_hot.preempt_count")));
	btf__free(btf);
}

TEST(u64set_basics)
{
	struct u64set s = {};

	ASSERT_EQ(u64set__add(&s, 0), 1);
	ASSERT_EQ(u64set__add(&s, 0), 0);
	for (__u64 i = 1; i <= 100000; i++)
		ASSERT_EQ(u64set__add(&s, i * 0x1000), 1);
	for (__u64 i = 1; i <= 100000; i++)
		ASSERT_TRUE(u64set__has(&s, i * 0x1000));
	ASSERT_FALSE(u64set__has(&s, 0x1001));
	ASSERT_EQ(u64set__add(&s, 0x5000), 0);
	ASSERT_EQ(s.len, 100000);
	u64set__free(&s);
}

TEST(event_type_names)
{
	ASSERT_EQ(kmt_event_type_from_name("kmem:kmalloc"), KMT_EV_KMALLOC);
	ASSERT_EQ(kmt_event_type_from_name("alloc_vmap_area"), KMT_EV_VMAP_ALLOC);
	ASSERT_EQ(kmt_event_type_from_name("nope"), -1);
	for (int t = 1; t < KMT_EV_MAX; t++)
		ASSERT_EQ(kmt_event_type_from_name(kmt_event_type_name(t)), t);
}
