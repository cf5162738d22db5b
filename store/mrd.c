/* store/mrd.c - the Concertim metric reporting daemon's state as `resources` documents (layout in
 * mrd.h): the device table and its throttled reload, the pending reports, the processing run that
 * turns them into the current snapshot and series history (specs/concertim.md §6), and the reads
 * the /mrd handlers make, the historic grid included (§3.4).
 * SPDX-License-Identifier: MIT */
#include "mrd.h"

#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/num.h"
#include "resources.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MRD_K_DEVICE      "mrd_device"
#define MRD_K_STATE       "mrd_state"
#define MRD_K_PENDING     "mrd_pending"
#define MRD_K_CUR_DEV     "mrd_cur_dev"
#define MRD_K_CUR         "mrd_cur"
#define MRD_K_CUR_METRIC  "mrd_cur_metric"
#define MRD_K_CUR_UNIQUE  "mrd_cur_unique"
#define MRD_K_HIST        "mrd_hist"
#define MRD_K_HIST_DEV    "mrd_hist_dev"
#define MRD_K_SUMMARY     "mrd_summary"
#define MRD_STATE_RUN     "run"
#define MRD_STATE_DEVICES "devices"

#define MRD_ID_MAX  1024               /* resources keys are at most 1024 bytes with the kind */
#define MRD_DSM_MAX (16 * 1024 * 1024) /* a data-source map file */
/* device id and metric name together: a pair id ("<digits>:" + both) under the longest kind
 * still fits a resources key */
#define MRD_PAIR_MAX (MRD_ID_MAX - 32)

/* ---- helpers ---- */

static int64_t mrd_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* "<strlen(x)>:<x><y>" into buf; -1 when it does not fit (no such id can be stored). */
static int mrd_pair_buf(char *buf, size_t cap, const char *x, const char *y)
{
    int n = snprintf(buf, cap, "%zu:%s%s", strlen(x), x, y);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static char *mrd_pair(vg_arena_t *a, const char *x, const char *y)
{
    return vg_arena_sprintf(a, "%zu:%s%s", strlen(x), x, y);
}

static json_object *mrd_doc_parse(const char *doc, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, doc, (int)len);

    json_tokener_free(tok);
    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* A string member copied into a, or NULL when absent or not a string. */
static const char *mrd_doc_str(json_object *o, const char *key, vg_arena_t *a)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return vg_arena_strndup(a, json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static int mrd_doc_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) ||
        !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return 0;
    *out = json_object_get_int64(v);
    return 1;
}

static int mrd_type_parse(const char *s)
{
    for (int i = 0; s != NULL && i < MRD_T_NTYPES; i++)
        if (strcmp(s, mrd_type_names[i]) == 0)
            return i;
    return -1;
}

static int mrd_slope_parse(const char *s)
{
    for (int i = 0; s != NULL && i < MRD_S_NSLOPES; i++)
        if (strcmp(s, mrd_slope_names[i]) == 0)
            return i;
    return -1;
}

/* Stores o (consumed) as kind/id. */
static int mrd_doc_put(store_t *st, store_txn_t *txn, const char *kind, const char *id,
                       json_object *o, vg_err_t *err)
{
    size_t len;
    const char *text = vg_json_text(o, &len);
    int rc = store_res_put(st, txn, kind, id, text, len, err);

    json_object_put(o);
    return rc;
}

/* Reads kind/id as an object: VG_ENOTFOUND when absent, VG_EINTERNAL when not an object. */
static int mrd_doc_get(store_t *st, store_txn_t *txn, const char *kind, const char *id,
                       json_object **out, vg_err_t *err)
{
    char *doc;
    size_t len;
    int rc = store_res_get(st, txn, kind, id, &doc, &len, err);

    if (rc != VG_OK)
        return rc;
    *out = mrd_doc_parse(doc, len);
    free(doc);
    if (*out == NULL)
        return vg_fail(err, VG_EINTERNAL, "store: a %s document is not a JSON object", kind);
    return VG_OK;
}

/* A listing collected into the arena: ids (whole, or past skip bytes) and documents. */
typedef struct {
    const char *id, *doc;
    size_t len;
} mrd_entry_t;

typedef struct {
    vg_arena_t *a;
    size_t skip;
    mrd_entry_t *v;
    size_t n, cap;
} mrd_entries_t;

static int mrd_collect(const char *id, const char *doc, size_t len, void *arg)
{
    mrd_entries_t *e = arg;

    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        mrd_entry_t *v = vg_arena_alloc(e->a, cap * sizeof *v);

        if (e->n)
            memcpy(v, e->v, e->n * sizeof *v);
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] =
        (mrd_entry_t){vg_arena_strdup(e->a, id + e->skip), vg_arena_strndup(e->a, doc, len), len};
    return 0;
}

/* Every document of kind whose id starts with prefix ("" = all), in id order, ids past the
 * prefix. */
static int mrd_list(store_t *st, store_txn_t *txn, const char *kind, const char *prefix,
                    vg_arena_t *a, mrd_entries_t *out, vg_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->a = a;
    out->skip = strlen(prefix);
    return store_res_list_prefix(st, txn, kind, prefix, mrd_collect, out, err);
}

static int mrd_strcmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Deletes the documents of kind whose ids are not in keep[0..nkeep) (sorted with strcmp). */
static int mrd_del_others(store_t *st, store_txn_t *txn, const char *kind, const char **keep,
                          size_t nkeep, vg_arena_t *a, vg_err_t *err)
{
    mrd_entries_t old;
    int rc = mrd_list(st, txn, kind, "", a, &old, err);

    for (size_t i = 0; rc == VG_OK && i < old.n; i++)
        if (nkeep == 0 || bsearch(&old.v[i].id, keep, nkeep, sizeof *keep, mrd_strcmp) == NULL)
            rc = store_res_del(st, txn, kind, old.v[i].id, err);
    return rc;
}

