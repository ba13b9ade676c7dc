// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root-only: load the real BPF programs, run real workloads, and compare what
 * they record with the kernel's own accounting (schedstat, CPU clocks).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "procfs_read.h"
#include "topology.h"
#include "tracer.h"
#include "root_test.h"
#include "workload.h"

static struct topology real_topo;

static __u64 total_ns(const struct thread_delta *d)
{
	__u64 sum = 0;
	int s;

	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
		sum += d->ns[s];
	return sum;
}

static struct tracer *open_tracer_opts(const struct tracer_opts *o)
{
	struct tracer *t = NULL;
	char err[256] = "";

	if (tracer_open(o, &t, err, sizeof(err)))
		fail_msg("tracer_open: %s", err);
	/* Where the walk works, so do the slots: in every mode, unless told otherwise. */
	if (!o->force_walk && !o->max_slots && !strcmp(tracer_listing(t), "walk"))
		fail_msg("the walk loaded, the slots did not (libbpf says why above)");
	return t;
}

static struct tracer *open_tracer(const struct topology *topo, int pid, int raw)
{
	struct tracer_opts o = { .topo = topo, .target_pid = pid, .force_raw_tp = raw };

	return open_tracer_opts(&o);
}

/* Sum of one thread's recorded ns over a sample. */
static __u64 tid_ns(const struct tracer_sample *s, pid_t tid)
{
	__u64 sum = 0;
	size_t i;

	for (i = 0; i < s->threads.len; i++)
		if ((pid_t)s->threads.v[i].tid == tid)
			sum += total_ns(&s->threads.v[i]);
	return sum;
}

static void assert_close_ns(const char *what, long long got, long long want, double rel,
			    long long abs_ns)
{
	long long tol = (long long)(want * rel);

	if (tol < abs_ns)
		tol = abs_ns;
	printf("  %-28s recorded %10.3f ms  kernel %10.3f ms  diff %+7.3f%%\n", what, got / 1e6,
	       want / 1e6, want ? 100.0 * (got - want) / want : 0);
	if (llabs(got - want) > tol)
		fail_msg("%s: recorded %lld ns, kernel %lld ns (tolerance %lld ns)", what, got,
			 want, tol);
}

/* Three threads burn 200/400/800 ms; each matches its schedstat within 1% or 2 ms. */
static void accuracy(int raw)
{
	static const long long ms[] = { 200, 400, 800 };
	struct burner b[3] = {};
	long long got[3] = {};
	struct tracer_sample s;
	struct tracer *t;
	int i, all_done;

	t = open_tracer(&real_topo, getpid(), raw);
	printf("  flavour %s\n", tracer_flavour(t));
	for (i = 0; i < 3; i++) {
		b[i].burn_ns = ms[i] * 1000000;
		b[i].cpu = -1;
		b[i].linger = 1;
		assert_int_equal(burner_start(&b[i]), 0);
	}
	/* Several intervals, so deltas are summed across checkpoints. */
	do {
		usleep(150000);
		assert_int_equal(tracer_sample(t, &s), 0);
		for (i = 0; i < 3; i++)
			got[i] += tid_ns(&s, b[i].tid);
		all_done = b[0].done && b[1].done && b[2].done;
	} while (!all_done);
	assert_int_equal(tracer_sample(t, &s), 0);
	for (i = 0; i < 3; i++) {
		char what[32];

		got[i] += tid_ns(&s, b[i].tid);
		snprintf(what, sizeof(what), "thread burning %lld ms", ms[i]);
		assert_close_ns(what, got[i], schedstat_run_ns(b[i].tid), 0.01, 2000000);
	}
	for (i = 0; i < 3; i++) {
		burner_release(&b[i]);
		burner_join(&b[i]);
	}
	tracer_close(t);
}

static void test_accuracy_tp_btf(void **state)
{
	(void)state;
	accuracy(0);
}

static void test_accuracy_raw_tp(void **state)
{
	(void)state;
	accuracy(1);
}

