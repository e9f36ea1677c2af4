// SPDX-License-Identifier: MIT
/*
 * VM plan -> QEMU argv, and QEMU capability probing.
 *
 * Option syntax: QEMU docs/system/devices/nvdimm.rst ("-machine pc,nvdimm=on",
 * "-m RAM,slots=N,maxmem=M", memory-backend-file share/mem-path/size/align/pmem,
 * "-device nvdimm,memdev=…,label-size=…", machine "nvdimm-persistence=
 * {mem-ctrl,cpu}") and docs/system/devices/virtio-pmem.rst. Values are escaped
 * ',' -> ',,' (util/qemu-option.c get_opt_value).
 *
 * And back: a QEMU command line (argv, shell words, /proc/PID/cmdline) ->
 * the host's vNVDIMM devices (struct vpmem_host, hostmap.h). A parser only:
 * the backings it names are not opened (vpmem_host_check_images does that).
 */
#include <ctype.h>
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

#include <json-c/json.h>

#include <vpmem/exec.h>
#include <vpmem/hostmap.h>
#include <vpmem/nfit.h>
#include <vpmem/qemu.h>
#include <vpmem/size.h>

#include "machine/cxlmap.h"
#include "util/msg.h"

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
	/*
	 * TCG runs vCPUs one host thread each by default (MTTCG); a 6.12 guest
	 * with two vCPUs then oopsed about once in 50 boots here ("Oops: int3" at
	 * a jump-label NOP in hrtimer_start_range_ns, "Fatal exception in
	 * interrupt"): one vCPU ran the int3 that the kernel's text_poke_bp()
	 * (arch/x86/kernel/alternative.c) had already replaced, so its handler no
	 * longer claimed it. One thread for all vCPUs does not interleave a code
	 * patch with another vCPU's execution; boot times measured the same.
	 */
	if (!strcmp(accel, "tcg") && plan->cores > 1)
		r |= vpmem_strv_push(argv, "tcg,thread=single");
	else
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

/* ---- QEMU keyval (util/qemu-option.c: ',,' is a literal comma) ---- */

/* Copy the value of @key (or, with @key NULL, the implied first word) from @opts. */
static bool kv_get(const char *opts, const char *key, char *out, size_t len)
{
	const char *p = opts;
	bool first = true;

	while (*p) {
		char item[2048];
		size_t n = 0;

		while (*p && n + 1 < sizeof(item)) {
			if (*p == ',') {
				if (p[1] == ',') {
					item[n++] = ',';
					p += 2;
					continue;
				}
				break;
			}
			item[n++] = *p++;
		}
		item[n] = '\0';
		if (*p == ',')
			p++;
		{
			char *eq = strchr(item, '=');

			if (!key && first && !eq) {
				snprintf(out, len, "%s", item);
				return true;
			}
			if (key && eq && (size_t)(eq - item) == strlen(key) && !strncmp(item, key, strlen(key))) {
				snprintf(out, len, "%s", eq + 1);
				return true;
			}
		}
		first = false;
	}
	return false;
}

/* The first key given twice in keyval @opts (into @key), or false. QEMU's
 * QemuOpts would take the last; a reader that took the first would map the
 * wrong slot, so such a line is refused, not guessed at. */
static bool kv_dup(const char *opts, char *key, size_t len)
{
	char seen[64][64];
	unsigned n = 0;

	for (const char *p = opts; *p;) {
		char k[64];
		size_t m = 0;
		bool has_eq = false;

		while (*p && !(*p == ',' && p[1] != ',')) {
			if (*p == ',')
				p++; /* ',,' */
			if (*p == '=' && !has_eq)
				has_eq = true;
			else if (!has_eq && m + 1 < sizeof(k))
				k[m++] = *p;
			p++;
		}
		k[m] = '\0';
		if (*p == ',')
			p++;
		if (!has_eq)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(seen[i], k)) {
				snprintf(key, len, "%s", k);
				return true;
			}
		if (n < sizeof(seen) / sizeof(seen[0]))
			snprintf(seen[n++], sizeof(seen[0]), "%s", k);
	}
	return false;
}

/* A decimal number in [0, max] (no sign, no empty string, nothing after). */
static bool strict_uint(const char *v, long max, long *out)
{
	char *end;
	long x;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x > max)
		return false;
	*out = x;
	return true;
}

struct backend { char id[128], path[1024]; };

