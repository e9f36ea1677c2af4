// SPDX-License-Identifier: MIT
/* vpmem doctor: persistence verdicts for backings, or the host's own view. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vpmem/guest.h>
#include <vpmem/hoststatus.h>
#include <vpmem/kconfig.h>
#include <vpmem/mount.h>
#include <vpmem/persist.h>
#include <vpmem/qemu.h>
#include <vpmem/size.h>

#include "options.h"
#include "vpmem.h"

const char usage_doctor[] =
	"usage: vpmem doctor [PATH...] [--share on|off] [--pmem on|off] [--size SIZE]\n"
	"                    [--sysroot DIR] [--qemu BINARY] [--json]\n"
	"       vpmem doctor --kernel FILE [--config FILE] [--modules DIR | --initrd FILE]\n"
	"                    [--feature NAME]... [-v] [--json]\n"
	"       vpmem doctor --kernel-features-doc\n"
	"\n"
	"Will a vNVDIMM backed by PATH keep the guest's writes? For each path (file,\n"
	"directory, block or character device) the verdict is 'guaranteed', 'not\n"
	"guaranteed' or 'unusable', with every reason and its fix. Guaranteed means: a\n"
	"device-dax device, or a file on a DAX filesystem where mmap(MAP_SYNC) works,\n"
	"used with share=on and pmem=on (QEMU docs/system/devices/nvdimm.rst).\n"
	"Without paths: the host's view (NVDIMM regions and namespaces, DAX mounts,\n"
	"devdax devices, MAP_SYNC, QEMU, KVM, e820 persistent ranges).\n"
	"\n"
	"  --share on|off   judge as if the backend had share=on (default) or off\n"
	"  --pmem on|off    judge as if the backend had pmem=on (default) or off\n"
	"  --size SIZE      the size the backend will ask for\n"
	"  --sysroot DIR    read /sys and /proc under DIR\n"
	"  --json           machine-readable output (see doc/doctor.md)\n"
	"\n"
	"Will this guest kernel see its PMem? With --kernel, before any boot: for each\n"
	"feature (nvdimm, raw, sector, fsdax, devdax, dax-mount, map-sync, virtio-pmem,\n"
	"cxl-pmem, memmap) the verdict is 'works', 'works with modules X loaded',\n"
	"'missing, because CONFIG_Y is not set' (or a module file is absent) or 'cannot\n"
	"conclude' when no configuration is found (see doc/kernel.md).\n"
	"  --kernel FILE    a bzImage/vmlinuz (its embedded CONFIG_IKCONFIG, or\n"
	"                   config-RELEASE beside it as in /boot), a Debian kernel\n"
	"                   package (.deb), or a config-* file\n"
	"  --config FILE    the kernel's configuration (plain or gzip, e.g. /proc/config.gz)\n"
	"  --modules DIR    its modules (lib/modules/RELEASE, or a root holding it)\n"
	"  --initrd FILE    the initramfs the guest boots: its modules are the ones there\n"
	"  --feature NAME   judge only this feature (repeatable)\n"
	"  -v, --verbose    show each feature's options\n"
	"  --kernel-features-doc  print doc/kernel.md, the options per feature\n"
	"\n"
	"Exit status: 0 if every path is guaranteed (with --kernel: every feature\n"
	"works), 1 if not, 2 on usage errors.\n";

static json_object *report_json(const char *path, const struct vpmem_persist_report *r)
{
	json_object *o = json_object_new_object(), *rs = json_object_new_array();

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "verdict", json_object_new_string(vpmem_verdict_name(r->verdict)));
	json_object_object_add(o, "kind", json_object_new_string(vpmem_backing_kind_name(r->kind)));
	if (r->fstype[0])
		json_object_object_add(o, "fstype", json_object_new_string(r->fstype));
	json_object_object_add(o, "size", json_object_new_uint64(r->size));
	json_object_object_add(o, "dax", json_object_new_boolean(r->dax));
	if (r->statx_dax_known)
		json_object_object_add(o, "statx_dax", json_object_new_boolean(r->statx_dax));
	if (r->kind == VPMEM_KIND_FILE || r->kind == VPMEM_KIND_DIRECTORY)
		json_object_object_add(o, "mount_dax", json_object_new_boolean(r->mount_dax));
	if (r->map_sync_tried)
		json_object_object_add(o, "map_sync", json_object_new_boolean(r->map_sync));
	if (r->dax_align)
		json_object_object_add(o, "align", json_object_new_uint64(r->dax_align));
	json_object_object_add(o, "numa_node", json_object_new_int(r->host_node));
	for (unsigned i = 0; i < r->nreasons; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "level", json_object_new_string(vpmem_verdict_name(r->reasons[i].level)));
		json_object_object_add(x, "reason", json_object_new_string(r->reasons[i].text));
		if (r->reasons[i].fix[0])
			json_object_object_add(x, "fix", json_object_new_string(r->reasons[i].fix));
		json_object_array_add(rs, x);
	}
	json_object_object_add(o, "reasons", rs);
	return o;
}

static void report_text(const char *path, const struct vpmem_persist_report *r)
{
	char a[32];
	bool first = true;

	printf("%s: %s", path, vpmem_verdict_name(r->verdict));
	printf(" (%s%s%s%s%s", vpmem_backing_kind_name(r->kind), r->fstype[0] ? " on " : "", r->fstype,
	       r->dax ? ", DAX" : "", r->map_sync ? ", MAP_SYNC" : "");
	if (r->size)
		printf(", %s", vpmem_size_human(r->size, a, sizeof(a)));
	printf(")");
	for (unsigned i = 0; i < r->nreasons; i++) {
		if (r->reasons[i].level == r->verdict && r->verdict != VPMEM_GUARANTEED) {
			printf("%s%s", first ? ", because " : "; and ", r->reasons[i].text);
			first = false;
		}
	}
	putchar('\n');
	for (unsigned i = 0; i < r->nreasons; i++) {
		if (r->reasons[i].level != r->verdict || r->verdict == VPMEM_GUARANTEED)
			printf("  note: %s\n", r->reasons[i].text);
		if (r->reasons[i].fix[0])
			printf("  fix: %s\n", r->reasons[i].fix);
	}
}

/* ---- host view ---- */

