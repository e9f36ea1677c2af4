// SPDX-License-Identifier: MIT
/*
 * Namespace planning inside an image: ndctl's rules (ndctl/namespace.c: size
 * defaults to the largest free extent, multiples of the 16 MiB region align,
 * first fit from DPA 0, sector size 4096, map=dev, align 2M; label-less regions
 * cannot be subdivided) and the kernel's on-media order (drivers/nvdimm/
 * label.c __pmem_label_update + nd_label_write_index: write the label into a
 * free slot, then commit by writing the *other* index block with the next
 * sequence number; btt.c btt_arena_write_layout: map, flog, info2, info).
 * Info areas are written before the label that makes them reachable, so a
 * crash after any write leaves the old namespace set or the new one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/btt.h>
#include <vpmem/image.h>
#include <vpmem/namespace.h>
#include <vpmem/nfit.h>
#include <vpmem/pfn.h>
#include <vpmem/size.h>

#define INFO_AREA 8192ULL   /* ndctl zero_info_block(): the first 8K of a namespace */

static int nomem(struct vpmem_err *err)
{
	return vpmem_err_set(err, ENOMEM, "out of memory");
}

int vpmem_image_plan_init_labels(const struct vpmem_image_spec *r, struct vpmem_wplan *p,
				 struct vpmem_err *err)
{
	struct vpmem_lsa_geom g;
	uint8_t *ix;
	uint64_t base;
	int rc;

	if (!r->label_size)
		return 0;
	rc = vpmem_lsa_geom(r->label_size, r->version, &g, err);
	if (rc)
		return rc;
	base = r->size - r->label_size;
	ix = malloc(g.isz);
	if (!ix)
		return nomem(err);
	/* ndctl init-labels: index0 seq 3, index1 seq 2, all slots free (current = 0) */
	vpmem_nsindex_encode(&g, 1, 2, NULL, ix);
	rc = vpmem_wplan_add(p, base + g.isz, ix, g.isz, false, "label index 1 (seq 2)");
	vpmem_nsindex_encode(&g, 0, 3, NULL, ix);
	if (!rc)
		rc = vpmem_wplan_add(p, base, ix, g.isz, true, "label index 0 (seq 3)");
	free(ix);
	return rc ? nomem(err) : 0;
}

/* First free extent (16M aligned) of at least @size; returns its DPA or UINT64_MAX. */
static uint64_t first_fit(const struct vpmem_region_info *ri, uint64_t size)
{
	uint64_t pos = 0;

	for (unsigned i = 0; i <= ri->nns; i++) {
		uint64_t end = i < ri->nns ? ri->ns[i].dpa : ri->region_size, s;

		if (vpmem_align_up(pos, VPMEM_REGION_ALIGN, &s) && end > s &&
		    vpmem_align_down(end, VPMEM_REGION_ALIGN) >= s + size)
			return s;
		if (i < ri->nns && ri->ns[i].dpa + ri->ns[i].rawsize > pos)
			pos = ri->ns[i].dpa + ri->ns[i].rawsize;
	}
	return UINT64_MAX;
}

/* @dpa itself when [dpa, dpa + size) is aligned, inside the region and free; else UINT64_MAX. */
static uint64_t pinned_fit(const struct vpmem_region_info *ri, uint64_t dpa, uint64_t size)
{
	if (!vpmem_is_aligned(dpa, VPMEM_REGION_ALIGN) || dpa > ri->region_size ||
	    size > vpmem_align_down(ri->region_size, VPMEM_REGION_ALIGN) - dpa)
		return UINT64_MAX;
	for (unsigned i = 0; i < ri->nns; i++)
		if (ri->ns[i].dpa < dpa + size && dpa < ri->ns[i].dpa + ri->ns[i].rawsize)
			return UINT64_MAX;
	return dpa;
}

/* Why pinned_fit failed, for the message: what stands in the way. */
static const char *pinned_why(const struct vpmem_region_info *ri, uint64_t dpa, uint64_t size, char *buf,
			      size_t len)
{
	char a[32];

	for (unsigned i = 0; i < ri->nns; i++)
		if (ri->ns[i].dpa < dpa + size && dpa < ri->ns[i].dpa + ri->ns[i].rawsize) {
			snprintf(buf, len, "namespace%u.%u starts at 0x%" PRIx64, 0, ri->ns[i].index, ri->ns[i].dpa);
			return buf;
		}
	snprintf(buf, len, "the region ends at %s", vpmem_size_str(vpmem_align_down(ri->region_size, VPMEM_REGION_ALIGN), a, sizeof(a)));
	return buf;
}

