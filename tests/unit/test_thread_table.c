// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The user-side thread table: cumulative carriers in, exact deltas out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "thread_table.h"

static struct energat_thread carrier(__u32 tid, __u64 start, __u64 ns0, __u64 ns1)
{
	struct energat_thread t = { .tid = tid, .pid = 100, .start_ns = start };

	t.ns[0] = ns0;
	t.ns[1] = ns1;
	strcpy(t.comm, "worker");
	return t;
}

static const struct thread_delta *find(const struct thread_deltas *d, __u32 tid, __u64 start)
{
	size_t i;

	for (i = 0; i < d->len; i++)
		if (d->v[i].tid == tid && d->v[i].start_ns == start)
			return &d->v[i];
	return NULL;
}

/* The same cumulative value from a map read and an exit record counts once. */
static void test_duplicate_carriers_count_once(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	struct energat_thread a = carrier(7, 1, 500, 20);

	(void)state;
	assert_int_equal(tt_init(&tt, 4), 0);
	assert_int_equal(tt_apply(&tt, &a, TT_FROM_LIST, &out), 0);
	assert_int_equal(tt_apply(&tt, &a, TT_FROM_EXIT, &out), 0);
	assert_int_equal(tt_flush(&tt, &out), 0);
	assert_int_equal(out.len, 1);
	assert_int_equal(out.v[0].ns[0], 500);
	assert_int_equal(out.v[0].ns[1], 20);
	assert_true(out.v[0].exited);
	deltas_free(&out);
	tt_free(&tt);
}

/* Intervals see only their growth; an older carrier arriving late is ignored. */
static void test_deltas_per_interval_and_out_of_order(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	struct energat_thread a1 = carrier(7, 1, 100, 0), a2 = carrier(7, 1, 350, 0);

	(void)state;
	assert_int_equal(tt_init(&tt, 4), 0);
	tt_apply(&tt, &a1, TT_FROM_LIST, &out);
	tt_flush(&tt, &out);
	assert_int_equal(out.v[0].ns[0], 100);
	out.len = 0;
	tt_apply(&tt, &a2, TT_FROM_LIST, &out);
	tt_apply(&tt, &a1, TT_FROM_LIST, &out); /* stale */
	tt_flush(&tt, &out);
	assert_int_equal(out.len, 1);
	assert_int_equal(out.v[0].ns[0], 250);
	out.len = 0;
	tt_apply(&tt, &a2, TT_FROM_LIST, &out);
	tt_flush(&tt, &out); /* nothing new: no row */
	assert_int_equal(out.len, 0);
	deltas_free(&out);
	tt_free(&tt);
}

/* A reused tid is a new thread: the old one's pending time is reported first. */
static void test_tid_reuse(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	struct energat_thread old = carrier(9, 1, 300, 0), young = carrier(9, 2, 40, 0);
	const struct thread_delta *d;

	(void)state;
	assert_int_equal(tt_init(&tt, 4), 0);
	tt_apply(&tt, &old, TT_FROM_EXIT, &out);
	tt_apply(&tt, &young, TT_FROM_LIST, &out);
	tt_flush(&tt, &out);
	assert_int_equal(out.len, 2);
	d = find(&out, 9, 1);
	assert_non_null(d);
	assert_int_equal(d->ns[0], 300);
	assert_true(d->exited);
	d = find(&out, 9, 2);
	assert_non_null(d);
	assert_int_equal(d->ns[0], 40); /* not 40 - 300 */
	assert_false(d->exited);
	deltas_free(&out);
	tt_free(&tt);
}

/*
 * An exit is reported once, however many carriers repeat it; the entry goes
 * when the listing no longer holds the thread, and only a thread still
 * known takes a final record's tail.
 */
