/* fcgi/http.c - request parsing (CGI parameters, query strings, form bodies) and response
 * assembly.
 * SPDX-License-Identifier: MIT */
#include "http.h"

#include "core/json.h"
#include "core/time.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void req_init(req_t *r, vg_arena_t *a, const conf_t *c)
{
    memset(r, 0, sizeof *r);
    r->arena = a;
    r->conf = c;
    r->method = "GET";
    r->method_bit = M_GET;
    r->path = "/";
    r->query = "";
    r->content_length = -1;
    r->remote_addr = "";
    r->now_ms = vg_now_ms();
    r->route = "unmatched";
}

void req_kvs_add(vg_arena_t *a, req_kvs_t *kv, const char *name, const char *value)
{
    if (kv->n == kv->cap) {
        size_t cap = kv->cap ? kv->cap * 2 : 16;
        req_kv_t *v = vg_arena_alloc(a, cap * sizeof *v);

        if (kv->n)
            memcpy(v, kv->v, kv->n * sizeof *v);
        kv->v = v;
        kv->cap = cap;
    }
    kv->v[kv->n++] = (req_kv_t){name, value};
}

static int req_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *req_unescape(vg_arena_t *a, const char *s, size_t len, int plus_space, const char **bad)
{
    char *out = vg_arena_alloc(a, len + 1), *o = out;

    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            *o++ = plus_space && s[i] == '+' ? ' ' : s[i];
            continue;
        }
        int hi = i + 1 < len ? req_hex((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < len ? req_hex((unsigned char)s[i + 2]) : -1;

        if (hi < 0 || lo < 0) {
            if (bad != NULL) /* Go quotes at most the '%' and two characters after it */
                *bad = vg_arena_strndup(a, s + i, len - i < 3 ? len - i : 3);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

int req_parse_urlencoded(vg_arena_t *a, req_kvs_t *kv, const char *s, size_t len, vg_err_t *err)
{
    const char *end = s + len;

    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        const char *bad = NULL;
        char *k, *v;

        if (pe == s) { /* empty pair: "a=1&&b=2" */
            s = pe + 1;
            continue;
        }
        if (kv->n >= REQ_MAX_ARGS)
            return vg_fail(err, VG_ETOOBIG, "too many parameters (more than %d)", REQ_MAX_ARGS);
        k = req_unescape(a, s, (size_t)((eq ? eq : pe) - s), 1, &bad);
        v = k == NULL ? NULL
            : eq      ? req_unescape(a, eq + 1, (size_t)(pe - eq - 1), 1, &bad)
                      : vg_arena_strdup(a, "");
        if (k == NULL || v == NULL)
            return vg_fail(err, VG_EINVAL, "invalid URL escape \"%s\"", bad ? bad : "%");
        req_kvs_add(a, kv, k, v);
        s = amp ? amp + 1 : end;
    }
    return VG_OK;
}

unsigned req_method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {{"GET", M_GET},       {"HEAD", M_HEAD},   {"POST", M_POST},      {"PUT", M_PUT},
                   {"DELETE", M_DELETE}, {"PATCH", M_PATCH}, {"OPTIONS", M_OPTIONS}};

    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(m, methods[i].name) == 0)
            return methods[i].bit;
    return M_OTHER;
}

const char *req_methods_text(vg_arena_t *a, unsigned mask)
{
    static const char *names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    vg_buf_t b;

    vg_buf_init(&b, a);
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (mask & (1u << i)) {
            if (b.len)
                vg_buf_adds(&b, ", ");
            vg_buf_adds(&b, names[i]);
        }
    return b.p;
}

/* "HTTP_X_TC_APP_KEY" → "x-tc-app-key" */
static char *req_header_name(vg_arena_t *a, const char *s, size_t n)
{
    char *p = vg_arena_strndup(a, s, n);

    for (char *q = p; *q; q++)
        *q = *q == '_' ? '-' : (char)tolower((unsigned char)*q);
    return p;
}

