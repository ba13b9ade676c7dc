// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * perf power PMU files: events/NAME.scale (perf_parse_scale), format/TERM
 * (perf_format_place) and events/NAME (perf_parse_event). The input is
 * split at newlines: scale, format spec, event string.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "energy.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *part[3] = { s, "", "" }, *nl;
	const char *names[] = { "event", "umask", "fuzz" };
	const char *specs[] = { "config:0-7", "config:8-15", NULL };
	double scale = -1;
	__u64 config = 0, value;
	int i, ret;

	for (i = 1; i < 3; i++) {
		nl = strchr(part[i - 1], '\n');
		if (!nl)
			break;
		*nl = '\0';
		part[i] = nl + 1;
	}
	/* The whole input as one scale file too (it may end in a newline). */
	if (perf_parse_scale(s, &scale) == 0)
		FUZZ_ASSERT(isfinite(scale) && scale > 0);
	if (perf_parse_scale(part[0], &scale) == 0)
		FUZZ_ASSERT(isfinite(scale) && scale > 0);

	value = size ? data[0] * 0x0101010101010101ULL >> (data[size - 1] % 64) : 0;
	ret = perf_format_place(part[1], value, &config);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);

	specs[2] = part[1];
	config = 0;
	ret = perf_parse_event(part[2], names, specs, 3, &config);
	FUZZ_ASSERT(ret <= 0);
	ret = perf_parse_event(s, names, specs, 2, &config);
	FUZZ_ASSERT(ret <= 0);
	free(s);
	return 0;
}
