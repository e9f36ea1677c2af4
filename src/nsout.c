// SPDX-License-Identifier: MIT
/* JSON shapes follow ndctl util/json.c (util_namespace_to_json, util_region_to_json). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/namespace.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "table.h"

static void uuid_str(const uint8_t u[16], char out[37])
{
	uuid_unparse_lower(u, out);
}

/* Text from an image (notes, problems): bytes a terminal would act on (ESC,
 * newline, other controls) and backslash are shown escaped. */
void print_escaped(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static void devname(const struct vpmem_ns_info *ns, unsigned region, char *blk, size_t len)
{
	/* pmemR, pmemR.N (N > 0), "s" for the BTT device; daxR.N for devdax */
	if (ns->mode == VPMEM_NS_DEVDAX)
		snprintf(blk, len, "dax%u.%u", region, ns->index);
	else if (ns->index)
		snprintf(blk, len, "pmem%u.%u%s", region, ns->index, ns->mode == VPMEM_NS_SECTOR ? "s" : "");
	else
		snprintf(blk, len, "pmem%u%s", region, ns->mode == VPMEM_NS_SECTOR ? "s" : "");
}

/* ndctl util_json_object_size(): bytes, or with -u ("human") from 5000 KiB up
 * the string "46.00 MiB (48.23 MB)" (ndctl util/json.c display_size, IEC then
 * JEDEC, rounded to hundredths). */
json_object *json_size(uint64_t v, unsigned flags)
{
	char buf[96];
	int c;

	if (!(flags & NSOUT_HUMAN) || v < 5000ULL * 1024)
		return json_object_new_uint64(v);
	if (v < (2ULL << 30)) {
		uint64_t cm = (v * 200 / (1ULL << 20) + 1) / 2, cmb = (v / (1000000ULL / 200) + 1) / 2;

		c = snprintf(buf, sizeof(buf), "%" PRIu64 ".%02" PRIu64 " MiB", cm / 100, cm % 100);
		snprintf(buf + c, sizeof(buf) - (size_t)c, " (%" PRIu64 ".%02" PRIu64 " MB)", cmb / 100, cmb % 100);
	} else if (v < (2ULL << 40)) {
		uint64_t cg = (v * 200 / (1ULL << 30) + 1) / 2, cgb = (v / (1000000000ULL / 200) + 1) / 2;

		c = snprintf(buf, sizeof(buf), "%" PRIu64 ".%02" PRIu64 " GiB", cg / 100, cg % 100);
		snprintf(buf + c, sizeof(buf) - (size_t)c, " (%" PRIu64 ".%02" PRIu64 " GB)", cgb / 100, cgb % 100);
	} else {
		uint64_t ct = (v * 200 / (1ULL << 40) + 1) / 2, ctb = (v / (1000000000000ULL / 200) + 1) / 2;

		c = snprintf(buf, sizeof(buf), "%" PRIu64 ".%02" PRIu64 " TiB", ct / 100, ct % 100);
		snprintf(buf + c, sizeof(buf) - (size_t)c, " (%" PRIu64 ".%02" PRIu64 " TB)", ctb / 100, ctb % 100);
	}
	return json_object_new_string(buf);
}

/* ndctl util_json_object_hex(): a number, or with -u the string "0x1f" ("0" for zero). */
json_object *json_hex(uint64_t v, unsigned flags)
{
	char buf[32];

	if (!(flags & NSOUT_HUMAN))
		return json_object_new_uint64(v);
	snprintf(buf, sizeof(buf), "%#" PRIx64, v);
	return json_object_new_string(buf);
}

json_object *ns_to_json(const struct vpmem_ns_info *ns, unsigned region, unsigned flags)
{
	json_object *o = json_object_new_object();
	bool verbose = flags & NSOUT_VERBOSE;
	char buf[64];

	snprintf(buf, sizeof(buf), "namespace%u.%u", region, ns->index);
	json_object_object_add(o, "dev", json_object_new_string(buf));
	json_object_object_add(o, "mode", json_object_new_string(vpmem_ns_mode_name(ns->mode)));
	if (ns->map)
		json_object_object_add(o, "map", json_object_new_string(ns->map == VPMEM_MAP_DEV ? "dev" : "mem"));
	json_object_object_add(o, "size", json_size(ns->size, flags));
	if (ns->has_uuid) {
		uuid_str(ns->uuid, buf);
		json_object_object_add(o, "uuid", json_object_new_string(buf));
	}
	/* ndctl shows raw_uuid with -v only (util_raw_uuid_to_json); vpmem's
	 * own document always did */
	if (ns->labelled && ns->mode != VPMEM_NS_RAW && (verbose || !(flags & NSOUT_NDCTL))) {
		uuid_str(ns->raw_uuid, buf);
		json_object_object_add(o, "raw_uuid", json_object_new_string(buf));
	}
	if (ns->sector_size)
		json_object_object_add(o, "sector_size", json_object_new_int((int)ns->sector_size));
	if (ns->align)
		json_object_object_add(o, "align", json_object_new_int64(ns->align));
	devname(ns, region, buf, sizeof(buf));
	json_object_object_add(o, ns->mode == VPMEM_NS_DEVDAX ? "chardev" : "blockdev", json_object_new_string(buf));
	if (ns->name[0])
		json_object_object_add(o, "name", json_object_new_string(ns->name));
	if (verbose) {
		json_object_object_add(o, "dpa", json_object_new_uint64(ns->dpa));
		json_object_object_add(o, "raw_size", json_object_new_uint64(ns->rawsize));
		if (ns->labelled) {
			json_object_object_add(o, "label_slot", json_object_new_int((int)ns->label_slot));
			json_object_object_add(o, "claim_class", json_object_new_string(vpmem_claim_name(ns->claim)));
		}
		if (ns->dataoff)
			json_object_object_add(o, "dataoff", json_object_new_uint64(ns->dataoff));
		if (ns->info_major || ns->info_minor) {
			snprintf(buf, sizeof(buf), "%u.%u", ns->info_major, ns->info_minor);
			json_object_object_add(o, "info_version", json_object_new_string(buf));
		}
	}
	if (ns->note[0])
		json_object_object_add(o, "note", json_object_new_string(ns->note));
	return o;
}

/* The guest's identity of the image's DIMM: QEMU's NFIT of its slot, or for
 * a CXL image the serial in decimal, as `cxl list -M` prints it (and newer
 * kernels' nmemX/cxl/id, drivers/cxl/pmem.c id_show). */
static void dimm_of(const struct vpmem_region_info *ri, struct vpmem_nfit_dimm *d)
{
	vpmem_nfit_dimm(ri->cxl ? 0 : (unsigned)ri->slot, d);
	if (ri->cxl)
		snprintf(d->id, sizeof(d->id), "%llu", (unsigned long long)ri->cxl_serial);
}

json_object *dimm_to_json(const struct vpmem_region_info *ri, const char *dev, const char *file, unsigned flags)
{
	json_object *o = json_object_new_object();
	struct vpmem_nfit_dimm d;

	dimm_of(ri, &d);
	json_object_object_add(o, "dev", json_object_new_string(dev));
	json_object_object_add(o, "id", json_object_new_string(d.id));
	if (ri->cxl) {
		char sn[24];

		snprintf(sn, sizeof(sn), "0x%llx", (unsigned long long)ri->cxl_serial);
		json_object_object_add(o, "serial", json_object_new_string(sn));
		json_object_object_add(o, "provider", json_object_new_string("CXL"));
	} else {
		json_object_object_add(o, "handle", json_hex(d.handle, flags));
		json_object_object_add(o, "phys_id", json_hex(0, flags));
	}
	if (file && (!(flags & NSOUT_NDCTL) || flags & NSOUT_VERBOSE))
		json_object_object_add(o, "file", json_object_new_string(file));
	if (flags & NSOUT_VERBOSE)
		json_object_object_add(o, "slot", json_object_new_int(ri->slot));
	return o;
}

json_object *region_to_json(const struct vpmem_region_info *ri, unsigned region, const char *dimm,
			    unsigned flags)
{
	json_object *o = json_object_new_object();
	bool verbose = flags & NSOUT_VERBOSE;
	char buf[32];

	snprintf(buf, sizeof(buf), "region%u", region);
	json_object_object_add(o, "dev", json_object_new_string(buf));
	json_object_object_add(o, "size", json_size(ri->region_size, flags));
	json_object_object_add(o, "align", json_size(VPMEM_REGION_ALIGN, flags));
	json_object_object_add(o, "available_size", json_size(ri->available_size, flags));
	json_object_object_add(o, "max_available_extent", json_size(ri->max_available_extent, flags));
	json_object_object_add(o, "type", json_object_new_string("pmem"));
	if (ri->labelled)
		json_object_object_add(o, "iset_id", json_hex(ri->iset_id, flags));
	if (flags & NSOUT_MAPPINGS) {
		json_object *maps = json_object_new_array(), *m = json_object_new_object();

		json_object_object_add(m, "dimm", json_object_new_string(dimm));
		json_object_object_add(m, "offset", json_hex(0, flags));
		json_object_object_add(m, "length", json_hex(ri->region_size, flags));
		json_object_object_add(m, "position", json_object_new_int(0));
		json_object_array_add(maps, m);
		json_object_object_add(o, "mappings", maps);
	}
	if (flags & NSOUT_NAMESPACES) {
		json_object *nss = json_object_new_array();

		for (unsigned i = 0; i < ri->nns; i++)
			json_object_array_add(nss, ns_to_json(&ri->ns[i], region, flags));
		json_object_object_add(o, "namespaces", nss);
	}
	if (verbose) {
		json_object_object_add(o, "label_size", json_object_new_uint64(ri->label_size));
		if (ri->labelled) {
			snprintf(buf, sizeof(buf), "1.%d", ri->lsa.g.version == VPMEM_LABEL_V1_2 ? 2 : 1);
			json_object_object_add(o, "label_version", json_object_new_string(buf));
			json_object_object_add(o, "label_index", json_object_new_int(ri->lsa.current));
			json_object_object_add(o, "label_seq", json_object_new_int((int)ri->lsa.seq[ri->lsa.current]));
			json_object_object_add(o, "label_slots", json_object_new_int((int)ri->lsa.g.nslot));
		}
		json_object_object_add(o, "slot_source", json_object_new_string(ri->slot_source));
	}
	if (ri->nproblems) {
		json_object *p = json_object_new_array();

		for (unsigned i = 0; i < ri->nproblems; i++)
			json_object_array_add(p, json_object_new_string(ri->problems[i]));
		json_object_object_add(o, "problems", p);
	}
	return o;
}

/* ---- text: one table for dimms, regions and namespaces (list, namespace create) ---- */

const struct table_col list_cols[LC_COUNT] = {
	[LC_DEV] = { "DEV", 0.1, SCOLS_FL_TREE | SCOLS_FL_NOEXTREMES, T_DEF, 0 },
	[LC_FILE] = { "FILE", 0.2, SCOLS_FL_TRUNC, T_DEF, LK_DIMM | LK_REGION },
	[LC_ID] = { "ID", 0.1, 0, T_DEF, LK_DIMM },
	[LC_SIZE] = { "SIZE", 6, SCOLS_FL_RIGHT, T_DEF, LK_REGION | LK_NS },
	[LC_LABELS] = { "LABELS", 4, 0, T_DEF, LK_REGION },
	[LC_MODE] = { "MODE", 6, 0, T_DEF, LK_NS },
	[LC_MAP] = { "MAP", 3, 0, T_DEF, LK_NS },
	[LC_SECTOR] = { "SECTOR", 4, SCOLS_FL_RIGHT, T_DEF, LK_NS },
	[LC_ALIGN] = { "ALIGN", 2, SCOLS_FL_RIGHT, T_DEF, LK_NS },
	[LC_DEVICE] = { "DEVICE", 0.1, 0, T_DEF, LK_NS },
	[LC_UUID] = { "UUID", 36, 0, T_DEF, LK_NS },
	[LC_NAME] = { "NAME", 0.1, SCOLS_FL_WRAP, T_DEF, LK_NS },
	[LC_SLOT] = { "SLOT", 2, SCOLS_FL_RIGHT, T_VERB, LK_DIMM | LK_REGION },
	[LC_HANDLE] = { "HANDLE", 2, SCOLS_FL_RIGHT, T_VERB, LK_DIMM },
	[LC_ISET] = { "ISET", 18, 0, T_VERB, LK_REGION },
	[LC_FREE] = { "FREE", 6, SCOLS_FL_RIGHT, T_VERB, LK_REGION },
	[LC_EXTENT] = { "EXTENT", 6, SCOLS_FL_RIGHT, T_VERB, LK_REGION },
	[LC_RAW_UUID] = { "RAW_UUID", 36, 0, T_VERB, LK_NS },
	[LC_DPA] = { "DPA", 6, SCOLS_FL_RIGHT, T_VERB, LK_NS },
	[LC_RAW_SIZE] = { "RAW_SIZE", 6, SCOLS_FL_RIGHT, T_VERB, LK_NS },
	[LC_LSLOT] = { "LSLOT", 2, SCOLS_FL_RIGHT, T_VERB, LK_NS },
	[LC_CLAIM] = { "CLAIM", 4, 0, T_VERB, LK_NS },
	[LC_DATAOFF] = { "DATAOFF", 6, SCOLS_FL_RIGHT, T_VERB, LK_NS },
	[LC_INFO] = { "INFO", 3, 0, T_VERB, LK_NS },
};

void list_row_dimm(struct table *t, struct libscols_line *ln, const struct vpmem_region_info *ri,
		   const char *dev, const char *file)
{
	struct vpmem_nfit_dimm d;

	dimm_of(ri, &d);
	table_set(t, ln, LC_DEV, "%s", dev);
	table_set(t, ln, LC_FILE, "%s", file);
	table_set(t, ln, LC_ID, "%s", d.id);
	if (!ri->cxl) {
		table_set(t, ln, LC_SLOT, "%d", ri->slot);
		table_set(t, ln, LC_HANDLE, "%#x", d.handle);
	}
}

void list_row_region(struct table *t, struct libscols_line *ln, const struct vpmem_region_info *ri,
		     unsigned region, const char *file)
{
	char a[32];

	table_set(t, ln, LC_DEV, "region%u", region);
	if (file)
		table_set(t, ln, LC_FILE, "%s", file);
	table_set(t, ln, LC_SIZE, "%s", vpmem_size_human(ri->region_size, a, sizeof(a)));
	if (ri->labelled)
		table_set(t, ln, LC_LABELS, "v1.%d", ri->lsa.g.version == VPMEM_LABEL_V1_2 ? 2 : 1);
	else
		table_set(t, ln, LC_LABELS, "%s", ri->label_size ? "uninit" : "none");
	if (file && !ri->cxl)
		table_set(t, ln, LC_SLOT, "%d", ri->slot);
	if (ri->labelled) {
		table_set(t, ln, LC_ISET, "%#" PRIx64, ri->iset_id);
		table_set(t, ln, LC_FREE, "%s", vpmem_size_human(ri->available_size, a, sizeof(a)));
		table_set(t, ln, LC_EXTENT, "%s", vpmem_size_human(ri->max_available_extent, a, sizeof(a)));
	}
}

void list_row_ns(struct table *t, struct libscols_line *ln, const struct vpmem_ns_info *ns, unsigned region)
{
	char a[40];

	table_set(t, ln, LC_DEV, "namespace%u.%u", region, ns->index);
	table_set(t, ln, LC_SIZE, "%s", vpmem_size_human(ns->size, a, sizeof(a)));
	table_set(t, ln, LC_MODE, "%s", vpmem_ns_mode_name(ns->mode));
	if (ns->map)
		table_set(t, ln, LC_MAP, "%s", ns->map == VPMEM_MAP_DEV ? "dev" : "mem");
	if (ns->sector_size)
		table_set(t, ln, LC_SECTOR, "%u", ns->sector_size);
	if (ns->align)
		table_set(t, ln, LC_ALIGN, "%s", vpmem_size_str(ns->align, a, sizeof(a)));
	devname(ns, region, a, sizeof(a));
	table_set(t, ln, LC_DEVICE, "/dev/%s", a);
	if (ns->has_uuid) {
		uuid_str(ns->uuid, a);
		table_set(t, ln, LC_UUID, "%s", a);
	}
	/* raw bytes from the image: libsmartcols escapes what a terminal would act on */
	if (ns->name[0])
		table_set(t, ln, LC_NAME, "%s", ns->name);
	if (ns->labelled && ns->mode != VPMEM_NS_RAW) {
		uuid_str(ns->raw_uuid, a);
		table_set(t, ln, LC_RAW_UUID, "%s", a);
	}
	table_set(t, ln, LC_DPA, "%#" PRIx64, ns->dpa);
	table_set(t, ln, LC_RAW_SIZE, "%s", vpmem_size_human(ns->rawsize, a, sizeof(a)));
	if (ns->labelled) {
		table_set(t, ln, LC_LSLOT, "%u", ns->label_slot);
		table_set(t, ln, LC_CLAIM, "%s", vpmem_claim_name(ns->claim));
	}
	if (ns->dataoff)
		table_set(t, ln, LC_DATAOFF, "%#" PRIx64, ns->dataoff);
	if (ns->info_major || ns->info_minor)
		table_set(t, ln, LC_INFO, "%u.%u", ns->info_major, ns->info_minor);
}

/* Notes after a table: what a row cannot say. */
static void print_notes(const struct vpmem_ns_info *ns, unsigned n, unsigned region)
{
	for (unsigned i = 0; i < n; i++)
		if (ns[i].note[0]) {
			printf("namespace%u.%u: note: ", region, ns[i].index);
			print_escaped(ns[i].note);
			putchar('\n');
		}
}

int ns_print_list(const struct vpmem_ns_info *ns, unsigned n, unsigned region, const struct table_opts *o)
{
	static const struct table_opts none = { 0 };
	struct table *t;
	int r = table_new(&t, "namespace", list_cols, LC_COUNT, o ? o : &none, LK_NS, false);

	if (r)
		return r;
	for (unsigned i = 0; i < n; i++)
		list_row_ns(t, table_row(t, NULL), &ns[i], region);
	r = n ? table_print(t) : (table_free(t), 0);
	print_notes(ns, n, region);
	return r;
}

void ns_print_text(const struct vpmem_ns_info *ns, unsigned region)
{
	ns_print_list(ns, 1, region, NULL);
}

void list_print_notes(const struct vpmem_ns_info *ns, unsigned n, unsigned region)
{
	print_notes(ns, n, region);
}

void wplan_print(const struct vpmem_wplan *p, const char *path)
{
	printf("plan for '%s': %zu write(s)\n", path, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct vpmem_write *w = &p->w[i];

		printf("  %2zu. %s %" PRIu64 " bytes at 0x%" PRIx64 ": %s%s\n", i + 1,
		       w->data ? "write" : "zero ", w->len, w->off, w->what, w->sync ? " [fsync]" : "");
	}
}

json_object *wplan_to_json(const struct vpmem_wplan *p, const char *path)
{
	json_object *o = json_object_new_object(), *w = json_object_new_array();

	json_object_object_add(o, "file", json_object_new_string(path));
	json_object_object_add(o, "dry_run", json_object_new_boolean(1));
	for (size_t i = 0; i < p->n; i++) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "op", json_object_new_string(p->w[i].data ? "write" : "zero"));
		json_object_object_add(j, "offset", json_object_new_uint64(p->w[i].off));
		json_object_object_add(j, "length", json_object_new_uint64(p->w[i].len));
		json_object_object_add(j, "what", json_object_new_string(p->w[i].what));
		json_object_object_add(j, "fsync", json_object_new_boolean(p->w[i].sync));
		json_object_array_add(w, j);
	}
	json_object_object_add(o, "writes", w);
	return o;
}

size_t test_write_limit(void)
{
	const char *crash = getenv("VPMEM_TEST_CRASH_AFTER_WRITES");

	return crash && *crash ? (size_t)strtoul(crash, NULL, 10) : SIZE_MAX;
}

void test_crash(int r)
{
	fflush(stdout);
	_exit(r ? 1 : 99);
}

void show_progress(uint64_t done, uint64_t total, void *arg)
{
	char a[32], b[32];

	fprintf(stderr, "\r%s: %s of %s (%u%%)   ", (const char *)arg, vpmem_size_human(done, a, sizeof(a)),
		vpmem_size_human(total, b, sizeof(b)), total ? (unsigned)(done * 100 / total) : 100);
	if (done >= total)
		fputc('\n', stderr);
}
