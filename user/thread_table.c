// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "thread_table.h"
#include "vec.h"

static size_t slot_of(const struct thread_table *tt, __u32 tid)
{
	/* Fibonacci hashing: tids are dense and sequential. */
	return (size_t)((tid * 0x9E3779B97F4A7C15ull) >> 20) & (tt->cap - 1);
}

#define TT_MIN_CAP 64

int tt_init(struct thread_table *tt, size_t cap_hint)
{
	size_t cap = TT_MIN_CAP;

	while (cap < cap_hint * 2)
		cap <<= 1;
	tt->slots = calloc(cap, sizeof(*tt->slots));
	if (!tt->slots)
		return -ENOMEM;
	tt->cap = cap;
	tt->len = tt->peak = 0;
	return 0;
}

void tt_free(struct thread_table *tt)
{
	free(tt->slots);
	tt->slots = NULL;
	tt->cap = tt->len = tt->peak = 0;
}

struct tt_entry *tt_find(const struct thread_table *tt, __u32 tid)
{
	size_t i;

	for (i = slot_of(tt, tid); tt->slots[i].used; i = (i + 1) & (tt->cap - 1))
		if (tt->slots[i].tid == tid)
			return &tt->slots[i];
	return NULL;
}

void tt_prefetch(const struct thread_table *tt, __u32 tid)
{
	const char *p = (const char *)&tt->slots[slot_of(tt, tid)];
	size_t off;

	for (off = 0; off < sizeof(struct tt_entry); off += 64)
		__builtin_prefetch(p + off, 1);
}

/* Rehash into a table sized for cap_hint entries. */
static int resize(struct thread_table *tt, size_t cap_hint)
{
	struct thread_table fresh;
	size_t i;
	int err;

	err = tt_init(&fresh, cap_hint);
	if (err)
		return err;
	for (i = 0; i < tt->cap; i++) {
		struct tt_entry *e = &tt->slots[i];
		size_t j;

		if (!e->used)
			continue;
		for (j = slot_of(&fresh, e->tid); fresh.slots[j].used;
		     j = (j + 1) & (fresh.cap - 1))
			;
		fresh.slots[j] = *e;
		fresh.len++;
	}
	fresh.peak = tt->peak;
	tt_free(tt);
	*tt = fresh;
	return 0;
}

static struct tt_entry *insert(struct thread_table *tt, __u32 tid)
{
	size_t i;

	if ((tt->len + 1) * 2 > tt->cap && resize(tt, tt->cap))
		return NULL;
	for (i = slot_of(tt, tid); tt->slots[i].used; i = (i + 1) & (tt->cap - 1))
		;
	memset(&tt->slots[i], 0, sizeof(tt->slots[i]));
	tt->slots[i].used = 1;
	tt->slots[i].tid = tid;
	if (++tt->len > tt->peak)
		tt->peak = tt->len;
	return &tt->slots[i];
}

/* Backward-shift deletion keeps linear probing chains intact without tombstones. */
static void remove_slot(struct thread_table *tt, struct tt_entry *e)
{
	size_t mask = tt->cap - 1, hole = (size_t)(e - tt->slots), i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & mask;
		if (!tt->slots[i].used)
			break;
		home = slot_of(tt, tt->slots[i].tid);
		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			tt->slots[hole] = tt->slots[i];
			hole = i;
		}
	}
	tt->slots[hole].used = 0;
	tt->len--;
}

/* Something to report: time this interval, or an exit not reported yet. */
static int pending(const struct tt_entry *e)
{
	int s;

	if ((e->flags & (TT_EXITED | TT_REPORTED)) == TT_EXITED)
		return 1;
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
		if (e->delta[s])
			return 1;
	return 0;
}

int deltas_push(struct thread_deltas *d, const struct tt_entry *e)
{
	struct thread_delta *o;

	if (d->len == d->cap && vec_fit(&d->v, &d->cap, d->len + 1, sizeof(*d->v)))
		return -ENOMEM;
	o = &d->v[d->len++];
	memcpy(o->ns, e->delta, sizeof(o->ns));
	o->start_ns = e->start_ns;
	o->pid = e->pid;
	o->tid = e->tid;
	o->exited = !!(e->flags & TT_EXITED);
	memcpy(o->comm, e->comm, sizeof(o->comm));
	return 0;
}

void deltas_free(struct thread_deltas *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int tt_apply(struct thread_table *tt, const struct energat_thread *t, enum tt_source src,
	     struct thread_deltas *out)
{
	struct tt_entry *e = tt_find(tt, t->tid);
	int s, err;

	/*
	 * A forgotten thread's final tail would count all its time again: a
	 * final record only tops up a thread still known.
	 */
	if (src == TT_FROM_FINAL && (!e || e->start_ns != t->start_ns))
		return 0;
	if (e && e->start_ns != t->start_ns) {
		/* tid reused: the previous thread is over. */
		if (pending(e) && (err = deltas_push(out, e)))
			return err;
		remove_slot(tt, e);
		e = NULL;
	}
	if (!e) {
		e = insert(tt, t->tid);
		if (!e)
			return -ENOMEM;
		e->start_ns = t->start_ns;
	}
	e->pid = t->pid;
	memcpy(e->comm, t->comm, sizeof(e->comm));
	e->comm[ENERGAT_COMM_LEN - 1] = '\0';
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++) {
		/* Carriers may arrive out of order: never step backwards. */
		if (t->ns[s] > e->last[s]) {
			e->delta[s] += t->ns[s] - e->last[s];
			e->last[s] = t->ns[s];
		}
	}
	if (src != TT_FROM_LIST || (t->flags & ENERGAT_THREAD_EXITED))
		e->flags |= TT_EXITED;
	if (src == TT_FROM_LIST)
		e->flags |= TT_SEEN;
	return 0;
}

int tt_flush(struct thread_table *tt, struct thread_deltas *out)
{
	size_t i;
	int err;

	for (i = 0; i < tt->cap; i++) {
		struct tt_entry *e = &tt->slots[i];

		if (!e->used)
			continue;
		if (pending(e) && (err = deltas_push(out, e)))
			return err;
		if (e->flags & TT_EXITED)
			e->flags |= TT_REPORTED;
		memset(e->delta, 0, sizeof(e->delta));
	}
	/* Separate pass: a removal may shift an entry into the slot just examined. */
	for (i = 0; i < tt->cap;) {
		struct tt_entry *e = &tt->slots[i];

		if (!e->used) {
			i++;
		} else if (!(e->flags & TT_SEEN)) {
			remove_slot(tt, e);
		} else {
			e->flags &= ~TT_SEEN;
			i++;
		}
	}
	/*
	 * After a burst of threads has gone, give the memory back: a table
	 * only ever grown would keep the peak for the rest of a long run. By
	 * the interval's peak, not what is left after the flush: under steady
	 * churn each interval fills the table with exits again, and sizing
	 * by the survivors would rehash it twice an interval. A failed shrink
	 * is harmless.
	 */
	if (tt->cap > TT_MIN_CAP && tt->peak * 8 < tt->cap)
		resize(tt, tt->peak);
	tt->peak = tt->len;
	return 0;
}
