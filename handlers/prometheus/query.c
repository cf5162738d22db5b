/* handlers/prometheus/query.c - the PromQL endpoints: /query and /query_range (parsed, then
 * evaluated in one read transaction under the query timeout and sample limit), /format_query,
 * and /query_exemplars (vigil keeps no exemplars: an empty list once the query parses).
 * SPDX-License-Identifier: MIT */
#include "core/buf.h"
#include "core/time.h"
#include "prom_int.h"
#include "query/promql/eval.h"
#include "query/promql/format.h"
#include "query/promql/parser.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Prometheus refuses range queries of more points than this per series. */
#define PROM_MAX_POINTS 11000

/* A duration parameter as Prometheus's API takes it: float seconds or a PromQL duration. */
static int prom_param_duration(const req_t *req, const char *name, int64_t *ms, int *present,
                               vg_err_t *err)
{
    const char *s = req_arg(req, name);
    char *end;
    double f;

    *present = s != NULL && *s != '\0';
    if (!*present)
        return VG_OK;
    f = strtod(s, &end);
    if (end != s && *end == '\0' && !isnan(f)) {
        if (f * 1e9 > 9.2e18 || f * 1e9 < -9.2e18)
            return vg_fail(err, VG_EINVAL,
                           "invalid parameter \"%s\": cannot parse \"%s\" to a valid duration. "
                           "It overflows int64",
                           name, s);
        *ms = (int64_t)(f * 1000);
        return VG_OK;
    }
    if (vg_duration_parse(s, ms) == 0)
        return VG_OK;
    return vg_fail(err, VG_EINVAL,
                   "invalid parameter \"%s\": cannot parse \"%s\" to a valid duration", name, s);
}

/* A required time parameter (query_range's start and end). */
static int prom_param_time_req(const req_t *req, const char *name, int64_t *ms, vg_err_t *err)
{
    const char *s = req_arg(req, name);

    if (s == NULL || *s == '\0')
        return vg_fail(err, VG_EINVAL,
                       "invalid parameter \"%s\": cannot parse \"\" to a valid timestamp", name);
    return prom_param_time(req, name, 0, ms, err);
}

/* Parses the query parameter; errors as Prometheus's invalidParamError words them. */
static int prom_parse_query(req_t *req, pql_node_t **root, vg_err_t *err)
{
    const char *q = req_arg(req, "query");
    int rc = pql_parse(req->arena, q ? q : "", root, err);

    if (rc < 0) {
        char *msg = vg_arena_strdup(req->arena, err->msg);

        return vg_fail(err, rc, "invalid parameter \"query\": %s", msg);
    }
    return VG_OK;
}

typedef struct {
    pql_eval_opts_t o;
    const pql_node_t *root;
    pql_value_t v;
} prom_query_t;

static int prom_query_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    prom_query_t *x = arg;

    x->o.st = st;
    x->o.txn = txn;
    return pql_eval(&x->o, x->root, &x->v, err);
}

/* Parses and evaluates; answers the success envelope or an error in Prometheus's types. */
static int prom_run(req_t *req, resp_t *resp, int64_t start, int64_t end, int64_t step,
                    vg_err_t *err)
{
    prom_query_t x = {0};
    pql_node_t *root;
    int64_t timeout = (int64_t)req->conf->query_timeout_s * 1000, to;
    int present, rc;
    vg_buf_t b;

    if ((rc = prom_param_duration(req, "timeout", &to, &present, err)) < 0)
        return rc;
    if (present && to < timeout)
        timeout = to;
    if ((rc = prom_parse_query(req, &root, err)) < 0)
        return rc;
    if (step > 0 && root->type != PQL_TYPE_SCALAR && root->type != PQL_TYPE_VECTOR)
        return vg_fail(err, VG_EINVAL,
                       "invalid parameter \"query\": invalid expression type \"%s\" for range "
                       "query, must be Scalar or instant Vector",
                       pql_type_str(root->type));
    x.root = root;
    x.o = (pql_eval_opts_t){.project = prom_project(req),
                            .a = req->arena,
                            .start = start,
                            .end = end,
                            .step = step,
                            .lookback_ms = (int64_t)req->conf->query_lookback_delta_s * 1000,
                            .max_samples = (size_t)req->conf->query_max_samples,
                            .deadline_us = vg_mono_us() + timeout * 1000};
    if ((rc = store_txn_run(req->store, prom_query_txn, &x, err)) < 0) {
        /* what the evaluator refuses is Prometheus's execution error (422) */
        if (rc == VG_EINVAL)
            err->code = rc = VG_ELIMIT;
        return rc;
    }
    vg_buf_init(&b, req->arena);
    vg_buf_adds(&b, "{\"status\":\"success\",\"data\":");
    pql_json_value(&b, &x.v);
    vg_buf_addc(&b, '}');
    return resp_text(resp, 200, "application/json", b.p, b.len);
}

/* GET|POST /api/v1/query?query=&time=&timeout= */
int prom_query(req_t *req, resp_t *resp, vg_err_t *err)
{
    int64_t t;
    int rc;

    if ((rc = prom_param_time(req, "time", req->now_ms, &t, err)) < 0)
        return rc;
    return prom_run(req, resp, t, t, 0, err);
}

/* GET|POST /api/v1/query_range?query=&start=&end=&step=&timeout= */
int prom_query_range(req_t *req, resp_t *resp, vg_err_t *err)
{
    int64_t start, end, step;
    int present, rc;

    if ((rc = prom_param_time_req(req, "start", &start, err)) < 0 ||
        (rc = prom_param_time_req(req, "end", &end, err)) < 0)
        return rc;
    if (end < start)
        return vg_fail(err, VG_EINVAL, "end timestamp must not be before start time");
    if ((rc = prom_param_duration(req, "step", &step, &present, err)) < 0)
        return rc;
    if (!present)
        return vg_fail(err, VG_EINVAL,
                       "invalid parameter \"step\": cannot parse \"\" to a valid duration");
    if (step <= 0)
        return vg_fail(err, VG_EINVAL,
                       "zero or negative query resolution step widths are not "
                       "accepted. Try a positive integer");
    if ((end - start) / step > PROM_MAX_POINTS)
        return vg_fail(err, VG_EINVAL,
                       "exceeded maximum resolution of 11,000 points per timeseries. Try "
                       "decreasing the query resolution (?step=XX)");
    return prom_run(req, resp, start, end, step, err);
}

/* GET|POST /api/v1/format_query?query= */
int prom_format_query(req_t *req, resp_t *resp, vg_err_t *err)
{
    pql_node_t *root;
    int rc;

    if ((rc = prom_parse_query(req, &root, err)) < 0)
        return rc;
    return prom_success(resp, json_object_new_string(pql_format(req->arena, root)));
}

/* GET|POST /api/v1/query_exemplars?query=&start=&end= */
int prom_query_exemplars(req_t *req, resp_t *resp, vg_err_t *err)
{
    const char *q = req_arg(req, "query");
    int64_t start, end;
    pql_node_t *root;
    int rc;

    if ((rc = prom_param_time(req, "start", PROM_MIN_TIME_MS, &start, err)) < 0 ||
        (rc = prom_param_time(req, "end", PROM_MAX_TIME_MS, &end, err)) < 0)
        return rc;
    if (end < start)
        return vg_fail(err, VG_EINVAL, "end timestamp must not be before start timestamp");
    if ((rc = pql_parse(req->arena, q ? q : "", &root, err)) < 0)
        return rc;
    return prom_success(resp, json_object_new_array());
}
