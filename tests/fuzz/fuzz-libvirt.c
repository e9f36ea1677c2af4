// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for reading a libvirt domain XML back (vpmem map
 * --libvirt-xml): <memory model='nvdimm'> and virtio-pmem devices.
 */
#include <vpmem/hostmap.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpmem_host h;
	char *text = fuzz_cstr(data, size);

	if (text)
		(void)vpmem_host_from_libvirt(text, size, &h, NULL);
	free(text);
	return 0;
}
