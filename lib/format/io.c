// SPDX-License-Identifier: MIT
/* The data path: namespace byte ranges, import and export; see include/vpmem/io.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/input.h>
#include <vpmem/io.h>
#include <vpmem/pfn.h>

#include "util/le.h"

#define CHUNK (1u << 20)       /* import/export step */
#define ZBLK 4096u             /* zero detection granularity */
#define PROGRESS_STEP (32ULL << 20)

struct vpmem_ns_io {
	int fd;
	bool rdonly;
	enum vpmem_ns_mode mode;
	uint64_t base, size;      /* raw/fsdax/devdax: byte 0 in the file, length */
	uint32_t block;
	struct vpmem_btt *btt;
	struct vpmem_wplan *plan;  /* planned namespace: writes go here, not to fd */
};

int vpmem_ns_select(const struct vpmem_region_info *ri, const char *name, const uint8_t *uuid,
		    const char *dev, struct vpmem_err *err)
{
	int found = -1;

	if (!name && !uuid && !dev)
		return vpmem_err_set(err, EINVAL, "no namespace named");
	if (dev) {
		unsigned x, y;
		char end;

		if (sscanf(dev, "namespace%u.%u%c", &x, &y, &end) != 2)
			return vpmem_err_set(err, EINVAL, "'%s' is not a namespace name (namespaceX.Y)", dev);
		if (y >= ri->nns)
			return vpmem_err_set(err, ENOENT, "no %s: the image has %u namespace%s", dev, ri->nns,
					     ri->nns == 1 ? "" : "s");
		return (int)y;
	}
	for (unsigned i = 0; i < ri->nns; i++) {
		const struct vpmem_ns_info *ns = &ri->ns[i];
		bool hit = name ? ns->labelled && !strcmp(ns->name, name)
				: (ns->labelled && !memcmp(ns->raw_uuid, uuid, 16)) ||
					  (ns->has_uuid && !memcmp(ns->uuid, uuid, 16));

		if (!hit)
			continue;
		if (found >= 0)
			return vpmem_err_set(err, EINVAL, "namespaces %d and %u are both named '%s': use --uuid",
					     found, i, name ? name : "?");
		found = (int)i;
	}
	if (found < 0)
		return vpmem_err_set(err, ENOENT, "no namespace %s", name ? "has that name" : "has that uuid");
	return found;
}

/* @len bytes at @off of the image as it will be once the writes of @wp
 * (may be NULL) are done: the file, then each planned write laid over it in
 * order (a NULL write reads as zeros). */
static int planned_pread(int fd, const struct vpmem_wplan *wp, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t got = pread(fd, buf, len, (off_t)off);

	if (got < 0)
		return -1;
	if ((size_t)got < len) {
		if (!wp)
			return -1;
		memset(buf + got, 0, len - (size_t)got);
	}
	for (size_t i = 0; wp && i < wp->n; i++) {
		const struct vpmem_write *w = &wp->w[i];
		uint64_t a = w->off > off ? w->off : off, b = w->off + w->len < off + len ? w->off + w->len : off + len;

		if (a >= b)
			continue;
		if (w->data)
			memcpy(buf + (a - off), w->data + (a - w->off), b - a);
		else
			memset(buf + (a - off), 0, b - a);
	}
	return 0;
}

/* start_pad of the fsdax/devdax info block at 4K (pfn.h: offset 76, from
 * version 1.1 on; nd_pfn_validate zeroes it for 1.0) */
static int pfn_start_pad(int fd, const struct vpmem_wplan *wp, const struct vpmem_ns_info *ns, uint32_t *pad,
			 struct vpmem_err *err)
{
	uint8_t sb[80];

	if (planned_pread(fd, wp, sb, sizeof(sb), ns->dpa + VPMEM_INFO_OFFSET))
		return vpmem_err_set(err, EIO, "cannot read the info block of namespace%u", ns->index);
	*pad = get_le16(sb + 54) >= 1 || get_le16(sb + 52) > 1 ? get_le32(sb + 76) : 0;
	return 0;
}

