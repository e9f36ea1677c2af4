/* SPDX-License-Identifier: MIT */
/* Reading small text files whole (maps, command lines, XML, JSON). */
#ifndef VPMEM_FILE_H
#define VPMEM_FILE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read at most @max bytes of @path into a malloc'ed, NUL-terminated buffer;
 * *@len (may be NULL) gets the length. NULL with errno set on failure.
 */
char *vpmem_read_file(const char *path, size_t max, size_t *len);

/*
 * A process other than this one that has the file dev:ino mapped
 * (/proc/PID/maps, proc(5)): its pid, or 0. *@unreadable (may be NULL) is set
 * when some process's maps could not be read (another user's, as non-root).
 */
int vpmem_file_mapped_by(unsigned long long dev, unsigned long long ino, bool *unreadable);

#ifdef __cplusplus
}
#endif
#endif
