// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * perf, msr and model meters: perf on a fake power PMU tree with a fake
 * perf_event_open, msr on fake DEV/cpu/N/msr files (8-byte little-endian
 * values at MSR offsets) and a fake cpuinfo, the model meter's arithmetic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "meter.h"
#include "topology.h"
#include "fake_tree.h"
#include "meter_fake.h"

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

/* Sparse CPU ids: socket 0 = cpus 2,3; socket 1 = cpus 5,8. */
static struct topology *topo_sparse(void)
{
	static const int cpus[] = { 2, 3, 5, 8 }, sock[] = { 0, 0, 1, 1 }, pkg[] = { 0, 1 };

	return meter_fake_topo(4, cpus, sock, 2, pkg);
}

static struct topology *topo_2s(void)
{
	static const int cpus[] = { 0, 1, 2, 3 }, sock[] = { 0, 1, 0, 1 }, pkg[] = { 0, 1 };

	return meter_fake_topo(4, cpus, sock, 2, pkg);
}

/* ---- perf ---- */

#define PMU "bus/event_source/devices/power/"

struct fake_counter {
	__u32 type;
	__u64 config;
	int cpu;
	int rfd, wfd;
	__u64 count;
};

static struct fake_counter counters[16];
static int nr_counters;
static int perf_fail; /* returned by the fake perf_event_open when set */

/* A pipe per counter: each read() takes the next 8-byte count pushed. */
static int fake_perf_open(__u32 type, __u64 config, int cpu)
{
	struct fake_counter *c = &counters[nr_counters];
	int p[2];

	if (perf_fail)
		return perf_fail;
	if (nr_counters == 16 || pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -EMFILE;
	c->type = type;
	c->config = config;
	c->cpu = cpu;
	c->rfd = p[0];
	c->wfd = p[1];
	c->count = 1000000 * (config + 1) + cpu; /* arbitrary, distinct start */
	if (write(c->wfd, &c->count, 8) != 8)
		return -EIO;
	nr_counters++;
	return c->rfd;
}

static struct fake_counter *counter(__u64 config, int cpu)
{
	int i;

	for (i = 0; i < nr_counters; i++)
		if (counters[i].config == config && counters[i].cpu == cpu)
			return &counters[i];
	fail_msg("no counter config %llu cpu %d", (unsigned long long)config, cpu);
	return NULL;
}

static void push(__u64 config, int cpu, long long delta)
{
	struct fake_counter *c = counter(config, cpu);

	c->count += delta;
	assert_int_equal(write(c->wfd, &c->count, 8), 8);
}

static void fake_counters_reset(void)
{
	int i;

	/* the meter closed the read ends */
	for (i = 0; i < nr_counters; i++)
		close(counters[i].wfd);
	nr_counters = 0;
	perf_fail = 0;
}

static void fake_pmu(const char *root)
{
	assert_int_equal(fake_write(root, PMU "type", "23\n"), 0);
	assert_int_equal(fake_write(root, PMU "format/event", "config:0-7\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-pkg", "event=0x02\n"), 0);
	assert_int_equal(
		fake_write(root, PMU "events/energy-pkg.scale", "2.3283064365386962890625e-10\n"),
		0);
	assert_int_equal(fake_write(root, PMU "events/energy-pkg.unit", "Joules\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-ram", "event=0x03\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-ram.scale", "1.52587890625e-05\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-ram.unit", "Joules\n"), 0);
	/* a listed event in another unit is skipped */
	assert_int_equal(fake_write(root, PMU "events/energy-cores", "event=0x01\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-cores.scale", "1\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-cores.unit", "Watts\n"), 0);
}

static int open_perf(const char *root, const struct topology *t, struct meter **m, char *why,
		     int fake)
{
	struct meter_opts o = {
		.sysfs_root = root, .dev_root = root, .proc_root = root, .topo = t
	};

	if (fake)
		o.perf_open = fake_perf_open;
	return meter_open("perf", &o, m, why, WHY);
}

static void test_perf_reads(void **state)
{
	const char *root = *state;
	struct topology *t = topo_sparse();
	struct meter_energy e;
	struct meter *m;
	char why[WHY], *d;
	int i;

	fake_pmu(root);
	assert_int_equal(open_perf(root, t, &m, why, 1), 0);
	assert_string_equal(meter_name(m), "perf");
	assert_int_equal(meter_nr_sockets(m), 2);
	assert_non_null(strstr(why, "energy-ram present"));
	/* one counter per event and socket, on the socket's first CPU */
	assert_int_equal(nr_counters, 4);
	for (i = 0; i < nr_counters; i++)
		assert_int_equal(counters[i].type, 23);
	assert_non_null(counter(2, 2));
	assert_non_null(counter(2, 5));
	assert_non_null(counter(3, 2));
	assert_non_null(counter(3, 5));
	assert_true(meter_has_zone(m, ZONE_DRAM));
	assert_false(meter_has_zone(m, ZONE_CORE));

	push(2, 2, 1LL << 32); /* 2^32 * 2^-32 J */
	push(2, 5, 3LL << 32);
	push(3, 2, 65536); /* 2^16 * 2^-16 J */
	push(3, 5, 32768);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 1.0);
	assert_j(e.j[ZONE_PKG][1], 3.0);
	assert_j(e.j[ZONE_DRAM][0], 1.0);
	assert_j(e.j[ZONE_DRAM][1], 0.5);

	/* 64-bit counts never wrap: a step back is an anomaly */
	push(2, 2, 1LL << 30);
	push(2, 5, -5);
	push(3, 2, 0);
	push(3, 5, 0);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e.anomalies, 1u << ZONE_PKG);
	assert_j(e.j[ZONE_PKG][0], 0);

	/* a counter that cannot be read is an anomaly too (nothing pushed) */
	push(2, 2, 0);
	push(2, 5, 0);
	push(3, 5, 0);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e.anomalies, 1u << ZONE_DRAM);

	d = describe(m);
	assert_non_null(strstr(d, "skipped power/energy-cores: unit is not Joules"));
	assert_non_null(strstr(d, "socket 1 dram   counted on cpu 5"));
	assert_non_null(strstr(d, "config 0x2 scale"));
	free(d);
	meter_close(m);
	fake_counters_reset();
	free(t);
}

