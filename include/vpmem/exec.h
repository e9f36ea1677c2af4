/* SPDX-License-Identifier: MIT */
/* Run a program (argv, no shell), optionally feeding stdin and capturing output. */
#ifndef VPMEM_EXEC_H
#define VPMEM_EXEC_H

#include <vpmem/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Run @argv[0] (PATH lookup) with @input on stdin (NULL = /dev/null), stdout
 * and stderr captured together into *@out (malloc'ed, NUL-terminated; may be
 * NULL to discard). Kills the child after @timeout_sec (0 = none).
 * *@status = exit status, or 128+signal. Returns 0 when it ran, -errno when it
 * could not be started or timed out.
 */
int vpmem_exec_capture(char *const argv[], const char *input, unsigned timeout_sec,
		       char **out, int *status, struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
