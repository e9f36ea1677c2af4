// SPDX-License-Identifier: MIT
/* Host <-> guest NVDIMM identity; facts and sources in include/vpmem/hostmap.h.
 * The host side is parsed in qemu.c, libvirt.c and vmware.c; here: what the
 * backings say of their slot, the guest views (ndctl JSON, sysfs), the join. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <vpmem/hostmap.h>
#include <vpmem/image.h>
#include <vpmem/input.h>
#include <vpmem/nfit.h>
#include <vpmem/sysfs.h>

#include "machine/cxlmap.h"
#include "util/msg.h"

struct vpmem_host *vpmem_host_new(void)
{
	return calloc(1, sizeof(struct vpmem_host));
}

void vpmem_host_free(struct vpmem_host *h)
{
	free(h);
}

struct vpmem_guest_view *vpmem_guest_view_new(void)
{
	return calloc(1, sizeof(struct vpmem_guest_view));
}

void vpmem_guest_view_free(struct vpmem_guest_view *g)
{
	free(g);
}

/* ---- what the backings say ---- */

static void check_image_slot(struct vpmem_host *h, const struct vpmem_host_dev *d)
{
	struct vpmem_image_hints hints = { .slot = -1 };
	struct vpmem_region_info *ri;
	struct stat st;
	int fd;

	/* a mem-path that is there but cannot keep the guest's memory is said,
	 * never opened (a FIFO would block): QEMU mmaps a regular file or a
	 * device; given a directory it makes a temporary file there and unlinks
	 * it at once (qemu/qemu system/physmem.c file_ram_open, EISDIR) */
	if (stat(d->path, &st)) {
		/* not there (yet): nothing to say of it */
	} else if (S_ISDIR(st.st_mode)) {
		MSG_ADD(h->problems, &h->nproblems, "'%s' is a directory: QEMU backs the memory with a temporary file it deletes at once, so nothing the guest writes persists",
			 d->path);
		return;
	} else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode)) {
		MSG_ADD(h->problems, &h->nproblems, "'%s' is %s, not a regular file or a device: it cannot back guest memory",
			 d->path, vpmem_file_kind(st.st_mode));
		return;
	}
	if (d->slot < 0)
		return;
	/* a mem-path may be a FIFO or a device: never open what is not a file */
	fd = vpmem_open_input(d->path, O_RDONLY, VPMEM_IN_REG, "backing", NULL);
	if (fd < 0)
		return;
	ri = calloc(1, sizeof(*ri));
	if (ri && !vpmem_region_read(fd, &hints, ri, NULL) && ri->labelled &&
	    !strcmp(ri->slot_source, "labels") && ri->slot != d->slot)
		MSG_ADD(h->problems, &h->nproblems, "'%s' carries labels made for slot %d but is plugged into slot %d: the guest ignores them (plug it into slot %d)",
			 d->path, ri->slot, d->slot, ri->slot);
	if (ri)
		vpmem_region_free(ri);
	free(ri);
	close(fd);
}

void vpmem_host_check_images(struct vpmem_host *h)
{
	for (unsigned i = 0; i < h->n; i++)
		if (h->d[i].kind == VPMEM_HOST_QEMU || h->d[i].kind == VPMEM_HOST_LIBVIRT)
			check_image_slot(h, &h->d[i]);
		else if (h->d[i].kind == VPMEM_HOST_CXL)
			vpmem_cxl_host_check(h, &h->d[i]); /* cxlmap.c */
}

/* ---- guest views ---- */

/* json-c asserts on a wrong type (json_object_array_length of a number):
 * every access below goes through these, which check the type first. */
static size_t jarr_len(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static json_object *jarr_at(json_object *a, size_t i)
{
	return i < jarr_len(a) ? json_object_array_get_idx(a, i) : NULL;
}

static bool jget(json_object *o, const char *key, json_object **v)
{
	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, v);
}

/* a string member (numbers are printed); false when absent or of another type */
static bool jstr(json_object *o, const char *key, char *out, size_t len)
{
	json_object *v;

	if (!jget(o, key, &v) || !(json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int)))
		return false;
	snprintf(out, len, "%s", json_object_get_string(v));
	return true;
}

