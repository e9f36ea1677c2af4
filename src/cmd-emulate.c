// SPDX-License-Identifier: MIT
/* vpmem emulate plan | apply | status | remove: DRAM-emulated PMem via memmap=. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/e820.h>
#include <vpmem/file.h>
#include <vpmem/exec.h>
#include <vpmem/grub.h>
#include <vpmem/hoststatus.h>
#include <vpmem/input.h>
#include <vpmem/size.h>

#include "options.h"
#include "vpmem.h"

const char usage_emulate[] =
	"usage: vpmem emulate plan   --size SIZE [--count N] [--min-ram SIZE] [--e820 FILE] [--sysroot DIR] [--json]\n"
	"       vpmem emulate apply  --size SIZE [plan options] [--grub-file FILE] [--update] [--dry-run]\n"
	"                            [--json]\n"
	"       vpmem emulate status [--sysroot DIR] [--grub-file FILE] [--json]\n"
	"       vpmem emulate remove [--grub-file FILE] [--update] [--dry-run] [--json]\n"
	"       (each takes -q, --quiet: the result only, without the reasoning or\n"
	"       the 'next:' hint)\n"
	"\n"
	"Emulate persistent memory with DRAM: reserve usable RAM with the kernel\n"
	"parameter memmap=SIZE!OFFSET (e820 type 12), which the kernel's nd_e820 driver\n"
	"turns into /dev/pmemN after a reboot.\n"
	"\n"
	"plan   reads the memory map (/sys/firmware/memmap, /proc/iomem, or --e820 FILE\n"
	"       with dmesg BIOS-e820 lines or a memmap dump), picks ranges only inside\n"
	"       usable RAM, above 4G where possible, aligned to 1G (or 128M, the memory\n"
	"       section fsdax/devdax need), keeping --min-ram (default: a quarter of RAM,\n"
	"       at least 1G), and prints the memmap= parameter(s) with the reasoning.\n"
	"apply  plans, then adds the parameter to GRUB_CMDLINE_LINUX in /etc/default/grub:\n"
	"       idempotent, replacing an earlier vpmem reservation, atomic (temp, fsync,\n"
	"       rename), with a backup (FILE.vpmem.bak) and a record (FILE.vpmem); only\n"
	"       that line changes. Prints the command that regenerates grub.cfg, or runs\n"
	"       it with --update. --json (with --dry-run too): {\"dry_run\", \"grub_file\",\n"
	"       \"changed\", \"param\", \"line\" (the GRUB_CMDLINE_LINUX line after),\n"
	"       \"plan\" (as plan --json), \"backup\", \"record\", \"update_command\",\n"
	"       \"updated\"}.\n"
	"status after the reboot: the reserved (type 12) ranges, the pmem regions and\n"
	"       /dev/pmemN devices, and whether they match the memmap= on the command line.\n"
	"remove undoes exactly what apply did (--json: apply's keys without \"line\"\n"
	"       and \"plan\"; \"param\" is what it takes out).\n";

struct em_args {
	struct vpmem_e820_req req;
	const char *e820, *sysroot, *grub;
	bool json, update, dry, quiet;
};

static int parse(int argc, char **argv, struct em_args *a, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' }, { "count", required_argument, NULL, 'c' },
		{ "min-ram", required_argument, NULL, 'm' }, { "e820", required_argument, NULL, 'e' },
		{ "sysroot", required_argument, NULL, 'r' }, { "grub-file", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' }, { "update", no_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'd' }, { "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->json = ctx->json;
	struct cmd_opts op = { .cmd = "emulate", .shortopts = "q", .longopts = opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 's':
			if (opt_size("emulate", "--size", optarg, 0, &a->req.size))
				return EXIT_USAGE;
			break;
		case 'm':
			if (opt_size("emulate", "--min-ram", optarg, 0, &a->req.min_ram))
				return EXIT_USAGE;
			break;
		case 'c': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > VPMEM_E820_MAX_RES)
				return cmd_usage_error("emulate", "--count '%s': use 1 to %d", optarg, VPMEM_E820_MAX_RES);
			a->req.count = (unsigned)v;
			break;
		}
		case 'e': a->e820 = optarg; break;
		case 'r': a->sysroot = optarg; break;
		case 'g': a->grub = optarg; break;
		case 'j': a->json = true; break;
		case 'u': a->update = true; break;
		case 'd': a->dry = true; break;
		case 'q': a->quiet = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	return cmd_operands(&op, argc, argv, 0, 0, NULL);
}

static int load_map(const struct em_args *a, struct vpmem_e820_map *m)
{
	struct vpmem_err err = { 0 };

	if (a->e820) {
		char *text = vpmem_read_input(a->e820, 16 << 20, NULL, "memory map", &err);
		int r;

		if (!text)
			return cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
		r = vpmem_e820_parse(text, true, m, &err);
		free(text);
		if (r)
			return cmd_error(EXIT_FAIL, "emulate: '%s': %s", a->e820, err.msg);
		return 0;
	}
	if (vpmem_e820_read(a->sysroot, m, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	return 0;
}

static int do_plan(const struct em_args *a, struct vpmem_e820_plan *p)
{
	struct vpmem_e820_map *m = calloc(1, sizeof(*m));
	struct vpmem_err err = { 0 };
	int r;

	if (!m)
		return cmd_error(EXIT_FAIL, "out of memory");
	if (!a->req.size) {
		free(m);
		return cmd_usage_error("emulate", "needs --size");
	}
	r = load_map(a, m);
	if (!r && vpmem_e820_plan(m, &a->req, p, &err))
		r = cmd_error(EXIT_FAIL, "emulate: no plan: %s", err.msg);
	free(m);
	return r;
}

static json_object *plan_json(const struct vpmem_e820_plan *p)
{
	json_object *o = json_object_new_object(), *rs = json_object_new_array();

	for (unsigned i = 0; i < p->n; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "start", json_object_new_uint64(p->r[i].start));
		json_object_object_add(r, "size", json_object_new_uint64(p->r[i].size));
		json_object_array_add(rs, r);
	}
	json_object_object_add(o, "param", json_object_new_string(p->param));
	json_object_object_add(o, "reservations", rs);
	json_object_object_add(o, "ram_total", json_object_new_uint64(p->ram_total));
	json_object_object_add(o, "ram_left", json_object_new_uint64(p->ram_left));
	json_object_object_add(o, "reasoning", json_object_new_string(p->reasoning));
	return o;
}

static int em_plan(const struct em_args *a)
{
	struct vpmem_e820_plan p;
	int r = do_plan(a, &p);

	if (r)
		return r;
	if (a->json) {
		out_json(plan_json(&p));
	} else {
		if (!a->quiet)
			fputs(p.reasoning, stdout);
		printf("kernel parameter: %s\n", p.param);
	}
	return EXIT_OK;
}

/* ---- GRUB ---- */

