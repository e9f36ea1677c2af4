// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vpmem/exec.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vpmem_exec_capture(char *const argv[], const char *input, unsigned timeout_sec,
		       char **out, int *status, struct vpmem_err *err)
{
	int opipe[2], ipipe[2] = { -1, -1 }, ws;
	size_t len = 0, cap = 0, inoff = 0, inlen = input ? strlen(input) : 0;
	char *buf = NULL;
	long long deadline = timeout_sec ? now_ms() + timeout_sec * 1000LL : 0;
	bool timed_out = false;
	pid_t pid;

	if (pipe2(opipe, O_CLOEXEC))
		return vpmem_err_set(err, errno, "cannot create a pipe: %s", strerror(errno));
	if (input && pipe2(ipipe, O_CLOEXEC)) {
		close(opipe[0]);
		close(opipe[1]);
		return vpmem_err_set(err, errno, "cannot create a pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(opipe[0]);
		close(opipe[1]);
		if (input) {
			close(ipipe[0]);
			close(ipipe[1]);
		}
		return vpmem_err_set(err, e, "cannot fork: %s", strerror(e));
	}
	if (!pid) {
		int in = input ? ipipe[0] : open("/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(opipe[1], 1);
		dup2(opipe[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(opipe[1]);
	if (input) {
		close(ipipe[0]);
		fcntl(ipipe[1], F_SETFL, O_NONBLOCK);
	}
	for (;;) {
		struct pollfd p[2] = { { opipe[0], POLLIN, 0 }, { ipipe[1], POLLOUT, 0 } };
		int n = (input && ipipe[1] >= 0) ? 2 : 1, wait = -1;

		if (deadline) {
			long long left = deadline - now_ms();

			if (left <= 0) {
				timed_out = true;
				kill(pid, SIGKILL);
				break;
			}
			wait = (int)left;
		}
		if (poll(p, (nfds_t)n, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 2 && p[1].revents) {
			ssize_t w = write(ipipe[1], input + inoff, inlen - inoff);

			if (w > 0)
				inoff += (size_t)w;
			if (w < 0 || inoff == inlen) {
				close(ipipe[1]);
				ipipe[1] = -1;
			}
		}
		if (p[0].revents) {
			ssize_t r;

			if (len + 4096 + 1 > cap) {
				char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

				if (!nb)
					break;
				buf = nb;
			}
			r = read(opipe[0], buf + len, cap - len - 1);
			if (r <= 0)
				break;
			len += (size_t)r;
		}
	}
	close(opipe[0]);
	if (ipipe[1] >= 0)
		close(ipipe[1]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (buf)
		buf[len] = '\0';
	if (timed_out) {
		free(buf);
		return vpmem_err_set(err, ETIMEDOUT, "'%s' did not finish within %u s",
				     argv[0], timeout_sec);
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (*status == 127 && (!buf || !len)) {
		free(buf);
		return vpmem_err_set(err, ENOENT, "cannot run '%s': not found", argv[0]);
	}
	if (out)
		*out = buf ? buf : strdup("");
	else
		free(buf);
	return 0;
}
