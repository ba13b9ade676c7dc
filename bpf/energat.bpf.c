// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-thread on-CPU time per socket, per-CPU busy/idle time, and thread
 * exit records. Everything is aggregated here; user space reads cumulative
 * counters once per interval and takes deltas.
 *
 * Two flavours, one loaded. tp_btf (kernels with BTF) keeps each thread's
 * counters in task-local storage, found through the task itself, reads the
 * scheduler's clock from the runqueue, and lists threads with a task
 * iterator. raw_tp (kernels without BTF, --btf FILE) keeps them in a hash
 * by tid, read with probe reads and bpf_ktime_get_ns(); a hash entry stays
 * until user space has read it.
 *
 * Interval boundaries need no program here: user space wakes a pinned
 * thread on every CPU, and the switch to it charges whatever ran there up
 * to then. Each CPU's busy and idle time comes from cpu_idle.bpf.c, run on
 * each CPU then, where the kernel allows; from a switch handler's clock
 * otherwise.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "energat.h"
#include "task_record.h"
#include "cpu_slots.h"

#define TASK_DEAD 0x00000080 /* include/linux/sched.h */

/* Set by user space just before attach: threads born later are charged from birth. */
__u64 attach_ns = 0;
/* Set by user space around a task-iterator pass: 1 creates storage, 0 lists it. */
__u32 iter_seed = 0;
/*
 * raw_tp flavour: every traced thread, by tid. tp_btf flavour: exited
 * threads whose EXIT record found the ring buffer full (user space reads
 * and deletes them).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by user space */
	__type(key, __u32); /* tid */
	__type(value, struct energat_thread);
} threads SEC(".maps");

/* tgids being traced (--pid mode); grows on fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* raw_tp flavour: the task switched in last on each CPU, to seed a thread first seen. */
struct cpu_in {
	__u64 sum;
	__u32 tid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_in);
} cpu_ins SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct energat_stats);
} stats SEC(".maps");

/* Error paths only. */
static __noinline void count_error(int which)
{
	__u32 zero = 0;
	struct energat_stats *st = bpf_map_lookup_elem(&stats, &zero);

	if (!st)
		return;
	if (which == 0)
		__sync_fetch_and_add(&st->rb_drops, 1);
	else if (which == 1)
		__sync_fetch_and_add(&st->map_full, 1);
	else
		__sync_fetch_and_add(&st->targets_full, 1);
}

#define ERR_RB_DROP 0
#define ERR_NO_ROOM 1
#define ERR_TARGETS_FULL 2

