/* ingest/batch.c - growing the batch's arrays and canonical label sets.
 * SPDX-License-Identifier: MIT */
#include "batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

double ing_stale_nan(void)
{
    uint64_t bits = ING_STALE_BITS;
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

int ing_is_stale(double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    return bits == ING_STALE_BITS;
}

void ing_batch_init(ing_batch_t *b, vg_arena_t *a)
{
    memset(b, 0, sizeof *b);
    b->arena = a;
    b->scratch = a;
}

void ing_batch_set_flush(ing_batch_t *b, vg_arena_t *scratch, size_t flush_every, ing_flush_fn fn,
                         void *arg)
{
    assert(b->nsamples == 0 && flush_every > 0);
    b->scratch = scratch;
    b->flush_every = flush_every;
    b->flush = fn;
    b->flush_arg = arg;
}

void ing_batch_set_extra(ing_batch_t *b, const ing_label_t *extra, size_t n)
{
    b->extra = extra;
    b->nextra = n;
}

int ing_batch_flush(ing_batch_t *b, vg_err_t *err)
{
    int rc;

    if (b->flush == NULL || b->nsamples == 0)
        return VG_OK;
    if ((rc = b->flush(b, b->flush_arg, err)) < 0)
        return rc;
    b->samples = NULL;
    b->nsamples = b->cap_samples = 0;
    vg_arena_reset(b->scratch);
    return VG_OK;
}

/* Grows an arena array of elem-sized items to hold one more. */
static void *ing_grow(vg_arena_t *a, void *arr, size_t n, size_t *cap, size_t elem)
{
    void *p;

    if (n < *cap)
        return arr;
    *cap = *cap ? *cap * 2 : 64;
    p = vg_arena_alloc(a, *cap * elem);
    if (n)
        memcpy(p, arr, n * elem);
    return p;
}

void ing_labels_sort(ing_label_t *ls, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        ing_label_t l = ls[i];
        size_t j = i;

        while (j > 0 && strcmp(ls[j - 1].name, l.name) > 0) {
            ls[j] = ls[j - 1];
            j--;
        }
        ls[j] = l;
    }
}

int ing_batch_add_sample(ing_batch_t *b, const ing_label_t *labels, size_t n, int64_t t_ms,
                         double v, vg_err_t *err)
{
    ing_label_t *ls;
    int has_name = 0, rc;

    if (b->flush != NULL && b->nsamples >= b->flush_every && (rc = ing_batch_flush(b, err)) < 0)
        return rc;
    ls = vg_arena_alloc(b->scratch, (n + b->nextra ? n + b->nextra : 1) * sizeof *ls);
    if (b->nextra == 0) {
        memcpy(ls, labels, n * sizeof *ls);
    } else {
        size_t kept = 0;

        for (size_t i = 0; i < n; i++) {
            size_t k = 0;

            while (k < b->nextra && strcmp(b->extra[k].name, labels[i].name) != 0)
                k++;
            if (k == b->nextra)
                ls[kept++] = labels[i];
        }
        memcpy(ls + kept, b->extra, b->nextra * sizeof *ls);
        n = kept + b->nextra;
    }
    ing_labels_sort(ls, n);
    for (size_t i = 0; i < n; i++) {
        if (ls[i].name[0] == '\0')
            return vg_fail(err, VG_EINVAL, "empty label name");
        if (i > 0 && strcmp(ls[i].name, ls[i - 1].name) == 0)
            return vg_fail(err, VG_EINVAL, "duplicate label name \"%s\"", ls[i].name);
        if (strcmp(ls[i].name, "__name__") == 0)
            has_name = ls[i].value[0] != '\0';
    }
    if (!has_name)
        return vg_fail(err, VG_EINVAL, "sample without a metric name");
    b->samples = ing_grow(b->scratch, b->samples, b->nsamples, &b->cap_samples, sizeof *b->samples);
    b->samples[b->nsamples++] = (ing_sample_t){ls, n, t_ms, v};
    return VG_OK;
}

int ing_batch_add_same(ing_batch_t *b, int64_t t_ms, double v)
{
    const ing_sample_t *last;

    assert(b->nsamples > 0);
    b->samples = ing_grow(b->scratch, b->samples, b->nsamples, &b->cap_samples, sizeof *b->samples);
    last = &b->samples[b->nsamples - 1];
    b->samples[b->nsamples++] = (ing_sample_t){last->labels, last->nlabels, t_ms, v};
    return VG_OK;
}

/* FNV-1a of a metric name, for the metadata index. */
static uint32_t ing_name_hash(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* Rebuilds the open-addressing index of b->meta (slots hold index + 1; 0 is empty) at twice
 * the entry capacity, so it is never more than half full. */
static void ing_meta_reindex(ing_batch_t *b)
{
    b->nslots = b->cap_meta * 2;
    b->meta_slots = vg_arena_alloc(b->arena, b->nslots * sizeof *b->meta_slots);
    memset(b->meta_slots, 0, b->nslots * sizeof *b->meta_slots);
    for (size_t i = 0; i < b->nmeta; i++) {
        size_t k = ing_name_hash(b->meta[i].metric) & (b->nslots - 1);

        while (b->meta_slots[k])
            k = (k + 1) & (b->nslots - 1);
        b->meta_slots[k] = (uint32_t)i + 1;
    }
}

ing_meta_t *ing_batch_meta(ing_batch_t *b, const char *metric)
{
    size_t k;

    if (b->nslots) {
        for (k = ing_name_hash(metric) & (b->nslots - 1); b->meta_slots[k];
             k = (k + 1) & (b->nslots - 1))
            if (strcmp(b->meta[b->meta_slots[k] - 1].metric, metric) == 0)
                return &b->meta[b->meta_slots[k] - 1];
    }
    size_t cap = b->cap_meta;

    b->meta = ing_grow(b->arena, b->meta, b->nmeta, &b->cap_meta, sizeof *b->meta);
    b->meta[b->nmeta] = (ing_meta_t){vg_arena_strdup(b->arena, metric), NULL, NULL, NULL};
    b->nmeta++;
    if (cap != b->cap_meta || b->nslots == 0) {
        ing_meta_reindex(b);
    } else {
        for (k = ing_name_hash(metric) & (b->nslots - 1); b->meta_slots[k];
             k = (k + 1) & (b->nslots - 1))
            ;
        b->meta_slots[k] = (uint32_t)b->nmeta;
    }
    return &b->meta[b->nmeta - 1];
}

ing_point_t *ing_batch_add_point(ing_batch_t *b)
{
    b->points = ing_grow(b->arena, b->points, b->npoints, &b->cap_points, sizeof *b->points);
    memset(&b->points[b->npoints], 0, sizeof *b->points);
    return &b->points[b->npoints++];
}