/* A loop that never switches is charged in each interval it ran, not later. */
static void test_busy_loop_split(void **state)
{
	int cpu = real_topo.nr_cpus > 1 ? real_topo.cpus[1] : real_topo.cpus[0];
	struct burner b = { .burn_ns = 3600000000ll, .cpu = cpu };
	struct tracer_sample s;
	long long prev_run, run;
	struct tracer *t;
	int i;

	(void)state;
	t = open_tracer(&real_topo, getpid(), 0);
	pin_self(real_topo.cpus[0]);
	assert_int_equal(burner_start(&b), 0);
	usleep(200000);
	assert_int_equal(tracer_sample(t, &s), 0);
	prev_run = schedstat_run_ns(b.tid);
	for (i = 0; i < 3; i++) {
		char what[40];

		sleep(1);
		assert_int_equal(tracer_sample(t, &s), 0);
		run = schedstat_run_ns(b.tid);
		snprintf(what, sizeof(what), "interval %d (%.3f s)", i + 1, s.dt_sec);
		assert_close_ns(what, tid_ns(&s, b.tid), run - prev_run, 0.02, 2000000);
		/*
		 * On an otherwise idle CPU the loop ran the whole interval. On a
		 * loaded machine the kernel match above is what shows the split.
		 */
		if (run - prev_run >= s.dt_sec * 1e9 * 0.95)
			assert_close_ns("  vs wall interval", tid_ns(&s, b.tid),
					(long long)(s.dt_sec * 1e9), 0.05, 0);
		else
			printf("  (CPU shared with other load: wall check not applicable)\n");
		prev_run = run;
	}
	burner_join(&b);
	tracer_close(t);
	pin_self(-1);
}

struct churn_arg {
	long long ns;
};

static void *churn_thread(void *arg)
{
	burn_ns(((struct churn_arg *)arg)->ns);
	return NULL;
}

/* 2,000 threads of ~1 ms each live and die between two drains: nothing lost. */
static void test_short_lived(void **state)
{
	struct churn_arg arg = { .ns = 1000000 };
	long long cpu0, cpu1, got = 0;
	struct tracer_sample s;
	struct tracer *t;
	size_t i, exited = 0;
	int n;

	(void)state;
	t = open_tracer(&real_topo, getpid(), 0);
	assert_int_equal(tracer_sample(t, &s), 0);
	cpu0 = process_cputime_ns();
	for (n = 0; n < 2000; n += 2) {
		pthread_t a, b;

		assert_int_equal(pthread_create(&a, NULL, churn_thread, &arg), 0);
		assert_int_equal(pthread_create(&b, NULL, churn_thread, &arg), 0);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
	}
	cpu1 = process_cputime_ns();
	assert_int_equal(tracer_sample(t, &s), 0);
	for (i = 0; i < s.threads.len; i++) {
		if ((pid_t)s.threads.v[i].pid != getpid())
			continue;
		got += total_ns(&s.threads.v[i]);
		exited += s.threads.v[i].exited;
	}
	printf("  %zu exited threads seen, ring-buffer drops %llu\n", exited,
	       (unsigned long long)s.rb_drops);
	assert_true(exited >= 2000);
	assert_int_equal(s.rb_drops, 0);
	assert_int_equal(s.map_full, 0);
	assert_close_ns("2000 threads of 1 ms", got, cpu1 - cpu0, 0.02, 0);
	tracer_close(t);
}

/*
 * Children that exit and are never reaped: the tracer books their exits,
 * then forgets them (a parent that leaves zombies must not grow the tables).
 */
static void test_zombies_forgotten(void **state)
{
	struct tracer_sample s;
	struct tracer *t;
	pid_t kids[50];
	size_t known, exited = 0, i;
	int n;

	(void)state;
	t = open_tracer(&real_topo, getpid(), 0);
	assert_int_equal(tracer_sample(t, &s), 0);
	assert_int_equal(tracer_sample(t, &s), 0);
	known = s.nr_known;
	for (n = 0; n < 50; n++) {
		kids[n] = fork();
		assert_true(kids[n] >= 0);
		if (!kids[n]) {
			burn_ns(1000000);
			_exit(0);
		}
	}
	/* All zombies now: waitid with WNOWAIT leaves them so. */
	for (n = 0; n < 50; n++) {
		siginfo_t si;

		assert_int_equal(waitid(P_PID, kids[n], &si, WEXITED | WNOWAIT), 0);
	}
	assert_int_equal(tracer_sample(t, &s), 0);
	for (i = 0; i < s.threads.len; i++)
		exited += s.threads.v[i].exited && (pid_t)s.threads.v[i].pid != getpid();
	printf("  %zu child exits booked; threads known: %zu before, %zu with 50 zombies\n", exited,
	       known, s.nr_known);
	assert_int_equal(exited, 50);
	assert_int_equal(s.nr_known, known);
	for (n = 0; n < 50; n++)
		waitpid(kids[n], NULL, 0);
	tracer_close(t);
}

