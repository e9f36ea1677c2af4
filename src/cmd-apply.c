// SPDX-License-Identifier: MIT
/* vpmem apply LAYOUT (--image FILE | --live): reach a layout, offline or on this machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/layout-apply.h>
#include <vpmem/layout.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "vpmem.h"

const char usage_apply[] =
	"usage: vpmem apply LAYOUT --image FILE [--dry-run] [--force] [--json]\n"
	"                          [--label-size SIZE] [--slot N]\n"
	"       vpmem apply LAYOUT --live [--region regionN] [--dry-run] [--force] [--json]\n"
	"\n"
	"Bring a region to the namespaces a layout (JSON, see doc/layout.md) names:\n"
	"keep a namespace that matches, create what is missing, and, with --force\n"
	"only, destroy what the layout no longer names and re-make a namespace (or\n"
	"its filesystem) that differs. Namespaces are identified by name; one whose\n"
	"identity is ambiguous (a name held twice, or none) is never touched. The\n"
	"plan is printed first; --dry-run stops there. A layout already reached\n"
	"prints \"nothing to do\" and writes nothing. --json prints the plan as\n"
	"JSON instead ({\"file\", \"dry_run\", \"region\", \"plan\": [{\"step\", \"name\",\n"
	"\"layout\", \"namespace\", \"mkfs\", \"reason\"}], \"blocked\", \"changes\",\n"
	"\"nothing_to_do\", \"writes\"}, and after an apply \"namespaces\").\n"
	"\n"
	"--image: offline, inside a vNVDIMM backing file, with the crash-safe writes\n"
	"of 'vpmem namespace create/destroy'; a \"filesystem\" is made with the real\n"
	"mkfs on a temporary file and written into the fsdax namespace, so the guest\n"
	"mounts it with -o dax without mkfs. --label-size and --slot are hints for an\n"
	"image that cannot tell them (as for 'vpmem namespace').\n"
	"\n"
	"--live: this machine's regions through libndctl/libdaxctl (root). Labelled\n"
	"regions hold any number of named namespaces; a label-less or memmap=\n"
	"region holds one unnamed namespace, whose mode (and filesystem) a layout of\n"
	"one namespace sets. --region (or the layout's \"region\", \"numa_node\",\n"
	"\"dimm\") picks the region when there are several. \"mount\" mounts the\n"
	"filesystem there with -o dax.\n";

void layout_print_plan(const struct vpmem_lplan *lp, const struct vpmem_layout *l,
		       const struct vpmem_ns_info *ns)
{
	char line[600];

	for (unsigned i = 0; i < lp->nsteps; i++) {
		vpmem_lstep_describe(lp, i, l, ns, line, sizeof(line));
		printf("  %s\n", line);
	}
}

json_object *layout_plan_to_json(const struct vpmem_lplan *lp, const struct vpmem_layout *l,
				 const struct vpmem_ns_info *ns, unsigned region)
{
	json_object *a = json_object_new_array(), *lj = vpmem_layout_to_json(l), *entries = NULL;
	char line[600];

	json_object_object_get_ex(lj, "namespaces", &entries);
	for (unsigned i = 0; i < lp->nsteps; i++) {
		const struct vpmem_lstep *st = &lp->step[i];
		json_object *o = json_object_new_object();
		const char *name = st->want >= 0 ? l->ns[st->want].name : st->have >= 0 ? ns[st->have].name : "";

		json_object_object_add(o, "step", json_object_new_string(vpmem_lstep_name(st->kind)));
		json_object_object_add(o, "name", *name ? json_object_new_string(name) : NULL);
		if (st->want >= 0 && entries)
			json_object_object_add(o, "layout",
					       json_object_get(json_object_array_get_idx(entries, (size_t)st->want)));
		if (st->have >= 0)
			json_object_object_add(o, "namespace", ns_to_json(&ns[st->have], region, 0));
		json_object_object_add(o, "mkfs", json_object_new_boolean(st->mkfs));
		if (st->why[0])
			json_object_object_add(o, "reason", json_object_new_string(st->why));
		vpmem_lstep_describe(lp, i, l, ns, line, sizeof(line));
		json_object_object_add(o, "description", json_object_new_string(line));
		json_object_array_add(a, o);
	}
	json_object_put(lj);
	return a;
}

/* The verdict after the plan was printed: 0 go on, else an exit status (already reported). */
static int verdict(const struct vpmem_lplan *lp, const char *what, bool quiet, bool *nothing)
{
	*nothing = false;
	if (lp->nblocked)
		return cmd_error(EXIT_FAIL, "apply: %s: the layout cannot be reached: %u step%s blocked (above); nothing was changed",
				 what, lp->nblocked, lp->nblocked == 1 ? "" : "s");
	if (!lp->nchanges) {
		if (!quiet)
			printf("nothing to do\n");
		*nothing = true;
	}
	return 0;
}

