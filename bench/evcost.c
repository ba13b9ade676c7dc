// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-event cost of energat's BPF programs against reference programs (an
 * empty tp_btf/sched_switch program, bench/empty.bpf.c) attached side by
 * side, under one workload. Every figure is the kernel's own run-time
 * statistics, the run_time_ns and run_cnt that `bpftool prog show` prints,
 * switched on for the life of this process with BPF_ENABLE_STATS (what
 * kernel.bpf_stats_enabled=1 does, but undone even if this process dies).
 *
 * Usage: evcost --mode sys|target|other|none [--warm OBJ] [--before OBJ]
 *               [--extra OBJ] -- CMD [ARGS...]
 *   sys     system-wide tracing: every switch is a traced thread's
 *   target  --pid mode with CMD as the target: its switches are targets'
 *   other   --pid mode with an idle process as the target: CMD's are not
 *   none    no tracer, only OBJ
 * Every program of the BPF object OBJ is attached too: --extra's after the
 * tracer, --before's before it (both may name the same object: it is then
 * loaded twice). With --warm, OBJ's programs are attached before all
 * others: the first place, and its cost, is theirs.
 *
 * Prints one JSON object on stdout: the programs in the order they run at
 * an event, each with its group (warm, before, tracer, after) and the
 * address of its machine code. Which code page a program runs from
 * matters: the first program to run from a page at an event can pay for
 * the page (a TLB miss), whatever it does, and the kernel places programs
 * first-fit into whatever room is free, so the report needs to know.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "spawn.h"
#include "topology.h"
#include "tracer.h"

#define MAX_PROGS 32

/* The order in which evcost attaches, which is the order programs run in. */
enum group { G_WARM, G_BEFORE, G_TRACER, G_AFTER };
static const char *const group_names[] = { "warm", "before", "tracer", "after" };

struct prog_stat {
	char name[BPF_OBJ_NAME_LEN];
	int fd;
	int group; /* enum group: its place in the chain */
	int place; /* within its object's programs */
	__u64 addr; /* where its JIT image starts (its main function) */
	__u64 cnt0, ns0, cnt1, ns1;
};

