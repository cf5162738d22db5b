/* query/promql/kernels.c - the numeric cores of PromQL's functions (see kernels.h).
 * SPDX-License-Identifier: MIT */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>

void pql_kahan_add(double v, double *sum, double *c)
{
    double t = *sum + v;

    /* an infinite sum must not turn the compensation into NaN */
    if (isinf(t))
        *c = 0;
    else if (fabs(*sum) >= fabs(v))
        *c += (*sum - t) + v;
    else
        *c += (v - t) + *sum;
    *sum = t;
}

int pql_extrapolated_rate(const store_sample_t *p, size_t n, int64_t range_start, int64_t range_end,
                          double range_s, int is_counter, int is_rate, double *out)
{
    double result, to_start, to_end, sampled, avg_step, threshold, interval;

    if (n < 2)
        return -1;
    result = p[n - 1].v - p[0].v;
    if (is_counter) {
        double last = 0;

        /* every fall is a reset: what the counter had before it was lost from the difference */
        for (size_t i = 0; i < n; i++) {
            if (p[i].v < last)
                result += last;
            last = p[i].v;
        }
    }
    to_start = (double)(p[0].t - range_start) / 1000;
    to_end = (double)(range_end - p[n - 1].t) / 1000;
    sampled = (double)(p[n - 1].t - p[0].t) / 1000;
    avg_step = sampled / (double)(n - 1);
    if (is_counter && result > 0 && p[0].v >= 0) {
        /* a counter is never negative: do not extrapolate to before its zero point */
        double to_zero = sampled * (p[0].v / result);

        if (to_zero < to_start)
            to_start = to_zero;
    }
    /* a boundary close to the first/last point (within 1.1 steps) is extrapolated to; a far one
     * only by half a step */
    threshold = avg_step * 1.1;
    interval = sampled;
    interval += to_start < threshold ? to_start : avg_step / 2;
    interval += to_end < threshold ? to_end : avg_step / 2;
    result *= interval / sampled;
    if (is_rate)
        result /= range_s;
    *out = result;
    return 0;
}

int pql_instant_value(const store_sample_t *p, size_t n, int is_rate, double *out)
{
    const store_sample_t *last, *prev;
    double result;
    int64_t dt;

    if (n < 2)
        return -1;
    last = &p[n - 1];
    prev = &p[n - 2];
    result = is_rate && last->v < prev->v ? last->v : last->v - prev->v;
    dt = last->t - prev->t;
    if (dt == 0)
        return -1;
    if (is_rate)
        result /= (double)dt / 1000;
    *out = result;
    return 0;
}

