// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "baseline.h"
#include "check.h"
#include "meter.h"
#include "procfs_read.h"
#include "topology.h"
#include "tracer.h"

static int failures;

static void item(FILE *f, int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void item(FILE *f, int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "%-5s %-12s ", ok ? "ok" : "FAIL", what);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	failures += !ok;
}

struct host_cpu {
	const struct topology *t;
	double sec[ENERGAT_MAX_SOCKETS];
	long hz;
};

static int add_cpu_time(int cpu, const unsigned long long v[8], void *ctx)
{
	struct host_cpu *h = ctx;

	if (cpu < ENERGAT_MAX_CPUS && h->t->cpu_socket[cpu] >= 0)
		/* user nice system [idle iowait] irq softirq steal */
		h->sec[h->t->cpu_socket[cpu]] +=
			(double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / h->hz;
	return 0;
}

/* Host CPU seconds per socket since boot, from PROCFS/stat (what the prototype printed). */
static void host_cpu_time(const struct options *o, const struct topology *t, FILE *f)
{
	struct host_cpu h = { .t = t, .hz = sysconf(_SC_CLK_TCK) };
	int s;

	if (proc_stat_cpus(o->procfs_root, add_cpu_time, &h))
		return;
	for (s = 0; s < t->nr_sockets; s++)
		fprintf(f, "      socket %d: %d CPUs, host CPU time since boot %.1f s\n", s,
			t->socket_nr_cpus[s], h.sec[s]);
}

static void memory(const struct options *o, const struct topology *t, FILE *f)
{
	struct node_meminfo m;
	int i;

	for (i = 0; i < t->nr_nodes; i++) {
		int ret = t->has_numa ? node_meminfo_read(o->sysfs_root, t->node_id[i], &m) :
					system_meminfo_read(o->procfs_root, &m);

		if (ret)
			item(f, 0, "memory", "node %d: cannot read meminfo: %s", t->node_id[i],
			     strerror(-ret));
		else
			fprintf(f, "      node %d (socket %d): %.1f GiB total, %.1f GiB used\n",
				t->node_id[i], t->node_socket[i], m.total / 1073741824.0,
				m.used / 1073741824.0);
	}
}

static int check_meter(const struct options *o, const struct topology *t, FILE *f)
{
	struct meter_opts mo = { .sysfs_root = o->sysfs_root,
				 .proc_root = o->procfs_root,
				 .topo = t };
	struct meter *m = NULL;
	char why[1024] = "";
	int ret;

	ret = meter_open(o->meter, &mo, &m, why, sizeof(why));
	if (ret) {
		item(f, 0, "meter", "%s%s: %s", o->meter ? o->meter : "auto",
		     o->meter ? " (forced)" : "", why);
		return 0;
	}
	if (meter_is_fallback(m))
		item(f, 1, "meter", "model (estimated, no energy counters): %s", why);
	else
		item(f, 1, "meter", "%s: %s", meter_name(m), why);
	if (meter_nr_sockets(m) != t->nr_sockets)
		item(f, 0, "meter", "%d socket(s) metered but %d in the topology",
		     meter_nr_sockets(m), t->nr_sockets);
	meter_describe(m, f);
	meter_close(m);
	return 1;
}

static void check_kernel(const struct options *o, const struct topology *t, FILE *f)
{
	struct tracer_opts to = { .topo = t,
				  .btf_path = o->btf_path,
				  .procfs_root = o->procfs_root };
	struct btf *btf = btf__load_vmlinux_btf();
	struct tracer *tr = NULL;
	char err[512] = "";
	int ret, tp_btf = 0;

	if (btf)
		tp_btf =
			btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) > 0;
	if (o->btf_path)
		item(f, access(o->btf_path, R_OK) == 0, "btf", "%s (--btf)", o->btf_path);
	else
		item(f, btf != NULL, "btf", "%s",
		     btf ? "/sys/kernel/btf/vmlinux" :
			   "no kernel BTF: this kernel lacks CONFIG_DEBUG_INFO_BTF; give one with --btf FILE");
	btf__free(btf);
	fprintf(f, "      tracepoints: sched_switch via %s\n",
		tp_btf ? "tp_btf (raw_tp fallback available)" : "raw_tp");
	item(f, geteuid() == 0, "privileges", "%s",
	     geteuid() == 0 ? "root" : "not root: run with sudo (or CAP_BPF + CAP_PERFMON)");

	/* The definitive test: load and attach the real programs, then detach. */
	ret = tracer_open(&to, &tr, err, sizeof(err));
	if (ret)
		item(f, 0, "bpf", "%s", err);
	else
		item(f, 1, "bpf",
		     "programs load and attach (%s; CPU busy/idle from the %s; listing: %s)",
		     tracer_flavour(tr), tracer_cpu_clock(tr), tracer_listing(tr));
	tracer_close(tr);
}

static void check_baseline(const struct options *o, const struct topology *t, FILE *f)
{
	struct baseline b;
	char err[256];
	int ret = baseline_load(o->basefile, &b, err, sizeof(err));

	/* Not fatal: --no-baseline, top and the exporter run without one. */
	if (ret == -ENOENT)
		fprintf(f,
			"info  %-12s %s missing: create it with 'sudo energat-bpf --basepower' "
			"on an idle machine\n",
			"baseline", o->basefile);
	else if (ret)
		item(f, 0, "baseline", "%s: %s", o->basefile, err);
	else if (b.nr_sockets != t->nr_sockets)
		item(f, 0, "baseline", "%s has %d socket(s), this machine %d: measure again",
		     o->basefile, b.nr_sockets, t->nr_sockets);
	else
		item(f, 1, "baseline", "%s (meter %s)", o->basefile, b.meter[0] ? b.meter : "?");
}

int run_check(const struct options *o, FILE *f)
{
	struct topology t;
	int ret;

	failures = 0;
	ret = topology_read(o->sysfs_root, &t);
	if (ret) {
		item(f, 0, "topology", "cannot read CPUs under %s/devices/system: %s",
		     o->sysfs_root, strerror(-ret));
		fprintf(f, "tracing cannot work here: %d problem(s)\n", failures);
		return 1;
	}
	item(f, 1, "topology", "%d socket(s), %d NUMA node(s), %d online CPU(s) (%s)", t.nr_sockets,
	     t.nr_nodes, t.nr_cpus, o->sysfs_root);
	host_cpu_time(o, &t, f);
	memory(o, &t, f);
	check_meter(o, &t, f);
	check_kernel(o, &t, f);
	check_baseline(o, &t, f);
	if (failures) {
		fprintf(f, "tracing cannot work here: %d problem(s)\n", failures);
		return 1;
	}
	fprintf(f, "tracing can work here\n");
	return 0;
}
