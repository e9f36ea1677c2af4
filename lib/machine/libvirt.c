// SPDX-License-Identifier: MIT
/* VM plan -> libvirt domain XML (libxml2 tree API); see libvirt.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/libvirt.h>

#include "util/xml.h"

#define X(s) ((const xmlChar *)(s))

static const struct vpmem_xml *lx; /* set by vpmem_libvirt_xml() before any use */

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
	return lx->NewTextChild(parent, NULL, X(name), text ? X(text) : NULL);
}

static void prop(xmlNodePtr n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void prop(xmlNodePtr n, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lx->NewProp(n, X(name), X(buf));
}

/* <NAME unit='KiB'>bytes/1024</NAME> (every size here is KiB-aligned) */
static xmlNodePtr kib(xmlNodePtr parent, const char *name, uint64_t bytes)
{
	char buf[32];
	xmlNodePtr n;

	snprintf(buf, sizeof(buf), "%" PRIu64, bytes >> 10);
	n = child(parent, name, buf);
	lx->NewProp(n, X("unit"), X("KiB"));
	return n;
}

static void memory_device(xmlNodePtr devs, const struct vpmem_vm_plan *plan,
			  const struct vpmem_vm_dimm *d)
{
	xmlNodePtr mem = child(devs, "memory", NULL), src, tgt, n;

	lx->NewProp(mem, X("model"), X(plan->virtio ? "virtio-pmem" : "nvdimm"));
	lx->NewProp(mem, X("access"), X("shared"));
	src = child(mem, "source", NULL);
	child(src, "path", d->path);
	if (!plan->virtio) {
		if (d->align)
			kib(src, "alignsize", d->align);
		if (d->pmem)
			child(src, "pmem", NULL);
	}
	tgt = child(mem, "target", NULL);
	kib(tgt, "size", d->size);
	if (!plan->virtio) {
		char node[16];

		snprintf(node, sizeof(node), "%u", d->node);
		if (plan->nodes > 1)
			child(tgt, "node", node);
		if (d->label_size)
			kib(child(tgt, "label", NULL), "size", d->label_size);
		n = child(mem, "address", NULL);
		lx->NewProp(n, X("type"), X("dimm"));
		prop(n, "slot", "%u", d->slot);
		prop(n, "base", "0x%" PRIx64, d->addr);
	}
}

int vpmem_libvirt_xml(const struct vpmem_vm_plan *plan, const struct vpmem_libvirt_opts *o,
		      char **xml, struct vpmem_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr dom, n, os, devs;
	xmlChar *buf = NULL;
	int len = 0;

	lx = vpmem_xml_load(err);
	if (!lx)
		return -ENOSYS;
	doc = lx->NewDoc(X("1.0"));
	if (!doc)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	dom = lx->NewNode(NULL, X("domain"));
	lx->DocSetRootElement(doc, dom);
	lx->NewProp(dom, X("type"), X(o->kvm ? "kvm" : "qemu"));
	child(dom, "name", o->name ? o->name : "vpmem");
	n = kib(dom, "maxMemory", plan->maxmem);
	prop(n, "slots", "%u", plan->slots);
	kib(dom, "memory", plan->ram);
	kib(dom, "currentMemory", plan->ram);
	prop(child(dom, "vcpu", NULL), "placement", "static");
	{
		char c[16];

		snprintf(c, sizeof(c), "%u", plan->cores);
		lx->NodeSetContent(lx->GetLastChild(dom), X(c));
	}
	os = child(dom, "os", NULL);
	n = child(os, "type", "hvm");
	lx->NewProp(n, X("arch"), X("x86_64"));
	lx->NewProp(n, X("machine"), X("pc"));
	if (o->kernel) {
		child(os, "kernel", o->kernel);
		if (o->initrd)
			child(os, "initrd", o->initrd);
		if (o->cmdline)
			child(os, "cmdline", o->cmdline);
	}
	child(child(dom, "features", NULL), "acpi", NULL); /* the NFIT is an ACPI table */
	if (plan->nodes > 1 || !o->kvm) {
		xmlNodePtr cpu = child(dom, "cpu", NULL);

		if (!o->kvm) {
			lx->NewProp(cpu, X("mode"), X("maximum"));
			lx->NewProp(cpu, X("match"), X("exact"));
		} else {
			lx->NewProp(cpu, X("mode"), X("host-passthrough"));
		}
		if (plan->nodes > 1) {
			xmlNodePtr numa = child(cpu, "numa", NULL);

			for (unsigned i = 0; i < plan->nodes; i++) {
				const struct vpmem_vm_node *nd = &plan->node[i];
				xmlNodePtr cell = child(numa, "cell", NULL);

				prop(cell, "id", "%u", i);
				if (nd->ncpus > 1)
					prop(cell, "cpus", "%u-%u", nd->cpu_first, nd->cpu_first + nd->ncpus - 1);
				else
					prop(cell, "cpus", "%u", nd->cpu_first);
				prop(cell, "memory", "%" PRIu64, nd->ram >> 10);
				lx->NewProp(cell, X("unit"), X("KiB"));
			}
		}
	}
	child(dom, "on_poweroff", "destroy");
	child(dom, "on_reboot", "destroy");
	child(dom, "on_crash", "destroy");
	devs = child(dom, "devices", NULL);
	if (o->emulator)
		child(devs, "emulator", o->emulator);
	for (unsigned i = 0; i < plan->ndimms; i++)
		memory_device(devs, plan, &plan->dimm[i]);
	lx->NewProp(child(devs, "serial", NULL), X("type"), X("pty"));
	lx->NewProp(child(devs, "console", NULL), X("type"), X("pty"));
	if (plan->persistence && !plan->virtio) {
		/* libvirt has no element for nvdimm-persistence: pass it to QEMU
		 * (QEMU merges repeated -machine options). */
		xmlNsPtr ns = lx->NewNs(dom, X("http://libvirt.org/schemas/domain/qemu/1.0"), X("qemu"));
		xmlNodePtr cl = lx->NewChild(dom, ns, X("commandline"), NULL);
		char val[64];

		snprintf(val, sizeof(val), "nvdimm-persistence=%s", vpmem_persistence_name(plan->persistence));
		lx->NewProp(lx->NewChild(cl, ns, X("arg"), NULL), X("value"), X("-machine"));
		lx->NewProp(lx->NewChild(cl, ns, X("arg"), NULL), X("value"), X(val));
	}
	lx->DocDumpFormatMemoryEnc(doc, &buf, &len, "UTF-8", 1);
	lx->FreeDoc(doc);
	if (!buf)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	/* drop the XML declaration: libvirt's own dumps have none */
	{
		const char *start = (const char *)buf;

		if (!strncmp(start, "<?xml", 5) && strchr(start, '\n'))
			start = strchr(start, '\n') + 1;
		*xml = strdup(start);
	}
	(*lx->Free)(buf);
	return *xml ? 0 : vpmem_err_set(err, ENOMEM, "out of memory");
}
