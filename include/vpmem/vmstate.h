/* SPDX-License-Identifier: MIT */
/*
 * A VM's saved state: what `vpmem run` started, who runs it, and the lock
 * that keeps two runs (or a run and `namespace create`) off one VM.
 *
 * Layout of a state directory ($XDG_STATE_HOME/vpmem/vm/NAME, or --state-dir):
 *   spec.json  the saved spec: name, launcher (qemu|libvirt), libvirt URI and
 *              domain, the machine options as given (re-parsed to boot the
 *              same machine again), the plan (dimms with paths, slots,
 *              sizes, regions) and the exact QEMU argv. Replaced atomically
 *              (temp file, fsync, rename).
 *   lock       flock(LOCK_EX) by the run while it lasts; the descriptor is
 *              inherited by QEMU, so the lock lives exactly as long as the VM
 *              (the kernel drops it when the last holder dies).
 *   pid        "PID\n" of the QEMU (or the vpmem run) holding the lock. A pid
 *              file whose lock is free was left by a run that died: stale,
 *              cleared by the next vpmem_vmstate_lock()/vpmem_vmstate_pid().
 *   run/       console.log, stdout, stderr, status, cmd, qemu.log, qmp.sock
 *
 * libvirt-launched VMs hold no lock after `run` returns: the domain itself
 * (persistent, defined then started) is the running VM, asked through the
 * libvirt API (libvirt.h).
 */
#ifndef VPMEM_VMSTATE_H
#define VPMEM_VMSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmem/error.h>
#include <vpmem/strv.h>
#include <vpmem/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vpmem_launcher { VPMEM_LAUNCHER_QEMU, VPMEM_LAUNCHER_LIBVIRT };

const char *vpmem_launcher_name(enum vpmem_launcher l);

/* A VM name: non-empty, no '/', not starting with '.', at most 200 bytes. */
int vpmem_vmstate_name_check(const char *name, struct vpmem_err *err);
/* $XDG_STATE_HOME/vpmem/vm (where every VM's directory lives). */
int vpmem_vmstate_root(char *buf, size_t len, struct vpmem_err *err);
/* $XDG_STATE_HOME/vpmem/vm/NAME */
int vpmem_vmstate_dir(const char *name, char *buf, size_t len, struct vpmem_err *err);
/* The names of the saved VMs (the directories under vpmem_vmstate_root),
 * sorted, appended to @names; none (no directory yet) is 0. */
int vpmem_vmstate_list(struct vpmem_strv *names, struct vpmem_err *err);

/*
 * Lock @dir (created if missing) for VM @name. Returns the lock's descriptor,
 * without FD_CLOEXEC (QEMU inherits it). -EBUSY when another process holds it
 * ("VM 'x' is already running (pid N)"). *@stale (may be NULL) is set when a
 * pid file from a dead run was found and cleared.
 */
int vpmem_vmstate_lock(const char *dir, const char *name, bool *stale, struct vpmem_err *err);
/* Record @pid as the VM's process (QEMU's pid once it is forked). */
int vpmem_vmstate_set_pid(const char *dir, long pid, struct vpmem_err *err);
/* Remove the pid file (the run is ending). */
void vpmem_vmstate_clear_pid(const char *dir);
/* The pid running the VM in @dir, 0 when none (a stale pid file is removed). */
long vpmem_vmstate_pid(const char *dir);

/* What spec.json holds. */
struct vpmem_vmstate {
	char name[256];
	enum vpmem_launcher launcher;
	char connect[256];          /* libvirt URI ("" = QEMU launcher) */
	char domain[256];           /* libvirt domain name */
	bool virtio;
	unsigned ndimms;
	struct vpmem_vmstate_dimm {
		char *path;         /* owned */
		unsigned slot, node;
		uint64_t size, label_size, region, addr;
		bool created;       /* made by vpmem run (vm rm --backings removes it) */
	} dimm[VPMEM_MAX_DIMMS];
	struct vpmem_strv options;  /* machine options as given to run */
	struct vpmem_strv argv;     /* QEMU argv */
	char *extra_dir;            /* owned: a directory run made for libvirt (kernel copies) */
};

/* Save @st (plan data already in it) to @dir/spec.json, atomically. */
int vpmem_vmstate_save(const char *dir, const struct vpmem_vmstate *st, struct vpmem_err *err);
/* Load @dir/spec.json into @st (zeroed first). -ENOENT when there is none. */
int vpmem_vmstate_load(const char *dir, struct vpmem_vmstate *st, struct vpmem_err *err);
/* Fill @st's dimms from @plan (created = the plan creates it or created it). */
int vpmem_vmstate_from_plan(struct vpmem_vmstate *st, const struct vpmem_vm_plan *plan,
			    const bool *created, struct vpmem_err *err);
void vpmem_vmstate_free(struct vpmem_vmstate *st);
/*
 * Remove the files of the VM in @dir (spec.json, lock, pid; run/ and what
 * it holds; the directory run made for libvirt, @st->extra_dir) and @dir
 * itself; with @backings also the backings run created. Stops and undefines
 * nothing. @failed[i] is the errno that kept dimm i's backing (0: removed,
 * gone already, or not to remove). Returns 0, or -ENOTEMPTY when @dir holds
 * other files and was kept.
 */
int vpmem_vmstate_remove(const char *dir, const struct vpmem_vmstate *st, bool backings,
			 int failed[VPMEM_MAX_DIMMS]);

/*
 * Who else uses the backing @path: a process that has it mapped (any QEMU,
 * /proc/PID/maps), or a running vpmem VM other than @self_dir whose spec names
 * it. Returns 0 when nobody, -EBUSY with a one-line message naming the pid,
 * or -EACCES when some processes' maps could not be read (another user's QEMU
 * may map it: vpmem cannot tell). @path that does not exist: 0.
 */
int vpmem_backing_in_use(const char *path, const char *self_dir, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
