// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "model.h"
#include "top_model.h"
#include "vec.h"

#define MAP_MIN_CAP 64
#define CGROUP_PURGE_EVERY 64 /* intervals between sweeps of idle cgroup entries */
#define DEFAULT_CGROUP_IDLE_MAX 3600
#define UNKNOWN_CGROUP "?"

/* ---- the map ---- */

static __u64 mix64(__u64 x)
{
	/* splitmix64's finaliser: tids and pids are dense, spread them. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

__u64 top_hash_name(const char *name)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

	while (*name) {
		h ^= (unsigned char)*name++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int same_name(const struct top_map_entry *e, const char *name)
{
	if (!name || !e->name)
		return !name && !e->name;
	return !strcmp(e->name, name);
}

struct top_map_entry *top_map_find(const struct top_map *m, __u64 key, const char *name)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = mix64(key) & mask; m->v[i].used; i = (i + 1) & mask)
		if (m->v[i].key == key && same_name(&m->v[i], name))
			return &m->v[i];
	return NULL;
}

static struct top_map_entry *slot_for(struct top_map_entry *v, size_t cap, __u64 key)
{
	size_t mask = cap - 1, i;

	for (i = mix64(key) & mask; v[i].used; i = (i + 1) & mask)
		;
	return &v[i];
}

static int map_resize(struct top_map *m, size_t cap)
{
	struct top_map_entry *v = calloc(cap, sizeof(*v));
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].used)
			*slot_for(v, cap, m->v[i].key) = m->v[i];
	free(m->v);
	m->v = v;
	m->cap = cap;
	return 0;
}

struct top_map_entry *top_map_get(struct top_map *m, __u64 key, const char *name)
{
	struct top_map_entry *e = top_map_find(m, key, name);
	char *copy = NULL;

	if (e)
		return e;
	/* Keep the load at most 1/2: probes stay short. */
	if ((m->len + 1) * 2 > m->cap && map_resize(m, m->cap ? m->cap * 2 : MAP_MIN_CAP))
		return NULL;
	if (name && !(copy = strdup(name)))
		return NULL;
	e = slot_for(m->v, m->cap, key);
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->key = key;
	e->name = copy;
	m->len++;
	return e;
}

