/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CPUs, sockets and NUMA nodes read from a sysfs tree (model.md section 1). */
#ifndef ENERGAT_TOPOLOGY_H
#define ENERGAT_TOPOLOGY_H

#include <linux/types.h>
#include "energat.h"

struct topology {
	int nr_cpus; /* online CPUs found */
	int max_cpu; /* highest online cpu id + 1 */
	int cpus[ENERGAT_MAX_CPUS]; /* online cpu ids ascending */
	int cpu_socket[ENERGAT_MAX_CPUS]; /* by cpu id: dense socket index, -1 when not online */
	int cpu_node[ENERGAT_MAX_CPUS]; /* by cpu id: dense node index, -1 when none */
	int nr_sockets;
	int socket_pkg_id[ENERGAT_MAX_SOCKETS]; /* physical_package_id of each dense socket */
	int socket_nr_cpus[ENERGAT_MAX_SOCKETS];
	int nr_nodes;
	int node_id[ENERGAT_MAX_NODES]; /* N of sysfs nodeN, per dense node index */
	int node_socket
		[ENERGAT_MAX_NODES]; /* socket of each node (memory-only: nearest by distance) */
	int node_nr_cpus[ENERGAT_MAX_NODES];
	/*
	 * 0 when sysfs has no node directory (CONFIG_NUMA off): node 0 was made
	 * up, has no nodeN/meminfo, and memory totals must come from /proc/meminfo.
	 */
	int has_numa;
};

/*
 * Fill @t from SYSFS_ROOT/devices/system/{cpu,node} (@sysfs_root like "/sys";
 * NULL means "/sys"). Returns 0, -E2BIG when the machine exceeds the
 * ENERGAT_MAX_* limits (a cpu id >= ENERGAT_MAX_CPUS, a node number >=
 * ENERGAT_MAX_NODES included), -EINVAL on a missing or garbage
 * physical_package_id, cpulist or distance file, -ENOENT when no online CPU was
 * found, or another negative errno from the file system.
 */
int topology_read(const char *sysfs_root, struct topology *t);

/* Dense index of sysfs node @node_id, or -1. */
int topology_node_index(const struct topology *t, int node_id);

/*
 * Parse a kernel cpulist ("0-3,8,10-11\n") into set[0..max): set[i] = 1 for
 * each listed id, 0 otherwise. An empty list (or only whitespace) is valid and
 * gives 0. Returns the number of distinct ids, or -EINVAL on garbage, a reversed
 * range or an id >= @max.
 */
int parse_cpulist(const char *s, unsigned char *set, int max);

#endif /* ENERGAT_TOPOLOGY_H */
