// SPDX-License-Identifier: MIT
/* Memory maps and memmap= planning; facts and sources in include/vpmem/e820.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmem/e820.h>
#include <vpmem/file.h>
#include <vpmem/size.h>

#define FOUR_GiB (4ULL << 30)

static const struct { const char *name; enum vpmem_e820_type t; } type_names[] = {
	/* dmesg (e820_print_type) */
	{ "usable", VPMEM_E820_USABLE }, { "reserved", VPMEM_E820_RESERVED },
	{ "ACPI data", VPMEM_E820_ACPI }, { "ACPI NVS", VPMEM_E820_NVS },
	{ "unusable", VPMEM_E820_UNUSABLE }, { "persistent (type 7)", VPMEM_E820_PMEM },
	{ "persistent (type 12)", VPMEM_E820_PRAM }, { "soft reserved", VPMEM_E820_SOFT_RESERVED },
	/* /sys/firmware/memmap, /proc/iomem (e820_type_to_string) */
	{ "System RAM", VPMEM_E820_USABLE }, { "Reserved", VPMEM_E820_RESERVED },
	{ "ACPI Tables", VPMEM_E820_ACPI }, { "ACPI Non-volatile Storage", VPMEM_E820_NVS },
	{ "Unusable memory", VPMEM_E820_UNUSABLE }, { "Persistent Memory (legacy)", VPMEM_E820_PRAM },
	{ "Persistent Memory", VPMEM_E820_PMEM }, { "Soft Reserved", VPMEM_E820_SOFT_RESERVED },
};

const char *vpmem_e820_type_name(enum vpmem_e820_type t)
{
	static const char *const n[] = { "usable", "reserved", "ACPI data", "ACPI NVS", "unusable",
					  "persistent (type 7)", "persistent (type 12)", "soft reserved", "other" };

	return t <= VPMEM_E820_OTHER ? n[t] : "other";
}

static enum vpmem_e820_type type_of(const char *s, bool *known)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	*known = true;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strlen(type_names[i].name) == n && !strncmp(s, type_names[i].name, n))
			return type_names[i].t;
	*known = false;
	return VPMEM_E820_OTHER;
}

static int add(struct vpmem_e820_map *m, uint64_t s, uint64_t e, enum vpmem_e820_type t,
	       unsigned line, struct vpmem_err *err)
{
	if (e < s)
		return vpmem_err_set(err, EINVAL, "line %u: range end 0x%" PRIx64 " before its start 0x%" PRIx64,
				     line, e, s);
	if (m->n >= VPMEM_E820_MAX)
		return vpmem_err_set(err, E2BIG, "more than %d ranges", VPMEM_E820_MAX);
	m->r[m->n++] = (struct vpmem_e820_range){ s, e, t };
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct vpmem_e820_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static int finish(struct vpmem_e820_map *m, struct vpmem_err *err)
{
	if (!m->n)
		return vpmem_err_set(err, EINVAL, "no memory map found (expected dmesg BIOS-e820 lines, a /sys/firmware/memmap dump or /proc/iomem)");
	qsort(m->r, m->n, sizeof(m->r[0]), cmp_range);
	for (unsigned i = 1; i < m->n; i++)
		if (m->r[i].start <= m->r[i - 1].end)
			return vpmem_err_set(err, EINVAL, "ranges 0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64 "-0x%" PRIx64 " overlap",
					     m->r[i - 1].start, m->r[i - 1].end, m->r[i].start, m->r[i].end);
	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].type == VPMEM_E820_USABLE && m->r[i].end)
			return 0;
	return vpmem_err_set(err, EINVAL, "the memory map has no usable RAM");
}

/* "[    0.000000] BIOS-e820: [mem 0x...-0x...] TYPE" or "user: [mem …] TYPE" */
static int parse_dmesg(const char *text, bool firmware_only, struct vpmem_e820_map *m,
		       struct vpmem_err *err)
{
	struct vpmem_e820_map user = { 0 };
	unsigned line = 0;
	int r;

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		const char *tag, *mem;
		char buf[512];
		unsigned long long s, e;
		int used = 0;
		bool known, is_user;
		size_t n = strcspn(p, "\n");

