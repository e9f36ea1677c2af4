// SPDX-License-Identifier: MIT
/*
 * BTT sector I/O and namespace byte ranges on the golden images (BTTs the
 * guest kernel made: 1.1/4096 label-less, 1.1 and 2.0 with 512 and 4096
 * sectors), on a two-arena BTT, and a crash cut after every single pwrite:
 * every sector must read old or new afterwards, opened read-write (the
 * kernel's roll-forward) or read-only (kept in memory), and the image must
 * pass the checks `ndctl check-namespace` makes (ndctl/check.c, re-done
 * below: seqs, bounds, flog/map agreement, every block referenced once).
 *
 * usage: test-btt-io GOLDEN_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <vpmem/btt.h>
#include <vpmem/image.h>
#include <vpmem/io.h>

static const char *golden;
static char tmpdir[] = "/tmp/vpmem-btt-io.XXXXXX";

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decompress golden NAME into the temp dir; returns an fd open read-write. */
static int golden_copy(const char *name, char *path, size_t len)
{
	char cmd[1024];
	int fd;

	snprintf(path, len, "%s/%s.img", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/%s.img.xz' | dd of='%s' bs=64K conv=sparse status=none",
		 golden, name, path);
	assert_int_equal(system(cmd), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	return fd;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static struct vpmem_region_info *region(int fd)
{
	struct vpmem_region_info *ri = calloc(1, sizeof(*ri));
	struct vpmem_image_hints h = { .slot = -1 };
	struct vpmem_err err = { 0 };

	assert_non_null(ri);
	if (vpmem_region_read(fd, &h, ri, &err))
		fail_msg("region: %s", err.msg);
	return ri;
}

static void region_put(struct vpmem_region_info *ri)
{
	vpmem_region_free(ri);
	free(ri);
}

#define PARENT(n) ((n).labelled ? (n).raw_uuid : NULL)

/* ---- ndctl check-namespace, re-done (ndctl/check.c btt_check_arenas) ---- */

/* NULL if the BTT of the namespace at @ns_off passes, else what failed. */
static const char *check_btt(int fd, uint64_t ns_off, bool v2, const uint8_t *parent)
{
	static char why[200];
	uint64_t off = ns_off + (v2 ? 0 : 4096);
	uint8_t sb[4096];

	for (int arena = 0;; arena++) {
		struct vpmem_btt_info info;
		uint64_t logoff, mapoff;
		uint8_t *log, *bm;
		uint32_t *map;
		int idx1 = 1;

		assert_int_equal(pread(fd, sb, 4096, (off_t)off), 4096);
		if (vpmem_btt_info_decode(sb, parent, &info, NULL))
			return "info block";
		if (info.a.internal_lbasize != info.a.external_lbasize)
			return "internal_lbasize != external_lbasize";
		logoff = off + info.a.logoff;
		mapoff = off + info.a.mapoff;
		log = malloc(info.a.nfree * 64);
		map = malloc(info.a.external_nlba * 4ull);
		bm = calloc(1, info.a.internal_nlba);
		assert_true(log && map && bm);
		assert_int_equal(pread(fd, log, info.a.nfree * 64, (off_t)logoff), (ssize_t)info.a.nfree * 64);
		assert_int_equal(pread(fd, map, info.a.external_nlba * 4ull, (off_t)mapoff),
				 (ssize_t)info.a.external_nlba * 4);
		/* our writer always uses slots (0,1) */
		why[0] = '\0';
		for (uint32_t i = 0; i < info.a.nfree && !why[0]; i++) {
			const uint8_t *g = log + i * 64;
			uint32_t s0 = le32(g + 12), s1 = le32(g + 16 * idx1 + 12), nw;
			const uint8_t *e;
			uint32_t lba, oldm, newm, m;

			if (s0 == s1 || s0 > 3 || s1 > 3) {
				snprintf(why, sizeof(why), "arena %d lane %u: seqs %u %u", arena, i, s0, s1);
				break;
			}
			/* btt_log_get_old */
			if (s0 == 0)
				nw = 1;
			else if (s0 < s1)
				nw = s1 - s0 == 1 ? 1 : 0;
			else
				nw = s0 - s1 == 1 ? 0 : 1;
			e = g + 16 * (nw ? idx1 : 0);
			lba = le32(e), oldm = le32(e + 4), newm = le32(e + 8);
			if (lba >= info.a.external_nlba || oldm >= info.a.internal_nlba ||
			    newm >= info.a.internal_nlba) {
				snprintf(why, sizeof(why), "arena %d lane %u: out of bounds", arena, i);
				break;
			}
			m = le32((uint8_t *)&map[lba]);
			m = (m & 0xC0000000u) ? m & 0x3FFFFFFFu : lba;
			if (newm != m && oldm == m) {
				snprintf(why, sizeof(why), "arena %d: map[%u] needs to be updated", arena, lba);
				break;
			}
			if (bm[oldm]++) {
				snprintf(why, sizeof(why), "arena %d: block %u referenced twice (flog)", arena, oldm);
				break;
			}
		}
		for (uint32_t i = 0; i < info.a.external_nlba && !why[0]; i++) {
			uint32_t m = le32((uint8_t *)&map[i]);

			m = (m & 0xC0000000u) ? m & 0x3FFFFFFFu : i;
			if (m >= info.a.internal_nlba)
				snprintf(why, sizeof(why), "arena %d: map[%u] out of bounds", arena, i);
			else if (bm[m]++)
				snprintf(why, sizeof(why), "arena %d: block %u referenced twice (map %u)", arena, m, i);
		}
		for (uint32_t i = 0; i < info.a.internal_nlba && !why[0]; i++)
			if (!bm[i])
				snprintf(why, sizeof(why), "arena %d: block %u not referenced", arena, i);
		free(log);
		free(map);
		free(bm);
		if (why[0])
			return why;
		if (!info.a.nextoff)
			return NULL;
		off += info.a.nextoff;
	}
}

/* ---- helpers ---- */

static struct vpmem_ns_io *open_ns(int fd, const struct vpmem_ns_info *ns, bool rdonly)
{
	struct vpmem_ns_io *io;
	struct vpmem_err err = { 0 };

	if (vpmem_ns_io_open(fd, ns, rdonly, &io, &err))
		fail_msg("open namespace%u: %s", ns->index, err.msg);
	return io;
}

static void fill(uint8_t *buf, size_t len, uint32_t tag)
{
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = tag * 2654435761u + (uint32_t)i;

		memcpy(buf + i, &v, len - i < 4 ? len - i : 4);
	}
}

/* ---- tests ---- */

/* Every sector namespace of every golden image: fresh BTT reads zeros;
 * writes read back, before and after reopening; the image passes check. */
static void test_golden_rw(void **state)
{
	static const char *const imgs[] = { "v11", "v12", "ll-sector" };
	unsigned seen[2][2] = { { 0 } }; /* [v2][4096] */

	(void)state;
	for (size_t g = 0; g < sizeof(imgs) / sizeof(imgs[0]); g++) {
		char path[512];
		int fd = golden_copy(imgs[g], path, sizeof(path));
		struct vpmem_region_info *ri = region(fd);

		for (unsigned k = 0; k < ri->nns; k++) {
			const struct vpmem_ns_info *ns = &ri->ns[k];
			struct vpmem_ns_io *io;
			struct vpmem_err err = { 0 };
			uint8_t *buf, *want;
			uint32_t bs;
			uint64_t n;

			if (ns->mode != VPMEM_NS_SECTOR)
				continue;
			io = open_ns(fd, ns, false);
			bs = vpmem_ns_io_block_size(io);
			assert_int_equal(bs, ns->sector_size);
			assert_int_equal(vpmem_ns_io_size(io), ns->size);  /* = what ndctl listed */
			seen[ns->info_major == 2][bs == 4096]++;
			n = vpmem_ns_io_size(io);
			buf = malloc(n);
			want = calloc(1, n);
			assert_true(buf && want);
			assert_int_equal(vpmem_ns_io_pread(io, buf, n, 0, &err), 0);
			assert_memory_equal(buf, want, n);     /* the kernel's fresh BTT: identity map, zeros */
			/* single sectors, a long run (batches across lanes), unaligned bytes */
			fill(want, bs, 1);
			assert_int_equal(vpmem_ns_io_pwrite(io, want, bs, 0, &err), 0);
			fill(want + 7 * bs, 300 * bs, 2);
			assert_int_equal(vpmem_ns_io_pwrite(io, want + 7 * bs, 300 * bs, 7 * bs, &err), 0);
			fill(want + n - bs - 100, 333, 3);
			assert_int_equal(vpmem_ns_io_pwrite(io, want + n - bs - 100, 333, n - bs - 100, &err), 0);
			for (int rep = 0; rep < 7; rep++) {  /* rotate lane 0's flog: seq 2,3,1,2,... */
				fill(want + 3 * bs, bs, 10 + (uint32_t)rep);
				assert_int_equal(vpmem_ns_io_pwrite(io, want + 3 * bs, bs, 3 * bs, &err), 0);
			}
			memset(want + 100 * bs, 0, 50 * bs);
			assert_int_equal(vpmem_ns_io_zero(io, 50 * bs, 100 * bs, &err), 0);
			assert_int_equal(vpmem_ns_io_pread(io, buf, n, 0, &err), 0);
			assert_memory_equal(buf, want, n);
			assert_int_equal(vpmem_ns_io_pwrite(io, want, 1, n, &err), -ERANGE);
			vpmem_ns_io_close(io);
			io = open_ns(fd, ns, true);
			memset(buf, 0xa5, n);
			assert_int_equal(vpmem_ns_io_pread(io, buf, n, 0, &err), 0);
			assert_memory_equal(buf, want, n);
			assert_int_equal(vpmem_ns_io_pwrite(io, want, bs, 0, &err), -EROFS);
			vpmem_ns_io_close(io);
			if (check_btt(fd, ns->dpa, ns->info_major == 2, PARENT(*ns)))
				fail_msg("%s namespace%u: %s", imgs[g], k, check_btt(fd, ns->dpa, ns->info_major == 2, PARENT(*ns)));
			free(buf);
			free(want);
		}
		region_put(ri);
		close(fd);
		unlink(path);
	}
	/* BTT 1.1 and 2.0, 512 and 4096 sectors were all exercised */
	assert_true(seen[0][0] && seen[0][1] && seen[1][0] && seen[1][1]);
}

/* raw, fsdax and devdax: the byte ranges the guest sees */
static void test_golden_ranges(void **state)
{
	char path[512];
	int fd = golden_copy("v11", path, sizeof(path));
	struct vpmem_region_info *ri = region(fd);
	struct vpmem_err err = { 0 };
	unsigned modes = 0;

	(void)state;
	for (unsigned k = 0; k < ri->nns; k++) {
		const struct vpmem_ns_info *ns = &ri->ns[k];
		struct vpmem_ns_io *io;
		uint8_t a[4096], b[4096];
		uint64_t base;

		if (ns->mode == VPMEM_NS_SECTOR)
			continue;
		modes |= 1u << ns->mode;
		io = open_ns(fd, ns, false);
		assert_int_equal(vpmem_ns_io_size(io), ns->size);
		base = ns->mode == VPMEM_NS_RAW ? ns->dpa : ns->dpa + ns->dataoff;
		fill(a, sizeof(a), 42 + k);
		assert_int_equal(vpmem_ns_io_pwrite(io, a, sizeof(a), 8192, &err), 0);
		assert_int_equal(pread(fd, b, sizeof(b), (off_t)(base + 8192)), (ssize_t)sizeof(b));
		assert_memory_equal(a, b, sizeof(a));
		assert_int_equal(vpmem_ns_io_zero(io, 4096, 8192, &err), 0);
		assert_int_equal(vpmem_ns_io_pread(io, b, sizeof(b), 8192, &err), 0);
		memset(a, 0, sizeof(a));
		assert_memory_equal(a, b, sizeof(a));
		vpmem_ns_io_close(io);
	}
	assert_int_equal(modes, 1u << VPMEM_NS_RAW | 1u << VPMEM_NS_FSDAX | 1u << VPMEM_NS_DEVDAX);
	/* the info blocks are untouched: the image lists the same */
	{
		struct vpmem_region_info *r2 = region(fd);

		for (unsigned k = 0; k < ri->nns; k++) {
			assert_int_equal(r2->ns[k].mode, ri->ns[k].mode);
			assert_int_equal(r2->ns[k].size, ri->ns[k].size);
		}
		region_put(r2);
	}
	/* selection */
	assert_int_equal(vpmem_ns_select(ri, "s512", NULL, NULL, &err), 4);
	assert_int_equal(vpmem_ns_select(ri, NULL, NULL, "namespace0.3", &err), 3);
	assert_int_equal(vpmem_ns_select(ri, NULL, ri->ns[2].uuid, NULL, &err), 2);
	assert_int_equal(vpmem_ns_select(ri, NULL, ri->ns[2].raw_uuid, NULL, &err), 2);
	assert_int_equal(vpmem_ns_select(ri, "nope", NULL, NULL, &err), -ENOENT);
	assert_int_equal(vpmem_ns_select(ri, NULL, NULL, "namespace0.9", &err), -ENOENT);
	assert_int_equal(vpmem_ns_select(ri, NULL, NULL, "ns0", &err), -EINVAL);
	region_put(ri);
	close(fd);
	unlink(path);
}

/* A truncated image: errors, not SIGBUS, and no silent regrowth */
static void test_truncated(void **state)
{
	char path[512];
	int fd = golden_copy("ll-sector", path, sizeof(path));
	struct vpmem_region_info *ri = region(fd);
	struct vpmem_ns_io *io = open_ns(fd, &ri->ns[0], false), *raw;
	struct vpmem_ns_info rawns = ri->ns[0];
	struct vpmem_err err = { 0 };
	uint8_t buf[4096] = { 1 };
	struct stat st;

	(void)state;
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	assert_int_equal(vpmem_ns_io_pread(io, buf, sizeof(buf), 0, &err), -EIO);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_not_equal(vpmem_ns_io_pwrite(io, buf, sizeof(buf), 0, &err), 0);
	vpmem_ns_io_close(io);
	rawns.mode = VPMEM_NS_RAW;
	raw = open_ns(fd, &rawns, false);
	assert_int_equal(vpmem_ns_io_pwrite(raw, buf, sizeof(buf), 32 << 20, &err), -EIO);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 8 << 20);
	vpmem_ns_io_close(raw);
	region_put(ri);
	close(fd);
	unlink(path);
}