static char *burn_path(void)
{
	static char path[PATH_MAX + 16];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(path, sizeof(path), "%s/../tools/burn", exe);
	return path;
}

struct pid_ns {
	int pid;
	long long ns;
};

static void add_pid_ns(struct pid_ns *v, int max, int pid, long long ns)
{
	int i;

	for (i = 0; i < max && v[i].pid && v[i].pid != pid; i++)
		;
	assert_true(i < max);
	v[i].pid = pid;
	v[i].ns += ns;
}

static long long pid_ns_of(const struct pid_ns *v, int max, int pid)
{
	int i;

	for (i = 0; i < max; i++)
		if (v[i].pid == pid)
			return v[i].ns;
	return -1;
}

/* `sh -c 'burn & burn; wait'`: both children are followed and accounted. */
static void test_children(void **state)
{
	char dir[] = "/tmp/energat-children-XXXXXX", cmd[PATH_MAX * 2 + 160], f[96];
	const char *burn = burn_path();
	struct pid_ns seen[16] = {};
	struct tracer_sample s;
	struct tracer *t;
	int go[2], status, k, done = 0;
	pid_t child;
	size_t i;

	(void)state;
	assert_non_null(burn);
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s 300 >%s/0 & %s 300 >%s/1; wait", burn, dir, burn, dir);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	t = open_tracer(&real_topo, child, 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	while (!done) {
		usleep(100000);
		done = waitpid(child, &status, WNOHANG) == child;
		assert_int_equal(tracer_sample(t, &s), 0);
		for (i = 0; i < s.threads.len; i++)
			add_pid_ns(seen, 16, s.threads.v[i].pid, total_ns(&s.threads.v[i]));
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Each burner printed its PID and its own CPU clock (exec included) on exit. */
	for (k = 0; k < 2; k++) {
		long long truth;
		FILE *fp;
		int pid;

		snprintf(f, sizeof(f), "%s/%d", dir, k);
		fp = fopen(f, "r");
		assert_non_null(fp);
		assert_int_equal(fscanf(fp, "%d %lld", &pid, &truth), 2);
		fclose(fp);
		unlink(f);
		snprintf(f, sizeof(f), "burner %d (pid %d)", k + 1, pid);
		/*
		 * Its clock was read just before exit: the exit path after it is
		 * real CPU time we count and it cannot, so allow that much above.
		 */
		assert_close_ns(f, pid_ns_of(seen, 16, pid), truth, 0.01, 2000000);
		assert_true(pid_ns_of(seen, 16, pid) >= truth - truth / 100);
	}
	rmdir(dir);
	tracer_close(t);
}

/*
 * A tracer of this process over a fake 2-socket topology of the real CPUs,
 * written in dir: cpu1 is socket 1.
 */
static struct tracer *fake_two_sockets(char *dir, struct topology *topo)
{
	char cmd[256];

	if (real_topo.nr_cpus < 2 || real_topo.cpus[1] != 1)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "scripts/fake-topology.sh %s 2", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(topology_read(dir, topo), 0);
	assert_int_equal(topo->nr_sockets, 2);
	assert_int_equal(topo->cpu_socket[1], 1);
	return open_tracer(topo, getpid(), 0);
}

static void remove_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A thread's time on sockets 0 and 1 in one sample. */
static void socket_split(const struct tracer_sample *s, pid_t tid, long long *s0, long long *s1)
{
	size_t i;

	*s0 = *s1 = 0;
	for (i = 0; i < s->threads.len; i++) {
		if ((pid_t)s->threads.v[i].tid != tid)
			continue;
		*s0 += s->threads.v[i].ns[0];
		*s1 += s->threads.v[i].ns[1];
	}
	printf("  socket 0: %.3f ms, socket 1: %.3f ms\n", *s0 / 1e6, *s1 / 1e6);
}

