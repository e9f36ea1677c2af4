// SPDX-License-Identifier: MIT
/* CXL type-3 PMem under QEMU: plan, argv, cookie, boot script; see cxl.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/cxl.h>
#include <vpmem/guest.h>
#include <vpmem/image.h>
#include <vpmem/libvirt.h>
#include <vpmem/nfit.h>
#include <vpmem/size.h>

void vpmem_cxl_plan_free(struct vpmem_cxl_plan *plan)
{
	for (unsigned i = 0; i < plan->ndevs; i++) {
		free(plan->dev[i].path);
		free(plan->dev[i].lsa_path);
		plan->dev[i].path = plan->dev[i].lsa_path = NULL;
	}
	plan->ndevs = 0;
}

uint64_t vpmem_cxl_cookie(uint64_t serial, uint64_t dpa)
{
	/* struct nd_interleave_set info: { u64 offset; u64 serial; } per target,
	 * both in CPU order on x86 (little-endian) */
	unsigned char b[16];

	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(dpa >> (8 * i));
		b[8 + i] = (unsigned char)(serial >> (8 * i));
	}
	return vpmem_fletcher64(b, sizeof(b), 1);
}

static void plan_kernel(const struct vpmem_cxl_spec *spec, struct vpmem_cxl_plan *plan)
{
	plan->kernel = vpmem_kernel_release_code(spec->kernel_release);
	/* measured: 6.1 needs neither, 6.12 both; unknown kernels get both
	 * (harmless there: no PCIe port services, no hypervisor CPUID bit) */
	plan->cpu_no_hypervisor = plan->kernel == 0 || plan->kernel >= 6012;
	plan->pcie_ports_compat = plan->kernel == 0 || plan->kernel >= 6012;
}

/* One device per CXL image, with the image's own serial: the cookie its
 * labels carry must be the region's or the kernel ignores them. */
static int plan_images(const struct vpmem_cxl_spec *spec, struct vpmem_cxl_plan *plan,
		       struct vpmem_err *err)
{
	char a[32];

	if (spec->nimages > VPMEM_CXL_MAX_DEVS)
		return vpmem_err_set(err, EINVAL, "%u CXL images: at most %u devices are supported", spec->nimages,
				     VPMEM_CXL_MAX_DEVS);
	plan_kernel(spec, plan);
	plan->root_ports = VPMEM_CXL_PORTS_PER_HB * spec->nimages;
	for (unsigned i = 0; i < spec->nimages; i++) {
		const struct vpmem_cxl_image *im = &spec->images[i];
		struct vpmem_cxl_dev *d = &plan->dev[i];

		if (!im->size || im->size % VPMEM_CXL_ALIGN) {
			vpmem_cxl_plan_free(plan);
			return vpmem_err_set(err, EINVAL, "CXL image '%s' is %s: a CXL device is a whole number of 256M",
					     im->path, vpmem_size_str(im->size, a, sizeof(a)));
		}
		for (unsigned k = 0; k < i; k++)
			if (plan->dev[k].serial == im->serial) {
				vpmem_cxl_plan_free(plan);
				return vpmem_err_set(err, EINVAL,
						     "CXL images '%s' and '%s' are both for serial 0x%" PRIx64 ": each device needs its own (vpmem image create --cxl --serial N)",
						     spec->images[k].path, im->path, im->serial);
			}
		d->index = i;
		d->serial = im->serial;
		d->size = im->size;
		d->lsa_size = im->lsa_size;
		d->cookie = vpmem_cxl_cookie(d->serial, 0);
		d->path = strdup(im->path);
		if (d->path && asprintf(&d->lsa_path, "%s.lsa", im->path) < 0)
			d->lsa_path = NULL;
		plan->ndevs = i + 1;
		if (!d->path || !d->lsa_path) {
			vpmem_cxl_plan_free(plan);
			return vpmem_err_set(err, ENOMEM, "out of memory");
		}
		plan->window += im->size;
	}
	return 0;
}

