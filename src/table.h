/* SPDX-License-Identifier: MIT */
/*
 * Tables for every command that prints one (list, namespace create, map,
 * vm list), through libsmartcols as lsblk does: columns sized by display
 * width (a CJK character takes two cells, "…" one), control characters in a
 * cell escaped by the library (ESC prints as \x1b, never raw), long cells
 * truncated or wrapped to the terminal, and lsblk's options:
 *
 *   --output COLS    comma-separated column names; "+COLS" adds to the defaults
 *   --noheadings     no header line
 *   --raw            one space between cells, blanks and controls as \xNN
 *   --width N        lay out for N columns (default: the terminal's, none in a pipe)
 *
 * Usage:
 *
 *   static const struct table_col cols[] = { { "DEV", 0.1, SCOLS_FL_TREE, T_DEF }, ... };
 *   struct table *t;
 *   if (table_new(&t, "map", cols, n, &topts, 0))   // usage error already said
 *           return EXIT_USAGE;
 *   struct libscols_line *ln = table_row(t, NULL);
 *   table_set(t, ln, COL_DEV, "%s", name);            // ignored when not shown
 *   return table_print(t);                            // prints and frees
 *
 * Memory: table_new allocates, table_print (or table_free) frees; cells are
 * copied.
 */
#ifndef VPMEM_TABLE_H
#define VPMEM_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <libsmartcols.h>

/* Column flags of struct table_col (besides SCOLS_FL_* in .scols) */
enum {
	T_DEF = 1 << 0,   /* shown by default */
	T_VERB = 1 << 1,  /* shown with -v */
};

struct table_col {
	const char *name;     /* header and --output name (matched case-insensitively) */
	double whint;         /* libsmartcols width hint: < 1 a fraction of the terminal */
	int scols;            /* SCOLS_FL_TREE, _RIGHT, _TRUNC, _WRAP */
	int flags;            /* T_DEF, T_VERB */
	unsigned kinds;       /* caller's row kinds the column describes (0: all) */
};

struct table_opts {
	const char *output;   /* --output, NULL = defaults */
	bool noheadings, raw;
	unsigned width;       /* --width, 0 = terminal */
};

/* getopt_long values of the table options; add TABLE_LONGOPTS to a command's
 * option array and pass each option to table_opt(). */
enum { TABLE_O_OUTPUT = 0x7100, TABLE_O_NOHEAD, TABLE_O_RAW, TABLE_O_WIDTH };
#define TABLE_LONGOPTS                                                                                \
	{ "output", required_argument, NULL, TABLE_O_OUTPUT },                                       \
	{ "noheadings", no_argument, NULL, TABLE_O_NOHEAD }, { "raw", no_argument, NULL, TABLE_O_RAW }, \
	{ "width", required_argument, NULL, TABLE_O_WIDTH }

/* For the usage texts. */
#define TABLE_USAGE "[--output COLS] [--noheadings] [--raw] [--width N]"

/* Take option @c (value @arg) when it is a table option: 1 taken, 0 not
 * ours, -1 bad value (usage error said for @cmd). */
int table_opt(int c, const char *arg, struct table_opts *o, const char *cmd);

struct table;

/*
 * A table of the columns @o->output names (or the defaults: T_DEF columns,
 * plus T_VERB ones when @verbose, of the row kinds @kinds). 0, or EXIT_USAGE
 * after saying which column name is unknown, or EXIT_FAIL (out of memory).
 */
int table_new(struct table **t, const char *cmd, const struct table_col *cols, size_t ncols,
	      const struct table_opts *o, unsigned kinds, bool verbose);
/* A new row under @parent (NULL: top level); NULL when out of memory. */
struct libscols_line *table_row(struct table *t, struct libscols_line *parent);
/* Set cell @col (an index of the caller's cols[]) of @ln; no-op when the
 * column is not shown or @ln is NULL. */
void table_set(struct table *t, struct libscols_line *ln, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Whether column @col is shown (to skip computing it). */
bool table_shown(const struct table *t, size_t col);
/* Print to stdout and free. 0 or EXIT_FAIL after saying why. */
int table_print(struct table *t);
void table_free(struct table *t);

/* "…" in a UTF-8 locale, "..." otherwise. */
const char *table_ellipsis(void);

#endif
