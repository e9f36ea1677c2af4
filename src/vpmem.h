/* SPDX-License-Identifier: MIT */
/* The vpmem command: shared declarations of src/. */
#ifndef VPMEM_CMD_H
#define VPMEM_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include <vpmem/error.h>

/* Exit statuses: 0 ok, 1 failure, 2 usage error. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct vpmem_ctx {
	bool json;           /* --json: machine-readable output */
	const char *argv0;   /* path of this executable (for the guest build) */
};

struct vpmem_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct vpmem_ctx *ctx);
	const char *summary;  /* one line for `vpmem --help` */
	const char *usage;    /* full help text for `vpmem help CMD` */
};

/* "vpmem: error: <msg>" on stderr; returns @status. */
int cmd_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a library error. */
int cmd_lib_error(int status, const struct vpmem_err *err);
/* "vpmem: error: CMD: unknown option" style usage error, exit 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse a QEMU slot number (0-255) given to @cmd's --slot; usage error if bad. */
int parse_slot_opt(const char *cmd, const char *arg, int *slot);
/* CXL images (cmd-cxl.c): parse a device serial (--serial, non-zero); make
 * an image pair for `image create --cxl` (@lsa_size 0 = the default). */
int parse_cxl_serial(const char *arg, uint64_t *serial);
int image_create_cxl(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial, const char *layout,
		     bool nolabels, bool nvdimm_opts, bool dry, bool json);
/* Print the help text of @cmd to @f. */
void cmd_help(const struct vpmem_cmd *cmd, FILE *f);
const struct vpmem_cmd *cmd_find(const char *name);

/* Output: print @obj as pretty JSON on stdout and drop the reference. */
void out_json(json_object *obj);

/* Subcommands (src/cmd-*.c) */
int cmd_run(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_guest(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_doctor(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_image(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_namespace(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_namespace_reconfigure(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_check(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_list(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_emulate(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_map(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_apply(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_layout(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_goal(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_vm(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_help_cmd(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_version(int argc, char **argv, struct vpmem_ctx *ctx);
int cmd_cxl(int argc, char **argv, struct vpmem_ctx *ctx);

extern const char usage_run[], usage_guest[], usage_doctor[], usage_image[], usage_namespace[],
	usage_list[], usage_check[], usage_emulate[], usage_map[], usage_vm[], usage_apply[], usage_layout[],
	usage_goal[], usage_cxl[];

/* Layouts (cmd-apply.c, cmd-live.c) */
struct vpmem_layout;
struct vpmem_lplan;
struct vpmem_ns_info;
struct vpmem_image_hints;
/* cmd-check.c: when vpmem_check() finds the image open on @fd (named @path)
 * not ok, a one-line hint in @buf ("3 problems (first: ...); run 'vpmem check
 * PATH' ...") and the verdict; 0 (and @buf empty) when it is ok or cannot be
 * read. For list and run. */
int check_hint(int fd, const char *path, const struct vpmem_image_hints *h, char *buf, size_t len);
/* Print a layout plan, one step a line. */
void layout_print_plan(const struct vpmem_lplan *lp, const struct vpmem_layout *l,
		       const struct vpmem_ns_info *ns);
/* The same plan as JSON values: an array of steps ({"step", "name",
 * "layout": the entry as the layout file says it, "namespace": the region's
 * namespace in ndctl's shape, "mkfs", "reason", "description"}). */
json_object *layout_plan_to_json(const struct vpmem_lplan *lp, const struct vpmem_layout *l,
				 const struct vpmem_ns_info *ns, unsigned region);
/* apply --json, for an image or a live region: {@key: @name, "dry_run", the
 * keys of @where (taken), "plan", "blocked", "changes"}; the caller adds the
 * rest. */
json_object *apply_plan_json(const char *key, const char *name, bool dry, json_object *where,
			     const struct vpmem_lplan *lp, const struct vpmem_layout *l, const struct vpmem_ns_info *ns,
			     unsigned region);
struct vpmem_lapply;
struct vpmem_lapply_opts;
struct apply_opts {
	bool force, dry, json;
	/* --json: the object is returned here for the caller to print (NULL:
	 * printed by apply) */
	json_object **json_out;
};
/* Render the outcome (@r, @err) of the layout applier (vpmem_layout_apply_image
 * and the image creators of layout-apply.h) on the image named @path: the
 * plan (text, or JSON with @o->json), then its writes (@o->dry) or what the
 * image holds after; a test's cut ends the process (test_crash). 0 or an
 * exit status already reported. */
int apply_render(const char *path, const struct vpmem_layout *l, const struct apply_opts *o,
		 const struct vpmem_lapply *res, int r, const struct vpmem_err *err);
/* The applier's crash cut from VPMEM_TEST_CRASH_AFTER_WRITES (tests). */
void apply_cut_opts(struct vpmem_lapply_opts *lo);
/* image create (cmd-image.c, cmd-cxl.c): the new image, an NVDIMM one (@spec)
 * or a CXL pair */
struct vpmem_image_spec;
struct image_new {
	const struct vpmem_image_spec *spec;
	bool cxl;
	uint64_t size, lsa_size, serial;
};
/* Make @n with the layout @l applied (NULL: none; freed here), rendering the
 * layout's part as apply does. 0 or an exit status already reported. */
int image_create_cmd(const char *path, const struct image_new *n, struct vpmem_layout *l);
/* The layout half of image create --dry-run for @n (cmd-image.c): planned on
 * the new image in memory, rendered as apply does (under "layout" in @o with
 * @json). 0 or an exit status already reported. */
int image_dry_layout(const char *path, const struct image_new *n, const char *layout,
		     const struct vpmem_layout *l, bool json, json_object *o);
/* Load the layout file @path into a new *@out (vpmem_layout_free); 0 or an
 * exit status already reported ("@cmd: ..."). */
int layout_load_opt(const char *cmd, const char *path, struct vpmem_layout **out);
/* The same on this machine's regions (libndctl). */
int apply_layout_live(const struct vpmem_layout *l, const char *region, const struct apply_opts *o);
/* The live region's state as a layout (*@out); 0 or an exit status already reported. */
int layout_of_live(const char *region, struct vpmem_layout *out);

#endif
