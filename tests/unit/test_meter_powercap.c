// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * powercap meter on fake sysfs trees: zone discovery by name, socket mapping,
 * deltas, wrap-around, anomalies, error messages, auto selection, and the
 * raplsim simulator end to end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "energy.h"
#include "meter.h"
#include "topology.h"
#include "fake_tree.h"
#include "meter_fake.h"

#define RANGE 262143328850ULL

static int open_pc(const char *root, const struct topology *t, struct meter **m, char *why)
{
	struct meter_opts o = {
		.sysfs_root = root, .dev_root = root, .proc_root = root, .topo = t
	};

	return meter_open("powercap", &o, m, why, WHY);
}

static struct topology *topo_2s(void)
{
	static const int cpus[] = { 0, 1, 2, 3 }, sock[] = { 0, 1, 0, 1 }, pkg[] = { 0, 1 };

	return meter_fake_topo(4, cpus, sock, 2, pkg);
}

static struct topology *topo_1s(void)
{
	static const int cpus[] = { 0, 1 }, sock[] = { 0, 0 }, pkg[] = { 0 };

	return meter_fake_topo(2, cpus, sock, 1, pkg);
}

static void must_read(struct meter *m, struct meter_energy *e)
{
	assert_int_equal(meter_read(m, NULL, e), 0);
}

static char *describe(const struct meter *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	meter_describe(m, f);
	fclose(f);
	return buf;
}

static void intel_server(const char *root)
{
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0", 1000000, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:0", "dram", 2000000, 65712999613ULL),
			 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1", "package-1", 3000000, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1:0", "dram", 4000000, 65712999613ULL),
			 0);
	/* the control type directory itself: not a zone */
	assert_int_equal(fake_write(root, "class/powercap/intel-rapl/enabled", "1\n"), 0);
}

static void test_intel_2socket_dram(void **state)
{
	const char *root = *state;
	struct topology *t = topo_2s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY], *d;

	intel_server(root);
	assert_int_equal(open_pc(root, t, &m, why), 0);
	assert_string_equal(meter_name(m), "powercap");
	assert_int_equal(meter_nr_sockets(m), 2);
	assert_int_equal(meter_is_fallback(m), 0);
	assert_true(meter_has_zone(m, ZONE_DRAM));
	assert_false(meter_has_zone(m, ZONE_CORE));
	assert_non_null(strstr(why, "2 package zones"));
	assert_non_null(strstr(why, "dram on 2 of 2 sockets"));

	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 6000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:0", 3500000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 10000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1:0", 4250000), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 5.0);
	assert_j(e.j[ZONE_DRAM][0], 1.5);
	assert_j(e.j[ZONE_PKG][1], 7.0);
	assert_j(e.j[ZONE_DRAM][1], 0.25);
	assert_int_equal(e.present[ZONE_PKG][0] + e.present[ZONE_PKG][1], 2);
	assert_int_equal(e.present[ZONE_DRAM][0] + e.present[ZONE_DRAM][1], 2);
	assert_int_equal(e.present[ZONE_PSYS][0], 0);
	assert_true(e.dt_sec >= 0 && e.dt_sec < 5);

	/* nothing moved: zero, not the previous delta again */
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 0);
	assert_j(e.j[ZONE_DRAM][1], 0);

	d = describe(m);
	assert_non_null(strstr(d, "meter: powercap, 2 sockets"));
	assert_non_null(strstr(d, "intel-rapl:0:0"));
	assert_non_null(strstr(d, "max_energy_range_uj 262143328850"));
	assert_non_null(strstr(d, "max_energy_range_uj 65712999613"));
	free(d);
	meter_close(m);
	free(t);
}

