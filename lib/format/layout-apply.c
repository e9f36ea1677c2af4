// SPDX-License-Identifier: MIT
/*
 * The layout applier for images (layout-apply.h): the stages of `apply
 * --image` in one call, on an open image, on the temporary file of a new
 * one, or on an in-memory image for a dry run. The planners it runs are
 * layout.c's (diff, writes) and image.c's (decoding, writing).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vpmem/layout-apply.h>

struct vpmem_lapply *vpmem_lapply_new(void)
{
	return calloc(1, sizeof(struct vpmem_lapply));
}

void vpmem_lapply_free(struct vpmem_lapply *res)
{
	if (!res)
		return;
	if (res->before)
		vpmem_region_free(res->before);
	if (res->after)
		vpmem_region_free(res->after);
	free(res->before);
	free(res->after);
	free(res->fs);
	vpmem_lplan_free(res->lp);
	vpmem_wplan_free(&res->wp);
	free(res);
}

int vpmem_layout_apply_image(int fd, const struct vpmem_image_hints *h, const struct vpmem_layout *l,
			     const struct vpmem_lapply_opts *o, struct vpmem_lapply *res, struct vpmem_err *err)
{
	size_t limit;
	int r;

	res->reached = VPMEM_LAPPLY_READ;
	res->before = calloc(1, sizeof(*res->before));
	res->lp = vpmem_lplan_new();
	if (!res->before || !res->lp)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	r = vpmem_region_read_fs(fd, h, res->before, &res->fs, err);
	if (!r)
		r = vpmem_layout_diff(l, res->before->ns, res->before->nns, res->before->labelled,
				      res->before->region_size, res->fs, o->force, res->lp, err);
	if (r)
		return r;
	res->reached = VPMEM_LAPPLY_PLAN;
	if (res->lp->nblocked || !res->lp->nchanges)
		return 0; /* the caller says why, or "nothing to do" */
	r = vpmem_layout_plan_image(fd, h, res->before, l, res->lp, &res->wp, err);
	if (r)
		return r;
	if (o->unlinked)
		vpmem_wplan_drop_barriers(&res->wp);
	res->reached = VPMEM_LAPPLY_WRITE;
	if (o->dry)
		return 0;
	vpmem_wplan_route(&res->wp, h); /* CXL: label writes to FILE.lsa */
	limit = o->cut && o->cut_after < res->wp.n ? o->cut_after : SIZE_MAX;
	r = vpmem_wplan_apply(fd, &res->wp, limit, NULL, err);
	if (limit != SIZE_MAX) {
		res->cut = true;
		return r;
	}
	if (r)
		return r;
	res->reached = VPMEM_LAPPLY_READBACK;
	res->after = calloc(1, sizeof(*res->after));
	if (!res->after)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	r = vpmem_region_read(fd, h, res->after, err);
	if (r)
		return r;
	res->reached = VPMEM_LAPPLY_DONE;
	return 0;
}

/* An anonymous file of @size bytes (sparse, a dry run's image), or -errno. */
static int memfile(const char *name, uint64_t size, struct vpmem_err *err)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return vpmem_err_set(err, errno, "%s", strerror(errno));
	if (ftruncate(fd, (off_t)size)) {
		int r = vpmem_err_set(err, errno, "%s", strerror(errno));

		close(fd);
		return r;
	}
	return fd;
}

/* The image @spec makes, in memory: sized (sparse), its fresh index blocks
 * written as vpmem_image_create_with writes them. The fd, or -errno. */
static int image_in_memory(const struct vpmem_image_spec *spec, const char *name, struct vpmem_err *err)
{
	int fd = memfile(name, spec->size, err), r;

	if (fd >= 0 && spec->label_size && (r = vpmem_image_write_init_labels(fd, spec, err))) {
		close(fd);
		return r;
	}
	return fd;
}

int vpmem_layout_plan_new_image(const struct vpmem_image_spec *spec, const struct vpmem_layout *l,
				const struct vpmem_lapply_opts *o, struct vpmem_lapply *res, struct vpmem_err *err)
{
	struct vpmem_image_hints h = { .label_size = spec->label_size, .label_size_set = true, .slot = spec->slot };
	struct vpmem_lapply_opts dry = *o;
	int fd = image_in_memory(spec, "vpmem-dry-run", err), r;

	if (fd < 0)
		return fd;
	dry.dry = dry.unlinked = true;
	r = vpmem_layout_apply_image(fd, &h, l, &dry, res, err);
	close(fd);
	return r;
}

