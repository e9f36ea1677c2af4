// SPDX-License-Identifier: MIT
/*
 * GRUB_CMDLINE_LINUX editing (pure) and the apply/remove transaction on real
 * files (lib/host/grub.c): only the assignment line changes; the record and
 * the backup beside the file; remove puts the line back byte for byte, or
 * takes out only vpmem's words when the line was edited since; a backup
 * from elsewhere is never removed; unsafe files are refused untouched.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "tmpdir.h"

#include <vpmem/file.h>
#include <vpmem/grub.h>

static const char debian[] =
	"# If you change this file, run 'update-grub' afterwards\n"
	"GRUB_DEFAULT=0\n"
	"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
	"GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n"
	"# GRUB_TERMINAL=console\n";

static char *slurp(const char *path)
{
	return vpmem_read_file(path, 1 << 20, NULL);
}

static void put(const char *path, const char *text, unsigned mode)
{
	assert_int_equal(vpmem_file_replace(path, text, strlen(text), mode, NULL), 0);
}

static void test_edit(void **state)
{
	static const char *const add[] = { "memmap=4G!4G", NULL }, *const rem[] = { "memmap=2G!4G", NULL };
	char *out = NULL;
	struct vpmem_err err = { 0 };

	(void)state;
	assert_int_equal(vpmem_grub_edit(debian, NULL, add, &out, &err), 0);
	assert_non_null(strstr(out, "GRUB_CMDLINE_LINUX=\"console=ttyS0 memmap=4G!4G\"\n"));
	assert_non_null(strstr(out, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n")); /* the other line stays */
	free(out);
	/* a missing assignment is appended */
	assert_int_equal(vpmem_grub_edit("GRUB_DEFAULT=0\n", NULL, add, &out, &err), 0);
	assert_string_equal(out, "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"memmap=4G!4G\"\n");
	free(out);
	/* take one word out, put another in */
	assert_int_equal(vpmem_grub_edit("GRUB_CMDLINE_LINUX='a memmap=2G!4G b'\n", rem, add, &out, &err), 0);
	assert_string_equal(out, "GRUB_CMDLINE_LINUX='a b memmap=4G!4G'\n");
	free(out);
	/* what cannot be edited safely is refused */
	assert_int_equal(vpmem_grub_edit("GRUB_CMDLINE_LINUX=\"a\"\nGRUB_CMDLINE_LINUX=\"b\"\n", NULL, add, &out, &err),
			 -EINVAL);
	assert_int_equal(vpmem_grub_edit("GRUB_CMDLINE_LINUX=\"a\n", NULL, add, &out, &err), -EINVAL);
	assert_int_equal(vpmem_grub_edit("GRUB_CMDLINE_LINUX=\"$(cat /x)\"\n", NULL, add, &out, &err), -EINVAL);
}

