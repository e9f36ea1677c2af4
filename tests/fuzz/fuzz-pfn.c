// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the fsdax/devdax info block decoder (vpmem_pfn_decode,
 * nd_pfn_validate's checks). Input: 8 bytes namespace size, 8 bytes start
 * address, 1 flag byte (bit0: recompute the checksum, bit1: pass a parent
 * uuid = bytes 24..39 of the block), then the 4 KiB block.
 */
#include <vpmem/pfn.h>

#include "fuzz.h"
#include "../../lib/util/le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[VPMEM_INFO_SIZE] = { 0 };
	struct vpmem_pfn_sb sb;
	uint64_t nsize, start;
	uint8_t flags;

	if (size < 17)
		return 0;
	nsize = get_le64(data);
	start = get_le64(data + 8);
	flags = data[16];
	data += 17;
	size -= 17;
	memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	if (flags & 1)
		put_le64(buf + VPMEM_INFO_SIZE - 8, vpmem_sb_checksum(buf));
	if (!vpmem_pfn_decode(buf, start, nsize, flags & 2 ? buf + 24 : NULL, &sb, NULL))
		(void)vpmem_pfn_usable(&sb, nsize);
	return 0;
}
