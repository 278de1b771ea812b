// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Open-addressing __u64 set: see u64set.h. */
#include <errno.h>
#include <stdlib.h>
#include "hash.h"
#include "u64set.h"

static bool insert(__u64 *slots, size_t cap, __u64 v)
{
	for (size_t i = kmt_hash64(v) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (slots[i] == v)
			return false;
		if (!slots[i]) {
			slots[i] = v;
			return true;
		}
	}
}

static int grow(struct u64set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	__u64 *n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			insert(n, cap, s->slots[i]);
	free(s->slots);
	s->slots = n;
	s->cap = cap;
	return 0;
}

int u64set__add(struct u64set *s, __u64 v)
{
	int err;

	if (!v) {
		if (s->has_zero)
			return 0;
		s->has_zero = true;
		return 1;
	}
	if ((s->len + 1) * 2 > s->cap && (err = grow(s)))
		return err;
	if (!insert(s->slots, s->cap, v))
		return 0;
	s->len++;
	return 1;
}

bool u64set__has(const struct u64set *s, __u64 v)
{
	if (!v)
		return s->has_zero;
	if (!s->cap)
		return false;
	for (size_t i = kmt_hash64(v) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i] == v)
			return true;
		if (!s->slots[i])
			return false;
	}
}

void u64set__free(struct u64set *s)
{
	free(s->slots);
	s->slots = NULL;
	s->cap = s->len = 0;
	s->has_zero = false;
}
