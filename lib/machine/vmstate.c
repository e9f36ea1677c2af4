// SPDX-License-Identifier: MIT
/* A VM's saved spec, lock and pid; see vmstate.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <vpmem/file.h>
#include <vpmem/guest.h>
#include <vpmem/vmstate.h>
#include <vpmem/input.h>

const char *vpmem_launcher_name(enum vpmem_launcher l)
{
	return l == VPMEM_LAUNCHER_LIBVIRT ? "libvirt" : "qemu";
}

int vpmem_vmstate_name_check(const char *name, struct vpmem_err *err)
{
	if (!name || !*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 200)
		return vpmem_err_set(err, EINVAL, "invalid VM name '%s'", name ? name : "");
	return 0;
}

int vpmem_vmstate_root(char *buf, size_t len, struct vpmem_err *err)
{
	int r = vpmem_state_dir(buf, len, err);

	if (r)
		return r;
	if (strlen(buf) + 4 >= len)
		return vpmem_err_set(err, ENAMETOOLONG, "state path is too long");
	strcat(buf, "/vm");
	return 0;
}

int vpmem_vmstate_list(struct vpmem_strv *names, struct vpmem_err *err)
{
	char root[PATH_MAX];
	struct dirent **ents = NULL;
	int n, r = vpmem_vmstate_root(root, sizeof(root), err);

	if (r)
		return r;
	n = scandir(root, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (!r && ents[i]->d_name[0] != '.' && vpmem_strv_push(names, ents[i]->d_name))
			r = vpmem_err_set(err, ENOMEM, "out of memory");
		free(ents[i]);
	}
	free(ents);
	return r;
}

int vpmem_vmstate_dir(const char *name, char *buf, size_t len, struct vpmem_err *err)
{
	int r = vpmem_vmstate_name_check(name, err);

	if (!r)
		r = vpmem_vmstate_root(buf, len, err);
	if (r)
		return r;
	if (strlen(buf) + strlen(name) + 2 >= len)
		return vpmem_err_set(err, ENAMETOOLONG, "state path is too long");
	strcat(buf, "/");
	strcat(buf, name);
	return 0;
}

static void path_in(char *buf, size_t len, const char *dir, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
}

static long read_pid(const char *dir)
{
	char p[PATH_MAX + 8], *text;
	long pid = 0;

	path_in(p, sizeof(p), dir, "pid");
	text = vpmem_read_file(p, 64, NULL);
	if (text)
		pid = strtol(text, NULL, 10);
	free(text);
	return pid > 0 ? pid : 0;
}

/* Is the lock in @dir held by someone? (probe with a shared non-blocking lock) */
static bool lock_held(const char *dir)
{
	char p[PATH_MAX + 8];
	int fd;
	bool held;

	path_in(p, sizeof(p), dir, "lock");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) != 0;
	close(fd);
	return held;
}

long vpmem_vmstate_pid(const char *dir)
{
	char p[PATH_MAX + 8];
	long pid = read_pid(dir);

	if (lock_held(dir))
		return pid ? pid : -1;
	if (pid) {
		/* the run that wrote it is gone: a stale pid file */
		path_in(p, sizeof(p), dir, "pid");
		unlink(p);
	}
	return 0;
}

void vpmem_vmstate_clear_pid(const char *dir)
{
	char p[PATH_MAX + 8];

	path_in(p, sizeof(p), dir, "pid");
	unlink(p);
}

int vpmem_vmstate_set_pid(const char *dir, long pid, struct vpmem_err *err)
{
	char p[PATH_MAX + 8], text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", pid);

	path_in(p, sizeof(p), dir, "pid");
	return vpmem_file_replace(p, text, (size_t)n, 0600, err);
}

