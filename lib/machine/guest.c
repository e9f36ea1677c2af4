// SPDX-License-Identifier: MIT
/* Default guest location and the guest command runner; see guest.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vpmem/exec.h>
#include <vpmem/guest.h>
#include <vpmem/input.h>
#include <vpmem/vmstate.h>

static int xdg_dir(const char *var, const char *fallback, char *buf, size_t len,
		   struct vpmem_err *err)
{
	const char *x = getenv(var), *home = getenv("HOME");
	int n;

	if (x && *x == '/')
		n = snprintf(buf, len, "%s/vpmem", x);
	else if (home && *home)
		n = snprintf(buf, len, "%s/%s/vpmem", home, fallback);
	else
		return vpmem_err_set(err, ENOENT, "neither %s nor HOME is set", var);
	if (n < 0 || (size_t)n >= len)
		return vpmem_err_set(err, ENAMETOOLONG, "%s path is too long", var);
	return 0;
}

int vpmem_cache_dir(char *buf, size_t len, struct vpmem_err *err)
{
	return xdg_dir("XDG_CACHE_HOME", ".cache", buf, len, err);
}

int vpmem_state_dir(char *buf, size_t len, struct vpmem_err *err)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state", buf, len, err);
}

/* The aliases and the meta-packages they stand for. */
static const struct {
	const char *alias, *package;
} guest_kernels[] = {
	{ "6.1", "linux-image-cloud-amd64" },
	{ "6.12", "linux-image-6.12-cloud-amd64" },
};

/* A kernel package: "linux-image-" and Debian policy 5.6.1's [a-z0-9+.-] */
static bool valid_package(const char *s)
{
	if (strncmp(s, "linux-image-", 12) || !s[12])
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
		      *p == '.' || *p == '-'))
			return false;
	return !strstr(s, "..");
}

int vpmem_guest_kernel_parse(const char *spec, struct vpmem_guest_kernel *k, struct vpmem_err *err)
{
	const char *from = "";

	if (!spec || !*spec) {
		spec = getenv(VPMEM_GUEST_KERNEL_ENV);
		from = " in $" VPMEM_GUEST_KERNEL_ENV;
	}
	if (!spec || !*spec)
		spec = VPMEM_GUEST_KERNEL_DEFAULT;
	for (size_t i = 0; i < sizeof(guest_kernels) / sizeof(guest_kernels[0]); i++) {
		if (strcmp(spec, guest_kernels[i].alias) && strcmp(spec, guest_kernels[i].package))
			continue;
		snprintf(k->name, sizeof(k->name), "%s", guest_kernels[i].alias);
		snprintf(k->package, sizeof(k->package), "%s", guest_kernels[i].package);
		return 0;
	}
	if (!valid_package(spec) || strlen(spec) >= sizeof(k->name))
		return vpmem_err_set(err, EINVAL,
				     "unknown guest kernel '%s'%s (6.1, 6.12 or a Debian package linux-image-...)",
				     spec, from);
	snprintf(k->name, sizeof(k->name), "%s", spec);
	snprintf(k->package, sizeof(k->package), "%s", spec);
	return 0;
}

unsigned vpmem_kernel_release_code(const char *release)
{
	char *end;
	unsigned long major, minor;

	if (!release || *release < '0' || *release > '9')
		return 0;
	major = strtoul(release, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return 0;
	minor = strtoul(end + 1, &end, 10);
	if (major > 999 || minor > 999)
		return 0;
	return (unsigned)(major * 1000 + minor);
}

int vpmem_kernel_file_release(const char *path, char *buf, size_t len, struct vpmem_err *err)
{
	unsigned char hdr[0x210];
	char ver[256];
	unsigned off;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot open '%s': %s", path, strerror(errno));
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4) ||
	    (hdr[0x206] | hdr[0x207] << 8) < 0x200 || !(off = hdr[0x20e] | hdr[0x20f] << 8)) {
		close(fd);
		return vpmem_err_set(err, ENODEV, "'%s' is not an x86 bzImage with a version string", path);
	}
	n = pread(fd, ver, sizeof(ver) - 1, (off_t)off + 0x200);
	close(fd);
	if (n <= 0)
		return vpmem_err_set(err, ENODEV, "'%s': cannot read the version string", path);
	ver[n] = '\0';
	ver[strcspn(ver, " ")] = '\0';
	if (!*ver || strlen(ver) >= len)
		return vpmem_err_set(err, ENODEV, "'%s': no kernel release in the version string", path);
	memcpy(buf, ver, strlen(ver) + 1);
	return 0;
}

