// SPDX-License-Identifier: MIT
/*
 * The one library loader (lib/util/dl.h): a table filled from a real
 * library (zlib), the two failure messages, the answer kept (a failed load
 * is not retried, a good one not redone), only the listed members written,
 * and the first use from many threads at once loading exactly once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "util/dl.h"

struct table {
	void *before;
	const char *(*zlibVersion)(void);
	unsigned long (*crc32)(unsigned long crc, const unsigned char *buf, unsigned len);
	void *after;
};

static const struct vpmem_dl_sym zsyms[] = {
	VPMEM_DL_SYM(struct table, zlibVersion, "zlibVersion"), VPMEM_DL_SYM(struct table, crc32, "crc32"), { NULL, 0 },
};

static unsigned nloaded;

static void loaded(void *t)
{
	(void)t;
	__atomic_add_fetch(&nloaded, 1, __ATOMIC_SEQ_CST);
}

static void test_fill(void **s)
{
	static struct vpmem_dl dl = VPMEM_DL_INIT;
	struct table t;

	(void)s;
	memset(&t, 0xa5, sizeof(t));
	nloaded = 0;
	assert_int_equal(vpmem_dl_fill(&dl, "libz.so.1", "zlib1g", zsyms, &t, loaded), 0);
	assert_int_equal(nloaded, 1);
	assert_int_equal(t.crc32(0, (const unsigned char *)"a", 1), 0xe8b7be43); /* crc32("a") */
	assert_non_null(t.zlibVersion());
	/* only the listed members */
	assert_ptr_equal(t.before, (void *)(uintptr_t)0xa5a5a5a5a5a5a5a5ULL);
	assert_ptr_equal(t.after, (void *)(uintptr_t)0xa5a5a5a5a5a5a5a5ULL);
	/* loaded once: the hook does not run again */
	assert_int_equal(vpmem_dl_fill(&dl, "libz.so.1", "zlib1g", zsyms, &t, loaded), 0);
	assert_int_equal(nloaded, 1);
}

static void test_failures(void **s)
{
	static struct vpmem_dl none = VPMEM_DL_INIT, old = VPMEM_DL_INIT;
	static const struct vpmem_dl_sym missing[] = {
		VPMEM_DL_SYM(struct table, crc32, "crc32"), VPMEM_DL_SYM(struct table, zlibVersion, "vpmemNoSuchCall"),
		{ NULL, 0 },
	};
	struct table t = { 0 };

	(void)s;
	nloaded = 0;
	assert_int_equal(vpmem_dl_fill(&none, "libvpmem-nonesuch.so.9", "vpmem-nonesuch9", zsyms, &t, loaded), -1);
	assert_string_equal(none.why, "libvpmem-nonesuch.so.9 is not installed (apt-get install vpmem-nonesuch9)");
	assert_int_equal(vpmem_dl_fill(&old, "libz.so.1", "zlib1g", missing, &t, loaded), -1);
	assert_string_equal(old.why, "libz.so.1 has no vpmemNoSuchCall (too old?)");
	/* the answer is kept: not retried, even with what would work */
	assert_int_equal(vpmem_dl_fill(&old, "libz.so.1", "zlib1g", zsyms, &t, loaded), -1);
	assert_int_equal(nloaded, 0);
}

static struct vpmem_dl shared = VPMEM_DL_INIT;
static struct table st;

/* a slow first load: the others must wait for it, not load again */
static void loaded_slowly(void *t)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	loaded(t);
	nanosleep(&ts, NULL);
}

static void *use(void *arg)
{
	(void)arg;
	if (vpmem_dl_fill(&shared, "libz.so.1", "zlib1g", zsyms, &st, loaded_slowly))
		return (void *)1;
	/* whoever loaded it, the table is complete when the call returns */
	return st.crc32(0, (const unsigned char *)"a", 1) == 0xe8b7be43 ? NULL : (void *)1;
}

static void test_threads(void **s)
{
	pthread_t th[16];

	(void)s;
	nloaded = 0;
	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&th[i], NULL, use, NULL), 0);
	for (int i = 0; i < 16; i++) {
		void *r;

		assert_int_equal(pthread_join(th[i], &r), 0);
		assert_null(r);
	}
	assert_int_equal(nloaded, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests_name("dl", tests, NULL, NULL);
}
