/* tests/unit/handlers/test_kap_write.c - Kapacitor's ping and write endpoints through
 * fc_serve(): status codes, the version and content-type headers on every response, the
 * plain-text write errors naming every bad line, nothing stored on error, the stream log, and
 * the samples readable through the Prometheus API.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/stream.h"
#include "support/fake_req.h"
#include "support/handler_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_count(const store_stream_rec_t *r, void *arg)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

static int test_stream_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    *(size_t *)arg = 0;
    return store_stream_read(st, txn, 0, 1000, test_count, arg, err);
}

static void test_kap_cases(void **state)
{
    test_handler_t *t = *state;
    static const struct {
        const char *method, *path, *query, *body;
        int want_status;
        const char *want_body;
        size_t want_stream; /* stream records after the request */
    } cases[] = {
        {"GET", "/kapacitor/v1/ping", "", NULL, 204, "", 0},
        {"POST", "/kapacitor/v1/write", "db=telegraf&precision=s",
         "cpu,host=a usage_idle=97.5,usage_user=2i 1700000000\nmem,host=a value=3,ok=true "
         "1700000000\n",
         204, "", 1},
        {"POST", "/write", "db=telegraf", "disk,host=a free=1\n", 204, "", 2},
        {"POST", "/kapacitor/v1/write", "db=telegraf",
         "cpu,host=b usage_idle=1\ncpu,host=b\ncpu usage_idle=\n", 400,
         "unable to parse 'cpu,host=b': missing fields\nunable to parse 'cpu usage_idle=': "
         "missing field value\n",
         2},
        {"POST", "/kapacitor/v1/write", "", "cpu,host=c usage_idle=1\n", 400,
         "database is required\n", 2},
        /* parse errors come first */
        {"POST", "/write", "", "cpu,host=c\n", 400,
         "unable to parse 'cpu,host=c': missing fields\n", 2},
        {"POST", "/kapacitor/v1/write", "db=telegraf", "\n# only a comment\n", 204, "", 2},
        {"GET", "/kapacitor/v1/write", "", NULL, 404,
         "{\"error\":\"Not Found\",\"message\":\"Not Found\"}", 2},
        {"PUT", "/kapacitor/v1/ping", "", NULL, 404,
         "{\"error\":\"Not Found\",\"message\":\"Not Found\"}", 2},
        {"GET", "/kapacitor/v1/nope", "", NULL, 404,
         "{\"error\":\"Not Found\",\"message\":\"Not Found\"}", 2},
        {"GET", "/prometheus/api/v1/series", "match[]=%7Bhost%3D%22a%22%7D", NULL, 200,
         "{\"status\":\"success\",\"data\":[{\"__name__\":\"cpu_usage_idle\",\"host\":\"a\"},"
         "{\"__name__\":\"cpu_usage_user\",\"host\":\"a\"},{\"__name__\":\"disk_free\",\"host\":"
         "\"a\"},{\"__name__\":\"mem\",\"host\":\"a\"},{\"__name__\":\"mem_ok\",\"host\":\"a\"}]}",
         2},
        /* the bad write stored nothing of its good line */
        {"GET", "/prometheus/api/v1/label/host/values", "", NULL, 200,
         "{\"status\":\"success\",\"data\":[\"a\"]}", 2},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char m[64], p[256], q[256], l[64];
        const char *params[] = {m, p, q, l, TEST_APPKEY_HEADER, NULL};
        const char *body = cases[i].body;
        test_resp_t r;
        vg_err_t err = {0};
        size_t nstream = 0;

        snprintf(m, sizeof m, "REQUEST_METHOD=%s", cases[i].method);
        snprintf(p, sizeof p, "PATH_INFO=%s", cases[i].path);
        snprintf(q, sizeof q, "QUERY_STRING=%s", cases[i].query);
        snprintf(l, sizeof l, "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
        test_serve(&t->w, params, body, body ? strlen(body) : 0, &r);
        if (r.status != cases[i].want_status || strcmp(r.body, cases[i].want_body) != 0)
            fail_msg("case %zu %s %s?%s: got %d [%s], want %d [%s]", i, cases[i].method,
                     cases[i].path, cases[i].query, r.status, r.body, cases[i].want_status,
                     cases[i].want_body);
        if (strncmp(cases[i].path, "/prometheus", 11) != 0) {
            char *v = test_resp_header(&r, "X-Kapacitor-Version"),
                 *ct = test_resp_header(&r, "Content-Type");

            if (v == NULL || strcmp(v, "1.8.3") != 0 || ct == NULL ||
                strcmp(ct, "application/json; charset=utf-8") != 0)
                fail_msg("case %zu: headers %s", i, r.head);
            free(v);
            free(ct);
        }
        test_resp_free(&r);
        assert_int_equal(store_txn_run(t->w.store, test_stream_txn, &nstream, &err), VG_OK);
        if (nstream != cases[i].want_stream)
            fail_msg("case %zu: %zu stream records, want %zu", i, nstream, cases[i].want_stream);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kap_cases, test_handler_setup, test_handler_teardown),
    };
    return cmocka_run_group_tests_name("handlers/kapacitor write", tests, NULL, NULL);
}
