// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * powercap meter: SYSFS/class/powercap/intel-rapl:N[:M]/energy_uj. Intel and
 * AMD both register under the "intel-rapl" names. Zones are recognised by
 * their name file (model.md §3), never by position: intel-rapl:0:0 is dram on
 * servers but core on client CPUs.
 *
 * intel-rapl-mmio:N zones (client CPUs) expose the same package counter a
 * second time through MMIO. They are used only for a package that has no
 * intel-rapl zone; otherwise they are skipped, or the package would count twice.
 *
 * Multi-die packages ("package-N-die-M") and their children are summed into
 * the socket of package N. psys covers the whole platform and is booked to
 * socket 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "energy.h"
#include "errmsg.h"
#include "meter.h"
#include "topology.h"

struct pc_zone {
	char id[64]; /* directory entry, e.g. "intel-rapl:0:0" */
	char name[64]; /* contents of its name file */
	int mmio; /* intel-rapl-mmio */
	int top, sub; /* N and M of the id; sub -1 for a top-level zone */
	int zone; /* enum meter_zone, -1 when not used */
	int pkg_id; /* physical package id (packages and their children) */
	int socket;
	unsigned long long range, prev;
	int resync; /* last read failed: the next one restarts from its value */
	/*
	 * energy_uj opened at start (as root), for when reopening is refused
	 * after the tracer dropped its privileges (--user). Reads reopen by
	 * path first, since a tree replaced file by file (the simulator)
	 * leaves an old descriptor on a stale file.
	 */
	int fd;
};

struct pc {
	char dir[PATH_MAX]; /* SYSFS/class/powercap */
	struct pc_zone *z;
	int n;
};

static int zone_file(const struct pc *pc, const struct pc_zone *z, const char *file, char *buf,
		     size_t size)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s/%s", pc->dir, z->id, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return meter_read_file(path, buf, size);
}

