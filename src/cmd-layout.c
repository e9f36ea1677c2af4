// SPDX-License-Identifier: MIT
/* vpmem layout (--image FILE | --live | LAYOUT) [--nova]: the state as a layout, or Nova's line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/layout.h>
#include <vpmem/size.h>

#include "options.h"
#include "vpmem.h"

const char usage_layout[] =
	"usage: vpmem layout --image FILE [--label-size SIZE] [--slot N] [--nova]\n"
	"       vpmem layout --live [--region regionN] [--nova]\n"
	"       vpmem layout LAYOUT --nova\n"
	"\n"
	"Print what a region holds now as a layout (JSON, doc/layout.md): every\n"
	"namespace with its name, mode, size (explicit), map, align, sector size and\n"
	"filesystem, so that 'vpmem apply' of this output on the same region has\n"
	"nothing to do. --image reads a vNVDIMM backing file; --live this machine's\n"
	"regions (libndctl).\n"
	"\n"
	"--nova prints instead the '[libvirt] pmem_namespaces' setting OpenStack Nova\n"
	"needs for the named devdax namespaces ($LABEL:$NSNAME[|$NSNAME][,...]) and\n"
	"the matching 'openstack flavor set --property hw:pmem=LABEL' command. The\n"
	"label is the layout's \"nova_label\", else the namespace size (\"6GB\").\n"
	"Refused with the reason: no devdax namespace, an unnamed one, a name holding\n"
	"'|', ',' or ':'. Unequal sizes under one label are a warning (Nova\n"
	"recommends one size per label).\n";

static int print_nova(const struct vpmem_layout *l, const char *what)
{
	struct vpmem_nova n;
	struct vpmem_err err = { 0 };

	if (vpmem_layout_nova(l, &n, &err))
		return cmd_error(EXIT_FAIL, "layout: %s: %s", what, err.msg);
	for (unsigned i = 0; i < n.nwarn; i++)
		fprintf(stderr, "vpmem: warning: %s\n", n.warn[i]);
	printf("# nova.conf on this compute host (restart nova-compute after)\n%s\n", n.conf);
	printf("# a flavor asking for one namespace of each label\nopenstack flavor set --property hw:pmem=");
	for (unsigned k = 0; k < n.nlabels; k++)
		printf("%s%s", k ? "," : "", n.labels[k]);
	printf(" FLAVOR\n");
	vpmem_nova_free(&n);
	return EXIT_OK;
}

static int of_image(const char *path, const struct vpmem_image_hints *h, struct vpmem_layout *l)
{
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	enum vpmem_fs *fs = NULL;
	struct vpmem_err err = { 0 };
	struct vpmem_image_hints hf = *h; /* CXL: FILE with FILE.lsa (image.h) */
	int fd = vpmem_image_open(path, false, &hf, &err), r = 0;

	if (!ri)
		r = cmd_error(EXIT_FAIL, "out of memory");
	else if (fd < 0)
		r = cmd_error(EXIT_FAIL, "layout: %s", err.msg);
	else if (vpmem_region_read_fs(fd, &hf, ri, &fs, &err))
		r = cmd_error(EXIT_FAIL, "layout: '%s': %s", path, err.msg);
	if (!r) {
		for (unsigned i = 0; i < ri->nproblems; i++)
			fprintf(stderr, "vpmem: warning: '%s': %s\n", path, ri->problems[i]);
		if (vpmem_layout_from_region(ri->ns, ri->nns, fs, l))
			r = cmd_error(EXIT_FAIL, "out of memory");
	}
	vpmem_image_close(fd, &hf);
	if (ri)
		vpmem_region_free(ri);
	free(ri);
	free(fs);
	return r;
}

int cmd_layout(int argc, char **argv, struct vpmem_ctx *ctx)
{
	enum { O_IMAGE = 256, O_LIVE, O_REGION, O_NOVA, O_LABEL, O_SLOT, O_JSON };
	static const struct option opts[] = {
		{ "image", required_argument, NULL, O_IMAGE }, { "live", no_argument, NULL, O_LIVE },
		{ "region", required_argument, NULL, O_REGION }, { "nova", no_argument, NULL, O_NOVA },
		{ "label-size", required_argument, NULL, O_LABEL }, { "slot", required_argument, NULL, O_SLOT },
		{ "json", no_argument, NULL, O_JSON }, { NULL, 0, NULL, 0 },
	};
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_err err = { 0 };
	struct vpmem_layout *l;
	const char *image = NULL, *region = NULL, *file = NULL;
	bool live = false, nova = false;
	char what[300];
	int c, r;

	struct cmd_opts op = { .cmd = "layout", .longopts = opts };

	(void)ctx;
	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case O_IMAGE: image = optarg; break;
		case O_LIVE: live = true; break;
		case O_REGION: region = optarg; break;
		case O_NOVA: nova = true; break;
		case O_JSON: break; /* a layout is JSON already */
		case O_LABEL:
			if (opt_label_size("layout", optarg, &h))
				return EXIT_USAGE;
			break;
		case O_SLOT:
			if (parse_slot_opt("layout", optarg, &h.slot))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 0, 1, NULL))
		return EXIT_USAGE;
	if (optind < argc)
		file = argv[optind];
	if (!!image + live + !!file != 1)
		return cmd_usage_error("layout", "needs one of --image FILE, --live or a LAYOUT file");
	if (file && !nova)
		return cmd_usage_error("layout", "a LAYOUT file is read for --nova only");
	if (region && !live)
		return cmd_usage_error("layout", "--region is for --live");
	l = vpmem_layout_new();
	if (!l)
		return cmd_error(EXIT_FAIL, "out of memory");
	if (file) {
		snprintf(what, sizeof(what), "'%s'", file);
		r = vpmem_layout_load(file, l, &err) ? cmd_error(EXIT_FAIL, "layout: %s", err.msg) : 0;
	} else if (image) {
		snprintf(what, sizeof(what), "'%s'", image);
		r = of_image(image, &h, l);
	} else {
		snprintf(what, sizeof(what), "%s", region ? region : "live regions");
		r = layout_of_live(region, l);
	}
	if (!r && nova)
		r = print_nova(l, what);
	else if (!r)
		out_json(vpmem_layout_to_json(l));
	vpmem_layout_free(l);
	return r;
}
