// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Guest-only tests (make vmtest, issue 9): run as root inside a QEMU guest
 * with two sockets and two NUMA nodes, on a kernel other than the build
 * host's. They use the REAL topology (topology_read("/sys")), so they check
 * what fake sysfs trees cannot: that the BPF programs load and attach on this
 * kernel (CO-RE), that a thread on a CPU of socket 1 is charged to socket 1,
 * and that memory placed on node 1 is seen on node 1.
 *
 * Expected sizes come from VMTEST_SOCKETS / VMTEST_NODES (default 2 each).
 * VMTEST_VERBOSE=1 prints libbpf's debug log (CO-RE relocations included).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "options.h"
#include "procfs_read.h"
#include "session.h"
#include "topology.h"
#include "tracer.h"
#include "workload.h"

#define MIB (1024ull * 1024)

static struct topology topo;
static int verbose;

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* First online CPU of dense socket @s, or -1. */
static int cpu_of_socket(int s)
{
	int i;

	for (i = 0; i < topo.nr_cpus; i++)
		if (topo.cpu_socket[topo.cpus[i]] == s)
			return topo.cpus[i];
	return -1;
}

/* First online CPU of sysfs node @node_id, or -1. */
static int cpu_of_node(int node_id)
{
	int idx = topology_node_index(&topo, node_id), i;

	for (i = 0; idx >= 0 && i < topo.nr_cpus; i++)
		if (topo.cpu_node[topo.cpus[i]] == idx)
			return topo.cpus[i];
	return -1;
}

static void print_topology(void)
{
	struct utsname u;
	int s, n, i;

	uname(&u);
	printf("VMTEST kernel %s %s\n", u.release, u.version);
	printf("VMTEST topology: %d CPUs, %d sockets, %d NUMA nodes (has_numa=%d)\n", topo.nr_cpus,
	       topo.nr_sockets, topo.nr_nodes, topo.has_numa);
	for (s = 0; s < topo.nr_sockets; s++) {
		printf("  socket %d (physical_package_id %d): cpus", s, topo.socket_pkg_id[s]);
		for (i = 0; i < topo.nr_cpus; i++)
			if (topo.cpu_socket[topo.cpus[i]] == s)
				printf(" %d", topo.cpus[i]);
		printf("\n");
	}
	for (n = 0; n < topo.nr_nodes; n++) {
		struct node_meminfo m = { 0 };

		node_meminfo_read("/sys", topo.node_id[n], &m);
		printf("  node %d: socket %d, %d CPUs, MemTotal %llu MiB, MemUsed %llu MiB\n",
		       topo.node_id[n], topo.node_socket[n], topo.node_nr_cpus[n], m.total / MIB,
		       m.used / MIB);
	}
}

/* The guest's sysfs shows the machine QEMU was told to build. */
static void test_topology(void **state)
{
	int want_sockets = env_int("VMTEST_SOCKETS", 2), want_nodes = env_int("VMTEST_NODES", 2);
	int i, s;

	(void)state;
	assert_int_equal(topo.nr_sockets, want_sockets);
	assert_int_equal(topo.nr_nodes, want_nodes);
	assert_true(topo.has_numa);
	for (s = 0; s < topo.nr_sockets; s++)
		assert_int_equal(topo.socket_nr_cpus[s], topo.nr_cpus / topo.nr_sockets);
	/* Every CPU's node belongs to that CPU's socket. */
	for (i = 0; i < topo.nr_cpus; i++) {
		int cpu = topo.cpus[i];

		assert_true(topo.cpu_node[cpu] >= 0);
		assert_int_equal(topo.node_socket[topo.cpu_node[cpu]], topo.cpu_socket[cpu]);
	}
	/* libnuma agrees with our sysfs parser. */
	assert_true(numa_available() >= 0);
	assert_int_equal(numa_max_node() + 1, topo.nr_nodes);
	for (i = 0; i < topo.nr_cpus; i++)
		assert_int_equal(topo.node_id[topo.cpu_node[topo.cpus[i]]],
				 numa_node_of_cpu(topo.cpus[i]));
}

