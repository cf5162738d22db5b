/* tools/concertim.c - `vigilctl devices load` (the Concertim device table, from a
 * data-source-map file) and `vigilctl token create` (an HS256 JWT for the configured secret).
 * SPDX-License-Identifier: MIT */
#include "core/jwt.h"
#include "core/secret.h"
#include "core/time.h"
#include "ctl.h"
#include "store/mrd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_devices(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    size_t n = 0;
    int loaded = 0, rc;

    (void)c;
    if (argc != 3 || strcmp(argv[1], "load") != 0)
        return vg_fail(err, VG_EINVAL, "usage: vigilctl devices load FILE");
    /* the compactor's reload, forced: the same checks, and the load counts for the throttle */
    rc = mrd_devices_reload(st, argv[2], vg_now_ms(), 0, &loaded, &n, err);
    if (rc == VG_OK)
        printf("%zu devices loaded from %s\n", n, argv[2]);
    return rc;
}

int ctl_token(const conf_t *c, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"ttl", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    char secret[VG_SECRET_MAX];
    const char *where;
    int64_t ttl_ms = 86400 * 1000;
    size_t len;
    char *tok;
    int opt;

    if (argc < 2 || strcmp(argv[1], "create") != 0)
        return vg_fail(err, VG_EINVAL, "usage: vigilctl token create [--ttl DURATION]");
    optind = 2;
    while ((opt = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
        if (opt != 't' || vg_duration_parse(optarg, &ttl_ms) != 0 || ttl_ms < 1000)
            return vg_fail(err, VG_EINVAL, "token create: --ttl takes a duration such as 24h, 90m");
    }
    if (optind != argc)
        return vg_fail(err, VG_EINVAL, "token create: unexpected argument \"%s\"", argv[optind]);
    if ((len = vg_concertim_secret(c, secret, sizeof secret, &where)) == 0)
        return vg_fail(err, VG_EINVAL, "no JWT secret: set [concertim] secret, $JWT_SECRET or %s",
                       where);
    tok = vg_jwt_sign(secret, len, vg_now_ms() / 1000, ttl_ms / 1000);
    memset(secret, 0, sizeof secret);
    if (tok == NULL)
        return vg_fail(err, VG_EINTERNAL, "signing the token failed");
    printf("%s\n", tok);
    free(tok);
    return VG_OK;
}
