/* tests/unit/fcgi/test_router.c - whole requests through fc_serve(): routing, 404/405 with
 * Allow, the body limit, debug routes, /healthz with and without a store, /metrics counting.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "core/log.h"
#include "fcgi/stats.h"
#include "store/store.h"
#include "support/fake_req.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *dir;
    conf_t conf;
    fc_worker_t w;
} test_router_t;

static int test_router_setup(void **state)
{
    test_router_t *t = calloc(1, sizeof *t);
    vg_err_t err = {0};

    vg_log_init("test", LOG_ERR);
    t->dir = test_tmpdir_new();
    conf_defaults(&t->conf);
    free(t->conf.store_home);
    t->conf.store_home = strdup(t->dir);
    t->conf.store_cache_mb = 8;
    t->conf.fcgi_max_body_mb = 1;
    t->w.conf = &t->conf;
    vg_arena_init(&t->w.arena, 0);
    if (store_open(&t->conf, STORE_OPEN_FIRST, &t->w.store, &err) != VG_OK)
        return -1;
    if (fc_stats_open(t->dir) < 0)
        return -1;
    *state = t;
    return 0;
}

static int test_router_teardown(void **state)
{
    test_router_t *t = *state;

    fc_stats_close();
    store_close(t->w.store);
    vg_arena_fini(&t->w.arena);
    conf_fini(&t->conf);
    test_tmpdir_free(t->dir);
    free(t);
    return 0;
}

static void test_router_status_cases(void **state)
{
    test_router_t *t = *state;
    static const struct {
        const char *method, *path, *want_allow;
        int debug, want_status;
        const char *want_body_part;
    } cases[] = {
        {"GET", "/healthz", NULL, 0, 200, "\"status\":\"ok\""},
        {"HEAD", "/healthz", NULL, 0, 200, ""},
        {"GET", "/nowhere", NULL, 0, 404, "\"error\":\"not_found\""},
        {"GET", "/healthz/extra", NULL, 0, 404, "no such path: /healthz/extra"},
        {"DELETE", "/healthz", "GET, HEAD", 0, 405, "\"error\":\"method_not_allowed\""},
        {"BREW", "/metrics", "GET, HEAD", 0, 405, "method BREW not allowed"},
        {"GET", "/_vigil/echo", "POST, PUT", 1, 405, "method_not_allowed"},
        {"POST", "/_vigil/echo", NULL, 0, 404, "not_found"}, /* debug routes off */
        {"POST", "/_vigil/lock", NULL, 1, 200, "\"counter\":1"},
        {"POST", "/_vigil/lock?ms=-1", NULL, 1, 400, "ms must be an integer"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char m[64], p[256], q[256];
        const char *qs = strchr(cases[i].path, '?');
        const char *params[] = {m, p, q, NULL};
        test_resp_t r;

        t->conf.fcgi_debug_routes = cases[i].debug;
        snprintf(m, sizeof m, "REQUEST_METHOD=%s", cases[i].method);
        snprintf(p, sizeof p, "PATH_INFO=%.*s",
                 (int)(qs ? (size_t)(qs - cases[i].path) : strlen(cases[i].path)), cases[i].path);
        snprintf(q, sizeof q, "QUERY_STRING=%s", qs ? qs + 1 : "");
        test_serve(&t->w, params, NULL, 0, &r);
        char *allow = test_resp_header(&r, "Allow");

        if (r.status != cases[i].want_status || strstr(r.body, cases[i].want_body_part) == NULL)
            fail_msg("case %zu %s %s: got %d %s, want %d with %s", i, cases[i].method,
                     cases[i].path, r.status, r.body, cases[i].want_status,
                     cases[i].want_body_part);
        if ((cases[i].want_allow == NULL) != (allow == NULL) ||
            (allow && strcmp(allow, cases[i].want_allow) != 0))
            fail_msg("case %zu: Allow got \"%s\", want \"%s\"", i, allow ? allow : "(none)",
                     cases[i].want_allow ? cases[i].want_allow : "(none)");
        free(allow);
        test_resp_free(&r);
    }
}