/* A file of vpmem's own cache, for reading: never through a link, never a
 * FIFO or device (it would block or have effects: threat-model.md rule 2).
 * A stream, or NULL with errno set. */
static FILE *open_own_read(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

int vpmem_guest_files(struct vpmem_guest_files *g, const char *kernel, bool must_exist,
		      struct vpmem_err *err)
{
	struct vpmem_guest_kernel k;
	char cache[PATH_MAX - 256], vfile[PATH_MAX];
	int r = vpmem_guest_kernel_parse(kernel, &k, err);
	FILE *f;

	if (r)
		return r;
	r = vpmem_cache_dir(cache, sizeof(cache), err);
	if (r)
		return r;
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", k.name);
	snprintf(g->package, sizeof(g->package), "%s", k.package);
	snprintf(g->dir, sizeof(g->dir), "%s/guest/%s", cache, k.name);
	snprintf(g->debs, sizeof(g->debs), "%s/guest/debs", cache);
	snprintf(g->kernel, sizeof(g->kernel), "%s/vmlinuz", g->dir);
	snprintf(g->initrd, sizeof(g->initrd), "%s/initrd.img", g->dir);
	snprintf(vfile, sizeof(vfile), "%s/kernel-version", g->dir);
	f = open_own_read(vfile);
	if (f) {
		if (fgets(g->version, sizeof(g->version), f))
			g->version[strcspn(g->version, "\n")] = '\0';
		fclose(f);
	}
	if (must_exist && (access(g->kernel, R_OK) || access(g->initrd, R_OK)))
		return vpmem_err_set(err, ENOENT,
				     "the default guest for kernel %s is not built in '%s' (run 'vpmem guest build --kernel-package %s')",
				     g->name, g->dir, g->name);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy what is new in @fd to @out; returns bytes copied. */
static size_t pump(int fd, int out)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		for (ssize_t off = 0; out >= 0 && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w <= 0)
				break;
			off += w;
		}
	}
	return total;
}

/*
 * The line of a console log that says why the guest stopped, without control
 * characters: the kernel's panic line when the tail holds one (the lines after
 * it are the call trace and "Kernel Offset", which say nothing to the user;
 * kernel/panic.c prints "Kernel panic - not syncing: REASON"), else the last
 * non-empty line.
 */
static void last_line(const char *path, char *buf, size_t len)
{
	char tail[16384];
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	off_t size;
	ssize_t n;
	char *end, *start, *panic, *nl;

	buf[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(tail) - 1)
		lseek(fd, size - (off_t)sizeof(tail) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, tail, sizeof(tail) - 1);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	for (char *p = tail; p < tail + n; p++)
		if ((unsigned char)*p < 32 && *p != '\n')
			*p = ' ';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = NULL;
	for (char *p = tail; (p = strstr(p, "Kernel panic - not syncing")); p++)
		start = p;
	if (start) {
		/* from the start of the panic's line ("[ time] Kernel panic ...") */
		panic = start;
		while (start > tail && start[-1] != '\n')
			start--;
		nl = strchr(panic, '\n');
		if (nl)
			*nl = '\0';
	} else {
		start = strrchr(tail, '\n');
		start = start ? start + 1 : tail;
	}
	while (*start == ' ')
		start++;
	n = (ssize_t)strlen(start);
	while (n > 0 && start[n - 1] == ' ')
		n--;
	if ((size_t)n >= len)
		n = (ssize_t)len - 1;
	memcpy(buf, start, (size_t)n);
	buf[n] = '\0';
}

