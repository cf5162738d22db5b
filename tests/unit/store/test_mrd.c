/* tests/unit/store/test_mrd.c - the Concertim state (store/mrd.c): the processing run's staleness
 * and timestamp rules (specs/concertim.md §6.1), the snapshot replaced wholesale, the state before
 * the first run, the device table with its throttled reload, the history index, and the historic
 * grid against upstream's rrdtool examples (§3.4) with the heartbeat rule; plus how long a
 * quarter of 15 s samples takes to bucket.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/time.h"
#include "store/mrd.h"
#include "store/series.h"
#include "support/store_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0      1699999995000LL /* a whole second on the 15 s grid, in ms */
#define PROJECT "default"

typedef test_open_store_t test_mrd_t;

#define test_setup    test_open_store_setup
#define test_teardown test_open_store_teardown

/* ---- helpers ---- */

typedef struct {
    const char *device;
    mrd_report_t r;
    int64_t now_ms;
} test_put_t;

static int test_put_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_put_t *p = arg;

    return mrd_pending_put(st, txn, p->device, &p->r, p->now_ms, err);
}

static void test_put(test_mrd_t *t, const char *device, const char *name, const char *value,
                     mrd_type_t type, mrd_slope_t slope, int64_t ttl_s, int64_t now_ms)
{
    test_put_t p = {device, {name, value, strtod(value, NULL), type, slope, "", ttl_s}, now_ms};
    vg_err_t err = {0};

    if (store_txn_run(t->st, test_put_txn, &p, &err) != VG_OK)
        fail_msg("put %s/%s: %s", device, name, err.msg);
}

static mrd_run_stats_t test_run(test_mrd_t *t, int64_t now_ms)
{
    mrd_run_stats_t s;
    vg_err_t err = {0};

    if (mrd_process(t->st, PROJECT, now_ms, 15, &s, &err) != VG_OK)
        fail_msg("run at %lld: %s", (long long)now_ms, err.msg);
    return s;
}

typedef struct {
    test_mrd_t *t;
    const char *key;
    int which; /* 0 device, 1 metric, 2 unique, 3 run state, 4 known */
    mrd_current_t *cur;
    mrd_unique_t *uniq;
    size_t n;
    int64_t last;
    uint64_t runs;
} test_read_t;

static int test_read_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_read_t *q = arg;

    switch (q->which) {
    case 0:
        return mrd_current_device(st, txn, q->key, &q->t->a, &q->cur, &q->n, err);
    case 1:
        return mrd_current_metric(st, txn, q->key, &q->t->a, &q->cur, &q->n, err);
    case 2:
        return mrd_current_unique(st, txn, &q->t->a, &q->uniq, &q->n, err);
    case 3:
        return mrd_run_state(st, txn, &q->last, &q->runs, err);
    default: {
        int rc = mrd_device_known(st, txn, q->key, err);

        if (rc >= 0)
            q->n = (size_t)rc;
        return rc < 0 ? rc : VG_OK;
    }
    }
}

static int test_read(test_mrd_t *t, int which, const char *key, test_read_t *q)
{
    vg_err_t err = {0};

    memset(q, 0, sizeof *q);
    q->t = t;
    q->which = which;
    q->key = key;
    return store_txn_run(t->st, test_read_txn, q, &err);
}

/* The device's current metrics as "name=value,..." (or "404"). */
static const char *test_device_view(test_mrd_t *t, const char *device)
{
    static char out[512];
    test_read_t q;
    size_t o = 0;

    if (test_read(t, 0, device, &q) == VG_ENOTFOUND)
        return "404";
    out[0] = '\0';
    for (size_t i = 0; i < q.n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s=%s", i ? "," : "", q.cur[i].name,
                              q.cur[i].value);
    return out;
}

/* The metric's current values as "device=value,..." (or "404"). */
static const char *test_metric_view(test_mrd_t *t, const char *metric)
{
    static char out[512];
    test_read_t q;
    size_t o = 0;

    if (test_read(t, 1, metric, &q) == VG_ENOTFOUND)
        return "404";
    out[0] = '\0';
    for (size_t i = 0; i < q.n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s=%s", i ? "," : "", q.cur[i].device,
                              q.cur[i].value);
    return out;
}

