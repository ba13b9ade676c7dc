// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test workload with a known duty cycle: pinned to one CPU, it is busy for
 * FRACTION of every period (default 10 ms) and sleeps the rest, for SECONDS
 * of wall time; then it prints "PID CPU_NS" (its whole CPU time, all
 * threads and exec included: the truth a tracer is compared with) and exits.
 *
 * Busy means "until this thread got FRACTION x PERIOD of CPU in the period",
 * capped at the period's end: on a contended CPU it gets less than its
 * fraction instead of drifting behind its schedule. Periods follow an
 * absolute clock, so the load is steady over any window of a few periods.
 * FRACTION >= 1 burns without sleeping. With THREADS > 1, that many threads
 * (the main one included) each run the same cycle on the same CPU.
 *
 * Usage: duty CPU FRACTION SECONDS [PERIOD_MS [THREADS]]   (CPU -1: not pinned)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define USAGE "usage: duty CPU FRACTION SECONDS [PERIOD_MS [THREADS]]   (CPU -1: not pinned)\n"
#define MAX_THREADS 64

static double frac;
static long long start, end, period_ns;

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int parse(const char *s, double min, double max, double *out)
{
	char *endp;

	errno = 0;
	*out = strtod(s, &endp);
	return endp == s || *endp || errno || !isfinite(*out) || *out < min || *out > max;
}

static void sleep_until(long long mono_ns)
{
	struct timespec ts = { .tv_sec = mono_ns / 1000000000LL,
			       .tv_nsec = mono_ns % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *cycle(void *arg)
{
	long long busy_ns = (long long)(frac * period_ns), period;

	(void)arg;
	for (period = start; period < end; period += period_ns) {
		long long stop = period + period_ns < end ? period + period_ns : end;
		long long cpu_end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + busy_ns;

		if (busy_ns > 0)
			while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < cpu_end &&
			       clock_ns(CLOCK_MONOTONIC) < stop)
				;
		if (frac < 1)
			sleep_until(stop);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double cpu, secs, period_ms = 10, threads = 1;
	pthread_t tids[MAX_THREADS];
	char buf[64];
	int n, i;

	if (argc < 4 || argc > 6 || parse(argv[1], -1, CPU_SETSIZE - 1, &cpu) || cpu != (int)cpu ||
	    parse(argv[2], 0, 1e6, &frac) || parse(argv[3], 0, 86400, &secs) ||
	    (argc > 4 && parse(argv[4], 0.1, 60000, &period_ms)) ||
	    (argc > 5 && (parse(argv[5], 1, MAX_THREADS, &threads) || threads != (int)threads))) {
		fprintf(stderr, USAGE);
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		/* Before the threads start: they inherit it. */
		CPU_ZERO(&set);
		CPU_SET((int)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("duty: sched_setaffinity");
			return 1;
		}
	}
	period_ns = (long long)(period_ms * 1e6);
	start = clock_ns(CLOCK_MONOTONIC);
	end = start + (long long)(secs * 1e9);
	for (i = 1; i < (int)threads; i++) {
		if (pthread_create(&tids[i], NULL, cycle, NULL)) {
			fprintf(stderr, "duty: cannot start thread %d\n", i);
			return 1;
		}
	}
	cycle(NULL);
	for (i = 1; i < (int)threads; i++)
		pthread_join(tids[i], NULL);
	/* write + _exit: keep the CPU spent after the clock read (the exit path) small. */
	n = snprintf(buf, sizeof(buf), "%d %lld\n", (int)getpid(),
		     clock_ns(CLOCK_PROCESS_CPUTIME_ID));
	if (write(1, buf, n) != n)
		_exit(1);
	_exit(0);
}
