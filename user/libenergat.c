// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libenergat (include/energat/energat.h) over the session (session.h).
 *
 * energat_start() forks a helper process that opens the session, runs it
 * and writes each interval into a shared page; the caller reads that page.
 * A helper, not a thread: the tracer tells its own threads from the
 * target's by process (model.md §4.5), and a program tracing itself (the
 * Python package's usual case) would otherwise be all tracer. The helper
 * follows the target and its descendants like the CLI does, and stops
 * when asked, when the target exits, or (at the next interval) when the
 * caller has died.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "csv.h"
#include "energat/energat.h"
#include "options.h"
#include "session.h"
#include "sink_csv.h"

_Static_assert(ENERGAT_RESULT_MAX_SOCKETS == ENERGAT_MAX_SOCKETS, "socket arrays differ");

#define API __attribute__((visibility("default")))
#define POLL_NS 5000000L /* how often the caller looks at the helper's page */

enum helper_state {
	ST_STARTING,
	ST_RUNNING,
	ST_ENDED, /* the session is over and the files are complete */
	ST_FAILED, /* it could not start */
};

/* The page shared with the helper. The helper writes, the caller reads. */
struct shared {
	volatile sig_atomic_t stop; /* set by the caller or a signal in the helper */
	int state; /* enum helper_state, atomic */
	int error; /* negative errno: why it failed or ended badly */
	char msg[512];
	char end_reason[64];
	unsigned int seqlock; /* odd while the results are being written */
	struct energat_result latest, totals;
	double weight[ENERGAT_MAX_SOCKETS]; /* helper-private: time booked in totals */
};

struct energat {
	struct options o;
	char *strs[8]; /* copies of the caller's strings */
	char *csv_path;
	struct shared *sh;
	pid_t child;
	int started, reaped, wstatus;
};

static __thread char errbuf[512];
static struct shared *helper_sh; /* in the helper: where its signal handler writes */

static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return err;
}

API const char *energat_errmsg(void)
{
	return errbuf;
}

API const char *energat_version(void)
{
	return ENERGAT_VERSION_STRING;
}

/* ---- options ------------------------------------------------------------- */

static int dup_str(struct energat *e, const char *s, const char **dst)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < sizeof(e->strs) / sizeof(e->strs[0]) && e->strs[i]; i++)
		;
	if (i == sizeof(e->strs) / sizeof(e->strs[0]) || !(e->strs[i] = strdup(s)))
		return -ENOMEM;
	*dst = e->strs[i];
	return 0;
}

/* 0 = default, else within [min, max]. */
static int check_num(const char *what, double v, double min, double max, double def, double *out)
{
	if (v == 0) {
		*out = def;
		return 0;
	}
	if (!(v >= min && v <= max))
		return fail(-EINVAL, "%s %g out of range [%g, %g]", what, v, min, max);
	*out = v;
	return 0;
}

