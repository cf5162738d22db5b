/* fcgi/auth.c - appkey → project for every route with AUTH_APPKEY. The lookup reads the digest's
 * document each time, so a revoked key stops working at once.
 * SPDX-License-Identifier: MIT */
#include "auth.h"

#include "core/digest.h"
#include "store/inventory.h"

#include <string.h>
#include <strings.h>

const char *fc_auth_key(req_t *req)
{
    const char *key = req_header(req, "X-TC-APP-KEY"), *h, *colon;
    unsigned char *dec;
    size_t len;
    long n;

    if (key != NULL)
        return key;
    h = req_header(req, "Authorization");
    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
        return NULL;
    h += 6;
    while (*h == ' ')
        h++;
    len = strcspn(h, " ");
    dec = vg_arena_alloc(req->arena, len / 4 * 3 + 1);
    if ((n = vg_base64_decode(h, len, dec, len / 4 * 3)) < 0)
        return NULL;
    dec[n] = '\0';
    /* user:password; the user name is ignored */
    if (memchr(dec, '\0', (size_t)n) != NULL || (colon = strchr((char *)dec, ':')) == NULL)
        return NULL;
    return colon + 1;
}

int fc_auth_appkey(req_t *req, vg_err_t *err)
{
    char project[INV_PROJECT_MAX + 1];
    const char *key = fc_auth_key(req), *want;
    int rc;

    if (req->store == NULL)
        return vg_fail(err, VG_EUNAVAIL, "store unavailable: %s",
                       req->store_error ? req->store_error : "not open");
    if (key == NULL || *key == '\0')
        return vg_fail(err, VG_EAUTH,
                       "appkey required: send it in X-TC-APP-KEY or as the HTTP Basic password");
    if ((rc = inv_appkey_project(req->store, NULL, key, project, err)) != VG_OK)
        return rc;
    want = req_param(req, "projectId");
    if (want != NULL && strcmp(want, project) != 0)
        return vg_fail(err, VG_EDENIED, "the appkey does not give access to project %s", want);
    req->project = vg_arena_strdup(req->arena, project);
    return VG_OK;
}
