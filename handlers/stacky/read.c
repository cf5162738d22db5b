/* handlers/stacky/read.c - the stacky views of the raw tables (../shared/specs/stacktach.md
 * §4.1-4.4, §4.8-4.11): deployments, event names, hosts, one instance's or one request's raws,
 * one raw in full (show), the live tail (watch) and the column search. Each reads in one
 * transaction, deployment names included, and every lookup by a key is an index range scan.
 * SPDX-License-Identifier: MIT */
#include "core/json.h"
#include "ingest/stacky.h"
#include "stacky_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define STACKY_SHOW_DEPTH 64    /* nesting levels re-read from a stored message */
#define STACKY_WATCH_MAX  10000 /* rows one watch answer may carry */

/* ---- deployments, events, hosts (§4.1-4.3) ---- */

typedef struct {
    vg_arena_t *a;
    sk_table_t table; /* SK_NTABLES: every table */
    sk_deployment_t *deps;
    size_t ndeps;
    const char **names[SK_NTABLES];
    size_t n[SK_NTABLES];
    int has_null;
} stacky_list_t;

static int stacky_deployments_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_list_t *l = arg;

    return sk_deployments(st, txn, l->a, &l->deps, &l->ndeps, err);
}

/* GET /stacky/deployments/ */
int stacky_deployments(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {"#", "Name", NULL};
    stacky_list_t l = {.a = req->arena};
    json_object *root;
    int rc = store_txn_run(req->store, stacky_deployments_txn, &l, err);

    if (rc != VG_OK)
        return rc;
    root = json_object_new_array_ext((int)l.ndeps + 1);
    json_object_array_add(root, stacky_titles(titles));
    for (size_t i = 0; i < l.ndeps; i++) {
        json_object *row = json_object_new_array_ext(2);

        json_object_array_add(row, json_object_new_int64(l.deps[i].id));
        json_object_array_add(row, json_object_new_string(l.deps[i].name));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

static int stacky_events_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_list_t *l = arg;
    int rc = VG_OK;

    for (int t = 0; t < SK_NTABLES && rc == VG_OK; t++) {
        l->n[t] = 0;
        if (l->table == SK_NTABLES || l->table == (sk_table_t)t)
            rc = sk_events(st, txn, l->a, (sk_table_t)t, &l->names[t], &l->n[t], err);
    }
    return rc;
}

/* [[title], [name], ...] */
static json_object *stacky_name_list(const char *title, const stacky_list_t *l, int null_first)
{
    json_object *root = json_object_new_array(), *row = json_object_new_array_ext(1);

    json_object_array_add(row, json_object_new_string(title));
    json_object_array_add(root, row);
    if (null_first) {
        row = json_object_new_array_ext(1);
        json_object_array_add(row, NULL);
        json_object_array_add(root, row);
    }
    for (int t = 0; t < SK_NTABLES; t++) {
        for (size_t i = 0; i < l->n[t]; i++) {
            row = json_object_new_array_ext(1);
            json_object_array_add(row, json_object_new_string(l->names[t][i]));
            json_object_array_add(root, row);
        }
    }
    return root;
}

/* GET /stacky/events/?service=all|nova|glance|generic: the lists one after the other, each
 * ascending, duplicates across tables kept (§4.2) */
int stacky_events(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_list_t l = {.a = req->arena};
    int rc;

    if ((rc = stacky_service(req, SK_NTABLES, 1, &l.table, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_events_txn, &l, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_name_list("Event Name", &l, 0));
}

static int stacky_hosts_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_list_t *l = arg;

    return sk_hosts(st, txn, l->a, l->table, &l->names[l->table], &l->n[l->table], &l->has_null,
                    err);
}

/* GET /stacky/hosts/?service=: a null host first, once (§4.3) */
int stacky_hosts(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_list_t l = {.a = req->arena};
    int rc;

    if ((rc = stacky_service(req, SK_NOVA, 0, &l.table, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_hosts_txn, &l, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_name_list("Host Name", &l, l.has_null));
}

/* ---- raws by a query ---- */

typedef struct {
    vg_arena_t *a;
    sk_query_t q;
    sk_deployment_t *deps;
    size_t ndeps;
    sk_raw_t *rows;
    size_t n;
    /* watch: the longest nova event name, in characters */
    int widest;
    size_t width;
    /* search by id */
    int by_id;
    uint64_t id;
} stacky_raws_t;

static int stacky_widest_event(store_t *st, store_txn_t *txn, stacky_raws_t *r, vg_err_t *err)
{
    const char **names;
    size_t n;
    int rc = sk_events(st, txn, r->a, SK_NOVA, &names, &n, err);

    r->width = 0;
    for (size_t i = 0; rc == VG_OK && i < n; i++) {
        size_t w = sk_chars(names[i]);

        if (w > r->width)
            r->width = w;
    }
    return rc;
}

/* search by id (§4.11): the one raw, when it passes the bounds and the window */
static int stacky_raw_by_id(store_t *st, store_txn_t *txn, stacky_raws_t *r, vg_err_t *err)
{
    const sk_query_t *q = &r->q;
    int rc;

    r->rows = vg_arena_alloc(r->a, sizeof *r->rows);
    rc = sk_raw_get(st, txn, r->a, q->table, r->id, &r->rows[0], err);
    if (rc == VG_ENOTFOUND)
        return VG_OK;
    if (rc != VG_OK)
        return rc;
    if ((q->when_min != SK_NO_TIME && r->rows[0].m.when_us < q->when_min) ||
        (q->when_max != SK_NO_TIME && r->rows[0].m.when_us > q->when_max) || q->offset > 0 ||
        q->limit == 0)
        return VG_OK;
    r->n = 1;
    return VG_OK;
}

static int stacky_raws_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_raws_t *r = arg;
    int rc;

    r->n = 0;
    if ((rc = sk_deployments(st, txn, r->a, &r->deps, &r->ndeps, err)) != VG_OK)
        return rc;
    if (r->widest && (rc = stacky_widest_event(st, txn, r, err)) != VG_OK)
        return rc;
    if (r->by_id)
        return stacky_raw_by_id(st, txn, r, err);
    if (r->q.limit == 0)
        return VG_OK;
    return sk_raws_query(st, txn, r->a, &r->q, &r->rows, &r->n, err);
}

/* An unbounded query of the table by when; the caller narrows it. */
static void stacky_raws_init(stacky_raws_t *r, req_t *req, sk_table_t t)
{
    memset(r, 0, sizeof *r);
    r->a = req->arena;
    r->q.table = t;
    r->q.index = SK_BY_WHEN;
    r->q.when_min = SK_NO_TIME;
    r->q.when_max = SK_NO_TIME;
    r->q.no_json = 1; /* rows show columns; only show prints the stored text */
}

/* when_min, when_max and the paging window into r->q */
static int stacky_raws_window(req_t *req, stacky_raws_t *r, vg_err_t *err)
{
    int rc;

    if ((rc = stacky_time_arg(req, "when_min", STACKY_CEIL, SK_NO_TIME, &r->q.when_min, err)) !=
            VG_OK ||
        (rc = stacky_time_arg(req, "when_max", STACKY_FLOOR, SK_NO_TIME, &r->q.when_max, err)) !=
            VG_OK)
        return rc;
    return stacky_paging(req, &r->q.offset, &r->q.limit, err);
}

/* The rows in the table's shape, after its title row when titled or when there are rows. */
static json_object *stacky_raws_json(const stacky_raws_t *r, int titled)
{
    json_object *root = json_object_new_array_ext((int)r->n + 1);

    if (titled || r->n > 0)
        json_object_array_add(root, stacky_raw_titles(r->q.table));
    for (size_t i = 0; i < r->n; i++)
        json_object_array_add(root, stacky_raw_row(&r->rows[i], r->deps, r->ndeps));
    return root;
}

/* GET /stacky/uuid/?uuid=U: [] when nothing matches (§4.4) */
int stacky_uuid(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_raws_t r;
    sk_table_t t;
    const char *uuid;
    int rc;

    if ((rc = stacky_required(req, "uuid", &uuid, err)) != VG_OK)
        return rc;
    if (!sk_uuid_like(uuid))
        return vg_fail(err, VG_EINVAL, "%.200s is not uuid-like", uuid);
    if ((rc = stacky_service(req, SK_NOVA, 0, &t, err)) != VG_OK)
        return rc;
    stacky_raws_init(&r, req, t);
    r.q.index = SK_BY_INSTANCE; /* glance: the image uuid */
    r.q.value = uuid;
    if ((rc = stacky_raws_window(req, &r, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_raws_txn, &r, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_raws_json(&r, 0));
}

/* GET /stacky/request/?request_id=R: nova only, always titled (§4.8) */
int stacky_request(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_raws_t r;
    const char *id;
    int rc;

    if ((rc = stacky_required(req, "request_id", &id, err)) != VG_OK)
        return rc;
    if (!sk_request_id_like(id))
        return vg_fail(err, VG_EINVAL, "%.200s is not request-id-like", id);
    stacky_raws_init(&r, req, SK_NOVA);
    r.q.index = SK_BY_REQUEST;
    r.q.value = id;
    if ((rc = stacky_raws_window(req, &r, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_raws_txn, &r, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_raws_json(&r, 1));
}

/* ---- GET /stacky/show/<id>/ (§4.9) ---- */

typedef struct {
    vg_arena_t *a;
    sk_table_t table;
    uint64_t id;
    sk_raw_t raw;
    int found;
    const char *deployment;
} stacky_show_t;

static int stacky_show_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_show_t *s = arg;
    sk_deployment_t *deps;
    size_t ndeps;
    int rc = sk_raw_get(st, txn, s->a, s->table, s->id, &s->raw, err);

    s->found = rc == VG_OK;
    if (rc == VG_ENOTFOUND)
        return VG_OK;
    if (rc != VG_OK || (rc = sk_deployments(st, txn, s->a, &deps, &ndeps, err)) != VG_OK)
        return rc;
    s->deployment = sk_deployment_name(deps, ndeps, s->raw.deployment);
    return VG_OK;
}

static void stacky_kv(json_object *table, const char *key, json_object *value)
{
    json_object *row = json_object_new_array_ext(2);

    json_object_array_add(row, json_object_new_string(key));
    json_object_array_add(row, value); /* row owns value */
    json_object_array_add(table, row);
}

/* The stored [routing_key, body] re-serialised with 2-space indentation; the text as stored if
 * it no longer parses. */
static const char *stacky_pretty(vg_arena_t *a, const sk_msg_t *m)
{
    json_object *o;
    vg_err_t perr = {0};

    if (vg_json_parse(a, m->json, m->json_len, STACKY_SHOW_DEPTH, &o, &perr) != VG_OK)
        return vg_arena_strndup(a, m->json, m->json_len);
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
}

int stacky_show(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_show_t s = {.a = req->arena};
    const sk_msg_t *m = &s.raw.m;
    const char *uuid;
    json_object *root, *kv;
    int rc;

    if ((rc = stacky_path_id(req, "id", &s.id, err)) != VG_OK ||
        (rc = stacky_service(req, SK_NOVA, 0, &s.table, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_show_txn, &s, err)) != VG_OK)
        return rc;
    if (!s.found) /* upstream's empty answer, which the client reports as ObjectDoesNotExist */
        return resp_text(resp, 200, "application/json", "", 0);
    uuid = s.table == SK_GLANCE ? m->uuid : m->instance;
    kv = json_object_new_array_ext(12);
    json_object_array_add(kv, stacky_titles((const char *const[]){"Key", "Value", NULL}));
    stacky_kv(kv, "#", json_object_new_uint64(s.raw.id));
    stacky_kv(kv, "When", stacky_when(m->when_us));
    stacky_kv(kv, "Deployment", stacky_str(s.deployment));
    stacky_kv(kv, "Category", stacky_str(m->routing_key));
    stacky_kv(kv, "Publisher", stacky_str(m->publisher));
    if (s.table == SK_GLANCE)
        stacky_kv(kv, "Status", stacky_str(m->status));
    else /* generic has no state: upstream crashed, we answer null */
        stacky_kv(kv, "State", s.table == SK_NOVA ? stacky_str(m->state) : NULL);
    stacky_kv(kv, "Event", stacky_str(m->event));
    stacky_kv(kv, "Service", stacky_str(m->service));
    stacky_kv(kv, "Host", stacky_str(m->host));
    stacky_kv(kv, "UUID", stacky_str(uuid));
    stacky_kv(kv, "Req ID", stacky_str(m->request_id));
    root = json_object_new_array_ext(3);
    json_object_array_add(root, kv);
    json_object_array_add(root, json_object_new_string(stacky_pretty(req->arena, m)));
    json_object_array_add(root, stacky_str(uuid));
    return resp_json(resp, 200, root);
}

/* ---- GET /stacky/watch/<deployment_id>/ (§4.10) ---- */

int stacky_watch(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_raws_t r;
    uint64_t dep;
    sk_table_t t;
    int64_t now_s = req->now_ms / 1000, now_us = now_s * STACKY_US_PER_S;
    json_object *root, *widths, *rows;
    char date[SK_FMT_MAX], time[SK_FMT_MAX];
    int rc;

    if ((rc = stacky_path_id(req, "deployment_id", &dep, err)) != VG_OK ||
        (rc = stacky_service(req, SK_NOVA, 0, &t, err)) != VG_OK)
        return rc;
    stacky_raws_init(&r, req, t);
    r.widest = 1;
    r.q.when_max = now_us;
    r.q.when_min_excl = 1;
    r.q.event = req_arg(req, "event_name");
    if (r.q.event != NULL && *r.q.event == '\0')
        r.q.event = NULL;
    r.q.limit = STACKY_WATCH_MAX;
    if (dep > UINT32_MAX) {
        r.q.limit = 0; /* no such deployment */
    } else if (dep > 0) {
        r.q.index = SK_BY_DEPLOYMENT;
        r.q.deployment = (uint32_t)dep;
    }
    if ((rc = stacky_time_arg(req, "since", STACKY_FLOOR, now_us - 2 * STACKY_US_PER_S,
                              &r.q.when_min, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_raws_txn, &r, err)) != VG_OK)
        return rc;
    widths = json_object_new_array_ext(6);
    json_object_array_add(widths, json_object_new_int(10));
    json_object_array_add(widths, json_object_new_int(1));
    json_object_array_add(widths, json_object_new_int(15));
    json_object_array_add(widths, json_object_new_int(20));
    json_object_array_add(widths, json_object_new_uint64(r.width));
    json_object_array_add(widths, json_object_new_int(36));
    rows = json_object_new_array_ext((int)r.n);
    for (size_t i = 0; i < r.n; i++) {
        const sk_msg_t *m = &r.rows[i].m;
        const char *uuid = t == SK_GLANCE ? m->uuid : m->instance;
        json_object *row = json_object_new_array_ext(7);

        json_object_array_add(row, json_object_new_uint64(r.rows[i].id));
        json_object_array_add(row, json_object_new_string(stacky_flag(m->routing_key)));
        json_object_array_add(row, json_object_new_string(sk_fmt_date(date, m->when_us)));
        json_object_array_add(row, json_object_new_string(sk_fmt_time(time, m->when_us)));
        json_object_array_add(
            row, stacky_str(sk_deployment_name(r.deps, r.ndeps, r.rows[i].deployment)));
        json_object_array_add(row, stacky_str(m->event));
        json_object_array_add(row, json_object_new_string(uuid != NULL && *uuid ? uuid : "-"));
        json_object_array_add(rows, row);
    }
    root = json_object_new_array_ext(3);
    json_object_array_add(root, widths);
    json_object_array_add(root, rows);
    json_object_array_add(
        root, json_object_new_string(vg_arena_sprintf(req->arena, "%lld", (long long)now_s)));
    return resp_json(resp, 200, root);
}

/* ---- GET /stacky/search/?field=F&value=V (§4.11) ---- */

typedef enum {
    STACKY_F_ID,    /* sk_raw_get */
    STACKY_F_WHEN,  /* the when index, one instant */
    STACKY_F_DEP,   /* the deployment index, by id */
    STACKY_F_INDEX, /* an index by the value */
    STACKY_F_TEXT,  /* a scan by when, comparing the column's text */
    STACKY_F_IMAGE, /* a scan by when, comparing image_type as a number */
} stacky_fkind_t;

typedef struct {
    const char *name;
    stacky_fkind_t kind;
    sk_index_t index; /* STACKY_F_INDEX */
    size_t off;       /* STACKY_F_TEXT: the const char * member of sk_msg_t */
} stacky_field_t;

#define STACKY_TEXT(f)                                                                             \
    {                                                                                              \
#f, STACKY_F_TEXT, SK_BY_WHEN, offsetof(sk_msg_t, f)                                       \
    }
#define STACKY_INDEX(f, i)                                                                         \
    {                                                                                              \
        f, STACKY_F_INDEX, i, 0                                                                    \
    }
#define STACKY_COMMON                                                                              \
    {"id", STACKY_F_ID, SK_BY_WHEN, 0}, {"when", STACKY_F_WHEN, SK_BY_WHEN, 0},                    \
        {"deployment", STACKY_F_DEP, SK_BY_DEPLOYMENT, 0}, STACKY_TEXT(routing_key),               \
        STACKY_TEXT(publisher), STACKY_TEXT(service), STACKY_INDEX("event", SK_BY_EVENT),          \
        STACKY_INDEX("host", SK_BY_HOST), STACKY_INDEX("request_id", SK_BY_REQUEST)

static const stacky_field_t stacky_nova_fields[] = {
    STACKY_COMMON,
    STACKY_TEXT(state),
    STACKY_TEXT(old_state),
    STACKY_TEXT(old_task),
    STACKY_TEXT(task),
    {"image_type", STACKY_F_IMAGE, SK_BY_WHEN, 0},
    STACKY_INDEX("instance", SK_BY_INSTANCE),
    STACKY_INDEX("tenant", SK_BY_TENANT),
    {NULL, 0, 0, 0},
};

/* glance: the uuid index is the image's; the instance (payload.properties) is a plain column */
static const stacky_field_t stacky_glance_fields[] = {
    STACKY_COMMON,         STACKY_TEXT(owner),
    STACKY_TEXT(instance), STACKY_INDEX("uuid", SK_BY_INSTANCE),
    STACKY_TEXT(status),   {"image_type", STACKY_F_IMAGE, SK_BY_WHEN, 0},
    {NULL, 0, 0, 0},
};

static const stacky_field_t stacky_generic_fields[] = {
    STACKY_COMMON,
    STACKY_INDEX("tenant", SK_BY_TENANT),
    STACKY_INDEX("instance", SK_BY_INSTANCE),
    STACKY_TEXT(message_id),
    {NULL, 0, 0, 0},
};

static const stacky_field_t *stacky_field(sk_table_t t, const char *name)
{
    const stacky_field_t *f = t == SK_GLANCE    ? stacky_glance_fields
                              : t == SK_GENERIC ? stacky_generic_fields
                                                : stacky_nova_fields;

    for (; f->name != NULL; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

typedef struct {
    const stacky_field_t *f;
    const char *value;
    int64_t num;
} stacky_match_t;

static int stacky_search_keep(const sk_raw_t *r, void *arg)
{
    const stacky_match_t *k = arg;
    const char *col;

    if (k->f->kind == STACKY_F_IMAGE)
        return r->m.image_type != SK_NULL_IMAGE_TYPE && r->m.image_type == k->num;
    col = *(const char *const *)((const char *)&r->m + k->f->off);
    return col != NULL && strcmp(col, k->value) == 0;
}

/* A decimal integer value for a numeric column (an optional '-'). */
static int stacky_search_int(const char *field, const char *value, int64_t *v, vg_err_t *err)
{
    uint64_t u;
    int neg = *value == '-';

    if (stacky_parse_u64(value + neg, &u) != 0 || u > (uint64_t)INT64_MAX)
        return vg_fail(err, VG_EINVAL, "Invalid value for %s: %.200s", field, value);
    *v = neg ? -(int64_t)u : (int64_t)u;
    return VG_OK;
}

/* Narrows r's query to field = value: the index that covers it, else a filter on a scan. */
static int stacky_search_where(stacky_raws_t *r, stacky_match_t *k, vg_err_t *err)
{
    sk_query_t *q = &r->q;
    int64_t v, when;
    int rc;

    switch (k->f->kind) {
    case STACKY_F_ID:
        if ((rc = stacky_search_int("id", k->value, &v, err)) != VG_OK)
            return rc;
        r->by_id = v > 0;
        r->id = (uint64_t)v;
        if (v <= 0)
            q->limit = 0; /* ids start at 1 */
        return VG_OK;
    case STACKY_F_DEP:
        if ((rc = stacky_search_int("deployment", k->value, &v, err)) != VG_OK)
            return rc;
        q->index = SK_BY_DEPLOYMENT;
        q->deployment = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
        if (q->deployment == 0)
            q->limit = 0;
        return VG_OK;
    case STACKY_F_WHEN:
        if (stacky_parse_unix(k->value, STACKY_FLOOR, &when) != 0)
            return vg_fail(err, VG_EINVAL, "Invalid value for when: %.200s", k->value);
        if (stacky_parse_unix(k->value, STACKY_EXACT, &when) != 0 ||
            (q->when_min != SK_NO_TIME && when < q->when_min) ||
            (q->when_max != SK_NO_TIME && when > q->when_max))
            q->limit = 0; /* no stored time has more than 6 decimals */
        q->when_min = q->when_max = when;
        return VG_OK;
    case STACKY_F_INDEX:
        q->index = k->f->index;
        q->value = k->value;
        return VG_OK;
    case STACKY_F_IMAGE:
        if ((rc = stacky_search_int("image_type", k->value, &k->num, err)) != VG_OK)
            return rc;
        break;
    case STACKY_F_TEXT:
        break;
    }
    q->keep = stacky_search_keep;
    q->keep_arg = k;
    q->max_examined = STACKY_SCAN_MAX;
    return VG_OK;
}

int stacky_search(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_raws_t r;
    stacky_match_t k = {0};
    const char *field;
    sk_table_t t;
    int rc;

    if ((rc = stacky_service(req, SK_NOVA, 0, &t, err)) != VG_OK ||
        (rc = stacky_required(req, "field", &field, err)) != VG_OK)
        return rc;
    if ((k.f = stacky_field(t, field)) == NULL)
        return vg_fail(err, VG_EINVAL,
                       "The requested field '%.200s' does not exist for the corresponding "
                       "object.\nNote: The field names of database are case-sensitive.",
                       field);
    if ((rc = stacky_required(req, "value", &k.value, err)) != VG_OK)
        return rc;
    stacky_raws_init(&r, req, t);
    r.q.descending = 1;
    if ((rc = stacky_raws_window(req, &r, err)) != VG_OK ||
        (rc = stacky_search_where(&r, &k, err)) != VG_OK ||
        (rc = store_txn_run(req->store, stacky_raws_txn, &r, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_raws_json(&r, 0));
}
