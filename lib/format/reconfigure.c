// SPDX-License-Identifier: MIT
/*
 * Namespace reconfiguration keeping the data: see include/vpmem/reconfigure.h
 * and doc/reconfigure.md. The bytes move through the data path (io.c: raw,
 * fsdax/devdax views and the BTT); the metadata through namespace.c's
 * planners (label freed with the kernel's index flip, info area / BTT layout
 * and the new label written as `ndctl create-namespace` would).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/file.h>
#include <vpmem/input.h>
#include <vpmem/io.h>
#include <vpmem/namespace.h>
#include <vpmem/reconfigure.h>
#include <vpmem/size.h>

#define CHUNK (1u << 20)          /* data copied per step */
#define ZCHUNK (64ULL << 20)      /* zeros made per step */
#define SCAN (1u << 20)

static int nomem(struct vpmem_err *err)
{
	return vpmem_err_set(err, ENOMEM, "out of memory");
}

static bool all_zero(const uint8_t *b, size_t n)
{
	return !n || (!b[0] && !memcmp(b, b + 1, n - 1));
}

/* End of the last non-zero byte of the view, scanning back from its end (a
 * zero tail is read once; data near the end stops the scan at once). */
static int data_end(struct vpmem_ns_io *io, uint64_t *end, struct vpmem_err *err)
{
	uint64_t pos = vpmem_ns_io_size(io);
	uint8_t *buf = malloc(SCAN);
	int r = 0;

	*end = 0;
	if (!buf)
		return nomem(err);
	while (pos && !r) {
		uint64_t n = pos % SCAN ? pos % SCAN : SCAN;

		pos -= n;
		r = vpmem_ns_io_pread(io, buf, n, pos, err);
		if (r || all_zero(buf, n))
			continue;
		while (n && !buf[n - 1])
			n--;
		*end = pos + n;
		break;
	}
	free(buf);
	return r;
}

static bool same_shape(const struct vpmem_ns_info *ns, const struct vpmem_ns_req *q)
{
	if (ns->mode != q->mode || ns->rawsize != q->size)
		return false;
	switch (q->mode) {
	case VPMEM_NS_RAW: return true;
	case VPMEM_NS_SECTOR: return ns->sector_size == q->sector_size;
	default: return ns->map == q->map && ns->align == q->align;
	}
}

/* The plans: free the old label, then create the new namespace at its DPA. */
static int plan_writes(int fd, const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
		       const struct vpmem_ns_info *old, const struct vpmem_ns_req *req, struct vpmem_wplan *destroy,
		       struct vpmem_wplan *create, size_t *head, struct vpmem_ns_info *out, struct vpmem_err *err)
{
	struct vpmem_region_info *after = calloc(1, sizeof(*after));
	unsigned n = 0;
	int r;

	if (!after)
		return nomem(err);
	if (old)
		r = vpmem_ns_plan_destroy(ri, ri->labelled ? VPMEM_MATCH_UUID : VPMEM_MATCH_ALL, old->raw_uuid, NULL,
					  destroy, &n, err);
	else
		r = 0;
	if (!r && old && ri->labelled && n != 1)
		r = vpmem_err_set(err, EINVAL, "%u namespaces share the uuid of namespace0.%u: not changing them", n,
				  old->index);
	if (!r)
		r = vpmem_region_read_after(fd, h, destroy, after, err);
	if (!r)
		r = vpmem_ns_plan_create(after, h, req, create, out, err);
	if (!r) {
		/* a labelled create ends with the label and the index flip (namespace.c) */
		*head = create->n - (ri->labelled ? 2 : 0);
		out->info_major = ri->labelled && ri->lsa.g.version == VPMEM_LABEL_V1_2 ? 2 : 1;
	}
	vpmem_region_free(after);
	free(after);
	return r;
}

/* Capacity of @req at its DPA in @ri with the old namespace gone, or 0. */
static uint64_t capacity(int fd, const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
			 const struct vpmem_ns_info *old, const struct vpmem_ns_req *req)
{
	struct vpmem_wplan d = { 0 }, c = { 0 };
	struct vpmem_ns_info out;
	struct vpmem_err e = { 0 };
	size_t head;
	uint64_t v = 0;

	if (!plan_writes(fd, ri, h, old, req, &d, &c, &head, &out, &e))
		v = out.size;
	vpmem_wplan_free(&d);
	vpmem_wplan_free(&c);
	return v;
}

