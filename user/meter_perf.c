// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * perf meter: the "power" PMU (SYSFS/bus/event_source/devices/power). One
 * counter per event and socket, opened on the first CPU of the socket; the
 * kernel folds the 32-bit RAPL wraps into a 64-bit count, so counts never wrap
 * here. count * events/NAME.scale = joules.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "energy.h"
#include "errmsg.h"
#include "meter.h"
#include "topology.h"

#define PF_MAX_FORMATS 16

static const struct {
	const char *event;
	int zone;
} pf_events[] = {
	{ "energy-pkg", ZONE_PKG },    { "energy-ram", ZONE_DRAM },  { "energy-cores", ZONE_CORE },
	{ "energy-gpu", ZONE_UNCORE }, { "energy-psys", ZONE_PSYS },
};

#define PF_NR_EVENTS ((int)(sizeof(pf_events) / sizeof(pf_events[0])))

struct pf_counter {
	int fd;
	int ev; /* index in pf_events */
	int socket, cpu;
	__u64 prev;
	int resync;
};

struct pf {
	char dir[PATH_MAX];
	__u32 type;
	int have[PF_NR_EVENTS];
	__u64 config[PF_NR_EVENTS];
	double scale[PF_NR_EVENTS];
	struct pf_counter c[PF_NR_EVENTS * ENERGAT_MAX_SOCKETS];
	int n;
};

static int sys_perf_open(__u32 type, __u64 config, int cpu)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = config;
	/* A system-wide counting event: no pid, no sampling, no exclude bits. */
	fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

static int read_count(int fd, __u64 *v)
{
	ssize_t n = read(fd, v, sizeof(*v));

	if (n == (ssize_t)sizeof(*v))
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int pf_file(const struct pf *pf, const char *sub, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s%s%s", pf->dir, sub, *sub ? "/" : "", file) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return meter_read_file(path, buf, size);
}

/* The PMU's format/ directory: term name -> "config:A-B". */
static int read_formats(struct pf *pf, char names[][32], char specs[][64], int *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*n = 0;
	if (snprintf(path, sizeof(path), "%s/format", pf->dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && *n < PF_MAX_FORMATS) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 32)
			continue;
		if (pf_file(pf, "format", de->d_name, specs[*n], 64) <= 0)
			continue;
		strcpy(names[*n], de->d_name);
		(*n)++;
	}
	closedir(d);
	return 0;
}

