// SPDX-License-Identifier: MIT
/* vpmem apply/layout --live: this machine's regions (libndctl). */
#include <stdio.h>

#include <vpmem/layout.h>

#include "vpmem.h"

int apply_layout_live(const struct vpmem_layout *l, const char *region, bool force, bool dry)
{
	(void)l; (void)region; (void)force; (void)dry;
	return cmd_error(EXIT_FAIL, "apply: --live is not built yet");
}

int layout_of_live(const char *region, struct vpmem_layout *out)
{
	(void)region; (void)out;
	return cmd_error(EXIT_FAIL, "layout: --live is not built yet");
}
