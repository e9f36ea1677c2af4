// SPDX-License-Identifier: MIT
/*
 * Layouts (layout.h, doc/layout.md): parse, emit, diff against a region's
 * namespaces, plan the writes for an image, and Nova's pmem_namespaces.
 *
 * Defaults are ndctl create-namespace's (ndctl/namespace.c): map=dev, align
 * 2M for fsdax/devdax, sector size 4096; a size is the namespace's raw size.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/exec.h>
#include <vpmem/file.h>
#include <vpmem/io.h>
#include <vpmem/label.h>
#include <vpmem/input.h>
#include <vpmem/layout.h>
#include <vpmem/size.h>

#include "format/ondisk.h"

#define DEFAULT_ALIGN (2U << 20)
#define DEFAULT_SECTOR 4096U
#define MAX_LAYOUT_FILE (4U << 20)

/* Room for @n entries of @size in *@arr (holding *@alloc): 0 or -ENOMEM. The
 * entries are filled (memset) by whoever adds them. */
static int reserve(void **arr, unsigned *alloc, unsigned n, size_t size)
{
	void *na;

	if (n <= *alloc)
		return 0;
	na = realloc(*arr, (size_t)n * size);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*alloc = n;
	return 0;
}

static const char *const mode_names[] = { "raw", "sector", "fsdax", "devdax" };
static const char *const fs_names[] = { "none", "ext4", "xfs", "other" };

const char *vpmem_fs_name(enum vpmem_fs fs)
{
	return fs <= VPMEM_FS_OTHER ? fs_names[fs] : "?";
}

/* ---- parsing ---- */

struct pctx {
	struct vpmem_err *err;
	char where[96];     /* "namespaces[1] (cache)" */
};

static int __attribute__((format(printf, 2, 3))) perr(struct pctx *c, const char *fmt, ...)
{
	char m[VPMEM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return vpmem_err_set(c->err, EINVAL, "%s%s%s", c->where, c->where[0] ? ": " : "", m);
}

/* A size: a string ("96M", "0x1000") or a non-negative integer of bytes. */
static int get_size(struct pctx *c, json_object *v, const char *key, bool allow_zero, uint64_t *out)
{
	struct vpmem_err e = { 0 };
	char what[40];

	snprintf(what, sizeof(what), "\"%s\"", key);
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i < 0 || (!i && !allow_zero))
			return perr(c, "\"%s\" must be a positive size", key);
		*out = (uint64_t)i;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return perr(c, "\"%s\" must be a size such as \"64M\"", key);
	if (vpmem_size_parse(json_object_get_string(v), allow_zero ? VPMEM_SIZE_ALLOW_ZERO : 0, what, out, &e))
		return perr(c, "%s", e.msg);
	return 0;
}

static int get_string(struct pctx *c, json_object *v, const char *key, char *out, size_t len)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return perr(c, "\"%s\" must be a string", key);
	s = json_object_get_string(v);
	if (strlen(s) >= len) {
		char n[16];

		snprintf(n, sizeof(n), "%zu", len - 1);
		return perr(c, "\"%s\" is longer than %s characters", key, n);
	}
	if (strchr(s, '\n'))
		return perr(c, "\"%s\" holds a newline", key);
	snprintf(out, len, "%s", s);
	return 0;
}

static int parse_ns(struct pctx *c, json_object *o, struct vpmem_layout_ns *e)
{
	bool mode_set = false;
	char s[64];

	if (!json_object_is_type(o, json_type_object))
		return perr(c, "each namespace is an object");
	/* the name first, so messages can say which namespace */
	{
		json_object *n;

		if (json_object_object_get_ex(o, "name", &n)) {
			if (get_string(c, n, "name", e->name, sizeof(e->name)))
				return -EINVAL;
			if (!e->name[0])
				return perr(c, "\"name\" is empty (leave it out for an unnamed namespace)");
			snprintf(c->where + strlen(c->where), sizeof(c->where) - strlen(c->where), " (%s)", e->name);
		}
	}
	json_object_object_foreach(o, key, v) {
		if (!strcmp(key, "name")) {
			continue;
		} else if (!strcmp(key, "uuid")) {
			if (get_string(c, v, key, s, sizeof(s)))
				return -EINVAL;
			if (uuid_parse(s, e->uuid))
				return perr(c, "\"uuid\" '%s' is not a UUID", s);
			e->uuid_set = true;
		} else if (!strcmp(key, "mode")) {
			int m = -1;

			if (get_string(c, v, key, s, sizeof(s)))
				return -EINVAL;
			for (int i = 0; i < 4; i++)
				if (!strcmp(s, mode_names[i]))
					m = i;
			if (m < 0)
				return perr(c, "\"mode\" '%s': use raw, sector, fsdax or devdax", s);
			e->mode = (enum vpmem_ns_mode)m;
			mode_set = true;
		} else if (!strcmp(key, "size")) {
			if (get_size(c, v, key, false, &e->size))
				return -EINVAL;
		} else if (!strcmp(key, "map")) {
			if (get_string(c, v, key, s, sizeof(s)))
				return -EINVAL;
			if (!strcmp(s, "dev"))
				e->map = VPMEM_MAP_DEV;
			else if (!strcmp(s, "mem"))
				e->map = VPMEM_MAP_MEM;
			else
				return perr(c, "\"map\" '%s': use dev or mem", s);
		} else if (!strcmp(key, "align")) {
			uint64_t a;

			if (get_size(c, v, key, false, &a))
				return -EINVAL;
			if (a != 4096 && a != (2ULL << 20) && a != (1ULL << 30))
				return perr(c, "\"align\": use 4K, 2M or 1G");
			e->align = (uint32_t)a;
		} else if (!strcmp(key, "sector_size")) {
			uint64_t a;

			if (get_size(c, v, key, false, &a))
				return -EINVAL;
			if (a != 512 && a != 4096)
				return perr(c, "\"sector_size\": use 512 or 4096");
			e->sector_size = (uint32_t)a;
		} else if (!strcmp(key, "filesystem")) {
			if (get_string(c, v, key, s, sizeof(s)))
				return -EINVAL;
			if (!strcmp(s, "ext4"))
				e->fs = VPMEM_FS_EXT4;
			else if (!strcmp(s, "xfs"))
				e->fs = VPMEM_FS_XFS;
			else
				return perr(c, "\"filesystem\" '%s': use ext4 or xfs", s);
		} else if (!strcmp(key, "mount")) {
			if (get_string(c, v, key, e->mount, sizeof(e->mount)))
				return -EINVAL;
			if (e->mount[0] != '/')
				return perr(c, "\"mount\" '%s' is not an absolute path", e->mount);
		} else {
			return perr(c, "unknown field '%s' (see doc/layout.md)", key);
		}
	}
	if (!mode_set)
		return perr(c, "\"mode\" is missing (raw, sector, fsdax or devdax)");
	if ((e->map || e->align) && e->mode != VPMEM_NS_FSDAX && e->mode != VPMEM_NS_DEVDAX)
		return perr(c, "\"map\" and \"align\" apply to fsdax and devdax only");
	if (e->sector_size && e->mode != VPMEM_NS_SECTOR)
		return perr(c, "\"sector_size\" applies to sector mode only");
	if (e->fs && e->mode != VPMEM_NS_FSDAX)
		return perr(c, "\"filesystem\" needs mode fsdax (a DAX filesystem lives on an fsdax namespace)");
	if (e->mount[0] && !e->fs)
		return perr(c, "\"mount\" needs a \"filesystem\"");
	return 0;
}

