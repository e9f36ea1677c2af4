// SPDX-License-Identifier: MIT
/* One option parser for every command; see options.h. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
