// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root-only: libenergat's C API and the Python package over it, on a RAPL
 * simulator tree (fake 2-socket topology + raplsim, baseline = its P0).
 *
 * The Python test runs the README example unchanged (EnergyTracer on its
 * own PID, output="xyz_energy") and then checks xyz_energy.csv: the
 * prototype's columns, one row per socket per interval, ascribed energy
 * above 0. The C test traces itself too and compares the library's totals
 * with the CSV it wrote and with the kernel's CPU clock of this process.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e.h"
#include "energat/energat.h"
#include "workload.h"

/* model.md §7, in this order. */
static const char *const columns[] = {
	"time",
	"socket",
	"duration_sec",
	"num_proc",
	"num_threads",
	"pkg_credit_frac",
	"dram_credit_frac",
	"total_pkg_joules",
	"total_dram_joules",
	"base_pkg_joules",
	"base_dram_joules",
	"ascribed_pkg_joules",
	"ascribed_dram_joules",
	"tracer_pkg_joules",
	"tracer_dram_joules",
	"pkg_percent",
	"dram_percent",
};

#define NCOLS ((int)(sizeof(columns) / sizeof(columns[0])))

static struct e2e_sim sim;
static int sim_up;

static int setup(void **state)
{
	(void)state;
	if (getuid() != 0)
		return 0;
	/* P0 = 20 W, k = 15 W per busy CPU; DRAM 3 W + 2 W per busy CPU. */
	if (e2e_sim_start(&sim, 2, 20, 15, 3, 2, -1))
		return -1;
	sim_up = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (sim_up)
		e2e_sim_stop(&sim);
	sim_up = 0;
	return 0;
}

/*
 * The file has the prototype's header and, per interval, one row per socket
 * (sockets 0..S-1, same time and duration). Returns the number of intervals
 * and the sum of ascribed package + DRAM joules.
 */
static int check_csv(const char *path, int sockets, double *ascribed)
{
	struct e2e_csv c;
	int i, row, intervals;

	if (e2e_csv_load(path, &c))
		fail_msg("cannot read %s", path);
	assert_int_equal(c.ncols, NCOLS);
	for (i = 0; i < NCOLS; i++)
		assert_string_equal(c.header[i], columns[i]);
	assert_true(c.nrows > 0);
	assert_int_equal(c.nrows % sockets, 0);
	intervals = c.nrows / sockets;
	*ascribed = 0;
	for (row = 0; row < c.nrows; row++) {
		int first = row - row % sockets;

		assert_true(e2e_csv_num(&c, row, "socket") == row % sockets);
		assert_true(e2e_csv_num(&c, row, "time") == e2e_csv_num(&c, first, "time"));
		assert_true(e2e_csv_num(&c, row, "duration_sec") > 0);
		if (row >= sockets)
			assert_true(e2e_csv_num(&c, row, "time") >
				    e2e_csv_num(&c, row - sockets, "time"));
		*ascribed += e2e_csv_num(&c, row, "ascribed_pkg_joules") +
			     e2e_csv_num(&c, row, "ascribed_dram_joules");
	}
	e2e_csv_free(&c);
	return intervals;
}

static long long sched_run_ns(pid_t pid)
{
	char path[64], *s;
	long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	s = e2e_read_file(path);
	if (s)
		v = strtoll(s, NULL, 10);
	free(s);
	return v;
}

static void test_c_api(void **state)
{
	struct energat_options o = { .sz = sizeof(o) };
	struct energat_result r = { .sz = sizeof(r) }, tot = { .sz = sizeof(r) };
	struct energat *e = NULL;
	char csv[PATH_MAX + 32];
	long long cpu0, cpu1, seq;
	double ascribed = 0, target_cpu = 0, csv_ascribed;
	int s, intervals;

	(void)state;
	if (!need_root("it_python"))
		skip();
	snprintf(csv, sizeof(csv), "%s/c_api.csv", sim.dir);
	o.pid = getpid();
	o.csv_path = csv;
	o.basefile = sim.basefile;
	o.sysfs_root = sim.dir;
	o.interval = 0.5;
	assert_int_equal(energat_open(&o, &e), 0);
	assert_int_equal(energat_latest(e, &r), -EAGAIN);
	/* raplsim is our child: a descendant, so part of the target (model.md §2). */
	cpu0 = process_cputime_ns() + sched_run_ns(sim.pid);
	assert_int_equal(energat_start(e), 0);
	assert_int_equal(energat_start(e), -EALREADY);
	assert_true(energat_running(e));
	assert_null(energat_end_reason(e));
	burn_ns(1500000000LL);
	seq = energat_wait(e, 1, 10000);
	assert_true(seq >= 2);
	assert_int_equal(energat_latest(e, &r), 0);
	assert_true(r.seq >= 2);
	assert_int_equal(r.nr_sockets, 2);
	assert_string_equal(r.meter, "powercap");
	assert_int_equal(r.estimated, 0);
	assert_int_equal(energat_stop(e), 0);
	cpu1 = process_cputime_ns() + sched_run_ns(sim.pid);
	assert_false(energat_running(e));
	assert_non_null(energat_end_reason(e));
	assert_int_equal(energat_totals(e, &tot), 0);
	for (s = 0; s < tot.nr_sockets; s++) {
		ascribed += tot.socket[s].ascribed_pkg_j + tot.socket[s].ascribed_dram_j;
		target_cpu += tot.socket[s].target_cpu_sec;
		/* The baseline file is the simulator's P0 and Q0 (20 W, 3 W). */
		assert_true(fabs(tot.socket[s].base_pkg_j - 20 * tot.duration_sec) <
			    0.01 * 20 * tot.duration_sec);
	}
	printf("  %llu intervals, %.3f s; this process and raplsim: %.3f s CPU (kernel clocks) "
	       "vs %.3f s "
	       "(target); ascribed %.3f J\n",
	       tot.seq, tot.duration_sec, (cpu1 - cpu0) / 1e9, target_cpu, ascribed);
	assert_true(ascribed > 0);
	/* The helper process is the tracer, not the target: the target is us. */
	assert_true(fabs(target_cpu - (cpu1 - cpu0) / 1e9) < 0.05 * (cpu1 - cpu0) / 1e9 + 0.05);
	intervals = check_csv(csv, 2, &csv_ascribed);
	assert_int_equal(intervals, (int)tot.seq);
	assert_true(fabs(csv_ascribed - ascribed) < 1e-6 * ascribed);
	energat_close(e);
}

