// SPDX-License-Identifier: MIT
/* vpmem goal plan | check: ipmctl memory allocation goals for Optane PMem. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/exec.h>
#include <vpmem/file.h>
#include <vpmem/goal.h>
#include <vpmem/input.h>

#include "options.h"
#include "vpmem.h"

const char usage_goal[] =
	"usage: vpmem goal plan --mode appdirect|appdirect-notinterleaved|memory [--memory-mode PCT]\n"
	"                       [--socket N] [--ipmctl FILE]\n"
	"       vpmem goal check --mode appdirect|appdirect-notinterleaved|memory [--memory-mode PCT]\n"
	"                        [--ipmctl FILE]... [--ndctl FILE] [--live]\n"
	"\n"
	"Intel Optane PMem is provisioned by a memory allocation goal that the BIOS\n"
	"applies at the next reboot. 'plan' prints the exact 'ipmctl create -goal'\n"
	"command and why (AppDirect: one interleaved region per socket;\n"
	"AppDirectNotInterleaved: one region per module; --memory-mode PCT gives\n"
	"that share of each module to Memory Mode); given 'ipmctl show -dimm' output\n"
	"it says which regions to expect. 'check' says whether the goal took effect\n"
	"after the reboot, from the outputs of 'ipmctl show -dimm', 'ipmctl show\n"
	"-region' and 'ipmctl show -goal' (--ipmctl FILE, once each; text or\n"
	"-o nvmxml, recognised by content; --xml is the same) and the kernel's\n"
	"regions ('ndctl list -RD' JSON with --ndctl FILE). --live runs ipmctl and\n"
	"ndctl here instead. Exit status 0 when the goal is in effect, 1 when not.\n";

static int parse_mode(const char *s, enum vpmem_goal_mode *m)
{
	if (!strcasecmp(s, "appdirect"))
		*m = VPMEM_GOAL_APPDIRECT;
	else if (!strcasecmp(s, "appdirect-notinterleaved") || !strcasecmp(s, "AppDirectNotInterleaved"))
		*m = VPMEM_GOAL_APPDIRECT_NI;
	else if (!strcasecmp(s, "memory"))
		*m = VPMEM_GOAL_MEMORY;
	else
		return cmd_usage_error("goal", "--mode '%s': use appdirect, appdirect-notinterleaved or memory", s);
	return 0;
}

static int load(const char *path, bool ndctl, struct vpmem_ipm *s)
{
	struct vpmem_err err = { 0 };
	size_t len;
	char *t = vpmem_read_input(path, 16 << 20, &len, NULL, &err);
	int r;

	if (!t)   /* "'x' is larger than 16.00 MiB: not read", not EFBIG alone */
		return cmd_error(EXIT_FAIL, "goal: %s", err.msg);
	r = ndctl ? vpmem_ipm_parse_ndctl(t, len, s, &err) : vpmem_ipm_parse(t, len, s, &err);
	free(t);
	if (r)
		return cmd_error(EXIT_FAIL, "goal: '%s': %s", path, err.msg);
	return 0;
}

