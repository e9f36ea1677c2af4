/* SPDX-License-Identifier: MIT */
/* A fresh directory for unit tests that need real files: made by
 * tmpdir_setup() (mkdtemp), removed whole by tmpdir_teardown() (it holds only
 * what the tests made), names in it by at(). Include after <cmocka.h>. */
#ifndef VPMEM_TEST_TMPDIR_H
#define VPMEM_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[] = "/tmp/vpmem-unit-XXXXXX";

static int tmpdir_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int tmpdir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* "DIR/NAME"; the last four results stay valid */
static inline const char *at(const char *name)
{
	static char p[4][256];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

#endif
