// SPDX-License-Identifier: MIT
/* BTT layout, info blocks and sector I/O; sources in include/vpmem/btt.h. */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/btt.h>
#include <vpmem/pfn.h>
#include <vpmem/size.h>

#include "format/ondisk.h"
#include "util/le.h"


#define BTT_PG 4096ULL
#define LOG_GRP 64ULL
#define LOG_ENT 16ULL

static uint64_t roundup(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* The sector sizes the kernel's BTT takes (drivers/nvdimm/btt_devs.c btt_lbasize_supported). */
static bool lbasize_ok(uint32_t lbasize)
{
	static const uint32_t sizes[] = { 512, 520, 528, 4096, 4104, 4160, 4224 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (lbasize == sizes[i])
			return true;
	return false;
}

int vpmem_btt_layout(uint64_t ns_size, uint32_t lbasize, bool v2, struct vpmem_btt_layout *l,
		     struct vpmem_err *err)
{
	uint64_t remaining, off = 0;

	/* the header; each arena is cleared as it is laid out, in an array
	 * grown to what the namespace has (one per 512G) */
	memset(l, 0, offsetof(struct vpmem_btt_layout, arena));
	if (!lbasize_ok(lbasize))
		return vpmem_err_set(err, EINVAL, "sector size %u is not supported by the BTT", lbasize);
	l->major = v2 ? 2 : 1;
	l->minor = v2 ? 0 : 1;
	l->initial_offset = v2 ? 0 : VPMEM_BTT_INFO_SIZE;
	l->lbasize = lbasize;
	if (ns_size < VPMEM_BTT_MIN_ARENA + l->initial_offset)
		return vpmem_err_set(err, EINVAL,
				     "a sector namespace needs %s16M (BTT arenas are at least 16M%s)",
				     v2 ? "at least " : "more than ", v2 ? "" : " after the 4K before the BTT 1.1 info block");
	l->rawsize = ns_size - l->initial_offset;
	remaining = l->rawsize;
	/* create_arenas() / alloc_arena() */
	while (remaining) {
		uint64_t asize = remaining < VPMEM_BTT_MAX_ARENA ? remaining : VPMEM_BTT_MAX_ARENA;
		struct vpmem_btt_arena *a;
		uint64_t avail, logsize, mapsize, datasize;

		remaining -= asize;
		if (asize < VPMEM_BTT_MIN_ARENA)
			break;
		if (l->narenas >= VPMEM_BTT_MAX_ARENAS)
			return vpmem_err_set(err, EINVAL, "namespace too large for the BTT");
		if (l->narenas == l->arena_alloc) {
			unsigned na = l->arena_alloc ? 2 * l->arena_alloc : 4;
			struct vpmem_btt_arena *nar = realloc(l->arena, na * sizeof(*nar));

			if (!nar)
				return vpmem_err_set(err, ENOMEM, "out of memory");
			l->arena = nar;
			l->arena_alloc = na;
		}
		a = &l->arena[l->narenas++];
		memset(a, 0, sizeof(*a));
		a->off = l->initial_offset + off;
		a->size = asize;
		a->nfree = VPMEM_BTT_NFREE;
		a->external_lbasize = lbasize;
		a->internal_lbasize = (uint32_t)roundup(lbasize, 64);
		avail = asize - asize % BTT_PG - 2 * BTT_PG;  /* info + info2 */
		logsize = roundup((uint64_t)a->nfree * LOG_GRP, BTT_PG);
		avail -= logsize;
		a->internal_nlba = (uint32_t)((avail - BTT_PG) / (a->internal_lbasize + 4));
		a->external_nlba = a->internal_nlba - a->nfree;
		mapsize = roundup((uint64_t)a->external_nlba * 4, BTT_PG);
		datasize = avail - mapsize;
		a->dataoff = BTT_PG;
		a->mapoff = a->dataoff + datasize;
		a->logoff = a->mapoff + mapsize;
		a->info2off = a->logoff + logsize;
		a->nextoff = remaining >= VPMEM_BTT_MIN_ARENA ? asize : 0;
		off += asize;
		l->external_size += (uint64_t)a->external_nlba * lbasize;
	}
	if (!l->narenas)
		return vpmem_err_set(err, EINVAL, "namespace too small for a BTT arena");
	return 0;
}

void vpmem_btt_info_encode(const struct vpmem_btt_layout *l, unsigned ai, const uint8_t uuid[16],
			   const uint8_t parent[16], uint8_t out[VPMEM_BTT_INFO_SIZE])
{
	const struct vpmem_btt_arena *a = &l->arena[ai];

	memset(out, 0, VPMEM_BTT_INFO_SIZE);
	memcpy(out + B_SIG, VPMEM_BTT_SIG, sizeof(VPMEM_BTT_SIG));
	memcpy(out + B_UUID, uuid, 16);
	if (parent)
		memcpy(out + B_PARENT, parent, 16);
	put_le16(out + B_MAJOR, l->major);
	put_le16(out + B_MINOR, l->minor);
	put_le32(out + B_EXT_LBASIZE, a->external_lbasize);
	put_le32(out + B_EXT_NLBA, a->external_nlba);
	put_le32(out + B_INT_LBASIZE, a->internal_lbasize);
	put_le32(out + B_INT_NLBA, a->internal_nlba);
	put_le32(out + B_NFREE, a->nfree);
	put_le32(out + B_INFOSIZE, VPMEM_BTT_INFO_SIZE);
	put_le64(out + B_NEXTOFF, a->nextoff);
	put_le64(out + B_DATAOFF, a->dataoff);
	put_le64(out + B_MAPOFF, a->mapoff);
	put_le64(out + B_LOGOFF, a->logoff);
	put_le64(out + B_INFO2OFF, a->info2off);
	put_le64(out + B_CHECKSUM, vpmem_sb_checksum(out));
}

void vpmem_btt_flog_init(const struct vpmem_btt_arena *a, uint8_t *out)
{
	memset(out, 0, a->info2off - a->logoff);
	/* btt_log_init(): lane i, entry 0 = {lba i, old = new = external_nlba + i, seq 1} */
	for (uint32_t i = 0; i < a->nfree; i++) {
		uint8_t *e = out + i * LOG_GRP;

		put_le32(e + 0, i);
		put_le32(e + 4, a->external_nlba + i);
		put_le32(e + 8, a->external_nlba + i);
		put_le32(e + 12, 1);
	}
}

int vpmem_btt_info_decode(const uint8_t buf[VPMEM_BTT_INFO_SIZE], const uint8_t *parent,
			  struct vpmem_btt_info *info, struct vpmem_err *err)
{
	static const uint8_t zero[16];
	struct vpmem_btt_arena *a = &info->a;

	memset(info, 0, sizeof(*info));
	if (memcmp(buf + B_SIG, VPMEM_BTT_SIG, sizeof(VPMEM_BTT_SIG)))
		return vpmem_err_set(err, ENODEV, "no BTT info block");
	memcpy(info->uuid, buf + B_UUID, 16);
	memcpy(info->parent_uuid, buf + B_PARENT, 16);
	/* nd_btt_arena_is_valid(): a zero parent uuid is accepted anywhere */
	if (memcmp(info->parent_uuid, zero, 16) && (!parent || memcmp(info->parent_uuid, parent, 16)))
		return vpmem_err_set(err, ENODEV, "BTT info block: parent_uuid is not the namespace's");
	if (vpmem_sb_checksum(buf) != get_le64(buf + B_CHECKSUM))
		return vpmem_err_set(err, ENODEV, "BTT info block: bad checksum");
	info->flags = get_le32(buf + B_FLAGS);
	info->major = get_le16(buf + B_MAJOR);
	info->minor = get_le16(buf + B_MINOR);
	a->external_lbasize = get_le32(buf + B_EXT_LBASIZE);
	a->external_nlba = get_le32(buf + B_EXT_NLBA);
	a->internal_lbasize = get_le32(buf + B_INT_LBASIZE);
	a->internal_nlba = get_le32(buf + B_INT_NLBA);
	a->nfree = get_le32(buf + B_NFREE);
	a->nextoff = get_le64(buf + B_NEXTOFF);
	a->dataoff = get_le64(buf + B_DATAOFF);
	a->mapoff = get_le64(buf + B_MAPOFF);
	a->logoff = get_le64(buf + B_LOGOFF);
	a->info2off = get_le64(buf + B_INFO2OFF);
	if (get_le32(buf + B_INFOSIZE) != VPMEM_BTT_INFO_SIZE)
		return vpmem_err_set(err, EINVAL, "BTT info block: infosize %u is not 4096",
				     get_le32(buf + B_INFOSIZE));
	if (a->internal_nlba < a->external_nlba || a->internal_nlba - a->external_nlba != a->nfree)
		return vpmem_err_set(err, EINVAL, "BTT info block: internal_nlba - external_nlba != nfree");
	if (a->internal_lbasize < a->external_lbasize || !a->external_lbasize)
		return vpmem_err_set(err, EINVAL, "BTT info block: bad sector sizes");
	if (!(a->dataoff < a->mapoff && a->mapoff < a->logoff && a->logoff < a->info2off))
		return vpmem_err_set(err, EINVAL, "BTT info block: areas out of order");
	if ((uint64_t)a->internal_nlba * a->internal_lbasize > a->mapoff - a->dataoff ||
	    (uint64_t)a->external_nlba * 4 > a->logoff - a->mapoff ||
	    (uint64_t)a->nfree * LOG_GRP > a->info2off - a->logoff)
		return vpmem_err_set(err, EINVAL, "BTT info block: areas overlap");
	return 0;
}

/* ---- sector I/O: Linux drivers/nvdimm/btt.c, cited per function ---- */

#define MAP_Z (1u << 31)            /* btt.h MAP_TRIM_SHIFT */
#define MAP_E (1u << 30)            /* btt.h MAP_ERR_SHIFT */
#define MAP_NORMAL (MAP_Z | MAP_E)  /* btt.h MAP_ENT_NORMAL */
#define MAP_LBA_MASK (~MAP_NORMAL)
#define NMAPLOCK 256u               /* hashed map locks per arena (btt.c lock_map) */
#define MAXLANES 256u               /* ND_MAX_LANES */
#define MAXBATCH 1024u              /* map entries handled per locked step */
#define MAX_NFREE 65536u            /* sanity bound before allocating per-lane state */

struct btt_lane {                   /* btt.h struct free_entry */
	uint32_t block;             /* the lane's free block (flags stripped) */
	uint32_t err;               /* MAP_E when the free block carries an error */
	uint8_t sub;                /* the slot (0/1) the next flog write goes to */
	uint8_t seq;                /* its sequence number, 1-2-3-1 */
};

struct btt_fix {                    /* a map roll-forward kept in memory (read-only) */
	uint32_t lba, map;
};

struct btt_arena {
	uint64_t info, data, map, log, info2;  /* absolute offsets in the image */
	uint64_t lba_start;                     /* first external LBA */
	uint32_t external_nlba, internal_nlba, internal_lbasize, nfree, flags;
	int log_index[2];
	struct btt_lane *lane;
	uint8_t *flog;                          /* cached copy of the flog, nfree x 64 */
	struct btt_fix *fix;
	unsigned nfix;
	pthread_mutex_t maplock[NMAPLOCK];
};

struct vpmem_btt {
	int fd;
	bool rdonly;
	uint32_t sector_size, lbasize;
	uint64_t nlba, end;                     /* end: where the last arena ends in the file */
	unsigned narenas, nlanes, recovered;
	struct btt_arena *a;
	pthread_mutex_t lane_lock[MAXLANES];
	atomic_uint next_lane;
	atomic_llong budget;                    /* writes left before a simulated crash; <0 none */
	atomic_ullong nwrites;
};

/* nd.h nd_inc_seq(): 1 -> 2 -> 3 -> 1; 0 stays 0 */
static uint32_t inc_seq(uint32_t seq)
{
	static const uint32_t next[] = { 0, 2, 3, 1 };

	return next[seq & 3];
}

static int pread_all(const struct vpmem_btt *b, void *buf, size_t len, uint64_t off, struct vpmem_err *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(b->fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vpmem_err_set(err, errno, "cannot read at 0x%" PRIx64 ": %s", off + done,
					     strerror(errno));
		if (r == 0)
			return vpmem_err_set(err, EIO, "the image ends before 0x%" PRIx64 " (truncated?)",
					     off + len);
		done += (size_t)r;
	}
	return 0;
}

static int pwrite_all(struct vpmem_btt *b, const void *buf, size_t len, uint64_t off, struct vpmem_err *err)
{
	size_t done = 0;

	if (b->rdonly)
		return vpmem_err_set(err, EROFS, "the BTT is open read-only");
	if (atomic_load(&b->budget) >= 0 && atomic_fetch_sub(&b->budget, 1) <= 0)
		return vpmem_err_set(err, EIO, "simulated crash: write limit reached");
	atomic_fetch_add(&b->nwrites, 1);
	while (done < len) {
		ssize_t r = pwrite(b->fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return vpmem_err_set(err, r ? errno : EIO, "cannot write at 0x%" PRIx64 ": %s",
					     off + done, strerror(r ? errno : EIO));
		done += (size_t)r;
	}
	return 0;
}

/* btt.c lock_map(): one lock per 64-byte line of map entries, hashed */
static unsigned maplock_idx(uint64_t premap)
{
	return (unsigned)((premap * 4 / 64) % NMAPLOCK);
}

/* Lock the map entries [p, p + n) (n <= MAXBATCH) in ascending lock order:
 * their locks are consecutive indices, maybe wrapping past the last one. */
static void lock_range(struct btt_arena *a, uint64_t p, uint64_t n, bool lock)
{
	unsigned first = maplock_idx(p), cnt = (unsigned)((p + n - 1) / 16 - p / 16 + 1);
	unsigned lo[2], hi[2], parts;

	if (cnt >= NMAPLOCK) {
		lo[0] = 0, hi[0] = NMAPLOCK - 1, parts = 1;
	} else if (first + cnt <= NMAPLOCK) {
		lo[0] = first, hi[0] = first + cnt - 1, parts = 1;
	} else {                        /* wraps: [0, rest) then [first, end] */
		lo[0] = 0, hi[0] = first + cnt - NMAPLOCK - 1;
		lo[1] = first, hi[1] = NMAPLOCK - 1, parts = 2;
	}
	for (unsigned k = 0; k < parts; k++)
		for (unsigned i = lo[k]; i <= hi[k]; i++) {
			if (lock)
				pthread_mutex_lock(&a->maplock[i]);
			else
				pthread_mutex_unlock(&a->maplock[i]);
		}
}

static int fix_cmp(const void *x, const void *y)
{
	const struct btt_fix *a = x, *b = y;

	return a->lba < b->lba ? -1 : a->lba > b->lba;
}

/* Raw map entries [p, p + n) of arena @a, with in-memory roll-forwards applied. */
static int map_read(const struct vpmem_btt *b, const struct btt_arena *a, uint32_t p, uint32_t n,
		    uint32_t *raw, struct vpmem_err *err)
{
	int r = pread_all(b, raw, (size_t)n * 4, a->map + (uint64_t)p * 4, err);

	if (r)
		return r;
	for (uint32_t i = 0; i < n; i++)
		raw[i] = le32toh(raw[i]);
	if (a->nfix) {
		for (uint32_t i = 0; i < n; i++) {
			struct btt_fix key = { p + i, 0 }, *f;

			f = bsearch(&key, a->fix, a->nfix, sizeof(*f), fix_cmp);
			if (f)
				raw[i] = f->map;
		}
	}
	return 0;
}

/* btt.c btt_map_read(): post-map block of @premap from its raw entry */
static uint32_t map_post(uint32_t premap, uint32_t raw)
{
	return (raw & MAP_NORMAL) ? raw & MAP_LBA_MASK : premap;
}

static int map_write1(struct vpmem_btt *b, const struct btt_arena *a, uint32_t premap, uint32_t raw,
		      struct vpmem_err *err)
{
	uint32_t le = htole32(raw);

	return pwrite_all(b, &le, 4, a->map + (uint64_t)premap * 4, err);
}

static const uint8_t *flog_ent(const struct btt_arena *a, uint32_t lane, int slot)
{
	return a->flog + (uint64_t)lane * LOG_GRP + (uint64_t)slot * LOG_ENT;
}

static bool ent_is_padding(const uint8_t *e)
{
	static const uint8_t zero[LOG_ENT];

	return !memcmp(e, zero, LOG_ENT);
}

/* btt.c log_set_indices(): which two of the four slots hold live entries */
static int log_set_indices(struct btt_arena *a, unsigned ai, struct vpmem_err *err)
{
	bool idx_set = false, initial = true;
	int idx[2] = { -1, -1 }, next = 0;

	for (uint32_t i = 0; i < a->nfree; i++) {
		unsigned pad = 0;

		for (int j = 0; j < 4; j++) {
			const uint8_t *e = flog_ent(a, i, j);

			if (!idx_set) {
				if (ent_is_padding(e)) {
					pad++;
					continue;
				}
				if (next == 1 && j == idx[0])
					continue;
				idx[next++] = j;
				if (next == 2)
					idx_set = true;
			} else if (j == idx[0]) {
				if (ent_is_padding(e))
					goto bad;
			} else if (j != idx[1] && !ent_is_padding(e)) {
				goto bad;
			}
		}
		if (pad < 3)
			initial = false;
	}
	if (!initial && !idx_set)
		goto bad;
	if (initial)
		idx[1] = 1;
	if (idx[0] != 0 || (idx[1] != 1 && idx[1] != 2))
		goto bad;
	a->log_index[0] = idx[0];
	a->log_index[1] = idx[1];
	return 0;
bad:
	return vpmem_err_set(err, EINVAL, "BTT arena %u: cannot tell the flog's slots from its padding", ai);
}

/*
 * btt.c btt_log_get_old(): which live slot (0/1 = log_index[0/1]) is older,
 * on a copy of the group (a zero seq in the first slot is taken as 1).
 */
static int log_get_old(const struct btt_arena *a, uint32_t lane, uint32_t seq[2])
{
	seq[0] = get_le32(flog_ent(a, lane, a->log_index[0]) + 12);
	seq[1] = get_le32(flog_ent(a, lane, a->log_index[1]) + 12);
	if (seq[0] == 0) {
		seq[0] = 1;
		return 0;
	}
	if (seq[0] == seq[1] || seq[0] + seq[1] > 5)
		return -1;
	if (seq[0] < seq[1])
		return seq[1] - seq[0] == 1 ? 0 : 1;
	return seq[0] - seq[1] == 1 ? 1 : 0;
}

/* btt.c btt_freelist_init(): free blocks, next slots and seqs; map roll-forward */
static int freelist_init(struct vpmem_btt *b, struct btt_arena *a, unsigned ai, struct vpmem_err *err)
{
	for (uint32_t i = 0; i < a->nfree; i++) {
		uint32_t seq[2], lba, oldm, newm, raw, cur;
		int old = log_get_old(a, i, seq), nw;
		const uint8_t *e;
		int r;

		if (old < 0)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: flog lane %u is corrupt (seq %u, %u)",
					     ai, i, seq[0], seq[1]);
		nw = 1 - old;
		e = flog_ent(a, i, a->log_index[nw]);
		lba = get_le32(e);
		oldm = get_le32(e + 4);
		newm = get_le32(e + 8);
		a->lane[i].sub = (uint8_t)(1 - nw);
		a->lane[i].seq = (uint8_t)inc_seq(seq[nw]);
		a->lane[i].block = oldm & MAP_LBA_MASK;
		/* ent_e_flag && !ent_normal: the block needs its error cleared; our
		 * next write to it overwrites the whole block anyway */
		a->lane[i].err = (oldm & MAP_NORMAL) == MAP_E ? MAP_E : 0;
		if (a->lane[i].block >= a->internal_nlba)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: flog lane %u frees block %u of %u",
					     ai, i, a->lane[i].block, a->internal_nlba);
		oldm &= MAP_LBA_MASK;
		newm &= MAP_LBA_MASK;
		if (oldm == newm)
			continue;       /* a new or untouched lane */
		if (lba >= a->external_nlba)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: flog lane %u names lba %u of %u",
					     ai, i, lba, a->external_nlba);
		r = map_read(b, a, lba, 1, &raw, err);
		if (r)
			return r;
		cur = map_post(lba, raw);
		if (newm != cur && oldm == cur) {
			/* the last write reached the flog but not the map: roll forward */
			b->recovered++;
			if (b->rdonly) {
				struct btt_fix *f = realloc(a->fix, (a->nfix + 1) * sizeof(*f));

				if (!f)
					return vpmem_err_set(err, ENOMEM, "out of memory");
				a->fix = f;
				a->fix[a->nfix++] = (struct btt_fix){ lba, newm | MAP_NORMAL };
				qsort(a->fix, a->nfix, sizeof(*f), fix_cmp);
			} else if ((r = map_write1(b, a, lba, newm | MAP_NORMAL, err))) {
				return r;
			}
		}
	}
	return 0;
}

