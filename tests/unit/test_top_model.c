// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pure part of `energat-bpf top`: rows, views, cumulative joules, sorting, text, JSON. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "top_model.h"

#define assert_near(a, b)                                                   \
	do {                                                                \
		double _a = (a), _b = (b);                                  \
		if (!(fabs(_a - _b) <= 1e-9 * fmax(1, fabs(_b))))           \
			fail_msg("%s = %.17g, expected %.17g", #a, _a, _b); \
	} while (0)

#define MAXT 16

struct fixture {
	struct interval_result r;
	struct thread_result t[MAXT];
	struct top_meta meta[MAXT];
};

static void fx_init(struct fixture *f, double dt)
{
	memset(f, 0, sizeof(*f));
	f->r.time = 1700000000.5;
	f->r.dt_sec = dt;
	f->r.nr_sockets = 2;
	f->r.meter = "model";
	f->r.estimated = 1;
	f->r.has_dram[0] = f->r.has_dram[1] = 1;
	f->r.threads = f->t;
}

/* A thread with cpu ms and package/DRAM joules on socket 0 and 1. */
static struct thread_result *fx_add(struct fixture *f, __u32 pid, __u32 tid, const char *comm,
				    double ms0, double ms1, double pkg0, double pkg1, double dram,
				    const char *user, const char *cgroup)
{
	struct thread_result *t = &f->t[f->r.nr_threads];
	struct top_meta *m = &f->meta[f->r.nr_threads];

	f->r.nr_threads++;
	t->pid = pid;
	t->tid = tid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->cpu_ns[0] = ms0 * 1e6;
	t->cpu_ns[1] = ms1 * 1e6;
	t->pkg_j[0] = pkg0;
	t->pkg_j[1] = pkg1;
	t->dram_j[0] = dram;
	snprintf(m->user, sizeof(m->user), "%s", user);
	snprintf(m->cgroup, sizeof(m->cgroup), "%s", cgroup);
	return t;
}

static const struct top_row *find_row(const struct top_snapshot *s, enum top_view v, __u32 pid,
				      __u32 tid, const char *cgroup)
{
	size_t i;

	for (i = 0; i < s->nr[v]; i++) {
		const struct top_row *r = &s->rows[v][i];

		if (v == TOP_VIEW_CGROUPS ? !strcmp(r->cgroup, cgroup) :
					    r->pid == pid && r->tid == tid)
			return r;
	}
	return NULL;
}

/*
 * Interval of 2 s: pid 100 (threads 100 on socket 0, 101 on both), pid 200
 * (one thread, another cgroup and user), energat-bpf's own thread (excluded).
 */
static void fx_standard(struct fixture *f)
{
	struct thread_result *t;

	fx_init(f, 2);
	fx_add(f, 100, 100, "app", 1000, 0, 4, 0, 0.5, "alice", "app.service");
	fx_add(f, 100, 101, "worker", 500, 500, 2, 3, 0.5, "alice", "app.service");
	fx_add(f, 200, 200, "db", 200, 0, 1, 0, 1, "bob", "db.service");
	t = fx_add(f, 300, 300, "energat-bpf", 10, 0, 0.1, 0, 0, "root", "x");
	t->is_tracer = 1;
	f->r.tracer.pkg_j[0] = 0.2;
	f->r.tracer.dram_j[0] = 0.1;
	f->r.tracer_cpu_ns[0] = 10e6;
	f->r.energy.total_pkg[0] = 40;
	f->r.energy.dyn_pkg[0] = 40;
	f->r.energy.total_pkg[1] = 30;
	f->r.energy.dyn_pkg[1] = 30;
	f->r.energy.total_dram[0] = 8;
	f->r.energy.dyn_dram[0] = 8;
	f->r.cpu_percent[0] = 45.5;
	f->r.cpu_percent[1] = 12.25;
	f->r.rb_drops = 3;
}

static void test_thread_rows(void **state)
{
	struct fixture f;
	struct top_model m;
	const struct top_row *r;

	(void)state;
	fx_standard(&f);
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_int_equal(m.cur.nr[TOP_VIEW_THREADS], 3); /* the tracer is not a row */
	r = find_row(&m.cur, TOP_VIEW_THREADS, 100, 101, NULL);
	assert_non_null(r);
	assert_near(r->cpu_pct, 50); /* 1 s of CPU in 2 s */
	assert_near(r->pkg_w, 2.5); /* (2 + 3) J / 2 s */
	assert_near(r->dram_w, 0.25);
	assert_near(r->joules, 5.5);
	assert_int_equal(r->sockets, 3);
	assert_string_equal(r->comm, "worker");
	assert_string_equal(r->user, "alice");
	assert_string_equal(r->cgroup, "app.service");
	r = find_row(&m.cur, TOP_VIEW_THREADS, 100, 100, NULL);
	assert_int_equal(r->sockets, 1);
	/* Sorted by power: 100/101 (2.75 W), 100/100 (2.25 W), 200 (1 W). */
	assert_int_equal(m.cur.rows[TOP_VIEW_THREADS][0].tid, 101);
	assert_int_equal(m.cur.rows[TOP_VIEW_THREADS][1].tid, 100);
	assert_int_equal(m.cur.rows[TOP_VIEW_THREADS][2].tid, 200);
	/* Summary. */
	assert_int_equal(m.cur.sum.interval, 1);
	assert_near(m.cur.sum.sock[0].pkg_w, 20);
	assert_near(m.cur.sum.sock[1].pkg_dyn_w, 15);
	assert_near(m.cur.sum.sock[0].dram_w, 4);
	assert_near(m.cur.sum.sock[0].cpu_pct, 45.5);
	assert_near(m.cur.sum.tracer_cpu_pct, 0.5);
	assert_near(m.cur.sum.tracer_pkg_w, 0.1);
	assert_near(m.cur.sum.tracer_dram_w, 0.05);
	assert_int_equal(m.cur.sum.rb_drops, 3);
	assert_string_equal(m.cur.sum.meter, "model");
	top_model_free(&m);
}

static void test_process_and_cgroup_rows(void **state)
{
	struct fixture f;
	struct top_model m;
	const struct top_row *r;

	(void)state;
	fx_standard(&f);
	/* A third process in app.service, run by someone else. */
	fx_add(&f, 400, 401, "helper", 100, 0, 0.5, 0, 0, "carol", "app.service");
	snprintf(f.meta[4].pcomm, sizeof(f.meta[4].pcomm), "helperd");
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_int_equal(m.cur.nr[TOP_VIEW_PROCESSES], 3);
	r = find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL);
	assert_non_null(r);
	assert_int_equal(r->nr_threads, 2);
	assert_near(r->cpu_pct, 100); /* 2 s of CPU in 2 s: one CPU's worth */
	assert_near(r->pkg_w, 4.5);
	assert_near(r->dram_w, 0.5);
	assert_near(r->joules, 10);
	assert_int_equal(r->sockets, 3);
	assert_string_equal(r->comm, "app"); /* the main thread's name */
	/* Its main thread did not run: the name comes from /proc. */
	r = find_row(&m.cur, TOP_VIEW_PROCESSES, 400, 0, NULL);
	assert_string_equal(r->comm, "helperd");
	assert_int_equal(r->nr_threads, 1);

	assert_int_equal(m.cur.nr[TOP_VIEW_CGROUPS], 2);
	r = find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "app.service");
	assert_non_null(r);
	assert_int_equal(r->nr_procs, 2);
	assert_int_equal(r->nr_threads, 3);
	assert_near(r->pkg_w, 4.75);
	assert_near(r->joules, 10.5);
	assert_string_equal(r->user, "*"); /* alice and carol */
	r = find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "db.service");
	assert_string_equal(r->user, "bob");
	assert_int_equal(r->nr_procs, 1);
	/* Cgroup view sorted by power too. */
	assert_string_equal(m.cur.rows[TOP_VIEW_CGROUPS][0].cgroup, "app.service");
	top_model_free(&m);
}

