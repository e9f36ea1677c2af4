/* SPDX-License-Identifier: MIT */
/*
 * Host backing <-> guest NVDIMM, by identity, never by enumeration order.
 *
 * QEMU: the guest DIMM serial is 0x123456 + slot, ndctl id "8680-" + the
 * byte-swapped serial (hw/acpi/nvdimm.c, drivers/acpi/nfit/core.c); a
 * -device nvdimm without slot= takes the lowest slot free at the time it is
 * plugged (hw/mem/pc-dimm.c pc_dimm_get_free_slot), i.e. in command-line order.
 * VMware vPMem: the guest id is "8902-" followed by the last 32 bits of the
 * virtual disk's UUID (`vmkfstools -J getuuid`, ddb.uuid in the .vmdk
 * descriptor), as VMware documents for mapping vPMem disks.
 */
#ifndef VPMEM_HOSTMAP_H
#define VPMEM_HOSTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_MAP_MAX 256
#define VPMEM_VMWARE_VENDOR_ID "8902" /* the vendor part VMware vPMem DIMMs show in ndctl */

enum vpmem_host_kind { VPMEM_HOST_QEMU, VPMEM_HOST_LIBVIRT, VPMEM_HOST_VMWARE, VPMEM_HOST_VIRTIO,
		       VPMEM_HOST_CXL /* cxl-type3: joined on its serial (doc/cxl.md) */ };

struct vpmem_host_dev {
	enum vpmem_host_kind kind;
	char path[1024];        /* backing file, devdax, or .vmdk */
	char devid[64];         /* QEMU device id / libvirt alias */
	int slot;               /* QEMU/libvirt slot, -1 unknown */
	int node;               /* guest NUMA node, -1 unknown */
	char uuid[64];          /* VMware disk UUID as printed */
	char expect_id[24];     /* the ndctl id the guest will show ("" = none);
	                         * CXL: the serial in decimal, as `cxl list -M` */
	uint64_t label_size;
	char lsa[1024];         /* CXL: the label area's backing file */
	uint64_t serial;        /* CXL: sn= */
};

struct vpmem_host {
	unsigned n;
	struct vpmem_host_dev d[VPMEM_MAP_MAX];
	char problems[8][200];
	unsigned nproblems;
};

/* struct vpmem_host and struct vpmem_guest_view are some 300 KB: allocate
 * them with these (zeroed) rather than on the stack. NULL when out of memory;
 * the free functions take NULL. */
struct vpmem_host *vpmem_host_new(void);
void vpmem_host_free(struct vpmem_host *h);
struct vpmem_guest_view *vpmem_guest_view_new(void);
void vpmem_guest_view_free(struct vpmem_guest_view *g);

/*
 * The host side, parsed (lib/machine/qemu.c, libvirt.c, vmware.c). The parsers
 * of text open nothing: a backing's own say about its slot is a separate step,
 * vpmem_host_check_images(). The QEMU and libvirt parsers fill *@h from
 * scratch; the VMware ones add to it.
 */
/* QEMU argv (NULL-terminated) -> devices. */
int vpmem_host_from_qemu_argv(char *const *argv, struct vpmem_host *h, struct vpmem_err *err);
/* The same, adding to the devices @h has (a libvirt domain's <qemu:commandline>). */
int vpmem_host_add_qemu_argv(char *const *argv, struct vpmem_host *h, struct vpmem_err *err);
/* A QEMU command line as text: shell words (quotes, backslash-newlines) or
 * NUL-separated (/proc/PID/cmdline). */
int vpmem_host_from_qemu_text(const char *text, size_t len, struct vpmem_host *h, struct vpmem_err *err);
/* A libvirt domain XML (virsh dumpxml). */
int vpmem_host_from_libvirt(const char *xml, size_t len, struct vpmem_host *h, struct vpmem_err *err);
/* A .vmdk file (read): descriptor text or a sparse extent with an embedded
 * descriptor. Adds to *@h. */
int vpmem_host_from_vmdk(const char *path, struct vpmem_host *h, struct vpmem_err *err);
/* Saved `vmkfstools -J getuuid FILE` output (one or several). Adds to *@h. */
int vpmem_host_from_vmkfstools(const char *text, struct vpmem_host *h, struct vpmem_err *err);
/*
 * Open each QEMU/libvirt vNVDIMM backing that is a regular file (never a FIFO
 * or device) and add a problem when its labels were made for another slot
 * than the one it is plugged into (the guest would ignore them); a backing
 * that is there but is a FIFO, socket or directory is a problem too (never
 * opened). Backings that cannot be read are passed over: the map is still made.
 */
void vpmem_host_check_images(struct vpmem_host *h);
/* "60 00 C2 9d 90 45 42 66-d7 cf ed f7 a2 eb f2 60" -> "8902-a2ebf260" */
int vpmem_vmware_guest_id(const char *uuid, char out[16]);

struct vpmem_guest_ns { char dev[32], mode[16], node[32]; };
struct vpmem_guest_dimm {
	char dev[32], id[32], region[32];
	int handle;
	unsigned nns;
	struct vpmem_guest_ns ns[16];
};
struct vpmem_guest_view {
	unsigned n;
	struct vpmem_guest_dimm d[VPMEM_MAP_MAX];
};

/* ndctl list -D / -DRN JSON: an array, a single object, or {"dimms":…,"regions":…}. */
int vpmem_guest_from_json(const char *json, struct vpmem_guest_view *g, struct vpmem_err *err);
/* Live /sys/bus/nd under @sysroot. */
int vpmem_guest_from_sysfs(const char *sysroot, struct vpmem_guest_view *g, struct vpmem_err *err);

enum vpmem_match_state { VPMEM_MATCHED, VPMEM_NO_GUEST, VPMEM_AMBIGUOUS, VPMEM_NO_ID };

struct vpmem_mapping {
	unsigned nrows;
	struct { int host; int guest; enum vpmem_match_state state; } row[VPMEM_MAP_MAX];
	unsigned nunmatched;
	int unmatched_guest[VPMEM_MAP_MAX];
	unsigned nproblems;
	char problems[16][240];
};

/* Join by id; every mismatch becomes a problem in plain words. */
void vpmem_map_join(const struct vpmem_host *h, const struct vpmem_guest_view *g, struct vpmem_mapping *m);

#ifdef __cplusplus
}
#endif
#endif