/* ---- devices ---- */

static int mrd_first_found(const char *id, const char *doc, size_t len, void *arg)
{
    return 1;
}

int mrd_device_known(store_t *st, store_txn_t *txn, const char *id, vg_err_t *err)
{
    char *doc, pfx[MRD_ID_MAX + 32];
    size_t len;
    int rc = store_res_get(st, txn, MRD_K_DEVICE, id, &doc, &len, err);

    if (rc == VG_OK) {
        free(doc);
        return 1;
    }
    if (rc != VG_ENOTFOUND)
        return rc;
    /* §5.1: a device that has reported is remembered with its pending reports */
    if (mrd_pair_buf(pfx, sizeof pfx, id, "") < 0)
        return 0;
    rc = store_res_list_prefix(st, txn, MRD_K_PENDING, pfx, mrd_first_found, NULL, err);
    return rc < 0 ? rc : rc > 0;
}

int mrd_devices_replace(store_t *st, store_txn_t *txn, const char *const *ids, size_t n,
                        vg_err_t *err)
{
    vg_arena_t a;
    const char **keep;
    int rc = VG_OK;

    vg_arena_init(&a, 0);
    keep = vg_arena_alloc(&a, (n ? n : 1) * sizeof *keep);
    memcpy(keep, ids, n * sizeof *keep);
    qsort(keep, n, sizeof *keep, mrd_strcmp);
    for (size_t i = 0; rc == VG_OK && i < n; i++)
        if (i == 0 || strcmp(keep[i], keep[i - 1]) != 0)
            rc = store_res_put(st, txn, MRD_K_DEVICE, keep[i], "{}", 2, err);
    if (rc == VG_OK)
        rc = mrd_del_others(st, txn, MRD_K_DEVICE, keep, n, &a, err);
    vg_arena_fini(&a);
    return rc;
}

typedef struct {
    int64_t now_ms, min_gap_ms;
    const char *const *ids; /* NULL: record a failed attempt only */
    size_t n;
    int throttled;
} mrd_reload_t;

/* Sets r->throttled when the last attempt (by any process) is closer than the gap. */
static int mrd_reload_check(store_t *st, store_txn_t *txn, mrd_reload_t *r, vg_err_t *err)
{
    json_object *o;
    int64_t at;
    int rc;

    r->throttled = 0;
    if (r->min_gap_ms <= 0)
        return VG_OK;
    if ((rc = mrd_doc_get(st, txn, MRD_K_STATE, MRD_STATE_DEVICES, &o, err)) != VG_OK)
        return rc == VG_ENOTFOUND ? VG_OK : rc;
    if (mrd_doc_int(o, "at", &at) && r->now_ms - at >= 0 && r->now_ms - at < r->min_gap_ms)
        r->throttled = 1;
    json_object_put(o);
    return VG_OK;
}

static int mrd_reload_check_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    return mrd_reload_check(st, txn, arg, err);
}

static int mrd_reload_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_reload_t *r = arg;
    json_object *o;
    int rc;

    /* another process may have loaded it since the check */
    if (r->ids != NULL && ((rc = mrd_reload_check(st, txn, r, err)) != VG_OK || r->throttled))
        return rc;
    if (r->ids != NULL && (rc = mrd_devices_replace(st, txn, r->ids, r->n, err)) != VG_OK)
        return rc;
    o = json_object_new_object();
    json_object_object_add(o, "at", json_object_new_int64(r->now_ms));
    json_object_object_add(o, "ok", json_object_new_boolean(r->ids != NULL));
    json_object_object_add(o, "devices", json_object_new_int64((int64_t)r->n));
    return mrd_doc_put(st, txn, MRD_K_STATE, MRD_STATE_DEVICES, o, err);
}

int mrd_devices_reload(store_t *st, const char *path, int64_t now_ms, int64_t min_gap_ms,
                       int *loaded, size_t *ndevices, vg_err_t *err)
{
    mrd_reload_t r = {.now_ms = now_ms, .min_gap_ms = min_gap_ms};
    const char **ids = NULL;
    char *text = NULL;
    size_t len = 0;
    vg_arena_t a;
    int rc;

    *loaded = 0;
    if ((rc = store_txn_run(st, mrd_reload_check_txn, &r, err)) != VG_OK || r.throttled)
        return rc;
    vg_arena_init(&a, 0);
    rc = vg_read_file(path, MRD_DSM_MAX, &text, &len, err);
    if (rc == VG_OK)
        rc = mrd_dsm_parse(text, len, &a, &ids, &r.n, err);
    free(text);
    if (rc != VG_OK) {
        vg_err_t ierr = {0};
        char why[sizeof err->msg];

        /* the failed attempt counts for the throttle too; the table stays as it was */
        snprintf(why, sizeof why, "%s", err->msg);
        r.n = 0;
        if (store_txn_run(st, mrd_reload_txn, &r, &ierr) != VG_OK)
            vg_log(LOG_WARNING, "concertim: recording a failed device load: %s", ierr.msg);
        vg_arena_fini(&a);
        return vg_fail(err, VG_EINVAL, "%s: %s", path, why);
    }
    r.ids = ids;
    rc = store_txn_run(st, mrd_reload_txn, &r, err);
    if (rc == VG_OK && !r.throttled) {
        *loaded = 1;
        if (ndevices != NULL)
            *ndevices = r.n;
    }
    vg_arena_fini(&a);
    return rc;
}

