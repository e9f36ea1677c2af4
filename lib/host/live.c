// SPDX-License-Identifier: MIT
/*
 * Live regions through libndctl/libdaxctl (live.h). The create and destroy
 * sequences follow ndctl's own (pmem/ndctl ndctl/namespace.c):
 *   create:  seed = ndctl_region_get_namespace_seed(); set uuid, alt_name,
 *            size (labelled only); set_enforce_mode(mode); then a pfn / dax /
 *            btt seed gets uuid, location, align (sector: sector size),
 *            set_namespace and enable, or the namespace itself is enabled (raw)
 *            — setup_namespace()
 *   destroy: disable_safe; enforce raw; zero_info_block() (raw mode, write 8K
 *            of zeros at the start through the block device); labelled:
 *            ndctl_namespace_delete() — namespace_prep_reconfig/namespace_destroy
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/exec.h>
#include <vpmem/live.h>
#include <vpmem/size.h>

#include "host/ndctl.h"   /* libndctl/libdaxctl through dlopen: every call below */

/* Device types of <ndctl/ndctl.h> (the kernel's uapi ndctl.h); that header
 * cannot be included as Debian ships it (it needs ndctl's private ccan/). */
#define ND_DEVICE_REGION_PMEM 2
#define ND_DEVICE_NAMESPACE_IO 4
#define ND_DEVICE_NAMESPACE_PMEM 5

static enum vpmem_ns_map map_of(enum ndctl_pfn_loc loc)
{
	return loc == NDCTL_PFN_LOC_RAM ? VPMEM_MAP_MEM : VPMEM_MAP_DEV;
}

static enum vpmem_fs probe_dev(const char *dev)
{
	uint8_t buf[8192];
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return VPMEM_FS_NONE;
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	return n > 0 ? vpmem_fs_probe(buf, (size_t)n) : VPMEM_FS_NONE;
}

static void scan_ns(struct vpmem_live_region *r, struct ndctl_namespace *ndns)
{
	unsigned i = r->nns;
	struct vpmem_ns_info *n = &r->ns[i];
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	const char *s;

	memset(n, 0, sizeof(*n));
	r->blockdev[i][0] = r->chardev[i][0] = '\0';
	snprintf(r->nsdev[i], sizeof(r->nsdev[i]), "%s", ndctl_namespace_get_devname(ndns));
	n->index = ndctl_namespace_get_id(ndns);
	n->labelled = r->labelled;
	n->rawsize = ndctl_namespace_get_size(ndns);
	if (r->labelled) {
		ndctl_namespace_get_uuid(ndns, n->raw_uuid);
		s = ndctl_namespace_get_alt_name(ndns);
		snprintf(n->name, sizeof(n->name), "%s", s ? s : "");
	}
	if (dax) {
		struct daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);
		struct daxctl_dev *dev;

		n->mode = VPMEM_NS_DEVDAX;
		n->map = map_of(ndctl_dax_get_location(dax));
		n->align = (uint32_t)ndctl_dax_get_align(dax);
		n->size = ndctl_dax_get_size(dax);
		ndctl_dax_get_uuid(dax, n->uuid);
		n->has_uuid = true;
		daxctl_dev_foreach(dr, dev) {
			snprintf(r->chardev[i], sizeof(r->chardev[i]), "%s", daxctl_dev_get_devname(dev));
			break;
		}
	} else if (pfn) {
		n->mode = VPMEM_NS_FSDAX;
		n->map = map_of(ndctl_pfn_get_location(pfn));
		n->align = (uint32_t)ndctl_pfn_get_align(pfn);
		n->size = ndctl_pfn_get_size(pfn);
		n->sector_size = 512;
		ndctl_pfn_get_uuid(pfn, n->uuid);
		n->has_uuid = true;
		s = ndctl_pfn_get_block_device(pfn);
		snprintf(r->blockdev[i], sizeof(r->blockdev[i]), "%s", s ? s : "");
	} else if (btt) {
		n->mode = VPMEM_NS_SECTOR;
		n->sector_size = ndctl_btt_get_sector_size(btt);
		n->size = ndctl_btt_get_size(btt);
		ndctl_btt_get_uuid(btt, n->uuid);
		n->has_uuid = true;
		s = ndctl_btt_get_block_device(btt);
		snprintf(r->blockdev[i], sizeof(r->blockdev[i]), "%s", s ? s : "");
	} else {
		n->mode = VPMEM_NS_RAW;
		n->size = n->rawsize;
		n->sector_size = 512;
		s = ndctl_namespace_is_enabled(ndns) ? ndctl_namespace_get_block_device(ndns) : NULL;
		snprintf(r->blockdev[i], sizeof(r->blockdev[i]), "%s", s ? s : "");
	}
	r->fs[i] = r->blockdev[i][0] && (n->mode == VPMEM_NS_FSDAX || n->mode == VPMEM_NS_RAW)
		? probe_dev(r->blockdev[i]) : VPMEM_FS_NONE;
	r->nns++;
}

