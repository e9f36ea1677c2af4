// SPDX-License-Identifier: MIT
/* libvirt on first use; see virt.h. */
#include <errno.h>
#include <stddef.h>

#include "util/dl.h"
#include "util/virt.h"

static struct vpmem_virt v;
static struct vpmem_dl dl = VPMEM_DL_INIT;

/* libvirt prints every error on stderr unless told otherwise: we report
 * them ourselves, in one line (virGetLastErrorMessage). */
static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static void loaded(void *table)
{
	((struct vpmem_virt *)table)->SetErrorFunc(NULL, quiet);
}

const struct vpmem_virt *vpmem_virt_load(struct vpmem_err *err)
{
	static const struct vpmem_dl_sym syms[] = {
#define S(f, n) VPMEM_DL_SYM(struct vpmem_virt, f, n)
		S(ConnectOpen, "virConnectOpen"), S(ConnectClose, "virConnectClose"),
		S(DomainDefineXML, "virDomainDefineXML"), S(DomainCreate, "virDomainCreate"),
		S(DomainLookupByName, "virDomainLookupByName"), S(DomainGetState, "virDomainGetState"),
		S(DomainDestroy, "virDomainDestroy"), S(DomainShutdownFlags, "virDomainShutdownFlags"),
		S(DomainUndefine, "virDomainUndefine"), S(DomainGetXMLDesc, "virDomainGetXMLDesc"),
		S(DomainFree, "virDomainFree"), S(GetLastErrorMessage, "virGetLastErrorMessage"),
		S(SetErrorFunc, "virSetErrorFunc"), S(DomainGetUUIDString, "virDomainGetUUIDString"), { NULL, 0 },
#undef S
	};

	if (vpmem_dl_fill(&dl, "libvirt.so.0", "libvirt0", syms, &v, loaded)) {
		vpmem_err_set(err, ENOSYS, "%s", dl.why);
		return NULL;
	}
	return &v;
}
