/* handlers/concertim/api.c - the Concertim metric reporting daemon (specs/concertim.md) under
 * /mrd: the routes, the error shapes (JSON:API-like errors, plain-text 401/404, an empty 405),
 * GET /status, the JWT-authenticated PUT /{device}/metrics and the historical POST /token
 * behind [concertim] token_endpoint. The current and historic views are in read.c.
 * SPDX-License-Identifier: MIT */
#include "core/buf.h"
#include "core/json.h"
#include "core/jwt.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/time.h"
#include "ingest/mrd.h"
#include "mrd_int.h"
#include "store/mrd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* err->subcodes besides ingest/mrd.h's decode (400) and validation (422) ones */
#define MRD_SUB_AUTH 0x6d7266 /* 401, plain text: err->msg is the line */
#define MRD_SUB_JSON 0x6d7267 /* one {"title","detail"} error: items[0] */

#define MRD_MAX_BODY      (64 * 1024) /* a report is a few hundred bytes */
#define MRD_RELOAD_GAP_MS 5000 /* §5.1: an unknown device refreshes the map at most every 5 s */
#define MRD_SECRET_MAX    4096

int mrd_json(resp_t *resp, int status, json_object *root)
{
    size_t len;
    const char *text = vg_json_text(root, &len);
    vg_buf_t b;

    vg_buf_init(&b, resp->arena);
    /* Go's encoder escapes these for HTML; outside strings JSON text never holds them */
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '<')
            vg_buf_adds(&b, "\\u003c");
        else if (text[i] == '>')
            vg_buf_adds(&b, "\\u003e");
        else if (text[i] == '&')
            vg_buf_adds(&b, "\\u0026");
        else
            vg_buf_addc(&b, text[i]);
    }
    vg_buf_addc(&b, '\n');
    json_object_put(root);
    return resp_text(resp, status, "application/json; charset=utf-8", b.p, b.len);
}

int mrd_fail(req_t *req, vg_err_t *err, int status, const char *title, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    int code = status == 404   ? VG_ENOTFOUND
               : status == 503 ? VG_EUNAVAIL
               : status == 500 ? VG_EINTERNAL
                               : VG_EINVAL;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    vg_fail(err, code, "%s", detail);
    err->subcode = MRD_SUB_JSON;
    vg_err_add(err, req->arena, vg_arena_strdup(req->arena, title),
               vg_arena_strdup(req->arena, detail), NULL);
    return code;
}

static json_object *mrd_error_obj(int status, const char *title, const char *detail,
                                  const char *source)
{
    json_object *o = json_object_new_object();

    /* each member is omitted when empty or zero (Go's omitempty) */
    if (status != 0)
        json_object_object_add(o, "status", json_object_new_int(status));
    if (title != NULL && *title)
        json_object_object_add(o, "title", json_object_new_string(title));
    if (detail != NULL && *detail)
        json_object_object_add(o, "detail", json_object_new_string(detail));
    if (source != NULL && *source)
        json_object_object_add(o, "source", json_object_new_string(source));
    return o;
}

static int mrd_errors(resp_t *resp, int status, json_object *list)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "errors", list);
    json_object_object_add(o, "status", json_object_new_int(status));
    return mrd_json(resp, status, o);
}

static int mrd_render_error(req_t *req, resp_t *resp, const vg_err_t *err)
{
    json_object *list = json_object_new_array();
    int status;

    (void)req;
    if (err->subcode == FC_SUB_ROUTE && err->code == VG_ENOTFOUND) {
        json_object_put(list);
        return resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n", 19);
    }
    if (err->subcode == FC_SUB_ROUTE && err->code == VG_EMETHOD) {
        json_object_put(list);
        return resp_text(resp, 405, NULL, "", 0);
    }
    if (err->subcode == MRD_SUB_AUTH) {
        char *line = vg_arena_sprintf(resp->arena, "%s\n", err->msg);

        json_object_put(list);
        resp_header(resp, "X-Content-Type-Options", "nosniff");
        return resp_text(resp, 401, "text/plain; charset=utf-8", line, strlen(line));
    }
    if (err->subcode == MRD_SUB_INVALID) {
        for (size_t i = 0; i < err->nitems; i++)
            json_object_array_add(list, mrd_error_obj(422, err->items[i].title,
                                                      err->items[i].detail, err->items[i].source));
        return mrd_errors(resp, 422, list);
    }
    if (err->subcode == MRD_SUB_DECODE) {
        json_object_array_add(list, mrd_error_obj(0, "Bad Request", err->msg, NULL));
        return mrd_errors(resp, 400, list);
    }
    status = vg_err_http_status(err->code);
    if (err->subcode == MRD_SUB_JSON && err->nitems > 0) {
        json_object_array_add(list,
                              mrd_error_obj(0, err->items[0].title, err->items[0].detail, NULL));
        return mrd_errors(resp, status, list);
    }
    if (err->code == VG_ETOOBIG || err->code == VG_EUNAVAIL || err->code == VG_EINVAL ||
        err->code == VG_EHEADERS) {
        json_object_array_add(list, mrd_error_obj(0, resp_reason(status), err->msg, NULL));
        return mrd_errors(resp, status, list);
    }
    /* an unexpected failure: upstream answers 500 with a JSON empty string */
    json_object_put(list);
    return resp_text(resp, 500, "application/json; charset=utf-8", "\"\"\n", 3);
}

