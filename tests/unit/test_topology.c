// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* topology_read() on fake sysfs trees, and parse_cpulist(). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "topology.h"
#include "fake_tree.h"

static void cpu(const char *root, int id, const char *pkg)
{
	char path[128];

	snprintf(path, sizeof(path), "devices/system/cpu/cpu%d/topology/physical_package_id", id);
	assert_int_equal(fake_writef(root, path, "%s\n", pkg), 0);
}

static void cpu_pkg(const char *root, int id, int pkg)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", pkg);
	cpu(root, id, s);
}

static void node(const char *root, int id, const char *cpulist, const char *distance)
{
	char path[128];

	snprintf(path, sizeof(path), "devices/system/node/node%d/cpulist", id);
	assert_int_equal(fake_writef(root, path, "%s\n", cpulist), 0);
	if (distance) {
		snprintf(path, sizeof(path), "devices/system/node/node%d/distance", id);
		assert_int_equal(fake_writef(root, path, "%s\n", distance), 0);
	}
}

static void online(const char *root, const char *list)
{
	assert_int_equal(fake_writef(root, "devices/system/cpu/online", "%s\n", list), 0);
}

static int setup(void **state)
{
	char *root = fake_tree_new();

	if (!root)
		return -1;
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	fake_tree_destroy(*state);
	return 0;
}

static void test_one_socket_four_cpus(void **state)
{
	const char *root = *state;
	struct topology t;
	int i;

	online(root, "0-3");
	for (i = 0; i < 4; i++)
		cpu_pkg(root, i, 0);
	node(root, 0, "0-3", "10");

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_cpus, 4);
	assert_int_equal(t.max_cpu, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(t.cpus[i], i);
		assert_int_equal(t.cpu_socket[i], 0);
		assert_int_equal(t.cpu_node[i], 0);
	}
	assert_int_equal(t.cpu_socket[4], -1);
	assert_int_equal(t.cpu_node[4], -1);
	assert_int_equal(t.nr_sockets, 1);
	assert_int_equal(t.socket_pkg_id[0], 0);
	assert_int_equal(t.socket_nr_cpus[0], 4);
	assert_int_equal(t.nr_nodes, 1);
	assert_int_equal(t.node_id[0], 0);
	assert_int_equal(t.node_socket[0], 0);
	assert_int_equal(t.node_nr_cpus[0], 4);
	assert_int_equal(t.has_numa, 1);
}

/* Package ids 7 and 3 interleaved: sockets are renumbered ascending by id. */
static void test_two_sockets(void **state)
{
	const char *root = *state;
	struct topology t;
	int i;

	online(root, "0-7");
	for (i = 0; i < 8; i++)
		cpu_pkg(root, i, i % 2 ? 3 : 7);
	node(root, 0, "1,3,5,7", "10 21");
	node(root, 1, "0,2,4,6", "21 10");

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_cpus, 8);
	assert_int_equal(t.nr_sockets, 2);
	assert_int_equal(t.socket_pkg_id[0], 3);
	assert_int_equal(t.socket_pkg_id[1], 7);
	assert_int_equal(t.socket_nr_cpus[0], 4);
	assert_int_equal(t.socket_nr_cpus[1], 4);
	assert_int_equal(t.cpu_socket[0], 1);
	assert_int_equal(t.cpu_socket[1], 0);
	assert_int_equal(t.cpu_socket[6], 1);
	assert_int_equal(t.cpu_socket[7], 0);
	assert_int_equal(t.nr_nodes, 2);
	assert_int_equal(t.node_socket[0], 0);
	assert_int_equal(t.node_socket[1], 1);
	assert_int_equal(t.cpu_node[0], 1);
	assert_int_equal(t.cpu_node[7], 0);
}

