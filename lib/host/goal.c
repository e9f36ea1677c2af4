// SPDX-License-Identifier: MIT
/*
 * ipmctl goals (goal.h): parse `ipmctl show -dimm|-region|-goal` outputs
 * (nvmxml through libxml2, or text tables) and ndctl's region JSON, plan the
 * `ipmctl create -goal` command, check a goal took effect.
 *
 * Output shapes, from real outputs published in intel/ipmctl issues #14, #18,
 * #110, #141, #142, #156, #200 and ansible-collections/community.general
 * tests/unit/plugins/modules/test_pmem.py (tests/data/ipmctl/README.md):
 *   nvmxml: <DimmList><Dimm><DimmID>0x0001</DimmID><Capacity>… B</Capacity>…
 *           <RegionList><Region><SocketID>…<PersistentMemoryType>AppDirect…
 *             <DimmID>0x0001, 0x0011</DimmID><ISetID>…
 *           <ConfigGoalList><ConfigGoal><SocketID>…<DimmID>…<MemorySize>…
 *   text:   " DimmID | Capacity | …" header, "====" rule, "|"-separated rows
 *           (ipmctl 01.00 separated columns with tabs), or "---DimmID=0x0001---"
 *           blocks of "Key=Value" lines (show -a).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>

#include <json-c/json.h>

#include <vpmem/goal.h>

#include "util/xml.h"

#define MAXF 96

struct rec {
	unsigned n;
	char key[MAXF][40];
	char val[MAXF][200];
};

struct recs {
	unsigned n;
	struct rec r[VPMEM_IPM_MAX];
};

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

static void rec_add(struct rec *r, const char *k, size_t klen, const char *v, size_t vlen)
{
	if (r->n >= MAXF)
		return;
	snprintf(r->key[r->n], sizeof(r->key[0]), "%.*s", (int)(klen < 39 ? klen : 39), k);
	snprintf(r->val[r->n], sizeof(r->val[0]), "%.*s", (int)(vlen < 199 ? vlen : 199), v);
	trim(r->key[r->n]);
	trim(r->val[r->n]);
	r->n++;
}

static const char *get(const struct rec *r, const char *key)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcasecmp(r->key[i], key))
			return r->val[i];
	return NULL;
}

/* "126.000 GiB", "135744782336 B", "0.0 GiB" -> bytes */
static uint64_t size_of(const char *s)
{
	static const struct { const char *u; double m; } units[] = {
		{ "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
		{ "TiB", 1099511627776.0 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 }, { "TB", 1e12 },
	};
	char *end;
	double v;

	if (!s)
		return 0;
	v = strtod(s, &end);
	if (end == s || v < 0 || v > 1e19)
		return 0;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].u)) {
			double b = v * units[i].m;

			return b >= 1.8e19 ? 0 : (uint64_t)(b + 0.5);
		}
	return 0;
}

static long hex_of(const char *s, long dflt)
{
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &end, 0);
	return end == s || v < 0 ? dflt : v;
}

/* ---- nvmxml ---- */

