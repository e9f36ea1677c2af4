// SPDX-License-Identifier: MIT
/*
 * A target that misbehaves on purpose, so a test can show the fuzz runner
 * fails on each thing it must catch: the input "crash" writes out of bounds,
 * "leak" leaks, "hang" never returns; anything else is harmless. Inputs are
 * recognised by their FNV-1a hash, not by a comparison the fuzzer could
 * trace and reach from a harmless seed on its own.
 */
#include <unistd.h>

#include "fuzz.h"

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *volatile leaked;
	uint64_t h = fnv1a(data, size);

	if (h == 0x9130ed9ec3ce4f98ULL) { /* "crash" */
		char *p = malloc(4);

		if (p)
			p[size] = 1; /* heap overflow: ASan must stop here */
		free(p);
	} else if (h == 0x24ad87ada2020deeULL) { /* "leak" */
		leaked = malloc(64);
		leaked = NULL;
	} else if (h == 0x2e2c97cc740bf8f9ULL) { /* "hang" */
		for (;;)
			pause();
	}
	return 0;
}