/* What the tracer relies on, probed directly so any fallback is visible. */
static void test_kernel_features(void **state)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int has_tp_btf, rb, fd, ret;
	__u32 count = 4, out_batch, keys[4], vals[4];

	(void)state;
	assert_non_null(btf);
	has_tp_btf = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) > 0;
	printf("  vmlinux BTF: %u types; btf_trace_sched_switch %s\n", btf__type_cnt(btf),
	       has_tp_btf ? "found (tp_btf usable)" : "MISSING (tracer falls back to raw_tp)");
	btf__free(btf);

	rb = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	printf("  ring buffer map: %s\n", rb == 1 ? "supported" : "NOT supported");

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "vmt_batch", 4, 4, 16, NULL);
	assert_true(fd >= 0);
	ret = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL);
	printf("  hash map batch lookup: %s\n",
	       ret == 0 || errno == ENOENT ? "supported" :
					     "NOT supported (tracer falls back to get_next_key)");
	close(fd);
	assert_true(has_tp_btf);
	assert_int_equal(rb, 1);
}

/* Wait until thread @tid of this process sleeps (state S), for at most 10 s. */
static void wait_asleep(pid_t tid)
{
	struct proc_stat st;
	int i;

	for (i = 0; i < 10000; i++) {
		if (!proc_stat_read("/proc", getpid(), tid, &st) && st.state == 'S')
			return;
		usleep(1000);
	}
	fail_msg("thread %d never went to sleep", tid);
}

static struct tracer *open_tracer(int pid, int raw)
{
	struct tracer_opts o = { .topo = &topo, .target_pid = pid, .force_raw_tp = raw };
	struct tracer *t = NULL;
	char err[256] = "";

	if (tracer_open(&o, &t, err, sizeof(err)))
		fail_msg("tracer_open (%s): %s", raw ? "raw_tp" : "auto", err);
	return t;
}

/*
 * A thread pinned to the first CPU of each socket burns 300 ms: all of it is
 * charged to that socket (within 2% or 3 ms of the kernel's schedstat), and
 * next to nothing to the others.
 */
static void charge_per_socket(int raw)
{
	struct tracer *t = open_tracer(getpid(), raw);
	int s;

	printf("  flavour %s%s, CPU busy/idle from the %s\n", tracer_flavour(t),
	       !raw && strcmp(tracer_flavour(t), "tp_btf") ? " (FALLBACK from tp_btf)" : "",
	       tracer_cpu_clock(t));
	if (!raw)
		assert_string_equal(tracer_flavour(t), "tp_btf");
	for (s = 0; s < topo.nr_sockets; s++) {
		int cpu = cpu_of_socket(s), o;
		struct burner b = { .burn_ns = 300000000, .cpu = cpu, .linger = 1 };
		long long got[ENERGAT_MAX_SOCKETS] = { 0 }, run, tol, other = 0;
		struct tracer_sample smp;
		size_t i;

		assert_true(cpu >= 0);
		/* Born there: the burner inherits the affinity and never runs elsewhere. */
		assert_int_equal(pin_self(cpu), 0);
		assert_int_equal(tracer_sample(t, &smp), 0);
		assert_int_equal(burner_start(&b), 0);
		burner_wait_done(&b);
		/* Lingering: its switch-out has booked all that schedstat shows. */
		wait_asleep(b.tid);
		run = schedstat_run_ns(b.tid);
		assert_int_equal(tracer_sample(t, &smp), 0);
		pin_self(-1);
		for (i = 0; i < smp.threads.len; i++) {
			if ((pid_t)smp.threads.v[i].tid != b.tid)
				continue;
			for (o = 0; o < ENERGAT_MAX_SOCKETS; o++)
				got[o] += smp.threads.v[i].ns[o];
		}
		for (o = 0; o < ENERGAT_MAX_SOCKETS; o++)
			if (o != s)
				other += got[o];
		printf("  thread pinned to cpu %d: socket %d %.3f ms, other sockets %.3f ms, "
		       "schedstat %.3f ms, host busy on socket %d %.3f ms\n",
		       cpu, s, got[s] / 1e6, other / 1e6, run / 1e6, s, smp.busy_ns[s] / 1e6);
		tol = run / 50 > 3000000 ? run / 50 : 3000000;
		if (llabs(got[s] - run) > tol)
			fail_msg("cpu %d: socket %d charged %lld ns, schedstat %lld ns", cpu, s,
				 got[s], run);
		if (other > 1000000)
			fail_msg("cpu %d: %lld ns charged to other sockets", cpu, other);
		assert_true((long long)smp.busy_ns[s] >= got[s] - tol);
		burner_release(&b);
		burner_join(&b);
	}
	tracer_close(t);
}

