/* SPDX-License-Identifier: MIT */
/*
 * ipmctl memory allocation goals (Intel Optane PMem): plan the
 * `ipmctl create -goal` command for a wanted mode, and check after the reboot
 * whether the goal took effect, from the outputs of `ipmctl show -dimm`,
 * `ipmctl show -region`, `ipmctl show -goal` (each nvmxml with `-o nvmxml`,
 * or the text tables) and the kernel's regions (`ndctl list -RD` JSON).
 *
 * Facts used (ipmctl-create-goal(1), pmem/docs ipmctl-user-guide): a goal is
 * applied by the BIOS at the next reboot and then no longer shown by
 * `show -goal`; AppDirect interleaves the modules of each socket into one
 * region; AppDirectNotInterleaved makes one region per module; MemoryMode=N
 * gives N% of each module to Memory Mode; namespaces on the modules must be
 * deleted first. A DimmID is the NFIT device handle: socket in bits 15:12.
 */
#ifndef VPMEM_GOAL_H
#define VPMEM_GOAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_IPM_MAX 64

enum vpmem_goal_mode { VPMEM_GOAL_APPDIRECT, VPMEM_GOAL_APPDIRECT_NI, VPMEM_GOAL_MEMORY };

struct vpmem_ipm_dimm {
	uint32_t id;               /* DimmID (NFIT handle) */
	int socket;
	uint64_t capacity;         /* bytes, 0 unknown */
	char health[32];
};

struct vpmem_ipm_region {
	int socket;
	bool interleaved;          /* PersistentMemoryType AppDirect (else NotInterleaved) */
	uint64_t capacity, free;
	char iset[24];             /* ISetID as printed */
	unsigned ndimms;           /* from <DimmID> lists (nvmxml); 0 = not given */
	uint32_t dimms[16];
	char health[32];
};

struct vpmem_ipm_goal {
	int socket;
	uint32_t dimm;
	uint64_t memory, ad1, ad2;
	char status[40];           /* "" when ipmctl does not print it */
};

/* What ipmctl and the kernel say; each part may be absent (n = 0, *_given false). */
struct vpmem_ipm {
	bool dimms_given, regions_given, goals_given, kernel_given;
	unsigned ndimms, nregions, ngoals, nkregions;
	struct vpmem_ipm_dimm dimm[VPMEM_IPM_MAX];
	struct vpmem_ipm_region region[VPMEM_IPM_MAX];
	struct vpmem_ipm_goal goal[VPMEM_IPM_MAX];
	/* kernel regions: numa node and the DIMMs (nmemN) each maps */
	struct { int node; unsigned nmappings; uint64_t size; char dev[16]; } kregion[VPMEM_IPM_MAX];
	unsigned nkdimms;
};

/*
 * Parse one ipmctl output into @s: `show -dimm`, `show -region` or
 * `show -goal`, nvmxml or text (the `|` tables of ipmctl 02/03, the tab
 * tables of 01, and `show -a` "---DimmID=...---" blocks). Which command it is
 * comes from its content. -EINVAL with the reason when it is none of them.
 */
int vpmem_ipm_parse(const char *text, size_t len, struct vpmem_ipm *s, struct vpmem_err *err);
/* The kernel's regions from `ndctl list -RD` (or -R) JSON. */
int vpmem_ipm_parse_ndctl(const char *text, size_t len, struct vpmem_ipm *s, struct vpmem_err *err);

struct vpmem_goal_req {
	enum vpmem_goal_mode mode;
	unsigned memory_pct;       /* 0-100 (MEMORY implies 100) */
	int socket;                /* -1 = all */
};

#define VPMEM_GOAL_LINES 40
struct vpmem_goal_report {
	char command[160];         /* plan: the ipmctl command */
	bool ok;                   /* check: the goal took effect */
	unsigned nlines;
	char line[VPMEM_GOAL_LINES][240];  /* reasoning / findings, one per line */
};

/* The `ipmctl create -goal` command for @r, with the reasoning (and, given
 * `show -dimm`, the regions to expect after the reboot). */
int vpmem_goal_plan(const struct vpmem_goal_req *r, const struct vpmem_ipm *s, struct vpmem_goal_report *out,
		    struct vpmem_err *err);
/* Did the goal @r take effect? From whatever @s holds (at least regions). */
int vpmem_goal_check(const struct vpmem_goal_req *r, const struct vpmem_ipm *s, struct vpmem_goal_report *out,
		     struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
