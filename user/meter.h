/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Energy meters (model.md §3): joules per socket and zone between two reads,
 * from powercap sysfs, the perf power PMU, RAPL MSRs, or a model for machines
 * without counters. Every path lives under a configurable root so tests run on
 * fake trees. Functions return 0 or a negative errno.
 */
#ifndef ENERGAT_METER_H
#define ENERGAT_METER_H

#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "energat.h"

struct topology;

enum meter_zone { ZONE_PKG, ZONE_DRAM, ZONE_CORE, ZONE_UNCORE, ZONE_PSYS, ZONE_MAX };

/*
 * Model meter defaults, watts per socket. Rough estimates for a mid-range
 * server socket, not measurements: set the meter_opts model_* fields (from
 * the configuration) for numbers that fit the machine.
 */
#define METER_MODEL_PKG_IDLE_W 10.0
#define METER_MODEL_PKG_MAX_W 65.0
#define METER_MODEL_DRAM_IDLE_W 2.0
#define METER_MODEL_DRAM_MAX_W 6.0

/*
 * A zone whose delta means more than this many watts per socket (psys: per
 * platform, times the number of sockets) is an anomaly, not energy. Far above
 * any real socket, so only a broken counter trips it.
 */
#define METER_MAX_SOCKET_W 2000.0

/*
 * Reads closer than this cannot have missed a wrap of a real counter
 * (ranges are tens of kJ: the smallest, 2^32 x 15.3 uJ, lasts 32 s at
 * METER_MAX_SOCKET_W); the unseen-wrap check is for pauses (suspend,
 * a stopped tracer).
 */
#define METER_WRAP_CHECK_MIN_SEC 1.0

/* What the model meter needs; real meters ignore it (it may then be NULL). */
struct meter_input {
	double dt_sec;
	double busy_frac[ENERGAT_MAX_SOCKETS]; /* host busy ns / (dt × CPUs of socket), 0..1 */
	double mem_used_frac[ENERGAT_MAX_SOCKETS]; /* MemUsed / MemTotal of the socket's nodes */
};

struct meter_energy {
	double j[ZONE_MAX][ENERGAT_MAX_SOCKETS]; /* joules since the previous read */
	int present[ZONE_MAX][ENERGAT_MAX_SOCKETS];
	/*
	 * Bit (1 << zone): a counter of that zone went backwards by more than
	 * its range, could not be read, or its delta implies more than
	 * max_socket_w. Reported, not booked: that zone's j is 0 on every socket
	 * for this read, and the next read starts from the new value.
	 */
	unsigned int anomalies;
	/*
	 * 1: so long since the previous read (a suspend, a stopped tracer)
	 * that a counter could have wrapped unseen, even several times; the
	 * read is not booked (every zone is an anomaly).
	 */
	int wrap_unknown;
	double dt_sec; /* seconds since the previous read (model: input dt_sec) */
};

/* meter_open copies the roots; @topo is borrowed and must outlive the meter. */
struct meter_opts {
	const char *sysfs_root; /* default "/sys" */
	const char *dev_root; /* default "/dev" (msr: DEV_ROOT/cpu/N/msr) */
	const char *proc_root; /* default "/proc" (msr: vendor from PROC_ROOT/cpuinfo) */
	/*
	 * Sockets and their CPUs. powercap works without it (sockets are then
	 * the package ids in ascending order); perf and msr need it to pick one
	 * CPU per socket; the model meter assumes one socket without it.
	 */
	const struct topology *topo;
	/* per socket; 0 = the METER_MODEL_* defaults above */
	double model_pkg_idle_w, model_pkg_max_w, model_dram_idle_w, model_dram_max_w;
	double max_socket_w; /* 0 = METER_MAX_SOCKET_W; < 0 turns the check off */
	/*
	 * For tests: replaces perf_event_open(2) for the perf meter. Returns a
	 * readable fd (8-byte counts per read()) or a negative errno. NULL = real.
	 */
	int (*perf_open)(__u32 type, __u64 config, int cpu);
};

struct meter;

/*
 * @name NULL = auto: the first that works of powercap, perf, msr, else the
 * model meter (meter_is_fallback() is then 1 so the caller warns, with @why).
 * @name given ("powercap", "perf", "msr", "model"): that one or an error.
 * @why gets a one-line reason: why it failed, or why this meter was chosen.
 * @o may be NULL (all defaults). Takes the first reading.
 */
int meter_open(const char *name, const struct meter_opts *o, struct meter **out, char *why,
	       size_t whylen);
const char *meter_name(const struct meter *m); /* "powercap" | "perf" | "msr" | "model" */
int meter_nr_sockets(const struct meter *m);
/* 1 when auto selection found no counter and fell back to the model meter. */
int meter_is_fallback(const struct meter *m);
/* 1 when some socket has a zone of @zone. */
int meter_has_zone(const struct meter *m, enum meter_zone zone);
/*
 * Energy since the previous read (or since meter_open). @in is needed by the
 * model meter only. @e is always filled, also on error. Returns 0, -EINVAL
 * (bad arguments) or another negative errno; a broken zone is an anomaly bit,
 * not an error.
 */
int meter_read(struct meter *m, const struct meter_input *in, struct meter_energy *e);
/* For --check: zones per socket, their names, ranges and units. */
void meter_describe(const struct meter *m, FILE *f);
void meter_close(struct meter *m); /* NULL-safe */
const char *meter_zone_name(enum meter_zone zone); /* "pkg", "dram", "core", "uncore", "psys" */

/* ---- for the meter_*.c backends only; callers treat struct meter as opaque ---- */

struct meter_ops {
	const char *name;
	int (*open)(struct meter *m, char *why, size_t whylen); /* takes the first reading */
	/* fill e->j and e->anomalies (e is zeroed, e->present copied from m) */
	int (*read)(struct meter *m, const struct meter_input *in, struct meter_energy *e);
	void (*describe)(const struct meter *m, FILE *f);
	void (*close)(struct meter *m); /* frees m->priv */
};

extern const struct meter_ops meter_powercap_ops, meter_perf_ops, meter_msr_ops, meter_model_ops;

struct meter {
	const struct meter_ops *ops;
	struct meter_opts o; /* roots and watts with the defaults filled in */
	char *roots[3]; /* o's sysfs, dev and proc roots point at these copies */
	int nr_sockets;
	int fallback;
	int present[ZONE_MAX][ENERGAT_MAX_SOCKETS]; /* set by open */
	double last_read; /* CLOCK_MONOTONIC seconds */
	/* Smallest counter range of the zones in use, joules; 0: cannot wrap (set by open). */
	double min_range_j;
	char notes[1024]; /* zones skipped and why, printed by meter_describe */
	void *priv;
};

/* Helpers shared by the backends (meter.c). */
double meter_now(void);
/* Read @path whole into @buf, NUL-terminated. Returns the length or -errno. */
int meter_read_file(const char *path, char *buf, size_t size);
/* Append one line to m->notes. */
void meter_note(struct meter *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lowest online CPU of socket @s in @t, or -1. */
int meter_first_cpu(const struct topology *t, int s);

#endif /* ENERGAT_METER_H */
