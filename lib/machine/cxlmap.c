// SPDX-License-Identifier: MIT
/*
 * vpmem map for CXL type-3 devices (hostmap.h): host memory/label files <->
 * guest memN, by the device serial, never by enumeration order.
 *
 * Host: QEMU's `-device cxl-type3,memdev=M,lsa=L,sn=S` (cxl.h): the memory
 * and label backends' mem-paths and the serial S.
 * Guest: the serial of each memdev, as `cxl list -M` prints it ("serial", a
 * decimal number) or sysfs has it (/sys/bus/cxl/devices/memN/serial, hex:
 * drivers/cxl/core/memdev.c serial_show). The id both sides are joined on is
 * the serial in decimal.
 * From sysfs also the memdev's libnvdimm region and namespaces, by identity:
 * a CXL region's targets are endpoint decoders (regionK/targetT =
 * decoderE.D), the port endpointE's "uport" is the memdev; the libnvdimm region that
 * cxl_pmem_region_probe makes for it has the CXL region's address range
 * (drivers/cxl/pmem.c: res->start = hpa_range.start), so the two share
 * /sys/…/resource.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/hostmap.h>
#include <vpmem/image.h>
#include <vpmem/sysfs.h>

#include "machine/cxlmap.h"

#define CXL_BUS "/sys/bus/cxl/devices"
#define ND_BUS "/sys/bus/nd/devices"

void vpmem_cxl_guest_id(uint64_t serial, char *out, size_t len)
{
	snprintf(out, len, "%" PRIu64, serial);
}

int vpmem_cxl_host_add(struct vpmem_host *h, const char *devid, const char *mem_path, const char *lsa_path,
		       const char *sn, struct vpmem_err *err)
{
	struct vpmem_host_dev *d;
	char *end;
	uint64_t serial;

	errno = 0;
	serial = sn ? strtoull(sn, &end, 0) : 0;
	if (!sn || errno || end == sn || *end || *sn == '-' || !serial)
		return vpmem_err_set(err, EINVAL,
				     "-device cxl-type3%s%s: %s: the guest cannot be matched to it (and Linux refuses its pmem region)",
				     devid[0] ? ",id=" : "", devid, sn ? "bad sn=" : "no sn=");
	if (h->n >= VPMEM_MAP_MAX)
		return vpmem_err_set(err, E2BIG, "too many devices");
	d = &h->d[h->n++];
	memset(d, 0, sizeof(*d));
	d->kind = VPMEM_HOST_CXL;
	d->slot = d->node = -1;
	d->serial = serial;
	snprintf(d->devid, sizeof(d->devid), "%s", devid);
	snprintf(d->path, sizeof(d->path), "%s", mem_path);
	snprintf(d->lsa, sizeof(d->lsa), "%s", lsa_path ? lsa_path : "");
	vpmem_cxl_guest_id(serial, d->expect_id, sizeof(d->expect_id));
	return 0;
}

void vpmem_cxl_host_check(struct vpmem_host *h, const struct vpmem_host_dev *d)
{
	struct vpmem_region_info ri;
	size_t l = strlen(d->path);

	/* a CXL image (FILE + FILE.lsa) whose labels carry another serial: the
	 * guest ignores its namespaces (the cookie is the serial's) */
	if (strncmp(d->lsa, d->path, l) || strcmp(d->lsa + l, VPMEM_CXL_LSA_SUFFIX) ||
	    vpmem_image_list(d->path, NULL, &ri, NULL))
		return;
	if (ri.cxl && ri.labelled && !strcmp(ri.serial_source, "labels") && ri.cxl_serial != d->serial &&
	    h->nproblems < sizeof(h->problems) / sizeof(h->problems[0]))
		snprintf(h->problems[h->nproblems++], sizeof(h->problems[0]),
			 "'%s' holds labels for serial %#" PRIx64 " but is attached with sn=%#" PRIx64 ": the guest ignores its namespaces",
			 d->path, ri.cxl_serial, d->serial);
	vpmem_region_free(&ri);
}

