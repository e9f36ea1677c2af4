/* SPDX-License-Identifier: MIT */
/*
 * What this host's kernel shows of persistent memory, read once as values
 * (the host halves of `vpmem doctor` and `vpmem emulate status`): the nd bus
 * regions and their namespaces (/sys/bus/nd/devices), device-DAX
 * (/sys/bus/dax/devices), the firmware memory map's persistent ranges
 * (/sys/firmware/memmap), the e820 type-12 ranges the running kernel reserved
 * (/proc/iomem, parsed by e820.c) and its command line (/proc/cmdline).
 * Everything under a sysroot (NULL or "" for the live system), as the other
 * host readers; what cannot be read is left empty, never an error.
 */
#ifndef VPMEM_HOSTSTATUS_H
#define VPMEM_HOSTSTATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/e820.h>
#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_HOST_MAX_RESERVED 16

/* A namespace of a region (size 0 ones, the kernel's idle seeds, are left out). */
struct vpmem_host_ns {
	char dev[64];            /* "namespace0.0" */
	bool has_size;
	uint64_t size;
	char mode[32];           /* "fsdax", ...; "" when unreadable */
};

struct vpmem_host_region {
	char dev[64];            /* "region0" */
	bool has_size, has_resource, has_numa_node;
	uint64_t size, resource; /* resource: the start address */
	int64_t numa_node;
	char persistence_domain[32]; /* "" when unreadable */
	char blockdev[64];       /* the block device of namespaceN.0, "" if none */
	unsigned nns;
	struct vpmem_host_ns *ns;
};

struct vpmem_host_devdax {
	char dev[64];            /* "dax0.0" */
	bool has_size, has_align;
	uint64_t size, align;
};

/* A "Persistent Memory" range of /sys/firmware/memmap (e820 type 7 or 12),
 * its attributes as sysfs prints them ("" when unreadable). */
struct vpmem_host_memmap {
	char start[32], end[32], type[64];
};

struct vpmem_host_status {
	char *cmdline;           /* /proc/cmdline, NULL when unreadable */
	unsigned nreserved;      /* type-12 ranges in /proc/iomem */
	struct vpmem_e820_res reserved[VPMEM_HOST_MAX_RESERVED];
	unsigned nregions, ndevdax, nmemmap;
	struct vpmem_host_region *regions;
	struct vpmem_host_devdax *devdax;
	struct vpmem_host_memmap *memmap;
};

/* Fill @st (zeroed first) from @sysroot. Fails only when out of memory;
 * free with vpmem_host_status_free, also after a failure. */
int vpmem_host_status_read(const char *sysroot, struct vpmem_host_status *st, struct vpmem_err *err);
void vpmem_host_status_free(struct vpmem_host_status *st);

#ifdef __cplusplus
}
#endif
#endif
