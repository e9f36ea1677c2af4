// SPDX-License-Identifier: MIT
/* vpmem namespace create | destroy | import | export: provision namespaces
 * offline, in an image, and move data in and out of them. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/image.h>
#include <vpmem/io.h>
#include <vpmem/namespace.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "table.h"
#include "vpmem.h"

const char usage_namespace[] =
	"usage: vpmem namespace create FILE [-m raw|sector|fsdax|devdax] [-s SIZE] [-n NAME]\n"
	"                          [-u UUID] [-l 512|4096] [-M dev|mem] [-a SIZE] [-r region0]\n"
	"                          [hints] [--dry-run] [--json] " TABLE_USAGE "\n"
	"       vpmem namespace destroy FILE (--uuid UUID | --name NAME | --all) [hints] [--dry-run] [--json]\n"
	"       vpmem namespace import FILE (--name N | --uuid U | --dev namespaceX.Y) --from SRC|-\n"
	"                          [hints] [--dry-run] [--json]\n"
	"       vpmem namespace export FILE (--name N | --uuid U | --dev namespaceX.Y) --to DST|-\n"
	"                          [--force] [hints] [--dry-run] [--json]\n"
	"       vpmem namespace reconfigure FILE (--name N | --uuid U | --dev namespaceX.Y)\n"
	"                          --mode raw|sector|fsdax|devdax [--sector-size S] [--map dev|mem]\n"
	"                          [--align A] [--size SIZE] [--keep-data] [hints] [--dry-run] [--json]\n"
	"       vpmem namespace reconfigure FILE --resume\n"
	"\n"
	"create takes ndctl create-namespace's options: -m/--mode (default fsdax),\n"
	"-s/--size, -n/--name, -u/--uuid, -l/--sector-size, -M/--map, -a/--align,\n"
	"-r/--region (an image is region0), -t/--type pmem. --dry-run --json prints\n"
	"the planned writes as JSON ({\"file\", \"dry_run\", \"writes\", \"namespace\"}).\n"
	"The namespace made is printed as ndctl list -N would (--json) or as a\n"
	"table (--output COLS, --noheadings, --raw, --width N; see 'vpmem help list').\n"
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
	"every vNVDIMM on a 1G boundary).\n"
	"\n"
	"import and export move the bytes a guest sees in one namespace: from byte 0\n"
	"of /dev/pmemN (raw; fsdax after its info block's data offset), /dev/daxN.M\n"
	"(devdax), or sector 0 of /dev/pmemNs through the BTT (sector), written the\n"
	"way the kernel writes them (data, flog, map), so a killed import leaves\n"
	"every sector old or new. After an import the namespace reads SRC, then\n"
	"zeros: zero blocks become holes or trimmed BTT sectors. A source larger\n"
	"than the namespace is refused before anything is written (a stream from\n"
	"stdin is checked as it is read). export writes runs of zeros as holes in a\n"
	"regular file. --dev names the namespace as 'vpmem list FILE' does. The\n"
	"image is locked; an image mapped by a running VM is refused, and export\n"
	"takes --force to read it anyway (a live guest may change it meanwhile).\n"
	"Progress goes to stderr when it is a terminal. See doc/datapath.md.\n"
	"\n"
	"reconfigure changes a namespace's mode (and grows it with --size into free\n"
	"space after it). With --keep-data the bytes the guest saw from byte 0 are\n"
	"the bytes it sees after, through the new mode's metadata; refused, with the\n"
	"number of bytes missing, when they do not fit. The old view is staged in\n"
	"FILE.vpmem-reconfigure.data, a record FILE.vpmem-reconfigure says what\n"
	"is going on, and the namespace has no label (the guest sees no namespace)\n"
	"until its data is in: after a crash, --resume (or the same command again)\n"
	"finishes it. Without --keep-data the data is lost, as with ndctl\n"
	"create-namespace -f -e. Labelled images only with --keep-data. See\n"
	"doc/reconfigure.md.\n";

#define NS "namespace" /* the command named in messages */

enum { O_DRY = 256, O_JSON, O_ALL, O_TEST_DEV_UUID };

