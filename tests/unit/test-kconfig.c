// SPDX-License-Identifier: MIT
/*
 * The kernel configuration parser, the feature verdicts (every option of
 * every feature switched off in turn), run's needs check, the tar and cpio
 * readers and the decompressors (on data made here with zlib/liblzma).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include <vpmem/kconfig.h>

#include "util/unpack.h"

static struct vpmem_kconfig *parse(const char *text)
{
	struct vpmem_kconfig *kc = NULL;
	struct vpmem_err err = { 0 };

	if (vpmem_kconfig_parse(text, strlen(text), &kc, &err))
		fail_msg("parse failed: %s", err.msg);
	return kc;
}

static void test_parse(void **state)
{
	struct vpmem_kconfig *kc;
	struct vpmem_err err = { 0 };

	(void)state;
	kc = parse("#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_A=y\nCONFIG_B=m\r\n"
		   "# CONFIG_C is not set\nCONFIG_D=\"str ing\"\nCONFIG_E=0x10\nCONFIG_F=n\n"
		   "CONFIG_A=m\nCONFIG_G=y\n# CONFIG_G is not set\nCONFIG_=y\nCONFIG_H\n# CONFIG_I is set\n"
		   "   CONFIG_J=y\nCONFIG_K=y");
	assert_string_equal(vpmem_kconfig_get(kc, "A"), "m"); /* the later assignment wins */
	assert_int_equal(vpmem_kconfig_tristate(kc, "A"), 'm');
	assert_int_equal(vpmem_kconfig_tristate(kc, "B"), 'm'); /* CRLF */
	assert_null(vpmem_kconfig_get(kc, "C"));
	assert_string_equal(vpmem_kconfig_get(kc, "D"), "\"str ing\"");
	assert_int_equal(vpmem_kconfig_tristate(kc, "D"), 'y');
	assert_string_equal(vpmem_kconfig_get(kc, "E"), "0x10");
	assert_null(vpmem_kconfig_get(kc, "F"));               /* =n is not set */
	assert_null(vpmem_kconfig_get(kc, "G"));               /* overridden by "not set" */
	assert_null(vpmem_kconfig_get(kc, "H"));
	assert_null(vpmem_kconfig_get(kc, "I"));
	assert_null(vpmem_kconfig_get(kc, "J"));               /* not at the start of the line */
	assert_string_equal(vpmem_kconfig_get(kc, "K"), "y");  /* no final newline */
	assert_null(vpmem_kconfig_get(kc, "NOPE"));
	assert_int_equal(vpmem_kconfig_tristate(kc, "NOPE"), 'n');
	assert_int_equal(vpmem_kconfig_count(kc), 8);           /* A B C D E F G K */
	vpmem_kconfig_free(kc);

	assert_int_equal(vpmem_kconfig_parse("hello\nworld\n", 12, &kc, &err), -EILSEQ);
	assert_non_null(strstr(err.msg, "not a kernel configuration"));
	assert_null(kc);
	assert_int_equal(vpmem_kconfig_parse("CONFIG_A=y\n\0\1\2", 14, &kc, &err), -EILSEQ);
	assert_int_equal(vpmem_kconfig_parse("", 0, &kc, &err), -EILSEQ);
}

/* a configuration with every option of the table set to @val */
static char *full_config(const char *val, const char *off)
{
	size_t cap = 1 << 16, n = 0;
	char *t = calloc(1, cap);

	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		const struct vpmem_kfeature *f = &vpmem_kfeatures[i];

		for (unsigned j = 0; j < VPMEM_KFEATURE_MAX_OPTS + 3; j++) {
			const struct vpmem_kopt *o = j < VPMEM_KFEATURE_MAX_OPTS ? &f->all[j] : &f->any[j - VPMEM_KFEATURE_MAX_OPTS];

			if (!o->option)
				continue;
			if (off && !strcmp(o->option, off))
				n += (size_t)snprintf(t + n, cap - n, "# CONFIG_%s is not set\n", o->option);
			else
				n += (size_t)snprintf(t + n, cap - n, "CONFIG_%s=%s\n", o->option,
						      o->module ? val : "y");
		}
	}
	return t;
}

