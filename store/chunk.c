/* store/chunk.c - the sample chunk codec (format in chunk.h): a bit writer and a bit reader over
 * a 64-bit accumulator, delta-of-delta timestamps, XOR values, and the merge and sort that turn
 * a write batch and a stored chunk into one strictly increasing run. Pure encoding: no <db.h>.
 * SPDX-License-Identifier: MIT */
#include "store/chunk.h"
#include "core/mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* header: version, count (10), zigzag t[0] (10), v[0] (8); a sample: a 10-group bit varint or a
 * 69-bit dod at most, plus a 77-bit new-window value at most: 157 bits < 20 bytes */
#define STORE_CHUNK_HDR_MAX    29
#define STORE_CHUNK_SAMPLE_MAX 20
#define STORE_CHUNK_NO_WINDOW  0xffu

static inline uint64_t store_chunk_dbits(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    return u;
}

static inline double store_chunk_bitsd(uint64_t u)
{
    double v;

    memcpy(&v, &u, sizeof v);
    return v;
}

/* the int64 whose two's complement pattern is u, without implementation-defined conversion */
static inline int64_t store_chunk_i64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)~u - 1;
}

/* ---- writing ---- */

typedef struct {
    unsigned char *p;
    size_t cap, pos; /* pos counts on past cap, so the caller sees the overflow */
    uint64_t acc;    /* the low nacc bits are pending, nacc < 8 between calls */
    unsigned nacc;
} store_chunk_bw_t;

/* Appends the low nbits (1..32) of v. */
static inline void store_chunk_put(store_chunk_bw_t *w, uint64_t v, unsigned nbits)
{
    w->acc = (w->acc << nbits) | (v & ((UINT64_C(1) << nbits) - 1));
    w->nacc += nbits;
    if (w->pos + 5 <= w->cap) {
        while (w->nacc >= 8) {
            w->nacc -= 8;
            w->p[w->pos++] = (unsigned char)(w->acc >> w->nacc);
        }
        return;
    }
    while (w->nacc >= 8) {
        w->nacc -= 8;
        if (w->pos < w->cap)
            w->p[w->pos] = (unsigned char)(w->acc >> w->nacc);
        w->pos++;
    }
}

/* Appends the low nbits (1..64) of v. */
static inline void store_chunk_put64(store_chunk_bw_t *w, uint64_t v, unsigned nbits)
{
    if (nbits > 32) {
        store_chunk_put(w, v >> 32, nbits - 32);
        nbits = 32;
    }
    store_chunk_put(w, v, nbits);
}

static void store_chunk_put_uvarint(store_chunk_bw_t *w, uint64_t v)
{
    while (v >= 0x80) {
        store_chunk_put(w, (v & 0x7f) | 0x80, 8);
        v >>= 7;
    }
    store_chunk_put(w, v, 8);
}

static inline void store_chunk_put_dod(store_chunk_bw_t *w, uint64_t dod)
{
    int64_t d = store_chunk_i64(dod);

    if (d == 0)
        store_chunk_put(w, 0, 1);
    else if (d >= -64 && d < 64)
        store_chunk_put(w, (UINT64_C(0x2) << 7) | (dod & 0x7f), 9);
    else if (d >= -(INT64_C(1) << 13) && d < (INT64_C(1) << 13))
        store_chunk_put(w, (UINT64_C(0x6) << 14) | (dod & 0x3fff), 17);
    else if (d >= -(INT64_C(1) << 19) && d < (INT64_C(1) << 19))
        store_chunk_put(w, (UINT64_C(0xe) << 20) | (dod & 0xfffff), 24);
    else if (d >= INT32_MIN && d <= INT32_MAX) {
        store_chunk_put(w, 0x1e, 5);
        store_chunk_put(w, dod, 32);
    } else {
        store_chunk_put(w, 0x1f, 5);
        store_chunk_put64(w, dod, 64);
    }
}