/* Fake 2-socket topology over the real CPUs: cpu1 is socket 1. */
static void test_fake_two_sockets(void **state)
{
	char dir[] = "/tmp/energat-topo-XXXXXX";
	struct burner b = { .burn_ns = 300000000, .cpu = 1, .linger = 1 };
	struct topology topo;
	struct tracer_sample s;
	struct tracer *t;
	long long s0, s1;

	(void)state;
	t = fake_two_sockets(dir, &topo);
	assert_int_equal(burner_start(&b), 0);
	burner_wait_done(&b);
	assert_int_equal(tracer_sample(t, &s), 0);
	socket_split(&s, b.tid, &s0, &s1);
	/* Only the few microseconds before the thread pinned itself may land on cpu0. */
	assert_true(s0 < 1000000);
	assert_close_ns("pinned to cpu1 -> socket 1", s1, schedstat_run_ns(b.tid), 0.01, 2000000);
	burner_release(&b);
	burner_join(&b);
	tracer_close(t);
	remove_dir(dir);
}

/*
 * A thread that burns on cpu0 (pinned from creation, so all its time before
 * the move is there), moves itself to cpu1 and burns there.
 */
struct mover {
	pthread_t thread;
	pid_t tid;
	long long at_start, before_move, after_move; /* its CPU time */
	sem_t done, release;
};

static void *mover_main(void *arg)
{
	struct mover *m = arg;

	m->at_start = thread_cputime_ns();
	m->tid = syscall(SYS_gettid);
	burn_ns(200000000);
	m->before_move = thread_cputime_ns();
	if (pin_self(1))
		return NULL;
	m->after_move = thread_cputime_ns();
	burn_ns(300000000);
	/* Alive until released, so its schedstat can be read. */
	sem_post(&m->done);
	sem_wait(&m->release);
	return NULL;
}

/*
 * With two sockets the split is booked at each migration from one to the
 * other: socket 0 gets the thread's run time at the move, which its own
 * clock brackets from either side of the sched_setaffinity call (under
 * emulation in vmtest that call alone takes ~0.5-2 ms); socket 1 the rest.
 * The thread's start, before its function (10-130 µs measured), may run
 * before the pinning takes hold, on either socket (once: 104 µs on socket 1).
 */
static void test_migration_split(void **state)
{
	char dir[] = "/tmp/energat-topo-XXXXXX";
	struct mover m = {};
	struct topology topo;
	struct tracer_sample s;
	struct tracer *t;
	long long s0, s1;

	(void)state;
	t = fake_two_sockets(dir, &topo);
	sem_init(&m.done, 0, 0);
	sem_init(&m.release, 0, 0);
	assert_int_equal(thread_start_pinned(&m.thread, 0, mover_main, &m), 0);
	sem_wait(&m.done);
	assert_int_equal(tracer_sample(t, &s), 0);
	socket_split(&s, m.tid, &s0, &s1);
	printf("  own clock: %.3f ms at start, %.3f ms before the move, %.3f ms after\n",
	       m.at_start / 1e6, m.before_move / 1e6, m.after_move / 1e6);
	assert_in_range(s0, m.before_move - m.at_start, m.after_move);
	assert_close_ns("both sockets", s0 + s1, schedstat_run_ns(m.tid), 0.01, 2000000);
	sem_post(&m.release);
	assert_int_equal(pthread_join(m.thread, NULL), 0);
	tracer_close(t);
	remove_dir(dir);
}

/* Burns 100 ms, waits, burns 300 ms, waits: run time before and after a point. */
struct stepper {
	pthread_t thread;
	pid_t tid;
	sem_t ready, go, done, release;
};

static void *stepper_main(void *arg)
{
	struct stepper *st = arg;

	st->tid = syscall(SYS_gettid);
	burn_ns(100000000);
	sem_post(&st->ready);
	sem_wait(&st->go);
	burn_ns(300000000);
	sem_post(&st->done);
	sem_wait(&st->release);
	return NULL;
}

/* Start the stepper; returns once it has run its first 100 ms and waits for go. */
static void stepper_start(struct stepper *st)
{
	sem_init(&st->ready, 0, 0);
	sem_init(&st->go, 0, 0);
	sem_init(&st->done, 0, 0);
	sem_init(&st->release, 0, 0);
	assert_int_equal(pthread_create(&st->thread, NULL, stepper_main, st), 0);
	sem_wait(&st->ready);
}

/*
 * System-wide, threads are not seeded: a thread alive before attach is
 * charged only what it runs after (the first sample sets its base), not
 * its run time since birth.
 */
