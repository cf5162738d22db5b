/* fcgi/router.h - route tables. Each API registers `METHOD /pattern/{param}` routes under its
 * path prefixes plus one error renderer; the API that owns a path renders every error there,
 * 404 and 405 included. Paths outside every prefix belong to vigil's own API.
 * SPDX-License-Identifier: MIT */
#ifndef FC_ROUTER_H
#define FC_ROUTER_H

#include "http.h"

/* 0 after writing the response, < 0 (a VG_E* code with err filled) for the API's renderer. */
typedef int (*route_fn)(req_t *req, resp_t *resp, vg_err_t *err);

enum {
    AUTH_NONE = 0,
    AUTH_APPKEY, /* fcgi/auth.h: the appkey's project becomes req->project (implies the store) */
};

/* err->subcode of the router's own 404 and 405 (no route), so renderers can tell them from a
 * handler's "not found" */
#define FC_SUB_ROUTE 1

typedef struct {
    unsigned methods; /* M_* mask */
    const char *path; /* under the API prefix; "{name}" matches one segment, "{name*}" the rest */
    route_fn fn;
    int auth;
    size_t max_body; /* bytes; 0 = [fcgi] max_body_mb */
    int needs_store; /* answer 503 through the renderer when the store is down */
} route_t;

typedef struct api {
    const char *name;
    const char *const *prefixes; /* NULL-terminated; "/x" owns "/x" and "/x/...", "/" only "/" */
    const route_t *routes;       /* ends with {0} */
    /* Renders err (code, message, items) in the API's own shape. Returns 0. */
    int (*render_error)(req_t *req, resp_t *resp, const vg_err_t *err);
    /* Optional: adds the headers the API puts on every response, errors included. */
    void (*on_response)(req_t *req, resp_t *resp);
} api_t;

typedef struct {
    const api_t *api;
    const route_t *route; /* NULL: no route matched (404) or the method did not (405) */
    unsigned allowed;     /* methods of the patterns that matched the path */
} fc_match_t;

/* The APIs compiled in, NULL-terminated; the last one is vigil's own (the fallback). */
extern const api_t *const fc_apis[];

/* Finds the API owning req->path and the route in it; fills req->params and req->route. */
void fc_route(req_t *req, fc_match_t *m);
/* Renders err through m's API (or vigil's own), adding Allow to 405 answers. */
void fc_render_error(req_t *req, resp_t *resp, const fc_match_t *m, const vg_err_t *err);
/* The route_t's body limit in bytes for this request. */
size_t fc_body_limit(const req_t *req, const fc_match_t *m);
/* Routes, checks method and limits, and runs the handler on a request whose body is read. */
void fc_dispatch(req_t *req, resp_t *resp, const fc_match_t *m);

#endif
