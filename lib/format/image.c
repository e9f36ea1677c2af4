// SPDX-License-Identifier: MIT
/*
 * Images: planned writes, and decoding what a guest sees in a backing file.
 * Probe rules: Linux drivers/nvdimm/pmem.c nd_pmem_probe (BTT, then PFN, then
 * DAX, then raw), claim classes restricting each probe (btt_devs.c,
 * pfn_devs.c, dax_devs.c), label scan namespace_devs.c scan_labels /
 * create_namespace_pmem (cookie, nlabel, DPA order); doc/formats.md 2-6.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vpmem/btt.h>
#include <vpmem/cxl.h>
#include <vpmem/file.h>
#include <vpmem/image.h>
#include <vpmem/input.h>
#include <vpmem/namespace.h>
#include <vpmem/nfit.h>
#include <vpmem/pfn.h>
#include <vpmem/size.h>

#include "format/ondisk.h"
#include "util/le.h"
#include "util/msg.h"

#define MAX_DETECT_LABEL (64ULL << 20)

/* ---- write plans ---- */

/* The next entry of @p, zeroed, or NULL when out of memory. */
static struct vpmem_write *wplan_next(struct vpmem_wplan *p)
{
	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 16;
		struct vpmem_write *nw = realloc(p->w, na * sizeof(*nw));

		if (!nw)
			return NULL;
		p->w = nw;
		p->alloc = na;
	}
	memset(&p->w[p->n], 0, sizeof(p->w[p->n]));
	return &p->w[p->n];
}

int vpmem_wplan_add_take(struct vpmem_wplan *p, uint64_t off, void *data, uint64_t len,
			 bool sync, const char *what)
{
	struct vpmem_write *w = wplan_next(p);

	if (!w) {
		free(data);
		return -ENOMEM;
	}
	w->off = off;
	w->len = len;
	w->sync = sync;
	w->data = data;
	snprintf(w->what, sizeof(w->what), "%s", what);
	p->n++;
	return 0;
}

