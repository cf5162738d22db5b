/* handlers/sysmon/api.c - NHN Cloud System Monitoring's project API under /v1.0: the servers a
 * project may scrape, its OpenMetrics jobs (dashboard workspaces) and their targets. Every route
 * authenticates by appkey (the key's project must be the path's, else 403); answers use the
 * {"header":{"isSuccessful","resultCode","resultMessage"},"body":...} envelope, with HTTP 200 for
 * the documented negative result codes. Checks run in the order the API documents: appkey, the
 * path's job and target, then the body and parameters, then the host, then conflicts.
 * SPDX-License-Identifier: MIT */
#include "core/json.h"
#include "core/mem.h"
#include "core/time.h"
#include "fcgi/router.h"
#include "store/inventory.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* result codes (err->subcode) */
enum {
    SYS_ALREADY_EXIST = -40001,
    SYS_BAD_INPUT = -40002,
    SYS_INVALID_HOST = -40004,
    SYS_NOT_FOUND_JOB = -40006,
    SYS_NOT_FOUND_TARGET = -40007,
    SYS_INTERNAL = -50000,
};

#define SYS_MAX_BODY    (64 * 1024)
#define SYS_NAME_MAX    100  /* jobName: it becomes the job label of every scraped series */
#define SYS_PATH_MAX    512  /* metricsPath */
#define SYS_DESC_MAX    1000 /* description */
#define SYS_JSON_DEPTH  4
#define SYS_JOBS_MAX    1000 /* per project */
#define SYS_TARGETS_MAX 1000 /* per job */
#define SYS_MEMBER_ID   "memberId"
#define SYS_REGION_HDR  "X-SYSMON-REGION"
#define SYS_UUID_LEN    36

static int sys_fail(vg_err_t *err, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails with a documented result code (err->subcode) and the precise reason. */
static int sys_fail(vg_err_t *err, int result, const char *fmt, ...)
{
    char msg[sizeof err->msg];
    va_list ap;
    int code = result == SYS_INTERNAL                                          ? VG_EINTERNAL
               : result == SYS_NOT_FOUND_JOB || result == SYS_NOT_FOUND_TARGET ? VG_ENOTFOUND
               : result == SYS_ALREADY_EXIST                                   ? VG_ECONFLICT
                                                                               : VG_EINVAL;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vg_fail(err, code, "%s", msg);
    err->subcode = result;
    return err->code;
}

static const char *sys_result_message(int result)
{
    switch (result) {
    case SYS_ALREADY_EXIST:
        return "ALREADY_EXIST";
    case SYS_BAD_INPUT:
        return "BAD_INPUT_VALUE";
    case SYS_INVALID_HOST:
        return "INVALID_HOST_OR_PROJECT";
    case SYS_NOT_FOUND_JOB:
        return "NOT_FOUND_JOB";
    case SYS_NOT_FOUND_TARGET:
        return "NOT_FOUND_TARGET";
    default:
        return "INTERNAL_SERVER_ERROR";
    }
}

static json_object *sys_header(int ok, int code, const char *message)
{
    json_object *h = json_object_new_object();

    json_object_object_add(h, "isSuccessful", json_object_new_boolean(ok));
    json_object_object_add(h, "resultCode", json_object_new_int(code));
    json_object_object_add(h, "resultMessage", json_object_new_string(message));
    return h;
}

static int sys_ok(resp_t *resp, json_object *body)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "header", sys_header(1, 0, "SUCCESS"));
    json_object_object_add(o, "body", body);
    return resp_json(resp, 200, o);
}

/* Authentication and routing failures are HTTP errors (401, 403, 404, 405, 413, 503) with the
 * envelope; the documented failures are HTTP 200 with their negative resultCode. The precise
 * reason is the body. */