/* ---- pending reports ---- */

int mrd_pending_put(store_t *st, store_txn_t *txn, const char *device, const mrd_report_t *r,
                    int64_t now_ms, vg_err_t *err)
{
    char id[MRD_ID_MAX + 32];
    json_object *o;

    if (strlen(device) + strlen(r->name) > MRD_PAIR_MAX ||
        mrd_pair_buf(id, sizeof id, device, r->name) < 0)
        return vg_fail(err, VG_EINVAL,
                       "device id and metric name are too long (at most %d bytes together)",
                       MRD_PAIR_MAX);
    o = json_object_new_object();
    json_object_object_add(o, "device", json_object_new_string(device));
    json_object_object_add(o, "name", json_object_new_string(r->name));
    json_object_object_add(o, "value", json_object_new_string(r->value));
    json_object_object_add(o, "type", json_object_new_string(mrd_type_names[r->type]));
    json_object_object_add(o, "slope", json_object_new_string(mrd_slope_names[r->slope]));
    json_object_object_add(o, "units", json_object_new_string(r->units ? r->units : ""));
    json_object_object_add(o, "ttl", json_object_new_int64(r->ttl_s));
    json_object_object_add(o, "reported", json_object_new_int64(now_ms));
    /* no "last": the report has not been processed (§6.1: replacing starts over) */
    return mrd_doc_put(st, txn, MRD_K_PENDING, id, o, err);
}

/* ---- the processing run ---- */

typedef struct {
    const char *device, *name, *value, *units;
    mrd_type_t type;
    mrd_slope_t slope;
    int64_t ttl_s, reported_ms, last_ms;
    int processed;
    int64_t ts_ms; /* this run's sample time, when fresh */
} mrd_pend_t;

typedef struct {
    const char *project;
    int64_t now_ms;
    int step_s;
    vg_arena_t a; /* reset at each attempt */
    mrd_run_stats_t stats;
} mrd_run_t;

static int mrd_pend_cmp_dev(const void *x, const void *y)
{
    const mrd_pend_t *p = *(const mrd_pend_t *const *)x, *q = *(const mrd_pend_t *const *)y;
    int c = strcmp(p->device, q->device);

    return c ? c : strcmp(p->name, q->name);
}

static int mrd_pend_cmp_name(const void *x, const void *y)
{
    const mrd_pend_t *p = *(const mrd_pend_t *const *)x, *q = *(const mrd_pend_t *const *)y;
    int c = strcmp(p->name, q->name);

    return c ? c : strcmp(p->device, q->device);
}

static int mrd_numeric(mrd_type_t t)
{
    return t != MRD_T_STRING;
}

/* The kind min/max compare in (upstream's adjustMinMax): 'i' signed, 'u' unsigned, 'f' float. */
static char mrd_class(mrd_type_t t)
{
    switch (t) {
    case MRD_T_INT8:
    case MRD_T_INT16:
    case MRD_T_INT32:
        return 'i';
    case MRD_T_UINT8:
    case MRD_T_UINT16:
    case MRD_T_UINT32:
        return 'u';
    case MRD_T_FLOAT:
    case MRD_T_DOUBLE:
        return 'f';
    default:
        return 0;
    }
}

/* Compares canonical values a and b of class cls: <0, 0, >0; 2 when either does not parse. */
static int mrd_value_cmp(char cls, const char *a, const char *b)
{
    char *ea, *eb;

    if (cls == 'i') {
        long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);

        return *a == '\0' || *ea || *b == '\0' || *eb ? 2 : (x > y) - (x < y);
    }
    if (cls == 'u') {
        unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);

        return *a == '\0' || *ea || *b == '\0' || *eb || *a == '-' || *b == '-' ? 2
                                                                                : (x > y) - (x < y);
    }
    double x = strtod(a, &ea), y = strtod(b, &eb);

    return *a == '\0' || *ea || *b == '\0' || *eb ? 2 : (x > y) - (x < y);
}

/* Reads the pending reports into *out (sorted by device, then name). */
static int mrd_pending_load(store_t *st, store_txn_t *txn, vg_arena_t *a, mrd_pend_t ***out,
                            size_t *n, vg_err_t *err)
{
    mrd_entries_t e;
    mrd_pend_t **v;
    int rc = mrd_list(st, txn, MRD_K_PENDING, "", a, &e, err);

    if (rc != VG_OK)
        return rc;
    v = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; i < e.n; i++) {
        json_object *o = mrd_doc_parse(e.v[i].doc, e.v[i].len);
        mrd_pend_t *p = vg_arena_calloc(a, sizeof *p);
        int type, slope;

        if (o == NULL) {
            vg_log(LOG_WARNING, "concertim: pending report %s is not a JSON object", e.v[i].id);
            continue;
        }
        p->device = mrd_doc_str(o, "device", a);
        p->name = mrd_doc_str(o, "name", a);
        p->value = mrd_doc_str(o, "value", a);
        p->units = mrd_doc_str(o, "units", a);
        type = mrd_type_parse(mrd_doc_str(o, "type", a));
        slope = mrd_slope_parse(mrd_doc_str(o, "slope", a));
        p->processed = mrd_doc_int(o, "last", &p->last_ms);
        if (p->device == NULL || p->name == NULL || p->value == NULL || type < 0 || slope < 0 ||
            !mrd_doc_int(o, "ttl", &p->ttl_s) || !mrd_doc_int(o, "reported", &p->reported_ms)) {
            vg_log(LOG_WARNING, "concertim: pending report %s is incomplete", e.v[i].id);
            json_object_put(o);
            continue;
        }
        json_object_put(o);
        p->type = (mrd_type_t)type;
        p->slope = (mrd_slope_t)slope;
        if (p->units == NULL)
            p->units = "";
        v[(*n)++] = p;
    }
    qsort(v, *n, sizeof *v, mrd_pend_cmp_dev);
    *out = v;
    return VG_OK;
}

