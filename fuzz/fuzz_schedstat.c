// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/schedstat: parse_schedstat(), with any output pointer NULL;
 * and the same bytes as a /proc/stat line: parse_stat_cpu_line().
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long run, wait, slices, v[8];
	int ret, cpu;

	ret = parse_schedstat((const char *)data, size, &run, &wait, &slices);
	FUZZ_ASSERT(ret <= 0);
	ret = parse_schedstat((const char *)data, size, NULL, NULL, NULL);
	FUZZ_ASSERT(ret <= 0);
	ret = parse_schedstat((const char *)data, size, &run, NULL, &slices);
	FUZZ_ASSERT(ret <= 0);
	ret = parse_stat_cpu_line((const char *)data, size, &cpu, v);
	FUZZ_ASSERT(ret == 0 ? cpu >= 0 : ret == -EINVAL);
	return 0;
}