int vpmem_layout_parse(const char *text, size_t len, struct vpmem_layout *l, struct vpmem_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct pctx c = { .err = err };
	json_object *root, *arr = NULL;
	size_t used;
	int r = 0;

	/* the header only: each entry is cleared when it is filled (the whole
	 * struct is ~370K, and touching it all costs more page faults than the
	 * rest of an image create --layout; bench/layout.sh) */
	memset(l, 0, offsetof(struct vpmem_layout, ns));
	l->numa_node = -1;
	if (!tok)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	if (len > INT32_MAX)
		len = INT32_MAX;
	root = json_tokener_parse_ex(tok, text, (int)len);
	used = tok->char_offset;
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		r = vpmem_err_set(err, EINVAL, "not valid JSON (%s near byte %zu)",
				  json_tokener_error_desc(json_tokener_get_error(tok) == json_tokener_continue
							  ? json_tokener_error_parse_eof : json_tokener_get_error(tok)),
				  used);
		json_tokener_free(tok);
		json_object_put(root);
		return r;
	}
	json_tokener_free(tok);
	for (; used < len; used++)
		if (!strchr(" \t\r\n", text[used])) {
			json_object_put(root);
			return vpmem_err_set(err, EINVAL, "not valid JSON (text after the layout at byte %zu)", used);
		}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return vpmem_err_set(err, EINVAL, "a layout is a JSON object with a \"namespaces\" array");
	}
	{
		json_object_object_foreach(root, key, v) {
			if (!strcmp(key, "namespaces")) {
				arr = v;
			} else if (!strcmp(key, "region")) {
				r = get_string(&c, v, key, l->region, sizeof(l->region));
			} else if (!strcmp(key, "dimm")) {
				r = get_string(&c, v, key, l->dimm, sizeof(l->dimm));
			} else if (!strcmp(key, "nova_label")) {
				r = get_string(&c, v, key, l->nova_label, sizeof(l->nova_label));
				if (!r && !l->nova_label[0])
					r = perr(&c, "\"nova_label\" is empty");
			} else if (!strcmp(key, "numa_node")) {
				int64_t n = json_object_get_int64(v);

				if (!json_object_is_type(v, json_type_int) || n < 0 || n > 4095)
					r = perr(&c, "\"numa_node\" must be a node number");
				else
					l->numa_node = (int)n;
			} else {
				r = perr(&c, "unknown field '%s' (see doc/layout.md)", key);
			}
			if (r)
				break;
		}
	}
	if (!r && (!arr || !json_object_is_type(arr, json_type_array)))
		r = vpmem_err_set(err, EINVAL, "a layout needs a \"namespaces\" array");
	if (!r && json_object_array_length(arr) > VPMEM_MAX_NAMESPACES)
		r = vpmem_err_set(err, EINVAL, "more than %d namespaces", VPMEM_MAX_NAMESPACES);
	if (!r && reserve((void **)&l->ns, &l->ns_alloc, (unsigned)json_object_array_length(arr) + 1, sizeof(*l->ns)))
		r = vpmem_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; !r && i < json_object_array_length(arr); i++) {
		struct vpmem_layout_ns *e = &l->ns[l->nns];

		memset(e, 0, sizeof(*e));
		snprintf(c.where, sizeof(c.where), "namespaces[%zu]", i);
		r = parse_ns(&c, json_object_array_get_idx(arr, i), e);
		for (unsigned k = 0; !r && k < l->nns; k++) {
			if (e->name[0] && !strcmp(l->ns[k].name, e->name))
				r = perr(&c, "the name '%s' is used twice", e->name);
			else if (e->uuid_set && l->ns[k].uuid_set && !memcmp(l->ns[k].uuid, e->uuid, 16))
				r = perr(&c, "the uuid is used twice");
			else if (!e->size && !l->ns[k].size)
				r = perr(&c, "a second namespace without \"size\" (only one may take the rest of the region)");
		}
		if (!r)
			l->nns++;
	}
	json_object_put(root);
	return r;
}

