// SPDX-License-Identifier: MIT
/* vpmem check: verify (and --repair) labels, info blocks and BTTs offline. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpmem/check.h>
#include <vpmem/image.h>
#include <vpmem/reconfigure.h>
#include <vpmem/size.h>

#include "nsout.h"
#include "options.h"
#include "vpmem.h"

const char usage_check[] =
	"usage: vpmem check FILE... [--repair [--dry-run]] [--label-size SIZE] [--slot N] [--json] [-v]\n"
	"\n"
	"Verify a vNVDIMM image's metadata offline, as the guest kernel and\n"
	"'ndctl check-namespace' judge it: both label index blocks and the free\n"
	"bitmap, every label in use (checksum, slot, cookie, extent, overlaps,\n"
	"duplicate uuids, name), fsdax/devdax info blocks, and every BTT arena\n"
	"(info block and backup, flog, map, each internal block used once).\n"
	"Prints a verdict per image and per namespace (ok, repairable, damaged)\n"
	"and one line per finding with the structure and its byte offset.\n"
	"Exit status 0 only when everything is ok. What the guest kernel uses\n"
	"as it is (a name that is not UTF-8, an unknown abstraction GUID on a\n"
	"raw namespace) is printed as a warning and keeps the verdict ok.\n"
	"\n"
	"--repair mends what can be mended without losing data (an index block\n"
	"from its valid twin, the free bitmap from the labels, a BTT info block\n"
	"from its backup and the reverse, an interrupted BTT write completed as\n"
	"the kernel's flog recovery does) with ordered, synced writes, and says\n"
	"why it leaves the rest. --dry-run prints the writes instead. The image\n"
	"must not be in use (a running VM maps it). See doc/check.md.\n"
	"\n"
	"A CXL image is named by its memory file FILE; its label area FILE.lsa beside\n"
	"it is checked with it (offsets in it are printed as 'label file 0x...'), and\n"
	"its labels must carry the CXL cookie of its serial and a zero type GUID\n"
	"(doc/cxl.md).\n";

/* A CXL image's label area is its own file FILE.lsa: offsets in it are
 * given there (@off is the library's offset in memory file + label file). */
static uint64_t cxl_off(const struct vpmem_check_report *rep, uint64_t off, bool *lsa)
{
	uint64_t base = rep->ri && rep->ri->cxl ? rep->ri->size - rep->ri->label_size : UINT64_MAX;

	*lsa = off >= base;
	return *lsa ? off - base : off;
}

/* A finding's severity as printed: an ok one is a warning (the kernel uses
 * the structure as it is; the verdict stays ok, check.h). */
static const char *severity_name(enum vpmem_check_verdict sev)
{
	return sev == VPMEM_CHECK_OK ? "warning" : vpmem_check_verdict_name(sev);
}

static void finding_text(const char *file, const struct vpmem_check_report *rep,
			 const struct vpmem_finding *f, bool repair_col)
{
	bool lsa;
	uint64_t off = cxl_off(rep, f->offset, &lsa);

	printf("  %-10s %s at %s%#" PRIx64 ": %s\n", severity_name(f->severity), f->structure,
	       lsa ? "label file " : "", off, f->what);
	(void)file;
	if (repair_col && f->repair[0])
		printf("             %s: %s\n", f->severity == VPMEM_CHECK_REPAIRABLE ? "repair" : "cannot repair", f->repair);
}

