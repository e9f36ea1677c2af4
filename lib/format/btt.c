// SPDX-License-Identifier: MIT
/* BTT layout and info blocks; sources in include/vpmem/btt.h. */
#include <errno.h>
#include <string.h>

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

int vpmem_btt_layout(uint64_t ns_size, uint32_t lbasize, bool v2, struct vpmem_btt_layout *l,
		     struct vpmem_err *err)
{
	uint64_t remaining, off = 0;

	memset(l, 0, sizeof(*l));
	if (lbasize != 512 && lbasize != 520 && lbasize != 528 && lbasize != 4096 &&
	    lbasize != 4104 && lbasize != 4160 && lbasize != 4224)
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
		a = &l->arena[l->narenas++];
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