/* energy_uj by path, else through the descriptor kept from open time. */
static int zone_energy(const struct pc *pc, const struct pc_zone *z, unsigned long long *v)
{
	char buf[64];
	ssize_t n;
	int err;

	err = zone_file(pc, z, "energy_uj", buf, sizeof(buf));
	if ((err == -EACCES || err == -EPERM) && z->fd >= 0) {
		n = pread(z->fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return -errno;
		buf[n] = '\0';
		err = 0;
	}
	if (err < 0)
		return err;
	return energy_parse_u64(buf, v);
}

static int zone_u64(const struct pc *pc, const struct pc_zone *z, const char *file,
		    unsigned long long *v)
{
	char buf[64];
	int err;

	err = zone_file(pc, z, file, buf, sizeof(buf));
	if (err < 0)
		return err;
	return energy_parse_u64(buf, v);
}

/* "intel-rapl:N" or "intel-rapl:N:M", with or without "-mmio". */
static int parse_id(const char *id, int *mmio, int *top, int *sub)
{
	const char *p;
	char *end;
	long a, b = -1;

	if (strncmp(id, "intel-rapl-mmio:", 16) == 0) {
		*mmio = 1;
		p = id + 16;
	} else if (strncmp(id, "intel-rapl:", 11) == 0) {
		*mmio = 0;
		p = id + 11;
	} else {
		return -EINVAL;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	a = strtol(p, &end, 10);
	if (*end == ':') {
		p = end + 1;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		b = strtol(p, &end, 10);
	}
	if (*end || a > INT_MAX || b > INT_MAX)
		return -EINVAL;
	*top = a;
	*sub = b;
	return 0;
}

/* "package-N" or "package-N-die-M" -> N. */
static int parse_package(const char *name, int *pkg)
{
	char *end;
	long v;

	if (strncmp(name, "package-", 8) != 0 || name[8] < '0' || name[8] > '9')
		return -EINVAL;
	v = strtol(name + 8, &end, 10);
	if (v > INT_MAX)
		return -EINVAL;
	if (*end && strncmp(end, "-die-", 5) != 0)
		return -EINVAL;
	*pkg = v;
	return 0;
}

static int child_zone(const char *name)
{
	if (strcmp(name, "dram") == 0)
		return ZONE_DRAM;
	if (strcmp(name, "core") == 0)
		return ZONE_CORE;
	if (strcmp(name, "uncore") == 0)
		return ZONE_UNCORE;
	return -1;
}

static struct pc_zone *find_top(struct pc *pc, int mmio, int top)
{
	int i;

	for (i = 0; i < pc->n; i++)
		if (pc->z[i].mmio == mmio && pc->z[i].top == top && pc->z[i].sub < 0)
			return &pc->z[i];
	return NULL;
}

static int scan(struct meter *m, struct pc *pc)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(pc->dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct pc_zone z, *nz;
		int len;

		memset(&z, 0, sizeof(z));
		if (parse_id(de->d_name, &z.mmio, &z.top, &z.sub))
			continue; /* the control types themselves, other drivers */
		if (strlen(de->d_name) >= sizeof(z.id))
			continue;
		strcpy(z.id, de->d_name);
		z.zone = -1;
		len = zone_file(pc, &z, "name", z.name, sizeof(z.name));
		if (len < 0) {
			meter_note(m, "  skipped %s: cannot read its name: %s", z.id,
				   strerror(-len));
			continue;
		}
		while (len > 0 && (z.name[len - 1] == '\n' || z.name[len - 1] == ' '))
			z.name[--len] = '\0';
		nz = realloc(pc->z, (pc->n + 1) * sizeof(*nz));
		if (!nz) {
			err = -ENOMEM;
			break;
		}
		pc->z = nz;
		z.fd = -1;
		pc->z[pc->n++] = z;
	}
	closedir(d);
	return err;
}

/* Decide what each entry is; zones left at -1 are not used. */
static void classify(struct meter *m, struct pc *pc)
{
	int i, j;

	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i];

		if (z->sub >= 0)
			continue;
		if (parse_package(z->name, &z->pkg_id) == 0)
			z->zone = ZONE_PKG;
		else if (strcmp(z->name, "psys") == 0)
			z->zone = ZONE_PSYS;
		else
			meter_note(m, "  skipped %s: unknown zone name \"%s\"", z->id, z->name);
	}
	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i], *parent;

		if (z->sub < 0)
			continue;
		parent = find_top(pc, z->mmio, z->top);
		if (!parent || parent->zone != ZONE_PKG) {
			meter_note(m, "  skipped %s (\"%s\"): no package zone above it", z->id,
				   z->name);
			continue;
		}
		z->zone = child_zone(z->name);
		z->pkg_id = parent->pkg_id;
		if (z->zone < 0)
			meter_note(m, "  skipped %s: unknown zone name \"%s\"", z->id, z->name);
	}
	/* MMIO duplicates: keep them only where the MSR-based zone is missing. */
	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i];

		if (!z->mmio || z->zone < 0)
			continue;
		for (j = 0; j < pc->n; j++) {
			const struct pc_zone *o = &pc->z[j];

			if (o->mmio || o->sub >= 0)
				continue;
			if ((z->zone == ZONE_PSYS && o->zone == ZONE_PSYS) ||
			    (z->zone != ZONE_PSYS && o->zone == ZONE_PKG && o->pkg_id == z->pkg_id))
				break;
		}
		if (j < pc->n) {
			meter_note(m, "  skipped %s (\"%s\"): duplicate of %s", z->id, z->name,
				   pc->z[j].id);
			z->zone = -1;
		}
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Dense sockets: from the topology, else package ids in ascending order. */
static int map_sockets(struct meter *m, struct pc *pc, char *why, size_t whylen)
{
	const struct topology *t = m->o.topo;
	int ids[ENERGAT_MAX_SOCKETS], nids = 0, i, k;

	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i];

		if (z->zone < 0)
			continue;
		if (z->zone == ZONE_PSYS) {
			z->socket = 0;
			continue;
		}
		if (t) {
			for (k = 0; k < t->nr_sockets && k < ENERGAT_MAX_SOCKETS; k++)
				if (t->socket_pkg_id[k] == z->pkg_id)
					break;
			if (k == t->nr_sockets || k == ENERGAT_MAX_SOCKETS) {
				meter_note(m, "  skipped %s (\"%s\"): package %d has no online CPU",
					   z->id, z->name, z->pkg_id);
				z->zone = -1;
				continue;
			}
			z->socket = k;
			continue;
		}
		for (k = 0; k < nids; k++)
			if (ids[k] == z->pkg_id)
				break;
		if (k == nids) {
			if (nids == ENERGAT_MAX_SOCKETS) {
				errmsg_set(
					why, whylen,
					"more than %d packages under %s: raise ENERGAT_MAX_SOCKETS",
					ENERGAT_MAX_SOCKETS, pc->dir);
				return -E2BIG;
			}
			ids[nids++] = z->pkg_id;
		}
	}
	if (t) {
		m->nr_sockets = t->nr_sockets;
		return 0;
	}
	qsort(ids, nids, sizeof(ids[0]), cmp_int);
	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i];

		if (z->zone < 0 || z->zone == ZONE_PSYS)
			continue;
		for (k = 0; k < nids; k++)
			if (ids[k] == z->pkg_id)
				z->socket = k;
	}
	m->nr_sockets = nids ? nids : 1;
	return 0;
}

