// SPDX-License-Identifier: MIT
/* libndctl and libdaxctl on first use; see ndctl.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define VPMEM_NDCTL_LOADER
#include "host/ndctl.h"

const struct vpmem_ndctl *vpmem_nd;
static struct vpmem_ndctl t;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

struct sym {
	const char *name;
	size_t off;
};

#define VPMEM_NDCTL_SYM(f) { #f, offsetof(struct vpmem_ndctl, f) },
static const struct sym nd_syms[] = { VPMEM_NDCTL_FUNCS(VPMEM_NDCTL_SYM) };
static const struct sym dx_syms[] = { VPMEM_DAXCTL_FUNCS(VPMEM_NDCTL_SYM) };
#undef VPMEM_NDCTL_SYM

static int fill(const char *soname, const char *pkg, const struct sym *syms, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, sizeof(why), "%s is not installed (apt-get install %s)", soname, pkg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			snprintf(why, sizeof(why), "%s has no %s (too old?)", soname, syms[i].name);
			return -1;
		}
		memcpy((char *)&t + syms[i].off, &p, sizeof(p));
	}
	return 0;
}

static void load(void)
{
	if (fill(VPMEM_DAXCTL_SONAME, "libdaxctl1", dx_syms, sizeof(dx_syms) / sizeof(dx_syms[0])) ||
	    fill(VPMEM_NDCTL_SONAME, "libndctl6", nd_syms, sizeof(nd_syms) / sizeof(nd_syms[0])))
		return;
	vpmem_nd = &t;
}

const struct vpmem_ndctl *vpmem_ndctl_load(struct vpmem_err *err)
{
	pthread_once(&once, load);
	if (!vpmem_nd)
		vpmem_err_set(err, ENOSYS, "%s", why);
	return vpmem_nd;
}