/* Two arenas (a 512 GiB arena, then a short one), sparse */
static void test_two_arenas(void **state)
{
	struct vpmem_btt_layout *l = vpmem_btt_layout_new();
	char path[512];
	uint64_t ns = (512ULL << 30) + (64ULL << 20);
	uint8_t uuid[16] = { 1, 2, 3 }, info[4096], *flog, a[4096], b[4096];
	struct vpmem_btt *bt;
	struct vpmem_err err = { 0 };
	uint64_t n0;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/two.img", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && l);
	assert_int_equal(ftruncate(fd, (off_t)ns), 0);
	assert_int_equal(vpmem_btt_layout(ns, 4096, true, l, &err), 0);
	assert_int_equal(l->narenas, 2);
	for (unsigned i = 0; i < l->narenas; i++) {
		const struct vpmem_btt_arena *ar = &l->arena[i];

		flog = malloc(ar->info2off - ar->logoff);
		vpmem_btt_flog_init(ar, flog);
		assert_int_equal(pwrite(fd, flog, ar->info2off - ar->logoff, (off_t)(ar->off + ar->logoff)),
				 (ssize_t)(ar->info2off - ar->logoff));
		free(flog);
		vpmem_btt_info_encode(l, i, uuid, NULL, info);
		assert_int_equal(pwrite(fd, info, 4096, (off_t)(ar->off + ar->info2off)), 4096);
		assert_int_equal(pwrite(fd, info, 4096, (off_t)ar->off), 4096);
	}
	assert_int_equal(vpmem_btt_open(fd, 0, ns, true, NULL, false, &bt, &err), 0);
	assert_int_equal(vpmem_btt_narenas(bt), 2);
	n0 = l->arena[0].external_nlba;
	assert_int_equal(vpmem_btt_nlba(bt), n0 + l->arena[1].external_nlba);
	fill(a, sizeof(a), 9);
	/* a batch across the arena boundary: two steps, one per arena */
	{
		uint8_t *big = malloc(8 * 4096), *back = malloc(8 * 4096);

		fill(big, 8 * 4096, 5);
		assert_int_equal(vpmem_btt_write(bt, n0 - 4, 8, big, &err), 0);
		assert_int_equal(vpmem_btt_read(bt, n0 - 4, 8, back, &err), 0);
		assert_memory_equal(big, back, 8 * 4096);
		free(big);
		free(back);
	}
	assert_int_equal(vpmem_btt_write(bt, vpmem_btt_nlba(bt) - 1, 1, a, &err), 0);
	vpmem_btt_close(bt);
	assert_int_equal(vpmem_btt_open(fd, 0, ns, true, NULL, true, &bt, &err), 0);
	assert_int_equal(vpmem_btt_read(bt, vpmem_btt_nlba(bt) - 1, 1, b, &err), 0);
	assert_memory_equal(a, b, 4096);
	assert_int_equal(vpmem_btt_read(bt, vpmem_btt_nlba(bt), 1, b, &err), -ERANGE);
	vpmem_btt_close(bt);
	close(fd);
	unlink(path);
	vpmem_btt_layout_free(l);
}