static int read_error(const struct pc *pc, const struct pc_zone *z, const char *file, int err,
		      char *why, size_t whylen)
{
	if (err == -EACCES || err == -EPERM)
		errmsg_set(
			why, whylen,
			"cannot read %s/%s/%s: %s: energy_uj is readable by root only (CVE-2020-8694): run as root",
			pc->dir, z->id, file, strerror(-err));
	else if (err == -EINVAL || err == -ERANGE)
		errmsg_set(why, whylen, "%s/%s/%s: not a counter value", pc->dir, z->id, file);
	else
		errmsg_set(why, whylen, "cannot read %s/%s/%s: %s", pc->dir, z->id, file,
			   strerror(-err));
	return err;
}

static int cmp_zone(const void *a, const void *b)
{
	const struct pc_zone *x = a, *y = b;

	if (x->socket != y->socket)
		return x->socket - y->socket;
	if (x->zone != y->zone)
		return x->zone - y->zone;
	return strcmp(x->id, y->id);
}

static void pc_free(struct pc *pc)
{
	int i;

	if (!pc)
		return;
	for (i = 0; i < pc->n; i++)
		if (pc->z[i].fd >= 0)
			close(pc->z[i].fd);
	free(pc->z);
	free(pc);
}

static int pc_open(struct meter *m, char *why, size_t whylen)
{
	char path[PATH_MAX + 96];
	struct pc *pc;
	int i, used = 0, npkg = 0, ndram = 0, err;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (snprintf(pc->dir, sizeof(pc->dir), "%s/class/powercap", m->o.sysfs_root) >=
	    (int)sizeof(pc->dir)) {
		err = -ENAMETOOLONG;
		errmsg_set(why, whylen, "sysfs root too long");
		goto cleanup;
	}
	err = scan(m, pc);
	if (err == -ENOENT) {
		errmsg_set(why, whylen, "no powercap zones under %s", pc->dir);
		goto cleanup;
	}
	if (err) {
		errmsg_set(why, whylen, "cannot list %s: %s", pc->dir, strerror(-err));
		goto cleanup;
	}
	classify(m, pc);
	err = map_sockets(m, pc, why, whylen);
	if (err)
		goto cleanup;

	/* Keep only the zones in use, in describe order. */
	for (i = 0; i < pc->n; i++)
		if (pc->z[i].zone >= 0)
			pc->z[used++] = pc->z[i];
	pc->n = used;
	if (pc->n)
		qsort(pc->z, pc->n, sizeof(pc->z[0]), cmp_zone);
	for (i = 0; i < pc->n; i++)
		npkg += pc->z[i].zone == ZONE_PKG;
	if (!npkg) {
		errmsg_set(why, whylen, "no powercap zones under %s%s", pc->dir,
			   pc->n ? " (no package-N zone)" : "");
		err = -ENODEV;
		goto cleanup;
	}

	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i];

		err = zone_u64(pc, z, "max_energy_range_uj", &z->range);
		if (err) {
			read_error(pc, z, "max_energy_range_uj", err, why, whylen);
			goto cleanup;
		}
		if (z->range == 0) {
			errmsg_set(why, whylen, "%s/%s/max_energy_range_uj is 0", pc->dir, z->id);
			err = -EINVAL;
			goto cleanup;
		}
		err = zone_energy(pc, z, &z->prev);
		if (err) {
			read_error(pc, z, "energy_uj", err, why, whylen);
			goto cleanup;
		}
		snprintf(path, sizeof(path), "%s/%s/energy_uj", pc->dir, z->id);
		z->fd = open(path, O_RDONLY | O_CLOEXEC);
		m->present[z->zone][z->socket] = 1;
		if (!m->min_range_j || z->range * 1e-6 < m->min_range_j)
			m->min_range_j = z->range * 1e-6;
	}
	for (i = 0; i < m->nr_sockets; i++)
		ndram += m->present[ZONE_DRAM][i];
	errmsg_set(why, whylen, "powercap: %d package zone%s, dram on %d of %d socket%s, under %s",
		   npkg, npkg == 1 ? "" : "s", ndram, m->nr_sockets, m->nr_sockets == 1 ? "" : "s",
		   pc->dir);
	m->priv = pc;
	return 0;