static void test_c_api_errors(void **state)
{
	struct energat_options o = { .sz = sizeof(o) };
	struct energat *e = (struct energat *)1;
	char nofile[PATH_MAX + 32];

	(void)state;
	assert_int_equal(energat_open(NULL, &e), -EINVAL);
	assert_null(e);
	assert_true(strlen(energat_errmsg()) > 0);
	o.sz = 0;
	assert_int_equal(energat_open(&o, &e), -EINVAL);
	assert_non_null(strstr(energat_errmsg(), "sz"));
	o.sz = sizeof(o);
	o.pid = -3;
	assert_int_equal(energat_open(&o, &e), -EINVAL);
	assert_non_null(strstr(energat_errmsg(), "pid"));
	o.pid = 4194303; /* PID_MAX_LIMIT - 1: practically never in use */
	assert_int_equal(energat_open(&o, &e), -ESRCH);
	assert_string_equal(energat_errmsg(), "no process with PID 4194303");
	o.pid = getpid();
	o.interval = 1e9;
	assert_int_equal(energat_open(&o, &e), -EINVAL);
	assert_non_null(strstr(energat_errmsg(), "interval"));
	o.interval = 0;
	o.meter = "rapl";
	assert_int_equal(energat_open(&o, &e), -EINVAL);
	assert_non_null(strstr(energat_errmsg(), "unknown meter 'rapl'"));
	o.meter = NULL;
	o.name = "a/b";
	assert_int_equal(energat_open(&o, &e), -EINVAL);
	o.name = NULL;
	assert_string_equal(energat_version(), ENERGAT_VERSION_STRING);
	if (!need_root("it_python"))
		skip();
	/* Start fails with the session's own message: here, no baseline file. */
	snprintf(nofile, sizeof(nofile), "%s/none.json", sim.dir);
	o.basefile = nofile;
	o.sysfs_root = sim.dir;
	assert_int_equal(energat_open(&o, &e), 0);
	assert_int_equal(energat_start(e), -ENOENT);
	printf("  %s\n", energat_errmsg());
	assert_non_null(strstr(energat_errmsg(), "no baseline power file"));
	assert_false(energat_running(e));
	energat_close(e);
}

/* The README's example, verbatim, then checks of what it did. */
static const char readme_example[] = "import os, time\n"
				     "from energat.tracer import EnergyTracer\n"
				     "\n"
				     "def work():\n"
				     "    end = time.process_time() + 2\n"
				     "    while time.process_time() < end:\n"
				     "        pass\n"
				     "\n"
				     "with EnergyTracer(os.getpid(), output=\"xyz_energy\"):\n"
				     "    work()\n";

