// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Regression inputs for the parsers of outside input (fuzz/): every input a
 * fuzzer crashed on, minimised, plus the edge cases the fuzzers are seeded
 * with. Each is given to its parser in a heap buffer of exactly its length
 * (no NUL after it), so `make test-asan` catches a read past the end.
 *
 * To add a crash found by `make fuzz`: minimise it
 *   build/fuzz/fuzz_NAME -minimize_crash=1 -runs=100000 build/fuzz/crashes/NAME-crash-...
 * and add the bytes below with the result the fixed parser returns.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "baseline.h"
#include "config.h"
#include "csv.h"
#include "energy.h"
#include "options.h"
#include "procfs.h"
#include "topology.h"

struct input {
	const char *data;
	size_t len; /* 0: strlen(data) */
	int want; /* the parser's return value */
};

#define IN(s, w)                    \
	{                           \
		s, sizeof(s) - 1, w \
	}

/* An exact-size copy: nothing readable after the last byte. */
static char *exact(const struct input *in)
{
	size_t len = in->len ? in->len : strlen(in->data);
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, in->data, len);
	return p;
}

static size_t in_len(const struct input *in)
{
	return in->len ? in->len : strlen(in->data);
}

/* A NUL-terminated copy for the parsers that take C strings. */
static char *cstr(const struct input *in)
{
	size_t len = in_len(in);
	char *p = malloc(len + 1);

	assert_non_null(p);
	memcpy(p, in->data, len);
	p[len] = '\0';
	return p;
}

static void test_proc_stat(void **state)
{
	static const struct input cases[] = {
		/* comm holding ") (" and a newline: the last ')' ends it */
		IN("42 (a) (b\n) R 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0 0 0 0 0 0 0 0 0 "
		   "0 0 0 0 0 17 1\n",
		   0),
		/* cut right after the comm, inside the fields, before processor */
		IN("42 (a)", -EINVAL),
		IN("42 (a) R 1 42 42 0 -1 0 0 0 0 0 7 3", -EINVAL),
		IN("42 (a) R 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0 0 0 0 0 0 0 0 0 0 0 0 "
		   "0 0 17",
		   -EINVAL),
		/* no ')' at all, or only '(' */
		IN("42 (never closed R 1", -EINVAL),
		IN("(", -EINVAL),
		IN("", -EINVAL),
		/* a 200-byte comm is truncated, not overflowed */
		IN("1 (xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx) S 0 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 "
		   "5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0\n",
		   0),
		/* numbers that overflow */
		IN("99999999999999999999999 (a) R 1 1 1 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0 0 0 "
		   "0 0 0 0 0 0 0 0 0 0 0 17 1\n",
		   -EINVAL),
	};
	struct proc_stat st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = exact(&cases[i]);
		int ret = parse_proc_stat(p, in_len(&cases[i]), &st);

		if (ret != cases[i].want)
			fail_msg("stat case %zu: %d, want %d", i, ret, cases[i].want);
		if (!ret)
			assert_non_null(memchr(st.comm, '\0', sizeof(st.comm)));
		free(p);
	}
}

static void test_schedstat(void **state)
{
	static const struct input cases[] = {
		IN("1 2 3\n", 0),
		IN("18446744073709551615 0 1", 0),
		IN("18446744073709551616 0 1", -ERANGE),
		IN("1 2", -EINVAL),
		IN("", -EINVAL),
		IN("-1 2 3", -EINVAL),
	};
	unsigned long long a, b, c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = exact(&cases[i]);
		int ret = parse_schedstat(p, in_len(&cases[i]), &a, &b, &c);

		/* Any refusal is fine for the bad ones; the good ones parse. */
		if (cases[i].want ? ret == 0 : ret != 0)
			fail_msg("schedstat case %zu: %d, want %d", i, ret, cases[i].want);
		assert_true(parse_schedstat(p, in_len(&cases[i]), NULL, NULL, NULL) == ret);
		free(p);
	}
}