/* ndctl create-namespace's letters (ndctl/namespace.c CREATE_OPTIONS) */
static const struct option ns_opts[] = {
	NSOPT_LONGOPTS, /* mode size uuid sector-size map align label-size slot spa */
	{ "name", required_argument, NULL, 'n' }, { "region", required_argument, NULL, 'r' },
	{ "type", required_argument, NULL, 't' }, { "dry-run", no_argument, NULL, O_DRY },
	{ "json", no_argument, NULL, O_JSON }, { "all", no_argument, NULL, O_ALL },
	{ "test-dev-uuid", required_argument, NULL, O_TEST_DEV_UUID }, TABLE_LONGOPTS, { NULL, 0, NULL, 0 },
};

struct ns_args {
	struct vpmem_ns_req req;
	struct vpmem_image_hints hints;
	bool mode_set, dry, json, all, name_set;
	const char *file;
	struct table_opts t;
};

static int parse(int argc, char **argv, struct ns_args *a, struct vpmem_ctx *ctx)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->hints.slot = -1;
	a->json = ctx->json;
	struct cmd_opts op = { .cmd = "namespace", .shortopts = "m:s:n:u:l:M:a:r:t:", .longopts = ns_opts };
	const struct ns_shape shape = {
		.mode = &a->req.mode, .mode_set = &a->mode_set, .size = &a->req.size, .uuid = a->req.uuid,
		.uuid_set = &a->req.uuid_set, .sector_size = &a->req.sector_size, .map = &a->req.map,
		.align = &a->req.align, .hints = &a->hints,
	};

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		int t = table_opt(c, optarg, &a->t, "namespace");

		if (t)
			c = t < 0 ? '?' : 0;
		if (c && (t = ns_shape_opt(NS, c, optarg, &shape)) >= 0) {
			if (t)
				return t;
			continue;
		}
		switch (c) {
		case 0: break;
		case 'r':
			/* an image holds one region, named region0 as ndctl would */
			if (strcmp(optarg, "region0") && strcmp(optarg, "0") && strcmp(optarg, "all"))
				return cmd_usage_error("namespace", "--region '%s': an image is one region, region0", optarg);
			break;
		case 't':
			if (strcmp(optarg, "pmem"))
				return cmd_usage_error("namespace", "--type '%s': a vNVDIMM region is pmem", optarg);
			break;
		case 'n': a->req.name = optarg; a->name_set = true; break;
		case O_TEST_DEV_UUID:
			if (opt_uuid(NS, optarg, a->req.dev_uuid))
				return EXIT_USAGE;
			a->req.dev_uuid_set = true;
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
	json_object *dry_json;     /* --dry-run --json: the plan, for the caller to complete */
	vpmem_region_planner plan;
};

static int plan_create(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h, void *arg,
		       struct vpmem_wplan *p, struct vpmem_err *err)
{
	struct ns_change *c = arg;

	c->count = 1;
	return vpmem_ns_plan_create(ri, h, &c->a->req, p, &c->out, err);
}

static int plan_destroy(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h, void *arg,
			struct vpmem_wplan *p, struct vpmem_err *err)
{
	struct ns_change *c = arg;

	(void)h;
	return vpmem_ns_plan_destroy(ri, c->how, c->a->req.uuid, c->a->req.name, p, &c->count, err);
}

/*
 * Make the change in one library call (vpmem_image_change: locked, refused
 * while mapped elsewhere), then print the plan (--dry-run) or say nothing.
 * *@applied says whether it was written; 0 or the exit status of an error
 * already printed.
 */
static int change_image(struct ns_change *c, bool *applied)
{
	struct vpmem_wplan plan = { 0 };
	struct vpmem_err err = { 0 };
	size_t limit = c->a->dry ? 0 : test_write_limit();
	int r = 0;

	*applied = false;
	if (vpmem_image_change(c->a->file, &c->a->hints, c->plan, c, limit, &plan, &err))
		r = cmd_error(EXIT_FAIL, "namespace: %s", err.msg);
	else if (!c->a->dry && limit < plan.n)
		test_crash(0);
	else if (c->count && c->a->dry && c->a->json)
		c->dry_json = wplan_to_json(&plan, c->a->file);
	else if (c->count && c->a->dry)
		wplan_print(&plan, c->a->file);
	else
		*applied = c->count != 0;
	vpmem_wplan_free(&plan);
	return r;
}

