/* handlers/stacky/api.c - StackTach's stacky API under /stacky (../shared/specs/stacktach.md):
 * the routes (every GET with and without its trailing slash, no authentication, as upstream),
 * the [["Error","Message"],[kind,message]] error shape for every failure, the parameters every
 * endpoint shares (service, paging, times), the row shapes, and POST /stacky/ingest/ (§1.3),
 * which stores each message of a body in its own transaction, in order.
 * SPDX-License-Identifier: MIT */
#include "ingest/stacky.h"
#include "stacky_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STACKY_UNIX_DIGITS 12 /* integer digits of a unix time parameter */

/* ---- errors (§3.3) ---- */

/* Every error, the router's 404 and 405 included: [["Error","Message"],[reason, message]]. */
static int stacky_render_error(req_t *req, resp_t *resp, const vg_err_t *err)
{
    int status = vg_err_http_status(err->code);
    json_object *root = json_object_new_array_ext(2), *row = json_object_new_array_ext(2);

    (void)req;
    json_object_array_add(root, stacky_titles((const char *const[]){"Error", "Message", NULL}));
    json_object_array_add(row, json_object_new_string(resp_reason(status)));
    json_object_array_add(row, json_object_new_string(err->msg));
    json_object_array_add(root, row); /* root owns row */
    return resp_json(resp, status, root);
}

int stacky_no_route(req_t *req, vg_err_t *err)
{
    vg_fail(err, VG_ENOTFOUND, "no such path: %s", req->path);
    err->subcode = FC_SUB_ROUTE;
    return err->code;
}

/* ---- parameters ---- */

int stacky_required(const req_t *req, const char *name, const char **out, vg_err_t *err)
{
    if ((*out = req_arg(req, name)) == NULL)
        return vg_fail(err, VG_EINVAL, "Missing parameter: %s", name);
    return VG_OK;
}

int stacky_service(const req_t *req, sk_table_t dflt, int allow_all, sk_table_t *t, vg_err_t *err)
{
    const char *s = req_arg(req, "service");

    *t = dflt;
    if (s == NULL)
        return VG_OK;
    if (allow_all && strcmp(s, "all") == 0) {
        *t = SK_NTABLES;
        return VG_OK;
    }
    if (sk_table_parse(s, t) != 0)
        return vg_fail(err, VG_EINVAL, "Unknown service: %.200s", s);
    return VG_OK;
}

int stacky_parse_u64(const char *s, uint64_t *v)
{
    size_t n = strspn(s, "0123456789");

    if (n == 0 || s[n] != '\0' || n > 19)
        return -1;
    *v = strtoull(s, NULL, 10);
    return 0;
}

/* A paging number: digits only; a value too long to hold saturates (it is cut anyway). */
static int stacky_count_arg(const req_t *req, const char *name, size_t dflt, size_t *out,
                            vg_err_t *err)
{
    const char *s = req_arg(req, name);
    uint64_t v;

    *out = dflt;
    if (s == NULL || *s == '\0') /* §3.5: empty is absent */
        return VG_OK;
    if (stacky_parse_u64(s, &v) != 0) {
        if (strspn(s, "0123456789") != strlen(s))
            return vg_fail(err, VG_EINVAL, "Invalid value for %s: %.200s", name, s);
        v = UINT64_MAX;
    }
    *out = v > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)v;
    return VG_OK;
}

int stacky_paging(const req_t *req, size_t *offset, size_t *limit, vg_err_t *err)
{
    int rc;

    if ((rc = stacky_count_arg(req, "limit", STACKY_LIMIT_DEF, limit, err)) != VG_OK ||
        (rc = stacky_count_arg(req, "offset", 0, offset, err)) != VG_OK)
        return rc;
    if (*limit > STACKY_LIMIT_MAX)
        *limit = STACKY_LIMIT_MAX;
    return VG_OK;
}

int stacky_parse_unix(const char *s, stacky_round_t mode, int64_t *us)
{
    int neg = 0, more = 0;
    int64_t ip = 0, frac = 0;
    size_t ni = 0, nf = 0;

    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    for (; *s >= '0' && *s <= '9'; s++, ni++) {
        if (ni == STACKY_UNIX_DIGITS)
            return -1;
        ip = ip * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, nf++) {
            if (nf < 6)
                frac = frac * 10 + (*s - '0');
            else if (*s != '0')
                more = 1; /* a part of a microsecond */
        }
    }
    if (*s != '\0' || ni + nf == 0)
        return -1;
    for (size_t i = nf; i < 6; i++)
        frac *= 10;
    if (more && mode == STACKY_EXACT)
        return -1;
    /* the magnitude rounds away from zero for a ceiling of a positive value or a floor of a
     * negative one */
    if (more && ((mode == STACKY_CEIL) != neg))
        frac++;
    *us = ip * STACKY_US_PER_S + frac;
    if (neg)
        *us = -*us;
    return 0;
}

