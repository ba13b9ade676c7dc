// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root-only: energy meters against the RAPL simulator (tests/tools/raplsim),
 * through the real CLI (`energat-bpf --check`) and through the library's
 * meter API, compared with the simulator's known power model
 *	P_pkg[s] = P0 + k busy_cpus[s]	P_dram[s] = Q0 + q busy_cpus[s]
 * where busy is measured here, independently, from /proc/stat.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e.h"
#include "meter.h"
#include "topology.h"
#include "root_test.h"
#include "workload.h"

/* Watts of the simulated sockets: a small P0 so the busy term weighs. */
#define SIM_P0 10.0
#define SIM_K 30.0
#define SIM_Q0 2.0
#define SIM_Q 4.0

static char bin[PATH_MAX];
/* Owned by the running test; teardown() cleans up after a failed assertion. */
static struct e2e_sim sim;
static pid_t kids[4];

static int teardown(void **state)
{
	int status;

	(void)state;
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], &status, 0);
		}
		kids[i] = 0;
	}
	e2e_sim_stop(&sim);
	return 0;
}

/* The line of text holding every one of the (NULL-terminated) needles, or NULL. */
static const char *find_line(const char *text, ...)
{
	const char *line = text;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[1024];
		const char *needle;
		int all = 1;
		va_list ap;

		snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) ? len : sizeof(buf) - 1),
			 line);
		va_start(ap, text);
		while ((needle = va_arg(ap, const char *)))
			all &= strstr(buf, needle) != NULL;
		va_end(ap);
		if (all)
			return line;
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

#define assert_line(text, ...)                                                    \
	do {                                                                      \
		if (!find_line(text, __VA_ARGS__, NULL))                          \
			fail_msg("no output line with all of: %s", #__VA_ARGS__); \
	} while (0)

/* Run `energat-bpf ARGS...` to completion; its stdout + stderr in *out (malloc'd). */
static int run_cli(char **out, const char *tmpdir, ...)
{
	char *argv[32], path[PATH_MAX + 32];
	const char *a;
	va_list ap;
	int argc = 0, rc;

	argv[argc++] = bin;
	va_start(ap, tmpdir);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(path, sizeof(path), "%s/cli.out", tmpdir);
	unlink(path);
	rc = e2e_run(argv, path, -1, 60);
	*out = e2e_read_file(path);
	assert_non_null(*out);
	unlink(path);
	printf("  $ energat-bpf");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("   -> exit %d\n", rc);
	return rc;
}

static void print_indented(const char *text)
{
	const char *line = text;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		int len = eol ? (int)(eol - line) : (int)strlen(line);

		printf("  | %.*s\n", len, line);
		line = eol ? eol + 1 : NULL;
	}
}

/* --check on the simulator tree: the powercap meter, both sockets, all zones. */
static void test_check_sim_tree(void **state)
{
	char *out;
	int rc;

	(void)state;
	assert_int_equal(e2e_sim_start(&sim, 2, SIM_P0, SIM_K, SIM_Q0, SIM_Q, -1), 0);
	rc = run_cli(&out, sim.dir, "--check", "--sysfs-root", sim.dir, "--basefile", sim.basefile,
		     NULL);
	print_indented(out);
	assert_int_equal(rc, 0);
	assert_line(out, "ok", "topology", "2 socket(s)", sim.dir);
	assert_line(out, "ok", "meter", "powercap", "2 package zones", "dram on 2 of 2 sockets");
	assert_line(out, "meter: powercap, 2 sockets");
	assert_line(out, "socket 0 pkg", "intel-rapl:0", "package-0");
	assert_line(out, "socket 1 pkg", "intel-rapl:1", "package-1");
	assert_line(out, "socket 0 dram", "intel-rapl:0:0");
	assert_line(out, "socket 1 dram", "intel-rapl:1:0");
	assert_line(out, "ok", "baseline", sim.basefile);
	assert_line(out, "tracing can work here");
	assert_null(strstr(out, "FAIL"));
	assert_null(strstr(out, "model"));
	free(out);
	e2e_sim_stop(&sim);
}

