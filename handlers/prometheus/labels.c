/* handlers/prometheus/labels.c - /labels, /label/{name}/values, /metadata, /status/buildinfo.
 * SPDX-License-Identifier: MIT */
#include "prom_int.h"

#include <stdlib.h>
#include <string.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "dev"
#endif

/* GET /api/v1/status/buildinfo - the Prometheus release whose API vigil serves. */
int prom_buildinfo(req_t *req, resp_t *resp, vg_err_t *err)
{
    json_object *d = json_object_new_object();

    json_object_object_add(d, "version", json_object_new_string("2.42.0"));
    json_object_object_add(d, "revision", json_object_new_string("vigil-" VIGIL_VERSION));
    json_object_object_add(d, "branch", json_object_new_string("vigil"));
    json_object_object_add(d, "buildUser", json_object_new_string("vigil"));
    json_object_object_add(d, "buildDate", json_object_new_string(""));
    json_object_object_add(d, "goVersion", json_object_new_string("none"));
    return prom_success(resp, d);
}

typedef struct {
    req_t *req;
    const char *name; /* NULL: label names */
    prom_sel_t *sel;
    const char **v;
    size_t n;
} prom_names_t;

static int prom_str_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Names or values over the series that match[] and the time range select. */
static int prom_names_selected(store_t *st, store_txn_t *txn, prom_names_t *x, vg_err_t *err)
{
    store_matcher_t has = {STORE_M_NEQ, x->name ? x->name : "__name__", "", NULL, NULL};
    store_matcher_t *hasp = &has;
    size_t hasn = 1;
    prom_sel_t all = *x->sel;
    store_series_t *s = NULL;
    size_t n, k = 0, total = 0;
    int rc;

    if (all.nsets == 0) { /* no match[]: every series (that has the label) */
        all.sets = &hasp;
        all.nm = &hasn;
        all.nsets = 1;
    }
    if ((rc = prom_select(st, txn, x->req, &all, &s, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        total += s[i].nlabels;
    x->v = vg_arena_alloc(x->req->arena, (total + 1) * sizeof *x->v);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s[i].nlabels; j++) {
            if (x->name == NULL)
                x->v[k++] = s[i].labels[j].name;
            else if (strcmp(s[i].labels[j].name, x->name) == 0)
                x->v[k++] = s[i].labels[j].value;
        }
    if (k > 1)
        qsort(x->v, k, sizeof *x->v, prom_str_cmp);
    x->n = 0;
    for (size_t i = 0; i < k; i++) /* distinct */
        if (x->n == 0 || strcmp(x->v[x->n - 1], x->v[i]) != 0)
            x->v[x->n++] = x->v[i];
    return VG_OK;
}

static int prom_names_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_names_t *x = arg;

    if (x->sel->nsets > 0 || x->sel->start != PROM_MIN_TIME_MS || x->sel->end != PROM_MAX_TIME_MS)
        return prom_names_selected(st, txn, x, err);
    /* the whole project: straight from the postings index */
    if (x->name == NULL)
        return store_series_label_names(st, txn, prom_project(x->req), x->req->arena, &x->v, &x->n,
                                        err);
    return store_series_label_values(st, txn, prom_project(x->req), x->name, x->req->arena, &x->v,
                                     &x->n, err);
}

static int prom_names(req_t *req, resp_t *resp, const char *name, vg_err_t *err)
{
    prom_sel_t sel = {0};
    prom_names_t x = {req, name, &sel, NULL, 0};
    int rc;

    if ((rc = prom_param_time(req, "start", PROM_MIN_TIME_MS, &sel.start, err)) < 0 ||
        (rc = prom_param_time(req, "end", PROM_MAX_TIME_MS, &sel.end, err)) < 0)
        return rc;
    if ((rc = prom_parse_matches(req, &sel, err)) < 0)
        return rc;
    if ((rc = store_txn_run(req->store, prom_names_txn, &x, err)) < 0)
        return rc;
    json_object *d = json_object_new_array_ext((int)x.n);

    for (size_t i = 0; i < x.n; i++)
        json_object_array_add(d, json_object_new_string(x.v[i]));
    return prom_success(resp, d);
}

/* GET|POST /api/v1/labels */
int prom_labels(req_t *req, resp_t *resp, vg_err_t *err)
{
    return prom_names(req, resp, NULL, err);
}

/* GET /api/v1/label/{name}/values */
int prom_label_values(req_t *req, resp_t *resp, vg_err_t *err)
{
    const char *name = req_param(req, "name");

    /* Prometheus checks the name against the label grammar */
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (p > name && *p >= '0' && *p <= '9')))
            return vg_fail(err, VG_EINVAL, "invalid label name: \"%s\"", name);
    return prom_names(req, resp, name, err);
}

typedef struct {
    req_t *req;
    const char *metric;
    ing_meta_t *m;
    size_t n;
} prom_meta_t;

static int prom_meta_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_meta_t *x = arg;

    return store_series_metadata(st, txn, prom_project(x->req), x->metric, x->req->arena, &x->m,
                                 &x->n, err);
}

/* GET /api/v1/metadata?metric=&limit= */
int prom_metadata(req_t *req, resp_t *resp, vg_err_t *err)
{
    const char *limit = req_arg(req, "limit");
    prom_meta_t x = {req, req_arg(req, "metric"), NULL, 0};
    long lim = -1;
    int rc;

    if (x.metric != NULL && *x.metric == '\0')
        x.metric = NULL;
    if (limit != NULL && *limit != '\0') {
        char *end;

        lim = strtol(limit, &end, 10);
        if (*end != '\0')
            return vg_fail(err, VG_EINVAL, "limit must be a number");
    }
    if ((rc = store_txn_run(req->store, prom_meta_txn, &x, err)) < 0)
        return rc;
    json_object *d = json_object_new_object();

    for (size_t i = 0; i < x.n && (lim < 0 || (long)i < lim); i++) {
        json_object *arr = json_object_new_array(), *e = json_object_new_object();

        json_object_object_add(e, "type",
                               json_object_new_string(*x.m[i].type ? x.m[i].type : "unknown"));
        json_object_object_add(e, "help", json_object_new_string(x.m[i].help));
        json_object_object_add(e, "unit", json_object_new_string(x.m[i].unit));
        json_object_array_add(arr, e);
        json_object_object_add(d, x.m[i].metric, arr);
    }
    return prom_success(resp, d);
}
