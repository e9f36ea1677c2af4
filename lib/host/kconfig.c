// SPDX-License-Identifier: MIT
/*
 * Kernel configuration: the .config parser, the feature table and its
 * verdicts (kconfig.h). Finding a kernel's configuration is in kernel.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/kconfig.h>

#define KCONFIG_MAX_ENTRIES 200000

struct kc_entry {
	char *name;    /* without CONFIG_ */
	char *value;   /* NULL = not set */
	size_t order;
};

struct vpmem_kconfig {
	struct kc_entry *e;
	size_t n;
};

static int name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int cmp_entry(const void *a, const void *b)
{
	const struct kc_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

void vpmem_kconfig_free(struct vpmem_kconfig *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->n; i++) {
		free(kc->e[i].name);
		free(kc->e[i].value);
	}
	free(kc->e);
	free(kc);
}

static int add(struct vpmem_kconfig *kc, size_t *cap, const char *name, size_t nl, const char *val, size_t vl)
{
	struct kc_entry *e;

	if (kc->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct kc_entry *ne;

		if (nc > KCONFIG_MAX_ENTRIES)
			nc = KCONFIG_MAX_ENTRIES;
		if (nc <= kc->n)
			return -E2BIG;
		ne = realloc(kc->e, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		kc->e = ne;
		*cap = nc;
	}
	e = &kc->e[kc->n];
	e->name = strndup(name, nl);
	e->value = val ? strndup(val, vl) : NULL;
	e->order = kc->n;
	if (!e->name || (val && !e->value)) {
		free(e->name);
		free(e->value);
		return -ENOMEM;
	}
	kc->n++;
	return 0;
}

/* One line (no '\n'). Returns 0, or -errno. */
static int parse_line(struct vpmem_kconfig *kc, size_t *cap, const char *s, size_t len)
{
	static const char notset[] = " is not set";
	size_t i, nl;

	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 9 && !memcmp(s, "# CONFIG_", 9)) {
		for (i = 9; i < len && name_char(s[i]); i++)
			;
		nl = i - 9;
		if (nl && len - i == sizeof(notset) - 1 && !memcmp(s + i, notset, sizeof(notset) - 1))
			return add(kc, cap, s + 9, nl, NULL, 0);
		return 0;
	}
	if (len > 7 && !memcmp(s, "CONFIG_", 7)) {
		for (i = 7; i < len && name_char(s[i]); i++)
			;
		nl = i - 7;
		if (!nl || i >= len || s[i] != '=')
			return 0; /* not an assignment: ignored, as conf_read_simple does */
		i++;
		if (len - i == 1 && s[i] == 'n')
			return add(kc, cap, s + 7, nl, NULL, 0);
		return add(kc, cap, s + 7, nl, s + i, len - i);
	}
	return 0;
}

int vpmem_kconfig_parse(const char *text, size_t len, struct vpmem_kconfig **out, struct vpmem_err *err)
{
	struct vpmem_kconfig *kc = calloc(1, sizeof(*kc));
	size_t cap = 0, pos = 0, w = 0;
	int r = 0;

	*out = NULL;
	if (!kc)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	while (pos < len && !r) {
		const char *nlp = memchr(text + pos, '\n', len - pos);
		size_t l = nlp ? (size_t)(nlp - (text + pos)) : len - pos;

		if (memchr(text + pos, '\0', l)) {
			r = -EILSEQ; /* binary, not a configuration */
			break;
		}
		r = parse_line(kc, &cap, text + pos, l);
		pos += l + 1;
	}
	if (!r && !kc->n)
		r = -EILSEQ;
	if (r) {
		vpmem_kconfig_free(kc);
		if (r == -ENOMEM)
			return vpmem_err_set(err, ENOMEM, "out of memory");
		if (r == -E2BIG)
			return vpmem_err_set(err, E2BIG, "more than %d options: not a kernel configuration",
					     KCONFIG_MAX_ENTRIES);
		return vpmem_err_set(err, EILSEQ, "no CONFIG_ lines: not a kernel configuration");
	}
	/* sort by name, then keep the last assignment of each */
	qsort(kc->e, kc->n, sizeof(*kc->e), cmp_entry);
	for (size_t i = 0; i < kc->n; i++) {
		if (i + 1 < kc->n && !strcmp(kc->e[i].name, kc->e[i + 1].name)) {
			free(kc->e[i].name);
			free(kc->e[i].value);
			continue;
		}
		kc->e[w++] = kc->e[i];
	}
	kc->n = w;
	*out = kc;
	return 0;
}

