/* SPDX-License-Identifier: MIT */
/*
 * CXL type-3 persistent memory under QEMU (7.2): the topology, the identities
 * and the per-kernel workarounds, planned without I/O.
 *
 * Topology (QEMU docs/system/devices/cxl.rst; measured with QEMU 7.2), per
 * device I (I = 0 alone is the topology of QEMU's docs plus the spare port):
 *   -M q35,cxl=on
 *   -device pxb-cxl,bus_nr=12+4I,bus=pcie.0,id=cxl.I+1     a host bridge per device
 *   -device cxl-rp,port=0,bus=cxl.I+1,id=rp2I,chassis=0,slot=2I+2     the device's
 *   -device cxl-rp,port=1,bus=cxl.I+1,id=rp2I+1,chassis=0,slot=2I+3   and a spare
 *   -object memory-backend-file,id=cxl-memI,share=on,mem-path=FILE,size=S
 *   -object memory-backend-file,id=cxl-lsaI,share=on,mem-path=FILE.lsa,size=256K
 *   -device cxl-type3,bus=rp2I,memdev=cxl-memI,lsa=cxl-lsaI,id=cxl-pmemI,sn=SERIAL
 *   -M cxl-fmw.I.targets.0=cxl.I+1,cxl-fmw.I.size=S        a fixed memory window each
 * - One host bridge per device: QEMU 7.2 gives every CXL component ONE HDM
 *   decoder (hw/cxl/cxl-component-utils.c hdm_init_common: DECODER_COUNT 0,
 *   which encodes one; later QEMUs have CXL_HDM_DECODER_COUNT 4). Measured: the
 *   guest's host-bridge port has decoder1.0 alone, so a bridge routes one region:
 *   with two devices under one bridge the second 'cxl create-region' fails
 *   ("failed to set target0 to mem1"; measured on 6.1 and 6.12). Each bridge
 *   has its own window, so Linux gives device I the root decoder decoder0.I.
 * - QEMU 7.2: memdev= is the device's persistent memory (no persistent-memdev=);
 *   "targets.0=" (not "targets=") in the window option.
 * - The spare root port: with a single cxl-rp Linux leaves the host-bridge
 *   decoder uncommitted (passthrough) and QEMU 7.2 drops every write to the
 *   window silently (hw/cxl/cxl-host.c: "Writes to invalid address are silent").
 * - sn= pinned: without it the serial is 0, so is the region's interleave-set
 *   cookie, and a re-created region's namespaces come up disabled.
 * - Sizes: device memory a multiple of 256 MiB (hw/mem/cxl_type3.c
 *   CXL_CAPACITY_MULTIPLIER); the window a multiple of 256 MiB.
 *
 * Kernel workarounds, only where needed (measured with Debian 6.1.0 and 6.12.117):
 * - 6.12: "cxl_pci ... Failed to get interrupt for event Info log" -> kernel
 *   argument pcie_ports=compat;
 * - 6.12: "create_region ... failed to commit decode" / "Failed to synchronize
 *   CPU cache state" when the CPU reports a hypervisor -> -cpu ...,-hypervisor
 *   (pmem/ndctl#250).
 * - Both: a warm reboot inside one QEMU process breaks CXL state; vpmem always
 *   cold-starts (-no-reboot).
 *
 * In the guest a region is created per boot (decoders reset at power-off):
 *   cxl create-region -m -d decoder0.N -w 1 memN -t pmem
 * (decoder0.N: the root decoder whose window routes memN, found with
 * 'cxl list -M -d decoder0.N')
 * and its namespaces come back from the label area (vpmem_cxl_boot_script).
 */
#ifndef VPMEM_CXL_H
#define VPMEM_CXL_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/strv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_CXL_MAX_DEVS 8
#define VPMEM_CXL_ALIGN (256ULL << 20)     /* QEMU CXL_CAPACITY_MULTIPLIER, window granule */
#define VPMEM_CXL_LSA_SIZE (256ULL << 10)  /* label storage area per device */
#define VPMEM_CXL_SERIAL_BASE 0xc71000u    /* sn = base + device index (pinned identity) */
#define VPMEM_CXL_HB_BUS 12                /* pxb-cxl bus_nr of the first host bridge */
#define VPMEM_CXL_HB_BUS_STRIDE 4          /* bus numbers per bridge: itself + its ports' */
#define VPMEM_CXL_PORTS_PER_HB 2           /* root ports per bridge: the device's + a spare */

/* A CXL image (image.h) attached as one device: FILE and FILE.lsa as they are. */
struct vpmem_cxl_image {
	const char *path;           /* the memory file; its label file is path + ".lsa" */
	uint64_t size, lsa_size;    /* the two files' sizes */
	uint64_t serial;            /* what its labels (or xattr) say: sn= */
};

struct vpmem_cxl_spec {
	unsigned nimages;           /* devices from existing CXL images (instead of size) */
	const struct vpmem_cxl_image *images;
	uint64_t size;              /* total guest-visible CXL PMem (0 = none) */
	unsigned ndevs;             /* type-3 devices (0 = 1); size is split evenly */
	const char *state_dir;      /* backings: STATE/cxlI.img and STATE/cxlI.img.lsa, a CXL
	                             * image (image.h); an older VM's STATE/cxlI.lsa is kept */
	const char *kernel_release; /* the guest kernel's release, NULL/"" = unknown */
};