static void test_router_body_limit_and_echo(void **state)
{
    test_router_t *t = *state;
    size_t big = 1024 * 1024 + 1;
    char *body = malloc(big);
    char cl[64];
    const char *params[] = {"REQUEST_METHOD=POST", "PATH_INFO=/_vigil/echo",
                            "CONTENT_TYPE=application/x-test", cl, NULL};
    test_resp_t r;

    memset(body, 'b', big);
    t->conf.fcgi_debug_routes = 1;
    snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", big);
    test_serve(&t->w, params, body, big, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "exceeds the limit of 1048576 bytes"));
    test_resp_free(&r);

    snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", big - 1);
    test_serve(&t->w, params, body, big - 1, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, big - 1);
    char *ct = test_resp_header(&r, "Content-Type");

    assert_string_equal(ct, "application/x-test");
    free(ct);
    test_resp_free(&r);

    /* a body shorter than its Content-Length is a client error, not a hang */
    snprintf(cl, sizeof cl, "CONTENT_LENGTH=%d", 100);
    test_serve(&t->w, params, "short", 5, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "ended after 5 of 100 bytes"));
    test_resp_free(&r);

    /* a malformed query string is the owning API's 400 */
    const char *badq[] = {"REQUEST_METHOD=GET", "PATH_INFO=/healthz", "QUERY_STRING=a=%zz", NULL};

    test_serve(&t->w, badq, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "invalid URL escape \\\"%zz\\\""));
    test_resp_free(&r);
    free(body);
}

static void test_router_healthz_without_store(void **state)
{
    test_router_t *t = *state;
    store_t *st = t->w.store;
    const char *params[] = {"REQUEST_METHOD=GET", "PATH_INFO=/healthz", NULL};
    const char *lock[] = {"REQUEST_METHOD=POST", "PATH_INFO=/_vigil/lock", NULL};
    test_resp_t r;

    t->w.store = NULL;
    t->w.store_error = "cannot open the store in /x: Permission denied";
    test_serve(&t->w, params, NULL, 0, &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"status\":\"unavailable\""));
    assert_non_null(strstr(r.body, "Permission denied"));
    test_resp_free(&r);
    t->conf.fcgi_debug_routes = 1;
    test_serve(&t->w, lock, NULL, 0, &r);
    assert_int_equal(r.status, 503);
    test_resp_free(&r);
    t->w.store = st;
    t->w.store_error = NULL;
}

static void test_router_metrics_count_requests(void **state)
{
    test_router_t *t = *state;
    const char *h[] = {"REQUEST_METHOD=GET", "PATH_INFO=/healthz", NULL};
    const char *m[] = {"REQUEST_METHOD=GET", "PATH_INFO=/metrics", NULL};
    const char *nf[] = {"REQUEST_METHOD=GET", "PATH_INFO=/x/1", NULL};
    test_resp_t r;

    for (int i = 0; i < 3; i++) {
        test_serve(&t->w, h, NULL, 0, &r);
        test_resp_free(&r);
    }
    test_serve(&t->w, nf, NULL, 0, &r);
    test_resp_free(&r);
    test_serve(&t->w, m, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    if (strstr(r.body,
               "vigil_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"200\"} 3\n") ==
        NULL)
        fail_msg("healthz count missing:\n%s", r.body);
    /* unmatched paths are one series, not one per path */
    assert_non_null(strstr(
        r.body, "vigil_http_requests_total{route=\"unmatched\",method=\"GET\",code=\"404\"} 1\n"));
    assert_non_null(
        strstr(r.body, "vigil_http_request_duration_seconds_count{route=\"/healthz\"} 3\n"));
    assert_non_null(strstr(r.body, "vigil_store_up 1\n"));
    assert_non_null(strstr(r.body, "# TYPE vigil_store_cache_hit_ratio gauge\n"));
    assert_non_null(strstr(r.body, "vigil_store_log_bytes "));
    char *ct = test_resp_header(&r, "Content-Type");

    assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
    free(ct);
    test_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_router_status_cases, test_router_setup,
                                        test_router_teardown),
        cmocka_unit_test_setup_teardown(test_router_body_limit_and_echo, test_router_setup,
                                        test_router_teardown),
        cmocka_unit_test_setup_teardown(test_router_healthz_without_store, test_router_setup,
                                        test_router_teardown),
        cmocka_unit_test_setup_teardown(test_router_metrics_count_requests, test_router_setup,
                                        test_router_teardown),
    };
    return cmocka_run_group_tests_name("fcgi/router", tests, NULL, NULL);
}
