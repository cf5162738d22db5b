/* core/fs.h - small filesystem helpers.
 * SPDX-License-Identifier: MIT */
#ifndef VG_FS_H
#define VG_FS_H

#include "err.h"

#include <stddef.h>

/* Creates path and its missing parents with mode. VG_OK, or VG_EUNAVAIL naming the reason. */
int vg_mkdirs(const char *path, int mode, vg_err_t *err);

/* Reads the whole file into a malloc'd NUL-terminated *text (caller frees) of *len bytes.
 * VG_EINVAL naming the reason when it cannot be read, VG_ETOOBIG past max bytes. */
int vg_read_file(const char *path, size_t max, char **text, size_t *len, vg_err_t *err);

#endif
