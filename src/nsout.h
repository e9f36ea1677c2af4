/* SPDX-License-Identifier: MIT */
/* Rendering images and namespaces as ndctl does (shared by list, namespace, image):
 * JSON in ndctl's shapes (util/json.c, ndctl/json.c), text as a table (table.h). */
#ifndef VPMEM_NSOUT_H
#define VPMEM_NSOUT_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include <vpmem/image.h>

#include "table.h"

/* Flags of the JSON renderers (NSOUT_VERBOSE is 1: a bool "verbose" still works). */
enum {
	NSOUT_VERBOSE = 1 << 0,    /* vpmem's label and layout details */
	NSOUT_HUMAN = 1 << 1,      /* ndctl -u: sizes "46.00 MiB (48.23 MB)", hex "0x1" */
	NSOUT_MAPPINGS = 1 << 2,   /* region: "mappings" (ndctl: with -D) */
	NSOUT_NAMESPACES = 1 << 3, /* region: all its namespaces, "namespaces": [] when none */
	NSOUT_NDCTL = 1 << 4,      /* exactly ndctl's keys (no "file"; raw_uuid only with -v) */
};

/* ndctl's number renderers (util_json_object_size / _hex). */
json_object *json_size(uint64_t v, unsigned flags);
json_object *json_hex(uint64_t v, unsigned flags);

/* ndctl list -N shaped namespace object; @region = region number for dev names. */
json_object *ns_to_json(const struct vpmem_ns_info *ns, unsigned region, unsigned flags);
/* ndctl list -R shaped region object; @dimm = "nmemN" of its mapping. */
json_object *region_to_json(const struct vpmem_region_info *ri, unsigned region, const char *dimm,
			    unsigned flags);
/* ndctl list -D shaped DIMM object of the image's slot; @file kept unless NSOUT_NDCTL. */
json_object *dimm_to_json(const struct vpmem_region_info *ri, const char *dev, const char *file, unsigned flags);

/* ---- text ---- */
/* Row kinds of list_cols[] */
enum { LK_DIMM = 1, LK_REGION = 2, LK_NS = 4 };
enum {
	LC_DEV, LC_FILE, LC_ID, LC_SIZE, LC_LABELS, LC_MODE, LC_MAP, LC_SECTOR, LC_ALIGN, LC_DEVICE, LC_UUID,
	LC_NAME, LC_SLOT, LC_HANDLE, LC_ISET, LC_FREE, LC_EXTENT, LC_RAW_UUID, LC_DPA, LC_RAW_SIZE, LC_LSLOT,
	LC_CLAIM, LC_DATAOFF, LC_INFO, LC_COUNT
};
extern const struct table_col list_cols[LC_COUNT];
/* Help text naming the columns (usage of list and namespace). */
#define LIST_COLUMNS_HELP                                                                        \
	"Columns: DEV FILE ID SIZE LABELS MODE MAP SECTOR ALIGN DEVICE UUID NAME (default),\n"  \
	"SLOT HANDLE ISET FREE EXTENT RAW_UUID DPA RAW_SIZE LSLOT CLAIM DATAOFF INFO (-v).\n"

void list_row_dimm(struct table *t, struct libscols_line *ln, const struct vpmem_region_info *ri,
		   const char *dev, const char *file);
/* @file: shown on this row (NULL when a DIMM row above shows it) */
void list_row_region(struct table *t, struct libscols_line *ln, const struct vpmem_region_info *ri,
		     unsigned region, const char *file);
void list_row_ns(struct table *t, struct libscols_line *ln, const struct vpmem_ns_info *ns, unsigned region);
/* "namespaceR.I: note: ..." lines for the namespaces that have one. */
void list_print_notes(const struct vpmem_ns_info *ns, unsigned n, unsigned region);
/* @s with controls and backslash escaped (\x1b), on stdout. */
void print_escaped(const char *s);

/* @n namespaces as a table (@o NULL: default columns). 0 or an exit status already said. */
int ns_print_list(const struct vpmem_ns_info *ns, unsigned n, unsigned region, const struct table_opts *o);
/* One namespace as a table. */
void ns_print_text(const struct vpmem_ns_info *ns, unsigned region);
/* --dry-run: one line per planned write. */
void wplan_print(const struct vpmem_wplan *p, const char *path);
/* --dry-run --json: {"file", "dry_run": true, "writes": [{op, offset, length, what, fsync}]} */
json_object *wplan_to_json(const struct vpmem_wplan *p, const char *path);
/* Tests inject a crash after write N with VPMEM_TEST_CRASH_AFTER_WRITES=N:
 * N, else SIZE_MAX. test_crash ends the process as a crash would (exit 99,
 * or 1 when the writes before the cut failed: @r), running nothing more. */
size_t test_write_limit(void);
void test_crash(int r) __attribute__((noreturn));
/* A vpmem_progress_fn for a terminal: "@arg: DONE of TOTAL (N%)" on stderr,
 * one line rewritten in place. */
void show_progress(uint64_t done, uint64_t total, void *arg);

#endif
