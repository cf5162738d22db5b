/* core/jwt.c - HS256 tokens for the Concertim API (../shared/specs/concertim.md §4.2), the way
 * go-chi/jwtauth v5 (lestrrat-go/jwx v2) judges them. libjwt 1.10 checks only the signature: it
 * takes whatever algorithm the header names, "none" included, and no claim, so the header and
 * the time claims are read here first with json-c, and libjwt is left the HMAC.
 * SPDX-License-Identifier: MIT */
#include "core/jwt.h"

#include <json-c/json.h>
#include <jwt.h>

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* base64url as jwx decodes it: either alphabet, padding optional */
static int vg_jwt_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

/* Decodes s[0..n) into a new NUL-terminated buffer (*out_len bytes); NULL if it is not base64. */
static char *vg_jwt_b64_decode(const char *s, size_t n, size_t *out_len)
{
    char *out;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return NULL;
    if ((out = malloc(n / 4 * 3 + 3)) == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int v = vg_jwt_b64_value((unsigned char)s[i]);

        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* The JSON object that segment s[0..n) encodes (strict JSON, nothing after it but space), or
 * NULL. The caller puts it. */
static json_object *vg_jwt_segment(const char *s, size_t n)
{
    size_t len, end;
    char *text = vg_jwt_b64_decode(s, n, &len);
    json_tokener *tok;
    json_object *obj = NULL;

    if (text == NULL)
        return NULL;
    if (len <= INT_MAX && (tok = json_tokener_new()) != NULL) {
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        obj = json_tokener_parse_ex(tok, text, (int)len);
        end = json_tokener_get_error(tok) == json_tokener_success
                  ? (size_t)json_tokener_get_parse_end(tok)
                  : 0;
        while (end > 0 && end < len && strchr(" \t\r\n", text[end]) != NULL && text[end] != '\0')
            end++;
        if (obj != NULL && (end != len || !json_object_is_type(obj, json_type_object))) {
            json_object_put(obj);
            obj = NULL;
        }
        json_tokener_free(tok);
    }
    free(text);
    return obj;
}

/* A NumericDate claim: absent (or 0, which jwx takes for absent) leaves *present false; any
 * JSON number counts, in whole seconds rounded down; anything else is false (unauthorized). */
static bool vg_jwt_date(json_object *claims, const char *name, bool *present, double *secs)
{
    json_object *v;

    *present = false;
    if (!json_object_object_get_ex(claims, name, &v))
        return true;
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return false;
    *secs = floor(json_object_get_double(v));
    *present = *secs != 0;
    return true;
}

vg_jwt_result_t vg_jwt_verify(const char *token, const void *secret, size_t secret_len,
                              int64_t now_s)
{
    const char *dot1, *dot2;
    json_object *head = NULL, *claims = NULL, *alg;
    jwt_t *jwt = NULL;
    bool has_iat, has_exp, has_nbf;
    double iat = 0, exp = 0, nbf = 0, now = (double)now_s;
    vg_jwt_result_t r = VG_JWT_UNAUTHORIZED;

    /* never verify against an empty key: anyone could sign for it */
    if (token == NULL || secret == NULL || secret_len == 0 || secret_len > INT_MAX)
        return VG_JWT_UNAUTHORIZED;
    if ((dot1 = strchr(token, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL ||
        strchr(dot2 + 1, '.') != NULL || dot1 == token || dot2 == dot1 + 1 || dot2[1] == '\0')
        return VG_JWT_UNAUTHORIZED;

    if ((head = vg_jwt_segment(token, (size_t)(dot1 - token))) == NULL ||
        !json_object_object_get_ex(head, "alg", &alg) ||
        !json_object_is_type(alg, json_type_string) ||
        strcmp(json_object_get_string(alg), "HS256") != 0 ||
        (claims = vg_jwt_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
        goto out;
    if (jwt_decode(&jwt, token, secret, (int)secret_len) != 0 || jwt == NULL ||
        jwt_get_alg(jwt) != JWT_ALG_HS256)
        goto out;
    /* a claim of the wrong type fails the parse, before any is validated */
    if (!vg_jwt_date(claims, "iat", &has_iat, &iat) ||
        !vg_jwt_date(claims, "exp", &has_exp, &exp) || !vg_jwt_date(claims, "nbf", &has_nbf, &nbf))
        goto out;
    /* jwx validates iat, then exp, then nbf, with zero skew */
    if (has_iat && iat > now)
        r = VG_JWT_IAT;
    else if (has_exp && now >= exp)
        r = VG_JWT_EXPIRED;
    else if (has_nbf && nbf > now)
        r = VG_JWT_NBF;
    else
        r = VG_JWT_OK;
out:
    if (jwt != NULL)
        jwt_free(jwt);
    json_object_put(claims);
    json_object_put(head);
    return r;
}

const char *vg_jwt_result_text(vg_jwt_result_t r)
{
    switch (r) {
    case VG_JWT_OK:
        return "ok";
    case VG_JWT_EXPIRED:
        return "token is expired";
    case VG_JWT_NBF:
        return "token nbf validation failed";
    case VG_JWT_IAT:
        return "token iat validation failed";
    case VG_JWT_UNAUTHORIZED:
        break;
    }
    return "token is unauthorized";
}

char *vg_jwt_sign(const void *secret, size_t secret_len, int64_t now_s, int64_t ttl_s)
{
    jwt_t *jwt = NULL;
    char *out = NULL;

    if (secret == NULL || secret_len == 0 || secret_len > INT_MAX || jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, secret, (int)secret_len) == 0 &&
        (ttl_s < 0 || jwt_add_grant_int(jwt, "exp", (long)(now_s + ttl_s)) == 0))
        out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return out;
}
