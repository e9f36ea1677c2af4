// SPDX-License-Identifier: MIT
/* Expected values: doc/formats.md 1.3 and 2 (observed in golden images). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/nfit.h>

static void test_slots(void **state)
{
	static const struct {
		unsigned slot;
		const char *id;
		uint64_t c1, c2;
	} t[] = {
		{ 0, "8680-56341200", 0x2468ac00123456ULL, 0xba90120012b4dcULL },
		{ 1, "8680-57341200", 0x2468ae00123457ULL, 0xba901c0012b4ddULL },
		{ 2, "8680-58341200", 0x2468b000123458ULL, 0xba90260012b4deULL },
	};
	struct vpmem_nfit_dimm d;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		vpmem_nfit_dimm(t[i].slot, &d);
		assert_string_equal(d.id, t[i].id);
		assert_int_equal(d.cookie1, t[i].c1);
		assert_int_equal(d.cookie2, t[i].c2);
		assert_int_equal(d.handle, t[i].slot + 1);
		assert_int_equal(d.serial, 0x123456 + t[i].slot);
		assert_int_equal(d.spa_index, (t[i].slot + 1) * 2);
	}
	/* the general formula of doc/formats.md for a larger slot */
	vpmem_nfit_dimm(200, &d);
	assert_int_equal(d.cookie1, ((uint64_t)(2 * d.serial) << 32) | d.serial);
	assert_int_equal(d.cookie2, ((uint64_t)((10ULL * d.serial + 0x484b6) & 0xffffffff) << 32) |
				    (d.serial + 0x8086));
}

static void test_vmware_id(void **state)
{
	char id[16];

	(void)state;
	/* byte-swapped vendor and serial, as acpi_nfit_add_dimm prints them */
	vpmem_nfit_id(0x0289, 0x0c086b20, id, sizeof(id));
	assert_string_equal(id, "8902-206b080c");
}

static void test_fletcher(void **state)
{
	uint8_t buf[8] = { 1, 0, 0, 0, 2, 0, 0, 0 };

	(void)state;
	/* lo = 1+2 = 3, hi = 1 + 3 = 4 */
	assert_int_equal(vpmem_fletcher64(buf, sizeof(buf), 1), (4ULL << 32) | 3);
	/* lo wraps modulo 2^32 */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(vpmem_fletcher64(buf, sizeof(buf), 1) & 0xffffffff, 0xfffffffe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_vmware_id),
		cmocka_unit_test(test_fletcher),
	};

	return cmocka_run_group_tests_name("nfit", tests, NULL, NULL);
}
