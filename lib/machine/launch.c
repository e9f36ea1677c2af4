// SPDX-License-Identifier: MIT
/* Backings and stop signals for launching a plan; see launch.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/sysmacros.h>

#include <vpmem/cxl.h>
#include <vpmem/guest.h>
#include <vpmem/image.h>
#include <vpmem/launch.h>
#include <vpmem/input.h>
#include <vpmem/persist.h>
#include <vpmem/qemu.h>
#include <vpmem/vmstate.h>
#include <vpmem/size.h>

/* The label area and the slot its labels were written for (labels carry the
 * slot's interleave-set cookie: the identity rule). */
static int probe_labels(struct vpmem_image_req *im, int64_t label_size, struct vpmem_err *err)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info *ri;
	int fd, r;

	if (im->size < VPMEM_REGION_ALIGN)
		return 0; /* the planner says why it is too small */
	if (label_size >= 0) {
		h.label_size = (uint64_t)label_size;
		h.label_size_set = true;
	}
	ri = calloc(1, sizeof(*ri));
	if (!ri)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	fd = vpmem_open_input(im->path, O_RDONLY, VPMEM_IN_REG, "image", err);
	if (fd < 0) {
		free(ri);
		return fd;
	}
	r = vpmem_region_read(fd, &h, ri, err);
	close(fd);
	if (!r && ri->labelled) {
		im->label_size = ri->label_size;
		if (!strcmp(ri->slot_source, "labels"))
			im->label_slot = ri->slot;
	}
	vpmem_region_free(ri);
	free(ri);
	return r;
}