static void test_exit_lifecycle(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	struct energat_thread a = carrier(5, 1, 10, 0), tail = carrier(5, 1, 12, 0);

	(void)state;
	assert_int_equal(tt_init(&tt, 4), 0);
	tt_apply(&tt, &a, TT_FROM_LIST, &out);
	tt_apply(&tt, &a, TT_FROM_EXIT, &out);
	tt_flush(&tt, &out);
	assert_int_equal(out.len, 1);
	assert_true(out.v[0].exited);
	out.len = 0;
	/* Still listed (not yet reaped), flagged: neither time nor exit count again. */
	a.flags = ENERGAT_THREAD_EXITED;
	tt_apply(&tt, &a, TT_FROM_LIST, &out);
	tt_flush(&tt, &out);
	assert_int_equal(out.len, 0);
	assert_non_null(tt_find(&tt, 5));
	/* Its switch-out after exit: the tail only. */
	tt_apply(&tt, &tail, TT_FROM_FINAL, &out);
	tt_flush(&tt, &out); /* not listed any more: forgotten after this */
	assert_int_equal(out.len, 1);
	assert_int_equal(out.v[0].ns[0], 2);
	assert_null(tt_find(&tt, 5));
	/* A final record of a forgotten thread would count all of it again. */
	out.len = 0;
	tt_apply(&tt, &tail, TT_FROM_FINAL, &out);
	tt_flush(&tt, &out);
	assert_int_equal(out.len, 0);
	assert_null(tt_find(&tt, 5));
	deltas_free(&out);
	tt_free(&tt);
}

/* Thousands of threads: growth and backward-shift deletion keep every entry findable. */
static void test_many_threads(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	__u64 total = 0;
	__u32 tid;
	size_t i;

	(void)state;
	assert_int_equal(tt_init(&tt, 1), 0);
	for (tid = 1; tid <= 20000; tid++) {
		struct energat_thread a = carrier(tid * 7919 % 65536 + 1, tid, tid, 0);

		/* Every third exited and is no longer listed. */
		assert_int_equal(tt_apply(&tt, &a, tid % 3 ? TT_FROM_LIST : TT_FROM_EXIT, &out), 0);
	}
	assert_int_equal(tt_flush(&tt, &out), 0);
	for (i = 0; i < out.len; i++)
		total += out.v[i].ns[0];
	assert_int_equal(out.len, 20000);
	assert_int_equal(total, 20000ull * 20001 / 2);
	assert_int_equal(tt.len, 20000 - 20000 / 3);
	for (tid = 1; tid <= 20000; tid++)
		if (tid % 3)
			assert_non_null(tt_find(&tt, tid * 7919 % 65536 + 1));
	deltas_free(&out);
	tt_free(&tt);
}

/*
 * A burst of 20,000 threads that then go: the table shrinks back to the few
 * left, which keep their counters (a later listing gives only their growth).
 */
static void test_shrinks_after_burst(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	size_t peak;
	__u32 tid, n;

	(void)state;
	assert_int_equal(tt_init(&tt, 1), 0);
	for (tid = 1; tid <= 20000; tid++) {
		struct energat_thread a = carrier(tid, tid, 1000, 0);

		assert_int_equal(tt_apply(&tt, &a, TT_FROM_LIST, &out), 0);
	}
	assert_int_equal(tt_flush(&tt, &out), 0);
	peak = tt.cap;
	assert_true(peak >= 40000);
	out.len = 0;
	/* Only tids 1-10 are still listed: the table shrinks one interval later. */
	for (n = 1; n <= 2; n++) {
		out.len = 0;
		for (tid = 1; tid <= 10; tid++) {
			struct energat_thread a = carrier(tid, tid, 1000 + n * tid, 0);

			assert_int_equal(tt_apply(&tt, &a, TT_FROM_LIST, &out), 0);
		}
		assert_int_equal(tt_flush(&tt, &out), 0);
		assert_int_equal(tt.len, 10);
		assert_int_equal(out.len, 10);
		for (tid = 1; tid <= 10; tid++) {
			assert_non_null(tt_find(&tt, tid));
			assert_int_equal(find(&out, tid, tid)->ns[0], tid);
		}
	}
	assert_true(tt.cap <= 64);
	deltas_free(&out);
	tt_free(&tt);
}

/*
 * Steady churn: each interval 1,000 threads start and exit beside 10 that
 * live on. The table keeps the room the exits need instead of shrinking to
 * the survivors and growing back (two rehashes an interval).
 */
