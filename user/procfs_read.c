// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* File I/O around the pure parsers of procfs.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs_read.h"

/* numa_maps of a huge process is megabytes; past this something is wrong. */
#define READ_ALLOC_MAX (1UL << 30)

static const char *proc_root(const char *root)
{
	return root ? root : "/proc";
}

static const char *sys_root(const char *root)
{
	return root ? root : "/sys";
}

static int join_path(char *out, size_t size, const char *root, const char *path)
{
	int n = snprintf(out, size, "%s%s", root ? root : "", path);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int open_at(const char *root, const char *path)
{
	char full[PATH_MAX];
	int fd, ret;

	ret = join_path(full, sizeof(full), root, path);
	if (ret)
		return ret;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* read() until @size bytes or EOF; procfs may return short reads. */
static ssize_t read_full(int fd, char *buf, size_t size)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = read(fd, buf + off, size - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		off += n;
	}
	return off;
}

ssize_t read_file_at(const char *root, const char *path, char *buf, size_t size)
{
	ssize_t ret;
	char extra;
	int fd;

	if (!path || !buf || !size)
		return -EINVAL;
	buf[0] = '\0';
	fd = open_at(root, path);
	if (fd < 0)
		return fd;
	ret = read_full(fd, buf, size - 1);
	if (ret >= 0 && (size_t)ret == size - 1) {
		/* A full buffer may hide a truncated file: one more byte tells. */
		ssize_t more = read_full(fd, &extra, 1);

		if (more != 0)
			ret = more < 0 ? more : -EFBIG;
	}
	close(fd);
	buf[ret >= 0 ? ret : 0] = '\0';
	return ret;
}

ssize_t read_file_alloc(const char *root, const char *path, char **out)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	ssize_t ret;
	int fd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path)
		return -EINVAL;
	fd = open_at(root, path);
	if (fd < 0)
		return fd;
	for (;;) {
		char *nbuf;

		if (cap > READ_ALLOC_MAX) {
			ret = -EFBIG;
			goto cleanup;
		}
		nbuf = realloc(buf, cap);
		if (!nbuf) {
			ret = -ENOMEM;
			goto cleanup;
		}
		buf = nbuf;
		ret = read_full(fd, buf + len, cap - 1 - len);
		if (ret < 0)
			goto cleanup;
		len += ret;
		if (len < cap - 1)
			break; /* EOF before the buffer filled */
		cap *= 2;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	ret = len;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

int proc_stat_cpus(const char *procfs_root,
		   int (*fn)(int cpu, const unsigned long long v[8], void *ctx), void *ctx)
{
	char *buf = NULL, *line, *save = NULL;
	ssize_t len = read_file_alloc(proc_root(procfs_root), "/stat", &buf);
	int ret = 0;

	if (len < 0)
		return (int)len;
	for (line = strtok_r(buf, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v[8];
		int cpu;

		if (!parse_stat_cpu_line(line, strlen(line), &cpu, v))
			ret = fn(cpu, v, ctx);
	}
	free(buf);
	return ret;
}

/* A process's files vanish when it exits: report that as -ESRCH. */
static int gone(int err)
{
	return err == -ENOENT ? -ESRCH : err;
}

static int task_path(char *out, size_t size, int pid, int tid, const char *file)
{
	int n;

	if (pid <= 0 || tid < 0)
		return -EINVAL;
	if (tid)
		n = snprintf(out, size, "/%d/task/%d/%s", pid, tid, file);
	else
		n = snprintf(out, size, "/%d/%s", pid, file);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int proc_stat_read(const char *procfs_root, int pid, int tid, struct proc_stat *st)
{
	char path[64], buf[4096];
	ssize_t n;
	int ret;

	ret = task_path(path, sizeof(path), pid, tid, "stat");
	if (ret)
		return ret;
	n = read_file_at(proc_root(procfs_root), path, buf, sizeof(buf));
	if (n < 0)
		return gone(n);
	return parse_proc_stat(buf, n, st);
}

int proc_numa_usage(const char *procfs_root, int pid, struct numa_usage *u)
{
	char path[64], *buf;
	ssize_t n;
	int ret;

	if (!u)
		return -EINVAL;
	ret = task_path(path, sizeof(path), pid, 0, "numa_maps");
	if (ret)
		return ret;
	/* Read it all before parsing so a failed read adds nothing to @u. */
	n = read_file_alloc(proc_root(procfs_root), path, &buf);
	if (n < 0)
		return gone(n);
	ret = parse_numa_maps(buf, n, u);
	free(buf);
	return ret;
}

static int meminfo_read(const char *root, const char *path, struct node_meminfo *m)
{
	ssize_t n;
	char *buf;
	int ret;

	n = read_file_alloc(root, path, &buf);
	if (n < 0)
		return n;
	ret = parse_node_meminfo(buf, n, m);
	free(buf);
	return ret;
}

int node_meminfo_read(const char *sysfs_root, int node_id, struct node_meminfo *m)
{
	char path[64];

	if (node_id < 0 || !m)
		return -EINVAL;
	snprintf(path, sizeof(path), "/devices/system/node/node%d/meminfo", node_id);
	return meminfo_read(sys_root(sysfs_root), path, m);
}

int system_meminfo_read(const char *procfs_root, struct node_meminfo *m)
{
	if (!m)
		return -EINVAL;
	return meminfo_read(proc_root(procfs_root), "/meminfo", m);
}

/* A directory entry that is a positive decimal id (/proc/N, task/N), else 0. */
static int dirent_id(const struct dirent *de)
{
	const char *s = de->d_name;
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return 0;
	}
	return (int)v;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * Numeric entries of directory root+path into a malloc'd array (*ids).
 * Returns the count or -errno.
 */
static int list_ids(const char *root, const char *path, int **ids)
{
	int n = 0, cap = 0, *arr = NULL, *narr, ret;
	char full[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	*ids = NULL;
	ret = join_path(full, sizeof(full), root, path);
	if (ret)
		return ret;
	dir = opendir(full);
	if (!dir)
		return -errno;
	while ((errno = 0, de = readdir(dir))) {
		int id = dirent_id(de);

		if (!id)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			narr = realloc(arr, cap * sizeof(*arr));
			if (!narr) {
				ret = -ENOMEM;
				goto cleanup;
			}
			arr = narr;
		}
		arr[n++] = id;
	}
	if (errno) {
		ret = -errno;
		goto cleanup;
	}
	*ids = arr;
	arr = NULL;
	ret = n;
cleanup:
	free(arr);
	closedir(dir);
	return ret;
}

struct pid_ppid {
	int pid, ppid, taken;
};

static int cmp_ppid(const void *a, const void *b)
{
	const struct pid_ppid *x = a, *y = b;

	if (x->ppid != y->ppid)
		return (x->ppid > y->ppid) - (x->ppid < y->ppid);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

int proc_descendants(const char *procfs_root, int pid, int *out, int max)
{
	const char *root = proc_root(procfs_root);
	struct pid_ppid *procs = NULL;
	int *ids = NULL, *queue = NULL;
	int n, nprocs = 0, head = 0, tail = 0, found = 0, i, ret;

	if (pid <= 0 || max < 0 || (max && !out))
		return -EINVAL;
	n = list_ids(root, "", &ids);
	if (n < 0)
		return n;
	procs = calloc(n ? n : 1, sizeof(*procs));
	queue = calloc(n + 1, sizeof(*queue));
	if (!procs || !queue) {
		ret = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		struct proc_stat st;

		/* Processes exit while we scan: skip whatever cannot be read. */
		if (proc_stat_read(root, ids[i], 0, &st))
			continue;
		procs[nprocs].pid = ids[i];
		procs[nprocs].ppid = st.ppid;
		/* Taken from the start so a corrupt tree cannot loop back to it. */
		procs[nprocs].taken = ids[i] == pid;
		found |= ids[i] == pid;
		nprocs++;
	}
	if (!found) {
		ret = -ESRCH;
		goto cleanup;
	}
	qsort(procs, nprocs, sizeof(*procs), cmp_ppid);

	/* Breadth-first walk; children of p are a contiguous run in procs. */
	queue[tail++] = pid;
	while (head < tail) {
		int p = queue[head++], lo = 0, hi = nprocs;

		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;

			if (procs[mid].ppid < p)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < nprocs && procs[i].ppid == p; i++) {
			if (procs[i].taken)
				continue;
			procs[i].taken = 1;
			queue[tail++] = procs[i].pid;
		}
	}
	ret = tail - 1;
	for (i = 0; i < ret && i < max; i++)
		out[i] = queue[i + 1];
	if (ret > max)
		ret = -E2BIG;
cleanup:
	free(queue);
	free(procs);
	free(ids);
	return ret;
}

int proc_tasks(const char *procfs_root, int pid, int *out, int max)
{
	char path[64];
	int *ids, n, i;

	if (pid <= 0 || max < 0 || (max && !out))
		return -EINVAL;
	snprintf(path, sizeof(path), "/%d/task", pid);
	n = list_ids(proc_root(procfs_root), path, &ids);
	if (n < 0)
		return gone(n);
	qsort(ids, n, sizeof(*ids), cmp_int);
	for (i = 0; i < n && i < max; i++)
		out[i] = ids[i];
	free(ids);
	return n > max ? -E2BIG : n;
}

int proc_schedstat_read(const char *procfs_root, int pid, int tid, unsigned long long *run_ns)
{
	char path[64], buf[256];
	ssize_t n;
	int ret;

	ret = task_path(path, sizeof(path), pid, tid, "schedstat");
	if (ret)
		return ret;
	n = read_file_at(proc_root(procfs_root), path, buf, sizeof(buf));
	if (n < 0)
		return gone(n);
	return parse_schedstat(buf, n, run_ns, NULL, NULL);
}

int proc_rss_bytes(const char *procfs_root, int pid, unsigned long long *bytes)
{
	unsigned long long size, resident;
	char path[64], buf[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/%d/statm", pid);
	n = read_file_at(procfs_root, path, buf, sizeof(buf));
	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return -EINVAL;
	*bytes = resident * (unsigned long long)sysconf(_SC_PAGESIZE);
	return 0;
}