/*
 * With gamma/delta set, a process or cgroup is credited as one target:
 * package D[s] * (Σ t / H[s])^gamma; cgroup DRAM D_dram * (Σ f_mem)^delta,
 * each process's f_mem recovered from its DRAM joules.
 */
static void test_aggregate_credit(void **state)
{
	struct fixture f;
	struct top_model m;
	const struct top_row *r;
	double pkg;

	(void)state;
	fx_standard(&f);
	f.r.host_busy_ns[0] = 4e9;
	f.r.host_busy_ns[1] = 2e9;
	fx_add(&f, 500, 500, "side", 250, 0, 1, 0, 1.0, "alice", "app.service");
	top_model_init(&m);
	m.cur.sum.gamma = 0.5;
	m.cur.sum.delta = 0.5;
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	/* pid 100: 1.5 s of 4 on socket 0, 0.5 s of 2 on socket 1; D = 40 and 30 J. */
	r = find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL);
	pkg = 40 * sqrt(1.5 / 4) + 30 * sqrt(0.5 / 2);
	assert_near(r->pkg_w, pkg / 2);
	assert_near(r->dram_w, 0.5); /* its own DRAM: the threads' split adds back up */
	assert_near(r->joules, pkg + 1);
	assert_near(r->sock_mem[0], (1.0 / 8) * (1.0 / 8)); /* (A / D)^(1 / 0.5) */
	/* Thread rows keep their own shares. */
	assert_near(find_row(&m.cur, TOP_VIEW_THREADS, 100, 101, NULL)->pkg_w, 2.5);
	/* app.service = pids 100 and 500: 1.75 s on socket 0, f_mem 2 x 1/64. */
	r = find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "app.service");
	pkg = 40 * sqrt(1.75 / 4) + 30 * sqrt(0.5 / 2);
	assert_near(r->pkg_w, pkg / 2);
	assert_near(r->dram_w, 8 * sqrt(2.0 / 64) / 2);
	assert_near(r->joules, pkg + 8 * sqrt(2.0 / 64));
	assert_near(r->cpu_pct, (1000 + 1000 + 250) / 20.0);
	/* gamma = delta = 1: proportional, a cgroup's DRAM is then the plain sum. */
	top_model_free(&m);
	top_model_init(&m);
	m.cur.sum.gamma = 1;
	m.cur.sum.delta = 1;
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	r = find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL);
	assert_near(r->pkg_w, (40 * 1.5 / 4 + 30 * 0.5 / 2) / 2);
	r = find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "app.service");
	assert_near(r->dram_w, (1.0 + 1.0) / 2);
	/* A process holding all of a socket's DRAM is capped at f_mem = 1. */
	top_model_free(&m);
	f.t[4].dram_j[0] = 9;
	top_model_init(&m);
	m.cur.sum.gamma = 0.5;
	m.cur.sum.delta = 0.5;
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_near(find_row(&m.cur, TOP_VIEW_PROCESSES, 500, 0, NULL)->sock_mem[0], 1);
	assert_near(find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "app.service")->dram_w, 8.0 / 2);
	top_model_free(&m);
}

