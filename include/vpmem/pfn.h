/* SPDX-License-Identifier: MIT */
/*
 * fsdax ("NVDIMM_PFN_INFO") and devdax ("NVDIMM_DAX_INFO") info blocks: 4096
 * bytes at namespace offset 4096 (Linux drivers/nvdimm/pfn.h, pfn_devs.c,
 * dax_devs.c; doc/formats.md 4). Little-endian:
 *
 *   off size field                off size field
 *     0  16  signature             72   4  mode (1 = map=mem, 2 = map=dev)
 *    16  16  uuid                  76   4  start_pad   (v1.1+)
 *    32  16  parent_uuid           80   4  end_trunc   (v1.1+)
 *    48   4  flags                 84   4  align       (v1.2+)
 *    52   2  version_major         88   4  page_size   (v1.4+)
 *    54   2  version_minor         92   2  page_struct_size (v1.4+)
 *    56   8  dataoff               94 3994 padding (zero, v1.3+)
 *    64   8  npfns               4088   8  checksum (fletcher64 of the block, field 0)
 */
#ifndef VPMEM_PFN_H
#define VPMEM_PFN_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_PFN_SIG "NVDIMM_PFN_INFO"
#define VPMEM_DAX_SIG "NVDIMM_DAX_INFO"
#define VPMEM_INFO_OFFSET 4096ULL    /* SZ_4K: info block offset in the namespace */
#define VPMEM_INFO_SIZE 4096
#define VPMEM_PFN_MODE_RAM 1         /* map=mem */
#define VPMEM_PFN_MODE_PMEM 2        /* map=dev */
#define VPMEM_MEMREMAP_COMPAT_ALIGN (2ULL << 20) /* x86-64 memremap_compat_align() */

struct vpmem_pfn_sb {
	bool dax;                   /* NVDIMM_DAX_INFO (devdax) vs NVDIMM_PFN_INFO (fsdax) */
	uint8_t uuid[16], parent_uuid[16];
	uint32_t flags;
	uint16_t major, minor;
	uint64_t dataoff, npfns;
	uint32_t mode, start_pad, end_trunc, align, page_size;
	uint16_t page_struct_size;
};

/*
 * The info block the kernel writes for a namespace of @size bytes starting at
 * guest physical address @start (nd_pfn_init): @mode map=mem/dev, @align the
 * pfn/dax align attribute (0 = 2M). Fails like the kernel when @start is not
 * 2M aligned or the alignment cannot be met.
 */
int vpmem_pfn_compute(bool dax, uint64_t start, uint64_t size, uint32_t mode, uint32_t align,
		      const uint8_t uuid[16], const uint8_t parent_uuid[16],
		      struct vpmem_pfn_sb *sb, struct vpmem_err *err);

void vpmem_pfn_encode(const struct vpmem_pfn_sb *sb, uint8_t out[VPMEM_INFO_SIZE]);

/*
 * Decode and validate like nd_pfn_validate for a namespace of @size bytes at
 * @start whose uuid is @parent (NULL = label-less: all-zero). Returns 0,
 * -ENODEV (not an info block: signature, checksum or parent mismatch), or
 * -EOPNOTSUPP / -ENXIO (an info block the kernel would refuse), with a message.
 */
int vpmem_pfn_decode(const uint8_t buf[VPMEM_INFO_SIZE], uint64_t start, uint64_t size,
		     const uint8_t *parent, struct vpmem_pfn_sb *sb, struct vpmem_err *err);

/* Device size as the kernel reports it: size - start_pad - end_trunc - dataoff. */
uint64_t vpmem_pfn_usable(const struct vpmem_pfn_sb *sb, uint64_t size);

/* nd_sb_checksum: fletcher64 over 4096 bytes with bytes 4088..4095 as zero. */
uint64_t vpmem_sb_checksum(const uint8_t buf[VPMEM_INFO_SIZE]);

#ifdef __cplusplus
}
#endif
#endif