static void test_perf_errors(void **state)
{
	const char *root = *state;
	struct topology *t = topo_sparse();
	struct meter *m;
	char why[WHY];
	int err;

	assert_int_equal(open_perf(root, t, &m, why, 1), -ENOENT);
	assert_non_null(strstr(why, "no perf power PMU"));

	fake_pmu(root);
	perf_fail = -EACCES;
	assert_int_equal(open_perf(root, t, &m, why, 1), -EACCES);
	assert_non_null(strstr(why, "perf_event_open(power/energy-pkg) on cpu 2"));
	assert_non_null(strstr(why, "CAP_PERFMON"));
	fake_counters_reset();

	/* the real syscall refuses a PMU type this kernel does not have */
	err = open_perf(root, t, &m, why, 0);
	assert_true(err < 0);
	assert_non_null(strstr(why, "perf_event_open(power/energy-pkg) on cpu 2"));

	assert_int_equal(open_perf(root, NULL, &m, why, 1), -EINVAL);
	assert_non_null(strstr(why, "needs the CPU topology"));

	assert_int_equal(fake_write(root, PMU "events/energy-pkg.scale", "0\n"), 0);
	assert_int_equal(open_perf(root, t, &m, why, 1), -EINVAL);
	assert_non_null(strstr(why, "energy-pkg.scale: not a positive number"));

	assert_int_equal(fake_write(root, PMU "events/energy-pkg.scale", "1e-6\n"), 0);
	assert_int_equal(fake_write(root, PMU "events/energy-pkg", "event=zz\n"), 0);
	assert_int_equal(open_perf(root, t, &m, why, 1), -EINVAL);
	assert_non_null(strstr(why, "cannot parse \"event=zz\""));

	assert_int_equal(fake_write(root, PMU "type", "power\n"), 0);
	assert_int_equal(open_perf(root, t, &m, why, 1), -EINVAL);
	assert_non_null(strstr(why, "not a PMU type"));
	assert_int_equal(nr_counters, 0);
	free(t);
}