/* No metadata (process gone before /proc was read): rows still made, cgroup "?". */
static void test_no_meta(void **state)
{
	struct fixture f;
	struct top_model m;

	(void)state;
	fx_standard(&f);
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, NULL), 0);
	assert_int_equal(m.cur.nr[TOP_VIEW_THREADS], 3);
	assert_string_equal(m.cur.rows[TOP_VIEW_THREADS][0].user, "");
	assert_int_equal(m.cur.nr[TOP_VIEW_CGROUPS], 1);
	assert_string_equal(m.cur.rows[TOP_VIEW_CGROUPS][0].cgroup, "?");
	assert_int_equal(m.cur.rows[TOP_VIEW_CGROUPS][0].nr_procs, 2);
	top_model_free(&m);
}

static void test_cumulative(void **state)
{
	struct fixture f;
	struct top_model m;
	const struct top_row *r;
	struct thread_result *t;

	(void)state;
	top_model_init(&m);
	/* Interval 1: 100/100 and 100/101 run. */
	fx_init(&f, 1);
	fx_add(&f, 100, 100, "a", 10, 0, 1, 0, 0, "u", "g");
	fx_add(&f, 100, 101, "b", 10, 0, 2, 0, 0, "u", "g");
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	/* Interval 2: 101 runs and exits; 102 appears. */
	fx_init(&f, 1);
	t = fx_add(&f, 100, 101, "b", 10, 0, 3, 0, 0.5, "u", "g");
	t->exited = 1;
	fx_add(&f, 100, 102, "c", 10, 0, 1, 0, 0, "u", "g");
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	/* The exited thread's row is there, with its whole history. */
	r = find_row(&m.cur, TOP_VIEW_THREADS, 100, 101, NULL);
	assert_non_null(r);
	assert_int_equal(r->exited, 1);
	assert_near(r->joules, 5.5);
	assert_near(find_row(&m.cur, TOP_VIEW_THREADS, 100, 102, NULL)->joules, 1);
	/* The process: 3 + 4.5 J, not exited (102 lives). */
	r = find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL);
	assert_near(r->joules, 7.5);
	assert_int_equal(r->exited, 0);
	assert_near(find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "g")->joules, 7.5);
	/* Interval 3: tid 101 reused (same pid): it starts from zero. 100/100 idles. */
	fx_init(&f, 1);
	fx_add(&f, 100, 101, "b2", 10, 0, 1, 0, 0, "u", "g");
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_near(find_row(&m.cur, TOP_VIEW_THREADS, 100, 101, NULL)->joules, 1);
	assert_null(find_row(&m.cur, TOP_VIEW_THREADS, 100, 100, NULL)); /* did not run */
	assert_near(find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL)->joules, 8.5);
	/* Interval 4: the main thread exits: the process's total is dropped after. */
	fx_init(&f, 1);
	t = fx_add(&f, 100, 100, "a", 10, 0, 1, 0, 0, "u", "g");
	t->exited = 1;
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	r = find_row(&m.cur, TOP_VIEW_THREADS, 100, 100, NULL);
	assert_near(r->joules, 2); /* 1 + 1 */
	r = find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL);
	assert_near(r->joules, 9.5);
	assert_int_equal(r->exited, 1);
	assert_null(top_map_find(&m.cum[TOP_VIEW_PROCESSES], 100, NULL));
	assert_null(top_map_find(&m.cum[TOP_VIEW_THREADS], (__u64)100 << 32 | 100, NULL));
	/* Interval 5: pid 100 reused. */
	fx_init(&f, 1);
	fx_add(&f, 100, 100, "new", 10, 0, 1, 0, 0, "u", "g");
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_near(find_row(&m.cur, TOP_VIEW_PROCESSES, 100, 0, NULL)->joules, 1);
	/* The cgroup keeps counting. */
	assert_near(find_row(&m.cur, TOP_VIEW_CGROUPS, 0, 0, "g")->joules, 10.5);
	top_model_free(&m);
}