static void kernel_of(struct vpmem_kernel *k, const char *text)
{
	memset(k, 0, sizeof(*k));
	k->config = parse(text);
	snprintf(k->config_from, sizeof(k->config_from), "test");
	snprintf(k->release, sizeof(k->release), "6.99");
}

static void test_verdicts(void **state)
{
	struct vpmem_kernel k;
	struct vpmem_kfeature_report r;
	char *t;

	(void)state;
	assert_int_equal(vpmem_nkfeatures, 10);
	t = full_config("y", NULL);
	kernel_of(&k, t);
	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		vpmem_kernel_judge(&k, &vpmem_kfeatures[i], &r);
		assert_int_equal(r.verdict, VPMEM_KV_WORKS);
		assert_string_equal(r.text, "works");
	}
	vpmem_kernel_close(&k);
	free(t);

	t = full_config("m", NULL);
	kernel_of(&k, t);
	vpmem_kernel_judge(&k, vpmem_kfeature_find("nvdimm"), &r);
	assert_int_equal(r.verdict, VPMEM_KV_WORKS_MODULES);
	assert_string_equal(r.text, "works with modules nfit, libnvdimm and nd_pmem loaded");
	vpmem_kernel_judge(&k, vpmem_kfeature_find("virtio-pmem"), &r);
	assert_string_equal(r.text, "works with modules virtio_pci, libnvdimm, virtio_pmem and nd_pmem loaded");
	/* module files known: one absent makes the feature missing, naming it */
	k.modules_known = true;
	snprintf(k.modules_from, sizeof(k.modules_from), "/m");
	vpmem_strv_push(&k.modules, "nfit");
	vpmem_strv_push(&k.modules, "libnvdimm");
	vpmem_kernel_judge(&k, vpmem_kfeature_find("nvdimm"), &r);
	assert_int_equal(r.verdict, VPMEM_KV_MISSING);
	assert_string_equal(r.text, "missing, because module nd_pmem is not in /m");
	assert_true(vpmem_kernel_has_module(&k, "nfit"));
	vpmem_kernel_close(&k);
	free(t);

	/* every option of every feature, switched off in turn, is named */
	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		const struct vpmem_kfeature *f = &vpmem_kfeatures[i];

		for (unsigned j = 0; j < VPMEM_KFEATURE_MAX_OPTS && f->all[j].option; j++) {
			char want[128];

			t = full_config("m", f->all[j].option);
			kernel_of(&k, t);
			vpmem_kernel_judge(&k, f, &r);
			snprintf(want, sizeof(want), "missing, because CONFIG_%s is not set", f->all[j].option);
			if (r.verdict != VPMEM_KV_MISSING || strcmp(r.text, want))
				fail_msg("%s without %s: '%s'", f->name, f->all[j].option, r.text);
			vpmem_kernel_close(&k);
			free(t);
		}
	}

	/* one of ext4/xfs is enough for -o dax; none names both */
	t = full_config("y", "EXT4_FS");
	kernel_of(&k, t);
	vpmem_kernel_judge(&k, vpmem_kfeature_find("dax-mount"), &r);
	assert_int_equal(r.verdict, VPMEM_KV_WORKS);
	vpmem_kernel_close(&k);
	kernel_of(&k, "CONFIG_LIBNVDIMM=y\nCONFIG_BLK_DEV_PMEM=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_NVDIMM_PFN=y\n"
		  "CONFIG_FS_DAX=y\nCONFIG_XFS_FS=m\n");
	vpmem_kernel_judge(&k, vpmem_kfeature_find("map-sync"), &r);
	assert_string_equal(r.text, "works with module xfs loaded");
	vpmem_kernel_close(&k);
	kernel_of(&k, "CONFIG_LIBNVDIMM=y\nCONFIG_BLK_DEV_PMEM=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_NVDIMM_PFN=y\n");
	vpmem_kernel_judge(&k, vpmem_kfeature_find("dax-mount"), &r);
	assert_string_equal(r.text, "missing, because CONFIG_FS_DAX and CONFIG_EXT4_FS or CONFIG_XFS_FS are not set");
	vpmem_kernel_close(&k);
	free(t);

	/* no configuration: nothing concluded */
	memset(&k, 0, sizeof(k));
	vpmem_kernel_judge(&k, vpmem_kfeature_find("fsdax"), &r);
	assert_int_equal(r.verdict, VPMEM_KV_UNKNOWN);
	assert_string_equal(vpmem_kverdict_name(r.verdict), "cannot conclude");
	assert_null(vpmem_kfeature_find("nope"));
}

