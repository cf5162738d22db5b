/* tests/unit/store/test_events_report.c - the summary report job (store/events_report.c,
 * specs/stacktach.md §4.19): a crafted hour of requests (a create with its API update, a
 * rebuild failing with a 500 on monitor.error, a rescue failing with a 400, a resize longer than
 * 30 minutes, a create whose instance went to error, an error that was cleared, an exists that
 * must not stretch its request, another deployment), the report's metadata, title and rows, the
 * stored record, sk_report_exists, the region scope and name, bad arguments, and scans longer
 * than one read chunk.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/json.h"
#include "ingest/stacky.h"
#include "store/events.h"
#include "support/store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROJECT  "default"
#define HOUR_US  3600000000LL
#define START_US 1394456400000000LL /* 2014-03-10 13:00:00 UTC */
#define END_US   (START_US + HOUR_US - 1000000)
#define NOW_US   1394460060123456LL /* 14:01:00.123456 */

typedef test_open_store_t test_rpt_t;

#define test_setup    test_open_store_setup
#define test_teardown test_open_store_teardown

/* ---- ingest ---- */

/* One nova message [rk, body] for deployment dep, parsed and stored as ingest does. */
static void test_msg(test_rpt_t *t, const char *dep, const char *rk, const char *event,
                     const char *publisher, const char *when, const char *req, const char *payload)
{
    const char *text = vg_arena_sprintf(
        &t->a,
        "[\"%s\", {\"event_type\": \"%s\", \"publisher_id\": \"%s\", \"timestamp\": \"%s\", "
        "\"_context_request_id\": \"%s\", \"priority\": \"%s\", \"payload\": %s}]",
        rk, event, publisher, when, req, strstr(rk, "error") ? "ERROR" : "INFO", payload);
    sk_parse_opts_t o = {.table = SK_NOVA};
    vg_err_t err = {0};
    sk_msg_t m;
    uint64_t id;

    if (sk_msg_parse(&t->a, text, strlen(text), &o, &m, &err) != VG_OK)
        fail_msg("parse %s: %s", text, err.msg);
    if (sk_ingest(t->st, PROJECT, dep, &m, 1394460000000LL, &id, &err) != VG_OK)
        fail_msg("store %s: %s", text, err.msg);
}

#define UPD   "compute.instance.update"
#define API   "api.api-01.example.net"
#define CMP   "compute.compute-0001"
#define INFO  "monitor.info"
#define ERR   "monitor.error"
#define I1    "11111111-1111-4111-8111-111111111111"
#define I2    "22222222-2222-4222-8222-222222222222"
#define I3    "33333333-3333-4333-8333-333333333333"
#define I4    "44444444-4444-4444-8444-444444444444"
#define I5    "55555555-5555-4555-8555-555555555555"
#define I6    "66666666-6666-4666-8666-666666666666"
#define I7    "77777777-7777-4777-8777-777777777777"
#define BASE  "\"image_meta\": {\"image_type\": \"base\", \"os_type\": \"linux\"}"
#define SNAPW "\"image_meta\": {\"image_type\": \"snapshot\", \"os_type\": \"windows\"}"

