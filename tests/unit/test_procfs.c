// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procfs parsers (pure) and their I/O wrappers on fake and real trees. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "procfs.h"
#include "procfs_read.h"
#include "fake_tree.h"

/*
 * A /proc/PID/stat line as kernel 6.x prints it: utime 17, stime 5,
 * num_threads 3, starttime 98765, processor 1.
 */
static int stat_line(char *buf, size_t size, int pid, const char *comm, int ppid)
{
	return snprintf(buf, size,
			"%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 3 0 98765 "
			"1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 "
			"0 0 0 0 0 0 0 0 0 0\n",
			pid, comm, ppid, pid, pid);
}

/* Copy into a heap buffer of exactly @len bytes so an over-read is caught by ASan. */
static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

static int parse_stat_exact(const char *s, size_t len, struct proc_stat *st)
{
	char *p = exact(s, len);
	int ret = parse_proc_stat(p, len, st);

	free(p);
	return ret;
}

static void test_stat_plain(void **state)
{
	struct proc_stat st;
	char line[512];
	int n;

	(void)state;
	n = stat_line(line, sizeof(line), 1234, "bash", 1);
	assert_int_equal(parse_stat_exact(line, n, &st), 0);
	assert_int_equal(st.pid, 1234);
	assert_string_equal(st.comm, "bash");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.utime, 17);
	assert_int_equal(st.stime, 5);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.starttime, 98765);
	assert_int_equal(st.processor, 1);
}

static void test_stat_comm_with_parens(void **state)
{
	struct proc_stat st;
	char line[512];
	int n;

	(void)state;
	n = stat_line(line, sizeof(line), 42, "a b) (c", 7);
	assert_int_equal(parse_stat_exact(line, n, &st), 0);
	assert_string_equal(st.comm, "a b) (c");
	assert_int_equal(st.pid, 42);
	assert_int_equal(st.ppid, 7);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.utime, 17);
	assert_int_equal(st.processor, 1);

	/* A comm that imitates the fields after it. */
	n = stat_line(line, sizeof(line), 43, ") R 99 ", 8);
	assert_int_equal(parse_stat_exact(line, n, &st), 0);
	assert_string_equal(st.comm, ") R 99 ");
	assert_int_equal(st.ppid, 8);
	assert_int_equal(st.state, 'S');
}

static void test_stat_comm_with_newline(void **state)
{
	struct proc_stat st;
	char line[512];
	int n;

	(void)state;
	n = stat_line(line, sizeof(line), 5, "x\ny", 2);
	assert_int_equal(parse_stat_exact(line, n, &st), 0);
	assert_string_equal(st.comm, "x\ny");
	assert_int_equal(st.ppid, 2);
	assert_int_equal(st.starttime, 98765);
}

static void test_stat_long_comm(void **state)
{
	struct proc_stat st;
	char line[512], comm[101];
	int n;

	(void)state;
	memset(comm, 'c', 100);
	comm[100] = '\0';
	n = stat_line(line, sizeof(line), 5, comm, 2);
	assert_int_equal(parse_stat_exact(line, n, &st), 0);
	assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
	assert_int_equal(st.processor, 1);
}

/* Every prefix that stops before the processor field must be rejected. */
static void test_stat_truncated(void **state)
{
	const char *proc_field;
	struct proc_stat st;
	char line[512];
	int n, len, field;

	(void)state;
	n = stat_line(line, sizeof(line), 1234, "a b) (c", 1);
	/* Find the end of field 39 (processor), counting fields after the last ')'. */
	proc_field = strrchr(line, ')') + 1;
	for (field = 2; field < 39; proc_field++)
		if (*proc_field == ' ')
			field++;
	assert_int_equal(*proc_field, '1');
	for (len = 0; len <= proc_field - line; len++)
		assert_int_equal(parse_stat_exact(line, len, &st), -EINVAL);
	/* Just the processor digit and nothing after: complete enough. */
	assert_int_equal(parse_stat_exact(line, proc_field - line + 1, &st), 0);
	assert_int_equal(st.processor, 1);
	assert_int_equal(parse_stat_exact(line, n, &st), 0);
}