static void test_needs(void **state)
{
	struct vpmem_kernel k;
	struct vpmem_kernel_needs needs = { .virtio_pmem = true };
	struct vpmem_kernel_verdict v;
	char *t;

	(void)state;
	t = full_config("m", "VIRTIO_PMEM");
	kernel_of(&k, t);
	vpmem_kernel_check_needs(&k, &needs, &v);
	assert_true(v.refuse);
	assert_string_equal(v.refusal, "guest kernel 6.99 cannot use --virtio-pmem: CONFIG_VIRTIO_PMEM is not set (config: test)");
	needs = (struct vpmem_kernel_needs){ .nvdimm = true, .own_initrd = true };
	vpmem_kernel_check_needs(&k, &needs, &v);
	assert_false(v.refuse);
	assert_int_equal(v.nwarnings, 0); /* modules not known: nothing to warn about */
	k.modules_known = true;
	snprintf(k.modules_from, sizeof(k.modules_from), "my-initrd");
	vpmem_strv_push(&k.modules, "libnvdimm");
	vpmem_kernel_check_needs(&k, &needs, &v);
	assert_false(v.refuse);
	assert_int_equal(v.nwarnings, 1);
	assert_string_equal(v.warnings[0], "vNVDIMMs needs modules nfit and nd_pmem, which are not in my-initrd (add them to your initramfs)");
	vpmem_kernel_close(&k);
	free(t);
	memset(&k, 0, sizeof(k));
	needs.virtio_pmem = true;
	vpmem_kernel_check_needs(&k, &needs, &v); /* unknown: never refuse */
	assert_false(v.refuse);
}

static void test_markdown(void **state)
{
	char *md = vpmem_kfeatures_markdown();

	(void)state;
	assert_non_null(md);
	for (size_t i = 0; i < vpmem_nkfeatures; i++) {
		char h[64];

		snprintf(h, sizeof(h), "\n## `%s`:", vpmem_kfeatures[i].name);
		assert_non_null(strstr(md, h));
	}
	assert_non_null(strstr(md, "| `CONFIG_VIRTIO_PMEM` | virtio_pmem | drivers/virtio/Kconfig"));
	free(md);
}

/* ---- readers ---- */
struct seen {
	char names[16][400];
	unsigned n;
	char content[256];
};

static int want_all(void *ctx, const char *path, uint64_t size)
{
	struct seen *s = ctx;

	(void)size;
	if (s->n < 16)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", path);
	return !strcmp(path, "boot/config-1");
}

static int got(void *ctx, const char *path, const uint8_t *data, size_t size)
{
	struct seen *s = ctx;

	(void)path;
	snprintf(s->content, sizeof(s->content), "%.*s", (int)size, (const char *)data);
	return 0;
}