static void grub_path(const struct em_args *a, char *buf, size_t len)
{
	if (a->grub)
		snprintf(buf, len, "%s", a->grub);
	else
		snprintf(buf, len, "%s/etc/default/grub", a->sysroot ? a->sysroot : "");
}

/* The GRUB file the user named, read by the library (a symlink followed). */
static int read_grub(const struct em_args *a, struct vpmem_grub_file *f)
{
	struct vpmem_err err = { 0 };
	char path[PATH_MAX];

	grub_path(a, path, sizeof(path));
	if (vpmem_grub_read(path, f, &err))
		return cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	return 0;
}

static int run_update(const struct em_args *a)
{
	char cmd[128], *out = NULL;
	struct vpmem_err err = { 0 };
	int st;

	if (!vpmem_grub_update_cmd(a->sysroot, cmd, sizeof(cmd)))
		return cmd_error(EXIT_FAIL, "emulate: no update-grub or grub-mkconfig found; regenerate grub.cfg by hand");
	if (a->sysroot)
		return cmd_error(EXIT_FAIL, "emulate: --update with --sysroot: run '%s' inside that system", cmd);
	/* with --json, stdout holds the JSON object alone */
	fprintf(a->json ? stderr : stdout, "running: %s\n", cmd);
	fflush(stdout);
	if (vpmem_grub_update_run(cmd, &out, &st, &err)) {
		free(out);
		return cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	}
	if (out)
		fputs(out, a->json ? stderr : stdout);
	free(out);
	if (st)
		return cmd_error(EXIT_FAIL, "emulate: '%s' failed (exit status %d)", cmd, st);
	return 0;
}

