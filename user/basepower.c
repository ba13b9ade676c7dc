// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "baseline.h"
#include "basepower.h"
#include "session.h"

struct acc {
	double dt, pkg[ENERGAT_MAX_SOCKETS], dram[ENERGAT_MAX_SOCKETS];
	double cpu[ENERGAT_MAX_SOCKETS], mem[ENERGAT_MAX_SOCKETS]; /* time-weighted % */
	int nr_sockets;
	const char *meter;
};

static int accumulate(void *ctx, const struct interval_result *r)
{
	struct acc *a = ctx;
	int s;

	a->nr_sockets = r->nr_sockets;
	a->meter = r->meter;
	a->dt += r->dt_sec;
	for (s = 0; s < r->nr_sockets; s++) {
		a->pkg[s] += r->energy.total_pkg[s];
		a->dram[s] += r->energy.total_dram[s];
		a->cpu[s] += r->cpu_percent[s] * r->dt_sec;
		a->mem[s] += r->mem_percent[s] * r->dt_sec;
	}
	return 0;
}

int run_basepower(const struct options *o, volatile sig_atomic_t *stop)
{
	struct options m = *o;
	struct session *s = NULL;
	struct baseline b = { 0 };
	struct acc a = { 0 };
	char err[512];
	int ret, i, busy = 0;

	m.duration = o->base_period;
	m.interval = fmin(o->interval, o->base_period);
	ret = session_open(&m, &s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err);
		return 1;
	}
	fprintf(stderr,
		"energat-bpf: measuring baseline power for %.1f s with meter=%s; keep the machine idle\n",
		o->base_period, session_meter_name(s));
	session_add_sink(s, accumulate, &a);
	while ((ret = session_step(s, stop)) > 0)
		;
	session_close(s);
	if (ret < 0 || a.dt <= 0) {
		fprintf(stderr, "energat-bpf: baseline measurement failed: %s\n",
			ret < 0 ? strerror(-ret) : "no interval completed");
		return 1;
	}
	if (*stop && a.dt < 0.9 * o->base_period) {
		fprintf(stderr, "energat-bpf: interrupted after %.1f s: baseline not written\n",
			a.dt);
		return 1;
	}
	b.nr_sockets = a.nr_sockets;
	snprintf(b.meter, sizeof(b.meter), "%s", a.meter);
	b.period_sec = a.dt;
	b.timestamp = (double)time(NULL);
	gethostname(b.host, sizeof(b.host) - 1);
	for (i = 0; i < a.nr_sockets; i++) {
		b.pkg_base_w[i] = a.pkg[i] / a.dt;
		b.dram_base_w[i] = a.dram[i] / a.dt;
		b.pkg_base_percent[i] = a.cpu[i] / a.dt;
		b.dram_base_percent[i] = a.mem[i] / a.dt;
		busy |= b.pkg_base_percent[i] > BASEPOWER_BUSY_PERCENT;
		fprintf(stderr,
			"  socket %d: package %.3f W, DRAM %.3f W, CPU %.1f%% busy, memory %.1f%% used\n",
			i, b.pkg_base_w[i], b.dram_base_w[i], b.pkg_base_percent[i],
			b.dram_base_percent[i]);
	}
	if (busy)
		fprintf(stderr,
			"energat-bpf: warning: the machine was busy (> %.0f%% CPU) during the "
			"measurement: the baseline is too high; measure again when idle\n",
			BASEPOWER_BUSY_PERCENT);
	ret = baseline_save(o->basefile, &b);
	if (ret) {
		fprintf(stderr, "energat-bpf: failed to write %s: %s\n", o->basefile,
			strerror(-ret));
		return 1;
	}
	fprintf(stderr, "energat-bpf: baseline written to %s (meter=%s)\n", o->basefile, b.meter);
	return 0;
}
