// SPDX-License-Identifier: MIT
/*
 * Finding a kernel's configuration and module files (kconfig.h): a config
 * file, a Debian package, an image with CONFIG_IKCONFIG, the files beside it
 * as in /boot, a modules directory or an initramfs; and a small cache of the
 * result for `vpmem run`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/file.h>
#include <vpmem/guest.h>
#include <vpmem/kconfig.h>

#include "util/unpack.h"

#define CONFIG_MAX (64u << 20)          /* a .config is ~150 KiB; this is generous */
#define IMAGE_MAX (4ull << 30)          /* decompressed vmlinux / data.tar bound */
#define FILE_MAX (2ull << 30)           /* files we map */

/* ---- files in memory ---- */
struct mapped {
	const uint8_t *p;
	size_t n;
	void *map;     /* mmap'ed, or */
	uint8_t *heap; /* read */
};

/* read(2) the whole file: for /proc files (no mmap, st_size not the size) */
static int slurp(int fd, struct mapped *m)
{
	size_t cap = 1u << 16, n = 0;
	uint8_t *b = malloc(cap);
	ssize_t r;

	if (!b)
		return -ENOMEM;
	while ((r = read(fd, b + n, cap - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			return -errno;
		}
		n += (size_t)r;
		if (n == cap) {
			uint8_t *nb = cap < FILE_MAX ? realloc(b, cap * 2) : NULL;

			if (!nb) {
				free(b);
				return cap < FILE_MAX ? -ENOMEM : -EFBIG;
			}
			b = nb;
			cap *= 2;
		}
	}
	m->p = m->heap = b;
	m->n = n;
	return 0;
}

static int map_file(const char *path, struct mapped *m, struct vpmem_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	memset(m, 0, sizeof(*m));
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return vpmem_err_set(err, e, "cannot open '%s': %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return vpmem_err_set(err, EINVAL, "cannot read '%s': not a regular file", path);
	}
	if ((uint64_t)st.st_size > FILE_MAX) {
		close(fd);
		return vpmem_err_set(err, EFBIG, "cannot read '%s': larger than 2 GiB", path);
	}
	m->n = (size_t)st.st_size;
	if (m->n)
		m->map = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->n && m->map != MAP_FAILED) {
		m->p = m->map;
	} else {
		m->map = NULL;
		r = slurp(fd, m);
	}
	close(fd);
	if (r)
		return vpmem_err_set(err, -r, "cannot read '%s': %s", path, strerror(-r));
	if (!m->p)
		m->p = (const uint8_t *)"";
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->map)
		munmap(m->map, m->n);
	free(m->heap);
	memset(m, 0, sizeof(*m));
}

static void note(struct vpmem_kernel *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct vpmem_kernel *k, const char *fmt, ...)
{
	size_t l = strlen(k->no_config);
	va_list ap;

	if (l && l < sizeof(k->no_config) - 2) {
		memcpy(k->no_config + l, "; ", 3);
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(k->no_config + l, sizeof(k->no_config) - l, fmt, ap);
	va_end(ap);
}

/* ---- module names ---- */
static bool module_name(const char *path, char *out, size_t len)
{
	static const char *const sfx[] = { ".ko", ".ko.xz", ".ko.gz", ".ko.zst" };
	const char *base = strrchr(path, '/');
	size_t bl;

	base = base ? base + 1 : path;
	bl = strlen(base);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t sl = strlen(sfx[i]);

		if (bl > sl && !strcmp(base + bl - sl, sfx[i]) && bl - sl < len) {
			for (size_t j = 0; j < bl - sl; j++)
				out[j] = base[j] == '-' ? '_' : base[j];
			out[bl - sl] = 0;
			return true;
		}
	}
	return false;
}

static int add_module(struct vpmem_kernel *k, const char *path)
{
	char name[256];

	if (!module_name(path, name, sizeof(name)))
		return 0;
	return vpmem_strv_push(&k->modules, name);
}

bool vpmem_kernel_has_module(const struct vpmem_kernel *k, const char *name)
{
	char want[256];
	size_t i;

	for (i = 0; name[i] && i < sizeof(want) - 1; i++)
		want[i] = name[i] == '-' ? '_' : name[i];
	want[i] = 0;
	for (size_t j = 0; j < k->modules.n; j++)
		if (!strcmp(k->modules.v[j], want))
			return true;
	return false;
}

