/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Each CPU's busy/idle counters, by CPU id: one map that cpu_idle.bpf.c
 * writes at the boundaries, or energat.bpf.c's switch clock at every
 * switch (then energat.bpf.c reuses cpu_idle's map, or has its own).
 * A plain array: its lookup is inlined, a per-CPU array's is a call.
 */
#ifndef ENERGAT_CPU_SLOTS_H
#define ENERGAT_CPU_SLOTS_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENERGAT_MAX_CPUS); /* set to the possible CPUs by user space */
	__type(key, __u32);
	__type(value, struct energat_cpu);
} cpus SEC(".maps");

#endif
