/* handlers/prometheus/import.c - POST /api/v1/import/prometheus: a body of Prometheus text
 * 0.0.4 or OpenMetrics (by Content-Type) stored in one transaction; 204 when stored.
 * SPDX-License-Identifier: MIT */
#include "ingest/expo.h"
#include "prom_int.h"

#include <string.h>

typedef struct {
    const char *project;
    const ing_batch_t *b;
} prom_import_t;

static int prom_import_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_import_t *x = arg;

    return store_series_append(st, txn, x->project, x->b, err);
}

int prom_store_batch(req_t *req, const ing_batch_t *b, vg_err_t *err)
{
    prom_import_t x = {prom_project(req), b};

    return store_txn_run(req->store, prom_import_txn, &x, err);
}

/* Applies extra_label=name=value parameters to every sample: added, or replacing the label. */
static int prom_extra_labels(req_t *req, ing_batch_t *in, ing_batch_t *out, vg_err_t *err)
{
    const char **extra;
    size_t ne = req_args(req, "extra_label", &extra);
    ing_label_t *add = vg_arena_alloc(req->arena, (ne + 1) * sizeof *add);

    for (size_t i = 0; i < ne; i++) {
        const char *eq = strchr(extra[i], '=');

        if (eq == NULL || eq == extra[i])
            return vg_fail(err, VG_EINVAL,
                           "invalid parameter \"extra_label\": missing '=' in \"%s\"", extra[i]);
        add[i] =
            (ing_label_t){vg_arena_strndup(req->arena, extra[i], (size_t)(eq - extra[i])), eq + 1};
    }
    *out = *in;
    if (ne == 0)
        return VG_OK;
    out->samples = NULL; /* the same batch but for its samples, rebuilt below */
    out->nsamples = out->cap_samples = 0;
    for (size_t i = 0; i < in->nsamples; i++) {
        const ing_sample_t *s = &in->samples[i];
        ing_label_t *l = vg_arena_alloc(req->arena, (s->nlabels + ne) * sizeof *l);
        size_t n = 0;
        int rc;

        for (size_t j = 0; j < s->nlabels; j++) {
            size_t k = 0;

            while (k < ne && strcmp(add[k].name, s->labels[j].name) != 0)
                k++;
            if (k == ne)
                l[n++] = s->labels[j];
        }
        memcpy(l + n, add, ne * sizeof *l);
        if ((rc = ing_batch_add_sample(out, l, n + ne, s->t_ms, s->v, err)) < 0)
            return rc;
    }
    return VG_OK;
}

int prom_import(req_t *req, resp_t *resp, vg_err_t *err)
{
    int om = ing_expo_format_from_content_type(req->content_type);
    ing_batch_t b, out;
    int rc;

    if (om < 0)
        return vg_fail(err, VG_EINVAL,
                       "unsupported Content-Type \"%s\": use text/plain (version 0.0.4) or "
                       "application/openmetrics-text",
                       req->content_type);
    ing_batch_init(&b, req->arena);
    if ((rc = ing_expo_parse(&b, req->body, req->body_len, om, req->now_ms, err)) < 0)
        return rc;
    if ((rc = prom_extra_labels(req, &b, &out, err)) < 0)
        return rc;
    if ((rc = prom_store_batch(req, &out, err)) < 0)
        return rc;
    return resp_text(resp, 204, NULL, "", 0);
}
