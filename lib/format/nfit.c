// SPDX-License-Identifier: MIT
/* QEMU vNVDIMM NFIT identities; sources in include/vpmem/nfit.h. */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include <vpmem/nfit.h>

uint64_t vpmem_fletcher64(const void *buf, size_t len, int le)
{
	const uint8_t *p = buf;
	uint32_t lo = 0;
	uint64_t hi = 0;

	/* Linux drivers/nvdimm/core.c nd_fletcher64 */
	for (size_t i = 0; i + 4 <= len; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		lo += le ? le32toh(w) : w;
		hi += lo;
	}
	return hi << 32 | lo;
}

uint64_t vpmem_block_checksum(const void *buf, size_t len, size_t csum_off)
{
	const uint8_t *p = buf;
	uint32_t lo = 0;
	uint64_t hi = 0;

	/* nd_fletcher64 over the block with its checksum field read as zero, on
	 * the const block: no copy (nd_sb_checksum, __nd_label_validate) */
	for (size_t i = 0; i + 4 <= len; i += 4) {
		uint32_t w = 0;

		if (i + 4 <= csum_off || i >= csum_off + 8)
			memcpy(&w, p + i, 4);
		lo += le32toh(w);
		hi += lo;
	}
	return hi << 32 | lo;
}

int vpmem_slot_of_cookie(uint64_t cookie)
{
	uint32_t lo = (uint32_t)cookie, hi = (uint32_t)(cookie >> 32);
	struct vpmem_nfit_dimm d;
	int64_t s;

	/* cookie1 = (2S)<<32 | S; cookie2 lo = S + 0x8086 (doc/formats.md 1.3) */
	s = (int64_t)lo - VPMEM_NFIT_SERIAL_BASE;
	if (s >= 0 && s < (int64_t)VPMEM_NFIT_MAX_SLOTS && hi == 2 * lo)
		return (int)s;
	s = (int64_t)lo - VPMEM_NFIT_VENDOR_QEMU - VPMEM_NFIT_SERIAL_BASE;
	if (s >= 0 && s < (int64_t)VPMEM_NFIT_MAX_SLOTS) {
		vpmem_nfit_dimm((unsigned)s, &d);
		if (d.cookie2 == cookie)
			return (int)s;
	}
	return -1;
}

void vpmem_nfit_id(uint16_t vendor, uint32_t serial, char *buf, size_t len)
{
	/* acpi_nfit_add_dimm: be16_to_cpu(vendor_id), be32_to_cpu(serial_number)
	 * applied to the little-endian table values, i.e. byte-swapped. */
	snprintf(buf, len, "%04x-%08x", __builtin_bswap16(vendor), __builtin_bswap32(serial));
}

/* Linux drivers/acpi/nfit/core.c: struct nfit_set_info / nfit_set_info2,
 * little-endian table values, then nd_fletcher64(..., false). */
struct set_info {
	uint64_t region_offset;
	uint32_t serial_number;
	uint32_t pad;
};

struct set_info2 {
	uint64_t region_offset;
	uint32_t serial_number;
	uint16_t vendor_id;
	uint16_t manufacturing_date;
	uint8_t manufacturing_location;
	uint8_t reserved[31];
};

_Static_assert(sizeof(struct set_info) == 16, "nfit_set_info is 16 bytes");
_Static_assert(sizeof(struct set_info2) == 48, "nfit_set_info2 is 48 bytes");

void vpmem_nfit_dimm(unsigned slot, struct vpmem_nfit_dimm *d)
{
	struct set_info i1;
	struct set_info2 i2;

	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->serial = VPMEM_NFIT_SERIAL_BASE + slot;
	d->handle = slot + 1;
	d->vendor = VPMEM_NFIT_VENDOR_QEMU;
	d->spa_index = (uint16_t)((slot + 1) << 1);
	vpmem_nfit_id(d->vendor, d->serial, d->id, sizeof(d->id));

	/* QEMU: one mapping per region, region_offset 0, no mfg fields. */
	memset(&i1, 0, sizeof(i1));
	i1.serial_number = htole32(d->serial);
	d->cookie1 = vpmem_fletcher64(&i1, sizeof(i1), 1);
	memset(&i2, 0, sizeof(i2));
	i2.serial_number = htole32(d->serial);
	i2.vendor_id = htole16(d->vendor);
	d->cookie2 = vpmem_fletcher64(&i2, sizeof(i2), 1);
}
