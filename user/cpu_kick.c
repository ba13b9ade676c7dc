// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "cpu_kick.h"

#define KICK_STACK (64 * 1024)

struct kick_thread {
	struct cpu_kick *k;
	pthread_t th;
	int cpu;
	int started;
	_Atomic unsigned int ack; /* the last generation this thread ran for */
};

struct cpu_kick {
	_Atomic unsigned int gen; /* bumped by each kick; the threads wait on it */
	_Atomic unsigned int acks; /* bumped by each thread that ran; the kicker waits on it */
	_Atomic int stop;
	cpu_kick_fn fn;
	void *arg;
	int n;
	struct kick_thread *t;
};

static long futex(_Atomic unsigned int *addr, int op, unsigned int val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static void *kick_main(void *arg)
{
	struct kick_thread *me = arg;
	struct cpu_kick *k = me->k;

	for (;;) {
		unsigned int g = atomic_load(&k->gen);

		if (atomic_load(&k->stop))
			return NULL;
		if (g == atomic_load(&me->ack)) {
			futex(&k->gen, FUTEX_WAIT_PRIVATE, g, NULL);
			continue;
		}
		/* Running is the job: the switch here was the boundary. */
		if (k->fn)
			k->fn(me->cpu, k->arg);
		atomic_store(&me->ack, g);
		atomic_fetch_add(&k->acks, 1);
		futex(&k->acks, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

static int start_one(struct kick_thread *t)
{
	struct sched_param prio = { .sched_priority = 1 };
	pthread_attr_t attr;
	cpu_set_t set;
	sigset_t all, old;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	pthread_attr_setstacksize(&attr, KICK_STACK);
	ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	/*
	 * Real-time so it preempts a busy task at once; plain threads still
	 * work, a little later, where the caller may not raise priorities.
	 */
	if (!ret && !pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) &&
	    !pthread_attr_setschedpolicy(&attr, SCHED_FIFO))
		pthread_attr_setschedparam(&attr, &prio);
	/* Signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!ret)
		ret = pthread_create(&t->th, &attr, kick_main, t);
	if (ret == EPERM) {
		pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
		ret = pthread_create(&t->th, &attr, kick_main, t);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -ret;
}

int cpu_kick_start(const int *cpus, int n, cpu_kick_fn fn, void *arg, struct cpu_kick **out)
{
	struct cpu_kick *k = calloc(1, sizeof(*k));
	int i, ret = 0;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	k->t = calloc(n > 0 ? n : 1, sizeof(*k->t));
	if (!k->t) {
		free(k);
		return -ENOMEM;
	}
	k->fn = fn;
	k->arg = arg;
	for (i = 0; i < n; i++) {
		struct kick_thread *t = &k->t[k->n];

		t->k = k;
		t->cpu = cpus[i];
		ret = start_one(t);
		if (ret == -EINVAL)
			continue; /* CPU offline, or not ours (cpuset) */
		if (ret)
			goto cleanup;
		t->started = 1;
		k->n++;
	}
	*out = k;
	return 0;
cleanup:
	cpu_kick_stop(k);
	return ret;
}

int cpu_kick_covers(const struct cpu_kick *k, int cpu)
{
	int i;

	for (i = 0; i < k->n; i++)
		if (k->t[i].cpu == cpu)
			return 1;
	return 0;
}

static long ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

int cpu_kick_all(struct cpu_kick *k, int timeout_ms)
{
	unsigned int g = atomic_fetch_add(&k->gen, 1) + 1;
	struct timespec end;
	int i, ran;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	futex(&k->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	for (;;) {
		unsigned int a = atomic_load(&k->acks);
		struct timespec wait = { 0 };
		long left;

		for (i = 0, ran = 0; i < k->n; i++)
			ran += atomic_load(&k->t[i].ack) == g;
		left = ms_left(&end);
		if (ran == k->n || left <= 0)
			return ran;
		wait.tv_sec = left / 1000;
		wait.tv_nsec = (left % 1000) * 1000000L;
		futex(&k->acks, FUTEX_WAIT_PRIVATE, a, &wait);
	}
}

void cpu_kick_stop(struct cpu_kick *k)
{
	int i;

	if (!k)
		return;
	atomic_store(&k->stop, 1);
	atomic_fetch_add(&k->gen, 1);
	futex(&k->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	for (i = 0; i < k->n; i++)
		if (k->t[i].started)
			pthread_join(k->t[i].th, NULL);
	free(k->t);
	free(k);
}