/* The crafted hour: seven requests in region-1, one in other-dc. */
static void test_ingest_hour(test_rpt_t *t)
{
    const char *d = "region-1";

    /* req-a: a create (55 s), its API update first; a later exists with the same request id
     * is not part of the request */
    test_msg(t, d, INFO, UPD, API, "2014-03-10 13:00:05", "req-a",
             "{\"instance_id\": \"" I1 "\", \"state\": \"building\", \"old_state\": null}");
    test_msg(t, d, INFO, "compute.instance.create.start", CMP, "2014-03-10 13:00:10.250000",
             "req-a", "{\"instance_id\": \"" I1 "\", \"state\": \"building\", " BASE "}");
    test_msg(t, d, INFO, "compute.instance.create.end", CMP, "2014-03-10 13:01:00.900000", "req-a",
             "{\"instance_id\": \"" I1 "\", \"state\": \"active\", " BASE "}");
    test_msg(t, d, INFO, "compute.instance.exists", CMP, "2014-03-10 13:50:00", "req-a",
             "{\"instance_id\": \"" I1 "\", \"launched_at\": \"2014-03-10 13:01:00\"}");
    /* req-b: a rebuild of a windows snapshot that fails with a 500 (150 s) */
    test_msg(t, d, INFO, UPD, API, "2014-03-10 13:10:00", "req-b",
             "{\"instance_id\": \"" I2 "\", \"state\": \"active\"}");
    test_msg(t, d, INFO, "compute.instance.rebuild.start", CMP, "2014-03-10 13:10:05", "req-b",
             "{\"instance_id\": \"" I2 "\", \"state\": \"active\", " SNAPW "}");
    test_msg(t, d, ERR, "compute.instance.rebuild.error", CMP, "2014-03-10 13:12:30", "req-b",
             "{\"instance_id\": \"" I2 "\", \"exception\": {\"kwargs\": {\"code\": 500}}}");
    /* req-c: a resize that began before the hour and lasts 45:01 (> 30 minutes) */
    test_msg(t, d, INFO, UPD, API, "2014-03-10 12:20:00", "req-c",
             "{\"instance_id\": \"" I3 "\", \"state\": \"active\"}");
    test_msg(t, d, INFO, "compute.instance.resize.prep.start", CMP, "2014-03-10 12:20:10", "req-c",
             "{\"instance_id\": \"" I3 "\", \"state\": \"active\"}");
    test_msg(t, d, INFO, "compute.instance.resize.end", CMP, "2014-03-10 13:05:00", "req-c",
             "{\"instance_id\": \"" I3 "\", \"state\": \"active\"}");
    test_msg(t, d, INFO, UPD, CMP, "2014-03-10 13:05:01", "req-c",
             "{\"instance_id\": \"" I3 "\", \"state\": \"active\", \"old_state\": \"resized\"}");
    /* req-d: a create whose instance goes to error (100 s) */
    test_msg(t, d, INFO, UPD, API, "2014-03-10 13:30:00", "req-d",
             "{\"instance_id\": \"" I4 "\", \"state\": \"building\"}");
    test_msg(t, d, INFO, "compute.instance.create.start", CMP, "2014-03-10 13:30:05", "req-d",
             "{\"instance_id\": \"" I4 "\", \"state\": \"building\", " BASE "}");
    test_msg(t, d, INFO, UPD, CMP, "2014-03-10 13:31:40", "req-d",
             "{\"instance_id\": \"" I4 "\", \"state\": \"error\", \"old_state\": \"building\"}");
    /* req-e: a rescue refused with a 400 given as text (30 s) */
    test_msg(t, d, INFO, UPD, API, "2014-03-10 13:40:00", "req-e",
             "{\"instance_id\": \"" I5 "\", \"state\": \"active\"}");
    test_msg(t, d, INFO, "compute.instance.rescue.start", CMP, "2014-03-10 13:40:01", "req-e",
             "{\"instance_id\": \"" I5 "\", \"state\": \"active\"}");
    test_msg(t, d, ERR, "rescue_instance", CMP, "2014-03-10 13:40:30", "req-e",
             "{\"exception\": {\"kwargs\": {\"code\": \"400\", \"instance_id\": \"" I5 "\"}}}");
    /* req-f: into error and out again to active: no failure (10 s) */
    test_msg(t, d, INFO, UPD, CMP, "2014-03-10 13:45:00", "req-f",
             "{\"instance_id\": \"" I7 "\", \"state\": \"error\", \"old_state\": \"active\"}");
    test_msg(t, d, INFO, UPD, CMP, "2014-03-10 13:45:10", "req-f",
             "{\"instance_id\": \"" I7 "\", \"state\": \"active\", \"old_state\": \"error\"}");
    /* an update exactly at the hour's start is outside it (start < when), one past its end too */
    test_msg(t, d, INFO, UPD, API, "2014-03-10 13:00:00", "req-g",
             "{\"instance_id\": \"99999999-9999-4999-8999-999999999999\", \"state\": \"active\"}");
    test_msg(t, d, INFO, UPD, API, "2014-03-10 13:59:59.000001", "req-h",
             "{\"instance_id\": \"88888888-8888-4888-8888-888888888888\", \"state\": \"active\"}");
    /* another deployment: a 30 s snapshot */
    test_msg(t, "other-dc", INFO, UPD, API, "2014-03-10 13:20:00", "req-x",
             "{\"instance_id\": \"" I6 "\", \"state\": \"active\"}");
    test_msg(t, "other-dc", INFO, "compute.instance.snapshot.start", CMP, "2014-03-10 13:20:01",
             "req-x", "{\"instance_id\": \"" I6 "\", \"state\": \"active\"}");
    test_msg(t, "other-dc", INFO, "compute.instance.snapshot.end", CMP, "2014-03-10 13:20:30",
             "req-x", "{\"instance_id\": \"" I6 "\", \"state\": \"active\"}");
}

