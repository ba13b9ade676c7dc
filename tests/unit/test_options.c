// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for command-line and config-file options (user/options.c, help.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"

#define MAX_ARGS 16

static struct options o;
static char err[512];

/* Parse args (NULL-terminated, without argv[0]) into the global o. */
static int parse_list(const char *const *args)
{
	static char *argv[MAX_ARGS + 2];
	int argc = 0;

	argv[argc++] = "energat-bpf";
	while (*args) {
		assert_true(argc <= MAX_ARGS);
		argv[argc++] = (char *)*args++;
	}
	argv[argc] = NULL;
	options_free(&o);
	options_defaults(&o);
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return options_parse(argc, argv, &o, err, sizeof(err));
}

#define PARSE(...) parse_list((const char *const[]){ __VA_ARGS__, NULL })

/* A failed parse must say why, naming what was wrong. */
#define ASSERT_FAILS_WITH(want, ...)                                                \
	do {                                                                        \
		int rc_ = PARSE(__VA_ARGS__);                                       \
		if (rc_ != -EINVAL || !strstr(err, (want)))                         \
			fail_msg("rc %d, err '%s', wanted '%s'", rc_, err, (want)); \
		assert_null(strchr(err, '\n'));                                     \
	} while (0)

static int teardown(void **state)
{
	(void)state;
	options_free(&o);
	return 0;
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--check"), 0);
	assert_string_equal(o.output_dir, "./energat-results");
	assert_string_equal(o.basefile, "/var/lib/energat/baseline_power.json");
	assert_string_equal(o.sysfs_root, "/sys");
	assert_string_equal(o.procfs_root, "/proc");
	assert_null(o.meter);
	assert_null(o.btf_path);
	assert_null(o.name);
	assert_null(o.cmd);
	assert_true(o.interval == 1.0);
	assert_true(o.base_period == 10.0);
	assert_true(o.duration == 0.0);
	assert_true(o.gamma == 0.3);
	assert_true(o.delta == 0.2);
	assert_int_equal(o.mem_samples, 1);
	assert_int_equal(o.threads_csv, 1);
	assert_int_equal(o.prom_port, 0);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(o.no_baseline, 0);
	assert_true(o.set_mask == 1ULL << OPT_F_CHECK);
	assert_string_equal(err, "");
}

struct mode_case {
	const char *args[8];
	enum mode mode;
	int pid;
	int port;
};

static void test_every_mode(void **state)
{
	static const struct mode_case cases[] = {
		{ { "--pid", "1234" }, MODE_PID, 1234, 0 },
		{ { "--", "ls" }, MODE_CMD, 0, 0 },
		{ { "--check" }, MODE_CHECK, 0, 0 },
		{ { "--basepower" }, MODE_BASEPOWER, 0, 0 },
		{ { "top" }, MODE_TOP, 0, 0 },
		{ { "--prometheus", "9100" }, MODE_EXPORTER, 0, 9100 },
		{ { "--pid", "7", "--prometheus", "9100" }, MODE_PID, 7, 9100 },
		{ { "--prometheus", "9100", "top" }, MODE_TOP, 0, 9100 },
		{ { "--prometheus", "9100", "--", "ls" }, MODE_CMD, 0, 9100 },
		{ { "--check", "--check" }, MODE_CHECK, 0, 0 },
		{ { "--pid", "1", "--pid", "2" }, MODE_PID, 2, 0 }, /* last one wins */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_list(cases[i].args);

		if (rc || o.mode != cases[i].mode || o.pid != cases[i].pid ||
		    o.prom_port != cases[i].port)
			fail_msg("case %zu: rc %d mode %d pid %d port %d err '%s'", i, rc, o.mode,
				 o.pid, o.prom_port, err);
	}
}

static void test_prototype_spellings(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-pid", "1234"), 0);
	assert_int_equal(o.mode, MODE_PID);
	assert_int_equal(o.pid, 1234);

	assert_int_equal(PARSE("-check"), 0);
	assert_int_equal(o.mode, MODE_CHECK);

	assert_int_equal(PARSE("-basepower", "-basefile", "/tmp/b.json", "-base-period", "3"), 0);
	assert_int_equal(o.mode, MODE_BASEPOWER);
	assert_string_equal(o.basefile, "/tmp/b.json");
	assert_true(o.base_period == 3.0);

	assert_int_equal(PARSE("-name", "job", "-output", "/tmp/out", "-interval", "2", "-duration",
			       "30", "-gamma", "1", "-delta", "0.5", "-pid", "9"),
			 0);
	assert_string_equal(o.name, "job");
	assert_string_equal(o.output_dir, "/tmp/out");
	assert_true(o.interval == 2.0);
	assert_true(o.duration == 30.0);
	assert_true(o.gamma == 1.0);
	assert_true(o.delta == 0.5);
	assert_int_equal(o.pid, 9);

	assert_int_equal(PARSE("-pid=5", "-no-baseline", "-meter", "model", "-sysfs-root", "/f",
			       "-procfs-root", "/p", "-mem-samples", "4", "-no-threads"),
			 0);
	assert_int_equal(o.pid, 5);
	assert_int_equal(o.no_baseline, 1);
	assert_string_equal(o.meter, "model");
	assert_string_equal(o.sysfs_root, "/f");
	assert_string_equal(o.procfs_root, "/p");
	assert_int_equal(o.mem_samples, 4);
	assert_int_equal(o.threads_csv, 0);

	assert_int_equal(PARSE("-help"), 0);
	assert_int_equal(o.show_help, 1);
	assert_int_equal(PARSE("-version"), 0);
	assert_int_equal(o.show_version, 1);
}

