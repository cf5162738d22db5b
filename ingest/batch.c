/* ingest/batch.c - growing the batch's arrays and canonical label sets.
 * SPDX-License-Identifier: MIT */
#include "batch.h"

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

static int ing_label_cmp(const void *x, const void *y)
{
    return strcmp(((const ing_label_t *)x)->name, ((const ing_label_t *)y)->name);
}

int ing_batch_add_sample(ing_batch_t *b, const ing_label_t *labels, size_t n, int64_t t_ms,
                         double v, vg_err_t *err)
{
    ing_label_t *ls = vg_arena_alloc(b->arena, (n ? n : 1) * sizeof *ls);
    int has_name = 0;

    memcpy(ls, labels, n * sizeof *ls);
    qsort(ls, n, sizeof *ls, ing_label_cmp);
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
    b->samples = ing_grow(b->arena, b->samples, b->nsamples, &b->cap_samples, sizeof *b->samples);
    b->samples[b->nsamples++] = (ing_sample_t){ls, n, t_ms, v};
    return VG_OK;
}

ing_meta_t *ing_batch_meta(ing_batch_t *b, const char *metric)
{
    for (size_t i = 0; i < b->nmeta; i++)
        if (strcmp(b->meta[i].metric, metric) == 0)
            return &b->meta[i];
    b->meta = ing_grow(b->arena, b->meta, b->nmeta, &b->cap_meta, sizeof *b->meta);
    b->meta[b->nmeta] = (ing_meta_t){vg_arena_strdup(b->arena, metric), NULL, NULL, NULL};
    return &b->meta[b->nmeta++];
}

ing_point_t *ing_batch_add_point(ing_batch_t *b)
{
    b->points = ing_grow(b->arena, b->points, b->npoints, &b->cap_points, sizeof *b->points);
    memset(&b->points[b->npoints], 0, sizeof *b->points);
    return &b->points[b->npoints++];
}