static void add_str(json_object *o, const char *key, const char *val)
{
	if (val[0])
		json_object_object_add(o, key, json_object_new_string(val));
}

static void add_num(json_object *o, const char *key, bool has, int64_t val)
{
	if (has)
		json_object_object_add(o, key, json_object_new_int64(val));
}

/* An attribute as text, "unknown" where sysfs did not give it. */
static const char *known(json_object *v)
{
	return v ? json_object_get_string(v) : "unknown";
}

static json_object *host_nvdimm(const struct vpmem_host_status *st)
{
	json_object *regions = json_object_new_array();

	for (unsigned i = 0; i < st->nregions; i++) {
		const struct vpmem_host_region *reg = &st->regions[i];
		json_object *r = json_object_new_object(), *nss = json_object_new_array();

		json_object_object_add(r, "dev", json_object_new_string(reg->dev));
		add_num(r, "size", reg->has_size, (int64_t)reg->size);
		add_num(r, "numa_node", reg->has_numa_node, reg->numa_node);
		add_str(r, "persistence_domain", reg->persistence_domain);
		for (unsigned k = 0; k < reg->nns; k++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "dev", json_object_new_string(reg->ns[k].dev));
			add_num(x, "size", reg->ns[k].has_size, (int64_t)reg->ns[k].size);
			add_str(x, "mode", reg->ns[k].mode);
			json_object_array_add(nss, x);
		}
		json_object_object_add(r, "namespaces", nss);
		json_object_array_add(regions, r);
	}
	return regions;
}

static json_object *host_devdax(const struct vpmem_host_status *st)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < st->ndevdax; i++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "chardev", json_object_new_string(st->devdax[i].dev));
		add_num(d, "size", st->devdax[i].has_size, (int64_t)st->devdax[i].size);
		add_num(d, "align", st->devdax[i].has_align, (int64_t)st->devdax[i].align);
		json_object_array_add(a, d);
	}
	return a;
}

