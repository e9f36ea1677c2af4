/* SPDX-License-Identifier: MIT */
/*
 * vNVDIMM backing files ("images") and what a guest sees in them.
 *
 * An image is a file of `size` bytes whose last `label_size` bytes are the
 * label area (QEMU hw/mem/nvdimm.c); the guest's region is
 * [0, ALIGN_DOWN(size - label_size, 4K)). A region is *labelled* when its label
 * area has a valid index block, else *label-less*: one namespace spanning the
 * region whose mode is whatever info block sits at its start (doc/formats.md 6).
 *
 * Every change is planned first as an ordered list of writes with fsync
 * barriers (struct vpmem_wplan), which `--dry-run` prints, tests truncate to
 * inject a crash after any write, and vpmem_wplan_apply() executes.
 */
#ifndef VPMEM_IMAGE_H
#define VPMEM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/label.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where QEMU puts the first vNVDIMM of a VM with less than 3 GiB of RAM: the
 * start of device memory, 4 GiB (hw/i386/pc.c pc_memory_init). Info blocks
 * depend on it (pfn start_pad); a hint may say otherwise. */
#define VPMEM_DEFAULT_SPA (4ULL << 30)

/* ---- planned writes ---- */
struct vpmem_write {
	uint64_t off, len;
	uint8_t *data;      /* NULL: make the range read as zeros (punch a hole) */
	bool sync;          /* fdatasync after this write: an ordering barrier */
	char what[96];      /* for --dry-run */
};

struct vpmem_wplan {
	struct vpmem_write *w;
	size_t n, alloc;
	/* a CXL image (lsa_base != 0): writes at or past lsa_base go to the label
	 * file lsa_fd at off - lsa_base (vpmem_wplan_route) */
	int lsa_fd;
	uint64_t lsa_base;
};

/* Append a write (copies @data unless NULL). 0 or -ENOMEM. */
int vpmem_wplan_add(struct vpmem_wplan *p, uint64_t off, const void *data, uint64_t len,
		    bool sync, const char *what);
/* The same, taking @data (malloc'ed, or NULL) instead of copying it: the plan
 * frees it, also when this fails. 0 or -ENOMEM. */
int vpmem_wplan_add_take(struct vpmem_wplan *p, uint64_t off, void *data, uint64_t len,
			 bool sync, const char *what);
/* Append every write of @src to @dst, in order, moving their data (no
 * copies); @src is left empty. 0, or -ENOMEM with both unchanged. */
int vpmem_wplan_move(struct vpmem_wplan *dst, struct vpmem_wplan *src);
void vpmem_wplan_free(struct vpmem_wplan *p);
/*
 * Execute the first @limit writes of @p on @fd (SIZE_MAX = all), in order,
 * with the barriers. *@written (may be NULL) gets the bytes of data written.
 * A write that would end past the end of its file is refused (-EINVAL) before
 * anything is written: images never grow.
 */
int vpmem_wplan_apply(int fd, const struct vpmem_wplan *p, size_t limit, uint64_t *written,
		      struct vpmem_err *err);
/*
 * Take the barriers out of @p (no write fsyncs): for a file that has no name
 * yet (vpmem_image_create_with's temporary, an in-memory image), where a
 * crash leaves nothing at the final name and the one fsync before the name
 * appears makes every write durable.
 */
void vpmem_wplan_drop_barriers(struct vpmem_wplan *p);

/* ---- reading an image ---- */
enum vpmem_ns_mode { VPMEM_NS_RAW, VPMEM_NS_SECTOR, VPMEM_NS_FSDAX, VPMEM_NS_DEVDAX };
enum vpmem_ns_map { VPMEM_MAP_NONE, VPMEM_MAP_MEM, VPMEM_MAP_DEV };

struct vpmem_ns_info {
	unsigned index;            /* namespaceR.<index>, DPA order */
	bool labelled;
	uint8_t raw_uuid[16];      /* label uuid (labelled only) */
	char name[VPMEM_LABEL_NAME_LEN];
	uint32_t label_slot;
	uint64_t lbasize;          /* label's lbasize */
	enum vpmem_claim claim;
	uint64_t dpa, rawsize;     /* where it is in the region, its size */
	enum vpmem_ns_mode mode;
	enum vpmem_ns_map map;
	bool has_uuid;
	uint8_t uuid[16];          /* info-block uuid (pfn/dax/btt) or label uuid (raw) */
	uint64_t size;             /* usable size as ndctl reports it */
	uint32_t sector_size;      /* raw/fsdax 512, sector: BTT external lbasize; 0 devdax */
	uint32_t align;            /* fsdax/devdax align */
	uint64_t dataoff;          /* fsdax/devdax */
	uint16_t info_major, info_minor;
	char note[200];            /* why it is not what its label asks (e.g. raw) */
};

