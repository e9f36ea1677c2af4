// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the checker (vpmem_check): every label, index and
 * info-block check, the BTT walk through the data path's reader, and the
 * repair planner, on a sparse image in a memfd (pread, as in production).
 *
 * Input as fuzz-image (same seeds, image-seeds.sh): byte 0 = flags (bit0:
 * label-size hint, bit1: slot hint), then the first 64 KiB of the image,
 * then the label area (the last 128 KiB); whatever is left goes to the last
 * 64 KiB before the label area (where a 32 MiB BTT keeps its map tail, flog
 * and backup info block). The image is 32 MiB + 128 KiB, zero elsewhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vpmem/check.h>

#include "fuzz.h"

#define HEAD (64u << 10)
#define LSA (128u << 10)
#define TAIL (64u << 10)
#define SIZE ((32u << 20) + LSA)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_check_report rep;
	size_t head, lsa, tail, left;

	if (fd < 0 && (fd = memfd_create("fuzz-check", 0)) < 0)
		return 0;
	if (!size || ftruncate(fd, 0) || ftruncate(fd, SIZE))
		return 0;
	if (!fuzz_image_hints(&data, &size, LSA, &h))
		return 0;
	left = size;
	head = fuzz_take(&left, HEAD);
	lsa = fuzz_take(&left, LSA);
	tail = fuzz_take(&left, TAIL);
	if (pwrite(fd, data, head, 0) != (ssize_t)head ||
	    pwrite(fd, data + head, lsa, SIZE - LSA) != (ssize_t)lsa ||
	    pwrite(fd, data + head + lsa, tail, SIZE - LSA - TAIL) != (ssize_t)tail)
		return 0;
	if (!vpmem_check(fd, &h, &rep, NULL))
		vpmem_check_free(&rep);
	return 0;
}