static json_object *host_dax_mounts(const char *root, bool *map_sync, bool *tried)
{
	json_object *a = json_object_new_array();
	struct vpmem_mount *mounts;
	size_t n;

	if (vpmem_mounts_read(root, &mounts, &n, NULL))
		return a;
	for (size_t i = 0; i < n; i++) {
		const struct vpmem_mount *mt = &mounts[i];
		json_object *m;

		if (!mt->dax)
			continue;
		m = json_object_new_object();
		json_object_object_add(m, "mountpoint", json_object_new_string(mt->target));
		json_object_object_add(m, "fstype", json_object_new_string(mt->fstype));
		json_object_object_add(m, "source", json_object_new_string(mt->source));
		json_object_array_add(a, m);
		/* probe with a temporary file, removed at once */
		if (!*tried && !*root && !vpmem_map_sync_probe_dir(mt->target, map_sync))
			*tried = true;
	}
	free(mounts);
	return a;
}

static json_object *host_e820_pmem(const struct vpmem_host_status *st)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < st->nmemmap; i++) {
		json_object *r = json_object_new_object();

		add_str(r, "start", st->memmap[i].start);
		add_str(r, "end", st->memmap[i].end);
		json_object_object_add(r, "type", json_object_new_string(st->memmap[i].type));
		json_object_array_add(a, r);
	}
	return a;
}

static void say_kvm_probing(void *arg, unsigned timeout_sec)
{
	(void)arg;
	fprintf(stderr, "vpmem: probing KVM with a test boot of the default guest (up to %u s, once: the answer is cached)\n",
		timeout_sec);
}

static int host_view(const char *root, const char *qemu, bool json)
{
	json_object *o = json_object_new_object(), *q = json_object_new_object(), *k = json_object_new_object();
	struct vpmem_qemu_caps caps;
	struct vpmem_err err = { 0 };
	struct vpmem_host_status st;
	bool map_sync = false, tried = false;

	if (vpmem_host_status_read(root, &st, &err)) {
		vpmem_host_status_free(&st);
		json_object_put(o);
		json_object_put(q);
		json_object_put(k);
		return cmd_error(EXIT_FAIL, "doctor: %s", err.msg);
	}
	json_object_object_add(o, "regions", host_nvdimm(&st));
	json_object_object_add(o, "devdax", host_devdax(&st));
	json_object_object_add(o, "dax_mounts", host_dax_mounts(root, &map_sync, &tried));
	if (tried)
		json_object_object_add(o, "map_sync", json_object_new_boolean(map_sync));
	else
		json_object_object_add(o, "map_sync", NULL);
	json_object_object_add(o, "e820_pmem", host_e820_pmem(&st));
	vpmem_host_status_free(&st);
	if (!vpmem_qemu_probe(qemu, &caps, &err)) {
		json_object_object_add(q, "binary", json_object_new_string(qemu));
		json_object_object_add(q, "version", json_object_new_string(caps.version));
		json_object_object_add(q, "nvdimm", json_object_new_boolean(caps.nvdimm));
		json_object_object_add(q, "virtio_pmem", json_object_new_boolean(caps.virtio_pmem));
		json_object_object_add(q, "pmem", json_object_new_boolean(caps.backend_pmem));
	} else {
		json_object_object_add(q, "error", json_object_new_string(err.msg));
	}
	json_object_object_add(o, "qemu", q);
	{
		struct vpmem_kvm_verdict v;
		int usable = vpmem_kvm_status(qemu, caps.version, say_kvm_probing, NULL, &v);

		json_object_object_add(k, "device", json_object_new_boolean(v.device));
		json_object_object_add(k, "usable", usable < 0 ? NULL : json_object_new_boolean(usable));
		if (usable != 1 && *v.why)
			json_object_object_add(k, "why", json_object_new_string(v.why));
	}
	json_object_object_add(o, "kvm", k);
	if (json) {
		out_json(o);
		return EXIT_OK;
	}
	{
		json_object *a;
		size_t n;

		a = json_object_object_get(o, "regions");
		n = json_object_array_length(a);
		printf("NVDIMM regions: %zu\n", n);
		for (size_t i = 0; i < n; i++) {
			json_object *r = json_object_array_get_idx(a, i), *nss = json_object_object_get(r, "namespaces");

			printf("  %s: size %s, node %s, persistence %s, %zu namespace(s)\n",
			       json_object_get_string(json_object_object_get(r, "dev")),
			       known(json_object_object_get(r, "size")),
			       known(json_object_object_get(r, "numa_node")),
			       known(json_object_object_get(r, "persistence_domain")),
			       json_object_array_length(nss));
		}
		a = json_object_object_get(o, "devdax");
		printf("devdax devices: %zu\n", json_object_array_length(a));
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf("  /dev/%s\n", json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), "chardev")));
		a = json_object_object_get(o, "dax_mounts");
		printf("DAX mounts: %zu\n", json_object_array_length(a));
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf("  %s\n", json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), "mountpoint")));
		printf("MAP_SYNC: %s\n", tried ? (map_sync ? "works" : "fails") : "not probed (no DAX filesystem mounted)");
		a = json_object_object_get(o, "e820_pmem");
		printf("e820 persistent memory ranges: %zu\n", json_object_array_length(a));
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *r = json_object_array_get_idx(a, i);

			json_object *start = json_object_object_get(r, "start"), *end = json_object_object_get(r, "end");

			/* a range the kernel gives no start or end file for: "?" */
			printf("  %s-%s %s\n", start ? json_object_get_string(start) : "?",
			       end ? json_object_get_string(end) : "?",
			       json_object_get_string(json_object_object_get(r, "type")));
		}
		if (caps.version[0])
			printf("QEMU: %s %s, nvdimm %s, virtio-pmem %s, pmem=on %s\n", qemu, caps.version,
			       caps.nvdimm ? "yes" : "no", caps.virtio_pmem ? "yes" : "no",
			       caps.backend_pmem ? "supported" : "not supported (built without libpmem)");
		else
			printf("QEMU: %s\n", err.msg);
		printf("KVM: %s\n", json_object_get_boolean(json_object_object_get(k, "usable")) ? "usable"
		       : json_object_object_get(k, "why") ? json_object_get_string(json_object_object_get(k, "why"))
		       : "not usable (probe boot failed; TCG is used)");
		json_object_put(o);
	}
	return EXIT_OK;
}