static int parse_xml(const char *text, size_t len, char *root, size_t rlen, struct recs *out, struct vpmem_err *err)
{
	const struct vpmem_xml *x = vpmem_xml_load(err);
	xmlDocPtr doc;
	xmlNodePtr r;

	if (!x)
		return -ENOSYS;
	doc = x->ReadMemory(text, (int)(len > INT32_MAX ? INT32_MAX : len), "ipmctl.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return vpmem_err_set(err, EINVAL, "not well-formed XML (ipmctl -o nvmxml output expected)");
	r = x->DocGetRootElement(doc);
	snprintf(root, rlen, "%s", r ? (const char *)r->name : "");
	for (xmlNodePtr e = r ? r->children : NULL; e; e = e->next) {
		struct rec *rc;

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (out->n >= VPMEM_IPM_MAX)
			break;
		rc = &out->r[out->n++];
		rc->n = 0;
		/* a record: its element children; a leaf record (<Result>) is itself */
		for (xmlNodePtr f = e->children; f; f = f->next) {
			xmlChar *c;

			if (f->type != XML_ELEMENT_NODE)
				continue;
			c = x->NodeGetContent(f);
			rec_add(rc, (const char *)f->name, strlen((const char *)f->name), c ? (const char *)c : "",
				c ? strlen((const char *)c) : 0);
			if (c)
				(*x->Free)(c);
		}
		if (!rc->n) {
			xmlChar *c = x->NodeGetContent(e);

			rec_add(rc, (const char *)e->name, strlen((const char *)e->name), c ? (const char *)c : "",
				c ? strlen((const char *)c) : 0);
			if (c)
				(*x->Free)(c);
		}
	}
	x->FreeDoc(doc);
	return 0;
}

/* ---- text ---- */

/* Split @line into cells at '|' (ipmctl 02/03) or tabs / runs of 2+ spaces (01). */
static unsigned cells(char *line, bool pipes, char *cell[], unsigned max)
{
	unsigned n = 0;
	char *p = line;

	while (*p && n < max) {
		char *e;

		if (pipes) {
			e = strchr(p, '|');
		} else {
			for (e = p; *e && *e != '\t' && !(e[0] == ' ' && e[1] == ' '); e++)
				;
			if (!*e)
				e = NULL;
		}
		cell[n++] = p;
		if (!e)
			break;
		*e++ = '\0';
		while (!pipes && (*e == ' ' || *e == '\t'))
			e++;
		p = e;
	}
	for (unsigned i = 0; i < n; i++)
		trim(cell[i]);
	if (!pipes && n && !*cell[0])
		memmove(cell, cell + 1, --n * sizeof(cell[0]));
	return n;
}

static void parse_text(const char *text, size_t len, struct recs *out)
{
	char *copy = malloc(len + 1), *save = NULL, *line;
	char hdr[MAXF][40];
	unsigned nh = 0;
	bool pipes = false, blocks = false;

	if (!copy)
		return;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cell[MAXF], *eq;
		unsigned n;

		line[strcspn(line, "\r")] = '\0';
		/* show -a: "---DimmID=0x0001---" opens a record, "Key=Value" fills it */
		if (!strncmp(line, "---", 3) && (eq = strchr(line, '='))) {
			char *end = strstr(eq, "---");

			if (out->n >= VPMEM_IPM_MAX)
				break;
			out->r[out->n].n = 0;
			rec_add(&out->r[out->n++], line + 3, (size_t)(eq - line - 3), eq + 1,
				end ? (size_t)(end - eq - 1) : strlen(eq + 1));
			blocks = true;
			continue;
		}
		if (blocks) {
			if ((eq = strchr(line, '=')) && out->n)
				rec_add(&out->r[out->n - 1], line, (size_t)(eq - line), eq + 1, strlen(eq + 1));
			continue;
		}
		if (strspn(line, " =-") == strlen(line))
			continue;
		if (!nh) {
			/* the header: names the columns */
			if (!strstr(line, "DimmID") && !strstr(line, "SocketID") && !strstr(line, "ISetID"))
				continue;
			pipes = strchr(line, '|') != NULL;
			n = cells(line, pipes, cell, MAXF);
			for (unsigned i = 0; i < n; i++)
				snprintf(hdr[i], sizeof(hdr[i]), "%s", cell[i]);
			nh = n;
			continue;
		}
		if (pipes != (strchr(line, '|') != NULL))
			continue;
		n = cells(line, pipes, cell, MAXF);
		if (n != nh) {
			/* another header (create -goal prints the table twice) or prose */
			if (strstr(line, "DimmID") || strstr(line, "SocketID"))
				continue;
			continue;
		}
		if (!strcmp(cell[0], hdr[0]))
			continue;
		if (out->n >= VPMEM_IPM_MAX)
			break;
		out->r[out->n].n = 0;
		for (unsigned i = 0; i < n; i++)
			rec_add(&out->r[out->n], hdr[i], strlen(hdr[i]), cell[i], strlen(cell[i]));
		out->n++;
	}
	free(copy);
}

