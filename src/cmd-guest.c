// SPDX-License-Identifier: MIT
/* vpmem guest build | path */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/guest.h>

#include "guest-build.h"
#include "options.h"
#include "vpmem.h"

const char usage_guest[] =
	"usage: vpmem guest build [--kernel-package 6.1|6.12|PACKAGE] [--force] [-q|--quiet]\n"
	"       vpmem guest path [--guest-kernel 6.1|6.12|PACKAGE] [--json]\n"
	"\n"
	"The default guest: a Debian kernel package, busybox-static, ndctl/daxctl/cxl,\n"
	"mkfs tools and this vpmem binary in a small initramfs, cached per kernel under\n"
	"$XDG_CACHE_HOME/vpmem/guest/KERNEL (~/.cache/vpmem/guest/6.1, .../6.12, ...)\n"
	"side by side, so switching kernels never rebuilds, and each rebuilt when any\n"
	"of its inputs changes (the kernel package, the host's tools, vpmem itself).\n"
	"Kernels: 6.1 is Debian 12's cloud kernel (linux-image-cloud-amd64, the\n"
	"default), 6.12 its 6.12 cloud kernel (linux-image-6.12-cloud-amd64); any\n"
	"other linux-image-* package from the archive works too. $VPMEM_GUEST_KERNEL\n"
	"sets the default for 'guest' and 'run'.\n"
	"\n"
	"  build                   build the guest if it is missing or out of date\n"
	"    --kernel-package K      kernel: 6.1, 6.12 or a Debian package name\n"
	"                            (also --guest-kernel K)\n"
	"    --force                 rebuild even when up to date\n"
	"    -q, --quiet             only report errors (no progress lines, apt quiet)\n"
	"  path                    print the guest's directory, kernel, initrd, the\n"
	"                          package it was built from and its kernel release,\n"
	"                          one 'key value' line each (--json: an object)\n"
	"    --guest-kernel K        which kernel's guest (also --kernel-package K)\n";

static int guest_path(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "guest-kernel", required_argument, NULL, 'k' },
		{ "kernel-package", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_opts op = { .cmd = "guest", .sub = "path", .longopts = opts };
	struct vpmem_guest_files g;
	struct vpmem_err err = { 0 };
	const char *kernel = NULL;
	char built[256];
	bool json = ctx->json;
	int c;

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 'k': kernel = optarg; break;
		case 'j': json = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 0, 0, NULL))
		return EXIT_USAGE;
	if (vpmem_guest_files(&g, kernel, false, &err)) {
		if (err.code == EINVAL)
			return cmd_usage_error("guest", "%s", err.msg);
		return cmd_lib_error(EXIT_FAIL, &err);
	}
	if (vpmem_guest_files(&g, kernel, true, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	vpmem_guest_built_package(g.dir, built, sizeof(built));
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(g.name));
		json_object_object_add(o, "dir", json_object_new_string(g.dir));
		json_object_object_add(o, "kernel", json_object_new_string(g.kernel));
		json_object_object_add(o, "initrd", json_object_new_string(g.initrd));
		json_object_object_add(o, "package", json_object_new_string(*built ? built : g.package));
		json_object_object_add(o, "release", json_object_new_string(g.version));
		out_json(o);
	} else {
		printf("dir     %s\nkernel  %s\ninitrd  %s\npackage %s\nrelease %s\n", g.dir, g.kernel, g.initrd,
		       *built ? built : g.package, *g.version ? g.version : "unknown");
	}
	return EXIT_OK;
}

static int guest_build_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel-package", required_argument, NULL, 'k' },
		{ "guest-kernel", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pkg = NULL;
	bool force = false, quiet = false;
	struct vpmem_guest_kernel k;
	struct vpmem_err err = { 0 };
	int c;

	struct cmd_opts op = { .cmd = "guest", .sub = "build", .shortopts = "+q", .longopts = opts };

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 'k': pkg = optarg; break;
		case 'f': force = true; break;
		case 'q': quiet = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 0, 0, NULL))
		return EXIT_USAGE;
	if (vpmem_guest_kernel_parse(pkg, &k, &err))
		return cmd_usage_error("guest", "%s", err.msg);
	if (guest_build(k.name, force, quiet, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	return EXIT_OK;
}

int cmd_guest(int argc, char **argv, struct vpmem_ctx *ctx)
{
	if (argc < 2)
		return cmd_usage_error("guest", "missing subcommand (build or path)");
	if (!strcmp(argv[1], "build"))
		return guest_build_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "path"))
		return guest_path(argc - 1, argv + 1, ctx);
	return cmd_usage_error("guest", "unknown subcommand '%s' (build or path)", argv[1]);
}
