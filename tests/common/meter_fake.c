// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fake RAPL sources for the meter tests; see meter_fake.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fake_tree.h"
#include "meter_fake.h"
#include "topology.h"

struct topology *meter_fake_topo(int ncpus, const int *cpus, const int *socket, int nr_sockets,
				 const int *pkg_ids)
{
	struct topology *t = calloc(1, sizeof(*t));
	int i;

	if (!t)
		return NULL;
	for (i = 0; i < ENERGAT_MAX_CPUS; i++) {
		t->cpu_socket[i] = -1;
		t->cpu_node[i] = -1;
	}
	for (i = 0; i < ncpus; i++) {
		t->cpus[i] = cpus[i];
		t->cpu_socket[cpus[i]] = socket[i];
		t->cpu_node[cpus[i]] = socket[i];
		t->socket_nr_cpus[socket[i]]++;
		if (cpus[i] + 1 > t->max_cpu)
			t->max_cpu = cpus[i] + 1;
	}
	t->nr_cpus = ncpus;
	t->nr_sockets = nr_sockets;
	t->nr_nodes = nr_sockets;
	for (i = 0; i < nr_sockets; i++) {
		t->socket_pkg_id[i] = pkg_ids[i];
		t->node_id[i] = i;
		t->node_socket[i] = i;
		t->node_nr_cpus[i] = t->socket_nr_cpus[i];
	}
	t->has_numa = 1;
	return t;
}

int meter_fake_zone(const char *root, const char *id, const char *name, unsigned long long uj,
		    unsigned long long range)
{
	char path[PATH_MAX];
	int err;

	if (name) {
		snprintf(path, sizeof(path), "class/powercap/%s/name", id);
		err = fake_writef(root, path, "%s\n", name);
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "class/powercap/%s/max_energy_range_uj", id);
	err = fake_writef(root, path, "%llu\n", range);
	if (err)
		return err;
	return meter_fake_energy_uj(root, id, uj);
}

int meter_fake_energy(const char *root, const char *id, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "class/powercap/%s/energy_uj", id);
	return fake_write(root, path, text);
}

int meter_fake_energy_uj(const char *root, const char *id, unsigned long long uj)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu\n", uj);
	return meter_fake_energy(root, id, text);
}

int meter_fake_msr(const char *root, int cpu, __u32 msr, __u64 v)
{
	unsigned char b[8];
	char path[PATH_MAX];
	int fd, i, err;

	err = fake_mkdir(root, "dev/cpu/%d", cpu);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/dev/cpu/%d/msr", root, cpu);
	for (i = 0; i < 8; i++)
		b[i] = v >> (8 * i);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = pwrite(fd, b, sizeof(b), msr) == (ssize_t)sizeof(b) ? 0 : -EIO;
	close(fd);
	return err;
}
