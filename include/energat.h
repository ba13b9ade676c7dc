/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Structs and limits shared by bpf/energat.bpf.c and user space. */
#ifndef ENERGAT_H
#define ENERGAT_H

#define ENERGAT_MAX_CPUS 1024
#define ENERGAT_MAX_SOCKETS 8
#define ENERGAT_MAX_NODES 64
#define ENERGAT_COMM_LEN 16

/*
 * A traced thread's state, kept in task-local storage so the switch handler
 * finds it through the task itself instead of a hash lookup. Counters are
 * cumulative since the thread was first traced.
 */
struct energat_task {
	__u64 ns[ENERGAT_MAX_SOCKETS]; /* on-CPU ns per socket */
	__u64 run_sum; /* the task's se.sum_exec_runtime split so far */
};

/* In energat_thread.flags: the record or hash entry is a thread's exit. */
#define ENERGAT_THREAD_EXITED 1

/*
 * One thread's cumulative counters as user space receives them: from the
 * task iterator each interval, and in EXIT/FINAL records.
 */
struct energat_thread {
	__u64 ns[ENERGAT_MAX_SOCKETS];
	__u64 start_ns; /* task start time: tells a reused tid from the old one */
	__u64 run_sum;
	__u32 pid; /* tgid */
	__u32 tid;
	char comm[ENERGAT_COMM_LEN];
	__u32 flags;
	__u32 pad;
};

/*
 * Per-CPU accounting, cumulative: one array slot per CPU, written only on
 * that CPU, at each boundary (bpf/cpu_idle.bpf.c) or at every switch (the
 * switch handler's clock). In the second case two CPUs' counters must not
 * share a cache line, and an array's values do not start on one (312
 * bytes into the map on 6.18, which put one CPU's last_clock and the next
 * one's busy_ns in one line: +60 ns a switch, measured). 64 bytes of
 * padding on each side keep them apart wherever the values start.
 */
struct energat_cpu {
	__u64 pad0[8];
	__u64 busy_ns; /* running any task with pid != 0 */
	__u64 idle_ns; /* running the idle task */
	__u64 last_clock; /* the clock at the last update */
	__u64 pad1[5];
};

/* Values in the targets map. */
enum energat_target {
	ENERGAT_TARGET_LIVE = 1,
	/*
	 * Its last thread passed the exit tracepoint: user space removes it
	 * one interval later, and a fork that reuses the PID outside the
	 * target drops it at once.
	 */
	ENERGAT_TARGET_DYING = 2,
};

enum energat_event_type {
	ENERGAT_EV_EXIT = 1, /* a traced thread exited: its counters at exit */
	ENERGAT_EV_FINAL = 3, /* its switch-out after exit: the last microseconds too */
	ENERGAT_EV_LIST = 4, /* a live thread's counters, from the interval's task walk */
};

/* Ring-buffer record. */
struct energat_event {
	struct energat_thread thread;
	__u32 type;
	__u32 pad;
};

/* Per-CPU error counters; user space sums them. */
struct energat_stats {
	__u64 rb_drops; /* ring buffer full: an EXIT record went to the orphans map instead */
	__u64 map_full; /* no storage for a thread (or orphans map full): its time was lost */
	__u64 targets_full; /* target set full: a child was not followed */
};

#endif /* ENERGAT_H */