/* events/NAME, NAME.scale and NAME.unit for every event the PMU lists. */
static int read_events(struct meter *m, struct pf *pf, char *why, size_t whylen)
{
	char names[PF_MAX_FORMATS][32], specs[PF_MAX_FORMATS][64];
	const char *np[PF_MAX_FORMATS], *sp[PF_MAX_FORMATS];
	char buf[128], file[64];
	int i, n, err;

	err = read_formats(pf, names, specs, &n);
	if (err) {
		errmsg_set(why, whylen, "cannot list %s/format: %s", pf->dir, strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		np[i] = names[i];
		sp[i] = specs[i];
	}
	for (i = 0; i < PF_NR_EVENTS; i++) {
		const char *ev = pf_events[i].event;

		err = pf_file(pf, "events", ev, buf, sizeof(buf));
		if (err == -ENOENT)
			continue;
		if (err < 0) {
			errmsg_set(why, whylen, "cannot read %s/events/%s: %s", pf->dir, ev,
				   strerror(-err));
			return err;
		}
		err = perf_parse_event(buf, np, sp, n, &pf->config[i]);
		if (err) {
			errmsg_set(why, whylen, "%s/events/%s: cannot parse \"%s\"", pf->dir, ev,
				   strtok(buf, "\n"));
			return -EINVAL;
		}
		snprintf(file, sizeof(file), "%s.scale", ev);
		err = pf_file(pf, "events", file, buf, sizeof(buf));
		if (err < 0 || perf_parse_scale(buf, &pf->scale[i])) {
			errmsg_set(why, whylen, "%s/events/%s: %s", pf->dir, file,
				   err < 0 ? strerror(-err) : "not a positive number");
			return err < 0 ? err : -EINVAL;
		}
		snprintf(file, sizeof(file), "%s.unit", ev);
		err = pf_file(pf, "events", file, buf, sizeof(buf));
		if (err >= 0 && strncmp(buf, "Joules", 6) != 0) {
			meter_note(m, "  skipped power/%s: unit is not Joules", ev);
			continue;
		}
		pf->have[i] = 1;
	}
	if (!pf->have[0]) {
		errmsg_set(why, whylen, "no energy-pkg event under %s/events", pf->dir);
		return -ENODEV;
	}
	return 0;
}

static int open_counters(struct meter *m, struct pf *pf, char *why, size_t whylen)
{
	int (*open_fn)(__u32, __u64, int) = m->o.perf_open ? m->o.perf_open : sys_perf_open;
	int i, s, fd;

	for (i = 0; i < PF_NR_EVENTS; i++) {
		for (s = 0; pf->have[i] && s < m->nr_sockets; s++) {
			struct pf_counter *c = &pf->c[pf->n];
			const char *ev = pf_events[i].event;

			/* psys is one platform counter, booked to socket 0 */
			if (pf_events[i].zone == ZONE_PSYS && s > 0)
				break;
			c->cpu = meter_first_cpu(m->o.topo, s);
			if (c->cpu < 0) {
				meter_note(m, "  socket %d: no online CPU, no perf counters", s);
				continue;
			}
			fd = open_fn(pf->type, pf->config[i], c->cpu);
			if (fd == -EACCES || fd == -EPERM) {
				errmsg_set(
					why, whylen,
					"perf_event_open(power/%s) on cpu %d: %s: needs root or CAP_PERFMON (/proc/sys/kernel/perf_event_paranoid)",
					ev, c->cpu, strerror(-fd));
				return fd;
			}
			if (fd < 0 && i == 0) {
				errmsg_set(why, whylen, "perf_event_open(power/%s) on cpu %d: %s",
					   ev, c->cpu, strerror(-fd));
				return fd;
			}
			if (fd < 0) {
				/* an optional zone the CPU lists but cannot count */
				meter_note(m, "  skipped power/%s on cpu %d: %s", ev, c->cpu,
					   strerror(-fd));
				continue;
			}
			c->fd = fd;
			c->ev = i;
			c->socket = s;
			pf->n++;
			fd = read_count(c->fd, &c->prev);
			if (fd) {
				errmsg_set(why, whylen, "cannot read perf counter power/%s: %s", ev,
					   strerror(-fd));
				return fd;
			}
			m->present[pf_events[i].zone][s] = 1;
		}
	}
	return 0;
}

static void pf_free(struct pf *pf)
{
	int i;

	if (!pf)
		return;
	for (i = 0; i < pf->n; i++)
		close(pf->c[i].fd);
	free(pf);
}

static int pf_open(struct meter *m, char *why, size_t whylen)
{
	unsigned long long type;
	char buf[64];
	struct pf *pf;
	int err, s;

	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	snprintf(pf->dir, sizeof(pf->dir), "%s/bus/event_source/devices/power", m->o.sysfs_root);
	err = pf_file(pf, "", "type", buf, sizeof(buf));
	if (err == -ENOENT) {
		errmsg_set(why, whylen, "no perf power PMU (%s)", pf->dir);
		goto cleanup;
	}
	if (err < 0) {
		errmsg_set(why, whylen, "cannot read %s/type: %s", pf->dir, strerror(-err));
		goto cleanup;
	}
	if (energy_parse_u64(buf, &type) || type > UINT_MAX) {
		errmsg_set(why, whylen, "%s/type: not a PMU type", pf->dir);
		err = -EINVAL;
		goto cleanup;
	}
	pf->type = type;
	if (!m->o.topo) {
		errmsg_set(why, whylen, "perf meter needs the CPU topology");
		err = -EINVAL;
		goto cleanup;
	}
	m->nr_sockets = m->o.topo->nr_sockets;
	err = read_events(m, pf, why, whylen);
	if (err)
		goto cleanup;
	err = open_counters(m, pf, why, whylen);
	if (err)
		goto cleanup;
	for (s = 0; s < m->nr_sockets; s++)
		if (m->present[ZONE_PKG][s])
			break;
	if (s == m->nr_sockets) {
		errmsg_set(why, whylen, "perf: no socket has an online CPU");
		err = -ENODEV;
		goto cleanup;
	}
	errmsg_set(why, whylen, "perf: power PMU (type %u) on %d socket%s, energy-ram %s", pf->type,
		   m->nr_sockets, m->nr_sockets == 1 ? "" : "s",
		   pf->have[1] ? "present" : "absent");
	m->priv = pf;
	return 0;

cleanup:
	pf_free(pf);
	return err;
}

static int pf_read(struct meter *m, const struct meter_input *in, struct meter_energy *e)
{
	struct pf *pf = m->priv;
	int i;

	(void)in;
	for (i = 0; i < pf->n; i++) {
		struct pf_counter *c = &pf->c[i];
		int zone = pf_events[c->ev].zone, an;
		__u64 now, d;

		if (read_count(c->fd, &now)) {
			e->anomalies |= 1u << zone;
			c->resync = 1;
			continue;
		}
		if (c->resync) {
			c->prev = now;
			c->resync = 0;
			continue;
		}
		/* 64-bit counts do not wrap: any step back is an anomaly. */
		d = energy_delta(c->prev, now, 0, &an);
		c->prev = now;
		if (an)
			e->anomalies |= 1u << zone;
		else
			e->j[zone][c->socket] += d * pf->scale[c->ev];
	}
	return 0;
}

static void pf_describe(const struct meter *m, FILE *f)
{
	const struct pf *pf = m->priv;
	int i;

	fprintf(f, "  PMU %s (type %u)\n", pf->dir, pf->type);
	for (i = 0; i < PF_NR_EVENTS; i++)
		if (pf->have[i])
			fprintf(f, "  %-6s power/%-12s config 0x%llx scale %.10g J/count\n",
				meter_zone_name(pf_events[i].zone), pf_events[i].event,
				(unsigned long long)pf->config[i], pf->scale[i]);
	for (i = 0; i < pf->n; i++)
		fprintf(f, "  socket %d %-6s counted on cpu %d\n", pf->c[i].socket,
			meter_zone_name(pf_events[pf->c[i].ev].zone), pf->c[i].cpu);
	for (i = 0; i < m->nr_sockets; i++)
		if (m->present[ZONE_PKG][i] && !m->present[ZONE_DRAM][i])
			fprintf(f, "  socket %d: no dram counter, dram energy reads 0\n", i);
}

static void pf_close(struct meter *m)
{
	pf_free(m->priv);
	m->priv = NULL;
}

const struct meter_ops meter_perf_ops = {
	.name = "perf",
	.open = pf_open,
	.read = pf_read,
	.describe = pf_describe,
	.close = pf_close,
};