static void test_numa_maps(void **state)
{
	static const struct input huge = IN("7f3000000000 default anon=9 N0=18446744073709551615 "
					    "N1=4 kernelpagesize_kB=18446744073709551615\n",
					    0);
	static const struct input far = IN("7f00 default N-1=1 N63=1 N64=1 N99999999999=1 "
					   "kernelpagesize_kB=4\n",
					   0);
	static const struct input cut = IN("7f00 default anon=1 N0=", 0);
	struct numa_usage u = { 0 };
	char *p;

	(void)state;
	/* Saturates instead of wrapping, twice over. */
	p = exact(&huge);
	assert_int_equal(parse_numa_maps(p, in_len(&huge), &u), 0);
	assert_int_equal(parse_numa_maps(p, in_len(&huge), &u), 0);
	assert_true(u.bytes[0] == ULLONG_MAX);
	free(p);
	/* Nodes past ENERGAT_MAX_NODES are skipped (the N<n>= block is read from the end). */
	memset(&u, 0, sizeof(u));
	p = exact(&far);
	assert_int_equal(parse_numa_maps(p, in_len(&far), &u), 0);
	assert_true(u.bytes[63] == 4096);
	free(p);
	/* A buffer cut inside "N0=" reads nothing past its end. */
	memset(&u, 0, sizeof(u));
	p = exact(&cut);
	parse_numa_maps(p, in_len(&cut), &u);
	assert_true(u.bytes[0] == 0);
	free(p);
}

static void test_node_meminfo(void **state)
{
	static const struct input cases[] = {
		IN("Node 0 MemTotal: 8 kB\nNode 0 MemFree: 2 kB\n", 0),
		IN("Node 0 MemTotal: 8 kB\n", -EINVAL),
		/* kB * 1024 saturates */
		IN("Node 0 MemTotal: 18446744073709551615 kB\nNode 0 MemFree: 1 kB\n", 0),
		IN("Node 0 MemTotal:", -EINVAL),
		IN("", -EINVAL),
	};
	struct node_meminfo m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = exact(&cases[i]);
		int ret = parse_node_meminfo(p, in_len(&cases[i]), &m);

		if (cases[i].want ? ret == 0 : ret != 0)
			fail_msg("meminfo case %zu: %d, want %d", i, ret, cases[i].want);
		if (!ret)
			assert_true(m.used <= m.total);
		free(p);
	}
	/* MemFree above MemTotal (racy reads): used is never negative. */
	{
		static const struct input odd =
			IN("Node 0 MemFree: 9 kB\nNode 0 MemTotal: 8 kB\n", 0);
		char *p = exact(&odd);

		if (!parse_node_meminfo(p, in_len(&odd), &m))
			assert_true(m.used <= m.total);
		free(p);
	}
}

static void test_counters(void **state)
{
	static const struct input bad[] = {
		IN("", 0),	    IN("-5\n", 0),
		IN("+3\n", 0),	    IN("  7\n", 0),
		IN("0x10\n", 0),    IN("1 2\n", 0),
		IN("garbage\n", 0), IN("18446744073709551616\n", 0),
	};
	static const char *const bad_scale[] = { "", "0", "-1", "nan", "inf", "1e999", "1 2" };
	unsigned long long v;
	__u64 config;
	double d;
	size_t i;
	int an;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = cstr(&bad[i]);

		if (!energy_parse_u64(s, &v))
			fail_msg("energy_uj '%s' accepted", s);
		free(s);
	}
	assert_int_equal(energy_parse_u64("18446744073709551615\n", &v), 0);
	assert_true(v == ULLONG_MAX);
	/* Backwards with no range, or from above the range: an anomaly, no energy. */
	assert_true(energy_delta(5, 3, 0, &an) == 0 && an == 1);
	assert_true(energy_delta(ULLONG_MAX, 0, 10, &an) == 0 && an == 1);
	assert_true(energy_delta(9, 1, 10, &an) == 2 && an == 0);
	assert_int_equal(energy_implausible(NAN, 1, 100), 1);
	assert_int_equal(energy_implausible(-1, 1, 100), 1);
	for (i = 0; i < sizeof(bad_scale) / sizeof(bad_scale[0]); i++)
		if (!perf_parse_scale(bad_scale[i], &d))
			fail_msg("scale '%s' accepted", bad_scale[i]);
	assert_int_equal(perf_format_place("config:64", 1, &config), -EINVAL);
	assert_int_equal(perf_format_place("config:0-64", 1, &config), -EINVAL);
	assert_int_equal(perf_format_place("config:7-0", 1, &config), -EINVAL);
	assert_int_equal(perf_format_place("config1:0-7", 1, &config), -EINVAL);
	assert_int_equal(perf_format_place("config:", 1, &config), -EINVAL);
	assert_int_equal(perf_format_place("config:0-3", 16, &config), -ERANGE);
}

