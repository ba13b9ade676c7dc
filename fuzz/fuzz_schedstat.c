// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/schedstat: parse_schedstat(), with any output pointer NULL. */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long run, wait, slices;
	int ret;

	ret = parse_schedstat((const char *)data, size, &run, &wait, &slices);
	FUZZ_ASSERT(ret <= 0);
	ret = parse_schedstat((const char *)data, size, NULL, NULL, NULL);
	FUZZ_ASSERT(ret <= 0);
	ret = parse_schedstat((const char *)data, size, &run, NULL, &slices);
	FUZZ_ASSERT(ret <= 0);
	return 0;
}
