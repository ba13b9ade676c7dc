// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

long long thread_cputime_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

long long process_cputime_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

long long monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

void burn_ns(long long ns)
{
	long long end = thread_cputime_ns() + ns;

	while (thread_cputime_ns() < end)
		;
}

int pin_self(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	if (cpu >= 0)
		CPU_SET(cpu, &set);
	else
		for (i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *burner_main(void *arg)
{
	struct burner *b = arg;
	struct timespec deadline;

	b->tid = syscall(SYS_gettid);
	if (b->cpu >= 0)
		pin_self(b->cpu);
	burn_ns(b->burn_ns);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	/*
	 * Block, not poll: a thousand wake-ups a second would blur the
	 * comparison. Bounded, so a failed test cannot leave it hanging.
	 */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&b->lock);
	while (b->linger && !b->release)
		if (pthread_cond_timedwait(&b->cond, &b->lock, &deadline))
			break;
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int thread_start_pinned(pthread_t *thread, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return err;
	/*
	 * Pinned from its first instruction: the thread start-up before fn
	 * (ASan's thread init: ~0.3-1.5 ms, more in a VM) runs on cpu too.
	 */
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (!err)
		err = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

int burner_start(struct burner *b)
{
	b->done = 0;
	b->release = 0;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	return thread_start_pinned(&b->thread, b->cpu, burner_main, b);
}

void burner_wait_done(struct burner *b)
{
	while (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE))
		usleep(1000);
}

void burner_release(struct burner *b)
{
	pthread_mutex_lock(&b->lock);
	b->release = 1;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

void burner_join(struct burner *b)
{
	pthread_join(b->thread, NULL);
}

long long task_run_ns(pid_t pid, pid_t tid)
{
	char path[96];
	long long run = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &run) != 1)
		run = -1;
	fclose(f);
	return run;
}

long long schedstat_run_ns(pid_t tid)
{
	return task_run_ns(getpid(), tid);
}

int need_root(const char *what)
{
	if (geteuid() == 0)
		return 1;
	printf("skip: %s needs root (it loads BPF programs)\n", what);
	return 0;
}
