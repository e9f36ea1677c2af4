// SPDX-License-Identifier: MIT
/* VM planner: spec -> plan, pure; facts and sources in include/vpmem/vm.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/nfit.h>
#include <vpmem/size.h>
#include <vpmem/vm.h>

#define DEFAULT_RAM (512ULL << 20)
#define DEFAULT_HOTPLUG_SLOTS 2
#define RAM_ALIGN (2ULL << 20)
#define MIN_RAM (128ULL << 20)
#define MAX_CORES 255u
/* QEMU pc: below-4G RAM limits (hw/i386/pc_piix.c pc_init1, gigabyte_align). */
#define PC_LOWMEM_SPLIT 0xe0000000ULL
#define PC_LOWMEM_GB_ALIGNED 0xc0000000ULL
#define FOUR_GiB (4ULL << 30)
/* Room QEMU puts above device memory (64-bit PCI hole, default 32 GiB, aligned)
 * that must also fit under phys-bits (hw/i386/pc.c pc_max_used_gpa). */
#define PCI_HOLE64_MARGIN (64ULL << 30)

uint64_t vpmem_vm_region_size(uint64_t size, uint64_t label_size, uint64_t align)
{
	if (size <= label_size)
		return 0;
	return vpmem_align_down(size - label_size, align ? align : 4096);
}

const char *vpmem_persistence_name(enum vpmem_persistence p)
{
	switch (p) {
	case VPMEM_PERSIST_CPU: return "cpu";
	case VPMEM_PERSIST_MEMCTRL: return "mem-ctrl";
	default: return NULL;
	}
}

int vpmem_persistence_parse(const char *s, enum vpmem_persistence *p, struct vpmem_err *err)
{
	if (!strcmp(s, "cpu"))
		*p = VPMEM_PERSIST_CPU;
	else if (!strcmp(s, "mem-ctrl"))
		*p = VPMEM_PERSIST_MEMCTRL;
	else
		return vpmem_err_set(err, EINVAL,
				     "--persistence: unknown domain '%s' (use cpu or mem-ctrl)", s);
	return 0;
}

static void note(struct vpmem_vm_plan *plan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct vpmem_vm_plan *plan, const char *fmt, ...)
{
	size_t used = strlen(plan->notes);
	va_list ap;

	if (used + 2 >= sizeof(plan->notes))
		return;
	if (used)
		plan->notes[used++] = '\n';
	va_start(ap, fmt);
	vsnprintf(plan->notes + used, sizeof(plan->notes) - used, fmt, ap);
	va_end(ap);
}

void vpmem_vm_plan_free(struct vpmem_vm_plan *plan)
{
	for (unsigned i = 0; i < plan->ndimms; i++) {
		free(plan->dimm[i].path);
		plan->dimm[i].path = NULL;
	}
	plan->ndimms = 0;
	vpmem_cxl_plan_free(&plan->cxl);
}

static int plan_nodes(const struct vpmem_vm_spec *spec, struct vpmem_vm_plan *plan,
		      struct vpmem_err *err)
{
	char a[32], b[32];
	uint64_t share;
	unsigned per, extra;

