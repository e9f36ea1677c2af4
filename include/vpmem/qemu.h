/* SPDX-License-Identifier: MIT */
/*
 * QEMU: turn a VM plan into an exact argv (no shell; every option value
 * escaped ',' -> ',,'), and probe what a QEMU binary supports.
 */
#ifndef VPMEM_QEMU_H
#define VPMEM_QEMU_H

#include <stdbool.h>

#include <vpmem/error.h>
#include <vpmem/strv.h>
#include <vpmem/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_QEMU_DEFAULT_BINARY "qemu-system-x86_64"

struct vpmem_qemu_caps {
	char version[64];          /* "7.2.19" */
	unsigned major, minor;
	bool nvdimm;               /* -device nvdimm */
	bool virtio_pmem;          /* -device virtio-pmem-pci */
	bool backend_pmem;         /* memory-backend-file has "pmem" (built with libpmem) */
	bool backend_align;        /* memory-backend-file has "align" */
	bool nvdimm_label_size;    /* nvdimm has "label-size" */
};

/* Run @binary -version / -object memory-backend-file,help / -device X,help. */
int vpmem_qemu_probe(const char *binary, struct vpmem_qemu_caps *caps, struct vpmem_err *err);

/* Check that @caps can run @plan; names the missing option. */
int vpmem_qemu_check(const struct vpmem_vm_plan *plan, const struct vpmem_qemu_caps *caps,
		     struct vpmem_err *err);

/* How the guest is booted and wired: everything but the machine itself. */
struct vpmem_qemu_boot {
	const char *binary;        /* NULL = qemu-system-x86_64 */
	const char *accel;         /* "kvm" or "tcg" (NULL = tcg) */
	const char *kernel, *initrd, *append;
	bool batch;                /* serial ports to files (run a command) vs console on stdio */
	const char *console_path;  /* batch: ttyS0 (kernel console) */
	const char *out_path;      /* batch: ttyS1 (command stdout) */
	const char *err_path;      /* batch: ttyS2 (command stderr) */
	const char *status_path;   /* batch: ttyS3 (exit status) */
	const char *cmd_path;      /* fw_cfg opt/vpmem/cmd (the command) */
	const char *qmp_path;      /* a QMP unix socket (vpmem vm stop), NULL = none */
	char *const *extra;        /* raw arguments appended last (NULL-terminated) */
};

/* Build the argv for @plan booted as @boot into @argv (appended). */
int vpmem_qemu_argv(const struct vpmem_vm_plan *plan, const struct vpmem_qemu_boot *boot,
		    struct vpmem_strv *argv, struct vpmem_err *err);

/*
 * Press the guest's ACPI power button through the QMP socket @sock
 * (qmp_capabilities, then system_powerdown; QEMU's QMP reference).
 */
int vpmem_qmp_powerdown(const char *sock, struct vpmem_err *err);

/* Shell-quote @s for display ('…' with embedded quotes escaped); malloc'ed. */
char *vpmem_shell_quote(const char *s);

#ifdef __cplusplus
}
#endif
#endif
