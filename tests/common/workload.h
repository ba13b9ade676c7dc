/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Real workloads for integration tests: threads that burn CPU for a known time. */
#ifndef ENERGAT_TEST_WORKLOAD_H
#define ENERGAT_TEST_WORKLOAD_H

#include <pthread.h>
#include <sys/types.h>

struct burner {
	pthread_t thread;
	pid_t tid;
	long long burn_ns; /* CPU time to burn */
	int cpu; /* -1: not pinned */
	int linger; /* 1: after burning, wait for burner_release() before exiting */
	volatile int done; /* burning finished */
	int release;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), ns. */
long long thread_cputime_ns(void);
long long process_cputime_ns(void);
long long monotonic_ns(void);

/* pthread_create with the thread on cpu from its start (-1: not pinned). */
int thread_start_pinned(pthread_t *thread, int cpu, void *(*fn)(void *), void *arg);
int burner_start(struct burner *b);
void burner_wait_done(struct burner *b);
void burner_release(struct burner *b);
void burner_join(struct burner *b);

/* Burn ns of the caller's CPU time. */
void burn_ns(long long ns);
/* Pin the calling thread to cpu; -1 unpins. */
int pin_self(int cpu);
/* Kernel's run time for a thread, from /proc/PID/task/TID/schedstat; -1 if gone. */
long long task_run_ns(pid_t pid, pid_t tid);
/* The same for a thread of this process. */
long long schedstat_run_ns(pid_t tid);
/* Nonzero when the test runs as root; otherwise prints why it skips. */
int need_root(const char *what);

#endif
