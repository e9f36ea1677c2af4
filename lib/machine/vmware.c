// SPDX-License-Identifier: MIT
/*
 * VMware vPMem disks -> host devices (hostmap.h): the disk UUID from a .vmdk
 * descriptor (plain or embedded in a hosted sparse extent) or from saved
 * `vmkfstools -J getuuid` output, and the guest id it becomes.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/hostmap.h>
#include <vpmem/input.h>

#include "util/le.h"

int vpmem_vmware_guest_id(const char *uuid, char out[16])
{
	unsigned b[16], n = 0;

	/* exactly 16 bytes: more is not a disk UUID, not a longer one to cut */
	for (const char *p = uuid; *p;) {
		if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
			if (n == 16)
				return -EINVAL;
			sscanf(p, "%2x", &b[n++]);
			p += 2;
		} else if (*p == ' ' || *p == '-') {
			p++;
		} else {
			return -EINVAL;
		}
	}
	if (n != 16)
		return -EINVAL;
	snprintf(out, 16, VPMEM_VMWARE_VENDOR_ID "-%02x%02x%02x%02x", b[12], b[13], b[14], b[15]);
	return 0;
}

static int add_vmware(struct vpmem_host *h, const char *path, const char *uuid, struct vpmem_err *err)
{
	struct vpmem_host_dev *d;

	if (h->n >= VPMEM_MAP_MAX)
		return vpmem_err_set(err, E2BIG, "too many disks");
	d = &h->d[h->n];
	memset(d, 0, sizeof(*d));
	d->kind = VPMEM_HOST_VMWARE;
	d->slot = d->node = -1;
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	if (vpmem_vmware_guest_id(uuid, d->expect_id))
		return vpmem_err_set(err, EINVAL, "'%s': '%s' is not a 16-byte disk UUID", path, uuid);
	h->n++;
	return 0;
}

int vpmem_host_from_vmdk(const char *path, struct vpmem_host *h, struct vpmem_err *err)
{
	char buf[65536], *p, uuid[64];
	int fd = vpmem_open_input(path, O_RDONLY, VPMEM_IN_REG, "VMDK", err);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n >= 512 && !memcmp(buf, "KDMV", 4)) {
		/* hosted sparse extent: descriptorOffset/descriptorSize in sectors at
		 * bytes 28/36 of SparseExtentHeader (VMware Virtual Disk Format 1.1) */
		uint64_t off = get_le64(buf + 28), size = get_le64(buf + 36);

		if (!off || !size || size > 120 || off > (1ULL << 40)) {
			close(fd);
			return vpmem_err_set(err, EINVAL, "'%s': sparse VMDK without an embedded descriptor", path);
		}
		n = pread(fd, buf, (size_t)size * 512 < sizeof(buf) - 1 ? (size_t)size * 512 : sizeof(buf) - 1,
			  (off_t)(off * 512));
	}
	close(fd);
	if (n < 0)
		return vpmem_err_set(err, EIO, "cannot read '%s'", path);
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n && !strstr(buf, "ddb."))
		return vpmem_err_set(err, EINVAL, "'%s' is not a VMDK descriptor", path);
	p = strstr(buf, "ddb.uuid");
	if (!p || sscanf(p, "ddb.uuid = \"%63[^\"]\"", uuid) != 1)
		return vpmem_err_set(err, ENOENT, "'%s': no ddb.uuid in the VMDK descriptor", path);
	return add_vmware(h, path, uuid, err);
}

int vpmem_host_from_vmkfstools(const char *text, struct vpmem_host *h, struct vpmem_err *err)
{
	char last[1024] = "";
	unsigned unnamed = 0, before = h->n;

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		char line[1024], *u;
		size_t n = strcspn(p, "\n");

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		u = strstr(line, "UUID is ");
		if (u) {
			char name[1100];
			int r;

			if (last[0])
				snprintf(name, sizeof(name), "%s", last);
			else
				snprintf(name, sizeof(name), "(disk %u)", unnamed);
			unnamed++;
			r = add_vmware(h, name, u + 8, err);
			if (r)
				return r;
			last[0] = '\0';
			continue;
		}
		for (char *save = NULL, *t = strtok_r(line, " \t'\"", &save); t; t = strtok_r(NULL, " \t'\"", &save))
			if (strlen(t) > 5 && !strcmp(t + strlen(t) - 5, ".vmdk"))
				snprintf(last, sizeof(last), "%s", t);
	}
	if (h->n == before)
		return vpmem_err_set(err, ENOENT, "no 'UUID is …' line (expected vmkfstools -J getuuid output)");
	return 0;
}