static int sys_render_error(req_t *req, resp_t *resp, const vg_err_t *err)
{
    json_object *o = json_object_new_object();
    int status = 200, code;
    const char *msg;

    (void)req;
    switch (err->code) {
    case VG_EAUTH:
        status = 401, msg = "UNAUTHORIZED";
        break;
    case VG_EDENIED:
        status = 403, msg = "FORBIDDEN";
        break;
    case VG_EMETHOD:
        status = 405, msg = "METHOD_NOT_ALLOWED";
        break;
    case VG_ETOOBIG:
        status = 413, msg = "PAYLOAD_TOO_LARGE";
        break;
    case VG_EUNAVAIL:
        status = 503, msg = "SERVICE_UNAVAILABLE";
        break;
    case VG_ENOTFOUND:
        if (err->subcode == FC_SUB_ROUTE || err->subcode == 0) {
            status = 404, msg = "NOT_FOUND";
            break;
        }
        /* fall through */
    default:
        if (err->subcode < 0)
            code = err->subcode;
        else if (err->code == VG_EINVAL || err->code == VG_EHEADERS)
            code = SYS_BAD_INPUT;
        else
            code = SYS_INTERNAL;
        json_object_object_add(o, "header", sys_header(0, code, sys_result_message(code)));
        json_object_object_add(o, "body", json_object_new_string(err->msg));
        return resp_json(resp, 200, o);
    }
    json_object_object_add(o, "header", sys_header(0, status, msg));
    json_object_object_add(o, "body", json_object_new_string(err->msg));
    if (status == 401)
        resp_header(resp, "WWW-Authenticate", "Basic realm=\"vigil\"");
    return resp_json(resp, status, o);
}

/* ---- request pieces ---- */

static const char *sys_project(const req_t *req)
{
    return req->project; /* == the path's projectId: auth checked it */
}

static void sys_now(const req_t *req, char out[20])
{
    char full[40];

    vg_rfc3339_format(req->now_ms - req->now_ms % 1000, full, sizeof full);
    snprintf(out, 20, "%.19s", full); /* YYYY-MM-DDTHH:MM:SS */
}