/* --check on an empty tree fails and names the cause. */
static void test_check_empty_tree(void **state)
{
	char dir[] = "/tmp/energat-empty-XXXXXX";
	char *out;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	rc = run_cli(&out, dir, "--check", "--sysfs-root", dir, NULL);
	print_indented(out);
	assert_int_equal(rc, 1);
	assert_line(out, "FAIL", "topology", dir, "No such file or directory");
	assert_line(out, "tracing cannot work here");
	free(out);
	rmdir(dir);
}

/*
 * A topology without powercap zones: forcing --meter powercap fails with the
 * reason; auto selection falls back to the model meter and says why.
 */
static void test_check_no_powercap(void **state)
{
	char dir[] = "/dev/shm/energat-nopc-XXXXXX", topo[PATH_MAX];
	char *out;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(e2e_path("scripts/fake-topology.sh", topo, sizeof(topo)));
	assert_int_equal(e2e_run((char *[]){ topo, dir, "2", NULL }, NULL, -1, 30), 0);

	rc = run_cli(&out, dir, "--check", "--sysfs-root", dir, "--meter", "powercap", "--basefile",
		     "/nonexistent/baseline.json", NULL);
	print_indented(out);
	assert_int_equal(rc, 1);
	assert_line(out, "FAIL", "meter", "powercap", "no powercap zones");
	assert_line(out, "tracing cannot work here");
	free(out);

	rc = run_cli(&out, dir, "--check", "--sysfs-root", dir, "--basefile",
		     "/nonexistent/baseline.json", NULL);
	print_indented(out);
	/* The perf PMU and MSRs come from the real machine: only check the fallback here. */
	if (!find_line(out, "ok", "meter", "model", NULL)) {
		free(out);
		e2e_rmtree(dir);
		printf("  skip the fallback half: this machine has a real perf or msr meter\n");
		return;
	}
	assert_int_equal(rc, 0);
	assert_line(out, "ok", "meter", "model", "estimated", "powercap", "no powercap zones");
	free(out);
	e2e_rmtree(dir);
}

/* This machine has no energy counters: plain --check explains the model meter. */
static void test_check_this_machine(void **state)
{
	char *out;
	int rc;

	(void)state;
	if (!access("/sys/class/powercap/intel-rapl:0", F_OK) ||
	    !access("/sys/bus/event_source/devices/power", F_OK) ||
	    !access("/dev/cpu/0/msr", R_OK)) {
		printf("  skip: this machine has energy counters\n");
		skip();
	}
	rc = run_cli(&out, "/tmp", "--check", "--basefile", "/nonexistent/baseline.json", NULL);
	print_indented(out);
	assert_int_equal(rc, 0);
	/* The meter line says model, that it is an estimate, and why each real meter failed. */
	assert_line(out, "ok", "meter", "model", "estimated", "powercap:", "perf:", "msr:");
	assert_line(out, "meter: model");
	assert_line(out, "tracing can work here");
	free(out);
}

static void check_close(const char *what, double got, double want, double rel)
{
	double err = want ? (got - want) / want : got;

	printf("  %-22s meter %9.4f J  P0/k model %9.4f J  diff %+6.3f%%\n", what, got, want,
	       100 * err);
	if (fabs(err) > rel)
		fail_msg("%s: meter %.4f J, model %.4f J (%+.3f%%, tolerance %.1f%%)", what, got,
			 want, 100 * err, 100 * rel);
}

/*
 * With the simulator running and sockets loaded 30% and 70% by duty-cycle
 * workloads, a 2 s meter read gives P0 dt + k busy[s] (and Q0 dt + q busy[s]
 * for DRAM) within 2% per socket. busy[s] is measured from /proc/stat over
 * the same window: the simulator's own definition (elapsed - idle - iowait),
 * so the comparison tests the meter and the tree, not a difference between
 * /proc/stat and BPF accounting (it_e2e compares with BPF).
 */