static void test_socket_charge_tp_btf(void **state)
{
	(void)state;
	charge_per_socket(0);
}

static void test_socket_charge_raw_tp(void **state)
{
	(void)state;
	charge_per_socket(1);
}

struct toucher {
	char *p;
	size_t len;
	int cpu;
};

static void *touch_thread(void *arg)
{
	struct toucher *tc = arg;

	if (pin_self(tc->cpu))
		return (void *)1;
	memset(tc->p, 0x5a, tc->len);
	return NULL;
}

/* Node of the page at @p, from the kernel (get_mempolicy MPOL_F_NODE|MPOL_F_ADDR). */
static int node_of(void *p)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR))
		return -errno;
	return node;
}

/* How many of the pages of [p, p + len) are on @node (move_pages status query). */
static long pages_on_node(char *p, size_t len, int node)
{
	long psz = sysconf(_SC_PAGESIZE), n = (long)(len / psz), i, hits = 0;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status || n <= 0) {
		free(pages);
		free(status);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		pages[i] = p + i * psz;
	if (numa_move_pages(0, n, pages, NULL, status, 0))
		hits = -errno;
	for (i = 0; hits >= 0 && i < n; i++)
		hits += status[i] == node;
	free(pages);
	free(status);
	return hits;
}

/*
 * 64 MiB from numa_alloc_onnode(.., 1) and 32 MiB first-touched by a thread
 * on a CPU of node 1: every page is on node 1 (move_pages), proc_numa_usage()
 * sees ~96 MiB more on node 1 and not on node 0, and node 1's MemUsed grows.
 * The process's other memory may move a little meanwhile, hence the slack.
 */