int vpmem_wplan_add(struct vpmem_wplan *p, uint64_t off, const void *data, uint64_t len,
		    bool sync, const char *what)
{
	uint8_t *copy = NULL;

	if (data) {
		copy = malloc(len ? len : 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	return vpmem_wplan_add_take(p, off, copy, len, sync, what);
}

int vpmem_wplan_move(struct vpmem_wplan *dst, struct vpmem_wplan *src)
{
	if (!src->n) {
		vpmem_wplan_free(src);
		return 0;
	}
	if (dst->alloc - dst->n < src->n) {
		size_t na = dst->n + src->n;
		struct vpmem_write *nw = realloc(dst->w, na * sizeof(*nw));

		if (!nw)
			return -ENOMEM;
		dst->w = nw;
		dst->alloc = na;
	}
	memcpy(dst->w + dst->n, src->w, src->n * sizeof(*src->w));
	dst->n += src->n;
	free(src->w);
	memset(src, 0, sizeof(*src));
	return 0;
}

void vpmem_wplan_free(struct vpmem_wplan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->w[i].data);
	free(p->w);
	memset(p, 0, sizeof(*p));
}

static int zero_range(int fd, uint64_t off, uint64_t len, struct vpmem_err *err)
{
	static const uint8_t zeros[65536];

	/* a hole reads as zeros and costs no space (never write what is implied) */
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return vpmem_err_set(err, errno, "cannot zero %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
				     len, off, strerror(errno));
	while (len) {
		size_t n = len > sizeof(zeros) ? sizeof(zeros) : (size_t)len;
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w <= 0)
			return vpmem_err_set(err, errno ? errno : EIO, "write at 0x%" PRIx64 ": %s", off,
					     strerror(errno ? errno : EIO));
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* Where write @w lands: @fd, or a CXL image's label file (vpmem_wplan_route). */
static int write_target(int fd, const struct vpmem_wplan *p, const struct vpmem_write *w,
			uint64_t *off)
{
	*off = w->off;
	if (p->lsa_base && w->off >= p->lsa_base) {
		*off = w->off - p->lsa_base;
		return p->lsa_fd;
	}
	return fd;
}

int vpmem_wplan_apply(int fd, const struct vpmem_wplan *p, size_t limit, uint64_t *written,
		      struct vpmem_err *err)
{
	uint64_t total = 0;

	/* images never grow: a write past the end is a planning bug (or a CXL
	 * label-area write that was not routed to the label file), refused
	 * before anything is written */
	struct stat fst[2]; /* @fd's, the label file's: each stat'ed once */
	bool have[2] = { false, false };

	for (size_t i = 0; i < p->n && i < limit; i++) {
		uint64_t off;
		int tfd = write_target(fd, p, &p->w[i], &off), k = tfd != fd;
		const struct stat *st = &fst[k];

		if (!have[k] && fstat(tfd, &fst[k]))
			return vpmem_err_set(err, errno, "cannot stat: %s", strerror(errno));
		have[k] = true;
		if (S_ISREG(st->st_mode) && (off > (uint64_t)st->st_size || p->w[i].len > (uint64_t)st->st_size - off))
			return vpmem_err_set(err, EINVAL, "%s at 0x%" PRIx64 " would write past the end of the file",
					     p->w[i].what, p->w[i].off);
		if (p->lsa_base && off < p->lsa_base && p->w[i].len > p->lsa_base - off)
			return vpmem_err_set(err, EINVAL, "%s at 0x%" PRIx64 " spans the memory and label files",
					     p->w[i].what, p->w[i].off);
	}
	for (size_t i = 0; i < p->n && i < limit; i++) {
		const struct vpmem_write *w0 = &p->w[i];
		struct vpmem_write wr = *w0, *w = &wr;
		int wfd = write_target(fd, p, w0, &wr.off);

		if (w->data) {
			uint64_t done = 0;

			while (done < w->len) {
				ssize_t r = pwrite(wfd, w->data + done, w->len - done, (off_t)(w->off + done));

				if (r <= 0)
					return vpmem_err_set(err, errno ? errno : EIO,
							     "cannot write %s at 0x%" PRIx64 ": %s", w->what,
							     w->off, strerror(errno ? errno : EIO));
				done += (uint64_t)r;
			}
			total += w->len;
		} else {
			int r = zero_range(wfd, w->off, w->len, err);

			if (r)
				return r;
		}
		/* a barrier orders everything before it: with a label file, both files */
		if (w->sync && (fdatasync(fd) || (p->lsa_base && fdatasync(p->lsa_fd))))
			return vpmem_err_set(err, errno, "fsync failed after %s: %s", w->what, strerror(errno));
	}
	if (written)
		*written = total;
	return 0;
}

/* ---- decoding ---- */

const char *vpmem_ns_mode_name(enum vpmem_ns_mode m)
{
	static const char *const n[] = { "raw", "sector", "fsdax", "devdax" };

	return m <= VPMEM_NS_DEVDAX ? n[m] : "unknown";
}

/*
 * Where the image's bytes come from: a buffer (fuzzing, tests) or a file read
 * with pread, never a mapping: a file on a full tmpfs, or one truncated by
 * another process while it is read, would turn a mapped read into SIGBUS
 * (shmem_fault cannot allocate; a page past EOF). A short or failed pread is
 * an error message instead, and the library installs no signal handler.
 */
struct src {
	const uint8_t *buf;   /* whole image, or NULL: read @fd */
	const struct vpmem_wplan *pending; /* writes laid over what @fd reads */
	struct vpmem_rsnap *snap; /* bytes of @fd already read in this plan, or NULL */
	int fd;
	uint64_t size;
	int lsa_fd;           /* a CXL image: bytes from mem_size on are the label file's */
	uint64_t mem_size;
	int error;            /* first read failure (positive errno), sticky */
	char why[160];
};

/* @len bytes at @off: a pointer into the buffer, or read into @scratch. NULL
 * when the file cannot give them (recorded in @s). */
/*
 * A plan's snapshot of the image (ondisk.h): the ranges read from the file
 * during one plan, kept. Each step of a plan decodes the region again, as
 * the previous steps leave it (the pending writes laid over the file); the
 * file itself does not change while the plan is made (the image is locked,
 * or not yet linked into place), so what a step reads is what an earlier
 * step read: the label area's index blocks and slots, the info blocks.
 */
struct rsnap_blk {
	uint64_t off;
	size_t len;
	uint8_t *data;
};

struct vpmem_rsnap {
	int fd;
	uint64_t size;
	size_t n, alloc;
	struct rsnap_blk *b;
};

#define RSNAP_MAX_BLK (1U << 20) /* larger reads (a whole big label area) go to the file each time */

struct vpmem_rsnap *rsnap_new(void)
{
	struct vpmem_rsnap *sn = calloc(1, sizeof(*sn));

	if (sn)
		sn->fd = -1;
	return sn;
}

void rsnap_free(struct vpmem_rsnap *sn)
{
	if (!sn)
		return;
	for (size_t i = 0; i < sn->n; i++)
		free(sn->b[i].data);
	free(sn->b);
	free(sn);
}

static const struct rsnap_blk *rsnap_find(const struct vpmem_rsnap *sn, uint64_t off, size_t len)
{
	for (size_t i = sn->n; i-- > 0;)
		if (sn->b[i].off <= off && len <= sn->b[i].len && off - sn->b[i].off <= sn->b[i].len - len)
			return &sn->b[i];
	return NULL;
}

/* The snapshot for the file on @fd of @size bytes: NULL (read the file) when
 * @sn was taken of another file. */
static struct vpmem_rsnap *rsnap_for(struct vpmem_rsnap *sn, int fd, uint64_t size)
{
	if (!sn)
		return NULL;
	if (sn->fd < 0) {
		sn->fd = fd;
		sn->size = size;
	}
	return sn->fd == fd && sn->size == size ? sn : NULL;
}

/* Keep a copy of @len bytes read at @off (out of memory: not kept, no error). */
static void rsnap_keep(struct vpmem_rsnap *sn, uint64_t off, const uint8_t *data, size_t len)
{
	struct rsnap_blk *b;

	if (len > RSNAP_MAX_BLK)
		return;
	if (sn->n == sn->alloc) {
		size_t na = sn->alloc ? sn->alloc * 2 : 16;
		struct rsnap_blk *nb = realloc(sn->b, na * sizeof(*nb));

		if (!nb)
			return;
		sn->b = nb;
		sn->alloc = na;
	}
	b = &sn->b[sn->n];
	b->data = malloc(len);
	if (!b->data)
		return;
	memcpy(b->data, data, len);
	b->off = off;
	b->len = len;
	sn->n++;
}

static const uint8_t *src_at(struct src *s, uint64_t off, size_t len, uint8_t *scratch)
{
	const struct rsnap_blk *kept;
	size_t done = 0;

	if (s->buf)
		return s->buf + off;
	if (s->error)
		return NULL;
	if (s->snap && (kept = rsnap_find(s->snap, off, len))) {
		memcpy(scratch, kept->data + (off - kept->off), len);
		done = len;
	}
	while (done < len) {
		uint64_t at = off + done;
		bool lsa = s->mem_size && at >= s->mem_size;
		size_t want = len - done;
		ssize_t r;

		if (s->mem_size && !lsa && want > s->mem_size - at)
			want = (size_t)(s->mem_size - at); /* up to the memory file's end */
		r = pread(lsa ? s->lsa_fd : s->fd, scratch + done, want, (off_t)(lsa ? at - s->mem_size : at));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			s->error = r < 0 ? errno : EIO;
			if (r < 0)
				snprintf(s->why, sizeof(s->why), "cannot read %zu bytes at 0x%" PRIx64 ": %s", len, off,
					 strerror(errno));
			else
				snprintf(s->why, sizeof(s->why),
					 "the file ends before 0x%" PRIx64 ": it shrank while being read (another process?)",
					 off + done);
			return NULL;
		}
		done += (size_t)r;
		if (done == len && s->snap)
			rsnap_keep(s->snap, off, scratch, len);
	}
	/* the image as it will be: planned writes over the bytes read, in order */
	for (size_t i = 0; s->pending && i < s->pending->n; i++) {
		const struct vpmem_write *w = &s->pending->w[i];
		uint64_t a = w->off > off ? w->off : off, b = w->off + w->len < off + len ? w->off + w->len : off + len;

		if (a >= b)
			continue;
		if (w->data)
			memcpy(scratch + (a - off), w->data + (a - w->off), b - a);
		else
			memset(scratch + (a - off), 0, b - a);
	}
	return scratch;
}

static bool in_region(const struct vpmem_region_info *ri, uint64_t off, uint64_t len)
{
	return off <= ri->region_size && len <= ri->region_size - off;
}

/* Sum the arenas of a BTT whose first info block is at @off. */
static bool probe_btt(struct src *src, const struct vpmem_region_info *ri, struct vpmem_ns_info *ns,
		      const uint8_t *parent, struct vpmem_err *why)
{
	uint8_t scratch[VPMEM_BTT_INFO_SIZE];
	const uint8_t *blk;
	bool v2 = ns->claim == VPMEM_CLAIM_BTT2;
	uint64_t off = ns->dpa + (v2 ? 0 : VPMEM_BTT_INFO_SIZE), end = ns->dpa + ns->rawsize, total = 0;
	struct vpmem_btt_info info;
	unsigned arenas = 0;

	if (ns->claim != VPMEM_CLAIM_NONE && ns->claim != VPMEM_CLAIM_BTT && !v2)
		return false;
	if (ns->rawsize < VPMEM_BTT_MIN_ARENA || !in_region(ri, off, VPMEM_BTT_INFO_SIZE))
		return false;
	for (;;) {
		if (off + VPMEM_BTT_INFO_SIZE > end ||
		    !(blk = src_at(src, off, VPMEM_BTT_INFO_SIZE, scratch)) ||
		    vpmem_btt_info_decode(blk, parent, &info, why))
			break;
		if (info.major != (v2 ? 2 : 1) || info.minor != (v2 ? 0 : 1)) {
			vpmem_err_set(why, EINVAL, "BTT info block version %u.%u where %s is expected",
				      info.major, info.minor, v2 ? "2.0" : "1.1");
			break;
		}
		if (!arenas) {
			memcpy(ns->uuid, info.uuid, 16);
			ns->sector_size = info.a.external_lbasize;
			ns->info_major = info.major;
			ns->info_minor = info.minor;
		}
		total += (uint64_t)info.a.external_nlba * info.a.external_lbasize;
		arenas++;
		if (!info.a.nextoff || info.a.nextoff > end - off || arenas > VPMEM_BTT_MAX_ARENAS)
			break;
		off += info.a.nextoff;
	}
	if (!arenas)
		return false;
	ns->mode = VPMEM_NS_SECTOR;
	ns->has_uuid = true;
	ns->size = total;
	return true;
}

static bool probe_pfn(struct src *src, struct vpmem_region_info *ri, struct vpmem_ns_info *ns,
		      const uint8_t *parent, const struct vpmem_image_hints *h, bool dax,
		      struct vpmem_err *why)
{
	uint8_t scratch[VPMEM_INFO_SIZE];
	const uint8_t *blk;
	struct vpmem_pfn_sb sb;
	uint64_t spa = (h && h->spa_base ? h->spa_base : VPMEM_DEFAULT_SPA) + ns->dpa;
	enum vpmem_claim want = dax ? VPMEM_CLAIM_DAX : VPMEM_CLAIM_PFN;
	int r;

	if (ns->claim != VPMEM_CLAIM_NONE && ns->claim != want)
		return false;
	if (!in_region(ri, ns->dpa + VPMEM_INFO_OFFSET, VPMEM_INFO_SIZE))
		return false;
	blk = src_at(src, ns->dpa + VPMEM_INFO_OFFSET, VPMEM_INFO_SIZE, scratch);
	if (!blk)
		return false;
	r = vpmem_pfn_decode(blk, spa, ns->rawsize, parent, &sb, why);
	if (r == -ENODEV || (!r && sb.dax != dax))
		return false;
	if (r) {
		MSG_ADD(ri->problems, &ri->nproblems, "namespace%u: %s; the kernel will not enable it", ns->index, why->msg);
		snprintf(ns->note, sizeof(ns->note), "%s", why->msg);
		return false;
	}
	ns->mode = dax ? VPMEM_NS_DEVDAX : VPMEM_NS_FSDAX;
	ns->map = sb.mode == VPMEM_PFN_MODE_PMEM ? VPMEM_MAP_DEV : VPMEM_MAP_MEM;
	ns->has_uuid = true;
	memcpy(ns->uuid, sb.uuid, 16);
	ns->size = vpmem_pfn_usable(&sb, ns->rawsize);
	/* no align recorded (before v1.2): the largest power of two in dataoff,
	 * which the decoder has checked is at least 8K */
	ns->align = sb.align ? sb.align
		  : sb.dataoff >> 31 ? 1u << 31 : (uint32_t)(1ULL << (63 - __builtin_clzll(sb.dataoff)));
	ns->dataoff = sb.dataoff;
	ns->sector_size = dax ? 0 : 512;
	ns->info_major = sb.major;
	ns->info_minor = sb.minor;
	return true;
}

static void probe_ns(struct src *src, struct vpmem_region_info *ri, struct vpmem_ns_info *ns,
		     const struct vpmem_image_hints *h)
{
	const uint8_t *parent = ns->labelled ? ns->raw_uuid : NULL;
	struct vpmem_err why = { 0 };

	/* nd_pmem_probe(): BTT, PFN, DAX, else raw */
	if (probe_btt(src, ri, ns, parent, &why) || probe_pfn(src, ri, ns, parent, h, false, &why) ||
	    probe_pfn(src, ri, ns, parent, h, true, &why))
		return;
	ns->mode = VPMEM_NS_RAW;
	ns->size = ns->rawsize;
	ns->sector_size = 512;
	ns->has_uuid = ns->labelled;
	if (ns->labelled)
		memcpy(ns->uuid, ns->raw_uuid, 16);
	if (ns->claim == VPMEM_CLAIM_UNKNOWN && !ns->note[0])
		snprintf(ns->note, sizeof(ns->note),
			 "unknown abstraction GUID: the kernel's BTT, fsdax and devdax probes refuse it, the namespace is raw");
	else if (ns->claim != VPMEM_CLAIM_NONE && !ns->note[0])
		snprintf(ns->note, sizeof(ns->note), "labelled %s but no valid %s info block: %s",
			 vpmem_claim_name(ns->claim), vpmem_claim_name(ns->claim),
			 why.msg[0] ? why.msg : "none found");
}

static int cmp_dpa(const void *a, const void *b)
{
	const struct vpmem_ns_info *x = a, *y = b;

	return (x->dpa > y->dpa) - (x->dpa < y->dpa);
}

static void free_space(struct vpmem_region_info *ri)
{
	uint64_t pos = 0;

	ri->available_size = ri->max_available_extent = 0;
	if (!ri->labelled)
		return;
	for (unsigned i = 0; i <= ri->nns; i++) {
		uint64_t end = i < ri->nns ? ri->ns[i].dpa : ri->region_size, s, e;

		if (vpmem_align_up(pos, VPMEM_REGION_ALIGN, &s) && end > s) {
			e = vpmem_align_down(end, VPMEM_REGION_ALIGN);
			if (e > s) {
				ri->available_size += e - s;
				if (e - s > ri->max_available_extent)
					ri->max_available_extent = e - s;
			}
		}
		if (i < ri->nns && ri->ns[i].dpa + ri->ns[i].rawsize > pos)
			pos = ri->ns[i].dpa + ri->ns[i].rawsize;
	}
}

/*
 * A CXL image's serial: the one its labels' cookies carry (the kernel checks
 * the cookie, so the labels are the truth), else the hint's (--serial or the
 * xattr), else the first device vpmem run makes. The region's cookie follows.
 */
static void cxl_serial(struct vpmem_region_info *ri, const struct vpmem_image_hints *h)
{
	const struct vpmem_lsa *lsa = &ri->lsa;
	unsigned best = 0, hint_votes = 0;

	ri->cxl_serial = h->cxl_serial_set ? h->cxl_serial : VPMEM_CXL_SERIAL_BASE;
	snprintf(ri->serial_source, sizeof(ri->serial_source), "%s", h->cxl_serial_set ? "xattr" : "default");
	/* the serial most labels carry (a damaged label must not outvote the
	 * others); the recorded one when any label carries it */
	for (unsigned i = 0; ri->labelled && i < lsa->nlabels; i++) {
		uint64_t sn = vpmem_cxl_serial_of_cookie(lsa->labels[i].isetcookie);
		unsigned votes = 0;

		for (unsigned k = 0; k < lsa->nlabels; k++)
			votes += vpmem_cxl_serial_of_cookie(lsa->labels[k].isetcookie) == sn;
		if (h->cxl_serial_set && sn == h->cxl_serial)
			hint_votes = votes;
		if (votes > best) {
			best = votes;
			ri->cxl_serial = sn;
		}
	}
	if (hint_votes) {
		ri->cxl_serial = h->cxl_serial;
		snprintf(ri->serial_source, sizeof(ri->serial_source), "labels");
	} else if (best) {
		if (h->cxl_serial_set)
			MSG_ADD(ri->problems, &ri->nproblems, "labels carry serial %#" PRIx64 ", not the %#" PRIx64 " recorded for the image: attach it with sn=%#" PRIx64,
				ri->cxl_serial, h->cxl_serial, ri->cxl_serial);
		snprintf(ri->serial_source, sizeof(ri->serial_source), "labels");
	}
	ri->iset_id = vpmem_cxl_cookie(ri->cxl_serial, 0);
}

static void read_labels(struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
			int fallback_slot)
{
	struct vpmem_lsa *lsa = &ri->lsa;
	bool v12 = lsa->g.version == VPMEM_LABEL_V1_2, bad_type = false;
	struct vpmem_nfit_dimm d;
	int slot = -1;

	if (ri->cxl) {
		cxl_serial(ri, h);
		goto labels;
	}
	/* the slot the labels were written for: from their cookies */
	for (unsigned i = 0; i < lsa->nlabels; i++) {
		int s = vpmem_slot_of_cookie(lsa->labels[i].isetcookie);

		if (s >= 0 && slot < 0)
			slot = s;
		else if (s >= 0 && s != slot)
			MSG_ADD(ri->problems, &ri->nproblems, "label slot %u carries the cookie of QEMU slot %d, others slot %d",
				lsa->labels[i].slot, s, slot);
	}
	if (slot >= 0) {
		if (h && h->slot >= 0 && h->slot != slot)
			MSG_ADD(ri->problems, &ri->nproblems, "labels belong to QEMU slot %d, not the slot %d given: a guest with the image in slot %d ignores them",
				slot, h->slot, h->slot);
		if (!(h && h->slot >= 0)) {
			ri->slot = slot;
			snprintf(ri->slot_source, sizeof(ri->slot_source), "labels");
		}
	}
	vpmem_nfit_dimm((unsigned)(ri->slot >= 0 ? ri->slot : fallback_slot), &d);
	ri->iset_id = v12 ? d.cookie2 : d.cookie1;
labels:
	for (unsigned i = 0; i < lsa->nlabels; i++) {
		const struct vpmem_label *l = &lsa->labels[i];
		struct vpmem_ns_info *ns;
		bool dup = false;

		/* create_namespace_pmem(): cookie (or altcookie: equal for one mapping) */
		if (l->isetcookie != ri->iset_id) {
			MSG_ADD(ri->problems, &ri->nproblems, "label slot %u: interleave cookie %#" PRIx64 " is not this DIMM's %#" PRIx64 " (ignored by the kernel)",
				l->slot, l->isetcookie, ri->iset_id);
			continue;
		}
		if (l->nlabel != 1 || l->position != 0) {
			MSG_ADD(ri->problems, &ri->nproblems, "label slot %u: nlabel %u position %u (QEMU regions have one DIMM; ignored)",
				l->slot, l->nlabel, l->position);
			continue;
		}
		/* nsl_validate_type_guid: the region's type GUID (label.h). A label
		 * that fails it is not skipped: create_namespace_pmem gives up with
		 * "nmemX missing label for UUID" (-EINVAL) and the whole region
		 * fails to probe (measured on 6.1 and 6.12: no region, no namespace) */
		if (ri->cxl && v12 && l->type != VPMEM_LTYPE_NONE) {
			MSG_ADD(ri->problems, &ri->nproblems, "label slot %u: type GUID is not zero, as a CXL region's labels must be: the guest kernel fails the whole region ('missing label for' the uuid), no namespace of it appears",
				l->slot);
			bad_type = true;
			continue;
		}
		/* an unknown abstraction GUID is not a reason to skip the label:
		 * create_namespace_pmem keeps it (claim class NVDIMM_CCLASS_UNKNOWN,
		 * preserved on label updates by to_abstraction_guid) and
		 * nd_btt_probe/nd_pfn_probe/nd_dax_probe refuse that class, so
		 * the namespace comes up raw (probe_btt/probe_pfn below agree) */
		if (!l->rawsize || l->dpa > ri->region_size || l->rawsize > ri->region_size - l->dpa) {
			MSG_ADD(ri->problems, &ri->nproblems, "label slot %u: extent 0x%" PRIx64 "+0x%" PRIx64 " is outside the region (ignored)",
				l->slot, l->dpa, l->rawsize);
			continue;
		}
		for (unsigned k = 0; k < ri->nns; k++)
			dup |= !memcmp(ri->ns[k].raw_uuid, l->uuid, 16);
		if (dup) {
			MSG_ADD(ri->problems, &ri->nproblems, "label slot %u: duplicate namespace uuid (the kernel rejects both)", l->slot);
			continue;
		}
		ns = &ri->ns[ri->nns++]; /* room for every label: region_read */
		memset(ns, 0, sizeof(*ns));
		ns->labelled = true;
		memcpy(ns->raw_uuid, l->uuid, 16);
		memcpy(ns->name, l->name, sizeof(ns->name) - 1);
		ns->label_slot = l->slot;
		ns->lbasize = l->lbasize;
		ns->claim = v12 ? l->claim : VPMEM_CLAIM_NONE;
		ns->dpa = l->dpa;
		ns->rawsize = l->rawsize;
	}
	if (bad_type)
		ri->nns = 0; /* as the guest sees it: the region's namespaces fail together */
	qsort(ri->ns, ri->nns, sizeof(ri->ns[0]), cmp_dpa);
	for (unsigned i = 0; i + 1 < ri->nns; i++)
		if (ri->ns[i].dpa + ri->ns[i].rawsize > ri->ns[i + 1].dpa)
			MSG_ADD(ri->problems, &ri->nproblems, "namespaces at DPA 0x%" PRIx64 " and 0x%" PRIx64 " overlap",
				ri->ns[i].dpa, ri->ns[i + 1].dpa);
}

void vpmem_region_free(struct vpmem_region_info *ri)
{
	vpmem_lsa_free(&ri->lsa);
	free(ri->ns);
	ri->ns = NULL;
	ri->nns = 0;
}

/*
 * Decode the @c-byte label area at the end of the image into @lsa: 0, -ENODEV
 * (no index signature), -ENOMEM, or -EIO (read failure, in @s). From a file,
 * the index blocks' places are looked at first (index 0 at 0, index 1 at isz
 * for either label size, the only blocks vpmem_lsa_decode checks), so probing
 * candidate sizes up to 64 MiB reads a few bytes each, not the whole area.
 *
 * Then only what the decoder looks at is read: the two index blocks, and the
 * slots the current index marks in use (a run of them in one read). The rest
 * of lsa->raw stays zero, in a calloc'ed buffer whose untouched pages are
 * never faulted in: reading the whole 128K area cost 32 page faults per
 * decode, most of a layout plan's time (bench/layout.sh). Past
 * MAX_SLOT_RUNS runs of used slots the area is read whole, in one pread.
 */
#define MAX_SLOT_RUNS 8

static int lsa_at(struct src *s, uint64_t c, struct vpmem_lsa *lsa)
{
	uint64_t base = s->size - c, head = 0;
	uint8_t *area;
	bool sig = s->buf != NULL;
	int r;

	for (int v = VPMEM_LABEL_V1_1; v <= VPMEM_LABEL_V1_2; v++) {
		struct vpmem_lsa_geom g;
		uint8_t b[sizeof(VPMEM_NSINDEX_SIG)];

		if (vpmem_lsa_geom(c, (enum vpmem_label_version)v, &g, NULL))
			continue;
		if (2ULL * g.isz > head)
			head = 2ULL * g.isz;
		for (int i = 0; !sig && i < 2; i++) {
			if (!src_at(s, base + (uint64_t)i * g.isz, sizeof(b), b))
				return -EIO;
			sig = !memcmp(b, VPMEM_NSINDEX_SIG, sizeof(b));
		}
	}
	if (!sig) {
		memset(lsa, 0, sizeof(*lsa));
		lsa->current = -1;
		return -ENODEV;
	}
	if (s->buf)
		return vpmem_lsa_decode(s->buf + base, c, lsa, NULL);
	area = calloc(1, c);
	if (!area)
		return -ENOMEM;
	/* the index blocks, for either label size: which index is current,
	 * and its free bitmap (the labels decoded from zeros here are redone) */
	r = src_at(s, base, head < c ? head : c, area) ? lsa_decode_take(area, area, c, lsa, NULL) : -EIO;
	if (!r && lsa->current >= 0) {
		const struct vpmem_lsa_geom g = lsa->g;
		uint64_t loff = 2ULL * g.isz;
		uint32_t runs = 0;

		for (uint32_t i = 0; i < g.nslot; i++)
			runs += !vpmem_slot_free(lsa->free, i) && (!i || vpmem_slot_free(lsa->free, i - 1));
		for (uint32_t i = 0; runs <= MAX_SLOT_RUNS && i < g.nslot;) {
			uint32_t n = 0;

			while (i + n < g.nslot && !vpmem_slot_free(lsa->free, i + n))
				n++;
			if (n && !src_at(s, base + loff + (uint64_t)i * g.lsz, (size_t)n * g.lsz,
					 area + loff + (size_t)i * g.lsz))
				r = -EIO;
			i += n ? n : 1;
		}
		if (runs > MAX_SLOT_RUNS && !src_at(s, base + loff, (size_t)(c - loff), area + loff))
			r = -EIO;
		lsa->raw = NULL; /* still @area: decoded again, now with the labels */
		vpmem_lsa_free(lsa);
		if (!r)
			r = lsa_decode_take(area, area, c, lsa, NULL);
	}
	if (lsa->raw != area)
		free(area); /* else lsa owns it */
	return r;
}

static int src_fail(struct src *s, struct vpmem_region_info *ri, struct vpmem_err *err)
{
	vpmem_region_free(ri);
	if (s->error)
		return vpmem_err_set(err, s->error, "%s", s->why);
	return vpmem_err_set(err, ENOMEM, "out of memory");
}

/*
 * Decode; the slot is the hint's, else the one the labels carry, else
 * @fallback_slot (named @fallback_source): every cookie below follows it.
 */
static int region_read(struct src *src, const struct vpmem_image_hints *h,
		       int fallback_slot, const char *fallback_source, struct vpmem_region_info *ri,
		       struct vpmem_err *err)
{
	uint64_t L = 0, size = src->size;
	bool sig_seen = false;
	int r;

	memset(ri, 0, sizeof(*ri));
	ri->lsa.current = -1;
	ri->size = size;
	ri->slot = h && h->slot >= 0 ? h->slot : -1;
	snprintf(ri->slot_source, sizeof(ri->slot_source), "%s", ri->slot >= 0 ? "hint" : "");
	ri->cxl = h && h->cxl;
	if (ri->cxl && (h->cxl_mem_size >= size || h->cxl_mem_size % VPMEM_REGION_ALIGN))
		return vpmem_err_set(err, EINVAL, "CXL memory file of %" PRIu64 " bytes: not a whole number of 16M",
				     h->cxl_mem_size);
	if (ri->cxl) {
		/* the label file is the label area, whatever its contents */
		L = size - h->cxl_mem_size;
		r = lsa_at(src, L, &ri->lsa);
		if (r == -ENOMEM || r == -EIO)
			return src_fail(src, ri, err);
		sig_seen = r == 0;
	} else if (h && h->label_size_set) {
		L = h->label_size;
		if (L && (L >= size || L < 4096))
			return vpmem_err_set(err, EINVAL, "label size %" PRIu64 " does not fit a %" PRIu64 "-byte image",
					     L, size);
		if (L) {
			r = lsa_at(src, L, &ri->lsa);
			if (r == -ENOMEM || r == -EIO)
				return src_fail(src, ri, err);
			sig_seen = r == 0;
		}
	} else {
		for (uint64_t c = VPMEM_MIN_LABEL_SIZE; c <= size / 2 && c <= MAX_DETECT_LABEL; c *= 2) {
			r = lsa_at(src, c, &ri->lsa);
			if (r == -ENOMEM || r == -EIO)
				return src_fail(src, ri, err);
			if (!r && ri->lsa.current >= 0) {
				L = c;
				ri->label_size_detected = true;
				break;
			}
			if (!r && !sig_seen) {
				sig_seen = true;
				L = c; /* an index signature, but no valid index */
			}
			vpmem_lsa_free(&ri->lsa);
		}
		if (!ri->label_size_detected && sig_seen) {
			r = lsa_at(src, L, &ri->lsa);
			if (r == -ENOMEM || r == -EIO)
				return src_fail(src, ri, err);
			if (r) {
				vpmem_region_free(ri);
				return vpmem_err_set(err, -r, "label area at 0x%" PRIx64 ": %s", size - L, strerror(-r));
			}
			ri->label_size_detected = true;
		}
	}
	ri->label_size = L;
	ri->region_size = vpmem_align_down(size - L, 4096);
	ri->labelled = ri->lsa.current >= 0;
	ri->label_corrupt = L && !ri->labelled && sig_seen;
	/* as many namespaces as the label area has labels (the kernel's limit), else one */
	ri->ns = calloc(ri->labelled && ri->lsa.nlabels ? ri->lsa.nlabels : 1, sizeof(*ri->ns));
	if (!ri->ns)
		return src_fail(src, ri, err);
	if (ri->label_corrupt)
		MSG_ADD(ri->problems, &ri->nproblems, "label area at 0x%" PRIx64 ": no valid index block (index0: %s; index1: %s); the guest sees a label-less DIMM",
			size - L, ri->lsa.why[0], ri->lsa.why[1]);
	if (ri->labelled) {
		read_labels(ri, h, fallback_slot);
	} else {
		struct vpmem_nfit_dimm d;

		vpmem_nfit_dimm((unsigned)(ri->slot >= 0 ? ri->slot : fallback_slot), &d);
		/* set_cookie_show: label-less DIMM -> cookie1; label-capable without an
		 * index -> cookie2 (doc/formats.md 2) */
		ri->iset_id = L ? d.cookie2 : d.cookie1;
		if (ri->cxl)
			cxl_serial(ri, h);
		/* a CXL nvdimm is always labelling (cxl_nvdimm_probe sets NDD_LABELING):
		 * with no index block it has no namespace, not a label-less one */
		if (ri->region_size && !ri->cxl) {
			ri->nns = 1;
			memset(&ri->ns[0], 0, sizeof(ri->ns[0]));
			ri->ns[0].rawsize = ri->region_size;
		}
	}
	if (ri->cxl) {
		ri->slot = -1; /* no QEMU NVDIMM slot: the serial is the identity */
		snprintf(ri->slot_source, sizeof(ri->slot_source), "cxl");
	} else if (ri->slot < 0) {
		ri->slot = fallback_slot;
		snprintf(ri->slot_source, sizeof(ri->slot_source), "%s", fallback_source);
	}
	for (unsigned i = 0; i < ri->nns; i++) {
		ri->ns[i].index = i;
		probe_ns(src, ri, &ri->ns[i], h);
	}
	if (src->error)
		return src_fail(src, ri, err);
	free_space(ri);
	return 0;
}

int vpmem_region_read_buf(const uint8_t *buf, uint64_t size, const struct vpmem_image_hints *h,
			  struct vpmem_region_info *ri, struct vpmem_err *err)
{
	struct src s = { .buf = buf, .fd = -1, .size = size };

	return region_read(&s, h, 0, "default", ri, err);
}

int vpmem_region_read(int fd, const struct vpmem_image_hints *h, struct vpmem_region_info *ri,
		      struct vpmem_err *err)
{
	return vpmem_region_read_after(fd, h, NULL, ri, err);
}

int vpmem_region_read_after(int fd, const struct vpmem_image_hints *h, const struct vpmem_wplan *pending,
			    struct vpmem_region_info *ri, struct vpmem_err *err)
{
	return region_read_snap(fd, h, pending, NULL, ri, err);
}

int region_read_snap(int fd, const struct vpmem_image_hints *h, const struct vpmem_wplan *pending,
			   struct vpmem_rsnap *snap, struct vpmem_region_info *ri, struct vpmem_err *err)
{
	struct src s = { .fd = fd, .pending = pending, .snap = snap };
	struct stat st;
	char xs[16], *end;
	ssize_t n;
	int fallback = 0;

	memset(ri, 0, sizeof(*ri));
	if (fstat(fd, &st))
		return vpmem_err_set(err, errno, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vpmem_err_set(err, EINVAL, "not a regular file");
	if ((uint64_t)st.st_size < VPMEM_REGION_ALIGN)
		return vpmem_err_set(err, EINVAL, "only %" PRIu64 " bytes: too small to be a vNVDIMM image",
				     (uint64_t)st.st_size);
	s.size = (uint64_t)st.st_size;
	if (h && h->cxl) {
		struct vpmem_image_hints ch = *h;

		if (fstat(h->lsa_fd, &st))
			return vpmem_err_set(err, errno, "cannot stat the label file: %s", strerror(errno));
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < VPMEM_MIN_LABEL_SIZE ||
		    (uint64_t)st.st_size > MAX_DETECT_LABEL)
			return vpmem_err_set(err, EINVAL, "the label file has %" PRIu64 " bytes, not 128K-64M",
					     (uint64_t)st.st_size);
		ch.cxl_mem_size = s.mem_size = s.size;
		s.lsa_fd = h->lsa_fd;
		s.size += (uint64_t)st.st_size;
		s.snap = rsnap_for(snap, fd, s.size);
		return region_read(&s, &ch, 0, "cxl", ri, err);
	}
	s.snap = rsnap_for(snap, fd, s.size);
	/* with no hint and no labels to tell: the slot `vpmem image create --slot`
	 * remembered in an xattr (labels, once written, carry it themselves) */
	n = h && h->slot >= 0 ? -1 : fgetxattr(fd, "user.vpmem.slot", xs, sizeof(xs) - 1);
	if (n > 0) {
		long v;

		xs[n] = '\0';
		errno = 0;
		v = strtol(xs, &end, 10);
		if (errno || end == xs || *end || v < 0 || v >= (long)VPMEM_NFIT_MAX_SLOTS)
			return vpmem_err_set(err, EINVAL, "xattr user.vpmem.slot is '%.15s', not a slot number 0-%u",
					     xs, VPMEM_NFIT_MAX_SLOTS - 1);
		fallback = (int)v;
	}
	return region_read(&s, h, fallback, n > 0 ? "xattr" : "default", ri, err);
}

int vpmem_image_open_locked(const char *path, struct vpmem_err *err)
{
	struct stat st;
	int fd = vpmem_open_input(path, O_RDWR, VPMEM_IN_REG, "image", err), pid;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		close(fd);
		return vpmem_err_set(err, errno, "cannot stat '%s': %s", path, strerror(errno));
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		char comm[32];
		long who;

		close(fd);
		who = vpmem_file_lock_holder(path, comm, sizeof(comm));
		if (who > 0)
			return vpmem_err_set(err, EBUSY, "'%s' is locked by another process (pid %ld%s%s)", path, who,
					     *comm ? ", " : "", comm);
		return vpmem_err_set(err, EBUSY, "'%s' is locked by another process", path);
	}
	pid = vpmem_file_mapped_by(st.st_dev, st.st_ino, NULL);
	if (pid) {
		close(fd);
		return vpmem_err_set(err, EBUSY,
				     "'%s' is mapped by process %d (a running VM?): stop it before changing the image",
				     path, pid);
	}
	return fd;
}