static void arenas_free(struct vpmem_btt *b)
{
	for (unsigned i = 0; i < b->narenas; i++) {
		free(b->a[i].lane);
		free(b->a[i].flog);
		free(b->a[i].fix);
		for (unsigned k = 0; k < NMAPLOCK; k++)
			pthread_mutex_destroy(&b->a[i].maplock[k]);
	}
	free(b->a);
}

void vpmem_btt_close(struct vpmem_btt *b)
{
	if (!b)
		return;
	arenas_free(b);
	for (unsigned k = 0; k < MAXLANES; k++)
		pthread_mutex_destroy(&b->lane_lock[k]);
	free(b);
}

/* btt.c discover_arenas() + parse_arena_meta(), then the flog per arena */
static int discover(struct vpmem_btt *b, uint64_t ns_off, uint64_t ns_size, bool v2,
		    const uint8_t *parent, struct vpmem_err *err)
{
	uint64_t start = v2 ? 0 : VPMEM_BTT_INFO_SIZE, rawsize, cur = 0;
	uint8_t sb[VPMEM_BTT_INFO_SIZE];

	if (ns_size < start + VPMEM_BTT_MIN_ARENA)
		return vpmem_err_set(err, ENODEV, "namespace too small for a BTT");
	rawsize = ns_size - start;
	while (cur < rawsize) {
		struct vpmem_btt_info info;
		struct btt_arena *a, *na;
		uint64_t size, base = ns_off + start + cur;
		int r;

		if (b->narenas >= VPMEM_BTT_MAX_ARENAS)
			return vpmem_err_set(err, EINVAL, "BTT: more than %u arenas", VPMEM_BTT_MAX_ARENAS);
		if (rawsize - cur < VPMEM_BTT_INFO_SIZE)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: no room for its info block", b->narenas);
		r = pread_all(b, sb, sizeof(sb), base, err);
		if (r)
			return r;
		r = vpmem_btt_info_decode(sb, parent, &info, err);
		if (r == -ENODEV && b->narenas) {
			/* a later arena without its info block is corruption, not "not BTT" */
			vpmem_err_prefix(err, "BTT arena %u at 0x%" PRIx64, b->narenas, base);
			if (err)
				err->code = EINVAL;
			return -EINVAL;
		}
		if (r)
			return r;
		if (info.major != (v2 ? 2 : 1) || info.minor != (v2 ? 0 : 1))
			return vpmem_err_set(err, EINVAL, "BTT arena %u: version %u.%u where %s is expected",
					     b->narenas, info.major, info.minor, v2 ? "2.0" : "1.1");
		size = info.a.nextoff ? info.a.nextoff : info.a.info2off + VPMEM_BTT_INFO_SIZE;
		if (info.a.info2off > UINT64_MAX - VPMEM_BTT_INFO_SIZE || size < info.a.info2off + VPMEM_BTT_INFO_SIZE || size > rawsize - cur)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: runs past the namespace", b->narenas);
		if (info.a.nfree == 0 || info.a.nfree > MAX_NFREE)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: nfree %u", b->narenas, info.a.nfree);
		if (!lbasize_ok(info.a.external_lbasize))
			return vpmem_err_set(err, EOPNOTSUPP, "BTT arena %u: sector size %u is not supported",
					     b->narenas, info.a.external_lbasize);
		if (b->narenas && info.a.external_lbasize != b->lbasize)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: sector size differs from arena 0", b->narenas);
		if (info.a.dataoff < VPMEM_BTT_INFO_SIZE)
			return vpmem_err_set(err, EINVAL, "BTT arena %u: data overlaps the info block", b->narenas);
		na = realloc(b->a, (b->narenas + 1) * sizeof(*na));
		if (!na)
			return vpmem_err_set(err, ENOMEM, "out of memory");
		b->a = na;
		a = &b->a[b->narenas];
		memset(a, 0, sizeof(*a));
		for (unsigned k = 0; k < NMAPLOCK; k++)
			pthread_mutex_init(&a->maplock[k], NULL);
		b->narenas++;
		a->info = base;
		a->data = base + info.a.dataoff;
		a->map = base + info.a.mapoff;
		a->log = base + info.a.logoff;
		a->info2 = base + info.a.info2off;
		a->lba_start = b->nlba;
		a->external_nlba = info.a.external_nlba;
		a->internal_nlba = info.a.internal_nlba;
		a->internal_lbasize = info.a.internal_lbasize;
		a->nfree = info.a.nfree;
		a->flags = info.flags;
		b->lbasize = info.a.external_lbasize;
		b->nlba += info.a.external_nlba;
		b->end = a->info2 + VPMEM_BTT_INFO_SIZE;
		a->lane = calloc(a->nfree, sizeof(*a->lane));
		a->flog = malloc((size_t)a->nfree * LOG_GRP);
		if (!a->lane || !a->flog)
			return vpmem_err_set(err, ENOMEM, "out of memory");
		r = pread_all(b, a->flog, (size_t)a->nfree * LOG_GRP, a->log, err);
		if (!r)
			r = log_set_indices(a, b->narenas - 1, err);
		if (!r)
			r = freelist_init(b, a, b->narenas - 1, err);
		if (r)
			return r;
		if (!info.a.nextoff)
			break;
		cur += size;
	}
	/* btt_init(): sector_size = lbasize >= 4096 ? 4096 : 512 (the rest is
	 * integrity metadata, which we neither read nor write) */
	b->sector_size = b->lbasize >= 4096 ? 4096 : 512;
	b->nlanes = MAXLANES;
	for (unsigned i = 0; i < b->narenas; i++)
		if (b->a[i].nfree < b->nlanes)
			b->nlanes = b->a[i].nfree;
	return 0;
}

