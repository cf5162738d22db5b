/* tests/unit/conf/test_conf.c - INI parsing, typed values, errors with file:line, environment
 * overrides, and the dump reading back to the same config.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_conf_defaults_match_design(void **state)
{
    conf_t c;

    conf_defaults(&c);
    assert_string_equal(c.store_home, "/var/lib/vigil");
    assert_string_equal(c.store_default_project, "default");
    assert_int_equal(c.store_cache_mb, 256);
    assert_int_equal(c.store_sync, CONF_SYNC_WRITE_NOSYNC);
    assert_string_equal(c.fcgi_listen, "");
    assert_int_equal(c.fcgi_workers, 0);
    assert_true(conf_workers(&c) >= 2);
    assert_int_equal(c.fcgi_max_body_mb, 32);
    assert_int_equal(c.log_level, LOG_INFO);
    conf_fini(&c);
}

static void test_conf_parse_values(void **state)
{
    const char *text = "# comment\n"
                       "[store]\n"
                       "home = /tmp/x   # trailing comment\n"
                       "  cache_mb=64\n"
                       "sync = sync\n"
                       "default_project = \"proj #1\"\n"
                       "\n"
                       "[FCGI]\r\n"
                       "workers = 3\r\n"
                       "debug_routes = on\n"
                       "[log]\n"
                       "level = debug\n";
    vg_err_t err = {0};
    conf_t c;

    conf_defaults(&c);
    if (conf_parse(&c, "t.conf", text, &err) != VG_OK)
        fail_msg("parse: %s", err.msg);
    assert_string_equal(c.store_home, "/tmp/x");
    assert_int_equal(c.store_cache_mb, 64);
    assert_int_equal(c.store_sync, CONF_SYNC_SYNC);
    assert_string_equal(c.store_default_project, "proj #1");
    assert_int_equal(c.fcgi_workers, 3);
    assert_int_equal(c.fcgi_debug_routes, 1);
    assert_int_equal(c.log_level, LOG_DEBUG);
    conf_fini(&c);
}

static void test_conf_errors_name_file_and_line(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[store]\nnope = 1\n", "t.conf:2: unknown key \"nope\" in [store]"},
        {"[nosuch]\n", "t.conf:1: unknown section [nosuch]"},
        {"home = x\n", "t.conf:1: key outside any [section]"},
        {"[store]\n\ncache_mb = lots\n", "t.conf:3: [store] cache_mb: \"lots\" is not an integer"},
        {"[store]\ncache_mb = 0\n", "t.conf:2: [store] cache_mb: 0 is outside 1..65536"},
        {"[store]\nsync = maybe\n", "t.conf:2: [store] sync: \"maybe\" is not one of sync, "
                                    "write_nosync, nosync"},
        {"[fcgi]\ndebug_routes = perhaps\n", "t.conf:2: [fcgi] debug_routes: \"perhaps\" is not "
                                             "on/off"},
        {"[store\n", "t.conf:1: section header without closing ']'"},
        {"[store]\njust words\n", "t.conf:2: expected key = value"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        conf_t c;
        int rc;

        conf_defaults(&c);
        rc = conf_parse(&c, "t.conf", cases[i].text, &err);
        conf_fini(&c);
        if (rc != VG_EINVAL)
            fail_msg("case %zu: got rc %d, want VG_EINVAL", i, rc);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].want);
    }
}

static void test_conf_env_overrides(void **state)
{
    char *env[] = {"VIGIL_STORE_DEFAULT_PROJECT=p1",
                   "VIGIL_FCGI_MAX_BODY_MB=5",
                   "VIGIL_CONFIG=/ignored",
                   "VIGIL_FAKE_NOW=2020-01-01T00:00:00Z",
                   "OTHER=1",
                   NULL};
    char *bad[] = {"VIGIL_STORE_NO_SUCH=1", NULL};
    char *badval[] = {"VIGIL_FCGI_WORKERS=-1", NULL};
    vg_err_t err = {0};
    conf_t c;

    conf_defaults(&c);
    assert_int_equal(conf_apply_env(&c, env, &err), VG_OK);
    assert_string_equal(c.store_default_project, "p1");
    assert_int_equal(c.fcgi_max_body_mb, 5);
    assert_int_equal(conf_apply_env(&c, bad, &err), VG_EINVAL);
    assert_string_equal(err.msg, "environment VIGIL_STORE_NO_SUCH: no such key");
    assert_int_equal(conf_apply_env(&c, badval, &err), VG_EINVAL);
    assert_non_null(strstr(err.msg, "VIGIL_FCGI_WORKERS"));
    conf_fini(&c);
}

static void test_conf_dump_reads_back(void **state)
{
    vg_err_t err = {0};
    conf_t a, b;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    conf_defaults(&a);
    free(a.store_home);
    a.store_home = strdup(" /odd path#x ");
    a.fcgi_workers = 7;
    a.store_sync = CONF_SYNC_NOSYNC;
    conf_dump(&a, f);
    fclose(f);
    conf_defaults(&b);
    if (conf_parse(&b, "dump", text, &err) != VG_OK)
        fail_msg("dump does not parse: %s\n%s", err.msg, text);
    assert_string_equal(b.store_home, " /odd path#x ");
    assert_int_equal(b.fcgi_workers, 7);
    assert_int_equal(b.store_sync, CONF_SYNC_NOSYNC);
    free(text);
    conf_fini(&a);
    conf_fini(&b);
}

static void test_conf_load_missing_file(void **state)
{
    vg_err_t err = {0};
    conf_t c;

    assert_int_equal(conf_load(&c, "/nonexistent/vigil.conf", 0, &err), VG_OK);
    conf_fini(&c);
    assert_int_equal(conf_load(&c, "/nonexistent/vigil.conf", 1, &err), VG_EINVAL);
    assert_non_null(strstr(err.msg, "/nonexistent/vigil.conf: cannot open"));
    conf_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_defaults_match_design),
        cmocka_unit_test(test_conf_parse_values),
        cmocka_unit_test(test_conf_errors_name_file_and_line),
        cmocka_unit_test(test_conf_env_overrides),
        cmocka_unit_test(test_conf_dump_reads_back),
        cmocka_unit_test(test_conf_load_missing_file),
    };
    return cmocka_run_group_tests_name("conf/conf", tests, NULL, NULL);
}
