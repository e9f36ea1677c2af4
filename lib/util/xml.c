// SPDX-License-Identifier: MIT
/* libxml2 on first use; see xml.h. */
#include <errno.h>
#include <stddef.h>

#include "util/dl.h"
#include "util/xml.h"

static struct vpmem_xml x;
static struct vpmem_dl dl = VPMEM_DL_INIT;

const struct vpmem_xml *vpmem_xml_load(struct vpmem_err *err)
{
	static const struct vpmem_dl_sym syms[] = {
#define S(f, n) VPMEM_DL_SYM(struct vpmem_xml, f, n)
		S(NewDoc, "xmlNewDoc"), S(NewNode, "xmlNewNode"), S(DocSetRootElement, "xmlDocSetRootElement"),
		S(NewProp, "xmlNewProp"), S(NewTextChild, "xmlNewTextChild"), S(NewChild, "xmlNewChild"),
		S(NodeSetContent, "xmlNodeSetContent"), S(GetLastChild, "xmlGetLastChild"), S(NewNs, "xmlNewNs"),
		S(DocDumpFormatMemoryEnc, "xmlDocDumpFormatMemoryEnc"), S(FreeDoc, "xmlFreeDoc"),
		S(ReadMemory, "xmlReadMemory"), S(DocGetRootElement, "xmlDocGetRootElement"),
		S(StrCmp, "xmlStrcmp"), S(NodeGetContent, "xmlNodeGetContent"), S(GetProp, "xmlGetProp"),
		S(Free, "xmlFree"), { NULL, 0 },
#undef S
	};

	if (vpmem_dl_fill(&dl, "libxml2.so.2", "libxml2", syms, &x, NULL)) {
		vpmem_err_set(err, ENOSYS, "%s", dl.why);
		return NULL;
	}
	return &x;
}