static int check_options(const struct energat_options *u, struct options *o)
{
	static const char *const meters[] = { "powercap", "perf", "msr", "model" };
	double ms = 0;
	int ret, i, ok;

	if (u->pid < 0 || u->pid > OPT_PID_MAX)
		return fail(-EINVAL, "pid %d out of range [0, %d]", u->pid, OPT_PID_MAX);
	ret = check_num("interval", u->interval, OPT_INTERVAL_MIN, OPT_INTERVAL_MAX,
			OPT_DEFAULT_INTERVAL, &o->interval);
	if (!ret)
		ret = check_num("duration", u->duration, 0, OPT_DURATION_MAX, 0, &o->duration);
	if (!ret)
		ret = check_num("gamma", u->gamma, 1e-9, OPT_EXPONENT_MAX, OPT_DEFAULT_GAMMA,
				&o->gamma);
	if (!ret)
		ret = check_num("delta", u->delta, 1e-9, OPT_EXPONENT_MAX, OPT_DEFAULT_DELTA,
				&o->delta);
	if (!ret)
		ret = check_num("mem_samples", u->mem_samples, 1, OPT_MEM_SAMPLES_MAX,
				OPT_DEFAULT_MEM_SAMPLES, &ms);
	o->mem_samples = (int)ms;
	if (!ret && ms != (int)ms)
		ret = fail(-EINVAL, "mem_samples must be a whole number");
	if (!ret)
		ret = check_num("model_pkg_idle_w", u->model_pkg_idle_w, 0, OPT_MODEL_WATTS_MAX, 0,
				&o->model_pkg_idle_w);
	if (!ret)
		ret = check_num("model_pkg_max_w", u->model_pkg_max_w, 0, OPT_MODEL_WATTS_MAX, 0,
				&o->model_pkg_max_w);
	if (!ret)
		ret = check_num("model_dram_idle_w", u->model_dram_idle_w, 0, OPT_MODEL_WATTS_MAX,
				0, &o->model_dram_idle_w);
	if (!ret)
		ret = check_num("model_dram_max_w", u->model_dram_max_w, 0, OPT_MODEL_WATTS_MAX, 0,
				&o->model_dram_max_w);
	if (ret)
		return ret;
	if ((o->model_pkg_max_w && o->model_pkg_idle_w > o->model_pkg_max_w) ||
	    (o->model_dram_max_w && o->model_dram_idle_w > o->model_dram_max_w))
		return fail(-EINVAL, "model idle watts must not exceed the max watts");
	if (u->meter) {
		for (i = 0, ok = 0; i < 4; i++)
			ok |= !strcmp(u->meter, meters[i]);
		if (!ok)
			return fail(-EINVAL, "unknown meter '%.32s' (powercap, perf, msr or model)",
				    u->meter);
	}
	if (u->name) {
		char tmp[256];

		if (strlen(u->name) > OPT_NAME_MAX ||
		    csv_filename("traces", u->name, tmp, sizeof(tmp)) < 0)
			return fail(-EINVAL, "invalid name '%.64s' (no '/', at most %d bytes)",
				    u->name, OPT_NAME_MAX);
	}
	if (u->csv_path && (!*u->csv_path || u->csv_path[strlen(u->csv_path) - 1] == '/'))
		return fail(-EINVAL, "csv_path '%.64s' does not name a file", u->csv_path);
	return 0;
}

static int pid_exists(const char *procfs_root, int pid)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d", procfs_root, pid);
	return !stat(path, &st);
}

API int energat_open(const struct energat_options *opts, struct energat **out)
{
	struct energat_options u = { 0 };
	struct energat *e;
	int ret;

	errbuf[0] = '\0';
	if (!out)
		return fail(-EINVAL, "no handle to return");
	*out = NULL;
	if (!opts || opts->sz < offsetof(struct energat_options, basefile))
		return fail(-EINVAL, "options missing or their sz field not set");
	if (opts->sz > sizeof(u)) {
		/* A newer caller: fine while it leaves the fields we do not know at zero. */
		const char *extra = (const char *)opts + sizeof(u);
		size_t i;

		for (i = 0; i < opts->sz - sizeof(u); i++)
			if (extra[i])
				return fail(-EOPNOTSUPP,
					    "options this library does not know are set");
	}
	memcpy(&u, opts, opts->sz < sizeof(u) ? opts->sz : sizeof(u));

	e = calloc(1, sizeof(*e));
	if (!e)
		return fail(-ENOMEM, "out of memory");
	options_defaults(&e->o);
	ret = check_options(&u, &e->o);
	if (ret)
		goto cleanup;
	/* The session follows a target in MODE_PID; every other mode is system-wide. */
	e->o.mode = u.pid ? MODE_PID : MODE_EXPORTER;
	e->o.pid = u.pid;
	e->o.no_baseline = !!u.no_baseline;
	e->o.threads_csv = !!u.threads_csv;
	e->o.verbose = u.verbose;
	e->o.output_dir = NULL;
	ret = dup_str(e, u.basefile, &e->o.basefile);
	if (!ret)
		ret = dup_str(e, u.output_dir, &e->o.output_dir);
	if (!ret)
		ret = dup_str(e, u.name, &e->o.name);
	if (!ret)
		ret = dup_str(e, u.meter, &e->o.meter);
	if (!ret)
		ret = dup_str(e, u.sysfs_root, &e->o.sysfs_root);
	if (!ret)
		ret = dup_str(e, u.procfs_root, &e->o.procfs_root);
	if (!ret && u.csv_path && !(e->csv_path = strdup(u.csv_path)))
		ret = -ENOMEM;
	if (ret) {
		fail(ret, "out of memory");
		goto cleanup;
	}
	if (u.pid && !pid_exists(e->o.procfs_root, u.pid)) {
		ret = fail(-ESRCH, "no process with PID %d", u.pid);
		goto cleanup;
	}
	*out = e;
	return 0;
cleanup:
	energat_close(e);
	return ret;
}