static int sys_uuid_valid(const char *s)
{
    if (strlen(s) != SYS_UUID_LEN)
        return 0;
    for (int i = 0; i < SYS_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The memberId parameter: NULL when absent (and not required), VG_EINVAL when not a UUID. */
static int sys_member(const req_t *req, int required, const char **out, vg_err_t *err)
{
    const char *m = req_arg(req, SYS_MEMBER_ID);

    *out = NULL;
    if (m == NULL || *m == '\0') {
        if (required)
            return sys_fail(err, SYS_BAD_INPUT, "memberId is required");
        return VG_OK;
    }
    if (!sys_uuid_valid(m))
        return sys_fail(err, SYS_BAD_INPUT, "memberId must be a UUID, not \"%.64s\"", m);
    *out = m;
    return VG_OK;
}

static int sys_region(const req_t *req, const char **out, vg_err_t *err)
{
    const char *r = req_header(req, SYS_REGION_HDR);

    if (r == NULL || *r == '\0')
        return sys_fail(err, SYS_BAD_INPUT, "the X-SYSMON-REGION header is required");
    if (!inv_region_valid(r))
        return sys_fail(err, SYS_BAD_INPUT,
                        "X-SYSMON-REGION must be kr, kr2, us or jp, not \"%.32s\"", r);
    *out = r;
    return VG_OK;
}

/* The body as a JSON object whose keys are all in allowed (NULL-terminated). */
static int sys_body(req_t *req, const char *const *allowed, json_object **out, vg_err_t *err)
{
    json_object *o;
    vg_err_t perr = {0};

    if (req->body_len == 0)
        return sys_fail(err, SYS_BAD_INPUT, "a JSON object body is required");
    if (vg_json_parse(req->arena, req->body, req->body_len, SYS_JSON_DEPTH, &o, &perr) != VG_OK)
        return sys_fail(err, SYS_BAD_INPUT, "the body is not valid JSON: %s", perr.msg);
    if (!json_object_is_type(o, json_type_object))
        return sys_fail(err, SYS_BAD_INPUT, "the body must be a JSON object");
    json_object_object_foreach(o, key, val)
    {
        size_t i = 0;

        (void)val;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL)
            return sys_fail(err, SYS_BAD_INPUT, "unknown field \"%.64s\"", key);
    }
    *out = o;
    return VG_OK;
}

/* Printable text without control characters, valid UTF-8 (json-c has checked), 0..max bytes. */
static int sys_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* A string field: *out NULL when absent (or null when nullable). */
static int sys_string(json_object *o, const char *key, int required, size_t min, size_t max,
                      const char **out, vg_err_t *err)
{
    json_object *v;

    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        if (required)
            return sys_fail(err, SYS_BAD_INPUT, "%s is required", key);
        return VG_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return sys_fail(err, SYS_BAD_INPUT, "%s must be a string", key);
    *out = json_object_get_string(v);
    if (strlen(*out) < min || !sys_text_ok(*out, max)) {
        return sys_fail(err, SYS_BAD_INPUT,
                        "%s must be %zu to %zu characters without control characters", key, min,
                        max);
    }
    return VG_OK;
}

static int sys_metrics_path(const char *p, vg_err_t *err)
{
    if (p[0] != '/')
        return sys_fail(err, SYS_BAD_INPUT, "metricsPath must start with '/', not \"%.64s\"", p);
    for (const char *c = p; *c; c++)
        if (*c == ' ' || *c == '#' || (unsigned char)*c >= 0x7f)
            return sys_fail(err, SYS_BAD_INPUT,
                            "metricsPath must be a URL path (ASCII, no spaces or '#'): \"%.64s\"",
                            p);
    return VG_OK;
}

/* port: a JSON integer or a decimal string, 1..65535. */
static int sys_port(json_object *o, int *port, vg_err_t *err)
{
    json_object *v;
    long p;

    if (!json_object_object_get_ex(o, "port", &v) || v == NULL)
        return sys_fail(err, SYS_BAD_INPUT, "port is required");
    if (json_object_is_type(v, json_type_int)) {
        errno = 0;
        int64_t i = json_object_get_int64(v);

        p = i < 0 || i > 65535 || errno != 0 ? -1 : (long)i;
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;

        if (*s < '0' || *s > '9' || strlen(s) > 5)
            p = -1;
        else if ((p = strtol(s, &end, 10)), *end != '\0')
            p = -1;
    } else {
        return sys_fail(err, SYS_BAD_INPUT, "port must be a number or a decimal string");
    }
    if (p < 1 || p > 65535)
        return sys_fail(err, SYS_BAD_INPUT, "port must be between 1 and 65535");
    *port = (int)p;
    return VG_OK;
}

static const char *sys_get(json_object *o, const char *k)
{
    json_object *v;

    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static void sys_copy(json_object *to, json_object *from, const char *k)
{
    json_object *v = NULL;

    json_object_object_get_ex(from, k, &v);
    json_object_object_add(to, k, json_object_get(v));
}

/* ---- servers ---- */

typedef struct {
    const char *project, *region;
    json_object *list;
} sys_servers_t;

static int sys_server_one(const char *id, json_object *doc, void *arg)
{
    sys_servers_t *s = arg;
    const char *r = sys_get(doc, "region");
    json_object *o;

    (void)id;
    if (r == NULL || strcmp(r, s->region) != 0)
        return 0;
    o = json_object_new_object();
    sys_copy(o, doc, "hostId");
    sys_copy(o, doc, "hostNm");
    sys_copy(o, doc, "svrIp");
    sys_copy(o, doc, "projectId");
    sys_copy(o, doc, "instanceId");
    json_object_array_add(s->list, o);
    return 0;
}

static int sys_servers_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_servers_t *s = arg;

    json_object_put(s->list); /* a retried transaction starts over */
    s->list = json_object_new_array();
    return inv_list(st, txn, INV_SERVER, s->project, NULL, sys_server_one, s, err);
}

static int sys_list_servers(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_servers_t s = {.project = sys_project(req)};
    int rc;

    if ((rc = sys_region(req, &s.region, err)) != VG_OK)
        return rc;
    if ((rc = store_txn_run(req->store, sys_servers_txn, &s, err)) != VG_OK) {
        json_object_put(s.list);
        return rc;
    }
    return sys_ok(resp, s.list);
}

/* ---- jobs ---- */

/* The API's view of a stored job. */
static json_object *sys_job_view(json_object *doc)
{
    static const char *const keys[] = {"jobId",       "projectId",   "jobName",    "metricsPath",
                                       "description", "lstModifier", "lstModYmdt", NULL};
    json_object *o = json_object_new_object();

    for (size_t i = 0; keys[i] != NULL; i++)
        sys_copy(o, doc, keys[i]);
    json_object_object_add(o, "reservedJobCd", NULL);
    return o;
}

typedef struct {
    req_t *req;
    const char *job_id, *target_id, *member, *region;
    json_object *in;  /* the request body */
    json_object *out; /* the answer's body */
    const char *name; /* a jobName to look for */
    int port;
    int count;
    int found;
} sys_op_t;

static int sys_job_list_one(const char *id, json_object *doc, void *arg)
{
    sys_op_t *op = arg;

    (void)id;
    op->count++;
    if (op->name != NULL) {
        const char *n = sys_get(doc, "jobName");

        if (n != NULL && strcmp(n, op->name) == 0)
            op->found = 1;
        return 0;
    }
    json_object_array_add(op->out, sys_job_view(doc));
    return 0;
}

static int sys_jobs_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;

    json_object_put(op->out);
    op->out = json_object_new_array();
    return inv_list(st, txn, INV_JOB, sys_project(op->req), NULL, sys_job_list_one, op, err);
}