static json_object *report_json(const char *file, const struct vpmem_check_report *rep, bool verbose)
{
	json_object *o = json_object_new_object(), *nss = json_object_new_array(),
		    *fs = json_object_new_array();

	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "verdict", json_object_new_string(vpmem_check_verdict_name(rep->verdict)));
	json_object_object_add(o, "labels", json_object_new_string(!rep->ri->label_size ? "none"
		: vpmem_check_verdict_name(rep->lsa_verdict)));
	for (unsigned k = 0; k < rep->nns; k++) {
		json_object *n = json_object_new_object();
		char dev[32];

		snprintf(dev, sizeof(dev), "namespace0.%d", rep->ns[k].index);
		json_object_object_add(n, "dev", json_object_new_string(dev));
		json_object_object_add(n, "mode", json_object_new_string(vpmem_ns_mode_name(rep->ns[k].mode)));
		json_object_object_add(n, "verdict", json_object_new_string(vpmem_check_verdict_name(rep->ns[k].verdict)));
		if (verbose) {
			json_object_object_add(n, "dpa", json_object_new_int64((int64_t)rep->ns[k].dpa));
			json_object_object_add(n, "raw_size", json_object_new_int64((int64_t)rep->ns[k].rawsize));
		}
		json_object_array_add(nss, n);
	}
	json_object_object_add(o, "namespaces", nss);
	for (unsigned i = 0; i < rep->nfindings; i++) {
		const struct vpmem_finding *f = &rep->f[i];
		json_object *j = json_object_new_object();

		bool lsa;
		uint64_t off = cxl_off(rep, f->offset, &lsa);

		json_object_object_add(j, "structure", json_object_new_string(f->structure));
		json_object_object_add(j, "offset", json_object_new_int64((int64_t)off));
		if (rep->ri && rep->ri->cxl) /* which of the CXL pair the offset is in */
			json_object_object_add(j, "in", json_object_new_string(lsa ? "label file" : "memory file"));
		json_object_object_add(j, "severity", json_object_new_string(severity_name(f->severity)));
		if (f->ns >= 0) {
			char dev[32];

			snprintf(dev, sizeof(dev), "namespace0.%d", f->ns);
			json_object_object_add(j, "namespace", json_object_new_string(dev));
		}
		json_object_object_add(j, "what", json_object_new_string(f->what));
		if (f->repair[0])
			json_object_object_add(j, "repair", json_object_new_string(f->repair));
		json_object_array_add(fs, j);
	}
	json_object_object_add(o, "findings", fs);
	if (verbose)
		json_object_object_add(o, "btt_blocks", json_object_new_int64((int64_t)rep->btt_blocks));
	return o;
}

static void report_text(const char *file, const struct vpmem_check_report *rep, bool verbose)
{
	char sz[32];

	printf("%s: %s\n", file, vpmem_check_verdict_name(rep->verdict));
	if (verbose || rep->verdict) {
		if (rep->ri->label_size)
			printf("  labels: %s\n", vpmem_check_verdict_name(rep->lsa_verdict));
		else
			printf("  labels: none (label-less)\n");
		for (unsigned k = 0; k < rep->nns; k++)
			printf("  namespace0.%d: %s (%s, dpa %#" PRIx64 ", %s)\n", rep->ns[k].index,
			       vpmem_check_verdict_name(rep->ns[k].verdict), vpmem_ns_mode_name(rep->ns[k].mode),
			       rep->ns[k].dpa, vpmem_size_human(rep->ns[k].rawsize, sz, sizeof(sz)));
	}
	for (unsigned i = 0; i < rep->nfindings; i++)
		finding_text(file, rep, &rep->f[i], true);
	if (verbose && rep->btt_blocks)
		printf("  %" PRIu64 " BTT map entries and free blocks walked\n", rep->btt_blocks);
}

int check_hint(int fd, const char *path, const struct vpmem_image_hints *h, char *buf, size_t len)
{
	struct vpmem_check_report rep;
	unsigned n = 0;
	int v;

	buf[0] = '\0';
	if (vpmem_check_headers(fd, h, &rep, NULL))
		return 0;
	v = (int)rep.verdict;
	for (unsigned i = 0; i < rep.nfindings; i++)
		if (rep.f[i].severity)
			n++;
	for (unsigned i = 0; v && i < rep.nfindings; i++) {
		const struct vpmem_finding *f = &rep.f[i];

		if (!f->severity)
			continue;   /* warnings: the kernel uses it as it is */
		snprintf(buf, len, "%s: %u finding%s (first: %s at %#" PRIx64 ": %.80s); run 'vpmem check %s'%s",
			 vpmem_check_verdict_name(rep.verdict), n, n == 1 ? "" : "s",
			 f->structure, f->offset, f->what, path,
			 rep.verdict == VPMEM_CHECK_REPAIRABLE ? " (--repair mends it)" : "");
		break;
	}
	vpmem_check_free(&rep);
	return buf[0] ? v : 0;
}

