/* tests/unit/store/test_chunk.c - the sample chunk codec: bit-exact round trips (staleness NaN,
 * -0.0, int64 extremes), truncated and corrupt chunks, a seeded property test, merge and sort,
 * and the bytes a sample costs for a 15 s counter and a gauge.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/batch.h"
#include "store/chunk.h"
#include "support/bits.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_MAX 1024

static double test_double(uint64_t u)
{
    double v;

    memcpy(&v, &u, sizeof v);
    return v;
}

/* splitmix64: a seeded generator, so a failure reproduces */
static uint64_t test_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* a uniform double in [0, 1) */
static double test_unit(uint64_t *state)
{
    return (double)(test_rand(state) >> 11) / 9007199254740992.0;
}

/* Fails unless got[0..ngot) equals want[0..nwant) bit for bit; what names the case. */
static void test_same_samples(const char *what, const store_sample_t *got, size_t ngot,
                              const store_sample_t *want, size_t nwant)
{
    for (size_t i = 0; i < ngot && i < nwant; i++) {
        if (got[i].t != want[i].t || test_bits(got[i].v) != test_bits(want[i].v))
            fail_msg("%s: sample %zu: got (%lld, %a = 0x%016llx), want (%lld, %a = 0x%016llx)",
                     what, i, (long long)got[i].t, got[i].v,
                     (unsigned long long)test_bits(got[i].v), (long long)want[i].t, want[i].v,
                     (unsigned long long)test_bits(want[i].v));
    }
    if (ngot != nwant)
        fail_msg("%s: got %zu samples, want %zu", what, ngot, nwant);
}

/* Decodes p[0..len) into out (room for TEST_MAX); returns the iterator's final result. */
static int test_decode(const unsigned char *p, size_t len, store_sample_t *out, size_t *n)
{
    store_chunk_iter_t it;
    int rc;

    *n = 0;
    store_chunk_iter_init(&it, p, len);
    while ((rc = store_chunk_iter_next(&it, &out[*n].t, &out[*n].v)) == 1) {
        if (++*n == TEST_MAX)
            fail_msg("decoder returned more than %d samples", TEST_MAX);
    }
    return rc;
}

/* Encodes s, checks that it decodes to s exactly, that the count reads back and that a buffer
 * one byte short is refused. Returns the encoded size. */
static size_t test_round_trip(const char *what, const store_sample_t *s, size_t n)
{
    size_t cap = store_chunk_bound(n), len, got_n, count;
    unsigned char *buf = malloc(cap);
    store_sample_t *got = malloc(TEST_MAX * sizeof *got);
    int rc;

    assert_non_null(buf);
    assert_non_null(got);
    len = store_chunk_encode(s, n, buf, cap);
    if (len == 0 || len > cap)
        fail_msg("%s: encode gave %zu bytes for cap %zu", what, len, cap);
    if ((rc = test_decode(buf, len, got, &got_n)) != 0)
        fail_msg("%s: decode ended with %d after %zu samples, want 0", what, rc, got_n);
    test_same_samples(what, got, got_n, s, n);
    if (store_chunk_count(buf, len, &count) != VG_OK || count != n)
        fail_msg("%s: store_chunk_count: got %zu, want %zu", what, count, n);
    free(buf);
    /* exactly len bytes is enough, one fewer is not; ASan watches the writes */
    buf = malloc(len);
    if (store_chunk_encode(s, n, buf, len) != len)
        fail_msg("%s: encode into exactly %zu bytes failed", what, len);
    free(buf);
    buf = malloc(len - 1 > 0 ? len - 1 : 1);
    if (store_chunk_encode(s, n, buf, len - 1) != 0)
        fail_msg("%s: encode into %zu bytes should give 0", what, len - 1);
    free(buf);
    free(got);
    return len;
}

/* ---- the cases: each fills s (room for TEST_MAX) and returns the count ---- */

static size_t test_gen_empty(store_sample_t *s)
{
    return 0;
}

static size_t test_gen_one(store_sample_t *s)
{
    s[0] = (store_sample_t){1700000000123, 42.5};
    return 1;
}

static size_t test_gen_two(store_sample_t *s)
{
    s[0] = (store_sample_t){-5, 1};
    s[1] = (store_sample_t){7, 1};
    return 2;
}

