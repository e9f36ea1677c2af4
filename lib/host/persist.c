// SPDX-License-Identifier: MIT
/*
 * Persistence verdicts for vNVDIMM backings; rules and sources in persist.h.
 * Kernel facts: statx STATX_ATTR_DAX (include/uapi/linux/stat.h, Linux 5.8);
 * MAP_SHARED_VALIDATE|MAP_SYNC fails with EOPNOTSUPP unless the file is DAX
 * (mm/mmap.c, fs/ext4/file.c ext4_file_mmap -> daxdev_mapping_supported);
 * filesystem magics from include/uapi/linux/magic.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vpmem/file.h>
#include <vpmem/mount.h>
#include <vpmem/namespace.h>
#include <vpmem/persist.h>
#include <vpmem/size.h>
#include <vpmem/sysfs.h>

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6
#define HUGETLBFS_MAGIC_ 0x958458f6

const char *vpmem_verdict_name(enum vpmem_verdict v)
{
	switch (v) {
	case VPMEM_GUARANTEED: return "guaranteed";
	case VPMEM_NOT_GUARANTEED: return "not guaranteed";
	default: return "unusable";
	}
}

const char *vpmem_backing_kind_name(enum vpmem_backing_kind k)
{
	static const char *const names[] = {
		[VPMEM_KIND_MISSING] = "missing", [VPMEM_KIND_DIRECTORY] = "directory",
		[VPMEM_KIND_DEVDAX] = "devdax", [VPMEM_KIND_BLOCK] = "block device",
		[VPMEM_KIND_CHAR] = "character device", [VPMEM_KIND_FILE] = "file",
		[VPMEM_KIND_OTHER] = "other",
	};
	return k <= VPMEM_KIND_OTHER ? names[k] : "other";
}

static void reason(struct vpmem_persist_report *rep, enum vpmem_verdict level, const char *fix,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void reason(struct vpmem_persist_report *rep, enum vpmem_verdict level, const char *fix,
		   const char *fmt, ...)
{
	struct vpmem_persist_reason *r;
	va_list ap;

	if (level > rep->verdict)
		rep->verdict = level;
	if (rep->nreasons >= VPMEM_PERSIST_MAX_REASONS)
		return;
	r = &rep->reasons[rep->nreasons++];
	r->level = level;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	snprintf(r->fix, sizeof(r->fix), "%s", fix ? fix : "");
}

int vpmem_host_node_of_blockdev(const char *sysroot, unsigned major, unsigned minor)
{
	char buf[32];

	/* whole disk: /sys/dev/block/M:m/device/numa_node; partition: its parent's */
	if (!vpmem_sysfs_read(sysroot, buf, sizeof(buf), "/sys/dev/block/%u:%u/device/numa_node", major, minor) ||
	    !vpmem_sysfs_read(sysroot, buf, sizeof(buf), "/sys/dev/block/%u:%u/../device/numa_node", major, minor))
		return atoi(buf) >= 0 ? atoi(buf) : -1;
	return -1;
}

bool vpmem_map_sync_probe(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return false;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	munmap(p, 4096);
	return true;
}

int vpmem_map_sync_probe_dir(const char *dir, bool *works)
{
	char tmpl[PATH_MAX];
	int fd, r = 0;

	snprintf(tmpl, sizeof(tmpl), "%s/.vpmem-doctor-XXXXXX", dir);
	fd = mkstemp(tmpl);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, 4096))
		r = -errno;
	else
		*works = vpmem_map_sync_probe(tmpl);
	close(fd);
	unlink(tmpl);
	return r;
}

/* The mount of @dev in mountinfo @text (libmount, lib/host/mount.c): the last
 * one of the device wins (the mount on top). */
