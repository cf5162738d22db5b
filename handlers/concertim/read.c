/* handlers/concertim/read.c - the Concertim current and historic views (specs/concertim.md §3.3,
 * §3.4): the snapshot the last processing run left, and the recorded history bucketed into
 * rrdtool's --align-start grid. Every route is GET and unauthenticated; each reads in one
 * transaction, so it never sees half a run. Numbers print as Go's encoding/json prints them.
 * SPDX-License-Identifier: MIT */
#include "core/buf.h"
#include "core/num.h"
#include "mrd_int.h"
#include "store/mrd.h"

#include <errno.h>
#include <json-c/printbuf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The epoch second below which rrdtool fetch refuses a start ("after 1980"). */
#define MRD_FETCH_MIN_START (3600LL * 24 * 365 * 10)

/* ---- numbers and values ---- */

/* v as Go's encoding/json writes a float64, into buf (VG_FTOA_MAX bytes): the shortest digits
 * that read back, in fixed notation from 1e-6 up to 1e21, else as "1e+21", "1.5e-7". */
static const char *mrd_fmt_float(double v, char *buf)
{
    double a = fabs(v);
    char e[40], *x;

    if (a == 0 || (a >= 1e-6 && a < 1e21)) {
        vg_ftoa_go(v, buf);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* Go's encoder shortens a two-digit negative exponent: e-07 → e-7 */
    x = strchr(e, 'e');
    if (x != NULL && x[1] == '-' && x[2] == '0' && x[3] != '\0' && x[4] == '\0') {
        x[2] = x[3];
        x[3] = '\0';
    }
    snprintf(buf, VG_FTOA_MAX, "%s", e);
    return buf;
}

/* A canonical value as §3.3 types it: integer types as JSON integers, float and double as
 * numbers read from their 6-decimal string, string as a string (and, as upstream, the string
 * whenever a number does not parse). */
static json_object *mrd_value_json(mrd_type_t t, const char *v)
{
    char buf[VG_FTOA_MAX], *end;

    switch (t) {
    case MRD_T_INT8:
    case MRD_T_INT16:
    case MRD_T_INT32: {
        long long x;

        errno = 0;
        x = strtoll(v, &end, 10);
        if (*v != '\0' && *end == '\0' && errno == 0)
            return json_object_new_int64(x);
        break;
    }
    case MRD_T_UINT8:
    case MRD_T_UINT16:
    case MRD_T_UINT32: {
        unsigned long long x;

        errno = 0;
        x = strtoull(v, &end, 10);
        if (*v != '\0' && *v != '-' && *end == '\0' && errno == 0)
            return json_object_new_uint64(x);
        break;
    }
    case MRD_T_FLOAT:
    case MRD_T_DOUBLE: {
        double d = strtod(v, &end);

        if (*v != '\0' && *end == '\0' && isfinite(d))
            return json_object_new_double_s(d, mrd_fmt_float(d, buf));
        break;
    }
    default:
        break;
    }
    return json_object_new_string(v);
}

/* ---- streamed JSON (the historic grids can hold hundreds of thousands of rows) ---- */

static int mrd_raw_serialize(json_object *o, struct printbuf *pb, int level, int flags)
{
    const vg_buf_t *b = json_object_get_userdata(o);

    return printbuf_memappend(pb, b->p, (int)b->len);
}

/* A JSON value that serialises as b's text (which must outlive it: arena memory). */
static json_object *mrd_raw(vg_buf_t *b)
{
    json_object *o = json_object_new_object();

    json_object_set_serializer(o, mrd_raw_serialize, b, NULL);
    return o;
}

static void mrd_buf_string(vg_buf_t *b, const char *s)
{
    json_object *o = json_object_new_string(s);

    vg_buf_adds(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

/* [{"timestamp":...,"value":...},...] */
static void mrd_buf_rows(vg_buf_t *b, const mrd_row_t *rows, size_t n)
{
    char num[VG_FTOA_MAX];

    vg_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        vg_buf_printf(b, "%s{\"timestamp\":%lld,\"value\":%s}", i ? "," : "", (long long)rows[i].ts,
                      rows[i].has ? mrd_fmt_float(rows[i].v, num) : "null");
    }
    vg_buf_addc(b, ']');
}

/* ---- current views (§3.3) ---- */

typedef struct {
    vg_arena_t *a;
    const char *key; /* device or metric */
    int waiting;     /* before the first run */
    int missing;     /* the device or metric is not in the last run */
    mrd_current_t *cur;
    mrd_unique_t *uniq;
    size_t n;
} mrd_cur_q_t;

/* Sets q->waiting before the first run (VG_OK then: nothing else to read). */
static int mrd_cur_begin(store_t *st, store_txn_t *txn, mrd_cur_q_t *q, vg_err_t *err)
{
    int64_t last;
    uint64_t runs;
    int rc = mrd_run_state(st, txn, &last, &runs, err);

    q->waiting = rc == VG_ENOTFOUND;
    q->missing = 0;
    q->n = 0;
    return rc == VG_ENOTFOUND ? VG_OK : rc;
}

/* rc of a current read: VG_ENOTFOUND is the view's 404 */
static int mrd_cur_end(mrd_cur_q_t *q, int rc)
{
    q->missing = rc == VG_ENOTFOUND;
    return rc == VG_ENOTFOUND ? VG_OK : rc;
}

static int mrd_unique_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_cur_q_t *q = arg;
    int rc = mrd_cur_begin(st, txn, q, err);

    if (rc != VG_OK || q->waiting)
        return rc;
    return mrd_cur_end(q, mrd_current_unique(st, txn, q->a, &q->uniq, &q->n, err));
}

/* Runs fn; the 503 before the first run, the 404 (detail what) when the key is not in it. */
static int mrd_cur_read(req_t *req, store_txn_fn fn, mrd_cur_q_t *q, const char *what,
                        vg_err_t *err)
{
    int rc = store_txn_run(req->store, fn, q, err);

    if (rc != VG_OK)
        return rc;
    if (q->waiting)
        return mrd_fail(req, err, 503, "Service Unavailable", "Waiting on metric processing run");
    if (q->missing)
        return mrd_fail(req, err, 404, "Not Found", "%s", what);
    return VG_OK;
}

/* GET /metrics/current, /metrics/unique */
int mrd_metrics_current(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_cur_q_t q = {.a = req->arena};
    json_object *list;
    int rc = mrd_cur_read(req, mrd_unique_txn, &q, "", err);

    if (rc != VG_OK)
        return rc;
    list = json_object_new_array_ext((int)q.n);
    for (size_t i = 0; i < q.n; i++) {
        const mrd_unique_t *u = &q.uniq[i];
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_string(u->name));
        json_object_object_add(o, "max", u->max ? mrd_value_json(u->minmax_type, u->max) : NULL);
        json_object_object_add(o, "min", u->min ? mrd_value_json(u->minmax_type, u->min) : NULL);
        json_object_object_add(o, "name", json_object_new_string(u->name));
        json_object_object_add(o, "nature", json_object_new_string(u->nature));
        json_object_object_add(o, "units", json_object_new_string(u->units));
        json_object_array_add(list, o);
    }
    return mrd_json(resp, 200, list);
}

