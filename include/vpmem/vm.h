/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine with persistent memory: the request (struct vpmem_vm_spec)
 * and the planner that turns it into a complete, checked layout
 * (struct vpmem_vm_plan): RAM and CPUs per guest NUMA node, one vNVDIMM per
 * node (or per --pmem-image), pinned slots and guest addresses, slots/maxmem.
 *
 * The planner is pure: no I/O. Facts it needs about the host (existing image
 * sizes, which backings are persistent) are put in the spec by the caller.
 *
 * QEMU facts used (QEMU 7.2, hw/i386/pc.c pc_memory_init and
 * hw/i386/pc_piix.c pc_init1; hw/mem/nvdimm.c nvdimm_prepare_memory_region):
 *  - below-4G RAM is min(ram, 3.5 GiB); when ram >= 3.5 GiB only 3 GiB stays
 *    below 4 GiB (gigabyte_align) and the rest is above 4 GiB;
 *  - the device-memory window starts at ROUND_UP(4 GiB + above_4g, 1 GiB) and
 *    is (maxmem - ram) + 1 GiB per slot long (enforce_aligned_dimm);
 *  - guest-visible PMem = ALIGN_DOWN(backend size - label-size, backend align),
 *    label area = the last label-size bytes of the backend;
 *  - label-size must be >= 128 KiB (MIN_NAMESPACE_LABEL_SIZE).
 */
#ifndef VPMEM_VM_H
#define VPMEM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/cxl.h>
#include <vpmem/error.h>
#include <vpmem/label.h>
#include <vpmem/namespace.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_MAX_LABEL_SIZE (2ULL << 30)  /* the label geometry's limit (label.h) */
#define VPMEM_MAX_PMEM (1ULL << 52)        /* x86-64's largest physical address space */

#define VPMEM_MAX_DIMMS 64
#define VPMEM_MAX_NODES 64
#define VPMEM_DIMM_ADDR_ALIGN (1ULL << 30)  /* each DIMM placed on a 1 GiB boundary */
/*
 * libvirt rounds every memory device's <target><size> (backend size, label
 * area included) up to a multiple of 2 MiB on x86 before it starts QEMU
 * (libvirt src/qemu/qemu_domain.c: qemuDomainAlignMemorySizes() with
 * qemuDomainGetMemoryModuleSizeAlignment() = 2048 KiB; the hotplug path
 * qemuDomainMemoryDeviceAlignSize() does the same).
 */
#define VPMEM_LIBVIRT_SIZE_ALIGN (2ULL << 20)

enum vpmem_persistence {
	VPMEM_PERSIST_UNSET = 0,   /* no platform-capabilities table: guest says "unknown" */
	VPMEM_PERSIST_CPU,         /* nvdimm-persistence=cpu */
	VPMEM_PERSIST_MEMCTRL,     /* nvdimm-persistence=mem-ctrl */
};

/* One --pmem-image: an existing backing file or devdax device. */
struct vpmem_image_req {
	const char *path;
	int slot;           /* -1 = next free */
	int node;           /* -1 = round-robin over nodes */
	uint64_t size;      /* filled by the caller: file/device size */
	int label_slot;     /* caller: slot the image's labels belong to, -1 = none/unknown */
	uint64_t label_size;/* caller: label area found in the image, 0 = none/unknown */
	bool devdax;        /* caller: a /dev/daxX.Y character device */
	uint64_t dax_align; /* caller: devdax alignment */
};

struct vpmem_vm_spec {
	uint64_t ram;              /* 0 = default 512 MiB */
	uint64_t pmem;             /* total guest-visible PMem to create (0 = none) */
	unsigned nodes;            /* 0 = 1 */
	unsigned cores;            /* 0 = nodes */
	int hotplug_slots;         /* -1 = default (2) */
	uint64_t hotplug_mem;      /* 0 = 1 GiB per free hotplug slot */
	int64_t label_size;        /* -1 = not given; 0 = label-less */
	enum vpmem_persistence persistence;
	bool virtio;               /* virtio-pmem-pci instead of NFIT vNVDIMMs */
	bool no_pmem;              /* a VM without persistent memory devices, on purpose */
	unsigned nimages;
	struct vpmem_image_req images[VPMEM_MAX_DIMMS];
	unsigned ndirs;            /* --pmem-dir, one per node */
	const char *dirs[VPMEM_MAX_NODES];
	const char *state_dir;     /* where default backings go */
	unsigned phys_bits;        /* guest physical address bits (40 for TCG), 0 = unchecked */
	bool libvirt_sizes;        /* sizes libvirt keeps: every backing a multiple of
	                            * VPMEM_LIBVIRT_SIZE_ALIGN; new backings get their
	                            * label area rounded up so the region stays whole */
	uint64_t cxl_pmem;         /* total CXL type-3 PMem (0 = none; see cxl.h) */
	unsigned cxl_devices;      /* CXL type-3 devices (0 = 1) */
	unsigned ncxl_images;      /* CXL images attached as they are (instead of cxl_pmem) */
	struct vpmem_cxl_image cxl_images[VPMEM_CXL_MAX_DEVS];
	const char *kernel_release;/* the guest kernel's release if known (CXL workarounds) */
};

struct vpmem_vm_node {
	uint64_t ram;
	unsigned cpu_first, ncpus;
	int host_node;             /* -1 = unbound */
};

struct vpmem_vm_dimm {
	char *path;                /* owned; backing file or device */
	bool create;               /* file does not exist yet: create sparse at @size */
	bool devdax;
	bool pmem;                 /* set pmem=on (filled by the caller after a verdict) */
	unsigned slot, node;
	uint64_t size;             /* backend (file) size */
	uint64_t label_size;       /* 0 = label-less */
	uint64_t align;            /* backend align, 0 = QEMU default (host page size) */
	uint64_t region;           /* guest-visible PMem */
	uint64_t addr;             /* guest physical address (pinned) */
};

struct vpmem_vm_plan {
	uint64_t ram, maxmem, devmem_base, devmem_size;
	unsigned cores, nodes, slots;
	enum vpmem_persistence persistence;
	bool virtio;
	struct vpmem_vm_node node[VPMEM_MAX_NODES];
	unsigned ndimms;
	struct vpmem_vm_dimm dimm[VPMEM_MAX_DIMMS];  /* sorted by slot */
	char notes[1024];          /* remainders and other things the user must hear */
	struct vpmem_cxl_plan cxl; /* CXL type-3 PMem (q35,cxl=on), ndevs = 0: none */
};

/* Plan @spec into @plan (zeroed first). 0 or -errno with a message. */
int vpmem_vm_plan(const struct vpmem_vm_spec *spec, struct vpmem_vm_plan *plan,
		  struct vpmem_err *err);
void vpmem_vm_plan_free(struct vpmem_vm_plan *plan);

/*
 * Machine options that differ between two requests, as "--opt A vs B" text in
 * @buf (empty when they are the same machine). Paths compare as strings.
 */
bool vpmem_vm_spec_differs(const struct vpmem_vm_spec *saved, const struct vpmem_vm_spec *asked,
			   char *buf, size_t len);

/* Guest-visible size of a backend (0 if it cannot hold one). */
uint64_t vpmem_vm_region_size(uint64_t size, uint64_t label_size, uint64_t align);

/* "cpu" / "mem-ctrl" / NULL */
const char *vpmem_persistence_name(enum vpmem_persistence p);
int vpmem_persistence_parse(const char *s, enum vpmem_persistence *p, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
