// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vpmem/error.h>

int vpmem_err_set(struct vpmem_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		/* one line only */
		for (char *p = err->msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
	}
	return -code;
}

void vpmem_err_clear(struct vpmem_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
