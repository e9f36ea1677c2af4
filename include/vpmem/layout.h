/* SPDX-License-Identifier: MIT */
/*
 * Layouts: what namespaces a region should hold, declared in JSON
 * (doc/layout.md), and the plan that takes a region there.
 *
 *   {"namespaces": [
 *     {"name": "db",    "mode": "fsdax",  "size": "96M", "map": "dev", "filesystem": "ext4"},
 *     {"name": "cache", "mode": "devdax", "size": "64M", "align": "2M"},
 *     {"name": "log",   "mode": "sector", "size": "48M", "sector_size": 4096},
 *     {"name": "rest",  "mode": "raw"}]}
 *
 * Identity is the name (or, for an unnamed namespace, its label uuid). The
 * diff is pure: a layout and a list of namespaces (from an image or from the
 * live kernel) in, a list of steps out — keep, create, destroy (--force only),
 * re-make (--force only), make a filesystem — plus the reasons for anything
 * that blocks. Ambiguous namespaces (a name held twice, or no name at all)
 * are never touched. Appliers for images (below) and live regions (live.h)
 * execute the steps with the existing namespace planners.
 */
#ifndef VPMEM_LAYOUT_H
#define VPMEM_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <vpmem/error.h>
#include <vpmem/image.h>
#include <vpmem/namespace.h>

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many namespaces in a layout, and in a region a layout is diffed against. */
#define VPMEM_MAX_NAMESPACES 1024

enum vpmem_fs { VPMEM_FS_NONE, VPMEM_FS_EXT4, VPMEM_FS_XFS, VPMEM_FS_OTHER };

struct vpmem_layout_ns {
	char name[VPMEM_LABEL_NAME_LEN];  /* "" = unnamed */
	bool uuid_set;
	uint8_t uuid[16];          /* label uuid (raw_uuid), optional identity */
	enum vpmem_ns_mode mode;
	uint64_t size;             /* raw size as ndctl create-namespace --size; 0 = rest */
	enum vpmem_ns_map map;     /* fsdax/devdax; NONE = default (dev) */
	uint32_t align;            /* fsdax/devdax; 0 = default (2M) */
	uint32_t sector_size;      /* sector; 0 = default (4096) */
	enum vpmem_fs fs;          /* fsdax only */
	char mount[256];           /* live only: mount -o dax here */
};

struct vpmem_layout {
	/* region selection (live): all optional */
	char region[32];           /* "region1" */
	int numa_node;             /* -1 = any */
	char dimm[32];             /* "nmem0": the region that maps this DIMM */
	char nova_label[64];       /* Nova pmem_namespaces label ("" = from the size) */
	unsigned nns;
	struct vpmem_layout_ns *ns;  /* nns entries (owned; at most VPMEM_MAX_NAMESPACES) */
	unsigned ns_alloc;
};

/* A struct vpmem_layout, zeroed (no entries); NULL when out of memory. Free
 * with vpmem_layout_free (NULL is fine), which frees its entries. */
struct vpmem_layout *vpmem_layout_new(void);
void vpmem_layout_free(struct vpmem_layout *l);

/* Parse a layout (JSON text of @len bytes). Every unknown field is refused. */
int vpmem_layout_parse(const char *text, size_t len, struct vpmem_layout *l, struct vpmem_err *err);
/* Read and parse the file @path. */
int vpmem_layout_load(const char *path, struct vpmem_layout *l, struct vpmem_err *err);
/* The layout as JSON, in the schema vpmem_layout_parse reads (new reference). */
json_object *vpmem_layout_to_json(const struct vpmem_layout *l);
/* The layout a region holds now: one entry per namespace, sizes explicit.
 * @fs[i] is what namespace i holds (may be NULL). 0 or -ENOMEM. */
int vpmem_layout_from_region(const struct vpmem_ns_info *ns, unsigned nns, const enum vpmem_fs *fs,
			     struct vpmem_layout *l);
const char *vpmem_fs_name(enum vpmem_fs fs);
/* What filesystem starts in @buf (at least 64K of a block device's start). */
enum vpmem_fs vpmem_fs_probe(const uint8_t *buf, size_t len);

/* ---- the diff ---- */
enum vpmem_lstep_kind {
	VPMEM_LSTEP_KEEP,       /* matches */
	VPMEM_LSTEP_CREATE,     /* missing */
	VPMEM_LSTEP_REMAKE,     /* named, but differs: destroyed and created again (--force) */
	VPMEM_LSTEP_MKFS,       /* matches, filesystem missing or other (--force) */
	VPMEM_LSTEP_DESTROY,    /* not in the layout (--force) */
	VPMEM_LSTEP_EXTRA,      /* not in the layout, kept (no --force) */
	VPMEM_LSTEP_UNTOUCHED,  /* ambiguous identity: never touched */
	VPMEM_LSTEP_BLOCKED,    /* the layout cannot be reached without --force, or at all */
};

struct vpmem_lstep {
	enum vpmem_lstep_kind kind;
	int want;                  /* layout entry, -1 none */
	int have;                  /* region namespace (index into the list), -1 none */
	bool mkfs;                 /* create/remake/mkfs: make the layout's filesystem */
	char why[240];
};