int vpmem_cxl_image_probe(const char *path, struct vpmem_cxl_image *ci, struct vpmem_err *err)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info ri;
	int fd = vpmem_image_open(path, false, &h, err), r;

	if (fd < 0)
		return fd;
	if (!h.cxl) {
		vpmem_image_close(fd, &h);
		return vpmem_err_set(err, EINVAL, "'%s' is not a CXL image (no '%s.lsa' beside it)", path, path);
	}
	r = vpmem_region_read(fd, &h, &ri, err);
	if (!r) {
		ci->path = path;
		ci->size = h.cxl_mem_size;
		ci->lsa_size = ri.size - h.cxl_mem_size;
		ci->serial = ri.cxl_serial;
		vpmem_region_free(&ri);
	}
	vpmem_image_close(fd, &h);
	return r;
}

int vpmem_cxl_plan(const struct vpmem_cxl_spec *spec, struct vpmem_cxl_plan *plan,
		   struct vpmem_err *err)
{
	unsigned n = spec->ndevs ? spec->ndevs : 1;
	char a[32];
	uint64_t each;

	memset(plan, 0, sizeof(*plan));
	if (spec->nimages)
		return plan_images(spec, plan, err);
	if (!spec->size)
		return 0;
	if (n > VPMEM_CXL_MAX_DEVS)
		return vpmem_err_set(err, EINVAL, "--cxl-devices %u: at most %u devices are supported", n,
				     VPMEM_CXL_MAX_DEVS);
	each = spec->size / n;
	if (spec->size % n || !each || each % VPMEM_CXL_ALIGN)
		return vpmem_err_set(err, EINVAL,
				     "--cxl-pmem %s over %u device%s: each CXL device must be a whole number of 256M (QEMU's CXL capacity unit)",
				     vpmem_size_str(spec->size, a, sizeof(a)), n, n == 1 ? "" : "s");
	if (!spec->state_dir)
		return vpmem_err_set(err, EINVAL, "no directory for the CXL backing files");
	plan_kernel(spec, plan);
	plan->root_ports = VPMEM_CXL_PORTS_PER_HB * n;
	for (unsigned i = 0; i < n; i++) {
		struct vpmem_cxl_dev *d = &plan->dev[i];

		d->index = i;
		d->serial = VPMEM_CXL_SERIAL_BASE + i;
		d->size = each;
		d->lsa_size = VPMEM_CXL_LSA_SIZE;
		d->cookie = vpmem_cxl_cookie(d->serial, 0);
		if (asprintf(&d->path, "%s/cxl%u.img", spec->state_dir, i) < 0 ||
		    asprintf(&d->lsa_path, "%s/cxl%u.img.lsa", spec->state_dir, i) < 0) {
			plan->ndevs = i + 1;
			vpmem_cxl_plan_free(plan);
			return vpmem_err_set(err, ENOMEM, "out of memory");
		}
		plan->ndevs = i + 1;
		plan->window += each;
	}
	return 0;
}

static int check_one(const char *path, uint64_t size, bool *create, struct vpmem_err *err)
{
	struct stat st;
	char a[32], b[32];

	*create = true;
	if (stat(path, &st))
		return 0;
	if (!S_ISREG(st.st_mode))
		return vpmem_err_set(err, EEXIST, "CXL backing '%s' exists and is not a regular file", path);
	if ((uint64_t)st.st_size != size)
		return vpmem_err_set(err, EEXIST,
				     "CXL backing '%s' exists with size %s, not the %s planned (remove it or use another --name)",
				     path, vpmem_size_str((uint64_t)st.st_size, a, sizeof(a)),
				     vpmem_size_str(size, b, sizeof(b)));
	*create = false;
	return 0;
}

/* VMs made before the backings were CXL images (image.h: FILE + FILE.lsa)
 * kept the label area as STATE/cxlN.lsa: keep using it. */
static void legacy_lsa(struct vpmem_cxl_dev *d)
{
	char *old = NULL;
	struct stat st;
	size_t l = strlen(d->path);

	if (!stat(d->lsa_path, &st) || l < 4 || strcmp(d->path + l - 4, ".img") ||
	    asprintf(&old, "%.*s.lsa", (int)(l - 4), d->path) < 0)
		return;
	if (!stat(old, &st)) {
		free(d->lsa_path);
		d->lsa_path = old;
	} else {
		free(old);
	}
}

