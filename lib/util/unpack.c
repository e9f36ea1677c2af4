// SPDX-License-Identifier: MIT
/* Decompression, ar, tar and cpio readers over memory; see unpack.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "util/dl.h"
#include "unpack.h"

/*
 * The codec libraries are loaded on first use (dlopen), one per codec, not
 * linked: only reading a kernel, an initramfs, a module or a .deb needs them
 * (the guest and kconfig paths), and linking all four cost every vpmem start
 * their load and relocation (bench/README.md, layout.sh). Same pattern as
 * host/ndctl.h: each name below becomes a call through the loaded table.
 * Sonames and packages: Debian 12 (zlib1g, liblzma5, libzstd1, liblz4-1).
 */
struct codec_lib {
	/* zlib */
	__typeof__(inflateInit2_) *inflateInit2_;
	__typeof__(inflate) *inflate;
	__typeof__(inflateEnd) *inflateEnd;
	/* liblzma */
	__typeof__(lzma_alone_decoder) *lzma_alone_decoder;
	__typeof__(lzma_stream_decoder) *lzma_stream_decoder;
	__typeof__(lzma_code) *lzma_code;
	__typeof__(lzma_end) *lzma_end;
	/* libzstd */
	__typeof__(ZSTD_createDStream) *ZSTD_createDStream;
	__typeof__(ZSTD_decompressStream) *ZSTD_decompressStream;
	__typeof__(ZSTD_isError) *ZSTD_isError;
	__typeof__(ZSTD_freeDStream) *ZSTD_freeDStream;
	/* liblz4 */
	__typeof__(LZ4_compressBound) *LZ4_compressBound;
	__typeof__(LZ4_decompress_safe) *LZ4_decompress_safe;
};

static struct codec_lib cl;

enum { LIB_Z, LIB_LZMA, LIB_ZSTD, LIB_LZ4, NLIBS };

#define SYM(f) VPMEM_DL_SYM(struct codec_lib, f, #f)
static const struct vpmem_dl_sym z_syms[] = { SYM(inflateInit2_), SYM(inflate), SYM(inflateEnd), { 0 } };
static const struct vpmem_dl_sym lzma_syms[] = { SYM(lzma_alone_decoder), SYM(lzma_stream_decoder), SYM(lzma_code),
						 SYM(lzma_end), { 0 } };
static const struct vpmem_dl_sym zstd_syms[] = { SYM(ZSTD_createDStream), SYM(ZSTD_decompressStream),
						 SYM(ZSTD_isError), SYM(ZSTD_freeDStream), { 0 } };
static const struct vpmem_dl_sym lz4_syms[] = { SYM(LZ4_compressBound), SYM(LZ4_decompress_safe), { 0 } };
#undef SYM

/* each codec's load writes only its own members of cl (vpmem_dl_fill), once,
 * under its own lock: a thread using one codec never sees another's written */
static struct {
	const char *soname, *pkg;
	const struct vpmem_dl_sym *syms;
	struct vpmem_dl dl;
} libs[NLIBS] = {
	[LIB_Z] = { "libz.so.1", "zlib1g", z_syms, VPMEM_DL_INIT },
	[LIB_LZMA] = { "liblzma.so.5", "liblzma5", lzma_syms, VPMEM_DL_INIT },
	[LIB_ZSTD] = { "libzstd.so.1", "libzstd1", zstd_syms, VPMEM_DL_INIT },
	[LIB_LZ4] = { "liblz4.so.1", "liblz4-1", lz4_syms, VPMEM_DL_INIT },
};

/* 0 once library @i is loaded, else -1 with libs[i].dl.why */
static int lib_load(int i)
{
	return vpmem_dl_fill(&libs[i].dl, libs[i].soname, libs[i].pkg, libs[i].syms, &cl, NULL);
}

/* A macro's own name in its expansion is not expanded again (C11 6.10.3.4):
 * inflate(...) becomes (cl.inflate)(...); zlib's inflateInit2 macro expands
 * to inflateInit2_, redirected the same way. */
#define inflateInit2_ (cl.inflateInit2_)
#define inflate (cl.inflate)
#define inflateEnd (cl.inflateEnd)
#define lzma_alone_decoder (cl.lzma_alone_decoder)
#define lzma_stream_decoder (cl.lzma_stream_decoder)
#define lzma_code (cl.lzma_code)
#define lzma_end (cl.lzma_end)
#define ZSTD_createDStream (cl.ZSTD_createDStream)
#define ZSTD_decompressStream (cl.ZSTD_decompressStream)
#define ZSTD_isError (cl.ZSTD_isError)
#define ZSTD_freeDStream (cl.ZSTD_freeDStream)
#define LZ4_compressBound (cl.LZ4_compressBound)
#define LZ4_decompress_safe (cl.LZ4_decompress_safe)

