/* SPDX-License-Identifier: MIT */
/*
 * The input rules (doc/threat-model.md), in one place.
 *
 * Paths the user names (images, --grub-file, mem-paths, saved command lines,
 * XML, JSON): symlinks are followed, once: the path is looked at with stat
 * before anything is opened (a FIFO would block open() and a device would be
 * opened for real: /dev/ptmx makes a terminal), then opened without blocking
 * and the open file is checked with fstat to be the same object, of a kind
 * this use accepts. Everything after works on the descriptor.
 *
 * Paths vpmem names itself (state and cache files, temporary files) never
 * follow a link: O_NOFOLLOW, and files made afresh are made with O_EXCL after
 * removing whatever name was there (a planted symlink goes, its target stays).
 *
 * Every read has a bound; going past it is an error, never a truncation.
 */
#ifndef VPMEM_INPUT_H
#define VPMEM_INPUT_H

#include <stddef.h>
#include <sys/types.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a user-named path may be. */
enum vpmem_input_kind {
	VPMEM_IN_REG = 1 << 0,      /* regular file (procfs and sysfs files are) */
	VPMEM_IN_BLK = 1 << 1,      /* block device */
	VPMEM_IN_CHR = 1 << 2,      /* character device (device-dax) */
};

/*
 * Open user-named @path with @flags (O_RDONLY/O_RDWR…; O_CLOEXEC is added) if
 * it is one of @kinds. @what names it in messages ("image", "--grub-file").
 * Returns the fd, or -errno with one line: "'x' is a FIFO, not a regular file".
 */
int vpmem_open_input(const char *path, int flags, unsigned kinds, const char *what,
		     struct vpmem_err *err);

/*
 * Read user-named @path whole (a regular file only) into a malloc'ed,
 * NUL-terminated buffer; *@len (may be NULL) gets its length. More than @max
 * bytes is an error ("'x' is larger than 1 MiB"). NULL with @err set.
 */
char *vpmem_read_input(const char *path, size_t max, size_t *len, const char *what,
		       struct vpmem_err *err);
/* The same on an open descriptor (named @path in messages). */
char *vpmem_read_fd(int fd, const char *path, size_t max, size_t *len, struct vpmem_err *err);

/*
 * A file vpmem names itself, made afresh: whatever is at @path (a file, or a
 * symlink someone planted) is unlinked, then @path is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, read-write. Returns the fd or -errno.
 */
int vpmem_create_own(const char *path, mode_t mode, struct vpmem_err *err);

/*
 * Open a regular file vpmem names itself (a lock, a record, a staged copy, a
 * cache file) with @flags | O_NOFOLLOW | O_CLOEXEC (O_CREAT, O_EXCL allowed):
 * a symlink there is refused, never followed, and a FIFO, device or directory
 * is refused without blocking. @what (may be NULL) names the file in the
 * messages ("the staged copy 'x' is a symbolic link: ..."). The fd, or -errno
 * with one line (-ENOENT when it is not there and @flags has no O_CREAT).
 */
int vpmem_open_own(const char *path, int flags, mode_t mode, const char *what, struct vpmem_err *err);

/* @path must be a directory and not a symlink (a state or cache directory). */
int vpmem_check_own_dir(const char *path, struct vpmem_err *err);

/* "a FIFO", "a socket", "a directory", "a block device"… for messages. */
const char *vpmem_file_kind(mode_t mode);

#ifdef __cplusplus
}
#endif
#endif
