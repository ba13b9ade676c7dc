// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for the pure "key = value" parser (user/config.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

#define MAX_PAIRS 16

struct collect {
	int n;
	char key[MAX_PAIRS][64];
	char val[MAX_PAIRS][CONFIG_LINE_MAX + 1];
	int line[MAX_PAIRS];
	int fail_on; /* return an error on this call (1-based), 0: never */
	int fail_rc;
	const char *fail_msg; /* written to err before failing, or NULL */
	char *err;
	size_t errlen;
};

static int collect_cb(void *ctx, const char *key, const char *value, int line)
{
	struct collect *c = ctx;

	if (c->n >= MAX_PAIRS)
		return -E2BIG;
	snprintf(c->key[c->n], sizeof(c->key[0]), "%s", key);
	snprintf(c->val[c->n], sizeof(c->val[0]), "%s", value);
	c->line[c->n] = line;
	c->n++;
	if (c->fail_on == c->n) {
		if (c->fail_msg)
			snprintf(c->err, c->errlen, "%s", c->fail_msg);
		return c->fail_rc;
	}
	return 0;
}

static struct collect col;
static char err[256];

static int parse_n(const char *text, size_t len)
{
	memset(&col, 0, sizeof(col));
	col.err = err;
	col.errlen = sizeof(err);
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return config_parse(text, len, collect_cb, &col, err, sizeof(err));
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void expect_pair(int i, const char *key, const char *val, int line)
{
	assert_true(i < col.n);
	assert_string_equal(col.key[i], key);
	assert_string_equal(col.val[i], val);
	assert_int_equal(col.line[i], line);
}

static void test_basic(void **state)
{
	(void)state;
	assert_int_equal(parse("a = 1\nb=2\n  c  =  three words  \n\tdash-key_x.y\t=\tv\n"), 0);
	assert_int_equal(col.n, 4);
	expect_pair(0, "a", "1", 1);
	expect_pair(1, "b", "2", 2);
	expect_pair(2, "c", "three words", 3);
	expect_pair(3, "dash-key_x.y", "v", 4);
	assert_string_equal(err, ""); /* cleared on success */
}

static void test_comments_and_blanks(void **state)
{
	(void)state;
	assert_int_equal(parse("# top comment\n\n   \n\t# indented\nk = v # trailing\n"
			       "p = /tmp/a#b\nq = #all comment\nr = x\t# tab comment\n"),
			 0);
	assert_int_equal(col.n, 4);
	expect_pair(0, "k", "v", 5);
	expect_pair(1, "p", "/tmp/a#b", 6);
	expect_pair(2, "q", "", 7);
	expect_pair(3, "r", "x", 8);
}

static void test_crlf_and_last_line(void **state)
{
	(void)state;
	assert_int_equal(parse("a = 1\r\n\r\n# c\r\nb = two  \r\nc = 3"), 0);
	assert_int_equal(col.n, 3);
	expect_pair(0, "a", "1", 1);
	expect_pair(1, "b", "two", 4);
	expect_pair(2, "c", "3", 5);
}

static void test_quotes(void **state)
{
	(void)state;
	assert_int_equal(parse("a = \"x y # z\"\n"
			       "b = \"say \\\"hi\\\" \\\\ ok\"  # c\n"
			       "c = 'back\\slash \"q\"'\n"
			       "d = \"\"\n"
			       "e = \"a\\nb\"\n"),
			 0);
	assert_int_equal(col.n, 5);
	expect_pair(0, "a", "x y # z", 1);
	expect_pair(1, "b", "say \"hi\" \\ ok", 2);
	expect_pair(2, "c", "back\\slash \"q\"", 3);
	expect_pair(3, "d", "", 4);
	expect_pair(4, "e", "a\\nb", 5); /* unknown escapes stay as written */
}

static void test_empty_value_and_spaces_in_value(void **state)
{
	(void)state;
	assert_int_equal(parse("a =\nb=   \nc = x = y\n"), 0);
	assert_int_equal(col.n, 3);
	expect_pair(0, "a", "", 1);
	expect_pair(1, "b", "", 2);
	expect_pair(2, "c", "x = y", 3);
}

static void test_empty_input(void **state)
{
	(void)state;
	assert_int_equal(parse_n(NULL, 0), 0);
	assert_int_equal(col.n, 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("\n\n\n"), 0);
	assert_int_equal(col.n, 0);
}

static void test_bom(void **state)
{
	(void)state;
	assert_int_equal(parse("\xef\xbb\xbf"
			       "a = 1\n"),
			 0);
	assert_int_equal(col.n, 1);
	expect_pair(0, "a", "1", 1);
}

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen */
	const char *want; /* substring of the message */
	int calls; /* callbacks made before the error */
};

