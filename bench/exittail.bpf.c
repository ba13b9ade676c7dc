// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's blind spot in a thread group's CPU time: a thread that reaps
 * itself adds its se.sum_exec_runtime to the group's total
 * (signal->sum_sched_runtime) in release_task(), from exit_notify(), then
 * still runs until its last context switch. That tail is in no rusage and no
 * CLOCK_PROCESS_CPUTIME_ID, but a tracer that reads sum_exec_runtime at the
 * last switch sees it.
 *
 * For one thread group (cfg[0] = tgid), this sums every exiting thread's
 * sum_exec_runtime at its last switch (TASK_DEAD) and notes the group's
 * total at that moment. Every thread is released before its last switch, so
 * at the group's last one the total holds all of them, and
 * tail = final_ns - sig_ns exactly. The group leader is left out: it is
 * released only when reaped, after its last switch.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define TASK_DEAD_STATE 0x80 /* TASK_DEAD in include/linux/sched.h */

struct tail {
	__u64 final_ns; /* sum of sum_exec_runtime at each thread's last switch */
	__u64 sig_ns; /* the group's signal->sum_sched_runtime at the latest one */
	__u64 threads;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tail);
} out SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(tail_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, *tgid;
	struct tail *t;
	__u64 sig;
	int i;

	if (prev->__state != TASK_DEAD_STATE || prev->pid == prev->tgid)
		return 0;
	tgid = bpf_map_lookup_elem(&cfg, &zero);
	if (!tgid || (__u32)prev->tgid != *tgid)
		return 0;
	t = bpf_map_lookup_elem(&out, &zero);
	if (!t)
		return 0;
	__sync_fetch_and_add(&t->final_ns, prev->se.sum_exec_runtime);
	__sync_fetch_and_add(&t->threads, 1);
	sig = prev->signal->sum_sched_runtime;
	/* Keep the largest: two CPUs may race here. */
	for (i = 0; i < 8; i++) {
		__u64 old = t->sig_ns;

		if (sig <= old || __sync_val_compare_and_swap(&t->sig_ns, old, sig) == old)
			break;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