/* Writes that give the namespace at region offset @dpa its mode. */
static int plan_info_area(const struct vpmem_image_hints *h,
			  const struct vpmem_ns_req *req, uint64_t dpa, uint64_t size,
			  const uint8_t *parent, bool btt2, struct vpmem_wplan *p,
			  struct vpmem_ns_info *out, struct vpmem_err *err)
{
	static const uint8_t zero16[16];
	uint8_t info[2 * VPMEM_INFO_SIZE];
	uint8_t dev_uuid[16];
	int rc = 0;

	if (req->dev_uuid_set)
		memcpy(dev_uuid, req->dev_uuid, 16);
	else
		uuid_generate(dev_uuid);
	out->size = size;
	out->sector_size = 512;
	switch (req->mode) {
	case VPMEM_NS_RAW:
		/* a stale info block would turn a raw namespace into something else */
		if (vpmem_wplan_add(p, dpa, NULL, INFO_AREA, true, "zero the info area (raw)"))
			return nomem(err);
		return 0;
	case VPMEM_NS_FSDAX:
	case VPMEM_NS_DEVDAX: {
		struct vpmem_pfn_sb sb;
		bool dax = req->mode == VPMEM_NS_DEVDAX;
		uint64_t spa = (h && h->spa_base ? h->spa_base : VPMEM_DEFAULT_SPA) + dpa;

		rc = vpmem_pfn_compute(dax, spa, size,
				       req->map == VPMEM_MAP_MEM ? VPMEM_PFN_MODE_RAM : VPMEM_PFN_MODE_PMEM,
				       req->align, dev_uuid, parent ? parent : zero16, &sb, err);
		if (rc)
			return rc;
		memset(info, 0, VPMEM_INFO_SIZE);
		vpmem_pfn_encode(&sb, info + VPMEM_INFO_SIZE);
		if (vpmem_wplan_add(p, dpa, info, sizeof(info), true,
				    dax ? "dax info block (8K: zeros + block at 4K)" : "pfn info block (8K: zeros + block at 4K)"))
			return nomem(err);
		out->size = vpmem_pfn_usable(&sb, size);
		out->map = sb.mode == VPMEM_PFN_MODE_PMEM ? VPMEM_MAP_DEV : VPMEM_MAP_MEM;
		out->align = sb.align;
		out->dataoff = sb.dataoff;
		out->sector_size = dax ? 0 : 512;
		break;
	}
	case VPMEM_NS_SECTOR: {
		struct vpmem_btt_layout *l = vpmem_btt_layout_new();
		uint8_t *flog = NULL;

		if (!l)
			return nomem(err);
		rc = vpmem_btt_layout(size, req->sector_size, btt2, l, err);
		if (!rc && vpmem_wplan_add(p, dpa, NULL, INFO_AREA, false, "zero the info area"))
			rc = nomem(err);
		for (unsigned a = 0; !rc && a < l->narenas; a++) {
			const struct vpmem_btt_arena *ar = &l->arena[a];
			uint64_t base = dpa + ar->off;
			char what[96];

			snprintf(what, sizeof(what), "BTT arena %u map (zero = identity)", a);
			rc = vpmem_wplan_add(p, base + ar->mapoff, NULL, ar->logoff - ar->mapoff, false, what);
			flog = rc ? NULL : malloc(ar->info2off - ar->logoff);
			if (flog) {
				vpmem_btt_flog_init(ar, flog);
				snprintf(what, sizeof(what), "BTT arena %u flog (initial free blocks)", a);
				rc = vpmem_wplan_add_take(p, base + ar->logoff, flog, ar->info2off - ar->logoff, true, what);
			} else if (!rc) {
				rc = -ENOMEM;
			}
			vpmem_btt_info_encode(l, a, dev_uuid, parent ? parent : zero16, info);
			snprintf(what, sizeof(what), "BTT arena %u info2 (backup)", a);
			if (!rc)
				rc = vpmem_wplan_add(p, base + ar->info2off, info, VPMEM_BTT_INFO_SIZE, true, what);
			snprintf(what, sizeof(what), "BTT arena %u info block", a);
			if (!rc)
				rc = vpmem_wplan_add(p, base, info, VPMEM_BTT_INFO_SIZE, true, what);
			if (rc == -ENOMEM)
				rc = nomem(err);
		}
		if (!rc) {
			out->size = l->external_size;
			out->sector_size = req->sector_size;
		}
		vpmem_btt_layout_free(l);
		if (rc)
			return rc;
		break;
	}
	}
	out->has_uuid = true;
	memcpy(out->uuid, dev_uuid, 16);
	return 0;
}

/* A label area whose index blocks both fail is not label-less: writing as if
 * it were would bury whatever the labels described. */
