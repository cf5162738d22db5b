/* core/jwt.h - HS256 JSON Web Tokens for the Concertim API (../shared/specs/concertim.md §4):
 * verification that accepts HS256 only and checks exp, nbf and iat itself (libjwt 1.10 takes
 * any algorithm and checks no claim), and signing for `vigilctl token create`.
 * SPDX-License-Identifier: MIT */
#ifndef VG_JWT_H
#define VG_JWT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    VG_JWT_OK = 0,
    VG_JWT_UNAUTHORIZED, /* malformed, another algorithm, bad signature: "token is unauthorized" */
    VG_JWT_EXPIRED,      /* now >= exp: "token is expired" */
    VG_JWT_NBF,          /* nbf > now: "token nbf validation failed" */
    VG_JWT_IAT,          /* iat > now: "token iat validation failed" */
} vg_jwt_result_t;

/* Verifies a compact JWS token (NUL-terminated) against secret[0..len) at now_s (unix seconds):
 * the header's alg must be HS256, the signature must match, and exp/nbf/iat, each only when
 * present, must hold at one-second granularity with zero leeway. */
vg_jwt_result_t vg_jwt_verify(const char *token, const void *secret, size_t secret_len,
                              int64_t now_s);
/* The 401 body line for a result ("token is expired", ...; "no token found" is the caller's). */
const char *vg_jwt_result_text(vg_jwt_result_t r);
/* A new HS256 token with claims {"exp": now_s + ttl_s} (no exp when ttl_s < 0; 0 makes a token that
 * is already expired), malloc'd (caller frees); NULL on failure. */
char *vg_jwt_sign(const void *secret, size_t secret_len, int64_t now_s, int64_t ttl_s);

#endif
