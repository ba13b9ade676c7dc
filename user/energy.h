/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pure arithmetic and parsing for the energy meters: counter wrap-around,
 * RAPL unit decoding, perf scale and event strings. No I/O, no globals.
 */
#ifndef ENERGAT_ENERGY_H
#define ENERGAT_ENERGY_H

#include <linux/types.h>

/*
 * Below this interval the plausibility check uses this many seconds instead:
 * RAPL counters tick about every millisecond, so over a very short read
 * interval one update can look like a huge power.
 */
#define ENERGY_MIN_CHECK_SEC 0.01

/*
 * Counter delta with wrap-around (model.md §3): d = now - prev, plus @range
 * when negative. A backwards step that no single wrap explains (@range 0, i.e.
 * a counter that never wraps, or @prev above @range) sets *anomaly to 1 and
 * returns 0; otherwise *anomaly is set to 0. @anomaly may be NULL.
 */
unsigned long long energy_delta(unsigned long long prev, unsigned long long now,
				unsigned long long range, int *anomaly);

/*
 * Parse a sysfs counter such as energy_uj: decimal digits, then only
 * whitespace. Returns 0, or -EINVAL (empty, sign, garbage) / -ERANGE.
 */
int energy_parse_u64(const char *s, unsigned long long *out);

/*
 * 1 when @joules over @dt_sec (floored at ENERGY_MIN_CHECK_SEC) means more
 * than @max_w watts, or @joules is negative or not a number. @max_w <= 0
 * disables the power check.
 */
int energy_implausible(double joules, double dt_sec, double max_w);

/*
 * Joules per count from MSR_RAPL_POWER_UNIT (Intel 0x606) or AMD's
 * 0xC0010299: both keep the energy status unit in bits 12:8, 1/2^ESU J.
 */
double rapl_energy_unit_j(__u64 power_unit_msr);

/*
 * Intel models whose DRAM counter ignores the unit MSR and counts in fixed
 * 1/2^16 J (Haswell-EP and later servers, Xeon Phi): the Linux drivers apply
 * the same quirk. @family and @model as in /proc/cpuinfo.
 */
int rapl_intel_dram_fixed_unit(int family, int model);

/* Intel models whose psys counter counts whole joules (Sapphire/Emerald Rapids). */
int rapl_intel_psys_fixed_unit(int family, int model);

/*
 * Parse a perf events/NAME.scale file ("2.3283064365386962890625e-10\n").
 * Returns 0, or -EINVAL unless it is one finite number > 0 (plus whitespace).
 */
int perf_parse_scale(const char *s, double *out);

/*
 * Place @value into *config as a PMU format file describes it: "config:0-7",
 * "config:12" or several ranges "config:0-7,32-35" (low bits first). Only the
 * "config" field is supported (the power PMU uses nothing else). Returns 0,
 * -EINVAL on a malformed spec or another field, -ERANGE when @value does not
 * fit in the bits.
 */
int perf_format_place(const char *format, __u64 value, __u64 *config);

/*
 * Parse a perf events/NAME file ("event=0x02\n", terms separated by commas,
 * a bare term meaning 1) into an attr.config. Term @names[i] is placed by
 * format spec @specs[i] (from the PMU's format/ directory). Returns 0,
 * -EINVAL on garbage, -ENOENT for a term without a format.
 */
int perf_parse_event(const char *s, const char *const *names, const char *const *specs, int n,
		     __u64 *config);

#endif /* ENERGAT_ENERGY_H */
