// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under the interval's listing (bpf/walk.bpf.c): the same walk
 * over every thread of the machine, alone, with no record written. Run by
 * bench/walkfloor.c through BPF_PROG_TEST_RUN; each returns the number of
 * tasks it visited.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;

/* Read values end here, so that the loads are not optimised away. */
__u64 sink = 0;

/* The iterator alone: the task lists' own cache lines. */
SEC("raw_tp")
int walk_only(void *ctx)
{
	struct bpf_iter_task it;
	__u32 n = 0;

	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_THREADS);
	while (bpf_iter_task_next(&it))
		n++;
	bpf_iter_task_destroy(&it);
	return n;
}

/* And the fields list_walk reads on one socket (task_record.h). */
SEC("raw_tp")
int walk_read(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *task;
	__u64 acc = 0;
	__u32 n = 0;

	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_THREADS);
	while ((task = bpf_iter_task_next(&it))) {
		char comm[16];

		__builtin_memcpy(comm, task->comm, sizeof(comm));
		acc += task->pid + task->tgid + task->exit_state + task->se.sum_exec_runtime +
		       task->start_time + comm[0] + comm[15];
		n++;
	}
	bpf_iter_task_destroy(&it);
	sink = acc;
	return n;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
