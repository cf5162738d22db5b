/* core/num.c - shortest round-trip decimal digits (the first %.*e precision that strtod reads
 * back exactly), laid out in fixed notation.
 * SPDX-License-Identifier: MIT */
#include "num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t vg_ftoa_go(double v, char *out)
{
    char e[40], digits[24];
    size_t nd = 0, o = 0;
    const char *p;
    int exp;

    if (isnan(v))
        return (size_t)sprintf(out, "NaN");
    if (isinf(v))
        return (size_t)sprintf(out, v > 0 ? "+Inf" : "-Inf");
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is [-]d[.ddd]e(+|-)xx */
    p = e;
    if (*p == '-')
        out[o++] = *p++;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') /* %.*e may pad: 1.0e+00 when prec was 2 */
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