/* Is @path under lib/modules/ (or usr/lib/modules/)? Returns the part after it. */
static const char *under_modules(const char *path)
{
	const char *p = strstr(path, "lib/modules/");

	if (!p || (p != path && p[-1] != '/'))
		return NULL;
	return p + 12;
}

/* ---- configuration from text (plain or compressed) ---- */
static int config_from_bytes(const uint8_t *p, size_t n, struct vpmem_kconfig **kc, const char *what,
			     struct vpmem_err *err)
{
	enum unpack_codec c = unpack_sniff(p, n);
	uint8_t *text = NULL;
	size_t len = 0;
	int r;

	if (c == UNPACK_NONE)
		return vpmem_kconfig_parse((const char *)p, n, kc, err);
	r = unpack_all(c, p, n, CONFIG_MAX, &text, &len, what, err);
	if (r)
		return r;
	r = vpmem_kconfig_parse((const char *)text, len, kc, err);
	free(text);
	return r;
}

static int read_config_file(struct vpmem_kernel *k, const char *path, struct vpmem_err *err)
{
	struct mapped m;
	struct vpmem_err e2 = { 0 };
	int r = map_file(path, &m, err);

	if (r)
		return r;
	r = config_from_bytes(m.p, m.n, &k->config, path, &e2);
	unmap_file(&m);
	if (r)
		return vpmem_err_set(err, -r, "cannot read the kernel configuration '%s': %s", path, e2.msg);
	snprintf(k->config_from, sizeof(k->config_from), "%s", path);
	return 0;
}

/* ---- Debian package ---- */
struct deb_ctx {
	struct vpmem_kernel *k;
	bool want_config, want_modules;
	int r;
	char config_path[512];
};

static int deb_want(void *ctx, const char *path, uint64_t size)
{
	struct deb_ctx *d = ctx;
	const char *m = under_modules(path);

	if (d->want_config && !d->k->config && !strncmp(path, "boot/config-", 12))
		return 1;
	if (m) {
		const char *slash = strchr(m, '/');

		if (slash && !d->k->release[0] && (size_t)(slash - m) < sizeof(d->k->release))
			snprintf(d->k->release, sizeof(d->k->release), "%.*s", (int)(slash - m), m);
		if (d->want_modules) {
			d->r = add_module(d->k, path);
			return d->r;
		}
		if (d->k->config || !d->want_config)
			return 2; /* boot/ comes first in Debian's packages: nothing more to find */
	}
	(void)size;
	return 0;
}

static int deb_got(void *ctx, const char *path, const uint8_t *data, size_t size)
{
	struct deb_ctx *d = ctx;
	struct vpmem_err e = { 0 };

	if (vpmem_kconfig_parse((const char *)data, size, &d->k->config, &e))
		return 0; /* not a configuration after all: keep looking */
	snprintf(d->config_path, sizeof(d->config_path), "%s", path);
	if (!d->k->release[0])
		snprintf(d->k->release, sizeof(d->k->release), "%s", path + 12);
	return 0;
}

static int read_deb(struct vpmem_kernel *k, const char *path, const uint8_t *p, size_t n, bool want_config,
		    bool want_modules, struct vpmem_err *err)
{
	struct deb_ctx d = { .k = k, .want_config = want_config, .want_modules = want_modules };
	struct unpack_tar *t;
	const uint8_t *data;
	size_t size;
	char name[17];
	char what[PATH_MAX + 32];
	int r = unpack_ar_find(p, n, "data.tar", name, &data, &size);

	if (r == -ENOENT)
		return vpmem_err_set(err, ENOENT, "'%s' is an ar archive without a data.tar member: not a Debian package", path);
	if (r)
		return vpmem_err_set(err, EILSEQ, "'%s': damaged ar archive", path);
	t = unpack_tar_new(deb_want, deb_got, &d, CONFIG_MAX);
	if (!t)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "'%s' member %s", path, name);
	r = unpack_stream(unpack_sniff(data, size), data, size, IMAGE_MAX, unpack_tar_sink, t, what, err);
	unpack_tar_free(t);
	if (r == -EILSEQ && err && !strstr(err->msg, "corrupt"))
		r = vpmem_err_set(err, EILSEQ, "%s: damaged tar archive", what);
	if (!r && d.r)
		r = vpmem_err_set(err, -d.r, "out of memory");
	if (r)
		return r;
	if (k->config)
		snprintf(k->config_from, sizeof(k->config_from), "%s in %s", d.config_path, path);
	else if (want_config)
		note(k, "'%s' holds no boot/config-*", path);
	if (want_modules) {
		k->modules_known = true;
		snprintf(k->modules_from, sizeof(k->modules_from), "%s", path);
	}
	return 0;
}