static const struct kc_entry *lookup(const struct vpmem_kconfig *kc, const char *name)
{
	size_t lo = 0, hi = kc ? kc->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, kc->e[mid].name);

		if (!c)
			return &kc->e[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *vpmem_kconfig_get(const struct vpmem_kconfig *kc, const char *name)
{
	const struct kc_entry *e = lookup(kc, name);

	return e ? e->value : NULL;
}

char vpmem_kconfig_tristate(const struct vpmem_kconfig *kc, const char *name)
{
	const char *v = vpmem_kconfig_get(kc, name);

	if (!v)
		return 'n';
	return !strcmp(v, "m") ? 'm' : 'y';
}

size_t vpmem_kconfig_count(const struct vpmem_kconfig *kc)
{
	return kc ? kc->n : 0;
}

/* ---- the feature table ----
 * Each option with the Kconfig line that makes it matter, read in
 * torvalds/linux: drivers/nvdimm/{Kconfig,Makefile}, drivers/acpi/nfit/Kconfig,
 * drivers/dax/{Kconfig,Makefile}, drivers/cxl/{Kconfig,Makefile},
 * drivers/virtio/Kconfig, fs/Kconfig, mm/Kconfig, arch/x86/Kconfig. */
#define NFIT { "ACPI_NFIT", "nfit", "drivers/acpi/nfit/Kconfig: ACPI_NFIT, tristate, selects LIBNVDIMM; the NFIT bus QEMU's -device nvdimm describes, and label access through _DSM" }
#define LIBND { "LIBNVDIMM", "libnvdimm", "drivers/nvdimm/Kconfig: menuconfig LIBNVDIMM, tristate; regions, namespaces and labels (drivers/nvdimm/Makefile: libnvdimm-y += region_devs.o namespace_devs.o label.o)" }
#define PMEM { "BLK_DEV_PMEM", "nd_pmem", "drivers/nvdimm/Kconfig: BLK_DEV_PMEM, tristate, if LIBNVDIMM; the /dev/pmemN block devices (Makefile: obj-$(CONFIG_BLK_DEV_PMEM) += nd_pmem.o)" }
#define ZDEV { "ZONE_DEVICE", NULL, "mm/Kconfig: ZONE_DEVICE, bool, depends on MEMORY_HOTPLUG, MEMORY_HOTREMOVE, SPARSEMEM_VMEMMAP; struct pages for device memory" }
#define PFN { "NVDIMM_PFN", NULL, "drivers/nvdimm/Kconfig: NVDIMM_PFN, bool, depends on ZONE_DEVICE; the pfn info block of fsdax namespaces (BLK_DEV_PMEM selects ND_PFN if NVDIMM_PFN)" }
#define FSDAX { "FS_DAX", NULL, "fs/Kconfig: FS_DAX, bool, depends on MMU and ZONE_DEVICE, selects DAX; without it ext4 and xfs refuse -o dax" }

const struct vpmem_kfeature vpmem_kfeatures[] = {
	{ .name = "nvdimm", .title = "vNVDIMM regions and namespace labels",
	  .gives = "NFIT vNVDIMMs (vpmem run, the default): nmemN, regionN, labels when --label-size is given, /dev/pmemN",
	  .all = { NFIT, LIBND, PMEM } },
	{ .name = "raw", .title = "namespace mode raw",
	  .gives = "a raw namespace: /dev/pmemN without an info block (label-less vNVDIMMs start as one)",
	  .all = { LIBND, PMEM } },
	{ .name = "sector", .title = "namespace mode sector (BTT)",
	  .gives = "vpmem namespace create --mode sector, ndctl --mode sector: /dev/pmemNs with atomic sector updates",
	  .all = { LIBND, PMEM,
	    { "BTT", NULL, "drivers/nvdimm/Kconfig: BTT, bool, default y if LIBNVDIMM, selects ND_CLAIM; BLK_DEV_PMEM selects ND_BTT if BTT" },
	    { "ND_BTT", "nd_btt", "drivers/nvdimm/Kconfig: ND_BTT, tristate, selected by BLK_DEV_PMEM if BTT (Makefile: obj-$(CONFIG_ND_BTT) += nd_btt.o)" } } },
	{ .name = "fsdax", .title = "namespace mode fsdax",
	  .gives = "vpmem namespace create --mode fsdax, ndctl --mode fsdax: /dev/pmemN with struct pages, for a DAX filesystem",
	  .all = { LIBND, PMEM, ZDEV, PFN, FSDAX } },
	{ .name = "devdax", .title = "namespace mode devdax",
	  .gives = "vpmem namespace create --mode devdax, ndctl --mode devdax: /dev/daxN.M character devices",
	  .all = { LIBND, ZDEV, PFN,
	    { "NVDIMM_DAX", NULL, "drivers/nvdimm/Kconfig: NVDIMM_DAX, bool, depends on NVDIMM_PFN; the dax info block of devdax namespaces" },
	    { "DAX", "dax", "drivers/dax/Kconfig: menuconfig DAX, tristate, default m if NVDIMM_DAX (Makefile: obj-$(CONFIG_DAX) += dax.o)" },
	    { "DEV_DAX", "device_dax", "drivers/dax/Kconfig: DEV_DAX, tristate, depends on TRANSPARENT_HUGEPAGE; /dev/daxN.M (Makefile: device_dax.o)" },
	    { "DEV_DAX_PMEM", "dax_pmem", "drivers/dax/Kconfig: DEV_DAX_PMEM, tristate, depends on LIBNVDIMM && NVDIMM_DAX && DEV_DAX (Makefile: dax_pmem.o)" } } },
	{ .name = "dax-mount", .title = "mount -o dax",
	  .gives = "ext4 or xfs mounted -o dax on an fsdax namespace: loads and stores reach the PMem without the page cache",
	  .all = { LIBND, PMEM, ZDEV, PFN, FSDAX },
	  .any = { { "EXT4_FS", "ext4", "fs/ext4/Kconfig: EXT4_FS; fs/ext4/super.c accepts -o dax only with IS_ENABLED(CONFIG_FS_DAX)" },
	    { "XFS_FS", "xfs", "fs/xfs/Kconfig: XFS_FS; fs/xfs/xfs_super.c accepts -o dax only with IS_ENABLED(CONFIG_FS_DAX)" } } },
	{ .name = "map-sync", .title = "MAP_SYNC",
	  .gives = "mmap(MAP_SHARED_VALIDATE|MAP_SYNC) of a file on a DAX mount: persistence with CPU cache flushes alone",
	  .all = { LIBND, PMEM, ZDEV, PFN, FSDAX },
	  .any = { { "EXT4_FS", "ext4", "fs/ext4/file.c: ext4_file_mmap allows VM_SYNC only on a DAX inode (daxdev_mapping_supported)" },
	    { "XFS_FS", "xfs", "fs/xfs/xfs_file.c: xfs_file_mmap allows VM_SYNC only on a DAX inode (daxdev_mapping_supported)" } } },
	{ .name = "virtio-pmem", .title = "virtio-pmem",
	  .gives = "vpmem run --virtio-pmem: virtio-pmem-pci devices, a region and /dev/pmemN each, flushed by a virtio request",
	  .all = { { "VIRTIO_PCI", "virtio_pci", "drivers/virtio/Kconfig: VIRTIO_PCI, tristate, depends on PCI, selects VIRTIO" },
	    LIBND,
	    { "VIRTIO_PMEM", "virtio_pmem", "drivers/virtio/Kconfig: VIRTIO_PMEM, tristate, depends on VIRTIO and LIBNVDIMM" },
	    PMEM } },
	{ .name = "cxl-pmem", .title = "CXL type-3 PMem",
	  .gives = "a CXL type-3 persistent memory device behind a CXL host bridge: memdevs, a region, a libnvdimm bridge, /dev/pmemN",
	  .all = { { "CXL_BUS", "cxl_core", "drivers/cxl/Kconfig: menuconfig CXL_BUS, tristate, depends on PCI (Makefile: obj-$(CONFIG_CXL_BUS) += core/, cxl_core)" },
	    { "CXL_PCI", "cxl_pci", "drivers/cxl/Kconfig: CXL_PCI, tristate; binds the memory device class code (Makefile: cxl_pci.o)" },
	    { "CXL_ACPI", "cxl_acpi", "drivers/cxl/Kconfig: CXL_ACPI, tristate, depends on ACPI; CEDT host bridges and fixed memory windows (cxl_acpi.o)" },
	    { "CXL_PORT", "cxl_port", "drivers/cxl/Kconfig: CXL_PORT, tristate, default CXL_BUS; the port/decoder hierarchy (cxl_port.o)" },
	    { "CXL_MEM", "cxl_mem", "drivers/cxl/Kconfig: CXL_MEM, tristate, depends on CXL_PCI; HDM decoders of a memdev (cxl_mem.o)" },
	    { "CXL_PMEM", "cxl_pmem", "drivers/cxl/Kconfig: CXL_PMEM, tristate, depends on LIBNVDIMM; the bridge from CXL to libnvdimm (cxl_pmem.o)" },
	    { "CXL_REGION", NULL, "drivers/cxl/Kconfig: CXL_REGION, bool, depends on SPARSEMEM; creating CXL regions (cxl create-region)" },
	    LIBND, PMEM } },
	{ .name = "memmap", .title = "memmap= emulation",
	  .gives = "vpmem emulate: memmap=SIZE!OFFSET turns RAM into an e820 type-12 range, a region and /dev/pmemN",
	  .all = { { "X86_PMEM_LEGACY", "nd_e820", "arch/x86/Kconfig: X86_PMEM_LEGACY, tristate, selects X86_PMEM_LEGACY_DEVICE and LIBNVDIMM; drivers/nvdimm/Makefile: obj-$(CONFIG_X86_PMEM_LEGACY) += nd_e820.o" },
	    LIBND, PMEM } },
};
const size_t vpmem_nkfeatures = sizeof(vpmem_kfeatures) / sizeof(vpmem_kfeatures[0]);

const struct vpmem_kfeature *vpmem_kfeature_find(const char *name)
{
	for (size_t i = 0; i < vpmem_nkfeatures; i++)
		if (!strcmp(vpmem_kfeatures[i].name, name))
			return &vpmem_kfeatures[i];
	return NULL;
}

const char *vpmem_kverdict_name(enum vpmem_kverdict v)
{
	switch (v) {
	case VPMEM_KV_WORKS: return "works";
	case VPMEM_KV_WORKS_MODULES: return "works with modules";
	case VPMEM_KV_MISSING: return "missing";
	default: return "cannot conclude";
	}
}

static void add_name(const char **arr, unsigned *n, const char *name)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(arr[i], name))
			return;
	if (*n < VPMEM_KREPORT_MAX)
		arr[(*n)++] = name;
}