json_object *apply_plan_json(const char *key, const char *name, bool dry, json_object *where,
			     const struct vpmem_lplan *lp, const struct vpmem_layout *l, const struct vpmem_ns_info *ns,
			     unsigned region)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(name));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
	json_object_object_foreach(where, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_put(where);
	json_object_object_add(o, "plan", layout_plan_to_json(lp, l, ns, region));
	json_object_object_add(o, "blocked", json_object_new_int((int)lp->nblocked));
	json_object_object_add(o, "changes", json_object_new_int((int)lp->nchanges));
	return o;
}

/* --json: {"file", "dry_run", "region", "plan", "blocked", "changes",
 * "nothing_to_do", "writes" (planned, or done), "namespaces" (after)} */
static json_object *plan_json(const char *path, const struct vpmem_region_info *ri, const struct vpmem_lplan *lp,
			      const struct vpmem_layout *l, bool dry)
{
	json_object *w = json_object_new_object(), *r = json_object_new_object(), *o;

	json_object_object_add(r, "size", json_object_new_uint64(ri->region_size));
	json_object_object_add(r, "labelled", json_object_new_boolean(ri->labelled));
	if (ri->labelled)
		json_object_object_add(r, "label_version",
				       json_object_new_string(ri->lsa.g.version == VPMEM_LABEL_V1_2 ? "1.2" : "1.1"));
	json_object_object_add(w, "region", r);
	o = apply_plan_json("file", path, dry, w, lp, l, ri->ns, 0);
	json_object_object_add(o, "nothing_to_do", json_object_new_boolean(!lp->nblocked && !lp->nchanges));
	return o;
}

static void add_writes(json_object *o, const struct vpmem_wplan *wp, const char *path)
{
	json_object *w = wplan_to_json(wp, path), *writes = NULL;

	json_object_object_get_ex(w, "writes", &writes);
	json_object_object_add(o, "writes", writes ? json_object_get(writes) : json_object_new_array());
	json_object_put(w);
}

int apply_render(const char *path, const struct vpmem_layout *l, const struct apply_opts *o,
		 const struct vpmem_lapply *res, int r, const struct vpmem_err *err)
{
	const struct vpmem_region_info *ri = res->before;
	const struct vpmem_lplan *lp = res->lp;
	json_object *jo = NULL;
	char a[32], what[300];
	bool nothing, json = o->json;
	int st;

	if (res->reached < VPMEM_LAPPLY_PLAN)
		return cmd_error(EXIT_FAIL, "apply: '%s': %s", path, err->msg);
	snprintf(what, sizeof(what), "'%s'", path);
	for (unsigned i = 0; i < ri->nproblems; i++)
		fprintf(stderr, "vpmem: warning: '%s': %s\n", path, ri->problems[i]);
	if (json) {
		jo = plan_json(path, ri, lp, l, o->dry);
	} else {
		printf("'%s': region %s, %s\n", path, vpmem_size_human(ri->region_size, a, sizeof(a)),
		       ri->labelled ? (ri->lsa.g.version == VPMEM_LABEL_V1_2 ? "labels v1.2" : "labels v1.1") : "label-less");
		layout_print_plan(lp, l, ri->ns);
	}
	st = verdict(lp, what, json, &nothing);
	if (st || nothing)
		goto out;
	if (r && res->reached == VPMEM_LAPPLY_PLAN) {
		st = cmd_error(EXIT_FAIL, "apply: '%s': %s; nothing was changed", path, err->msg);
		goto out;
	}
	if (o->dry) {
		if (json) {
			add_writes(jo, &res->wp, path);
		} else {
			wplan_print(&res->wp, path);
			printf("dry run: nothing written\n");
		}
		goto out;
	}
	if (res->cut)
		test_crash(r); /* VPMEM_TEST_CRASH_AFTER_WRITES */
	if (r) {
		st = res->reached == VPMEM_LAPPLY_READBACK
			     ? cmd_error(EXIT_FAIL, "apply: '%s': cannot read back: %s", path, err->msg)
			     : cmd_error(EXIT_FAIL, "apply: '%s': %s", path, err->msg);
		goto out;
	}
	if (json) {
		json_object *ns = json_object_new_array();

		add_writes(jo, &res->wp, path);
		for (unsigned i = 0; i < res->after->nns; i++)
			json_object_array_add(ns, ns_to_json(&res->after->ns[i], 0, 0));
		json_object_object_add(jo, "namespaces", ns);
	} else {
		printf("applied: %zu write%s\n", res->wp.n, res->wp.n == 1 ? "" : "s");
		ns_print_list(res->after->ns, res->after->nns, 0, NULL);
	}
out:
	if (jo && !json_object_object_get_ex(jo, "writes", NULL))
		json_object_object_add(jo, "writes", json_object_new_array());
	if (jo && o->json_out)
		*o->json_out = jo;
	else if (jo)
		out_json(jo); /* also when blocked: the plan says why */
	return st;
}