/* ---- the helper ------------------------------------------------------------ */

struct helper {
	struct shared *sh;
	struct sink_csv csv;
	int has_csv;
	pid_t parent;
};

static void seq_begin(struct shared *sh)
{
	__atomic_add_fetch(&sh->seqlock, 1, __ATOMIC_SEQ_CST);
}

static void seq_end(struct shared *sh)
{
	__atomic_add_fetch(&sh->seqlock, 1, __ATOMIC_SEQ_CST);
}

static void fill_socket(struct energat_socket *o, const struct interval_result *r, int s)
{
	const struct model_energy *e = &r->energy;

	o->total_pkg_j = e->total_pkg[s];
	o->total_dram_j = e->total_dram[s];
	o->base_pkg_j = e->base_pkg[s];
	o->base_dram_j = e->base_dram[s];
	o->dyn_pkg_j = e->dyn_pkg[s];
	o->dyn_dram_j = e->dyn_dram[s];
	o->ascribed_pkg_j = r->target.pkg_j[s];
	o->ascribed_dram_j = r->target.dram_j[s];
	o->tracer_pkg_j = r->tracer.pkg_j[s];
	o->tracer_dram_j = r->tracer.dram_j[s];
	o->pkg_credit_frac = r->target.f_cpu[s];
	o->dram_credit_frac = r->target.f_mem[s];
	o->target_cpu_sec = r->target_cpu_ns[s] / 1e9;
	o->tracer_cpu_sec = r->tracer_cpu_ns[s] / 1e9;
	o->host_busy_sec = r->host_busy_ns[s] / 1e9;
	o->cpu_percent = r->cpu_percent[s];
	o->mem_percent = r->mem_percent[s];
	o->has_dram = r->has_dram[s];
}

/* Running sums; fractions and percentages as means weighted by interval length. */
static void add_socket(struct energat_socket *t, const struct energat_socket *i, double dt,
		       double *weight)
{
	double w = *weight + dt, a = w > 0 ? *weight / w : 0, b = w > 0 ? dt / w : 0;

	t->total_pkg_j += i->total_pkg_j;
	t->total_dram_j += i->total_dram_j;
	t->base_pkg_j += i->base_pkg_j;
	t->base_dram_j += i->base_dram_j;
	t->dyn_pkg_j += i->dyn_pkg_j;
	t->dyn_dram_j += i->dyn_dram_j;
	t->ascribed_pkg_j += i->ascribed_pkg_j;
	t->ascribed_dram_j += i->ascribed_dram_j;
	t->tracer_pkg_j += i->tracer_pkg_j;
	t->tracer_dram_j += i->tracer_dram_j;
	t->target_cpu_sec += i->target_cpu_sec;
	t->tracer_cpu_sec += i->tracer_cpu_sec;
	t->host_busy_sec += i->host_busy_sec;
	t->pkg_credit_frac = a * t->pkg_credit_frac + b * i->pkg_credit_frac;
	t->dram_credit_frac = a * t->dram_credit_frac + b * i->dram_credit_frac;
	t->cpu_percent = a * t->cpu_percent + b * i->cpu_percent;
	t->mem_percent = a * t->mem_percent + b * i->mem_percent;
	t->has_dram |= i->has_dram;
	*weight = w;
}