/* ---- crash after every single write ---- */

enum { OP_WRITE, OP_ZERO };
struct op {
	int kind;
	uint64_t lba, n;
	uint32_t tag;
};

/* Sectors 0..63 of the namespace: single writes on lane 0 (its seq
 * rotating through 2,3,1,2), a batch over many lanes, a trim, overwrites. */
static const struct op ops[] = {
	{ OP_WRITE, 0, 1, 1 }, { OP_WRITE, 0, 1, 2 }, { OP_WRITE, 5, 1, 3 }, { OP_WRITE, 0, 1, 4 },
	{ OP_WRITE, 8, 20, 5 }, { OP_ZERO, 10, 4, 0 }, { OP_WRITE, 9, 3, 6 }, { OP_WRITE, 5, 1, 7 },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))
#define NSEC 64

static void sector_value(uint8_t *buf, uint32_t bs, uint32_t tag, uint64_t lba)
{
	if (!tag)
		memset(buf, 0, bs);
	else
		fill(buf, bs, tag * 1000 + (uint32_t)lba);
}

/* Run ops on @io until the write limit cuts them; returns the op cut (NOPS: none). */
static size_t run_ops(struct vpmem_ns_io *io, long long limit)
{
	struct vpmem_btt *b = vpmem_ns_io_btt(io);
	uint32_t bs = vpmem_ns_io_block_size(io);
	uint8_t *buf = malloc(32 * 4096);
	struct vpmem_err err = { 0 };

	vpmem_btt_set_write_limit(b, limit);
	for (size_t i = 0; i < NOPS; i++) {
		int r;

		if (ops[i].kind == OP_WRITE) {
			for (uint64_t k = 0; k < ops[i].n; k++)
				sector_value(buf + k * bs, bs, ops[i].tag, ops[i].lba + k);
			r = vpmem_btt_write(b, ops[i].lba, ops[i].n, buf, &err);
		} else {
			r = vpmem_btt_zero(b, ops[i].lba, ops[i].n, &err);
		}
		if (r) {
			assert_int_equal(r, -EIO);
			free(buf);
			return i;
		}
	}
	free(buf);
	return NOPS;
}

