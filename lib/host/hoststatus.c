// SPDX-License-Identifier: MIT
/*
 * The host's persistent memory as the kernel shows it; see hoststatus.h.
 * Sources: Documentation/ABI/testing/sysfs-bus-nvdimm and drivers/nvdimm
 * (region size, resource, numa_node, persistence_domain; namespace size and
 * mode; namespaceN.M/block/ for the pmem block device), drivers/dax/bus.c
 * (daxN.M size, align), drivers/firmware/memmap.c (memmap/N/{start,end,type};
 * "Persistent Memory" and "Persistent Memory (legacy)" are e820 types 7 and
 * 12, arch/x86/kernel/e820.c e820_type_to_string).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/file.h>
#include <vpmem/hoststatus.h>
#include <vpmem/sysfs.h>

/* <root><dir>/<name>/<attr> into @buf; false (and "") when unreadable. */
static bool attr(const char *root, const char *dir, const char *name, const char *a, char *buf, size_t len)
{
	if (vpmem_sysfs_read(root, buf, len, "%s/%s/%s", dir, name, a)) {
		buf[0] = '\0';
		return false;
	}
	return true;
}

static bool attr_u64(const char *root, const char *dir, const char *name, const char *a, uint64_t *v)
{
	char buf[64];

	if (!attr(root, dir, name, a, buf, sizeof(buf)))
		return false;
	*v = strtoull(buf, NULL, 0);
	return true;
}

/* The entries of <root><dir>, sorted, without dot files; -1 when absent. */
static int list_dir(const char *root, const char *dir, struct dirent ***ents)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, dir);
	*ents = NULL;
	return scandir(path, ents, NULL, alphasort);
}