/* ---- reading the report back ---- */

typedef struct {
    test_rpt_t *t;
    uint64_t id;
    sk_report_t r;
} test_get_t;

static int test_get_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_get_t *g = arg;

    return sk_report_get(st, txn, &g->t->a, g->id, &g->r, err);
}

/* Makes the report of the hour for region, reads it back, checks the record, and returns its
 * parsed text. */
static json_object *test_report(test_rpt_t *t, const char *region, const char *name)
{
    test_get_t g = {.t = t};
    vg_err_t err = {0};
    json_object *root;

    if (sk_report_summary(t->st, &t->a, START_US, 1, region, NOW_US, &g.id, &err) != VG_OK)
        fail_msg("report %s: %s", region ? region : "(all)", err.msg);
    if (store_txn_run(t->st, test_get_txn, &g, &err) != VG_OK)
        fail_msg("report %llu: %s", (unsigned long long)g.id, err.msg);
    assert_string_equal(g.r.name, name);
    assert_int_equal(g.r.version, 4);
    assert_int_equal(g.r.period_start_us, START_US);
    assert_int_equal(g.r.period_end_us, END_US);
    assert_int_equal(g.r.created_us, NOW_US);
    if (vg_json_parse(&t->a, g.r.json, g.r.json_len, 64, &root, &err) != VG_OK)
        fail_msg("report text %s: %s", g.r.json, err.msg);
    assert_true(json_object_is_type(root, json_type_array));
    assert_true(json_object_array_length(root) >= 2);
    return root;
}

static const char *test_text(json_object *o)
{
    size_t len;

    return vg_json_text(o, &len);
}

static json_object *test_key(json_object *meta, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(meta, key, &v))
        fail_msg("metadata has no \"%s\": %s", key, test_text(meta));
    return v;
}

static void test_meta_int(json_object *meta, const char *key, int64_t want)
{
    json_object *v = test_key(meta, key);

    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != want)
        fail_msg("\"%s\": got %s, want %lld", key, test_text(v), (long long)want);
}

static void test_meta_double(json_object *meta, const char *key, double want)
{
    json_object *v = test_key(meta, key);

    if (!json_object_is_type(v, json_type_double) || json_object_get_double(v) != want)
        fail_msg("\"%s\": got %s, want %.17g", key, test_text(v), want);
}

/* Checks the metadata keys every report has, in order, then the counts. */
static void test_meta(json_object *root, const char *region, const char *cells, int64_t total,
                      const int64_t failed[4])
{
    static const char *const keys[] = {"percentile",
                                       "pct",
                                       "hours",
                                       "start",
                                       "end",
                                       "region",
                                       "cells",
                                       "total",
                                       "4xx failure count",
                                       "4xx failure percentage",
                                       "5xx failure count",
                                       "5xx failure percentage",
                                       "> 30 failure count",
                                       "> 30 failure percentage",
                                       "state failure count",
                                       "state failure percentage",
                                       "failure_grand_total",
                                       "failure_grand_rate"};
    static const char *const types[] = {"4xx", "5xx", "> 30", "state"};
    json_object *meta = json_object_array_get_idx(root, 0);
    size_t i = 0;
    int64_t grand = 0;

    assert_true(json_object_is_type(meta, json_type_object));
    json_object_object_foreach(meta, k, v)
    {
        (void)v;
        if (i >= sizeof keys / sizeof keys[0] || strcmp(k, keys[i]) != 0)
            fail_msg("metadata key %zu: got \"%s\", want \"%s\"", i, k,
                     i < sizeof keys / sizeof keys[0] ? keys[i] : "(none)");
        i++;
    }
    assert_int_equal(i, sizeof keys / sizeof keys[0]);
    test_meta_int(meta, "percentile", 97);
    test_meta_double(meta, "pct", 0.015);
    test_meta_int(meta, "hours", 1);
    test_meta_double(meta, "start", 1394456400.0);
    test_meta_double(meta, "end", 1394459999.0);
    assert_string_equal(test_text(test_key(meta, "region")), region);
    assert_string_equal(test_text(test_key(meta, "cells")), cells);
    test_meta_int(meta, "total", total);
    for (int t = 0; t < 4; t++) {
        char key[64];

        grand += failed[t];
        snprintf(key, sizeof key, "%s failure count", types[t]);
        test_meta_int(meta, key, failed[t]);
        snprintf(key, sizeof key, "%s failure percentage", types[t]);
        test_meta_double(meta, key, total ? (double)failed[t] / (double)total * 100.0 : 0.0);
    }
    test_meta_int(meta, "failure_grand_total", grand);
    test_meta_double(meta, "failure_grand_rate",
                     total ? (double)grand / (double)total * 100.0 : 0.0);
    /* the text of the floats is Python's: whole numbers keep a ".0" */
    assert_non_null(strstr(test_text(meta), "\"start\":1394456400.0,\"end\":1394459999.0"));
}