/* Sockets follow the topology's package ids, not the zone numbers. */
static void test_pkg_id_mapping(void **state)
{
	static const int cpus[] = { 0, 4 }, sock[] = { 0, 1 }, pkg[] = { 1, 3 };
	const char *root = *state;
	struct topology *t = meter_fake_topo(2, cpus, sock, 2, pkg);
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-3", 0, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1", "package-1", 0, RANGE), 0);
	assert_int_equal(open_pc(root, t, &m, why), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 3000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 1000000), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 1.0); /* package-1 */
	assert_j(e.j[ZONE_PKG][1], 3.0); /* package-3 */
	meter_close(m);

	/* without a topology: package ids in ascending order, the same answer */
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	assert_int_equal(meter_nr_sockets(m), 2);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 3500000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 1250000), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 0.25);
	assert_j(e.j[ZONE_PKG][1], 0.5);
	meter_close(m);
	free(t);
}

/* Client CPU: intel-rapl:0:0 is core, not dram (the prototype's mistake). */
static void test_intel_client(void **state)
{
	const char *root = *state;
	struct topology *t = topo_1s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY], *d;

	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0", 100, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:0", "core", 200, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:1", "uncore", 300, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1", "psys", 400, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl-mmio:0", "package-0", 500, RANGE), 0);
	assert_int_equal(open_pc(root, t, &m, why), 0);
	assert_int_equal(meter_nr_sockets(m), 1);
	assert_false(meter_has_zone(m, ZONE_DRAM));
	assert_true(meter_has_zone(m, ZONE_CORE));
	assert_true(meter_has_zone(m, ZONE_UNCORE));
	assert_true(meter_has_zone(m, ZONE_PSYS));

	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 2000100), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:0", 1500200), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:1", 100300), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 3000400), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl-mmio:0", 9000500), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 2.0); /* the MMIO duplicate is not added */
	assert_j(e.j[ZONE_CORE][0], 1.5);
	assert_j(e.j[ZONE_UNCORE][0], 0.1);
	assert_j(e.j[ZONE_PSYS][0], 3.0);
	assert_j(e.j[ZONE_DRAM][0], 0);
	assert_int_equal(e.present[ZONE_DRAM][0], 0);
	assert_int_equal(e.present[ZONE_PSYS][0], 1);

	d = describe(m);
	assert_non_null(
		strstr(d, "skipped intel-rapl-mmio:0 (\"package-0\"): duplicate of intel-rapl:0"));
	assert_non_null(strstr(d, "no dram zone"));
	assert_non_null(strstr(d, "core"));
	free(d);
	meter_close(m);
	free(t);
}

/* A package only exposed through MMIO is used. */
static void test_mmio_only(void **state)
{
	const char *root = *state;
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	assert_int_equal(meter_fake_zone(root, "intel-rapl-mmio:0", "package-0", 0, RANGE), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl-mmio:0", 4000000), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 4.0);
	meter_close(m);
}

static void test_amd_package_only(void **state)
{
	const char *root = *state;
	struct topology *t = topo_2s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0", 10, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1", "package-1", 20, RANGE), 0);
	assert_int_equal(open_pc(root, t, &m, why), 0);
	assert_false(meter_has_zone(m, ZONE_DRAM));
	assert_non_null(strstr(why, "dram on 0 of 2 sockets"));
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 1250010), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 20), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 1.25);
	assert_j(e.j[ZONE_PKG][1], 0);
	assert_int_equal(e.present[ZONE_DRAM][0] + e.present[ZONE_DRAM][1], 0);
	meter_close(m);
	free(t);
}

/* Dies of one package are summed into its socket. */
static void test_multi_die(void **state)
{
	const char *root = *state;
	struct topology *t = topo_1s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0-die-0", 0, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:0", "dram", 0, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1", "package-0-die-1", 0, RANGE), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:1:0", "dram", 0, RANGE), 0);
	assert_int_equal(open_pc(root, t, &m, why), 0);
	assert_int_equal(meter_nr_sockets(m), 1);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 1000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 2000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:0", 100000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1:0", 200000), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 3.0);
	assert_j(e.j[ZONE_DRAM][0], 0.3);
	meter_close(m);
	free(t);
}