int vpmem_btt_open(int fd, uint64_t ns_off, uint64_t ns_size, bool v2, const uint8_t *parent,
		   bool rdonly, struct vpmem_btt **out, struct vpmem_err *err)
{
	struct vpmem_btt *b = calloc(1, sizeof(*b));
	int r;

	*out = NULL;
	if (!b)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	b->fd = fd;
	b->rdonly = rdonly;
	atomic_init(&b->budget, -1);
	atomic_init(&b->nwrites, 0);
	atomic_init(&b->next_lane, 0);
	for (unsigned k = 0; k < MAXLANES; k++)
		pthread_mutex_init(&b->lane_lock[k], NULL);
	r = discover(b, ns_off, ns_size, v2, parent, err);
	if (r) {
		vpmem_btt_close(b);
		return r;
	}
	*out = b;
	return 0;
}

uint32_t vpmem_btt_sector_size(const struct vpmem_btt *b) { return b->sector_size; }
uint64_t vpmem_btt_nlba(const struct vpmem_btt *b) { return b->nlba; }
unsigned vpmem_btt_narenas(const struct vpmem_btt *b) { return b->narenas; }
unsigned vpmem_btt_recovered(const struct vpmem_btt *b) { return b->recovered; }
uint64_t vpmem_btt_writes(const struct vpmem_btt *b) { return atomic_load(&b->nwrites); }

