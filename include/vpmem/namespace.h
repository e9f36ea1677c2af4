/* SPDX-License-Identifier: MIT */
/*
 * Namespaces inside an image, planned offline: the allocation and the writes
 * `ndctl create-namespace` would make (Linux drivers/nvdimm/namespace_devs.c,
 * label.c; doc/formats.md 3-6). Planners only: each returns a struct vpmem_wplan
 * that the caller applies (vpmem_wplan_apply, image.h) or prints.
 */
#ifndef VPMEM_NAMESPACE_H
#define VPMEM_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/image.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Namespaces start and end on 16 MiB boundaries of the region: the kernel's
 * default region alignment (drivers/nvdimm/region_devs.c, memremap_compat_align
 * x PAGES_PER_SECTION on x86-64). A region smaller than this holds nothing. */
#define VPMEM_REGION_ALIGN (16ULL << 20)

struct vpmem_ns_req {
	enum vpmem_ns_mode mode;
	uint64_t size;              /* 0 = largest free extent */
	const char *name;
	bool uuid_set;
	uint8_t uuid[16];           /* label uuid (else random) */
	uint8_t dev_uuid[16];       /* info-block uuid (random; tests may fix it) */
	bool dev_uuid_set;
	uint32_t sector_size;       /* sector: 512/4096 (default 4096); raw/fsdax/devdax: 512 */
	enum vpmem_ns_map map;      /* fsdax/devdax (default dev) */
	uint32_t align;             /* fsdax/devdax (default 2M) */
	bool dpa_set;               /* place it at @dpa (labelled: the extent must be free) */
	uint64_t dpa;               /*   instead of first fit (namespace reconfigure) */
};
/* Plan a namespace in @ri; *@out describes it as a guest will list it. */
int vpmem_ns_plan_create(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
			 const struct vpmem_ns_req *req, struct vpmem_wplan *p,
			 struct vpmem_ns_info *out, struct vpmem_err *err);

/* Plans a change of the region @ri (decoded with hints @h) into @wp. */
typedef int (*vpmem_region_planner)(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
				    void *arg, struct vpmem_wplan *wp, struct vpmem_err *err);

/*
 * One change to an image, whole: open @path locked (vpmem_image_open:
 * refused while another process maps it; CXL: with FILE.lsa), decode its
 * region, plan with @plan(..., @arg, @wp, ...) and perform the first @limit
 * writes of the plan in the kernel's crash-safe order, each barrier fsynced
 * (vpmem_wplan_apply; SIZE_MAX: all, 0: none, a dry run; tests cut between).
 * @hints may be NULL. @wp (empty, the caller's) holds the plan after, to be
 * shown and freed (vpmem_wplan_free) by the caller. 0, or -errno with @err
 * naming @path.
 */
int vpmem_image_change(const char *path, const struct vpmem_image_hints *hints, vpmem_region_planner plan,
		       void *arg, size_t limit, struct vpmem_wplan *wp, struct vpmem_err *err);

/*
 * One call for `vpmem namespace create FILE`: open @path locked
 * (vpmem_image_open_locked: refused while another process maps it), decode
 * it, plan the namespace @req asks for (vpmem_ns_plan_create) and write it in
 * the kernel's crash-safe order, each barrier fsynced (vpmem_wplan_apply).
 * @hints may be NULL. *@out (may be NULL) describes the new namespace as a
 * guest will list it. 0, or -errno with @err naming @path; on failure the
 * image holds its old namespaces or, after a crash, the old set or the new.
 */
int vpmem_namespace_create(const char *path, const struct vpmem_image_hints *hints,
			   const struct vpmem_ns_req *req, struct vpmem_ns_info *out, struct vpmem_err *err);

enum vpmem_ns_match { VPMEM_MATCH_UUID, VPMEM_MATCH_NAME, VPMEM_MATCH_ALL };
/* Plan destroying matching namespaces; *@count = how many. */
int vpmem_ns_plan_destroy(const struct vpmem_region_info *ri, enum vpmem_ns_match how,
			  const uint8_t uuid[16], const char *name, struct vpmem_wplan *p,
			  unsigned *count, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
