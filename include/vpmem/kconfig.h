/* SPDX-License-Identifier: MIT */
/*
 * Will this guest kernel see its PMem? Checked before boot, from the kernel's
 * build configuration and its module files.
 *
 * The configuration is read from a `config-*` file (plain or gzip, such as
 * /proc/config.gz), from inside a Debian kernel package (.deb: ar, then the
 * data.tar.* member, then boot/config-VERSION), or embedded in the kernel
 * image (CONFIG_IKCONFIG: the gzip'ed config between "IKCFG_ST" and
 * "IKCFG_ED", Linux kernel/configs.c and scripts/extract-ikconfig) inside the
 * compressed payload of a bzImage (Documentation/arch/x86/boot.rst:
 * payload_offset/payload_length, protocol 2.08+). Module files (.ko, .ko.xz,
 * .ko.zst, .ko.gz) are looked up in a modules directory, in the package, or
 * in an initramfs (cpio newc, possibly compressed).
 *
 * One const table (vpmem_kfeatures) says, for every feature vpmem can give a
 * guest, which options it needs and where the kernel says so; the verdicts,
 * the doctor's report and doc/kernel.md all come from it.
 */
#ifndef VPMEM_KCONFIG_H
#define VPMEM_KCONFIG_H

#include <limits.h>
#include <linux/limits.h> /* PATH_MAX, also under -std=c11 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/strv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a parsed .config ---- */
struct vpmem_kconfig;

/*
 * Parse .config text: "CONFIG_NAME=VALUE" and "# CONFIG_NAME is not set";
 * other lines are ignored; a later assignment overrides an earlier one (as
 * scripts/kconfig/confdata.c conf_read_simple does). -EILSEQ if @text holds
 * no CONFIG_ assignment at all (not a configuration).
 */
int vpmem_kconfig_parse(const char *text, size_t len, struct vpmem_kconfig **out,
			struct vpmem_err *err);
void vpmem_kconfig_free(struct vpmem_kconfig *kc);
/* Value of CONFIG_@name (@name without "CONFIG_"): "y", "m", "\"str\"", "123";
 * NULL when not set (absent, "is not set", or "n"). */
const char *vpmem_kconfig_get(const struct vpmem_kconfig *kc, const char *name);
/* 'y', 'm' or 'n' */
char vpmem_kconfig_tristate(const struct vpmem_kconfig *kc, const char *name);
size_t vpmem_kconfig_count(const struct vpmem_kconfig *kc);

/* ---- finding a kernel's configuration and modules ---- */
struct vpmem_kernel_req {
	const char *kernel;   /* bzImage/vmlinuz, vmlinux, a kernel .deb, or a config file */
	const char *config;   /* explicit configuration (plain or gzip); NULL: find it */
	const char *modules;  /* lib/modules/VERSION, or a root holding lib/modules/VERSION */
	const char *initrd;   /* the guest's initramfs: its modules are the ones available */
	bool no_modules;      /* do not look for module files (the caller does not need them) */
};

struct vpmem_kernel {
	struct vpmem_kconfig *config;    /* NULL: not found, see @no_config */
	char config_from[PATH_MAX + 128];/* where it was read, in words */
	char no_config[1024];            /* what was tried, when @config is NULL */
	char release[128];               /* e.g. "6.1.0-57-cloud-amd64", "" if unknown */
	bool modules_known;              /* @modules lists every module file there is */
	char modules_from[PATH_MAX + 64];
	struct vpmem_strv modules;       /* module names, '-' as '_', no suffix */
};

/*
 * Find @req's configuration (in this order: @config; the kernel file as a
 * configuration; inside a .deb; embedded in the image; config-RELEASE or
 * config-SUFFIX beside the image, as in /boot; the package of vpmem's default
 * guest beside it) and module files. A configuration that cannot be found
 * is not an error (k->config stays NULL, k->no_config says why); a file that
 * cannot be read, or a damaged package, is.
 */
int vpmem_kernel_open(const struct vpmem_kernel_req *req, struct vpmem_kernel *k,
		      struct vpmem_err *err);
void vpmem_kernel_close(struct vpmem_kernel *k);
/* Add the modules of the initramfs in @p/@n (cpio newc archives, the last
 * one possibly compressed) to @k, named @path in messages. */
int vpmem_kernel_scan_initrd(struct vpmem_kernel *k, const uint8_t *p, size_t n, const char *path,
			     struct vpmem_err *err);