/* ---- records to facts ---- */

static void to_dimms(const struct recs *rs, struct vpmem_ipm *s)
{
	s->dimms_given = true;
	s->ndimms = 0;
	for (unsigned i = 0; i < rs->n && s->ndimms < VPMEM_IPM_MAX; i++) {
		const struct rec *r = &rs->r[i];
		struct vpmem_ipm_dimm *d = &s->dimm[s->ndimms];
		long id = hex_of(get(r, "DimmID"), -1);

		if (id < 0)
			continue;
		memset(d, 0, sizeof(*d));
		d->id = (uint32_t)id;
		d->socket = (int)hex_of(get(r, "SocketID"), (id >> 12) & 0xf);
		d->capacity = size_of(get(r, "Capacity"));
		snprintf(d->health, sizeof(d->health), "%s", get(r, "HealthState") ? get(r, "HealthState") : "");
		s->ndimms++;
	}
}

static void to_regions(const struct recs *rs, struct vpmem_ipm *s)
{
	s->regions_given = true;
	s->nregions = 0;
	for (unsigned i = 0; i < rs->n && s->nregions < VPMEM_IPM_MAX; i++) {
		const struct rec *r = &rs->r[i];
		struct vpmem_ipm_region *g = &s->region[s->nregions];
		const char *t = get(r, "PersistentMemoryType"), *d = get(r, "DimmID");

		if (!t)
			continue;
		memset(g, 0, sizeof(*g));
		g->socket = (int)hex_of(get(r, "SocketID"), -1);
		g->interleaved = !strcasecmp(t, "AppDirect");
		g->capacity = size_of(get(r, "Capacity"));
		g->free = size_of(get(r, "FreeCapacity"));
		snprintf(g->iset, sizeof(g->iset), "%s", get(r, "ISetID") ? get(r, "ISetID") : "");
		snprintf(g->health, sizeof(g->health), "%s", get(r, "HealthState") ? get(r, "HealthState") : "");
		while (d && *d && g->ndimms < 16) {
			char *end;
			long v = strtol(d, &end, 0);

			if (end == d)
				break;
			g->dimms[g->ndimms++] = (uint32_t)v;
			d = end + strspn(end, ", ");
		}
		s->nregions++;
	}
}

static void to_goals(const struct recs *rs, struct vpmem_ipm *s)
{
	s->goals_given = true;
	s->ngoals = 0;
	for (unsigned i = 0; i < rs->n && s->ngoals < VPMEM_IPM_MAX; i++) {
		const struct rec *r = &rs->r[i];
		struct vpmem_ipm_goal *g = &s->goal[s->ngoals];
		long id = hex_of(get(r, "DimmID"), -1);

		if (id < 0 || !get(r, "MemorySize"))
			continue;
		memset(g, 0, sizeof(*g));
		g->dimm = (uint32_t)id;
		g->socket = (int)hex_of(get(r, "SocketID"), (id >> 12) & 0xf);
		g->memory = size_of(get(r, "MemorySize"));
		g->ad1 = size_of(get(r, "AppDirect1Size"));
		g->ad2 = size_of(get(r, "AppDirect2Size"));
		snprintf(g->status, sizeof(g->status), "%s", get(r, "Status") ? get(r, "Status") : "");
		s->ngoals++;
	}
}

static bool any_key(const struct recs *rs, const char *key)
{
	for (unsigned i = 0; i < rs->n; i++)
		if (get(&rs->r[i], key))
			return true;
	return false;
}