void vpmem_mountinfo_find(const char *text, dev_t dev, char *fstype, size_t len, bool *dax)
{
	struct vpmem_mount *m;
	size_t n;

	*dax = false;
	if (vpmem_mounts_parse(text, &m, &n, NULL))
		return;
	for (size_t i = 0; i < n; i++)
		if (m[i].dev == dev) {
			snprintf(fstype, len, "%s", m[i].fstype);
			*dax = m[i].dax;
		}
	free(m);
}

static void mount_info(const char *sysroot, dev_t dev, char *fstype, size_t len, bool *dax)
{
	char path[PATH_MAX], *text;

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", sysroot ? sysroot : "");
	*dax = false;
	text = vpmem_read_file(path, 64 << 20, NULL);
	if (text)
		vpmem_mountinfo_find(text, dev, fstype, len, dax);
	free(text);
}

/*
 * The NVDIMM bus provider under a block or char device: the device's sysfs
 * path runs through ndbusN (drivers/nvdimm/bus.c), whose "provider" is
 * "ACPI.NFIT" for firmware NVDIMMs and "e820" for memmap= / type-12 ranges
 * (drivers/nvdimm/e820.c): those are DRAM, lost at power-off.
 */
static bool on_e820(const char *sysroot, const char *cls, dev_t dev)
{
	char link[PATH_MAX], real[PATH_MAX], buf[32], *bus, *end;

	snprintf(link, sizeof(link), "%s/sys/dev/%s/%u:%u", sysroot ? sysroot : "", cls, major(dev), minor(dev));
	if (!realpath(link, real) || !(bus = strstr(real, "/ndbus")))
		return false;
	end = strchr(bus + 1, '/');
	if (end)
		*end = '\0';
	if (snprintf(link, sizeof(link), "%s/provider", real) >= (int)sizeof(link))
		return false;
	{
		FILE *f = fopen(link, "r");
		bool e = f && fgets(buf, sizeof(buf), f) && !strncmp(buf, "e820", 4);

		if (f)
			fclose(f);
		return e;
	}
}

static void check_devdax(const struct stat *st, const struct vpmem_persist_opts *o,
			 struct vpmem_persist_report *rep)
{
	char buf[64];

	rep->kind = VPMEM_KIND_DEVDAX;
	rep->dax = true;
	if (!vpmem_sysfs_read(o->sysroot, buf, sizeof(buf), "/sys/dev/char/%u:%u/size", major(st->st_rdev),
		      minor(st->st_rdev)))
		rep->size = strtoull(buf, NULL, 10);
	if (!vpmem_sysfs_read(o->sysroot, buf, sizeof(buf), "/sys/dev/char/%u:%u/align", major(st->st_rdev),
		      minor(st->st_rdev)))
		rep->dax_align = strtoull(buf, NULL, 10);
	if (!vpmem_sysfs_read(o->sysroot, buf, sizeof(buf), "/sys/dev/char/%u:%u/device/numa_node",
		      major(st->st_rdev), minor(st->st_rdev)) ||
	    !vpmem_sysfs_read(o->sysroot, buf, sizeof(buf), "/sys/dev/char/%u:%u/numa_node",
		      major(st->st_rdev), minor(st->st_rdev)))
		rep->host_node = atoi(buf) >= 0 ? atoi(buf) : -1;
	if (on_e820(o->sysroot, "char", st->st_rdev))
		reason(rep, VPMEM_NOT_GUARANTEED, "use a real NVDIMM region (memmap= emulates PMem with DRAM)",
		       "the device is on a memmap= (e820) region: DRAM, lost at power-off");
}

static void check_file(const char *path, const struct stat *st, const struct vpmem_persist_opts *o,
		       struct vpmem_persist_report *rep)
{
	struct statfs sfs;
	struct statvfs svfs;
	struct statx stx;
	char a[32], b[32];