/* A package without online CPUs in the topology is skipped, with a note. */
static void test_unmapped_package(void **state)
{
	const char *root = *state;
	struct topology *t = topo_1s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY], *d;

	intel_server(root);
	assert_int_equal(open_pc(root, t, &m, why), 0);
	assert_int_equal(meter_nr_sockets(m), 1);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 2000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 9000000), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 1.0);
	assert_j(e.j[ZONE_PKG][1], 0);
	d = describe(m);
	assert_non_null(strstr(d, "package 1 has no online CPU"));
	free(d);
	meter_close(m);
	free(t);
}

static void test_empty_tree_forced(void **state)
{
	const char *root = *state;
	struct meter *m = (struct meter *)1;
	char why[WHY];
	int err;

	/* no class/powercap at all */
	err = open_pc(root, NULL, &m, why);
	assert_int_equal(err, -ENOENT);
	assert_null(m);
	assert_non_null(strstr(why, "no powercap zones under"));
	assert_non_null(strstr(why, "/class/powercap"));

	/* the directory exists, with only foreign entries */
	assert_int_equal(fake_mkdir(root, "class/powercap/dtpm:0"), 0);
	assert_int_equal(fake_write(root, "class/powercap/intel-rapl/enabled", "0\n"), 0);
	err = open_pc(root, NULL, &m, why);
	assert_int_equal(err, -ENODEV);
	assert_non_null(strstr(why, "no powercap zones under"));

	/* only a dram zone, no package */
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:0", "dram", 0, RANGE), 0);
	err = open_pc(root, NULL, &m, why);
	assert_true(err < 0);
	assert_null(m);
}

static void test_auto_fallback_model(void **state)
{
	const char *root = *state;
	struct meter_opts o = { .sysfs_root = root, .dev_root = root, .proc_root = root };
	struct meter_input in = { .dt_sec = 1.0 };
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	assert_int_equal(meter_open(NULL, &o, &m, why, sizeof(why)), 0);
	assert_string_equal(meter_name(m), "model");
	assert_int_equal(meter_is_fallback(m), 1);
	assert_non_null(strstr(why, "model"));
	assert_non_null(strstr(why, "powercap: no powercap zones under"));
	assert_non_null(strstr(why, "perf: no perf power PMU"));
	assert_non_null(strstr(why, "msr: "));
	assert_int_equal(meter_read(m, &in, &e), 0);
	assert_j(e.j[ZONE_PKG][0], METER_MODEL_PKG_IDLE_W);
	meter_close(m);
}

static void test_auto_picks_powercap(void **state)
{
	const char *root = *state;
	struct meter_opts o = { .sysfs_root = root, .dev_root = root, .proc_root = root };
	struct meter *m;
	char why[WHY];

	intel_server(root);
	assert_int_equal(meter_open(NULL, &o, &m, why, sizeof(why)), 0);
	assert_string_equal(meter_name(m), "powercap");
	assert_int_equal(meter_is_fallback(m), 0);
	assert_non_null(strstr(why, "powercap: 2 package zones"));
	meter_close(m);

	assert_int_equal(meter_open("bogus", &o, &m, why, sizeof(why)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(why, "unknown meter 'bogus'"));
	meter_close(NULL);
}

static void test_missing_files(void **state)
{
	const char *root = *state;
	struct meter *m;
	char why[WHY], path[PATH_MAX], *d;

	intel_server(root);
	snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:1/energy_uj", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -ENOENT);
	assert_non_null(strstr(why, "intel-rapl:1/energy_uj"));
	assert_non_null(strstr(why, "No such file"));

	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 5), 0);
	snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:0:0/max_energy_range_uj", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -ENOENT);
	assert_non_null(strstr(why, "intel-rapl:0:0/max_energy_range_uj"));

	assert_int_equal(
		fake_write(root, "class/powercap/intel-rapl:0:0/max_energy_range_uj", "0\n"), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -EINVAL);
	assert_non_null(strstr(why, "max_energy_range_uj is 0"));

	/* a zone without a name is not understood: skipped, with a note */
	assert_int_equal(
		fake_write(root, "class/powercap/intel-rapl:0:0/max_energy_range_uj", "9\n"), 0);
	snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:1/name", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	assert_int_equal(meter_nr_sockets(m), 1);
	d = describe(m);
	assert_non_null(strstr(d, "skipped intel-rapl:1: cannot read its name"));
	assert_non_null(strstr(d, "skipped intel-rapl:1:0"));
	free(d);
	meter_close(m);
}