/* a counter scraped every 15 s with a few ms of jitter; rate about 40/s */
static size_t test_gen_counter_n(store_sample_t *s, size_t n)
{
    uint64_t seed = 15;
    double c = 183745;

    for (size_t i = 0; i < n; i++) {
        s[i].t = 1700000000000 + (int64_t)i * 15000 + (int64_t)(test_rand(&seed) % 7) - 3;
        s[i].v = c;
        c += (double)(500 + test_rand(&seed) % 200);
    }
    return n;
}

static size_t test_gen_counter(store_sample_t *s)
{
    return test_gen_counter_n(s, 120);
}

/* a slow counter (errors, restarts): exactly 15 s apart, +0..3 a scrape */
static size_t test_gen_slow_counter_n(store_sample_t *s, size_t n)
{
    uint64_t seed = 3;
    double c = 17;

    for (size_t i = 0; i < n; i++) {
        s[i] = (store_sample_t){1700000000000 + (int64_t)i * 15000, c};
        c += (double)(test_rand(&seed) % 4);
    }
    return n;
}

static size_t test_gen_constant(store_sample_t *s)
{
    for (size_t i = 0; i < 120; i++)
        s[i] = (store_sample_t){1700000000000 + (int64_t)i * 10000, 1};
    return 120;
}

/* a gauge: a random walk of full-precision doubles */
static size_t test_gen_walk_n(store_sample_t *s, size_t n)
{
    uint64_t seed = 99;
    double v = 20.0;

    for (size_t i = 0; i < n; i++) {
        s[i].t = 1700000000000 + (int64_t)i * 15000;
        s[i].v = v;
        v += test_unit(&seed) - 0.5;
    }
    return n;
}

static size_t test_gen_walk(store_sample_t *s)
{
    return test_gen_walk_n(s, 120);
}

static size_t test_gen_specials(store_sample_t *s)
{
    static const uint64_t bits[] = {
        ING_STALE_BITS,        0x7ff8000000000000ull, /* the usual quiet NaN */
        ING_STALE_BITS,        0xfff8000000000000ull, /* -NaN */
        0x7ff0000000000001ull,                        /* signalling NaN */
        0x7fffffffffffffffull, 0x8000000000000000ull, /* -0.0 */
        0x0000000000000000ull, 0x8000000000000000ull, 0x7ff0000000000000ull, /* +Inf */
        0xfff0000000000000ull,                                               /* -Inf */
        0x0000000000000001ull, /* the smallest denormal */
        0x000fffffffffffffull, /* the largest denormal */
        0x0010000000000000ull, /* DBL_MIN */
        0x7fefffffffffffffull, /* DBL_MAX */
        0xffefffffffffffffull, /* -DBL_MAX */
        ING_STALE_BITS,        ING_STALE_BITS,        0x3ff0000000000000ull, /* 1.0 */
        ING_STALE_BITS,
    };
    size_t n = sizeof bits / sizeof bits[0];

    for (size_t i = 0; i < n; i++)
        s[i] = (store_sample_t){1000 * (int64_t)i, test_double(bits[i])};
    return n;
}

static size_t test_gen_negative(store_sample_t *s)
{
    for (size_t i = 0; i < 100; i++)
        s[i] = (store_sample_t){-1700000000000 + (int64_t)i * 15000 - (int64_t)(i % 3), -(double)i};
    s[100] = (store_sample_t){-1, 0};
    s[101] = (store_sample_t){0, 0};
    s[102] = (store_sample_t){1, 0};
    return 103;
}

/* 1970 to 2024 and back to small steps: deltas of decades, deltas-of-deltas near 2^41 */
static size_t test_gen_decades(store_sample_t *s)
{
    static const int64_t ts[] = {0,
                                 1,
                                 15001,
                                 30001,
                                 1704067200000, /* 2024-01-01 */
                                 1704067215000,
                                 1704067230000,
                                 1704067230001,
                                 1704067230002,
                                 4102444800000, /* 2100 */
                                 4102444800001};

    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        s[i] = (store_sample_t){ts[i], (double)i};
    return sizeof ts / sizeof ts[0];
}

