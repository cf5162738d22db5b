/* tests/unit/query/test_value.c - the query API's JSON for each value type, compared with the
 * bytes Prometheus writes: float-second timestamps, values as strings with NaN/+Inf/-Inf, label
 * escaping as Go's encoding/json (HTML characters, control characters, invalid UTF-8).
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "query/promql/value.h"

#include <math.h>
#include <string.h>

static void test_value_json(void **state)
{
    vg_arena_t a;
    vg_buf_t b;
    ing_label_t l1[] = {{"__name__", "up"}, {"job", "a<b>&\"c\"\n"}};
    ing_label_t l2[] = {{"path", "/x\x01\xff\xe2\x80\xa8\xc3\xa9"}};
    pql_sample_t vec[] = {{{l1, 2}, 1435781451781, 1}, {{l2, 1}, 1000, NAN}, {{NULL, 0}, 0, -0.0}};
    store_sample_t pts[] = {{-1500, INFINITY}, {0, 0.1}, {60000, -INFINITY}};
    pql_series_t mat[] = {{{l1, 2}, pts, 3}, {{NULL, 0}, pts, 0}};
    pql_value_t v;

    (void)state;
    vg_arena_init(&a, 0);
    vg_buf_init(&b, &a);
    v = (pql_value_t){.type = PQL_VAL_VECTOR, .vec = vec, .n = 3};
    pql_json_value(&b, &v);
    assert_string_equal(
        b.p, "{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"job\":"
             "\"a\\u003cb\\u003e\\u0026\\\"c\\\"\\n\"},\"value\":[1435781451.781,\"1\"]},"
             "{\"metric\":{\"path\":\"/x\\u0001\\ufffd\\u2028\xc3\xa9\"},\"value\":[1,\"NaN\"]},"
             "{\"metric\":{},\"value\":[0,\"-0\"]}]}");
    b.len = 0;
    v = (pql_value_t){.type = PQL_VAL_MATRIX, .mat = mat, .n = 2};
    pql_json_value(&b, &v);
    assert_string_equal(b.p, "{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"__name__\":"
                             "\"up\",\"job\":\"a\\u003cb\\u003e\\u0026\\\"c\\\"\\n\"},\"values\":"
                             "[[-1.5,\"+Inf\"],[0,\"0.1\"],[60,\"-Inf\"]]},{\"metric\":{},"
                             "\"values\":[]}]}");
    b.len = 0;
    v = (pql_value_t){.type = PQL_VAL_SCALAR, .t = 1700000000000, .v = 1e21};
    pql_json_value(&b, &v);
    assert_string_equal(b.p, "{\"resultType\":\"scalar\",\"result\":[1700000000,"
                             "\"1000000000000000000000\"]}");
    b.len = 0;
    v = (pql_value_t){.type = PQL_VAL_STRING, .t = 5, .s = "a\"b"};
    pql_json_value(&b, &v);
    assert_string_equal(b.p, "{\"resultType\":\"string\",\"result\":[0.005,\"a\\\"b\"]}");
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
