/* SPDX-License-Identifier: MIT */
/*
 * Libraries loaded on first use (dlopen) into a table of function pointers,
 * not linked: libndctl/libdaxctl (host/ndctl.h), libmount (host/mount.c),
 * libxml2 (xml.h), libvirt (virt.h) and the codecs (unpack.c). Only the
 * commands that need one pay for its load (bench/README.md). Internal to
 * libvpmem.
 *
 *   static struct vpmem_dl dl = VPMEM_DL_INIT;
 *   static const struct vpmem_dl_sym syms[] = { VPMEM_DL_SYM(struct t, f, "f"), ..., { NULL, 0 } };
 *   if (vpmem_dl_fill(&dl, "libx.so.1", "libx1", syms, &table, NULL))
 *           return vpmem_err_set(err, ENOSYS, "%s", dl.why);
 */
#ifndef VPMEM_UTIL_DL_H
#define VPMEM_UTIL_DL_H

#include <pthread.h>
#include <stddef.h>

/* A symbol and where its address goes in the table. */
struct vpmem_dl_sym {
	const char *name;
	size_t off;
};
#define VPMEM_DL_SYM(type, member, name) { name, offsetof(type, member) }

/* One library's load: tried once, whatever the threads. */
struct vpmem_dl {
	pthread_mutex_t lock;
	int state;          /* 0 not tried, 1 loaded, -1 failed (why says why) */
	char why[200];
};
#define VPMEM_DL_INIT { PTHREAD_MUTEX_INITIALIZER, 0, "" }

/*
 * The first call on @dl (under its lock: other threads wait for it) opens
 * @soname and writes the address of each symbol of @syms (ended by a NULL
 * name) into @table at its offset, then calls @loaded (may be NULL) with
 * @table; later calls return the first call's answer. Only @syms' members
 * of @table are written, so libraries sharing one table load independently.
 * 0 once loaded, else -1 with @dl->why: "SONAME is not installed (apt-get
 * install PKG)" or "SONAME has no SYM (too old?)".
 */
int vpmem_dl_fill(struct vpmem_dl *dl, const char *soname, const char *pkg, const struct vpmem_dl_sym *syms,
		  void *table, void (*loaded)(void *table));

#endif
