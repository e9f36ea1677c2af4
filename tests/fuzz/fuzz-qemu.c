// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for reading a QEMU command line back (vpmem map
 * --qemu-cmdline/--qemu-pid): shell words or NUL-separated /proc/PID/cmdline,
 * keyval options with ',,' escapes, JSON -object/-device arguments.
 * The input is the text, NULs included.
 */
#include <vpmem/hostmap.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpmem_host h;

	(void)vpmem_host_from_qemu_text((const char *)data, size, &h, NULL);
	return 0;
}