static void say_update(const struct em_args *a, bool changed)
{
	char cmd[128];

	if (!changed || a->update || a->quiet || a->json)
		return;
	if (vpmem_grub_update_cmd(a->sysroot, cmd, sizeof(cmd)))
		printf("next: run '%s' (or pass --update), then reboot\n", cmd);
	else
		printf("next: regenerate grub.cfg (update-grub, or grub2-mkconfig -o /boot/grub2/grub.cfg), then reboot\n");
}

/* The end of apply and remove: after a written change, the next step (or
 * --update's run of it); then free the file and the change. */
static int em_done(const struct em_args *a, bool written, int r, struct vpmem_grub_file *f,
		   struct vpmem_grub_change *c)
{
	if (written) {
		say_update(a, true);
		if (a->update)
			r = run_update(a);
	}
	vpmem_grub_change_free(c);
	vpmem_grub_file_free(f);
	return r;
}

/*
 * apply and remove --json (with --dry-run too): what the text says, as one
 * object: {"dry_run", "grub_file", "changed", "param", apply: "line" (the
 * GRUB_CMDLINE_LINUX line after the change) and "plan" (as plan --json),
 * "backup", "record", "update_command" (null: none installed), "updated"}.
 */
static void change_json(const struct em_args *a, const char *param, const struct vpmem_e820_plan *p,
			const struct vpmem_grub_file *f, const struct vpmem_grub_change *c, bool updated)
{
	json_object *o = json_object_new_object();
	char cmd[128], rec[sizeof(f->path) + 8];

	snprintf(rec, sizeof(rec), "%s.vpmem", f->path);
	json_object_object_add(o, "dry_run", json_object_new_boolean(a->dry));
	json_object_object_add(o, "grub_file", json_object_new_string(f->path));
	json_object_object_add(o, "changed", json_object_new_boolean(c->changed));
	json_object_object_add(o, "param", param ? json_object_new_string(param) : NULL);
	if (p) {
		json_object_object_add(o, "line", c->line ? json_object_new_string(c->line) : NULL);
		json_object_object_add(o, "plan", plan_json(p));
	}
	json_object_object_add(o, "backup", json_object_new_string(c->backup));
	json_object_object_add(o, "record", json_object_new_string(rec));
	json_object_object_add(o, "update_command", vpmem_grub_update_cmd(a->sysroot, cmd, sizeof(cmd)) ?
			       json_object_new_string(cmd) : NULL);
	json_object_object_add(o, "updated", json_object_new_boolean(updated));
	out_json(o);
}

static int em_apply(const struct em_args *a)
{
	struct vpmem_e820_plan p;
	struct vpmem_err err = { 0 };
	struct vpmem_grub_file f;
	struct vpmem_grub_change c;
	int r = do_plan(a, &p);

	if (r)
		return r;
	r = read_grub(a, &f);
	if (r)
		return r;
	if (vpmem_grub_apply(&f, p.param, a->dry, &c, &err)) {
		r = cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	} else if (a->json) {
		bool written = c.changed && !a->dry;

		if (written && a->update)
			r = run_update(a);
		change_json(a, p.param, &p, &f, &c, written && a->update && !r);
		vpmem_grub_change_free(&c);
		vpmem_grub_file_free(&f);
		return r;
	} else {
		if (!a->quiet)
			fputs(p.reasoning, stdout);
		if (!c.changed)
			printf("'%s' already has %s: nothing changed\n", f.path, p.param);
		else if (a->dry)
			printf("would set in '%s': %s\n", f.path, c.line);
		else
			printf("'%s': GRUB_CMDLINE_LINUX now has %s (backup: %s)\n", f.path, p.param, c.backup);
	}
	return em_done(a, !r && c.changed && !a->dry, r, &f, &c);
}

