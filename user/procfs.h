/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parsers for procfs and sysfs text. Pure: no I/O, so they can be fuzzed.
 * Every parser reads at most @len bytes of @buf; the buffer need not be
 * NUL-terminated. They return 0 or a negative errno.
 */
#ifndef ENERGAT_PROCFS_H
#define ENERGAT_PROCFS_H

#include <stddef.h>
#include <linux/types.h>
#include "energat.h"

struct proc_stat {
	int pid;
	char comm
		[64]; /* NUL-terminated, truncated to 63 bytes; may hold spaces, parens, newlines */
	char state;
	int ppid;
	unsigned long long utime, stime; /* clock ticks */
	unsigned long long starttime; /* clock ticks after boot */
	long num_threads;
	int processor; /* CPU last run on */
};

/*
 * /proc/PID/stat or /proc/PID/task/TID/stat. comm is what lies between the
 * first '(' and the last ')'. -EINVAL when a field up to "processor" (field 39)
 * is missing or malformed.
 */
int parse_proc_stat(const char *buf, size_t len, struct proc_stat *st);

/*
 * One line of /proc/stat: "cpuN user nice system idle iowait irq softirq
 * steal ...", in clock ticks. Sets *cpu = N and v[0..8). -EINVAL for any
 * other line (the "cpu" total, "intr", ...) or a malformed one.
 */
int parse_stat_cpu_line(const char *line, size_t len, int *cpu, unsigned long long v[8]);

/* /proc/PID/schedstat: "run_ns wait_ns slices". Any output pointer may be NULL. */
int parse_schedstat(const char *buf, size_t len, unsigned long long *run_ns,
		    unsigned long long *wait_ns, unsigned long long *slices);

struct numa_usage {
	unsigned long long bytes[ENERGAT_MAX_NODES]; /* indexed by sysfs node number N */
};

/*
 * /proc/PID/numa_maps. ADDS N<n>=<pages> * kernelpagesize_kB * 1024 of every
 * mapping line to u->bytes[n] (the caller zeroes @u once, then may sum several
 * processes). Lines without N<n>= fields and nodes >= ENERGAT_MAX_NODES are
 * skipped; sums saturate instead of wrapping.
 */
int parse_numa_maps(const char *buf, size_t len, struct numa_usage *u);

struct node_meminfo {
	unsigned long long total, free, used; /* bytes; used = total - free */
};

/*
 * SYSFS/devices/system/node/nodeN/meminfo ("Node 0 MemTotal:  123 kB"); lines
 * without the "Node N " prefix (/proc/meminfo) are accepted too. -EINVAL when
 * MemTotal or MemFree is missing.
 */
int parse_node_meminfo(const char *buf, size_t len, struct node_meminfo *m);

#endif /* ENERGAT_PROCFS_H */