/* Appends x, the XOR of a value with the one before, in the window *lead, *trail or a new one. */
static inline void store_chunk_put_xor(store_chunk_bw_t *w, uint64_t x, unsigned *lead,
                                       unsigned *trail)
{
    unsigned l, tr, m;

    if (x == 0) {
        store_chunk_put(w, 0, 1);
        return;
    }
    l = (unsigned)__builtin_clzll(x);
    tr = (unsigned)__builtin_ctzll(x);
    if (l > 31)
        l = 31; /* 5 bits for it */
    m = 64 - l - tr;
    /* reuse only when it is no longer than a new window, so a wide one does not linger */
    if (*lead != STORE_CHUNK_NO_WINDOW && l >= *lead && tr >= *trail &&
        64 - *lead - *trail <= m + 11) {
        store_chunk_put(w, 0x2, 2);
        store_chunk_put64(w, x >> *trail, 64 - *lead - *trail);
        return;
    }
    *lead = l;
    *trail = tr;
    store_chunk_put(w, (UINT64_C(0x3) << 11) | (l << 6) | (m & 63), 13);
    store_chunk_put64(w, x >> tr, m);
}

size_t store_chunk_bound(size_t n)
{
    return STORE_CHUNK_HDR_MAX + STORE_CHUNK_SAMPLE_MAX * n;
}

size_t store_chunk_encode(const store_sample_t *s, size_t n, unsigned char *out, size_t cap)
{
    store_chunk_bw_t w = {.p = out, .cap = cap};
    unsigned lead = STORE_CHUNK_NO_WINDOW, trail = 0;
    uint64_t t, delta = 0, v;

    store_chunk_put(&w, STORE_CHUNK_VERSION, 8);
    store_chunk_put_uvarint(&w, n);
    if (n == 0)
        return w.pos <= cap ? w.pos : 0;
    t = (uint64_t)s[0].t;
    store_chunk_put_uvarint(&w, (t << 1) ^ (s[0].t < 0 ? UINT64_MAX : 0));
    v = store_chunk_dbits(s[0].v);
    store_chunk_put(&w, v >> 32, 32);
    store_chunk_put(&w, v, 32);
    for (size_t i = 1; i < n; i++) {
        uint64_t ti = (uint64_t)s[i].t, d = ti - t, vi = store_chunk_dbits(s[i].v), x = vi ^ v;

        assert(s[i].t > s[i - 1].t); /* callers sort and dedupe: store_chunk_sort() */
        if (i == 1) {
            store_chunk_put_uvarint(&w, d); /* the same groups as the header's varints */
        } else {
            store_chunk_put_dod(&w, d - delta);
        }
        delta = d;
        t = ti;
        v = vi;
        store_chunk_put_xor(&w, x, &lead, &trail);
    }
    if (w.nacc > 0)
        store_chunk_put(&w, 0, 8 - w.nacc);
    return w.pos <= cap ? w.pos : 0;
}

/* ---- reading ---- */

/* Reads a shortest-form LEB128 uvarint of at most 10 bytes at p[*pos..len). */
static int store_chunk_get_uvarint(const unsigned char *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;

    for (unsigned g = 0; g < 10; g++) {
        unsigned b;

        if (*pos >= len)
            return VG_EINVAL;
        b = p[(*pos)++];
        if (g == 9 && b > 1)
            return VG_EINVAL; /* more than 64 bits */
        r |= (uint64_t)(b & 0x7f) << (7 * g);
        if (!(b & 0x80)) {
            if (b == 0 && g > 0)
                return VG_EINVAL; /* not the shortest form */
            *v = r;
            return VG_OK;
        }
    }
    return VG_EINVAL;
}

typedef struct {
    uint64_t n, t0, v0;
    size_t len; /* header bytes */
} store_chunk_hdr_t;