static int ns_io_open(int fd, const struct vpmem_ns_info *ns, bool rdonly, struct vpmem_wplan *wp,
		      struct vpmem_ns_io **out, struct vpmem_err *err)
{
	struct vpmem_ns_io *io = calloc(1, sizeof(*io));
	uint32_t pad = 0;
	int r = 0;

	*out = NULL;
	if (!io)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	io->fd = fd;
	io->rdonly = rdonly;
	io->plan = wp;
	if (wp && ns->mode == VPMEM_NS_SECTOR) {
		free(io);
		return vpmem_err_set(err, EOPNOTSUPP, "namespace%u: a planned sector namespace cannot be written yet",
				     ns->index);
	}
	io->mode = ns->mode;
	switch (ns->mode) {
	case VPMEM_NS_RAW:
		io->base = ns->dpa;
		io->size = ns->rawsize;
		io->block = 512;
		break;
	case VPMEM_NS_FSDAX:
	case VPMEM_NS_DEVDAX:
		r = pfn_start_pad(fd, io->plan, ns, &pad, err);
		io->base = ns->dpa + pad + ns->dataoff;
		io->size = ns->size;
		io->block = ns->mode == VPMEM_NS_FSDAX ? 512 : 4096;
		break;
	case VPMEM_NS_SECTOR:
		r = vpmem_btt_open(fd, ns->dpa, ns->rawsize, ns->info_major == 2,
				   ns->labelled ? ns->raw_uuid : NULL, rdonly, &io->btt, err);
		if (!r) {
			io->block = vpmem_btt_sector_size(io->btt);
			io->size = vpmem_btt_nlba(io->btt) * io->block;
		}
		break;
	}
	if (r) {
		free(io);
		return r;
	}
	*out = io;
	return 0;
}

int vpmem_ns_io_open(int fd, const struct vpmem_ns_info *ns, bool rdonly, struct vpmem_ns_io **out,
		     struct vpmem_err *err)
{
	return ns_io_open(fd, ns, rdonly, NULL, out, err);
}

int vpmem_ns_io_open_plan(int fd, const struct vpmem_ns_info *ns, struct vpmem_wplan *wp, struct vpmem_ns_io **out,
			  struct vpmem_err *err)
{
	return ns_io_open(fd, ns, false, wp, out, err);
}

void vpmem_ns_io_close(struct vpmem_ns_io *io)
{
	if (!io)
		return;
	vpmem_btt_close(io->btt);
	free(io);
}

uint64_t vpmem_ns_io_size(const struct vpmem_ns_io *io) { return io->size; }
uint32_t vpmem_ns_io_block_size(const struct vpmem_ns_io *io) { return io->block; }
struct vpmem_btt *vpmem_ns_io_btt(struct vpmem_ns_io *io) { return io->btt; }

static int range_ok(const struct vpmem_ns_io *io, uint64_t len, uint64_t off, struct vpmem_err *err)
{
	if (off > io->size || len > io->size - off)
		return vpmem_err_set(err, ERANGE, "%" PRIu64 " bytes at %" PRIu64 " are past the end of the namespace (%" PRIu64 " bytes)",
				     len, off, io->size);
	return 0;
}

static int file_pread(int fd, void *buf, uint64_t len, uint64_t off, struct vpmem_err *err)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vpmem_err_set(err, errno, "cannot read the image at 0x%" PRIx64 ": %s", off + done,
					     strerror(errno));
		if (r == 0)
			return vpmem_err_set(err, EIO, "the image ends before 0x%" PRIx64 " (truncated?)", off + len);
		done += (uint64_t)r;
	}
	return 0;
}

/* The image must still reach @end: a pwrite past a truncation would
 * silently grow the file back with the metadata gone. */
static int file_reaches(int fd, uint64_t end, struct vpmem_err *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return vpmem_err_set(err, errno, "cannot stat the image: %s", strerror(errno));
	if ((uint64_t)st.st_size < end)
		return vpmem_err_set(err, EIO, "the image ends before 0x%" PRIx64 " (truncated?)", end);
	return 0;
}