static __always_inline bool is_target(__u32 tgid)
{
	if (targ_all)
		return true;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/*
 * The switch's time. tp_btf: __schedule() has just updated the runqueue's
 * clock (sched_clock), which a switch handler can read for a few ns where
 * bpf_ktime_get_ns() costs up to ~300 ns on some hypervisors. The runqueue
 * is reached through the task's cfs_rq, which exists with
 * CONFIG_FAIR_GROUP_SCHED (set by every major distribution); without it,
 * or in raw_tp, the monotonic clock. Either is read on every switch.
 */
static __always_inline __u64 switch_clock(struct task_struct *prev, bool direct)
{
	if (direct && bpf_core_field_exists(prev->se.cfs_rq))
		return prev->se.cfs_rq->rq->clock;
	return bpf_ktime_get_ns();
}

/*
 * Wall-clock busy and idle time of this CPU, so they add up to the
 * interval. The clock is read at every switch, though busy→busy switches
 * change nothing in theory: some switches never reach the program (on
 * 6.18, some switches out of some tasks, with no miss counted), and reading
 * it only where idle starts or ends let one unseen switch misfile a whole
 * busy stretch as idle (measured: H up to 5% low).
 */
static __always_inline void account_cpu(struct energat_cpu *c, __u64 now, bool was_idle)
{
	if (c->last_clock && now > c->last_clock) {
		if (was_idle)
			c->idle_ns += now - c->last_clock;
		else
			c->busy_ns += now - c->last_clock;
	}
	c->last_clock = now;
}

/*
 * Records are read at each interval's boundary anyway. Waking the reader
 * for each one (an irq_work and often an IPI) cost more than all the rest
 * of a dying task's switch, so the reader is woken only when the buffer is
 * filling up.
 */
static __always_inline __u64 rb_wakeup(void)
{
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > size / 4 ? BPF_RB_FORCE_WAKEUP :
									  BPF_RB_NO_WAKEUP;
}

/*
 * Charge a thread the growth of its se.sum_exec_runtime since it was last
 * charged: the kernel's own count (what schedstat reports), which leaves
 * out interrupt and hypervisor steal time that a wall-clock difference
 * would bill to whichever thread was running. Keeping the base per thread,
 * not per CPU, keeps the total exact even when a switch is never seen.
 *
 * task_ctx: called from the exit tracepoint, which runs preemptible. The
 * task's own switch-out may then run in the middle of this, so the run
 * segment is claimed with a compare-and-swap. Switches run with interrupts
 * off and need no atomics.
 */
static __always_inline void charge(__u64 *ns, __u64 *run_sum, __u64 sum, bool task_ctx)
{
	__u64 old = *run_sum;

	if (sum <= old)
		return;
	if (!task_ctx) {
		*ns += sum - old;
		*run_sum = sum;
	} else if (__sync_val_compare_and_swap(run_sum, old, sum) == old) {
		__sync_fetch_and_add(ns, sum - old);
	}
}

/* ------------------------------------------------------------------ */
/* Both flavours: the set of traced processes, for user space          */

static __always_inline int follow_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 pid = BPF_CORE_READ(child, pid), tgid = BPF_CORE_READ(child, tgid);
	__u8 one = ENERGAT_TARGET_LIVE, *dying;

	/* New threads join a traced group by tgid already; follow new processes. */
	if (pid != tgid)
		return 0;
	/* A PID reused while its old owner was still dying: not ours any more. */
	dying = bpf_map_lookup_elem(&targets, &tgid);
	if (dying && *dying == ENERGAT_TARGET_DYING)
		bpf_map_delete_elem(&targets, &tgid);
	if (!is_target(ptgid))
		return 0;
	if (bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY))
		count_error(ERR_TARGETS_FULL);
	return 0;
}

static __always_inline void set_dying(struct task_struct *task, __u32 tgid)
{
	__u8 dying = ENERGAT_TARGET_DYING;

	/* Last thread of the group: its final switches still count, then it goes. */
	if (!targ_all && BPF_CORE_READ(task, signal, live.counter) == 0)
		bpf_map_update_elem(&targets, &tgid, &dying, BPF_EXIST);
}

/* ------------------------------------------------------------------ */
/* tp_btf flavour: the kernel's own per-task count, split by socket     */

/*
 * The scheduler already keeps each task's run time (se.sum_exec_runtime,
 * what schedstat reports), exact at every switch. So the switch handler
 * does no per-thread work, which would mean a cache-cold lookup per switch:
 * a thread's time is read where it is needed, by the task iterator each
 * interval and at exit. Only its split across sockets is kept here, at the
 * rare migrations from one socket to another, in task-local storage.
 *
 * Storage also marks what is traced: in --pid mode a task is traced when
 * it has storage (given at seeding and fork), which holds its run time at
 * seeding as the base. System-wide every task is traced and none is seeded:
 * one without storage has never changed socket, and its counters run from
 * birth; user space drops what its first sample sees. Seeding all of them
 * made each listing's storage lookup a quarter of the tracer's CPU.
 */

/* Before 5.14 the field was state. */
struct task_struct___state {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *task)
{
	struct task_struct___state *t = (void *)task;

	if (bpf_core_field_exists(task->__state))
		return task->__state;
	return BPF_CORE_READ(t, state);
}

