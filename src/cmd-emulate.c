// SPDX-License-Identifier: MIT
/* vpmem emulate plan | apply | status | remove: DRAM-emulated PMem via memmap=. */
#include <dirent.h>
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
#include <vpmem/input.h>
#include <vpmem/size.h>
#include <vpmem/sysfs.h>

#include "options.h"
#include "vpmem.h"

const char usage_emulate[] =
	"usage: vpmem emulate plan   --size SIZE [--count N] [--min-ram SIZE] [--e820 FILE] [--sysroot DIR] [--json]\n"
	"       vpmem emulate apply  --size SIZE [plan options] [--grub-file FILE] [--update] [--dry-run]\n"
	"       vpmem emulate status [--sysroot DIR] [--grub-file FILE] [--json]\n"
	"       vpmem emulate remove [--grub-file FILE] [--update]\n"
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
	"       it with --update.\n"
	"status after the reboot: the reserved (type 12) ranges, the pmem regions and\n"
	"       /dev/pmemN devices, and whether they match the memmap= on the command line.\n"
	"remove undoes exactly what apply did.\n";

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
	struct vpmem_err err = { 0 };
	int c;

	memset(a, 0, sizeof(*a));
	a->json = ctx->json;
	struct cmd_opts op = { .cmd = "emulate", .shortopts = "q", .longopts = opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 's':
			if (vpmem_size_parse(optarg, 0, "--size", &a->req.size, &err))
				return cmd_error(EXIT_USAGE, "emulate: %s", err.msg);
			break;
		case 'm':
			if (vpmem_size_parse(optarg, 0, "--min-ram", &a->req.min_ram, &err))
				return cmd_error(EXIT_USAGE, "emulate: %s", err.msg);
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

/* Write @data (@len bytes) to @path atomically: temp in the same directory
 * (O_EXCL, never following a link), fsync, rename, fsync the directory;
 * keeps the old file's mode. @path is the real file (resolve_grub). */
static int write_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *d = strdup(path);
	int fd, dfd;

	if (!d)
		return cmd_error(EXIT_FAIL, "out of memory");
	/* dirname() may point into its argument: copy it before freeing (D4) */
	snprintf(dir, sizeof(dir), "%s", dirname(d));
	free(d);
	snprintf(tmp, sizeof(tmp), "%s/.vpmem-XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return cmd_error(EXIT_FAIL, "emulate: cannot write in '%s': %s", dir, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) || fsync(fd)) {
		int e = errno ? errno : EIO;

		close(fd);
		unlink(tmp);
		return cmd_error(EXIT_FAIL, "emulate: cannot write '%s': %s", path, strerror(e));
	}
	if (close(fd) || rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return cmd_error(EXIT_FAIL, "emulate: cannot write '%s': %s", path, strerror(e));
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/*
 * The GRUB file the user named, resolved once: a symlink is followed to the
 * file it names (that file is edited, the link stays a link, D10); it must
 * be a regular file (a FIFO or a device is refused, D8) of at most 1 MiB
 * (more is refused, not cut, D3) without NUL bytes (written back byte for
 * byte, D3). *@content (malloc'ed) and *@st describe it.
 */
static int read_grub(const struct em_args *a, char *grub, size_t len, char **content, size_t *clen,
		     struct stat *st)
{
	struct vpmem_err err = { 0 };
	char real[PATH_MAX];

	grub_path(a, grub, len);
	if (!lstat(grub, st) && S_ISLNK(st->st_mode)) {
		if (!realpath(grub, real))
			return cmd_error(EXIT_FAIL, "emulate: cannot resolve '%s': %s", grub, strerror(errno));
		snprintf(grub, len, "%s", real);
	}
	*content = vpmem_read_input(grub, 1 << 20, clen, "--grub-file", &err);
	if (!*content)
		return cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	if (strlen(*content) != *clen) {
		free(*content);
		*content = NULL;
		return cmd_error(EXIT_FAIL, "emulate: '%s' contains a NUL byte: not a GRUB defaults file (left untouched)",
				 grub);
	}
	if (stat(grub, st)) {
		free(*content);
		*content = NULL;
		return cmd_error(EXIT_FAIL, "emulate: cannot read '%s': %s", grub, strerror(errno));
	}
	return 0;
}

/* FNV-1a of a file's bytes: the record remembers which backup is ours */
static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

struct em_state {
	char *param, *original_line, *applied_line;
	bool had_line;
	char backup_fnv[24];    /* the backup vpmem wrote ("" = none recorded) */
};

static void state_free(struct em_state *s)
{
	free(s->param);
	free(s->original_line);
	free(s->applied_line);
	memset(s, 0, sizeof(*s));
}

static int state_read(const char *grub, struct em_state *s)
{
	char path[PATH_MAX];
	json_object *o, *v;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s.vpmem", grub);
	o = json_object_from_file(path);
	if (!o)
		return -ENOENT;
	if (json_object_object_get_ex(o, "param", &v))
		s->param = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "original_line", &v))
		s->original_line = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "applied_line", &v))
		s->applied_line = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "had_line", &v))
		s->had_line = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "backup_fnv", &v))
		snprintf(s->backup_fnv, sizeof(s->backup_fnv), "%s", json_object_get_string(v));
	json_object_put(o);
	if (!s->param || !s->original_line || !s->applied_line) {
		state_free(s); /* a partial record owns nothing (D14) */
		return -EINVAL;
	}
	return 0;
}