/* every bucket edge and the int64 extremes, where deltas and their differences overflow int64 */
static size_t test_gen_extremes(store_sample_t *s)
{
    static const int64_t ts[] = {INT64_MIN,
                                 INT64_MIN + 1,
                                 INT64_MIN + 2,
                                 -4611686018427387904, /* -2^62 */
                                 -1,
                                 0,
                                 1,
                                 4611686018427387904,
                                 INT64_MAX - 2,
                                 INT64_MAX - 1,
                                 INT64_MAX};
    size_t n = sizeof ts / sizeof ts[0];

    for (size_t i = 0; i < n; i++)
        s[i] = (store_sample_t){ts[i], (double)i};
    return n;
}

static size_t test_gen_min_max(store_sample_t *s)
{
    s[0] = (store_sample_t){INT64_MIN, 0};
    s[1] = (store_sample_t){INT64_MAX, 1}; /* delta 2^64 - 1 */
    return 2;
}

static size_t test_gen_min1_max(store_sample_t *s)
{
    s[0] = (store_sample_t){INT64_MIN + 1, 0};
    s[1] = (store_sample_t){INT64_MIN + 2, 0};
    s[2] = (store_sample_t){INT64_MAX, 0}; /* dod 2^64 - 4: -4 as int64 */
    return 3;
}

/* deltas-of-deltas at each bucket edge, both signs */
static size_t test_gen_buckets(store_sample_t *s)
{
    static const int64_t dods[] = {0,
                                   1,
                                   -1,
                                   63,
                                   -64,
                                   64,
                                   -65,
                                   8191,
                                   -8192,
                                   8192,
                                   -8193,
                                   524287,
                                   -524288,
                                   524288,
                                   -524289,
                                   2147483647,
                                   -2147483647 - 1,
                                   2147483648,
                                   -2147483649,
                                   1000000000000000};
    int64_t t = 0, d = 3000000000000000; /* large, so every negative dod keeps t increasing */
    size_t n = 0;

    s[n++] = (store_sample_t){t, 0};
    for (size_t i = 0; i < sizeof dods / sizeof dods[0]; i++) {
        d += dods[i];
        t += d;
        s[n++] = (store_sample_t){t, (double)i};
    }
    return n;
}

static size_t test_gen_240(store_sample_t *s)
{
    uint64_t seed = 240;

    for (size_t i = 0; i < 240; i++) {
        s[i].t = 1600000000000 + (int64_t)i * 30000 + (int64_t)(test_rand(&seed) % 50);
        s[i].v = (double)(test_rand(&seed) % 1000) / 10;
    }
    return 240;
}

/* XOR windows that widen, narrow, and sit at the 31-leading-zero cap and 64 significant bits */
static size_t test_gen_windows(store_sample_t *s)
{
    static const uint64_t bits[] = {0x0,
                                    0x1,
                                    0x3,
                                    0x8000000000000001ull,
                                    0x8000000000000000ull,
                                    0xffffffffffffffffull,
                                    0x0,
                                    0x0000000100000000ull,
                                    0x0000000300000000ull,
                                    0x0000000100000000ull,
                                    0x00000000ffffffffull,
                                    0x4000000000000000ull,
                                    0x4000000000000001ull};
    size_t n = sizeof bits / sizeof bits[0];

    for (size_t i = 0; i < n; i++)
        s[i] = (store_sample_t){(int64_t)i, test_double(bits[i])};
    return n;
}

static const struct {
    const char *name;
    size_t (*gen)(store_sample_t *s);
} test_cases[] = {
    {"empty", test_gen_empty},
    {"one sample", test_gen_one},
    {"two samples", test_gen_two},
    {"15 s counter", test_gen_counter},
    {"constant", test_gen_constant},
    {"random walk", test_gen_walk},
    {"NaNs, stale, -0, Inf, denormals, DBL_MAX", test_gen_specials},
    {"negative timestamps", test_gen_negative},
    {"1970 to 2100", test_gen_decades},
    {"int64 extremes", test_gen_extremes},
    {"INT64_MIN to INT64_MAX", test_gen_min_max},
    {"INT64_MIN+1 to INT64_MAX", test_gen_min1_max},
    {"dod bucket edges", test_gen_buckets},
    {"240 samples", test_gen_240},
    {"XOR windows", test_gen_windows},
};