/* §6.1: stale iff processed at least once and reported + ttl < the run's start; otherwise the
 * sample time is the report time the first time, then the last time moved on by whole steps
 * while it stays at or before now, compared in whole seconds (as upstream, for rrdtool). */
static int mrd_fresh(mrd_pend_t *p, int64_t now_ms, int step_s)
{
    int64_t step_ms = (int64_t)step_s * 1000;

    if (p->processed && p->reported_ms + p->ttl_s * 1000 < now_ms)
        return 0;
    if (!p->processed) {
        p->ts_ms = p->reported_ms;
    } else {
        /* the largest k >= 0 with floor((last + k*step) / 1000) <= floor(now / 1000) */
        int64_t room = mrd_floor_div(now_ms, 1000) * 1000 + 999 - p->last_ms;

        p->ts_ms = p->last_ms + (room > 0 ? room / step_ms : 0) * step_ms;
    }
    return 1;
}

static json_object *mrd_jstr(const char *s)
{
    return json_object_new_string(s);
}

/* Writes the new snapshot: fresh[0..nf) sorted by device then name, and every pending device. */
static int mrd_snapshot_write(store_t *st, store_txn_t *txn, mrd_run_t *r, mrd_pend_t **all,
                              size_t nall, mrd_pend_t **fresh, size_t nf, vg_err_t *err)
{
    vg_arena_t *a = &r->a;
    const char **dev_ids = vg_arena_alloc(a, (nall ? nall : 1) * sizeof *dev_ids);
    const char **cur_ids = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *cur_ids);
    const char **met_ids = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *met_ids);
    const char **uniq_ids = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *uniq_ids);
    size_t ndev = 0, nuniq = 0;
    int rc = VG_OK;

    /* devices: every one in pending, with how many fresh metrics it has */
    for (size_t i = 0, j = 0; rc == VG_OK && i < nall;) {
        size_t k = i, cnt = 0;
        json_object *o;

        while (k < nall && strcmp(all[k]->device, all[i]->device) == 0)
            k++;
        while (j < nf && strcmp(fresh[j]->device, all[i]->device) == 0) {
            cnt++;
            j++;
        }
        o = json_object_new_object();
        json_object_object_add(o, "metrics", json_object_new_int64((int64_t)cnt));
        dev_ids[ndev++] = all[i]->device;
        rc = mrd_doc_put(st, txn, MRD_K_CUR_DEV, all[i]->device, o, err);
        i = k;
    }
    for (size_t i = 0; rc == VG_OK && i < nf; i++) {
        mrd_pend_t *p = fresh[i];
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", mrd_jstr(p->name));
        json_object_object_add(o, "value", mrd_jstr(p->value));
        json_object_object_add(o, "type", mrd_jstr(mrd_type_names[p->type]));
        json_object_object_add(o, "slope", mrd_jstr(mrd_slope_names[p->slope]));
        json_object_object_add(o, "units", mrd_jstr(p->units));
        cur_ids[i] = mrd_pair(a, p->device, p->name);
        if ((rc = mrd_doc_put(st, txn, MRD_K_CUR, cur_ids[i], o, err)) != VG_OK)
            break;
        o = json_object_new_object();
        json_object_object_add(o, "device", mrd_jstr(p->device));
        json_object_object_add(o, "value", mrd_jstr(p->value));
        json_object_object_add(o, "type", mrd_jstr(mrd_type_names[p->type]));
        met_ids[i] = mrd_pair(a, p->name, p->device);
        rc = mrd_doc_put(st, txn, MRD_K_CUR_METRIC, met_ids[i], o, err);
    }
    /* unique metrics, by name then device */
    mrd_pend_t **byname = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *byname);

    memcpy(byname, fresh, nf * sizeof *byname);
    qsort(byname, nf, sizeof *byname, mrd_pend_cmp_name);
    for (size_t i = 0; rc == VG_OK && i < nf;) {
        size_t k = i;
        const mrd_pend_t *first = byname[i], *mn = NULL, *mx = NULL;
        char cls = 0;
        json_object *o;

        for (; k < nf && strcmp(byname[k]->name, first->name) == 0; k++) {
            const mrd_pend_t *p = byname[k];
            char c = mrd_class(p->type);

            /* the first numeric value that parses fixes the kind; values of another kind are
             * ignored (upstream compares through reflect and skips them) */
            if (c == 0 || (cls != 0 && c != cls) || mrd_value_cmp(c, p->value, p->value) == 2)
                continue;
            if (cls == 0) {
                cls = c;
                mn = mx = p;
                continue;
            }
            if (mrd_value_cmp(cls, p->value, mn->value) < 0)
                mn = p;
            if (mrd_value_cmp(cls, p->value, mx->value) == 1)
                mx = p;
        }
        o = json_object_new_object();
        json_object_object_add(o, "name", mrd_jstr(first->name));
        json_object_object_add(o, "type", mrd_jstr(mrd_type_names[first->type]));
        json_object_object_add(o, "units", mrd_jstr(first->units));
        json_object_object_add(o, "nature", mrd_jstr(mrd_nature(first->type, first->slope)));
        if (mn != NULL && mx != NULL) {
            json_object_object_add(o, "minmax_type", mrd_jstr(mrd_type_names[mn->type]));
            json_object_object_add(o, "min", mrd_jstr(mn->value));
            json_object_object_add(o, "max", mrd_jstr(mx->value));
        }
        uniq_ids[nuniq++] = first->name;
        rc = mrd_doc_put(st, txn, MRD_K_CUR_UNIQUE, first->name, o, err);
        i = k;
    }
    /* what the last run had and this one has not */
    qsort(cur_ids, nf, sizeof *cur_ids, mrd_strcmp);
    qsort(met_ids, nf, sizeof *met_ids, mrd_strcmp);
    qsort(dev_ids, ndev, sizeof *dev_ids, mrd_strcmp);
    qsort(uniq_ids, nuniq, sizeof *uniq_ids, mrd_strcmp);
    if (rc == VG_OK)
        rc = mrd_del_others(st, txn, MRD_K_CUR_DEV, dev_ids, ndev, a, err);
    if (rc == VG_OK)
        rc = mrd_del_others(st, txn, MRD_K_CUR, cur_ids, nf, a, err);
    if (rc == VG_OK)
        rc = mrd_del_others(st, txn, MRD_K_CUR_METRIC, met_ids, nf, a, err);
    if (rc == VG_OK)
        rc = mrd_del_others(st, txn, MRD_K_CUR_UNIQUE, uniq_ids, nuniq, a, err);
    return rc;
}