static void test_baseline(void **state)
{
	static const struct input bad[] = {
		IN("", 0),
		IN("{", 0),
		IN("{\"pkg_base_w\": [1e999], \"dram_base_w\": [1], \"pkg_base_percents\": [1], "
		   "\"dram_base_percents\": [1]}",
		   0),
		IN("{\"pkg_base_w\": [1,1,1,1,1,1,1,1,1], \"dram_base_w\": [1,1,1,1,1,1,1,1,1], "
		   "\"pkg_base_percents\": [1,1,1,1,1,1,1,1,1], "
		   "\"dram_base_percents\": [1,1,1,1,1,1,1,1,1]}",
		   0),
		IN("{\"pkg_base_w\": [1], \"dram_base_w\": [1], \"pkg_base_percents\": [1], "
		   "\"dram_base_percents\": [1]} {}",
		   0),
		IN("{\"pkg_base_w\": [1], \"dram_base_w\": [1], \"pkg_base_percents\": [1], "
		   "\"dram_base_percents\": [1], \"host\": \"a\\u0000b\"}",
		   0),
		IN("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0),
		{ "{\"pkg_base_w\": [1]\0, \"dram_base_w\": [1]}", 40, 0 },
	};
	struct baseline b;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = exact(&bad[i]);

		if (baseline_parse(p, in_len(&bad[i]), &b, err, sizeof(err)) != -EINVAL)
			fail_msg("baseline case %zu accepted", i);
		assert_null(strchr(err, '\n'));
		free(p);
	}
}

static int count_kv(void *ctx, const char *key, const char *value, int line)
{
	(void)key;
	(void)value;
	(void)line;
	++*(int *)ctx;
	return 0;
}

static void test_config(void **state)
{
	static const struct input bad[] = {
		{ "interval = 1\0", 13, 0 },	   IN("output = \"never closed\n", 0),
		IN("output = 'never closed\n", 0), IN("= 1\n", 0),
		IN("key with space = 1\n", 0),	   IN("a = b\x01\n", 0),
		IN("output = \"a\\", 0),
	};
	static const struct input good[] = {
		IN("\xef\xbb\xbf# only a comment", 0),
		IN("interval = 1\r\n", 0),
		IN("output = /tmp/a#b # comment\n", 0),
		IN("", 0),
		IN("   \n\t\n", 0),
	};
	char err[256], *long_line;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = exact(&bad[i]);

		n = 0;
		if (config_parse(p, in_len(&bad[i]), count_kv, &n, err, sizeof(err)) != -EINVAL)
			fail_msg("config case %zu accepted", i);
		assert_null(strchr(err, '\n'));
		free(p);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *p = exact(&good[i]);

		n = 0;
		if (config_parse(p, in_len(&good[i]), count_kv, &n, err, sizeof(err)))
			fail_msg("config case %zu refused: %s", i, err);
		free(p);
	}
	/* One byte over the longest line. */
	long_line = malloc(CONFIG_LINE_MAX + 16);
	assert_non_null(long_line);
	memset(long_line, 'a', CONFIG_LINE_MAX + 16);
	memcpy(long_line, "output = ", 9);
	n = 0;
	assert_int_equal(
		config_parse(long_line, CONFIG_LINE_MAX + 1, count_kv, &n, err, sizeof(err)),
		-EINVAL);
	free(long_line);
}

