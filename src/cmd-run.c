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
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/cxl.h>
#include <vpmem/file.h>
#include <vpmem/guest.h>
#include <vpmem/image.h>
#include <vpmem/input.h>
#include <vpmem/kconfig.h>
#include <vpmem/launch.h>
#include <vpmem/libvirt.h>
#include <vpmem/nfit.h>
#include <vpmem/persist.h>
#include <vpmem/qemu.h>
#include <vpmem/reconfigure.h>
#include <vpmem/size.h>
#include <vpmem/strv.h>
#include <vpmem/vm.h>
#include <vpmem/vmstate.h>

#include "guest-build.h"
#include "options.h"
#include "vpmem.h"

const char usage_run[] =
	"usage: vpmem run [options] [-- QEMU-ARGS...]\n"
	"\n"
	"Boot a QEMU VM with persistent memory (one vNVDIMM per guest NUMA node),\n"
	"directly or as a persistent libvirt domain (--libvirt). 'vpmem run --name X'\n"
	"with no machine options boots the machine saved for X again.\n"
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
	"  --label-size SIZE       label area per vNVDIMM (>= 128K; default 0 = label-less);\n"
	"                          new backings get it initialised as 'ndctl init-labels'\n"
	"                          does (with --libvirt rounded up to 2M: see doc/libvirt.md)\n"
	"  --label-version 1.1|1.2 label format of new label areas (default 1.1, as ndctl)\n"
	"  --blank-labels          leave new label areas zeroed (the guest must init-labels)\n"
	"  --persistence cpu|mem-ctrl  persistence domain the guest is told\n"
	"  --virtio-pmem           virtio-pmem-pci devices instead of NFIT vNVDIMMs\n"
	"  --cxl-pmem SIZE         CXL type-3 persistent memory instead of vNVDIMMs: per\n"
	"                          device a pxb-cxl host bridge with two root ports (the\n"
	"                          device's and a spare) and a fixed memory window, a\n"
	"                          cxl-type3 device with a pinned serial, memory and\n"
	"                          label files (share=on);\n"
	"                          each device a whole number of 256M; the default guest\n"
	"                          creates each device's pmem region at boot; your own\n"
	"                          guest must run, at every boot and per device, 'cxl\n"
	"                          create-region -m -d decoder0.N -w 1 memN -t pmem':\n"
	"                          install the script 'vpmem cxl boot-script' prints\n"
	"                          and the systemd unit 'vpmem cxl boot-unit' prints\n"
	"                          (how: 'vpmem help cxl')\n"
	"  --cxl-devices N         split --cxl-pmem over N type-3 devices (default 1)\n"
	"  --no-pmem               no PMem device at all (e.g. to try memmap= emulation)\n"
	"  --require-persistence   refuse to start unless every backing (vNVDIMM,\n"
	"                          virtio-pmem or CXL memory file) guarantees\n"
	"                          persistence (see 'vpmem help doctor')\n"
	"Backings:\n"
	"  --pmem-image FILE[,slot=N][,node=N]  use an existing image (repeatable); a\n"
	"                          CXL image (FILE with FILE.lsa beside it: 'vpmem image\n"
	"                          create --cxl') is attached as a cxl-type3 device with\n"
	"                          the serial its labels carry (doc/cxl.md)\n"
	"  --pmem-dir DIR          create the --qemu-pmem backings in DIR (one, or one per node)\n"
	"  --name NAME             VM name (default 'default'); its state lives in\n"
	"                          $XDG_STATE_HOME/vpmem/vm/NAME\n"
	"  --state-dir DIR         state directory instead of the above\n"
	"Guest:\n"
	"  --guest-kernel 6.1|6.12|PACKAGE  the default guest's kernel: Debian 12's\n"
	"                          cloud kernel 6.1 (default; also $VPMEM_GUEST_KERNEL),\n"
	"                          6.12, or a linux-image-* package (see 'vpmem guest')\n"
	"  --kernel FILE --initrd FILE  boot these instead of the default guest\n"
	"  --kernel-config FILE    the guest kernel's configuration, when it is neither\n"
	"                          embedded nor config-RELEASE beside --kernel; run\n"
	"                          refuses what the guest kernel cannot use (doc/kernel.md)\n"
	"  --append ARGS           extra kernel command line\n"
	"  --guest-cmd CMD         run CMD (sh syntax) in the guest, print its output,\n"
	"                          exit with its status, power off\n"
	"  --timeout SEC           kill the guest after SEC seconds (default 600 with\n"
	"                          --guest-cmd, 0 = none)\n"
	"  --accel auto|kvm|tcg    accelerator (default auto: KVM only if a probe boot works;\n"
	"                          also $VPMEM_ACCEL)\n"
	"  --qemu BINARY           QEMU binary (default qemu-system-x86_64)\n"
	"Launcher:\n"
	"  --libvirt               define and start the machine as a persistent libvirt\n"
	"                          domain named NAME (libvirt C API); CXL goes through\n"
	"                          <qemu:commandline> (doc/cxl.md)\n"
	"  --connect URI           libvirt URI (default qemu:///system)\n"
	"Output:\n"
	"  --print                 print the QEMU command line (with --libvirt: the domain\n"
	"                          XML) instead of running it; nothing is created\n"
	"  --libvirt-xml           same as --libvirt --print\n"
	"  --create                with --print: create the backings, so that what is\n"
	"                          printed runs as printed\n"
	"  --json                  print the plan (and with --print the argv or XML) as JSON\n"
	"  -q, --quiet             no progress lines and no description of the machine\n"
	"                          on stderr (errors are still printed)\n"
	"  -- QEMU-ARGS...         append raw QEMU arguments\n";

enum {
	OPT_MEMORY = 256, OPT_PMEM, OPT_NODES, OPT_CORES, OPT_HOTPLUG, OPT_LABEL, OPT_PERSIST,
	OPT_VIRTIO, OPT_IMAGE, OPT_DIR, OPT_NAME, OPT_STATE, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
	OPT_CMD, OPT_TIMEOUT, OPT_ACCEL, OPT_QEMU, OPT_PRINT, OPT_JSON, OPT_LIBVIRT_XML, OPT_REQUIRE,
	OPT_NO_PMEM, OPT_LIBVIRT, OPT_CONNECT, OPT_CREATE, OPT_LABEL_VERSION, OPT_BLANK_LABELS,
	OPT_KCONFIG, OPT_GUEST_KERNEL, OPT_CXL_PMEM, OPT_CXL_DEVICES,
};