static void test_chunk_round_trips(void **state)
{
    store_sample_t *s = malloc(TEST_MAX * sizeof *s);

    assert_non_null(s);
    for (size_t i = 0; i < sizeof test_cases / sizeof test_cases[0]; i++) {
        char what[128];
        size_t n = test_cases[i].gen(s);

        snprintf(what, sizeof what, "case %zu \"%s\"", i, test_cases[i].name);
        test_round_trip(what, s, n);
    }
    free(s);
}

/* Every prefix of a valid chunk gives the samples up to the cut, then VG_EINVAL; so does a chunk
 * with a byte too many. */
static void test_chunk_truncated(void **state)
{
    store_sample_t *s = malloc(TEST_MAX * sizeof *s), *got = malloc(TEST_MAX * sizeof *got);

    assert_non_null(s);
    assert_non_null(got);
    for (size_t c = 0; c < sizeof test_cases / sizeof test_cases[0]; c++) {
        size_t n = test_cases[c].gen(s), cap = store_chunk_bound(n) + 1, len, got_n, count;
        unsigned char *buf = malloc(cap), *cut;
        int rc;

        len = store_chunk_encode(s, n, buf, cap);
        assert_true(len > 0);
        for (size_t l = 0; l < len; l++) {
            char what[160];

            /* a copy of exactly l bytes, so ASan sees any read past the cut */
            cut = malloc(l > 0 ? l : 1);
            memcpy(cut, buf, l);
            snprintf(what, sizeof what, "case %zu \"%s\" cut at %zu of %zu", c, test_cases[c].name,
                     l, len);
            rc = test_decode(cut, l, got, &got_n);
            if (rc != VG_EINVAL)
                fail_msg("%s: got %d after %zu samples, want VG_EINVAL", what, rc, got_n);
            if (got_n > n)
                fail_msg("%s: got %zu samples, want at most %zu", what, got_n, n);
            test_same_samples(what, got, got_n, s, got_n);
            if (store_chunk_count(cut, l, &count) == VG_OK && count != n)
                fail_msg("%s: store_chunk_count: got %zu, want %zu or VG_EINVAL", what, count, n);
            free(cut);
        }
        buf[len] = 0;
        if ((rc = test_decode(buf, len + 1, got, &got_n)) != VG_EINVAL)
            fail_msg("case %zu \"%s\" with a trailing byte: got %d, want VG_EINVAL", c,
                     test_cases[c].name, rc);
        if (store_chunk_count(buf, len + 1, &count) == VG_OK && n <= 1)
            fail_msg("case %zu \"%s\" with a trailing byte: count accepted it", c,
                     test_cases[c].name);
        free(buf);
    }
    free(s);
    free(got);
}

