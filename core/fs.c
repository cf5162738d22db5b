/* core/fs.c - filesystem helpers.
 * SPDX-License-Identifier: MIT */
#include "fs.h"

#include "mem.h"

#include <errno.h>
#include <stdio.h>
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

int vg_read_file(const char *path, size_t max, char **text, size_t *len, vg_err_t *err)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *buf;

    if (f == NULL)
        return vg_fail(err, VG_EINVAL, "cannot read %s: %s", path, strerror(errno));
    buf = vg_xmalloc(cap + 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);

        n += got;
        if (n > max) {
            free(buf);
            fclose(f);
            return vg_fail(err, VG_ETOOBIG, "%s is larger than %zu bytes", path, max);
        }
        if (got == 0)
            break;
        if (n == cap) {
            cap *= 2;
            buf = vg_xrealloc(buf, cap + 1);
        }
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return vg_fail(err, VG_EINVAL, "cannot read %s", path);
    }
    fclose(f);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return VG_OK;
}
