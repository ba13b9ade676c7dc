// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Baseline power file: parsing, validation, round trips, atomic save. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "baseline.h"

/* What the prototype's json.dump() writes: its four keys and nothing else. */
static const char prototype_file[] =
	"{\"pkg_base_w\": [24.318725, 25.0211], \"dram_base_w\": [3.5, 3.25], "
	"\"pkg_base_percents\": [0.8, 1.2000000000000002], "
	"\"dram_base_percents\": [10.5, 12]}";

static void sample(struct baseline *b)
{
	memset(b, 0, sizeof(*b));
	b->nr_sockets = 2;
	b->pkg_base_w[0] = 24.318725123456789;
	b->pkg_base_w[1] = 0.1;
	b->dram_base_w[0] = 3.5;
	b->dram_base_w[1] = 0;
	b->pkg_base_percent[0] = 1.0 / 3;
	b->pkg_base_percent[1] = 120; /* uneven sockets in the prototype's arithmetic */
	b->dram_base_percent[0] = 10.5;
	b->dram_base_percent[1] = 12;
	strcpy(b->meter, "powercap");
	b->period_sec = 10;
	b->timestamp = 1700000000.125;
	strcpy(b->host, "node-1 \"lab\"/rack\\2");
}

static void assert_same(const struct baseline *a, const struct baseline *b)
{
	int s;

	assert_int_equal(a->nr_sockets, b->nr_sockets);
	for (s = 0; s < a->nr_sockets; s++) {
		/* exact: formatting must not lose a bit */
		assert_true(a->pkg_base_w[s] == b->pkg_base_w[s]);
		assert_true(a->dram_base_w[s] == b->dram_base_w[s]);
		assert_true(a->pkg_base_percent[s] == b->pkg_base_percent[s]);
		assert_true(a->dram_base_percent[s] == b->dram_base_percent[s]);
	}
	assert_string_equal(a->meter, b->meter);
	assert_true(a->period_sec == b->period_sec);
	assert_true(a->timestamp == b->timestamp);
	assert_string_equal(a->host, b->host);
}

