// SPDX-License-Identifier: MIT
/*
 * Namespace label area: geometry, index blocks, labels. Sources: Linux
 * drivers/nvdimm/label.h (structs, GUIDs), label.c (sizeof_namespace_index,
 * nvdimm_num_label_slots, __nd_label_validate, best_seq, nd_inc_seq,
 * slot_valid), nd.h (nsl_* getters); ndctl ndctl/lib/dimm.c (init-labels
 * sets the bitmap past nslot); doc/formats.md 3.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include <vpmem/label.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "format/ondisk.h"
#include "util/le.h"


/* GUID strings (label.h), stored in EFI byte order (guid_t) */
static const char *const claim_guids[] = {
	[VPMEM_CLAIM_NONE] = NULL,
	[VPMEM_CLAIM_BTT] = "8aed63a2-29a2-4c66-8b12-f05d15d3922a",
	[VPMEM_CLAIM_BTT2] = "18633bfc-1735-4217-8ac9-17239282d3f8",
	[VPMEM_CLAIM_PFN] = "266400ba-fb9f-4677-bcb0-968f11d0d225",
	[VPMEM_CLAIM_DAX] = "97a86d9c-3cdd-4eda-986f-5068b4f80088",
};
/* NFIT SPA range type GUID for persistent memory (ACPI 6, include/acpi/actbl1.h) */
static const char pmem_type_guid[] = "66f0d379-b4f3-4074-ac43-0d3318b78cdb";

static void efi_guid(const char *s, uint8_t out[16])
{
	uuid_t u;

	uuid_parse(s, u);
	/* RFC order -> EFI: first three fields little-endian */
	out[0] = u[3]; out[1] = u[2]; out[2] = u[1]; out[3] = u[0];
	out[4] = u[5]; out[5] = u[4];
	out[6] = u[7]; out[7] = u[6];
	memcpy(out + 8, u + 8, 8);
}

void vpmem_claim_guid(enum vpmem_claim c, uint8_t out[16])
{
	memset(out, 0, 16);
	if (c < VPMEM_CLAIM_UNKNOWN && claim_guids[c])
		efi_guid(claim_guids[c], out);
}

const char *vpmem_claim_name(enum vpmem_claim c)
{
	static const char *const n[] = { "none", "btt", "btt2", "pfn", "dax", "unknown" };

	return c <= VPMEM_CLAIM_UNKNOWN ? n[c] : "unknown";
}

static enum vpmem_claim claim_of(const uint8_t g[16])
{
	static const uint8_t zero[16];
	uint8_t x[16];

	if (!memcmp(g, zero, 16))
		return VPMEM_CLAIM_NONE;
	for (int c = VPMEM_CLAIM_BTT; c < VPMEM_CLAIM_UNKNOWN; c++) {
		vpmem_claim_guid((enum vpmem_claim)c, x);
		if (!memcmp(g, x, 16))
			return (enum vpmem_claim)c;
	}
	return VPMEM_CLAIM_UNKNOWN;
}

static uint32_t sizeof_index(uint32_t nslot)
{
	/* ALIGN(sizeof(struct nd_namespace_index) + DIV_ROUND_UP(nslot, 8), NSINDEX_ALIGN) */
	uint32_t n = VPMEM_NSINDEX_HDR + (nslot + 7) / 8;

	return (n + VPMEM_NSINDEX_ALIGN - 1) / VPMEM_NSINDEX_ALIGN * VPMEM_NSINDEX_ALIGN;
}

int vpmem_label_size_check(uint64_t label_size, struct vpmem_err *err)
{
	char a[32];

	if (label_size && label_size < VPMEM_MIN_LABEL_SIZE)
		return vpmem_err_set(err, EINVAL,
				     "--label-size %s is below QEMU's minimum of 128K (use 128K or more, or 0 for no labels)",
				     vpmem_size_str(label_size, a, sizeof(a)));
	if (label_size && !vpmem_is_aligned(label_size, 4096))
		return vpmem_err_set(err, EINVAL, "--label-size %s is not a multiple of 4K",
				     vpmem_size_str(label_size, a, sizeof(a)));
	return 0;
}