#define CHUNK (1u << 20)
#define LZ4_LEGACY_MAGIC 0x184c2102u       /* lib/decompress_unlz4.c ARCHIVE_MAGICNUMBER */
#define LZ4_LEGACY_BLOCK (8u << 20)        /* lib/decompress_unlz4.c: uncomp_chunksize */

enum unpack_codec unpack_sniff(const uint8_t *p, size_t n)
{
	/* magics as Linux's lib/decompress.c compressed_formats[] lists them */
	if (n >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
		return UNPACK_GZIP;
	if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return UNPACK_XZ;
	if (n >= 3 && p[0] == 0x5d && p[1] == 0 && p[2] == 0)
		return UNPACK_LZMA;
	if (n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4))
		return UNPACK_ZSTD;
	if (n >= 4 && !memcmp(p, "\x02\x21\x4c\x18", 4))
		return UNPACK_LZ4;
	if (n >= 3 && !memcmp(p, "BZh", 3))
		return UNPACK_BZIP2;
	if (n >= 4 && !memcmp(p, "\x89\x4c\x5a\x4f", 4))
		return UNPACK_LZO;
	return UNPACK_NONE;
}

const char *unpack_codec_name(enum unpack_codec c)
{
	static const char *const names[] = {
		[UNPACK_NONE] = "none", [UNPACK_GZIP] = "gzip", [UNPACK_XZ] = "xz",
		[UNPACK_LZMA] = "lzma", [UNPACK_ZSTD] = "zstd", [UNPACK_LZ4] = "lz4",
		[UNPACK_BZIP2] = "bzip2", [UNPACK_LZO] = "lzo",
	};
	return c <= UNPACK_LZO ? names[c] : "?";
}

struct out {
	unpack_sink sink;
	void *ctx;
	uint64_t total, max;
};

/* 0 go on, 1 stop, <0 error */
static int emit(struct out *o, const uint8_t *p, size_t n)
{
	if (!n)
		return 0;
	if (o->total + n > o->max)
		return -EFBIG;
	o->total += n;
	return o->sink(o->ctx, p, n);
}

static int do_gzip(const uint8_t *in, size_t n, struct out *o, uint8_t *buf)
{
	z_stream z = { 0 };
	int r = 0, zr;

	if (inflateInit2(&z, 15 + 16) != Z_OK) /* 16: gzip wrapper only */
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	do {
		z.next_out = buf;
		z.avail_out = CHUNK;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			r = zr == Z_MEM_ERROR ? -ENOMEM : -EILSEQ;
			break;
		}
		r = emit(o, buf, CHUNK - z.avail_out);
		if (r)
			break;
		if (zr == Z_OK && !z.avail_in && z.avail_out) {
			r = -EILSEQ; /* truncated */
			break;
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	return r;
}

static int do_lzma(bool alone, const uint8_t *in, size_t n, struct out *o, uint8_t *buf)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret lr;
	int r = 0;

	lr = alone ? lzma_alone_decoder(&s, UINT64_MAX) : lzma_stream_decoder(&s, UINT64_MAX, 0);
	if (lr != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = n;
	do {
		s.next_out = buf;
		s.avail_out = CHUNK;
		lr = lzma_code(&s, LZMA_FINISH);
		if (lr != LZMA_OK && lr != LZMA_STREAM_END) {
			r = lr == LZMA_MEM_ERROR ? -ENOMEM : -EILSEQ;
			break;
		}
		r = emit(o, buf, CHUNK - s.avail_out);
		if (r)
			break;
	} while (lr != LZMA_STREAM_END);
	lzma_end(&s);
	return r;
}

static int do_zstd(const uint8_t *in, size_t n, struct out *o, uint8_t *buf)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, n, 0 };
	int r = 0;

	if (!d)
		return -ENOMEM;
	for (;;) {
		ZSTD_outBuffer ob = { buf, CHUNK, 0 };
		size_t zr = ZSTD_decompressStream(d, &ob, &ib);

		if (ZSTD_isError(zr)) {
			r = -EILSEQ;
			break;
		}
		r = emit(o, buf, ob.pos);
		if (r || !zr) /* 0: a frame is complete */
			break;
		if (ib.pos == ib.size && ob.pos < ob.size) {
			r = -EILSEQ; /* truncated */
			break;
		}
	}
	ZSTD_freeDStream(d);
	return r;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* lz4 legacy: magic, then blocks of <le32 compressed size><data>, each
 * decompressing to at most 8 MiB (lib/decompress_unlz4.c). Linux appends
 * the image's decompressed size (le32) after the last block. */