int stacky_time_arg(const req_t *req, const char *name, stacky_round_t mode, int64_t dflt,
                    int64_t *us, vg_err_t *err)
{
    const char *s = req_arg(req, name);

    *us = dflt;
    if (s == NULL || *s == '\0')
        return VG_OK;
    if (stacky_parse_unix(s, mode, us) != 0)
        return vg_fail(err, VG_EINVAL, "Invalid value for %s: %.200s", name, s);
    return VG_OK;
}

int stacky_path_id(req_t *req, const char *name, uint64_t *v, vg_err_t *err)
{
    const char *s = req_param(req, name);

    if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s))
        return stacky_no_route(req, err); /* upstream's pattern is \d+ */
    if (stacky_parse_u64(s, v) != 0)
        *v = UINT64_MAX;
    return VG_OK;
}

/* ---- rendering ---- */

json_object *stacky_str(const char *s)
{
    return s != NULL ? json_object_new_string(s) : NULL;
}

json_object *stacky_when(int64_t us)
{
    char buf[SK_FMT_MAX];

    return us == SK_NO_TIME ? NULL : json_object_new_string(sk_fmt_when(buf, us));
}

json_object *stacky_titles(const char *const *titles)
{
    json_object *row = json_object_new_array();

    for (size_t i = 0; titles[i] != NULL; i++)
        json_object_array_add(row, json_object_new_string(titles[i]));
    return row;
}

const char *stacky_flag(const char *routing_key)
{
    size_t n = routing_key != NULL ? strlen(routing_key) : 0;

    return n >= 5 && strcmp(routing_key + n - 5, "error") == 0 ? "E" : " ";
}

static const char *const stacky_nova_titles[] = {"#",    "?",     "When",   "Deployment", "Event",
                                                 "Host", "State", "State'", "Task'",      NULL};
static const char *const stacky_glance_titles[] = {"#",     "?",    "When",   "Deployment",
                                                   "Event", "Host", "Status", NULL};
static const char *const stacky_generic_titles[] = {
    "#", "?", "When", "Deployment", "Event", "Host", "Instance", "Request id", NULL};

json_object *stacky_raw_titles(sk_table_t t)
{
    return stacky_titles(t == SK_GLANCE    ? stacky_glance_titles
                         : t == SK_GENERIC ? stacky_generic_titles
                                           : stacky_nova_titles);
}

json_object *stacky_raw_row(const sk_raw_t *r, const sk_deployment_t *deps, size_t ndeps)
{
    const sk_msg_t *m = &r->m;
    json_object *row = json_object_new_array_ext(9);

    json_object_array_add(row, json_object_new_uint64(r->id));
    json_object_array_add(row, json_object_new_string(stacky_flag(m->routing_key)));
    json_object_array_add(row, stacky_when(m->when_us));
    json_object_array_add(row, stacky_str(sk_deployment_name(deps, ndeps, r->deployment)));
    json_object_array_add(row, stacky_str(m->event));
    json_object_array_add(row, stacky_str(m->host));
    switch (m->table) {
    case SK_GLANCE:
        json_object_array_add(row, stacky_str(m->status));
        break;
    case SK_GENERIC:
        json_object_array_add(row, stacky_str(m->instance));
        json_object_array_add(row, stacky_str(m->request_id));
        break;
    default:
        json_object_array_add(row, stacky_str(m->state));
        json_object_array_add(row, stacky_str(m->old_state));
        json_object_array_add(row, stacky_str(m->old_task));
        break;
    }
    return row;
}

/* ---- POST /stacky/ingest/ (§1.3) ---- */

