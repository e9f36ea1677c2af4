// SPDX-License-Identifier: MIT
/* libFuzzer target for saved `vmkfstools -J getuuid FILE` output (vpmem map --vmkfstools). */
#include <vpmem/hostmap.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpmem_host h;
	char *text = fuzz_cstr(data, size);

	if (text) {
		memset(&h, 0, sizeof(h));
		(void)vpmem_host_from_vmkfstools(text, &h, NULL);
	}
	free(text);
	return 0;
}
