// SPDX-License-Identifier: MIT
/* vpmem namespace reconfigure: change a namespace's mode offline, keeping the
 * bytes the guest sees (lib/format/reconfigure.c, doc/reconfigure.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/image.h>
#include <vpmem/io.h>
#include <vpmem/namespace.h>
#include <vpmem/reconfigure.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "vpmem.h"

#define CMD "namespace reconfigure"

enum { R_NAME = 400, R_DEV, R_KEEP, R_DRY, R_RESUME, R_JSON };

static const struct option opts[] = {
	NSOPT_LONGOPTS, /* mode size uuid sector-size map align label-size slot spa */
	{ "name", required_argument, NULL, R_NAME }, { "dev", required_argument, NULL, R_DEV },
	{ "keep-data", no_argument, NULL, R_KEEP }, { "dry-run", no_argument, NULL, R_DRY },
	{ "resume", no_argument, NULL, R_RESUME }, { "json", no_argument, NULL, R_JSON }, { NULL, 0, NULL, 0 },
};

struct rargs {
	const char *file, *name, *dev;
	bool uuid_set, mode_set, dry, resume, json;
	uint8_t uuid[16];
	struct vpmem_reconf_req rq;
	struct vpmem_image_hints hints;
};

static int parse(int argc, char **argv, struct rargs *a, struct vpmem_ctx *ctx)
{
	struct cmd_opts op = { .cmd = "namespace", .sub = "reconfigure", .longopts = opts };
	const struct ns_shape shape = {
		.mode = &a->rq.mode, .mode_set = &a->mode_set, .size = &a->rq.size, .uuid = a->uuid,
		.uuid_set = &a->uuid_set, .sector_size = &a->rq.sector_size, .map = &a->rq.map,
		.align = &a->rq.align, .hints = &a->hints,
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->hints.slot = -1;
	a->json = ctx->json;
	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		int t = ns_shape_opt(CMD, c, optarg, &shape);

		if (t > 0)
			return t;
		if (!t)
			continue;
		switch (c) {
		case R_NAME: a->name = optarg; break;
		case R_DEV: a->dev = optarg; break;
		case R_KEEP: a->rq.keep_data = true; break;
		case R_DRY: a->dry = true; break;
		case R_RESUME: a->resume = true; break;
		case R_JSON: a->json = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 1, 1, "needs exactly one FILE"))
		return EXIT_USAGE;
	a->file = argv[optind];
	if (a->resume) {
		if (a->mode_set || a->name || a->dev || a->uuid_set || a->rq.size || a->rq.sector_size || a->rq.map ||
		    a->rq.align)
			return cmd_usage_error(CMD, "--resume takes only FILE (the record says the rest)");
		return 0;
	}
	if (!!a->name + !!a->dev + a->uuid_set != 1)
		return cmd_usage_error(CMD, "needs one of --name, --uuid or --dev");
	if (!a->mode_set)
		return cmd_usage_error(CMD, "needs --mode");
	if (a->rq.sector_size && a->rq.mode != VPMEM_NS_SECTOR)
		return cmd_usage_error(CMD, "--sector-size applies to sector mode only");
	if ((a->rq.map || a->rq.align) && a->rq.mode != VPMEM_NS_FSDAX && a->rq.mode != VPMEM_NS_DEVDAX)
		return cmd_usage_error(CMD, "--map and --align apply to fsdax and devdax only");
	if (a->rq.size && a->rq.size % VPMEM_REGION_ALIGN)
		return cmd_usage_error(CMD, "--size is a multiple of the region alignment (16M)");
	return 0;
}

static void report(const struct rargs *a, const struct vpmem_ns_info *was, const struct vpmem_ns_info *now,
		   bool kept, uint64_t keep, const struct vpmem_reconf_run *run)
{
	char x[32];

	if (a->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "namespace", ns_to_json(now, 0, false));
		if (was)
			json_object_object_add(o, "was", json_object_new_string(vpmem_ns_mode_name(was->mode)));
		json_object_object_add(o, "kept", json_object_new_boolean(kept));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)keep));
		json_object_object_add(o, "writes", json_object_new_int64((int64_t)run->writes));
		out_json(o);
		return;
	}
	if (kept)
		printf("reconfigured namespace0.%u of '%s'%s%s to %s keeping its data (%s)\n", now->index, a->file,
		       was ? " from " : "", was ? vpmem_ns_mode_name(was->mode) : "", vpmem_ns_mode_name(now->mode),
		       vpmem_size_human(keep, x, sizeof(x)));
	else
		printf("reconfigured namespace0.%u of '%s' from %s to %s; its data was not kept (--keep-data keeps it)\n",
		       now->index, a->file, was ? vpmem_ns_mode_name(was->mode) : "?", vpmem_ns_mode_name(now->mode));
	ns_print_text(now, 0);
}