static void free_dir(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

#define ND "/sys/bus/nd/devices"

static int read_region(const char *root, const char *name, struct dirent **ents, int n,
		       struct vpmem_host_region *r)
{
	char pfx[64], blkdir[PATH_MAX], buf[64];
	struct dirent **b;
	int nb;

	snprintf(r->dev, sizeof(r->dev), "%s", name);
	r->has_size = attr_u64(root, ND, name, "size", &r->size);
	r->has_resource = attr_u64(root, ND, name, "resource", &r->resource);
	if ((r->has_numa_node = attr(root, ND, name, "numa_node", buf, sizeof(buf))))
		r->numa_node = strtoll(buf, NULL, 0);
	attr(root, ND, name, "persistence_domain", r->persistence_domain, sizeof(r->persistence_domain));
	snprintf(pfx, sizeof(pfx), "namespace%s.", name + 6);
	for (int k = 0; k < n; k++) {
		const char *ns = ents[k]->d_name;
		struct vpmem_host_ns *x, *grown;

		if (strncmp(ns, pfx, strlen(pfx)))
			continue;
		grown = realloc(r->ns, (r->nns + 1) * sizeof(*r->ns));
		if (!grown)
			return -ENOMEM;
		r->ns = grown;
		x = memset(&r->ns[r->nns], 0, sizeof(*x));
		x->has_size = attr_u64(root, ND, ns, "size", &x->size);
		if (x->has_size && !x->size)
			continue; /* an idle seed */
		snprintf(x->dev, sizeof(x->dev), "%s", ns);
		attr(root, ND, ns, "mode", x->mode, sizeof(x->mode));
		r->nns++;
	}
	/* the block device of namespaceN.0 (what nd_e820 gives an emulated region) */
	snprintf(blkdir, sizeof(blkdir), "%s/namespace%s.0/block", ND, name + 6);
	nb = list_dir(root, blkdir, &b);
	for (int k = 0; k < nb; k++)
		if (b[k]->d_name[0] != '.')
			snprintf(r->blockdev, sizeof(r->blockdev), "%s", b[k]->d_name);
	free_dir(b, nb);
	return 0;
}

static int read_nd(const char *root, struct vpmem_host_status *st)
{
	struct dirent **ents;
	int n = list_dir(root, ND, &ents), r = 0;

	for (int i = 0; i < n && !r; i++) {
		struct vpmem_host_region *grown;

		if (strncmp(ents[i]->d_name, "region", 6))
			continue;
		grown = realloc(st->regions, (st->nregions + 1) * sizeof(*st->regions));
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		st->regions = grown;
		memset(&st->regions[st->nregions], 0, sizeof(*grown));
		r = read_region(root, ents[i]->d_name, ents, n, &st->regions[st->nregions]);
		st->nregions++;
	}
	free_dir(ents, n);
	return r;
}

static int read_devdax(const char *root, struct vpmem_host_status *st)
{
	static const char dir[] = "/sys/bus/dax/devices";
	struct dirent **ents;
	int n = list_dir(root, dir, &ents), r = 0;

	for (int i = 0; i < n; i++) {
		struct vpmem_host_devdax *d;

		if (ents[i]->d_name[0] == '.')
			continue;
		d = realloc(st->devdax, (st->ndevdax + 1) * sizeof(*d));
		if (!d) {
			r = -ENOMEM;
			break;
		}
		st->devdax = d;
		d = memset(&st->devdax[st->ndevdax++], 0, sizeof(*d));
		snprintf(d->dev, sizeof(d->dev), "%s", ents[i]->d_name);
		d->has_size = attr_u64(root, dir, ents[i]->d_name, "size", &d->size);
		d->has_align = attr_u64(root, dir, ents[i]->d_name, "align", &d->align);
	}
	free_dir(ents, n);
	return r;
}

static int read_memmap(const char *root, struct vpmem_host_status *st)
{
	static const char dir[] = "/sys/firmware/memmap";
	struct dirent **ents;
	int n = list_dir(root, dir, &ents), r = 0;

	for (int i = 0; i < n; i++) {
		struct vpmem_host_memmap *m, x = { 0 };

		if (ents[i]->d_name[0] == '.' || !attr(root, dir, ents[i]->d_name, "type", x.type, sizeof(x.type)) ||
		    !strstr(x.type, "Persistent Memory"))
			continue;
		attr(root, dir, ents[i]->d_name, "start", x.start, sizeof(x.start));
		attr(root, dir, ents[i]->d_name, "end", x.end, sizeof(x.end));
		m = realloc(st->memmap, (st->nmemmap + 1) * sizeof(*m));
		if (!m) {
			r = -ENOMEM;
			break;
		}
		st->memmap = m;
		st->memmap[st->nmemmap++] = x;
	}
	free_dir(ents, n);
	return r;
}

/* e820 type 12 as the running kernel has it: /proc/iomem (e820.c parses it) */
static int read_reserved(const char *root, struct vpmem_host_status *st)
{
	char path[PATH_MAX], *iomem;
	struct vpmem_e820_map *map;

	snprintf(path, sizeof(path), "%s/proc/iomem", root);
	iomem = vpmem_read_file(path, 1 << 20, NULL);
	if (!iomem)
		return 0;
	map = calloc(1, sizeof(*map));
	if (!map) {
		free(iomem);
		return -ENOMEM;
	}
	if (!vpmem_e820_parse(iomem, false, map, NULL))
		for (unsigned i = 0; i < map->n && st->nreserved < VPMEM_HOST_MAX_RESERVED; i++)
			if (map->r[i].type == VPMEM_E820_PRAM) {
				st->reserved[st->nreserved].start = map->r[i].start;
				st->reserved[st->nreserved].size = map->r[i].end - map->r[i].start + 1;
				st->nreserved++;
			}
	free(map);
	free(iomem);
	return 0;
}

int vpmem_host_status_read(const char *sysroot, struct vpmem_host_status *st, struct vpmem_err *err)
{
	const char *root = sysroot ? sysroot : "";
	char path[PATH_MAX];
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/proc/cmdline", root);
	st->cmdline = vpmem_read_file(path, 8192, NULL);
	r = read_reserved(root, st);
	if (!r)
		r = read_nd(root, st);
	if (!r)
		r = read_devdax(root, st);
	if (!r)
		r = read_memmap(root, st);
	return r ? vpmem_err_set(err, -r, "out of memory") : 0;
}

void vpmem_host_status_free(struct vpmem_host_status *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->nregions; i++)
		free(st->regions[i].ns);
	free(st->regions);
	free(st->devdax);
	free(st->memmap);
	free(st->cmdline);
	memset(st, 0, sizeof(*st));
}
