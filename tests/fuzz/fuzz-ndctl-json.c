// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the guest view from `ndctl list -D/-DRN` JSON
 * (vpmem map --guest-json), and the join with a fixed host view.
 */
#include <vpmem/hostmap.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpmem_guest_view g;
	static struct vpmem_host h;
	static struct vpmem_mapping m;
	char *text = fuzz_cstr(data, size);

	if (!text)
		return 0;
	if (!vpmem_guest_from_json(text, &g, NULL)) {
		h.n = 2;
		h.d[0].slot = 0;
		snprintf(h.d[0].expect_id, sizeof(h.d[0].expect_id), "8680-56341200");
		h.d[1].slot = 1;
		snprintf(h.d[1].expect_id, sizeof(h.d[1].expect_id), "8680-57341200");
		vpmem_map_join(&h, &g, &m);
	}
	free(text);
	return 0;
}