void top_map_delete(struct top_map *m, struct top_map_entry *e)
{
	size_t mask = m->cap - 1, i = e - m->v, j = i, k;

	free(e->name);
	free(e->data);
	e->used = 0;
	m->len--;
	/* Backward-shift deletion: pull later members of the probe run into the hole. */
	for (;;) {
		j = (j + 1) & mask;
		if (!m->v[j].used)
			return;
		k = mix64(m->v[j].key) & mask;
		/* The entry at j may move to i unless its home k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->v[i] = m->v[j];
		m->v[j].used = 0;
		i = j;
	}
}

void top_map_free(struct top_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->v[i].used) {
			free(m->v[i].name);
			free(m->v[i].data);
		}
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Keep the entries keep() accepts; the others are freed. */
static void map_filter(struct top_map *m, int (*keep)(const struct top_map_entry *e, void *ctx),
		       void *ctx)
{
	size_t i = 0;

	/* Deleting at i may pull an unvisited entry into i: look at i again. */
	while (i < m->cap) {
		if (m->v[i].used && !keep(&m->v[i], ctx))
			top_map_delete(m, &m->v[i]);
		else
			i++;
	}
}

/* ---- rows ---- */

void top_model_init(struct top_model *m)
{
	memset(m, 0, sizeof(*m));
	m->cgroup_idle_max = DEFAULT_CGROUP_IDLE_MAX;
}

void top_snapshot_free(struct top_snapshot *s)
{
	int v;

	for (v = 0; v < TOP_VIEW__COUNT; v++)
		free(s->rows[v]);
	memset(s, 0, sizeof(*s));
}

void top_model_free(struct top_model *m)
{
	int v;

	top_snapshot_free(&m->cur);
	for (v = 0; v < TOP_VIEW__COUNT; v++)
		top_map_free(&m->cum[v]);
}

static int reserve_rows(struct top_snapshot *s, int v, size_t n)
{
	return vec_fit(&s->rows[v], &s->cap[v], n, sizeof(*s->rows[v]));
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void fill_summary(struct top_summary *s, const struct interval_result *r)
{
	const struct model_energy *e = &r->energy;
	double dt = r->dt_sec > 0 ? r->dt_sec : 0;
	double tracer_ns = 0;
	int sock, n = r->nr_sockets;

	if (n < 0)
		n = 0;
	if (n > ENERGAT_MAX_SOCKETS)
		n = ENERGAT_MAX_SOCKETS;
	s->time = r->time;
	s->dt_sec = dt;
	copy_str(s->meter, sizeof(s->meter), r->meter ? r->meter : "?");
	s->estimated = r->estimated;
	s->meter_anomalies = r->meter_anomalies;
	s->nr_sockets = n;
	s->rb_drops = r->rb_drops;
	s->map_full = r->map_full;
	s->tracer_pkg_w = s->tracer_dram_w = 0;
	memset(s->sock, 0, sizeof(s->sock));
	for (sock = 0; sock < n; sock++) {
		struct top_socket *o = &s->sock[sock];

		if (dt > 0) {
			o->pkg_w = e->total_pkg[sock] / dt;
			o->pkg_base_w = e->base_pkg[sock] / dt;
			o->pkg_dyn_w = e->dyn_pkg[sock] / dt;
			o->dram_w = e->total_dram[sock] / dt;
			o->dram_base_w = e->base_dram[sock] / dt;
			o->dram_dyn_w = e->dyn_dram[sock] / dt;
			s->tracer_pkg_w += r->tracer.pkg_j[sock] / dt;
			s->tracer_dram_w += r->tracer.dram_j[sock] / dt;
		}
		o->cpu_pct = r->cpu_percent[sock];
		o->busy_ns = r->host_busy_ns[sock];
		o->has_dram = r->has_dram[sock];
		tracer_ns += r->tracer_cpu_ns[sock];
	}
	s->tracer_cpu_pct = dt > 0 ? 100 * tracer_ns / (dt * 1e9) : 0;
}

static void thread_row(struct top_row *row, const struct thread_result *t,
		       const struct top_meta *meta, int nr_sockets, double dt)
{
	int sock;

	memset(row, 0, sizeof(*row));
	row->pid = t->pid;
	row->tid = t->tid;
	row->nr_threads = row->nr_procs = 1;
	row->exited = !!t->exited;
	for (sock = 0; sock < nr_sockets; sock++) {
		if (t->cpu_ns[sock] > 0)
			row->sockets |= 1u << sock;
		row->cpu_ns += t->cpu_ns[sock];
		row->pkg_j += t->pkg_j[sock];
		row->dram_j += t->dram_j[sock];
		row->sock_ns[sock] = t->cpu_ns[sock];
		row->sock_dram_j[sock] = t->dram_j[sock];
	}
	memcpy(row->comm, t->comm, sizeof(row->comm));
	row->comm[sizeof(row->comm) - 1] = '\0';
	if (meta) {
		copy_str(row->user, sizeof(row->user), meta->user);
		copy_str(row->cgroup, sizeof(row->cgroup), meta->cgroup);
		copy_str(row->pcomm, sizeof(row->pcomm), meta->pcomm);
	}
	if (dt > 0) {
		row->cpu_pct = 100 * row->cpu_ns / (dt * 1e9);
		row->pkg_w = row->pkg_j / dt;
		row->dram_w = row->dram_j / dt;
	}
}

/* Adds b's interval figures into a (same dt). */
static void add_row(struct top_row *a, const struct top_row *b)
{
	int s;

	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++) {
		a->sock_ns[s] += b->sock_ns[s];
		a->sock_dram_j[s] += b->sock_dram_j[s];
		a->sock_mem[s] += b->sock_mem[s];
	}
	a->nr_threads += b->nr_threads;
	a->exited = a->exited && b->exited;
	a->sockets |= b->sockets;
	a->cpu_ns += b->cpu_ns;
	a->cpu_pct += b->cpu_pct;
	a->pkg_w += b->pkg_w;
	a->dram_w += b->dram_w;
	a->pkg_j += b->pkg_j;
	a->dram_j += b->dram_j;
}

/* An aggregate's package energy as one target: D_pkg[s] * (Σ t / H[s])^gamma. */
static void credit_pkg(struct top_row *a, const struct top_summary *s)
{
	int sock;

	if (!(s->gamma > 0) || !(s->dt_sec > 0))
		return;
	a->pkg_j = 0;
	for (sock = 0; sock < s->nr_sockets; sock++)
		a->pkg_j += s->sock[sock].pkg_dyn_w * s->dt_sec *
			    model_credit(model_cpu_frac(a->sock_ns[sock], s->sock[sock].busy_ns),
					 s->gamma);
	a->pkg_w = a->pkg_j / s->dt_sec;
}

/* A process's f_mem per socket, back from its DRAM joules: (A / D)^(1/delta). */
static void process_mem(struct top_row *p, const struct top_summary *s)
{
	int sock;

	for (sock = 0; sock < s->nr_sockets; sock++) {
		double d = s->sock[sock].dram_dyn_w * s->dt_sec, q;

		p->sock_mem[sock] = 0;
		if (!(s->delta > 0) || !(d > 0) || !(p->sock_dram_j[sock] > 0))
			continue;
		q = p->sock_dram_j[sock] / d;
		p->sock_mem[sock] = q >= 1 ? 1 : pow(q, 1 / s->delta);
	}
}

/* A cgroup's DRAM energy as one target: D_dram[s] * min(1, Σ f_mem)^delta. */
static void credit_dram(struct top_row *a, const struct top_summary *s)
{
	int sock;

	if (!(s->delta > 0) || !(s->dt_sec > 0))
		return;
	a->dram_j = 0;
	for (sock = 0; sock < s->nr_sockets; sock++)
		a->dram_j += s->sock[sock].dram_dyn_w * s->dt_sec *
			     model_credit(a->sock_mem[sock], s->delta);
	a->dram_w = a->dram_j / s->dt_sec;
}

static int cmp_pid_tid(const void *x, const void *y)
{
	const struct top_row *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static int cmp_cgroup(const void *x, const void *y)
{
	const struct top_row *a = x, *b = y;
	int c = strcmp(a->cgroup, b->cgroup);

	return c ? c : cmp_pid_tid(x, y);
}

static int build_processes(struct top_model *m)
{
	struct top_snapshot *s = &m->cur;
	const struct top_row *t = s->rows[TOP_VIEW_THREADS];
	size_t n = s->nr[TOP_VIEW_THREADS], i = 0, j;

	s->nr[TOP_VIEW_PROCESSES] = 0;
	/* At most one process per thread row. */
	if (reserve_rows(s, TOP_VIEW_PROCESSES, n))
		return -ENOMEM;
	while (i < n) {
		struct top_row *p;
		struct top_map_entry *e;
		const struct top_row *leader = NULL;
		int leader_exited = 0;

		p = &s->rows[TOP_VIEW_PROCESSES][s->nr[TOP_VIEW_PROCESSES]++];
		*p = t[i];
		p->tid = 0;
		for (j = i; j < n && t[j].pid == t[i].pid; j++) {
			if (j > i)
				add_row(p, &t[j]);
			if (t[j].tid == t[j].pid) {
				leader = &t[j];
				leader_exited = t[j].exited;
			}
		}
		if (leader) {
			memcpy(p->comm, leader->comm, sizeof(p->comm));
			copy_str(p->user, sizeof(p->user), leader->user);
			copy_str(p->cgroup, sizeof(p->cgroup), leader->cgroup);
		}
		/* /proc's name of the process, when its main thread did not run. */
		if (p->pcomm[0] && !leader)
			memcpy(p->comm, p->pcomm, sizeof(p->comm));
		credit_pkg(p, &s->sum);
		process_mem(p, &s->sum);
		e = top_map_get(&m->cum[TOP_VIEW_PROCESSES], p->pid, NULL);
		if (!e)
			return -ENOMEM;
		e->joules += p->pkg_j + p->dram_j;
		e->seen = s->sum.interval;
		p->joules = e->joules;
		if (leader_exited)
			top_map_delete(&m->cum[TOP_VIEW_PROCESSES], e);
		i = j;
	}
	return 0;
}

static int keep_cgroup(const struct top_map_entry *e, void *ctx)
{
	const struct top_model *m = ctx;

	return e->seen + m->cgroup_idle_max >= m->cur.sum.interval;
}

static int build_cgroups(struct top_model *m)
{
	struct top_snapshot *s = &m->cur;
	size_t n = s->nr[TOP_VIEW_PROCESSES], i, out = 0;
	struct top_row *c;

	if (reserve_rows(s, TOP_VIEW_CGROUPS, n))
		return -ENOMEM;
	c = s->rows[TOP_VIEW_CGROUPS];
	if (n)
		memcpy(c, s->rows[TOP_VIEW_PROCESSES], n * sizeof(*c));
	for (i = 0; i < n; i++)
		if (!c[i].cgroup[0])
			copy_str(c[i].cgroup, sizeof(c[i].cgroup), UNKNOWN_CGROUP);
	qsort(c, n, sizeof(*c), cmp_cgroup);
	for (i = 0; i < n; i++) {
		struct top_row *g;

		if (out && !strcmp(c[out - 1].cgroup, c[i].cgroup)) {
			g = &c[out - 1];
			add_row(g, &c[i]);
			g->nr_procs++;
			if (strcmp(g->user, c[i].user))
				copy_str(g->user, sizeof(g->user), "*");
			continue;
		}
		g = &c[out++];
		if (g != &c[i])
			*g = c[i];
		g->pid = g->tid = 0;
		g->nr_procs = 1;
		g->comm[0] = '\0';
	}
	s->nr[TOP_VIEW_CGROUPS] = out;
	for (i = 0; i < out; i++) {
		struct top_map_entry *e;

		credit_pkg(&c[i], &s->sum);
		credit_dram(&c[i], &s->sum);
		e = top_map_get(&m->cum[TOP_VIEW_CGROUPS], top_hash_name(c[i].cgroup), c[i].cgroup);
		if (!e)
			return -ENOMEM;
		e->joules += c[i].pkg_j + c[i].dram_j;
		e->seen = s->sum.interval;
		c[i].joules = e->joules;
	}
	if (s->sum.interval % CGROUP_PURGE_EVERY == 0)
		map_filter(&m->cum[TOP_VIEW_CGROUPS], keep_cgroup, m);
	return 0;
}

int top_model_update(struct top_model *m, const struct interval_result *r,
		     const struct top_meta *meta)
{
	struct top_snapshot *s = &m->cur;
	size_t i, n = 0;
	int ret, v;

	s->sum.interval++;
	fill_summary(&s->sum, r);
	for (v = 0; v < TOP_VIEW__COUNT; v++)
		s->nr[v] = 0;
	ret = reserve_rows(s, TOP_VIEW_THREADS, r->nr_threads);
	if (ret)
		return ret;
	for (i = 0; i < r->nr_threads; i++) {
		const struct thread_result *t = &r->threads[i];
		struct top_row *row = &s->rows[TOP_VIEW_THREADS][n];
		struct top_map_entry *e;

		if (t->is_tracer)
			continue;
		thread_row(row, t, meta ? &meta[i] : NULL, s->sum.nr_sockets, s->sum.dt_sec);
		e = top_map_get(&m->cum[TOP_VIEW_THREADS], (__u64)t->pid << 32 | t->tid, NULL);
		if (!e)
			return -ENOMEM;
		e->joules += row->pkg_j + row->dram_j;
		e->seen = s->sum.interval;
		row->joules = e->joules;
		if (t->exited)
			top_map_delete(&m->cum[TOP_VIEW_THREADS], e);
		n++;
	}
	s->nr[TOP_VIEW_THREADS] = n;
	qsort(s->rows[TOP_VIEW_THREADS], n, sizeof(struct top_row), cmp_pid_tid);
	ret = build_processes(m);
	if (!ret)
		ret = build_cgroups(m);
	top_snapshot_sort(s, TOP_SORT_POWER, 0);
	return ret;
}

struct purge_ctx {
	int (*alive)(void *ctx, __u32 pid, __u32 tid);
	void *ctx;
	int process;
};

static int keep_alive(const struct top_map_entry *e, void *arg)
{
	struct purge_ctx *p = arg;

	if (p->process)
		return p->alive(p->ctx, (__u32)e->key, 0);
	return p->alive(p->ctx, (__u32)(e->key >> 32), (__u32)e->key);
}

void top_model_purge(struct top_model *m, int (*alive)(void *ctx, __u32 pid, __u32 tid), void *ctx)
{
	struct purge_ctx p = { .alive = alive, .ctx = ctx };

	map_filter(&m->cum[TOP_VIEW_THREADS], keep_alive, &p);
	p.process = 1;
	map_filter(&m->cum[TOP_VIEW_PROCESSES], keep_alive, &p);
}

/* ---- sorting ---- */

static int cmp_num(double a, double b)
{
	/* descending */
	return a > b ? -1 : a < b;
}

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct top_row *a = x, *b = y;
	enum top_sort key = ((const int *)arg)[0];
	int reverse = ((const int *)arg)[1], c = 0;

	switch (key) {
	case TOP_SORT_POWER:
		c = cmp_num(a->pkg_w + a->dram_w, b->pkg_w + b->dram_w);
		break;
	case TOP_SORT_CPU:
		c = cmp_num(a->cpu_pct, b->cpu_pct);
		break;
	case TOP_SORT_PKG:
		c = cmp_num(a->pkg_w, b->pkg_w);
		break;
	case TOP_SORT_DRAM:
		c = cmp_num(a->dram_w, b->dram_w);
		break;
	case TOP_SORT_JOULES:
		c = cmp_num(a->joules, b->joules);
		break;
	case TOP_SORT_NAME:
		c = strcmp(a->comm, b->comm);
		if (!c)
			c = strcmp(a->cgroup, b->cgroup);
		break;
	case TOP_SORT_PID:
	default:
		break;
	}
	if (!c)
		c = cmp_pid_tid(a, b);
	if (!c)
		c = strcmp(a->cgroup, b->cgroup);
	return reverse ? -c : c;
}

void top_sort_rows(struct top_row *rows, size_t n, enum top_sort key, int reverse)
{
	int arg[2] = { key, reverse };

	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), cmp_rows, arg);
}