static void test_sparse_cpus(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0-1,4-5");
	cpu_pkg(root, 0, 0);
	cpu_pkg(root, 1, 0);
	cpu_pkg(root, 4, 1);
	cpu_pkg(root, 5, 1);
	node(root, 0, "0-1", "10 20");
	node(root, 1, "4-5", "20 10");

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_cpus, 4);
	assert_int_equal(t.max_cpu, 6);
	assert_int_equal(t.cpus[0], 0);
	assert_int_equal(t.cpus[1], 1);
	assert_int_equal(t.cpus[2], 4);
	assert_int_equal(t.cpus[3], 5);
	assert_int_equal(t.cpu_socket[1], 0);
	assert_int_equal(t.cpu_socket[2], -1);
	assert_int_equal(t.cpu_socket[3], -1);
	assert_int_equal(t.cpu_socket[4], 1);
	assert_int_equal(t.cpu_socket[5], 1);
	assert_int_equal(t.cpu_node[2], -1);
	assert_int_equal(t.cpu_node[5], 1);
	assert_int_equal(t.nr_sockets, 2);
	assert_int_equal(t.socket_nr_cpus[0], 2);
	assert_int_equal(t.socket_nr_cpus[1], 2);
	assert_int_equal(t.node_nr_cpus[1], 2);
	assert_int_equal(t.node_socket[1], 1);
}

/*
 * Nodes 0 and 1 hold the CPUs of sockets 0 and 1; nodes 2 and 4 are
 * memory-only and belong to the nearest node with CPUs. Node 4 (not 3) also
 * checks that node numbers may have holes.
 */
static void test_memory_only_node(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0-3");
	cpu_pkg(root, 0, 0);
	cpu_pkg(root, 1, 0);
	cpu_pkg(root, 2, 1);
	cpu_pkg(root, 3, 1);
	node(root, 0, "0-1", "10 21 14 30");
	node(root, 1, "2-3", "21 10 30 12");
	node(root, 2, "", "14 30 10 25");
	node(root, 4, "", "30 12 25 10");

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_nodes, 4);
	assert_int_equal(t.node_id[2], 2);
	assert_int_equal(t.node_id[3], 4);
	assert_int_equal(t.node_nr_cpus[2], 0);
	assert_int_equal(t.node_nr_cpus[3], 0);
	assert_int_equal(t.node_socket[2], 0);
	assert_int_equal(t.node_socket[3], 1);
	assert_int_equal(topology_node_index(&t, 4), 3);
	assert_int_equal(topology_node_index(&t, 3), -1);
	assert_int_equal(topology_node_index(&t, 0), 0);
}

/* The distance to the node itself (10) must not win: it has no CPUs. */
static void test_memory_only_node_ignores_self(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0-1");
	cpu_pkg(root, 0, 0);
	cpu_pkg(root, 1, 1);
	node(root, 0, "0", "10 20 20");
	node(root, 1, "1", "20 10 20");
	node(root, 2, "", "20 17 10");

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.node_socket[2], 1);
}

static void test_bad_distance(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0");
	cpu_pkg(root, 0, 0);
	node(root, 0, "0", "10 20");
	node(root, 1, "", "20 x");
	assert_int_equal(topology_read(root, &t), -EINVAL);

	/* One entry short of the number of nodes. */
	node(root, 1, "", "20");
	assert_int_equal(topology_read(root, &t), -EINVAL);
}

/* Sub-NUMA clustering: two nodes in one socket. */
static void test_snc_two_nodes_one_socket(void **state)
{
	const char *root = *state;
	struct topology t;
	int i;

	online(root, "0-3");
	for (i = 0; i < 4; i++)
		cpu_pkg(root, i, 0);
	node(root, 0, "0-1", "10 11");
	node(root, 1, "2-3", "11 10");

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_sockets, 1);
	assert_int_equal(t.nr_nodes, 2);
	assert_int_equal(t.node_socket[0], 0);
	assert_int_equal(t.node_socket[1], 0);
	assert_int_equal(t.node_nr_cpus[0], 2);
	assert_int_equal(t.node_nr_cpus[1], 2);
	assert_int_equal(t.cpu_node[1], 0);
	assert_int_equal(t.cpu_node[2], 1);
}

