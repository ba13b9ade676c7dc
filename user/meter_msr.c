// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * msr meter: RAPL registers through DEV_ROOT/cpu/N/msr (pread at offset = MSR
 * number), one CPU per socket. Status registers hold a 32-bit count in units
 * from the power unit MSR, so counts wrap at 2^32. Vendor, family and model
 * come from PROC_ROOT/cpuinfo, which tests can fake like the dev tree.
 */
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

#define MSR_INTEL_POWER_UNIT 0x606
#define MSR_INTEL_PKG_ENERGY 0x611
#define MSR_INTEL_DRAM_ENERGY 0x619
#define MSR_INTEL_PP0_ENERGY 0x639
#define MSR_INTEL_PP1_ENERGY 0x641
#define MSR_INTEL_PSYS_ENERGY 0x64d
#define MSR_AMD_POWER_UNIT 0xc0010299
#define MSR_AMD_PKG_ENERGY 0xc001029b

#define MSR_COUNT_RANGE (1ULL << 32)

struct msr_zone {
	int zone;
	__u32 msr;
	double unit; /* joules per count */
	__u64 prev;
	int resync;
};

struct msr_socket {
	int fd, cpu;
	struct msr_zone z[ZONE_MAX];
	int nz;
};

struct msr_meter {
	char vendor[32];
	int family, model, amd;
	__u32 unit_msr;
	__u64 unit_raw;
	struct msr_socket s[ENERGAT_MAX_SOCKETS];
};

