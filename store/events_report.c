/* store/events_report.c - the "summary for region: <region|all>" report job (version 4,
 * ../shared/specs/stacktach.md §4.19): the requests that touched the period's updated instances,
 * each with its duration, operation, image and OS kind and failure type, grouped by (operation,
 * image, os) and stored as one report. Built on the event store's public API only: index range
 * scans in short read transactions, a chunk of raws at a time, so memory follows the period's
 * instances and requests, not its raws.
 * SPDX-License-Identifier: MIT */
#include "events.h"

#include "core/json.h"
#include "core/num.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SK_RPT_VERSION    4
#define SK_RPT_PERCENTILE 97
#define SK_RPT_TOO_LONG_S 1800         /* a request longer than this failed "> 30" */
#define SK_RPT_CHUNK      1024         /* raws read per read transaction */
#define SK_RPT_MAX_HOURS  (24 * 366)   /* the longest period a report may cover */
#define SK_RPT_HOUR_US    3600000000LL /* one hour in microseconds */
#define SK_RPT_JSON_DEPTH 66 /* a stored [routing_key, body]: ingest's 64 levels, plus the pair */
#define SK_RPT_EVENT_UPD  "compute.instance.update"
#define SK_RPT_EVENT_EXST "compute.instance.exists"

/* The failure types, in the report's column order; HTTP is an error without a 4xx/5xx code,
 * which no column counts. */
enum { SK_RPT_4XX, SK_RPT_5XX, SK_RPT_LONG, SK_RPT_STATE, SK_RPT_NTYPES, SK_RPT_HTTP, SK_RPT_OK };

static const char *const sk_rpt_type_names[SK_RPT_NTYPES] = {"4xx", "5xx", "> 30", "state"};

/* the operations, in the order an event name is searched for them */
static const char *const sk_rpt_ops[] = {"create", "rebuild", "rescue", "resize", "snapshot"};

static const char *const sk_rpt_titles[] = {
    "Operation", "Image", "OS Type", "Min",   "Max",  "Med",    "97%",   "Requests",
    "4xx",       "% 4xx", "5xx",     "% 5xx", "> 30", "% > 30", "state", "% state"};

/* One (operation, image, os) row in the making. */
typedef struct {
    const char *op, *image, *os; /* static strings */
    int64_t *durs;               /* request durations, microseconds */
    size_t n, cap;
    size_t failed[SK_RPT_NTYPES];
} sk_rpt_group_t;

/* The job's state between scans. */
typedef struct {
    store_t *st;
    vg_arena_t *a;   /* the caller's: groups and the report */
    uint32_t *scope; /* deployment ids in scope */
    size_t nscope;
    int all;            /* every deployment is in scope */
    json_object *cells; /* the scope's names */
    json_object *insts; /* instance -> {request id: null}, both sets */
    sk_rpt_group_t *groups;
    size_t ngroups, capgroups;
} sk_rpt_t;

/* One request's walk over its raws in time order. */
typedef struct {
    int have;
    int64_t first_us, last_us;
    const char *op;
    int64_t bits;
    int fail;         /* SK_RPT_OK, SK_RPT_HTTP or SK_RPT_STATE while walking */
    uint64_t err_raw; /* the last raw on an error routing key */
} sk_rpt_req_t;

/* ---- chunked index scans ---- */

typedef struct {
    const sk_query_t *q;
    vg_arena_t *scratch;
    sk_raw_t *rows;
    size_t n;
} sk_rpt_chunk_t;

static int sk_rpt_chunk_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sk_rpt_chunk_t *c = arg;

    vg_arena_reset(c->scratch); /* a retried attempt starts afresh */
    return sk_raws_query(st, txn, c->scratch, c->q, &c->rows, &c->n, err);
}

typedef int (*sk_rpt_row_fn)(const sk_raw_t *r, void *arg, vg_err_t *err);

/* Calls fn for every raw q matches, in index order (when, then id), reading SK_RPT_CHUNK raws per
 * read transaction into scratch; a chunk resumes at the previous one's last time, skipping the
 * raws of that time already seen. q's window fields are overwritten. */