static int drop_dac_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c))
		return -1;
	/* permitted too: access(2) as uid 0 checks the permitted set */
	c[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
	c[0].permitted &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
	return syscall(SYS_capset, &h, c) ? -1 : 0;
}

/* energy_uj is 0400 root since CVE-2020-8694: the message says so. */
static void test_unreadable_eacces(void **state)
{
	const char *root = *state;
	char path[PATH_MAX];
	int status;
	pid_t pid;

	intel_server(root);
	snprintf(path, sizeof(path), "%s/class/powercap/intel-rapl:0/energy_uj", root);
	assert_int_equal(chmod(path, 0), 0);
	/* Root reads anything: try without the DAC override capabilities. */
	pid = fork();
	if (pid < 0)
		skip();
	if (pid == 0) {
		struct meter *m;
		char why[WHY];
		int err;

		if (access(path, R_OK) == 0 && (drop_dac_caps() || access(path, R_OK) == 0))
			_exit(77);
		err = open_pc(root, NULL, &m, why);
		if (err != -EACCES || !strstr(why, "CVE-2020-8694") ||
		    !strstr(why, "run as root") || !strstr(why, "intel-rapl:0/energy_uj")) {
			fprintf(stderr, "err %d why: %s\n", err, why);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_garbage_open(void **state)
{
	const char *root = *state;
	struct meter *m;
	char why[WHY];

	intel_server(root);
	assert_int_equal(meter_fake_energy(root, "intel-rapl:0:0", "12abc\n"), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -EINVAL);
	assert_non_null(strstr(why, "intel-rapl:0:0/energy_uj: not a counter value"));
	assert_int_equal(meter_fake_energy(root, "intel-rapl:0:0", ""), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -EINVAL);
	assert_int_equal(meter_fake_energy(root, "intel-rapl:0:0", "-5\n"), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -EINVAL);
	assert_int_equal(meter_fake_energy(root, "intel-rapl:0:0", "99999999999999999999999\n"), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), -ERANGE);
}

/* Garbage at read time: an anomaly, then a clean restart from the next value. */
static void test_garbage_read_resync(void **state)
{
	const char *root = *state;
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	intel_server(root);
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	assert_int_equal(meter_fake_energy(root, "intel-rapl:0", "garbage\n"), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:0", 2500000), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 1u << ZONE_PKG);
	assert_j(e.j[ZONE_PKG][0], 0);
	assert_j(e.j[ZONE_PKG][1], 0);
	assert_j(e.j[ZONE_DRAM][0], 0.5); /* other zones unaffected */

	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 50000000), 0);
	must_read(m, &e); /* restarts from 50 J: nothing booked */
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 0);

	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 51000000), 0);
	must_read(m, &e);
	assert_j(e.j[ZONE_PKG][0], 1.0);

	/* an empty file is the same kind of anomaly */
	assert_int_equal(fake_write(root, "class/powercap/intel-rapl:0/energy_uj", ""), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 1u << ZONE_PKG);
	meter_close(m);
}

static void test_wrap_once(void **state)
{
	const char *root = *state;
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0", RANGE - 3000000, RANGE),
			 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:0", "dram", 900000, 1000000), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 2000000), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:0", 100000), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 5.0); /* not the range (262 kJ) as the prototype booked */
	assert_j(e.j[ZONE_DRAM][0], 0.2);
	meter_close(m);
}

