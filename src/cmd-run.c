// SPDX-License-Identifier: MIT
/* vpmem run: plan a VM with persistent memory, then print it or boot it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vpmem/guest.h>
#include <vpmem/image.h>
#include <vpmem/libvirt.h>
#include <vpmem/nfit.h>
#include <vpmem/persist.h>
#include <vpmem/qemu.h>
#include <vpmem/size.h>
#include <vpmem/strv.h>
#include <vpmem/vm.h>

#include "guest-build.h"
#include "vpmem.h"

const char usage_run[] =
	"usage: vpmem run [options] [-- QEMU-ARGS...]\n"
	"\n"
	"Boot a QEMU VM with persistent memory (one vNVDIMM per guest NUMA node).\n"
	"With no --kernel, the default guest (see 'vpmem guest') is used and built if\n"
	"missing. With --guest-cmd the command runs in the guest, its output is printed\n"
	"and its exit status returned; without it you get a shell on the serial console\n"
	"(Ctrl-A X quits QEMU).\n"
	"\n"
	"Machine:\n"
	"  --qemu-memory SIZE      guest RAM (default 512M)\n"
	"  --qemu-pmem SIZE        total guest-visible PMem, split evenly over the nodes\n"
	"                          (each vNVDIMM a whole number of 16M)\n"
	"  --qemu-nodes N          guest NUMA nodes (default 1)\n"
	"  --qemu-cores N          vCPUs, split over the nodes (default: one per node)\n"
	"  --hotplug-slots N       free memory slots left for hotplug (default 2)\n"
	"  --label-size SIZE       label area per vNVDIMM (>= 128K; default 0 = label-less)\n"
	"  --persistence cpu|mem-ctrl  persistence domain the guest is told\n"
	"  --virtio-pmem           virtio-pmem-pci devices instead of NFIT vNVDIMMs\n"
	"  --no-pmem               no PMem device at all (e.g. to try memmap= emulation)\n"
	"  --require-persistence   refuse to start unless every backing guarantees\n"
	"                          persistence (see 'vpmem help doctor')\n"
	"Backings:\n"
	"  --pmem-image FILE[,slot=N][,node=N]  use an existing image (repeatable)\n"
	"  --pmem-dir DIR          create the --qemu-pmem backings in DIR (one, or one per node)\n"
	"  --name NAME             VM name (default 'default'); its state lives in\n"
	"                          $XDG_STATE_HOME/vpmem/vm/NAME\n"
	"  --state-dir DIR         state directory instead of the above\n"
	"Guest:\n"
	"  --guest-kernel 6.1|6.12|PACKAGE  the default guest's kernel: Debian 12's\n"
	"                          cloud kernel 6.1 (default; also $VPMEM_GUEST_KERNEL),\n"
	"                          6.12, or a linux-image-* package (see 'vpmem guest')\n"
	"  --kernel FILE --initrd FILE  boot these instead of the default guest\n"
	"  --append ARGS           extra kernel command line\n"
	"  --guest-cmd CMD         run CMD (sh syntax) in the guest, print its output,\n"
	"                          exit with its status, power off\n"
	"  --timeout SEC           kill the guest after SEC seconds (default 600 with\n"
	"                          --guest-cmd, 0 = none)\n"
	"  --accel auto|kvm|tcg    accelerator (default auto: KVM only if a probe boot works;\n"
	"                          also $VPMEM_ACCEL)\n"
	"  --qemu BINARY           QEMU binary (default qemu-system-x86_64)\n"
	"Output:\n"
	"  --print                 print the QEMU command line instead of running it\n"
	"  --libvirt-xml           print the same machine as a libvirt domain instead\n"
	"  --json                  print the plan (and with --print the argv) as JSON\n"
	"  -q, --quiet             do not describe the machine on stderr\n"
	"  -- QEMU-ARGS...         append raw QEMU arguments\n";

enum {
	OPT_MEMORY = 256, OPT_PMEM, OPT_NODES, OPT_CORES, OPT_HOTPLUG, OPT_LABEL, OPT_PERSIST,
	OPT_VIRTIO, OPT_IMAGE, OPT_DIR, OPT_NAME, OPT_STATE, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
	OPT_CMD, OPT_TIMEOUT, OPT_ACCEL, OPT_QEMU, OPT_PRINT, OPT_JSON, OPT_LIBVIRT, OPT_REQUIRE, OPT_NO_PMEM,
	OPT_GUEST_KERNEL,
};

static const struct option run_opts[] = {
	{ "qemu-memory", required_argument, NULL, OPT_MEMORY },
	{ "qemu-pmem", required_argument, NULL, OPT_PMEM },
	{ "qemu-nodes", required_argument, NULL, OPT_NODES },
	{ "qemu-cores", required_argument, NULL, OPT_CORES },
	{ "hotplug-slots", required_argument, NULL, OPT_HOTPLUG },
	{ "label-size", required_argument, NULL, OPT_LABEL },
	{ "persistence", required_argument, NULL, OPT_PERSIST },
	{ "virtio-pmem", no_argument, NULL, OPT_VIRTIO },
	{ "pmem-image", required_argument, NULL, OPT_IMAGE },
	{ "pmem-dir", required_argument, NULL, OPT_DIR },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "guest-kernel", required_argument, NULL, OPT_GUEST_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "guest-cmd", required_argument, NULL, OPT_CMD },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "libvirt-xml", no_argument, NULL, OPT_LIBVIRT },
	{ "require-persistence", no_argument, NULL, OPT_REQUIRE },
	{ "no-pmem", no_argument, NULL, OPT_NO_PMEM },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

struct run_opts {
	struct vpmem_vm_spec spec;
	const char *name, *state_dir, *kernel, *initrd, *append, *cmd, *accel, *qemu;
	unsigned timeout;
	bool timeout_set, print, json, quiet, libvirt, require;
	char *const *extra;
	char image_paths[VPMEM_MAX_DIMMS][PATH_MAX];
	const char *guest_kernel; /* --guest-kernel, NULL: $VPMEM_GUEST_KERNEL or 6.1 */
};

