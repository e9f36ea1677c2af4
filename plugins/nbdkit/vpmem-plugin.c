// SPDX-License-Identifier: MIT
/*
 * nbdkit-vpmem-plugin: one namespace of a vNVDIMM backing file as an NBD
 * export, through libvpmem's data path (include/vpmem/io.h).
 *
 *   nbdkit [-r] nbdkit-vpmem-plugin.so file=IMAGE namespace=NAME|UUID|namespaceX.Y
 *
 * The bytes are the guest's: /dev/pmemN (raw, fsdax), /dev/daxN.M (devdax),
 * /dev/pmemNs (sector, through the BTT, as the kernel writes it). The image
 * is opened and locked once, before nbdkit forks, and kept for the server's
 * life: `vpmem namespace create/destroy/import` refuse it meanwhile, and the
 * plugin refuses an image that is locked or mapped (a running VM).
 * flush and FUA are fdatasync; trim and zero punch holes (raw/fsdax/devdax)
 * or trim BTT sectors; block status (extents) reports holes and trimmed or
 * never-written sectors as zeros, so clients skip them. nbdkit API v2,
 * parallel threads (the BTT has lanes), multi-conn (one file, one flush).
 */
#define NBDKIT_API_VERSION 2
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nbdkit-plugin.h>
#include <uuid/uuid.h>

#include <vpmem/image.h>
#include <vpmem/io.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static const char *image_path, *ns_sel;
static int image_fd = -1;
static struct vpmem_ns_io *nsio;
static uint32_t block;

static int vp_config(const char *key, const char *value)
{
	if (!strcmp(key, "file")) {
		image_path = value;
		return 0;
	}
	if (!strcmp(key, "namespace")) {
		ns_sel = value;
		return 0;
	}
	nbdkit_error("unknown parameter '%s'", key);
	return -1;
}

static int vp_config_complete(void)
{
	if (!image_path || !ns_sel) {
		nbdkit_error("file=IMAGE and namespace=NAME|UUID|namespaceX.Y are required");
		return -1;
	}
	return 0;
}

/* Open, lock and decode the image once, before nbdkit forks (the flock
 * belongs to the open file, which the server process keeps). */
static int vp_get_ready(void)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_err err = { 0 };
	uuid_t u;
	int k;

	if (!ri) {
		nbdkit_error("out of memory");
		return -1;
	}
	image_fd = vpmem_image_open_locked(image_path, &err);
	/* a CXL image: its labels from FILE.lsa (the data path writes FILE only) */
	if (image_fd < 0 || vpmem_image_open_lsa(image_path, image_fd, false, &h, &err) ||
	    vpmem_region_read(image_fd, &h, ri, &err)) {
		nbdkit_error("%s", err.msg);
		goto fail;
	}
	if (!strncmp(ns_sel, "namespace", 9))
		k = vpmem_ns_select(ri, NULL, NULL, ns_sel, &err);
	else if (!uuid_parse(ns_sel, u))
		k = vpmem_ns_select(ri, NULL, u, NULL, &err);
	else
		k = vpmem_ns_select(ri, ns_sel, NULL, NULL, &err);
	if (k < 0 || vpmem_ns_io_open(image_fd, &ri->ns[k], false, &nsio, &err)) {
		nbdkit_error("'%s': %s", image_path, err.msg);
		goto fail;
	}
	block = vpmem_ns_io_block_size(nsio);
	nbdkit_debug("vpmem: %s namespace%d: %s, %llu bytes, %u-byte blocks", image_path, k,
		     vpmem_ns_mode_name(ri->ns[k].mode), (unsigned long long)vpmem_ns_io_size(nsio), block);
	vpmem_region_free(ri);
	free(ri);
	return 0;
fail:
	vpmem_region_free(ri);
	free(ri);
	return -1;
}

static void vp_unload(void)
{
	vpmem_ns_io_close(nsio);
	if (image_fd >= 0)
		close(image_fd);
}

static void *vp_open(int readonly)
{
	(void)readonly;
	return nsio;   /* one namespace, shared by every connection */
}

static int64_t vp_get_size(void *h)
{
	return (int64_t)vpmem_ns_io_size(h);
}

