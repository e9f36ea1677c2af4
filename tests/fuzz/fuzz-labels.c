// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the label area decoder (index blocks, v1.1/v1.2
 * labels, free bitmap): vpmem_lsa_decode on the input as a label area.
 *
 * Byte 0 = flags: bit0 recompute both index checksums (v1.1 and v1.2
 * geometry) and every v1.2 label checksum, so mutations get past the
 * checksums and reach the fields behind them. The rest is the label area
 * (its size is the input's, at most 256 KiB).
 */
#include <vpmem/label.h>
#include <vpmem/nfit.h>

#include "fuzz.h"
#include "../../lib/util/le.h"

#define MAX_CFG (256u << 10)

static void fix_checksums(uint8_t *buf, size_t cfg)
{
	for (int v = VPMEM_LABEL_V1_1; v <= VPMEM_LABEL_V1_2; v++) {
		struct vpmem_lsa_geom g;

		if (vpmem_lsa_geom(cfg, (enum vpmem_label_version)v, &g, NULL))
			continue;
		for (int i = 0; i < 2; i++) {
			uint8_t *ix = buf + (size_t)i * g.isz;

			memset(ix + 64, 0, 8);
			put_le64(ix + 64, vpmem_fletcher64(ix, g.isz, 1));
		}
		if (v == VPMEM_LABEL_V1_2)
			for (uint32_t s = 0; s < g.nslot; s++) {
				uint8_t *l = buf + 2 * (size_t)g.isz + (size_t)s * 256;

				memset(l + 248, 0, 8);
				put_le64(l + 248, vpmem_fletcher64(l, 256, 1));
			}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpmem_lsa lsa;
	uint8_t *buf;
	size_t cfg;

	if (size < 2 || size - 1 > MAX_CFG)
		return 0;
	cfg = size - 1;
	buf = malloc(cfg);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, cfg);
	if (data[0] & 1)
		fix_checksums(buf, cfg);
	if (!vpmem_lsa_decode(buf, cfg, &lsa, NULL))
		vpmem_lsa_free(&lsa);
	free(buf);
	return 0;
}
