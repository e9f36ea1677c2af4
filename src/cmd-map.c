// SPDX-License-Identifier: MIT
/* vpmem map: host backing <-> guest nmemN, by identity. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/file.h>
#include <vpmem/guest.h>
#include <vpmem/hostmap.h>
#include <vpmem/input.h>
#include <vpmem/libvirt.h>
#include <vpmem/vmstate.h>

#include "nsout.h"
#include "options.h"
#include "table.h"
#include "vpmem.h"

const char usage_map[] =
	"usage: vpmem map [--qemu-cmdline FILE | --qemu-pid PID | --libvirt-xml FILE |\n"
	"                  --libvirt-domain NAME [--connect URI] | --vm NAME | --state-dir DIR]\n"
	"                 [--vmdk FILE]... [--vmkfstools-output FILE]\n"
	"                 [--guest-json FILE | --sysroot DIR] [--json]\n"
	"                 " TABLE_USAGE "\n"
	"\n"
	"Which host file is nmem1 in my guest? Join a host description with the\n"
	"guest's DIMMs by identity, never by enumeration order: QEMU slots (guest\n"
	"serial 0x123456 + slot, id 8680-…), libvirt <address type='dimm' slot>,\n"
	"VMware vPMem disk UUIDs (id 8902- + the UUID's last 32 bits), CXL type-3\n"
	"devices by serial (sn=; the guest's memN with that serial). Prints per\n"
	"device: host backing, slot or UUID, guest nmemN and id, region, namespaces\n"
	"and their /dev nodes; every mismatch is said plainly (exit status 1).\n"
	"The table's columns: HOST SLOT/UUID NODE GUEST ID REGION NAMESPACES (default),\n"
	"STATE KIND; --output COLS (+COLS adds), --noheadings, --raw, --width N.\n"
	"\n"
	"Host side:  --qemu-cmdline FILE (a saved command line, shell words or\n"
	"            NUL-separated), --qemu-pid PID, --libvirt-xml FILE (virsh dumpxml),\n"
	"            --libvirt-domain NAME (the live domain's XML through the libvirt\n"
	"            API; --connect URI, default qemu:///system),\n"
	"            --vm NAME / --state-dir DIR (the spec vpmem run saved; for a VM\n"
	"            run with --libvirt, its domain),\n"
	"            --vmdk FILE (ddb.uuid, repeatable), --vmkfstools-output FILE.\n"
	"Guest side: --guest-json FILE (ndctl list -D or -DRN output; for CXL, cxl\n"
	"            list -M output), else the live /sys/bus/nd and /sys/bus/cxl (under\n"
	"            --sysroot), i.e. run inside the guest: CXL memdevs then come with\n"
	"            their nmem, region and namespaces (memN/nmemX in the GUEST column).\n"
	"\n"
	"Keeping identities stable: give every device an explicit slot (vpmem run\n"
	"always does); when you remove one, leave its slot empty and never renumber\n"
	"the others. Labelled images carry their slot and must stay in it.\n";

static const char *kind_name(enum vpmem_host_kind k)
{
	switch (k) {
	case VPMEM_HOST_QEMU: return "qemu";
	case VPMEM_HOST_LIBVIRT: return "libvirt";
	case VPMEM_HOST_VMWARE: return "vmware";
	case VPMEM_HOST_CXL: return "cxl";
	default: return "virtio-pmem";
	}
}

static int host_from_domain(const char *uri, const char *name, struct vpmem_host *h, struct vpmem_err *err)
{
	char *xml = NULL;
	int r = vpmem_libvirt_get_xml(uri, name, &xml, err);

	if (!r)
		r = vpmem_host_from_libvirt(xml, strlen(xml), h, err);
	free(xml);
	return r;
}

/* The saved VM: its QEMU argv, or for libvirt-launched VMs the live domain. */
static int load_spec(const char *state, struct vpmem_host *h, struct vpmem_err *err)
{
	struct vpmem_vmstate st = { 0 };
	int r = vpmem_vmstate_load(state, &st, err);

	if (r)
		return r;
	if (st.launcher == VPMEM_LAUNCHER_LIBVIRT) {
		r = host_from_domain(st.connect, st.domain, h, err);
	} else if (!st.argv.n) {
		r = vpmem_err_set(err, ENOENT, "the VM spec in '%s' has no QEMU command line", state);
	} else {
		r = vpmem_host_from_qemu_argv(st.argv.v, h, err);
	}
	vpmem_vmstate_free(&st);
	return r;
}

enum { MC_HOST, MC_SLOT, MC_NODE, MC_GUEST, MC_ID, MC_REGION, MC_NAMESPACES, MC_STATE, MC_KIND, MC_COUNT };