static int store_chunk_header(const unsigned char *p, size_t len, store_chunk_hdr_t *h)
{
    size_t pos = 1, rest;
    uint64_t z;

    if (len < 1 || p[0] != STORE_CHUNK_VERSION)
        return VG_EINVAL;
    if (store_chunk_get_uvarint(p, len, &pos, &h->n) < 0 || h->n > SIZE_MAX)
        return VG_EINVAL;
    h->t0 = h->v0 = 0;
    if (h->n > 0) {
        if (store_chunk_get_uvarint(p, len, &pos, &z) < 0 || len - pos < 8)
            return VG_EINVAL;
        h->t0 = (z >> 1) ^ (z & 1 ? UINT64_MAX : 0);
        for (int i = 0; i < 8; i++)
            h->v0 = (h->v0 << 8) | p[pos++];
    }
    h->len = pos;
    rest = len - pos;
    if (h->n <= 1)
        return rest == 0 ? VG_OK : VG_EINVAL;
    /* sample 1 takes at least 9 bits, every later one at least 2 */
    if (rest < 2 || (rest < SIZE_MAX / 8 && h->n - 2 > (8 * (uint64_t)rest - 9) / 2))
        return VG_EINVAL;
    return VG_OK;
}

int store_chunk_count(const unsigned char *p, size_t len, size_t *n)
{
    store_chunk_hdr_t h;

    if (store_chunk_header(p, len, &h) < 0)
        return VG_EINVAL;
    *n = (size_t)h.n;
    return VG_OK;
}

void store_chunk_iter_init(store_chunk_iter_t *it, const unsigned char *p, size_t len)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->len = len;
    it->lead = STORE_CHUNK_NO_WINDOW;
}

/* Tops acc up to at least 57 valid bits, or with all that is left. Bits below the valid ones
 * are always 0. */
static inline void store_chunk_refill(store_chunk_iter_t *it)
{
    while (it->nacc <= 56 && it->pos < it->len) {
        it->acc |= (uint64_t)it->p[it->pos++] << (56 - it->nacc);
        it->nacc += 8;
    }
}

/* Takes the next nbits (1..32) into *v; VG_EINVAL when the chunk ends first. */
static inline int store_chunk_get(store_chunk_iter_t *it, unsigned nbits, uint64_t *v)
{
    if (it->nacc < nbits) {
        store_chunk_refill(it);
        if (it->nacc < nbits)
            return VG_EINVAL;
    }
    *v = it->acc >> (64 - nbits);
    it->acc <<= nbits;
    it->nacc -= nbits;
    return VG_OK;
}

/* Takes the next nbits (1..64). */
static inline int store_chunk_get64(store_chunk_iter_t *it, unsigned nbits, uint64_t *v)
{
    uint64_t hi = 0, lo;

    if (nbits > 32) {
        if (store_chunk_get(it, nbits - 32, &hi) < 0)
            return VG_EINVAL;
        nbits = 32;
    }
    if (store_chunk_get(it, nbits, &lo) < 0)
        return VG_EINVAL;
    *v = (hi << 32) | lo;
    return VG_OK;
}

static int store_chunk_get_delta1(store_chunk_iter_t *it, uint64_t *d)
{
    uint64_t r = 0, b;

    for (unsigned g = 0; g < 10; g++) {
        if (store_chunk_get(it, 8, &b) < 0 || (g == 9 && b > 1))
            return VG_EINVAL;
        r |= (b & 0x7f) << (7 * g);
        if (!(b & 0x80)) {
            if (b == 0 && g > 0)
                return VG_EINVAL; /* not the shortest form */
            *d = r;
            return VG_OK;
        }
    }
    return VG_EINVAL;
}

