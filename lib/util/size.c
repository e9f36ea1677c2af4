// SPDX-License-Identifier: MIT
/* Size parsing and formatting; see include/vpmem/size.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <vpmem/size.h>

static int unit_shift(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	case 'P': return 50;
	case 'E': return 60;
	default: return -1;
	}
}

int vpmem_size_parse(const char *s, unsigned flags, const char *what,
		     uint64_t *out, struct vpmem_err *err)
{
	const char *p = s;
	uint64_t v = 0;
	int base = 10, shift = 0, ndigits = 0;

	if (!what)
		what = "size";
	if (!s || !*s)
		return vpmem_err_set(err, EINVAL, "%s: empty size", what);
	if (*s == '-')
		return vpmem_err_set(err, EINVAL, "%s: negative size '%s'", what, s);
	if (*s == '+' || isspace((unsigned char)*s))
		return vpmem_err_set(err, EINVAL,
				     "%s: invalid size '%s' (expected e.g. 4G, 512M, 0x1000)", what, s);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; *p; p++, ndigits++) {
		int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return vpmem_err_set(err, ERANGE, "%s: size '%s' is too large", what, s);
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!ndigits)
		return vpmem_err_set(err, EINVAL,
				     "%s: invalid size '%s' (expected e.g. 4G, 512M, 0x1000)", what, s);
	if (*p == '.' || *p == ',')
		return vpmem_err_set(err, EINVAL,
				     "%s: fractional size '%s' is not supported (use a smaller unit, e.g. 1536M)",
				     what, s);
	if (*p) {
		const char *unit = p;

		if (base == 16)
			return vpmem_err_set(err, EINVAL,
					     "%s: hex size '%s' cannot take a unit", what, s);
		if (toupper((unsigned char)*p) == 'B' && !p[1]) {
			p++;
		} else if ((shift = unit_shift(*p)) >= 0) {
			p++;
			if (!strcasecmp(p, "iB") || !*p)
				p += strlen(p);
			else if (!strcasecmp(p, "B"))
				return vpmem_err_set(err, EINVAL,
						     "%s: ambiguous unit '%s' in '%s' (use binary units: %c or %ciB)",
						     what, unit, s, toupper((unsigned char)*unit),
						     toupper((unsigned char)*unit));
		}
		if (*p || shift < 0)
			return vpmem_err_set(err, EINVAL,
					     "%s: unknown unit '%s' in '%s' (use K, M, G, T, P, E or KiB, MiB, GiB, TiB)",
					     what, unit, s);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return vpmem_err_set(err, ERANGE, "%s: size '%s' is too large", what, s);
	v <<= shift;
	if (!v && !(flags & VPMEM_SIZE_ALLOW_ZERO))
		return vpmem_err_set(err, EINVAL, "%s: size must be greater than zero", what);
	*out = v;
	return 0;
}

const char *vpmem_size_str(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int i = -1;

	while (v && i < 5 && !(v & 1023)) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[i]);
	return buf;
}

const char *vpmem_size_human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int i = 0;

	while (d >= 1024.0 && i < 6) {
		d /= 1024.0;
		i++;
	}
	if (!i)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.2f %s", d, units[i]);
	return buf;
}