static const struct table_col map_cols[MC_COUNT] = {
	[MC_HOST] = { "HOST", 0.3, SCOLS_FL_TRUNC, T_DEF, 0 },
	[MC_SLOT] = { "SLOT/UUID", 0.1, 0, T_DEF, 0 },
	[MC_NODE] = { "NODE", 2, SCOLS_FL_RIGHT, T_DEF, 0 },
	[MC_GUEST] = { "GUEST", 5, 0, T_DEF, 0 },
	[MC_ID] = { "ID", 13, 0, T_DEF, 0 },
	[MC_REGION] = { "REGION", 7, 0, T_DEF, 0 },
	[MC_NAMESPACES] = { "NAMESPACES", 0.3, SCOLS_FL_WRAP, T_DEF, 0 },
	[MC_STATE] = { "STATE", 7, 0, 0, 0 },
	[MC_KIND] = { "KIND", 7, 0, 0, 0 },
};

static const char *const map_states[] = { "matched", "no-guest", "ambiguous", "no-id" };

/* One row a host device: its guest DIMM, region and namespaces. */
static int print_table(const struct vpmem_host *h, const struct vpmem_guest_view *g, const struct vpmem_mapping *m,
		       const struct table_opts *o)
{
	struct table *t;
	int r = table_new(&t, "map", map_cols, MC_COUNT, o, 0, false);

	if (r)
		return r;
	for (unsigned i = 0; i < m->nrows; i++) {
		const struct vpmem_host_dev *d = &h->d[m->row[i].host];
		const struct vpmem_guest_dimm *gd = m->row[i].guest >= 0 ? &g->d[m->row[i].guest] : NULL;
		struct libscols_line *ln = table_row(t, NULL);
		char ns[1024] = "";

		table_set(t, ln, MC_HOST, "%s", d->path);
		if (d->kind == VPMEM_HOST_CXL)
			table_set(t, ln, MC_SLOT, "sn=%#llx", (unsigned long long)d->serial);
		else if (d->uuid[0] && strlen(d->uuid) > 11)
			/* the last 32 bits name the guest DIMM (id 8902-...): the part to show */
			table_set(t, ln, MC_SLOT, "%s%s", table_ellipsis(), d->uuid + strlen(d->uuid) - 11);
		else if (d->uuid[0])
			table_set(t, ln, MC_SLOT, "%s", d->uuid);
		else if (d->slot >= 0)
			table_set(t, ln, MC_SLOT, "%d", d->slot);
		else
			table_set(t, ln, MC_SLOT, "-");
		if (d->node >= 0)
			table_set(t, ln, MC_NODE, "%d", d->node);
		else
			table_set(t, ln, MC_NODE, "-");
		table_set(t, ln, MC_GUEST, "%s", gd ? gd->dev : "-");
		table_set(t, ln, MC_ID, "%s", gd ? gd->id : d->expect_id[0] ? d->expect_id : "-");
		table_set(t, ln, MC_REGION, "%s", gd && gd->region[0] ? gd->region : "-");
		for (unsigned k = 0; gd && k < gd->nns; k++) {
			size_t used = strlen(ns);

			snprintf(ns + used, sizeof(ns) - used, "%s%s(%s%s%s)", k ? " " : "", gd->ns[k].dev, gd->ns[k].mode,
				 gd->ns[k].node[0] ? " /dev/" : "", gd->ns[k].node);
		}
		table_set(t, ln, MC_NAMESPACES, "%s", ns);
		table_set(t, ln, MC_STATE, "%s", map_states[m->row[i].state]);
		table_set(t, ln, MC_KIND, "%s", kind_name(d->kind));
	}
	return table_print(t);
}

/* Where the host and guest descriptions come from (the options). */
struct map_args {
	const char *domain, *uri, *qfile, *lfile, *vm, *state, *vmk, *gjson, *sysroot;
	const char *vmdks[VPMEM_MAP_MAX];
	unsigned nvmdk;
	long pid;
	bool json;
	struct table_opts topts;
};

enum map_text { T_QEMU, T_LIBVIRT, T_VMKFSTOOLS, T_GUEST_JSON };

/* Read the file @path (@what, for messages) and parse it as @kind into @h or
 * @g: 0, or the exit status of the error printed. */
static int parse_file(const char *path, const char *what, enum map_text kind, struct vpmem_host *h,
		      struct vpmem_guest_view *g)
{
	struct vpmem_err err = { 0 };
	size_t len = 0;
	char *text = vpmem_read_input(path, 64 << 20, &len, what, &err);
	int r;

	if (!text)
		return cmd_error(EXIT_FAIL, "map: %s", err.msg);
	switch (kind) {
	case T_QEMU: r = vpmem_host_from_qemu_text(text, len, h, &err); break;
	case T_LIBVIRT: r = vpmem_host_from_libvirt(text, len, h, &err); break;
	case T_VMKFSTOOLS: r = vpmem_host_from_vmkfstools(text, h, &err); break;
	default: r = vpmem_guest_from_json(text, g, &err); break;
	}
	free(text);
	return r ? cmd_error(EXIT_FAIL, "map: '%s': %s", path, err.msg) : 0;
}