static const struct option run_opts[] = {
	{ "qemu-memory", required_argument, NULL, OPT_MEMORY },
	{ "qemu-pmem", required_argument, NULL, OPT_PMEM },
	{ "qemu-nodes", required_argument, NULL, OPT_NODES },
	{ "qemu-cores", required_argument, NULL, OPT_CORES },
	{ "hotplug-slots", required_argument, NULL, OPT_HOTPLUG },
	{ "label-size", required_argument, NULL, OPT_LABEL },
	{ "label-version", required_argument, NULL, OPT_LABEL_VERSION },
	{ "blank-labels", no_argument, NULL, OPT_BLANK_LABELS },
	{ "persistence", required_argument, NULL, OPT_PERSIST },
	{ "virtio-pmem", no_argument, NULL, OPT_VIRTIO },
	{ "pmem-image", required_argument, NULL, OPT_IMAGE },
	{ "pmem-dir", required_argument, NULL, OPT_DIR },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "guest-kernel", required_argument, NULL, OPT_GUEST_KERNEL },
	{ "cxl-pmem", required_argument, NULL, OPT_CXL_PMEM },
	{ "cxl-devices", required_argument, NULL, OPT_CXL_DEVICES },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "guest-cmd", required_argument, NULL, OPT_CMD },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "libvirt", no_argument, NULL, OPT_LIBVIRT },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "libvirt-xml", no_argument, NULL, OPT_LIBVIRT_XML },
	{ "create", no_argument, NULL, OPT_CREATE },
	{ "require-persistence", no_argument, NULL, OPT_REQUIRE },
	{ "no-pmem", no_argument, NULL, OPT_NO_PMEM },
	{ "kernel-config", required_argument, NULL, OPT_KCONFIG },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

/* The options that make the machine: saved with the VM, compared on reuse. */
static bool machine_opt(int c)
{
	switch (c) {
	case OPT_MEMORY: case OPT_PMEM: case OPT_NODES: case OPT_CORES: case OPT_HOTPLUG:
	case OPT_LABEL: case OPT_LABEL_VERSION: case OPT_BLANK_LABELS: case OPT_PERSIST:
	case OPT_VIRTIO: case OPT_IMAGE: case OPT_DIR: case OPT_NO_PMEM:
	case OPT_CXL_PMEM: case OPT_CXL_DEVICES:
		return true;
	default:
		return false;
	}
}

struct run_opts {
	struct vpmem_vm_spec spec;
	struct vpmem_backing_opts backing;
	const char *name, *state_dir, *kernel, *initrd, *append, *cmd, *accel, *qemu, *connect;
	const char *kernel_config;
	unsigned timeout;
	bool timeout_set, print, json, quiet, libvirt, require, create;
	char *const *extra;
	struct vpmem_strv machine;   /* machine options as given (saved with the VM) */
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

static int apply_opt(struct run_opts *o, int c, char *arg, const char *optname)
{
	uint64_t sz;
	unsigned v;
	int r = 0;

	switch (c) {
	case OPT_MEMORY: return opt_size("run", "--qemu-memory", arg, 0, &o->spec.ram);
	case OPT_PMEM: return opt_size("run", "--qemu-pmem", arg, 0, &o->spec.pmem);
	case OPT_NODES: return parse_uint("--qemu-nodes", arg, 1, VPMEM_MAX_NODES, &o->spec.nodes);
	case OPT_CORES: return parse_uint("--qemu-cores", arg, 1, 255, &o->spec.cores);
	case OPT_HOTPLUG:
		r = parse_uint("--hotplug-slots", arg, 0, VPMEM_NFIT_MAX_SLOTS, &v);
		o->spec.hotplug_slots = (int)v;
		return r;
	case OPT_LABEL:
		r = opt_size("run", "--label-size", arg, VPMEM_SIZE_ALLOW_ZERO, &sz);
		/* the planner refuses what is too large; never let it wrap negative (= not given) */
		o->spec.label_size = sz > INT64_MAX ? -2 : (int64_t)sz;
		return r;
	case OPT_LABEL_VERSION:
		if (!strcmp(arg, "1.1"))
			o->backing.label_version = VPMEM_LABEL_V1_1;
		else if (!strcmp(arg, "1.2"))
			o->backing.label_version = VPMEM_LABEL_V1_2;
		else
			return cmd_usage_error("run", "--label-version '%s': use 1.1 or 1.2", arg);
		return 0;
	case OPT_BLANK_LABELS: o->backing.blank_labels = true; return 0;
	case OPT_PERSIST: {
		struct vpmem_err err = { 0 };

		if (vpmem_persistence_parse(arg, &o->spec.persistence, &err))
			return cmd_error(EXIT_USAGE, "run: %s", err.msg);
		return 0;
	}
	case OPT_VIRTIO: o->spec.virtio = true; return 0;
	case OPT_IMAGE: return parse_image(o, arg);
	case OPT_DIR:
		if (o->spec.ndirs >= VPMEM_MAX_NODES)
			return cmd_usage_error("run", "too many --pmem-dir");
		o->spec.dirs[o->spec.ndirs++] = arg;
		return 0;
	case OPT_NAME: {
		struct vpmem_err err = { 0 };

		if (vpmem_vmstate_name_check(arg, &err))
			return cmd_usage_error("run", "--name: invalid VM name '%s'", arg);
		o->name = arg;
		return 0;
	}
	case OPT_STATE: o->state_dir = arg; return 0;
	case OPT_KERNEL: o->kernel = arg; return 0;
	case OPT_GUEST_KERNEL: o->guest_kernel = arg; return 0;
	case OPT_CXL_PMEM: return opt_size("run", "--cxl-pmem", arg, 0, &o->spec.cxl_pmem);
	case OPT_CXL_DEVICES:
		return parse_uint("--cxl-devices", arg, 1, VPMEM_CXL_MAX_DEVS, &o->spec.cxl_devices);
	case OPT_KCONFIG: o->kernel_config = arg; return 0;
	case OPT_INITRD: o->initrd = arg; return 0;
	case OPT_APPEND: o->append = arg; return 0;
	case OPT_CMD: o->cmd = arg; return 0;
	case OPT_TIMEOUT:
		o->timeout_set = true;
		return parse_uint("--timeout", arg, 0, 86400, &o->timeout);
	case OPT_ACCEL:
		if (strcmp(arg, "auto") && strcmp(arg, "kvm") && strcmp(arg, "tcg"))
			return cmd_usage_error("run", "--accel: unknown accelerator '%s' (auto, kvm or tcg)", arg);
		o->accel = arg;
		return 0;
	case OPT_QEMU: o->qemu = arg; return 0;
	case OPT_PRINT: o->print = true; return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_LIBVIRT: o->libvirt = true; return 0;
	case OPT_CONNECT: o->connect = arg; o->libvirt = true; return 0;
	case OPT_LIBVIRT_XML: o->libvirt = o->print = true; return 0;
	case OPT_CREATE: o->create = true; return 0;
	case OPT_REQUIRE: o->require = true; return 0;
	case OPT_NO_PMEM: o->spec.no_pmem = true; return 0;
	case 'q': o->quiet = true; return 0;
	default: return cmd_usage_error("run", "unknown option '%s'", optname);
	}
}

/* getopt over @argv into @o; machine options are recorded in @o->machine. */
static int parse_into(struct run_opts *o, int argc, char **argv, bool machine_only)
{
	struct cmd_opts p = { .cmd = "run", .shortopts = "+q", .longopts = run_opts };
	int c, r = 0;

	while (!r && (c = cmd_getopt(&p, argc, argv)) != -1) {
		const char *name = argv[optind - 1];

		if (c == '?')
			return EXIT_USAGE; /* cmd_getopt said why */
		if (machine_only && !machine_opt(c))
			return cmd_error(EXIT_FAIL, "run: saved option '%s' is not a machine option", name);
		r = apply_opt(o, c, optarg, name);
		if (!r && machine_opt(c) && !machine_only) {
			const struct option *d = run_opts;

			while (d->name && d->val != c)
				d++;
			r = vpmem_strv_pushf(&o->machine, "--%s", d->name) ||
			    (d->has_arg && vpmem_strv_push(&o->machine, optarg)) ? EXIT_FAIL : 0;
		}
	}
	return r;
}

static void opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->spec.hotplug_slots = -1;
	o->spec.label_size = -1;
	o->backing.label_version = VPMEM_LABEL_V1_1;
	o->name = "default";
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	int r;

