// SPDX-License-Identifier: MIT
/* Format facts, each checked against doc/formats.md (values observed in
 * images the Linux 6.1 kernel and ndctl v76.1 wrote). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/btt.h>
#include <vpmem/label.h>
#include <vpmem/nfit.h>
#include <vpmem/pfn.h>

#define M (1ULL << 20)

static void test_lsa_geom(void **state)
{
	static const struct { uint64_t cfg; int v; uint32_t nslot, isz; } t[] = {
		{ 128 << 10, 1, 1020, 256 }, { 128 << 10, 2, 510, 256 },
		{ 256 << 10, 1, 2040, 512 }, { 256 << 10, 2, 1022, 256 },
		{ 512 << 10, 1, 4084, 768 }, { 512 << 10, 2, 2044, 512 },
		{ 1 << 20, 1, 8172, 1280 }, { 1 << 20, 2, 4090, 768 },
	};
	struct vpmem_lsa_geom g;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(vpmem_lsa_geom(t[i].cfg, (enum vpmem_label_version)t[i].v, &g, NULL), 0);
		assert_int_equal(g.nslot, t[i].nslot);
		assert_int_equal(g.isz, t[i].isz);
	}
	assert_int_not_equal(vpmem_lsa_geom(512, VPMEM_LABEL_V1_1, &g, NULL), 0);
}

static void test_seq(void **state)
{
	(void)state;
	assert_int_equal(vpmem_nsindex_next_seq(1), 2);
	assert_int_equal(vpmem_nsindex_next_seq(2), 3);
	assert_int_equal(vpmem_nsindex_next_seq(3), 1);
	assert_int_equal(vpmem_nsindex_best(3, 2), 0);   /* ndctl init-labels: index0 current */
	assert_int_equal(vpmem_nsindex_best(3, 1), 1);   /* 3 -> 1 wraps */
	assert_int_equal(vpmem_nsindex_best(1, 2), 1);
	assert_int_equal(vpmem_nsindex_best(2, 1), 0);
	assert_int_equal(vpmem_nsindex_best(0, 2), 1);
	assert_int_equal(vpmem_nsindex_best(2, 0), 0);
	assert_int_equal(vpmem_nsindex_best(2, 2), 1);
}

static void test_index_roundtrip(void **state)
{
	struct vpmem_lsa_geom g;
	struct vpmem_lsa lsa;
	uint8_t *buf = calloc(1, 128 << 10);

	(void)state;
	vpmem_lsa_geom(128 << 10, VPMEM_LABEL_V1_2, &g, NULL);
	vpmem_nsindex_encode(&g, 0, 3, NULL, buf);
	vpmem_nsindex_encode(&g, 1, 2, NULL, buf + g.isz);
	/* ndctl init-labels sets the bitmap bits past nslot (doc/formats.md 3.2) */
	assert_int_equal(buf[72 + 510 / 8], 0xff);
	assert_int_equal(buf[19], 1); /* labelsize: 256-byte labels */
	assert_int_equal(buf[62], 2); /* minor */
	assert_int_equal(vpmem_lsa_decode(buf, 128 << 10, &lsa, NULL), 0);
	assert_int_equal(lsa.current, 0);
	assert_int_equal(lsa.g.version, VPMEM_LABEL_V1_2);
	assert_int_equal(lsa.nlabels, 0);
	vpmem_lsa_free(&lsa);
	/* corrupt index 0's checksum: index 1 takes over */
	buf[100] ^= 1;
	assert_int_equal(vpmem_lsa_decode(buf, 128 << 10, &lsa, NULL), 0);
	assert_int_equal(lsa.current, 1);
	assert_string_equal(lsa.why[0], "bad checksum");
	vpmem_lsa_free(&lsa);
	/* both bad: label-less, with reasons; a seq of 0 is invalid */
	memset(buf + g.isz + 20, 0, 4);
	assert_int_equal(vpmem_lsa_decode(buf, 128 << 10, &lsa, NULL), 0);
	assert_int_equal(lsa.current, -1);
	vpmem_lsa_free(&lsa);
	memset(buf, 0, 128 << 10);
	assert_int_equal(vpmem_lsa_decode(buf, 128 << 10, &lsa, NULL), -ENODEV);
	vpmem_lsa_free(&lsa);
	free(buf);
}

