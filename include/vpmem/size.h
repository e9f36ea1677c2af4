/* SPDX-License-Identifier: MIT */
/*
 * Sizes: parsing user input ("4G", "512MiB", "0x1000", "4096"), formatting,
 * and overflow-safe alignment helpers. Units are binary (K = 1024), as in
 * QEMU and ndctl; decimal "GB"-style units are refused as ambiguous.
 */
#ifndef VPMEM_SIZE_H
#define VPMEM_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_KiB (1ULL << 10)
#define VPMEM_MiB (1ULL << 20)
#define VPMEM_GiB (1ULL << 30)
#define VPMEM_TiB (1ULL << 40)

enum vpmem_size_flags {
	VPMEM_SIZE_ALLOW_ZERO = 1 << 0, /* "0" is a valid answer (e.g. --label-size 0) */
};

/*
 * Parse @s into bytes. Accepts: decimal digits, "0x" hex, an optional binary
 * unit K/M/G/T/P/E (either case), optionally followed by "iB", or "B" alone.
 * @what names the option in messages ("--qemu-pmem"). Returns 0 or -EINVAL /
 * -ERANGE with a message.
 */
int vpmem_size_parse(const char *s, unsigned flags, const char *what,
		     uint64_t *out, struct vpmem_err *err);

/*
 * Format @v for people: exact "256M"-style when @v is a whole number of a
 * unit ("1G", "128K", "4097"), into @buf of @len bytes; returns @buf.
 */
const char *vpmem_size_str(uint64_t v, char *buf, size_t len);

/* Human, approximate: "255.88 MiB" (as ndctl prints sizes). */
const char *vpmem_size_human(uint64_t v, char *buf, size_t len);

static inline bool vpmem_is_pow2(uint64_t a) { return a && !(a & (a - 1)); }
static inline uint64_t vpmem_align_down(uint64_t v, uint64_t a) { return v - v % a; }
static inline bool vpmem_is_aligned(uint64_t v, uint64_t a) { return v % a == 0; }
/* Round up; returns false on overflow. */
static inline bool vpmem_align_up(uint64_t v, uint64_t a, uint64_t *out)
{
	uint64_t r = v % a;
	if (!r) { *out = v; return true; }
	if (v > UINT64_MAX - (a - r)) return false;
	*out = v + (a - r);
	return true;
}

#ifdef __cplusplus
}
#endif
#endif
