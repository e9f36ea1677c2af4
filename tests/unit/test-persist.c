// SPDX-License-Identifier: MIT
/* Host NUMA node of a block device, from a captured sysfs tree. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <vpmem/persist.h>

static void put(const char *root, const char *rel, const char *val)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

static void test_node(void **state)
{
	char root[] = "/tmp/vpmem-sysroot-XXXXXX", cmd[64];

	(void)state;
	assert_non_null(mkdtemp(root));
	/* a pmem namespace block device on host node 1 */
	put(root, "sys/dev/block/259:0/device/numa_node", "1\n");
	/* a partition: its parent disk's node (…/M:m/../device) */
	put(root, "sys/dev/block/8:0/device/numa_node", "0\n");
	put(root, "sys/dev/block/8:1/partition", "1\n");
	put(root, "sys/dev/block/8:1/device/numa_node", "-1\n");
	assert_int_equal(vpmem_host_node_of_blockdev(root, 259, 0), 1);
	assert_int_equal(vpmem_host_node_of_blockdev(root, 8, 0), 0);
	assert_int_equal(vpmem_host_node_of_blockdev(root, 8, 1), -1); /* -1 stays unknown */
	assert_int_equal(vpmem_host_node_of_blockdev(root, 7, 7), -1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node),
	};

	return cmocka_run_group_tests_name("persist", tests, NULL, NULL);
}