static int msr_read(int fd, __u32 msr, __u64 *v)
{
	ssize_t n = pread(fd, v, sizeof(*v), msr);

	if (n == (ssize_t)sizeof(*v))
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* vendor_id, cpu family and model of the first processor. */
static int read_cpuinfo(struct meter *m, struct msr_meter *mm, char *why, size_t whylen)
{
	char path[PATH_MAX], buf[8192], *line, *save = NULL;
	int err, have = 0;

	snprintf(path, sizeof(path), "%s/cpuinfo", m->o.proc_root);
	err = meter_read_file(path, buf, sizeof(buf));
	if (err < 0) {
		errmsg_set(why, whylen, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *key_end, *val;

		if (!colon)
			continue;
		for (key_end = colon;
		     key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t');)
			key_end--;
		*key_end = '\0';
		val = colon + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		if (strcmp(line, "vendor_id") == 0 && !(have & 1)) {
			snprintf(mm->vendor, sizeof(mm->vendor), "%s", val);
			have |= 1;
		} else if (strcmp(line, "cpu family") == 0 && !(have & 2)) {
			mm->family = atoi(val);
			have |= 2;
		} else if (strcmp(line, "model") == 0 && !(have & 4)) {
			mm->model = atoi(val);
			have |= 4;
		}
	}
	if (have != 7) {
		errmsg_set(why, whylen, "%s: no vendor_id, cpu family or model", path);
		return -EINVAL;
	}
	return 0;
}

static int open_dev(struct meter *m, int cpu, int *fd, char *why, size_t whylen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cpu/%d/msr", m->o.dev_root, cpu);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		errmsg_set(why, whylen, "no %s: load the msr module (modprobe msr)", path);
	else if (errno == EACCES || errno == EPERM)
		errmsg_set(why, whylen, "cannot open %s: %s: needs root (CAP_SYS_RAWIO)", path,
			   strerror(errno));
	else
		errmsg_set(why, whylen, "cannot open %s: %s", path, strerror(errno));
	return -errno;
}

static void add_zone(struct msr_socket *ms, int zone, __u32 msr, double unit)
{
	__u64 v;

	/* Registers the CPU lacks fault (EIO): such a zone is just absent. */
	if (msr_read(ms->fd, msr, &v))
		return;
	ms->z[ms->nz].zone = zone;
	ms->z[ms->nz].msr = msr;
	ms->z[ms->nz].unit = unit;
	ms->z[ms->nz].prev = v & (MSR_COUNT_RANGE - 1);
	ms->nz++;
}

static int msr_open(struct meter *m, char *why, size_t whylen)
{
	const struct topology *t = m->o.topo;
	struct msr_meter *mm;
	int s, i, err, nsock = 0;

	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
		mm->s[s].fd = -1;
	m->priv = mm;
	err = read_cpuinfo(m, mm, why, whylen);
	if (err)
		goto cleanup;
	if (strcmp(mm->vendor, "GenuineIntel") == 0) {
		mm->unit_msr = MSR_INTEL_POWER_UNIT;
	} else if ((strcmp(mm->vendor, "AuthenticAMD") == 0 && mm->family >= 0x17) ||
		   strcmp(mm->vendor, "HygonGenuine") == 0) {
		mm->amd = 1;
		mm->unit_msr = MSR_AMD_POWER_UNIT;
	} else {
		errmsg_set(why, whylen, "msr: no known RAPL registers on %s family %d", mm->vendor,
			   mm->family);
		err = -ENODEV;
		goto cleanup;
	}
	if (!t) {
		errmsg_set(why, whylen, "msr meter needs the CPU topology");
		err = -EINVAL;
		goto cleanup;
	}
	m->nr_sockets = t->nr_sockets;

	for (s = 0; s < m->nr_sockets && s < ENERGAT_MAX_SOCKETS; s++) {
		struct msr_socket *ms = &mm->s[s];
		double unit, dram_unit, psys_unit;

		ms->cpu = meter_first_cpu(t, s);
		if (ms->cpu < 0) {
			meter_note(m, "  socket %d: no online CPU, no msr zones", s);
			continue;
		}
		err = open_dev(m, ms->cpu, &ms->fd, why, whylen);
		if (err)
			goto cleanup;
		err = msr_read(ms->fd, mm->unit_msr, &mm->unit_raw);
		if (err) {
			errmsg_set(why, whylen, "cannot read MSR 0x%x on cpu %d: %s (no RAPL?)",
				   mm->unit_msr, ms->cpu, strerror(-err));
			goto cleanup;
		}
		unit = rapl_energy_unit_j(mm->unit_raw);
		if (mm->amd) {
			add_zone(ms, ZONE_PKG, MSR_AMD_PKG_ENERGY, unit);
		} else {
			dram_unit = rapl_intel_dram_fixed_unit(mm->family, mm->model) ?
					    1.0 / 65536 :
					    unit;
			psys_unit = rapl_intel_psys_fixed_unit(mm->family, mm->model) ? 1.0 : unit;
			add_zone(ms, ZONE_PKG, MSR_INTEL_PKG_ENERGY, unit);
			add_zone(ms, ZONE_DRAM, MSR_INTEL_DRAM_ENERGY, dram_unit);
			add_zone(ms, ZONE_CORE, MSR_INTEL_PP0_ENERGY, unit);
			add_zone(ms, ZONE_UNCORE, MSR_INTEL_PP1_ENERGY, unit);
			/* psys is one platform counter, booked to socket 0 */
			if (s == 0)
				add_zone(ms, ZONE_PSYS, MSR_INTEL_PSYS_ENERGY, psys_unit);
		}
		if (!ms->nz || ms->z[0].zone != ZONE_PKG) {
			errmsg_set(why, whylen, "cannot read the package energy MSR on cpu %d",
				   ms->cpu);
			err = -ENODEV;
			goto cleanup;
		}
		for (i = 0; i < ms->nz; i++)
			m->present[ms->z[i].zone][s] = 1;
		nsock++;
	}
	if (!nsock) {
		errmsg_set(why, whylen, "msr: no socket has an online CPU");
		err = -ENODEV;
		goto cleanup;
	}
	errmsg_set(why, whylen, "msr: %s RAPL registers on %d socket%s, dram %s",
		   mm->amd ? "AMD" : "Intel", nsock, nsock == 1 ? "" : "s",
		   m->present[ZONE_DRAM][0] ? "present" : "absent");
	return 0;

cleanup:
	m->ops->close(m);
	return err;
}

static int msr_read_meter(struct meter *m, const struct meter_input *in, struct meter_energy *e)
{
	struct msr_meter *mm = m->priv;
	int s, i;

	(void)in;
	for (s = 0; s < m->nr_sockets && s < ENERGAT_MAX_SOCKETS; s++) {
		struct msr_socket *ms = &mm->s[s];

		for (i = 0; i < ms->nz; i++) {
			struct msr_zone *z = &ms->z[i];
			__u64 now, d;
			int an;

			if (msr_read(ms->fd, z->msr, &now)) {
				e->anomalies |= 1u << z->zone;
				z->resync = 1;
				continue;
			}
			now &= MSR_COUNT_RANGE - 1; /* the upper half is reserved */
			if (z->resync) {
				z->prev = now;
				z->resync = 0;
				continue;
			}
			d = energy_delta(z->prev, now, MSR_COUNT_RANGE, &an);
			z->prev = now;
			if (an)
				e->anomalies |= 1u << z->zone;
			else
				e->j[z->zone][s] += d * z->unit;
		}
	}
	return 0;
}

static void msr_describe(const struct meter *m, FILE *f)
{
	const struct msr_meter *mm = m->priv;
	int s, i;

	fprintf(f, "  %s family %d model %d, unit MSR 0x%x = 0x%llx\n", mm->vendor, mm->family,
		mm->model, mm->unit_msr, (unsigned long long)mm->unit_raw);
	for (s = 0; s < m->nr_sockets && s < ENERGAT_MAX_SOCKETS; s++) {
		const struct msr_socket *ms = &mm->s[s];

		for (i = 0; i < ms->nz; i++)
			fprintf(f,
				"  socket %d %-6s %s/cpu/%d/msr MSR 0x%x, %.6g J/count, wraps at 2^32 counts\n",
				s, meter_zone_name(ms->z[i].zone), m->o.dev_root, ms->cpu,
				ms->z[i].msr, ms->z[i].unit);
		if (ms->nz && !m->present[ZONE_DRAM][s])
			fprintf(f, "  socket %d: no dram counter, dram energy reads 0\n", s);
	}
}

static void msr_close(struct meter *m)
{
	struct msr_meter *mm = m->priv;
	int s;

	if (!mm)
		return;
	for (s = 0; s < ENERGAT_MAX_SOCKETS; s++)
		if (mm->s[s].fd >= 0)
			close(mm->s[s].fd);
	free(mm);
	m->priv = NULL;
}

const struct meter_ops meter_msr_ops = {
	.name = "msr",
	.open = msr_open,
	.read = msr_read_meter,
	.describe = msr_describe,
	.close = msr_close,
};
