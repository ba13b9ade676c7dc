// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* CSV formatting, quoting and the append-only writer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "csv.h"

/* Column lists copied from model.md §7, spaces as written there. */
static const char spec_target[] =
	"time, socket, duration_sec, num_proc, num_threads, pkg_credit_frac, "
	"dram_credit_frac, total_pkg_joules, total_dram_joules, base_pkg_joules, "
	"base_dram_joules, ascribed_pkg_joules, ascribed_dram_joules, tracer_pkg_joules, "
	"tracer_dram_joules, pkg_percent, dram_percent";
static const char spec_thread[] = "time, socket, pid, tid, comm, cpu_sec, pkg_credit_frac, "
				  "ascribed_pkg_joules, ascribed_dram_joules";

static void strip_spaces(const char *in, char *out)
{
	for (; *in; in++) {
		if (*in != ' ')
			*out++ = *in;
	}
	*out = '\0';
}

/*
 * Minimal RFC 4180 reader for one record: fields into out[], returns their
 * number, or -1 on malformed input. Independent of the code under test.
 */
static int parse_record(const char *s, char out[][128], int max)
{
	int n = 0;

	for (;;) {
		size_t k = 0;

		if (n == max)
			return -1;
		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s)
					return -1;
				if (*s == '"' && s[1] == '"') {
					out[n][k++] = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					out[n][k++] = *s++;
				}
			}
			if (*s && *s != ',')
				return -1;
		} else {
			while (*s && *s != ',') {
				if (*s == '"' || *s == '\n' || *s == '\r')
					return -1;
				out[n][k++] = *s++;
			}
		}
		out[n++][k] = '\0';
		if (!*s)
			return n;
		s++; /* ',' */
	}
}

static void test_headers(void **state)
{
	char want[512];

	(void)state;
	strip_spaces(spec_target, want);
	assert_string_equal(csv_target_header, want);
	strip_spaces(spec_thread, want);
	assert_string_equal(csv_thread_header, want);
}

static void test_quote(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(csv_quote("bash", out, sizeof(out)), 4);
	assert_string_equal(out, "bash");
	assert_int_equal(csv_quote("Web Content", out, sizeof(out)), 11);
	assert_string_equal(out, "Web Content"); /* a space alone needs no quotes */
	assert_int_equal(csv_quote("a,b", out, sizeof(out)), 5);
	assert_string_equal(out, "\"a,b\"");
	assert_int_equal(csv_quote("say \"hi\"", out, sizeof(out)), 12);
	assert_string_equal(out, "\"say \"\"hi\"\"\"");
	assert_int_equal(csv_quote("two\nlines", out, sizeof(out)), 11);
	assert_string_equal(out, "\"two\nlines\"");
	assert_int_equal(csv_quote("cr\r", out, sizeof(out)), 5);
	assert_string_equal(out, "\"cr\r\"");
	assert_int_equal(csv_quote("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(csv_quote(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(csv_quote("\"", out, sizeof(out)), 4);
	assert_string_equal(out, "\"\"\"\"");
}

