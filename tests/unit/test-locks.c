// SPDX-License-Identifier: MIT
/*
 * The /proc/locks reader (lib/util/locks.h) on real lines: the FLOCK holder
 * found by device and inode; waiters, other lock kinds, pids shown as 0 or
 * -1, other devices and over-long lines never taken for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/sysmacros.h>

#include "util/locks.h"

static long owner(const char *text, unsigned ma, unsigned mi, unsigned long long ino)
{
	return vpmem_locks_owner(text, strlen(text), makedev(ma, mi), ino);
}

static void test_holder(void **state)
{
	const char *t = "1: POSIX  ADVISORY  WRITE 14090 fe:00:1073414 0 0\n"
			"5: FLOCK  ADVISORY  WRITE 18955 fe:00:10979177 0 EOF\n"
			"6: FLOCK  ADVISORY  WRITE 18079 fe:00:11100175 0 EOF\n";

	(void)state;
	assert_int_equal(owner(t, 0xfe, 0, 10979177), 18955);
	assert_int_equal(owner(t, 0xfe, 0, 11100175), 18079);
	assert_int_equal(owner(t, 0xfe, 0, 1073414), 0);     /* POSIX */
	assert_int_equal(owner(t, 0xfe, 1, 10979177), 0);    /* other device */
	assert_int_equal(owner(t, 0xfe, 0, 1), 0);
	/* the length bounds the text: the holder's line cut off is not read */
	assert_int_equal(vpmem_locks_owner(t, 60, makedev(0xfe, 0), 10979177), 0);
	/* no final newline */
	assert_int_equal(owner("4: FLOCK  ADVISORY  WRITE 903 fe:00:5 0 EOF", 0xfe, 0, 5), 903);
}

static void test_waiters_kinds(void **state)
{
	const char *w = "1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF\n"
			"1: -> FLOCK  ADVISORY  WRITE 1235 08:01:123456 0 EOF\n";
	char longline[400];

	(void)state;
	assert_int_equal(owner(w, 8, 1, 123456), 1234);
	assert_int_equal(owner(w + strcspn(w, "\n") + 1, 8, 1, 123456), 0);   /* a waiter only */
	assert_int_equal(owner("1: OFDLCK ADVISORY  WRITE -1 00:2e:4242 0 EOF\n", 0, 0x2e, 4242), 0);
	assert_int_equal(owner("1: LEASE  ACTIVE    READ  900 fe:00:5 0 EOF\n", 0xfe, 0, 5), 0);
	assert_int_equal(owner("1: FLOCK  ADVISORY  WRITE 0 103:01:99 0 EOF\n"
			       "2: FLOCK  ADVISORY  READ  4321 103:01:99 0 EOF\n", 259, 1, 99), 4321);
	assert_int_equal(owner("5: POSIX  *NOINODE* WRITE 57 <none>:0 0 EOF\n", 0, 0, 0), 0);
	/* a line longer than the kernel writes is skipped, not split */
	memset(longline, ' ', sizeof(longline));
	memcpy(longline, "1: FLOCK  ADVISORY  WRITE", 25);
	memcpy(longline + 300, "7 fe:00:5 0 EOF\n", 17);
	assert_int_equal(owner(longline, 0xfe, 0, 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holder),
		cmocka_unit_test(test_waiters_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