		line++;
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		tag = strstr(buf, "BIOS-e820: ");
		is_user = !tag && (tag = strstr(buf, "user: ")) != NULL;
		if (!tag)
			continue;
		mem = strstr(tag, "[mem ");
		if (!mem || sscanf(mem, "[mem %llx-%llx]%n", &s, &e, &used) != 2 || !used)
			return vpmem_err_set(err, EINVAL, "line %u: cannot read '%s'", line, buf);
		{
			enum vpmem_e820_type t = type_of(mem + used + (mem[used] == ' '), &known);

			if (!known)
				return vpmem_err_set(err, EINVAL, "line %u: unknown range type '%s'", line,
						     mem + used + (mem[used] == ' '));
			r = add(is_user ? &user : m, s, e, t, line, err);
			if (r)
				return r;
		}
	}
	if (user.n && !firmware_only) {
		*m = user;
		snprintf(m->source, sizeof(m->source), "dmesg (user map)");
	} else {
		snprintf(m->source, sizeof(m->source), "dmesg");
	}
	return finish(m, err);
}

/* "/sys/firmware/memmap/N/start:0x…" (grep -H . output) */
static int parse_memmap_dump(const char *text, struct vpmem_e820_map *m, struct vpmem_err *err)
{
	struct { bool s, e, t; uint64_t start, end; enum vpmem_e820_type type; } ent[VPMEM_E820_MAX];
	unsigned line = 0, maxn = 0;

	memset(ent, 0, sizeof(ent));
	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		char buf[512], attr[16], val[256];
		unsigned idx;
		size_t n = strcspn(p, "\n");

		line++;
		if (!n)
			continue;
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (sscanf(buf, "%*[^0-9]%u/%15[a-z]:%255[^\n]", &idx, attr, val) != 3 || !strstr(buf, "memmap/"))
			return vpmem_err_set(err, EINVAL, "line %u: not a memmap entry: '%s'", line, buf);
		if (idx >= VPMEM_E820_MAX)
			return vpmem_err_set(err, E2BIG, "line %u: entry %u is out of range", line, idx);
		if (!strcmp(attr, "start")) {
			ent[idx].start = strtoull(val, NULL, 0);
			ent[idx].s = true;
		} else if (!strcmp(attr, "end")) {
			ent[idx].end = strtoull(val, NULL, 0);
			ent[idx].e = true;
		} else if (!strcmp(attr, "type")) {
			bool known;

			ent[idx].type = type_of(val, &known);
			ent[idx].t = true;
			if (!known)
				return vpmem_err_set(err, EINVAL, "line %u: unknown range type '%s'", line, val);
		}
		if (idx + 1 > maxn)
			maxn = idx + 1;
	}
	for (unsigned i = 0; i < maxn; i++) {
		int r;

		if (!ent[i].s && !ent[i].e && !ent[i].t)
			continue;
		if (!ent[i].s || !ent[i].e || !ent[i].t)
			return vpmem_err_set(err, EINVAL, "memmap entry %u lacks its start, end or type", i);
		r = add(m, ent[i].start, ent[i].end, ent[i].type, i, err);
		if (r)
			return r;
	}
	snprintf(m->source, sizeof(m->source), "memmap");
	return finish(m, err);
}

/* top-level "start-end : name" lines of /proc/iomem */
static int parse_iomem(const char *text, struct vpmem_e820_map *m, struct vpmem_err *err)
{
	unsigned line = 0;
	bool nonzero = false;

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		char buf[512], name[256];
		unsigned long long s, e;
		size_t n = strcspn(p, "\n");
		bool known;
		enum vpmem_e820_type t;
		int r;

		line++;
		if (!n || isspace((unsigned char)*p))
			continue; /* children: resources inside a top-level range */
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (sscanf(buf, "%llx-%llx : %255[^\n]", &s, &e, name) != 3)
			return vpmem_err_set(err, EINVAL, "line %u: not an iomem line: '%s'", line, buf);
		nonzero |= s || e;
		t = type_of(name, &known);
		if (!known)
			continue; /* PCI windows, APICs …: not RAM, not the map */
		r = add(m, s, e, t, line, err);
		if (r)
			return r;
	}
	if (m->n && !nonzero)
		return vpmem_err_set(err, EPERM, "/proc/iomem shows no addresses (read it as root)");
	snprintf(m->source, sizeof(m->source), "iomem");
	return finish(m, err);
}

int vpmem_e820_parse(const char *text, bool firmware_only, struct vpmem_e820_map *m,
		     struct vpmem_err *err)
{
	memset(m, 0, sizeof(*m));
	if (strstr(text, "BIOS-e820: ") || strstr(text, "user: [mem "))
		return parse_dmesg(text, firmware_only, m, err);
	if (strstr(text, "memmap/"))
		return parse_memmap_dump(text, m, err);
	if (strstr(text, " : "))
		return parse_iomem(text, m, err);
	return finish(m, err);
}

