// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the /proc/locks reader behind vpmem_file_lock_holder
 * (lib/util/locks.h). Bytes 0-3 pick the device (major, minor as two le16),
 * bytes 4-7 the inode (le32), the rest is the text, passed as it is (not
 * NUL-terminated, so a read past its end is caught).
 */
#include <sys/sysmacros.h>

#include "fuzz.h"
#include "util/locks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long ino;
	char *text;

	if (size < 8)
		return 0;
	ino = data[4] | data[5] << 8 | data[6] << 16 | (unsigned long long)data[7] << 24;
	/* an exact-size copy: ASan sees a read one byte past the input */
	text = malloc(size - 8 ? size - 8 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 8, size - 8);
	vpmem_locks_owner(text, size - 8, makedev(data[0] | data[1] << 8, data[2] | data[3] << 8), ino);
	free(text);
	return 0;
}