	plan->ram = spec->ram ? spec->ram : DEFAULT_RAM;
	plan->nodes = spec->nodes ? spec->nodes : 1;
	plan->cores = spec->cores ? spec->cores : plan->nodes;
	if (plan->nodes > VPMEM_MAX_NODES)
		return vpmem_err_set(err, EINVAL, "--qemu-nodes %u: at most %u nodes are supported",
				     plan->nodes, VPMEM_MAX_NODES);
	if (plan->cores > MAX_CORES)
		return vpmem_err_set(err, EINVAL, "--qemu-cores %u: at most %u cores are supported",
				     plan->cores, MAX_CORES);
	if (plan->cores < plan->nodes)
		return vpmem_err_set(err, EINVAL,
				     "--qemu-nodes %u is more than --qemu-cores %u: every node needs a core (raise --qemu-cores)",
				     plan->nodes, plan->cores);
	if (plan->ram < MIN_RAM)
		return vpmem_err_set(err, EINVAL, "--qemu-memory %s is too small: the guest needs at least %s",
				     vpmem_size_str(plan->ram, a, sizeof(a)),
				     vpmem_size_str(MIN_RAM, b, sizeof(b)));
	if (!vpmem_is_aligned(plan->ram, RAM_ALIGN))
		return vpmem_err_set(err, EINVAL, "--qemu-memory %s is not a multiple of 2M",
				     vpmem_size_str(plan->ram, a, sizeof(a)));
	share = vpmem_align_down(plan->ram / plan->nodes, RAM_ALIGN);
	if (share < (32ULL << 20))
		return vpmem_err_set(err, EINVAL,
				     "--qemu-memory %s gives each of %u nodes less than 32M of RAM",
				     vpmem_size_str(plan->ram, a, sizeof(a)), plan->nodes);
	per = plan->cores / plan->nodes;
	extra = plan->cores % plan->nodes;
	for (unsigned i = 0, cpu = 0; i < plan->nodes; i++) {
		plan->node[i].ram = share;
		plan->node[i].cpu_first = cpu;
		plan->node[i].ncpus = per + (i < extra);
		plan->node[i].host_node = -1;
		cpu += plan->node[i].ncpus;
	}
	if (share * plan->nodes != plan->ram) {
		uint64_t rem = plan->ram - share * plan->nodes;

		plan->node[plan->nodes - 1].ram += rem;
		note(plan, "RAM %s does not split evenly over %u nodes: node %u gets the remaining %s",
		     vpmem_size_str(plan->ram, a, sizeof(a)), plan->nodes, plan->nodes - 1,
		     vpmem_size_str(rem, b, sizeof(b)));
	}
	if (extra)
		note(plan, "%u cores do not split evenly over %u nodes: nodes 0-%u get one more",
		     plan->cores, plan->nodes, extra - 1);
	return 0;
}

static const struct vpmem_vm_dimm *dimm_at_slot(const struct vpmem_vm_plan *plan, unsigned slot)
{
	for (unsigned i = 0; i < plan->ndimms; i++)
		if (plan->dimm[i].slot == slot)
			return &plan->dimm[i];
	return NULL;
}

static bool slot_used(const struct vpmem_vm_plan *plan, unsigned slot)
{
	return dimm_at_slot(plan, slot) != NULL;
}

static unsigned next_free_slot(const struct vpmem_vm_plan *plan)
{
	unsigned s = 0;

	while (slot_used(plan, s))
		s++;
	return s;
}

