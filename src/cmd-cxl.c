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
#include <vpmem/size.h>

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
		printf("create '%s': %s sparse (CXL memory, sn 0x%" PRIx64 ", cookie 0x%" PRIx64 ")\n", path,
		       vpmem_size_str(size, a, sizeof(a)), serial, vpmem_cxl_cookie(serial, 0));
		printf("create '%s%s': %s, label index blocks v1.2\n", path, VPMEM_CXL_LSA_SUFFIX,
		       vpmem_size_str(lsa_size, b, sizeof(b)));
		if (l)
			printf("then apply the layout '%s' (%u namespace%s)\n", layout, l->nns, l->nns == 1 ? "" : "s");
		vpmem_layout_free(l);
		return EXIT_OK;
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
