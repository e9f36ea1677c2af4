/* SPDX-License-Identifier: MIT */
/*
 * Reading inside packed files, all from memory, streaming: decompression
 * (gzip, xz, lzma, zstd, lz4-legacy: the codecs Linux uses for its images,
 * initramfs and modules), ar archives (a .deb), tar (its data member) and
 * cpio newc (an initramfs). Internal to libvpmem.
 *
 * A decompressor feeds its output to a sink in chunks; the sink returns 0 to
 * go on, 1 to stop early (success), or a negative errno to fail. Every reader
 * bounds what it produces (@max_out) and validates sizes before using them.
 */
#ifndef VPMEM_UNPACK_H
#define VPMEM_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>

enum unpack_codec {
	UNPACK_NONE,   /* not compressed (or not recognised) */
	UNPACK_GZIP,   /* 1f 8b (RFC 1952) */
	UNPACK_XZ,     /* fd 37 7a 58 5a 00 (xz file format 1.0.4, 2.1.1.1) */
	UNPACK_LZMA,   /* 5d 00 00: legacy .lzma as Linux writes it (scripts/Makefile.lib cmd_lzma) */
	UNPACK_ZSTD,   /* 28 b5 2f fd (RFC 8878, 3.1.1) */
	UNPACK_LZ4,    /* 02 21 4c 18: lz4 legacy frame, Linux lib/decompress_unlz4.c */
	UNPACK_BZIP2,  /* "BZh": recognised, not decoded */
	UNPACK_LZO,    /* 89 4c 5a 4f: recognised, not decoded */
};

typedef int (*unpack_sink)(void *ctx, const uint8_t *p, size_t n);

enum unpack_codec unpack_sniff(const uint8_t *p, size_t n);
const char *unpack_codec_name(enum unpack_codec c);

/* Decompress @in with @c into @sink; at most @max_out bytes are produced
 * (then -EFBIG). UNPACK_NONE passes @in through. 0, or the sink's or a
 * decoder's -errno with a message naming @what. */
int unpack_stream(enum unpack_codec c, const uint8_t *in, size_t n, uint64_t max_out,
		  unpack_sink sink, void *ctx, const char *what, struct vpmem_err *err);

/* Decompress into one malloc'ed, NUL-terminated buffer (at most @max_out). */
int unpack_all(enum unpack_codec c, const uint8_t *in, size_t n, size_t max_out,
	       uint8_t **out, size_t *out_len, const char *what, struct vpmem_err *err);

/* ar(5) archive: find member @prefix* (e.g. "data.tar"); its name, data and
 * size. -ENOENT if absent, -EILSEQ if the archive is damaged. */
int unpack_ar_find(const uint8_t *in, size_t n, const char *prefix, char name[17],
		   const uint8_t **data, size_t *size);

/*
 * tar (POSIX ustar, GNU long names 'L', pax 'x' path=) as a sink: for every
 * regular file, @want(ctx, path, size) says whether to collect its content
 * (up to @cap bytes); @got(ctx, path, data, size) then receives it. Either
 * returns 1 to stop reading the archive. Paths keep their "./" prefix off.
 */
struct unpack_tar;
typedef int (*unpack_tar_want)(void *ctx, const char *path, uint64_t size);
typedef int (*unpack_tar_got)(void *ctx, const char *path, const uint8_t *data, size_t size);
struct unpack_tar *unpack_tar_new(unpack_tar_want want, unpack_tar_got got, void *ctx, size_t cap);
void unpack_tar_free(struct unpack_tar *t);
int unpack_tar_sink(void *tar, const uint8_t *p, size_t n);

/*
 * cpio newc/crc (070701/070702) as a sink, in the same shape: @want gets
 * every regular file's path. Concatenated archives continue after
 * "TRAILER!!!"; unpack_cpio_trailer_end() says where the last complete
 * archive ended, so a caller can look for a compressed one behind it.
 */
struct unpack_cpio;
struct unpack_cpio *unpack_cpio_new(unpack_tar_want want, void *ctx);
void unpack_cpio_free(struct unpack_cpio *c);
int unpack_cpio_sink(void *cpio, const uint8_t *p, size_t n);
uint64_t unpack_cpio_trailer_end(const struct unpack_cpio *c);
bool unpack_cpio_bad(const struct unpack_cpio *c);

#endif
