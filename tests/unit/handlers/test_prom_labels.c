/* tests/unit/handlers/test_prom_labels.c - the Prometheus API's envelope, errors, time
 * parameters, /labels, /label/{name}/values, /metadata, /status/buildinfo, /series and
 * /import/prometheus through fc_serve().
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/series.h"
#include "support/fake_req.h"
#include "support/handler_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_prom_append_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    return store_series_append(st, txn, "default", arg, err);
}

/* up{job=a} at 10 s and up{job=b} at 100 s, plus metadata for up */
static void test_prom_fill(test_handler_t *t)
{
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    ing_label_t la[] = {{"__name__", "up"}, {"job", "a"}};
    ing_label_t lb[] = {{"__name__", "up"}, {"job", "b"}};

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    assert_int_equal(ing_batch_add_sample(&b, la, 2, 10000, 1, &err), VG_OK);
    assert_int_equal(ing_batch_add_sample(&b, lb, 2, 100000, 1, &err), VG_OK);
    ing_meta_t *m = ing_batch_meta(&b, "up");

    m->type = "gauge";
    m->help = "Target is up.";
    if (store_txn_run(t->w.store, test_prom_append_txn, &b, &err) != VG_OK)
        fail_msg("append: %s", err.msg);
    vg_arena_fini(&a);
}