static int sk_rpt_scan(store_t *st, vg_arena_t *scratch, sk_query_t *q, sk_rpt_row_fn fn, void *arg,
                       vg_err_t *err)
{
    sk_rpt_chunk_t c = {.q = q, .scratch = scratch};
    int rc;

    q->descending = 0;
    q->offset = 0;
    q->limit = SK_RPT_CHUNK;
    for (;;) {
        if ((rc = store_txn_run(st, sk_rpt_chunk_txn, &c, err)) < 0)
            return rc;
        for (size_t i = 0; i < c.n; i++)
            if ((rc = fn(&c.rows[i], arg, err)) < 0)
                return rc;
        if (c.n < SK_RPT_CHUNK)
            return VG_OK;
        int64_t last = c.rows[c.n - 1].m.when_us;
        size_t same = 0;

        while (same < c.n && c.rows[c.n - 1 - same].m.when_us == last)
            same++;
        if (same == c.n && !q->when_min_excl && q->when_min == last)
            q->offset += same; /* a whole chunk at one time: step over it */
        else
            q->offset = same;
        q->when_min = last;
        q->when_min_excl = 0;
    }
}

/* ---- scope and the period's instances and requests ---- */

static void sk_rpt_json_put(void *p)
{
    json_object_put(p);
}

/* ASCII upper-case copy of s in a (the region match ignores case). */
static char *sk_rpt_upper(vg_arena_t *a, const char *s)
{
    char *u = vg_arena_strdup(a, s);

    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

typedef struct {
    vg_arena_t *a;
    sk_deployment_t *v;
    size_t n;
} sk_rpt_deps_t;

static int sk_rpt_deps_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sk_rpt_deps_t *d = arg;

    return sk_deployments(st, txn, d->a, &d->v, &d->n, err);
}

/* The deployments whose upper-cased name holds the upper-cased region (all for NULL). */
static int sk_rpt_scope(sk_rpt_t *x, const char *region, vg_err_t *err)
{
    sk_rpt_deps_t d = {.a = x->a};
    const char *want = region != NULL ? sk_rpt_upper(x->a, region) : NULL;
    int rc;

    if ((rc = store_txn_run(x->st, sk_rpt_deps_txn, &d, err)) < 0)
        return rc;
    x->scope = vg_arena_alloc(x->a, (d.n > 0 ? d.n : 1) * sizeof *x->scope);
    for (size_t i = 0; i < d.n; i++) {
        if (want != NULL && strstr(sk_rpt_upper(x->a, d.v[i].name), want) == NULL)
            continue;
        x->scope[x->nscope++] = d.v[i].id;
        json_object_array_add(x->cells, json_object_new_string(d.v[i].name));
    }
    x->all = x->nscope == d.n;
    return VG_OK;
}

static int sk_rpt_in_scope(const sk_rpt_t *x, uint32_t dep)
{
    if (x->all)
        return 1;
    for (size_t i = 0; i < x->nscope; i++)
        if (x->scope[i] == dep)
            return 1;
    return 0;
}

/* An update in the period: its instance joins the set. */
static int sk_rpt_on_update(const sk_raw_t *r, void *arg, vg_err_t *err)
{
    sk_rpt_t *x = arg;
    const char *inst = r->m.instance;

    if (inst == NULL || *inst == '\0' || !sk_rpt_in_scope(x, r->deployment))
        return VG_OK;
    if (!json_object_object_get_ex(x->insts, inst, NULL))
        json_object_object_add(x->insts, inst, json_object_new_object());
    return VG_OK;
}

/* A raw in the period: its request id joins its instance's requests when the instance is in the
 * set (exists notifications are not requests, and neither is a missing request id: following
 * "" would read every raw that has none). */
static int sk_rpt_on_period_raw(const sk_raw_t *r, void *arg, vg_err_t *err)
{
    sk_rpt_t *x = arg;
    json_object *reqs;

    if (r->m.instance == NULL || r->m.request_id == NULL || r->m.request_id[0] == '\0' ||
        strcmp(r->m.event, SK_RPT_EVENT_EXST) == 0 ||
        !json_object_object_get_ex(x->insts, r->m.instance, &reqs))
        return VG_OK;
    if (!json_object_object_get_ex(reqs, r->m.request_id, NULL))
        json_object_object_add(reqs, r->m.request_id, NULL);
    return VG_OK;
}