static void test_steady_churn_keeps_size(void **state)
{
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	__u32 tid, next = 100, round;
	size_t cap = 0;

	(void)state;
	assert_int_equal(tt_init(&tt, 1), 0);
	for (round = 0; round < 5; round++) {
		out.len = 0;
		for (tid = 1; tid <= 10; tid++) {
			struct energat_thread a = carrier(tid, 1, round + 1, 0);

			assert_int_equal(tt_apply(&tt, &a, TT_FROM_LIST, &out), 0);
		}
		for (tid = 0; tid < 1000; tid++, next++) {
			struct energat_thread a = carrier(next, next, 5, 0);

			assert_int_equal(tt_apply(&tt, &a, TT_FROM_EXIT, &out), 0);
		}
		assert_int_equal(tt_flush(&tt, &out), 0);
		assert_int_equal(out.len, 1010);
		assert_int_equal(tt.len, 10);
		/* Room for the next interval's 1,010, kept from one to the next. */
		assert_true(tt.cap >= 2048);
		if (round)
			assert_int_equal(tt.cap, cap);
		cap = tt.cap;
	}
	deltas_free(&out);
	tt_free(&tt);
}

/*
 * Rounds of random listings, exits and tid reuse over 3,000 tids, against
 * a plain array per tid: every delta is exact and every listed thread
 * stays findable while removals move entries around and the index grows
 * and shrinks.
 */
#define REF_TIDS 3000
static void test_random_against_reference(void **state)
{
	/* seen: what the table last got for a tid listed last round, else 0 */
	static __u64 cum[REF_TIDS + 1], seen[REF_TIDS + 1], start[REF_TIDS + 1];
	struct thread_table tt;
	struct thread_deltas out = { 0 };
	unsigned int seed = 12345, round;
	__u32 tid;

	(void)state;
	assert_int_equal(tt_init(&tt, 1), 0);
	for (round = 0; round < 40; round++) {
		__u64 want[REF_TIDS + 1] = { 0 };
		unsigned int listed = 0;
		size_t i;

		out.len = 0;
		/* Early rounds list most tids, later ones few: the table grows, then shrinks. */
		for (tid = 1; tid <= REF_TIDS; tid++) {
			struct energat_thread a;
			unsigned int r = rand_r(&seed) % 100;

			if (r >= (round < 20 ? 90u : 5u)) {
				seen[tid] = 0; /* not listed: gone */
				continue;
			}
			/* A tid not listed last round, or 1 in 100, is a new thread. */
			if (r == 0 || !seen[tid])
				start[tid]++, cum[tid] = 0;
			cum[tid] += 1 + rand_r(&seed) % 1000;
			a = carrier(tid, start[tid], cum[tid], 0);
			assert_int_equal(tt_apply(&tt, &a, TT_FROM_LIST, &out), 0);
			want[tid] = r == 0 ? cum[tid] : cum[tid] - seen[tid];
			seen[tid] = cum[tid];
			listed++;
		}
		assert_int_equal(tt_flush(&tt, &out), 0);
		assert_int_equal(tt.len, listed);
		for (i = 0; i < out.len; i++) {
			const struct thread_delta *d = &out.v[i];

			if (d->start_ns != start[d->tid])
				continue; /* an old thread under a reused tid: its earlier rounds' rest */
			assert_int_equal(d->ns[0], want[d->tid]);
			want[d->tid] = 0;
		}
		for (tid = 1; tid <= REF_TIDS; tid++) {
			assert_int_equal(want[tid], 0);
			if (seen[tid])
				assert_int_equal(tt_find(&tt, tid)->last[0], seen[tid]);
			else
				assert_null(tt_find(&tt, tid));
		}
	}
	assert_true(tt.cap <= 1024);
	deltas_free(&out);
	tt_free(&tt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_carriers_count_once),
		cmocka_unit_test(test_deltas_per_interval_and_out_of_order),
		cmocka_unit_test(test_tid_reuse),
		cmocka_unit_test(test_exit_lifecycle),
		cmocka_unit_test(test_many_threads),
		cmocka_unit_test(test_shrinks_after_burst),
		cmocka_unit_test(test_steady_churn_keeps_size),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests_name("thread_table", tests, NULL, NULL);
}