static void test_round_trip(void **state)
{
	struct baseline in, out;
	char buf[4096], err[256];
	int n;

	(void)state;
	sample(&in);
	n = baseline_format(&in, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(buf[n - 1], '\n');
	/* the prototype's keys come first and are spelled its way */
	assert_non_null(strstr(buf, "\"pkg_base_w\""));
	assert_non_null(strstr(buf, "\"dram_base_percents\""));
	assert_true(strstr(buf, "\"pkg_base_w\"") < strstr(buf, "\"meter\""));
	assert_non_null(strstr(buf, "0.1")); /* shortest form */
	assert_null(strstr(buf, "0.10000"));
	assert_int_equal(baseline_parse(buf, (size_t)n, &out, err, sizeof(err)), 0);
	assert_same(&in, &out);
}

static void test_prototype_file(void **state)
{
	struct baseline b;
	char err[256];

	(void)state;
	assert_int_equal(
		baseline_parse(prototype_file, strlen(prototype_file), &b, err, sizeof(err)), 0);
	assert_int_equal(b.nr_sockets, 2);
	assert_true(b.pkg_base_w[0] == 24.318725);
	assert_true(b.pkg_base_w[1] == 25.0211);
	assert_true(b.dram_base_w[1] == 3.25);
	assert_true(b.pkg_base_percent[1] == 1.2000000000000002);
	assert_true(b.dram_base_percent[1] == 12); /* an integer in JSON */
	assert_string_equal(b.meter, "");
	assert_string_equal(b.host, "");
	assert_true(b.period_sec == 0);
	assert_true(b.timestamp == 0);
}

struct bad {
	const char *json;
	const char *msg; /* a piece of the expected message */
};

#define W4(p, d, pp, dp)                                                             \
	"{\"pkg_base_w\": " p ", \"dram_base_w\": " d ", \"pkg_base_percents\": " pp \
	", \"dram_base_percents\": " dp

static const struct bad bad_files[] = {
	{ "", "empty" },
	{ " \n\t", "empty" },
	{ "{\"pkg_base_w\": [1, 2", "truncated" },
	{ W4("[1]", "[1]", "[1]", "[1]"), "truncated" }, /* no closing brace */
	{ "not json", "invalid JSON" },
	{ "{\"pkg_base_w\": [1,,2]}", "invalid JSON" },
	{ W4("[1]", "[1]", "[1]", "[1]") "} trailing", "unexpected data" },
	{ W4("[1]", "[1]", "[1]", "[1]") "}{", "unexpected data" },
	{ "[1, 2]", "not a JSON object" },
	{ "{\"pkg_base_w\": [1], \"dram_base_w\": [1], \"pkg_base_percents\": [1]}",
	  "missing key \"dram_base_percents\"" },
	{ "{}", "missing key \"pkg_base_w\"" },
	{ W4("24", "[1]", "[1]", "[1]") "}", "\"pkg_base_w\" is not an array" },
	{ W4("[\"24\"]", "[1]", "[1]", "[1]") "}", "pkg_base_w[0]: not a number" },
	{ W4("[1]", "[true]", "[1]", "[1]") "}", "dram_base_w[0]: not a number" },
	{ W4("[1, null]", "[1, 1]", "[1, 1]", "[1, 1]") "}", "pkg_base_w[1]: not a number" },
	{ W4("[[1]]", "[1]", "[1]", "[1]") "}", "pkg_base_w[0]: not a number" },
	{ W4("[NaN]", "[1]", "[1]", "[1]") "}", "pkg_base_w[0]: not a finite number" },
	{ W4("[1]", "[Infinity]", "[1]", "[1]") "}", "dram_base_w[0]: not a finite number" },
	{ W4("[1e999]", "[1]", "[1]", "[1]") "}", "pkg_base_w[0]: not a finite number" },
	{ W4("[1, -3]", "[1, 1]", "[1, 1]", "[1, 1]") "}", "pkg_base_w[1]: -3 W is negative" },
	{ W4("[6000]", "[1]", "[1]", "[1]") "}", "above 5000 W" },
	{ W4("[1]", "[99999999999999999999]", "[1]", "[1]") "}", "dram_base_w[0]" },
	{ W4("[1]", "[1]", "[-1]", "[1]") "}", "pkg_base_percents[0]: -1% is negative" },
	{ W4("[1]", "[1]", "[1]", "[NaN]") "}", "dram_base_percents[0]: not a finite" },
	{ W4("[1, 2]", "[1]", "[1, 2]", "[1, 2]") "}",
	  "\"dram_base_w\" has 1 entries but \"pkg_base_w\" has 2" },
	{ W4("[1, 2]", "[1, 2]", "[1, 2]", "[1, 2, 3]") "}", "\"dram_base_percents\" has 3" },
	{ W4("[]", "[]", "[]", "[]") "}", "\"pkg_base_w\" is empty" },
	{ W4("[1,1,1,1,1,1,1,1,1]", "[1]", "[1]", "[1]") "}", "at most 8" },
	{ W4("[1]", "[1]", "[1]", "[1]") ", \"meter\": 5}", "\"meter\" is not a string" },
	{ W4("[1]", "[1]", "[1]", "[1]") ", \"meter\": \"a-meter-name-too-long\"}",
	  "\"meter\" is longer than 15" },
	{ W4("[1]", "[1]", "[1]", "[1]") ", \"host\": \"a\\u0000b\"}", "holds a NUL" },
	{ W4("[1]", "[1]", "[1]", "[1]") ", \"period_sec\": \"10\"}", "\"period_sec\" is not" },
	{ W4("[1]", "[1]", "[1]", "[1]") ", \"period_sec\": -1}", "period_sec: -1" },
	{ W4("[1]", "[1]", "[1]", "[1]") ", \"timestamp\": NaN}", "timestamp" },
};

static void test_bad_files(void **state)
{
	struct baseline b;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *t = &bad_files[i];
		int ret;

		memset(err, 0, sizeof(err));
		ret = baseline_parse(t->json, strlen(t->json), &b, err, sizeof(err));
		if (ret != -EINVAL || !strstr(err, t->msg))
			fail_msg("case %zu %s: ret %d, err \"%s\", want -EINVAL and \"%s\"", i,
				 t->json, ret, err, t->msg);
		/* nothing half-parsed is left for a careless caller */
		assert_int_equal(b.nr_sockets, 0);
	}
}

