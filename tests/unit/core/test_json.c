/* tests/unit/core/test_json.c - vg_json_parse limits and errors.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/json.h"

#include <string.h>

static void test_json_parse_cases(void **state)
{
    static const struct {
        const char *in;
        int depth, want_rc;
    } cases[] = {
        {"{\"a\":[1,2,{\"b\":null}]}", 10, VG_OK},
        {"  [1]  \n", 10, VG_OK},
        {"{\"a\":", 10, VG_EINVAL},
        {"[1] x", 10, VG_EINVAL},
        {"[[[[1]]]]", 3, VG_EINVAL},
        {"{bad}", 10, VG_EINVAL},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        json_object *o = NULL;
        int rc = vg_json_parse(&a, cases[i].in, strlen(cases[i].in), cases[i].depth, &o, &err);

        if (rc != cases[i].want_rc)
            fail_msg("case %zu \"%s\": got %d (%s), want %d", i, cases[i].in, rc, err.msg,
                     cases[i].want_rc);
        if (rc != VG_OK && err.msg[0] == '\0')
            fail_msg("case %zu: no error message", i);
    }
    vg_arena_fini(&a); /* the parsed trees are released here: valgrind checks that */
}

static void test_json_text_no_slash_escape(void **state)
{
    json_object *o = json_object_new_object();
    size_t len;

    json_object_object_add(o, "path", json_object_new_string("/a/b"));
    assert_string_equal(vg_json_text(o, &len), "{\"path\":\"/a/b\"}");
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse_cases),
        cmocka_unit_test(test_json_text_no_slash_escape),
    };
    return cmocka_run_group_tests_name("core/json", tests, NULL, NULL);
}
