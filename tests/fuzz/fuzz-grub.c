// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the /etc/default/grub editor: find the
 * GRUB_CMDLINE_LINUX assignment, add and remove memmap= tokens, replace the
 * line, as `vpmem emulate --apply/--remove` do. The input is the file.
 */
#include <vpmem/grub.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const add[] = { "memmap=1G!4G", NULL };
	static const char *const rm[] = { "memmap=1G!4G", "quiet", NULL };
	struct vpmem_grub_line l;
	char *text = fuzz_cstr(data, size), *out = NULL, *back = NULL, *line;

	if (!text)
		return 0;
	if (!vpmem_grub_find(text, &l, NULL))
		vpmem_grub_line_free(&l);
	/* an edit that succeeds must be removable again */
	if (!vpmem_grub_edit(text, NULL, add, &out, NULL) && !vpmem_grub_edit(out, rm, NULL, &back, NULL))
		free(back);
	free(out);
	line = vpmem_grub_line_text(text);
	if (line && !vpmem_grub_set_line(text, line, &out, NULL))
		free(out);
	free(line);
	free(text);
	return 0;
}
