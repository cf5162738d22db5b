/* tests/unit/handlers/test_prom_query.c - the PromQL endpoints through fc_serve(): /query and
 * /query_range answers byte for byte, their parameter errors with Prometheus's words and
 * types (bad_data 400, execution 422 for evaluation errors and the sample limit, timeout 503),
 * /format_query and /query_exemplars.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support/fake_req.h"
#include "support/handler_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_req(test_handler_t *t, const char *method, const char *path, const char *query,
                    const char *body, char **out)
{
    return test_request(&t->w, method, path, query, "text/plain", body, out);
}

static void test_prom_query_cases(void **state)
{
    test_handler_t *t = *state;
    static const struct {
        const char *path, *query;
        int want_status;
        const char *want; /* the whole body, or with a leading '~' a part of it */
    } cases[] = {
        {"/prometheus/api/v1/query", "query=m&time=60", 200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
         "{\"__name__\":\"m\",\"job\":\"a\"},\"value\":[60,\"2\"]},{\"metric\":{\"__name__\":"
         "\"m\",\"job\":\"b\"},\"value\":[60,\"5\"]}]}}"},
        {"/prometheus/api/v1/query", "query=sum(m)%20by%20(job)&time=60.5", 200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
         "{\"job\":\"a\"},\"value\":[60.5,\"2\"]},{\"metric\":{\"job\":\"b\"},\"value\":[60.5,"
         "\"5\"]}]}}"},
        {"/prometheus/api/v1/query", "query=m%7Bjob%3D%22a%22%7D%5B2m%5D&time=120", 200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
         "{\"__name__\":\"m\",\"job\":\"a\"},\"values\":[[0,\"1\"],[60,\"2\"]]}]}}"},
        {"/prometheus/api/v1/query", "query=1%2B1&time=5", 200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[5,\"2\"]}}"},
        {"/prometheus/api/v1/query", "query=%22hi%22&time=5", 200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[5,\"hi\"]}}"},
        {"/prometheus/api/v1/query_range", "query=m%7Bjob%3D%22a%22%7D&start=0&end=120&step=60",
         200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
         "{\"__name__\":\"m\",\"job\":\"a\"},\"values\":[[0,\"1\"],[60,\"2\"],[120,\"2\"]]}]}}"},
        {"/prometheus/api/v1/query_range", "query=time()&start=0&end=60&step=1m", 200,
         "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[0,\"0\"],[60,\"60\"]]}]}}"},
        {"/prometheus/api/v1/query", "query=sum(&time=5", 400,
         "~\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": 1:5: parse "
         "error: "},
        {"/prometheus/api/v1/query", "query=m&time=soon", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"time\\\": cannot parse \\\"soon\\\" to a valid timestamp\"}"},
        {"/prometheus/api/v1/query", "query=m&timeout=fast", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"timeout\\\": cannot parse \\\"fast\\\" to a valid duration\"}"},
        {"/prometheus/api/v1/query", "query=m%20%2B%20on()%20m&time=60", 422,
         "~\"errorType\":\"execution\",\"error\":\"found duplicate series for the match group {} "
         "on the right hand-side of the operation"},
        {"/prometheus/api/v1/query", "query=m%5B1m%5D&time=60&start=0", 200,
         "~\"resultType\":\"matrix\""},
        {"/prometheus/api/v1/query_range", "query=m%5B1m%5D&start=0&end=60&step=60", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"query\\\": invalid expression type \\\"range vector\\\" for range query, must be "
         "Scalar or instant Vector\"}"},
        {"/prometheus/api/v1/query_range", "query=m&end=60&step=60", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"start\\\": cannot parse \\\"\\\" to a valid timestamp\"}"},
        {"/prometheus/api/v1/query_range", "query=m&start=60&end=0&step=60", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"end timestamp must not be "
         "before start time\"}"},
        {"/prometheus/api/v1/query_range", "query=m&start=0&end=60&step=0", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"zero or negative query "
         "resolution step widths are not accepted. Try a positive integer\"}"},
        {"/prometheus/api/v1/query_range", "query=m&start=0&end=60&step=x", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
         "\\\"step\\\": cannot parse \\\"x\\\" to a valid duration\"}"},
        {"/prometheus/api/v1/query_range", "query=m&start=0&end=11001&step=1", 400,
         "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded maximum "
         "resolution of 11,000 points per timeseries. Try decreasing the query resolution "
         "(?step=XX)\"}"},
        {"/prometheus/api/v1/format_query", "query=sum(rate(m%5B5m%5D))by(job)", 200,
         "{\"status\":\"success\",\"data\":\"sum by (job) (rate(m[5m]))\"}"},
        {"/prometheus/api/v1/query_exemplars", "query=m&start=0&end=60", 200,
         "{\"status\":\"success\",\"data\":[]}"},
        {"/prometheus/api/v1/query_exemplars", "query=m(", 400, "~\"errorType\":\"bad_data\""},
    };
    char *body;

    assert_int_equal(test_req(t, "POST", "/prometheus/api/v1/import/prometheus", "",
                              "m{job=\"a\"} 1 0\nm{job=\"a\"} 2 60000\nm{job=\"b\"} 5 0\n", &body),
                     204);
    free(body);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = test_req(t, "GET", cases[i].path, cases[i].query, NULL, &body);
        int ok = cases[i].want[0] == '~' ? strstr(body, cases[i].want + 1) != NULL
                                         : strcmp(body, cases[i].want) == 0;

        if (status != cases[i].want_status || !ok)
            fail_msg("case %zu %s?%s: got %d %s, want %d %s", i, cases[i].path, cases[i].query,
                     status, body, cases[i].want_status, cases[i].want);
        free(body);
    }
}

/* The sample limit and the timeout, from the config and the timeout parameter. */
static void test_prom_query_limits(void **state)
{
    test_handler_t *t = *state;
    char *body;

    assert_int_equal(test_req(t, "POST", "/prometheus/api/v1/import/prometheus", "",
                              "m{job=\"a\"} 1 0\nm{job=\"a\"} 2 60000\nm{job=\"b\"} 5 0\n", &body),
                     204);
    free(body);
    t->fx->conf.query_max_samples = 2;
    assert_int_equal(test_req(t, "GET", "/prometheus/api/v1/query", "query=m&time=60", NULL, &body),
                     422);
    assert_string_equal(body, "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"query "
                              "processing would load too many samples into memory in query "
                              "execution\"}");
    free(body);
    t->fx->conf.query_max_samples = 3;
    assert_int_equal(test_req(t, "GET", "/prometheus/api/v1/query", "query=m&time=60", NULL, &body),
                     200);
    free(body);
    /* a timeout of a microsecond has passed before the series are read */
    assert_int_equal(test_req(t, "GET", "/prometheus/api/v1/query",
                              "query=m&time=60&timeout=0.000001", NULL, &body),
                     503);
    assert_non_null(strstr(body, "\"errorType\":\"timeout\",\"error\":\"query timed out in "));
    free(body);
    /* and the worker goes on answering */
    assert_int_equal(test_req(t, "GET", "/prometheus/api/v1/query", "query=m&time=60", NULL, &body),
                     200);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prom_query_cases, test_handler_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_prom_query_limits, test_handler_setup,
                                        test_handler_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
