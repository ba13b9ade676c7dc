// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution model (model.md §4). Every comparison is written so that a
 * NaN input falls to the harmless side (0 credit, 0 joules) instead of
 * spreading into the output files.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "model.h"

/* max(0, total - base), 0 for NaN too */
static double dynamic(double total, double base)
{
	return total > base ? total - base : 0;
}

static int clamp_sockets(int n)
{
	if (n < 0)
		return 0;
	return n > ENERGAT_MAX_SOCKETS ? ENERGAT_MAX_SOCKETS : n;
}

void model_params_default(struct model_params *p)
{
	memset(p, 0, sizeof(*p));
	p->gamma = MODEL_DEFAULT_GAMMA;
	p->delta = MODEL_DEFAULT_DELTA;
}

int model_params_check(const struct model_params *p)
{
	int s;

	if (!(isfinite(p->gamma) && p->gamma > 0) || !(isfinite(p->delta) && p->delta > 0))
		return -EINVAL;
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++) {
		if (!(isfinite(p->pkg_base_w[s]) && p->pkg_base_w[s] >= 0))
			return -EINVAL;
		if (!(isfinite(p->dram_base_w[s]) && p->dram_base_w[s] >= 0))
			return -EINVAL;
	}
	return 0;
}

double model_cpu_frac(double t_ns, double h_ns)
{
	if (!(h_ns > 0) || !(t_ns > 0))
		return 0;
	/* T > H happens when the two counters are read a few ns apart. */
	return t_ns >= h_ns ? 1 : t_ns / h_ns;
}

double model_credit(double frac, double exponent)
{
	/* Explicit ends: pow(0, e) is 0 only for e > 0, and 1^e needs no pow. */
	if (!(frac > 0))
		return 0;
	if (frac >= 1)
		return 1;
	if (exponent == 1)
		return frac;
	return pow(frac, exponent);
}

double model_percent(double part, double whole)
{
	if (!(whole > 0) || !(part > 0))
		return 0;
	return 100 * part / whole;
}

void model_energy(const struct model_params *p, const struct model_host *h, struct model_energy *e)
{
	int n = clamp_sockets(h->nr_sockets);
	double dt = h->dt_sec > 0 ? h->dt_sec : 0;
	int s;

	memset(e, 0, sizeof(*e));
	for (s = 0; s < n; s++) {
		e->total_pkg[s] = h->e_pkg[s];
		e->base_pkg[s] = p->pkg_base_w[s] * dt;
		e->pkg_clamped[s] = e->total_pkg[s] < e->base_pkg[s];
		e->dyn_pkg[s] = dynamic(e->total_pkg[s], e->base_pkg[s]);

		/* No DRAM zone: report zeros rather than a baseline with no meter. */
		if (!h->has_dram[s])
			continue;
		e->total_dram[s] = h->e_dram[s];
		e->base_dram[s] = p->dram_base_w[s] * dt;
		e->dram_clamped[s] = e->total_dram[s] < e->base_dram[s];
		e->dyn_dram[s] = dynamic(e->total_dram[s], e->base_dram[s]);
	}
}

void model_ascribe(const struct model_params *p, const struct model_host *h,
		   const struct model_energy *e, const struct model_credit *c,
		   struct model_share *out)
{
	int n = clamp_sockets(h->nr_sockets);
	int s;

	memset(out, 0, sizeof(*out));
	for (s = 0; s < n; s++) {
		double fm = c->mem_frac[s];

		out->f_cpu[s] = model_cpu_frac(c->cpu_ns[s], h->busy_ns[s]);
		out->pkg_j[s] = e->dyn_pkg[s] * model_credit(out->f_cpu[s], p->gamma);

		if (!h->has_dram[s])
			continue;
		out->f_mem[s] = fm > 0 ? (fm < 1 ? fm : 1) : 0;
		out->dram_j[s] = e->dyn_dram[s] * model_credit(out->f_mem[s], p->delta);
	}
}

double model_thread_pkg(const struct model_params *p, const struct model_host *h,
			const struct model_energy *e, int socket, double cpu_ns)
{
	if (socket < 0 || socket >= clamp_sockets(h->nr_sockets))
		return 0;
	return e->dyn_pkg[socket] *
	       model_credit(model_cpu_frac(cpu_ns, h->busy_ns[socket]), p->gamma);
}

double model_mem_frac(const double *target_bytes, const double *used_bytes, int nr_samples)
{
	double sum = 0;
	int k;

	if (nr_samples <= 0)
		return 0;
	for (k = 0; k < nr_samples; k++) {
		/* A node that reads MemUsed 0 (fake tree, race) has nothing to share. */
		if (used_bytes[k] > 0 && target_bytes[k] > 0)
			sum += target_bytes[k] / used_bytes[k];
	}
	sum /= nr_samples;
	return sum < 1 ? sum : 1;
}

void model_thread_dram_split(double proc_dram_j, const double *thread_cpu_ns, int n, double *out_j)
{
	double total = 0;
	int i;

	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (thread_cpu_ns[i] > 0)
			total += thread_cpu_ns[i];
	}
	for (i = 0; i < n; i++) {
		if (total > 0)
			out_j[i] =
				thread_cpu_ns[i] > 0 ? proc_dram_j * (thread_cpu_ns[i] / total) : 0;
		else
			out_j[i] = proc_dram_j / n;
	}
}