	opts_init(o);
	r = parse_into(o, argc, argv, false);
	if (r)
		return r;
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--"))
			return cmd_usage_error("run", "unexpected argument '%s' (QEMU arguments go after '--')",
					       argv[optind]);
		o->extra = argv + optind;
	}
	if (o->initrd && !o->kernel)
		return cmd_usage_error("run", "--initrd needs --kernel");
	if (o->kernel && o->guest_kernel)
		return cmd_usage_error("run", "--guest-kernel and --kernel cannot be combined");
	if (!o->kernel) {
		struct vpmem_guest_kernel k;
		struct vpmem_err err = { 0 };

		if (vpmem_guest_kernel_parse(o->guest_kernel, &k, &err))
			return cmd_usage_error("run", "%s%s", o->guest_kernel ? "--guest-kernel: " : "", err.msg);
	}
	if (o->libvirt && o->extra)
		return cmd_usage_error("run", "raw QEMU arguments after '--' have no libvirt form");
	if (o->create && !o->print)
		return cmd_usage_error("run", "--create goes with --print or --libvirt-xml (run creates backings itself)");
	if (!o->timeout_set)
		o->timeout = o->cmd ? 600 : 0;
	if (!o->qemu)
		o->qemu = VPMEM_QEMU_DEFAULT_BINARY;
	if (!o->accel)
		o->accel = getenv("VPMEM_ACCEL") && *getenv("VPMEM_ACCEL") ? getenv("VPMEM_ACCEL") : "auto";
	return 0;
}

/*
 * The saved VM of this name: no machine options given = boot it again (its
 * options, its launcher); options given that make another machine = refuse
 * (printing modes only say so). @saved_o holds the re-parsed saved options.
 */
static int reuse_saved(struct run_opts *o, struct run_opts *saved_o, const char *state)
{
	static struct vpmem_vmstate st;
	struct vpmem_err err = { 0 };
	char diff[1024];
	int r;

	if (vpmem_vmstate_load(state, &st, &err))
		return 0; /* nothing saved (or unreadable: run saves a new one) */
	opts_init(saved_o);
	if (st.options.n) {
		/* saved_o points into these strings (--pmem-dir): they live as long
		 * as the command (static, so reachable to the end) */
		static struct vpmem_strv av = VPMEM_STRV_INIT;

		vpmem_strv_push(&av, "run");
		for (size_t i = 0; i < st.options.n; i++)
			vpmem_strv_push(&av, st.options.v[i]);
		r = parse_into(saved_o, (int)av.n, av.v, true);
		for (size_t i = 1; i < av.n; i++)
			vpmem_strv_push(&saved_o->machine, av.v[i]);
		if (r) {
			vpmem_vmstate_free(&st);
			return r;
		}
	}
	if (!o->machine.n) {
		if (!st.options.n) {
			vpmem_vmstate_free(&st);
			return 0;
		}
		o->spec = saved_o->spec;
		o->backing = saved_o->backing;
		memcpy(o->image_paths, saved_o->image_paths, sizeof(o->image_paths));
		for (unsigned i = 0; i < o->spec.nimages; i++)
			o->spec.images[i].path = o->image_paths[i];
		for (size_t i = 0; i < saved_o->machine.n; i++)
			vpmem_strv_push(&o->machine, saved_o->machine.v[i]);
		if (st.launcher == VPMEM_LAUNCHER_LIBVIRT && !o->libvirt) {
			o->libvirt = true;
			o->connect = st.connect[0] ? strdup(st.connect) : NULL;
		}
		if (!o->quiet)
			fprintf(stderr, "vpmem: VM '%s': booting its saved machine (%s launcher)\n", o->name,
				vpmem_launcher_name(o->libvirt ? VPMEM_LAUNCHER_LIBVIRT : VPMEM_LAUNCHER_QEMU));
	} else if (st.options.n && vpmem_vm_spec_differs(&saved_o->spec, &o->spec, diff, sizeof(diff))) {
		if (o->print) {
			fprintf(stderr, "vpmem: note: VM '%s' was saved with other options (%s): run would refuse\n",
				o->name, diff);
		} else {
			vpmem_vmstate_free(&st);
			return cmd_error(EXIT_FAIL,
					 "VM '%s' exists with other machine options: %s (boot it as saved with 'vpmem run --name %s', use another --name, or remove it with 'vpmem vm rm --backings %s')",
					 o->name, diff, o->name, o->name);
		}
	}
	vpmem_vmstate_free(&st);
	return 0;
}

/* "not guaranteed (reason; reason)" */
static json_object *cxl_json(const struct vpmem_cxl_plan *c);

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

	fprintf(stderr, "vpmem: VM '%s': %s RAM, %u vCPU(s), %u node(s), slots=%u, maxmem=%s, accel %s%s\n",
		o->name, vpmem_size_str(plan->ram, a, sizeof(a)), plan->cores, plan->nodes, plan->slots,
		vpmem_size_str(plan->maxmem, b, sizeof(b)), accel, o->libvirt ? ", libvirt" : "");
	for (unsigned n = 0; n < plan->nodes; n++)
		if (plan->node[n].host_node >= 0 && n < o->spec.ndirs)
			fprintf(stderr, "vpmem: guest node %u: RAM bound to host node %d, where '%s' lies\n", n,
				plan->node[n].host_node, o->spec.dirs[n]);
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

