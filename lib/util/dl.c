// SPDX-License-Identifier: MIT
/* Libraries on first use; see dl.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "util/dl.h"

static int fill(struct vpmem_dl *dl, const char *soname, const char *pkg, const struct vpmem_dl_sym *syms,
		void *table)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(dl->why, sizeof(dl->why), "%s is not installed (apt-get install %s)", soname, pkg);
		return -1;
	}
	for (const struct vpmem_dl_sym *s = syms; s->name; s++) {
		void *p = dlsym(h, s->name);

		if (!p) {
			snprintf(dl->why, sizeof(dl->why), "%s has no %s (too old?)", soname, s->name);
			return -1;
		}
		memcpy((char *)table + s->off, &p, sizeof(p));
	}
	return 0;
}

int vpmem_dl_fill(struct vpmem_dl *dl, const char *soname, const char *pkg, const struct vpmem_dl_sym *syms,
		  void *table, void (*loaded)(void *table))
{
	int r;

	pthread_mutex_lock(&dl->lock);
	if (!dl->state) {
		int ok = !fill(dl, soname, pkg, syms, table);

		if (ok && loaded)
			loaded(table);
		dl->state = ok ? 1 : -1; /* loaded: the table and its hook complete */
	}
	r = dl->state == 1 ? 0 : -1;
	pthread_mutex_unlock(&dl->lock);
	return r;
}
