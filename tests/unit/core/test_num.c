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
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_known),
        cmocka_unit_test(test_num_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