static void test_rows(json_object *root, const char *const *want, size_t n)
{
    static const char titles[] =
        "[\"Operation\",\"Image\",\"OS Type\",\"Min\",\"Max\",\"Med\",\"97%\",\"Requests\",\"4xx\","
        "\"% 4xx\",\"5xx\",\"% 5xx\",\"> 30\",\"% > 30\",\"state\",\"% state\"]";

    assert_string_equal(test_text(json_object_array_get_idx(root, 1)), titles);
    if (json_object_array_length(root) != n + 2)
        fail_msg("got %zu rows, want %zu: %s", json_object_array_length(root) - 2, n,
                 test_text(root));
    for (size_t i = 0; i < n; i++) {
        const char *got = test_text(json_object_array_get_idx(root, i + 2));

        if (strcmp(got, want[i]) != 0)
            fail_msg("row %zu:\n got  %s\n want %s", i, got, want[i]);
    }
}

/* ---- tests ---- */

static const char *const test_rows_region1[] = {
    "[\"aux\",\"?\",\"?\",\"10s\",\"10s\",\"10s\",\"10s\",1,0,0.0,0,0.0,0,0.0,0,0.0]",
    /* 55.9 s and 1:40: the median is element N/2 = 1 */
    "[\"create\",\"base\",\"linux\",\"55s\",\"1:40s\",\"1:40s\",\"1:40s\",2,0,0.0,0,0.0,0,0.0,1,"
    "0.5]",
    "[\"rebuild\",\"snap\",\"windows\",\"2:30s\",\"2:30s\",\"2:30s\",\"2:30s\",1,0,0.0,1,1.0,0,0.0,"
    "0,0.0]",
    "[\"rescue\",\"?\",\"?\",\"30s\",\"30s\",\"30s\",\"30s\",1,1,1.0,0,0.0,0,0.0,0,0.0]",
    "[\"resize\",\"?\",\"?\",\"45:01s\",\"45:01s\",\"45:01s\",\"45:01s\",1,0,0.0,0,0.0,1,1.0,0,0."
    "0]",
};

static void test_report_all(void **state)
{
    test_rpt_t *t = *state;
    static const int64_t failed[4] = {1, 1, 1, 1};
    const char *rows[6];
    json_object *root;

    test_ingest_hour(t);
    root = test_report(t, NULL, "summary for region: all");
    test_meta(root, "null", "[\"other-dc\",\"region-1\"]", 7, failed);
    memcpy(rows, test_rows_region1, sizeof test_rows_region1);
    rows[5] =
        "[\"snapshot\",\"?\",\"?\",\"30s\",\"30s\",\"30s\",\"30s\",1,0,0.0,0,0.0,0,0.0,0,0.0]";
    test_rows(root, rows, 6);
}

typedef struct {
    const char *name;
    int64_t start, end;
    int found;
} test_exists_t;

static int test_exists_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_exists_t *e = arg;
    int rc = sk_report_exists(st, txn, e->name, e->start, e->end, err);

    e->found = rc;
    return rc < 0 ? rc : VG_OK;
}

static int test_exists(test_rpt_t *t, const char *name, int64_t start, int64_t end)
{
    test_exists_t e = {name, start, end, -1};
    vg_err_t err = {0};

    if (store_txn_run(t->st, test_exists_txn, &e, &err) != VG_OK)
        fail_msg("exists %s: %s", name, err.msg);
    return e.found;
}