static int sys_list_jobs(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req};
    int rc = store_txn_run(req->store, sys_jobs_txn, &op, err);

    if (rc != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

/* The path's job, or SYS_NOT_FOUND_JOB. */
static int sys_job_load(store_t *st, store_txn_t *txn, sys_op_t *op, json_object **job,
                        vg_err_t *err)
{
    int rc;

    if (!inv_id_valid(op->job_id))
        return sys_fail(err, SYS_NOT_FOUND_JOB, "no job %.64s in this project", op->job_id);
    rc = inv_get(st, txn, INV_JOB, sys_project(op->req), op->job_id, job, err);
    if (rc == VG_ENOTFOUND)
        return sys_fail(err, SYS_NOT_FOUND_JOB, "no job %.64s in this project", op->job_id);
    return rc;
}

static const char *const sys_job_fields[] = {"jobName", "metricsPath", "description", NULL};
static const char *const sys_job_update_fields[] = {"metricsPath", "description", NULL};

static int sys_create_job_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    const char *name, *path, *desc;
    char id[SYS_UUID_LEN + 1], now[20];
    json_object *doc;
    int rc;

    /* validated in the handler; here only what needs the store */
    name = sys_get(op->in, "jobName");
    path = sys_get(op->in, "metricsPath");
    desc = sys_get(op->in, "description");
    op->name = name;
    op->count = op->found = 0;
    if ((rc = inv_list(st, txn, INV_JOB, sys_project(op->req), NULL, sys_job_list_one, op, err)) !=
        VG_OK)
        return rc;
    if (op->found)
        return sys_fail(err, SYS_ALREADY_EXIST, "a job named \"%s\" exists in this project", name);
    if (op->count >= SYS_JOBS_MAX)
        return sys_fail(err, SYS_BAD_INPUT, "a project holds at most 1000 jobs");
    inv_uuid(id);
    sys_now(op->req, now);
    doc = json_object_new_object();
    json_object_object_add(doc, "jobId", json_object_new_string(id));
    json_object_object_add(doc, "projectId", json_object_new_string(sys_project(op->req)));
    json_object_object_add(doc, "jobName", json_object_new_string(name));
    json_object_object_add(doc, "metricsPath", json_object_new_string(path));
    json_object_object_add(doc, "description", json_object_new_string(desc ? desc : ""));
    json_object_object_add(doc, "lstModifier",
                           op->member ? json_object_new_string(op->member) : NULL);
    json_object_object_add(doc, "lstModYmdt", json_object_new_string(now));
    json_object_object_add(doc, "region", json_object_new_string(op->region));
    rc = inv_put(st, txn, INV_JOB, sys_project(op->req), id, doc, err);
    json_object_put(op->out);
    op->out = rc == VG_OK ? sys_job_view(doc) : NULL;
    json_object_put(doc);
    return rc;
}

