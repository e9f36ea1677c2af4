// SPDX-License-Identifier: MIT
/* VM plan -> libvirt domain XML (libxml2 tree API); see libvirt.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <vpmem/cxl.h>
#include <vpmem/file.h>
#include <vpmem/guest.h>
#include <vpmem/hostmap.h>
#include <vpmem/nfit.h>
#include <vpmem/libvirt.h>
#include <vpmem/strv.h>

#include "util/msg.h"
#include "util/replace.h"
#include "util/virt.h"
#include "util/xml.h"

#define X(s) ((const xmlChar *)(s))
#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

static xmlNodePtr child(const struct vpmem_xml *lx, xmlNodePtr parent, const char *name, const char *text)
{
	return lx->NewTextChild(parent, NULL, X(name), text ? X(text) : NULL);
}

static void prop(const struct vpmem_xml *lx, xmlNodePtr n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void prop(const struct vpmem_xml *lx, xmlNodePtr n, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lx->NewProp(n, X(name), X(buf));
}

/* <NAME unit='KiB'>bytes/1024</NAME> (every size here is KiB-aligned) */
static xmlNodePtr kib(const struct vpmem_xml *lx, xmlNodePtr parent, const char *name, uint64_t bytes)
{
	char buf[32];
	xmlNodePtr n;

	snprintf(buf, sizeof(buf), "%" PRIu64, bytes >> 10);
	n = child(lx, parent, name, buf);
	lx->NewProp(n, X("unit"), X("KiB"));
	return n;
}

static void memory_device(const struct vpmem_xml *lx, xmlNodePtr devs, const struct vpmem_vm_plan *plan,
			  const struct vpmem_vm_dimm *d)
{
	xmlNodePtr mem = child(lx, devs, "memory", NULL), src, tgt, n;

	lx->NewProp(mem, X("model"), X(plan->virtio ? "virtio-pmem" : "nvdimm"));
	lx->NewProp(mem, X("access"), X("shared"));
	src = child(lx, mem, "source", NULL);
	child(lx, src, "path", d->path);
	if (!plan->virtio) {
		if (d->align)
			kib(lx, src, "alignsize", d->align);
		if (d->pmem)
			child(lx, src, "pmem", NULL);
	}
	tgt = child(lx, mem, "target", NULL);
	kib(lx, tgt, "size", d->size);
	if (!plan->virtio) {
		char node[16];

		/* a NUMA cell always exists with memory devices: name it
		 * (libvirt refuses a node on virtio-pmem, a PCI device) */
		snprintf(node, sizeof(node), "%u", d->node);
		child(lx, tgt, "node", node);
		if (d->label_size)
			kib(lx, child(lx, tgt, "label", NULL), "size", d->label_size);
		n = child(lx, mem, "address", NULL);
		lx->NewProp(n, X("type"), X("dimm"));
		prop(lx, n, "slot", "%u", d->slot);
		prop(lx, n, "base", "0x%" PRIx64, d->addr);
	}
}

