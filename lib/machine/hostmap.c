// SPDX-License-Identifier: MIT
/* Host <-> guest NVDIMM identity; facts and sources in include/vpmem/hostmap.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <vpmem/hostmap.h>
#include <vpmem/image.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "util/le.h"
#include "util/msg.h"
#include "util/xml.h"

static const struct vpmem_xml *lx; /* set by vpmem_host_from_libvirt() */

#define VMWARE_VENDOR_ID "8902" /* the vendor part VMware vPMem DIMMs show in ndctl */


/* ---- QEMU keyval (util/qemu-option.c: ',,' is a literal comma) ---- */

/* Copy the value of @key (or, with @key NULL, the implied first word) from @opts. */
static bool kv_get(const char *opts, const char *key, char *out, size_t len)
{
	const char *p = opts;
	bool first = true;

	while (*p) {
		char item[2048];
		size_t n = 0;

		while (*p && n + 1 < sizeof(item)) {
			if (*p == ',') {
				if (p[1] == ',') {
					item[n++] = ',';
					p += 2;
					continue;
				}
				break;
			}
			item[n++] = *p++;
		}
		item[n] = '\0';
		if (*p == ',')
			p++;
		{
			char *eq = strchr(item, '=');

			if (!key && first && !eq) {
				snprintf(out, len, "%s", item);
				return true;
			}
			if (key && eq && (size_t)(eq - item) == strlen(key) && !strncmp(item, key, strlen(key))) {
				snprintf(out, len, "%s", eq + 1);
				return true;
			}
		}
		first = false;
	}
	return false;
}

struct backend { char id[128], path[1024]; };

static bool obj_get(const char *arg, const char *key, char *out, size_t len)
{
	if (arg[0] == '{') {
		json_object *o = json_tokener_parse(arg), *v;
		bool ok = false;

		if (o && json_object_object_get_ex(o, key ? key : "qom-type", &v)) {
			snprintf(out, len, "%s", json_object_get_string(v));
			ok = true;
		} else if (o && !key && json_object_object_get_ex(o, "driver", &v)) {
			snprintf(out, len, "%s", json_object_get_string(v));
			ok = true;
		}
		json_object_put(o);
		return ok;
	}
	if (!key && kv_get(arg, "qom-type", out, len))
		return true;
	if (!key && kv_get(arg, "driver", out, len))
		return true;
	return kv_get(arg, key, out, len);
}

static void check_image_slot(struct vpmem_host *h, const struct vpmem_host_dev *d)
{
	struct vpmem_image_hints hints = { .slot = -1 };
	struct vpmem_region_info *ri;
	int fd;

	if (d->slot < 0)
		return;
	fd = open(d->path, O_RDONLY | O_CLOEXEC);
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

int vpmem_host_from_qemu_argv(char *const *argv, struct vpmem_host *h, struct vpmem_err *err)
{
	static struct backend be[VPMEM_MAP_MAX];
	unsigned nbe = 0;
	bool used[VPMEM_NFIT_MAX_SLOTS] = { false };

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i + 1];
		char type[128] = "";

		if (!a)
			break;
		if (!strcmp(argv[i], "-object") && obj_get(a, NULL, type, sizeof(type)) &&
		    !strcmp(type, "memory-backend-file")) {
			if (nbe >= VPMEM_MAP_MAX)
				return vpmem_err_set(err, E2BIG, "too many memory backends");
			memset(&be[nbe], 0, sizeof(be[nbe]));
			obj_get(a, "id", be[nbe].id, sizeof(be[nbe].id));
			obj_get(a, "mem-path", be[nbe].path, sizeof(be[nbe].path));
			nbe++;
		} else if (!strcmp(argv[i], "-device") && obj_get(a, NULL, type, sizeof(type)) &&
			   (!strcmp(type, "nvdimm") || !strcmp(type, "virtio-pmem-pci"))) {
			struct vpmem_host_dev *d;
			char memdev[128] = "", v[64];
			unsigned k;

			if (h->n >= VPMEM_MAP_MAX)
				return vpmem_err_set(err, E2BIG, "too many devices");
			d = &h->d[h->n++];
			memset(d, 0, sizeof(*d));
			d->kind = strcmp(type, "nvdimm") ? VPMEM_HOST_VIRTIO : VPMEM_HOST_QEMU;
			d->slot = d->node = -1;
			obj_get(a, "id", d->devid, sizeof(d->devid));
			if (!obj_get(a, "memdev", memdev, sizeof(memdev)))
				return vpmem_err_set(err, EINVAL, "-device %s without memdev", type);
			for (k = 0; k < nbe && strcmp(be[k].id, memdev); k++)
				;
			if (k == nbe)
				return vpmem_err_set(err, EINVAL,
						     "-device %s uses memdev '%s', which is not a memory-backend-file defined before it",
						     type, memdev);
			snprintf(d->path, sizeof(d->path), "%s", be[k].path);
			if (obj_get(a, "node", v, sizeof(v)))
				d->node = atoi(v);
			if (obj_get(a, "label-size", v, sizeof(v)))
				vpmem_size_parse(v, VPMEM_SIZE_ALLOW_ZERO, NULL, &d->label_size, NULL);
			if (d->kind == VPMEM_HOST_VIRTIO)
				continue;
			if (obj_get(a, "slot", v, sizeof(v))) {
				char *end;
				long s = strtol(v, &end, 10);

				if (*end || s < 0 || s >= (long)VPMEM_NFIT_MAX_SLOTS)
					return vpmem_err_set(err, EINVAL, "-device nvdimm: bad slot '%s'", v);
				if (used[s])
					MSG_ADD(h->problems, &h->nproblems, "slot %ld is given to two nvdimm devices (QEMU refuses to start)", s);
				d->slot = (int)s;
			} else {
				/* pc_dimm_get_free_slot(): the lowest slot free when it is plugged */
				for (d->slot = 0; d->slot < (int)VPMEM_NFIT_MAX_SLOTS && used[d->slot]; d->slot++)
					;
			}
			used[d->slot] = true;
			{
				struct vpmem_nfit_dimm n;

				vpmem_nfit_dimm((unsigned)d->slot, &n);
				snprintf(d->expect_id, sizeof(d->expect_id), "%s", n.id);
			}
			check_image_slot(h, d);
		}
	}
	if (!h->n)
		return vpmem_err_set(err, ENODEV, "the QEMU command line has no -device nvdimm or virtio-pmem-pci");
	return 0;
}

