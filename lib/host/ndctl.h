/* SPDX-License-Identifier: MIT */
/*
 * libndctl and libdaxctl, loaded on first use (dlopen), not linked: only the
 * live paths (live.c: apply/layout --live) need them, and linking them costs
 * every vpmem start the load of libkmod, libudev and libcrypto besides the two
 * libraries themselves (bench/README.md). Same pattern as util/xml.h.
 *
 * Include this after <ndctl/libndctl.h> and <daxctl/libdaxctl.h> (types and
 * prototypes only) in a file that calls these functions: each name below
 * becomes a call through the loaded table (vpmem_nd), so the code reads as
 * plain libndctl. Call vpmem_ndctl_load() before the first one. Internal to
 * libvpmem.
 */
#ifndef VPMEM_NDCTL_H
#define VPMEM_NDCTL_H

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include <vpmem/error.h>

/* Debian 12: libndctl6 and libdaxctl1 (pmem/ndctl, v71+ sonames) */
#define VPMEM_NDCTL_SONAME "libndctl.so.6"
#define VPMEM_DAXCTL_SONAME "libdaxctl.so.1"

/* every function the live paths call, by library (the _foreach macros of
 * the headers expand to the _get_first/_get_next pairs listed here) */
#define VPMEM_NDCTL_FUNCS(X) \
	X(ndctl_btt_enable) \
	X(ndctl_btt_get_block_device) \
	X(ndctl_btt_get_sector_size) \
	X(ndctl_btt_get_size) \
	X(ndctl_btt_get_uuid) \
	X(ndctl_btt_set_namespace) \
	X(ndctl_btt_set_sector_size) \
	X(ndctl_btt_set_uuid) \
	X(ndctl_bus_get_first) \
	X(ndctl_bus_get_next) \
	X(ndctl_bus_get_provider) \
	X(ndctl_dax_enable) \
	X(ndctl_dax_get_align) \
	X(ndctl_dax_get_daxctl_region) \
	X(ndctl_dax_get_location) \
	X(ndctl_dax_get_size) \
	X(ndctl_dax_get_uuid) \
	X(ndctl_dax_set_align) \
	X(ndctl_dax_set_location) \
	X(ndctl_dax_set_namespace) \
	X(ndctl_dax_set_uuid) \
	X(ndctl_dimm_get_devname) \
	X(ndctl_mapping_get_dimm) \
	X(ndctl_mapping_get_first) \
	X(ndctl_mapping_get_next) \
	X(ndctl_namespace_delete) \
	X(ndctl_namespace_disable_invalidate) \
	X(ndctl_namespace_disable_safe) \
	X(ndctl_namespace_enable) \
	X(ndctl_namespace_get_alt_name) \
	X(ndctl_namespace_get_block_device) \
	X(ndctl_namespace_get_btt) \
	X(ndctl_namespace_get_dax) \
	X(ndctl_namespace_get_devname) \
	X(ndctl_namespace_get_first) \
	X(ndctl_namespace_get_id) \
	X(ndctl_namespace_get_next) \
	X(ndctl_namespace_get_pfn) \
	X(ndctl_namespace_get_size) \
	X(ndctl_namespace_get_type) \
	X(ndctl_namespace_get_uuid) \
	X(ndctl_namespace_is_enabled) \
	X(ndctl_namespace_set_alt_name) \
	X(ndctl_namespace_set_enforce_mode) \
	X(ndctl_namespace_set_raw_mode) \
	X(ndctl_namespace_set_size) \
	X(ndctl_namespace_set_uuid) \
	X(ndctl_new) \
	X(ndctl_pfn_enable) \
	X(ndctl_pfn_get_align) \
	X(ndctl_pfn_get_block_device) \
	X(ndctl_pfn_get_location) \
	X(ndctl_pfn_get_size) \
	X(ndctl_pfn_get_uuid) \
	X(ndctl_pfn_has_align) \
	X(ndctl_pfn_set_align) \
	X(ndctl_pfn_set_location) \
	X(ndctl_pfn_set_namespace) \
	X(ndctl_pfn_set_uuid) \
	X(ndctl_region_get_btt_seed) \
	X(ndctl_region_get_dax_seed) \
	X(ndctl_region_get_devname) \
	X(ndctl_region_get_first) \
	X(ndctl_region_get_max_available_extent) \
	X(ndctl_region_get_namespace_seed) \
	X(ndctl_region_get_next) \
	X(ndctl_region_get_nstype) \
	X(ndctl_region_get_numa_node) \
	X(ndctl_region_get_pfn_seed) \
	X(ndctl_region_get_size) \
	X(ndctl_region_get_type) \
	X(ndctl_unref)
