// SPDX-License-Identifier: MIT
/*
 * VM plan -> QEMU argv, and QEMU capability probing.
 *
 * Option syntax: QEMU docs/system/devices/nvdimm.rst ("-machine pc,nvdimm=on",
 * "-m RAM,slots=N,maxmem=M", memory-backend-file share/mem-path/size/align/pmem,
 * "-device nvdimm,memdev=…,label-size=…", machine "nvdimm-persistence=
 * {mem-ctrl,cpu}") and docs/system/devices/virtio-pmem.rst. Values are escaped
 * ',' -> ',,' (util/qemu-option.c get_opt_value).
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/exec.h>
#include <vpmem/qemu.h>
#include <vpmem/size.h>

char *vpmem_shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *p;
	bool plain = *s != '\0';

	for (const char *c = s; *c; c++) {
		n += *c == '\'' ? 4 : 1;
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,+@%", *c))
			plain = false;
	}
	if (plain)
		return strdup(s);
	q = p = malloc(n);
	if (!q)
		return NULL;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

/* Append "key=value" (value escaped) to a comma-separated option string. */
static int opt_kv(char **buf, const char *key, const char *val)
{
	size_t old = *buf ? strlen(*buf) : 0;
	char *nb = realloc(*buf, old + strlen(key) + 3);

	if (!nb)
		return -ENOMEM;
	sprintf(nb + old, "%s%s=", old ? "," : "", key);
	*buf = nb;
	return vpmem_qemu_escape_append(buf, val);
}

static int opt_kx(char **buf, const char *key, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return opt_kv(buf, key, num);
}

static int opt_khex(char **buf, const char *key, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "0x%" PRIx64, v);
	return opt_kv(buf, key, num);
}

/* Push "-flag" and the finished option string (taking ownership). */
static int push_opt(struct vpmem_strv *argv, const char *flag, char *opts)
{
	int r;

	if (!opts)
		return -ENOMEM;
	r = vpmem_strv_push(argv, flag);
	if (!r)
		r = vpmem_strv_push(argv, opts);
	free(opts);
	return r;
}

static int push_chardev_serial(struct vpmem_strv *argv, const char *id, const char *path)
{
	char *o = NULL;
	int r = asprintf(&o, "file,id=%s", id) < 0 ? -ENOMEM : 0;

	if (!r)
		r = opt_kv(&o, "path", path);
	if (!r)
		r = push_opt(argv, "-chardev", o), o = NULL;
	free(o);
	if (!r)
		r = vpmem_strv_pushf(argv, "-serial");
	if (!r)
		r = vpmem_strv_pushf(argv, "chardev:%s", id);
	return r;
}

static int machine_args(const struct vpmem_vm_plan *plan, const struct vpmem_qemu_boot *boot,
			struct vpmem_strv *argv)
{
	const char *accel = boot->accel ? boot->accel : "tcg";
	const char *pd = vpmem_persistence_name(plan->persistence);
	char ram[32], maxmem[32];
	int r = 0;