/* GET /status: no auth, no dependencies */
static int mrd_status(req_t *req, resp_t *resp, vg_err_t *err)
{
    json_object *o = json_object_new_object();

    (void)req;
    (void)err;
    json_object_object_add(o, "status", json_object_new_int(200));
    return mrd_json(resp, 200, o);
}

/* ---- the shared secret (§4.2), read once per process ---- */

static char mrd_secret[VG_SECRET_MAX];
static size_t mrd_secret_len;
static int mrd_secret_state; /* 0 unread, 1 read (maybe empty) */

static void mrd_secret_load(const conf_t *c)
{
    const char *where;

    mrd_secret_state = 1;
    if ((mrd_secret_len = vg_concertim_secret(c, mrd_secret, sizeof mrd_secret, &where)) == 0)
        vg_log(LOG_WARNING, "concertim: no JWT secret in %s: every token is refused", where);
}

/* §4.1: "Bearer <token>" (6 letters compared case-insensitively, one separator assumed), else
 * the jwt cookie. NULL when neither. */
static const char *mrd_token(req_t *req)
{
    const char *h = req_header(req, "Authorization"), *cookie;

    if (h != NULL && strlen(h) > 7 && strncasecmp(h, "BEARER", 6) == 0)
        return h + 7;
    cookie = req_header(req, "Cookie");
    while (cookie != NULL && *cookie) {
        while (*cookie == ' ' || *cookie == ';')
            cookie++;
        size_t n = strcspn(cookie, ";");

        if (n > 4 && strncmp(cookie, "jwt=", 4) == 0)
            return vg_arena_strndup(req->arena, cookie + 4, n - 4);
        cookie += n;
    }
    return NULL;
}

static int mrd_auth(req_t *req, vg_err_t *err)
{
    const char *tok = mrd_token(req);
    vg_jwt_result_t r;

    if (tok == NULL) {
        vg_fail(err, VG_EAUTH, "no token found");
        err->subcode = MRD_SUB_AUTH;
        return err->code;
    }
    if (mrd_secret_state == 0)
        mrd_secret_load(req->conf);
    r = mrd_secret_len == 0 ? VG_JWT_UNAUTHORIZED
                            : vg_jwt_verify(tok, mrd_secret, mrd_secret_len, req->now_ms / 1000);
    if (r == VG_JWT_OK)
        return VG_OK;
    vg_fail(err, VG_EAUTH, "%s", vg_jwt_result_text(r));
    err->subcode = MRD_SUB_AUTH;
    return err->code;
}

/* ---- PUT /{device}/metrics ---- */

typedef struct {
    const char *device;
    const mrd_report_t *r;
    int64_t now_ms;
    int check; /* look the device up first */
    int known;
} mrd_put_t;

static int mrd_put_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_put_t *p = arg;
    int rc;

    if (p->check) {
        if ((rc = mrd_device_known(st, txn, p->device, err)) < 0)
            return rc;
        if (!(p->known = rc))
            return VG_OK;
    }
    return mrd_pending_put(st, txn, p->device, p->r, p->now_ms, err);
}

