// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * model meter, for machines without energy counters (VMs): per socket
 * P_pkg = idle + (max - idle) * busy_frac and P_dram = idle + (max - idle) *
 * mem_used_frac, joules = P * dt. Estimates only: output says meter=model.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "errmsg.h"
#include "meter.h"
#include "topology.h"

static double clamp01(double v)
{
	if (!(v > 0)) /* also NaN */
		return 0;
	return v > 1 ? 1 : v;
}

static int model_open(struct meter *m, char *why, size_t whylen)
{
	int s;

	m->nr_sockets = m->o.topo ? m->o.topo->nr_sockets : 1;
	if (m->nr_sockets < 1 || m->nr_sockets > ENERGAT_MAX_SOCKETS) {
		errmsg_set(why, whylen, "model: bad socket count %d", m->nr_sockets);
		return -EINVAL;
	}
	if (m->o.model_pkg_idle_w > m->o.model_pkg_max_w ||
	    m->o.model_dram_idle_w > m->o.model_dram_max_w) {
		errmsg_set(why, whylen, "model: idle watts above max watts");
		return -EINVAL;
	}
	for (s = 0; s < m->nr_sockets; s++) {
		m->present[ZONE_PKG][s] = 1;
		m->present[ZONE_DRAM][s] = 1;
	}
	errmsg_set(
		why, whylen,
		"model: estimates from CPU busy time and memory use (%.0f-%.0f W package, %.0f-%.0f W dram per socket)",
		m->o.model_pkg_idle_w, m->o.model_pkg_max_w, m->o.model_dram_idle_w,
		m->o.model_dram_max_w);
	return 0;
}

static int model_read(struct meter *m, const struct meter_input *in, struct meter_energy *e)
{
	const struct meter_opts *o = &m->o;
	int s;

	if (!in || !isfinite(in->dt_sec) || in->dt_sec < 0)
		return -EINVAL;
	for (s = 0; s < m->nr_sockets; s++) {
		double busy = clamp01(in->busy_frac[s]), mem = clamp01(in->mem_used_frac[s]);

		e->j[ZONE_PKG][s] =
			(o->model_pkg_idle_w + (o->model_pkg_max_w - o->model_pkg_idle_w) * busy) *
			in->dt_sec;
		e->j[ZONE_DRAM][s] = (o->model_dram_idle_w +
				      (o->model_dram_max_w - o->model_dram_idle_w) * mem) *
				     in->dt_sec;
	}
	return 0;
}

static void model_describe(const struct meter *m, FILE *f)
{
	const struct meter_opts *o = &m->o;

	fprintf(f,
		"  no energy counters: estimated per socket from busy CPU fraction and used memory\n");
	fprintf(f,
		"  package %.1f W idle .. %.1f W busy, dram %.1f W .. %.1f W (rough estimates)\n",
		o->model_pkg_idle_w, o->model_pkg_max_w, o->model_dram_idle_w, o->model_dram_max_w);
}

static void model_close(struct meter *m)
{
	(void)m;
}

const struct meter_ops meter_model_ops = {
	.name = "model",
	.open = model_open,
	.read = model_read,
	.describe = model_describe,
	.close = model_close,
};
