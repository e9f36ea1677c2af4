/* SPDX-License-Identifier: MIT */
/*
 * The one atomic file replace, in two halves for writers that stream (a copy,
 * a FILE *): vpmem_file_replace (<vpmem/file.h>) is begin, one write, commit.
 * As git's tempfile.h/lockfile.h: the new content goes to a temporary beside
 * @path (mkstemp, O_EXCL: a planted name or link is never followed), and
 * commit sets the mode, fsyncs, renames it over @path and fsyncs the
 * directory. A crash leaves the old file or the new one, never a mix.
 * Internal to libvpmem.
 */
#ifndef VPMEM_REPLACE_H
#define VPMEM_REPLACE_H

#include <limits.h>

#include <vpmem/error.h>

struct vpmem_replace {
	int fd;                    /* the temporary, open for writing */
	const char *path;          /* the file it replaces (the caller's string) */
	char dir[PATH_MAX];        /* the directory of both */
	char tmp[PATH_MAX + 32];   /* DIR/.NAME.vpmem-XXXXXX */
};

/* Create the temporary for @path (kept by pointer until commit/abort). */
int vpmem_replace_begin(struct vpmem_replace *r, const char *path, struct vpmem_err *err);

/* Write all of @data to the temporary: 0, or -errno with @err set. */
int vpmem_replace_write(struct vpmem_replace *r, const void *data, size_t len, struct vpmem_err *err);

/*
 * Set @mode, fsync, close, rename over the path, fsync the directory. On
 * failure the temporary is removed and the path is untouched.
 */
int vpmem_replace_commit(struct vpmem_replace *r, unsigned mode, struct vpmem_err *err);

/* Close and remove the temporary: the path is untouched. */
void vpmem_replace_abort(struct vpmem_replace *r);

#endif
