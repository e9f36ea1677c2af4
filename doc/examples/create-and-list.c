// SPDX-License-Identifier: MIT
/*
 * create-and-list: libvpmem's common jobs, one call each. It creates a
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <vpmem/error.h>
#include <vpmem/image.h>
#include <vpmem/label.h>
#include <vpmem/namespace.h>

static int fail(const char *what, const struct vpmem_err *err)
{
	fprintf(stderr, "create-and-list: error: %s: %s\n", what, err->msg);
	return 1;
}

/* Print the region and its namespaces as a guest's 'ndctl list -RN' names them. */
static void print_region(const struct vpmem_region_info *ri)
{
	printf("region0: size %llu, %s, slot %d, %u namespace(s)\n", (unsigned long long)ri->region_size,
	       ri->labelled ? "labelled" : "label-less", ri->slot, ri->nns);
	for (unsigned i = 0; i < ri->nns; i++) {
		const struct vpmem_ns_info *ns = &ri->ns[i];

		printf("namespace0.%u: mode %s, size %llu, name '%s', uuid ", ns->index, vpmem_ns_mode_name(ns->mode),
		       (unsigned long long)ns->size, ns->name);
		for (int k = 0; k < 16; k++)
			printf("%s%02x", k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "", ns->uuid[k]);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	/* 1 GiB with a 128 KiB label area, initialised as 'ndctl init-labels' (v1.1) */
	struct vpmem_image_spec spec = {
		.size = 1ULL << 30,
		.label_size = VPMEM_MIN_LABEL_SIZE,
		.version = VPMEM_LABEL_V1_1,
		.slot = 0,
	};
	/* a 512 MiB fsdax namespace named "example"; the rest are ndctl's defaults */
	struct vpmem_ns_req req = {
		.mode = VPMEM_NS_FSDAX,
		.size = 512ULL << 20,
		.name = "example",
	};
	struct vpmem_region_info *ri;
	struct vpmem_err err = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: create-and-list FILE\n");
		return 2;
	}
	/* made beside FILE and linked into place: never half made, never replacing FILE */
	if (vpmem_image_create(argv[1], &spec, 0644, &err))
		return fail("create image", &err);
	/* locked, planned, written in the kernel's crash-safe order (NULL hints: detect) */
	if (vpmem_namespace_create(argv[1], NULL, &req, NULL, &err))
		return fail("create namespace", &err);
	ri = calloc(1, sizeof(*ri)); /* large: not on the stack */
	if (!ri) {
		vpmem_err_set(&err, ENOMEM, "out of memory");
		return fail("list", &err);
	}
	if (vpmem_image_list(argv[1], NULL, ri, &err)) {
		free(ri);
		return fail("list", &err);
	}
	print_region(ri);
	vpmem_region_free(ri);
	free(ri);
	return 0;
}
