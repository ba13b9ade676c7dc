// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The top view's procfs readers: /proc/PID/status (uid) and /proc/PID/cgroup. */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "top_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64], small[2];
	unsigned int uid;

	top_parse_status_uid((const char *)data, size, &uid);
	memset(out, 'x', sizeof(out));
	if (top_parse_cgroup((const char *)data, size, out, sizeof(out)) == 0)
		FUZZ_ASSERT(memchr(out, '\0', sizeof(out)));
	memset(small, 'x', sizeof(small));
	if (top_parse_cgroup((const char *)data, size, small, sizeof(small)) == 0)
		FUZZ_ASSERT(memchr(small, '\0', sizeof(small)));
	return 0;
}