static int check_labels_intact(const struct vpmem_region_info *ri, struct vpmem_err *err)
{
	if (!ri->label_corrupt)
		return 0;
	return vpmem_err_set(err, EILSEQ,
			     "the label area has no valid index block (index0: %s; index1: %s): not changing it; restore it from a backup or re-create the image",
			     ri->lsa.why[0], ri->lsa.why[1]);
}

static int check_req(const struct vpmem_ns_req *req, struct vpmem_err *err)
{
	if (req->name && strlen(req->name) > VPMEM_LABEL_NAME_LEN - 1)
		return vpmem_err_set(err, EINVAL, "--name is longer than %d characters", VPMEM_LABEL_NAME_LEN - 1);
	if (req->mode == VPMEM_NS_SECTOR && req->sector_size != 512 && req->sector_size != 4096)
		return vpmem_err_set(err, EINVAL, "--sector-size %u: use 512 or 4096", req->sector_size);
	if (req->mode != VPMEM_NS_SECTOR && req->sector_size && req->sector_size != 512)
		return vpmem_err_set(err, EINVAL, "--sector-size applies to sector mode only");
	if ((req->mode == VPMEM_NS_RAW || req->mode == VPMEM_NS_SECTOR) && (req->map || req->align))
		return vpmem_err_set(err, EINVAL, "--map and --align apply to fsdax and devdax only");
	return 0;
}