static void test_chunk_corrupt(void **state)
{
    static const struct {
        const char *name;
        unsigned char b[24];
        size_t len;
        size_t want_ok; /* samples returned before VG_EINVAL */
    } cases[] = {
        {"nothing", {0}, 0, 0},
        {"version 0", {0, 0}, 2, 0},
        {"version 2", {2, 0}, 2, 0},
        {"count not in shortest form", {1, 0x80, 0}, 3, 0},
        {"count over 64 bits",
         {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
         11,
         0},
        {"count larger than the bytes can hold",
         {1, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
         13,
         0},
        {"one sample, value cut", {1, 1, 0, 0, 0, 0}, 6, 0},
        {"empty chunk with a byte more", {1, 0, 0}, 3, 0},
        /* two samples, delta 0: not increasing */
        {"repeated timestamp", {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00}, 13, 1},
        /* delta 1 then value '10': reuse of a window that does not exist */
        {"window reuse before any window", {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x80}, 13, 1},
        /* delta 1, value '0', padding 0x7f not zero */
        {"padding bits set", {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7f}, 13, 2},
        /* delta 1, value '11' + L 31 + m 61: 92 bits wide */
        {"window wider than 64 bits",
         {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0xe8, 0, 0, 0, 0, 0, 0},
         20,
         1},
        /* delta 1 as 0x81 0x00, a second group of 0; value '0' */
        {"delta not in shortest form", {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x00, 0x00}, 14, 1},
        /* t0 = INT64_MAX (zigzag 2^64 - 2), delta 1 wraps to INT64_MIN */
        {"timestamp wraps past INT64_MAX",
         {1,    2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0x01, 0, 0,    0,    0,    0,    0,    0,    0,    0x01, 0x00},
         22,
         1},
    };
    store_sample_t got[4];
    store_chunk_iter_t it;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 0;
        int rc;

        store_chunk_iter_init(&it, cases[i].b, cases[i].len);
        while (n < 4 && (rc = store_chunk_iter_next(&it, &got[n].t, &got[n].v)) == 1)
            n++;
        if (rc != VG_EINVAL || n != cases[i].want_ok)
            fail_msg("case %zu \"%s\": got %d after %zu samples, want VG_EINVAL after %zu", i,
                     cases[i].name, rc, n, cases[i].want_ok);
        if ((rc = store_chunk_iter_next(&it, &got[0].t, &got[0].v)) != VG_EINVAL)
            fail_msg("case %zu \"%s\": after the error got %d, want VG_EINVAL again", i,
                     cases[i].name, rc);
    }
}

/* After the end the iterator keeps saying 0; the count of a valid chunk needs only its header. */
static void test_chunk_iter_end_is_sticky(void **state)
{
    store_sample_t s[2] = {{1, 1}, {2, 2}};
    unsigned char buf[64];
    size_t len = store_chunk_encode(s, 2, buf, sizeof buf), n = 0;
    store_chunk_iter_t it;
    int64_t t;
    double v;

    assert_true(len > 0);
    store_chunk_iter_init(&it, buf, len);
    assert_int_equal(store_chunk_iter_next(&it, &t, &v), 1);
    assert_int_equal(store_chunk_iter_next(&it, &t, &v), 1);
    assert_int_equal(store_chunk_iter_next(&it, &t, &v), 0);
    assert_int_equal(store_chunk_iter_next(&it, &t, &v), 0);
    assert_int_equal(store_chunk_count(buf, len, &n), VG_OK);
    assert_int_equal(n, 2);
}

/* random samples, sorted and deduplicated, encode and decode to themselves */
static void test_chunk_property(void **state)
{
    store_sample_t *s = malloc(TEST_MAX * sizeof *s), *got = malloc(TEST_MAX * sizeof *got);
    uint64_t seed = 20240601;

    assert_non_null(s);
    assert_non_null(got);
    for (int iter = 0; iter < 2000; iter++) {
        size_t n = (size_t)(test_rand(&seed) % 300), len, got_n;
        unsigned tmode = (unsigned)(test_rand(&seed) % 4), vmode;
        int64_t t = (int64_t)test_rand(&seed);
        double walk = 0;
        char what[64];
        unsigned char *buf;
        int rc;

        if (tmode != 3)
            t /= 4; /* room to grow */
        for (size_t i = 0; i < n; i++) {
            vmode = (unsigned)(test_rand(&seed) % 5);
            switch (tmode) {
            case 0: /* regular with jitter */
                t += 15000 + (int64_t)(test_rand(&seed) % 21) - 10;
                s[i].t = t;
                break;
            case 1: /* anything from 1 ms to about 12 days apart */
                t += 1 + (int64_t)(test_rand(&seed) >> (20 + test_rand(&seed) % 44));
                s[i].t = t;
                break;
            default: /* anywhere at all: sorted below */
                s[i].t = (int64_t)test_rand(&seed);
                break;
            }
            switch (vmode) {
            case 0:
                s[i].v = test_double(test_rand(&seed));
                break;
            case 1:
                walk += test_unit(&seed) - 0.5;
                s[i].v = walk;
                break;
            case 2:
                s[i].v = i > 0 ? s[i - 1].v : 0;
                break;
            case 3:
                s[i].v = (double)(test_rand(&seed) % 100);
                break;
            default:
                s[i].v = test_double(ING_STALE_BITS);
                break;
            }
        }
        if (tmode == 3 && n > 2)
            s[1].t = s[0].t; /* a duplicate for the sort to drop */
        n = store_chunk_sort(s, n);
        for (size_t i = 1; i < n; i++)
            if (s[i].t <= s[i - 1].t)
                fail_msg("iteration %d: sort left %lld before %lld at %zu", iter,
                         (long long)s[i - 1].t, (long long)s[i].t, i);
        buf = malloc(store_chunk_bound(n));
        len = store_chunk_encode(s, n, buf, store_chunk_bound(n));
        snprintf(what, sizeof what, "iteration %d (n %zu, tmode %u)", iter, n, tmode);
        if (len == 0)
            fail_msg("%s: encode failed", what);
        if ((rc = test_decode(buf, len, got, &got_n)) != 0)
            fail_msg("%s: decode ended with %d after %zu samples", what, rc, got_n);
        test_same_samples(what, got, got_n, s, n);
        /* appending the tail to a chunk of the head gives the bytes of one encoding */
        for (size_t cut = 1; n > 1 && cut < n; cut += 1 + cut / 3) {
            size_t cap = store_chunk_bound(n), hl, al;
            unsigned char *head = malloc(store_chunk_bound(cut)), *app = malloc(cap);

            hl = store_chunk_encode(s, cut, head, store_chunk_bound(cut));
            al = store_chunk_append(head, hl, s + cut, n - cut, app, cap);
            if (al != len || memcmp(app, buf, len) != 0)
                fail_msg("%s: appending %zu to %zu samples differs from one encoding", what,
                         n - cut, cut);
            /* a sample not after the chunk's last one is refused */
            if (store_chunk_append(head, hl, s + cut - 1, 1, app, cap) != 0)
                fail_msg("%s: appended a sample that is not after the chunk", what);
            free(head);
            free(app);
        }
        free(buf);
    }
    free(s);
    free(got);
}

static void test_chunk_merge_replaces(void **state)
{
    static const struct {
        const char *name;
        store_sample_t a[6], b[6], want[10];
        size_t na, nb, nwant;
    } cases[] = {
        {"both empty", {{0}}, {{0}}, {{0}}, 0, 0, 0},
        {"a only", {{1, 1}, {2, 2}}, {{0}}, {{1, 1}, {2, 2}}, 2, 0, 2},
        {"b only", {{0}}, {{1, 1}, {2, 2}}, {{1, 1}, {2, 2}}, 0, 2, 2},
        {"b after a", {{1, 1}, {2, 2}}, {{3, 3}}, {{1, 1}, {2, 2}, {3, 3}}, 2, 1, 3},
        {"b before a", {{5, 5}}, {{-3, -3}, {1, 1}}, {{-3, -3}, {1, 1}, {5, 5}}, 1, 2, 3},
        {"interleaved",
         {{1, 1}, {3, 3}, {5, 5}},
         {{2, 20}, {4, 40}, {6, 60}},
         {{1, 1}, {2, 20}, {3, 3}, {4, 40}, {5, 5}, {6, 60}},
         3,
         3,
         6},
        {"overlap: b replaces a on equal t",
         {{1, 1}, {2, 2}, {3, 3}, {4, 4}},
         {{2, 200}, {3, 300}, {7, 700}},
         {{1, 1}, {2, 200}, {3, 300}, {4, 4}, {7, 700}},
         4,
         3,
         5},
        {"b duplicates: the last wins",
         {{1, 1}, {2, 2}},
         {{2, 20}, {2, 21}, {2, 22}, {5, 50}, {5, 51}},
         {{1, 1}, {2, 22}, {5, 51}},
         2,
         5,
         3},
        {"a duplicates: the last wins unless b has the time",
         {{1, 1}, {1, 2}, {3, 3}, {3, 4}},
         {{3, 30}},
         {{1, 2}, {3, 30}},
         4,
         1,
         2},
        {"identical runs", {{1, 1}, {2, 2}}, {{1, 10}, {2, 20}}, {{1, 10}, {2, 20}}, 2, 2, 2},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        store_sample_t out[12];
        size_t n = store_chunk_merge(cases[i].a, cases[i].na, cases[i].b, cases[i].nb, out);
        char what[96];

        snprintf(what, sizeof what, "case %zu \"%s\"", i, cases[i].name);
        test_same_samples(what, out, n, cases[i].want, cases[i].nwant);
    }
    /* stale markers and -0.0 replace bit for bit */
    {
        store_sample_t a[] = {{1, 1}, {2, 2}}, b[] = {{1, -0.0}, {2, test_double(ING_STALE_BITS)}};
        store_sample_t out[4];
        size_t n = store_chunk_merge(a, 2, b, 2, out);

        test_same_samples("stale replaces", out, n, b, 2);
    }
}

static int test_cmp_ref(const void *x, const void *y)
{
    const store_sample_t *a = x, *b = y;

    return (a->t > b->t) - (a->t < b->t);
}

static void test_chunk_sort_dedupes(void **state)
{
    static const struct {
        const char *name;
        store_sample_t in[8], want[8];
        size_t n, nwant;
    } cases[] = {
        {"empty", {{0}}, {{0}}, 0, 0},
        {"sorted", {{1, 1}, {2, 2}}, {{1, 1}, {2, 2}}, 2, 2},
        {"reversed", {{3, 3}, {2, 2}, {1, 1}}, {{1, 1}, {2, 2}, {3, 3}}, 3, 3},
        {"sorted with duplicates", {{1, 1}, {1, 2}, {2, 3}, {2, 4}}, {{1, 2}, {2, 4}}, 4, 2},
        {"unsorted, the last write wins",
         {{5, 1}, {1, 1}, {5, 2}, {-1, 0}, {1, 7}, {5, 3}},
         {{-1, 0}, {1, 7}, {5, 3}},
         6,
         3},
    };
    store_sample_t *s = malloc(TEST_MAX * sizeof *s), *want = malloc(TEST_MAX * sizeof *want);
    uint64_t seed = 7;

    assert_non_null(s);
    assert_non_null(want);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[96];
        size_t n;

        memcpy(s, cases[i].in, sizeof cases[i].in);
        n = store_chunk_sort(s, cases[i].n);
        snprintf(what, sizeof what, "case %zu \"%s\"", i, cases[i].name);
        test_same_samples(what, s, n, cases[i].want, cases[i].nwant);
    }
    /* long arrays take the merge sort: compare with a reference that tags each sample's index in
     * its value, so "last wins" is checkable */
    for (int iter = 0; iter < 50; iter++) {
        size_t n = 33 + (size_t)(test_rand(&seed) % 900), nwant = 0, got;
        char what[64];

        for (size_t i = 0; i < n; i++)
            s[i] = (store_sample_t){(int64_t)(test_rand(&seed) % (n / 2 + 1)), (double)i};
        memcpy(want, s, n * sizeof *s);
        qsort(want, n, sizeof *want, test_cmp_ref);
        for (size_t i = 0; i < n; i++) {
            if (nwant > 0 && want[nwant - 1].t == want[i].t) {
                if (want[i].v > want[nwant - 1].v)
                    want[nwant - 1] = want[i];
            } else {
                want[nwant++] = want[i];
            }
        }
        got = store_chunk_sort(s, n);
        snprintf(what, sizeof what, "random sort %d (n %zu)", iter, n);
        test_same_samples(what, s, got, want, nwant);
    }
    free(s);
    free(want);
}

