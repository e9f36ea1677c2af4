// SPDX-License-Identifier: MIT
/*
 * `vpmem check`: the image's metadata judged as the guest kernel and ndctl
 * judge it, findings as values, repairs as a write plan (image.h). Sources:
 * Linux drivers/nvdimm/label.c (__nd_label_validate, slot_valid, best_seq,
 * nd_label_write_index), namespace_devs.c (scan_labels, create_namespace_pmem:
 * cookie, nlabel/position, duplicate uuids, DPA order), pfn_devs.c
 * (nd_pfn_validate), btt.c (discover_arenas, btt_freelist_init), ndctl
 * ndctl/check.c (btt_check_log_entries, btt_check_map_entries,
 * btt_check_log_map, btt_check_info2, btt_check_bitmap, btt_discover_arenas'
 * info block restore from its backup).
 *
 * Every reader is the library's own: the label area from vpmem_region_read
 * (label.c), info blocks from pfn.c/btt.c, BTT arenas, flog and map from the
 * data path's reader (vpmem_btt_open read-only and its views, btt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/btt.h>
#include <vpmem/check.h>
#include <vpmem/cxl.h>
#include <vpmem/image.h>
#include <vpmem/label.h>
#include <vpmem/nfit.h>
#include <vpmem/pfn.h>

#include "util/le.h"

/* struct nd_namespace_index / nd_namespace_label field offsets (label.h) */
enum { IX_LABELSIZE = 19, IX_SEQ = 20, IX_MYOFF = 24, IX_MYSIZE = 32, IX_OTHEROFF = 40,
       IX_LABELOFF = 48, IX_NSLOT = 56, IX_CHECKSUM = 64, IX_FREE = 72 };
enum { L_UUID = 0, L_NAME = 16, L_NLABEL = 84, L_ISETCOOKIE = 88, L_DPA = 104, L_SLOT = 120,
       L_TYPE_GUID = 128, L_ABSTRACTION = 144, L_CHECKSUM = 248 };
#define BTT_INFO_FLAG_ERROR 0x1          /* btt.h IB_FLAG_ERROR_MASK */
#define MAP_Z (1u << 31)
#define MAP_E (1u << 30)
#define MAP_MASK (~(MAP_Z | MAP_E))
#define MAP_CHUNK 65536u

const char *vpmem_check_verdict_name(enum vpmem_check_verdict v)
{
	static const char *const n[] = { "ok", "repairable", "damaged" };

	return v <= VPMEM_CHECK_DAMAGED ? n[v] : "damaged";
}

struct chk {
	int fd;
	bool walk;          /* false: the header pass, no BTT map walk (vpmem_check_headers) */
	uint64_t size;
	uint64_t lsa_base;
	struct vpmem_check_report *rep;
	int nomem;
};

static void __attribute__((format(printf, 7, 8)))
add(struct chk *c, int ns, enum vpmem_check_verdict sev, uint64_t off, const char *structure,
    const char *repair, const char *fmt, ...)
{
	struct vpmem_check_report *rep = c->rep;
	struct vpmem_finding *f, *nf;
	va_list ap;

	nf = realloc(rep->f, (rep->nfindings + 1) * sizeof(*nf));
	if (!nf) {
		c->nomem = 1;
		return;
	}
	rep->f = nf;
	f = &rep->f[rep->nfindings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->structure, sizeof(f->structure), "%s", structure);
	snprintf(f->repair, sizeof(f->repair), "%s", repair ? repair : "");
	f->offset = off;
	f->severity = sev;
	f->ns = ns;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
}

static void plan(struct chk *c, uint64_t off, const void *data, uint64_t len, const char *what)
{
	if (vpmem_wplan_add(&c->rep->repair, off, data, len, true, what))
		c->nomem = 1;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += (size_t)r;
	}
	return 0;
}

static void uuid_str(const uint8_t u[16], char out[37])
{
	uuid_unparse(u, out);
}

/* ---- label area ---- */

/* The field an index block failed on (label.c index_invalid's reasons). */
static uint64_t index_field(const char *why)
{
	static const struct { const char *why; uint64_t off; } t[] = {
		{ "no index signature", 0 }, { "unsupported label size", IX_LABELSIZE },
		{ "label size does not match", IX_LABELSIZE }, { "bad checksum", IX_CHECKSUM },
		{ "sequence number 0", IX_SEQ }, { "bad myoff", IX_MYOFF }, { "bad otheroff", IX_OTHEROFF },
		{ "bad labeloff", IX_LABELOFF }, { "bad mysize", IX_MYSIZE },
		{ "nslot does not fit the label area", IX_NSLOT },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(why, t[i].why))
			return t[i].off;
	return 0;
}

