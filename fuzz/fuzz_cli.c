// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line: parse_double() and parse_int() on the whole input, then
 * options_parse() on the input split at NUL bytes into arguments.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "options.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *argv[MAX_ARGS + 2], err[512];
	double d = 42.5;
	struct options o;
	int i = 42, argc = 0, ret;
	size_t off = 0;

	ret = parse_double(s, -1e300, 1e300, &d);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	if (ret == 0)
		FUZZ_ASSERT(isfinite(d) && d >= -1e300 && d <= 1e300);
	else
		FUZZ_ASSERT(d == 42.5); /* written only on success */
	ret = parse_double(s, OPT_INTERVAL_MIN, OPT_INTERVAL_MAX, &d);
	if (ret == 0)
		FUZZ_ASSERT(d >= OPT_INTERVAL_MIN && d <= OPT_INTERVAL_MAX);
	ret = parse_int(s, INT_MIN, INT_MAX, &i);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	if (ret)
		FUZZ_ASSERT(i == 42);
	ret = parse_int(s, 1, OPT_PID_MAX, &i);
	if (ret == 0)
		FUZZ_ASSERT(i >= 1 && i <= OPT_PID_MAX);

	argv[argc++] = "energat-bpf";
	while (off <= size && argc <= MAX_ARGS) {
		argv[argc++] = s + off;
		off += strlen(s + off) + 1;
	}
	argv[argc] = NULL;
	options_defaults(&o);
	memset(err, 'x', sizeof(err));
	ret = options_parse(argc, argv, &o, err, sizeof(err));
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret) {
		fuzz_check_msg(err, sizeof(err));
	} else if (!o.show_help && !o.show_version) {
		FUZZ_ASSERT(o.interval >= OPT_INTERVAL_MIN && o.interval <= OPT_INTERVAL_MAX);
		FUZZ_ASSERT(o.gamma > 0 && o.gamma <= OPT_EXPONENT_MAX);
		FUZZ_ASSERT(o.delta > 0 && o.delta <= OPT_EXPONENT_MAX);
		FUZZ_ASSERT(o.duration >= 0 && o.duration <= OPT_DURATION_MAX);
		FUZZ_ASSERT(o.mem_samples >= 1 && o.mem_samples <= OPT_MEM_SAMPLES_MAX);
		FUZZ_ASSERT(o.mode != MODE_PID || (o.pid >= 1 && o.pid <= OPT_PID_MAX));
	}
	options_free(&o);
	free(s);
	return 0;
}
