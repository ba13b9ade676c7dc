/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Structs and limits shared by bpf/energat.bpf.c and user space. */
#ifndef ENERGAT_H
#define ENERGAT_H

#define ENERGAT_MAX_CPUS 1024
#define ENERGAT_MAX_SOCKETS 8
#define ENERGAT_MAX_NODES 64
#define ENERGAT_COMM_LEN 16

/*
 * One thread's counters. Every counter is cumulative since the thread was
 * first seen, so user space takes deltas and never races a reset.
 */
struct energat_thread {
	__u64 ns[ENERGAT_MAX_SOCKETS]; /* on-CPU ns per socket */
	__u64 start_ns; /* task start time: tells a reused tid from the old one */
	__u64 run_sum; /* the task's se.sum_exec_runtime charged so far */
	__u32 pid; /* tgid */
	__u32 tid;
	char comm[ENERGAT_COMM_LEN];
	__u32 flags; /* ENERGAT_THREAD_* */
	__u32 pad;
};

/*
 * Set by the exit handler. The entry stays in the map so user space reads
 * the final counters even if the ring-buffer record was dropped; user space
 * deletes it after booking it.
 */
#define ENERGAT_THREAD_EXITED 1

/* Per-CPU accounting, cumulative since attach. */
struct energat_cpu {
	__u64 busy_ns; /* running any task with pid != 0 (wall clock) */
	__u64 idle_ns; /* running the idle task */
	__u64 last_ts; /* ktime of the last switch or checkpoint on this CPU */
	__u64 in_sum; /* se.sum_exec_runtime of the task switched in last */
	__u64 in_ts; /* ktime of that switch */
	__u32 in_tid; /* that task */
	__u32 pad;
};

/* Values in the targets map. */
enum energat_target {
	ENERGAT_TARGET_LIVE = 1,
	/*
	 * Its last thread passed the exit tracepoint: still charged until its
	 * final switch; user space removes it one interval later, and a fork
	 * that reuses the PID outside the target drops it at once.
	 */
	ENERGAT_TARGET_DYING = 2,
};

enum energat_event_type {
	ENERGAT_EV_EXIT = 1, /* a traced thread exited: its final counters */
	ENERGAT_EV_FORK = 2, /* a traced process forked a new process */
};

/* Ring-buffer record. For FORK, thread.pid/tid name the child, ppid the parent. */
struct energat_event {
	struct energat_thread thread;
	__u32 type;
	__u32 ppid;
};

/* Per-CPU error counters; user space sums them. */
struct energat_stats {
	__u64 rb_drops; /* ring buffer full: a record was lost */
	__u64 map_full; /* threads map full: a thread's time was not recorded */
	__u64 targets_full; /* target set full: a child was not followed */
};

#endif /* ENERGAT_H */
