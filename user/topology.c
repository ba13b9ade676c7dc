// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPUs, sockets and NUMA nodes from sysfs (model.md section 1). Everything is
 * read under a root directory so tests and --sysfs-root can use fake trees.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topology.h"
#include "procfs_read.h"

/* sysfs text files are at most a page; leave room for big pages. */
#define SYSFS_BUF 16384

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Decimal number at *p; -E2BIG once it reaches @limit (no overflow possible). */
static int scan_id(const char **p, long limit, long *v)
{
	const char *s = *p;
	long x = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		x = x * 10 + (*s - '0');
		if (x >= limit) {
			/* Keep scanning so garbage after a huge number is still -EINVAL. */
			while (*s >= '0' && *s <= '9')
				s++;
			*p = s;
			return -E2BIG;
		}
	}
	*p = s;
	*v = x;
	return 0;
}

/* Like parse_cpulist() but an id >= @max is -E2BIG, which topology reports as such. */
static int cpulist_parse(const char *s, unsigned char *set, int max)
{
	int count = 0, ret = 0;
	long a = 0, b = 0, i;

	if (!s || !set || max < 0)
		return -EINVAL;
	memset(set, 0, max);
	while (is_blank(*s))
		s++;
	if (!*s)
		return 0;
	for (;;) {
		int r = scan_id(&s, max, &a);

		if (r == -EINVAL)
			return -EINVAL;
		if (r)
			ret = r;
		b = a;
		if (*s == '-') {
			s++;
			r = scan_id(&s, max, &b);
			if (r == -EINVAL)
				return -EINVAL;
			if (r)
				ret = r;
			else if (!ret && b < a)
				return -EINVAL;
		}
		if (!ret) {
			for (i = a; i <= b; i++) {
				count += !set[i];
				set[i] = 1;
			}
		}
		if (*s != ',')
			break;
		s++;
	}
	while (is_blank(*s))
		s++;
	if (*s)
		return -EINVAL;
	return ret ? ret : count;
}

int parse_cpulist(const char *s, unsigned char *set, int max)
{
	int ret = cpulist_parse(s, set, max);

	return ret == -E2BIG ? -EINVAL : ret;
}

static int read_sysf(const char *root, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int read_sysf(const char *root, char *buf, size_t size, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	ssize_t n;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	n = read_file_at(root, path, buf, size);
	return n < 0 ? (int)n : 0;
}

/* A whole file holding one integer (and maybe a newline). */
static int text_int(const char *s, long min, long max, int *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (end == s || errno)
		return -EINVAL;
	while (is_blank(*end))
		end++;
	if (*end || x < min || x > max)
		return -EINVAL;
	*v = (int)x;
	return 0;
}

static int path_exists(const char *root, const char *fmt, int id)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s", root);

	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	snprintf(path + n, sizeof(path) - n, fmt, id);
	return access(path, F_OK) == 0;
}

/* "prefix<digits>" -> id, else -1 (also for ids beyond int). */
static long dir_id(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *s = name + plen;
	long v;

	if (strncmp(name, prefix, plen) || scan_id(&s, INT_MAX, &v) || *s)
		return -1;
	return v;
}

/*
 * No cpu/online file (old or stripped sysfs): a cpuN with a package id is
 * online unless its own online file says 0.
 */
static int scan_cpu_dirs(const char *root, unsigned char *online, char *buf)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	memset(online, 0, ENERGAT_MAX_CPUS);
	if (snprintf(path, sizeof(path), "%s/devices/system/cpu", root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		long id = dir_id(de->d_name, "cpu");
		int r, on;

		if (id < 0)
			continue;
		if (!path_exists(root, "/devices/system/cpu/cpu%d/topology/physical_package_id",
				 (int)id))
			continue;
		if (id >= ENERGAT_MAX_CPUS) {
			ret = -E2BIG;
			break;
		}
		r = read_sysf(root, buf, SYSFS_BUF, "/devices/system/cpu/cpu%ld/online", id);
		if (!r && !text_int(buf, 0, 1, &on) && !on)
			continue;
		online[id] = 1;
	}
	closedir(dir);
	return ret;
}

static void synth_node(struct topology *t)
{
	int i;

	/* Without CONFIG_NUMA all memory is one node, like the kernel's node 0. */
	t->has_numa = 0;
	t->nr_nodes = 1;
	t->node_id[0] = 0;
	t->node_nr_cpus[0] = t->nr_cpus;
	t->node_socket[0] = t->cpu_socket[t->cpus[0]];
	for (i = 0; i < t->nr_cpus; i++)
		t->cpu_node[t->cpus[i]] = 0;
}

/*
 * *best = dense index of the node with CPUs nearest to node @idx per its
 * distance file (lowest index on a tie), -1 when no node has CPUs.
 */
static int nearest_cpu_node(const char *root, struct topology *t, int idx, char *buf, int *best)
{
	long bestd = LONG_MAX;
	const char *s = buf;
	int j, ret;

	*best = -1;
	ret = read_sysf(root, buf, SYSFS_BUF, "/devices/system/node/node%d/distance",
			t->node_id[idx]);
	if (ret == -ENOENT) {
		/* No distances: any node with CPUs is as good a guess as another. */
		for (j = 0; j < t->nr_nodes; j++) {
			if (t->node_nr_cpus[j]) {
				*best = j;
				break;
			}
		}
		return 0;
	}
	if (ret)
		return ret;

	/* Entry j is the distance to the j-th node in node order, i.e. dense index j. */
	for (j = 0;; j++) {
		char *end;
		long d;

		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		errno = 0;
		d = strtol(s, &end, 10);
		if (end == s || errno || d < 0 || j >= t->nr_nodes || (*end && !is_blank(*end)))
			return -EINVAL;
		if (t->node_nr_cpus[j] && d < bestd) {
			bestd = d;
			*best = j;
		}
		s = end;
	}
	return j == t->nr_nodes ? 0 : -EINVAL;
}

