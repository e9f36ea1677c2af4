// SPDX-License-Identifier: MIT
/*
 * The host<->guest map's parsers (lib/machine/qemu.c, libvirt.c, vmware.c,
 * hostmap.c): QEMU's slot rules (pc_dimm_get_free_slot: the lowest free slot,
 * in command-line order), keyval escapes, libvirt's unaddressed DIMMs, the
 * VMware id, ndctl JSON, a captured sysfs tree, the join; and that parsing
 * opens no backing (the slot check is its own step).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <vpmem/hostmap.h>
#include <vpmem/image.h>
#include <vpmem/namespace.h>

static struct vpmem_host *h;
static struct vpmem_guest_view *g;
static int setup(void **state)
{
	h = vpmem_host_new();
	g = vpmem_guest_view_new();
	return h && g ? tmpdir_setup(state) : -1;
}

static int teardown(void **state)
{
	vpmem_host_free(h);
	vpmem_guest_view_free(g);
	return tmpdir_teardown(state);
}

static int qemu_text(const char *text, struct vpmem_err *err)
{
	return vpmem_host_from_qemu_text(text, strlen(text), h, err);
}

static void test_qemu_slots(void **state)
{
	struct vpmem_err err = { 0 };

	(void)state;
	/* slot=2 given, the next two take the lowest free: 0 then 1 */
	assert_int_equal(qemu_text("qemu-system-x86_64 -machine pc,nvdimm=on \\\n"
				   " -object memory-backend-file,id=m0,mem-path='/x/a b.img',size=1G"
				   " -device nvdimm,memdev=m0,slot=2,id=nv0,node=1,label-size=128K"
				   " -object \"memory-backend-file,id=m1,mem-path=/x/c,,d.img\""
				   " -device nvdimm,memdev=m1"
				   " -object memory-backend-file,id=m2,mem-path=/x/e.img"
				   " -device nvdimm,memdev=m2"
				   " -object memory-backend-file,id=m3,mem-path=/x/v.img"
				   " -device virtio-pmem-pci,memdev=m3", &err), 0);
	assert_int_equal(h->n, 4);
	assert_string_equal(h->d[0].path, "/x/a b.img");
	assert_int_equal(h->d[0].slot, 2);
	assert_int_equal(h->d[0].node, 1);
	assert_int_equal(h->d[0].label_size, 128 << 10);
	assert_string_equal(h->d[0].devid, "nv0");
	assert_string_equal(h->d[0].expect_id, "8680-58341200");
	assert_string_equal(h->d[1].path, "/x/c,d.img"); /* ',,' is a literal comma */
	assert_int_equal(h->d[1].slot, 0);
	assert_string_equal(h->d[1].expect_id, "8680-56341200");
	assert_int_equal(h->d[2].slot, 1);
	assert_int_equal(h->d[3].kind, VPMEM_HOST_VIRTIO);
	assert_string_equal(h->d[3].expect_id, "");
	assert_int_equal(h->nproblems, 0);

	/* NUL-separated (/proc/PID/cmdline), JSON syntax, a clash */
	{
		static const char cmd[] = "qemu\0-object\0{\"qom-type\":\"memory-backend-file\",\"id\":\"m0\","
					  "\"mem-path\":\"/j/x.img\"}\0-device\0{\"driver\":\"nvdimm\",\"memdev\":\"m0\"}\0"
					  "-object\0memory-backend-file,id=m1,mem-path=/j/y.img\0"
					  "-device\0nvdimm,memdev=m1,slot=0";

		assert_int_equal(vpmem_host_from_qemu_text(cmd, sizeof(cmd) - 1, h, &err), 0);
		assert_int_equal(h->n, 2);
		assert_string_equal(h->d[0].path, "/j/x.img");
		assert_int_equal(h->d[0].slot, 0);
		assert_int_equal(h->nproblems, 1);
		assert_string_equal(h->problems[0], "slot 0 is given to two nvdimm devices (QEMU refuses to start)");
	}
}