void vpmem_btt_set_write_limit(struct vpmem_btt *b, long long n)
{
	atomic_store(&b->budget, n < 0 ? -1 : n);
}

/* btt.c lba_to_arena() */
static struct btt_arena *lba_arena(struct vpmem_btt *b, uint64_t lba, uint32_t *premap)
{
	for (unsigned i = 0; i < b->narenas; i++)
		if (lba < b->a[i].lba_start + b->a[i].external_nlba) {
			*premap = (uint32_t)(lba - b->a[i].lba_start);
			return &b->a[i];
		}
	return NULL;
}

static int range_check(const struct vpmem_btt *b, uint64_t lba, uint64_t n, struct vpmem_err *err)
{
	if (lba > b->nlba || n > b->nlba - lba)
		return vpmem_err_set(err, ERANGE, "sectors %" PRIu64 "+%" PRIu64 " are past the end (%" PRIu64 ")",
				     lba, n, b->nlba);
	return 0;
}

/*
 * One step of a loop over the arenas: the arena holding @lba (its premap
 * lba in *@p) and in *@k how many of the @n sectors from @lba it holds, at
 * most @max. NULL, with @err set, past the last arena.
 */
static struct btt_arena *arena_step(struct vpmem_btt *b, uint64_t lba, uint64_t n, uint32_t max, uint32_t *p,
				    uint32_t *k, struct vpmem_err *err)
{
	struct btt_arena *a = lba_arena(b, lba, p);

	if (!a) {
		vpmem_err_set(err, ERANGE, "sector %" PRIu64 " is past the end", lba);
		return NULL;
	}
	*k = (uint32_t)(n < max ? n : max);
	if (*k > a->external_nlba - *p)
		*k = a->external_nlba - *p;
	return a;
}