int vpmem_backing_probe(struct vpmem_image_req *im, int64_t label_size, struct vpmem_err *err)
{
	struct stat st;

	if (stat(im->path, &st))
		return vpmem_err_set(err, errno, "cannot use --pmem-image '%s': %s", im->path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vpmem_err_set(err, EISDIR,
				     "--pmem-image '%s' is a directory: QEMU would back the vNVDIMM with an unlinked temporary file and lose all data at exit (use --pmem-dir)",
				     im->path);
	if (S_ISCHR(st.st_mode)) {
		struct vpmem_persist_report rep;

		if (vpmem_persist_check(im->path, NULL, &rep, NULL) || rep.kind != VPMEM_KIND_DEVDAX || !rep.size)
			return vpmem_err_set(err, EINVAL,
					     "--pmem-image '%s' is a character device but not a device-dax device",
					     im->path);
		im->size = rep.size;
		im->devdax = true;
		im->dax_align = rep.dax_align;
	} else if (S_ISREG(st.st_mode)) {
		int r;

		im->size = (uint64_t)st.st_size;
		if (access(im->path, R_OK | W_OK))
			return vpmem_err_set(err, errno, "--pmem-image '%s' is not readable and writable: %s",
					     im->path, strerror(errno));
		r = probe_labels(im, label_size, err);
		if (r) {
			char m[sizeof(err->msg)];

			snprintf(m, sizeof(m), "%s", err ? err->msg : "");
			return vpmem_err_set(err, -r, "--pmem-image '%s': %s", im->path, m);
		}
	} else {
		return vpmem_err_set(err, EINVAL,
				     "--pmem-image '%s' is neither a regular file nor a device-dax device", im->path);
	}
	if (!im->size)
		return vpmem_err_set(err, EINVAL, "--pmem-image '%s' is empty", im->path);
	return 0;
}

int vpmem_backing_dir_check(const char *dir, struct vpmem_err *err)
{
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return vpmem_err_set(err, ENOTDIR, "--pmem-dir '%s' is not a directory", dir);
	if (access(dir, W_OK | X_OK))
		return vpmem_err_set(err, errno, "--pmem-dir '%s' is not writable: %s", dir, strerror(errno));
	return 0;
}

int vpmem_backings_settle(struct vpmem_vm_plan *plan, bool dry_run, struct vpmem_err *err)
{
	for (unsigned i = 0; i < plan->ndimms; i++) {
		struct vpmem_vm_dimm *d = &plan->dimm[i];
		struct stat st;
		char a[32], b[32];

		if (!d->create || stat(d->path, &st))
			continue;
		if (!S_ISREG(st.st_mode))
			return vpmem_err_set(err, EEXIST, "backing '%s' exists and is not a regular file", d->path);
		if ((uint64_t)st.st_size != d->size) {
			if (dry_run)
				continue;
			return vpmem_err_set(err, EEXIST,
					     "backing '%s' exists with size %s, not the %s planned (remove it, use another --name, or pass it with --pmem-image)",
					     d->path, vpmem_size_str((uint64_t)st.st_size, a, sizeof(a)),
					     vpmem_size_str(d->size, b, sizeof(b)));
		}
		d->create = false;
	}
	/* CXL type-3 backings (memory + label files): a dry run only reports */
	if (plan->cxl.ndevs) {
		int r = vpmem_cxl_check_backings(&plan->cxl, err);

		if (r && !dry_run)
			return r;
		vpmem_err_clear(err);
	}
	return 0;
}

/* One backing, by the one image creator (lib/format/image.c): sparse, made
 * under a temporary name beside it and linked into place, its directories
 * made as needed; labels initialised unless @o->blank_labels. */
static int create_one(const struct vpmem_vm_dimm *d, const struct vpmem_backing_opts *o,
		      struct vpmem_err *err)
{
	struct vpmem_image_spec is = {
		.size = d->size, .label_size = d->label_size,
		.version = o->label_version ? o->label_version : VPMEM_LABEL_V1_1,
		.slot = (int)d->slot,
	};
	struct vpmem_image_create_opts co = { .mode = 0644, .blank_labels = o->blank_labels, .make_dirs = true };

	return vpmem_image_create_with(d->path, &is, &co, err);
}

int vpmem_backings_create(const struct vpmem_vm_plan *plan, const struct vpmem_backing_opts *o,
			  struct vpmem_err *err)
{
	static const struct vpmem_backing_opts defaults = { .label_version = VPMEM_LABEL_V1_1 };

	for (unsigned i = 0; i < plan->ndimms; i++) {
		int r;

		if (!plan->dimm[i].create)
			continue;
		r = create_one(&plan->dimm[i], o ? o : &defaults, err);
		if (r) {
			for (unsigned k = 0; k < i; k++)
				if (plan->dimm[k].create)
					unlink(plan->dimm[k].path);
			return r;
		}
	}
	if (plan->cxl.ndevs) {
		int r = vpmem_cxl_create_backings(&plan->cxl, err);

		if (r) {
			vpmem_backings_remove_created(plan);
			return r;
		}
	}
	return 0;
}

void vpmem_backings_remove_created(const struct vpmem_vm_plan *plan)
{
	for (unsigned i = 0; i < plan->ndimms; i++)
		if (plan->dimm[i].create)
			unlink(plan->dimm[i].path);
	vpmem_cxl_remove_created(&plan->cxl);
}

void vpmem_backings_assess(struct vpmem_vm_plan *plan, bool qemu_pmem,
			   struct vpmem_persist_report *reps)
{
	for (unsigned i = 0; i < plan->ndimms; i++) {
		struct vpmem_vm_dimm *d = &plan->dimm[i];
		struct vpmem_persist_report *r = &reps[i];
		struct vpmem_persist_opts po = { .pmem_off = !qemu_pmem };

		if (d->create && access(d->path, F_OK)) {
			char dir[PATH_MAX], *slash;

			snprintf(dir, sizeof(dir), "%s", d->path);
			slash = strrchr(dir, '/');
			if (slash && slash != dir)
				*slash = '\0';
			vpmem_persist_check(dir, &po, r, NULL);
			memset(r->reasons, 0, sizeof(r->reasons));
			r->kind = VPMEM_KIND_FILE;
			r->verdict = r->mount_dax ? VPMEM_GUARANTEED : VPMEM_NOT_GUARANTEED;
			snprintf(r->reasons[0].text, sizeof(r->reasons[0].text), "%s",
				 r->mount_dax ? "on a DAX mount (MAP_SYNC is probed when it is created)"
				 : "not on a DAX mount: writes go through the host page cache");
			r->reasons[0].level = r->verdict;
			r->nreasons = 1;
			r->dax = r->mount_dax;
		} else {
			vpmem_persist_check(d->path, &po, r, NULL);
		}
		d->pmem = qemu_pmem && r->dax && r->verdict == VPMEM_GUARANTEED;
	}
}

unsigned vpmem_plan_bind_host_nodes(const struct vpmem_vm_spec *spec, struct vpmem_vm_plan *plan)
{
	unsigned bound = 0;

	if (spec->ndirs != plan->nodes || plan->nodes < 2)
		return 0;
	for (unsigned n = 0; n < plan->nodes; n++) {
		struct stat st;
		int k;

		if (stat(spec->dirs[n], &st))
			continue;
		k = vpmem_host_node_of_blockdev(NULL, major(st.st_dev), minor(st.st_dev));
		if (k < 0)
			continue;
		plan->node[n].host_node = k;
		bound++;
	}
	return bound;
}

void vpmem_which(const char *bin, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	snprintf(buf, len, "%s", bin);
	if (strchr(bin, '/') || !path)
		return;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		if (n && (int)n < (int)len - 2) {
			snprintf(buf, len, "%.*s/%s", (int)n, p, bin);
			if (!access(buf, X_OK))
				return;
		}
		p += n + (p[n] == ':');
	}
	snprintf(buf, len, "%s", bin);
}