static void test_meter_read_2s(void **state)
{
	struct meter_opts mo = { 0 };
	struct e2e_cpustat a, b;
	struct meter_energy e;
	struct topology topo;
	struct meter *m = NULL;
	char why[256] = "", duty[PATH_MAX];
	pid_t *load = kids;
	int s, status;

	(void)state;
	assert_int_equal(e2e_sim_start(&sim, 2, SIM_P0, SIM_K, SIM_Q0, SIM_Q, -1), 0);
	assert_int_equal(topology_read(sim.dir, &topo), 0);
	assert_int_equal(topo.nr_sockets, 2);
	if (topo.nr_cpus != 2 || topo.cpus[0] != 0 || topo.cpus[1] != 1) {
		e2e_sim_stop(&sim);
		printf("  skip: needs CPUs 0 and 1 only (one per simulated socket)\n");
		skip();
	}
	assert_non_null(e2e_path("tools/duty", duty, sizeof(duty)));
	load[0] = e2e_spawn((char *[]){ duty, "0", "0.3", "3", NULL }, NULL, -1, 0);
	load[1] = e2e_spawn((char *[]){ duty, "1", "0.7", "3", NULL }, NULL, -1, 0);
	assert_true(load[0] > 0 && load[1] > 0);
	usleep(200000);

	mo.sysfs_root = sim.dir;
	mo.topo = &topo;
	assert_int_equal(e2e_cpustat_read(&a), 0);
	if (meter_open("powercap", &mo, &m, why, sizeof(why)))
		fail_msg("meter_open(powercap) on %s: %s", sim.dir, why);
	usleep(2000000);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e2e_cpustat_read(&b), 0);

	assert_string_equal(meter_name(m), "powercap");
	assert_int_equal(meter_nr_sockets(m), 2);
	assert_int_equal(e.anomalies, 0);
	printf("  meter dt %.4f s, /proc/stat window %.4f s\n", e.dt_sec, b.mono - a.mono);
	assert_true(fabs(e.dt_sec - 2.0) < 0.1);
	for (s = 0; s < 2; s++) {
		double busy = e2e_cpu_busy(&a, &b, s); /* fake topology: cpu s is socket s */
		char what[40];

		assert_true(e.present[ZONE_PKG][s] && e.present[ZONE_DRAM][s]);
		printf("  socket %d: busy %.4f s of %.4f s\n", s, busy, b.mono - a.mono);
		snprintf(what, sizeof(what), "socket %d package", s);
		check_close(what, e.j[ZONE_PKG][s], SIM_P0 * e.dt_sec + SIM_K * busy, 0.02);
		snprintf(what, sizeof(what), "socket %d dram", s);
		check_close(what, e.j[ZONE_DRAM][s], SIM_Q0 * e.dt_sec + SIM_Q * busy, 0.02);
		/* The busy term alone, looser: /proc/stat prints in 10 ms steps. */
		snprintf(what, sizeof(what), "socket %d package - P0", s);
		check_close(what, e.j[ZONE_PKG][s] - SIM_P0 * e.dt_sec, SIM_K * busy, 0.05);
	}
	meter_close(m);
	for (s = 0; s < 2; s++) {
		assert_int_equal(e2e_wait(load[s], 10, &status), 0);
		load[s] = 0;
	}
	e2e_sim_stop(&sim);
}

static int setup(void **state)
{
	(void)state;
	if (!need_root("it_meters"))
		return 0;
	if (!e2e_path("energat-bpf", bin, sizeof(bin)) || access(bin, X_OK)) {
		fprintf(stderr, "it_meters: no %s: run make first\n", bin);
		return -1;
	}
	return 0;
}

ROOT_TEST(test_check_sim_tree)
ROOT_TEST(test_check_empty_tree)
ROOT_TEST(test_check_no_powercap)
ROOT_TEST(test_check_this_machine)
ROOT_TEST(test_meter_read_2s)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(root_test_check_sim_tree, teardown),
		cmocka_unit_test_teardown(root_test_check_empty_tree, teardown),
		cmocka_unit_test_teardown(root_test_check_no_powercap, teardown),
		cmocka_unit_test_teardown(root_test_check_this_machine, teardown),
		cmocka_unit_test_teardown(root_test_meter_read_2s, teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("it_meters", tests, setup, NULL);
}
