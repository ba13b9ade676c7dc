/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * End-to-end test helpers: run the real energat-bpf binary and the test
 * tools as child processes, build RAPL simulator trees (fake 2-socket
 * topology + raplsim's powercap zones, on tmpfs), read the CSV files back,
 * and measure per-CPU busy time from /proc/stat independently of BPF.
 */
#ifndef ENERGAT_TEST_E2E_H
#define ENERGAT_TEST_E2E_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define E2E_MAX_CPUS 64

/*
 * Path of build/NAME ("energat-bpf", "tools/duty"...) or of the repository's
 * scripts/NAME ("scripts/fake-topology.sh"), found from this test binary's
 * own path (build/tests/X). Static buffer per call site: copy it.
 */
const char *e2e_path(const char *name, char *buf, size_t len);

/*
 * Start argv[0] (a path) with stdout and stderr appended to out_path (NULL:
 * /dev/null), pinned to cpu (-1: any), in a new process group when pgrp.
 * It gets SIGTERM if the test dies. Returns the pid or -1.
 */
pid_t e2e_spawn(char *const argv[], const char *out_path, int cpu, int pgrp);
/*
 * The same at nice level nice (root may go below 0; children inherit it).
 * With nice != 0 the process also gets a session of its own, and so its own
 * scheduler autogroup, given the same nice level: with autogroups, nice only
 * ranks tasks within one session, and every session (each shell of a busy
 * machine) gets an equal share of a CPU whatever its tasks' nice levels.
 */
pid_t e2e_spawn_nice(char *const argv[], const char *out_path, int cpu, int pgrp, int nice);

/*
 * Wait up to timeout_sec for pid; on timeout SIGKILL it and return -ETIME.
 * Returns 0 with the wait status in *status.
 */
int e2e_wait(pid_t pid, double timeout_sec, int *status);

/* Spawn and wait; returns the exit code (128 + signal), or -1. */
int e2e_run(char *const argv[], const char *out_path, int cpu, double timeout_sec);

/* Whole file, NUL-terminated, malloc'd; NULL when it cannot be read. */
char *e2e_read_file(const char *path);

/* A "PID CPU_NS" line as printed by the burn and duty tools. 0 or -1. */
int e2e_read_pid_cpu(const char *path, int *pid, long long *cpu_ns);

/* Seconds on CLOCK_MONOTONIC / CLOCK_REALTIME. */
double e2e_mono(void);
double e2e_wall(void);

/* ---- the simulator tree ---- */

struct e2e_sim {
	char dir[PATH_MAX]; /* /dev/shm/energat-e2e-XXXXXX: topology + class/powercap */
	char basefile[PATH_MAX + 16]; /* DIR/baseline.json holding P0 and Q0 */
	char log[PATH_MAX + 16]; /* raplsim's stderr */
	pid_t pid; /* raplsim */
	int sockets;
	double p0, k, q0, q; /* watts: P = P0 + k busy_cpus, DRAM = Q0 + q busy_cpus */
};

/*
 * Make a tree with `fake-topology.sh DIR sockets`, start raplsim on it
 * (period 2 ms, pinned to sim_cpu, -1: any, at nice -20 so that it keeps up
 * on a busy machine) and write the baseline file
 * {"pkg_base_w": [P0...], "dram_base_w": [Q0...], percents 0}. Waits for
 * raplsim's ready file. Returns 0 or -1 (everything undone).
 */
int e2e_sim_start(struct e2e_sim *s, int sockets, double p0, double k, double q0, double q,
		  int sim_cpu);
/* Stop raplsim (by its pid) and remove the tree. Safe to call twice. */
void e2e_sim_stop(struct e2e_sim *s);

/* rm -rf of a directory we made (refuses anything outside /dev/shm and /tmp). */
void e2e_rmtree(const char *dir);

/* ---- /proc/stat ---- */

struct e2e_cpustat {
	double mono; /* when it was read */
	double idle_sec[E2E_MAX_CPUS]; /* idle + iowait, seconds */
	int present[E2E_MAX_CPUS];
};

/* Read /proc/stat. 0 or -1. */
int e2e_cpustat_read(struct e2e_cpustat *c);
/*
 * Busy seconds of cpu between two reads: elapsed - (idle + iowait), the
 * simulator's definition (exact with NO_HZ up to USER_HZ print resolution).
 */
double e2e_cpu_busy(const struct e2e_cpustat *a, const struct e2e_cpustat *b, int cpu);

/* ---- CSV files (RFC 4180: quoted fields, embedded commas/quotes/newlines) ---- */

struct e2e_csv {
	int ncols, nrows;
	char **header; /* ncols names */
	char ***rows; /* nrows x ncols fields */
};

/* Parse path. 0, or -1 when unreadable, empty or a row has the wrong width. */
int e2e_csv_load(const char *path, struct e2e_csv *c);
void e2e_csv_free(struct e2e_csv *c);
/* Column index of name, or -1. */
int e2e_csv_col(const struct e2e_csv *c, const char *name);
/* Field as a number (strict: the whole field must parse); NAN when not one. */
double e2e_csv_num(const struct e2e_csv *c, int row, const char *name);

#endif /* ENERGAT_TEST_E2E_H */