static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		goto bad;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max)
		return cmd_usage_error("run", "%s %s: must be between %u and %u", opt, s, min, max);
	*out = (unsigned)v;
	return 0;
bad:
	return cmd_usage_error("run", "%s: '%s' is not a number", opt, s);
}

static int parse_size_opt(const char *opt, const char *s, unsigned flags, uint64_t *out)
{
	struct vpmem_err err = { 0 };

	if (vpmem_size_parse(s, flags, opt, out, &err))
		return cmd_error(EXIT_USAGE, "run: %s", err.msg);
	return 0;
}

/* FILE[,slot=N][,node=N]: only trailing ",slot=N"/",node=N" are options, so a
 * file name with commas in it still works. */
static int parse_image(struct run_opts *o, const char *arg)
{
	struct vpmem_image_req *im;
	char *path, *comma;
	unsigned v;

	if (o->spec.nimages >= VPMEM_MAX_DIMMS)
		return cmd_usage_error("run", "too many --pmem-image (at most %d)", VPMEM_MAX_DIMMS);
	im = &o->spec.images[o->spec.nimages];
	path = o->image_paths[o->spec.nimages];
	if (strlen(arg) >= PATH_MAX)
		return cmd_usage_error("run", "--pmem-image: path too long");
	strcpy(path, arg);
	im->slot = im->node = -1;
	im->label_slot = -1;
	while ((comma = strrchr(path, ','))) {
		const char *kv = comma + 1;

		if (!strncmp(kv, "slot=", 5)) {
			if (im->slot >= 0 || parse_uint("--pmem-image slot", kv + 5, 0, VPMEM_NFIT_MAX_SLOTS - 1, &v))
				return im->slot >= 0 ? cmd_usage_error("run", "--pmem-image: slot given twice") : EXIT_USAGE;
			im->slot = (int)v;
		} else if (!strncmp(kv, "node=", 5)) {
			if (im->node >= 0 || parse_uint("--pmem-image node", kv + 5, 0, VPMEM_MAX_NODES - 1, &v))
				return im->node >= 0 ? cmd_usage_error("run", "--pmem-image: node given twice") : EXIT_USAGE;
			im->node = (int)v;
		} else {
			break;
		}
		*comma = '\0';
	}
	if (!*path)
		return cmd_usage_error("run", "--pmem-image: missing file name");
	im->path = path;
	o->spec.nimages++;
	return 0;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	uint64_t sz;
	unsigned v;
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	o->spec.hotplug_slots = -1;
	o->spec.label_size = -1;
	o->name = "default";
	opterr = 0;
	optind = 1;
	while (!r && (c = getopt_long(argc, argv, "+q", run_opts, NULL)) != -1) {
		switch (c) {
		case OPT_MEMORY: r = parse_size_opt("--qemu-memory", optarg, 0, &o->spec.ram); break;
		case OPT_PMEM: r = parse_size_opt("--qemu-pmem", optarg, 0, &o->spec.pmem); break;
		case OPT_NODES:
			r = parse_uint("--qemu-nodes", optarg, 1, VPMEM_MAX_NODES, &o->spec.nodes);
			break;
		case OPT_CORES: r = parse_uint("--qemu-cores", optarg, 1, 255, &o->spec.cores); break;
		case OPT_HOTPLUG:
			r = parse_uint("--hotplug-slots", optarg, 0, VPMEM_NFIT_MAX_SLOTS, &v);
			o->spec.hotplug_slots = (int)v;
			break;
		case OPT_LABEL:
			r = parse_size_opt("--label-size", optarg, VPMEM_SIZE_ALLOW_ZERO, &sz);
			o->spec.label_size = (int64_t)sz;
			break;
		case OPT_PERSIST: {
			struct vpmem_err err = { 0 };

			if (vpmem_persistence_parse(optarg, &o->spec.persistence, &err))
				r = cmd_error(EXIT_USAGE, "run: %s", err.msg);
			break;
		}
		case OPT_VIRTIO: o->spec.virtio = true; break;
		case OPT_IMAGE: r = parse_image(o, optarg); break;
		case OPT_DIR:
			if (o->spec.ndirs >= VPMEM_MAX_NODES)
				r = cmd_usage_error("run", "too many --pmem-dir");
			else
				o->spec.dirs[o->spec.ndirs++] = optarg;
			break;
		case OPT_NAME:
			if (!*optarg || strchr(optarg, '/') || optarg[0] == '.')
				r = cmd_usage_error("run", "--name: invalid VM name '%s'", optarg);
			o->name = optarg;
			break;
		case OPT_STATE: o->state_dir = optarg; break;
		case OPT_KERNEL: o->kernel = optarg; break;
		case OPT_GUEST_KERNEL: o->guest_kernel = optarg; break;
		case OPT_INITRD: o->initrd = optarg; break;
		case OPT_APPEND: o->append = optarg; break;
		case OPT_CMD: o->cmd = optarg; break;
		case OPT_TIMEOUT:
			r = parse_uint("--timeout", optarg, 0, 86400, &o->timeout);
			o->timeout_set = true;
			break;
		case OPT_ACCEL:
			if (strcmp(optarg, "auto") && strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
				r = cmd_usage_error("run", "--accel: unknown accelerator '%s' (auto, kvm or tcg)", optarg);
			o->accel = optarg;
			break;
		case OPT_QEMU: o->qemu = optarg; break;
		case OPT_PRINT: o->print = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_LIBVIRT: o->libvirt = true; break;
		case OPT_REQUIRE: o->require = true; break;
		case OPT_NO_PMEM: o->spec.no_pmem = true; break;
		case 'q': o->quiet = true; break;
		case ':':
			r = cmd_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			r = cmd_usage_error("run", "unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	if (r)
		return r;
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--"))
			return cmd_usage_error("run", "unexpected argument '%s' (QEMU arguments go after '--')",
					       argv[optind]);
		o->extra = argv + optind;
	}
	if (!!o->kernel != !!o->initrd && o->initrd && !o->kernel)
		return cmd_usage_error("run", "--initrd needs --kernel");
	if (o->kernel && o->guest_kernel)
		return cmd_usage_error("run", "--guest-kernel and --kernel cannot be combined");
	if (!o->kernel) {
		struct vpmem_guest_kernel k;
		struct vpmem_err err = { 0 };

		if (vpmem_guest_kernel_parse(o->guest_kernel, &k, &err))
			return cmd_usage_error("run", "%s%s", o->guest_kernel ? "--guest-kernel: " : "", err.msg);
	}
	if (o->print && o->libvirt)
		return cmd_usage_error("run", "--print and --libvirt-xml cannot be combined");
	if (o->libvirt && o->extra)
		return cmd_usage_error("run", "raw QEMU arguments after '--' have no libvirt form");
	if (!o->timeout_set)
		o->timeout = o->cmd ? 600 : 0;
	if (!o->qemu)
		o->qemu = VPMEM_QEMU_DEFAULT_BINARY;
	if (!o->accel)
		o->accel = getenv("VPMEM_ACCEL") && *getenv("VPMEM_ACCEL") ? getenv("VPMEM_ACCEL") : "auto";
	return 0;
}

/* An image's label area and the slot its labels were written for (the
 * identity rule: labels carry the slot's interleave cookie). */
static int detect_labels(struct vpmem_image_req *im, int64_t label_size)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info *ri;
	struct vpmem_err err = { 0 };
	int fd;

	if (im->size < (16ULL << 20))
		return 0; /* the planner says why it is too small */
	if (label_size >= 0) {
		h.label_size = (uint64_t)label_size;
		h.label_size_set = true;
	}
	ri = calloc(1, sizeof(*ri));
	fd = open(im->path, O_RDONLY | O_CLOEXEC);
	if (!ri || fd < 0 || vpmem_region_read(fd, &h, ri, &err)) {
		if (fd >= 0)
			close(fd);
		free(ri);
		return cmd_error(EXIT_FAIL, "--pmem-image '%s': %s", im->path, ri ? err.msg : "out of memory");
	}
	close(fd);
	if (ri->labelled) {
		im->label_size = ri->label_size;
		if (!strcmp(ri->slot_source, "labels"))
			im->label_slot = ri->slot;
	}
	vpmem_region_free(ri);
	free(ri);
	return 0;
}

/* Fill in what the planner needs to know about existing images. */
static int inspect_images(struct run_opts *o)
{
	for (unsigned i = 0; i < o->spec.nimages; i++) {
		struct vpmem_image_req *im = &o->spec.images[i];
		struct stat st;

		if (stat(im->path, &st))
			return cmd_error(EXIT_FAIL, "cannot use --pmem-image '%s': %s", im->path, strerror(errno));
		if (S_ISDIR(st.st_mode))
			return cmd_error(EXIT_FAIL,
					 "--pmem-image '%s' is a directory: QEMU would back the vNVDIMM with an unlinked temporary file and lose all data at exit (use --pmem-dir)",
					 im->path);
		if (S_ISCHR(st.st_mode)) {
			char sys[PATH_MAX], buf[64];
			FILE *f;

			snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/size", major(st.st_rdev), minor(st.st_rdev));
			f = fopen(sys, "r");
			if (!f || !fgets(buf, sizeof(buf), f)) {
				if (f)
					fclose(f);
				return cmd_error(EXIT_FAIL, "--pmem-image '%s' is a character device but not a device-dax device",
						 im->path);
			}
			fclose(f);
			im->size = strtoull(buf, NULL, 10);
			im->devdax = true;
			snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/align", major(st.st_rdev), minor(st.st_rdev));
			f = fopen(sys, "r");
			if (f && fgets(buf, sizeof(buf), f))
				im->dax_align = strtoull(buf, NULL, 10);
			if (f)
				fclose(f);
		} else if (S_ISREG(st.st_mode)) {
			int r;

			im->size = (uint64_t)st.st_size;
			if (access(im->path, R_OK | W_OK))
				return cmd_error(EXIT_FAIL, "--pmem-image '%s' is not readable and writable: %s",
						 im->path, strerror(errno));
			r = detect_labels(im, o->spec.label_size);
			if (r)
				return r;
		} else {
			return cmd_error(EXIT_FAIL, "--pmem-image '%s' is neither a regular file nor a device-dax device",
					 im->path);
		}
		if (!im->size)
			return cmd_error(EXIT_FAIL, "--pmem-image '%s' is empty", im->path);
	}
	for (unsigned i = 0; i < o->spec.ndirs; i++) {
		struct stat st;

		if (stat(o->spec.dirs[i], &st) || !S_ISDIR(st.st_mode))
			return cmd_error(EXIT_FAIL, "--pmem-dir '%s' is not a directory", o->spec.dirs[i]);
		if (access(o->spec.dirs[i], W_OK | X_OK))
			return cmd_error(EXIT_FAIL, "--pmem-dir '%s' is not writable: %s", o->spec.dirs[i],
					 strerror(errno));
	}
	return 0;
}

/* A --pmem-dir per guest node that lies on a device of host NUMA node K:
 * bind that guest node's RAM to host node K (memory-backend-ram host-nodes=K,
 * policy=bind), so the guest's CPUs and memory sit next to its PMem. */
static void bind_host_nodes(const struct run_opts *o, struct vpmem_vm_plan *plan)
{
	if (o->spec.ndirs != plan->nodes || plan->nodes < 2)
		return;
	for (unsigned n = 0; n < plan->nodes; n++) {
		struct stat st;
		int k;

		if (stat(o->spec.dirs[n], &st))
			continue;
		k = vpmem_host_node_of_blockdev(NULL, major(st.st_dev), minor(st.st_dev));
		if (k < 0)
			continue;
		plan->node[n].host_node = k;
		if (!o->quiet)
			fprintf(stderr, "vpmem: guest node %u: RAM bound to host node %d, where '%s' lies\n", n, k,
				o->spec.dirs[n]);
	}
}

/* Backings the plan creates: reuse an existing file of exactly the planned
 * size, refuse any other. Checked for all before anything is created. */
static int check_created(struct vpmem_vm_plan *plan)
{
	for (unsigned i = 0; i < plan->ndimms; i++) {
		struct vpmem_vm_dimm *d = &plan->dimm[i];
		struct stat st;
		char a[32], b[32];

		if (!d->create || stat(d->path, &st))
			continue;
		if (!S_ISREG(st.st_mode))
			return cmd_error(EXIT_FAIL, "backing '%s' exists and is not a regular file", d->path);
		if ((uint64_t)st.st_size != d->size)
			return cmd_error(EXIT_FAIL,
					 "backing '%s' exists with size %s, not the %s planned (remove it, use another --name, or pass it with --pmem-image)",
					 d->path, vpmem_size_str((uint64_t)st.st_size, a, sizeof(a)),
					 vpmem_size_str(d->size, b, sizeof(b)));
		d->create = false;
	}
	return 0;
}

static int create_backings(const struct vpmem_vm_plan *plan)
{
	for (unsigned i = 0; i < plan->ndimms; i++) {
		const struct vpmem_vm_dimm *d = &plan->dimm[i];
		int fd;

		if (!d->create)
			continue;
		/* sparse at the exact size: never fallocate (on tmpfs that costs RAM) */
		fd = open(d->path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			return cmd_error(EXIT_FAIL, "cannot create backing '%s': %s", d->path, strerror(errno));
		if (ftruncate(fd, (off_t)d->size) || fsync(fd)) {
			int e = errno;

			close(fd);
			unlink(d->path);
			return cmd_error(EXIT_FAIL, "cannot size backing '%s': %s", d->path, strerror(e));
		}
		close(fd);
	}
	return 0;
}

/* Persistence verdict of every backing (vpmem doctor's rules); pmem=on only
 * where it holds and QEMU supports it. Backings not created yet (--print) are
 * judged by their directory's mount. */
static void assess(struct vpmem_vm_plan *plan, bool qemu_pmem, struct vpmem_persist_report *reps)
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
			r->nreasons = 0;
			r->kind = VPMEM_KIND_FILE;
			r->verdict = r->mount_dax ? VPMEM_GUARANTEED : VPMEM_NOT_GUARANTEED;
			snprintf(r->reasons[0].text, sizeof(r->reasons[0].text), "%s",
				 r->mount_dax ? "on a DAX mount (MAP_SYNC is probed when it is created)"
				 : "not on a DAX mount: writes go through the host page cache");
			r->nreasons = 1;
			r->dax = r->mount_dax;
		} else {
			vpmem_persist_check(d->path, &po, r, NULL);
		}
		d->pmem = qemu_pmem && r->dax && r->verdict == VPMEM_GUARANTEED;
	}
}