/* tests: VPMEM_TEST_CRASH_AFTER_WRITES=N stops after N writes (exit 99) */
static long long crash_budget(void)
{
	size_t n = test_write_limit();

	return n == SIZE_MAX ? -1 : (long long)n;
}

static int finish(int r, const struct vpmem_reconf_run *run, const struct vpmem_err *err, const char *file)
{
	if (r == -ECANCELED && run->budget == 0) {
		fflush(stdout);
		_exit(99);
	}
	return cmd_error(EXIT_FAIL, CMD ": '%s': %s", file, err->msg);
}

/* The "writes" array of wplan_to_json (the renderer of every --dry-run --json). */
static json_object *writes_json(const struct vpmem_wplan *w, const char *file)
{
	json_object *o = wplan_to_json(w, file), *writes = NULL;

	json_object_object_get_ex(o, "writes", &writes);
	json_object_get(writes);
	json_object_put(o);
	return writes;
}

/*
 * --dry-run --json: {"file", "dry_run", "namespace" (as planned, ndctl list
 * -N shaped), "was", "keep_data", ["keep", "data_end", "staging"], "size",
 * "destroy" and "create": the writes of the two steps, as "writes" of
 * namespace create --dry-run --json}.
 */
static void dry_json(const struct rargs *a, const struct vpmem_reconf_plan *p)
{
	json_object *o = wplan_to_json(&p->destroy, a->file);
	char *staging = NULL;

	json_object_object_del(o, "writes");
	json_object_object_add(o, "namespace", ns_to_json(&p->new_ns, 0, 0));
	json_object_object_add(o, "was", json_object_new_string(vpmem_ns_mode_name(p->old_ns.mode)));
	json_object_object_add(o, "old_size", json_object_new_uint64(p->old_ns.rawsize));
	json_object_object_add(o, "size", json_object_new_uint64(p->req.size));
	json_object_object_add(o, "keep_data", json_object_new_boolean(p->keep_data));
	if (p->keep_data) {
		json_object_object_add(o, "keep", json_object_new_uint64(p->keep));
		json_object_object_add(o, "visible_size", json_object_new_uint64(p->new_size));
		json_object_object_add(o, "data_end", json_object_new_uint64(p->data_end));
		if (asprintf(&staging, "%s%s", a->file, VPMEM_RECONF_DATA_SUFFIX) > 0)
			json_object_object_add(o, "staging", json_object_new_string(staging));
		free(staging);
	}
	json_object_object_add(o, "destroy", writes_json(&p->destroy, a->file));
	json_object_object_add(o, "create", writes_json(&p->create, a->file));
	out_json(o);
}

/* --resume --dry-run: what the record says is left to do. */
static void dry_resume(const struct rargs *a, const struct vpmem_reconf_state *st)
{
	if (a->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(a->file));
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
		json_object_object_add(o, "resume", json_object_new_boolean(1));
		json_object_object_add(o, "dpa", json_object_new_uint64(st->dpa));
		json_object_object_add(o, "was", json_object_new_string(vpmem_ns_mode_name(st->old_mode)));
		json_object_object_add(o, "mode", json_object_new_string(vpmem_ns_mode_name(st->req.mode)));
		json_object_object_add(o, "keep", json_object_new_uint64(st->keep));
		out_json(o);
		return;
	}
	printf("would finish the conversion of the namespace at DPA 0x%" PRIx64 " of '%s' from %s to %s (%" PRIu64 " bytes staged)\n",
	       st->dpa, a->file, vpmem_ns_mode_name(st->old_mode), vpmem_ns_mode_name(st->req.mode), st->keep);
}

static void dry_print(const struct rargs *a, const struct vpmem_reconf_plan *p)
{
	char x[32], y[32];

	if (a->json) {
		dry_json(a, p);
		return;
	}

	printf("would reconfigure namespace0.%u of '%s' from %s to %s", p->index, a->file,
	       vpmem_ns_mode_name(p->old_ns.mode), vpmem_ns_mode_name(p->new_ns.mode));
	if (p->req.size != p->old_ns.rawsize)
		printf(", growing it from %s to %s", vpmem_size_str(p->old_ns.rawsize, x, sizeof(x)),
		       vpmem_size_str(p->req.size, y, sizeof(y)));
	printf("\n");
	if (p->keep_data)
		printf("keeping its data: %" PRIu64 " of %" PRIu64 " visible bytes (data ends at byte %" PRIu64 "), staged in '%s%s'\n",
		       p->keep, p->new_size, p->data_end, a->file, VPMEM_RECONF_DATA_SUFFIX);
	else
		printf("its data is not kept (--keep-data keeps it)\n");
	printf("1. free the old label\n");
	wplan_print(&p->destroy, a->file);
	printf("2. the new namespace%s\n", p->keep_data ? " (the data goes in before its label)" : "");
	wplan_print(&p->create, a->file);
	printf("dry run: nothing written\n");
}