	rep->kind = VPMEM_KIND_FILE;
	rep->size = (uint64_t)st->st_size;
	rep->host_node = vpmem_host_node_of_blockdev(o->sysroot, major(st->st_dev), minor(st->st_dev));
	mount_info(o->sysroot, st->st_dev, rep->fstype, sizeof(rep->fstype), &rep->mount_dax);
	if (!statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX)) {
		rep->statx_dax_known = true;
		rep->statx_dax = !!(stx.stx_attributes & STATX_ATTR_DAX);
	}
	if (!statfs(path, &sfs)) {
		if ((unsigned long)sfs.f_type == TMPFS_MAGIC_ || (unsigned long)sfs.f_type == RAMFS_MAGIC_) {
			reason(rep, VPMEM_NOT_GUARANTEED,
			       "put the backing on a DAX filesystem or use a devdax device",
			       "%s is volatile: the file lives in host RAM and is gone at host reboot",
			       rep->fstype[0] ? rep->fstype : "tmpfs");
			return;
		}
		if ((unsigned long)sfs.f_type == HUGETLBFS_MAGIC_) {
			reason(rep, VPMEM_NOT_GUARANTEED,
			       "put the backing on a DAX filesystem or use a devdax device",
			       "hugetlbfs is volatile: huge pages live in host RAM");
			return;
		}
	}
	if (rep->size >= 4096) {
		rep->map_sync_tried = true;
		rep->map_sync = vpmem_map_sync_probe(path);
	}
	rep->dax = rep->statx_dax_known ? rep->statx_dax : rep->mount_dax;
	if (rep->map_sync)
		rep->dax = true;
	if (!rep->dax) {
		reason(rep, VPMEM_NOT_GUARANTEED,
		       "mount a DAX-capable filesystem with -o dax on persistent memory, or use --virtio-pmem (which flushes)",
		       "%s without DAX: guest writes stay in the host page cache and reach the disk only when written back",
		       rep->fstype[0] ? rep->fstype : "the filesystem");
	} else if (rep->map_sync_tried && !rep->map_sync) {
		reason(rep, VPMEM_NOT_GUARANTEED, "use a host kernel with MAP_SYNC (Linux 4.15+) for this filesystem",
		       "the file is DAX but mmap with MAP_SYNC failed, so QEMU cannot make writes durable by CPU flushes alone");
	}
	if (rep->dax && on_e820(o->sysroot, "block", st->st_dev))
		reason(rep, VPMEM_NOT_GUARANTEED, "use a real NVDIMM region (memmap= emulates PMem with DRAM)",
		       "the filesystem is on a memmap= (e820) region: DRAM, lost at power-off");
	if (rep->dax && !vpmem_is_aligned(rep->size, 2ULL << 20))
		reason(rep, VPMEM_GUARANTEED, "make the size a multiple of 2M",
		       "size %s is not a multiple of the 2M DAX alignment: no huge-page mappings",
		       vpmem_size_str(rep->size, a, sizeof(a)));
	if (!statvfs(path, &svfs)) {
		uint64_t allocated = (uint64_t)st->st_blocks * 512;
		uint64_t missing = rep->size > allocated ? rep->size - allocated : 0;

		rep->free_bytes = (uint64_t)svfs.f_bavail * svfs.f_frsize;
		if (missing > rep->free_bytes)
			reason(rep, VPMEM_NOT_GUARANTEED, "free space on the filesystem, or preallocate the file",
			       "the file is sparse with %s unallocated but only %s is free: guest writes can fail (QEMU gets SIGBUS)",
			       vpmem_size_human(missing, a, sizeof(a)), vpmem_size_human(rep->free_bytes, b, sizeof(b)));
	}
}

int vpmem_persist_check(const char *path, const struct vpmem_persist_opts *opts,
			struct vpmem_persist_report *rep, struct vpmem_err *err)
{
	static const struct vpmem_persist_opts defaults;
	const struct vpmem_persist_opts *o = opts ? opts : &defaults;
	struct stat st;
	char a[32], b[32];

