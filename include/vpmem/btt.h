/* SPDX-License-Identifier: MIT */
/*
 * BTT (Block Translation Table, sector mode): arena layout, info blocks,
 * initial flog (Linux drivers/nvdimm/btt.h, btt.c create_arenas/alloc_arena/
 * btt_arena_write_layout/btt_log_init, btt_devs.c nd_btt_arena_is_valid;
 * Documentation/driver-api/nvdimm/btt.rst; doc/formats.md 5).
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
	uint64_t external_size;     /* sector device size: sum of external_nlba * lbasize */
	struct vpmem_btt_arena *arena; /* narenas of them (owned) */
	unsigned arena_alloc;
};

/* A struct vpmem_btt_layout, zeroed (no arenas); NULL when out of memory.
 * Free with vpmem_btt_layout_free (NULL is fine), which frees its arenas. */
struct vpmem_btt_layout *vpmem_btt_layout_new(void);
void vpmem_btt_layout_free(struct vpmem_btt_layout *l);

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


/* ---- sector I/O (Linux drivers/nvdimm/btt.c, doc/formats.md 5.4-5.5) ----
 *
 * Map entry (u32 LE, btt.h MAP_*): bits 31 (Z, "trim") and 30 (E, "error")
 * are flags, bits 29..0 the post-map block. Z=E=0 is the initial state: the
 * identity mapping (postmap = premap); Z=E=1 is a normal entry; Z alone reads
 * as zeros; E alone is a media error (reads fail). btt_map_read/btt_map_write.
 *
 * Flog: per lane a 64-byte group of four 16-byte entries {lba, old_map,
 * new_map, seq}; two are live (slots log_index[0], log_index[1] = (0,1), or
 * (0,2) on BTTs written by kernels before 4.15: log_set_indices), the newer is
 * the one whose seq follows the other's in the cycle 1-2-3-1
 * (btt_log_get_old; nd.h nd_inc_seq). The lane's free block is old_map of
 * the newer entry (btt_freelist_init).
 *
 * A write of one sector, in the kernel's order (btt_write_pg): data into the
 * lane's free block; flog entry {premap, old postmap, new postmap, seq} into
 * the lane's older slot, as two 8-byte halves (lba+old_map, then
 * new_map+seq: __btt_log_write); map entry new|Z|E. Cut after any single
 * write, a sector reads old or new: before the flog's second half the old
 * entry still wins; after it, opening rolls the map forward when the map
 * still holds old_map (btt_freelist_init), as the kernel does at enable.
 *
 * All I/O is pread/pwrite on the image's fd (never a mapping: a file
 * truncated underneath is an error, not SIGBUS); no signal handlers, no
 * allocation per sector. Threads may read and write at once: each thread
 * writes through its own lane (like the kernel's per-CPU lanes), map entries
 * are guarded by hashed locks (btt.c lock_map), and a reader holds the map
 * lock of its sector while it copies the data, so the block cannot be
 * recycled under it (the kernel's read tracking table does the same job).
 */
struct vpmem_btt;

/*
 * Open the BTT of a sector namespace of @ns_size bytes at byte @ns_off of
 * the image open on @fd: info block at +4096 (BTT 1.1) or +0 (@v2, BTT 2.0),
 * every arena (nextoff chain), flog indices and free blocks, and the
 * kernel's map roll-forward for a flog entry whose map write was cut. With
 * @rdonly nothing is written: the roll-forward is kept in memory.
 * -ENODEV: no BTT there; -EINVAL: a corrupt arena (message names it).
 */
int vpmem_btt_open(int fd, uint64_t ns_off, uint64_t ns_size, bool v2, const uint8_t *parent,
		   bool rdonly, struct vpmem_btt **out, struct vpmem_err *err);
void vpmem_btt_close(struct vpmem_btt *b);

uint32_t vpmem_btt_sector_size(const struct vpmem_btt *b);   /* 512 or 4096 */
uint64_t vpmem_btt_nlba(const struct vpmem_btt *b);          /* sectors */
unsigned vpmem_btt_narenas(const struct vpmem_btt *b);
/* Map roll-forwards done (or, read-only, kept in memory) when opening. */
unsigned vpmem_btt_recovered(const struct vpmem_btt *b);

/* Read / write @n sectors from sector @lba. Errors: -EIO (E flag, bad
 * metadata, short read: truncated image), -EROFS, -ERANGE. */
int vpmem_btt_read(struct vpmem_btt *b, uint64_t lba, uint64_t n, void *buf, struct vpmem_err *err);
int vpmem_btt_write(struct vpmem_btt *b, uint64_t lba, uint64_t n, const void *buf,
		    struct vpmem_err *err);
/* Make @n sectors read as zeros: the map entries get the Z flag (one
 * 4-byte write per entry, keeping the block they own, so `ndctl
 * check-namespace` still sees every block referenced once). */
int vpmem_btt_zero(struct vpmem_btt *b, uint64_t lba, uint64_t n, struct vpmem_err *err);
/* The run of sectors from @lba (at most @max) that are all known to read as
 * zeros (*zero: trimmed, or a block the image holds as a hole) or all data:
 * *n of them (>= 1 unless @max is 0). For NBD block status; advisory. */
int vpmem_btt_extent(struct vpmem_btt *b, uint64_t lba, uint64_t max, uint64_t *n, bool *zero,
		     struct vpmem_err *err);
/* fdatasync: what was written before survives a host power loss. */
int vpmem_btt_flush(struct vpmem_btt *b, struct vpmem_err *err);

/*
 * Fault injection for crash tests: after @n more pwrite calls every write
 * fails with -EIO ("simulated crash"), as if the process had died there.
 * -1 = no limit. vpmem_btt_writes() counts the pwrite calls made so far.
 */
void vpmem_btt_set_write_limit(struct vpmem_btt *b, long long n);
uint64_t vpmem_btt_writes(const struct vpmem_btt *b);

/*
 * Read-only views of an open BTT for `vpmem check` (check.c), so the checker
 * walks the same arenas, flog indices and roll-forwards as the data path.
 */
struct vpmem_btt_view {
	uint64_t info, data, map, log, info2;   /* absolute offsets in the image */
	uint32_t external_nlba, internal_nlba, nfree;
	int log_index[2];                       /* live flog slots: (0,1) or (0,2) */
	unsigned npending;                      /* roll-forwards kept in memory (read-only open) */
};
int vpmem_btt_arena_view(const struct vpmem_btt *b, unsigned ai, struct vpmem_btt_view *v);
/* Raw map entries [p, p + n) of arena @ai (CPU order, flags kept), pending
 * roll-forwards applied. */
int vpmem_btt_map_raw(const struct vpmem_btt *b, unsigned ai, uint32_t p, uint32_t n, uint32_t *raw,
		      struct vpmem_err *err);
/* The newer live flog entry of @lane: {lba, old_map, new_map, seq}. */
void vpmem_btt_log_new(const struct vpmem_btt *b, unsigned ai, uint32_t lane, uint32_t ent[4]);
/* Roll-forward @i (< npending) of arena @ai: the map entry to write. */
void vpmem_btt_pending(const struct vpmem_btt *b, unsigned ai, unsigned i, uint32_t *lba, uint32_t *map);

#ifdef __cplusplus
}
#endif
#endif