static void test_system_wide_base(void **state)
{
	struct stepper st;
	struct tracer_sample s;
	struct tracer *t;
	long long before, after;

	(void)state;
	stepper_start(&st);
	t = open_tracer(&real_topo, 0, 0);
	before = schedstat_run_ns(st.tid);
	sem_post(&st.go);
	sem_wait(&st.done);
	assert_int_equal(tracer_sample(t, &s), 0);
	after = schedstat_run_ns(st.tid);
	printf("  run before attach %.3f ms, after %.3f ms\n", before / 1e6,
	       (after - before) / 1e6);
	assert_close_ns("run after attach", tid_ns(&s, st.tid), after - before, 0.01, 2000000);
	sem_post(&st.release);
	pthread_join(st.thread, NULL);
	tracer_close(t);
}

/*
 * The ways to list threads: from the slots of task references (kernels
 * 6.7+ with the walk below), one walk over the task lists into the ring
 * buffer (list_walk, 6.7+), either finding the ring buffer full (then it
 * lists again by PID), slots too few for the machine's tasks (then the
 * walk), and listing by PID alone. Each charges the stepper what its
 * schedstat says and knows the same threads. On older kernels all list by
 * PID.
 */
#define NR_LISTINGS 6

static void test_listings_agree(void **state)
{
	static const char *const name[NR_LISTINGS] = {
		"slots", "walk", "slots, ring full", "walk, ring full", "slots too few", "by PID",
	};
	struct tracer_opts o[NR_LISTINGS] = {
		{ .topo = &real_topo },
		{ .topo = &real_topo, .force_walk = 1 },
		{ .topo = &real_topo, .ringbuf_bytes = 4096 }, /* 2 batches of 16 records */
		{ .topo = &real_topo, .ringbuf_bytes = 4096, .force_walk = 1 }, /* 32 records */
		{ .topo = &real_topo, .max_slots = 16 },
		{ .topo = &real_topo, .force_pid_walk = 1 },
	};
	struct tracer_sample s[NR_LISTINGS];
	struct tracer *t[NR_LISTINGS];
	struct stepper st;
	long long before, after;
	int i;

	(void)state;
	stepper_start(&st);
	for (i = 0; i < NR_LISTINGS; i++)
		t[i] = open_tracer_opts(&o[i]);
	before = schedstat_run_ns(st.tid);
	sem_post(&st.go);
	sem_wait(&st.done);
	for (i = 0; i < NR_LISTINGS; i++)
		assert_int_equal(tracer_sample(t[i], &s[i]), 0);
	after = schedstat_run_ns(st.tid);
	for (i = 0; i < NR_LISTINGS; i++) {
		printf("  %-16s lists %-6s and knows %zu threads\n", name[i], tracer_listing(t[i]),
		       s[i].nr_known);
		assert_close_ns(name[i], tid_ns(&s[i], st.tid), after - before, 0.01, 2000000);
	}
	/* Where the kernel has the walk, the slots load too and give way when too few. */
	if (strcmp(tracer_listing(t[1]), "by PID")) {
		assert_string_equal(tracer_listing(t[0]), "slots");
		assert_string_equal(tracer_listing(t[1]), "walk");
		assert_string_equal(tracer_listing(t[4]), "walk");
	}
	/* More threads than the small ring holds: the fallback listed the rest. */
	assert_true(s[NR_LISTINGS - 1].nr_known > 48);
	for (i = 0; i < NR_LISTINGS - 1; i++)
		assert_true(labs((long)s[i].nr_known - (long)s[NR_LISTINGS - 1].nr_known) <= 8);
	sem_post(&st.release);
	pthread_join(st.thread, NULL);
	for (i = 0; i < NR_LISTINGS; i++)
		tracer_close(t[i]);
}

#define MAX_PROCS 65536

/*
 * Tasks alive on the machine now, from /proc: every process descends from
 * init (1) or kthreadd (2); zombies hold no slot.
 */
static long live_tasks(void)
{
	static int procs[MAX_PROCS], tids[MAX_PROCS];
	int np = 2, i, j, k;
	long n = 0;

	procs[0] = 1;
	procs[1] = 2;
	for (i = 0; i < 2; i++) {
		k = proc_descendants(NULL, procs[i], procs + np, MAX_PROCS - np);
		assert_true(k >= 0);
		np += k;
	}
	for (i = 0; i < np; i++) {
		k = proc_tasks(NULL, procs[i], tids, MAX_PROCS);
		for (j = 0; j < k; j++) {
			struct proc_stat st;

			if (!proc_stat_read(NULL, procs[i], tids[j], &st) && st.state != 'Z' &&
			    st.state != 'X')
				n++;
		}
	}
	return n;
}

