// SPDX-License-Identifier: MIT
/*
 * CXL images: a type-3 device's memory file FILE and its label storage area
 * FILE.lsa, opened and made as a pair (image.h, doc/cxl.md).
 *
 * What the guest kernel reads in them (Linux 6.1 and 6.12):
 * - FILE is the device's persistent capacity (QEMU 7.2 cxl-type3 memdev=):
 *   DPA 0 is byte 0 (no volatile partition). One 1-way region covers it all,
 *   so a namespace's label DPA is its offset in FILE (drivers/cxl/pmem.c
 *   cxl_pmem_region_probe: mapping start = the endpoint decoder's DPA).
 * - FILE.lsa is read through the mailbox (GET_LSA/SET_LSA, cxl_pmem_get/
 *   set_config_data) as the nvdimm's label area, with the same index blocks
 *   and EFI (v1.1/v1.2) labels as an NVDIMM's: these kernels never set
 *   ndd->cxl (drivers/nvdimm/dimm.c nvdimm_probe leaves it false; the CXL 2.0
 *   namespace/region label format is only used once a patch sets it), so
 *   drivers/nvdimm/label.c reads EFI labels here.
 * - The interleave-set cookie is fletcher64 over {DPA, serial}
 *   (vpmem_cxl_cookie), both cookie1 and cookie2; the type GUID zero
 *   (label.h vpmem_label_type).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vpmem/cxl.h>
#include <vpmem/image.h>
#include <vpmem/input.h>
#include <vpmem/size.h>

uint64_t vpmem_cxl_serial_of_cookie(uint64_t cookie)
{
	/* fletcher64 of the words {0, 0, sn_lo, sn_hi}: lo = sn_lo + sn_hi,
	 * hi = 2 sn_lo + sn_hi (mod 2^32), so sn_lo = hi - lo, sn_hi = 2 lo - hi */
	uint32_t lo = (uint32_t)cookie, hi = (uint32_t)(cookie >> 32);
	uint32_t sn_lo = hi - lo, sn_hi = 2 * lo - hi;

	return (uint64_t)sn_hi << 32 | sn_lo;
}

static char *lsa_path_of(const char *path)
{
	char *p = NULL;

	return asprintf(&p, "%s%s", path, VPMEM_CXL_LSA_SUFFIX) < 0 ? NULL : p;
}

bool vpmem_image_is_cxl(const char *path)
{
	char *l = lsa_path_of(path);
	struct stat st;
	bool r = l && !stat(l, &st);

	free(l);
	return r;
}

static int open_one(const char *path, bool write, const char *what, struct vpmem_err *err)
{
	return write ? vpmem_image_open_locked(path, err)
		     : vpmem_open_input(path, O_RDONLY, VPMEM_IN_REG, what, err);
}

int vpmem_image_open_lsa(const char *path, int fd, bool write, struct vpmem_image_hints *h,
			 struct vpmem_err *err)
{
	char *lp, xs[24], *end;
	struct stat st;
	ssize_t n;
	int lfd;

	h->cxl = false;
	h->lsa_fd = -1;
	if (!vpmem_image_is_cxl(path))
		return 0;
	if (h->label_size_set)
		return vpmem_err_set(err, EINVAL, "'%s' is a CXL image: its label area is '%s%s', not --label-size",
				     path, path, VPMEM_CXL_LSA_SUFFIX);
	if (fstat(fd, &st))
		return vpmem_err_set(err, errno, "cannot stat '%s': %s", path, strerror(errno));
	if (!(lp = lsa_path_of(path)))
		return vpmem_err_set(err, ENOMEM, "out of memory");
	lfd = open_one(lp, write, "label file", err);
	free(lp);
	if (lfd < 0)
		return lfd;
	h->cxl = true;
	h->lsa_fd = lfd;
	h->cxl_mem_size = (uint64_t)st.st_size;
	if (h->cxl_serial_set)
		return 0; /* --serial */
	n = fgetxattr(fd, VPMEM_CXL_SERIAL_XATTR, xs, sizeof(xs) - 1);
	if (n > 0) {
		xs[n] = '\0';
		errno = 0;
		h->cxl_serial = strtoull(xs, &end, 0);
		if (errno || end == xs || *end || !h->cxl_serial) {
			close(lfd);
			h->cxl = false;
			h->lsa_fd = -1;
			return vpmem_err_set(err, EINVAL, "'%s': xattr %s is '%.20s', not a serial number",
					     path, VPMEM_CXL_SERIAL_XATTR, xs);
		}
		h->cxl_serial_set = true;
	}
	return 0;
}