static void test_report_exists_after(void **state)
{
    test_rpt_t *t = *state;

    test_ingest_hour(t);
    assert_int_equal(test_exists(t, "summary for region: all", START_US, END_US), 0);
    test_report(t, NULL, "summary for region: all");
    assert_int_equal(test_exists(t, "summary for region: all", START_US, END_US), 1);
    assert_int_equal(
        test_exists(t, "summary for region: all", START_US + HOUR_US, END_US + HOUR_US), 0);
    assert_int_equal(test_exists(t, "summary for region: region-1", START_US, END_US), 0);
}

static void test_report_region(void **state)
{
    test_rpt_t *t = *state;
    static const int64_t failed[4] = {1, 1, 1, 1};
    json_object *root;

    test_ingest_hour(t);
    /* the match ignores case: "Region" picks region-1, not other-dc */
    root = test_report(t, "Region", "summary for region: Region");
    test_meta(root, "\"Region\"", "[\"region-1\"]", 6, failed);
    test_rows(root, test_rows_region1, 5);
    assert_int_equal(test_exists(t, "summary for region: Region", START_US, END_US), 1);
}

static void test_report_region_none(void **state)
{
    test_rpt_t *t = *state;
    static const int64_t failed[4] = {0, 0, 0, 0};
    json_object *root;

    test_ingest_hour(t);
    root = test_report(t, "nowhere", "summary for region: nowhere");
    test_meta(root, "\"nowhere\"", "[]", 0, failed);
    test_rows(root, NULL, 0);
}

static void test_report_empty_store(void **state)
{
    test_rpt_t *t = *state;
    static const int64_t failed[4] = {0, 0, 0, 0};
    json_object *root;

    /* an empty region is every deployment */
    root = test_report(t, "", "summary for region: all");
    test_meta(root, "null", "[]", 0, failed);
    test_rows(root, NULL, 0);
}

static void test_report_bad_args(void **state)
{
    test_rpt_t *t = *state;
    static const struct {
        int64_t start;
        int hours;
        const char *msg;
    } cases[] = {
        {START_US, 0, "hours must be 1 to"},
        {START_US, 24 * 366 + 1, "hours must be 1 to"},
        {START_US + 1800000000LL, 1, "whole UTC hour"},
        {START_US + 1, 24, "whole UTC hour"},
        {SK_NO_TIME, 1, "whole UTC hour"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        uint64_t id = 0;
        int rc = sk_report_summary(t->st, &t->a, cases[i].start, cases[i].hours, NULL, NOW_US, &id,
                                   &err);

        if (rc != VG_EINVAL || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: got %d \"%s\", want VG_EINVAL \"%s\"", i, rc, err.msg,
                     cases[i].msg);
    }
    assert_int_equal(test_exists(t, "summary for region: all", START_US, END_US), 0);
}

/* More raws at one time than one read chunk holds, in the period and in one request: every raw
 * is seen once. */
static void test_report_long_scans(void **state)
{
    test_rpt_t *t = *state;
    static const int64_t failed[4] = {0, 0, 0, 0};
    const char *rows[] = {
        "[\"aux\",\"?\",\"?\",\"0s\",\"10s\",\"10s\",\"10s\",2,0,0.0,0,0.0,0,0.0,0,0.0]"};
    json_object *root;

    for (int i = 0; i < 2100; i++) {
        vg_arena_reset(&t->a);
        test_msg(t, "region-1", INFO, UPD, CMP, "2014-03-10 13:20:00", "req-many",
                 "{\"instance_id\": \"" I1 "\", \"state\": \"active\"}");
    }
    test_msg(t, "region-1", INFO, UPD, CMP, "2014-03-10 13:20:00", "req-other",
             "{\"instance_id\": \"" I2 "\", \"state\": \"active\"}");
    test_msg(t, "region-1", INFO, UPD, CMP, "2014-03-10 13:20:10", "req-many",
             "{\"instance_id\": \"" I1 "\", \"state\": \"active\"}");
    root = test_report(t, NULL, "summary for region: all");
    test_meta(root, "null", "[\"region-1\"]", 2, failed);
    test_rows(root, rows, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_all, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_report_exists_after, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_report_region, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_report_region_none, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_report_empty_store, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_report_bad_args, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_report_long_scans, test_setup, test_teardown),
    };

    return cmocka_run_group_tests_name("store/events_report", tests, NULL, NULL);
}
