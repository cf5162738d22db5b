/* handlers/prometheus/write.c - the Prometheus endpoints that change the store: remote write
 * (POST /api/v1/write) and the admin API's delete_series.
 * SPDX-License-Identifier: MIT */
#include "ingest/remote.h"
#include "core/log.h"
#include "prom_int.h"
#include "query/promql/selector.h"

#include <string.h>

/* POST /api/v1/write: a snappy-compressed WriteRequest, stored in one transaction; 204. As
 * Prometheus's receiver, errors are plain text: 400 for a body that does not decode (nothing of
 * it is stored). */
int prom_remote_write(req_t *req, resp_t *resp, vg_err_t *err)
{
    ing_batch_t b;
    int rc;

    ing_batch_init(&b, req->arena);
    rc = ing_remote_parse(&b, req->body, req->body_len,
                          (size_t)req->conf->fcgi_max_decoded_mb << 20, err);
    if (rc == VG_OK)
        rc = prom_store_batch(req, &b, err);
    if (rc < 0) {
        err->subcode = PROM_SUB_PLAIN;
        return rc;
    }
    return resp_text(resp, 204, NULL, "", 0);
}

typedef struct {
    req_t *req;
    store_matcher_t **sets;
    size_t *nm, nsets;
    int64_t start, end;
    size_t deleted;
} prom_delete_t;

static int prom_delete_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_delete_t *x = arg;
    int rc;

    x->deleted = 0;
    for (size_t i = 0; i < x->nsets; i++) {
        size_t n = 0;

        rc = store_series_delete(st, txn, prom_project(x->req), x->sets[i], x->nm[i], x->start,
                                 x->end, x->req->arena, &n, err);
        if (rc < 0)
            return rc;
        x->deleted += n;
    }
    return VG_OK;
}

/* POST|PUT /api/v1/admin/tsdb/delete_series?match[]=&start=&end=: deletes the samples in the
 * range of every matching series, all selectors in one transaction; 204. Refused with 503
 * "admin APIs disabled" unless [prometheus] admin_api is on, as Prometheus without
 * --web.enable-admin-api. */
int prom_delete_series(req_t *req, resp_t *resp, vg_err_t *err)
{
    prom_delete_t x = {.req = req};
    const char **m;
    int rc;

    if (!req->conf->prometheus_admin_api)
        return vg_fail(err, VG_EUNAVAIL, "admin APIs disabled");
    x.nsets = req_args(req, "match[]", &m);
    if (x.nsets == 0)
        return vg_fail(err, VG_EINVAL, "no match[] parameter provided");
    if ((rc = prom_param_time(req, "start", PROM_MIN_TIME_MS, &x.start, err)) < 0 ||
        (rc = prom_param_time(req, "end", PROM_MAX_TIME_MS, &x.end, err)) < 0)
        return rc;
    x.sets = vg_arena_calloc(req->arena, x.nsets * sizeof *x.sets);
    x.nm = vg_arena_calloc(req->arena, x.nsets * sizeof *x.nm);
    /* the selector's own message, without the "invalid parameter" prefix of the read APIs */
    for (size_t i = 0; i < x.nsets; i++)
        if ((rc = pql_parse_selector(req->arena, m[i], &x.sets[i], &x.nm[i], err)) < 0)
            return rc;
    if ((rc = store_txn_run_write(req->store, prom_delete_txn, &x, err)) < 0)
        return rc;
    vg_log(LOG_INFO, "delete_series: %zu series touched", x.deleted);
    return resp_text(resp, 204, NULL, "", 0);
}