static int vp_block_size(void *h, uint32_t *minimum, uint32_t *preferred, uint32_t *maximum)
{
	/* a BTT sector is the unit of atomicity: no partial sectors */
	*minimum = vpmem_ns_io_btt(h) ? block : 1;
	*preferred = block > 4096 ? block : 4096;
	*maximum = 0xffffffff;
	return 0;
}

static int fail(const struct vpmem_err *err)
{
	nbdkit_error("%s", err->msg);
	nbdkit_set_error(err->code ? err->code : EIO);
	return -1;
}

static int fua(void *h, uint32_t flags)
{
	struct vpmem_err err = { 0 };

	if ((flags & NBDKIT_FLAG_FUA) && vpmem_ns_io_flush(h, &err))
		return fail(&err);
	return 0;
}

static int vp_pread(void *h, void *buf, uint32_t count, uint64_t off, uint32_t flags)
{
	struct vpmem_err err = { 0 };

	(void)flags;
	return vpmem_ns_io_pread(h, buf, count, off, &err) ? fail(&err) : 0;
}

static int vp_pwrite(void *h, const void *buf, uint32_t count, uint64_t off, uint32_t flags)
{
	struct vpmem_err err = { 0 };

	if (vpmem_ns_io_pwrite(h, buf, count, off, &err))
		return fail(&err);
	return fua(h, flags);
}

static int vp_zero(void *h, uint32_t count, uint64_t off, uint32_t flags)
{
	struct vpmem_err err = { 0 };

	if (vpmem_ns_io_zero(h, count, off, &err))
		return fail(&err);
	return fua(h, flags);
}

static int vp_flush(void *h, uint32_t flags)
{
	struct vpmem_err err = { 0 };

	(void)flags;
	return vpmem_ns_io_flush(h, &err) ? fail(&err) : 0;
}

/* Block status: holes of the image and trimmed / never-written BTT sectors
 * read as zeros, so nbdcopy, qemu-img and friends skip them. */
static int vp_extents(void *h, uint32_t count, uint64_t off, uint32_t flags, struct nbdkit_extents *ext)
{
	struct vpmem_err err = { 0 };
	uint64_t end = off + count;

	while (off < end) {
		uint64_t len;
		bool zero;

		if (vpmem_ns_io_extent(h, off, end - off, &len, &zero, &err))
			return fail(&err);
		if (!len)
			break;
		if (nbdkit_add_extent(ext, off, len, zero ? NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO : 0))
			return -1;
		off += len;
		if (flags & NBDKIT_FLAG_REQ_ONE)
			break;
	}
	return 0;
}

static int vp_can_fua(void *h)
{
	(void)h;
	return NBDKIT_FUA_NATIVE;
}

static int vp_yes(void *h)
{
	(void)h;
	return 1;
}

static struct nbdkit_plugin plugin = {
	.name = "vpmem",
	.longname = "vpmem: a namespace of a vNVDIMM backing file",
	.description = "Serves one namespace (raw, fsdax, devdax, sector/BTT) of a vNVDIMM image",
	.version = "0.1",
	.config = vp_config,
	.config_complete = vp_config_complete,
	.config_help = "file=IMAGE                    vNVDIMM backing file\n"
		       "namespace=NAME|UUID|namespaceX.Y  which namespace",
	.magic_config_key = "file",
	.get_ready = vp_get_ready,
	.unload = vp_unload,
	.open = vp_open,
	.get_size = vp_get_size,
	.block_size = vp_block_size,
	.can_write = vp_yes,
	.can_flush = vp_yes,
	.can_trim = vp_yes,
	.can_zero = vp_yes,
	.can_fua = vp_can_fua,
	.can_multi_conn = vp_yes,   /* flush is fdatasync of the one file */
	.can_extents = vp_yes,
	.pread = vp_pread,
	.pwrite = vp_pwrite,
	.zero = vp_zero,
	.trim = vp_zero,
	.extents = vp_extents,
	.flush = vp_flush,
	.errno_is_preserved = 0,
};

NBDKIT_REGISTER_PLUGIN(plugin)
