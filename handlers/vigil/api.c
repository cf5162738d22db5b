/* handlers/vigil/api.c - vigil's own routes: /healthz, /metrics and the debug routes, plus the
 * generic JSON renderer for every path no public API owns.
 * SPDX-License-Identifier: MIT */
#include "core/json.h"
#include "core/log.h"
#include "fcgi/router.h"
#include "fcgi/stats.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "dev"
#endif

/* {"status":"error","error":"not_found","message":"..."} */
static int vigil_render_error(req_t *req, resp_t *resp, const vg_err_t *err)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "status", json_object_new_string("error"));
    json_object_object_add(o, "error", json_object_new_string(vg_err_name(err->code)));
    json_object_object_add(o, "message", json_object_new_string(err->msg));
    return resp_json(resp, vg_err_http_status(err->code), o);
}

/* GET /healthz - liveness plus the store's state; 503 while the store cannot be used. */
static int vigil_healthz(req_t *req, resp_t *resp, vg_err_t *err)
{
    json_object *root = json_object_new_object(), *st = json_object_new_object();
    store_stats_t s;
    int ok = 0;

    json_object_object_add(st, "home", json_object_new_string(req->conf->store_home));
    if (req->store == NULL) {
        json_object_object_add(
            st, "error", json_object_new_string(req->store_error ? req->store_error : "not open"));
    } else if (store_ping(req->store, err) != VG_OK ||
               store_stats(req->store, STORE_STATS_TXN, &s, err) != VG_OK) {
        json_object_object_add(st, "error", json_object_new_string(err->msg));
    } else {
        ok = 1;
        json_object_object_add(st, "active_transactions", json_object_new_int64(s.active_txns));
        json_object_object_add(st, "last_checkpoint", json_object_new_int64(s.last_checkpoint_s));
    }
    json_object_object_add(st, "open", json_object_new_boolean(ok));
    json_object_object_add(root, "status", json_object_new_string(ok ? "ok" : "unavailable"));
    json_object_object_add(root, "version", json_object_new_string(VIGIL_VERSION));
    json_object_object_add(root, "pid", json_object_new_int(req->pid));
    json_object_object_add(root, "store", st); /* root owns st now */
    return resp_json(resp, ok ? 200 : 503, root);
}

