// SPDX-License-Identifier: MIT
/* libndctl and libdaxctl on first use; see ndctl.h. */
#include <errno.h>
#include <stddef.h>

#include "util/dl.h"

#define VPMEM_NDCTL_LOADER
#include "host/ndctl.h"

const struct vpmem_ndctl *vpmem_nd;
static struct vpmem_ndctl t;
static struct vpmem_dl nd = VPMEM_DL_INIT, dx = VPMEM_DL_INIT;

#define VPMEM_NDCTL_SYM(f) VPMEM_DL_SYM(struct vpmem_ndctl, f, #f),
static const struct vpmem_dl_sym nd_syms[] = { VPMEM_NDCTL_FUNCS(VPMEM_NDCTL_SYM) { NULL, 0 } };
static const struct vpmem_dl_sym dx_syms[] = { VPMEM_DAXCTL_FUNCS(VPMEM_NDCTL_SYM) { NULL, 0 } };
#undef VPMEM_NDCTL_SYM

/* both libraries are in the table: the redirections may use it */
static void ready(void *table)
{
	vpmem_nd = table;
}

const struct vpmem_ndctl *vpmem_ndctl_load(struct vpmem_err *err)
{
	if (vpmem_dl_fill(&dx, VPMEM_DAXCTL_SONAME, "libdaxctl1", dx_syms, &t, NULL)) {
		vpmem_err_set(err, ENOSYS, "%s", dx.why);
		return NULL;
	}
	if (vpmem_dl_fill(&nd, VPMEM_NDCTL_SONAME, "libndctl6", nd_syms, &t, ready)) {
		vpmem_err_set(err, ENOSYS, "%s", nd.why);
		return NULL;
	}
	return vpmem_nd;
}