static void test_perf_no_pkg_event(void **state)
{
	const char *root = *state;
	struct topology *t = topo_sparse();
	char path[PATH_MAX], why[WHY];
	struct meter *m;

	fake_pmu(root);
	snprintf(path, sizeof(path), "%s/" PMU "events/energy-pkg", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(open_perf(root, t, &m, why, 1), -ENODEV);
	assert_non_null(strstr(why, "no energy-pkg event"));
	free(t);
}

/* ---- msr ---- */

static void cpuinfo(const char *root, const char *vendor, int family, int model)
{
	assert_int_equal(fake_writef(root, "cpuinfo",
				     "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %d\n"
				     "model\t\t: %d\nmodel name\t: Some CPU model 9\n\n"
				     "processor\t: 1\nvendor_id\t: Other\ncpu family\t: 1\n"
				     "model\t\t: 1\n",
				     vendor, family, model),
			 0);
}

/* @dev is gone when the meter reads: meter_open must copy the roots. */
static int open_msr(const char *root, const struct topology *t, struct meter **m, char *why)
{
	char dev[PATH_MAX];
	struct meter_opts o = { .sysfs_root = root, .proc_root = root, .topo = t };

	snprintf(dev, sizeof(dev), "%s/dev", root);
	o.dev_root = dev;
	return meter_open("msr", &o, m, why, WHY);
}

/* Skylake-SP: DRAM counts in fixed 2^-16 J whatever 0x606 says. */
static void test_msr_intel_server(void **state)
{
	const char *root = *state;
	struct topology *t = topo_2s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY], *d;

	cpuinfo(root, "GenuineIntel", 6, 85);
	assert_int_equal(meter_fake_msr(root, 0, 0x606, 0xa0e03), 0); /* 2^-14 J */
	assert_int_equal(meter_fake_msr(root, 0, 0x611, 0xffffff00), 0);
	assert_int_equal(meter_fake_msr(root, 0, 0x619, 1000), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0x606, 0xa0e03), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0x611, 0xdeadbeef00000010ULL), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0x619, 0), 0);
	assert_int_equal(open_msr(root, t, &m, why), 0);
	assert_string_equal(meter_name(m), "msr");
	assert_non_null(strstr(why, "Intel RAPL registers on 2 sockets"));
	assert_true(meter_has_zone(m, ZONE_DRAM));
	assert_false(meter_has_zone(m, ZONE_CORE)); /* past the end of the fake file */

	assert_int_equal(meter_fake_msr(root, 0, 0x611, 0x100), 0); /* wrapped: 0x200 counts */
	assert_int_equal(meter_fake_msr(root, 0, 0x619, 1000 + 65536), 0);
	/* the reserved upper half changes: ignored */
	assert_int_equal(meter_fake_msr(root, 1, 0x611, 0x1234567800004010ULL), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0x619, 32768), 0);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 0x200 / 16384.0);
	assert_j(e.j[ZONE_DRAM][0], 1.0); /* 4.0 without the fixed unit */
	assert_j(e.j[ZONE_PKG][1], 1.0);
	assert_j(e.j[ZONE_DRAM][1], 0.5);

	d = describe(m);
	assert_non_null(strstr(d, "GenuineIntel family 6 model 85"));
	assert_non_null(strstr(d, "socket 1 dram"));
	assert_non_null(strstr(d, "1.52588e-05 J/count"));
	free(d);

	/* a counter that vanishes: anomaly on both of that socket's zones */
	assert_int_equal(fake_write(root, "dev/cpu/0/msr", ""), 0);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e.anomalies, (1u << ZONE_PKG) | (1u << ZONE_DRAM));
	meter_close(m);
	free(t);
}

