// SPDX-License-Identifier: GPL-2.0
/*
 * Planted GFP bugs for kmmtrace's lint (tests/vm): on load, the module makes
 * allocations whose verdict is known, each from its own noinline function so
 * the findings name it. Positives (sleep-in-atomic): GFP_KERNEL under spin_lock,
 * under spin_lock_irqsave, under local_bh_disable, with preemption disabled,
 * from a timer (softirq) and from a hard hrtimer (hardirq). Negatives: GFP_ATOMIC
 * under a spinlock, GFP_KERNEL in process context, GFP_NOWAIT in softirq. On
 * PREEMPT_RT only, GFP_ATOMIC under a raw spinlock is a positive too
 * (rt-atomic-alloc). Plus small vmallocs in a loop and a high-order atomic
 * allocation (a warning).
 *
 * Only for throw-away test VMs: the positives are real bugs (they only work
 * because memory is plentiful there, so the allocator never has to sleep).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/bottom_half.h>
#include <linux/preempt.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/vmalloc.h>
#include <linux/gfp.h>
#include <linux/completion.h>

#define REPEAT 3
/*
 * The hard hrtimer fires often enough that one run lands while none of the
 * tracer's programs is running on that CPU: a hardirq that interrupts one is a
 * recursion miss, counted but not seen (frequent under TCG on a busy host).
 */
#define HARDIRQ_REPEAT 40

static DEFINE_SPINLOCK(planted_lock);
static DEFINE_RAW_SPINLOCK(planted_raw_lock);
static void *volatile sink;

static noinline void planted_spin_lock_kernel(void)
{
	spin_lock(&planted_lock);
	sink = kmalloc(64, GFP_KERNEL);
	spin_unlock(&planted_lock);
	kfree(sink);
}

static noinline void planted_spin_lock_irqsave_kernel(void)
{
	unsigned long flags;

	spin_lock_irqsave(&planted_lock, flags);
	sink = kmalloc(96, GFP_KERNEL);
	spin_unlock_irqrestore(&planted_lock, flags);
	kfree(sink);
}

static noinline void planted_bh_disabled_kernel(void)
{
	local_bh_disable();
	sink = kmalloc(128, GFP_KERNEL);
	local_bh_enable();
	kfree(sink);
}

static noinline void planted_preempt_disabled_kernel(void)
{
	preempt_disable();
	sink = kmalloc(192, GFP_KERNEL);
	preempt_enable();
	kfree(sink);
}

static noinline void planted_ok_atomic_under_spinlock(void)
{
	spin_lock(&planted_lock);
	sink = kmalloc(64, GFP_ATOMIC);
	spin_unlock(&planted_lock);
	kfree(sink);
}

/* PREEMPT_RT only: the slab allocator's locks sleep there, a raw spinlock does not */
static noinline void planted_raw_spin_lock_atomic(void)
{
	raw_spin_lock(&planted_raw_lock);
	sink = kmalloc(64, GFP_ATOMIC);
	raw_spin_unlock(&planted_raw_lock);
	kfree(sink);
}

static noinline void planted_ok_kernel_in_process(void)
{
	sink = kmalloc(64, GFP_KERNEL);
	kfree(sink);
}

static noinline void planted_vmalloc_small_loop(void)
{
	for (int i = 0; i < 32; i++)
		vfree(vmalloc(PAGE_SIZE));
}

static noinline void planted_high_order_atomic(void)
{
	struct page *p = alloc_pages(GFP_ATOMIC, 4);

	if (p)
		__free_pages(p, 4);
}

/* softirq: a timer */
static struct timer_list planted_timer;
static DECLARE_COMPLETION(timer_done);
static int timer_runs;

static noinline void planted_timer_softirq_kernel(void)
{
	sink = kmalloc(256, GFP_KERNEL);
	kfree(sink);
}

static noinline void planted_ok_nowait_in_softirq(void)
{
	sink = kmalloc(256, GFP_NOWAIT);
	kfree(sink);
}

static void planted_timer_fn(struct timer_list *t)
{
	planted_timer_softirq_kernel();
	planted_ok_nowait_in_softirq();
	if (++timer_runs < REPEAT)
		mod_timer(&planted_timer, jiffies + 1);
	else
		complete(&timer_done);
}

/* hardirq: a hard hrtimer */
static struct hrtimer planted_hrtimer;
static DECLARE_COMPLETION(hrtimer_done);
static int hrtimer_runs;

static noinline void planted_hardirq_kernel(void)
{
	sink = kmalloc(32, GFP_KERNEL);
	kfree(sink);
}

static enum hrtimer_restart planted_hrtimer_fn(struct hrtimer *t)
{
	planted_hardirq_kernel();
	if (++hrtimer_runs < HARDIRQ_REPEAT) {
		hrtimer_forward_now(t, ms_to_ktime(1));
		return HRTIMER_RESTART;
	}
	complete(&hrtimer_done);
	return HRTIMER_NORESTART;
}

static int __init planted_init(void)
{
	for (int i = 0; i < REPEAT; i++) {
		planted_spin_lock_kernel();
		planted_spin_lock_irqsave_kernel();
		planted_bh_disabled_kernel();
		planted_preempt_disabled_kernel();
		planted_ok_atomic_under_spinlock();
		planted_ok_kernel_in_process();
		planted_raw_spin_lock_atomic();
	}
	planted_vmalloc_small_loop();
	planted_high_order_atomic();
	timer_setup(&planted_timer, planted_timer_fn, 0);
	mod_timer(&planted_timer, jiffies + 1);
	wait_for_completion(&timer_done);
	hrtimer_init(&planted_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	planted_hrtimer.function = planted_hrtimer_fn;
	hrtimer_start(&planted_hrtimer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&hrtimer_done);
	pr_info("kmt_planted: done\n");
	return 0;
}

static void __exit planted_exit(void)
{
	del_timer_sync(&planted_timer);
	hrtimer_cancel(&planted_hrtimer);
}

module_init(planted_init);
module_exit(planted_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmmtrace lint test: planted GFP bugs");