static void vigil_metric(vg_buf_t *b, const char *name, const char *type, const char *help,
                         double v)
{
    vg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

/* GET /metrics - vigil's own metrics in Prometheus text format 0.0.4, counted across all
 * processes (fcgi/stats.c) and read from the shared environment's statistics. */
static int vigil_metrics(req_t *req, resp_t *resp, vg_err_t *err)
{
    vg_buf_t b;
    store_stats_t s;
    int up = req->store != NULL && store_stats(req->store, STORE_STATS_ALL, &s, err) == VG_OK;

    vg_buf_init(&b, req->arena);
    vg_buf_printf(&b,
                  "# HELP vigil_build_info Version of the running vigil.\n"
                  "# TYPE vigil_build_info gauge\nvigil_build_info{version=\"%s\"} 1\n",
                  VIGIL_VERSION);
    fc_stats_render(&b);
    vigil_metric(&b, "vigil_store_up", "gauge", "1 when this worker can use the store.", up);
    if (up) {
        uint64_t lookups = s.cache_hits + s.cache_misses;

        vigil_metric(&b, "vigil_store_cache_hit_ratio", "gauge",
                     "Share of page lookups the Berkeley DB cache answered since the environment "
                     "was created.",
                     lookups ? (double)s.cache_hits / (double)lookups : 1.0);
        vigil_metric(&b, "vigil_store_cache_hits_total", "counter",
                     "Page lookups found in the cache.", (double)s.cache_hits);
        vigil_metric(&b, "vigil_store_cache_misses_total", "counter",
                     "Page lookups that read from disk.", (double)s.cache_misses);
        vigil_metric(&b, "vigil_store_lock_requests_total", "counter", "Locks requested.",
                     (double)s.lock_requests);
        vigil_metric(&b, "vigil_store_lock_waits_total", "counter",
                     "Lock requests that had to wait.", (double)s.lock_waits);
        vigil_metric(&b, "vigil_store_deadlocks_total", "counter",
                     "Transactions aborted to break a deadlock.", (double)s.deadlocks);
        vigil_metric(&b, "vigil_store_lock_timeouts_total", "counter",
                     "Lock requests that timed out.", (double)s.lock_timeouts);
        vigil_metric(&b, "vigil_store_log_bytes", "gauge",
                     "Bytes of transaction log files on disk.", (double)s.log_bytes);
        vigil_metric(&b, "vigil_store_active_transactions", "gauge", "Transactions open now.",
                     (double)s.active_txns);
        vigil_metric(&b, "vigil_store_commits_total", "counter", "Transactions committed.",
                     (double)s.commits);
        vigil_metric(&b, "vigil_store_aborts_total", "counter", "Transactions aborted.",
                     (double)s.aborts);
        vigil_metric(&b, "vigil_store_last_checkpoint_timestamp_seconds", "gauge",
                     "When the last checkpoint ran.", (double)s.last_checkpoint_s);
    }
    return resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
}

/* POST /_vigil/echo - the body back, with its type (checks of body passing through each web
 * server). Only with [fcgi] debug_routes = on. */
static int vigil_echo(req_t *req, resp_t *resp, vg_err_t *err)
{
    if (!req->conf->fcgi_debug_routes)
        return vg_fail(err, VG_ENOTFOUND, "no such path: %s", req->path);
    resp_header(resp, "X-Vigil-Body-Length", "%zu", req->body_len);
    return resp_text(resp, 200, req->content_type ? req->content_type : "application/octet-stream",
                     req->body, req->body_len);
}

typedef struct {
    long ms;
    unsigned long long counter;
} vigil_lock_t;

static int vigil_lock_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    vigil_lock_t *l = arg;
    char buf[32];
    size_t len = 0;
    int rc = store_meta_get(st, txn, "debug_counter", buf, sizeof buf - 1, &len, err);

    if (rc != VG_OK && rc != VG_ENOTFOUND)
        return rc;
    buf[rc == VG_OK ? len : 0] = '\0';
    l->counter = strtoull(buf, NULL, 10) + 1;
    len = (size_t)snprintf(buf, sizeof buf, "%llu", l->counter);
    if ((rc = store_meta_put(st, txn, "debug_counter", buf, len, err)) != VG_OK)
        return rc;
    if (l->ms > 0) { /* hold the write lock: the crash tests kill a worker here */
        struct timespec ts = {l->ms / 1000, (l->ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
    }
    return VG_OK;
}

/* POST /_vigil/lock?ms=N - increments a counter in one transaction and holds its write lock
 * for N ms (0..60000) before committing; answers {"counter":n}. Debug routes only. */
static int vigil_lock(req_t *req, resp_t *resp, vg_err_t *err)
{
    const char *ms = req_arg(req, "ms");
    vigil_lock_t l = {0, 0};
    char *end;
    int rc;

    if (!req->conf->fcgi_debug_routes)
        return vg_fail(err, VG_ENOTFOUND, "no such path: %s", req->path);
    if (ms != NULL) {
        l.ms = strtol(ms, &end, 10);
        if (*ms == '\0' || *end != '\0' || l.ms < 0 || l.ms > 60000)
            return vg_fail(err, VG_EINVAL, "ms must be an integer in 0..60000");
    }
    if ((rc = store_txn_run(req->store, vigil_lock_txn, &l, err)) != VG_OK)
        return rc;
    json_object *o = json_object_new_object();

    json_object_object_add(o, "counter", json_object_new_int64((int64_t)l.counter));
    return resp_json(resp, 200, o);
}

static const route_t vigil_routes[] = {
    {.methods = M_GET | M_HEAD, .path = "/healthz", .fn = vigil_healthz},
    {.methods = M_GET | M_HEAD, .path = "/metrics", .fn = vigil_metrics},
    {.methods = M_POST | M_PUT, .path = "/_vigil/echo", .fn = vigil_echo},
    {.methods = M_POST, .path = "/_vigil/lock", .fn = vigil_lock, .needs_store = 1},
    {0},
};

const api_t vigil_api = {
    .name = "vigil", .prefixes = NULL, .routes = vigil_routes, .render_error = vigil_render_error};