	memset(rep, 0, sizeof(*rep));
	rep->host_node = -1;
	if (!path || !*path)
		return vpmem_err_set(err, EINVAL, "empty path");
	if (stat(path, &st)) {
		rep->kind = VPMEM_KIND_MISSING;
		if (errno == ENOENT)
			reason(rep, VPMEM_UNUSABLE, "create it (vpmem run creates backings in --pmem-dir)",
			       "it does not exist");
		else
			reason(rep, VPMEM_UNUSABLE, NULL, "cannot look at it: %s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		rep->kind = VPMEM_KIND_DIRECTORY;
		mount_info(o->sysroot, st.st_dev, rep->fstype, sizeof(rep->fstype), &rep->mount_dax);
		reason(rep, VPMEM_UNUSABLE, "give a file inside it (vpmem run --pmem-dir does that)",
		       "a directory as mem-path makes QEMU back the vNVDIMM with an unlinked temporary file: everything is lost when QEMU exits");
		return 0;
	}
	if (S_ISCHR(st.st_mode)) {
		char sub[PATH_MAX], link[PATH_MAX];
		ssize_t n;

		snprintf(sub, sizeof(sub), "%s/sys/dev/char/%u:%u/subsystem", o->sysroot ? o->sysroot : "",
			 major(st.st_rdev), minor(st.st_rdev));
		n = readlink(sub, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		if (n > 0 && (!strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link, "dax"))) {
			check_devdax(&st, o, rep);
		} else {
			rep->kind = VPMEM_KIND_CHAR;
			reason(rep, VPMEM_UNUSABLE, "use a devdax device (/dev/daxX.Y) or a file",
			       "a character device that is not device-dax cannot back a vNVDIMM");
			return 0;
		}
	} else if (S_ISBLK(st.st_mode)) {
		char sz[32];

		rep->kind = VPMEM_KIND_BLOCK;
		/* /sys/dev/block/M:m/size is in 512-byte sectors (block/genhd.c) */
		if (!vpmem_sysfs_read(o->sysroot, sz, sizeof(sz), "/sys/dev/block/%u:%u/size", major(st.st_rdev),
			      minor(st.st_rdev)))
			rep->size = strtoull(sz, NULL, 10) * 512;
		rep->host_node = vpmem_host_node_of_blockdev(o->sysroot, major(st.st_rdev), minor(st.st_rdev));
		reason(rep, VPMEM_NOT_GUARANTEED,
		       "reconfigure the namespace as devdax (ndctl create-namespace -m devdax) or mount it with -o dax and use a file on it",
		       "a block device as mem-path is mapped through the page cache, even a fsdax /dev/pmemX: no DAX, no MAP_SYNC");
	} else if (S_ISREG(st.st_mode)) {
		check_file(path, &st, o, rep);
	} else {
		rep->kind = VPMEM_KIND_OTHER;
		reason(rep, VPMEM_UNUSABLE, NULL, "neither a file nor a device");
		return 0;
	}
	if (o->want_size && rep->size && rep->size < o->want_size)
		reason(rep, VPMEM_UNUSABLE, "use a larger backing or ask for less",
		       "it is %s, smaller than the %s asked", vpmem_size_str(rep->size, a, sizeof(a)),
		       vpmem_size_str(o->want_size, b, sizeof(b)));
	else if (rep->size < VPMEM_REGION_ALIGN)
		reason(rep, VPMEM_UNUSABLE, "make it at least 16M",
		       "it is %s, too small for a vNVDIMM region (at least 16M)",
		       vpmem_size_str(rep->size, a, sizeof(a)));
	if (o->share_off)
		reason(rep, VPMEM_NOT_GUARANTEED, "use share=on (vpmem run always does)",
		       "share=off: the guest writes to a private copy-on-write copy that never reaches the backing");
	if (o->pmem_off && rep->dax)
		reason(rep, VPMEM_NOT_GUARANTEED, "set pmem=on on the memory backend",
		       "without pmem=on QEMU does not treat the backing as persistent (no MAP_SYNC, msync on migration)");
	return 0;
}