int vpmem_libvirt_xml(const struct vpmem_vm_plan *plan, const struct vpmem_libvirt_opts *o,
		      char **xml, struct vpmem_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr dom, n, os, devs;
	xmlChar *buf = NULL;
	int len = 0;
	const struct vpmem_xml *lx = vpmem_xml_load(err);

	if (!lx)
		return -ENOSYS;
	doc = lx->NewDoc(X("1.0"));
	if (!doc)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	dom = lx->NewNode(NULL, X("domain"));
	lx->DocSetRootElement(doc, dom);
	lx->NewProp(dom, X("type"), X(o->kvm ? "kvm" : "qemu"));
	child(lx, dom, "name", o->name ? o->name : "vpmem");
	n = kib(lx, dom, "maxMemory", plan->maxmem);
	prop(lx, n, "slots", "%u", plan->slots);
	kib(lx, dom, "memory", plan->ram);
	kib(lx, dom, "currentMemory", plan->ram);
	prop(lx, child(lx, dom, "vcpu", NULL), "placement", "static");
	{
		char c[16];

		snprintf(c, sizeof(c), "%u", plan->cores);
		lx->NodeSetContent(lx->GetLastChild(dom), X(c));
	}
	if (o->cmd_path) {
		/* fw_cfg opt/vpmem/cmd carries the command (guest.h): a file entry
		 * (formatdomain.html#smbios-system-information, type='fwcfg') */
		xmlNodePtr si = child(lx, dom, "sysinfo", NULL), e;

		lx->NewProp(si, X("type"), X("fwcfg"));
		e = child(lx, si, "entry", NULL);
		lx->NewProp(e, X("name"), X("opt/vpmem/cmd"));
		lx->NewProp(e, X("file"), X(o->cmd_path));
	}
	os = child(lx, dom, "os", NULL);
	n = child(lx, os, "type", "hvm");
	lx->NewProp(n, X("arch"), X("x86_64"));
	lx->NewProp(n, X("machine"), X(plan->cxl.ndevs ? "q35" : "pc")); /* CXL: see below */
	if (o->kernel) {
		child(lx, os, "kernel", o->kernel);
		if (o->initrd)
			child(lx, os, "initrd", o->initrd);
		if (o->cmdline || plan->cxl.pcie_ports_compat) { /* CXL on 6.12: cxl.h */
			const char *compat = plan->cxl.pcie_ports_compat ? "pcie_ports=compat" : "";
			char *c = NULL;

			if (asprintf(&c, "%s%s%s", o->cmdline ? o->cmdline : "", o->cmdline && *compat ? " " : "",
				     compat) < 0) {
				lx->FreeDoc(doc);
				return vpmem_err_set(err, ENOMEM, "out of memory");
			}
			child(lx, os, "cmdline", c);
			free(c);
		}
	}
	child(lx, child(lx, dom, "features", NULL), "acpi", NULL); /* the NFIT is an ACPI table */
	if (plan->nodes > 1 || !o->kvm || plan->ndimms || plan->cxl.ndevs) {
		xmlNodePtr cpu = child(lx, dom, "cpu", NULL);

		if (!o->kvm) {
			lx->NewProp(cpu, X("mode"), X("maximum"));
			lx->NewProp(cpu, X("match"), X("exact"));
		} else {
			lx->NewProp(cpu, X("mode"), X("host-passthrough"));
		}
		if (plan->cxl.cpu_no_hypervisor) { /* CXL on 6.12: cxl.h */
			xmlNodePtr f = child(lx, cpu, "feature", NULL);

			lx->NewProp(f, X("policy"), X("disable"));
			lx->NewProp(f, X("name"), X("hypervisor"));
		}
		/* libvirt refuses memory devices without a NUMA cell, even for one
		 * node ("At least one numa node has to be configured when enabling
		 * memory hotplug", libvirt src/qemu/qemu_validate.c) */
		if (plan->nodes > 1 || plan->ndimms || plan->cxl.ndevs) {
			xmlNodePtr numa = child(lx, cpu, "numa", NULL);

			for (unsigned i = 0; i < plan->nodes; i++) {
				const struct vpmem_vm_node *nd = &plan->node[i];
				xmlNodePtr cell = child(lx, numa, "cell", NULL);

				prop(lx, cell, "id", "%u", i);
				if (nd->ncpus > 1)
					prop(lx, cell, "cpus", "%u-%u", nd->cpu_first, nd->cpu_first + nd->ncpus - 1);
				else
					prop(lx, cell, "cpus", "%u", nd->cpu_first);
				prop(lx, cell, "memory", "%" PRIu64, nd->ram >> 10);
				lx->NewProp(cell, X("unit"), X("KiB"));
			}
		}
	}
	child(lx, dom, "on_poweroff", "destroy");
	child(lx, dom, "on_reboot", "destroy");
	child(lx, dom, "on_crash", "destroy");
	devs = child(lx, dom, "devices", NULL);
	if (o->emulator)
		child(lx, devs, "emulator", o->emulator);
	for (unsigned i = 0; i < plan->ndimms; i++)
		memory_device(lx, devs, plan, &plan->dimm[i]);
	if (o->console_path) {
		/* the guest protocol's four serial ports, as files (guest.h) */
		const char *paths[4] = { o->console_path, o->out_path, o->err_path, o->status_path };

		for (unsigned i = 0; i < 4; i++) {
			xmlNodePtr ser = child(lx, devs, "serial", NULL);

			lx->NewProp(ser, X("type"), X("file"));
			lx->NewProp(child(lx, ser, "source", NULL), X("path"), X(paths[i]));
			prop(lx, child(lx, ser, "target", NULL), "port", "%u", i);
		}
	} else {
		lx->NewProp(child(lx, devs, "serial", NULL), X("type"), X("pty"));
		lx->NewProp(child(lx, devs, "console", NULL), X("type"), X("pty"));
	}
	if ((plan->persistence && !plan->virtio && !plan->cxl.ndevs) || plan->cxl.ndevs) {
		/* libvirt has no element for nvdimm-persistence nor (9.0) for
		 * CXL: pass them to QEMU (QEMU merges repeated -machine options) */
		xmlNsPtr ns = lx->NewNs(dom, X(QEMU_NS), X("qemu"));
		xmlNodePtr cl = lx->NewChild(dom, ns, X("commandline"), NULL);
		struct vpmem_strv qa = VPMEM_STRV_INIT;
		int r = 0;

		r |= vpmem_strv_push(&qa, "-machine");
		if (plan->cxl.ndevs)
			r |= vpmem_strv_push(&qa, "cxl=on");
		else
			r |= vpmem_strv_pushf(&qa, "nvdimm-persistence=%s", vpmem_persistence_name(plan->persistence));
		if (plan->cxl.ndevs && !r)
			r = vpmem_cxl_argv_at(&plan->cxl, VPMEM_CXL_LIBVIRT_SLOT, &qa);
		if (r) {
			vpmem_strv_free(&qa);
			lx->FreeDoc(doc);
			return vpmem_err_set(err, ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < qa.n; i++)
			lx->NewProp(lx->NewChild(cl, ns, X("arg"), NULL), X("value"), X(qa.v[i]));
		vpmem_strv_free(&qa);
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

bool vpmem_libvirt_uri_is_system(const char *uri)
{
	return !uri || !strncmp(uri, "qemu:///system", 14) || !strncmp(uri, "qemu+unix:///system", 19);
}

int vpmem_libvirt_reachable(const char *uri, const char *path, struct vpmem_err *err)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (!vpmem_libvirt_uri_is_system(uri) || path[0] != '/')
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/'))) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!stat(dir, &st) && S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH))
			return vpmem_err_set(err, EACCES,
					     "libvirt's QEMU (user " VPMEM_LIBVIRT_QEMU_USER ") cannot reach '%s': directory '%s' is not searchable by others (use a directory under /var/lib/libvirt/images, or chmod o+x '%s')",
					     path, dir, dir);
		if (slash == dir)
			break;
	}
	return 0;
}

struct conn {
	const struct vpmem_virt *v;
	virConnectPtr c;
};

static int conn_open(struct conn *k, const char *uri, struct vpmem_err *err)
{
	k->v = vpmem_virt_load(err);
	if (!k->v)
		return -ENOSYS;
	k->c = k->v->ConnectOpen(uri ? uri : VPMEM_LIBVIRT_DEFAULT_URI);
	if (!k->c)
		return vpmem_err_set(err, ECONNREFUSED, "cannot connect to libvirt at '%s': %s (is libvirtd running?)",
				     uri ? uri : VPMEM_LIBVIRT_DEFAULT_URI, k->v->GetLastErrorMessage());
	return 0;
}

static void conn_close(struct conn *k)
{
	if (k->c)
		k->v->ConnectClose(k->c);
	k->c = NULL;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int dom_state(const struct conn *k, virDomainPtr d)
{
	int st = 0, reason = 0;

	if (k->v->DomainGetState(d, &st, &reason, 0) < 0)
		return -1;
	return st;
}

/* A serial file virtlogd writes (created by it when QEMU starts, or by us
 * first: O_CREAT without O_TRUNC, so nothing it wrote is lost). */
static int open_out(const char *path, struct vpmem_err *err)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot open '%s': %s", path, strerror(errno));
	return fd;
}

static long domain_pid(const char *name)
{
	char p[PATH_MAX], *t;
	long pid = 0;

	/* the qemu driver's pid file (qemu:///system, virQEMUDriverConfig stateDir) */
	snprintf(p, sizeof(p), "/run/libvirt/qemu/%s.pid", name);
	t = vpmem_read_file(p, 64, NULL);
	if (t)
		pid = strtol(t, NULL, 10);
	free(t);
	return pid > 0 ? pid : 0;
}

/* Wait for the guest command: stream its output, stop on a signal or the
 * timeout (destroying the domain), then read its status. */
static int wait_command(const struct conn *k, virDomainPtr d, const struct vpmem_libvirt_run *r,
			int ofd, int efd, int *guest_status, struct vpmem_err *err)
{
	long long deadline = r->timeout_sec ? ms_now() + r->timeout_sec * 1000LL : 0;
	char line[256];

	for (;;) {
		int st = dom_state(k, d);

		vpmem_guest_pump(ofd, r->out_fd);
		vpmem_guest_pump(efd, r->err_fd);
		if (st < 0 || st == VIR_DOMAIN_SHUTOFF || st == VIR_DOMAIN_CRASHED)
			break;
		if (r->stop && *r->stop) {
			k->v->DomainDestroy(d);
			return vpmem_err_set(err, EINTR, "interrupted: domain '%s' destroyed", r->name);
		}
		if (deadline && ms_now() > deadline) {
			k->v->DomainDestroy(d);
			vpmem_guest_last_line(r->console_path, line, sizeof(line));
			return vpmem_err_set(err, ETIMEDOUT,
					     "the guest did not finish within %u s (domain destroyed); last console line: %s",
					     r->timeout_sec, *line ? line : "(none)");
		}
		sleep_ms(50);
	}
	/* virtlogd writes what QEMU left in the pipe after QEMU is gone: on a
	 * loaded host that has taken more than 2 s (up to 10 s here) */
	for (int i = 0; i < 200 && vpmem_guest_read_status(r->status_path, guest_status); i++) {
		vpmem_guest_pump(ofd, r->out_fd);
		vpmem_guest_pump(efd, r->err_fd);
		sleep_ms(50);
	}
	vpmem_guest_pump(ofd, r->out_fd);
	vpmem_guest_pump(efd, r->err_fd);
	if (!vpmem_guest_read_status(r->status_path, guest_status))
		return 0;
	vpmem_guest_last_line(r->console_path, line, sizeof(line));
	return vpmem_err_set(err, EIO, "the guest stopped without reporting an exit status; last console line: %s",
			     *line ? line : "(none)");
}

int vpmem_libvirt_run(const struct vpmem_libvirt_run *r, int *guest_status, struct vpmem_err *err)
{
	struct conn k = { 0 };
	virDomainPtr d = NULL;
	char *withuuid = NULL;
	bool existed;
	int ofd = -1, efd = -1, rc;

	rc = conn_open(&k, r->uri, err);
	if (rc)
		return rc;
	if (r->wait) {
		/* virtlogd makes the serial files anew when QEMU starts: remove
		 * the last run's, read the new ones once the domain is up */
		const char *files[] = { r->out_path, r->err_path, r->status_path, r->console_path };

		for (unsigned i = 0; i < 4; i++)
			if (files[i] && unlink(files[i]) && errno != ENOENT) {
				rc = vpmem_err_set(err, errno, "cannot remove '%s': %s", files[i], strerror(errno));
				goto out;
			}
	}
	/* defining it again updates it: same name, same uuid */
	d = k.v->DomainLookupByName(k.c, r->name);
	existed = d != NULL;
	if (d) {
		char uuid[VIR_UUID_STRING_BUFLEN];
		const char *name_end = strstr(r->xml, "</name>");

		if (!k.v->DomainGetUUIDString(d, uuid) && name_end) {
			size_t at = (size_t)(name_end - r->xml) + 7;

			if (asprintf(&withuuid, "%.*s\n  <uuid>%s</uuid>%s", (int)at, r->xml, uuid, r->xml + at) < 0)
				withuuid = NULL;
		}
		k.v->DomainFree(d);
	}
	d = k.v->DomainDefineXML(k.c, withuuid ? withuuid : r->xml);
	if (!d) {
		rc = vpmem_err_set(err, EINVAL, "libvirt refused to define domain '%s': %s", r->name,
				   k.v->GetLastErrorMessage());
		goto out;
	}
	if (r->stop && *r->stop) {
		rc = vpmem_err_set(err, EINTR, "interrupted before domain '%s' started", r->name);
		goto undefine;
	}
	if (k.v->DomainCreate(d) < 0) {
		const char *m = k.v->GetLastErrorMessage();

		/* measured with libvirt 9.0 (Debian 12): QEMU starts, then libvirt
		 * fails on QEMU's query-memory-devices answer for virtio-pmem */
		rc = vpmem_err_set(err, EIO, "libvirt cannot start domain '%s': %s%s", r->name, m,
				   strstr(m, "virtio-pmem memory device info is not handled")
				   ? " (this libvirt cannot start virtio-pmem domains: use the QEMU launcher)" : "");
		if (!existed)
			k.v->DomainUndefine(d);
		goto out;
	}
	/* a signal during virDomainCreate: the domain it started goes too */
	if (r->stop && *r->stop) {
		k.v->DomainDestroy(d);
		rc = vpmem_err_set(err, EINTR, "interrupted: domain '%s' destroyed", r->name);
		goto undefine;
	}
	if (r->wait) {
		ofd = open_out(r->out_path, err);
		efd = open_out(r->err_path, err);
		if (ofd < -1 || efd < -1) {
			k.v->DomainDestroy(d);
			rc = -EIO;
			goto out;
		}
	}
	rc = r->wait ? wait_command(&k, d, r, ofd, efd, guest_status, err) : 0;
undefine:
	/* interrupted: a domain this run defined goes away with it */
	if (rc == -EINTR && !existed && d)
		k.v->DomainUndefine(d);
out:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	if (d)
		k.v->DomainFree(d);
	free(withuuid);
	conn_close(&k);
	return rc;
}

static int lookup(struct conn *k, const char *uri, const char *name, virDomainPtr *d,
		  struct vpmem_err *err)
{
	int rc = conn_open(k, uri, err);

	if (rc)
		return rc;
	*d = k->v->DomainLookupByName(k->c, name);
	return 0;
}

int vpmem_libvirt_state(const char *uri, const char *name, enum vpmem_domain_state *state,
			long *pid, struct vpmem_err *err)
{
	struct conn k = { 0 };
	virDomainPtr d = NULL;
	int rc = lookup(&k, uri, name, &d, err), st;

	*state = VPMEM_DOMAIN_ABSENT;
	if (pid)
		*pid = 0;
	if (rc)
		return rc;
	if (d) {
		st = dom_state(&k, d);
		*state = st == VIR_DOMAIN_SHUTOFF ? VPMEM_DOMAIN_SHUTOFF
			 : st == VIR_DOMAIN_RUNNING ? VPMEM_DOMAIN_RUNNING : VPMEM_DOMAIN_OTHER;
		if (pid && *state != VPMEM_DOMAIN_SHUTOFF && vpmem_libvirt_uri_is_system(uri))
			*pid = domain_pid(name);
		k.v->DomainFree(d);
	}
	conn_close(&k);
	return 0;
}

int vpmem_libvirt_stop(const char *uri, const char *name, unsigned timeout_sec, bool *killed,
		       struct vpmem_err *err)
{
	struct conn k = { 0 };
	virDomainPtr d = NULL;
	int rc = lookup(&k, uri, name, &d, err);
	long long deadline = ms_now() + timeout_sec * 1000LL;

	*killed = false;
	if (rc)
		return rc;
	if (!d) {
		conn_close(&k);
		return vpmem_err_set(err, ENOENT, "libvirt has no domain '%s'", name);
	}
	if (dom_state(&k, d) != VIR_DOMAIN_SHUTOFF) {
		if (k.v->DomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0)
			deadline = 0; /* no ACPI: straight to destroy */
		for (long long next = ms_now() + 3000; dom_state(&k, d) != VIR_DOMAIN_SHUTOFF && ms_now() < deadline;) {
			sleep_ms(100);
			/* a guest still booting misses the button: press it again */
			if (ms_now() > next) {
				k.v->DomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
				next = ms_now() + 3000;
			}
		}
		if (dom_state(&k, d) != VIR_DOMAIN_SHUTOFF) {
			*killed = true;
			if (k.v->DomainDestroy(d) < 0)
				rc = vpmem_err_set(err, EIO, "cannot destroy domain '%s': %s", name,
						   k.v->GetLastErrorMessage());
		}
	}
	k.v->DomainFree(d);
	conn_close(&k);
	return rc;
}

int vpmem_libvirt_undefine(const char *uri, const char *name, struct vpmem_err *err)
{
	struct conn k = { 0 };
	virDomainPtr d = NULL;
	int rc = lookup(&k, uri, name, &d, err);

	if (rc)
		return rc;
	if (d) {
		if (dom_state(&k, d) != VIR_DOMAIN_SHUTOFF)
			rc = vpmem_err_set(err, EBUSY, "domain '%s' is running: stop it first", name);
		else if (k.v->DomainUndefine(d) < 0)
			rc = vpmem_err_set(err, EIO, "cannot undefine domain '%s': %s", name,
					   k.v->GetLastErrorMessage());
		k.v->DomainFree(d);
	}
	conn_close(&k);
	return rc;
}

int vpmem_libvirt_get_xml(const char *uri, const char *name, char **xml, struct vpmem_err *err)
{
	struct conn k = { 0 };
	virDomainPtr d = NULL;
	int rc = lookup(&k, uri, name, &d, err);

	*xml = NULL;
	if (rc)
		return rc;
	if (!d) {
		rc = vpmem_err_set(err, ENOENT, "libvirt has no domain '%s'", name);
	} else {
		*xml = k.v->DomainGetXMLDesc(d, 0);
		if (!*xml)
			rc = vpmem_err_set(err, EIO, "cannot read domain '%s': %s", name, k.v->GetLastErrorMessage());
		k.v->DomainFree(d);
	}
	conn_close(&k);
	return rc;
}

int vpmem_libvirt_vm_dir(const char *name, char *buf, size_t len, bool create, struct vpmem_err *err)
{
	const char *root = getenv("VPMEM_LIBVIRT_DIR");
	int n;

	if (!root || !*root)
		root = VPMEM_LIBVIRT_ROOT;
	n = snprintf(buf, len, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= len)
		return vpmem_err_set(err, ENAMETOOLONG, "path too long: '%s/%s'", root, name);
	if (!create)
		return 0;
	if (vpmem_mkdir_p(buf, err))
		return -EIO;
	chmod(buf, 0755);
	return 0;
}

int vpmem_libvirt_stage(const char *dir, const char *src, const char *base, char *out, size_t len,
			struct vpmem_err *err)
{
	char buf[1 << 16];
	struct vpmem_replace t;
	struct stat s, d;
	int in, r;
	ssize_t n;

	snprintf(out, len, "%s/%s", dir, base);
	if (stat(src, &s))
		return vpmem_err_set(err, errno, "cannot read '%s': %s", src, strerror(errno));
	if (!stat(out, &d) && d.st_size == s.st_size && d.st_mtime == s.st_mtime)
		return 0;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return vpmem_err_set(err, errno, "cannot read '%s': %s", src, strerror(errno));
	/* the one atomic replace: a copy half written is never taken for the file */
	r = vpmem_replace_begin(&t, out, err);
	while (!r && (n = read(in, buf, sizeof(buf))) != 0)
		r = n < 0 ? vpmem_err_set(err, errno, "cannot read '%s': %s", src, strerror(errno))
			  : vpmem_replace_write(&t, buf, (size_t)n, err);
	close(in);
	if (r) {
		vpmem_replace_abort(&t);
		return r;
	}
	{
		/* src's times: the next stage sees an unchanged file and copies nothing */
		struct timeval tv[2] = { { s.st_atime, 0 }, { s.st_mtime, 0 } };

		futimes(t.fd, tv);
	}
	return vpmem_replace_commit(&t, 0644, err);
}

/* ---- domain XML -> host devices (hostmap.h); a parser: no backing is opened ---- */

static xmlNodePtr find_child(const struct vpmem_xml *lx, xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !lx->StrCmp(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

static char *text_of(const struct vpmem_xml *lx, xmlNodePtr n)
{
	xmlChar *t = n ? lx->NodeGetContent(n) : NULL;
	char *s = t ? strdup((const char *)t) : NULL;

	(*lx->Free)(t);
	return s;
}

static char *attr_of(const struct vpmem_xml *lx, xmlNodePtr n, const char *a)
{
	xmlChar *t = n ? lx->GetProp(n, (const xmlChar *)a) : NULL;
	char *s = t ? strdup((const char *)t) : NULL;

	(*lx->Free)(t);
	return s;
}

int vpmem_host_from_libvirt(const char *text, size_t len, struct vpmem_host *h, struct vpmem_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr root, devs;
	bool used[VPMEM_NFIT_MAX_SLOTS] = { false };
	int pending[VPMEM_MAP_MAX], npending = 0;
	const struct vpmem_xml *lx = vpmem_xml_load(err);

	memset(h, 0, sizeof(*h));
	if (!lx)
		return -ENOSYS;
	if (len > INT_MAX)
		return vpmem_err_set(err, EFBIG, "a domain XML of %zu bytes is too large", len);
	doc = lx->ReadMemory(text, (int)len, "domain.xml", NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return vpmem_err_set(err, EINVAL, "not well-formed XML");
	root = lx->DocGetRootElement(doc);
	if (!root || lx->StrCmp(root->name, (const xmlChar *)"domain")) {
		lx->FreeDoc(doc);
		return vpmem_err_set(err, EINVAL, "not a libvirt <domain>");
	}
	devs = find_child(lx, root, "devices");
	for (xmlNodePtr m = devs ? devs->children : NULL; m; m = m->next) {
		char *model, *path, *node, *slot;
		struct vpmem_host_dev *d;

		if (m->type != XML_ELEMENT_NODE || lx->StrCmp(m->name, (const xmlChar *)"memory"))
			continue;
		model = attr_of(lx, m, "model");
		if (!model || (strcmp(model, "nvdimm") && strcmp(model, "virtio-pmem"))) {
			free(model);
			continue;
		}
		if (h->n >= VPMEM_MAP_MAX) {
			free(model);
			break;
		}
		d = &h->d[h->n];
		memset(d, 0, sizeof(*d));
		d->kind = strcmp(model, "nvdimm") ? VPMEM_HOST_VIRTIO : VPMEM_HOST_LIBVIRT;
		d->slot = d->node = -1;
		path = text_of(lx, find_child(lx, find_child(lx, m, "source"), "path"));
		node = text_of(lx, find_child(lx, find_child(lx, m, "target"), "node"));
		slot = attr_of(lx, find_child(lx, m, "address"), "slot");
		snprintf(d->path, sizeof(d->path), "%s", path ? path : "");
		if (node)
			d->node = atoi(node);
		{
			char *alias = attr_of(lx, find_child(lx, m, "alias"), "name");

			snprintf(d->devid, sizeof(d->devid), "%s", alias ? alias : "");
			free(alias);
		}
		if (d->kind == VPMEM_HOST_LIBVIRT) {
			if (slot && atoi(slot) >= 0 && atoi(slot) < (int)VPMEM_NFIT_MAX_SLOTS) {
				d->slot = atoi(slot);
				if (used[d->slot])
					MSG_ADD(h->problems, &h->nproblems, "slot %d is given to two nvdimm devices", d->slot);
				used[d->slot] = true;
			} else {
				pending[npending++] = (int)h->n;
			}
		}
		free(model);
		free(path);
		free(node);
		free(slot);
		h->n++;
	}
	/* libvirt gives unaddressed DIMMs the lowest free slots, in order */
	for (int i = 0; i < npending; i++) {
		struct vpmem_host_dev *d = &h->d[pending[i]];

		for (d->slot = 0; used[d->slot]; d->slot++)
			;
		used[d->slot] = true;
	}
	for (unsigned i = 0; i < h->n; i++) {
		if (h->d[i].kind == VPMEM_HOST_LIBVIRT) {
			struct vpmem_nfit_dimm n;

			vpmem_nfit_dimm((unsigned)h->d[i].slot, &n);
			snprintf(h->d[i].expect_id, sizeof(h->d[i].expect_id), "%s", n.id);
		}
	}
	/* CXL devices (libvirt 9.0 has no elements for them) are QEMU
	 * arguments in <qemu:commandline> (vpmem run --libvirt, doc/cxl.md) */
	{
		struct vpmem_strv args = VPMEM_STRV_INIT;
		bool cxl = false;
		int r = 0;

		for (xmlNodePtr c = root->children; c && !r; c = c->next) {
			if (c->type != XML_ELEMENT_NODE || lx->StrCmp(c->name, X("commandline")) || !c->ns ||
			    lx->StrCmp(c->ns->href, X(QEMU_NS)))
				continue;
			for (xmlNodePtr a = c->children; a && !r; a = a->next) {
				char *v;

				if (a->type != XML_ELEMENT_NODE || lx->StrCmp(a->name, X("arg")) ||
				    !(v = attr_of(lx, a, "value")))
					continue;
				cxl |= !strncmp(v, "cxl-type3", 9);
				if (vpmem_strv_push(&args, v))
					r = vpmem_err_set(err, ENOMEM, "out of memory");
				free(v);
			}
		}
		if (!r && cxl)
			r = vpmem_host_add_qemu_argv(args.v, h, err);
		vpmem_strv_free(&args);
		if (r) {
			lx->FreeDoc(doc);
			return r;
		}
	}
	lx->FreeDoc(doc);
	if (!h->n)
		return vpmem_err_set(err, ENODEV, "the domain has no <memory model='nvdimm'> or 'virtio-pmem'");
	return 0;
}
