/* SPDX-License-Identifier: MIT */
/*
 * Change a namespace's mode offline, keeping the bytes the guest sees
 * (doc/reconfigure.md). Byte k of the old view (byte 0 of /dev/pmemN,
 * /dev/pmemNs through the BTT, or /dev/daxN.M: io.h) is byte k of the new
 * view, for as many bytes as the new mode holds; the rest of the new view
 * reads zeros. Refused before anything is written when the data does not fit.
 *
 * How a labelled namespace moves (every step durable before the next):
 *
 *   1. the old view is copied into a staged file beside the image,
 *      IMAGE.vpmem-reconfigure.data (sparse, fsynced);
 *   2. a progress record, IMAGE.vpmem-reconfigure (temp file, fsync,
 *      rename, fsync of the directory), says what the new namespace is;
 *   3. the old label is freed (the kernel's two-index update): from here
 *      until step 5 the guest kernel sees free space, no namespace, no block
 *      device, so no guest sees a half-moved file system;
 *   4. the new info block or BTT is written at the same DPA (namespace.c),
 *      and the staged bytes go in through the data path (io.c, btt.c);
 *   5. the new label is written and committed (index flip): the namespace
 *      is back, in its new mode, whole;
 *   6. the staged file, then the record, are removed.
 *
 * A crash anywhere leaves the old namespace, no namespace (with the record),
 * or the new one; vpmem_reconf_resume() finishes from the record: it finds
 * which of the three the image holds and redoes the steps from there (each
 * is idempotent).
 */
#ifndef VPMEM_RECONFIGURE_H
#define VPMEM_RECONFIGURE_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/image.h>
#include <vpmem/io.h>
#include <vpmem/namespace.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_RECONF_SUFFIX ".vpmem-reconfigure"        /* the progress record */
#define VPMEM_RECONF_DATA_SUFFIX ".vpmem-reconfigure.data" /* the staged bytes */

struct vpmem_reconf_req {
	enum vpmem_ns_mode mode;
	uint32_t sector_size;       /* sector: 512/4096 (default 4096) */
	enum vpmem_ns_map map;      /* fsdax/devdax (default dev) */
	uint32_t align;             /* fsdax/devdax (default 2M) */
	uint64_t size;              /* grow to this size into the free space after it; 0 = keep */
	bool keep_data;
};

struct vpmem_reconf_plan {
	unsigned index;             /* namespace0.<index> */
	struct vpmem_ns_info old_ns, new_ns; /* before, after (not "new": C++ includes this header) */
	struct vpmem_ns_req req;    /* the new namespace (req.name points into @name) */
	char name[VPMEM_LABEL_NAME_LEN];
	bool keep_data;
	uint64_t old_size, new_size; /* visible bytes before / after */
	uint64_t data_end;          /* end of the last non-zero visible byte (keep_data) */
	uint64_t keep;              /* bytes carried over: min(old_size, new_size) */
	uint64_t missing;           /* set with -ENOSPC: data_end - new_size */
	uint64_t grow_to;           /* with -ENOSPC: a --size that fits (0 = none) */
	struct vpmem_wplan destroy; /* free the old label (and zero its info area) */
	struct vpmem_wplan create;  /* info block / BTT, then label and index */
	size_t create_head;         /* create.w[0, head) go before the data, the rest commit */
};

/*
 * Plan reconfiguring namespace @idx of @ri (read from @fd). With keep_data,
 * reads the old view to find where its data ends and refuses (-ENOSPC,
 * p->missing bytes short) when it does not fit the new mode. -EOPNOTSUPP for
 * keep_data on a label-less image, -EALREADY when nothing would change.
 * Free with vpmem_reconf_plan_free.
 */
int vpmem_reconf_plan(int fd, const struct vpmem_region_info *ri, const struct vpmem_image_hints *h,
		      unsigned idx, const struct vpmem_reconf_req *rq, struct vpmem_reconf_plan *p,
		      struct vpmem_err *err);
void vpmem_reconf_plan_free(struct vpmem_reconf_plan *p);

/* Execution: @budget writes (-1 = no limit) then -ECANCELED "simulated
 * crash" (tests cut there, like VPMEM_TEST_CRASH_AFTER_WRITES); counts the
 * writes made (record, plan writes, data chunks, BTT pwrites). */
struct vpmem_reconf_run {
	long long budget;
	uint64_t writes;
	vpmem_progress_fn progress;
	void *arg;
	const struct vpmem_image_hints *hints;
};

/*
 * Apply @p to the image @path open (locked) on @fd. keep_data: stage, write
 * the record, then as vpmem_reconf_resume. Without keep_data: free the old
 * label and create the new namespace in its place (its data is lost).
 */
int vpmem_reconf_apply(int fd, const char *path, const struct vpmem_reconf_plan *p,
		       struct vpmem_reconf_run *run, struct vpmem_err *err);

/* A pending conversion of @path, as its record says. */
struct vpmem_reconf_state {
	uint8_t uuid[16];           /* label uuid of the namespace */
	char name[VPMEM_LABEL_NAME_LEN];
	uint64_t dpa, old_rawsize, keep;
	enum vpmem_ns_mode old_mode;
	struct vpmem_ns_req req;    /* the new namespace (req.name points into @name) */
};

/* 1 and *@st when @path has a progress record, 0 when not, or -errno
 * (an unreadable or corrupt record). */
int vpmem_reconf_pending(const char *path, struct vpmem_reconf_state *st, struct vpmem_err *err);

/* Parse a record's text (NUL-terminated): 0 or -EILSEQ (fuzzed). */
int vpmem_reconf_record_parse(const char *text, struct vpmem_reconf_state *st, struct vpmem_err *err);

/* 0 when nothing is pending for @path; else -EBUSY (or the record's error)
 * with "'@path' has an unfinished namespace conversion (...): finish it with
 * 'vpmem namespace reconfigure @path --resume'" (run, check, list). */
int vpmem_reconf_busy(const char *path, struct vpmem_err *err);

/*
 * Finish the conversion recorded beside @path (open, locked, on @fd): the
 * image holds the old namespace, none, or the new one; the remaining steps
 * are done and the record removed. *@ns_out (may be NULL) = the namespace as
 * it is now. -ENOENT when nothing is pending.
 */
int vpmem_reconf_resume(int fd, const char *path, struct vpmem_reconf_run *run,
			struct vpmem_ns_info *ns_out, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
