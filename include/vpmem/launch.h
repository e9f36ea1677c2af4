/* SPDX-License-Identifier: MIT */
/*
 * Turning a checked plan (vm.h) into a running VM, whichever the launcher:
 * probing the backings asked for, creating the planned ones (with their label
 * areas initialised), refusing backings someone else uses, and stopping the
 * VM when vpmem itself is told to stop (SIGINT, SIGTERM, SIGHUP).
 */
#ifndef VPMEM_LAUNCH_H
#define VPMEM_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>

#include <vpmem/error.h>
#include <vpmem/label.h>
#include <vpmem/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fill in what the planner needs to know about an existing --pmem-image:
 * size (file or device-dax), devdax alignment, and for files the label area
 * and the slot its labels were written for. @label_size: --label-size (-1 =
 * not given). Refuses directories, unreadable files, other file types.
 */
int vpmem_backing_probe(struct vpmem_image_req *im, int64_t label_size, struct vpmem_err *err);

/* --pmem-dir must be a writable directory. */
int vpmem_backing_dir_check(const char *dir, struct vpmem_err *err);

/*
 * Backings the plan creates that already exist: one of exactly the planned
 * size is reused (create = false), any other is refused. With @dry_run, a
 * size mismatch is not an error (create is left set): printing a plan touches
 * nothing and refuses nothing that run would decide.
 */
int vpmem_backings_settle(struct vpmem_vm_plan *plan, bool dry_run, struct vpmem_err *err);

struct vpmem_backing_opts {
	enum vpmem_label_version label_version; /* v1.1 (ndctl's default) or v1.2 */
	bool blank_labels;                      /* leave label areas zeroed */
};

/*
 * Create the plan's new backings: sparse files of the exact size (never
 * fallocated), label areas initialised as `ndctl init-labels` does for the
 * DIMM's slot unless @o->blank_labels, made under a temporary name and linked
 * into place (a crash leaves no half-made backing). On failure every backing
 * made so far is removed.
 */
int vpmem_backings_create(const struct vpmem_vm_plan *plan, const struct vpmem_backing_opts *o,
			  struct vpmem_err *err);
/* Remove what vpmem_backings_create() made (plan->dimm[i].create). */
void vpmem_backings_remove_created(const struct vpmem_vm_plan *plan);

/*
 * Persistence verdict of every backing (vpmem doctor's rules) into @reps
 * (plan->ndimms of them), and pmem=on where it holds and @qemu_pmem (QEMU
 * built with libpmem). Backings not created yet are judged by their
 * directory's mount.
 */
struct vpmem_persist_report;
void vpmem_backings_assess(struct vpmem_vm_plan *plan, bool qemu_pmem,
			   struct vpmem_persist_report *reps);

/*
 * One --pmem-dir per guest node, each on a device of host NUMA node K: bind
 * that guest node's RAM to host node K (node[n].host_node), so the guest's
 * CPUs and memory sit next to its PMem. Returns how many nodes were bound.
 */
unsigned vpmem_plan_bind_host_nodes(const struct vpmem_vm_spec *spec, struct vpmem_vm_plan *plan);

/* An absolute path for @bin: as given if it has a '/', else found in $PATH. */
void vpmem_which(const char *bin, char *buf, size_t len);

/*
 * The accelerator run uses: @want "kvm"/"tcg" as asked; "auto" is KVM only
 * when a probe boot of the default guest really works (cached, guest.h).
 */
struct vpmem_guest_files;
const char *vpmem_choose_accel(const char *want, const char *qemu, const char *qemu_version,
			       const struct vpmem_guest_files *g, bool default_guest);

/* The same, saying why in *@v (guest.h: vpmem_kvm_probe, with @probing called
 * before a probe boot); v->why is empty when "auto" was not asked or KVM was
 * not probed (a kernel of the caller's own, the default guest not built). */
struct vpmem_kvm_verdict;
const char *vpmem_choose_accel_probe(const char *want, const char *qemu, const char *qemu_version,
				     const struct vpmem_guest_files *g, bool default_guest,
				     void (*probing)(void *arg, unsigned timeout_sec), void *arg,
				     struct vpmem_kvm_verdict *v);

/*
 * Stop the QEMU-launched VM whose state is @dir: ACPI power button over its
 * QMP socket, wait up to @timeout_sec for the VM's lock to be released (QEMU
 * and its vpmem run gone), then SIGTERM, and SIGKILL 3 s later (*@killed).
 * -ESRCH when it is not running.
 */
int vpmem_qemu_vm_stop(const char *dir, unsigned timeout_sec, bool *killed, struct vpmem_err *err);

/*
 * Stop requests: install handlers for SIGINT, SIGTERM and SIGHUP that only
 * raise a flag (no SA_RESTART, so waits wake up), and restore the old ones.
 * vpmem_stop_flag() is the flag to poll (vpmem_guest_io.stop).
 */
void vpmem_stop_signals_begin(void);
void vpmem_stop_signals_end(void);
const volatile int *vpmem_stop_flag(void);
/* The signal that raised the flag, 0 if none. */
int vpmem_stop_signal(void);

#ifdef __cplusplus
}
#endif
#endif