#define VPMEM_DAXCTL_FUNCS(X) \
	X(daxctl_dev_get_devname) \
	X(daxctl_dev_get_first) \
	X(daxctl_dev_get_next)

struct vpmem_ndctl {
#define VPMEM_NDCTL_MEMBER(f) __typeof__(f) *f;
	VPMEM_NDCTL_FUNCS(VPMEM_NDCTL_MEMBER)
	VPMEM_DAXCTL_FUNCS(VPMEM_NDCTL_MEMBER)
#undef VPMEM_NDCTL_MEMBER
};

/* The loaded libraries, or NULL with one line naming the package to install. */
const struct vpmem_ndctl *vpmem_ndctl_load(struct vpmem_err *err);

/* Set by a successful vpmem_ndctl_load(); the redirections below use it. */
extern const struct vpmem_ndctl *vpmem_nd;

#ifndef VPMEM_NDCTL_LOADER
/* A macro's own name in its expansion is not expanded again (C11 6.10.3.4),
 * so ndctl_new(...) becomes (vpmem_nd->ndctl_new)(...). */
#define daxctl_dev_get_devname (vpmem_nd->daxctl_dev_get_devname)
#define daxctl_dev_get_first (vpmem_nd->daxctl_dev_get_first)
#define daxctl_dev_get_next (vpmem_nd->daxctl_dev_get_next)
#define ndctl_btt_enable (vpmem_nd->ndctl_btt_enable)
#define ndctl_btt_get_block_device (vpmem_nd->ndctl_btt_get_block_device)
#define ndctl_btt_get_sector_size (vpmem_nd->ndctl_btt_get_sector_size)
#define ndctl_btt_get_size (vpmem_nd->ndctl_btt_get_size)
#define ndctl_btt_get_uuid (vpmem_nd->ndctl_btt_get_uuid)
#define ndctl_btt_set_namespace (vpmem_nd->ndctl_btt_set_namespace)
#define ndctl_btt_set_sector_size (vpmem_nd->ndctl_btt_set_sector_size)
#define ndctl_btt_set_uuid (vpmem_nd->ndctl_btt_set_uuid)
#define ndctl_bus_get_first (vpmem_nd->ndctl_bus_get_first)
#define ndctl_bus_get_next (vpmem_nd->ndctl_bus_get_next)
#define ndctl_bus_get_provider (vpmem_nd->ndctl_bus_get_provider)
#define ndctl_dax_enable (vpmem_nd->ndctl_dax_enable)
#define ndctl_dax_get_align (vpmem_nd->ndctl_dax_get_align)
#define ndctl_dax_get_daxctl_region (vpmem_nd->ndctl_dax_get_daxctl_region)
#define ndctl_dax_get_location (vpmem_nd->ndctl_dax_get_location)
#define ndctl_dax_get_size (vpmem_nd->ndctl_dax_get_size)
#define ndctl_dax_get_uuid (vpmem_nd->ndctl_dax_get_uuid)
#define ndctl_dax_set_align (vpmem_nd->ndctl_dax_set_align)
#define ndctl_dax_set_location (vpmem_nd->ndctl_dax_set_location)
#define ndctl_dax_set_namespace (vpmem_nd->ndctl_dax_set_namespace)
#define ndctl_dax_set_uuid (vpmem_nd->ndctl_dax_set_uuid)
#define ndctl_dimm_get_devname (vpmem_nd->ndctl_dimm_get_devname)
#define ndctl_mapping_get_dimm (vpmem_nd->ndctl_mapping_get_dimm)
#define ndctl_mapping_get_first (vpmem_nd->ndctl_mapping_get_first)
#define ndctl_mapping_get_next (vpmem_nd->ndctl_mapping_get_next)
#define ndctl_namespace_delete (vpmem_nd->ndctl_namespace_delete)
#define ndctl_namespace_disable_invalidate (vpmem_nd->ndctl_namespace_disable_invalidate)
#define ndctl_namespace_disable_safe (vpmem_nd->ndctl_namespace_disable_safe)
#define ndctl_namespace_enable (vpmem_nd->ndctl_namespace_enable)
#define ndctl_namespace_get_alt_name (vpmem_nd->ndctl_namespace_get_alt_name)
#define ndctl_namespace_get_block_device (vpmem_nd->ndctl_namespace_get_block_device)
#define ndctl_namespace_get_btt (vpmem_nd->ndctl_namespace_get_btt)
#define ndctl_namespace_get_dax (vpmem_nd->ndctl_namespace_get_dax)
#define ndctl_namespace_get_devname (vpmem_nd->ndctl_namespace_get_devname)
#define ndctl_namespace_get_first (vpmem_nd->ndctl_namespace_get_first)
#define ndctl_namespace_get_id (vpmem_nd->ndctl_namespace_get_id)
#define ndctl_namespace_get_next (vpmem_nd->ndctl_namespace_get_next)
#define ndctl_namespace_get_pfn (vpmem_nd->ndctl_namespace_get_pfn)
#define ndctl_namespace_get_size (vpmem_nd->ndctl_namespace_get_size)
#define ndctl_namespace_get_type (vpmem_nd->ndctl_namespace_get_type)
#define ndctl_namespace_get_uuid (vpmem_nd->ndctl_namespace_get_uuid)
#define ndctl_namespace_is_enabled (vpmem_nd->ndctl_namespace_is_enabled)
#define ndctl_namespace_set_alt_name (vpmem_nd->ndctl_namespace_set_alt_name)
#define ndctl_namespace_set_enforce_mode (vpmem_nd->ndctl_namespace_set_enforce_mode)
#define ndctl_namespace_set_raw_mode (vpmem_nd->ndctl_namespace_set_raw_mode)
#define ndctl_namespace_set_size (vpmem_nd->ndctl_namespace_set_size)
#define ndctl_namespace_set_uuid (vpmem_nd->ndctl_namespace_set_uuid)
#define ndctl_new (vpmem_nd->ndctl_new)
#define ndctl_pfn_enable (vpmem_nd->ndctl_pfn_enable)
#define ndctl_pfn_get_align (vpmem_nd->ndctl_pfn_get_align)
#define ndctl_pfn_get_block_device (vpmem_nd->ndctl_pfn_get_block_device)
#define ndctl_pfn_get_location (vpmem_nd->ndctl_pfn_get_location)
#define ndctl_pfn_get_size (vpmem_nd->ndctl_pfn_get_size)
#define ndctl_pfn_get_uuid (vpmem_nd->ndctl_pfn_get_uuid)
#define ndctl_pfn_has_align (vpmem_nd->ndctl_pfn_has_align)
#define ndctl_pfn_set_align (vpmem_nd->ndctl_pfn_set_align)
#define ndctl_pfn_set_location (vpmem_nd->ndctl_pfn_set_location)
#define ndctl_pfn_set_namespace (vpmem_nd->ndctl_pfn_set_namespace)
#define ndctl_pfn_set_uuid (vpmem_nd->ndctl_pfn_set_uuid)
#define ndctl_region_get_btt_seed (vpmem_nd->ndctl_region_get_btt_seed)
#define ndctl_region_get_dax_seed (vpmem_nd->ndctl_region_get_dax_seed)
#define ndctl_region_get_devname (vpmem_nd->ndctl_region_get_devname)
#define ndctl_region_get_first (vpmem_nd->ndctl_region_get_first)
#define ndctl_region_get_max_available_extent (vpmem_nd->ndctl_region_get_max_available_extent)
#define ndctl_region_get_namespace_seed (vpmem_nd->ndctl_region_get_namespace_seed)
#define ndctl_region_get_next (vpmem_nd->ndctl_region_get_next)
#define ndctl_region_get_nstype (vpmem_nd->ndctl_region_get_nstype)
#define ndctl_region_get_numa_node (vpmem_nd->ndctl_region_get_numa_node)
#define ndctl_region_get_pfn_seed (vpmem_nd->ndctl_region_get_pfn_seed)
#define ndctl_region_get_size (vpmem_nd->ndctl_region_get_size)
#define ndctl_region_get_type (vpmem_nd->ndctl_region_get_type)
#define ndctl_unref (vpmem_nd->ndctl_unref)

#endif /* VPMEM_NDCTL_LOADER */

#endif
