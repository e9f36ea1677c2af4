// SPDX-License-Identifier: MIT
/* vpmem image create: a sparse vNVDIMM backing with an initialised label area. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/layout-apply.h>
#include <vpmem/layout.h>
#include <vpmem/namespace.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "vpmem.h"

const char usage_image[] =
	"usage: vpmem image create FILE --size SIZE [--label-size SIZE | --no-labels]\n"
	"                          [--label-version 1.1|1.2] [--slot N] [--layout LAYOUT]\n"
	"                          [--dry-run] [--json]\n"
	"       vpmem image create FILE --size SIZE --cxl [--serial N] [--label-size SIZE]\n"
	"                          [--layout LAYOUT] [--dry-run] [--json]\n"
	"\n"
	"Create a vNVDIMM backing file of exactly SIZE bytes, sparse (never\n"
	"preallocated), with a label area of --label-size bytes (default 128K) at its\n"
	"end initialised as 'ndctl init-labels' does (v1.1 by default, as ndctl), for\n"
	"the QEMU slot N (default 0). Pass the same label size to QEMU's nvdimm\n"
	"label-size (vpmem run detects it). --no-labels makes a label-less image: one\n"
	"namespace spanning the region. The file is written under a temporary name\n"
	"and renamed into place: it never exists half made. An existing FILE is\n"
	"refused. --layout applies a layout (doc/layout.md) before the file appears,\n"
	"as 'vpmem apply LAYOUT --image FILE' would. --dry-run prints what would be\n"
	"written (with --layout, the layout's plan, made in memory) and creates\n"
	"nothing; with --json as one JSON object ({\"file\", \"dry_run\", \"size\",\n"
	"\"label_size\", \"region_size\", \"label_version\", \"slot\", \"writes\",\n"
	"\"layout\": the plan as 'vpmem apply --dry-run --json' prints it}).\n"
	"\n"
	"--cxl makes a CXL type-3 persistent memory image instead: the memory file\n"
	"FILE (SIZE, a whole number of 256M, sparse) and its label area FILE.lsa\n"
	"(--label-size, default 256K) with fresh index blocks (v1.2, as Linux writes\n"
	"them), for the device serial N (QEMU sn=, default 0xc71000: the first\n"
	"device of 'vpmem run --cxl-pmem'). Keep the two files together: the\n"
	"namespace, list, check and apply commands take FILE and find FILE.lsa\n"
	"beside it; 'vpmem run --pmem-image FILE' attaches the pair as a CXL device\n"
	"with that serial (doc/cxl.md). --layout works on the pair too. --dry-run\n"
	"--json adds \"cxl\", \"label_file\", \"serial\" and \"iset_id\" (no \"slot\");\n"
	"its \"writes\" go to the label file.\n";

static int parse_version(const char *s, enum vpmem_label_version *v)
{
	if (!strcmp(s, "1.1"))
		*v = VPMEM_LABEL_V1_1;
	else if (!strcmp(s, "1.2"))
		*v = VPMEM_LABEL_V1_2;
	else
		return cmd_usage_error("image", "--label-version '%s': use 1.1 or 1.2", s);
	return 0;
}

/* After vpmem_image_create_layout or its CXL twin (@r, @err): the layout's
 * part (@res) rendered as apply renders it, then the creation's error. */
static int create_outcome(const char *path, int r, const struct vpmem_err *err, const struct vpmem_layout *l,
			  const struct vpmem_lapply *res)
{
	struct apply_opts ao = { 0 }; /* the plan in text, as apply prints it */
	int st = 0;

	if (l && res && res->reached > VPMEM_LAPPLY_NONE)
		st = apply_render(path, l, &ao, res, res->status, &res->err);
	if (st)
		return st; /* the layout's failure, already reported */
	if (r)
		return cmd_error(EXIT_FAIL, "image: %s", err->msg);
	return 0;
}

int image_create_cmd(const char *path, const struct image_new *n, struct vpmem_layout *l)
{
	struct vpmem_image_create_opts co = { .mode = 0644 };
	struct vpmem_lapply_opts lo = { 0 };
	struct vpmem_lapply *res = vpmem_lapply_new();
	struct vpmem_err err = { 0 };
	int r;

	apply_cut_opts(&lo);
	if (!res)
		r = vpmem_err_set(&err, ENOMEM, "out of memory");
	else if (n->cxl)
		r = vpmem_cxl_image_create_layout(path, n->size, n->lsa_size, n->serial, &co, l, &lo, res, &err);
	else
		r = vpmem_image_create_layout(path, n->spec, &co, l, &lo, res, &err);
	r = create_outcome(path, r, &err, l, res);
	vpmem_lapply_free(res);
	vpmem_layout_free(l);
	return r;
}

