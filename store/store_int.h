/* store/store_int.h - what the files of store/ share: the handle layout and error translation.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

#include <db.h>

struct store {
    DB_ENV *env;
    /* the databases, all opened by store_open (store_dbs[] in env.c) */
    DB *meta;
    DB *resources;
    DB *series;           /* project\0, id → canonical label set */
    DB *series_by_labels; /* project\0, canonical label set → id */
    DB *postings;         /* DUPSORT: project\0 name\0 value → id */
    DB *chunks;           /* id, chunk start → compressed samples */
    DB *metadata;         /* project\0 metric → type\0unit\0help */
    DB *stream;           /* seq → one line-protocol write (stream.c) */
    /* StackTach (events.c): raw tables, their associated indexes, and the derived data */
    DB *sk_raw_nova, *sk_raw_glance, *sk_raw_generic;
    DB *sk_idx_nova, *sk_idx_glance, *sk_idx_generic;
    DB *sk_text_nova, *sk_text_glance, *sk_text_generic; /* raw id → the stored text */
    DB *stacky;
    DB_SEQUENCE *series_seq;
    char *home;
    int write_fd; /* <home>/write.lock, this process's own: flock() serialises series writers */
    int max_retries;
    int panicked;
};

/* Maps a Berkeley DB return code to VG_*: DB_NOTFOUND → VG_ENOTFOUND, deadlock or lock timeout
 * → VG_ERETRY, DB_RUNRECOVERY → VG_EUNAVAIL (and marks st panicked); anything else is logged with
 * what and becomes VG_EINTERNAL. */
int store_rc(store_t *st, int dbrc, const char *what, vg_err_t *err);

/* The raw tables' secondary key callback (events.c), given to DB->associate by store_open. */
int sk_index_keys(DB *sec, const DBT *key, const DBT *data, DBT *result);

#endif