int vpmem_cxl_check_backings(struct vpmem_cxl_plan *plan, struct vpmem_err *err)
{
	for (unsigned i = 0; i < plan->ndevs; i++) {
		struct vpmem_cxl_dev *d = &plan->dev[i];
		int r;

		legacy_lsa(d);
		r = check_one(d->path, d->size, &d->create, err);

		if (!r)
			r = check_one(d->lsa_path, d->lsa_size, &d->lsa_create, err);
		if (r)
			return r;
	}
	return 0;
}

static int create_one(const char *path, uint64_t size, uint64_t serial, struct vpmem_err *err)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	char sn[24];

	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot create CXL backing '%s': %s", path, strerror(errno));
	/* the memory file of a CXL image remembers its serial (image.h) */
	snprintf(sn, sizeof(sn), "%#" PRIx64, serial);
	if (serial)
		fsetxattr(fd, VPMEM_CXL_SERIAL_XATTR, sn, strlen(sn), 0);
	if (ftruncate(fd, (off_t)size) || fsync(fd)) {
		int e = errno;

		close(fd);
		unlink(path);
		return vpmem_err_set(err, e, "cannot size CXL backing '%s': %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

int vpmem_cxl_create_backings(const struct vpmem_cxl_plan *plan, struct vpmem_err *err)
{
	for (unsigned i = 0; i < plan->ndevs; i++) {
		const struct vpmem_cxl_dev *d = &plan->dev[i];
		/* a new pair: a CXL image from the one creator (image.h), its
		 * label area left zeroed as the guest's first ndctl finds it */
		struct vpmem_image_create_opts o = { .mode = 0600, .blank_labels = true };
		int r;

		if (d->create && d->lsa_create)
			r = vpmem_cxl_image_create_with(d->path, d->size, d->lsa_size, d->serial, &o, err);
		else
			r = -EOPNOTSUPP;
		/* one half kept (an older VM's STATE/cxlN.lsa), or a state directory
		 * without user xattrs (the VM's plan knows the serial: run's
		 * backings never needed the xattr) */
		if (r == -EOPNOTSUPP) {
			r = d->create ? create_one(d->path, d->size, d->serial, err) : 0;
			if (!r && d->lsa_create)
				r = create_one(d->lsa_path, d->lsa_size, 0, err);
		}
		if (r) {
			vpmem_cxl_remove_created(plan);
			return r;
		}
	}
	return 0;
}

void vpmem_cxl_remove_created(const struct vpmem_cxl_plan *plan)
{
	for (unsigned i = 0; i < plan->ndevs; i++) {
		if (plan->dev[i].create)
			unlink(plan->dev[i].path);
		if (plan->dev[i].lsa_create)
			unlink(plan->dev[i].lsa_path);
	}
}

static int escaped_kv(struct vpmem_strv *argv, const char *flag, const char *head,
		      const char *key, const char *path, const char *tail)
{
	char *o = NULL;
	int r;

	if (asprintf(&o, "%s,%s=", head, key) < 0)
		return -ENOMEM;
	r = vpmem_qemu_escape_append(&o, path);
	if (!r && tail) {
		size_t l = strlen(o);
		char *nb = realloc(o, l + strlen(tail) + 2);

		if (!nb)
			r = -ENOMEM;
		else
			o = nb, sprintf(o + l, ",%s", tail);
	}
	if (!r)
		r = vpmem_strv_push(argv, flag);
	if (!r)
		r = vpmem_strv_push(argv, o);
	free(o);
	return r;
}

/* Device I behind host bridge cxl.(I+1) (bus_nr 12 + 4I) on root port
 * rp(2I), rp(2I+1) spare, routed by window I: see cxl.h. One device lays out
 * exactly as before (cxl.1, rp0 + rp1, window 0). */
int vpmem_cxl_argv_at(const struct vpmem_cxl_plan *plan, unsigned slot0, struct vpmem_strv *argv)
{
	int r = 0;

	for (unsigned i = 0; !r && i < plan->ndevs; i++) {
		char addr[16] = "";

		if (slot0)
			snprintf(addr, sizeof(addr), "addr=%#x,", slot0 + i);
		r |= vpmem_strv_push(argv, "-device");
		r |= vpmem_strv_pushf(argv, "pxb-cxl,bus_nr=%u,bus=pcie.0,%sid=cxl.%u",
				      VPMEM_CXL_HB_BUS + VPMEM_CXL_HB_BUS_STRIDE * i, addr, i + 1);
		for (unsigned k = 0; k < VPMEM_CXL_PORTS_PER_HB; k++) {
			unsigned p = VPMEM_CXL_PORTS_PER_HB * i + k;

			r |= vpmem_strv_push(argv, "-device");
			r |= vpmem_strv_pushf(argv, "cxl-rp,port=%u,bus=cxl.%u,id=rp%u,chassis=0,slot=%u", k, i + 1, p,
					      p + 2);
		}
	}
	for (unsigned i = 0; !r && i < plan->ndevs; i++) {
		const struct vpmem_cxl_dev *d = &plan->dev[i];
		char head[64], tail[64];

		snprintf(head, sizeof(head), "memory-backend-file,id=cxl-mem%u,share=on", i);
		snprintf(tail, sizeof(tail), "size=%" PRIu64 "%s", d->size, d->pmem ? ",pmem=on" : "");
		r = escaped_kv(argv, "-object", head, "mem-path", d->path, tail);
		snprintf(head, sizeof(head), "memory-backend-file,id=cxl-lsa%u,share=on", i);
		snprintf(tail, sizeof(tail), "size=%" PRIu64, d->lsa_size);
		if (!r)
			r = escaped_kv(argv, "-object", head, "mem-path", d->lsa_path, tail);
		if (!r) {
			r |= vpmem_strv_push(argv, "-device");
			r |= vpmem_strv_pushf(argv, "cxl-type3,bus=rp%u,memdev=cxl-mem%u,lsa=cxl-lsa%u,id=cxl-pmem%u,sn=0x%" PRIx64,
					      vpmem_cxl_dev_port(i), i, i, i, d->serial);
		}
	}
	/* one -M for every window: QEMU refuses cxl-fmw.* spread over several
	 * ("Parameters 'cxl-fmw.*' used inconsistently") */
	if (!r && plan->ndevs) {
		char *m = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&m, &len);

		if (!f)
			return -ENOMEM;
		for (unsigned i = 0; i < plan->ndevs; i++)
			fprintf(f, "%scxl-fmw.%u.targets.0=cxl.%u,cxl-fmw.%u.size=%" PRIu64, i ? "," : "", i, i + 1,
				i, plan->dev[i].size);
		if (fclose(f))
			r = -1;
		r |= vpmem_strv_push(argv, "-M");
		if (!r)
			r |= vpmem_strv_push(argv, m);
		free(m);
	}
	return r ? -ENOMEM : 0;
}

int vpmem_cxl_argv(const struct vpmem_cxl_plan *plan, struct vpmem_strv *argv)
{
	return vpmem_cxl_argv_at(plan, 0, argv);
}

/* Can @pw open @path read-write? Asked as that user (a child process), so
 * that directories, groups and ACLs answer as they would for QEMU: 1 yes,
 * 0 no, -1 cannot tell (only root can become another user). */
static int user_can_rw(const struct passwd *pw, const char *path)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
			_exit(2);
		_exit(access(path, R_OK | W_OK) ? 1 : 0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 2)
		return -1;
	return WEXITSTATUS(st) == 0;
}

