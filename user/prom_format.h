/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus exporter's pure half: counters accumulated from each
 * struct interval_result, and the text exposition format (version 0.0.4)
 * built from them. No I/O, no clock, no globals: tests feed it intervals
 * and read the text back.
 *
 * Processes. Each interval a process's package energy is the model's
 * (model.md §4) with the process as the target: D_pkg[s] * f^gamma with
 * f = min(1, its CPU ns on s / H[s]); its DRAM energy is the sum of its
 * threads' rows. A process gets series of its own (is "exposed") from the
 * first interval in which its share of the energy is at least min_share,
 * and keeps them until it is dropped; until then its energy and CPU time go
 * to the comm="other" series (pid=""). The share is the CPU-proportional
 * one, sum_s D_pkg[s] * f[s] / sum_s E_pkg[s] (what gamma = 1 would
 * ascribe): with the paper's concave gamma = 0.3 a process with 0.01% of
 * the CPU is ascribed 6% of the energy, so a threshold on ascribed energy
 * would fold nothing; this way min_share means the same for every gamma. Once
 * max_processes are exposed, newcomers stay folded. An exposed process is
 * dropped expire_sec after its exit was seen (its main thread's exit
 * record), or when it was not seen for expire_sec and alive() says it is
 * gone. A process whose comm changes (exec) starts new series from zero: a
 * label change is a new series in Prometheus.
 */
#ifndef ENERGAT_PROM_FORMAT_H
#define ENERGAT_PROM_FORMAT_H

#include <linux/types.h>
#include <stddef.h>
#include "energat.h"
#include "result.h"

#define PROM_DEFAULT_MIN_SHARE 0.01
#define PROM_DEFAULT_EXPIRE_SEC 120.0
#define PROM_DEFAULT_MAX_PROCESSES 500
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_baseline {
	PROM_BASELINE_ZERO, /* P_base = 0: exporter, top, --no-baseline */
	PROM_BASELINE_FILE, /* from the --basefile measurement */
};

struct prom_config {
	double min_share; /* 0..1: fold processes below this share of an interval's energy */
	double expire_sec; /* keep an exited process's series this long */
	int max_processes; /* at most this many processes with series of their own */
	double gamma; /* CPU credit exponent of the model */
	int target_mode; /* --pid / -- CMD: also export the target's totals */
	enum prom_baseline baseline;
	const char *version; /* for energat_build_info; NULL: none */
};

struct prom_proc {
	int pid;
	int exposed; /* has series of its own */
	int exited; /* its main thread's exit was seen */
	double exited_at, last_seen; /* interval times (epoch s) */
	char comm[ENERGAT_COMM_LEN];
	/* Cumulative since exposed. */
	double pkg_j[ENERGAT_MAX_SOCKETS], dram_j[ENERGAT_MAX_SOCKETS];
	double cpu_sec[ENERGAT_MAX_SOCKETS];
	/* Scratch for the interval being booked. */
	double iv_cpu_ns[ENERGAT_MAX_SOCKETS], iv_dram_j[ENERGAT_MAX_SOCKETS];
	int iv_seen, iv_leader, iv_leader_exited;
	char iv_leader_comm[ENERGAT_COMM_LEN];
};

/* Zones and kinds in the order of their labels' values. */
enum prom_zone { PROM_ZONE_PKG, PROM_ZONE_DRAM, PROM_NR_ZONES };
enum prom_kind { PROM_KIND_TOTAL, PROM_KIND_BASE, PROM_KIND_DYN, PROM_NR_KINDS };

struct prom_state {
	struct prom_config cfg;
	int nr_sockets; /* 0 until the first interval */
	char meter[16];
	int estimated;
	int has_dram[ENERGAT_MAX_SOCKETS];
	unsigned long long intervals, anomalies;
	double last_time, last_dt;
	double socket_j[ENERGAT_MAX_SOCKETS][PROM_NR_ZONES][PROM_NR_KINDS];
	double socket_busy_sec[ENERGAT_MAX_SOCKETS];
	double other_j[ENERGAT_MAX_SOCKETS][PROM_NR_ZONES], other_cpu_sec[ENERGAT_MAX_SOCKETS];
	double target_j[ENERGAT_MAX_SOCKETS][PROM_NR_ZONES], target_cpu_sec[ENERGAT_MAX_SOCKETS];
	double tracer_j[ENERGAT_MAX_SOCKETS][PROM_NR_ZONES], tracer_cpu_sec[ENERGAT_MAX_SOCKETS];
	unsigned long long rb_drops, map_full, targets_full;
	struct prom_proc *procs; /* sorted by pid, one entry per pid */
	size_t nr_procs, cap_procs, nr_exposed;
};

/* A process's comm as the kernel shows it (/proc/PID/comm): 0 or -errno. */
typedef int (*prom_comm_fn)(int pid, char *buf, size_t len, void *ctx);
/* 1 when the process exists (it may have gone quiet), 0 when it is gone. */
typedef int (*prom_alive_fn)(int pid, void *ctx);

/* cfg's values are range-checked; out-of-range ones take the defaults. */
void prom_config_default(struct prom_config *cfg);
void prom_state_init(struct prom_state *st, const struct prom_config *cfg);
void prom_state_free(struct prom_state *st);

/*
 * Book one interval. comm (may be NULL) names a process seen for the first
 * time; without it the main thread's comm, else the first thread's, is used.
 * Returns 0, -EINVAL for a malformed result or -ENOMEM (the interval's
 * socket and tracer counters are still booked).
 */
int prom_state_update(struct prom_state *st, const struct interval_result *r, prom_comm_fn comm,
		      void *ctx);

/* Drop processes whose time is up at now (see the top of this file). alive may be NULL. */
void prom_state_expire(struct prom_state *st, double now, prom_alive_fn alive, void *ctx);

/* A growable text buffer; err latches the first failure. */
struct prom_buf {
	char *p;
	size_t len, cap;
	int err;
};

void prom_buf_reset(struct prom_buf *b);
void prom_buf_free(struct prom_buf *b);

/* The whole exposition into b (reset first). Returns 0 or -ENOMEM. */
int prom_format(const struct prom_state *st, struct prom_buf *b);

/*
 * A label value as the text format wants it: '\\' -> "\\\\", '"' -> "\\\"",
 * newline -> "\\n"; bytes that are not valid UTF-8 become U+FFFD. in need
 * not be NUL-terminated. Returns the length written (out is NUL-terminated)
 * or -ENOSPC.
 */
int prom_escape_label(const char *in, size_t inlen, char *out, size_t outlen);

/* A sample value: shortest round-trip decimal, NaN, +Inf, -Inf. Length or -ENOSPC. */
int prom_format_value(double v, char *buf, size_t len);

#endif /* ENERGAT_PROM_FORMAT_H */
