/* SPDX-License-Identifier: MIT */
/*
 * The /proc/locks reader behind vpmem_file_lock_holder (file.c), over a
 * buffer so that it can be fuzzed (tests/fuzz/fuzz-locks.c). Internal to
 * libvpmem.
 */
#ifndef VPMEM_LOCKS_H
#define VPMEM_LOCKS_H

#include <stddef.h>

/*
 * The pid that holds a FLOCK on dev:ino in @buf (@len bytes of /proc/locks
 * text, not necessarily NUL-terminated), or 0: none, or only waiters ("->"
 * lines), POSIX/OFDLCK/lease locks, or a pid the kernel shows as 0 or -1.
 */
long vpmem_locks_owner(const char *buf, size_t len, unsigned long long dev, unsigned long long ino);

#endif