static int store_chunk_get_dod(store_chunk_iter_t *it, uint64_t *dod)
{
    static const unsigned width[] = {0, 7, 14, 20, 32, 64};
    unsigned ones = 0, nbits;
    uint64_t b;

    /* the bucket prefix: up to 4 ones ended by a zero, or 5 ones */
    while (ones < 5) {
        if (store_chunk_get(it, 1, &b) < 0)
            return VG_EINVAL;
        if (b == 0)
            break;
        ones++;
    }
    nbits = width[ones];
    if (nbits == 0) {
        *dod = 0;
        return VG_OK;
    }
    if (store_chunk_get64(it, nbits, &b) < 0)
        return VG_EINVAL;
    if (nbits < 64 && (b >> (nbits - 1)) & 1)
        b |= UINT64_MAX << nbits; /* sign-extend */
    *dod = b;
    return VG_OK;
}

static int store_chunk_get_value(store_chunk_iter_t *it)
{
    uint64_t b, x;
    unsigned m;

    if (store_chunk_get(it, 1, &b) < 0)
        return VG_EINVAL;
    if (b == 0)
        return VG_OK; /* same bits as before */
    if (store_chunk_get(it, 1, &b) < 0)
        return VG_EINVAL;
    if (b == 0) {
        if (it->lead == STORE_CHUNK_NO_WINDOW)
            return VG_EINVAL;
    } else {
        if (store_chunk_get(it, 11, &b) < 0)
            return VG_EINVAL;
        m = (unsigned)(b & 63);
        if (m == 0)
            m = 64;
        it->lead = (unsigned)(b >> 6);
        if (it->lead + m > 64)
            return VG_EINVAL;
        it->trail = 64 - it->lead - m;
    }
    m = 64 - it->lead - it->trail;
    if (store_chunk_get64(it, m, &x) < 0)
        return VG_EINVAL;
    it->v ^= x << it->trail;
    return VG_OK;
}

static int store_chunk_iter_step(store_chunk_iter_t *it)
{
    uint64_t t, d;

    if (it->i == 0) {
        store_chunk_hdr_t h;

        if (store_chunk_header(it->p, it->len, &h) < 0)
            return VG_EINVAL;
        it->n = (size_t)h.n;
        it->pos = h.len;
        it->t = h.t0;
        it->v = h.v0;
        return it->n > 0 ? 1 : 0;
    }
    if (it->i == it->n) {
        /* the rest is padding: under 8 bits, all 0 (acc holds 0 below its valid bits) */
        if (it->pos < it->len || it->nacc >= 8 || it->acc != 0)
            return VG_EINVAL;
        return 0;
    }
    if (it->i == 1) {
        if (store_chunk_get_delta1(it, &d) < 0)
            return VG_EINVAL;
    } else {
        if (store_chunk_get_dod(it, &d) < 0)
            return VG_EINVAL;
        d += it->delta;
    }
    t = it->t + d;
    if (store_chunk_i64(t) <= store_chunk_i64(it->t))
        return VG_EINVAL; /* timestamps only go up */
    it->t = t;
    it->delta = d;
    return store_chunk_get_value(it) < 0 ? VG_EINVAL : 1;
}

int store_chunk_iter_next(store_chunk_iter_t *it, int64_t *t, double *v)
{
    int rc;

    if (it->state != 0)
        return it->state == 1 ? 0 : VG_EINVAL;
    rc = store_chunk_iter_step(it);
    if (rc != 1) {
        it->state = rc == 0 ? 1 : VG_EINVAL;
        return rc;
    }
    it->i++;
    *t = store_chunk_i64(it->t);
    *v = store_chunk_bitsd(it->v);
    return 1;
}

/* ---- appending ---- */

