// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the /proc/self/mountinfo reader the persistence
 * verdict uses (filesystem type and dax option of a device). Bytes 0-3 pick
 * the device (major, minor as two le16), the rest is the text.
 */
#include <sys/sysmacros.h>

#include <vpmem/persist.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char fstype[64], *text;
	bool dax;

	if (size < 4)
		return 0;
	text = fuzz_cstr(data + 4, size - 4);
	if (text)
		vpmem_mountinfo_find(text, makedev(data[0] | data[1] << 8, data[2] | data[3] << 8),
				     fstype, sizeof(fstype), &dax);
	free(text);
	return 0;
}