static bool obj_get(const char *arg, const char *key, char *out, size_t len)
{
	if (arg[0] == '{') {
		json_object *o = json_tokener_parse(arg), *v;
		bool ok = false;

		if (o && json_object_object_get_ex(o, key ? key : "qom-type", &v)) {
			snprintf(out, len, "%s", json_object_get_string(v));
			ok = true;
		} else if (o && !key && json_object_object_get_ex(o, "driver", &v)) {
			snprintf(out, len, "%s", json_object_get_string(v));
			ok = true;
		}
		json_object_put(o);
		return ok;
	}
	if (!key && kv_get(arg, "qom-type", out, len))
		return true;
	if (!key && kv_get(arg, "driver", out, len))
		return true;
	return kv_get(arg, key, out, len);
}

/* The memory backends seen so far: grown as the command line names them. */
struct backends {
	struct backend *v;
	unsigned n, alloc;
};

static struct backend *backend_add(struct backends *b)
{
	if (b->n == b->alloc) {
		unsigned alloc = b->alloc ? 2 * b->alloc : 8;
		struct backend *v = realloc(b->v, alloc * sizeof(*v));

		if (!v)
			return NULL;
		b->v = v;
		b->alloc = alloc;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	return &b->v[b->n++];
}

static int parse_argv(char *const *argv, struct vpmem_host *h, struct backends *bes, struct vpmem_err *err)
{
	bool used[VPMEM_NFIT_MAX_SLOTS] = { false };

	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i + 1];
		char type[128] = "", dup[64];

		if (!a)
			break;
		if ((!strcmp(argv[i], "-object") || !strcmp(argv[i], "-device")) && a[0] != '{' &&
		    kv_dup(a, dup, sizeof(dup)))
			return vpmem_err_set(err, EINVAL, "%s '%.80s': '%s' is given twice (QEMU takes the last; say it once)",
					     argv[i], a, dup);
		if (!strcmp(argv[i], "-object") && obj_get(a, NULL, type, sizeof(type)) &&
		    !strcmp(type, "memory-backend-file")) {
			struct backend *be;

			if (bes->n >= VPMEM_MAP_MAX)
				return vpmem_err_set(err, E2BIG, "too many memory backends");
			be = backend_add(bes);
			if (!be)
				return vpmem_err_set(err, ENOMEM, "out of memory");
			obj_get(a, "id", be->id, sizeof(be->id));
			obj_get(a, "mem-path", be->path, sizeof(be->path));
		} else if (!strcmp(argv[i], "-device") && obj_get(a, NULL, type, sizeof(type)) &&
			   !strcmp(type, "cxl-type3")) {
			/* CXL: memory and label backends, the serial (cxlmap.c) */
			char memdev[128] = "", lsa[128] = "", id[64] = "", sn[32];
			const char *paths[2] = { NULL, NULL };
			int r;

			obj_get(a, "memdev", memdev, sizeof(memdev));
			obj_get(a, "lsa", lsa, sizeof(lsa));
			obj_get(a, "id", id, sizeof(id));
			for (unsigned k = 0; k < bes->n; k++) {
				if (memdev[0] && !strcmp(bes->v[k].id, memdev))
					paths[0] = bes->v[k].path;
				if (lsa[0] && !strcmp(bes->v[k].id, lsa))
					paths[1] = bes->v[k].path;
			}
			if (!paths[0])
				return vpmem_err_set(err, EINVAL,
						     "-device cxl-type3 uses memdev '%s', which is not a memory-backend-file defined before it",
						     memdev);
			r = vpmem_cxl_host_add(h, id, paths[0], paths[1], obj_get(a, "sn", sn, sizeof(sn)) ? sn : NULL, err);
			if (r)
				return r;
		} else if (!strcmp(argv[i], "-device") && obj_get(a, NULL, type, sizeof(type)) &&
			   (!strcmp(type, "nvdimm") || !strcmp(type, "virtio-pmem-pci"))) {
			struct vpmem_host_dev *d;
			char memdev[128] = "", v[64];
			unsigned k;

			if (h->n >= VPMEM_MAP_MAX)
				return vpmem_err_set(err, E2BIG, "too many devices");
			d = &h->d[h->n++];
			memset(d, 0, sizeof(*d));
			d->kind = strcmp(type, "nvdimm") ? VPMEM_HOST_VIRTIO : VPMEM_HOST_QEMU;
			d->slot = d->node = -1;
			obj_get(a, "id", d->devid, sizeof(d->devid));
			if (!obj_get(a, "memdev", memdev, sizeof(memdev)))
				return vpmem_err_set(err, EINVAL, "-device %s without memdev", type);
			for (k = 0; k < bes->n && strcmp(bes->v[k].id, memdev); k++)
				;
			if (k == bes->n)
				return vpmem_err_set(err, EINVAL,
						     "-device %s uses memdev '%s', which is not a memory-backend-file defined before it",
						     type, memdev);
			snprintf(d->path, sizeof(d->path), "%s", bes->v[k].path);
			if (obj_get(a, "node", v, sizeof(v))) {
				long nd;

				if (!strict_uint(v, 255, &nd))
					return vpmem_err_set(err, EINVAL, "-device %s: bad node '%s'", type, v);
				d->node = (int)nd;
			}
			if (obj_get(a, "label-size", v, sizeof(v)) &&
			    vpmem_size_parse(v, VPMEM_SIZE_ALLOW_ZERO, NULL, &d->label_size, NULL))
				return vpmem_err_set(err, EINVAL, "-device %s: bad label-size '%s'", type, v);
			if (d->kind == VPMEM_HOST_VIRTIO)
				continue;
			if (obj_get(a, "slot", v, sizeof(v))) {
				long s;

				if (!strict_uint(v, (long)VPMEM_NFIT_MAX_SLOTS - 1, &s))
					return vpmem_err_set(err, EINVAL, "-device nvdimm: bad slot '%s'", v);
				if (used[s])
					MSG_ADD(h->problems, &h->nproblems, "slot %ld is given to two nvdimm devices (QEMU refuses to start)", s);
				d->slot = (int)s;
			} else {
				/* pc_dimm_get_free_slot(): the lowest slot free when it is plugged */
				for (d->slot = 0; d->slot < (int)VPMEM_NFIT_MAX_SLOTS && used[d->slot]; d->slot++)
					;
			}
			used[d->slot] = true;
			{
				struct vpmem_nfit_dimm n;

				vpmem_nfit_dimm((unsigned)d->slot, &n);
				snprintf(d->expect_id, sizeof(d->expect_id), "%s", n.id);
			}
		}
	}
	if (!h->n)
		return vpmem_err_set(err, ENODEV, "the QEMU command line has no -device nvdimm, virtio-pmem-pci or cxl-type3");
	return 0;
}

