/* tests/unit/core/test_time.c - RFC 3339 parsing and formatting, VIGIL_FAKE_NOW.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/time.h"

#include <stdlib.h>
#include <string.h>

static void test_rfc3339_parse_cases(void **state)
{
    static const struct {
        const char *in;
        int ok;
        int64_t want_ms;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 1, 0},
        {"2024-02-29T12:00:00Z", 1, 1709208000000},
        {"2024-02-29T12:00:00.5Z", 1, 1709208000500},
        {"2024-02-29T12:00:00.123456789Z", 1, 1709208000123},
        {"2024-02-29T14:00:00+02:00", 1, 1709208000000},
        {"1969-12-31T23:59:59Z", 1, -1000},
        {"2023-02-29T12:00:00Z", 0, 0},
        {"2024-13-01T00:00:00Z", 0, 0},
        {"2024-01-01T00:00:00", 0, 0},
        {"2024-01-01T00:00:00Zjunk", 0, 0},
        {"2024-01-01", 0, 0},
        {"", 0, 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = 0;
        int rc = vg_rfc3339_parse(cases[i].in, &got);

        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu \"%s\": rc %d, want %s", i, cases[i].in, rc,
                     cases[i].ok ? "ok" : "error");
        if (cases[i].ok && got != cases[i].want_ms)
            fail_msg("case %zu \"%s\": got %lld, want %lld", i, cases[i].in, (long long)got,
                     (long long)cases[i].want_ms);
    }
}

static void test_rfc3339_roundtrip(void **state)
{
    char buf[40];
    int64_t back;

    vg_rfc3339_format(1709208000123, buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29T12:00:00.123Z");
    vg_rfc3339_format(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    assert_int_equal(vg_rfc3339_parse("2024-02-29T12:00:00.123Z", &back), 0);
    assert_int_equal(back, 1709208000123);
}

static void test_fake_now(void **state)
{
    setenv("VIGIL_FAKE_NOW", "2020-05-01T00:00:00Z", 1);
    assert_int_equal(vg_now_ms(), 1588291200000);
    unsetenv("VIGIL_FAKE_NOW");
    assert_true(vg_now_ms() > 1700000000000);
}

static void test_time_durations(void **state)
{
    static const struct {
        const char *in;
        int64_t ms;
        const char *out;
    } ok[] = {
        {"0", 0, "0s"},
        {"5m", 300000, "5m"},
        {"1h30m", 5400000, "1h30m"},
        {"100ms", 100, "100ms"},
        {"1m500ms", 60500, "1m500ms"},
        {"90d", 7776000000, "90d"},
        {"2w", 1209600000, "2w"},
        {"1y", 31536000000, "1y"},
        {"1d1ms", 86400001, "1d1ms"},
        {"60s", 60000, "1m"},
        {"0s", 0, "0s"},
        {"1y2w3d4h5m6s7ms", 33019506007, "382d4h5m6s7ms"},
    };
    static const char *const bad[] = {"",
                                      "5",
                                      "m",
                                      "1m1h",
                                      "5mm",
                                      "1s1s",
                                      "-1m",
                                      "1.5h",
                                      " 5m",
                                      "5M",
                                      "99999999999999999999y",
                                      "300000000y"};
    char out[64];
    int64_t ms;

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (vg_duration_parse(ok[i].in, &ms) != 0 || ms != ok[i].ms)
            fail_msg("%s: got %lld", ok[i].in, (long long)ms);
        vg_duration_format(ms, out, sizeof out);
        if (strcmp(out, ok[i].out) != 0)
            fail_msg("%s: formatted %s, want %s", ok[i].in, out, ok[i].out);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (vg_duration_parse(bad[i], &ms) == 0)
            fail_msg("\"%s\" parsed as %lld", bad[i], (long long)ms);
    /* the Prometheus API's times: float seconds rounded to ms, or RFC 3339 */
    assert_int_equal(vg_time_parse("1.5", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(vg_time_parse("-0.0005", &ms), 0);
    assert_int_equal(vg_time_parse("2015-07-01T20:10:51.781Z", &ms), 0);
    assert_int_equal(ms, 1435781451781);
    assert_int_equal(vg_time_parse("tomorrow", &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_durations),
        cmocka_unit_test(test_rfc3339_parse_cases),
        cmocka_unit_test(test_rfc3339_roundtrip),
        cmocka_unit_test(test_fake_now),
    };
    return cmocka_run_group_tests_name("core/time", tests, NULL, NULL);
}