static __noinline void send_task(struct task_struct *task, __u32 type)
{
	struct energat_thread r = {};
	struct energat_event *e;
	__u32 tid = task->pid;

	if (!task_record(task, &r))
		return;
	r.flags = ENERGAT_THREAD_EXITED;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		__builtin_memcpy(&e->thread, &r, sizeof(r));
		e->type = type;
		bpf_ringbuf_submit(e, rb_wakeup());
		return;
	}
	count_error(ERR_RB_DROP);
	/* An exit is kept for user space to read; a FINAL only adds microseconds. */
	if (type == ENERGAT_EV_EXIT && bpf_map_update_elem(&threads, &tid, &r, BPF_ANY))
		count_error(ERR_NO_ROOM);
}

/*
 * Per switch: a dying task's last microseconds, found from the state
 * __schedule() passes (5.18+), so a switch touches nothing but its own
 * arguments. Any map memory, even a read-only global's, is cold in the
 * TLB or cache at most switches and costs more than the whole handler
 * (bench/ablate.bpf.c): so no flag is read here, the clock is a second
 * program, and the rare dying task's record is a function of its own,
 * out of the handler's code.
 *
 * The arguments are read as the raw u64 slots: prev_state is zero-extended
 * into its slot, so it is compared whole, with no truncation to 32 bits,
 * and the one-argument call needs no second register. The test is written
 * as asm goto so that the common case runs straight through to the return:
 * clang would put the rare call in line and jump over it at every switch,
 * a taken branch the predictor has mostly forgotten by the next switch
 * (bench: ours above an empty program fell from about 23 to 14 ns).
 */
static __noinline void send_final(struct task_struct *task)
{
	send_task(task, ENERGAT_EV_FINAL);
}

SEC("tp_btf/sched_switch")
int sched_switch_btf(unsigned long long *ctx)
{
	/* ctx: preempt, prev, next, prev_state */
	asm goto("if %0 == %1 goto %l[dying]" : : "r"(ctx[3]), "i"(TASK_DEAD) : : dying);
	return 0;
dying:
	send_final((struct task_struct *)ctx[1]);
	return 0;
}

/* The CPU's busy/idle clock too, where cpu_idle.bpf.c cannot run or before 5.18. */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_clock, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct energat_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);

	if (c)
		account_cpu(c, switch_clock(prev, true), !prev->pid);
	if (task_state(prev) == TASK_DEAD)
		send_final(prev);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit_btf, struct task_struct *task)
{
	set_dying(task, task->tgid);
	send_task(task, ENERGAT_EV_EXIT);
	return 0;
}

/* Only loaded with more than one socket: book the run so far on the old one. */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(sched_migrate_btf, struct task_struct *task, int dest_cpu)
{
	__u32 from = socket_of(task_cpu_of(task)), to = socket_of(dest_cpu);
	struct energat_task *s, init = {};
	__u64 sum;

	if (from == to || !task->pid)
		return 0;
	s = bpf_task_storage_get(&tasks, task, 0, 0);
	if (!s) {
		/* System-wide, a task gets storage at its first move to another socket. */
		if (!targ_all)
			return 0;
		s = bpf_task_storage_get(&tasks, task, &init, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!s) {
			count_error(ERR_NO_ROOM);
			return 0;
		}
	}
	/* A queued or sleeping task is not running: its count is exact. */
	sum = task->se.sum_exec_runtime;
	charge(&s->ns[from], &s->run_sum, sum, false);
	return 0;
}

/*
 * --pid mode: a traced task's children, threads and processes, are traced
 * from birth.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	struct energat_task init = {};

	follow_fork(parent, child);
	if (bpf_task_storage_get(&tasks, parent, 0, 0) &&
	    !bpf_task_storage_get(&tasks, child, &init, BPF_LOCAL_STORAGE_GET_F_CREATE))
		count_error(ERR_NO_ROOM);
	return 0;
}

/*
 * Task iterator, run by user space. Seeding (before tracing starts): give
 * every traced task alive now its storage, charged from this moment.
 * Listing (every interval, where list_walk is missing or fell short): one
 * record per traced task still alive.
 */
