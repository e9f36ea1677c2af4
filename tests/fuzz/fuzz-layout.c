// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the text parsers of issue 13: the layout JSON
 * (vpmem_layout_parse, then what apply does with a parsed layout: the diff
 * against a fixed region, emitting it back, Nova's line) and the ipmctl /
 * ndctl outputs vpmem goal reads (vpmem_ipm_parse, vpmem_ipm_parse_ndctl,
 * then plan and check).
 *
 * Input: byte 0 selects the parser (even: layout, odd: ipmctl; bit 1 with
 * odd: ndctl JSON), the rest is the text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <vpmem/goal.h>
#include <vpmem/layout.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void layout(const char *t, size_t n)
{
	struct vpmem_layout *l = vpmem_layout_new();
	struct vpmem_lplan *p = vpmem_lplan_new();
	struct vpmem_ns_info ns[3];
	enum vpmem_fs fs[3] = { VPMEM_FS_EXT4, VPMEM_FS_NONE, VPMEM_FS_XFS };
	struct vpmem_nova nova;
	char line[600];

	memset(ns, 0, sizeof(ns));
	for (unsigned i = 0; i < 3; i++) {
		ns[i].index = i;
		ns[i].labelled = true;
		ns[i].mode = (enum vpmem_ns_mode)(i + 1);
		ns[i].rawsize = (16ULL << 20) * (i + 1);
		ns[i].raw_uuid[0] = (uint8_t)i;
		snprintf(ns[i].name, sizeof(ns[i].name), "%s", i == 2 ? "db" : "x");
	}
	if (l && p && !vpmem_layout_parse(t, n, l, NULL)) {
		for (int labelled = 0; labelled < 2; labelled++)
			for (int force = 0; force < 2; force++)
				if (!vpmem_layout_diff(l, ns, labelled ? 3 : 1, labelled, 64ULL << 20, fs, force, p, NULL))
					for (unsigned i = 0; i < p->nsteps; i++)
						vpmem_lstep_describe(p, i, l, ns, line, sizeof(line));
		json_object_put(vpmem_layout_to_json(l));
		if (!vpmem_layout_nova(l, &nova, NULL))
			vpmem_nova_free(&nova);
	}
	vpmem_layout_free(l);
	vpmem_lplan_free(p);
}

static void ipmctl(const char *t, size_t n, bool ndctl)
{
	struct vpmem_ipm *s = calloc(1, sizeof(*s));
	struct vpmem_goal_report *o = malloc(sizeof(*o));
	struct vpmem_goal_req r = { .socket = -1 };

	if (s && o && !(ndctl ? vpmem_ipm_parse_ndctl(t, n, s, NULL) : vpmem_ipm_parse(t, n, s, NULL)))
		for (int m = 0; m < 3; m++) {
			r.mode = (enum vpmem_goal_mode)m;
			r.memory_pct = m == 2 ? 100 : 30;
			vpmem_goal_plan(&r, s, o, NULL);
			vpmem_goal_check(&r, s, o, NULL);
		}
	free(s);
	free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t;

	if (!size)
		return 0;
	t = malloc(size);
	if (!t)
		return 0;
	memcpy(t, data + 1, size - 1);
	t[size - 1] = '\0';
	if (data[0] & 1)
		ipmctl(t, size - 1, data[0] & 2);
	else
		layout(t, size - 1);
	free(t);
	return 0;
}
