// SPDX-License-Identifier: MIT
/* The VM planner: sizes, nodes, slots/maxmem, addresses, every refusal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/size.h>
#include <vpmem/vm.h>

#define M (1ULL << 20)
#define G (1ULL << 30)

static void spec_init(struct vpmem_vm_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->hotplug_slots = -1;
	s->label_size = -1;
	s->state_dir = "/state";
	s->phys_bits = 40;
}

static void plan_ok(const struct vpmem_vm_spec *s, struct vpmem_vm_plan *p)
{
	struct vpmem_err err = { 0 };
	int r = vpmem_vm_plan(s, p, &err);

	if (r)
		fail_msg("plan failed: %s", err.msg);
}

static void plan_bad(const struct vpmem_vm_spec *s, const char *needle)
{
	struct vpmem_err err = { 0 };
	struct vpmem_vm_plan p;

	assert_int_equal(vpmem_vm_plan(s, &p, &err), -EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	assert_null(strchr(err.msg, '\n'));
}

static void test_single(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.pmem = 256 * M;
	plan_ok(&s, &p);
	assert_int_equal(p.ram, 512 * M);
	assert_int_equal(p.nodes, 1);
	assert_int_equal(p.cores, 1);
	assert_int_equal(p.ndimms, 1);
	assert_int_equal(p.slots, 3);               /* 1 + 2 free hotplug slots */
	assert_int_equal(p.maxmem, 512 * M + 256 * M + 2 * G);
	assert_true(p.maxmem > p.ram);
	assert_int_equal(p.devmem_base, 4 * G);
	assert_int_equal(p.dimm[0].slot, 0);
	assert_int_equal(p.dimm[0].size, 256 * M);
	assert_int_equal(p.dimm[0].region, 256 * M);
	assert_int_equal(p.dimm[0].addr, 4 * G);
	assert_true(p.dimm[0].create);
	assert_string_equal(p.dimm[0].path, "/state/pmem0.img");
	assert_string_equal(p.notes, "");
	vpmem_vm_plan_free(&p);
}

static void test_nodes_labels(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.pmem = 1 * G;
	s.nodes = 2;
	s.label_size = 128 << 10;
	plan_ok(&s, &p);
	assert_int_equal(p.cores, 2);
	assert_int_equal(p.ndimms, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(p.dimm[i].slot, i);
		assert_int_equal(p.dimm[i].node, i);
		assert_int_equal(p.dimm[i].region, 512 * M);         /* guest-visible, 16M multiple */
		assert_int_equal(p.dimm[i].size, 512 * M + (128 << 10));
		assert_int_equal(p.dimm[i].addr % (16 * M), 0);       /* every region aligned */
		assert_int_equal(p.node[i].ram, 256 * M);
		assert_int_equal(p.node[i].ncpus, 1);
		assert_int_equal(p.node[i].cpu_first, i);
	}
	assert_int_equal(p.dimm[0].addr, 4 * G);
	assert_int_equal(p.dimm[1].addr, 5 * G); /* next 1 GiB boundary after 512M+128K */
	/* DIMMs fit in the device-memory window QEMU makes */
	assert_true(p.dimm[1].addr + p.dimm[1].size <= p.devmem_base + p.devmem_size);
	vpmem_vm_plan_free(&p);
}

/* libvirt rounds <target><size> up to 2 MiB (qemuDomainAlignMemorySizes): the
 * label area grows, the region stays whole; images must be 2 MiB multiples. */
static void test_libvirt_sizes(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.pmem = 512 * M;
	s.nodes = 2;
	s.label_size = 128 << 10;
	s.libvirt_sizes = true;
	plan_ok(&s, &p);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(p.dimm[i].region, 256 * M);
		assert_int_equal(p.dimm[i].label_size, 2 * M);
		assert_int_equal(p.dimm[i].size, 258 * M);
		assert_int_equal(p.dimm[i].size % VPMEM_LIBVIRT_SIZE_ALIGN, 0);
	}
	assert_non_null(strstr(p.notes, "label area is 2M, not 128K"));
	vpmem_vm_plan_free(&p);
	/* a label area already a 2M multiple is kept; label-less is unchanged */
	s.label_size = 4 * M;
	plan_ok(&s, &p);
	assert_int_equal(p.dimm[0].label_size, 4 * M);
	assert_string_equal(p.notes, "");
	vpmem_vm_plan_free(&p);
	s.label_size = 0;
	plan_ok(&s, &p);
	assert_int_equal(p.dimm[0].size, 256 * M);
	vpmem_vm_plan_free(&p);
	/* the QEMU launcher keeps the label area asked for */
	s.label_size = 128 << 10;
	s.libvirt_sizes = false;
	plan_ok(&s, &p);
	assert_int_equal(p.dimm[0].size, 256 * M + (128 << 10));
	vpmem_vm_plan_free(&p);
	/* an image libvirt would resize is refused */
	spec_init(&s);
	s.libvirt_sizes = true;
	s.nimages = 1;
	s.images[0] = (struct vpmem_image_req){ .path = "/x.img", .slot = -1, .node = -1, .label_slot = -1,
						 .size = 64 * M + (128 << 10), .label_size = 128 << 10 };
	plan_bad(&s, "is not a multiple of 2M: libvirt would round");
}

