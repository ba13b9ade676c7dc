/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File I/O around the procfs parsers. Roots: @procfs_root like "/proc",
 * @sysfs_root like "/sys"; NULL means those defaults. Functions return 0 (or a
 * count) or a negative errno. Files of a process that has gone away give
 * -ESRCH, never -ENOENT, so callers can tell "exited" from "broken setup".
 */
#ifndef ENERGAT_PROCFS_READ_H
#define ENERGAT_PROCFS_READ_H

#include <sys/types.h>
#include "procfs.h"

/*
 * Read root+path whole into @buf and NUL-terminate it. Returns the length,
 * -EFBIG when the file does not fit in @size - 1 bytes, or -errno.
 */
ssize_t read_file_at(const char *root, const char *path, char *buf, size_t size);

/*
 * Read root+path whole into a malloc'd, NUL-terminated buffer of any size
 * (*out, freed by the caller). Returns the length or -errno (*out is then NULL).
 */
ssize_t read_file_alloc(const char *root, const char *path, char **out);

/*
 * Each "cpuN" line of PROCFS/stat: @fn(N, its first 8 counters in clock
 * ticks, @ctx). A nonzero return from @fn stops the walk and is returned;
 * otherwise 0, or -errno when the file cannot be read.
 */
int proc_stat_cpus(const char *procfs_root,
		   int (*fn)(int cpu, const unsigned long long v[8], void *ctx), void *ctx);

/* /proc/PID/stat, or /proc/PID/task/TID/stat when @tid != 0. */
int proc_stat_read(const char *procfs_root, int pid, int tid, struct proc_stat *st);

/*
 * ADD the resident bytes per node of process @pid (its numa_maps) to @u, like
 * parse_numa_maps(): zero @u once to sum several processes. On error @u is
 * unchanged. A zombie or kernel thread adds nothing and returns 0.
 */
int proc_numa_usage(const char *procfs_root, int pid, struct numa_usage *u);

/* SYSFS/devices/system/node/node<node_id>/meminfo. */
int node_meminfo_read(const char *sysfs_root, int node_id, struct node_meminfo *m);

/* PROCFS/meminfo, for machines without a node directory (topology.has_numa == 0). */
int system_meminfo_read(const char *procfs_root, struct node_meminfo *m);

/*
 * All live descendants (children, grandchildren...) of @pid, found from the
 * ppid of every PROCFS/N/stat, in breadth-first order, @pid itself excluded.
 * Returns the count, or -E2BIG when there are more than @max (out then holds
 * the first @max).
 */
int proc_descendants(const char *procfs_root, int pid, int *out, int max);

/*
 * Thread ids of process @pid (PROCFS/PID/task), ascending. Returns the count,
 * -E2BIG when there are more than @max (out then holds @max of them), -ESRCH
 * when the process is gone.
 */
int proc_tasks(const char *procfs_root, int pid, int *out, int max);

/*
 * Run time in ns from PROCFS/PID/schedstat, or PROCFS/PID/task/TID/schedstat
 * when @tid != 0. Note that PROCFS/PID/schedstat is the main thread's alone,
 * not the process total.
 */
int proc_schedstat_read(const char *procfs_root, int pid, int tid, unsigned long long *run_ns);

/* Resident bytes of process @pid from PROCFS/PID/statm (cheap; no per-node split). */
int proc_rss_bytes(const char *procfs_root, int pid, unsigned long long *bytes);

#endif /* ENERGAT_PROCFS_READ_H */
