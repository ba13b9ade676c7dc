/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Fake RAPL sources for the meter tests: powercap zones, MSR files, topologies. */
#ifndef ENERGAT_METER_FAKE_H
#define ENERGAT_METER_FAKE_H

#include <linux/types.h>

struct topology;

/*
 * A topology of @ncpus online CPUs @cpus[i] (ascending) on dense sockets
 * @socket[i], socket k having physical package id @pkg_ids[k]. calloc'd.
 */
struct topology *meter_fake_topo(int ncpus, const int *cpus, const int *socket, int nr_sockets,
				 const int *pkg_ids);

/* ROOT/class/powercap/ID/{name,energy_uj,max_energy_range_uj}; NULL name = none. */
int meter_fake_zone(const char *root, const char *id, const char *name, unsigned long long uj,
		    unsigned long long range);
/* Rewrite ROOT/class/powercap/ID/energy_uj (@text as is, e.g. garbage). */
int meter_fake_energy(const char *root, const char *id, const char *text);
int meter_fake_energy_uj(const char *root, const char *id, unsigned long long uj);

/* pwrite @v little-endian at offset @msr of ROOT/dev/cpu/CPU/msr (created). */
int meter_fake_msr(const char *root, int cpu, __u32 msr, __u64 v);

#define WHY 512

/* Joules equal to 1e-9 relative (cmocka's fail_msg; needs <math.h>). */
#define assert_j(got, want)                                               \
	do {                                                              \
		double g_ = (got), w_ = (want);                           \
		if (fabs(g_ - w_) > 1e-9 * (1 + fabs(w_)))                \
			fail_msg("%s = %.12g, want %.12g", #got, g_, w_); \
	} while (0)

#endif /* ENERGAT_METER_FAKE_H */
