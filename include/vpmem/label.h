/* SPDX-License-Identifier: MIT */
/*
 * The namespace label storage area (LSA) of a vNVDIMM: two index blocks and
 * an array of labels (UEFI 2.7 / Linux "v1.1" 128-byte and "v1.2" 256-byte).
 * QEMU keeps the LSA in the last label-size bytes of the backing file.
 *
 * Layout (Linux drivers/nvdimm/label.h, label.c; doc/formats.md 3):
 *
 *   +--------------+ 0
 *   | index 0      | isz
 *   | index 1      | isz
 *   +--------------+ labeloff = 2*isz
 *   | label 0 … nslot-1 (lsz bytes each: 128 v1.1, 256 v1.2)
 *   +--------------+ <= cfg (label-size)
 *
 * Index block (72-byte header + free bitmap, 1 = free), little-endian:
 *   off size field
 *     0  16  sig "NAMESPACE_INDEX\0"
 *    16   3  flags
 *    19   1  labelsize (lsz >> 8: 0 = 128 B, 1 = 256 B; checked only for v1.2)
 *    20   4  seq (1, 2, 3 cycling; 0 invalid)
 *    24   8  myoff        32  8 mysize      40  8 otheroff    48  8 labeloff
 *    56   4  nslot        60  2 major (1)   62  2 minor (1 or 2)
 *    64   8  checksum (fletcher64 over isz bytes with this field 0)
 *    72  ..  free[] bitmap, bit s = byte s/8, bit s%8
 */
#ifndef VPMEM_LABEL_H
#define VPMEM_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_NSINDEX_SIG "NAMESPACE_INDEX"   /* + NUL: 16 bytes */
#define VPMEM_NSINDEX_HDR 72
#define VPMEM_NSINDEX_ALIGN 256
#define VPMEM_LABEL_NAME_LEN 64
/* The smallest label area QEMU accepts (hw/mem/nvdimm.c MIN_NAMESPACE_LABEL_SIZE) */
#define VPMEM_MIN_LABEL_SIZE (128ULL << 10)

enum vpmem_label_version { VPMEM_LABEL_V1_1 = 1, VPMEM_LABEL_V1_2 = 2 };

/* Claim class from a v1.2 label's abstraction GUID (label.h, nd.h). */
enum vpmem_claim {
	VPMEM_CLAIM_NONE = 0, VPMEM_CLAIM_BTT, VPMEM_CLAIM_BTT2, VPMEM_CLAIM_PFN,
	VPMEM_CLAIM_DAX, VPMEM_CLAIM_UNKNOWN,
};

/* Label flags (label.h NSLABEL_FLAG_*) */
#define VPMEM_NSLABEL_ROLABEL  0x1
#define VPMEM_NSLABEL_LOCAL    0x2
#define VPMEM_NSLABEL_BTT      0x4
#define VPMEM_NSLABEL_UPDATING 0x8

/* LSA geometry for a label area of @cfg bytes (label.c sizeof_namespace_index,
 * nvdimm_num_label_slots). */
struct vpmem_lsa_geom {
	uint64_t cfg;      /* label area size */
	uint32_t lsz;      /* label size: 128 or 256 */
	uint32_t nslot;    /* label slots */
	uint32_t isz;      /* index block size */
	enum vpmem_label_version version;
};

int vpmem_lsa_geom(uint64_t cfg, enum vpmem_label_version v, struct vpmem_lsa_geom *g,
		   struct vpmem_err *err);

/* A label area size QEMU takes: 0 (none), or at least VPMEM_MIN_LABEL_SIZE
 * and a multiple of 4K. 0 or -EINVAL with the reason ("--label-size ..."). */
int vpmem_label_size_check(uint64_t label_size, struct vpmem_err *err);

/*
 * A v1.2 label's type GUID: the region's nd_set->type_guid, which the kernel
 * requires labels to repeat (nsl_validate_type_guid in drivers/nvdimm/label.c,
 * called by create_namespace_pmem). ACPI NFIT regions carry the PMEM range
 * GUID (nfit/core.c: guid_copy(&nd_set->type_guid, spa->range_guid)); a CXL
 * pmem region's nd_set is zero-allocated and never given one (drivers/cxl/
 * pmem.c cxl_pmem_region_probe), so its labels carry zeros.
 */
