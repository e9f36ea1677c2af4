// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vpmem/file.h>

char *vpmem_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			size_t nc = cap ? cap * 2 : 8192;
			char *nb;

			if (nc > max + 1)
				nc = max + 1;
			if (nc <= cap)
				break;
			nb = realloc(buf, nc);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = nc;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r && n < max);
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		errno = e ? e : EIO;
		return NULL;
	}
	fclose(f);
	if (!buf && !(buf = malloc(1))) {
		errno = ENOMEM;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
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