int vpmem_ns_plan_create(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
			 const struct vpmem_ns_req *reqin, struct vpmem_wplan *p,
			 struct vpmem_ns_info *out, struct vpmem_err *err)
{
	struct vpmem_ns_req req = *reqin;
	const struct vpmem_lsa *lsa = &ri->lsa;
	uint64_t size, dpa, lsa_base = ri->size - ri->label_size;
	uint32_t slot = UINT32_MAX, nfree = 0;
	struct vpmem_label l;
	char a[32], b[32];
	uint8_t *buf;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!req.sector_size)
		req.sector_size = req.mode == VPMEM_NS_SECTOR ? 4096 : 0;
	rc = check_req(&req, err);
	if (rc)
		return rc;
	rc = check_labels_intact(ri, err);
	if (rc)
		return rc;
	out->mode = req.mode;
	if (ri->cxl && !ri->labelled)
		return vpmem_err_set(err, EINVAL,
				     "the CXL label file has no valid index block (make the image with 'vpmem image create --cxl', or let the guest create the first namespace)");
	if (!ri->labelled) {
		/* one namespace spanning the region; its mode lives in its info block */
		if (req.size && req.size != ri->region_size)
			return vpmem_err_set(err, EINVAL,
					     "label-less image: its one namespace is the whole region (%s); --size cannot subdivide it (make the image with labels)",
					     vpmem_size_str(ri->region_size, a, sizeof(a)));
		if (req.name || req.uuid_set)
			return vpmem_err_set(err, EINVAL,
					     "label-less image: namespaces have no uuid or name (make the image with labels)");
		if (ri->nns && ri->ns[0].mode != VPMEM_NS_RAW)
			return vpmem_err_set(err, EEXIST,
					     "namespace0.0 is already %s; destroy it first (vpmem namespace destroy --all)",
					     vpmem_ns_mode_name(ri->ns[0].mode));
		if (!ri->region_size)
			return vpmem_err_set(err, ENOSPC, "the image has no region");
		out->rawsize = ri->region_size;
		return plan_info_area(h, &req, 0, ri->region_size, NULL, false, p, out, err);
	}
	/* labelled: allocate, then info area, label, index (commit) */
	if (req.size) {
		if (!vpmem_is_aligned(req.size, VPMEM_REGION_ALIGN))
			return vpmem_err_set(err, EINVAL, "--size %s is not a multiple of the region alignment (16M)",
					     vpmem_size_str(req.size, a, sizeof(a)));
		size = req.size;
	} else {
		size = ri->max_available_extent;
	}
	if (!size)
		return vpmem_err_set(err, ENOSPC, "no free space in the region (%s, all allocated)",
				     vpmem_size_human(ri->region_size, a, sizeof(a)));
	dpa = req.dpa_set ? pinned_fit(ri, req.dpa, size) : first_fit(ri, size);
	if (dpa == UINT64_MAX && req.dpa_set)
		return vpmem_err_set(err, ENOSPC, "the region has no free extent of %s at 0x%" PRIx64 " (%s)",
				     vpmem_size_str(size, a, sizeof(a)), req.dpa,
				     pinned_why(ri, req.dpa, size, b, sizeof(b)));
	if (dpa == UINT64_MAX)
		return vpmem_err_set(err, ENOSPC, "no free extent of %s (largest is %s)",
				     vpmem_size_str(size, a, sizeof(a)),
				     vpmem_size_str(ri->max_available_extent, b, sizeof(b)));
	if (req.uuid_set) {
		for (unsigned i = 0; i < ri->nns; i++)
			if (!memcmp(ri->ns[i].raw_uuid, req.uuid, 16))
				return vpmem_err_set(err, EEXIST, "a namespace with that uuid exists");
	} else {
		uuid_generate(req.uuid);
	}
	for (uint32_t s = 0; s < lsa->g.nslot; s++) {
		if (!vpmem_slot_free(lsa->free, s))
			continue;
		nfree++;
		if (slot == UINT32_MAX)
			slot = s;
	}
	/* the kernel keeps one free slot for its own updates (available_slots = free - 1) */
	if (nfree < 2)
		return vpmem_err_set(err, ENOSPC,
				     "the label area is full: its %u label slots hold %u namespaces (one stays free for updates); make the image with a larger --label-size",
				     lsa->g.nslot, lsa->g.nslot - 1);
	rc = plan_info_area(h, &req, dpa, size, req.uuid, lsa->g.version == VPMEM_LABEL_V1_2, p, out, err);
	if (rc)
		return rc;
	memset(&l, 0, sizeof(l));
	memcpy(l.uuid, req.uuid, 16);
	if (req.name)
		snprintf(l.name, sizeof(l.name), "%s", req.name);
	l.nlabel = 1;
	l.isetcookie = ri->iset_id;
	l.type = ri->cxl ? VPMEM_LTYPE_NONE : VPMEM_LTYPE_PMEM; /* label.h: type GUID */
	l.lbasize = req.mode == VPMEM_NS_SECTOR ? req.sector_size : 512;
	l.dpa = dpa;
	l.rawsize = size;
	l.slot = slot;
	if (lsa->g.version == VPMEM_LABEL_V1_2)
		l.claim = req.mode == VPMEM_NS_SECTOR ? VPMEM_CLAIM_BTT2
			: req.mode == VPMEM_NS_FSDAX ? VPMEM_CLAIM_PFN
			: req.mode == VPMEM_NS_DEVDAX ? VPMEM_CLAIM_DAX : VPMEM_CLAIM_NONE;
	buf = malloc(lsa->g.isz > lsa->g.lsz ? lsa->g.isz : lsa->g.lsz);
	if (!buf)
		return nomem(err);
	vpmem_label_encode(&lsa->g, &l, buf);
	rc = vpmem_wplan_add(p, lsa_base + 2ULL * lsa->g.isz + (uint64_t)slot * lsa->g.lsz, buf, lsa->g.lsz,
			     true, "namespace label");
	if (!rc) {
		uint8_t *fr = malloc((lsa->g.nslot + 7) / 8 + 8);
		int next = !lsa->current;
		char what[64];

		if (fr) {
			memcpy(fr, lsa->free, (lsa->g.nslot + 7) / 8);
			vpmem_slot_set_free(fr, slot, false);
			vpmem_nsindex_encode(&lsa->g, next, vpmem_nsindex_next_seq(lsa->seq[lsa->current]), fr, buf);
			snprintf(what, sizeof(what), "label index %d (commit)", next);
			rc = vpmem_wplan_add(p, lsa_base + (uint64_t)next * lsa->g.isz, buf, lsa->g.isz, true, what);
			free(fr);
		} else {
			rc = -ENOMEM;
		}
	}
	free(buf);
	if (rc)
		return nomem(err);
	out->labelled = true;
	memcpy(out->raw_uuid, req.uuid, 16);
	snprintf(out->name, sizeof(out->name), "%s", l.name);
	out->label_slot = slot;
	out->lbasize = l.lbasize;
	out->claim = l.claim;
	out->dpa = dpa;
	out->rawsize = size;
	if (req.mode == VPMEM_NS_RAW)
		memcpy(out->uuid, req.uuid, 16);
	{
		unsigned idx = 0;

		for (unsigned i = 0; i < ri->nns; i++)
			idx += ri->ns[i].dpa < dpa;
		out->index = idx;
	}
	return 0;
}

