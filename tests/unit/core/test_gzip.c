/* tests/unit/core/test_gzip.c - vg_gunzip(): single and concatenated members inflate exactly;
 * a bad header, trailing garbage, a truncated stream, corrupt data, a bad checksum and output
 * past the limit are refused with their messages.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/gzip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Gzips in[0..len) into out (malloc'd); returns the compressed length. */
static size_t test_gzip(const void *in, size_t len, unsigned char **out)
{
    z_stream z = {0};
    size_t cap = len + 1024;

    *out = malloc(cap);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

static void test_gzip_members(void **state)
{
    vg_arena_t a;
    vg_err_t err = {0};
    unsigned char *g1, *g2, *both;
    size_t n1, n2, outlen;
    char *out, *big = malloc(300000);

    (void)state;
    vg_arena_init(&a, 0);
    for (size_t i = 0; i < 300000; i++)
        big[i] = (char)('a' + (i * 7919) % 26);
    n1 = test_gzip(big, 300000, &g1);
    n2 = test_gzip("tail\n", 5, &g2);
    assert_int_equal(vg_gunzip(&a, g1, n1, 1 << 20, &out, &outlen, &err), VG_OK);
    assert_int_equal(outlen, 300000);
    assert_memory_equal(out, big, 300000);
    assert_int_equal(out[outlen], '\0');
    both = malloc(n1 + n2);
    memcpy(both, g1, n1);
    memcpy(both + n1, g2, n2);
    assert_int_equal(vg_gunzip(&a, both, n1 + n2, 1 << 20, &out, &outlen, &err), VG_OK);
    assert_int_equal(outlen, 300005);
    assert_memory_equal(out + 300000, "tail\n", 5);
    /* exactly at the limit is fine, one byte less is not */
    assert_int_equal(vg_gunzip(&a, g1, n1, 300000, &out, &outlen, &err), VG_OK);
    assert_int_equal(vg_gunzip(&a, g1, n1, 299999, &out, &outlen, &err), VG_ETOOBIG);
    assert_string_equal(err.msg, "gzip: decompressed body exceeds the limit of 299999 bytes");
    free(both);
    free(g1);
    free(g2);
    free(big);
    vg_arena_fini(&a);
}

static void test_gzip_refusals(void **state)
{
    vg_arena_t a;
    vg_err_t err = {0};
    unsigned char *g, *bad;
    size_t n, outlen;
    char *out;

    (void)state;
    vg_arena_init(&a, 0);
    n = test_gzip("weather,city=paris temp=21 1\n", 29, &g);
    bad = malloc(n + 8);

    assert_int_equal(vg_gunzip(&a, "plain text body", 15, 1 << 20, &out, &outlen, &err), VG_EINVAL);
    assert_string_equal(err.msg, "gzip: invalid header");
    assert_int_equal(vg_gunzip(&a, "", 0, 1 << 20, &out, &outlen, &err), VG_EINVAL);
    assert_string_equal(err.msg, "EOF");
    assert_int_equal(vg_gunzip(&a, g, n - 6, 1 << 20, &out, &outlen, &err), VG_EINVAL);
    assert_string_equal(err.msg, "unexpected EOF");
    /* garbage after a whole member reads as a second member's header */
    memcpy(bad, g, n);
    memcpy(bad + n, "garbage!", 8);
    assert_int_equal(vg_gunzip(&a, bad, n + 8, 1 << 20, &out, &outlen, &err), VG_EINVAL);
    assert_string_equal(err.msg, "gzip: invalid header");
    /* a flipped CRC byte */
    memcpy(bad, g, n);
    bad[n - 8] ^= 0xff;
    assert_int_equal(vg_gunzip(&a, bad, n, 1 << 20, &out, &outlen, &err), VG_EINVAL);
    assert_string_equal(err.msg, "gzip: invalid checksum");
    /* a deflate block of reserved type 3 right after the header */
    memcpy(bad, g, n);
    bad[10] = 0x07;
    assert_int_equal(vg_gunzip(&a, bad, n, 1 << 20, &out, &outlen, &err), VG_EINVAL);
    assert_string_equal(err.msg, "flate: corrupt input before offset 11");
    free(bad);
    free(g);
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_gzip_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
