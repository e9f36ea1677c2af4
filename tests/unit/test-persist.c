// SPDX-License-Identifier: MIT
/* Host NUMA node of a block device, from a captured sysfs tree. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dirent.h>

#include <vpmem/hoststatus.h>
#include <vpmem/mount.h>
#include <vpmem/persist.h>
#include <vpmem/sysfs.h>

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

/* mountinfo through libmount: escapes undone, dax told from dax=never, the top mount wins */
static void test_mounts(void **state)
{
	static const char text[] =
		"22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
		"30 22 259:3 / /mnt/pm\\040a rw,relatime shared:2 - ext4 /dev/pmem0 rw,dax=always\n"
		"31 22 259:4 / /mnt/b rw - xfs /dev/pmem1 rw,dax=never\n"
		"32 22 259:5 / /mnt/c rw - ext4 /dev/pmem2 rw,dax\n"
		"33 31 259:4 / /mnt/b rw - ext2 /dev/pmem1 rw,dax\n";
	struct vpmem_mount *m;
	size_t n;
	char fs[64] = "";
	bool dax;

	assert_int_equal(vpmem_mounts_parse(text, &m, &n, NULL), 0);
	assert_int_equal(n, 5);
	assert_string_equal(m[1].target, "/mnt/pm a");
	assert_string_equal(m[1].source, "/dev/pmem0");
	assert_string_equal(m[1].fstype, "ext4");
	assert_true(m[1].dax);
	assert_false(m[0].dax);
	assert_false(m[2].dax);
	assert_true(m[3].dax);
	assert_true(m[1].dev == makedev(259, 3));
	free(m);
	vpmem_mountinfo_find(text, makedev(259, 4), fs, sizeof(fs), &dax);
	assert_string_equal(fs, "ext2");
	assert_true(dax);
	assert_int_equal(vpmem_mounts_parse("", &m, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(m);
}

/* one sysfs reader: first line, no newline; missing and empty attributes told apart */
static void test_sysfs(void **state)
{
	char root[] = "/tmp/vpmem-sysfs-XXXXXX", buf[16], *v;

	assert_non_null(mkdtemp(root));
	put(root, "/sys/a/size", "4096\nsecond line\n");
	put(root, "/sys/a/empty", "");
	assert_int_equal(vpmem_sysfs_read(root, buf, sizeof(buf), "/sys/%s/size", "a"), 0);
	assert_string_equal(buf, "4096");
	assert_int_equal(vpmem_sysfs_read(root, buf, sizeof(buf), "/sys/a/none"), -ENOENT);
	assert_int_equal(vpmem_sysfs_read(root, buf, sizeof(buf), "/sys/a/empty"), -ENODATA);
	v = vpmem_sysfs_get(root, "/sys/a/size");
	assert_non_null(v);
	assert_string_equal(v, "4096");
	free(v);
	assert_null(vpmem_sysfs_get(root, "/sys/a/none"));
}

/* MAP_SYNC probed in a directory: a temporary file, gone afterwards */
static void test_map_sync_dir(void **state)
{
	char dir[] = "/tmp/vpmem-msync-XXXXXX";
	bool works = true;
	struct dirent **ents;
	int n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vpmem_map_sync_probe_dir(dir, &works), 0);
	assert_false(works); /* /tmp is not a DAX filesystem */
	n = scandir(dir, &ents, NULL, alphasort);
	assert_int_equal(n, 2); /* . and .. only: the probe file is removed */
	while (n--)
		free(ents[n]);
	free(ents);
	rmdir(dir);
	assert_int_equal(vpmem_map_sync_probe_dir("/nonexistent-vpmem-dir", &works), -ENOENT);
}

/* the host status gatherer on a captured tree (doctor, emulate status) */
static void test_host_status(void **state)
{
	char root[] = "/tmp/vpmem-hoststat-XXXXXX";
	struct vpmem_host_status st;

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "/proc/cmdline", "root=/dev/vda1 memmap=1G!4G\n");
	put(root, "/proc/iomem", "00100000-bffdefff : System RAM\n100000000-13fffffff : Persistent Memory (legacy)\n");
	put(root, "/sys/bus/nd/devices/region0/size", "1073741824\n");
	put(root, "/sys/bus/nd/devices/region0/resource", "0x100000000\n");
	put(root, "/sys/bus/nd/devices/region0/numa_node", "-1\n");
	put(root, "/sys/bus/nd/devices/namespace0.0/size", "1073741824\n");
	put(root, "/sys/bus/nd/devices/namespace0.0/mode", "fsdax\n");
	put(root, "/sys/bus/nd/devices/namespace0.0/block/pmem0/dev", "259:0\n");
	put(root, "/sys/bus/nd/devices/namespace0.1/size", "0\n");
	put(root, "/sys/bus/dax/devices/dax1.0/align", "2097152\n");
	put(root, "/sys/firmware/memmap/0/type", "System RAM\n");
	put(root, "/sys/firmware/memmap/1/type", "Persistent Memory (legacy)\n");
	put(root, "/sys/firmware/memmap/1/start", "0x100000000\n");
	assert_int_equal(vpmem_host_status_read(root, &st, NULL), 0);
	assert_string_equal(st.cmdline, "root=/dev/vda1 memmap=1G!4G\n");
	assert_int_equal(st.nreserved, 1);
	assert_true(st.reserved[0].start == 1ULL << 32 && st.reserved[0].size == 1ULL << 30);
	assert_int_equal(st.nregions, 1);
	assert_string_equal(st.regions[0].dev, "region0");
	assert_true(st.regions[0].has_size && st.regions[0].size == 1ULL << 30);
	assert_true(st.regions[0].has_resource && st.regions[0].resource == 1ULL << 32);
	assert_true(st.regions[0].has_numa_node && st.regions[0].numa_node == -1);
	assert_string_equal(st.regions[0].persistence_domain, "");
	assert_string_equal(st.regions[0].blockdev, "pmem0");
	assert_int_equal(st.regions[0].nns, 1); /* the size-0 seed left out */
	assert_string_equal(st.regions[0].ns[0].dev, "namespace0.0");
	assert_string_equal(st.regions[0].ns[0].mode, "fsdax");
	assert_int_equal(st.ndevdax, 1);
	assert_true(!st.devdax[0].has_size && st.devdax[0].has_align && st.devdax[0].align == 2 << 20);
	assert_int_equal(st.nmemmap, 1);
	assert_string_equal(st.memmap[0].start, "0x100000000");
	assert_string_equal(st.memmap[0].end, "");
	vpmem_host_status_free(&st);
	/* nothing there: empty, not an error */
	assert_int_equal(vpmem_host_status_read("/nonexistent-vpmem-root", &st, NULL), 0);
	assert_true(!st.cmdline && !st.nregions && !st.ndevdax && !st.nmemmap && !st.nreserved);
	vpmem_host_status_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_sysfs),
		cmocka_unit_test(test_map_sync_dir),
		cmocka_unit_test(test_host_status),
	};

	return cmocka_run_group_tests_name("persist", tests, NULL, NULL);
}