int vpmem_cxl_guest_json(json_object *arr, struct vpmem_guest_view *g, struct vpmem_err *err)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *m, *s;
		struct vpmem_guest_dimm *d;

		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "memdev", &m) ||
		    !json_object_object_get_ex(o, "serial", &s) || !json_object_is_type(m, json_type_string) ||
		    !json_object_is_type(s, json_type_int))
			return vpmem_err_set(err, EINVAL, "memdev %zu has no \"memdev\" and \"serial\" (use cxl list -M output)", i);
		if (g->n >= VPMEM_MAP_MAX)
			return vpmem_err_set(err, E2BIG, "more than %d memdevs in the guest JSON", VPMEM_MAP_MAX);
		d = &g->d[g->n++];
		memset(d, 0, sizeof(*d));
		d->handle = -1;
		snprintf(d->dev, sizeof(d->dev), "%s", json_object_get_string(m));
		vpmem_cxl_guest_id((uint64_t)json_object_get_uint64(s), d->id, sizeof(d->id));
	}
	return 0;
}

/* Entries of @bus: "prefixN" (a number after the prefix), or all for "". */
static int names(const char *root, const char *bus, const char *prefix, struct dirent ***ents)
{
	size_t l = strlen(prefix);
	char dir[PATH_MAX];
	int n, k = 0;

	snprintf(dir, sizeof(dir), "%s%s", root, bus);
	n = scandir(dir, ents, NULL, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct dirent *e = (*ents)[i];
		bool keep = e->d_name[0] != '.' &&
			    (!l || (!strncmp(e->d_name, prefix, l) && e->d_name[l] >= '0' && e->d_name[l] <= '9'));

		if (keep)
			(*ents)[k++] = e;
		else
			free(e);
	}
	return k;
}