static int ns_create(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct ns_args a;
	struct ns_change c = { .a = &a, .plan = plan_create };
	bool applied;
	int r = parse(argc, argv, &a, ctx);

	if (!r && !a.mode_set)
		a.req.mode = VPMEM_NS_FSDAX; /* ndctl create-namespace's default */
	if (!r && a.all)
		r = cmd_usage_error("namespace", "--all is for destroy");
	if (!r)
		r = change_image(&c, &applied);
	if (!r && c.dry_json) {
		json_object_object_add(c.dry_json, "namespace", ns_to_json(&c.out, 0, 0));
		out_json(c.dry_json);
	}
	if (r || !applied)
		return r;
	if (a.json)
		out_json(ns_to_json(&c.out, 0, 0));
	else
		return ns_print_list(&c.out, 1, 0, &a.t);
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
	if (c.dry_json) {
		json_object_object_add(c.dry_json, "destroy", json_object_new_int((int)c.count));
		out_json(c.dry_json);
	}
	if (!c.count) {
		if (c.how != VPMEM_MATCH_ALL)
			return cmd_error(EXIT_FAIL, "namespace: '%s': no namespace matches", a.file);
		if (a.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "destroyed", json_object_new_int(0));
			out_json(o);
		} else {
			printf("no namespace to destroy in '%s'\n", a.file);
		}
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

static int ns_manage(int argc, char **argv, struct vpmem_ctx *ctx)
{
	if (argc < 2)
		return cmd_usage_error("namespace", "missing subcommand (create, destroy, import, export or reconfigure)");
	if (!strcmp(argv[1], "create"))
		return ns_create(argc - 1, argv + 1, ctx);
	if (!strcmp(argv[1], "destroy"))
		return ns_destroy(argc - 1, argv + 1, ctx);
	return cmd_usage_error("namespace", "unknown subcommand '%s' (create, destroy, import, export or reconfigure)", argv[1]);
}

/* ---- import / export: the data path (lib/format/io.c) ---- */

enum { X_NAME = 300, X_UUID, X_DEV, X_FROM, X_TO, X_FORCE, X_DRY, X_JSON, X_LABEL, X_SLOT };

static const struct option io_opts[] = {
	{ "name", required_argument, NULL, X_NAME }, { "uuid", required_argument, NULL, X_UUID },
	{ "dev", required_argument, NULL, X_DEV }, { "from", required_argument, NULL, X_FROM },
	{ "to", required_argument, NULL, X_TO }, { "force", no_argument, NULL, X_FORCE },
	{ "dry-run", no_argument, NULL, X_DRY }, { "json", no_argument, NULL, X_JSON },
	{ "label-size", required_argument, NULL, X_LABEL }, { "slot", required_argument, NULL, X_SLOT },
	{ NULL, 0, NULL, 0 },
};

struct io_args {
	bool import, force, dry, json, uuid_set;
	const char *file, *name, *dev, *path;   /* path: --from or --to */
	uint8_t uuid[16];
	struct vpmem_image_hints hints;
};

static int io_parse(int argc, char **argv, bool import, struct io_args *a, struct vpmem_ctx *ctx)
{
	const char *cmd = import ? "namespace import" : "namespace export";
	int c;

	struct cmd_opts op = { .cmd = "namespace", .sub = import ? "import" : "export", .longopts = io_opts };

	memset(a, 0, sizeof(*a));
	a->import = import;
	a->hints.slot = -1;
	a->json = ctx->json;
	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case X_NAME: a->name = optarg; break;
		case X_DEV: a->dev = optarg; break;
		case X_UUID:
			if (opt_uuid(cmd, optarg, a->uuid))
				return EXIT_USAGE;
			a->uuid_set = true;
			break;
		case X_FROM:
		case X_TO:
			if ((c == X_FROM) != import)
				return cmd_usage_error(cmd, "%s is for %s", c == X_FROM ? "--from" : "--to",
						       c == X_FROM ? "import" : "export");
			a->path = optarg;
			break;
		case X_FORCE:
			if (import)
				return cmd_usage_error(cmd, "--force is for export");
			a->force = true;
			break;
		case X_DRY: a->dry = true; break;
		case X_JSON: a->json = true; break;
		case X_LABEL:
			if (opt_label_size(cmd, optarg, &a->hints))
				return EXIT_USAGE;
			break;
		case X_SLOT:
			if (parse_slot_opt(cmd, optarg, &a->hints.slot))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 1, 1, "needs exactly one FILE"))
		return EXIT_USAGE;
	a->file = argv[optind];
	if (!!a->name + !!a->dev + a->uuid_set != 1)
		return cmd_usage_error(cmd, "needs one of --name, --uuid or --dev");
	if (!a->path)
		return cmd_usage_error(cmd, "needs %s", import ? "--from SRC" : "--to DST");
	return 0;
}