static int open_ctx(struct ndctl_ctx **ctx, struct vpmem_err *err)
{
	int r;

	if (!vpmem_ndctl_load(err))
		return -ENOSYS;
	r = ndctl_new(ctx);

	if (r)
		return vpmem_err_set(err, -r, "cannot open libndctl: %s", strerror(-r));
	return 0;
}

int vpmem_live_scan(struct vpmem_live *lv, struct vpmem_err *err)
{
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	int r = open_ctx(&ctx, err);

	memset(lv, 0, offsetof(struct vpmem_live, region));
	if (r)
		return r;
	ndctl_bus_foreach(ctx, bus) {
		ndctl_region_foreach(bus, region) {
			struct vpmem_live_region *lr;
			struct ndctl_namespace *ndns;
			struct ndctl_mapping *m;

			if (ndctl_region_get_type(region) != ND_DEVICE_REGION_PMEM ||
			    lv->nregions >= VPMEM_LIVE_MAX_REGIONS)
				continue;
			lr = &lv->region[lv->nregions++];
			memset(lr, 0, offsetof(struct vpmem_live_region, ns));
			snprintf(lr->dev, sizeof(lr->dev), "%s", ndctl_region_get_devname(region));
			snprintf(lr->provider, sizeof(lr->provider), "%s", ndctl_bus_get_provider(bus));
			lr->labelled = ndctl_region_get_nstype(region) == ND_DEVICE_NAMESPACE_PMEM;
			/* memmap= regions sit on the "e820" bus (drivers/nvdimm/e820.c) */
			lr->dram = !strcmp(lr->provider, "e820");
			lr->numa_node = ndctl_region_get_numa_node(region);
			lr->size = ndctl_region_get_size(region);
			ndctl_mapping_foreach(region, m) {
				struct ndctl_dimm *d = ndctl_mapping_get_dimm(m);

				if (d && lr->ndimms < 8)
					snprintf(lr->dimm[lr->ndimms++], sizeof(lr->dimm[0]), "%s", ndctl_dimm_get_devname(d));
			}
			ndctl_namespace_foreach(region, ndns) {
				if (!ndctl_namespace_get_size(ndns) || lr->nns >= VPMEM_LIVE_MAX_NS)
					continue;
				scan_ns(lr, ndns);
			}
		}
	}
	ndctl_unref(ctx);
	return 0;
}

int vpmem_live_select(const struct vpmem_live *lv, const char *name, const struct vpmem_layout *l,
		      struct vpmem_err *err)
{
	char names[256] = "";
	int hit = -1;
	unsigned n = 0;

	for (unsigned i = 0; i < lv->nregions; i++) {
		const struct vpmem_live_region *r = &lv->region[i];
		bool m = true;

		if (name)
			m = !strcmp(r->dev, name);
		else if (l && l->region[0])
			m = !strcmp(r->dev, l->region);
		if (m && !name && l && l->numa_node >= 0)
			m = r->numa_node == l->numa_node;
		if (m && !name && l && l->dimm[0]) {
			bool has = false;

			for (unsigned k = 0; k < r->ndimms; k++)
				has |= !strcmp(r->dimm[k], l->dimm);
			m = has;
		}
		if (strlen(names) + strlen(r->dev) + 3 < sizeof(names))
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", names[0] ? ", " : "", r->dev);
		if (m) {
			hit = (int)i;
			n++;
		}
	}
	if (!lv->nregions)
		return vpmem_err_set(err, ENODEV, "this machine has no pmem region (ndctl list -R shows none)");
	if (!n)
		return vpmem_err_set(err, ENODEV, "no region matches %s%s (regions: %s)", name ? name : "the layout's selection",
				     "", names);
	if (n > 1)
		return vpmem_err_set(err, EINVAL, "%u regions match (%s): pick one with --region or the layout's \"region\"",
				     n, names);
	return hit;
}

