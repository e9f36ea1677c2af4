/* SPDX-License-Identifier: MIT */
/*
 * The layout applier for images: one call takes an image (open, or about to
 * be made) to a layout (layout.h), the way `vpmem apply --image` and
 * `vpmem image create --layout` do it.
 *
 * The call runs in stages: decode the image and probe its filesystems, diff
 * it against the layout, plan the writes (crash-safe: destroys, then
 * creates, each filesystem before the label that makes it reachable), write
 * them, and read the image back. Everything a command shows comes back in
 * one struct vpmem_lapply, kept from every stage that was reached, so the
 * caller renders the plan, the writes and the result after the call, and
 * knows from `reached` where a failure happened. Nothing is printed.
 *
 * A layout that is blocked (lp->nblocked) or already reached (no changes)
 * stops after the diff and is not an error: the caller says so.
 */
#ifndef VPMEM_LAYOUT_APPLY_H
#define VPMEM_LAYOUT_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/image.h>
#include <vpmem/layout.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The stages, in order; vpmem_lapply.reached is the last one entered. */
enum vpmem_lapply_stage {
	VPMEM_LAPPLY_NONE,      /* not started (e.g. the image could not be made) */
	VPMEM_LAPPLY_READ,      /* decoding the image and diffing it: nothing known yet */
	VPMEM_LAPPLY_PLAN,      /* the diff is known (before, fs, lp); planning its writes */
	VPMEM_LAPPLY_WRITE,     /* the writes are planned (wp); writing them */
	VPMEM_LAPPLY_READBACK,  /* written; reading the image back */
	VPMEM_LAPPLY_DONE,      /* read back into after */
};

struct vpmem_lapply_opts {
	bool force;             /* destroy and re-make what the layout no longer names or differs */
	bool dry;               /* plan the writes, write nothing (stops at WRITE) */
	/*
	 * The image has no name yet (vpmem_image_create_with's temporary file,
	 * an in-memory image): its writes get no barriers, since a crash leaves
	 * nothing at the final name and one fsync before the link suffices.
	 */
	bool unlinked;
	/* Tests: with @cut, perform only the first @cut_after writes (0 too),
	 * as if the process crashed there; the result says so (res->cut). */
	bool cut;
	size_t cut_after;
};

struct vpmem_lapply {
	enum vpmem_lapply_stage reached;
	struct vpmem_region_info *before; /* the region as found (from PLAN on) */
	enum vpmem_fs *fs;               /* what each of its namespaces holds (from PLAN on) */
	struct vpmem_lplan *lp;          /* the diff (from PLAN on) */
	struct vpmem_wplan wp;           /* the writes (from WRITE on; barriers as written) */
	bool cut;                        /* opts.cut stopped the writes short */
	struct vpmem_region_info *after; /* the region once written (DONE) */
	/*
	 * The image creators below: the applier's own outcome (0 or -errno,
	 * and why), apart from the creation's error, which is ECANCELED
	 * "the layout was not applied" when the layout failed or was blocked.
	 */
	int status;
	struct vpmem_err err;
};

/* A zeroed struct vpmem_lapply (its parts, allocated as the stages fill
 * them, are large: a plan alone is ~510 KB); NULL when out of memory. Free
 * with vpmem_lapply_free (NULL is fine). */
struct vpmem_lapply *vpmem_lapply_new(void);
void vpmem_lapply_free(struct vpmem_lapply *res);

/*
 * Take the image open on @fd (CXL: @h as vpmem_image_open filled it) to the
 * layout @l: decode and probe it (vpmem_region_read_fs), diff
 * (vpmem_layout_diff), then, unless blocked or nothing to do, plan the
 * writes (vpmem_layout_plan_image), and unless @o->dry write them
 * (vpmem_wplan_apply; a CXL image's label writes to its label file) and read
 * the image back. @res must be fresh (vpmem_lapply_new). 0, or -errno with
 * @err saying why and res->reached the stage that failed.
 */
int vpmem_layout_apply_image(int fd, const struct vpmem_image_hints *h, const struct vpmem_layout *l,
			     const struct vpmem_lapply_opts *o, struct vpmem_lapply *res, struct vpmem_err *err);

/*
 * `image create --layout --dry-run`: plan @l on the image @spec would make,
 * built in an anonymous memory file (sparse: only its label area takes
 * memory) with the index blocks vpmem_image_create_with writes, so the plan
 * and its writes are the ones the creation would do; nothing is made on
 * disk. As vpmem_layout_apply_image with o->dry and o->unlinked; a failure
 * to build the memory file leaves res->reached at NONE.
 */
int vpmem_layout_plan_new_image(const struct vpmem_image_spec *spec, const struct vpmem_layout *l,
				const struct vpmem_lapply_opts *o, struct vpmem_lapply *res, struct vpmem_err *err);

/*
 * `image create --layout`: vpmem_image_create_with(@path, @spec, @co) with
 * @l applied to the complete file before it is linked into place (no
 * barriers: it has no name yet). @l NULL: a plain creation. When the layout
 * fails, is blocked or is cut (tests), nothing appears at @path and the
 * call returns -ECANCELED; res->status and res->err say the layout's part.
 * @co->fill must be NULL (the layout is the fill).
 */
int vpmem_image_create_layout(const char *path, const struct vpmem_image_spec *spec,
			      const struct vpmem_image_create_opts *co, const struct vpmem_layout *l,
			      const struct vpmem_lapply_opts *o, struct vpmem_lapply *res, struct vpmem_err *err);
/*
 * The same for a CXL image pair (vpmem_cxl_image_create_with): the layout is
 * applied to the memory file before it is linked, its label file already in
 * place beside it, so its writes keep their barriers. On failure neither
 * file is left.
 */
int vpmem_cxl_image_create_layout(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial,
				  const struct vpmem_image_create_opts *co, const struct vpmem_layout *l,
				  const struct vpmem_lapply_opts *o, struct vpmem_lapply *res,
				  struct vpmem_err *err);
/*
 * `image create --cxl --layout --dry-run`: plan @l on the CXL pair
 * vpmem_cxl_image_create_layout would make, both files built in anonymous
 * memory (the memory file sparse, the label file with its fresh v1.2 index
 * blocks), the writes keeping their barriers as that creation's do. Nothing
 * is made on disk; a failure to build the memory files leaves res->reached
 * at NONE. The caller validates the sizes and serial first.
 */
int vpmem_cxl_layout_plan_new_image(uint64_t size, uint64_t lsa_size, uint64_t serial,
				    const struct vpmem_layout *l, const struct vpmem_lapply_opts *o,
				    struct vpmem_lapply *res, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
