/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The attribution model of model.md §4, for one interval. Pure arithmetic:
 * no I/O, no BPF, no globals, so every number can be checked by hand.
 *
 * Arrays are indexed by socket; entries at and beyond nr_sockets are
 * ignored on input and zeroed on output.
 */
#ifndef ENERGAT_MODEL_H
#define ENERGAT_MODEL_H

#include <linux/types.h>
#include "energat.h"

#define MODEL_DEFAULT_GAMMA 0.3
#define MODEL_DEFAULT_DELTA 0.2

struct model_params {
	double gamma, delta; /* credit exponents, defaults 0.3 and 0.2 (the paper's) */
	double pkg_base_w[ENERGAT_MAX_SOCKETS]; /* baseline watts, 0 with --no-baseline */
	double dram_base_w[ENERGAT_MAX_SOCKETS];
};

/* One interval, whole machine. */
struct model_host {
	int nr_sockets;
	double dt_sec; /* time between the two meter reads */
	double e_pkg[ENERGAT_MAX_SOCKETS]; /* meter joules over dt_sec */
	double e_dram[ENERGAT_MAX_SOCKETS];
	int has_dram[ENERGAT_MAX_SOCKETS]; /* 0: no DRAM zone, dram is 0 everywhere */
	double busy_ns[ENERGAT_MAX_SOCKETS]; /* H[s] */
};

/* Per socket, derived from the host alone; shared by every target. */
struct model_energy {
	double total_pkg[ENERGAT_MAX_SOCKETS], total_dram[ENERGAT_MAX_SOCKETS]; /* E */
	double base_pkg[ENERGAT_MAX_SOCKETS], base_dram[ENERGAT_MAX_SOCKETS]; /* B */
	double dyn_pkg[ENERGAT_MAX_SOCKETS], dyn_dram[ENERGAT_MAX_SOCKETS]; /* D */
	/* E < B: dynamic energy clamped to 0; the caller warns */
	int pkg_clamped[ENERGAT_MAX_SOCKETS], dram_clamped[ENERGAT_MAX_SOCKETS];
};

/* A target T's inputs for the interval. */
struct model_credit {
	double cpu_ns[ENERGAT_MAX_SOCKETS]; /* T_cpu[s] */
	double mem_frac[ENERGAT_MAX_SOCKETS]; /* f_mem[s], from model_mem_frac() */
};

struct model_share {
	double f_cpu[ENERGAT_MAX_SOCKETS]; /* min(1, T_cpu / H), 0 when H == 0 */
	double f_mem[ENERGAT_MAX_SOCKETS]; /* 0 on sockets without DRAM */
	double pkg_j[ENERGAT_MAX_SOCKETS]; /* A_pkg = D_pkg * f_cpu^gamma */
	double dram_j[ENERGAT_MAX_SOCKETS]; /* A_dram = D_dram * f_mem^delta */
};

/* gamma/delta defaults, zero baseline. */
void model_params_default(struct model_params *p);

/* 0, or -EINVAL when an exponent is not finite and > 0 or a baseline watt is
 * negative or not finite. */
int model_params_check(const struct model_params *p);

/* E, B = P_base * dt and D = max(0, E - B) per socket. */
void model_energy(const struct model_params *p, const struct model_host *h, struct model_energy *e);

/* A target's credit fractions and ascribed joules per socket. */
void model_ascribe(const struct model_params *p, const struct model_host *h,
		   const struct model_energy *e, const struct model_credit *c,
		   struct model_share *out);

/* min(1, T / H), 0 when H == 0 (or either is negative or NaN). */
double model_cpu_frac(double t_ns, double h_ns);

/* f^exponent for f in [0, 1]; exactly 0 for f <= 0 and 1 for f >= 1. */
double model_credit(double frac, double exponent);

/*
 * f_mem = min(1, mean_k(m_k / M_k)) over nr_samples samples of one socket;
 * a sample with M_k == 0 counts as 0. Returns 0 when nr_samples <= 0.
 */
double model_mem_frac(const double *target_bytes, const double *used_bytes, int nr_samples);

/*
 * Thread rows (model.md §4.6): a thread's package joules on socket s from
 * its own T_cpu, as if it were a target of its own.
 */
double model_thread_pkg(const struct model_params *p, const struct model_host *h,
			const struct model_energy *e, int socket, double cpu_ns);

/*
 * Thread rows: split a process's DRAM joules among its n
 * threads in proportion to their CPU ns, evenly when the process used none.
 * The parts always add up to proc_dram_j (up to rounding).
 */
void model_thread_dram_split(double proc_dram_j, const double *thread_cpu_ns, int n, double *out_j);

/* 100 * part / whole, 0 when whole <= 0: for the CSV utilisation columns. */
double model_percent(double part, double whole);

#endif /* ENERGAT_MODEL_H */