typedef struct {
    const char *device, *metric;
    vg_arena_t *a;
    store_sample_t *s;
    size_t n;
} test_samples_t;

static int test_samples_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_samples_t *q = arg;
    store_matcher_t m[2] = {{.type = STORE_M_EQ, .name = "__name__", .value = q->metric},
                            {.type = STORE_M_EQ, .name = "device", .value = q->device}};
    store_series_t *s;
    size_t n;
    int rc = store_series_select(st, txn, PROJECT, m, 2, q->a, &s, &n, err);

    q->n = 0;
    if (rc != VG_OK || n == 0)
        return rc;
    assert_int_equal(n, 1);
    return store_series_samples(st, txn, s[0].id, INT64_MIN, INT64_MAX, q->a, &q->s, &q->n, err);
}

/* The recorded history of device/metric as "t-offset-s:value,..." relative to T0. */
static const char *test_history(test_mrd_t *t, const char *device, const char *metric)
{
    static char out[1024];
    test_samples_t q = {device, metric, &t->a, NULL, 0};
    vg_err_t err = {0};
    size_t o = 0;

    if (store_txn_run(t->st, test_samples_txn, &q, &err) != VG_OK)
        fail_msg("samples: %s", err.msg);
    out[0] = '\0';
    for (size_t i = 0; i < q.n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%lld:%g", i ? "," : "",
                              (long long)((q.s[i].t - T0) / 1000), q.s[i].v);
    return out;
}

/* ---- the processing run ---- */

static void test_mrd_before_first_run(void **state)
{
    test_mrd_t *t = *state;
    test_read_t q;

    assert_int_equal(test_read(t, 3, NULL, &q), VG_ENOTFOUND);
    /* reports alone do not make a run */
    test_put(t, "1", "caffeine.level", "12", MRD_T_INT32, MRD_S_BOTH, 60, T0);
    assert_int_equal(test_read(t, 3, NULL, &q), VG_ENOTFOUND);
    test_run(t, T0 + 100);
    assert_int_equal(test_read(t, 3, NULL, &q), VG_OK);
    assert_int_equal(q.runs, 1);
    assert_int_equal(q.last, T0 + 100);
    test_run(t, T0 + 15100);
    assert_int_equal(test_read(t, 3, NULL, &q), VG_OK);
    assert_int_equal(q.runs, 2);
    /* an empty run still counts as a run */
    assert_string_equal(test_device_view(t, "1"), "caffeine.level=12");
}

static void test_mrd_empty_run(void **state)
{
    test_mrd_t *t = *state;
    mrd_run_stats_t s = test_run(t, T0);
    test_read_t q;

    assert_int_equal(s.devices + s.metrics + s.stale + s.samples, 0);
    assert_int_equal(test_read(t, 3, NULL, &q), VG_OK);
    assert_int_equal(test_read(t, 2, NULL, &q), VG_OK);
    assert_int_equal(q.n, 0);
    assert_string_equal(test_device_view(t, "1"), "404");
}

/* ttl 1: processed once whatever the ttl, stale afterwards, and kept in pending */
static void test_mrd_ttl1_once_then_stale(void **state)
{
    test_mrd_t *t = *state;
    mrd_run_stats_t s;

    test_put(t, "1", "t", "1", MRD_T_INT32, MRD_S_BOTH, 1, T0);
    /* even a first run after the ttl processes it */
    s = test_run(t, T0 + 5000);
    assert_int_equal(s.stale, 0);
    assert_int_equal(s.samples, 1);
    assert_string_equal(test_device_view(t, "1"), "t=1");
    s = test_run(t, T0 + 20000);
    assert_int_equal(s.devices, 1);
    assert_int_equal(s.metrics, 1);
    assert_int_equal(s.stale, 1);
    assert_int_equal(s.samples, 0);
    /* the device stays in the run with no metrics; the metric leaves it */
    assert_string_equal(test_device_view(t, "1"), "");
    assert_string_equal(test_metric_view(t, "t"), "404");
    assert_string_equal(test_history(t, "1", "t"), "0:1");
    /* and stays stale */
    s = test_run(t, T0 + 35000);
    assert_int_equal(s.stale, 1);
    /* stale means reported + ttl strictly before the run's start (ms, as upstream's time.Before) */
    test_put(t, "1", "u", "1", MRD_T_INT32, MRD_S_BOTH, 1, T0 + 40000);
    test_run(t, T0 + 40001);
    s = test_run(t, T0 + 41000); /* reported + ttl == run start: not stale */
    assert_int_equal(s.stale, 1);
    s = test_run(t, T0 + 41001);
    assert_int_equal(s.stale, 2);
}