static void list(char *buf, size_t len, const char *pfx, const char *const *names, unsigned n)
{
	size_t used = strlen(buf);

	for (unsigned i = 0; i < n && used < len; i++) {
		snprintf(buf + used, len - used, "%s%s%s", i ? (i + 1 == n ? " and " : ", ") : "", pfx, names[i]);
		used = strlen(buf);
	}
}

/* a needed option: unset, or a module to load (and is its file there?) */
static void need(const struct vpmem_kernel *k, const struct vpmem_kopt *o, struct vpmem_kfeature_report *r)
{
	char t = vpmem_kconfig_tristate(k->config, o->option);

	if (t == 'n') {
		add_name(r->unset, &r->nunset, o->option);
	} else if (t == 'm' && o->module) {
		add_name(r->modules, &r->nmodules, o->module);
		if (k->modules_known && !vpmem_kernel_has_module(k, o->module))
			add_name(r->absent, &r->nabsent, o->module);
	}
}

void vpmem_kernel_judge(const struct vpmem_kernel *k, const struct vpmem_kfeature *f,
			struct vpmem_kfeature_report *r)
{
	memset(r, 0, sizeof(*r));
	r->feature = f;
	if (!k || !k->config) {
		r->verdict = VPMEM_KV_UNKNOWN;
		snprintf(r->text, sizeof(r->text), "cannot conclude: no kernel configuration found");
		return;
	}
	for (unsigned i = 0; i < VPMEM_KFEATURE_MAX_OPTS && f->all[i].option; i++)
		need(k, &f->all[i], r);
	if (f->any[0].option) {
		const struct vpmem_kopt *best = NULL;

		/* the first built-in one, else the first module */
		for (unsigned i = 0; i < 3 && f->any[i].option; i++) {
			char t = vpmem_kconfig_tristate(k->config, f->any[i].option);

			if (t == 'y') {
				best = &f->any[i];
				break;
			}
			if (t == 'm' && !best)
				best = &f->any[i];
		}
		if (best) {
			need(k, best, r);
		} else {
			/* "CONFIG_EXT4_FS or CONFIG_XFS_FS": one unset entry naming all */
			snprintf(r->alt, sizeof(r->alt), "%s", f->any[0].option);
			for (unsigned i = 1; i < 3 && f->any[i].option; i++)
				snprintf(r->alt + strlen(r->alt), sizeof(r->alt) - strlen(r->alt), " or CONFIG_%s",
					 f->any[i].option);
			add_name(r->unset, &r->nunset, r->alt);
		}
	}
	if (r->nunset) {
		r->verdict = VPMEM_KV_MISSING;
		snprintf(r->text, sizeof(r->text), "missing, because ");
		list(r->text, sizeof(r->text), "CONFIG_", r->unset, r->nunset);
		snprintf(r->text + strlen(r->text), sizeof(r->text) - strlen(r->text), " %s not set",
			 r->nunset > 1 ? "are" : "is");
	} else if (r->nabsent) {
		r->verdict = VPMEM_KV_MISSING;
		snprintf(r->text, sizeof(r->text), "missing, because module%s ", r->nabsent > 1 ? "s" : "");
		list(r->text, sizeof(r->text), "", r->absent, r->nabsent);
		snprintf(r->text + strlen(r->text), sizeof(r->text) - strlen(r->text), " %s not in %s",
			 r->nabsent > 1 ? "are" : "is", k->modules_from);
	} else if (r->nmodules) {
		r->verdict = VPMEM_KV_WORKS_MODULES;
		snprintf(r->text, sizeof(r->text), "works with module%s ", r->nmodules > 1 ? "s" : "");
		list(r->text, sizeof(r->text), "", r->modules, r->nmodules);
		snprintf(r->text + strlen(r->text), sizeof(r->text) - strlen(r->text), " loaded");
	} else {
		r->verdict = VPMEM_KV_WORKS;
		snprintf(r->text, sizeof(r->text), "works");
	}
}