/* ---- applying ---- */

static struct ndctl_region *find_region(struct ndctl_ctx *ctx, const char *dev)
{
	struct ndctl_bus *bus;
	struct ndctl_region *region;

	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region)
			if (!strcmp(ndctl_region_get_devname(region), dev))
				return region;
	return NULL;
}

static struct ndctl_namespace *find_ns(struct ndctl_region *region, const char *dev)
{
	struct ndctl_namespace *ndns;

	ndctl_namespace_foreach(region, ndns)
		if (!strcmp(ndctl_namespace_get_devname(ndns), dev))
			return ndns;
	return NULL;
}

/* ndctl zero_info_block(): the first 8K through the raw block device */
static int zero_info(struct ndctl_namespace *ndns, struct vpmem_err *err)
{
	static uint8_t zeros[8192] __attribute__((aligned(4096)));
	const char *bdev;
	char path[64];
	int fd, r = 0;

	ndctl_namespace_set_raw_mode(ndns, 1);
	if (ndctl_namespace_enable(ndns) < 0) {
		ndctl_namespace_set_raw_mode(ndns, 0);
		return 0; /* as ndctl: continue */
	}
	bdev = ndctl_namespace_get_block_device(ndns);
	snprintf(path, sizeof(path), "/dev/%s", bdev ? bdev : "?");
	fd = open(path, O_RDWR | O_DIRECT | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		r = vpmem_err_set(err, errno, "%s: cannot open %s to zero its info block: %s",
				  ndctl_namespace_get_devname(ndns), path, strerror(errno));
	else if (pwrite(fd, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros))
		r = vpmem_err_set(err, EIO, "%s: cannot zero its info block", ndctl_namespace_get_devname(ndns));
	if (fd >= 0)
		close(fd);
	ndctl_namespace_set_raw_mode(ndns, 0);
	ndctl_namespace_disable_invalidate(ndns);
	return r;
}

static int destroy(struct ndctl_region *region, const char *dev, bool labelled, struct vpmem_err *err)
{
	struct ndctl_namespace *ndns = find_ns(region, dev);
	int r;

	if (!ndns)
		return vpmem_err_set(err, ENOENT, "%s went away", dev);
	r = ndctl_namespace_disable_safe(ndns);
	if (r)
		return vpmem_err_set(err, -r, "%s: cannot disable it (mounted or in use?): %s", dev, strerror(-r));
	ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
	r = zero_info(ndns, err);
	if (r)
		return r;
	if (labelled && (r = ndctl_namespace_delete(ndns)))
		return vpmem_err_set(err, -r, "%s: cannot delete it: %s", dev, strerror(-r));
	return 0;
}

#define TRY(call, what)                                                                              \
	do {                                                                                         \
		int rc_ = (call);                                                                    \
		if (rc_)                                                                             \
			return vpmem_err_set(err, rc_ < 0 ? -rc_ : EIO, "%s: %s: %s", who, what,    \
					     strerror(rc_ < 0 ? -rc_ : EIO));                        \
	} while (0)

static int create(struct ndctl_region *region, struct ndctl_namespace *ndns, const struct vpmem_layout_ns *e,
		  uint64_t size, struct vpmem_err *err)
{
	const char *who = e->name[0] ? e->name : ndctl_region_get_devname(region);
	struct vpmem_ns_req q;
	enum ndctl_pfn_loc loc;
	uuid_t uuid;

	vpmem_layout_ns_req(e, &q);
	loc = q.map == VPMEM_MAP_MEM ? NDCTL_PFN_LOC_RAM : NDCTL_PFN_LOC_PMEM;
	if (ndctl_namespace_get_type(ndns) != ND_DEVICE_NAMESPACE_IO) {
		if (e->uuid_set)
			memcpy(uuid, e->uuid, 16);
		else
			uuid_generate(uuid);
		TRY(ndctl_namespace_set_uuid(ndns, uuid), "set uuid");
		TRY(ndctl_namespace_set_alt_name(ndns, e->name), "set name");
		TRY(ndctl_namespace_set_size(ndns, size), "set size");
	}
	uuid_generate(uuid);
	switch (q.mode) {
	case VPMEM_NS_FSDAX: {
		struct ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);

		ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_FSDAX);
		if (!pfn)
			return vpmem_err_set(err, ENXIO, "%s: the region has no pfn seed (fsdax unsupported?)", who);
		TRY(ndctl_pfn_set_uuid(pfn, uuid), "pfn uuid");
		TRY(ndctl_pfn_set_location(pfn, loc), "pfn map");
		if (ndctl_pfn_has_align(pfn))
			TRY(ndctl_pfn_set_align(pfn, q.align), "pfn align");
		TRY(ndctl_pfn_set_namespace(pfn, ndns), "pfn namespace");
		if (ndctl_pfn_enable(pfn)) {
			ndctl_pfn_set_namespace(pfn, NULL);
			return vpmem_err_set(err, EIO, "%s: the kernel refused to enable fsdax", who);
		}
		return 0;
	}
	case VPMEM_NS_DEVDAX: {
		struct ndctl_dax *dax = ndctl_region_get_dax_seed(region);

		ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_DEVDAX);
		if (!dax)
			return vpmem_err_set(err, ENXIO, "%s: the region has no dax seed (devdax unsupported?)", who);
		TRY(ndctl_dax_set_uuid(dax, uuid), "dax uuid");
		TRY(ndctl_dax_set_location(dax, loc), "dax map");
		TRY(ndctl_dax_set_align(dax, q.align), "dax align");
		TRY(ndctl_dax_set_namespace(dax, ndns), "dax namespace");
		if (ndctl_dax_enable(dax)) {
			ndctl_dax_set_namespace(dax, NULL);
			return vpmem_err_set(err, EIO, "%s: the kernel refused to enable devdax", who);
		}
		return 0;
	}
	case VPMEM_NS_SECTOR: {
		struct ndctl_btt *btt = ndctl_region_get_btt_seed(region);

		ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_SECTOR);
		if (!btt)
			return vpmem_err_set(err, ENXIO, "%s: the region has no btt seed (sector unsupported?)", who);
		TRY(ndctl_btt_set_uuid(btt, uuid), "btt uuid");
		TRY(ndctl_btt_set_sector_size(btt, q.sector_size), "btt sector size");
		TRY(ndctl_btt_set_namespace(btt, ndns), "btt namespace");
		if (ndctl_btt_enable(btt))
			return vpmem_err_set(err, EIO, "%s: the kernel refused to enable sector mode", who);
		return 0;
	}
	case VPMEM_NS_RAW:
		ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
		TRY(ndctl_namespace_enable(ndns), "enable");
		return 0;
	}
	return 0;
}