int vpmem_layout_load(const char *path, struct vpmem_layout *l, struct vpmem_err *err)
{
	size_t len;
	/* the bound said in the message ("larger than 4.00 MiB"), not EFBIG alone */
	char *text = vpmem_read_input(path, MAX_LAYOUT_FILE, &len, "layout", err);
	int r;

	if (!text)
		return err && err->code ? -err->code : -EIO;
	r = vpmem_layout_parse(text, len, l, err);
	free(text);
	if (r) {
		struct vpmem_err e = *err;

		vpmem_err_set(err, e.code, "'%s': %s", path, e.msg);
	}
	return r;
}

/* ---- emitting ---- */

static json_object *size_json(uint64_t v)
{
	char b[32];

	return json_object_new_string(vpmem_size_str(v, b, sizeof(b)));
}

json_object *vpmem_layout_to_json(const struct vpmem_layout *l)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();

	if (l->region[0])
		json_object_object_add(root, "region", json_object_new_string(l->region));
	if (l->numa_node >= 0)
		json_object_object_add(root, "numa_node", json_object_new_int(l->numa_node));
	if (l->dimm[0])
		json_object_object_add(root, "dimm", json_object_new_string(l->dimm));
	if (l->nova_label[0])
		json_object_object_add(root, "nova_label", json_object_new_string(l->nova_label));
	for (unsigned i = 0; i < l->nns; i++) {
		const struct vpmem_layout_ns *e = &l->ns[i];
		json_object *o = json_object_new_object();
		char u[37];

		if (e->name[0])
			json_object_object_add(o, "name", json_object_new_string(e->name));
		if (e->uuid_set) {
			uuid_unparse_lower(e->uuid, u);
			json_object_object_add(o, "uuid", json_object_new_string(u));
		}
		json_object_object_add(o, "mode", json_object_new_string(mode_names[e->mode]));
		if (e->size)
			json_object_object_add(o, "size", size_json(e->size));
		if (e->map)
			json_object_object_add(o, "map", json_object_new_string(e->map == VPMEM_MAP_DEV ? "dev" : "mem"));
		if (e->align)
			json_object_object_add(o, "align", size_json(e->align));
		if (e->sector_size)
			json_object_object_add(o, "sector_size", json_object_new_int((int)e->sector_size));
		if (e->fs == VPMEM_FS_EXT4 || e->fs == VPMEM_FS_XFS)
			json_object_object_add(o, "filesystem", json_object_new_string(fs_names[e->fs]));
		if (e->mount[0])
			json_object_object_add(o, "mount", json_object_new_string(e->mount));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "namespaces", arr);
	return root;
}

int vpmem_layout_from_region(const struct vpmem_ns_info *ns, unsigned nns, const enum vpmem_fs *fs,
			     struct vpmem_layout *l)
{
	memset(l, 0, offsetof(struct vpmem_layout, ns)); /* entries: as they are filled */
	l->numa_node = -1;
	if (reserve((void **)&l->ns, &l->ns_alloc, nns + 1, sizeof(*l->ns)))
		return -ENOMEM;
	for (unsigned i = 0; i < nns && i < VPMEM_MAX_NAMESPACES; i++) {
		const struct vpmem_ns_info *n = &ns[i];
		struct vpmem_layout_ns *e = &l->ns[l->nns++];

		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", n->name);
		/* an unnamed labelled namespace is known by its label uuid */
		if (n->labelled && !n->name[0]) {
			e->uuid_set = true;
			memcpy(e->uuid, n->raw_uuid, 16);
		}
		e->mode = n->mode;
		e->size = n->rawsize;
		if (n->mode == VPMEM_NS_FSDAX || n->mode == VPMEM_NS_DEVDAX) {
			e->map = n->map ? n->map : VPMEM_MAP_DEV;
			e->align = n->align;
		}
		if (n->mode == VPMEM_NS_SECTOR)
			e->sector_size = n->sector_size;
		if (fs && n->mode == VPMEM_NS_FSDAX && (fs[i] == VPMEM_FS_EXT4 || fs[i] == VPMEM_FS_XFS))
			e->fs = fs[i];
	}
	return 0;
}

enum vpmem_fs vpmem_fs_probe(const uint8_t *buf, size_t len)
{
	/* xfs: "XFSB" at 0 (xfs_format.h XFS_SB_MAGIC); ext2/3/4: s_magic 0xEF53
	 * at 1024 + 56 (ext4.h); ext4 when it has extents or a journal+flex_bg */
	if (len >= 4 && !memcmp(buf, "XFSB", 4))
		return VPMEM_FS_XFS;
	if (len >= 1024 + 100 && buf[1024 + 56] == 0x53 && buf[1024 + 57] == 0xEF) {
		uint32_t incompat = (uint32_t)buf[1024 + 96] | (uint32_t)buf[1024 + 97] << 8 |
				    (uint32_t)buf[1024 + 98] << 16 | (uint32_t)buf[1024 + 99] << 24;

		/* INCOMPAT_EXTENTS 0x40 / INCOMPAT_FLEX_BG 0x200: made by mkfs.ext4 */
		return incompat & (0x40 | 0x200) ? VPMEM_FS_EXT4 : VPMEM_FS_OTHER;
	}
	return VPMEM_FS_NONE;
}

/* ---- the diff ---- */

const char *vpmem_lstep_name(enum vpmem_lstep_kind k)
{
	static const char *const n[] = { "keep", "create", "re-make", "mkfs", "destroy", "extra",
					 "untouched", "blocked" };

	return k <= VPMEM_LSTEP_BLOCKED ? n[k] : "?";
}

static uint32_t want_align(const struct vpmem_layout_ns *e)
{
	return e->align ? e->align : DEFAULT_ALIGN;
}

void vpmem_layout_ns_req(const struct vpmem_layout_ns *e, struct vpmem_ns_req *req)
{
	memset(req, 0, sizeof(*req));
	req->mode = e->mode;
	req->size = e->size;
	req->name = e->name[0] ? e->name : NULL;
	req->uuid_set = e->uuid_set;
	memcpy(req->uuid, e->uuid, 16);
	if (e->mode == VPMEM_NS_SECTOR)
		req->sector_size = e->sector_size ? e->sector_size : DEFAULT_SECTOR;
	if (e->mode == VPMEM_NS_FSDAX || e->mode == VPMEM_NS_DEVDAX) {
		req->map = e->map ? e->map : VPMEM_MAP_DEV;
		req->align = want_align(e);
	}
}

