/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Root-only cmocka tests: ROOT_TEST(test_x) defines root_test_x, which
 * skips (and so says) when not run as root. Include after cmocka.h.
 */
#ifndef ENERGAT_TEST_ROOT_TEST_H
#define ENERGAT_TEST_ROOT_TEST_H

#include <unistd.h>

#define ROOT_TEST(f)                       \
	static void root_##f(void **state) \
	{                                  \
		if (geteuid() != 0)        \
			skip();            \
		f(state);                  \
	}

#endif