struct vpmem_region_info {
	uint64_t size;             /* file size */
	uint64_t label_size;       /* label area found or hinted (0 = none) */
	bool label_size_detected;  /* found by its index blocks */
	uint64_t region_size;
	bool labelled;             /* valid index: namespaces come from labels */
	bool label_corrupt;        /* an index signature, but no index block is valid */
	struct vpmem_lsa lsa;      /* decoded label area (labelled) */
	int slot;                  /* QEMU slot the image belongs to, -1 unknown */
	char slot_source[16];      /* "labels", "xattr", "hint", "default" */
	uint64_t iset_id;          /* the region's set_cookie as the guest shows it */
	bool cxl;                  /* a CXL image: memory file + label file (cxl.h) */
	uint64_t cxl_serial;       /* CXL: the device serial (sn=) the cookies follow */
	char serial_source[16];    /* CXL: "labels", "xattr", "hint", "default" */
	unsigned nns;
	struct vpmem_ns_info *ns;  /* nns of them (owned): as many as the label area holds */
	uint64_t available_size, max_available_extent;
	unsigned nproblems;
	char problems[8][200];     /* corrupt or foreign metadata, precisely */
};

struct vpmem_image_hints {
	uint64_t label_size;       /* 0 = detect */
	bool label_size_set;       /* --label-size given (0 = no label area) */
	int slot;                  /* -1 = detect */
	uint64_t spa_base;         /* guest address of the region (0 = VPMEM_DEFAULT_SPA) */
	/*
	 * A CXL image (vpmem_image_open fills these): the memory file is the fd
	 * given, its label area the separate file @lsa_fd. Decoded as one image
	 * of mem_size + label-file bytes whose label area is the label file.
	 */
	bool cxl;
	int lsa_fd;
	uint64_t cxl_mem_size;
	uint64_t cxl_serial;       /* xattr or --serial; labels win */
	bool cxl_serial_set;       /* given (--serial or xattr), not defaulted */
};

/* Decode what a guest would see in the image open on @fd. */
int vpmem_region_read(int fd, const struct vpmem_image_hints *h, struct vpmem_region_info *ri,
		      struct vpmem_err *err);
void vpmem_region_free(struct vpmem_region_info *ri);
/* Decode the image as it will be once the writes @pending are applied
 * (nothing is written: a private view). NULL = vpmem_region_read. */
int vpmem_region_read_after(int fd, const struct vpmem_image_hints *h, const struct vpmem_wplan *pending,
			    struct vpmem_region_info *ri, struct vpmem_err *err);
/* Re-read from an in-memory image (fuzzing, tests): @buf is the whole file. */
int vpmem_region_read_buf(const uint8_t *buf, uint64_t size, const struct vpmem_image_hints *h,
			  struct vpmem_region_info *ri, struct vpmem_err *err);

const char *vpmem_ns_mode_name(enum vpmem_ns_mode m);

/*
 * One call for `vpmem list FILE`: open @path read-only (a regular file; a
 * FIFO, device or directory is refused), decode what a guest would see in it
 * into *@ri and close it. @hints may be NULL (detect everything). On success
 * the caller owns @ri's contents and frees them with vpmem_region_free();
 * on failure there is nothing to free and @err says why, naming @path.
 */
int vpmem_image_list(const char *path, const struct vpmem_image_hints *hints, struct vpmem_region_info *ri,
		     struct vpmem_err *err);

/* ---- planning changes ---- */
struct vpmem_image_spec {
	uint64_t size, label_size;  /* label_size 0 = no label area */
	enum vpmem_label_version version;
	int slot;
};
/* Index blocks of a fresh label area, as `ndctl init-labels` writes them. */
int vpmem_image_plan_init_labels(const struct vpmem_image_spec *r, struct vpmem_wplan *p,
				 struct vpmem_err *err);
/* Write those index blocks into @fd, a file that has no name yet (or lives
 * in memory): without barriers, since a crash leaves nothing to find. */
int vpmem_image_write_init_labels(int fd, const struct vpmem_image_spec *r, struct vpmem_err *err);

