// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test workload: spin for SEC seconds of wall time on one thread per CPU
 * listed (a CPU may repeat: "1,1" is two threads sharing cpu1; -1 is not
 * pinned). Once every thread is pinned and spinning it prints
 * "PID TID TID...\n"; on the way out, one "TID CPU_NS\n" per thread (its own
 * CPU clock: the truth a tracer is compared with).
 * Usage: spin SEC CPU[,CPU...]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

struct spinner {
	pthread_t thread;
	int cpu;
	pid_t tid;
	long long cpu_ns;
	volatile int ready;
};

static double end_at;
static volatile int go;

static double now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	struct spinner *s = arg;

	s->tid = syscall(SYS_gettid);
	if (s->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("spin: sched_setaffinity");
			exit(1);
		}
	}
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	while (now(CLOCK_MONOTONIC) < end_at)
		;
	s->cpu_ns = (long long)(now(CLOCK_THREAD_CPUTIME_ID) * 1e9);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct spinner sp[MAX_THREADS];
	char *list, *tok, *save = NULL, *end;
	double sec;
	int n = 0, i;

	if (argc != 3 || (sec = strtod(argv[1], &end)) <= 0 || *end) {
		fprintf(stderr, "usage: spin SEC CPU[,CPU...]\n");
		return 2;
	}
	list = strdup(argv[2]);
	for (tok = strtok_r(list, ",", &save); tok && n < MAX_THREADS;
	     tok = strtok_r(NULL, ",", &save)) {
		long cpu = strtol(tok, &end, 10);

		if (*end || cpu < -1 || cpu >= CPU_SETSIZE) {
			fprintf(stderr, "spin: bad CPU '%s'\n", tok);
			return 2;
		}
		sp[n++].cpu = (int)cpu;
	}
	free(list);
	if (!n) {
		fprintf(stderr, "usage: spin SEC CPU[,CPU...]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&sp[i].thread, NULL, spin, &sp[i])) {
			perror("spin: pthread_create");
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		while (!__atomic_load_n(&sp[i].ready, __ATOMIC_ACQUIRE))
			usleep(1000);
	end_at = now(CLOCK_MONOTONIC) + sec;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	printf("%d", (int)getpid());
	for (i = 0; i < n; i++)
		printf(" %d", (int)sp[i].tid);
	printf("\n");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pthread_join(sp[i].thread, NULL);
		printf("%d %lld\n", (int)sp[i].tid, sp[i].cpu_ns);
	}
	return 0;
}