/* tag of each sector after ops [0, upto) */
static void tags_after(size_t upto, uint32_t *tag)
{
	for (unsigned s = 0; s < NSEC; s++)
		tag[s] = 0;
	for (size_t i = 0; i < upto; i++)
		for (uint64_t k = 0; k < ops[i].n; k++)
			tag[ops[i].lba + k] = ops[i].kind == OP_WRITE ? ops[i].tag : 0;
}

static void crash_one(const char *img, const char *nsname)
{
	char base[512], cut[512];
	int fd = golden_copy(img, base, sizeof(base));
	struct vpmem_region_info *ri = region(fd);
	struct vpmem_err err = { 0 };
	int k = vpmem_ns_select(ri, nsname, NULL, nsname ? NULL : "namespace0.0", &err);
	struct vpmem_ns_info ns;
	struct vpmem_ns_io *io;
	uint64_t total;
	unsigned cuts_mid = 0;

	assert_true(k >= 0);
	ns = ri->ns[k];
	region_put(ri);
	close(fd);
	/* how many pwrites the whole sequence makes */
	snprintf(cut, sizeof(cut), "%s/cut.img", tmpdir);
	copy_file(base, cut);
	fd = open(cut, O_RDWR);
	io = open_ns(fd, &ns, false);
	assert_int_equal(run_ops(io, -1), NOPS);
	total = vpmem_btt_writes(vpmem_ns_io_btt(io));
	vpmem_ns_io_close(io);
	close(fd);
	assert_true(total > 20);
	for (uint64_t limit = 0; limit <= total; limit++) {
		uint32_t bs = ns.sector_size, before[NSEC], after[NSEC];
		uint8_t got[4096], old[4096], new[4096], ro[NSEC][4096];
		size_t at;

		copy_file(base, cut);
		fd = open(cut, O_RDWR);
		io = open_ns(fd, &ns, false);
		at = run_ops(io, (long long)limit);
		vpmem_ns_io_close(io);
		assert_true(limit == total ? at == NOPS : at < NOPS);
		tags_after(at, before);
		tags_after(at < NOPS ? at + 1 : NOPS, after);
		/* read-only first (in-memory roll-forward), then read-write (on disk) */
		io = open_ns(fd, &ns, true);
		for (unsigned s = 0; s < NSEC; s++)
			assert_int_equal(vpmem_ns_io_pread(io, ro[s], bs, (uint64_t)s * bs, &err), 0);
		vpmem_ns_io_close(io);
		io = open_ns(fd, &ns, false);
		if (vpmem_btt_recovered(vpmem_ns_io_btt(io)))
			cuts_mid++;
		for (unsigned s = 0; s < NSEC; s++) {
			assert_int_equal(vpmem_ns_io_pread(io, got, bs, (uint64_t)s * bs, &err), 0);
			sector_value(old, bs, before[s], s);
			sector_value(new, bs, after[s], s);
			if (memcmp(got, old, bs) && memcmp(got, new, bs))
				fail_msg("%s/%s cut after write %" PRIu64 "/%" PRIu64 " (op %zu): sector %u is neither old nor new",
					 img, nsname ? nsname : "", limit, total, at, s);
			assert_memory_equal(got, ro[s], bs);
		}
		if (check_btt(fd, ns.dpa, ns.info_major == 2, PARENT(ns)))
			fail_msg("%s cut after write %" PRIu64 ": %s", img, limit, check_btt(fd, ns.dpa, ns.info_major == 2, PARENT(ns)));
		/* and it still takes writes */
		sector_value(new, bs, 99, 0);
		assert_int_equal(vpmem_ns_io_pwrite(io, new, bs, 0, &err), 0);
		assert_int_equal(vpmem_ns_io_pread(io, got, bs, 0, &err), 0);
		assert_memory_equal(got, new, bs);
		vpmem_ns_io_close(io);
		assert_null(check_btt(fd, ns.dpa, ns.info_major == 2, PARENT(ns)));
		close(fd);
	}
	/* some cuts fell between a flog entry and its map entry */
	assert_true(cuts_mid > 0);
	unlink(cut);
	unlink(base);
}

