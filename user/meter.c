// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Meter selection and what the backends share (see meter.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "energy.h"
#include "errmsg.h"
#include "meter.h"
#include "topology.h"

static const struct meter_ops *const auto_order[] = {
	&meter_powercap_ops,
	&meter_perf_ops,
	&meter_msr_ops,
};

double meter_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int meter_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (int)len;
}

void meter_note(struct meter *m, const char *fmt, ...)
{
	size_t len = strlen(m->notes);
	va_list ap;

	/* Notes are informational: a full buffer silently drops the rest. */
	if (len + 2 >= sizeof(m->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(m->notes + len, sizeof(m->notes) - len - 1, fmt, ap);
	va_end(ap);
	len = strlen(m->notes);
	m->notes[len] = '\n';
	m->notes[len + 1] = '\0';
}

int meter_first_cpu(const struct topology *t, int s)
{
	int i;

	if (!t)
		return -1;
	for (i = 0; i < t->nr_cpus && i < ENERGAT_MAX_CPUS; i++) {
		int c = t->cpus[i];

		if (c >= 0 && c < ENERGAT_MAX_CPUS && t->cpu_socket[c] == s)
			return c;
	}
	return -1;
}

const char *meter_zone_name(enum meter_zone zone)
{
	static const char *const names[ZONE_MAX] = { "pkg", "dram", "core", "uncore", "psys" };

	return (unsigned int)zone < ZONE_MAX ? names[zone] : "?";
}

static void fill_defaults(struct meter_opts *d, const struct meter_opts *o)
{
	if (o)
		*d = *o;
	else
		memset(d, 0, sizeof(*d));
	if (!d->sysfs_root)
		d->sysfs_root = "/sys";
	if (!d->dev_root)
		d->dev_root = "/dev";
	if (!d->proc_root)
		d->proc_root = "/proc";
	if (d->model_pkg_idle_w <= 0)
		d->model_pkg_idle_w = METER_MODEL_PKG_IDLE_W;
	if (d->model_pkg_max_w <= 0)
		d->model_pkg_max_w = METER_MODEL_PKG_MAX_W;
	if (d->model_dram_idle_w <= 0)
		d->model_dram_idle_w = METER_MODEL_DRAM_IDLE_W;
	if (d->model_dram_max_w <= 0)
		d->model_dram_max_w = METER_MODEL_DRAM_MAX_W;
	if (d->max_socket_w == 0)
		d->max_socket_w = METER_MAX_SOCKET_W;
}

static void free_meter(struct meter *m)
{
	size_t i;

	for (i = 0; i < sizeof(m->roots) / sizeof(m->roots[0]); i++)
		free(m->roots[i]);
	free(m);
}

/*
 * The backends read files under the roots long after meter_open (msr opens
 * DEV_ROOT/cpu/N/msr per read, describe prints them): own copies, so a
 * caller's buffer may go away.
 */
static int copy_roots(struct meter *m)
{
	m->roots[0] = strdup(m->o.sysfs_root);
	m->roots[1] = strdup(m->o.dev_root);
	m->roots[2] = strdup(m->o.proc_root);
	if (!m->roots[0] || !m->roots[1] || !m->roots[2])
		return -ENOMEM;
	m->o.sysfs_root = m->roots[0];
	m->o.dev_root = m->roots[1];
	m->o.proc_root = m->roots[2];
	return 0;
}

static int try_open(const struct meter_ops *ops, const struct meter_opts *o, struct meter **out,
		    char *why, size_t whylen)
{
	struct meter *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m) {
		errmsg_set(why, whylen, "%s: out of memory", ops->name);
		return -ENOMEM;
	}
	m->ops = ops;
	fill_defaults(&m->o, o);
	if (copy_roots(m)) {
		errmsg_set(why, whylen, "%s: out of memory", ops->name);
		free_meter(m);
		return -ENOMEM;
	}
	m->last_read = meter_now();
	err = ops->open(m, why, whylen);
	if (err) {
		free_meter(m);
		return err;
	}
	*out = m;
	return 0;
}

int meter_open(const char *name, const struct meter_opts *o, struct meter **out, char *why,
	       size_t whylen)
{
	static const struct meter_ops *const all[] = {
		&meter_powercap_ops,
		&meter_perf_ops,
		&meter_msr_ops,
		&meter_model_ops,
	};
	char reasons[3][256], one[256];
	size_t i;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	errmsg_set(why, whylen, "%s", "");

	if (name) {
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (strcmp(name, all[i]->name) == 0)
				return try_open(all[i], o, out, why, whylen);
		errmsg_set(why, whylen, "unknown meter '%s' (powercap, perf, msr or model)", name);
		return -EINVAL;
	}

	for (i = 0; i < sizeof(auto_order) / sizeof(auto_order[0]); i++) {
		err = try_open(auto_order[i], o, out, reasons[i], sizeof(reasons[i]));
		if (!err) {
			errmsg_set(why, whylen, "%s", reasons[i]);
			return 0;
		}
	}
	err = try_open(&meter_model_ops, o, out, one, sizeof(one));
	if (err) {
		errmsg_set(why, whylen, "%s", one);
		return err;
	}
	(*out)->fallback = 1;
	errmsg_set(
		why, whylen,
		"no energy counters, using the model meter (estimates): powercap: %s; perf: %s; msr: %s",
		reasons[0], reasons[1], reasons[2]);
	return 0;
}

const char *meter_name(const struct meter *m)
{
	return m ? m->ops->name : "none";
}

int meter_nr_sockets(const struct meter *m)
{
	return m ? m->nr_sockets : 0;
}

int meter_is_fallback(const struct meter *m)
{
	return m ? m->fallback : 0;
}

int meter_read(struct meter *m, const struct meter_input *in, struct meter_energy *e)
{
	double now, limit;
	int z, s, err;

	if (!e)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	if (!m)
		return -EINVAL;
	now = meter_now();
	e->dt_sec = now - m->last_read;
	m->last_read = now;
	memcpy(e->present, m->present, sizeof(e->present));
	err = m->ops->read(m, in, e);
	if (err)
		return err;
	if (m->ops == &meter_model_ops)
		e->dt_sec = in->dt_sec;

	/*
	 * A counter drawing the most a socket plausibly can wraps in
	 * range / max_socket_w seconds: after longer, wraps may have gone
	 * unseen, and the delta (taken modulo the range) means nothing.
	 */
	if (m->min_range_j > 0 && m->o.max_socket_w > 0 && e->dt_sec >= METER_WRAP_CHECK_MIN_SEC &&
	    e->dt_sec * m->o.max_socket_w >= m->min_range_j) {
		e->wrap_unknown = 1;
		e->anomalies = (1u << ZONE_MAX) - 1;
	}
	/* A delta no socket can draw is a broken counter, not energy. */
	for (z = 0; z < ZONE_MAX; z++) {
		limit = m->o.max_socket_w;
		if (z == ZONE_PSYS && m->nr_sockets > 1)
			limit *= m->nr_sockets;
		for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
			if (energy_implausible(e->j[z][s], e->dt_sec, limit))
				e->anomalies |= 1u << z;
		if (e->anomalies & (1u << z))
			for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
				e->j[z][s] = 0;
	}
	return 0;
}

int meter_has_zone(const struct meter *m, enum meter_zone zone)
{
	int s;

	if (!m || (unsigned int)zone >= ZONE_MAX)
		return 0;
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
		if (m->present[zone][s])
			return 1;
	return 0;
}

void meter_describe(const struct meter *m, FILE *f)
{
	if (!m || !f)
		return;
	fprintf(f, "meter: %s%s, %d socket%s\n", m->ops->name,
		m->fallback ? " (fallback: no energy counters found)" : "", m->nr_sockets,
		m->nr_sockets == 1 ? "" : "s");
	m->ops->describe(m, f);
	if (m->notes[0])
		fprintf(f, "%s", m->notes);
}

void meter_close(struct meter *m)
{
	if (!m)
		return;
	if (m->ops->close)
		m->ops->close(m);
	free_meter(m);
}
