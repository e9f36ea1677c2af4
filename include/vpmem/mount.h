/* SPDX-License-Identifier: MIT */
/*
 * The mounts of this host (or of a captured root) from /proc/self/mountinfo,
 * read by libmount (util-linux): fields unescaped (a mount point with a space
 * is "/mnt/a b", not "/mnt/a\040b"), the superblock options looked at for dax.
 */
#ifndef VPMEM_MOUNT_H
#define VPMEM_MOUNT_H

#include <limits.h>
#include <linux/limits.h> /* PATH_MAX, also under -std=c11 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpmem_mount {
	dev_t dev;                 /* st_dev of the files on it */
	char target[PATH_MAX];     /* mount point */
	char source[PATH_MAX];
	char fstype[64];
	bool dax;                  /* dax or dax=always among the superblock options */
};

/* The mounts in mountinfo @text, in order (the last one of a device is on
 * top). *@out is malloc'ed (free() it), *@n entries. 0 or -errno. */
int vpmem_mounts_parse(const char *text, struct vpmem_mount **out, size_t *n, struct vpmem_err *err);
/* The same from <@sysroot>/proc/self/mountinfo (@sysroot NULL: the live one). */
int vpmem_mounts_read(const char *sysroot, struct vpmem_mount **out, size_t *n, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