/* ---- the guest kernel's view (--kernel): lib/host/kconfig.c ---- */
struct kdoc_opts {
	struct vpmem_kernel_req req;
	const char *features[32];
	unsigned nfeatures;
	bool verbose, json, doc;
};

static json_object *kfeature_json(const struct vpmem_kernel *k, const struct vpmem_kfeature_report *r)
{
	const struct vpmem_kfeature *f = r->feature;
	json_object *o = json_object_new_object(), *a, *opts = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "title", json_object_new_string(f->title));
	json_object_object_add(o, "verdict", json_object_new_string(vpmem_kverdict_name(r->verdict)));
	json_object_object_add(o, "text", json_object_new_string(r->text));
	a = json_object_new_array();
	for (unsigned i = 0; i < r->nunset; i++) {
		char b[160];

		snprintf(b, sizeof(b), "CONFIG_%s", r->unset[i]);
		json_object_array_add(a, json_object_new_string(b));
	}
	json_object_object_add(o, "unset", a);
	a = json_object_new_array();
	for (unsigned i = 0; i < r->nmodules; i++)
		json_object_array_add(a, json_object_new_string(r->modules[i]));
	json_object_object_add(o, "modules", a);
	a = json_object_new_array();
	for (unsigned i = 0; i < r->nabsent; i++)
		json_object_array_add(a, json_object_new_string(r->absent[i]));
	json_object_object_add(o, "absent_modules", a);
	if (k->config) {
		for (unsigned i = 0; i < VPMEM_KFEATURE_MAX_OPTS + 3; i++) {
			const struct vpmem_kopt *op = i < VPMEM_KFEATURE_MAX_OPTS ? &f->all[i] : &f->any[i - VPMEM_KFEATURE_MAX_OPTS];
			const char *v;
			char b[160];

			if (!op->option)
				continue;
			v = vpmem_kconfig_get(k->config, op->option);
			snprintf(b, sizeof(b), "CONFIG_%s", op->option);
			json_object_object_add(opts, b, v ? json_object_new_string(v) : NULL);
		}
	}
	json_object_object_add(o, "options", opts);
	return o;
}

