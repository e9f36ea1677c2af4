// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/size.h>

static uint64_t ok(const char *s, unsigned flags)
{
	struct vpmem_err err = { 0 };
	uint64_t v = 0;

	assert_int_equal(vpmem_size_parse(s, flags, "--x", &v, &err), 0);
	assert_int_equal(err.code, 0);
	return v;
}

static void bad(const char *s, unsigned flags, int code, const char *needle)
{
	struct vpmem_err err = { 0 };
	uint64_t v = 12345;

	assert_int_equal(vpmem_size_parse(s, flags, "--x", &v, &err), -code);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, needle));
	assert_non_null(strstr(err.msg, "--x"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(v, 12345); /* untouched on error */
}

static void test_units(void **state)
{
	(void)state;
	assert_int_equal(ok("4096", 0), 4096);
	assert_int_equal(ok("128K", 0), 128ULL << 10);
	assert_int_equal(ok("128k", 0), 128ULL << 10);
	assert_int_equal(ok("512M", 0), 512ULL << 20);
	assert_int_equal(ok("4G", 0), 4ULL << 30);
	assert_int_equal(ok("4GiB", 0), 4ULL << 30);
	assert_int_equal(ok("4gib", 0), 4ULL << 30);
	assert_int_equal(ok("1T", 0), 1ULL << 40);
	assert_int_equal(ok("2P", 0), 2ULL << 50);
	assert_int_equal(ok("1E", 0), 1ULL << 60);
	assert_int_equal(ok("100B", 0), 100);
	assert_int_equal(ok("0x1000", 0), 4096);
	assert_int_equal(ok("0XfFfF", 0), 0xffff);
	assert_int_equal(ok("0", VPMEM_SIZE_ALLOW_ZERO), 0);
	assert_int_equal(ok("0K", VPMEM_SIZE_ALLOW_ZERO), 0);
	assert_int_equal(ok("18446744073709551615", 0), UINT64_MAX);
	assert_int_equal(ok("15E", 0), 15ULL << 60);
}

static void test_bad(void **state)
{
	(void)state;
	bad("", 0, EINVAL, "empty");
	bad("0", 0, EINVAL, "greater than zero");
	bad("0G", 0, EINVAL, "greater than zero");
	bad("0x0", 0, EINVAL, "greater than zero");
	bad("-1", 0, EINVAL, "negative");
	bad("-4G", VPMEM_SIZE_ALLOW_ZERO, EINVAL, "negative");
	bad("12Q", 0, EINVAL, "unknown unit 'Q'");
	bad("4Gx", 0, EINVAL, "unknown unit");
	bad("4GB", 0, EINVAL, "ambiguous unit");
	bad("4GB", 0, EINVAL, "(use binary units: G or GiB)");
	bad("4 G", 0, EINVAL, "unknown unit");
	bad(" 4G", 0, EINVAL, "invalid size");
	bad("+4G", 0, EINVAL, "invalid size");
	bad("G", 0, EINVAL, "invalid size");
	bad("1.5G", 0, EINVAL, "fractional");
	bad("0x", 0, EINVAL, "invalid size");
	bad("0x10K", 0, EINVAL, "hex size");
	bad("18446744073709551616", 0, ERANGE, "too large");
	bad("16E", 0, ERANGE, "too large");
	bad("17179869184G", 0, ERANGE, "too large");
	bad("0x10000000000000000", 0, ERANGE, "too large");
}

static void test_format(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(vpmem_size_str(256ULL << 20, b, sizeof(b)), "256M");
	assert_string_equal(vpmem_size_str(1ULL << 30, b, sizeof(b)), "1G");
	assert_string_equal(vpmem_size_str(131072, b, sizeof(b)), "128K");
	assert_string_equal(vpmem_size_str(4097, b, sizeof(b)), "4097");
	assert_string_equal(vpmem_size_str(0, b, sizeof(b)), "0");
	assert_string_equal(vpmem_size_str((256ULL << 20) + (128 << 10), b, sizeof(b)), "262272K");
	assert_string_equal(vpmem_size_human(0xffe0000, b, sizeof(b)), "255.88 MiB");
	assert_string_equal(vpmem_size_human(512, b, sizeof(b)), "512 B");
}

static void test_align(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(vpmem_align_up(1, 4096, &v));
	assert_int_equal(v, 4096);
	assert_true(vpmem_align_up(8192, 4096, &v));
	assert_int_equal(v, 8192);
	assert_false(vpmem_align_up(UINT64_MAX - 10, 4096, &v));
	assert_int_equal(vpmem_align_down(0xffe0000, 16 << 20), 0xf000000);
	assert_true(vpmem_is_pow2(4096));
	assert_false(vpmem_is_pow2(0));
	assert_false(vpmem_is_pow2(12));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_align),
	};

	return cmocka_run_group_tests_name("size", tests, NULL, NULL);
}
