// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <vpmem/file.h>
#include <vpmem/input.h>

char *vpmem_read_file(const char *path, size_t max, size_t *len)
{
	struct vpmem_err err = { 0 };
	char *buf = vpmem_read_input(path, max, len, NULL, &err);

	/* the input rules: not a regular file (a FIFO would block) or larger
	 * than @max is a failure, never a hang or a truncation */
	if (!buf)
		errno = err.code ? err.code : EIO;
	return buf;
}