static void test_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "a = 1\ninterval 2\n", 0, "line 2: expected 'key = value'", 1 },
		{ "just words", 0, "line 1: expected", 0 },
		{ "a = 1\n= 5\n", 0, "line 2: missing key", 1 },
		{ "a b = 1\n", 0, "line 1: invalid key", 0 },
		{ "k\xc3\xa9y = 1\n", 0, "line 1: invalid key", 0 },
		{ "a = \"open\n", 0, "line 1: missing closing \"", 0 },
		{ "a = 'open\n", 0, "line 1: missing closing '", 0 },
		{ "a = \"x\" y\n", 0, "line 1: unexpected text after closing", 0 },
		{ "a = 1\nb = x\x01y\n", 0, "line 2: control character 0x01", 1 },
		{ "a = \x7f\n", 0, "line 1: control character 0x7f", 0 },
		{ "a = 1\r\rb = 2\n", 0, "line 1: control character 0x0d", 0 },
		{ "a = 1\nb = 2\0\n", 13, "line 2: NUL byte", 1 },
		{ "\0", 1, "line 1: NUL byte", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		int rc = parse_n(cases[i].text, len);

		if (rc != -EINVAL || !strstr(err, cases[i].want) || col.n != cases[i].calls)
			fail_msg("case %zu: rc %d, err '%s', calls %d", i, rc, err, col.n);
	}
}

static void test_long_lines(void **state)
{
	size_t n = CONFIG_LINE_MAX + 16;
	char *buf = malloc(n + 1);
	size_t vlen;

	(void)state;
	assert_non_null(buf);
	/* Exactly CONFIG_LINE_MAX bytes (plus CRLF, which does not count): accepted. */
	memcpy(buf, "k = ", 4);
	vlen = CONFIG_LINE_MAX - 4;
	memset(buf + 4, 'v', vlen);
	memcpy(buf + CONFIG_LINE_MAX, "\r\n", 2);
	assert_int_equal(parse_n(buf, CONFIG_LINE_MAX + 2), 0);
	assert_int_equal(col.n, 1);
	assert_int_equal(strlen(col.val[0]), vlen);

	/* One more byte: refused, naming the line. */
	memcpy(buf, "a = 1\n", 6);
	memcpy(buf + 6, "k = ", 4);
	memset(buf + 10, 'v', CONFIG_LINE_MAX - 3);
	assert_int_equal(parse_n(buf, 10 + CONFIG_LINE_MAX - 3), -EINVAL);
	assert_non_null(strstr(err, "line 2: longer than"));
	free(buf);
}

/* The text is not NUL-terminated: the parser must stop at len (ASan checks). */
static void test_respects_len(void **state)
{
	static const char src[] = "alpha = 1\nbeta = 2\ngamma = 3";
	char *buf = malloc(sizeof(src) - 1);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, src, sizeof(src) - 1);
	assert_int_equal(parse_n(buf, sizeof(src) - 1), 0);
	assert_int_equal(col.n, 3);
	expect_pair(2, "gamma", "3", 3);

	/* Cut inside line 2: "beta = " with an empty value. */
	assert_int_equal(parse_n(buf, 17), 0);
	assert_int_equal(col.n, 2);
	expect_pair(1, "beta", "", 2);

	/* Cut inside the key: "be" has no '='. */
	assert_int_equal(parse_n(buf, 12), -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	free(buf);
}

static void test_callback_error(void **state)
{
	const char *t1 = "a = 1\n\nb = 2\nc = 3\n", *t2 = "\n\nkey = 1\n";

	(void)state;
	/* The callback's own message is kept. */
	memset(&col, 0, sizeof(col));
	col.err = err;
	col.errlen = sizeof(err);
	col.fail_on = 2;
	col.fail_rc = -EINVAL;
	col.fail_msg = "line 3: bad value for b";
	assert_int_equal(config_parse(t1, strlen(t1), collect_cb, &col, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: bad value for b");
	assert_int_equal(col.n, 2); /* c was never seen */

	/* Without a message, a generic one names the line and key. */
	memset(&col, 0, sizeof(col));
	col.fail_on = 1;
	col.fail_rc = -ERANGE;
	assert_int_equal(config_parse(t2, strlen(t2), collect_cb, &col, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "line 3"));
	assert_non_null(strstr(err, "key"));
}

static void test_null_err_buffer(void **state)
{
	(void)state;
	memset(&col, 0, sizeof(col));
	assert_int_equal(config_parse("bad line", 8, collect_cb, &col, NULL, 0), -EINVAL);
	assert_int_equal(config_parse("a = 1", 5, collect_cb, &col, NULL, 0), 0);
}

/* Random bytes: never crash, never read past len, only 0 or -EINVAL. */
static int quiet_cb(void *ctx, const char *key, const char *value, int line)
{
	(void)ctx;
	assert_true(line > 0);
	assert_true(strlen(key) > 0);
	assert_true(strlen(value) <= CONFIG_LINE_MAX);
	return 0;
}

static void test_random_input(void **state)
{
	static const char alphabet[] = "ab =#\"'\\\n\r\t\x01\xef";
	unsigned int seed = 12345;
	int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		size_t len = (size_t)(rand_r(&seed) % 200), i;
		char *buf = malloc(len ? len : 1);
		int rc;

		assert_non_null(buf);
		for (i = 0; i < len; i++)
			buf[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		rc = config_parse(buf, len, quiet_cb, NULL, err, sizeof(err));
		assert_true(rc == 0 || rc == -EINVAL);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_comments_and_blanks),
		cmocka_unit_test(test_crlf_and_last_line),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_empty_value_and_spaces_in_value),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_respects_len),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_null_err_buffer),
		cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
