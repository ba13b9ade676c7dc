// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root-only: `energat-bpf top` end to end (issue 5). The real binary runs in
 * batch mode (text and --json) next to known burners, and its CPU% is
 * compared with each burner's own CPU clock (or its schedstat sampled in the
 * same run), so load from elsewhere on the machine moves both sides alike.
 * On the RAPL simulator tree (fake 2-socket topology + raplsim, P0 = 0) with
 * gamma = 1, a thread's package watts must be k x its CPU fraction. Last,
 * the interactive view is driven in tmux: it starts, shows the header and
 * rows, switches views with t and c, quits with q and restores the terminal.
 *
 * ENERGAT_BIN overrides the binary (default: BUILD/energat-bpf, found from
 * this test's own path BUILD/tests/it_top).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "root_test.h"
#include "workload.h"

#define RAPLSIM_K 15.0 /* watts per busy CPU */
#define CPU_TOL 5.0 /* points of CPU% */

static char build_dir[PATH_MAX / 2];
static char bin[PATH_MAX];

/*
 * What a failed assertion (a longjmp out of the test) leaves behind, for the
 * teardown: our children, a tmux server on our own socket, temporary dirs.
 */
#define MAX_KIDS 8
static pid_t kids[MAX_KIDS];
static char tmux_sock[64];
static char tmp_dirs[2][64];

static void track(pid_t pid, int add)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++) {
		if (add ? kids[i] == 0 : kids[i] == pid) {
			kids[i] = add ? pid : 0;
			return;
		}
	}
}

static void remember_dir(const char *dir)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!tmp_dirs[i][0]) {
			snprintf(tmp_dirs[i], sizeof(tmp_dirs[i]), "%s", dir);
			return;
		}
	}
}

static int teardown(void **state)
{
	char cmd[256];
	int i;

	(void)state;
	for (i = 0; i < MAX_KIDS; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	}
	if (tmux_sock[0]) {
		snprintf(cmd, sizeof(cmd), "tmux -L %s kill-server 2>/dev/null", tmux_sock);
		if (system(cmd)) {
			/* already gone */
		}
		tmux_sock[0] = '\0';
	}
	for (i = 0; i < 2; i++) {
		if (tmp_dirs[i][0]) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dirs[i]);
			if (system(cmd)) {
				/* nothing more to do */
			}
			tmp_dirs[i][0] = '\0';
		}
	}
	return 0;
}

static void tool_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/tools/%s", build_dir, name);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mono_now(void)
{
	return monotonic_ns() / 1e9;
}

/* The CPU burners run on: cpu1 when online (socket 1 of the fake tree), else cpu0. */
static int burn_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(1, &set))
		return 1;
	return 0;
}

/* ---- children ---- */

struct child {
	pid_t pid;
	int fd; /* its stdout */
	char *out;
	size_t len, cap;
};