/* The namespace (vpmem list index) a label slot became, or -1. */
static int ns_of_slot(const struct vpmem_region_info *ri, uint32_t slot)
{
	for (unsigned k = 0; k < ri->nns; k++)
		if (ri->ns[k].labelled && ri->ns[k].label_slot == slot)
			return (int)ri->ns[k].index;
	return -1;
}

static bool utf8_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;

		if (!len || i + len > n)
			return false;
		for (unsigned k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- info blocks ---- */

static const char *sig_at(const uint8_t *b)
{
	if (!memcmp(b, VPMEM_PFN_SIG, sizeof(VPMEM_PFN_SIG)))
		return "fsdax (NVDIMM_PFN_INFO)";
	if (!memcmp(b, VPMEM_DAX_SIG, sizeof(VPMEM_DAX_SIG)))
		return "devdax (NVDIMM_DAX_INFO)";
	if (!memcmp(b, VPMEM_BTT_SIG, sizeof(VPMEM_BTT_SIG)))
		return "BTT";
	return NULL;
}

static void check_label(struct chk *c, const struct vpmem_label *l, const uint8_t *raw, uint64_t off)
{
	const struct vpmem_region_info *ri = c->rep->ri;
	int ns = ns_of_slot(ri, l->slot);
	const uint8_t *nul = memchr(raw + L_NAME, 0, VPMEM_LABEL_NAME_LEN);
	char st[48];
	int s;

	snprintf(st, sizeof(st), "label slot %u", l->slot);
	/* create_namespace_pmem: one mapping per label set on QEMU's one-DIMM regions */
	if (l->nlabel != 1 || l->position != 0)
		add(c, ns, VPMEM_CHECK_DAMAGED, off + L_NLABEL, st, "the kernel ignores this label; destroy it or fix it by hand",
		    "nlabel %u position %u: a QEMU region has one DIMM (1 and 0 expected)", l->nlabel, l->position);
	/* CXL: the cookie names the device serial; the type GUID must be zero,
	 * the CXL region's (label.h vpmem_label_type, nsl_validate_type_guid) */
	if (ri->cxl && ri->lsa.g.version == VPMEM_LABEL_V1_2 && l->type != VPMEM_LTYPE_NONE)
		add(c, ns, VPMEM_CHECK_DAMAGED, off + L_TYPE_GUID, st,
		    "destroy this label (or zero its type GUID and checksum it again by hand)",
		    "type GUID is not zero: a CXL pmem region has none, and the guest kernel fails the whole region on such a label (no namespace of it appears)");
	if (ri->cxl && l->isetcookie != ri->iset_id)
		add(c, ns, VPMEM_CHECK_DAMAGED, off + L_ISETCOOKIE, st,
		    "the kernel ignores this label; attach the image with the serial its labels carry, or destroy it",
		    "interleave-set cookie %#" PRIx64 " is the one of serial %#" PRIx64 ", the region's is %#" PRIx64 " (serial %#" PRIx64 ")",
		    l->isetcookie, vpmem_cxl_serial_of_cookie(l->isetcookie), ri->iset_id, ri->cxl_serial);
	/* the cookie must be the region's (cookie2 for v1.2, cookie1 for v1.1) */
	else if (l->isetcookie != ri->iset_id) {
		s = vpmem_slot_of_cookie(l->isetcookie);
		if (s >= 0 && s != ri->slot)
			add(c, ns, VPMEM_CHECK_DAMAGED, off + L_ISETCOOKIE, st,
			    "attach the image at the slot its other labels name, or destroy this label",
			    "interleave-set cookie %#" PRIx64 " belongs to QEMU slot %d, the region's is %#" PRIx64 " (slot %d): the kernel ignores it",
			    l->isetcookie, s, ri->iset_id, ri->slot);
		else
			add(c, ns, VPMEM_CHECK_DAMAGED, off + L_ISETCOOKIE, st, "the kernel ignores this label; destroy it",
			    "interleave-set cookie %#" PRIx64 " is not the region's %#" PRIx64 " nor any QEMU slot's",
			    l->isetcookie, ri->iset_id);
	}
	/*
	 * An unknown abstraction GUID: create_namespace_pmem keeps the label
	 * (claim class NVDIMM_CCLASS_UNKNOWN; to_abstraction_guid even keeps
	 * the GUID on label updates, room for claim types to come), and
	 * nd_btt_probe, nd_pfn_probe and nd_dax_probe refuse that class, so
	 * the namespace comes up raw. Harmless on a raw namespace (a warning);
	 * an info block in it is ignored, its sectors or pages shown raw.
	 */
	if (l->claim == VPMEM_CLAIM_UNKNOWN) {
		const char *sig = NULL;
		uint64_t at = 0;

		bool inside = l->dpa <= ri->region_size && l->rawsize >= VPMEM_INFO_OFFSET + 4096 &&
			      l->rawsize <= ri->region_size - l->dpa;

		for (uint64_t o = 0; inside && o <= VPMEM_INFO_OFFSET && !sig; o += VPMEM_INFO_OFFSET) {
			uint8_t blk[16];

			at = l->dpa + o;
			if (!pread_full(c->fd, blk, sizeof(blk), at))
				sig = sig_at(blk);
		}
		if (sig)
			add(c, ns, VPMEM_CHECK_DAMAGED, off + L_ABSTRACTION, st,
			    "set the label's abstraction GUID to the info block's mode by hand, or recreate the namespace",
			    "unknown abstraction GUID on a namespace holding a %s info block at %#" PRIx64 ": the kernel refuses the claim and shows it raw",
			    sig, at);
		else
			add(c, ns, VPMEM_CHECK_OK, off + L_ABSTRACTION, st, NULL,
			    "unknown abstraction GUID (not btt, btt2, pfn, dax or none): the kernel enables the namespace raw and keeps the GUID");
	}
	if (!l->rawsize || l->dpa > ri->region_size || l->rawsize > ri->region_size - l->dpa)
		add(c, ns, VPMEM_CHECK_DAMAGED, off + L_DPA, st, "the kernel ignores this label; destroy it",
		    "extent dpa %#" PRIx64 " size %#" PRIx64 " is not inside the %#" PRIx64 "-byte region",
		    l->dpa, l->rawsize, ri->region_size);
	/*
	 * The name is never interpreted by the kernel: create_namespace_pmem
	 * copies the 64 bytes (kmemdup of NSLABEL_NAME_LEN) and alt_name_show
	 * prints them; the namespace is enabled as it is (measured on 6.1 and
	 * 6.12, doc/check.md). So these are warnings, the verdict stays ok.
	 */
	if (!nul)
		add(c, ns, VPMEM_CHECK_OK, off + L_NAME, st, NULL,
		    "name is not NUL-terminated within %d bytes: the kernel enables the namespace, its alt_name reads on past the field",
		    VPMEM_LABEL_NAME_LEN);
	else if (!utf8_ok(raw + L_NAME, (size_t)(nul - (raw + L_NAME))))
		add(c, ns, VPMEM_CHECK_OK, off + L_NAME, st, NULL,
		    "name is not valid UTF-8: the kernel enables the namespace, ndctl prints the name as its bytes");
}

/* Overlapping extents and duplicate uuids among the labels in use (scan_labels). */
static void check_label_pairs(struct chk *c, uint64_t labeloff, uint32_t lsz)
{
	const struct vpmem_lsa *lsa = &c->rep->ri->lsa;

	for (unsigned i = 0; i < lsa->nlabels; i++)
		for (unsigned k = i + 1; k < lsa->nlabels; k++) {
			const struct vpmem_label *a = &lsa->labels[i], *b = &lsa->labels[k];
			uint64_t ob = labeloff + (uint64_t)b->slot * lsz;
			char st[48], u[37];

			snprintf(st, sizeof(st), "label slot %u", b->slot);
			if (!memcmp(a->uuid, b->uuid, 16)) {
				uuid_str(a->uuid, u);
				add(c, -1, VPMEM_CHECK_DAMAGED, ob + L_UUID, st,
				    "choose the label to keep and destroy the other (the data of both is still there)",
				    "labels in slots %u and %u share uuid %s: the kernel rejects both", a->slot, b->slot, u);
			}
			if (a->rawsize && b->rawsize && a->dpa < b->dpa + b->rawsize && b->dpa < a->dpa + a->rawsize)
				add(c, -1, VPMEM_CHECK_DAMAGED, ob + L_DPA, st,
				    "two namespaces claim the same bytes: keep one ('vpmem namespace destroy --name/--uuid' the other)",
				    "extent %#" PRIx64 "+%#" PRIx64 " (slot %u, '%.63s') overlaps %#" PRIx64 "+%#" PRIx64 " (slot %u, '%.63s')",
				    b->dpa, b->rawsize, b->slot, b->name, a->dpa, a->rawsize, a->slot, a->name);
		}
}

static void check_lsa(struct chk *c)
{
	struct vpmem_region_info *ri = c->rep->ri;
	const struct vpmem_lsa *lsa = &ri->lsa;
	const struct vpmem_lsa_geom *g = &lsa->g;
	uint64_t base = c->lsa_base, labeloff;
	uint8_t *fr = NULL;
	bool bitmap_fix = false;
	int bad = -1;

	if (!ri->label_size)
		return;
	if (ri->label_corrupt) {
		add(c, -1, VPMEM_CHECK_DAMAGED, base + index_field(lsa->why[0]), "label area",
		    "no valid twin to restore from; the guest sees a label-less DIMM",
		    "no valid index block (index 0: %s; index 1: %s)", lsa->why[0], lsa->why[1]);
		return;
	}
	if (!ri->labelled)
		return;  /* no index signature: an uninitialised label area, as ndctl leaves it */
	labeloff = base + 2ULL * g->isz;
	for (int i = 0; i < 2; i++) {
		char st[16];

		if (lsa->valid[i])
			continue;
		bad = i;
		snprintf(st, sizeof(st), "index %d", i);
		add(c, -1, VPMEM_CHECK_REPAIRABLE, base + (uint64_t)i * g->isz + index_field(lsa->why[i]), st,
		    "rewrite it from its valid twin (next sequence number)", "%s; index %d (seq %u) is current",
		    lsa->why[i], lsa->current, lsa->seq[lsa->current] & 3);
	}
	fr = malloc(g->nslot / 8 + 8);
	if (!fr) {
		c->nomem = 1;
		return;
	}
	memcpy(fr, lsa->free, (g->nslot + 7) / 8);
	/* the free bitmap against the labels: an in-use slot must hold a valid label (slot_valid) */
	for (uint32_t s = 0; s < g->nslot; s++) {
		const uint8_t *raw = lsa->raw + 2ULL * g->isz + (uint64_t)s * g->lsz;
		uint64_t off = labeloff + (uint64_t)s * g->lsz;
		char st[48];
		bool found = false;

		if (vpmem_slot_free(lsa->free, s))
			continue;
		for (unsigned k = 0; k < lsa->nlabels && !found; k++)
			found = lsa->labels[k].slot == s;
		if (found)
			continue;
		snprintf(st, sizeof(st), "label slot %u", s);
		if (all_zero(raw, g->lsz) || get_le32(raw + L_SLOT) != s) {
			add(c, -1, VPMEM_CHECK_REPAIRABLE, base + (uint64_t)lsa->current * g->isz + IX_FREE + s / 8,
			    st, "mark the slot free in a new index block (the kernel ignores it already)",
			    all_zero(raw, g->lsz) ? "marked in use in the free bitmap but holds no label"
						  : "marked in use but the label there names slot %u", get_le32(raw + L_SLOT));
			vpmem_slot_set_free(fr, s, true);
			bitmap_fix = true;
		} else {
			add(c, -1, VPMEM_CHECK_DAMAGED, off + L_CHECKSUM, st,
			    "the kernel ignores the label and its namespace; its bytes are kept for recovery by hand",
			    "label checksum %#" PRIx64 " is wrong (%#" PRIx64 " expected)", get_le64(raw + L_CHECKSUM),
			    vpmem_block_checksum(raw, 256, L_CHECKSUM));
		}
	}
	for (unsigned k = 0; k < lsa->nlabels; k++)
		check_label(c, &lsa->labels[k], lsa->raw + 2ULL * g->isz + (uint64_t)lsa->labels[k].slot * g->lsz,
			    labeloff + (uint64_t)lsa->labels[k].slot * g->lsz);
	check_label_pairs(c, labeloff, g->lsz);
	/*
	 * Repair the way the kernel updates the index (nd_label_write_index):
	 * a new block into the slot that is not current, with the next sequence
	 * number, one write and a barrier. A torn write leaves that slot invalid
	 * and the current one untouched, so a cut repair is a no-op.
	 */
	if (bad >= 0 || bitmap_fix) {
		int next = bad >= 0 ? bad : !lsa->current;
		uint32_t seq = vpmem_nsindex_next_seq(lsa->seq[lsa->current]);
		uint8_t *ix = malloc(g->isz);
		char what[96];

		if (!ix) {
			c->nomem = 1;
		} else {
			vpmem_nsindex_encode(g, next, seq, fr, ix);
			snprintf(what, sizeof(what), "label index %d (seq %u)%s", next, seq,
				 bitmap_fix ? ", free bitmap from the labels" : ", from its twin");
			plan(c, base + (uint64_t)next * g->isz, ix, g->isz, what);
			free(ix);
		}
	}
	free(fr);
}

/*
 * A namespace read as raw: is there an info block the kernel rejected, or a
 * BTT whose first info block is gone but whose backup survives (ndctl
 * btt_recover_first_sb)?
 */
static void check_raw(struct chk *c, const struct vpmem_ns_info *ns, char *st)
{
	uint8_t blk[4096];
	const uint8_t *parent = ns->labelled ? ns->raw_uuid : NULL;
	bool v2 = ns->claim == VPMEM_CLAIM_BTT2, btt = v2 || ns->claim == VPMEM_CLAIM_BTT;
	uint64_t at = ns->dpa + (v2 ? 0 : VPMEM_INFO_OFFSET);
	struct vpmem_btt_layout *l;
	struct vpmem_btt_info info;
	const char *sig;

	/* an unknown abstraction GUID: check_label has said what an info block
	 * under it means (the kernel shows it raw); once is enough */
	if (ns->claim == VPMEM_CLAIM_UNKNOWN)
		return;
	if (ns->claim == VPMEM_CLAIM_PFN || ns->claim == VPMEM_CLAIM_DAX) {
		add(c, (int)ns->index, VPMEM_CHECK_DAMAGED, ns->dpa + VPMEM_INFO_OFFSET, st,
		    "the info block has no backup copy; recreate the namespace and restore its data",
		    "%s", ns->note[0] ? ns->note : "no valid info block");
		return;
	}
	if (ns->rawsize < VPMEM_BTT_MIN_ARENA || pread_full(c->fd, blk, sizeof(blk), at))
		return;
	sig = sig_at(blk);
	if (sig && strcmp(sig, "BTT")) {
		add(c, (int)ns->index, VPMEM_CHECK_DAMAGED, at, st,
		    "the info block has no backup copy; the kernel shows the namespace as raw",
		    "%s info block rejected: %s", sig, ns->note[0] ? ns->note : "see 'vpmem list -v'");
		return;
	}
	if (!btt && ns->claim != VPMEM_CLAIM_NONE)
		return;
	/* the backup of arena 0 sits at the end of the arena the kernel would lay out */
	l = vpmem_btt_layout_new();
	if (!l) {
		c->nomem = 1;
		return;
	}
	if (!vpmem_btt_layout(ns->rawsize, 4096, v2, l, NULL) && l->narenas) {
		uint64_t b2 = ns->dpa + l->arena[0].off + l->arena[0].info2off;
		uint8_t bk[4096];

		if (!pread_full(c->fd, bk, sizeof(bk), b2) && !vpmem_btt_info_decode(bk, parent, &info, NULL)) {
			add(c, (int)ns->index, VPMEM_CHECK_REPAIRABLE, at, st,
			    "restore it from the backup copy (then run check again for the arenas)",
			    "BTT info block of arena 0 is %s; its backup at %#" PRIx64 " is valid",
			    sig ? "corrupt" : "missing", b2);
			plan(c, at, bk, sizeof(bk), "BTT arena 0 info block from its backup");
		} else if (sig || btt) {
			add(c, (int)ns->index, VPMEM_CHECK_DAMAGED, at, st,
			    "neither info block nor its backup is valid: the sectors cannot be located",
			    "BTT info block %s and no valid backup", sig ? "rejected" : "missing");
		}
	}
	vpmem_btt_layout_free(l);
}

/* ---- BTT ---- */

static bool bit_test_set(uint64_t *bm, uint32_t b)
{
	bool was = bm[b / 64] >> (b % 64) & 1;

	bm[b / 64] |= 1ULL << (b % 64);
	return was;
}

/*
 * [off, off + len) of the image is one hole (SEEK_DATA finds nothing in
 * it). *@next caches where the next data starts (0: unknown), so walking a
 * map in order costs one lseek per run of holes, not one per chunk.
 */
static bool map_hole(int fd, uint64_t off, uint64_t len, uint64_t *next)
{
	off_t d;

	if (*next > off)
		return *next >= off + len;
	d = lseek(fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		*next = errno == ENXIO ? UINT64_MAX : 0;   /* ENXIO: no data up to the end */
		return errno == ENXIO;
	}
	*next = (uint64_t)d;
	return (uint64_t)d >= off + len;
}

/* Set bits [p, p + n); false if any was set already. */
static bool bits_set_once(uint64_t *bm, uint32_t p, uint32_t n)
{
	bool ok = true;
	uint64_t i = p, end = (uint64_t)p + n;

	while (i < end && i % 64)
		ok &= !bit_test_set(bm, (uint32_t)i++);
	for (; i + 64 <= end; i += 64) {
		ok &= !bm[i / 64];
		bm[i / 64] = ~0ULL;
	}
	while (i < end)
		ok &= !bit_test_set(bm, (uint32_t)i++);
	return ok;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

struct nonid { uint32_t premap, post; };

static int cmp_premap(const void *x, const void *y)
{
	return cmp_u32(&((const struct nonid *)x)->premap, &((const struct nonid *)y)->premap);
}

#define SPARSE_MAX (1u << 20)

/*
 * ndctl's bitmap test without the bitmap, for BTTs that are mostly identity
 * (fresh or sparsely written: the map is holes and zero entries). Only
 * entries with flags (Z/E set: not the identity) and the free blocks are
 * collected; block b is referenced by the identity entry b when b <
 * external_nlba and entry b has no flags. With internal_nlba = external_nlba
 * + nfree (the info block decoder checked it), no block referenced twice
 * means every block referenced exactly once: lost blocks show as doubles.
 * Returns false (nothing judged) when more than SPARSE_MAX entries carry
 * flags: the bitmap walk then does the job.
 */
static bool check_refs_sparse(struct chk *c, int nsi, const struct vpmem_btt *b, unsigned ai,
			      const struct vpmem_btt_view *v, uint32_t *map, const char *st)
{
	struct nonid *n = NULL, key;
	uint32_t *refs = NULL;
	size_t nn = 0, alloc = 0, nr;
	struct vpmem_err e = { 0 };
	bool judged = false;
	uint64_t next = 0;

	if (v->npending)
		return false;
	for (uint32_t p = 0; p < v->external_nlba; p += MAP_CHUNK) {
		uint32_t cnt = v->external_nlba - p < MAP_CHUNK ? v->external_nlba - p : MAP_CHUNK;

		if (map_hole(c->fd, v->map + p * 4ULL, cnt * 4ULL, &next))
			continue;
		if (vpmem_btt_map_raw(b, ai, p, cnt, map, &e))
			goto out;     /* the bitmap walk reports it */
		for (uint32_t i = 0; i < cnt; i++) {
			if (!(map[i] & (MAP_Z | MAP_E)))
				continue;
			if ((map[i] & MAP_MASK) >= v->internal_nlba)
				goto out;
			if (nn == alloc) {
				struct nonid *nw;

				if (alloc >= SPARSE_MAX)
					goto out;
				alloc = alloc ? alloc * 2 : 4096;
				nw = realloc(n, alloc * sizeof(*n));
				if (!nw)
					goto out;
				n = nw;
			}
			n[nn++] = (struct nonid){ p + i, map[i] & MAP_MASK };
		}
	}
	refs = malloc((nn + v->nfree) * sizeof(*refs));
	if (!refs)
		goto out;
	for (size_t i = 0; i < nn; i++)
		refs[i] = n[i].post;
	for (uint32_t lane = 0; lane < v->nfree; lane++) {
		uint32_t ent[4];

		vpmem_btt_log_new(b, ai, lane, ent);
		refs[nn + lane] = ent[1] & MAP_MASK;
	}
	nr = nn + v->nfree;
	qsort(refs, nr, sizeof(*refs), cmp_u32);
	/* n is in premap order already (collected in map order) */
	judged = true;
	for (size_t i = 0; i < nr; i++) {
		bool twice = i + 1 < nr && refs[i] == refs[i + 1];

		key.premap = refs[i];
		if (!twice && refs[i] < v->external_nlba)
			twice = !bsearch(&key, n, nn, sizeof(*n), cmp_premap); /* its identity entry too */
		if (twice) {
			add(c, nsi, VPMEM_CHECK_DAMAGED, v->map, st,
			    "two references to one block: a sector lost its data or the next write destroys one; ndctl cannot repair it either",
			    "internal block %u is referenced by two map entries or a map entry and a flog lane", refs[i]);
			break;
		}
	}
	c->rep->btt_blocks += v->external_nlba + v->nfree;
out:
	free(n);
	free(refs);
	return judged;
}

static void check_arena(struct chk *c, const struct vpmem_ns_info *ns, struct vpmem_btt *b, unsigned ai,
			uint32_t *map)
{
	struct vpmem_btt_view v;
	uint8_t i1[4096], i2[4096];
	struct vpmem_btt_info info;
	struct vpmem_err e = { 0 };
	uint64_t *bm, lost = 0, first_lost = UINT64_MAX, next = 0;
	char st[48];
	int nsi = (int)ns->index;
	bool bad = false;

	vpmem_btt_arena_view(b, ai, &v);
	snprintf(st, sizeof(st), "btt arena %u", ai);
	if (pread_full(c->fd, i1, sizeof(i1), v.info) || pread_full(c->fd, i2, sizeof(i2), v.info2)) {
		add(c, nsi, VPMEM_CHECK_DAMAGED, v.info, st, "the image is truncated", "cannot read the info blocks");
		return;
	}
	vpmem_btt_info_decode(i1, NULL, &info, NULL);
	if (info.flags & BTT_INFO_FLAG_ERROR)
		add(c, nsi, VPMEM_CHECK_DAMAGED, v.info + 48, st, "the kernel keeps the BTT read-only",
		    "info block has the error flag set");
	/* ndctl btt_check_info2: the backup must equal the (verified) info block */
	if (memcmp(i1, i2, sizeof(i1))) {
		add(c, nsi, VPMEM_CHECK_REPAIRABLE, v.info2, st, "copy the info block over its backup",
		    "backup info block differs from the info block");
		plan(c, v.info2, i1, sizeof(i1), "BTT info block backup from the info block");
	}
	/* btt_check_log_entries: the newer live entry of every lane in range */
	for (uint32_t lane = 0; lane < v.nfree; lane++) {
		uint32_t ent[4];

		vpmem_btt_log_new(b, ai, lane, ent);
		if (ent[0] >= v.external_nlba || (ent[1] & MAP_MASK) >= v.internal_nlba ||
		    (ent[2] & MAP_MASK) >= v.internal_nlba || ent[3] > 3 || !ent[3]) {
			add(c, nsi, VPMEM_CHECK_DAMAGED, v.log + lane * 64ULL, st,
			    "ndctl check-namespace cannot repair it either",
			    "flog lane %u: entry {lba %u, old %u, new %u, seq %u} out of range (nlba %u, internal %u)",
			    lane, ent[0], ent[1] & MAP_MASK, ent[2] & MAP_MASK, ent[3], v.external_nlba, v.internal_nlba);
			bad = true;
		}
	}
	/* btt_check_log_map: a write that reached the flog but not the map */
	for (unsigned i = 0; i < v.npending; i++) {
		uint32_t lba, m, le;

		vpmem_btt_pending(b, ai, i, &lba, &m);
		add(c, nsi, VPMEM_CHECK_REPAIRABLE, v.map + lba * 4ULL, st,
		    "complete the write as the kernel's flog recovery does (map entry from the flog)",
		    "interrupted write of sector %" PRIu64 ": the flog has block %u, the map still the old one",
		    (uint64_t)lba + 0, m & MAP_MASK);
		le = htole32(m);
		plan(c, v.map + lba * 4ULL, &le, 4, "BTT map entry from the flog (roll forward)");
	}
	if (bad || !c->walk)
		return;
	if (check_refs_sparse(c, nsi, b, ai, &v, map, st))
		return;
	/* btt_check_map_entries + btt_check_bitmap: every internal block referenced once */
	bm = calloc((v.internal_nlba + 63) / 64 + 1, 8);
	if (!bm) {
		c->nomem = 1;
		return;
	}
	for (uint32_t p = 0; p < v.external_nlba; p += MAP_CHUNK) {
		uint32_t n = v.external_nlba - p < MAP_CHUNK ? v.external_nlba - p : MAP_CHUNK;

		if (!v.npending && map_hole(c->fd, v.map + p * 4ULL, n * 4ULL, &next)) {
			/* a hole reads as zero entries: the identity map, p+i -> p+i
			 * (in range: external_nlba <= internal_nlba), each block once */
			if (!bits_set_once(bm, p, n)) {
				add(c, nsi, VPMEM_CHECK_DAMAGED, v.map + p * 4ULL, st,
				    "two sectors share one block: one of them lost its data; ndctl cannot repair it either",
				    "an internal block in %u..%u is referenced by two map entries", p, p + n - 1);
				goto out;
			}
			continue;
		}
		if (vpmem_btt_map_raw(b, ai, p, n, map, &e)) {
			add(c, nsi, VPMEM_CHECK_DAMAGED, v.map + p * 4ULL, st, "the image is truncated", "%s", e.msg);
			goto out;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t post = (map[i] & (MAP_Z | MAP_E)) ? map[i] & MAP_MASK : p + i;

			if (post >= v.internal_nlba) {
				add(c, nsi, VPMEM_CHECK_DAMAGED, v.map + (p + i) * 4ULL, st,
				    "ndctl check-namespace cannot repair it either; the sector's data is lost",
				    "map entry %u points at block %u past the arena's %u", p + i, post, v.internal_nlba);
				goto out;
			}
			if (bit_test_set(bm, post)) {
				add(c, nsi, VPMEM_CHECK_DAMAGED, v.map + (p + i) * 4ULL, st,
				    "two sectors share one block: one of them lost its data; ndctl cannot repair it either",
				    "internal block %u is referenced by two map entries (the second: sector %u)", post, p + i);
				goto out;
			}
		}
	}
	c->rep->btt_blocks += v.external_nlba + v.nfree;
	for (uint32_t lane = 0; lane < v.nfree; lane++) {
		uint32_t ent[4];

		vpmem_btt_log_new(b, ai, lane, ent);
		if (bit_test_set(bm, ent[1] & MAP_MASK)) {
			add(c, nsi, VPMEM_CHECK_DAMAGED, v.log + lane * 64ULL, st,
			    "a free block is also mapped: the next write through this lane destroys a sector",
			    "flog lane %u frees block %u, which a map entry or another lane also references", lane,
			    ent[1] & MAP_MASK);
			goto out;
		}
	}
	for (uint64_t w = 0; w < (v.internal_nlba + 63) / 64; w++) {
		uint64_t want = w == v.internal_nlba / 64 ? (1ULL << (v.internal_nlba % 64)) - 1 : ~0ULL;

		if ((bm[w] & want) == want)
			continue;   /* a whole word referenced: the common case, 64 blocks at once */
		lost += (uint64_t)__builtin_popcountll(~bm[w] & want);
		if (first_lost == UINT64_MAX)
			first_lost = w * 64 + (uint64_t)__builtin_ctzll(~bm[w] & want);
	}
	if (lost)
		add(c, nsi, VPMEM_CHECK_DAMAGED, v.data, st,
		    "ndctl check-namespace reports the same bitmap error and does not repair it",
		    "%" PRIu64 " internal blocks are referenced by nothing (first: %" PRIu64 ")", lost, first_lost);
out:
	free(bm);
}

static void check_btt(struct chk *c, const struct vpmem_ns_info *ns, char *st)
{
	struct vpmem_btt *b = NULL;
	struct vpmem_err e = { 0 };
	uint32_t *map;
	int r;

	r = vpmem_btt_open(c->fd, ns->dpa, ns->rawsize, ns->claim == VPMEM_CLAIM_BTT2,
			   ns->labelled ? ns->raw_uuid : NULL, true, &b, &e);
	if (r) {
		add(c, (int)ns->index, r == -ENOMEM ? VPMEM_CHECK_DAMAGED : VPMEM_CHECK_DAMAGED, ns->dpa, st,
		    "the kernel refuses this BTT; ndctl check-namespace cannot repair it either", "%s", e.msg);
		c->nomem |= r == -ENOMEM;
		return;
	}
	map = malloc(MAP_CHUNK * sizeof(*map));
	if (!map)
		c->nomem = 1;
	for (unsigned ai = 0; map && ai < vpmem_btt_narenas(b); ai++)
		check_arena(c, ns, b, ai, map);
	free(map);
	vpmem_btt_close(b);
}

/* ---- the report ---- */

void vpmem_check_free(struct vpmem_check_report *rep)
{
	if (rep->ri) {
		vpmem_region_free(rep->ri);
		free(rep->ri);
	}
	free(rep->f);
	free(rep->ns);
	vpmem_wplan_free(&rep->repair);
	memset(rep, 0, sizeof(*rep));
}

static int check(int fd, const struct vpmem_image_hints *h, bool walk, struct vpmem_check_report *rep,
		 struct vpmem_err *err)
{
	struct chk c = { .fd = fd, .rep = rep, .walk = walk };
	struct vpmem_region_info *ri;
	struct stat sb;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (fstat(fd, &sb))
		return vpmem_err_set(err, errno, "cannot stat: %s", strerror(errno));
	ri = rep->ri = calloc(1, sizeof(*ri));
	if (!ri)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	r = vpmem_region_read(fd, h, ri, err);
	if (r) {
		free(ri);
		rep->ri = NULL;
		return r;
	}
	c.size = ri->size;
	c.lsa_base = ri->size - ri->label_size;
	check_lsa(&c);
	rep->ns = calloc(ri->nns ? ri->nns : 1, sizeof(*rep->ns));
	if (!rep->ns) {
		vpmem_check_free(rep);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	rep->nns = ri->nns;
	for (unsigned k = 0; k < ri->nns; k++) {
		const struct vpmem_ns_info *ns = &ri->ns[k];
		char st[48];

		snprintf(st, sizeof(st), "namespace%u info block", ns->index);
		rep->ns[k].index = (int)ns->index;
		rep->ns[k].mode = ns->mode;
		rep->ns[k].dpa = ns->dpa;
		rep->ns[k].rawsize = ns->rawsize;
		if (ns->mode == VPMEM_NS_SECTOR)
			check_btt(&c, ns, st);
		else if (ns->mode == VPMEM_NS_RAW)
			check_raw(&c, ns, st);
		/* fsdax/devdax: vpmem_region_read validated the info block as
		 * nd_pfn_validate does (signature, checksum, version, offsets,
		 * alignment, parent uuid); a rejected one reads as raw above */
	}
	if (c.nomem) {
		vpmem_check_free(rep);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < rep->nfindings; i++) {
		const struct vpmem_finding *f = &rep->f[i];

		if (f->severity > rep->verdict)
			rep->verdict = f->severity;
		if (f->ns < 0 && f->severity > rep->lsa_verdict)
			rep->lsa_verdict = f->severity;
		for (unsigned k = 0; k < rep->nns; k++)
			if (rep->ns[k].index == f->ns && f->severity > rep->ns[k].verdict)
				rep->ns[k].verdict = f->severity;
	}
	return 0;
}

int vpmem_check(int fd, const struct vpmem_image_hints *h, struct vpmem_check_report *rep,
		struct vpmem_err *err)
{
	return check(fd, h, true, rep, err);
}

int vpmem_check_headers(int fd, const struct vpmem_image_hints *h, struct vpmem_check_report *rep,
			struct vpmem_err *err)
{
	return check(fd, h, false, rep, err);
}
