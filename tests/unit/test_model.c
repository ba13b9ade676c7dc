// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The model of model.md §4 against numbers worked out by hand. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model.h"

/* cmocka's assert_float_equal works in float: too coarse for joules. */
#define assert_near(a, b)                                                   \
	do {                                                                \
		double _a = (a), _b = (b);                                  \
		if (!(fabs(_a - _b) <= 1e-12 * fmax(1, fabs(_b))))          \
			fail_msg("%s = %.17g, expected %.17g", #a, _a, _b); \
	} while (0)

/* 0.5^0.3, 0.5^0.2, 0.25^0.3 (exp(e * ln f), 16 digits) */
#define P05_03 0.8122523963562356
#define P05_02 0.8705505632961241
#define P025_03 0.6597539553864471

static void one_socket(struct model_params *p, struct model_host *h)
{
	model_params_default(p);
	p->pkg_base_w[0] = 10;
	p->dram_base_w[0] = 2;
	*h = (struct model_host){ .nr_sockets = 1, .dt_sec = 1 };
	h->e_pkg[0] = 50;
	h->e_dram[0] = 10;
	h->has_dram[0] = 1;
	h->busy_ns[0] = 1e9;
}

static void test_defaults(void **state)
{
	struct model_params p;

	(void)state;
	model_params_default(&p);
	assert_near(p.gamma, 0.3);
	assert_near(p.delta, 0.2);
	assert_near(p.pkg_base_w[0], 0);
	assert_int_equal(model_params_check(&p), 0);
	p.gamma = 0;
	assert_int_equal(model_params_check(&p), -EINVAL);
	p.gamma = NAN;
	assert_int_equal(model_params_check(&p), -EINVAL);
	model_params_default(&p);
	p.dram_base_w[7] = -1;
	assert_int_equal(model_params_check(&p), -EINVAL);
	p.dram_base_w[7] = INFINITY;
	assert_int_equal(model_params_check(&p), -EINVAL);
}

static void test_one_socket(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;
	struct model_credit c = { 0 };
	struct model_share a;

	(void)state;
	one_socket(&p, &h);
	model_energy(&p, &h, &e);
	assert_near(e.total_pkg[0], 50);
	assert_near(e.base_pkg[0], 10);
	assert_near(e.dyn_pkg[0], 40);
	assert_near(e.total_dram[0], 10);
	assert_near(e.base_dram[0], 2);
	assert_near(e.dyn_dram[0], 8);
	assert_int_equal(e.pkg_clamped[0], 0);
	assert_int_equal(e.dram_clamped[0], 0);

	c.cpu_ns[0] = 5e8; /* half the host's busy time */
	c.mem_frac[0] = 0.5;
	model_ascribe(&p, &h, &e, &c, &a);
	assert_near(a.f_cpu[0], 0.5);
	assert_near(a.f_mem[0], 0.5);
	assert_near(a.pkg_j[0], 40 * P05_03); /* 32.4900958542494 */
	assert_near(a.dram_j[0], 8 * P05_02); /* 6.96440450636899 */
	/* nothing leaks into sockets that do not exist */
	assert_near(a.pkg_j[1], 0);
	assert_near(e.total_pkg[1], 0);
}

static void test_two_sockets(void **state)
{
	struct model_params p;
	struct model_host h = { .nr_sockets = 2, .dt_sec = 2 };
	struct model_energy e;
	struct model_credit c = { 0 };
	struct model_share a;

	(void)state;
	model_params_default(&p);
	p.pkg_base_w[0] = 10;
	p.pkg_base_w[1] = 20;
	p.dram_base_w[0] = 1;
	p.dram_base_w[1] = 3;
	h.e_pkg[0] = 100;
	h.e_pkg[1] = 60;
	h.e_dram[0] = 12;
	h.e_dram[1] = 5;
	h.has_dram[0] = h.has_dram[1] = 1;
	h.busy_ns[0] = 2e9;
	h.busy_ns[1] = 4e9;

	model_energy(&p, &h, &e);
	assert_near(e.base_pkg[0], 20);
	assert_near(e.base_pkg[1], 40);
	assert_near(e.dyn_pkg[0], 80);
	assert_near(e.dyn_pkg[1], 20);
	assert_near(e.base_dram[0], 2);
	assert_near(e.base_dram[1], 6);
	assert_near(e.dyn_dram[0], 10);
	assert_near(e.dyn_dram[1], 0); /* 5 J < 6 J baseline */
	assert_int_equal(e.dram_clamped[0], 0);
	assert_int_equal(e.dram_clamped[1], 1);

	c.cpu_ns[0] = 1e9;
	c.cpu_ns[1] = 1e9;
	c.mem_frac[0] = 0.5;
	c.mem_frac[1] = 0.5;
	model_ascribe(&p, &h, &e, &c, &a);
	assert_near(a.f_cpu[0], 0.5);
	assert_near(a.f_cpu[1], 0.25);
	assert_near(a.pkg_j[0], 80 * P05_03); /* 64.9801917084989 */
	assert_near(a.pkg_j[1], 20 * P025_03); /* 13.1950791077289 */
	assert_near(a.dram_j[0], 10 * P05_02);
	assert_near(a.dram_j[1], 0);
}

static void test_proportional_conserves(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;
	struct model_credit c1 = { 0 }, c2 = { 0 };
	struct model_share a1, a2;

	(void)state;
	one_socket(&p, &h);
	p.gamma = p.delta = 1;
	model_energy(&p, &h, &e);
	c1.cpu_ns[0] = 3e8;
	c1.mem_frac[0] = 0.25;
	c2.cpu_ns[0] = 6e8;
	c2.mem_frac[0] = 0.75;
	model_ascribe(&p, &h, &e, &c1, &a1);
	model_ascribe(&p, &h, &e, &c2, &a2);
	assert_near(a1.pkg_j[0], 12); /* 40 J * 0.3 */
	assert_near(a2.pkg_j[0], 24); /* 40 J * 0.6 */
	assert_near(a1.dram_j[0], 2); /* 8 J * 0.25 */
	assert_near(a2.dram_j[0], 6);
	assert_true(a1.pkg_j[0] + a2.pkg_j[0] <= e.dyn_pkg[0]);
	assert_true(a1.dram_j[0] + a2.dram_j[0] <= e.dyn_dram[0] * (1 + 1e-15));

	/* the concave credit (paper's) does not conserve: 0.3^0.3 + 0.6^0.3 > 1 */
	p.gamma = 0.3;
	model_ascribe(&p, &h, &e, &c1, &a1);
	model_ascribe(&p, &h, &e, &c2, &a2);
	assert_near(a1.pkg_j[0] + a2.pkg_j[0], 40 * 1.554762502380044);
}

static void test_paper_exponents(void **state)
{
	(void)state;
	assert_near(model_credit(0.5, 0.3), P05_03);
	assert_near(model_credit(0.5, 0.2), P05_02);
	assert_near(model_credit(0.25, 0.3), P025_03);
	/* the ends are exact and need no pow() */
	assert_true(model_credit(0, 0.3) == 0);
	assert_true(model_credit(0, 1e-9) == 0);
	assert_true(model_credit(-0.1, 0.3) == 0);
	assert_true(model_credit(NAN, 0.3) == 0);
	assert_true(model_credit(1, 0.3) == 1);
	assert_true(model_credit(1.5, 0.3) == 1);
}

static void test_host_idle(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;
	struct model_credit c = { 0 };
	struct model_share a;

	(void)state;
	one_socket(&p, &h);
	h.busy_ns[0] = 0; /* H = 0: no credit, and no division by zero */
	c.cpu_ns[0] = 1e6;
	model_energy(&p, &h, &e);
	model_ascribe(&p, &h, &e, &c, &a);
	assert_true(a.f_cpu[0] == 0);
	assert_true(a.pkg_j[0] == 0);
	assert_true(model_cpu_frac(5, 0) == 0);
	assert_true(model_cpu_frac(5, NAN) == 0);
	assert_true(model_cpu_frac(NAN, 10) == 0);
	assert_true(model_cpu_frac(0, 10) == 0);
}

static void test_below_baseline(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;
	struct model_credit c = { 0 };
	struct model_share a;

	(void)state;
	one_socket(&p, &h);
	h.e_pkg[0] = 5; /* B = 10 J */
	h.e_dram[0] = 2; /* B = 2 J exactly: D = 0 but nothing was clamped */
	model_energy(&p, &h, &e);
	assert_int_equal(e.pkg_clamped[0], 1);
	assert_true(e.dyn_pkg[0] == 0);
	assert_near(e.total_pkg[0], 5);
	assert_near(e.base_pkg[0], 10);
	assert_int_equal(e.dram_clamped[0], 0);
	assert_true(e.dyn_dram[0] == 0);

	c.cpu_ns[0] = 1e9;
	c.mem_frac[0] = 1;
	model_ascribe(&p, &h, &e, &c, &a);
	assert_near(a.f_cpu[0], 1);
	assert_true(a.pkg_j[0] == 0);
	assert_true(a.dram_j[0] == 0);
}

static void test_no_baseline(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;

	(void)state;
	one_socket(&p, &h);
	p.pkg_base_w[0] = p.dram_base_w[0] = 0; /* --no-baseline */
	model_energy(&p, &h, &e);
	assert_near(e.dyn_pkg[0], 50);
	assert_near(e.dyn_dram[0], 10);
	assert_int_equal(e.pkg_clamped[0], 0);
}

static void test_no_dram(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;
	struct model_credit c = { 0 };
	struct model_share a;

	(void)state;
	one_socket(&p, &h);
	h.has_dram[0] = 0;
	h.e_dram[0] = 99; /* whatever the meter claims */
	model_energy(&p, &h, &e);
	assert_true(e.total_dram[0] == 0);
	assert_true(e.base_dram[0] == 0);
	assert_true(e.dyn_dram[0] == 0);
	assert_int_equal(e.dram_clamped[0], 0);
	c.cpu_ns[0] = 5e8;
	c.mem_frac[0] = 0.5;
	model_ascribe(&p, &h, &e, &c, &a);
	assert_true(a.f_mem[0] == 0);
	assert_true(a.dram_j[0] == 0);
	assert_near(a.pkg_j[0], 40 * P05_03); /* package unaffected */
}

static void test_cpu_above_host(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;
	struct model_credit c = { 0 };
	struct model_share a;

	(void)state;
	one_socket(&p, &h);
	c.cpu_ns[0] = 1.2e9; /* counters read a moment apart */
	c.mem_frac[0] = 3; /* and a memory fraction above 1 */
	model_energy(&p, &h, &e);
	model_ascribe(&p, &h, &e, &c, &a);
	assert_true(a.f_cpu[0] == 1);
	assert_near(a.pkg_j[0], 40);
	assert_true(a.f_mem[0] == 1);
	assert_near(a.dram_j[0], 8);
}

static void test_mem_frac(void **state)
{
	double m[] = { 1, 2, 3 }, used[] = { 4, 0, 6 };
	double big_m[] = { 5, 5 }, big_used[] = { 2, 2 };
	double m4[] = { 1, 1, 1, 1 }, used4[] = { 2, 4, 8, 8 };

	(void)state;
	/* (1/4 + 0 + 3/6) / 3: the M = 0 sample counts as 0, not skipped */
	assert_near(model_mem_frac(m, used, 3), 0.25);
	/* (0.5 + 0.25 + 0.125 + 0.125) / 4 */
	assert_near(model_mem_frac(m4, used4, 4), 0.25);
	assert_near(model_mem_frac(m, used, 1), 0.25);
	assert_true(model_mem_frac(big_m, big_used, 2) == 1);
	assert_true(model_mem_frac(m, used, 0) == 0);
}

static void test_thread_dram_split(void **state)
{
	double cpu[] = { 1e6, 2e6, 0 }, idle[] = { 0, 0, 0 }, out[3];

	(void)state;
	model_thread_dram_split(9, cpu, 3, out);
	assert_near(out[0], 3);
	assert_near(out[1], 6);
	assert_true(out[2] == 0);

	model_thread_dram_split(9, idle, 3, out);
	assert_near(out[0], 3);
	assert_near(out[1], 3);
	assert_near(out[2], 3);
}

static void test_thread_pkg(void **state)
{
	struct model_params p;
	struct model_host h;
	struct model_energy e;

	(void)state;
	one_socket(&p, &h);
	model_energy(&p, &h, &e);
	assert_near(model_thread_pkg(&p, &h, &e, 0, 5e8), 40 * P05_03);
	assert_near(model_thread_pkg(&p, &h, &e, 0, 0), 0);
	assert_near(model_thread_pkg(&p, &h, &e, 1, 5e8), 0); /* no such socket */
	assert_near(model_thread_pkg(&p, &h, &e, -1, 5e8), 0);
}

static void test_socket_count_clamped(void **state)
{
	struct model_params p;
	struct model_host h = { .nr_sockets = 100, .dt_sec = 1 };
	struct model_energy e;
	int s;

	(void)state;
	model_params_default(&p);
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
		h.e_pkg[s] = s + 1;
	model_energy(&p, &h, &e);
	assert_near(e.dyn_pkg[ENERGAT_MAX_SOCKETS - 1], ENERGAT_MAX_SOCKETS);
	h.nr_sockets = -1;
	model_energy(&p, &h, &e);
	assert_true(e.dyn_pkg[0] == 0);
}

static void test_percent(void **state)
{
	(void)state;
	assert_near(model_percent(1, 4), 25);
	assert_true(model_percent(1, 0) == 0);
	assert_true(model_percent(0, 5) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_one_socket),
		cmocka_unit_test(test_two_sockets),
		cmocka_unit_test(test_proportional_conserves),
		cmocka_unit_test(test_paper_exponents),
		cmocka_unit_test(test_host_idle),
		cmocka_unit_test(test_below_baseline),
		cmocka_unit_test(test_no_baseline),
		cmocka_unit_test(test_no_dram),
		cmocka_unit_test(test_cpu_above_host),
		cmocka_unit_test(test_mem_frac),
		cmocka_unit_test(test_thread_dram_split),
		cmocka_unit_test(test_thread_pkg),
		cmocka_unit_test(test_socket_count_clamped),
		cmocka_unit_test(test_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
