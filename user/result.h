/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One interval's attribution: the single result type every sink consumes
 * (CSV, top, Prometheus, the library API), so adding an output never
 * touches the tracer or the model.
 */
#ifndef ENERGAT_RESULT_H
#define ENERGAT_RESULT_H

#include <linux/types.h>
#include <stddef.h>
#include "energat.h"
#include "model.h"

struct thread_result {
	double cpu_ns[ENERGAT_MAX_SOCKETS];
	double f_cpu[ENERGAT_MAX_SOCKETS];
	double pkg_j[ENERGAT_MAX_SOCKETS];
	double dram_j[ENERGAT_MAX_SOCKETS];
	__u32 pid, tid;
	int exited;
	int is_tracer; /* one of energat-bpf's own threads */
	char comm[ENERGAT_COMM_LEN];
};

struct interval_result {
	double time; /* wall clock, epoch seconds, at the end of the interval */
	double dt_sec;
	int nr_sockets;
	const char *meter; /* "powercap", "perf", "msr", "model" */
	int estimated; /* model meter: energy is an estimate */
	unsigned int meter_anomalies; /* bit per zone, see meter.h */
	int has_dram[ENERGAT_MAX_SOCKETS];
	struct model_energy energy; /* E, B, D per socket */
	double host_busy_ns[ENERGAT_MAX_SOCKETS]; /* H[s] */
	double cpu_percent[ENERGAT_MAX_SOCKETS]; /* host CPU utilisation of the socket */
	double mem_percent[ENERGAT_MAX_SOCKETS]; /* MemUsed / MemTotal of the socket */
	/* Target (--pid, -- CMD) and the tracer itself; zero in system-wide mode. */
	struct model_share target, tracer;
	double target_cpu_ns[ENERGAT_MAX_SOCKETS], tracer_cpu_ns[ENERGAT_MAX_SOCKETS];
	int num_proc, num_threads;
	/* Per-thread rows: every thread that ran (target mode: the target's). */
	struct thread_result *threads;
	size_t nr_threads;
	/* Cumulative since start. */
	__u64 rb_drops, map_full, targets_full;
};

#endif
