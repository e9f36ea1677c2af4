// SPDX-License-Identifier: MIT
/* vpmem namespace create | destroy: provision namespaces offline, in an image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/image.h>
#include <vpmem/namespace.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "vpmem.h"

const char usage_namespace[] =
	"usage: vpmem namespace create FILE --mode raw|sector|fsdax|devdax [--size SIZE]\n"
	"                          [--name NAME] [--uuid UUID] [--sector-size 512|4096]\n"
	"                          [--map dev|mem] [--align SIZE] [hints] [--dry-run] [--json]\n"
	"       vpmem namespace destroy FILE (--uuid UUID | --name NAME | --all) [hints] [--dry-run]\n"
	"\n"
	"Provision a namespace inside a vNVDIMM backing file, offline, so the guest\n"
	"boots with it ready: labels (v1.1/v1.2, with the kernel's two-index update)\n"
	"and the fsdax/devdax info block or BTT the guest kernel expects. ndctl's\n"
	"rules: --size defaults to the largest free extent and is a multiple of 16M;\n"
	"first fit; sector size 4096; map=dev; align 2M. On a label-less image the one\n"
	"namespace spans the region and only its mode can be set. Every write is\n"
	"planned first (--dry-run prints the plan); metadata is written and fsynced in\n"
	"the kernel's order, so a crash leaves the old state or the new one. An image\n"
	"in use by a running VM is refused.\n"
	"\n"
	"Hints (what a file cannot tell): --label-size SIZE (an uninitialised label\n"
	"area), --slot N (the QEMU slot of an unlabelled image), --spa ADDR (guest\n"
	"address of the region for fsdax/devdax layout; default 4G, vpmem run places\n"
	"every vNVDIMM on a 1G boundary).\n";

enum { O_MODE = 256, O_SIZE, O_NAME, O_UUID, O_SECTOR, O_MAP, O_ALIGN, O_LABEL, O_SLOT, O_SPA,
       O_DRY, O_JSON, O_ALL, O_TEST_DEV_UUID };

static const struct option ns_opts[] = {
	{ "mode", required_argument, NULL, O_MODE }, { "size", required_argument, NULL, O_SIZE },
	{ "name", required_argument, NULL, O_NAME }, { "uuid", required_argument, NULL, O_UUID },
	{ "sector-size", required_argument, NULL, O_SECTOR }, { "map", required_argument, NULL, O_MAP },
	{ "align", required_argument, NULL, O_ALIGN }, { "label-size", required_argument, NULL, O_LABEL },
	{ "slot", required_argument, NULL, O_SLOT }, { "spa", required_argument, NULL, O_SPA },
	{ "dry-run", no_argument, NULL, O_DRY }, { "json", no_argument, NULL, O_JSON },
	{ "all", no_argument, NULL, O_ALL }, { "test-dev-uuid", required_argument, NULL, O_TEST_DEV_UUID },
	{ NULL, 0, NULL, 0 },
};

struct ns_args {
	struct vpmem_ns_req req;
	struct vpmem_image_hints hints;
	bool mode_set, dry, json, all, name_set;
	const char *file;
};

static int parse_mode(const char *s, enum vpmem_ns_mode *m)
{
	static const char *const names[] = { "raw", "sector", "fsdax", "devdax" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*m = (enum vpmem_ns_mode)i;
			return 0;
		}
	return cmd_usage_error("namespace", "--mode '%s': use raw, sector, fsdax or devdax", s);
}

static int parse(int argc, char **argv, struct ns_args *a, struct vpmem_ctx *ctx)
{
	struct vpmem_err err = { 0 };
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	a->hints.slot = -1;
	a->json = ctx->json;
	struct cmd_opts op = { .cmd = "namespace", .longopts = ns_opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case O_MODE:
			if (parse_mode(optarg, &a->req.mode))
				return EXIT_USAGE;
			a->mode_set = true;
			break;
		case O_SIZE:
			if (vpmem_size_parse(optarg, 0, "--size", &a->req.size, &err))
				return cmd_error(EXIT_USAGE, "namespace: %s", err.msg);
			break;
		case O_NAME: a->req.name = optarg; a->name_set = true; break;
		case O_UUID:
		case O_TEST_DEV_UUID: {
			uuid_t u;

			if (uuid_parse(optarg, u))
				return cmd_usage_error("namespace", "--uuid '%s' is not a UUID", optarg);
			memcpy(c == O_UUID ? a->req.uuid : a->req.dev_uuid, u, 16);
			if (c == O_UUID)
				a->req.uuid_set = true;
			else
				a->req.dev_uuid_set = true;
			break;
		}
		case O_SECTOR:
			if (strcmp(optarg, "512") && strcmp(optarg, "4096"))
				return cmd_usage_error("namespace", "--sector-size '%s': use 512 or 4096", optarg);
			a->req.sector_size = (uint32_t)atoi(optarg);
			break;
		case O_MAP:
			if (!strcmp(optarg, "dev"))
				a->req.map = VPMEM_MAP_DEV;
			else if (!strcmp(optarg, "mem"))
				a->req.map = VPMEM_MAP_MEM;
			else
				return cmd_usage_error("namespace", "--map '%s': use dev or mem", optarg);
			break;
		case O_ALIGN:
			if (vpmem_size_parse(optarg, 0, "--align", &v, &err))
				return cmd_error(EXIT_USAGE, "namespace: %s", err.msg);
			if (v != 4096 && v != (2ULL << 20) && v != (1ULL << 30))
				return cmd_usage_error("namespace", "--align %s: use 4K, 2M or 1G", optarg);
			a->req.align = (uint32_t)v;
			break;
		case O_LABEL:
			if (vpmem_size_parse(optarg, VPMEM_SIZE_ALLOW_ZERO, "--label-size", &a->hints.label_size, &err))
				return cmd_error(EXIT_USAGE, "namespace: %s", err.msg);
			a->hints.label_size_set = true;
			break;
		case O_SLOT:
			if (parse_slot_opt("namespace", optarg, &a->hints.slot))
				return EXIT_USAGE;
			break;
		case O_SPA:
			if (vpmem_size_parse(optarg, 0, "--spa", &a->hints.spa_base, &err))
				return cmd_error(EXIT_USAGE, "namespace: %s", err.msg);
			if (a->hints.spa_base % (2ULL << 20))
				return cmd_usage_error("namespace", "--spa must be 2M aligned");
			break;
		case O_DRY: a->dry = true; break;
		case O_JSON: a->json = true; break;
		case O_ALL: a->all = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error("namespace", "needs exactly one FILE");
	a->file = argv[optind];
	return 0;
}

/* What one change does to the image: plan it from the decoded region. */
struct ns_change {
	struct ns_args *a;
	enum vpmem_ns_match how;   /* destroy */
	struct vpmem_ns_info out;  /* create: the new namespace */
	unsigned count;            /* destroy: how many match */
	int (*plan)(struct ns_change *c, const struct vpmem_region_info *ri, struct vpmem_wplan *p,
		    struct vpmem_err *err);
};