SEC("iter/task")
int list_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct energat_thread r = {};

	if (!task || !listable(task))
		return 0;
	if (iter_seed) {
		struct energat_task init = { .run_sum = task->se.sum_exec_runtime };

		if (is_target(task->tgid) &&
		    !bpf_task_storage_get(&tasks, task, &init, BPF_LOCAL_STORAGE_GET_F_CREATE))
			count_error(ERR_NO_ROOM);
		return 0;
	}
	if (task_record(task, &r))
		bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* ------------------------------------------------------------------ */
/* raw_tp flavour: a hash by tid                                       */

/*
 * Entry of a traced task, created on first sight. An entry flagged EXITED
 * is either this task's, after its exit record (keep charging: the entry,
 * read later by user space, then holds the last microseconds up to the
 * final switch too), or, if the start time differs, an earlier thread's
 * whose tid was reused (its record is already sent): start afresh.
 */
static __always_inline struct energat_thread *thread_entry(struct task_struct *task, __u32 tid,
							   __u32 tgid, __u64 sum)
{
	struct energat_thread *t, init = {};
	__u64 start = BPF_CORE_READ(task, start_time);
	__u32 zero = 0;
	struct cpu_in *in;

	t = bpf_map_lookup_elem(&threads, &tid);
	if (t && (!(t->flags & ENERGAT_THREAD_EXITED) || t->start_ns == start))
		return t;
	/* Dead task switching out after user space already removed its entry. */
	if (!t && BPF_CORE_READ(task, exit_state))
		return NULL;
	fill_record(&init, task, tid, tgid, false);
	/*
	 * Run time from before tracing began is not ours to charge: a thread
	 * born earlier is charged from its switch-in on this CPU if that was
	 * seen (it was asleep at attach), else from now.
	 */
	in = bpf_map_lookup_elem(&cpu_ins, &zero);
	if (start >= attach_ns)
		init.run_sum = 0;
	else if (in && in->tid == tid && in->sum <= sum)
		init.run_sum = in->sum;
	else
		init.run_sum = sum;
	if (bpf_map_update_elem(&threads, &tid, &init, BPF_ANY))
		count_error(ERR_NO_ROOM);
	return bpf_map_lookup_elem(&threads, &tid);
}

static __always_inline struct energat_thread *charge_raw(struct task_struct *task, __u32 tid,
							 __u32 cpu, bool task_ctx)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct energat_thread *t;
	__u64 sum;

	if (!is_target(tgid))
		return NULL;
	sum = BPF_CORE_READ(task, se.sum_exec_runtime);
	t = thread_entry(task, tid, tgid, sum);
	if (t)
		charge(&t->ns[socket_of(cpu)], &t->run_sum, sum, task_ctx);
	return t;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	struct energat_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	__u32 tid = BPF_CORE_READ(prev, pid);
	struct cpu_in *in;

	if (!c)
		return 0;
	if (tid)
		charge_raw(prev, tid, cpu, false);
	account_cpu(c, switch_clock(prev, false), !tid);
	in = bpf_map_lookup_elem(&cpu_ins, &zero);
	if (in) {
		in->tid = BPF_CORE_READ(next, pid);
		in->sum = BPF_CORE_READ(next, se.sum_exec_runtime);
	}
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_exit_raw, struct task_struct *task)
{
	struct energat_thread *t;
	struct energat_event *e;

	t = charge_raw(task, BPF_CORE_READ(task, pid), bpf_get_smp_processor_id(), true);
	if (!t)
		return 0;
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		__builtin_memcpy(&e->thread, t, sizeof(*t));
		e->type = ENERGAT_EV_EXIT;
		bpf_ringbuf_submit(e, rb_wakeup());
	} else {
		/* Not lost: user space finds the flagged entry in the map. */
		count_error(ERR_RB_DROP);
	}
	/*
	 * Flag after the submit: user space relies on a flagged entry's record
	 * being readable already (x86 keeps stores in order).
	 */
	t->flags |= ENERGAT_THREAD_EXITED;
	set_dying(task, t->pid);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return follow_fork(parent, child);
}

/* exec changes comm: keep the entry's name current (tp_btf lists it fresh). */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_exec_raw, struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct energat_thread *t = bpf_map_lookup_elem(&threads, &tid);

	if (t)
		BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
