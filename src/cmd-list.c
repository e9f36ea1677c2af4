// SPDX-License-Identifier: MIT
/* vpmem list: what a guest would see in vNVDIMM images, as ndctl list does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/input.h>
#include <vpmem/reconfigure.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "table.h"
#include "vpmem.h"

const char usage_list[] =
	"usage: vpmem list FILE... [-D] [-R] [-N] [-r REGION] [-d DIMM] [-n NAMESPACE]\n"
	"                  [-m MODE] [-u] [-v] [--json] [--label-size SIZE] [--slot N]\n"
	"                  " TABLE_USAGE "\n"
	"\n"
	"Decode vNVDIMM backing files (made by vpmem, by ndctl in a guest, or\n"
	"Kata-style) and show what a guest's ndctl would: FILEs are nmem0/region0,\n"
	"nmem1/region1, ... in the order given. Corrupt or foreign metadata is\n"
	"reported as \"problems\" naming the block and the check.\n"
	"\n"
	"As ndctl list: -D/--dimms, -R/--regions, -N/--namespaces choose what is\n"
	"listed; -r/--region, -d/--dimm (name, number or 'all'), -n/--namespace\n"
	"(namespaceX.Y or X.Y) and -m/--mode (raw, sector, fsdax, devdax) filter;\n"
	"a filter alone lists what it names (-r: regions, -d: DIMMs, else\n"
	"namespaces). --json prints ndctl's shapes then: one kind is an array\n"
	"(-u with one element: the object), several an object {\"dimms\", \"regions\"\n"
	"(with their \"namespaces\"), \"namespaces\"}; -u prints sizes as\n"
	"\"46.00 MiB (48.23 MB)\" and ids in hex; -v adds the namespaces and vpmem's\n"
	"label and layout details (dpa, label_slot, dataoff, ..., \"file\").\n"
	"Without -D/-R/-N or a filter, --json prints vpmem's own document: {\"dimms\",\n"
	"\"regions\"}, each region with its mappings, namespaces and \"file\".\n"
	"\n"
	"Text is a table as lsblk prints it: regions with their namespaces below\n"
	"(-D: under their DIMM). --output COLS picks columns (+COLS adds to the\n"
	"defaults), --noheadings, --raw, --width N.\n" LIST_COLUMNS_HELP
	"\n"
	"Hints: --label-size (an uninitialised label area; 0 = none), --slot (an\n"
	"unlabelled image's slot).\n";

enum { O_LABEL = 256, O_SLOT, O_JSON };

struct list_args {
	bool dimms, regions, namespaces, human, json, ndctl;
	int verbose;
	const char *region, *dimm, *ns, *mode;
	int mode_v; /* enum vpmem_ns_mode of -m, -1 none */
	struct table_opts t;
};

struct img {
	const char *file;
	unsigned idx; /* regionN / nmemN */
	struct vpmem_region_info *ri; /* &info once read, else NULL */
	struct vpmem_region_info info;
	char hint[512];     /* damaged or repairable: what to run (check_hint) */
	char pending[512];  /* a namespace conversion half done (reconfigure.h) */
};

/* ndctl util_nsmode(): the names -m takes, with ndctl's aliases. */
static int mode_of(const char *s)
{
	static const struct { const char *name; int mode; } m[] = {
		{ "raw", VPMEM_NS_RAW },    { "sector", VPMEM_NS_SECTOR }, { "safe", VPMEM_NS_SECTOR },
		{ "fsdax", VPMEM_NS_FSDAX }, { "memory", VPMEM_NS_FSDAX }, { "devdax", VPMEM_NS_DEVDAX },
		{ "dax", VPMEM_NS_DEVDAX },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcasecmp(s, m[i].name))
			return m[i].mode;
	return -1;
}

/* ndctl util_region_filter()/util_dimm_filter(): space-separated "all",
 * numbers or device names. */
