/* SPDX-License-Identifier: MIT */
/*
 * Will a vNVDIMM backed by PATH keep the guest's writes across a host crash?
 *
 * QEMU docs/system/devices/nvdimm.rst ("NVDIMM Persistence"): only a DAX device
 * (/dev/daxX.Y) or a file on a DAX filesystem guarantees guest write
 * persistence, and for a file only with a host kernel that supports MAP_SYNC
 * and a backend with pmem=on and share=on. Everything else (page-cache files,
 * tmpfs, a fsdax /dev/pmemX used as a file, share=off, a directory mem-path)
 * is at best eventually durable. This module decides, for one path, with
 * every reason in plain words and the fix; it also reads the host's NVDIMM
 * view for `vpmem doctor` with no paths.
 */
#ifndef VPMEM_PERSIST_H
#define VPMEM_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vpmem_verdict {
	VPMEM_GUARANTEED = 0,
	VPMEM_NOT_GUARANTEED = 1,
	VPMEM_UNUSABLE = 2,
};

enum vpmem_backing_kind {
	VPMEM_KIND_MISSING, VPMEM_KIND_DIRECTORY, VPMEM_KIND_DEVDAX, VPMEM_KIND_BLOCK,
	VPMEM_KIND_CHAR, VPMEM_KIND_FILE, VPMEM_KIND_OTHER,
};

#define VPMEM_PERSIST_MAX_REASONS 8

struct vpmem_persist_reason {
	enum vpmem_verdict level;   /* what this reason alone makes of the verdict */
	char text[200];             /* why, in plain words */
	char fix[200];              /* what to do; may be empty */
};

struct vpmem_persist_report {
	enum vpmem_verdict verdict; /* the worst of the reasons; GUARANTEED if none */
	enum vpmem_backing_kind kind;
	char fstype[32];            /* "ext4", "tmpfs", "xfs" … (files, directories) */
	bool dax;                   /* DAX device, or file with DAX in effect */
	bool statx_dax;             /* STATX_ATTR_DAX reported (kernel >= 5.8) */
	bool statx_dax_known;       /* the kernel reports the attribute at all */
	bool mount_dax;             /* mounted with dax / dax=always */
	bool map_sync;              /* mmap(MAP_SHARED_VALIDATE|MAP_SYNC) succeeded */
	bool map_sync_tried;
	uint64_t size;              /* bytes (file size, device size) */
	uint64_t dax_align;         /* devdax alignment */
	uint64_t free_bytes;        /* free space of the filesystem */
	int host_node;              /* host NUMA node of the backing device, -1 unknown */
	unsigned nreasons;
	struct vpmem_persist_reason reasons[VPMEM_PERSIST_MAX_REASONS];
};

struct vpmem_persist_opts {
	bool share_off;             /* the backend would have share=off */
	bool pmem_off;              /* the backend would not have pmem=on */
	uint64_t want_size;         /* size the backend asks for (0 = any) */
	const char *sysroot;        /* read /sys and /proc under this root (NULL = /) */
};

/*
 * Decide for @path. Never modifies anything: the MAP_SYNC probe maps the
 * first page of an existing file read-only, shared, and unmaps it.
 * Returns 0 with @rep filled, or -errno for internal failures only: a missing
 * or unusable path is a verdict, not an error.
 */
int vpmem_persist_check(const char *path, const struct vpmem_persist_opts *opts,
			struct vpmem_persist_report *rep, struct vpmem_err *err);

/* The mount of @dev in /proc/self/mountinfo @text: its filesystem type into
 * @fstype (unchanged when not found) and whether it is mounted with dax. */
void vpmem_mountinfo_find(const char *text, dev_t dev, char *fstype, size_t len, bool *dax);
const char *vpmem_verdict_name(enum vpmem_verdict v);  /* "guaranteed" … */
const char *vpmem_backing_kind_name(enum vpmem_backing_kind k);

/* Host NUMA node of block device @major:@minor (its device/numa_node), -1 if unknown. */
int vpmem_host_node_of_blockdev(const char *sysroot, unsigned major, unsigned minor);

/* Does this kernel support MAP_SYNC on @path (a file on a DAX filesystem)? */
bool vpmem_map_sync_probe(const char *path);
/* The same for directory @dir (a DAX mount): with a 4 KiB temporary file
 * made in it and removed at once. Returns 0 with *@works set, or -errno when
 * no such file could be made (nothing probed). */
int vpmem_map_sync_probe_dir(const char *dir, bool *works);

#ifdef __cplusplus
}
#endif
#endif