static void *sleeper(void *arg)
{
	sem_wait(arg);
	return NULL;
}

/*
 * Each live task holds one slot, from its birth or the seeding to its
 * exit: while 200 threads sleep and 2,000 more live and die, the tasks in
 * slots grow as /proc's live tasks do, and once they end none is left
 * behind. (Changes are compared, not counts: on some machines the kernel's
 * task lists, which the seeding walks, lack tasks that /proc shows.)
 */
static void test_slots_follow_tasks(void **state)
{
	static const char *const when[] = { "at start", "with 200 sleepers", "after they ended" };
	struct tracer_opts o = { .topo = &real_topo };
	struct churn_arg arg = { .ns = 100000 };
	long used[3], alive[3];
	pthread_t th[200];
	struct tracer_sample s;
	struct tracer *t;
	sem_t quit;
	int i;

	(void)state;
	t = open_tracer_opts(&o);
	if (strcmp(tracer_listing(t), "slots")) {
		printf("  skip: listing %s (the slots need kernel 6.7+)\n", tracer_listing(t));
		tracer_close(t);
		skip();
	}
	used[0] = tracer_slots_used(t);
	alive[0] = live_tasks();
	sem_init(&quit, 0, 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sleeper, &quit), 0);
	for (i = 0; i < 2000; i++) {
		pthread_t c;

		assert_int_equal(pthread_create(&c, NULL, churn_thread, &arg), 0);
		pthread_join(c, NULL);
	}
	assert_int_equal(tracer_sample(t, &s), 0);
	used[1] = tracer_slots_used(t);
	alive[1] = live_tasks();
	for (i = 0; i < 200; i++)
		sem_post(&quit);
	for (i = 0; i < 200; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(tracer_sample(t, &s), 0);
	used[2] = tracer_slots_used(t);
	alive[2] = live_tasks();
	for (i = 0; i < 3; i++)
		printf("  %-18s %4ld tasks in slots, %4ld alive in /proc\n", when[i], used[i],
		       alive[i]);
	assert_true(used[1] - used[0] >= 200);
	/* Other tasks of the machine may come and go between two counts. */
	for (i = 1; i < 3; i++)
		assert_true(labs((used[i] - used[0]) - (alive[i] - alive[0])) <= 8);
	sem_destroy(&quit);
	tracer_close(t);
}

/* A sample, and how long it took: its boundary, where each CPU is read, lies within. */
static long long timed_sample(struct tracer *t, struct tracer_sample *s)
{
	long long t0 = monotonic_ns();

	assert_int_equal(tracer_sample(t, s), 0);
	return monotonic_ns() - t0;
}

/*
 * Per interval, busy + idle over all CPUs is the wall interval × CPUs: each
 * CPU's share runs from its read at one boundary to its read at the next,
 * and those reads lie within the samples, a millisecond long natively and
 * up to tens where a loaded host keeps a CPU's kick thread waiting.
 */
static void busy_idle(int pid)
{
	struct tracer_sample s;
	struct burner b = { .burn_ns = 400000000, .cpu = -1 };
	struct tracer *t;
	long long sum = 0, want, skew;
	int i;

	t = open_tracer(&real_topo, pid, 0);
	assert_int_equal(burner_start(&b), 0);
	skew = timed_sample(t, &s);
	usleep(1000000);
	skew += timed_sample(t, &s);
	for (i = 0; i < real_topo.nr_cpus; i++) {
		int cpu = real_topo.cpus[i];

		sum += s.cpu_busy_ns[cpu] + s.cpu_idle_ns[cpu];
	}
	want = (long long)(s.dt_sec * 1e9) * real_topo.nr_cpus;
	printf("  samples took %.3f ms together\n", skew / 1e6);
	assert_close_ns("busy + idle over CPUs", sum, want, 0.005, skew * real_topo.nr_cpus);
	burner_join(&b);
	tracer_close(t);
}

static void test_busy_idle_target(void **state)
{
	(void)state;
	busy_idle(getpid());
}

static void test_busy_idle_system_wide(void **state)
{
	(void)state;
	busy_idle(0);
}

/*
 * Both tracers' samples, one after the other. Returns the wall time they
 * took: an upper bound on the time between the two boundaries, in which
 * one tracer's interval holds CPU time that the other's does not.
 */