static void test_stat_garbage(void **state)
{
	struct proc_stat st;
	char line[512];

	(void)state;
	assert_int_equal(parse_stat_exact("abc", 3, &st), -EINVAL);
	assert_int_equal(parse_stat_exact("1 (x", 4, &st), -EINVAL);
	assert_int_equal(parse_stat_exact(") 1 (", 5, &st), -EINVAL);
	assert_int_equal(parse_stat_exact("", 0, &st), -EINVAL);
	stat_line(line, sizeof(line), 1, "x", 0);
	line[0] = 'z'; /* pid */
	assert_int_equal(parse_stat_exact(line, strlen(line), &st), -EINVAL);
	stat_line(line, sizeof(line), 1, "x", 0);
	line[6] = 'Q'; /* state and ppid run together: "QQ0" */
	line[7] = 'Q';
	assert_int_equal(parse_stat_exact(line, strlen(line), &st), -EINVAL);
	stat_line(line, sizeof(line), 1, "x", 0);
	line[8] = 'x'; /* ppid */
	assert_int_equal(parse_stat_exact(line, strlen(line), &st), -EINVAL);
	/* ppid beyond int */
	snprintf(line, sizeof(line), "1 (x) S 99999999999 1");
	assert_int_equal(parse_stat_exact(line, strlen(line), &st), -EINVAL);
}

static void test_schedstat(void **state)
{
	unsigned long long run = 0, wait = 0, slices = 0;
	const char *s = "123456789 9876 42\n";
	char *p = exact(s, strlen(s));

	(void)state;
	assert_int_equal(parse_schedstat(p, strlen(s), &run, &wait, &slices), 0);
	assert_int_equal(run, 123456789ULL);
	assert_int_equal(wait, 9876);
	assert_int_equal(slices, 42);
	/* Without the newline, and with only the run time wanted. */
	run = 0;
	assert_int_equal(parse_schedstat(p, strlen(s) - 1, &run, NULL, NULL), 0);
	assert_int_equal(run, 123456789ULL);
	/* Cut inside the third number: still three numbers, "4". */
	assert_int_equal(parse_schedstat(p, strlen(s) - 2, NULL, NULL, &slices), 0);
	assert_int_equal(slices, 4);
	/* Cut before the third number. */
	assert_int_equal(parse_schedstat(p, strlen(s) - 3, &run, NULL, NULL), -EINVAL);
	free(p);

	assert_int_equal(parse_schedstat("1 2", 3, &run, NULL, NULL), -EINVAL);
	assert_int_equal(parse_schedstat("1 2 x", 5, &run, NULL, NULL), -EINVAL);
	assert_int_equal(parse_schedstat("1 2 3 4", 7, &run, NULL, NULL), -EINVAL);
	assert_int_equal(parse_schedstat("-1 2 3", 6, &run, NULL, NULL), -EINVAL);
	assert_int_equal(parse_schedstat("99999999999999999999 2 3", 24, &run, NULL, NULL),
			 -EINVAL);
	assert_int_equal(parse_schedstat("", 0, &run, NULL, NULL), -EINVAL);
}