static int io_report(const struct io_args *a, const struct vpmem_ns_info *ns, uint64_t ns_size,
		     const struct vpmem_copy_stats *st)
{
	if (a->json && (a->import || strcmp(a->path, "-"))) {
		json_object *o = json_object_new_object();
		char dev[32];

		snprintf(dev, sizeof(dev), "namespace0.%u", ns->index);
		json_object_object_add(o, "dev", json_object_new_string(dev));
		json_object_object_add(o, "mode", json_object_new_string(vpmem_ns_mode_name(ns->mode)));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)ns_size));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)st->bytes));
		json_object_object_add(o, "data", json_object_new_int64((int64_t)st->data));
		json_object_object_add(o, "zero", json_object_new_int64((int64_t)st->zero));
		out_json(o);
	} else {
		char x[32], y[32];

		/* data on stdout: the report goes to stderr */
		FILE *f = !a->import && !strcmp(a->path, "-") ? stderr : stdout;

		fprintf(f, "%s %s %s namespace0.%u (%s) of '%s': %s data, %s zero%s\n", a->import ? "imported" : "exported",
		       !strcmp(a->path, "-") ? (a->import ? "stdin" : "stdout") : a->path,
		       a->import ? "into" : "from", ns->index, vpmem_ns_mode_name(ns->mode), a->file,
		       vpmem_size_human(st->data, x, sizeof(x)), vpmem_size_human(st->zero, y, sizeof(y)),
		       a->import || !strcmp(a->path, "-") ? "" : " (holes)");
	}
	return EXIT_OK;
}

