// SPDX-License-Identifier: MIT
/*
 * Namespace planning on in-memory images, and crash safety: for every mode and
 * label flavour, a crash after any single planned write must leave an image
 * that decodes (as the kernel would) to the old namespace set or the new one.
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
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/namespace.h>
#include <vpmem/pfn.h>

#define M (1ULL << 20)
#define L128 (128ULL << 10)

struct img {
	uint8_t *buf;
	uint64_t size;
};

static void apply_mem(struct img *im, const struct vpmem_wplan *p, size_t limit)
{
	for (size_t i = 0; i < p->n && i < limit; i++) {
		const struct vpmem_write *w = &p->w[i];

		assert_true(w->off + w->len <= im->size);
		if (w->data)
			memcpy(im->buf + w->off, w->data, w->len);
		else
			memset(im->buf + w->off, 0, w->len);
	}
}

static struct img make(uint64_t region, uint64_t label, enum vpmem_label_version v)
{
	struct vpmem_image_spec r = { .size = region + label, .label_size = label, .version = v };
	struct vpmem_wplan p = { 0 };
	struct img im = { calloc(1, region + label), region + label };

	assert_non_null(im.buf);
	assert_int_equal(vpmem_image_plan_init_labels(&r, &p, NULL), 0);
	apply_mem(&im, &p, SIZE_MAX);
	vpmem_wplan_free(&p);
	return im;
}

static struct vpmem_region_info *rd(const struct img *im)
{
	static struct vpmem_region_info ri;
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_err err = { 0 };

	vpmem_region_free(&ri);
	if (vpmem_region_read_buf(im->buf, im->size, &h, &ri, &err))
		fail_msg("read: %s", err.msg);
	return &ri;
}

static int create(struct img *im, enum vpmem_ns_mode mode, uint64_t size, const char *name,
		  struct vpmem_ns_info *out, struct vpmem_wplan *keep)
{
	struct vpmem_ns_req req = { .mode = mode, .size = size, .name = name };
	struct vpmem_wplan p = { 0 };
	struct vpmem_ns_info o;
	struct vpmem_err err = { 0 };
	int r = vpmem_ns_plan_create(rd(im), NULL, &req, &p, out ? out : &o, &err);

	if (!r && !keep)
		apply_mem(im, &p, SIZE_MAX);
	if (keep)
		*keep = p;
	else
		vpmem_wplan_free(&p);
	return r;
}

/* A namespace set, reduced to what must match. */
struct snap {
	unsigned n;
	struct { enum vpmem_ns_mode mode; uint64_t size, dpa; uint8_t raw[16]; } ns[8];
};

static struct snap snap_of(const struct vpmem_region_info *ri)
{
	struct snap s = { .n = ri->nns };

	for (unsigned i = 0; i < ri->nns && i < 8; i++) {
		s.ns[i].mode = ri->ns[i].mode;
		s.ns[i].size = ri->ns[i].size;
		s.ns[i].dpa = ri->ns[i].dpa;
		memcpy(s.ns[i].raw, ri->ns[i].raw_uuid, 16);
	}
	return s;
}