void top_snapshot_sort(struct top_snapshot *s, enum top_sort key, int reverse)
{
	int v;

	for (v = 0; v < TOP_VIEW__COUNT; v++)
		top_sort_rows(s->rows[v], s->nr[v], key, reverse);
}

int top_snapshot_copy(struct top_snapshot *dst, const struct top_snapshot *src)
{
	int v;

	dst->sum = src->sum;
	for (v = 0; v < TOP_VIEW__COUNT; v++) {
		dst->nr[v] = 0;
		if (reserve_rows(dst, v, src->nr[v]))
			return -ENOMEM;
		if (src->nr[v])
			memcpy(dst->rows[v], src->rows[v], src->nr[v] * sizeof(struct top_row));
		dst->nr[v] = src->nr[v];
	}
	return 0;
}

static const char *const view_names[TOP_VIEW__COUNT] = { "threads", "processes", "cgroups" };
static const char *const sort_names[TOP_SORT__COUNT] = { "power",  "cpu", "pkg", "dram",
							 "joules", "pid", "name" };

const char *top_view_name(enum top_view v)
{
	return (unsigned)v < TOP_VIEW__COUNT ? view_names[v] : "?";
}

const char *top_sort_name(enum top_sort k)
{
	return (unsigned)k < TOP_SORT__COUNT ? sort_names[k] : "?";
}