/* Is module @name (any of '-'/'_') among k->modules? */
bool vpmem_kernel_has_module(const struct vpmem_kernel *k, const char *name);

/*
 * The same, cached in @cache_dir (created if missing) per kernel, config and
 * initrd file (path, size, mtime, inode): the options the feature table uses
 * and the module names, so `vpmem run` reads a package or image once.
 */
int vpmem_kernel_open_cached(const struct vpmem_kernel_req *req, const char *cache_dir,
			     struct vpmem_kernel *k, struct vpmem_err *err);

/* ---- the feature table ---- */
#define VPMEM_KFEATURE_MAX_OPTS 10

struct vpmem_kopt {
	const char *option;   /* without "CONFIG_" */
	const char *module;   /* the module it builds when =m; NULL for bool options */
	const char *source;   /* where the kernel says so (file: symbol, the relevant line) */
};

struct vpmem_kfeature {
	const char *name;     /* "nvdimm", "raw", "sector", "fsdax", "devdax", "dax-mount",
			       * "map-sync", "virtio-pmem", "cxl-pmem", "memmap" */
	const char *title;    /* "vNVDIMM regions and namespace labels" */
	const char *gives;    /* what the guest gets, and which vpmem option asks for it */
	struct vpmem_kopt all[VPMEM_KFEATURE_MAX_OPTS]; /* every one needed */
	struct vpmem_kopt any[3];                       /* at least one of these (if any) */
};

extern const struct vpmem_kfeature vpmem_kfeatures[];
extern const size_t vpmem_nkfeatures;
const struct vpmem_kfeature *vpmem_kfeature_find(const char *name);

enum vpmem_kverdict {
	VPMEM_KV_WORKS,          /* built in */
	VPMEM_KV_WORKS_MODULES,  /* works with modules loaded */
	VPMEM_KV_MISSING,        /* an option is not set, or a needed module file is absent */
	VPMEM_KV_UNKNOWN,        /* no configuration: nothing can be concluded */
};

#define VPMEM_KREPORT_MAX 12

struct vpmem_kfeature_report {
	const struct vpmem_kfeature *feature;
	enum vpmem_kverdict verdict;
	unsigned nunset;              /* options not set (names without CONFIG_) */
	const char *unset[VPMEM_KREPORT_MAX];
	unsigned nmodules;            /* modules to load, in table order */
	const char *modules[VPMEM_KREPORT_MAX];
	unsigned nabsent;             /* of those, the ones whose file is not there */
	const char *absent[VPMEM_KREPORT_MAX];
	char text[512];               /* one line: "works with modules nfit, nd_pmem loaded" … */
	char alt[96];                 /* "EXT4_FS or CONFIG_XFS_FS" when none of @any is set */
};

void vpmem_kernel_judge(const struct vpmem_kernel *k, const struct vpmem_kfeature *f,
			struct vpmem_kfeature_report *r);
const char *vpmem_kverdict_name(enum vpmem_kverdict v); /* "works", "works with modules", … */

/* doc/kernel.md, generated from the table (the checked-in file must equal it) */
char *vpmem_kfeatures_markdown(void);

/* ---- what `vpmem run` asks of its guest kernel ---- */
struct vpmem_kernel_needs {
	bool nvdimm;       /* NFIT vNVDIMMs */
	bool virtio_pmem;
	bool cxl_pmem;
	bool memmap;       /* memmap=SIZE!OFFSET on the command line */
	bool own_initrd;   /* modules come from the user's initramfs: absent ones warn */
};

struct vpmem_kernel_verdict {
	bool unknown;            /* no configuration found: nothing checked */
	char note[1024];         /* when @unknown: what was tried */
	bool refuse;             /* the guest cannot use what it asks for */
	char refusal[512];       /* one line, when @refuse */
	unsigned nwarnings;
	char warnings[4][512];
};

/* Judge the features @needs lists; pure (no I/O). */
void vpmem_kernel_check_needs(const struct vpmem_kernel *k, const struct vpmem_kernel_needs *needs,
			      struct vpmem_kernel_verdict *v);

/*
 * `vpmem run`'s check: find @req's configuration and modules through the
 * cache ($XDG_CACHE_HOME/vpmem/kcheck), then vpmem_kernel_check_needs().
 * Errors only for files that cannot be read.
 */
int vpmem_guest_kernel_check(const struct vpmem_kernel_req *req, const struct vpmem_kernel_needs *needs,
			     struct vpmem_kernel_verdict *v, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
