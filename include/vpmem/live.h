/* SPDX-License-Identifier: MIT */
/*
 * This machine's NVDIMM regions and namespaces, through libndctl (the
 * library ndctl itself is built on): scan them in the shape the layout diff
 * reads (struct vpmem_ns_info), and carry out a layout plan with the
 * sequence `ndctl create-namespace` / `destroy-namespace` use
 * (ndctl/namespace.c setup_namespace, namespace_prep_reconfig,
 * zero_info_block): no sysfs file is written by hand. Then mkfs (the real
 * mkfs.ext4/mkfs.xfs, 4K blocks) and mount -o dax.
 *
 * Labelled regions (ND_DEVICE_NAMESPACE_PMEM) hold any number of named
 * namespaces; label-less and memmap= (e820) regions (ND_DEVICE_NAMESPACE_IO)
 * hold one, whose mode only can change.
 */
#ifndef VPMEM_LIVE_H
#define VPMEM_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/image.h>
#include <vpmem/layout.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_LIVE_MAX_REGIONS 32
#define VPMEM_LIVE_MAX_NS 64

struct vpmem_live_region {
	char dev[16];              /* "region0" */
	char provider[32];         /* bus provider: "ACPI.NFIT", "e820" (memmap=) */
	bool labelled;             /* holds named namespaces */
	bool dram;                 /* e820/memmap=: DRAM, lost at power-off */
	int numa_node;
	uint64_t size;
	unsigned ndimms;
	char dimm[8][16];          /* "nmem0" */
	unsigned nns;
	struct vpmem_ns_info ns[VPMEM_LIVE_MAX_NS];
	char nsdev[VPMEM_LIVE_MAX_NS][24];   /* "namespace0.1" */
	char blockdev[VPMEM_LIVE_MAX_NS][24];/* "pmem0.1", "pmem0.1s", "" (devdax) */
	char chardev[VPMEM_LIVE_MAX_NS][24]; /* "dax0.1" (devdax) */
	enum vpmem_fs fs[VPMEM_LIVE_MAX_NS];
};

struct vpmem_live {
	unsigned nregions;
	struct vpmem_live_region region[VPMEM_LIVE_MAX_REGIONS];
};

/* A struct vpmem_live (~940 KB), zeroed; NULL when out of memory. Free with
 * vpmem_live_free (NULL is fine). */
struct vpmem_live *vpmem_live_new(void);
void vpmem_live_free(struct vpmem_live *lv);

/* Scan every pmem region and its namespaces (those with a size). */
int vpmem_live_scan(struct vpmem_live *lv, struct vpmem_err *err);
/*
 * The region a layout applies to: @name ("region1"), else the layout's
 * "region", "numa_node" or "dimm", else the only region. Index or -errno.
 */
int vpmem_live_select(const struct vpmem_live *lv, const char *name, const struct vpmem_layout *l,
		      struct vpmem_err *err);
/* Carry out the steps of @lp (from vpmem_layout_diff on @r) on the live region. */
int vpmem_live_apply(const struct vpmem_live_region *r, const struct vpmem_layout *l,
		     const struct vpmem_lplan *lp, struct vpmem_err *err);
/* Is @dev (e.g. "pmem0") mounted at @dir with dax? 1 yes, 0 no. */
int vpmem_live_mounted(const char *dev, const char *dir);
/* mkdir -p @dir and mount /dev/@dev there (-o dax), filesystem @fs. */
int vpmem_live_mount(const char *dev, const char *dir, enum vpmem_fs fs, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