size_t store_chunk_append(const unsigned char *old, size_t oldlen, const store_sample_t *s,
                          size_t k, unsigned char *out, size_t cap)
{
    store_chunk_iter_t it;
    store_chunk_hdr_t h;
    store_chunk_bw_t w = {.p = out, .cap = cap};
    size_t bits, start;
    int64_t t;
    double v;
    int rc;

    if (k == 0 || store_chunk_header(old, oldlen, &h) < 0 || h.n == 0)
        return 0;
    /* decode to the end: the encoder's state after the last sample, and where its bits end */
    store_chunk_iter_init(&it, old, oldlen);
    while ((rc = store_chunk_iter_next(&it, &t, &v)) == 1)
        ;
    if (rc != 0 || s[0].t <= t)
        return 0;
    bits = it.pos * 8 - it.nacc;
    store_chunk_put(&w, STORE_CHUNK_VERSION, 8);
    store_chunk_put_uvarint(&w, h.n + k);
    store_chunk_put_uvarint(&w, (h.t0 << 1) ^ (store_chunk_i64(h.t0) < 0 ? UINT64_MAX : 0));
    store_chunk_put(&w, h.v0 >> 32, 32);
    store_chunk_put(&w, h.v0, 32);
    /* the old samples' bit stream as it is, then the new samples after it */
    start = h.len * 8;
    for (size_t b = start; b + 8 <= bits; b += 8)
        store_chunk_put(&w, old[b / 8], 8);
    if ((bits - start) % 8)
        store_chunk_put(&w, old[bits / 8] >> (8 - (bits - start) % 8), (bits - start) % 8);
    for (size_t i = 0; i < k; i++) {
        uint64_t ti = (uint64_t)s[i].t, d = ti - it.t, vi = store_chunk_dbits(s[i].v);

        assert(i == 0 || s[i].t > s[i - 1].t);
        if (h.n + i == 1)
            store_chunk_put_uvarint(&w, d); /* the second sample of the chunk */
        else
            store_chunk_put_dod(&w, d - it.delta);
        store_chunk_put_xor(&w, vi ^ it.v, &it.lead, &it.trail);
        it.delta = d;
        it.t = ti;
        it.v = vi;
    }
    if (w.nacc > 0)
        store_chunk_put(&w, 0, 8 - w.nacc);
    return w.pos <= cap ? w.pos : 0;
}

/* ---- merging ---- */

size_t store_chunk_merge(const store_sample_t *a, size_t na, const store_sample_t *b, size_t nb,
                         store_sample_t *out)
{
    size_t i = 0, j = 0, k = 0;

    while (i < na || j < nb) {
        store_sample_t s;

        if (j == nb || (i < na && a[i].t < b[j].t)) {
            s = a[i++];
        } else if (i < na && a[i].t == b[j].t) {
            i++; /* b replaces a */
            continue;
        } else {
            s = b[j++];
        }
        assert(k == 0 || out[k - 1].t <= s.t); /* both runs sorted */
        if (k > 0 && out[k - 1].t == s.t)
            out[k - 1] = s; /* a later duplicate in the same run wins */
        else
            out[k++] = s;
    }
    return k;
}

/* Stable merge sort of s[0..n) by t, using tmp[0..n). */
static void store_chunk_msort(store_sample_t *s, store_sample_t *tmp, size_t n)
{
    store_sample_t *src = s, *dst = tmp, *x;

    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;

            while (i < mid && j < hi)
                dst[k++] = src[j].t < src[i].t ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        x = src;
        src = dst;
        dst = x;
    }
    if (src != s)
        memcpy(s, src, n * sizeof *s);
}

size_t store_chunk_sort(store_sample_t *s, size_t n)
{
    size_t i = 1, k = 0;

    while (i < n && s[i - 1].t <= s[i].t)
        i++;
    if (i < n && n <= 32) {
        for (; i < n; i++) {
            store_sample_t x = s[i];
            size_t j = i;

            for (; j > 0 && s[j - 1].t > x.t; j--)
                s[j] = s[j - 1];
            s[j] = x;
        }
    } else if (i < n) {
        store_sample_t *tmp = vg_xmalloc(n * sizeof *tmp);

        store_chunk_msort(s, tmp, n);
        free(tmp);
    }
    for (i = 0; i < n; i++) {
        if (k > 0 && s[k - 1].t == s[i].t)
            s[k - 1] = s[i]; /* stable, so this one was written later */
        else
            s[k++] = s[i];
    }
    return k;
}