static int helper_sink(void *ctx, const struct interval_result *r)
{
	struct helper *h = ctx;
	struct shared *sh = h->sh;
	struct energat_result *l = &sh->latest, *t = &sh->totals;
	int s, n = r->nr_sockets < ENERGAT_MAX_SOCKETS ? r->nr_sockets : ENERGAT_MAX_SOCKETS;

	seq_begin(sh);
	l->seq++;
	l->time = r->time;
	l->duration_sec = r->dt_sec;
	l->nr_sockets = n;
	l->num_proc = r->num_proc;
	l->num_threads = r->num_threads;
	l->estimated = r->estimated;
	snprintf(l->meter, sizeof(l->meter), "%s", r->meter ? r->meter : "");
	l->rb_drops = r->rb_drops;
	l->map_full = r->map_full;
	l->targets_full = r->targets_full;
	for (s = 0; s < n; s++)
		fill_socket(&l->socket[s], r, s);
	t->seq = l->seq;
	t->time = l->time;
	t->duration_sec += l->duration_sec;
	t->nr_sockets = n;
	t->num_proc = l->num_proc;
	t->num_threads = l->num_threads;
	t->estimated = l->estimated;
	memcpy(t->meter, l->meter, sizeof(t->meter));
	t->rb_drops = l->rb_drops;
	t->map_full = l->map_full;
	t->targets_full = l->targets_full;
	for (s = 0; s < n; s++)
		add_socket(&t->socket[s], &l->socket[s], r->dt_sec, &sh->weight[s]);
	seq_end(sh);
	/* The caller is gone without stopping us (reparented): end with this interval. */
	if (getppid() != h->parent)
		sh->stop = 1;
	return h->has_csv ? sink_csv_write(&h->csv, r) : 0;
}

static void helper_on_signal(int sig)
{
	(void)sig;
	if (helper_sh)
		helper_sh->stop = 1;
}

/* csv_path: the traces file exactly there, through the CSV sink's writer. */
static int open_csv_path(struct energat *e, struct sink_csv *c, char *err, size_t errlen)
{
	char *copy = strdup(e->csv_path), *slash, *dir = ".", *file = copy;
	char threads[256];
	size_t n;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		file = slash + 1;
	}
	snprintf(c->target_path, sizeof(c->target_path), "%s", e->csv_path);
	ret = csv_writer_open(dir, file, csv_target_header, &c->target);
	if (ret) {
		snprintf(err, errlen, "failed to open %.400s: %s", e->csv_path, strerror(-ret));
		goto out;
	}
	if (e->o.threads_csv) {
		n = strlen(file);
		if (n > 4 && !strcmp(file + n - 4, ".csv"))
			n -= 4;
		if (n > sizeof(threads) - sizeof("_threads.csv")) {
			ret = -ENAMETOOLONG;
			snprintf(err, errlen, "file name too long: %.400s", file);
			goto out;
		}
		snprintf(threads, sizeof(threads), "%.*s_threads.csv", (int)n, file);
		snprintf(c->threads_path, sizeof(c->threads_path), "%.3800s/%s", dir, threads);
		ret = csv_writer_open(dir, threads, csv_thread_header, &c->threads);
		if (ret)
			snprintf(err, errlen, "failed to open %.400s: %s", c->threads_path,
				 strerror(-ret));
	}
out:
	if (ret)
		sink_csv_close(c);
	free(copy);
	return ret;
}

static void helper_fail(struct shared *sh, int err, const char *msg)
{
	sh->error = err;
	snprintf(sh->msg, sizeof(sh->msg), "%s", msg);
	__atomic_store_n(&sh->state, ST_FAILED, __ATOMIC_SEQ_CST);
}