static void test_equals_form(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--pid=1234"), 0);
	assert_int_equal(o.pid, 1234);

	assert_int_equal(PARSE("--interval=2.5", "--output=/tmp/a=b", "--check"), 0);
	assert_true(o.interval == 2.5);
	assert_string_equal(o.output_dir, "/tmp/a=b"); /* only the first '=' splits */

	/* = lets a value start with '-', which a separate argument may not. */
	assert_int_equal(PARSE("--output=-odd", "--name=-x", "--pid", "3"), 0);
	assert_string_equal(o.output_dir, "-odd");
	assert_string_equal(o.name, "-x");

	assert_int_equal(PARSE("--model-pkg-idle-w=10", "--model-pkg-max-w=95.5",
			       "--model-dram-idle-w=2", "--model-dram-max-w=8", "--btf=/b",
			       "--check"),
			 0);
	assert_true(o.model_pkg_idle_w == 10.0);
	assert_true(o.model_pkg_max_w == 95.5);
	assert_true(o.model_dram_idle_w == 2.0);
	assert_true(o.model_dram_max_w == 8.0);
	assert_string_equal(o.btf_path, "/b");
}

static void test_verbose_counting(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-vvv", "--check"), 0);
	assert_int_equal(o.verbose, 3);
	assert_int_equal(PARSE("-v", "-v", "--check"), 0);
	assert_int_equal(o.verbose, 2);
	assert_int_equal(PARSE("-vv", "--check", "-v", "--verbose", "-verbose"), 0);
	assert_int_equal(o.verbose, 5);
	assert_true(OPT_IS_SET(&o, OPT_F_VERBOSE));
	assert_int_equal(PARSE("--check"), 0);
	assert_int_equal(o.verbose, 0);
	assert_false(OPT_IS_SET(&o, OPT_F_VERBOSE));
	ASSERT_FAILS_WITH("takes no value", "--verbose=2", "--check");
}

struct num_case {
	const char *pre; /* NULL, or an argument that makes a valid mode */
	const char *opt;
	const char *bad[6]; /* beyond the common bad values */
};

/* Values no numeric option accepts. */
static const char *const common_bad[] = {
	"-1",  "nan", "NaN", "inf",  "-inf", "infinity", "1e400", "-1e400", "1x", "",
	"abc", " 1",  "1 ",  "0x10", "1,5",  "--",	 "+",	  ".",	    "1e", "e5",
};

static const struct num_case num_cases[] = {
	{ NULL, "--pid", { "0", "4194305", "99999999999999999999", "1.5", "1e3" } },
	{ "--check", "--interval", { "0", "3601", "0.0001", "1e-400", "-0" } },
	{ "--check", "--base-period", { "0", "86401", "0.01" } },
	{ "--check", "--duration", { "31536001", "-0.5" } },
	{ "--check", "--gamma", { "0", "-0", "4.01", "1e-400" } },
	{ "--check", "--delta", { "0", "5" } },
	{ "--check", "--mem-samples", { "0", "1001", "1.5" } },
	{ "--check", "--model-pkg-idle-w", { "10001" } },
	{ "--check", "--model-pkg-max-w", { "1e5" } },
	{ "--check", "--model-dram-idle-w", { "-0.1" } },
	{ "--check", "--model-dram-max-w", { "20000" } },
	{ "top", "-n", { "0", "1000000001", "2.5" } },
	{ "top", "-d", { "0", "3601" } },
	{ "--check", "-interval", { "0" } },
};

/* Parse pre opt val (or pre opt=val) and expect a message naming opt. */
static void expect_bad_number(const char *pre, const char *opt, const char *val, int joined)
{
	const char *args[5];
	char joined_arg[128];
	int n = 0, rc;

	if (pre)
		args[n++] = pre;
	if (joined) {
		snprintf(joined_arg, sizeof(joined_arg), "%s=%s", opt, val);
		args[n++] = joined_arg;
	} else {
		args[n++] = opt;
		args[n++] = val;
	}
	args[n] = NULL;
	rc = parse_list(args);
	if (rc != -EINVAL || !strstr(err, opt) || strchr(err, '\n'))
		fail_msg("'%s %s%s%s' gave rc %d, err '%s'", pre ? pre : "", opt,
			 joined ? "=" : " ", val, rc, err);
}

static void test_bad_numbers(void **state)
{
	size_t i, j, checked = 0;

	(void)state;
	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const struct num_case *c = &num_cases[i];

		for (j = 0; j < sizeof(common_bad) / sizeof(common_bad[0]); j++) {
			expect_bad_number(c->pre, c->opt, common_bad[j], 0);
			expect_bad_number(c->pre, c->opt, common_bad[j], 1);
			checked += 2;
		}
		for (j = 0; j < 6 && c->bad[j]; j++) {
			expect_bad_number(c->pre, c->opt, c->bad[j], 0);
			expect_bad_number(c->pre, c->opt, c->bad[j], 1);
			checked += 2;
		}
	}
	assert_true(checked > 500);
}

