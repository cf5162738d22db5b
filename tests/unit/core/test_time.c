/* tests/unit/core/test_time.c - RFC 3339 parsing and formatting, VIGIL_FAKE_NOW.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/time.h"

#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339_parse_cases),
        cmocka_unit_test(test_rfc3339_roundtrip),
        cmocka_unit_test(test_fake_now),
    };
    return cmocka_run_group_tests_name("core/time", tests, NULL, NULL);
}
