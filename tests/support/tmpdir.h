/* tests/support/tmpdir.h - a fresh directory per test, removed afterwards.
 * SPDX-License-Identifier: MIT */
#ifndef TEST_TMPDIR_H
#define TEST_TMPDIR_H

/* Creates a new directory under $TMPDIR (or /tmp) and returns its malloc'd path. */
char *test_tmpdir_new(void);
/* Removes the directory tree and frees the path. */
void test_tmpdir_free(char *path);

#endif
