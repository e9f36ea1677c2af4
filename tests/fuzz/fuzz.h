/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets: the entry point's prototype and a
 * NUL-terminated copy of the input (text parsers take C strings).
 */
#ifndef VPMEM_FUZZ_H
#define VPMEM_FUZZ_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (malloc'ed; embedded NULs end it early, as they would in a file). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