int vpmem_host_add_qemu_argv(char *const *argv, struct vpmem_host *h, struct vpmem_err *err)
{
	struct backends bes = { 0 };
	int r = parse_argv(argv, h, &bes, err);

	free(bes.v);
	return r;
}

int vpmem_host_from_qemu_argv(char *const *argv, struct vpmem_host *h, struct vpmem_err *err)
{
	memset(h, 0, sizeof(*h));
	return vpmem_host_add_qemu_argv(argv, h, err);
}

/* Shell words (as a command line is usually saved) or NUL-separated argv. */
int vpmem_host_from_qemu_text(const char *text, size_t len, struct vpmem_host *h, struct vpmem_err *err)
{
	/* every word takes at least one byte (its NUL or a separator), so
	 * len + 2 slots hold them all, empty arguments included */
	char **argv = calloc(len + 2, sizeof(char *)), *buf = malloc(len + 1);
	size_t n = 0, o = 0;
	int r;

	if (!argv || !buf) {
		free(argv);
		free(buf);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	if (memchr(text, '\0', len)) {
		/* /proc/PID/cmdline: NUL-separated, maybe without a final NUL; the
		 * copy in buf ends with one, so no word runs past @len */
		memcpy(buf, text, len);
		buf[len] = '\0';
		for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
			argv[n++] = buf + i;
	} else {
		size_t i = 0;

		while (i < len) {
			while (i < len && (isspace((unsigned char)text[i]) ||
					   (text[i] == '\\' && i + 1 < len && text[i + 1] == '\n'))) {
				i += text[i] == '\\' ? 2 : 1;
			}
			if (i >= len)
				break;
			argv[n++] = buf + o;
			while (i < len && !isspace((unsigned char)text[i])) {
				char c = text[i];

				if (c == '\'') {
					const char *q = memchr(text + i + 1, '\'', len - i - 1);

					if (!q) {
						r = vpmem_err_set(err, EINVAL, "unterminated ' quote in the command line");
						goto out;
					}
					memcpy(buf + o, text + i + 1, (size_t)(q - text - i - 1));
					o += (size_t)(q - text - i - 1);
					i = (size_t)(q - text) + 1;
				} else if (c == '"') {
					i++;
					while (i < len && text[i] != '"') {
						if (text[i] == '\\' && i + 1 < len && strchr("\"\\$`\n", text[i + 1]))
							i++;
						buf[o++] = text[i++];
					}
					if (i >= len) {
						r = vpmem_err_set(err, EINVAL, "unterminated \" quote in the command line");
						goto out;
					}
					i++;
				} else if (c == '\\' && i + 1 < len) {
					if (text[i + 1] == '\n') {
						i += 2;
						continue;
					}
					buf[o++] = text[i + 1];
					i += 2;
				} else {
					buf[o++] = c;
					i++;
				}
			}
			buf[o++] = '\0';
		}
	}
	argv[n] = NULL;
	r = vpmem_host_from_qemu_argv(argv, h, err);
out:
	free(argv);
	free(buf);
	return r;
}
