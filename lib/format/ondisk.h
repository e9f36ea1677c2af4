/* SPDX-License-Identifier: MIT */
/*
 * On-media layouts as structs, the one definition of every field offset the
 * encoders and decoders use (IX_*, L_*, P_*, B_* below are offsetof() these
 * structs). Each struct is asserted at compile time against the layout table
 * in its public header (label.h, pfn.h, btt.h), the way xfs_ondisk.h pins
 * XFS's. Fields are little-endian on media; access them through util/le.h on
 * byte buffers, never by dereferencing these structs (they are packed).
 * Internal to lib/format/.
 */
#ifndef VPMEM_FORMAT_ONDISK_H
#define VPMEM_FORMAT_ONDISK_H

#include <stddef.h>
#include <stdint.h>

#include <vpmem/btt.h>
#include <vpmem/label.h>
#include <vpmem/pfn.h>

#define ONDISK_OFFSET(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " is not at " #off)
#define ONDISK_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " is not " #size " bytes")

/* Linux drivers/nvdimm/label.h struct nd_namespace_index (header; free[] follows) */
struct ondisk_nsindex {
	uint8_t sig[16];
	uint8_t flags[3];
	uint8_t labelsize;
	uint32_t seq;
	uint64_t myoff, mysize, otheroff, labeloff;
	uint32_t nslot;
	uint16_t major, minor;
	uint64_t checksum;
	uint8_t free[];
} __attribute__((packed));
ONDISK_SIZE(struct ondisk_nsindex, VPMEM_NSINDEX_HDR);
ONDISK_OFFSET(struct ondisk_nsindex, labelsize, 19);
ONDISK_OFFSET(struct ondisk_nsindex, seq, 20);
ONDISK_OFFSET(struct ondisk_nsindex, myoff, 24);
ONDISK_OFFSET(struct ondisk_nsindex, labeloff, 48);
ONDISK_OFFSET(struct ondisk_nsindex, nslot, 56);
ONDISK_OFFSET(struct ondisk_nsindex, major, 60);
ONDISK_OFFSET(struct ondisk_nsindex, checksum, 64);
ONDISK_OFFSET(struct ondisk_nsindex, free, 72);

/* struct nd_namespace_label, UEFI 2.7 (v1.2, 256 B; v1.1 is its first 128 B) */
struct ondisk_label {
	uint8_t uuid[16];
	char name[VPMEM_LABEL_NAME_LEN];
	uint32_t flags;
	uint16_t nlabel, position;
	uint64_t isetcookie, lbasize, dpa, rawsize;
	uint32_t slot;
	uint8_t align, reserved[3];   /* v1.2 */
	uint8_t type_guid[16];        /* v1.2 */
	uint8_t abstraction_guid[16]; /* v1.2 */
	uint8_t reserved2[88];
	uint64_t checksum;            /* v1.2 */
} __attribute__((packed));
ONDISK_SIZE(struct ondisk_label, 256);
ONDISK_OFFSET(struct ondisk_label, name, 16);
ONDISK_OFFSET(struct ondisk_label, flags, 80);
ONDISK_OFFSET(struct ondisk_label, isetcookie, 88);
ONDISK_OFFSET(struct ondisk_label, dpa, 104);
ONDISK_OFFSET(struct ondisk_label, slot, 120);
ONDISK_OFFSET(struct ondisk_label, align, 124);
ONDISK_OFFSET(struct ondisk_label, type_guid, 128);
ONDISK_OFFSET(struct ondisk_label, abstraction_guid, 144);
ONDISK_OFFSET(struct ondisk_label, checksum, 248);