static void test_prom_cases(void **state)
{
    test_handler_t *t = *state;
    static const struct {
        const char *method, *path, *query;
        int fill, want_status;
        const char *want_body;
    } cases[] = {
        {"GET", "/prometheus/api/v1/labels", "", 0, 200, "{\"status\":\"success\",\"data\":[]}"},
        {"GET", "/prometheus/api/v1/labels", "", 1, 200,
         "{\"status\":\"success\",\"data\":[\"__name__\",\"job\"]}"},
        {"POST", "/prometheus/api/v1/labels", "", 0, 200,
         "{\"status\":\"success\",\"data\":[\"__name__\",\"job\"]}"},
        {"GET", "/prometheus/api/v1/label/job/values", "", 0, 200,
         "{\"status\":\"success\",\"data\":[\"a\",\"b\"]}"},
        /* only series with samples in [start, end] */
        {"GET", "/prometheus/api/v1/label/job/values", "start=50&end=2024-01-01T00:00:00Z", 0, 200,
         "{\"status\":\"success\",\"data\":[\"b\"]}"},
        {"GET", "/prometheus/api/v1/label/job/values", "end=10.000", 0, 200,
         "{\"status\":\"success\",\"data\":[\"a\"]}"},
        {"GET", "/prometheus/api/v1/labels", "start=99.9999", 0, 200,
         "{\"status\":\"success\",\"data\":[\"__name__\",\"job\"]}"},
        {"GET", "/prometheus/api/v1/label/nope/values", "", 0, 200,
         "{\"status\":\"success\",\"data\":[]}"},
        {"GET", "/prometheus/api/v1/labels", "start=yesterday", 0, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"start\\\": cannot parse \\\"yesterday\\\" to a valid timestamp\"}"},
        {"GET", "/prometheus/api/v1/label/1bad/values", "", 0, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid label name: "
         "\\\"1bad\\\"\"}"},
        {"GET", "/prometheus/api/v1/metadata", "", 0, 200,
         "{\"status\":\"success\",\"data\":{\"up\":[{\"type\":\"gauge\",\"help\":\"Target is "
         "up.\",\"unit\":\"\"}]}}"},
        {"GET", "/prometheus/api/v1/metadata", "metric=down", 0, 200,
         "{\"status\":\"success\",\"data\":{}}"},
        {"GET", "/prometheus/api/v1/metadata", "limit=0", 0, 200,
         "{\"status\":\"success\",\"data\":{}}"},
        {"GET", "/prometheus/api/v1/nope", "", 0, 404, "404 page not found\n"},
        {"GET", "/prometheus", "", 0, 404, "404 page not found\n"},
        {"DELETE", "/prometheus/api/v1/labels", "", 0, 405, "Method Not Allowed\n"},
        {"GET", "/prometheus/api/v1/labels", "a=%zz", 0, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid URL escape "
         "\\\"%zz\\\"\"}"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char m[64], p[256], q[256];
        const char *params[] = {m, p, q, TEST_APPKEY_HEADER, NULL};
        test_resp_t r;

        if (cases[i].fill)
            test_prom_fill(t);
        snprintf(m, sizeof m, "REQUEST_METHOD=%s", cases[i].method);
        snprintf(p, sizeof p, "PATH_INFO=%s", cases[i].path);
        snprintf(q, sizeof q, "QUERY_STRING=%s", cases[i].query);
        test_serve(&t->w, params, NULL, 0, &r);
        if (r.status != cases[i].want_status || strcmp(r.body, cases[i].want_body) != 0)
            fail_msg("case %zu %s %s?%s: got %d %s, want %d %s", i, cases[i].method, cases[i].path,
                     cases[i].query, r.status, r.body, cases[i].want_status, cases[i].want_body);
        test_resp_free(&r);
    }
}

static void test_prom_import_then_series(void **state)
{
    test_handler_t *t = *state;
    static const struct {
        const char *method, *path, *query, *ct, *body;
        int want_status;
        const char *want_body;
    } cases[] = {
        {"POST", "/prometheus/api/v1/import/prometheus", "", "text/plain; version=0.0.4",
         "# TYPE up gauge\nup{job=\"a\"} 1 1000\nup{job=\"b\"} 0 2000\n", 204, ""},
        {"POST", "/prometheus/api/v1/import/prometheus", "extra_label=env%3Dprod",
         "application/openmetrics-text",
         "# TYPE temp_celsius gauge\n# UNIT temp_celsius celsius\ntemp_celsius{job=\"a\"} 21.5 "
         "3\n# EOF\n",
         204, ""},
        {"GET", "/prometheus/api/v1/series", "match[]=up", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"job\":\"a\"},"
         "{\"__name__\":\"up\",\"job\":\"b\"}]}"},
        {"GET", "/prometheus/api/v1/series",
         "match[]=up%7Bjob%3D~%22b%7Cc%22%7D&match[]=up%7Bjob=%22b%22%7D", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"job\":\"b\"}]}"},
        {"POST", "/prometheus/api/v1/series", "", "application/x-www-form-urlencoded",
         "match[]=%7Benv%3D%22prod%22%7D&start=2&end=4", 200,
         "{\"status\":\"success\",\"data\":[{\"__name__\":\"temp_celsius\",\"env\":"
         "\"prod\",\"job\":\"a\"}]}"},
        {"GET", "/prometheus/api/v1/series", "match[]=up&start=1.5", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"job\":\"b\"}]}"},
        {"GET", "/prometheus/api/v1/labels", "match[]=temp_celsius", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":[\"__name__\",\"env\",\"job\"]}"},
        {"GET", "/prometheus/api/v1/label/job/values", "match[]=up%7Bjob!=%22a%22%7D", NULL, NULL,
         200, "{\"status\":\"success\",\"data\":[\"b\"]}"},
        {"GET", "/prometheus/api/v1/metadata", "metric=temp_celsius", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":{\"temp_celsius\":[{\"type\":\"gauge\",\"help\":\"\","
         "\"unit\":\"celsius\"}]}}"},
        {"GET", "/prometheus/api/v1/series", "", NULL, NULL, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no match[] parameter "
         "provided\"}"},
        {"GET", "/prometheus/api/v1/series", "match[]=%7Ba=%22%22%7D", NULL, NULL, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"match[] must contain at "
         "least one non-empty matcher\"}"},
        {"GET", "/prometheus/api/v1/series", "match[]=up%5B5m%5D", NULL, NULL, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"match[]\\\": 1:3: parse error: unexpected \\\"[\\\"\"}"},
        {"POST", "/prometheus/api/v1/import/prometheus", "", "text/plain",
         "up{job=\"c\"} 1\nup{job=\"d\"} abc\n", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"text format parsing "
         "error in line 2: expected float as value, got \\\"abc\\\"\"}"},
        /* the bad body stored nothing: no job="c" */
        {"GET", "/prometheus/api/v1/label/job/values", "", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":[\"a\",\"b\"]}"},
        {"POST", "/prometheus/api/v1/import/prometheus", "", "application/json", "{}", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"unsupported "
         "Content-Type \\\"application/json\\\": use text/plain (version 0.0.4) or "
         "application/openmetrics-text\"}"},
        {"GET", "/prometheus/api/v1/rules", "type=alert", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":{\"groups\":[]}}"},
        {"GET", "/prometheus/api/v1/rules", "type=nope", NULL, NULL, 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"not supported value "
         "\\\"nope\\\"\"}"},
        {"GET", "/prometheus/api/v1/alerts", "", NULL, NULL, 200,
         "{\"status\":\"success\",\"data\":{\"alerts\":[]}}"},
        {"POST", "/prometheus/api/v1/import/prometheus", "extra_label=novalue", "text/plain",
         "x 1\n", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"extra_label\\\": missing '=' in \\\"novalue\\\"\"}"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body;
        int status = test_request(&t->w, cases[i].method, cases[i].path, cases[i].query,
                                  cases[i].ct, cases[i].body, &body);

        if (status != cases[i].want_status || strcmp(body, cases[i].want_body) != 0)
            fail_msg("case %zu %s %s?%s: got %d %s, want %d %s", i, cases[i].method, cases[i].path,
                     cases[i].query, status, body, cases[i].want_status, cases[i].want_body);
        free(body);
    }
}

static void test_prom_buildinfo(void **state)
{
    test_handler_t *t = *state;
    const char *params[] = {"REQUEST_METHOD=GET", "PATH_INFO=/prometheus/api/v1/status/buildinfo",
                            TEST_APPKEY_HEADER, NULL};
    test_resp_t r;

    test_serve(&t->w, params, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "{\"status\":\"success\",\"data\":{\"version\":\"2.42.0\""));
    test_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prom_cases, test_handler_setup, test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_prom_buildinfo, test_handler_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_prom_import_then_series, test_handler_setup,
                                        test_handler_teardown),
    };
    return cmocka_run_group_tests_name("handlers/prometheus labels", tests, NULL, NULL);
}