static int add_images(const struct vpmem_vm_spec *spec, uint64_t label_size, bool label_given,
		      struct vpmem_vm_plan *plan, struct vpmem_err *err)
{
	/* pinned slots first so that automatic ones never take them */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < spec->nimages; i++) {
			const struct vpmem_image_req *im = &spec->images[i];
			const struct vpmem_vm_dimm *other;
			struct vpmem_vm_dimm *d;
			int slot = im->slot >= 0 ? im->slot : im->label_slot;
			char a[32], b[32];

			if ((pass == 0) != (slot >= 0))
				continue;
			if (im->slot >= 0 && im->label_slot >= 0 && im->slot != im->label_slot)
				return vpmem_err_set(err, EINVAL,
						     "'%s': its labels belong to slot %d but slot=%d was asked; the guest would ignore them (use slot=%d)",
						     im->path, im->label_slot, im->slot, im->label_slot);
			if (slot >= (int)VPMEM_NFIT_MAX_SLOTS)
				return vpmem_err_set(err, EINVAL, "'%s': slot=%d is out of range (0-%u)",
						     im->path, slot, VPMEM_NFIT_MAX_SLOTS - 1);
			if (slot >= 0 && (other = dimm_at_slot(plan, (unsigned)slot)))
				return vpmem_err_set(err, EINVAL,
						     "'%s': slot %d is already used by '%s'",
						     im->path, slot, other->path);
			if (im->node >= (int)plan->nodes)
				return vpmem_err_set(err, EINVAL,
						     "'%s': node=%d but the guest has %u node(s) (raise --qemu-nodes)",
						     im->path, im->node, plan->nodes);
			if (plan->ndimms >= VPMEM_MAX_DIMMS)
				return vpmem_err_set(err, EINVAL, "too many vNVDIMMs (at most %d)",
						     VPMEM_MAX_DIMMS);
			d = &plan->dimm[plan->ndimms];
			d->slot = slot >= 0 ? (unsigned)slot : next_free_slot(plan);
			d->path = strdup(im->path);
			if (!d->path)
				return vpmem_err_set(err, ENOMEM, "out of memory");
			plan->ndimms++;
			d->node = im->node >= 0 ? (unsigned)im->node : i % plan->nodes;
			d->size = im->size;
			d->devdax = im->devdax;
			d->align = im->devdax ? (im->dax_align ? im->dax_align : 2ULL << 20) : 0;
			if (im->label_size && label_given && label_size != im->label_size)
				return vpmem_err_set(err, EINVAL,
						     "'%s' has a %s label area but --label-size %s was given",
						     im->path, vpmem_size_str(im->label_size, a, sizeof(a)),
						     vpmem_size_str(label_size, b, sizeof(b)));
			d->label_size = im->label_size ? im->label_size : label_size;
			d->region = vpmem_vm_region_size(d->size, d->label_size, d->align);
			if (spec->libvirt_sizes && !vpmem_is_aligned(d->size, VPMEM_LIBVIRT_SIZE_ALIGN))
				return vpmem_err_set(err, EINVAL,
						     "'%s' (%s) is not a multiple of 2M: libvirt would round its size up and QEMU would refuse the file",
						     im->path, vpmem_size_str(d->size, a, sizeof(a)));
			if (!d->region)
				return vpmem_err_set(err, EINVAL,
						     "'%s' (%s) is too small for a %s label area",
						     im->path, vpmem_size_str(d->size, a, sizeof(a)),
						     vpmem_size_str(d->label_size, b, sizeof(b)));
		}
	}
	return 0;
}

static int add_created(const struct vpmem_vm_spec *spec, uint64_t label_size,
		       struct vpmem_vm_plan *plan, struct vpmem_err *err)
{
	uint64_t share, rem;
	char a[32], b[32], c[32], d4[32];