/* Shell words (as a command line is usually saved) or NUL-separated argv. */
int vpmem_host_from_qemu_text(const char *text, size_t len, struct vpmem_host *h, struct vpmem_err *err)
{
	char **argv = calloc(len / 2 + 2, sizeof(char *)), *buf = malloc(len + 1);
	size_t n = 0, o = 0;
	int r;

	if (!argv || !buf) {
		free(argv);
		free(buf);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	if (memchr(text, '\0', len)) {
		for (size_t i = 0; i < len; i += strlen(text + i) + 1)
			argv[n++] = (char *)text + i;
	} else {
		size_t i = 0;

		while (i < len) {
			while (i < len && (isspace((unsigned char)text[i]) ||
					   (text[i] == '\\' && i + 1 < len && text[i + 1] == '\n'))) {
				i += text[i] == '\\' ? 2 : 1;
			}
			if (i >= len)
				break;
			argv[n++] = buf + o;
			while (i < len && !isspace((unsigned char)text[i])) {
				char c = text[i];

				if (c == '\'') {
					const char *q = memchr(text + i + 1, '\'', len - i - 1);

					if (!q) {
						r = vpmem_err_set(err, EINVAL, "unterminated ' quote in the command line");
						goto out;
					}
					memcpy(buf + o, text + i + 1, (size_t)(q - text - i - 1));
					o += (size_t)(q - text - i - 1);
					i = (size_t)(q - text) + 1;
				} else if (c == '"') {
					i++;
					while (i < len && text[i] != '"') {
						if (text[i] == '\\' && i + 1 < len && strchr("\"\\$`\n", text[i + 1]))
							i++;
						buf[o++] = text[i++];
					}
					if (i >= len) {
						r = vpmem_err_set(err, EINVAL, "unterminated \" quote in the command line");
						goto out;
					}
					i++;
				} else if (c == '\\' && i + 1 < len) {
					if (text[i + 1] == '\n') {
						i += 2;
						continue;
					}
					buf[o++] = text[i + 1];
					i += 2;
				} else {
					buf[o++] = c;
					i++;
				}
			}
			buf[o++] = '\0';
		}
	}
	argv[n] = NULL;
	r = vpmem_host_from_qemu_argv(argv, h, err);
out:
	free(argv);
	free(buf);
	return r;
}

/* ---- libvirt ---- */

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !lx->StrCmp(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

static char *text_of(xmlNodePtr n)
{
	xmlChar *t = n ? lx->NodeGetContent(n) : NULL;
	char *s = t ? strdup((const char *)t) : NULL;

	(*lx->Free)(t);
	return s;
}

static char *attr_of(xmlNodePtr n, const char *a)
{
	xmlChar *t = n ? lx->GetProp(n, (const xmlChar *)a) : NULL;
	char *s = t ? strdup((const char *)t) : NULL;

	(*lx->Free)(t);
	return s;
}

int vpmem_host_from_libvirt(const char *text, size_t len, struct vpmem_host *h, struct vpmem_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr root, devs;
	bool used[VPMEM_NFIT_MAX_SLOTS] = { false };
	int pending[VPMEM_MAP_MAX], npending = 0;

	memset(h, 0, sizeof(*h));
	lx = vpmem_xml_load(err);
	if (!lx)
		return -ENOSYS;
	doc = lx->ReadMemory(text, (int)len, "domain.xml", NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return vpmem_err_set(err, EINVAL, "not well-formed XML");
	root = lx->DocGetRootElement(doc);
	if (!root || lx->StrCmp(root->name, (const xmlChar *)"domain")) {
		lx->FreeDoc(doc);
		return vpmem_err_set(err, EINVAL, "not a libvirt <domain>");
	}
	devs = child(root, "devices");
	for (xmlNodePtr m = devs ? devs->children : NULL; m; m = m->next) {
		char *model, *path, *node, *slot;
		struct vpmem_host_dev *d;

		if (m->type != XML_ELEMENT_NODE || lx->StrCmp(m->name, (const xmlChar *)"memory"))
			continue;
		model = attr_of(m, "model");
		if (!model || (strcmp(model, "nvdimm") && strcmp(model, "virtio-pmem"))) {
			free(model);
			continue;
		}
		if (h->n >= VPMEM_MAP_MAX) {
			free(model);
			break;
		}
		d = &h->d[h->n];
		memset(d, 0, sizeof(*d));
		d->kind = strcmp(model, "nvdimm") ? VPMEM_HOST_VIRTIO : VPMEM_HOST_LIBVIRT;
		d->slot = d->node = -1;
		path = text_of(child(child(m, "source"), "path"));
		node = text_of(child(child(m, "target"), "node"));
		slot = attr_of(child(m, "address"), "slot");
		snprintf(d->path, sizeof(d->path), "%s", path ? path : "");
		if (node)
			d->node = atoi(node);
		{
			char *alias = attr_of(child(m, "alias"), "name");

			snprintf(d->devid, sizeof(d->devid), "%s", alias ? alias : "");
			free(alias);
		}
		if (d->kind == VPMEM_HOST_LIBVIRT) {
			if (slot && atoi(slot) >= 0 && atoi(slot) < (int)VPMEM_NFIT_MAX_SLOTS) {
				d->slot = atoi(slot);
				if (used[d->slot])
					MSG_ADD(h->problems, &h->nproblems, "slot %d is given to two nvdimm devices", d->slot);
				used[d->slot] = true;
			} else {
				pending[npending++] = (int)h->n;
			}
		}
		free(model);
		free(path);
		free(node);
		free(slot);
		h->n++;
	}
	/* libvirt gives unaddressed DIMMs the lowest free slots, in order */
	for (int i = 0; i < npending; i++) {
		struct vpmem_host_dev *d = &h->d[pending[i]];

		for (d->slot = 0; used[d->slot]; d->slot++)
			;
		used[d->slot] = true;
	}
	for (unsigned i = 0; i < h->n; i++) {
		if (h->d[i].kind == VPMEM_HOST_LIBVIRT) {
			struct vpmem_nfit_dimm n;

			vpmem_nfit_dimm((unsigned)h->d[i].slot, &n);
			snprintf(h->d[i].expect_id, sizeof(h->d[i].expect_id), "%s", n.id);
			check_image_slot(h, &h->d[i]);
		}
	}
	lx->FreeDoc(doc);
	if (!h->n)
		return vpmem_err_set(err, ENODEV, "the domain has no <memory model='nvdimm'> or 'virtio-pmem'");
	return 0;
}

/* ---- VMware ---- */

int vpmem_vmware_guest_id(const char *uuid, char out[16])
{
	unsigned b[16], n = 0;

	for (const char *p = uuid; *p && n < 16;) {
		if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
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
	snprintf(out, 16, VMWARE_VENDOR_ID "-%02x%02x%02x%02x", b[12], b[13], b[14], b[15]);
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
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot open '%s': %s", path, strerror(errno));
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

	if (json_object_is_type(o, json_type_array)) {
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
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s/%s/%s", root, rel, name, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(out, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
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

	memset(g, 0, sizeof(*g));
	snprintf(dir, sizeof(dir), "%s%s", root, bus);
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return vpmem_err_set(err, ENOENT, "no %s (is libnvdimm loaded?)", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (!strncmp(name, "nmem", 4) && g->n < VPMEM_MAP_MAX && !rd(root, bus, name, "nfit/id", v, sizeof(v))) {
			struct vpmem_guest_dimm *d = &g->d[g->n++];

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
					    !strcmp(size, "0") || d->nns >= 16)
						continue;
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
	if (!g->n)
		return vpmem_err_set(err, ENODEV, "no NVDIMMs under %s%s", root, bus);
	return 0;
}

/* ---- join ---- */

void vpmem_map_join(const struct vpmem_host *h, const struct vpmem_guest_view *g, struct vpmem_mapping *m)
{
	bool taken[VPMEM_MAP_MAX] = { false };
	bool vmware = false, qemu = false;

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
		if (qemu && !strncmp(g->d[k].id, VMWARE_VENDOR_ID "-", 5))
			MSG_ADD(m->problems, &m->nproblems, "guest %s (id %s) has VMware's vendor id, but the host description is QEMU",
				 g->d[k].dev, g->d[k].id);
		else if (vmware && !strncmp(g->d[k].id, "8680-", 5))
			MSG_ADD(m->problems, &m->nproblems, "guest %s (id %s) has QEMU's vendor id, but the host description is VMware",
				 g->d[k].dev, g->d[k].id);
		else
			MSG_ADD(m->problems, &m->nproblems, "guest %s (id %s) matches no host device", g->d[k].dev, g->d[k].id);
	}
}
