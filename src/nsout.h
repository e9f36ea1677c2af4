/* SPDX-License-Identifier: MIT */
/* Rendering images and namespaces as ndctl does (shared by list, namespace, image). */
#ifndef VPMEM_NSOUT_H
#define VPMEM_NSOUT_H

#include <stdbool.h>

#include <json-c/json.h>

#include <vpmem/image.h>

/* ndctl list -N shaped namespace object; @region = region number for dev names. */
json_object *ns_to_json(const struct vpmem_ns_info *ns, unsigned region, bool verbose);
/* ndctl list -R shaped region object with its namespaces; @dimm = "nmemN". */
json_object *region_to_json(const struct vpmem_region_info *ri, unsigned region, const char *dimm,
			    bool verbose);
void ns_print_text(const struct vpmem_ns_info *ns, unsigned region);
/* --dry-run: one line per planned write. */
void wplan_print(const struct vpmem_wplan *p, const char *path);
/* Apply @p on @fd, honouring VPMEM_TEST_CRASH_AFTER_WRITES=N (tests inject a
 * crash after write N: the process exits 99 without running the rest). */
int wplan_apply_cmd(int fd, const struct vpmem_wplan *p, struct vpmem_err *err);

#endif
