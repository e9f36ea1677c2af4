// SPDX-License-Identifier: MIT
/* vpmem cxl boot-script | boot-unit: what a guest runs so CXL pmem regions come back */
#include <errno.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/cxl.h>
#include <vpmem/image.h>
#include <vpmem/layout.h>
#include <vpmem/layout-apply.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "vpmem.h"

const char usage_cxl[] =
	"usage: vpmem cxl boot-script\n"
	"       vpmem cxl boot-unit\n"
	"\n"
	"CXL persistent memory ('vpmem run --cxl-pmem SIZE') needs one step in the\n"
	"guest at every boot: the kernel resets the CXL decoders at power-off and\n"
	"neither writes nor reads region labels (Linux 6.1 and 6.12), so each type-3\n"
	"device's pmem region must be created again:\n"
	"    cxl create-region -m -d decoder0.N -w 1 memN -t pmem\n"
	"(decoder0.N: the root decoder that routes memN, 'cxl list -M -d decoder0.N';\n"
	"vpmem run gives each device a host bridge and window of its own), after\n"
	"which its namespaces come back from the device's label area, data intact.\n"
	"The default guest does this itself; your own guest needs the cxl\n"
	"tool (Debian: ndctl) and the modules cxl_acpi cxl_pci cxl_port cxl_mem\n"
	"cxl_pmem, plus:\n"
	"\n"
	"  boot-script   print the script (sh, cxl and sysfs only): it waits for the\n"
	"                memory devices and creates a region on each that has none\n"
	"  boot-unit     print a systemd unit that runs it early at boot; install:\n"
	"      vpmem cxl boot-script >/usr/local/lib/vpmem/cxl-regions.sh\n"
	"      vpmem cxl boot-unit >/etc/systemd/system/vpmem-cxl-regions.service\n"
	"      systemctl enable vpmem-cxl-regions.service\n";

int cmd_cxl(int argc, char **argv, struct vpmem_ctx *ctx)
{
	(void)ctx;
	if (argc < 2)
		return cmd_usage_error("cxl", "missing subcommand (boot-script or boot-unit)");
	if (argc > 2)
		return cmd_usage_error("cxl", "unexpected argument '%s'", argv[2]);
	if (!strcmp(argv[1], "boot-script"))
		fputs(vpmem_cxl_boot_script(), stdout);
	else if (!strcmp(argv[1], "boot-unit"))
		fputs(vpmem_cxl_boot_unit(), stdout);
	else
		return cmd_usage_error("cxl", "unknown subcommand '%s' (boot-script or boot-unit)", argv[1]);
	return EXIT_OK;
}

int parse_cxl_serial(const char *arg, uint64_t *serial)
{
	char *end;

	errno = 0;
	*serial = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *arg == '-' || !*serial)
		return cmd_usage_error("image", "--serial '%s': a non-zero number (e.g. 0xc71000)", arg);
	return 0;
}

/* The checks vpmem_cxl_image_create_with makes, for a dry run (same words). */
static int cxl_dry_check(const char *path, const char *lsa, uint64_t size, uint64_t lsa_size)
{
	struct vpmem_err err = { 0 };
	char a[32];

	if (size % VPMEM_CXL_ALIGN)
		return cmd_error(EXIT_FAIL, "image: --size %s: a CXL memory file is a whole number of 256M (QEMU's CXL capacity unit)",
				 vpmem_size_str(size, a, sizeof(a)));
	if (vpmem_label_size_check(lsa_size, &err))
		return cmd_error(EXIT_FAIL, "image: %s", err.msg);
	if (!lsa_size)
		return cmd_error(EXIT_FAIL, "image: a CXL image needs a label area (--label-size)");
	if (!access(path, F_OK) || !access(lsa, F_OK))
		return cmd_error(EXIT_FAIL, "image: '%s' exists (vpmem never overwrites an image)",
				 access(path, F_OK) ? lsa : path);
	return 0;
}

/*
 * --dry-run: the label file's index blocks (the memory file is only sized),
 * then with --layout the layout's plan, made on the pair in memory
 * (vpmem_cxl_layout_plan_new_image). --json: as NVDIMM image create
 * --dry-run --json ({"file", "dry_run", "size", "label_size", "region_size",
 * "label_version", "writes", "layout"}) with "cxl", "label_file", "serial"
 * and "iset_id" instead of "slot"; "writes" go to "label_file".
 */