static uint64_t block_off(const struct btt_arena *a, uint32_t postmap)
{
	return a->data + (uint64_t)postmap * a->internal_lbasize;  /* to_namespace_offset() */
}

/* btt.c btt_read_pg(), for up to MAXBATCH sectors of one arena under their map locks */
static int read_step(struct vpmem_btt *b, struct btt_arena *a, uint32_t p, uint32_t n, uint8_t *buf,
		     struct vpmem_err *err)
{
	uint32_t raw[MAXBATCH];
	int r;

	lock_range(a, p, n, true);
	r = map_read(b, a, p, n, raw, err);
	for (uint32_t i = 0; !r && i < n;) {
		uint32_t post = map_post(p + i, raw[i]), run = 1;

		if ((raw[i] & MAP_NORMAL) == MAP_Z) {           /* trimmed: zeros */
			memset(buf + (size_t)i * b->sector_size, 0, b->sector_size);
			i++;
			continue;
		}
		if ((raw[i] & MAP_NORMAL) == MAP_E) {
			r = vpmem_err_set(err, EIO, "sector %" PRIu64 " is marked as a media error",
					  a->lba_start + p + i);
			break;
		}
		if (post >= a->internal_nlba) {
			r = vpmem_err_set(err, EIO, "map entry of sector %" PRIu64 " is out of bounds",
					  a->lba_start + p + i);
			break;
		}
		/* consecutive blocks read in one call when blocks are packed */
		while (a->internal_lbasize == b->sector_size && i + run < n &&
		       (raw[i + run] & MAP_NORMAL) != MAP_Z && (raw[i + run] & MAP_NORMAL) != MAP_E &&
		       map_post(p + i + run, raw[i + run]) == post + run && post + run < a->internal_nlba)
			run++;
		r = pread_all(b, buf + (size_t)i * b->sector_size, (size_t)run * b->sector_size,
			      block_off(a, post), err);
		i += run;
	}
	lock_range(a, p, n, false);
	return r;
}