	r |= vpmem_strv_push(argv, boot->binary ? boot->binary : VPMEM_QEMU_DEFAULT_BINARY);
	r |= vpmem_strv_push(argv, "-machine");
	if (plan->cxl.ndevs)
		r |= vpmem_strv_push(argv, "q35,cxl=on");
	else if (plan->virtio)
		r |= vpmem_strv_push(argv, "pc");
	else if (pd)
		r |= vpmem_strv_pushf(argv, "pc,nvdimm=on,nvdimm-persistence=%s", pd);
	else
		r |= vpmem_strv_push(argv, "pc,nvdimm=on");
	r |= vpmem_strv_push(argv, "-accel");
	r |= vpmem_strv_push(argv, accel);
	r |= vpmem_strv_push(argv, "-cpu");
	if (plan->cxl.cpu_no_hypervisor) /* CXL on 6.12: see cxl.h */
		r |= vpmem_strv_push(argv, strcmp(accel, "kvm") ? "max,-hypervisor" : "host,-hypervisor");
	else
		r |= vpmem_strv_push(argv, strcmp(accel, "kvm") ? "max" : "host");
	r |= vpmem_strv_push(argv, "-m");
	r |= vpmem_strv_pushf(argv, "%s,slots=%u,maxmem=%s", vpmem_size_str(plan->ram, ram, sizeof(ram)),
			      plan->slots, vpmem_size_str(plan->maxmem, maxmem, sizeof(maxmem)));
	r |= vpmem_strv_push(argv, "-smp");
	r |= vpmem_strv_pushf(argv, "%u", plan->cores);
	if (r)
		return -ENOMEM;
	if (plan->nodes < 2)
		return 0;
	for (unsigned n = 0; n < plan->nodes; n++) {
		const struct vpmem_vm_node *nd = &plan->node[n];
		char *o = NULL;

		if (asprintf(&o, "memory-backend-ram,id=ram-node%u", n) < 0)
			return -ENOMEM;
		r = opt_kx(&o, "size", nd->ram);
		if (!r && nd->host_node >= 0) {
			r = opt_kx(&o, "host-nodes", (uint64_t)nd->host_node);
			if (!r)
				r = opt_kv(&o, "policy", "bind");
		}
		if (!r)
			r = push_opt(argv, "-object", o), o = NULL;
		free(o);
		if (!r)
			r = vpmem_strv_push(argv, "-numa");
		if (!r && nd->ncpus > 1)
			r = vpmem_strv_pushf(argv, "node,nodeid=%u,cpus=%u-%u,memdev=ram-node%u", n,
					     nd->cpu_first, nd->cpu_first + nd->ncpus - 1, n);
		else if (!r)
			r = vpmem_strv_pushf(argv, "node,nodeid=%u,cpus=%u,memdev=ram-node%u", n,
					     nd->cpu_first, n);
		if (r)
			return r;
	}
	return 0;
}

static int dimm_args(const struct vpmem_vm_plan *plan, const struct vpmem_vm_dimm *d,
		     struct vpmem_strv *argv)
{
	char *o = NULL, id[32];
	int r;

	snprintf(id, sizeof(id), "pmem%u", d->slot);
	if (asprintf(&o, "memory-backend-file,id=%s,share=on", id) < 0)
		return -ENOMEM;
	r = opt_kv(&o, "mem-path", d->path);
	if (!r)
		r = opt_kx(&o, "size", d->size);
	if (!r && d->align)
		r = opt_kx(&o, "align", d->align);
	if (!r && d->pmem)
		r = opt_kv(&o, "pmem", "on");
	if (!r)
		r = push_opt(argv, "-object", o), o = NULL;
	free(o);
	o = NULL;
	if (r)
		return r;
	if (plan->virtio) {
		if (asprintf(&o, "virtio-pmem-pci,id=vpmem%u,memdev=%s", d->slot, id) < 0)
			return -ENOMEM;
		r = opt_khex(&o, "memaddr", d->addr);
	} else {
		if (asprintf(&o, "nvdimm,id=nvdimm%u,memdev=%s,slot=%u,node=%u", d->slot, id,
			     d->slot, d->node) < 0)
			return -ENOMEM;
		r = opt_khex(&o, "addr", d->addr);
		if (!r && d->label_size)
			r = opt_kx(&o, "label-size", d->label_size);
	}
	if (!r)
		r = push_opt(argv, "-device", o), o = NULL;
	free(o);
	return r;
}

int vpmem_qemu_argv(const struct vpmem_vm_plan *plan, const struct vpmem_qemu_boot *boot,
		    struct vpmem_strv *argv, struct vpmem_err *err)
{
	int r = machine_args(plan, boot, argv);

