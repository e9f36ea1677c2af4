// SPDX-License-Identifier: MIT
/* libvirt on first use; see virt.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "util/virt.h"

static struct vpmem_virt v;
static const struct vpmem_virt *loaded;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* libvirt prints every error on stderr unless told otherwise: we report
 * them ourselves, in one line (virGetLastErrorMessage). */
static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static void load(void)
{
	static const struct { const char *name; size_t off; } syms[] = {
#define S(f, n) { n, offsetof(struct vpmem_virt, f) }
		S(ConnectOpen, "virConnectOpen"), S(ConnectClose, "virConnectClose"),
		S(DomainDefineXML, "virDomainDefineXML"), S(DomainCreate, "virDomainCreate"),
		S(DomainLookupByName, "virDomainLookupByName"), S(DomainGetState, "virDomainGetState"),
		S(DomainDestroy, "virDomainDestroy"), S(DomainShutdownFlags, "virDomainShutdownFlags"),
		S(DomainUndefine, "virDomainUndefine"), S(DomainGetXMLDesc, "virDomainGetXMLDesc"),
		S(DomainFree, "virDomainFree"), S(GetLastErrorMessage, "virGetLastErrorMessage"),
		S(SetErrorFunc, "virSetErrorFunc"), S(DomainGetUUIDString, "virDomainGetUUIDString"),
#undef S
	};
	void *h = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, sizeof(why), "libvirt cannot be loaded (install libvirt0): %s", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			snprintf(why, sizeof(why), "libvirt has no %s", syms[i].name);
			return;
		}
		*(void **)((char *)&v + syms[i].off) = p;
	}
	v.SetErrorFunc(NULL, quiet);
	loaded = &v;
}

const struct vpmem_virt *vpmem_virt_load(struct vpmem_err *err)
{
	pthread_once(&once, load);
	if (!loaded)
		vpmem_err_set(err, ENOSYS, "%s", why);
	return loaded;
}
