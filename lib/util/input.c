// SPDX-License-Identifier: MIT
/* The input rules; see include/vpmem/input.h and doc/threat-model.md. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/input.h>
#include <vpmem/size.h>

const char *vpmem_file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFLNK: return "a symbolic link";
	default: return "not a file";
	}
}

static bool kind_ok(mode_t mode, unsigned kinds)
{
	return (S_ISREG(mode) && (kinds & VPMEM_IN_REG)) || (S_ISBLK(mode) && (kinds & VPMEM_IN_BLK)) ||
	       (S_ISCHR(mode) && (kinds & VPMEM_IN_CHR));
}

static const char *wanted(unsigned kinds)
{
	if (kinds == VPMEM_IN_REG)
		return "a regular file";
	if (kinds == (VPMEM_IN_REG | VPMEM_IN_CHR))
		return "a regular file or a device-dax device";
	return "a regular file or a device";
}

/* @verb: "open" or "read", for the message when the path is not there */
static int open_input(const char *path, int flags, unsigned kinds, const char *what, const char *verb,
		      struct vpmem_err *err)
{
	struct stat before, st;
	int fd;

	if (!what)
		what = "file";
	if (stat(path, &before))
		return vpmem_err_set(err, errno, "cannot %s '%s': %s", verb, path, strerror(errno));
	/* never open what we would refuse: a FIFO blocks, a device has effects */
	if (!kind_ok(before.st_mode, kinds))
		return vpmem_err_set(err, EINVAL, "%s '%s' is %s, not %s", what, path,
				     vpmem_file_kind(before.st_mode), wanted(kinds));
	fd = open(path, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot %s '%s': %s", verb, path, strerror(errno));
	if (fstat(fd, &st) || st.st_dev != before.st_dev || st.st_ino != before.st_ino ||
	    !kind_ok(st.st_mode, kinds)) {
		close(fd);
		return vpmem_err_set(err, EAGAIN, "%s '%s' changed while it was opened; try again", what, path);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		int e = errno;

		close(fd);
		return vpmem_err_set(err, e, "cannot use %s '%s': %s", what, path, strerror(e));
	}
	return fd;
}

int vpmem_open_input(const char *path, int flags, unsigned kinds, const char *what,
		     struct vpmem_err *err)
{
	return open_input(path, flags, kinds, what, "open", err);
}

char *vpmem_read_fd(int fd, const char *path, size_t max, size_t *len, struct vpmem_err *err)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, human[32];

	for (;;) {
		ssize_t r;

		if (n == cap) {
			/* one byte more than allowed shows the file is too large */
			size_t nc = cap ? cap * 2 : 8192;
			char *nb;

			if (nc > max + 1)
				nc = max + 1;
			nb = realloc(buf, nc + 1);
			if (!nb) {
				free(buf);
				vpmem_err_set(err, ENOMEM, "out of memory reading '%s'", path);
				return NULL;
			}
			buf = nb;
			cap = nc;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			vpmem_err_set(err, errno, "cannot read '%s': %s", path, strerror(errno));
			free(buf);
			return NULL;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			vpmem_err_set(err, EFBIG, "'%s' is larger than %s: not read", path,
				      vpmem_size_human(max, human, sizeof(human)));
			return NULL;
		}
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *vpmem_read_input(const char *path, size_t max, size_t *len, const char *what,
		       struct vpmem_err *err)
{
	int fd = open_input(path, O_RDONLY, VPMEM_IN_REG, what, "read", err);
	char *buf;

	if (fd < 0)
		return NULL;
	buf = vpmem_read_fd(fd, path, max, len, err);
	close(fd);
	return buf;
}

int vpmem_create_own(const char *path, mode_t mode, struct vpmem_err *err)
{
	int fd;

	if (unlink(path) && errno != ENOENT)
		return vpmem_err_set(err, errno, "cannot replace '%s': %s", path, strerror(errno));
	fd = open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, mode);
	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot create '%s': %s", path, strerror(errno));
	return fd;
}

int vpmem_open_own(const char *path, int flags, mode_t mode, const char *what, struct vpmem_err *err)
{
	const char *sp = what ? " " : "";
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);

	if (!what)
		what = "";
	if (fd < 0 && errno == ENOENT && !(flags & O_CREAT))
		return vpmem_err_set(err, ENOENT, "%s%s'%s' does not exist", what, sp, path);
	/* O_NOFOLLOW says ELOOP for a link, O_EXCL EEXIST for anything there:
	 * name what is in the way */
	if (fd < 0 && (errno == ELOOP || errno == EEXIST)) {
		int e = errno;

		if (lstat(path, &st))
			st.st_mode = S_IFREG; /* gone again: say what open said */
		if (S_ISLNK(st.st_mode))
			return vpmem_err_set(err, ELOOP, "%s%s'%s' is a symbolic link: vpmem does not follow links among its own files",
					     what, sp, path);
		if (e == EEXIST && !S_ISREG(st.st_mode))
			return vpmem_err_set(err, EINVAL, "%s%s'%s' is %s, not a regular file", what, sp, path,
					     vpmem_file_kind(st.st_mode));
		errno = e;
	}
	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot %s %s%s'%s': %s", flags & O_CREAT ? "create" : "open", what, sp,
				     path, strerror(errno));
	/* a FIFO opened without blocking, a device without becoming a
	 * terminal: refused here, before anything reads or writes it */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return vpmem_err_set(err, EINVAL, "%s%s'%s' is %s, not a regular file", what, sp, path,
				     vpmem_file_kind(st.st_mode));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int vpmem_check_own_dir(const char *path, struct vpmem_err *err)
{
	struct stat st;

	if (lstat(path, &st))
		return vpmem_err_set(err, errno, "cannot use '%s': %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return vpmem_err_set(err, ELOOP, "'%s' is a symbolic link: vpmem does not follow links among its own files",
				     path);
	if (!S_ISDIR(st.st_mode))
		return vpmem_err_set(err, ENOTDIR, "'%s' is %s, not a directory", path, vpmem_file_kind(st.st_mode));
	return 0;
}
