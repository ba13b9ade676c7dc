// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SYSFS/devices/system/node/nodeN/meminfo and /proc/meminfo: parse_node_meminfo(). */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_meminfo m;

	if (parse_node_meminfo((const char *)data, size, &m) == 0)
		FUZZ_ASSERT(m.used <= m.total);
	return 0;
}
