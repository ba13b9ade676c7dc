/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Force-included (-include) when mk/vmtest.mk builds tests/integration/it_*.c
 * for the vmtest guest, unchanged otherwise: the test names listed in
 * $VMTEST_SKIP (separated by white space) are left out of the group and each is
 * announced as "VMTEST-SKIP NAME" so the host counts it as skipped.
 */
#ifndef ENERGAT_IT_VM_H
#define ENERGAT_IT_VM_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int vm_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (list && (p = strstr(p, name))) {
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
		p += n;
	}
	return 0;
}

static inline int vm_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
			       CMFixtureFunction setup, CMFixtureFunction teardown)
{
	struct CMUnitTest keep[n];
	const char *skip = getenv("VMTEST_SKIP");
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (vm_listed(skip, tests[i].name))
			printf("VMTEST-SKIP %s\n", tests[i].name);
		else
			keep[k++] = tests[i];
	}
	fflush(stdout);
	return _cmocka_run_group_tests(group, keep, k, setup, teardown);
}

#undef cmocka_run_group_tests_name
#define cmocka_run_group_tests_name(group_name, group_tests, group_setup, group_teardown)     \
	vm_run_group(group_name, group_tests, sizeof(group_tests) / sizeof((group_tests)[0]), \
		     group_setup, group_teardown)

#endif
