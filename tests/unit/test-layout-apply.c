// SPDX-License-Identifier: MIT
/*
 * The layout applier for images (layout-apply.h) on real files: every stage
 * it reaches and keeps (applied, already reached, blocked, cut after a write,
 * a plan too large for the region), the dry run on an image made in memory,
 * and image creation with a layout (no barriers on the unnamed file; nothing
 * left when the layout fails or is cut).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include <vpmem/layout-apply.h>

#include "tmpdir.h"

#define M (1ULL << 20)

/* the layout the CLI tests use (tests/data/layout/example-nofs.json) */
static const char four[] =
	"{\"namespaces\": ["
	"{\"name\": \"db\", \"mode\": \"fsdax\", \"size\": \"96M\", \"map\": \"dev\"},"
	"{\"name\": \"cache\", \"mode\": \"devdax\", \"size\": \"64M\", \"align\": \"2M\"},"
	"{\"name\": \"log\", \"mode\": \"sector\", \"size\": \"48M\", \"sector_size\": 4096},"
	"{\"name\": \"rest\", \"mode\": \"raw\"}]}";
static const char one[] = "{\"namespaces\": [{\"name\": \"db\", \"mode\": \"fsdax\", \"size\": \"64M\"}]}";

static const struct vpmem_image_spec spec512 = { .size = 512 * M, .label_size = 128 << 10,
						 .version = VPMEM_LABEL_V1_1, .slot = 0 };

static struct vpmem_layout *layout(const char *text)
{
	struct vpmem_layout *l = vpmem_layout_new();
	struct vpmem_err err = { 0 };

	assert_non_null(l);
	assert_int_equal(vpmem_layout_parse(text, strlen(text), l, &err), 0);
	return l;
}

/* Apply @l to the image @name with @o: the result (the caller frees it). */
static struct vpmem_lapply *apply(const char *name, const struct vpmem_layout *l,
				  const struct vpmem_lapply_opts *o, int *r)
{
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_lapply *res = vpmem_lapply_new();
	struct vpmem_err err = { 0 };
	int fd = vpmem_image_open(at(name), true, &h, &err);

	assert_non_null(res);
	assert_true(fd >= 0);
	*r = vpmem_layout_apply_image(fd, &h, l, o, res, &err);
	vpmem_image_close(fd, &h);
	return res;
}

static unsigned barriers(const struct vpmem_wplan *wp)
{
	unsigned n = 0;

	for (size_t i = 0; i < wp->n; i++)
		n += wp->w[i].sync;
	return n;
}

static void test_apply(void **s)
{
	struct vpmem_layout *l = layout(four), *small = layout(one);
	struct vpmem_lapply_opts o = { 0 };
	struct vpmem_lapply *res;
	struct vpmem_err err = { 0 };
	int r;

	(void)s;
	assert_int_equal(vpmem_image_create(at("a.img"), &spec512, 0644, &err), 0);
	res = apply("a.img", l, &o, &r);
	assert_int_equal(r, 0);
	assert_int_equal(res->reached, VPMEM_LAPPLY_DONE);
	assert_int_equal(res->before->nns, 0); /* a fresh labelled region: no namespace */
	assert_int_equal(res->lp->nchanges, 4);
	assert_true(res->wp.n > 4);
	assert_true(barriers(&res->wp) > 0); /* a named image: crash-safe order */
	assert_false(res->cut);
	assert_int_equal(res->after->nns, 4);
	assert_string_equal(res->after->ns[0].name, "db");
	assert_int_equal(res->after->ns[2].mode, VPMEM_NS_SECTOR);
	vpmem_lapply_free(res);

	/* reached already: stops after the diff, nothing planned */
	res = apply("a.img", l, &o, &r);
	assert_int_equal(r, 0);
	assert_int_equal(res->reached, VPMEM_LAPPLY_PLAN);
	assert_int_equal(res->lp->nchanges, 0);
	assert_int_equal(res->wp.n, 0);
	vpmem_lapply_free(res);

	/* blocked without --force: the diff says why, nothing planned */
	res = apply("a.img", small, &o, &r);
	assert_int_equal(r, 0);
	assert_int_equal(res->reached, VPMEM_LAPPLY_PLAN);
	assert_true(res->lp->nblocked > 0);
	assert_int_equal(res->wp.n, 0);
	vpmem_lapply_free(res);

	/* --force --dry-run: planned, not written */
	o.force = o.dry = true;
	res = apply("a.img", small, &o, &r);
	assert_int_equal(r, 0);
	assert_int_equal(res->reached, VPMEM_LAPPLY_WRITE);
	assert_true(res->wp.n > 0);
	assert_null(res->after);
	vpmem_lapply_free(res);
	o.force = o.dry = false;
	res = apply("a.img", l, &o, &r);
	assert_int_equal(res->reached, VPMEM_LAPPLY_PLAN); /* still the four */
	assert_int_equal(res->lp->nchanges, 0);
	vpmem_lapply_free(res);
	vpmem_layout_free(l);
	vpmem_layout_free(small);
}