static void test_lengths(void **state)
{
	struct baseline b;
	char err[256], buf[512];
	size_t n = strlen(prototype_file);

	(void)state;
	/* every truncation of a good file is refused */
	for (size_t len = 0; len < n; len++) {
		memcpy(buf, prototype_file, len);
		assert_int_equal(baseline_parse(buf, len, &b, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
	}
	/* an embedded NUL ends the JSON early: the rest is garbage */
	memcpy(buf, prototype_file, n);
	memcpy(buf + n, "\0xyz", 4);
	assert_int_equal(baseline_parse(buf, n + 4, &b, err, sizeof(err)), -EINVAL);
	/* trailing whitespace is fine */
	memcpy(buf + n, " \n\n", 3);
	assert_int_equal(baseline_parse(buf, n + 3, &b, err, sizeof(err)), 0);
	/* a NULL err is allowed */
	assert_int_equal(baseline_parse("x", 1, &b, NULL, 0), -EINVAL);
}

static void test_format_checks(void **state)
{
	struct baseline b;
	char buf[4096];
	int n;

	(void)state;
	sample(&b);
	n = baseline_format(&b, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(baseline_format(&b, buf, (size_t)n), -ENOSPC);
	assert_int_equal(baseline_format(&b, buf, (size_t)n + 1), n);
	b.pkg_base_w[1] = -1;
	assert_int_equal(baseline_format(&b, buf, sizeof(buf)), -EINVAL);
	sample(&b);
	b.nr_sockets = 0;
	assert_int_equal(baseline_format(&b, buf, sizeof(buf)), -EINVAL);
	b.nr_sockets = ENERGAT_MAX_SOCKETS + 1;
	assert_int_equal(baseline_format(&b, buf, sizeof(buf)), -EINVAL);
}

/* --- files --- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/energat-test-baseline-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	umask(022);
	*state = dir;
	return 0;
}

static int teardown_dir(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static int count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

static void write_file(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	fclose(f);
}

static void test_save_load(void **state)
{
	char dir[512], path[600], err[256];
	struct baseline in, out;
	struct stat st;
	ino_t first;

	snprintf(dir, sizeof(dir), "%s/var/lib/energat", (char *)*state);
	snprintf(path, sizeof(path), "%s/baseline_power.json", dir);
	sample(&in);
	assert_int_equal(baseline_save(path, &in), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	first = st.st_ino;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */

	assert_int_equal(baseline_load(path, &out, err, sizeof(err)), 0);
	assert_same(&in, &out);

	/* replacing goes through a new inode: readers never see a half file */
	in.pkg_base_w[0] = 30;
	assert_int_equal(baseline_save(path, &in), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_ino != first);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(baseline_load(path, &out, err, sizeof(err)), 0);
	assert_true(out.pkg_base_w[0] == 30);

	/* an invalid struct is not written, the old file stays */
	in.dram_base_w[0] = -5;
	assert_int_equal(baseline_save(path, &in), -EINVAL);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(baseline_load(path, &out, err, sizeof(err)), 0);
	assert_true(out.pkg_base_w[0] == 30);
}

static void test_save_failure_leaves_nothing(void **state)
{
	char path[600];
	struct baseline in;

	/* the target name is a directory: rename fails after the temp file exists */
	snprintf(path, sizeof(path), "%s/taken", (char *)*state);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/taken/inner", (char *)*state);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/taken", (char *)*state);
	sample(&in);
	assert_true(baseline_save(path, &in) < 0);
	assert_int_equal(count_entries(*state), 1);
}

static void test_load_errors(void **state)
{
	char path[600], err[256];
	struct baseline b;
	char *big;

	snprintf(path, sizeof(path), "%s/none.json", (char *)*state);
	assert_int_equal(baseline_load(path, &b, err, sizeof(err)), -ENOENT);
	assert_true(err[0] != '\0');

	assert_int_equal(baseline_load(*state, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	snprintf(path, sizeof(path), "%s/empty.json", (char *)*state);
	write_file(path, "", 0);
	assert_int_equal(baseline_load(path, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));

	/* valid JSON, but padded past 1 MiB: refused before parsing */
	big = malloc(BASELINE_MAX_FILE_SIZE + 16);
	assert_non_null(big);
	memset(big, ' ', BASELINE_MAX_FILE_SIZE + 16);
	memcpy(big, prototype_file, strlen(prototype_file));
	snprintf(path, sizeof(path), "%s/big.json", (char *)*state);
	write_file(path, big, BASELINE_MAX_FILE_SIZE + 1);
	assert_int_equal(baseline_load(path, &b, err, sizeof(err)), -EFBIG);
	assert_true(err[0] != '\0');
	/* exactly 1 MiB is still accepted */
	write_file(path, big, BASELINE_MAX_FILE_SIZE);
	assert_int_equal(baseline_load(path, &b, err, sizeof(err)), 0);
	free(big);

	snprintf(path, sizeof(path), "%s/fifo.json", (char *)*state);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(baseline_load(path, &b, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_prototype_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_format_checks),
		cmocka_unit_test_setup_teardown(test_save_load, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_failure_leaves_nothing, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_errors, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
