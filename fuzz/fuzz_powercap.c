// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * powercap counter values: energy_parse_u64() on energy_uj and
 * max_energy_range_uj text (three lines: prev, now, range), then the
 * wrap-around arithmetic and the plausibility check on what was read.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "energy.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *line[3] = { s, NULL, NULL }, *nl, again[32];
	unsigned long long v[3] = { 0, 0, 0 }, d, r;
	int i, an, ret;

	for (i = 1; i < 3; i++) {
		nl = line[i - 1] ? strchr(line[i - 1], '\n') : NULL;
		if (nl) {
			*nl = '\0';
			line[i] = nl + 1;
		}
	}
	for (i = 0; i < 3; i++) {
		if (!line[i])
			continue;
		r = 12345;
		ret = energy_parse_u64(line[i], &v[i]);
		FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);
		if (ret)
			continue;
		/* What it read prints back as the same number. */
		snprintf(again, sizeof(again), "%llu", v[i]);
		FUZZ_ASSERT(energy_parse_u64(again, &r) == 0 && r == v[i]);
	}
	d = energy_delta(v[0], v[1], v[2], &an);
	FUZZ_ASSERT(an == 0 || an == 1);
	if (an)
		FUZZ_ASSERT(d == 0);
	else if (v[1] < v[0])
		FUZZ_ASSERT(d <= v[2]); /* one wrap at most */
	else
		FUZZ_ASSERT(d == v[1] - v[0]);
	FUZZ_ASSERT(energy_delta(v[0], v[1], v[2], NULL) == d);
	ret = energy_implausible(d * 1e-6, (v[2] % 1000) / 100.0, (double)(v[0] % 5000));
	FUZZ_ASSERT(ret == 0 || ret == 1);
	FUZZ_ASSERT(energy_implausible(NAN, 1, 100) == 1);
	free(s);
	return 0;
}
