// SPDX-License-Identifier: MIT
/* One option parser for every command; see options.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include <vpmem/size.h>

#include "options.h"
#include "vpmem.h"

/* The name an option was given by, for messages: --long or -s. */
static void opt_name(const struct cmd_opts *p, const char *given, char *buf, size_t len)
{
	if (given && !strncmp(given, "--", 2)) {
		/* the full name, also when an abbreviation was given (--sl for --slot) */
		for (const struct option *o = p->longopts; o && o->name; o++)
			if (optopt && o->val == optopt && !o->flag &&
			    !strncmp(o->name, given + 2, strcspn(given + 2, "="))) {
				snprintf(buf, len, "--%s", o->name);
				return;
			}
		snprintf(buf, len, "%.*s", (int)strcspn(given, "="), given);
	} else if (optopt) {
		snprintf(buf, len, "-%c", optopt);
	} else {
		snprintf(buf, len, "%s", given ? given : "?");
	}
}

/* "[SUB: ]PREFIX'NAME'SUFFIX" as a usage error of the command. */
static int usage(const struct cmd_opts *p, const char *prefix, const char *name, const char *suffix)
{
	if (p->sub)
		return cmd_usage_error(p->cmd, "%s: %s'%s'%s", p->sub, prefix, name, suffix);
	return cmd_usage_error(p->cmd, "%s'%s'%s", prefix, name, suffix);
}

int cmd_getopt(struct cmd_opts *p, int argc, char **argv)
{
	const char *s = p->shortopts ? p->shortopts : "";
	char spec[64], name[128];
	const char *given;
	int c;

	/* a leading ':' tells a missing value (':') from an unknown option ('?') */
	snprintf(spec, sizeof(spec), "%s:%s", *s == '+' ? "+" : "", *s == '+' ? s + 1 : s);
	if (!p->started) {
		optind = 0; /* full reset: each command parses its own argv */
		p->started = 1;
	}
	opterr = 0;
	c = getopt_long(argc, argv, spec, p->longopts, NULL);
	if (c != ':' && c != '?')
		return c;
	given = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
	opt_name(p, given, name, sizeof(name));
	if (c == ':')
		usage(p, "option ", name, " requires a value");
	else if (optopt && given && !strncmp(given, "--", 2) && strchr(given, '='))
		usage(p, "option ", name, " takes no value");
	else
		usage(p, "unknown option ", name, "");
	return '?';
}

int cmd_operands(const struct cmd_opts *p, int argc, char **argv, int min, int max,
		 const char *missing)
{
	int n = argc - optind;

	if (n < min) {
		if (p->sub)
			return cmd_usage_error(p->cmd, "%s: %s", p->sub, missing);
		return cmd_usage_error(p->cmd, "%s", missing);
	}
	if (max >= 0 && n > max) {
		return usage(p, "unexpected argument ", argv[optind + max], "");
	}
	return 0;
}

/* ---- option values (options.h) ---- */

int opt_size(const char *cmd, const char *opt, const char *arg, unsigned flags, uint64_t *out)
{
	struct vpmem_err err = { 0 };

	if (vpmem_size_parse(arg, flags, opt, out, &err))
		return cmd_error(EXIT_USAGE, "%s: %s", cmd, err.msg);
	return 0;
}

int opt_uuid(const char *cmd, const char *arg, uint8_t uuid[16])
{
	uuid_t u;

	if (uuid_parse(arg, u))
		return cmd_usage_error(cmd, "--uuid '%s' is not a UUID", arg);
	memcpy(uuid, u, 16);
	return 0;
}

int opt_ns_mode(const char *cmd, const char *arg, enum vpmem_ns_mode *mode)
{
	static const char *const names[] = { "raw", "sector", "fsdax", "devdax" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(arg, names[i])) {
			*mode = (enum vpmem_ns_mode)i;
			return 0;
		}
	return cmd_usage_error(cmd, "--mode '%s': use raw, sector, fsdax or devdax", arg);
}

int opt_sector_size(const char *cmd, const char *arg, uint32_t *size)
{
	if (strcmp(arg, "512") && strcmp(arg, "4096"))
		return cmd_usage_error(cmd, "--sector-size '%s': use 512 or 4096", arg);
	*size = (uint32_t)atoi(arg);
	return 0;
}

int opt_ns_map(const char *cmd, const char *arg, enum vpmem_ns_map *map)
{
	if (!strcmp(arg, "dev"))
		*map = VPMEM_MAP_DEV;
	else if (!strcmp(arg, "mem"))
		*map = VPMEM_MAP_MEM;
	else
		return cmd_usage_error(cmd, "--map '%s': use dev or mem", arg);
	return 0;
}

int opt_align(const char *cmd, const char *arg, uint32_t *align)
{
	uint64_t v;

	if (opt_size(cmd, "--align", arg, 0, &v))
		return EXIT_USAGE;
	if (v != 4096 && v != (2ULL << 20) && v != (1ULL << 30))
		return cmd_usage_error(cmd, "--align %s: use 4K, 2M or 1G", arg);
	*align = (uint32_t)v;
	return 0;
}

int opt_label_size(const char *cmd, const char *arg, struct vpmem_image_hints *h)
{
	if (opt_size(cmd, "--label-size", arg, VPMEM_SIZE_ALLOW_ZERO, &h->label_size))
		return EXIT_USAGE;
	h->label_size_set = true;
	return 0;
}

int opt_spa(const char *cmd, const char *arg, struct vpmem_image_hints *h)
{
	if (opt_size(cmd, "--spa", arg, 0, &h->spa_base))
		return EXIT_USAGE;
	if (h->spa_base % (2ULL << 20))
		return cmd_usage_error(cmd, "--spa must be 2M aligned");
	return 0;
}

int ns_shape_opt(const char *cmd, int c, const char *arg, const struct ns_shape *s)
{
	switch (c) {
	case 'm':
		if (opt_ns_mode(cmd, arg, s->mode))
			return EXIT_USAGE;
		*s->mode_set = true;
		return 0;
	case 's': return opt_size(cmd, "--size", arg, 0, s->size);
	case 'u':
		if (opt_uuid(cmd, arg, s->uuid))
			return EXIT_USAGE;
		*s->uuid_set = true;
		return 0;
	case 'l': return opt_sector_size(cmd, arg, s->sector_size);
	case 'M': return opt_ns_map(cmd, arg, s->map);
	case 'a': return opt_align(cmd, arg, s->align);
	case NSOPT_LABEL: return opt_label_size(cmd, arg, s->hints);
	case NSOPT_SLOT: return parse_slot_opt(cmd, arg, &s->hints->slot);
	case NSOPT_SPA: return opt_spa(cmd, arg, s->hints);
	default: return -1;
	}
}
