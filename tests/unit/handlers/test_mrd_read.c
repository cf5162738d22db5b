/* tests/unit/handlers/test_mrd_read.c - the Concertim read views through fc_serve()
 * (specs/concertim.md §3.3, §3.4): byte-exact bodies of the current views (503 before the first
 * run, value typing, nature, min/max, 404s), the historic names, the grid with upstream's
 * example values and rows, the LastDuration and time-format 400s, and rrdtool's refusals.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/mrd.h"
#include "store/series.h"
#include "support/fake_req.h"
#include "support/handler_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1696431090000LL /* 2023-10-04T14:51:30Z, on the 15 s grid */

/* One GET of /mrd<path>: the status, and the body in *out (malloc'd). */
static int test_get(test_handler_t *t, const char *path, char **out)
{
    char p[1024];
    const char *params[] = {"REQUEST_METHOD=GET", p, NULL};
    test_resp_t r;
    int status;

    snprintf(p, sizeof p, "PATH_INFO=/mrd%s", path);
    test_serve(&t->w, params, NULL, 0, &r);
    status = r.status;
    *out = strdup(r.body);
    test_resp_free(&r);
    return status;
}

/* GET path must answer status with exactly body (plus the encoder's newline). */
static void test_expect(test_handler_t *t, const char *path, int status, const char *body)
{
    char *got;
    int st = test_get(t, path, &got);
    size_t n = strlen(got);

    if (n > 0 && got[n - 1] == '\n')
        got[n - 1] = '\0';
    if (st != status || strcmp(got, body) != 0)
        fail_msg("GET %s: %d %s\n  want %d %s", path, st, got, status, body);
    free(got);
}

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

static void test_put(test_handler_t *t, const char *device, const char *name, const char *value,
                     mrd_type_t type, mrd_slope_t slope, const char *units, int64_t now_ms)
{
    test_put_t p = {device, {name, value, strtod(value, NULL), type, slope, units, 60}, now_ms};
    vg_err_t err = {0};

    if (store_txn_run(t->w.store, test_put_txn, &p, &err) != VG_OK)
        fail_msg("put %s/%s: %s", device, name, err.msg);
}

static void test_run(test_handler_t *t, int64_t now_ms)
{
    vg_err_t err = {0};

    if (mrd_process(t->w.store, t->fx->conf.store_default_project, now_ms, 15, NULL, &err) != VG_OK)
        fail_msg("run: %s", err.msg);
}

typedef struct {
    const char *project;
    ing_batch_t *b;
} test_app_t;

static int test_app_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_app_t *p = arg;

    return store_series_append(st, txn, p->project, p->b, err);
}

/* Appends (seconds, value) samples to the series a processing run writes for device/metric. */
static void test_samples(test_handler_t *t, const char *device, const char *metric,
                         const int64_t *ts, const double *v, size_t n)
{
    ing_label_t l[2] = {{"__name__", metric}, {"device", device}};
    test_app_t p = {t->fx->conf.store_default_project, NULL};
    ing_batch_t b;
    vg_arena_t a;
    vg_err_t err = {0};

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ing_batch_add_sample(&b, l, 2, ts[i] * 1000, v[i], &err), VG_OK);
    p.b = &b;
    assert_int_equal(store_txn_run_write(t->w.store, test_app_txn, &p, &err), VG_OK);
    vg_arena_fini(&a);
}

static int test_setup(void **state)
{
    setenv("VIGIL_FAKE_NOW", "2023-10-04T15:00:00Z", 1);
    return test_handler_setup(state);
}

/* ---- current views ---- */

static void test_mrd_current_before_first_run(void **state)
{
    test_handler_t *t = *state;
    const char *w = "{\"errors\":[{\"title\":\"Service Unavailable\",\"detail\":\"Waiting on "
                    "metric processing run\"}],\"status\":503}";

    test_put(t, "1", "caffeine.level", "12", MRD_T_INT32, MRD_S_BOTH, "", T0);
    test_expect(t, "/metrics/current", 503, w);
    test_expect(t, "/metrics/unique", 503, w);
    test_expect(t, "/metrics/caffeine.level/current", 503, w);
    test_expect(t, "/metrics/caffeine.level/values", 503, w);
    test_expect(t, "/devices/1/metrics/current", 503, w);
    /* the historic views never wait */
    test_expect(t, "/metrics/historic", 200, "[]");
    test_run(t, T0);
    test_expect(t, "/metrics/caffeine.level/current", 200, "[{\"id\":\"1\",\"value\":12}]");
}