static int repair_one(const char *file, const struct vpmem_image_hints *h, bool dry_run, bool json,
		      bool verbose, json_object *arr)
{
	struct vpmem_check_report rep, after;
	struct vpmem_err err = { 0 };
	struct vpmem_image_hints hf = *h; /* CXL: FILE with FILE.lsa (image.h) */
	int fd = vpmem_image_open(file, true, &hf, &err), r = EXIT_OK;
	unsigned refused = 0;

	if (fd < 0)
		return cmd_error(EXIT_FAIL, "check: '%s': %s", file, err.msg);
	h = &hf;
	if (vpmem_reconf_busy(file, &err)) {   /* finish a half-done conversion first */
		struct vpmem_reconf_run run = { .budget = -1, .hints = h };

		if (dry_run)
			printf("%s: would finish: %s\n", file, err.msg);
		else if (vpmem_reconf_resume(fd, file, &run, NULL, &err))
			r = cmd_error(EXIT_FAIL, "check: '%s': %s", file, err.msg);
		else if (!json)
			printf("%s: repaired: finished the pending namespace conversion\n", file);
		if (r) {
			vpmem_image_close(fd, &hf);
			return r;
		}
	}
	if (vpmem_check(fd, h, &rep, &err)) {
		vpmem_image_close(fd, &hf);
		return cmd_error(EXIT_FAIL, "check: '%s': %s", file, err.msg);
	}
	vpmem_wplan_route(&rep.repair, h);
	for (unsigned i = 0; i < rep.nfindings; i++)
		refused += rep.f[i].severity == VPMEM_CHECK_DAMAGED;
	if (dry_run) {
		if (json) {
			json_object *o = report_json(file, &rep, verbose), *w = json_object_new_array();

			for (size_t i = 0; i < rep.repair.n; i++) {
				json_object *j = json_object_new_object();

				json_object_object_add(j, "offset", json_object_new_int64((int64_t)rep.repair.w[i].off));
				json_object_object_add(j, "length", json_object_new_int64((int64_t)rep.repair.w[i].len));
				json_object_object_add(j, "what", json_object_new_string(rep.repair.w[i].what));
				json_object_array_add(w, j);
			}
			json_object_object_add(o, "repair_writes", w);
			json_object_array_add(arr, o);
		} else {
			report_text(file, &rep, verbose);
			for (size_t i = 0; i < rep.repair.n; i++) {
				bool lsa;
				uint64_t off = cxl_off(&rep, rep.repair.w[i].off, &lsa);

				printf("  would write %" PRIu64 " bytes at %s%#" PRIx64 ": %s, then fsync\n",
				       rep.repair.w[i].len, lsa ? "label file " : "", off, rep.repair.w[i].what);
			}
			if (!rep.repair.n)
				printf("  nothing to repair\n");
		}
		r = rep.verdict ? EXIT_FAIL : EXIT_OK;
		vpmem_check_free(&rep);
		vpmem_image_close(fd, &hf);
		return r;
	}
	{
		/* tests: die after N planned writes, as a killed process would */
		size_t n = test_write_limit();

		if (n < rep.repair.n)
			test_crash(vpmem_wplan_apply(fd, &rep.repair, n, NULL, &err));
	}
	if (rep.repair.n && vpmem_wplan_apply(fd, &rep.repair, SIZE_MAX, NULL, &err)) {
		r = cmd_error(EXIT_FAIL, "check: '%s': %s", file, err.msg);
		vpmem_check_free(&rep);
		vpmem_image_close(fd, &hf);
		return r;
	}
	if (!json) {
		for (size_t i = 0; i < rep.repair.n; i++)
			printf("%s: repaired: %s (%" PRIu64 " bytes at %#" PRIx64 ")\n", file, rep.repair.w[i].what,
			       rep.repair.w[i].len, rep.repair.w[i].off);
		for (unsigned i = 0; i < rep.nfindings; i++)
			if (rep.f[i].severity == VPMEM_CHECK_DAMAGED)
				printf("%s: not repaired: %s at %#" PRIx64 ": %s (%s)\n", file, rep.f[i].structure,
				       rep.f[i].offset, rep.f[i].what, rep.f[i].repair);
	}
	vpmem_check_free(&rep);
	/* judge the result afresh: what the repair left is the verdict */
	if (vpmem_check(fd, h, &after, &err)) {
		vpmem_image_close(fd, &hf);
		return cmd_error(EXIT_FAIL, "check: '%s': %s", file, err.msg);
	}
	vpmem_image_close(fd, &hf);
	if (json)
		json_object_array_add(arr, report_json(file, &after, verbose));
	else
		report_text(file, &after, verbose);
	r = after.verdict ? EXIT_FAIL : EXIT_OK;
	vpmem_check_free(&after);
	(void)refused;
	return r;
}

