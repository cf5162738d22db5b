/* handlers/kapacitor/api.c - the Kapacitor HTTP API (specs/kapacitor.md) under /kapacitor/v1
 * and the InfluxDB-compatible /write: ping and write so far. Upstream routes per method, so a
 * wrong method is a 404 like an unknown path (§1.2); every response carries
 * X-Kapacitor-Version and the JSON content type (§1.3); errors are {"error","message"} (§1.4)
 * except the write endpoint's plain-text ones (§3).
 * SPDX-License-Identifier: MIT */
#include "core/buf.h"
#include "core/gzip.h"
#include "core/json.h"
#include "core/time.h"
#include "fcgi/router.h"
#include "ingest/lineproto.h"
#include "store/series.h"
#include "store/stream.h"

#include <string.h>
#include <strings.h>

#define KAP_VERSION "1.8.3" /* the Kapacitor release whose API this follows */

/* err->subcode of errors the write endpoint answers in plain text */
#define KAP_SUB_PLAIN (FC_SUB_ROUTE + 1)

static void kap_headers(req_t *req, resp_t *resp)
{
    (void)req;
    resp_header(resp, "X-Kapacitor-Version", "%s", KAP_VERSION);
    if (!resp->has_type)
        resp_header(resp, "Content-Type", "application/json; charset=utf-8");
}

static int kap_render_error(req_t *req, resp_t *resp, const vg_err_t *err)
{
    const char *text = err->msg;
    int status = vg_err_http_status(err->code);
    json_object *o;

    (void)req;
    if (err->subcode == FC_SUB_ROUTE) { /* unknown path or method: 404 either way */
        text = "Not Found";
        status = 404;
    } else if (err->subcode == KAP_SUB_PLAIN) {
        /* §3: one line per bad line (or the single message), each ended by a newline, in a
         * plain-text body despite the JSON content type */
        vg_buf_t b;

        vg_buf_init(&b, resp->arena);
        for (size_t i = 0; i < err->nitems; i++)
            vg_buf_printf(&b, "%s\n", err->items[i].detail);
        if (err->nitems == 0)
            vg_buf_printf(&b, "%s\n", err->msg);
        resp_text(resp, status, NULL, b.p, b.len);
        return 0;
    }
    size_t len;
    const char *body;

    o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(text));
    json_object_object_add(o, "message", json_object_new_string(text));
    body = vg_json_text(o, &len);
    resp_text(resp, status, "application/json; charset=utf-8", body, len);
    json_object_put(o);
    return 0;
}

/* GET|HEAD /kapacitor/v1/ping - 204, the version header says the rest (§2). */
static int kap_ping(req_t *req, resp_t *resp, vg_err_t *err)
{
    (void)req;
    (void)err;
    return resp_text(resp, 204, NULL, "", 0);
}

typedef struct {
    req_t *req;
    ing_batch_t *b;
    const char *db, *rp, *precision;
    int64_t now_ns;
    const char *body; /* the line protocol, inflated when it came gzip-encoded */
    size_t body_len;
} kap_write_t;

/* The streamed ingest's fill: the parsed points become samples of the ingest's batch. */
static int kap_write_fill(ing_batch_t *b, void *arg, vg_err_t *err)
{
    kap_write_t *x = arg;

    b->points = x->b->points;
    b->npoints = x->b->npoints;
    return ing_lp_to_samples(b, err);
}

/* In the same transaction: the raw body into the stream log, for the tasks. */
static int kap_write_stream(store_t *st, store_txn_t *txn, const ing_batch_t *b, void *arg,
                            vg_err_t *err)
{
    kap_write_t *x = arg;
    uint64_t seq;

    if (b->npoints == 0) /* blank lines and comments only: nothing to route */
        return VG_OK;
    return store_stream_append(st, txn, x->db, x->rp, x->precision, x->now_ns, x->body, x->body_len,
                               &seq, err);
}

/* POST /kapacitor/v1/write and POST /write (§3): all lines or none, 204. */
static int kap_write(req_t *req, resp_t *resp, vg_err_t *err)
{
    ing_batch_t b;
    kap_write_t x = {
        req,         &b,        req_arg(req, "db"), req_arg(req, "rp"), req_arg(req, "precision"),
        vg_now_ns(), req->body, req->body_len};
    const char *enc = req_header(req, "Content-Encoding");
    int rc;

    /* §3: a gzip body is inflated first; a bad one is a 400 with the decompressor's words */
    if (enc != NULL && strcasecmp(enc, "gzip") == 0) {
        char *plain;

        rc = vg_gunzip(req->arena, req->body, req->body_len,
                       (size_t)req->conf->fcgi_max_decoded_mb << 20, &plain, &x.body_len, err);
        if (rc < 0) {
            err->subcode = KAP_SUB_PLAIN;
            return rc;
        }
        x.body = plain;
    }
    ing_batch_init(&b, req->arena);
    /* parse errors win over the missing db: parsing comes first (§3 step 3) */
    if ((rc = ing_lp_parse(&b, x.body, x.body_len, x.precision, x.now_ns, err)) < 0) {
        err->subcode = KAP_SUB_PLAIN;
        return rc;
    }
    if (x.db == NULL || *x.db == '\0') {
        vg_fail(err, VG_EINVAL, "database is required");
        err->subcode = KAP_SUB_PLAIN;
        return VG_EINVAL;
    }
    if (x.rp == NULL || *x.rp == '\0') /* step 4: the configured default RP */
        x.rp = req->conf->kapacitor_default_rp;
    if (x.precision == NULL)
        x.precision = "";
    store_ingest_t in = {.project = req->conf->store_default_project,
                         .fill = kap_write_fill,
                         .after = kap_write_stream,
                         .arg = &x};

    if ((rc = store_series_ingest(req->store, &in, req->arena, err)) < 0) {
        err->subcode = KAP_SUB_PLAIN; /* step 6: 500 with the plain-text error */
        return rc;
    }
    return resp_text(resp, 204, NULL, "", 0);
}

static const route_t kap_routes[] = {
    {.methods = M_GET | M_HEAD, .path = "/v1/ping", .fn = kap_ping},
    {.methods = M_POST, .path = "/v1/write", .fn = kap_write, .needs_store = 1},
    {0},
};

static const char *const kap_prefixes[] = {"/kapacitor", NULL};

const api_t kap_api = {.name = "kapacitor",
                       .prefixes = kap_prefixes,
                       .routes = kap_routes,
                       .render_error = kap_render_error,
                       .on_response = kap_headers};

/* the un-prefixed InfluxDB-compatible alias (§1.1): the same handler and error rules */
static const route_t kap_write_routes[] = {
    {.methods = M_POST, .path = "", .fn = kap_write, .needs_store = 1},
    {0},
};

static const char *const kap_write_prefixes[] = {"/write", NULL};

const api_t kap_write_api = {.name = "kapacitor",
                             .prefixes = kap_write_prefixes,
                             .routes = kap_write_routes,
                             .render_error = kap_render_error,
                             .on_response = kap_headers};