/* ---- one request ---- */

static int sk_rpt_on_request_raw(const sk_raw_t *r, void *arg, vg_err_t *err)
{
    sk_rpt_req_t *q = arg;
    const sk_msg_t *m = &r->m;
    int was_error = m->old_state != NULL && strcmp(m->old_state, "error") == 0;
    int is_error = m->state != NULL && strcmp(m->state, "error") == 0;

    if (strcmp(m->event, SK_RPT_EVENT_EXST) == 0)
        return VG_OK;
    if (!q->have) {
        q->have = 1;
        q->first_us = m->when_us;
    }
    q->last_us = m->when_us;
    if (m->routing_key != NULL && strstr(m->routing_key, "error") != NULL) {
        q->fail = SK_RPT_HTTP;
        q->err_raw = r->id;
    }
    if (!was_error && is_error)
        q->fail = SK_RPT_STATE;
    /* leaving error for anything but deleted clears the failure, whatever it was */
    if (was_error && !is_error && (m->state == NULL || strcmp(m->state, "deleted") != 0))
        q->fail = SK_RPT_OK;
    for (size_t i = 0; i < sizeof sk_rpt_ops / sizeof sk_rpt_ops[0]; i++) {
        if (strstr(m->event, sk_rpt_ops[i]) != NULL) {
            q->op = sk_rpt_ops[i];
            break;
        }
    }
    if (m->image_type != SK_NULL_IMAGE_TYPE)
        q->bits |= m->image_type;
    return VG_OK;
}

/* The stored raw's body.payload.exception.kwargs.code (an integer or a string of digits); 0
 * when the text is not [routing_key, {...}] or has no such code. */
static int64_t sk_rpt_error_code(vg_arena_t *a, const sk_msg_t *m)
{
    json_object *root, *body, *o;
    static const char *const path[] = {"payload", "exception", "kwargs", "code"};
    vg_err_t err = {0};

    if (m->json == NULL ||
        vg_json_parse(a, m->json, m->json_len, SK_RPT_JSON_DEPTH, &root, &err) != VG_OK)
        return 0;
    if (!json_object_is_type(root, json_type_array) || json_object_array_length(root) != 2)
        return 0;
    body = json_object_array_get_idx(root, 1);
    o = body;
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, path[i], &o))
            return 0;
    }
    if (json_object_is_type(o, json_type_int))
        return json_object_get_int64(o);
    if (json_object_is_type(o, json_type_string)) {
        const char *s = json_object_get_string(o);
        char *end;
        long long v = strtoll(s, &end, 10);

        if (*s != '\0' && *end == '\0' && end - s <= 18)
            return v;
    }
    return 0;
}

typedef struct {
    uint64_t id;
    vg_arena_t *a;
    int64_t code;
} sk_rpt_err_t;

static int sk_rpt_err_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sk_rpt_err_t *e = arg;
    sk_raw_t r;
    int rc;

    vg_arena_reset(e->a);
    e->code = 0;
    if ((rc = sk_raw_get(st, txn, e->a, SK_NOVA, e->id, &r, err)) == VG_ENOTFOUND)
        return VG_OK; /* gone since the scan: no code to read */
    if (rc < 0)
        return rc;
    e->code = sk_rpt_error_code(e->a, &r.m);
    return VG_OK;
}