/* History: the samples and metadata into the series store, the device×metric index, and the
 * per-metric summary (count of devices, sum of values: upstream's __SummaryInfo__). fresh is
 * sorted by device then name. */
static int mrd_history_write(store_t *st, store_txn_t *txn, mrd_run_t *r, mrd_pend_t **fresh,
                             size_t nf, vg_err_t *err)
{
    vg_arena_t *a = &r->a;
    ing_batch_t b;
    int rc = VG_OK;

    ing_batch_init(&b, a);
    for (size_t i = 0; rc == VG_OK && i < nf; i++) {
        mrd_pend_t *p = fresh[i];
        ing_label_t l[2] = {{"__name__", p->name}, {"device", p->device}};
        ing_meta_t *m;

        if (!mrd_numeric(p->type))
            continue;
        /* upstream hands rrdtool the canonical string, at whole seconds */
        rc = ing_batch_add_sample(&b, l, 2, mrd_floor_div(p->ts_ms, 1000) * 1000,
                                  strtod(p->value, NULL), err);
        m = ing_batch_meta(&b, p->name);
        m->type = "gauge";
        m->unit = p->units;
        m->help = vg_arena_sprintf(a, "concertim type=%s slope=%s", mrd_type_names[p->type],
                                   mrd_slope_names[p->slope]);
    }
    r->stats.samples = b.nsamples;
    if (rc == VG_OK && (b.nsamples > 0 || b.nmeta > 0))
        rc = store_series_append(st, txn, r->project, &b, err);
    for (size_t i = 0; rc == VG_OK && i < nf; i++) {
        mrd_pend_t *p = fresh[i];
        const char *id;
        json_object *o;
        char *doc;
        size_t len;

        if (!mrd_numeric(p->type))
            continue;
        id = mrd_pair(a, p->name, p->device);
        if ((rc = store_res_get(st, txn, MRD_K_HIST, id, &doc, &len, err)) == VG_OK) {
            free(doc);
            continue;
        }
        if (rc != VG_ENOTFOUND)
            break;
        o = json_object_new_object();
        json_object_object_add(o, "first",
                               json_object_new_int64(mrd_floor_div(p->ts_ms, 1000) * 1000));
        if ((rc = mrd_doc_put(st, txn, MRD_K_HIST, id, o, err)) == VG_OK)
            rc = store_res_put(st, txn, MRD_K_HIST_DEV, mrd_pair(a, p->device, p->name), "{}", 2,
                               err);
    }
    /* the summaries, by name */
    mrd_pend_t **byname = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *byname);
    size_t nn = 0;

    for (size_t i = 0; i < nf; i++)
        if (mrd_numeric(fresh[i]->type))
            byname[nn++] = fresh[i];
    qsort(byname, nn, sizeof *byname, mrd_pend_cmp_name);
    for (size_t i = 0; rc == VG_OK && i < nn;) {
        size_t k = i;
        double sum = 0;
        char num[VG_FTOA_MAX];
        json_object *o;

        for (; k < nn && strcmp(byname[k]->name, byname[i]->name) == 0; k++)
            sum += strtod(byname[k]->value, NULL);
        vg_ftoa_go(sum, num);
        o = json_object_new_object();
        json_object_object_add(o, "devices", json_object_new_int64((int64_t)(k - i)));
        json_object_object_add(
            o, "sum", isfinite(sum) ? json_object_new_double_s(sum, num) : json_object_new_null());
        json_object_object_add(o, "at", json_object_new_int64(r->now_ms));
        rc = mrd_doc_put(st, txn, MRD_K_SUMMARY, byname[i]->name, o, err);
        i = k;
    }
    return rc;
}

