// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where a sched_switch program's time goes: one program per ingredient of
 * bpf/energat.bpf.c's switch handler, all attached side by side (in this
 * order) and compared with an empty one. The first program on a tracepoint
 * pays for cold caches, so a_warm absorbs that and is not reported.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "energat.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* the threads map's default size */
	__type(key, __u32);
	__type(value, struct energat_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* the targets map; left empty: every lookup misses */
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct energat_cpu);
} cpus SEC(".maps");

/* A bit per tgid up to the default pid_max (32768), all clear. */
struct pid_bits {
	__u64 w[32768 / 64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pid_bits);
} target_bits SEC(".maps");

__u64 sink;

/* The kernel's own runqueue clock, updated by __schedule() just before the tracepoint. */
struct cfs_rq___rq {
	struct rq *rq;
} __attribute__((preserve_access_index));

SEC("tp_btf/sched_switch")
int BPF_PROG(a_warm, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(empty, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ktime, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(rq_clock, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cfs_rq___rq *cfs = (void *)prev->se.cfs_rq;

	if (bpf_core_field_exists(cfs->rq))
		sink = cfs->rq->clock;
	return 0;
}

/* The four task fields charge() reads on every switch, as it reads them. */
SEC("tp_btf/sched_switch")
int BPF_PROG(core_read4, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = BPF_CORE_READ(prev, pid) + BPF_CORE_READ(prev, tgid) +
	       BPF_CORE_READ(prev, se.sum_exec_runtime) + BPF_CORE_READ(prev, start_time);
	return 0;
}

/* The same fields read directly, as tp_btf allows. */
SEC("tp_btf/sched_switch")
int BPF_PROG(direct4, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = prev->pid + prev->tgid + prev->se.sum_exec_runtime + prev->start_time;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(percpu, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct energat_cpu *c = bpf_map_lookup_elem(&cpus, &zero);

	if (c)
		c->busy_ns += prev->pid;
	return 0;
}

/* A thread's entry, looked up and written as charge() does. */
SEC("tp_btf/sched_switch")
int BPF_PROG(thread_hash, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = prev->pid;
	struct energat_thread *t = bpf_map_lookup_elem(&threads, &tid), init = {};

	if (t)
		t->ns[0] += 1;
	else
		bpf_map_update_elem(&threads, &tid, &init, BPF_ANY);
	return 0;
}

/* --pid mode's filter for a thread that is not a target. */
SEC("tp_btf/sched_switch")
int BPF_PROG(target_miss, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tgid = prev->tgid;

	sink = bpf_map_lookup_elem(&targets, &tgid) != NULL;
	return 0;
}

/* The same filter as one bit test: an array lookup the verifier inlines. */
SEC("tp_btf/sched_switch")
int BPF_PROG(target_bit, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, tgid = prev->tgid & 32767;
	struct pid_bits *b = bpf_map_lookup_elem(&target_bits, &zero);

	if (b)
		sink = (b->w[tgid / 64] >> (tgid % 64)) & 1;
	return 0;
}

#define TASK_DEAD 0x00000080 /* include/linux/sched.h */

/* Stands for send_final(): only called for a dying task (a store, so it is not optimised away). */
static __noinline void dying(struct task_struct *t)
{
	sink = t->pid;
}

/* The tracer's handler as it is (sched_switch_btf): the state test, the call out of line. */
SEC("tp_btf/sched_switch")
int dead_check(unsigned long long *ctx)
{
	asm goto("if %0 == %1 goto %l[dead]" : : "r"(ctx[3]), "i"(TASK_DEAD) : : dead);
	return 0;
dead:
	dying((struct task_struct *)ctx[1]);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