void vpmem_reconf_plan_free(struct vpmem_reconf_plan *p)
{
	vpmem_wplan_free(&p->destroy);
	vpmem_wplan_free(&p->create);
}

int vpmem_reconf_plan(int fd, const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
		      unsigned idx, const struct vpmem_reconf_req *rq, struct vpmem_reconf_plan *p,
		      struct vpmem_err *err)
{
	const struct vpmem_ns_info *ns;
	struct vpmem_ns_io *io = NULL;
	char a[32], b[32];
	int r;

	memset(p, 0, sizeof(*p));
	if (idx >= ri->nns)
		return vpmem_err_set(err, ENOENT, "no namespace0.%u", idx);
	ns = &ri->ns[idx];
	p->index = idx;
	p->old_ns = *ns;
	p->keep_data = rq->keep_data;
	if (ri->label_corrupt)
		return vpmem_err_set(err, EILSEQ, "the label area has no valid index block: not changing it");
	if (rq->keep_data && !ri->labelled)
		return vpmem_err_set(err, EOPNOTSUPP,
				     "--keep-data needs a labelled image: on a label-less one the guest kernel cannot be kept from seeing the namespace while its data moves (not supported yet)");
	p->req.mode = rq->mode;
	p->req.size = rq->size ? rq->size : ns->rawsize;
	if (p->req.size < ns->rawsize)
		return vpmem_err_set(err, EINVAL, "--size %s is smaller than namespace0.%u (%s): reconfigure only grows",
				     vpmem_size_str(p->req.size, a, sizeof(a)), idx, vpmem_size_str(ns->rawsize, b, sizeof(b)));
	if (ri->labelled) {
		snprintf(p->name, sizeof(p->name), "%s", ns->name);
		p->req.name = p->name[0] ? p->name : NULL;
		p->req.uuid_set = true;
		memcpy(p->req.uuid, ns->raw_uuid, 16);
	}
	uuid_generate(p->req.dev_uuid);
	p->req.dev_uuid_set = true;
	p->req.sector_size = rq->mode == VPMEM_NS_SECTOR ? (rq->sector_size ? rq->sector_size : 4096) : 0;
	if (rq->mode == VPMEM_NS_FSDAX || rq->mode == VPMEM_NS_DEVDAX) {
		p->req.map = rq->map ? rq->map : VPMEM_MAP_DEV;
		p->req.align = rq->align ? rq->align : 2u << 20;
	} else if (rq->map || rq->align) {
		return vpmem_err_set(err, EINVAL, "--map and --align apply to fsdax and devdax only");
	}
	p->req.dpa_set = true;
	p->req.dpa = ns->dpa;
	if (same_shape(ns, &p->req))
		return vpmem_err_set(err, EALREADY, "namespace0.%u is already %s at that size: nothing to change", idx,
				     vpmem_ns_mode_name(ns->mode));
	r = plan_writes(fd, ri, h, ns, &p->req, &p->destroy, &p->create, &p->create_head, &p->new_ns, err);
	if (r)
		return r;
	if (!rq->keep_data)
		return 0;
	r = vpmem_ns_io_open(fd, ns, true, &io, err);
	if (!r) {
		p->old_size = vpmem_ns_io_size(io);
		r = data_end(io, &p->data_end, err);
	}
	vpmem_ns_io_close(io);
	if (r)
		return r;
	p->new_size = p->new_ns.size;
	p->keep = p->old_size < p->new_size ? p->old_size : p->new_size;
	if (p->data_end <= p->new_size)
		return 0;
	p->missing = p->data_end - p->new_size;
	/* would growing into the free space after it do? the smallest size that fits */
	for (uint64_t s = p->req.size + VPMEM_REGION_ALIGN; s <= ri->region_size; s += VPMEM_REGION_ALIGN) {
		struct vpmem_ns_req g = p->req;
		uint64_t c;

		g.size = s;
		c = capacity(fd, ri, h, ns, &g);
		if (!c)
			break;
		if (c >= p->data_end) {
			p->grow_to = s;
			break;
		}
	}
	if (p->grow_to)
		snprintf(b, sizeof(b), "--size %s", vpmem_size_str(p->grow_to, a, sizeof(a)));
	return vpmem_err_set(err, ENOSPC,
			     "namespace0.%u holds data up to byte %" PRIu64 " but as %s it holds %" PRIu64 " bytes: %" PRIu64 " bytes missing; shrink the file system first (e.g. resize2fs in the guest)%s%s%s",
			     idx, p->data_end, vpmem_ns_mode_name(rq->mode), p->new_size, p->missing,
			     p->grow_to ? " or grow the namespace (" : ", or free space after it to grow it into",
			     p->grow_to ? b : "", p->grow_to ? ")" : "");
}