static bool snap_eq(const struct snap *a, const struct snap *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void crash_create(uint64_t label, enum vpmem_label_version v, enum vpmem_ns_mode mode)
{
	struct img base = make(64 * M, label, v), t = { malloc(base.size), base.size };
	struct vpmem_wplan p;
	struct vpmem_ns_info out;
	struct snap old, new;
	unsigned saw_old = 0, saw_new = 0;

	if (label)
		assert_int_equal(create(&base, VPMEM_NS_FSDAX, 16 * M, "first", NULL, NULL), 0);
	old = snap_of(rd(&base));
	assert_int_equal(create(&base, mode, label ? 32 * M : 0, NULL, &out, &p), 0);
	memcpy(t.buf, base.buf, base.size);
	apply_mem(&t, &p, SIZE_MAX);
	new = snap_of(rd(&t));
	assert_false(snap_eq(&old, &new));
	/* the new namespace is what the planner promised */
	{
		const struct vpmem_region_info *ri = rd(&t);
		const struct vpmem_ns_info *ns = &ri->ns[out.index];

		assert_int_equal(ns->mode, mode);
		assert_int_equal(ns->size, out.size);
		assert_int_equal(ns->dpa, out.dpa);
		assert_memory_equal(ns->uuid, out.uuid, 16);
	}
	for (size_t n = 0; n <= p.n; n++) {
		struct snap s;

		memcpy(t.buf, base.buf, base.size);
		apply_mem(&t, &p, n);
		s = snap_of(rd(&t));
		if (snap_eq(&s, &old))
			saw_old++;
		else if (snap_eq(&s, &new))
			saw_new++;
		else
			fail_msg("label %llu v%d mode %d: crash after write %zu of %zu leaves neither state",
				 (unsigned long long)label, v, mode, n, p.n);
		if (n == p.n)
			assert_true(snap_eq(&s, &new));
	}
	assert_true(saw_old >= 1 && saw_new >= 1);
	vpmem_wplan_free(&p);
	free(base.buf);
	free(t.buf);
}

static void test_crash_create(void **state)
{
	(void)state;
	for (int mode = VPMEM_NS_RAW; mode <= VPMEM_NS_DEVDAX; mode++) {
		crash_create(L128, VPMEM_LABEL_V1_1, (enum vpmem_ns_mode)mode);
		crash_create(L128, VPMEM_LABEL_V1_2, (enum vpmem_ns_mode)mode);
		if (mode != VPMEM_NS_RAW)
			crash_create(0, VPMEM_LABEL_V1_1, (enum vpmem_ns_mode)mode);
	}
}

static void test_crash_destroy(void **state)
{
	(void)state;
	for (int v = VPMEM_LABEL_V1_1; v <= VPMEM_LABEL_V1_2; v++) {
		struct img base = make(64 * M, L128, (enum vpmem_label_version)v), t = { malloc(base.size), base.size };
		struct vpmem_wplan p = { 0 };
		struct snap old, new;
		unsigned count;

		assert_int_equal(create(&base, VPMEM_NS_SECTOR, 16 * M, "a", NULL, NULL),
				 v == VPMEM_LABEL_V1_1 ? -EINVAL : 0); /* BTT 1.1: 16M - 4K < one arena */
		if (v == VPMEM_LABEL_V1_1)
			assert_int_equal(create(&base, VPMEM_NS_SECTOR, 32 * M, "a", NULL, NULL), 0);
		assert_int_equal(create(&base, VPMEM_NS_DEVDAX, 16 * M, "b", NULL, NULL), 0);
		assert_int_equal(create(&base, VPMEM_NS_FSDAX, 16 * M, "c", NULL, NULL), 0);
		old = snap_of(rd(&base));
		assert_int_equal(old.n, 3);
		assert_int_equal(vpmem_ns_plan_destroy(rd(&base), VPMEM_MATCH_NAME, NULL, "b", &p, &count, NULL), 0);
		assert_int_equal(count, 1);
		memcpy(t.buf, base.buf, base.size);
		apply_mem(&t, &p, SIZE_MAX);
		new = snap_of(rd(&t));
		assert_int_equal(new.n, 2);
		for (size_t n = 0; n <= p.n; n++) {
			struct snap s;

			memcpy(t.buf, base.buf, base.size);
			apply_mem(&t, &p, n);
			s = snap_of(rd(&t));
			assert_true(snap_eq(&s, &old) || snap_eq(&s, &new));
		}
		/* first fit: the freed extent is reused */
		memcpy(base.buf, t.buf, base.size);
		{
			struct vpmem_ns_info out;

			assert_int_equal(create(&base, VPMEM_NS_RAW, 16 * M, NULL, &out, NULL), 0);
			assert_int_equal(out.dpa, v == VPMEM_LABEL_V1_1 ? 32 * M : 16 * M);
			assert_int_equal(out.index, 1);
		}
		vpmem_wplan_free(&p);
		free(base.buf);
		free(t.buf);
	}
}

static void test_rules(void **state)
{
	struct img im = make(255 * M + 0xe0000 - 0xe0000 + (240 * M - 240 * M), L128, VPMEM_LABEL_V1_1);
	struct vpmem_ns_info out;
	const struct vpmem_region_info *ri;

	(void)state;
	free(im.buf);
	/* the usual 256M file with a 128K label area: region 0xffe0000, 240M allocatable */
	im = make(256 * M - L128, L128, VPMEM_LABEL_V1_1);
	ri = rd(&im);
	assert_int_equal(ri->region_size, 0xffe0000);
	assert_int_equal(ri->available_size, 240 * M);
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 100 * M, NULL, NULL, NULL), -EINVAL); /* not 16M multiple */
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 256 * M, NULL, NULL, NULL), -ENOSPC);
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 0, "0123456789012345678901234567890123456789012345678901234567890123",
				NULL, NULL), -EINVAL);
	/* default size = largest free extent */
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 0, NULL, &out, NULL), 0);
	assert_int_equal(out.rawsize, 240 * M);
	assert_int_equal(create(&im, VPMEM_NS_RAW, 0, NULL, NULL, NULL), -ENOSPC);
	free(im.buf);

	/* label-less: one namespace of the whole region, no subdividing, no names */
	im = make(256 * M, 0, VPMEM_LABEL_V1_1);
	ri = rd(&im);
	assert_false(ri->labelled);
	assert_int_equal(ri->nns, 1);
	assert_int_equal(ri->ns[0].mode, VPMEM_NS_RAW);
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 32 * M, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 0, "x", NULL, NULL), -EINVAL);
	assert_int_equal(create(&im, VPMEM_NS_SECTOR, 0, NULL, &out, NULL), 0);
	ri = rd(&im);
	assert_int_equal(ri->ns[0].mode, VPMEM_NS_SECTOR);
	assert_int_equal(ri->ns[0].size, 65208ULL * 4096); /* doc/formats.md 5.3: label-less 256M BTT1.1 */
	assert_int_equal(create(&im, VPMEM_NS_FSDAX, 0, NULL, NULL, NULL), -EEXIST);
	free(im.buf);
}

