/* ingest/batch.h - the one batch type every ingest parser fills and store/series writes in one
 * transaction: samples of labelled series, metric metadata, and (for line protocol) the raw
 * points the stream log keeps. Everything lives in the batch's arena.
 * SPDX-License-Identifier: MIT */
#ifndef ING_BATCH_H
#define ING_BATCH_H

#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* Prometheus's staleness marker: a NaN with this exact bit pattern. Any other NaN is a value. */
#define ING_STALE_BITS 0x7ff0000000000002ull

double ing_stale_nan(void);
int ing_is_stale(double v);

typedef struct {
    const char *name, *value;
} ing_label_t;

/* Sorts a label set by name: insertion sort, since sets are small and usually sorted already. */
void ing_labels_sort(ing_label_t *ls, size_t n);

typedef struct {
    ing_label_t *labels; /* sorted by name, names unique, includes __name__ */
    size_t nlabels;
    int64_t t_ms;
    double v;
} ing_sample_t;

typedef struct {
    const char *metric; /* the metric family name */
    const char *type;   /* "counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
                           "stateset", "unknown" (Prometheus's /metadata words); NULL = unset */
    const char *unit;   /* NULL = unset */
    const char *help;   /* NULL = unset */
} ing_meta_t;

typedef enum { ING_F_FLOAT, ING_F_INT, ING_F_UINT, ING_F_BOOL, ING_F_STRING } ing_ftype_t;

typedef struct {
    const char *key;
    ing_ftype_t type;
    double f;      /* ING_F_FLOAT */
    int64_t i;     /* ING_F_INT */
    uint64_t u;    /* ING_F_UINT */
    int b;         /* ING_F_BOOL */
    const char *s; /* ING_F_STRING, unescaped, NUL-terminated */
} ing_field_t;

typedef struct {
    const char *measurement;
    ing_label_t *tags; /* in the order written */
    size_t ntags;
    ing_field_t *fields;
    size_t nfields;
    int64_t t_ns;
} ing_point_t;

typedef struct ing_batch ing_batch_t;

/* Takes the batch's samples (b->samples[0..nsamples)) somewhere durable; they are dropped when
 * it returns VG_OK. Its error code reaches the parser's caller unchanged. */
typedef int (*ing_flush_fn)(ing_batch_t *b, void *arg, vg_err_t *err);

struct ing_batch {
    vg_arena_t *arena;   /* strings, metadata, points: everything the whole body needs */
    vg_arena_t *scratch; /* samples and their label sets: reset at each flush (else = arena) */
    ing_sample_t *samples;
    size_t nsamples, cap_samples;
    ing_meta_t *meta;
    size_t nmeta, cap_meta;
    uint32_t *meta_slots; /* hash index of meta by metric (private to batch.c) */
    size_t nslots;
    ing_point_t *points;
    size_t npoints, cap_points;
    ing_flush_fn flush;
    void *flush_arg;
    size_t flush_every;
    const ing_label_t *extra; /* labels every sample gets (ing_batch_set_extra) */
    size_t nextra;
};

void ing_batch_init(ing_batch_t *b, vg_arena_t *a);
/* Makes the batch hand its samples to fn whenever ing_batch_add_sample finds flush_every of them
 * waiting, so a large body needs memory for that many samples, not for all of them. Samples and
 * label sets then live in scratch, which is reset after each flush. Metadata and points stay. */
void ing_batch_set_flush(ing_batch_t *b, vg_arena_t *scratch, size_t flush_every, ing_flush_fn fn,
                         void *arg);
/* Gives every sample added from now on these labels, replacing a label of the same name (the
 * import endpoint's extra_label). The array is lent: it must outlive the batch. */
void ing_batch_set_extra(ing_batch_t *b, const ing_label_t *extra, size_t n);
/* Hands the waiting samples (if any) to the flush function now. */
int ing_batch_flush(ing_batch_t *b, vg_err_t *err);
/* Appends a sample; labels are copied into the arena and sorted by name. Returns VG_EINVAL
 * (message names the label) for a duplicate label name, an empty name, or no __name__; with a
 * flush function set, it may flush first and return that function's error. */
int ing_batch_add_sample(ing_batch_t *b, const ing_label_t *labels, size_t n, int64_t t_ms,
                         double v, vg_err_t *err);
/* Appends a sample of the same series as the last one added (there must be one); never
 * flushes, so a series's samples stay together. */
int ing_batch_add_same(ing_batch_t *b, int64_t t_ms, double v);
/* Returns the metadata entry for metric, adding an empty one if absent (strings are lent: the
 * caller stores arena strings into it). */
ing_meta_t *ing_batch_meta(ing_batch_t *b, const char *metric);
/* Appends a point; the caller fills it with arena memory. */
ing_point_t *ing_batch_add_point(ing_batch_t *b);

#endif