/* ---- running with a write budget ---- */

static int crash(struct vpmem_reconf_run *run, struct vpmem_err *err)
{
	return vpmem_err_set(err, ECANCELED, "simulated crash after %" PRIu64 " writes", run->writes);
}

/* One write step: false when the budget is spent. */
static bool take(struct vpmem_reconf_run *run)
{
	if (run->budget == 0)
		return false;
	if (run->budget > 0)
		run->budget--;
	run->writes++;
	return true;
}

static int apply_range(int fd, const struct vpmem_wplan *p, size_t from, size_t to, struct vpmem_reconf_run *run,
		       struct vpmem_err *err)
{
	for (size_t i = from; i < to; i++) {
		struct vpmem_wplan one = { .w = p->w + i, .n = 1, .alloc = 1 };
		int r;

		if (!take(run))
			return crash(run, err);
		r = vpmem_wplan_apply(fd, &one, SIZE_MAX, NULL, err);
		if (r)
			return r;
	}
	return 0;
}

/* One data-path operation as steps: a non-BTT write or hole is one step; a
 * BTT op is as many steps as its pwrites (vpmem_btt_set_write_limit). */
enum op { OP_WRITE, OP_ZERO };
static int io_step(struct vpmem_ns_io *io, enum op op, const void *buf, uint64_t len, uint64_t off,
		   struct vpmem_reconf_run *run, struct vpmem_err *err)
{
	struct vpmem_btt *btt = vpmem_ns_io_btt(io);
	uint64_t before;
	int r;

	if (!btt) {
		if (!take(run))
			return crash(run, err);
		return op == OP_WRITE ? vpmem_ns_io_pwrite(io, buf, len, off, err) : vpmem_ns_io_zero(io, len, off, err);
	}
	if (run->budget == 0)
		return crash(run, err);
	before = vpmem_btt_writes(btt);
	vpmem_btt_set_write_limit(btt, run->budget);
	r = op == OP_WRITE ? vpmem_ns_io_pwrite(io, buf, len, off, err) : vpmem_ns_io_zero(io, len, off, err);
	{
		uint64_t n = vpmem_btt_writes(btt) - before;

		run->writes += n;
		if (run->budget > 0)
			run->budget = (long long)n >= run->budget ? 0 : run->budget - (long long)n;
	}
	if (r && run->budget == 0)
		return crash(run, err);
	return r;
}

/* The staged bytes into the new view, then zeros to its end. */
static int import_stage(int fd, int stage, const struct vpmem_ns_info *nn, uint64_t keep, struct vpmem_reconf_run *run,
			struct vpmem_err *err)
{
	struct vpmem_ns_io *io = NULL;
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0, size;
	int r;

	if (!buf)
		return nomem(err);
	r = vpmem_ns_io_open(fd, nn, false, &io, err);
	if (r) {
		free(buf);
		return r;
	}
	size = vpmem_ns_io_size(io);
	if (keep > size)
		r = vpmem_err_set(err, EINVAL, "the staged copy (%" PRIu64 " bytes) is larger than the new namespace (%" PRIu64 ")",
				  keep, size);
	while (!r && off < keep) {
		off_t d = lseek(stage, (off_t)off, SEEK_DATA), hend;
		uint64_t n;

		if (d < 0 || (uint64_t)d > keep)
			d = (off_t)keep;
		if ((uint64_t)d > off) {                   /* a hole of the staged file */
			n = (uint64_t)d - off < ZCHUNK ? (uint64_t)d - off : ZCHUNK;
			r = io_step(io, OP_ZERO, NULL, n, off, run, err);
			off += n;
			continue;
		}
		hend = lseek(stage, (off_t)off, SEEK_HOLE);
		n = keep - off < CHUNK ? keep - off : CHUNK;
		if (hend > (off_t)off && (uint64_t)hend - off < n)
			n = (uint64_t)hend - off;
		if (pread(stage, buf, n, (off_t)off) != (ssize_t)n) {
			r = vpmem_err_set(err, EIO, "cannot read the staged copy at %" PRIu64 ": %s", off,
					  strerror(errno ? errno : EIO));
			break;
		}
		r = io_step(io, all_zero(buf, n) ? OP_ZERO : OP_WRITE, buf, n, off, run, err);
		off += n;
		if (!r && run->progress && (off % (32ULL << 20) == 0 || off == keep))
			run->progress(off, keep, run->arg);
	}
	while (!r && off < size) {
		uint64_t n = size - off < ZCHUNK ? size - off : ZCHUNK;

		r = io_step(io, OP_ZERO, NULL, n, off, run, err);
		off += n;
	}
	if (!r)
		r = vpmem_ns_io_flush(io, err);
	vpmem_ns_io_close(io);
	free(buf);
	return r;
}