static void spawn(struct child *c, char *const argv[])
{
	int p[2];

	memset(c, 0, sizeof(*c));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "it_top: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	track(c->pid, 1);
	c->fd = p[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

/* Read what is there, waiting at most ms; returns 0 at EOF. */
static int pump(struct child *c, int ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char buf[65536];
	ssize_t n;

	if (c->fd < 0)
		return 0;
	poll(&pfd, 1, ms);
	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		if (c->len + n + 1 > c->cap) {
			c->cap = (c->len + n + 1) * 2;
			c->out = realloc(c->out, c->cap);
			assert_non_null(c->out);
		}
		memcpy(c->out + c->len, buf, n);
		c->len += n;
		c->out[c->len] = '\0';
	}
	if (n == 0) {
		close(c->fd);
		c->fd = -1;
		return 0;
	}
	return 1;
}

/* Wait until the output holds needle (after offset from), or fail after sec. */
static void wait_output(struct child *c, const char *needle, size_t from, double sec)
{
	double end = mono_now() + sec;

	while (!(c->out && c->len > from && strstr(c->out + from, needle))) {
		if (mono_now() > end || !pump(c, 100)) {
			if (c->out && c->len > from && strstr(c->out + from, needle))
				return;
			fail_msg("no '%s' in the output within %.0f s; got:\n%s", needle, sec,
				 c->out ? c->out : "");
		}
	}
}

/* Read to EOF and reap; returns the exit status (fails after sec). */
static int finish(struct child *c, double sec)
{
	double end = mono_now() + sec;
	int status;

	while (pump(c, 100)) {
		if (mono_now() > end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			fail_msg("pid %d still running after %.0f s; output so far:\n%s", c->pid,
				 sec, c->out ? c->out : "");
		}
	}
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	track(c->pid, 0);
	c->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void child_free(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		track(c->pid, 0);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

/* ---- truth: schedstat of the burner's threads, sampled with wall-clock times ---- */

#define MAX_SAMPLES 8192
#define MAX_TIDS 4

struct sampler {
	pthread_t thread;
	pid_t pid;
	pid_t tid[MAX_TIDS];
	int nr_tids;
	volatile int stop;
	int n;
	double t[MAX_SAMPLES];
	long long run[MAX_SAMPLES][MAX_TIDS];
};

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;

	while (!s->stop && s->n < MAX_SAMPLES) {
		double before = wall_now(), after;
		int i, ok = 1;

		for (i = 0; i < s->nr_tids; i++) {
			s->run[s->n][i] = task_run_ns(s->pid, s->tid[i]);
			ok &= s->run[s->n][i] >= 0;
		}
		after = wall_now();
		if (!ok)
			break; /* exited: the samples so far stand */
		s->t[s->n++] = (before + after) / 2;
		usleep(5000);
	}
	return NULL;
}

/* A thread's schedstat run time at wall time t, interpolated. */
static double run_at(const struct sampler *s, int k, double t)
{
	int lo = 0, hi = s->n - 1, mid;

	assert_true(s->n >= 2);
	if (t <= s->t[0] || t >= s->t[hi])
		fail_msg("time %.3f outside the sampled window [%.3f, %.3f]", t, s->t[0], s->t[hi]);
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (s->t[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return s->run[lo][k] +
	       (s->run[hi][k] - s->run[lo][k]) * (t - s->t[lo]) / (s->t[hi] - s->t[lo]);
}

/*
 * Schedstat CPU% of thread k over the interval that ends at "time" t1 and
 * lasts dt. The session stamps "time" after reading the tracer, so the real
 * end may lie a little before t1 (more on a loaded machine): of the shifts
 * 0..MAX_SKEW, the one that agrees best with got. *skew gets it.
 */
#define MAX_SKEW 0.3

static double truth_pct(const struct sampler *s, int k, double t1, double dt, double got,
			double *skew)
{
	double best = NAN, sh;

	*skew = 0;
	for (sh = 0; sh <= MAX_SKEW + 1e-9; sh += 0.005) {
		double v = 100 * (run_at(s, k, t1 - sh) - run_at(s, k, t1 - sh - dt)) / (dt * 1e9);

		if (isnan(best) || fabs(v - got) < fabs(best - got)) {
			best = v;
			*skew = sh;
		}
		if (fabs(v - got) < 0.5)
			break; /* the smallest shift that fits is the likeliest */
	}
	return best;
}

/* Start `spin SEC CPULIST` and a sampler on its threads. */
static void start_spin(struct child *spin, struct sampler *smp, const char *sec, const char *cpus)
{
	char path[PATH_MAX];
	char *argv[] = { path, (char *)sec, (char *)cpus, NULL };
	char *p, *end;
	int i;

	tool_path("spin", path, sizeof(path));
	spawn(spin, argv);
	wait_output(spin, "\n", 0, 10);
	memset(smp, 0, sizeof(*smp));
	smp->pid = strtol(spin->out, &end, 10);
	assert_int_equal(smp->pid, spin->pid);
	for (p = end, i = 0; i < MAX_TIDS && *p != '\n'; i++) {
		smp->tid[i] = strtol(p, &end, 10);
		assert_true(end != p);
		p = end;
	}
	smp->nr_tids = i;
	assert_int_equal(pthread_create(&smp->thread, NULL, sampler_main, smp), 0);
}

static void stop_spin(struct child *spin, struct sampler *smp)
{
	smp->stop = 1;
	pthread_join(smp->thread, NULL);
	child_free(spin);
}

/* ---- JSON ---- */

static double jnum(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no '%s' in %s", k, json_object_to_json_string(o));
	return json_object_get_double(v);
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no '%s' in %s", k, json_object_to_json_string(o));
	return v;
}

/* Split the output into one parsed object per line. */
static int parse_lines(char *out, struct json_object **objs, int max)
{
	char *save = NULL, *line;
	int n = 0;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(n < max);
		objs[n] = json_tokener_parse(line);
		if (!objs[n])
			fail_msg("not a JSON object: %s", line);
		n++;
	}
	return n;
}

static struct json_object *find_tid(struct json_object *rows, int tid, int *rank)
{
	size_t i;

	for (i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);

		if ((int)jnum(r, "tid") == tid) {
			*rank = (int)i;
			return r;
		}
	}
	return NULL;
}

/*
 * Rows are in power order, and none above the burner is much less busy: a
 * busier thread from elsewhere may outrank it, an idle one may not.
 */
static void check_rank(struct json_object *rows, int rank, double cpu, const char *what)
{
	double prev = INFINITY;
	size_t i;

	for (i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);
		double w = jnum(r, "pkg_w") + jnum(r, "dram_w");

		if (w > prev + 1e-6)
			fail_msg("rows not sorted by power at row %zu (%.6f W after %.6f W)", i, w,
				 prev);
		prev = w;
		if ((int)i < rank && jnum(r, "cpu_percent") < cpu - 2 * CPU_TOL)
			fail_msg("%s (%.1f%% CPU) ranked below tid %d with %.1f%% CPU", what, cpu,
				 (int)jnum(r, "tid"), jnum(r, "cpu_percent"));
	}
}

/*
 * Run top --json for 3 intervals next to a spinner with the given CPU list;
 * per interval, each spinner thread's CPU% must match its schedstat over the
 * same window. gamma1: on the simulator (extra args), watts = k x CPU fraction.
 */
static void json_run(char *const top_argv[], const char *cpus, int gamma1)
{
	struct json_object *objs[16];
	struct child spin, top;
	struct sampler *smp = calloc(1, sizeof(*smp));
	int n, i, k, rank = -1, status;

	assert_non_null(smp);
	start_spin(&spin, smp, "30", cpus); /* killed once top is done */
	spawn(&top, top_argv);
	status = finish(&top, 30);
	assert_int_equal(status, 0);
	n = parse_lines(top.out, objs, 16);
	assert_int_equal(n, 3);
	if (jnum(objs[n - 1], "rb_drops") || jnum(objs[n - 1], "map_full")) {
		/* Cumulative counters: thread churn elsewhere filled the tracer. */
		printf("skip: the tracer reported %.0f ring-buffer drops and %.0f unrecorded "
		       "threads during the run\n",
		       jnum(objs[n - 1], "rb_drops"), jnum(objs[n - 1], "map_full"));
		for (i = 0; i < n; i++)
			json_object_put(objs[i]);
		stop_spin(&spin, smp);
		child_free(&top);
		free(smp);
		skip();
	}
	for (i = 0; i < n; i++) {
		struct json_object *o = objs[i], *rows = jget(o, "rows");
		double t1 = jnum(o, "time"), dt = jnum(o, "dt_sec"), sum_w = 0, sock_w = 0;
		const char *meter = json_object_get_string(jget(o, "meter"));
		size_t r;

		assert_int_equal((int)jnum(o, "interval"), i + 1);
		if (!(dt > 0.5 && dt < 5))
			fail_msg("interval %d lasted %.3f s, asked for 1 s", i + 1, dt);
		assert_int_equal(json_object_get_boolean(jget(o, "estimated")),
				 !strcmp(meter, "model"));
		assert_true(json_object_get_boolean(jget(o, "live_view")));
		assert_true(jnum(o, "gamma") == (gamma1 ? 1 : 0.3));
		for (k = 0; k < (int)json_object_array_length(jget(o, "sockets")); k++) {
			struct json_object *so = json_object_array_get_idx(jget(o, "sockets"), k);

			assert_true(jnum(so, "pkg_base_w") == 0 && jnum(so, "dram_base_w") == 0);
			sock_w += jnum(so, "pkg_w");
		}
		for (k = 0; k < smp->nr_tids; k++) {
			struct json_object *row = find_tid(rows, smp->tid[k], &rank);
			double truth, cpu, pkg, skew;

			if (!row) {
				truth = truth_pct(smp, k, t1, dt, 0, &skew);
				/* On a loaded machine it may not have run at all. */
				printf("  interval %d tid %d: no row, schedstat %.1f%%\n", i + 1,
				       smp->tid[k], truth);
				if (truth > CPU_TOL)
					fail_msg("interval %d: spinner thread %d (%.1f%% CPU) not "
						 "in the rows",
						 i + 1, smp->tid[k], truth);
				continue;
			}
			cpu = jnum(row, "cpu_percent");
			pkg = jnum(row, "pkg_w");
			truth = truth_pct(smp, k, t1, dt, cpu, &skew);
			printf("  interval %d tid %d: rank %d, cpu %.1f%% (schedstat %.1f%%, window "
			       "end %.0f ms before \"time\"), pkg %.3f W, dram %.3f W, %.3f J\n",
			       i + 1, smp->tid[k], rank, cpu, truth, skew * 1e3, pkg,
			       jnum(row, "dram_w"), jnum(row, "joules"));
			if (fabs(cpu - truth) > CPU_TOL)
				fail_msg("interval %d tid %d: CPU %.1f%%, schedstat says %.1f%%",
					 i + 1, smp->tid[k], cpu, truth);
			check_rank(rows, rank, cpu, "the spinner");
			if (strcmp(json_object_get_string(jget(row, "comm")), "spin"))
				fail_msg("comm %s", json_object_get_string(jget(row, "comm")));
			if (gamma1) {
				double want = RAPLSIM_K * cpu / 100;
				struct json_object *socks = jget(row, "sockets");

				/* Pinned to cpu1: socket 1 of the fake tree only. */
				assert_int_equal(json_object_array_length(socks), 1);
				assert_int_equal(
					json_object_get_int(json_object_array_get_idx(socks, 0)),
					1);
				if (fabs(pkg - want) > 0.05 * want + 0.3)
					fail_msg("interval %d: %.3f W for %.1f%% CPU, model says "
						 "k x CPU = %.3f W",
						 i + 1, pkg, cpu, want);
			}
		}
		/*
		 * gamma 1: the rows and the tracer add up to the sockets' energy at
		 * most. Not exactly: Σ thread ns may exceed H (exit records, run
		 * time charged at the boundary), a few % seen under thread churn.
		 */
		for (r = 0; r < json_object_array_length(rows); r++)
			sum_w += jnum(json_object_array_get_idx(rows, r), "pkg_w");
		sum_w += jnum(jget(o, "tracer"), "pkg_w");
		if (gamma1 && sum_w > sock_w * 1.10 + 1e-3)
			fail_msg("interval %d: rows %.3f W > sockets %.3f W", i + 1, sum_w, sock_w);
	}
	/* Cumulative joules: the sum of the interval energies. */
	for (k = 0; k < smp->nr_tids; k++) {
		double sum = 0, j = 0;

		for (i = 0; i < n; i++) {
			struct json_object *row =
				find_tid(jget(objs[i], "rows"), smp->tid[k], &rank);

			if (!row)
				continue;
			sum += (jnum(row, "pkg_w") + jnum(row, "dram_w")) * jnum(objs[i], "dt_sec");
			j = jnum(row, "joules");
		}
		if (fabs(sum - j) > 1e-3 * sum + 1e-4)
			fail_msg("tid %d: %.6f J cumulative, intervals add up to %.6f J",
				 smp->tid[k], j, sum);
	}
	for (i = 0; i < n; i++)
		json_object_put(objs[i]);
	stop_spin(&spin, smp);
	child_free(&top);
	free(smp);
}

/* Real topology and meter (model here): two threads sharing one CPU, ~50% each. */
static void test_json_real(void **state)
{
	char cpus[32];
	char *argv[] = { bin, "top", "--json", "-n", "3", "-d", "1", NULL };

	(void)state;
	snprintf(cpus, sizeof(cpus), "%d,%d", burn_cpu(), burn_cpu());
	json_run(argv, cpus, 0);
}

/* RAPL simulator, P0 = 0: with gamma 1 a thread's watts are k x its CPU fraction. */
static void test_json_simulator(void **state)
{
	char dir[] = "/dev/shm/energat-top-XXXXXX", cmd[PATH_MAX + 64], path[PATH_MAX];
	char zone[PATH_MAX + 64], sysroot[PATH_MAX + 32], k[16];
	struct child sim;
	double end;
	int i;

	(void)state;
	if (burn_cpu() != 1)
		skip();
	assert_non_null(mkdtemp(dir));
	remember_dir(dir);
	snprintf(cmd, sizeof(cmd), "scripts/fake-topology.sh %s 2 >/dev/null", dir);
	assert_int_equal(system(cmd), 0);
	tool_path("raplsim", path, sizeof(path));
	snprintf(k, sizeof(k), "%g", RAPLSIM_K);
	{
		/* clang-format off */
		char *argv[] = { path, "--root", dir, "--sockets", "2", "--p0", "0", "--k", k,
				 "--q0", "0", "--q", "0", NULL };
		/* clang-format on */

		spawn(&sim, argv);
	}
	snprintf(zone, sizeof(zone), "%s/class/powercap/intel-rapl:1/energy_uj", dir);
	for (end = mono_now() + 10; access(zone, R_OK); usleep(20000))
		if (mono_now() > end)
			fail_msg("raplsim did not create %s", zone);
	snprintf(sysroot, sizeof(sysroot), "--sysfs-root=%s", dir);
	{
		/* clang-format off */
		char *argv[] = { bin, sysroot, "--meter", "powercap", "--gamma", "1",
				 "top", "--json", "-n", "3", "-d", "1", NULL };
		/* clang-format on */

		json_run(argv, "1", 1);
	}
	child_free(&sim);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	i = system(cmd);
	assert_int_equal(i, 0);
}

/* ---- text batch ---- */

struct snap {
	double dt;
	double cpu; /* the burner's CPU%, -1 when absent */
	int rank;
	int seen;
};

/*
 * Batch text: `burn 400 CPU` starts after the first snapshot and exits while
 * top runs; its CPU% over the intervals adds up to its own CPU clock, exit
 * included (the exit record books the last part). top runs until two more
 * snapshots follow the burner's exit (however long a loaded machine makes
 * it), then gets SIGTERM; the partial snapshot of the stop is not counted.
 */
static void test_batch_text(void **state)
{
	char *argv[] = { bin, "top", "-b", "-d", "1", NULL };
	char path[PATH_MAX], cpu[8], *p, *line, *save = NULL;
	struct snap snaps[64] = { 0 };
	struct child top, burn;
	long long truth_ns;
	double sum = 0, best = -1;
	int n = -1, in_rows = 0, status, burn_pid, i, complete;
	unsigned long long drops = 0, lost = 0; /* cumulative: the last snapshot's */
	size_t mark;

	(void)state;
	spawn(&top, argv);
	wait_output(&top, "TOTAL_J COMM\n", 0, 20);
	tool_path("burn", path, sizeof(path));
	snprintf(cpu, sizeof(cpu), "%d", burn_cpu());
	{
		char *bargv[] = { path, "400", cpu, NULL };

		spawn(&burn, bargv);
	}
	status = finish(&burn, 30);
	assert_int_equal(status, 0);
	assert_int_equal(sscanf(burn.out, "%d %lld", &burn_pid, &truth_ns), 2);
	/* Two snapshots begun after the burner's exit: the first holds its exit record. */
	pump(&top, 0);
	mark = top.len;
	wait_output(&top, "energat-bpf top - ", mark, 10);
	mark = strstr(top.out + mark, "energat-bpf top - ") - top.out + 1;
	wait_output(&top, "energat-bpf top - ", mark, 10);
	mark = strstr(top.out + mark, "energat-bpf top - ") - top.out;
	kill(top.pid, SIGTERM);
	assert_int_equal(finish(&top, 10), 0);
	top.out[mark] = '\0'; /* drop the snapshot cut short by the stop */

	assert_non_null(strstr(top.out, "baseline 0 W (live view)"));
	assert_non_null(strstr(top.out, ", meter="));
	assert_non_null(strstr(top.out, "\nsocket 0: cpu "));
	assert_non_null(strstr(top.out, "tracer: cpu "));
	for (line = strtok_r(top.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int pid, tid;
		double c;
		char user[64], socks[64];

		if (!strncmp(line, "energat-bpf top - ", 18)) {
			assert_true(n + 1 < 64);
			n++;
			snaps[n].cpu = -1;
			p = strstr(line, "interval ");
			assert_non_null(p);
			snaps[n].dt = strtod(p + 9, NULL);
			in_rows = 0;
			continue;
		}
		if (!strncmp(line, "tracer: cpu ", 12)) {
			p = strstr(line, "ring-buffer drops ");
			assert_non_null(p);
			drops = strtoull(p + 18, NULL, 10);
			p = strstr(line, "(map full) ");
			lost = p ? strtoull(p + 11, NULL, 10) : 0;
			continue;
		}
		if (strstr(line, "TOTAL_J COMM")) {
			in_rows = 1;
			continue;
		}
		if (!in_rows)
			continue;
		assert_int_equal(sscanf(line, "%d %d %63s %63s %lf", &pid, &tid, user, socks, &c),
				 5);
		snaps[n].seen++;
		if (pid == burn_pid) {
			snaps[n].cpu = c;
			snaps[n].rank = snaps[n].seen - 1;
		}
	}
	complete = n + 1;
	assert_true(complete >= 2);
	for (i = 0; i <= n; i++) {
		printf("  snapshot %d: burner %.1f%% CPU, row %d of %d\n", i + 1, snaps[i].cpu,
		       snaps[i].rank, snaps[i].seen);
		if (snaps[i].cpu >= 0)
			sum += snaps[i].cpu / 100 * snaps[i].dt;
		if (snaps[i].cpu > best)
			best = snaps[i].cpu;
	}
	printf("  burner: %.3f s of CPU in top, %.3f s by its own clock\n", sum, truth_ns / 1e9);
	if (drops || lost) {
		/*
		 * Thread churn elsewhere (a stress test) filled the tracer: it says so,
		 * and this run proves nothing about top's accounting.
		 */
		printf("skip: the tracer reported %llu ring-buffer drops and %llu unrecorded "
		       "threads during the run\n",
		       drops, lost);
		child_free(&burn);
		child_free(&top);
		skip();
	}
	if (fabs(sum - truth_ns / 1e9) > CPU_TOL / 100)
		fail_msg("burner CPU %.3f s in top, %.3f s by its clock", sum, truth_ns / 1e9);
	/* Where it burned most it is the top row, unless something was as busy. */
	for (i = 0; i <= n; i++)
		if (snaps[i].cpu == best && best > 50 && snaps[i].rank > 2)
			fail_msg("snapshot %d: the burner (%.1f%%) is row %d", i + 1, best,
				 snaps[i].rank);
	child_free(&burn);
	child_free(&top);
}

/* ---- tmux ---- */

struct tmux {
	char sock[64];
	char dir[64];
};

static int tmux_cmd(const struct tmux *t, const char *fmt, ...)
{
	char args[PATH_MAX * 2], cmd[PATH_MAX * 3];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "tmux -L %s %s", t->sock, args);
	return system(cmd);
}

/* The pane's text, malloc'd. */
static char *capture(const struct tmux *t)
{
	char cmd[256], *buf = NULL;
	size_t len = 0;
	FILE *f, *out;
	int c;

	snprintf(cmd, sizeof(cmd), "tmux -L %s capture-pane -p -t it 2>/dev/null", t->sock);
	f = popen(cmd, "r");
	assert_non_null(f);
	out = open_memstream(&buf, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	pclose(f);
	fclose(out);
	return buf;
}

/* Wait until the pane shows every needle (NULL-terminated list). */
static char *wait_pane(const struct tmux *t, double sec, ...)
{
	double end = mono_now() + sec;
	char *pane = NULL;

	for (;;) {
		const char *needle;
		va_list ap;
		int all = 1;

		free(pane);
		pane = capture(t);
		va_start(ap, sec);
		while ((needle = va_arg(ap, const char *)))
			all &= strstr(pane, needle) != NULL;
		va_end(ap);
		if (all)
			return pane;
		if (mono_now() > end)
			fail_msg("the pane did not show what was expected in %.0f s:\n%s", sec,
				 pane);
		usleep(100000);
	}
}

static int read_file_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static void test_tmux(void **state)
{
	char before[512], after[512], st[32], path[PATH_MAX], *pane;
	struct tmux t;
	double end;
	int rows = 0;
	char *line, *save = NULL;

	(void)state;
	if (system("tmux -V >/dev/null 2>&1")) {
		printf("skip: tmux is not installed (scripts/setup.sh installs it)\n");
		skip();
	}
	snprintf(t.sock, sizeof(t.sock), "energat-it-top-%d", (int)getpid());
	snprintf(t.dir, sizeof(t.dir), "/tmp/energat-it-top-XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	remember_dir(t.dir);
	snprintf(tmux_sock, sizeof(tmux_sock), "%s", t.sock);
	/* Terminal modes before and after, the exit status, and a pane kept for capture. */
	assert_int_equal(
		tmux_cmd(&t,
			 "-f /dev/null new-session -d -s it -x 160 -y 40 "
			 "\"sh -c 'stty -g >%s/before; %s top -d 0.5; echo \\$? >%s/status; "
			 "stty -g >%s/after; sleep 60'\"",
			 t.dir, bin, t.dir, t.dir),
		0);
	pane = wait_pane(&t, 20, "energat-bpf top - ", "baseline 0 W (live view)", "tracer: cpu",
			 "TOTAL_J COMM", "threads, sorted by power", NULL);
	/* Rows under the titles. */
	line = strstr(pane, "TOTAL_J COMM");
	for (line = strtok_r(line, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int pid, tid;

		if (sscanf(line, "%d %d", &pid, &tid) == 2)
			rows++;
	}
	printf("  threads view: %d rows\n", rows);
	free(pane);
	if (!rows) {
		/* The first interval may have been empty of rows: one more. */
		pane = wait_pane(&t, 5, "TOTAL_J COMM\n   ", NULL);
		free(pane);
	}
	tmux_cmd(&t, "send-keys -t it t");
	pane = wait_pane(&t, 5, "processes, sorted by power", "    PID     THR USER", NULL);
	free(pane);
	tmux_cmd(&t, "send-keys -t it c");
	pane = wait_pane(&t, 5, "cgroups, sorted by power", "  PROCS     THR USER", "CGROUP", NULL);
	free(pane);
	tmux_cmd(&t, "send-keys -t it j");
	pane = wait_pane(&t, 5, "cgroups, sorted by joules", NULL);
	free(pane);
	tmux_cmd(&t, "send-keys -t it q");
	snprintf(path, sizeof(path), "%s/status", t.dir);
	for (end = mono_now() + 10; access(path, R_OK); usleep(50000))
		if (mono_now() > end)
			fail_msg("top did not quit on q");
	usleep(200000); /* the "after" modes */
	assert_int_equal(read_file_str(path, st, sizeof(st)), 0);
	assert_string_equal(st, "0\n");
	snprintf(path, sizeof(path), "%s/before", t.dir);
	assert_int_equal(read_file_str(path, before, sizeof(before)), 0);
	snprintf(path, sizeof(path), "%s/after", t.dir);
	assert_int_equal(read_file_str(path, after, sizeof(after)), 0);
	assert_string_equal(before, after); /* echo, icanon... restored */
	/* The alternate screen is gone: the pane no longer shows the view. */
	pane = capture(&t);
	if (strstr(pane, "energat-bpf top - "))
		fail_msg("the screen was not restored:\n%s", pane);
	free(pane);
	tmux_cmd(&t, "kill-server");
	snprintf(path, sizeof(path), "rm -rf %s", t.dir);
	assert_int_equal(system(path), 0);
}

/* Without a terminal and without -b, top says what to do instead. */
static void test_needs_terminal(void **state)
{
	char *argv[] = { bin, "top", NULL };
	struct child top;

	(void)state;
	spawn(&top, argv); /* stdout is a pipe */
	assert_int_equal(finish(&top, 10), 1);
	child_free(&top);
}

static int setup(void **state)
{
	char exe[PATH_MAX];
	ssize_t n;

	(void)state;
	if (!need_root("it_top"))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	/* BUILD/tests/it_top -> BUILD */
	snprintf(build_dir, sizeof(build_dir), "%.2000s", dirname(dirname(exe)));
	if (getenv("ENERGAT_BIN"))
		snprintf(bin, sizeof(bin), "%s", getenv("ENERGAT_BIN"));
	else
		snprintf(bin, sizeof(bin), "%s/energat-bpf", build_dir);
	if (access(bin, X_OK)) {
		fprintf(stderr, "it_top: no %s: build it first\n", bin);
		return -1;
	}
	return 0;
}

ROOT_TEST(test_needs_terminal)
ROOT_TEST(test_batch_text)
ROOT_TEST(test_json_real)
ROOT_TEST(test_json_simulator)
ROOT_TEST(test_tmux)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(root_test_needs_terminal, teardown),
		cmocka_unit_test_teardown(root_test_batch_text, teardown),
		cmocka_unit_test_teardown(root_test_json_real, teardown),
		cmocka_unit_test_teardown(root_test_json_simulator, teardown),
		cmocka_unit_test_teardown(root_test_tmux, teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("it_top", tests, setup, NULL);
}