static const char numa_sample[] =
	"00400000 default file=/usr/bin/cat mapped=8 N0=8 kernelpagesize_kB=4\n"
	"0060b000 default file=/usr/bin/cat anon=1 dirty=1 N0=1 kernelpagesize_kB=4\n"
	"01a2c000 default heap anon=33 dirty=33 N0=20 N1=13 kernelpagesize_kB=4\n"
	"7f0000000000 default file=/tmp/my\\040file\\040N1=999 mapped=2 N1=2 kernelpagesize_kB=4\n"
	/* Raw spaces and an N-like word inside a path: only the trailing fields count. */
	"7f0000100000 default file=/tmp/with space N0=7 here mapped=3 N1=3 kernelpagesize_kB=4\n"
	"7f0000200000 default file=/dev/hugepages/x huge dirty=2 N0=2 kernelpagesize_kB=2048\n"
	"7f0000400000 default anon=512 dirty=512 N1=512 kernelpagesize_kB=4\n"
	"7f0000800000 default file=/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0000900000 bind:1 anon=2 dirty=2 N99=5 N64=6 N1=1 N63=1 kernelpagesize_kB=4\n"
	"7ffd00000000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4\n"
	"7ffd10000000 default\n"
	"\n"
	"not a mapping at all N0=\n"
	"7ffd20000000 default anon=1 dirty=1 N0=1 kernelpagesize_kB=4"; /* no final newline */

#define PAGES_N0 (8 + 1 + 20 + 3 + 1)
#define PAGES_N1 (13 + 2 + 3 + 512 + 1)
#define BYTES_N0 (PAGES_N0 * 4096ULL + 2 * 2048 * 1024ULL)
#define BYTES_N1 (PAGES_N1 * 4096ULL)

/* /proc/stat's per-CPU lines; the total, other lines and short ones are refused. */
static void test_stat_cpu_line(void **state)
{
	static const char *const bad[] = {
		"cpu  10 20 30 40 50 60 70 80 0 0", /* the total */
		"intr 12345 0 0",
		"cpu3 1 2 3 4 5 6 7", /* 7 counters */
		"cpu3 1 2 3 4 x 6 7 8",
		"cpux 1 2 3 4 5 6 7 8",
		"cpu3a 1 2 3 4 5 6 7 8",
		"cpu99999999999 1 2 3 4 5 6 7 8",
		"cpu",
		"",
	};
	const char *ok = "cpu12 4705 150 1919 1257840 1203 0 52 7 0 0";
	unsigned long long v[8];
	size_t i;
	int cpu;

	(void)state;
	assert_int_equal(parse_stat_cpu_line(ok, strlen(ok), &cpu, v), 0);
	assert_int_equal(cpu, 12);
	assert_true(v[0] == 4705 && v[2] == 1919 && v[3] == 1257840 && v[4] == 1203);
	assert_true(v[7] == 7);
	/* Exactly 8 counters, the line's end at len (no NUL needed). */
	assert_int_equal(parse_stat_cpu_line(ok, 39, &cpu, v), 0);
	assert_true(v[7] == 7);
	assert_int_equal(parse_stat_cpu_line(ok, 37, &cpu, v), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_stat_cpu_line(bad[i], strlen(bad[i]), &cpu, v), -EINVAL);
}

static void test_numa_maps(void **state)
{
	size_t len = sizeof(numa_sample) - 1;
	char *p = exact(numa_sample, len);
	struct numa_usage u;
	int i;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(parse_numa_maps(p, len, &u), 0);
	assert_int_equal(u.bytes[0], BYTES_N0);
	assert_int_equal(u.bytes[1], BYTES_N1);
	assert_int_equal(u.bytes[63], 4096);
	for (i = 2; i < 63; i++)
		assert_int_equal(u.bytes[i], 0);

	/* It adds: a second process doubles the totals. */
	assert_int_equal(parse_numa_maps(p, len, &u), 0);
	assert_int_equal(u.bytes[0], 2 * BYTES_N0);
	assert_int_equal(u.bytes[1], 2 * BYTES_N1);
	free(p);
}

