/* handlers/stacky/timings.c - the stacky views of the data derived from nova raws
 * (../shared/specs/stacktach.md §4.5-4.7, §4.12-4.15): one instance's timings, the timings of one
 * operation, the per-operation summary, the KPI trackers of the last 24 hours and the instance
 * usage tables (launches, deletes, exists). Durations print in the §3.7 formats.
 * SPDX-License-Identifier: MIT */
#include "ingest/stacky.h"
#include "stacky_int.h"

#include <string.h>

/* Everything one of these views reads, in one transaction. */
typedef struct {
    vg_arena_t *a;
    const char *key; /* instance, name or tenant */
    int64_t min, max;
    size_t offset, limit;
    sk_timing_t *timings;
    sk_summary_t *summary;
    sk_kpi_t *kpi;
    sk_launch_t *launches;
    sk_delete_t *deletes;
    sk_exists_t *exists;
    size_t n;
    sk_deployment_t *deps;
    size_t ndeps;
    int unknown; /* kpi: no nova raw has the tenant */
} stacky_derived_t;

/* [[titles...], rows...] */
static json_object *stacky_table(const char *const *titles, size_t n)
{
    json_object *root = json_object_new_array_ext((int)n + 1);

    json_object_array_add(root, stacky_titles(titles));
    return root;
}

static json_object *stacky_dur_stored(int64_t us)
{
    char buf[SK_FMT_MAX];

    return json_object_new_string(sk_fmt_dur_stored(buf, us));
}

/* ---- GET /stacky/timings/uuid/?uuid=U (§4.5) ---- */

static int stacky_timings_uuid_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;

    return sk_timings_by_instance(st, txn, d->a, d->key, &d->timings, &d->n, err);
}