static int mrd_metric_cur_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_cur_q_t *q = arg;
    int rc = mrd_cur_begin(st, txn, q, err);

    if (rc != VG_OK || q->waiting)
        return rc;
    return mrd_cur_end(q, mrd_current_metric(st, txn, q->key, q->a, &q->cur, &q->n, err));
}

/* GET /metrics/{name}/current, /metrics/{name}/values */
int mrd_metric_current(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_cur_q_t q = {.a = req->arena, .key = req_param(req, "name")};
    json_object *list;
    int rc = mrd_cur_read(req, mrd_metric_cur_txn, &q, "Metric not found", err);

    if (rc != VG_OK)
        return rc;
    list = json_object_new_array_ext((int)q.n);
    for (size_t i = 0; i < q.n; i++) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_string(q.cur[i].device));
        json_object_object_add(o, "value", mrd_value_json(q.cur[i].type, q.cur[i].value));
        json_object_array_add(list, o);
    }
    return mrd_json(resp, 200, list);
}

static int mrd_device_cur_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_cur_q_t *q = arg;
    int rc = mrd_cur_begin(st, txn, q, err);

    if (rc != VG_OK || q->waiting)
        return rc;
    return mrd_cur_end(q, mrd_current_device(st, txn, q->key, q->a, &q->cur, &q->n, err));
}