static void test_mrd_current_views(void **state)
{
    test_handler_t *t = *state;

    test_put(t, "1", "caffeine.level", "12", MRD_T_INT32, MRD_S_BOTH, "", T0);
    test_put(t, "2", "caffeine.level", "99", MRD_T_INT32, MRD_S_BOTH, "", T0);
    test_put(t, "10", "caffeine.level", "-20", MRD_T_INT16, MRD_S_BOTH, "", T0);
    test_put(t, "1", "os", "linux <&>", MRD_T_STRING, MRD_S_ZERO, "", T0);
    test_put(t, "1", "cap", "10", MRD_T_UINT32, MRD_S_ZERO, "cups", T0);
    test_put(t, "1", "temp", "1.622800", MRD_T_DOUBLE, MRD_S_POSITIVE, "C", T0);
    test_put(t, "2", "temp", "20.000000", MRD_T_FLOAT, MRD_S_DERIVATIVE, "K", T0);
    test_put(t, "2", "tiny", "0.000000", MRD_T_FLOAT, MRD_S_BOTH, "", T0);
    test_run(t, T0 + 100);
    test_expect(t, "/devices/1/metrics/current", 200,
                "[{\"id\":\"caffeine.level\",\"name\":\"caffeine.level\",\"nature\":\"volatile\","
                "\"units\":\"\",\"value\":12},"
                "{\"id\":\"cap\",\"name\":\"cap\",\"nature\":\"constant\",\"units\":\"cups\","
                "\"value\":10},"
                "{\"id\":\"os\",\"name\":\"os\",\"nature\":\"string_and_time\",\"units\":\"\","
                "\"value\":\"linux \\u003c\\u0026\\u003e\"},"
                "{\"id\":\"temp\",\"name\":\"temp\",\"nature\":\"volatile\",\"units\":\"C\","
                "\"value\":1.6228}]");
    test_expect(t, "/metrics/caffeine.level/current", 200,
                "[{\"id\":\"1\",\"value\":12},{\"id\":\"10\",\"value\":-20},"
                "{\"id\":\"2\",\"value\":99}]");
    test_expect(t, "/metrics/temp/values", 200,
                "[{\"id\":\"1\",\"value\":1.6228},{\"id\":\"2\",\"value\":20}]");
    test_expect(t, "/metrics/tiny/current", 200, "[{\"id\":\"2\",\"value\":0}]");
    test_expect(t, "/metrics/current", 200,
                "[{\"id\":\"caffeine.level\",\"max\":99,\"min\":-20,\"name\":\"caffeine.level\","
                "\"nature\":\"volatile\",\"units\":\"\"},"
                "{\"id\":\"cap\",\"max\":10,\"min\":10,\"name\":\"cap\",\"nature\":\"constant\","
                "\"units\":\"cups\"},"
                "{\"id\":\"os\",\"max\":null,\"min\":null,\"name\":\"os\","
                "\"nature\":\"string_and_time\",\"units\":\"\"},"
                "{\"id\":\"temp\",\"max\":20,\"min\":1.6228,\"name\":\"temp\",\"nature\":"
                "\"volatile\",\"units\":\"C\"},"
                "{\"id\":\"tiny\",\"max\":0,\"min\":0,\"name\":\"tiny\",\"nature\":\"volatile\","
                "\"units\":\"\"}]");
    test_expect(t, "/devices/3/metrics/current", 404,
                "{\"errors\":[{\"title\":\"Not Found\",\"detail\":\"Host not found\"}],"
                "\"status\":404}");
    test_expect(t, "/metrics/nope/current", 404,
                "{\"errors\":[{\"title\":\"Not Found\",\"detail\":\"Metric not found\"}],"
                "\"status\":404}");
    /* all stale: the devices stay with nothing; the metrics go */
    test_run(t, T0 + 3600000);
    test_expect(t, "/devices/1/metrics/current", 200, "[]");
    test_expect(t, "/metrics/current", 200, "[]");
    test_expect(t, "/metrics/os/current", 404,
                "{\"errors\":[{\"title\":\"Not Found\",\"detail\":\"Metric not found\"}],"
                "\"status\":404}");
}

/* ---- historic ---- */

static int test_devices_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    static const char *const ids[] = {"1", "2", "3"};

    return mrd_devices_replace(st, txn, ids, 3, err);
}

/* device 1 recorded power.level with upstream's example values; device 2 recorded it long ago;
 * device 3 is known and recorded nothing; os is a string */
