// SPDX-License-Identifier: MIT
/*
 * CXL: the cookie (drivers/cxl/pmem.c, measured 0x246800001234 for sn=0x1234)
 * and its inverse, the plan of CXL images (serials kept, duplicates refused,
 * 256M units), and the pair's reader on real files: label area from the
 * label file, the serial voted from the labels, planned writes routed and
 * never past a file's end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <vpmem/cxl.h>
#include <vpmem/image.h>
#include <vpmem/namespace.h>

static void test_cookie(void **state)
{
	static const uint64_t sn[] = { 1, 0x1234, 0xc71000, 0x5eed, 0xffffffffULL, 0x100000000ULL,
				       0xdeadbeefcafef00dULL, UINT64_MAX };

	(void)state;
	assert_int_equal(vpmem_cxl_cookie(0x1234, 0), 0x246800001234ULL);
	for (size_t i = 0; i < sizeof(sn) / sizeof(sn[0]); i++)
		assert_int_equal(vpmem_cxl_serial_of_cookie(vpmem_cxl_cookie(sn[i], 0)), sn[i]);
	/* every cookie has exactly one serial */
	for (uint64_t c = 1; c < (1ULL << 40); c = c * 7 + 3)
		assert_int_equal(vpmem_cxl_cookie(vpmem_cxl_serial_of_cookie(c), 0), c);
}

static void test_plan_images(void **state)
{
	struct vpmem_cxl_image im[2] = {
		{ .path = "/x/a.img", .size = 512ULL << 20, .lsa_size = 256 << 10, .serial = 0x200 },
		{ .path = "/x/b.img", .size = 256ULL << 20, .lsa_size = 128 << 10, .serial = 0x100 },
	};
	struct vpmem_cxl_spec spec = { .nimages = 2, .images = im, .kernel_release = "6.1.0-57-cloud-amd64" };
	struct vpmem_cxl_plan p;
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(vpmem_cxl_plan(&spec, &p, &err), 0);
	assert_int_equal(p.ndevs, 2);
	assert_int_equal(p.root_ports, 4); /* a host bridge per device, two ports each */
	assert_int_equal(p.window, 768ULL << 20);
	assert_int_equal(p.dev[0].serial, 0x200);
	assert_int_equal(p.dev[1].serial, 0x100);
	assert_string_equal(p.dev[1].lsa_path, "/x/b.img.lsa");
	assert_int_equal(p.dev[1].lsa_size, 128 << 10);
	assert_int_equal(p.dev[0].cookie, vpmem_cxl_cookie(0x200, 0));
	assert_false(p.cpu_no_hypervisor);
	vpmem_cxl_plan_free(&p);
	im[1].serial = 0x200;
	assert_int_equal(vpmem_cxl_plan(&spec, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "both for serial 0x200"));
	im[1].serial = 0x100;
	im[1].size = 300ULL << 20;
	assert_int_equal(vpmem_cxl_plan(&spec, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "256M"));
}