int vpmem_ipm_parse(const char *text, size_t len, struct vpmem_ipm *s, struct vpmem_err *err)
{
	struct recs *rs = calloc(1, sizeof(*rs));
	size_t skip = 0;
	char root[64] = "";
	int r = 0;

	if (!rs)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	while (skip < len && isspace((unsigned char)text[skip]))
		skip++;
	if (skip < len && text[skip] == '<')
		r = parse_xml(text + skip, len - skip, root, sizeof(root), rs, err);
	else
		parse_text(text, len, rs);
	if (r)
		goto out;
	/* which command: the nvmxml root, else the columns */
	if (!strcmp(root, "ConfigGoalList") || any_key(rs, "MemorySize") || any_key(rs, "AppDirect1Size"))
		to_goals(rs, s);
	else if (!strcmp(root, "RegionList") || any_key(rs, "PersistentMemoryType"))
		to_regions(rs, s);
	else if (!strcmp(root, "DimmList") || (any_key(rs, "DimmID") && any_key(rs, "Capacity")))
		to_dimms(rs, s);
	else if (memmem(text, len, "no goal", 7) || memmem(text, len, "No goal", 7))
		to_goals(rs, s); /* "There are no goal configs defined in the system." */
	else
		r = vpmem_err_set(err, EINVAL,
				  "not an output of 'ipmctl show -dimm', '-region' or '-goal' (text or -o nvmxml)");
out:
	free(rs);
	return r;
}

int vpmem_ipm_parse_ndctl(const char *text, size_t len, struct vpmem_ipm *s, struct vpmem_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root, *regions = NULL, *dimms = NULL;

	if (!tok)
		return vpmem_err_set(err, ENOMEM, "out of memory");
	root = json_tokener_parse_ex(tok, text, (int)(len > INT32_MAX ? INT32_MAX : len));
	json_tokener_free(tok);
	if (!root)
		return vpmem_err_set(err, EINVAL, "not JSON from 'ndctl list -RD'");
	if (json_object_is_type(root, json_type_array)) {
		regions = root;
	} else if (json_object_is_type(root, json_type_object)) {
		json_object_object_get_ex(root, "regions", &regions);
		json_object_object_get_ex(root, "dimms", &dimms);
	}
	if (!regions || !json_object_is_type(regions, json_type_array)) {
		json_object_put(root);
		return vpmem_err_set(err, EINVAL, "no \"regions\" in the ndctl JSON (use 'ndctl list -RD')");
	}
	s->kernel_given = true;
	s->nkregions = 0;
	s->nkdimms = dimms && json_object_is_type(dimms, json_type_array) ? (unsigned)json_object_array_length(dimms) : 0;
	for (size_t i = 0; i < json_object_array_length(regions) && s->nkregions < VPMEM_IPM_MAX; i++) {
		json_object *r = json_object_array_get_idx(regions, i), *v;

		if (!json_object_is_type(r, json_type_object))
			continue;
		if (json_object_object_get_ex(r, "type", &v) && strcmp(json_object_get_string(v), "pmem"))
			continue;
		memset(&s->kregion[s->nkregions], 0, sizeof(s->kregion[0]));
		if (json_object_object_get_ex(r, "dev", &v))
			snprintf(s->kregion[s->nkregions].dev, sizeof(s->kregion[0].dev), "%s", json_object_get_string(v));
		s->kregion[s->nkregions].node = json_object_object_get_ex(r, "numa_node", &v) ? json_object_get_int(v) : 0;
		if (json_object_object_get_ex(r, "size", &v))
			s->kregion[s->nkregions].size = (uint64_t)json_object_get_int64(v);
		if (json_object_object_get_ex(r, "mappings", &v) && json_object_is_type(v, json_type_array))
			s->kregion[s->nkregions].nmappings = (unsigned)json_object_array_length(v);
		s->nkregions++;
	}
	/* with -D, NVDIMM regions map DIMMs; a region mapping none (memmap=, the
	 * e820 bus) is not made by a goal: leave it out */
	{
		unsigned k = 0, with = 0;

		for (unsigned i = 0; i < s->nkregions; i++)
			with += s->kregion[i].nmappings > 0;
		for (unsigned i = 0; with && i < s->nkregions; i++)
			if (s->kregion[i].nmappings)
				s->kregion[k++] = s->kregion[i];
		if (with)
			s->nkregions = k;
	}
	json_object_put(root);
	return 0;
}