static int plan_create(struct ns_change *c, const struct vpmem_region_info *ri, struct vpmem_wplan *p,
		       struct vpmem_err *err)
{
	c->count = 1;
	return vpmem_ns_plan_create(ri, &c->a->hints, &c->a->req, p, &c->out, err);
}

static int plan_destroy(struct ns_change *c, const struct vpmem_region_info *ri, struct vpmem_wplan *p,
			struct vpmem_err *err)
{
	return vpmem_ns_plan_destroy(ri, c->how, c->a->req.uuid, c->a->req.name, p, &c->count, err);
}

/*
 * Open the image (locked, refused while mapped elsewhere), decode it, plan
 * the change, then print the plan (--dry-run) or apply it. *@applied says
 * whether it was written; 0 or the exit status of an error already printed.
 */
static int change_image(struct ns_change *c, bool *applied)
{
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_wplan plan = { 0 };
	struct vpmem_err err = { 0 };
	int r = 0, fd;

	*applied = false;
	if (!ri)
		return cmd_error(EXIT_FAIL, "out of memory");
	fd = vpmem_image_open_locked(c->a->file, &err);
	if (fd < 0 || vpmem_region_read(fd, &c->a->hints, ri, &err) || c->plan(c, ri, &plan, &err))
		r = cmd_error(EXIT_FAIL, "namespace: '%s': %s", c->a->file, err.msg);
	else if (c->count && c->a->dry)
		wplan_print(&plan, c->a->file);
	else if (c->count && wplan_apply_cmd(fd, &plan, &err))
		r = cmd_error(EXIT_FAIL, "namespace: '%s': %s", c->a->file, err.msg);
	else
		*applied = c->count != 0;
	if (fd >= 0)
		close(fd);
	vpmem_wplan_free(&plan);
	vpmem_region_free(ri);
	free(ri);
	return r;
}

static int ns_create(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct ns_args a;
	struct ns_change c = { .a = &a, .plan = plan_create };
	bool applied;
	int r = parse(argc, argv, &a, ctx);

	if (!r && !a.mode_set)
		r = cmd_usage_error("namespace", "create needs --mode");
	if (!r && a.all)
		r = cmd_usage_error("namespace", "--all is for destroy");
	if (!r)
		r = change_image(&c, &applied);
	if (r || !applied)
		return r;
	if (a.json)
		out_json(ns_to_json(&c.out, 0, false));
	else
		ns_print_text(&c.out, 0);
	return EXIT_OK;
}

static int ns_destroy(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct ns_args a;
	struct ns_change c = { .a = &a, .plan = plan_destroy };
	bool applied;
	int r = parse(argc, argv, &a, ctx);

	if (!r && a.all + a.req.uuid_set + a.name_set != 1)
		r = cmd_usage_error("namespace", "destroy needs one of --uuid, --name or --all");
	if (!r && (a.mode_set || a.req.size || a.req.map || a.req.align || a.req.sector_size))
		r = cmd_usage_error("namespace", "destroy takes no --mode, --size, --map, --align or --sector-size");
	if (r)
		return r;
	c.how = a.all ? VPMEM_MATCH_ALL : a.req.uuid_set ? VPMEM_MATCH_UUID : VPMEM_MATCH_NAME;
	r = change_image(&c, &applied);
	if (r)
		return r;
	if (!c.count) {
		if (c.how != VPMEM_MATCH_ALL)
			return cmd_error(EXIT_FAIL, "namespace: '%s': no namespace matches", a.file);
		if (!a.json)
			printf("no namespace to destroy in '%s'\n", a.file);
		return EXIT_OK;
	}
	if (!applied)
		return EXIT_OK; /* --dry-run */
	if (a.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "destroyed", json_object_new_int((int)c.count));
		out_json(o);
	} else {
		printf("destroyed %u namespace%s in '%s'\n", c.count, c.count == 1 ? "" : "s", a.file);
	}
	return EXIT_OK;
}

int cmd_namespace(int argc, char **argv, struct vpmem_ctx *ctx)
{
	if (argc < 2)
		return cmd_usage_error("namespace", "missing subcommand (create or destroy)");
	if (!strcmp(argv[1], "create"))
		return ns_create(argc - 1, argv + 1, ctx);
	if (!strcmp(argv[1], "destroy"))
		return ns_destroy(argc - 1, argv + 1, ctx);
	return cmd_usage_error("namespace", "unknown subcommand '%s' (create or destroy)", argv[1]);
}