static json_object *plan_json(const struct run_opts *o, const struct vpmem_vm_plan *plan, const char *accel)
{
	json_object *j = json_object_new_object(), *dimms = json_object_new_array();

	json_object_object_add(j, "name", json_object_new_string(o->name));
	json_object_object_add(j, "launcher", json_object_new_string(o->libvirt ? "libvirt" : "qemu"));
	json_object_object_add(j, "accel", json_object_new_string(accel));
	json_object_object_add(j, "ram", json_object_new_uint64(plan->ram));
	json_object_object_add(j, "cores", json_object_new_int((int)plan->cores));
	json_object_object_add(j, "nodes", json_object_new_int((int)plan->nodes));
	json_object_object_add(j, "slots", json_object_new_int((int)plan->slots));
	json_object_object_add(j, "maxmem", json_object_new_uint64(plan->maxmem));
	json_object_object_add(j, "device_memory_base", json_object_new_uint64(plan->devmem_base));
	if (plan->persistence)
		json_object_object_add(j, "persistence_domain",
				       json_object_new_string(vpmem_persistence_name(plan->persistence)));
	json_object_object_add(j, "virtio_pmem", json_object_new_boolean(plan->virtio));
	for (unsigned i = 0; i < plan->ndimms; i++) {
		const struct vpmem_vm_dimm *d = &plan->dimm[i];
		json_object *x = json_object_new_object();
		struct vpmem_nfit_dimm n;

		vpmem_nfit_dimm(d->slot, &n);
		json_object_object_add(x, "path", json_object_new_string(d->path));
		json_object_object_add(x, "slot", json_object_new_int((int)d->slot));
		json_object_object_add(x, "node", json_object_new_int((int)d->node));
		json_object_object_add(x, "size", json_object_new_uint64(d->size));
		json_object_object_add(x, "label_size", json_object_new_uint64(d->label_size));
		json_object_object_add(x, "region_size", json_object_new_uint64(d->region));
		json_object_object_add(x, "addr", json_object_new_uint64(d->addr));
		json_object_object_add(x, "pmem", json_object_new_boolean(d->pmem));
		json_object_object_add(x, "create", json_object_new_boolean(d->create));
		if (!plan->virtio)
			json_object_object_add(x, "id", json_object_new_string(n.id));
		json_object_array_add(dimms, x);
	}
	json_object_object_add(j, "dimms", dimms);
	if (plan->cxl.ndevs)
		json_object_object_add(j, "cxl", cxl_json(&plan->cxl));
	return j;
}

/* An image vpmem check finds damaged or repairable: boot it anyway (the
 * guest decides), but say so and what to run, in one line. */
static void damage_hint(const struct vpmem_image_req *im)
{
	struct vpmem_image_hints h = { .slot = -1 };
	char hint[512];
	int fd;

	if (im->devdax || (fd = vpmem_open_input(im->path, O_RDONLY, VPMEM_IN_REG, "image", NULL)) < 0)
		return;
	if (check_hint(fd, im->path, &h, hint, sizeof(hint)))
		fprintf(stderr, "vpmem: warning: '%s' is %s\n", im->path, hint);
	close(fd);
}

/* --- CXL type-3 PMem (see cxl.h): kernel release, verdicts, description --- */

/* --pmem-image FILE with FILE.lsa beside it: a CXL image, attached as a CXL
 * type-3 device with the serial its labels carry (image.h). 0 or reported. */
static int take_cxl_images(struct vpmem_vm_spec *spec)
{
	struct vpmem_err err = { 0 };
	unsigned k = 0;

	for (unsigned i = 0; i < spec->nimages; i++) {
		struct vpmem_image_req *im = &spec->images[i];

		if (!vpmem_image_is_cxl(im->path)) {
			spec->images[k++] = *im;
			continue;
		}
		if (im->slot >= 0 || im->node >= 0)
			return cmd_error(EXIT_FAIL, "run: --pmem-image '%s' is a CXL image: it takes no slot= or node= (its serial is its identity)",
					 im->path);
		{
			char rp[PATH_MAX]; /* QEMU and a saved VM must find it from anywhere */

			if (realpath(im->path, rp) && strlen(rp) < PATH_MAX)
				strcpy((char *)im->path, rp); /* o->image_paths[] are PATH_MAX long */
		}
		if (spec->ncxl_images >= VPMEM_CXL_MAX_DEVS)
			return cmd_error(EXIT_FAIL, "run: at most %u CXL images", VPMEM_CXL_MAX_DEVS);
		if (vpmem_cxl_image_probe(im->path, &spec->cxl_images[spec->ncxl_images], &err))
			return cmd_error(EXIT_FAIL, "run: --pmem-image '%s': %s", im->path, err.msg);
		spec->ncxl_images++;
	}
	spec->nimages = k;
	return 0;
}

/* The guest kernel's release decides the CXL workarounds: --kernel's bzImage
 * header, else the default guest's built release, else its alias (6.1, 6.12). */
static const char *cxl_kernel_release(const struct run_opts *o, char *buf, size_t len)
{
	struct vpmem_guest_files g;

	if (o->kernel)
		return vpmem_kernel_file_release(o->kernel, buf, len, NULL) ? NULL : buf;
	if (vpmem_guest_files(&g, o->guest_kernel, false, NULL))
		return NULL;
	snprintf(buf, len, "%s", g.version[0] ? g.version : g.name);
	return buf;
}

static void cxl_assess(struct vpmem_vm_plan *plan, bool qemu_pmem, struct vpmem_persist_report *reps)
{
	for (unsigned i = 0; i < plan->cxl.ndevs; i++) {
		struct vpmem_cxl_dev *d = &plan->cxl.dev[i];
		struct vpmem_persist_opts po = { .pmem_off = !qemu_pmem };

		vpmem_persist_check(d->path, &po, &reps[i], NULL);
		d->pmem = qemu_pmem && reps[i].dax && reps[i].verdict == VPMEM_GUARANTEED;
	}
}