/* Two reads microseconds apart straddling a wrap: tiny delta, no anomaly. */
static void test_wrap_short_interval(void **state)
{
	const char *root = *state;
	struct meter_energy e;
	struct meter *m;
	char why[WHY];
	int i;

	/*
	 * Wrap arithmetic alone: a 1 J range wraps in 0.5 ms at the default
	 * 2000 W bound, so reads this close would count as "may have wrapped
	 * unseen". A negative bound turns the power checks off (meter.h).
	 */
	struct meter_opts o = { .sysfs_root = root, .max_socket_w = -1 };

	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0", 999990, 1000000), 0);
	assert_int_equal(meter_open("powercap", &o, &m, why, WHY), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 5), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_true(e.dt_sec < 0.5);
	assert_j(e.j[ZONE_PKG][0], 15e-6);

	/* many wraps in a row, each read seeing at most one */
	for (i = 1; i <= 5; i++) {
		assert_int_equal(
			meter_fake_energy_uj(root, "intel-rapl:0", (5 + i * 700000) % 1000000), 0);
		must_read(m, &e);
		assert_int_equal(e.anomalies, 0);
		assert_j(e.j[ZONE_PKG][0], 0.7);
	}
	meter_close(m);
}

static void test_backwards_beyond_range(void **state)
{
	const char *root = *state;
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	/* a counter above its own range that then drops: no wrap explains it */
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0", "package-0", 5000000, 1000000), 0);
	assert_int_equal(meter_fake_zone(root, "intel-rapl:0:0", "dram", 10, 1000000), 0);
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 10), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0:0", 20010), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 1u << ZONE_PKG);
	assert_j(e.j[ZONE_PKG][0], 0);
	assert_j(e.j[ZONE_DRAM][0], 0.02);
	/* the next read continues from the new value */
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 400010), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 0.4);
	meter_close(m);
}

/* A delta no socket can draw is reported, not booked. */
static void test_implausible_power(void **state)
{
	const char *root = *state;
	struct meter_opts o = { .sysfs_root = root };
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	intel_server(root);
	assert_int_equal(open_pc(root, NULL, &m, why), 0);
	/* 100 kJ within milliseconds */
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 100003000000ULL), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:0", 2000000), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 1u << ZONE_PKG);
	assert_j(e.j[ZONE_PKG][0], 0); /* the whole zone is withheld */
	assert_j(e.j[ZONE_PKG][1], 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 100004000000ULL), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][1], 1.0);
	meter_close(m);

	/* the check can be turned off */
	o.max_socket_w = -1;
	assert_int_equal(meter_open("powercap", &o, &m, why, sizeof(why)), 0);
	assert_int_equal(meter_fake_energy_uj(root, "intel-rapl:1", 200004000000ULL), 0);
	must_read(m, &e);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][1], 100000.0);
	meter_close(m);
}

/* ---- raplsim end to end ---- */

struct cpu_idle {
	double t;
	int n;
	unsigned long long idle[1024]; /* idle + iowait ticks by cpu id */
	int seen[1024];
};

static void read_idle(struct cpu_idle *c)
{
	char buf[65536], *line, *save = NULL;
	struct timespec ts;
	int fd, n;

	memset(c, 0, sizeof(*c));
	fd = open("/proc/stat", O_RDONLY);
	assert_true(fd >= 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	c->t = ts.tv_sec + ts.tv_nsec * 1e-9;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long f[5];
		int id;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue; /* not a cpuN line ("cpu " is the total) */
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu", &id, &f[0], &f[1], &f[2], &f[3],
			   &f[4]) == 6 &&
		    id >= 0 && id < 1024) {
			c->idle[id] = f[3] + f[4];
			c->seen[id] = 1;
		}
	}
}

/* Busy CPU-seconds of socket @s (cpu i -> i mod @nsock) between two samples. */
static double busy_between(const struct cpu_idle *a, const struct cpu_idle *b, int s, int nsock)
{
	double hz = sysconf(_SC_CLK_TCK), busy = 0;
	int id;

	for (id = s; id < 1024; id += nsock)
		if (a->seen[id] && b->seen[id])
			busy += (b->t - a->t) - (b->idle[id] - a->idle[id]) / hz;
	return busy;
}

static int find_raplsim(char *path, size_t size)
{
	const char *env = getenv("RAPLSIM");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(path, size, "%s", env);
		return access(path, X_OK);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	/* build/tests/test_meter_powercap -> build/tools/raplsim */
	if (snprintf(path, size, "%s/../tools/raplsim", exe) >= (int)size)
		return -1;
	return access(path, X_OK);
}