/* ---- CONFIG_IKCONFIG: "IKCFG_ST" <gzip'ed .config> "IKCFG_ED" (kernel/configs.c) ---- */
struct ikcfg {
	uint8_t tail[7];
	size_t tail_n;
	bool in, done;
	uint8_t *data;
	size_t n, cap;
};

static int ik_keep(struct ikcfg *s, const uint8_t *p, size_t n)
{
	const uint8_t *end;
	size_t from;

	if (s->n + n > CONFIG_MAX)
		return -EFBIG;
	if (s->n + n > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : (1u << 16);
		uint8_t *np;

		while (nc < s->n + n)
			nc *= 2;
		np = realloc(s->data, nc);
		if (!np)
			return -ENOMEM;
		s->data = np;
		s->cap = nc;
	}
	memcpy(s->data + s->n, p, n);
	from = s->n > 7 ? s->n - 7 : 0;
	s->n += n;
	end = memmem(s->data + from, s->n - from, "IKCFG_ED", 8);
	if (end) {
		s->n = (size_t)(end - s->data);
		s->done = true;
		return 1;
	}
	return 0;
}

static int ik_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct ikcfg *s = ctx;
	const uint8_t *hit;

	if (s->in)
		return ik_keep(s, p, n);
	/* the marker may straddle two chunks: look at tail + head first */
	if (s->tail_n) {
		uint8_t b[14];
		size_t h = n < 7 ? n : 7;

		memcpy(b, s->tail, s->tail_n);
		memcpy(b + s->tail_n, p, h);
		hit = memmem(b, s->tail_n + h, "IKCFG_ST", 8);
		if (hit) {
			size_t skip = (size_t)(hit - b) + 8 - s->tail_n;

			s->in = true;
			return ik_keep(s, p + skip, n - skip);
		}
	}
	hit = memmem(p, n, "IKCFG_ST", 8);
	if (hit) {
		s->in = true;
		return ik_keep(s, hit + 8, n - (size_t)(hit + 8 - p));
	}
	if (n >= 7) {
		memcpy(s->tail, p + n - 7, 7);
		s->tail_n = 7;
	} else {
		size_t keep = s->tail_n + n > 7 ? 7 - n : s->tail_n;

		memmove(s->tail, s->tail + s->tail_n - keep, keep);
		memcpy(s->tail + keep, p, n);
		s->tail_n = keep + n;
	}
	return 0;
}

/* 1: found and parsed; 0: no IKCFG_ST; <0: error */
static int ikcfg_finish(struct ikcfg *s, struct vpmem_kernel *k, const char *path, const char *how,
			struct vpmem_err *err)
{
	int r = 0;

