// SPDX-License-Identifier: MIT
/* vpmem vm list|stop|rm: the VMs vpmem run started, whichever the launcher. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vpmem/launch.h>
#include <vpmem/libvirt.h>
#include <vpmem/size.h>
#include <vpmem/vmstate.h>

#include "options.h"
#include "table.h"
#include "vpmem.h"

const char usage_vm[] =
	"usage: vpmem vm list [--json] " TABLE_USAGE "\n"
	"       vpmem vm stop NAME [--timeout SEC]\n"
	"       vpmem vm rm NAME [--backings]\n"
	"\n"
	"The VMs 'vpmem run' started (state in $XDG_STATE_HOME/vpmem/vm/NAME), with\n"
	"the QEMU launcher or as libvirt domains (--libvirt).\n"
	"\n"
	"  list       name, state, launcher (qemu|libvirt), PMem, backings, pid; the\n"
	"             table's columns: NAME STATE LAUNCHER PMEM PID BACKINGS\n"
	"  stop NAME  press the ACPI power button and wait for the guest to power off;\n"
	"             after --timeout SEC (default 60) kill it (libvirt: destroy)\n"
	"  rm NAME    forget a stopped VM: its state, its libvirt domain (undefined),\n"
	"             and with --backings the backing files run created for it\n";

struct vm_row {
	char name[256];
	const char *state;
	long pid;
	struct vpmem_vmstate st;
};

static const char *state_of(const char *dir, struct vpmem_vmstate *st, long *pid)
{
	*pid = 0;
	if (st->launcher == VPMEM_LAUNCHER_LIBVIRT) {
		enum vpmem_domain_state ds;

		if (vpmem_libvirt_state(st->connect, st->domain, &ds, pid, NULL))
			return "unknown";
		switch (ds) {
		case VPMEM_DOMAIN_ABSENT: return "undefined";
		case VPMEM_DOMAIN_SHUTOFF: return "stopped";
		case VPMEM_DOMAIN_RUNNING: return "running";
		default: return "other";
		}
	}
	*pid = vpmem_vmstate_pid(dir);
	return *pid ? "running" : "stopped";
}

enum { VC_NAME, VC_STATE, VC_LAUNCHER, VC_PMEM, VC_PID, VC_BACKINGS, VC_COUNT };

static const struct table_col vm_cols[VC_COUNT] = {
	[VC_NAME] = { "NAME", 0.2, SCOLS_FL_TRUNC, T_DEF, 0 },
	[VC_STATE] = { "STATE", 7, 0, T_DEF, 0 },
	[VC_LAUNCHER] = { "LAUNCHER", 7, 0, T_DEF, 0 },
	[VC_PMEM] = { "PMEM", 5, SCOLS_FL_RIGHT, T_DEF, 0 },
	[VC_PID] = { "PID", 5, SCOLS_FL_RIGHT, T_DEF, 0 },
	[VC_BACKINGS] = { "BACKINGS", 0.5, SCOLS_FL_WRAP, T_DEF, 0 },
};

static int vm_list(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, TABLE_LONGOPTS, { NULL, 0, NULL, 0 },
	};
	struct cmd_opts p = { .cmd = "vm", .sub = "list", .longopts = opts };
	struct table_opts topts = { 0 };
	struct table *tb = NULL;
	int c, rows = 0;
	static struct vm_row row;
	char root[PATH_MAX - 300], dir[PATH_MAX];
	struct vpmem_err err = { 0 };
	json_object *arr = NULL;
	bool json = ctx->json;
	struct vpmem_strv names = VPMEM_STRV_INIT;

	while ((c = cmd_getopt(&p, argc, argv)) != -1) {
		int t = table_opt(c, optarg, &topts, "vm");

		if (t < 0)
			return EXIT_USAGE;
		if (t)
			continue;
		if (c != 'j')
			return EXIT_USAGE; /* cmd_getopt said why */
		json = true;
	}
	if (cmd_operands(&p, argc, argv, 0, 0, NULL))
		return EXIT_USAGE;
	if (vpmem_vmstate_root(root, sizeof(root), &err))
		return cmd_lib_error(EXIT_FAIL, &err);
	if (json)
		arr = json_object_new_array();
	else if ((c = table_new(&tb, "vm", vm_cols, VC_COUNT, &topts, 0, false)))
		return c;
	if (vpmem_vmstate_list(&names, &err)) {
		table_free(tb);
		json_object_put(arr);
		return cmd_lib_error(EXIT_FAIL, &err);
	}
	for (size_t i = 0; i < names.n; i++) {
		char pmem[32], backs[2048] = "";
		uint64_t total = 0;

		snprintf(dir, sizeof(dir), "%s/%s", root, names.v[i]);
		if (vpmem_vmstate_load(dir, &row.st, NULL))
			goto next;
		row.state = state_of(dir, &row.st, &row.pid);
		for (unsigned k = 0; k < row.st.ndimms; k++) {
			size_t used = strlen(backs);

			total += row.st.dimm[k].region;
			snprintf(backs + used, sizeof(backs) - used, "%s%s", k ? "," : "", row.st.dimm[k].path);
		}
		if (json) {
			json_object *o = json_object_new_object(), *b = json_object_new_array();

			json_object_object_add(o, "name", json_object_new_string(names.v[i]));
			json_object_object_add(o, "state", json_object_new_string(row.state));
			json_object_object_add(o, "launcher",
					       json_object_new_string(vpmem_launcher_name(row.st.launcher)));
			json_object_object_add(o, "pmem", json_object_new_uint64(total));
			for (unsigned k = 0; k < row.st.ndimms; k++)
				json_object_array_add(b, json_object_new_string(row.st.dimm[k].path));
			json_object_object_add(o, "backings", b);
			if (row.pid > 0)
				json_object_object_add(o, "pid", json_object_new_int64(row.pid));
			json_object_array_add(arr, o);
		} else {
			struct libscols_line *ln = table_row(tb, NULL);

			table_set(tb, ln, VC_NAME, "%s", names.v[i]);
			table_set(tb, ln, VC_STATE, "%s", row.state);
			table_set(tb, ln, VC_LAUNCHER, "%s", vpmem_launcher_name(row.st.launcher));
			table_set(tb, ln, VC_PMEM, "%s", vpmem_size_str(total, pmem, sizeof(pmem)));
			if (row.pid > 0)
				table_set(tb, ln, VC_PID, "%ld", row.pid);
			else
				table_set(tb, ln, VC_PID, "-");
			table_set(tb, ln, VC_BACKINGS, "%s", backs);
			rows++;
		}
		vpmem_vmstate_free(&row.st);
next:;
	}
	vpmem_strv_free(&names);
	if (json)
		out_json(arr);
	else if (rows) /* no VMs: no header either, as before */
		return table_print(tb);
	else
		table_free(tb);
	return EXIT_OK;
}