/*
 * The layout half of image create --dry-run, NVDIMM or CXL (@n): the layout
 * planned for real on the image as it would be made, in memory
 * (vpmem_layout_plan_new_image, vpmem_cxl_layout_plan_new_image), rendered as
 * apply renders it; with --json under "layout" in @o. 0 or an exit status
 * already reported.
 */
int image_dry_layout(const char *path, const struct image_new *n, const char *layout,
		     const struct vpmem_layout *l, bool json, json_object *o)
{
	struct apply_opts ao = { .dry = true, .json = json };
	struct vpmem_lapply_opts lo = { 0 };
	struct vpmem_lapply *res = vpmem_lapply_new();
	struct vpmem_err err = { 0 };
	json_object *lj = NULL;
	int r;

	if (!json)
		printf("then apply the layout '%s' (%u namespace%s):\n", layout, l->nns, l->nns == 1 ? "" : "s");
	if (!res)
		r = vpmem_err_set(&err, ENOMEM, "out of memory");
	else if (n->cxl)
		r = vpmem_cxl_layout_plan_new_image(n->size, n->lsa_size, n->serial, l, &lo, res, &err);
	else
		r = vpmem_layout_plan_new_image(n->spec, l, &lo, res, &err);
	if (!res || res->reached == VPMEM_LAPPLY_NONE) {
		vpmem_lapply_free(res);
		return cmd_error(EXIT_FAIL, "image: cannot plan the layout in memory: %s", err.msg);
	}
	ao.json_out = &lj;
	r = apply_render(path, l, &ao, res, r, &err);
	if (lj)
		json_object_object_add(o, "layout", lj);
	vpmem_lapply_free(res);
	return r;
}

/*
 * --dry-run: what would be written. With --layout the layout is planned for
 * real, on the image as it would be made: the same size and labels in an
 * anonymous memory file (memfd, sparse; only the label area takes memory),
 * so the plan and its writes are the ones image create would do, and nothing
 * is made on disk. --json prints it all as one object: {"file", "dry_run",
 * "size", "label_size", "region_size", "label_version", "slot", "writes",
 * "layout": apply's plan ({"region", "plan", ..., "writes"})}.
 */
static int image_dry_run(const char *path, const struct vpmem_image_spec *req, struct vpmem_wplan *plan,
			 const char *layout, const struct vpmem_layout *l, bool json)
{
	json_object *o = NULL;
	char a[32], b[32];
	int r = EXIT_OK;

	/* as vpmem_image_create_with does them: the file has no name until it
	 * is complete and fsynced, so no write needs a barrier of its own */
	vpmem_wplan_drop_barriers(plan);
	if (json) {
		json_object *w = wplan_to_json(plan, path), *writes = NULL;

		o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
		json_object_object_add(o, "size", json_object_new_uint64(req->size));
		json_object_object_add(o, "label_size", json_object_new_uint64(req->label_size));
		json_object_object_add(o, "region_size", json_object_new_uint64(req->size - req->label_size));
		json_object_object_add(o, "label_version", req->label_size ?
				       json_object_new_string(req->version == VPMEM_LABEL_V1_2 ? "1.2" : "1.1") : NULL);
		json_object_object_add(o, "slot", json_object_new_int(req->slot));
		json_object_object_get_ex(w, "writes", &writes);
		json_object_object_add(o, "writes", json_object_get(writes));
		json_object_put(w);
	} else {
		printf("create '%s': %s sparse, label area %s (v1.%d), slot %d\n", path,
		       vpmem_size_str(req->size, a, sizeof(a)), vpmem_size_str(req->label_size, b, sizeof(b)),
		       req->version == VPMEM_LABEL_V1_2 ? 2 : 1, req->slot);
		wplan_print(plan, path);
	}
	if (l) {
		struct image_new n = { .spec = req };

		r = image_dry_layout(path, &n, layout, l, json, o);
	}
	if (o)
		out_json(o);
	return r;
}

