// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "baseline.h"
#include "errmsg.h"
#include "keysort.h"
#include "meter.h"
#include "model.h"
#include "privdrop.h"
#include "procfs_read.h"
#include "session.h"
#include "topology.h"
#include "tracer.h"
#include "vec.h"

#define MAX_SINKS 8
#define MAX_TARGET_PIDS 4096
#define POLL_SLICE_MS 100 /* how often a wait looks at the target, when there is one */

/* Resident memory of one process, one sample per column. */
struct proc_mem {
	int pid;
	double *bytes; /* [socket][sample] */
	int nr_threads;
	double dram_j[ENERGAT_MAX_SOCKETS]; /* scratch: its ascribed DRAM this interval */
};

struct session {
	struct options o;
	struct topology topo;
	struct meter *meter;
	char meter_why[256];
	struct tracer *tracer;
	struct model_params params;
	struct {
		session_sink_fn fn;
		void *ctx;
	} sinks[MAX_SINKS];
	int nr_sinks;
	pid_t self;
	int signals_only; /* session_wait_for_signals() */
	pid_t child; /* MODE_CMD */
	int child_go; /* write end of the pipe holding the command */
	int child_exec_err; /* read end: carries errno if exec fails */
	int child_status;
	const char *end_reason;
	double start_mono, next_boundary, end_mono;
	/* Memory samples of the current interval. */
	int nr_samples, next_sample;
	double *node_used; /* [socket][sample] MemUsed */
	double *node_total; /* [socket] MemTotal, last sample */
	double *scratch; /* [sample] */
	struct proc_mem *procs; /* target processes and the tracer */
	int nr_procs, cap_procs;
	int target_pids[MAX_TARGET_PIDS];
	struct interval_result res; /* threads sorted by pid, then tid */
	size_t cap_threads;
	struct sort_key *order; /* result order */
	size_t cap_order;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int target_mode(const struct session *s)
{
	return s->o.mode == MODE_PID || s->o.mode == MODE_CMD;
}

/* A target that does not exist, or exists only as a zombie, cannot be traced. */
static int check_pid(const struct session *s, char *err, size_t errlen)
{
	struct proc_stat st;
	int ret = proc_stat_read(s->o.procfs_root, s->o.pid, 0, &st);

	if (ret == -ESRCH || ret == -ENOENT) {
		errmsg_set(err, errlen, "no process with PID %d", s->o.pid);
		return -ESRCH;
	}
	if (ret) {
		errmsg_set(err, errlen, "cannot read %s/%d/stat: %s", s->o.procfs_root, s->o.pid,
			   strerror(-ret));
		return ret;
	}
	if (st.state == 'Z' || st.state == 'X') {
		errmsg_set(err, errlen, "process %d has already exited (zombie, not reaped)",
			   s->o.pid);
		return -ESRCH;
	}
	return 0;
}

static int load_baseline(struct session *s, char *err, size_t errlen)
{
	struct baseline b;
	char why[256];
	int ret, i;

	model_params_default(&s->params);
	s->params.gamma = s->o.gamma;
	s->params.delta = s->o.delta;
	if (s->o.no_baseline || !target_mode(s))
		return 0; /* live views run with P_base = 0 and say so */
	ret = baseline_load(s->o.basefile, &b, why, sizeof(why));
	if (ret == -ENOENT) {
		errmsg_set(err, errlen,
			   "no baseline power file %s: measure it on an idle machine with "
			   "'sudo energat-bpf --basepower --basefile %s', or trace without one "
			   "(--no-baseline)",
			   s->o.basefile, s->o.basefile);
		return ret;
	}
	if (ret) {
		errmsg_set(err, errlen, "bad baseline file %s: %s", s->o.basefile, why);
		return ret;
	}
	if (b.nr_sockets != s->topo.nr_sockets) {
		errmsg_set(err, errlen,
			   "baseline file %s has %d socket(s), this machine %d: measure it again "
			   "with --basepower",
			   s->o.basefile, b.nr_sockets, s->topo.nr_sockets);
		return -EINVAL;
	}
	for (i = 0; i < b.nr_sockets; i++) {
		s->params.pkg_base_w[i] = b.pkg_base_w[i];
		s->params.dram_base_w[i] = b.dram_base_w[i];
	}
	return 0;
}

static int open_meter(struct session *s, char *err, size_t errlen)
{
	struct meter_opts mo = {
		.sysfs_root = s->o.sysfs_root,
		.proc_root = s->o.procfs_root,
		.topo = &s->topo,
		.model_pkg_idle_w = s->o.model_pkg_idle_w,
		.model_pkg_max_w = s->o.model_pkg_max_w,
		.model_dram_idle_w = s->o.model_dram_idle_w,
		.model_dram_max_w = s->o.model_dram_max_w,
	};
	int ret;

	ret = meter_open(s->o.meter, &mo, &s->meter, s->meter_why, sizeof(s->meter_why));
	if (ret) {
		errmsg_set(err, errlen, "no energy meter%s%s: %s", s->o.meter ? " " : "",
			   s->o.meter ? s->o.meter : "", s->meter_why);
		return ret;
	}
	if (meter_nr_sockets(s->meter) != s->topo.nr_sockets) {
		errmsg_set(err, errlen, "the %s meter reports %d socket(s) but the topology has %d",
			   meter_name(s->meter), meter_nr_sockets(s->meter), s->topo.nr_sockets);
		return -EINVAL;
	}
	return 0;
}

/* Fork the command, held on a pipe until the tracer runs, so none of it goes unseen. */
static int spawn_child(struct session *s, char *err, size_t errlen)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int go[2], ex[2];

