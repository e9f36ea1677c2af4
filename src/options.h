/* SPDX-License-Identifier: MIT */
/*
 * Option parsing for every vpmem command: one getopt_long loop, one set of
 * messages (git style, one line, exit status 2):
 *
 *   vpmem: error: image: option '--slot' requires a value (see 'vpmem help image')
 *   vpmem: error: image: unknown option '--frob' (see 'vpmem help image')
 *   vpmem: error: image: option '--json' takes no value (see 'vpmem help image')
 *
 * Usage:
 *
 *   struct cmd_opts p = { .cmd = "image", .longopts = opts };
 *   while ((c = cmd_getopt(&p, argc, argv)) != -1)
 *           switch (c) {
 *           case 's': ...; break;
 *           default: return EXIT_USAGE;   // cmd_getopt has said why
 *           }
 *
 * argv[0] is the command's (or subcommand's) own name; parsing starts at
 * argv[1]. The operands follow at argv[optind].
 */
#ifndef VPMEM_CMD_OPTIONS_H
#define VPMEM_CMD_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <vpmem/image.h>

struct cmd_opts {
	const char *cmd;              /* command named in messages and 'vpmem help CMD' */
	const char *sub;              /* subcommand named after it ("build"), or NULL */
	const char *shortopts;        /* short options, "" or NULL for none; a leading '+'
				       * stops at the first operand */
	const struct option *longopts;
	int started;                  /* internal: set by the first cmd_getopt call */
};

/*
 * The next option, as getopt_long returns it; -1 after the last. On a missing
 * value, an unknown option or a value given to an option that takes none,
 * prints the usage error and returns '?'.
 */
int cmd_getopt(struct cmd_opts *p, int argc, char **argv);

/*
 * Operands: fewer than @min or more than @max (-1: any number) after the
 * options is a usage error: "unexpected argument 'x'" or @missing (e.g.
 * "needs one FILE"). Returns 0 or EXIT_USAGE after saying why.
 */
int cmd_operands(const struct cmd_opts *p, int argc, char **argv, int min, int max,
		 const char *missing);

/*
 * Option values more than one command takes, each checked in one place: 0,
 * or EXIT_USAGE after a usage error that names @cmd ("namespace",
 * "namespace reconfigure").
 */
/* A size (vpmem_size_parse: 16M, 1G, 0x...) given to option @opt. */
int opt_size(const char *cmd, const char *opt, const char *arg, unsigned flags, uint64_t *out);
/* --uuid: a UUID. */
int opt_uuid(const char *cmd, const char *arg, uint8_t uuid[16]);
/* --mode: raw, sector, fsdax or devdax. */
int opt_ns_mode(const char *cmd, const char *arg, enum vpmem_ns_mode *mode);
/* --sector-size: 512 or 4096. */
int opt_sector_size(const char *cmd, const char *arg, uint32_t *size);
/* --map: dev or mem. */
int opt_ns_map(const char *cmd, const char *arg, enum vpmem_ns_map *map);
/* --align: 4K, 2M or 1G. */
int opt_align(const char *cmd, const char *arg, uint32_t *align);
/* The image hints: --label-size (0 allowed), --spa (2M aligned). */
int opt_label_size(const char *cmd, const char *arg, struct vpmem_image_hints *h);
int opt_spa(const char *cmd, const char *arg, struct vpmem_image_hints *h);

/*
 * The options that shape a namespace, shared by namespace create/destroy and
 * namespace reconfigure, with ndctl create-namespace's letters (reconfigure
 * takes the long names only): add NSOPT_LONGOPTS to the option array and pass
 * each option to ns_shape_opt(), as TABLE_LONGOPTS and table_opt() (table.h).
 */
enum { NSOPT_LABEL = 0x7200, NSOPT_SLOT, NSOPT_SPA };
#define NSOPT_LONGOPTS                                                                                 \
	{ "mode", required_argument, NULL, 'm' }, { "size", required_argument, NULL, 's' },           \
	{ "uuid", required_argument, NULL, 'u' }, { "sector-size", required_argument, NULL, 'l' },    \
	{ "map", required_argument, NULL, 'M' }, { "align", required_argument, NULL, 'a' },           \
	{ "label-size", required_argument, NULL, NSOPT_LABEL },                                       \
	{ "slot", required_argument, NULL, NSOPT_SLOT }, { "spa", required_argument, NULL, NSOPT_SPA }

/* Where each value goes (the request types differ, the fields do not). */
struct ns_shape {
	enum vpmem_ns_mode *mode;
	bool *mode_set;
	uint64_t *size;
	uint8_t *uuid;
	bool *uuid_set;
	uint32_t *sector_size;
	enum vpmem_ns_map *map;
	uint32_t *align;
	struct vpmem_image_hints *hints;
};

/* @c, one of NSOPT_LONGOPTS: @arg parsed into @s, 0 or EXIT_USAGE after
 * saying why; any other option: -1. */
int ns_shape_opt(const char *cmd, int c, const char *arg, const struct ns_shape *s);

#endif
