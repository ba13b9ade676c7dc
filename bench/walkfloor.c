// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What one walk over every task costs, apart from the tracer: the
 * programs of bench/walkfloor.bpf.c run through BPF_PROG_TEST_RUN, once
 * after PERIOD_MS of sleep (caches as the tracer finds them at each
 * boundary: cold) and once right after (warm). CPU ns per task visited,
 * per repetition.
 *
 * Usage: walkfloor OBJ REPS PERIOD_MS
 * Prints one JSON object on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_REPS 64

/* The test run executes in this thread: its CPU time leaves out preemption by other tasks. */
static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per task of one run, or -1; *tasks gets the count. */
static double run_once(int fd, unsigned int *tasks)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	double t0 = cpu_ns(), dt;

	if (bpf_prog_test_run_opts(fd, &opts) || !opts.retval)
		return -1;
	dt = cpu_ns() - t0;
	*tasks = opts.retval;
	return dt / opts.retval;
}

static void print_series(const char *name, const double *v, int n, int last)
{
	int i;

	printf("\"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", v[i]);
	printf("]%s", last ? "" : ", ");
}

int main(int argc, char **argv)
{
	double cold[MAX_REPS], warm[MAX_REPS], iter[MAX_REPS];
	struct bpf_program *p_read, *p_only;
	struct bpf_object *obj = NULL;
	unsigned int tasks = 0, period_ms;
	int reps, r, fd_read, fd_only, ret = 1;

	if (argc != 4 || (reps = atoi(argv[2])) < 1 || reps > MAX_REPS ||
	    (period_ms = (unsigned int)atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: walkfloor OBJ REPS PERIOD_MS\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "walkfloor: cannot load %s\n", argv[1]);
		goto cleanup;
	}
	p_read = bpf_object__find_program_by_name(obj, "walk_read");
	p_only = bpf_object__find_program_by_name(obj, "walk_only");
	if (!p_read || !p_only) {
		fprintf(stderr, "walkfloor: %s lacks walk_read or walk_only\n", argv[1]);
		goto cleanup;
	}
	fd_read = bpf_program__fd(p_read);
	fd_only = bpf_program__fd(p_only);
	for (r = 0; r < reps; r++) {
		usleep(period_ms * 1000);
		cold[r] = run_once(fd_read, &tasks);
		warm[r] = run_once(fd_read, &tasks);
		usleep(period_ms * 1000);
		iter[r] = run_once(fd_only, &tasks);
		if (cold[r] < 0 || warm[r] < 0 || iter[r] < 0) {
			fprintf(stderr, "walkfloor: test run failed\n");
			goto cleanup;
		}
	}
	printf("{\"tasks\": %u, ", tasks);
	print_series("cold_ns", cold, reps, 0);
	print_series("warm_ns", warm, reps, 0);
	print_series("cold_iter_only_ns", iter, reps, 1);
	printf("}\n");
	ret = 0;
cleanup:
	bpf_object__close(obj);
	return ret;
}