static void free_names(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/*
 * The memdev an endpoint decoder belongs to. decoderE.D is a decoder of the
 * port endpointE, whose "uport" link points at its memdev (drivers/cxl/core/
 * port.c: every port links its upstream device as "uport"; an endpoint port's
 * is the memdev). The endpoint port itself sits below the CXL port hierarchy,
 * not below the memdev.
 */
static void memdev_of_decoder(const char *root, const char *decoder, char *out, size_t len)
{
	char p[PATH_MAX], link[PATH_MAX], *base;
	unsigned e, d;
	ssize_t n;

	out[0] = '\0';
	if (sscanf(decoder, "decoder%u.%u", &e, &d) != 2)
		return;
	snprintf(p, sizeof(p), "%s%s/endpoint%u/uport", root, CXL_BUS, e);
	n = readlink(p, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (!strncmp(base, "mem", 3) && base[3] >= '0' && base[3] <= '9')
		snprintf(out, len, "%s", base);
}

/* The libnvdimm region at the CXL region's address, its nmem, its namespaces. */
static void nd_region(const char *root, const char *resource, struct vpmem_guest_dimm *d)
{
	struct dirent **ents = NULL;
	int n = names(root, ND_BUS, "", &ents);
	char v[256];

	for (int i = 0; i < n; i++) {
		const char *r = ents[i]->d_name;

		if (strncmp(r, "region", 6) || vpmem_sysfs_read(root, v, sizeof(v), ND_BUS "/%s/resource", r) ||
		    strtoull(v, NULL, 0) != strtoull(resource, NULL, 0))
			continue;
		snprintf(d->region, sizeof(d->region), "%s", r);
		if (!vpmem_sysfs_read(root, v, sizeof(v), ND_BUS "/%s/mapping0", r)) {
			v[strcspn(v, ",")] = '\0';
			snprintf(d->dev + strlen(d->dev), sizeof(d->dev) - strlen(d->dev), "/%s", v);
		}
		for (int j = 0; j < n; j++) {
			const char *ns = ents[j]->d_name;
			char pfx[64], size[32], blk[PATH_MAX];
			struct vpmem_guest_ns *x;
			DIR *dir;
			struct dirent *e;

			snprintf(pfx, sizeof(pfx), "namespace%s.", r + 6);
			if (strncmp(ns, pfx, strlen(pfx)) || vpmem_sysfs_read(root, size, sizeof(size), ND_BUS "/%s/size", ns) ||
			    !strcmp(size, "0") || d->nns >= sizeof(d->ns) / sizeof(d->ns[0]))
				continue;
			x = &d->ns[d->nns++];
			memset(x, 0, sizeof(*x));
			snprintf(x->dev, sizeof(x->dev), "%s", ns);
			if (vpmem_sysfs_read(root, x->mode, sizeof(x->mode), ND_BUS "/%s/mode", ns))
				snprintf(x->mode, sizeof(x->mode), "raw");
			/* the block device of the namespace or of the btt/pfn claiming it */
			for (int c = 0; c < n && !x->node[0]; c++) {
				const char *cl = ents[c]->d_name;
				char owner[64];

				if (strcmp(cl, ns) && (vpmem_sysfs_read(root, owner, sizeof(owner), ND_BUS "/%s/namespace", cl) ||
						       strcmp(owner, ns)))
					continue;
				snprintf(blk, sizeof(blk), "%s" ND_BUS "/%s/block", root, cl);
				dir = opendir(blk);
				while (dir && (e = readdir(dir)))
					if (e->d_name[0] != '.')
						snprintf(x->node, sizeof(x->node), "%s", e->d_name);
				if (dir)
					closedir(dir);
				if (!x->node[0] && !strncmp(cl, "dax", 3))
					snprintf(x->node, sizeof(x->node), "%s", cl);
			}
		}
	}
	if (n >= 0)
		free_names(ents, n);
}

int vpmem_cxl_guest_sysfs(const char *sysroot, struct vpmem_guest_view *g, struct vpmem_err *err)
{
	const char *root = sysroot ? sysroot : "";
	struct dirent **mems = NULL, **regs = NULL;
	int nm = names(root, CXL_BUS, "mem", &mems), nr;
	unsigned first = g->n;
	char v[256];

	if (nm <= 0) {
		if (nm == 0)
			free(mems);
		return 0; /* no CXL here */
	}
	for (int i = 0; i < nm; i++) {
		struct vpmem_guest_dimm *d;
		char *end;
		uint64_t sn;

		if (vpmem_sysfs_read(root, v, sizeof(v), CXL_BUS "/%s/serial", mems[i]->d_name))
			continue;
		errno = 0;
		sn = strtoull(v, &end, 0);
		if (errno || end == v)
			continue;
		if (g->n >= VPMEM_MAP_MAX) {
			free_names(mems, nm);
			return vpmem_err_set(err, E2BIG, "more than %d devices under %s%s", VPMEM_MAP_MAX, root, CXL_BUS);
		}
		d = &g->d[g->n++];
		memset(d, 0, sizeof(*d));
		d->handle = -1;
		snprintf(d->dev, sizeof(d->dev), "%s", mems[i]->d_name);
		vpmem_cxl_guest_id(sn, d->id, sizeof(d->id));
	}
	free_names(mems, nm);
	nr = names(root, CXL_BUS, "region", &regs);
	for (int i = 0; i < nr; i++) {
		const char *r = regs[i]->d_name;
		char res[64], dec[64], mem[32];
		long ways;

		if (vpmem_sysfs_read(root, v, sizeof(v), CXL_BUS "/%s/interleave_ways", r) ||
		    vpmem_sysfs_read(root, res, sizeof(res), CXL_BUS "/%s/resource", r))
			continue;
		ways = strtol(v, NULL, 10);
		for (long t = 0; t < ways && t < 16; t++) {
			if (vpmem_sysfs_read(root, dec, sizeof(dec), CXL_BUS "/%s/target%ld", r, t))
				continue;
			memdev_of_decoder(root, dec, mem, sizeof(mem));
			for (unsigned k = first; k < g->n; k++)
				if (!strcmp(g->d[k].dev, mem) && ways == 1)
					nd_region(root, res, &g->d[k]);
		}
	}
	if (nr >= 0)
		free_names(regs, nr);
	return 0;
}
