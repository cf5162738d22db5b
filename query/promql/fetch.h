/* query/promql/fetch.h - what the evaluator reads from the store: the series a selector matches
 * with their points over a time range (counted against the query's sample limit), and the
 * lookups on them: the instant-vector sample at a time (lookback delta, staleness) and a range
 * window's points (stale markers dropped).
 * SPDX-License-Identifier: MIT */
#ifndef PQL_FETCH_H
#define PQL_FETCH_H

#include "store/series.h"
#include "value.h"

#include <stddef.h>
#include <stdint.h>

/* One query's reading context. */
typedef struct {
    store_t *st;
    store_txn_t *txn;
    const char *project;
    vg_arena_t *a;
    size_t max_samples;  /* refused past this many points loaded (0 = no limit) */
    size_t loaded;       /* points loaded so far */
    int64_t deadline_us; /* vg_mono_us() deadline (0 = none) */
} pql_reader_t;

/* The series matching m[0..nm) with their points in [mint, maxt] (stale markers included),
 * sorted by label set, in r->a. VG_ELIMIT with Prometheus's "query processing would load too
 * many samples into memory in query execution" past r->max_samples; VG_ETIMEOUT past the
 * deadline. */
int pql_fetch(pql_reader_t *r, const store_matcher_t *m, size_t nm, int64_t mint, int64_t maxt,
              pql_series_t **out, size_t *n, vg_err_t *err);

/* VG_ETIMEOUT ("query timed out in <where>") once the reader's deadline has passed. */
int pql_check_deadline(const pql_reader_t *r, const char *where, vg_err_t *err);

/* The instant-vector value of s at t: its latest point in [t - lookback, t], unless that point
 * is a staleness marker. Returns 1 and *v, *pt, or 0 when there is none. */
int pql_value_at(const pql_series_t *s, int64_t t, int64_t lookback, double *v, int64_t *pt);

/* The index of the first point of s at or after t (s->n when none). */
size_t pql_lower_bound(const pql_series_t *s, int64_t t);

/* Copies the points of s in [from, to] without stale markers into out (room for the window's
 * point count: at most s->n); returns how many. */
size_t pql_window(const pql_series_t *s, int64_t from, int64_t to, store_sample_t *out);

#endif
