// SPDX-License-Identifier: MIT
/* vpmem guest build | path */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/guest.h>

#include "guest-build.h"
#include "options.h"
#include "vpmem.h"

const char usage_guest[] =
	"usage: vpmem guest build [--kernel-package NAME] [--force] [--quiet]\n"
	"       vpmem guest path [--json]\n"
	"\n"
	"The default guest: a Debian kernel package, busybox-static, ndctl/daxctl, mkfs\n"
	"tools and this vpmem binary in a small initramfs, cached under\n"
	"$XDG_CACHE_HOME/vpmem/guest (~/.cache/vpmem/guest) and rebuilt when any input\n"
	"changes (the kernel package, the host's tools, vpmem itself).\n"
	"\n"
	"  build                   build the guest if it is missing or out of date\n"
	"    --kernel-package NAME   Debian kernel package to use (default: the\n"
	"                            package linux-image-cloud-amd64 depends on)\n"
	"    --force                 rebuild even when up to date\n"
	"    --quiet                 only report errors\n"
	"  path                    print the guest's directory, kernel and initrd\n";

static int guest_path(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct vpmem_guest_files g;
	struct vpmem_err err = { 0 };
	bool json = ctx->json;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cmd_usage_error("guest", "path: unknown argument '%s'", argv[i]);
	}
	if (vpmem_guest_files(&g, true, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dir", json_object_new_string(g.dir));
		json_object_object_add(o, "kernel", json_object_new_string(g.kernel));
		json_object_object_add(o, "initrd", json_object_new_string(g.initrd));
		out_json(o);
	} else {
		printf("%s\n", g.dir);
	}
	return EXIT_OK;
}

static int guest_build_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel-package", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pkg = NULL;
	bool force = false, quiet = false;
	struct vpmem_err err = { 0 };
	int c;

	struct cmd_opts op = { .cmd = "guest", .sub = "build", .shortopts = "+", .longopts = opts };

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
	if (pkg && (!*pkg || strchr(pkg, '/') || pkg[0] == '-'))
		return cmd_usage_error("guest", "--kernel-package: invalid package name '%s'", pkg);
	if (guest_build(pkg, force, quiet, &err))
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