/* a value is recorded again every step (whole steps after the last sample, never past now,
 * compared in seconds) until its ttl runs out */
static void test_mrd_rerecorded_every_step(void **state)
{
    test_mrd_t *t = *state;
    mrd_run_stats_t s;

    test_put(t, "1", "power", "42.000000", MRD_T_DOUBLE, MRD_S_BOTH, 60, T0 + 500);
    test_run(t, T0 + 700);   /* first: the report time, at whole seconds: 0 */
    test_run(t, T0 + 15700); /* last + 15 s = 15.5 s <= 15.7 s: 15 */
    test_run(t, T0 + 20000); /* 30.5 s is after 20 s: the same 15 again */
    test_run(t, T0 + 50200); /* 30.5, 45.5 <= 50.2; 60.5 not: 45 */
    /* the second comparison is on whole seconds: 60.5 s truncates to 60, 60.2 s to 60 */
    test_run(t, T0 + 60200);
    assert_string_equal(test_history(t, "1", "power"), "0:42,15:42,45:42,60:42");
    /* reported 0.5 s + 60 s < 60.6 s: stale, nothing more recorded */
    s = test_run(t, T0 + 60600);
    assert_int_equal(s.stale, 1);
    assert_string_equal(test_history(t, "1", "power"), "0:42,15:42,45:42,60:42");
    /* a run long after the last one moves by as many whole steps as fit */
    test_put(t, "2", "power", "7", MRD_T_INT32, MRD_S_BOTH, 3600, T0 + 100000);
    test_run(t, T0 + 100000);
    test_run(t, T0 + 100000 + 15000 * 10 + 999);
    assert_string_equal(test_history(t, "2", "power"), "100:7,250:7");
}

/* a new report replaces the pending one and starts its processed state over */
static void test_mrd_replacement_clears_state(void **state)
{
    test_mrd_t *t = *state;
    mrd_run_stats_t s;

    test_put(t, "1", "t", "1", MRD_T_INT32, MRD_S_BOTH, 1, T0);
    test_run(t, T0 + 100);
    s = test_run(t, T0 + 5000);
    assert_int_equal(s.stale, 1);
    test_put(t, "1", "t", "2", MRD_T_INT32, MRD_S_BOTH, 1, T0 + 6000);
    /* long past its ttl, but not yet processed: recorded at its report time */
    s = test_run(t, T0 + 9000);
    assert_int_equal(s.stale, 0);
    assert_string_equal(test_device_view(t, "1"), "t=2");
    assert_string_equal(test_history(t, "1", "t"), "0:1,6:2");
    s = test_run(t, T0 + 24000);
    assert_int_equal(s.stale, 1);
}

