/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libenergat: per-process, per-socket energy attribution with eBPF (the
 * EnergAt model), as a C library. The energat-bpf command and the Python
 * package (python/energat) are users of it.
 *
 *	struct energat_options o = { .sz = sizeof(o), .pid = pid, .output_dir = "out" };
 *	struct energat *e;
 *	struct energat_result r = { .sz = sizeof(r) };
 *
 *	if (energat_open(&o, &e) || energat_start(e))
 *		errx(1, "%s", energat_errmsg());
 *	...
 *	if (!energat_latest(e, &r))
 *		printf("%.3f J\n", r.socket[0].ascribed_pkg_j);
 *	energat_stop(e);	// last interval, CSV files complete
 *	energat_close(e);
 *
 * The tracer runs in a helper process that energat_start() forks, so a
 * program may trace itself (pid = getpid()): the helper's own energy is
 * reported apart, as the tracer's, never as the target's. Tracing needs
 * root (or CAP_BPF and CAP_PERFMON, plus read access to the energy meter).
 *
 * Errors: functions return 0 (or a count) on success and a negative errno
 * on failure; energat_errmsg() then says why, in one line. Not thread-safe
 * on one handle; separate handles are independent.
 */
#ifndef ENERGAT_ENERGAT_H
#define ENERGAT_ENERGAT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ENERGAT_VERSION_MAJOR 0
#define ENERGAT_VERSION_MINOR 1
#define ENERGAT_VERSION_PATCH 0
#define ENERGAT_VERSION_STRING "0.1.0"

#define ENERGAT_RESULT_MAX_SOCKETS 8

struct energat;

/*
 * What to trace and how. Zero or NULL means the default in brackets, so
 * { .sz = sizeof(o), .pid = P } is a complete set. sz lets a newer
 * library accept an older caller's shorter struct.
 */
struct energat_options {
	size_t sz; /* sizeof(struct energat_options) */
	int pid; /* the process to trace, with its threads and descendants; 0: system-wide */
	int no_baseline; /* trace without a baseline file: all energy counts as dynamic */
	const char *basefile; /* baseline power file [/var/lib/energat/baseline_power.json] */
	/* CSV output (model.md §7), written as intervals complete. */
	const char *output_dir; /* OUTPUT_DIR/energat_traces_NAME.csv [no files] */
	const char *name; /* NAME [target-PID, system-wide: system] */
	const char *csv_path; /* the traces file at exactly this path instead */
	int threads_csv; /* also the per-thread file (csv_path: "<stem>_threads.csv") */
	int verbose; /* warnings and the exit summary on stderr */
	double interval; /* seconds per interval [1] */
	double duration; /* stop by itself after this many seconds [until energat_stop] */
	double gamma, delta; /* credit exponents [0.3, 0.2] */
	int mem_samples; /* memory samples per interval [1] */
	int pad;
	const char *meter; /* "powercap", "perf", "msr" or "model" [the first that works] */
	const char *sysfs_root, *procfs_root; /* [/sys, /proc]: fake trees for tests */
	/* Model meter watts [0: its built-in estimate]. */
	double model_pkg_idle_w, model_pkg_max_w, model_dram_idle_w, model_dram_max_w;
};

/* One socket over one interval (or, from energat_totals, since the start). */
struct energat_socket {
	double total_pkg_j, total_dram_j; /* E: as metered */
	double base_pkg_j, base_dram_j; /* B: baseline power x time */
	double dyn_pkg_j, dyn_dram_j; /* D = max(0, E - B) */
	double ascribed_pkg_j, ascribed_dram_j; /* A: the target's */
	double tracer_pkg_j, tracer_dram_j; /* the tracer's own */
	double pkg_credit_frac, dram_credit_frac; /* the target's f_cpu, f_mem */
	double target_cpu_sec, tracer_cpu_sec, host_busy_sec;
	double cpu_percent, mem_percent; /* host CPU and memory utilisation of the socket */
	int has_dram; /* 0: no DRAM zone, the dram values are 0 */
	int pad;
};

struct energat_result {
	size_t sz; /* set by the caller: sizeof(struct energat_result) */
	unsigned long long seq; /* intervals so far (this one is number seq) */
	double time; /* epoch seconds at the end of the interval */
	double duration_sec; /* its length (totals: sum of all) */
	int nr_sockets;
	int num_proc, num_threads; /* target processes and their threads */
	int estimated; /* 1: meter "model", the energy is an estimate */
	char meter[16];
	unsigned long long rb_drops, map_full, targets_full; /* lost events, since start */
	struct energat_socket socket[ENERGAT_RESULT_MAX_SOCKETS];
};

/*
 * Check the options and make a handle; nothing runs yet. -EINVAL for a
 * bad option, -ESRCH when pid does not exist.
 */
int energat_open(const struct energat_options *opts, struct energat **out);

/*
 * Fork the tracer, load and attach the BPF programs, open the meter and the
 * CSV files. Returns once tracing runs, or with the reason it cannot
 * (e.g. -EPERM without privileges, -ENOENT without a baseline file).
 */
int energat_start(struct energat *e);

/* The latest complete interval into out (out->sz set by the caller). -EAGAIN: none yet. */
int energat_latest(struct energat *e, struct energat_result *out);

/*
 * Sums since the start: joules and CPU seconds add up, fractions and
 * percentages are time-weighted means. -EAGAIN: no interval yet.
 */
int energat_totals(struct energat *e, struct energat_result *out);

/*
 * Wait until an interval later than seq is available (returns its seq),
 * tracing has ended (0), or timeout_ms passed (-ETIMEDOUT; < 0 waits
 * forever).
 */
long long energat_wait(struct energat *e, unsigned long long seq, int timeout_ms);

/* 1 while tracing runs; 0 once it ended (target exited, duration, stopped). */
int energat_running(struct energat *e);

/* Why tracing ended ("target exited", ...), NULL while it runs. */
const char *energat_end_reason(struct energat *e);

/*
 * Stop: the interval in progress is completed and booked, the CSV files are
 * closed (fsync'd). Idempotent. Returns 0 or the error that ended tracing.
 */
int energat_stop(struct energat *e);

/* Stop if needed and free. NULL-safe. */
void energat_close(struct energat *e);

/* The reason for the last failure in this thread ("" if none). */
const char *energat_errmsg(void);

/* ENERGAT_VERSION_STRING of the library actually loaded. */
const char *energat_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ENERGAT_ENERGAT_H */