void apply_cut_opts(struct vpmem_lapply_opts *lo)
{
	size_t n = test_write_limit();

	lo->cut = n != SIZE_MAX;
	lo->cut_after = n;
}

int layout_load_opt(const char *cmd, const char *path, struct vpmem_layout **out)
{
	struct vpmem_err err = { 0 };

	*out = vpmem_layout_new();
	if (!*out)
		return cmd_error(EXIT_FAIL, "out of memory");
	if (vpmem_layout_load(path, *out, &err)) {
		vpmem_layout_free(*out);
		*out = NULL;
		return cmd_error(EXIT_FAIL, "%s: %s", cmd, err.msg);
	}
	return 0;
}

int cmd_apply(int argc, char **argv, struct vpmem_ctx *ctx)
{
	enum { O_IMAGE = 256, O_LIVE, O_REGION, O_DRY, O_FORCE, O_LABEL, O_SLOT, O_JSON };
	static const struct option opts[] = {
		{ "image", required_argument, NULL, O_IMAGE }, { "live", no_argument, NULL, O_LIVE },
		{ "region", required_argument, NULL, O_REGION }, { "dry-run", no_argument, NULL, O_DRY },
		{ "force", no_argument, NULL, O_FORCE }, { "label-size", required_argument, NULL, O_LABEL },
		{ "slot", required_argument, NULL, O_SLOT }, { "json", no_argument, NULL, O_JSON },
		{ NULL, 0, NULL, 0 },
	};
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_layout *l;
	struct vpmem_err err = { 0 };
	const char *image = NULL, *region = NULL;
	struct apply_opts ao = { .json = ctx->json };
	bool live = false;
	int c, fd, r;

	struct cmd_opts op = { .cmd = "apply", .longopts = opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case O_IMAGE: image = optarg; break;
		case O_LIVE: live = true; break;
		case O_REGION: region = optarg; break;
		case O_DRY: ao.dry = true; break;
		case O_FORCE: ao.force = true; break;
		case O_JSON: ao.json = true; break;
		case O_LABEL:
			if (opt_label_size("apply", optarg, &h))
				return EXIT_USAGE;
			break;
		case O_SLOT:
			if (parse_slot_opt("apply", optarg, &h.slot))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 1, 1, "needs exactly one LAYOUT"))
		return EXIT_USAGE;
	if (!!image + live != 1)
		return cmd_usage_error("apply", "needs one of --image FILE or --live");
	if (region && !live)
		return cmd_usage_error("apply", "--region is for --live (an image holds one region)");
	if (live && (h.label_size_set || h.slot >= 0))
		return cmd_usage_error("apply", "--label-size and --slot are for --image");
	if ((r = layout_load_opt("apply", argv[optind], &l)))
		return r;
	if (live) {
		r = apply_layout_live(l, region, &ao);
		vpmem_layout_free(l);
		return r;
	}
	fd = vpmem_image_open(image, true, &h, &err); /* CXL: with FILE.lsa */
	if (fd < 0) {
		vpmem_layout_free(l);
		return cmd_error(EXIT_FAIL, "apply: %s", err.msg);
	}
	for (unsigned i = 0; i < l->nns; i++)
		if (l->ns[i].mount[0])
			fprintf(stderr, "vpmem: warning: '%s': \"mount\" applies to --live only; ignored offline\n",
				l->ns[i].name);
	{
		struct vpmem_lapply_opts lo = { .force = ao.force, .dry = ao.dry };
		struct vpmem_lapply *res = vpmem_lapply_new();

		apply_cut_opts(&lo);
		if (!res)
			r = cmd_error(EXIT_FAIL, "out of memory");
		else
			r = apply_render(image, l, &ao, res, vpmem_layout_apply_image(fd, &h, l, &lo, res, &err), &err);
		vpmem_lapply_free(res);
	}
	vpmem_image_close(fd, &h);
	vpmem_layout_free(l);
	return r;
}