int vpmem_live_mounted(const char *dev, const char *dir)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	char path[64];
	int found = 0;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_fsname, path) && !strcmp(m->mnt_dir, dir) && strstr(m->mnt_opts, "dax"))
			found = 1;
	if (f)
		endmntent(f);
	return found;
}

int vpmem_live_mount(const char *dev, const char *dir, enum vpmem_fs fs, struct vpmem_err *err)
{
	char path[64], *p = strdup(dir);

	if (!p)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
	free(p);
	snprintf(path, sizeof(path), "/dev/%s", dev);
	if (mount(path, dir, fs == VPMEM_FS_XFS ? "xfs" : "ext4", 0, "dax"))
		return vpmem_err_set(err, errno, "cannot mount %s on '%s' with -o dax: %s", path, dir, strerror(errno));
	return 0;
}

static int mkfs(const char *dev, enum vpmem_fs fs, struct vpmem_err *err)
{
	char path[64], *out = NULL;
	int st = 0, r;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	{
		char *ext4[] = { (char *)"mkfs.ext4", (char *)"-q", (char *)"-F", (char *)"-b", (char *)"4096", path, NULL };
		char *xfs[] = { (char *)"mkfs.xfs", (char *)"-q", (char *)"-f", (char *)"-b", (char *)"size=4096",
				(char *)"-m", (char *)"reflink=0", path, NULL };

		r = vpmem_exec_capture(fs == VPMEM_FS_XFS ? xfs : ext4, NULL, 600, &out, &st, err);
	}
	if (!r && st) {
		char *nl = out ? strchr(out, '\n') : NULL;

		if (nl)
			*nl = '\0';
		r = vpmem_err_set(err, EIO, "mkfs on %s failed (status %d): %s", path, st, out && *out ? out : "no output");
	}
	free(out);
	return r;
}