static void test_numa_maps_edges(void **state)
{
	struct numa_usage u;
	const char *s;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(parse_numa_maps("", 0, &u), 0);
	assert_int_equal(u.bytes[0], 0);

	/* Saturate instead of wrapping. */
	s = "1000 default anon=1 N0=18446744073709551615 kernelpagesize_kB=4\n";
	assert_int_equal(parse_numa_maps(s, strlen(s), &u), 0);
	assert_true(u.bytes[0] == ULLONG_MAX);
	s = "1000 default anon=1 N0=1 kernelpagesize_kB=4\n";
	assert_int_equal(parse_numa_maps(s, strlen(s), &u), 0);
	assert_true(u.bytes[0] == ULLONG_MAX);

	/* A node number too large for any integer is skipped, the rest counted. */
	memset(&u, 0, sizeof(u));
	s = "1000 default N99999999999999999999999=1 N2=1 kernelpagesize_kB=4";
	assert_int_equal(parse_numa_maps(s, strlen(s), &u), 0);
	assert_int_equal(u.bytes[2], 4096);

	/* Without kernelpagesize_kB the base page size applies. */
	memset(&u, 0, sizeof(u));
	s = "1000 default anon=1 N3=2\n";
	assert_int_equal(parse_numa_maps(s, strlen(s), &u), 0);
	assert_int_equal(u.bytes[3], 2ULL * sysconf(_SC_PAGESIZE));

	/* Cut in the middle of "kernelpagesize_kB": the line is dropped, not misread. */
	memset(&u, 0, sizeof(u));
	s = "1000 default anon=1 N0=2 kernelpagesize_kB=2048";
	assert_int_equal(parse_numa_maps(s, strlen(s) - 9, &u), 0);
	assert_int_equal(u.bytes[0], 0);
	/* Cut inside the page size digits: what is there is read. */
	assert_int_equal(parse_numa_maps(s, strlen(s) - 3, &u), 0);
	assert_int_equal(u.bytes[0], 2 * 2 * 1024);
}

static const char node_meminfo_sample[] = "Node 0 MemTotal:        4286240 kB\n"
					  "Node 0 MemFree:         4137840 kB\n"
					  "Node 0 MemUsed:          148400 kB\n"
					  "Node 0 SwapCached:            0 kB\n"
					  "Node 0 HugePages_Total:     0\n";

static void test_node_meminfo(void **state)
{
	size_t len = sizeof(node_meminfo_sample) - 1;
	char *p = exact(node_meminfo_sample, len);
	struct node_meminfo m;
	const char *s;

	(void)state;
	assert_int_equal(parse_node_meminfo(p, len, &m), 0);
	assert_int_equal(m.total, 4286240ULL * 1024);
	assert_int_equal(m.free, 4137840ULL * 1024);
	assert_int_equal(m.used, (4286240ULL - 4137840ULL) * 1024);
	free(p);

	/* /proc/meminfo has no "Node N" prefix. */
	s = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable: 9 kB\n";
	assert_int_equal(parse_node_meminfo(s, strlen(s), &m), 0);
	assert_int_equal(m.total, 16000000ULL * 1024);
	assert_int_equal(m.used, 15000000ULL * 1024);

	/* More free than total (racy reads): used clamps to 0. */
	s = "Node 1 MemTotal: 10 kB\nNode 1 MemFree: 11 kB\n";
	assert_int_equal(parse_node_meminfo(s, strlen(s), &m), 0);
	assert_int_equal(m.used, 0);

	s = "Node 0 MemTotal: 10 kB\nNode 0 MemFreeX: 1 kB\n";
	assert_int_equal(parse_node_meminfo(s, strlen(s), &m), -EINVAL);
	s = "Node 0 MemTotal: x kB\nNode 0 MemFree: 1 kB\n";
	assert_int_equal(parse_node_meminfo(s, strlen(s), &m), -EINVAL);
	assert_int_equal(parse_node_meminfo("", 0, &m), -EINVAL);
}