/* The host description the options name, into @h. */
static int read_host(const struct map_args *a, struct vpmem_host *h)
{
	struct vpmem_err err = { 0 };
	int r = 0;

	if (a->qfile || a->pid) {
		char path[64];

		if (a->pid)
			snprintf(path, sizeof(path), "/proc/%ld/cmdline", a->pid);
		return parse_file(a->pid ? path : a->qfile, "QEMU command line", T_QEMU, h, NULL);
	}
	if (a->lfile)
		return parse_file(a->lfile, "domain XML", T_LIBVIRT, h, NULL);
	if (a->domain) {
		if (host_from_domain(a->uri, a->domain, h, &err))
			return cmd_error(EXIT_FAIL, "map: %s", err.msg);
		return 0;
	}
	if (a->vm || a->state) {
		char dir[PATH_MAX];

		if (a->state)
			snprintf(dir, sizeof(dir), "%s", a->state);
		else if (vpmem_vmstate_dir(a->vm, dir, sizeof(dir), &err))
			return cmd_lib_error(EXIT_FAIL, &err);
		if (load_spec(dir, h, &err))
			return cmd_error(EXIT_FAIL, "map: %s", err.msg);
		return 0;
	}
	for (unsigned i = 0; i < a->nvmdk; i++)
		if (vpmem_host_from_vmdk(a->vmdks[i], h, &err))
			return cmd_error(EXIT_FAIL, "map: %s", err.msg);
	if (a->vmk)
		r = parse_file(a->vmk, "vmkfstools output", T_VMKFSTOOLS, h, NULL);
	return r;
}

static void print_json(const struct vpmem_host *h, const struct vpmem_guest_view *g, const struct vpmem_mapping *m)
{
	json_object *o = json_object_new_object(), *rows = json_object_new_array(), *un = json_object_new_array(),
		    *pr = json_object_new_array();

	for (unsigned i = 0; i < m->nrows; i++) {
		const struct vpmem_host_dev *d = &h->d[m->row[i].host];
		json_object *r = json_object_new_object(), *ho = json_object_new_object();

		json_object_object_add(ho, "path", json_object_new_string(d->path));
		json_object_object_add(ho, "kind", json_object_new_string(kind_name(d->kind)));
		if (d->slot >= 0)
			json_object_object_add(ho, "slot", json_object_new_int(d->slot));
		if (d->node >= 0)
			json_object_object_add(ho, "node", json_object_new_int(d->node));
		if (d->uuid[0])
			json_object_object_add(ho, "uuid", json_object_new_string(d->uuid));
		if (d->kind == VPMEM_HOST_CXL) {
			char sn[24];

			snprintf(sn, sizeof(sn), "0x%llx", (unsigned long long)d->serial);
			json_object_object_add(ho, "serial", json_object_new_string(sn));
			if (d->lsa[0])
				json_object_object_add(ho, "lsa", json_object_new_string(d->lsa));
		}
		if (d->expect_id[0])
			json_object_object_add(ho, "id", json_object_new_string(d->expect_id));
		json_object_object_add(r, "host", ho);
		json_object_object_add(r, "state", json_object_new_string(map_states[m->row[i].state]));
		if (m->row[i].guest >= 0) {
			const struct vpmem_guest_dimm *gd = &g->d[m->row[i].guest];
			json_object *go = json_object_new_object(), *nss = json_object_new_array();

			json_object_object_add(go, "dimm", json_object_new_string(gd->dev));
			json_object_object_add(go, "id", json_object_new_string(gd->id));
			if (gd->handle >= 0)
				json_object_object_add(go, "handle", json_object_new_int(gd->handle));
			if (gd->region[0])
				json_object_object_add(go, "region", json_object_new_string(gd->region));
			for (unsigned k = 0; k < gd->nns; k++) {
				json_object *x = json_object_new_object();

				json_object_object_add(x, "dev", json_object_new_string(gd->ns[k].dev));
				json_object_object_add(x, "mode", json_object_new_string(gd->ns[k].mode));
				if (gd->ns[k].node[0])
					json_object_object_add(x, "devnode", json_object_new_string(gd->ns[k].node));
				json_object_array_add(nss, x);
			}
			json_object_object_add(go, "namespaces", nss);
			json_object_object_add(r, "guest", go);
		}
		json_object_array_add(rows, r);
	}
	for (unsigned i = 0; i < m->nunmatched; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "dimm", json_object_new_string(g->d[m->unmatched_guest[i]].dev));
		json_object_object_add(x, "id", json_object_new_string(g->d[m->unmatched_guest[i]].id));
		json_object_array_add(un, x);
	}
	for (unsigned i = 0; i < m->nproblems; i++)
		json_object_array_add(pr, json_object_new_string(m->problems[i]));
	json_object_object_add(o, "devices", rows);
	json_object_object_add(o, "unmatched_guest", un);
	json_object_object_add(o, "problems", pr);
	out_json(o);
}