/* Describe a namespace (wanted or found) in the plan's words: "devdax 64M align 2M". */
static void shape(char *buf, size_t len, enum vpmem_ns_mode mode, uint64_t size, enum vpmem_ns_map map,
		  uint32_t align, uint32_t sector)
{
	char s[32], a[32];

	snprintf(buf, len, "%s %s%s%s%s%s", mode_names[mode], size ? vpmem_size_str(size, s, sizeof(s)) : "(rest)",
		 mode == VPMEM_NS_FSDAX || mode == VPMEM_NS_DEVDAX ? (map == VPMEM_MAP_MEM ? " map mem" : " map dev") : "",
		 mode == VPMEM_NS_FSDAX || mode == VPMEM_NS_DEVDAX ? " align " : "",
		 mode == VPMEM_NS_FSDAX || mode == VPMEM_NS_DEVDAX ? vpmem_size_str(align, a, sizeof(a)) : "",
		 mode == VPMEM_NS_SECTOR ? (sector == 512 ? " sector 512" : " sector 4096") : "");
}

static void want_shape(const struct vpmem_layout_ns *e, char *buf, size_t len)
{
	struct vpmem_ns_req q;

	vpmem_layout_ns_req(e, &q);
	shape(buf, len, q.mode, q.size, q.map, q.align, q.sector_size);
}

static void have_shape(const struct vpmem_ns_info *n, char *buf, size_t len)
{
	shape(buf, len, n->mode, n->rawsize, n->map, n->align, n->sector_size);
}

/* Does namespace @n match entry @e? If not, @why says how it differs. */
static bool matches(const struct vpmem_layout_ns *e, const struct vpmem_ns_info *n, char *why, size_t len)
{
	struct vpmem_ns_req q;
	char h[96], w[96];

	vpmem_layout_ns_req(e, &q);
	if (q.mode == n->mode && (!q.size || q.size == n->rawsize) &&
	    (!q.uuid_set || !n->labelled || !memcmp(q.uuid, n->raw_uuid, 16)) &&
	    (q.mode != VPMEM_NS_SECTOR || q.sector_size == n->sector_size) &&
	    ((q.mode != VPMEM_NS_FSDAX && q.mode != VPMEM_NS_DEVDAX) ||
	     (q.map == n->map && q.align == n->align)))
		return true;
	have_shape(n, h, sizeof(h));
	want_shape(e, w, sizeof(w));
	if (q.uuid_set && n->labelled && memcmp(q.uuid, n->raw_uuid, 16))
		snprintf(why, len, "has another uuid");
	else
		snprintf(why, len, "is %s, the layout says %s", h, w);
	return false;
}

static struct vpmem_lstep *add(struct vpmem_lplan *p, enum vpmem_lstep_kind k, int want, int have)
{
	/* room is there: vpmem_layout_diff reserved one step per layout entry
	 * and per namespace, and each adds at most one */
	struct vpmem_lstep *s = &p->step[p->nsteps++];

	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->want = want;
	s->have = have;
	if (k == VPMEM_LSTEP_BLOCKED)
		p->nblocked++;
	if (k == VPMEM_LSTEP_CREATE || k == VPMEM_LSTEP_REMAKE || k == VPMEM_LSTEP_MKFS || k == VPMEM_LSTEP_DESTROY)
		p->nchanges++;
	return s;
}

/* A namespace that matches: keep it, or (re-)make its filesystem. */
static void keep(struct vpmem_lplan *p, const struct vpmem_layout_ns *e, int want, int have,
		 const enum vpmem_fs *fs, bool force)
{
	struct vpmem_lstep *s;

	if (!e->fs || !fs || fs[have] == e->fs) {
		add(p, VPMEM_LSTEP_KEEP, want, have);
		return;
	}
	s = add(p, force ? VPMEM_LSTEP_MKFS : VPMEM_LSTEP_BLOCKED, want, have);
	s->mkfs = force;
	snprintf(s->why, sizeof(s->why), "holds %s, the layout says %s; %s",
		 fs[have] == VPMEM_FS_NONE ? "no filesystem" : fs[have] == VPMEM_FS_OTHER ? "another filesystem"
		 : vpmem_fs_name(fs[have]), vpmem_fs_name(e->fs),
		 force ? "making it (--force: the data on it goes)" : "left alone (--force makes it; the data on it goes)");
}

static int diff_labelless(const struct vpmem_layout *l, const struct vpmem_ns_info *ns, unsigned nns,
			  uint64_t region_size, const enum vpmem_fs *fs, bool force, struct vpmem_lplan *p,
			  struct vpmem_err *err)
{
	const struct vpmem_layout_ns *e = &l->ns[0];
	struct vpmem_lstep *s;
	char why[200], a[32];