static int alive_only_1(void *ctx, __u32 pid, __u32 tid)
{
	(void)ctx;
	return pid == 1 && (tid == 0 || tid == 1);
}

static void test_purge(void **state)
{
	struct fixture f;
	struct top_model m;

	(void)state;
	top_model_init(&m);
	fx_init(&f, 1);
	fx_add(&f, 1, 1, "init", 10, 0, 1, 0, 0, "root", "/");
	fx_add(&f, 1, 2, "t", 10, 0, 1, 0, 0, "root", "/");
	fx_add(&f, 5, 5, "gone", 10, 0, 1, 0, 0, "root", "/");
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_int_equal(m.cum[TOP_VIEW_THREADS].len, 3);
	assert_int_equal(m.cum[TOP_VIEW_PROCESSES].len, 2);
	top_model_purge(&m, alive_only_1, NULL);
	assert_int_equal(m.cum[TOP_VIEW_THREADS].len, 1);
	assert_non_null(top_map_find(&m.cum[TOP_VIEW_THREADS], (__u64)1 << 32 | 1, NULL));
	assert_int_equal(m.cum[TOP_VIEW_PROCESSES].len, 1);
	assert_non_null(top_map_find(&m.cum[TOP_VIEW_PROCESSES], 1, NULL));
	top_model_free(&m);
}

/* Idle cgroups are forgotten after cgroup_idle_max intervals. */
static void test_cgroup_idle(void **state)
{
	struct fixture f;
	struct top_model m;
	int i;

	(void)state;
	top_model_init(&m);
	m.cgroup_idle_max = 10;
	fx_init(&f, 1);
	fx_add(&f, 7, 7, "x", 10, 0, 1, 0, 0, "root", "old.scope");
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_non_null(
		top_map_find(&m.cum[TOP_VIEW_CGROUPS], top_hash_name("old.scope"), "old.scope"));
	fx_init(&f, 1);
	fx_add(&f, 8, 8, "y", 10, 0, 1, 0, 0, "root", "new.scope");
	for (i = 0; i < 64; i++)
		assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_null(
		top_map_find(&m.cum[TOP_VIEW_CGROUPS], top_hash_name("old.scope"), "old.scope"));
	assert_non_null(
		top_map_find(&m.cum[TOP_VIEW_CGROUPS], top_hash_name("new.scope"), "new.scope"));
	top_model_free(&m);
}

static struct top_row mk(__u32 pid, __u32 tid, double cpu, double pkg, double dram, double j,
			 const char *comm)
{
	struct top_row r = {
		.pid = pid, .tid = tid, .cpu_pct = cpu, .pkg_w = pkg, .dram_w = dram, .joules = j
	};

	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	return r;
}

static void order(const struct top_row *r, size_t n, const __u32 *want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].pid != want[i])
			fail_msg("row %zu: pid %u, expected %u", i, r[i].pid, want[i]);
}

