/* SPDX-License-Identifier: MIT */
/* Reading small text files whole (maps, command lines, XML, JSON). */
#ifndef VPMEM_FILE_H
#define VPMEM_FILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read @path (a regular file of at most @max bytes: more is EFBIG, anything
 * but a regular file EINVAL) into a malloc'ed, NUL-terminated buffer;
 * *@len (may be NULL) gets the length. NULL with errno set on failure.
 */
char *vpmem_read_file(const char *path, size_t max, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