static long long sample_both(struct tracer *t[2], struct tracer_sample s[2])
{
	return timed_sample(t[0], &s[0]) + timed_sample(t[1], &s[1]);
}

/*
 * Each CPU's busy time two ways: from the kernel's idle accounting (the
 * default where it is readable) and from the switch handler's clock. With
 * a thread pinned to one CPU for a known time, the two agree per CPU, and
 * each finds at least the thread's run time on its CPU.
 */
static void test_cpu_clocks_agree(void **state)
{
	int cpu = real_topo.cpus[real_topo.nr_cpus - 1];
	struct burner b = { .burn_ns = 400000000, .cpu = cpu };
	struct tracer_opts o[] = {
		{ .topo = &real_topo },
		{ .topo = &real_topo, .force_switch_clock = 1 },
	};
	struct tracer_sample s[2];
	struct tracer *t[2];
	long long gap_start, gap_end, gap;
	int i, j;

	(void)state;
	for (i = 0; i < 2; i++) {
		t[i] = open_tracer_opts(&o[i]);
		printf("  tracer %d: CPU busy/idle from the %s\n", i, tracer_cpu_clock(t[i]));
	}
	assert_string_equal(tracer_cpu_clock(t[1]), "switch clock");
	/* The same interval for both: the second one's loading ran in the first's. */
	gap_start = sample_both(t, s);
	assert_int_equal(burner_start(&b), 0);
	burner_join(&b);
	usleep(300000);
	gap_end = sample_both(t, s);
	/*
	 * The intervals differ by what ran between the two boundaries, at the
	 * start and at the end: a few ms natively, tens where a loaded host
	 * deschedules the test's vCPU (vmtest) between them.
	 */
	gap = gap_start > gap_end ? gap_start : gap_end;
	printf("  boundaries apart: %.3f ms at the start, %.3f ms at the end\n", gap_start / 1e6,
	       gap_end / 1e6);
	for (j = 0; j < real_topo.nr_cpus; j++) {
		int c = real_topo.cpus[j];
		char what[40];

		snprintf(what, sizeof(what), "cpu%d busy (vs switch clock)", c);
		assert_close_ns(what, s[0].cpu_busy_ns[c], s[1].cpu_busy_ns[c], 0,
				(long long)(0.02 * s[1].dt_sec * 1e9) + gap);
	}
	/* The burner's own CPU clock said when to stop. */
	for (i = 0; i < 2; i++)
		assert_true((long long)s[i].cpu_busy_ns[cpu] >= b.burn_ns - 2000000);
	for (i = 0; i < 2; i++)
		tracer_close(t[i]);
}

static int setup(void **state)
{
	(void)state;
	if (!need_root("it_tracer"))
		return 0;
	return topology_read("/sys", &real_topo);
}

ROOT_TEST(test_accuracy_tp_btf)
ROOT_TEST(test_accuracy_raw_tp)
ROOT_TEST(test_busy_loop_split)
ROOT_TEST(test_short_lived)
ROOT_TEST(test_children)
ROOT_TEST(test_zombies_forgotten)
ROOT_TEST(test_system_wide_base)
ROOT_TEST(test_listings_agree)
ROOT_TEST(test_slots_follow_tasks)
ROOT_TEST(test_fake_two_sockets)
ROOT_TEST(test_migration_split)
ROOT_TEST(test_busy_idle_target)
ROOT_TEST(test_busy_idle_system_wide)
ROOT_TEST(test_cpu_clocks_agree)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_test_accuracy_tp_btf),
		cmocka_unit_test(root_test_accuracy_raw_tp),
		cmocka_unit_test(root_test_busy_loop_split),
		cmocka_unit_test(root_test_short_lived),
		cmocka_unit_test(root_test_children),
		cmocka_unit_test(root_test_zombies_forgotten),
		cmocka_unit_test(root_test_system_wide_base),
		cmocka_unit_test(root_test_listings_agree),
		cmocka_unit_test(root_test_slots_follow_tasks),
		cmocka_unit_test(root_test_fake_two_sockets),
		cmocka_unit_test(root_test_migration_split),
		cmocka_unit_test(root_test_busy_idle_target),
		cmocka_unit_test(root_test_busy_idle_system_wide),
		cmocka_unit_test(root_test_cpu_clocks_agree),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("it_tracer", tests, setup, NULL);
}