int vpmem_cxl_layout_plan_new_image(uint64_t size, uint64_t lsa_size, uint64_t serial,
				    const struct vpmem_layout *l, const struct vpmem_lapply_opts *o,
				    struct vpmem_lapply *res, struct vpmem_err *err)
{
	/* the pair as vpmem_cxl_image_create_with makes it (its label file spec) */
	struct vpmem_image_spec ls = { .size = lsa_size, .label_size = lsa_size, .version = VPMEM_LABEL_V1_2,
				       .slot = -1 };
	struct vpmem_image_hints h = { .slot = -1, .cxl = true, .cxl_mem_size = size, .cxl_serial = serial,
				       .cxl_serial_set = true };
	struct vpmem_lapply_opts dry = *o;
	int fd, r;

	if ((fd = memfile("vpmem-dry-run", size, err)) < 0)
		return fd;
	if ((h.lsa_fd = image_in_memory(&ls, "vpmem-dry-run.lsa", err)) < 0) {
		close(fd);
		return h.lsa_fd;
	}
	/* the label file is in place when the layout is applied: barriers kept */
	dry.dry = true;
	dry.unlinked = false;
	r = vpmem_layout_apply_image(fd, &h, l, &dry, res, err);
	close(h.lsa_fd);
	close(fd);
	return r;
}

/* vpmem_image_create_opts.fill for the creators below */
struct layout_fill {
	const char *path;
	bool cxl;
	struct vpmem_image_hints h;
	const struct vpmem_layout *l;
	const struct vpmem_lapply_opts *o;
	struct vpmem_lapply *res;
};

static int fill_layout(int fd, void *arg, struct vpmem_err *err)
{
	struct layout_fill *f = arg;
	struct vpmem_lapply_opts o = *f->o;
	struct vpmem_image_hints h = f->h;
	int r;

	/* an NVDIMM image's temporary file has no name yet; a CXL memory
	 * file's label file is already in place, so its writes keep their
	 * barriers */
	o.unlinked = !f->cxl;
	o.dry = false;
	if (f->cxl) {
		r = vpmem_image_open_lsa(f->path, fd, true, &h, err);
		if (r)
			return r;
	}
	f->res->status = vpmem_layout_apply_image(fd, &h, f->l, &o, f->res, &f->res->err);
	if (f->cxl && h.lsa_fd >= 0)
		close(h.lsa_fd);
	if (f->res->status || f->res->cut || f->res->lp->nblocked)
		return vpmem_err_set(err, ECANCELED, "the layout was not applied");
	return 0;
}

int vpmem_image_create_layout(const char *path, const struct vpmem_image_spec *spec,
			      const struct vpmem_image_create_opts *co, const struct vpmem_layout *l,
			      const struct vpmem_lapply_opts *o, struct vpmem_lapply *res, struct vpmem_err *err)
{
	struct layout_fill f = { .path = path, .l = l, .o = o, .res = res,
				 .h = { .label_size = spec->label_size, .label_size_set = true, .slot = spec->slot } };
	struct vpmem_image_create_opts c = *co;

	if (l) {
		c.fill = fill_layout;
		c.arg = &f;
	}
	return vpmem_image_create_with(path, spec, &c, err);
}

int vpmem_cxl_image_create_layout(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial,
				  const struct vpmem_image_create_opts *co, const struct vpmem_layout *l,
				  const struct vpmem_lapply_opts *o, struct vpmem_lapply *res,
				  struct vpmem_err *err)
{
	struct layout_fill f = { .path = path, .cxl = true, .l = l, .o = o, .res = res,
				 .h = { .slot = -1, .cxl_serial = serial, .cxl_serial_set = true } };
	struct vpmem_image_create_opts c = *co;

	if (l) {
		c.fill = fill_layout;
		c.arg = &f;
	}
	return vpmem_cxl_image_create_with(path, size, lsa_size, serial, &c, err);
}
