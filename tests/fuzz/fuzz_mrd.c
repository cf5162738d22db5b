/* tests/fuzz/fuzz_mrd.c - libFuzzer target for the Concertim bodies: every input goes to
 * mrd_report_parse(), mrd_token_request_parse() and mrd_dsm_parse(), and (as a token) to
 * vg_jwt_verify(). A report is either valid and canonical, a 400 with Go's message (the same one
 * the token request gets when the JSON itself is at fault), or a 422 listing at most one item per
 * key; never a crash, a leak or unbounded recursion.
 * SPDX-License-Identifier: MIT */
#include "core/jwt.h"
#include "ingest/mrd.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_mrd_check_report(const mrd_report_t *r)
{
    char *end;

    if (r->name == NULL || r->name[0] == '\0' || r->value == NULL || r->units == NULL)
        abort();
    if ((unsigned)r->type >= MRD_T_NTYPES || (unsigned)r->slope >= MRD_S_NSLOPES || r->ttl_s < 1)
        abort();
    if (strpbrk(r->units, "<>'\"&") != NULL)
        abort();
    switch (r->type) {
    case MRD_T_STRING:
        if (r->number != 0)
            abort();
        break;
    case MRD_T_FLOAT:
    case MRD_T_DOUBLE: /* exactly 6 decimals */
        end = strchr(r->value, '.');
        if (end == NULL || strlen(end + 1) != 6)
            abort();
        break;
    default: /* a decimal integer that is the number */
        if ((double)strtoll(r->value, &end, 10) != r->number || *end != '\0')
            abort();
        if (r->type == MRD_T_UINT8 || r->type == MRD_T_UINT16 || r->type == MRD_T_UINT32)
            if (r->value[0] == '-')
                abort();
        break;
    }
}

static bool fuzz_mrd_syntax_msg(const char *m)
{
    return strcmp(m, "EOF") == 0 || strcmp(m, "unexpected EOF") == 0 ||
           strncmp(m, "invalid character ", 18) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    vg_arena_t a;
    vg_err_t err = {0}, terr = {0}, derr = {0};
    mrd_report_t r;
    int64_t expires = 0;
    const char **ids = NULL;
    size_t n = 0;
    char *tok;
    int rc;

    vg_arena_init(&a, 0);
    rc = mrd_report_parse(body, size, &a, &r, &err);
    if (rc == VG_OK) {
        if (err.nitems != 0)
            abort();
        fuzz_mrd_check_report(&r);
    } else if (rc != VG_EINVAL || err.code != VG_EINVAL) {
        abort();
    } else if (err.subcode == MRD_SUB_DECODE) {
        if (err.nitems != 0 || err.msg[0] == '\0')
            abort();
    } else if (err.subcode == MRD_SUB_INVALID) {
        if (err.nitems == 0 || err.nitems > 7)
            abort();
        for (size_t i = 0; i < err.nitems; i++)
            if (err.items[i].title[0] == '\0' || err.items[i].detail[0] == '\0' ||
                err.items[i].source[0] == '\0')
                abort();
    } else {
        abort();
    }

    /* the same decoder: a body that is not JSON fails both the same way */
    rc = mrd_token_request_parse(body, size, &expires, &terr);
    if (rc != VG_OK && (rc != VG_EINVAL || terr.subcode != MRD_SUB_DECODE || terr.msg[0] == '\0'))
        abort();
    if (err.subcode == MRD_SUB_DECODE && fuzz_mrd_syntax_msg(err.msg) &&
        strcmp(err.msg, terr.msg) != 0)
        abort();
    if (rc == VG_OK && expires > INT64_MAX / 1000000000)
        abort();

    rc = mrd_dsm_parse(body, size, &a, &ids, &n, &derr);
    if (rc == VG_OK) {
        if (ids[n] != NULL)
            abort();
        for (size_t i = 0; i < n && i < 64; i++)
            for (size_t j = i + 1; j < n && j < 64; j++)
                if (strcmp(ids[i], ids[j]) == 0)
                    abort(); /* each id once */
    } else if (strncmp(derr.msg, "data source map: ", 17) != 0) {
        abort();
    }

    /* as a bearer token: nobody can forge one for this secret */
    tok = vg_arena_strndup(&a, body, size);
    if (vg_jwt_verify(tok, "fuzz-secret", 11, 1700000000) == VG_JWT_OK)
        abort();
    vg_arena_fini(&a);
    return 0;
}