void vpmem_kernel_check_needs(const struct vpmem_kernel *k, const struct vpmem_kernel_needs *needs,
			      struct vpmem_kernel_verdict *v)
{
	static const char *const what[] = { "nvdimm", "virtio-pmem", "cxl-pmem", "memmap" };
	static const char *const asked[] = { "vNVDIMMs", "--virtio-pmem", "CXL PMem", "memmap=" };
	bool want[] = { needs->nvdimm, needs->virtio_pmem, needs->cxl_pmem, needs->memmap };

	memset(v, 0, sizeof(*v));
	if (!k || !k->config)
		return; /* nothing can be concluded: say nothing rather than guess */
	for (unsigned i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct vpmem_kfeature_report r;
		const char *ver = k->release[0] ? k->release : "the guest kernel";

		if (!want[i])
			continue;
		vpmem_kernel_judge(k, vpmem_kfeature_find(what[i]), &r);
		if (r.nunset && !v->refuse) {
			char opts[256] = "";

			v->refuse = true;
			list(opts, sizeof(opts), "CONFIG_", r.unset, r.nunset);
			snprintf(v->refusal, sizeof(v->refusal),
				 "guest kernel %s cannot use %s: %s %s not set (config: %s)", ver, asked[i], opts,
				 r.nunset > 1 ? "are" : "is", k->config_from);
		} else if (!r.nunset && r.nabsent && v->nwarnings < 4) {
			char mods[256] = "";

			list(mods, sizeof(mods), "", r.absent, r.nabsent);
			snprintf(v->warnings[v->nwarnings++], sizeof(v->warnings[0]),
				 "%s needs module%s %s, which %s not in %s%s", asked[i], r.nabsent > 1 ? "s" : "",
				 mods, r.nabsent > 1 ? "are" : "is", k->modules_from,
				 needs->own_initrd ? " (add them to your initramfs)" : "");
		}
	}
}