static int mrd_run_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    mrd_run_t *r = arg;
    mrd_pend_t **all, **fresh;
    size_t nall = 0, nf = 0;
    uint64_t runs = 0;
    int64_t last;
    json_object *o;
    int rc;

    vg_arena_reset(&r->a);
    memset(&r->stats, 0, sizeof r->stats);
    if ((rc = mrd_pending_load(st, txn, &r->a, &all, &nall, err)) != VG_OK)
        return rc;
    fresh = vg_arena_alloc(&r->a, (nall ? nall : 1) * sizeof *fresh);
    for (size_t i = 0; i < nall; i++) {
        mrd_pend_t *p = all[i];

        if (i == 0 || strcmp(p->device, all[i - 1]->device) != 0)
            r->stats.devices++;
        r->stats.metrics++;
        if (!mrd_fresh(p, r->now_ms, r->step_s)) {
            r->stats.stale++; /* kept in pending, out of the snapshot */
            continue;
        }
        fresh[nf++] = p;
        /* remember the sample time for the next run's step arithmetic */
        char id[MRD_ID_MAX + 32];
        json_object *po = json_object_new_object();

        if (mrd_pair_buf(id, sizeof id, p->device, p->name) < 0) {
            json_object_put(po);
            continue;
        }
        json_object_object_add(po, "device", mrd_jstr(p->device));
        json_object_object_add(po, "name", mrd_jstr(p->name));
        json_object_object_add(po, "value", mrd_jstr(p->value));
        json_object_object_add(po, "type", mrd_jstr(mrd_type_names[p->type]));
        json_object_object_add(po, "slope", mrd_jstr(mrd_slope_names[p->slope]));
        json_object_object_add(po, "units", mrd_jstr(p->units));
        json_object_object_add(po, "ttl", json_object_new_int64(p->ttl_s));
        json_object_object_add(po, "reported", json_object_new_int64(p->reported_ms));
        json_object_object_add(po, "last", json_object_new_int64(p->ts_ms));
        if ((rc = mrd_doc_put(st, txn, MRD_K_PENDING, id, po, err)) != VG_OK)
            return rc;
    }
    if ((rc = mrd_history_write(st, txn, r, fresh, nf, err)) != VG_OK ||
        (rc = mrd_snapshot_write(st, txn, r, all, nall, fresh, nf, err)) != VG_OK)
        return rc;
    rc = mrd_run_state(st, txn, &last, &runs, err);
    if (rc != VG_OK && rc != VG_ENOTFOUND)
        return rc;
    o = json_object_new_object();
    json_object_object_add(o, "last", json_object_new_int64(r->now_ms));
    json_object_object_add(o, "runs", json_object_new_int64((int64_t)(runs + 1)));
    json_object_object_add(o, "devices", json_object_new_int64((int64_t)r->stats.devices));
    json_object_object_add(o, "metrics", json_object_new_int64((int64_t)r->stats.metrics));
    json_object_object_add(o, "stale", json_object_new_int64((int64_t)r->stats.stale));
    json_object_object_add(o, "samples", json_object_new_int64((int64_t)r->stats.samples));
    return mrd_doc_put(st, txn, MRD_K_STATE, MRD_STATE_RUN, o, err);
}

int mrd_process(store_t *st, const char *project, int64_t now_ms, int step_s,
                mrd_run_stats_t *stats, vg_err_t *err)
{
    mrd_run_t r = {.project = project, .now_ms = now_ms, .step_s = step_s > 0 ? step_s : 15};
    int rc;

    vg_arena_init(&r.a, 0);
    rc = store_txn_run_write(st, mrd_run_txn, &r, err);
    if (stats != NULL)
        *stats = r.stats;
    vg_arena_fini(&r.a);
    return rc;
}

/* ---- reads ---- */

int mrd_run_state(store_t *st, store_txn_t *txn, int64_t *last_ms, uint64_t *runs, vg_err_t *err)
{
    json_object *o;
    int64_t n = 0;
    int rc;

    if ((rc = mrd_doc_get(st, txn, MRD_K_STATE, MRD_STATE_RUN, &o, err)) != VG_OK)
        return rc == VG_ENOTFOUND ? vg_fail(err, VG_ENOTFOUND, "Waiting on metric processing run")
                                  : rc;
    *last_ms = 0;
    mrd_doc_int(o, "last", last_ms);
    mrd_doc_int(o, "runs", &n);
    *runs = (uint64_t)n;
    json_object_put(o);
    return VG_OK;
}

/* Parses a mrd_cur or mrd_cur_metric document into c; 0 when it is not one. */
static int mrd_current_parse(const mrd_entry_t *e, vg_arena_t *a, mrd_current_t *c)
{
    json_object *o = mrd_doc_parse(e->doc, e->len);
    int type, slope;

    if (o == NULL)
        return 0;
    memset(c, 0, sizeof *c);
    c->device = mrd_doc_str(o, "device", a);
    c->name = mrd_doc_str(o, "name", a);
    c->value = mrd_doc_str(o, "value", a);
    c->units = mrd_doc_str(o, "units", a);
    type = mrd_type_parse(mrd_doc_str(o, "type", a));
    slope = mrd_slope_parse(mrd_doc_str(o, "slope", a));
    json_object_put(o);
    if (c->value == NULL || type < 0)
        return 0;
    c->type = (mrd_type_t)type;
    c->slope = slope < 0 ? MRD_S_BOTH : (mrd_slope_t)slope;
    if (c->units == NULL)
        c->units = "";
    return 1;
}

int mrd_current_device(store_t *st, store_txn_t *txn, const char *device, vg_arena_t *a,
                       mrd_current_t **out, size_t *n, vg_err_t *err)
{
    mrd_entries_t e;
    char *doc;
    size_t len;
    int rc = store_res_get(st, txn, MRD_K_CUR_DEV, device, &doc, &len, err);

    *out = NULL;
    *n = 0;
    if (rc != VG_OK)
        return rc == VG_ENOTFOUND ? vg_fail(err, VG_ENOTFOUND, "Host not found") : rc;
    free(doc);
    if ((rc = mrd_list(st, txn, MRD_K_CUR, mrd_pair(a, device, ""), a, &e, err)) != VG_OK)
        return rc;
    *out = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof **out);
    for (size_t i = 0; i < e.n; i++)
        if (mrd_current_parse(&e.v[i], a, &(*out)[*n]) && (*out)[*n].name != NULL) {
            (*out)[*n].device = device;
            (*n)++;
        }
    return VG_OK;
}

