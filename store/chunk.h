/* store/chunk.h - the sample chunk codec: the value format of the `chunks` database (series id,
 * chunk start ms → chunk). Gorilla-style delta-of-delta timestamps and XOR floats, pure
 * encoding: no Berkeley DB here, no allocation on the encode and decode paths.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_CHUNK_H
#define STORE_CHUNK_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* On-disk format, version 1. Every value is kept bit for bit: the staleness NaN
 * (0x7ff0000000000002), other NaN payloads, -0.0, ±Inf and denormals all read back as written.
 *
 * Header, byte aligned:
 *   u8       version                  1
 *   uvarint  n                        sample count (LEB128: 7 bits a byte, low group first,
 *                                     0x80 = more; at most 10 bytes, shortest form only)
 *   if n >= 1:
 *   uvarint  zigzag(t[0])             (t << 1) ^ (t >> 63), t >> 63 arithmetic,
 *                                     as a uint64; the same varint
 *   u64 BE   bits(v[0])               the IEEE 754 binary64 pattern, big-endian
 * Then, for n >= 2, one bit stream for samples 1 .. n-1, written most significant bit first into
 * consecutive bytes; the last byte is padded with 0 bits and nothing follows it.
 *
 * All timestamp arithmetic is modulo 2^64 on the uint64 patterns of the int64 ms values, so any
 * int64 timestamps, from INT64_MIN to INT64_MAX, encode:
 *   delta[i] = t[i] - t[i-1],  dod[i] = delta[i] - delta[i-1]      (mod 2^64)
 * Per sample i >= 1, a timestamp field then a value field.
 *
 * Timestamp of sample 1: delta[1] as a bit varint - groups of 8 bits, each a continuation bit
 * (1 = another group follows) then 7 payload bits, lowest group first; shortest form, at most 10
 * groups, the 10th with continuation 0 and payload 0 or 1.
 * Timestamp of sample i >= 2: dod[i] in the first bucket whose range holds it (read as int64);
 * the payload is the low bits of the two's complement value, sign-extended when read:
 *   '0'                             dod == 0
 *   '10'    + 7 bits                -2^6 .. 2^6-1    (scrape jitter)
 *   '110'   + 14 bits               -2^13 .. 2^13-1
 *   '1110'  + 20 bits               -2^19 .. 2^19-1
 *   '11110' + 32 bits               -2^31 .. 2^31-1
 *   '11111' + 64 bits               any: the raw uint64 dod (decades-long jumps, int64 extremes)
 * A reader accepts any bucket that holds the value; the writer picks the first.
 *
 * Value of sample i >= 1: x = bits(v[i]) XOR bits(v[i-1]).
 *   '0'                             x == 0, same bits as the previous value
 *   '10'  + m bits                  x fits the current window (L leading, T trailing zero bits,
 *                                   m = 64 - L - T): the m bits of x >> T. Only once a window
 *                                   exists.
 *   '11'  + 5 bits L + 6 bits m     a new window, which becomes the current one: L (0..31, the
 *         + m bits                  writer caps it at 31), m significant bits (0 means 64),
 *                                   L + m <= 64, T = 64 - L - m; then the m bits of x >> T.
 * A reader accepts either choice whenever x fits; the writer reuses the window when x fits it and
 * the reuse is no longer than a new window (m_current <= m_new + 11), so one wide window does not
 * cost bits for the rest of the chunk.
 *
 * A reader refuses (VG_EINVAL): another version; a count that the bytes after the header cannot
 * hold (sample 1 takes at least 9 bits, each later one at least 2); timestamps that do not
 * strictly increase as int64; a window reuse before any window; L + m > 64; a stream that ends
 * early; padding that is not 0 bits; any byte after the padding.
 *
 * 120 samples of 15 s scrapes cost about 3.5 bytes a sample for a busy counter with ms jitter,
 * 1.3 for a slow counter, 7 for a random-walk gauge (test_chunk_compression). */

typedef struct {
    int64_t t; /* ms since the epoch, any int64 */
    double v;
} store_sample_t;

#define STORE_CHUNK_VERSION 1

/* A capacity for store_chunk_encode() that always suffices for n samples (n <= SIZE_MAX / 32). */
size_t store_chunk_bound(size_t n);

/* Encodes s[0..n) (t strictly increasing: sort and dedupe with store_chunk_sort() first) into out.
 * Returns the bytes written, or 0 when cap is too small; out's contents are then unspecified.
 * n may be 0 (a 2-byte chunk that holds nothing). */
size_t store_chunk_encode(const store_sample_t *s, size_t n, unsigned char *out, size_t cap);

/* Appends s[0..k) (t strictly increasing, all after the chunk's last sample) to the chunk
 * old[0..oldlen) into out, without re-encoding the old samples: the result is byte for byte
 * what store_chunk_encode() gives for all of them. Returns the bytes written, or 0 when old is
 * empty or not a valid chunk, s[0] is not after its last sample, k is 0 or cap is too small
 * (store_chunk_bound(old's count + k) always suffices). */
size_t store_chunk_append(const unsigned char *old, size_t oldlen, const store_sample_t *s,
                          size_t k, unsigned char *out, size_t cap);
/* Reads the header of the chunk p[0..len): the sample count into *n. VG_EINVAL (and *n
 * untouched) for an unknown version, a bad or truncated header, or a count that len bytes
 * cannot hold, so *n is safe to size an allocation of samples with. */
int store_chunk_count(const unsigned char *p, size_t len, size_t *n);

/* A decoder over one chunk; the caller supplies the storage and keeps p alive while using it.
 * The fields are private. */
typedef struct {
    const unsigned char *p;
    size_t len, pos; /* pos: the next byte to load into acc */
    uint64_t acc;    /* bits not yet consumed, most significant first */
    unsigned nacc;   /* how many bits of acc are valid */
    size_t n, i;     /* samples in the chunk, samples returned */
    uint64_t t, delta, v;
    unsigned lead, trail; /* the current XOR window; lead > 64 while there is none */
    int state;            /* 0 while going, 1 after the end, VG_EINVAL after an error */
} store_chunk_iter_t;

void store_chunk_iter_init(store_chunk_iter_t *it, const unsigned char *p, size_t len);
/* Stores the next sample in *t and *v and returns 1; returns 0 after the last one, or VG_EINVAL
 * when the chunk is truncated, has bytes after its end or breaks the format (there is no
 * checksum: a flipped bit may decode to other samples). A truncated chunk gives its samples up to
 * the cut first. Never reads outside p[0..len). Once it has returned 0 or VG_EINVAL it keeps
 * returning that. */
int store_chunk_iter_next(store_chunk_iter_t *it, int64_t *t, double *v);

/* Merges the runs a[0..na) and b[0..nb), each sorted by t, into out (room for na + nb, no overlap
 * with a or b), strictly increasing. When timestamps are equal the later sample wins: b's over
 * a's, and within one run the last of its duplicates. Returns the count written. */
size_t store_chunk_merge(const store_sample_t *a, size_t na, const store_sample_t *b, size_t nb,
                         store_sample_t *out);

/* Sorts s[0..n) by t in place and drops duplicate timestamps, keeping for each timestamp the
 * sample that came last in the array (the last write wins). Returns the new count. Allocates
 * scratch (aborting on OOM) only when s is neither sorted nor short. */
size_t store_chunk_sort(store_sample_t *s, size_t n);

#endif