static void test_seed_history(test_handler_t *t)
{
    static const int64_t ts[] = {1696431105, 1696431120, 1696431125, 1696431130,
                                 1696431135, 1696431150, 1696431165};
    static const double v[] = {8969, 8969, 8969, 8969, 8963.8, 8956, 8956};
    vg_err_t err = {0};

    assert_int_equal(store_txn_run(t->w.store, test_devices_txn, NULL, &err), VG_OK);
    test_put(t, "2", "power.level", "7", MRD_T_INT32, MRD_S_BOTH, "W", T0 - 86400000);
    test_put(t, "2", "caffeine.level", "7", MRD_T_INT32, MRD_S_BOTH, "", T0 - 86400000);
    test_run(t, T0 - 86400000 + 100);
    test_put(t, "1", "power.level", "8969", MRD_T_INT32, MRD_S_BOTH, "W", T0);
    test_put(t, "1", "os", "linux", MRD_T_STRING, MRD_S_ZERO, "", T0);
    test_run(t, T0 + 100); /* device 1's first sample at T0 = 1696431090 */
    test_samples(t, "1", "power.level", ts, v, sizeof ts / sizeof ts[0]);
}

static void test_mrd_historic_names(void **state)
{
    test_handler_t *t = *state;

    test_expect(t, "/metrics/historic", 200, "[]");
    test_seed_history(t);
    test_expect(t, "/metrics/historic", 200,
                "[{\"id\":\"caffeine.level\",\"name\":\"caffeine.level\"},"
                "{\"id\":\"power.level\",\"name\":\"power.level\"}]");
    test_expect(t, "/devices/1/metrics/historic", 200,
                "[{\"id\":\"power.level\",\"name\":\"power.level\"}]");
    test_expect(t, "/devices/3/metrics/historic", 200, "[]");
    test_expect(t, "/devices/NOPE/metrics/historic", 404,
                "{\"errors\":[{\"title\":\"Not Found\",\"detail\":\"Host not found\"}],"
                "\"status\":404}");
}

#define TEST_ROWS                                                                                  \
    "[{\"timestamp\":1696431105,\"value\":8969},{\"timestamp\":1696431120,\"value\":8969},"        \
    "{\"timestamp\":1696431135,\"value\":8967.266666666666},"                                      \
    "{\"timestamp\":1696431150,\"value\":8956},{\"timestamp\":1696431165,\"value\":8956}]"
#define TEST_NULLS                                                                                 \
    "[{\"timestamp\":1696431105,\"value\":null},{\"timestamp\":1696431120,\"value\":null},"        \
    "{\"timestamp\":1696431135,\"value\":null},"                                                   \
    "{\"timestamp\":1696431150,\"value\":null},{\"timestamp\":1696431165,\"value\":null}]"

static void test_mrd_historic_values(void **state)
{
    test_handler_t *t = *state;
    char *body;

    test_seed_history(t);
    /* upstream's second example: 5 rows from 1696431105 to 1696431165 */
    test_expect(t, "/devices/1/metrics/power.level/historic/1696431100/1696431150", 200, TEST_ROWS);
    test_expect(t, "/devices/1/metrics/power.level/historic/+1696431100/1696431150", 200,
                TEST_ROWS);
    test_expect(t, "/metrics/power.level/historic/1696431100/1696431150", 200,
                "[{\"id\":\"1\",\"values\":" TEST_ROWS "},{\"id\":\"2\",\"values\":" TEST_NULLS
                "}]");
    test_expect(t, "/metrics/nope/historic/1696431100/1696431150", 200, "[]");
    test_expect(t, "/metrics/os/historic/1696431100/1696431150", 200, "[]");
    /* the first example's shape: 7 rows, 1696431225 to 1696431315 */
    assert_int_equal(
        test_get(t, "/devices/1/metrics/power.level/historic/1696431210/1696431300", &body), 200);
    assert_non_null(strstr(body, "[{\"timestamp\":1696431225,\"value\":null},"));
    assert_non_null(strstr(body, "{\"timestamp\":1696431315,\"value\":null}]"));
    assert_null(strstr(body, "1696431330"));
    free(body);
    /* the span picks the resolution: 5 min past an hour, 1 h past a day */
    assert_int_equal(
        test_get(t, "/devices/1/metrics/power.level/historic/1696427400/1696431600", &body), 200);
    assert_non_null(strstr(body, "{\"timestamp\":1696431300,\"value\":8965.1}"));
    assert_non_null(strstr(body, "[{\"timestamp\":1696427700,"));
    free(body);
    assert_int_equal(
        test_get(t, "/devices/1/metrics/power.level/historic/1696341600/1696431600", &body), 200);
    assert_non_null(strstr(body, "[{\"timestamp\":1696345200,"));
    assert_non_null(strstr(body, "{\"timestamp\":1696431600,\"value\":8965.1}"));
    free(body);
    /* last/hour to the faked now (15:00:00): 241 rows of 15 s */
    assert_int_equal(test_get(t, "/devices/1/metrics/power.level/historic/last/hour", &body), 200);
    assert_non_null(strstr(body, "[{\"timestamp\":1696428015,"));
    assert_non_null(strstr(body, "{\"timestamp\":1696431615,\"value\":null}]"));
    assert_non_null(strstr(body, "{\"timestamp\":1696431135,\"value\":8967.266666666666}"));
    free(body);
    assert_int_equal(test_get(t, "/metrics/power.level/historic/last/quarter", &body), 200);
    assert_non_null(strstr(body, "{\"timestamp\":1696431600,\"value\":8965.1}"));
    assert_non_null(strstr(body, "{\"id\":\"2\",\"values\":[{\"timestamp\":1688659200,"));
    free(body);
}