/* The space-separated tokens of @s as a NULL-terminated array (in @buf). */
static const char **tokens(char *s, const char **arr, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(s, " ", &save); t && n + 1 < max; t = strtok_r(NULL, " ", &save))
		arr[n++] = t;
	arr[n] = NULL;
	return arr;
}

static const char *update_cmd(const char *sysroot, char *buf, size_t len)
{
	static const struct { const char *bin, *cmd; } known[] = {
		{ "/usr/sbin/update-grub", "update-grub" },
		{ "/usr/sbin/grub2-mkconfig", "grub2-mkconfig -o /boot/grub2/grub.cfg" },
		{ "/usr/sbin/grub-mkconfig", "grub-mkconfig -o /boot/grub/grub.cfg" },
	};
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", sysroot ? sysroot : "", known[i].bin);
		if (!access(p, X_OK)) {
			snprintf(buf, len, "%s", known[i].cmd);
			return buf;
		}
	}
	return NULL;
}

static int run_update(const struct em_args *a)
{
	char cmd[128], words[128], *out = NULL;
	const char *argv[8];
	struct vpmem_err err = { 0 };
	int st;

	if (!update_cmd(a->sysroot, cmd, sizeof(cmd)))
		return cmd_error(EXIT_FAIL, "emulate: no update-grub or grub-mkconfig found; regenerate grub.cfg by hand");
	if (a->sysroot)
		return cmd_error(EXIT_FAIL, "emulate: --update with --sysroot: run '%s' inside that system", cmd);
	printf("running: %s\n", cmd);
	fflush(stdout);
	/* argv, no shell (the README's promise): the known commands are plain words */
	snprintf(words, sizeof(words), "%s", cmd);
	if (vpmem_exec_capture((char *const *)tokens(words, argv, 8), NULL, 0, &out, &st, &err)) {
		free(out);
		return cmd_error(EXIT_FAIL, "emulate: %s", err.msg);
	}
	if (out)
		fputs(out, stdout);
	free(out);
	if (st)
		return cmd_error(EXIT_FAIL, "emulate: '%s' failed (exit status %d)", cmd, st);
	return 0;
}

static void say_update(const struct em_args *a, bool changed)
{
	char cmd[128];

	if (!changed || a->update || a->quiet)
		return;
	if (update_cmd(a->sysroot, cmd, sizeof(cmd)))
		printf("next: run '%s' (or pass --update), then reboot\n", cmd);
	else
		printf("next: regenerate grub.cfg (update-grub, or grub2-mkconfig -o /boot/grub2/grub.cfg), then reboot\n");
}

