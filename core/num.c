/* core/num.c - shortest round-trip decimal digits laid out in fixed notation. Integers print
 * directly; otherwise 15 significant digits are tried first (any decimal of up to 15 digits
 * names one normal double only, so when they read back, trimmed of trailing zeros they are
 * the shortest form), then 16, then 17, which always read back.
 * SPDX-License-Identifier: MIT */
#include "num.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lays out the digits of a %.*e rendering e ([-]d[.ddd]e(+|-)xx) in fixed notation. */
static size_t vg_ftoa_fixed(const char *e, char *out)
{
    char digits[24];
    size_t nd = 0, o = 0;
    const char *p = e;
    int exp;

    if (*p == '-')
        out[o++] = *p++;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp >= 0) {
        for (int i = 0; i <= exp; i++)
            out[o++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)exp + 1 < nd) {
            out[o++] = '.';
            for (size_t i = (size_t)exp + 1; i < nd; i++)
                out[o++] = digits[i];
        }
    } else {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -exp - 1; i++)
            out[o++] = '0';
        for (size_t i = 0; i < nd; i++)
            out[o++] = digits[i];
    }
    out[o] = '\0';
    return o;
}

size_t vg_ftoa_go(double v, char *out)
{
    char e[40];

    if (isnan(v))
        return (size_t)sprintf(out, "NaN");
    if (isinf(v))
        return (size_t)sprintf(out, v > 0 ? "+Inf" : "-Inf");
    /* whole numbers below 2^53 (counters, most gauges): their digits, no search */
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        if (v == 0)
            return (size_t)sprintf(out, signbit(v) ? "-0" : "0");
        return (size_t)sprintf(out, "%lld", (long long)v);
    }
    /* subnormals carry fewer digits, so a shorter form may read back: search from 1 */
    for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(e, NULL) == v)
            break;
    }
    return vg_ftoa_fixed(e, out);
}

size_t vg_mstoa(int64_t ms, char *out)
{
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    unsigned frac = (unsigned)(a % 1000);
    size_t o = (size_t)sprintf(out, "%s%llu", ms < 0 ? "-" : "", (unsigned long long)(a / 1000));

    if (frac != 0) {
        o += (size_t)sprintf(out + o, ".%03u", frac);
        while (out[o - 1] == '0')
            out[--o] = '\0';
    }
    return o;
}