	if (s->o.user && user_lookup(s->o.user, &uid, &gid)) {
		errmsg_set(err, errlen, "no user '%s'", s->o.user);
		return -ENOENT;
	}

	if (pipe2(go, O_CLOEXEC))
		goto fail;
	if (pipe2(ex, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		goto fail;
	}
	s->child = fork();
	if (s->child < 0) {
		close(go[0]);
		close(go[1]);
		close(ex[0]);
		close(ex[1]);
		goto fail;
	}
	if (s->child == 0) {
		char c;
		int e;

		if (read(go[0], &c, 1) != 1)
			_exit(127);
		if (s->o.user && drop_privileges(uid, gid, 0, (char[128]){ 0 }, 128))
			_exit(126);
		execvp(s->o.cmd[0], s->o.cmd);
		e = errno;
		if (write(ex[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(go[0]);
	close(ex[1]);
	s->child_go = go[1];
	s->child_exec_err = ex[0];
	s->o.pid = s->child;
	return 0;
fail:
	errmsg_set(err, errlen, "cannot start '%s': %s", s->o.cmd[0], strerror(errno));
	return -errno;
}

static int release_child(struct session *s, char *err, size_t errlen)
{
	ssize_t n;
	int e = 0;

	if (write(s->child_go, "x", 1) != 1) {
		errmsg_set(err, errlen, "cannot start '%s': %s", s->o.cmd[0], strerror(errno));
		return -EIO;
	}
	close(s->child_go);
	s->child_go = -1;
	/* The pipe closes on a successful exec (O_CLOEXEC), or carries its errno. */
	n = read(s->child_exec_err, &e, sizeof(e));
	close(s->child_exec_err);
	s->child_exec_err = -1;
	if (n == sizeof(e)) {
		errmsg_set(err, errlen, "cannot run '%s': %s", s->o.cmd[0], strerror(e));
		waitpid(s->child, &s->child_status, 0);
		s->child = 0;
		return -e;
	}
	return 0;
}

int session_open(const struct options *o, struct session **out, char *err, size_t errlen)
{
	struct tracer_opts to = { 0 };
	struct session *s;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->self = getpid();
	s->child_go = -1;
	s->child_exec_err = -1;
	s->child_status = -1;
	s->nr_samples = o->mem_samples > 0 ? o->mem_samples : 1;

	ret = topology_read(o->sysfs_root, &s->topo);
	if (ret) {
		errmsg_set(err, errlen, "cannot read the CPU topology under %s: %s", o->sysfs_root,
			   strerror(-ret));
		goto cleanup;
	}
	if (o->mode == MODE_PID && (ret = check_pid(s, err, errlen)))
		goto cleanup;
	ret = load_baseline(s, err, errlen);
	if (ret)
		goto cleanup;
	ret = open_meter(s, err, errlen);
	if (ret)
		goto cleanup;
	s->node_used = calloc((size_t)ENERGAT_MAX_SOCKETS * s->nr_samples, sizeof(double));
	s->node_total = calloc(ENERGAT_MAX_SOCKETS, sizeof(double));
	s->scratch = calloc(s->nr_samples, sizeof(double));
	if (!s->node_used || !s->node_total || !s->scratch) {
		ret = -ENOMEM;
		errmsg_set(err, errlen, "out of memory");
		goto cleanup;
	}
	if (o->mode == MODE_CMD && (ret = spawn_child(s, err, errlen)))
		goto cleanup;

	to.topo = &s->topo;
	to.target_pid = target_mode(s) ? s->o.pid : 0;
	to.procfs_root = o->procfs_root;
	to.btf_path = o->btf_path;
	to.force_raw_tp = getenv("ENERGAT_FORCE_RAW_TP") != NULL;
	ret = tracer_open(&to, &s->tracer, err, errlen);
	if (ret)
		goto cleanup;
	/* The meter's interval starts with the tracer's first boundary. */
	meter_read(s->meter, NULL, &(struct meter_energy){ 0 });
	if (o->mode == MODE_CMD && (ret = release_child(s, err, errlen)))
		goto cleanup;

	s->start_mono = mono_now();
	s->next_boundary = s->start_mono + o->interval;
	s->end_mono = o->duration > 0 ? s->start_mono + o->duration : INFINITY;
	*out = s;
	return 0;
cleanup:
	session_close(s);
	return ret;
}

int session_add_sink(struct session *s, session_sink_fn fn, void *ctx)
{
	if (s->nr_sinks == MAX_SINKS)
		return -E2BIG;
	s->sinks[s->nr_sinks].fn = fn;
	s->sinks[s->nr_sinks].ctx = ctx;
	s->nr_sinks++;
	return 0;
}

static struct proc_mem *proc_mem_get(struct session *s, int pid)
{
	struct proc_mem *p;
	int i;

	for (i = 0; i < s->nr_procs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	if (s->nr_procs == s->cap_procs) {
		int cap = s->cap_procs ? s->cap_procs * 2 : 16;
		void *v = realloc(s->procs, cap * sizeof(*s->procs));

		if (!v)
			return NULL;
		s->procs = v;
		s->cap_procs = cap;
	}
	p = &s->procs[s->nr_procs];
	memset(p, 0, sizeof(*p));
	p->bytes = calloc((size_t)ENERGAT_MAX_SOCKETS * s->nr_samples, sizeof(double));
	if (!p->bytes)
		return NULL;
	p->pid = pid;
	s->nr_procs++;
	return p;
}

static void procs_reset(struct session *s)
{
	int i;

	for (i = 0; i < s->nr_procs; i++)
		free(s->procs[i].bytes);
	s->nr_procs = 0;
}

/* MemUsed and MemTotal per socket, summed over its nodes, into sample k. */
static void sample_nodes(struct session *s, int k)
{
	const struct topology *t = &s->topo;
	struct node_meminfo m;
	int i, sock;

	for (sock = 0; sock < ENERGAT_MAX_SOCKETS; sock++) {
		s->node_used[sock * s->nr_samples + k] = 0;
		s->node_total[sock] = 0;
	}
	for (i = 0; i < t->nr_nodes; i++) {
		if (t->has_numa ? node_meminfo_read(s->o.sysfs_root, t->node_id[i], &m) :
				  system_meminfo_read(s->o.procfs_root, &m))
			continue;
		sock = t->node_socket[i] < 0 ? 0 : t->node_socket[i];
		s->node_used[sock * s->nr_samples + k] += m.used;
		s->node_total[sock] += m.total;
	}
}

/* Resident bytes per socket of one process, from its numa_maps, into sample k. */
static void sample_proc(struct session *s, int pid, int k)
{
	const struct topology *t = &s->topo;
	struct numa_usage u = { 0 };
	struct proc_stat st;
	struct proc_mem *p;
	int node, sock;

	if (proc_numa_usage(s->o.procfs_root, pid, &u) || !(p = proc_mem_get(s, pid)))
		return;
	if (!proc_stat_read(s->o.procfs_root, pid, 0, &st))
		p->nr_threads = st.num_threads;
	for (node = 0; node < t->nr_nodes; node++) {
		sock = t->node_socket[node] < 0 ? 0 : t->node_socket[node];
		if (t->node_id[node] >= 0 && t->node_id[node] < ENERGAT_MAX_NODES)
			p->bytes[sock * s->nr_samples + k] += u.bytes[t->node_id[node]];
	}
}

/*
 * One memory sample: the sockets' MemUsed and the target's processes (the
 * tracer among them). Reading every process's numa_maps each interval is
 * the prototype's cost: system-wide, sample_rss() does without. Not even
 * the tracer's own: walking its page tables was 5% of its CPU at 10,000
 * threads.
 */
static void sample_memory(struct session *s)
{
	int k = s->next_sample, n, i;

	if (k >= s->nr_samples)
		return;
	s->next_sample++;
	sample_nodes(s, k);
	if (!target_mode(s))
		return; /* sample_rss() covers every process, the tracer too */
	n = tracer_target_pids(s->tracer, s->target_pids, MAX_TARGET_PIDS);
	for (i = 0; i < n; i++)
		sample_proc(s, s->target_pids[i], k);
}

/* f_mem[s] of the target's processes (tracer 0) or the tracer's own (tracer 1). */
static void mem_frac(struct session *s, int tracer, double *frac)
{
	int sock, k, i, K = s->next_sample;

	for (sock = 0; sock < s->res.nr_sockets; sock++) {
		for (k = 0; k < K; k++) {
			s->scratch[k] = 0;
			for (i = 0; i < s->nr_procs; i++)
				if ((s->procs[i].pid == s->self) == tracer)
					s->scratch[k] +=
						s->procs[i].bytes[sock * s->nr_samples + k];
		}
		frac[sock] = model_mem_frac(s->scratch, &s->node_used[sock * s->nr_samples], K);
	}
}

/* f_mem[s] of one process: its samples are contiguous per socket already. */
static void proc_mem_frac(const struct session *s, const struct proc_mem *p, double *frac)
{
	int sock;

	for (sock = 0; sock < s->res.nr_sockets; sock++)
		frac[sock] = model_mem_frac(&p->bytes[sock * s->nr_samples],
					    &s->node_used[sock * s->nr_samples], s->next_sample);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The sample's threads in result order: by process, then thread. Sorting
 * 16-byte keys (pid << 32 | tid, and the index in the sample), not the
 * ~300-byte results, was a tenth of the tracer's CPU at 10k threads. The
 * sort's scratch is s->scratch: two doubles per thread are one key.
 */
static int order_threads(struct session *s, const struct thread_deltas *d)
{
	size_t i;

	if (vec_fit(&s->order, &s->cap_order, d->len, sizeof(*s->order)))
		return -ENOMEM;
	for (i = 0; i < d->len; i++) {
		s->order[i].key = (__u64)d->v[i].pid << 32 | d->v[i].tid;
		s->order[i].idx = i;
	}
	keysort(s->order, (struct sort_key *)s->scratch, d->len);
	return 0;
}

/*
 * Room for n thread results; scratch keeps two doubles per thread (or
 * sample), which is also room for the sort's n keys.
 */
static int reserve_threads(struct session *s, size_t n)
{
	size_t old = s->cap_threads, m;
	void *v;
	int ret;

	ret = vec_fit(&s->res.threads, &s->cap_threads, n, sizeof(*s->res.threads));
	if (ret || s->cap_threads == old)
		return ret;
	m = s->cap_threads > (size_t)s->nr_samples ? s->cap_threads : (size_t)s->nr_samples;
	v = realloc(s->scratch, m * 2 * sizeof(double));
	if (!v) {
		/* A failed shrink keeps the larger scratch, which still fits. */
		if (s->cap_threads < old)
			return 0;
		s->cap_threads = old;
		return -ENOMEM;
	}
	s->scratch = v;
	return 0;
}

/*
 * The meter is read right after the boundary, so energy and CPU time
 * cover the same window. The model meter's memory input is the previous
 * interval's (the new samples come after this read).
 */
static void read_meter(struct session *s, const struct tracer_sample *ts, struct meter_energy *e)
{
	struct meter_input in = { .dt_sec = ts->dt_sec };
	int sock;

	for (sock = 0; sock < s->topo.nr_sockets; sock++) {
		double cap = ts->dt_sec * 1e9 * s->topo.socket_nr_cpus[sock];

		in.busy_frac[sock] = model_percent(ts->busy_ns[sock], cap) / 100;
		in.mem_used_frac[sock] = s->res.mem_percent[sock] / 100;
	}
	meter_read(s->meter, &in, e);
}

/* Host side: utilisation and E/B/D per socket. */
static void compute_host(struct session *s, const struct tracer_sample *ts,
			 const struct meter_energy *me, struct model_host *h)
{
	struct interval_result *r = &s->res;
	const struct meter_energy e = *me;
	int sock, last = s->next_sample - 1;

	for (sock = 0; sock < r->nr_sockets; sock++) {
		double cap = ts->dt_sec * 1e9 * s->topo.socket_nr_cpus[sock];
		double used = last >= 0 ? s->node_used[sock * s->nr_samples + last] : 0;

		r->host_busy_ns[sock] = ts->busy_ns[sock];
		r->cpu_percent[sock] = model_percent(ts->busy_ns[sock], cap);
		r->mem_percent[sock] = model_percent(used, s->node_total[sock]);
	}
	r->meter_anomalies = e.anomalies;
	if (e.wrap_unknown)
		fprintf(stderr,
			"energat-bpf: warning: meter=%s: %.1f s since the last read: the energy "
			"counters may have wrapped unseen; interval not booked\n",
			r->meter, e.dt_sec);
	else if (e.anomalies)
		fprintf(stderr,
			"energat-bpf: warning: meter=%s: implausible or unreadable energy counter "
			"(zones 0x%x): interval not booked\n",
			r->meter, e.anomalies);
	h->nr_sockets = r->nr_sockets;
	h->dt_sec = e.dt_sec > 0 ? e.dt_sec : ts->dt_sec;
	for (sock = 0; sock < r->nr_sockets; sock++) {
		h->e_pkg[sock] = e.j[ZONE_PKG][sock];
		h->e_dram[sock] = e.j[ZONE_DRAM][sock];
		h->has_dram[sock] = e.present[ZONE_DRAM][sock];
		h->busy_ns[sock] = ts->busy_ns[sock];
		r->has_dram[sock] = h->has_dram[sock];
	}
	model_energy(&s->params, h, &r->energy);
	for (sock = 0; sock < r->nr_sockets; sock++) {
		if ((r->energy.pkg_clamped[sock] || r->energy.dram_clamped[sock]) && s->o.verbose)
			fprintf(stderr,
				"energat-bpf: warning: socket %d: energy below the baseline, "
				"dynamic energy clamped to 0\n",
				sock);
	}
}

/*
 * System-wide views cannot afford every process's numa_maps each interval:
 * a process that ran gets its resident size (statm), put on the sockets in
 * the proportion of its CPU time there. Rows are sorted by pid.
 */
static void sample_rss(struct session *s)
{
	const struct interval_result *r = &s->res;
	size_t i = 0, n;
	int sock, k;

	while (i < r->nr_threads) {
		double cpu[ENERGAT_MAX_SOCKETS] = { 0 }, total = 0;
		unsigned long long rss;
		struct proc_mem *p;

		for (n = i; n < r->nr_threads && r->threads[n].pid == r->threads[i].pid; n++)
			for (sock = 0; sock < r->nr_sockets; sock++) {
				cpu[sock] += r->threads[n].cpu_ns[sock];
				total += r->threads[n].cpu_ns[sock];
			}
		if (total > 0 && !proc_rss_bytes(s->o.procfs_root, r->threads[i].pid, &rss) &&
		    (p = proc_mem_get(s, r->threads[i].pid)))
			for (sock = 0; sock < r->nr_sockets; sock++)
				for (k = 0; k < s->nr_samples; k++)
					p->bytes[sock * s->nr_samples + k] =
						rss * cpu[sock] / total;
		i = n;
	}
}

/* DRAM of each process split among its threads by CPU time (model.md §4.6). */
static void thread_dram(struct session *s, const struct model_host *h)
{
	struct interval_result *r = &s->res;
	double *cpu = s->scratch, *out = s->scratch + s->cap_threads;
	size_t i = 0, j, n;
	int sock, pi;

	for (pi = 0; pi < s->nr_procs; pi++) {
		struct proc_mem *p = &s->procs[pi];
		double frac[ENERGAT_MAX_SOCKETS];

		proc_mem_frac(s, p, frac);
		for (sock = 0; sock < r->nr_sockets; sock++)
			p->dram_j[sock] =
				h->has_dram[sock] ?
					r->energy.dyn_dram[sock] *
						model_credit(frac[sock], s->params.delta) :
					0;
	}
	while (i < r->nr_threads) {
		struct proc_mem *p = NULL;

		for (n = i; n < r->nr_threads && r->threads[n].pid == r->threads[i].pid; n++)
			;
		for (pi = 0; pi < s->nr_procs; pi++)
			if (s->procs[pi].pid == (int)r->threads[i].pid)
				p = &s->procs[pi];
		for (sock = 0; p && sock < r->nr_sockets; sock++) {
			for (j = i; j < n; j++)
				cpu[j - i] = r->threads[j].cpu_ns[sock];
			model_thread_dram_split(p->dram_j[sock], cpu, n - i, out);
			for (j = i; j < n; j++)
				r->threads[j].dram_j[sock] = out[j - i];
		}
		i = n;
	}
}

/*
 * Processes and threads of the target: those alive at the last memory
 * sample, or, when more, those that ran (a target that exited during the
 * interval has no /proc left to read). Rows are sorted by pid.
 */
static void count_target(struct session *s)
{
	struct interval_result *r = &s->res;
	int procs = 0, threads = 0, ran_procs = 0, ran_threads = 0;
	size_t i;

	r->num_proc = r->num_threads = 0;
	if (!target_mode(s))
		return;
	for (i = 0; i < (size_t)s->nr_procs; i++) {
		if (s->procs[i].pid == s->self)
			continue;
		procs++;
		threads += s->procs[i].nr_threads;
	}
	for (i = 0; i < r->nr_threads; i++) {
		if (r->threads[i].is_tracer)
			continue;
		ran_threads++;
		ran_procs += i == 0 || r->threads[i].pid != r->threads[i - 1].pid;
	}
	r->num_proc = procs > ran_procs ? procs : ran_procs;
	r->num_threads = threads > ran_threads ? threads : ran_threads;
}

static int compute(struct session *s, const struct tracer_sample *ts, const struct meter_energy *e,
		   double now)
{
	struct interval_result *r = &s->res;
	struct model_credit target = { 0 }, tracer = { 0 };
	struct model_host h = { 0 };
	size_t i;
	int sock, ret;

	r->time = now;
	r->dt_sec = ts->dt_sec;
	r->nr_sockets = s->topo.nr_sockets;
	r->meter = meter_name(s->meter);
	r->estimated = !strcmp(r->meter, "model");
	r->rb_drops = ts->rb_drops;
	r->map_full = ts->map_full;
	r->targets_full = ts->targets_full;
	/* The meter is read right after the boundary: its dt and ts->dt_sec agree to microseconds. */
	compute_host(s, ts, e, &h);

	ret = reserve_threads(s, ts->threads.len + 1);
	if (!ret)
		ret = order_threads(s, &ts->threads);
	if (ret)
		return ret;
	r->nr_threads = ts->threads.len;
	for (i = 0; i < ts->threads.len; i++) {
		const struct thread_delta *d = &ts->threads.v[s->order[i].idx];
		struct thread_result *t = &r->threads[i];
		struct model_credit *c;

		/* In result order the deltas are read at random: start the misses early. */
		if (i + PREFETCH_AHEAD < ts->threads.len) {
			const char *ahead =
				(const char *)&ts->threads.v[s->order[i + PREFETCH_AHEAD].idx];

			__builtin_prefetch(ahead);
			__builtin_prefetch(ahead + sizeof(*d) - 1);
		}

		memset(t, 0, sizeof(*t));
		t->pid = d->pid;
		t->tid = d->tid;
		t->exited = d->exited;
		t->is_tracer = (pid_t)d->pid == s->self;
		memcpy(t->comm, d->comm, sizeof(t->comm));
		c = t->is_tracer ? &tracer : &target;
		for (sock = 0; sock < r->nr_sockets; sock++) {
			t->cpu_ns[sock] = d->ns[sock];
			t->f_cpu[sock] = model_cpu_frac(d->ns[sock], h.busy_ns[sock]);
			t->pkg_j[sock] =
				model_thread_pkg(&s->params, &h, &r->energy, sock, d->ns[sock]);
			c->cpu_ns[sock] += d->ns[sock];
		}
	}
	memcpy(r->target_cpu_ns, target.cpu_ns, sizeof(r->target_cpu_ns));
	memcpy(r->tracer_cpu_ns, tracer.cpu_ns, sizeof(r->tracer_cpu_ns));
	if (!target_mode(s))
		sample_rss(s);
	mem_frac(s, 0, target.mem_frac);
	mem_frac(s, 1, tracer.mem_frac);
	memset(&r->target, 0, sizeof(r->target));
	if (target_mode(s))
		model_ascribe(&s->params, &h, &r->energy, &target, &r->target);
	model_ascribe(&s->params, &h, &r->energy, &tracer, &r->tracer);
	thread_dram(s, &h);

	count_target(s);
	return 0;
}

/* Some followed process other than the tracer still exists and is not a zombie. */
static int targets_alive(struct session *s)
{
	struct proc_stat st;
	int n, i;

	n = tracer_target_pids(s->tracer, s->target_pids, MAX_TARGET_PIDS);
	for (i = 0; i < n; i++) {
		if (s->target_pids[i] == s->self)
			continue;
		if (!proc_stat_read(s->o.procfs_root, s->target_pids[i], 0, &st) &&
		    st.state != 'Z' && st.state != 'X')
			return 1;
	}
	return n < 0; /* cannot tell: keep going */
}

static int target_gone(struct session *s)
{
	int status;

	if (s->o.mode == MODE_CMD) {
		if (s->child > 0 && waitpid(s->child, &status, WNOHANG) == s->child) {
			s->child_status = status;
			s->child = 0;
			s->end_reason = "command exited";
			return 1;
		}
		return 0;
	}
	/*
	 * The kernel side lists only live processes (dying ones are left out);
	 * one that died before attach is still listed, so /proc settles it.
	 */
	if (s->o.mode == MODE_PID && !targets_alive(s)) {
		s->end_reason = "target exited";
		return 1;
	}
	return 0;
}

int session_step(struct session *s, volatile sig_atomic_t *stop)
{
	double interval = s->o.interval, start = s->next_boundary - interval;
	struct tracer_sample ts;
	struct meter_energy me;
	double now;
	int over = 0, ret, i;

	while (!over) {
		double now = mono_now(), until = s->next_boundary, wake;

		if (now >= s->end_mono) {
			s->end_reason = "duration reached";
			over = 1;
			break;
		}
		if (now >= s->next_boundary)
			break;
		if (s->end_mono < until)
			until = s->end_mono;
		/* Memory samples spread evenly; the last is taken at the boundary. */
		if (s->next_sample < s->nr_samples - 1) {
			double at = start + interval * (s->next_sample + 1) / s->nr_samples;

			if (now >= at) {
				sample_memory(s);
				continue;
			}
			if (at < until)
				until = at;
		}
		wake = (until - now) * 1000;
		if (!s->signals_only || target_mode(s))
			wake = wake > POLL_SLICE_MS ? POLL_SLICE_MS : wake;
		ret = tracer_poll(s->tracer, (int)wake + 1);
		if (ret && ret != -EINTR)
			return ret;
		if (*stop) {
			s->end_reason = "stopped by signal";
			over = 1;
		} else if (target_gone(s)) {
			over = 1;
		}
	}
	ret = tracer_sample(s->tracer, &ts);
	if (ret)
		return ret;
	now = wall_now(); /* the boundary's time, not after the memory reads */
	read_meter(s, &ts, &me);
	while (s->next_sample < s->nr_samples)
		sample_memory(s);
	ret = compute(s, &ts, &me, now);
	for (i = 0; !ret && i < s->nr_sinks; i++)
		ret = s->sinks[i].fn(s->sinks[i].ctx, &s->res);
	s->next_sample = 0;
	procs_reset(s);
	if (ret)
		return ret;
	s->next_boundary += interval;
	if (s->next_boundary < mono_now())
		s->next_boundary = mono_now() + interval; /* fell behind: do not burst */
	return over ? 0 : 1;
}

const char *session_end_reason(const struct session *s)
{
	return s->end_reason;
}

int session_child_status(const struct session *s)
{
	return s->child_status;
}

int session_target_pid(const struct session *s)
{
	return target_mode(s) ? s->o.pid : 0;
}

const struct topology *session_topology(const struct session *s)
{
	return &s->topo;
}

const char *session_meter_name(const struct session *s)
{
	return meter_name(s->meter);
}

const char *session_meter_why(const struct session *s)
{
	return s->meter_why;
}

void session_wait_for_signals(struct session *s)
{
	s->signals_only = 1;
}

const char *session_tracer_flavour(const struct session *s)
{
	return tracer_flavour(s->tracer);
}

void session_close(struct session *s)
{
	if (!s)
		return;
	if (s->child > 0) {
		kill(s->child, SIGTERM);
		waitpid(s->child, &s->child_status, 0);
	}
	if (s->child_go >= 0)
		close(s->child_go);
	if (s->child_exec_err >= 0)
		close(s->child_exec_err);
	tracer_close(s->tracer);
	meter_close(s->meter);
	procs_reset(s);
	free(s->procs);
	free(s->node_used);
	free(s->node_total);
	free(s->scratch);
	free(s->order);
	free(s->res.threads);
	free(s);
}
