// SPDX-License-Identifier: MIT
/* GRUB_CMDLINE_LINUX editing and the apply/remove transaction; rules in
 * include/vpmem/grub.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <vpmem/exec.h>
#include <vpmem/file.h>
#include <vpmem/grub.h>
#include <vpmem/input.h>

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
				/* sh: the word goes on after the closing quote unless a
				 * blank ends it ("a"b and "a"#b are one word); after the
				 * blank only a comment may follow */
				if (close + 1 < c + end && close[1] != ' ' && close[1] != '\t')
					return vpmem_err_set(err, EINVAL,
							     "line %u: GRUB_CMDLINE_LINUX continues after its closing quote; edit it by hand",
							     lineno);
				for (const char *q = close + 1; q < c + end; q++) {
					if (*q == '#')
						break;
					if (!isspace((unsigned char)*q))
						return vpmem_err_set(err, EINVAL,
								     "line %u: text after the quoted GRUB_CMDLINE_LINUX value", lineno);
				}
				l->value = strndup(v + 1, (size_t)(close - v - 1));
			} else {
				/* unquoted: one plain word, as sh reads it; quotes, escapes
				 * or expansions inside it (a"b c") change its meaning
				 * when edited, so they are refused (D9) */
				size_t n = strcspn(v, " \t\n");

				if (strcspn(v, "\"'\\$`") < n)
					return vpmem_err_set(err, EINVAL,
							     "line %u: unquoted GRUB_CMDLINE_LINUX value with quotes, escapes or expansions; quote the whole value or edit it by hand",
							     lineno);
				for (const char *q = v + n; q < c + end; q++) {
					if (*q == '#')
						break;
					if (!isspace((unsigned char)*q))
						return vpmem_err_set(err, EINVAL,
								     "line %u: text after the GRUB_CMDLINE_LINUX value", lineno);
				}
				l->value = strndup(v, n);
			}
			if (!l->value)
				return vpmem_err_set(err, ENOMEM, "out of memory");
			if (l->quote == '"' && strpbrk(l->value, "`$\\"))
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

/* ---- the transaction on a real file ---- */

int vpmem_grub_read(const char *path, struct vpmem_grub_file *f, struct vpmem_err *err)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (!lstat(path, &st) && S_ISLNK(st.st_mode) && !realpath(path, f->path))
		return vpmem_err_set(err, errno, "cannot resolve '%s': %s", path, strerror(errno));
	f->content = vpmem_read_input(f->path, 1 << 20, &f->len, "--grub-file", err);
	if (!f->content)
		return -(err && err->code ? err->code : EIO);
	if (strlen(f->content) != f->len) {
		vpmem_grub_file_free(f);
		return vpmem_err_set(err, EINVAL, "'%s' contains a NUL byte: not a GRUB defaults file (left untouched)",
				     path);
	}
	if (stat(f->path, &st)) {
		int e = errno;

		vpmem_grub_file_free(f);
		return vpmem_err_set(err, e, "cannot read '%s': %s", path, strerror(e));
	}
	f->mode = st.st_mode & 07777;
	return 0;
}

void vpmem_grub_file_free(struct vpmem_grub_file *f)
{
	free(f->content);
	f->content = NULL;
	f->len = 0;
}

void vpmem_grub_change_free(struct vpmem_grub_change *c)
{
	free(c->line);
	free(c->param);
	memset(c, 0, sizeof(*c));
}

/* FNV-1a of a file's bytes: the record remembers which backup is ours */
static void fnv1a(const char *p, size_t n, char out[24])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	snprintf(out, 24, "%016" PRIx64, h);
}

struct record {
	char *param, *original_line, *applied_line;
	bool had_line;
	char backup_fnv[24];    /* the backup vpmem wrote ("" = none recorded) */
};

static void record_free(struct record *s)
{
	free(s->param);
	free(s->original_line);
	free(s->applied_line);
	memset(s, 0, sizeof(*s));
}

static char *json_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? strdup(json_object_get_string(v)) : NULL;
}