int vpmem_btt_read(struct vpmem_btt *b, uint64_t lba, uint64_t n, void *buf, struct vpmem_err *err)
{
	uint8_t *out = buf;
	int r = range_check(b, lba, n, err);

	while (!r && n) {
		uint32_t p, k;
		struct btt_arena *a = arena_step(b, lba, n, MAXBATCH, &p, &k, err);

		if (!a)
			return -ERANGE;
		r = read_step(b, a, p, k, out, err);
		out += (size_t)k * b->sector_size;
		lba += k;
		n -= k;
	}
	return r;
}

/* The lane of this thread (the kernel takes the CPU's: nd_region_acquire_lane). */
static _Thread_local unsigned lane_hint = UINT32_MAX;

static unsigned lane_get(struct vpmem_btt *b)
{
	unsigned l;

	if (lane_hint == UINT32_MAX)
		lane_hint = atomic_fetch_add(&b->next_lane, 1);
	l = lane_hint % b->nlanes;
	pthread_mutex_lock(&b->lane_lock[l]);
	return l;
}

/* Fill a flog entry for @lane and write it into the lane's older slot as
 * two 8-byte halves (btt.c btt_flog_write / __btt_log_write). */
static int flog_write(struct vpmem_btt *b, struct btt_arena *a, uint32_t lane, uint32_t premap,
		      uint32_t oldm, uint32_t newm, struct vpmem_err *err)
{
	struct btt_lane *l = &a->lane[lane];
	uint64_t off = (uint64_t)lane * LOG_GRP + (uint64_t)a->log_index[l->sub] * LOG_ENT;
	uint8_t *e = a->flog + off;
	int r;

	put_le32(e, premap);
	put_le32(e + 4, oldm);
	put_le32(e + 8, newm);
	put_le32(e + 12, l->seq);
	r = pwrite_all(b, e, 8, a->log + off, err);
	if (!r)
		r = pwrite_all(b, e + 8, 8, a->log + off + 8, err);
	return r;
}

/* After the flog entry is down: prepare the lane's next write. */
static void lane_advance(struct btt_lane *l, uint32_t oldm)
{
	l->sub = (uint8_t)(1 - l->sub);
	l->seq = (uint8_t)inc_seq(l->seq);
	l->err = (oldm & MAP_NORMAL) == MAP_E ? MAP_E : 0;
	l->block = oldm & MAP_LBA_MASK;
}

/* btt.c btt_write_pg() for one sector */
static int write_one(struct vpmem_btt *b, struct btt_arena *a, uint32_t p, const uint8_t *buf,
		     struct vpmem_err *err)
{
	unsigned lane = lane_get(b);
	uint32_t newm = a->lane[lane].block, raw, oldm;
	int r;

	if (newm >= a->internal_nlba) {
		r = vpmem_err_set(err, EIO, "BTT lane %u: free block out of bounds", lane);
		goto out;
	}
	r = pwrite_all(b, buf, b->sector_size, block_off(a, newm), err);
	if (r)
		goto out;
	lock_range(a, p, 1, true);
	r = map_read(b, a, p, 1, &raw, err);
	oldm = map_post(p, raw);
	if (!r && oldm >= a->internal_nlba)
		r = vpmem_err_set(err, EIO, "map entry of sector %" PRIu64 " is out of bounds", a->lba_start + p);
	if ((raw & MAP_NORMAL) == MAP_E)
		oldm |= MAP_E;   /* set_e_flag(old_postmap) */
	if (!r)
		r = flog_write(b, a, lane, p, oldm, newm, err);
	if (!r) {
		lane_advance(&a->lane[lane], oldm);
		r = map_write1(b, a, p, newm | MAP_NORMAL, err);
	}
	lock_range(a, p, 1, false);
out:
	pthread_mutex_unlock(&b->lane_lock[lane]);
	return r;
}

