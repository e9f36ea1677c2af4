// SPDX-License-Identifier: MIT
/* vpmem list: what a guest would see in vNVDIMM images, as ndctl list -RND. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/image.h>
#include <vpmem/input.h>
#include <vpmem/nfit.h>
#include <vpmem/reconfigure.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "vpmem.h"

const char usage_list[] =
	"usage: vpmem list FILE... [--label-size SIZE] [--slot N] [--json] [-v]\n"
	"\n"
	"Decode vNVDIMM backing files (made by vpmem, by ndctl in a guest, or\n"
	"Kata-style) and print what a guest would show: ndctl list -RND shaped JSON\n"
	"with --json (dimm id of the slot, region size and iset_id, each namespace's\n"
	"mode, map, size, uuid, raw_uuid, name, sector_size, align). Files are regions\n"
	"0, 1, ... in the order given. Corrupt or foreign metadata is reported as\n"
	"\"problems\" naming the block and the check. Hints: --label-size (an\n"
	"uninitialised label area; 0 = none), --slot (an unlabelled image's slot).\n"
	"-v adds label and layout details.\n";

int cmd_list(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "label-size", required_argument, NULL, 'l' }, { "slot", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' }, { "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_err err = { 0 };
	bool json = ctx->json, verbose = false;
	json_object *dimms = NULL, *regions = NULL;
	int c, r = EXIT_OK;

	struct cmd_opts op = { .cmd = "list", .shortopts = "v", .longopts = opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 'l':
			if (vpmem_size_parse(optarg, VPMEM_SIZE_ALLOW_ZERO, "--label-size", &h.label_size, &err))
				return cmd_error(EXIT_USAGE, "list: %s", err.msg);
			h.label_size_set = true;
			break;
		case 's':
			if (parse_slot_opt("list", optarg, &h.slot))
				return EXIT_USAGE;
			break;
		case 'j': json = true; break;
		case 'v': verbose = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind == argc)
		return cmd_usage_error("list", "needs at least one FILE");
	if (json) {
		dimms = json_object_new_array();
		regions = json_object_new_array();
	}
	for (int i = optind; i < argc; i++) {
		unsigned region = (unsigned)(i - optind);
		struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
		struct vpmem_nfit_dimm d;
		char nmem[32], a[32], b[32], hint[512];
		struct vpmem_image_hints hf = h; /* CXL: FILE with FILE.lsa (image.h) */
		int fd = vpmem_image_open(argv[i], false, &hf, &err);

		if (fd < 0) {
			r = cmd_error(EXIT_FAIL, "list: %s", err.msg);
			free(ri);
			continue;
		}
		if (!ri || vpmem_region_read(fd, &hf, ri, &err)) {
			r = cmd_error(EXIT_FAIL, "list: '%s': %s", argv[i], !ri ? "out of memory" : err.msg);
			vpmem_image_close(fd, &hf);
			free(ri);
			continue;
		}
		check_hint(fd, argv[i], &hf, hint, sizeof(hint)); /* damaged: say what to run */
		vpmem_image_close(fd, &hf);
		vpmem_nfit_dimm(ri->cxl ? 0 : (unsigned)ri->slot, &d);
		if (ri->cxl) /* a CXL nvdimm's id: the serial in decimal, as `cxl list -M` prints it
			 * (and newer kernels' nmemX/cxl/id, drivers/cxl/pmem.c id_show) */
			snprintf(d.id, sizeof(d.id), "%llu", (unsigned long long)ri->cxl_serial);
		snprintf(nmem, sizeof(nmem), "nmem%u", region);
		if (json) {
			json_object *dm = json_object_new_object(), *rg;

			json_object_object_add(dm, "dev", json_object_new_string(nmem));
			json_object_object_add(dm, "id", json_object_new_string(d.id));
			if (ri->cxl) {
				char sn[24];

				snprintf(sn, sizeof(sn), "0x%llx", (unsigned long long)ri->cxl_serial);
				json_object_object_add(dm, "serial", json_object_new_string(sn));
				json_object_object_add(dm, "provider", json_object_new_string("CXL"));
			} else {
				json_object_object_add(dm, "handle", json_object_new_int((int)d.handle));
				json_object_object_add(dm, "phys_id", json_object_new_int(0));
			}
			json_object_object_add(dm, "file", json_object_new_string(argv[i]));
			if (verbose)
				json_object_object_add(dm, "slot", json_object_new_int(ri->slot));
			json_object_array_add(dimms, dm);
			rg = region_to_json(ri, region, nmem, verbose);
			json_object_object_add(rg, "file", json_object_new_string(argv[i]));
			if (vpmem_reconf_busy(argv[i], &err))   /* a conversion half done */
				json_object_object_add(rg, "pending", json_object_new_string(err.msg));
			if (hint[0])
				json_object_object_add(rg, "hint", json_object_new_string(hint));
			json_object_array_add(regions, rg);
		} else {
			printf("%s: region%u %s", argv[i], region, vpmem_size_human(ri->region_size, a, sizeof(a)));
			if (ri->labelled)
				printf(", labels v1.%d in %s, iset_id %#llx", ri->lsa.g.version == VPMEM_LABEL_V1_2 ? 2 : 1,
				       vpmem_size_str(ri->label_size, b, sizeof(b)), (unsigned long long)ri->iset_id);
			else
				printf(", label-less%s", ri->label_size ? " (label area not initialised)" : "");
			if (ri->cxl)
				printf(", CXL serial 0x%llx (%s)\n", (unsigned long long)ri->cxl_serial, ri->serial_source);
			else
				printf(", slot %d (%s, id %s)\n", ri->slot, ri->slot_source, d.id);
			for (unsigned k = 0; k < ri->nns; k++)
				ns_print_text(&ri->ns[k], region);
			if (ri->labelled)
				printf("  free: %s (largest extent %s)\n", vpmem_size_human(ri->available_size, a, sizeof(a)),
				       vpmem_size_human(ri->max_available_extent, b, sizeof(b)));
			for (unsigned k = 0; k < ri->nproblems; k++)
				printf("  problem: %s\n", ri->problems[k]);
			if (vpmem_reconf_busy(argv[i], &err))
				printf("  pending: %s\n", err.msg);
			if (hint[0])
				printf("  hint: %s\n", hint);
		}
		vpmem_region_free(ri);
		free(ri);
	}
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dimms", dimms);
		json_object_object_add(o, "regions", regions);
		out_json(o);
	}
	return r;
}
