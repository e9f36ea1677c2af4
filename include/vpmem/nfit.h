/* SPDX-License-Identifier: MIT */
/*
 * What QEMU's NFIT tells a guest about the vNVDIMM in a given slot, and the
 * identities Linux derives from it (ndctl "id", interleave-set cookies).
 *
 * Sources: QEMU hw/acpi/nvdimm.c (nvdimm_build_structure_spa/memdev/dcr:
 * serial = 0x123456 + slot, handle = slot + 1, vendor 0x8086, spa_index =
 * (slot + 1) << 1); Linux drivers/acpi/nfit/core.c (acpi_nfit_add_dimm: id
 * "%04x-%08x" of the byte-swapped vendor/serial; acpi_nfit_init_interleave_set:
 * cookies as fletcher64 over nfit_set_info / nfit_set_info2). See
 * doc/formats.md sections 1.3 and 2.
 */
#ifndef VPMEM_NFIT_H
#define VPMEM_NFIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_NFIT_SERIAL_BASE 0x123456u  /* QEMU: NVDIMM serial 0x123456 + slot */
#define VPMEM_NFIT_VENDOR_QEMU 0x8086u    /* QEMU DCR vendor id, little-endian in the table */
#define VPMEM_NFIT_MAX_SLOTS 256u         /* QEMU ACPI_MAX_RAM_SLOTS */

/* Guest-visible identity of one QEMU vNVDIMM slot. */
struct vpmem_nfit_dimm {
	unsigned slot;
	uint32_t serial;     /* DCR serial_number (CPU order) */
	uint32_t handle;     /* NFIT device handle (ndctl "handle") */
	uint16_t vendor;     /* DCR vendor_id (CPU order) */
	uint16_t spa_index;  /* NFIT SPA range index (sysfs region nfit/range_index) */
	char id[16];         /* ndctl dimm "id", e.g. "8680-56341200" */
	uint64_t cookie1;    /* v1.1 interleave-set cookie (v1.1 labels, label-less) */
	uint64_t cookie2;    /* v1.2 interleave-set cookie (v1.2 labels) */
};

/* Fill @d for QEMU slot @slot. */
void vpmem_nfit_dimm(unsigned slot, struct vpmem_nfit_dimm *d);

/* Slot whose interleave-set cookie is @cookie (v1.1 or v1.2), or -1. */
int vpmem_slot_of_cookie(uint64_t cookie);

/* ndctl id string for an arbitrary vendor/serial (raw table values). */
void vpmem_nfit_id(uint16_t vendor, uint32_t serial, char *buf, size_t len);

/*
 * Fletcher-64 as Linux nd_fletcher64 (drivers/nvdimm/core.c): 32-bit words,
 * lo wraps mod 2^32, result (hi << 32) | lo; @len must be a multiple of 4.
 * @le: words are little-endian on media (always true for on-media data).
 */
uint64_t vpmem_fletcher64(const void *buf, size_t len, int le);

/*
 * The on-media checksum of a block (index block, label, info block): the
 * little-endian Fletcher-64 of @len bytes with the 8-byte checksum field at
 * @csum_off (a multiple of 4) taken as zero. Reads @buf only; cannot fail.
 */
uint64_t vpmem_block_checksum(const void *buf, size_t len, size_t csum_off);

#ifdef __cplusplus
}
#endif
#endif