/* What makes two requests different machines (run --name reuse). */
static void test_spec_differs(void **state)
{
	struct vpmem_vm_spec a, b;
	char buf[512];

	(void)state;
	spec_init(&a);
	a.pmem = 64 * M;
	b = a;
	assert_false(vpmem_vm_spec_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	b.pmem = 128 * M;
	b.nodes = 2;
	assert_true(vpmem_vm_spec_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "--qemu-pmem 128M (saved: 64M), --qemu-nodes 2 (saved: 0)");
	b = a;
	b.label_size = 128 << 10;
	assert_true(vpmem_vm_spec_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "--label-size 128K (saved: default)");
}

static void test_uneven(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.pmem = 1 * G;
	s.nodes = 3;
	s.cores = 4;
	s.ram = 1000 * M;
	plan_ok(&s, &p);
	assert_int_equal(p.ndimms, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(p.dimm[i].region, 336 * M); /* ALIGN_DOWN(1G/3, 16M) */
	assert_non_null(strstr(p.notes, "16.00 MiB is left unused"));
	/* RAM: 332M each (2M aligned), the remainder to the last node, all of it used */
	assert_int_equal(p.node[0].ram + p.node[1].ram + p.node[2].ram, 1000 * M);
	assert_int_equal(p.node[0].ram, 332 * M);
	assert_int_equal(p.node[2].ram, 336 * M);
	assert_non_null(strstr(p.notes, "node 2 gets the remaining 4M"));
	/* cores 4 over 3 nodes: 2,1,1 */
	assert_int_equal(p.node[0].ncpus, 2);
	assert_int_equal(p.node[1].cpu_first, 2);
	assert_int_equal(p.node[2].cpu_first, 3);
	vpmem_vm_plan_free(&p);
}

static void test_big_ram(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.pmem = 16 * M;
	s.ram = 4 * G; /* >= 3.5G: 3G below 4G, 1G above -> window at 5G */
	plan_ok(&s, &p);
	assert_int_equal(p.devmem_base, 5 * G);
	assert_int_equal(p.dimm[0].addr, 5 * G);
	vpmem_vm_plan_free(&p);
	s.ram = 3 * G; /* all below 4G */
	plan_ok(&s, &p);
	assert_int_equal(p.devmem_base, 4 * G);
	vpmem_vm_plan_free(&p);
}

static void test_images(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.nodes = 2;
	s.nimages = 3;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = -1, .node = -1, .size = 256 * M,
						.label_slot = -1 };
	s.images[1] = (struct vpmem_image_req){ .path = "b", .slot = 0, .node = 1, .size = 256 * M,
						.label_slot = -1 };
	/* labelled for slot 5: goes to slot 5 by itself (the identity rule) */
	s.images[2] = (struct vpmem_image_req){ .path = "c", .slot = -1, .node = -1,
						.size = 256 * M + (128 << 10), .label_slot = 5,
						.label_size = 128 << 10 };
	plan_ok(&s, &p);
	assert_int_equal(p.ndimms, 3);
	assert_string_equal(p.dimm[0].path, "b");
	assert_int_equal(p.dimm[0].node, 1);
	assert_string_equal(p.dimm[1].path, "a"); /* first free slot after pinned ones */
	assert_int_equal(p.dimm[1].slot, 1);
	assert_string_equal(p.dimm[2].path, "c");
	assert_int_equal(p.dimm[2].slot, 5);
	assert_int_equal(p.dimm[2].region, 256 * M);
	assert_int_equal(p.slots, 6 + 2);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(p.dimm[i].addr % G, 0);
	assert_true(p.dimm[2].addr >= p.dimm[1].addr + 256 * M);
	vpmem_vm_plan_free(&p);
}

static void test_errors(void **state)
{
	struct vpmem_vm_spec s;

	(void)state;
	spec_init(&s);
	plan_bad(&s, "no persistent memory asked for");

	spec_init(&s);
	s.pmem = 8 * M;
	plan_bad(&s, "too small");

	spec_init(&s);
	s.pmem = 16 * M;
	s.nodes = 2;
	plan_bad(&s, "too small");

	spec_init(&s);
	s.pmem = G;
	s.label_size = 64 << 10;
	plan_bad(&s, "below QEMU's minimum of 128K");

	spec_init(&s);
	s.pmem = G;
	s.label_size = (128 << 10) + 1;
	plan_bad(&s, "not a multiple of 4K");

	spec_init(&s);
	s.pmem = G;
	s.nodes = 4;
	s.cores = 2;
	plan_bad(&s, "more than --qemu-cores");

	spec_init(&s);
	s.pmem = G;
	s.ram = 64 * M;
	plan_bad(&s, "too small");

	spec_init(&s);
	s.pmem = G;
	s.ram = 513 * M;
	plan_bad(&s, "multiple of 2M");

	spec_init(&s);
	s.pmem = G;
	s.virtio = true;
	s.label_size = 128 << 10;
	plan_bad(&s, "--virtio-pmem");

	spec_init(&s);
	s.pmem = 2048 * G; /* beyond TCG's 40 physical address bits */
	plan_bad(&s, "40-bit physical address space");

	spec_init(&s);
	s.pmem = G;
	s.hotplug_slots = 256;
	plan_bad(&s, "memory slots needed");

	spec_init(&s);
	s.nimages = 2;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = 3, .node = -1, .size = G, .label_slot = -1 };
	s.images[1] = (struct vpmem_image_req){ .path = "b", .slot = 3, .node = -1, .size = G, .label_slot = -1 };
	plan_bad(&s, "slot 3 is already used by 'a'");

	spec_init(&s);
	s.nimages = 1;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = 300, .node = -1, .size = G, .label_slot = -1 };
	plan_bad(&s, "out of range");

	spec_init(&s);
	s.nimages = 1;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = 1, .node = -1, .size = G, .label_slot = 0,
						.label_size = 128 << 10 };
	plan_bad(&s, "labels belong to slot 0 but slot=1");

	spec_init(&s);
	s.nimages = 1;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = -1, .node = 2, .size = G, .label_slot = -1 };
	plan_bad(&s, "node=2 but the guest has 1 node");

	spec_init(&s);
	s.nimages = 1;
	s.label_size = 256 << 10;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = -1, .node = -1, .size = G, .label_slot = 0,
						.label_size = 128 << 10 };
	plan_bad(&s, "has a 128K label area but --label-size 256K");

	spec_init(&s);
	s.nimages = 1;
	s.label_size = 128 << 10;
	s.images[0] = (struct vpmem_image_req){ .path = "a", .slot = -1, .node = -1, .size = 64 << 10,
						.label_slot = -1 };
	plan_bad(&s, "too small for a 128K label area");

	spec_init(&s);
	s.pmem = G;
	s.nodes = 3;
	s.cores = 3;
	s.ndirs = 2;
	s.dirs[0] = "/x";
	s.dirs[1] = "/y";
	plan_bad(&s, "one per node");
}