static int em_apply(const struct em_args *a)
{
	struct vpmem_e820_plan p;
	struct vpmem_err err = { 0 };
	struct em_state old;
	char grub[PATH_MAX], bak[PATH_MAX + 16], spath[PATH_MAX + 16];
	char *content, *out = NULL, *param, *oldparam = NULL, *orig_line, *new_line, fnv[24];
	const char *add[VPMEM_E820_MAX_RES + 1], *rem[VPMEM_E820_MAX_RES + 1] = { NULL };
	struct stat st;
	size_t clen;
	bool have_state;
	int r = do_plan(a, &p);

	if (r)
		return r;
	r = read_grub(a, grub, sizeof(grub), &content, &clen, &st);
	if (r)
		return r;
	have_state = state_read(grub, &old) == 0;
	param = strdup(p.param);
	if (have_state)
		oldparam = strdup(old.param);
	if (!param || (have_state && !oldparam)) {
		r = cmd_error(EXIT_FAIL, "out of memory");
		goto out;
	}
	tokens(param, add, sizeof(add) / sizeof(add[0]));
	if (have_state)
		tokens(oldparam, rem, sizeof(rem) / sizeof(rem[0]));
	if (vpmem_grub_edit(content, rem, add, &out, &err)) {
		r = cmd_error(EXIT_FAIL, "emulate: '%s' refused (left untouched): %s", grub, err.msg);
		goto out;
	}
	if (!a->quiet)
		fputs(p.reasoning, stdout);
	if (!strcmp(out, content)) {
		printf("'%s' already has %s: nothing changed\n", grub, p.param);
		goto out;
	}
	if (a->dry) {
		new_line = vpmem_grub_line_text(out);
		printf("would set in '%s': %s\n", grub, new_line ? new_line : "");
		free(new_line);
		goto out;
	}
	/* the backup is the file as it was before vpmem's first edit: written
	 * now unless a record says vpmem wrote it already (a stale FILE.vpmem.bak
	 * from elsewhere is replaced, never announced as ours, D10) */
	snprintf(bak, sizeof(bak), "%s.vpmem.bak", grub);
	if (have_state && old.backup_fnv[0]) {
		snprintf(fnv, sizeof(fnv), "%s", old.backup_fnv);
	} else {
		snprintf(fnv, sizeof(fnv), "%016" PRIx64, fnv1a(content, clen));
		r = write_atomic(bak, content, clen, st.st_mode & 07777);
		if (r)
			goto out;
	}
	orig_line = have_state ? strdup(old.original_line) : vpmem_grub_line_text(content);
	new_line = vpmem_grub_line_text(out);
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "param", json_object_new_string(p.param));
		json_object_object_add(o, "original_line", json_object_new_string(orig_line ? orig_line : ""));
		json_object_object_add(o, "had_line", json_object_new_boolean(have_state ? old.had_line
									      : orig_line && *orig_line));
		json_object_object_add(o, "applied_line", json_object_new_string(new_line ? new_line : ""));
		json_object_object_add(o, "backup_fnv", json_object_new_string(fnv));
		snprintf(spath, sizeof(spath), "%s.vpmem", grub);
		/* the record first: a crash between the two writes leaves a record
		 * that remove can use against the old, unchanged file */
		{
			const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);

			r = write_atomic(spath, js, strlen(js), 0644);
		}
		json_object_put(o);
	}
	free(orig_line);
	if (!r)
		r = write_atomic(grub, out, strlen(out), st.st_mode & 07777);
	if (!r)
		printf("'%s': GRUB_CMDLINE_LINUX now has %s (backup: %s)\n", grub, p.param, bak);
	free(new_line);
	if (!r)
		say_update(a, true);
	if (!r && a->update)
		r = run_update(a);
out:
	if (have_state)
		state_free(&old);
	free(param);
	free(oldparam);
	free(content);
	free(out);
	return r;
}

static int em_remove(const struct em_args *a)
{
	struct em_state s;
	struct vpmem_err err = { 0 };
	char grub[PATH_MAX], path[PATH_MAX + 16], *content, *out = NULL, *line;
	struct stat st;
	size_t clen;
	int r;

	r = read_grub(a, grub, sizeof(grub), &content, &clen, &st);
	if (r)
		return r;
	if (state_read(grub, &s)) {
		free(content);
		return cmd_error(EXIT_FAIL, "emulate: no vpmem reservation recorded for '%s' (nothing to remove)", grub);
	}
	line = vpmem_grub_line_text(content);
	if (line && !strcmp(line, s.applied_line)) {
		/* untouched since apply: put the original line back exactly */
		r = vpmem_grub_set_line(content, s.had_line ? s.original_line : "", &out, &err);
	} else {
		/* edited since: take out only our tokens */
		char *param = strdup(s.param);
		const char *rem[VPMEM_E820_MAX_RES + 1];

		r = param ? vpmem_grub_edit(content, tokens(param, rem, VPMEM_E820_MAX_RES + 1), NULL, &out, &err)
			  : -ENOMEM;
		free(param);
		if (!r)
			printf("note: '%s' changed since vpmem applied it; removing only %s\n", grub, s.param);
	}
	free(line);
	if (r) {
		r = cmd_error(EXIT_FAIL, "emulate: '%s' refused (left untouched): %s", grub, err.msg);
		goto out;
	}
	if (a->dry) {
		printf("would remove %s from '%s'\n", s.param, grub);
		goto out;
	}
	r = strcmp(out, content) ? write_atomic(grub, out, strlen(out), st.st_mode & 07777) : 0;
	if (r)
		goto out;
	snprintf(path, sizeof(path), "%s.vpmem", grub);
	unlink(path);
	/* only the backup vpmem wrote goes (its bytes as recorded, D10) */
	snprintf(path, sizeof(path), "%s.vpmem.bak", grub);
	{
		size_t blen;
		char *b = vpmem_read_input(path, 1 << 20, &blen, NULL, NULL), h[24];

		if (b) {
			snprintf(h, sizeof(h), "%016" PRIx64, fnv1a(b, blen));
			if (s.backup_fnv[0] && !strcmp(h, s.backup_fnv))
				unlink(path);
			else
				printf("note: '%s' is not the backup vpmem made: left in place\n", path);
			free(b);
		}
	}
	printf("'%s': removed %s\n", grub, s.param);
	say_update(a, true);
	if (a->update)
		r = run_update(a);
out:
	state_free(&s);
	free(content);
	free(out);
	return r;
}

