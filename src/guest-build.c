// SPDX-License-Identifier: MIT
/* Locate and run guest/mkguest.sh, the default guest builder. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vpmem/guest.h>

#include "config.h"
#include "guest-build.h"

/* $VPMEM_DATADIR, else <prefix>/share/vpmem next to the executable, else the
 * installed datadir, else the source tree (running from a build directory). */
int guest_script(char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("VPMEM_DATADIR");
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s/guest/mkguest.sh", env);
		return access(buf, R_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		/* the build tree's vpmem uses the source tree's script, never an
		 * older installed one */
		if (!strncmp(exe, VPMEM_BUILDDIR "/", strlen(VPMEM_BUILDDIR) + 1)) {
			snprintf(buf, len, "%s/guest/mkguest.sh", VPMEM_SRCDIR);
			if (!access(buf, R_OK))
				return 0;
		}
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/../share/vpmem/guest/mkguest.sh", exe);
			if (!access(buf, R_OK))
				return 0;
		}
	}
	snprintf(buf, len, "%s/guest/mkguest.sh", VPMEM_DATADIR);
	if (!access(buf, R_OK))
		return 0;
	snprintf(buf, len, "%s/guest/mkguest.sh", VPMEM_SRCDIR);
	return access(buf, R_OK) ? -ENOENT : 0;
}

int guest_build(const char *kernel, bool force, bool quiet, struct vpmem_err *err)
{
	struct vpmem_guest_files g;
	char script[PATH_MAX], exe[PATH_MAX];
	char *argv[16];
	int n = 0, ws;
	ssize_t len;
	pid_t pid;
	int r = vpmem_guest_files(&g, kernel, false, err);

	if (r)
		return r;
	if (guest_script(script, sizeof(script)))
		return vpmem_err_set(err, ENOENT,
				     "cannot find guest/mkguest.sh (set VPMEM_DATADIR to vpmem's data directory)");
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return vpmem_err_set(err, errno, "cannot find the vpmem executable: %s", strerror(errno));
	exe[len] = '\0';
	argv[n++] = (char *)"/bin/sh";
	argv[n++] = script;
	argv[n++] = (char *)"--out";
	argv[n++] = g.dir;
	argv[n++] = (char *)"--vpmem";
	argv[n++] = exe;
	argv[n++] = (char *)"--debs";
	argv[n++] = g.debs;
	argv[n++] = (char *)"--kernel-package";
	argv[n++] = g.package;
	if (force)
		argv[n++] = (char *)"--force";
	if (quiet)
		argv[n++] = (char *)"--quiet";
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return vpmem_err_set(err, errno, "cannot fork: %s", strerror(errno));
	if (!pid) {
		/* the builder's progress goes to stderr: stdout stays for results */
		dup2(2, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return vpmem_err_set(err, errno, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		return vpmem_err_set(err, EIO, "building the default guest for kernel %s failed (see the messages above)",
				     g.name);
	return 0;
}