static int load_vm(const char *cmd, const char *name, char *dir, size_t len, struct vpmem_vmstate *st)
{
	struct vpmem_err err = { 0 };

	if (vpmem_vmstate_dir(name, dir, len, &err))
		return cmd_error(EXIT_USAGE, "%s: %s", cmd, err.msg);
	if (vpmem_vmstate_load(dir, st, &err)) {
		if (err.code == ENOENT || access(dir, F_OK))
			return cmd_error(EXIT_FAIL, "%s: no VM '%s' (see 'vpmem vm list')", cmd, name);
		return cmd_lib_error(EXIT_FAIL, &err);
	}
	return 0;
}

static int vm_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct cmd_opts p = { .cmd = "vm", .sub = "stop", .longopts = opts };
	static struct vpmem_vmstate st;
	struct vpmem_err err = { 0 };
	char dir[PATH_MAX];
	unsigned timeout = 60;
	bool killed = false;
	int c, r;

	while ((c = cmd_getopt(&p, argc, argv)) != -1) {
		char *end;

		switch (c) {
		case 't':
			timeout = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || timeout > 3600)
				return cmd_usage_error("vm stop", "--timeout '%s': use 0 to 3600 seconds", optarg);
			break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&p, argc, argv, 1, 1, "missing VM name"))
		return EXIT_USAGE;
	r = load_vm("vm stop", argv[optind], dir, sizeof(dir), &st);
	if (r)
		return r;
	if (st.launcher == VPMEM_LAUNCHER_LIBVIRT) {
		enum vpmem_domain_state ds;

		r = vpmem_libvirt_state(st.connect, st.domain, &ds, NULL, &err);
		if (!r && ds != VPMEM_DOMAIN_RUNNING && ds != VPMEM_DOMAIN_OTHER)
			r = vpmem_err_set(&err, ESRCH, "it is not running");
		if (!r)
			r = vpmem_libvirt_stop(st.connect, st.domain, timeout, &killed, &err);
	} else {
		r = vpmem_qemu_vm_stop(dir, timeout, &killed, &err);
	}
	vpmem_vmstate_free(&st);
	if (r)
		return cmd_error(EXIT_FAIL, "vm stop: VM '%s': %s", argv[optind], err.msg);
	if (killed)
		printf("VM '%s' did not power off within %u s: killed\n", argv[optind], timeout);
	else
		printf("VM '%s' powered off (ACPI)\n", argv[optind]);
	return EXIT_OK;
}