int req_from_params(req_t *r, char *const *params, size_t n, vg_err_t *err)
{
    const char *path_info = NULL, *request_uri = NULL, *script_name = "";
    size_t total = 0, nheaders = 0;
    int flood = 0;

    for (size_t i = 0; (n == (size_t)-1 ? params[i] != NULL : i < n); i++) {
        const char *p = params[i], *eq = strchr(p, '=');
        size_t klen;
        const char *v;

        if (eq == NULL)
            continue;
        klen = (size_t)(eq - p);
        v = eq + 1;
        total += strlen(p);
#define IS(name) (klen == sizeof(name) - 1 && memcmp(p, name, klen) == 0)
        if (IS("REQUEST_METHOD"))
            r->method = vg_arena_strdup(r->arena, v);
        else if (IS("PATH_INFO"))
            path_info = v;
        else if (IS("REQUEST_URI"))
            request_uri = v;
        else if (IS("SCRIPT_NAME"))
            script_name = v;
        else if (IS("QUERY_STRING"))
            r->query = vg_arena_strdup(r->arena, v);
        else if (IS("REMOTE_ADDR"))
            r->remote_addr = vg_arena_strdup(r->arena, v);
        else if (IS("CONTENT_TYPE")) {
            r->content_type = vg_arena_strdup(r->arena, v);
            req_kvs_add(r->arena, &r->headers, "content-type", r->content_type);
        } else if (IS("CONTENT_LENGTH")) {
            char *end;

            errno = 0;
            long long cl = strtoll(v, &end, 10);

            if (*v != '\0') {
                if (*end != '\0' || errno != 0 || cl < 0) {
                    r->content_length = -2; /* malformed: refused below */
                } else {
                    r->content_length = cl;
                    req_kvs_add(r->arena, &r->headers, "content-length",
                                vg_arena_strdup(r->arena, v));
                }
            }
        } else if (klen > 5 && memcmp(p, "HTTP_", 5) == 0) {
            if (++nheaders > REQ_MAX_HEADERS)
                flood = 1;
            else
                req_kvs_add(r->arena, &r->headers, req_header_name(r->arena, p + 5, klen - 5),
                            vg_arena_strdup(r->arena, v));
        }
#undef IS
    }
    r->method_bit = req_method_bit(r->method);
    /* the path: PATH_INFO, else REQUEST_URI without the query and SCRIPT_NAME (some servers
     * leave PATH_INFO empty when the application is mounted at the root) */
    if (path_info != NULL && *path_info != '\0') {
        r->path = vg_arena_strdup(r->arena, path_info);
    } else if (request_uri != NULL && *request_uri != '\0') {
        size_t len = strcspn(request_uri, "?");
        size_t sl = strlen(script_name);
        const char *bad = NULL;
        char *dec = req_unescape(r->arena, request_uri, len, 0, &bad);

        if (dec == NULL)
            return vg_fail(err, VG_EINVAL, "invalid URL escape \"%s\"", bad ? bad : "%");
        if (sl > 0 && strncmp(dec, script_name, sl) == 0)
            dec += sl;
        r->path = *dec ? dec : "/";
    }
    if (flood || total > (size_t)REQ_MAX_PARAMS_KB * 1024)
        return vg_fail(err, VG_EHEADERS,
                       "request header fields too large (at most %d headers, "
                       "%d KiB in all)",
                       REQ_MAX_HEADERS, REQ_MAX_PARAMS_KB);
    if (r->content_length == -2)
        return vg_fail(err, VG_EINVAL, "invalid Content-Length");
    return req_parse_urlencoded(r->arena, &r->args, r->query, strlen(r->query), err);
}

int req_set_body(req_t *r, char *body, size_t len, vg_err_t *err)
{
    const char *ct = r->content_type;

    r->body = body;
    r->body_len = len;
    if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
        (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' ') &&
        (r->method_bit & (M_POST | M_PUT | M_PATCH))) {
        req_kvs_t form = {0};
        int rc = req_parse_urlencoded(r->arena, &form, body, len, err);

        if (rc != VG_OK)
            return rc;
        /* body values come before the query string's, as Go's r.Form orders them */
        for (size_t i = 0; i < r->args.n; i++)
            req_kvs_add(r->arena, &form, r->args.v[i].name, r->args.v[i].value);
        r->args = form;
    }
    return VG_OK;
}

const char *req_arg(const req_t *r, const char *name)
{
    for (size_t i = 0; i < r->args.n; i++)
        if (strcmp(r->args.v[i].name, name) == 0)
            return r->args.v[i].value;
    return NULL;
}

size_t req_args(const req_t *r, const char *name, const char ***vals)
{
    size_t n = 0;

    for (size_t i = 0; i < r->args.n; i++)
        n += strcmp(r->args.v[i].name, name) == 0;
    *vals = vg_arena_alloc(r->arena, (n + 1) * sizeof **vals);
    n = 0;
    for (size_t i = 0; i < r->args.n; i++)
        if (strcmp(r->args.v[i].name, name) == 0)
            (*vals)[n++] = r->args.v[i].value;
    (*vals)[n] = NULL;
    return n;
}

const char *req_header(const req_t *r, const char *name)
{
    for (size_t i = 0; i < r->headers.n; i++)
        if (strcasecmp(r->headers.v[i].name, name) == 0)
            return r->headers.v[i].value;
    return NULL;
}

const char *req_param(const req_t *r, const char *name)
{
    for (size_t i = 0; i < r->params.n; i++)
        if (strcmp(r->params.v[i].name, name) == 0)
            return r->params.v[i].value;
    return NULL;
}

void resp_init(resp_t *w, vg_arena_t *a)
{
    memset(w, 0, sizeof *w);
    w->arena = a;
    w->status = 200;
    vg_buf_init(&w->headers, a);
    vg_buf_init(&w->body, a);
}

void resp_header(resp_t *w, const char *name, const char *fmt, ...)
{
    va_list ap;
    char *v;

    va_start(ap, fmt);
    v = vg_arena_vsprintf(w->arena, fmt, ap);
    va_end(ap);
    /* a header value never carries a line break: it would split the response head */
    for (char *p = v; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    if (strcasecmp(name, "Content-Type") == 0)
        w->has_type = 1;
    vg_buf_printf(&w->headers, "%s: %s\r\n", name, v);
}

int resp_text(resp_t *w, int status, const char *type, const char *body, size_t len)
{
    w->status = status;
    if (type != NULL)
        resp_header(w, "Content-Type", "%s", type);
    w->body.len = 0;
    vg_buf_add(&w->body, body, len);
    return 0;
}

int resp_json(resp_t *w, int status, json_object *root)
{
    size_t len;
    const char *text = vg_json_text(root, &len);

    resp_text(w, status, "application/json", text, len);
    json_object_put(root);
    return 0;
}

const char *resp_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

void resp_serialize(const resp_t *w, int head_only, vg_buf_t *out)
{
    vg_buf_printf(out, "Status: %d %s\r\n", w->status, resp_reason(w->status));
    vg_buf_add(out, w->headers.p, w->headers.len);
    if (!w->has_type && w->body.len > 0)
        vg_buf_adds(out, "Content-Type: application/octet-stream\r\n");
    vg_buf_printf(out, "Content-Length: %zu\r\n\r\n", w->body.len);
    if (!head_only)
        vg_buf_add(out, w->body.p, w->body.len);
}
