// SPDX-License-Identifier: MIT
/*
 * e820 maps and memmap= planning (lib/host/e820.c): the three text forms the
 * kernel gives (dmesg BIOS-e820 / user: lines, a /sys/firmware/memmap dump,
 * /proc/iomem), the refusals, the plan's rules (128 MiB sections, RAM left),
 * and memmap= read back from a command line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/e820.h>

#define G (1ULL << 30)

/* 16 GiB of RAM: 3 GiB below the hole, 13 GiB from 4 GiB */
static const char dmesg[] =
	"[    0.000000] BIOS-provided physical RAM map:\n"
	"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
	"[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x00000000000fffff] reserved\n"
	"[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n"
	"[    0.000000] BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved\n"
	"[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000043fffffff] usable\n";

static struct vpmem_e820_map *map;

static int setup(void **state)
{
	(void)state;
	map = calloc(1, sizeof(*map));
	return map ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(map);
	return 0;
}

static void test_parse_forms(void **state)
{
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(vpmem_e820_parse(dmesg, false, map, &err), 0);
	assert_int_equal(map->n, 5);
	assert_string_equal(map->source, "dmesg");
	assert_int_equal(map->r[4].start, 4 * G);
	assert_int_equal(map->r[4].end, 17 * G - 1);
	assert_int_equal(map->r[4].type, VPMEM_E820_USABLE);
	assert_int_equal(map->r[1].type, VPMEM_E820_RESERVED);

	/* /sys/firmware/memmap as grep -H . over its files prints it */
	assert_int_equal(vpmem_e820_parse("/sys/firmware/memmap/0/end:0x9fbff\n"
					  "/sys/firmware/memmap/0/start:0x0\n"
					  "/sys/firmware/memmap/0/type:System RAM\n"
					  "/sys/firmware/memmap/1/end:0x43fffffff\n"
					  "/sys/firmware/memmap/1/start:0x100000000\n"
					  "/sys/firmware/memmap/1/type:System RAM\n", false, map, &err), 0);
	assert_int_equal(map->n, 2);
	assert_string_equal(map->source, "memmap");
	assert_int_equal(map->r[1].end, 17 * G - 1);

	/* /proc/iomem: top-level ranges only, type 12 named */
	assert_int_equal(vpmem_e820_parse("00000000-00000fff : Reserved\n"
					  "00001000-0009fbff : System RAM\n"
					  "100000000-43fffffff : System RAM\n"
					  "  100000000-101ffffff : Kernel code\n"
					  "440000000-83fffffff : Persistent Memory (legacy)\n", false, map, &err), 0);
	assert_string_equal(map->source, "iomem");
	assert_int_equal(map->n, 4);
	assert_int_equal(map->r[3].type, VPMEM_E820_PRAM);
	assert_string_equal(vpmem_e820_type_name(VPMEM_E820_PRAM), "persistent (type 12)");
}

static void test_parse_refusals(void **state)
{
	struct vpmem_err err = { 0 };

	(void)state;
	/* overlapping ranges */
	assert_true(vpmem_e820_parse("[0.0] BIOS-e820: [mem 0x0000000000000000-0x00000000bfffffff] usable\n"
				     "[0.0] BIOS-e820: [mem 0x00000000b0000000-0x00000000cfffffff] reserved\n",
				     false, map, &err) < 0);
	assert_string_equal(err.msg, "ranges 0x0-0xbfffffff and 0xb0000000-0xcfffffff overlap");
	/* addresses hidden from an unprivileged reader (all zeros) */
	assert_int_equal(vpmem_e820_parse("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n",
					  false, map, &err), -EPERM);
	assert_string_equal(err.msg, "/proc/iomem shows no addresses (read it as root)");
	/* nothing recognisable */
	assert_int_equal(vpmem_e820_parse("hello\n", false, map, &err), -EINVAL);
}

static void test_plan(void **state)
{
	struct vpmem_e820_req req = { .size = 4 * G, .count = 2 };
	struct vpmem_e820_plan p;
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(vpmem_e820_parse(dmesg, false, map, &err), 0);
	assert_int_equal(vpmem_e820_plan(map, &req, &p, &err), 0);
	assert_int_equal(p.n, 2);
	for (unsigned i = 0; i < p.n; i++) {
		/* whole sections of usable RAM above 4 GiB */
		assert_int_equal(p.r[i].size, 4 * G);
		assert_int_equal(p.r[i].start % VPMEM_SECTION_SIZE, 0);
		assert_true(p.r[i].start >= 4 * G && p.r[i].start + p.r[i].size <= 17 * G);
	}
	assert_true(p.r[0].start + p.r[0].size <= p.r[1].start);
	assert_true(p.ram_left >= 4 * G); /* a quarter of the RAM stays */
	{
		char want[128];

		snprintf(want, sizeof(want), "memmap=4G!%lluG memmap=4G!%lluG",
			 (unsigned long long)(p.r[0].start / G), (unsigned long long)(p.r[1].start / G));
		assert_string_equal(p.param, want);
	}
	/* refusals: not whole sections; more than the RAM can give */
	req.size = 100ULL << 20;
	assert_true(vpmem_e820_plan(map, &req, &p, &err) < 0);
	req.size = 8 * G;
	assert_true(vpmem_e820_plan(map, &req, &p, &err) < 0);
}

static void test_cmdline(void **state)
{
	struct vpmem_e820_res r[4];

	(void)state;
	assert_int_equal(vpmem_e820_cmdline_pram("BOOT_IMAGE=/vmlinuz root=/dev/sda1 memmap=4G!4G,2G!12G quiet "
						 "memmap=1G$8G memmap=512M!0x300000000", r, 4), 3);
	assert_int_equal(r[0].start, 4 * G);
	assert_int_equal(r[0].size, 4 * G);
	assert_int_equal(r[1].start, 12 * G);
	assert_int_equal(r[1].size, 2 * G);
	assert_int_equal(r[2].start, 12 * G);
	assert_int_equal(r[2].size, 512ULL << 20);
	assert_int_equal(vpmem_e820_cmdline_pram("quiet", r, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_cmdline),
	};

	return cmocka_run_group_tests_name("e820", tests, setup, teardown);
}
