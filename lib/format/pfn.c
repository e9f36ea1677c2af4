// SPDX-License-Identifier: MIT
/* pfn/dax info blocks; sources in include/vpmem/pfn.h. */
#include <errno.h>
#include <string.h>

#include <vpmem/nfit.h>
#include <vpmem/pfn.h>
#include <vpmem/size.h>

#include "format/ondisk.h"
#include "util/le.h"


#define PAGE_SIZE_ 4096ULL
#define MAX_STRUCT_PAGE_SIZE 64ULL   /* include/linux/mm_types.h / pfn_devs.c */
#define SZ_8K 8192ULL

uint64_t vpmem_sb_checksum(const uint8_t buf[VPMEM_INFO_SIZE])
{
	return vpmem_block_checksum(buf, VPMEM_INFO_SIZE, P_CHECKSUM);
}

/* nd_supported_alignment on x86-64 with THP: 4K, 2M, 1G */
static bool supported_align(uint64_t a)
{
	return a == 4096 || a == (2ULL << 20) || a == (1ULL << 30);
}

int vpmem_pfn_compute(bool dax, uint64_t start, uint64_t size, uint32_t mode, uint32_t align,
		      const uint8_t uuid[16], const uint8_t parent_uuid[16],
		      struct vpmem_pfn_sb *sb, struct vpmem_err *err)
{
	uint64_t npfns, a, end_trunc, offset = 0, end;

	memset(sb, 0, sizeof(*sb));
	if (!align)
		align = 2U << 20;
	if (!supported_align(align))
		return vpmem_err_set(err, EINVAL, "--align %u is not supported (4K, 2M or 1G)", align);
	if (mode != VPMEM_PFN_MODE_RAM && mode != VPMEM_PFN_MODE_PMEM)
		return vpmem_err_set(err, EINVAL, "unknown pfn mode %u", mode);
	if (size <= SZ_8K)
		return vpmem_err_set(err, EINVAL, "namespace too small for an info block");
	/* nd_pfn_init() */
	npfns = (size - SZ_8K) / PAGE_SIZE_;
	a = align > VPMEM_MEMREMAP_COMPAT_ALIGN ? align : VPMEM_MEMREMAP_COMPAT_ALIGN;
	if (!vpmem_is_aligned(start, VPMEM_MEMREMAP_COMPAT_ALIGN))
		return vpmem_err_set(err, EINVAL, "namespace start 0x%llx is not 2M aligned",
				     (unsigned long long)start);
	end_trunc = start + size - vpmem_align_down(start + size, a);
	if (!vpmem_align_up(start + SZ_8K + (mode == VPMEM_PFN_MODE_PMEM ? MAX_STRUCT_PAGE_SIZE * npfns : 0),
			    a, &end))
		return vpmem_err_set(err, ERANGE, "namespace address overflows");
	offset = end - start;
	if (offset >= size)
		return vpmem_err_set(err, ENXIO,
				     "namespace of %llu bytes is too small for align %u (needs more than %llu)",
				     (unsigned long long)size, align, (unsigned long long)offset);
	npfns = (size - offset - end_trunc) / PAGE_SIZE_;
	sb->dax = dax;
	memcpy(sb->uuid, uuid, 16);
	if (parent_uuid)
		memcpy(sb->parent_uuid, parent_uuid, 16);
	sb->major = 1;
	sb->minor = 4;
	sb->dataoff = offset;
	sb->npfns = npfns;
	sb->mode = mode;
	sb->end_trunc = (uint32_t)end_trunc;
	sb->align = align;     /* nd_pfn->align, not the max()ed value */
	sb->page_size = (uint32_t)PAGE_SIZE_;
	sb->page_struct_size = (uint16_t)MAX_STRUCT_PAGE_SIZE;
	return 0;
}

void vpmem_pfn_encode(const struct vpmem_pfn_sb *sb, uint8_t out[VPMEM_INFO_SIZE])
{
	memset(out, 0, VPMEM_INFO_SIZE);
	memcpy(out + P_SIG, sb->dax ? VPMEM_DAX_SIG : VPMEM_PFN_SIG, 16);
	memcpy(out + P_UUID, sb->uuid, 16);
	memcpy(out + P_PARENT, sb->parent_uuid, 16);
	put_le32(out + P_FLAGS, sb->flags);
	put_le16(out + P_MAJOR, sb->major);
	put_le16(out + P_MINOR, sb->minor);
	put_le64(out + P_DATAOFF, sb->dataoff);
	put_le64(out + P_NPFNS, sb->npfns);
	put_le32(out + P_MODE, sb->mode);
	put_le32(out + P_START_PAD, sb->start_pad);
	put_le32(out + P_END_TRUNC, sb->end_trunc);
	put_le32(out + P_ALIGN, sb->align);
	put_le32(out + P_PAGE_SIZE, sb->page_size);
	put_le16(out + P_PAGE_STRUCT_SIZE, sb->page_struct_size);
	put_le64(out + P_CHECKSUM, vpmem_sb_checksum(out));
}

uint64_t vpmem_pfn_usable(const struct vpmem_pfn_sb *sb, uint64_t size)
{
	uint64_t cut = (uint64_t)sb->start_pad + sb->end_trunc + sb->dataoff;

	return size > cut ? size - cut : 0;
}

static int ilog2_u64(uint64_t v)
{
	return v ? 63 - __builtin_clzll(v) : -1;
}