/* each run's snapshot replaces the last one as a whole */
static void test_mrd_snapshot_replaced(void **state)
{
    test_mrd_t *t = *state;
    test_read_t q;

    test_put(t, "1", "caffeine.level", "12", MRD_T_INT32, MRD_S_BOTH, 60, T0);
    test_put(t, "2", "caffeine.level", "99", MRD_T_INT32, MRD_S_BOTH, 60, T0);
    test_put(t, "3", "caffeine.level", "1.500000", MRD_T_DOUBLE, MRD_S_BOTH, 60, T0);
    test_put(t, "2", "only.two", "5", MRD_T_UINT8, MRD_S_ZERO, 1, T0);
    test_put(t, "1", "os", "linux", MRD_T_STRING, MRD_S_ZERO, 60, T0);
    test_put(t, "10", "os", "bsd", MRD_T_STRING, MRD_S_ZERO, 60, T0);
    test_run(t, T0 + 100);
    assert_string_equal(test_device_view(t, "1"), "caffeine.level=12,os=linux");
    assert_string_equal(test_device_view(t, "2"), "caffeine.level=99,only.two=5");
    assert_string_equal(test_metric_view(t, "caffeine.level"), "1=12,2=99,3=1.500000");
    assert_string_equal(test_metric_view(t, "os"), "1=linux,10=bsd");
    assert_int_equal(test_read(t, 2, NULL, &q), VG_OK);
    assert_int_equal(q.n, 3);
    /* min/max over the first numeric device's kind (int): the double on device 3 is ignored */
    assert_string_equal(q.uniq[0].name, "caffeine.level");
    assert_string_equal(q.uniq[0].min, "12");
    assert_string_equal(q.uniq[0].max, "99");
    assert_int_equal(q.uniq[0].minmax_type, MRD_T_INT32);
    assert_string_equal(q.uniq[0].nature, "volatile");
    assert_string_equal(q.uniq[1].name, "only.two");
    assert_string_equal(q.uniq[1].nature, "constant");
    assert_string_equal(q.uniq[2].name, "os");
    assert_null(q.uniq[2].min);
    assert_null(q.uniq[2].max);
    assert_string_equal(q.uniq[2].nature, "string_and_time");

    /* device 2's only.two goes stale, device 1's level changes, os on 10 is replaced */
    test_put(t, "1", "caffeine.level", "3", MRD_T_INT32, MRD_S_BOTH, 60, T0 + 10000);
    test_run(t, T0 + 15100);
    assert_string_equal(test_device_view(t, "2"), "caffeine.level=99");
    assert_string_equal(test_metric_view(t, "only.two"), "404");
    assert_string_equal(test_metric_view(t, "caffeine.level"), "1=3,2=99,3=1.500000");
    assert_int_equal(test_read(t, 2, NULL, &q), VG_OK);
    assert_int_equal(q.n, 2);
    assert_string_equal(q.uniq[0].min, "3");
    assert_string_equal(q.uniq[1].name, "os");

    /* everything stale: every device stays, with nothing */
    test_run(t, T0 + 200000);
    assert_string_equal(test_device_view(t, "1"), "");
    assert_string_equal(test_device_view(t, "10"), "");
    assert_string_equal(test_metric_view(t, "caffeine.level"), "404");
    assert_int_equal(test_read(t, 2, NULL, &q), VG_OK);
    assert_int_equal(q.n, 0);
}

typedef struct {
    test_mrd_t *t;
    const char *device, *metric;
    const char **names, **devices;
    int64_t *first, one_first;
    size_t n;
} test_hist_t;

static int test_hist_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_hist_t *q = arg;

    if (q->metric != NULL && q->device != NULL)
        return mrd_hist_first(st, txn, q->device, q->metric, &q->one_first, err);
    if (q->metric != NULL)
        return mrd_hist_devices(st, txn, q->metric, &q->t->a, &q->devices, &q->first, &q->n, err);
    return mrd_hist_metrics(st, txn, q->device, &q->t->a, &q->names, &q->n, err);
}