/* The compression the format is for: prints bytes a sample and holds them under a ceiling. */
static void test_chunk_compression(void **state)
{
    static const struct {
        const char *name;
        size_t (*gen)(store_sample_t *s, size_t n);
        double max_bps;
    } cases[] = {
        {"busy counter, 15 s +-3 ms, +500..699 a scrape", test_gen_counter_n, 3.75},
        {"slow counter, 15 s, +0..3 a scrape", test_gen_slow_counter_n, 1.5},
        {"gauge, random walk of full-precision doubles", test_gen_walk_n, 7.25},
    };
    store_sample_t *s = malloc(TEST_MAX * sizeof *s);

    assert_non_null(s);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = cases[i].gen(s, 120), len = test_round_trip(cases[i].name, s, n);
        double bps = (double)len / (double)n;

        print_message("chunk: %s: %zu samples in %zu bytes, %.2f bytes a sample\n", cases[i].name,
                      n, len, bps);
        if (bps > cases[i].max_bps)
            fail_msg("case %zu \"%s\": got %.2f bytes a sample, want at most %.2f", i,
                     cases[i].name, bps, cases[i].max_bps);
    }
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_round_trips),  cmocka_unit_test(test_chunk_truncated),
        cmocka_unit_test(test_chunk_corrupt),      cmocka_unit_test(test_chunk_iter_end_is_sticky),
        cmocka_unit_test(test_chunk_property),     cmocka_unit_test(test_chunk_merge_replaces),
        cmocka_unit_test(test_chunk_sort_dedupes), cmocka_unit_test(test_chunk_compression),
    };

    return cmocka_run_group_tests_name("store/chunk", tests, NULL, NULL);
}