	if (l->nns != 1)
		return vpmem_err_set(err, EINVAL,
				     "a label-less region holds exactly one namespace, spanning it; the layout asks for %u (use a region with labels)",
				     l->nns);
	if (e->name[0] || e->uuid_set)
		return vpmem_err_set(err, EINVAL,
				     "a label-less region cannot store a namespace name or uuid: drop \"name\"/\"uuid\" from the layout (or use a region with labels)");
	if (e->size && e->size != region_size)
		return vpmem_err_set(err, EINVAL, "a label-less region's one namespace is the whole region (%s); \"size\" cannot differ",
				     vpmem_size_str(region_size, a, sizeof(a)));
	if (!nns)
		return vpmem_err_set(err, ENOSPC, "the region is empty");
	if (matches(e, &ns[0], why, sizeof(why))) {
		keep(p, e, 0, 0, fs, force);
		return 0;
	}
	if (ns[0].mode == VPMEM_NS_RAW && !(fs && fs[0] != VPMEM_FS_NONE)) {
		/* an empty raw namespace takes its mode, as `namespace create` does */
		s = add(p, VPMEM_LSTEP_CREATE, 0, 0);
		s->mkfs = e->fs != VPMEM_FS_NONE;
		return 0;
	}
	s = add(p, force ? VPMEM_LSTEP_REMAKE : VPMEM_LSTEP_BLOCKED, 0, 0);
	s->mkfs = force && e->fs;
	if (ns[0].mode == VPMEM_NS_RAW)
		snprintf(why, sizeof(why), "holds a %s filesystem as raw", vpmem_fs_name(fs[0]));
	snprintf(s->why, sizeof(s->why), "%s; %s", why,
		 force ? "re-made (--force: its data goes)" : "left alone (--force re-makes it; its data goes)");
	return 0;
}

int vpmem_layout_diff(const struct vpmem_layout *l, const struct vpmem_ns_info *ns, unsigned nns,
		      bool labelled, uint64_t region_size, const enum vpmem_fs *fs, bool force,
		      struct vpmem_lplan *p, struct vpmem_err *err)
{
	bool used[VPMEM_MAX_NAMESPACES] = { false };

	memset(p, 0, offsetof(struct vpmem_lplan, step));
	if (nns > VPMEM_MAX_NAMESPACES)
		return vpmem_err_set(err, E2BIG, "the region holds %u namespaces; layouts handle up to %d", nns,
				     VPMEM_MAX_NAMESPACES);
	/* a step per layout entry and per namespace it does not name, at most */
	if (reserve((void **)&p->step, &p->step_alloc, l->nns + nns + 1, sizeof(*p->step)))
		return vpmem_err_set(err, ENOMEM, "out of memory");
	if (!labelled)
		return diff_labelless(l, ns, nns, region_size, fs, force, p, err);
	for (unsigned i = 0; i < l->nns; i++) {
		const struct vpmem_layout_ns *e = &l->ns[i];
		unsigned hits = 0, hit = 0;
		struct vpmem_lstep *s;
		char why[200];

		if (!e->name[0] && !e->uuid_set)
			return vpmem_err_set(err, EINVAL,
					     "namespaces[%u]: a namespace in a labelled region needs a \"name\" (its identity)", i);
		for (unsigned k = 0; k < nns; k++) {
			bool m = e->name[0] ? ns[k].labelled && !strcmp(ns[k].name, e->name)
					    : ns[k].labelled && !memcmp(ns[k].raw_uuid, e->uuid, 16);

			if (m) {
				hits++;
				hit = k;
				used[k] = true;
			}
		}
		if (!hits) {
			s = add(p, VPMEM_LSTEP_CREATE, (int)i, -1);
			s->mkfs = e->fs != VPMEM_FS_NONE;
		} else if (hits > 1) {
			s = add(p, VPMEM_LSTEP_BLOCKED, (int)i, -1);
			snprintf(s->why, sizeof(s->why), "%u namespaces are named '%s': identity ambiguous, none is touched",
				 hits, e->name);
		} else if (matches(e, &ns[hit], why, sizeof(why))) {
			keep(p, e, (int)i, (int)hit, fs, force);
		} else {
			s = add(p, force ? VPMEM_LSTEP_REMAKE : VPMEM_LSTEP_BLOCKED, (int)i, (int)hit);
			s->mkfs = force && e->fs;
			snprintf(s->why, sizeof(s->why), "%s; %s", why,
				 force ? "re-made (--force: its data goes)" : "left alone (--force re-makes it; its data goes)");
		}
	}
	for (unsigned k = 0; k < nns; k++) {
		unsigned same = 0;
		struct vpmem_lstep *s;

		if (used[k])
			continue;
		for (unsigned j = 0; j < nns; j++)
			same += ns[k].name[0] && !strcmp(ns[j].name, ns[k].name);
		if (!ns[k].name[0] || same > 1) {
			s = add(p, VPMEM_LSTEP_UNTOUCHED, -1, (int)k);
			snprintf(s->why, sizeof(s->why), "%s: identity ambiguous, never touched",
				 ns[k].name[0] ? "its name is held twice" : "unnamed");
			continue;
		}
		s = add(p, force ? VPMEM_LSTEP_DESTROY : VPMEM_LSTEP_EXTRA, -1, (int)k);
		snprintf(s->why, sizeof(s->why), "%s", force ? "not in the layout (--force: destroyed, its data goes)"
				 : "not in the layout: kept (--force destroys it)");
	}
	return 0;
}

void vpmem_lstep_describe(const struct vpmem_lplan *p, unsigned i, const struct vpmem_layout *l,
			  const struct vpmem_ns_info *ns, char *buf, size_t len)
{
	const struct vpmem_lstep *s = &p->step[i];
	char sh[96], name[80], dev[40] = "";

	if (s->want >= 0) {
		const struct vpmem_layout_ns *e = &l->ns[s->want];
		char u[37];

		if (s->kind == VPMEM_LSTEP_KEEP && s->have >= 0)
			have_shape(&ns[s->have], sh, sizeof(sh));
		else
			want_shape(e, sh, sizeof(sh));
		if (e->fs) {
			size_t n = strlen(sh);

			snprintf(sh + n, sizeof(sh) - n, " %s", vpmem_fs_name(e->fs));
		}
		if (e->name[0]) {
			snprintf(name, sizeof(name), "%s", e->name);
		} else if (e->uuid_set) {
			uuid_unparse_lower(e->uuid, u);
			snprintf(name, sizeof(name), "uuid %s", u);
		} else {
			snprintf(name, sizeof(name), "(unnamed)");
		}
	} else {
		have_shape(&ns[s->have], sh, sizeof(sh));
		snprintf(name, sizeof(name), "%s", ns[s->have].name[0] ? ns[s->have].name : "(unnamed)");
	}
	if (s->have >= 0)
		snprintf(dev, sizeof(dev), " (namespace index %u)", ns[s->have].index);
	snprintf(buf, len, "%-9s %-12s %s%s%s%s%s", vpmem_lstep_name(s->kind), name, sh,
		 s->kind == VPMEM_LSTEP_KEEP || s->kind == VPMEM_LSTEP_EXTRA || s->kind == VPMEM_LSTEP_DESTROY ||
		 s->kind == VPMEM_LSTEP_UNTOUCHED ? dev : "",
		 s->why[0] ? ": " : "", s->why, s->mkfs && s->kind != VPMEM_LSTEP_MKFS ? " (+ mkfs)" : "");
}