static int do_lz4(const uint8_t *in, size_t n, struct out *o)
{
	size_t pos = 4;
	uint8_t *dst = malloc(LZ4_LEGACY_BLOCK);
	int r = 0;

	if (!dst)
		return -ENOMEM;
	while (n - pos >= 4) {
		uint32_t bs = le32(in + pos);
		int got;

		if (bs == LZ4_LEGACY_MAGIC) {
			pos += 4;
			continue;
		}
		if (!bs || bs > n - pos - 4 || bs > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
			break; /* the trailing size, or the end */
		got = LZ4_decompress_safe((const char *)in + pos + 4, (char *)dst, (int)bs, LZ4_LEGACY_BLOCK);
		if (got < 0) {
			r = -EILSEQ;
			break;
		}
		pos += 4 + bs;
		r = emit(o, dst, (size_t)got);
		if (r)
			break;
	}
	free(dst);
	return r;
}

int unpack_stream(enum unpack_codec c, const uint8_t *in, size_t n, uint64_t max_out,
		  unpack_sink sink, void *ctx, const char *what, struct vpmem_err *err)
{
	struct out o = { sink, ctx, 0, max_out };
	uint8_t *buf = NULL;
	int r;

	if (c == UNPACK_BZIP2 || c == UNPACK_LZO)
		return vpmem_err_set(err, EOPNOTSUPP, "%s is %s-compressed, which vpmem does not decode",
				     what, unpack_codec_name(c));
	if (c != UNPACK_NONE) {
		int li = c == UNPACK_GZIP ? LIB_Z : c == UNPACK_ZSTD ? LIB_ZSTD : c == UNPACK_LZ4 ? LIB_LZ4 : LIB_LZMA;

		if (lib_load(li))
			return vpmem_err_set(err, ENOSYS, "%s is %s-compressed: %s", what, unpack_codec_name(c),
					     libs[li].dl.why);
	}
	if (c != UNPACK_NONE && c != UNPACK_LZ4 && !(buf = malloc(CHUNK)))
		return vpmem_err_set(err, ENOMEM, "out of memory");
	switch (c) {
	case UNPACK_GZIP: r = do_gzip(in, n, &o, buf); break;
	case UNPACK_XZ: r = do_lzma(false, in, n, &o, buf); break;
	case UNPACK_LZMA: r = do_lzma(true, in, n, &o, buf); break;
	case UNPACK_ZSTD: r = do_zstd(in, n, &o, buf); break;
	case UNPACK_LZ4: r = do_lz4(in, n, &o); break;
	default: r = emit(&o, in, n); break;
	}
	free(buf);
	if (r > 0)
		r = 0;
	if (r == -EFBIG)
		return vpmem_err_set(err, EFBIG, "%s decompresses to more than %llu bytes", what,
				     (unsigned long long)max_out);
	if (r == -EILSEQ && (!err || !err->code))
		return vpmem_err_set(err, EILSEQ, "%s: corrupt or truncated %s data", what, unpack_codec_name(c));
	if (r == -ENOMEM)
		return vpmem_err_set(err, ENOMEM, "out of memory decompressing %s", what);
	if (r < 0 && (!err || !err->code))
		return vpmem_err_set(err, -r, "%s: %s", what, strerror(-r));
	return r;
}

struct grow {
	uint8_t *p;
	size_t n, cap, max;
};

static int grow_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct grow *g = ctx;

	if (g->n + n > g->max)
		return -EFBIG;
	if (g->n + n + 1 > g->cap) {
		size_t nc = g->cap ? g->cap : 65536;
		uint8_t *np;

		while (nc < g->n + n + 1)
			nc *= 2;
		np = realloc(g->p, nc);
		if (!np)
			return -ENOMEM;
		g->p = np;
		g->cap = nc;
	}
	memcpy(g->p + g->n, p, n);
	g->n += n;
	return 0;
}