static bool ident_match(const char *ident, const char *prefix, unsigned id)
{
	char name[64], *end;

	if (!ident)
		return true;
	snprintf(name, sizeof(name), "%s%u", prefix, id);
	for (const char *p = ident; *p;) {
		size_t len = strcspn(p, " ");
		unsigned long v = strtoul(p, &end, 0);

		if ((len == 3 && !strncmp(p, "all", 3)) || (len == strlen(name) && !strncmp(p, name, len)) ||
		    (len && end == p + len && v == id))
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* ndctl util_namespace_filter(): "all", "namespaceX.Y" or "X.Y". */
static bool ns_match(const char *ident, unsigned region, unsigned index)
{
	char a[64], b[64];

	if (!ident)
		return true;
	snprintf(a, sizeof(a), "namespace%u.%u", region, index);
	snprintf(b, sizeof(b), "%u.%u", region, index);
	for (const char *p = ident; *p;) {
		size_t len = strcspn(p, " ");

		if ((len == 3 && !strncmp(p, "all", 3)) || (len == strlen(a) && !strncmp(p, a, len)) ||
		    (len == strlen(b) && !strncmp(p, b, len)))
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

static bool ns_selected(const struct list_args *a, const struct img *im, const struct vpmem_ns_info *ns)
{
	return ns_match(a->ns, im->idx, ns->index) && (a->mode_v < 0 || (int)ns->mode == a->mode_v);
}

/* ndctl util_region_filter_by_namespace(): the region holds a namespace -n names */
static bool has_ns(const struct list_args *a, const struct img *im)
{
	if (!a->ns)
		return true;
	for (unsigned k = 0; k < im->ri->nns; k++)
		if (ns_match(a->ns, im->idx, im->ri->ns[k].index))
			return true;
	return false;
}

/* One image is one DIMM with one region: the filters of ndctl_filter_walk. */
static bool dimm_selected(const struct list_args *a, const struct img *im)
{
	return ident_match(a->dimm, "nmem", im->idx) && ident_match(a->region, "region", im->idx) && has_ns(a, im);
}

static bool region_selected(const struct list_args *a, const struct img *im)
{
	return dimm_selected(a, im);
}

static int parse(int argc, char **argv, struct list_args *a, struct vpmem_image_hints *h, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "dimms", no_argument, NULL, 'D' }, { "regions", no_argument, NULL, 'R' },
		{ "namespaces", no_argument, NULL, 'N' }, { "human", no_argument, NULL, 'u' },
		{ "region", required_argument, NULL, 'r' }, { "dimm", required_argument, NULL, 'd' },
		{ "namespace", required_argument, NULL, 'n' }, { "mode", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' }, { "json", no_argument, NULL, O_JSON },
		{ "label-size", required_argument, NULL, O_LABEL }, { "slot", required_argument, NULL, O_SLOT },
		TABLE_LONGOPTS, { NULL, 0, NULL, 0 },
	};
	struct cmd_opts op = { .cmd = "list", .shortopts = "DRNur:d:n:m:v", .longopts = opts };
	int c, t;

	a->json = ctx->json;
	a->mode_v = -1;
	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		if ((t = table_opt(c, optarg, &a->t, "list")))
			if (t < 0)
				return EXIT_USAGE;
		switch (t ? 0 : c) {
		case 0: break;
		case 'D': a->dimms = true; break;
		case 'R': a->regions = true; break;
		case 'N': a->namespaces = true; break;
		case 'u': a->human = true; break;
		case 'r': a->region = optarg; break;
		case 'd': a->dimm = optarg; break;
		case 'n': a->ns = optarg; break;
		case 'm':
			a->mode = optarg;
			a->mode_v = mode_of(optarg);
			if (a->mode_v < 0)
				return cmd_usage_error("list", "invalid mode '%s' (use raw, sector, fsdax or devdax)", optarg);
			break;
		case 'v': a->verbose++; break;
		case O_JSON: a->json = true; break;
		case O_LABEL:
			if (opt_label_size("list", optarg, h))
				return EXIT_USAGE;
			break;
		case O_SLOT:
			if (parse_slot_opt("list", optarg, &h->slot))
				return EXIT_USAGE;
			break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 1, -1, "needs at least one FILE"))
		return EXIT_USAGE;
	/* ndctl list.c cmd_list(): a filter alone lists what it names; -v adds
	 * the namespaces, -vv the DIMMs and regions; nothing chosen: namespaces */
	a->ndctl = a->dimms || a->regions || a->namespaces || a->region || a->dimm || a->ns || a->mode;
	if (!a->ndctl) {
		a->regions = a->namespaces = true; /* vpmem's own document and table */
		return 0;
	}
	if (!a->dimms && !a->regions && !a->namespaces) {
		a->regions = a->region != NULL;
		a->dimms = a->dimm != NULL;
	}
	if (a->verbose >= 2)
		a->dimms = a->regions = true;
	if (a->verbose >= 1)
		a->namespaces = true;
	if (!a->dimms && !a->regions && !a->namespaces)
		a->namespaces = true;
	return 0;
}

static unsigned json_flags(const struct list_args *a)
{
	return (a->verbose ? NSOUT_VERBOSE : 0) | (a->human ? NSOUT_HUMAN : 0) | NSOUT_NDCTL;
}

/* vpmem's own document: {dimms, regions}, regions with mappings, namespaces and file. */
static void print_document(const struct img *im, unsigned n, const struct list_args *a)
{
	json_object *o = json_object_new_object(), *dimms = json_object_new_array(), *regions = json_object_new_array();
	unsigned fl = (a->verbose ? NSOUT_VERBOSE : 0) | NSOUT_MAPPINGS | NSOUT_NAMESPACES;

	for (unsigned i = 0; i < n; i++) {
		char nmem[32];
		json_object *rg;

		if (!im[i].ri)
			continue;
		snprintf(nmem, sizeof(nmem), "nmem%u", im[i].idx);
		json_object_array_add(dimms, dimm_to_json(im[i].ri, nmem, im[i].file, fl));
		rg = region_to_json(im[i].ri, im[i].idx, nmem, fl);
		json_object_object_add(rg, "file", json_object_new_string(im[i].file));
		if (im[i].pending[0])
			json_object_object_add(rg, "pending", json_object_new_string(im[i].pending));
		if (im[i].hint[0])
			json_object_object_add(rg, "hint", json_object_new_string(im[i].hint));
		json_object_array_add(regions, rg);
	}
	json_object_object_add(o, "dimms", dimms);
	json_object_object_add(o, "regions", regions);
	out_json(o);
}

/* ndctl util_display_json_array(): -u and one element prints the element. */
static void print_array(json_object *arr, bool human)
{
	if (human && json_object_array_length(arr) == 1) {
		json_object *e = json_object_get(json_object_array_get_idx(arr, 0));

		json_object_put(arr);
		out_json(e);
	} else {
		out_json(arr);
	}
}

/* ndctl list's walk and list_display(), over the images. */
static void print_ndctl(const struct img *im, unsigned n, const struct list_args *a)
{
	json_object *jdimms = NULL, *jregions = NULL, *jns = NULL, *all_ns = NULL;
	unsigned fl = json_flags(a);

	for (unsigned i = 0; a->dimms && i < n; i++) {
		char nmem[32];

		if (!im[i].ri || !dimm_selected(a, &im[i]))
			continue;
		snprintf(nmem, sizeof(nmem), "nmem%u", im[i].idx);
		if (!jdimms)
			jdimms = json_object_new_array();
		json_object_array_add(jdimms, dimm_to_json(im[i].ri, nmem, im[i].file, fl));
	}
	for (unsigned i = 0; i < n; i++) {
		json_object *jr = NULL;
		char nmem[32];

		if (!im[i].ri || !region_selected(a, &im[i]))
			continue;
		snprintf(nmem, sizeof(nmem), "nmem%u", im[i].idx);
		if (a->regions) {
			/* a mapping names its DIMM: with -D only (ndctl region_to_json) */
			jr = region_to_json(im[i].ri, im[i].idx, nmem, fl | (a->dimms ? NSOUT_MAPPINGS : 0));
			if (!jregions)
				jregions = json_object_new_array();
			json_object_array_add(jregions, jr);
			/* a new region starts a new namespace array (ndctl filter_region):
			 * which one is left over decides the top-level shape below */
			jns = NULL;
		}
		for (unsigned k = 0; a->namespaces && k < im[i].ri->nns; k++) {
			const struct vpmem_ns_info *ns = &im[i].ri->ns[k];

			if (!ns->size || !ns_selected(a, &im[i], ns))
				continue;
			if (!jns) {
				jns = json_object_new_array();
				if (jr)
					json_object_object_add(jr, "namespaces", jns);
				else
					all_ns = jns;
			}
			json_object_array_add(jns, ns_to_json(ns, im[i].idx, fl));
		}
	}
	if (!!jdimms + !!jregions + !!jns > 1) {
		json_object *o = json_object_new_object();

		if (jdimms)
			json_object_object_add(o, "dimms", jdimms);
		if (jregions)
			json_object_object_add(o, "regions", jregions);
		if (jns && !jregions)
			json_object_object_add(o, "namespaces", all_ns);
		out_json(o);
	} else if (jdimms) {
		print_array(jdimms, a->human);
	} else if (jregions) {
		print_array(jregions, a->human);
	} else if (jns) {
		print_array(all_ns, a->human);
	}
}

/* "regionN: WHAT: text" after the table, the text escaped */
static void region_line(unsigned idx, const char *what, const char *text)
{
	printf("region%u: %s: ", idx, what);
	print_escaped(text);
	putchar('\n');
}

/* The table: DIMM rows (-D), regions below them (-R), namespaces below those (-N). */
static int print_table(const struct img *im, unsigned n, const struct list_args *a)
{
	unsigned kinds = (a->dimms ? LK_DIMM : 0) | (a->regions ? LK_REGION : 0) | (a->namespaces ? LK_NS : 0);
	unsigned rows = 0;
	struct table *t;
	int r = table_new(&t, "list", list_cols, LC_COUNT, &a->t, kinds, a->verbose > 0);

	if (r)
		return r;
	for (unsigned i = 0; i < n; i++) {
		struct libscols_line *top = NULL, *parent;
		char nmem[32];

		if (!im[i].ri || !region_selected(a, &im[i]))
			continue;
		if (a->dimms && dimm_selected(a, &im[i])) {
			snprintf(nmem, sizeof(nmem), "nmem%u", im[i].idx);
			top = table_row(t, NULL);
			list_row_dimm(t, top, im[i].ri, nmem, im[i].file);
			rows++;
		}
		parent = top;
		if (a->regions) {
			parent = table_row(t, top);
			list_row_region(t, parent, im[i].ri, im[i].idx, top ? NULL : im[i].file);
			rows++;
		}
		for (unsigned k = 0; a->namespaces && k < im[i].ri->nns; k++) {
			const struct vpmem_ns_info *ns = &im[i].ri->ns[k];

			if (!ns->size || !ns_selected(a, &im[i], ns))
				continue;
			list_row_ns(t, table_row(t, parent), ns, im[i].idx);
			rows++;
		}
	}
	if (!rows) {
		table_free(t);
		return 0;
	}
	r = table_print(t);
	/* what a cell cannot say, after the table */
	for (unsigned i = 0; i < n; i++) {
		if (!im[i].ri || !region_selected(a, &im[i]))
			continue;
		if (a->namespaces)
			list_print_notes(im[i].ri->ns, im[i].ri->nns, im[i].idx);
		if (im[i].ri->cxl)
			printf("region%u: CXL serial %#llx (%s)\n", im[i].idx, (unsigned long long)im[i].ri->cxl_serial,
			       im[i].ri->serial_source);
		for (unsigned k = 0; k < im[i].ri->nproblems; k++)
			region_line(im[i].idx, "problem", im[i].ri->problems[k]);
		if (im[i].pending[0])
			region_line(im[i].idx, "pending", im[i].pending);
		if (im[i].hint[0])
			region_line(im[i].idx, "hint", im[i].hint);
	}
	return r;
}

/* Decode @file into @im and, on the same open file, what vpmem check says of
 * it when damaged or repairable, in one line (check_hint; "" for a clean one). */
static int list_one(const char *file, const struct vpmem_image_hints *h, struct img *im, struct vpmem_err *err)
{
	struct vpmem_image_hints hf = *h;
	int fd = vpmem_image_open(file, false, &hf, err), r; /* CXL: FILE with FILE.lsa (image.h) */

	if (fd < 0)
		return fd;
	r = vpmem_region_read(fd, &hf, &im->info, err);
	if (r) {
		vpmem_err_prefix(err, "'%s'", file);
	} else {
		im->ri = &im->info;
		check_hint(fd, file, &hf, im->hint, sizeof(im->hint)); /* damaged: say what to run */
	}
	vpmem_image_close(fd, &hf);
	return r;
}

int cmd_list(int argc, char **argv, struct vpmem_ctx *ctx)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct list_args a = { 0 };
	struct vpmem_err err = { 0 };
	struct img *im;
	unsigned n;
	int r = parse(argc, argv, &a, &h, ctx), st = EXIT_OK;

	if (r)
		return r;
	n = (unsigned)(argc - optind);
	im = calloc(n, sizeof(*im));
	if (!im)
		return cmd_error(EXIT_FAIL, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *file = argv[optind + (int)i];

		im[i].file = file;
		im[i].idx = i;
		if (list_one(file, &h, &im[i], &err)) {
			st = cmd_error(EXIT_FAIL, "list: %s", err.msg);
			continue;
		}
		if (vpmem_reconf_busy(file, &err))
			snprintf(im[i].pending, sizeof(im[i].pending), "%s", err.msg);
	}
	if (a.json && !a.ndctl)
		print_document(im, n, &a);
	else if (a.json)
		print_ndctl(im, n, &a);
	else if ((r = print_table(im, n, &a)))
		st = r;
	for (unsigned i = 0; i < n; i++)
		if (im[i].ri)
			vpmem_region_free(im[i].ri);
	free(im);
	return st;
}