/* ---- plan and check ---- */

static void __attribute__((format(printf, 2, 3))) say(struct vpmem_goal_report *o, const char *fmt, ...)
{
	va_list ap;

	if (o->nlines >= VPMEM_GOAL_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(o->line[o->nlines++], sizeof(o->line[0]), fmt, ap);
	va_end(ap);
}

static const char *gib(uint64_t v, char *b, size_t n)
{
	snprintf(b, n, "%.1f GiB", (double)v / 1073741824.0);
	return b;
}

/* Sockets that hold modules (from show -dimm, else show -region), sorted. */
static unsigned sockets(const struct vpmem_ipm *s, int out[VPMEM_IPM_MAX])
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->ndimms + s->nregions; i++) {
		int k = i < s->ndimms ? s->dimm[i].socket : s->region[i - s->ndimms].socket;
		unsigned j;

		if (i >= s->ndimms && s->ndimms)
			break;
		for (j = 0; j < n && out[j] != k; j++)
			;
		if (j == n && n < VPMEM_IPM_MAX)
			out[n++] = k;
	}
	for (unsigned a = 1; a < n; a++)
		for (unsigned b = a; b && out[b - 1] > out[b]; b--) {
			int t = out[b];

			out[b] = out[b - 1];
			out[b - 1] = t;
		}
	return n;
}

static unsigned dimms_on(const struct vpmem_ipm *s, int socket, uint64_t *cap)
{
	unsigned n = 0;

	*cap = 0;
	for (unsigned i = 0; i < s->ndimms; i++)
		if (s->dimm[i].socket == socket) {
			n++;
			*cap += s->dimm[i].capacity;
		}
	return n;
}

static const char *type_name(enum vpmem_goal_mode m)
{
	return m == VPMEM_GOAL_APPDIRECT ? "AppDirect" : "AppDirectNotInterleaved";
}

int vpmem_goal_plan(const struct vpmem_goal_req *r, const struct vpmem_ipm *s, struct vpmem_goal_report *o,
		    struct vpmem_err *err)
{
	unsigned pct = r->mode == VPMEM_GOAL_MEMORY ? 100 : r->memory_pct;
	char sock[32] = "", mm[32] = "", a[32];
	int sk[VPMEM_IPM_MAX];
	unsigned ns;

	memset(o, 0, sizeof(*o));
	if (pct > 100)
		return vpmem_err_set(err, EINVAL, "--memory-mode %u: a percentage is 0 to 100", pct);
	if (pct == 100 && r->mode != VPMEM_GOAL_MEMORY)
		return vpmem_err_set(err, EINVAL, "--memory-mode 100 leaves no App Direct capacity: use --mode memory");
	if (r->socket >= 0)
		snprintf(sock, sizeof(sock), " -socket 0x%04x", r->socket);
	if (pct)
		snprintf(mm, sizeof(mm), " MemoryMode=%u", pct);
	if (pct == 100)
		snprintf(o->command, sizeof(o->command), "ipmctl create -goal%s MemoryMode=100", sock);
	else
		snprintf(o->command, sizeof(o->command), "ipmctl create -goal%s%s PersistentMemoryType=%s", sock, mm,
			 type_name(r->mode));
	if (pct)
		say(o, "MemoryMode=%u: %u%% of each module becomes volatile memory (DRAM acts as its cache); it is not persistent", pct, pct);
	if (r->mode == VPMEM_GOAL_APPDIRECT)
		say(o, "AppDirect: the modules of each socket are interleaved into one region (bandwidth of all modules; losing one module loses the region)");
	else if (r->mode == VPMEM_GOAL_APPDIRECT_NI)
		say(o, "AppDirectNotInterleaved: each module is a region of its own (one module per namespace; a module fails alone)");
	say(o, "before: destroy the namespaces on these modules (ipmctl refuses a goal on modules holding namespaces) and delete a pending goal (ipmctl delete -goal)");
	say(o, "after: reboot (the BIOS applies the goal, then 'ipmctl show -goal' lists nothing), then: vpmem goal check --mode %s%s",
	    r->mode == VPMEM_GOAL_APPDIRECT ? "appdirect" : r->mode == VPMEM_GOAL_APPDIRECT_NI ? "appdirect-notinterleaved" : "memory",
	    pct && pct < 100 ? " --memory-mode N" : "");
	if (!s || !s->ndimms || pct == 100)
		return 0;
	ns = sockets(s, sk);
	for (unsigned i = 0; i < ns; i++) {
		uint64_t cap;
		unsigned n = dimms_on(s, sk[i], &cap);

		if (r->socket >= 0 && sk[i] != r->socket)
			continue;
		say(o, "expect on socket 0x%04x: %u region%s of about %s App Direct (%u module%s, %s)", sk[i],
		    r->mode == VPMEM_GOAL_APPDIRECT ? 1 : n, r->mode == VPMEM_GOAL_APPDIRECT || n == 1 ? "" : "s",
		    gib(r->mode == VPMEM_GOAL_APPDIRECT ? cap / 100 * (100 - pct) : cap / (n ? n : 1) / 100 * (100 - pct), a, sizeof(a)),
		    n, n == 1 ? "" : "s", r->mode == VPMEM_GOAL_APPDIRECT ? "interleaved" : "each");
	}
	return 0;
}