/* The block device of the live namespace named like layout entry @e (after creation). */
static int blockdev_of(const char *regdev, const struct vpmem_layout_ns *e, const char *nsdev, char *bdev,
		       size_t len, struct vpmem_err *err)
{
	struct vpmem_live *lv = malloc(sizeof(*lv));
	int r;

	if (!lv)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	r = vpmem_live_scan(lv, err);
	bdev[0] = '\0';
	for (unsigned i = 0; !r && i < lv->nregions; i++) {
		const struct vpmem_live_region *lr = &lv->region[i];

		if (strcmp(lr->dev, regdev))
			continue;
		for (unsigned k = 0; k < lr->nns; k++)
			if ((e->name[0] && lr->labelled && !strcmp(lr->ns[k].name, e->name)) ||
			    (nsdev && !strcmp(lr->nsdev[k], nsdev)) || (!lr->labelled && !nsdev))
				snprintf(bdev, len, "%s", lr->blockdev[k]);
	}
	free(lv);
	if (!r && !bdev[0])
		r = vpmem_err_set(err, ENOENT, "%s: no block device after it was made", e->name[0] ? e->name : regdev);
	return r;
}

int vpmem_live_apply(const struct vpmem_live_region *lr, const struct vpmem_layout *l,
		     const struct vpmem_lplan *lp, struct vpmem_err *err)
{
	struct ndctl_ctx *ctx;
	struct ndctl_region *region;
	int r = open_ctx(&ctx, err);

	if (r)
		return r;
	region = find_region(ctx, lr->dev);
	if (!region) {
		ndctl_unref(ctx);
		return vpmem_err_set(err, ENODEV, "%s went away", lr->dev);
	}
	/* 1. destroys and the destroy half of re-makes */
	for (unsigned i = 0; !r && i < lp->nsteps; i++) {
		const struct vpmem_lstep *s = &lp->step[i];

		if (s->kind == VPMEM_LSTEP_DESTROY || s->kind == VPMEM_LSTEP_REMAKE)
			r = destroy(region, lr->nsdev[s->have], lr->labelled, err);
	}
	/* 2. creates: sized ones in layout order, then the one taking the rest */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; !r && i < lp->nsteps; i++) {
			const struct vpmem_lstep *s = &lp->step[i];
			const struct vpmem_layout_ns *e;
			struct ndctl_namespace *ndns;
			uint64_t size;

			if (s->kind != VPMEM_LSTEP_CREATE && s->kind != VPMEM_LSTEP_REMAKE)
				continue;
			e = &l->ns[s->want];
			if ((e->size == 0) != (pass == 1))
				continue;
			if (lr->labelled) {
				ndns = ndctl_region_get_namespace_seed(region);
				size = e->size ? e->size : ndctl_region_get_max_available_extent(region);
				if (!ndns || !size)
					r = vpmem_err_set(err, ENOSPC, "%s: no room left in %s", e->name, lr->dev);
			} else {
				/* the one namespace: as ndctl create-namespace -f -e (reconfigure) */
				ndns = find_ns(region, lr->nsdev[0]);
				size = 0;
				if (!ndns)
					r = vpmem_err_set(err, ENOENT, "%s has no namespace", lr->dev);
				else if (s->kind == VPMEM_LSTEP_CREATE)
					r = destroy(region, lr->nsdev[0], false, err);
			}
			if (!r)
				r = create(region, ndns, e, size, err);
			if (!r && s->mkfs) {
				char bdev[32];

				r = blockdev_of(lr->dev, e, lr->labelled ? NULL : lr->nsdev[0], bdev, sizeof(bdev), err);
				if (!r)
					r = mkfs(bdev, e->fs, err);
			}
		}
	/* 3. filesystems on kept namespaces (--force) */
	for (unsigned i = 0; !r && i < lp->nsteps; i++) {
		const struct vpmem_lstep *s = &lp->step[i];

		if (s->kind == VPMEM_LSTEP_MKFS)
			r = mkfs(lr->blockdev[s->have], l->ns[s->want].fs, err);
	}
	ndctl_unref(ctx);
	return r;
}

struct vpmem_live *vpmem_live_new(void)
{
	return calloc(1, sizeof(struct vpmem_live));
}

void vpmem_live_free(struct vpmem_live *lv)
{
	free(lv);
}