static const char python_checks[] =
	"\n"
	"# ---- checks (not part of the README) ----\n"
	"import ctypes, sys\n"
	"from energat import EnergatError, _lib, version\n"
	"sizes = [int(x) for x in os.environ['IT_SIZES'].split(',')]\n"
	"assert [ctypes.sizeof(_lib.Options), ctypes.sizeof(_lib.Result),\n"
	"        ctypes.sizeof(_lib.Socket)] == sizes, sizes\n"
	"assert version() == os.environ['IT_VERSION']\n"
	"try:\n"
	"    EnergyTracer(os.getpid(), output='x', basefile='/nonexistent/b.json').launch()\n"
	"    sys.exit('no exception without a baseline file')\n"
	"except EnergatError as e:\n"
	"    assert 'no baseline power file' in str(e) and e.errno == 2, e\n"
	"try:\n"
	"    EnergyTracer(4194303)\n"
	"    sys.exit('no exception for a missing PID')\n"
	"except EnergatError as e:\n"
	"    assert e.strerror == 'no process with PID 4194303', e\n"
	"t = EnergyTracer(os.getpid(), output='xyz_latest', interval=0.5)\n"
	"with t:\n"
	"    seq = t.wait(1, timeout=10)\n"
	"    last = t.latest()\n"
	"assert seq >= 2 and last['seq'] >= 2 and last['nr_sockets'] == 2, (seq, last)\n"
	"assert last['meter'] == 'powercap' and not last['estimated']\n"
	"tot = t.totals()\n"
	"assert tot['seq'] >= last['seq'] and len(tot['sockets']) == 2\n"
	"print('python checks passed')\n";

/*
 * The normal build is found the way a user's checkout is (build/ next to
 * python/). Another build directory (e.g. make test-asan's) is named with
 * ENERGAT_LIB, and a sanitized library needs its runtime preloaded into the
 * (uninstrumented) python3.
 */
static void use_this_build(const char *repo)
{
	char mine[PATH_MAX], real_mine[PATH_MAX], def[PATH_MAX + 32], real_def[PATH_MAX];

	unsetenv("ENERGAT_LIB");
	if (!e2e_path("libenergat.so", mine, sizeof(mine)) || !realpath(mine, real_mine))
		fail_msg("no libenergat.so next to this test");
	snprintf(def, sizeof(def), "%s/build/libenergat.so", repo);
	if (!realpath(def, real_def) || strcmp(real_def, real_mine))
		setenv("ENERGAT_LIB", real_mine, 1);
#if defined(__SANITIZE_ADDRESS__)
	{
		char rt[PATH_MAX] = "";
		FILE *p = popen("${CC:-cc} -print-file-name=libasan.so", "r");

		if (p && fgets(rt, sizeof(rt), p))
			rt[strcspn(rt, "\n")] = '\0';
		if (p)
			pclose(p);
		setenv("LD_PRELOAD", rt, 1);
		/* python3's own leaks are not ours; the children only see this. */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
	}
#endif
}

static void test_python_readme(void **state)
{
	char repo[PATH_MAX], path[PATH_MAX], script[PATH_MAX + 32], log[PATH_MAX + 32],
		csv[PATH_MAX + 32], cmd[PATH_MAX * 3], pypath[PATH_MAX + 32], sizes[64];
	double ascribed;
	int rc, intervals;
	FILE *f;

	(void)state;
	if (!need_root("it_python"))
		skip();
	if (system("command -v python3 >/dev/null 2>&1"))
		fail_msg("python3 is missing: run scripts/setup.sh");
	/* build/tests/it_python -> the repository (python/ sits next to build/). */
	assert_non_null(e2e_path("scripts/fake-topology.sh", path, sizeof(path)));
	assert_non_null(realpath(path, repo));
	*strrchr(repo, '/') = '\0';
	*strrchr(repo, '/') = '\0';
	snprintf(pypath, sizeof(pypath), "%s/python", repo);

	snprintf(script, sizeof(script), "%s/readme_example.py", sim.dir);
	snprintf(log, sizeof(log), "%s/python.log", sim.dir);
	snprintf(csv, sizeof(csv), "%s/xyz_energy.csv", sim.dir);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs(readme_example, f);
	fputs(python_checks, f);
	fclose(f);

	/* The simulator tree and its baseline, as a user's environment would give them. */
	setenv("PYTHONPATH", pypath, 1);
	setenv("ENERGAT_SYSFS_ROOT", sim.dir, 1);
	setenv("ENERGAT_BASEFILE", sim.basefile, 1);
	snprintf(sizes, sizeof(sizes), "%zu,%zu,%zu", sizeof(struct energat_options),
		 sizeof(struct energat_result), sizeof(struct energat_socket));
	setenv("IT_SIZES", sizes, 1);
	setenv("IT_VERSION", ENERGAT_VERSION_STRING, 1);
	use_this_build(repo);
	snprintf(cmd, sizeof(cmd), "cd '%s' && exec python3 -B '%s'", sim.dir, script);
	rc = e2e_run((char *[]){ "/bin/sh", "-c", cmd, NULL }, log, -1, 60);
	unsetenv("ENERGAT_SYSFS_ROOT");
	unsetenv("ENERGAT_BASEFILE");
	unsetenv("LD_PRELOAD");
	{
		char *out = e2e_read_file(log);

		printf("%s", out ? out : "");
		free(out);
	}
	assert_int_equal(rc, 0);
	intervals = check_csv(csv, 2, &ascribed);
	printf("  xyz_energy.csv: %d intervals x 2 sockets, ascribed %.3f J\n", intervals,
	       ascribed);
	assert_true(intervals >= 2);
	assert_true(ascribed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_api_errors),
		cmocka_unit_test(test_c_api),
		cmocka_unit_test(test_python_readme),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
