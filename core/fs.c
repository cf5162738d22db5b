/* core/fs.c - filesystem helpers.
 * SPDX-License-Identifier: MIT */
#include "fs.h"

#include "mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int vg_mkdirs(const char *path, int mode, vg_err_t *err)
{
    char *p = vg_xstrdup(path);
    int rc = VG_OK;

    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;

        *s = '\0';
        if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
            rc = vg_fail(err, VG_EUNAVAIL, "cannot create %s: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}