/* Client: DRAM in the 0x606 unit, psys on socket 0 only. */
static void test_msr_intel_client(void **state)
{
	static const int cpus[] = { 0, 1 }, sock[] = { 0, 0 }, pkg[] = { 0 };
	const char *root = *state;
	struct topology *t = meter_fake_topo(2, cpus, sock, 1, pkg);
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	cpuinfo(root, "GenuineIntel", 6, 158);
	assert_int_equal(meter_fake_msr(root, 0, 0x606, 0xa0e03), 0);
	assert_int_equal(meter_fake_msr(root, 0, 0x611, 0), 0);
	assert_int_equal(meter_fake_msr(root, 0, 0x64d, 7), 0);
	assert_int_equal(open_msr(root, t, &m, why), 0);
	assert_true(meter_has_zone(m, ZONE_PSYS));
	assert_true(meter_has_zone(m, ZONE_CORE)); /* below EOF: readable */
	assert_int_equal(meter_fake_msr(root, 0, 0x611, 16384 * 2), 0);
	assert_int_equal(meter_fake_msr(root, 0, 0x619, 16384), 0);
	assert_int_equal(meter_fake_msr(root, 0, 0x639, 8192), 0);
	assert_int_equal(meter_fake_msr(root, 0, 0x64d, 7 + 16384 * 5), 0);
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_j(e.j[ZONE_PKG][0], 2.0);
	assert_j(e.j[ZONE_DRAM][0], 1.0);
	assert_j(e.j[ZONE_CORE][0], 0.5);
	assert_j(e.j[ZONE_PSYS][0], 5.0);
	meter_close(m);
	free(t);
}

static void test_msr_amd(void **state)
{
	const char *root = *state;
	struct topology *t = topo_2s();
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	cpuinfo(root, "AuthenticAMD", 25, 1);
	assert_int_equal(meter_fake_msr(root, 0, 0xc0010299, 0xa1003), 0); /* 2^-16 J */
	assert_int_equal(meter_fake_msr(root, 0, 0xc001029b, 100), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0xc0010299, 0xa1003), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0xc001029b, 0xfffffff0), 0);
	assert_int_equal(open_msr(root, t, &m, why), 0);
	assert_non_null(strstr(why, "AMD RAPL registers on 2 sockets, dram absent"));
	assert_false(meter_has_zone(m, ZONE_DRAM));
	assert_int_equal(meter_fake_msr(root, 0, 0xc001029b, 100 + 3 * 65536), 0);
	assert_int_equal(meter_fake_msr(root, 1, 0xc001029b, 0x7ff0), 0); /* wrapped */
	assert_int_equal(meter_read(m, NULL, &e), 0);
	assert_int_equal(e.anomalies, 0);
	assert_j(e.j[ZONE_PKG][0], 3.0);
	assert_j(e.j[ZONE_PKG][1], 0.5);
	assert_j(e.j[ZONE_DRAM][0], 0);
	meter_close(m);
	free(t);
}

static void test_msr_errors(void **state)
{
	const char *root = *state;
	struct topology *t = topo_2s();
	struct meter *m;
	char why[WHY];

	assert_int_equal(open_msr(root, t, &m, why), -ENOENT);
	assert_non_null(strstr(why, "cpuinfo"));

	cpuinfo(root, "AuthenticAMD", 16, 2); /* pre-Zen: no RAPL */
	assert_int_equal(open_msr(root, t, &m, why), -ENODEV);
	assert_non_null(strstr(why, "no known RAPL registers on AuthenticAMD family 16"));

	assert_int_equal(fake_write(root, "cpuinfo", "processor : 0\nflags : fpu\n"), 0);
	assert_int_equal(open_msr(root, t, &m, why), -EINVAL);

	cpuinfo(root, "GenuineIntel", 6, 85);
	assert_int_equal(open_msr(root, t, &m, why), -ENOENT);
	assert_non_null(strstr(why, "/dev/cpu/0/msr: load the msr module (modprobe msr)"));

	assert_int_equal(open_msr(root, NULL, &m, why), -EINVAL);
	assert_non_null(strstr(why, "needs the CPU topology"));

	/* the device exists but the unit register faults */
	assert_int_equal(fake_write(root, "dev/cpu/0/msr", ""), 0);
	assert_int_equal(open_msr(root, t, &m, why), -EIO);
	assert_non_null(strstr(why, "cannot read MSR 0x606 on cpu 0"));

	/* units but no package counter */
	assert_int_equal(meter_fake_msr(root, 0, 0x606, 0xa0e03), 0);
	assert_int_equal(open_msr(root, t, &m, why), -ENODEV);
	assert_non_null(strstr(why, "package energy MSR on cpu 0"));
	free(t);
}

/* ---- model ---- */