/* the index of what was recorded: numeric metrics only, by metric and by device */
static void test_mrd_history_index(void **state)
{
    test_mrd_t *t = *state;
    test_hist_t q = {.t = t};
    vg_err_t err = {0};

    test_put(t, "1", "cap", "10", MRD_T_INT32, MRD_S_ZERO, 60, T0);
    test_put(t, "1", "os", "linux", MRD_T_STRING, MRD_S_ZERO, 60, T0);
    test_put(t, "2", "cap", "20", MRD_T_INT32, MRD_S_ZERO, 60, T0 + 3000);
    test_put(t, "12", "load", "0.500000", MRD_T_FLOAT, MRD_S_BOTH, 60, T0);
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 0);
    test_run(t, T0 + 5000);
    test_run(t, T0 + 20000);
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 2);
    assert_string_equal(q.names[0], "cap");
    assert_string_equal(q.names[1], "load");
    q.device = "1";
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 1);
    assert_string_equal(q.names[0], "cap");
    q.device = "3";
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 0);
    q.device = NULL;
    q.metric = "cap";
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 2);
    assert_string_equal(q.devices[0], "1");
    assert_int_equal(q.first[0], T0);
    assert_string_equal(q.devices[1], "2");
    assert_int_equal(q.first[1], T0 + 3000);
    q.device = "2";
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.one_first, T0 + 3000);
    q.metric = "os";
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_ENOTFOUND);
    /* "1" + "2cap" and "12" + "cap" must not meet: the pair ids carry the length */
    test_put(t, "1", "2cap", "1", MRD_T_INT32, MRD_S_ZERO, 60, T0 + 30000);
    test_run(t, T0 + 30000);
    q.device = "12";
    q.metric = NULL;
    assert_int_equal(store_txn_run(t->st, test_hist_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 1);
    assert_string_equal(q.names[0], "load");
    assert_string_equal(test_device_view(t, "1"), "2cap=1,cap=10,os=linux");
    assert_string_equal(test_device_view(t, "12"), "load=0.500000");
    /* history keeps the metadata for PromQL */
    assert_string_equal(test_history(t, "12", "load"), "0:0.5,15:0.5,30:0.5");
}

/* ---- devices ---- */

typedef struct {
    const char *const *ids;
    size_t n;
} test_replace_t;

static int test_replace_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_replace_t *r = arg;

    return mrd_devices_replace(st, txn, r->ids, r->n, err);
}

static int test_known(test_mrd_t *t, const char *id)
{
    test_read_t q;

    assert_int_equal(test_read(t, 4, id, &q), VG_OK);
    return (int)q.n;
}

static void test_mrd_devices_known(void **state)
{
    test_mrd_t *t = *state;
    static const char *const a[] = {"1", "2", "2", "device 3"}, *const b[] = {"2", "4"};
    test_replace_t r = {a, 4};
    vg_err_t err = {0};

    assert_int_equal(test_known(t, "1"), 0);
    assert_int_equal(store_txn_run(t->st, test_replace_txn, &r, &err), VG_OK);
    assert_int_equal(test_known(t, "1"), 1);
    assert_int_equal(test_known(t, "device 3"), 1);
    assert_int_equal(test_known(t, "device"), 0);
    r = (test_replace_t){b, 2};
    assert_int_equal(store_txn_run(t->st, test_replace_txn, &r, &err), VG_OK);
    assert_int_equal(test_known(t, "1"), 0);
    assert_int_equal(test_known(t, "2"), 1);
    assert_int_equal(test_known(t, "4"), 1);
    /* a device that reported is remembered even when the map drops it (§5.1) */
    test_put(t, "99", "m", "1", MRD_T_INT32, MRD_S_BOTH, 60, T0);
    assert_int_equal(test_known(t, "99"), 1);
    assert_int_equal(test_known(t, "9"), 0);
    r = (test_replace_t){b, 0};
    assert_int_equal(store_txn_run(t->st, test_replace_txn, &r, &err), VG_OK);
    assert_int_equal(test_known(t, "2"), 0);
    assert_int_equal(test_known(t, "99"), 1);
}