int vpmem_cxl_libvirt_prepare(const struct vpmem_cxl_plan *plan, const char *user, struct vpmem_err *err)
{
	struct passwd *pw = getpwnam(user);

	if (!pw)
		return vpmem_err_set(err, ENOENT, "no user '%s' (libvirt's QEMU user) on this host", user);
	for (unsigned i = 0; i < plan->ndevs; i++) {
		const struct vpmem_cxl_dev *d = &plan->dev[i];
		const char *f[2] = { d->path, d->lsa_path };
		bool made[2] = { d->create, d->lsa_create };

		for (int k = 0; k < 2; k++) {
			int can;

			/* a backing run made for this domain: hand it over as
			 * libvirt's DAC driver does with the files it knows
			 * (root only; a user's own files stay theirs) */
			if (made[k] && !geteuid() && chown(f[k], pw->pw_uid, pw->pw_gid))
				return vpmem_err_set(err, errno, "cannot hand '%s' to user %s: %s", f[k], user,
						     strerror(errno));
			can = user_can_rw(pw, f[k]);
			if (can < 0) { /* not root: what can be told from here */
				int r = vpmem_libvirt_reachable(NULL, f[k], err);

				if (r)
					return r;
				continue;
			}
			if (!can)
				return vpmem_err_set(err, EACCES,
						     "libvirt's QEMU (user %s) cannot open '%s' read-write, and libvirt does not hand QEMU the files in <qemu:commandline>: chown %s '%s' '%s' (or setfacl -m u:%s:rw both; every directory above them searchable)",
						     user, f[k], user, d->path, d->lsa_path, user);
		}
	}
	return 0;
}