int vpmem_pfn_decode(const uint8_t buf[VPMEM_INFO_SIZE], uint64_t start, uint64_t size,
		     const uint8_t *parent, struct vpmem_pfn_sb *sb, struct vpmem_err *err)
{
	static const uint8_t zero[16];
	uint64_t align, end;

	memset(sb, 0, sizeof(*sb));
	if (!memcmp(buf + P_SIG, VPMEM_DAX_SIG, 16))
		sb->dax = true;
	else if (memcmp(buf + P_SIG, VPMEM_PFN_SIG, 16))
		return vpmem_err_set(err, ENODEV, "no pfn/dax info block");
	if (vpmem_sb_checksum(buf) != get_le64(buf + P_CHECKSUM))
		return vpmem_err_set(err, ENODEV, "%s info block: bad checksum", sb->dax ? "dax" : "pfn");
	memcpy(sb->uuid, buf + P_UUID, 16);
	memcpy(sb->parent_uuid, buf + P_PARENT, 16);
	sb->flags = get_le32(buf + P_FLAGS);
	sb->major = get_le16(buf + P_MAJOR);
	sb->minor = get_le16(buf + P_MINOR);
	sb->dataoff = get_le64(buf + P_DATAOFF);
	sb->npfns = get_le64(buf + P_NPFNS);
	sb->mode = get_le32(buf + P_MODE);
	sb->start_pad = get_le32(buf + P_START_PAD);
	sb->end_trunc = get_le32(buf + P_END_TRUNC);
	sb->align = get_le32(buf + P_ALIGN);
	sb->page_size = get_le32(buf + P_PAGE_SIZE);
	sb->page_struct_size = get_le16(buf + P_PAGE_STRUCT_SIZE);
	/* nd_pfn_validate(): */
	if (memcmp(sb->parent_uuid, parent ? parent : zero, 16))
		return vpmem_err_set(err, ENODEV, "%s info block: parent_uuid is not the namespace's",
				     sb->dax ? "dax" : "pfn");
	if (sb->minor < 1)
		sb->start_pad = sb->end_trunc = 0;
	if (sb->minor < 2)
		sb->align = 0;
	if (sb->minor < 4) {
		sb->page_struct_size = 64;
		sb->page_size = (uint32_t)PAGE_SIZE_;
	}
	if (sb->mode != VPMEM_PFN_MODE_RAM && sb->mode != VPMEM_PFN_MODE_PMEM)
		return vpmem_err_set(err, ENXIO, "info block: unknown mode %u", sb->mode);
	/* __nvdimm_setup_pfn(): map=mem refuses dataoff below info_block_reserve()
	 * (8K, the info block itself), map=dev would underflow altmap->free */
	if (sb->dataoff < 8192)
		return vpmem_err_set(err, EINVAL, "info block: dataoff %llu is inside the 8K info block area",
				     (unsigned long long)sb->dataoff);
	align = sb->align ? sb->align : (sb->dataoff ? 1ULL << ilog2_u64(sb->dataoff) : 0);
	if (sb->mode == VPMEM_PFN_MODE_PMEM && sb->page_size > PAGE_SIZE_)
		return vpmem_err_set(err, EOPNOTSUPP, "info block: page size %u is larger than 4K", sb->page_size);
	if (sb->mode == VPMEM_PFN_MODE_PMEM && sb->page_struct_size < 64)
		return vpmem_err_set(err, EOPNOTSUPP, "info block: struct page size %u is too small",
				     sb->page_struct_size);
	if (sb->dax && !supported_align(align))
		return vpmem_err_set(err, EOPNOTSUPP, "dax info block: unsupported align %llu",
				     (unsigned long long)align);
	if (align > size)
		return vpmem_err_set(err, EOPNOTSUPP, "info block: align exceeds the namespace");
	/* __dax_pmem_probe (drivers/dax/pmem.c) passes pfn_sb->align, which
	 * nd_pfn_validate zeroed above for a version below 1.2 (the derived
	 * align is only its local), to alloc_dax_region (drivers/dax/bus.c),
	 * whose IS_ALIGNED(range->start, 0) fails: the probe ends with -ENOMEM
	 * and the namespace stays disabled (seen in the guest: Linux 6.1 "dax_pmem:
	 * probe of dax0.1 failed with error -12", 6.12 "dax_pmem dax0.1: probe
	 * with driver dax_pmem failed with error -12"). fsdax keeps the derived
	 * align (nd_pfn->align): it is unaffected. */
	if (sb->dax && sb->minor < 2)
		return vpmem_err_set(err, EOPNOTSUPP,
				     "dax info block: version %u.%u has no align field; device-dax refuses it (align 0)",
				     sb->major, sb->minor);
	if (sb->dataoff >= size)
		return vpmem_err_set(err, EOPNOTSUPP, "info block: dataoff %llu is past the namespace end",
				     (unsigned long long)sb->dataoff);
	if ((align && !vpmem_is_aligned(start + sb->dataoff + sb->start_pad, align)) ||
	    !vpmem_is_aligned(sb->dataoff, PAGE_SIZE_))
		return vpmem_err_set(err, EOPNOTSUPP, "info block: data offset is misaligned");
	end = start + size;
	if (!vpmem_is_aligned(start + sb->start_pad, VPMEM_MEMREMAP_COMPAT_ALIGN) ||
	    !vpmem_is_aligned(end - sb->end_trunc, VPMEM_MEMREMAP_COMPAT_ALIGN))
		return vpmem_err_set(err, EOPNOTSUPP, "info block: namespace start or end is misaligned");
	return 0;
}
