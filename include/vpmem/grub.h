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

/*
 * ---- the transaction on a real file ----
 *
 * vpmem edits a GRUB defaults file FILE with two files beside it: the record
 * FILE.vpmem (JSON: the parameter, the assignment line before and after) and
 * the backup FILE.vpmem.bak (the file before vpmem's first edit; the record
 * keeps its FNV-1a hash, so a backup from elsewhere is never taken for
 * vpmem's). Every write is an atomic replace (vpmem_file_replace); the record
 * is written before FILE, so a crash between them leaves a record that
 * remove can use against the unchanged file.
 */
struct vpmem_grub_file {
	char path[4096];        /* the file edited: a symlink resolved to what it names */
	char *content;          /* its bytes, NUL-terminated (it holds no NUL) */
	size_t len;
	unsigned mode;          /* its permission bits, kept on every rewrite */
};

/*
 * Read @path: a symlink is followed to the file it names (that file is
 * edited; the link stays a link); it must be a regular file of at most 1 MiB
 * (more is refused, not cut) without NUL bytes. Free with
 * vpmem_grub_file_free().
 */
int vpmem_grub_read(const char *path, struct vpmem_grub_file *f, struct vpmem_err *err);
void vpmem_grub_file_free(struct vpmem_grub_file *f);

struct vpmem_grub_change {
	bool changed;           /* FILE differs (was written, or would be with @dry) */
	char *line;             /* apply: the assignment line after the change (malloc'ed) */
	char *param;            /* remove: the parameter the record named (malloc'ed) */
	bool edited_since;      /* remove: the line changed since apply: only vpmem's tokens go */
	bool foreign_backup;    /* remove: FILE.vpmem.bak is not vpmem's: left in place */
	char backup[4112];      /* FILE.vpmem.bak */
};
void vpmem_grub_change_free(struct vpmem_grub_change *c);

/*
 * Put the space-separated kernel parameters @param into GRUB_CMDLINE_LINUX,
 * in place of those a previous apply recorded. With @dry nothing is written.
 * A file this cannot edit safely is refused (-EINVAL, "… refused (left
 * untouched): why"); nothing is written then.
 */
int vpmem_grub_apply(const struct vpmem_grub_file *f, const char *param, bool dry,
		     struct vpmem_grub_change *c, struct vpmem_err *err);

/*
 * Undo apply: the original line back exactly when the line is as vpmem left
 * it, else only vpmem's tokens taken out; then the record goes and the
 * backup, if it is vpmem's. -ENOENT when no record names FILE.
 */
int vpmem_grub_remove(const struct vpmem_grub_file *f, bool dry, struct vpmem_grub_change *c,
		      struct vpmem_err *err);

/* The parameter the record beside @path names (malloc'ed), or NULL: none. */
char *vpmem_grub_recorded_param(const char *path);

/*
 * The command that regenerates grub.cfg on the system at @sysroot (NULL: this
 * one): "update-grub", "grub2-mkconfig -o /boot/grub2/grub.cfg" or
 * "grub-mkconfig -o /boot/grub/grub.cfg", the first installed, into @buf; NULL
 * when none is.
 */
const char *vpmem_grub_update_cmd(const char *sysroot, char *buf, size_t len);
/* Run @cmd (one of vpmem_grub_update_cmd's, plain words: no shell): its
 * output in *@out (malloc'ed), its exit status in *@status. 0 or -errno. */
int vpmem_grub_update_run(const char *cmd, char **out, int *status, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
