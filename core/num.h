/* core/num.h - number formatting as the upstream APIs print numbers: Go's
 * strconv.FormatFloat(v, 'f', -1, 64), the shortest decimal that reads back as the same double,
 * without an exponent (Prometheus's sample values and timestamps in JSON).
 * SPDX-License-Identifier: MIT */
#ifndef VG_NUM_H
#define VG_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Room for any double in this form: 5e-324 needs 326 characters. */
#define VG_FTOA_MAX 352

/* Writes v into out (at least VG_FTOA_MAX bytes): "NaN", "+Inf", "-Inf", "-0", "0.1", "1e+21"
 * as "1000000000000000000000". Returns the length. */
size_t vg_ftoa_go(double v, char *out);

/* Writes ms milliseconds as seconds the way vg_ftoa_go(ms / 1000.0) does ("1435781451.781",
 * "60", "-1.5"), straight from the integer. Returns the length; out needs 32 bytes. */
size_t vg_mstoa(int64_t ms, char *out);

#endif
