// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sysfs cpulists (cpu/online, nodeN/cpulist): parse_cpulist(). */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "topology.h"

#define MAX_IDS 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char set[MAX_IDS + 16];
	char *s = fuzz_cstr(data, size);
	int ret, i, n = 0;

	memset(set, 0xaa, sizeof(set));
	ret = parse_cpulist(s, set, MAX_IDS);
	if (ret >= 0) {
		for (i = 0; i < MAX_IDS; i++) {
			FUZZ_ASSERT(set[i] == 0 || set[i] == 1);
			n += set[i];
		}
		FUZZ_ASSERT(n == ret);
	}
	for (i = MAX_IDS; i < MAX_IDS + 16; i++)
		FUZZ_ASSERT(set[i] == 0xaa); /* nothing written past max */
	free(s);
	return 0;
}
