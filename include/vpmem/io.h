/* SPDX-License-Identifier: MIT */
/*
 * The data path: the bytes a guest sees in a namespace, read and written
 * from the host.
 *
 *   raw     byte 0 of /dev/pmemN  = the namespace start
 *   fsdax   byte 0 of /dev/pmemN  = namespace start + start_pad + dataoff of
 *           the PFN info block (Linux drivers/nvdimm/pmem.c pmem_attach_disk:
 *           data_offset = pfn_sb->dataoff over the range that starts at
 *           res.start + start_pad, nvdimm_setup_pfn); size = what ndctl lists
 *   devdax  byte 0 of /dev/daxN.M = the same offset (drivers/dax/pmem.c)
 *   sector  sector k of /dev/pmemNs = external LBA k through the BTT (btt.h)
 *
 * All I/O is pread/pwrite on the caller's fd: no mapping, so a truncated
 * image gives an error, never SIGBUS; nothing here installs a signal handler.
 * A vpmem_ns_io may be used by several threads at once.
 *
 * Durability (doc/datapath.md): every write reaches the file in the kernel's
 * order, so a killed process leaves every sector old or new; after a host
 * power loss only what vpmem_ns_io_flush() (fdatasync) covered is certain.
 */
#ifndef VPMEM_IO_H
#define VPMEM_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/btt.h>
#include <vpmem/error.h>
#include <vpmem/image.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Pick one namespace of @ri: by @name (label name), @uuid (the label's
 * raw_uuid or the info block's uuid, as `ndctl list` shows them) or @dev
 * ("namespaceX.Y" as `vpmem list FILE` names it; Y is the index). Exactly
 * one selector is non-NULL. Returns the index or -ENOENT / -EINVAL (two
 * namespaces share the name).
 */
int vpmem_ns_select(const struct vpmem_region_info *ri, const char *name, const uint8_t *uuid,
		    const char *dev, struct vpmem_err *err);

struct vpmem_ns_io;

/* Open namespace @ns (from vpmem_region_read on @fd). The fd stays the
 * caller's: close it after vpmem_ns_io_close(). A sector namespace's BTT is
 * opened (and its flog recovered, unless @rdonly) here. */
int vpmem_ns_io_open(int fd, const struct vpmem_ns_info *ns, bool rdonly, struct vpmem_ns_io **out,
		     struct vpmem_err *err);
/*
 * The same for a namespace that is still a plan (vpmem_ns_plan_create,
 * layouts): @ns as it will be once the writes of @wp are done (raw, fsdax,
 * devdax; its info block is read through @wp). Writes, zeros and flushes
 * are appended to @wp (data copied; a flush is a barrier after the last
 * write) instead of reaching @fd, so they go out in the plan's crash-safe
 * order, are printed by --dry-run and cut by the crash tests like every
 * other planned write. Reads see the file with @wp laid over it.
 */
int vpmem_ns_io_open_plan(int fd, const struct vpmem_ns_info *ns, struct vpmem_wplan *wp, struct vpmem_ns_io **out,
			  struct vpmem_err *err);
void vpmem_ns_io_close(struct vpmem_ns_io *io);

uint64_t vpmem_ns_io_size(const struct vpmem_ns_io *io);
/* The namespace's sector: 512 (raw/fsdax), BTT sector size, 4096 devdax. */
uint32_t vpmem_ns_io_block_size(const struct vpmem_ns_io *io);
/* The BTT behind a sector namespace, else NULL. */
struct vpmem_btt *vpmem_ns_io_btt(struct vpmem_ns_io *io);

/* Byte ranges, any alignment (a partial BTT sector is read, merged and
 * written whole). -ERANGE past the end. */
int vpmem_ns_io_pread(struct vpmem_ns_io *io, void *buf, uint64_t len, uint64_t off, struct vpmem_err *err);
int vpmem_ns_io_pwrite(struct vpmem_ns_io *io, const void *buf, uint64_t len, uint64_t off,
		       struct vpmem_err *err);