int vpmem_image_open(const char *path, bool write, struct vpmem_image_hints *h,
		     struct vpmem_err *err)
{
	int fd = open_one(path, write, "image", err), r;

	h->cxl = false;
	h->lsa_fd = -1;
	if (fd < 0)
		return fd;
	r = vpmem_image_open_lsa(path, fd, write, h, err);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

void vpmem_image_close(int fd, struct vpmem_image_hints *h)
{
	if (fd >= 0)
		close(fd);
	if (h && h->cxl && h->lsa_fd >= 0)
		close(h->lsa_fd);
	if (h)
		h->lsa_fd = -1;
}

void vpmem_wplan_route(struct vpmem_wplan *p, const struct vpmem_image_hints *h)
{
	if (!h || !h->cxl)
		return;
	p->lsa_fd = h->lsa_fd;
	p->lsa_base = h->cxl_mem_size;
}

/* The memory file, before it is linked into place: its serial, then the
 * caller's fill (which may open the label file beside it: it is in place). */
struct mem_fill {
	const char *path;
	uint64_t serial;
	const struct vpmem_image_create_opts *o;
};

static int mem_fill(int fd, void *arg, struct vpmem_err *err)
{
	const struct mem_fill *f = arg;
	char sn[24];

	snprintf(sn, sizeof(sn), "%#" PRIx64, f->serial);
	/* no xattrs here (old tmpfs): fine for the default serial, which is
	 * what an image without the xattr and without labels is taken for */
	if (fsetxattr(fd, VPMEM_CXL_SERIAL_XATTR, sn, strlen(sn), 0) &&
	    (errno != EOPNOTSUPP || f->serial != VPMEM_CXL_SERIAL_BASE))
		return vpmem_err_set(err, errno, "cannot record the serial on '%s' (xattr %s): %s", f->path,
				     VPMEM_CXL_SERIAL_XATTR, strerror(errno));
	return f->o && f->o->fill ? f->o->fill(fd, f->o->arg, err) : 0;
}

int vpmem_cxl_image_create_with(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial,
				const struct vpmem_image_create_opts *o, struct vpmem_err *err)
{
	/* two images of the one creator (image.h): the label file (its label
	 * area is the whole file), then the memory file; slot -1: no
	 * user.vpmem.slot, the serial is a CXL image's identity */
	struct vpmem_image_spec ls = { .size = lsa_size, .label_size = lsa_size, .version = VPMEM_LABEL_V1_2,
				       .slot = -1 };
	struct vpmem_image_spec ms = { .size = size, .slot = -1 };
	struct vpmem_image_create_opts lo = { 0 }, mo = { 0 };
	struct mem_fill mf = { .path = path, .serial = serial, .o = o };
	char a[32], *lp = lsa_path_of(path);
	int r;

	if (!lp)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	if (!size || size % VPMEM_CXL_ALIGN) {
		r = vpmem_err_set(err, EINVAL, "--size %s: a CXL memory file is a whole number of 256M (QEMU's CXL capacity unit)",
				  vpmem_size_str(size, a, sizeof(a)));
		goto out;
	}
	if (!serial) {
		r = vpmem_err_set(err, EINVAL, "--serial 0: Linux refuses a CXL pmem region on a device without a serial");
		goto out;
	}
	if ((r = vpmem_label_size_check(lsa_size, err)) || !lsa_size) {
		if (!r)
			r = vpmem_err_set(err, EINVAL, "a CXL image needs a label area (--label-size)");
		goto out;
	}
	if (!access(path, F_OK) || !access(lp, F_OK)) {
		r = vpmem_err_set(err, EEXIST, "'%s' exists (vpmem never overwrites an image)",
				  access(path, F_OK) ? lp : path);
		goto out;
	}
	if (o) {
		lo.mode = mo.mode = o->mode;
		lo.make_dirs = mo.make_dirs = o->make_dirs;
		lo.blank_labels = o->blank_labels;
	}
	mo.fill = mem_fill;
	mo.arg = &mf;
	/* the label file first: a FILE never exists without its FILE.lsa */
	r = vpmem_image_create_with(lp, &ls, &lo, err);
	if (!r && (r = vpmem_image_create_with(path, &ms, &mo, err)))
		unlink(lp);
out:
	free(lp);
	return r;
}

int vpmem_cxl_image_create(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial,
			   unsigned mode, struct vpmem_err *err)
{
	struct vpmem_image_create_opts o = { .mode = mode };

	return vpmem_cxl_image_create_with(path, size, lsa_size, serial, &o, err);
}