static int sys_job_fields_check(json_object *in, int create, vg_err_t *err)
{
    const char *name, *path, *desc;
    int rc;

    if (create && (rc = sys_string(in, "jobName", 1, 1, SYS_NAME_MAX, &name, err)) != VG_OK)
        return rc;
    if ((rc = sys_string(in, "metricsPath", create, 1, SYS_PATH_MAX, &path, err)) != VG_OK)
        return rc;
    if (path != NULL && (rc = sys_metrics_path(path, err)) != VG_OK)
        return rc;
    if ((rc = sys_string(in, "description", 0, 0, SYS_DESC_MAX, &desc, err)) != VG_OK)
        return rc;
    if (!create && path == NULL && desc == NULL)
        return sys_fail(err, SYS_BAD_INPUT, "nothing to update: give metricsPath or description%s",
                        "");
    return VG_OK;
}

static int sys_create_job(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req};
    int rc;

    if ((rc = sys_region(req, &op.region, err)) != VG_OK ||
        (rc = sys_body(req, sys_job_fields, &op.in, err)) != VG_OK ||
        (rc = sys_job_fields_check(op.in, 1, err)) != VG_OK ||
        (rc = sys_member(req, 0, &op.member, err)) != VG_OK)
        return rc;
    if ((rc = store_txn_run(req->store, sys_create_job_txn, &op, err)) != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

static int sys_get_job_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    json_object *job;
    int rc = sys_job_load(st, txn, op, &job, err);

    if (rc != VG_OK)
        return rc;
    json_object_put(op->out);
    op->out = sys_job_view(job);
    json_object_put(job);
    return VG_OK;
}

static int sys_get_job(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req, .job_id = req_param(req, "jobId")};
    int rc = store_txn_run(req->store, sys_get_job_txn, &op, err);

    if (rc != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

static int sys_update_job_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    const char *path = sys_get(op->in, "metricsPath"), *desc = sys_get(op->in, "description");
    json_object *job;
    char now[20];
    int rc;

    if ((rc = sys_job_load(st, txn, op, &job, err)) != VG_OK)
        return rc;
    /* the body is checked after the job, as documented: a missing job wins */
    if ((rc = sys_job_fields_check(op->in, 0, err)) != VG_OK ||
        (rc = sys_member(op->req, 0, &op->member, err)) != VG_OK) {
        json_object_put(job);
        return rc;
    }
    sys_now(op->req, now);
    if (path != NULL)
        json_object_object_add(job, "metricsPath", json_object_new_string(path));
    if (desc != NULL)
        json_object_object_add(job, "description", json_object_new_string(desc));
    json_object_object_add(job, "lstModifier",
                           op->member ? json_object_new_string(op->member) : NULL);
    json_object_object_add(job, "lstModYmdt", json_object_new_string(now));
    rc = inv_put(st, txn, INV_JOB, sys_project(op->req), op->job_id, job, err);
    json_object_put(op->out);
    op->out = rc == VG_OK ? sys_job_view(job) : NULL;
    json_object_put(job);
    return rc;
}

static int sys_update_job(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req, .job_id = req_param(req, "jobId")};
    vg_err_t berr = {0};
    int rc;

    /* a bad body is reported only once the job is known to exist */
    if (sys_body(req, sys_job_update_fields, &op.in, &berr) != VG_OK) {
        if ((rc = store_txn_run(req->store, sys_get_job_txn, &op, err)) != VG_OK) {
            json_object_put(op.out);
            return rc;
        }
        json_object_put(op.out);
        *err = berr;
        return err->code;
    }
    if ((rc = store_txn_run(req->store, sys_update_job_txn, &op, err)) != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

typedef struct {
    const char *project;
    char (*ids)[2 * INV_ID_MAX + 2];
    size_t n, cap;
} sys_ids_t;

static int sys_collect_id(const char *id, json_object *doc, void *arg)
{
    sys_ids_t *c = arg;
    const char *rest = id + strlen(c->project) + 1;

    (void)doc;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->ids = vg_xrealloc(c->ids, c->cap * sizeof *c->ids);
    }
    snprintf(c->ids[c->n++], sizeof c->ids[0], "%s", rest);
    return 0;
}