static void test_model_defaults(void **state)
{
	struct topology *t = topo_2s();
	struct meter_opts o = { .topo = t };
	struct meter_input in = { .dt_sec = 2.0 };
	struct meter_energy e;
	struct meter *m;
	char why[WHY], *d;

	(void)state;
	assert_int_equal(meter_open("model", &o, &m, why, sizeof(why)), 0);
	assert_string_equal(meter_name(m), "model");
	assert_int_equal(meter_is_fallback(m), 0);
	assert_int_equal(meter_nr_sockets(m), 2);
	assert_non_null(strstr(why, "10-65 W package"));
	in.busy_frac[0] = 0.5;
	in.busy_frac[1] = 1.5; /* clamped to 1 */
	in.mem_used_frac[0] = 0.25;
	in.mem_used_frac[1] = -1; /* clamped to 0 */
	assert_int_equal(meter_read(m, &in, &e), 0);
	assert_j(e.dt_sec, 2.0);
	assert_j(e.j[ZONE_PKG][0], (10 + 55 * 0.5) * 2);
	assert_j(e.j[ZONE_DRAM][0], (2 + 4 * 0.25) * 2);
	assert_j(e.j[ZONE_PKG][1], 65 * 2);
	assert_j(e.j[ZONE_DRAM][1], 2 * 2);
	assert_int_equal(e.present[ZONE_PKG][1], 1);
	assert_int_equal(e.present[ZONE_DRAM][1], 1);
	assert_int_equal(e.present[ZONE_PKG][2], 0);
	assert_j(e.j[ZONE_PKG][2], 0);

	in.busy_frac[0] = NAN;
	assert_int_equal(meter_read(m, &in, &e), 0);
	assert_j(e.j[ZONE_PKG][0], 20);

	assert_int_equal(meter_read(m, NULL, &e), -EINVAL);
	in.dt_sec = -1;
	assert_int_equal(meter_read(m, &in, &e), -EINVAL);
	d = describe(m);
	assert_non_null(strstr(d, "rough estimates"));
	free(d);
	meter_close(m);
	free(t);
}

static void test_model_custom(void **state)
{
	struct meter_opts o = { .model_pkg_idle_w = 20,
				.model_pkg_max_w = 100,
				.model_dram_idle_w = 1,
				.model_dram_max_w = 3 };
	struct meter_input in = { .dt_sec = 0.5 };
	struct meter_energy e;
	struct meter *m;
	char why[WHY];

	(void)state;
	assert_int_equal(meter_open("model", &o, &m, why, sizeof(why)), 0);
	assert_int_equal(meter_nr_sockets(m), 1); /* no topology */
	in.busy_frac[0] = 0.25;
	in.mem_used_frac[0] = 0.5;
	assert_int_equal(meter_read(m, &in, &e), 0);
	assert_j(e.j[ZONE_PKG][0], (20 + 80 * 0.25) * 0.5);
	assert_j(e.j[ZONE_DRAM][0], (1 + 2 * 0.5) * 0.5);
	meter_close(m);

	o.model_pkg_idle_w = 200;
	assert_int_equal(meter_open("model", &o, &m, why, sizeof(why)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(why, "idle watts above max"));
	o.model_pkg_idle_w = 0;
	o.model_pkg_max_w = 5; /* below the default idle */
	assert_int_equal(meter_open("model", &o, &m, why, sizeof(why)), -EINVAL);
}

static void test_zone_names(void **state)
{
	(void)state;
	assert_string_equal(meter_zone_name(ZONE_PKG), "pkg");
	assert_string_equal(meter_zone_name(ZONE_DRAM), "dram");
	assert_string_equal(meter_zone_name(ZONE_CORE), "core");
	assert_string_equal(meter_zone_name(ZONE_UNCORE), "uncore");
	assert_string_equal(meter_zone_name(ZONE_PSYS), "psys");
	assert_string_equal(meter_zone_name(ZONE_MAX), "?");
	assert_string_equal(meter_name(NULL), "none");
	assert_int_equal(meter_nr_sockets(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_perf_reads, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_perf_errors, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_perf_no_pkg_event, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_msr_intel_server, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_msr_intel_client, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_msr_amd, fake_tree_setup, fake_tree_teardown),
		cmocka_unit_test_setup_teardown(test_msr_errors, fake_tree_setup,
						fake_tree_teardown),
		cmocka_unit_test(test_model_defaults),
		cmocka_unit_test(test_model_custom),
		cmocka_unit_test(test_zone_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
