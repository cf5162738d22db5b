/* fcgi/http.h - the request and response every handler sees. Built from a CGI-style parameter
 * list (FastCGI params, the CGI environment, or a test's array); nothing here knows libfcgi.
 * All request memory lives in req->arena.
 * SPDX-License-Identifier: MIT */
#ifndef FC_HTTP_H
#define FC_HTTP_H

#include "conf/conf.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

#include <json-c/json.h>
#include <stdint.h>

typedef struct store store_t;

enum {
    M_GET = 1 << 0,
    M_HEAD = 1 << 1,
    M_POST = 1 << 2,
    M_PUT = 1 << 3,
    M_DELETE = 1 << 4,
    M_PATCH = 1 << 5,
    M_OPTIONS = 1 << 6,
    M_OTHER = 1 << 7,
};

typedef struct {
    const char *name, *value;
} req_kv_t;

typedef struct {
    req_kv_t *v;
    size_t n, cap;
} req_kvs_t;

typedef struct req {
    vg_arena_t *arena;
    const conf_t *conf;
    store_t *store;          /* NULL when the store could not be opened */
    const char *store_error; /* why store is NULL */
    const char *project;     /* the tenant: set by appkey auth (fcgi/auth.h), else NULL */

    const char *method;  /* as sent */
    unsigned method_bit; /* M_* */
    const char *path;    /* decoded path the router matches */
    const char *query;   /* raw query string, "" when none */
    const char *content_type;
    int64_t content_length; /* -1 when not given */
    const char *remote_addr;

    req_kvs_t args;    /* form body parameters first, then the query string (Go's r.Form) */
    req_kvs_t headers; /* lowercased names with '-' */
    req_kvs_t params;  /* {name} path parameters of the matched route */

    const char *body; /* NUL-terminated copy in the arena */
    size_t body_len;

    int64_t now_ms;
    int pid; /* of the process serving it */
    char id[32];
    const char *route; /* matched pattern, for logs and metrics */
    const char *allow; /* "GET, POST" when the router answers 405 */
} req_t;

typedef struct {
    vg_arena_t *arena;
    int status;
    vg_buf_t headers; /* "Name: value\r\n" lines */
    vg_buf_t body;
    int has_type;
} resp_t;

/* Limits on what a request may carry before the handler sees it. */
#define REQ_MAX_HEADERS   200
#define REQ_MAX_PARAMS_KB 64 /* all parameter names and values together */
#define REQ_MAX_ARGS      10000

void req_init(req_t *r, vg_arena_t *a, const conf_t *c);
/* Fills method, path, query, headers and args from CGI parameters ("NAME=value" strings;
 * n of them, or up to a NULL when n is (size_t)-1). Returns VG_EHEADERS for a flood, VG_EINVAL
 * for a malformed query string; method and path are set even then, so the error can be rendered
 * by the right API. */
int req_from_params(req_t *r, char *const *params, size_t n, vg_err_t *err);
/* Takes ownership of body (arena memory, NUL-terminated) and merges form-encoded parameters. */
int req_set_body(req_t *r, char *body, size_t len, vg_err_t *err);

/* First value of a query/form argument, or NULL. */
const char *req_arg(const req_t *r, const char *name);
/* All values of an argument (e.g. match[]); returns the count, *vals in the arena. */
size_t req_args(const req_t *r, const char *name, const char ***vals);
/* A request header by case-insensitive name, or NULL. */
const char *req_header(const req_t *r, const char *name);
/* A {name} path parameter, or NULL. */
const char *req_param(const req_t *r, const char *name);
void req_kvs_add(vg_arena_t *a, req_kvs_t *kv, const char *name, const char *value);

/* Parses "a=1&b=%20x+y" into kv, appending. Returns VG_EINVAL with Go's wording
 * (invalid URL escape "%zz") for a bad escape. */
int req_parse_urlencoded(vg_arena_t *a, req_kvs_t *kv, const char *s, size_t len, vg_err_t *err);
/* Percent-decodes s (with plus_space, '+' is a space). NULL for a bad escape; *bad gets it. */
char *req_unescape(vg_arena_t *a, const char *s, size_t len, int plus_space, const char **bad);
unsigned req_method_bit(const char *m);
/* "GET, POST" for a mask. */
const char *req_methods_text(vg_arena_t *a, unsigned mask);

void resp_init(resp_t *w, vg_arena_t *a);
void resp_header(resp_t *w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets status and a body of the given type. Always returns 0 (the handler's "answered"). */
int resp_text(resp_t *w, int status, const char *type, const char *body, size_t len);
/* Serialises root (which it consumes: json_object_put) as application/json. Returns 0. */
int resp_json(resp_t *w, int status, json_object *root);
/* The standard reason phrase for a status. */
const char *resp_reason(int status);
/* Writes the complete CGI-style response head ("Status: ...") followed by the body into out. */
void resp_serialize(const resp_t *w, int head_only, vg_buf_t *out);

#endif