static void __attribute__((noreturn)) helper_main(struct energat *e, pid_t parent)
{
	struct shared *sh = e->sh;
	struct helper h = { .sh = sh, .parent = parent };
	struct sigaction sa = { 0 };
	struct session *s = NULL;
	char err[512] = "", name[64];
	int ret;

	helper_sh = sh;
	sa.sa_handler = helper_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	prctl(PR_SET_NAME, "energat-tracer");
	/*
	 * Not PR_SET_PDEATHSIG: it fires when the forking *thread* exits, and a
	 * caller may start tracing from a short-lived thread. helper_sink()
	 * watches getppid() instead.
	 */
	if (getppid() != parent)
		sh->stop = 1;

	ret = session_open(&e->o, &s, err, sizeof(err));
	if (ret) {
		helper_fail(sh, ret, err);
		_exit(1);
	}
	if (e->csv_path) {
		ret = open_csv_path(e, &h.csv, err, sizeof(err));
		h.has_csv = !ret;
	} else if (e->o.output_dir) {
		if (e->o.pid)
			snprintf(name, sizeof(name), "target-%d", e->o.pid);
		else
			snprintf(name, sizeof(name), "system");
		ret = sink_csv_open(&h.csv, e->o.output_dir, e->o.name ? e->o.name : name,
				    e->o.threads_csv, err, sizeof(err));
		h.has_csv = !ret;
	}
	if (!ret)
		ret = session_add_sink(s, helper_sink, &h);
	if (ret) {
		helper_fail(sh, ret, err[0] ? err : strerror(-ret));
		if (h.has_csv)
			sink_csv_close(&h.csv);
		session_close(s);
		_exit(1);
	}
	if (e->o.verbose && !strcmp(session_meter_name(s), "model"))
		fprintf(stderr, "energat: warning: meter=model: %s; energy is estimated\n",
			session_meter_why(s));
	__atomic_store_n(&sh->state, ST_RUNNING, __ATOMIC_SEQ_CST);

	while ((ret = session_step(s, &sh->stop)) > 0)
		;
	if (ret < 0) {
		sh->error = ret;
		snprintf(sh->msg, sizeof(sh->msg), "tracing failed: %s (results so far are saved)",
			 strerror(-ret));
	}
	snprintf(sh->end_reason, sizeof(sh->end_reason), "%s",
		 session_end_reason(s) ? session_end_reason(s) : "stopped");
	if (h.has_csv) {
		ret = sink_csv_close(&h.csv);
		if (ret && !sh->error) {
			sh->error = ret;
			snprintf(sh->msg, sizeof(sh->msg), "failed to complete %.400s: %s",
				 h.csv.target_path, strerror(-ret));
		}
		if (e->o.verbose)
			sink_csv_summary(&h.csv, stderr);
	}
	session_close(s);
	__atomic_store_n(&sh->state, ST_ENDED, __ATOMIC_SEQ_CST);
	_exit(sh->error ? 1 : 0);
}

/* ---- the caller's side ------------------------------------------------------- */

static int state(const struct energat *e)
{
	return __atomic_load_n(&e->sh->state, __ATOMIC_SEQ_CST);
}

