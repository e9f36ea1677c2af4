// SPDX-License-Identifier: MIT
/* libxml2 on first use; see xml.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "util/xml.h"

static struct vpmem_xml x;
static const struct vpmem_xml *loaded;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const struct { const char *name; size_t off; } syms[] = {
#define S(f, n) { n, offsetof(struct vpmem_xml, f) }
		S(NewDoc, "xmlNewDoc"), S(NewNode, "xmlNewNode"), S(DocSetRootElement, "xmlDocSetRootElement"),
		S(NewProp, "xmlNewProp"), S(NewTextChild, "xmlNewTextChild"), S(NewChild, "xmlNewChild"),
		S(NodeSetContent, "xmlNodeSetContent"), S(GetLastChild, "xmlGetLastChild"), S(NewNs, "xmlNewNs"),
		S(DocDumpFormatMemoryEnc, "xmlDocDumpFormatMemoryEnc"), S(FreeDoc, "xmlFreeDoc"),
		S(ReadMemory, "xmlReadMemory"), S(DocGetRootElement, "xmlDocGetRootElement"),
		S(StrCmp, "xmlStrcmp"), S(NodeGetContent, "xmlNodeGetContent"), S(GetProp, "xmlGetProp"),
		S(Free, "xmlFree"),
#undef S
	};
	void *h = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, sizeof(why), "libvirt XML needs libxml2, which cannot be loaded (install libxml2): %s",
			 dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			snprintf(why, sizeof(why), "libxml2 has no %s", syms[i].name);
			return;
		}
		*(void **)((char *)&x + syms[i].off) = p;
	}
	loaded = &x;
}

const struct vpmem_xml *vpmem_xml_load(struct vpmem_err *err)
{
	pthread_once(&once, load);
	if (!loaded)
		vpmem_err_set(err, ENOSYS, "%s", why);
	return loaded;
}