static void test_pair(void **state)
{
	char dir[] = "/tmp/vpmem-cxl-XXXXXX", path[64];
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info ri;
	struct vpmem_ns_req req = { .mode = VPMEM_NS_FSDAX, .size = 64ULL << 20, .name = "a" };
	struct vpmem_ns_info out;
	struct vpmem_wplan wp = { 0 };
	struct vpmem_err err = { 0 };
	uint8_t blk[8];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.img", dir);
	assert_int_equal(vpmem_cxl_image_create(path, 256ULL << 20, 256 << 10, 0x77, 0644, &err), 0);
	assert_true(vpmem_image_is_cxl(path));
	assert_int_equal(vpmem_cxl_image_create(path, 256ULL << 20, 256 << 10, 0x77, 0644, &err), -EEXIST);
	fd = vpmem_image_open(path, true, &h, &err);
	assert_true(fd >= 0);
	assert_true(h.cxl);
	assert_int_equal(h.cxl_mem_size, 256ULL << 20);
	assert_int_equal(vpmem_region_read(fd, &h, &ri, &err), 0);
	assert_true(ri.cxl && ri.labelled);
	assert_int_equal(ri.region_size, 256ULL << 20);
	assert_int_equal(ri.label_size, 256 << 10);
	assert_int_equal(ri.cxl_serial, h.cxl_serial_set ? 0x77 : 0xc71000); /* xattr or not */
	assert_int_equal(ri.nns, 0);
	/* a write past the label file's end: refused before anything is written */
	assert_int_equal(vpmem_wplan_add(&wp, ri.size - 4, "abcdefgh", 8, false, "past"), 0);
	vpmem_wplan_route(&wp, &h);
	assert_int_equal(vpmem_wplan_apply(fd, &wp, SIZE_MAX, NULL, &err), -EINVAL);
	assert_int_equal(pread(h.lsa_fd, blk, 4, (256 << 10) - 4), 4);
	assert_memory_equal(blk, "\0\0\0\0", 4);
	vpmem_wplan_free(&wp);
	/* unrouted: the label writes would land past the memory file's end */
	assert_int_equal(vpmem_ns_plan_create(&ri, &h, &req, &wp, &out, &err), 0);
	assert_int_equal(vpmem_wplan_apply(fd, &wp, SIZE_MAX, NULL, &err), -EINVAL);
	vpmem_wplan_route(&wp, &h);
	assert_int_equal(vpmem_wplan_apply(fd, &wp, SIZE_MAX, NULL, &err), 0);
	vpmem_wplan_free(&wp);
	vpmem_region_free(&ri);
	h.cxl_serial_set = false; /* labels win over a missing or other record */
	assert_int_equal(vpmem_region_read(fd, &h, &ri, &err), 0);
	assert_int_equal(ri.nns, 1);
	assert_string_equal(ri.serial_source, "labels");
	assert_int_equal(ri.iset_id, vpmem_cxl_cookie(ri.cxl_serial, 0));
	assert_int_equal(ri.ns[0].mode, VPMEM_NS_FSDAX);
	vpmem_region_free(&ri);
	vpmem_image_close(fd, &h);
	snprintf(path, sizeof(path), "%s/c.img.lsa", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.img", dir);
	unlink(path);
	rmdir(dir);
}

static char *joined(const struct vpmem_cxl_plan *p)
{
	struct vpmem_strv sv = { 0 };
	size_t len = 1;
	char *s;

	assert_int_equal(vpmem_cxl_argv(p, &sv), 0);
	for (size_t i = 0; i < sv.n; i++)
		len += strlen(sv.v[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 0; i < sv.n; i++) {
		strcat(s, i ? " " : "");
		strcat(s, sv.v[i]);
	}
	vpmem_strv_free(&sv);
	return s;
}

/* One device: QEMU's documented topology plus the spare port, as before.
 * Two: a host bridge, two root ports and a window each (a QEMU 7.2 bridge
 * has one HDM decoder, so it routes one region), all windows in one -M. */
static void test_argv(void **state)
{
	struct vpmem_cxl_spec spec = { .size = 256ULL << 20, .ndevs = 1, .state_dir = "/s",
				       .kernel_release = "6.1.0-57-cloud-amd64" };
	struct vpmem_cxl_plan p;
	struct vpmem_err err = { 0 };
	char *a;

	(void)state;
	assert_int_equal(vpmem_cxl_plan(&spec, &p, &err), 0);
	a = joined(&p);
	assert_string_equal(a,
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 "
		"-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 "
		"-device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=3 "
		"-object memory-backend-file,id=cxl-mem0,share=on,mem-path=/s/cxl0.img,size=268435456 "
		"-object memory-backend-file,id=cxl-lsa0,share=on,mem-path=/s/cxl0.img.lsa,size=262144 "
		"-device cxl-type3,bus=rp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0,sn=0xc71000 "
		"-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=268435456");
	free(a);
	vpmem_cxl_plan_free(&p);
	spec.size = 1ULL << 30;
	spec.ndevs = 2;
	assert_int_equal(vpmem_cxl_plan(&spec, &p, &err), 0);
	assert_int_equal(p.root_ports, 4);
	a = joined(&p);
	assert_non_null(strstr(a, "-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 "
				  "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2 "
				  "-device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=3 "
				  "-device pxb-cxl,bus_nr=16,bus=pcie.0,id=cxl.2 "
				  "-device cxl-rp,port=0,bus=cxl.2,id=rp2,chassis=0,slot=4 "
				  "-device cxl-rp,port=1,bus=cxl.2,id=rp3,chassis=0,slot=5 "));
	assert_non_null(strstr(a, "cxl-type3,bus=rp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0,sn=0xc71000"));
	assert_non_null(strstr(a, "cxl-type3,bus=rp2,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem1,sn=0xc71001"));
	assert_non_null(strstr(a, " -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=536870912,"
				  "cxl-fmw.1.targets.0=cxl.2,cxl-fmw.1.size=536870912"));
	free(a);
	vpmem_cxl_plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_plan_images),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
