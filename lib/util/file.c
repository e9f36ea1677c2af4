// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vpmem/file.h>
#include <vpmem/input.h>

#include "util/locks.h"
#include "util/replace.h"

char *vpmem_read_file(const char *path, size_t max, size_t *len)
{
	struct vpmem_err err = { 0 };
	char *buf = vpmem_read_input(path, max, len, NULL, &err);

	/* the input rules: not a regular file (a FIFO would block) or larger
	 * than @max is a failure, never a hang or a truncation */
	if (!buf)
		errno = err.code ? err.code : EIO;
	return buf;
}

int vpmem_file_mapped_by(unsigned long long dev, unsigned long long ino, bool *unreadable)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[64], line[4096];
		FILE *f;
		int pid = atoi(e->d_name);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		f = fopen(path, "r");
		if (!f && errno == EACCES && unreadable) {
			/* only a QEMU we cannot look into leaves the question open */
			char cpath[64], comm[32] = "";
			FILE *c;

			snprintf(cpath, sizeof(cpath), "/proc/%d/comm", pid);
			c = fopen(cpath, "r");
			if (c) {
				if (!fgets(comm, sizeof(comm), c))
					comm[0] = '\0';
				fclose(c);
			}
			if (!strncmp(comm, "qemu", 4))
				*unreadable = true;
		}
		while (f && fgets(line, sizeof(line), f)) {
			unsigned ma, mi;
			unsigned long long inode;

			/* "start-end perms offset MAJ:MIN inode path" (proc(5)) */
			if (sscanf(line, "%*s %*s %*s %x:%x %llu", &ma, &mi, &inode) == 3 && inode == ino &&
			    makedev(ma, mi) == dev) {
				found = pid;
				break;
			}
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

int vpmem_mkdir_p(const char *path, struct vpmem_err *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return vpmem_err_set(err, ENAMETOOLONG, "path too long: '%s'", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return vpmem_err_set(err, errno, "cannot create directory '%s': %s",
						     tmp, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int vpmem_replace_begin(struct vpmem_replace *r, const char *path, struct vpmem_err *err)
{
	const char *slash = strrchr(path, '/');

	r->fd = -1;
	r->path = path;
	if (!slash)
		snprintf(r->dir, sizeof(r->dir), ".");
	else
		snprintf(r->dir, sizeof(r->dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (snprintf(r->tmp, sizeof(r->tmp), "%s/.%s.vpmem-XXXXXX", r->dir, slash ? slash + 1 : path) >=
	    (int)sizeof(r->tmp))
		return vpmem_err_set(err, ENAMETOOLONG, "path too long: '%s'", path);
	r->fd = mkstemp(r->tmp); /* O_CREAT|O_EXCL */
	if (r->fd < 0)
		return vpmem_err_set(err, errno, "cannot write in '%s': %s", r->dir, strerror(errno));
	return 0;
}

int vpmem_replace_write(struct vpmem_replace *r, const void *data, size_t len, struct vpmem_err *err)
{
	const char *p = data;
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(r->fd, p + done, len - done);

		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			return vpmem_err_set(err, e, "cannot write '%s': %s", r->path, strerror(e));
		}
		done += (size_t)w;
	}
	return 0;
}

void vpmem_replace_abort(struct vpmem_replace *r)
{
	if (r->fd >= 0) {
		close(r->fd);
		unlink(r->tmp);
	}
	r->fd = -1;
}

int vpmem_replace_commit(struct vpmem_replace *r, unsigned mode, struct vpmem_err *err)
{
	int fd, e = 0;

	if (fchmod(r->fd, (mode_t)mode) || fsync(r->fd))
		e = errno;
	if (close(r->fd) && !e)
		e = errno;
	r->fd = -1;
	if (!e && rename(r->tmp, r->path))
		e = errno;
	if (e) {
		unlink(r->tmp);
		return vpmem_err_set(err, e, "cannot write '%s': %s", r->path, strerror(e));
	}
	/* the rename itself durable */
	fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int vpmem_file_replace(const char *path, const void *data, size_t len, unsigned mode,
		       struct vpmem_err *err)
{
	struct vpmem_replace r;
	int e = vpmem_replace_begin(&r, path, err);

	if (!e && (e = vpmem_replace_write(&r, data, len, err)))
		vpmem_replace_abort(&r);
	return e ? e : vpmem_replace_commit(&r, mode, err);
}

/*
 * /proc/locks, one lock a line (proc(5); torvalds/linux fs/locks.c
 * lock_get_status): "ID: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INO 0 EOF", the
 * pid being the one that took the lock (0 if it is gone or not visible in
 * our pid namespace), MAJ and MIN in hex ("%02x", so major 259 is "103"),
 * "<none>:0" for a lock without an inode; waiters blocked on a lock follow it
 * as "ID: -> FLOCK ..." (more indented when nested). POSIX, OFDLCK (pid -1),
 * ACCESS, LEASE and DELEG lines are other kinds of lock.
 */
long vpmem_locks_owner(const char *buf, size_t len, unsigned long long dev, unsigned long long ino)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char line[256], kind[16];
		long pid;
		unsigned ma, mi;
		unsigned long long in;

		/* a line longer than any the kernel writes is not a lock line */
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			/* "->" lines are waiters, not holders */
			if (!strstr(line, "->") &&
			    sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", kind, &pid, &ma, &mi, &in) == 5 &&
			    !strcmp(kind, "FLOCK") && pid > 0 && in == ino && makedev(ma, mi) == dev)
				return pid;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* The pid /proc/locks names for a FLOCK on dev:ino, or 0. */
static long locks_owner(unsigned long long dev, unsigned long long ino)
{
	size_t len;
	char *buf = vpmem_read_file("/proc/locks", 64 << 20, &len);
	long owner = buf ? vpmem_locks_owner(buf, len, dev, ino) : 0;

	free(buf);
	return owner;
}

/* Whether process @pid has dev:ino open (/proc/PID/fd/N, followed). */
static bool has_open(long pid, unsigned long long dev, unsigned long long ino)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	while (d && !found && (e = readdir(d))) {
		char fp[96];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(fp, sizeof(fp), "/proc/%ld/fd/%s", pid, e->d_name);
		found = !stat(fp, &st) && st.st_dev == dev && st.st_ino == ino;
	}
	if (d)
		closedir(d);
	return found;
}

long vpmem_file_lock_holder(const char *path, char *comm, size_t len)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	long pid = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (comm && len)
		comm[0] = '\0';
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);      /* nobody holds an exclusive lock (ours is dropped by close) */
		return 0;
	}
	close(fd);
	/* the pid that took the lock, if it still has the file open (a server
	 * that forked into the background after locking has another pid) */
	pid = locks_owner(st.st_dev, st.st_ino);
	if (pid == getpid() || (pid > 0 && !has_open(pid, st.st_dev, st.st_ino)))
		pid = 0;
	d = pid ? NULL : opendir("/proc");
	while (d && !pid && (e = readdir(d))) {
		long p = atol(e->d_name);

		if (p > 0 && p != getpid() && has_open(p, st.st_dev, st.st_ino))
			pid = p;
	}
	if (d)
		closedir(d);
	if (!pid)
		return -1;
	if (comm && len) {
		char cp[64];
		FILE *c;

		snprintf(cp, sizeof(cp), "/proc/%ld/comm", pid);
		c = fopen(cp, "r");
		if (c) {
			if (fgets(comm, (int)len, c))
				comm[strcspn(comm, "\n")] = '\0';
			else
				comm[0] = '\0';
			fclose(c);
		}
	}
	return pid;
}