int cmd_check(int argc, char **argv, struct vpmem_ctx *ctx)
{
	static const struct option opts[] = {
		{ "repair", no_argument, NULL, 'r' }, { "dry-run", no_argument, NULL, 'n' },
		{ "label-size", required_argument, NULL, 'l' }, { "slot", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' }, { "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_opts op = { .cmd = "check", .shortopts = "v", .longopts = opts };
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_err err = { 0 };
	bool json = ctx->json, verbose = false, repair = false, dry_run = false;
	json_object *arr = NULL;
	int c, r = EXIT_OK;

	while ((c = cmd_getopt(&op, argc, argv)) != -1) {
		switch (c) {
		case 'r': repair = true; break;
		case 'n': dry_run = true; break;
		case 'l':
			if (opt_label_size("check", optarg, &h))
				return EXIT_USAGE;
			break;
		case 's':
			if (parse_slot_opt("check", optarg, &h.slot))
				return EXIT_USAGE;
			break;
		case 'j': json = true; break;
		case 'v': verbose = true; break;
		default: return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (dry_run && !repair)
		return cmd_usage_error("check", "--dry-run needs --repair");
	if (cmd_operands(&op, argc, argv, 1, -1, "needs at least one FILE"))
		return EXIT_USAGE;
	if (json)
		arr = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		struct vpmem_check_report rep;
		struct vpmem_image_hints hf;
		int fd, one;

		if (repair) {
			one = repair_one(argv[i], &h, dry_run, json, verbose, arr);
			if (one != EXIT_OK)
				r = EXIT_FAIL;
			continue;
		}
		hf = h;
		fd = vpmem_image_open(argv[i], false, &hf, &err); /* CXL: with FILE.lsa */
		if (fd < 0) {
			r = cmd_error(EXIT_FAIL, "check: %s", err.msg);
			continue;
		}
		if (vpmem_reconf_busy(argv[i], &err))   /* --repair finishes it */
			r = cmd_error(EXIT_FAIL, "check: %s (or vpmem check --repair)", err.msg);
		if (vpmem_check(fd, &hf, &rep, &err)) {
			r = cmd_error(EXIT_FAIL, "check: '%s': %s", argv[i], err.msg);
			vpmem_image_close(fd, &hf);
			continue;
		}
		vpmem_image_close(fd, &hf);
		if (json)
			json_object_array_add(arr, report_json(argv[i], &rep, verbose));
		else
			report_text(argv[i], &rep, verbose);
		if (rep.verdict)
			r = EXIT_FAIL;
		vpmem_check_free(&rep);
	}
	if (json)
		out_json(arr);
	return r;
}
