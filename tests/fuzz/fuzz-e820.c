// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the memory-map parsers (dmesg BIOS-e820 lines,
 * /sys/firmware/memmap dumps, /proc/iomem) and the memmap= planner fed by
 * them, and the kernel command line's memmap= tokens. Byte 0 = flags (bit0:
 * firmware map only; bits 4-7: reservation count), then the text.
 */
#include <vpmem/e820.h>
#include <vpmem/size.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpmem_e820_map m;
	static struct vpmem_e820_plan p;
	struct vpmem_e820_res res[VPMEM_E820_MAX_RES];
	char *text;

	if (size < 1)
		return 0;
	text = fuzz_cstr(data + 1, size - 1);
	if (!text)
		return 0;
	if (!vpmem_e820_parse(text, data[0] & 1, &m, NULL)) {
		struct vpmem_e820_req req = { .size = 1ULL << 30, .count = data[0] >> 4 };

		(void)vpmem_e820_plan(&m, &req, &p, NULL);
	}
	(void)vpmem_e820_cmdline_pram(text, res, VPMEM_E820_MAX_RES);
	free(text);
	return 0;
}