static void test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_mrd_devices_reload_throttle(void **state)
{
    test_mrd_t *t = *state;
    char path[1024];
    vg_err_t err = {0};
    int loaded = -1;

    snprintf(path, sizeof path, "%s/dsm.json", t->fx->dir);
    /* a missing file: VG_EINVAL, nothing loaded */
    assert_int_equal(mrd_devices_reload(t->st, path, T0, 5000, &loaded, NULL, &err), VG_EINVAL);
    assert_int_equal(loaded, 0);
    test_write_file(path,
                    "{\"unspecified\":{\"unspecified\":{\"device:1\":\"1\",\"device:2\":\"2\"}}}");
    /* the failed attempt throttles too */
    assert_int_equal(mrd_devices_reload(t->st, path, T0 + 1000, 5000, &loaded, NULL, &err), VG_OK);
    assert_int_equal(loaded, 0);
    assert_int_equal(test_known(t, "1"), 0);
    assert_int_equal(mrd_devices_reload(t->st, path, T0 + 5000, 5000, &loaded, NULL, &err), VG_OK);
    assert_int_equal(loaded, 1);
    assert_int_equal(test_known(t, "1"), 1);
    assert_int_equal(test_known(t, "2"), 1);
    /* kept in the store, so every process sees the same throttle */
    test_write_file(path, "{\"g\":{\"c\":{\"device:3\":\"3\"}}}");
    assert_int_equal(mrd_devices_reload(t->st, path, T0 + 9999, 5000, &loaded, NULL, &err), VG_OK);
    assert_int_equal(loaded, 0);
    assert_int_equal(test_known(t, "3"), 0);
    assert_int_equal(mrd_devices_reload(t->st, path, T0 + 10000, 5000, &loaded, NULL, &err), VG_OK);
    assert_int_equal(loaded, 1);
    assert_int_equal(test_known(t, "3"), 1);
    assert_int_equal(test_known(t, "1"), 0);
    /* no gap: always */
    test_write_file(path, "{\"g\":{\"c\":{\"device:4\":\"4\"}}}");
    assert_int_equal(mrd_devices_reload(t->st, path, T0 + 10001, 0, &loaded, NULL, &err), VG_OK);
    assert_int_equal(loaded, 1);
    assert_int_equal(test_known(t, "4"), 1);
    /* a bad file leaves the table as it was */
    test_write_file(path, "{\"g\":[1,2]");
    assert_int_equal(mrd_devices_reload(t->st, path, T0 + 20000, 5000, &loaded, NULL, &err),
                     VG_EINVAL);
    assert_int_equal(loaded, 0);
    assert_non_null(strstr(err.msg, "dsm.json"));
    assert_int_equal(test_known(t, "4"), 1);
}

/* ---- the historic grid ---- */

static void test_rows_eq(const mrd_row_t *rows, size_t n, const int64_t *ts, const double *v)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i].ts != ts[i])
            fail_msg("row %zu: ts %lld, want %lld", i, (long long)rows[i].ts, (long long)ts[i]);
        if (isnan(v[i]) ? rows[i].has : !rows[i].has || rows[i].v != v[i])
            fail_msg("row %zu (%lld): %s %.17g, want %.17g", i, (long long)ts[i],
                     rows[i].has ? "value" : "null", rows[i].v, v[i]);
    }
}

/* upstream's rrd/historicRepo_test.go: the rows --align-start gives for R = 15 */
static void test_mrd_grid_upstream_examples(void **state)
{
    static const int64_t ts1[] = {1696431225, 1696431240, 1696431255, 1696431270,
                                  1696431285, 1696431300, 1696431315};
    static const int64_t ts2[] = {1696431105, 1696431120, 1696431135, 1696431150, 1696431165};
    const double N = NAN;
    /* device 1 reported 9020 three times, then nothing */
    const store_sample_t s1[] = {
        {1696431210000, 9020}, {1696431225000, 9020}, {1696431240000, 9020}, {1696431255000, 9020}};
    const double v1[] = {9020, 9020, 9020, N, N, N, N};
    /* two values in one row average; a row's interval is (ts - 15, ts] */
    const store_sample_t s2[] = {
        {1696431090000, 8969}, {1696431105000, 8969}, {1696431120000, 8969}, {1696431121000, 8969},
        {1696431135000, 8956}, {1696431136000, 8956}, {1696431150000, 8956}, {1696431165000, 8956}};
    const double v2[] = {8969, 8969, (8969.0 + 8956) / 2, 8956, 8956};
    mrd_row_t rows[8];

    (void)state;
    assert_int_equal(mrd_grid_rows(1696431210, 1696431300, 15), 7);
    mrd_bucket(s1, 4, 1696431210000, 1696431210, 15, 120, rows, 7);
    test_rows_eq(rows, 7, ts1, v1);
    assert_int_equal(mrd_grid_rows(1696431100, 1696431150, 15), 5);
    mrd_bucket(s2, 8, INT64_MAX, 1696431100, 15, 120, rows, 5);
    test_rows_eq(rows, 5, ts2, v2);
    /* the other resolutions align the same way; end before start is no grid */
    assert_int_equal(mrd_grid_rows(1696431100, 1696431100, 15), 1);
    assert_int_equal(mrd_grid_rows(1696428000, 1696431600, 300), 13);
    assert_int_equal(mrd_grid_rows(1696431101, 1696431100, 15), 0);
    assert_int_equal(mrd_grid_rows(1696431100 - 90 * 86400, 1696431100, 3600), 2161);
}