cleanup:
	pc_free(pc);
	return err;
}

static int pc_read(struct meter *m, const struct meter_input *in, struct meter_energy *e)
{
	struct pc *pc = m->priv;
	int i;

	(void)in;
	for (i = 0; i < pc->n; i++) {
		struct pc_zone *z = &pc->z[i];
		unsigned long long now, d;
		int an;

		if (zone_energy(pc, z, &now)) {
			e->anomalies |= 1u << z->zone;
			z->resync = 1;
			continue;
		}
		if (z->resync) {
			z->prev = now;
			z->resync = 0;
			continue;
		}
		d = energy_delta(z->prev, now, z->range, &an);
		z->prev = now;
		if (an)
			e->anomalies |= 1u << z->zone;
		else
			e->j[z->zone][z->socket] += d * 1e-6;
	}
	return 0;
}

static void pc_describe(const struct meter *m, FILE *f)
{
	const struct pc *pc = m->priv;
	const struct topology *t = m->o.topo;
	int i;

	fprintf(f, "  zones under %s (energy_uj in microjoules)\n", pc->dir);
	for (i = 0; i < pc->n; i++) {
		const struct pc_zone *z = &pc->z[i];

		fprintf(f, "  socket %d%s %-6s %-18s \"%s\" max_energy_range_uj %llu\n", z->socket,
			z->zone == ZONE_PSYS ? " (platform)" : "", meter_zone_name(z->zone), z->id,
			z->name, z->range);
	}
	for (i = 0; i < m->nr_sockets; i++) {
		if (!m->present[ZONE_PKG][i])
			fprintf(f, "  socket %d (package id %d): no package zone\n", i,
				t ? t->socket_pkg_id[i] : -1);
		else if (!m->present[ZONE_DRAM][i])
			fprintf(f, "  socket %d: no dram zone, dram energy reads 0\n", i);
	}
}

static void pc_close(struct meter *m)
{
	pc_free(m->priv);
	m->priv = NULL;
}

const struct meter_ops meter_powercap_ops = {
	.name = "powercap",
	.open = pc_open,
	.read = pc_read,
	.describe = pc_describe,
	.close = pc_close,
};
