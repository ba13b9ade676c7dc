// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus sink and the exporter mode (see prom.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "energat/energat.h"
#include "privdrop.h"
#include "procfs.h"
#include "procfs_read.h"
#include "prom.h"
#include "prom_format.h"
#include "prom_http.h"
#include "session.h"

struct prom_sink {
	struct prom_state st;
	struct prom_server *srv;
	struct prom_buf buf;
	char procfs_root[4096];
	int warned;
};

static int env_double(const char *name, double min, double max, double *out, char *err,
		      size_t errlen)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return 0;
	if (parse_double(v, min, max, out)) {
		snprintf(err, errlen, "invalid %s '%.64s': a number from %g to %g", name, v, min,
			 max);
		return -EINVAL;
	}
	return 0;
}

int prom_config_from_options(const struct options *o, struct prom_config *cfg, char *err,
			     size_t errlen)
{
	double max_procs = PROM_DEFAULT_MAX_PROCESSES;
	int ret;

	prom_config_default(cfg);
	cfg->gamma = o->gamma;
	cfg->target_mode = o->mode == MODE_PID || o->mode == MODE_CMD;
	/* session.c loads a baseline file only for a target, and not with --no-baseline. */
	cfg->baseline =
		cfg->target_mode && !o->no_baseline ? PROM_BASELINE_FILE : PROM_BASELINE_ZERO;
	cfg->version = ENERGAT_VERSION_STRING;
	ret = env_double("ENERGAT_PROM_MIN_SHARE", 0, 1, &cfg->min_share, err, errlen);
	if (!ret)
		ret = env_double("ENERGAT_PROM_EXPIRE_SEC", 0, OPT_DURATION_MAX, &cfg->expire_sec,
				 err, errlen);
	if (!ret)
		ret = env_double("ENERGAT_PROM_MAX_PROCESSES", 0, 1000000, &max_procs, err, errlen);
	cfg->max_processes = (int)max_procs;
	return ret;
}

/* /proc/PID/comm: what the kernel calls the process (its main thread). */
static int proc_comm(int pid, char *buf, size_t len, void *ctx)
{
	const struct prom_sink *ps = ctx;
	char path[4200];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/comm", ps->procfs_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	if (buf[n - 1] == '\n')
		n--; /* the kernel's terminator, not part of the name */
	buf[n] = '\0';
	return 0;
}

static int proc_alive(int pid, void *ctx)
{
	const struct prom_sink *ps = ctx;
	struct proc_stat st;
	int ret = proc_stat_read(ps->procfs_root, pid, 0, &st);

	if (ret == -ENOENT || ret == -ESRCH)
		return 0;
	return ret || (st.state != 'Z' && st.state != 'X');
}

static int publish(struct prom_sink *ps)
{
	int ret = prom_format(&ps->st, &ps->buf);

	if (!ret)
		ret = prom_server_publish(ps->srv, ps->buf.p, ps->buf.len);
	return ret;
}

int prom_sink_open(const struct options *o, struct prom_sink **out, char *err, size_t errlen)
{
	struct prom_config cfg;
	struct prom_sink *ps;
	int ret;

	*out = NULL;
	ret = prom_config_from_options(o, &cfg, err, errlen);
	if (ret)
		return ret;
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	prom_state_init(&ps->st, &cfg);
	snprintf(ps->procfs_root, sizeof(ps->procfs_root), "%s",
		 o->procfs_root ? o->procfs_root : OPT_DEFAULT_PROCFS_ROOT);
	ret = prom_server_start(o->prom_addr ? o->prom_addr : OPT_DEFAULT_PROM_ADDR, o->prom_port,
				&ps->srv, err, errlen);
	if (!ret) {
		ret = publish(ps);
		if (ret)
			snprintf(err, errlen, "out of memory");
	}
	if (ret) {
		prom_sink_close(ps);
		return ret;
	}
	*out = ps;
	return 0;
}

int prom_sink_write(void *ctx, const struct interval_result *r)
{
	struct prom_sink *ps = ctx;
	int ret;

	ret = prom_state_update(&ps->st, r, proc_comm, ps);
	prom_state_expire(&ps->st, r->time, proc_alive, ps);
	if (!ret || ret == -ENOMEM)
		ret = publish(ps) ? -ENOMEM : ret;
	if (ret && !ps->warned) {
		fprintf(stderr, "energat-bpf: warning: metrics not updated: %s\n", strerror(-ret));
		ps->warned = 1;
	}
	/* A metrics hiccup must not end the tracing (and the CSV) it rides along with. */
	return 0;
}

int prom_sink_port(const struct prom_sink *ps)
{
	return prom_server_port(ps->srv);
}

void prom_sink_close(struct prom_sink *ps)
{
	if (!ps)
		return;
	prom_server_stop(ps->srv);
	prom_state_free(&ps->st);
	prom_buf_free(&ps->buf);
	free(ps);
}

int run_exporter(const struct options *o, volatile sig_atomic_t *stop)
{
	struct prom_sink *ps = NULL;
	struct session *s = NULL;
	char err[512];
	int ret;

	/* The port first: a busy port should not wait for the BPF programs to load. */
	ret = prom_sink_open(o, &ps, err, sizeof(err));
	if (!ret)
		ret = session_open(o, &s, err, sizeof(err));
	if (!ret)
		ret = session_add_sink(s, prom_sink_write, ps);
	if (!ret)
		ret = drop_to_user(o->user, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err[0] ? err : strerror(-ret));
		goto out;
	}
	if (!strcmp(session_meter_name(s), "model"))
		fprintf(stderr, "energat-bpf: warning: meter=model: %s; energy is estimated\n",
			session_meter_why(s));
	fprintf(stderr,
		"energat-bpf: serving http://%s%s%s:%d/metrics (system-wide, meter=%s, "
		"baseline 0: all energy counts as dynamic)\n",
		strchr(o->prom_addr, ':') ? "[" : "", o->prom_addr,
		strchr(o->prom_addr, ':') ? "]" : "", prom_sink_port(ps), session_meter_name(s));
	session_wait_for_signals(s);
	while ((ret = session_step(s, stop)) > 0)
		;
	if (ret < 0)
		fprintf(stderr, "energat-bpf: tracing failed: %s\n", strerror(-ret));
	else if (o->verbose)
		fprintf(stderr, "energat-bpf: %s\n", session_end_reason(s));
out:
	session_close(s);
	prom_sink_close(ps);
	return ret < 0;
}
