// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* In-memory metadata items: see metalist.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "metalist.h"
#include "trace.h"

struct meta_item {
	__u16 key;
	__u32 len;
	void *val;
};

int meta_list__add(struct meta_list *l, __u16 key, const void *val, __u32 len)
{
	struct meta_item *it;

	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		void *n = realloc(l->items, cap * sizeof(*l->items));

		if (!n)
			return -ENOMEM;
		l->items = n;
		l->cap = cap;
	}
	it = &l->items[l->nr];
	it->val = malloc(len ? len : 1);
	if (!it->val)
		return -ENOMEM;
	memcpy(it->val, val, len);
	it->key = key;
	it->len = len;
	l->nr++;
	return 0;
}

int meta_list__write(const struct meta_list *l, struct trace_writer *w)
{
	for (size_t i = 0; i < l->nr; i++) {
		int err = trace_writer__meta_add(w, l->items[i].key, l->items[i].val,
						 l->items[i].len);

		if (err)
			return err;
	}
	return 0;
}

void meta_list__free(struct meta_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i].val);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