/* a value more than the heartbeat after the one before it covers an unknown interval: its row
 * is null, as rrdtool leaves it; the series's very first value counts */
static void test_mrd_grid_heartbeat(void **state)
{
    static const int64_t ts[] = {990,  1005, 1020, 1035, 1050, 1065, 1080, 1095, 1110,
                                 1125, 1140, 1155, 1170, 1185, 1200, 1215, 1230};
    const double N = NAN;
    const store_sample_t s[] = {
        {990000, 1},  {1005000, 2},   {1020000, 3}, /* the first ever at 990 */
        {1155000, 4},                               /* after 135 s of silence: unknown */
        {1170000, 5}, {1185000, NAN},               /* a NaN is no value */
        {1200000, 6}, {1230000, 7},                 /* 30 s apart: fine */
    };
    const double v[] = {1, 2, 3, N, N, N, N, N, N, N, N, N, 5, N, 6, N, 7};
    mrd_row_t rows[17];

    (void)state;
    assert_int_equal(mrd_grid_rows(975, 1215, 15), 17);
    mrd_bucket(s, 8, 990000, 975, 15, 120, rows, 17);
    test_rows_eq(rows, 17, ts, v);
    /* when the first sample given is not the series's first, it only starts the chain */
    mrd_bucket(s + 1, 7, 990000, 975, 15, 120, rows, 17);
    assert_int_equal(rows[1].has, 0);
    assert_int_equal(rows[2].has, 1);
    /* first_ms unknown (INT64_MAX): the first sample given counts */
    mrd_bucket(s + 1, 7, INT64_MAX, 975, 15, 120, rows, 17);
    assert_int_equal(rows[1].has, 1);
    /* a wider heartbeat bridges the gap */
    mrd_bucket(s, 8, 990000, 975, 15, 150, rows, 17);
    assert_int_equal(rows[11].has, 1);
    assert_true(rows[11].v == 4);
    /* a coarse row averages what counts in it: (900, 1200] at R = 300 */
    mrd_bucket(s, 8, 990000, 975, 300, 120, rows, 1);
    assert_int_equal(rows[0].ts, 1200);
    assert_int_equal(rows[0].has, 1);
    assert_true(rows[0].v == (1 + 2 + 3 + 5 + 6) / 5.0);
}

typedef struct {
    const char *device, *metric;
    int64_t first, start, end, res;
    vg_arena_t *a;
    mrd_row_t *rows;
    size_t n;
} test_grid_t;

static int test_grid_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_grid_t *q = arg;

    return mrd_history(st, txn, PROJECT, q->device, q->metric, q->first, q->start, q->end, q->res,
                       MRD_HEARTBEAT_S, q->a, &q->rows, &q->n, err);
}