static int sys_delete_job_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    const char *project = sys_project(op->req);
    sys_ids_t ids = {.project = project};
    json_object *job;
    int rc;

    if ((rc = sys_job_load(st, txn, op, &job, err)) != VG_OK)
        return rc;
    json_object_put(job);
    if ((rc = sys_member(op->req, 1, &op->member, err)) != VG_OK)
        return rc;
    /* the job's targets and their status go with it; the scraper stops at its next look */
    rc = inv_list(st, txn, INV_TARGET, project, op->job_id, sys_collect_id, &ids, err);
    for (size_t i = 0; rc == VG_OK && i < ids.n; i++) {
        rc = inv_del(st, txn, INV_TARGET, project, ids.ids[i], err);
        if (rc == VG_OK &&
            (rc = inv_del(st, txn, INV_TARGET_STATUS, project, ids.ids[i], err)) == VG_ENOTFOUND)
            rc = VG_OK;
    }
    free(ids.ids);
    if (rc == VG_OK)
        rc = inv_del(st, txn, INV_JOB, project, op->job_id, err);
    return rc;
}

static int sys_delete_job(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req, .job_id = req_param(req, "jobId")};
    int rc = store_txn_run(req->store, sys_delete_job_txn, &op, err);

    if (rc != VG_OK)
        return rc;
    return sys_ok(resp, json_object_new_string(op.job_id));
}

/* ---- targets ---- */

/* The API's view of a stored target: joined with its host and its last scrape. */
static json_object *sys_target_view(store_t *st, store_txn_t *txn, const char *project,
                                    json_object *doc, vg_err_t *err, int *rc)
{
    json_object *o = json_object_new_object(), *server = NULL, *status = NULL, *port = NULL;
    const char *host = sys_get(doc, "hostId"), *job = sys_get(doc, "jobId"),
               *tid = sys_get(doc, "targetId");
    char rest[2 * INV_ID_MAX + 2];

    *rc = VG_OK;
    if (host != NULL &&
        (*rc = inv_server_get(st, txn, project, host, &server, err)) == VG_ENOTFOUND)
        *rc = VG_OK;
    if (*rc == VG_OK && job != NULL && tid != NULL) {
        snprintf(rest, sizeof rest, "%s/%s", job, tid);
        if ((*rc = inv_get(st, txn, INV_TARGET_STATUS, project, rest, &status, err)) ==
            VG_ENOTFOUND)
            *rc = VG_OK;
    }
    sys_copy(o, doc, "targetId");
    sys_copy(o, doc, "jobId");
    sys_copy(o, doc, "hostId");
    json_object_object_get_ex(doc, "port", &port);
    json_object_object_add(o, "port", json_object_get(port));
    if (status != NULL) {
        sys_copy(o, status, "resultCd");
        sys_copy(o, status, "failReason");
        sys_copy(o, status, "mntrnStatCd");
    } else {
        json_object_object_add(o, "resultCd", NULL);
        json_object_object_add(o, "failReason", NULL);
        json_object_object_add(o, "mntrnStatCd", NULL);
    }
    sys_copy(o, doc, "lstModifier");
    sys_copy(o, doc, "lstModYmdt");
    if (server != NULL) {
        sys_copy(o, server, "hostNm");
        sys_copy(o, server, "svrIp");
    } else {
        json_object_object_add(o, "hostNm", NULL);
        json_object_object_add(o, "svrIp", NULL);
    }
    json_object_put(server);
    json_object_put(status);
    return o;
}

typedef struct {
    sys_op_t *op;
    store_t *st;
    store_txn_t *txn;
    vg_err_t *err;
    int rc;
} sys_tlist_t;

static int sys_target_list_one(const char *id, json_object *doc, void *arg)
{
    sys_tlist_t *l = arg;
    sys_op_t *op = l->op;

    (void)id;
    op->count++;
    if (op->port > 0) {
        /* looking for host:port */
        const char *h = sys_get(doc, "hostId");
        json_object *p;

        if (h != NULL && strcmp(h, op->name) == 0 && json_object_object_get_ex(doc, "port", &p) &&
            json_object_get_int(p) == op->port)
            op->found = 1;
        return 0;
    }
    json_object_array_add(
        op->out, sys_target_view(l->st, l->txn, sys_project(op->req), doc, l->err, &l->rc));
    return l->rc;
}

static int sys_targets_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    sys_tlist_t l = {op, st, txn, err, 0};
    json_object *job;
    int rc;

    if ((rc = sys_job_load(st, txn, op, &job, err)) != VG_OK)
        return rc;
    json_object_put(job);
    json_object_put(op->out);
    op->out = json_object_new_array();
    return inv_list(st, txn, INV_TARGET, sys_project(op->req), op->job_id, sys_target_list_one, &l,
                    err);
}