int vpmem_guest_cmdline(bool tcg, const char *extra, char *buf, size_t len)
{
	/*
	 * Under TCG on a loaded host the timer interrupt can arrive later than
	 * the IO-APIC check allows and the kernel panics at boot ("IO-APIC + timer
	 * doesn't work!", arch/x86/kernel/apic/io_apic.c check_timer(); seen here
	 * about once in 50 two-node 6.12 boots at load 15). no_timer_check skips
	 * that check (timer_irq_works() returns 1), as libguestfs's appliance does.
	 */
	int n = snprintf(buf, len, "console=ttyS0 panic=-1 loglevel=4%s%s%s",
			 tcg ? " no_timer_check" : "", extra ? " " : "", extra ? extra : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int create_empty(const char *path, struct vpmem_err *err)
{
	if (!path)
		return -1;
	/* run/ files of a state directory: a symlink there is removed, not followed */
	return vpmem_create_own(path, 0644, err);
}

size_t vpmem_guest_pump(int fd, int out)
{
	return pump(fd, out);
}

void vpmem_guest_last_line(const char *path, char *buf, size_t len)
{
	last_line(path, buf, len);
}

int vpmem_guest_read_status(const char *status_path, int *status)
{
	char buf[64], *end;
	int fd = open(status_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	long v;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	v = strtol(buf, &end, 10);
	if (end != buf && (*end == '\n' || *end == '\r' || !*end) && v >= 0 && v < 256) {
		*status = (int)v;
		return 0;
	}
	return -1;
}

/* SIGTERM (QEMU exits cleanly on it), SIGKILL after 3 s; reaped either way. */
static void stop_qemu(pid_t pid, int *ws)
{
	long long end = now_ms() + 3000;

	kill(pid, SIGTERM);
	while (waitpid(pid, ws, WNOHANG) != pid) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, ws, 0);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

int vpmem_guest_exec(const struct vpmem_guest_io *io, int *guest_status, struct vpmem_err *err)
{
	int ofd, efd, sfd, cfd, lfd, ws = 0, r = 0;
	long long deadline = io->timeout_sec ? now_ms() + io->timeout_sec * 1000LL : 0;
	bool exited = false, timed_out = false;
	char status[64] = "", line[256];
	pid_t pid;

	ofd = create_empty(io->out_path, err);
	efd = create_empty(io->err_path, err);
	sfd = create_empty(io->status_path, err);
	cfd = create_empty(io->console_path, err);
	lfd = create_empty(io->qemu_log_path, err);
	if (ofd < -1 || efd < -1 || sfd < -1 || cfd < -1 || lfd < -1) {
		r = -EIO;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = vpmem_err_set(err, errno, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		setpgid(0, 0);
		/* never outlive vpmem run, even if it is killed with SIGKILL */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		execvp(io->argv[0], io->argv);
		dprintf(2, "cannot run '%s': %s\n", io->argv[0], strerror(errno));
		_exit(127);
	}
	if (io->pid_dir)
		vpmem_vmstate_set_pid(io->pid_dir, (long)pid, NULL);
	while (!exited) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		pid_t w = waitpid(pid, &ws, WNOHANG);

		if (w == pid)
			exited = true;
		pump(ofd, io->out_fd);
		pump(efd, io->err_fd);
		if (exited)
			break;
		if (io->stop && *io->stop) {
			stop_qemu(pid, &ws);
			r = vpmem_err_set(err, EINTR, "interrupted: QEMU (pid %d) stopped", (int)pid);
			goto out;
		}
		if (deadline && now_ms() > deadline) {
			timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &ws, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	pump(ofd, io->out_fd);
	pump(efd, io->err_fd);
	if (sfd >= 0) {
		ssize_t n = pread(sfd, status, sizeof(status) - 1, 0);

		status[n > 0 ? n : 0] = '\0';
	}
	if (timed_out) {
		last_line(io->console_path, line, sizeof(line));
		r = vpmem_err_set(err, ETIMEDOUT,
				  "the guest did not finish within %u s (killed); last console line: %s",
				  io->timeout_sec, *line ? line : "(none)");
		goto out;
	}
	{
		char *end;
		long v = strtol(status, &end, 10);

		if (end != status && (*end == '\n' || *end == '\r' || !*end) && v >= 0 && v < 256) {
			*guest_status = (int)v;
			goto out;
		}
	}
	if (WIFEXITED(ws) && WEXITSTATUS(ws)) {
		last_line(io->qemu_log_path, line, sizeof(line));
		r = vpmem_err_set(err, EIO, "QEMU failed (exit status %d): %s", WEXITSTATUS(ws),
				  *line ? line : "(no message)");
	} else {
		last_line(io->console_path, line, sizeof(line));
		r = vpmem_err_set(err, EIO,
				  "the guest stopped without reporting an exit status; last console line: %s",
				  *line ? line : "(none)");
	}
out:
	for (int *fd = (int[]){ ofd, efd, sfd, cfd, lfd }, i = 0; i < 5; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return r;
}

/* Why the probe boot failed: QEMU's last line, or the console's. */
static void probe_failure(int rc, int st, const char *out, const char *console, unsigned timeout_sec,
			  char *why, size_t len)
{
	char line[200] = "";

	if (rc == -ETIMEDOUT) {
		last_line(console, line, sizeof(line));
		snprintf(why, len, "the probe boot under KVM did not power off within %u s (last console line: %s)",
			 timeout_sec, *line ? line : "none");
		return;
	}
	if (rc) {
		snprintf(why, len, "cannot run QEMU for the probe boot: %s", strerror(-rc));
		return;
	}
	if (out && *out) {
		const char *end = out + strlen(out), *start;

		while (end > out && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		for (start = end; start > out && start[-1] != '\n'; start--)
			;
		snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
		for (char *p = line; *p; p++)
			if ((unsigned char)*p < 32)
				*p = ' ';
	}
	if (st) {
		snprintf(why, len, "the probe boot under KVM failed (QEMU exit status %d%s%s)", st,
			 *line ? ": " : "", line);
		return;
	}
	last_line(console, line, sizeof(line));
	snprintf(why, len, "the probe guest under KVM stopped before its init ran (last console line: %s)",
		 *line ? line : "none");
}

bool vpmem_kvm_probe(const char *qemu, const char *qemu_version,
		     const struct vpmem_guest_files *g, const char *cache_file,
		     unsigned timeout_sec, void (*probing)(void *arg, unsigned timeout_sec),
		     void *arg, struct vpmem_kvm_verdict *v)
{
	struct utsname u;
	char key[PATH_MAX + 256], cached[PATH_MAX + 512] = "", con[PATH_MAX + 16], *argv[24], *out = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd, n = 0, st = -1, rc;
	FILE *f;

	memset(v, 0, sizeof(*v));
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(v->why, sizeof(v->why), "/dev/kvm cannot be opened: %s", strerror(errno));
		return false;
	}
	close(fd);
	v->device = true;
	uname(&u);
	snprintf(key, sizeof(key), "qemu=%s kernel=%s initrd=%s", qemu_version, u.release, g->initrd);
	f = open_own_read(cache_file);
	if (f) {
		if (fgets(cached, sizeof(cached), f))
			cached[strcspn(cached, "\n")] = '\0';
		fclose(f);
		if (!strncmp(cached, key, strlen(key)) && cached[strlen(key)] == ' ') {
			const char *ans = cached + strlen(key) + 1;

			v->cached = true;
			v->usable = !strcmp(ans, "ok");
			if (!v->usable)
				/* "fail REASON" (older caches: "fail") */
				snprintf(v->why, sizeof(v->why), "%s (cached in '%s')",
					 !strncmp(ans, "fail ", 5) ? ans + 5 : "a probe boot under KVM failed",
					 cache_file);
			return v->usable;
		}
	}
	if (probing)
		probing(arg, timeout_sec);
	/* QEMU's file chardev opens its path with O_CREAT|O_TRUNC and follows
	 * links: the console goes into a fresh directory of our own (mkdtemp:
	 * 0700, made with O_EXCL semantics), never to a name in the cache where
	 * a planted link would have QEMU truncate its target */
	if ((size_t)snprintf(dir, sizeof(dir), "%s.console.XXXXXX", cache_file) >= sizeof(dir) || !mkdtemp(dir)) {
		snprintf(v->why, sizeof(v->why), "cannot make a directory for the probe's console beside '%s': %s", cache_file,
			 strerror(errno ? errno : ENAMETOOLONG));
		return false;
	}
	snprintf(con, sizeof(con), "file:%s/console", dir);
	snprintf(path, sizeof(path), "%s/console", dir);
	argv[n++] = (char *)qemu;
	argv[n++] = (char *)"-machine";
	argv[n++] = (char *)"pc,nvdimm=on";
	argv[n++] = (char *)"-accel";
	argv[n++] = (char *)"kvm";
	argv[n++] = (char *)"-cpu";
	argv[n++] = (char *)"host";
	argv[n++] = (char *)"-m";
	argv[n++] = (char *)"256M";
	argv[n++] = (char *)"-nodefaults";
	argv[n++] = (char *)"-display";
	argv[n++] = (char *)"none";
	argv[n++] = (char *)"-no-reboot";
	argv[n++] = (char *)"-kernel";
	argv[n++] = (char *)g->kernel;
	argv[n++] = (char *)"-initrd";
	argv[n++] = (char *)g->initrd;
	argv[n++] = (char *)"-append";
	argv[n++] = (char *)"console=ttyS0 panic=-1 vpmem.probe=1";
	argv[n++] = (char *)"-serial";
	argv[n++] = con;
	argv[n] = NULL;
	rc = vpmem_exec_capture(argv, NULL, timeout_sec, &out, &st, NULL);
	if (!rc && st == 0) {
		FILE *c = fopen(path, "re");
		char buf[256];

		while (c && fgets(buf, sizeof(buf), c))
			if (strstr(buf, "vpmem-probe-ok"))
				v->usable = true;
		if (c)
			fclose(c);
	}
	if (!v->usable)
		probe_failure(rc, st, out, path, timeout_sec, v->why, sizeof(v->why));
	unlink(path);
	rmdir(dir);
	free(out);
	{
		int cfd = vpmem_create_own(cache_file, 0644, NULL);

		f = cfd >= 0 ? fdopen(cfd, "w") : NULL;
		if (f) {
			fprintf(f, "%s %s%s%s\n", key, v->usable ? "ok" : "fail", v->usable ? "" : " ", v->usable ? "" : v->why);
			fclose(f);
		} else if (cfd >= 0) {
			close(cfd);
		}
	}
	return v->usable;
}

bool vpmem_kvm_usable(const char *qemu, const char *qemu_version,
		      const struct vpmem_guest_files *g, const char *cache_file,
		      unsigned timeout_sec)
{
	struct vpmem_kvm_verdict v;

	return vpmem_kvm_probe(qemu, qemu_version, g, cache_file, timeout_sec, NULL, NULL, &v);
}

int vpmem_kvm_status(const char *qemu, const char *qemu_version, void (*probing)(void *arg, unsigned timeout_sec),
		     void *arg, struct vpmem_kvm_verdict *v)
{
	struct vpmem_guest_files g;
	char cache[PATH_MAX - 32], probe[PATH_MAX];
	int fd;

	memset(v, 0, sizeof(*v));
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(v->why, sizeof(v->why), "/dev/kvm cannot be opened: %s", strerror(errno));
		return 0;
	}
	close(fd);
	v->device = true;
	if (!qemu_version || !*qemu_version || vpmem_guest_files(&g, NULL, true, NULL) ||
	    vpmem_cache_dir(cache, sizeof(cache), NULL)) {
		snprintf(v->why, sizeof(v->why), "not probed: needs QEMU and the default guest (vpmem guest build)");
		return -1;
	}
	snprintf(probe, sizeof(probe), "%s/" VPMEM_KVM_PROBE_FILE, cache);
	return vpmem_kvm_probe(qemu, qemu_version, &g, probe, VPMEM_KVM_PROBE_TIMEOUT, probing, arg, v);
}

int vpmem_guest_built_package(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX + 32];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel-package", dir);
	f = open_own_read(path);
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}