/* ---- status ---- */

static char *sysattr(const char *root, const char *dir, const char *name, const char *attr)
{
	return vpmem_sysfs_get(root, "%s/%s/%s", dir, name, attr);
}

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
	const char *root = a->sysroot ? a->sysroot : "";
	struct vpmem_e820_res planned[16], found[16];
	unsigned np, nf = 0, matched = 0;
	char path[PATH_MAX], *cmdline, *iomem, grub[PATH_MAX], a1[32], a2[32];
	json_object *o = json_object_new_object(), *jr = json_object_new_array(), *jp = json_object_new_array();
	struct vpmem_e820_map *map = NULL;
	struct em_state s;
	struct dirent **ents = NULL;
	char *gparam = NULL;
	int n;

	snprintf(path, sizeof(path), "%s/proc/cmdline", root);
	cmdline = vpmem_read_file(path, 8192, NULL);
	np = cmdline ? vpmem_e820_cmdline_pram(cmdline, planned, 16) : 0;
	grub_path(a, grub, sizeof(grub));
	if (!state_read(grub, &s)) {
		json_object_object_add(o, "grub_param", json_object_new_string(s.param));
		gparam = s.param ? strdup(s.param) : NULL;
		json_object_object_add(o, "grub_pending", json_object_new_boolean(gparam && !on_cmdline(cmdline, gparam)));
		state_free(&s);
	}
	/* e820 type 12 as the running kernel has it: /proc/iomem (e820.c parses it) */
	snprintf(path, sizeof(path), "%s/proc/iomem", root);
	iomem = vpmem_read_file(path, 1 << 20, NULL);
	if (iomem && (map = calloc(1, sizeof(*map))) && !vpmem_e820_parse(iomem, false, map, NULL))
		for (unsigned i = 0; i < map->n && nf < 16; i++)
			if (map->r[i].type == VPMEM_E820_PRAM) {
				found[nf].start = map->r[i].start;
				found[nf].size = map->r[i].end - map->r[i].start + 1;
				nf++;
			}
	free(map);
	free(iomem);
	for (unsigned i = 0; i < np; i++) {
		json_object *x = json_object_new_object();
		bool ok = false;

		for (unsigned k = 0; k < nf; k++)
			ok |= found[k].start == planned[i].start && found[k].size == planned[i].size;
		matched += ok;
		json_object_object_add(x, "start", json_object_new_uint64(planned[i].start));
		json_object_object_add(x, "size", json_object_new_uint64(planned[i].size));
		json_object_object_add(x, "reserved", json_object_new_boolean(ok));
		json_object_array_add(jp, x);
	}
	json_object_object_add(o, "planned", jp);
	{
		json_object *jf = json_object_new_array();

		for (unsigned k = 0; k < nf; k++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "start", json_object_new_uint64(found[k].start));
			json_object_object_add(x, "size", json_object_new_uint64(found[k].size));
			json_object_array_add(jf, x);
		}
		json_object_object_add(o, "reserved", jf);
	}
	/* pmem regions from nd_e820 and their devices */
	snprintf(path, sizeof(path), "%s/sys/bus/nd/devices", root);
	n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (!strncmp(name, "region", 6)) {
			char *res = sysattr(root, "/sys/bus/nd/devices", name, "resource");
			char *size = sysattr(root, "/sys/bus/nd/devices", name, "size");
			json_object *x = json_object_new_object();
			char ns[64], blkdir[PATH_MAX];
			struct dirent **b = NULL;
			int nb;

			json_object_object_add(x, "dev", json_object_new_string(name));
			json_object_object_add(x, "start", json_object_new_uint64(res ? strtoull(res, NULL, 0) : 0));
			json_object_object_add(x, "size", json_object_new_uint64(size ? strtoull(size, NULL, 0) : 0));
			snprintf(ns, sizeof(ns), "namespace%s.0", name + 6);
			snprintf(blkdir, sizeof(blkdir), "%s/sys/bus/nd/devices/%s/block", root, ns);
			nb = scandir(blkdir, &b, NULL, alphasort);
			for (int k = 0; k < nb; k++) {
				if (b[k]->d_name[0] != '.')
					json_object_object_add(x, "blockdev", json_object_new_string(b[k]->d_name));
				free(b[k]);
			}
			free(b);
			json_object_array_add(jr, x);
			free(res);
			free(size);
		}
		free(ents[i]);
	}
	free(ents);
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
	free(cmdline);
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