struct vpmem_cxl_dev {
	unsigned index;             /* device I: cxl.I+1, rp2I, cxl-memI, window I */
	uint64_t serial;            /* sn= */
	uint64_t size;              /* memory file = guest-visible PMem (region size) */
	uint64_t lsa_size;
	char *path, *lsa_path;      /* owned */
	bool create, lsa_create;    /* filled by the caller: missing, create sparse */
	bool pmem;                  /* pmem=on on the memory backend (caller, after a verdict) */
	uint64_t cookie;            /* interleave-set cookie of a 1-way region at DPA 0 */
};

struct vpmem_cxl_plan {
	unsigned ndevs, root_ports;  /* one host bridge per device, two root ports each */
	struct vpmem_cxl_dev dev[VPMEM_CXL_MAX_DEVS];
	uint64_t window;            /* the windows' total (cxl-fmw.I.size = dev[I].size) */
	unsigned kernel;            /* release code (vpmem_kernel_release_code), 0 = unknown */
	bool cpu_no_hypervisor;     /* -cpu ...,-hypervisor */
	bool pcie_ports_compat;     /* kernel argument pcie_ports=compat */
};

/*
 * Read the CXL image @path (its memory file and label file) for attaching:
 * sizes and the serial its labels carry (image.h). 0 or -errno.
 */
int vpmem_cxl_image_probe(const char *path, struct vpmem_cxl_image *ci, struct vpmem_err *err);

/* Plan @spec into @plan (zeroed first). 0 or -errno with a message. */
int vpmem_cxl_plan(const struct vpmem_cxl_spec *spec, struct vpmem_cxl_plan *plan,
		   struct vpmem_err *err);
void vpmem_cxl_plan_free(struct vpmem_cxl_plan *plan);

/*
 * Appliers for the backings of @plan: check the existing ones (a regular
 * file of the planned size is reused, clearing its create flag; anything else
 * is an error), create the missing ones sparse at their exact size (never
 * fallocated), and remove what was created (after a later failure).
 */
int vpmem_cxl_check_backings(struct vpmem_cxl_plan *plan, struct vpmem_err *err);
int vpmem_cxl_create_backings(const struct vpmem_cxl_plan *plan, struct vpmem_err *err);
void vpmem_cxl_remove_created(const struct vpmem_cxl_plan *plan);

/* The root port device @index sits on (rp2I; its spare is rp2I+1). */
static inline unsigned vpmem_cxl_dev_port(unsigned index)
{
	return VPMEM_CXL_PORTS_PER_HB * index;
}

/*
 * The -object/-device/-M arguments for @plan (appended to @argv). _at: host
 * bridge I at PCI slot @slot0 + I of pcie.0 (0: QEMU picks the first free
 * one). Through libvirt the arguments come before libvirt's own devices, which
 * carry fixed addresses from slot 1 up: pxb-cxl must keep clear of them
 * (measured: "PCI: slot 1 function 0 not available for pcie-root-port, in use
 * by pxb-cxl").
 */
#define VPMEM_CXL_LIBVIRT_SLOT 0x10
int vpmem_cxl_argv_at(const struct vpmem_cxl_plan *plan, unsigned slot0, struct vpmem_strv *argv);
int vpmem_cxl_argv(const struct vpmem_cxl_plan *plan, struct vpmem_strv *argv);

/*
 * libvirt has no CXL elements (9.0): the devices go to QEMU as
 * <qemu:commandline> arguments, and libvirt's DAC driver does not hand QEMU
 * (which runs as @user) the files named there. The backings run created for
 * the domain are given to @user (as libvirt does with its own); every file is
 * then checked read-write as @user. 0 or an error naming the file and the fix.
 */
int vpmem_cxl_libvirt_prepare(const struct vpmem_cxl_plan *plan, const char *user, struct vpmem_err *err);

/*
 * The interleave-set cookie Linux gives a CXL pmem region's nvdimm region:
 * fletcher64 over {DPA offset (le64), serial (le64)} per target (linux
 * drivers/cxl/pmem.c cxl_pmem_region_probe: info[i].offset/serial,
 * nd_fletcher64 over the array). sn 0x1234 at offset 0 -> 0x246800001234.
 */
uint64_t vpmem_cxl_cookie(uint64_t serial, uint64_t dpa);
/* The serial whose cookie at DPA 0 is @cookie (the inverse of the above:
 * every cookie has exactly one). */
uint64_t vpmem_cxl_serial_of_cookie(uint64_t cookie);

/*
 * What a guest must run at every boot so CXL pmem regions (and their
 * namespaces, from the label area) come back: a /bin/sh script using only
 * the `cxl` tool and sysfs, and a systemd unit running it.
 */
const char *vpmem_cxl_boot_script(void);
const char *vpmem_cxl_boot_unit(void);

#ifdef __cplusplus
}
#endif
#endif