static void tar_hdr(uint8_t *h, const char *name, char type, size_t size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 7);
	snprintf((char *)h + 124, 12, "%011zo", size);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void test_tar(void **state)
{
	static uint8_t a[512 * 12];
	char longname[300];
	struct seen s = { 0 };
	struct unpack_tar *t;
	size_t pos = 0;

	(void)state;
	tar_hdr(a, "./boot/config-1", '0', 11);
	memcpy(a + 512, "CONFIG_A=y\n", 11);
	pos = 1024;
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "lib/modules/1/", 14);
	memcpy(longname + 280, "/nd_pmem.ko", 12);
	tar_hdr(a + pos, "././@LongLink", 'L', strlen(longname) + 1);
	memcpy(a + pos + 512, longname, strlen(longname) + 1);
	pos += 1024;
	tar_hdr(a + pos, "truncated-name", '0', 0);
	pos += 512;
	tar_hdr(a + pos, "dir/", '5', 0);
	pos += 512;
	/* then two zero blocks: the end */
	t = unpack_tar_new(want_all, got, &s, 4096);
	/* fed one byte at a time: every state boundary crossed mid-chunk */
	for (size_t i = 0; i < pos + 1024; i++)
		assert_true(unpack_tar_sink(t, a + i, 1) >= 0);
	unpack_tar_free(t);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "boot/config-1");
	assert_string_equal(s.content, "CONFIG_A=y\n");
	assert_string_equal(s.names[1], longname);

	/* a bad checksum is refused */
	a[0] ^= 1;
	t = unpack_tar_new(want_all, got, &s, 4096);
	assert_int_equal(unpack_tar_sink(t, a, sizeof(a)), -EILSEQ);
	unpack_tar_free(t);
}

static size_t cpio_add(uint8_t *p, const char *name, unsigned mode, const char *data)
{
	size_t nl = strlen(name) + 1, dl = strlen(data), n;

	n = (size_t)sprintf((char *)p, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08zx%08x", 1, mode, 0, 0,
			    1, 0, (unsigned)dl, 0, 0, 0, 0, nl, 0);
	memcpy(p + n, name, nl);
	n += nl;
	while (n % 4)
		p[n++] = 0;
	memcpy(p + n, data, dl);
	n += dl;
	while (n % 4)
		p[n++] = 0;
	return n;
}

static void test_cpio_and_codecs(void **state)
{
	static uint8_t a[4096], z[4096];
	struct vpmem_kernel k;
	struct vpmem_err err = { 0 };
	size_t n = 0, early;
	uLongf zl = sizeof(z);
	z_stream zs = { 0 };

	(void)state;
	/* an early archive (uncompressed), padding, then a gzip'ed one */
	n += cpio_add(a + n, "kernel/x86/microcode/GenuineIntel.bin", 0100644, "ucode");
	n += cpio_add(a + n, "TRAILER!!!", 0, "");
	memset(a + n, 0, 12);
	n += 12;
	early = n;
	{
		static uint8_t b[2048];
		size_t m = 0;

		m += cpio_add(b + m, "usr/lib/modules/6.1/kernel/drivers/nvdimm/nd_pmem.ko.xz", 0100644, "x");
		m += cpio_add(b + m, "lib/modules/6.1/kernel/drivers/acpi/nfit/nfit.ko", 0100644, "x");
		m += cpio_add(b + m, "lib/modules/6.1/kernel/drivers/dax", 040755, "");
		m += cpio_add(b + m, "lib/modules/6.1/modules.dep", 0100644, "");
		m += cpio_add(b + m, "TRAILER!!!", 0, "");
		assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = b;
		zs.avail_in = (uInt)m;
		zs.next_out = z;
		zs.avail_out = (uInt)zl;
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		zl = zs.total_out;
		deflateEnd(&zs);
	}
	memcpy(a + early, z, zl);
	n = early + zl;
	memset(&k, 0, sizeof(k));
	assert_int_equal(vpmem_kernel_scan_initrd(&k, a, n, "initrd", &err), 0);
	assert_true(k.modules_known);
	assert_int_equal(k.modules.n, 2);
	assert_true(vpmem_kernel_has_module(&k, "nd_pmem"));
	assert_true(vpmem_kernel_has_module(&k, "nfit"));
	vpmem_kernel_close(&k);

	/* a damaged compressed tail is an error, with a message */
	a[early + zl / 2] ^= 0xff;
	a[early + zl / 2 + 1] ^= 0xff;
	memset(&k, 0, sizeof(k));
	assert_true(vpmem_kernel_scan_initrd(&k, a, n, "initrd", &err) < 0);
	assert_true(err.msg[0]);
	vpmem_kernel_close(&k);

	assert_int_equal(unpack_sniff((const uint8_t *)"\x28\xb5\x2f\xfd", 4), UNPACK_ZSTD);
	assert_int_equal(unpack_sniff((const uint8_t *)"\x02\x21\x4c\x18", 4), UNPACK_LZ4);
	assert_int_equal(unpack_sniff((const uint8_t *)"\xfd" "7zXZ", 6), UNPACK_XZ);
	assert_int_equal(unpack_sniff((const uint8_t *)"BZh9", 4), UNPACK_BZIP2);
	assert_int_equal(unpack_stream(UNPACK_BZIP2, (const uint8_t *)"BZh9", 4, 100, NULL, NULL, "x", &err),
			 -EOPNOTSUPP);
}