/* ---- text ---- */

void top_sanitize(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i;

	if (!outlen)
		return;
	for (i = 0; i < inlen && in[i] && i + 1 < outlen; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

/* snprintf that appends at *pos and never runs past len. */
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*pos += (size_t)n < len - *pos ? (size_t)n : len - *pos - 1;
}

void top_format_sockets(unsigned int mask, char *buf, size_t len)
{
	size_t pos = 0;
	int s, lo;

	if (len)
		buf[0] = '\0';
	if (!mask) {
		append(buf, len, &pos, "-");
		return;
	}
	for (s = 0; s < 32; s++) {
		if (!(mask >> s & 1))
			continue;
		lo = s;
		while (s + 1 < 32 && (mask >> (s + 1) & 1))
			s++;
		append(buf, len, &pos, "%s%d", pos ? "," : "", lo);
		if (s > lo)
			append(buf, len, &pos, "%s%d", s == lo + 1 ? "," : "-", s);
	}
}

size_t top_format_header(const struct top_summary *s, const char *meter_why, char *buf, size_t len)
{
	char when[32] = "--:--:--";
	double base = 0;
	size_t pos = 0;
	time_t t = (time_t)s->time;
	struct tm tm;
	int sock;

	if (len)
		buf[0] = '\0';
	if (s->time > 0 && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	append(buf, len, &pos, "energat-bpf top - %s, interval %.2f s, meter=%s", when, s->dt_sec,
	       s->meter);
	append(buf, len, &pos, "%s\n", s->estimated ? " (estimated)" : "");
	/* Why there is no real meter: long, so on a line of its own. */
	if (s->estimated && meter_why && *meter_why)
		append(buf, len, &pos, "estimated: %s\n", meter_why);
	for (sock = 0; sock < s->nr_sockets; sock++)
		base += s->sock[sock].pkg_base_w + s->sock[sock].dram_base_w;
	if (base == 0)
		append(buf, len, &pos,
		       "baseline 0 W (live view): all package and DRAM power counts as dynamic\n");
	else
		append(buf, len, &pos, "baseline %.2f W\n", base);
	/* With a concave credit a row's share is not proportional: say so. */
	if (s->gamma > 0 && s->gamma != 1)
		append(buf, len, &pos,
		       "rows: dynamic power x (CPU share)^%.2f (gamma): they do not add up "
		       "(--gamma 1 for proportional shares)\n",
		       s->gamma);
	for (sock = 0; sock < s->nr_sockets; sock++) {
		const struct top_socket *o = &s->sock[sock];

		append(buf, len, &pos,
		       "socket %d: cpu %5.1f%%  pkg %7.2f W (baseline %.2f, dynamic %7.2f)", sock,
		       o->cpu_pct, o->pkg_w, o->pkg_base_w, o->pkg_dyn_w);
		if (o->has_dram)
			append(buf, len, &pos, "  dram %6.2f W (baseline %.2f, dynamic %6.2f)\n",
			       o->dram_w, o->dram_base_w, o->dram_dyn_w);
		else
			append(buf, len, &pos, "  dram n/a (no DRAM zone)\n");
	}
	append(buf, len, &pos,
	       "tracer: cpu %.1f%%, %.3f W (pkg %.3f, dram %.3f), ring-buffer drops %llu",
	       s->tracer_cpu_pct, s->tracer_pkg_w + s->tracer_dram_w, s->tracer_pkg_w,
	       s->tracer_dram_w, s->rb_drops);
	if (s->map_full)
		append(buf, len, &pos, ", threads not recorded (map full) %llu", s->map_full);
	append(buf, len, &pos, "\n");
	if (s->meter_anomalies)
		append(buf, len, &pos,
		       "warning: implausible or unreadable energy counter (zones 0x%x): "
		       "interval not booked\n",
		       s->meter_anomalies);
	return pos;
}

#define ROW_NUMS_HEAD "%-5s %6s %8s %8s %10s"
#define ROW_NUMS "%-5s %6.1f %8.3f %8.3f %10.2f"

void top_format_colhead(enum top_view v, char *buf, size_t len)
{
	const char *a = "PID", *b = "TID", *name = "COMM";

	if (v == TOP_VIEW_PROCESSES)
		b = "THR";
	else if (v == TOP_VIEW_CGROUPS)
		a = "PROCS", b = "THR", name = "CGROUP";
	snprintf(buf, len, "%7s %7s %-8s " ROW_NUMS_HEAD " %s", a, b, "USER", "SOCK", "CPU%",
		 "PKG_W", "DRAM_W", "TOTAL_J", name);
}

static void format_user(const char *user, char *out, size_t len)
{
	char clean[TOP_USER_LEN];

	top_sanitize(user, TOP_USER_LEN, clean, sizeof(clean));
	if (!clean[0])
		snprintf(out, len, "?");
	else if (strlen(clean) > 8) /* top's way: cut and mark with '+' */
		snprintf(out, len, "%.7s+", clean);
	else
		snprintf(out, len, "%s", clean);
}

void top_format_row(const struct top_row *row, enum top_view v, char *buf, size_t len)
{
	char user[TOP_USER_LEN], socks[64], name[TOP_CGROUP_LEN];
	unsigned long a = row->pid, b = row->tid;

	format_user(row->user, user, sizeof(user));
	top_format_sockets(row->sockets, socks, sizeof(socks));
	if (v == TOP_VIEW_CGROUPS) {
		a = row->nr_procs;
		b = row->nr_threads;
		top_sanitize(row->cgroup, sizeof(row->cgroup), name, sizeof(name));
	} else {
		if (v == TOP_VIEW_PROCESSES)
			b = row->nr_threads;
		top_sanitize(row->comm, sizeof(row->comm), name, sizeof(name));
	}
	snprintf(buf, len, "%7lu %7lu %-8s " ROW_NUMS " %s", a, b, user, socks, row->cpu_pct,
		 row->pkg_w, row->dram_w, row->joules, name);
}

int top_print_batch(FILE *f, const struct top_snapshot *s, enum top_view v, enum top_sort key,
		    const char *meter_why, size_t max_rows)
{
	char head[4096], line[TOP_LINE_MAX];
	size_t i, n = s->nr[v];

	top_format_header(&s->sum, meter_why, head, sizeof(head));
	fputs(head, f);
	fprintf(f, "%zu %s, sorted by %s\n\n", n, top_view_name(v), top_sort_name(key));
	top_format_colhead(v, line, sizeof(line));
	fprintf(f, "%s\n", line);
	if (max_rows && n > max_rows)
		n = max_rows;
	for (i = 0; i < n; i++) {
		top_format_row(&s->rows[v][i], v, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fputc('\n', f);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

/* ---- JSON ---- */

static struct json_object *jnum(double v, const char *fmt)
{
	char s[64];

	if (!isfinite(v))
		v = 0;
	snprintf(s, sizeof(s), fmt, v);
	return json_object_new_double_s(v, s);
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t need, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (need > n)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* A JSON string of at most max bytes of s: invalid UTF-8 bytes become '?'. */
static struct json_object *jstr(const char *s, size_t max)
{
	char out[TOP_CGROUP_LEN];
	size_t n = strnlen(s, max), i = 0, o = 0, k;

	if (n >= sizeof(out))
		n = sizeof(out) - 1;
	while (i < n) {
		k = utf8_len((const unsigned char *)s + i, n - i);
		if (!k) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return json_object_new_string(out);
}

static struct json_object *jsockets(unsigned int mask)
{
	struct json_object *a = json_object_new_array();
	int s;

	for (s = 0; a && s < 32; s++)
		if (mask >> s & 1)
			json_object_array_add(a, json_object_new_int(s));
	return a;
}

static struct json_object *jrow(const struct top_row *r, enum top_view v)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (v == TOP_VIEW_CGROUPS) {
		json_object_object_add(o, "cgroup", jstr(r->cgroup, sizeof(r->cgroup)));
		json_object_object_add(o, "processes", json_object_new_int(r->nr_procs));
		json_object_object_add(o, "threads", json_object_new_int(r->nr_threads));
	} else {
		json_object_object_add(o, "pid", json_object_new_int64(r->pid));
		if (v == TOP_VIEW_THREADS)
			json_object_object_add(o, "tid", json_object_new_int64(r->tid));
		else
			json_object_object_add(o, "threads", json_object_new_int(r->nr_threads));
		json_object_object_add(o, "comm", jstr(r->comm, sizeof(r->comm)));
		json_object_object_add(o, "cgroup", jstr(r->cgroup, sizeof(r->cgroup)));
	}
	json_object_object_add(o, "user", jstr(r->user, sizeof(r->user)));
	json_object_object_add(o, "sockets", jsockets(r->sockets));
	json_object_object_add(o, "cpu_percent", jnum(r->cpu_pct, "%.3f"));
	json_object_object_add(o, "pkg_w", jnum(r->pkg_w, "%.6f"));
	json_object_object_add(o, "dram_w", jnum(r->dram_w, "%.6f"));
	json_object_object_add(o, "joules", jnum(r->joules, "%.6f"));
	json_object_object_add(o, "exited", json_object_new_boolean(r->exited));
	return o;
}

char *top_json(const struct top_snapshot *s, enum top_view v, enum top_sort key)
{
	const struct top_summary *m = &s->sum;
	struct json_object *o = json_object_new_object(), *socks, *tr, *rows;
	char *out = NULL;
	size_t i;
	int sock;

	if (!o)
		return NULL;
	json_object_object_add(o, "time", jnum(m->time, "%.6f"));
	json_object_object_add(o, "interval", json_object_new_int64(m->interval));
	json_object_object_add(o, "dt_sec", jnum(m->dt_sec, "%.6f"));
	json_object_object_add(o, "meter", json_object_new_string(m->meter));
	json_object_object_add(o, "estimated", json_object_new_boolean(m->estimated));
	json_object_object_add(o, "meter_anomalies", json_object_new_int64(m->meter_anomalies));
	/* top runs without a baseline file: P_base = 0 (model.md §4.1). */
	json_object_object_add(o, "live_view", json_object_new_boolean(1));
	if (m->gamma > 0)
		json_object_object_add(o, "gamma", jnum(m->gamma, "%g"));
	socks = json_object_new_array();
	for (sock = 0; socks && sock < m->nr_sockets; sock++) {
		const struct top_socket *k = &m->sock[sock];
		struct json_object *so = json_object_new_object();

		if (!so)
			continue;
		json_object_object_add(so, "socket", json_object_new_int(sock));
		json_object_object_add(so, "cpu_percent", jnum(k->cpu_pct, "%.3f"));
		json_object_object_add(so, "pkg_w", jnum(k->pkg_w, "%.6f"));
		json_object_object_add(so, "pkg_base_w", jnum(k->pkg_base_w, "%.6f"));
		json_object_object_add(so, "pkg_dyn_w", jnum(k->pkg_dyn_w, "%.6f"));
		json_object_object_add(so, "has_dram", json_object_new_boolean(k->has_dram));
		json_object_object_add(so, "dram_w", jnum(k->dram_w, "%.6f"));
		json_object_object_add(so, "dram_base_w", jnum(k->dram_base_w, "%.6f"));
		json_object_object_add(so, "dram_dyn_w", jnum(k->dram_dyn_w, "%.6f"));
		json_object_array_add(socks, so);
	}
	json_object_object_add(o, "sockets", socks);
	tr = json_object_new_object();
	if (tr) {
		json_object_object_add(tr, "cpu_percent", jnum(m->tracer_cpu_pct, "%.3f"));
		json_object_object_add(tr, "pkg_w", jnum(m->tracer_pkg_w, "%.6f"));
		json_object_object_add(tr, "dram_w", jnum(m->tracer_dram_w, "%.6f"));
	}
	json_object_object_add(o, "tracer", tr);
	json_object_object_add(o, "rb_drops", json_object_new_int64(m->rb_drops));
	json_object_object_add(o, "map_full", json_object_new_int64(m->map_full));
	json_object_object_add(o, "view", json_object_new_string(top_view_name(v)));
	json_object_object_add(o, "sort", json_object_new_string(top_sort_name(key)));
	rows = json_object_new_array();
	for (i = 0; rows && i < s->nr[v]; i++) {
		struct json_object *r = jrow(&s->rows[v][i], v);

		if (r)
			json_object_array_add(rows, r);
	}
	json_object_object_add(o, "rows", rows);
	if (socks && tr && rows) {
		const char *str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

		out = str ? strdup(str) : NULL;
	}
	json_object_put(o);
	return out;
}

/* ---- /proc parsers ---- */

int top_parse_status_uid(const char *buf, size_t len, unsigned int *uid)
{
	size_t i = 0;

	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		if (n > 4 && !memcmp(line, "Uid:", 4)) {
			char tmp[128], *p, *end;
			unsigned long v;
			int field;

			if (n >= sizeof(tmp))
				return -EINVAL;
			memcpy(tmp, line, n);
			tmp[n] = '\0';
			p = tmp + 4;
			/* real, effective, saved, filesystem: top shows the effective one */
			for (field = 0; field < 2; field++) {
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p < '0' || *p > '9')
					return -EINVAL;
				errno = 0;
				v = strtoul(p, &end, 10);
				if (errno || v > 0xffffffffUL)
					return -EINVAL;
				p = end;
			}
			*uid = (unsigned int)v;
			return 0;
		}
		i += n + 1;
	}
	return -EINVAL;
}

int top_parse_cgroup(const char *buf, size_t len, char *out, size_t outlen)
{
	const char *best = NULL, *best_end = NULL;
	int best_rank = 0; /* 3: v2, 2: name=systemd, 1: first line */
	size_t i = 0;

	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		const char *c1 = memchr(line, ':', n), *c2, *end = line + n;
		int rank = 1;

		i += n + 1;
		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', end - c1 - 1);
		if (!c2 || c2 + 1 >= end || c2[1] != '/')
			continue;
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
			rank = 3;
		else if (c2 - c1 - 1 >= 12 && memmem(c1 + 1, c2 - c1 - 1, "name=systemd", 12))
			rank = 2;
		if (rank > best_rank) {
			best_rank = rank;
			best = c2 + 1;
			best_end = end;
		}
	}
	if (!best || !outlen)
		return -EINVAL;
	while (best_end - best > 1 && best_end[-1] == '/')
		best_end--;
	if (best_end - best > 1) {
		const char *p = best_end;

		while (p > best && p[-1] != '/')
			p--;
		best = p;
	}
	snprintf(out, outlen, "%.*s", (int)(best_end - best), best);
	return 0;
}