/* FILE.vpmem: 0, -ENOENT (none) or -EINVAL (partial: it owns nothing) */
static int record_read(const char *grub, struct record *s)
{
	char path[4112], *text;
	json_object *o, *v;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s.vpmem", grub);
	text = vpmem_read_input(path, 1 << 20, NULL, NULL, NULL);
	o = text ? json_tokener_parse(text) : NULL;
	free(text);
	if (!o)
		return -ENOENT;
	s->param = json_str(o, "param");
	s->original_line = json_str(o, "original_line");
	s->applied_line = json_str(o, "applied_line");
	if (json_object_object_get_ex(o, "had_line", &v))
		s->had_line = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "backup_fnv", &v))
		snprintf(s->backup_fnv, sizeof(s->backup_fnv), "%s", json_object_get_string(v));
	json_object_put(o);
	if (!s->param || !s->original_line || !s->applied_line) {
		record_free(s);
		return -EINVAL;
	}
	return 0;
}

/* The space-separated words of @s (changed in place) as a NULL-terminated
 * malloc'ed array, or NULL when out of memory. */
static const char **words(char *s)
{
	size_t n = 2;
	const char **v;

	for (const char *p = s; *p; p++)
		n += *p == ' ';
	v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	n = 0;
	for (char *save = NULL, *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	return v;
}

static int nomem(struct vpmem_err *err)
{
	return vpmem_err_set(err, ENOMEM, "out of memory");
}

/* The new content: @param's words in, those of @old (may be NULL) out. */
static int edit_words(const struct vpmem_grub_file *f, const char *param, const char *old, char **out,
		      struct vpmem_err *err)
{
	char *a = param ? strdup(param) : NULL, *o = old ? strdup(old) : NULL;
	const char **add = a ? words(a) : NULL, **rem = o ? words(o) : NULL;
	int r;

	if ((param && !add) || (old && !rem))
		r = nomem(err);
	else if ((r = vpmem_grub_edit(f->content, rem, add, out, err)))
		vpmem_err_prefix(err, "'%s' refused (left untouched)", f->path);
	free(add);
	free(rem);
	free(a);
	free(o);
	return r;
}

static int record_write(const struct vpmem_grub_file *f, const char *param, const char *orig_line,
			bool had_line, const char *applied_line, const char *fnv, struct vpmem_err *err)
{
	json_object *o = json_object_new_object();
	char path[4112];
	int r;

	if (!o)
		return nomem(err);
	json_object_object_add(o, "param", json_object_new_string(param));
	json_object_object_add(o, "original_line", json_object_new_string(orig_line));
	json_object_object_add(o, "had_line", json_object_new_boolean(had_line));
	json_object_object_add(o, "applied_line", json_object_new_string(applied_line));
	json_object_object_add(o, "backup_fnv", json_object_new_string(fnv));
	snprintf(path, sizeof(path), "%s.vpmem", f->path);
	{
		const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);

		r = js ? vpmem_file_replace(path, js, strlen(js), 0644, err) : nomem(err);
	}
	json_object_put(o);
	return r;
}

int vpmem_grub_apply(const struct vpmem_grub_file *f, const char *param, bool dry,
		     struct vpmem_grub_change *c, struct vpmem_err *err)
{
	struct record old;
	bool have = record_read(f->path, &old) == 0;
	char *out = NULL, *orig = NULL, fnv[24];
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->backup, sizeof(c->backup), "%s.vpmem.bak", f->path);
	r = edit_words(f, param, have ? old.param : NULL, &out, err);
	if (r)
		goto out;
	c->changed = strcmp(out, f->content) != 0;
	c->line = vpmem_grub_line_text(out);
	if (!c->line) {
		r = nomem(err);
		goto out;
	}
	if (!c->changed || dry)
		goto out;
	/* the backup is the file as it was before vpmem's first edit: written
	 * now unless a record says vpmem wrote it already (a stale FILE.vpmem.bak
	 * from elsewhere is replaced, never announced as ours) */
	if (have && old.backup_fnv[0]) {
		snprintf(fnv, sizeof(fnv), "%s", old.backup_fnv);
	} else {
		fnv1a(f->content, f->len, fnv);
		if ((r = vpmem_file_replace(c->backup, f->content, f->len, f->mode, err)))
			goto out;
	}
	orig = have ? strdup(old.original_line) : vpmem_grub_line_text(f->content);
	if (!orig) {
		r = nomem(err);
		goto out;
	}
	/* the record first: a crash between the two writes leaves a record that
	 * remove can use against the old, unchanged file */
	r = record_write(f, param, orig, have ? old.had_line : *orig != '\0', c->line, fnv, err);
	if (!r)
		r = vpmem_file_replace(f->path, out, strlen(out), f->mode, err);
