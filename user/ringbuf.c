// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A BPF ring buffer consumer that publishes its position once per batch.
 *
 * libbpf's ring_buffer__consume() stores consumer_pos after every record; the
 * producer reads consumer_pos on every reserve, so at millions of records a
 * second the cache line bounces between the collector's CPU and every traced
 * CPU. The layout and protocol are the kernel's (kernel/bpf/ringbuf.c): a
 * read-write consumer page, then a read-only producer page followed by the
 * data area mapped twice, records with an 8-byte header whose length carries
 * BUSY and DISCARD bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "ringbuf.h"

struct ringbuf {
	ringbuf_fn fn;
	void *ctx;
	unsigned long *consumer_pos;
	unsigned long *producer_pos;
	__u8 *data;
	__u64 mask;
	size_t page_size;
	size_t size;
	int epoll_fd;
};

struct ringbuf *ringbuf__new(int map_fd, ringbuf_fn fn, void *ctx, int *err)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	/*
	 * Edge-triggered: the ring reads as ready whenever data is pending, and
	 * producers mostly submit without a wakeup, so a level-triggered wait
	 * would return at once, forever. Woken by a producer's forced wakeup (a
	 * fill threshold) or by the caller's timeout, the consumer then drains.
	 */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct ringbuf *rb = calloc(1, sizeof(*rb));
	void *p;

	*err = -ENOMEM;
	if (!rb)
		return NULL;
	rb->fn = fn;
	rb->ctx = ctx;
	rb->page_size = getpagesize();
	rb->epoll_fd = -1;
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		goto fail_errno;
	rb->size = info.max_entries;
	rb->mask = rb->size - 1;
	p = mmap(NULL, rb->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail_errno;
	rb->consumer_pos = p;
	p = mmap(NULL, rb->page_size + 2 * rb->size, PROT_READ, MAP_SHARED, map_fd,
		 rb->page_size);
	if (p == MAP_FAILED)
		goto fail_errno;
	rb->producer_pos = p;
	rb->data = (__u8 *)p + rb->page_size;
	rb->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (rb->epoll_fd < 0 || epoll_ctl(rb->epoll_fd, EPOLL_CTL_ADD, map_fd, &ev))
		goto fail_errno;
	*err = 0;
	return rb;
fail_errno:
	*err = -errno;
	ringbuf__free(rb);
	return NULL;
}

/* Records consumed (>= 0), or the callback's negative return. */
int ringbuf__consume(struct ringbuf *rb)
{
	unsigned long cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
	unsigned long published = cons;
	int n = 0, e = 0;

	while (cons < prod && !e) {
		__u32 *hdr = (__u32 *)(rb->data + (cons & rb->mask));
		__u32 len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;	/* reserved, not yet submitted */
		cons += (BPF_RINGBUF_HDR_SZ + (len & ~BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ul;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			e = rb->fn(rb->ctx, hdr + 2, len & ~BPF_RINGBUF_DISCARD_BIT);
			n++;
		}
		/* give producers room every 1/16 of the ring, not only at the end */
		if (cons - published >= rb->size / 16) {
			__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
			published = cons;
		}
		if (cons >= prod)
			prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
	}
	__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
	return e < 0 ? e : n;
}

unsigned long ringbuf__reserved(const struct ringbuf *rb)
{
	return __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
}

bool ringbuf__consumed_to(const struct ringbuf *rb, unsigned long pos)
{
	return __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE) >= pos;
}

int ringbuf__poll(struct ringbuf *rb, int timeout_ms)
{
	struct epoll_event ev;
	int r = epoll_wait(rb->epoll_fd, &ev, 1, timeout_ms);

	if (r < 0 && errno != EINTR)
		return -errno;
	return ringbuf__consume(rb);
}

void ringbuf__free(struct ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->consumer_pos)
		munmap(rb->consumer_pos, rb->page_size);
	if (rb->producer_pos)
		munmap(rb->producer_pos, rb->page_size + 2 * rb->size);
	if (rb->epoll_fd >= 0)
		close(rb->epoll_fd);
	free(rb);
}
