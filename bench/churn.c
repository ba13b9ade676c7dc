// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Thread churn: RATE short-lived threads per second for SECONDS seconds,
 * each burning WORK microseconds of CPU and exiting. At most MAX_LIVE run at
 * once; if the machine cannot keep up the rate falls behind (it is printed).
 * Usage: churn RATE SECONDS [WORK_US]   (default 20)
 * Prints one JSON object: threads made, wall time, achieved rate.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STACK_BYTES (64 * 1024)
#define MAX_LIVE 4096

static long work_ns;
static int live;

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void *run(void *arg)
{
	long long end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + work_ns;

	(void)arg;
	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
	__atomic_sub_fetch(&live, 1, __ATOMIC_RELEASE);
	return NULL;
}

static double arg_num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || v <= 0) {
		fprintf(stderr, "churn: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long long start, now, total, made = 0, failed = 0;
	pthread_attr_t attr;
	double rate, secs;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: churn RATE SECONDS [WORK_US]\n");
		return 2;
	}
	rate = arg_num(argv[1]);
	secs = arg_num(argv[2]);
	work_ns = argc > 3 ? (long)(arg_num(argv[3]) * 1000) : 20000;
	total = (long long)(rate * secs);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_BYTES);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	start = clock_ns(CLOCK_MONOTONIC);
	while (made < total) {
		long long due;

		now = clock_ns(CLOCK_MONOTONIC);
		due = (long long)((now - start) / 1e9 * rate);
		if (due > total)
			due = total;
		while (made < due && __atomic_load_n(&live, __ATOMIC_ACQUIRE) < MAX_LIVE) {
			pthread_t t;

			__atomic_add_fetch(&live, 1, __ATOMIC_ACQ_REL);
			if (pthread_create(&t, &attr, run, NULL)) {
				__atomic_sub_fetch(&live, 1, __ATOMIC_ACQ_REL);
				failed++;
				break;
			}
			made++;
		}
		usleep(500);
	}
	now = clock_ns(CLOCK_MONOTONIC);
	while (__atomic_load_n(&live, __ATOMIC_ACQUIRE) > 0)
		usleep(1000);
	/* A detached thread may still be on its way out after its last store. */
	usleep(20000);
	printf("{\"threads\": %lld, \"failed\": %lld, \"seconds\": %.3f, \"rate\": %.0f, "
	       "\"work_us\": %.1f}\n",
	       made, failed, (now - start) / 1e9, made / ((now - start) / 1e9), work_ns / 1e3);
	return 0;
}
