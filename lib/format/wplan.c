// SPDX-License-Identifier: MIT
/*
 * Planned writes (struct vpmem_wplan, image.h): what every writer of an
 * image shares beyond adding and applying them (image.c).
 */
#include <vpmem/image.h>

void vpmem_wplan_drop_barriers(struct vpmem_wplan *p)
{
	for (size_t i = 0; i < p->n; i++)
		p->w[i].sync = false;
}