static void test_crash_btt11_4096(void **state)
{
	(void)state;
	crash_one("ll-sector", NULL);
}

static void test_crash_btt20_512(void **state)
{
	(void)state;
	crash_one("v12", "s512");
}

/* Four threads writing and reading at once, each its own sectors */
struct thr {
	struct vpmem_ns_io *io;
	unsigned id;
	int fails;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	uint32_t bs = vpmem_ns_io_block_size(t->io);
	uint8_t a[4096], b[4096];
	struct vpmem_err err = { 0 };

	for (unsigned i = 0; i < 400; i++) {
		uint64_t s = (i * 7 % 50) * 4 + t->id;

		fill(a, bs, t->id * 100000 + i);
		if (vpmem_ns_io_pwrite(t->io, a, bs, s * bs, &err) ||
		    vpmem_ns_io_pread(t->io, b, bs, s * bs, &err) || memcmp(a, b, bs))
			t->fails++;
	}
	return NULL;
}

/* Four threads running @fn on ll-sector's namespace at once, then the BTT checks. */
static void run_threads(void *(*fn)(void *))
{
	char path[512];
	int fd = golden_copy("ll-sector", path, sizeof(path));
	struct vpmem_region_info *ri = region(fd);
	struct vpmem_ns_io *io = open_ns(fd, &ri->ns[0], false);
	pthread_t th[4];
	struct thr t[4];

	for (unsigned i = 0; i < 4; i++) {
		t[i] = (struct thr){ io, i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, fn, &t[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].fails, 0);
	}
	vpmem_ns_io_close(io);
	assert_null(check_btt(fd, ri->ns[0].dpa, false, PARENT(ri->ns[0])));
	region_put(ri);
	close(fd);
	unlink(path);
}