/* The lanes a batch of @n sectors writes through: a window of @n
 * consecutive lanes of this thread's own (threads with different hints take
 * different windows, so several writers do not queue on the same lanes). */
static unsigned lane_window(struct vpmem_btt *b, unsigned n)
{
	unsigned windows = b->nlanes / n;

	if (lane_hint == UINT32_MAX)
		lane_hint = atomic_fetch_add(&b->next_lane, 1);
	return windows > 1 ? (lane_hint % windows) * n : 0;
}

/*
 * @n (2..nlanes) consecutive sectors of one arena at once, one lane each, as
 * the kernel does with n CPUs writing at the same time: all data, then all
 * flog entries, then all map entries (each sector still data -> flog -> map;
 * each flog entry and map entry is written whole in one pwrite, so a killed
 * process cannot tear one). Free blocks that follow each other are written
 * in one call. The lanes are [lb, lb + n), locked in ascending order (as
 * every multi-lane writer does: no deadlock).
 */
static int write_batch(struct vpmem_btt *b, struct btt_arena *a, uint32_t p, uint32_t n,
		       const uint8_t *buf, struct vpmem_err *err)
{
	uint32_t raw[MAXLANES], lb = lane_window(b, n);
	struct btt_lane *lane = a->lane + lb;
	int r = 0;

	for (uint32_t l = 0; l < n; l++)
		pthread_mutex_lock(&b->lane_lock[lb + l]);
	for (uint32_t i = 0; !r && i < n;) {
		uint32_t blk = lane[i].block, run = 1;

		if (blk >= a->internal_nlba) {
			r = vpmem_err_set(err, EIO, "BTT lane %u: free block out of bounds", lb + i);
			break;
		}
		while (a->internal_lbasize == b->sector_size && i + run < n &&
		       lane[i + run].block == blk + run && blk + run < a->internal_nlba)
			run++;
		r = pwrite_all(b, buf + (size_t)i * b->sector_size, (size_t)run * b->sector_size,
			       block_off(a, blk), err);
		i += run;
	}
	if (!r) {
		lock_range(a, p, n, true);
		r = map_read(b, a, p, n, raw, err);
		for (uint32_t i = 0; !r && i < n; i++) {
			uint32_t oldm = map_post(p + i, raw[i]);
			struct btt_lane *l = &lane[i];
			uint8_t *e = a->flog + (uint64_t)(lb + i) * LOG_GRP + (uint64_t)a->log_index[l->sub] * LOG_ENT;

			if (oldm >= a->internal_nlba) {
				r = vpmem_err_set(err, EIO, "map entry of sector %" PRIu64 " is out of bounds",
						  a->lba_start + p + i);
				break;
			}
			if ((raw[i] & MAP_NORMAL) == MAP_E)
				oldm |= MAP_E;
			put_le32(e, p + i);
			put_le32(e + 4, oldm);
			put_le32(e + 8, l->block);
			put_le32(e + 12, l->seq);
			raw[i] = htole32(l->block | MAP_NORMAL);
			lane_advance(l, oldm);
		}
		if (!r)
			r = pwrite_all(b, a->flog + (uint64_t)lb * LOG_GRP, (size_t)n * LOG_GRP,
				       a->log + (uint64_t)lb * LOG_GRP, err);
		if (!r)
			r = pwrite_all(b, raw, (size_t)n * 4, a->map + (uint64_t)p * 4, err);
		lock_range(a, p, n, false);
	}
	for (uint32_t l = n; l-- > 0;)
		pthread_mutex_unlock(&b->lane_lock[lb + l]);
	return r;
}

/* The file must still hold every arena: a pwrite past a truncation would
 * grow it back silently, with the metadata gone. */
static int still_whole(const struct vpmem_btt *b, struct vpmem_err *err)
{
	struct stat st;

	if (fstat(b->fd, &st))
		return vpmem_err_set(err, errno, "cannot stat the image: %s", strerror(errno));
	if ((uint64_t)st.st_size < b->end)
		return vpmem_err_set(err, EIO, "the image ends before 0x%" PRIx64 " (truncated?)", b->end);
	return 0;
}

/* Sectors [@lba, @lba + @n) may be written: in range, the image whole, the BTT open read-write. */
static int may_write(struct vpmem_btt *b, uint64_t lba, uint64_t n, struct vpmem_err *err)
{
	int r = range_check(b, lba, n, err);

	if (!r)
		r = still_whole(b, err);
	if (!r && b->rdonly)
		r = vpmem_err_set(err, EROFS, "the BTT is open read-only");
	return r;
}

int vpmem_btt_write(struct vpmem_btt *b, uint64_t lba, uint64_t n, const void *buf, struct vpmem_err *err)
{
	const uint8_t *in = buf;
	int r = may_write(b, lba, n, err);

	while (!r && n) {
		uint32_t p, k;
		struct btt_arena *a = arena_step(b, lba, n, b->nlanes, &p, &k, err);

		if (!a)
			return -ERANGE;
		if (a->flags & 1)  /* IB_FLAG_ERROR_MASK: btt_write_pg refuses */
			return vpmem_err_set(err, EIO, "BTT arena is marked as failed (info block error flag)");
		r = k > 1 ? write_batch(b, a, p, k, in, err) : write_one(b, a, p, in, err);
		in += (size_t)k * b->sector_size;
		lba += k;
		n -= k;
	}
	return r;
}

