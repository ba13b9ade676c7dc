// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The interval's listing of traced tasks in one walk, with the open-coded
 * task iterator of kernels 6.7 and later. An object of its own: its kfunc
 * references make libbpf need the kernel's BTF, which energat.bpf.c must
 * load without (--btf FILE). User space loads it where the kernel has the
 * iterator, on energat.bpf.c's maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "energat.h"
#include "task_record.h"

/* Set by list_walk when the ring buffer filled up: user space lists with list_tasks. */
__u32 walk_full = 0;

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;

/*
 * The interval's listing in one pass over the kernel's task lists, into
 * the ring buffer. list_tasks's iterator finds each task by PID (a radix
 * tree walk and a reference per task): at 10,000 threads that cost about
 * 0.6% of a core, this walk about 0.25%. The link iterates the tracer's
 * own threads; the first one runs the walk.
 */
SEC("iter/task")
int list_walk(struct bpf_iter__task *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *task;

	if (!ctx->task || ctx->meta->seq_num)
		return 0;
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_THREADS);
	while ((task = bpf_iter_task_next(&it))) {
		struct energat_thread r = {};
		struct energat_event *e;

		if (!listable(task) || !task_record(task, &r))
			continue;
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			walk_full = 1;
			break;
		}
		__builtin_memcpy(&e->thread, &r, sizeof(r));
		e->type = ENERGAT_EV_LIST;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
	bpf_iter_task_destroy(&it);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
