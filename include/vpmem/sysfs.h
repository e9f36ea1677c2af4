/* SPDX-License-Identifier: MIT */
/*
 * Reading sysfs attributes, optionally under a captured root (lsblk --sysroot
 * style): the one reader behind the host views (doctor, emulate status,
 * persistence verdicts, the guest's view for map).
 */
#ifndef VPMEM_SYSFS_H
#define VPMEM_SYSFS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The first line of the attribute <@root><path>, @path formatted from @fmt,
 * into @buf without its newline. @root may be NULL or "" for the live system.
 * Returns 0, or -errno (-ENODATA for an empty attribute).
 */
int vpmem_sysfs_read(const char *root, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The same, malloc'ed; NULL when the attribute cannot be read. */
char *vpmem_sysfs_get(const char *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