static void test_sort(void **state)
{
	struct top_row r[4];

	(void)state;
	r[0] = mk(1, 1, 10, 1, 0.5, 100, "zeta");
	r[1] = mk(2, 2, 50, 2, 0, 5, "alpha");
	r[2] = mk(3, 3, 5, 0.5, 3, 50, "mid");
	r[3] = mk(4, 4, 50, 0.1, 0, 1, "alpha");
	top_sort_rows(r, 4, TOP_SORT_POWER, 0);
	order(r, 4, (const __u32[]){ 3, 2, 1, 4 });
	top_sort_rows(r, 4, TOP_SORT_POWER, 1);
	order(r, 4, (const __u32[]){ 4, 1, 2, 3 });
	top_sort_rows(r, 4, TOP_SORT_CPU, 0); /* ties by pid */
	order(r, 4, (const __u32[]){ 2, 4, 1, 3 });
	top_sort_rows(r, 4, TOP_SORT_PKG, 0);
	order(r, 4, (const __u32[]){ 2, 1, 3, 4 });
	top_sort_rows(r, 4, TOP_SORT_DRAM, 0);
	order(r, 4, (const __u32[]){ 3, 1, 2, 4 });
	top_sort_rows(r, 4, TOP_SORT_JOULES, 0);
	order(r, 4, (const __u32[]){ 1, 3, 2, 4 });
	top_sort_rows(r, 4, TOP_SORT_PID, 0);
	order(r, 4, (const __u32[]){ 1, 2, 3, 4 });
	top_sort_rows(r, 4, TOP_SORT_NAME, 0);
	order(r, 4, (const __u32[]){ 2, 4, 3, 1 });
	top_sort_rows(r, 4, TOP_SORT_NAME, 1);
	order(r, 4, (const __u32[]){ 1, 3, 4, 2 });
	top_sort_rows(r, 0, TOP_SORT_NAME, 1);
	assert_string_equal(top_sort_name(TOP_SORT_POWER), "power");
	assert_string_equal(top_sort_name(TOP_SORT_NAME), "name");
	assert_string_equal(top_view_name(TOP_VIEW_PROCESSES), "processes");
	assert_string_equal(top_view_name(TOP_VIEW__COUNT), "?");
}

static void test_sockets_format(void **state)
{
	char b[32];

	(void)state;
	top_format_sockets(0, b, sizeof(b));
	assert_string_equal(b, "-");
	top_format_sockets(1, b, sizeof(b));
	assert_string_equal(b, "0");
	top_format_sockets(2, b, sizeof(b));
	assert_string_equal(b, "1");
	top_format_sockets(3, b, sizeof(b));
	assert_string_equal(b, "0,1");
	top_format_sockets(7, b, sizeof(b));
	assert_string_equal(b, "0-2");
	top_format_sockets(0x1d, b, sizeof(b));
	assert_string_equal(b, "0,2-4");
	top_format_sockets(0x80, b, sizeof(b));
	assert_string_equal(b, "7");
	top_format_sockets(0xff, b, 3); /* truncated, terminated */
	assert_string_equal(b, "0-");
}

static void test_header(void **state)
{
	struct fixture f;
	struct top_model m;
	char buf[4096];

	(void)state;
	fx_standard(&f);
	f.r.has_dram[1] = 0;
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	top_format_header(&m.cur.sum, "no energy counters", buf, sizeof(buf));
	assert_non_null(strstr(buf, "meter=model (estimated)\nestimated: no energy counters\n"));
	assert_non_null(strstr(buf, "interval 2.00 s"));
	assert_non_null(strstr(buf, "\nbaseline 0 W (live view)"));
	assert_null(strstr(buf, "gamma")); /* not said: no line */
	m.cur.sum.gamma = 0.3;
	top_format_header(&m.cur.sum, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nrows: dynamic power x (CPU share)^0.30 (gamma)"));
	m.cur.sum.gamma = 1;
	top_format_header(&m.cur.sum, "no energy counters", buf, sizeof(buf));
	assert_null(strstr(buf, "gamma"));
	assert_non_null(strstr(buf, "socket 0: cpu  45.5%  pkg   20.00 W (baseline 0.00, "
				    "dynamic   20.00)  dram   4.00 W (baseline 0.00, dynamic   "
				    "4.00)\n"));
	assert_non_null(strstr(buf, "socket 1: cpu  12.2%  pkg   15.00 W"));
	assert_non_null(strstr(buf, "dram n/a (no DRAM zone)"));
	assert_non_null(strstr(buf, "tracer: cpu 0.5%, 0.150 W (pkg 0.100, dram 0.050), "
				    "ring-buffer drops 3\n"));
	assert_null(strstr(buf, "warning"));
	/* A real meter: no "estimated"; anomalies are shown. */
	snprintf(m.cur.sum.meter, sizeof(m.cur.sum.meter), "powercap");
	m.cur.sum.estimated = 0;
	m.cur.sum.meter_anomalies = 1;
	top_format_header(&m.cur.sum, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "meter=powercap\n"));
	assert_non_null(
		strstr(buf, "warning: implausible or unreadable energy counter (zones 0x1)"));
	/* Truncation keeps a terminated string. */
	assert_int_equal(top_format_header(&m.cur.sum, NULL, buf, 10), 9);
	assert_int_equal(strlen(buf), 9);
	top_model_free(&m);
}

