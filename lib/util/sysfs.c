// SPDX-License-Identifier: MIT
/* sysfs attributes; see include/vpmem/sysfs.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/sysfs.h>

static int vread(const char *root, char *buf, size_t len, const char *fmt, va_list ap)
{
	char rel[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int r = 0;

	vsnprintf(rel, sizeof(rel), fmt, ap);
	snprintf(path, sizeof(path), "%s%s", root ? root : "", rel);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		r = ferror(f) ? -(errno ? errno : EIO) : -ENODATA;
	fclose(f);
	if (r)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int vpmem_sysfs_read(const char *root, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread(root, buf, len, fmt, ap);
	va_end(ap);
	return r;
}

char *vpmem_sysfs_get(const char *root, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread(root, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return r ? NULL : strdup(buf);
}
