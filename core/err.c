/* core/err.c - vg_err_t helpers.
 * SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vg_fail(vg_err_t *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void vg_err_add(vg_err_t *err, vg_arena_t *a, const char *title, const char *detail,
                const char *source)
{
    if (err->nitems == err->cap) {
        size_t cap = err->cap ? err->cap * 2 : 8;
        vg_err_item_t *n = vg_arena_alloc(a, cap * sizeof *n);

        if (err->nitems)
            memcpy(n, err->items, err->nitems * sizeof *n);
        err->items = n;
        err->cap = cap;
    }
    err->items[err->nitems++] = (vg_err_item_t){title, detail, source};
}

const char *vg_err_name(int code)
{
    switch (code) {
    case VG_OK:
        return "ok";
    case VG_EINVAL:
        return "bad_request";
    case VG_ENOTFOUND:
        return "not_found";
    case VG_ECONFLICT:
        return "conflict";
    case VG_ETOOBIG:
        return "too_large";
    case VG_EAUTH:
        return "unauthorized";
    case VG_EDENIED:
        return "forbidden";
    case VG_ELIMIT:
        return "limit";
    case VG_ETIMEOUT:
        return "timeout";
    case VG_EMETHOD:
        return "method_not_allowed";
    case VG_EUNAVAIL:
        return "unavailable";
    case VG_EHEADERS:
        return "header_fields_too_large";
    default:
        return "internal";
    }
}

int vg_err_http_status(int code)
{
    switch (code) {
    case VG_OK:
        return 200;
    case VG_EINVAL:
        return 400;
    case VG_EAUTH:
        return 401;
    case VG_EDENIED:
        return 403;
    case VG_ENOTFOUND:
        return 404;
    case VG_EMETHOD:
        return 405;
    case VG_ECONFLICT:
        return 409;
    case VG_ETOOBIG:
        return 413;
    case VG_EHEADERS:
        return 431;
    case VG_ELIMIT:
        return 422;
    case VG_EUNAVAIL:
    case VG_ETIMEOUT:
        return 503;
    default:
        return 500;
    }
}