/*
 * Create the image @path as @spec says: a sparse file of spec->size bytes
 * (never fallocated: on tmpfs that would cost RAM), fresh index blocks when
 * spec->label_size is not 0, spec->slot remembered in the user.vpmem.slot
 * xattr (label-less images have no cookie to carry it), permissions @mode.
 * Made as a temporary file beside @path, synced, then linked into place: @path
 * never exists half made, and an existing @path is never replaced (-EEXIST).
 * The caller validates @spec first (vpmem_label_size_check, region size).
 */
int vpmem_image_create(const char *path, const struct vpmem_image_spec *spec, unsigned mode,
		       struct vpmem_err *err);

/* What vpmem_image_create_with() does beyond vpmem_image_create(). */
struct vpmem_image_create_opts {
	unsigned mode;          /* permission bits; 0 = 0644 */
	bool blank_labels;      /* leave the label area zeroed (no index blocks) */
	bool make_dirs;         /* create @path's missing parent directories */
	/*
	 * Called on the complete file (open read-write on @fd) before it is
	 * linked into place, e.g. to apply a layout; non-zero aborts the
	 * creation (returned as is) and nothing appears at @path. The file
	 * has no name until then, so its writes need no barriers (fsync):
	 * one fsync before the link makes everything durable.
	 */
	int (*fill)(int fd, void *arg, struct vpmem_err *err);
	void *arg;
};
/* The one image creator: vpmem_image_create(), `vpmem image create` (with
 * --layout as @o->fill) and the backings `vpmem run` makes all come here. */
int vpmem_image_create_with(const char *path, const struct vpmem_image_spec *spec,
			    const struct vpmem_image_create_opts *o, struct vpmem_err *err);

/*
 * CXL images (doc/cxl.md): the memory file FILE (the type-3 device's
 * persistent memory, memdev=) and its label storage area FILE.lsa (lsa=),
 * side by side. FILE's xattr user.vpmem.cxl.serial remembers the serial
 * (sn=) the image was made for; labels, once written, carry it in their
 * cookies. A FILE with a FILE.lsa beside it is a CXL image.
 */
#define VPMEM_CXL_LSA_SUFFIX ".lsa"
#define VPMEM_CXL_SERIAL_XATTR "user.vpmem.cxl.serial"

/* Whether @path is a CXL image (its FILE.lsa exists). */
bool vpmem_image_is_cxl(const char *path);

/*
 * Open an image for reading (@write false) or for a metadata change (@write:
 * locked and refused while mapped, as vpmem_image_open_locked), and for a CXL
 * image its label file the same way, filling @h's CXL fields (the caller's
 * other hints are kept). Returns the fd of the image (CXL: the memory file)
 * or -errno; vpmem_image_close() closes both.
 */
int vpmem_image_open(const char *path, bool write, struct vpmem_image_hints *h,
		     struct vpmem_err *err);
void vpmem_image_close(int fd, struct vpmem_image_hints *h);
/* The CXL half of vpmem_image_open for an image already open on @fd: when
 * @path is a CXL image, open its label file and fill @h (else leave @h
 * not CXL). 0 or -errno. */
int vpmem_image_open_lsa(const char *path, int fd, bool write, struct vpmem_image_hints *h,
			 struct vpmem_err *err);
/* Let @p's label-area writes reach a CXL image's label file (no-op otherwise). */
void vpmem_wplan_route(struct vpmem_wplan *p, const struct vpmem_image_hints *h);

/*
 * Create a CXL image: @path (@size bytes, a multiple of 256M, sparse) and
 * @path.lsa (@lsa_size bytes) with fresh v1.2 index blocks (what Linux 6.1
 * and 6.12 write on a CXL label area), @serial in the xattr. Both made beside
 * and linked into place; nothing existing is replaced (-EEXIST).
 */
int vpmem_cxl_image_create(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial,
			   unsigned mode, struct vpmem_err *err);
/*
 * The same through the one image creator (vpmem_image_create_with, once per
 * file): @o's mode, make_dirs and blank_labels apply to the pair; @o->fill
 * runs on the memory file before it is linked into place, its label file
 * already in place beside it (vpmem_image_open_lsa(path, fd, ...) opens it).
 * When the fill fails neither file is left.
 */
int vpmem_cxl_image_create_with(const char *path, uint64_t size, uint64_t lsa_size, uint64_t serial,
				const struct vpmem_image_create_opts *o, struct vpmem_err *err);

/*
 * Open @path read-write for a metadata change: take an exclusive flock (other
 * vpmem processes) and refuse when any other process has the file mapped (a
 * running QEMU maps its backings; /proc/PID/maps). Returns the fd or -errno.
 */
int vpmem_image_open_locked(const char *path, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