void pql_linear_regression(const store_sample_t *p, size_t n, int64_t intercept_t, double *slope,
                           double *intercept)
{
    double sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    double nn = (double)n, cov, var;
    int const_y = 1;

    for (size_t i = 0; i < n; i++) {
        double x = (double)(p[i].t - intercept_t) / 1e3;

        if (i > 0 && p[i].v != p[0].v)
            const_y = 0;
        pql_kahan_add(x, &sx, &cx);
        pql_kahan_add(p[i].v, &sy, &cy);
        pql_kahan_add(x * p[i].v, &sxy, &cxy);
        pql_kahan_add(x * x, &sx2, &cx2);
    }
    if (const_y) {
        if (isinf(p[0].v)) {
            *slope = *intercept = NAN;
        } else {
            *slope = 0;
            *intercept = p[0].v;
        }
        return;
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    cov = sxy - sx * sy / nn;
    var = sx2 - sx * sx / nn;
    *slope = cov / var;
    *intercept = sy / nn - *slope * sx / nn;
}

int pql_holt_winters(const store_sample_t *p, size_t n, double sf, double tf, double *out)
{
    double s0 = 0, s1, b;

    if (n < 2)
        return -1;
    s1 = p[0].v;
    b = p[1].v - p[0].v;
    for (size_t i = 1; i < n; i++) {
        double x = sf * p[i].v, y;

        if (i > 1) /* the trend: the first step keeps the initial difference */
            b = tf * (s1 - s0) + (1 - tf) * b;
        y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    *out = s1;
    return 0;
}

size_t pql_resets(const store_sample_t *p, size_t n)
{
    size_t k = 0;

    for (size_t i = 1; i < n; i++)
        k += p[i].v < p[i - 1].v;
    return k;
}

size_t pql_changes(const store_sample_t *p, size_t n)
{
    size_t k = 0;

    for (size_t i = 1; i < n; i++)
        k += p[i].v != p[i - 1].v && !(isnan(p[i].v) && isnan(p[i - 1].v));
    return k;
}

double pql_sum_over_time(const store_sample_t *p, size_t n)
{
    double sum = 0, c = 0;

    for (size_t i = 0; i < n; i++)
        pql_kahan_add(p[i].v, &sum, &c);
    return isinf(sum) ? sum : sum + c;
}

double pql_avg_over_time(const store_sample_t *p, size_t n)
{
    double mean = 0, c = 0, count = 0;

    for (size_t i = 0; i < n; i++) {
        double v = p[i].v;

        count++;
        if (isinf(mean)) {
            /* an infinite mean stays unless a NaN or the opposite infinity comes */
            if (isinf(v) && (mean > 0) == (v > 0))
                continue;
            if (!isinf(v) && !isnan(v))
                continue;
        }
        pql_kahan_add(v / count - mean / count, &mean, &c);
    }
    return isinf(mean) ? mean : mean + c;
}

double pql_min_over_time(const store_sample_t *p, size_t n)
{
    double m = p[0].v;

    /* NaN gives way to any number */
    for (size_t i = 1; i < n; i++)
        if (p[i].v < m || isnan(m))
            m = p[i].v;
    return m;
}

double pql_max_over_time(const store_sample_t *p, size_t n)
{
    double m = p[0].v;

    for (size_t i = 1; i < n; i++)
        if (p[i].v > m || isnan(m))
            m = p[i].v;
    return m;
}

double pql_stdvar_over_time(const store_sample_t *p, size_t n)
{
    double count = 0, mean = 0, aux = 0;

    for (size_t i = 0; i < n; i++) {
        double delta = p[i].v - mean;

        count++;
        mean += delta / count;
        aux += delta * (p[i].v - mean);
    }
    return aux / count;
}

static int pql_double_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    /* NaN sorts first, as Go's sort of float64 values with a Less of a < b || isNaN(a) */
    if (isnan(a))
        return isnan(b) ? 0 : -1;
    if (isnan(b))
        return 1;
    return a < b ? -1 : a > b;
}

double pql_quantile(double q, double *v, size_t n)
{
    double nn = (double)n, rank, lower, upper, weight;

    if (n == 0 || isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(v, n, sizeof *v, pql_double_cmp);
    rank = q * (nn - 1);
    lower = fmax(0, floor(rank));
    upper = fmin(nn - 1, lower + 1);
    weight = rank - floor(rank);
    return v[(size_t)lower] * (1 - weight) + v[(size_t)upper] * weight;
}

static int pql_bucket_cmp(const void *x, const void *y)
{
    double a = ((const pql_bucket_t *)x)->upper, b = ((const pql_bucket_t *)y)->upper;

    return a < b ? -1 : a > b;
}

double pql_bucket_quantile(double q, pql_bucket_t *b, size_t n)
{
    double observations, rank, start = 0, end, count, max;
    size_t k, lo, hi;

    if (isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    if (n == 0)
        return NAN;
    qsort(b, n, sizeof *b, pql_bucket_cmp);
    if (!(isinf(b[n - 1].upper) && b[n - 1].upper > 0))
        return NAN;
    /* buckets of one bound (e.g. le="1" and le="1.0") count as one */
    k = 0;
    for (size_t i = 1; i < n; i++) {
        if (b[i].upper == b[k].upper)
            b[k].count += b[i].count;
        else
            b[++k] = b[i];
    }
    n = k + 1;
    /* counts that fall (a scrape racing the buckets' updates) are raised to the maximum so far */
    max = b[0].count;
    for (size_t i = 1; i < n; i++) {
        if (b[i].count < max)
            b[i].count = max;
        else
            max = b[i].count;
    }
    if (n < 2)
        return NAN;
    observations = b[n - 1].count;
    if (observations == 0)
        return NAN;
    rank = q * observations;
    /* the first bucket (of all but +Inf) whose count reaches the rank */
    lo = 0;
    hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (b[mid].count >= rank)
            hi = mid;
        else
            lo = mid + 1;
    }
    k = lo;
    if (k == n - 1)
        return b[n - 2].upper;
    if (k == 0 && b[0].upper <= 0)
        return b[0].upper;
    end = b[k].upper;
    count = b[k].count;
    if (k > 0) {
        start = b[k - 1].upper;
        count -= b[k - 1].count;
        rank -= b[k - 1].count;
    }
    return start + (end - start) * (rank / count);
}