static double mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int prog_read(int fd, __u64 *cnt, __u64 *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

/* The address of a program's main function: which code page it runs from. */
static __u64 prog_addr(int fd, __u32 nfuncs)
{
	__u64 addrs[64] = {};
	struct bpf_prog_info info = {
		.nr_jited_ksyms = nfuncs < 64 ? nfuncs : 64,
		.jited_ksyms = (__u64)(unsigned long)addrs,
	};
	__u32 len = sizeof(info);

	if (!nfuncs || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return addrs[0];
}

/* This process's BPF programs: its open fds that are programs. */
static int find_progs(struct prog_stat *p, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		char path[300], link[64];
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		ssize_t l;
		int fd = atoi(de->d_name);

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		if (strcmp(link, "anon_inode:bpf-prog") || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(p[n].name, sizeof(p[n].name), "%s", info.name);
		p[n].fd = fd;
		p[n].addr = prog_addr(fd, info.nr_jited_ksyms);
		n++;
	}
	closedir(d);
	return n;
}

/* 1 + the place of the program with this fd in obj, which it was attached in; 0 if none. */
static int in_object(struct bpf_object *obj, int fd)
{
	struct bpf_program *p;
	int n = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_program(p, obj)
	{
		n++;
		if (bpf_program__fd(p) == fd)
			return n;
	}
	return 0;
}

static int chain_order(const void *a, const void *b)
{
	const struct prog_stat *x = a, *y = b;

	if (x->group != y->group)
		return x->group - y->group;
	return x->place - y->place;
}

static pid_t spawn_idle(void)
{
	pid_t pid = fork();

	if (!pid) {
		for (;;)
			pause();
	}
	return pid;
}

static int attach_extra(const char *path, struct bpf_object **out)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	if (!obj || bpf_object__load(obj))
		goto fail;
	for (p = bpf_object__next_program(obj, NULL); p; p = bpf_object__next_program(obj, p)) {
		/* Links stay alive until the object is closed at exit. */
		if (!bpf_program__attach(p))
			goto fail;
	}
	*out = obj;
	return 0;
fail:
	fprintf(stderr, "evcost: cannot load %s: %s\n", path, strerror(errno));
	bpf_object__close(obj);
	return -1;
}

static int open_tracer(const struct topology *topo, int target, struct tracer **t)
{
	struct tracer_opts o = { .topo = topo, .target_pid = target };
	char err[256];

	if (tracer_open(&o, t, err, sizeof(err))) {
		fprintf(stderr, "evcost: %s\n", err);
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: evcost --mode sys|target|other|none [--warm OBJ] [--before OBJ] "
			"[--extra OBJ] -- CMD [ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct prog_stat progs[MAX_PROGS];
	struct bpf_object *extra = NULL, *warm = NULL, *before = NULL;
	const char *extra_path = NULL, *warm_path = NULL, *before_path = NULL;
	struct tracer *tracer = NULL;
	static struct topology topo;
	const char *mode = NULL;
	int stats_fd, go, nprogs, i, status, ret = 1, target = 0;
	pid_t child, idle = 0;
	double t0, t1;
	char c = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mode = argv[++i];
		else if (!strcmp(argv[i], "--extra") && i + 1 < argc)
			extra_path = argv[++i];
		else if (!strcmp(argv[i], "--warm") && i + 1 < argc)
			warm_path = argv[++i];
		else if (!strcmp(argv[i], "--before") && i + 1 < argc)
			before_path = argv[++i];
		else if (!strcmp(argv[i], "--"))
			break;
		else
			usage();
	}
	if (!mode || i + 1 >= argc)
		usage();
	if (strcmp(mode, "sys") && strcmp(mode, "target") && strcmp(mode, "other") &&
	    strcmp(mode, "none"))
		usage();

	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "evcost: cannot enable BPF run-time statistics: %s\n",
			strerror(errno));
		return 1;
	}
	if (topology_read(NULL, &topo)) {
		fprintf(stderr, "evcost: cannot read the CPU topology\n");
		return 1;
	}
	child = spawn_held(argv + i + 1, 1, &go);
	if (child < 0) {
		fprintf(stderr, "evcost: fork: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(mode, "target"))
		target = child;
	else if (!strcmp(mode, "other"))
		target = idle = spawn_idle();
	if (target < 0)
		goto cleanup;

	if (warm_path && attach_extra(warm_path, &warm))
		goto cleanup;
	if (before_path && attach_extra(before_path, &before))
		goto cleanup;
	if (strcmp(mode, "none") && open_tracer(&topo, target, &tracer))
		goto cleanup;
	if (extra_path && attach_extra(extra_path, &extra))
		goto cleanup;

	nprogs = find_progs(progs, MAX_PROGS);
	for (i = 0; i < nprogs; i++) {
		struct prog_stat *s = &progs[i];

		s->group = G_TRACER;
		if ((s->place = in_object(warm, s->fd)))
			s->group = G_WARM;
		else if ((s->place = in_object(before, s->fd)))
			s->group = G_BEFORE;
		else if ((s->place = in_object(extra, s->fd)))
			s->group = G_AFTER;
	}
	/* The tracer has one program per tracepoint: its order does not matter. */
	qsort(progs, nprogs, sizeof(*progs), chain_order);
	for (i = 0; i < nprogs; i++)
		prog_read(progs[i].fd, &progs[i].cnt0, &progs[i].ns0);
	t0 = mono_sec();
	if (write(go, &c, 1) != 1)
		goto cleanup;
	close(go);
	go = -1;
	if (waitpid(child, &status, 0) != child)
		goto cleanup;
	child = 0;
	t1 = mono_sec();
	for (i = 0; i < nprogs; i++)
		prog_read(progs[i].fd, &progs[i].cnt1, &progs[i].ns1);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "evcost: the workload failed\n");
		goto cleanup;
	}

	printf("{\"mode\": \"%s\", \"flavour\": \"%s\", \"wall_s\": %.6f, \"progs\": [", mode,
	       tracer ? tracer_flavour(tracer) : "", t1 - t0);
	for (i = 0; i < nprogs; i++)
		printf("%s{\"name\": \"%s\", \"group\": \"%s\", \"addr\": \"%llx\", "
		       "\"cnt\": %llu, \"ns\": %llu}",
		       i ? ", " : "", progs[i].name, group_names[progs[i].group],
		       (unsigned long long)progs[i].addr,
		       (unsigned long long)(progs[i].cnt1 - progs[i].cnt0),
		       (unsigned long long)(progs[i].ns1 - progs[i].ns0));
	printf("]}\n");
	ret = 0;
cleanup:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (idle > 0) {
		kill(idle, SIGKILL);
		waitpid(idle, NULL, 0);
	}
	tracer_close(tracer);
	bpf_object__close(extra);
	bpf_object__close(before);
	bpf_object__close(warm);
	close(stats_fd);
	return ret;
}
