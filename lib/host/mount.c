// SPDX-License-Identifier: MIT
/* Mounts from mountinfo through libmount; see include/vpmem/mount.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmount.h>

#include <vpmem/file.h>
#include <vpmem/mount.h>

#include "util/dl.h"

/*
 * libmount is loaded on first use (dlopen), not linked: only doctor, the
 * persistence verdicts and the live paths read mountinfo, and linking it cost
 * every vpmem start the load of libmount, libblkid, libselinux and libpcre2
 * and libselinux's start-up probes (bench/README.md, layout.sh). Same pattern
 * as host/ndctl.h: each name below becomes a call through the loaded table.
 * Debian 12: libmount1 (util-linux), soname libmount.so.1.
 */
#define MNT_FUNCS(X) \
	X(mnt_optstr_get_option) \
	X(mnt_new_table) \
	X(mnt_new_iter) \
	X(mnt_table_set_parser_errcb) \
	X(mnt_table_parse_stream) \
	X(mnt_table_next_fs) \
	X(mnt_fs_get_devno) \
	X(mnt_fs_get_target) \
	X(mnt_fs_get_source) \
	X(mnt_fs_get_fstype) \
	X(mnt_fs_get_fs_options) \
	X(mnt_free_iter) \
	X(mnt_unref_table)

static struct {
#define MNT_MEMBER(f) __typeof__(f) *f;
	MNT_FUNCS(MNT_MEMBER)
#undef MNT_MEMBER
} ml;
static struct vpmem_dl mnt_dl = VPMEM_DL_INIT;

static int mnt_load(struct vpmem_err *err)
{
	static const struct vpmem_dl_sym syms[] = {
#define MNT_SYM(f) VPMEM_DL_SYM(__typeof__(ml), f, #f),
		MNT_FUNCS(MNT_SYM)
#undef MNT_SYM
		{ NULL, 0 },
	};

	if (vpmem_dl_fill(&mnt_dl, "libmount.so.1", "libmount1", syms, &ml, NULL))
		return vpmem_err_set(err, ENOSYS, "cannot read mountinfo: %s", mnt_dl.why);
	return 0;
}

/* A macro's own name in its expansion is not expanded again (C11 6.10.3.4). */
#define mnt_optstr_get_option (ml.mnt_optstr_get_option)
#define mnt_new_table (ml.mnt_new_table)
#define mnt_new_iter (ml.mnt_new_iter)
#define mnt_table_set_parser_errcb (ml.mnt_table_set_parser_errcb)
#define mnt_table_parse_stream (ml.mnt_table_parse_stream)
#define mnt_table_next_fs (ml.mnt_table_next_fs)
#define mnt_fs_get_devno (ml.mnt_fs_get_devno)
#define mnt_fs_get_target (ml.mnt_fs_get_target)
#define mnt_fs_get_source (ml.mnt_fs_get_source)
#define mnt_fs_get_fstype (ml.mnt_fs_get_fstype)
#define mnt_fs_get_fs_options (ml.mnt_fs_get_fs_options)
#define mnt_free_iter (ml.mnt_free_iter)
#define mnt_unref_table (ml.mnt_unref_table)

static bool has_dax(const char *optstr)
{
	char *val = NULL;
	size_t n = 0;

	/* dax (ext4, xfs before 5.8) or dax=always; dax=never/inode is not DAX */
	if (!optstr || mnt_optstr_get_option(optstr, "dax", &val, &n))
		return false;
	return !val || !n || (n == 6 && !strncmp(val, "always", 6));
}

static int ignore_errors(struct libmnt_table *tb, const char *filename, int line)
{
	return 1; /* a line libmount cannot read is not a mount: skip it */
}

int vpmem_mounts_parse(const char *text, struct vpmem_mount **out, size_t *n, struct vpmem_err *err)
{
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	struct vpmem_mount *v = NULL;
	size_t cnt = 0, cap = 0;
	FILE *f = NULL;
	int r = 0;

	*out = NULL;
	*n = 0;
	if ((r = mnt_load(err)))
		return r;
	tb = mnt_new_table();
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!tb || !it)
		r = vpmem_err_set(err, ENOMEM, "out of memory");
	else if (*text && !(f = fmemopen((void *)text, strlen(text), "r")))
		r = vpmem_err_set(err, errno, "cannot read mountinfo: %s", strerror(errno));
	if (!r && f) {
		mnt_table_set_parser_errcb(tb, ignore_errors);
		if (mnt_table_parse_stream(tb, f, "mountinfo") < 0)
			r = vpmem_err_set(err, EINVAL, "cannot parse mountinfo");
	}
	while (!r && f && mnt_table_next_fs(tb, it, &fs) == 0) {
		struct vpmem_mount *m;

		if (cnt == cap) {
			struct vpmem_mount *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (!nv) {
				r = vpmem_err_set(err, ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		m = &v[cnt++];
		memset(m, 0, sizeof(*m));
		m->dev = mnt_fs_get_devno(fs);
		snprintf(m->target, sizeof(m->target), "%s", mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "");
		snprintf(m->source, sizeof(m->source), "%s", mnt_fs_get_source(fs) ? mnt_fs_get_source(fs) : "");
		snprintf(m->fstype, sizeof(m->fstype), "%s", mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "");
		m->dax = has_dax(mnt_fs_get_fs_options(fs));
	}
	if (f)
		fclose(f);
	mnt_free_iter(it);
	mnt_unref_table(tb);
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int vpmem_mounts_read(const char *sysroot, struct vpmem_mount **out, size_t *n, struct vpmem_err *err)
{
	char path[4096], *text;
	int r;

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", sysroot ? sysroot : "");
	text = vpmem_read_file(path, 64 << 20, NULL);
	if (!text) {
		*out = NULL;
		*n = 0;
		return vpmem_err_set(err, errno, "cannot read '%s': %s", path, strerror(errno));
	}
	r = vpmem_mounts_parse(text, out, n, err);
	free(text);
	return r;
}
