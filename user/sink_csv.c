// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "csv.h"
#include "sink_csv.h"

static int open_one(const char *dir, const char *kind, const char *name, const char *header,
		    struct csv_writer **w, char *path, size_t pathlen, char *err, size_t errlen)
{
	char file[512];
	int ret;

	ret = csv_filename(kind, name, file, sizeof(file));
	if (ret < 0) {
		snprintf(err, errlen, "invalid output name '%s': %s", name, strerror(-ret));
		return ret;
	}
	snprintf(path, pathlen, "%s/%s", dir, file);
	ret = csv_writer_open(dir, file, header, w);
	if (ret)
		snprintf(err, errlen, "failed to open %s: %s", path, strerror(-ret));
	return ret;
}

/*
 * The rule of fs.protected_symlinks, applied whatever the sysctl says: a
 * symlink in a sticky world-writable directory (/tmp) owned by neither us
 * nor the directory's owner is someone else's plant; root must not follow
 * it to write files.
 */
static int check_output_dir(const char *dir, char *err, size_t errlen)
{
	char parent[4096], *slash;
	struct stat link, pst;

	if (lstat(dir, &link) || !S_ISLNK(link.st_mode))
		return 0;
	snprintf(parent, sizeof(parent), "%s", dir);
	while ((slash = strrchr(parent, '/')) && slash[1] == '\0' && slash != parent)
		*slash = '\0'; /* trailing slashes */
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &pst))
		return 0;
	if ((pst.st_mode & S_ISVTX) && (pst.st_mode & S_IWOTH) && link.st_uid != geteuid() &&
	    link.st_uid != pst.st_uid) {
		snprintf(err, errlen,
			 "refusing output directory %s: a symbolic link owned by uid %u in the "
			 "world-writable sticky directory %s",
			 dir, (unsigned)link.st_uid, parent);
		return -ELOOP;
	}
	return 0;
}

int sink_csv_open(struct sink_csv *c, const char *dir, const char *name, int threads, char *err,
		  size_t errlen)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = check_output_dir(dir, err, errlen);
	if (ret)
		return ret;
	ret = open_one(dir, "traces", name, csv_target_header, &c->target, c->target_path,
		       sizeof(c->target_path), err, errlen);
	if (!ret && threads)
		ret = open_one(dir, "threads", name, csv_thread_header, &c->threads,
			       c->threads_path, sizeof(c->threads_path), err, errlen);
	if (ret)
		sink_csv_close(c);
	return ret;
}

static int write_threads(struct sink_csv *c, const struct interval_result *r)
{
	char line[1024];
	size_t i;
	int sock, n;

	for (i = 0; i < r->nr_threads; i++) {
		const struct thread_result *t = &r->threads[i];

		if (t->is_tracer)
			continue;
		for (sock = 0; sock < r->nr_sockets; sock++) {
			struct csv_thread_row row = {
				.time = r->time,
				.socket = sock,
				.pid = t->pid,
				.tid = t->tid,
				.comm = t->comm,
				.cpu_sec = t->cpu_ns[sock] / 1e9,
				.pkg_credit_frac = t->f_cpu[sock],
				.ascribed_pkg_joules = t->pkg_j[sock],
				.ascribed_dram_joules = t->dram_j[sock],
			};

			/* A thread's share of its process's DRAM may sit on a socket it did not run on. */
			if (!t->cpu_ns[sock] && !t->pkg_j[sock] && !t->dram_j[sock])
				continue;
			n = csv_format_thread_row(&row, line, sizeof(line));
			if (n < 0)
				return n;
			n = csv_writer_row(c->threads, line);
			if (n)
				return n;
		}
	}
	return 0;
}

int sink_csv_write(void *ctx, const struct interval_result *r)
{
	struct sink_csv *c = ctx;
	const struct model_energy *e = &r->energy;
	char line[1024];
	int sock, n;

	c->nr_sockets = r->nr_sockets;
	c->meter = r->meter;
	c->estimated = r->estimated;
	c->duration += r->dt_sec;
	c->intervals++;
	for (sock = 0; sock < r->nr_sockets; sock++) {
		struct csv_target_row row = {
			.time = r->time,
			.socket = sock,
			.duration_sec = r->dt_sec,
			.num_proc = r->num_proc,
			.num_threads = r->num_threads,
			.pkg_credit_frac = r->target.f_cpu[sock],
			.dram_credit_frac = r->target.f_mem[sock],
			.total_pkg_joules = e->total_pkg[sock],
			.total_dram_joules = e->total_dram[sock],
			.base_pkg_joules = e->base_pkg[sock],
			.base_dram_joules = e->base_dram[sock],
			.ascribed_pkg_joules = r->target.pkg_j[sock],
			.ascribed_dram_joules = r->target.dram_j[sock],
			.tracer_pkg_joules = r->tracer.pkg_j[sock],
			.tracer_dram_joules = r->tracer.dram_j[sock],
			.pkg_percent = r->cpu_percent[sock],
			.dram_percent = r->mem_percent[sock],
		};

		n = csv_format_target_row(&row, line, sizeof(line));
		if (n < 0)
			return n;
		n = csv_writer_row(c->target, line);
		if (n)
			return n;
		c->total_pkg[sock] += e->total_pkg[sock];
		c->total_dram[sock] += e->total_dram[sock];
		c->base_pkg[sock] += e->base_pkg[sock];
		c->base_dram[sock] += e->base_dram[sock];
		c->asc_pkg[sock] += r->target.pkg_j[sock];
		c->asc_dram[sock] += r->target.dram_j[sock];
		c->tracer_pkg[sock] += r->tracer.pkg_j[sock];
		c->tracer_dram[sock] += r->tracer.dram_j[sock];
		c->target_cpu_sec += r->target_cpu_ns[sock] / 1e9;
	}
	return c->threads ? write_threads(c, r) : 0;
}

void sink_csv_summary(const struct sink_csv *c, FILE *f)
{
	int sock;

	fprintf(f, "energat-bpf: %d interval(s), %.3f s, target CPU %.3f s, meter=%s%s\n",
		c->intervals, c->duration, c->target_cpu_sec, c->meter ? c->meter : "?",
		c->estimated ? " (estimated: no energy counters on this machine)" : "");
	fprintf(f, "  %-6s %12s %12s %12s %12s %12s %12s %10s\n", "socket", "total_pkg_J",
		"base_pkg_J", "target_pkg_J", "total_dram_J", "base_dram_J", "target_dram_J",
		"tracer_J");
	for (sock = 0; sock < c->nr_sockets; sock++)
		fprintf(f, "  %-6d %12.3f %12.3f %12.3f %12.3f %12.3f %12.3f %10.3f\n", sock,
			c->total_pkg[sock], c->base_pkg[sock], c->asc_pkg[sock],
			c->total_dram[sock], c->base_dram[sock], c->asc_dram[sock],
			c->tracer_pkg[sock] + c->tracer_dram[sock]);
	if (c->target)
		fprintf(f, "  written: %s\n", c->target_path);
	if (c->threads)
		fprintf(f, "  written: %s\n", c->threads_path);
}

int sink_csv_close(struct sink_csv *c)
{
	int a = csv_writer_close(c->target), b = csv_writer_close(c->threads);

	c->target = c->threads = NULL;
	return a ? a : b;
}
