// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for CXL images (image.h: a memory file and its label
 * file read as one): vpmem_check on the pair (region_read with the label area
 * in the second file, the serial voted from the labels' cookies, the CXL
 * cookie and type-GUID checks, every info block and BTT), and the cookie ->
 * serial inversion, which must round-trip for every cookie.
 *
 * Input: byte 0 = flags (bit0: recompute the index and v1.2 label checksums
 * of the label file so mutations reach the fields; bit1: a recorded serial
 * from bytes 1-8), then the first 64 KiB of the memory file, then the label
 * file (256 KiB), then the last 64 KiB of the memory file (a 16 MiB BTT's
 * map tail, flog and backup info). Memory file 32 MiB, zero elsewhere.
 * Seeds: cxl-image-seeds.sh (vpmem-made CXL images, every mode).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vpmem/check.h>
#include <vpmem/cxl.h>
#include <vpmem/nfit.h>

#include "fuzz.h"
#include "../../lib/util/le.h"

#define HEAD (64u << 10)
#define LSA (256u << 10)
#define TAIL (64u << 10)
#define MEM (32u << 20)

static void fix_checksums(uint8_t *buf)
{
	struct vpmem_lsa_geom g;

	if (vpmem_lsa_geom(LSA, VPMEM_LABEL_V1_2, &g, NULL))
		return;
	for (int i = 0; i < 2; i++) {
		uint8_t *ix = buf + (size_t)i * g.isz;

		memset(ix + 64, 0, 8);
		put_le64(ix + 64, vpmem_fletcher64(ix, g.isz, 1));
	}
	for (uint32_t s = 0; s < g.nslot; s++) {
		uint8_t *l = buf + 2 * (size_t)g.isz + (size_t)s * 256;

		memset(l + 248, 0, 8);
		put_le64(l + 248, vpmem_fletcher64(l, 256, 1));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1, lfd = -1;
	static uint8_t lsa[LSA];
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_check_report rep;
	size_t head, nl, tail;
	uint8_t flags;

	if (size >= 9) { /* the inversion: exact for every cookie */
		uint64_t c = get_le64(data + 1);

		if (vpmem_cxl_cookie(vpmem_cxl_serial_of_cookie(c), 0) != c)
			abort();
	}
	if (fd < 0 && (fd = memfd_create("fuzz-cxl-mem", 0)) < 0)
		return 0;
	if (lfd < 0 && (lfd = memfd_create("fuzz-cxl-lsa", 0)) < 0)
		return 0;
	if (!size || ftruncate(fd, 0) || ftruncate(fd, MEM))
		return 0;
	flags = data[0];
	if (flags & 2 && size >= 9) {
		h.cxl_serial = get_le64(data + 1);
		h.cxl_serial_set = h.cxl_serial != 0;
	}
	data++;
	size--;
	head = size < HEAD ? size : HEAD;
	nl = size - head < LSA ? size - head : LSA;
	tail = size - head - nl < TAIL ? size - head - nl : TAIL;
	memset(lsa, 0, sizeof(lsa));
	memcpy(lsa, data + head, nl);
	if (flags & 1)
		fix_checksums(lsa);
	if (pwrite(fd, data, head, 0) != (ssize_t)head ||
	    pwrite(lfd, lsa, LSA, 0) != (ssize_t)LSA ||
	    pwrite(fd, data + head + nl, tail, MEM - TAIL) != (ssize_t)tail)
		return 0;
	h.cxl = true;
	h.lsa_fd = lfd;
	h.cxl_mem_size = MEM;
	if (!vpmem_check(fd, &h, &rep, NULL))
		vpmem_check_free(&rep);
	return 0;
}
