/* tools/concertim.c - `vigilctl devices load|list` (the Concertim device table, from a
 * data-source-map file) and `vigilctl token create` (an HS256 JWT for the configured secret).
 * SPDX-License-Identifier: MIT */
#include "core/arena.h"
#include "core/fs.h"
#include "core/jwt.h"
#include "core/secret.h"
#include "core/time.h"
#include "ctl.h"
#include "ingest/mrd.h"
#include "store/mrd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_DSM_MAX (64 * 1024 * 1024)

typedef struct {
    const char *const *ids;
    size_t n;
} ctl_devices_t;

static int ctl_devices_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_devices_t *d = arg;

    return mrd_devices_replace(st, txn, d->ids, d->n, err);
}

int ctl_devices(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    vg_arena_t a;
    ctl_devices_t d = {0};
    char *text = NULL;
    size_t len = 0;
    const char **ids;
    int rc;

    (void)c;
    if (argc != 3 || strcmp(argv[1], "load") != 0)
        return vg_fail(err, VG_EINVAL, "usage: vigilctl devices load FILE");
    if ((rc = vg_read_file(argv[2], CTL_DSM_MAX, &text, &len, err)) != VG_OK)
        return rc;
    vg_arena_init(&a, 0);
    rc = mrd_dsm_parse(text, len, &a, &ids, &d.n, err);
    if (rc == VG_OK) {
        d.ids = ids;
        rc = store_txn_run(st, ctl_devices_txn, &d, err);
    } else {
        char msg[sizeof err->msg];

        snprintf(msg, sizeof msg, "%s", err->msg);
        vg_fail(err, rc, "%.200s: %.300s", argv[2], msg);
    }
    if (rc == VG_OK)
        printf("%zu devices loaded from %s\n", d.n, argv[2]);
    vg_arena_fini(&a);
    free(text);
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
