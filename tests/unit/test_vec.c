// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Growable arrays follow the present load: grow by doubling, shrink after a burst. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "vec.h"

static void test_grows_by_doubling_and_keeps_contents(void **state)
{
	int *v = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(vec_fit(&v, &cap, 1, sizeof(*v)), 0);
	assert_int_equal(cap, VEC_MIN_CAP);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(vec_fit(&v, &cap, i + 1, sizeof(*v)), 0);
		v[i] = (int)i;
	}
	assert_int_equal(cap, 1024);
	for (i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	free(v);
}

/* Under a quarter full: shrinks to twice the need, keeping what is in it. */
static void test_shrinks_after_a_burst(void **state)
{
	int *v = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(vec_fit(&v, &cap, 100000, sizeof(*v)), 0);
	assert_int_equal(cap, 131072);
	for (i = 0; i < 100000; i++)
		v[i] = (int)i;
	/* A third full: stays. */
	assert_int_equal(vec_fit(&v, &cap, 40000, sizeof(*v)), 0);
	assert_int_equal(cap, 131072);
	assert_int_equal(vec_fit(&v, &cap, 1000, sizeof(*v)), 0);
	assert_int_equal(cap, 2000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	/* Never below the minimum. */
	assert_int_equal(vec_fit(&v, &cap, 0, sizeof(*v)), 0);
	assert_int_equal(cap, VEC_MIN_CAP);
	free(v);
}

/* A size whose bytes overflow is refused and leaves the array as it was. */
static void test_overflow_refused(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(vec_fit(&v, &cap, 10, sizeof(*v)), 0);
	assert_int_equal(vec_fit(&v, &cap, SIZE_MAX, sizeof(*v)), -ENOMEM);
	assert_int_equal(cap, VEC_MIN_CAP);
	assert_non_null(v);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_by_doubling_and_keeps_contents),
		cmocka_unit_test(test_shrinks_after_a_burst),
		cmocka_unit_test(test_overflow_refused),
	};

	return cmocka_run_group_tests_name("vec", tests, NULL, NULL);
}
