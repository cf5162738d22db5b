/* tests/fuzz/fuzz_chunk.c - libFuzzer target for the sample chunk codec. The input is decoded as
 * a chunk (never a crash or a read past its end; what decodes re-encodes to itself), then read as
 * a recipe for samples that must merge like a stable sort and round-trip bit for bit, also after
 * a cut or a flipped bit.
 * SPDX-License-Identifier: MIT */
#include "store/chunk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHUNK_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t n, i;
} fuzz_chunk_rd_t;

typedef struct {
    store_sample_t s;
    size_t idx;
} fuzz_chunk_tagged_t;

static uint64_t fuzz_chunk_bits(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    return u;
}

static double fuzz_chunk_double(uint64_t u)
{
    double v;

    memcpy(&v, &u, sizeof v);
    return v;
}

/* the next nbytes (0..8) big-endian, 0 once the input runs out */
static uint64_t fuzz_chunk_take(fuzz_chunk_rd_t *r, unsigned nbytes)
{
    uint64_t v = 0;

    for (unsigned k = 0; k < nbytes; k++)
        v = (v << 8) | (r->i < r->n ? r->p[r->i++] : 0);
    return v;
}

static void fuzz_chunk_same(const store_sample_t *a, const store_sample_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].t != b[i].t || fuzz_chunk_bits(a[i].v) != fuzz_chunk_bits(b[i].v))
            abort();
}

/* Decodes p[0..len) into out (room for max); returns the final result, *n the samples. Checks
 * what every decode must give: increasing timestamps and a count that agrees with the header. */
static int fuzz_chunk_decode(const unsigned char *p, size_t len, store_sample_t *out, size_t max,
                             size_t *n)
{
    store_chunk_iter_t it;
    store_sample_t s;
    size_t count = 0;
    int have_count = store_chunk_count(p, len, &count) == VG_OK, rc;
    int64_t prev = 0;

    *n = 0;
    store_chunk_iter_init(&it, p, len);
    while ((rc = store_chunk_iter_next(&it, &s.t, &s.v)) == 1) {
        if (*n > 0 && s.t <= prev)
            abort();
        prev = s.t;
        if (*n < max)
            out[*n] = s;
        ++*n;
    }
    if (rc != 0 && rc != VG_EINVAL)
        abort();
    if (store_chunk_iter_next(&it, &s.t, &s.v) != rc)
        abort(); /* the end and an error are sticky */
    if (rc == 0 && (!have_count || count != *n))
        abort();
    if (have_count && *n > count)
        abort();
    return rc;
}