/* GET /devices/{id}/metrics/current */
int mrd_device_current(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_cur_q_t q = {.a = req->arena, .key = req_param(req, "id")};
    json_object *list;
    int rc = mrd_cur_read(req, mrd_device_cur_txn, &q, "Host not found", err);

    if (rc != VG_OK)
        return rc;
    list = json_object_new_array_ext((int)q.n);
    for (size_t i = 0; i < q.n; i++) {
        const mrd_current_t *c = &q.cur[i];
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_string(c->name));
        json_object_object_add(o, "name", json_object_new_string(c->name));
        json_object_object_add(o, "nature", json_object_new_string(mrd_nature(c->type, c->slope)));
        json_object_object_add(o, "units", json_object_new_string(c->units));
        json_object_object_add(o, "value", mrd_value_json(c->type, c->value));
        json_object_array_add(list, o);
    }
    return mrd_json(resp, 200, list);
}

/* ---- historic names (§3.4) ---- */

typedef struct {
    vg_arena_t *a;
    const char *device; /* NULL: every device */
    int known;
    const char **names;
    size_t n;
} mrd_names_q_t;

static int mrd_names_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_names_q_t *q = arg;
    int rc;

    q->n = 0;
    if (q->device != NULL) {
        if ((rc = mrd_device_known(st, txn, q->device, err)) < 0)
            return rc;
        if (!(q->known = rc))
            return VG_OK;
    }
    return mrd_hist_metrics(st, txn, q->device, q->a, &q->names, &q->n, err);
}

static int mrd_names(req_t *req, resp_t *resp, const char *device, vg_err_t *err)
{
    mrd_names_q_t q = {.a = req->arena, .device = device, .known = 1};
    json_object *list;
    int rc = store_txn_run(req->store, mrd_names_txn, &q, err);

    if (rc != VG_OK)
        return rc;
    if (!q.known)
        return mrd_fail(req, err, 404, "Not Found", "Host not found");
    list = json_object_new_array_ext((int)q.n);
    for (size_t i = 0; i < q.n; i++) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_string(q.names[i]));
        json_object_object_add(o, "name", json_object_new_string(q.names[i]));
        json_object_array_add(list, o);
    }
    return mrd_json(resp, 200, list);
}

/* GET /metrics/historic */
int mrd_metrics_historic(req_t *req, resp_t *resp, vg_err_t *err)
{
    return mrd_names(req, resp, NULL, err);
}

/* GET /devices/{id}/metrics/historic */
int mrd_device_historic(req_t *req, resp_t *resp, vg_err_t *err)
{
    return mrd_names(req, resp, req_param(req, "id"), err);
}

/* ---- historic values (§3.4) ---- */

typedef struct {
    int64_t start, end, res;
    const char *bad; /* rrdtool fetch's refusal of the range, or NULL */
} mrd_window_t;

/* Go's strconv.ParseInt(s, 10, 64): the first problem from the left decides the reason. */
static int mrd_parse_int(const char *s, int64_t *out, const char **why)
{
    const char *p = s;
    uint64_t n = 0;
    int neg = 0;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == '\0') {
        *why = "invalid syntax";
        return -1;
    }
    for (; *p; p++) {
        unsigned d = (unsigned)(*p - '0');

        if (*p < '0' || *p > '9') {
            *why = "invalid syntax";
            return -1;
        }
        if (n >= UINT64_MAX / 10 + 1 || n * 10 > UINT64_MAX - d) {
            *why = "value out of range";
            return -1;
        }
        n = n * 10 + d;
    }
    if ((!neg && n >= (uint64_t)1 << 63) || (neg && n > (uint64_t)1 << 63)) {
        *why = "value out of range";
        return -1;
    }
    *out = neg ? (int64_t)(0 - n) : (int64_t)n;
    return 0;
}