int vpmem_ns_plan_destroy(const struct vpmem_region_info *ri, enum vpmem_ns_match how,
			  const uint8_t uuid[16], const char *name, struct vpmem_wplan *p,
			  unsigned *count, struct vpmem_err *err)
{
	const struct vpmem_lsa *lsa = &ri->lsa;
	bool *hit;
	unsigned n = 0;
	int rc = 0;

	*count = 0;
	if (check_labels_intact(ri, err))
		return -EILSEQ;
	hit = calloc(ri->nns ? ri->nns : 1, sizeof(*hit));
	if (!hit)
		return nomem(err);
	for (unsigned i = 0; i < ri->nns; i++) {
		const struct vpmem_ns_info *ns = &ri->ns[i];

		switch (how) {
		case VPMEM_MATCH_ALL:
			hit[i] = ri->labelled || ns->mode != VPMEM_NS_RAW;
			break;
		case VPMEM_MATCH_UUID:
			hit[i] = (ns->labelled && !memcmp(ns->raw_uuid, uuid, 16)) ||
				 (ns->has_uuid && !memcmp(ns->uuid, uuid, 16));
			break;
		case VPMEM_MATCH_NAME:
			hit[i] = ns->labelled && name && !strcmp(ns->name, name);
			break;
		}
		n += hit[i];
	}
	if (!n)
		goto out;
	if (ri->labelled) {
		uint64_t lsa_base = ri->size - ri->label_size;
		uint8_t *fr = malloc((lsa->g.nslot + 7) / 8 + 8), *ix = malloc(lsa->g.isz);
		int next = !lsa->current;
		char what[64];

		if (fr && ix) {
			memcpy(fr, lsa->free, (lsa->g.nslot + 7) / 8);
			for (unsigned i = 0; i < ri->nns; i++)
				if (hit[i])
					vpmem_slot_set_free(fr, ri->ns[i].label_slot, true);
			vpmem_nsindex_encode(&lsa->g, next, vpmem_nsindex_next_seq(lsa->seq[lsa->current]), fr, ix);
			snprintf(what, sizeof(what), "label index %d (commit: labels freed)", next);
			rc = vpmem_wplan_add(p, lsa_base + (uint64_t)next * lsa->g.isz, ix, lsa->g.isz, true, what);
		} else {
			rc = -ENOMEM;
		}
		free(fr);
		free(ix);
	}
	/* as ndctl destroy-namespace: zero the first 8K (info blocks) */
	for (unsigned i = 0; !rc && i < ri->nns; i++) {
		char what[64];

		if (!hit[i])
			continue;
		snprintf(what, sizeof(what), "zero namespace%u's info area", ri->ns[i].index);
		rc = vpmem_wplan_add(p, ri->ns[i].dpa, NULL, INFO_AREA, true, what);
	}
	if (!rc)
		*count = n;
out:
	free(hit);
	return rc ? nomem(err) : 0;
}

int vpmem_image_change(const char *path, const struct vpmem_image_hints *hints, vpmem_region_planner plan,
		       void *arg, size_t limit, struct vpmem_wplan *wp, struct vpmem_err *err)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info ri = { 0 };
	int fd, r;

	if (hints)
		h = *hints;
	fd = vpmem_image_open(path, true, &h, err); /* CXL: with FILE.lsa */
	if (fd < 0)
		return fd; /* the message names @path */
	vpmem_wplan_route(wp, &h);
	r = vpmem_region_read(fd, &h, &ri, err);
	if (!r)
		r = plan(&ri, &h, arg, wp, err);
	if (!r && limit)
		r = vpmem_wplan_apply(fd, wp, limit, NULL, err);
	if (h.cxl && h.lsa_fd >= 0 && close(h.lsa_fd) && !r)
		r = vpmem_err_set(err, errno, "cannot close the label file: %s", strerror(errno));
	if (!r && close(fd))
		r = vpmem_err_set(err, errno, "cannot close: %s", strerror(errno));
	else if (r)
		close(fd);
	vpmem_region_free(&ri);
	return r ? vpmem_err_prefix(err, "'%s'", path) : 0;
}

struct create_arg {
	const struct vpmem_ns_req *req;
	struct vpmem_ns_info *out;
};

static int plan_create(const struct vpmem_region_info *ri, const struct vpmem_image_hints *h, void *arg,
		       struct vpmem_wplan *wp, struct vpmem_err *err)
{
	struct create_arg *c = arg;

	return vpmem_ns_plan_create(ri, h, c->req, wp, c->out, err);
}

int vpmem_namespace_create(const char *path, const struct vpmem_image_hints *hints,
			   const struct vpmem_ns_req *req, struct vpmem_ns_info *out, struct vpmem_err *err)
{
	struct vpmem_wplan plan = { 0 };
	struct vpmem_ns_info made;
	struct create_arg c = { req, out ? out : &made };
	int r = vpmem_image_change(path, hints, plan_create, &c, SIZE_MAX, &plan, err);

	vpmem_wplan_free(&plan);
	return r;
}
