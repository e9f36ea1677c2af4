/* SPDX-License-Identifier: MIT */
/*
 * libxml2, loaded on first use (dlopen), not linked: only the libvirt paths
 * need it, and linking it costs every vpmem start ~4 ms (libxml2 pulls in ICU
 * and libstdc++; bench/README.md) and the default guest 30 MB of ICU data.
 * Internal to libvpmem.
 */
#ifndef VPMEM_XML_H
#define VPMEM_XML_H

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <vpmem/error.h>

struct vpmem_xml {
	xmlDocPtr (*NewDoc)(const xmlChar *version);
	xmlNodePtr (*NewNode)(xmlNsPtr ns, const xmlChar *name);
	xmlNodePtr (*DocSetRootElement)(xmlDocPtr doc, xmlNodePtr root);
	xmlAttrPtr (*NewProp)(xmlNodePtr node, const xmlChar *name, const xmlChar *value);
	xmlNodePtr (*NewTextChild)(xmlNodePtr parent, xmlNsPtr ns, const xmlChar *name, const xmlChar *content);
	xmlNodePtr (*NewChild)(xmlNodePtr parent, xmlNsPtr ns, const xmlChar *name, const xmlChar *content);
	void (*NodeSetContent)(xmlNodePtr cur, const xmlChar *content);
	xmlNodePtr (*GetLastChild)(const xmlNode *parent);
	xmlNsPtr (*NewNs)(xmlNodePtr node, const xmlChar *href, const xmlChar *prefix);
	void (*DocDumpFormatMemoryEnc)(xmlDocPtr doc, xmlChar **mem, int *size, const char *enc, int format);
	void (*FreeDoc)(xmlDocPtr cur);
	xmlDocPtr (*ReadMemory)(const char *buf, int size, const char *url, const char *enc, int options);
	xmlNodePtr (*DocGetRootElement)(const xmlDoc *doc);
	int (*StrCmp)(const xmlChar *a, const xmlChar *b);
	xmlChar *(*NodeGetContent)(const xmlNode *cur);
	xmlChar *(*GetProp)(const xmlNode *node, const xmlChar *name);
	xmlFreeFunc *Free;   /* libxml2 exports xmlFree as a variable */
};

/* The loaded library, or NULL with a message naming the package to install. */
const struct vpmem_xml *vpmem_xml_load(struct vpmem_err *err);

#endif
