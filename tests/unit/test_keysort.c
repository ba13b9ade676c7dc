// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The radix sort agrees with qsort, keeps equal keys in order, and skips nothing it must not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include "keysort.h"

static int cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx; /* stable: first come first */
}

/* Sort with keysort and with qsort, and compare key and index of every element. */
static void check(struct sort_key *v, size_t n)
{
	struct sort_key *want = malloc(n * sizeof(*want) + 1), *tmp = malloc(n * sizeof(*tmp) + 1);
	size_t i;

	for (i = 0; i < n; i++)
		v[i].idx = i;
	for (i = 0; i < n; i++)
		want[i] = v[i];
	qsort(want, n, sizeof(*want), cmp);
	keysort(v, tmp, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].key, want[i].key);
		assert_int_equal(v[i].idx, want[i].idx);
	}
	free(want);
	free(tmp);
}

/* Thread keys as the session builds them: pid << 32 | tid, many threads per process. */
static void test_thread_keys(void **state)
{
	enum { N = 20000 };
	struct sort_key *v = malloc(N * sizeof(*v));
	size_t i;

	(void)state;
	srand(7);
	for (i = 0; i < N; i++) {
		__u64 pid = 1 + rand() % 4194303, tid = rand() % 50 ? pid + rand() % 1000 : 1;

		v[i].key = pid << 32 | tid;
	}
	check(v, N);
	free(v);
}

/* Random 64-bit keys, duplicates included: every pass has work, top bits too. */
static void test_full_width_and_duplicates(void **state)
{
	enum { N = 5000 };
	struct sort_key *v = malloc(N * sizeof(*v));
	size_t i;

	(void)state;
	srand(11);
	for (i = 0; i < N; i++)
		v[i].key = i % 3 || !i ? (__u64)rand() << 62 ^ (__u64)rand() << 31 ^ rand() :
					 v[i / 2].key;
	check(v, N);
	free(v);
}

/* Already sorted, reversed, all equal, one, none. */
static void test_edge_orders(void **state)
{
	struct sort_key v[300];
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++)
		v[i].key = i;
	check(v, 300);
	for (i = 0; i < 300; i++)
		v[i].key = 300 - i;
	check(v, 300);
	for (i = 0; i < 300; i++)
		v[i].key = 42;
	check(v, 300);
	check(v, 1);
	check(v, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_keys),
		cmocka_unit_test(test_full_width_and_duplicates),
		cmocka_unit_test(test_edge_orders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