static void test_node1_memory(void **state)
{
	const size_t a_len = 64 * MIB, b_len = 32 * MIB;
	struct numa_usage u0 = { 0 }, u1 = { 0 };
	struct node_meminfo m0, m1;
	struct toucher tc;
	pthread_t th;
	void *ret;
	char *a, *b;
	long long d0, d1, want = a_len + b_len;
	long pa, pb;

	(void)state;
	assert_true(topo.nr_nodes >= 2);
	tc.cpu = cpu_of_node(1);
	assert_true(tc.cpu >= 0);
	pin_self(cpu_of_node(0));
	assert_int_equal(node_meminfo_read("/sys", 1, &m0), 0);
	assert_int_equal(proc_numa_usage("/proc", getpid(), &u0), 0);

	a = numa_alloc_onnode(a_len, 1);
	assert_non_null(a);
	memset(a, 0xa5, a_len); /* touched from node 0's CPU: the policy still says node 1 */
	/* Untouched (malloc would write its header from this CPU): the first touch places it. */
	b = mmap(NULL, b_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(b != MAP_FAILED);
	tc.p = b;
	tc.len = b_len;
	assert_int_equal(pthread_create(&th, NULL, touch_thread, &tc), 0);
	pthread_join(th, &ret);
	assert_null(ret);

	assert_int_equal(proc_numa_usage("/proc", getpid(), &u1), 0);
	assert_int_equal(node_meminfo_read("/sys", 1, &m1), 0);
	d0 = (long long)(u1.bytes[0] - u0.bytes[0]);
	d1 = (long long)(u1.bytes[1] - u0.bytes[1]);
	pa = pages_on_node(a, a_len, 1);
	pb = pages_on_node(b, b_len, 1);
	printf("  numa_alloc_onnode: %ld of %ld pages on node 1; first-touched on cpu %d: %ld of "
	       "%ld pages on node 1\n",
	       pa, (long)(a_len / sysconf(_SC_PAGESIZE)), tc.cpu, pb,
	       (long)(b_len / sysconf(_SC_PAGESIZE)));
	printf("  numa_maps growth: node 0 %+.1f MiB, node 1 %+.1f MiB (expected +%.0f MiB)\n",
	       d0 / (double)MIB, d1 / (double)MIB, want / (double)MIB);
	printf("  node 1 MemUsed: %.1f -> %.1f MiB\n", m0.used / (double)MIB,
	       m1.used / (double)MIB);
	assert_int_equal(node_of(a), 1);
	assert_int_equal(node_of(b + b_len / 2), 1);
	assert_int_equal(pa, (long)(a_len / sysconf(_SC_PAGESIZE)));
	assert_int_equal(pb, (long)(b_len / sysconf(_SC_PAGESIZE)));
	assert_true(d1 >= want - 8 * (long long)MIB);
	assert_true(d1 <= want + 8 * (long long)MIB);
	assert_true(d0 < 8 * (long long)MIB);
	/* Node-wide: memory freed meanwhile by earlier tests (deferred frees) offsets some. */
	assert_true(m1.used >= m0.used + want / 2);
	numa_free(a, a_len);
	munmap(b, b_len);
	pin_self(-1);
}

struct collect {
	int intervals;
	double cpu_ns[ENERGAT_MAX_SOCKETS];
	double f_mem_max[ENERGAT_MAX_SOCKETS];
	int has_dram[ENERGAT_MAX_SOCKETS];
};

static int collect_sink(void *ctx, const struct interval_result *r)
{
	struct collect *c = ctx;
	int s;

	c->intervals++;
	for (s = 0; s < r->nr_sockets; s++) {
		c->cpu_ns[s] += r->target_cpu_ns[s];
		if (r->target.f_mem[s] > c->f_mem_max[s])
			c->f_mem_max[s] = r->target.f_mem[s];
		c->has_dram[s] = r->has_dram[s];
		printf("  interval %d socket %d: dt %.3f s, target cpu %.1f ms, f_cpu %.3f, "
		       "f_mem %.3f, pkg %.3f J, dram %.3f J (%s)\n",
		       c->intervals, s, r->dt_sec, r->target_cpu_ns[s] / 1e6, r->target.f_cpu[s],
		       r->target.f_mem[s], r->target.pkg_j[s], r->target.dram_j[s], r->meter);
	}
	return 0;
}

/* Child of test_session: on node 1's CPU, 64 MiB first-touched there, then burn. */
static void session_child(int go_fd, int cpu)
{
	const size_t len = 64 * MIB;
	char *p, c = 'x';

	if (pin_self(cpu))
		_exit(2);
	p = malloc(len);
	if (!p)
		_exit(3);
	memset(p, 1, len);
	/* p is never read: keep the compiler from dropping malloc and memset. */
	__asm__ volatile("" : : "r"(p) : "memory");
	if (write(go_fd, &c, 1) != 1)
		_exit(4);
	for (;;)
		burn_ns(1000000000ll);
}

/*
 * The whole pipeline (session: tracer + procfs + model meter + model) on a
 * process that lives on socket 1 / node 1: its CPU and memory credit go to
 * socket 1 only.
 */
static void test_session(void **state)
{
	struct collect c = { 0 };
	struct options o;
	struct session *s = NULL;
	char err[256] = "", ch;
	volatile sig_atomic_t stop = 0;
	int go[2], ret, cpu = cpu_of_socket(1), status;
	pid_t child;

	(void)state;
	assert_true(cpu >= 0);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(go[0]);
		session_child(go[1], cpu);
	}
	close(go[1]);
	assert_int_equal(read(go[0], &ch, 1), 1);
	close(go[0]);
	{
		struct numa_usage u = { 0 };

		assert_int_equal(proc_numa_usage("/proc", child, &u), 0);
		printf("  child %d on cpu %d: resident node 0 %.1f MiB, node 1 %.1f MiB\n", child,
		       cpu, u.bytes[0] / (double)MIB, u.bytes[1] / (double)MIB);
	}

	options_defaults(&o);
	o.mode = MODE_PID;
	o.pid = child;
	o.meter = "model";
	o.no_baseline = 1;
	o.interval = 0.5;
	o.duration = 2.0;
	ret = session_open(&o, &s, err, sizeof(err));
	if (ret) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		fail_msg("session_open: %s", err);
	}
	printf("  session: meter %s, tracer %s, %d sockets\n", session_meter_name(s),
	       session_tracer_flavour(s), session_topology(s)->nr_sockets);
	assert_int_equal(session_add_sink(s, collect_sink, &c), 0);
	while ((ret = session_step(s, &stop)) > 0)
		;
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	printf("  session ended (%s): target cpu socket 0 %.1f ms, socket 1 %.1f ms; "
	       "max f_mem socket 0 %.3f, socket 1 %.3f\n",
	       session_end_reason(s) ? session_end_reason(s) : "?", c.cpu_ns[0] / 1e6,
	       c.cpu_ns[1] / 1e6, c.f_mem_max[0], c.f_mem_max[1]);
	session_close(s);
	assert_int_equal(ret, 0);
	assert_true(c.intervals >= 3);
	/* The child burned on socket 1 for ~2 s; only the tracer's wake-ups are elsewhere. */
	assert_true(c.cpu_ns[1] > 1.0e9);
	assert_true(c.cpu_ns[0] < c.cpu_ns[1] / 100);
	if (c.has_dram[1]) {
		assert_true(c.f_mem_max[1] > 0.0);
		assert_true(c.f_mem_max[1] > 4 * c.f_mem_max[0]);
	}
}