/* ---- the progress record ---- */

static char *side_path(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", path, suffix);
	return s;
}

static int sync_dir(const char *path)
{
	char *d = strdup(path);
	int fd, r = 0;

	if (!d)
		return -ENOMEM;
	fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(d);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

/*
 * The record and the staged copy are files vpmem names itself, in a directory
 * others may write (the image's): never follow a link there, never open a
 * FIFO or a device (doc/threat-model.md, rule 2). Open @path with @flags
 * (O_RDONLY to read an existing one; O_CREAT|O_EXCL to make a fresh one) and
 * check it is a regular file. -ENOENT without a message when it is not there
 * (and @flags has no O_CREAT); else the fd, or -errno with one line.
 */
static int open_side(const char *path, int flags, const char *what, struct vpmem_err *err)
{
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);

	if (fd < 0 && errno == ENOENT && !(flags & O_CREAT))
		return -ENOENT;
	if (fd < 0 && (errno == ELOOP || errno == EEXIST)) {
		int e = errno;

		if (lstat(path, &st))
			st.st_mode = S_IFREG;   /* gone again: say what open said */
		if (S_ISLNK(st.st_mode))
			return vpmem_err_set(err, ELOOP, "%s '%s' is a symbolic link: vpmem does not follow links among its own files",
					     what, path);
		if (e == EEXIST && !S_ISREG(st.st_mode))
			return vpmem_err_set(err, EINVAL, "%s '%s' is %s, not a regular file", what, path,
					     vpmem_file_kind(st.st_mode));
		errno = e;
	}
	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot %s %s '%s': %s", flags & O_CREAT ? "create" : "open", what, path,
				     strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return vpmem_err_set(err, EINVAL, "%s '%s' is %s, not a regular file", what, path, vpmem_file_kind(st.st_mode));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static const char *const mode_names[] = { "raw", "sector", "fsdax", "devdax" };

static int parse_mode(const char *s, enum vpmem_ns_mode *m)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, mode_names[i])) {
			*m = (enum vpmem_ns_mode)i;
			return 0;
		}
	return -1;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static int unhex(const char *s, uint8_t *b, size_t max, size_t *n)
{
	size_t l = strlen(s);

	if (l % 2 || l / 2 > max)
		return -1;
	for (size_t i = 0; i < l / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (uint8_t)v;
	}
	*n = l / 2;
	return 0;
}

/* The record: key=value lines, written whole by the one atomic replace. */
static int record_write(const char *path, const struct vpmem_reconf_state *st, struct vpmem_err *err)
{
	char *rec = side_path(path, VPMEM_RECONF_SUFFIX), *text = NULL;
	char u[40], du[40], nm[2 * VPMEM_LABEL_NAME_LEN + 1];
	const struct vpmem_ns_req *q = &st->req;
	int n, r;

	uuid_unparse(st->uuid, u);
	uuid_unparse(q->dev_uuid, du);
	hex((const uint8_t *)st->name, strlen(st->name), nm);
	n = asprintf(&text, "vpmem namespace reconfigure 1\nuuid=%s\nname=%s\ndpa=%" PRIu64 "\nold_rawsize=%" PRIu64
		     "\nold_mode=%s\nkeep=%" PRIu64 "\nmode=%s\nsize=%" PRIu64 "\nsector_size=%u\nmap=%d\nalign=%u\ndev_uuid=%s\nend\n",
		     u, nm, st->dpa, st->old_rawsize, mode_names[st->old_mode], st->keep, mode_names[q->mode], q->size,
		     q->sector_size, (int)q->map, q->align, du);
	if (!rec || n < 0)
		r = nomem(err);
	else
		r = vpmem_file_replace(rec, text, (size_t)n, 0644, err);
	free(rec);
	if (n >= 0)
		free(text);
	return r;
}

