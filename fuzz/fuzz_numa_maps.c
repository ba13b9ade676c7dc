// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/numa_maps: parse_numa_maps() adds and saturates, never wraps. */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct numa_usage once = { 0 }, twice;
	int n;

	if (parse_numa_maps((const char *)data, size, &once))
		return 0;
	twice = once;
	FUZZ_ASSERT(parse_numa_maps((const char *)data, size, &twice) == 0);
	/* A second pass adds again: each node only grows (or stays saturated). */
	for (n = 0; n < ENERGAT_MAX_NODES; n++)
		FUZZ_ASSERT(twice.bytes[n] >= once.bytes[n]);
	return 0;
}
