// SPDX-License-Identifier: MIT
/* vpmem: the command table and dispatch (git.c / ndctl.c style). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/nfit.h>

#include "version.h"
#include "vpmem.h"

static const char usage_help[] =
	"usage: vpmem help [COMMAND]\n\nShow the help of vpmem or of one of its commands.\n";
static const char usage_version[] = "usage: vpmem version [--json]\n\nShow vpmem's version.\n";

static const struct vpmem_cmd commands[] = {
	{ "run", cmd_run, "boot a VM with persistent memory (QEMU vNVDIMMs or CXL, or libvirt)", usage_run },
	{ "vm", cmd_vm, "list, stop or remove the VMs run started", usage_vm },
	{ "image", cmd_image, "create vNVDIMM backing files", usage_image },
	{ "namespace", cmd_namespace, "create, destroy, import or export namespaces of an image, offline", usage_namespace },
	{ "check", cmd_check, "verify and repair labels, info blocks and BTTs of images, offline", usage_check },
	{ "apply", cmd_apply, "bring a region to a layout (JSON), in an image or live", usage_apply },
	{ "layout", cmd_layout, "print a region as a layout, or Nova's pmem_namespaces", usage_layout },
	{ "goal", cmd_goal, "plan and check ipmctl goals (Optane PMem regions)", usage_goal },
	{ "list", cmd_list, "show what a guest would see in images (ndctl list shape)", usage_list },
	{ "emulate", cmd_emulate, "emulate PMem with DRAM (memmap=, GRUB)", usage_emulate },
	{ "map", cmd_map, "map host backings to guest nmemN by identity", usage_map },
	{ "doctor", cmd_doctor, "tell whether PMem backings really persist", usage_doctor },
	{ "guest", cmd_guest, "build or locate the default guest", usage_guest },
	{ "cxl", cmd_cxl, "what a guest runs at boot for CXL persistent memory", usage_cxl },
	{ "help", cmd_help_cmd, "show help for a command", usage_help },
	{ "version", cmd_version, "show the version", usage_version },
};

static const char main_usage[] =
	"usage: vpmem [--json] [--version] [--help] COMMAND [ARGS]\n"
	"\n"
	"Give virtual machines persistent memory, end to end.\n"
	"\n"
	"Commands:\n";

const struct vpmem_cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void main_help(FILE *f)
{
	fputs(main_usage, f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nSee 'vpmem help COMMAND' for the options of one command.\n", f);
}

void cmd_help(const struct vpmem_cmd *cmd, FILE *f)
{
	fputs(cmd->usage, f);
}

int cmd_error(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vpmem: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cmd_lib_error(int status, const struct vpmem_err *err)
{
	return cmd_error(status, "%s", err->msg[0] ? err->msg : strerror(err->code ? err->code : EIO));
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vpmem: error: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'vpmem help %s')\n", cmd);
	return EXIT_USAGE;
}

void out_json(json_object *obj)
{
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	fputc('\n', stdout);
	json_object_put(obj);
}

int parse_slot_opt(const char *cmd, const char *arg, int *slot)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < 0 || v >= (long)VPMEM_NFIT_MAX_SLOTS)
		return cmd_usage_error(cmd, "--slot '%s': use 0 to %u", arg, VPMEM_NFIT_MAX_SLOTS - 1);
	*slot = (int)v;
	return 0;
}

int cmd_help_cmd(int argc, char **argv, struct vpmem_ctx *ctx)
{
	const struct vpmem_cmd *c;

	(void)ctx;
	if (argc < 2) {
		main_help(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return cmd_usage_error("help", "too many arguments");
	c = cmd_find(argv[1]);
	if (!c)
		return cmd_error(EXIT_USAGE, "help: unknown command '%s' (see 'vpmem --help')", argv[1]);
	cmd_help(c, stdout);
	return EXIT_OK;
}

int cmd_version(int argc, char **argv, struct vpmem_ctx *ctx)
{
	bool json = ctx->json;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cmd_usage_error("version", "unknown argument '%s'", argv[i]);
	}
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "version", json_object_new_string(VPMEM_VERSION));
		out_json(o);
	} else {
		printf("vpmem %s\n", VPMEM_VERSION);
	}
	return EXIT_OK;
}

/* Flush stdout and report a write error (full disk, closed pipe) as failure. */
static int finish(int status)
{
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "vpmem: error: cannot write output: %s\n", strerror(errno));
		return status ? status : EXIT_FAIL;
	}
	return status;
}

/* The tools vpmem runs (depmod, mkfs.*, e2fsck, xfs_repair, update-grub) are
 * where Debian installs them, /sbin and /usr/sbin, which are not on a normal
 * user's PATH: they are looked up there too, after the user's own PATH. */
static void path_with_sbin(void)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/sbin", "/sbin" };
	const char *path = getenv("PATH");
	char buf[8192];
	size_t n;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	n = (size_t)snprintf(buf, sizeof(buf), "%s", path);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && n < sizeof(buf); i++) {
		size_t dl = strlen(dirs[i]);
		bool have = false;

		for (const char *p = path; *p;) {
			size_t len = strcspn(p, ":");

			have |= len == dl && !strncmp(p, dirs[i], dl);
			p += len + (p[len] == ':');
		}
		if (!have)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ":%s", dirs[i]);
	}
	if (n < sizeof(buf))
		setenv("PATH", buf, 1);
}

int main(int argc, char **argv)
{
	struct vpmem_ctx ctx = { .json = false, .argv0 = argv[0] };
	const struct vpmem_cmd *c;
	int i;

	/* Blocks from 128K up are mapped on their own, and come as fresh zero
	 * pages that fault in only where they are touched: a label area
	 * (128K+) read from an image holds only its index blocks and in-use
	 * slots (lib/format/image.c lsa_at), and the large zeroed structs
	 * (layouts, plans, BTT layouts: 300K-900K) are mostly untouched. A
	 * fixed threshold also stops glibc from raising it after the first
	 * free, which would put the next label areas on the heap, where calloc
	 * clears (and faults in) all of them. Below 128K freed memory is kept
	 * for reuse (M_TRIM_THRESHOLD). perf stat -e page-faults of
	 * bench/layout.sh's create: 233 with the whole area read and a 256K
	 * threshold, 192 with glibc's defaults, 146 with this. */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	path_with_sbin();

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			ctx.json = true;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			char *v[] = { (char *)"version", NULL };

			return finish(cmd_version(1, v, &ctx));
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			main_help(stdout);
			return finish(EXIT_OK);
		} else {
			return cmd_error(EXIT_USAGE, "unknown option '%s' (see 'vpmem --help')", argv[i]);
		}
	}
	if (i == argc) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	c = cmd_find(argv[i]);
	if (!c)
		return cmd_error(EXIT_USAGE, "'%s' is not a vpmem command (see 'vpmem --help')", argv[i]);
	for (int j = i + 1; j < argc && strcmp(argv[j], "--"); j++) {
		if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
			cmd_help(c, stdout);
			return finish(EXIT_OK);
		}
	}
	return finish(c->fn(argc - i, argv + i, &ctx));
}
