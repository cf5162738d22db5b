/* core/err.h - the one error convention: functions return VG_OK or a negative VG_E* code and fill
 * a vg_err_t with the message in the client's words; one renderer per API maps it to a response.
 * SPDX-License-Identifier: MIT */
#ifndef VG_ERR_H
#define VG_ERR_H

#include "arena.h"

#include <stddef.h>

enum {
    VG_OK = 0,
    VG_EINVAL = -1,
    VG_ENOTFOUND = -2,
    VG_ECONFLICT = -3,
    VG_ETOOBIG = -4,
    VG_EAUTH = -5,
    VG_EDENIED = -6,
    VG_ELIMIT = -7,
    VG_ETIMEOUT = -8,
    VG_EINTERNAL = -9,
    VG_ERETRY = -10,   /* store-internal deadlock; never leaves store/ */
    VG_EMETHOD = -11,  /* path known, method not: the router's 405 */
    VG_EUNAVAIL = -12, /* a dependency (the store) cannot be used now: 503 */
    VG_EHEADERS = -13, /* request header fields too many or too large: 431 */
};

typedef struct {
    const char *title, *detail, *source;
} vg_err_item_t; /* one per failing field/line */

typedef struct {
    int code;    /* VG_E* */
    int subcode; /* API-specific (0 = none) */
    char msg[512];
    vg_err_item_t *items; /* arena-allocated detail list */
    size_t nitems, cap;
} vg_err_t;

/* Fills *err and returns code: `return vg_fail(err, VG_EINVAL, "...", ...);`. err may be NULL. */
int vg_fail(vg_err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends one detail item to err's list; the strings must live in a (or longer). */
void vg_err_add(vg_err_t *err, vg_arena_t *a, const char *title, const char *detail,
                const char *source);
/* A short stable name for a code ("invalid", "not_found", ...), for logs and generic bodies. */
const char *vg_err_name(int code);
/* The HTTP status a code maps to when an API has no rule of its own. */
int vg_err_http_status(int code);

#endif
