// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the BTT reader (vpmem_btt_open and sector I/O):
 * arena info blocks, the flog (slot indices, seq pairs, free blocks, the
 * map roll-forward) and the map (flags, bounds), the way `vpmem namespace
 * import/export` and the nbdkit plugin reach them.
 *
 * Input: byte 0 = flags (bit0: BTT 2.0 at 0, else 1.1 at 4K; bit1:
 * read-only), then a 4096-byte info block, then bytes written at the
 * info's logoff (the flog) and, what is left, at its mapoff (the map). The
 * namespace is 64 MiB (the golden BTTs fit) in a memfd (pread/pwrite, as in production); then
 * open, read sectors 0-7 and the last, write and zero one.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <vpmem/btt.h>

#include "fuzz.h"

#define NS (64u << 20)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	if (off < NS && n)
		(void)!pwrite(fd, p, n > NS - off ? NS - off : n, (off_t)off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static uint8_t buf[8 * 4096];
	struct vpmem_btt *b;
	bool v2, ro;
	uint64_t start, logoff, mapoff;
	size_t rest, nlog;

	if (fd < 0 && (fd = memfd_create("fuzz-btt", 0)) < 0)
		return 0;
	if (size < 1 + 4096)
		return 0;
	v2 = data[0] & 1;
	ro = data[0] & 2;
	start = v2 ? 0 : 4096;
	if (ftruncate(fd, 0) || ftruncate(fd, NS))
		return 0;
	put(fd, data + 1, 4096, start);
	logoff = le64(data + 1 + 104);
	mapoff = le64(data + 1 + 96);
	rest = size - 1 - 4096;
	nlog = rest < 16384 ? rest : 16384;
	if (logoff < NS)
		put(fd, data + 1 + 4096, nlog, start + logoff);
	if (mapoff < NS)
		put(fd, data + 1 + 4096 + nlog, rest - nlog, start + mapoff);
	if (vpmem_btt_open(fd, 0, NS, v2, NULL, ro, &b, NULL))
		return 0;
	if (vpmem_btt_nlba(b)) {
		uint64_t n = vpmem_btt_nlba(b) < 8 ? vpmem_btt_nlba(b) : 8;

		vpmem_btt_read(b, 0, n, buf, NULL);
		vpmem_btt_read(b, vpmem_btt_nlba(b) - 1, 1, buf, NULL);
		if (!ro) {
			vpmem_btt_write(b, 0, 1, buf, NULL);
			vpmem_btt_write(b, 0, n, buf, NULL);
			vpmem_btt_zero(b, vpmem_btt_nlba(b) - 1, 1, NULL);
		}
	}
	vpmem_btt_close(b);
	return 0;
}
