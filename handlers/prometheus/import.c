/* handlers/prometheus/import.c - POST /api/v1/import/prometheus: a body of Prometheus text
 * 0.0.4 or OpenMetrics (by Content-Type) parsed and stored in one streamed transaction; 204 when
 * stored. Also the one-batch write that remote write uses.
 * SPDX-License-Identifier: MIT */
#include "ingest/expo.h"
#include "prom_int.h"

#include <string.h>

typedef struct {
    const char *project;
    const ing_batch_t *b;
} prom_batch_t;

static int prom_batch_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_batch_t *x = arg;

    return store_series_append(st, txn, x->project, x->b, err);
}

int prom_store_batch(req_t *req, const ing_batch_t *b, vg_err_t *err)
{
    prom_batch_t x = {prom_project(req), b};

    return store_txn_run_write(req->store, prom_batch_txn, &x, err);
}

/* The extra_label=name=value parameters, as labels every sample gets. */
static int prom_extra_labels(req_t *req, ing_label_t **out, size_t *n, vg_err_t *err)
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
    *out = add;
    *n = ne;
    return VG_OK;
}

typedef struct {
    req_t *req;
    int om;
} prom_import_t;

static int prom_import_fill(ing_batch_t *b, void *arg, vg_err_t *err)
{
    prom_import_t *x = arg;

    return ing_expo_parse(b, x->req->body, x->req->body_len, x->om, x->req->now_ms, err);
}

int prom_import(req_t *req, resp_t *resp, vg_err_t *err)
{
    prom_import_t x = {req, ing_expo_format_from_content_type(req->content_type)};
    store_ingest_t in = {.project = prom_project(req), .fill = prom_import_fill, .arg = &x};
    ing_label_t *extra = NULL;
    int rc;

    if (x.om < 0)
        return vg_fail(err, VG_EINVAL,
                       "unsupported Content-Type \"%s\": use text/plain (version 0.0.4) or "
                       "application/openmetrics-text",
                       req->content_type);
    if ((rc = prom_extra_labels(req, &extra, &in.nextra, err)) < 0)
        return rc;
    in.extra = extra;
    if ((rc = store_series_ingest(req->store, &in, req->arena, err)) < 0)
        return rc;
    return resp_text(resp, 204, NULL, "", 0);
}
