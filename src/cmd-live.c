// SPDX-License-Identifier: MIT
/* vpmem apply/layout --live: this machine's regions, through libndctl (lib/host/live.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/layout.h>
#include <vpmem/live.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "vpmem.h"

static int scan_select(struct vpmem_live *lv, const char *region, const struct vpmem_layout *l, const char *cmd)
{
	struct vpmem_err err = { 0 };
	int i;

	if (vpmem_live_scan(lv, &err))
		return -cmd_error(EXIT_FAIL, "%s: %s", cmd, err.msg);
	i = vpmem_live_select(lv, region, l, &err);
	if (i < 0)
		return -cmd_error(EXIT_FAIL, "%s: %s", cmd, err.msg);
	return i;
}

/* mounts the layout asks for that are not in place: printed (or added to
 * @ja, --json), done unless @dry */
static int mounts(const struct vpmem_live_region *r, const struct vpmem_layout *l, bool dry, bool print_only,
		  unsigned *n, json_object *ja)
{
	struct vpmem_err err = { 0 };

	*n = 0;
	for (unsigned i = 0; i < l->nns; i++) {
		const struct vpmem_layout_ns *e = &l->ns[i];

		if (!e->mount[0])
			continue;
		for (unsigned k = 0; k < r->nns; k++) {
			bool same = r->labelled ? !strcmp(r->ns[k].name, e->name) : k == 0;

			if (!same || !r->blockdev[k][0] || r->fs[k] != e->fs || vpmem_live_mounted(r->blockdev[k], e->mount))
				continue;
			(*n)++;
			if (ja) {
				json_object *o = json_object_new_object();
				char dev[40];

				snprintf(dev, sizeof(dev), "/dev/%s", r->blockdev[k]);
				json_object_object_add(o, "name", e->name[0] ? json_object_new_string(e->name) : NULL);
				json_object_object_add(o, "device", json_object_new_string(dev));
				json_object_object_add(o, "mount", json_object_new_string(e->mount));
				json_object_object_add(o, "options", json_object_new_string("dax"));
				json_object_array_add(ja, o);
			} else {
				printf("  mount     %-12s /dev/%s on %s (-o dax)\n", e->name[0] ? e->name : "(unnamed)",
				       r->blockdev[k], e->mount);
			}
			if (!dry && !print_only && vpmem_live_mount(r->blockdev[k], e->mount, e->fs, &err))
				return cmd_error(EXIT_FAIL, "apply: %s", err.msg);
		}
	}
	return 0;
}

/* --json: {"region", "dry_run", "size", "labelled", "dram", "plan",
 * "blocked", "changes", "mounts", "nothing_to_do"}, and after an apply
 * "namespaces" */
static json_object *live_json(const struct vpmem_live_region *r, const struct vpmem_lplan *lp,
			      const struct vpmem_layout *l, bool dry)
{
	json_object *w = json_object_new_object(), *o;

	json_object_object_add(w, "size", json_object_new_uint64(r->size));
	json_object_object_add(w, "labelled", json_object_new_boolean(r->labelled));
	json_object_object_add(w, "dram", json_object_new_boolean(r->dram));
	o = apply_plan_json("region", r->dev, dry, w, lp, l, r->ns, (unsigned)atoi(r->dev + 6));
	json_object_object_add(o, "mounts", json_object_new_array());
	return o;
}

int apply_layout_live(const struct vpmem_layout *l, const char *region, const struct apply_opts *o)
{
	struct vpmem_live *lv = vpmem_live_new();
	struct vpmem_lplan *lp = vpmem_lplan_new();
	struct vpmem_err err = { 0 };
	struct vpmem_live_region *r;
	json_object *jo = NULL, *jm = NULL;
	unsigned nm = 0;
	bool dry = o->dry;
	char a[32];
	int i, rc = 0;

	if (!lv || !lp) {
		vpmem_live_free(lv);
		vpmem_lplan_free(lp);
		return cmd_error(EXIT_FAIL, "out of memory");
	}
	i = scan_select(lv, region, l, "apply");
	if (i < 0) {
		rc = -i;
		goto out;
	}
	r = &lv->region[i];
	if (vpmem_layout_diff(l, r->ns, r->nns, r->labelled, r->size, r->fs, o->force, lp, &err)) {
		rc = cmd_error(EXIT_FAIL, "apply: %s: %s", r->dev, err.msg);
		goto out;
	}
	if (o->json) {
		jo = live_json(r, lp, l, dry);
		json_object_object_get_ex(jo, "mounts", &jm);
	} else {
		printf("%s: %s, %s%s\n", r->dev, vpmem_size_human(r->size, a, sizeof(a)),
		       r->labelled ? "labelled" : "label-less", r->dram ? " (memmap=, DRAM: lost at power-off)" : "");
		layout_print_plan(lp, l, r->ns);
	}
	if (lp->nblocked) {
		rc = cmd_error(EXIT_FAIL, "apply: %s: the layout cannot be reached: %u step%s blocked (above); nothing was changed",
			       r->dev, lp->nblocked, lp->nblocked == 1 ? "" : "s");
		goto out;
	}
	if (!lp->nchanges) {
		rc = mounts(r, l, dry, false, &nm, jm);
		if (!rc && !nm && !jo)
			printf("nothing to do\n");
		if (jo)
			json_object_object_add(jo, "nothing_to_do", json_object_new_boolean(!rc && !nm));
		goto out;
	}
	if (jo)
		json_object_object_add(jo, "nothing_to_do", json_object_new_boolean(0));
	if (dry) {
		if (!jo)
			printf("dry run: nothing changed\n");
		goto out;
	}
	if (vpmem_live_apply(r, l, lp, &err)) {
		rc = cmd_error(EXIT_FAIL, "apply: %s: %s", r->dev, err.msg);
		goto out;
	}
	i = scan_select(lv, r->dev, NULL, "apply");
	if (i < 0) {
		rc = -i;
		goto out;
	}
	r = &lv->region[i];
	rc = mounts(r, l, false, false, &nm, jm);
	if (jo) {
		json_object *ns = json_object_new_array();

		for (unsigned k = 0; k < r->nns; k++)
			json_object_array_add(ns, ns_to_json(&r->ns[k], (unsigned)atoi(r->dev + 6), 0));
		json_object_object_add(jo, "namespaces", ns);
	} else {
		printf("applied\n");
		ns_print_list(r->ns, r->nns, (unsigned)atoi(r->dev + 6), NULL);
	}
out:
	if (jo)
		out_json(jo); /* also when blocked: the plan says why */
	vpmem_live_free(lv);
	vpmem_lplan_free(lp);
	return rc;
}

int layout_of_live(const char *region, struct vpmem_layout *out)
{
	struct vpmem_live *lv = vpmem_live_new();
	int i;

	if (!lv)
		return cmd_error(EXIT_FAIL, "out of memory");
	i = scan_select(lv, region, NULL, "layout");
	if (i >= 0 && vpmem_layout_from_region(lv->region[i].ns, lv->region[i].nns, lv->region[i].fs, out))
		i = -cmd_error(EXIT_FAIL, "out of memory");
	else if (i >= 0)
		snprintf(out->region, sizeof(out->region), "%s", region ? lv->region[i].dev : "");
	vpmem_live_free(lv);
	return i < 0 ? -i : 0;
}