/* "not guaranteed (reason; reason)" */
static const char *verdict_text(const struct vpmem_persist_report *r, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%s", vpmem_verdict_name(r->verdict));
	const char *sep = " (";

	for (unsigned k = 0; k < r->nreasons && used < len; k++) {
		if (r->verdict == VPMEM_GUARANTEED || r->reasons[k].level != r->verdict)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, r->reasons[k].text);
		sep = "; ";
	}
	if (*sep == ';' && used < len)
		snprintf(buf + used, len - used, ")");
	return buf;
}

static void describe(const struct run_opts *o, const struct vpmem_vm_plan *plan, const char *accel,
		     const struct vpmem_persist_report *reps)
{
	char a[32], b[32], c[32], buf[1024];

	fprintf(stderr, "vpmem: VM '%s': %s RAM, %u vCPU(s), %u node(s), slots=%u, maxmem=%s, accel %s\n",
		o->name, vpmem_size_str(plan->ram, a, sizeof(a)), plan->cores, plan->nodes, plan->slots,
		vpmem_size_str(plan->maxmem, b, sizeof(b)), accel);
	for (unsigned i = 0; i < plan->ndimms; i++) {
		const struct vpmem_vm_dimm *d = &plan->dimm[i];
		struct vpmem_nfit_dimm n;

		vpmem_nfit_dimm(d->slot, &n);
		fprintf(stderr, "vpmem: %s slot %u node %u: '%s' (%s%s), label area %s -> guest region %s at 0x%" PRIx64,
			plan->virtio ? "virtio-pmem" : "nvdimm", d->slot, d->node, d->path,
			vpmem_size_str(d->size, a, sizeof(a)), d->create ? ", new" : "",
			d->label_size ? vpmem_size_str(d->label_size, b, sizeof(b)) : "none",
			vpmem_size_human(d->region, c, sizeof(c)), d->addr);
		if (!plan->virtio)
			fprintf(stderr, ", id %s", n.id);
		fprintf(stderr, ", persistence: %s", verdict_text(&reps[i], buf, sizeof(buf)));
		fprintf(stderr, "%s\n", d->pmem ? ", pmem=on" : "");
	}
	if (!plan->virtio)
		fprintf(stderr, "vpmem: guest persistence domain: %s\n", plan->persistence
			? vpmem_persistence_name(plan->persistence) : "unknown (no --persistence given)");
	if (plan->notes[0]) {
		char *notes = strdup(plan->notes), *save = NULL;

		for (char *l = notes ? strtok_r(notes, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
			fprintf(stderr, "vpmem: note: %s\n", l);
		free(notes);
	}
}

static json_object *plan_json(const struct vpmem_vm_plan *plan)
{
	json_object *o = json_object_new_object(), *dimms = json_object_new_array();

	json_object_object_add(o, "ram", json_object_new_uint64(plan->ram));
	json_object_object_add(o, "cores", json_object_new_int((int)plan->cores));
	json_object_object_add(o, "nodes", json_object_new_int((int)plan->nodes));
	json_object_object_add(o, "slots", json_object_new_int((int)plan->slots));
	json_object_object_add(o, "maxmem", json_object_new_uint64(plan->maxmem));
	json_object_object_add(o, "device_memory_base", json_object_new_uint64(plan->devmem_base));
	if (plan->persistence)
		json_object_object_add(o, "persistence_domain",
				       json_object_new_string(vpmem_persistence_name(plan->persistence)));
	json_object_object_add(o, "virtio_pmem", json_object_new_boolean(plan->virtio));
	for (unsigned i = 0; i < plan->ndimms; i++) {
		const struct vpmem_vm_dimm *d = &plan->dimm[i];
		json_object *j = json_object_new_object();
		struct vpmem_nfit_dimm n;

		vpmem_nfit_dimm(d->slot, &n);
		json_object_object_add(j, "path", json_object_new_string(d->path));
		json_object_object_add(j, "slot", json_object_new_int((int)d->slot));
		json_object_object_add(j, "node", json_object_new_int((int)d->node));
		json_object_object_add(j, "size", json_object_new_uint64(d->size));
		json_object_object_add(j, "label_size", json_object_new_uint64(d->label_size));
		json_object_object_add(j, "region_size", json_object_new_uint64(d->region));
		json_object_object_add(j, "addr", json_object_new_uint64(d->addr));
		json_object_object_add(j, "pmem", json_object_new_boolean(d->pmem));
		json_object_object_add(j, "create", json_object_new_boolean(d->create));
		if (!plan->virtio)
			json_object_object_add(j, "id", json_object_new_string(n.id));
		json_object_array_add(dimms, j);
	}
	json_object_object_add(o, "dimms", dimms);
	return o;
}

static void print_argv(char *const *argv)
{
	for (size_t i = 0; argv[i]; i++) {
		char *q = vpmem_shell_quote(argv[i]);
		bool pair = argv[i][0] == '-' && argv[i + 1] && argv[i + 1][0] != '-';

		if (i)
			fputs("  ", stdout);
		fputs(q ? q : argv[i], stdout);
		free(q);
		if (pair && i) {
			q = vpmem_shell_quote(argv[++i]);
			printf(" %s", q ? q : argv[i]);
			free(q);
		}
		fputs(argv[i + 1] ? " \\\n" : "\n", stdout);
	}
}

/* An absolute path for @bin: as given if it has a '/', else found in $PATH. */
static void which(const char *bin, char *buf, size_t len)
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

static int print_libvirt(const struct run_opts *o, const struct vpmem_vm_plan *plan,
			 const struct vpmem_guest_files *g, const char *append, const char *accel)
{
	struct vpmem_libvirt_opts lo = {
		.name = o->name, .kernel = o->kernel ? o->kernel : g->kernel,
		.initrd = o->kernel ? o->initrd : g->initrd, .cmdline = append,
		.kvm = !strcmp(accel, "kvm"),
	};
	struct vpmem_err err = { 0 };
	char emu[PATH_MAX], *xml = NULL;

	which(o->qemu, emu, sizeof(emu));
	lo.emulator = emu[0] == '/' ? emu : NULL;
	if (vpmem_libvirt_xml(plan, &lo, &xml, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	fputs(xml, stdout);
	free(xml);
	return EXIT_OK;
}

static int write_file(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	size_t len = strlen(data);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return cmd_error(EXIT_FAIL, "cannot write '%s': %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* The VM spec next to its state (slots pinned, exact argv): `vpmem map --vm`
 * reads it. Written atomically. */
static int save_spec(const char *state, const struct vpmem_vm_plan *plan, const struct vpmem_strv *qargv)
{
	json_object *j = plan_json(plan), *a = json_object_new_array();
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	int r = 0;

	for (size_t i = 0; i < qargv->n; i++)
		json_object_array_add(a, json_object_new_string(qargv->v[i]));
	json_object_object_add(j, "argv", a);
	snprintf(path, sizeof(path), "%s/spec.json", state);
	snprintf(tmp, sizeof(tmp), "%s/.spec.json.tmp", state);
	if (json_object_to_file_ext(tmp, j, JSON_C_TO_STRING_PRETTY) || rename(tmp, path))
		r = cmd_error(EXIT_FAIL, "cannot save the VM spec '%s': %s", path, strerror(errno));
	json_object_put(j);
	return r;
}

static void remove_created(const struct vpmem_vm_plan *plan)
{
	for (unsigned i = 0; i < plan->ndimms; i++)
		if (plan->dimm[i].create)
			unlink(plan->dimm[i].path);
}

static int build_argv(const struct run_opts *o, const struct vpmem_vm_plan *plan,
		      const struct vpmem_guest_files *g, const char *accel, const char *append,
		      char paths[][PATH_MAX + 32], struct vpmem_strv *qargv)
{
	struct vpmem_qemu_boot boot = {
		.binary = o->qemu, .accel = accel,
		.kernel = o->kernel ? o->kernel : g->kernel,
		.initrd = o->kernel ? o->initrd : g->initrd,
		.append = append, .batch = o->cmd != NULL,
		.console_path = paths[0], .out_path = paths[1], .err_path = paths[2],
		.status_path = paths[3], .cmd_path = o->cmd ? paths[4] : NULL,
		.extra = o->extra,
	};
	struct vpmem_err err = { 0 };

	if (vpmem_qemu_argv(plan, &boot, qargv, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	return 0;
}

static int print_plan(const struct run_opts *o, const struct vpmem_vm_plan *plan,
		      const struct vpmem_strv *qargv)
{
	if (o->json) {
		json_object *j = plan_json(plan), *a = json_object_new_array();

		for (size_t i = 0; i < qargv->n; i++)
			json_object_array_add(a, json_object_new_string(qargv->v[i]));
		json_object_object_add(j, "argv", a);
		out_json(j);
	} else {
		print_argv(qargv->v);
	}
	return EXIT_OK;
}

/* auto: KVM only when a probe boot of the default guest really works */
static const char *choose_accel(const struct run_opts *o, const struct vpmem_qemu_caps *caps,
				const struct vpmem_guest_files *g)
{
	char cache[PATH_MAX - 32], probe[PATH_MAX];

	if (strcmp(o->accel, "auto"))
		return o->accel;
	if (o->kernel || vpmem_cache_dir(cache, sizeof(cache), NULL) || vpmem_mkdir_p(cache, NULL))
		return "tcg";
	snprintf(probe, sizeof(probe), "%s/kvm-probe", cache);
	return vpmem_kvm_usable(o->qemu, caps->version, g, probe, 30) ? "kvm" : "tcg";
}

static int lock_state(const struct run_opts *o, const char *state)
{
	char lockp[PATH_MAX + 8];
	int fd;

	snprintf(lockp, sizeof(lockp), "%s/lock", state);
	fd = open(lockp, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		cmd_error(EXIT_FAIL, "cannot open '%s': %s", lockp, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		cmd_error(EXIT_FAIL, "VM '%s' is already running (state '%s' is locked)", o->name, state);
		return -1;
	}
	/* kept across exec (interactive runs): the lock lives as long as QEMU */
	fcntl(fd, F_SETFD, 0);
	return fd;
}

int cmd_run(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static struct run_opts o;
	static struct vpmem_persist_report reps[VPMEM_MAX_DIMMS];
	static char paths[6][PATH_MAX + 32];
	struct vpmem_vm_plan plan;
	struct vpmem_err err = { 0 };
	struct vpmem_strv qargv = VPMEM_STRV_INIT;
	struct vpmem_guest_files g;
	struct vpmem_qemu_caps caps;
	char state[PATH_MAX], rundir[PATH_MAX + 8], append[2048];
	const char *accel;
	int r, lockfd = -1, status = 0;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	o.json |= ctx->json;
	if (o.state_dir) {
		snprintf(state, sizeof(state), "%s", o.state_dir);
	} else {
		if (vpmem_state_dir(state, sizeof(state) - 64, &err))
			return cmd_lib_error(EXIT_FAIL, &err);
		snprintf(state + strlen(state), 64, "/vm/%s", o.name);
	}
	o.spec.state_dir = state;
	r = inspect_images(&o);
	if (r)
		return r;
	accel = !strcmp(o.accel, "auto") ? "tcg" : o.accel;
	o.spec.phys_bits = strcmp(accel, "kvm") ? 40 : 0; /* TCG -cpu max: TCG_PHYS_ADDR_BITS */
	if (vpmem_vm_plan(&o.spec, &plan, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	r = check_created(&plan);
	if (r)
		goto out;
	bind_host_nodes(&o, &plan);
	if (vpmem_guest_files(&g, o.guest_kernel, false, &err)) {
		r = cmd_lib_error(err.code == EINVAL ? EXIT_USAGE : EXIT_FAIL, &err);
		goto out;
	}
	snprintf(rundir, sizeof(rundir), "%s/run", state);
	snprintf(paths[0], sizeof(paths[0]), "%s/console.log", rundir);
	snprintf(paths[1], sizeof(paths[1]), "%s/stdout", rundir);
	snprintf(paths[2], sizeof(paths[2]), "%s/stderr", rundir);
	snprintf(paths[3], sizeof(paths[3]), "%s/status", rundir);
	snprintf(paths[4], sizeof(paths[4]), "%s/cmd", rundir);
	snprintf(paths[5], sizeof(paths[5]), "%s/qemu.log", rundir);
	snprintf(append, sizeof(append), "console=ttyS0 panic=-1 loglevel=4%s%s",
		 o.append ? " " : "", o.append ? o.append : "");

	/* Printing modes: nothing is created, no QEMU is run. */
	if (o.libvirt || o.print) {
		assess(&plan, true, reps);
		if (o.libvirt)
			r = print_libvirt(&o, &plan, &g, append, accel);
		else if (!(r = build_argv(&o, &plan, &g, accel, append, paths, &qargv)))
			r = print_plan(&o, &plan, &qargv);
		goto out;
	}

	if (vpmem_qemu_probe(o.qemu, &caps, &err) || vpmem_qemu_check(&plan, &caps, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	if (!o.kernel && access(g.initrd, R_OK)) {
		if (!o.quiet)
			fprintf(stderr, "vpmem: building the default guest for kernel %s (once)\n", g.name);
		if (guest_build(g.name, false, o.quiet, &err)) {
			r = cmd_lib_error(EXIT_FAIL, &err);
			goto out;
		}
	}
	accel = choose_accel(&o, &caps, &g);

	/* Apply: state dir, lock, backings; then judge them, then QEMU. */
	if (vpmem_mkdir_p(rundir, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	lockfd = lock_state(&o, state);
	if (lockfd < 0) {
		r = EXIT_FAIL;
		goto out;
	}
	r = create_backings(&plan);
	if (r)
		goto out;
	assess(&plan, caps.backend_pmem, reps);
	if (!o.quiet)
		describe(&o, &plan, accel, reps);
	if (o.require) {
		for (unsigned i = 0; i < plan.ndimms; i++) {
			char buf[1024];

			if (reps[i].verdict == VPMEM_GUARANTEED)
				continue;
			r = cmd_error(EXIT_FAIL, "--require-persistence: '%s' is %s", plan.dimm[i].path,
				      verdict_text(&reps[i], buf, sizeof(buf)));
			remove_created(&plan);
			goto out;
		}
	}
	r = build_argv(&o, &plan, &g, accel, append, paths, &qargv);
	if (!r)
		r = save_spec(state, &plan, &qargv);
	if (r)
		goto out;
	if (o.json && !o.cmd)
		out_json(plan_json(&plan));
	fflush(stdout);
	if (!o.cmd) {
		execvp(qargv.v[0], qargv.v);
		r = cmd_error(EXIT_FAIL, "cannot run '%s': %s", qargv.v[0], strerror(errno));
		goto out;
	}
	r = write_file(paths[4], o.cmd);
	if (r)
		goto out;
	{
		struct vpmem_guest_io io = {
			.argv = qargv.v, .timeout_sec = o.timeout, .out_fd = 1, .err_fd = 2,
			.console_path = paths[0], .out_path = paths[1], .err_path = paths[2],
			.status_path = paths[3], .qemu_log_path = paths[5],
		};

		if (vpmem_guest_exec(&io, &status, &err)) {
			r = cmd_error(EXIT_FAIL, "%s (console log: %s)", err.msg, paths[0]);
			goto out;
		}
		r = status;
	}
out:
	if (lockfd >= 0)
		close(lockfd);
	vpmem_strv_free(&qargv);
	vpmem_vm_plan_free(&plan);
	return r;
}