int vpmem_lsa_geom(uint64_t cfg, enum vpmem_label_version v, struct vpmem_lsa_geom *g,
		   struct vpmem_err *err)
{
	uint64_t tmp;

	memset(g, 0, sizeof(*g));
	g->version = v;
	g->lsz = v == VPMEM_LABEL_V1_2 ? 256 : 128;
	g->cfg = cfg;
	if (cfg > (1ULL << 31))
		return vpmem_err_set(err, EINVAL, "label area of %llu bytes is too large",
				     (unsigned long long)cfg);
	tmp = cfg / g->lsz;
	if (cfg < 2ULL * sizeof_index((uint32_t)tmp) + 2 * g->lsz)
		return vpmem_err_set(err, EINVAL, "label area of %llu bytes is too small for labels",
				     (unsigned long long)cfg);
	g->nslot = (uint32_t)((cfg - 2ULL * sizeof_index((uint32_t)tmp)) / g->lsz);
	g->isz = sizeof_index(g->nslot);
	if (2ULL * g->isz + (uint64_t)g->nslot * g->lsz > cfg || g->nslot < 2)
		return vpmem_err_set(err, EINVAL, "label area of %llu bytes has no room for labels",
				     (unsigned long long)cfg);
	return 0;
}

uint32_t vpmem_nsindex_next_seq(uint32_t seq)
{
	static const uint32_t next[] = { 0, 2, 3, 1 };

	return next[seq & 3];
}

int vpmem_nsindex_best(uint32_t seq0, uint32_t seq1)
{
	uint32_t a = seq0 & 3, b = seq1 & 3, best;

	if (a == 0 || a == b)
		best = b;
	else if (b == 0)
		best = a;
	else if (vpmem_nsindex_next_seq(a) == b)
		best = b;
	else
		best = a;
	return best == b ? 1 : 0;
}

void vpmem_nsindex_encode(const struct vpmem_lsa_geom *g, int which, uint32_t seq,
			  const uint8_t *free, uint8_t *out)
{
	uint32_t bm_bytes = ((g->nslot + 63) / 64 * 64) / 8;

	memset(out, 0, g->isz);
	memcpy(out + IX_SIG, VPMEM_NSINDEX_SIG, sizeof(VPMEM_NSINDEX_SIG));
	out[IX_LABELSIZE] = g->lsz == 256 ? 1 : 0;
	put_le32(out + IX_SEQ, seq);
	put_le64(out + IX_MYOFF, (uint64_t)which * g->isz);
	put_le64(out + IX_MYSIZE, g->isz);
	put_le64(out + IX_OTHEROFF, (uint64_t)(!which) * g->isz);
	put_le64(out + IX_LABELOFF, 2ULL * g->isz);
	put_le32(out + IX_NSLOT, g->nslot);
	put_le16(out + IX_MAJOR, 1);
	put_le16(out + IX_MINOR, g->version == VPMEM_LABEL_V1_2 ? 2 : 1);
	/* ndctl init-labels: 0xff over ALIGN(nslot, 64) bits (doc/formats.md 8.1) */
	memset(out + IX_FREE, 0xff, bm_bytes);
	if (free)
		for (uint32_t s = 0; s < g->nslot; s++)
			vpmem_slot_set_free(out + IX_FREE, s, vpmem_slot_free(free, s));
	put_le64(out + IX_CHECKSUM, vpmem_fletcher64(out, g->isz, 1));
}

void vpmem_label_encode(const struct vpmem_lsa_geom *g, const struct vpmem_label *l, uint8_t *out)
{
	memset(out, 0, g->lsz);
	memcpy(out + L_UUID, l->uuid, 16);
	memcpy(out + L_NAME, l->name, strnlen(l->name, VPMEM_LABEL_NAME_LEN - 1));
	put_le32(out + L_FLAGS, l->flags);
	put_le16(out + L_NLABEL, l->nlabel);
	put_le16(out + L_POSITION, l->position);
	put_le64(out + L_ISETCOOKIE, l->isetcookie);
	put_le64(out + L_LBASIZE, l->lbasize);
	put_le64(out + L_DPA, l->dpa);
	put_le64(out + L_RAWSIZE, l->rawsize);
	put_le32(out + L_SLOT, l->slot);
	if (g->lsz == 256) {
		if (l->type == VPMEM_LTYPE_PMEM)
			efi_guid(pmem_type_guid, out + L_TYPE_GUID); /* else zeros (CXL) */
		vpmem_claim_guid(l->claim, out + L_ABSTRACTION_GUID);
		put_le64(out + L_CHECKSUM, vpmem_fletcher64(out, 256, 1));
	}
}