static void test_dirs(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;

	(void)state;
	spec_init(&s);
	s.pmem = G;
	s.nodes = 2;
	s.ndirs = 2;
	s.dirs[0] = "/dax0";
	s.dirs[1] = "/dax1";
	plan_ok(&s, &p);
	assert_string_equal(p.dimm[0].path, "/dax0/pmem0.img");
	assert_string_equal(p.dimm[1].path, "/dax1/pmem1.img");
	vpmem_vm_plan_free(&p);
}

static void test_region_size(void **state)
{
	(void)state;
	/* QEMU nvdimm_prepare_memory_region: ALIGN_DOWN(size - label, align) */
	assert_int_equal(vpmem_vm_region_size(256 * M, 128 << 10, 0), 0xffe0000);
	assert_int_equal(vpmem_vm_region_size(256 * M, 0, 0), 256 * M);
	assert_int_equal(vpmem_vm_region_size(256 * M, 128 << 10, 2 * M), 254 * M);
	assert_int_equal(vpmem_vm_region_size(128 << 10, 128 << 10, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_nodes_labels),
		cmocka_unit_test(test_uneven),
		cmocka_unit_test(test_libvirt_sizes),
		cmocka_unit_test(test_spec_differs),
		cmocka_unit_test(test_big_ram),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_region_size),
	};

	return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