static void test_read_file_at(void **state)
{
	char *root = fake_tree_new(), buf[8];

	(void)state;
	assert_non_null(root);
	assert_int_equal(fake_write(root, "a/f", "1234567"), 0);
	assert_int_equal(read_file_at(root, "/a/f", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "1234567");
	assert_int_equal(fake_write(root, "a/f", "12345678"), 0);
	assert_int_equal(read_file_at(root, "/a/f", buf, sizeof(buf)), -EFBIG);
	assert_int_equal(read_file_at(root, "/a/missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(buf[0], '\0');
	fake_tree_destroy(root);
}

static void write_stat(const char *root, int pid, int ppid)
{
	char path[64], line[512];

	snprintf(path, sizeof(path), "%d/stat", pid);
	stat_line(line, sizeof(line), pid, "w", ppid);
	assert_int_equal(fake_write(root, path, line), 0);
}

static void test_descendants(void **state)
{
	char *root = fake_tree_new();
	int out[8], n;

	(void)state;
	assert_non_null(root);
	write_stat(root, 1, 0);
	write_stat(root, 10, 1);
	write_stat(root, 13, 10);
	write_stat(root, 11, 10);
	write_stat(root, 12, 11);
	write_stat(root, 30, 12);
	write_stat(root, 20, 1);
	write_stat(root, 21, 20);
	/* Not processes, or half gone: ignored. */
	assert_int_equal(fake_mkdir(root, "self"), 0);
	assert_int_equal(fake_mkdir(root, "40"), 0);
	assert_int_equal(fake_write(root, "sys/x", "x"), 0);

	n = proc_descendants(root, 10, out, 8);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 11);
	assert_int_equal(out[1], 13);
	assert_int_equal(out[2], 12);
	assert_int_equal(out[3], 30);

	assert_int_equal(proc_descendants(root, 1, out, 8), 7);
	assert_int_equal(proc_descendants(root, 30, out, 8), 0);
	assert_int_equal(proc_descendants(root, 10, out, 2), -E2BIG);
	assert_int_equal(out[0], 11);
	assert_int_equal(out[1], 13);
	assert_int_equal(proc_descendants(root, 99, out, 8), -ESRCH);

	/* A corrupt tree with a cycle must still terminate. */
	write_stat(root, 10, 12);
	assert_int_equal(proc_descendants(root, 10, out, 8), 4);
	fake_tree_destroy(root);
}

static void test_fake_proc_files(void **state)
{
	char *root = fake_tree_new(), *big, line[512];
	unsigned long long run = 0;
	struct numa_usage u;
	struct proc_stat st;
	struct node_meminfo m;
	size_t i, one = strlen(numa_sample) + 1;
	int tids[4];

	(void)state;
	assert_non_null(root);
	stat_line(line, sizeof(line), 77, "t h", 1);
	assert_int_equal(fake_write(root, "77/task/78/stat", line), 0);
	assert_int_equal(proc_stat_read(root, 77, 78, &st), 0);
	assert_string_equal(st.comm, "t h");
	assert_int_equal(proc_stat_read(root, 77, 0, &st), -ESRCH);
	assert_int_equal(proc_stat_read(root, 79, 0, &st), -ESRCH);

	assert_int_equal(fake_write(root, "77/task/78/schedstat", "555 1 2\n"), 0);
	assert_int_equal(proc_schedstat_read(root, 77, 78, &run), 0);
	assert_int_equal(run, 555);
	assert_int_equal(proc_schedstat_read(root, 77, 0, &run), -ESRCH);

	assert_int_equal(fake_mkdir(root, "77/task/80"), 0);
	assert_int_equal(proc_tasks(root, 77, tids, 4), 2);
	assert_int_equal(tids[0], 78);
	assert_int_equal(tids[1], 80);
	assert_int_equal(proc_tasks(root, 77, tids, 1), -E2BIG);
	assert_int_equal(proc_tasks(root, 79, tids, 4), -ESRCH);

	/* 200 copies: far beyond the first read buffer, so it has to grow. */
	big = malloc(200 * one + 1);
	assert_non_null(big);
	for (i = 0; i < 200; i++) {
		memcpy(big + i * one, numa_sample, one - 1);
		big[i * one + one - 1] = '\n';
	}
	big[200 * one] = '\0';
	assert_int_equal(fake_write(root, "77/numa_maps", big), 0);
	free(big);
	memset(&u, 0, sizeof(u));
	assert_int_equal(proc_numa_usage(root, 77, &u), 0);
	assert_int_equal(u.bytes[0], 200 * BYTES_N0);
	assert_int_equal(u.bytes[1], 200 * BYTES_N1);
	assert_int_equal(proc_numa_usage(root, 79, &u), -ESRCH);
	assert_int_equal(u.bytes[0], 200 * BYTES_N0);

	assert_int_equal(fake_write(root, "devices/system/node/node3/meminfo", node_meminfo_sample),
			 0);
	assert_int_equal(node_meminfo_read(root, 3, &m), 0);
	assert_int_equal(m.total, 4286240ULL * 1024);
	assert_int_equal(node_meminfo_read(root, 0, &m), -ENOENT);
	fake_tree_destroy(root);
}

static void test_real_self(void **state)
{
	unsigned long long run = 0;
	char expect[16];
	struct proc_stat st;
	int tid = syscall(SYS_gettid), tids[4];

	(void)state;
	assert_int_equal(proc_stat_read(NULL, getpid(), 0, &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.num_threads, 1);
	assert_true(st.processor >= 0 && st.processor < sysconf(_SC_NPROCESSORS_CONF));
	/* The kernel keeps 15 bytes of the name. */
	snprintf(expect, sizeof(expect), "%s", program_invocation_short_name);
	assert_string_equal(st.comm, expect);

	assert_int_equal(proc_stat_read("/proc", getpid(), tid, &st), 0);
	assert_int_equal(st.pid, tid);

	assert_int_equal(proc_tasks(NULL, getpid(), tids, 4), 1);
	assert_int_equal(tids[0], tid);

	/* schedstat needs CONFIG_SCHED_INFO. */
	if (!access("/proc/self/schedstat", R_OK)) {
		assert_int_equal(proc_schedstat_read(NULL, getpid(), tid, &run), 0);
		assert_true(run > 0);
	}
}

static void test_real_memory(void **state)
{
	struct node_meminfo m;
	struct numa_usage u;
	unsigned long long sum = 0;
	int i;

	(void)state;
	assert_int_equal(system_meminfo_read(NULL, &m), 0);
	assert_true(m.total > 0 && m.used > 0 && m.used < m.total);

	if (access("/proc/self/numa_maps", R_OK))
		skip();
	memset(&u, 0, sizeof(u));
	assert_int_equal(proc_numa_usage(NULL, getpid(), &u), 0);
	for (i = 0; i < ENERGAT_MAX_NODES; i++)
		sum += u.bytes[i];
	/* At least our own binary's pages are resident; less than all memory. */
	assert_true(sum > 0 && sum < m.total);

	assert_int_equal(node_meminfo_read(NULL, 0, &m), 0);
	assert_true(m.total > 0 && m.used <= m.total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_comm_with_parens),
		cmocka_unit_test(test_stat_comm_with_newline),
		cmocka_unit_test(test_stat_long_comm),
		cmocka_unit_test(test_stat_truncated),
		cmocka_unit_test(test_stat_garbage),
		cmocka_unit_test(test_schedstat),
		cmocka_unit_test(test_stat_cpu_line),
		cmocka_unit_test(test_numa_maps),
		cmocka_unit_test(test_numa_maps_edges),
		cmocka_unit_test(test_node_meminfo),
		cmocka_unit_test(test_read_file_at),
		cmocka_unit_test(test_descendants),
		cmocka_unit_test(test_fake_proc_files),
		cmocka_unit_test(test_real_self),
		cmocka_unit_test(test_real_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
