// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-thread on-CPU time per socket, per-CPU busy/idle time, and thread
 * lifecycle records. Everything is aggregated here; user space reads
 * cumulative counters once per interval and takes deltas.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "energat.h"

/* Set by user space between open and load. */
const volatile __u32 targ_all = 0; /* 1: system-wide, every thread */
const volatile __u32 nr_cpu_ids = ENERGAT_MAX_CPUS;
const volatile __u8 cpu_socket[ENERGAT_MAX_CPUS] = {};
const volatile __u8 cpu_node[ENERGAT_MAX_CPUS] = {};
/* Set by user space just before attach: threads born later are charged from birth. */
__u64 attach_ns = 0;

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct energat_cpu);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct energat_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by user space */
} events SEC(".maps");

static __always_inline struct energat_stats *get_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline bool is_target(__u32 tgid)
{
	if (targ_all)
		return true;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline __u32 socket_of(__u32 cpu)
{
	__u32 s;

	if (cpu >= ENERGAT_MAX_CPUS)
		return 0;
	s = cpu_socket[cpu];
	return s < ENERGAT_MAX_SOCKETS ? s : 0;
}

/*
 * Entry of a traced task, created on first sight. An entry flagged EXITED
 * is either this task's, after its exit record (keep charging: the entry,
 * read later by user space, then holds the last microseconds up to the
 * final switch too), or, if the start time differs, an earlier thread's
 * whose tid was reused (its record is already sent): start afresh.
 */
static __always_inline struct energat_thread *thread_entry(struct task_struct *task, __u32 tid,
							   __u32 tgid, __u64 sum,
							   const struct energat_cpu *c)
{
	struct energat_thread *t, init = {};
	struct energat_stats *st;
	__u64 start = BPF_CORE_READ(task, start_time);

	t = bpf_map_lookup_elem(&threads, &tid);
	if (t && (!(t->flags & ENERGAT_THREAD_EXITED) || t->start_ns == start))
		return t;
	/* Dead task switching out after user space already removed its entry. */
	if (!t && BPF_CORE_READ(task, exit_state))
		return NULL;
	init.pid = tgid;
	init.tid = tid;
	init.start_ns = start;
	/*
	 * Run time from before tracing began is not ours to charge: a thread
	 * born earlier is charged from its switch-in on this CPU if that was
	 * seen (it was asleep at attach), else from now.
	 */
	if (start >= attach_ns)
		init.run_sum = 0;
	else if (c->in_tid == tid && c->in_sum <= sum)
		init.run_sum = c->in_sum;
	else
		init.run_sum = sum;
	BPF_CORE_READ_STR_INTO(&init.comm, task, comm);
	if (bpf_map_update_elem(&threads, &tid, &init, BPF_ANY) && (st = get_stats()))
		__sync_fetch_and_add(&st->map_full, 1);
	return bpf_map_lookup_elem(&threads, &tid);
}

/*
 * tp_btf arguments are trusted BTF pointers: plain (CO-RE relocated) loads
 * are allowed and cheaper than probe reads. raw_tp arguments and the
 * checkpoint's current task need probe reads. direct is a constant at every
 * call site, so each program keeps only its own kind.
 */
#define RD(direct, p, f) ((direct) ? (p)->f : BPF_CORE_READ(p, f))

/*
 * Charge a traced thread the growth of its se.sum_exec_runtime since it
 * was last charged: the kernel's own count (what schedstat reports), which
 * leaves out interrupt and hypervisor steal time that a wall-clock
 * difference would bill to whichever thread was running. Keeping the base
 * per thread, not per CPU, keeps the total exact even when a switch is never
 * seen (on 6.18 some switches out of some tasks do not reach the program,
 * with no miss counted). At a checkpoint the kernel's figure is as of its
 * last tick, so a long run is split at the boundary to within a tick.
 *
 * fresh_comm re-reads the name (threads rename themselves with
 * PR_SET_NAME, which no tracepoint reports); only the rare paths ask.
 *
 * task_ctx: called from the exit tracepoint, which runs preemptible. The
 * task's own switch-out may then run in the middle of this, so the run
 * segment is claimed with a compare-and-swap. Switches and checkpoints run
 * with interrupts off and need no atomics.
 */
static __always_inline struct energat_thread *
charge_thread(const struct energat_cpu *c, struct task_struct *task, __u32 tid, __u32 tgid,
	      bool direct, bool fresh_comm, bool task_ctx, __u64 now)
{
	__u32 sock = socket_of(bpf_get_smp_processor_id());
	struct energat_thread *t;
	__u64 sum, old;

	if (!is_target(tgid))
		return NULL;
	sum = RD(direct, task, se.sum_exec_runtime);
	/*
	 * now != 0: a checkpoint on the running task, whose figure is only as
	 * fresh as the last tick. Its run since the switch-in seen on this CPU
	 * moves it on to the boundary; the next real reading takes over, never
	 * counting down (so at most that run's interrupt time is over-counted).
	 */
	if (now && c->in_tid == tid && c->in_sum + (now - c->in_ts) > sum)
		sum = c->in_sum + (now - c->in_ts);
	t = thread_entry(task, tid, tgid, sum, c);
	if (!t)
		return NULL;
	old = t->run_sum;
	if (sum > old && !task_ctx) {
		t->ns[sock] += sum - old;
		t->run_sum = sum;
	} else if (sum > old && __sync_val_compare_and_swap(&t->run_sum, old, sum) == old) {
		__sync_fetch_and_add(&t->ns[sock], sum - old);
	}
	if (fresh_comm)
		BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	return t;
}

/*
 * Wall-clock busy and idle time of this CPU, so they add up to the
 * interval. The clock is read at every switch, though busy→busy switches
 * change nothing in theory: some switches never reach the program (above),
 * and reading it only where idle starts or ends let one unseen switch
 * misfile a whole busy stretch as idle (measured: H up to 5% low). The
 * timestamp is taken after the handler's lookups, so its cost is not the
 * next task's.
 */
static __always_inline __u64 account_cpu(struct energat_cpu *c, bool was_idle)
{
	__u64 now = bpf_ktime_get_ns();

	if (c->last_ts) {
		if (was_idle)
			c->idle_ns += now - c->last_ts;
		else
			c->busy_ns += now - c->last_ts;
	}
	c->last_ts = now;
	return now;
}

static __always_inline struct energat_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpus, &zero);
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next,
				     bool direct)
{
	__u32 tid = RD(direct, prev, pid), ntid = RD(direct, next, pid);
	struct energat_cpu *c = this_cpu();

	if (!c)
		return 0;
	if (tid)
		charge_thread(c, prev, tid, RD(direct, prev, tgid), direct, false, false, 0);
	/* Where the next run starts: for a thread first seen in it, and for checkpoints. */
	c->in_ts = account_cpu(c, !tid);
	c->in_tid = ntid;
	c->in_sum = RD(direct, next, se.sum_exec_runtime);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, true);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, false);
}

