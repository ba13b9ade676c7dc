/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Interval boundaries on every CPU at once: one thread pinned to each CPU,
 * real-time where allowed, that user space wakes together. The switch to
 * it makes the kernel bring the running task's run time up to date (and,
 * where the BPF switch handler keeps the clock, the CPU's busy time).
 */
#ifndef ENERGAT_CPU_KICK_H
#define ENERGAT_CPU_KICK_H

struct cpu_kick;

/* Run by each thread, on its CPU, at each kick (before it counts as run). */
typedef void (*cpu_kick_fn)(int cpu, void *arg);

/*
 * One thread per CPU in cpus[0..n). A CPU that refuses the pinning is left
 * out. fn may be NULL.
 */
int cpu_kick_start(const int *cpus, int n, cpu_kick_fn fn, void *arg, struct cpu_kick **out);

/* Whether cpu has a thread. */
int cpu_kick_covers(const struct cpu_kick *k, int cpu);

/*
 * Wake every thread and wait until each has run, or timeout_ms (a CPU held
 * by a higher real-time priority). Returns how many ran.
 */
int cpu_kick_all(struct cpu_kick *k, int timeout_ms);

void cpu_kick_stop(struct cpu_kick *k);

#endif