/* ---- offline: an image ---- */

int vpmem_image_probe_fs(int fd, const struct vpmem_region_info *ri, enum vpmem_fs *fs, struct vpmem_err *err)
{
	uint8_t buf[8192];

	for (unsigned i = 0; i < ri->nns; i++) {
		const struct vpmem_ns_info *n = &ri->ns[i];
		struct vpmem_ns_io *io;
		uint64_t len;
		int r;

		fs[i] = VPMEM_FS_NONE;
		if (n->mode != VPMEM_NS_FSDAX && n->mode != VPMEM_NS_RAW)
			continue;
		/* byte 0 of /dev/pmemN, through the data path (lib/format/io.c) */
		r = vpmem_ns_io_open(fd, n, true, &io, err);
		if (r)
			return r;
		len = vpmem_ns_io_size(io) < sizeof(buf) ? vpmem_ns_io_size(io) : sizeof(buf);
		r = vpmem_ns_io_pread(io, buf, len, 0, err);
		vpmem_ns_io_close(io);
		if (r)
			return r;
		fs[i] = vpmem_fs_probe(buf, (size_t)len);
	}
	return 0;
}

int vpmem_region_read_fs(int fd, const struct vpmem_image_hints *h, struct vpmem_region_info *ri,
			 enum vpmem_fs **fs, struct vpmem_err *err)
{
	int r;

	*fs = NULL;
	r = vpmem_region_read(fd, h, ri, err);
	if (r)
		return r;
	*fs = calloc(ri->nns + 1, sizeof(**fs));
	if (!*fs)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	r = vpmem_image_probe_fs(fd, ri, *fs, err);
	if (r) {
		free(*fs);
		*fs = NULL;
	}
	return r;
}

int vpmem_fs_plan_image(int fd, enum vpmem_fs fs, const struct vpmem_ns_info *ns, struct vpmem_wplan *wp,
			struct vpmem_err *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096], *out = NULL;
	struct vpmem_ns_io *io = NULL;
	int tfd, status = 0, r;

	if (fs != VPMEM_FS_EXT4 && fs != VPMEM_FS_XFS)
		return vpmem_err_set(err, EINVAL, "no filesystem to make");
	/* the namespace as the plan leaves it (its info block may be planned too) */
	r = vpmem_ns_io_open_plan(fd, ns, wp, &io, err);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/vpmem-mkfs-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	tfd = mkstemp(path);
	if (tfd < 0) {
		vpmem_ns_io_close(io);
		return vpmem_err_set(err, errno, "cannot create a temporary file in '%s': %s",
				     tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
	}
	if (ftruncate(tfd, (off_t)vpmem_ns_io_size(io))) {
		r = vpmem_err_set(err, errno, "cannot size a temporary file: %s", strerror(errno));
	} else {
		/* DAX needs the filesystem block size to equal the page size (4K) */
		char *ext4[] = { (char *)"mkfs.ext4", (char *)"-q", (char *)"-F", (char *)"-b", (char *)"4096",
				 (char *)"-E", (char *)"nodiscard", path, NULL };
		char *xfs[] = { (char *)"mkfs.xfs", (char *)"-q", (char *)"-f", (char *)"-b", (char *)"size=4096",
				(char *)"-m", (char *)"reflink=0", (char *)"-K", path, NULL };

		r = vpmem_exec_capture(fs == VPMEM_FS_EXT4 ? ext4 : xfs, NULL, 600, &out, &status, err);
		if (!r && status) {
			char *nl;

			for (nl = out ? strchr(out, '\n') : NULL; nl && nl[1]; nl = strchr(out, '\n'))
				*nl = ' ';
			if (out && (nl = strchr(out, '\n')))
				*nl = '\0';
			r = vpmem_err_set(err, EINVAL, "%s failed (status %d): %s",
					  fs == VPMEM_FS_EXT4 ? "mkfs.ext4" : "mkfs.xfs", status, out && *out ? out : "no output");
		}
		/* the data path's import: the file system's holes and zero blocks
		 * become holes, its data blocks writes, all appended to the plan
		 * and ending with a barrier */
		if (!r)
			r = vpmem_ns_import(io, tfd, NULL, NULL, NULL, err);
	}
	vpmem_ns_io_close(io);
	free(out);
	close(tfd);
	unlink(path);
	return r;
}

/* The namespace of @ri with label uuid @u (labelled), or the one namespace. */
static const struct vpmem_ns_info *find_ns(const struct vpmem_region_info *ri, const uint8_t u[16])
{
	if (!ri->labelled)
		return ri->nns ? &ri->ns[0] : NULL;
	for (unsigned i = 0; i < ri->nns; i++)
		if (!memcmp(ri->ns[i].raw_uuid, u, 16))
			return &ri->ns[i];
	return NULL;
}

static int plan_create_step(int fd, const struct vpmem_image_hints *h, const struct vpmem_region_info *ri,
			    struct vpmem_rsnap *snap, const struct vpmem_layout_ns *e, bool mkfs,
			    struct vpmem_wplan *wp, struct vpmem_err *err)
{
	struct vpmem_region_info *cur = calloc(1, sizeof(*cur));
	struct vpmem_wplan one = { 0 };
	struct vpmem_ns_info out;
	struct vpmem_ns_req req;
	int r = 0;

