// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the image reader: label area (index blocks, v1.1/v1.2
 * labels), pfn/dax info blocks and BTT headers, via vpmem_region_read_buf, the
 * same decoder `vpmem list` and `vpmem namespace` use.
 *
 * Input: byte 0 = flags (bit0: give a label-size hint, bit1: slot hint),
 * then the bytes of the first 64 KiB of the image (namespace starts: info
 * blocks at 0 and 4K), then the label area (the last 128 KiB). The image is
 * 32 MiB + 128 KiB, zero elsewhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/image.h>

#include "fuzz.h"

#define HEAD (64u << 10)
#define LSA (128u << 10)
#define SIZE ((32u << 20) + LSA)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *img;
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info *ri;
	size_t head, tail, left;

	if (!img && !(img = calloc(1, SIZE)))
		return 0;
	if (!fuzz_image_hints(&data, &size, LSA, &h))
		return 0;
	left = size;
	head = fuzz_take(&left, HEAD);
	tail = fuzz_take(&left, LSA);
	memcpy(img, data, head);
	memcpy(img + SIZE - LSA, data + head, tail);
	ri = calloc(1, sizeof(*ri));
	if (ri && !vpmem_region_read_buf(img, SIZE, &h, ri, NULL))
		vpmem_region_free(ri);
	free(ri);
	memset(img, 0, head);
	memset(img + SIZE - LSA, 0, tail);
	return 0;
}