struct sleeper {
	int go[2], done[2];
	int cpu;
	pid_t tid;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *sl = arg;
	char c;

	sl->tid = syscall(SYS_gettid);
	if (pin_self(sl->cpu) || read(sl->go[0], &c, 1) != 1) /* asleep at attach */
		return (void *)1;
	burn_ns(300000000);
	if (write(sl->done[1], "x", 1) != 1 || read(sl->go[0], &c, 1) != 1)
		return (void *)1;
	return NULL;
}

/*
 * A thread of the target that is asleep when tracing starts, then wakes and
 * burns 300 ms on an idle CPU without switching: all of it is the target's
 * (model.md section 2: threads alive at start are traced; runs are exact),
 * not only what follows its first switch-out or checkpoint.
 */
static void test_asleep_at_attach(void **state)
{
	struct sleeper sl = { .cpu = topo.cpus[topo.nr_cpus - 1] };
	struct tracer_sample smp;
	struct tracer *t;
	long long r0, r1, got = 0;
	pthread_t th;
	void *ret;
	char c;
	size_t i;

	(void)state;
	assert_int_equal(pipe(sl.go), 0);
	assert_int_equal(pipe(sl.done), 0);
	assert_int_equal(pthread_create(&th, NULL, sleeper_main, &sl), 0);
	usleep(200000);
	t = open_tracer(getpid(), 0);
	r0 = schedstat_run_ns(sl.tid);
	assert_int_equal(write(sl.go[1], "x", 1), 1);
	assert_int_equal(read(sl.done[0], &c, 1), 1);
	/* Asleep again: its switch-out has booked everything schedstat shows. */
	wait_asleep(sl.tid);
	r1 = schedstat_run_ns(sl.tid);
	assert_int_equal(tracer_sample(t, &smp), 0);
	for (i = 0; i < smp.threads.len; i++)
		if ((pid_t)smp.threads.v[i].tid == sl.tid)
			got += smp.threads.v[i].ns[0] + smp.threads.v[i].ns[1];
	assert_int_equal(write(sl.go[1], "x", 1), 1);
	pthread_join(th, &ret);
	assert_null(ret);
	printf("  thread asleep at attach, then 300 ms on cpu %d: recorded %.3f ms, schedstat "
	       "since attach %.3f ms\n",
	       sl.cpu, got / 1e6, (r1 - r0) / 1e6);
	tracer_close(t);
	for (i = 0; i < 2; i++) {
		close(sl.go[i]);
		close(sl.done[i]);
	}
	if (llabs(got - (r1 - r0)) > 2000000)
		fail_msg("thread asleep at attach: recorded %lld ns, ran %lld ns since attach", got,
			 r1 - r0);
}

