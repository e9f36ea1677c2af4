/* SPDX-License-Identifier: MIT */
/*
 * Memory maps and DRAM-emulated persistent memory (memmap=SIZE!OFFSET).
 *
 * Sources: Linux arch/x86/kernel/e820.c (e820_print_type strings "usable",
 * "reserved", "ACPI data", "ACPI NVS", "unusable", "persistent (type 7)",
 * "persistent (type 12)", "soft reserved"; e820_type_to_string for
 * /sys/firmware/memmap and /proc/iomem: "System RAM", "Reserved", "ACPI
 * Tables", "ACPI Non-volatile Storage", "Unusable memory", "Persistent Memory",
 * "Persistent Memory (legacy)", "Soft Reserved"; parse_memmap_one: "nn[KMG]!ss[KMG]"
 * marks a range E820_TYPE_PRAM (12), which nd_e820 turns into a pmem region);
 * Documentation/admin-guide/kernel-parameters.txt (memmap=, comma lists).
 * Ranges need a 128 MiB memory-section alignment for fsdax/devdax
 * (include/linux/mmzone.h SECTION_SIZE_BITS = 27 on x86-64).
 */
#ifndef VPMEM_E820_H
#define VPMEM_E820_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_E820_MAX 256
#define VPMEM_E820_MAX_RES 8
#define VPMEM_SECTION_SIZE (128ULL << 20)

enum vpmem_e820_type {
	VPMEM_E820_USABLE, VPMEM_E820_RESERVED, VPMEM_E820_ACPI, VPMEM_E820_NVS,
	VPMEM_E820_UNUSABLE, VPMEM_E820_PMEM, VPMEM_E820_PRAM, VPMEM_E820_SOFT_RESERVED,
	VPMEM_E820_OTHER,
};

struct vpmem_e820_range {
	uint64_t start, end;   /* inclusive, as the kernel prints them */
	enum vpmem_e820_type type;
};

struct vpmem_e820_map {
	unsigned n;
	struct vpmem_e820_range r[VPMEM_E820_MAX];
	char source[24];       /* "dmesg", "dmesg (user map)", "memmap", "iomem" */
};

/*
 * Parse dmesg text (BIOS-e820 lines; the "user:" map when memmap= changed it,
 * and @firmware_only to prefer the BIOS map), a /sys/firmware/memmap dump
 * (`grep -H . /sys/firmware/memmap/N/STAR`), or /proc/iomem. Garbage, overlaps,
 * hidden (all-zero) addresses are errors naming the line.
 */
int vpmem_e820_parse(const char *text, bool firmware_only, struct vpmem_e820_map *m,
		     struct vpmem_err *err);
/* Read @sysroot's /sys/firmware/memmap, else /proc/iomem. */
int vpmem_e820_read(const char *sysroot, struct vpmem_e820_map *m, struct vpmem_err *err);
const char *vpmem_e820_type_name(enum vpmem_e820_type t);

struct vpmem_e820_res { uint64_t start, size; };

struct vpmem_e820_plan {
	unsigned n;
	struct vpmem_e820_res r[VPMEM_E820_MAX_RES];
	uint64_t ram_total, ram_left;
	char param[256];        /* "memmap=16G!4G memmap=..." */
	char reasoning[2048];   /* lines */
};

struct vpmem_e820_req {
	uint64_t size;          /* each reservation */
	unsigned count;         /* 0 = 1 */
	uint64_t min_ram;       /* RAM to leave (0 = max(1G, a quarter of RAM)) */
};

int vpmem_e820_plan(const struct vpmem_e820_map *m, const struct vpmem_e820_req *req,
		    struct vpmem_e820_plan *p, struct vpmem_err *err);

/* memmap=SIZE!START tokens of a kernel command line (comma lists too). */
unsigned vpmem_e820_cmdline_pram(const char *cmdline, struct vpmem_e820_res *out, unsigned max);

#ifdef __cplusplus
}
#endif
#endif