/* Parse the record text (NUL-terminated): 0, or -EILSEQ. */
int vpmem_reconf_record_parse(const char *text, struct vpmem_reconf_state *st, struct vpmem_err *err)
{
	static const char magic[] = "vpmem namespace reconfigure 1\n";
	const char *p = text;
	unsigned have = 0;
	bool end = false;

	memset(st, 0, sizeof(*st));
	if (strncmp(p, magic, sizeof(magic) - 1))
		return vpmem_err_set(err, EILSEQ, "not a reconfigure record");
	p += sizeof(magic) - 1;
	while (*p && !end) {
		struct vpmem_ns_req *q = &st->req;
		size_t n = strcspn(p, "\n");
		char line[256], *v;
		int ok = 0;

		if (n >= sizeof(line) || !p[n])
			return vpmem_err_set(err, EILSEQ, "a record line is too long or unterminated");
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + 1;
		if (!strcmp(line, "end")) {
			end = true;
			break;
		}
		v = strchr(line, '=');
		if (!v)
			return vpmem_err_set(err, EILSEQ, "record line '%.40s' has no '='", line);
		*v++ = '\0';
#define NUM(k, field, max) else if (!strcmp(line, k)) { char *e; unsigned long long x; errno = 0; \
		x = strtoull(v, &e, 10); ok = !errno && e != v && !*e && *v != '-' && x <= (max); field = x; }
		if (!strcmp(line, "uuid")) ok = !uuid_parse(v, st->uuid);
		else if (!strcmp(line, "dev_uuid")) ok = !uuid_parse(v, q->dev_uuid);
		else if (!strcmp(line, "name")) ok = !unhex(v, (uint8_t *)st->name, sizeof(st->name) - 1, &n) && !memchr(st->name, 0, n);
		else if (!strcmp(line, "old_mode")) ok = !parse_mode(v, &st->old_mode);
		else if (!strcmp(line, "mode")) ok = !parse_mode(v, &q->mode);
		NUM("dpa", st->dpa, UINT64_MAX)
		NUM("old_rawsize", st->old_rawsize, UINT64_MAX)
		NUM("keep", st->keep, UINT64_MAX)
		NUM("size", q->size, UINT64_MAX)
		NUM("sector_size", q->sector_size, 4096)
		NUM("map", q->map, VPMEM_MAP_DEV)
		NUM("align", q->align, 1u << 30)
		else
			ok = 1;   /* later versions may add keys */
#undef NUM
		if (!ok)
			return vpmem_err_set(err, EILSEQ, "record key '%.32s' has a bad value", line);
		have++;
	}
	if (!end || have < 12)
		return vpmem_err_set(err, EILSEQ, "the record is incomplete");
	st->req.uuid_set = true;
	memcpy(st->req.uuid, st->uuid, 16);
	st->req.dev_uuid_set = true;
	st->req.name = st->name[0] ? st->name : NULL;
	st->req.dpa_set = true;
	st->req.dpa = st->dpa;
	return 0;
}

int vpmem_reconf_pending(const char *path, struct vpmem_reconf_state *st, struct vpmem_err *err)
{
	char *rec = side_path(path, VPMEM_RECONF_SUFFIX), *buf;
	struct vpmem_err e = { 0 };
	size_t n = 0;
	int r, fd;

	if (!rec)
		return nomem(err);
	memset(st, 0, sizeof(*st));
	fd = open_side(rec, O_RDONLY, "the progress record", err);
	if (fd < 0) {
		free(rec);
		return fd == -ENOENT ? 0 : fd;
	}
	/* a record is a few hundred bytes: 4K bounds the read */
	buf = vpmem_read_fd(fd, rec, 4095, &n, &e);
	close(fd);
	r = !buf || strlen(buf) != n ? -EILSEQ : vpmem_reconf_record_parse(buf, st, &e);
	free(buf);
	if (r)
		vpmem_err_set(err, EILSEQ, "the progress record '%s' is damaged (%s): finish by hand (doc/reconfigure.md)", rec,
			      e.msg[0] ? e.msg : "too long or not text");
	free(rec);
	return r ? -EILSEQ : 1;
}