static int mrd_parse_time(req_t *req, const char *s, int64_t *out, vg_err_t *err)
{
    const char *why;

    if (mrd_parse_int(s, out, &why) == 0)
        return VG_OK;
    return mrd_fail(req, err, 400, "Bad Request",
                    "Time format '%s' is not valid: %s. It should be integer number of seconds "
                    "since the unix epoch.",
                    s, why);
}

/* What rrdtool fetch refuses (upstream: a 500 on the device routes, a skipped device on the
 * others); and our own bound on the grid. */
static int mrd_window_check(req_t *req, mrd_window_t *w, vg_err_t *err)
{
    int64_t rows;

    if (w->start < MRD_FETCH_MIN_START) {
        w->bad = "the first entry to fetch should be after 1980";
        return VG_OK;
    }
    if (w->end < w->start) {
        w->bad = vg_arena_sprintf(req->arena, "start (%lld) should be less than end (%lld)",
                                  (long long)w->start, (long long)w->end);
        return VG_OK;
    }
    rows = mrd_grid_rows(w->start, w->end, w->res);
    if (rows > MRD_MAX_ROWS)
        return mrd_fail(req, err, 400, "Bad Request",
                        "%lld to %lld at %lld s is %lld rows: at most %d can be fetched",
                        (long long)w->start, (long long)w->end, (long long)w->res, (long long)rows,
                        MRD_MAX_ROWS);
    return VG_OK;
}

/* /historic/last/{duration}: hour (−1h at 15 s), day (−1d at 5 min), quarter (−90d at 1 h), up
 * to now. */
static int mrd_window_last(req_t *req, mrd_window_t *w, vg_err_t *err)
{
    static const struct {
        const char *name;
        int64_t span, res;
    } lasts[] = {{"hour", 3600, 15}, {"day", 86400, 300}, {"quarter", 90 * 86400, 3600}};
    const char *d = req_param(req, "duration");

    for (size_t i = 0; i < sizeof lasts / sizeof lasts[0]; i++) {
        if (strcmp(d, lasts[i].name) == 0) {
            w->end = req->now_ms / 1000;
            w->start = w->end - lasts[i].span;
            w->res = lasts[i].res;
            return mrd_window_check(req, w, err);
        }
    }
    return mrd_fail(req, err, 400, "Bad Request",
                    "%s is not a valid LastDuration, try [hour, day, quarter]", d);
}

/* /historic/{start}/{end}: start parsed (and reported) first; the resolution by the span. */
static int mrd_window_range(req_t *req, mrd_window_t *w, vg_err_t *err)
{
    int rc;

    if ((rc = mrd_parse_time(req, req_param(req, "start"), &w->start, err)) != VG_OK ||
        (rc = mrd_parse_time(req, req_param(req, "end"), &w->end, err)) != VG_OK)
        return rc;
    /* Go's time.Sub saturates, so only the sign and size matter */
    if (w->end <= w->start || (uint64_t)w->end - (uint64_t)w->start <= 3600)
        w->res = 15;
    else if ((uint64_t)w->end - (uint64_t)w->start <= 86400)
        w->res = 300;
    else
        w->res = 3600;
    return mrd_window_check(req, w, err);
}

typedef struct {
    req_t *req;
    const char *device, *metric; /* device NULL: every device */
    mrd_window_t w;
    int64_t hb;
    int missing; /* 1 host not found, 2 metric not found */
    const char **devices;
    mrd_row_t **rows;
    size_t ndev, nrows;
} mrd_hist_q_t;

