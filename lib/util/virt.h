/* SPDX-License-Identifier: MIT */
/*
 * libvirt's client library, loaded on first use (dlopen), not linked: only
 * `run --libvirt`, `vm` and `map --libvirt-domain` need it, and the default
 * guest (which carries the vpmem binary and its linked libraries) should not
 * grow by libvirt and its dependencies. Internal to libvpmem.
 */
#ifndef VPMEM_VIRT_H
#define VPMEM_VIRT_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <vpmem/error.h>

struct vpmem_virt {
	virConnectPtr (*ConnectOpen)(const char *name);
	int (*ConnectClose)(virConnectPtr conn);
	virDomainPtr (*DomainDefineXML)(virConnectPtr conn, const char *xml);
	int (*DomainCreate)(virDomainPtr dom);
	virDomainPtr (*DomainLookupByName)(virConnectPtr conn, const char *name);
	int (*DomainGetState)(virDomainPtr dom, int *state, int *reason, unsigned int flags);
	int (*DomainDestroy)(virDomainPtr dom);
	int (*DomainShutdownFlags)(virDomainPtr dom, unsigned int flags);
	int (*DomainUndefine)(virDomainPtr dom);
	char *(*DomainGetXMLDesc)(virDomainPtr dom, unsigned int flags);
	int (*DomainFree)(virDomainPtr dom);
	int (*DomainGetUUIDString)(virDomainPtr dom, char *buf);
	const char *(*GetLastErrorMessage)(void);
	void (*SetErrorFunc)(void *userData, virErrorFunc handler);
};

/* The loaded library, or NULL with a message naming the package to install. */
const struct vpmem_virt *vpmem_virt_load(struct vpmem_err *err);

#endif
