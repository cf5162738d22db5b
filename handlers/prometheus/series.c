/* handlers/prometheus/series.c - match[] selectors and /api/v1/series.
 * SPDX-License-Identifier: MIT */
#include "prom_int.h"
#include "query/promql/selector.h"

#include <stdlib.h>
#include <string.h>

int prom_parse_matches(req_t *req, prom_sel_t *sel, vg_err_t *err)
{
    const char **m;
    int rc;

    sel->nsets = req_args(req, "match[]", &m);
    sel->sets = vg_arena_calloc(req->arena, (sel->nsets + 1) * sizeof *sel->sets);
    sel->nm = vg_arena_calloc(req->arena, (sel->nsets + 1) * sizeof *sel->nm);
    for (size_t i = 0; i < sel->nsets; i++) {
        vg_err_t perr = {0};

        if ((rc = pql_parse_selector(req->arena, m[i], &sel->sets[i], &sel->nm[i], &perr)) < 0) {
            if (perr.subcode == PQL_SUB_EMPTY_SELECTOR) /* Prometheus's API says it this way */
                return vg_fail(err, VG_EINVAL,
                               "match[] must contain at least one non-empty matcher");
            return vg_fail(err, VG_EINVAL, "invalid parameter \"match[]\": %s", perr.msg);
        }
    }
    return VG_OK;
}

static int prom_id_cmp(const void *x, const void *y)
{
    uint64_t a = ((const store_series_t *)x)->id, b = ((const store_series_t *)y)->id;

    return a < b ? -1 : a > b;
}

int prom_select(store_t *st, store_txn_t *txn, req_t *req, const prom_sel_t *sel,
                store_series_t **out, size_t *n, vg_err_t *err)
{
    int bounded = sel->start != PROM_MIN_TIME_MS || sel->end != PROM_MAX_TIME_MS;
    store_series_t *all = NULL;
    size_t total = 0;
    int rc;

    for (size_t i = 0; i < sel->nsets; i++) {
        store_series_t *s;
        size_t ns;

        rc = store_series_select(st, txn, prom_project(req), sel->sets[i], sel->nm[i], req->arena,
                                 &s, &ns, err);
        if (rc < 0)
            return rc;
        if (total == 0 && !bounded) { /* the common case: one selector, no range */
            all = s;
            total = ns;
            continue;
        }
        store_series_t *grown = vg_arena_alloc(req->arena, (total + ns + 1) * sizeof *grown);

        if (total)
            memcpy(grown, all, total * sizeof *grown);
        for (size_t j = 0; j < ns; j++) {
            if (bounded) {
                rc = store_series_has_samples(st, txn, s[j].id, sel->start, sel->end, err);
                if (rc < 0)
                    return rc;
                if (rc == 0)
                    continue;
            }
            grown[total++] = s[j];
        }
        all = grown;
    }
    /* a series matched by two selectors is listed once */
    if (sel->nsets > 1 && total > 1) {
        size_t u = 1;

        qsort(all, total, sizeof *all, prom_id_cmp);
        for (size_t j = 1; j < total; j++)
            if (all[j].id != all[u - 1].id)
                all[u++] = all[j];
        total = u;
    }
    *out = all;
    *n = total;
    return VG_OK;
}

typedef struct {
    req_t *req;
    prom_sel_t *sel;
    store_series_t *s;
    size_t n;
} prom_series_t;

static int prom_series_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_series_t *x = arg;

    x->s = NULL;
    return prom_select(st, txn, x->req, x->sel, &x->s, &x->n, err);
}

/* GET|POST /api/v1/series?match[]=...&start=&end= */
int prom_series(req_t *req, resp_t *resp, vg_err_t *err)
{
    prom_sel_t sel = {0};
    prom_series_t x = {req, &sel, NULL, 0};
    int rc;

    if ((rc = prom_param_time(req, "start", PROM_MIN_TIME_MS, &sel.start, err)) < 0 ||
        (rc = prom_param_time(req, "end", PROM_MAX_TIME_MS, &sel.end, err)) < 0)
        return rc;
    if ((rc = prom_parse_matches(req, &sel, err)) < 0)
        return rc;
    if (sel.nsets == 0)
        return vg_fail(err, VG_EINVAL, "no match[] parameter provided");
    if ((rc = store_txn_run(req->store, prom_series_txn, &x, err)) < 0)
        return rc;
    if (x.n > 1)
        qsort(x.s, x.n, sizeof *x.s, store_series_cmp);
    json_object *d = json_object_new_array_ext((int)x.n);

    for (size_t i = 0; i < x.n; i++) {
        json_object *o = json_object_new_object();

        for (size_t j = 0; j < x.s[i].nlabels; j++)
            json_object_object_add(o, x.s[i].labels[j].name,
                                   json_object_new_string(x.s[i].labels[j].value));
        json_object_array_add(d, o);
    }
    return prom_success(resp, d);
}