int vpmem_reconf_busy(const char *path, struct vpmem_err *err)
{
	struct vpmem_reconf_state st;
	int r = vpmem_reconf_pending(path, &st, err);

	if (r <= 0)
		return r;
	return vpmem_err_set(err, EBUSY,
			     "'%s' has an unfinished namespace conversion (%s to %s at dpa 0x%" PRIx64 ", see '%s%s'): finish it with 'vpmem namespace reconfigure %s --resume'",
			     path, mode_names[st.old_mode], mode_names[st.req.mode], st.dpa, path, VPMEM_RECONF_SUFFIX, path);
}

/* ---- applying ---- */

static int cleanup(const char *path, struct vpmem_err *err)
{
	char *data = side_path(path, VPMEM_RECONF_DATA_SUFFIX), *rec = side_path(path, VPMEM_RECONF_SUFFIX);
	int r = 0;

	if (!data || !rec)
		r = nomem(err);
	/* the staged copy first: a record without it is still finished by resume
	 * once the new label is in (it needs no data then) */
	else if ((unlink(data) && errno != ENOENT) || sync_dir(data) || (unlink(rec) && errno != ENOENT) || sync_dir(rec))
		r = vpmem_err_set(err, errno, "cannot remove '%s': %s", rec, strerror(errno));
	free(data);
	free(rec);
	return r;
}

enum found { FOUND_NONE, FOUND_OLD, FOUND_NEW, FOUND_OTHER };

static enum found classify(const struct vpmem_region_info *ri, const struct vpmem_reconf_state *st, unsigned *idx)
{
	const struct vpmem_ns_req *q = &st->req;

	for (unsigned i = 0; i < ri->nns; i++) {
		const struct vpmem_ns_info *ns = &ri->ns[i];

		if (!ns->labelled || memcmp(ns->raw_uuid, st->uuid, 16))
			continue;
		*idx = i;
		if (ns->dpa != st->dpa)
			return FOUND_OTHER;
		if (ns->mode == q->mode && ns->rawsize == q->size &&
		    (q->mode == VPMEM_NS_RAW ? !(st->old_mode == VPMEM_NS_RAW && st->old_rawsize == q->size)
					     : ns->has_uuid && !memcmp(ns->uuid, q->dev_uuid, 16)))
			return FOUND_NEW;
		if (ns->mode == st->old_mode && ns->rawsize == st->old_rawsize)
			return FOUND_OLD;
		return FOUND_OTHER;
	}
	return FOUND_NONE;
}

int vpmem_reconf_resume(int fd, const char *path, struct vpmem_reconf_run *run, struct vpmem_ns_info *ns_out,
			struct vpmem_err *err)
{
	struct vpmem_reconf_state st;
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_wplan destroy = { 0 }, create = { 0 };
	struct vpmem_ns_info nn;
	char *data = side_path(path, VPMEM_RECONF_DATA_SUFFIX);
	unsigned idx = 0;
	size_t head = 0;
	int r, stage = -1;
	enum found f;

	if (!ri || !data) {
		r = nomem(err);
		goto out;
	}
	r = vpmem_reconf_pending(path, &st, err);
	if (r == 0)
		r = vpmem_err_set(err, ENOENT, "no conversion is pending for '%s'", path);
	if (r < 0)
		goto out;
	r = vpmem_region_read(fd, run->hints, ri, err);
	if (r)
		goto out;
	f = classify(ri, &st, &idx);
	if (f == FOUND_OTHER) {
		r = vpmem_err_set(err, EILSEQ,
				  "namespace0.%u has the uuid of the pending conversion but is neither the old nor the new layout: not changing it",
				  idx);
		goto out;
	}
	if (f == FOUND_NEW)
		goto done;
	stage = open_side(data, O_RDONLY, "the staged copy", err);
	if (stage == -ENOENT)
		stage = vpmem_err_set(err, ENOENT, "cannot open the staged copy '%s': %s", data, strerror(ENOENT));
	if (stage < 0) {
		r = stage;
		goto out;
	}
	{
		struct stat sb;

		if (fstat(stage, &sb) || (uint64_t)sb.st_size != st.keep) {
			r = vpmem_err_set(err, EILSEQ, "the staged copy '%s' is not %" PRIu64 " bytes long: not using it", data,
					  st.keep);
			goto out;
		}
	}
	/* the old label goes first (from here the guest sees no namespace) */
	r = plan_writes(fd, ri, run->hints, f == FOUND_OLD ? &ri->ns[idx] : NULL, &st.req, &destroy, &create, &head, &nn, err);
	if (!r)
		r = apply_range(fd, &destroy, 0, destroy.n, run, err);
	if (!r)
		r = apply_range(fd, &create, 0, head, run, err);
	if (!r)
		r = import_stage(fd, stage, &nn, st.keep, run, err);
	if (!r)
		r = apply_range(fd, &create, head, create.n, run, err);
	if (r)
		goto out;
done:
	if (run->budget == 0) {
		r = crash(run, err);
		goto out;
	}
	r = cleanup(path, err);
	if (!r && ns_out) {
		vpmem_region_free(ri);
		r = vpmem_region_read(fd, run->hints, ri, err);
		if (!r && classify(ri, &st, &idx) == FOUND_NEW)
			*ns_out = ri->ns[idx];
		else if (!r)
			r = vpmem_err_set(err, EIO, "the new namespace is not there after the conversion");
	}
out:
	if (stage >= 0)
		close(stage);
	vpmem_wplan_free(&destroy);
	vpmem_wplan_free(&create);
	if (ri)
		vpmem_region_free(ri);
	free(ri);
	free(data);
	return r;
}