/* Linux drivers/nvdimm/pfn.h struct nd_pfn_sb (fsdax and devdax) */
struct ondisk_pfn_sb {
	uint8_t signature[16], uuid[16], parent_uuid[16];
	uint32_t flags;
	uint16_t version_major, version_minor;
	uint64_t dataoff, npfns;
	uint32_t mode, start_pad, end_trunc, align, page_size;
	uint16_t page_struct_size;
	uint8_t padding[3994];
	uint64_t checksum;
} __attribute__((packed));
ONDISK_SIZE(struct ondisk_pfn_sb, VPMEM_INFO_SIZE);
ONDISK_OFFSET(struct ondisk_pfn_sb, flags, 48);
ONDISK_OFFSET(struct ondisk_pfn_sb, dataoff, 56);
ONDISK_OFFSET(struct ondisk_pfn_sb, mode, 72);
ONDISK_OFFSET(struct ondisk_pfn_sb, align, 84);
ONDISK_OFFSET(struct ondisk_pfn_sb, page_struct_size, 92);
ONDISK_OFFSET(struct ondisk_pfn_sb, padding, 94);
ONDISK_OFFSET(struct ondisk_pfn_sb, checksum, 4088);

/* Linux drivers/nvdimm/btt.h struct btt_sb */
struct ondisk_btt_sb {
	uint8_t signature[16], uuid[16], parent_uuid[16];
	uint32_t flags;
	uint16_t version_major, version_minor;
	uint32_t external_lbasize, external_nlba, internal_lbasize, internal_nlba;
	uint32_t nfree, infosize;
	uint64_t nextoff, dataoff, mapoff, logoff, info2off;
	uint8_t padding[3968];
	uint64_t checksum;
} __attribute__((packed));
ONDISK_SIZE(struct ondisk_btt_sb, VPMEM_BTT_INFO_SIZE);
ONDISK_OFFSET(struct ondisk_btt_sb, external_lbasize, 56);
ONDISK_OFFSET(struct ondisk_btt_sb, nfree, 72);
ONDISK_OFFSET(struct ondisk_btt_sb, nextoff, 80);
ONDISK_OFFSET(struct ondisk_btt_sb, info2off, 112);
ONDISK_OFFSET(struct ondisk_btt_sb, padding, 120);
ONDISK_OFFSET(struct ondisk_btt_sb, checksum, 4088);

#define OFF(type, field) ((int)offsetof(struct type, field))

/* index block */
enum { IX_SIG = OFF(ondisk_nsindex, sig), IX_FLAGS = OFF(ondisk_nsindex, flags),
       IX_LABELSIZE = OFF(ondisk_nsindex, labelsize), IX_SEQ = OFF(ondisk_nsindex, seq),
       IX_MYOFF = OFF(ondisk_nsindex, myoff), IX_MYSIZE = OFF(ondisk_nsindex, mysize),
       IX_OTHEROFF = OFF(ondisk_nsindex, otheroff), IX_LABELOFF = OFF(ondisk_nsindex, labeloff),
       IX_NSLOT = OFF(ondisk_nsindex, nslot), IX_MAJOR = OFF(ondisk_nsindex, major),
       IX_MINOR = OFF(ondisk_nsindex, minor), IX_CHECKSUM = OFF(ondisk_nsindex, checksum),
       IX_FREE = OFF(ondisk_nsindex, free) };
/* label */
enum { L_UUID = OFF(ondisk_label, uuid), L_NAME = OFF(ondisk_label, name),
       L_FLAGS = OFF(ondisk_label, flags), L_NLABEL = OFF(ondisk_label, nlabel),
       L_POSITION = OFF(ondisk_label, position), L_ISETCOOKIE = OFF(ondisk_label, isetcookie),
       L_LBASIZE = OFF(ondisk_label, lbasize), L_DPA = OFF(ondisk_label, dpa),
       L_RAWSIZE = OFF(ondisk_label, rawsize), L_SLOT = OFF(ondisk_label, slot),
       L_ALIGN = OFF(ondisk_label, align), L_TYPE_GUID = OFF(ondisk_label, type_guid),
       L_ABSTRACTION_GUID = OFF(ondisk_label, abstraction_guid),
       L_CHECKSUM = OFF(ondisk_label, checksum) };
