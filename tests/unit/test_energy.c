// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* energy.h: wrap-around, counter parsing, RAPL units, perf scale and events. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "energy.h"

#define INTEL_RANGE 262143328850ULL

static void test_delta_forward(void **state)
{
	int an = -1;

	(void)state;
	assert_int_equal(energy_delta(100, 350, INTEL_RANGE, &an), 250);
	assert_int_equal(an, 0);
	assert_int_equal(energy_delta(7, 7, INTEL_RANGE, &an), 0);
	assert_int_equal(an, 0);
	/* 64-bit counters (range 0) move forward like any other */
	assert_true(energy_delta(1, 1ULL << 40, 0, &an) == (1ULL << 40) - 1);
	assert_int_equal(an, 0);
	assert_int_equal(energy_delta(1, 2, 0, NULL), 1);
}

static void test_delta_wrap(void **state)
{
	int an = -1;

	(void)state;
	/* model.md §3: d = now - prev + range, not the range (prototype bug) */
	assert_true(energy_delta(INTEL_RANGE - 1000, 500, INTEL_RANGE, &an) == 1500);
	assert_int_equal(an, 0);
	/* wrapped to exactly 0 */
	assert_int_equal(energy_delta(999990, 0, 1000000, &an), 10);
	assert_int_equal(an, 0);
	/* prev == range is still inside: the kernel can report the full range */
	assert_int_equal(energy_delta(1000000, 3, 1000000, &an), 3);
	assert_int_equal(an, 0);
	/* MSR counts, 2^32 */
	assert_true(energy_delta(0xffffff00ULL, 0x100, 1ULL << 32, &an) == 0x200);
	assert_int_equal(an, 0);
}

static void test_delta_anomaly(void **state)
{
	int an = 0;

	(void)state;
	/* a non-wrapping counter went backwards */
	assert_int_equal(energy_delta(500, 499, 0, &an), 0);
	assert_int_equal(an, 1);
	/* backwards by more than the range: no single wrap explains it */
	an = 0;
	assert_int_equal(energy_delta(5000000, 10, 1000000, &an), 0);
	assert_int_equal(an, 1);
	/* NULL anomaly pointer is fine */
	assert_int_equal(energy_delta(10, 5, 0, NULL), 0);
}

