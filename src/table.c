// SPDX-License-Identifier: MIT
/* Tables through libsmartcols (util-linux lsblk-cmd/lsblk.c shows the habits). */
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "table.h"
#include "vpmem.h"

#define TABLE_MAX_COLS 64

struct table {
	struct libscols_table *tb;
	const struct table_col *cols;
	size_t ncols;
	/* the libsmartcols column of each caller column, or -1 when not shown */
	int shown[TABLE_MAX_COLS];
};

/* A terminal that does not know its width (TIOCGWINSZ gives 0 columns). */
static bool tty_without_width(int fd)
{
	struct winsize ws = { 0 };

	return isatty(fd) && (ioctl(fd, TIOCGWINSZ, &ws) || ws.ws_col == 0);
}

int table_opt(int c, const char *arg, struct table_opts *o, const char *cmd)
{
	char *end;
	unsigned long w;

	switch (c) {
	case TABLE_O_OUTPUT: o->output = arg; return 1;
	case TABLE_O_NOHEAD: o->noheadings = true; return 1;
	case TABLE_O_RAW: o->raw = true; return 1;
	case TABLE_O_WIDTH:
		w = strtoul(arg, &end, 10);
		if (*end || end == arg || w < 10 || w > 100000) {
			cmd_usage_error(cmd, "--width '%s': use 10 to 100000 columns", arg);
			return -1;
		}
		o->width = (unsigned)w;
		return 1;
	default: return 0;
	}
}

static int find_col(const struct table_col *cols, size_t ncols, const char *name, size_t len)
{
	for (size_t i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len && !strncasecmp(cols[i].name, name, len))
			return (int)i;
	return -1;
}

/* Fill @order (indexes of cols[]) from a comma-separated list; usage error
 * on an unknown name. */
static int parse_output(const char *cmd, const char *list, const struct table_col *cols, size_t ncols,
			int *order, size_t *n)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		int k = find_col(cols, ncols, p, len);

		if (len && k < 0) {
			cmd_usage_error(cmd, "--output: unknown column '%.*s'", (int)len, p);
			return EXIT_USAGE;
		}
		if (len && *n < TABLE_MAX_COLS)
			order[(*n)++] = k;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int table_new(struct table **tp, const char *cmd, const struct table_col *cols, size_t ncols,
	      const struct table_opts *o, unsigned kinds, bool verbose)
{
	int order[TABLE_MAX_COLS];
	size_t n = 0;
	struct table *t;
	const char *out = o->output;

	*tp = NULL;
	if (ncols > TABLE_MAX_COLS)
		ncols = TABLE_MAX_COLS;
	/* cells are measured and escaped by the locale's character set (LANG):
	 * in a UTF-8 locale "é" is one cell wide and printed, in C it is \xc3\xa9 */
	setlocale(LC_CTYPE, "");
	if (!out || *out == '+') {
		for (size_t i = 0; i < ncols; i++)
			if ((cols[i].flags & T_DEF || (verbose && cols[i].flags & T_VERB)) &&
			    (!cols[i].kinds || cols[i].kinds & kinds))
				order[n++] = (int)i;
		if (out)
			out++;
	}
	if (out && parse_output(cmd, out, cols, ncols, order, &n))
		return EXIT_USAGE;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->tb = scols_new_table())) {
		free(t);
		return cmd_error(EXIT_FAIL, "out of memory");
	}
	t->cols = cols;
	t->ncols = ncols;
	for (size_t i = 0; i < TABLE_MAX_COLS; i++)
		t->shown[i] = -1;
	scols_table_enable_noheadings(t->tb, o->noheadings);
	scols_table_enable_raw(t->tb, o->raw);
	if (o->width) {
		scols_table_set_termforce(t->tb, SCOLS_TERMFORCE_ALWAYS);
		scols_table_set_termwidth(t->tb, o->width);
	} else if (!getenv("COLUMNS") && tty_without_width(STDOUT_FILENO)) {
		/* a serial console says 0 columns: libsmartcols would assume 80
		 * and wrap every row; print it whole, as to a pipe */
		scols_table_set_termforce(t->tb, SCOLS_TERMFORCE_NEVER);
	}
	for (size_t i = 0; i < n; i++) {
		const struct table_col *c = &cols[order[i]];
		int fl = c->scols;

		if (t->shown[order[i]] >= 0)
			continue; /* named twice */
		/* the tree only in the first column, and none in --raw, as lsblk
		 * (util-linux misc-utils/lsblk.c: -r clears LSBLK_TREE) */
		if (i || o->raw)
			fl &= ~SCOLS_FL_TREE;
		if (!scols_table_new_column(t->tb, c->name, c->whint, fl)) {
			table_free(t);
			return cmd_error(EXIT_FAIL, "out of memory");
		}
		t->shown[order[i]] = (int)scols_table_get_ncols(t->tb) - 1;
	}
	*tp = t;
	return 0;
}

struct libscols_line *table_row(struct table *t, struct libscols_line *parent)
{
	return scols_table_new_line(t->tb, parent);
}

bool table_shown(const struct table *t, size_t col)
{
	return col < TABLE_MAX_COLS && t->shown[col] >= 0;
}

void table_set(struct table *t, struct libscols_line *ln, size_t col, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	if (!ln || !table_shown(t, col))
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	/* the line owns the string from here */
	if (s && scols_line_refer_data(ln, (size_t)t->shown[col], s))
		free(s);
}

int table_print(struct table *t)
{
	int r = scols_print_table(t->tb);

	table_free(t);
	return r ? cmd_error(EXIT_FAIL, "cannot print the table") : 0;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	scols_unref_table(t->tb);
	free(t);
}

const char *table_ellipsis(void)
{
	setlocale(LC_CTYPE, "");
	return !strcmp(nl_langinfo(CODESET), "UTF-8") ? "…" : "...";
}
