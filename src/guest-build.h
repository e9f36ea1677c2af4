/* SPDX-License-Identifier: MIT */
#ifndef VPMEM_GUEST_BUILD_H
#define VPMEM_GUEST_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include <vpmem/error.h>

/* Path of guest/mkguest.sh; 0 or -ENOENT. */
int guest_script(char *buf, size_t len);
/* Build (or refresh) the default guest for @kernel (an alias or package, NULL:
 * $VPMEM_GUEST_KERNEL or the default; see vpmem_guest_kernel_parse) in the
 * cache; progress on stderr. */
int guest_build(const char *kernel, bool force, bool quiet, struct vpmem_err *err);

#endif