static void test_threads(void **state)
{
	(void)state;
	run_threads(thr_main);
}

/* Four threads writing runs of 16 sectors at once (lane windows of their
 * own), each its own runs; then every run reads back and the BTT checks. */
static void *thr_batch(void *arg)
{
	struct thr *t = arg;
	uint32_t bs = vpmem_ns_io_block_size(t->io);
	uint8_t *a = malloc(16 * 4096), *b = malloc(16 * 4096);
	struct vpmem_err err = { 0 };

	for (unsigned i = 0; a && b && i < 60; i++) {
		uint64_t s = ((i * 7 % 30) * 4 + t->id) * 16;

		fill(a, 16 * bs, t->id * 100000 + i);
		if (vpmem_ns_io_pwrite(t->io, a, 16 * bs, s * bs, &err) ||
		    vpmem_ns_io_pread(t->io, b, 16 * bs, s * bs, &err) || memcmp(a, b, 16 * bs))
			t->fails++;
	}
	free(a);
	free(b);
	return NULL;
}

static void test_threads_batch(void **state)
{
	(void)state;
	run_threads(thr_batch);
}

/* Extents (NBD block status): a fresh BTT is all zeros; written sectors are
 * data; trimmed ones zeros again. Holes of a fsdax namespace are zeros.
 * Each answer is exact at the edges of what was written. */