static int add_ns_json(struct vpmem_guest_dimm *d, json_object *ns)
{
	json_object *v, *devs;
	struct vpmem_guest_ns *g;

	if (!json_object_is_type(ns, json_type_object))
		return -EINVAL;
	if (d->nns >= sizeof(d->ns) / sizeof(d->ns[0]))
		return -E2BIG;
	g = &d->ns[d->nns++];
	memset(g, 0, sizeof(*g));
	jstr(ns, "dev", g->dev, sizeof(g->dev));
	jstr(ns, "mode", g->mode, sizeof(g->mode));
	if (!jstr(ns, "blockdev", g->node, sizeof(g->node)) && !jstr(ns, "chardev", g->node, sizeof(g->node)) &&
	    jget(ns, "daxregion", &v) && jget(v, "devices", &devs))
		jstr(jarr_at(devs, 0), "chardev", g->node, sizeof(g->node));
	return 0;
}

static int add_dimm_json(struct vpmem_guest_view *g, json_object *o)
{
	json_object *v;
	struct vpmem_guest_dimm *d;

	if (!jget(o, "id", &v) || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	if (g->n >= VPMEM_MAP_MAX)
		return -E2BIG;
	d = &g->d[g->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", json_object_get_string(v));
	jstr(o, "dev", d->dev, sizeof(d->dev));
	{
		char h[32];

		d->handle = jstr(o, "handle", h, sizeof(h)) ? (int)strtol(h, NULL, 0) : -1;
	}
	return 0;
}

static int guest_json(json_object *o, struct vpmem_guest_view *g, struct vpmem_err *err)
{
	json_object *dimms = NULL, *regions = NULL;
	int r;

	if (json_object_is_type(o, json_type_array) && json_object_array_length(o) &&
	    json_object_object_get_ex(json_object_array_get_idx(o, 0), "memdev", NULL)) {
		r = vpmem_cxl_guest_json(o, g, err); /* `cxl list -M` (cxlmap.c) */
		if (r)
			return r;
	} else if (json_object_is_type(o, json_type_array)) {
		dimms = o;
	} else if (json_object_is_type(o, json_type_object)) {
		if (!jget(o, "dimms", &dimms)) {
			r = add_dimm_json(g, o);
			if (r)
				return vpmem_err_set(err, EINVAL, "JSON without dimms (use ndctl list -D or -DRN)");
		} else if (!json_object_is_type(dimms, json_type_array)) {
			return vpmem_err_set(err, EINVAL, "\"dimms\" is not an array (use ndctl list -D or -DRN output)");
		}
		if (jget(o, "regions", &regions) && !json_object_is_type(regions, json_type_array))
			return vpmem_err_set(err, EINVAL, "\"regions\" is not an array (use ndctl list -DRN output)");
	} else {
		return vpmem_err_set(err, EINVAL, "JSON that is neither an array nor an object (use ndctl list -D output)");
	}
	for (size_t i = 0; i < jarr_len(dimms); i++) {
		r = add_dimm_json(g, jarr_at(dimms, i));
		if (r == -E2BIG)
			return vpmem_err_set(err, E2BIG, "more than %d DIMMs in the guest JSON", VPMEM_MAP_MAX);
		if (r)
			return vpmem_err_set(err, EINVAL, "dimm %zu has no \"id\" string (use ndctl list -D output)", i);
	}
	for (size_t i = 0; i < jarr_len(regions); i++) {
		json_object *reg = jarr_at(regions, i), *maps, *nss;
		char dimm[64];

		if (!jget(reg, "mappings", &maps) || !jstr(jarr_at(maps, 0), "dimm", dimm, sizeof(dimm)))
			continue;
		for (unsigned k = 0; k < g->n; k++) {
			if (strcmp(g->d[k].dev, dimm))
				continue;
			jstr(reg, "dev", g->d[k].region, sizeof(g->d[k].region));
			if (jget(reg, "namespaces", &nss))
				for (size_t n = 0; n < jarr_len(nss); n++) {
					r = add_ns_json(&g->d[k], jarr_at(nss, n));
					if (r == -E2BIG)
						return vpmem_err_set(err, E2BIG, "more than %zu namespaces on %s in the guest JSON",
								     sizeof(g->d[k].ns) / sizeof(g->d[k].ns[0]), dimm);
					if (r)
						return vpmem_err_set(err, EINVAL, "namespace %zu of region %zu is not an object",
								     n, i);
				}
		}
	}
	if (!g->n)
		return vpmem_err_set(err, ENODEV, "no DIMMs in the guest JSON");
	return 0;
}

int vpmem_guest_from_json(const char *text, struct vpmem_guest_view *g, struct vpmem_err *err)
{
	json_object *o;
	int r;

	memset(g, 0, sizeof(*g));
	o = json_tokener_parse(text);
	if (!o)
		return vpmem_err_set(err, EINVAL, "not JSON (expected ndctl list -D or -DRN output)");
	r = guest_json(o, g, err);
	json_object_put(o);
	return r;
}

static int rd(const char *root, const char *rel, const char *name, const char *attr, char *out, size_t len)
{
	return vpmem_sysfs_read(root, out, len, "%s/%s/%s", rel, name, attr);
}

static void first_entry(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = '\0';
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(out, len, "%s", e->d_name);
			break;
		}
	if (d)
		closedir(d);
}

int vpmem_guest_from_sysfs(const char *sysroot, struct vpmem_guest_view *g, struct vpmem_err *err)
{
	const char *root = sysroot ? sysroot : "";
	const char *bus = "/sys/bus/nd/devices";
	char dir[4096], v[256];
	struct dirent **ents = NULL;
	int n;

	unsigned over = 0;

	memset(g, 0, sizeof(*g));
	snprintf(dir, sizeof(dir), "%s%s", root, bus);
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return vpmem_err_set(err, ENOENT, "no %s (is libnvdimm loaded?)", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (!strncmp(name, "nmem", 4) && !rd(root, bus, name, "nfit/id", v, sizeof(v))) {
			struct vpmem_guest_dimm *d;

			if (g->n >= VPMEM_MAP_MAX) {
				over = 1; /* said below, never dropped silently */
				continue;
			}
			d = &g->d[g->n++];

			memset(d, 0, sizeof(*d));
			snprintf(d->dev, sizeof(d->dev), "%s", name);
			snprintf(d->id, sizeof(d->id), "%s", v);
			d->handle = rd(root, bus, name, "nfit/handle", v, sizeof(v)) ? -1 : (int)strtol(v, NULL, 0);
		}
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (!strncmp(name, "region", 6) && !rd(root, bus, name, "mapping0", v, sizeof(v))) {
			v[strcspn(v, ",")] = '\0';
			for (unsigned k = 0; k < g->n; k++) {
				struct vpmem_guest_dimm *d = &g->d[k];
				char pfx[64];

				if (strcmp(d->dev, v))
					continue;
				snprintf(d->region, sizeof(d->region), "%s", name);
				snprintf(pfx, sizeof(pfx), "namespace%s.", name + 6);
				for (int j = 0; j < n; j++) {
					const char *ns = ents[j]->d_name;
					struct vpmem_guest_ns *x;
					char size[64] = "", sub[4096];

					if (strncmp(ns, pfx, strlen(pfx)) || rd(root, bus, ns, "size", size, sizeof(size)) ||
					    !strcmp(size, "0"))
						continue;
					if (d->nns >= sizeof(d->ns) / sizeof(d->ns[0])) {
						over = 2;
						continue;
					}
					x = &d->ns[d->nns++];
					memset(x, 0, sizeof(*x));
					snprintf(x->dev, sizeof(x->dev), "%s", ns);
					if (rd(root, bus, ns, "mode", x->mode, sizeof(x->mode)))
						snprintf(x->mode, sizeof(x->mode), "raw");
					snprintf(sub, sizeof(sub), "%s%s/%s/block", root, bus, ns);
					first_entry(sub, x->node, sizeof(x->node));
					/* pfn/btt/dax devices claiming this namespace (their "namespace" attribute) */
					for (int c = 0; c < n && !x->node[0]; c++) {
						const char *cl = ents[c]->d_name;
						char owner[64];

						if ((strncmp(cl, "pfn", 3) && strncmp(cl, "btt", 3) && strncmp(cl, "dax", 3)) ||
						    rd(root, bus, cl, "namespace", owner, sizeof(owner)) || strcmp(owner, ns))
							continue;
						snprintf(sub, sizeof(sub), "%s%s/%s/block", root, bus, cl);
						first_entry(sub, x->node, sizeof(x->node));
						if (!x->node[0] && !strncmp(cl, "dax", 3))
							snprintf(x->node, sizeof(x->node), "%s", cl);
					}
				}
			}
		}
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (over == 1)
		return vpmem_err_set(err, E2BIG, "more than %d NVDIMMs under %s%s", VPMEM_MAP_MAX, root, bus);
	if (over == 2)
		return vpmem_err_set(err, E2BIG, "a region under %s%s has more than %zu namespaces", root, bus,
				     sizeof(g->d[0].ns) / sizeof(g->d[0].ns[0]));
	/* CXL memdevs with their regions and namespaces, by serial (cxlmap.c) */
	{
		int r = vpmem_cxl_guest_sysfs(sysroot, g, err);

		if (r)
			return r;
	}
	if (!g->n)
		return vpmem_err_set(err, ENODEV, "no NVDIMMs or CXL memory devices under %s", root[0] ? root : "/sys");
	return 0;
}

/* ---- join ---- */

void vpmem_map_join(const struct vpmem_host *h, const struct vpmem_guest_view *g, struct vpmem_mapping *m)
{
	bool taken[VPMEM_MAP_MAX] = { false };
	bool vmware = false, qemu = false;
	char qemu_vendor[8]; /* "8680-": QEMU's vendor as ndctl shows it */

	snprintf(qemu_vendor, sizeof(qemu_vendor), "%04x-", __builtin_bswap16(VPMEM_NFIT_VENDOR_QEMU));

	memset(m, 0, sizeof(*m));
	for (unsigned i = 0; i < h->nproblems; i++)
		MSG_ADD(m->problems, &m->nproblems, "%s", h->problems[i]);
	for (unsigned i = 0; i < h->n; i++) {
		const struct vpmem_host_dev *d = &h->d[i];
		int found = -1, count = 0, twins = 0;

		vmware |= d->kind == VPMEM_HOST_VMWARE;
		qemu |= d->kind == VPMEM_HOST_QEMU || d->kind == VPMEM_HOST_LIBVIRT;
		m->row[m->nrows].host = (int)i;
		m->row[m->nrows].guest = -1;
		if (!d->expect_id[0]) {
			m->row[m->nrows++].state = VPMEM_NO_ID;
			MSG_ADD(m->problems, &m->nproblems, "'%s' is a virtio-pmem device: it has no NVDIMM id to match (identify it by its PCI address)",
				 d->path);
			continue;
		}
		for (unsigned k = 0; k < h->n; k++)
			twins += k != i && !strcmp(h->d[k].expect_id, d->expect_id);
		for (unsigned k = 0; k < g->n; k++)
			if (!strcmp(g->d[k].id, d->expect_id)) {
				found = (int)k;
				count++;
			}
		if (twins) {
			m->row[m->nrows++].state = VPMEM_AMBIGUOUS;
			MSG_ADD(m->problems, &m->nproblems, "'%s' and another host device both map to guest id %s: cannot tell them apart",
				 d->path, d->expect_id);
			continue;
		}
		if (count > 1) {
			m->row[m->nrows++].state = VPMEM_AMBIGUOUS;
			MSG_ADD(m->problems, &m->nproblems, "guest id %s of '%s' appears on %d DIMMs", d->expect_id, d->path, count);
			continue;
		}
		if (found < 0) {
			m->row[m->nrows++].state = VPMEM_NO_GUEST;
			MSG_ADD(m->problems, &m->nproblems, "'%s' (guest id %s) has no DIMM in the guest", d->path, d->expect_id);
			continue;
		}
		taken[found] = true;
		m->row[m->nrows].guest = found;
		m->row[m->nrows++].state = VPMEM_MATCHED;
	}
	for (unsigned k = 0; k < g->n; k++) {
		if (taken[k])
			continue;
		m->unmatched_guest[m->nunmatched++] = (int)k;
		if (qemu && !strncmp(g->d[k].id, VPMEM_VMWARE_VENDOR_ID "-", 5))
			MSG_ADD(m->problems, &m->nproblems, "guest %s (id %s) has VMware's vendor id, but the host description is QEMU",
				 g->d[k].dev, g->d[k].id);
		else if (vmware && !strncmp(g->d[k].id, qemu_vendor, 5))
			MSG_ADD(m->problems, &m->nproblems, "guest %s (id %s) has QEMU's vendor id, but the host description is VMware",
				 g->d[k].dev, g->d[k].id);
		else
			MSG_ADD(m->problems, &m->nproblems, "guest %s (id %s) matches no host device", g->d[k].dev, g->d[k].id);
	}
}
