/* core/fs.h - small filesystem helpers.
 * SPDX-License-Identifier: MIT */
#ifndef VG_FS_H
#define VG_FS_H

#include "err.h"

/* Creates path and its missing parents with mode. VG_OK, or VG_EUNAVAIL naming the reason. */
int vg_mkdirs(const char *path, int mode, vg_err_t *err);

#endif
