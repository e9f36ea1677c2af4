// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the progress record of `vpmem namespace reconfigure`
 * (IMAGE.vpmem-reconfigure: key=value lines), which resume, list, check and
 * run read from beside an image.
 */
#include <vpmem/reconfigure.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpmem_reconf_state st;
	struct vpmem_err err;
	char *text = fuzz_cstr(data, size);

	if (text && !vpmem_reconf_record_parse(text, &st, &err) && st.req.name && strlen(st.req.name) >= sizeof(st.name))
		__builtin_trap();
	free(text);
	return 0;
}