static void nap(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/* Collect the helper if it exited (block: wait for it). 1 once it is gone. */
static int reap(struct energat *e, int block)
{
	pid_t r;

	if (e->reaped || !e->child)
		return 1;
	do
		r = waitpid(e->child, &e->wstatus, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0) /* reaped by someone else (e.g. the caller's own wait()) */
		e->wstatus = 0;
	e->reaped = 1;
	if (state(e) == ST_STARTING || state(e) == ST_RUNNING) {
		/* It died without saying why: a crash or a kill. */
		e->sh->error = -ECHILD;
		if (WIFSIGNALED(e->wstatus))
			snprintf(e->sh->msg, sizeof(e->sh->msg),
				 "the tracer process was killed by signal %d",
				 WTERMSIG(e->wstatus));
		else
			snprintf(e->sh->msg, sizeof(e->sh->msg),
				 "the tracer process exited unexpectedly");
		__atomic_store_n(&e->sh->state, ST_FAILED, __ATOMIC_SEQ_CST);
	}
	return 1;
}

API int energat_start(struct energat *e)
{
	pid_t parent = getpid();

	errbuf[0] = '\0';
	if (!e)
		return fail(-EINVAL, "no handle");
	if (e->started)
		return fail(-EALREADY, "already started");
	e->sh = mmap(NULL, sizeof(*e->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (e->sh == MAP_FAILED) {
		e->sh = NULL;
		return fail(-errno, "cannot map shared memory: %s", strerror(errno));
	}
	e->sh->latest.sz = e->sh->totals.sz = sizeof(struct energat_result);
	fflush(NULL); /* or buffered output would be written twice */
	e->child = fork();
	if (e->child < 0) {
		int err = errno;

		e->child = 0;
		return fail(-err, "cannot start the tracer process: %s", strerror(err));
	}
	if (e->child == 0)
		helper_main(e, parent);
	e->started = 1;
	while (state(e) == ST_STARTING) {
		if (reap(e, 0))
			break;
		nap();
	}
	if (state(e) != ST_RUNNING) {
		reap(e, 1);
		return fail(e->sh->error ? e->sh->error : -EIO, "%s", e->sh->msg);
	}
	return 0;
}

static int copy_result(struct energat *e, const struct energat_result *src,
		       struct energat_result *out)
{
	struct energat_result tmp;
	unsigned int s1, s2;
	size_t sz;

	errbuf[0] = '\0';
	if (!e || !out || out->sz < offsetof(struct energat_result, socket))
		return fail(-EINVAL, "no handle, or the result's sz field not set");
	if (!e->sh)
		return fail(-EAGAIN, "not started");
	do {
		while ((s1 = __atomic_load_n(&e->sh->seqlock, __ATOMIC_SEQ_CST)) & 1)
			;
		memcpy(&tmp, src, sizeof(tmp));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		s2 = __atomic_load_n(&e->sh->seqlock, __ATOMIC_SEQ_CST);
	} while (s1 != s2);
	if (!tmp.seq)
		return fail(-EAGAIN, "no interval completed yet");
	sz = out->sz < sizeof(tmp) ? out->sz : sizeof(tmp);
	tmp.sz = out->sz;
	memcpy(out, &tmp, sz);
	return 0;
}

API int energat_latest(struct energat *e, struct energat_result *out)
{
	return copy_result(e, e && e->sh ? &e->sh->latest : NULL, out);
}

API int energat_totals(struct energat *e, struct energat_result *out)
{
	return copy_result(e, e && e->sh ? &e->sh->totals : NULL, out);
}

API int energat_running(struct energat *e)
{
	if (!e || !e->started)
		return 0;
	reap(e, 0);
	return state(e) == ST_RUNNING && !e->reaped;
}

API const char *energat_end_reason(struct energat *e)
{
	if (!e || !e->started || energat_running(e))
		return NULL;
	return e->sh->end_reason[0] ? e->sh->end_reason : e->sh->msg;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

API long long energat_wait(struct energat *e, unsigned long long seq, int timeout_ms)
{
	double until = mono_ms() + timeout_ms;

	errbuf[0] = '\0';
	if (!e || !e->started)
		return fail(-EINVAL, "not started");
	for (;;) {
		unsigned long long now = __atomic_load_n(&e->sh->latest.seq, __ATOMIC_SEQ_CST);

		if (now > seq)
			return (long long)now;
		if (!energat_running(e))
			return 0;
		if (timeout_ms >= 0 && mono_ms() >= until)
			return fail(-ETIMEDOUT, "no new interval within %d ms", timeout_ms);
		nap();
	}
}

API int energat_stop(struct energat *e)
{
	errbuf[0] = '\0';
	if (!e)
		return fail(-EINVAL, "no handle");
	if (!e->started)
		return 0;
	if (!e->reaped) {
		e->sh->stop = 1;
		reap(e, 1);
	}
	if (e->sh->error)
		return fail(e->sh->error, "%s", e->sh->msg);
	return 0;
}

API void energat_close(struct energat *e)
{
	size_t i;

	if (!e)
		return;
	if (e->started && !e->reaped) {
		char keep[sizeof(errbuf)];

		memcpy(keep, errbuf, sizeof(keep));
		energat_stop(e);
		memcpy(errbuf, keep, sizeof(keep));
	}
	if (e->sh)
		munmap(e->sh, sizeof(*e->sh));
	for (i = 0; i < sizeof(e->strs) / sizeof(e->strs[0]); i++)
		free(e->strs[i]);
	free(e->csv_path);
	free(e);
}