static int ns_copy(int argc, char **argv, struct vpmem_ctx *ctx, bool import)
{
	struct io_args a;
	struct vpmem_ns_open_req req = { 0 };
	struct vpmem_ns_handle h = { .fd = -1 };
	struct vpmem_region_info *ri = NULL;
	struct vpmem_ns_io *io = NULL;
	struct vpmem_copy_stats st = { 0 };
	struct vpmem_err err = { 0 };
	const char *cmd = import ? "namespace import" : "namespace export";
	const char *what = import ? "importing" : "exporting";
	bool std = false;
	int r, other = -1, k;
	long long crash_limit = -1;
	struct stat sb;

	r = io_parse(argc, argv, import, &a, ctx);
	if (r)
		return r;
	std = !strcmp(a.path, "-");
	if (!import && std && !a.dry && isatty(STDOUT_FILENO))
		return cmd_error(EXIT_USAGE, "%s: refusing to write a namespace to a terminal", cmd);
	/* the other side first: a missing source changes nothing */
	if (import)
		other = std ? STDIN_FILENO : open(a.path, O_RDONLY | O_CLOEXEC);
	if (other < 0 && import)
		return cmd_error(EXIT_FAIL, "%s: cannot open '%s': %s", cmd, a.path, strerror(errno));
	req.file = a.file;
	req.hints = a.hints;
	req.write = import;
	req.force = a.force;
	req.dry = a.dry;
	req.name = a.name;
	req.dev = a.dev;
	req.uuid = a.uuid_set ? a.uuid : NULL;
	if (vpmem_ns_handle_open(&req, &h, &err)) {
		/* the image is busy: say how to export it anyway */
		r = cmd_error(EXIT_FAIL, "%s: %s%s", cmd, err.msg, h.busy && !import
			      ? "; --force exports it anyway (a running guest may change it during the copy)" : "");
		goto out;
	}
	ri = h.ri;
	io = h.io;
	k = h.index;
	if (import && !std && !fstat(other, &sb) && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size > vpmem_ns_io_size(io)) {
		char x[32], y[32];

		r = cmd_error(EXIT_FAIL, "%s: '%s' (%s) is larger than namespace0.%d of '%s' (%s)", cmd, a.path,
			      vpmem_size_human((uint64_t)sb.st_size, x, sizeof(x)), k, a.file,
			      vpmem_size_human(vpmem_ns_io_size(io), y, sizeof(y)));
		goto out;
	}
	if (a.dry && a.json) {
		json_object *o = json_object_new_object();
		char dev[32];

		snprintf(dev, sizeof(dev), "namespace0.%d", k);
		json_object_object_add(o, "file", json_object_new_string(a.file));
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
		json_object_object_add(o, "op", json_object_new_string(import ? "import" : "export"));
		json_object_object_add(o, "dev", json_object_new_string(dev));
		json_object_object_add(o, "mode", json_object_new_string(vpmem_ns_mode_name(ri->ns[k].mode)));
		json_object_object_add(o, "size", json_object_new_uint64(vpmem_ns_io_size(io)));
		json_object_object_add(o, "block_size", json_object_new_int((int)vpmem_ns_io_block_size(io)));
		json_object_object_add(o, import ? "from" : "to", json_object_new_string(std ? "-" : a.path));
		out_json(o);
		r = EXIT_OK;
		goto out;
	}
	if (a.dry) {
		char x[32];

		printf("would %s namespace0.%d (%s, %s, %u-byte blocks) of '%s' %s %s\n",
		       import ? "fill" : "copy all of", k, vpmem_ns_mode_name(ri->ns[k].mode),
		       vpmem_size_human(vpmem_ns_io_size(io), x, sizeof(x)), vpmem_ns_io_block_size(io), a.file,
		       import ? "from" : "to", std ? (import ? "stdin" : "stdout") : a.path);
		if (import)
			printf("then zeros to its end\n");
		r = EXIT_OK;
		goto out;
	}
	if (!import) {
		other = std ? STDOUT_FILENO : open(a.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (other < 0) {
			r = cmd_error(EXIT_FAIL, "%s: cannot open '%s': %s", cmd, a.path, strerror(errno));
			goto out;
		}
	}
	if (import && vpmem_ns_io_btt(io) && test_write_limit() != SIZE_MAX) {
		/* tests: die after N pwrites into the BTT, as a killed process would */
		crash_limit = (long long)test_write_limit();
		vpmem_btt_set_write_limit(vpmem_ns_io_btt(io), crash_limit);
	}
	r = import ? vpmem_ns_import(io, other, isatty(STDERR_FILENO) ? show_progress : NULL, (void *)what, &st, &err)
		   : vpmem_ns_export(io, other, isatty(STDERR_FILENO) ? show_progress : NULL, (void *)what, &st, &err);
	if (r && crash_limit >= 0 && strstr(err.msg, "simulated crash"))
		_exit(99);
	if (r)
		r = cmd_error(EXIT_FAIL, "%s: '%s' namespace0.%d: %s", cmd, a.file, k, err.msg);
	else
		r = io_report(&a, &ri->ns[k], vpmem_ns_io_size(io), &st);
out:
	vpmem_ns_handle_close(&h);
	if (other >= 0 && !std)
		close(other);
	return r;
}

int cmd_namespace(int argc, char **argv, struct vpmem_ctx *ctx)
{
	if (argc >= 2 && !strcmp(argv[1], "import"))
		return ns_copy(argc - 1, argv + 1, ctx, true);
	if (argc >= 2 && !strcmp(argv[1], "export"))
		return ns_copy(argc - 1, argv + 1, ctx, false);
	if (argc >= 2 && !strcmp(argv[1], "reconfigure"))
		return cmd_namespace_reconfigure(argc - 1, argv + 1, ctx);
	return ns_manage(argc, argv, ctx);
}

