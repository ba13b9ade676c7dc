// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * N live threads for the tracer-at-scale benchmark. Each wakes once per
 * period (phases spread evenly), burns WORK microseconds of CPU and sleeps
 * again, so every thread runs in every interval: the tracer's map holds N
 * entries and each one has a delta to report. 1 in 100 threads works ten
 * times as long (the "working" ones).
 * Usage: threads N [PERIOD_MS [WORK_US [READY_FILE]]]   (defaults 1000, 20)
 * READY_FILE is created once all N threads run; SIGTERM ends it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STACK_BYTES (64 * 1024)

static long period_ns, work_ns;
static int nr_threads;
static struct timespec epoch;
static volatile int started;

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts_ns(&ts);
}

static void burn(long ns)
{
	long long end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static void *run(void *arg)
{
	long i = (long)arg;
	long work = i % 100 ? work_ns : 10 * work_ns;
	long long next = ts_ns(&epoch) + period_ns * i / nr_threads;

	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	for (;;) {
		struct timespec ts = { next / 1000000000ll, next % 1000000000ll };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		burn(work);
		next += period_ns;
	}
	return NULL;
}

static long arg_long(const char *s, long min)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < min) {
		fprintf(stderr, "threads: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	sigset_t set;
	int sig;
	long i;

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: threads N [PERIOD_MS [WORK_US [READY_FILE]]]\n");
		return 2;
	}
	nr_threads = arg_long(argv[1], 1);
	period_ns = (argc > 2 ? arg_long(argv[2], 1) : 1000) * 1000000l;
	work_ns = (argc > 3 ? arg_long(argv[3], 0) : 20) * 1000l;

	/* The threads inherit the mask: only the main thread takes SIGTERM. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	clock_gettime(CLOCK_MONOTONIC, &epoch);
	epoch.tv_sec += 1; /* first wake-ups after the threads are all made */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_BYTES);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < nr_threads; i++) {
		pthread_t t;
		int err = pthread_create(&t, &attr, run, (void *)i);

		if (err) {
			fprintf(stderr, "threads: cannot create thread %ld: %s\n", i,
				strerror(err));
			return 1;
		}
	}
	while (__atomic_load_n(&started, __ATOMIC_RELAXED) < nr_threads)
		usleep(1000);
	if (argc > 4) {
		int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			close(fd);
	}
	sigwait(&set, &sig);
	return 0;
}
