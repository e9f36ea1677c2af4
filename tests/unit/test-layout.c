// SPDX-License-Identifier: MIT
/*
 * The layout planner without I/O: parsing and its refusals, the diff's
 * decisions (keep, create, re-make, mkfs, destroy, extra, untouched, blocked)
 * on hand-made namespace lists, label-less rules, emitting and re-parsing,
 * and Nova's pmem_namespaces line.
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

#include <vpmem/layout.h>

#define M (1ULL << 20)

static const char example[] =
	"{\"namespaces\": ["
	"{\"name\": \"db\", \"mode\": \"fsdax\", \"size\": \"96M\", \"map\": \"dev\", \"filesystem\": \"ext4\"},"
	"{\"name\": \"cache\", \"mode\": \"devdax\", \"size\": \"64M\", \"align\": \"2M\"},"
	"{\"name\": \"log\", \"mode\": \"sector\", \"size\": \"48M\", \"sector_size\": 4096},"
	"{\"name\": \"rest\", \"mode\": \"raw\"}]}";

static struct vpmem_layout L;
static struct vpmem_lplan P;

static void parse_ok(const char *t)
{
	struct vpmem_err err = { 0 };

	assert_int_equal(vpmem_layout_parse(t, strlen(t), &L, &err), 0);
}

static struct vpmem_ns_info ns(const char *name, enum vpmem_ns_mode mode, uint64_t raw, uint8_t id)
{
	struct vpmem_ns_info n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	n.labelled = true;
	n.mode = mode;
	n.rawsize = raw;
	n.raw_uuid[0] = id;
	if (mode == VPMEM_NS_FSDAX || mode == VPMEM_NS_DEVDAX) {
		n.map = VPMEM_MAP_DEV;
		n.align = 2 * M;
	}
	if (mode == VPMEM_NS_SECTOR)
		n.sector_size = 4096;
	return n;
}

static void test_parse(void **s)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"namespaces\": {}}", "{\"namespaces\": [1]}",
		"{\"namespaces\": [{\"mode\": \"raw\", \"size\": \"1Q\"}]}",
		"{\"namespaces\": [{\"name\": \"\", \"mode\": \"raw\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"raw\", \"bogus\": 1}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"fsdax\", \"align\": \"3M\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"fsdax\", \"mount\": \"/x\"}]}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"fsdax\", \"filesystem\": \"ext4\", \"mount\": \"rel\"}]}",
		"{\"namespaces\": [], \"numa_node\": -1}",
		"{\"namespaces\": [{\"name\": \"a\", \"mode\": \"raw\"}]} {}",
	};
	struct vpmem_err err = { 0 };

	(void)s;
	parse_ok(example);
	assert_int_equal(L.nns, 4);
	assert_int_equal(L.ns[0].size, 96 * M);
	assert_int_equal(L.ns[0].fs, VPMEM_FS_EXT4);
	assert_int_equal(L.ns[1].align, 2 * M);
	assert_int_equal(L.ns[2].sector_size, 4096);
	assert_int_equal(L.ns[3].size, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_not_equal(vpmem_layout_parse(bad[i], strlen(bad[i]), &L, &err), 0);
		assert_non_null(err.msg[0] ? err.msg : NULL);
		assert_null(strchr(err.msg, '\n'));
	}
}

static void test_diff(void **s)
{
	struct vpmem_ns_info have[6];
	enum vpmem_fs fs[6] = { VPMEM_FS_EXT4 };
	struct vpmem_err err = { 0 };

	(void)s;
	parse_ok(example);
	/* empty labelled region: four creates, db with mkfs */
	assert_int_equal(vpmem_layout_diff(&L, have, 0, true, 496 * M, NULL, false, &P, &err), 0);
	assert_int_equal(P.nsteps, 4);
	assert_int_equal(P.nchanges, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(P.step[i].kind, VPMEM_LSTEP_CREATE);
	assert_true(P.step[0].mkfs);
	assert_false(P.step[1].mkfs);
	/* all there: keep; "rest" matches any size */
	have[0] = ns("db", VPMEM_NS_FSDAX, 96 * M, 1);
	have[1] = ns("cache", VPMEM_NS_DEVDAX, 64 * M, 2);
	have[2] = ns("log", VPMEM_NS_SECTOR, 48 * M, 3);
	have[3] = ns("rest", VPMEM_NS_RAW, 288 * M, 4);
	assert_int_equal(vpmem_layout_diff(&L, have, 4, true, 496 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.nchanges, 0);
	assert_int_equal(P.nblocked, 0);
	/* filesystem missing: blocked, --force makes it */
	fs[0] = VPMEM_FS_NONE;
	assert_int_equal(vpmem_layout_diff(&L, have, 4, true, 496 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.nblocked, 1);
	assert_int_equal(vpmem_layout_diff(&L, have, 4, true, 496 * M, fs, true, &P, &err), 0);
	assert_int_equal(P.step[0].kind, VPMEM_LSTEP_MKFS);
	fs[0] = VPMEM_FS_EXT4;
	/* differs (align): blocked, --force re-makes only it */
	have[1].align = 4096;
	assert_int_equal(vpmem_layout_diff(&L, have, 4, true, 496 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.step[1].kind, VPMEM_LSTEP_BLOCKED);
	assert_non_null(strstr(P.step[1].why, "align 4K, the layout says devdax 64M map dev align 2M"));
	assert_int_equal(vpmem_layout_diff(&L, have, 4, true, 496 * M, fs, true, &P, &err), 0);
	assert_int_equal(P.step[1].kind, VPMEM_LSTEP_REMAKE);
	assert_int_equal(P.nchanges, 1);
	have[1].align = 2 * M;
	/* extra, a duplicate name and an unnamed one */
	have[4] = ns("old", VPMEM_NS_RAW, 16 * M, 5);
	have[5] = ns("", VPMEM_NS_RAW, 16 * M, 6);
	assert_int_equal(vpmem_layout_diff(&L, have, 6, true, 496 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.step[4].kind, VPMEM_LSTEP_EXTRA);
	assert_int_equal(P.step[5].kind, VPMEM_LSTEP_UNTOUCHED);
	assert_int_equal(P.nchanges, 0);
	assert_int_equal(vpmem_layout_diff(&L, have, 6, true, 496 * M, fs, true, &P, &err), 0);
	assert_int_equal(P.step[4].kind, VPMEM_LSTEP_DESTROY);
	assert_int_equal(P.step[5].kind, VPMEM_LSTEP_UNTOUCHED);
	snprintf(have[4].name, sizeof(have[4].name), "log");
	assert_int_equal(vpmem_layout_diff(&L, have, 6, true, 496 * M, fs, true, &P, &err), 0);
	assert_int_equal(P.step[2].kind, VPMEM_LSTEP_BLOCKED);
	assert_non_null(strstr(P.step[2].why, "2 namespaces are named 'log'"));
}

static void test_labelless(void **s)
{
	struct vpmem_ns_info one = ns("", VPMEM_NS_RAW, 240 * M, 0);
	enum vpmem_fs fs[1] = { VPMEM_FS_NONE };
	struct vpmem_err err = { 0 };

	(void)s;
	one.labelled = false;
	parse_ok(example);
	assert_int_equal(vpmem_layout_diff(&L, &one, 1, false, 240 * M, fs, true, &P, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "asks for 4"));
	parse_ok("{\"namespaces\": [{\"name\": \"a\", \"mode\": \"fsdax\"}]}");
	assert_int_equal(vpmem_layout_diff(&L, &one, 1, false, 240 * M, fs, false, &P, &err), -EINVAL);
	parse_ok("{\"namespaces\": [{\"mode\": \"fsdax\", \"size\": \"16M\"}]}");
	assert_int_equal(vpmem_layout_diff(&L, &one, 1, false, 240 * M, fs, false, &P, &err), -EINVAL);
	parse_ok("{\"namespaces\": [{\"mode\": \"fsdax\", \"filesystem\": \"xfs\"}]}");
	assert_int_equal(vpmem_layout_diff(&L, &one, 1, false, 240 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.step[0].kind, VPMEM_LSTEP_CREATE);
	assert_true(P.step[0].mkfs);
	/* raw holding a filesystem: not silently overwritten */
	fs[0] = VPMEM_FS_EXT4;
	assert_int_equal(vpmem_layout_diff(&L, &one, 1, false, 240 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.step[0].kind, VPMEM_LSTEP_BLOCKED);
}

static void test_round_trip(void **s)
{
	struct vpmem_ns_info have[2] = { ns("a", VPMEM_NS_SECTOR, 32 * M, 1), ns("", VPMEM_NS_DEVDAX, 16 * M, 2) };
	enum vpmem_fs fs[2] = { VPMEM_FS_NONE, VPMEM_FS_NONE };
	struct vpmem_err err = { 0 };
	json_object *j;
	const char *t;

	(void)s;
	vpmem_layout_from_region(have, 2, fs, &L);
	assert_true(L.ns[1].uuid_set); /* unnamed: known by its uuid */
	j = vpmem_layout_to_json(&L);
	t = json_object_to_json_string(j);
	assert_int_equal(vpmem_layout_parse(t, strlen(t), &L, &err), 0);
	json_object_put(j);
	assert_int_equal(vpmem_layout_diff(&L, have, 2, true, 96 * M, fs, false, &P, &err), 0);
	assert_int_equal(P.nchanges, 0);
	assert_int_equal(P.nblocked, 0);
	assert_int_equal(P.step[1].kind, VPMEM_LSTEP_KEEP);
}

static void test_nova(void **s)
{
	struct vpmem_nova n;
	struct vpmem_err err = { 0 };

	(void)s;
	parse_ok("{\"namespaces\": [{\"name\": \"ns0\", \"mode\": \"devdax\", \"size\": \"6G\"},"
		 "{\"name\": \"ns1\", \"mode\": \"devdax\", \"size\": \"6G\"},"
		 "{\"name\": \"ns3\", \"mode\": \"devdax\", \"size\": \"30G\"}]}");
	assert_int_equal(vpmem_layout_nova(&L, &n, &err), 0);
	assert_string_equal(n.conf, "[libvirt]\npmem_namespaces = 6GB:ns0|ns1,30GB:ns3");
	assert_int_equal(n.nwarn, 0);
	vpmem_nova_free(&n);
	snprintf(L.nova_label, sizeof(L.nova_label), "LARGE");
	assert_int_equal(vpmem_layout_nova(&L, &n, &err), 0);
	assert_string_equal(n.conf, "[libvirt]\npmem_namespaces = LARGE:ns0|ns1|ns3");
	assert_int_equal(n.nwarn, 1);
	vpmem_nova_free(&n);
	snprintf(L.ns[0].name, sizeof(L.ns[0].name), "a|b");
	assert_int_equal(vpmem_layout_nova(&L, &n, &err), -EINVAL);
	L.ns[0].name[0] = '\0';
	assert_int_equal(vpmem_layout_nova(&L, &n, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse), cmocka_unit_test(test_diff), cmocka_unit_test(test_labelless),
		cmocka_unit_test(test_round_trip), cmocka_unit_test(test_nova),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