int cmd_namespace_reconfigure(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct rargs a;
	struct vpmem_region_info *ri = NULL;
	struct vpmem_reconf_plan *p = NULL;
	struct vpmem_reconf_state st;
	struct vpmem_err err = { 0 };
	struct vpmem_ns_info now;
	struct vpmem_reconf_run run = { .budget = crash_budget() };
	int r, fd = -1, k, pend;

	r = parse(argc, argv, &a, ctx);
	if (r)
		return r;
	run.hints = &a.hints;
	if (isatty(STDERR_FILENO)) {
		run.progress = show_progress;
		run.arg = (void *)"reconfigure";
	}
	if (vpmem_image_is_cxl(a.file)) /* its journal and label writes assume one file */
		return cmd_error(EXIT_FAIL, CMD ": '%s' is a CXL image: reconfigure does not handle CXL images yet (destroy and create the namespace, with export/import)",
				 a.file);
	fd = vpmem_image_open_locked(a.file, &err);
	if (fd < 0)
		return cmd_error(EXIT_FAIL, CMD ": %s", err.msg);
	pend = vpmem_reconf_pending(a.file, &st, &err);
	if (pend < 0) {
		r = cmd_error(EXIT_FAIL, CMD ": %s", err.msg);
		goto out;
	}
	if (a.resume || pend) {
		if (!pend) {
			r = cmd_error(EXIT_FAIL, CMD ": '%s': no conversion is pending", a.file);
			goto out;
		}
		if (!a.resume && (!a.rq.keep_data || a.rq.mode != st.req.mode)) {
			r = cmd_error(EXIT_FAIL, CMD ": '%s': a conversion to %s is pending: finish it first (vpmem namespace reconfigure '%s' --resume)",
				      a.file, vpmem_ns_mode_name(st.req.mode), a.file);
			goto out;
		}
		if (a.dry) {
			dry_resume(&a, &st);
			goto out;
		}
		r = vpmem_reconf_resume(fd, a.file, &run, &now, &err);
		if (r) {
			r = finish(r, &run, &err, a.file);
			goto out;
		}
		report(&a, NULL, &now, true, st.keep, &run);
		goto out;
	}
	ri = calloc(1, sizeof(*ri));
	p = calloc(1, sizeof(*p));
	if (!ri || !p) {
		r = cmd_error(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (vpmem_region_read(fd, &a.hints, ri, &err)) {
		r = cmd_error(EXIT_FAIL, CMD ": '%s': %s", a.file, err.msg);
		goto out;
	}
	k = vpmem_ns_select(ri, a.name, a.uuid_set ? a.uuid : NULL, a.dev, &err);
	if (k < 0 || vpmem_reconf_plan(fd, ri, &a.hints, (unsigned)k, &a.rq, p, &err)) {
		r = cmd_error(EXIT_FAIL, CMD ": '%s': %s", a.file, err.msg);
		goto out;
	}
	if (a.dry) {
		dry_print(&a, p);
		goto out;
	}
	r = vpmem_reconf_apply(fd, a.file, p, &run, &err);
	if (r) {
		r = finish(r, &run, &err, a.file);
		goto out;
	}
	/* read back: what a guest will see now */
	vpmem_region_free(ri);
	if (vpmem_region_read(fd, &a.hints, ri, &err)) {
		r = cmd_error(EXIT_FAIL, CMD ": '%s': cannot read back: %s", a.file, err.msg);
		goto out;
	}
	now = p->new_ns;
	for (unsigned i = 0; i < ri->nns; i++)
		if (ri->ns[i].dpa == p->old_ns.dpa)
			now = ri->ns[i];
	report(&a, &p->old_ns, &now, a.rq.keep_data, p->keep, &run);
out:
	if (p)
		vpmem_reconf_plan_free(p);
	free(p);
	if (ri)
		vpmem_region_free(ri);
	free(ri);
	if (fd >= 0)
		close(fd);
	return r;
}
