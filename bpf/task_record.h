/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A traced task's cumulative counters as user space receives them, read
 * from the task itself: shared by energat.bpf.c and walk.bpf.c, each of
 * which has its own copy of these maps (walk.bpf.c reuses energat's).
 */
#ifndef ENERGAT_TASK_RECORD_H
#define ENERGAT_TASK_RECORD_H

/* Set by user space between open and load. */
const volatile __u32 targ_all = 0; /* 1: system-wide, every thread */
const volatile __u32 one_socket = 0; /* 1: every CPU on socket 0 */

/* tp_btf flavour: one per traced task, freed with it. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct energat_task);
} tasks SEC(".maps");

/*
 * Each CPU's socket, by CPU id, set by user space before attach. Apart
 * from the busy/idle counters, which their CPU writes at every switch:
 * other CPUs read sockets.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENERGAT_MAX_CPUS); /* set to the possible CPUs by user space */
	__type(key, __u32);
	__type(value, __u32);
} cpu_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by user space */
} events SEC(".maps");

/*
 * tp_btf arguments are trusted BTF pointers: plain (CO-RE relocated) loads
 * are allowed and cheaper than probe reads. direct is a constant at every
 * call site, so each program keeps only its own kind.
 */
#define RD(direct, p, f) ((direct) ? (p)->f : BPF_CORE_READ(p, f))

/*
 * direct: task is a trusted BTF pointer (tp_btf, iterator), whose fields
 * are plain loads; a probe read costs tens of ns, which adds up when the
 * iterator lists ten thousand threads. comm is NUL-padded by the kernel.
 */
static __always_inline void fill_record(struct energat_thread *r, struct task_struct *task,
					__u32 tid, __u32 tgid, bool direct)
{
	r->pid = tgid;
	r->tid = tid;
	r->start_ns = RD(direct, task, start_time);
	if (direct)
		__builtin_memcpy(r->comm, task->comm, sizeof(r->comm));
	else
		BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
}

/* Old kernels and other architectures keep the CPU in task_struct. */
struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

/* Callers hold trusted task pointers (tp_btf, iterators): plain loads. */
static __always_inline __u32 task_cpu_of(struct task_struct *task)
{
	struct task_struct___cpu *t = (void *)task;

	if (bpf_core_field_exists(t->cpu))
		return t->cpu;
	return task->thread_info.cpu;
}

static __always_inline __u32 socket_of(__u32 cpu)
{
	__u32 *s = bpf_map_lookup_elem(&cpu_sockets, &cpu);

	return s ? *s & (ENERGAT_MAX_SOCKETS - 1) : 0;
}

/*
 * A traced task's counters up to its last update: the split kept in
 * storage plus its run since the last split, on the socket it is on.
 * Returns false for a task not traced.
 */
static __always_inline bool task_record(struct task_struct *task, struct energat_thread *r)
{
	struct energat_task *s = NULL;
	__u64 sum = task->se.sum_exec_runtime, base = 0;
	/*
	 * System-wide on one socket no task has storage (nothing migrates
	 * between sockets) and all time is socket 0's: two task_struct cache
	 * lines fewer per task, in a walk that finds every task cold.
	 */
	bool one = targ_all && one_socket;

	/*
	 * System-wide, few tasks have storage: a plain load of the task's
	 * storage pointer skips the helper (its locking) for the rest.
	 */
	if (!one && (!bpf_core_field_exists(task->bpf_storage) || task->bpf_storage))
		s = bpf_task_storage_get(&tasks, task, 0, 0);

	if (s) {
		__builtin_memcpy(r->ns, s->ns, sizeof(r->ns));
		base = s->run_sum;
	} else if (!targ_all) {
		return false; /* not traced, or its storage could not be made at seeding */
	}
	if (sum > base)
		r->ns[one ? 0 : socket_of(task_cpu_of(task))] += sum - base;
	r->run_sum = sum;
	fill_record(r, task, task->pid, task->tgid, true);
	return true;
}

/*
 * A zombie has sent its exit record and runs no more; a parent that never
 * reaps would otherwise grow every listing (stress-ng's clone stressor
 * leaves thousands).
 */
static __always_inline bool listable(struct task_struct *task)
{
	return task->pid && !task->exit_state;
}

#endif