static void test_label_v12(void **state)
{
	struct vpmem_lsa_geom g;
	struct vpmem_label l = { .slot = 7, .nlabel = 1, .isetcookie = 0xba90120012b4dcULL,
				 .lbasize = 512, .dpa = 32 * M, .rawsize = 32 * M, .claim = VPMEM_CLAIM_PFN };
	uint8_t out[256], guid[16];
	static const uint8_t pfn_guid_efi[16] = { 0xba, 0x00, 0x64, 0x26, 0x9f, 0xfb, 0x77, 0x46,
						  0xbc, 0xb0, 0x96, 0x8f, 0x11, 0xd0, 0xd2, 0x25 };

	(void)state;
	vpmem_lsa_geom(128 << 10, VPMEM_LABEL_V1_2, &g, NULL);
	memcpy(l.name, "fsd", 4);
	vpmem_label_encode(&g, &l, out);
	assert_memory_equal(out + 16, "fsd", 4);
	assert_int_equal(out[120], 7);
	/* abstraction GUID 266400ba-fb9f-4677-bcb0-968f11d0d225 in EFI byte order */
	assert_memory_equal(out + 144, pfn_guid_efi, 16);
	vpmem_claim_guid(VPMEM_CLAIM_PFN, guid);
	assert_memory_equal(guid, pfn_guid_efi, 16);
	/* checksum over 256 bytes with the field zeroed */
	{
		uint8_t tmp[256];
		uint64_t sum;

		memcpy(tmp, out, 256);
		memcpy(&sum, tmp + 248, 8);
		memset(tmp + 248, 0, 8);
		assert_int_equal(vpmem_fletcher64(tmp, 256, 1), sum);
	}
}

static void test_pfn(void **state)
{
	static const uint8_t u[16] = { 1 }, p[16] = { 2 };
	struct vpmem_pfn_sb sb, back;
	uint8_t blk[4096];

	(void)state;
	/* 32 MiB, map=dev and map=mem: dataoff 2M, npfns 7680 */
	assert_int_equal(vpmem_pfn_compute(false, 4ULL << 30, 32 * M, VPMEM_PFN_MODE_PMEM, 0, u, p, &sb, NULL), 0);
	assert_int_equal(sb.dataoff, 0x200000);
	assert_int_equal(sb.npfns, 7680);
	assert_int_equal(sb.end_trunc, 0);
	assert_int_equal(sb.align, 2 * M);
	assert_int_equal(vpmem_pfn_usable(&sb, 32 * M), 30 * M);
	assert_int_equal(vpmem_pfn_compute(false, 4ULL << 30, 32 * M, VPMEM_PFN_MODE_RAM, 0, u, p, &sb, NULL), 0);
	assert_int_equal(sb.dataoff, 0x200000);
	assert_int_equal(sb.npfns, 7680);
	/* 256 MiB label-less map=dev: dataoff 6M, npfns 64000 */
	assert_int_equal(vpmem_pfn_compute(true, 4ULL << 30, 256 * M, VPMEM_PFN_MODE_PMEM, 0, u, NULL, &sb, NULL), 0);
	assert_int_equal(sb.dataoff, 0x600000);
	assert_int_equal(sb.npfns, 64000);
	/* round trip, and the kernel's checks */
	vpmem_pfn_encode(&sb, blk);
	assert_memory_equal(blk, "NVDIMM_DAX_INFO", 16);
	assert_int_equal(vpmem_pfn_decode(blk, 4ULL << 30, 256 * M, NULL, &back, NULL), 0);
	assert_true(back.dax);
	assert_int_equal(back.dataoff, 0x600000);
	assert_int_equal(vpmem_pfn_decode(blk, 4ULL << 30, 256 * M, p, &back, NULL), -ENODEV); /* parent */
	assert_int_equal(vpmem_pfn_decode(blk, (4ULL << 30) + 4096, 256 * M, NULL, &back, NULL), -EOPNOTSUPP);
	blk[200] = 1; /* padding is covered by the checksum */
	assert_int_equal(vpmem_pfn_decode(blk, 4ULL << 30, 256 * M, NULL, &back, NULL), -ENODEV);
	/* the kernel refuses a start that is not 2M aligned */
	assert_int_equal(vpmem_pfn_compute(false, (4ULL << 30) + 4096, 32 * M, VPMEM_PFN_MODE_PMEM, 0, u, p, &sb, NULL), -EINVAL);
	/* 1G devdax alignment on a 32M namespace cannot be met */
	assert_int_equal(vpmem_pfn_compute(true, 4ULL << 30, 32 * M, VPMEM_PFN_MODE_PMEM, 1U << 30, u, p, &sb, NULL), -ENXIO);
}