/* The group of (op, image, os), created on first use. */
static sk_rpt_group_t *sk_rpt_group(sk_rpt_t *x, const char *op, const char *image, const char *os)
{
    sk_rpt_group_t *g;

    for (size_t i = 0; i < x->ngroups; i++) {
        g = &x->groups[i];
        if (strcmp(g->op, op) == 0 && strcmp(g->image, image) == 0 && strcmp(g->os, os) == 0)
            return g;
    }
    if (x->ngroups == x->capgroups) {
        size_t cap = x->capgroups ? 2 * x->capgroups : 16;
        sk_rpt_group_t *grown = vg_arena_alloc(x->a, cap * sizeof *grown);

        if (x->ngroups > 0)
            memcpy(grown, x->groups, x->ngroups * sizeof *grown);
        x->groups = grown;
        x->capgroups = cap;
    }
    g = &x->groups[x->ngroups++];
    memset(g, 0, sizeof *g);
    g->op = op;
    g->image = image;
    g->os = os;
    return g;
}

static void sk_rpt_group_add(sk_rpt_t *x, sk_rpt_group_t *g, int64_t dur_us, int fail)
{
    g->durs = vg_arena_grow(x->a, g->durs, g->n, &g->cap, sizeof *g->durs);
    g->durs[g->n++] = dur_us;
    if (fail >= 0 && fail < SK_RPT_NTYPES)
        g->failed[fail]++;
}

/* Walks the raws of request id (any time, any deployment, exists excluded) and adds it to its
 * group. */
static int sk_rpt_request(sk_rpt_t *x, vg_arena_t *scratch, const char *id, vg_err_t *err)
{
    sk_rpt_req_t q = {.op = "aux", .fail = SK_RPT_OK};
    sk_query_t by = {.table = SK_NOVA,
                     .index = SK_BY_REQUEST,
                     .value = id,
                     .when_min = SK_NO_TIME,
                     .when_max = SK_NO_TIME};
    const char *image, *os;
    int64_t dur;
    int rc;

    if ((rc = sk_rpt_scan(x->st, scratch, &by, sk_rpt_on_request_raw, &q, err)) < 0)
        return rc;
    if (!q.have)
        return VG_OK;
    dur = q.last_us - q.first_us;
    if (q.fail == SK_RPT_OK && dur > (int64_t)SK_RPT_TOO_LONG_S * 1000000)
        q.fail = SK_RPT_LONG;
    if (q.fail == SK_RPT_HTTP) {
        sk_rpt_err_t e = {.id = q.err_raw, .a = scratch};

        if ((rc = store_txn_run(x->st, sk_rpt_err_txn, &e, err)) < 0)
            return rc;
        if (e.code >= 400 && e.code < 500)
            q.fail = SK_RPT_4XX;
        else if (e.code >= 500 && e.code < 600)
            q.fail = SK_RPT_5XX;
    }
    image = (q.bits & 0x2) ? "snap" : (q.bits & 0x1) ? "base" : "?";
    os = (q.bits & 0x20) ? "windows" : (q.bits & 0x10) ? "linux" : "?";
    sk_rpt_group_add(x, sk_rpt_group(x, q.op, image, os), dur, q.fail);
    return VG_OK;
}

/* ---- the report text ---- */

/* A float as Python's repr prints it: the shortest text that reads back, with ".0" on whole
 * numbers (report values are percentages, fractions and unix times: never exponents). */
static json_object *sk_rpt_float(double v)
{
    char buf[VG_FTOA_MAX + 2];
    size_t n = vg_ftoa_go(v, buf);

    if (strpbrk(buf, ".eEnN") == NULL)
        memcpy(buf + n, ".0", 3);
    return json_object_new_double_s(v, buf);
}

static double sk_rpt_ratio(size_t part, size_t whole)
{
    return whole > 0 ? (double)part / (double)whole : 0.0;
}

static json_object *sk_rpt_dur(int64_t us)
{
    char buf[SK_FMT_MAX];

    return json_object_new_string(sk_fmt_sec_to_str(buf, us / 1000000));
}

static int sk_rpt_cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

    return (a > b) - (a < b);
}

static int sk_rpt_cmp_group(const void *pa, const void *pb)
{
    const sk_rpt_group_t *a = pa, *b = pb;
    int c = strcmp(a->op, b->op);

    if (c == 0)
        c = strcmp(a->image, b->image);
    return c != 0 ? c : strcmp(a->os, b->os);
}

/* [op, image, os, min, max, median, 97th percentile, requests, then count and fraction of each
 * failure type]; sorts g's durations. */
