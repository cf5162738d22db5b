/* tests/unit/core/test_num.c - vg_ftoa_go() against the strings Go's strconv.FormatFloat(v, 'f',
 * -1, 64) gives, and a round-trip property over random bit patterns.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_num_known(void **state)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {-0.0, "-0"},
        {1, "1"},
        {-1, "-1"},
        {0.1, "0.1"},
        {1.5, "1.5"},
        {123.456, "123.456"},
        {1e21, "1000000000000000000000"},
        {1.5e-7, "0.00000015"},
        {100, "100"},
        {1435781451.781, "1435781451.781"},
        {0.3333333333333333, "0.3333333333333333"},
        {2.0 / 3.0, "0.6666666666666666"},
        {9007199254740993.0, "9007199254740992"},
        {NAN, "NaN"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
    };
    char out[VG_FTOA_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = vg_ftoa_go(cases[i].v, out);

        if (strcmp(out, cases[i].want) != 0 || n != strlen(out))
            fail_msg("case %zu: got %s, want %s", i, out, cases[i].want);
    }
    /* the largest double: its 17 digits, then 292 zeros */
    assert_int_equal(vg_ftoa_go(1.7976931348623157e308, out), 309);
    assert_memory_equal(out, "17976931348623157", 17);
    assert_int_equal(strspn(out + 17, "0"), 292);
    /* the smallest subnormal: 323 zeros after the point, then 5 */
    assert_int_equal(vg_ftoa_go(5e-324, out), 326);
    assert_string_equal(out + 325, "5");
    assert_memory_equal(out, "0.000", 5);
}

static void test_num_round_trip(void **state)
{
    char out[VG_FTOA_MAX];
    unsigned seed = 42;

    (void)state;
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = ((uint64_t)rand_r(&seed) << 42) ^ ((uint64_t)rand_r(&seed) << 21) ^
                        (uint64_t)rand_r(&seed);
        double v;

        memcpy(&v, &bits, sizeof v);
        if (isnan(v) || isinf(v))
            continue;
        vg_ftoa_go(v, out);
        if (strtod(out, NULL) != v)
            fail_msg("%a printed as %s", v, out);
        assert_null(strchr(out, 'e'));
        /* shortest: no fewer significant digits read back (the slow search, 1 to 17) */
        for (int prec = 1; prec <= 17; prec++) {
            char e[40];

            snprintf(e, sizeof e, "%.*e", prec - 1, v);
            if (strtod(e, NULL) == v) {
                size_t sig = 0;

                /* leading zeros of 0.000ddd and trailing zeros of integers are not digits of
                 * the form: count the digits from the first to the last non-zero one */
                const char *first = out + strcspn(out, "123456789"), *last = first;

                for (const char *p = first; *p; p++)
                    if (*p >= '1' && *p <= '9')
                        last = p;
                sig = 0;
                for (const char *p = first; p <= last; p++)
                    sig += *p >= '0' && *p <= '9';
                if ((int)sig != prec)
                    fail_msg("%a printed as %s (%zu digits), %d would do", v, out, sig, prec);
                break;
            }
        }
    }
}

static void test_num_mstoa(void **state)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {{0, "0"},
                 {1000, "1"},
                 {1435781451781, "1435781451.781"},
                 {60500, "60.5"},
                 {5, "0.005"},
                 {-1500, "-1.5"},
                 {-5, "-0.005"},
                 {120, "0.12"},
                 {INT64_MIN, "-9223372036854775.808"},
                 {INT64_MAX, "9223372036854775.807"}};
    char out[VG_FTOA_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = vg_mstoa(cases[i].ms, out);

        if (strcmp(out, cases[i].want) != 0 || n != strlen(out))
            fail_msg("case %zu: got %s, want %s", i, out, cases[i].want);
    }
    /* and it agrees with formatting the float seconds wherever those are exact enough */
    for (int64_t ms = -100000; ms < 100000; ms += 7) {
        char f[VG_FTOA_MAX];

        vg_mstoa(ms, out);
        vg_ftoa_go((double)ms / 1000, f);
        assert_string_equal(out, f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_known),
        cmocka_unit_test(test_num_round_trip),
        cmocka_unit_test(test_num_mstoa),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