/* 1 when the media type of ct (parameters aside) is type. */
static int stacky_is_type(const char *ct, const char *type)
{
    size_t n = strlen(type);

    return ct != NULL && strncasecmp(ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int stacky_is_ndjson(const char *ct)
{
    return stacky_is_type(ct, "application/x-ndjson") || stacky_is_type(ct, "application/jsonl") ||
           stacky_is_type(ct, "application/json-seq");
}

/* The message text: the old form's args field (§1.3 form 3), else the body. */
static int stacky_ingest_text(req_t *req, const char **text, size_t *len, vg_err_t *err)
{
    if (stacky_is_type(req->content_type, "application/x-www-form-urlencoded")) {
        /* the router merged the form fields into the arguments */
        if ((*text = req_arg(req, "args")) == NULL)
            return vg_fail(err, VG_EINVAL, "Missing form field: args");
        *len = strlen(*text);
        return VG_OK;
    }
    *text = req->body != NULL ? req->body : "";
    *len = req->body_len;
    if (stacky_is_type(req->content_type, "application/json-seq")) {
        /* RFC 7464 starts each record with RS, which JSON text never holds: make it a blank */
        char *t = vg_arena_strndup(req->arena, *text, *len);

        for (char *p = memchr(t, 0x1e, *len); p != NULL;
             p = memchr(p, 0x1e, *len - (size_t)(p - t)))
            *p = ' ';
        *text = t;
    }
    return VG_OK;
}

/* Fails with rc and "line N: <why> (K ingested before it)". */
static int stacky_ingest_fail(vg_err_t *err, int rc, const sk_part_t *part, size_t done)
{
    char why[sizeof err->msg];
    int code = err->code != 0 ? err->code : rc;

    snprintf(why, sizeof why, "%s", err->msg);
    return vg_fail(err, code, "line %zu: %.400s (%zu ingested before it)", part->line, why, done);
}

static int stacky_ingest(req_t *req, resp_t *resp, vg_err_t *err)
{
    const char *dep = req_arg(req, "deployment"), *text = NULL;
    sk_parse_opts_t o = {.table = -1, .routing_key = req_arg(req, "routing_key")};
    sk_part_t *parts;
    size_t nparts, len = 0;
    sk_table_t t;
    json_object *root, *ids;
    int rc;

    if (dep == NULL)
        dep = "default";
    if (!sk_deployment_ok(dep))
        return vg_fail(err, VG_EINVAL, "Invalid deployment name (1 to %d characters): %.200s",
                       SK_DEPLOYMENT_MAX, dep);
    if (req_arg(req, "service") != NULL) {
        if ((rc = stacky_service(req, SK_NOVA, 0, &t, err)) != VG_OK)
            return rc;
        o.table = (int)t;
    }
    if ((rc = stacky_ingest_text(req, &text, &len, err)) != VG_OK)
        return rc;
    sk_body_split(req->arena, text, len, stacky_is_ndjson(req->content_type), &parts, &nparts);
    if (nparts == 0)
        return vg_fail(err, VG_EINVAL, "Empty body: no notification to ingest");
    ids = json_object_new_array_ext((int)nparts);
    for (size_t i = 0; i < nparts; i++) {
        sk_msg_t m;
        uint64_t id = 0;

        /* parsed before the transaction: a bad message stores nothing */
        rc = sk_msg_parse(req->arena, parts[i].p, parts[i].len, &o, &m, err);
        if (rc == VG_OK)
            rc = sk_ingest(req->store, req->conf->store_default_project, dep, &m, req->now_ms, &id,
                           err);
        if (rc != VG_OK) {
            json_object_put(ids);
            return stacky_ingest_fail(err, rc, &parts[i], i);
        }
        json_object_array_add(ids, json_object_new_uint64(id));
    }
    root = json_object_new_object();
    json_object_object_add(root, "ingested", json_object_new_uint64(nparts));
    json_object_object_add(root, "ids", ids); /* root owns ids */
    return resp_json(resp, 200, root);
}

/* ---- routes ---- */

#define STACKY_GET(p, f)                                                                           \
    {.methods = M_GET | M_HEAD, .path = (p), .fn = (f), .needs_store = 1},                         \
    {                                                                                              \
        .methods = M_GET | M_HEAD, .path = p "/", .fn = (f), .needs_store = 1                      \
    }

static const route_t stacky_routes[] = {
    {.methods = M_POST, .path = "/ingest", .fn = stacky_ingest, .needs_store = 1},
    {.methods = M_POST, .path = "/ingest/", .fn = stacky_ingest, .needs_store = 1},
    STACKY_GET("/deployments", stacky_deployments),
    STACKY_GET("/events", stacky_events),
    STACKY_GET("/hosts", stacky_hosts),
    STACKY_GET("/uuid", stacky_uuid),
    STACKY_GET("/timings/uuid", stacky_timings_uuid),
    STACKY_GET("/timings", stacky_timings),
    STACKY_GET("/summary", stacky_summary),
    STACKY_GET("/request", stacky_request),
    STACKY_GET("/show/{id}", stacky_show),
    STACKY_GET("/watch/{deployment_id}", stacky_watch),
    STACKY_GET("/search", stacky_search),
    STACKY_GET("/kpi", stacky_kpi),
    STACKY_GET("/kpi/{tenant}", stacky_kpi),
    STACKY_GET("/usage/launches", stacky_usage_launches),
    STACKY_GET("/usage/deletes", stacky_usage_deletes),
    STACKY_GET("/usage/exists", stacky_usage_exists),
    STACKY_GET("/reports", stacky_reports),
    STACKY_GET("/reports/search", stacky_reports_search),
    STACKY_GET("/report/{id}", stacky_report),
    {0},
};

static const char *const stacky_prefixes[] = {"/stacky", NULL};

const api_t stacky_api = {.name = "stacky",
                          .prefixes = stacky_prefixes,
                          .routes = stacky_routes,
                          .render_error = stacky_render_error};