static int fuzz_chunk_cmp(const void *x, const void *y)
{
    const fuzz_chunk_tagged_t *a = x, *b = y;

    if (a->s.t != b->s.t)
        return a->s.t < b->s.t ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Sorts s[0..n) by t, stably, keeping duplicates: a run as a write batch may hold it. */
static void fuzz_chunk_stable_sort(store_sample_t *s, size_t n)
{
    fuzz_chunk_tagged_t *tag = malloc((n > 0 ? n : 1) * sizeof *tag);

    for (size_t i = 0; i < n; i++)
        tag[i] = (fuzz_chunk_tagged_t){s[i], i};
    qsort(tag, n, sizeof *tag, fuzz_chunk_cmp);
    for (size_t i = 0; i < n; i++)
        s[i] = tag[i].s;
    free(tag);
}

/* Samples from the input: each starts with a selector byte that says how its timestamp and value
 * are made from the bytes after it. */
static size_t fuzz_chunk_recipe(fuzz_chunk_rd_t *r, store_sample_t *g)
{
    static const uint64_t special[] = {
        0x7ff0000000000002ull, 0x7ff8000000000000ull, 0xfff8000000000000ull, 0x8000000000000000ull,
        0x0000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull, 0x0000000000000001ull,
        0x7fefffffffffffffull, 0x3ff0000000000000ull};
    uint64_t t = fuzz_chunk_take(r, 8), v = 0;
    size_t n = 0;

    while (r->i < r->n && n < FUZZ_CHUNK_MAX) {
        unsigned sel = (unsigned)fuzz_chunk_take(r, 1);

        switch (sel & 3) {
        case 0:
            t += 1 + fuzz_chunk_take(r, 1);
            break;
        case 1:
            t += fuzz_chunk_take(r, 2); /* 0 makes a duplicate */
            break;
        case 2:
            t += fuzz_chunk_take(r, 1 + (sel >> 2) % 8); /* may wrap: sorted later */
            break;
        default:
            t = fuzz_chunk_take(r, 8);
            break;
        }
        switch ((sel >> 5) & 7) {
        case 0:
            v = fuzz_chunk_take(r, 8);
            break;
        case 1:
            v = special[fuzz_chunk_take(r, 1) % (sizeof special / sizeof special[0])];
            break;
        case 2:
            break; /* the same bits again */
        case 3:
            v = fuzz_chunk_bits(fuzz_chunk_double(v) + (double)fuzz_chunk_take(r, 1));
            break;
        case 4:
            v ^= UINT64_C(1) << (fuzz_chunk_take(r, 1) % 64);
            break;
        case 5:
            v = fuzz_chunk_bits((double)fuzz_chunk_take(r, 2));
            break;
        case 6:
            v ^= fuzz_chunk_take(r, 2) << (fuzz_chunk_take(r, 1) % 49);
            break;
        default:
            v ^= UINT64_C(0x8000000000000000);
            break;
        }
        /* uint64 to int64 without implementation-defined conversion */
        g[n].t = t <= (uint64_t)INT64_MAX ? (int64_t)t : -(int64_t)~t - 1;
        g[n].v = fuzz_chunk_double(v);
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store_sample_t *g = malloc(FUZZ_CHUNK_MAX * sizeof *g),
                   *got = malloc(2 * FUZZ_CHUNK_MAX * sizeof *got);
    store_sample_t *a, *b, *ref, *m;
    fuzz_chunk_rd_t r = {data, size, 0};
    unsigned char *buf, *cut, *enc;
    size_t n, na, nb, nm, nref, cap, len, got_n, k;

    /* 1. the input as a chunk; what decodes must re-encode and decode to the same samples */
    if (fuzz_chunk_decode(data, size, got, FUZZ_CHUNK_MAX, &got_n) == 0 &&
        got_n <= FUZZ_CHUNK_MAX) {
        cap = store_chunk_bound(got_n);
        enc = malloc(cap);
        len = store_chunk_encode(got, got_n, enc, cap);
        if (len == 0)
            abort();
        if (fuzz_chunk_decode(enc, len, got + FUZZ_CHUNK_MAX, FUZZ_CHUNK_MAX, &k) != 0 ||
            k != got_n)
            abort();
        fuzz_chunk_same(got, got + FUZZ_CHUNK_MAX, k);
        free(enc);
    }

    /* 2. samples from the input: a sorted, deduplicated run a and a sorted run b with duplicates;
     * the merge must equal a stable last-wins sort of a then b */
    n = fuzz_chunk_recipe(&r, g);
    na = n / 2;
    a = g;
    b = g + na;
    nb = n - na;
    na = store_chunk_sort(a, na);
    fuzz_chunk_stable_sort(b, nb);
    for (size_t i = 1; i < na; i++)
        if (a[i].t <= a[i - 1].t)
            abort();
    ref = malloc((n > 0 ? n : 1) * sizeof *ref);
    m = malloc((n > 0 ? n : 1) * sizeof *m);
    memcpy(ref, a, na * sizeof *a);
    memcpy(ref + na, b, nb * sizeof *b);
    nref = store_chunk_sort(ref, na + nb);
    nm = store_chunk_merge(a, na, b, nb, m);
    if (nm != nref)
        abort();
    fuzz_chunk_same(m, ref, nm);

    /* 3. the merged run round-trips bit for bit; one byte less is refused without overflow */
    cap = store_chunk_bound(nm);
    buf = malloc(cap);
    len = store_chunk_encode(m, nm, buf, cap);
    if (len == 0)
        abort();
    if (fuzz_chunk_decode(buf, len, got, FUZZ_CHUNK_MAX, &got_n) != 0 || got_n != nm)
        abort();
    fuzz_chunk_same(got, m, nm);
    cut = malloc(len);
    if (store_chunk_encode(m, nm, cut, len - 1) != 0 || store_chunk_encode(m, nm, cut, len) != len)
        abort();

    /* 4. a cut gives a prefix and then VG_EINVAL; a flipped bit never crashes */
    k = size > 0 ? (data[0] | (size_t)data[size - 1] << 8) % len : 0;
    free(cut);
    cut = malloc(k > 0 ? k : 1);
    memcpy(cut, buf, k);
    if (fuzz_chunk_decode(cut, k, got, FUZZ_CHUNK_MAX, &got_n) != VG_EINVAL || got_n > nm)
        abort();
    fuzz_chunk_same(got, m, got_n);
    free(cut);
    buf[k] ^= (unsigned char)(1u << (size % 8));
    fuzz_chunk_decode(buf, len, got, FUZZ_CHUNK_MAX, &got_n);

    free(buf);
    free(m);
    free(ref);
    free(got);
    free(g);
    return 0;
}
