// SPDX-License-Identifier: MIT
/*
 * A libFuzzer target that crashes on its first input, so a test can prove
 * that tests/fuzz/run.sh fails when the fuzzer finds a crash.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size)
		__builtin_trap();
	return 0;
}