static void test_no_node_dir(void **state)
{
	const char *root = *state;
	struct topology t;
	int i;

	online(root, "0-3");
	for (i = 0; i < 4; i++)
		cpu_pkg(root, i, i / 2);

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_sockets, 2);
	assert_int_equal(t.has_numa, 0);
	assert_int_equal(t.nr_nodes, 1);
	assert_int_equal(t.node_id[0], 0);
	assert_int_equal(t.node_socket[0], 0);
	assert_int_equal(t.node_nr_cpus[0], 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(t.cpu_node[i], 0);
}

static void test_missing_online_file(void **state)
{
	const char *root = *state;
	struct topology t;

	cpu_pkg(root, 0, 0); /* cpu0 often has no online file */
	cpu_pkg(root, 1, 0);
	assert_int_equal(fake_write(root, "devices/system/cpu/cpu1/online", "1\n"), 0);
	cpu_pkg(root, 2, 1);
	assert_int_equal(fake_write(root, "devices/system/cpu/cpu2/online", "0\n"), 0);
	cpu_pkg(root, 3, 1);
	/* Neither a CPU without topology nor a non-numeric cpu* entry counts. */
	assert_int_equal(fake_mkdir(root, "devices/system/cpu/cpu4"), 0);
	assert_int_equal(fake_mkdir(root, "devices/system/cpu/cpufreq"), 0);

	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_cpus, 3);
	assert_int_equal(t.cpus[0], 0);
	assert_int_equal(t.cpus[1], 1);
	assert_int_equal(t.cpus[2], 3);
	assert_int_equal(t.max_cpu, 4);
	assert_int_equal(t.cpu_socket[2], -1);
	assert_int_equal(t.cpu_socket[3], 1);
	assert_int_equal(t.nr_sockets, 2);
	assert_int_equal(t.socket_nr_cpus[1], 1);
}

static void test_garbage_package_id(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0-1");
	cpu_pkg(root, 0, 0);
	cpu(root, 1, "abc");
	assert_int_equal(topology_read(root, &t), -EINVAL);
	assert_int_equal(t.nr_cpus, 0);

	cpu(root, 1, "1x");
	assert_int_equal(topology_read(root, &t), -EINVAL);
	cpu(root, 1, "");
	assert_int_equal(topology_read(root, &t), -EINVAL);
	cpu(root, 1, "99999999999999999999");
	assert_int_equal(topology_read(root, &t), -EINVAL);

	cpu(root, 1, "1");
	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_sockets, 2);
}

static void test_missing_package_id(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0-1");
	cpu_pkg(root, 0, 0);
	assert_int_equal(topology_read(root, &t), -EINVAL);
}

static void test_too_many_sockets(void **state)
{
	const char *root = *state;
	struct topology t;
	int i;

	online(root, "0-8");
	for (i = 0; i < 9; i++)
		cpu_pkg(root, i, i);
	assert_int_equal(topology_read(root, &t), -E2BIG);

	/* Exactly the limit is fine. */
	online(root, "0-7");
	assert_int_equal(topology_read(root, &t), 0);
	assert_int_equal(t.nr_sockets, ENERGAT_MAX_SOCKETS);
	assert_int_equal(t.socket_pkg_id[7], 7);
}

static void test_too_many_cpus(void **state)
{
	const char *root = *state;
	struct topology t;

	cpu_pkg(root, 0, 0);
	online(root, "0,1024");
	assert_int_equal(topology_read(root, &t), -E2BIG);
	online(root, "0-99999999999999999999");
	assert_int_equal(topology_read(root, &t), -E2BIG);
	online(root, "0-x");
	assert_int_equal(topology_read(root, &t), -EINVAL);
}

static void test_node_number_too_big(void **state)
{
	const char *root = *state;
	struct topology t;

	online(root, "0");
	cpu_pkg(root, 0, 0);
	node(root, 0, "0", "10 20");
	node(root, ENERGAT_MAX_NODES, "", "20 10");
	assert_int_equal(topology_read(root, &t), -E2BIG);
}