int vpmem_btt_zero(struct vpmem_btt *b, uint64_t lba, uint64_t n, struct vpmem_err *err)
{
	int r = may_write(b, lba, n, err);

	while (!r && n) {
		uint32_t p, k, raw[MAXBATCH];
		struct btt_arena *a = arena_step(b, lba, n, MAXBATCH, &p, &k, err);
		bool dirty = false;

		if (!a)
			return -ERANGE;
		lock_range(a, p, k, true);
		r = map_read(b, a, p, k, raw, err);
		for (uint32_t i = 0; !r && i < k; i++) {
			uint32_t z = map_post(p + i, raw[i]) | MAP_Z;

			dirty |= z != raw[i];
			raw[i] = htole32(z);
		}
		/* each 4-byte entry is whole in the one pwrite: old or trimmed */
		if (!r && dirty)
			r = pwrite_all(b, raw, (size_t)k * 4, a->map + (uint64_t)p * 4, err);
		lock_range(a, p, k, false);
		lba += k;
		n -= k;
	}
	return r;
}

/*
 * Where the sectors from @lba are known to read as zeros: a trimmed map
 * entry (Z flag alone), or a block that is a hole of the image (never
 * written: a fresh BTT maps every sector to its own unwritten block). One
 * pread per MAXBATCH map entries, one lseek(SEEK_DATA) per run of
 * consecutive blocks. Advisory, like the kernel's block status: a write
 * racing with it may change the answer.
 */
int vpmem_btt_extent(struct vpmem_btt *b, uint64_t lba, uint64_t max, uint64_t *n, bool *zero,
		     struct vpmem_err *err)
{
	uint64_t done = 0;
	int kind = -1;        /* 0 data, 1 zero */
	int r = range_check(b, lba, max ? 1 : 0, err);

	*n = 0;
	*zero = false;
	if (r || !max)
		return r;
	if (max > b->nlba - lba)
		max = b->nlba - lba;
	while (done < max) {
		uint32_t p, k, raw[MAXBATCH];
		struct btt_arena *a = lba_arena(b, lba + done, &p);

		if (!a)
			break;
		k = (uint32_t)(max - done < MAXBATCH ? max - done : MAXBATCH);
		if (k > a->external_nlba - p)
			k = a->external_nlba - p;
		if ((r = map_read(b, a, p, k, raw, err)))
			return r;
		for (uint32_t i = 0; i < k;) {
			uint32_t post = map_post(p + i, raw[i]), run = 1, z = 0;
			int this;

			if ((raw[i] & MAP_NORMAL) == MAP_Z) {
				this = 1, z = 1;
			} else if ((raw[i] & MAP_NORMAL) == MAP_E || post >= a->internal_nlba) {
				this = 0;       /* reading it says what is wrong */
			} else {
				off_t at = (off_t)block_off(a, post), d;

				while (i + run < k && (raw[i + run] & MAP_NORMAL) != MAP_Z &&
				       (raw[i + run] & MAP_NORMAL) != MAP_E &&
				       map_post(p + i + run, raw[i + run]) == post + run && post + run < a->internal_nlba)
					run++;
				d = lseek(b->fd, at, SEEK_DATA);
				if (d < 0 && errno != ENXIO)
					d = at;                       /* cannot tell: data */
				if (d < 0 || (uint64_t)(d - at) >= (uint64_t)run * a->internal_lbasize)
					z = run;                      /* all a hole */
				else
					z = (uint32_t)((uint64_t)(d - at) / a->internal_lbasize);
				this = z ? 1 : 0;
			}
			if (kind < 0)
				kind = this;
			if (this != kind)
				goto out;
			if (this == 1) {
				done += z;
				if (z < run)
					goto out;   /* data follows inside the run */
				i += run;
			} else {
				done += run;
				i += run;
			}
		}
	}
out:
	*n = done < max ? done : max;
	*zero = kind == 1;
	return 0;
}

int vpmem_btt_flush(struct vpmem_btt *b, struct vpmem_err *err)
{
	if (!b->rdonly && fdatasync(b->fd))
		return vpmem_err_set(err, errno, "fdatasync: %s", strerror(errno));
	return 0;
}

/* ---- read-only views for `vpmem check` (check.c): no second BTT reader ---- */

int vpmem_btt_arena_view(const struct vpmem_btt *b, unsigned ai, struct vpmem_btt_view *v)
{
	const struct btt_arena *a;

	if (ai >= b->narenas)
		return -ERANGE;
	a = &b->a[ai];
	v->info = a->info;
	v->data = a->data;
	v->map = a->map;
	v->log = a->log;
	v->info2 = a->info2;
	v->external_nlba = a->external_nlba;
	v->internal_nlba = a->internal_nlba;
	v->nfree = a->nfree;
	v->log_index[0] = a->log_index[0];
	v->log_index[1] = a->log_index[1];
	v->npending = a->nfix;
	return 0;
}

int vpmem_btt_map_raw(const struct vpmem_btt *b, unsigned ai, uint32_t p, uint32_t n, uint32_t *raw,
		      struct vpmem_err *err)
{
	if (ai >= b->narenas || p > b->a[ai].external_nlba || n > b->a[ai].external_nlba - p)
		return vpmem_err_set(err, ERANGE, "BTT arena %u: map entries %u+%u out of range", ai, p, n);
	return map_read(b, &b->a[ai], p, n, raw, err);
}

void vpmem_btt_log_new(const struct vpmem_btt *b, unsigned ai, uint32_t lane, uint32_t ent[4])
{
	const struct btt_arena *a = &b->a[ai];
	/* freelist_init: the next write goes to slot sub, so the newer is the other */
	const uint8_t *e = flog_ent(a, lane, a->log_index[1 - a->lane[lane].sub]);

	for (int i = 0; i < 4; i++)
		ent[i] = get_le32(e + 4 * i);
}

void vpmem_btt_pending(const struct vpmem_btt *b, unsigned ai, unsigned i, uint32_t *lba, uint32_t *map)
{
	*lba = b->a[ai].fix[i].lba;
	*map = b->a[ai].fix[i].map;
}

struct vpmem_btt_layout *vpmem_btt_layout_new(void)
{
	return calloc(1, sizeof(struct vpmem_btt_layout));
}

void vpmem_btt_layout_free(struct vpmem_btt_layout *l)
{
	if (l)
		free(l->arena);
	free(l);
}