/* ---- doc/kernel.md ---- */
struct mbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) md(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		{
			size_t nc = (b->cap ? b->cap * 2 : 8192) + (size_t)k;
			char *np = realloc(b->p, nc);

			if (!np) {
				b->oom = true;
				return;
			}
			b->p = np;
			b->cap = nc;
		}
	}
}

/* a table cell: '|' escaped */
static void md_cell(struct mbuf *b, const char *s)
{
	for (; *s; s++)
		md(b, *s == '|' ? "\\|" : "%c", *s);
}

static void md_opt(struct mbuf *b, const struct vpmem_kopt *o, const char *prefix)
{
	md(b, "| %s`CONFIG_%s` | %s | ", prefix, o->option, o->module ? o->module : "(bool)");
	md_cell(b, o->source);
	md(b, " |\n");
}

char *vpmem_kfeatures_markdown(void)
{
	struct mbuf b = { 0 };

	md(&b, "<!-- generated by `vpmem doctor --kernel-features-doc` from lib/host/kconfig.c; do not edit -->\n");
	md(&b, "# Kernel options per feature\n\n");
	md(&b, "`vpmem doctor --kernel FILE` reads a guest kernel's configuration and module files and says, for\n"
	       "each feature below, *works*, *works with modules … loaded*, *missing, because CONFIG_… is not\n"
	       "set* (or a module file is not there), or *cannot conclude* when no configuration is found.\n"
	       "`vpmem run` makes the same check on the kernel it is about to boot and refuses, in one line,\n"
	       "when the guest cannot use what it asks for. This page is generated from the table the code\n"
	       "uses (`lib/host/kconfig.c`); each line names the Linux source that makes the option matter.\n\n");
	md(&b, "Where the configuration comes from, in order: `--config FILE` (plain, or gzip such as\n"
	       "`/proc/config.gz`); the `--kernel` file itself when it is a configuration; `boot/config-*`\n"
	       "inside a Debian kernel package (`.deb`); the configuration embedded in the image\n"
	       "(`CONFIG_IKCONFIG`, between `IKCFG_ST` and `IKCFG_ED`, as `scripts/extract-ikconfig` finds\n"
	       "it; gzip, xz, lzma, zstd and lz4 images); `config-RELEASE` beside the image, as in `/boot`;\n"
	       "the package vpmem's default guest was built from. Module files (`.ko`, `.ko.xz`, `.ko.zst`,\n"
	       "`.ko.gz`) are looked for under `--modules DIR`, in the package, in `lib/modules/RELEASE`\n"
	       "beside `/boot`, or in the initramfs (`vpmem run` with `--initrd`).\n\n");
	md(&b, "| feature | what the guest gets |\n|---|---|\n");
	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		md(&b, "| `%s` | %s: ", vpmem_kfeatures[i].name, vpmem_kfeatures[i].title);
		md_cell(&b, vpmem_kfeatures[i].gives);
		md(&b, " |\n");
	}
	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		const struct vpmem_kfeature *f = &vpmem_kfeatures[i];

		md(&b, "\n## `%s`: %s\n\n%s.\n\n", f->name, f->title, f->gives);
		md(&b, "| option | module when `=m` | why (Linux source) |\n|---|---|---|\n");
		for (unsigned k = 0; k < VPMEM_KFEATURE_MAX_OPTS && f->all[k].option; k++)
			md_opt(&b, &f->all[k], "");
		for (unsigned k = 0; k < 3 && f->any[k].option; k++)
			md_opt(&b, &f->any[k], k ? "or " : "one of: ");
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
