// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for VMware disks: a .vmdk descriptor or a hosted sparse
 * extent with an embedded descriptor (vpmem map --vmdk). The reader takes a
 * path, so the input goes into a memfd named by /proc/self/fd/N.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vpmem/hostmap.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpmem_host h;
	static int fd = -1;
	char path[64];

	if (fd < 0 && (fd = memfd_create("fuzz.vmdk", MFD_CLOEXEC)) < 0)
		return 0;
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&h, 0, sizeof(h));
	(void)vpmem_host_from_vmdk(path, &h, NULL);
	return 0;
}