static void test_rows_format(void **state)
{
	struct top_row r = mk(1234, 1240, 99.5, 12.3456, 0.5, 1234.567, "a b\nc");
	char b[TOP_LINE_MAX];

	(void)state;
	r.sockets = 3;
	snprintf(r.user, sizeof(r.user), "averyverylongname");
	snprintf(r.cgroup, sizeof(r.cgroup), "ssh.service");
	r.nr_threads = 4;
	r.nr_procs = 2;
	top_format_colhead(TOP_VIEW_THREADS, b, sizeof(b));
	assert_string_equal(
		b, "    PID     TID USER     SOCK    CPU%    PKG_W   DRAM_W    TOTAL_J COMM");
	top_format_row(&r, TOP_VIEW_THREADS, b, sizeof(b));
	assert_string_equal(
		b, "   1234    1240 averyve+ 0,1     99.5   12.346    0.500    1234.57 a b?c");
	top_format_colhead(TOP_VIEW_PROCESSES, b, sizeof(b));
	assert_non_null(strstr(b, "    PID     THR USER"));
	top_format_row(&r, TOP_VIEW_PROCESSES, b, sizeof(b));
	assert_non_null(strstr(b, "   1234       4 averyve+"));
	top_format_colhead(TOP_VIEW_CGROUPS, b, sizeof(b));
	assert_non_null(strstr(b, "  PROCS     THR USER"));
	assert_non_null(strstr(b, "TOTAL_J CGROUP"));
	top_format_row(&r, TOP_VIEW_CGROUPS, b, sizeof(b));
	assert_non_null(strstr(b, "      2       4 averyve+"));
	assert_non_null(strstr(b, " ssh.service"));
	r.user[0] = '\0';
	top_format_row(&r, TOP_VIEW_THREADS, b, sizeof(b));
	assert_non_null(strstr(b, "1240 ?        0,1"));
	top_format_row(&r, TOP_VIEW_THREADS, b, 8);
	assert_string_equal(b, "   1234");
}

