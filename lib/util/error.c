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

int vpmem_err_prefix(struct vpmem_err *err, const char *fmt, ...)
{
	char cause[sizeof(err->msg)], pfx[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return 0;
	snprintf(cause, sizeof(cause), "%s", err->msg);
	va_start(ap, fmt);
	vsnprintf(pfx, sizeof(pfx), fmt, ap);
	va_end(ap);
	return vpmem_err_set(err, err->code, "%s: %s", pfx, cause);
}

void vpmem_err_clear(struct vpmem_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