static int em_remove(const struct em_args *a)
{
	struct vpmem_err err = { 0 };
	struct vpmem_grub_file f;
	struct vpmem_grub_change c;
	int r = read_grub(a, &f);

	if (r)
		return r;
	r = vpmem_grub_remove(&f, a->dry, &c, &err);
	if (!r && c.edited_since && !a->json)
		printf("note: '%s' changed since vpmem applied it; removing only %s\n", f.path, c.param);
	if (r) {
		r = cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	} else if (a->json) {
		if (!a->dry && a->update)
			r = run_update(a);
		change_json(a, c.param, NULL, &f, &c, !a->dry && a->update && !r);
		vpmem_grub_change_free(&c);
		vpmem_grub_file_free(&f);
		return r;
	} else if (a->dry) {
		printf("would remove %s from '%s'\n", c.param, f.path);
	} else {
		if (c.foreign_backup)
			printf("note: '%s' is not the backup vpmem made: left in place\n", c.backup);
		printf("'%s': removed %s\n", f.path, c.param);
	}
	return em_done(a, !r && !a->dry, r, &f, &c);
}

/* ---- status ---- */

/* Is every word of @param a whole word of @cmdline? */
static bool on_cmdline(const char *cmdline, const char *param)
{
	char *copy = strdup(param), *save = NULL;
	bool all = copy && cmdline;

	for (char *w = all ? strtok_r(copy, " \t", &save) : NULL; w && all; w = strtok_r(NULL, " \t", &save)) {
		size_t n = strlen(w);
		bool found = false;

		for (const char *p = strstr(cmdline, w); p && !found; p = strstr(p + 1, w))
			found = (p == cmdline || p[-1] == ' ' || p[-1] == '\t') &&
				(!p[n] || p[n] == ' ' || p[n] == '\t' || p[n] == '\n');
		all = found;
	}
	free(copy);
	return all;
}