static void test_numbers(void **state)
{
	static const char *const bad[] = { "",	    " 1",    "1 ",   "nan",    "-nan",
					   "inf",   "1e400", "0x10", "1e",     "--1",
					   "1.2.3", "\t1",   "1,5",  "1e-400", "infinity" };
	static const char *const bad_int[] = { "",    "2147483648", "-2147483649",
					       "1.0", "1e3",	    " 1",
					       "0x1", "+",	    "99999999999999999999" };
	double d = 7;
	size_t i;
	int v = 7, ret;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = parse_double(bad[i], -1e300, 1e300, &d);
		if (!ret)
			fail_msg("parse_double('%s') accepted: %g", bad[i], d);
		assert_true(d == 7);
	}
	for (i = 0; i < sizeof(bad_int) / sizeof(bad_int[0]); i++) {
		ret = parse_int(bad_int[i], INT_MIN, INT_MAX, &v);
		if (!ret)
			fail_msg("parse_int('%s') accepted: %d", bad_int[i], v);
		assert_true(v == 7);
	}
	assert_int_equal(parse_double("-0", 0.001, 3600, &d), -ERANGE);
	assert_int_equal(parse_int("-2147483648", INT_MIN, INT_MAX, &v), 0);
	assert_true(v == INT_MIN);
}

static void test_cli(void **state)
{
	/* One argv per row, NULL-terminated, at most 5 arguments. */
	static const char *const bad[][6] = {
		{ "energat-bpf", "--pid", NULL },
		{ "energat-bpf", "--pid=", NULL },
		{ "energat-bpf", "-", NULL },
		{ "energat-bpf", "--", NULL },
		{ "energat-bpf", "=", NULL },
		{ "energat-bpf", "--=1", NULL },
		{ "energat-bpf", "top", "-n", NULL },
		{ "energat-bpf", "top", "-bn", NULL },
		{ "energat-bpf", "--prometheus", "[::1", NULL },
		{ "energat-bpf", "--prometheus", "[::1]:", NULL },
		{ "energat-bpf", "--prometheus", ":", NULL },
		{ "energat-bpf", "--pid", "1", "--interval=", NULL },
	};
	struct options o;
	char err[512];
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (argc = 0; bad[i][argc]; argc++)
			;
		options_defaults(&o);
		if (!options_parse(argc, (char **)bad[i], &o, err, sizeof(err)))
			fail_msg("argv case %zu accepted", i);
		assert_null(strchr(err, '\n'));
		options_free(&o);
	}
}

static void test_cpulist(void **state)
{
	static const char *const bad[] = {
		"5-2", "0-1024", "1024", "-1",	  "0-",
		"a",   "0,,1x",	 "0--1", "1-2-3", "99999999999999999999999"
	};
	static unsigned char set[1024 + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set[1024] = 0xaa;
		if (parse_cpulist(bad[i], set, 1024) >= 0)
			fail_msg("cpulist '%s' accepted", bad[i]);
		assert_int_equal(set[1024], 0xaa);
	}
	assert_int_equal(parse_cpulist("0-1023\n", set, 1024), 1024);
	assert_int_equal(parse_cpulist("\n", set, 1024), 0);
}

static void test_csv_quote(void **state)
{
	static const char *const in[] = { "",	"\"",  "\"\"", ",",	 "\n",
					  "\r", " a ", "a\"b", "x,y\nz", "\x01\x7f" };
	char out[64];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		n = csv_quote(in[i], out, sizeof(out));
		assert_true(n >= 0 && out[n] == '\0');
		n = csv_quote(in[i], out, 1);
		assert_true(n == -ENOSPC || (n == 0 && !in[i][0]));
		assert_int_equal(out[0], '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_stat), cmocka_unit_test(test_schedstat),
		cmocka_unit_test(test_numa_maps), cmocka_unit_test(test_node_meminfo),
		cmocka_unit_test(test_counters),  cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_config),	  cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_cli),	  cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_csv_quote),
	};

	return cmocka_run_group_tests_name("fuzz_regress", tests, NULL, NULL);
}