static void test_qemu_refusals(void **state)
{
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(qemu_text("qemu -object memory-backend-file,id=m0,mem-path=/a,mem-path=/b"
				   " -device nvdimm,memdev=m0", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'mem-path' is given twice"));
	assert_int_equal(qemu_text("qemu -device nvdimm,memdev=m0 -object memory-backend-file,id=m0,mem-path=/a",
				   &err), -EINVAL);
	assert_string_equal(err.msg,
			    "-device nvdimm uses memdev 'm0', which is not a memory-backend-file defined before it");
	assert_int_equal(qemu_text("qemu -object memory-backend-file,id=m0,mem-path=/a -device nvdimm,memdev=m0,slot=256",
				   &err), -EINVAL);
	assert_string_equal(err.msg, "-device nvdimm: bad slot '256'");
	assert_int_equal(qemu_text("qemu -device nvdimm,memdev='m0", &err), -EINVAL);
	assert_string_equal(err.msg, "unterminated ' quote in the command line");
	assert_int_equal(qemu_text("qemu -m 1G", &err), -ENODEV);
}

/* More backends than any fixed first guess: the list grows. */
static void test_qemu_many(void **state)
{
	struct vpmem_err err = { 0 };
	size_t cap = 200 * 128, o = 0;
	char *cmd = malloc(cap);

	(void)state;
	assert_non_null(cmd);
	o += (size_t)snprintf(cmd + o, cap - o, "qemu");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(cmd + o, cap - o, " -object memory-backend-file,id=m%d,mem-path=/m/%d.img", i, i);
	for (int i = 199; i >= 0; i--)
		o += (size_t)snprintf(cmd + o, cap - o, " -device nvdimm,memdev=m%d", i);
	assert_int_equal(qemu_text(cmd, &err), 0);
	assert_int_equal(h->n, 200);
	assert_string_equal(h->d[0].path, "/m/199.img");
	assert_int_equal(h->d[0].slot, 0);
	assert_int_equal(h->d[199].slot, 199);
	free(cmd);
}

/* Parsing opens nothing; vpmem_host_check_images() then reads the labels. */
static void test_check_images(void **state)
{
	struct vpmem_image_spec spec = { .size = (64 << 20) + (128 << 10), .label_size = 128 << 10,
					 .version = VPMEM_LABEL_V1_2, .slot = 3 };
	struct vpmem_image_hints hints = { .slot = 3 };
	struct vpmem_ns_req req = { .mode = VPMEM_NS_RAW };
	struct vpmem_err err = { 0 };
	char img[128], fifo[128], cmd[512];

	(void)state;
	snprintf(img, sizeof(img), "%s/slot3.img", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(vpmem_image_create(img, &spec, 0600, &err), 0);
	assert_int_equal(vpmem_namespace_create(img, &hints, &req, NULL, &err), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof(cmd), "qemu -object memory-backend-file,id=m0,mem-path=%s"
		 " -device nvdimm,memdev=m0,slot=0 -object memory-backend-file,id=m1,mem-path=%s"
		 " -device nvdimm,memdev=m1,slot=3 -object memory-backend-file,id=m2,mem-path=%s"
		 " -device nvdimm,memdev=m2,slot=4", img, img, fifo);
	assert_int_equal(qemu_text(cmd, &err), 0);
	assert_int_equal(h->nproblems, 0);
	vpmem_host_check_images(h); /* a FIFO is said, never opened */
	assert_int_equal(h->nproblems, 2);
	snprintf(cmd, sizeof(cmd), "'%s' carries labels made for slot 3 but is plugged into slot 0: "
		 "the guest ignores them (plug it into slot 3)", img);
	assert_string_equal(h->problems[0], cmd);
	snprintf(cmd, sizeof(cmd), "'%s' is a FIFO, not a regular file or a device: it cannot back guest memory", fifo);
	assert_string_equal(h->problems[1], cmd);
}

static void test_libvirt(void **state)
{
	static const char xml[] =
		"<domain type='kvm'><name>x</name><devices>"
		"<memory model='nvdimm' access='shared'><source><path>/l/a.img</path></source>"
		"<target><size unit='KiB'>1048576</size><node>1</node></target>"
		"<alias name='nvdimm0'/><address type='dimm' slot='1'/></memory>"
		"<memory model='nvdimm'><source><path>/l/b.img</path></source><target><node>0</node></target></memory>"
		"<memory model='dimm'><target><size unit='KiB'>1024</size></target></memory>"
		"<memory model='virtio-pmem'><source><path>/l/v.img</path></source></memory>"
		"<memory model='nvdimm'><source><path>/l/c.img</path></source></memory>"
		"</devices></domain>";
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(vpmem_host_from_libvirt(xml, sizeof(xml) - 1, h, &err), 0);
	assert_int_equal(h->n, 4);
	assert_int_equal(h->d[0].kind, VPMEM_HOST_LIBVIRT);
	assert_int_equal(h->d[0].slot, 1);
	assert_int_equal(h->d[0].node, 1);
	assert_string_equal(h->d[0].devid, "nvdimm0");
	assert_string_equal(h->d[0].expect_id, "8680-57341200");
	/* unaddressed DIMMs take the lowest free slots, in order */
	assert_string_equal(h->d[1].path, "/l/b.img");
	assert_int_equal(h->d[1].slot, 0);
	assert_int_equal(h->d[2].kind, VPMEM_HOST_VIRTIO);
	assert_int_equal(h->d[2].slot, -1);
	assert_string_equal(h->d[3].path, "/l/c.img");
	assert_int_equal(h->d[3].slot, 2);

	assert_int_equal(vpmem_host_from_libvirt("<domain", 7, h, &err), -EINVAL);
	assert_string_equal(err.msg, "not well-formed XML");
	assert_int_equal(vpmem_host_from_libvirt("<pool/>", 7, h, &err), -EINVAL);
	assert_string_equal(err.msg, "not a libvirt <domain>");
	assert_int_equal(vpmem_host_from_libvirt("<domain><devices/></domain>", 27, h, &err), -ENODEV);
}

static void test_vmware(void **state)
{
	struct vpmem_err err = { 0 };
	char id[16];

	(void)state;
	assert_int_equal(vpmem_vmware_guest_id("60 00 C2 9d 90 45 42 66-d7 cf ed f7 a2 eb f2 60", id), 0);
	assert_string_equal(id, "8902-a2ebf260");
	assert_int_equal(vpmem_vmware_guest_id("60 00 C2 9d 90 45 42 66-d7 cf ed f7 a2 eb f2", id), -EINVAL);
	assert_int_equal(vpmem_vmware_guest_id("60 00 C2 9d 90 45 42 66-d7 cf ed f7 a2 eb f2 60 61", id), -EINVAL);

	memset(h, 0, sizeof(*h));
	assert_int_equal(vpmem_host_from_vmkfstools("# vmkfstools -J getuuid /vmfs/volumes/ds/vm/pmem1.vmdk\n"
						    "UUID is 60 00 C2 9d 90 45 42 66-d7 cf ed f7 a2 eb f2 60\n"
						    "UUID is 60 00 C2 9d 90 45 42 66-d7 cf ed f7 00 00 00 01\n", h, &err), 0);
	assert_int_equal(h->n, 2);
	assert_string_equal(h->d[0].path, "/vmfs/volumes/ds/vm/pmem1.vmdk");
	assert_string_equal(h->d[0].expect_id, "8902-a2ebf260");
	assert_string_equal(h->d[1].path, "(disk 1)");
	assert_int_equal(vpmem_host_from_vmkfstools("nothing here\n", h, &err), -ENOENT);
}

static void test_guest_json_join(void **state)
{
	struct vpmem_mapping m;
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(qemu_text("qemu -object memory-backend-file,id=m0,mem-path=/q/a.img -device nvdimm,memdev=m0"
				   " -object memory-backend-file,id=m1,mem-path=/q/b.img -device nvdimm,memdev=m1",
				   &err), 0);
	assert_int_equal(vpmem_guest_from_json(
		"{\"dimms\":[{\"dev\":\"nmem0\",\"id\":\"8680-56341200\",\"handle\":1},"
		"{\"dev\":\"nmem1\",\"id\":\"8902-a2ebf260\",\"handle\":2}],"
		"\"regions\":[{\"dev\":\"region0\",\"mappings\":[{\"dimm\":\"nmem0\"}],"
		"\"namespaces\":[{\"dev\":\"namespace0.0\",\"mode\":\"fsdax\",\"blockdev\":\"pmem0\"}]}]}",
		g, &err), 0);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->d[0].region, "region0");
	assert_int_equal(g->d[0].nns, 1);
	assert_string_equal(g->d[0].ns[0].node, "pmem0");
	vpmem_map_join(h, g, &m);
	assert_int_equal(m.nrows, 2);
	assert_int_equal(m.row[0].state, VPMEM_MATCHED);
	assert_int_equal(m.row[0].guest, 0);
	assert_int_equal(m.row[1].state, VPMEM_NO_GUEST);
	assert_int_equal(m.nunmatched, 1);
	assert_int_equal(m.unmatched_guest[0], 1);
	assert_int_equal(m.nproblems, 2);
	assert_string_equal(m.problems[0], "'/q/b.img' (guest id 8680-57341200) has no DIMM in the guest");
	assert_string_equal(m.problems[1],
			    "guest nmem1 (id 8902-a2ebf260) has VMware's vendor id, but the host description is QEMU");

	assert_int_equal(vpmem_guest_from_json("[1]", g, &err), -EINVAL);
	assert_int_equal(vpmem_guest_from_json("{\"dimms\":3}", g, &err), -EINVAL);
	assert_int_equal(vpmem_guest_from_json("nope", g, &err), -EINVAL);
}

static void put(const char *rel, const char *text)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/sys/%s')\"", dir, rel);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/sys/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A captured /sys/bus/nd (flattened: real sysfs links devices there). */
static void test_guest_sysfs(void **state)
{
	struct vpmem_err err = { 0 };

	(void)state;
	put("bus/nd/devices/nmem0/nfit/id", "8680-56341200\n");
	put("bus/nd/devices/nmem0/nfit/handle", "0x1\n");
	put("bus/nd/devices/nmem1/nfit/id", "8680-57341200\n");
	put("bus/nd/devices/region0/mapping0", "nmem0,0,1073741824,0\n");
	put("bus/nd/devices/region1/mapping0", "nmem1,0,1073741824,0\n");
	put("bus/nd/devices/namespace0.0/size", "1056964608\n");
	put("bus/nd/devices/namespace0.0/mode", "fsdax\n");
	put("bus/nd/devices/namespace0.1/size", "0\n");  /* the idle seed namespace */
	put("bus/nd/devices/pfn0.0/namespace", "namespace0.0\n");
	put("bus/nd/devices/pfn0.0/block/pmem0/size", "0\n");
	put("bus/nd/devices/namespace1.0/size", "1073741824\n");
	put("bus/nd/devices/namespace1.0/mode", "raw\n");
	put("bus/nd/devices/namespace1.0/block/pmem1/size", "0\n");
	assert_int_equal(vpmem_guest_from_sysfs(dir, g, &err), 0);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->d[0].dev, "nmem0");
	assert_string_equal(g->d[0].id, "8680-56341200");
	assert_int_equal(g->d[0].handle, 1);
	assert_string_equal(g->d[0].region, "region0");
	assert_int_equal(g->d[0].nns, 1);
	assert_string_equal(g->d[0].ns[0].mode, "fsdax");
	assert_string_equal(g->d[0].ns[0].node, "pmem0");
	assert_string_equal(g->d[1].ns[0].node, "pmem1");
	assert_int_equal(vpmem_guest_from_sysfs("/nonexistent-root", g, &err), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_slots),
		cmocka_unit_test(test_qemu_refusals),
		cmocka_unit_test(test_qemu_many),
		cmocka_unit_test(test_check_images),
		cmocka_unit_test(test_libvirt),
		cmocka_unit_test(test_vmware),
		cmocka_unit_test(test_guest_json_join),
		cmocka_unit_test(test_guest_sysfs),
	};

	return cmocka_run_group_tests_name("hostmap", tests, setup, teardown);
}
