/* SPDX-License-Identifier: MIT */
/*
 * The same machine as a libvirt domain (formatdomain.html: <maxMemory slots>,
 * <cpu><numa><cell>, <memory model='nvdimm'|'virtio-pmem' access='shared'>
 * with <source><path>/<alignsize>/<pmem/>, <target><size>/<node>/<label><size>,
 * <address type='dimm' slot base>), written with libxml2.
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
};

/* Write the domain XML for @plan into *@xml (malloc'ed, NUL-terminated). */
int vpmem_libvirt_xml(const struct vpmem_vm_plan *plan, const struct vpmem_libvirt_opts *o,
		      char **xml, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
