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
#include <linux/limits.h> /* PATH_MAX, also under -std=c11 */
#include <stdbool.h>
#include <stddef.h>

#include <vpmem/error.h>
#include <vpmem/file.h>

#ifdef __cplusplus
extern "C" {
#endif

/* $XDG_CACHE_HOME/vpmem (or ~/.cache/vpmem), $XDG_STATE_HOME/vpmem (~/.local/state/vpmem). */
int vpmem_cache_dir(char *buf, size_t len, struct vpmem_err *err);
int vpmem_state_dir(char *buf, size_t len, struct vpmem_err *err);
/* vpmem_mkdir_p() is in file.h */

/*
 * The default guest's kernel: an alias or a Debian kernel package.
 *   "6.1"  -> linux-image-cloud-amd64       (Debian 12's cloud kernel; the default)
 *   "6.12" -> linux-image-6.12-cloud-amd64  (Debian 12's 6.12 cloud kernel)
 *   any other "linux-image-*" name -> that package
 * Each kernel has its own cached guest, <cache>/guest/<name>, side by side, so
 * switching kernels never rebuilds. The two meta-package names map to their
 * aliases (one guest per kernel, whatever it was called).
 */
#define VPMEM_GUEST_KERNEL_DEFAULT "6.1"
#define VPMEM_GUEST_KERNEL_ENV "VPMEM_GUEST_KERNEL"

struct vpmem_guest_kernel {
	char name[96];     /* cache directory name: "6.1", "6.12" or the package name */
	char package[96];  /* the Debian package to build from */
};

/*
 * Resolve @spec (alias or package name). NULL or "" means $VPMEM_GUEST_KERNEL,
 * else VPMEM_GUEST_KERNEL_DEFAULT. -EINVAL with a message naming the choices.
 */
int vpmem_guest_kernel_parse(const char *spec, struct vpmem_guest_kernel *k, struct vpmem_err *err);

struct vpmem_guest_files {
	char name[96];           /* the kernel's name (see vpmem_guest_kernel) */
	char package[96];        /* its Debian package as named (meta-packages unresolved) */
	char dir[PATH_MAX - 128]; /* <cache>/guest/<name> */
	char debs[PATH_MAX];     /* <cache>/guest/debs: downloaded packages, shared */
	char kernel[PATH_MAX];   /* <dir>/vmlinuz */
	char initrd[PATH_MAX];   /* <dir>/initrd.img */
	char version[96];        /* the built kernel's release (uname -r), "" if not built */
};

/*
 * Where the default guest for @kernel (as for vpmem_guest_kernel_parse) lives;
 * @must_exist: fail with a hint if it is not built.
 */
int vpmem_guest_files(struct vpmem_guest_files *g, const char *kernel, bool must_exist,
		      struct vpmem_err *err);

/*
 * The Debian package the default guest in @dir (vpmem_guest_files' dir) was
 * built from, a meta-package resolved (its kernel-package file, written by
 * guest/mkguest.sh), into @buf ("" when the file is empty). 0, or -errno when
 * @dir holds no such file (not a default guest's directory).
 */
int vpmem_guest_built_package(const char *dir, char *buf, size_t len);

/*
 * A kernel release ("6.12.117+deb12-cloud-amd64") as major*1000 + minor
 * (6012); 0 if it does not start with "MAJOR.MINOR".
 */
unsigned vpmem_kernel_release_code(const char *release);

/*
 * The release of an x86 bzImage (what uname -r will say), from its setup
 * header (Linux Documentation/arch/x86/boot.rst: "HdrS" at 0x202, protocol
 * >= 2.00 at 0x206, kernel_version at 0x20e pointing to a NUL-terminated
 * string at that offset + 0x200). -ENODEV if the file is not one.
 */
int vpmem_kernel_file_release(const char *path, char *buf, size_t len, struct vpmem_err *err);

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
 * The default guest's kernel command line into @buf: its console and panic
 * settings, the parameters the accelerator needs (@tcg: see guest.c), then
 * @extra (the user's --append; NULL for none). -ENAMETOOLONG if it does not fit.
 */
int vpmem_guest_cmdline(bool tcg, const char *extra, char *buf, size_t len);

/*
 * Is KVM really usable for this guest? /dev/kvm must open, and a probe boot
 * of the default guest under KVM must power off cleanly within @timeout_sec
 * (on some nested hosts KVM guests die with "emulation failure" mid-boot or
 * hang). The answer is cached in @cache_file per QEMU version and host kernel.
 */
bool vpmem_kvm_usable(const char *qemu, const char *qemu_version,
		      const struct vpmem_guest_files *g, const char *cache_file,
		      unsigned timeout_sec);

/* The KVM probe run and doctor make: its answer cached in this file of the
 * cache directory (vpmem_cache_dir), its boot given this many seconds. */
#define VPMEM_KVM_PROBE_FILE "kvm-probe"
#define VPMEM_KVM_PROBE_TIMEOUT 30

/* The answer of vpmem_kvm_probe(), with its reason. */
struct vpmem_kvm_verdict {
	bool usable;
	bool device;            /* /dev/kvm opened */
	bool cached;            /* the answer came from the cache file, no boot */
	char why[256];          /* when not usable: one line, e.g. "/dev/kvm cannot be
				 * opened: No such file or directory", "the probe boot
				 * did not power off within 30 s" */
};

/*
 * vpmem_kvm_usable() with its reason in *@v. @probing (may be NULL) is called
 * with @arg just before a probe boot starts (the answer is not cached), so a
 * caller can say that something that may take @timeout_sec is under way. The
 * reason of a failed probe is cached with the answer.
 */
bool vpmem_kvm_probe(const char *qemu, const char *qemu_version,
		     const struct vpmem_guest_files *g, const char *cache_file,
		     unsigned timeout_sec, void (*probing)(void *arg, unsigned timeout_sec),
		     void *arg, struct vpmem_kvm_verdict *v);

/*
 * What `vpmem doctor` reports of KVM: whether /dev/kvm opens (v->device) and,
 * when QEMU (@qemu_version known) and the default guest are there, the
 * answer of vpmem_kvm_probe() for the default guest, cached in the cache
 * directory (vpmem_cache_dir, "kvm-probe"; @probing as there). 1 usable,
 * 0 not usable, -1 not probed; v->why says why when not 1.
 */
int vpmem_kvm_status(const char *qemu, const char *qemu_version, void (*probing)(void *arg, unsigned timeout_sec),
		     void *arg, struct vpmem_kvm_verdict *v);

#ifdef __cplusplus
}
#endif
#endif