	if (!cur)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	vpmem_layout_ns_req(e, &req);
	/* with nothing planned yet the region is @ri, already decoded */
	if (wp->n)
		r = region_read_snap(fd, h, wp, snap, cur, err);
	if (!r)
		r = vpmem_ns_plan_create(wp->n ? cur : ri, h, &req, &one, &out, err);
	if (r) {
		struct vpmem_err e2 = *err;

		vpmem_err_set(err, e2.code, "%s: %s", e->name[0] ? e->name : "namespace", e2.msg);
	}
	/* the filesystem goes into the data area before the label makes it reachable */
	if (!r && mkfs)
		r = vpmem_fs_plan_image(fd, e->fs, &out, wp, err);
	if (!r && vpmem_wplan_move(wp, &one))
		r = vpmem_err_set(err, ENOMEM, "out of memory");
	vpmem_wplan_free(&one);
	vpmem_region_free(cur);
	free(cur);
	return r;
}

/*
 * One commit for all the creates: each create was planned with its own index
 * update (so the next one sees its slot and space taken); drop those, let the
 * info areas, filesystems and labels (all in free space and free slots, so
 * unreachable until the commit) go out with one barrier, then write the
 * final free bitmap once, into the index block that was not current, with the
 * next sequence number — the kernel's two-index update (label.c
 * nd_label_write_index). A crash before it leaves the region as it was; after
 * it, with every new namespace. Three fsyncs instead of three per namespace.
 */
static int batch_commit(int fd, const struct vpmem_image_hints *h, const struct vpmem_region_info *ri,
			struct vpmem_rsnap *snap, struct vpmem_wplan *wp, size_t c0, struct vpmem_err *err)
{
	struct vpmem_region_info *fin = calloc(1, sizeof(*fin)), *base = calloc(1, sizeof(*base));
	const struct vpmem_region_info *b0 = base;
	struct vpmem_wplan head = *wp;
	uint8_t *ix = NULL;
	size_t k = c0;
	int r = 0, next;
	uint32_t seq;
	char what[64];

