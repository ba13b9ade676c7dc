// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The interval's listing from an array of task references, kept up to date
 * as tasks are born and exit. The task iterator (walk.bpf.c) reaches each
 * task through the one before: at each boundary it finds them cold, one
 * cache miss after the other, 250-450 ns a task at 10,000 threads. Here
 * the addresses are known in advance, so the misses of a batch of tasks
 * overlap: 70-120 ns a task, measured the same way.
 *
 * Each live task holds one slot, with a reference to it, from its creation
 * (task_newtask, which also sees the io_uring and vhost workers that
 * sched_process_fork does not) or the seeding pass until its exit. Its
 * address leads to its slot at exit. Whatever keeps a task out of a slot
 * sets slots_lost, and user space goes back to walk.bpf.c for good.
 *
 * An object of its own, loaded on energat.bpf.c's maps where the kernel
 * allows it (6.4+: references to tasks in maps, read under RCU, and the
 * number iterator) and built with clang 15+ (the kptr tag in BTF).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "energat.h"
#include "task_record.h"

#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define EEXIST 17
/* Records per ring-buffer reservation: the loads of one batch overlap. */
#define LIST_BATCH 16

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

/* Set by user space: the slots map's size. */
const volatile __u32 nr_slots = 1;

/* Slots ever handed out: the listing looks at [0, slots_hi). */
__u32 slots_hi = 0;
/* Some task has no slot: the listing would miss it. */
__u32 slots_lost = 0;
/* The last listing found the ring buffer full. */
__u32 list_full = 0;
/* Tasks the last listing found in slots (tests: none is left behind). */
__u32 slots_used = 0;

struct slot {
	struct task_struct __kptr *task;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to nr_slots by user space */
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* A task's address → its slot, for its exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u32);
} slot_of SEC(".maps");

/* Slots given back by exited tasks. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1);
	__type(value, __u32);
} free_slots SEC(".maps");

/* Empty a slot that nobody else can reach any more, and give it back. */
static void slot_free(__u32 k)
{
	struct slot *s = bpf_map_lookup_elem(&slots, &k);
	struct task_struct *old;

	if (!s)
		return;
	old = bpf_kptr_xchg(&s->task, NULL);
	if (old)
		bpf_task_release(old);
	bpf_map_push_elem(&free_slots, &k, 0);
}

/*
 * Whoever deletes the task's entry (its exit, or slot_add() seeing it
 * exit meanwhile) empties its slot: exactly once. (Only a task seeded
 * while it exits could be dropped by both at once, when the seeding adds it
 * again between the two; even then each reference is released once, as it
 * leaves its slot, and the worst is a task listed late, at its exit.)
 */
static void slot_drop(struct task_struct *task)
{
	__u64 key = (__u64)task;
	__u32 *k = bpf_map_lookup_elem(&slot_of, &key), slot;

	if (!k)
		return;
	slot = *k;
	if (!bpf_map_delete_elem(&slot_of, &key))
		slot_free(slot);
}

/*
 * The slot is filled before the entry is published, so a task added twice
 * at once (seeding meets its creation) wastes a slot for a moment, never a
 * reference. A task that began to exit before its entry was there missed
 * its exit's slot_drop(): it is dropped here.
 */
static void slot_add(struct task_struct *task)
{
	struct task_struct *ref, *old;
	__u64 key = (__u64)task;
	struct slot *s;
	__u32 k;
	long err;

	if (slots_lost)
		return;
	if (bpf_map_pop_elem(&free_slots, &k)) {
		k = __sync_fetch_and_add(&slots_hi, 1);
		if (k >= nr_slots) {
			slots_lost = 1;
			return;
		}
	}
	s = bpf_map_lookup_elem(&slots, &k);
	if (!s)
		return;
	ref = bpf_task_acquire(task);
	if (!ref) {
		bpf_map_push_elem(&free_slots, &k, 0);
		return;
	}
	old = bpf_kptr_xchg(&s->task, ref);
	if (old)
		bpf_task_release(old);
	err = bpf_map_update_elem(&slot_of, &key, &k, BPF_NOEXIST);
	if (err) {
		if (err != -EEXIST) /* not just already in another slot */
			slots_lost = 1;
		slot_free(k);
		return;
	}
	if (task->flags & PF_EXITING)
		slot_drop(task);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(slot_newtask, struct task_struct *task, __u64 clone_flags)
{
	slot_add(task);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(slot_exit, struct task_struct *task)
{
	slot_drop(task);
	return 0;
}

/* Seeding, once, after the two above are attached: every task alive now. */
SEC("iter/task")
int slot_seed(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task && listable(task) && !(task->flags & PF_EXITING))
		slot_add(task);
	return 0;
}

/*
 * One batch of the listing, written here and copied to the ring buffer
 * whole. The count lives here too: read back from the map it is a number
 * the verifier does not follow, so the loop's states converge.
 */
struct batch {
	__u64 n;
	struct energat_event e[LIST_BATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct batch);
} batch SEC(".maps");

/*
 * The listing, as list_walk's: the link iterates the tracer's own threads
 * and the first one runs it. Records go out a batch at a time: each
 * ring-buffer write is a locked operation, which would otherwise keep the
 * next task's loads from starting early.
 */
SEC("iter/task")
int slot_list(struct bpf_iter__task *ctx)
{
	__u32 hi = slots_hi, used = 0, n, zero = 0;
	struct batch *b = bpf_map_lookup_elem(&batch, &zero);
	struct bpf_iter_num it;
	int *i;

	if (!b || !ctx->task || ctx->meta->seq_num)
		return 0;
	if (hi > nr_slots)
		hi = nr_slots;
	b->n = 0;
	bpf_iter_num_new(&it, 0, hi);
	while ((i = bpf_iter_num_next(&it))) {
		__u32 k = *i, j = b->n & (LIST_BATCH - 1);
		struct slot *s = bpf_map_lookup_elem(&slots, &k);
		struct task_struct *task = s ? s->task : NULL;
		struct energat_event *e = &b->e[j];

		if (!task)
			continue;
		used++;
		__builtin_memset(e, 0, sizeof(*e));
		if (!listable(task) || !task_record(task, &e->thread))
			continue;
		e->type = ENERGAT_EV_LIST;
		b->n = j + 1;
		if (j < LIST_BATCH - 1)
			continue;
		b->n = 0;
		if (bpf_ringbuf_output(&events, b->e, sizeof(b->e), BPF_RB_NO_WAKEUP)) {
			list_full = 1;
			break;
		}
	}
	bpf_iter_num_destroy(&it);
	n = b->n & (LIST_BATCH - 1);
	if (n && !list_full &&
	    bpf_ringbuf_output(&events, b->e, n * sizeof(b->e[0]), BPF_RB_NO_WAKEUP))
		list_full = 1;
	slots_used = used;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