static void label_decode(const struct vpmem_lsa_geom *g, const uint8_t *p, struct vpmem_label *l)
{
	memset(l, 0, sizeof(*l));
	l->slot = get_le32(p + L_SLOT);
	memcpy(l->uuid, p + L_UUID, 16);
	memcpy(l->name, p + L_NAME, VPMEM_LABEL_NAME_LEN - 1);
	l->flags = get_le32(p + L_FLAGS);
	l->nlabel = get_le16(p + L_NLABEL);
	l->position = get_le16(p + L_POSITION);
	l->isetcookie = get_le64(p + L_ISETCOOKIE);
	l->lbasize = get_le64(p + L_LBASIZE);
	l->dpa = get_le64(p + L_DPA);
	l->rawsize = get_le64(p + L_RAWSIZE);
	l->checksum_ok = true;
	if (g->lsz == 256) {
		l->checksum_ok = vpmem_block_checksum(p, 256, L_CHECKSUM) == get_le64(p + L_CHECKSUM);
		uint8_t pm[16];
		static const uint8_t zero[16];

		l->claim = claim_of(p + L_ABSTRACTION_GUID);
		efi_guid(pmem_type_guid, pm);
		l->type = !memcmp(p + L_TYPE_GUID, pm, 16) ? VPMEM_LTYPE_PMEM
			: !memcmp(p + L_TYPE_GUID, zero, 16) ? VPMEM_LTYPE_NONE : VPMEM_LTYPE_OTHER;
	}
}

/* __nd_label_validate for one index block; returns NULL or why not. */
static const char *index_invalid(const struct vpmem_lsa_geom *g, const uint8_t *ix, int i,
				 uint64_t cfg)
{
	uint32_t version, labelsize, seq;
	uint64_t size;

	if (memcmp(ix + IX_SIG, VPMEM_NSINDEX_SIG, sizeof(VPMEM_NSINDEX_SIG)))
		return "no index signature";
	version = get_le16(ix + IX_MAJOR) * 100u + get_le16(ix + IX_MINOR);
	labelsize = version >= 102 ? 1u << (7 + (ix[IX_LABELSIZE] & 7)) : 128;
	if (ix[IX_LABELSIZE] > 1 && version >= 102)
		return "unsupported label size";
	if (labelsize != g->lsz)
		return "label size does not match";
	if (vpmem_block_checksum(ix, g->isz, IX_CHECKSUM) != get_le64(ix + IX_CHECKSUM))
		return "bad checksum";
	seq = get_le32(ix + IX_SEQ);
	if (!(seq & 3))
		return "sequence number 0";
	if (get_le64(ix + IX_MYOFF) != (uint64_t)i * g->isz)
		return "bad myoff";
	if (get_le64(ix + IX_OTHEROFF) != (uint64_t)(!i) * g->isz)
		return "bad otheroff";
	if (get_le64(ix + IX_LABELOFF) != 2ULL * g->isz)
		return "bad labeloff";
	size = get_le64(ix + IX_MYSIZE);
	if (size > g->isz || size < VPMEM_NSINDEX_HDR)
		return "bad mysize";
	if ((uint64_t)get_le32(ix + IX_NSLOT) * g->lsz + 2ULL * g->isz > cfg)
		return "nslot does not fit the label area";
	return NULL;
}

void vpmem_lsa_free(struct vpmem_lsa *lsa)
{
	free(lsa->free);
	free(lsa->labels);
	free(lsa->raw);
	memset(lsa, 0, sizeof(*lsa));
	lsa->current = -1;
}