static int run_live(const char *const argv[], bool ndctl, struct vpmem_ipm *s)
{
	struct vpmem_err err = { 0 };
	char *out = NULL;
	int st = 0, r;

	r = vpmem_exec_capture((char *const *)argv, NULL, 120, &out, &st, &err);
	if (!r && st) {
		size_t n = out ? strlen(out) : 0;

		while (n && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\r'))
			out[--n] = 0; /* its message, without the line end */
		r = vpmem_err_set(&err, EIO, "'%s %s' failed (status %d): %.200s", argv[0], argv[1], st, out ? out : "");
	}
	if (!r)
		r = ndctl ? vpmem_ipm_parse_ndctl(out, strlen(out), s, &err) : vpmem_ipm_parse(out, strlen(out), s, &err);
	free(out);
	return r ? cmd_error(EXIT_FAIL, "goal: %s", err.msg) : 0;
}

int cmd_goal(int argc, char **argv, struct vpmem_ctx *ctx)
{
	enum { O_MODE = 256, O_MM, O_SOCKET, O_IPM, O_NDCTL, O_LIVE };
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, O_MODE }, { "memory-mode", required_argument, NULL, O_MM },
		{ "socket", required_argument, NULL, O_SOCKET }, { "ipmctl", required_argument, NULL, O_IPM },
		{ "xml", required_argument, NULL, O_IPM }, { "ndctl", required_argument, NULL, O_NDCTL },
		{ "live", no_argument, NULL, O_LIVE }, { NULL, 0, NULL, 0 },
	};
	struct vpmem_goal_req req = { .socket = -1 };
	struct vpmem_goal_report rep;
	struct vpmem_err err = { 0 };
	struct vpmem_ipm *s;
	bool mode_set = false, live = false, check;
	struct cmd_opts op = { .cmd = "goal", .longopts = opts };
	int c, r = 0;

	(void)ctx;
	if (argc < 2 || (strcmp(argv[1], "plan") && strcmp(argv[1], "check")))
		return cmd_usage_error("goal", "needs a subcommand: plan or check");
	check = !strcmp(argv[1], "check");
	s = calloc(1, sizeof(*s));
	if (!s)
		return cmd_error(EXIT_FAIL, "out of memory");
	argc--;
	argv++;
	op.sub = argv[0];
	while (!r && (c = cmd_getopt(&op, argc, argv)) != -1) {
		char *end;
		long v;

		switch (c) {
		case O_MODE:
			r = parse_mode(optarg, &req.mode);
			mode_set = true;
			break;
		case O_MM:
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 100)
				r = cmd_usage_error("goal", "--memory-mode '%s': a percentage, 0 to 100", optarg);
			req.memory_pct = (unsigned)v;
			break;
		case O_SOCKET:
			v = strtol(optarg, &end, 0);
			if (*end || end == optarg || v < 0 || v > 15)
				r = cmd_usage_error("goal", "--socket '%s': a socket number", optarg);
			req.socket = (int)v;
			break;
		case O_IPM: r = load(optarg, false, s); break;
		case O_NDCTL: r = load(optarg, true, s); break;
		case O_LIVE: live = true; break;
		default: r = EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (!r && cmd_operands(&op, argc, argv, 0, 0, NULL))
		r = EXIT_USAGE;
	if (!r && !mode_set)
		r = cmd_usage_error("goal", "needs --mode appdirect, appdirect-notinterleaved or memory");
	if (!r && live) {
		static const char *const dimm[] = { "ipmctl", "show", "-o", "nvmxml", "-u", "B", "-dimm", NULL };
		static const char *const region[] = { "ipmctl", "show", "-o", "nvmxml", "-u", "B", "-region", NULL };
		static const char *const goal[] = { "ipmctl", "show", "-o", "nvmxml", "-u", "B", "-goal", NULL };
		static const char *const nd[] = { "ndctl", "list", "-RD", NULL };

		r = run_live(dimm, false, s);
		if (!r && check)
			r = run_live(region, false, s);
		if (!r && check)
			r = run_live(goal, false, s);
		if (!r && check)
			r = run_live(nd, true, s);
	}
	if (!r && (check ? vpmem_goal_check(&req, s, &rep, &err) : vpmem_goal_plan(&req, s, &rep, &err)))
		r = cmd_error(EXIT_FAIL, "goal: %s", err.msg);
	if (!r) {
		if (!check)
			printf("%s\n", rep.command);
		for (unsigned i = 0; i < rep.nlines; i++)
			printf("%s%s\n", check ? "" : "# ", rep.line[i]);
		if (check) {
			printf("%s\n", rep.ok ? "goal in effect" : "goal not in effect");
			r = rep.ok ? EXIT_OK : EXIT_FAIL;
		}
	}
	free(s);
	return r;
}
