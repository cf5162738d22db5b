/* fcgi/router.c - prefix ownership, pattern matching and dispatch. A new API adds its api_t to
 * fc_apis below; nothing else here changes.
 * SPDX-License-Identifier: MIT */
#include "router.h"

#include "auth.h"
#include "core/log.h"

#include <string.h>

extern const api_t vigil_api, prom_api, kap_api, kap_write_api, sysmon_api, mrd_api, stacky_api;

const api_t *const fc_apis[] = {
    &prom_api,
    &kap_api,
    &kap_write_api,
    &sysmon_api,
    &mrd_api,
    &stacky_api,
    /* vigil's own: the owner of every path no other API claims; keep it last */
    &vigil_api,
    NULL,
};

/* Length of prefix p when it owns path, else 0. */
static size_t fc_prefix_owns(const char *p, const char *path)
{
    size_t n = strlen(p);

    if (strcmp(p, "/") == 0)
        return strcmp(path, "/") == 0 ? 1 : 0;
    if (strncmp(path, p, n) == 0 && (path[n] == '\0' || path[n] == '/'))
        return n;
    return 0;
}

/* Matches pattern against path, collecting {params} into kv. */
static int fc_pattern_match(vg_arena_t *a, const char *pat, const char *path, req_kvs_t *kv)
{
    while (*pat != '\0') {
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            int rest = close != NULL && close > pat + 1 && close[-1] == '*';
            size_t nlen, vlen;

            if (close == NULL)
                return 0; /* bad pattern: never matches */
            nlen = (size_t)(close - pat - 1 - rest);
            vlen = rest ? strlen(path) : strcspn(path, "/");
            if (vlen == 0)
                return 0;
            req_kvs_add(a, kv, vg_arena_strndup(a, pat + 1, nlen), vg_arena_strndup(a, path, vlen));
            pat = close + 1;
            path += vlen;
            continue;
        }
        if (*pat != *path)
            return 0;
        pat++;
        path++;
    }
    return *path == '\0';
}

void fc_route(req_t *req, fc_match_t *m)
{
    const api_t *owner = NULL;
    size_t best = 0, plen = 0;

    memset(m, 0, sizeof *m);
    for (size_t i = 0; fc_apis[i] != NULL; i++) {
        const api_t *api = fc_apis[i];

        for (size_t j = 0; api->prefixes != NULL && api->prefixes[j] != NULL; j++) {
            size_t n = fc_prefix_owns(api->prefixes[j], req->path);

            if (n > best) {
                best = n;
                owner = api;
                plen = strcmp(api->prefixes[j], "/") == 0 ? 0 : n;
            }
        }
    }
    if (owner == NULL) {
        owner = &vigil_api;
        plen = 0;
    }
    m->api = owner;
    for (const route_t *r = owner->routes; r->path != NULL; r++) {
        req_kvs_t kv = {0};

        if (!fc_pattern_match(req->arena, r->path, req->path + plen, &kv))
            continue;
        m->allowed |= r->methods;
        if ((r->methods & req->method_bit) && m->route == NULL) {
            m->route = r;
            req->params = kv;
            req->route = vg_arena_sprintf(req->arena, "%.*s%s", (int)plen, req->path, r->path);
        }
    }
    if (m->route == NULL && m->allowed) {
        req->allow = req_methods_text(req->arena, m->allowed);
        req->route = "unmatched_method";
    }
}

void fc_render_error(req_t *req, resp_t *resp, const fc_match_t *m, const vg_err_t *err)
{
    const api_t *api = m->api != NULL ? m->api : &vigil_api;

    /* a fresh response: nothing a failed handler began may leak into the error */
    resp_init(resp, resp->arena);
    api->render_error(req, resp, err);
    if (api->on_response != NULL)
        api->on_response(req, resp);
    if (resp->status == 405 && req->allow != NULL)
        resp_header(resp, "Allow", "%s", req->allow);
    if (resp->status >= 500)
        vg_log(LOG_ERR, "http: %s %s: %s", req->method, req->path, err->msg);
}

size_t fc_body_limit(const req_t *req, const fc_match_t *m)
{
    if (m->route != NULL && m->route->max_body > 0)
        return m->route->max_body;
    return (size_t)req->conf->fcgi_max_body_mb * 1024 * 1024;
}

void fc_dispatch(req_t *req, resp_t *resp, const fc_match_t *m)
{
    vg_err_t err = {0};
    int rc;

    if (m->route == NULL) {
        if (m->allowed)
            vg_fail(&err, VG_EMETHOD, "method %s not allowed for %s", req->method, req->path);
        else
            vg_fail(&err, VG_ENOTFOUND, "no such path: %s", req->path);
        err.subcode = FC_SUB_ROUTE;
        fc_render_error(req, resp, m, &err);
        return;
    }
    if (m->route->needs_store && req->store == NULL) {
        vg_fail(&err, VG_EUNAVAIL, "store unavailable: %s",
                req->store_error ? req->store_error : "not open");
        fc_render_error(req, resp, m, &err);
        return;
    }
    if (m->route->auth == AUTH_APPKEY && (rc = fc_auth_appkey(req, &err)) != VG_OK) {
        fc_render_error(req, resp, m, &err);
        return;
    }
    rc = m->route->fn(req, resp, &err);
    if (rc < 0) {
        if (err.code == 0)
            vg_fail(&err, rc, "%s", vg_err_name(rc));
        fc_render_error(req, resp, m, &err);
    } else if (m->api->on_response != NULL) {
        m->api->on_response(req, resp);
    }
}
