// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * System-wide tracing as `energat-bpf top` runs it (a session in MODE_TOP:
 * tracer, meter, model; no sink), measured from the inside: CPU time and
 * wall time of every interval, the time of each tracer_sample() (the drain:
 * checkpoints, map read, exit records; reached through `ld --wrap`), the
 * threads it returned, the ring-buffer drop counter and peak RSS.
 *
 * Usage: swtrace [--interval SEC] [--duration SEC] [--ready FILE]
 *                [--out FILE] [--exit-tail OBJ] [--walk] [-- CMD [ARGS...]]
 * With CMD, it is started once tracing runs; tracing goes on until it exits,
 * plus one interval, and the CPU time the tracer charged to CMD's threads is
 * reported next to the kernel's own figure (wait4's rusage) and, with
 * --exit-tail (bench/exittail.bpf.c), the run time of CMD's threads after
 * the kernel stopped counting them. Otherwise it runs for --duration seconds
 * or until SIGINT/SIGTERM. --walk lists threads with the walk over the
 * kernel's task lists (walk.bpf.c) where the slots (slots.bpf.c) would be
 * used: the listing as it was before them.
 * Prints one JSON object to --out (default stdout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "options.h"
#include "session.h"
#include "spawn.h"
#include "tracer.h"

#define MAX_INTERVALS 4096

struct interval_stat {
	double wall_s, cpu_s;
	double drain_us, drain_cpu_us;
	size_t threads;
	unsigned long long rb_drops, map_full;
};

static volatile sig_atomic_t stop;
static struct interval_stat stats[MAX_INTERVALS];
static int nr_stats;
static struct interval_stat cur; /* filled by the wrapper, copied per step */
static int force_walk;
static struct tracer *tracer; /* the session's, seen by the wrapper */
static pid_t child_pid;
static unsigned long long child_ns; /* CPU time the tracer charged to the child's threads */

static double clock_sec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rusage_sec(const struct rusage *r)
{
	return r->ru_utime.tv_sec + r->ru_stime.tv_sec +
	       (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e6;
}

int __real_tracer_open(const struct tracer_opts *o, struct tracer **out, char *err, size_t errlen);

int __wrap_tracer_open(const struct tracer_opts *o, struct tracer **out, char *err, size_t errlen)
{
	struct tracer_opts mine = *o;
	int ret;

	mine.force_walk = force_walk;
	ret = __real_tracer_open(&mine, out, err, errlen);
	tracer = *out;
	return ret;
}

int __real_tracer_sample(struct tracer *t, struct tracer_sample *s);

int __wrap_tracer_sample(struct tracer *t, struct tracer_sample *s)
{
	double w0 = clock_sec(CLOCK_MONOTONIC), c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID);
	int ret = __real_tracer_sample(t, s);
	size_t i;
	int k;

	cur.drain_us += (clock_sec(CLOCK_MONOTONIC) - w0) * 1e6;
	cur.drain_cpu_us += (clock_sec(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6;
	if (ret)
		return ret;
	cur.threads += s->threads.len;
	cur.rb_drops = s->rb_drops;
	cur.map_full = s->map_full;
	for (i = 0; child_pid && i < s->threads.len; i++) {
		if (s->threads.v[i].pid != (__u32)child_pid)
			continue;
		for (k = 0; k < ENERGAT_MAX_SOCKETS; k++)
			child_ns += s->threads.v[i].ns[k];
	}
	return ret;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static double parse_sec(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || v < 0) {
		fprintf(stderr, "swtrace: bad number of seconds: %s\n", s);
		exit(2);
	}
	return v;
}

/* Attach bench/exittail.bpf.c for one thread group. */
static struct bpf_object *exit_tail_open(const char *path, pid_t tgid)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	__u32 zero = 0, v = tgid;

	if (!obj || bpf_object__load(obj))
		goto fail;
	for (p = bpf_object__next_program(obj, NULL); p; p = bpf_object__next_program(obj, p)) {
		if (!bpf_program__attach(p))
			goto fail;
	}
	if (bpf_map__update_elem(bpf_object__find_map_by_name(obj, "cfg"), &zero, sizeof(zero), &v,
				 sizeof(v), 0))
		goto fail;
	return obj;
fail:
	fprintf(stderr, "swtrace: cannot attach %s: %s\n", path, strerror(errno));
	bpf_object__close(obj);
	return NULL;
}

/* Tail run time and thread count measured by exittail, or -1. */
static void exit_tail_read(struct bpf_object *obj, long long *ns, long long *threads)
{
	__u64 v[3]; /* struct tail: final_ns, sig_ns, threads */
	__u32 zero = 0;

	*ns = *threads = -1;
	if (obj && !bpf_map__lookup_elem(bpf_object__find_map_by_name(obj, "out"), &zero,
					 sizeof(zero), v, sizeof(v), 0)) {
		*ns = v[0] - v[1];
		*threads = v[2];
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: swtrace [--interval SEC] [--duration SEC] [--ready FILE] "
			"[--out FILE] [--exit-tail OBJ] [--walk] [-- CMD [ARGS...]]\n");
	exit(2);
}

static void print_json(FILE *f, double interval, struct session *s, const struct rusage *child_ru,
		       int child_status, struct bpf_object *tail)
{
	long long tail_ns, tail_threads;

	int i;

	fprintf(f,
		"{\"interval_s\": %.3f, \"flavour\": \"%s\", \"listing\": \"%s\", \"meter\": \"%s\", "
		"\"intervals\": [",
		interval, session_tracer_flavour(s), tracer_listing(tracer), session_meter_name(s));
	for (i = 0; i < nr_stats; i++)
		fprintf(f,
			"%s\n {\"wall_s\": %.6f, \"cpu_s\": %.6f, \"drain_us\": %.1f, "
			"\"drain_cpu_us\": %.1f, \"threads\": %zu, \"rb_drops\": %llu, "
			"\"map_full\": %llu}",
			i ? "," : "", stats[i].wall_s, stats[i].cpu_s, stats[i].drain_us,
			stats[i].drain_cpu_us, stats[i].threads, stats[i].rb_drops,
			stats[i].map_full);
	fprintf(f, "],\n \"vmhwm_kb\": %ld, \"vmrss_kb\": %ld", status_kb("VmHWM"),
		status_kb("VmRSS"));
	exit_tail_read(tail, &tail_ns, &tail_threads);
	if (child_ru)
		fprintf(f,
			",\n \"child\": {\"pid\": %d, \"status\": %d, \"traced_ns\": %llu, "
			"\"kernel_ns\": %.0f, \"exit_tail_ns\": %lld, \"exit_tail_threads\": %lld}",
			(int)child_pid, child_status, child_ns, rusage_sec(child_ru) * 1e9, tail_ns,
			tail_threads);
	fprintf(f, "}\n");
}

int main(int argc, char **argv)
{
	const char *ready = NULL, *out_path = NULL, *tail_path = NULL;
	struct bpf_object *tail = NULL;
	double interval = 1, duration = 0, t_prev, t_end;
	struct rusage ru_prev, ru_now, child_ru;
	struct sigaction sa = { .sa_handler = on_stop };
	struct session *s = NULL;
	struct options o;
	char err[512];
	char **cmd = NULL;
	int i, ret, child_status = -1, child_done = 0, go = -1;
	char c = 1;
	FILE *out = stdout;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--interval") && i + 1 < argc)
			interval = parse_sec(argv[++i]);
		else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
			duration = parse_sec(argv[++i]);
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out_path = argv[++i];
		else if (!strcmp(argv[i], "--exit-tail") && i + 1 < argc)
			tail_path = argv[++i];
		else if (!strcmp(argv[i], "--walk"))
			force_walk = 1;
		else if (!strcmp(argv[i], "--") && i + 1 < argc) {
			cmd = argv + i + 1;
			break;
		} else
			usage();
	}
	if (interval <= 0)
		usage();
	libbpf_set_print(libbpf_quiet);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	options_defaults(&o);
	o.mode = MODE_TOP;
	o.interval = interval;
	ret = session_open(&o, &s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "swtrace: %s\n", err);
		return 1;
	}
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			close(fd);
	}
	if (cmd) {
		child_pid = spawn_held(cmd, 0, &go);
		if (child_pid < 0) {
			fprintf(stderr, "swtrace: fork: %s\n", strerror(errno));
			session_close(s);
			return 1;
		}
		if (tail_path)
			tail = exit_tail_open(tail_path, child_pid);
		if ((tail_path && !tail) || write(go, &c, 1) != 1) {
			kill(child_pid, SIGKILL);
			waitpid(child_pid, NULL, 0);
			session_close(s);
			return 1;
		}
		close(go);
	}

	/* As the exporter and top -b wait. */
	session_wait_for_signals(s);
	getrusage(RUSAGE_SELF, &ru_prev);
	t_prev = clock_sec(CLOCK_MONOTONIC);
	t_end = duration > 0 ? t_prev + duration : 0;
	for (;;) {
		memset(&cur, 0, sizeof(cur));
		ret = session_step(s, &stop);
		getrusage(RUSAGE_SELF, &ru_now);
		cur.wall_s = clock_sec(CLOCK_MONOTONIC) - t_prev;
		cur.cpu_s = rusage_sec(&ru_now) - rusage_sec(&ru_prev);
		t_prev += cur.wall_s;
		ru_prev = ru_now;
		if (nr_stats < MAX_INTERVALS)
			stats[nr_stats++] = cur;
		if (ret <= 0)
			break;
		if (t_end && t_prev >= t_end)
			break;
		/* The child's last records reach the sample after its exit at the latest. */
		if (child_done)
			break;
		if (child_pid && !child_done &&
		    wait4(child_pid, &child_status, WNOHANG, &child_ru) == child_pid)
			child_done = 1;
	}
	if (ret < 0)
		fprintf(stderr, "swtrace: tracing failed: %s\n", strerror(-ret));
	if (child_pid && !child_done) {
		kill(child_pid, SIGKILL);
		wait4(child_pid, &child_status, 0, &child_ru);
	}
	if (out_path && !(out = fopen(out_path, "w"))) {
		fprintf(stderr, "swtrace: cannot write %s: %s\n", out_path, strerror(errno));
		out = stdout;
	}
	print_json(out, interval, s, child_pid ? &child_ru : NULL, child_status, tail);
	if (out != stdout)
		fclose(out);
	bpf_object__close(tail);
	session_close(s);
	return ret < 0;
}
