/* SPDX-License-Identifier: MIT */
/* Files: reading small text files whole (maps, command lines, XML, JSON),
 * who maps a file, directories. */
#ifndef VPMEM_FILE_H
#define VPMEM_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read @path (a regular file of at most @max bytes: more is EFBIG, anything
 * but a regular file EINVAL) into a malloc'ed, NUL-terminated buffer;
 * *@len (may be NULL) gets the length. NULL with errno set on failure.
 */
char *vpmem_read_file(const char *path, size_t max, size_t *len);

/*
 * A process other than this one that has the file dev:ino mapped
 * (/proc/PID/maps, proc(5)): its pid, or 0. *@unreadable (may be NULL) is set
 * when some process's maps could not be read (another user's, as non-root).
 */
int vpmem_file_mapped_by(unsigned long long dev, unsigned long long ino, bool *unreadable);

/*
 * Replace @path with @len bytes of @data atomically, as git's lockfile.h does:
 * write a temporary file beside it (O_EXCL: a planted name or link is never
 * followed), fsync it, set @mode, rename it over @path, fsync the directory.
 * A crash leaves the old file or the new one, never a mix; on failure the
 * temporary is removed and @path is untouched. @path itself is replaced, so
 * a symlink there becomes a file: resolve it first to edit what it names.
 */
int vpmem_file_replace(const char *path, const void *data, size_t len, unsigned mode,
		       struct vpmem_err *err);

/* mkdir -p with mode 0755. */
int vpmem_mkdir_p(const char *path, struct vpmem_err *err);

/*
 * Whether another open file holds an exclusive flock on @path (the lock
 * vpmem's image changes, import/export and the nbdkit plugin take): 0 if
 * not; else the pid of the process holding it (the one /proc/locks names
 * if it still has the file open, else another process with the file open:
 * a server that locked and then forked into the background), with its
 * /proc/PID/comm in @comm (may be NULL); -1 if locked by no visible process.
 */
long vpmem_file_lock_holder(const char *path, char *comm, size_t len);

#ifdef __cplusplus
}
#endif
#endif
