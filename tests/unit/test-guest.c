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

#include "tmpdir.h"

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
	char buf[96] = "x";
	FILE *f;

	(void)state;
	assert_int_equal(vpmem_guest_built_package(dir, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	f = fopen(at("kernel-package"), "w");
	assert_non_null(f);
	fputs("linux-image-6.1.0-57-cloud-amd64\nmore\n", f);
	fclose(f);
	assert_int_equal(vpmem_guest_built_package(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "linux-image-6.1.0-57-cloud-amd64");
	f = fopen(at("kernel-package"), "w"); /* empty: "" */
	assert_non_null(f);
	fclose(f);
	assert_int_equal(vpmem_guest_built_package(dir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	unlink(at("kernel-package"));
}

static void console_is(const char *text, size_t len, const char *want)
{
	char line[256];
	FILE *f = fopen(at("console.log"), "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	vpmem_guest_last_line(at("console.log"), line, sizeof(line));
	assert_string_equal(line, want);
}

/* Why the guest stopped: the panic's line, not the trace after it. */
static void test_last_line(void **state)
{
	static const char panic[] =
		"[    0.51] Run /init as init process\n"
		"[    4.10] Kernel panic - not syncing: IO-APIC + timer doesn't work!\r\n"
		"[    4.10] CPU: 0 PID: 1 Comm: swapper/0\n"
		"[    4.10] Call Trace:\n"
		"[    4.10] Kernel Offset: 0x27c00000 from 0xffffffff81000000\n\n";
	static const char plain[] = "booting\n[    1.0] reached \033[1mtarget\0x\n  \n";
	char line[256];

	(void)state;
	console_is(panic, sizeof(panic) - 1,
		   "[    4.10] Kernel panic - not syncing: IO-APIC + timer doesn't work!");
	/* control characters and NULs become spaces; trailing blank lines skipped */
	console_is(plain, sizeof(plain) - 1, "[    1.0] reached  [1mtarget x");
	console_is("", 0, "");
	vpmem_guest_last_line(at("missing.log"), line, sizeof(line));
	assert_string_equal(line, "");
}

/* The kernel command line: TCG guests skip the IO-APIC timer check. */
static void test_cmdline(void **state)
{
	char buf[128], tiny[20];

	(void)state;
	assert_int_equal(vpmem_guest_cmdline(true, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "console=ttyS0 panic=-1 loglevel=4 no_timer_check");
	assert_int_equal(vpmem_guest_cmdline(false, "memmap=1G!4G", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "console=ttyS0 panic=-1 loglevel=4 memmap=1G!4G");
	assert_int_equal(vpmem_guest_cmdline(true, "x", tiny, sizeof(tiny)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_names),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_release_code),
		cmocka_unit_test(test_built_package),
		cmocka_unit_test(test_last_line),
		cmocka_unit_test(test_cmdline),
	};

	return cmocka_run_group_tests_name("guest", tests, tmpdir_setup, tmpdir_teardown);
}
