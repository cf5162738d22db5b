/* core/time.c - clocks and RFC 3339 parsing/formatting, without locale or TZ dependence.
 * SPDX-License-Identifier: MIT */
#include "time.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t vg_now_ms(void)
{
    const char *fake = getenv("VIGIL_FAKE_NOW");
    struct timespec ts;
    int64_t ms;

    if (fake != NULL && *fake != '\0' && vg_rfc3339_parse(fake, &ms) == 0)
        return ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vg_now_ns(void)
{
    const char *fake = getenv("VIGIL_FAKE_NOW");
    struct timespec ts;
    int64_t ms;

    if (fake != NULL && *fake != '\0' && vg_rfc3339_parse(fake, &ms) == 0)
        return ms * 1000000;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int vg_time_parse(const char *s, int64_t *ms)
{
    char *end;
    double f;

    errno = 0;
    f = strtod(s, &end);
    if (end != s && *end == '\0' && errno == 0 && isfinite(f) && fabs(f) < 9.2e15) {
        /* seconds with the fraction rounded to milliseconds, as Prometheus's parseTime does */
        double whole, frac = modf(f, &whole);

        *ms = (int64_t)whole * 1000 + (int64_t)llround(frac * 1000);
        return 0;
    }
    return vg_rfc3339_parse(s, ms);
}

/* Prometheus's duration units, largest first. */
static const struct {
    const char *unit;
    int64_t ms;
} vg_duration_units[] = {{"y", 365LL * 24 * 3600 * 1000},
                         {"w", 7LL * 24 * 3600 * 1000},
                         {"d", 24LL * 3600 * 1000},
                         {"h", 3600LL * 1000},
                         {"m", 60LL * 1000},
                         {"s", 1000},
                         {"ms", 1}};
#define VG_NUNITS (sizeof vg_duration_units / sizeof vg_duration_units[0])

int vg_duration_parse(const char *s, int64_t *ms)
{
    size_t next = 0; /* units must come largest first, each once */
    int64_t total = 0;

    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    if (*s == '\0')
        return -1;
    while (*s) {
        uint64_t n = 0;
        size_t u, len;

        if (!isdigit((unsigned char)*s))
            return -1;
        for (; isdigit((unsigned char)*s); s++) {
            if (n > (UINT64_MAX - 9) / 10)
                return -1;
            n = n * 10 + (uint64_t)(*s - '0');
        }
        /* "ms" before "m": the longest unit that matches here */
        for (u = next; u < VG_NUNITS; u++) {
            len = strlen(vg_duration_units[u].unit);
            if (strncmp(s, vg_duration_units[u].unit, len) == 0 && !(u == 4 && s[1] == 's'))
                break;
        }
        if (u == VG_NUNITS)
            return -1;
        if (n > (uint64_t)(INT64_MAX - total) / (uint64_t)vg_duration_units[u].ms)
            return -1;
        total += (int64_t)n * vg_duration_units[u].ms;
        s += len;
        next = u + 1;
    }
    *ms = total;
    return 0;
}

void vg_duration_format(int64_t ms, char *out, size_t n)
{
    size_t o = 0;

    if (n == 0)
        return;
    out[0] = '\0';
    if (ms == 0) {
        snprintf(out, n, "0s");
        return;
    }
    if (ms < 0) { /* not a model.Duration, but printable */
        o += (size_t)snprintf(out, n, "-");
        ms = -ms;
    }
    for (size_t u = 0; u < VG_NUNITS && o < n; u++) {
        /* weeks and years only when they divide the whole duration, as Prometheus prints */
        if ((u == 0 || u == 1) && ms % vg_duration_units[u].ms != 0)
            continue;
        if (ms >= vg_duration_units[u].ms) {
            o += (size_t)snprintf(out + o, n - o, "%lld%s",
                                  (long long)(ms / vg_duration_units[u].ms),
                                  vg_duration_units[u].unit);
            ms %= vg_duration_units[u].ms;
        }
    }
}

int64_t vg_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t vg_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

static int vg_digits(const char **s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

int vg_rfc3339_parse(const char *s, int64_t *ms)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, frac_ms = 0;
    int64_t off_s = 0;

    if (vg_digits(&s, 4, &y) || *s++ != '-' || vg_digits(&s, 2, &mo) || *s++ != '-' ||
        vg_digits(&s, 2, &d))
        return -1;
    if (*s != 'T' && *s != 't' && *s != ' ')
        return -1;
    s++;
    if (vg_digits(&s, 2, &h) || *s++ != ':' || vg_digits(&s, 2, &mi) || *s++ != ':' ||
        vg_digits(&s, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    if (*s == '.') {
        int n = 0;

        s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        for (; isdigit((unsigned char)*s); s++, n++)
            if (n < 3)
                frac_ms = frac_ms * 10 + (*s - '0');
        for (; n < 3; n++)
            frac_ms *= 10;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;

        if (vg_digits(&s, 2, &oh) || *s++ != ':' || vg_digits(&s, 2, &om) || oh > 23 || om > 59)
            return -1;
        off_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*s != '\0')
        return -1;
    *ms = ((vg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (sec > 59 ? 59 : sec)) -
           off_s) *
              1000 +
          frac_ms;
    return 0;
}

void vg_rfc3339_format(int64_t ms, char *out, size_t n)
{
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - s * 1000);
    time_t t = (time_t)s;
    struct tm tm;

    gmtime_r(&t, &tm);
    if (frac)
        snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    else
        snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