static int file_pwrite(int fd, const void *buf, uint64_t len, uint64_t off, struct vpmem_err *err)
{
	uint64_t done = 0;
	int r = file_reaches(fd, off + len, err);

	while (!r && done < len) {
		ssize_t w = pwrite(fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vpmem_err_set(err, w ? errno : EIO, "cannot write the image at 0x%" PRIx64 ": %s",
					     off + done, strerror(w ? errno : EIO));
		done += (uint64_t)w;
	}
	return r;
}

enum btt_op { BTT_READ, BTT_WRITE, BTT_ZERO };

/*
 * Bytes [@off, @off + @len) of a sector namespace: a partial sector at
 * either end goes through one sector (read; merge and write whole, a sector
 * being the unit the BTT makes atomic), the whole sectors between in one
 * call. @out for BTT_READ, @in for BTT_WRITE, neither for BTT_ZERO.
 */
static int btt_span(struct vpmem_ns_io *io, enum btt_op op, uint8_t *out, const uint8_t *in, uint64_t len,
		    uint64_t off, struct vpmem_err *err)
{
	uint8_t sec[4096];
	uint32_t bs = io->block;
	int r = 0;

	while (!r && len) {
		uint64_t lba = off / bs, at = off % bs, n;

		if (at || len < bs) {
			n = bs - at < len ? bs - at : len;
			r = vpmem_btt_read(io->btt, lba, 1, sec, err);
			if (!r && op == BTT_READ)
				memcpy(out, sec + at, n);
			else if (!r) {
				if (op == BTT_WRITE)
					memcpy(sec + at, in, n);
				else
					memset(sec + at, 0, n);
				r = vpmem_btt_write(io->btt, lba, 1, sec, err);
			}
		} else {
			n = len / bs * bs;
			r = op == BTT_READ    ? vpmem_btt_read(io->btt, lba, n / bs, out, err)
			    : op == BTT_WRITE ? vpmem_btt_write(io->btt, lba, n / bs, in, err)
					      : vpmem_btt_zero(io->btt, lba, n / bs, err);
		}
		out = out ? out + n : NULL;
		in = in ? in + n : NULL;
		off += n, len -= n;
	}
	return r;
}

int vpmem_ns_io_pread(struct vpmem_ns_io *io, void *buf, uint64_t len, uint64_t off, struct vpmem_err *err)
{
	int r = range_ok(io, len, off, err);

	if (r || !len)
		return r;
	if (io->plan && planned_pread(io->fd, io->plan, buf, len, io->base + off))
		return vpmem_err_set(err, errno ? errno : EIO, "cannot read the image at 0x%" PRIx64, io->base + off);
	if (io->plan)
		return 0;
	if (!io->btt)
		return file_pread(io->fd, buf, len, io->base + off, err);
	return btt_span(io, BTT_READ, buf, NULL, len, off, err);
}

static int file_zero(int fd, uint64_t off, uint64_t len, struct vpmem_err *err)
{
	static const uint8_t zeros[65536];
	int r = file_reaches(fd, off + len, err);

	/* a punched hole reads as zeros and frees the space */
	if (r || !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return r;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return vpmem_err_set(err, errno, "cannot punch a hole at 0x%" PRIx64 ": %s", off, strerror(errno));
	while (!r && len) {
		uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		r = file_pwrite(fd, zeros, n, off, err);
		off += n;
		len -= n;
	}
	return r;
}

/* Write @len bytes of @buf (NULL: zeros, a hole where the file allows) at @off. */
static int ns_write(struct vpmem_ns_io *io, const void *buf, uint64_t len, uint64_t off, struct vpmem_err *err)
{
	int r = range_ok(io, len, off, err);

	if (r || !len)
		return r;
	if (io->rdonly)
		return vpmem_err_set(err, EROFS, "the namespace is open read-only");
	if (io->plan)
		return vpmem_wplan_add(io->plan, io->base + off, buf, len, false,
				       buf ? "namespace data" : "namespace zeros (hole)")
			       ? vpmem_err_set(err, ENOMEM, "out of memory") : 0;
	if (!io->btt)
		return buf ? file_pwrite(io->fd, buf, len, io->base + off, err)
			   : file_zero(io->fd, io->base + off, len, err);
	return btt_span(io, buf ? BTT_WRITE : BTT_ZERO, NULL, buf, len, off, err);
}

int vpmem_ns_io_pwrite(struct vpmem_ns_io *io, const void *buf, uint64_t len, uint64_t off,
		       struct vpmem_err *err)
{
	return ns_write(io, buf, len, off, err);
}

int vpmem_ns_io_zero(struct vpmem_ns_io *io, uint64_t len, uint64_t off, struct vpmem_err *err)
{
	return ns_write(io, NULL, len, off, err);
}

int vpmem_ns_io_extent(struct vpmem_ns_io *io, uint64_t off, uint64_t max, uint64_t *len, bool *zero,
		       struct vpmem_err *err)
{
	int r = range_ok(io, max, off, err);

	*len = 0;
	*zero = false;
	if (r || !max)
		return r;
	if (io->plan) {
		*len = max;     /* not on the file yet: data, conservatively */
		return 0;
	}
	if (io->btt) {
		uint64_t first = off / io->block, last = (off + max - 1) / io->block, n;

		r = vpmem_btt_extent(io->btt, first, last - first + 1, &n, zero, err);
		if (!r) {
			uint64_t end = (first + n) * io->block;

			*len = (end < off + max ? end : off + max) - off;
		}
		return r;
	} else {
		off_t at = (off_t)(io->base + off), d = lseek(io->fd, at, SEEK_DATA), h;

		if ((d < 0 && errno == ENXIO) || (d >= 0 && (uint64_t)(d - at) >= max)) {
			*zero = true, *len = max;
		} else if (d < 0) {
			*len = max;     /* cannot tell (no SEEK_DATA): data */
		} else if (d > at) {
			*zero = true, *len = (uint64_t)(d - at);
		} else {
			h = lseek(io->fd, at, SEEK_HOLE);
			*len = h > at && (uint64_t)(h - at) < max ? (uint64_t)(h - at) : max;
		}
	}
	return 0;
}

int vpmem_ns_io_flush(struct vpmem_ns_io *io, struct vpmem_err *err)
{
	if (io->plan) {
		/* a barrier after the last planned write */
		if (io->plan->n)
			io->plan->w[io->plan->n - 1].sync = true;
		return 0;
	}
	if (!io->rdonly && fdatasync(io->fd))
		return vpmem_err_set(err, errno, "fdatasync: %s", strerror(errno));
	return 0;
}

/* ---- import / export ---- */

static bool all_zero(const uint8_t *p, size_t n)
{
	/* word-wise first byte check, then memcmp against itself shifted */
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* The end of the run of ZBLK blocks of @buf (@n bytes) from @i that are all
 * zeros or all not: *@zero says which. */
static uint64_t run_end(const uint8_t *buf, uint64_t n, uint64_t i, bool *zero)
{
	uint64_t j = i;

	*zero = all_zero(buf + i, n - i < ZBLK ? n - i : ZBLK);
	while (j < n && all_zero(buf + j, n - j < ZBLK ? n - j : ZBLK) == *zero)
		j += n - j < ZBLK ? n - j : ZBLK;
	return j;
}

/* Write @n bytes of @buf at @off: zero blocks zeroed (hole / trim), the rest written. */
static int put_runs(struct vpmem_ns_io *io, const uint8_t *buf, uint64_t n, uint64_t off,
		    struct vpmem_copy_stats *st, struct vpmem_err *err)
{
	uint64_t i = 0;
	int r = 0;

	while (!r && i < n) {
		bool z;
		uint64_t j = run_end(buf, n, i, &z);

		if (z) {
			r = vpmem_ns_io_zero(io, j - i, off + i, err);
			st->zero += j - i;
		} else {
			r = vpmem_ns_io_pwrite(io, buf + i, j - i, off + i, err);
			st->data += j - i;
		}
		i = j;
	}
	return r;
}

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off, bool seekable, size_t *got,
		     struct vpmem_err *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = seekable ? pread(fd, buf + done, len - done, (off_t)(off + done))
				     : read(fd, buf + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vpmem_err_set(err, errno, "cannot read the source: %s", strerror(errno));
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static void progress(vpmem_progress_fn fn, void *arg, uint64_t done, uint64_t total, uint64_t *next)
{
	if (fn && (done >= *next || done == total)) {
		fn(done, total, arg);
		*next = done + PROGRESS_STEP;
	}
}

int vpmem_ns_import(struct vpmem_ns_io *io, int src, vpmem_progress_fn fn, void *arg,
		    struct vpmem_copy_stats *st, struct vpmem_err *err)
{
	struct vpmem_copy_stats dummy;
	struct stat sb;
	uint64_t pos = 0, total = 0, next = 0;
	bool seekable;
	uint8_t *buf;
	int r = 0;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (io->rdonly)
		return vpmem_err_set(err, EROFS, "the namespace is open read-only");
	if (fstat(src, &sb))
		return vpmem_err_set(err, errno, "cannot stat the source: %s", strerror(errno));
	seekable = S_ISREG(sb.st_mode);
	if (seekable) {
		total = (uint64_t)sb.st_size;
		if (total > io->size)
			return vpmem_err_set(err, EFBIG, "the source (%" PRIu64 " bytes) is larger than the namespace (%" PRIu64 " bytes)",
					     total, io->size);
	}
	buf = malloc(CHUNK);
	if (!buf)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	for (;;) {
		size_t want = CHUNK, got = 0;

		if (seekable) {
			off_t d;

			if (pos >= total)
				break;
			/* skip the source's holes without reading them */
			d = lseek(src, (off_t)pos, SEEK_DATA);
			if (d < 0 || (uint64_t)d >= total) {
				r = vpmem_ns_io_zero(io, total - pos, pos, err);
				st->zero += total - pos;
				pos = total;
				break;
			}
			if ((uint64_t)d > pos) {
				uint64_t h = ((uint64_t)d - pos) / ZBLK * ZBLK;

				if (h) {
					r = vpmem_ns_io_zero(io, h, pos, err);
					st->zero += h;
					pos += h;
					if (r)
						break;
					progress(fn, arg, pos, total, &next);
					continue;
				}
			}
			if (total - pos < want)
				want = (size_t)(total - pos);
		}
		r = read_full(src, buf, want, pos, seekable, &got, err);
		if (r || !got)
			break;
		if (got > io->size - pos) {
			r = vpmem_err_set(err, EFBIG, "the source is larger than the namespace (%" PRIu64 " bytes)",
					  io->size);
			break;
		}
		/* a partial last sector is padded with zeros */
		if (got % io->block) {
			size_t pad = io->block - got % io->block;

			if (pos + got + pad > io->size)
				pad = (size_t)(io->size - pos - got);
			memset(buf + got, 0, pad);
			r = put_runs(io, buf, got + pad, pos, st, err);
		} else {
			r = put_runs(io, buf, got, pos, st, err);
		}
		pos += got;
		st->bytes = pos;
		if (r)
			break;
		progress(fn, arg, pos, seekable ? total : io->size, &next);
		if (!seekable && got < want)
			break;
	}
	free(buf);
	st->bytes = pos;
	if (!r && pos < io->size) {
		/* a partial last sector was padded above: continue from its end */
		uint64_t from = (pos + io->block - 1) / io->block * io->block;

		if (from < io->size) {
			r = vpmem_ns_io_zero(io, io->size - from, from, err);
			st->zero += io->size - from;
		}
	}
	if (!r)
		r = vpmem_ns_io_flush(io, err);
	if (!r)
		progress(fn, arg, pos, pos, &next);
	return r;
}

static int write_all(int fd, const uint8_t *buf, size_t len, uint64_t off, bool seekable,
		     struct vpmem_err *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = seekable ? pwrite(fd, buf + done, len - done, (off_t)(off + done))
				     : write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vpmem_err_set(err, w ? errno : EIO, "cannot write the destination: %s",
					     strerror(w ? errno : EIO));
		done += (size_t)w;
	}
	return 0;
}

int vpmem_ns_export(struct vpmem_ns_io *io, int dst, vpmem_progress_fn fn, void *arg,
		    struct vpmem_copy_stats *st, struct vpmem_err *err)
{
	struct vpmem_copy_stats dummy;
	struct stat sb;
	uint64_t pos = 0, next = 0;
	bool sparse;
	uint8_t *buf;
	int r = 0;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (fstat(dst, &sb))
		return vpmem_err_set(err, errno, "cannot stat the destination: %s", strerror(errno));
	sparse = S_ISREG(sb.st_mode);
	if (sparse && (ftruncate(dst, 0) || ftruncate(dst, (off_t)io->size)))
		return vpmem_err_set(err, errno, "cannot size the destination: %s", strerror(errno));
	buf = malloc(CHUNK);
	if (!buf)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	while (!r && pos < io->size) {
		uint64_t n = io->size - pos < CHUNK ? io->size - pos : CHUNK;

		if (sparse) {
			/* what is known to be zeros (holes of the image, trimmed or
			 * never-written BTT sectors) is skipped without reading */
			uint64_t len;
			bool z;

			r = vpmem_ns_io_extent(io, pos, io->size - pos, &len, &z, err);
			if (r)
				break;
			if (z) {
				st->zero += len;
				pos += len;
				progress(fn, arg, pos, io->size, &next);
				continue;
			}
			if (len < n)
				n = len;
		}
		r = vpmem_ns_io_pread(io, buf, n, pos, err);
		for (uint64_t i = 0; !r && i < n;) {
			bool z = false;
			uint64_t j = sparse ? run_end(buf, n, i, &z) : n;

			if (z) {
				st->zero += j - i;
			} else {
				r = write_all(dst, buf + i, j - i, pos + i, sparse, err);
				st->data += j - i;
			}
			i = j;
		}
		pos += n;
		progress(fn, arg, pos, io->size, &next);
	}
	free(buf);
	st->bytes = pos;
	if (!r && sparse && fsync(dst))
		r = vpmem_err_set(err, errno, "cannot fsync the destination: %s", strerror(errno));
	return r;
}

/* ---- one namespace of an image, for import and export ---- */

static int handle_open_image(const struct vpmem_ns_open_req *req, struct vpmem_ns_handle *h,
			     struct vpmem_err *err)
{
	struct vpmem_err e = { 0 };
	int fd = vpmem_image_open_locked(req->file, &e);

	if (fd >= 0)
		return fd;
	if (req->write || (e.code != EBUSY && e.code != EACCES && e.code != EROFS) ||
	    (e.code == EBUSY && !req->force)) {
		h->busy = e.code == EBUSY;
		if (err)
			*err = e;
		return -e.code;
	}
	/* forced, or an image we may only read: read-only, shared lock unless forced */
	fd = vpmem_open_input(req->file, O_RDONLY, VPMEM_IN_REG, "image", err);
	if (fd < 0)
		return fd;
	if (!req->force && flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		return vpmem_err_set(err, EWOULDBLOCK, "'%s' is locked by another process", req->file);
	}
	return fd;
}

int vpmem_ns_handle_open(const struct vpmem_ns_open_req *req, struct vpmem_ns_handle *h,
			 struct vpmem_err *err)
{
	int r;

	memset(h, 0, sizeof(*h));
	h->hints = req->hints;
	h->fd = handle_open_image(req, h, err);
	if (h->fd < 0)
		return h->fd;
	h->ri = calloc(1, sizeof(*h->ri));
	if (!h->ri)
		return vpmem_err_set(err, ENOMEM, "'%s': out of memory", req->file);
	r = vpmem_image_open_lsa(req->file, h->fd, false, &h->hints, err); /* CXL: FILE.lsa */
	if (!r)
		r = vpmem_region_read(h->fd, &h->hints, h->ri, err);
	if (!r) {
		h->index = vpmem_ns_select(h->ri, req->name, req->uuid, req->dev, err);
		r = h->index < 0 ? h->index : 0;
	}
	if (r) {
		vpmem_err_prefix(err, "'%s'", req->file);
		return r;
	}
	r = vpmem_ns_io_open(h->fd, &h->ri->ns[h->index], !req->write || req->dry, &h->io, err);
	if (r)
		vpmem_err_prefix(err, "'%s' namespace0.%d", req->file, h->index);
	return r;
}

void vpmem_ns_handle_close(struct vpmem_ns_handle *h)
{
	vpmem_ns_io_close(h->io);
	h->io = NULL;
	vpmem_image_close(h->fd, &h->hints);
	h->fd = -1;
	if (h->ri)
		vpmem_region_free(h->ri);
	free(h->ri);
	h->ri = NULL;
}
