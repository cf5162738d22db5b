/* handlers/prometheus/api.c - the Prometheus HTTP API under /prometheus: routes, the error
 * renderer (Prometheus's {"status":"error","errorType":...,"error":...} shape and its plain-text
 * 404/405 for unknown paths), time parameters and the success envelope.
 * SPDX-License-Identifier: MIT */
#include "core/json.h"
#include "core/time.h"
#include "prom_int.h"

#include <stdlib.h>
#include <string.h>

int prom_success(resp_t *resp, json_object *data)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "status", json_object_new_string("success"));
    json_object_object_add(o, "data", data); /* o owns data now */
    return resp_json(resp, 200, o);
}

const char *prom_project(const req_t *req)
{
    /* every route here authenticates, which sets the appkey's project */
    return req->project != NULL ? req->project : req->conf->store_default_project;
}

int prom_param_time(const req_t *req, const char *name, int64_t def, int64_t *ms, vg_err_t *err)
{
    const char *s = req_arg(req, name);

    if (s == NULL || *s == '\0') {
        *ms = def;
        return VG_OK;
    }
    if (vg_time_parse(s, ms) == 0)
        return VG_OK;
    return vg_fail(err, VG_EINVAL,
                   "invalid parameter \"%s\": cannot parse \"%s\" to a valid timestamp", name, s);
}

static const char *prom_error_type(int code)
{
    switch (code) {
    case VG_EINVAL:
    case VG_ETOOBIG:
        return "bad_data";
    case VG_ELIMIT:
        return "execution";
    case VG_ETIMEOUT:
        return "timeout";
    case VG_EAUTH:
        return "unauthorized";
    case VG_EDENIED:
        return "forbidden";
    case VG_ENOTFOUND:
        return "not_found";
    case VG_EUNAVAIL:
        return "unavailable";
    default:
        return "internal";
    }
}

static int prom_render_error(req_t *req, resp_t *resp, const vg_err_t *err)
{
    json_object *o;

    (void)req;
    /* Prometheus's router answers unknown paths and methods in plain text */
    if (err->subcode == FC_SUB_ROUTE && err->code == VG_ENOTFOUND)
        return resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n", 19);
    if (err->subcode == FC_SUB_ROUTE && err->code == VG_EMETHOD)
        return resp_text(resp, 405, "text/plain; charset=utf-8", "Method Not Allowed\n", 19);
    if (err->subcode == PROM_SUB_PLAIN) {
        char *text = vg_arena_sprintf(resp->arena, "%s\n", err->msg);

        return resp_text(resp, vg_err_http_status(err->code), "text/plain; charset=utf-8", text,
                         strlen(text));
    }
    if (err->code == VG_EAUTH)
        resp_header(resp, "WWW-Authenticate", "Basic realm=\"vigil\"");
    o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("error"));
    json_object_object_add(o, "errorType", json_object_new_string(prom_error_type(err->code)));
    json_object_object_add(o, "error", json_object_new_string(err->msg));
    return resp_json(resp, err->code == VG_ELIMIT ? 422 : vg_err_http_status(err->code), o);
}

static const route_t prom_routes[] = {
    {.methods = M_GET,
     .path = "/api/v1/status/buildinfo",
     .fn = prom_buildinfo,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET | M_POST,
     .path = "/api/v1/labels",
     .fn = prom_labels,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET,
     .path = "/api/v1/label/{name}/values",
     .fn = prom_label_values,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET,
     .path = "/api/v1/metadata",
     .fn = prom_metadata,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET | M_POST,
     .path = "/api/v1/series",
     .fn = prom_series,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_POST,
     .path = "/api/v1/import/prometheus",
     .fn = prom_import,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_POST,
     .path = "/api/v1/write",
     .fn = prom_remote_write,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET | M_POST,
     .path = "/api/v1/query",
     .fn = prom_query,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET | M_POST,
     .path = "/api/v1/query_range",
     .fn = prom_query_range,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET | M_POST,
     .path = "/api/v1/format_query",
     .fn = prom_format_query,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET | M_POST,
     .path = "/api/v1/query_exemplars",
     .fn = prom_query_exemplars,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET,
     .path = "/api/v1/rules",
     .fn = prom_rules,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_GET,
     .path = "/api/v1/alerts",
     .fn = prom_alerts,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {.methods = M_POST | M_PUT,
     .path = "/api/v1/admin/tsdb/delete_series",
     .fn = prom_delete_series,
     .auth = AUTH_APPKEY,
     .needs_store = 1},
    {0},
};

static const char *const prom_prefixes[] = {"/prometheus", NULL};

const api_t prom_api = {.name = "prometheus",
                        .prefixes = prom_prefixes,
                        .routes = prom_routes,
                        .render_error = prom_render_error};