static void cxl_describe(const struct vpmem_vm_plan *plan, const struct vpmem_persist_report *reps)
{
	const struct vpmem_cxl_plan *c = &plan->cxl;
	char a[32], b[32], h[32], buf[1024];

	for (unsigned i = 0; i < c->ndevs; i++) {
		const struct vpmem_cxl_dev *d = &c->dev[i];

		fprintf(stderr, "vpmem: cxl-type3 %u on rp%u, sn 0x%" PRIx64 ": '%s' (%s%s), label area '%s' (%s) -> guest pmem region %s, cookie 0x%" PRIx64 ", persistence: %s%s\n",
			i, vpmem_cxl_dev_port(i), d->serial, d->path, vpmem_size_str(d->size, a, sizeof(a)), d->create ? ", new" : "",
			d->lsa_path, vpmem_size_str(d->lsa_size, b, sizeof(b)),
			vpmem_size_human(d->size, h, sizeof(h)), d->cookie,
			verdict_text(&reps[i], buf, sizeof(buf)), d->pmem ? ", pmem=on" : "");
	}
	if (c->ndevs) {
		if (c->kernel)
			snprintf(b, sizeof(b), "%u.%u", c->kernel / 1000, c->kernel % 1000);
		fprintf(stderr, "vpmem: CXL: %u host bridge%s (one per device), %u root ports (one spare each), window%s %s; guest kernel %s: %s\n",
			c->ndevs, c->ndevs == 1 ? "" : "s", c->root_ports, c->ndevs == 1 ? "" : "s",
			vpmem_size_str(c->window, a, sizeof(a)), c->kernel ? b : "unknown",
			c->cpu_no_hypervisor || c->pcie_ports_compat
			? "workarounds -cpu ...,-hypervisor and pcie_ports=compat" : "no workarounds needed");
	}
}

static json_object *cxl_json(const struct vpmem_cxl_plan *c)
{
	json_object *o = json_object_new_object(), *devs = json_object_new_array(), *w;

	for (unsigned i = 0; i < c->ndevs; i++) {
		const struct vpmem_cxl_dev *d = &c->dev[i];
		json_object *j = json_object_new_object();
		char sn[32];

		snprintf(sn, sizeof(sn), "0x%" PRIx64, d->serial);
		json_object_object_add(j, "memdev", json_object_new_int((int)d->index));
		json_object_object_add(j, "root_port", json_object_new_int((int)vpmem_cxl_dev_port(d->index)));
		json_object_object_add(j, "serial", json_object_new_string(sn));
		json_object_object_add(j, "path", json_object_new_string(d->path));
		json_object_object_add(j, "lsa_path", json_object_new_string(d->lsa_path));
		json_object_object_add(j, "size", json_object_new_uint64(d->size));
		json_object_object_add(j, "lsa_size", json_object_new_uint64(d->lsa_size));
		json_object_object_add(j, "region_size", json_object_new_uint64(d->size));
		snprintf(sn, sizeof(sn), "0x%" PRIx64, d->cookie);
		json_object_object_add(j, "iset_id", json_object_new_string(sn));
		json_object_object_add(j, "pmem", json_object_new_boolean(d->pmem));
		json_object_object_add(j, "create", json_object_new_boolean(d->create));
		json_object_array_add(devs, j);
	}
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "host_bridges", json_object_new_int((int)c->ndevs));
	json_object_object_add(o, "root_ports", json_object_new_int((int)c->root_ports));
	json_object_object_add(o, "window", json_object_new_uint64(c->window));
	w = json_object_new_array();
	if (c->cpu_no_hypervisor)
		json_object_array_add(w, json_object_new_string("-cpu -hypervisor"));
	if (c->pcie_ports_compat)
		json_object_array_add(w, json_object_new_string("pcie_ports=compat"));
	json_object_object_add(o, "workarounds", w);
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

/* Where things live for one run. */
struct run_paths {
	char state[PATH_MAX], run[PATH_MAX + 8];
	char console[PATH_MAX + 32], out[PATH_MAX + 32], err[PATH_MAX + 32], status[PATH_MAX + 32];
	char cmd[PATH_MAX + 32], qemu_log[PATH_MAX + 32], qmp[PATH_MAX + 32];
	char lvdir[PATH_MAX - 64];        /* libvirt (system): what its QEMU reads */
	char lvcmd[PATH_MAX];             /* the command file there */
	char kernel[PATH_MAX], initrd[PATH_MAX];
};

static void set_paths(struct run_paths *p)
{
	snprintf(p->run, sizeof(p->run), "%s/run", p->state);
	snprintf(p->console, sizeof(p->console), "%s/console.log", p->run);
	snprintf(p->out, sizeof(p->out), "%s/stdout", p->run);
	snprintf(p->err, sizeof(p->err), "%s/stderr", p->run);
	snprintf(p->status, sizeof(p->status), "%s/status", p->run);
	snprintf(p->cmd, sizeof(p->cmd), "%s/cmd", p->run);
	snprintf(p->qemu_log, sizeof(p->qemu_log), "%s/qemu.log", p->run);
	snprintf(p->qmp, sizeof(p->qmp), "%s/qmp.sock", p->run);
}