const char *vpmem_choose_accel_probe(const char *want, const char *qemu, const char *qemu_version,
				     const struct vpmem_guest_files *g, bool default_guest,
				     void (*probing)(void *arg, unsigned timeout_sec), void *arg,
				     struct vpmem_kvm_verdict *v)
{
	char cache[PATH_MAX - 32], probe[PATH_MAX];

	memset(v, 0, sizeof(*v));
	if (strcmp(want, "auto"))
		return want;
	if (!default_guest || access(g->initrd, R_OK) || vpmem_cache_dir(cache, sizeof(cache), NULL) ||
	    vpmem_mkdir_p(cache, NULL))
		return "tcg";
	snprintf(probe, sizeof(probe), "%s/" VPMEM_KVM_PROBE_FILE, cache);
	return vpmem_kvm_probe(qemu, qemu_version, g, probe, VPMEM_KVM_PROBE_TIMEOUT, probing, arg, v) ? "kvm" : "tcg";
}

const char *vpmem_choose_accel(const char *want, const char *qemu, const char *qemu_version,
			       const struct vpmem_guest_files *g, bool default_guest)
{
	struct vpmem_kvm_verdict v;

	return vpmem_choose_accel_probe(want, qemu, qemu_version, g, default_guest, NULL, NULL, &v);
}

static volatile int stop_flag;
static volatile int stop_sig;
static struct sigaction old_int, old_term, old_hup;
static int depth;

static void on_stop(int sig)
{
	stop_sig = sig;
	stop_flag = 1;
}

void vpmem_stop_signals_begin(void)
{
	struct sigaction sa;

	if (depth++)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
}

void vpmem_stop_signals_end(void)
{
	if (!depth || --depth)
		return;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
}

const volatile int *vpmem_stop_flag(void)
{
	return &stop_flag;
}

int vpmem_stop_signal(void)
{
	return stop_flag ? stop_sig : 0;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int vpmem_qemu_vm_stop(const char *dir, unsigned timeout_sec, bool *killed, struct vpmem_err *err)
{
	char sock[PATH_MAX + 32];
	long pid = vpmem_vmstate_pid(dir);
	long waited = 0;

	*killed = false;
	if (!pid)
		return vpmem_err_set(err, ESRCH, "it is not running");
	snprintf(sock, sizeof(sock), "%s/run/qmp.sock", dir);
	if (vpmem_qmp_powerdown(sock, NULL))
		timeout_sec = 0; /* no QMP (an older run): nothing to wait for */
	while (vpmem_vmstate_pid(dir) && waited < (long)timeout_sec * 1000) {
		nap(100);
		waited += 100;
		/* a guest still booting misses the button: press it again */
		if (waited % 3000 == 0)
			vpmem_qmp_powerdown(sock, NULL);
	}
	if (!vpmem_vmstate_pid(dir))
		return 0;
	*killed = true;
	if (pid > 0)
		kill((pid_t)pid, SIGTERM);
	for (waited = 0; vpmem_vmstate_pid(dir) && waited < 3000; waited += 100)
		nap(100);
	if (vpmem_vmstate_pid(dir) && pid > 0)
		kill((pid_t)pid, SIGKILL);
	for (waited = 0; vpmem_vmstate_pid(dir) && waited < 3000; waited += 100)
		nap(100);
	if (vpmem_vmstate_pid(dir))
		return vpmem_err_set(err, EBUSY, "process %ld does not die", pid);
	return 0;
}
