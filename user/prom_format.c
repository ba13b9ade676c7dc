// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Exporter state and the Prometheus text exposition (pure, see prom_format.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "model.h"
#include "prom_format.h"

static const char *const zone_name[PROM_NR_ZONES] = { "package", "dram" };
static const char *const kind_name[PROM_NR_KINDS] = { "total", "baseline", "dynamic" };

void prom_config_default(struct prom_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->min_share = PROM_DEFAULT_MIN_SHARE;
	cfg->expire_sec = PROM_DEFAULT_EXPIRE_SEC;
	cfg->max_processes = PROM_DEFAULT_MAX_PROCESSES;
	cfg->gamma = MODEL_DEFAULT_GAMMA;
	cfg->baseline = PROM_BASELINE_ZERO;
}

void prom_state_init(struct prom_state *st, const struct prom_config *cfg)
{
	struct prom_config def;

	prom_config_default(&def);
	memset(st, 0, sizeof(*st));
	st->cfg = cfg ? *cfg : def;
	/* Written as negations so NaN fails them too. */
	if (!(st->cfg.min_share >= 0 && st->cfg.min_share <= 1))
		st->cfg.min_share = def.min_share;
	if (!(st->cfg.expire_sec >= 0 && st->cfg.expire_sec < INFINITY))
		st->cfg.expire_sec = def.expire_sec;
	if (st->cfg.max_processes < 0)
		st->cfg.max_processes = def.max_processes;
	if (!(st->cfg.gamma > 0 && st->cfg.gamma < INFINITY))
		st->cfg.gamma = def.gamma;
}

void prom_state_free(struct prom_state *st)
{
	free(st->procs);
	st->procs = NULL;
	st->nr_procs = st->cap_procs = st->nr_exposed = 0;
}

/* ---- processes ---------------------------------------------------------- */