int unpack_all(enum unpack_codec c, const uint8_t *in, size_t n, size_t max_out,
	       uint8_t **out, size_t *out_len, const char *what, struct vpmem_err *err)
{
	struct grow g = { .max = max_out };
	int r = unpack_stream(c, in, n, max_out, grow_sink, &g, what, err);

	if (!r && !g.p && !(g.p = malloc(1)))
		r = vpmem_err_set(err, ENOMEM, "out of memory");
	if (r) {
		free(g.p);
		return r;
	}
	g.p[g.n] = 0;
	*out = g.p;
	*out_len = g.n;
	return 0;
}

/* ---- ar(5): "!<arch>\n", then 60-byte member headers (name[16] mtime[12]
 * uid[6] gid[6] mode[8] size[10] "`\n"), data padded to an even offset.
 * A .deb is such an archive (deb(5)). ---- */
int unpack_ar_find(const uint8_t *in, size_t n, const char *prefix, char name[17],
		   const uint8_t **data, size_t *size)
{
	size_t pos = 8;

	if (n < 8 || memcmp(in, "!<arch>\n", 8))
		return -ENODEV;
	while (n - pos >= 60) {
		const uint8_t *h = in + pos;
		char sz[11];
		char *end;
		unsigned long long len;

		if (h[58] != '`' || h[59] != '\n')
			return -EILSEQ;
		memcpy(sz, h + 48, 10);
		sz[10] = 0;
		len = strtoull(sz, &end, 10);
		if (end == sz || len > n - pos - 60)
			return -EILSEQ;
		memcpy(name, h, 16);
		name[16] = 0;
		for (int i = 15; i >= 0 && (name[i] == ' ' || name[i] == '/'); i--)
			name[i] = 0; /* GNU ar ends names with '/' */
		if (!strncmp(name, prefix, strlen(prefix))) {
			*data = h + 60;
			*size = (size_t)len;
			return 0;
		}
		pos += 60 + len + (len & 1);
	}
	return -ENOENT;
}

/* ---- tar: POSIX.1-1988 ustar header (512 bytes): name[100]@0 size[12]@124
 * chksum[8]@148 typeflag@156 magic[6]@257 prefix[155]@345; GNU 'L' long
 * names; pax 'x' extended headers with "LEN path=VALUE\n" records. ---- */
#define TAR_META_MAX (64u << 10)

struct unpack_tar {
	unpack_tar_want want;
	unpack_tar_got got;
	void *ctx;
	size_t cap;
	uint8_t hdr[512];
	size_t hdr_n;
	uint64_t left, pad;   /* data bytes still to read, then padding */
	int kind;             /* 0 skip, 1 collect file, 2 collect long name, 3 collect pax */
	uint8_t *buf;
	size_t buf_n;
	char path[4096], next_path[4096];
	int zero_blocks;
	bool done;
};

struct unpack_tar *unpack_tar_new(unpack_tar_want want, unpack_tar_got got, void *ctx, size_t cap)
{
	struct unpack_tar *t = calloc(1, sizeof(*t));

	if (t) {
		t->want = want;
		t->got = got;
		t->ctx = ctx;
		t->cap = cap;
	}
	return t;
}

void unpack_tar_free(struct unpack_tar *t)
{
	if (t)
		free(t->buf);
	free(t);
}

static int tar_number(const uint8_t *f, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i = 0;

	if (f[0] & 0x80) { /* GNU base-256 */
		for (i = 1; i < len; i++) {
			if (x >> 56)
				return -EILSEQ;
			x = x << 8 | f[i];
		}
		*v = x;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (x >> 60)
			return -EILSEQ;
		x = x * 8 + (uint64_t)(f[i] - '0');
	}
	if (i < len && f[i] && f[i] != ' ')
		return -EILSEQ;
	*v = x;
	return 0;
}

static void pax_path(struct unpack_tar *t)
{
	size_t pos = 0;

	while (pos < t->buf_n) {
		size_t len = 0, i = pos;

		while (i < t->buf_n && t->buf[i] >= '0' && t->buf[i] <= '9' && len < TAR_META_MAX)
			len = len * 10 + (size_t)(t->buf[i++] - '0');
		if (!len || i >= t->buf_n || t->buf[i] != ' ' || len > t->buf_n - pos)
			return;
		if (len > (i + 1 - pos) + 5 && !memcmp(t->buf + i + 1, "path=", 5)) {
			size_t vl = pos + len - (i + 6) - 1; /* minus the '\n' */

			if (vl < sizeof(t->next_path)) {
				memcpy(t->next_path, t->buf + i + 6, vl);
				t->next_path[vl] = 0;
			}
		}
		pos += len;
	}
}

