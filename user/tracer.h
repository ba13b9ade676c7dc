/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel side's user-space half: open → configure → load → attach the
 * BPF programs, and turn their cumulative counters into per-interval
 * samples.
 */
#ifndef ENERGAT_TRACER_H
#define ENERGAT_TRACER_H

#include <linux/types.h>
#include <stddef.h>
#include "energat.h"
#include "thread_table.h"

struct topology;

struct tracer_opts {
	const struct topology *topo;
	int target_pid; /* 0: system-wide */
	const char *procfs_root; /* for seeding descendants; NULL = "/proc" */
	const char *btf_path; /* custom vmlinux BTF for kernels without /sys/kernel/btf */
	int force_raw_tp; /* skip tp_btf even where it works (tests, old kernels) */
	int force_pid_walk; /* list tasks by PID even where list_walk works (tests, benchmarks) */
	int force_walk; /* list with list_walk even where the slots work (tests, benchmarks) */
	unsigned int max_slots; /* slots for task references; 0 = from the tasks alive */
	int force_switch_clock; /* CPU busy/idle from the switch handler even where
				 * the kernel's idle accounting is readable (tests, benchmarks) */
	unsigned int max_threads; /* raw_tp flavour: threads map size; 0 = default */
	unsigned int ringbuf_bytes; /* 0 = default */
};

/* One interval, between two boundaries. */
struct tracer_sample {
	__u64 ts_ns; /* CLOCK_MONOTONIC at the boundary */
	double dt_sec; /* since the previous sample (or since attach) */
	__u64 busy_ns[ENERGAT_MAX_SOCKETS]; /* H[s]: time running any task but idle */
	__u64 idle_ns[ENERGAT_MAX_SOCKETS];
	__u64 cpu_busy_ns[ENERGAT_MAX_CPUS]; /* by cpu id */
	__u64 cpu_idle_ns[ENERGAT_MAX_CPUS];
	struct thread_deltas threads; /* owned by the tracer, valid until the next sample */
	size_t nr_known; /* threads the tracer keeps counters of: live ones */
	/* Cumulative error counters since attach. */
	__u64 rb_drops, map_full, targets_full;
};

struct tracer;

/* Needs root (CAP_BPF + CAP_PERFMON). On failure err says why, one line. */
int tracer_open(const struct tracer_opts *opts, struct tracer **out, char *err, size_t errlen);

/* Wait up to timeout_ms for lifecycle records; -EINTR on a signal. */
int tracer_poll(struct tracer *t, int timeout_ms);

/* Close the current interval on every CPU and collect it. */
int tracer_sample(struct tracer *t, struct tracer_sample *s);

/* "tp_btf" or "raw_tp": which attach flavour is in use. */
const char *tracer_flavour(const struct tracer *t);
/* Where each CPU's busy and idle time comes from. */
const char *tracer_cpu_clock(const struct tracer *t);
/* How each interval lists the threads: "slots", "walk" or "by PID". */
const char *tracer_listing(const struct tracer *t);
/* Tasks the last listing found in slots; -1 when the slots are not in use. */
long tracer_slots_used(const struct tracer *t);

/*
 * Processes the kernel side follows (--pid mode; the tracer is one of them):
 * up to max tgids into out. Returns how many were stored, or -errno.
 */
int tracer_target_pids(const struct tracer *t, int *out, int max);

void tracer_close(struct tracer *t);

#endif