static void test_bad_number_message(void **state)
{
	(void)state;
	ASSERT_FAILS_WITH(
		"invalid --interval '0': must be a number of seconds >= 0.001 and <= 3600",
		"--interval", "0", "--check");
	ASSERT_FAILS_WITH("invalid --pid '4194305': must be a process ID >= 1 and <= 4194304",
			  "--pid", "4194305");
	ASSERT_FAILS_WITH("invalid --gamma '0': must be a number > 0 and <= 4", "--gamma", "0",
			  "--check");
	ASSERT_FAILS_WITH("invalid -pid 'x'", "-pid", "x");
	ASSERT_FAILS_WITH("invalid -d '0'", "top", "-d0");
}

struct good_num {
	const char *opt, *val;
	size_t off;
	int is_int;
	double want;
};

#define OFF(f) offsetof(struct options, f)

static void test_good_numbers(void **state)
{
	static const struct good_num cases[] = {
		{ "--pid", "1", OFF(pid), 1, 1 },
		{ "--pid", "4194304", OFF(pid), 1, 4194304 },
		{ "--pid", "+12", OFF(pid), 1, 12 },
		{ "--pid", "010", OFF(pid), 1, 10 }, /* decimal, not octal */
		{ "--interval", "0.001", OFF(interval), 0, 0.001 },
		{ "--interval", "3600", OFF(interval), 0, 3600 },
		{ "--interval", "5e-1", OFF(interval), 0, 0.5 },
		{ "--interval", ".25", OFF(interval), 0, 0.25 },
		{ "--duration", "0", OFF(duration), 0, 0 },
		{ "--duration", "31536000", OFF(duration), 0, 31536000 },
		{ "--gamma", "4", OFF(gamma), 0, 4 },
		{ "--gamma", "1e-3", OFF(gamma), 0, 0.001 },
		{ "--delta", "1", OFF(delta), 0, 1 },
		{ "--mem-samples", "1000", OFF(mem_samples), 1, 1000 },
		{ "--base-period", "0.1", OFF(base_period), 0, 0.1 },
		{ "--model-pkg-max-w", "0", OFF(model_pkg_max_w), 0, 0 },
		{ "--model-dram-max-w", "10000", OFF(model_dram_max_w), 0, 10000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *pre = strcmp(cases[i].opt, "--pid") ? "--check" : "-v";
		const char *args[] = { cases[i].opt, cases[i].val, pre, NULL };
		double got;
		int rc = parse_list(args);

		got = cases[i].is_int ? *(int *)((char *)&o + cases[i].off) :
					*(double *)((char *)&o + cases[i].off);
		if (rc || got != cases[i].want)
			fail_msg("%s %s: rc %d got %g err '%s'", cases[i].opt, cases[i].val, rc,
				 got, err);
	}
}

static void test_parse_helpers(void **state)
{
	double d = -7;
	int i = -7;

	(void)state;
	assert_int_equal(parse_double("2.5", 0, 10, &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(parse_double("11", 0, 10, &d), -ERANGE);
	assert_int_equal(parse_double("1e400", 0, 1e308, &d), -ERANGE);
	assert_int_equal(parse_double("1e-400", 0, 1, &d), -ERANGE);
	assert_int_equal(parse_double("nan", 0, 10, &d), -EINVAL);
	assert_int_equal(parse_double("inf", 0, 10, &d), -EINVAL);
	assert_int_equal(parse_double("0x1p3", 0, 10, &d), -EINVAL);
	assert_int_equal(parse_double("", 0, 10, &d), -EINVAL);
	assert_int_equal(parse_double(NULL, 0, 10, &d), -EINVAL);
	assert_int_equal(parse_double("3 ", 0, 10, &d), -EINVAL);
	assert_true(d == 2.5); /* untouched on failure */

	assert_int_equal(parse_int("42", 0, 100, &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(parse_int("-5", -10, 10, &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(parse_int("101", 0, 100, &i), -ERANGE);
	assert_int_equal(parse_int("99999999999999999999", 0, 100, &i), -ERANGE);
	assert_int_equal(parse_int("4x", 0, 100, &i), -EINVAL);
	assert_int_equal(parse_int(" 4", 0, 100, &i), -EINVAL);
	assert_int_equal(parse_int("4.0", 0, 100, &i), -EINVAL);
	assert_int_equal(parse_int("-", 0, 100, &i), -EINVAL);
	assert_int_equal(parse_int("", 0, 100, &i), -EINVAL);
	assert_int_equal(i, -5);
}

static void test_unknown_option(void **state)
{
	(void)state;
	ASSERT_FAILS_WITH("unknown option '--frobnicate' (see --help)", "--frobnicate", "--check");
	ASSERT_FAILS_WITH("unknown option '--frobnicate'", "--check", "--frobnicate=3");
	ASSERT_FAILS_WITH("did you mean --interval?", "--intervl", "2", "--check");
	ASSERT_FAILS_WITH("did you mean --basepower?", "-basepowr");
	ASSERT_FAILS_WITH("unknown option '-x'", "-x", "--check");
	ASSERT_FAILS_WITH("unknown option '-vx'", "-vx", "--check");
	ASSERT_FAILS_WITH("unknown option '--v'", "--v", "--check");
	ASSERT_FAILS_WITH("unknown option '---pid'", "---pid", "1");
}

static void test_missing_value(void **state)
{
	(void)state;
	ASSERT_FAILS_WITH("option '--pid' needs a value", "--pid");
	ASSERT_FAILS_WITH("option '--interval' needs a value", "--check", "--interval");
	ASSERT_FAILS_WITH("option '-pid' needs a value", "-pid");
	ASSERT_FAILS_WITH(
		"option '--output' needs a value (for one starting with '-', write --output=VALUE)",
		"--output", "--check");
	ASSERT_FAILS_WITH("option '--output' needs a value", "--output", "-check");
	ASSERT_FAILS_WITH("option '--name' needs a value", "--name", "--", "ls");
	ASSERT_FAILS_WITH("option '--prometheus' needs a value", "--prometheus");
	ASSERT_FAILS_WITH("option '-n' needs a value", "top", "-n");
	ASSERT_FAILS_WITH("option '-d' needs a value", "top", "-bd");
	ASSERT_FAILS_WITH("--output needs a non-empty value", "--output=", "--check");
	ASSERT_FAILS_WITH("--basefile needs a non-empty value", "--basefile", "", "--check");
}

static void test_conflicting_modes(void **state)
{
	(void)state;
	ASSERT_FAILS_WITH("--pid and -- CMD cannot be combined", "--pid", "1", "--", "ls");
	ASSERT_FAILS_WITH("--check and --basepower cannot be combined", "--check", "--basepower");
	ASSERT_FAILS_WITH("--basepower and --check cannot be combined", "-basepower", "-check");
	ASSERT_FAILS_WITH("top and --pid cannot be combined", "top", "--pid", "1");
	ASSERT_FAILS_WITH("--pid and top cannot be combined", "--pid", "1", "top");
	ASSERT_FAILS_WITH("top and -- CMD cannot be combined", "top", "--", "ls");
	ASSERT_FAILS_WITH("--check and top cannot be combined", "--check", "top");
	ASSERT_FAILS_WITH("--check and --pid cannot be combined", "--check", "--pid", "3");
	ASSERT_FAILS_WITH("--prometheus and --check cannot be combined", "--check", "--prometheus",
			  "9100");
	ASSERT_FAILS_WITH("--prometheus and --basepower cannot be combined", "--prometheus", "9100",
			  "--basepower");
}

static void test_no_mode(void **state)
{
	static const char *const want =
		"nothing to do: give --pid PID, -- CMD, top, --check or --basepower (see --help)";

	(void)state;
	assert_int_equal(parse_list((const char *const[]){ NULL }), -EINVAL);
	assert_string_equal(err, want);
	ASSERT_FAILS_WITH(want, "--interval", "2");
	ASSERT_FAILS_WITH(want, "-v");
	ASSERT_FAILS_WITH(want, "--no-baseline", "--output", "/tmp/x");
}

static void test_cmd_keeps_args(void **state)
{
	char *argv[] = {
		"energat-bpf", "--no-baseline", "--", "sh", "-c", "x", "--pid", "3", NULL
	};

	(void)state;
	options_free(&o);
	options_defaults(&o);
	assert_int_equal(options_parse(8, argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, MODE_CMD);
	assert_int_equal(o.pid, 0); /* --pid 3 belongs to sh */
	assert_int_equal(o.no_baseline, 1);
	assert_ptr_equal(o.cmd, argv + 3);
	assert_string_equal(o.cmd[0], "sh");
	assert_string_equal(o.cmd[1], "-c");
	assert_string_equal(o.cmd[2], "x");
	assert_string_equal(o.cmd[3], "--pid");
	assert_string_equal(o.cmd[4], "3");
	assert_null(o.cmd[5]);
	assert_string_equal(argv[1], "--no-baseline"); /* argv untouched */

	/* Words that are our own syntax are the command's after "--". */
	assert_int_equal(PARSE("--", "top", "-n", "1"), 0);
	assert_int_equal(o.mode, MODE_CMD);
	assert_string_equal(o.cmd[0], "top");
	assert_int_equal(o.top_count, 0);
	assert_int_equal(PARSE("-v", "--", "--help", "--"), 0);
	assert_int_equal(o.show_help, 0);
	assert_int_equal(o.verbose, 1);
	assert_string_equal(o.cmd[0], "--help");
	assert_string_equal(o.cmd[1], "--");
	assert_int_equal(PARSE("--name", "run1", "--user", "nobody", "--", "ls"), 0);
	assert_string_equal(o.name, "run1");
	assert_string_equal(o.user, "nobody");
	assert_int_equal(o.threads_csv, 1);

	ASSERT_FAILS_WITH("missing command after '--'", "--no-baseline", "--");
	ASSERT_FAILS_WITH("unexpected argument 'ls': to launch a command, put it after '--'",
			  "--no-baseline", "ls", "-l");
	ASSERT_FAILS_WITH("unexpected argument '-'", "-", "--check");
}

static void test_top_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE("top"), 0);
	assert_int_equal(o.top_batch, 0);
	assert_int_equal(o.top_count, 0);
	assert_int_equal(o.top_json, 0);

	assert_int_equal(PARSE("top", "-b", "-n", "3", "-d", "0.5"), 0);
	assert_int_equal(o.mode, MODE_TOP);
	assert_int_equal(o.top_batch, 1);
	assert_int_equal(o.top_count, 3);
	assert_true(o.interval == 0.5);
	assert_true(OPT_IS_SET(&o, OPT_F_INTERVAL)); /* -d and --interval share a setting */

	assert_int_equal(PARSE("-v", "top", "-bn", "5", "-d=2", "--json"), 0);
	assert_int_equal(o.top_batch, 1);
	assert_int_equal(o.top_count, 5);
	assert_true(o.interval == 2.0);
	assert_int_equal(o.top_json, 1);
	assert_int_equal(o.verbose, 1);

	assert_int_equal(PARSE("top", "-n5", "-json", "--interval", "3", "-vv"), 0);
	assert_int_equal(o.top_count, 5);
	assert_int_equal(o.top_json, 1);
	assert_int_equal(o.top_batch, 1); /* --json implies -b */
	assert_true(o.interval == 3.0);
	assert_int_equal(o.verbose, 2);

	ASSERT_FAILS_WITH("option '-n' is only valid after 'top'", "-n", "3", "top");
	ASSERT_FAILS_WITH("option '-b' is only valid after 'top'", "--check", "-b");
	ASSERT_FAILS_WITH("option '--json' is only valid after 'top'", "--json", "--pid", "1");
	ASSERT_FAILS_WITH("option '-d' is only valid after 'top'", "-d", "1", "--check");
	ASSERT_FAILS_WITH("unexpected argument 'top'", "top", "top");
	ASSERT_FAILS_WITH("unexpected argument 'extra'", "top", "extra");
	ASSERT_FAILS_WITH("option '-b' takes no value", "top", "-b=1");
}

struct prom_case {
	const char *arg;
	const char *addr;
	int port;
};

static void test_prometheus(void **state)
{
	static const struct prom_case good[] = {
		{ "9100", "127.0.0.1", 9100 },
		{ "127.0.0.1:9100", "127.0.0.1", 9100 },
		{ "[::1]:9100", "::1", 9100 },
		{ "0.0.0.0:9100", "0.0.0.0", 9100 },
		{ "[::]:1", "::", 1 },
		{ "localhost:65535", "localhost", 65535 },
		{ "[fe80::1:2]:8080", "fe80::1:2", 8080 },
		{ "10.1.2.3:80", "10.1.2.3", 80 },
	};
	static const char *const bad[] = {
		"70000",
		"65536",
		"0",
		"-1",
		"host:",
		":",
		":9100",
		"",
		"9100x",
		"x",
		"::1:9100",
		"[::1]",
		"[::1]9100",
		"[::1]:",
		"1.2.3:9100",
		"256.0.0.1:9100",
		"[127.0.0.1]:9100",
		"example.com:9100",
		"[::1:9100",
		"[]:9100",
		"localhost",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *args[] = { "--prometheus", good[i].arg, NULL };
		int rc = parse_list(args);

		if (rc || strcmp(o.prom_addr, good[i].addr) || o.prom_port != good[i].port ||
		    o.mode != MODE_EXPORTER)
			fail_msg("'%s': rc %d addr %s port %d err '%s'", good[i].arg, rc,
				 o.prom_addr, o.prom_port, err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char joined[64];
		const char *args[] = { "--prometheus", bad[i], NULL };
		const char *args2[] = { joined, NULL };
		int rc = parse_list(args);

		if (rc != -EINVAL || !strstr(err, "--prometheus"))
			fail_msg("'%s' accepted or unnamed: rc %d err '%s'", bad[i], rc, err);
		snprintf(joined, sizeof(joined), "-prometheus=%s", bad[i]);
		rc = parse_list(args2);
		if (rc != -EINVAL || !strstr(err, "-prometheus"))
			fail_msg("'%s' accepted or unnamed: rc %d err '%s'", joined, rc, err);
	}
	ASSERT_FAILS_WITH("IPv6 addresses need brackets", "--prometheus", "::1:9100");
	ASSERT_FAILS_WITH("port must be a number from 1 to 65535", "--prometheus", "70000");
	ASSERT_FAILS_WITH("use 0.0.0.0:PORT", "--prometheus", ":9100");

	/* A later --prometheus replaces the address copy of an earlier one. */
	assert_int_equal(PARSE("--prometheus", "[::1]:1", "--prometheus", "2"), 0);
	assert_string_equal(o.prom_addr, "127.0.0.1");
	assert_int_equal(o.prom_port, 2);
}

static void test_help_and_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--help"), 0);
	assert_int_equal(o.show_help, 1);
	assert_int_equal(o.mode, MODE_NONE);
	assert_int_equal(PARSE("-h"), 0);
	assert_int_equal(o.show_help, 1);
	assert_int_equal(PARSE("-vh"), 0);
	assert_int_equal(o.show_help, 1);
	/* --help wins over what follows, even nonsense. */
	assert_int_equal(PARSE("--help", "--pid", "0", "--bogus"), 0);
	assert_int_equal(o.show_help, 1);
	assert_int_equal(PARSE("--pid", "1", "--version"), 0);
	assert_int_equal(o.show_version, 1);
	assert_int_equal(o.show_help, 0);
	/* ... but not over errors before it. */
	ASSERT_FAILS_WITH("invalid --pid", "--pid", "0", "--help");
	ASSERT_FAILS_WITH("option '--help' takes no value", "--help=1");
	ASSERT_FAILS_WITH("option '--check' takes no value", "--check=yes");
}

static void test_string_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--meter", "model", "--check"), 0);
	assert_string_equal(o.meter, "model");
	assert_int_equal(PARSE("--meter", "powercap", "--meter", "auto", "--check"), 0);
	assert_null(o.meter);
	ASSERT_FAILS_WITH("invalid --meter 'rapl': must be powercap, perf, msr, model or auto",
			  "--meter", "rapl", "--check");
	ASSERT_FAILS_WITH("invalid --name 'a/b'", "--name", "a/b", "--pid", "1");
	ASSERT_FAILS_WITH("invalid --name '..'", "--name", "..", "--pid", "1");
	ASSERT_FAILS_WITH("invalid --name", "--name", "a\nb", "--pid", "1");
	ASSERT_FAILS_WITH("--name only applies to --pid or -- CMD", "--name", "x", "--check");
	ASSERT_FAILS_WITH("--name only applies", "top", "--name", "x");
	ASSERT_FAILS_WITH("--user does not apply to --check or --basepower", "--user", "bob",
			  "--check");
	ASSERT_FAILS_WITH("--config needs a non-empty value", "--config=", "--check");

	assert_int_equal(PARSE("--config", "/etc/e.conf", "--check"), 0);
	assert_string_equal(o.config_path, "/etc/e.conf");
	assert_int_equal(PARSE("--no-threads", "--pid", "1"), 0);
	assert_int_equal(o.threads_csv, 0);
	assert_int_equal(PARSE("--no-threads", "--threads", "--pid", "1"), 0);
	assert_int_equal(o.threads_csv, 1);
	assert_true(OPT_IS_SET(&o, OPT_F_THREADS));
}

static void test_model_watts_order(void **state)
{
	(void)state;
	ASSERT_FAILS_WITH("model-pkg-idle-w (50 W) must not exceed model-pkg-max-w (40 W)",
			  "--model-pkg-idle-w", "50", "--model-pkg-max-w", "40", "--check");
	ASSERT_FAILS_WITH("model-dram-idle-w", "--model-dram-idle-w", "5", "--model-dram-max-w",
			  "4", "--check");
	/* 0 means "built-in", so it never conflicts. */
	assert_int_equal(PARSE("--model-pkg-idle-w", "50", "--check"), 0);
}

static void test_set_mask(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--interval", "2", "--gamma=0.5", "--pid", "4"), 0);
	assert_true(OPT_IS_SET(&o, OPT_F_INTERVAL));
	assert_true(OPT_IS_SET(&o, OPT_F_GAMMA));
	assert_true(OPT_IS_SET(&o, OPT_F_PID));
	assert_false(OPT_IS_SET(&o, OPT_F_DELTA));
	assert_false(OPT_IS_SET(&o, OPT_F_OUTPUT));
}

/* ---- config files ---- */

static int apply(const char *text)
{
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return options_apply_config(&o, text, strlen(text), err, sizeof(err));
}

#define ASSERT_CONFIG_FAILS_WITH(text, want)                                        \
	do {                                                                        \
		int rc_ = apply(text);                                              \
		if (rc_ != -EINVAL || !strstr(err, (want)))                         \
			fail_msg("rc %d, err '%s', wanted '%s'", rc_, err, (want)); \
	} while (0)

static void test_config_values(void **state)
{
	char *text = strdup("interval = 2\n"
			    "gamma=0.5\n"
			    "delta = 1\n"
			    "duration = 60\n"
			    "output = \"/tmp/out dir\"\n"
			    "basefile = '/tmp/b#1.json'\n"
			    "base-period = 5\n"
			    "no-baseline = true\n"
			    "meter = model\n"
			    "sysfs-root = /fake/sys\n"
			    "procfs_root = /fake/proc\n"
			    "btf = /b\n"
			    "mem-samples = 3\n"
			    "verbose = 2\n"
			    "threads = off\n"
			    "model-pkg-idle-w = 10\n"
			    "model_pkg_max_w = 100\n"
			    "model-dram-idle-w = 1\n"
			    "model-dram-max-w = 5\n");

	(void)state;
	assert_non_null(text);
	assert_int_equal(PARSE("--check"), 0);
	assert_int_equal(apply(text), 0);
	/* Values are copies: the text can go away. */
	memset(text, '#', strlen(text));
	free(text);
	assert_true(o.interval == 2.0);
	assert_true(o.gamma == 0.5);
	assert_true(o.delta == 1.0);
	assert_true(o.duration == 60.0);
	assert_string_equal(o.output_dir, "/tmp/out dir");
	assert_string_equal(o.basefile, "/tmp/b#1.json");
	assert_true(o.base_period == 5.0);
	assert_int_equal(o.no_baseline, 1);
	assert_string_equal(o.meter, "model");
	assert_string_equal(o.sysfs_root, "/fake/sys");
	assert_string_equal(o.procfs_root, "/fake/proc");
	assert_string_equal(o.btf_path, "/b");
	assert_int_equal(o.mem_samples, 3);
	assert_int_equal(o.verbose, 2);
	assert_int_equal(o.threads_csv, 0);
	assert_true(o.model_pkg_idle_w == 10.0);
	assert_true(o.model_pkg_max_w == 100.0);
	assert_true(o.model_dram_idle_w == 1.0);
	assert_true(o.model_dram_max_w == 5.0);
	assert_int_equal(o.mode, MODE_CHECK);
	assert_true(o.set_mask == 1ULL << OPT_F_CHECK); /* config does not mark set_mask */

	/* A later file (or line) replaces an earlier copy without leaking. */
	assert_int_equal(apply("output = /a\noutput = /b\nno_threads = false\n"), 0);
	assert_string_equal(o.output_dir, "/b");
	assert_int_equal(o.threads_csv, 1);
}

static void test_config_precedence(void **state)
{
	(void)state;
	assert_int_equal(
		PARSE("--interval", "5", "--output", "/cli", "--no-threads", "-v", "--pid", "1"),
		0);
	assert_int_equal(apply("interval = 2\ngamma = 0.5\noutput = /cfg\nthreads = yes\n"
			       "verbose = 3\nbasefile = /cfg.json\n"),
			 0);
	assert_true(o.interval == 5.0); /* flag beats config */
	assert_string_equal(o.output_dir, "/cli");
	assert_int_equal(o.threads_csv, 0);
	assert_int_equal(o.verbose, 1);
	assert_true(o.gamma == 0.5); /* config beats default */
	assert_string_equal(o.basefile, "/cfg.json");

	/* -d sets the same setting as --interval. */
	assert_int_equal(PARSE("top", "-d", "4"), 0);
	assert_int_equal(apply("interval = 2\n"), 0);
	assert_true(o.interval == 4.0);

	/* An overridden value must still be valid. */
	assert_int_equal(PARSE("--interval", "5", "--check"), 0);
	ASSERT_CONFIG_FAILS_WITH("\ninterval = abc\n", "line 2: invalid interval 'abc'");
	assert_true(o.interval == 5.0);
}

static void test_config_errors(void **state)
{
	static const char *const cli_only[] = {
		"pid",	"name",	  "check", "basepower", "prometheus",
		"user", "config", "help",  "version",	"json",
	};
	size_t i;

	(void)state;
	assert_int_equal(PARSE("--check"), 0);
	ASSERT_CONFIG_FAILS_WITH("interval = 2\n\n# c\nfrobnicate = 1\n",
				 "line 4: unknown key 'frobnicate'");
	ASSERT_CONFIG_FAILS_WITH("intervall = 2\n",
				 "line 1: unknown key 'intervall' (did you mean interval?)");
	ASSERT_CONFIG_FAILS_WITH("interval 2\n", "line 1: expected 'key = value'");
	ASSERT_CONFIG_FAILS_WITH("gamma = 0.5\r\ngamma = 0\r\n",
				 "line 2: invalid gamma '0': must be a number > 0 and <= 4");
	ASSERT_CONFIG_FAILS_WITH("mem-samples = 1.5\n", "line 1: invalid mem-samples '1.5'");
	ASSERT_CONFIG_FAILS_WITH("interval = nan\n", "line 1: invalid interval 'nan'");
	ASSERT_CONFIG_FAILS_WITH("interval =\n", "line 1: invalid interval ''");
	ASSERT_CONFIG_FAILS_WITH("output =\n", "line 1: output needs a non-empty value");
	ASSERT_CONFIG_FAILS_WITH("meter = rapl\n", "line 1: invalid meter 'rapl'");
	ASSERT_CONFIG_FAILS_WITH("no-baseline = maybe\n",
				 "line 1: invalid no-baseline 'maybe': must be true or false");
	ASSERT_CONFIG_FAILS_WITH("verbose = 11\n", "line 1: invalid verbose '11'");
	ASSERT_CONFIG_FAILS_WITH("output = \"/x\n", "line 1: missing closing");
	ASSERT_CONFIG_FAILS_WITH("model-pkg-idle-w = 90\nmodel-pkg-max-w = 80\n",
				 "model-pkg-idle-w (90 W) must not exceed model-pkg-max-w (80 W)");
	ASSERT_CONFIG_FAILS_WITH("a_very_long_key_name_that_matches_nothing_at_all = 1\n",
				 "line 1: unknown key");

	for (i = 0; i < sizeof(cli_only) / sizeof(cli_only[0]); i++) {
		char text[64], want[96];

		snprintf(text, sizeof(text), "# x\n%s = 1\n", cli_only[i]);
		snprintf(want, sizeof(want), "line 2: '%s' cannot be set in a config file",
			 cli_only[i]);
		ASSERT_CONFIG_FAILS_WITH(text, want);
	}
	assert_int_equal(o.mode, MODE_CHECK);
	assert_int_equal(o.pid, 0);
}

static void test_config_comments_and_crlf(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--check"), 0);
	assert_int_equal(apply("# energat-bpf settings\r\n"
			       "\r\n"
			       "   # indented comment\r\n"
			       "interval = 2   # seconds\r\n"
			       "output = /tmp/x\r\n"
			       "NO_BASELINE = ON\r\n"),
			 -EINVAL); /* keys are case-sensitive */
	assert_non_null(strstr(err, "line 6: unknown key 'NO_BASELINE'"));

	assert_int_equal(PARSE("--check"), 0);
	assert_int_equal(apply("# energat-bpf settings\r\n"
			       "\r\n"
			       "   # indented comment\r\n"
			       "interval = 2   # seconds\r\n"
			       "output = /tmp/x\r\n"
			       "no_baseline = ON"),
			 0);
	assert_true(o.interval == 2.0);
	assert_string_equal(o.output_dir, "/tmp/x");
	assert_int_equal(o.no_baseline, 1);
}

static char tmpdir[64];

static void write_file(const char *path, const char *text, size_t len)
{
	if (!len)
		len = strlen(text);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load_config(void **state)
{
	char path[128], fifo[128], big[128];
	char *buf;
	size_t bigsz = OPT_CONFIG_MAX_BYTES + 1, i;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/energat-test-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/energat.conf", tmpdir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	snprintf(big, sizeof(big), "%s/big.conf", tmpdir);

	write_file(path, "interval = 3\noutput = /from/file\n", 0);
	assert_int_equal(PARSE("--output", "/cli", "--check"), 0);
	assert_int_equal(options_load_config(&o, path, err, sizeof(err)), 0);
	assert_true(o.interval == 3.0);
	assert_string_equal(o.output_dir, "/cli");

	write_file(path, "interval = 3\nbogus = 1\n", 0);
	assert_int_equal(options_load_config(&o, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "line 2: unknown key 'bogus'"));

	/* Exactly the limit is fine (a file of comment lines). */
	buf = malloc(bigsz);
	assert_non_null(buf);
	memset(buf, '#', bigsz);
	for (i = 99; i < bigsz; i += 100)
		buf[i] = '\n';
	write_file(big, buf, bigsz - 1);
	assert_int_equal(options_load_config(&o, big, err, sizeof(err)), 0);
	write_file(big, buf, bigsz);
	assert_int_equal(options_load_config(&o, big, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than"));
	free(buf);

	assert_int_equal(options_load_config(&o, tmpdir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* A FIFO must be refused, not block waiting for a writer. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(options_load_config(&o, fifo, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(options_load_config(&o, "/dev/null", err, sizeof(err)), -EINVAL);

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_int_equal(options_load_config(&o, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "failed to open config"));
	assert_non_null(strstr(err, path));
	assert_int_equal(options_load_config(&o, "", err, sizeof(err)), -EINVAL);

	unlink(fifo);
	unlink(big);
	snprintf(path, sizeof(path), "%s/energat.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

/* Random command lines from our own vocabulary: never crash, one-line errors. */
static void test_random_argv(void **state)
{
	static const char *const words[] = {
		"--pid",       "-pid",
		"1",	       "0",
		"-1",	       "--",
		"ls",	       "top",
		"-b",	       "-n",
		"-d",	       "--json",
		"-vvv",	       "--check",
		"--basepower", "--prometheus",
		"[::1]:9",     "9100",
		":",	       "--interval=",
		"--interval",  "nan",
		"--name",      "a/b",
		"--user",      "x",
		"-",	       "=",
		"--output",    "-bn",
		"-n5",	       "-d=",
		"--help",      "--config",
		"--meter",     "model",
		"--frob",      "-x",
		"\n",	       "1e400",
		"--gamma",     "--no-threads",
		"-check=1",
	};
	const char *args[MAX_ARGS + 1];
	unsigned int seed = 4242;
	int iter, n, k, rc;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		n = rand_r(&seed) % (MAX_ARGS + 1);
		for (k = 0; k < n; k++)
			args[k] = words[rand_r(&seed) % (sizeof(words) / sizeof(words[0]))];
		args[n] = NULL;
		rc = parse_list(args);
		if (rc == 0) {
			assert_true(o.mode != MODE_NONE || o.show_help || o.show_version);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_true(err[0] != '\0' && err[0] != 'X');
			assert_null(strchr(err, '\n'));
		}
	}
}

static void test_help_text(void **state)
{
	static const char *const must[] = {
		"Usage: energat-bpf",
		"--pid PID",
		"-- CMD",
		"top [-b] [-n COUNT] [-d SEC] [--json]",
		"--check",
		"--basepower",
		"--prometheus [ADDR:]PORT",
		"--name NAME",
		"--output DIR",
		"./energat-results",
		"--basefile FILE",
		"/var/lib/energat/baseline_power.json",
		"--base-period SEC",
		"--no-baseline",
		"--interval SEC",
		"--gamma G",
		"0.3",
		"--delta D",
		"0.2",
		"--duration SEC",
		"--meter NAME",
		"--sysfs-root DIR",
		"--procfs-root DIR",
		"--btf FILE",
		"--mem-samples K",
		"--config FILE",
		"-v, --verbose",
		"--user NAME",
		"--threads",
		"--no-threads",
		"--model-pkg-idle-w W",
		"--model-pkg-max-w W",
		"--model-dram-idle-w W",
		"--model-dram-max-w W",
		"-h, --help",
		"--version",
		"meter=model",
		"energat_traces_NAME.csv",
		"energat_threads_NAME.csv",
		"Examples:",
		"sudo energat-bpf --pid 1234",
		"sudo energat-bpf --no-baseline -- stress-ng --cpu 2 --timeout 5",
		"sudo energat-bpf --basepower",
		"sudo energat-bpf top",
		"sudo energat-bpf --prometheus 9100",
		"sudo energat-bpf --check --sysfs-root /tmp/fake",
	};
	char *text = NULL, *line;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	options_print_help(f);
	assert_int_equal(fclose(f), 0);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (!strstr(text, must[i]))
			fail_msg("--help lacks '%s'", must[i]);
	/* Fits an 80-column terminal, no tabs. */
	for (line = text; *line;) {
		size_t n = strcspn(line, "\n");

		if (n > 80 || memchr(line, '\t', n))
			fail_msg("help line too wide or has a tab: '%.*s'", (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_mode),
		cmocka_unit_test(test_prototype_spellings),
		cmocka_unit_test(test_equals_form),
		cmocka_unit_test(test_verbose_counting),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_bad_number_message),
		cmocka_unit_test(test_good_numbers),
		cmocka_unit_test(test_parse_helpers),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_conflicting_modes),
		cmocka_unit_test(test_no_mode),
		cmocka_unit_test(test_cmd_keeps_args),
		cmocka_unit_test(test_top_options),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_string_options),
		cmocka_unit_test(test_model_watts_order),
		cmocka_unit_test(test_set_mask),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_precedence),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_comments_and_crlf),
		cmocka_unit_test(test_load_config),
		cmocka_unit_test(test_random_argv),
		cmocka_unit_test(test_help_text),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