static void test_corrupt_reports(void **state)
{
	struct img im = make(64 * M, L128, VPMEM_LABEL_V1_2);
	const struct vpmem_region_info *ri;
	uint64_t lsa = im.size - L128;

	(void)state;
	create(&im, VPMEM_NS_FSDAX, 16 * M, "a", NULL, NULL);
	/* the info block's checksum breaks: listed raw, with the reason */
	im.buf[16 * 0 + 4096 + 300] ^= 1;
	ri = rd(&im);
	assert_int_equal(ri->ns[0].mode, VPMEM_NS_RAW);
	assert_non_null(strstr(ri->ns[0].note, "bad checksum"));
	/* a label's checksum breaks: the kernel ignores it */
	im.buf[lsa + 512 + 40] ^= 1;
	ri = rd(&im);
	assert_int_equal(ri->nns, 0);
	/* both index blocks break: label-less, reported */
	im.buf[lsa + 30] ^= 1;
	im.buf[lsa + 256 + 30] ^= 1;
	ri = rd(&im);
	assert_false(ri->labelled);
	assert_true(ri->nproblems >= 1);
	assert_non_null(strstr(ri->problems[0], "no valid index block"));
	free(im.buf);
}

static struct vpmem_region_info *rd_hint(const struct img *im, uint64_t label)
{
	static struct vpmem_region_info ri;
	struct vpmem_image_hints h = { .slot = -1, .label_size = label, .label_size_set = true };
	struct vpmem_err err = { 0 };

	vpmem_region_free(&ri);
	if (vpmem_region_read_buf(im->buf, im->size, &h, &ri, &err))
		fail_msg("read: %s", err.msg);
	return &ri;
}

/* D1: more namespaces than an old fixed array held; all listed, none overlaps */
static void test_many_namespaces(void **state)
{
	const unsigned n = 262;
	struct img im = make((n + 10) * 16 * M, L128, VPMEM_LABEL_V1_1);
	const struct vpmem_region_info *ri;

	(void)state;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(create(&im, VPMEM_NS_RAW, 16 * M, NULL, NULL, NULL), 0);
	ri = rd(&im);
	assert_int_equal(ri->nns, n);
	assert_int_equal(ri->nproblems, 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ri->ns[i].dpa, (uint64_t)i * 16 * M);
	assert_int_equal(ri->available_size, 10 * 16 * M);
	free(im.buf);
}

/* D1: the limit is what the label area holds (nslot - 1), said plainly */
static void test_label_area_full(void **state)
{
	const uint64_t lab = 8192; /* v1.2: (8192 - 2 * 256) / 256 = 30 slots */
	struct img im = make(40 * 16 * M, lab, VPMEM_LABEL_V1_2);
	struct vpmem_ns_req req = { .mode = VPMEM_NS_RAW, .size = 16 * M };
	struct vpmem_wplan p = { 0 };
	struct vpmem_ns_info out;
	struct vpmem_err err = { 0 };
	unsigned made = 0;

	(void)state;
	for (;;) {
		struct vpmem_region_info *ri = rd_hint(&im, lab);

		assert_int_equal(ri->nns, made);
		if (vpmem_ns_plan_create(ri, NULL, &req, &p, &out, &err))
			break;
		apply_mem(&im, &p, SIZE_MAX);
		vpmem_wplan_free(&p);
		made++;
		assert_true(made < 40);
	}
	vpmem_wplan_free(&p);
	assert_int_equal(made, 29);
	assert_int_equal(err.code, ENOSPC);
	assert_non_null(strstr(err.msg, "the label area is full: its 30 label slots hold 29 namespaces"));
	free(im.buf);
}

