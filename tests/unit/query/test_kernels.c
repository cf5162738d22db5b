/* tests/unit/query/test_kernels.c - PromQL's numeric cores on small hand-computed cases:
 * rate/increase/delta extrapolation (boundaries, counter resets, the zero point), irate/idelta,
 * regression, holt_winters, resets/changes, the *_over_time statistics and both quantiles.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "query/promql/kernels.h"

#include <math.h>

#define EPS 1e-12

static void test_kernels_rate(void **state)
{
    store_sample_t lin[11], reset[] = {{0, 0}, {10000, 10}, {20000, 20}, {30000, 5}, {40000, 15}};
    store_sample_t late[] = {{10000, 10}, {20000, 20}, {30000, 30}, {40000, 40}};
    double v;

    (void)state;
    for (int i = 0; i < 11; i++)
        lin[i] = (store_sample_t){i * 50000, i * 10.0};
    /* points on both boundaries: no extrapolation */
    assert_int_equal(pql_extrapolated_rate(lin, 11, 0, 500000, 500, 1, 1, &v), 0);
    assert_float_equal(v, 0.2, EPS);
    assert_int_equal(pql_extrapolated_rate(lin, 11, 0, 500000, 500, 1, 0, &v), 0);
    assert_float_equal(v, 100, EPS);
    /* a reset adds what the counter had before it */
    assert_int_equal(pql_extrapolated_rate(reset, 5, 0, 40000, 40, 1, 0, &v), 0);
    assert_float_equal(v, 35, EPS);
    /* both ends 10 s from the window, steps of 10 s: extrapolated to the window */
    assert_int_equal(pql_extrapolated_rate(late, 4, 0, 50000, 50, 1, 1, &v), 0);
    assert_float_equal(v, 1, EPS);
    assert_int_equal(pql_extrapolated_rate(late, 4, 0, 50000, 50, 0, 0, &v), 0);
    assert_float_equal(v, 50, EPS);
    /* a start 100 s before the first point is extrapolated to by half a step only */
    assert_int_equal(pql_extrapolated_rate(late, 4, -90000, 40000, 130, 0, 0, &v), 0);
    assert_float_equal(v, 30 * 35.0 / 30, EPS);
    /* a counter at 20 with slope 1/s: its zero point (20 s back) is farther than the window's
     * start (5 s back), which is used */
    store_sample_t hi[] = {{5000, 20}, {15000, 30}, {25000, 40}};

    assert_int_equal(pql_extrapolated_rate(hi, 3, 0, 25000, 25, 1, 0, &v), 0);
    assert_float_equal(v, 20 * 25.0 / 20, EPS);
    /* a counter at 1 with slope 1/s: its zero point (1 s back) is nearer than the window's
     * start (10 s back), so extrapolation stops there */
    store_sample_t lo[] = {{10000, 1}, {20000, 11}, {30000, 21}};

    assert_int_equal(pql_extrapolated_rate(lo, 3, 0, 30000, 30, 1, 0, &v), 0);
    assert_float_equal(v, 20 * 21.0 / 20, EPS);
    assert_int_equal(pql_extrapolated_rate(hi, 1, 0, 25000, 25, 1, 0, &v), -1);
}

static void test_kernels_instant(void **state)
{
    store_sample_t up[] = {{0, 1}, {30000, 10}, {40000, 20}},
                   down[] = {{0, 1}, {10000, 20}, {20000, 5}};
    store_sample_t same[] = {{10, 1}, {10, 2}};
    double v;

    (void)state;
    assert_int_equal(pql_instant_value(up, 3, 1, &v), 0);
    assert_float_equal(v, 1, EPS);
    assert_int_equal(pql_instant_value(down, 3, 1, &v), 0);
    assert_float_equal(v, 0.5, EPS);
    assert_int_equal(pql_instant_value(down, 3, 0, &v), 0);
    assert_float_equal(v, -15, EPS);
    assert_int_equal(pql_instant_value(down, 1, 0, &v), -1);
    assert_int_equal(pql_instant_value(same, 2, 1, &v), -1);
}