int vpmem_vmstate_lock(const char *dir, const char *name, bool *stale, struct vpmem_err *err)
{
	char p[PATH_MAX + 8];
	int fd, r;
	long pid;

	if (stale)
		*stale = false;
	r = vpmem_mkdir_p(dir, err);
	if (r)
		return r;
	r = vpmem_check_own_dir(dir, err);
	if (r)
		return r;
	path_in(p, sizeof(p), dir, "lock");
	fd = vpmem_open_own(p, O_CREAT | O_RDWR, 0600, NULL, err);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pid = read_pid(dir);
		close(fd);
		if (pid)
			return vpmem_err_set(err, EBUSY, "VM '%s' is already running (pid %ld; stop it with 'vpmem vm stop %s')",
					     name, pid, name);
		return vpmem_err_set(err, EBUSY, "VM '%s' is already running (state '%s' is locked)", name, dir);
	}
	pid = read_pid(dir);
	if (pid) {
		path_in(p, sizeof(p), dir, "pid");
		unlink(p);
		if (stale)
			*stale = true;
	}
	/* inherited across fork/exec: the lock lives as long as QEMU */
	fcntl(fd, F_SETFD, 0);
	r = vpmem_vmstate_set_pid(dir, (long)getpid(), err);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static json_object *strv_json(const struct vpmem_strv *sv)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

static int json_strv(json_object *o, const char *key, struct vpmem_strv *sv)
{
	json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string))
			continue; /* not what run writes: skipped */
		if (vpmem_strv_push(sv, json_object_get_string(e)))
			return -ENOMEM;
	}
	return 0;
}

int vpmem_vmstate_save(const char *dir, const struct vpmem_vmstate *st, struct vpmem_err *err)
{
	json_object *j = json_object_new_object(), *dimms = json_object_new_array();
	char p[PATH_MAX + 16];
	int r = 0;

	json_object_object_add(j, "name", json_object_new_string(st->name));
	json_object_object_add(j, "launcher", json_object_new_string(vpmem_launcher_name(st->launcher)));
	if (st->launcher == VPMEM_LAUNCHER_LIBVIRT) {
		json_object_object_add(j, "connect", json_object_new_string(st->connect));
		json_object_object_add(j, "domain", json_object_new_string(st->domain));
	}
	if (st->extra_dir)
		json_object_object_add(j, "libvirt_dir", json_object_new_string(st->extra_dir));
	json_object_object_add(j, "virtio_pmem", json_object_new_boolean(st->virtio));
	for (unsigned i = 0; i < st->ndimms; i++) {
		const struct vpmem_vmstate_dimm *d = &st->dimm[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(d->path));
		json_object_object_add(o, "slot", json_object_new_int((int)d->slot));
		json_object_object_add(o, "node", json_object_new_int((int)d->node));
		json_object_object_add(o, "size", json_object_new_uint64(d->size));
		json_object_object_add(o, "label_size", json_object_new_uint64(d->label_size));
		json_object_object_add(o, "region_size", json_object_new_uint64(d->region));
		json_object_object_add(o, "addr", json_object_new_uint64(d->addr));
		json_object_object_add(o, "created", json_object_new_boolean(d->created));
		json_object_array_add(dimms, o);
	}
	json_object_object_add(j, "dimms", dimms);
	json_object_object_add(j, "options", strv_json(&st->options));
	json_object_object_add(j, "argv", strv_json(&st->argv));
	path_in(p, sizeof(p), dir, "spec.json");
	/* temp beside it (O_EXCL: a planted symlink is never followed), fsync,
	 * rename: a crash leaves the old spec or the new one */
	{
		const char *js = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY);

		r = js ? vpmem_file_replace(p, js, strlen(js), 0600, err) : vpmem_err_set(err, ENOMEM, "out of memory");
		if (r)
			vpmem_err_prefix(err, "cannot save the VM spec");
	}
	json_object_put(j);
	return r;
}

static uint64_t getu(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_uint64(v) : 0;
}

