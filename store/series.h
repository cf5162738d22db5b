/* store/series.h - the series store every numeric API reads and writes: a catalog of labelled
 * series per project (tenant), a postings index for matchers, compressed sample chunks and metric
 * metadata. Reads and writes take the project: it is the first component of every catalog,
 * postings and metadata key, so no matcher can reach another project's series.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_SERIES_H
#define STORE_SERIES_H

#include "chunk.h"
#include "ingest/batch.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Samples per chunk: a chunk is split when it would grow past this. */
#define STORE_CHUNK_MAX 240

typedef enum { STORE_M_EQ, STORE_M_NEQ, STORE_M_RE, STORE_M_NRE } store_mtype_t;

typedef struct {
    store_mtype_t type;
    const char *name, *value;
    /* STORE_M_RE/NRE: the caller's compiled pattern (query/ owns the regex library); returns 1
     * when value matches the whole pattern. */
    int (*re_match)(const void *re, const char *value);
    const void *re;
} store_matcher_t;

typedef struct {
    uint64_t id;
    ing_label_t *labels; /* sorted by name, __name__ included */
    size_t nlabels;
} store_series_t;

/* qsort order of store_series_t by label set (name, then value, label by label). */
int store_series_cmp(const void *x, const void *y);

/* True when value satisfies m (a missing label has the value ""). */
int store_matcher_matches(const store_matcher_t *m, const char *value);

/* Writes every sample and metadata entry of b for project in txn. Series are created on first
 * sight; samples merge into the chunk covering their time, however old; a sample whose
 * timestamp exists replaces it (within b, the last one wins). */
int store_series_append(store_t *st, store_txn_t *txn, const char *project, const ing_batch_t *b,
                        vg_err_t *err);

/* Samples a streamed ingest keeps waiting before writing them (about 6 MiB of batch and
 * append state). */
#define STORE_INGEST_FLUSH 32768

typedef struct {
    const char *project;
    /* fills b (a parser); runs again from scratch when the transaction is retried */
    int (*fill)(ing_batch_t *b, void *arg, vg_err_t *err);
    /* when not NULL, runs last in the same transaction (e.g. the stream log append) */
    int (*after)(store_t *st, store_txn_t *txn, const ing_batch_t *b, void *arg, vg_err_t *err);
    void *arg;
    size_t flush_every;       /* 0 = STORE_INGEST_FLUSH */
    const ing_label_t *extra; /* ing_batch_set_extra for every sample */
    size_t nextra;
    size_t samples; /* out: samples written */
} store_ingest_t;

/* One streamed write in one transaction: fill() parses into a batch on arena a whose samples
 * are appended every flush_every samples as they come (their memory reused), then the rest and
 * the metadata, then after(). Memory stays bounded by flush_every samples (plus what fill keeps
 * in a), whatever the body's size, and it is all or nothing: if fill fails, nothing is stored. */
int store_series_ingest(store_t *st, store_ingest_t *in, vg_arena_t *a, vg_err_t *err);

/* The series of project matching every matcher, sorted by label set, in the arena. An empty
 * matcher list selects every series of the project. */
int store_series_select(store_t *st, store_txn_t *txn, const char *project,
                        const store_matcher_t *m, size_t nm, vg_arena_t *a, store_series_t **out,
                        size_t *n, vg_err_t *err);

/* The samples of series id with mint <= t <= maxt, sorted by time, in the arena. Each chunk is
 * decoded once, straight from the database's buffer into the result. */
int store_series_samples(store_t *st, store_txn_t *txn, uint64_t id, int64_t mint, int64_t maxt,
                         vg_arena_t *a, store_sample_t **out, size_t *n, vg_err_t *err);

/* True (1) when series id has a sample in [mint, maxt]; 0 when not. */
int store_series_has_samples(store_t *st, store_txn_t *txn, uint64_t id, int64_t mint, int64_t maxt,
                             vg_err_t *err);

/* Sorted distinct label names of project, or values of label name. */
int store_series_label_names(store_t *st, store_txn_t *txn, const char *project, vg_arena_t *a,
                             const char ***out, size_t *n, vg_err_t *err);
int store_series_label_values(store_t *st, store_txn_t *txn, const char *project, const char *name,
                              vg_arena_t *a, const char ***out, size_t *n, vg_err_t *err);

/* Deletes the samples in [mint, maxt] of every series of project matching m; a series left
 * without samples leaves the catalog and the postings. *deleted counts the series touched. */
int store_series_delete(store_t *st, store_txn_t *txn, const char *project,
                        const store_matcher_t *m, size_t nm, int64_t mint, int64_t maxt,
                        vg_arena_t *a, size_t *deleted, vg_err_t *err);

/* Metadata of project: all entries (metric == NULL) or one metric's, sorted by metric. */
int store_series_metadata(store_t *st, store_txn_t *txn, const char *project, const char *metric,
                          vg_arena_t *a, ing_meta_t **out, size_t *n, vg_err_t *err);

#endif