static int mrd_hist_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_hist_q_t *q = arg;
    vg_arena_t *a = q->req->arena;
    const char *project = q->req->conf->store_default_project;
    int64_t *first;
    size_t n = 0;
    int rc;

    q->missing = 0;
    q->ndev = q->nrows = 0;
    if (q->device != NULL) {
        int64_t f;

        if ((rc = mrd_device_known(st, txn, q->device, err)) <= 0) {
            q->missing = rc == 0;
            return rc;
        }
        if ((rc = mrd_hist_first(st, txn, q->device, q->metric, &f, err)) != VG_OK) {
            q->missing = rc == VG_ENOTFOUND ? 2 : 0;
            return rc == VG_ENOTFOUND ? VG_OK : rc;
        }
        if (q->w.bad != NULL)
            return VG_OK;
        q->devices = &q->device;
        q->rows = vg_arena_alloc(a, sizeof *q->rows);
        q->ndev = 1;
        return mrd_history(st, txn, project, q->device, q->metric, f, q->w.start, q->w.end,
                           q->w.res, q->hb, a, q->rows, &q->nrows, err);
    }
    /* every device that recorded the metric and is (still) known; none when the range is one
     * rrdtool refuses (upstream skips each device's failed fetch) */
    if (q->w.bad != NULL)
        return VG_OK;
    if ((rc = mrd_hist_devices(st, txn, q->metric, a, &q->devices, &first, &n, err)) != VG_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = mrd_device_known(st, txn, q->devices[i], err)) < 0)
            return rc;
        if (rc) {
            first[q->ndev] = first[i];
            q->devices[q->ndev++] = q->devices[i];
        }
    }
    if (q->ndev == 0)
        return VG_OK;
    q->rows = vg_arena_alloc(a, q->ndev * sizeof *q->rows);
    return mrd_history_many(st, txn, project, q->metric, q->devices, first, q->ndev, q->w.start,
                            q->w.end, q->w.res, q->hb, a, q->rows, &q->nrows, err);
}

static int mrd_hist_values(req_t *req, resp_t *resp, mrd_hist_q_t *q, vg_err_t *err)
{
    int step = req->conf->concertim_step_s;
    vg_buf_t *b;
    int rc;

    q->req = req;
    q->metric = req_param(req, "name");
    /* upstream's 120 s heartbeat, widened when runs are further apart than half of it */
    q->hb = 2 * (int64_t)step > MRD_HEARTBEAT_S ? 2 * (int64_t)step : MRD_HEARTBEAT_S;
    if ((rc = store_txn_run(req->store, mrd_hist_txn, q, err)) != VG_OK)
        return rc;
    if (q->missing)
        return mrd_fail(req, err, 404, "Not Found",
                        q->missing == 1 ? "Host not found" : "Metric not found");
    if (q->device != NULL && q->w.bad != NULL)
        return mrd_fail(req, err, 500, "Internal Server Error", "%s", q->w.bad);
    b = vg_arena_alloc(req->arena, sizeof *b);
    vg_buf_init(b, req->arena);
    if (q->device != NULL) {
        mrd_buf_rows(b, q->rows[0], q->nrows);
        return mrd_json(resp, 200, mrd_raw(b));
    }
    vg_buf_addc(b, '[');
    for (size_t i = 0; i < q->ndev; i++) {
        vg_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
        mrd_buf_string(b, q->devices[i]);
        vg_buf_adds(b, ",\"values\":");
        mrd_buf_rows(b, q->rows[i], q->nrows);
        vg_buf_addc(b, '}');
    }
    vg_buf_addc(b, ']');
    return mrd_json(resp, 200, mrd_raw(b));
}

/* GET /metrics/{name}/historic/last/{duration} */
int mrd_metric_historic_last(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_hist_q_t q = {0};
    int rc = mrd_window_last(req, &q.w, err);

    return rc != VG_OK ? rc : mrd_hist_values(req, resp, &q, err);
}

/* GET /metrics/{name}/historic/{start}/{end} */
int mrd_metric_historic_range(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_hist_q_t q = {0};
    int rc = mrd_window_range(req, &q.w, err);

    return rc != VG_OK ? rc : mrd_hist_values(req, resp, &q, err);
}

/* GET /devices/{id}/metrics/{name}/historic/last/{duration} */
int mrd_device_metric_last(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_hist_q_t q = {.device = req_param(req, "id")};
    int rc = mrd_window_last(req, &q.w, err);

    return rc != VG_OK ? rc : mrd_hist_values(req, resp, &q, err);
}

/* GET /devices/{id}/metrics/{name}/historic/{start}/{end} */
int mrd_device_metric_range(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_hist_q_t q = {.device = req_param(req, "id")};
    int rc = mrd_window_range(req, &q.w, err);

    return rc != VG_OK ? rc : mrd_hist_values(req, resp, &q, err);
}