/* the grid over what runs recorded, read back through the series store */
static void test_mrd_history_grid(void **state)
{
    test_mrd_t *t = *state;
    test_grid_t q = {.device = "1",
                     .metric = "power",
                     .first = T0,
                     .start = T0 / 1000 - 30,
                     .end = T0 / 1000 + 60,
                     .res = 15,
                     .a = &t->a};
    vg_err_t err = {0};

    test_put(t, "1", "power", "10", MRD_T_INT32, MRD_S_BOTH, 31, T0);
    for (int64_t r = 0; r <= 60000; r += 15000)
        test_run(t, T0 + r + 200);
    /* recorded at 0, 15, 30; stale from 45 */
    assert_int_equal(store_txn_run(t->st, test_grid_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 7);
    assert_int_equal(q.rows[0].ts, T0 / 1000 - 15);
    for (size_t i = 0; i < q.n; i++)
        assert_int_equal(q.rows[i].has, i >= 1 && i <= 3);
    assert_true(q.rows[1].v == 10);
    /* no such series: all null */
    q.device = "2";
    assert_int_equal(store_txn_run(t->st, test_grid_txn, &q, &err), VG_OK);
    assert_int_equal(q.n, 7);
    for (size_t i = 0; i < q.n; i++)
        assert_int_equal(q.rows[i].has, 0);
    /* a grid past the limit is refused */
    q.start = 0;
    q.end = (int64_t)MRD_MAX_ROWS * 15;
    assert_int_equal(store_txn_run(t->st, test_grid_txn, &q, &err), VG_EINVAL);
}

static int test_app_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    return store_series_append(st, txn, PROJECT, arg, err);
}

/* 90 days of 15 s samples bucketed by the hour: the "quarter" view (goal: at most 50 ms) */
static void test_mrd_history_quarter_speed(void **state)
{
    test_mrd_t *t = *state;
    const int64_t n = 90 * 86400 / 15, end = T0 / 1000;
    test_grid_t q = {.device = "1",
                     .metric = "power",
                     .first = INT64_MAX,
                     .start = end - 90 * 86400,
                     .end = end,
                     .res = 3600,
                     .a = &t->a};
    ing_label_t l[2] = {{"__name__", "power"}, {"device", "1"}};
    ing_batch_t b;
    vg_arena_t ba;
    vg_err_t err = {0};
    int64_t best = INT64_MAX;

    vg_arena_init(&ba, 0);
    ing_batch_init(&b, &ba);
    assert_int_equal(ing_batch_add_sample(&b, l, 2, (end - 90 * 86400 + 15) * 1000, 0, &err),
                     VG_OK);
    for (int64_t i = 1; i < n; i++)
        assert_int_equal(
            ing_batch_add_same(&b, (end - 90 * 86400 + 15 + i * 15) * 1000, (double)(i % 100)),
            VG_OK);
    assert_int_equal(store_txn_run_write(t->st, test_app_txn, &b, &err), VG_OK);
    vg_arena_fini(&ba);
    for (int i = 0; i < 5; i++) {
        int64_t t0 = vg_mono_us();

        assert_int_equal(store_txn_run(t->st, test_grid_txn, &q, &err), VG_OK);
        if (vg_mono_us() - t0 < best)
            best = vg_mono_us() - t0;
        vg_arena_reset(&t->a);
    }
    assert_int_equal(q.n, 2161);
    print_message("quarter of 15 s samples (%lld) into 2161 hourly rows: %lld us\n", (long long)n,
                  (long long)best);
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
    /* timed only natively: memcheck (whose preload names it) is tens of times slower */
    const char *pre = getenv("LD_PRELOAD");

    if ((pre == NULL || strstr(pre, "vgpreload") == NULL) && best > 50000)
        fail_msg("%lld us, more than 50 ms", (long long)best);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mrd_before_first_run, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_empty_run, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_ttl1_once_then_stale, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_rerecorded_every_step, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_replacement_clears_state, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_snapshot_replaced, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_history_index, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_devices_known, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_devices_reload_throttle, test_setup,
                                        test_teardown),
        cmocka_unit_test(test_mrd_grid_upstream_examples),
        cmocka_unit_test(test_mrd_grid_heartbeat),
        cmocka_unit_test_setup_teardown(test_mrd_history_grid, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_history_quarter_speed, test_setup, test_teardown),
    };

    return cmocka_run_group_tests_name("store/mrd", tests, NULL, NULL);
}