static void test_quote_nospace(void **state)
{
	char out[16];

	(void)state;
	/* "a,b" quoted is 5 bytes + NUL */
	assert_int_equal(csv_quote("a,b", out, 6), 5);
	assert_int_equal(csv_quote("a,b", out, 5), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(csv_quote("abc", out, 4), 3);
	assert_int_equal(csv_quote("abc", out, 3), -ENOSPC);
	assert_int_equal(csv_quote("\"", out, 5), 4);
	assert_int_equal(csv_quote("\"", out, 4), -ENOSPC);
	assert_int_equal(csv_quote("x", out, 0), -ENOSPC);
}

static void test_format_double(void **state)
{
	char b[64];

	(void)state;
	csv_format_double(0.1, b, sizeof(b));
	assert_string_equal(b, "0.1"); /* shortest form, not 0.10000000000000001 */
	csv_format_double(1.0 / 3, b, sizeof(b));
	assert_string_equal(b, "0.3333333333333333");
	csv_format_double(0.1 + 0.2, b, sizeof(b));
	assert_string_equal(b, "0.30000000000000004");
	csv_format_double(-0.0, b, sizeof(b));
	assert_string_equal(b, "0");
	csv_format_double(40, b, sizeof(b));
	assert_string_equal(b, "40");
	csv_format_double(1700000000.25, b, sizeof(b));
	assert_string_equal(b, "1700000000.25");
	csv_format_double(1e-300, b, sizeof(b));
	assert_string_equal(b, "1e-300");
	csv_format_double(NAN, b, sizeof(b));
	assert_string_equal(b, "nan");
	csv_format_double(-INFINITY, b, sizeof(b));
	assert_string_equal(b, "-inf");
	assert_int_equal(csv_format_double(0.1, b, 3), -ENOSPC);
	assert_int_equal(csv_format_double(0.1, b, 4), 3);
}

static void test_format_double_locale(void **state)
{
	const char *locs[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE" };
	char b[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(locs) / sizeof(locs[0]); i++) {
		if (setlocale(LC_NUMERIC, locs[i]) && strcmp(localeconv()->decimal_point, "."))
			break;
	}
	if (i == sizeof(locs) / sizeof(locs[0])) {
		setlocale(LC_NUMERIC, "C");
		skip(); /* no locale with a decimal comma installed */
	}
	csv_format_double(2.5, b, sizeof(b));
	setlocale(LC_NUMERIC, "C");
	assert_string_equal(b, "2.5");
}

static void test_target_row(void **state)
{
	struct csv_target_row r = {
		.time = 1700000000.5,
		.socket = 1,
		.duration_sec = 1.0001,
		.num_proc = 2,
		.num_threads = 17,
		.pkg_credit_frac = 0.5,
		.dram_credit_frac = 0.25,
		.total_pkg_joules = 50,
		.total_dram_joules = 10,
		.base_pkg_joules = 10,
		.base_dram_joules = 2,
		.ascribed_pkg_joules = 32.490095854249425,
		.ascribed_dram_joules = 6.964404506368993,
		.tracer_pkg_joules = 0.001,
		.tracer_dram_joules = 0,
		.pkg_percent = 37.5,
		.dram_percent = 12.125,
	};
	char buf[512];
	int n;

	(void)state;
	n = csv_format_target_row(&r, buf, sizeof(buf));
	assert_string_equal(buf, "1700000000.5,1,1.0001,2,17,0.5,0.25,50,10,10,2,"
				 "32.490095854249425,6.964404506368993,0.001,0,37.5,12.125");
	assert_int_equal(n, (int)strlen(buf));

	/* every shorter buffer is refused and left empty, never cut */
	for (size_t len = 0; len <= (size_t)n; len++) {
		char small[512];

		memset(small, 'x', sizeof(small));
		assert_int_equal(csv_format_target_row(&r, small, len), -ENOSPC);
		if (len)
			assert_int_equal(small[0], '\0');
	}
	assert_int_equal(csv_format_target_row(&r, buf, n + 1), n);
}

static void test_thread_row(void **state)
{
	const char *comms[] = { "stress-ng", "a,b", "q\"uote", "new\nline", "", "x\r\"," };
	struct csv_thread_row r = {
		.time = 1700000001.75,
		.socket = 0,
		.pid = 42,
		.tid = 43,
		.cpu_sec = 0.5,
		.pkg_credit_frac = 0.125,
		.ascribed_pkg_joules = 3.25,
		.ascribed_dram_joules = 0.0625,
	};
	char buf[256], f[16][128];
	size_t i;

	(void)state;
	r.comm = "a,b";
	csv_format_thread_row(&r, buf, sizeof(buf));
	assert_string_equal(buf, "1700000001.75,0,42,43,\"a,b\",0.5,0.125,3.25,0.0625");

	for (i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		r.comm = comms[i];
		assert_true(csv_format_thread_row(&r, buf, sizeof(buf)) > 0);
		assert_int_equal(parse_record(buf, f, 16), 9);
		assert_string_equal(f[4], comms[i]);
		assert_string_equal(f[3], "43");
		assert_string_equal(f[8], "0.0625");
	}
	r.comm = NULL;
	csv_format_thread_row(&r, buf, sizeof(buf));
	assert_string_equal(buf, "1700000001.75,0,42,43,,0.5,0.125,3.25,0.0625");
}

/* Joules written then read back add up to what the tracer summed. */
static void test_rows_readd(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	double sum_pkg = 0, sum_read = 0, sum_frac = 0, sum_frac_read = 0;
	char buf[512], f[32][128];
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		struct csv_target_row r = { .time = 1.7e9 + i, .duration_sec = 1 };

		/* xorshift: values spread over 12 decades, many needing 17 digits */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r.ascribed_pkg_joules =
			(double)(x >> 11) / (double)(1ULL << 53) * pow(10, (int)(x % 12) - 6);
		r.pkg_credit_frac = (double)(x & 0xffff) / 65537.0;
		sum_pkg += r.ascribed_pkg_joules;
		sum_frac += r.pkg_credit_frac;

		assert_true(csv_format_target_row(&r, buf, sizeof(buf)) > 0);
		assert_int_equal(parse_record(buf, f, 32), 17);
		sum_read += strtod(f[11], NULL);
		sum_frac_read += strtod(f[5], NULL);
		/* each value reads back bit-identical */
		assert_true(strtod(f[11], NULL) == r.ascribed_pkg_joules);
		assert_true(strtod(f[0], NULL) == r.time);
	}
	assert_true(fabs(sum_read - sum_pkg) <= 1e-9 * fabs(sum_pkg));
	assert_true(fabs(sum_frac_read - sum_frac) <= 1e-9 * fabs(sum_frac));
}

static void test_filename(void **state)
{
	char b[64];

	(void)state;
	assert_int_equal(csv_filename("traces", "target-42", b, sizeof(b)), 28);
	assert_string_equal(b, "energat_traces_target-42.csv");
	assert_true(csv_filename("threads", "my run", b, sizeof(b)) > 0);
	assert_string_equal(b, "energat_threads_my run.csv");
	assert_int_equal(csv_filename("traces", "../etc", b, sizeof(b)), -EINVAL);
	assert_int_equal(csv_filename("traces", "", b, sizeof(b)), -EINVAL);
	assert_int_equal(csv_filename("traces", "target-42", b, 10), -ENOSPC);
}

/* --- writer --- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/energat-test-csv-XXXXXX");

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

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_writer_header_once(void **state)
{
	char out[512], path[600];
	struct csv_writer *w;
	struct stat st;

	snprintf(out, sizeof(out), "%s/results/run1", (char *)*state);
	snprintf(path, sizeof(path), "%s/energat_traces_x.csv", out);

	assert_int_equal(csv_writer_open(out, "energat_traces_x.csv", "a,b", &w), 0);
	assert_int_equal(csv_writer_row(w, "1,2"), 0);
	assert_int_equal(csv_writer_row(w, "3,\"x\ny\""), 0);
	/* on disk before close: a crash now loses nothing */
	assert_string_equal(slurp(path), "a,b\n1,2\n3,\"x\ny\"\n");
	assert_int_equal(csv_writer_close(w), 0);

	assert_int_equal(csv_writer_open(out, "energat_traces_x.csv", "a,b", &w), 0);
	assert_int_equal(csv_writer_row(w, "5,6"), 0);
	assert_int_equal(csv_writer_close(w), 0);
	assert_string_equal(slurp(path), "a,b\n1,2\n3,\"x\ny\"\n5,6\n");

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(stat(out, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(csv_writer_close(NULL), 0);
}

static void test_writer_refuses_symlink(void **state)
{
	char target[512], link[512];
	struct csv_writer *w = (void *)1;
	struct stat st;
	int fd;

	snprintf(target, sizeof(target), "%s/victim", (char *)*state);
	snprintf(link, sizeof(link), "%s/energat_traces_x.csv", (char *)*state);
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(target, link), 0);

	assert_int_equal(csv_writer_open(*state, "energat_traces_x.csv", "a,b", &w), -ELOOP);
	assert_null(w);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* a dangling symlink must not be followed to create a file either */
	unlink(target);
	assert_int_equal(csv_writer_open(*state, "energat_traces_x.csv", "a,b", &w), -ELOOP);
	assert_int_equal(stat(target, &st), -1);
}

static void test_writer_refuses_odd_files(void **state)
{
	char path[512], other[512];
	struct csv_writer *w;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fifo.csv", (char *)*state);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* would block forever if opened for writing without a reader */
	assert_int_equal(csv_writer_open(*state, "fifo.csv", "a,b", &w), -EINVAL);

	snprintf(path, sizeof(path), "%s/linked.csv", (char *)*state);
	snprintf(other, sizeof(other), "%s/elsewhere", (char *)*state);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(link(path, other), 0);
	assert_int_equal(csv_writer_open(*state, "linked.csv", "a,b", &w), -EMLINK);

	assert_int_equal(csv_writer_open(*state, "a/b.csv", "a,b", &w), -EINVAL);
	assert_int_equal(csv_writer_open(*state, "..", "a,b", &w), -EINVAL);
}

static void test_writer_existing(void **state)
{
	char path[512];
	struct csv_writer *w;
	FILE *f;

	/* other columns: appending would mix two layouts in one file */
	snprintf(path, sizeof(path), "%s/other.csv", (char *)*state);
	f = fopen(path, "w");
	fputs("x,y,z\n1,2,3\n", f);
	fclose(f);
	assert_int_equal(csv_writer_open(*state, "other.csv", "a,b", &w), -EINVAL);
	/* a header that is only a prefix of ours is still different */
	f = fopen(path, "w");
	fputs("a\n", f);
	fclose(f);
	assert_int_equal(csv_writer_open(*state, "other.csv", "a,b", &w), -EINVAL);

	/* a row cut by a crash is ended, the next row starts on its own line */
	snprintf(path, sizeof(path), "%s/torn.csv", (char *)*state);
	f = fopen(path, "w");
	fputs("a,b\n1,2\n3,", f);
	fclose(f);
	assert_int_equal(csv_writer_open(*state, "torn.csv", "a,b", &w), 0);
	assert_int_equal(csv_writer_row(w, "5,6"), 0);
	assert_int_equal(csv_writer_close(w), 0);
	assert_string_equal(slurp(path), "a,b\n1,2\n3,\n5,6\n");
}

static void test_writer_write_error(void **state)
{
	struct rlimit old, lim;
	struct csv_writer *w;
	char row[200];
	int i, err = 0;

	assert_int_equal(csv_writer_open(*state, "full.csv", "a,b", &w), 0);
	/* a file size limit fails write(2) the way a full disk does */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(row, 'x', sizeof(row) - 1);
	row[sizeof(row) - 1] = '\0';
	for (i = 0; i < 100 && !err; i++)
		err = csv_writer_row(w, row);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(err, -EFBIG);
	/* close reports the earlier failure too */
	assert_int_equal(csv_writer_close(w), -EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_nospace),
		cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_format_double_locale),
		cmocka_unit_test(test_target_row),
		cmocka_unit_test(test_thread_row),
		cmocka_unit_test(test_rows_readd),
		cmocka_unit_test(test_filename),
		cmocka_unit_test_setup_teardown(test_writer_header_once, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_writer_refuses_symlink, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_writer_refuses_odd_files, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_writer_existing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_writer_write_error, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