enum vpmem_label_type { VPMEM_LTYPE_PMEM = 0, VPMEM_LTYPE_NONE, VPMEM_LTYPE_OTHER };

/* A decoded label (either version). */
struct vpmem_label {
	uint32_t slot;            /* label slot it sits in */
	uint8_t uuid[16];         /* RFC 4122 byte order */
	char name[VPMEM_LABEL_NAME_LEN];
	uint32_t flags;
	uint16_t nlabel, position;
	uint64_t isetcookie, lbasize, dpa, rawsize;
	enum vpmem_claim claim;   /* v1.2 only; NONE for v1.1 */
	enum vpmem_label_type type; /* v1.2 only; PMEM for v1.1 */
	bool checksum_ok;         /* v1.2; true for v1.1 */
};

/* The whole LSA, decoded. */
struct vpmem_lsa {
	struct vpmem_lsa_geom g;
	int current;              /* 0 or 1; -1 = no valid index (label-less) */
	uint32_t seq[2];
	bool valid[2];
	char why[2][128];         /* why an index is invalid */
	uint8_t *free;            /* the current index's bitmap (nslot bits) */
	unsigned nlabels;
	struct vpmem_label *labels; /* in-use labels of the current index, slot order */
	uint8_t *raw;             /* the LSA bytes, cfg long (owned); read from an image
				   * file (vpmem_region_read), only the index blocks and the
				   * in-use slots are read: free slots hold zeros */
};

/*
 * Decode an LSA of @cfg bytes. Validation as Linux __nd_label_validate (per
 * index: sig, labelsize, checksum over isz, seq, myoff/otheroff/labeloff,
 * mysize, nslot fits), current index by best_seq. With no valid index,
 * current = -1 (the kernel treats the DIMM as label-less). @version 0 = try
 * 128-byte labels, then 256 (as the kernel). Returns 0, -ENODEV when there is
 * no index signature at all, or -ENOMEM.
 */
int vpmem_lsa_decode(const uint8_t *buf, uint64_t cfg, struct vpmem_lsa *lsa,
		     struct vpmem_err *err);
void vpmem_lsa_free(struct vpmem_lsa *lsa);

/* Sequence helpers (label.c nd_inc_seq, best_seq). */
uint32_t vpmem_nsindex_next_seq(uint32_t seq);
int vpmem_nsindex_best(uint32_t seq0, uint32_t seq1); /* returns 0 or 1 */

/*
 * Encode one index block (isz bytes into @out): position @which (0/1), @seq,
 * the free bitmap @free (nslot bits, may be NULL = all free). Bits past nslot
 * up to ALIGN(nslot, 64) are set, as `ndctl init-labels` does (doc/formats.md 3.2).
 */
void vpmem_nsindex_encode(const struct vpmem_lsa_geom *g, int which, uint32_t seq,
			  const uint8_t *free, uint8_t *out);

/* Encode a label of @g->lsz bytes into @out (v1.2: type/abstraction GUID + checksum). */
void vpmem_label_encode(const struct vpmem_lsa_geom *g, const struct vpmem_label *l, uint8_t *out);

/* Free-bitmap helpers (bit set = slot free). */
static inline bool vpmem_slot_free(const uint8_t *bm, uint32_t s) { return bm[s / 8] >> (s % 8) & 1; }
static inline void vpmem_slot_set_free(uint8_t *bm, uint32_t s, bool f)
{
	if (f)
		bm[s / 8] |= (uint8_t)(1u << (s % 8));
	else
		bm[s / 8] &= (uint8_t)~(1u << (s % 8));
}

/* Abstraction GUID of a claim class, EFI byte order (16 bytes; zero for NONE). */
void vpmem_claim_guid(enum vpmem_claim c, uint8_t out[16]);
const char *vpmem_claim_name(enum vpmem_claim c);

#ifdef __cplusplus
}
#endif
#endif