int stacky_timings_uuid(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {"?", "Event", "Time (secs)", NULL};
    stacky_derived_t d = {.a = req->arena};
    json_object *root;
    int rc;

    if ((rc = stacky_required(req, "uuid", &d.key, err)) != VG_OK)
        return rc;
    if (!sk_uuid_like(d.key))
        return vg_fail(err, VG_EINVAL, "%.200s is not uuid-like", d.key);
    if ((rc = stacky_paging(req, &d.offset, &d.limit, err)) != VG_OK)
        return rc;
    /* the window counts lifecycles, and an instance has one */
    if (d.offset == 0 && d.limit > 0 &&
        (rc = store_txn_run(req->store, stacky_timings_uuid_txn, &d, err)) != VG_OK)
        return rc;
    root = stacky_table(titles, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const sk_timing_t *t = &d.timings[i];
        int start = t->start_raw != 0, end = t->end_raw != 0;
        json_object *row = json_object_new_array_ext(3);

        json_object_array_add(row, json_object_new_string(start && end ? "." : start ? "S" : "E"));
        json_object_array_add(row, stacky_str(t->name));
        json_object_array_add(row, start && end ? stacky_dur_stored(t->diff_us)
                                                : json_object_new_string("n/a"));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

/* ---- GET /stacky/timings/?name=N (§4.6) ---- */

static int stacky_timings_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;

    return sk_timings_by_name(st, txn, d->a, d->key, d->min, d->max, d->offset, d->limit,
                              &d->timings, &d->n, err);
}

int stacky_timings(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_derived_t d = {.a = req->arena};
    json_object *root;
    int rc;

    if ((rc = stacky_required(req, "name", &d.key, err)) != VG_OK ||
        (rc = stacky_time_arg(req, "end_when_min", STACKY_CEIL, SK_NO_TIME, &d.min, err)) !=
            VG_OK ||
        (rc = stacky_time_arg(req, "end_when_max", STACKY_FLOOR, SK_NO_TIME, &d.max, err)) !=
            VG_OK ||
        (rc = stacky_paging(req, &d.offset, &d.limit, err)) != VG_OK)
        return rc;
    if (d.limit > 0 && (rc = store_txn_run(req->store, stacky_timings_txn, &d, err)) != VG_OK)
        return rc;
    root = stacky_table((const char *const[]){d.key, "Time", NULL}, d.n);
    for (size_t i = 0; i < d.n; i++) {
        json_object *row = json_object_new_array_ext(2);

        json_object_array_add(row, stacky_str(d.timings[i].instance));
        json_object_array_add(row, stacky_dur_stored(d.timings[i].diff_us));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

/* ---- GET /stacky/summary/ (§4.7) ---- */

static int stacky_summary_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;

    return sk_summary(st, txn, d->a, d->offset, d->limit, &d->summary, &d->n, err);
}

int stacky_summary(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {"Event", "N", "Min", "Max", "Avg", NULL};
    stacky_derived_t d = {.a = req->arena};
    char buf[SK_FMT_MAX];
    json_object *root;
    int rc;

    if ((rc = stacky_paging(req, &d.offset, &d.limit, err)) != VG_OK)
        return rc;
    if (d.limit > 0 && (rc = store_txn_run(req->store, stacky_summary_txn, &d, err)) != VG_OK)
        return rc;
    root = stacky_table(titles, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const sk_summary_t *s = &d.summary[i];
        json_object *row;

        if (s->n == 0)
            continue; /* §4.7: names without timings are skipped */
        row = json_object_new_array_ext(5);
        json_object_array_add(row, stacky_str(s->name));
        json_object_array_add(row, json_object_new_uint64(s->n));
        /* Min and Max went through a binary float upstream, Avg through int(sum / N) */
        json_object_array_add(row, json_object_new_string(sk_fmt_dur_float(
                                       buf, (double)s->min_us / (double)STACKY_US_PER_S)));
        json_object_array_add(row, json_object_new_string(sk_fmt_dur_float(
                                       buf, (double)s->max_us / (double)STACKY_US_PER_S)));
        json_object_array_add(row, json_object_new_string(sk_fmt_dur_int(
                                       buf, s->sum_us / ((int64_t)s->n * STACKY_US_PER_S))));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

/* ---- GET /stacky/kpi/[<tenant>/] (§4.12) ---- */

static int stacky_kpi_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;
    int rc;

    d->n = 0;
    if (d->key != NULL) {
        if ((rc = sk_tenant_known(st, txn, d->key, err)) < 0)
            return rc;
        if ((d->unknown = rc == 0))
            return VG_OK;
    }
    if ((rc = sk_deployments(st, txn, d->a, &d->deps, &d->ndeps, err)) != VG_OK)
        return rc;
    return sk_kpi(st, txn, d->a, d->min, d->key, &d->kpi, &d->n, err);
}

/* upstream's pattern for the tenant segment: \w+ */
static int stacky_word(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    return n > 0 && s[n] == '\0';
}

int stacky_kpi(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {"Event", "Time", "UUID", "Deployment", NULL};
    stacky_derived_t d = {.a = req->arena, .key = req_param(req, "tenant")};
    json_object *root;
    int rc;

    if (d.key != NULL && !stacky_word(d.key))
        return stacky_no_route(req, err);
    d.min = req->now_ms * 1000 - STACKY_DAY_US; /* trackers that started in the last 24 h */
    if ((rc = store_txn_run(req->store, stacky_kpi_txn, &d, err)) != VG_OK)
        return rc;
    if (d.unknown)
        return vg_fail(err, VG_ENOTFOUND, "Could not find raws for tenant %s", d.key);
    root = stacky_table(titles, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const sk_kpi_t *k = &d.kpi[i];
        json_object *row = json_object_new_array_ext(4);

        json_object_array_add(row, stacky_str(k->event));
        json_object_array_add(row, stacky_dur_stored(k->duration_us));
        json_object_array_add(row, stacky_str(k->instance));
        json_object_array_add(row, stacky_str(sk_deployment_name(d.deps, d.ndeps, k->deployment)));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

/* ---- GET /stacky/usage/{launches,deletes,exists}/[?instance=U] (§4.13-4.15) ---- */

/* The optional instance filter and the window. */
static int stacky_usage_args(req_t *req, stacky_derived_t *d, vg_err_t *err)
{
    d->a = req->arena;
    d->key = req_arg(req, "instance");
    if (d->key != NULL && !sk_uuid_like(d->key))
        return vg_fail(err, VG_EINVAL, "%.200s is not uuid-like", d->key);
    return stacky_paging(req, &d->offset, &d->limit, err);
}

static int stacky_launches_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;

    return sk_launches(st, txn, d->a, d->key, d->offset, d->limit, &d->launches, &d->n, err);
}

int stacky_usage_launches(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {"UUID", "Launched At", "Instance Type Id",
                                         "Instance Flavor Id", NULL};
    stacky_derived_t d = {0};
    json_object *root;
    int rc;

    if ((rc = stacky_usage_args(req, &d, err)) != VG_OK)
        return rc;
    if (d.limit > 0 && (rc = store_txn_run(req->store, stacky_launches_txn, &d, err)) != VG_OK)
        return rc;
    root = stacky_table(titles, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const sk_launch_t *l = &d.launches[i];
        json_object *row = json_object_new_array_ext(4);

        json_object_array_add(row, stacky_str(l->instance));
        json_object_array_add(row, stacky_when(l->launched_at_us));
        json_object_array_add(row, stacky_str(l->type_id));
        json_object_array_add(row, stacky_str(l->flavor_id));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

static int stacky_deletes_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;

    return sk_deletes(st, txn, d->a, d->key, d->offset, d->limit, &d->deletes, &d->n, err);
}

int stacky_usage_deletes(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {"UUID", "Launched At", "Deleted At", NULL};
    stacky_derived_t d = {0};
    json_object *root;
    int rc;

    if ((rc = stacky_usage_args(req, &d, err)) != VG_OK)
        return rc;
    if (d.limit > 0 && (rc = store_txn_run(req->store, stacky_deletes_txn, &d, err)) != VG_OK)
        return rc;
    root = stacky_table(titles, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const sk_delete_t *x = &d.deletes[i];
        json_object *row = json_object_new_array_ext(3);

        json_object_array_add(row, stacky_str(x->instance));
        json_object_array_add(row, stacky_when(x->launched_at_us));
        json_object_array_add(row, stacky_when(x->deleted_at_us));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}

static int stacky_exists_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_derived_t *d = arg;

    return sk_exists(st, txn, d->a, d->key, d->offset, d->limit, &d->exists, &d->n, err);
}

int stacky_usage_exists(req_t *req, resp_t *resp, vg_err_t *err)
{
    static const char *const titles[] = {
        "UUID",       "Launched At", "Deleted At", "Instance Type Id", "Instance Flavor Id",
        "Message ID", "Status",      NULL};
    stacky_derived_t d = {0};
    json_object *root;
    int rc;

    if ((rc = stacky_usage_args(req, &d, err)) != VG_OK)
        return rc;
    if (d.limit > 0 && (rc = store_txn_run(req->store, stacky_exists_txn, &d, err)) != VG_OK)
        return rc;
    root = stacky_table(titles, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const sk_exists_t *x = &d.exists[i];
        json_object *row = json_object_new_array_ext(7);

        json_object_array_add(row, stacky_str(x->instance));
        json_object_array_add(row, stacky_when(x->launched_at_us));
        json_object_array_add(row, stacky_when(x->deleted_at_us));
        json_object_array_add(row, stacky_str(x->type_id));
        json_object_array_add(row, stacky_str(x->flavor_id));
        json_object_array_add(row, stacky_str(x->message_id));
        json_object_array_add(row, stacky_str(x->status));
        json_object_array_add(root, row);
    }
    return resp_json(resp, 200, root);
}