static void test_apply_remove(void **state)
{
	struct vpmem_grub_file f;
	struct vpmem_grub_change c;
	struct vpmem_err err = { 0 };
	struct stat st;
	char *text;

	(void)state;
	put(at("grub"), debian, 0640);
	/* dry: nothing written */
	assert_int_equal(vpmem_grub_read(at("grub"), &f, &err), 0);
	assert_int_equal(vpmem_grub_apply(&f, "memmap=4G!4G", true, &c, &err), 0);
	assert_true(c.changed);
	assert_string_equal(c.line, "GRUB_CMDLINE_LINUX=\"console=ttyS0 memmap=4G!4G\"");
	assert_int_equal(access(at("grub.vpmem"), F_OK), -1);
	vpmem_grub_change_free(&c);
	/* apply: record, backup, the file; its mode kept */
	assert_int_equal(vpmem_grub_apply(&f, "memmap=4G!4G", false, &c, &err), 0);
	assert_string_equal(c.backup, at("grub.vpmem.bak"));
	vpmem_grub_change_free(&c);
	vpmem_grub_file_free(&f);
	text = slurp(at("grub.vpmem.bak"));
	assert_string_equal(text, debian);
	free(text);
	assert_int_equal(stat(at("grub"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	text = slurp(at("grub.vpmem"));
	assert_non_null(strstr(text, "\"param\":\"memmap=4G!4G\""));
	free(text);
	/* again: nothing to change */
	assert_int_equal(vpmem_grub_read(at("grub"), &f, &err), 0);
	assert_int_equal(vpmem_grub_apply(&f, "memmap=4G!4G", false, &c, &err), 0);
	assert_false(c.changed);
	vpmem_grub_change_free(&c);
	/* another size replaces vpmem's word, the backup stays the first one */
	assert_int_equal(vpmem_grub_apply(&f, "memmap=8G!4G", false, &c, &err), 0);
	vpmem_grub_change_free(&c);
	vpmem_grub_file_free(&f);
	assert_int_equal(vpmem_grub_read(at("grub"), &f, &err), 0);
	assert_non_null(strstr(f.content, "GRUB_CMDLINE_LINUX=\"console=ttyS0 memmap=8G!4G\"\n"));
	text = slurp(at("grub.vpmem.bak"));
	assert_string_equal(text, debian);
	free(text);
	/* remove: the file as it was, byte for byte; record and backup gone */
	assert_int_equal(vpmem_grub_remove(&f, false, &c, &err), 0);
	assert_true(c.changed);
	assert_false(c.edited_since);
	assert_string_equal(c.param, "memmap=8G!4G");
	vpmem_grub_change_free(&c);
	vpmem_grub_file_free(&f);
	text = slurp(at("grub"));
	assert_string_equal(text, debian);
	free(text);
	assert_int_equal(access(at("grub.vpmem"), F_OK), -1);
	assert_int_equal(access(at("grub.vpmem.bak"), F_OK), -1);
	/* nothing recorded: nothing to remove */
	assert_int_equal(vpmem_grub_read(at("grub"), &f, &err), 0);
	assert_int_equal(vpmem_grub_remove(&f, false, &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no vpmem reservation recorded"));
	vpmem_grub_file_free(&f);
}

static void test_edited_since(void **state)
{
	struct vpmem_grub_file f;
	struct vpmem_grub_change c;
	struct vpmem_err err = { 0 };
	char *text;

	(void)state;
	put(at("g2"), debian, 0644);
	put(at("g2.vpmem.bak"), "someone else's backup\n", 0644);
	assert_int_equal(vpmem_grub_read(at("g2"), &f, &err), 0);
	assert_int_equal(vpmem_grub_apply(&f, "memmap=4G!4G", false, &c, &err), 0);
	vpmem_grub_change_free(&c);
	vpmem_grub_file_free(&f);
	/* the user adds a word after apply */
	put(at("g2"), "GRUB_CMDLINE_LINUX=\"console=ttyS0 memmap=4G!4G quiet\"\n", 0644);
	/* and replaces vpmem's backup with one of theirs */
	put(at("g2.vpmem.bak"), "mine now\n", 0644);
	assert_int_equal(vpmem_grub_read(at("g2"), &f, &err), 0);
	assert_int_equal(vpmem_grub_remove(&f, false, &c, &err), 0);
	assert_true(c.edited_since);
	assert_true(c.foreign_backup);
	vpmem_grub_change_free(&c);
	vpmem_grub_file_free(&f);
	text = slurp(at("g2"));
	assert_string_equal(text, "GRUB_CMDLINE_LINUX=\"console=ttyS0 quiet\"\n");
	free(text);
	assert_int_equal(access(at("g2.vpmem.bak"), F_OK), 0);
}

static void test_refused_untouched(void **state)
{
	static const char twice[] = "GRUB_CMDLINE_LINUX=\"a\"\nGRUB_CMDLINE_LINUX=\"b\"\n";
	struct vpmem_grub_file f;
	struct vpmem_grub_change c;
	struct vpmem_err err = { 0 };
	char *text;

	(void)state;
	put(at("g3"), twice, 0644);
	assert_int_equal(vpmem_grub_read(at("g3"), &f, &err), 0);
	assert_int_equal(vpmem_grub_apply(&f, "memmap=4G!4G", false, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "refused (left untouched)"));
	vpmem_grub_change_free(&c);
	vpmem_grub_file_free(&f);
	text = slurp(at("g3"));
	assert_string_equal(text, twice);
	free(text);
	assert_int_equal(access(at("g3.vpmem"), F_OK), -1);
	assert_int_equal(access(at("g3.vpmem.bak"), F_OK), -1);
	/* a link is followed: the file it names is edited, the link stays */
	put(at("g4"), debian, 0644);
	assert_int_equal(symlink(at("g4"), at("g4-link")), 0);
	assert_int_equal(vpmem_grub_read(at("g4-link"), &f, &err), 0);
	assert_string_equal(f.path, at("g4"));
	vpmem_grub_file_free(&f);
	/* a NUL byte: not a GRUB file */
	assert_int_equal(vpmem_file_replace(at("g5"), "A=1\0\n", 5, 0644, NULL), 0);
	assert_int_equal(vpmem_grub_read(at("g5"), &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "contains a NUL byte"));
}

/* The updater under a sysroot: the first installed of update-grub,
 * grub2-mkconfig, grub-mkconfig; none: NULL. Run it: plain argv, no shell. */
static void test_update_cmd(void **s)
{
	char buf[128], *out = NULL;
	struct vpmem_err err = { 0 };
	int st = -1, fd;

	(void)s;
	assert_null(vpmem_grub_update_cmd(dir, buf, sizeof(buf)));
	assert_int_equal(vpmem_mkdir_p(at("usr/sbin"), &err), 0);
	fd = open(at("usr/sbin/grub-mkconfig"), O_CREAT | O_WRONLY, 0644); /* not executable */
	assert_true(fd >= 0);
	close(fd);
	assert_null(vpmem_grub_update_cmd(dir, buf, sizeof(buf)));
	assert_int_equal(chmod(at("usr/sbin/grub-mkconfig"), 0755), 0);
	assert_string_equal(vpmem_grub_update_cmd(dir, buf, sizeof(buf)), "grub-mkconfig -o /boot/grub/grub.cfg");
	fd = open(at("usr/sbin/grub2-mkconfig"), O_CREAT | O_WRONLY, 0755);
	close(fd);
	assert_string_equal(vpmem_grub_update_cmd(dir, buf, sizeof(buf)), "grub2-mkconfig -o /boot/grub2/grub.cfg");
	fd = open(at("usr/sbin/update-grub"), O_CREAT | O_WRONLY, 0755);
	close(fd);
	assert_string_equal(vpmem_grub_update_cmd(dir, buf, sizeof(buf)), "update-grub");
	/* words, not a shell line: "echo a;b" is echo with one argument */
	assert_int_equal(vpmem_grub_update_run("echo -n a;b  c", &out, &st, &err), 0);
	assert_int_equal(st, 0);
	assert_string_equal(out, "a;b c");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_apply_remove),
		cmocka_unit_test(test_edited_since),
		cmocka_unit_test(test_refused_untouched),
		cmocka_unit_test(test_update_cmd),
	};

	return cmocka_run_group_tests_name("grub", tests, tmpdir_setup, tmpdir_teardown);
}