/* Make a range read as zeros: punched holes (raw/fsdax/devdax; zeros
 * written where the file system cannot punch), Z-flagged BTT map entries
 * for whole sectors, zeros written for partial ones. */
int vpmem_ns_io_zero(struct vpmem_ns_io *io, uint64_t len, uint64_t off, struct vpmem_err *err);
/*
 * The extent at @off (at most @max bytes): *len bytes that all read as
 * zeros known without reading them (*zero: holes of the image for
 * raw/fsdax/devdax; trimmed or never-written sectors through the BTT), or
 * data. For a BTT the extent starts at the sector holding @off. Advisory
 * (NBD block status): a write racing with it may change the answer.
 */
int vpmem_ns_io_extent(struct vpmem_ns_io *io, uint64_t off, uint64_t max, uint64_t *len, bool *zero,
		       struct vpmem_err *err);
/* fdatasync the image. */
int vpmem_ns_io_flush(struct vpmem_ns_io *io, struct vpmem_err *err);

/* Progress of a long copy: called about every 32 MiB and at the end. */
typedef void (*vpmem_progress_fn)(uint64_t done, uint64_t total, void *arg);

struct vpmem_copy_stats {
	uint64_t bytes;        /* source bytes (import) / namespace bytes (export) */
	uint64_t data;         /* bytes written as data */
	uint64_t zero;         /* bytes made zero (holes, trimmed sectors) or skipped as holes */
};

/*
 * Import: afterwards the namespace reads exactly the bytes of @src, then
 * zeros to its end. Zero blocks of the source become holes / trimmed
 * sectors rather than skipped writes, so nothing old survives. A regular
 * file larger than the namespace is refused before anything is written
 * (-EFBIG); a stream (pipe) is checked as it is read. Holes of a sparse
 * source are found with SEEK_DATA and never read. Ends with a flush.
 */
int vpmem_ns_import(struct vpmem_ns_io *io, int src, vpmem_progress_fn fn, void *arg,
		    struct vpmem_copy_stats *st, struct vpmem_err *err);

/*
 * Export the whole namespace to @dst. A regular file gets runs of zeros as
 * holes (it is truncated to the namespace size first and fsynced at the
 * end); a pipe or device gets every byte.
 */
int vpmem_ns_export(struct vpmem_ns_io *io, int dst, vpmem_progress_fn fn, void *arg,
		    struct vpmem_copy_stats *st, struct vpmem_err *err);

/*
 * One namespace of an image, opened for `namespace import` / `export` in one
 * call: the image (@write: read-write, exclusively locked and refused while
 * another process maps it; else the same lock, or where that is refused for
 * being busy (@force) or not writable (EACCES, EROFS), read-only under a
 * shared lock, no lock at all with @force), a CXL image's FILE.lsa, the
 * region decoded, the namespace selected (vpmem_ns_select) and its data path
 * opened (read-only unless @write and not @dry). Opens nothing else: a
 * caller creates the other side of the copy after this succeeds. Messages
 * name the file ("'vm.img': no namespace named 'x'"); @busy says the image
 * was refused because another process maps it.
 */
struct vpmem_ns_open_req {
	const char *file;
	struct vpmem_image_hints hints;   /* label size, slot (slot -1: any) */
	bool write, force, dry;
	const char *name, *dev;           /* selectors: exactly one of these and uuid */
	const uint8_t *uuid;
};

struct vpmem_ns_handle {
	int fd;                           /* the image, -1 when closed */
	struct vpmem_image_hints hints;   /* as vpmem_image_open_lsa filled them */
	struct vpmem_region_info *ri;
	int index;                        /* into ri->ns */
	struct vpmem_ns_io *io;
	bool busy;
};

int vpmem_ns_handle_open(const struct vpmem_ns_open_req *req, struct vpmem_ns_handle *h,
			 struct vpmem_err *err);
/* Close what vpmem_ns_handle_open opened (also after it failed). */
void vpmem_ns_handle_close(struct vpmem_ns_handle *h);

#ifdef __cplusplus
}
#endif
#endif
