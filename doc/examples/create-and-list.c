// SPDX-License-Identifier: MIT
/*
 * create-and-list: libvpmem's common jobs in one program. It creates a
 * vNVDIMM backing file with a label area, provisions an fsdax namespace in
 * it offline (as 'ndctl create-namespace' would in the guest), and lists
 * what a guest will see, as 'vpmem image create', 'vpmem namespace create'
 * and 'vpmem list' do.
 *
 * Build against the installed library:
 *     cc -o create-and-list create-and-list.c $(pkg-config --cflags --libs libvpmem)
 * Run:
 *     ./create-and-list vm0.img
 *     vpmem list vm0.img          # the same namespace, as the command shows it
 *
 * Every call reports failure as a negative errno and a one-line message in
 * struct vpmem_err; the library never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/error.h>
#include <vpmem/image.h>
#include <vpmem/label.h>
#include <vpmem/namespace.h>

static int fail(const char *what, const struct vpmem_err *err)
{
	fprintf(stderr, "create-and-list: error: %s: %s\n", what, err->msg);
	return 1;
}

/* Make the image, 1 GiB with a 128 KiB label area (ndctl init-labels v1.1). */
static int create_image(const char *path, struct vpmem_err *err)
{
	struct vpmem_image_spec spec = {
		.size = 1ULL << 30,
		.label_size = VPMEM_MIN_LABEL_SIZE,
		.version = VPMEM_LABEL_V1_1,
		.slot = 0,
	};

	return vpmem_image_create(path, &spec, 0644, err);
}

/* Plan a 512 MiB fsdax namespace named "example" and write it (crash-safe order). */
static int create_namespace(const char *path, const struct vpmem_image_hints *h, struct vpmem_err *err)
{
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri)); /* large: not on the stack */
	struct vpmem_ns_req req = {
		.mode = VPMEM_NS_FSDAX,
		.size = 512ULL << 20,
		.name = "example",
	};
	struct vpmem_wplan plan = { 0 };
	struct vpmem_ns_info made;
	int fd, r;

	if (!ri)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	fd = vpmem_image_open_locked(path, err); /* locked; refused while a VM maps it */
	r = fd < 0 ? fd : vpmem_region_read(fd, h, ri, err);
	if (!r)
		r = vpmem_ns_plan_create(ri, h, &req, &plan, &made, err);
	if (!r)
		r = vpmem_wplan_apply(fd, &plan, SIZE_MAX, NULL, err);
	if (fd >= 0)
		close(fd);
	vpmem_wplan_free(&plan);
	vpmem_region_free(ri);
	free(ri);
	return r;
}

/* Print the region and its namespaces as a guest's 'ndctl list -RN' names them. */
static int list_image(const char *path, const struct vpmem_image_hints *h, struct vpmem_err *err)
{
	struct vpmem_region_info *ri;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return vpmem_err_set(err, errno, "cannot open '%s': %s", path, strerror(errno));
	ri = calloc(1, sizeof(*ri));
	if (!ri) {
		close(fd);
		return vpmem_err_set(err, ENOMEM, "out of memory");
	}
	r = vpmem_region_read(fd, h, ri, err);
	close(fd);
	if (!r) {
		printf("region0: size %llu, %s, slot %d, %u namespace(s)\n",
		       (unsigned long long)ri->region_size, ri->labelled ? "labelled" : "label-less", ri->slot,
		       ri->nns);
		for (unsigned i = 0; i < ri->nns; i++) {
			const struct vpmem_ns_info *ns = &ri->ns[i];

			printf("namespace0.%u: mode %s, size %llu, name '%s', uuid ", ns->index,
			       vpmem_ns_mode_name(ns->mode), (unsigned long long)ns->size, ns->name);
			for (int k = 0; k < 16; k++)
				printf("%s%02x", k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "", ns->uuid[k]);
			putchar('\n');
		}
		vpmem_region_free(ri);
	}
	free(ri);
	return r;
}

int main(int argc, char **argv)
{
	struct vpmem_image_hints hints = { .slot = -1 }; /* detect everything */
	struct vpmem_err err = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: create-and-list FILE\n");
		return 2;
	}
	if (create_image(argv[1], &err))
		return fail("create image", &err);
	if (create_namespace(argv[1], &hints, &err))
		return fail("create namespace", &err);
	if (list_image(argv[1], &hints, &err))
		return fail("list", &err);
	return 0;
}