int vpmem_lsa_decode(const uint8_t *buf, uint64_t cfg, struct vpmem_lsa *lsa, struct vpmem_err *err)
{
	return lsa_decode_take(buf, NULL, cfg, lsa, err);
}

int lsa_decode_take(const uint8_t *buf, uint8_t *own, uint64_t cfg, struct vpmem_lsa *lsa, struct vpmem_err *err)
{
	bool any_sig = false;

	memset(lsa, 0, sizeof(*lsa));
	lsa->current = -1;
	/* the kernel probes 128-byte labels first, then 256 (nd_label_validate) */
	for (int v = VPMEM_LABEL_V1_1; v <= VPMEM_LABEL_V1_2 && lsa->current < 0; v++) {
		struct vpmem_lsa_geom g;

		if (vpmem_lsa_geom(cfg, (enum vpmem_label_version)v, &g, NULL))
			continue;
		lsa->g = g;
		for (int i = 0; i < 2; i++) {
			const char *why;

			if ((uint64_t)(i + 1) * g.isz > cfg)
				continue;
			why = index_invalid(&g, buf + (size_t)i * g.isz, i, cfg);
			lsa->valid[i] = !why;
			lsa->seq[i] = get_le32(buf + (size_t)i * g.isz + IX_SEQ);
			/* keep the reason of the pass whose label size the block has: a
			 * v1.1 block with a bad checksum is not "label size does not
			 * match" because the v1.2 pass came last */
			if (!why || !lsa->why[i][0] || strcmp(why, "label size does not match"))
				snprintf(lsa->why[i], sizeof(lsa->why[i]), "%s", why ? why : "");
			if (!why || strcmp(why, "no index signature"))
				any_sig = true;
		}
		if (lsa->valid[0] && lsa->valid[1])
			lsa->current = vpmem_nsindex_best(lsa->seq[0], lsa->seq[1]);
		else if (lsa->valid[0] || lsa->valid[1])
			lsa->current = lsa->valid[0] ? 0 : 1;
	}
	if (lsa->current < 0) {
		/* report against the v1.1 geometry, as the kernel's first probe */
		vpmem_lsa_geom(cfg, VPMEM_LABEL_V1_1, &lsa->g, NULL);
		return any_sig ? 0 : vpmem_err_set(err, ENODEV, "no namespace index block");
	}
	{
		const struct vpmem_lsa_geom *g = &lsa->g;
		const uint8_t *ix = buf + (size_t)lsa->current * g->isz;
		size_t bm = (g->nslot + 7) / 8;
		uint32_t used = 0;

		/* @own (the buffer @buf points into) becomes raw: no copy of the
		 * whole area, which costs page faults for every 4K of it */
		lsa->raw = own ? own : malloc(cfg);
		lsa->free = calloc(1, bm + 8);
		if (lsa->free) {
			memcpy(lsa->free, ix + IX_FREE, bm);
			for (uint32_t s = 0; s < g->nslot; s++)
				used += !vpmem_slot_free(lsa->free, s);
		}
		/* room for the slots in use only: a label is ~150 bytes, and a
		 * table for every slot (1000+ in 128K) is page faults for nothing */
		lsa->labels = calloc(used ? used : 1, sizeof(*lsa->labels));
		if (!lsa->raw || !lsa->free || !lsa->labels) {
			if (own)
				lsa->raw = NULL; /* the caller frees it on failure */
			vpmem_lsa_free(lsa);
			return vpmem_err_set(err, ENOMEM, "out of memory");
		}
		if (!own)
			memcpy(lsa->raw, buf, cfg);
		for (uint32_t s = 0; s < g->nslot; s++) {
			struct vpmem_label *l;

			if (vpmem_slot_free(lsa->free, s))
				continue;
			l = &lsa->labels[lsa->nlabels];
			label_decode(g, buf + 2 * (size_t)g->isz + (size_t)s * g->lsz, l);
			/* slot_valid(): the label must say where it is, and (v1.2) checksum */
			if (l->slot != s || !l->checksum_ok)
				continue;
			lsa->nlabels++;
		}
	}
	return 0;
}
