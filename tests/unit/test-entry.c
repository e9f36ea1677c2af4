// SPDX-License-Identifier: MIT
/*
 * The one-call entry points on real files: vpmem_image_create (made beside,
 * linked into place, never over an existing file), vpmem_namespace_create
 * (locked, planned, written with barriers) and vpmem_image_list (read back);
 * vpmem_image_change, the call under vpmem_namespace_create, performs the
 * first N writes of its plan: none (a dry run), one (a test's cut), all.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <vpmem/image.h>
#include <vpmem/namespace.h>

#define M (1ULL << 20)

static void test_create_list(void **state)
{
	struct vpmem_image_spec spec = { .size = 256 * M + (128 << 10), .label_size = 128 << 10,
					 .version = VPMEM_LABEL_V1_2, .slot = 0 };
	struct vpmem_ns_req req = { .mode = VPMEM_NS_FSDAX, .size = 64 * M, .name = "data" };
	struct vpmem_region_info ri;
	struct vpmem_ns_info out;
	struct vpmem_err err = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(vpmem_image_create(at("a.img"), &spec, 0600, &err), 0);
	assert_int_equal(stat(at("a.img"), &st), 0);
	assert_int_equal(st.st_size, (off_t)spec.size);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never over an existing image */
	assert_int_equal(vpmem_image_create(at("a.img"), &spec, 0600, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "exists"));

	assert_int_equal(vpmem_image_list(at("a.img"), NULL, &ri, &err), 0);
	assert_true(ri.labelled);
	assert_int_equal(ri.nns, 0);
	vpmem_region_free(&ri);

	assert_int_equal(vpmem_namespace_create(at("a.img"), NULL, &req, &out, &err), 0);
	assert_int_equal(out.mode, VPMEM_NS_FSDAX);
	assert_int_equal(vpmem_image_list(at("a.img"), NULL, &ri, &err), 0);
	assert_int_equal(ri.nns, 1);
	assert_int_equal(ri.ns[0].mode, VPMEM_NS_FSDAX);
	assert_string_equal(ri.ns[0].name, "data");
	assert_int_equal(ri.ns[0].size, out.size);
	assert_memory_equal(ri.ns[0].uuid, out.uuid, 16);
	vpmem_region_free(&ri);

	/* a second one takes the next free extent; the full region refuses a third */
	req.name = "more";
	req.size = 0;
	assert_int_equal(vpmem_namespace_create(at("a.img"), NULL, &req, NULL, &err), 0);
	assert_int_not_equal(vpmem_namespace_create(at("a.img"), NULL, &req, NULL, &err), 0);
	assert_non_null(strstr(err.msg, at("a.img")));
	assert_int_equal(vpmem_image_list(at("a.img"), NULL, &ri, &err), 0);
	assert_int_equal(ri.nns, 2);
	vpmem_region_free(&ri);
}

static void test_label_less(void **state)
{
	struct vpmem_image_spec spec = { .size = 64 * M, .slot = 3 };
	struct vpmem_ns_req req = { .mode = VPMEM_NS_DEVDAX };
	struct vpmem_region_info ri;
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(vpmem_image_create(at("bare.img"), &spec, 0644, &err), 0);
	assert_int_equal(vpmem_image_list(at("bare.img"), NULL, &ri, &err), 0);
	assert_false(ri.labelled);
	assert_int_equal(ri.slot, 3); /* remembered in the xattr (where the file system keeps user xattrs) */
	vpmem_region_free(&ri);
	assert_int_equal(vpmem_namespace_create(at("bare.img"), NULL, &req, NULL, &err), 0);
	assert_int_equal(vpmem_image_list(at("bare.img"), NULL, &ri, &err), 0);
	assert_int_equal(ri.nns, 1);
	assert_int_equal(ri.ns[0].mode, VPMEM_NS_DEVDAX);
	vpmem_region_free(&ri);
}

static void test_refusals(void **state)
{
	struct vpmem_ns_req req = { .mode = VPMEM_NS_FSDAX };
	struct vpmem_region_info ri;
	struct vpmem_err err = { 0 };
	int fd;

	(void)state;
	assert_int_equal(vpmem_image_list(at("missing.img"), NULL, &ri, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "missing.img"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(ri.nns, 0);
	assert_true(vpmem_image_list(dir, NULL, &ri, &err) < 0);
	assert_int_equal(vpmem_namespace_create(at("missing.img"), NULL, &req, NULL, &err), -ENOENT);

	/* a second writer waits for nobody: the lock refuses it, nothing is written */
	fd = open(at("a.img"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(vpmem_namespace_create(at("a.img"), NULL, &req, NULL, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "locked"));
	close(fd);
}

static int plan_fsdax(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h, void *arg,
		      struct vpmem_wplan *wp, struct vpmem_err *err)
{
	static const struct vpmem_ns_req req = { .mode = VPMEM_NS_FSDAX, .size = 64 * M, .name = "cut" };

	return vpmem_ns_plan_create(ri, h, &req, wp, arg, err);
}

static unsigned nns_of(const char *path)
{
	struct vpmem_region_info ri;
	struct vpmem_err err = { 0 };
	unsigned n;

	assert_int_equal(vpmem_image_list(path, NULL, &ri, &err), 0);
	n = ri.nns;
	vpmem_region_free(&ri);
	return n;
}

static void test_change_limit(void **state)
{
	struct vpmem_image_spec spec = { .size = 256 * M + (128 << 10), .label_size = 128 << 10,
					 .version = VPMEM_LABEL_V1_2, .slot = 0 };
	struct vpmem_wplan wp = { 0 };
	struct vpmem_ns_info out;
	struct vpmem_err err = { 0 };
	char sig[16] = "";
	int fd;

	(void)state;
	assert_int_equal(vpmem_image_create(at("c.img"), &spec, 0600, &err), 0);
	/* none: the plan comes back, the image is untouched (all zeros still) */
	assert_int_equal(vpmem_image_change(at("c.img"), NULL, plan_fsdax, &out, 0, &wp, &err), 0);
	assert_true(wp.n >= 3);
	vpmem_wplan_free(&wp);
	assert_int_equal(nns_of(at("c.img")), 0);
	fd = open(at("c.img"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, sig, sizeof(sig), 4096), (ssize_t)sizeof(sig));
	assert_int_equal(sig[0], 0);
	/* one: the info block is there, no label yet: no namespace */
	memset(&wp, 0, sizeof(wp));
	assert_int_equal(vpmem_image_change(at("c.img"), NULL, plan_fsdax, &out, 1, &wp, &err), 0);
	vpmem_wplan_free(&wp);
	assert_int_equal(pread(fd, sig, sizeof(sig), 4096), (ssize_t)sizeof(sig));
	assert_memory_equal(sig, "NVDIMM_PFN_INFO", 15);
	assert_int_equal(nns_of(at("c.img")), 0);
	close(fd);
	/* all: the namespace */
	memset(&wp, 0, sizeof(wp));
	assert_int_equal(vpmem_image_change(at("c.img"), NULL, plan_fsdax, &out, SIZE_MAX, &wp, &err), 0);
	vpmem_wplan_free(&wp);
	assert_int_equal(nns_of(at("c.img")), 1);
	assert_string_equal(out.name, "cut");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_list),
		cmocka_unit_test(test_label_less),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_change_limit),
	};

	return cmocka_run_group_tests_name("entry", tests, tmpdir_setup, tmpdir_teardown);
}