	for (unsigned i = 0; !r && i < plan->ndimms; i++)
		r = dimm_args(plan, &plan->dimm[i], argv);
	if (!r)
		r = vpmem_cxl_argv(&plan->cxl, argv);
	if (!r && boot->kernel) {
		r |= vpmem_strv_push(argv, "-kernel");
		r |= vpmem_strv_push(argv, boot->kernel);
		if (boot->initrd) {
			r |= vpmem_strv_push(argv, "-initrd");
			r |= vpmem_strv_push(argv, boot->initrd);
		}
		if (boot->append || plan->cxl.pcie_ports_compat) {
			r |= vpmem_strv_push(argv, "-append");
			r |= vpmem_strv_pushf(argv, "%s%s%s", boot->append ? boot->append : "",
					      boot->append && plan->cxl.pcie_ports_compat ? " " : "",
					      plan->cxl.pcie_ports_compat ? "pcie_ports=compat" : "");
		}
	}
	if (!r) {
		r |= vpmem_strv_push(argv, "-nodefaults");
		r |= vpmem_strv_push(argv, "-no-user-config");
		r |= vpmem_strv_push(argv, "-display");
		r |= vpmem_strv_push(argv, "none");
		r |= vpmem_strv_push(argv, "-no-reboot");
	}
	if (!r && boot->batch) {
		r = push_chardev_serial(argv, "console", boot->console_path);
		if (!r)
			r = push_chardev_serial(argv, "out", boot->out_path);
		if (!r)
			r = push_chardev_serial(argv, "err", boot->err_path);
		if (!r)
			r = push_chardev_serial(argv, "status", boot->status_path);
	} else if (!r) {
		r |= vpmem_strv_push(argv, "-serial");
		r |= vpmem_strv_push(argv, "mon:stdio");
	}
	if (!r && boot->qmp_path) {
		/* QMP for `vpmem vm stop` (system_powerdown = the ACPI power button) */
		char *o = strdup("unix:");
		size_t n;

		r = o ? vpmem_qemu_escape_append(&o, boot->qmp_path) : -ENOMEM;
		n = r ? 0 : strlen(o);
		if (!r && !(o = realloc(o, n + 32)))
			r = -ENOMEM;
		if (!r) {
			strcpy(o + n, ",server=on,wait=off");
			r = push_opt(argv, "-qmp", o), o = NULL;
		}
		free(o);
	}
	if (!r && boot->cmd_path) {
		char *o = strdup("name=opt/vpmem/cmd");

		r = o ? opt_kv(&o, "file", boot->cmd_path) : -ENOMEM;
		if (!r)
			r = push_opt(argv, "-fw_cfg", o), o = NULL;
		free(o);
	}
	for (char *const *e = boot->extra; !r && e && *e; e++)
		r = vpmem_strv_push(argv, *e);
	if (r)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	return 0;
}

static bool has_prop(const char *help, const char *prop)
{
	size_t n = strlen(prop);

	for (const char *p = help; (p = strstr(p, prop)); p += n)
		if ((p == help || p[-1] == ' ' || p[-1] == '\n') && p[n] == '=')
			return true;
	return false;
}

static int run_help(const char *binary, const char *flag, const char *what, char **out,
		    struct vpmem_err *err)
{
	char *argv[] = { (char *)binary, (char *)flag, (char *)what, NULL };
	int st, r = vpmem_exec_capture(argv, NULL, 30, out, &st, err);

	if (r)
		return r;
	return 0;
}

int vpmem_qemu_probe(const char *binary, struct vpmem_qemu_caps *caps, struct vpmem_err *err)
{
	char *argv[] = { (char *)binary, (char *)"-version", NULL };
	char *out = NULL, *p;
	struct vpmem_err cause = { 0 };
	int st, r;

	memset(caps, 0, sizeof(*caps));
	r = vpmem_exec_capture(argv, NULL, 30, &out, &st, &cause);
	if (r)
		return vpmem_err_set(err, -r, "cannot run QEMU '%s' (install qemu-system-x86): %s",
				     binary, cause.msg);
	p = st == 0 ? strstr(out, "version ") : NULL;
	if (!p || sscanf(p, "version %63[0-9.]", caps->version) != 1) {
		free(out);
		return vpmem_err_set(err, EINVAL, "'%s -version' does not look like QEMU", binary);
	}
	sscanf(caps->version, "%u.%u", &caps->major, &caps->minor);
	free(out);

	if (!run_help(binary, "-object", "memory-backend-file,help", &out, err)) {
		caps->backend_align = has_prop(out, "align");
		free(out);
	}
	if (!run_help(binary, "-device", "nvdimm,help", &out, err)) {
		caps->nvdimm = has_prop(out, "memdev");
		caps->nvdimm_label_size = has_prop(out, "label-size");
		free(out);
	}
	if (!run_help(binary, "-device", "virtio-pmem-pci,help", &out, err)) {
		caps->virtio_pmem = has_prop(out, "memdev");
		free(out);
	}
	/* "pmem" is always a property; a QEMU built without libpmem refuses
	 * pmem=on when the backend is created (backends/hostmem-file.c). */
	{
		char tmpl[] = "/tmp/vpmem-probe-XXXXXX";
		int fd = mkstemp(tmpl);

		if (fd >= 0) {
			char *obj = NULL, *pargv[12];
			int n = 0;

			close(fd);
			if (truncate(tmpl, 4096) == 0 &&
			    asprintf(&obj, "memory-backend-file,id=p,share=on,size=4096,pmem=on,mem-path=%s", tmpl) > 0) {
				pargv[n++] = (char *)binary;
				pargv[n++] = (char *)"-M";
				pargv[n++] = (char *)"none";
				pargv[n++] = (char *)"-nodefaults";
				pargv[n++] = (char *)"-display";
				pargv[n++] = (char *)"none";
				pargv[n++] = (char *)"-monitor";
				pargv[n++] = (char *)"stdio";
				pargv[n++] = (char *)"-object";
				pargv[n++] = obj;
				pargv[n] = NULL;
				if (!vpmem_exec_capture(pargv, "quit\n", 30, &out, &st, NULL)) {
					caps->backend_pmem = st == 0 && !strstr(out, "Lack of libpmem");
					free(out);
				}
			}
			free(obj);
			unlink(tmpl);
		}
	}
	vpmem_err_clear(err);
	return 0;
}

