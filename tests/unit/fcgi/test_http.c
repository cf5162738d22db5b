/* tests/unit/fcgi/test_http.c - request parsing: query strings, percent-decoding, repeated
 * keys, form bodies, the PATH_INFO fallback, header floods, responses.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fcgi/http.h"

#include <string.h>

static void test_urlencoded_cases(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *want; /* "k=v|k=v" after decoding, or the error */
    } cases[] = {
        {"a=1&b=2", VG_OK, "a=1|b=2"},
        {"match%5B%5D=up&match[]=x%7Bjob%3D%22a%22%7D", VG_OK, "match[]=up|match[]=x{job=\"a\"}"},
        {"q=a+b%20c", VG_OK, "q=a b c"},
        {"flag&&=v&", VG_OK, "flag=|=v"},
        {"x=%zz", VG_EINVAL, "invalid URL escape \"%zz\""},
        {"x=%4", VG_EINVAL, "invalid URL escape \"%4\""},
        {"x=%", VG_EINVAL, "invalid URL escape \"%\""},
        {"%g0=1", VG_EINVAL, "invalid URL escape \"%g0\""},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        req_kvs_t kv = {0};
        vg_err_t err = {0};
        vg_buf_t got;
        int rc = req_parse_urlencoded(&a, &kv, cases[i].in, strlen(cases[i].in), &err);

        vg_buf_init(&got, &a);
        if (rc != VG_OK) {
            vg_buf_adds(&got, err.msg);
        } else {
            for (size_t j = 0; j < kv.n; j++)
                vg_buf_printf(&got, "%s%s=%s", j ? "|" : "", kv.v[j].name, kv.v[j].value);
        }
        if (rc != cases[i].rc || strcmp(got.p, cases[i].want) != 0)
            fail_msg("case %zu \"%s\": got %d \"%s\", want %d \"%s\"", i, cases[i].in, rc, got.p,
                     cases[i].rc, cases[i].want);
    }
    vg_arena_fini(&a);
}

static void test_params_path_and_headers(void **state)
{
    char *params[] = {"REQUEST_METHOD=POST",
                      "PATH_INFO=",
                      "SCRIPT_NAME=/vigil",
                      "REQUEST_URI=/vigil/prometheus/api/v1/query%3Fx?query=up&time=1",
                      "QUERY_STRING=query=up&time=1",
                      "CONTENT_TYPE=application/x-www-form-urlencoded; charset=utf-8",
                      "CONTENT_LENGTH=14",
                      "HTTP_X_TC_APP_KEY=secret",
                      "HTTP_AUTHORIZATION=Basic eDp5",
                      NULL};
    vg_arena_t a;
    vg_err_t err = {0};
    conf_t c;
    req_t r;
    const char **vals;

    conf_defaults(&c);
    vg_arena_init(&a, 0);
    req_init(&r, &a, &c);
    assert_int_equal(req_from_params(&r, params, (size_t)-1, &err), VG_OK);
    assert_string_equal(r.method, "POST");
    assert_int_equal(r.method_bit, M_POST);
    /* REQUEST_URI minus SCRIPT_NAME and the query, decoded */
    assert_string_equal(r.path, "/prometheus/api/v1/query?x");
    assert_int_equal(r.content_length, 14);
    assert_string_equal(req_header(&r, "X-TC-App-Key"), "secret");
    assert_string_equal(req_header(&r, "authorization"), "Basic eDp5");
    assert_string_equal(req_header(&r, "Content-Type"),
                        "application/x-www-form-urlencoded; charset=utf-8");
    char body[] = "query=sum(x)&a";

    assert_int_equal(req_set_body(&r, body, strlen(body), &err), VG_OK);
    /* the form body's values come first, as Go's r.Form has them */
    assert_string_equal(req_arg(&r, "query"), "sum(x)");
    assert_int_equal(req_args(&r, "query", &vals), 2);
    assert_string_equal(vals[1], "up");
    assert_null(vals[2]);
    assert_string_equal(req_arg(&r, "time"), "1");
    assert_string_equal(req_arg(&r, "a"), "");
    assert_null(req_arg(&r, "missing"));
    vg_arena_fini(&a);
    conf_fini(&c);
}

static void test_params_limits(void **state)
{
    static char *flood[REQ_MAX_HEADERS + 3];
    char names[REQ_MAX_HEADERS + 1][32];
    vg_arena_t a;
    vg_err_t err = {0};
    conf_t c;
    req_t r;

    conf_defaults(&c);
    vg_arena_init(&a, 0);
    flood[0] = "REQUEST_METHOD=GET";
    flood[1] = "PATH_INFO=/healthz";
    for (int i = 0; i <= REQ_MAX_HEADERS; i++) {
        snprintf(names[i], sizeof names[i], "HTTP_X_H%d=v", i);
        flood[i + 2] = names[i];
    }
    req_init(&r, &a, &c);
    assert_int_equal(req_from_params(&r, flood, REQ_MAX_HEADERS + 3, &err), VG_EHEADERS);
    assert_string_equal(r.path, "/healthz"); /* still routable, so the right API renders it */

    char *badlen[] = {"REQUEST_METHOD=POST", "PATH_INFO=/x", "CONTENT_LENGTH=12abc", NULL};

    req_init(&r, &a, &c);
    assert_int_equal(req_from_params(&r, badlen, (size_t)-1, &err), VG_EINVAL);
    assert_string_equal(err.msg, "invalid Content-Length");
    vg_arena_fini(&a);
    conf_fini(&c);
}

static void test_resp_serialize(void **state)
{
    vg_arena_t a;
    resp_t w;
    vg_buf_t out;

    vg_arena_init(&a, 0);
    resp_init(&w, &a);
    resp_header(&w, "X-Evil", "a\r\nSet-Cookie: x");
    resp_text(&w, 404, "text/plain", "nope", 4);
    vg_buf_init(&out, &a);
    resp_serialize(&w, 0, &out);
    assert_string_equal(out.p, "Status: 404 Not Found\r\nX-Evil: a  Set-Cookie: x\r\n"
                               "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope");
    vg_buf_init(&out, &a);
    resp_serialize(&w, 1, &out); /* HEAD: same head, no body */
    assert_non_null(strstr(out.p, "Content-Length: 4\r\n\r\n"));
    assert_null(strstr(out.p, "nope"));
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urlencoded_cases),
        cmocka_unit_test(test_params_path_and_headers),
        cmocka_unit_test(test_params_limits),
        cmocka_unit_test(test_resp_serialize),
    };
    return cmocka_run_group_tests_name("fcgi/http", tests, NULL, NULL);
}
