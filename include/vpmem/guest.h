/* SPDX-License-Identifier: MIT */
/*
 * The default guest and running commands in a guest.
 *
 * Guest protocol (guest/init, built by guest/mkguest.sh): the command comes in
 * fw_cfg "opt/vpmem/cmd"; its stdout goes to ttyS1, stderr to ttyS2, and its
 * exit status, as a decimal line, to ttyS3; ttyS0 is the kernel console. The
 * guest powers off when the command ends. Without a command the guest runs a
 * shell on ttyS0.
 */
#ifndef VPMEM_GUEST_H
#define VPMEM_GUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* $XDG_CACHE_HOME/vpmem (or ~/.cache/vpmem), $XDG_STATE_HOME/vpmem (~/.local/state/vpmem). */
int vpmem_cache_dir(char *buf, size_t len, struct vpmem_err *err);
int vpmem_state_dir(char *buf, size_t len, struct vpmem_err *err);
/* mkdir -p with mode 0755 */
int vpmem_mkdir_p(const char *path, struct vpmem_err *err);

struct vpmem_guest_files {
	char dir[PATH_MAX - 32]; /* <cache>/guest */
	char kernel[PATH_MAX];  /* <dir>/vmlinuz */
	char initrd[PATH_MAX];  /* <dir>/initrd.img */
};

/* Where the default guest lives; @must_exist: fail with a hint if not built. */
int vpmem_guest_files(struct vpmem_guest_files *g, bool must_exist, struct vpmem_err *err);

struct vpmem_guest_io {
	char *const *argv;          /* QEMU argv (batch mode, see qemu.h) */
	unsigned timeout_sec;       /* 0 = none */
	int out_fd, err_fd;         /* where the guest's stdout/stderr are streamed */
	const char *out_path, *err_path, *status_path, *console_path;
	const char *qemu_log_path;  /* QEMU's own stdout/stderr */
	const char *pid_dir;        /* set: QEMU's pid goes to pid_dir/pid (vmstate.h) */
	const volatile int *stop;   /* set non-zero (by a signal handler) to stop QEMU */
};

/*
 * Start QEMU, stream the command's output while it runs, wait (bounded by the
 * timeout, then kill), and return the guest command's exit status in
 * *@guest_status. Errors: the guest gave no status (panic, QEMU error, hang),
 * naming the last console or QEMU line.
 */
int vpmem_guest_exec(const struct vpmem_guest_io *io, int *guest_status, struct vpmem_err *err);

/* Pieces of the guest protocol for other launchers (libvirt.h): copy what is
 * new in @fd to @out; the exit status the guest wrote to @status_path (0, or
 * -1 if none); the last non-empty line of a log, for error messages. */
size_t vpmem_guest_pump(int fd, int out);
int vpmem_guest_read_status(const char *status_path, int *status);
void vpmem_guest_last_line(const char *path, char *buf, size_t len);

/*
 * Is KVM really usable for this guest? /dev/kvm must open, and a probe boot
 * of the default guest under KVM must power off cleanly within @timeout_sec
 * (on some nested hosts KVM guests die with "emulation failure" mid-boot or
 * hang). The answer is cached in @cache_file per QEMU version and host kernel.
 */
bool vpmem_kvm_usable(const char *qemu, const char *qemu_version,
		      const struct vpmem_guest_files *g, const char *cache_file,
		      unsigned timeout_sec);

#ifdef __cplusplus
}
#endif
#endif
