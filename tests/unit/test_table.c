// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * user/table.c: the reserved memory a table grows in, and doubling a
 * linear-probing table in place, against every layout that can go wrong:
 * clusters that wrap past the end, entries bound for the upper half whose
 * probe runs off its top, full-ish tables, and tables that had entries deleted.
 */
#include <errno.h>
#include <stdint.h>
#include "../test.h"
#include "table.h"

/* An entry whose hash the test chooses. */
struct ent {
	uint64_t key;	/* 0: empty */
	uint64_t hash;
};

static bool ent_used(const void *e)
{
	return ((const struct ent *)e)->key != 0;
}

static size_t ent_hash(const void *e)
{
	return ((const struct ent *)e)->hash;
}

static const struct kmt_table_ops ops = { sizeof(struct ent), ent_used, ent_hash };

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void put(struct ent *t, size_t cap, uint64_t key, uint64_t hash)
{
	size_t i = hash & (cap - 1);

	while (t[i].key)
		i = (i + 1) & (cap - 1);
	t[i] = (struct ent){ key, hash };
}

/* Backward-shift deletion, as the slab model does it. */
static void del(struct ent *t, size_t cap, size_t i)
{
	size_t mask = cap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!t[j].key)
			break;
		k = t[j].hash & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			t[i] = t[j];
			i = j;
		}
	}
	t[i].key = 0;
}

/*
 * Every entry reachable from its home without crossing an empty slot, each key
 * once, n of them: 0, or the first slot that breaks it, + 1.
 */
static size_t check(const struct ent *t, size_t cap, size_t n, uint64_t max_key)
{
	unsigned char *seen = calloc(max_key + 1, 1);
	size_t i, j, count = 0, bad = 0;

	for (i = 0; i < cap && !bad; i++) {
		if (!t[i].key)
			continue;
		if (t[i].key > max_key || seen[t[i].key]++)
			bad = i + 1;
		for (j = t[i].hash & (cap - 1); !bad && j != i; j = (j + 1) & (cap - 1))
			if (!t[j].key)
				bad = i + 1;
		count++;
	}
	free(seen);
	return bad ? bad : count == n ? 0 : cap + 1;
}

/* Builds a table of cap slots as described, doubles it, checks it; the bad slot + 1, or 0. */
static size_t trial(size_t cap, size_t n, int how, uint64_t seed)
{
	struct ent *t = calloc(2 * cap, sizeof(*t));
	uint64_t s = seed, key = 0, h;
	size_t i, placed = 0, r;

	for (i = 0; i < n; i++) {
		h = rnd(&s);
		switch (how) {
		case 0:		/* random homes */
			break;
		case 1:		/* a third bound for the top few slots of the doubled table */
			if (i % 3 == 0)
				h = (2 * cap - 1 - rnd(&s) % 4) | (rnd(&s) << 40);
			break;
		case 2:		/* crowded at the old table's end: clusters wrap to slot 0 */
			h = (cap - 1 - rnd(&s) % (cap / 8 + 1)) + (rnd(&s) & 1) * cap;
			break;
		case 3:		/* everything bound for the upper half */
			h |= cap;
			break;
		}
		put(t, cap, ++key, h);
		placed++;
	}
	if (how == 4) {	/* random, then a third deleted: layouts insertion alone never makes */
		for (i = 0; i < cap; i++)
			if (t[i].key && rnd(&s) % 3 == 0) {
				del(t, cap, i);
				placed--;
				i--;	/* a shifted entry may now sit here */
				if (i == (size_t)-1)
					i = 0;
			}
	}
	r = check(t, cap, placed, key);
	if (!r) {
		if (kmt_table_double(t, cap, &ops))
			r = 2 * cap + 2;
		else
			r = check(t, 2 * cap, placed, key);
	}
	free(t);
	return r;
}

TEST(table_double_in_place)
{
	static const size_t caps[] = { 2, 4, 16, 64, 1024, 1 << 16 };
	uint64_t seed = 0x1234567;

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		size_t cap = caps[c];

		for (int how = 0; how <= 4; how++) {
			for (int round = 0; round < (cap < 1024 ? 200 : 4); round++) {
				/* from one entry up to one short of full */
				size_t n = round % 2 ? cap - 1 : 1 + (size_t)(seed % cap) * 3 / 4;
				size_t r;

				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				if (how == 4 && n == cap - 1)
					n = cap * 3 / 4 + 1;
				if (n >= cap)
					n = cap - 1;
				if (!n)
					continue;
				r = trial(cap, n, how, seed | 1);
				if (r)
					FAIL("cap %zu, %zu entries, layout %d, seed %llx: broken at %zu",
					     cap, n, how, (unsigned long long)(seed | 1), r - 1);
			}
		}
	}
	/* a full table has no slot to start from */
	{
		struct ent t[8] = { 0 };

		for (int i = 0; i < 4; i++)
			put(t, 4, i + 1, i);
		ASSERT_EQ(kmt_table_double(t, 4, &ops), -EINVAL);
	}
}

TEST(table_region_grows_in_place)
{
	struct kmt_region rg = { 0 };
	char *base;

	ASSERT_EQ(kmt_region_grow(&rg, 3 << 20), 0);
	base = rg.base;
	ASSERT_TRUE(base != NULL);
	ASSERT_EQ((uintptr_t)base & ((2u << 20) - 1), 0);	/* aligned for huge pages */
	ASSERT_GE(rg.len, 3u << 20);
	for (size_t i = 0; i < (3u << 20); i += 4093)
		ASSERT_EQ(base[i], 0);
	memset(base, 0xab, 3 << 20);
	ASSERT_EQ(kmt_region_grow(&rg, 10 << 20), 0);
	ASSERT_TRUE(rg.base == base);	/* in place: what was written stays */
	ASSERT_EQ((unsigned char)base[(3 << 20) - 1], 0xab);
	for (size_t i = 3u << 20; i < (10u << 20); i += 4093)
		ASSERT_EQ(base[i], 0);
	base[(10 << 20) - 1] = 1;
	ASSERT_EQ(kmt_region_grow(&rg, 1 << 20), 0);	/* smaller: nothing to do */
	ASSERT_EQ(kmt_region_grow(&rg, rg.reserved + 1), -ENOMEM);
	ASSERT_EQ((unsigned char)base[0], 0xab);
	kmt_region_free(&rg);
	ASSERT_EQ(rg.reserved, 0);
	ASSERT_TRUE(rg.base == NULL);
}