static void test_kata(void **state)
{
	/* Kata nsdax.gpl.c: v0.2, mode 1 (RAM), dataoff = align = 2M, zero uuids and npfns */
	uint8_t blk[4096] = { 0 };
	struct vpmem_pfn_sb sb;
	uint64_t sum;

	(void)state;
	memcpy(blk, "NVDIMM_PFN_INFO", 16);
	blk[54] = 2;               /* version_minor 2, major 0 */
	blk[56 + 2] = 0x20;        /* dataoff 0x200000 */
	blk[72] = 1;               /* PFN_MODE_RAM */
	blk[84 + 2] = 0x20;        /* align 2M */
	sum = vpmem_sb_checksum(blk);
	memcpy(blk + 4088, &sum, 8);
	assert_int_equal(vpmem_pfn_decode(blk, 4ULL << 30, 256 * M, NULL, &sb, NULL), 0);
	assert_int_equal(sb.mode, VPMEM_PFN_MODE_RAM);
	assert_int_equal(vpmem_pfn_usable(&sb, 256 * M), 254 * M); /* golden k-kata-nsdax: 254 MiB */
}

static void test_btt(void **state)
{
	static const struct { uint64_t size; uint32_t lba; bool v2; uint32_t ext, in; uint64_t map, log, info2; } t[] = {
		{ 32 * M, 4096, false, 7920, 8176, 0x1ff2000, 0x1ffa000, 0x1ffe000 },
		{ 32 * M, 4096, true, 7921, 8177, 0x1ff3000, 0x1ffb000, 0x1fff000 },
		{ 32 * M, 512, true, 64716, 64972, 0, 0, 0 },
		{ 256 * M, 4096, false, 65208, 65464, 0, 0, 0 },
	};
	struct vpmem_btt_layout *l = vpmem_btt_layout_new();
	struct vpmem_btt_info info;
	uint8_t blk[4096], uuid[16] = { 9 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(vpmem_btt_layout(t[i].size, t[i].lba, t[i].v2, l, NULL), 0);
		assert_int_equal(l->narenas, 1);
		assert_int_equal(l->arena[0].external_nlba, t[i].ext);
		assert_int_equal(l->arena[0].internal_nlba, t[i].in);
		if (t[i].map) {
			assert_int_equal(l->arena[0].mapoff, t[i].map);
			assert_int_equal(l->arena[0].logoff, t[i].log);
			assert_int_equal(l->arena[0].info2off, t[i].info2);
		}
	}
	/* arenas of at most 512 GiB; a tail under 16 MiB is unused */
	assert_int_equal(vpmem_btt_layout((1100ULL << 30) + 4096, 4096, false, l, NULL), 0);
	assert_int_equal(l->narenas, 3);
	assert_int_equal(l->arena[0].nextoff, 512ULL << 30);
	assert_int_equal(l->arena[2].nextoff, 0);
	assert_int_equal(vpmem_btt_layout(8 * M, 4096, false, l, NULL), -EINVAL);
	assert_int_equal(vpmem_btt_layout(32 * M, 1000, false, l, NULL), -EINVAL);
	/* info block round trip, parent checks */
	vpmem_btt_layout(32 * M, 4096, false, l, NULL);
	vpmem_btt_info_encode(l, 0, uuid, NULL, blk);
	assert_int_equal(vpmem_btt_info_decode(blk, uuid, &info, NULL), 0); /* zero parent: accepted */
	assert_int_equal(info.a.external_nlba, 7920);
	vpmem_btt_info_encode(l, 0, uuid, uuid, blk);
	assert_int_equal(vpmem_btt_info_decode(blk, NULL, &info, NULL), -ENODEV);
	blk[4000] ^= 0xff;
	assert_int_equal(vpmem_btt_info_decode(blk, uuid, &info, NULL), -ENODEV);
	vpmem_btt_layout_free(l);
}

static void test_flog(void **state)
{
	struct vpmem_btt_layout *l = vpmem_btt_layout_new();
	uint8_t *flog;
	uint32_t v[4];

	(void)state;
	vpmem_btt_layout(32 * M, 4096, false, l, NULL);
	flog = malloc(l->arena[0].info2off - l->arena[0].logoff);
	vpmem_btt_flog_init(&l->arena[0], flog);
	memcpy(v, flog + 5 * 64, 16);
	assert_int_equal(v[0], 5);
	assert_int_equal(v[1], 7920 + 5);
	assert_int_equal(v[2], 7920 + 5);
	assert_int_equal(v[3], 1);
	memcpy(v, flog + 5 * 64 + 16, 16);
	assert_int_equal(v[0] | v[1] | v[2] | v[3], 0); /* slots 1-3 zero: new (>= 4.15) format */
	free(flog);
	vpmem_btt_layout_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lsa_geom),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_index_roundtrip),
		cmocka_unit_test(test_label_v12),
		cmocka_unit_test(test_pfn),
		cmocka_unit_test(test_kata),
		cmocka_unit_test(test_btt),
		cmocka_unit_test(test_flog),
	};

	return cmocka_run_group_tests_name("formats", tests, NULL, NULL);
}
