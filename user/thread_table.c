// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "thread_table.h"
#include "vec.h"

static size_t slot_of(size_t cap, __u32 tid)
{
	/* Fibonacci hashing: tids are dense and sequential. */
	return (size_t)((tid * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

#define TT_MIN_CAP 64

/* The index slot holding tid, or the free slot where it would go. */
static struct tt_slot *probe(struct tt_slot *index, size_t cap, __u32 tid)
{
	size_t i;

	for (i = slot_of(cap, tid); index[i].pos && index[i].tid != tid; i = (i + 1) & (cap - 1))
		;
	return &index[i];
}

/* A fresh index with room for cap_hint entries, filled from the entries. */
static int reindex(struct thread_table *tt, size_t cap_hint)
{
	struct tt_slot *index;
	size_t cap = TT_MIN_CAP, i;

	while (cap < cap_hint * 2)
		cap <<= 1;
	index = calloc(cap, sizeof(*index));
	if (!index)
		return -ENOMEM;
	for (i = 0; i < tt->len; i++)
		*probe(index, cap, tt->v[i].tid) = (struct tt_slot){ tt->v[i].tid, i + 1 };
	free(tt->index);
	tt->index = index;
	tt->cap = cap;
	return 0;
}

int tt_init(struct thread_table *tt, size_t cap_hint)
{
	memset(tt, 0, sizeof(*tt));
	return reindex(tt, cap_hint);
}

void tt_free(struct thread_table *tt)
{
	free(tt->index);
	free(tt->v);
	memset(tt, 0, sizeof(*tt));
}

struct tt_entry *tt_find(const struct thread_table *tt, __u32 tid)
{
	const struct tt_slot *sl = probe(tt->index, tt->cap, tid);

	return sl->pos ? &tt->v[sl->pos - 1] : NULL;
}

void tt_prefetch(const struct thread_table *tt, __u32 tid)
{
	__builtin_prefetch(&tt->index[slot_of(tt->cap, tid)]);
}

static struct tt_entry *insert(struct thread_table *tt, __u32 tid)
{
	struct tt_entry *e;

	if ((tt->len + 1) * 2 > tt->cap && reindex(tt, tt->cap))
		return NULL;
	if (tt->len == tt->cap_v && vec_fit(&tt->v, &tt->cap_v, tt->len + 1, sizeof(*tt->v)))
		return NULL;
	e = &tt->v[tt->len++];
	memset(e, 0, sizeof(*e));
	e->tid = tid;
	*probe(tt->index, tt->cap, tid) = (struct tt_slot){ tid, tt->len };
	if (tt->len > tt->peak)
		tt->peak = tt->len;
	return e;
}

/*
 * The last entry moves into e's place. In the index, backward-shift
 * deletion keeps linear probing chains intact without tombstones.
 */
static void remove_entry(struct thread_table *tt, struct tt_entry *e)
{
	size_t mask = tt->cap - 1, hole = (size_t)(probe(tt->index, tt->cap, e->tid) - tt->index);
	size_t i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & mask;
		if (!tt->index[i].pos)
			break;
		home = slot_of(tt->cap, tt->index[i].tid);
		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			tt->index[hole] = tt->index[i];
			hole = i;
		}
	}
	tt->index[hole].pos = 0;
	if (e != &tt->v[tt->len - 1]) {
		*e = tt->v[tt->len - 1];
		probe(tt->index, tt->cap, e->tid)->pos = (__u32)(e - tt->v) + 1;
	}
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
		remove_entry(tt, e);
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

	for (i = 0; i < tt->len; i++) {
		struct tt_entry *e = &tt->v[i];

		if (pending(e) && (err = deltas_push(out, e)))
			return err;
		if (e->flags & TT_EXITED)
			e->flags |= TT_REPORTED;
		memset(e->delta, 0, sizeof(e->delta));
	}
	/* Separate pass: a removal moves the last entry into the one just examined. */
	for (i = 0; i < tt->len;) {
		struct tt_entry *e = &tt->v[i];

		if (!(e->flags & TT_SEEN)) {
			remove_entry(tt, e);
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
	if (tt->cap > TT_MIN_CAP && tt->peak * 8 < tt->cap) {
		reindex(tt, tt->peak);
		vec_fit(&tt->v, &tt->cap_v, tt->peak, sizeof(*tt->v));
	}
	tt->peak = tt->len;
	return 0;
}
