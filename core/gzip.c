/* core/gzip.c - zlib inflate of gzip bodies, growing an output buffer up to a limit.
 * SPDX-License-Identifier: MIT */
#include "gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Frees a partly filled output buffer and the zlib state on the failure paths. */
static int vg_gunzip_fail(z_stream *z, char *buf, int rc)
{
    inflateEnd(z);
    free(buf);
    return rc;
}

int vg_gunzip(vg_arena_t *a, const void *in, size_t len, size_t max, char **out, size_t *outlen,
              vg_err_t *err)
{
    z_stream z;
    size_t cap = len * 4 + 64, n = 0;
    char *buf;
    int zr;

    if (len < 10 || ((const unsigned char *)in)[0] != 0x1f ||
        ((const unsigned char *)in)[1] != 0x8b)
        return vg_fail(err, VG_EINVAL, len == 0 ? "EOF" : "gzip: invalid header");
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return vg_fail(err, VG_EINTERNAL, "gzip: cannot initialise zlib");
    if (cap > max + 1)
        cap = max + 1;
    buf = malloc(cap + 1);
    if (buf == NULL)
        return vg_gunzip_fail(&z, NULL, vg_fail(err, VG_EINTERNAL, "out of memory"));
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    for (;;) {
        if (n == cap) {
            char *grown;

            if (n > max)
                break;
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            if ((grown = realloc(buf, cap + 1)) == NULL)
                return vg_gunzip_fail(&z, buf, vg_fail(err, VG_EINTERNAL, "out of memory"));
            buf = grown;
        }
        z.next_out = (Bytef *)buf + n;
        z.avail_out = (uInt)(cap - n);
        zr = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            /* another member follows, as gzip readers take it */
            if (inflateReset(&z) != Z_OK)
                return vg_gunzip_fail(&z, buf, vg_fail(err, VG_EINVAL, "gzip: invalid header"));
            continue;
        }
        if (zr == Z_DATA_ERROR) {
            const char *m = z.msg ? z.msg : "";

            /* zlib: "incorrect header check", "unknown compression method", "incorrect data
             * check", "incorrect length check"; anything else is in the deflate data */
            if (strstr(m, "header") != NULL || strstr(m, "method") != NULL)
                return vg_gunzip_fail(&z, buf, vg_fail(err, VG_EINVAL, "gzip: invalid header"));
            if (strstr(m, "check") != NULL)
                return vg_gunzip_fail(&z, buf, vg_fail(err, VG_EINVAL, "gzip: invalid checksum"));
            return vg_gunzip_fail(&z, buf,
                                  vg_fail(err, VG_EINVAL, "flate: corrupt input before offset %lu",
                                          (unsigned long)z.total_in));
        }
        if (zr == Z_BUF_ERROR && z.avail_in == 0)
            return vg_gunzip_fail(&z, buf, vg_fail(err, VG_EINVAL, "unexpected EOF"));
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            return vg_gunzip_fail(&z, buf, vg_fail(err, VG_EINTERNAL, "gzip: zlib error %d", zr));
    }
    if (n > max)
        return vg_gunzip_fail(&z, buf,
                              vg_fail(err, VG_ETOOBIG,
                                      "gzip: decompressed body exceeds the limit of %zu bytes",
                                      max));
    inflateEnd(&z);
    *out = vg_arena_alloc(a, n + 1);
    memcpy(*out, buf, n);
    (*out)[n] = '\0';
    *outlen = n;
    free(buf);
    return VG_OK;
}
