// SPDX-License-Identifier: MIT
/* VM plan -> QEMU argv: exact options, escaping, quoting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/qemu.h>

#define M (1ULL << 20)
#define G (1ULL << 30)

static const char *after(const struct vpmem_strv *sv, const char *flag, unsigned nth)
{
	for (size_t i = 0; i + 1 < sv->n; i++)
		if (!strcmp(sv->v[i], flag) && !nth--)
			return sv->v[i + 1];
	return NULL;
}

static void build(struct vpmem_vm_spec *s, const struct vpmem_qemu_boot *boot, struct vpmem_strv *sv)
{
	struct vpmem_vm_plan p;
	struct vpmem_err err = { 0 };

	if (vpmem_vm_plan(s, &p, &err))
		fail_msg("plan: %s", err.msg);
	if (vpmem_qemu_argv(&p, boot, sv, &err))
		fail_msg("argv: %s", err.msg);
	vpmem_vm_plan_free(&p);
}

static void spec_init(struct vpmem_vm_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->hotplug_slots = -1;
	s->label_size = -1;
}

static void test_two_nodes(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_qemu_boot boot = { .kernel = "/k", .initrd = "/i", .append = "console=ttyS0" };
	struct vpmem_strv sv = VPMEM_STRV_INIT;

	(void)state;
	spec_init(&s);
	s.pmem = G;
	s.nodes = 2;
	s.label_size = 128 << 10;
	s.persistence = VPMEM_PERSIST_CPU;
	s.state_dir = "/st";
	build(&s, &boot, &sv);
	assert_string_equal(sv.v[0], "qemu-system-x86_64");
	assert_string_equal(after(&sv, "-machine", 0), "pc,nvdimm=on,nvdimm-persistence=cpu");
	assert_string_equal(after(&sv, "-accel", 0), "tcg,thread=single"); /* two vCPUs: see qemu.c */
	assert_string_equal(after(&sv, "-cpu", 0), "max");
	assert_string_equal(after(&sv, "-m", 0), "512M,slots=4,maxmem=3670272K");
	assert_string_equal(after(&sv, "-smp", 0), "2");
	assert_string_equal(after(&sv, "-object", 0), "memory-backend-ram,id=ram-node0,size=268435456");
	assert_string_equal(after(&sv, "-numa", 0), "node,nodeid=0,cpus=0,memdev=ram-node0");
	assert_string_equal(after(&sv, "-numa", 1), "node,nodeid=1,cpus=1,memdev=ram-node1");
	assert_string_equal(after(&sv, "-object", 2),
			    "memory-backend-file,id=pmem0,share=on,mem-path=/st/pmem0.img,size=537001984");
	assert_string_equal(after(&sv, "-device", 0),
			    "nvdimm,id=nvdimm0,memdev=pmem0,slot=0,node=0,addr=0x100000000,label-size=131072");
	assert_string_equal(after(&sv, "-device", 1),
			    "nvdimm,id=nvdimm1,memdev=pmem1,slot=1,node=1,addr=0x140000000,label-size=131072");
	assert_string_equal(after(&sv, "-serial", 0), "mon:stdio");
	assert_string_equal(after(&sv, "-append", 0), "console=ttyS0");
	assert_null(sv.v[sv.n]);
	vpmem_strv_free(&sv);
}

static void test_escaping(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_qemu_boot boot = {
		.kernel = "/k", .initrd = "/i", .batch = true, .accel = "kvm",
		.console_path = "/r,1/c", .out_path = "/r,1/o", .err_path = "/r,1/e",
		.status_path = "/r,1/s", .cmd_path = "/r,1/cmd",
		.extra = (char *const[]){ (char *)"-d", (char *)"guest_errors", NULL },
	};
	struct vpmem_strv sv = VPMEM_STRV_INIT;

	(void)state;
	spec_init(&s);
	s.nimages = 1;
	s.images[0] = (struct vpmem_image_req){ .path = "/a, b,,c/x.img", .slot = 2, .node = -1,
						.size = 256 * M, .label_slot = -1 };
	build(&s, &boot, &sv);
	assert_string_equal(after(&sv, "-object", 0),
			    "memory-backend-file,id=pmem2,share=on,mem-path=/a,, b,,,,c/x.img,size=268435456");
	assert_string_equal(after(&sv, "-cpu", 0), "host");
	assert_string_equal(after(&sv, "-chardev", 0), "file,id=console,path=/r,,1/c");
	assert_string_equal(after(&sv, "-serial", 0), "chardev:console");
	assert_string_equal(after(&sv, "-chardev", 3), "file,id=status,path=/r,,1/s");
	assert_string_equal(after(&sv, "-fw_cfg", 0), "name=opt/vpmem/cmd,file=/r,,1/cmd");
	assert_string_equal(sv.v[sv.n - 2], "-d");
	assert_string_equal(sv.v[sv.n - 1], "guest_errors");
	/* no -numa for one node */
	assert_null(after(&sv, "-numa", 0));
	vpmem_strv_free(&sv);
}