/* The directory of @path into @dir; returns its last component. */
static const char *dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
	return slash ? slash + 1 : path;
}

int vpmem_image_write_init_labels(int fd, const struct vpmem_image_spec *spec, struct vpmem_err *err)
{
	struct vpmem_wplan plan = { 0 };
	int r = vpmem_image_plan_init_labels(spec, &plan, err);

	if (!r) {
		vpmem_wplan_drop_barriers(&plan);
		r = vpmem_wplan_apply(fd, &plan, SIZE_MAX, NULL, err);
	}
	vpmem_wplan_free(&plan);
	return r;
}

/* Size, label, fill and name the unlinked file @fd; 0 once @path is its name. */
static int create_fill(int fd, const char *tmp, const char *path, const struct vpmem_image_spec *spec,
		       const struct vpmem_image_create_opts *o, struct vpmem_err *err)
{
	char slot[16];
	int r = 0;

	if (ftruncate(fd, (off_t)spec->size))
		return vpmem_err_set(err, errno, "cannot size '%s': %s", path, strerror(errno));
	/* the file has no name yet: a crash leaves nothing at @path; the one
	 * fsync before link() below makes every write durable before the name
	 * appears */
	if (spec->label_size && !o->blank_labels && (r = vpmem_image_write_init_labels(fd, spec, err)))
		return r;
	if (o->fill && (r = o->fill(fd, o->arg, err)))
		return r;
	snprintf(slot, sizeof(slot), "%d", spec->slot);
	/* remembered for label-less images; labels carry it in their cookies
	 * (slot -1: none, e.g. a CXL image, whose identity is its serial) */
	if (spec->slot >= 0)
		fsetxattr(fd, "user.vpmem.slot", slot, strlen(slot), 0);
	if (fchmod(fd, (mode_t)(o->mode ? o->mode : 0644)) || fsync(fd) || link(tmp, path))
		return vpmem_err_set(err, errno, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

int vpmem_image_create_with(const char *path, const struct vpmem_image_spec *spec,
			    const struct vpmem_image_create_opts *o, struct vpmem_err *err)
{
	static const struct vpmem_image_create_opts none;
	char dir[PATH_MAX], tmp[PATH_MAX + 64];
	const char *name = dir_of(path, dir, sizeof(dir));
	int fd, r;

	if (!o)
		o = &none;
	if (!*name)
		return vpmem_err_set(err, EINVAL, "'%s' names a directory, not an image file", path);
	if (spec->label_size && !o->blank_labels) {
		struct vpmem_wplan check = { 0 };

		/* a bad spec is refused before anything is made */
		r = vpmem_image_plan_init_labels(spec, &check, err);
		vpmem_wplan_free(&check);
		if (r)
			return r;
	}
	if (!access(path, F_OK))
		return vpmem_err_set(err, EEXIST, "'%s' exists (vpmem never overwrites an image)", path);
	if (o->make_dirs && (r = vpmem_mkdir_p(dir, err)))
		return r;
	/* a temporary name beside @path, linked into place only when complete */
	snprintf(tmp, sizeof(tmp), "%s/.%s.vpmem-XXXXXX", dir, name);
	fd = mkstemp(tmp);
	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot create '%s': %s", path, strerror(errno));
	r = create_fill(fd, tmp, path, spec, o, err);
	close(fd);
	unlink(tmp);
	if (r)
		return r;
	/* the new name itself durable */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int vpmem_image_create(const char *path, const struct vpmem_image_spec *spec, unsigned mode,
		       struct vpmem_err *err)
{
	struct vpmem_image_create_opts o = { .mode = mode };

	return vpmem_image_create_with(path, spec, &o, err);
}

int vpmem_image_list(const char *path, const struct vpmem_image_hints *hints, struct vpmem_region_info *ri,
		     struct vpmem_err *err)
{
	struct vpmem_image_hints h = { .slot = -1 };
	int fd, r;

	if (hints)
		h = *hints;
	memset(ri, 0, sizeof(*ri));
	fd = vpmem_image_open(path, false, &h, err); /* CXL: with FILE.lsa */
	if (fd < 0)
		return fd;
	r = vpmem_region_read(fd, &h, ri, err);
	vpmem_image_close(fd, &h);
	if (r)
		vpmem_err_prefix(err, "'%s'", path);
	return r;
}