static void test_extents(void **state)
{
	char path[512];
	int fd = golden_copy("v11", path, sizeof(path));
	struct vpmem_region_info *ri = region(fd);
	struct vpmem_err err = { 0 };
	uint8_t a[10 * 4096];
	uint64_t len;
	bool zero;
	int seen = 0;

	(void)state;
	for (unsigned k = 0; k < ri->nns; k++) {
		struct vpmem_ns_io *io;
		uint64_t size;
		uint32_t bs;
		uint64_t o;

		if (ri->ns[k].mode != VPMEM_NS_SECTOR && ri->ns[k].mode != VPMEM_NS_FSDAX)
			continue;
		seen |= 1 << ri->ns[k].mode;
		io = open_ns(fd, &ri->ns[k], false);
		size = vpmem_ns_io_size(io);
		bs = ri->ns[k].mode == VPMEM_NS_SECTOR ? vpmem_ns_io_block_size(io) : 4096;
		/* the middle of the namespace (the guest wrote some namespaces' ends) */
		o = size / 2 / (1 << 18) * (1 << 18);
		assert_int_equal(vpmem_ns_io_extent(io, o, size - o, &len, &zero, &err), 0);
		assert_true(zero);
		assert_true(len >= 40 * bs);
		fill(a, 10 * bs, 7);
		assert_int_equal(vpmem_ns_io_pwrite(io, a, 10 * bs, o + 10 * bs, &err), 0);
		assert_int_equal(vpmem_ns_io_extent(io, o, size - o, &len, &zero, &err), 0);
		assert_true(zero);
		assert_int_equal(len, 10 * bs);
		assert_int_equal(vpmem_ns_io_extent(io, o + 10 * bs, size - o - 10 * bs, &len, &zero, &err), 0);
		assert_false(zero);
		assert_int_equal(len, 10 * bs);
		assert_int_equal(vpmem_ns_io_extent(io, o + 20 * bs, size - o - 20 * bs, &len, &zero, &err), 0);
		assert_true(zero);
		assert_true(len >= 20 * bs && len <= size - o - 20 * bs);
		assert_int_equal(vpmem_ns_io_zero(io, bs, o + 12 * bs, &err), 0);
		assert_int_equal(vpmem_ns_io_extent(io, o + 10 * bs, size - o - 10 * bs, &len, &zero, &err), 0);
		assert_false(zero);
		assert_int_equal(len, 2 * bs);
		assert_int_equal(vpmem_ns_io_extent(io, o + 12 * bs, size - o - 12 * bs, &len, &zero, &err), 0);
		assert_true(zero);
		assert_int_equal(len, bs);
		/* a bounded question gets a bounded answer */
		assert_int_equal(vpmem_ns_io_extent(io, o + 13 * bs, 3 * bs, &len, &zero, &err), 0);
		assert_false(zero);
		assert_int_equal(len, 3 * bs);
		vpmem_ns_io_close(io);
	}
	assert_int_equal(seen, 1 << VPMEM_NS_SECTOR | 1 << VPMEM_NS_FSDAX);
	region_put(ri);
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_rw),
		cmocka_unit_test(test_golden_ranges),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_two_arenas),
		cmocka_unit_test(test_crash_btt11_4096),
		cmocka_unit_test(test_crash_btt20_512),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_batch),
		cmocka_unit_test(test_extents),
	};
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	golden = argv[1];
	if (!mkdtemp(tmpdir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return r;
}