static void test_batch(void **state)
{
	struct fixture f;
	struct top_model m;
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *out;
	int lines = 0;

	(void)state;
	fx_standard(&f);
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(top_print_batch(out, &m.cur, TOP_VIEW_THREADS, TOP_SORT_POWER, "why", 2),
			 0);
	fclose(out);
	assert_non_null(strstr(buf, "energat-bpf top - "));
	assert_non_null(strstr(buf, "baseline 0 W (live view)"));
	assert_non_null(strstr(buf, "3 threads, sorted by power\n\n    PID     TID USER"));
	/* Two rows shown (max_rows), power order, then a blank line. */
	p = strstr(buf, "TOTAL_J COMM\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "    100     101 alice"));
	assert_null(strstr(p, "    200     200"));
	for (p = buf; *p; p++)
		lines += *p == '\n';
	/* title, why, baseline, 2 sockets, tracer, count, blank, titles, 2 rows, blank */
	assert_int_equal(lines, 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 2 + 1);
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(buf[len - 2], '\n');
	free(buf);
	top_model_free(&m);
}

static double jd(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no key %s", k);
	return json_object_get_double(v);
}

static const char *js(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no key %s", k);
	return json_object_get_string(v);
}

static void test_json(void **state)
{
	struct fixture f;
	struct top_model m;
	struct json_object *o, *rows, *row, *socks, *v;
	char *s;

	(void)state;
	fx_standard(&f);
	/* A comm with a quote and invalid UTF-8, a valid UTF-8 one. */
	snprintf(f.t[0].comm, sizeof(f.t[0].comm), "a\"b\xff\xc3");
	snprintf(f.t[2].comm, sizeof(f.t[2].comm), "d\xc3\xa9j\xc3\xa0");
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	s = top_json(&m.cur, TOP_VIEW_THREADS, TOP_SORT_POWER);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_near(jd(o, "time"), 1700000000.5);
	assert_near(jd(o, "dt_sec"), 2);
	assert_near(jd(o, "interval"), 1);
	assert_string_equal(js(o, "meter"), "model");
	assert_string_equal(js(o, "estimated"), "true");
	assert_string_equal(js(o, "live_view"), "true");
	assert_false(json_object_object_get_ex(o, "gamma", &v));
	assert_string_equal(js(o, "view"), "threads");
	assert_string_equal(js(o, "sort"), "power");
	assert_near(jd(o, "rb_drops"), 3);
	assert_true(json_object_object_get_ex(o, "sockets", &socks));
	assert_int_equal(json_object_array_length(socks), 2);
	assert_near(jd(json_object_array_get_idx(socks, 0), "pkg_w"), 20);
	assert_near(jd(json_object_array_get_idx(socks, 0), "pkg_base_w"), 0);
	assert_near(jd(json_object_array_get_idx(socks, 1), "cpu_percent"), 12.25);
	assert_true(json_object_object_get_ex(o, "tracer", &v));
	assert_near(jd(v, "pkg_w"), 0.1);
	assert_true(json_object_object_get_ex(o, "rows", &rows));
	assert_int_equal(json_object_array_length(rows), 3);
	row = json_object_array_get_idx(rows, 0);
	assert_near(jd(row, "pid"), 100);
	assert_near(jd(row, "tid"), 101);
	assert_near(jd(row, "cpu_percent"), 50);
	assert_near(jd(row, "pkg_w"), 2.5);
	assert_near(jd(row, "dram_w"), 0.25);
	assert_near(jd(row, "joules"), 5.5);
	assert_string_equal(js(row, "user"), "alice");
	assert_string_equal(js(row, "cgroup"), "app.service");
	assert_string_equal(js(row, "exited"), "false");
	assert_true(json_object_object_get_ex(row, "sockets", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(js(json_object_array_get_idx(rows, 1), "comm"), "a\"b??");
	assert_string_equal(js(json_object_array_get_idx(rows, 2), "comm"), "d\xc3\xa9j\xc3\xa0");
	json_object_put(o);
	free(s);

	/* Process and cgroup views name their own fields. */
	s = top_json(&m.cur, TOP_VIEW_PROCESSES, TOP_SORT_CPU);
	o = json_tokener_parse(s);
	assert_non_null(o);
	json_object_object_get_ex(o, "rows", &rows);
	row = json_object_array_get_idx(rows, 0);
	assert_near(jd(row, "threads"), 2);
	assert_false(json_object_object_get_ex(row, "tid", &v));
	json_object_put(o);
	free(s);
	s = top_json(&m.cur, TOP_VIEW_CGROUPS, TOP_SORT_POWER);
	o = json_tokener_parse(s);
	assert_non_null(o);
	json_object_object_get_ex(o, "rows", &rows);
	row = json_object_array_get_idx(rows, 0);
	assert_string_equal(js(row, "cgroup"), "app.service");
	assert_near(jd(row, "processes"), 1);
	assert_false(json_object_object_get_ex(row, "pid", &v));
	json_object_put(o);
	free(s);
	top_model_free(&m);
}

static void test_snapshot_copy(void **state)
{
	struct fixture f;
	struct top_model m;
	struct top_snapshot s = { 0 };

	(void)state;
	fx_standard(&f);
	top_model_init(&m);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_int_equal(top_snapshot_copy(&s, &m.cur), 0);
	assert_int_equal(s.nr[TOP_VIEW_THREADS], 3);
	assert_int_equal(s.nr[TOP_VIEW_CGROUPS], 2);
	assert_ptr_not_equal(s.rows[0], m.cur.rows[0]);
	top_snapshot_sort(&s, TOP_SORT_PID, 0);
	assert_int_equal(s.rows[TOP_VIEW_THREADS][0].tid, 100);
	assert_int_equal(m.cur.rows[TOP_VIEW_THREADS][0].tid, 101); /* the model's untouched */
	/* Again over the same copy, with fewer rows. */
	fx_init(&f, 1);
	assert_int_equal(top_model_update(&m, &f.r, f.meta), 0);
	assert_int_equal(top_snapshot_copy(&s, &m.cur), 0);
	assert_int_equal(s.nr[TOP_VIEW_THREADS], 0);
	assert_int_equal(s.sum.interval, 2);
	top_snapshot_free(&s);
	top_model_free(&m);
}

static void test_parse_uid(void **state)
{
	const char *st = "Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\n"
			 "Uid:\t1000\t1001\t1002\t1003\nGid:\t100\t100\t100\t100\n";
	const char *bad[] = {
		"Name: x\n", "Uid:\t\n", "Uid:\t1000\n", "Uid:\tx\t1\n", "Uid:\t1\t99999999999\n",
		""
	};
	unsigned int uid = 7;
	size_t i;

	(void)state;
	assert_int_equal(top_parse_status_uid(st, strlen(st), &uid), 0);
	assert_int_equal(uid, 1001);
	assert_int_equal(top_parse_status_uid("Uid:\t0\t0\t0\t0", 12, &uid), 0);
	assert_int_equal(uid, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uid = 7;
		assert_int_equal(top_parse_status_uid(bad[i], strlen(bad[i]), &uid), -EINVAL);
		assert_int_equal(uid, 7);
	}
	/* Length is honoured: the Uid line lies beyond it. */
	assert_int_equal(top_parse_status_uid(st, 10, &uid), -EINVAL);
}

static void cg(const char *text, int ret, const char *want)
{
	char out[TOP_CGROUP_LEN] = "unchanged";

	assert_int_equal(top_parse_cgroup(text, strlen(text), out, sizeof(out)), ret);
	if (!ret)
		assert_string_equal(out, want);
}

static void test_parse_cgroup(void **state)
{
	char small[8];

	(void)state;
	cg("0::/system.slice/ssh.service\n", 0, "ssh.service");
	cg("0::/\n", 0, "/");
	cg("0::/user.slice/user-0.slice/session-3.scope", 0, "session-3.scope");
	cg("0::/system.slice/docker-0123abcd.scope/\n", 0, "docker-0123abcd.scope");
	/* Hybrid v1/v2: v2 wins wherever it is. */
	cg("12:memory:/foo\n1:name=systemd:/system.slice/cron.service\n0::/a/b.scope\n", 0,
	   "b.scope");
	/* Pure v1: the systemd hierarchy. */
	cg("12:memory:/foo\n3:cpu,cpuacct:/bar\n1:name=systemd:/system.slice/cron.service\n", 0,
	   "cron.service");
	/* Pure v1 without systemd: the first line. */
	cg("12:memory:/foo/x\n3:cpu:/bar\n", 0, "x");
	/* A path containing ':' is kept whole. */
	cg("0::/a/b:c\n", 0, "b:c");
	cg("", -EINVAL, NULL);
	cg("garbage\n", -EINVAL, NULL);
	cg("0::\n", -EINVAL, NULL);
	cg("0::relative\n", -EINVAL, NULL);
	assert_int_equal(top_parse_cgroup("0::/abcdefghijkl\n", 17, small, sizeof(small)), 0);
	assert_string_equal(small, "abcdefg");
}

static void test_sanitize(void **state)
{
	char out[8];

	(void)state;
	top_sanitize("ab\tc\x7f\xc3\xa9", 8, out, sizeof(out));
	assert_string_equal(out, "ab?c???");
	top_sanitize("abcdefghij", 10, out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	top_sanitize("abc", 2, out, sizeof(out));
	assert_string_equal(out, "ab");
}

/* The map against a plain array, through many inserts and deletes (wrap-around included). */
static void test_map(void **state)
{
	enum { N = 2000 };
	static double ref[N];
	static int present[N];
	struct top_map m = { 0 };
	unsigned int seed = 1;
	int i, k, live = 0;

	(void)state;
	for (i = 0; i < 200000; i++) {
		struct top_map_entry *e;

		seed = seed * 1103515245 + 12345;
		k = (seed >> 8) % N;
		if ((seed >> 20) % 3 == 0) {
			e = top_map_find(&m, k, NULL);
			assert_int_equal(!!e, present[k]);
			if (e) {
				top_map_delete(&m, e);
				present[k] = 0;
				live--;
			}
		} else {
			e = top_map_get(&m, k, NULL);
			assert_non_null(e);
			if (!present[k]) {
				assert_near(e->joules, 0);
				present[k] = 1;
				ref[k] = 0;
				live++;
			}
			e->joules += 1;
			ref[k] += 1;
		}
		assert_int_equal(m.len, live);
	}
	for (k = 0; k < N; k++) {
		struct top_map_entry *e = top_map_find(&m, k, NULL);

		assert_int_equal(!!e, present[k]);
		if (e)
			assert_near(e->joules, ref[k]);
	}
	/* Names: equal hashes, different names are different entries. */
	assert_non_null(top_map_get(&m, 1u << 31, "x"));
	assert_non_null(top_map_get(&m, 1u << 31, "y"));
	top_map_get(&m, 1u << 31, "x")->joules = 5;
	assert_near(top_map_find(&m, 1u << 31, "x")->joules, 5);
	assert_near(top_map_find(&m, 1u << 31, "y")->joules, 0);
	assert_null(top_map_find(&m, 1u << 31, "z"));
	assert_null(top_map_find(&m, 1u << 31, NULL));
	top_map_get(&m, 1u << 31, "y")->data = malloc(10);
	top_map_delete(&m, top_map_find(&m, 1u << 31, "y"));
	assert_null(top_map_find(&m, 1u << 31, "y"));
	assert_non_null(top_map_find(&m, 1u << 31, "x"));
	top_map_free(&m);
	assert_null(top_map_find(&m, 1, NULL));
	assert_int_equal(top_hash_name("a") == top_hash_name("b"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_rows),
		cmocka_unit_test(test_process_and_cgroup_rows),
		cmocka_unit_test(test_aggregate_credit),
		cmocka_unit_test(test_no_meta),
		cmocka_unit_test(test_cumulative),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_cgroup_idle),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_sockets_format),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_rows_format),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_snapshot_copy),
		cmocka_unit_test(test_parse_uid),
		cmocka_unit_test(test_parse_cgroup),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests_name("top_model", tests, NULL, NULL);
}
