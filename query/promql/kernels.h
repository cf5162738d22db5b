/* query/promql/kernels.h - the numeric cores of PromQL's functions and aggregations, on plain
 * arrays of (t ms, v) points, with Prometheus 2.42's exact rules: rate/increase/delta
 * extrapolation, irate/idelta, the linear regression behind deriv/predict_linear, holt_winters,
 * quantiles (the aggregation, quantile_over_time and classic-bucket histogram_quantile),
 * resets/changes and the *_over_time statistics. The evaluator picks the points (range,
 * staleness) and calls these; they allocate nothing.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_KERNELS_H
#define PQL_KERNELS_H

#include "store/chunk.h"

#include <stddef.h>
#include <stdint.h>

/* Neumaier-compensated running sum: add v to *sum with compensation *c; the result is
 * *sum + *c. */
void pql_kahan_add(double v, double *sum, double *c);

/* rate (counter, rate), increase (counter), delta (gauge): p[0..n) sorted by time within the
 * window [range_start, range_end] (ms); range_s is the window's length in seconds (the divisor of
 * rate). Returns 0 and *out, or -1 when fewer than two points leave no result. */
int pql_extrapolated_rate(const store_sample_t *p, size_t n, int64_t range_start, int64_t range_end,
                          double range_s, int is_counter, int is_rate, double *out);

/* irate (is_rate) and idelta: from the last two points. -1 for no result (fewer than two
 * points, or both at one time). */
int pql_instant_value(const store_sample_t *p, size_t n, int is_rate, double *out);

/* Least squares of v over (t - intercept_t) seconds: slope per second and the intercept at
 * intercept_t. A constant series gives slope 0 (NaN, NaN when that constant is infinite). */
void pql_linear_regression(const store_sample_t *p, size_t n, int64_t intercept_t, double *slope,
                           double *intercept);

/* holt_winters: double exponential smoothing with 0 < sf < 1 and 0 < tf < 1 (the caller checks
 * and words the error). -1 for fewer than two points. */
int pql_holt_winters(const store_sample_t *p, size_t n, double sf, double tf, double *out);

/* resets: the times a value falls below the one before; changes: the times it differs (NaN to
 * NaN is no change). */
size_t pql_resets(const store_sample_t *p, size_t n);
size_t pql_changes(const store_sample_t *p, size_t n);

/* The *_over_time statistics of the values of p[0..n), n >= 1. */
double pql_sum_over_time(const store_sample_t *p, size_t n);
double pql_avg_over_time(const store_sample_t *p, size_t n);
double pql_min_over_time(const store_sample_t *p, size_t n);
double pql_max_over_time(const store_sample_t *p, size_t n);
double pql_stdvar_over_time(const store_sample_t *p, size_t n);

/* The q-quantile of v[0..n), which it sorts in place: linear interpolation between closest
 * ranks; NaN for no values, -Inf for q < 0, +Inf for q > 1. */
double pql_quantile(double q, double *v, size_t n);

typedef struct {
    double upper; /* the bucket's `le` */
    double count; /* cumulative */
} pql_bucket_t;

/* histogram_quantile over classic buckets b[0..n) (sorted and coalesced in place): NaN without
 * a +Inf bucket, with fewer than two buckets or no observations; counts made monotonic first. */
double pql_bucket_quantile(double q, pql_bucket_t *b, size_t n);

#endif