struct vpmem_lplan {
	unsigned nsteps, nblocked, nchanges;
	struct vpmem_lstep *step;  /* nsteps steps (owned) */
	unsigned step_alloc;
};

/* A struct vpmem_lplan, zeroed (no steps); NULL when out of memory. Free with
 * vpmem_lplan_free (NULL is fine), which frees its steps. */
struct vpmem_lplan *vpmem_lplan_new(void);
void vpmem_lplan_free(struct vpmem_lplan *p);

/*
 * Diff @l against the @nns namespaces @ns of a region (@labelled: it can hold
 * named namespaces; else exactly one, spanning @region_size). @fs[i] is what
 * namespace i holds (NULL: unknown, never re-made). Steps come in the layout's
 * order, then the namespaces the layout does not name. Returns 0 (blocked
 * steps are counted in nblocked) or -EINVAL for a layout that cannot apply to
 * such a region at all (message in @err).
 */
int vpmem_layout_diff(const struct vpmem_layout *l, const struct vpmem_ns_info *ns, unsigned nns,
		      bool labelled, uint64_t region_size, const enum vpmem_fs *fs, bool force,
		      struct vpmem_lplan *p, struct vpmem_err *err);
/* "keep", "create", ...: for printing plans. */
const char *vpmem_lstep_name(enum vpmem_lstep_kind k);
/* One line for a step: "create  cache  devdax 64M align 2M". */
void vpmem_lstep_describe(const struct vpmem_lplan *p, unsigned i, const struct vpmem_layout *l,
			  const struct vpmem_ns_info *ns, char *buf, size_t len);
/* The request that creates layout entry @e (name, mode, size, map, align, sector size). */
void vpmem_layout_ns_req(const struct vpmem_layout_ns *e, struct vpmem_ns_req *req);

/* ---- offline: an image ---- */
/*
 * Turn @lp (from vpmem_layout_diff on @ri) into the ordered, crash-safe
 * writes @wp: destroys first (one index commit each), then creates (sized
 * ones in layout order, the one taking the rest last), each planned on the
 * state the previous steps leave (decoded through vpmem_region_read_after),
 * filesystems written into the data area before the label that makes it
 * reachable. @fd is the open image, @ri its region as read with @h (the
 * state before the first step: not read again). Nothing is written.
 */
int vpmem_layout_plan_image(int fd, const struct vpmem_image_hints *h, const struct vpmem_region_info *ri,
			    const struct vpmem_layout *l, const struct vpmem_lplan *lp,
			    struct vpmem_wplan *wp, struct vpmem_err *err);
/* What filesystem each namespace of @ri holds (reads the image on @fd). */
int vpmem_image_probe_fs(int fd, const struct vpmem_region_info *ri, enum vpmem_fs *fs,
			 struct vpmem_err *err);
/*
 * What `layout` and `apply --image` start from, in one call: decode the
 * image open on @fd (vpmem_region_read into @ri; the caller frees it with
 * vpmem_region_free) and probe each namespace's filesystem into *@fs, an
 * array of ri->nns + 1 entries the caller frees with free() (NULL on error).
 */
int vpmem_region_read_fs(int fd, const struct vpmem_image_hints *h, struct vpmem_region_info *ri,
			 enum vpmem_fs **fs, struct vpmem_err *err);

/*
 * Make filesystem @fs with the real mkfs (mkfs.ext4 -b 4096 / mkfs.xfs -b
 * size=4096, the block size DAX needs) on a temporary file of the size of
 * namespace @ns (raw or fsdax, as it will be once @wp's writes are done: it
 * may be a planned one), and import it through the data path
 * (vpmem_ns_io_open_plan + vpmem_ns_import, lib/format/io.c): its holes and
 * zero blocks become holes, its data blocks writes, appended to @wp and
 * ending with a barrier.
 */
int vpmem_fs_plan_image(int fd, enum vpmem_fs fs, const struct vpmem_ns_info *ns, struct vpmem_wplan *wp,
			struct vpmem_err *err);

/* ---- Nova ---- */
struct vpmem_nova {
	char *conf;                /* "[libvirt]\npmem_namespaces = 64GB:a|b,..." (malloc'ed) */
	char labels[16][64];       /* the labels, for the flavor example */
	unsigned nlabels;
	unsigned nwarn;
	char warn[8][240];
};
/*
 * The `pmem_namespaces` value for the named devdax namespaces of @l (Nova's
 * syntax, doc/source/admin/virtual-persistent-memory.rst: $LABEL:$NSNAME[|$NSNAME][,...]).
 * Refuses (-EINVAL, the reason in @err) what Nova cannot use: non-devdax,
 * unnamed, names holding '|', ',' or ':'. Unequal sizes under one label warn.
 */
int vpmem_layout_nova(const struct vpmem_layout *l, struct vpmem_nova *out, struct vpmem_err *err);
void vpmem_nova_free(struct vpmem_nova *n);

#ifdef __cplusplus
}
#endif
#endif