static void test_cut_and_too_big(void **s)
{
	struct vpmem_image_spec sp = spec512;
	struct vpmem_layout *l = layout(four);
	struct vpmem_lapply_opts o = { .cut = true, .cut_after = 3 };
	struct vpmem_lapply *res;
	struct vpmem_err err = { 0 };
	int r;

	(void)s;
	assert_int_equal(vpmem_image_create(at("c.img"), &sp, 0644, &err), 0);
	res = apply("c.img", l, &o, &r);
	assert_int_equal(r, 0);
	assert_true(res->cut);
	assert_int_equal(res->reached, VPMEM_LAPPLY_WRITE);
	assert_null(res->after);
	vpmem_lapply_free(res);
	/* a cut past the last write is no cut */
	o.cut_after = 100000;
	res = apply("c.img", l, &o, &r);
	assert_int_equal(r, 0);
	assert_false(res->cut);
	assert_int_equal(res->reached, VPMEM_LAPPLY_DONE);
	assert_int_equal(res->after->nns, 4);
	vpmem_lapply_free(res);

	/* a region too small: the diff is known, planning its writes fails */
	sp.size = 64 * M;
	assert_int_equal(vpmem_image_create(at("small.img"), &sp, 0644, &err), 0);
	o.cut = false;
	res = apply("small.img", l, &o, &r);
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(res->reached, VPMEM_LAPPLY_PLAN);
	assert_int_equal(res->lp->nchanges, 4);
	assert_null(res->after);
	vpmem_lapply_free(res);
	vpmem_layout_free(l);
}

static void test_new_image(void **s)
{
	struct vpmem_layout *l = layout(four);
	struct vpmem_lapply_opts o = { 0 };
	struct vpmem_lapply *dry = vpmem_lapply_new(), *res = vpmem_lapply_new(), *cut = vpmem_lapply_new();
	struct vpmem_image_create_opts co = { .mode = 0644 };
	struct vpmem_err err = { 0 };
	struct vpmem_image_spec sp = spec512;
	int r;

	(void)s;
	/* the dry run plans on an image made in memory: nothing on disk */
	assert_int_equal(vpmem_layout_plan_new_image(&sp, l, &o, dry, &err), 0);
	assert_int_equal(dry->reached, VPMEM_LAPPLY_WRITE);
	assert_true(dry->wp.n > 4);
	assert_int_equal(barriers(&dry->wp), 0);

	/* the real creation writes the same plan, without barriers */
	assert_int_equal(vpmem_image_create_layout(at("n.img"), &sp, &co, l, &o, res, &err), 0);
	assert_int_equal(res->status, 0);
	assert_int_equal(res->reached, VPMEM_LAPPLY_DONE);
	assert_int_equal(res->wp.n, dry->wp.n);
	assert_int_equal(barriers(&res->wp), 0);
	assert_int_equal(res->after->nns, 4);
	assert_int_equal(access(at("n.img"), F_OK), 0);

	/* cut after a write: the creation is abandoned, nothing at the name */
	o.cut = true;
	o.cut_after = 2;
	r = vpmem_image_create_layout(at("cut.img"), &sp, &co, l, &o, cut, &err);
	assert_int_equal(r, -ECANCELED);
	assert_true(cut->cut);
	assert_int_not_equal(access(at("cut.img"), F_OK), 0);
	vpmem_lapply_free(cut);

	/* a layout that does not fit: -ECANCELED, the layout's error kept */
	cut = vpmem_lapply_new();
	o.cut = false;
	sp.size = 64 * M;
	r = vpmem_image_create_layout(at("big.img"), &sp, &co, l, &o, cut, &err);
	assert_int_equal(r, -ECANCELED);
	assert_true(cut->status < 0);
	assert_int_equal(cut->reached, VPMEM_LAPPLY_PLAN);
	assert_non_null(strstr(cut->err.msg, "no free extent"));
	assert_int_not_equal(access(at("big.img"), F_OK), 0);

	vpmem_lapply_free(dry);
	vpmem_lapply_free(res);
	vpmem_lapply_free(cut);
	vpmem_layout_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_cut_and_too_big),
		cmocka_unit_test(test_new_image),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
