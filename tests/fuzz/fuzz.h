/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets: the entry point's prototype, a
 * NUL-terminated copy of the input (text parsers take C strings), and the
 * image targets' input (fuzz-image, fuzz-check: image-seeds.sh).
 */
#ifndef VPMEM_FUZZ_H
#define VPMEM_FUZZ_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/image.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (malloc'ed; embedded NULs end it early, as they would in a file). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/*
 * The image targets' byte 0: flags (bit0: a label-size hint of @lsa, bit1:
 * a slot hint, the slot in bits 4-7) into @h; @data and @size step past it.
 * False for an empty input.
 */
static inline bool fuzz_image_hints(const uint8_t **data, size_t *size, uint64_t lsa,
				    struct vpmem_image_hints *h)
{
	if (!*size)
		return false;
	if (**data & 1) {
		h->label_size = lsa;
		h->label_size_set = true;
	}
	if (**data & 2)
		h->slot = **data >> 4;
	(*data)++;
	(*size)--;
	return true;
}

/* The next piece of the input: at most @max of the *@left bytes still unused. */
static inline size_t fuzz_take(size_t *left, size_t max)
{
	size_t n = *left < max ? *left : max;

	*left -= n;
	return n;
}

#endif