int vpmem_qemu_check(const struct vpmem_vm_plan *plan, const struct vpmem_qemu_caps *caps,
		     struct vpmem_err *err)
{
	if (plan->virtio && !caps->virtio_pmem)
		return vpmem_err_set(err, EOPNOTSUPP,
				     "QEMU %s has no virtio-pmem-pci device (drop --virtio-pmem or use a newer QEMU)",
				     caps->version);
	if (!plan->virtio && !caps->nvdimm)
		return vpmem_err_set(err, EOPNOTSUPP, "QEMU %s has no nvdimm device", caps->version);
	for (unsigned i = 0; i < plan->ndimms; i++) {
		const struct vpmem_vm_dimm *d = &plan->dimm[i];

		if (d->label_size && !caps->nvdimm_label_size)
			return vpmem_err_set(err, EOPNOTSUPP,
					     "QEMU %s's nvdimm has no label-size property (use --label-size 0)",
					     caps->version);
		if (d->align && !caps->backend_align)
			return vpmem_err_set(err, EOPNOTSUPP,
					     "QEMU %s's memory-backend-file has no align property, needed for '%s'",
					     caps->version, d->path);
		if (d->pmem && !caps->backend_pmem)
			return vpmem_err_set(err, EOPNOTSUPP,
					     "QEMU %s was built without libpmem and refuses pmem=on for '%s'",
					     caps->version, d->path);
	}
	return 0;
}

/* Read QMP replies until one that is not an event (or nothing comes in 5 s). */
static int qmp_reply(int fd, char *buf, size_t len)
{
	size_t used = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (poll(&pfd, 1, 5000) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf + used, len - used - 1);
		if (n <= 0)
			return -EIO;
		used += (size_t)n;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			bool reply = strstr(buf, "\"return\"") && strstr(buf, "\"return\"") < nl;
			bool error = strstr(buf, "\"error\"") && strstr(buf, "\"error\"") < nl;

			if (reply || error)
				return error ? -EIO : 0;
			memmove(buf, nl + 1, used - (size_t)(nl + 1 - buf) + 1);
			used -= (size_t)(nl + 1 - buf);
		}
		if (used + 1 >= len)
			used = 0;
	}
}

int vpmem_qmp_powerdown(const char *sock, struct vpmem_err *err)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	static const char down[] = "{\"execute\":\"system_powerdown\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	int fd, r = 0;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return vpmem_err_set(err, ENAMETOOLONG, "QMP socket path too long: '%s'", sock);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = vpmem_err_set(err, errno, "cannot connect to QMP '%s': %s", sock, strerror(errno));
		goto out;
	}
	/* greeting {"QMP": ...}, then capabilities negotiation, then the button */
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 5000) <= 0 || read(fd, buf, sizeof(buf) - 1) <= 0) {
			r = vpmem_err_set(err, EIO, "no QMP greeting on '%s'", sock);
			goto out;
		}
	}
	if (write(fd, caps, sizeof(caps) - 1) != (ssize_t)sizeof(caps) - 1 || qmp_reply(fd, buf, sizeof(buf)) ||
	    write(fd, down, sizeof(down) - 1) != (ssize_t)sizeof(down) - 1 || qmp_reply(fd, buf, sizeof(buf)))
		r = vpmem_err_set(err, EIO, "QMP system_powerdown failed on '%s'", sock);
out:
	if (fd >= 0)
		close(fd);
	return r;
}
