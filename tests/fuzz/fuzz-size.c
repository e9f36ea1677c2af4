// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for size parsing (--size, --qemu-pmem, --label-size …)
 * and the formatters that print the value back.
 */
#include <vpmem/size.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), buf[64];
	uint64_t v;

	if (!text)
		return 0;
	for (unsigned flags = 0; flags <= VPMEM_SIZE_ALLOW_ZERO; flags++)
		if (!vpmem_size_parse(text, flags, "--size", &v, NULL)) {
			vpmem_size_str(v, buf, sizeof(buf));
			vpmem_size_human(v, buf, sizeof(buf));
		}
	free(text);
	return 0;
}