static void test_mrd_historic_errors(void **state)
{
    test_handler_t *t = *state;
    const char *nf_host = "{\"errors\":[{\"title\":\"Not Found\",\"detail\":\"Host not "
                          "found\"}],\"status\":404}",
               *nf_metric = "{\"errors\":[{\"title\":\"Not Found\",\"detail\":\"Metric not "
                            "found\"}],\"status\":404}";

    test_seed_history(t);
    test_expect(t, "/metrics/power.level/historic/last/week", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"week is not a valid "
                "LastDuration, try [hour, day, quarter]\"}],\"status\":400}");
    test_expect(t, "/devices/1/metrics/power.level/historic/last/Hour", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Hour is not a valid "
                "LastDuration, try [hour, day, quarter]\"}],\"status\":400}");
    test_expect(t, "/metrics/power.level/historic/abc/1696431300", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Time format 'abc' is not "
                "valid: invalid syntax. It should be integer number of seconds since the unix "
                "epoch.\"}],\"status\":400}");
    /* start is reported before end */
    test_expect(t, "/devices/NOPE/metrics/x/historic/99999999999999999999/abc", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Time format "
                "'99999999999999999999' is not valid: value out of range. It should be integer "
                "number of seconds since the unix epoch.\"}],\"status\":400}");
    test_expect(t, "/metrics/x/historic/1696431300/1.5", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Time format '1.5' is not "
                "valid: invalid syntax. It should be integer number of seconds since the unix "
                "epoch.\"}],\"status\":400}");
    test_expect(t, "/metrics/x/historic/1696431300/-9223372036854775809", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Time format "
                "'-9223372036854775809' is not valid: value out of range. It should be integer "
                "number of seconds since the unix epoch.\"}],\"status\":400}");
    /* a syntax error before the overflow wins, as in Go */
    test_expect(t, "/metrics/x/historic/1x99999999999999999999/1", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"Time format "
                "'1x99999999999999999999' is not valid: invalid syntax. It should be integer "
                "number of seconds since the unix epoch.\"}],\"status\":400}");
    test_expect(t, "/devices/NOPE/metrics/power.level/historic/last/hour", 404, nf_host);
    test_expect(t, "/devices/NOPE/metrics/power.level/historic/1696431100/1696431150", 404,
                nf_host);
    test_expect(t, "/devices/1/metrics/never.reported/historic/last/hour", 404, nf_metric);
    test_expect(t, "/devices/1/metrics/os/historic/last/day", 404, nf_metric);
    test_expect(t, "/devices/3/metrics/power.level/historic/last/day", 404, nf_metric);
    /* what rrdtool fetch refuses: a 500 for one device, nobody for all of them */
    test_expect(t, "/devices/1/metrics/power.level/historic/1696431150/1696431100", 500,
                "{\"errors\":[{\"title\":\"Internal Server Error\",\"detail\":\"start "
                "(1696431150) should be less than end (1696431100)\"}],\"status\":500}");
    test_expect(t, "/devices/1/metrics/power.level/historic/-5/1696431100", 500,
                "{\"errors\":[{\"title\":\"Internal Server Error\",\"detail\":\"the first entry "
                "to fetch should be after 1980\"}],\"status\":500}");
    test_expect(t, "/metrics/power.level/historic/1696431150/1696431100", 200, "[]");
    /* our bound on the grid */
    test_expect(t, "/metrics/power.level/historic/1000000000/9000000000", 400,
                "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"1000000000 to 9000000000 at "
                "3600 s is 2222224 rows: at most 100000 can be fetched\"}],\"status\":400}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mrd_current_before_first_run, test_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_current_views, test_setup, test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_historic_names, test_setup, test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_historic_values, test_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_mrd_historic_errors, test_setup,
                                        test_handler_teardown),
    };

    return cmocka_run_group_tests_name("handlers/mrd_read", tests, NULL, NULL);
}
