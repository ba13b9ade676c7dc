/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User-side view of traced threads: the last cumulative counters seen for
 * each (tid, start time), so that map reads and exit records, which carry
 * the same cumulative values in any order, turn into exact per-interval
 * deltas without double counting. Pure: no BPF, no I/O.
 */
#ifndef ENERGAT_THREAD_TABLE_H
#define ENERGAT_THREAD_TABLE_H

#include <linux/types.h>
#include <stddef.h>
#include "energat.h"

enum {
	TT_EXITED = 1, /* the thread exited: seen in an exit record or a flagged entry */
	TT_SEEN = 2, /* listed by this interval's read of the kernel side */
	TT_REPORTED = 4, /* its exit has been handed to the sinks */
};

/* Where a carrier of a thread's counters comes from. */
enum tt_source {
	TT_FROM_LIST, /* the interval's listing of every traced thread */
	TT_FROM_EXIT, /* an exit record */
	TT_FROM_FINAL, /* a switch-out after exit: only for a thread still known */
};

struct tt_entry {
	__u32 tid, pid;
	__u32 flags;
	__u32 pad;
	__u64 start_ns;
	__u64 last[ENERGAT_MAX_SOCKETS]; /* last cumulative ns seen */
	__u64 delta[ENERGAT_MAX_SOCKETS]; /* ns accumulated in the current interval */
	char comm[ENERGAT_COMM_LEN];
};

/* An index slot: a tid and where its entry is (1-based; 0: the slot is free). */
struct tt_slot {
	__u32 tid;
	__u32 pos;
};

/*
 * Entries are dense, in the order threads were first seen, which is the
 * order the kernel lists them in: the interval's pass over them is
 * sequential and touches no free slot. The hash index beside them is 8
 * bytes a slot, small enough to stay in cache. Entry pointers stay valid
 * until the next tt_apply() or tt_flush().
 */
struct thread_table {
	struct tt_slot *index;
	size_t cap; /* index slots: a power of two, at least twice len */
	struct tt_entry *v;
	size_t len, cap_v;
	size_t peak; /* most entries held since the last flush */
};

/* A thread's delta for one interval, handed to the sinks. */
struct thread_delta {
	__u64 ns[ENERGAT_MAX_SOCKETS];
	__u64 start_ns;
	__u32 pid, tid;
	__u32 exited;
	char comm[ENERGAT_COMM_LEN];
};

struct thread_deltas {
	struct thread_delta *v;
	size_t len, cap;
};

int tt_init(struct thread_table *tt, size_t cap_hint);
void tt_free(struct thread_table *tt);
struct tt_entry *tt_find(const struct thread_table *tt, __u32 tid);

/*
 * Start loading tid's index slot into the cache. A lookup in a table of
 * many threads is a cache miss; issued a few records ahead, misses overlap.
 */
void tt_prefetch(const struct thread_table *tt, __u32 tid);

/* How far ahead to prefetch in a loop over threads: about the misses a core keeps in flight. */
#define PREFETCH_AHEAD 8

/*
 * Apply one carrier of cumulative counters. A different start time under
 * the same tid is a new thread: the old one's pending delta is moved to
 * out first. A listed carrier flagged ENERGAT_THREAD_EXITED is an exit.
 * Returns -ENOMEM on allocation failure.
 */
int tt_apply(struct thread_table *tt, const struct energat_thread *t, enum tt_source src,
	     struct thread_deltas *out);

/*
 * Close the interval: move every pending delta (and every thread that
 * exited) to out, and forget threads the listing no longer holds: they are
 * gone, and any record still to come carries nothing new but a final tail.
 */
int tt_flush(struct thread_table *tt, struct thread_deltas *out);

int deltas_push(struct thread_deltas *d, const struct tt_entry *e);
void deltas_free(struct thread_deltas *d);

#endif