static void kfeature_text(const struct vpmem_kernel *k, const struct vpmem_kfeature_report *r, bool verbose)
{
	const struct vpmem_kfeature *f = r->feature;

	printf("  %-12s %s\n", f->name, r->text);
	if (!verbose || !k->config)
		return;
	printf("  %-12s", "");
	for (unsigned i = 0; i < VPMEM_KFEATURE_MAX_OPTS + 3; i++) {
		const struct vpmem_kopt *op = i < VPMEM_KFEATURE_MAX_OPTS ? &f->all[i] : &f->any[i - VPMEM_KFEATURE_MAX_OPTS];
		const char *v;

		if (!op->option)
			continue;
		v = vpmem_kconfig_get(k->config, op->option);
		printf(" CONFIG_%s=%s", op->option, v ? v : "n");
	}
	putchar('\n');
}

static int kernel_doctor(const struct kdoc_opts *ko)
{
	struct vpmem_kernel k;
	struct vpmem_err err = { 0 };
	const struct vpmem_kfeature *sel[32];
	unsigned nsel = 0;
	json_object *o = NULL, *fa = NULL;
	bool bad = false;

	if (ko->doc) {
		char *md = vpmem_kfeatures_markdown();

		if (!md)
			return cmd_error(EXIT_FAIL, "out of memory");
		fputs(md, stdout);
		free(md);
		return EXIT_OK;
	}
	for (unsigned i = 0; i < ko->nfeatures; i++) {
		sel[nsel] = vpmem_kfeature_find(ko->features[i]);
		if (!sel[nsel]) {
			char names[256] = "";

			for (size_t j = 0; j < vpmem_nkfeatures; j++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", j ? ", " : "",
					 vpmem_kfeatures[j].name);
			return cmd_usage_error("doctor", "--feature: unknown feature '%s' (%s)", ko->features[i], names);
		}
		nsel++;
	}
	if (!nsel)
		for (size_t j = 0; j < vpmem_nkfeatures && nsel < 32; j++)
			sel[nsel++] = &vpmem_kfeatures[j];
	if (vpmem_kernel_open(&ko->req, &k, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	if (ko->json) {
		json_object *c = json_object_new_object(), *m = json_object_new_object();

		o = json_object_new_object();
		fa = json_object_new_array();
		json_object_object_add(o, "kernel", ko->req.kernel ? json_object_new_string(ko->req.kernel) : NULL);
		json_object_object_add(o, "release", k.release[0] ? json_object_new_string(k.release) : NULL);
		json_object_object_add(c, "found", json_object_new_boolean(k.config != NULL));
		if (k.config) {
			json_object_object_add(c, "source", json_object_new_string(k.config_from));
			json_object_object_add(c, "options", json_object_new_uint64(vpmem_kconfig_count(k.config)));
		} else {
			json_object_object_add(c, "why", json_object_new_string(k.no_config));
		}
		json_object_object_add(o, "config", c);
		json_object_object_add(m, "checked", json_object_new_boolean(k.modules_known));
		if (k.modules_known) {
			json_object_object_add(m, "source", json_object_new_string(k.modules_from));
			json_object_object_add(m, "count", json_object_new_uint64(k.modules.n));
		}
		json_object_object_add(o, "modules", m);
	} else {
		printf("kernel: %s%s%s%s\n", ko->req.kernel ? ko->req.kernel : "(none)", k.release[0] ? " (" : "",
		       k.release, k.release[0] ? ")" : "");
		if (k.config)
			printf("config: %s\n", k.config_from);
		else
			printf("config: not found (%s): nothing can be concluded; give it with --config FILE\n",
			       k.no_config);
		if (k.modules_known)
			printf("modules: %zu in %s\n", k.modules.n, k.modules_from);
		else
			printf("modules: not checked (no package, modules directory or initramfs; see --modules)\n");
	}
	for (unsigned i = 0; i < nsel; i++) {
		struct vpmem_kfeature_report r;

		vpmem_kernel_judge(&k, sel[i], &r);
		if (r.verdict >= VPMEM_KV_MISSING)
			bad = true;
		if (o)
			json_object_array_add(fa, kfeature_json(&k, &r));
		else
			kfeature_text(&k, &r, ko->verbose);
	}
	if (o) {
		json_object_object_add(o, "features", fa);
		out_json(o);
	}
	vpmem_kernel_close(&k);
	return bad ? EXIT_FAIL : EXIT_OK;
}

static int on_off(const char *opt, const char *v, bool *off)
{
	if (!strcmp(v, "on"))
		*off = false;
	else if (!strcmp(v, "off"))
		*off = true;
	else
		return cmd_usage_error("doctor", "%s: '%s' is not on or off", opt, v);
	return 0;
}

/* the --kernel family of options, kept apart from the persistence ones */
static int kernel_opt(struct kdoc_opts *ko, int c, const char *arg)
{
	switch (c) {
	case 'K': ko->req.kernel = arg; break;
	case 'C': ko->req.config = arg; break;
	case 'M': ko->req.modules = arg; break;
	case 'I': ko->req.initrd = arg; break;
	case 'v': ko->verbose = true; break;
	case 'D': ko->doc = true; break;
	case 'F':
		if (ko->nfeatures >= 32)
			return cmd_usage_error("doctor", "too many --feature");
		ko->features[ko->nfeatures++] = arg;
		break;
	}
	return 0;
}

int cmd_doctor(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "share", required_argument, NULL, 's' }, { "pmem", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 'z' }, { "sysroot", required_argument, NULL, 'r' },
		{ "qemu", required_argument, NULL, 'q' }, { "json", no_argument, NULL, 'j' },
		{ "kernel", required_argument, NULL, 'K' }, { "config", required_argument, NULL, 'C' },
		{ "modules", required_argument, NULL, 'M' }, { "initrd", required_argument, NULL, 'I' },
		{ "feature", required_argument, NULL, 'F' }, { "verbose", no_argument, NULL, 'v' },
		{ "kernel-features-doc", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct vpmem_persist_opts po = { 0 };
	struct vpmem_err err = { 0 };
	const char *qemu = VPMEM_QEMU_DEFAULT_BINARY, *root = "";
	bool json = ctx->json;
	int c, worst = 0;
	json_object *all = NULL;
	static struct kdoc_opts ko;
	bool kernel_mode = false;

	struct cmd_opts op = { .cmd = "doctor", .shortopts = "v", .longopts = opts };

	memset(&ko, 0, sizeof(ko));
	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 's': if (on_off("--share", optarg, &po.share_off)) return EXIT_USAGE; break;
		case 'p': if (on_off("--pmem", optarg, &po.pmem_off)) return EXIT_USAGE; break;
		case 'z':
			if (opt_size("doctor", "--size", optarg, 0, &po.want_size))
				return EXIT_USAGE;
			break;
		case 'r': root = optarg; po.sysroot = optarg; break;
		case 'q': qemu = optarg; break;
		case 'j': json = true; break;
		case 'K': case 'C': case 'M': case 'I': case 'F': case 'v': case 'D':
			if (kernel_opt(&ko, c, optarg))
				return EXIT_USAGE;
			kernel_mode = true;
			break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (kernel_mode) {
		ko.json = json;
		if (optind < argc)
			return cmd_usage_error("doctor", "paths and --kernel cannot be combined");
		if (!ko.doc && !ko.req.kernel && !ko.req.config)
			return cmd_usage_error("doctor", "--config, --modules, --initrd and --feature go with --kernel");
		if (ko.req.modules && ko.req.initrd)
			return cmd_usage_error("doctor", "--modules and --initrd cannot be combined");
		return kernel_doctor(&ko);
	}
	if (optind == argc)
		return host_view(root, qemu, json);
	if (json)
		all = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		struct vpmem_persist_report rep;

		if (vpmem_persist_check(argv[i], &po, &rep, &err)) {
			json_object_put(all);
			return cmd_lib_error(EXIT_FAIL, &err);
		}
		if (rep.verdict != VPMEM_GUARANTEED)
			worst = 1;
		if (json)
			json_object_array_add(all, report_json(argv[i], &rep));
		else
			report_text(argv[i], &rep);
	}
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "guaranteed", json_object_new_boolean(!worst));
		json_object_object_add(o, "backings", all);
		out_json(o);
	}
	return worst ? EXIT_FAIL : EXIT_OK;
}
