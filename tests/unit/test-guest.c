// SPDX-License-Identifier: MIT
/* The default guest's kernel names, cache layout and kernel release codes. */
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

#include <vpmem/guest.h>

static void kernel_is(const char *spec, const char *name, const char *package)
{
	struct vpmem_guest_kernel k;
	struct vpmem_err err = { 0 };

	assert_int_equal(vpmem_guest_kernel_parse(spec, &k, &err), 0);
	assert_string_equal(k.name, name);
	assert_string_equal(k.package, package);
}

static void kernel_bad(const char *spec)
{
	struct vpmem_guest_kernel k;
	struct vpmem_err err = { 0 };

	assert_int_equal(vpmem_guest_kernel_parse(spec, &k, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown guest kernel"));
	assert_non_null(strstr(err.msg, "6.1, 6.12"));
}

static void test_kernel_names(void **state)
{
	(void)state;
	unsetenv(VPMEM_GUEST_KERNEL_ENV);
	kernel_is(NULL, "6.1", "linux-image-cloud-amd64");
	kernel_is("", "6.1", "linux-image-cloud-amd64");
	kernel_is("6.1", "6.1", "linux-image-cloud-amd64");
	kernel_is("6.12", "6.12", "linux-image-6.12-cloud-amd64");
	/* meta-packages are their aliases: one guest per kernel */
	kernel_is("linux-image-cloud-amd64", "6.1", "linux-image-cloud-amd64");
	kernel_is("linux-image-6.12-cloud-amd64", "6.12", "linux-image-6.12-cloud-amd64");
	kernel_is("linux-image-6.12.117+deb12-cloud-amd64", "linux-image-6.12.117+deb12-cloud-amd64",
		  "linux-image-6.12.117+deb12-cloud-amd64");
	kernel_bad("6.6");
	kernel_bad("linux-image-");
	kernel_bad("linux-image-../../etc");
	kernel_bad("linux-image-A");
	kernel_bad("linux-image-x/y");
	kernel_bad("ndctl");
	/* the environment is the default, an option beats it */
	setenv(VPMEM_GUEST_KERNEL_ENV, "6.12", 1);
	kernel_is(NULL, "6.12", "linux-image-6.12-cloud-amd64");
	kernel_is("6.1", "6.1", "linux-image-cloud-amd64");
	setenv(VPMEM_GUEST_KERNEL_ENV, "bogus", 1);
	{
		struct vpmem_guest_kernel k;
		struct vpmem_err err = { 0 };

		assert_int_equal(vpmem_guest_kernel_parse(NULL, &k, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "'bogus' in $VPMEM_GUEST_KERNEL"));
	}
	unsetenv(VPMEM_GUEST_KERNEL_ENV);
}

static void test_files(void **state)
{
	struct vpmem_guest_files a, b;
	struct vpmem_err err = { 0 };

	(void)state;
	setenv("XDG_CACHE_HOME", "/nonexistent/c", 1);
	assert_int_equal(vpmem_guest_files(&a, "6.1", false, &err), 0);
	assert_int_equal(vpmem_guest_files(&b, "6.12", false, &err), 0);
	assert_string_equal(a.dir, "/nonexistent/c/vpmem/guest/6.1");
	assert_string_equal(a.kernel, "/nonexistent/c/vpmem/guest/6.1/vmlinuz");
	assert_string_equal(b.initrd, "/nonexistent/c/vpmem/guest/6.12/initrd.img");
	assert_string_equal(a.debs, b.debs); /* packages are shared */
	assert_string_equal(a.version, "");
	assert_int_equal(vpmem_guest_files(&a, "6.12", true, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "vpmem guest build --kernel-package 6.12"));
}

static void test_release_code(void **state)
{
	(void)state;
	assert_int_equal(vpmem_kernel_release_code("6.1.0-57-cloud-amd64"), 6001);
	assert_int_equal(vpmem_kernel_release_code("6.12.117+deb12-cloud-amd64"), 6012);
	assert_int_equal(vpmem_kernel_release_code("5.10"), 5010);
	assert_int_equal(vpmem_kernel_release_code("6"), 0);
	assert_int_equal(vpmem_kernel_release_code("6."), 0);
	assert_int_equal(vpmem_kernel_release_code(""), 0);
	assert_int_equal(vpmem_kernel_release_code(NULL), 0);
	assert_int_equal(vpmem_kernel_release_code("v6.1"), 0);
}

/* the package a built guest came from: its kernel-package file, first line */
static void test_built_package(void **state)
{
	char dir[] = "/tmp/vpmem-unit-guest-XXXXXX", path[64], buf[96] = "x";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vpmem_guest_built_package(dir, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	snprintf(path, sizeof(path), "%s/kernel-package", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("linux-image-6.1.0-57-cloud-amd64\nmore\n", f);
	fclose(f);
	assert_int_equal(vpmem_guest_built_package(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "linux-image-6.1.0-57-cloud-amd64");
	f = fopen(path, "w"); /* empty: "" */
	assert_non_null(f);
	fclose(f);
	assert_int_equal(vpmem_guest_built_package(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_names),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_release_code),
		cmocka_unit_test(test_built_package),
	};

	return cmocka_run_group_tests_name("guest", tests, NULL, NULL);
}