/* Copy the old view into the staged file: sparse, synced, @keep bytes long. */
static int stage_old(int fd, const char *path, const struct vpmem_reconf_plan *p, struct vpmem_reconf_run *run,
		     struct vpmem_err *err)
{
	char *data = side_path(path, VPMEM_RECONF_DATA_SUFFIX);
	struct vpmem_ns_io *io = NULL;
	struct vpmem_copy_stats cs;
	int r, s;

	if (!data)
		return nomem(err);
	/* made afresh (no record is pending, so nothing there is resume's): a
	 * leftover regular file of a run cut before its record is removed, by
	 * name (a hard link to some other file leaves that file alone); a
	 * symlink or anything else is refused, never written through */
	s = open_side(data, O_RDWR | O_CREAT | O_EXCL, "the staged copy", err);
	if (s == -EEXIST) {
		struct stat sb;

		if (!lstat(data, &sb) && S_ISREG(sb.st_mode) && !unlink(data))
			s = open_side(data, O_RDWR | O_CREAT | O_EXCL, "the staged copy", err);
	}
	if (s < 0) {
		free(data);
		return s;
	}
	r = vpmem_ns_io_open(fd, &p->old_ns, true, &io, err);
	if (!r)
		r = vpmem_ns_export(io, s, run->progress, run->arg, &cs, err);
	if (!r && (ftruncate(s, (off_t)p->keep) || fsync(s) || sync_dir(data)))
		r = vpmem_err_set(err, errno, "cannot write the staged copy '%s': %s", data, strerror(errno));
	vpmem_ns_io_close(io);
	close(s);
	if (r)
		unlink(data);
	free(data);
	return r;
}

int vpmem_reconf_apply(int fd, const char *path, const struct vpmem_reconf_plan *p, struct vpmem_reconf_run *run,
		       struct vpmem_err *err)
{
	struct vpmem_reconf_state st;
	int r;

	if (!p->keep_data) {
		r = apply_range(fd, &p->destroy, 0, p->destroy.n, run, err);
		return r ? r : apply_range(fd, &p->create, 0, p->create.n, run, err);
	}
	r = vpmem_reconf_pending(path, &st, err);
	if (r > 0)
		return vpmem_err_set(err, EBUSY, "a conversion of '%s' is pending: finish it first (vpmem namespace reconfigure '%s' --resume)",
				     path, path);
	if (r < 0)
		return r;
	r = stage_old(fd, path, p, run, err);
	if (r)
		return r;
	memset(&st, 0, sizeof(st));
	memcpy(st.uuid, p->old_ns.raw_uuid, 16);
	snprintf(st.name, sizeof(st.name), "%s", p->name);
	st.dpa = p->old_ns.dpa;
	st.old_rawsize = p->old_ns.rawsize;
	st.old_mode = p->old_ns.mode;
	st.keep = p->keep;
	st.req = p->req;
	if (!take(run))
		return crash(run, err);
	r = record_write(path, &st, err);
	return r ? r : vpmem_reconf_resume(fd, path, run, NULL, err);
}