static void test_no_cpus(void **state)
{
	const char *root = *state;
	struct topology t;

	assert_int_equal(topology_read(root, &t), -ENOENT);
	online(root, "");
	assert_int_equal(topology_read(root, &t), -ENOENT);
	assert_int_equal(topology_read("/nonexistent-energat", &t), -ENOENT);
}

/* The machine we run on: whatever it is, the counts must match the kernel's. */
static void test_real_sysfs(void **state)
{
	struct topology t;
	int i, sum = 0;

	(void)state;
	if (access("/sys/devices/system/cpu/cpu0/topology/physical_package_id", R_OK))
		skip();
	assert_int_equal(topology_read(NULL, &t), 0);
	assert_int_equal(t.nr_cpus, sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(t.nr_sockets >= 1);
	for (i = 0; i < t.nr_sockets; i++)
		sum += t.socket_nr_cpus[i];
	assert_int_equal(sum, t.nr_cpus);
	for (i = 0; i < t.nr_cpus; i++)
		assert_true(t.cpu_node[t.cpus[i]] >= 0);
}

/* scripts/fake-topology.sh: cpu i on socket i % 2, one node per socket; idempotent. */
static void test_fake_topology_script(void **state)
{
	const char *root = *state;
	struct topology t, real;
	char cmd[512];
	int i, run;

	if (access("scripts/fake-topology.sh", X_OK) || topology_read(NULL, &real))
		skip();
	for (run = 0; run < 2; run++) {
		snprintf(cmd, sizeof(cmd), "scripts/fake-topology.sh '%s' 2 >/dev/null", root);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(topology_read(root, &t), 0);
		assert_int_equal(t.nr_cpus, real.nr_cpus);
		assert_int_equal(t.nr_sockets, real.nr_cpus >= 2 ? 2 : 1);
		assert_int_equal(t.nr_nodes, 2);
		assert_int_equal(t.has_numa, 1);
		for (i = 0; i < t.nr_cpus; i++) {
			int c = t.cpus[i];

			assert_int_equal(c, real.cpus[i]);
			assert_int_equal(t.socket_pkg_id[t.cpu_socket[c]], c % 2);
			assert_int_equal(t.node_id[t.cpu_node[c]], c % 2);
		}
	}
}

static void test_parse_cpulist(void **state)
{
	unsigned char set[16];
	int i;

	(void)state;
	assert_int_equal(parse_cpulist("0-3,8,10-11\n", set, 16), 7);
	for (i = 0; i < 16; i++)
		assert_int_equal(set[i], i <= 3 || i == 8 || i == 10 || i == 11);

	/* Empty lists are what memory-only nodes have. */
	assert_int_equal(parse_cpulist("", set, 16), 0);
	assert_int_equal(set[0], 0);
	assert_int_equal(parse_cpulist("\n", set, 16), 0);

	assert_int_equal(parse_cpulist("0", set, 16), 1);
	assert_int_equal(set[0], 1);
	assert_int_equal(set[1], 0);
	assert_int_equal(parse_cpulist("15", set, 16), 1);
	assert_int_equal(set[15], 1);
	assert_int_equal(parse_cpulist("2,2,1-3", set, 16), 3);
	assert_int_equal(parse_cpulist("5-5", set, 16), 1);

	assert_int_equal(parse_cpulist("0-", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("3-1", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("a", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("-1", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("1,", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("1,,2", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("1 2", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("0-3x", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("16", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("0-16", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("99999999999999999999", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("0-99999999999999999999", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist("4294967296", set, 16), -EINVAL);
	assert_int_equal(parse_cpulist(NULL, set, 16), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_socket_four_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_only_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_only_node_ignores_self, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_distance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snc_two_nodes_one_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_node_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_online_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_package_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_package_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_number_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_cpus, setup, teardown),
		cmocka_unit_test(test_real_sysfs),
		cmocka_unit_test_setup_teardown(test_fake_topology_script, setup, teardown),
		cmocka_unit_test(test_parse_cpulist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
