// SPDX-License-Identifier: MIT
/* JSON shapes follow ndctl util/json.c (util_namespace_to_json, util_region_to_json). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <vpmem/nfit.h>
#include <vpmem/size.h>

#include "nsout.h"

static void uuid_str(const uint8_t u[16], char out[37])
{
	uuid_unparse_lower(u, out);
}

/* A name from the image, in double quotes; bytes a terminal would act on
 * (ESC, newline, other controls) and quote/backslash are shown escaped. */
static void print_quoted(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
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

json_object *ns_to_json(const struct vpmem_ns_info *ns, unsigned region, bool verbose)
{
	json_object *o = json_object_new_object();
	char buf[64];

	snprintf(buf, sizeof(buf), "namespace%u.%u", region, ns->index);
	json_object_object_add(o, "dev", json_object_new_string(buf));
	json_object_object_add(o, "mode", json_object_new_string(vpmem_ns_mode_name(ns->mode)));
	if (ns->map)
		json_object_object_add(o, "map", json_object_new_string(ns->map == VPMEM_MAP_DEV ? "dev" : "mem"));
	json_object_object_add(o, "size", json_object_new_uint64(ns->size));
	if (ns->has_uuid) {
		uuid_str(ns->uuid, buf);
		json_object_object_add(o, "uuid", json_object_new_string(buf));
	}
	if (ns->labelled && ns->mode != VPMEM_NS_RAW) {
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

json_object *region_to_json(const struct vpmem_region_info *ri, unsigned region, const char *dimm,
			    bool verbose)
{
	json_object *o = json_object_new_object(), *maps = json_object_new_array(),
		    *m = json_object_new_object(), *nss = json_object_new_array();
	char buf[32];

	snprintf(buf, sizeof(buf), "region%u", region);
	json_object_object_add(o, "dev", json_object_new_string(buf));
	json_object_object_add(o, "size", json_object_new_uint64(ri->region_size));
	json_object_object_add(o, "align", json_object_new_int64(16 << 20));
	json_object_object_add(o, "available_size", json_object_new_uint64(ri->available_size));
	json_object_object_add(o, "max_available_extent", json_object_new_uint64(ri->max_available_extent));
	json_object_object_add(o, "type", json_object_new_string("pmem"));
	if (ri->labelled)
		json_object_object_add(o, "iset_id", json_object_new_uint64(ri->iset_id));
	json_object_object_add(m, "dimm", json_object_new_string(dimm));
	json_object_object_add(m, "offset", json_object_new_int(0));
	json_object_object_add(m, "length", json_object_new_uint64(ri->region_size));
	json_object_object_add(m, "position", json_object_new_int(0));
	json_object_array_add(maps, m);
	json_object_object_add(o, "mappings", maps);
	for (unsigned i = 0; i < ri->nns; i++)
		json_object_array_add(nss, ns_to_json(&ri->ns[i], region, verbose));
	json_object_object_add(o, "namespaces", nss);
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

void ns_print_text(const struct vpmem_ns_info *ns, unsigned region)
{
	char sz[32], u[37], blk[32];

	devname(ns, region, blk, sizeof(blk));
	printf("  namespace%u.%u  %-6s", region, ns->index, vpmem_ns_mode_name(ns->mode));
	if (ns->map)
		printf(" map=%s", ns->map == VPMEM_MAP_DEV ? "dev" : "mem");
	printf("  %s", vpmem_size_human(ns->size, sz, sizeof(sz)));
	if (ns->sector_size && ns->mode == VPMEM_NS_SECTOR)
		printf("  sector %u", ns->sector_size);
	if (ns->align)
		printf("  align %s", vpmem_size_str(ns->align, sz, sizeof(sz)));
	printf("  /dev/%s", blk);
	if (ns->has_uuid) {
		uuid_unparse_lower(ns->uuid, u);
		printf("  uuid %s", u);
	}
	if (ns->name[0]) {
		fputs("  name ", stdout);
		print_quoted(ns->name);
	}
	putchar('\n');
	if (ns->note[0])
		printf("    note: %s\n", ns->note);
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

int wplan_apply_cmd(int fd, const struct vpmem_wplan *p, struct vpmem_err *err)
{
	const char *crash = getenv("VPMEM_TEST_CRASH_AFTER_WRITES");

	if (crash && *crash) {
		size_t n = (size_t)strtoul(crash, NULL, 10);

		if (n < p->n) {
			int r = vpmem_wplan_apply(fd, p, n, NULL, err);

			fflush(stdout);
			_exit(r ? 1 : 99);
		}
	}
	return vpmem_wplan_apply(fd, p, SIZE_MAX, NULL, err);
}