/* D11: both index blocks broken is not label-less: the reason is the real
 * one (v1.1: bad checksum, not the v1.2 pass's "label size"), and nothing
 * is written over it */
static void test_corrupt_index_refused(void **state)
{
	struct img im = make(64 * M, L128, VPMEM_LABEL_V1_1);
	const struct vpmem_region_info *ri;
	struct vpmem_ns_req req = { .mode = VPMEM_NS_FSDAX };
	struct vpmem_wplan p = { 0 };
	struct vpmem_ns_info out;
	struct vpmem_err err = { 0 };
	uint64_t lsa = im.size - L128;
	unsigned count = 9;

	(void)state;
	assert_int_equal(create(&im, VPMEM_NS_RAW, 16 * M, "a", NULL, NULL), 0);
	im.buf[lsa + 30] ^= 1;
	im.buf[lsa + 256 + 30] ^= 1;
	ri = rd(&im);
	assert_false(ri->labelled);
	assert_true(ri->label_corrupt);
	assert_string_equal(ri->lsa.why[0], "bad checksum");
	assert_string_equal(ri->lsa.why[1], "bad checksum");
	assert_int_equal(vpmem_ns_plan_create(ri, NULL, &req, &p, &out, &err), -EILSEQ);
	assert_int_equal(p.n, 0);
	assert_non_null(strstr(err.msg, "no valid index block (index0: bad checksum; index1: bad checksum)"));
	assert_int_equal(vpmem_ns_plan_destroy(ri, VPMEM_MATCH_ALL, NULL, NULL, &p, &count, &err), -EILSEQ);
	assert_int_equal(p.n, 0);
	free(im.buf);
}

/* D12: an info block without align (v1.1) and dataoff 0 (or below 8K) is
 * refused as the kernel refuses it, not fed to clz(0) */
static void test_pfn_dataoff_small(void **state)
{
	(void)state;
	for (uint64_t dataoff = 0; dataoff <= 4096; dataoff += 4096) {
		struct img im = make(64 * M, 0, VPMEM_LABEL_V1_1);
		const struct vpmem_region_info *ri;
		uint8_t *blk = im.buf + VPMEM_INFO_OFFSET;
		uint64_t sum;

		assert_int_equal(create(&im, VPMEM_NS_FSDAX, 0, NULL, NULL, NULL), 0);
		assert_int_equal(rd(&im)->ns[0].mode, VPMEM_NS_FSDAX);
		blk[54] = 1; /* minor 1: no align field */
		blk[55] = 0;
		memset(blk + 56, 0, 8);
		blk[57] = (uint8_t)(dataoff >> 8);
		sum = vpmem_sb_checksum(blk);
		for (int i = 0; i < 8; i++)
			blk[4088 + i] = (uint8_t)(sum >> (8 * i));
		ri = rd(&im);
		assert_int_equal(ri->ns[0].mode, VPMEM_NS_RAW);
		assert_non_null(strstr(ri->ns[0].note, "is inside the 8K info block area"));
		free(im.buf);
	}
}

/* The label area read from a file (only the index blocks and the in-use
 * slots, lib/format/image.c lsa_at) decodes as the whole area in memory does:
 * with the used slots in a few runs (one read each) and in many (the whole
 * area read at once). */
