// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Baseline power files: baseline_parse(). What parses passes
 * baseline_check(), formats, and parses back to the same values.
 */
#include <stddef.h>
#include <stdint.h>
#include "baseline.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1 << 16];
	struct baseline b, c;
	char err[256];
	int i, n;

	memset(err, 'x', sizeof(err));
	if (baseline_parse((const char *)data, size, &b, err, sizeof(err))) {
		fuzz_check_msg(err, sizeof(err));
		return 0;
	}
	FUZZ_ASSERT(baseline_check(&b, err, sizeof(err)) == 0);
	n = baseline_format(&b, buf, sizeof(buf));
	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(buf));
	FUZZ_ASSERT(baseline_parse(buf, n, &c, err, sizeof(err)) == 0);
	FUZZ_ASSERT(c.nr_sockets == b.nr_sockets);
	for (i = 0; i < b.nr_sockets; i++) {
		FUZZ_ASSERT(c.pkg_base_w[i] == b.pkg_base_w[i]);
		FUZZ_ASSERT(c.dram_base_w[i] == b.dram_base_w[i]);
		FUZZ_ASSERT(c.pkg_base_percent[i] == b.pkg_base_percent[i]);
		FUZZ_ASSERT(c.dram_base_percent[i] == b.dram_base_percent[i]);
	}
	FUZZ_ASSERT(c.period_sec == b.period_sec && c.timestamp == b.timestamp);
	FUZZ_ASSERT(!strcmp(c.meter, b.meter) && !strcmp(c.host, b.host));
	return 0;
}
