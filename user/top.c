// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `energat-bpf top`: the session, the /proc metadata, and batch output. */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs_read.h"
#include "prom.h"
#include "session.h"
#include "top.h"
#include "vec.h"

#define META_REFRESH 10 /* intervals before a process's user and cgroup are read again */
#define PURGE_EVERY 30 /* intervals between sweeps of gone threads and processes */

struct top_pid_info {
	struct top_meta meta;
	unsigned long read_at; /* interval of the last read */
};

static const char *procfs(const struct top_ctx *c)
{
	return c->o->procfs_root ? c->o->procfs_root : "/proc";
}

static void user_name(struct top_ctx *c, unsigned int uid, char *out, size_t len)
{
	struct top_map_entry *e = top_map_get(&c->users, uid, NULL);
	struct passwd pw, *res = NULL;
	char buf[1024], name[TOP_USER_LEN];

	if (e && e->data) {
		snprintf(out, len, "%s", (const char *)e->data);
		return;
	}
	if (!getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(name, sizeof(name), "%s", res->pw_name);
	else
		snprintf(name, sizeof(name), "%u", uid);
	snprintf(out, len, "%s", name);
	if (e)
		e->data = strdup(name);
}

/* User, cgroup and name of process pid from /proc; 0 or a negative errno (gone). */
static int read_pid_info(struct top_ctx *c, __u32 pid, struct top_meta *m)
{
	char path[64], buf[8192];
	unsigned int uid;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/%u/status", pid);
	n = read_file_at(procfs(c), path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (!top_parse_status_uid(buf, n, &uid))
		user_name(c, uid, m->user, sizeof(m->user));
	snprintf(path, sizeof(path), "/%u/cgroup", pid);
	n = read_file_at(procfs(c), path, buf, sizeof(buf));
	if (n >= 0)
		top_parse_cgroup(buf, n, m->cgroup, sizeof(m->cgroup));
	snprintf(path, sizeof(path), "/%u/comm", pid);
	n = read_file_at(procfs(c), path, buf, sizeof(buf));
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[--n] = '\0';
		snprintf(m->pcomm, sizeof(m->pcomm), "%.*s", (int)sizeof(m->pcomm) - 1, buf);
	}
	return 0;
}

static void pid_meta(struct top_ctx *c, __u32 pid, struct top_meta *out)
{
	unsigned long now = c->model.cur.sum.interval + 1;
	struct top_map_entry *e = top_map_find(&c->pids, pid, NULL);
	struct top_pid_info *pi = e ? e->data : NULL;

	if (pi && now - pi->read_at < META_REFRESH) {
		e->seen = now;
		*out = pi->meta;
		return;
	}
	if (read_pid_info(c, pid, out)) {
		/* Gone before we looked: what we knew, if anything. */
		if (pi)
			*out = pi->meta;
		return;
	}
	if (!pi) {
		e = top_map_get(&c->pids, pid, NULL);
		if (!e)
			return;
		pi = e->data = calloc(1, sizeof(*pi));
		if (!pi)
			return;
	}
	pi->meta = *out;
	pi->read_at = now;
	e->seen = now;
}

static int task_alive(void *ctx, __u32 pid, __u32 tid)
{
	struct top_ctx *c = ctx;
	char path[96];

	if (tid)
		snprintf(path, sizeof(path), "%s/%u/task/%u", procfs(c), pid, tid);
	else
		snprintf(path, sizeof(path), "%s/%u", procfs(c), pid);
	return !access(path, F_OK);
}

/* Forget processes whose main thread exited, and those unseen for a while. */
static void evict_pids(struct top_ctx *c, const struct interval_result *r)
{
	unsigned long now = c->model.cur.sum.interval;
	struct top_map_entry *e;
	size_t i;

	for (i = 0; i < r->nr_threads; i++) {
		const struct thread_result *t = &r->threads[i];

		if (t->exited && t->pid == t->tid && (e = top_map_find(&c->pids, t->pid, NULL)))
			top_map_delete(&c->pids, e);
	}
	if (now % PURGE_EVERY)
		return;
	i = 0;
	while (i < c->pids.cap) {
		e = &c->pids.v[i];
		/* A delete may pull an unvisited entry into slot i: look again. */
		if (e->used && e->seen + PURGE_EVERY < now)
			top_map_delete(&c->pids, e);
		else
			i++;
	}
	top_model_purge(&c->model, task_alive, c);
}

static int emit_batch(struct top_ctx *c)
{
	int ret = 0;

	if (c->o->top_json) {
		char *j = top_json(&c->model.cur, TOP_VIEW_THREADS, TOP_SORT_POWER);

		if (!j)
			return -ENOMEM;
		if (printf("%s\n", j) < 0 || fflush(stdout))
			ret = -EIO;
		free(j);
		return ret;
	}
	return top_print_batch(stdout, &c->model.cur, TOP_VIEW_THREADS, TOP_SORT_POWER,
			       c->meter_why, 0);
}

static int top_sink(void *ctx, const struct interval_result *r)
{
	struct top_ctx *c = ctx;
	size_t i;
	int ret;

	if (vec_fit(&c->meta, &c->cap_meta, r->nr_threads, sizeof(*c->meta)))
		return -ENOMEM;
	for (i = 0; i < r->nr_threads; i++) {
		if (r->threads[i].is_tracer)
			continue;
		pid_meta(c, r->threads[i].pid, &c->meta[i]);
	}
	if (c->notify_fd >= 0)
		pthread_mutex_lock(&c->lock);
	ret = top_model_update(&c->model, r, c->meta);
	if (c->notify_fd >= 0)
		pthread_mutex_unlock(&c->lock);
	if (ret)
		return ret;
	c->intervals++;
	evict_pids(c, r);
	if (c->notify_fd < 0)
		return emit_batch(c);
	if (write(c->notify_fd, "x", 1) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int top_run_session(struct top_ctx *c, volatile sig_atomic_t *stop)
{
	int ret;

	while (!c->o->top_count || c->intervals < c->o->top_count) {
		ret = session_step(c->s, stop);
		if (ret <= 0)
			return ret;
	}
	return 0;
}

int run_top(const struct options *o, volatile sig_atomic_t *stop)
{
	struct top_ctx c = { .o = o, .notify_fd = -1 };
	struct prom_sink *prom = NULL;
	char err[512];
	int ret, status = 1;

	if (!o->top_batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "energat-bpf: top needs a terminal; use 'top -b' (or --json) "
				"for plain output\n");
		return 1;
	}
	ret = session_open(o, &c.s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err);
		return 1;
	}
	c.meter_why = session_meter_why(c.s);
	top_model_init(&c.model);
	c.model.cur.sum.gamma = o->gamma;
	c.model.cur.sum.delta = o->delta;
	pthread_mutex_init(&c.lock, NULL);
	session_add_sink(c.s, top_sink, &c);
	if (o->prom_port) {
		if (prom_sink_open(o, &prom, err, sizeof(err))) {
			fprintf(stderr, "energat-bpf: %s\n", err);
			status = 1;
			goto cleanup;
		}
		session_add_sink(c.s, prom_sink_write, prom);
	}
	if (o->top_batch) {
		if (!strcmp(session_meter_name(c.s), "model"))
			fprintf(stderr,
				"energat-bpf: warning: meter=model: %s; energy is estimated\n",
				c.meter_why);
		session_wait_for_signals(c.s);
		ret = top_run_session(&c, stop);
		if (ret < 0)
			fprintf(stderr, "energat-bpf: top failed: %s\n", strerror(-ret));
		status = ret < 0;
	} else {
		status = top_ui_run(&c, stop);
	}
cleanup:
	session_close(c.s);
	prom_sink_close(prom);
	pthread_mutex_destroy(&c.lock);
	top_model_free(&c.model);
	top_map_free(&c.pids);
	top_map_free(&c.users);
	free(c.meta);
	return status;
}