static int vm_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backings", no_argument, NULL, 'b' }, { NULL, 0, NULL, 0 },
	};
	struct cmd_opts p = { .cmd = "vm", .sub = "rm", .longopts = opts };
	static struct vpmem_vmstate st;
	struct vpmem_err err = { 0 };
	const char *name;
	char dir[PATH_MAX];
	int failed[VPMEM_MAX_DIMMS];
	bool backings = false;
	long pid;
	int c, r;

	while ((c = cmd_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'b': backings = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (cmd_operands(&p, argc, argv, 1, 1, "missing VM name"))
		return EXIT_USAGE;
	name = argv[optind];
	r = load_vm("vm rm", name, dir, sizeof(dir), &st);
	if (r)
		return r;
	if (!strcmp(state_of(dir, &st, &pid), "running") || (st.launcher == VPMEM_LAUNCHER_QEMU && pid)) {
		vpmem_vmstate_free(&st);
		return cmd_error(EXIT_FAIL, "vm rm: VM '%s' is running (stop it first: 'vpmem vm stop %s')", name, name);
	}
	if (st.launcher == VPMEM_LAUNCHER_LIBVIRT && vpmem_libvirt_undefine(st.connect, st.domain, &err)) {
		vpmem_vmstate_free(&st);
		return cmd_error(EXIT_FAIL, "vm rm: VM '%s': %s", name, err.msg);
	}
	r = vpmem_vmstate_remove(dir, &st, backings, failed);
	for (unsigned i = 0; i < st.ndimms; i++)
		if (failed[i])
			fprintf(stderr, "vpmem: warning: cannot remove '%s': %s\n", st.dimm[i].path, strerror(failed[i]));
	if (r)
		fprintf(stderr, "vpmem: warning: '%s' is not empty: kept\n", dir);
	for (unsigned i = 0; !backings && i < st.ndimms; i++)
		if (st.dimm[i].created)
			fprintf(stderr, "vpmem: kept backing '%s' (remove it with --backings)\n", st.dimm[i].path);
	vpmem_vmstate_free(&st);
	printf("VM '%s' removed\n", name);
	return EXIT_OK;
}

int cmd_vm(int argc, char **argv, struct vpmem_ctx *ctx)
{
	if (argc < 2)
		return cmd_usage_error("vm", "missing subcommand (list, stop or rm)");
	if (!strcmp(argv[1], "list"))
		return vm_list(argc - 1, argv + 1, ctx);
	if (!strcmp(argv[1], "stop"))
		return vm_stop(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm"))
		return vm_rm(argc - 1, argv + 1);
	return cmd_usage_error("vm", "unknown subcommand '%s' (list, stop or rm)", argv[1]);
}