static void gets_(json_object *o, const char *k, char *buf, size_t len)
{
	json_object *v;

	buf[0] = '\0';
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

int vpmem_vmstate_load(const char *dir, struct vpmem_vmstate *st, struct vpmem_err *err)
{
	char p[PATH_MAX + 16], buf[16];
	json_object *j, *a, *v;

	memset(st, 0, sizeof(*st));
	path_in(p, sizeof(p), dir, "spec.json");
	if (access(p, F_OK))
		return vpmem_err_set(err, ENOENT, "no VM spec in '%s' (vpmem run saves it when it starts a VM)", p);
	j = json_object_from_file(p);
	if (!j || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return vpmem_err_set(err, EINVAL, "'%s' is not a VM spec (not JSON)", p);
	}
	gets_(j, "name", st->name, sizeof(st->name));
	gets_(j, "launcher", buf, sizeof(buf));
	st->launcher = !strcmp(buf, "libvirt") ? VPMEM_LAUNCHER_LIBVIRT : VPMEM_LAUNCHER_QEMU;
	gets_(j, "connect", st->connect, sizeof(st->connect));
	gets_(j, "domain", st->domain, sizeof(st->domain));
	if (json_object_object_get_ex(j, "libvirt_dir", &v) && json_object_is_type(v, json_type_string))
		st->extra_dir = strdup(json_object_get_string(v));
	st->virtio = json_object_object_get_ex(j, "virtio_pmem", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(j, "dimms", &a) && json_object_is_type(a, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(a) && st->ndimms < VPMEM_MAX_DIMMS; i++) {
			json_object *o = json_object_array_get_idx(a, i);
			struct vpmem_vmstate_dimm *d = &st->dimm[st->ndimms];

			if (!json_object_object_get_ex(o, "path", &v) || !json_object_is_type(v, json_type_string))
				continue;
			d->path = strdup(json_object_get_string(v));
			if (!d->path)
				continue;
			d->slot = (unsigned)getu(o, "slot");
			d->node = (unsigned)getu(o, "node");
			d->size = getu(o, "size");
			d->label_size = getu(o, "label_size");
			d->region = getu(o, "region_size");
			d->addr = getu(o, "addr");
			d->created = json_object_object_get_ex(o, "created", &v) && json_object_get_boolean(v);
			st->ndimms++;
		}
	}
	if (json_strv(j, "options", &st->options) || json_strv(j, "argv", &st->argv)) {
		json_object_put(j);
		vpmem_vmstate_free(st);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	json_object_put(j);
	return 0;
}

int vpmem_vmstate_from_plan(struct vpmem_vmstate *st, const struct vpmem_vm_plan *plan,
			    const bool *created, struct vpmem_err *err)
{
	st->virtio = plan->virtio;
	st->ndimms = 0;
	for (unsigned i = 0; i < plan->ndimms; i++) {
		const struct vpmem_vm_dimm *p = &plan->dimm[i];
		struct vpmem_vmstate_dimm *d = &st->dimm[i];

		d->path = strdup(p->path);
		if (!d->path)
			return vpmem_err_set(err, ENOMEM, "out of memory");
		d->slot = p->slot;
		d->node = p->node;
		d->size = p->size;
		d->label_size = p->label_size;
		d->region = p->region;
		d->addr = p->addr;
		d->created = created ? created[i] : p->create;
		st->ndimms++;
	}
	return 0;
}

static void remove_files(const char *dir, const char *const *names)
{
	char p[PATH_MAX + 32];

	for (; *names; names++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *names);
		unlink(p);
	}
}

int vpmem_vmstate_remove(const char *dir, const struct vpmem_vmstate *st, bool backings,
			 int failed[VPMEM_MAX_DIMMS])
{
	static const char *const state_files[] = { "spec.json", "lock", "pid", NULL };
	static const char *const run_files[] = { "console.log", "stdout", "stderr", "status", "cmd",
						 "qemu.log", "qmp.sock", NULL };
	static const char *const lv_files[] = { "vmlinuz", "initrd.img", "cmd", NULL };
	char run[PATH_MAX + 8];

	for (unsigned i = 0; i < VPMEM_MAX_DIMMS; i++)
		failed[i] = 0;
	for (unsigned i = 0; backings && i < st->ndimms; i++)
		if (st->dimm[i].created && unlink(st->dimm[i].path) && errno != ENOENT)
			failed[i] = errno;
	if (st->extra_dir) {
		remove_files(st->extra_dir, lv_files);
		rmdir(st->extra_dir); /* kept while backings are in it */
	}
	snprintf(run, sizeof(run), "%s/run", dir);
	remove_files(run, run_files);
	rmdir(run);
	remove_files(dir, state_files);
	if (rmdir(dir) && errno != ENOENT)
		return -ENOTEMPTY;
	return 0;
}

void vpmem_vmstate_free(struct vpmem_vmstate *st)
{
	for (unsigned i = 0; i < st->ndimms; i++)
		free(st->dimm[i].path);
	free(st->extra_dir);
	vpmem_strv_free(&st->options);
	vpmem_strv_free(&st->argv);
	memset(st, 0, sizeof(*st));
}

/* A running vpmem VM (other than @self_dir) whose spec names dev:ino. */
static long held_by_vm(const struct stat *want, const char *self_dir, char *who, size_t len)
{
	static struct vpmem_vmstate st;
	char root[PATH_MAX - 300], dir[PATH_MAX];
	struct stat self = { 0 }, sd;
	struct dirent *e;
	long found = 0;
	DIR *d;

	if (vpmem_vmstate_root(root, sizeof(root), NULL))
		return 0;
	if (self_dir)
		stat(self_dir, &self);
	d = opendir(root);
	while (d && !found && (e = readdir(d))) {
		long pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		if (stat(dir, &sd) || !S_ISDIR(sd.st_mode) ||
		    (self_dir && sd.st_dev == self.st_dev && sd.st_ino == self.st_ino))
			continue;
		pid = vpmem_vmstate_pid(dir);
		if (!pid || vpmem_vmstate_load(dir, &st, NULL))
			continue;
		for (unsigned i = 0; i < st.ndimms; i++) {
			struct stat bs;

			if (!stat(st.dimm[i].path, &bs) && bs.st_dev == want->st_dev && bs.st_ino == want->st_ino) {
				found = pid;
				snprintf(who, len, "%s", e->d_name);
				break;
			}
		}
		vpmem_vmstate_free(&st);
	}
	if (d)
		closedir(d);
	return found;
}

int vpmem_backing_in_use(const char *path, const char *self_dir, struct vpmem_err *err)
{
	struct stat st;
	bool unreadable = false;
	char who[256];
	long pid;

	if (stat(path, &st))
		return 0;
	pid = vpmem_file_mapped_by(st.st_dev, st.st_ino, &unreadable);
	if (pid) {
		char comm[64] = "", p[64], *t;

		snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
		t = vpmem_read_file(p, 64, NULL);
		if (t) {
			t[strcspn(t, "\n")] = '\0';
			snprintf(comm, sizeof(comm), "%s", t);
			free(t);
		}
		return vpmem_err_set(err, EBUSY,
				     "'%s' is mapped by process %ld%s%s%s (another VM is using it): stop that VM first",
				     path, pid, *comm ? " (" : "", comm, *comm ? ")" : "");
	}
	/* an image being served (the nbdkit plugin) or changed (namespace
	 * create, import, export) holds vpmem's image lock */
	pid = vpmem_file_lock_holder(path, who, sizeof(who));
	if (pid > 0 && !strcmp(who, "nbdkit"))
		return vpmem_err_set(err, EBUSY, "'%s' is being served by nbdkit (pid %ld): stop it first", path, pid);
	if (pid > 0)
		return vpmem_err_set(err, EBUSY, "'%s' is locked by process %ld%s%s%s (it is being changed or served): wait for it or stop it first",
				     path, pid, *who ? " (" : "", who, *who ? ")" : "");
	if (pid < 0)
		return vpmem_err_set(err, EBUSY, "'%s' is locked by another process (it is being changed or served)", path);
	pid = held_by_vm(&st, self_dir, who, sizeof(who));
	if (pid)
		return vpmem_err_set(err, EBUSY,
				     "'%s' belongs to VM '%s', which is running (pid %ld): stop it first ('vpmem vm stop %s')",
				     path, who, pid, who);
	if (unreadable)
		return vpmem_err_set(err, EACCES,
				     "cannot tell whether another user's process maps '%s' (their /proc/PID/maps is unreadable): run as root to be sure",
				     path);
	return 0;
}
