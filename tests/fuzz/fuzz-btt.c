// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the BTT info block decoder (vpmem_btt_info_decode,
 * nd_btt_arena_is_valid's checks) and the layout planner it is checked
 * against. Input: 1 flag byte (bit0: recompute the checksum, bit1: pass a
 * parent uuid = bytes 32..47 of the block), then the 4 KiB block.
 * The map/flog reader and sector I/O have their own target: fuzz-btt-io.c.
 */
#include <vpmem/btt.h>
#include <vpmem/pfn.h>

#include "fuzz.h"
#include "../../lib/util/le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[4096] = { 0 };
	struct vpmem_btt_info info;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	if (flags & 1)
		put_le64(buf + 4096 - 8, vpmem_sb_checksum(buf));
	if (!vpmem_btt_info_decode(buf, flags & 2 ? buf + 32 : NULL, &info, NULL)) {
		struct vpmem_btt_layout *l = vpmem_btt_layout_new();

		/* plan a layout as large as the arena claims: the planner must cope */
		if (l)
			(void)vpmem_btt_layout(info.a.nextoff ? info.a.nextoff : info.a.info2off + 4096,
					       info.a.external_lbasize, info.major == 2, l, NULL);
		vpmem_btt_layout_free(l);
	}
	return 0;
}