	if (s->in) {
		struct vpmem_err e2 = { 0 };

		if (!s->done) {
			note(k, "'%s' has IKCFG_ST but no IKCFG_ED", path);
		} else if (config_from_bytes(s->data, s->n, &k->config, "the embedded configuration", &e2)) {
			note(k, "the configuration embedded in '%s' cannot be read (%s)", path, e2.msg);
		} else {
			snprintf(k->config_from, sizeof(k->config_from), "embedded in %s (CONFIG_IKCONFIG%s)", path, how);
			r = 1;
		}
	}
	free(s->data);
	(void)err;
	return r;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * bzImage (Documentation/arch/x86/boot.rst, "The real-mode kernel header"):
 * setup_sects @0x1f1 (0 means 4), "HdrS" @0x202, version @0x206,
 * kernel_version @0x20e (pointer to a string, minus 0x200), payload_offset
 * @0x248 and payload_length @0x24c (protocol 2.08+), the payload offset
 * counted from the protected-mode code at (setup_sects + 1) * 512.
 */
static int read_bzimage(struct vpmem_kernel *k, const char *path, const uint8_t *p, size_t n,
			bool want_config, struct vpmem_err *err)
{
	unsigned setup = p[0x1f1] ? p[0x1f1] : 4;
	uint16_t ver = le16(p + 0x206), kv = le16(p + 0x20e);
	uint64_t pm = ((uint64_t)setup + 1) * 512, off, len;
	enum unpack_codec c;
	struct ikcfg s = { 0 };
	struct vpmem_err e2 = { 0 };
	char what[PATH_MAX + 32];
	int r;

	if (kv && (size_t)kv + 0x200 < n && !k->release[0]) {
		const uint8_t *v = p + kv + 0x200;
		size_t i = 0;

		while (i < sizeof(k->release) - 1 && (size_t)(v - p) + i < n && v[i] > ' ' && v[i] < 0x7f)
			i++;
		memcpy(k->release, v, i);
		k->release[i] = 0;
	}
	if (!want_config)
		return 0;
	if (ver < 0x208) {
		note(k, "'%s' uses boot protocol %u.%02u, older than 2.08: its payload cannot be located", path,
		     ver >> 8, ver & 0xff);
		return 0;
	}
	off = pm + le32(p + 0x248);
	len = le32(p + 0x24c);
	if (off >= n || len > n - off || len < 4) {
		note(k, "'%s': the payload lies outside the file", path);
		return 0;
	}
	c = unpack_sniff(p + off, (size_t)len);
	snprintf(what, sizeof(what), "the payload of '%s'", path);
	r = unpack_stream(c, p + off, (size_t)len, IMAGE_MAX, ik_sink, &s, what, &e2);
	if (r && !s.done) {
		free(s.data);
		note(k, "%s", e2.msg);
		return 0;
	}
	r = ikcfg_finish(&s, k, path, c == UNPACK_NONE ? "" : c == UNPACK_GZIP ? ", gzip image"
			 : c == UNPACK_XZ ? ", xz image" : c == UNPACK_ZSTD ? ", zstd image"
			 : c == UNPACK_LZ4 ? ", lz4 image" : ", lzma image", err);
	if (r == 0 && !k->config && !s.in)
		note(k, "'%s' (%s) has no embedded configuration (CONFIG_IKCONFIG is not set)", path,
		     unpack_codec_name(c));
	return r < 0 ? r : 0;
}

static int read_vmlinux(struct vpmem_kernel *k, const char *path, const uint8_t *p, size_t n,
			struct vpmem_err *err)
{
	struct ikcfg s = { 0 };
	int r;