static void test_parse_u64(void **state)
{
	unsigned long long v = 42;

	(void)state;
	assert_int_equal(energy_parse_u64("123456789\n", &v), 0);
	assert_true(v == 123456789ULL);
	assert_int_equal(energy_parse_u64("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(energy_parse_u64("18446744073709551615\n", &v), 0);
	assert_true(v == ~0ULL);
	v = 7;
	assert_int_equal(energy_parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(energy_parse_u64("", &v), -EINVAL);
	assert_int_equal(energy_parse_u64("\n", &v), -EINVAL);
	assert_int_equal(energy_parse_u64("-1", &v), -EINVAL);
	assert_int_equal(energy_parse_u64("+1", &v), -EINVAL);
	assert_int_equal(energy_parse_u64(" 12", &v), -EINVAL);
	assert_int_equal(energy_parse_u64("12abc", &v), -EINVAL);
	assert_int_equal(energy_parse_u64("1 2", &v), -EINVAL);
	assert_int_equal(energy_parse_u64("0x10", &v), -EINVAL);
	assert_int_equal(energy_parse_u64(NULL, &v), -EINVAL);
	assert_true(v == 7); /* untouched on error */
}

static void test_implausible(void **state)
{
	(void)state;
	assert_false(energy_implausible(150.0, 1.0, 2000));
	assert_false(energy_implausible(2000.0, 1.0, 2000));
	assert_true(energy_implausible(2000.5, 1.0, 2000));
	/* short intervals are judged over ENERGY_MIN_CHECK_SEC */
	assert_false(energy_implausible(19.0, 1e-6, 2000));
	assert_true(energy_implausible(21.0, 1e-6, 2000));
	assert_true(energy_implausible(21.0, NAN, 2000));
	assert_true(energy_implausible(-0.1, 1.0, 2000));
	assert_true(energy_implausible(NAN, 1.0, 2000));
	/* check off */
	assert_false(energy_implausible(1e9, 1.0, 0));
	assert_false(energy_implausible(1e9, 1.0, -1));
}

static void test_rapl_units(void **state)
{
	(void)state;
	/* typical Intel MSR_RAPL_POWER_UNIT: ESU 14 -> 61.035 uJ */
	assert_true(rapl_energy_unit_j(0xa0e03) == 1.0 / 16384);
	/* typical AMD 0xC0010299: ESU 16 -> 15.26 uJ */
	assert_true(rapl_energy_unit_j(0xa1003) == 1.0 / 65536);
	/* only bits 12:8 count */
	assert_true(rapl_energy_unit_j(0xffffffff00000000ULL | 0x0300) == 1.0 / 8);
	assert_true(rapl_energy_unit_j(0) == 1.0);
	assert_true(rapl_energy_unit_j(0x1f00) == ldexp(1.0, -31));

	assert_true(rapl_intel_dram_fixed_unit(6, 0x55)); /* Skylake-X */
	assert_true(rapl_intel_dram_fixed_unit(6, 0x3f)); /* Haswell-X */
	assert_true(rapl_intel_dram_fixed_unit(6, 0x8f)); /* Sapphire Rapids */
	assert_false(rapl_intel_dram_fixed_unit(6, 0x9e)); /* Kaby Lake client */
	assert_false(rapl_intel_dram_fixed_unit(25, 0x55)); /* not family 6 */
	assert_true(rapl_intel_psys_fixed_unit(6, 0xcf));
	assert_false(rapl_intel_psys_fixed_unit(6, 0x55));
}

static void test_perf_scale(void **state)
{
	double v = 0;

	(void)state;
	assert_int_equal(perf_parse_scale("2.3283064365386962890625e-10\n", &v), 0);
	assert_true(v == ldexp(1.0, -32));
	assert_int_equal(perf_parse_scale("1.52587890625e-05", &v), 0);
	assert_true(v == ldexp(1.0, -16));
	v = 3;
	assert_int_equal(perf_parse_scale("0", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("-1e-10", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("Joules", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("1e-10 J", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("inf", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("nan", &v), -EINVAL);
	assert_int_equal(perf_parse_scale("1e999", &v), -EINVAL);
	assert_true(v == 3);
}

static void test_perf_format(void **state)
{
	__u64 cfg;

	(void)state;
	cfg = 0;
	assert_int_equal(perf_format_place("config:0-7\n", 2, &cfg), 0);
	assert_true(cfg == 2);
	cfg = 0xff00;
	assert_int_equal(perf_format_place("config:8-15", 0x12, &cfg), 0);
	assert_true(cfg == 0x1200);
	cfg = 0;
	assert_int_equal(perf_format_place("config:0-3,8-11", 0xab, &cfg), 0);
	assert_true(cfg == 0xa0b);
	cfg = 0;
	assert_int_equal(perf_format_place("config:63", 1, &cfg), 0);
	assert_true(cfg == 1ULL << 63);
	cfg = 5;
	assert_int_equal(perf_format_place("config:0-7", 0x100, &cfg), -ERANGE);
	assert_int_equal(perf_format_place("config1:0-7", 1, &cfg), -EINVAL);
	assert_int_equal(perf_format_place("config:7-3", 1, &cfg), -EINVAL);
	assert_int_equal(perf_format_place("config:64", 1, &cfg), -EINVAL);
	assert_int_equal(perf_format_place("config:", 1, &cfg), -EINVAL);
	assert_int_equal(perf_format_place("config:0-7x", 1, &cfg), -EINVAL);
	assert_true(cfg == 5);
}

static void test_perf_event(void **state)
{
	const char *names[] = { "event", "umask" };
	const char *specs[] = { "config:0-7\n", "config:8-15\n" };
	__u64 cfg = 0;

	(void)state;
	assert_int_equal(perf_parse_event("event=0x02\n", names, specs, 2, &cfg), 0);
	assert_true(cfg == 0x02);
	assert_int_equal(perf_parse_event("event=0x03,umask=0x1", names, specs, 2, &cfg), 0);
	assert_true(cfg == 0x103);
	assert_int_equal(perf_parse_event("event=9", names, specs, 2, &cfg), 0);
	assert_true(cfg == 9);
	/* a bare term means 1 */
	assert_int_equal(perf_parse_event("umask", names, specs, 2, &cfg), 0);
	assert_true(cfg == 0x100);
	cfg = 77;
	assert_int_equal(perf_parse_event("event=0x02,foo=1", names, specs, 2, &cfg), -ENOENT);
	assert_int_equal(perf_parse_event("event=", names, specs, 2, &cfg), -EINVAL);
	assert_int_equal(perf_parse_event("event=-1", names, specs, 2, &cfg), -EINVAL);
	assert_int_equal(perf_parse_event("event=0x2z", names, specs, 2, &cfg), -EINVAL);
	assert_int_equal(perf_parse_event("", names, specs, 2, &cfg), -EINVAL);
	assert_int_equal(perf_parse_event("=3", names, specs, 2, &cfg), -EINVAL);
	assert_int_equal(perf_parse_event("event=0x1ff", names, specs, 2, &cfg), -ERANGE);
	assert_int_equal(perf_parse_event("event=2", names, specs, 0, &cfg), -ENOENT);
	assert_true(cfg == 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_forward), cmocka_unit_test(test_delta_wrap),
		cmocka_unit_test(test_delta_anomaly), cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_implausible),   cmocka_unit_test(test_rapl_units),
		cmocka_unit_test(test_perf_scale),    cmocka_unit_test(test_perf_format),
		cmocka_unit_test(test_perf_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