static json_object *sk_rpt_row(sk_rpt_group_t *g)
{
    json_object *row = json_object_new_array_ext(8 + 2 * SK_RPT_NTYPES);
    size_t pi = (size_t)((double)SK_RPT_PERCENTILE / 100.0 * (double)g->n);

    qsort(g->durs, g->n, sizeof *g->durs, sk_rpt_cmp_i64);
    if (pi >= g->n)
        pi = g->n - 1;
    json_object_array_add(row, json_object_new_string(g->op));
    json_object_array_add(row, json_object_new_string(g->image));
    json_object_array_add(row, json_object_new_string(g->os));
    json_object_array_add(row, sk_rpt_dur(g->durs[0]));
    json_object_array_add(row, sk_rpt_dur(g->durs[g->n - 1]));
    json_object_array_add(row, sk_rpt_dur(g->durs[g->n / 2]));
    json_object_array_add(row, sk_rpt_dur(g->durs[pi]));
    json_object_array_add(row, json_object_new_int64((int64_t)g->n));
    for (int t = 0; t < SK_RPT_NTYPES; t++) {
        json_object_array_add(row, json_object_new_int64((int64_t)g->failed[t]));
        json_object_array_add(row, sk_rpt_float(sk_rpt_ratio(g->failed[t], g->n)));
    }
    return row;
}

/* The whole report array; takes x->cells. */
static json_object *sk_rpt_json(sk_rpt_t *x, int64_t start_us, int64_t end_us, int hours,
                                const char *region)
{
    json_object *root = json_object_new_array(), *meta = json_object_new_object(),
                *titles = json_object_new_array_ext(sizeof sk_rpt_titles / sizeof *sk_rpt_titles);
    size_t total = 0, grand = 0, failed[SK_RPT_NTYPES] = {0};

    if (x->ngroups > 1)
        qsort(x->groups, x->ngroups, sizeof *x->groups, sk_rpt_cmp_group);
    for (size_t i = 0; i < x->ngroups; i++) {
        total += x->groups[i].n;
        for (int t = 0; t < SK_RPT_NTYPES; t++)
            failed[t] += x->groups[i].failed[t];
    }
    json_object_object_add(meta, "percentile", json_object_new_int(SK_RPT_PERCENTILE));
    json_object_object_add(meta, "pct", sk_rpt_float((100 - SK_RPT_PERCENTILE) / 2.0 / 100.0));
    json_object_object_add(meta, "hours", json_object_new_int(hours));
    json_object_object_add(meta, "start", sk_rpt_float((double)(start_us / 1000000)));
    json_object_object_add(meta, "end", sk_rpt_float((double)(end_us / 1000000)));
    json_object_object_add(meta, "region", region ? json_object_new_string(region) : NULL);
    json_object_object_add(meta, "cells", x->cells); /* meta owns the cells now */
    x->cells = NULL;
    json_object_object_add(meta, "total", json_object_new_int64((int64_t)total));
    for (int t = 0; t < SK_RPT_NTYPES; t++) {
        char key[64];

        grand += failed[t];
        snprintf(key, sizeof key, "%s failure count", sk_rpt_type_names[t]);
        json_object_object_add(meta, key, json_object_new_int64((int64_t)failed[t]));
        snprintf(key, sizeof key, "%s failure percentage", sk_rpt_type_names[t]);
        json_object_object_add(meta, key, sk_rpt_float(sk_rpt_ratio(failed[t], total) * 100.0));
    }
    json_object_object_add(meta, "failure_grand_total", json_object_new_int64((int64_t)grand));
    json_object_object_add(meta, "failure_grand_rate",
                           sk_rpt_float(sk_rpt_ratio(grand, total) * 100.0));
    json_object_array_add(root, meta);
    for (size_t i = 0; i < sizeof sk_rpt_titles / sizeof *sk_rpt_titles; i++)
        json_object_array_add(titles, json_object_new_string(sk_rpt_titles[i]));
    json_object_array_add(root, titles);
    for (size_t i = 0; i < x->ngroups; i++)
        json_object_array_add(root, sk_rpt_row(&x->groups[i]));
    return root;
}

