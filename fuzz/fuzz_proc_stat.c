// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/stat and /proc/PID/task/TID/stat: parse_proc_stat(). */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat st;

	/* The buffer is exactly size bytes: ASan catches any read past it. */
	if (parse_proc_stat((const char *)data, size, &st) == 0)
		FUZZ_ASSERT(memchr(st.comm, '\0', sizeof(st.comm)));
	return 0;
}