static void test_ar(void **state)
{
	static const char ar[] = "!<arch>\n"
		"debian-binary   0           0     0     100644  4         `\n2.0\n"
		"control.tar.xz  0           0     0     100644  3         `\nabc\n"
		"data.tar.zst/   0           0     0     100644  2         `\nxy";
	const uint8_t *d;
	size_t sz;
	char name[17];

	(void)state;
	assert_int_equal(unpack_ar_find((const uint8_t *)ar, sizeof(ar) - 1, "data.tar", name, &d, &sz), 0);
	assert_string_equal(name, "data.tar.zst");
	assert_int_equal(sz, 2);
	assert_memory_equal(d, "xy", 2);
	assert_int_equal(unpack_ar_find((const uint8_t *)ar, sizeof(ar) - 2, "data.tar", name, &d, &sz), -EILSEQ);
	assert_int_equal(unpack_ar_find((const uint8_t *)ar, sizeof(ar) - 1, "nope", name, &d, &sz), -ENOENT);
	assert_int_equal(unpack_ar_find((const uint8_t *)"!<arc", 5, "x", name, &d, &sz), -ENODEV);
}

/* run's cache: read back instead of the kernel, invalidated when a file changes */
static void test_cache(void **state)
{
	char dir[] = "/tmp/vpmem-kcache-XXXXXX", cfg[64], cache[80], cmd[256];
	struct vpmem_kernel_req req = { 0 };
	struct vpmem_kernel k;
	struct vpmem_err err = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cfg, sizeof(cfg), "%s/config-6.99", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	f = fopen(cfg, "w");
	fputs("CONFIG_VIRTIO_PMEM=m\nCONFIG_LIBNVDIMM=y\nCONFIG_UNRELATED=y\n", f);
	fclose(f);
	req.kernel = cfg;
	assert_int_equal(vpmem_kernel_open_cached(&req, cache, &k, &err), 0);
	assert_int_equal(vpmem_kconfig_tristate(k.config, "VIRTIO_PMEM"), 'm');
	assert_string_equal(k.release, "6.99");
	vpmem_kernel_close(&k);
	/* the cache holds the table's options only, and is what is read next */
	snprintf(cmd, sizeof(cmd), "grep -q UNRELATED %s/* || sed -i 's/^CONFIG_VIRTIO_PMEM=m/CONFIG_VIRTIO_PMEM=y/' %s/*",
		 cache, cache);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(vpmem_kernel_open_cached(&req, cache, &k, &err), 0);
	assert_int_equal(vpmem_kconfig_tristate(k.config, "VIRTIO_PMEM"), 'y');
	assert_string_equal(k.config_from, cfg);
	vpmem_kernel_close(&k);
	/* a changed file is a new key */
	f = fopen(cfg, "a");
	fputs("CONFIG_MORE=y\n", f);
	fclose(f);
	assert_int_equal(vpmem_kernel_open_cached(&req, cache, &k, &err), 0);
	assert_int_equal(vpmem_kconfig_tristate(k.config, "VIRTIO_PMEM"), 'm');
	vpmem_kernel_close(&k);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_tar),
		cmocka_unit_test(test_cpio_and_codecs),
		cmocka_unit_test(test_ar),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests_name("kconfig", tests, NULL, NULL);
}