static int sys_list_targets(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req, .job_id = req_param(req, "jobId")};
    int rc = store_txn_run(req->store, sys_targets_txn, &op, err);

    if (rc != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

static const char *const sys_target_fields[] = {"hostId", "port", "description", NULL};

static int sys_target_fields_check(sys_op_t *op, vg_err_t *err)
{
    const char *host, *desc;
    int rc;

    if ((rc = sys_body(op->req, sys_target_fields, &op->in, err)) != VG_OK ||
        (rc = sys_string(op->in, "hostId", 1, 1, INV_ID_MAX, &host, err)) != VG_OK ||
        (rc = sys_port(op->in, &op->port, err)) != VG_OK ||
        (rc = sys_string(op->in, "description", 0, 0, SYS_DESC_MAX, &desc, err)) != VG_OK ||
        (rc = sys_member(op->req, 0, &op->member, err)) != VG_OK)
        return rc;
    op->name = host;
    return VG_OK;
}

static int sys_create_target_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    const char *project = sys_project(op->req), *desc;
    sys_tlist_t l = {op, st, txn, err, 0};
    json_object *job, *server, *doc;
    char id[SYS_UUID_LEN + 1], rest[2 * INV_ID_MAX + 2], now[20];
    int rc;

    if ((rc = sys_job_load(st, txn, op, &job, err)) != VG_OK)
        return rc;
    json_object_put(job);
    if ((rc = sys_target_fields_check(op, err)) != VG_OK)
        return rc;
    rc = inv_server_get(st, txn, project, op->name, &server, err);
    if (rc == VG_ENOTFOUND)
        return sys_fail(err, SYS_INVALID_HOST, "no host \"%.128s\" in this project", op->name);
    if (rc != VG_OK)
        return rc;
    json_object_put(server);
    op->count = op->found = 0;
    if ((rc = inv_list(st, txn, INV_TARGET, project, op->job_id, sys_target_list_one, &l, err)) !=
        VG_OK)
        return rc;
    if (op->found) {
        return sys_fail(err, SYS_ALREADY_EXIST, "the job already has a target at %s:%d", op->name,
                        op->port);
    }
    if (op->count >= SYS_TARGETS_MAX)
        return sys_fail(err, SYS_BAD_INPUT, "a job holds at most 1000 targets");
    inv_uuid(id);
    sys_now(op->req, now);
    desc = sys_get(op->in, "description");
    doc = json_object_new_object();
    json_object_object_add(doc, "targetId", json_object_new_string(id));
    json_object_object_add(doc, "jobId", json_object_new_string(op->job_id));
    json_object_object_add(doc, "hostId", json_object_new_string(op->name));
    json_object_object_add(doc, "port", json_object_new_int(op->port));
    json_object_object_add(doc, "description", json_object_new_string(desc ? desc : ""));
    json_object_object_add(doc, "lstModifier",
                           op->member ? json_object_new_string(op->member) : NULL);
    json_object_object_add(doc, "lstModYmdt", json_object_new_string(now));
    snprintf(rest, sizeof rest, "%s/%s", op->job_id, id);
    rc = inv_put(st, txn, INV_TARGET, project, rest, doc, err);
    json_object_put(doc);
    json_object_put(op->out);
    op->out = rc == VG_OK ? json_object_new_string(id) : NULL;
    return rc;
}