static int image_create(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' }, { "label-size", required_argument, NULL, 'l' },
		{ "no-labels", no_argument, NULL, 'n' }, { "label-version", required_argument, NULL, 'V' },
		{ "slot", required_argument, NULL, 'S' }, { "dry-run", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' }, { "layout", required_argument, NULL, 'L' },
		{ "cxl", no_argument, NULL, 'C' }, { "serial", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct vpmem_image_spec req = { .label_size = VPMEM_MIN_LABEL_SIZE, .version = VPMEM_LABEL_V1_1, .slot = 0 };
	struct vpmem_wplan plan = { 0 };
	struct vpmem_err err = { 0 };
	bool dry = false, json = ctx->json, nolabels = false, lset = false, cxl = false, sset = false;
	uint64_t serial = 0;
	char a[32], b[32];
	const char *path, *layout = NULL;
	struct vpmem_layout *l = NULL;
	int c, r;

	struct cmd_opts op = { .cmd = "image", .longopts = opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 's':
			if (opt_size("image", "--size", optarg, 0, &req.size))
				return EXIT_USAGE;
			break;
		case 'l':
			if (opt_size("image", "--label-size", optarg, VPMEM_SIZE_ALLOW_ZERO, &req.label_size))
				return EXIT_USAGE;
			lset = true;
			break;
		case 'n': nolabels = true; break;
		case 'V': if (parse_version(optarg, &req.version)) return EXIT_USAGE; break;
		case 'S':
			if (parse_slot_opt("image", optarg, &req.slot))
				return EXIT_USAGE;
			break;
		case 'd': dry = true; break;
		case 'j': json = true; break;
		case 'L': layout = optarg; break;
		case 'C': cxl = true; break;
		case 'N':
			if (parse_cxl_serial(optarg, &serial))
				return EXIT_USAGE;
			sset = true;
			break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error("image", "create needs exactly one FILE");
	path = argv[optind];
	if (!req.size)
		return cmd_usage_error("image", "create needs --size");
	if (sset && !cxl)
		return cmd_usage_error("image", "--serial is for --cxl images (vNVDIMMs take --slot)");
	if (cxl) /* src/cmd-cxl.c */
		return image_create_cxl(path, req.size, lset ? req.label_size : 0, sset ? serial : 0, layout,
					nolabels, req.slot != 0 || req.version != VPMEM_LABEL_V1_1, dry, json);
	if (nolabels && lset && req.label_size)
		return cmd_usage_error("image", "--no-labels and --label-size cannot be combined");
	if (nolabels)
		req.label_size = 0;
	if (vpmem_label_size_check(req.label_size, &err))
		return cmd_error(EXIT_FAIL, "image: %s", err.msg);
	if (req.size % 4096)
		return cmd_error(EXIT_FAIL, "image: --size %s is not a multiple of 4K",
				 vpmem_size_str(req.size, a, sizeof(a)));
	if (req.size < req.label_size + VPMEM_REGION_ALIGN)
		return cmd_error(EXIT_FAIL, "image: --size %s leaves less than 16M for the region",
				 vpmem_size_str(req.size, a, sizeof(a)));
	if (!access(path, F_OK))
		return cmd_error(EXIT_FAIL, "image: '%s' exists (vpmem never overwrites an image)", path);
	if (layout && (r = layout_load_opt("image", layout, &l)))
		return r;
	if (vpmem_image_plan_init_labels(&req, &plan, &err)) {
		vpmem_layout_free(l);
		return cmd_lib_error(EXIT_FAIL, &err);
	}
	if (dry) {
		r = image_dry_run(path, &req, &plan, layout, l, json);
		vpmem_layout_free(l);
		vpmem_wplan_free(&plan);
		return r;
	}
	vpmem_wplan_free(&plan);
	if ((r = image_create_cmd(path, &(struct image_new){ .spec = &req }, l)))
		return r;
	if (json) {
		json_object *o = json_object_new_object();
		struct vpmem_nfit_dimm n;

		vpmem_nfit_dimm((unsigned)req.slot, &n);
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "size", json_object_new_uint64(req.size));
		json_object_object_add(o, "label_size", json_object_new_uint64(req.label_size));
		json_object_object_add(o, "region_size", json_object_new_uint64(req.size - req.label_size));
		json_object_object_add(o, "slot", json_object_new_int(req.slot));
		json_object_object_add(o, "id", json_object_new_string(n.id));
		out_json(o);
	} else {
		printf("created '%s': %s, region %s, %s, slot %d\n", path, vpmem_size_str(req.size, a, sizeof(a)),
		       vpmem_size_human(req.size - req.label_size, b, sizeof(b)),
		       req.label_size ? (req.version == VPMEM_LABEL_V1_2 ? "labels v1.2" : "labels v1.1") : "label-less",
		       req.slot);
	}
	return EXIT_OK;
}

int cmd_image(int argc, char **argv, struct vpmem_ctx *ctx)
{
	if (argc < 2)
		return cmd_usage_error("image", "missing subcommand (create)");
	if (!strcmp(argv[1], "create"))
		return image_create(argc - 1, argv + 1, ctx);
	return cmd_usage_error("image", "unknown subcommand '%s' (create)", argv[1]);
}
