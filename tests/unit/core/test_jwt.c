/* tests/unit/core/test_jwt.c - vg_jwt_verify() and vg_jwt_sign() against specs/concertim.md §4.2
 * (and conformance cases 3-5): tokens are crafted here with HMAC-SHA256 over any header and
 * payload, and with libjwt for another algorithm.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/jwt.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW INT64_C(1700000000)

static const char test_jwt_secret[] = "secret";

/* base64url without padding of p[0..n) into out (NUL-terminated) */
static void test_jwt_b64(const void *p, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *s = p;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | s[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = abc[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = abc[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

typedef enum { TEST_SIG_HS256, TEST_SIG_EMPTY, TEST_SIG_JUNK } test_jwt_sig_t;

/* header.payload.signature with the header and payload JSON as given, signed with key */
static void test_jwt_craft(const char *header, const char *payload, const char *key,
                           test_jwt_sig_t sig, char *out, size_t cap)
{
    char h[512], p[1024], s[64];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int n;

    test_jwt_b64(header, strlen(header), h);
    test_jwt_b64(payload, strlen(payload), p);
    n = snprintf(out, cap, "%s.%s", h, p);
    assert_true(n > 0 && (size_t)n < cap - 64);
    assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)out, (size_t)n,
                         md, &mdlen));
    test_jwt_b64(md, mdlen, s);
    if (sig == TEST_SIG_EMPTY)
        s[0] = '\0';
    else if (sig == TEST_SIG_JUNK)
        snprintf(s, sizeof s, "c2lnbmF0dXJl");
    snprintf(out + n, cap - (size_t)n, ".%s", s);
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static void test_jwt_verify_crafted(void **state)
{
    static const struct {
        const char *header, *payload, *key;
        test_jwt_sig_t sig;
        vg_jwt_result_t want;
    } cases[] = {
        /* §7 5: valid, exp an hour ahead */
        {HS256, "{\"exp\":1700003600}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        {"{\"alg\":\"HS256\"}", "{\"exp\":1700003600}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        {"{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"k\"}", "{}", "secret", TEST_SIG_HS256,
         VG_JWT_OK},
        /* §7 3: another secret, another algorithm, none */
        {HS256, "{\"exp\":1700003600}", "other", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "{\"exp\":1700003600}", "secret", TEST_SIG_JUNK, VG_JWT_UNAUTHORIZED},
        {HS256, "{\"exp\":1700003600}", "secret", TEST_SIG_EMPTY, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"none\"}", "{\"exp\":1700003600}", "secret", TEST_SIG_EMPTY,
         VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"none\",\"typ\":\"JWT\"}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"HS512\"}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"RS256\"}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"hs256\"}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"HS256 \"}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"typ\":\"JWT\"}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":256}", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"[\"HS256\"]", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"HS256\"", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {"{\"alg\":\"HS256\"}x", "{}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        /* a payload that is not a JSON object */
        {HS256, "[1]", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "not json", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        /* §7 4: exp is checked with zero leeway, at whole seconds */
        {HS256, "{\"exp\":1700000000}", "secret", TEST_SIG_HS256, VG_JWT_EXPIRED},
        {HS256, "{\"exp\":1699999999}", "secret", TEST_SIG_HS256, VG_JWT_EXPIRED},
        {HS256, "{\"exp\":1700000001}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        {HS256, "{\"exp\":-1}", "secret", TEST_SIG_HS256, VG_JWT_EXPIRED},
        {HS256, "{\"nbf\":1700000001}", "secret", TEST_SIG_HS256, VG_JWT_NBF},
        {HS256, "{\"nbf\":1700000000}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        {HS256, "{\"iat\":1700000001}", "secret", TEST_SIG_HS256, VG_JWT_IAT},
        {HS256, "{\"iat\":1700000000}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        /* jwx validates iat, then exp, then nbf */
        {HS256, "{\"nbf\":1800000000,\"exp\":1,\"iat\":1800000000}", "secret", TEST_SIG_HS256,
         VG_JWT_IAT},
        {HS256, "{\"nbf\":1800000000,\"exp\":1}", "secret", TEST_SIG_HS256, VG_JWT_EXPIRED},
        /* numbers in any JSON form; seconds round down */
        {HS256, "{\"exp\":1.7000036e9}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        {HS256, "{\"exp\":1.7e9}", "secret", TEST_SIG_HS256, VG_JWT_EXPIRED},
        {HS256, "{\"exp\":1700000000.9}", "secret", TEST_SIG_HS256, VG_JWT_EXPIRED},
        {HS256, "{\"exp\":1700000001.2,\"iat\":1700000000.7,\"nbf\":1.7e9}", "secret",
         TEST_SIG_HS256, VG_JWT_OK},
        {HS256, "{\"exp\":1e300}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        /* 0 is no claim to jwx */
        {HS256, "{\"exp\":0,\"nbf\":0,\"iat\":0}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        /* a time claim that is not a number fails to parse */
        {HS256, "{\"exp\":\"1700003600\"}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "{\"exp\":null}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "{\"nbf\":true}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "{\"iat\":{}}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        {HS256, "{\"exp\":1,\"iat\":\"x\"}", "secret", TEST_SIG_HS256, VG_JWT_UNAUTHORIZED},
        /* no claim is required; aud, iss, sub, scp, jti are not checked (§4.2, §4.3) */
        {HS256, "{}", "secret", TEST_SIG_HS256, VG_JWT_OK},
        {HS256,
         "{\"sub\":\"1\",\"scp\":\"user\",\"aud\":\"alces-ct\",\"iss\":\"someone\","
         "\"iat\":1699999990,\"exp\":1700086400,\"jti\":\"5a1c\"}",
         "secret", TEST_SIG_HS256, VG_JWT_OK},
        {HS256, "{\"aud\":[\"a\",\"b\"],\"nbf\":1699999999}", "secret", TEST_SIG_HS256, VG_JWT_OK},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char tok[2048];
        vg_jwt_result_t got;

        test_jwt_craft(cases[i].header, cases[i].payload, cases[i].key, cases[i].sig, tok,
                       sizeof tok);
        got = vg_jwt_verify(tok, test_jwt_secret, strlen(test_jwt_secret), NOW);
        if (got != cases[i].want)
            fail_msg("case %zu %s.%s (%s): got \"%s\", want \"%s\"", i, cases[i].header,
                     cases[i].payload, tok, vg_jwt_result_text(got),
                     vg_jwt_result_text(cases[i].want));
    }
}

static void test_jwt_malformed(void **state)
{
    char ok[512], tok[600];
    const char *dot;
    static const char *const cases[] = {
        "abc.def.ghi",        "abc.def", "abc", "", ".", "..", "...", "a..c", ".b.c", "a.b.",
        "Bearer abc.def.ghi",
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (vg_jwt_verify(cases[i], test_jwt_secret, 6, NOW) != VG_JWT_UNAUTHORIZED)
            fail_msg("case %zu \"%s\": accepted", i, cases[i]);
    assert_int_equal(vg_jwt_verify(NULL, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);

    /* a good token, then damaged */
    test_jwt_craft(HS256, "{\"exp\":1700003600}", "secret", TEST_SIG_HS256, ok, sizeof ok);
    assert_int_equal(vg_jwt_verify(ok, test_jwt_secret, 6, NOW), VG_JWT_OK);
    snprintf(tok, sizeof tok, "%s.x", ok); /* four parts */
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);
    snprintf(tok, sizeof tok, " %s", ok);
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);
    snprintf(tok, sizeof tok, "%s", ok);
    dot = strrchr(tok, '.');
    tok[dot - tok - 1] ^= 1; /* the payload's last character */
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);
    snprintf(tok, sizeof tok, "%s", ok);
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A'; /* the signature */
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);
    snprintf(tok, sizeof tok, "%s", ok);
    tok[1] = '*'; /* not base64 */
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);
    /* a prefix of the secret, a longer one */
    assert_int_equal(vg_jwt_verify(ok, test_jwt_secret, 5, NOW), VG_JWT_UNAUTHORIZED);
    assert_int_equal(vg_jwt_verify(ok, "secret2", 7, NOW), VG_JWT_UNAUTHORIZED);
}

/* an empty secret verifies nothing, not even a token signed with the empty key */
static void test_jwt_empty_secret(void **state)
{
    char tok[512];

    test_jwt_craft(HS256, "{\"exp\":1700003600}", "", TEST_SIG_HS256, tok, sizeof tok);
    assert_int_equal(vg_jwt_verify(tok, "", 0, NOW), VG_JWT_UNAUTHORIZED);
    assert_int_equal(vg_jwt_verify(tok, NULL, 0, NOW), VG_JWT_UNAUTHORIZED);
    test_jwt_craft(HS256, "{\"exp\":1700003600}", "secret", TEST_SIG_HS256, tok, sizeof tok);
    assert_int_equal(vg_jwt_verify(tok, "", 0, NOW), VG_JWT_UNAUTHORIZED);
    assert_null(vg_jwt_sign("", 0, NOW, 60));
}

/* HS512 with the right secret, signed by libjwt: still another algorithm */
static void test_jwt_hs512(void **state)
{
    jwt_t *jwt = NULL;
    char *tok;

    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS512, (const unsigned char *)test_jwt_secret, 6), 0);
    assert_int_equal(jwt_add_grant_int(jwt, "exp", (long)(NOW + 3600)), 0);
    tok = jwt_encode_str(jwt);
    jwt_free(jwt);
    assert_non_null(tok);
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_UNAUTHORIZED);
    free(tok);

    /* the same through libjwt with HS256 passes, which shows the secret is right */
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)test_jwt_secret, 6), 0);
    assert_int_equal(jwt_add_grant_int(jwt, "exp", (long)(NOW + 3600)), 0);
    assert_int_equal(jwt_add_grant(jwt, "sub", "someone"), 0);
    tok = jwt_encode_str(jwt);
    jwt_free(jwt);
    assert_non_null(tok);
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_OK);
    free(tok);
}

static void test_jwt_sign(void **state)
{
    char *tok = vg_jwt_sign(test_jwt_secret, 6, NOW, 86400);
    char *noexp;

    assert_non_null(tok);
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW), VG_JWT_OK);
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW + 86399), VG_JWT_OK);
    assert_int_equal(vg_jwt_verify(tok, test_jwt_secret, 6, NOW + 86400), VG_JWT_EXPIRED);
    assert_int_equal(vg_jwt_verify(tok, "other!", 6, NOW), VG_JWT_UNAUTHORIZED);
    noexp = vg_jwt_sign(test_jwt_secret, 6, NOW, -1);
    assert_non_null(noexp);
    assert_int_equal(vg_jwt_verify(noexp, test_jwt_secret, 6, NOW + 100 * 365 * 86400LL),
                     VG_JWT_OK);
    free(noexp);
    /* ttl 0: exp is now, so the token is already expired (POST /token with expires_in < 1 s) */
    noexp = vg_jwt_sign(test_jwt_secret, 6, NOW, 0);
    assert_non_null(noexp);
    assert_int_equal(vg_jwt_verify(noexp, test_jwt_secret, 6, NOW), VG_JWT_EXPIRED);
    /* a secret with a NUL byte is used whole */
    free(tok);
    tok = vg_jwt_sign("a\0b", 3, NOW, 60);
    assert_non_null(tok);
    assert_int_equal(vg_jwt_verify(tok, "a\0b", 3, NOW), VG_JWT_OK);
    assert_int_equal(vg_jwt_verify(tok, "a\0c", 3, NOW), VG_JWT_UNAUTHORIZED);
    free(tok);
    free(noexp);
}

static void test_jwt_texts(void **state)
{
    assert_string_equal(vg_jwt_result_text(VG_JWT_UNAUTHORIZED), "token is unauthorized");
    assert_string_equal(vg_jwt_result_text(VG_JWT_EXPIRED), "token is expired");
    assert_string_equal(vg_jwt_result_text(VG_JWT_NBF), "token nbf validation failed");
    assert_string_equal(vg_jwt_result_text(VG_JWT_IAT), "token iat validation failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_verify_crafted), cmocka_unit_test(test_jwt_malformed),
        cmocka_unit_test(test_jwt_empty_secret),   cmocka_unit_test(test_jwt_hs512),
        cmocka_unit_test(test_jwt_sign),           cmocka_unit_test(test_jwt_texts),
    };
    return cmocka_run_group_tests_name("core/jwt", tests, NULL, NULL);
}