static int sys_create_target(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {.req = req, .job_id = req_param(req, "jobId")};
    int rc = store_txn_run(req->store, sys_create_target_txn, &op, err);

    if (rc != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

/* The path's target under the path's job: SYS_NOT_FOUND_JOB, then SYS_NOT_FOUND_TARGET. */
static int sys_target_load(store_t *st, store_txn_t *txn, sys_op_t *op, json_object **doc,
                           vg_err_t *err)
{
    char rest[2 * INV_ID_MAX + 2];
    json_object *job;
    int rc;

    if ((rc = sys_job_load(st, txn, op, &job, err)) != VG_OK)
        return rc;
    json_object_put(job);
    if (!inv_id_valid(op->target_id))
        return sys_fail(err, SYS_NOT_FOUND_TARGET, "no target %.64s in this job", op->target_id);
    snprintf(rest, sizeof rest, "%s/%s", op->job_id, op->target_id);
    rc = inv_get(st, txn, INV_TARGET, sys_project(op->req), rest, doc, err);
    if (rc == VG_ENOTFOUND)
        return sys_fail(err, SYS_NOT_FOUND_TARGET, "no target %.64s in this job", op->target_id);
    return rc;
}

static int sys_get_target_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    json_object *doc;
    int rc;

    if ((rc = sys_target_load(st, txn, op, &doc, err)) != VG_OK)
        return rc;
    json_object_put(op->out);
    op->out = sys_target_view(st, txn, sys_project(op->req), doc, err, &rc);
    json_object_put(doc);
    return rc;
}

static int sys_get_target(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {
        .req = req, .job_id = req_param(req, "jobId"), .target_id = req_param(req, "targetId")};
    int rc = store_txn_run(req->store, sys_get_target_txn, &op, err);

    if (rc != VG_OK) {
        json_object_put(op.out);
        return rc;
    }
    return sys_ok(resp, op.out);
}

static int sys_delete_target_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sys_op_t *op = arg;
    char rest[2 * INV_ID_MAX + 2];
    json_object *doc;
    int rc;

    if ((rc = sys_target_load(st, txn, op, &doc, err)) != VG_OK)
        return rc;
    json_object_put(doc);
    if ((rc = sys_member(op->req, 1, &op->member, err)) != VG_OK)
        return rc;
    snprintf(rest, sizeof rest, "%s/%s", op->job_id, op->target_id);
    if ((rc = inv_del(st, txn, INV_TARGET, sys_project(op->req), rest, err)) != VG_OK)
        return rc;
    rc = inv_del(st, txn, INV_TARGET_STATUS, sys_project(op->req), rest, err);
    return rc == VG_ENOTFOUND ? VG_OK : rc;
}

static int sys_delete_target(req_t *req, resp_t *resp, vg_err_t *err)
{
    sys_op_t op = {
        .req = req, .job_id = req_param(req, "jobId"), .target_id = req_param(req, "targetId")};
    int rc = store_txn_run(req->store, sys_delete_target_txn, &op, err);

    if (rc != VG_OK)
        return rc;
    return sys_ok(resp, json_object_new_string(op.target_id));
}

#define SYS_ROUTE(m, p, f)                                                                         \
    {                                                                                              \
        .methods = (m), .path = (p), .fn = (f), .auth = AUTH_APPKEY, .max_body = SYS_MAX_BODY,     \
        .needs_store = 1                                                                           \
    }

static const route_t sys_routes[] = {
    SYS_ROUTE(M_GET, "/projects/{projectId}/servers", sys_list_servers),
    SYS_ROUTE(M_GET, "/projects/{projectId}/jobs", sys_list_jobs),
    SYS_ROUTE(M_POST, "/projects/{projectId}/jobs", sys_create_job),
    SYS_ROUTE(M_GET, "/projects/{projectId}/jobs/{jobId}", sys_get_job),
    SYS_ROUTE(M_PUT, "/projects/{projectId}/jobs/{jobId}", sys_update_job),
    SYS_ROUTE(M_DELETE, "/projects/{projectId}/jobs/{jobId}", sys_delete_job),
    SYS_ROUTE(M_GET, "/projects/{projectId}/jobs/{jobId}/targets", sys_list_targets),
    SYS_ROUTE(M_POST, "/projects/{projectId}/jobs/{jobId}/targets", sys_create_target),
    SYS_ROUTE(M_GET, "/projects/{projectId}/jobs/{jobId}/targets/{targetId}", sys_get_target),
    SYS_ROUTE(M_DELETE, "/projects/{projectId}/jobs/{jobId}/targets/{targetId}", sys_delete_target),
    {0},
};

static const char *const sys_prefixes[] = {"/v1.0", NULL};

const api_t sysmon_api = {.name = "sysmon",
                          .prefixes = sys_prefixes,
                          .routes = sys_routes,
                          .render_error = sys_render_error};
