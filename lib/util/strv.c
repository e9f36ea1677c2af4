// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/strv.h>

static int strv_take(struct vpmem_strv *sv, char *s)
{
	if (!s)
		return -ENOMEM;
	if (sv->n + 2 > sv->alloc) {
		size_t na = sv->alloc ? sv->alloc * 2 : 16;
		char **nv = realloc(sv->v, na * sizeof(*nv));

		if (!nv) {
			free(s);
			return -ENOMEM;
		}
		sv->v = nv;
		sv->alloc = na;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int vpmem_strv_push(struct vpmem_strv *sv, const char *s)
{
	return strv_take(sv, strdup(s));
}

int vpmem_strv_pushf(struct vpmem_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return strv_take(sv, s);
}

void vpmem_strv_free(struct vpmem_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

int vpmem_qemu_escape_append(char **buf, const char *val)
{
	size_t old = *buf ? strlen(*buf) : 0, extra = 0;
	char *nb, *p;

	for (const char *q = val; *q; q++)
		extra += *q == ',' ? 2 : 1;
	nb = realloc(*buf, old + extra + 1);
	if (!nb)
		return -ENOMEM;
	p = nb + old;
	for (const char *q = val; *q; q++) {
		*p++ = *q;
		if (*q == ',')
			*p++ = ',';
	}
	*p = '\0';
	*buf = nb;
	return 0;
}