static int tar_header(struct unpack_tar *t)
{
	const uint8_t *h = t->hdr;
	uint64_t size, sum, want_sum = 0;
	char type = (char)h[156];
	const char *p;
	size_t i;

	for (i = 0; i < 512 && !h[i]; i++)
		;
	if (i == 512) {
		if (++t->zero_blocks == 2)
			t->done = true;
		return 0;
	}
	t->zero_blocks = 0;
	if (tar_number(h + 148, 8, &sum) || tar_number(h + 124, 12, &size))
		return -EILSEQ;
	for (i = 0; i < 512; i++)
		want_sum += (i >= 148 && i < 156) ? ' ' : h[i];
	if (sum != want_sum)
		return -EILSEQ;
	if (t->next_path[0]) {
		memcpy(t->path, t->next_path, sizeof(t->path));
		t->next_path[0] = 0;
	} else if (!memcmp(h + 257, "ustar", 5) && h[345]) {
		snprintf(t->path, sizeof(t->path), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
	} else {
		snprintf(t->path, sizeof(t->path), "%.100s", (const char *)h);
	}
	t->left = size;
	t->pad = (512 - size % 512) % 512;
	t->buf_n = 0;
	t->kind = 0;
	if (type == 'L' || type == 'x') {
		if (size > TAR_META_MAX)
			return -EILSEQ;
		t->kind = type == 'L' ? 2 : 3;
		return 0;
	}
	if (type != '0' && type != 0 && type != '7')
		return 0;
	p = t->path;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	memmove(t->path, p, strlen(p) + 1);
	{
		int w = t->want(t->ctx, t->path, size);

		if (w < 0)
			return w;
		if (w == 1 && size <= t->cap)
			t->kind = 1;
		if (w == 2) {
			t->done = true;
			return 1;
		}
	}
	if (!size && t->kind == 1)
		return t->got(t->ctx, t->path, (const uint8_t *)"", 0);
	return 0;
}

static int tar_keep(struct unpack_tar *t, const uint8_t *p, size_t n)
{
	if (t->buf_n + n + 1 > (t->kind == 1 ? t->cap + 1 : TAR_META_MAX + 1))
		return -EILSEQ;
	if (!t->buf) {
		t->buf = malloc((t->cap > TAR_META_MAX ? t->cap : TAR_META_MAX) + 1);
		if (!t->buf)
			return -ENOMEM;
	}
	memcpy(t->buf + t->buf_n, p, n);
	t->buf_n += n;
	return 0;
}

static int tar_end_entry(struct unpack_tar *t)
{
	if (t->kind == 1) {
		t->buf[t->buf_n] = 0;
		return t->got(t->ctx, t->path, t->buf, t->buf_n);
	}
	if (t->kind == 2) {
		size_t l = t->buf_n < sizeof(t->next_path) - 1 ? t->buf_n : sizeof(t->next_path) - 1;

		memcpy(t->next_path, t->buf, l);
		t->next_path[l] = 0;
	}
	if (t->kind == 3)
		pax_path(t);
	return 0;
}

int unpack_tar_sink(void *tar, const uint8_t *p, size_t n)
{
	struct unpack_tar *t = tar;
	int r;

	while (n && !t->done) {
		if (t->left) {
			size_t k = n < t->left ? n : (size_t)t->left;

			if (t->kind && (r = tar_keep(t, p, k)))
				return r;
			t->left -= k;
			p += k;
			n -= k;
			if (!t->left && t->kind && (r = tar_end_entry(t)))
				return r;
			continue;
		}
		if (t->pad) {
			size_t k = n < t->pad ? n : (size_t)t->pad;

			t->pad -= k;
			p += k;
			n -= k;
			continue;
		}
		{
			size_t k = 512 - t->hdr_n < n ? 512 - t->hdr_n : n;

			memcpy(t->hdr + t->hdr_n, p, k);
			t->hdr_n += k;
			p += k;
			n -= k;
			if (t->hdr_n == 512) {
				t->hdr_n = 0;
				r = tar_header(t);
				if (r)
					return r;
				if (!t->left && t->kind && (r = tar_end_entry(t)))
					return r;
			}
		}
	}
	return t->done ? 1 : 0;
}

/* ---- cpio "new ASCII" (newc, 070701; crc, 070702): 110-byte header of
 * 8-digit hex fields (c_filesize @54, c_namesize @94), the name, padding to
 * 4, the data, padding to 4; ends at "TRAILER!!!" (Linux
 * Documentation/driver-api/early-userspace/buffer-format.rst). ---- */
struct unpack_cpio {
	unpack_tar_want want;
	void *ctx;
	uint8_t hdr[110];
	size_t hdr_n;
	char name[4096];
	uint64_t name_left, name_n, skip, data_left;
	uint64_t offset, trailer_end;
	bool in_name, after_trailer, bad, stopped;
};

struct unpack_cpio *unpack_cpio_new(unpack_tar_want want, void *ctx)
{
	struct unpack_cpio *c = calloc(1, sizeof(*c));

	if (c) {
		c->want = want;
		c->ctx = ctx;
	}
	return c;
}

void unpack_cpio_free(struct unpack_cpio *c)
{
	free(c);
}

uint64_t unpack_cpio_trailer_end(const struct unpack_cpio *c)
{
	return c->trailer_end;
}

bool unpack_cpio_bad(const struct unpack_cpio *c)
{
	return c->bad;
}

static int hex8(const uint8_t *p, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 8; i++) {
		int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
			: p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : -1;

		if (d < 0)
			return -EILSEQ;
		x = x * 16 + (uint64_t)d;
	}
	*v = x;
	return 0;
}