static int libvirt_xml(const struct run_opts *o, const struct vpmem_vm_plan *plan, const struct run_paths *p,
		       const char *append, const char *accel, char **xml)
{
	struct vpmem_libvirt_opts lo = {
		.name = o->name, .kernel = p->kernel, .initrd = o->kernel && !o->initrd ? NULL : p->initrd,
		.cmdline = append, .kvm = !strcmp(accel, "kvm"),
	};
	struct vpmem_err err = { 0 };
	char emu[PATH_MAX];

	if (o->cmd) {
		lo.cmd_path = p->lvcmd[0] ? p->lvcmd : p->cmd;
		lo.console_path = p->console;
		lo.out_path = p->out;
		lo.err_path = p->err;
		lo.status_path = p->status;
	}
	vpmem_which(o->qemu, emu, sizeof(emu));
	lo.emulator = emu[0] == '/' ? emu : NULL;
	if (vpmem_libvirt_xml(plan, &lo, xml, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	return 0;
}

static int build_argv(const struct run_opts *o, const struct vpmem_vm_plan *plan, const struct run_paths *p,
		      const char *accel, const char *append, struct vpmem_strv *qargv)
{
	struct vpmem_qemu_boot boot = {
		.binary = o->qemu, .accel = accel,
		.kernel = p->kernel, .initrd = o->kernel && !o->initrd ? NULL : p->initrd,
		.append = append, .batch = o->cmd != NULL,
		.console_path = p->console, .out_path = p->out, .err_path = p->err,
		.status_path = p->status, .cmd_path = o->cmd ? p->cmd : NULL,
		.qmp_path = p->qmp, .extra = o->extra,
	};
	struct vpmem_err err = { 0 };

	if (vpmem_qemu_argv(plan, &boot, qargv, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	return 0;
}

/* A file in the state directory, made afresh by the one atomic replace: a
 * symlink planted there is replaced, never followed (vpmem_file_replace). */
static int write_file(const char *path, const char *data)
{
	struct vpmem_err err = { 0 };

	if (vpmem_file_replace(path, data, strlen(data), 0600, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	return 0;
}

/* Print modes: the plan, the accelerator, the argv or the XML; nothing is
 * created unless --create, and stderr says which backings are not there. */
static int print_mode(const struct run_opts *o, struct vpmem_vm_plan *plan, const struct run_paths *p,
		      const char *accel, const char *append, struct vpmem_persist_report *reps)
{
	struct vpmem_strv qargv = VPMEM_STRV_INIT;
	struct vpmem_err err = { 0 };
	char *xml = NULL;
	int r;

	if (o->create) {
		if (vpmem_backings_create(plan, &o->backing, &err))
			return cmd_lib_error(EXIT_FAIL, &err);
		for (unsigned i = 0; i < plan->ndimms; i++)
			if (plan->dimm[i].create && !o->quiet)
				fprintf(stderr, "vpmem: created '%s'\n", plan->dimm[i].path);
	} else {
		for (unsigned i = 0; i < plan->ndimms; i++) {
			struct stat st;

			if (!plan->dimm[i].create || o->quiet)
				continue;
			if (stat(plan->dimm[i].path, &st))
				fprintf(stderr, "vpmem: note: '%s' does not exist yet: run creates it (or pass --create)\n",
					plan->dimm[i].path);
			else
				fprintf(stderr, "vpmem: note: '%s' exists with another size: run would refuse it\n",
					plan->dimm[i].path);
		}
	}
	vpmem_backings_assess(plan, true, reps);
	if (!o->quiet)
		fprintf(stderr, "vpmem: accelerator: %s\n", accel);
	r = o->libvirt ? libvirt_xml(o, plan, p, append, accel, &xml) : build_argv(o, plan, p, accel, append, &qargv);
	if (r)
		goto out;
	if (o->json) {
		json_object *j = plan_json(o, plan, accel);

		if (xml) {
			json_object_object_add(j, "xml", json_object_new_string(xml));
		} else {
			json_object *a = json_object_new_array();

			for (size_t i = 0; i < qargv.n; i++)
				json_object_array_add(a, json_object_new_string(qargv.v[i]));
			json_object_object_add(j, "argv", a);
		}
		out_json(j);
	} else if (xml) {
		fputs(xml, stdout);
	} else {
		print_argv(qargv.v);
	}
out:
	free(xml);
	vpmem_strv_free(&qargv);
	return r;
}

/* libvirt's QEMU (qemu:///system) runs as libvirt-qemu: stage the kernel and
 * initrd where it can read them, and refuse backings it cannot reach. */
static int libvirt_paths(const struct run_opts *o, struct run_paths *p)
{
	struct vpmem_err err = { 0 };
	char k[PATH_MAX], i[PATH_MAX];

	if (!vpmem_libvirt_uri_is_system(o->connect))
		return 0;
	if (vpmem_libvirt_vm_dir(o->name, p->lvdir, sizeof(p->lvdir), true, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	snprintf(k, sizeof(k), "%s", p->kernel);
	snprintf(i, sizeof(i), "%s", p->initrd);
	if (vpmem_libvirt_stage(p->lvdir, k, "vmlinuz", p->kernel, sizeof(p->kernel), &err) ||
	    (i[0] && vpmem_libvirt_stage(p->lvdir, i, "initrd.img", p->initrd, sizeof(p->initrd), &err)))
		return cmd_lib_error(EXIT_FAIL, &err);
	return 0;
}

static int check_in_use(const struct vpmem_vm_plan *plan, const char *state)
{
	for (unsigned i = 0; i < plan->ndimms; i++) {
		struct vpmem_err err = { 0 };
		int r = vpmem_backing_in_use(plan->dimm[i].path, state, &err);

		if (r == -EACCES)
			fprintf(stderr, "vpmem: warning: %s\n", err.msg);
		else if (r)
			return cmd_lib_error(EXIT_FAIL, &err);
	}
	return 0;
}

static int save_state(const struct run_opts *o, const struct run_paths *p, const struct vpmem_vm_plan *plan,
		      const struct vpmem_strv *qargv, const bool *created)
{
	static struct vpmem_vmstate st;
	struct vpmem_err err = { 0 };
	int r;

	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "%s", o->name);
	st.launcher = o->libvirt ? VPMEM_LAUNCHER_LIBVIRT : VPMEM_LAUNCHER_QEMU;
	if (o->libvirt) {
		snprintf(st.connect, sizeof(st.connect), "%s", o->connect ? o->connect : VPMEM_LIBVIRT_DEFAULT_URI);
		snprintf(st.domain, sizeof(st.domain), "%s", o->name);
		if (p->lvdir[0])
			st.extra_dir = strdup(p->lvdir);
	}
	r = vpmem_vmstate_from_plan(&st, plan, created, &err);
	for (size_t i = 0; !r && i < o->machine.n; i++)
		r = vpmem_strv_push(&st.options, o->machine.v[i]);
	for (size_t i = 0; !r && qargv && i < qargv->n; i++)
		r = vpmem_strv_push(&st.argv, qargv->v[i]);
	if (!r)
		r = vpmem_vmstate_save(p->state, &st, &err);
	vpmem_vmstate_free(&st);
	return r ? cmd_lib_error(EXIT_FAIL, &err) : 0;
}

/* Which backings this VM owns: made now, or made by an earlier run of it. */
static void mark_created(const struct vpmem_vm_plan *plan, const char *state, bool *created)
{
	static struct vpmem_vmstate st;

	for (unsigned i = 0; i < plan->ndimms; i++)
		created[i] = plan->dimm[i].create;
	if (vpmem_vmstate_load(state, &st, NULL))
		return;
	for (unsigned i = 0; i < plan->ndimms; i++)
		for (unsigned k = 0; k < st.ndimms; k++)
			if (st.dimm[k].created && !strcmp(st.dimm[k].path, plan->dimm[i].path))
				created[i] = true;
	vpmem_vmstate_free(&st);
}

static int run_libvirt(const struct run_opts *o, const struct run_paths *p, const struct vpmem_vm_plan *plan,
		       const char *accel, const char *append)
{
	struct vpmem_libvirt_run lr = {
		.uri = o->connect, .name = o->name, .wait = o->cmd != NULL, .timeout_sec = o->timeout,
		.out_fd = 1, .err_fd = 2, .out_path = p->out, .err_path = p->err,
		.status_path = p->status, .console_path = p->console, .stop = vpmem_stop_flag(),
	};
	struct vpmem_err err = { 0 };
	char *xml = NULL;
	int r, status = 0;

	if (o->cmd) {
		r = write_file(p->lvcmd[0] ? p->lvcmd : p->cmd, o->cmd);
		if (!r)
			chmod(p->lvcmd[0] ? p->lvcmd : p->cmd, 0644);
		if (r)
			return r;
	}
	r = libvirt_xml(o, plan, p, append, accel, &xml);
	if (r)
		return r;
	lr.xml = xml;
	fflush(stdout);
	r = vpmem_libvirt_run(&lr, &status, &err);
	free(xml);
	if (r == -EINTR)
		return cmd_error(128 + vpmem_stop_signal(), "%s", err.msg);
	if (r)
		return cmd_error(EXIT_FAIL, "%s (console log: %s)", err.msg, p->console);
	if (!o->cmd) {
		if (!o->quiet)
			fprintf(stderr, "vpmem: domain '%s' started (console: virsh%s%s console %s; stop: vpmem vm stop %s)\n",
				o->name, o->connect ? " -c " : "", o->connect ? o->connect : "", o->name, o->name);
		return EXIT_OK;
	}
	return status;
}

static int run_qemu(const struct run_opts *o, const struct run_paths *p, const struct vpmem_strv *qargv)
{
	struct vpmem_guest_io io = {
		.argv = qargv->v, .timeout_sec = o->timeout, .out_fd = 1, .err_fd = 2,
		.console_path = p->console, .out_path = p->out, .err_path = p->err,
		.status_path = p->status, .qemu_log_path = p->qemu_log, .pid_dir = p->state,
		.stop = vpmem_stop_flag(),
	};
	struct vpmem_err err = { 0 };
	int r, status = 0;

	if (!o->cmd) {
		/* interactive: QEMU takes this process (and its pid and lock) */
		vpmem_stop_signals_end();
		execvp(qargv->v[0], qargv->v);
		return cmd_error(EXIT_FAIL, "cannot run '%s': %s", qargv->v[0], strerror(errno));
	}
	r = write_file(p->cmd, o->cmd);
	if (r)
		return r;
	r = vpmem_guest_exec(&io, &status, &err);
	if (r == -EINTR)
		return cmd_error(128 + vpmem_stop_signal(), "%s", err.msg);
	if (r)
		return cmd_error(EXIT_FAIL, "%s (console log: %s)", err.msg, p->console);
	return status;
}

/* Will the guest kernel see what this machine gives it? Refuse in one line
 * when an option is not set; warn when a module is not in the initramfs
 * (lib/host/kernel.c, cached per kernel). */
static int check_guest_kernel(const struct run_opts *o, const struct vpmem_vm_plan *plan,
			      const struct vpmem_guest_files *g, const char *append)
{
	struct vpmem_kernel_req req = {
		.kernel = o->kernel ? o->kernel : g->kernel, .config = o->kernel_config,
		.initrd = o->kernel ? o->initrd : g->initrd, .no_modules = o->kernel && !o->initrd,
	};
	struct vpmem_kernel_needs needs = {
		.nvdimm = plan->ndimms && !plan->virtio, .virtio_pmem = plan->ndimms && plan->virtio,
		.memmap = strstr(append, "memmap=") && strchr(strstr(append, "memmap="), '!'),
		.own_initrd = o->kernel != NULL,
	};
	struct vpmem_kernel_verdict v;
	struct vpmem_err err = { 0 };

	if (vpmem_guest_kernel_check(&req, &needs, &v, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	if (v.refuse)
		return cmd_error(EXIT_FAIL, "%s", v.refusal);
	for (unsigned i = 0; i < v.nwarnings; i++)
		fprintf(stderr, "vpmem: warning: %s\n", v.warnings[i]);
	if (v.unknown && o->kernel && !o->quiet)
		fprintf(stderr, "vpmem: guest kernel not checked: no configuration found (%s); see --kernel-config\n",
			v.note);
	return 0;
}

static void say_probing(void *arg, unsigned timeout_sec)
{
	if (!*(const bool *)arg)
		fprintf(stderr, "vpmem: probing KVM with a test boot of the default guest (up to %u s, once: the answer is cached)\n",
			timeout_sec);
}

/* --accel auto: KVM if a probe boot works, saying why not when /dev/kvm is there */
static const char *pick_accel(const struct run_opts *o, const char *qemu_version,
			      const struct vpmem_guest_files *g, bool default_guest)
{
	struct vpmem_kvm_verdict v;
	const char *accel = vpmem_choose_accel_probe(o->accel, o->qemu, qemu_version, g, default_guest,
						     say_probing, (void *)&o->quiet, &v);

	if (!o->quiet && v.device && !v.usable && *v.why)
		fprintf(stderr, "vpmem: KVM is not usable, using TCG: %s\n", v.why);
	return accel;
}

int cmd_run(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static struct run_opts o, saved;
	static struct vpmem_persist_report reps[VPMEM_MAX_DIMMS];
	static struct run_paths p;
	static struct vpmem_vm_plan plan;
	struct vpmem_err err = { 0 };
	struct vpmem_strv qargv = VPMEM_STRV_INIT;
	struct vpmem_guest_files g;
	struct vpmem_qemu_caps caps;
	bool created[VPMEM_MAX_DIMMS], stale = false, have_caps = false;
	static struct vpmem_persist_report cxl_reps[VPMEM_CXL_MAX_DEVS];
	char append[2048], release[96];
	const char *accel;
	int r, lockfd = -1;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	o.json |= ctx->json;
	memset(&p, 0, sizeof(p));
	if (o.state_dir)
		snprintf(p.state, sizeof(p.state), "%s", o.state_dir);
	else if (vpmem_vmstate_dir(o.name, p.state, sizeof(p.state) - 64, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	set_paths(&p);
	r = reuse_saved(&o, &saved, p.state);
	if (r)
		return r;
	if (vpmem_guest_files(&g, o.guest_kernel, false, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	snprintf(p.kernel, sizeof(p.kernel), "%s", o.kernel ? o.kernel : g.kernel);
	snprintf(p.initrd, sizeof(p.initrd), "%s", o.kernel ? (o.initrd ? o.initrd : "") : g.initrd);
	o.spec.state_dir = p.state;
	o.spec.libvirt_sizes = o.libvirt;
	if (o.libvirt && vpmem_libvirt_uri_is_system(o.connect)) {
		/* kernel, initrd and default backings where libvirt's QEMU user
		 * can reach them (created when run applies, not when it prints) */
		if (vpmem_libvirt_vm_dir(o.name, p.lvdir, sizeof(p.lvdir), false, &err))
			return cmd_lib_error(EXIT_FAIL, &err);
		if (!o.state_dir)
			o.spec.state_dir = p.lvdir;
		snprintf(p.lvcmd, sizeof(p.lvcmd), "%s/cmd", p.lvdir);
	}
	if (take_cxl_images(&o.spec))
		return EXIT_FAIL;
	for (unsigned i = 0; i < o.spec.nimages; i++)
		if (vpmem_reconf_busy(o.spec.images[i].path, &err) ||  /* a namespace half converted */
		    vpmem_backing_probe(&o.spec.images[i], o.spec.label_size, &err))
			return cmd_lib_error(EXIT_FAIL, &err);
	for (unsigned i = 0; i < o.spec.nimages; i++)
		damage_hint(&o.spec.images[i]);
	for (unsigned i = 0; i < o.spec.ndirs; i++)
		if (vpmem_backing_dir_check(o.spec.dirs[i], &err))
			return cmd_lib_error(EXIT_FAIL, &err);

	/* the accelerator run would use, printing modes included */
	accel = !strcmp(o.accel, "auto") ? "tcg" : o.accel;
	if (!strcmp(o.accel, "auto") && !vpmem_qemu_probe(o.qemu, &caps, NULL)) {
		have_caps = true;
		accel = pick_accel(&o, caps.version, &g, !o.kernel);
	}
	o.spec.phys_bits = strcmp(accel, "kvm") ? 40 : 0; /* TCG -cpu max: TCG_PHYS_ADDR_BITS */
	if (o.spec.cxl_pmem || o.spec.ncxl_images)
		o.spec.kernel_release = cxl_kernel_release(&o, release, sizeof(release));
	if (vpmem_vm_plan(&o.spec, &plan, &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	if (vpmem_backings_settle(&plan, o.print, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	vpmem_plan_bind_host_nodes(&o.spec, &plan);
	if (vpmem_guest_cmdline(!strcmp(accel, "tcg"), o.append, append, sizeof(append))) {
		r = cmd_usage_error("run", "--append: the kernel command line is too long");
		goto out;
	}
	for (unsigned i = 0; o.libvirt && i < plan.ndimms; i++) {
		if (!vpmem_libvirt_reachable(o.connect, plan.dimm[i].path, &err))
			continue;
		if (!o.print) {
			r = cmd_lib_error(EXIT_FAIL, &err);
			goto out;
		}
		if (!o.quiet)
			fprintf(stderr, "vpmem: note: %s\n", err.msg);
	}

	if (o.print) {
		if (p.lvdir[0]) {
			/* where run stages them (printing copies nothing) */
			snprintf(p.kernel, sizeof(p.kernel), "%s/vmlinuz", p.lvdir);
			if (p.initrd[0])
				snprintf(p.initrd, sizeof(p.initrd), "%s/initrd.img", p.lvdir);
		}
		r = print_mode(&o, &plan, &p, accel, append, reps);
		goto out;
	}

	if (!have_caps && vpmem_qemu_probe(o.qemu, &caps, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	if (vpmem_qemu_check(&plan, &caps, &err)) {
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
		if (!strcmp(o.accel, "auto"))
			accel = pick_accel(&o, caps.version, &g, true);
	}
	/* Apply: lock, safety, backings, verdicts, spec; then the launcher. */
	if (vpmem_mkdir_p(p.run, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	vpmem_stop_signals_begin();
	lockfd = vpmem_vmstate_lock(p.state, o.name, &stale, &err);
	if (lockfd < 0) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	if (stale && !o.quiet)
		fprintf(stderr, "vpmem: VM '%s': cleared a stale lock (its run is gone)\n", o.name);
	if (o.libvirt) {
		enum vpmem_domain_state ds;
		long dpid = 0;

		if (!vpmem_libvirt_state(o.connect, o.name, &ds, &dpid, NULL) &&
		    ds != VPMEM_DOMAIN_ABSENT && ds != VPMEM_DOMAIN_SHUTOFF) {
			r = cmd_error(EXIT_FAIL, "VM '%s' is already running (libvirt domain, pid %ld; stop it with 'vpmem vm stop %s')",
				      o.name, dpid, o.name);
			goto out;
		}
	}
	r = check_in_use(&plan, p.state);
	if (r)
		goto out;
	/* after the lock: a VM that is already running is said first */
	r = check_guest_kernel(&o, &plan, &g, append);
	if (r)
		goto out;
	if (o.libvirt) {
		r = libvirt_paths(&o, &p);
		if (r)
			goto out;
	}
	/* the plan was checked without touching state: settle again now that
	 * the directories exist and the lock is ours */
	if (vpmem_backings_settle(&plan, false, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	mark_created(&plan, p.state, created);
	if (vpmem_backings_create(&plan, &o.backing, &err)) {
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	/* CXL through libvirt: <qemu:commandline> files are QEMU's to open */
	if (o.libvirt && plan.cxl.ndevs && vpmem_libvirt_uri_is_system(o.connect) &&
	    vpmem_cxl_libvirt_prepare(&plan.cxl, VPMEM_LIBVIRT_QEMU_USER, &err)) {
		vpmem_backings_remove_created(&plan);
		r = cmd_lib_error(EXIT_FAIL, &err);
		goto out;
	}
	vpmem_backings_assess(&plan, caps.backend_pmem, reps);
	cxl_assess(&plan, caps.backend_pmem, cxl_reps);
	if (!o.quiet) {
		describe(&o, &plan, accel, reps);
		cxl_describe(&plan, cxl_reps);
	}
	if (o.require) {
		for (unsigned i = 0; i < plan.ndimms; i++) {
			char buf[1024];

			if (reps[i].verdict == VPMEM_GUARANTEED)
				continue;
			r = cmd_error(EXIT_FAIL, "--require-persistence: '%s' is %s", plan.dimm[i].path,
				      verdict_text(&reps[i], buf, sizeof(buf)));
			vpmem_backings_remove_created(&plan);
			goto out;
		}
		/* a CXL device's memory file: the same verdict (cxl_assess) */
		for (unsigned i = 0; i < plan.cxl.ndevs; i++) {
			char buf[1024];

			if (cxl_reps[i].verdict == VPMEM_GUARANTEED)
				continue;
			r = cmd_error(EXIT_FAIL, "--require-persistence: '%s' is %s", plan.cxl.dev[i].path,
				      verdict_text(&cxl_reps[i], buf, sizeof(buf)));
			vpmem_backings_remove_created(&plan);
			goto out;
		}
	}
	if (!o.libvirt)
		r = build_argv(&o, &plan, &p, accel, append, &qargv);
	if (!r)
		r = save_state(&o, &p, &plan, o.libvirt ? NULL : &qargv, created);
	if (r)
		goto out;
	if (o.json && !o.cmd)
		out_json(plan_json(&o, &plan, accel));
	fflush(stdout);
	if (vpmem_stop_signal()) {
		r = cmd_error(128 + vpmem_stop_signal(), "interrupted before the VM started");
		goto out;
	}
	r = o.libvirt ? run_libvirt(&o, &p, &plan, accel, append) : run_qemu(&o, &p, &qargv);
out:
	if (lockfd >= 0) {
		vpmem_vmstate_clear_pid(p.state);
		close(lockfd);
	}
	vpmem_stop_signals_end();
	vpmem_strv_free(&qargv);
	vpmem_vm_plan_free(&plan);
	return r;
}
