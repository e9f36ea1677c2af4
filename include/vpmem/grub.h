/* SPDX-License-Identifier: MIT */
/*
 * Editing GRUB_CMDLINE_LINUX in /etc/default/grub (a file sourced by sh in
 * grub-mkconfig, util/grub-mkconfig.in): pure string functions. Only the
 * assignment line changes; everything else stays byte for byte. Files this
 * cannot edit safely (two assignments, unterminated quotes, line
 * continuations, command substitution in the value) are refused.
 */
#ifndef VPMEM_GRUB_H
#define VPMEM_GRUB_H

#include <stdbool.h>
#include <stddef.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpmem_grub_line {
	bool found;
	size_t start, end;      /* byte range of the line, without its newline */
	char quote;             /* '"', '\'' or 0 */
	char *value;            /* the unquoted value (malloc'ed) */
};

int vpmem_grub_find(const char *content, struct vpmem_grub_line *l, struct vpmem_err *err);
void vpmem_grub_line_free(struct vpmem_grub_line *l);

/*
 * New file content with the GRUB_CMDLINE_LINUX value's tokens listed in
 * @remove (NULL-terminated, may be NULL) taken out and @add appended (unless
 * already present). A missing assignment is appended as
 * GRUB_CMDLINE_LINUX="…". *@out is malloc'ed.
 */
int vpmem_grub_edit(const char *content, const char *const *remove, const char *const *add,
		    char **out, struct vpmem_err *err);

/* The line of @content that holds the assignment ("" when absent); malloc'ed. */
char *vpmem_grub_line_text(const char *content);

/* Replace the assignment line with @line ("" = delete it); malloc'ed result. */
int vpmem_grub_set_line(const char *content, const char *line, char **out, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