int mrd_current_metric(store_t *st, store_txn_t *txn, const char *metric, vg_arena_t *a,
                       mrd_current_t **out, size_t *n, vg_err_t *err)
{
    mrd_entries_t e;
    int rc = mrd_list(st, txn, MRD_K_CUR_METRIC, mrd_pair(a, metric, ""), a, &e, err);

    *out = NULL;
    *n = 0;
    if (rc != VG_OK)
        return rc;
    *out = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof **out);
    for (size_t i = 0; i < e.n; i++)
        if (mrd_current_parse(&e.v[i], a, &(*out)[*n])) {
            (*out)[*n].device = e.v[i].id; /* the id past the metric's prefix */
            (*out)[*n].name = metric;
            (*n)++;
        }
    return *n > 0 ? VG_OK : vg_fail(err, VG_ENOTFOUND, "Metric not found");
}

int mrd_current_unique(store_t *st, store_txn_t *txn, vg_arena_t *a, mrd_unique_t **out, size_t *n,
                       vg_err_t *err)
{
    mrd_entries_t e;
    int rc = mrd_list(st, txn, MRD_K_CUR_UNIQUE, "", a, &e, err);

    *out = NULL;
    *n = 0;
    if (rc != VG_OK)
        return rc;
    *out = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof **out);
    for (size_t i = 0; i < e.n; i++) {
        json_object *o = mrd_doc_parse(e.v[i].doc, e.v[i].len);
        mrd_unique_t *u = &(*out)[*n];
        int type, mmtype;

        if (o == NULL)
            continue;
        u->name = e.v[i].id;
        u->units = mrd_doc_str(o, "units", a);
        u->nature = mrd_doc_str(o, "nature", a);
        u->min = mrd_doc_str(o, "min", a);
        u->max = mrd_doc_str(o, "max", a);
        type = mrd_type_parse(mrd_doc_str(o, "type", a));
        mmtype = mrd_type_parse(mrd_doc_str(o, "minmax_type", a));
        json_object_put(o);
        if (type < 0 || u->nature == NULL)
            continue;
        u->type = (mrd_type_t)type;
        u->minmax_type = mmtype < 0 ? u->type : (mrd_type_t)mmtype;
        if (mmtype < 0 || u->min == NULL || u->max == NULL)
            u->min = u->max = NULL;
        if (u->units == NULL)
            u->units = "";
        (*n)++;
    }
    return VG_OK;
}

int mrd_hist_metrics(store_t *st, store_txn_t *txn, const char *device, vg_arena_t *a,
                     const char ***names, size_t *n, vg_err_t *err)
{
    mrd_entries_t e;
    int rc = device == NULL
                 ? mrd_list(st, txn, MRD_K_SUMMARY, "", a, &e, err)
                 : mrd_list(st, txn, MRD_K_HIST_DEV, mrd_pair(a, device, ""), a, &e, err);

    *names = NULL;
    *n = 0;
    if (rc != VG_OK)
        return rc;
    *names = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof **names);
    for (size_t i = 0; i < e.n; i++)
        (*names)[(*n)++] = e.v[i].id;
    return VG_OK;
}

int mrd_hist_devices(store_t *st, store_txn_t *txn, const char *metric, vg_arena_t *a,
                     const char ***devices, int64_t **first_ms, size_t *n, vg_err_t *err)
{
    mrd_entries_t e;
    int rc = mrd_list(st, txn, MRD_K_HIST, mrd_pair(a, metric, ""), a, &e, err);

    *devices = NULL;
    *first_ms = NULL;
    *n = 0;
    if (rc != VG_OK)
        return rc;
    *devices = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof **devices);
    *first_ms = vg_arena_alloc(a, (e.n ? e.n : 1) * sizeof **first_ms);
    for (size_t i = 0; i < e.n; i++) {
        json_object *o = mrd_doc_parse(e.v[i].doc, e.v[i].len);
        int64_t f = INT64_MAX;

        if (o != NULL)
            mrd_doc_int(o, "first", &f);
        json_object_put(o);
        (*devices)[*n] = e.v[i].id;
        (*first_ms)[(*n)++] = f;
    }
    return VG_OK;
}

int mrd_hist_first(store_t *st, store_txn_t *txn, const char *device, const char *metric,
                   int64_t *first_ms, vg_err_t *err)
{
    char id[MRD_ID_MAX + 32];
    json_object *o;
    int rc;

    *first_ms = INT64_MAX;
    if (mrd_pair_buf(id, sizeof id, metric, device) < 0)
        return vg_fail(err, VG_ENOTFOUND, "Metric not found");
    if ((rc = mrd_doc_get(st, txn, MRD_K_HIST, id, &o, err)) != VG_OK)
        return rc == VG_ENOTFOUND ? vg_fail(err, VG_ENOTFOUND, "Metric not found") : rc;
    mrd_doc_int(o, "first", first_ms);
    json_object_put(o);
    return VG_OK;
}

/* ---- the historic grid ---- */

int64_t mrd_grid_rows(int64_t start_s, int64_t end_s, int64_t res_s)
{
    if (res_s <= 0 || end_s < start_s)
        return 0;
    return mrd_floor_div(end_s, res_s) - mrd_floor_div(start_s, res_s) + 1;
}

