/* SPDX-License-Identifier: MIT */
/*
 * Error reporting for libvpmem.
 *
 * The library never prints and never exits. Every fallible call takes a
 * `struct vpmem_err *` (may be NULL) and returns 0 or a negative errno; on
 * failure the struct holds the errno and a one-line, lowercase message that
 * names the problem (and, where it is not obvious, the fix), ready to be shown
 * after "vpmem: error: ".
 */
#ifndef VPMEM_ERROR_H
#define VPMEM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define VPMEM_ERR_MSG_MAX 512

struct vpmem_err {
	int code;                     /* positive errno, 0 = no error */
	char msg[VPMEM_ERR_MSG_MAX];  /* one line, no trailing newline */
};

/* Record an error; returns -code so callers can `return vpmem_err_set(...)`. */
int vpmem_err_set(struct vpmem_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put "PREFIX: " before the message already in @err (the code is kept), so a
 * caller adds what it knows (the file, the block) without formatting err->msg
 * into itself. Returns -err->code (0 when @err is NULL).
 */
int vpmem_err_prefix(struct vpmem_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void vpmem_err_clear(struct vpmem_err *err);

#ifdef __cplusplus
}
#endif
#endif