int vpmem_e820_read(const char *sysroot, struct vpmem_e820_map *m, struct vpmem_err *err)
{
	const char *root = sysroot ? sysroot : "";
	char path[4096], *dump = NULL, *iomem;
	size_t len = 0;
	int r;

	/* build a dump of /sys/firmware/memmap/N/{start,end,type} */
	for (unsigned i = 0; i < VPMEM_E820_MAX; i++) {
		static const char *const attrs[] = { "start", "end", "type" };

		for (int a = 0; a < 3; a++) {
			char *v;

			snprintf(path, sizeof(path), "%s/sys/firmware/memmap/%u/%s", root, i, attrs[a]);
			v = vpmem_read_file(path, 4096, NULL);
			if (!v)
				break;
			{
				char *nd = realloc(dump, len + strlen(path) + strlen(v) + 3);

				if (!nd) {
					free(v);
					free(dump);
					return vpmem_err_set(err, ENOMEM, "out of memory");
				}
				dump = nd;
				len += (size_t)sprintf(dump + len, "%s:%s%s", path, v, v[0] && v[strlen(v) - 1] == '\n' ? "" : "\n");
			}
			free(v);
		}
	}
	if (dump) {
		r = vpmem_e820_parse(dump, false, m, err);
		free(dump);
		return r;
	}
	snprintf(path, sizeof(path), "%s/proc/iomem", root);
	iomem = vpmem_read_file(path, 1 << 20, NULL);
	if (!iomem)
		return vpmem_err_set(err, ENOENT, "no memory map under '%s' (/sys/firmware/memmap, /proc/iomem)",
				     *root ? root : "/");
	r = vpmem_e820_parse(iomem, false, m, err);
	free(iomem);
	return r;
}

static void say(struct vpmem_e820_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct vpmem_e820_plan *p, const char *fmt, ...)
{
	size_t used = strlen(p->reasoning);
	va_list ap;

	if (used + 2 >= sizeof(p->reasoning))
		return;
	va_start(ap, fmt);
	vsnprintf(p->reasoning + used, sizeof(p->reasoning) - used - 1, fmt, ap);
	va_end(ap);
	strcat(p->reasoning, "\n");
}

/* Place one reservation of @size in usable RAM, avoiding @taken, preferring
 * above 4 GiB and 1 GiB alignment; returns the start or UINT64_MAX. */
static uint64_t place(const struct vpmem_e820_map *m, uint64_t size, const struct vpmem_e820_plan *p,
		      bool above4g, uint64_t align)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct vpmem_e820_range *r = &m->r[i];
		uint64_t s;

		if (r->type != VPMEM_E820_USABLE)
			continue;
		if (!vpmem_align_up(r->start, align, &s))
			continue;
		if (above4g && s < FOUR_GiB)
			s = FOUR_GiB;
		if (!above4g && s < (1ULL << 30))
			s = 1ULL << 30; /* keep the first GiB: DMA zones, boot allocations */
		for (;;) {
			bool clash = false;

			if (s + size - 1 > r->end || s + size < s)
				break;
			if (!above4g && s + size > FOUR_GiB)
				break;
			for (unsigned k = 0; k < p->n; k++) {
				if (s <= p->r[k].start + p->r[k].size - 1 && p->r[k].start <= s + size - 1) {
					clash = true;
					vpmem_align_up(p->r[k].start + p->r[k].size, align, &s);
				}
			}
			if (!clash)
				return s;
		}
	}
	return UINT64_MAX;
}

int vpmem_e820_plan(const struct vpmem_e820_map *m, const struct vpmem_e820_req *req,
		    struct vpmem_e820_plan *p, struct vpmem_err *err)
{
	unsigned count = req->count ? req->count : 1;
	uint64_t min_ram, largest = 0;
	char a[32], b[32], c[32], d[32];