out:
	if (have)
		record_free(&old);
	free(orig);
	free(out);
	return r;
}

int vpmem_grub_remove(const struct vpmem_grub_file *f, bool dry, struct vpmem_grub_change *c,
		      struct vpmem_err *err)
{
	struct record s;
	char path[4112], *out = NULL, *line;
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->backup, sizeof(c->backup), "%s.vpmem.bak", f->path);
	if (record_read(f->path, &s))
		return vpmem_err_set(err, ENOENT, "no vpmem reservation recorded for '%s' (nothing to remove)", f->path);
	c->param = strdup(s.param);
	line = vpmem_grub_line_text(f->content);
	if (!c->param || !line) {
		r = nomem(err);
	} else if (!strcmp(line, s.applied_line)) {
		/* untouched since apply: put the original line back exactly */
		r = vpmem_grub_set_line(f->content, s.had_line ? s.original_line : "", &out, err);
		if (r)
			vpmem_err_prefix(err, "'%s' refused (left untouched)", f->path);
	} else {
		/* edited since: take out only our tokens */
		c->edited_since = true;
		r = edit_words(f, NULL, s.param, &out, err);
	}
	free(line);
	if (r || dry)
		goto out;
	c->changed = strcmp(out, f->content) != 0;
	if (c->changed && (r = vpmem_file_replace(f->path, out, strlen(out), f->mode, err)))
		goto out;
	snprintf(path, sizeof(path), "%s.vpmem", f->path);
	unlink(path);
	/* only the backup vpmem wrote goes (its bytes as recorded) */
	{
		size_t blen;
		char *b = vpmem_read_input(c->backup, 1 << 20, &blen, NULL, NULL), h[24];

		if (b) {
			fnv1a(b, blen, h);
			if (s.backup_fnv[0] && !strcmp(h, s.backup_fnv))
				unlink(c->backup);
			else
				c->foreign_backup = true;
			free(b);
		}
	}
out:
	if (!r && dry)
		c->changed = strcmp(out, f->content) != 0;
	record_free(&s);
	free(out);
	return r;
}

char *vpmem_grub_recorded_param(const char *path)
{
	struct record s;
	char *param;

	if (record_read(path, &s))
		return NULL;
	param = s.param;
	s.param = NULL;
	record_free(&s);
	return param;
}

/* The commands that regenerate grub.cfg, in the order they are looked for:
 * Debian's wrapper, then Fedora's and the plain grub-mkconfig. */
static const struct {
	const char *bin, *cmd;
} updaters[] = {
	{ "/usr/sbin/update-grub", "update-grub" },
	{ "/usr/sbin/grub2-mkconfig", "grub2-mkconfig -o /boot/grub2/grub.cfg" },
	{ "/usr/sbin/grub-mkconfig", "grub-mkconfig -o /boot/grub/grub.cfg" },
};

const char *vpmem_grub_update_cmd(const char *sysroot, char *buf, size_t len)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(updaters) / sizeof(updaters[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", sysroot ? sysroot : "", updaters[i].bin);
		if (!access(p, X_OK)) {
			snprintf(buf, len, "%s", updaters[i].cmd);
			return buf;
		}
	}
	return NULL;
}

int vpmem_grub_update_run(const char *cmd, char **out, int *status, struct vpmem_err *err)
{
	char words[128], *argv[8];
	size_t n = 0;

	/* argv, no shell (the README's promise): the known commands are plain words */
	snprintf(words, sizeof(words), "%s", cmd);
	for (char *save = NULL, *t = strtok_r(words, " ", &save); t && n + 1 < 8; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	return vpmem_exec_capture(argv, NULL, 0, out, status, err);
}
