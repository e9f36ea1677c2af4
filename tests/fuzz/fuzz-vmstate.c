// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the VM spec reader (vpmem_vmstate_load): the JSON that
 * `vpmem run` saves and `vpmem vm`, `vpmem map --vm` and `run --name` read
 * back. Input: the bytes of spec.json.
 */
#include <stdlib.h>
#include <unistd.h>

#include <vpmem/vmstate.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	static struct vpmem_vmstate st;
	char path[96];
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/vpmem-fuzz-vmstate.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/spec.json", dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	if (!vpmem_vmstate_load(dir, &st, NULL))
		vpmem_vmstate_free(&st);
	return 0;
}