	memset(p, 0, sizeof(*p));
	if (!req->size || !vpmem_is_aligned(req->size, VPMEM_SECTION_SIZE))
		return vpmem_err_set(err, EINVAL,
				     "--size %s is not a multiple of 128M (the memory section size fsdax/devdax need)",
				     vpmem_size_str(req->size, a, sizeof(a)));
	if (count > VPMEM_E820_MAX_RES)
		return vpmem_err_set(err, EINVAL, "--count %u: at most %d reservations", count, VPMEM_E820_MAX_RES);
	for (unsigned i = 0; i < m->n; i++) {
		if (m->r[i].type != VPMEM_E820_USABLE)
			continue;
		p->ram_total += m->r[i].end - m->r[i].start + 1;
		if (m->r[i].end - m->r[i].start + 1 > largest)
			largest = m->r[i].end - m->r[i].start + 1;
	}
	min_ram = req->min_ram ? req->min_ram : (p->ram_total / 4 > VPMEM_GiB ? p->ram_total / 4 : VPMEM_GiB);
	say(p, "memory map (%s): %u ranges, %s of usable RAM, largest usable range %s", m->source, m->n,
	    vpmem_size_human(p->ram_total, a, sizeof(a)), vpmem_size_human(largest, b, sizeof(b)));
	if ((uint64_t)count * req->size > p->ram_total || p->ram_total - (uint64_t)count * req->size < min_ram)
		return vpmem_err_set(err, ENOSPC,
				     "reserving %u x %s would leave %s of the %s of RAM; keep at least %s (use a smaller --size)",
				     count, vpmem_size_str(req->size, a, sizeof(a)),
				     (uint64_t)count * req->size > p->ram_total ? "nothing"
				     : vpmem_size_human(p->ram_total - (uint64_t)count * req->size, b, sizeof(b)),
				     vpmem_size_human(p->ram_total, c, sizeof(c)), vpmem_size_human(min_ram, d, sizeof(d)));
	for (unsigned i = 0; i < count; i++) {
		uint64_t s = UINT64_MAX, align = 0;
		bool gb = vpmem_is_aligned(req->size, VPMEM_GiB);

		/* above 4 GiB first (no I/O hole, no DMA32 pressure), 1 GiB aligned where it fits */
		if (gb && (s = place(m, req->size, p, true, VPMEM_GiB)) != UINT64_MAX)
			align = VPMEM_GiB;
		else if ((s = place(m, req->size, p, true, VPMEM_SECTION_SIZE)) != UINT64_MAX)
			align = VPMEM_SECTION_SIZE;
		else if ((s = place(m, req->size, p, false, VPMEM_SECTION_SIZE)) != UINT64_MAX)
			align = VPMEM_SECTION_SIZE;
		if (s == UINT64_MAX)
			return vpmem_err_set(err, ENOSPC,
					     "no usable range holds %s%s aligned to 128M (largest usable range: %s); use a smaller --size or fewer --count",
					     vpmem_size_str(req->size, a, sizeof(a)), i ? " more" : "",
					     vpmem_size_human(largest, b, sizeof(b)));
		p->r[p->n].start = s;
		p->r[p->n].size = req->size;
		p->n++;
		say(p, "reservation %u: %s at %s (0x%" PRIx64 "-0x%" PRIx64 "), %s, %s aligned, inside usable RAM",
		    i, vpmem_size_str(req->size, a, sizeof(a)), vpmem_size_str(s, b, sizeof(b)), s, s + req->size - 1,
		    s >= FOUR_GiB ? "above 4G" : "below 4G (nothing fits above)", align == VPMEM_GiB ? "1G" : "128M");
	}
	p->ram_left = p->ram_total - (uint64_t)count * req->size;
	say(p, "RAM left for the system: %s of %s (at least %s kept)", vpmem_size_human(p->ram_left, a, sizeof(a)),
	    vpmem_size_human(p->ram_total, b, sizeof(b)), vpmem_size_human(min_ram, c, sizeof(c)));
	for (unsigned i = 0; i < p->n; i++) {
		size_t used = strlen(p->param);

		snprintf(p->param + used, sizeof(p->param) - used, "%smemmap=%s!%s", i ? " " : "",
			 vpmem_size_str(p->r[i].size, a, sizeof(a)), vpmem_size_str(p->r[i].start, b, sizeof(b)));
	}
	return 0;
}

unsigned vpmem_e820_cmdline_pram(const char *cmdline, struct vpmem_e820_res *out, unsigned max)
{
	unsigned n = 0;

	for (const char *p = cmdline; (p = strstr(p, "memmap=")); p += 7) {
		char tok[256];
		size_t len;

		if (p != cmdline && !isspace((unsigned char)p[-1]))
			continue;
		len = strcspn(p + 7, " \t\n");
		if (len >= sizeof(tok))
			continue;
		memcpy(tok, p + 7, len);
		tok[len] = '\0';
		for (char *save = NULL, *t = strtok_r(tok, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save)) {
			char *bang = strchr(t, '!');
			uint64_t size, start;

			if (!bang)
				continue;
			*bang = '\0';
			if (vpmem_size_parse(t, 0, NULL, &size, NULL) ||
			    vpmem_size_parse(bang + 1, VPMEM_SIZE_ALLOW_ZERO, NULL, &start, NULL))
				continue;
			out[n].start = start;
			out[n].size = size;
			n++;
		}
	}
	return n;
}