	ik_sink(&s, p, n);
	r = ikcfg_finish(&s, k, path, "", err);
	if (!r && !k->config)
		note(k, "'%s' has no embedded configuration (CONFIG_IKCONFIG is not set)", path);
	return r < 0 ? r : 0;
}

/* ---- beside the image ---- */
static bool try_config_at(struct vpmem_kernel *k, const char *path)
{
	struct vpmem_err e = { 0 };

	if (access(path, R_OK))
		return false;
	if (read_config_file(k, path, &e)) {
		note(k, "%s", e.msg);
		return false;
	}
	return true;
}

static void dir_of(const char *path, char *dir, size_t len)
{
	const char *s = strrchr(path, '/');

	if (!s)
		snprintf(dir, len, ".");
	else if (s == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(s - path), path);
}

/* The default guest's directory (guest/mkguest.sh): kernel-package names the
 * package in debs/ that vmlinuz was taken from; initrd.img holds its modules. */
static int default_guest_config(struct vpmem_kernel *k, const char *dir, struct vpmem_err *err)
{
	char pkg[256], debs[PATH_MAX], deb[PATH_MAX * 2];
	struct dirent **ents = NULL;
	int n, r = 0;

	if (vpmem_guest_built_package(dir, pkg, sizeof(pkg)) || !pkg[0])
		return 0;
	/* one guest per kernel package under guest/NAME/, packages shared in
	 * guest/debs/ (lib/machine/guest.c); older caches kept debs/ inside */
	snprintf(debs, sizeof(debs), "%s/../debs", dir);
	if (access(debs, F_OK))
		snprintf(debs, sizeof(debs), "%s/debs", dir);
	n = scandir(debs, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t pl = strlen(pkg);

		if (!r && !k->config && !strncmp(ents[i]->d_name, pkg, pl) && ents[i]->d_name[pl] == '_') {
			struct mapped m;

			snprintf(deb, sizeof(deb), "%s/%s", debs, ents[i]->d_name);
			r = map_file(deb, &m, err);
			if (!r) {
				r = read_deb(k, deb, m.p, m.n, true, false, err);
				unmap_file(&m);
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (!r && !k->config)
		note(k, "no %s_*.deb in %s", pkg, debs);
	return r;
}

static void find_beside(struct vpmem_kernel *k, const char *kernel, struct vpmem_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	const char *base = strrchr(kernel, '/'), *dash;

	base = base ? base + 1 : kernel;
	dir_of(kernel, dir, sizeof(dir));
	if (k->release[0]) {
		snprintf(path, sizeof(path), "%s/config-%s", dir, k->release);
		if (try_config_at(k, path))
			return;
	}
	dash = strchr(base, '-');
	if (dash && (!strncmp(base, "vmlinuz-", 8) || !strncmp(base, "bzImage-", 8) || !strncmp(base, "vmlinux-", 8))) {
		snprintf(path, sizeof(path), "%s/config-%s", dir, dash + 1);
		if (try_config_at(k, path))
			return;
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	if (try_config_at(k, path))
		return;
	if (default_guest_config(k, dir, err) || k->config)
		return;
	note(k, "no config-%s beside it", k->release[0] ? k->release : "RELEASE");
}

/* ---- modules: a directory, an initramfs ---- */
static struct vpmem_kernel *walk_k;
static int walk_rc;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && (walk_rc = add_module(walk_k, path)))
		return 1;
	return 0;
}

static int scan_modules_dir(struct vpmem_kernel *k, const char *dir, struct vpmem_err *err)
{
	struct stat st;
	int r;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return vpmem_err_set(err, ENOTDIR, "cannot use modules directory '%s': %s", dir,
				     errno ? strerror(errno) : "not a directory");
	walk_k = k;
	walk_rc = 0;
	r = nftw(dir, walk_one, 16, FTW_PHYS);
	walk_k = NULL;
	if (r < 0 || walk_rc)
		return vpmem_err_set(err, walk_rc ? -walk_rc : errno, "cannot read modules directory '%s': %s", dir,
				     strerror(walk_rc ? -walk_rc : errno));
	k->modules_known = true;
	snprintf(k->modules_from, sizeof(k->modules_from), "%s", dir);
	return 0;
}

static int initrd_want(void *ctx, const char *path, uint64_t size)
{
	struct vpmem_kernel *k = ctx;

	(void)size;
	if (under_modules(path))
		return add_module(k, path);
	return 0;
}

int vpmem_kernel_scan_initrd(struct vpmem_kernel *k, const uint8_t *p, size_t n, const char *path,
			     struct vpmem_err *err)
{
	size_t pos = 0;
	int r = 0;

	/* early (uncompressed) archives first, then perhaps one compressed one
	 * (Documentation/driver-api/early-userspace/buffer-format.rst) */
	while (pos < n && !r) {
		enum unpack_codec c = unpack_sniff(p + pos, n - pos);
		struct unpack_cpio *cp;

		if (c == UNPACK_NONE && n - pos >= 6 && !memcmp(p + pos, "0707", 4)) {
			cp = unpack_cpio_new(initrd_want, k);
			if (!cp)
				return vpmem_err_set(err, ENOMEM, "out of memory");
			r = unpack_cpio_sink(cp, p + pos, n - pos);
			if (r == 1) {
				pos += unpack_cpio_trailer_end(cp);
				r = 0;
			} else {
				pos = n;
			}
			unpack_cpio_free(cp);
			continue;
		}
		if (c == UNPACK_NONE) {
			if (!p[pos]) {
				pos++;
				continue;
			}
			break;
		}
		cp = unpack_cpio_new(initrd_want, k);
		if (!cp)
			return vpmem_err_set(err, ENOMEM, "out of memory");
		{
			char what[PATH_MAX + 16];

			snprintf(what, sizeof(what), "'%s'", path);
			r = unpack_stream(c, p + pos, n - pos, IMAGE_MAX, unpack_cpio_sink, cp, what, err);
		}
		unpack_cpio_free(cp);
		pos = n;
	}
	if (r < 0) {
		if (!err || !err->code)
			vpmem_err_set(err, -r, "'%s' is not an initramfs (cpio newc)", path);
		return r;
	}
	k->modules_known = true;
	snprintf(k->modules_from, sizeof(k->modules_from), "%s", path);
	return 0;
}

static int scan_initrd(struct vpmem_kernel *k, const char *path, struct vpmem_err *err)
{
	struct mapped m;
	int r = map_file(path, &m, err);

	if (r)
		return r;
	r = vpmem_kernel_scan_initrd(k, m.p, m.n, path, err);
	unmap_file(&m);
	return r;
}

/* /boot/vmlinuz-R: modules in /lib/modules/R or /usr/lib/modules/R */
static void find_modules_beside(struct vpmem_kernel *k, const char *kernel, struct vpmem_err *err)
{
	char dir[PATH_MAX], root[PATH_MAX], path[PATH_MAX * 2 + 64];
	static const char *const where[] = { "lib/modules", "usr/lib/modules" };
	size_t l;

	dir_of(kernel, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/initrd.img", dir);
	{
		char kp[PATH_MAX + 16];

		snprintf(kp, sizeof(kp), "%s/kernel-package", dir);
		if (!access(kp, R_OK) && !access(path, R_OK)) { /* the default guest */
			struct vpmem_err e = { 0 };

			if (!scan_initrd(k, path, &e))
				return;
		}
	}
	l = strlen(dir);
	if (!k->release[0] || l < 4 || strcmp(dir + l - 4, "boot"))
		return;
	snprintf(root, sizeof(root), "%.*s", (int)(l - 4), dir);
	for (size_t i = 0; i < 2; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s%s/%s", root[0] ? root : "", where[i], k->release);
		if (!root[0])
			snprintf(path, sizeof(path), "%s/%s", where[i], k->release);
		if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
			scan_modules_dir(k, path, err);
			return;
		}
	}
}

/* ---- the whole search ---- */
static int read_kernel_file(struct vpmem_kernel *k, const struct vpmem_kernel_req *req, bool *deb_modules,
			    struct vpmem_err *err)
{
	const char *path = req->kernel;
	bool want_config = !k->config;
	bool want_modules = !req->modules && !req->initrd && !req->no_modules;
	struct mapped m;
	int r = map_file(path, &m, err);

	if (r)
		return r;
	*deb_modules = false;
	if (m.n >= 8 && !memcmp(m.p, "!<arch>\n", 8)) {
		r = read_deb(k, path, m.p, m.n, want_config, want_modules, err);
		*deb_modules = want_modules && !r;
	} else if (m.n > 0x250 && !memcmp(m.p + 0x202, "HdrS", 4)) {
		r = read_bzimage(k, path, m.p, m.n, want_config, err);
	} else if (m.n >= 4 && !memcmp(m.p, "\x7f" "ELF", 4)) {
		if (want_config)
			r = read_vmlinux(k, path, m.p, m.n, err);
	} else if (want_config) {
		struct vpmem_err e2 = { 0 };

		/* a configuration (plain or compressed), as config-* in /boot */
		if (!config_from_bytes(m.p, m.n, &k->config, path, &e2)) {
			snprintf(k->config_from, sizeof(k->config_from), "%s", path);
			if (!strncmp(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, "config-", 7))
				snprintf(k->release, sizeof(k->release), "%s",
					 (strrchr(path, '/') ? strrchr(path, '/') + 1 : path) + 7);
		} else {
			note(k, "'%s' is neither a kernel image, a Debian package nor a configuration", path);
		}
	}
	unmap_file(&m);
	return r;
}

int vpmem_kernel_open(const struct vpmem_kernel_req *req, struct vpmem_kernel *k, struct vpmem_err *err)
{
	bool deb_modules = false;
	int r = 0;

	memset(k, 0, sizeof(*k));
	if (req->config) {
		r = read_config_file(k, req->config, err);
		if (r)
			return r;
	}
	if (req->kernel) {
		r = read_kernel_file(k, req, &deb_modules, err);
		if (!r && !k->config)
			find_beside(k, req->kernel, err);
	} else if (!req->config) {
		note(k, "no kernel named");
	}
	if (!r && req->modules)
		r = scan_modules_dir(k, req->modules, err);
	else if (!r && req->initrd)
		r = scan_initrd(k, req->initrd, err);
	else if (!r && !deb_modules && !req->no_modules && req->kernel)
		find_modules_beside(k, req->kernel, err);
	if (r) {
		vpmem_kernel_close(k);
		return r;
	}
	if (!k->config && !k->no_config[0])
		note(k, "nothing found");
	if (err)
		vpmem_err_clear(err);
	return 0;
}

void vpmem_kernel_close(struct vpmem_kernel *k)
{
	vpmem_kconfig_free(k->config);
	vpmem_strv_free(&k->modules);
	k->config = NULL;
}

/* ---- cache ---- */
static void key_add(uint64_t *h, const char *s)
{
	for (; *s; s++) {
		*h ^= (uint8_t)*s;
		*h *= 0x100000001b3ull; /* FNV-1a 64 */
	}
	*h ^= 0xff;
	*h *= 0x100000001b3ull;
}

static void key_file(uint64_t *h, const char *tag, const char *path)
{
	char buf[PATH_MAX + 128], real[PATH_MAX];
	struct stat st;

	if (!path) {
		key_add(h, tag);
		return;
	}
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	if (stat(path, &st))
		memset(&st, 0, sizeof(st));
	snprintf(buf, sizeof(buf), "%s:%s:%lld:%lld.%09ld:%llu", tag, real, (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
	key_add(h, buf);
}

static void put_opt(FILE *f, const struct vpmem_kernel *k, const struct vpmem_kopt *o, struct vpmem_strv *done)
{
	const char *v = vpmem_kconfig_get(k->config, o->option);

	for (size_t i = 0; i < done->n; i++)
		if (!strcmp(done->v[i], o->option))
			return; /* options shared by several features: once */
	vpmem_strv_push(done, o->option);

	if (v)
		fprintf(f, "CONFIG_%s=%s\n", o->option, v);
	else
		fprintf(f, "# CONFIG_%s is not set\n", o->option);
}

static void save_cache(const struct vpmem_kernel *k, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	fprintf(f, "# vpmem kernel check v1\n# release: %s\n", k->release);
	if (k->config)
		fprintf(f, "# config-from: %s\n", k->config_from);
	else
		fprintf(f, "# no-config: %s\n", k->no_config);
	if (k->modules_known) {
		fprintf(f, "# modules-from: %s\n", k->modules_from);
		for (size_t i = 0; i < k->modules.n; i++)
			fprintf(f, "# module: %s\n", k->modules.v[i]);
	}
	if (k->config) {
		struct vpmem_strv done = VPMEM_STRV_INIT;

		for (size_t i = 0; i < vpmem_nkfeatures; i++) {
			for (unsigned j = 0; j < VPMEM_KFEATURE_MAX_OPTS && vpmem_kfeatures[i].all[j].option; j++)
				put_opt(f, k, &vpmem_kfeatures[i].all[j], &done);
			for (unsigned j = 0; j < 3 && vpmem_kfeatures[i].any[j].option; j++)
				put_opt(f, k, &vpmem_kfeatures[i].any[j], &done);
		}
		vpmem_strv_free(&done);
	}
	/* a cache: written whole by the one atomic replace, or not at all */
	if (!fclose(f))
		vpmem_file_replace(path, text, len, 0644, NULL);
	free(text);
}

static int load_cache(struct vpmem_kernel *k, const char *path)
{
	size_t len = 0;
	char *text = NULL, *line, *save = NULL;
	bool has_config = false, ok = false;
	FILE *f = fopen(path, "r");

	memset(k, 0, sizeof(*k));
	if (!f)
		return -ENOENT;
	{
		long sz;

		if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || sz > (long)CONFIG_MAX || fseek(f, 0, SEEK_SET) ||
		    !(text = malloc((size_t)sz + 1)) || fread(text, 1, (size_t)sz, f) != (size_t)sz) {
			fclose(f);
			free(text);
			return -EIO;
		}
		len = (size_t)sz;
		text[len] = 0;
	}
	fclose(f);
	{
		char *copy = strdup(text);

		if (!copy) {
			free(text);
			return -ENOMEM;
		}
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strcmp(line, "# vpmem kernel check v1"))
				ok = true;
			else if (!strncmp(line, "# release: ", 11))
				snprintf(k->release, sizeof(k->release), "%s", line + 11);
			else if (!strncmp(line, "# config-from: ", 15)) {
				snprintf(k->config_from, sizeof(k->config_from), "%s", line + 15);
				has_config = true;
			} else if (!strncmp(line, "# no-config: ", 13))
				snprintf(k->no_config, sizeof(k->no_config), "%s", line + 13);
			else if (!strncmp(line, "# modules-from: ", 16)) {
				snprintf(k->modules_from, sizeof(k->modules_from), "%s", line + 16);
				k->modules_known = true;
			} else if (!strncmp(line, "# module: ", 10) && vpmem_strv_push(&k->modules, line + 10)) {
				ok = false;
				break;
			}
		}
		free(copy);
	}
	if (ok && has_config && vpmem_kconfig_parse(text, len, &k->config, NULL))
		ok = false;
	free(text);
	if (!ok) {
		vpmem_kernel_close(k);
		return -EILSEQ;
	}
	return 0;
}

int vpmem_kernel_open_cached(const struct vpmem_kernel_req *req, const char *cache_dir,
			     struct vpmem_kernel *k, struct vpmem_err *err)
{
	char path[PATH_MAX + 64];
	uint64_t h = 0xcbf29ce484222325ull;
	int r;

	key_add(&h, "vpmem kernel check v1");
	key_file(&h, "kernel", req->kernel);
	key_file(&h, "config", req->config);
	key_file(&h, "modules", req->modules);
	key_file(&h, "initrd", req->initrd);
	key_add(&h, req->no_modules ? "no-modules" : "modules");
	/* the options kept are the table's: a new table must not read an old
	 * cache's missing lines as "not set" */
	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		for (unsigned j = 0; j < VPMEM_KFEATURE_MAX_OPTS && vpmem_kfeatures[i].all[j].option; j++)
			key_add(&h, vpmem_kfeatures[i].all[j].option);
		for (unsigned j = 0; j < 3 && vpmem_kfeatures[i].any[j].option; j++)
			key_add(&h, vpmem_kfeatures[i].any[j].option);
	}
	snprintf(path, sizeof(path), "%s/%016" PRIx64, cache_dir, h);
	if (!load_cache(k, path))
		return 0;
	r = vpmem_kernel_open(req, k, err);
	if (r)
		return r;
	if (!vpmem_mkdir_p(cache_dir, NULL))
		save_cache(k, path);
	return 0;
}

int vpmem_guest_kernel_check(const struct vpmem_kernel_req *req, const struct vpmem_kernel_needs *needs,
			     struct vpmem_kernel_verdict *v, struct vpmem_err *err)
{
	char cache[PATH_MAX - 16], dir[PATH_MAX];
	struct vpmem_kernel k;
	int r;

	memset(v, 0, sizeof(*v));
	if (vpmem_cache_dir(cache, sizeof(cache), NULL))
		r = vpmem_kernel_open(req, &k, err);
	else {
		snprintf(dir, sizeof(dir), "%s/kcheck", cache);
		r = vpmem_kernel_open_cached(req, dir, &k, err);
	}
	if (r)
		return r;
	vpmem_kernel_check_needs(&k, needs, v);
	if (!k.config) {
		v->unknown = true;
		snprintf(v->note, sizeof(v->note), "%s", k.no_config);
	}
	vpmem_kernel_close(&k);
	return 0;
}