static int cpio_name_done(struct unpack_cpio *c, uint64_t mode, uint64_t fsize)
{
	const char *p = c->name;

	if (!strcmp(c->name, "TRAILER!!!")) {
		c->after_trailer = true;
		c->trailer_end = c->offset;
		return 0;
	}
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if ((mode & 0170000) == 0100000) {
		int w = c->want(c->ctx, p, fsize);

		if (w == 2)
			return 1;
		if (w < 0)
			return w;
	}
	return 0;
}

int unpack_cpio_sink(void *cpio, const uint8_t *p, size_t n)
{
	struct unpack_cpio *c = cpio;
	uint64_t mode = 0, fsize = 0, nsize = 0;

	while (n) {
		size_t k;

		if (c->skip) {
			k = n < c->skip ? n : (size_t)c->skip;
			c->skip -= k;
			goto advance;
		}
		if (c->in_name) {
			k = n < c->name_left ? n : (size_t)c->name_left;
			for (size_t i = 0; i < k; i++)
				if (c->name_n < sizeof(c->name) - 1)
					c->name[c->name_n++] = (char)p[i];
			c->name_left -= k;
			if (!c->name_left) {
				int r;

				c->name[c->name_n] = 0;
				c->in_name = false;
				hex8(c->hdr + 14, &mode);
				hex8(c->hdr + 54, &fsize);
				hex8(c->hdr + 94, &nsize);
				c->offset += k;
				p += k;
				n -= k;
				c->skip = (4 - (110 + nsize) % 4) % 4 + fsize + (4 - fsize % 4) % 4;
				r = cpio_name_done(c, mode, fsize);
				if (r) {
					c->stopped = true;
					return r;
				}
				continue;
			}
			goto advance;
		}
		if (c->after_trailer) {
			/* zero padding between concatenated archives */
			if (!p[0]) {
				k = 1;
				goto advance;
			}
			if (p[0] != '0') {
				c->trailer_end = c->offset;
				return 1; /* not cpio: the caller looks at what follows */
			}
			c->after_trailer = false;
		}
		k = 110 - c->hdr_n < n ? 110 - c->hdr_n : n;
		memcpy(c->hdr + c->hdr_n, p, k);
		c->hdr_n += k;
		if (c->hdr_n == 110) {
			c->hdr_n = 0;
			if ((memcmp(c->hdr, "070701", 6) && memcmp(c->hdr, "070702", 6)) ||
			    hex8(c->hdr + 94, &nsize) || hex8(c->hdr + 54, &fsize) || hex8(c->hdr + 14, &mode) ||
			    !nsize || nsize > 65536) {
				c->bad = true;
				return -EILSEQ;
			}
			c->in_name = true;
			c->name_left = nsize;
			c->name_n = 0;
		}
advance:
		c->offset += k;
		p += k;
		n -= k;
	}
	if (c->after_trailer)
		c->trailer_end = c->offset;
	return 0;
}