static int cxl_dry_run(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial, const char *layout,
		       const struct vpmem_layout *l, bool json)
{
	struct vpmem_image_spec ls = { .size = lsa_size, .label_size = lsa_size, .version = VPMEM_LABEL_V1_2,
				       .slot = -1 };
	struct vpmem_wplan plan = { 0 };
	struct vpmem_err err = { 0 };
	json_object *o = NULL;
	char a[32], b[32], *lsa = NULL;
	int r;

	if (asprintf(&lsa, "%s%s", path, VPMEM_CXL_LSA_SUFFIX) < 0)
		return cmd_error(EXIT_FAIL, "out of memory");
	if ((r = cxl_dry_check(path, lsa, size, lsa_size)))
		goto out;
	if (vpmem_image_plan_init_labels(&ls, &plan, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	/* as vpmem_image_create_with makes the label file: no name until done */
	vpmem_wplan_drop_barriers(&plan);
	if (json) {
		json_object *w = wplan_to_json(&plan, lsa), *writes = NULL;
		char sn[24], ck[24];

		snprintf(sn, sizeof(sn), "0x%" PRIx64, serial);
		snprintf(ck, sizeof(ck), "0x%" PRIx64, vpmem_cxl_cookie(serial, 0));
		o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
		json_object_object_add(o, "cxl", json_object_new_boolean(1));
		json_object_object_add(o, "size", json_object_new_uint64(size));
		json_object_object_add(o, "label_file", json_object_new_string(lsa));
		json_object_object_add(o, "label_size", json_object_new_uint64(lsa_size));
		json_object_object_add(o, "region_size", json_object_new_uint64(size));
		json_object_object_add(o, "label_version", json_object_new_string("1.2"));
		json_object_object_add(o, "serial", json_object_new_string(sn));
		json_object_object_add(o, "iset_id", json_object_new_string(ck));
		json_object_object_get_ex(w, "writes", &writes);
		json_object_object_add(o, "writes", json_object_get(writes));
		json_object_put(w);
	} else {
		printf("create '%s': %s sparse (CXL memory, sn 0x%" PRIx64 ", cookie 0x%" PRIx64 ")\n", path,
		       vpmem_size_str(size, a, sizeof(a)), serial, vpmem_cxl_cookie(serial, 0));
		printf("create '%s': %s, label index blocks v1.2\n", lsa, vpmem_size_str(lsa_size, b, sizeof(b)));
		wplan_print(&plan, lsa);
	}
	if (l) {
		struct image_new n = { .cxl = true, .size = size, .lsa_size = lsa_size, .serial = serial };

		r = image_dry_layout(path, &n, layout, l, json, o);
	}
out:
	vpmem_wplan_free(&plan);
	free(lsa);
	if (o)
		out_json(o);
	return r;
}

int image_create_cxl(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial, const char *layout,
		     bool nolabels, bool nvdimm_opts, bool dry, bool json)
{
	struct vpmem_layout *l = NULL;
	char a[32], b[32];
	int r;

	if (nolabels || nvdimm_opts)
		return cmd_usage_error("image", "--cxl takes no --no-labels, --slot or --label-version (a CXL image has labels v1.2 and a serial)");
	if (!lsa_size)
		lsa_size = VPMEM_CXL_LSA_SIZE;
	if (!serial)
		serial = VPMEM_CXL_SERIAL_BASE;
	if (layout && (r = layout_load_opt("image", layout, &l)))
		return r;
	if (dry) {
		r = cxl_dry_run(path, size, lsa_size, serial, layout, l, json);
		vpmem_layout_free(l);
		return r;
	}
	if ((r = image_create_cmd(path, &(struct image_new){ .cxl = true, .size = size, .lsa_size = lsa_size,
							     .serial = serial }, l)))
		return r;
	if (json) {
		json_object *o = json_object_new_object();
		char sn[24], ck[24];

		snprintf(sn, sizeof(sn), "0x%" PRIx64, serial);
		snprintf(ck, sizeof(ck), "0x%" PRIx64, vpmem_cxl_cookie(serial, 0));
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "cxl", json_object_new_boolean(1));
		json_object_object_add(o, "size", json_object_new_uint64(size));
		{
			char *lp = NULL;

			if (asprintf(&lp, "%s%s", path, VPMEM_CXL_LSA_SUFFIX) > 0)
				json_object_object_add(o, "label_file", json_object_new_string(lp));
			free(lp);
		}
		json_object_object_add(o, "label_size", json_object_new_uint64(lsa_size));
		json_object_object_add(o, "region_size", json_object_new_uint64(size));
		json_object_object_add(o, "serial", json_object_new_string(sn));
		json_object_object_add(o, "iset_id", json_object_new_string(ck));
		out_json(o);
	} else {
		printf("created '%s' + '%s%s': CXL, region %s, labels v1.2 (%s), serial 0x%" PRIx64 "\n", path, path,
		       VPMEM_CXL_LSA_SUFFIX, vpmem_size_human(size, a, sizeof(a)), vpmem_size_str(lsa_size, b, sizeof(b)),
		       serial);
	}
	return EXIT_OK;
}