static void test_kernels_regression(void **state)
{
    store_sample_t p[5], c[] = {{0, 3}, {1000, 3}}, inf[] = {{0, INFINITY}, {1000, INFINITY}};
    double slope, icpt, v;

    (void)state;
    for (int i = 0; i < 5; i++)
        p[i] = (store_sample_t){i * 1000 + 1000, 2.0 * (i + 1) + 1};
    pql_linear_regression(p, 5, p[0].t, &slope, &icpt);
    assert_float_equal(slope, 2, EPS);
    assert_float_equal(icpt, 3, EPS);
    pql_linear_regression(p, 5, 10000, &slope, &icpt); /* predict_linear's intercept at t */
    assert_float_equal(icpt, 21, 1e-9);
    pql_linear_regression(c, 2, 0, &slope, &icpt);
    assert_true(slope == 0 && icpt == 3);
    pql_linear_regression(inf, 2, 0, &slope, &icpt);
    assert_true(isnan(slope) && isnan(icpt));

    store_sample_t hw[] = {{0, 1}, {1, 2}, {2, 4}};

    assert_int_equal(pql_holt_winters(hw, 3, 0.5, 0.5, &v), 0);
    assert_float_equal(v, 3.5, EPS);
    assert_int_equal(pql_holt_winters(hw, 1, 0.5, 0.5, &v), -1);
}

static void test_kernels_over_time(void **state)
{
    store_sample_t p[] = {{0, 1}, {1, 2}, {2, 1}, {3, 1}, {4, 3}, {5, 0}};
    store_sample_t sd[] = {{0, 2}, {1, 4}, {2, 4}, {3, 4}, {4, 5}, {5, 5}, {6, 7}, {7, 9}};
    store_sample_t inf1[] = {{0, INFINITY}, {1, 1}}, inf2[] = {{0, INFINITY}, {1, -INFINITY}};
    store_sample_t nan1[] = {{0, NAN}, {1, 3}, {2, NAN}, {3, NAN}};

    (void)state;
    assert_int_equal(pql_resets(p, 6), 2);
    assert_int_equal(pql_changes(p, 6), 4);
    assert_int_equal(pql_changes(nan1, 4), 2);
    assert_float_equal(pql_sum_over_time(p, 6), 8, EPS);
    assert_float_equal(pql_avg_over_time(p, 6), 8.0 / 6, EPS);
    assert_float_equal(pql_min_over_time(p, 6), 0, EPS);
    assert_float_equal(pql_max_over_time(p, 6), 3, EPS);
    assert_float_equal(pql_min_over_time(nan1, 4), 3, EPS);
    assert_float_equal(pql_max_over_time(nan1, 4), 3, EPS);
    assert_float_equal(pql_stdvar_over_time(sd, 8), 4, EPS);
    assert_true(isinf(pql_avg_over_time(inf1, 2)) && pql_avg_over_time(inf1, 2) > 0);
    assert_true(isnan(pql_avg_over_time(inf2, 2)));
    assert_true(isinf(pql_sum_over_time(inf1, 2)));
}

static void test_kernels_quantiles(void **state)
{
    double v[] = {4, 1, 3, 2};
    pql_bucket_t b[] = {{2, 20}, {INFINITY, 20}, {1, 10}};
    pql_bucket_t nonmono[] = {{1, 10}, {2, 8}, {INFINITY, 20}};
    pql_bucket_t noinf[] = {{1, 10}, {2, 20}};
    pql_bucket_t dup[] = {{1, 4}, {1, 6}, {INFINITY, 10}};

    (void)state;
    assert_float_equal(pql_quantile(0.5, v, 4), 2.5, EPS);
    assert_float_equal(pql_quantile(0, v, 4), 1, EPS);
    assert_float_equal(pql_quantile(1, v, 4), 4, EPS);
    assert_true(isinf(pql_quantile(-1, v, 4)) && pql_quantile(-1, v, 4) < 0);
    assert_true(isinf(pql_quantile(2, v, 4)) && pql_quantile(2, v, 4) > 0);
    assert_true(isnan(pql_quantile(0.5, v, 0)));

    assert_float_equal(pql_bucket_quantile(0.5, b, 3), 1, EPS);
    assert_float_equal(pql_bucket_quantile(0.75, b, 3), 1.5, EPS);
    assert_float_equal(pql_bucket_quantile(1, b, 3), 2, EPS);
    assert_float_equal(pql_bucket_quantile(0.5, nonmono, 3), 1, EPS);
    assert_true(isnan(pql_bucket_quantile(0.5, noinf, 2)));
    /* le="1" twice counts once with both counts: 10 of 10 below 1 */
    assert_float_equal(pql_bucket_quantile(0.5, dup, 3), 0.5, EPS);
    assert_true(isinf(pql_bucket_quantile(-0.1, b, 3)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_rate),       cmocka_unit_test(test_kernels_instant),
        cmocka_unit_test(test_kernels_regression), cmocka_unit_test(test_kernels_over_time),
        cmocka_unit_test(test_kernels_quantiles),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
