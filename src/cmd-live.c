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

/* mounts the layout asks for that are not in place: printed, done unless @dry */
static int mounts(const struct vpmem_live_region *r, const struct vpmem_layout *l, bool dry, bool print_only,
		  unsigned *n)
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
			printf("  mount     %-12s /dev/%s on %s (-o dax)\n", e->name[0] ? e->name : "(unnamed)", r->blockdev[k],
			       e->mount);
			if (!dry && !print_only && vpmem_live_mount(r->blockdev[k], e->mount, e->fs, &err))
				return cmd_error(EXIT_FAIL, "apply: %s", err.msg);
		}
	}
	return 0;
}

int apply_layout_live(const struct vpmem_layout *l, const char *region, bool force, bool dry)
{
	struct vpmem_live *lv = vpmem_live_new();
	struct vpmem_lplan *lp = vpmem_lplan_new();
	struct vpmem_err err = { 0 };
	struct vpmem_live_region *r;
	unsigned nm = 0;
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
	if (vpmem_layout_diff(l, r->ns, r->nns, r->labelled, r->size, r->fs, force, lp, &err)) {
		rc = cmd_error(EXIT_FAIL, "apply: %s: %s", r->dev, err.msg);
		goto out;
	}
	printf("%s: %s, %s%s\n", r->dev, vpmem_size_human(r->size, a, sizeof(a)),
	       r->labelled ? "labelled" : "label-less", r->dram ? " (memmap=, DRAM: lost at power-off)" : "");
	layout_print_plan(lp, l, r->ns);
	if (lp->nblocked) {
		rc = cmd_error(EXIT_FAIL, "apply: %s: the layout cannot be reached: %u step%s blocked (above); nothing was changed",
			       r->dev, lp->nblocked, lp->nblocked == 1 ? "" : "s");
		goto out;
	}
	if (!lp->nchanges) {
		rc = mounts(r, l, dry, false, &nm);
		if (!rc && !nm)
			printf("nothing to do\n");
		goto out;
	}
	if (dry) {
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
	rc = mounts(r, l, false, false, &nm);
	printf("applied\n");
	ns_print_list(r->ns, r->nns, (unsigned)atoi(r->dev + 6), NULL);
out:
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
	if (i >= 0) {
		vpmem_layout_from_region(lv->region[i].ns, lv->region[i].nns, lv->region[i].fs, out);
		snprintf(out->region, sizeof(out->region), "%s", region ? lv->region[i].dev : "");
	}
	vpmem_live_free(lv);
	return i < 0 ? -i : 0;
}
