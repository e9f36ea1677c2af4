/* SPDX-License-Identifier: MIT */
/*
 * BTT (Block Translation Table, sector mode): arena layout, info blocks,
 * initial flog (Linux drivers/nvdimm/btt.h, btt.c create_arenas/alloc_arena/
 * btt_arena_write_layout/btt_log_init, btt_devs.c nd_btt_arena_is_valid;
 * Documentation/driver-api/nvdimm/btt.rst; shared/FORMATS.md 5).
 *
 * Namespace: BTT 1.1 info at offset 4096 (label-less and v1.1 labels), BTT 2.0
 * at offset 0 (v1.2 labels). Each arena (<= 512 GiB):
 *
 *   +-----------+ 0        info block (4 KiB)
 *   | data      | dataoff  internal_nlba blocks of internal_lbasize
 *   | map       | mapoff   external_nlba x u32 (0 = identity)
 *   | flog      | logoff   nfree lanes x 64 B (4 x 16 B log entries)
 *   | info2     | info2off backup info block
 *   +-----------+
 *
 * Info block (4096 B, LE): 0 sig "BTT_ARENA_INFO\0\0", 16 uuid, 32 parent_uuid,
 * 48 flags, 52 major, 54 minor, 56 external_lbasize, 60 external_nlba,
 * 64 internal_lbasize, 68 internal_nlba, 72 nfree, 76 infosize, 80 nextoff,
 * 88 dataoff, 96 mapoff, 104 logoff, 112 info2off, 120 padding, 4088 checksum.
 */
#ifndef VPMEM_BTT_H
#define VPMEM_BTT_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_BTT_SIG "BTT_ARENA_INFO"
#define VPMEM_BTT_INFO_SIZE 4096      /* struct btt_sb, infosize */
#define VPMEM_BTT_NFREE 256          /* ND_MAX_LANES */
#define VPMEM_BTT_MAX_ARENA (512ULL << 30)
#define VPMEM_BTT_MIN_ARENA (16ULL << 20)
#define VPMEM_BTT_MAX_ARENAS 4096

struct vpmem_btt_arena {
	uint64_t off;               /* arena start, from the namespace start */
	uint64_t size;
	uint32_t external_nlba, internal_nlba, external_lbasize, internal_lbasize, nfree;
	uint64_t nextoff, dataoff, mapoff, logoff, info2off;
};

struct vpmem_btt_layout {
	uint16_t major, minor;      /* 1.1 or 2.0 */
	uint64_t initial_offset;    /* 4096 (1.1) or 0 (2.0) */
	uint64_t rawsize;
	uint32_t lbasize;
	unsigned narenas;
	struct vpmem_btt_arena arena[VPMEM_BTT_MAX_ARENAS];
	uint64_t external_size;     /* sector device size: sum of external_nlba * lbasize */
};

/* The layout the kernel creates on a namespace of @ns_size bytes. */
int vpmem_btt_layout(uint64_t ns_size, uint32_t lbasize, bool v2, struct vpmem_btt_layout *l,
		     struct vpmem_err *err);

/* Encode arena @a's info block with @uuid (BTT) and @parent (namespace, may be zero). */
void vpmem_btt_info_encode(const struct vpmem_btt_layout *l, unsigned a, const uint8_t uuid[16],
			   const uint8_t parent[16], uint8_t out[4096]);

/* The initial flog of an arena: lane i slot 0 = {i, nlba+i, nlba+i, 1}. */
void vpmem_btt_flog_init(const struct vpmem_btt_arena *a, uint8_t *out /* logoff..info2off */);

struct vpmem_btt_info {
	uint8_t uuid[16], parent_uuid[16];
	uint32_t flags;
	uint16_t major, minor;
	struct vpmem_btt_arena a;   /* off = 0: relative */
};

/*
 * Decode an info block like nd_btt_arena_is_valid: signature, parent uuid
 * (zero or @parent), checksum. -ENODEV if not a BTT info block, -EINVAL if a
 * field is out of range (with the check named).
 */
int vpmem_btt_info_decode(const uint8_t buf[4096], const uint8_t *parent,
			  struct vpmem_btt_info *info, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
