/* tests/support/bits.h - floats compared bitwise: cmocka 1.1.5's assert_float_equal casts to
 * float, and samples must keep NaN payloads, the stale marker and -0 distinct.
 * SPDX-License-Identifier: MIT */
#ifndef TEST_BITS_H
#define TEST_BITS_H

#include <stdint.h>
#include <string.h>

/* The bit pattern of v. */
static inline uint64_t test_bits(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    return u;
}

#endif
