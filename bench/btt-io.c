// SPDX-License-Identifier: MIT
/*
 * 4 KiB random writes / reads through a BTT: libvpmem (the kernel's on-media
 * BTT, pread/pwrite on the backing file) vs its anchor PMDK libpmemblk
 * (its own BTT pool format, mmap + CPU cache flushes; run it with
 * PMEM_IS_PMEM_FORCE=1 on tmpfs). Same pool size, same block size, same
 * random LBAs (xorshift), N threads each doing OPS/N operations.
 *
 *   btt-io vpmem IMAGE NAMESPACE write|read THREADS OPS
 *   btt-io pmemblk POOL SIZE write|read THREADS OPS
 *
 * Prints: "<impl> <op> threads=<n> ops=<ops> secs=<s> iops=<iops>".
 * The pmemblk side is built only when libpmemblk-dev is installed; it is a
 * bench anchor, never a dependency of vpmem.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/io.h>
#ifdef HAVE_PMEMBLK
#include <libpmemblk.h>
#endif

#define BS 4096

static bool is_write;
static uint64_t nblocks, per_thread;
static struct vpmem_btt *btt;
#ifdef HAVE_PMEMBLK
static PMEMblkpool *pbp;
#endif
static bool use_pmemblk;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9E3779B97F4A7C15ull * ((uintptr_t)arg + 1);
	uint8_t *buf = aligned_alloc(BS, BS);
	struct vpmem_err err = { 0 };

	memset(buf, 0xab, BS);
	for (uint64_t i = 0; i < per_thread; i++) {
		uint64_t lba = xorshift(&seed) % nblocks;
		int r;

		buf[0] = (uint8_t)i;
#ifdef HAVE_PMEMBLK
		if (use_pmemblk)
			r = is_write ? pmemblk_write(pbp, buf, (long long)lba) : pmemblk_read(pbp, buf, (long long)lba);
		else
#endif
			r = is_write ? vpmem_btt_write(btt, lba, 1, buf, &err) : vpmem_btt_read(btt, lba, 1, buf, &err);
		if (r) {
			fprintf(stderr, "btt-io: %s at %llu: %s\n", is_write ? "write" : "read",
				(unsigned long long)lba, use_pmemblk ? strerror(errno) : err.msg);
			exit(1);
		}
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	unsigned threads;
	uint64_t ops;
	pthread_t th[64];
	struct rusage ru0, ru1;
	double secs, cpu;

	if (argc != 7) {
		fprintf(stderr, "usage: btt-io vpmem IMAGE NAMESPACE write|read THREADS OPS\n"
				"       btt-io pmemblk POOL SIZE write|read THREADS OPS\n");
		return 2;
	}
	use_pmemblk = !strcmp(argv[1], "pmemblk");
	is_write = !strcmp(argv[4], "write");
	threads = (unsigned)atoi(argv[5]);
	ops = strtoull(argv[6], NULL, 10);
	if (!threads || threads > 64)
		return 2;
	per_thread = ops / threads;
	if (use_pmemblk) {
#ifdef HAVE_PMEMBLK
		size_t size = strtoull(argv[3], NULL, 10);

		pbp = pmemblk_open(argv[2], BS);
		if (!pbp)
			pbp = pmemblk_create(argv[2], BS, size, 0600);
		if (!pbp) {
			fprintf(stderr, "btt-io: pmemblk: %s\n", pmemblk_errormsg());
			return 1;
		}
		nblocks = pmemblk_nblock(pbp);
#else
		fprintf(stderr, "btt-io: built without libpmemblk\n");
		return 77;
#endif
	} else {
		struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
		struct vpmem_image_hints h = { .slot = -1 };
		struct vpmem_ns_io *io;
		struct vpmem_err err = { 0 };
		int fd = open(argv[2], O_RDWR), k;

		if (fd < 0 || !ri || vpmem_region_read(fd, &h, ri, &err) ||
		    (k = strncmp(argv[3], "namespace", 9) ? vpmem_ns_select(ri, argv[3], NULL, NULL, &err)
						    : vpmem_ns_select(ri, NULL, NULL, argv[3], &err)) < 0 ||
		    vpmem_ns_io_open(fd, &ri->ns[k], false, &io, &err) || !(btt = vpmem_ns_io_btt(io))) {
			fprintf(stderr, "btt-io: %s: %s\n", argv[2], err.msg[0] ? err.msg : "not a sector namespace");
			return 1;
		}
		nblocks = vpmem_btt_nlba(btt);
	}
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	/* CPU time per op: what the machine's other load does not distort */
	printf("%s %s threads=%u ops=%llu secs=%.3f iops=%.0f cpu_us_per_op=%.2f\n", argv[1], argv[4], threads,
	       (unsigned long long)(per_thread * threads), secs, (double)(per_thread * threads) / secs,
	       cpu * 1e6 / (double)(per_thread * threads));
#ifdef HAVE_PMEMBLK
	if (pbp)
		pmemblk_close(pbp);
#endif
	return 0;
}
