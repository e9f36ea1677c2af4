// SPDX-License-Identifier: MIT
/*
 * Allocation failure while reading an image: with the Nth allocation failing,
 * for every N, the reader must either fail with ENOMEM or give exactly what it
 * gives with memory to spare. It must never take an out-of-memory condition for
 * a fact about the image (a label-less DIMM, an invalid index block).
 *
 * malloc/calloc are wrapped at link time (-Wl,--wrap, tests/unit/meson.build)
 * so the failures reach the library's own calls.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vpmem/image.h>

#define M (1ULL << 20)
#define L128 (128ULL << 10)

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);

static long fail_at = -1; /* the allocation that fails, counted from 0; -1 none */
static long nalloc;

static bool fails(void)
{
	return nalloc++ == fail_at;
}

void *__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return fails() ? NULL : __real_calloc(n, m);
}

static uint8_t *image(uint64_t region, uint64_t label, enum vpmem_label_version v, uint64_t *size)
{
	struct vpmem_image_spec r = { .size = region + label, .label_size = label, .version = v };
	struct vpmem_wplan p = { 0 };
	uint8_t *buf = calloc(1, region + label);

	assert_non_null(buf);
	assert_int_equal(vpmem_image_plan_init_labels(&r, &p, NULL), 0);
	for (size_t i = 0; i < p.n; i++) {
		if (p.w[i].data)
			memcpy(buf + p.w[i].off, p.w[i].data, p.w[i].len);
		else
			memset(buf + p.w[i].off, 0, p.w[i].len);
	}
	vpmem_wplan_free(&p);
	*size = region + label;
	return buf;
}

static void add_ns(uint8_t *buf, uint64_t size, enum vpmem_ns_mode mode, const char *name)
{
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_ns_req req = { .mode = mode, .size = 32 * M, .name = name };
	struct vpmem_wplan p = { 0 };
	struct vpmem_ns_info o;
	struct vpmem_err err = { 0 };

	assert_non_null(ri);
	assert_int_equal(vpmem_region_read_buf(buf, size, &h, ri, NULL), 0);
	if (vpmem_ns_plan_create(ri, &h, &req, &p, &o, &err))
		fail_msg("create: %s", err.msg);
	for (size_t i = 0; i < p.n; i++) {
		if (p.w[i].data)
			memcpy(buf + p.w[i].off, p.w[i].data, p.w[i].len);
		else
			memset(buf + p.w[i].off, 0, p.w[i].len);
	}
	vpmem_wplan_free(&p);
	vpmem_region_free(ri);
	free(ri);
}

/* What a reader shows of an image, as text: equal text, equal result. */
static void describe(const struct vpmem_region_info *ri, char *out, size_t len)
{
	int n = snprintf(out, len, "L=%llu labelled=%d slot=%d iset=%llx nns=%u",
			 (unsigned long long)ri->label_size, ri->labelled, ri->slot,
			 (unsigned long long)ri->iset_id, ri->nns);

	for (unsigned i = 0; i < ri->nns && (size_t)n < len; i++)
		n += snprintf(out + n, len - n, " [%s %s %llu]", vpmem_ns_mode_name(ri->ns[i].mode),
			      ri->ns[i].name, (unsigned long long)ri->ns[i].size);
	for (unsigned i = 0; i < ri->nproblems && (size_t)n < len; i++)
		n += snprintf(out + n, len - n, " problem: %s", ri->problems[i]);
}

static void sweep(const uint8_t *buf, uint64_t size)
{
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_image_hints h = { .slot = -1 };
	static char want[8192], got[8192];
	long total;

	assert_non_null(ri);
	nalloc = 0;
	assert_int_equal(vpmem_region_read_buf(buf, size, &h, ri, NULL), 0);
	total = nalloc;
	if (getenv("OOM_DEBUG"))
		fprintf(stderr, "%ld allocations\n", total);
	describe(ri, want, sizeof(want));
	if (getenv("OOM_DEBUG"))
		fprintf(stderr, "%s\n", want);
	vpmem_region_free(ri);
	for (long n = 0; n <= total; n++) {
		struct vpmem_err err = { 0 };
		int r;

		fail_at = n;
		nalloc = 0;
		r = vpmem_region_read_buf(buf, size, &h, ri, &err);
		fail_at = -1;
		if (r) {
			if (r != -ENOMEM || err.code != ENOMEM)
				fail_msg("allocation %ld failing: %d (%s), not ENOMEM", n, r, err.msg);
			continue;
		}
		describe(ri, got, sizeof(got));
		vpmem_region_free(ri);
		if (strcmp(got, want))
			fail_msg("allocation %ld failing changed the result:\n  want %s\n  got  %s", n, want,
				 got);
	}
	free(ri);
}

/* A labelled image with namespaces: no allocation failure may make it label-less. */
static void test_labelled(void **state)
{
	for (int v = VPMEM_LABEL_V1_1; v <= VPMEM_LABEL_V1_2; v++) {
		uint64_t size;
		uint8_t *buf = image(64 * M, L128, (enum vpmem_label_version)v, &size);

		add_ns(buf, size, VPMEM_NS_FSDAX, "a");
		add_ns(buf, size, VPMEM_NS_SECTOR, "b");
		sweep(buf, size);
		free(buf);
	}
}

/* Index signatures but both checksums bad: the problem must name the checksum. */
static void test_bad_index(void **state)
{
	uint64_t size;
	uint8_t *buf = image(64 * M, L128, VPMEM_LABEL_V1_2, &size);
	uint8_t *lsa = buf + size - L128;

	/* a byte of each index block's free bitmap: the checksums no longer match */
	lsa[100] ^= 1;
	lsa[256 + 100] ^= 1;
	sweep(buf, size);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labelled),
		cmocka_unit_test(test_bad_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
