/* SPDX-License-Identifier: MIT */
/*
 * The same machine as a libvirt domain (formatdomain.html: <maxMemory slots>,
 * <cpu><numa><cell>, <memory model='nvdimm'|'virtio-pmem' access='shared'>
 * with <source><path>/<alignsize>/<pmem/>, <target><size>/<node>/<label><size>,
 * <address type='dimm' slot base>), written with libxml2; and running it
 * through the libvirt C API (libvirt.so.0, loaded on first use).
 *
 * What libvirt 9.0 needs to really run it (each refused otherwise):
 *  - a <numa> cell per guest node, one node included, whenever memory
 *    devices exist ("At least one numa node has to be configured when
 *    enabling memory hotplug", qemu_validate.c), and <target><node> on each;
 *  - every <target><size> a multiple of 2 MiB (VPMEM_LIBVIRT_SIZE_ALIGN in
 *    vm.h: libvirt rounds it up and QEMU then refuses the smaller file);
 *  - kernel, initrd and backings at paths the QEMU user (libvirt-qemu for
 *    qemu:///system) can reach: see vpmem_libvirt_reachable().
 */
#ifndef VPMEM_LIBVIRT_H
#define VPMEM_LIBVIRT_H

#include <stdbool.h>

#include <vpmem/error.h>
#include <vpmem/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpmem_libvirt_opts {
	const char *name;       /* domain name */
	const char *emulator;   /* QEMU binary path, NULL = leave to libvirt */
	const char *kernel, *initrd, *cmdline;
	bool kvm;               /* domain type kvm (else qemu = TCG) */
	/* batch mode (a guest command, guest.h protocol): four file serials and
	 * the command file as fw_cfg opt/vpmem/cmd; else a pty console. (A file,
	 * not an inline string: libvirt 9.0 hands QEMU the string still
	 * XML-escaped, '&' as '&amp;'.) QEMU opens it: it must be readable. */
	const char *cmd_path;
	const char *console_path, *out_path, *err_path, *status_path;
};

/* Write the domain XML for @plan into *@xml (malloc'ed, NUL-terminated). */
int vpmem_libvirt_xml(const struct vpmem_vm_plan *plan, const struct vpmem_libvirt_opts *o,
		      char **xml, struct vpmem_err *err);

#define VPMEM_LIBVIRT_DEFAULT_URI "qemu:///system"
#define VPMEM_LIBVIRT_QEMU_USER "libvirt-qemu" /* Debian's qemu.conf user for qemu:///system */

/*
 * Can the QEMU that libvirt starts for @uri open @path? For qemu:///system it
 * runs as an unprivileged user: every directory above @path must be
 * searchable by others (libvirt's DAC driver hands QEMU the file itself,
 * not the directories that lead to it). 0, or -EACCES naming the directory.
 */
int vpmem_libvirt_reachable(const char *uri, const char *path, struct vpmem_err *err);

/*
 * Where run --libvirt keeps what libvirt's QEMU must read for VM @name when
 * QEMU runs as another user (qemu:///system): VPMEM_LIBVIRT_ROOT/NAME
 * (made 0755 when @create; $VPMEM_LIBVIRT_DIR overrides the root). libvirt's own
 * storage directory is searchable by its QEMU user; a home directory (where
 * the default guest and the VM state live) is not.
 */
#define VPMEM_LIBVIRT_ROOT "/var/lib/libvirt/images/vpmem"
int vpmem_libvirt_vm_dir(const char *name, char *buf, size_t len, bool create, struct vpmem_err *err);
/*
 * Copy @src to @dir/@base (0644) unless a copy of the same size and mtime is
 * there already; *@out = the copy's path.
 */
int vpmem_libvirt_stage(const char *dir, const char *src, const char *base, char *out, size_t len,
			struct vpmem_err *err);

/* Does @uri run QEMU as another user (qemu:///system)? */
bool vpmem_libvirt_uri_is_system(const char *uri);

struct vpmem_libvirt_run {
	const char *uri;            /* NULL = qemu:///system */
	const char *name;           /* domain name */
	const char *xml;            /* domain XML: defined (persistent), then started */
	bool wait;                  /* wait until the domain shuts off (guest command) */
	unsigned timeout_sec;       /* with wait: destroy it after this (0 = none) */
	int out_fd, err_fd;         /* guest command's output streamed here */
	const char *out_path, *err_path, *status_path, *console_path;
	const volatile int *stop;   /* raised by a signal: destroy the domain */
};

/*
 * Define the domain (replacing an older definition of the same name) and
 * start it. With @r->wait, stream the command's output while it runs and
 * return its exit status in *@guest_status, as vpmem_guest_exec() does.
 * When *@r->stop is raised or the timeout passes, the domain it started is
 * destroyed (-EINTR / -ETIMEDOUT); interrupted, a domain this call defined
 * (none of that name before) is undefined too: nothing is left behind.
 */
int vpmem_libvirt_run(const struct vpmem_libvirt_run *r, int *guest_status, struct vpmem_err *err);

enum vpmem_domain_state { VPMEM_DOMAIN_ABSENT, VPMEM_DOMAIN_SHUTOFF, VPMEM_DOMAIN_RUNNING,
			  VPMEM_DOMAIN_OTHER };
/* The domain's state and QEMU pid (0 if unknown). */
int vpmem_libvirt_state(const char *uri, const char *name, enum vpmem_domain_state *state,
			long *pid, struct vpmem_err *err);
/*
 * ACPI power button, then wait up to @timeout_sec for the guest to power off;
 * destroy it after that (*@killed = true).
 */
int vpmem_libvirt_stop(const char *uri, const char *name, unsigned timeout_sec, bool *killed,
		       struct vpmem_err *err);
/* Undefine (a running domain is refused). Absent: 0. */
int vpmem_libvirt_undefine(const char *uri, const char *name, struct vpmem_err *err);
/* The live (or defined) domain XML; *@xml malloc'ed. */
int vpmem_libvirt_get_xml(const char *uri, const char *name, char **xml, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
