/* store/stream.h - the stream log: every line-protocol write, in commit order, for the Kapacitor
 * task runner and recordings. Each record keeps what re-parsing needs to give the same points:
 * db, rp, precision, the time used for points written without one, and the body as received.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_STREAM_H
#define STORE_STREAM_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t seq;
    const char *db, *rp, *precision; /* lent for the callback only */
    int64_t now_ns;
    const char *body;
    size_t len;
} store_stream_rec_t;

/* Appends a record under the next sequence number (the first is 1). Appenders queue on the
 * log's tail until the transaction holding it resolves, so sequence order is commit order and
 * a reader that saw seq N never later finds a new record below N. */
int store_stream_append(store_t *st, store_txn_t *txn, const char *db, const char *rp,
                        const char *precision, int64_t now_ns, const char *body, size_t len,
                        uint64_t *seq, vg_err_t *err);

/* Calls fn for up to max records with seq > after, in order; fn's non-zero return stops the
 * walk and is returned. */
typedef int (*store_stream_fn)(const store_stream_rec_t *rec, void *arg);
int store_stream_read(store_t *st, store_txn_t *txn, uint64_t after, size_t max, store_stream_fn fn,
                      void *arg, vg_err_t *err);

/* The bytes the log holds now. */
int store_stream_size(store_t *st, store_txn_t *txn, uint64_t *bytes, vg_err_t *err);

/* Drops the oldest records until the log holds at most max_bytes (the newest record always
 * stays); *removed counts them. */
int store_stream_trim(store_t *st, store_txn_t *txn, uint64_t max_bytes, size_t *removed,
                      vg_err_t *err);

#endif