const char *vpmem_cxl_boot_script(void)
{
	/* decoders reset at every power-off: re-create each device's region;
	 * its namespaces come back from the label area */
	return "# vpmem: a pmem region on every CXL memory device that has none\n"
	       "[ -d /sys/bus/cxl/devices ] || exit 0\n"
	       "i=0\n"
	       "while [ $i -lt 100 ]; do   # wait (<= 10 s) for the memdevs' endpoints\n"
	       "\tready=1\n"
	       "\tfor m in /sys/bus/cxl/devices/mem*; do\n"
	       "\t\t[ -e \"$m\" ] && [ ! -e \"$m/driver\" ] && ready=0\n"
	       "\tdone\n"
	       "\t[ $ready = 1 ] && break\n"
	       "\tsleep 0.1; i=$((i + 1))\n"
	       "done\n"
	       "# in a region already: one of its endpoint decoders names it\n"
	       "# (sysfs decoderX.Y/region; 'cxl list -R -m memN' lists every region)\n"
	       "has_region() {\n"
	       "\tfor e in /sys/bus/cxl/devices/endpoint*; do\n"
	       "\t\t[ \"$(basename \"$(readlink \"$e/uport\")\")\" = \"$1\" ] || continue\n"
	       "\t\tfor d in \"$e\"/decoder*; do\n"
	       "\t\t\tr=$(cat \"$d/region\" 2>/dev/null) && [ -n \"$r\" ] && return 0\n"
	       "\t\tdone\n"
	       "\tdone\n"
	       "\treturn 1\n"
	       "}\n"
	       "# the root decoder (fixed memory window) that routes it: one host bridge\n"
	       "# and window per device, as a QEMU 7.2 bridge decodes one region\n"
	       "root_decoder() {\n"
	       "\tfor d in /sys/bus/cxl/devices/decoder0.*; do\n"
	       "\t\td=${d##*/}\n"
	       "\t\tcxl list -M -d \"$d\" 2>/dev/null | grep -q \"\\\"memdev\\\":\\\"$1\\\"\" &&\n"
	       "\t\t\t{ echo \"$d\"; return 0; }\n"
	       "\tdone\n"
	       "\treturn 1\n"
	       "}\n"
	       "rc=0\n"
	       "for m in /sys/bus/cxl/devices/mem*; do\n"
	       "\t[ -e \"$m\" ] || continue\n"
	       "\tm=${m##*/}\n"
	       "\thas_region \"$m\" && continue\n"
	       "\td=$(root_decoder \"$m\") || d=decoder0.0\n"
	       "\tcxl create-region -m -d \"$d\" -w 1 \"$m\" -t pmem >/dev/null ||\n"
	       "\t\t{ echo \"vpmem: cannot create a pmem region on $m ($d)\" >&2; rc=1; }\n"
	       "done\n"
	       "exit $rc\n";
}

const char *vpmem_cxl_boot_unit(void)
{
	return "[Unit]\n"
	       "Description=CXL persistent memory regions (vpmem)\n"
	       "DefaultDependencies=no\n"
	       "After=systemd-modules-load.service systemd-udev-settle.service\n"
	       "Before=local-fs-pre.target\n"
	       "Wants=local-fs-pre.target\n"
	       "\n"
	       "[Service]\n"
	       "Type=oneshot\n"
	       "RemainAfterExit=yes\n"
	       "ExecStart=/bin/sh /usr/local/lib/vpmem/cxl-regions.sh\n"
	       "\n"
	       "[Install]\n"
	       "WantedBy=local-fs.target\n";
}
