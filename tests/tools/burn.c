// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test workload: burn MS milliseconds of this process's CPU time, optionally
 * pinned to one CPU, then print "PID CPU_NS PINNED_NS" and exit: its whole
 * CPU time so far, exec included (the truth a tracer is compared with), and
 * how much of it came before it ran pinned (wherever it was started).
 * Usage: burn MS [CPU]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long cputime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long end, pinned = 0;
	char *endp, buf[80];
	int n;
	long ms;

	if (argc < 2 || (ms = strtol(argv[1], &endp, 10)) <= 0 || *endp) {
		fprintf(stderr, "usage: burn MS [CPU]\n");
		return 2;
	}
	if (argc > 2) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[2]), &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("burn: sched_setaffinity");
			return 1;
		}
		/* sched_setaffinity() has moved us there before it returns. */
		pinned = cputime_ns();
	}
	end = cputime_ns() + ms * 1000000ll;
	while (cputime_ns() < end)
		;
	/* write + _exit: keep the CPU spent after the clock read (the exit path) small. */
	n = snprintf(buf, sizeof(buf), "%d %lld %lld\n", (int)getpid(), cputime_ns(), pinned);
	if (write(1, buf, n) != n)
		_exit(1);
	_exit(0);
}