	if (!spec->pmem)
		return 0;
	if (spec->ndirs > 1 && spec->ndirs != plan->nodes)
		return vpmem_err_set(err, EINVAL,
				     "%u --pmem-dir given for %u node(s): give one, or one per node",
				     spec->ndirs, plan->nodes);
	share = vpmem_align_down(spec->pmem / plan->nodes, VPMEM_REGION_ALIGN);
	if (spec->libvirt_sizes && label_size && !vpmem_is_aligned(label_size, VPMEM_LIBVIRT_SIZE_ALIGN)) {
		uint64_t l = 0;

		(void)vpmem_align_up(label_size, VPMEM_LIBVIRT_SIZE_ALIGN, &l);
		note(plan, "libvirt keeps only sizes that are a multiple of 2M: each label area is %s, not %s, so every region stays whole",
		     vpmem_size_str(l, a, sizeof(a)), vpmem_size_str(label_size, b, sizeof(b)));
	}
	if (!share)
		return vpmem_err_set(err, EINVAL,
				     "--qemu-pmem %s is too small: each of %u vNVDIMM(s) needs at least %s (the region alignment)",
				     vpmem_size_str(spec->pmem, a, sizeof(a)), plan->nodes,
				     vpmem_size_str(VPMEM_REGION_ALIGN, b, sizeof(b)));
	rem = spec->pmem - share * plan->nodes;
	if (rem)
		note(plan, "--qemu-pmem %s does not split into %u vNVDIMMs of whole %s: each gets %s, %s is left unused",
		     vpmem_size_str(spec->pmem, a, sizeof(a)), plan->nodes,
		     vpmem_size_str(VPMEM_REGION_ALIGN, b, sizeof(b)),
		     vpmem_size_str(share, c, sizeof(c)), vpmem_size_human(rem, d4, sizeof(d4)));
	for (unsigned n = 0; n < plan->nodes; n++) {
		const char *dir = spec->ndirs ? spec->dirs[spec->ndirs == 1 ? 0 : n] : spec->state_dir;
		struct vpmem_vm_dimm *d;

		if (!dir)
			return vpmem_err_set(err, EINVAL, "no directory for the PMem backing files");
		if (plan->ndimms >= VPMEM_MAX_DIMMS)
			return vpmem_err_set(err, EINVAL, "too many vNVDIMMs (at most %d)", VPMEM_MAX_DIMMS);
		d = &plan->dimm[plan->ndimms];
		d->slot = next_free_slot(plan);
		plan->ndimms++;
		if (d->slot >= VPMEM_NFIT_MAX_SLOTS)
			return vpmem_err_set(err, EINVAL, "no free slot for a vNVDIMM (all %u used)",
					     VPMEM_NFIT_MAX_SLOTS);
		d->node = n;
		d->create = true;
		d->label_size = label_size;
		/* The region is whole 16 MiB, so region + label is a 2 MiB multiple
		 * exactly when the label area is: grow the label area, never the
		 * region (the guest must see the region the plan promises). */
		if (spec->libvirt_sizes && label_size)
			(void)vpmem_align_up(label_size, VPMEM_LIBVIRT_SIZE_ALIGN, &d->label_size);
		d->size = share + d->label_size;
		d->region = share;
		if (asprintf(&d->path, "%s/pmem%u.img", dir, d->slot) < 0) {
			d->path = NULL;
			return vpmem_err_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct vpmem_vm_dimm *x = a, *y = b;

	return (x->slot > y->slot) - (x->slot < y->slot);
}

static int place(const struct vpmem_vm_spec *spec, struct vpmem_vm_plan *plan,
		 struct vpmem_err *err)
{
	uint64_t lowmem, above, total = 0, addr, end, headroom;
	unsigned hot = spec->hotplug_slots < 0 ? DEFAULT_HOTPLUG_SLOTS : (unsigned)spec->hotplug_slots;
	unsigned maxslot = 0;
	char a[32];

	qsort(plan->dimm, plan->ndimms, sizeof(plan->dimm[0]), cmp_slot);
	for (unsigned i = 0; i < plan->ndimms; i++) {
		if (plan->dimm[i].size > VPMEM_MAX_PMEM || total + plan->dimm[i].size > VPMEM_MAX_PMEM)
			return vpmem_err_set(err, EINVAL, "%s of persistent memory is more than a guest can address",
					     plan->dimm[i].size > VPMEM_MAX_PMEM ? "one vNVDIMM" : "the vNVDIMMs together");
		total += plan->dimm[i].size;
		if (plan->dimm[i].slot + 1 > maxslot)
			maxslot = plan->dimm[i].slot + 1;
	}
	plan->slots = (maxslot > plan->ndimms ? maxslot : plan->ndimms) + hot;
	if (!plan->slots)
		plan->slots = 1;
	if (plan->slots > VPMEM_NFIT_MAX_SLOTS)
		return vpmem_err_set(err, EINVAL,
				     "%u memory slots needed but QEMU allows %u (lower --hotplug-slots)",
				     plan->slots, VPMEM_NFIT_MAX_SLOTS);
	headroom = spec->hotplug_mem ? spec->hotplug_mem : (uint64_t)hot * VPMEM_GiB;
	plan->maxmem = plan->ram + total + headroom;
	if (plan->maxmem <= plan->ram)
		plan->maxmem = plan->ram + VPMEM_GiB; /* QEMU: maxmem must exceed ram */

	/* hw/i386/pc_piix.c: lowmem = ram >= 3.5G ? 3G : ram */
	lowmem = plan->ram >= PC_LOWMEM_SPLIT ? PC_LOWMEM_GB_ALIGNED : plan->ram;
	above = plan->ram - lowmem;
	(void)vpmem_align_up(FOUR_GiB + above, VPMEM_GiB, &plan->devmem_base);
	plan->devmem_size = plan->maxmem - plan->ram + (uint64_t)plan->slots * VPMEM_GiB;

	/* Each DIMM on its own 1 GiB boundary, in slot order: every region starts
	 * 16 MiB (and 1 GiB) aligned even when label areas make sizes odd, which
	 * QEMU's back-to-back packing would not give (doc/formats.md 1.2). The window
	 * has 1 GiB of slack per slot, so this always fits. */
	addr = plan->devmem_base;
	for (unsigned i = 0; i < plan->ndimms; i++) {
		uint64_t step = 0;

		plan->dimm[i].addr = addr;
		(void)vpmem_align_up(plan->dimm[i].size, VPMEM_DIMM_ADDR_ALIGN, &step);
		addr += step;
	}
	end = plan->devmem_base + plan->devmem_size;
	if (spec->phys_bits && spec->phys_bits < 64 &&
	    end + PCI_HOLE64_MARGIN > (1ULL << spec->phys_bits))
		return vpmem_err_set(err, EINVAL,
				     "guest memory up to %s does not fit the guest's %u-bit physical address space (less PMem, RAM or hotplug room)",
				     vpmem_size_str(end, a, sizeof(a)), spec->phys_bits);
	return 0;
}

int vpmem_vm_plan(const struct vpmem_vm_spec *spec, struct vpmem_vm_plan *plan,
		  struct vpmem_err *err)
{
	uint64_t label_size = spec->label_size > 0 ? (uint64_t)spec->label_size : 0;
	char a[32], b[32];
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->persistence = spec->persistence;
	plan->virtio = spec->virtio;
	r = plan_nodes(spec, plan, err);
	if (r)
		return r;
	/* the label geometry (vpmem_lsa_geom) stops at 2 GiB; a larger value is a
	 * typo, not a wish to ignore */
	if (spec->label_size < -1 || label_size > VPMEM_MAX_LABEL_SIZE)
		return vpmem_err_set(err, EINVAL, "--label-size%s%s is too large (at most %s)",
				     spec->label_size < -1 ? "" : " ",
				     spec->label_size < -1 ? "" : vpmem_size_str(label_size, a, sizeof(a)),
				     vpmem_size_str(VPMEM_MAX_LABEL_SIZE, b, sizeof(b)));
	/* x86-64 guests address at most 2^52 bytes: more cannot be planned, and
	 * sums of such sizes would wrap */
	if (spec->pmem > VPMEM_MAX_PMEM)
		return vpmem_err_set(err, EINVAL, "--qemu-pmem %s is too large (at most %s, the 52-bit physical address space)",
				     vpmem_size_str(spec->pmem, a, sizeof(a)), vpmem_size_str(VPMEM_MAX_PMEM, b, sizeof(b)));
	r = vpmem_label_size_check(label_size, err);
	if (r)
		return r;
	if (spec->virtio && label_size)
		return vpmem_err_set(err, EINVAL,
				     "--label-size cannot be used with --virtio-pmem (virtio-pmem devices have no label area)");
	if (spec->virtio && spec->persistence)
		return vpmem_err_set(err, EINVAL,
				     "--persistence applies to NFIT vNVDIMMs, not --virtio-pmem (virtio-pmem flushes through the host)");
	if (spec->ncxl_images && (spec->pmem || spec->nimages || spec->virtio || spec->cxl_pmem))
		return vpmem_err_set(err, EINVAL,
				     "CXL images (--pmem-image FILE with FILE.lsa) cannot be combined with vNVDIMMs, virtio-pmem or --cxl-pmem yet");
	if (spec->no_pmem && (spec->pmem || spec->nimages || spec->cxl_pmem || spec->ncxl_images))
		return vpmem_err_set(err, EINVAL, "--no-pmem cannot be combined with --qemu-pmem, --pmem-image or --cxl-pmem");
	if (!spec->pmem && !spec->nimages && !spec->no_pmem && !spec->cxl_pmem && !spec->ncxl_images)
		return vpmem_err_set(err, EINVAL,
				     "no persistent memory asked for (use --qemu-pmem SIZE, --pmem-image FILE or --cxl-pmem SIZE, or --no-pmem)");
	if (spec->cxl_pmem && (spec->pmem || spec->nimages || spec->virtio))
		return vpmem_err_set(err, EINVAL,
				     "--cxl-pmem cannot be combined with vNVDIMMs or virtio-pmem yet (the CXL machine is q35, the vNVDIMM layout is planned for pc)");
	if (spec->cxl_devices && !spec->cxl_pmem)
		return vpmem_err_set(err, EINVAL, "--cxl-devices needs --cxl-pmem");
	if (spec->cxl_pmem || spec->ncxl_images) {
		struct vpmem_cxl_spec cs = {
			.nimages = spec->ncxl_images, .images = spec->cxl_images,
			.size = spec->cxl_pmem, .ndevs = spec->cxl_devices,
			.state_dir = spec->state_dir, .kernel_release = spec->kernel_release,
		};

		r = vpmem_cxl_plan(&cs, &plan->cxl, err);
		if (r)
			return r;
	}
	r = add_images(spec, label_size, spec->label_size >= 0, plan, err);
	if (!r)
		r = add_created(spec, label_size, plan, err);
	if (!r)
		r = place(spec, plan, err);
	if (r)
		vpmem_vm_plan_free(plan);
	return r;
}

static void differ(char *buf, size_t len, bool *any, const char *opt, const char *was, const char *now)
{
	size_t used = strlen(buf);

	if (used + 2 < len)
		snprintf(buf + used, len - used, "%s%s %s (saved: %s)", *any ? ", " : "", opt, now, was);
	*any = true;
}

static const char *u64s(uint64_t v, char *b, size_t n)
{
	return vpmem_size_str(v, b, n);
}

bool vpmem_vm_spec_differs(const struct vpmem_vm_spec *s, const struct vpmem_vm_spec *a,
			   char *buf, size_t len)
{
	char x[64], y[64];
	bool any = false;

	if (len)
		buf[0] = '\0';
#define NUM(field, opt, fmt)                                                        \
	if (s->field != a->field) {                                                 \
		snprintf(x, sizeof(x), fmt, s->field);                              \
		snprintf(y, sizeof(y), fmt, a->field);                              \
		differ(buf, len, &any, opt, x, y);                                  \
	}
	if (s->ram != a->ram)
		differ(buf, len, &any, "--qemu-memory", s->ram ? u64s(s->ram, x, sizeof(x)) : "default",
		       a->ram ? u64s(a->ram, y, sizeof(y)) : "default");
	if (s->pmem != a->pmem)
		differ(buf, len, &any, "--qemu-pmem", s->pmem ? u64s(s->pmem, x, sizeof(x)) : "none",
		       a->pmem ? u64s(a->pmem, y, sizeof(y)) : "none");
	NUM(nodes, "--qemu-nodes", "%u")
	NUM(cores, "--qemu-cores", "%u")
	NUM(hotplug_slots, "--hotplug-slots", "%d")
	if (s->label_size != a->label_size)
		differ(buf, len, &any, "--label-size",
		       s->label_size < 0 ? "default" : u64s((uint64_t)s->label_size, x, sizeof(x)),
		       a->label_size < 0 ? "default" : u64s((uint64_t)a->label_size, y, sizeof(y)));
	if (s->persistence != a->persistence)
		differ(buf, len, &any, "--persistence",
		       s->persistence ? vpmem_persistence_name(s->persistence) : "none",
		       a->persistence ? vpmem_persistence_name(a->persistence) : "none");
	if (s->virtio != a->virtio)
		differ(buf, len, &any, "--virtio-pmem", s->virtio ? "on" : "off", a->virtio ? "on" : "off");
	if (s->no_pmem != a->no_pmem)
		differ(buf, len, &any, "--no-pmem", s->no_pmem ? "on" : "off", a->no_pmem ? "on" : "off");
	if (s->nimages != a->nimages) {
		NUM(nimages, "--pmem-image (count)", "%u")
	} else {
		for (unsigned i = 0; i < s->nimages; i++) {
			const struct vpmem_image_req *p = &s->images[i], *q = &a->images[i];

			if (strcmp(p->path, q->path) || p->slot != q->slot || p->node != q->node)
				differ(buf, len, &any, "--pmem-image", p->path, q->path);
		}
	}
	if (s->ndirs != a->ndirs) {
		NUM(ndirs, "--pmem-dir (count)", "%u")
	} else {
		for (unsigned i = 0; i < s->ndirs; i++)
			if (strcmp(s->dirs[i], a->dirs[i]))
				differ(buf, len, &any, "--pmem-dir", s->dirs[i], a->dirs[i]);
	}
#undef NUM
	return any;
}
