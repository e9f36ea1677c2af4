// SPDX-License-Identifier: MIT
/*
 * In-process offline provisioning: what `vpmem image create` + `vpmem
 * namespace create` do, through libvpmem, without the two process start-ups
 * (~8 ms each on these machines before any work). Prints one line:
 *   <microseconds> <bytes written by the plans> <bytes allocated in the file>
 * usage: provision-lib FILE SIZE MODE   (MODE: raw|sector|fsdax|devdax)
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vpmem/image.h>
#include <vpmem/namespace.h>
#include <vpmem/size.h>

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "raw", "sector", "fsdax", "devdax" };
	struct vpmem_image_spec spec = { .label_size = 128 << 10, .version = VPMEM_LABEL_V1_1 };
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_ns_req req = { 0 };
	struct vpmem_wplan p1 = { 0 }, p2 = { 0 };
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_ns_info out;
	struct vpmem_err err = { 0 };
	uint64_t t0, t1, w1 = 0, w2 = 0;
	struct stat st;
	int fd, m;

	if (argc != 4 || vpmem_size_parse(argv[2], 0, "SIZE", &spec.size, &err))
		return fprintf(stderr, "usage: provision-lib FILE SIZE MODE %s\n", err.msg), 2;
	for (m = 0; m < 4 && strcmp(argv[3], modes[m]); m++)
		;
	if (m == 4)
		return fprintf(stderr, "unknown mode\n"), 2;
	req.mode = (enum vpmem_ns_mode)m;
	spec.size += spec.label_size;
	t0 = now_us();
	fd = open(argv[1], O_CREAT | O_EXCL | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)spec.size) || vpmem_image_plan_init_labels(&spec, &p1, &err) ||
	    vpmem_wplan_apply(fd, &p1, SIZE_MAX, &w1, &err) || fsync(fd) ||
	    vpmem_region_read(fd, &h, ri, &err) || vpmem_ns_plan_create(ri, &h, &req, &p2, &out, &err) ||
	    vpmem_wplan_apply(fd, &p2, SIZE_MAX, &w2, &err))
		return fprintf(stderr, "provision-lib: %s\n", err.msg), 1;
	t1 = now_us();
	fstat(fd, &st);
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", t1 - t0, w1 + w2, (uint64_t)st.st_blocks * 512);
	close(fd);
	vpmem_wplan_free(&p1);
	vpmem_wplan_free(&p2);
	vpmem_region_free(ri);
	free(ri);
	return 0;
}
