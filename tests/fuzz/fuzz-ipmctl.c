// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the ipmctl outputs `vpmem goal` reads (lib/host/goal.c):
 * `ipmctl show -dimm|-region|-goal`, nvmxml (-o nvmxml, through libxml2) or
 * text tables, and ndctl's `list -RD` JSON; then the plan and the check for
 * every mode, as `vpmem goal` and `vpmem goal --check` do.
 *
 * Input: up to four outputs separated by NUL bytes, parsed one after another
 * into one state (as `vpmem goal --dimm A --region B --goal C --ndctl D`
 * does); a part starting with '{' or '[' is ndctl JSON.
 * Seeds: tests/fuzz/corpus/ipmctl (the real outputs of tests/data/ipmctl).
 */
#include <stdbool.h>

#include <vpmem/goal.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpmem_ipm *s = calloc(1, sizeof(*s));
	struct vpmem_goal_report *o = malloc(sizeof(*o));
	char *t = fuzz_cstr(data, size);
	size_t off = 0;
	bool any = false;

	if (!s || !o || !t)
		goto out;
	for (unsigned part = 0; part < 4 && off <= size; part++) {
		const char *p = t + off;
		size_t n = strlen(p);

		if (n && (p[0] == '{' || p[0] == '['))
			any |= !vpmem_ipm_parse_ndctl(p, n, s, NULL);
		else if (n)
			any |= !vpmem_ipm_parse(p, n, s, NULL);
		off += n + 1;
	}
	for (int m = 0; any && m < 3; m++)
		for (int sock = -1; sock < 2; sock++) {
			struct vpmem_goal_req r = { .mode = (enum vpmem_goal_mode)m,
						    .memory_pct = m == 2 ? 100 : 30, .socket = sock };

			vpmem_goal_plan(&r, s, o, NULL);
			vpmem_goal_check(&r, s, o, NULL);
		}
out:
	free(s);
	free(o);
	free(t);
	return 0;
}
