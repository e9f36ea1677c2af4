// SPDX-License-Identifier: MIT
/* GRUB_CMDLINE_LINUX editing; rules in include/vpmem/grub.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/grub.h>

#define KEY "GRUB_CMDLINE_LINUX="

void vpmem_grub_line_free(struct vpmem_grub_line *l)
{
	free(l->value);
	memset(l, 0, sizeof(*l));
}

static int find_line(const char *c, struct vpmem_grub_line *l, struct vpmem_err *err)
{
	unsigned lineno = 0;

	memset(l, 0, sizeof(*l));
	for (size_t pos = 0; c[pos]; ) {
		size_t end = pos + strcspn(c + pos, "\n"), i = pos;
		const char *v, *close;

		lineno++;
		while (i < end && (c[i] == ' ' || c[i] == '\t'))
			i++;
		if (end > pos && c[end - 1] == '\\' && c[i] != '#')
			return vpmem_err_set(err, EINVAL, "line %u ends with a line continuation; edit it by hand", lineno);
		if (!strncmp(c + i, "export ", 7))
			i += 7;
		if (!strncmp(c + i, KEY, strlen(KEY))) {
			if (l->found)
				return vpmem_err_set(err, EINVAL,
						     "GRUB_CMDLINE_LINUX is assigned twice (lines %u and later); merge them by hand", lineno);
			l->found = true;
			l->start = pos;
			l->end = end;
			v = c + i + strlen(KEY);
			if (*v == '"' || *v == '\'') {
				l->quote = *v;
				close = memchr(v + 1, *v, (size_t)(c + end - (v + 1)));
				if (!close)
					return vpmem_err_set(err, EINVAL, "line %u: unterminated %c quote in GRUB_CMDLINE_LINUX",
							     lineno, *v);
				/* only a comment may follow the closing quote */
				for (const char *q = close + 1; q < c + end; q++) {
					if (*q == '#')
						break;
					if (!isspace((unsigned char)*q))
						return vpmem_err_set(err, EINVAL,
								     "line %u: text after the quoted GRUB_CMDLINE_LINUX value", lineno);
				}
				l->value = strndup(v + 1, (size_t)(close - v - 1));
			} else {
				size_t n = strcspn(v, " \t#\n");

				l->value = strndup(v, n);
			}
			if (!l->value)
				return vpmem_err_set(err, ENOMEM, "out of memory");
			if (strchr(l->value, '`') || strstr(l->value, "$(") ||
			    (l->quote == '"' && strchr(l->value, '\\')))
				return vpmem_err_set(err, EINVAL,
						     "line %u: GRUB_CMDLINE_LINUX uses shell substitution or escapes; edit it by hand",
						     lineno);
		}
		pos = c[end] ? end + 1 : end;
	}
	return 0;
}

int vpmem_grub_find(const char *c, struct vpmem_grub_line *l, struct vpmem_err *err)
{
	int r = find_line(c, l, err);

	if (r)
		vpmem_grub_line_free(l); /* a refusal owns nothing */
	return r;
}

static bool listed(const char *tok, size_t n, const char *const *list)
{
	for (; list && *list; list++)
		if (strlen(*list) == n && !strncmp(*list, tok, n))
			return true;
	return false;
}

char *vpmem_grub_line_text(const char *content)
{
	struct vpmem_grub_line l;
	size_t start, end;

	if (vpmem_grub_find(content, &l, NULL) || !l.found) {
		vpmem_grub_line_free(&l);
		return strdup("");
	}
	start = l.start;
	end = l.end;
	vpmem_grub_line_free(&l);
	return strndup(content + start, end - start);
}

int vpmem_grub_set_line(const char *c, const char *line, char **out, struct vpmem_err *err)
{
	struct vpmem_grub_line l;
	size_t clen = strlen(c), llen = strlen(line);
	int r = vpmem_grub_find(c, &l, err);
	char *o;

	if (r)
		return r;
	o = malloc(clen + llen + 3);
	if (!o) {
		vpmem_grub_line_free(&l);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	if (l.found) {
		size_t tail = l.end;

		if (!llen && c[tail] == '\n')
			tail++; /* delete the whole line */
		memcpy(o, c, l.start);
		memcpy(o + l.start, line, llen);
		strcpy(o + l.start + llen, c + tail);
	} else if (llen) {
		strcpy(o, c);
		if (clen && c[clen - 1] != '\n')
			strcat(o, "\n");
		strcat(o, line);
		strcat(o, "\n");
	} else {
		strcpy(o, c);
	}
	vpmem_grub_line_free(&l);
	*out = o;
	return 0;
}

int vpmem_grub_edit(const char *c, const char *const *remove, const char *const *add,
		    char **out, struct vpmem_err *err)
{
	struct vpmem_grub_line l;
	size_t cap = 64, n = 0;
	char *val, *line = NULL, *prefix = NULL, *suffix = NULL;
	int r = vpmem_grub_find(c, &l, err);

	if (r)
		return r;
	for (const char *const *a = add; a && *a; a++)
		cap += strlen(*a) + 1;
	cap += l.value ? strlen(l.value) : 0;
	val = calloc(1, cap);
	if (!val) {
		vpmem_grub_line_free(&l);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	/* keep the existing tokens in order; drop the removed ones. When none
	 * goes, the old value is kept byte for byte and the new ones appended. */
	if (l.value) {
		const char *p = l.value;
		bool touched = false;

		for (const char *q = l.value; *q;) {
			size_t tk;

			q += strspn(q, " \t");
			tk = strcspn(q, " \t");
			if (!tk)
				break;
			touched |= listed(q, tk, remove) || listed(q, tk, add);
			q += tk;
		}
		if (!touched) {
			strcpy(val, l.value);
			n = strlen(val);
			while (n && (val[n - 1] == ' ' || val[n - 1] == '\t'))
				n--;
			val[n] = '\0';
			p = "";
		}

		while (*p) {
			size_t sp = strspn(p, " \t"), tk;

			p += sp;
			tk = strcspn(p, " \t");
			if (!tk)
				break;
			if (!listed(p, tk, remove) && !(listed(p, tk, add))) {
				if (n)
					val[n++] = ' ';
				memcpy(val + n, p, tk);
				n += tk;
			}
			p += tk;
		}
	}
	for (const char *const *a = add; a && *a; a++) {
		if (n)
			val[n++] = ' ';
		strcpy(val + n, *a);
		n += strlen(*a);
	}
	if (l.found) {
		const char *v = strstr(c + l.start, KEY) + strlen(KEY);
		const char *after = l.quote ? (const char *)memchr(v + 1, l.quote, (size_t)(c + l.end - (v + 1))) + 1
					    : v + strcspn(v, " \t#\n");
		char q = l.quote ? l.quote : (strpbrk(val, " \t") ? '"' : 0);

		prefix = strndup(c + l.start, (size_t)(v - (c + l.start)));
		suffix = strndup(after, (size_t)(c + l.end - after));
		if (prefix && suffix && asprintf(&line, "%s%s%s%s%s", prefix, q ? (char[]){ q, 0 } : "", val,
						 q ? (char[]){ q, 0 } : "", suffix) < 0)
			line = NULL;
	} else if (asprintf(&line, KEY "\"%s\"", val) < 0) {
		line = NULL;
	}
	free(prefix);
	free(suffix);
	free(val);
	vpmem_grub_line_free(&l);
	if (!line)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	r = vpmem_grub_set_line(c, line, out, err);
	free(line);
	return r;
}
