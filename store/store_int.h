/* store/store_int.h - what the files of store/ share: the handle layout and error translation.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

#include <db.h>

struct store {
    DB_ENV *env;
    DB *meta;
    DB *resources; /* opened on first use */
    char *home;
    int max_retries;
    int panicked;
};

/* Maps a Berkeley DB return code to VG_*: DB_NOTFOUND → VG_ENOTFOUND, deadlock or lock timeout
 * → VG_ERETRY, DB_RUNRECOVERY → VG_EUNAVAIL (and marks st panicked); anything else is logged with
 * what and becomes VG_EINTERNAL. */
int store_rc(store_t *st, int dbrc, const char *what, vg_err_t *err);

#endif