static size_t proc_lower_bound(const struct prom_state *st, int pid)
{
	size_t lo = 0, hi = st->nr_procs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void comm_copy(char *dst, const char *src)
{
	size_t n = strnlen(src, ENERGAT_COMM_LEN - 1);

	memcpy(dst, src, n);
	memset(dst + n, 0, ENERGAT_COMM_LEN - n);
}

static int comm_equal(const char *a, const char *b)
{
	return !strncmp(a, b, ENERGAT_COMM_LEN - 1);
}

/* Forget a process's series: a new label set (or a new process) starts from zero. */
static void proc_restart(struct prom_state *st, struct prom_proc *p)
{
	if (p->exposed)
		st->nr_exposed--;
	p->exposed = 0;
	p->exited = 0;
	p->exited_at = 0;
	memset(p->pkg_j, 0, sizeof(p->pkg_j));
	memset(p->dram_j, 0, sizeof(p->dram_j));
	memset(p->cpu_sec, 0, sizeof(p->cpu_sec));
}

static void proc_name(struct prom_proc *p, const struct thread_result *t, prom_comm_fn comm,
		      void *ctx)
{
	char buf[64];

	if (comm && !comm(p->pid, buf, sizeof(buf), ctx))
		comm_copy(p->comm, buf);
	else
		comm_copy(p->comm, t->comm);
}

static struct prom_proc *proc_get(struct prom_state *st, const struct thread_result *t,
				  prom_comm_fn comm, void *ctx)
{
	size_t i = proc_lower_bound(st, (int)t->pid);
	struct prom_proc *p;

	if (i < st->nr_procs && st->procs[i].pid == (int)t->pid) {
		p = &st->procs[i];
		/* Seen again after its exit was booked: the PID was reused. */
		if (p->exited && !p->iv_seen) {
			proc_restart(st, p);
			proc_name(p, t, comm, ctx);
		}
		return p;
	}
	if (st->nr_procs == st->cap_procs) {
		size_t cap = st->cap_procs ? st->cap_procs * 2 : 64;
		void *v = realloc(st->procs, cap * sizeof(*st->procs));

		if (!v)
			return NULL;
		st->procs = v;
		st->cap_procs = cap;
	}
	memmove(&st->procs[i + 1], &st->procs[i], (st->nr_procs - i) * sizeof(*st->procs));
	st->nr_procs++;
	p = &st->procs[i];
	memset(p, 0, sizeof(*p));
	p->pid = (int)t->pid;
	proc_name(p, t, comm, ctx);
	return p;
}

/* total_j: the interval's package energy, what the folding share is a share of. */
static void book_process(struct prom_state *st, struct prom_proc *p,
			 const struct interval_result *r, double total_j)
{
	double pkg[ENERGAT_MAX_SOCKETS], prop = 0;
	int s;

	/* The main thread ran under another name: exec, so a new label set. */
	if (p->iv_leader && !comm_equal(p->comm, p->iv_leader_comm)) {
		if (p->exposed)
			proc_restart(st, p);
		comm_copy(p->comm, p->iv_leader_comm);
	}
	for (s = 0; s < r->nr_sockets; s++) {
		double f = model_cpu_frac(p->iv_cpu_ns[s], r->host_busy_ns[s]);

		pkg[s] = r->energy.dyn_pkg[s] * model_credit(f, st->cfg.gamma);
		prop += r->energy.dyn_pkg[s] * f;
	}
	if (!p->exposed && total_j > 0 && prop / total_j >= st->cfg.min_share &&
	    st->nr_exposed < (size_t)st->cfg.max_processes) {
		p->exposed = 1;
		st->nr_exposed++;
	}
	for (s = 0; s < r->nr_sockets; s++) {
		double cpu = p->iv_cpu_ns[s] / 1e9;

		if (p->exposed) {
			p->pkg_j[s] += pkg[s];
			p->dram_j[s] += p->iv_dram_j[s];
			p->cpu_sec[s] += cpu;
		} else {
			st->other_j[s][PROM_ZONE_PKG] += pkg[s];
			st->other_j[s][PROM_ZONE_DRAM] += p->iv_dram_j[s];
			st->other_cpu_sec[s] += cpu;
		}
	}
	p->last_seen = r->time;
	if (p->iv_leader_exited && !p->exited) {
		p->exited = 1;
		p->exited_at = r->time;
	}
}

static int book_threads(struct prom_state *st, const struct interval_result *r, prom_comm_fn comm,
			void *ctx)
{
	double total_j = 0;
	size_t i;
	int s, ret = 0;

	for (i = 0; i < st->nr_procs; i++) {
		struct prom_proc *p = &st->procs[i];

		memset(p->iv_cpu_ns, 0, sizeof(p->iv_cpu_ns));
		memset(p->iv_dram_j, 0, sizeof(p->iv_dram_j));
		p->iv_seen = p->iv_leader = p->iv_leader_exited = 0;
	}
	for (i = 0; i < r->nr_threads; i++) {
		const struct thread_result *t = &r->threads[i];
		struct prom_proc *p;

		if (t->is_tracer)
			continue;
		p = proc_get(st, t, comm, ctx);
		if (!p) {
			ret = -ENOMEM;
			continue;
		}
		p->iv_seen = 1;
		for (s = 0; s < r->nr_sockets; s++) {
			p->iv_cpu_ns[s] += t->cpu_ns[s];
			p->iv_dram_j[s] += t->dram_j[s];
		}
		if (t->tid == t->pid) {
			p->iv_leader = 1;
			p->iv_leader_exited = t->exited;
			comm_copy(p->iv_leader_comm, t->comm);
		}
	}
	for (s = 0; s < r->nr_sockets; s++)
		total_j += r->energy.total_pkg[s];
	for (i = 0; i < st->nr_procs; i++)
		if (st->procs[i].iv_seen)
			book_process(st, &st->procs[i], r, total_j);
	return ret;
}

int prom_state_update(struct prom_state *st, const struct interval_result *r, prom_comm_fn comm,
		      void *ctx)
{
	const struct model_energy *e = &r->energy;
	int s;

	if (r->nr_sockets < 1 || r->nr_sockets > ENERGAT_MAX_SOCKETS ||
	    (st->nr_sockets && r->nr_sockets != st->nr_sockets) || (r->nr_threads && !r->threads))
		return -EINVAL;
	st->nr_sockets = r->nr_sockets;
	snprintf(st->meter, sizeof(st->meter), "%s", r->meter ? r->meter : "unknown");
	st->estimated = r->estimated;
	st->intervals++;
	st->anomalies += r->meter_anomalies != 0;
	st->last_time = r->time;
	st->last_dt = r->dt_sec;
	st->rb_drops = r->rb_drops;
	st->map_full = r->map_full;
	st->targets_full = r->targets_full;
	for (s = 0; s < r->nr_sockets; s++) {
		double(*j)[PROM_NR_KINDS] = st->socket_j[s];

		st->has_dram[s] |= r->has_dram[s];
		j[PROM_ZONE_PKG][PROM_KIND_TOTAL] += e->total_pkg[s];
		j[PROM_ZONE_PKG][PROM_KIND_BASE] += e->base_pkg[s];
		j[PROM_ZONE_PKG][PROM_KIND_DYN] += e->dyn_pkg[s];
		j[PROM_ZONE_DRAM][PROM_KIND_TOTAL] += e->total_dram[s];
		j[PROM_ZONE_DRAM][PROM_KIND_BASE] += e->base_dram[s];
		j[PROM_ZONE_DRAM][PROM_KIND_DYN] += e->dyn_dram[s];
		st->socket_busy_sec[s] += r->host_busy_ns[s] / 1e9;
		st->tracer_j[s][PROM_ZONE_PKG] += r->tracer.pkg_j[s];
		st->tracer_j[s][PROM_ZONE_DRAM] += r->tracer.dram_j[s];
		st->tracer_cpu_sec[s] += r->tracer_cpu_ns[s] / 1e9;
		st->target_j[s][PROM_ZONE_PKG] += r->target.pkg_j[s];
		st->target_j[s][PROM_ZONE_DRAM] += r->target.dram_j[s];
		st->target_cpu_sec[s] += r->target_cpu_ns[s] / 1e9;
	}
	return book_threads(st, r, comm, ctx);
}

static int expired(const struct prom_state *st, const struct prom_proc *p, double now,
		   prom_alive_fn alive, void *ctx)
{
	double ttl = st->cfg.expire_sec;

	if (p->exited)
		return !p->exposed || now - p->exited_at >= ttl;
	if (now - p->last_seen < ttl)
		return 0;
	/* Quiet for a while: folded ones cost nothing to forget, exposed ones only when gone. */
	return !p->exposed || (alive && !alive(p->pid, ctx));
}

void prom_state_expire(struct prom_state *st, double now, prom_alive_fn alive, void *ctx)
{
	size_t i, n = 0;

	for (i = 0; i < st->nr_procs; i++) {
		struct prom_proc *p = &st->procs[i];

		if (expired(st, p, now, alive, ctx)) {
			if (p->exposed)
				st->nr_exposed--;
			continue;
		}
		if (n != i)
			st->procs[n] = *p;
		n++;
	}
	st->nr_procs = n;
}

/* ---- text --------------------------------------------------------------- */

void prom_buf_reset(struct prom_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

void prom_buf_free(struct prom_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int buf_grow(struct prom_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->err)
		return b->err;
	if (b->len + more + 1 <= b->cap)
		return 0;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return b->err = -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void buf_put(struct prom_buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct prom_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int prom_escape_label(const char *in, size_t inlen, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < inlen) {
		const char *rep = NULL;
		size_t n = 1, k;

		if (s[i] == '\\')
			rep = "\\\\";
		else if (s[i] == '"')
			rep = "\\\"";
		else if (s[i] == '\n')
			rep = "\\n";
		else if (!(n = utf8_len(s + i, inlen - i)))
			rep = "\xef\xbf\xbd", n = 1; /* U+FFFD for a byte that is not UTF-8 */
		k = rep ? strlen(rep) : n;
		if (o + k >= outlen)
			return -ENOSPC;
		memcpy(out + o, rep ? rep : in + i, k);
		o += k;
		i += n;
	}
	if (o >= outlen)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}

int prom_format_value(double v, char *buf, size_t len)
{
	int n;

	if (isnan(v))
		n = snprintf(buf, len, "NaN");
	else if (isinf(v))
		n = snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else
		return csv_format_double(v, buf, len);
	return n >= 0 && (size_t)n < len ? n : -ENOSPC;
}

struct label {
	const char *name, *value;
	size_t len; /* of value; 0: strlen */
};

static void put_sample(struct prom_buf *b, const char *name, const struct label *l, int n, double v)
{
	char tmp[4 * 64 + 8], num[48];
	int i, k;

	buf_puts(b, name);
	for (i = 0; i < n; i++) {
		size_t len = l[i].len ? l[i].len : strlen(l[i].value);

		buf_puts(b, i ? "," : "{");
		buf_puts(b, l[i].name);
		buf_puts(b, "=\"");
		/* Label values here are short (a comm is at most 15 bytes). */
		k = prom_escape_label(l[i].value, len, tmp, sizeof(tmp));
		buf_puts(b, k < 0 ? "" : tmp);
		buf_puts(b, "\"");
	}
	if (n)
		buf_puts(b, "}");
	if (prom_format_value(v, num, sizeof(num)) < 0)
		snprintf(num, sizeof(num), "NaN");
	buf_puts(b, " ");
	buf_puts(b, num);
	buf_puts(b, "\n");
}

static void put_family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
	buf_puts(b, "# HELP ");
	buf_puts(b, name);
	buf_puts(b, " ");
	buf_puts(b, help); /* constant text: no backslash or newline to escape */
	buf_puts(b, "\n# TYPE ");
	buf_puts(b, name);
	buf_puts(b, " ");
	buf_puts(b, type);
	buf_puts(b, "\n");
}

#define ESTIMATED_NOTE                                                                      \
	"With meter=\"model\" (no energy counters on this machine) every joule here is an " \
	"estimate, not a measurement."

static int zone_present(const struct prom_state *st, int s, int z)
{
	return z == PROM_ZONE_PKG || st->has_dram[s];
}

/* energat_X_energy_joules_total{socket,zone,meter} and energat_X_cpu_seconds_total{socket}. */
static void put_socket_pair(struct prom_buf *b, const struct prom_state *st, const char *what,
			    const char *energy_help, const char *cpu_help,
			    const double (*j)[PROM_NR_ZONES], const double *cpu)
{
	char name[96], sock[16];
	int s, z;

	snprintf(name, sizeof(name), "energat_%s_energy_joules_total", what);
	put_family(b, name, "counter", energy_help);
	for (s = 0; s < st->nr_sockets; s++) {
		snprintf(sock, sizeof(sock), "%d", s);
		for (z = 0; z < PROM_NR_ZONES; z++) {
			struct label l[] = { { "socket", sock, 0 },
					     { "zone", zone_name[z], 0 },
					     { "meter", st->meter, 0 } };

			if (zone_present(st, s, z))
				put_sample(b, name, l, 3, j[s][z]);
		}
	}
	snprintf(name, sizeof(name), "energat_%s_cpu_seconds_total", what);
	put_family(b, name, "counter", cpu_help);
	for (s = 0; s < st->nr_sockets; s++) {
		struct label l[] = { { "socket", sock, 0 } };

		snprintf(sock, sizeof(sock), "%d", s);
		put_sample(b, name, l, 1, cpu[s]);
	}
}

static void put_info(struct prom_buf *b, const struct prom_state *st)
{
	char v[32];

	if (st->cfg.version) {
		struct label l[] = { { "version", st->cfg.version, 0 } };

		put_family(b, "energat_build_info", "gauge", "Version of energat-bpf, always 1.");
		put_sample(b, "energat_build_info", l, 1, 1);
	}
	put_family(b, "energat_meter_info", "gauge",
		   "The energy meter in use, always 1 (absent before the first interval). "
		   "estimated=\"1\" with meter=\"model\": no energy counters here, energy is "
		   "estimated from CPU and memory use.");
	if (st->intervals) {
		struct label l[] = { { "meter", st->meter, 0 },
				     { "estimated", st->estimated ? "1" : "0", 0 } };

		put_sample(b, "energat_meter_info", l, 2, 1);
	}
	{
		struct label l[] = {
			{ "baseline", st->cfg.baseline == PROM_BASELINE_FILE ? "file" : "zero", 0 }
		};

		put_family(
			b, "energat_baseline_info", "gauge",
			"Baseline (static) power in use, always 1. baseline=\"zero\": P_base = 0 "
			"(the exporter and top run without a baseline file, or --no-baseline), "
			"so kind=\"baseline\" is 0 and all energy counts as dynamic; "
			"baseline=\"file\": from the --basepower measurement.");
		put_sample(b, "energat_baseline_info", l, 1, 1);
	}
	{
		struct label l[] = { { "gamma", v, 0 } };

		prom_format_value(st->cfg.gamma, v, sizeof(v));
		put_family(b, "energat_model_info", "gauge",
			   "Parameters of the attribution model, always 1: gamma is the CPU "
			   "credit exponent (process package energy = dynamic energy x CPU "
			   "share^gamma).");
		put_sample(b, "energat_model_info", l, 1, 1);
	}
	put_family(b, "energat_sockets", "gauge", "CPU sockets (packages) measured.");
	put_sample(b, "energat_sockets", NULL, 0, st->nr_sockets);
	put_family(b, "energat_intervals_total", "counter", "Measurement intervals completed.");
	put_sample(b, "energat_intervals_total", NULL, 0, (double)st->intervals);
	put_family(b, "energat_last_interval_seconds", "gauge",
		   "Length of the last measurement interval.");
	put_sample(b, "energat_last_interval_seconds", NULL, 0, st->last_dt);
	put_family(b, "energat_last_interval_timestamp_seconds", "gauge",
		   "Wall-clock time (Unix epoch) at the end of the last interval.");
	put_sample(b, "energat_last_interval_timestamp_seconds", NULL, 0, st->last_time);
	put_family(b, "energat_meter_anomalies_total", "counter",
		   "Intervals whose energy was not booked: a counter was unreadable or "
		   "implausible.");
	put_sample(b, "energat_meter_anomalies_total", NULL, 0, (double)st->anomalies);
}

static void put_sockets(struct prom_buf *b, const struct prom_state *st)
{
	static const char name[] = "energat_socket_energy_joules_total";
	char sock[16];
	int s, z, k;

	put_family(b, name, "counter",
		   "Energy of each socket and zone (package, dram) since start: kind=\"total\" "
		   "as metered, \"baseline\" = baseline power x time, \"dynamic\" = max(0, total "
		   "- baseline). " ESTIMATED_NOTE);
	for (s = 0; s < st->nr_sockets; s++) {
		snprintf(sock, sizeof(sock), "%d", s);
		for (z = 0; z < PROM_NR_ZONES; z++) {
			for (k = 0; k < PROM_NR_KINDS && zone_present(st, s, z); k++) {
				struct label l[] = { { "socket", sock, 0 },
						     { "zone", zone_name[z], 0 },
						     { "kind", kind_name[k], 0 },
						     { "meter", st->meter, 0 } };

				put_sample(b, name, l, 4, st->socket_j[s][z][k]);
			}
		}
	}
	put_family(b, "energat_socket_busy_cpu_seconds_total", "counter",
		   "CPU time spent running any task but the idle task on the socket's CPUs "
		   "(H in the model), measured in the kernel.");
	for (s = 0; s < st->nr_sockets; s++) {
		struct label l[] = { { "socket", sock, 0 } };

		snprintf(sock, sizeof(sock), "%d", s);
		put_sample(b, "energat_socket_busy_cpu_seconds_total", l, 1,
			   st->socket_busy_sec[s]);
	}
}

static void put_processes(struct prom_buf *b, const struct prom_state *st)
{
	static const char energy[] = "energat_process_energy_joules_total";
	static const char cpu[] = "energat_process_cpu_seconds_total";
	char sock[16], pid[16];
	size_t i;
	int s, z;

	put_family(
		b, energy, "counter",
		"Energy ascribed to a process (its threads; energat-bpf's own are apart): "
		"zone=\"package\" = dynamic package energy x (its CPU time / the socket's "
		"busy time)^gamma, zone=\"dram\" = dynamic DRAM energy x (its memory "
		"share)^delta (system-wide: memory from its resident size, spread over "
		"sockets by CPU time). With gamma < 1 the credit is "
		"concave and processes' energy does not add up to the socket's. Processes "
		"whose CPU-proportional share of an interval's package energy stays below "
		"the threshold (ENERGAT_PROM_MIN_SHARE) are summed in comm=\"other\" "
		"(pid=\"\"); exited ones are dropped after ENERGAT_PROM_EXPIRE_SEC. " ESTIMATED_NOTE);
	for (i = 0; i <= st->nr_procs; i++) {
		const struct prom_proc *p = i < st->nr_procs ? &st->procs[i] : NULL;

		if (p && !p->exposed)
			continue;
		if (p)
			snprintf(pid, sizeof(pid), "%d", p->pid);
		for (s = 0; s < st->nr_sockets; s++) {
			snprintf(sock, sizeof(sock), "%d", s);
			for (z = 0; z < PROM_NR_ZONES; z++) {
				struct label l[] = {
					{ "pid", p ? pid : "", 0 },
					{ "comm", p ? p->comm : "other",
					  p ? strnlen(p->comm, ENERGAT_COMM_LEN) : 0 },
					{ "socket", sock, 0 },
					{ "zone", zone_name[z], 0 },
					{ "meter", st->meter, 0 },
				};

				if (!zone_present(st, s, z))
					continue;
				/* An empty comm would read as an absent label. */
				if (p && !p->comm[0])
					l[1].value = "?", l[1].len = 0;
				put_sample(b, energy, l, 5,
					   p ? (z ? p->dram_j[s] : p->pkg_j[s]) :
					       st->other_j[s][z]);
			}
		}
	}
	put_family(b, cpu, "counter",
		   "On-CPU time of a process's threads per socket, measured in the kernel "
		   "(comm=\"other\": the folded processes).");
	for (i = 0; i <= st->nr_procs; i++) {
		const struct prom_proc *p = i < st->nr_procs ? &st->procs[i] : NULL;

		if (p && !p->exposed)
			continue;
		if (p)
			snprintf(pid, sizeof(pid), "%d", p->pid);
		for (s = 0; s < st->nr_sockets; s++) {
			struct label l[] = {
				{ "pid", p ? pid : "", 0 },
				{ "comm", p ? (p->comm[0] ? p->comm : "?") : "other",
				  p && p->comm[0] ? strnlen(p->comm, ENERGAT_COMM_LEN) : 0 },
				{ "socket", sock, 0 },
			};

			snprintf(sock, sizeof(sock), "%d", s);
			put_sample(b, cpu, l, 3, p ? p->cpu_sec[s] : st->other_cpu_sec[s]);
		}
	}
	{
		struct label shown[] = { { "state", "exposed", 0 } },
			     folded[] = { { "state", "folded", 0 } };

		put_family(b, "energat_processes", "gauge",
			   "Processes remembered: state=\"exposed\" have series of their own, "
			   "\"folded\" count in comm=\"other\".");
		put_sample(b, "energat_processes", shown, 1, (double)st->nr_exposed);
		put_sample(b, "energat_processes", folded, 1,
			   (double)(st->nr_procs - st->nr_exposed));
	}
}

int prom_format(const struct prom_state *st, struct prom_buf *b)
{
	prom_buf_reset(b);
	put_info(b, st);
	put_sockets(b, st);
	put_processes(b, st);
	if (st->cfg.target_mode)
		put_socket_pair(b, st, "target",
				"Energy ascribed to the traced target (--pid or -- CMD: the "
				"process, its threads and descendants) by the model, as in the "
				"CSV's ascribed columns. " ESTIMATED_NOTE,
				"On-CPU time of the traced target per socket.",
				(const double(*)[PROM_NR_ZONES])st->target_j, st->target_cpu_sec);
	put_socket_pair(b, st, "tracer",
			"Energy ascribed to energat-bpf itself (model.md 4.5), never part of a "
			"process's. " ESTIMATED_NOTE,
			"On-CPU time of energat-bpf's own threads per socket.",
			(const double(*)[PROM_NR_ZONES])st->tracer_j, st->tracer_cpu_sec);
	put_family(b, "energat_ringbuf_drops_total", "counter",
		   "Exit records lost because the BPF ring buffer was full.");
	put_sample(b, "energat_ringbuf_drops_total", NULL, 0, (double)st->rb_drops);
	put_family(b, "energat_thread_map_full_total", "counter",
		   "Thread switches not recorded because the BPF threads map was full.");
	put_sample(b, "energat_thread_map_full_total", NULL, 0, (double)st->map_full);
	put_family(b, "energat_target_set_full_total", "counter",
		   "Child processes not followed because the BPF target set was full.");
	put_sample(b, "energat_target_set_full_total", NULL, 0, (double)st->targets_full);
	return b->err;
}
