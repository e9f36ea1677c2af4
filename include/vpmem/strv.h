/* SPDX-License-Identifier: MIT */
/* A growable, NULL-terminated vector of owned strings (an argv). */
#ifndef VPMEM_STRV_H
#define VPMEM_STRV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpmem_strv {
	char **v;      /* NULL-terminated; owned */
	size_t n;
	size_t alloc;
};

#define VPMEM_STRV_INIT { NULL, 0, 0 }

/* Append a copy of @s / a formatted string; return 0 or -ENOMEM. */
int vpmem_strv_push(struct vpmem_strv *sv, const char *s);
int vpmem_strv_pushf(struct vpmem_strv *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vpmem_strv_free(struct vpmem_strv *sv);

/*
 * Append @val to @buf escaped for a QEMU option value: every ',' doubled
 * (QemuOpts/keyval, util/qemu-option.c get_opt_value). Returns 0 or -ENOMEM.
 * @buf is a malloc'ed string that is grown; *buf may be NULL.
 */
int vpmem_qemu_escape_append(char **buf, const char *val);

#ifdef __cplusplus
}
#endif
#endif