static int wait_ready(const char *dir, double timeout)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), "%s/.raplsim-ready", dir);
	for (i = 0; i < timeout * 100; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * raplsim at P0 = 50 W, k = 10 W per busy CPU, DRAM 5 W + 2 W per busy CPU,
 * with a 10 J range so that the counters wrap every ~0.2 s; reads every
 * 50 ms for ~1.5 s must add up to P0*dt + k*busy within 3%.
 */
static void test_raplsim(void **state)
{
	const double p0 = 50, k = 10, q0 = 5, q = 2;
	char sim[PATH_MAX], dirbuf[] = "/dev/shm/energat-raplsim.XXXXXX", *dir, *fallback = NULL;
	double pkg[2] = { 0 }, dram[2] = { 0 }, dt = 0, busy[2], want;
	struct meter_opts o = { 0 };
	struct cpu_idle a, b;
	unsigned int anomalies = 0;
	int s, err, reads = 0, status;
	struct meter_energy e;
	struct meter *m = NULL;
	char why[WHY];
	pid_t pid;

	(void)state;
	if (find_raplsim(sim, sizeof(sim))) {
		print_message("raplsim not built (%s): skipped\n", sim);
		skip();
	}
	/* tmpfs keeps the simulator's renames cheap */
	dir = mkdtemp(dirbuf);
	if (!dir)
		dir = fallback = fake_tree_new();
	assert_non_null(dir);

	pid = fork();
	if (pid < 0) {
		fake_tree_remove(dir);
		free(fallback);
		skip();
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(sim, sim, "--root", dir, "--sockets", "2", "--p0", "50", "--k", "10", "--q0",
		      "5", "--q", "2", "--range-uj", "10000000", "--period-ms", "1", "--duration",
		      "30", (char *)NULL);
		_exit(127);
	}
	err = wait_ready(dir, 5);
	if (!err) {
		o.sysfs_root = dir;
		/* 10 J wraps in 5 ms at the default 2000 W bound; this tree draws < 100 W. */
		o.max_socket_w = 100;
		err = meter_open("powercap", &o, &m, why, sizeof(why));
	}
	if (!err) {
		read_idle(&a);
		while (dt < 1.5) {
			usleep(50000);
			err = meter_read(m, NULL, &e);
			if (err)
				break;
			reads++;
			anomalies |= e.anomalies;
			dt += e.dt_sec;
			for (s = 0; s < 2; s++) {
				pkg[s] += e.j[ZONE_PKG][s];
				dram[s] += e.j[ZONE_DRAM][s];
			}
		}
		read_idle(&b);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	meter_close(m);
	fake_tree_remove(dir);
	free(fallback);

	assert_int_equal(err, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(anomalies, 0);
	assert_true(reads >= 20);
	for (s = 0; s < 2; s++) {
		busy[s] = busy_between(&a, &b, s, 2);
		want = p0 * dt + k * busy[s];
		print_message(
			"socket %d: %.3f s, busy %.3f cpu-s: pkg %.3f J (model %.3f J, %+.2f%%)\n",
			s, dt, busy[s], pkg[s], want, 100 * (pkg[s] - want) / want);
		if (fabs(pkg[s] - want) > 0.03 * want)
			fail_msg("socket %d package %.3f J, want %.3f J +-3%%", s, pkg[s], want);
		want = q0 * dt + q * busy[s];
		if (fabs(dram[s] - want) > 0.03 * want)
			fail_msg("socket %d dram %.3f J, want %.3f J +-3%%", s, dram[s], want);
		/* more than the 10 J range went by: wraps were handled */
		assert_true(pkg[s] > 20);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intel_2socket_dram, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_pkg_id_mapping, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_intel_client, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_mmio_only, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_amd_package_only, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_multi_die, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_package, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_empty_tree_forced, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_auto_fallback_model, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_auto_picks_powercap, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_missing_files, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_eacces, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_garbage_open, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_garbage_read_resync, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_wrap_once, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_wrap_short_interval, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_backwards_beyond_range, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_implausible_power, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test(test_raplsim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