static void test_virtio(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_qemu_boot boot = { 0 };
	struct vpmem_strv sv = VPMEM_STRV_INIT;

	(void)state;
	spec_init(&s);
	s.pmem = 512 * M;
	s.virtio = true;
	s.state_dir = "/st";
	build(&s, &boot, &sv);
	assert_string_equal(after(&sv, "-machine", 0), "pc");
	assert_string_equal(after(&sv, "-device", 0),
			    "virtio-pmem-pci,id=vpmem0,memdev=pmem0,memaddr=0x100000000");
	vpmem_strv_free(&sv);
}

static void test_host_nodes(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;
	struct vpmem_qemu_boot boot = { 0 };
	struct vpmem_strv sv = VPMEM_STRV_INIT;
	struct vpmem_err err = { 0 };

	(void)state;
	spec_init(&s);
	s.pmem = G;
	s.nodes = 2;
	s.state_dir = "/st";
	assert_int_equal(vpmem_vm_plan(&s, &p, &err), 0);
	p.node[1].host_node = 3;
	assert_int_equal(vpmem_qemu_argv(&p, &boot, &sv, &err), 0);
	assert_string_equal(after(&sv, "-object", 0), "memory-backend-ram,id=ram-node0,size=268435456");
	assert_string_equal(after(&sv, "-object", 1),
			    "memory-backend-ram,id=ram-node1,size=268435456,host-nodes=3,policy=bind");
	vpmem_strv_free(&sv);
	vpmem_vm_plan_free(&p);
}

static void test_caps(void **state)
{
	struct vpmem_vm_spec s;
	struct vpmem_vm_plan p;
	struct vpmem_qemu_caps all = { .version = "7.2.22", .nvdimm = true, .virtio_pmem = true,
				       .backend_pmem = true, .backend_align = true, .nvdimm_label_size = true };
	struct vpmem_qemu_caps c;
	struct vpmem_err err = { 0 };

	(void)state;
	spec_init(&s);
	s.pmem = G;
	s.label_size = 128 << 10;
	s.state_dir = "/st";
	assert_int_equal(vpmem_vm_plan(&s, &p, &err), 0);
	assert_int_equal(vpmem_qemu_check(&p, &all, &err), 0);
	c = all;
	c.nvdimm_label_size = false;
	assert_int_equal(vpmem_qemu_check(&p, &c, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "no label-size property"));
	p.dimm[0].pmem = true;
	c = all;
	c.backend_pmem = false;
	assert_int_equal(vpmem_qemu_check(&p, &c, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "built without libpmem"));
	c = all;
	c.nvdimm = false;
	assert_int_equal(vpmem_qemu_check(&p, &c, &err), -EOPNOTSUPP);
	p.virtio = true;
	c = all;
	c.virtio_pmem = false;
	assert_int_equal(vpmem_qemu_check(&p, &c, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "no virtio-pmem-pci"));
	vpmem_vm_plan_free(&p);
}

/* A QEMU that cannot be run: the message names it once and keeps the cause. */
static void test_probe_missing(void **state)
{
	struct vpmem_qemu_caps caps;
	struct vpmem_err err = { 0 };

	assert_int_equal(vpmem_qemu_probe("/nonexistent/qemu-x", &caps, &err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "cannot run QEMU '/nonexistent/qemu-x' (install qemu-system-x86): "
				     "cannot run '/nonexistent/qemu-x': not found");
}

static void test_quote(void **state)
{
	char *q;

	(void)state;
	q = vpmem_shell_quote("plain-arg=1,2");
	assert_string_equal(q, "plain-arg=1,2");
	free(q);
	q = vpmem_shell_quote("a b");
	assert_string_equal(q, "'a b'");
	free(q);
	q = vpmem_shell_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);
	q = vpmem_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
	q = vpmem_shell_quote("$HOME;rm");
	assert_string_equal(q, "'$HOME;rm'");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_virtio),
		cmocka_unit_test(test_host_nodes),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_probe_missing),
	};

	return cmocka_run_group_tests_name("qemu", tests, NULL, NULL);
}
