/* SPDX-License-Identifier: MIT */
/*
 * `vpmem check`: verify the metadata of a vNVDIMM image offline, the way the
 * guest kernel and `ndctl check-namespace` judge it, and plan repairs.
 *
 * What is checked (sources beside each check in check.c):
 *   label area   both index blocks (signature, checksum, seq, myoff/otheroff/
 *                labeloff, nslot), which one is current, the free bitmap
 *                against the labels in use; every label in use (checksum for
 *                v1.2, slot, nlabel/position, interleave-set cookie, DPA range
 *                in the region, overlap, duplicate uuid, name encoding, claim)
 *   info blocks  fsdax/devdax (signature, checksum, version, offsets and
 *                alignment, parent uuid: the kernel's nd_pfn_validate)
 *   BTT          every arena through the data path's reader (btt.h): info
 *                block and its backup, flog pairs and sequence numbers, map
 *                entries in range, every internal block referenced exactly
 *                once (ndctl check.c btt_check_bitmap), pending flog
 *                recovery (an interrupted write)
 *
 * Findings are values; nothing is printed. Each names the structure, the
 * byte offset in the image file, a severity and, when repairable, what the
 * repair writes. A namespace's verdict is the worst of its findings.
 */
#ifndef VPMEM_CHECK_H
#define VPMEM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/image.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vpmem_check_verdict {
	VPMEM_CHECK_OK = 0,
	VPMEM_CHECK_REPAIRABLE,   /* --repair mends it without losing data */
	VPMEM_CHECK_DAMAGED,      /* needs a decision or is lost: --repair refuses, says why */
};

const char *vpmem_check_verdict_name(enum vpmem_check_verdict v);

struct vpmem_finding {
	char structure[48];       /* "index 1", "label slot 3", "namespace0.0 btt arena 0 map" */
	uint64_t offset;          /* byte offset in the image file */
	enum vpmem_check_verdict severity;  /* VPMEM_CHECK_OK: a warning, something the kernel
	                                     * uses as it is (doc/check.md); the verdict stays ok */
	int ns;                   /* namespace index (vpmem list order), -1: the label area */
	char what[240];           /* what is wrong, one line */
	char repair[160];         /* repairable: what --repair does; damaged: why not / what to do */
};

struct vpmem_ns_verdict {
	int index;                /* namespaceR.<index> as vpmem list names it */
	enum vpmem_ns_mode mode;
	uint64_t dpa, rawsize;
	enum vpmem_check_verdict verdict;
};

struct vpmem_check_report {
	struct vpmem_region_info *ri;      /* the image as vpmem list decodes it (owned) */
	enum vpmem_check_verdict verdict;        /* the worst finding */
	enum vpmem_check_verdict lsa_verdict;    /* the label area's */
	unsigned nfindings;
	struct vpmem_finding *f;
	unsigned nns;
	struct vpmem_ns_verdict *ns;
	struct vpmem_wplan repair;         /* what --repair writes, in order, with barriers
	                                    * (empty: nothing to mend); vpmem_wplan_apply() */
	uint64_t btt_blocks;               /* BTT map entries and free blocks walked */
};

/*
 * Check the image open on @fd (read-only). Returns 0 with the report filled
 * (whatever it found), or -errno when the image cannot be read at all.
 * Free the report with vpmem_check_free().
 */
int vpmem_check(int fd, const struct vpmem_image_hints *h, struct vpmem_check_report *rep,
		struct vpmem_err *err);
/*
 * The header pass, for hot paths (vpmem list, vpmem run): everything above
 * but the walk of the BTT maps (map entries in range, every internal block
 * used once), so its cost does not grow with the namespaces' size: the
 * label area, info blocks (and a BTT's backup), each BTT arena's info
 * blocks and flog. Damage inside a map is found by vpmem_check() only.
 */
int vpmem_check_headers(int fd, const struct vpmem_image_hints *h, struct vpmem_check_report *rep,
			struct vpmem_err *err);
void vpmem_check_free(struct vpmem_check_report *rep);

#ifdef __cplusplus
}
#endif
#endif
