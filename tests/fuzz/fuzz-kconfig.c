// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the guest kernel readers: byte 0 picks one, the rest
 * is its input.
 *   0: .config text -> vpmem_kconfig_parse, then every feature judged
 *   1: tar stream (a .deb's data member), fed in chunks of 1..256 bytes
 *   2: an initramfs (cpio newc archives, the last possibly compressed)
 *   3: any compressed stream (gzip, xz, lzma, zstd, lz4 legacy) into a null sink
 *   4: an ar archive (a .deb): find data.tar*
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vpmem/kconfig.h>

#include "util/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int want(void *ctx, const char *path, uint64_t sz)
{
	(void)ctx;
	(void)sz;
	return path[0] == 'b' ? 1 : 0;
}

static int got(void *ctx, const char *path, const uint8_t *d, size_t n)
{
	struct vpmem_kconfig *kc = NULL;

	(void)ctx;
	(void)path;
	if (!vpmem_kconfig_parse((const char *)d, n, &kc, NULL))
		vpmem_kconfig_free(kc);
	return 0;
}

static int null_sink(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpmem_err err = { 0 };

	if (!size)
		return 0;
	switch (data[0] % 5) {
	case 0: {
		struct vpmem_kernel k;

		memset(&k, 0, sizeof(k));
		if (vpmem_kconfig_parse((const char *)data + 1, size - 1, &k.config, &err))
			break;
		for (size_t i = 0; i < vpmem_nkfeatures; i++) {
			struct vpmem_kfeature_report r;

			vpmem_kernel_judge(&k, &vpmem_kfeatures[i], &r);
		}
		vpmem_kernel_close(&k);
		break;
	}
	case 1: {
		struct unpack_tar *t = unpack_tar_new(want, got, NULL, 1u << 20);
		size_t pos = 1, step = size > 1 ? data[1] % 256 + 1 : 1;

		while (t && pos < size) {
			size_t k = size - pos < step ? size - pos : step;

			if (unpack_tar_sink(t, data + pos, k))
				break;
			pos += k;
		}
		unpack_tar_free(t);
		break;
	}
	case 2: {
		struct vpmem_kernel k;

		memset(&k, 0, sizeof(k));
		vpmem_kernel_scan_initrd(&k, data + 1, size - 1, "fuzz", &err);
		vpmem_kernel_close(&k);
		break;
	}
	case 3:
		unpack_stream(unpack_sniff(data + 1, size - 1), data + 1, size - 1, 64u << 20, null_sink, NULL,
			      "fuzz", &err);
		break;
	default: {
		const uint8_t *d;
		size_t n;
		char name[17];

		unpack_ar_find(data + 1, size - 1, "data.tar", name, &d, &n);
		break;
	}
	}
	return 0;
}