static int em_status(const struct em_args *a)
{
	struct vpmem_e820_res planned[16];
	unsigned np, matched = 0;
	char *cmdline, grub[PATH_MAX], a1[32], a2[32];
	json_object *o, *jr, *jp;
	struct vpmem_host_status st;
	struct vpmem_err err = { 0 };
	char *gparam = NULL;

	if (vpmem_host_status_read(a->sysroot, &st, &err)) {
		vpmem_host_status_free(&st);
		return cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	}
	o = json_object_new_object();
	jr = json_object_new_array();
	jp = json_object_new_array();
	cmdline = st.cmdline;
	np = cmdline ? vpmem_e820_cmdline_pram(cmdline, planned, 16) : 0;
	grub_path(a, grub, sizeof(grub));
	gparam = vpmem_grub_recorded_param(grub);
	if (gparam) {
		json_object_object_add(o, "grub_param", json_object_new_string(gparam));
		json_object_object_add(o, "grub_pending", json_object_new_boolean(!on_cmdline(cmdline, gparam)));
	}
	for (unsigned i = 0; i < np; i++) {
		json_object *x = json_object_new_object();
		bool ok = false;

		for (unsigned k = 0; k < st.nreserved; k++)
			ok |= st.reserved[k].start == planned[i].start && st.reserved[k].size == planned[i].size;
		matched += ok;
		json_object_object_add(x, "start", json_object_new_uint64(planned[i].start));
		json_object_object_add(x, "size", json_object_new_uint64(planned[i].size));
		json_object_object_add(x, "reserved", json_object_new_boolean(ok));
		json_object_array_add(jp, x);
	}
	json_object_object_add(o, "planned", jp);
	{
		json_object *jf = json_object_new_array();

		for (unsigned k = 0; k < st.nreserved; k++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "start", json_object_new_uint64(st.reserved[k].start));
			json_object_object_add(x, "size", json_object_new_uint64(st.reserved[k].size));
			json_object_array_add(jf, x);
		}
		json_object_object_add(o, "reserved", jf);
	}
	/* pmem regions from nd_e820 and their devices */
	for (unsigned i = 0; i < st.nregions; i++) {
		const struct vpmem_host_region *reg = &st.regions[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "dev", json_object_new_string(reg->dev));
		json_object_object_add(x, "start", json_object_new_uint64(reg->has_resource ? reg->resource : 0));
		json_object_object_add(x, "size", json_object_new_uint64(reg->has_size ? reg->size : 0));
		if (reg->blockdev[0])
			json_object_object_add(x, "blockdev", json_object_new_string(reg->blockdev));
		json_object_array_add(jr, x);
	}
	json_object_object_add(o, "regions", jr);
	json_object_object_add(o, "match", json_object_new_boolean(np && matched == np));
	if (a->json) {
		out_json(o);
	} else {
		if (gparam) {
			/* what 'emulate apply' left in GRUB: on the running command line yet? */
			bool booted = on_cmdline(cmdline, gparam);

			printf("GRUB (%s): %s, %s\n", grub, gparam,
			       booted ? "on the running kernel's command line" :
			       "pending: not on the running kernel's command line (regenerate grub.cfg and reboot)");
		}
		if (!np)
			printf("no memmap=SIZE!OFFSET on the kernel command line\n");
		for (unsigned i = 0; i < np; i++) {
			bool ok = json_object_get_boolean(json_object_object_get(json_object_array_get_idx(jp, i), "reserved"));

			printf("planned memmap=%s!%s: %s\n", vpmem_size_str(planned[i].size, a1, sizeof(a1)),
			       vpmem_size_str(planned[i].start, a2, sizeof(a2)),
			       ok ? "reserved as persistent memory (type 12)" : "NOT reserved as planned");
		}
		for (size_t i = 0; i < json_object_array_length(jr); i++) {
			json_object *x = json_object_array_get_idx(jr, i), *bd = json_object_object_get(x, "blockdev");

			printf("%s: %s at %#" PRIx64 "%s%s\n", json_object_get_string(json_object_object_get(x, "dev")),
			       vpmem_size_human((uint64_t)json_object_get_int64(json_object_object_get(x, "size")), a1, sizeof(a1)),
			       (uint64_t)json_object_get_int64(json_object_object_get(x, "start")),
			       bd ? " -> /dev/" : "", bd ? json_object_get_string(bd) : "");
		}
		printf("%s\n", np && matched == np ? "matches the plan; next: vpmem namespace / ndctl create-namespace -m fsdax, mkfs, mount -o dax"
		       : np ? "does not match the plan (was the machine rebooted after update-grub?)" : "");
		json_object_put(o);
	}
	vpmem_host_status_free(&st);
	free(gparam);
	return np && matched == np ? EXIT_OK : EXIT_FAIL;
}

int cmd_emulate(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct em_args a;
	int r;

	if (argc < 2)
		return cmd_usage_error("emulate", "missing subcommand (plan, apply, status or remove)");
	r = parse(argc - 1, argv + 1, &a, ctx);
	if (r)
		return r;
	if (!strcmp(argv[1], "plan"))
		return em_plan(&a);
	if (!strcmp(argv[1], "apply"))
		return em_apply(&a);
	if (!strcmp(argv[1], "status"))
		return em_status(&a);
	if (!strcmp(argv[1], "remove"))
		return em_remove(&a);
	return cmd_usage_error("emulate", "unknown subcommand '%s' (plan, apply, status or remove)", argv[1]);
}
