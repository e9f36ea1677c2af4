// SPDX-License-Identifier: MIT
/* vpmem cxl boot-script | boot-unit: what a guest runs so CXL pmem regions come back */
#include <stdio.h>
#include <string.h>

#include <vpmem/cxl.h>

#include "vpmem.h"

const char usage_cxl[] =
	"usage: vpmem cxl boot-script\n"
	"       vpmem cxl boot-unit\n"
	"\n"
	"CXL persistent memory ('vpmem run --cxl-pmem SIZE') needs one step in the\n"
	"guest at every boot: the kernel resets the CXL decoders at power-off and\n"
	"neither writes nor reads region labels (Linux 6.1 and 6.12), so each type-3\n"
	"device's pmem region must be created again:\n"
	"    cxl create-region -m -d decoder0.0 -w 1 memN -t pmem\n"
	"after which its namespaces come back from the device's label area, data\n"
	"intact. The default guest does this itself; your own guest needs the cxl\n"
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