static int read_nodes(const char *root, struct topology *t, char *buf)
{
	unsigned char set[ENERGAT_MAX_CPUS];
	char path[PATH_MAX];
	struct dirent *de;
	int i, j, ret = 0;
	DIR *dir;

	if (snprintf(path, sizeof(path), "%s/devices/system/node", root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir) {
		if (errno != ENOENT)
			return -errno;
		synth_node(t);
		return 0;
	}
	while ((de = readdir(dir))) {
		long id = dir_id(de->d_name, "node");

		if (id < 0)
			continue;
		/* numa_usage is indexed by node number, so N itself must fit. */
		if (id >= ENERGAT_MAX_NODES || t->nr_nodes >= ENERGAT_MAX_NODES) {
			ret = -E2BIG;
			break;
		}
		/* Keep node_id ascending: dense order must match the distance files. */
		for (i = t->nr_nodes; i > 0 && t->node_id[i - 1] > id; i--)
			t->node_id[i] = t->node_id[i - 1];
		t->node_id[i] = (int)id;
		t->nr_nodes++;
	}
	closedir(dir);
	if (ret)
		return ret;
	if (!t->nr_nodes) {
		synth_node(t);
		return 0;
	}
	t->has_numa = 1;

	for (i = 0; i < t->nr_nodes; i++) {
		t->node_socket[i] = -1;
		ret = read_sysf(root, buf, SYSFS_BUF, "/devices/system/node/node%d/cpulist",
				t->node_id[i]);
		if (ret == -ENOENT)
			continue; /* treat as memory-only */
		if (ret)
			return ret;
		ret = cpulist_parse(buf, set, ENERGAT_MAX_CPUS);
		if (ret < 0)
			return ret;
		for (j = 0; j < t->max_cpu; j++) {
			/* Offline CPUs and CPUs already claimed by a node are ignored. */
			if (!set[j] || t->cpu_socket[j] < 0 || t->cpu_node[j] >= 0)
				continue;
			t->cpu_node[j] = i;
			if (!t->node_nr_cpus[i]++)
				t->node_socket[i] = t->cpu_socket[j];
		}
	}

	for (i = 0; i < t->nr_nodes; i++) {
		int near;

		if (t->node_nr_cpus[i])
			continue;
		ret = nearest_cpu_node(root, t, i, buf, &near);
		if (ret)
			return ret;
		t->node_socket[i] = near >= 0 ? t->node_socket[near] : 0;
	}
	return 0;
}

int topology_read(const char *sysfs_root, struct topology *t)
{
	unsigned char online[ENERGAT_MAX_CPUS];
	int pkg[ENERGAT_MAX_CPUS];
	const char *root = sysfs_root ? sysfs_root : "/sys";
	char *buf;
	int i, j, ret;

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	for (i = 0; i < ENERGAT_MAX_CPUS; i++)
		t->cpu_socket[i] = t->cpu_node[i] = -1;
	buf = malloc(SYSFS_BUF);
	if (!buf)
		return -ENOMEM;

	ret = read_sysf(root, buf, SYSFS_BUF, "/devices/system/cpu/online");
	if (ret == -ENOENT)
		ret = scan_cpu_dirs(root, online, buf);
	else if (!ret)
		ret = cpulist_parse(buf, online, ENERGAT_MAX_CPUS);
	if (ret < 0)
		goto cleanup;
	for (i = 0; i < ENERGAT_MAX_CPUS; i++) {
		if (!online[i])
			continue;
		t->cpus[t->nr_cpus++] = i;
		t->max_cpu = i + 1;
	}
	if (!t->nr_cpus) {
		ret = -ENOENT;
		goto cleanup;
	}

	for (i = 0; i < t->nr_cpus; i++) {
		ret = read_sysf(root, buf, SYSFS_BUF,
				"/devices/system/cpu/cpu%d/topology/physical_package_id",
				t->cpus[i]);
		if (ret == -ENOENT)
			ret = -EINVAL;
		/* -1 is what some architectures report when they do not know. */
		if (!ret)
			ret = text_int(buf, -1, INT_MAX, &pkg[i]);
		if (ret)
			goto cleanup;
		for (j = 0; j < t->nr_sockets && t->socket_pkg_id[j] < pkg[i]; j++)
			;
		if (j < t->nr_sockets && t->socket_pkg_id[j] == pkg[i])
			continue;
		if (t->nr_sockets == ENERGAT_MAX_SOCKETS) {
			ret = -E2BIG;
			goto cleanup;
		}
		memmove(&t->socket_pkg_id[j + 1], &t->socket_pkg_id[j],
			(t->nr_sockets - j) * sizeof(t->socket_pkg_id[0]));
		t->socket_pkg_id[j] = pkg[i];
		t->nr_sockets++;
	}
	for (i = 0; i < t->nr_cpus; i++) {
		for (j = 0; t->socket_pkg_id[j] != pkg[i]; j++)
			;
		t->cpu_socket[t->cpus[i]] = j;
		t->socket_nr_cpus[j]++;
	}

	ret = read_nodes(root, t, buf);
cleanup:
	free(buf);
	if (ret)
		t->nr_cpus = t->nr_sockets = t->nr_nodes = 0;
	return ret;
}

int topology_node_index(const struct topology *t, int node_id)
{
	int i;

	for (i = 0; t && i < t->nr_nodes; i++)
		if (t->node_id[i] == node_id)
			return i;
	return -1;
}
