/* SPDX-License-Identifier: MIT */
/* vpmem map for CXL type-3 devices, inside the library (cxlmap.c). */
#ifndef VPMEM_LIB_CXLMAP_H
#define VPMEM_LIB_CXLMAP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <vpmem/error.h>
#include <vpmem/hostmap.h>

/* The id a CXL device is joined on: its serial in decimal. */
void vpmem_cxl_guest_id(uint64_t serial, char *out, size_t len);
/* Add a -device cxl-type3 (id @devid, sn= @sn) with its backends' paths. */
int vpmem_cxl_host_add(struct vpmem_host *h, const char *devid, const char *mem_path, const char *lsa_path,
		       const char *sn, struct vpmem_err *err);
/* A CXL image attached with another serial than its labels carry: a problem in @h. */
void vpmem_cxl_host_check(struct vpmem_host *h, const struct vpmem_host_dev *d);
/* `cxl list -M` output (@arr: an array of memdev objects): add each memdev. */
int vpmem_cxl_guest_json(json_object *arr, struct vpmem_guest_view *g, struct vpmem_err *err);
/* Live /sys/bus/cxl (under @sysroot): add each memdev with its libnvdimm
 * region and namespaces; 0 when there is no CXL bus. */
int vpmem_cxl_guest_sysfs(const char *sysroot, struct vpmem_guest_view *g, struct vpmem_err *err);

#endif