/*
 * A process's whole run, exit path included, against wait4()'s rusage (the
 * kernel's final sum_exec_runtime of the reaped child). The child's own
 * clock read just before exit() misses the exit path; the difference is
 * printed, as it is what it_tracer's test_children allows for.
 */
static void test_process_exit(void **state)
{
	struct tracer *t = open_tracer(getpid(), 0);
	struct tracer_sample smp;
	struct rusage ru;
	long long self_ns = 0, got = 0, truth;
	int p[2], status;
	pid_t child;
	size_t i;

	(void)state;
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		long long ns;

		close(p[0]);
		pin_self(cpu_of_socket(1));
		burn_ns(200000000);
		ns = process_cputime_ns();
		if (write(p[1], &ns, sizeof(ns)) != sizeof(ns))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &self_ns, sizeof(self_ns)), sizeof(self_ns));
	close(p[0]);
	assert_int_equal(wait4(child, &status, 0, &ru), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent is woken before the child's last switch: let that happen first. */
	usleep(100000);
	assert_int_equal(tracer_sample(t, &smp), 0);
	for (i = 0; i < smp.threads.len; i++)
		if ((pid_t)smp.threads.v[i].pid == child)
			got += smp.threads.v[i].ns[0] + smp.threads.v[i].ns[1];
	truth = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ll +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ll;
	printf("  child %d: recorded %.3f ms, wait4 rusage %.3f ms, own clock before exit %.3f ms "
	       "(exit path %.3f ms)\n",
	       child, got / 1e6, truth / 1e6, self_ns / 1e6, (truth - self_ns) / 1e6);
	tracer_close(t);
	/*
	 * rusage is the child's run time when it was reaped, to the microsecond;
	 * the tracer counts up to its last switch, which may come a little later:
	 * never less, and at most the last few instructions more.
	 */
	if (got < truth - 500000 || got > truth + (truth / 50 > 5000000 ? truth / 50 : 5000000))
		fail_msg("child %d: recorded %lld ns, wait4 rusage %lld ns (%+lld ns)", child, got,
			 truth, got - truth);
}

static int setup(void **state)
{
	(void)state;
	if (!need_root("vm_topology"))
		return -1;
	verbose = env_int("VMTEST_VERBOSE", 0);
	libbpf_set_print(libbpf_print);
	if (topology_read("/sys", &topo))
		return -1;
	print_topology();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_kernel_features),
		cmocka_unit_test(test_socket_charge_tp_btf),
		cmocka_unit_test(test_socket_charge_raw_tp),
		cmocka_unit_test(test_node1_memory),
		cmocka_unit_test(test_process_exit),
		cmocka_unit_test(test_asleep_at_attach),
		cmocka_unit_test(test_session),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("vm_topology", tests, setup, NULL);
}