static int mrd_put_metric(req_t *req, resp_t *resp, vg_err_t *err)
{
    mrd_put_t p = {.device = req_param(req, "device"), .now_ms = req->now_ms};
    mrd_report_t r;
    json_object *o;
    int rc, loaded = 0;

    if ((rc = mrd_auth(req, err)) != VG_OK ||
        (rc = mrd_report_parse(req->body, req->body_len, req->arena, &r, err)) != VG_OK)
        return rc;
    p.r = &r;
    p.check = !req->conf->concertim_accept_any_device;
    if ((rc = store_txn_run(req->store, mrd_put_txn, &p, err)) != VG_OK)
        return rc;
    if (p.check && !p.known) {
        /* §5.1: refresh the map once (throttled) before answering 404 */
        const char *file = req->conf->concertim_devices_file;
        vg_err_t lerr = {0};

        if (file != NULL && *file &&
            mrd_devices_reload(req->store, file, req->now_ms, MRD_RELOAD_GAP_MS, &loaded, NULL,
                               &lerr) != VG_OK)
            vg_log(LOG_WARNING, "concertim: reloading %s: %s", file, lerr.msg);
        if (loaded && (rc = store_txn_run(req->store, mrd_put_txn, &p, err)) != VG_OK)
            return rc;
        if (!p.known)
            return mrd_fail(req, err, 404, "Host Not Found", "adding host: Unknown host: %s",
                            p.device);
    }
    o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_int(200));
    return mrd_json(resp, 200, o);
}

/* ---- POST /token (§3.5): off unless [concertim] token_endpoint ---- */

static int mrd_post_token(req_t *req, resp_t *resp, vg_err_t *err)
{
    int64_t secs;
    char *tok;
    json_object *o;
    int rc;

    if (!req->conf->concertim_token_endpoint) {
        vg_fail(err, VG_ENOTFOUND, "no such path: %s", req->path);
        err->subcode = FC_SUB_ROUTE;
        return err->code;
    }
    if ((rc = mrd_token_request_parse(req->body, req->body_len, &secs, err)) != VG_OK)
        return rc;
    if (mrd_secret_state == 0)
        mrd_secret_load(req->conf);
    if (mrd_secret_len == 0)
        return mrd_fail(req, err, 500, "Internal Server Error", "no JWT secret is configured");
    /* the expiry was computed in whole seconds: under one second, the token is already expired */
    tok = vg_jwt_sign(mrd_secret, mrd_secret_len, req->now_ms / 1000, secs);
    if (tok == NULL)
        return mrd_fail(req, err, 500, "Internal Server Error", "signing the token failed");
    o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_int(200));
    json_object_object_add(o, "token", json_object_new_string(tok));
    free(tok);
    return mrd_json(resp, 200, o);
}

#define MRD_GET(p, f)                                                                              \
    {                                                                                              \
        .methods = M_GET, .path = (p), .fn = (f), .needs_store = 1                                 \
    }

static const route_t mrd_routes[] = {
    {.methods = M_GET, .path = "/status", .fn = mrd_status},
    {.methods = M_PUT,
     .path = "/{device}/metrics",
     .fn = mrd_put_metric,
     .max_body = MRD_MAX_BODY,
     .needs_store = 1},
    {.methods = M_POST, .path = "/token", .fn = mrd_post_token, .max_body = MRD_MAX_BODY},
    MRD_GET("/metrics/current", mrd_metrics_current),
    MRD_GET("/metrics/unique", mrd_metrics_current),
    MRD_GET("/metrics/historic", mrd_metrics_historic),
    MRD_GET("/metrics/{name}/current", mrd_metric_current),
    MRD_GET("/metrics/{name}/values", mrd_metric_current),
    /* "last" wins over {start} (§3.4): listed first */
    MRD_GET("/metrics/{name}/historic/last/{duration}", mrd_metric_historic_last),
    MRD_GET("/metrics/{name}/historic/{start}/{end}", mrd_metric_historic_range),
    MRD_GET("/devices/{id}/metrics/current", mrd_device_current),
    MRD_GET("/devices/{id}/metrics/historic", mrd_device_historic),
    MRD_GET("/devices/{id}/metrics/{name}/historic/last/{duration}", mrd_device_metric_last),
    MRD_GET("/devices/{id}/metrics/{name}/historic/{start}/{end}", mrd_device_metric_range),
    {0},
};

static const char *const mrd_prefixes[] = {"/mrd", NULL};

const api_t mrd_api = {.name = "concertim",
                       .prefixes = mrd_prefixes,
                       .routes = mrd_routes,
                       .render_error = mrd_render_error};