	if (!fin || !base) {
		r = vpmem_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	head.n = c0;
	r = region_read_snap(fd, h, wp, snap, fin, err);
	/* the index the creates started from: @ri's when nothing came before them */
	if (!r && c0)
		r = region_read_snap(fd, h, &head, snap, base, err);
	else
		b0 = ri;
	if (r || !b0->labelled || !fin->labelled)
		goto out;
	next = !b0->lsa.current;
	seq = vpmem_nsindex_next_seq(b0->lsa.seq[b0->lsa.current]);
	ix = malloc(fin->lsa.g.isz);
	if (!ix) {
		r = vpmem_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	vpmem_nsindex_encode(&fin->lsa.g, next, seq, fin->lsa.free, ix);
	for (size_t i = c0; i < wp->n; i++) {
		if (!strncmp(wp->w[i].what, "label index", 11)) {
			free(wp->w[i].data);
			continue;
		}
		wp->w[k] = wp->w[i];
		wp->w[k++].sync = false;
	}
	wp->n = k;
	if (k > c0)
		wp->w[k - 1].sync = true;
	snprintf(what, sizeof(what), "label index %d (commit: every new namespace)", next);
	if (vpmem_wplan_add(wp, fin->size - fin->label_size + (uint64_t)next * fin->lsa.g.isz, ix, fin->lsa.g.isz,
			    true, what))
		r = vpmem_err_set(err, ENOMEM, "out of memory");
out:
	free(ix);
	if (fin)
		vpmem_region_free(fin);
	if (base)
		vpmem_region_free(base);
	free(fin);
	free(base);
	return r;
}

int vpmem_layout_plan_image(int fd, const struct vpmem_image_hints *h, const struct vpmem_region_info *ri,
			    const struct vpmem_layout *l, const struct vpmem_lplan *lp,
			    struct vpmem_wplan *wp, struct vpmem_err *err)
{
	size_t c0;
	struct vpmem_region_info *cur = calloc(1, sizeof(*cur));
	/* every step below decodes the region as the steps before leave it:
	 * the file is read once, the steps' writes laid over it each time */
	struct vpmem_rsnap *snap = rsnap_new();
	int r = 0;

	if (!cur || !snap) {
		free(cur);
		rsnap_free(snap);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	/* 1. destroys (and the destroy half of re-makes), one index commit each */
	for (unsigned i = 0; !r && i < lp->nsteps; i++) {
		const struct vpmem_lstep *s = &lp->step[i];
		size_t pending;
		unsigned n;

		if (s->kind != VPMEM_LSTEP_DESTROY && s->kind != VPMEM_LSTEP_REMAKE)
			continue;
		pending = wp->n; /* nothing planned yet: the region is @ri */
		if (pending)
			r = region_read_snap(fd, h, wp, snap, cur, err);
		if (!r)
			r = vpmem_ns_plan_destroy(pending ? cur : ri, ri->labelled ? VPMEM_MATCH_UUID : VPMEM_MATCH_ALL,
						  ri->ns[s->have].raw_uuid, NULL, wp, &n, err);
		if (pending)
			vpmem_region_free(cur);
	}
	/* 2. creates: sized ones in the layout's order, then the one taking the rest */
	c0 = wp->n;
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; !r && i < lp->nsteps; i++) {
			const struct vpmem_lstep *s = &lp->step[i];

			if ((s->kind != VPMEM_LSTEP_CREATE && s->kind != VPMEM_LSTEP_REMAKE) ||
			    (l->ns[s->want].size == 0) != (pass == 1))
				continue;
			r = plan_create_step(fd, h, ri, snap, &l->ns[s->want], s->mkfs, wp, err);
		}
	if (!r && ri->labelled && wp->n > c0)
		r = batch_commit(fd, h, ri, snap, wp, c0, err);
	/* 3. filesystems on kept namespaces */
	for (unsigned i = 0; !r && i < lp->nsteps; i++) {
		const struct vpmem_lstep *s = &lp->step[i];
		const struct vpmem_ns_info *n;

		if (s->kind != VPMEM_LSTEP_MKFS)
			continue;
		r = region_read_snap(fd, h, wp, snap, cur, err);
		n = r ? NULL : find_ns(cur, ri->ns[s->have].raw_uuid);
		if (n)
			r = vpmem_fs_plan_image(fd, l->ns[s->want].fs, n, wp, err);
		else if (!r)
			r = vpmem_err_set(err, ENOENT, "a kept namespace went missing from the plan");
		vpmem_region_free(cur);
	}
	free(cur);
	rsnap_free(snap);
	return r;
}

/* ---- Nova ---- */

void vpmem_nova_free(struct vpmem_nova *n)
{
	free(n->conf);
	n->conf = NULL;
}

/* "6GB" (GiB multiples, as Nova's examples), else "NMB". */
static void size_label(uint64_t size, char *buf, size_t len)
{
	if (size % (1ULL << 30) == 0)
		snprintf(buf, len, "%" PRIu64 "GB", size >> 30);
	else
		snprintf(buf, len, "%" PRIu64 "MB", size >> 20);
}

int vpmem_layout_nova(const struct vpmem_layout *l, struct vpmem_nova *out, struct vpmem_err *err)
{
	char label[VPMEM_MAX_NAMESPACES][64];
	uint64_t first[16] = { 0 };
	size_t cap = 64, used = 0;
	char *conf;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < l->nns; i++) {
		const struct vpmem_layout_ns *e = &l->ns[i];

		if (e->mode != VPMEM_NS_DEVDAX)
			continue;
		if (!e->name[0])
			return vpmem_err_set(err, EINVAL,
					     "namespaces[%u]: Nova uses named namespaces only (it skips unnamed ones in `ndctl list -X`)", i);
		if (strpbrk(e->name, "|,:"))
			return vpmem_err_set(err, EINVAL,
					     "'%s': Nova cannot use a namespace name holding '|', ',' or ':' (they separate pmem_namespaces entries)",
					     e->name);
		if (l->nova_label[0])
			snprintf(label[i], sizeof(label[i]), "%s", l->nova_label);
		else if (e->size)
			size_label(e->size, label[i], sizeof(label[i]));
		else
			return vpmem_err_set(err, EINVAL,
					     "'%s' has no size to make its Nova label from: give it a \"size\" or the layout a \"nova_label\"",
					     e->name);
		cap += strlen(e->name) + strlen(label[i]) + 4;
	}
	if (l->nova_label[0] && strpbrk(l->nova_label, "|,: \t"))
		return vpmem_err_set(err, EINVAL, "\"nova_label\" '%s' holds '|', ',', ':' or a space (they separate pmem_namespaces entries)",
				     l->nova_label);
	for (unsigned i = 0; i < l->nns; i++)
		if (l->ns[i].mode != VPMEM_NS_DEVDAX && l->ns[i].name[0] && out->nwarn < 8)
			snprintf(out->warn[out->nwarn++], sizeof(out->warn[0]),
				 "'%s' is %s: Nova uses devdax namespaces only; left out", l->ns[i].name,
				 mode_names[l->ns[i].mode]);
	/* group by label, in the layout's order */
	for (unsigned i = 0; i < l->nns; i++) {
		unsigned k;

		if (l->ns[i].mode != VPMEM_NS_DEVDAX)
			continue;
		for (k = 0; k < out->nlabels && strcmp(out->labels[k], label[i]); k++)
			;
		if (k == out->nlabels) {
			if (k == 16)
				return vpmem_err_set(err, E2BIG, "more than 16 Nova labels");
			snprintf(out->labels[out->nlabels++], sizeof(out->labels[0]), "%s", label[i]);
			first[k] = l->ns[i].size;
		} else if (l->ns[i].size != first[k] && out->nwarn < 8) {
			char a[32], b[32];

			snprintf(out->warn[out->nwarn++], sizeof(out->warn[0]),
				 "label %s holds namespaces of different sizes (%s and %s): Nova recommends, but does not require, one size per label",
				 label[i], vpmem_size_str(first[k], a, sizeof(a)), l->ns[i].size ? vpmem_size_str(l->ns[i].size, b, sizeof(b)) : "the rest");
		}
	}
	if (!out->nlabels)
		return vpmem_err_set(err, EINVAL, "no devdax namespace in the layout: Nova's vPMEM uses devdax namespaces only");
	conf = malloc(cap);
	if (!conf)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	used = (size_t)snprintf(conf, cap, "[libvirt]\npmem_namespaces = ");
	for (unsigned k = 0; k < out->nlabels; k++) {
		bool firstns = true;

		used += (size_t)snprintf(conf + used, cap - used, "%s%s:", k ? "," : "", out->labels[k]);
		for (unsigned i = 0; i < l->nns; i++) {
			if (l->ns[i].mode != VPMEM_NS_DEVDAX || strcmp(label[i], out->labels[k]))
				continue;
			used += (size_t)snprintf(conf + used, cap - used, "%s%s", firstns ? "" : "|", l->ns[i].name);
			firstns = false;
		}
	}
	out->conf = conf;
	return 0;
}

struct vpmem_layout *vpmem_layout_new(void)
{
	return calloc(1, sizeof(struct vpmem_layout));
}

void vpmem_layout_free(struct vpmem_layout *l)
{
	if (l)
		free(l->ns);
	free(l);
}

struct vpmem_lplan *vpmem_lplan_new(void)
{
	return calloc(1, sizeof(struct vpmem_lplan));
}

void vpmem_lplan_free(struct vpmem_lplan *p)
{
	if (p)
		free(p->step);
	free(p);
}