void mrd_bucket(const store_sample_t *s, size_t n, int64_t first_ms, int64_t start_s, int64_t res_s,
                int64_t heartbeat_s, mrd_row_t *rows, size_t nrows)
{
    int64_t t0 = mrd_floor_div(start_s, res_s) * res_s + res_s, prev = 0;
    int have_prev = 0;

    for (size_t j = 0; j < nrows; j++)
        rows[j] = (mrd_row_t){t0 + (int64_t)j * res_s, 0, 0};
    for (size_t i = 0; i < n; i++) {
        int64_t sec = mrd_floor_div(s[i].t, 1000), d, j;
        /* rrdtool's heartbeat: a value more than heartbeat_s after the one before it covers
         * an unknown interval; the series's very first one counts (upstream creates the file
         * one step before it) */
        int counts = have_prev ? sec - prev <= heartbeat_s : s[i].t <= first_ms;

        have_prev = 1;
        prev = sec;
        if (!counts || isnan(s[i].v))
            continue;
        /* the row whose (ts - R, ts] holds sec: ts = the first grid time >= sec */
        d = sec - t0;
        j = d <= 0 ? -(-d / res_s) : (d + res_s - 1) / res_s;
        if (j < 0 || (uint64_t)j >= nrows)
            continue;
        rows[j].v += s[i].v;
        rows[j].has++;
    }
    for (size_t j = 0; j < nrows; j++) {
        if (rows[j].has > 0)
            rows[j].v /= rows[j].has;
        rows[j].has = rows[j].has > 0 && isfinite(rows[j].v);
        if (!rows[j].has)
            rows[j].v = 0;
    }
}

typedef struct {
    const char *device;
    uint64_t id;
} mrd_sid_t;

static int mrd_sid_cmp(const void *x, const void *y)
{
    return strcmp(((const mrd_sid_t *)x)->device, ((const mrd_sid_t *)y)->device);
}

int mrd_history_many(store_t *st, store_txn_t *txn, const char *project, const char *metric,
                     const char *const *devices, const int64_t *first_ms, size_t ndev,
                     int64_t start_s, int64_t end_s, int64_t res_s, int64_t heartbeat_s,
                     vg_arena_t *a, mrd_row_t **rows, size_t *nrows, vg_err_t *err)
{
    int64_t nr = mrd_grid_rows(start_s, end_s, res_s), t0, tn;
    store_matcher_t m = {.type = STORE_M_EQ, .name = "__name__", .value = metric};
    store_series_t *ser;
    mrd_sid_t *sids;
    size_t nser = 0, nsid = 0;
    vg_arena_t scratch;
    int rc;

    *nrows = 0;
    if (nr <= 0 || nr > MRD_MAX_ROWS || heartbeat_s < 0)
        return vg_fail(err, VG_EINVAL, "no grid of at most %d rows from %lld to %lld at %lld s",
                       MRD_MAX_ROWS, (long long)start_s, (long long)end_s, (long long)res_s);
    t0 = mrd_floor_div(start_s, res_s) * res_s + res_s;
    tn = t0 + (nr - 1) * res_s;
    /* in ms from the first counted second's predecessor to the end of the last row */
    if (t0 - res_s - heartbeat_s < INT64_MIN / 1000 + 1 || tn > INT64_MAX / 1000 - 1)
        return vg_fail(err, VG_EINVAL, "time out of range");
    if ((rc = store_series_select(st, txn, project, &m, 1, a, &ser, &nser, err)) != VG_OK)
        return rc;
    sids = vg_arena_alloc(a, (nser ? nser : 1) * sizeof *sids);
    for (size_t i = 0; i < nser; i++) /* only what the processing run writes: two labels */
        if (ser[i].nlabels == 2 && strcmp(ser[i].labels[1].name, "device") == 0)
            sids[nsid++] = (mrd_sid_t){ser[i].labels[1].value, ser[i].id};
    qsort(sids, nsid, sizeof *sids, mrd_sid_cmp);
    vg_arena_init(&scratch, 0);
    for (size_t i = 0; i < ndev; i++) {
        mrd_sid_t key = {devices[i], 0},
                  *hit = nsid ? bsearch(&key, sids, nsid, sizeof *sids, mrd_sid_cmp) : NULL;
        store_sample_t *s = NULL;
        size_t ns = 0;

        rows[i] = vg_arena_alloc(a, (size_t)nr * sizeof **rows);
        if (hit != NULL &&
            (rc = store_series_samples(st, txn, hit->id, (t0 - res_s + 1 - heartbeat_s) * 1000,
                                       tn * 1000 + 999, &scratch, &s, &ns, err)) != VG_OK)
            break;
        mrd_bucket(s, ns, first_ms != NULL ? first_ms[i] : INT64_MAX, start_s, res_s, heartbeat_s,
                   rows[i], (size_t)nr);
        vg_arena_reset(&scratch);
    }
    vg_arena_fini(&scratch);
    if (rc == VG_OK)
        *nrows = (size_t)nr;
    return rc;
}

int mrd_history(store_t *st, store_txn_t *txn, const char *project, const char *device,
                const char *metric, int64_t first_ms, int64_t start_s, int64_t end_s, int64_t res_s,
                int64_t heartbeat_s, vg_arena_t *a, mrd_row_t **rows, size_t *nrows, vg_err_t *err)
{
    return mrd_history_many(st, txn, project, metric, &device, &first_ms, 1, start_s, end_s, res_s,
                            heartbeat_s, a, rows, nrows, err);
}
