/* SPDX-License-Identifier: MIT */
/* Appending one-line messages to a fixed array of them (problems, notes). Internal. */
#ifndef VPMEM_MSG_H
#define VPMEM_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Format into the next of @cap rows of @width bytes at @rows; silently drops
 * messages past the last row (the first ones are the useful ones). */
static inline void __attribute__((format(printf, 5, 6)))
msg_add(char *rows, size_t width, unsigned cap, unsigned *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(rows + (size_t)(*n)++ * width, width, fmt, ap);
	va_end(ap);
}

/* MSG_ADD(s->problems, &s->nproblems, "fmt", …) for a char[CAP][WIDTH] array */
#define MSG_ADD(arr, n, ...) \
	msg_add(&(arr)[0][0], sizeof((arr)[0]), sizeof(arr) / sizeof((arr)[0]), (n), __VA_ARGS__)

#endif