static void same_from_file(const struct img *im)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_region_info f = { 0 };
	const struct vpmem_region_info *m = rd(im);
	const struct vpmem_lsa *a = &m->lsa, *b = &f.lsa;
	char path[] = "/tmp/vpmem-unit-ns-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)im->size), 0);
	assert_int_equal(pwrite(fd, im->buf + im->size - L128, L128, (off_t)(im->size - L128)), (ssize_t)L128);
	assert_int_equal(vpmem_region_read(fd, &h, &f, NULL), 0);
	close(fd);
	assert_int_equal(f.nns, m->nns);
	assert_int_equal(f.nproblems, m->nproblems);
	for (unsigned i = 0; i < m->nns; i++) {
		assert_int_equal(f.ns[i].dpa, m->ns[i].dpa);
		assert_int_equal(f.ns[i].rawsize, m->ns[i].rawsize);
		assert_int_equal(f.ns[i].label_slot, m->ns[i].label_slot);
		assert_memory_equal(f.ns[i].raw_uuid, m->ns[i].raw_uuid, 16);
		assert_string_equal(f.ns[i].name, m->ns[i].name);
	}
	assert_int_equal(b->current, a->current);
	assert_int_equal(b->nlabels, a->nlabels);
	assert_int_equal(b->g.nslot, a->g.nslot);
	assert_memory_equal(b->raw, a->raw, 2 * a->g.isz);
	for (uint32_t s = 0; s < a->g.nslot; s++)
		if (!vpmem_slot_free(a->free, s))
			assert_memory_equal(b->raw + 2 * a->g.isz + (size_t)s * a->g.lsz,
					    a->raw + 2 * a->g.isz + (size_t)s * a->g.lsz, a->g.lsz);
	vpmem_region_free(&f);
}

static void test_label_area_from_file(void **state)
{
	(void)state;
	for (int v = VPMEM_LABEL_V1_1; v <= VPMEM_LABEL_V1_2; v++) {
		struct img im = make(26 * 16 * M, L128, (enum vpmem_label_version)v);
		struct vpmem_wplan p = { 0 };
		unsigned count;
		char name[16];

		same_from_file(&im); /* no label in use */
		for (unsigned i = 0; i < 24; i++) {
			snprintf(name, sizeof(name), "n%u", i);
			assert_int_equal(create(&im, VPMEM_NS_RAW, 16 * M, name, NULL, NULL), 0);
		}
		same_from_file(&im); /* one run */
		/* every other one destroyed: 12 runs of one slot */
		for (unsigned i = 1; i < 24; i += 2) {
			snprintf(name, sizeof(name), "n%u", i);
			assert_int_equal(vpmem_ns_plan_destroy(rd(&im), VPMEM_MATCH_NAME, NULL, name, &p, &count, NULL), 0);
			apply_mem(&im, &p, SIZE_MAX);
			vpmem_wplan_free(&p);
			if (i == 3 || i == 9)
				same_from_file(&im); /* 3 runs, then 6 */
		}
		assert_int_equal(rd(&im)->nns, 12);
		same_from_file(&im);
		free(im.buf);
	}
}

/* vpmem_wplan_add_take keeps the caller's buffer, vpmem_wplan_move appends
 * another plan's writes in order without copying their data. */
static void test_wplan_move(void **state)
{
	struct vpmem_wplan a = { 0 }, b = { 0 };
	uint8_t *d = malloc(16), *moved;
	const uint8_t x[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_non_null(d);
	memset(d, 0xab, 16);
	assert_int_equal(vpmem_wplan_add(&a, 0, x, sizeof(x), false, "a0"), 0);
	assert_int_equal(vpmem_wplan_add_take(&b, 4096, d, 16, true, "b0"), 0);
	assert_ptr_equal(b.w[0].data, d); /* taken, not copied */
	for (int i = 1; i < 40; i++) /* past the first allocation of @a */
		assert_int_equal(vpmem_wplan_add(&b, 4096 + (uint64_t)i * 16, NULL, 16, false, "b"), 0);
	assert_int_equal(vpmem_wplan_move(&a, &b), 0);
	assert_int_equal(b.n, 0);
	assert_null(b.w);
	assert_int_equal(a.n, 41);
	assert_string_equal(a.w[0].what, "a0");
	assert_memory_equal(a.w[0].data, x, sizeof(x));
	moved = a.w[1].data;
	assert_ptr_equal(moved, d);
	assert_int_equal(a.w[1].off, 4096);
	assert_true(a.w[1].sync);
	assert_int_equal(a.w[40].off, 4096 + 39 * 16);
	assert_null(a.w[40].data);
	assert_int_equal(vpmem_wplan_move(&a, &b), 0); /* an empty plan: nothing */
	assert_int_equal(a.n, 41);
	vpmem_wplan_free(&a);
	vpmem_wplan_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_create),
		cmocka_unit_test(test_crash_destroy),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_corrupt_reports),
		cmocka_unit_test(test_many_namespaces),
		cmocka_unit_test(test_label_area_full),
		cmocka_unit_test(test_corrupt_index_refused),
		cmocka_unit_test(test_pfn_dataoff_small),
		cmocka_unit_test(test_label_area_from_file),
		cmocka_unit_test(test_wplan_move),
	};

	return cmocka_run_group_tests_name("namespace", tests, NULL, NULL);
}