/* Read both sides, join them, render: the exit status. */
static int map_run(const struct map_args *a, struct vpmem_host *h, struct vpmem_guest_view *g,
		   struct vpmem_mapping *m)
{
	struct vpmem_err err = { 0 };
	int r = read_host(a, h);

	if (r)
		return r;
	/* what the backings themselves say of their slot (opens them) */
	vpmem_host_check_images(h);

	/* guest */
	if (a->gjson) {
		if ((r = parse_file(a->gjson, "guest JSON", T_GUEST_JSON, NULL, g)))
			return r;
	} else if (vpmem_guest_from_sysfs(a->sysroot, g, &err)) {
		return cmd_error(EXIT_FAIL, "map: %s (give --guest-json outside the guest)", err.msg);
	}

	vpmem_map_join(h, g, m);
	if (a->json) {
		print_json(h, g, m);
	} else {
		if ((r = print_table(h, g, m, &a->topts)))
			return r;
		for (unsigned i = 0; i < m->nproblems; i++) {
			fputs("problem: ", stdout);
			print_escaped(m->problems[i]);
			putchar('\n');
		}
	}
	return m->nproblems ? EXIT_FAIL : EXIT_OK;
}

int cmd_map(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "qemu-cmdline", required_argument, NULL, 'c' }, { "qemu-pid", required_argument, NULL, 'p' },
		{ "libvirt-xml", required_argument, NULL, 'l' }, { "vm", required_argument, NULL, 'v' },
		{ "libvirt-domain", required_argument, NULL, 'D' }, { "connect", required_argument, NULL, 'C' },
		{ "state-dir", required_argument, NULL, 'S' }, { "vmdk", required_argument, NULL, 'k' },
		{ "vmkfstools-output", required_argument, NULL, 'o' }, { "guest-json", required_argument, NULL, 'g' },
		{ "sysroot", required_argument, NULL, 'r' }, { "json", no_argument, NULL, 'j' },
		TABLE_LONGOPTS, { NULL, 0, NULL, 0 },
	};
	struct map_args a = { .json = ctx->json };
	struct cmd_opts op = { .cmd = "map", .longopts = opts };
	struct vpmem_host *h;
	struct vpmem_guest_view *g;
	struct vpmem_mapping *m;
	unsigned nhost = 0;
	int c, r;

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		int t = table_opt(c, optarg, &a.topts, "map");

		if (t)
			c = t < 0 ? '?' : 0;
		switch (c) {
		case 0: break;
		case 'c': a.qfile = optarg; nhost++; break;
		case 'p': {
			char *end;

			a.pid = strtol(optarg, &end, 10);
			if (*end || a.pid <= 0)
				return cmd_usage_error("map", "--qemu-pid '%s' is not a process id", optarg);
			nhost++;
			break;
		}
		case 'l': a.lfile = optarg; nhost++; break;
		case 'D': a.domain = optarg; nhost++; break;
		case 'C': a.uri = optarg; break;
		case 'v': a.vm = optarg; nhost++; break;
		case 'S': a.state = optarg; nhost++; break;
		case 'k':
			if (a.nvmdk >= VPMEM_MAP_MAX)
				return cmd_usage_error("map", "too many --vmdk");
			if (!a.nvmdk++)
				nhost++;
			a.vmdks[a.nvmdk - 1] = optarg;
			break;
		case 'o': a.vmk = optarg; nhost++; break;
		case 'g': a.gjson = optarg; break;
		case 'r': a.sysroot = optarg; break;
		case 'j': a.json = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&op, argc, argv, 0, 0, NULL))
		return EXIT_USAGE;
	if (nhost != 1 && !(nhost == 2 && a.nvmdk && a.vmk))
		return cmd_usage_error("map", "give one host description (--qemu-cmdline, --qemu-pid, --libvirt-xml, --libvirt-domain, --vm, --state-dir, or VMware --vmdk/--vmkfstools-output)");
	if (a.uri && !a.domain)
		return cmd_usage_error("map", "--connect goes with --libvirt-domain");
	if (a.gjson && a.sysroot)
		return cmd_usage_error("map", "--guest-json and --sysroot cannot be combined");

	h = vpmem_host_new();
	g = vpmem_guest_view_new();
	m = calloc(1, sizeof(*m));
	r = h && g && m ? map_run(&a, h, g, m) : cmd_error(EXIT_FAIL, "out of memory");
	vpmem_host_free(h);
	vpmem_guest_view_free(g);
	free(m);
	return r;
}