int vpmem_goal_check(const struct vpmem_goal_req *r, const struct vpmem_ipm *s, struct vpmem_goal_report *o,
		     struct vpmem_err *err)
{
	unsigned pct = r->mode == VPMEM_GOAL_MEMORY ? 100 : r->memory_pct, bad = 0;
	int sk[VPMEM_IPM_MAX];
	unsigned ns;
	char a[32], b[32];

	memset(o, 0, sizeof(*o));
	if (!s->regions_given && !s->kernel_given && !s->goals_given)
		return vpmem_err_set(err, EINVAL,
				     "nothing to check: give 'ipmctl show -region' (and -dimm, -goal) outputs or the kernel's regions");
	for (unsigned i = 0; i < s->ngoals; i++) {
		const struct vpmem_ipm_goal *g = &s->goal[i];

		bad++;
		if (!strncasecmp(g->status, "Failed", 6))
			say(o, "DIMM 0x%04x: the BIOS refused the goal: %s", g->dimm, g->status);
		else
			say(o, "DIMM 0x%04x: a goal is still pending (%s): reboot so the BIOS applies it", g->dimm,
			    g->status[0] ? g->status : "ipmctl show -goal lists it");
	}
	if (s->goals_given && !s->ngoals)
		say(o, "no pending goal (ipmctl show -goal): the last one was applied or none was made");
	ns = sockets(s, sk);
	for (unsigned i = 0; s->regions_given && i < ns; i++) {
		uint64_t cap, ad = 0;
		unsigned n = dimms_on(s, sk[i], &cap), nr = 0, nint = 0, nni = 0, covered = 0, mods;

		for (unsigned k = 0; k < s->nregions; k++) {
			const struct vpmem_ipm_region *g = &s->region[k];

			if (g->socket != sk[i])
				continue;
			nr++;
			ad += g->capacity;
			nint += g->interleaved;
			nni += !g->interleaved;
			covered += g->ndimms;
			if (g->ndimms > 1 && r->mode == VPMEM_GOAL_APPDIRECT_NI) {
				bad++;
				say(o, "socket 0x%04x: region %s spans %u modules; AppDirectNotInterleaved gives each its own", sk[i], g->iset, g->ndimms);
			}
		}
		mods = n ? n : covered ? covered : nni;
		if (r->mode == VPMEM_GOAL_MEMORY) {
			if (nr) {
				bad++;
				say(o, "socket 0x%04x: %u App Direct region%s; MemoryMode=100 leaves none", sk[i], nr, nr == 1 ? "" : "s");
			}
			continue;
		}
		if (r->mode == VPMEM_GOAL_APPDIRECT && (nr != 1 || nint != 1 || (n && covered && covered != n))) {
			bad++;
			say(o, "socket 0x%04x: %u region%s (%u interleaved, %u not) over %u module%s; AppDirect makes one interleaved region of all of them",
			    sk[i], nr, nr == 1 ? "" : "s", nint, nni, mods, mods == 1 ? "" : "s");
		} else if (r->mode == VPMEM_GOAL_APPDIRECT_NI && (nint || (n && nni != n) || !nni)) {
			bad++;
			say(o, "socket 0x%04x: %u region%s (%u not interleaved, %u interleaved) over %u module%s; AppDirectNotInterleaved makes one per module",
			    sk[i], nr, nr == 1 ? "" : "s", nni, nint, mods + (n ? 0 : nint), mods + (n ? 0 : nint) == 1 ? "" : "s");
		} else {
			say(o, "socket 0x%04x: %u %s region%s over %u module%s, %s App Direct: as the goal asks", sk[i], nr,
			    r->mode == VPMEM_GOAL_APPDIRECT ? "interleaved" : "non-interleaved", nr == 1 ? "" : "s",
			    mods, mods == 1 ? "" : "s", gib(ad, a, sizeof(a)));
		}
		/* the Memory Mode share: App Direct ≈ (100 - pct)% of the modules (within 3%) */
		if (cap && ad) {
			double want = (double)cap * (100 - pct) / 100.0, d = (double)ad - want;

			if (d < 0)
				d = -d;
			if (d > (double)cap * 0.03) {
				bad++;
				say(o, "socket 0x%04x: %s App Direct of %s module capacity; MemoryMode=%u would leave about %s",
				    sk[i], gib(ad, a, sizeof(a)), gib(cap, b, sizeof(b)), pct, gib((uint64_t)want, b, sizeof(b)));
			}
		}
	}
	if (s->kernel_given) {
		int nodes[VPMEM_IPM_MAX];
		unsigned nn = 0, kbad = 0;

		for (unsigned k = 0; k < s->nkregions; k++) {
			unsigned j;

			for (j = 0; j < nn && nodes[j] != s->kregion[k].node; j++)
				;
			if (j == nn)
				nodes[nn++] = s->kregion[k].node;
			if (r->mode == VPMEM_GOAL_APPDIRECT_NI && s->kregion[k].nmappings > 1) {
				kbad++;
				say(o, "kernel: %s interleaves %u DIMMs; AppDirectNotInterleaved gives one per DIMM", s->kregion[k].dev,
				    s->kregion[k].nmappings);
			}
		}
		if (r->mode == VPMEM_GOAL_MEMORY && s->nkregions) {
			kbad++;
			say(o, "kernel: %u pmem region%s; MemoryMode=100 leaves none", s->nkregions, s->nkregions == 1 ? "" : "s");
		}
		if (r->mode == VPMEM_GOAL_APPDIRECT && s->nkregions != nn) {
			kbad++;
			say(o, "kernel: %u pmem regions on %u NUMA node%s; AppDirect gives one per socket", s->nkregions, nn, nn == 1 ? "" : "s");
		}
		if (r->mode == VPMEM_GOAL_APPDIRECT_NI && s->nkdimms && s->nkregions != s->nkdimms) {
			kbad++;
			say(o, "kernel: %u pmem regions for %u DIMMs; AppDirectNotInterleaved gives one per DIMM", s->nkregions, s->nkdimms);
		}
		if (s->regions_given && s->nkregions != s->nregions) {
			kbad++;
			say(o, "kernel: %u pmem regions, ipmctl shows %u", s->nkregions, s->nregions);
		}
		if (!kbad)
			say(o, "kernel: %u pmem region%s on %u NUMA node%s: as the goal asks", s->nkregions,
			    s->nkregions == 1 ? "" : "s", nn, nn == 1 ? "" : "s");
		bad += kbad;
	}
	o->ok = !bad;
	return 0;
}