typedef struct {
    const sk_report_t *r;
    uint64_t id;
} sk_rpt_put_t;

static int sk_rpt_put_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sk_rpt_put_t *p = arg;

    return sk_report_put(st, txn, p->r, &p->id, err);
}

/* ---- the job ---- */

/* Gathers the groups: the period's updated instances in scope, their requests in the period,
 * then each request's whole walk. */
static int sk_rpt_collect(sk_rpt_t *x, vg_arena_t *scratch, int64_t start_us, int64_t end_us,
                          vg_err_t *err)
{
    sk_query_t upd = {.table = SK_NOVA,
                      .index = SK_BY_EVENT,
                      .value = SK_RPT_EVENT_UPD,
                      .deployment = x->all || x->nscope != 1 ? 0 : x->scope[0],
                      .when_min = start_us,
                      .when_min_excl = 1,
                      .when_max = end_us};
    sk_query_t period = {.table = SK_NOVA,
                         .index = SK_BY_WHEN,
                         .when_min = start_us,
                         .when_min_excl = 1,
                         .when_max = end_us};
    int rc;

    if (x->nscope == 0)
        return VG_OK;
    if ((rc = sk_rpt_scan(x->st, scratch, &upd, sk_rpt_on_update, x, err)) < 0)
        return rc;
    if (json_object_object_length(x->insts) == 0)
        return VG_OK;
    if ((rc = sk_rpt_scan(x->st, scratch, &period, sk_rpt_on_period_raw, x, err)) < 0)
        return rc;
    json_object_object_foreach(x->insts, inst, reqs)
    {
        (void)inst;
        json_object_object_foreach(reqs, id, unused)
        {
            (void)unused;
            if ((rc = sk_rpt_request(x, scratch, id, err)) < 0)
                return rc;
        }
    }
    return VG_OK;
}

int sk_report_summary(store_t *st, vg_arena_t *a, int64_t start_us, int hours, const char *region,
                      int64_t now_us, uint64_t *id, vg_err_t *err)
{
    sk_rpt_t x = {.st = st, .a = a};
    vg_arena_t scratch;
    int64_t end_us;
    int rc;

    if (hours < 1 || hours > SK_RPT_MAX_HOURS)
        return vg_fail(err, VG_EINVAL, "report: hours must be 1 to %d, not %d", SK_RPT_MAX_HOURS,
                       hours);
    if (start_us == SK_NO_TIME || start_us < 0 || start_us % SK_RPT_HOUR_US != 0)
        return vg_fail(err, VG_EINVAL, "report: the period must start on a whole UTC hour");
    if (region != NULL && *region == '\0')
        region = NULL;                                    /* an empty region is every deployment */
    end_us = start_us + hours * SK_RPT_HOUR_US - 1000000; /* 13:00:00 .. 13:59:59 */
    x.cells = json_object_new_array();
    x.insts = json_object_new_object();
    vg_arena_defer(a, sk_rpt_json_put, x.insts);
    vg_arena_init(&scratch, 256 * 1024);
    rc = sk_rpt_scope(&x, region, err);
    if (rc == VG_OK)
        rc = sk_rpt_collect(&x, &scratch, start_us, end_us, err);
    vg_arena_fini(&scratch);
    if (rc < 0) {
        json_object_put(x.cells);
        return rc;
    }

    json_object *root = sk_rpt_json(&x, start_us, end_us, hours, region);
    sk_report_t r = {.period_start_us = start_us,
                     .period_end_us = end_us,
                     .created_us = now_us,
                     .name = vg_arena_sprintf(a, "summary for region: %s", region ? region : "all"),
                     .version = SK_RPT_VERSION};
    sk_rpt_put_t put = {.r = &r};

    vg_arena_defer(a, sk_rpt_json_put, root);
    r.json = vg_json_text(root, &r.json_len);
    if ((rc = store_txn_run(st, sk_rpt_put_txn, &put, err)) < 0)
        return rc;
    *id = put.id;
    return VG_OK;
}