/* pfn/dax info block */
enum { P_SIG = OFF(ondisk_pfn_sb, signature), P_UUID = OFF(ondisk_pfn_sb, uuid),
       P_PARENT = OFF(ondisk_pfn_sb, parent_uuid), P_FLAGS = OFF(ondisk_pfn_sb, flags),
       P_MAJOR = OFF(ondisk_pfn_sb, version_major), P_MINOR = OFF(ondisk_pfn_sb, version_minor),
       P_DATAOFF = OFF(ondisk_pfn_sb, dataoff), P_NPFNS = OFF(ondisk_pfn_sb, npfns),
       P_MODE = OFF(ondisk_pfn_sb, mode), P_START_PAD = OFF(ondisk_pfn_sb, start_pad),
       P_END_TRUNC = OFF(ondisk_pfn_sb, end_trunc), P_ALIGN = OFF(ondisk_pfn_sb, align),
       P_PAGE_SIZE = OFF(ondisk_pfn_sb, page_size),
       P_PAGE_STRUCT_SIZE = OFF(ondisk_pfn_sb, page_struct_size),
       P_CHECKSUM = OFF(ondisk_pfn_sb, checksum) };
/* BTT info block */
enum { B_SIG = OFF(ondisk_btt_sb, signature), B_UUID = OFF(ondisk_btt_sb, uuid),
       B_PARENT = OFF(ondisk_btt_sb, parent_uuid), B_FLAGS = OFF(ondisk_btt_sb, flags),
       B_MAJOR = OFF(ondisk_btt_sb, version_major), B_MINOR = OFF(ondisk_btt_sb, version_minor),
       B_EXT_LBASIZE = OFF(ondisk_btt_sb, external_lbasize),
       B_EXT_NLBA = OFF(ondisk_btt_sb, external_nlba),
       B_INT_LBASIZE = OFF(ondisk_btt_sb, internal_lbasize),
       B_INT_NLBA = OFF(ondisk_btt_sb, internal_nlba), B_NFREE = OFF(ondisk_btt_sb, nfree),
       B_INFOSIZE = OFF(ondisk_btt_sb, infosize), B_NEXTOFF = OFF(ondisk_btt_sb, nextoff),
       B_DATAOFF = OFF(ondisk_btt_sb, dataoff), B_MAPOFF = OFF(ondisk_btt_sb, mapoff),
       B_LOGOFF = OFF(ondisk_btt_sb, logoff), B_INFO2OFF = OFF(ondisk_btt_sb, info2off),
       B_CHECKSUM = OFF(ondisk_btt_sb, checksum) };

#undef OFF

/*
 * vpmem_lsa_decode of @buf (@cfg bytes), taking @own, the malloc'ed buffer
 * @buf is, as lsa->raw instead of copying it (NULL: copy, as the public
 * call). On failure, or when the area has no valid index, @own stays the
 * caller's (lsa->raw is not set to it).
 */
int lsa_decode_take(const uint8_t *buf, uint8_t *own, uint64_t cfg, struct vpmem_lsa *lsa,
		    struct vpmem_err *err);

/*
 * A plan's snapshot of an image (image.c): what region_read_snap read
 * from the file during one plan, kept, so that the plan's later steps, each
 * decoding the region as the steps before leave it (@pending laid over the
 * file), read the file once. Valid only while nothing writes the file: one
 * plan, made under the image's lock (or on a file not yet linked into place)
 * and applied after. Bound to the first fd and size it reads.
 */
struct vpmem_image_hints;
struct vpmem_region_info;
struct vpmem_wplan;
struct vpmem_rsnap;
struct vpmem_rsnap *rsnap_new(void);
void rsnap_free(struct vpmem_rsnap *sn);
int region_read_snap(int fd, const struct vpmem_image_hints *h, const struct vpmem_wplan *pending,
			   struct vpmem_rsnap *snap, struct vpmem_region_info *ri, struct vpmem_err *err);

#endif