/*
 * Interval boundary: user space test-runs this on every CPU
 * (BPF_F_TEST_RUN_ON_CPU), so the run in progress there is split at the
 * boundary and a task that never switches is charged in the interval it ran.
 * Run through an IPI, the current task is the one that was interrupted.
 */
SEC("raw_tp")
int checkpoint(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = BPF_CORE_READ(task, pid);
	struct energat_cpu *c = this_cpu();

	if (!c)
		return 0;
	if (tid)
		charge_thread(c, task, tid, BPF_CORE_READ(task, tgid), false, true, false,
			      bpf_ktime_get_ns());
	account_cpu(c, !tid);
	return 0;
}

static __always_inline void send_exit(struct task_struct *task, __u32 tgid, bool direct)
{
	struct energat_cpu *c = this_cpu();
	struct energat_thread *t;
	struct energat_event *e;
	struct energat_stats *st;

	/* Book the last run up to now, so no time is lost to the exit. */
	if (!c)
		return;
	t = charge_thread(c, task, RD(direct, task, pid), tgid, direct, true, true, 0);
	if (!t)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		__builtin_memcpy(&e->thread, t, sizeof(*t));
		e->type = ENERGAT_EV_EXIT;
		e->ppid = 0;
		bpf_ringbuf_submit(e, 0);
	} else if ((st = get_stats())) {
		/* Not lost: user space finds the flagged entry in the map. */
		__sync_fetch_and_add(&st->rb_drops, 1);
	}
	/*
	 * Flag after the submit: user space relies on a flagged entry's record
	 * being readable already (x86 keeps stores in order).
	 */
	t->flags |= ENERGAT_THREAD_EXITED;
}

static __always_inline int on_exit(struct task_struct *task, bool direct)
{
	__u32 tgid = RD(direct, task, tgid);

	if (!is_target(tgid))
		return 0;
	send_exit(task, tgid, direct);
	/* Last thread of the group: its final switches still count, then it goes. */
	if (!targ_all && BPF_CORE_READ(task, signal, live.counter) == 0) {
		__u8 dying = ENERGAT_TARGET_DYING;

		bpf_map_update_elem(&targets, &tgid, &dying, BPF_EXIST);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit_btf, struct task_struct *task)
{
	return on_exit(task, true);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_exit_raw, struct task_struct *task)
{
	return on_exit(task, false);
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 pid = BPF_CORE_READ(child, pid), tgid = BPF_CORE_READ(child, tgid);
	struct energat_event *e;
	struct energat_stats *st;
	__u8 one = ENERGAT_TARGET_LIVE, *dying;

	/*
	 * New threads join a traced group by tgid already; follow new
	 * processes. System-wide mode needs neither the set nor the record.
	 */
	if (targ_all || pid != tgid)
		return 0;
	/* A PID reused while its old owner was still dying: not ours any more. */
	dying = bpf_map_lookup_elem(&targets, &tgid);
	if (dying && *dying == ENERGAT_TARGET_DYING)
		bpf_map_delete_elem(&targets, &tgid);
	if (!is_target(ptgid))
		return 0;
	if (bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY) && (st = get_stats()))
		__sync_fetch_and_add(&st->targets_full, 1);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if ((st = get_stats()))
			__sync_fetch_and_add(&st->rb_drops, 1);
		return 0;
	}
	__builtin_memset(&e->thread, 0, sizeof(e->thread));
	e->thread.pid = tgid;
	e->thread.tid = pid;
	e->thread.start_ns = BPF_CORE_READ(child, start_time);
	BPF_CORE_READ_STR_INTO(&e->thread.comm, child, comm);
	e->type = ENERGAT_EV_FORK;
	e->ppid = ptgid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

/* exec changes comm: keep the entry's name current. */
static __always_inline int on_exec(struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct energat_thread *t;

	if (!is_target(BPF_CORE_READ(task, tgid)))
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t)
		BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec_btf, struct task_struct *task)
{
	return on_exec(task);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_exec_raw, struct task_struct *task)
{
	return on_exec(task);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
