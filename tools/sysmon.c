/* tools/sysmon.c - `vigilctl appkey` and `vigilctl server`: the tenants' keys and the host
 * inventory the sysmon API lists and its targets point at (store/inventory.h).
 * SPDX-License-Identifier: MIT */
#include "core/digest.h"
#include "core/time.h"
#include "ctl.h"
#include "store/inventory.h"
#include "store/resources.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_APPKEY_LEN 20 /* characters of a created appkey: 20 of 62, about 119 bits */

typedef struct {
    const char *project, *key, *prefix;
    int removed;
} ctl_appkey_t;

static int ctl_appkey_add_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_appkey_t *a = arg;

    return inv_appkey_add(st, txn, a->project, a->key, vg_now_ms(), err);
}

static int ctl_appkey_revoke_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_appkey_t *a = arg;

    return inv_appkey_revoke(st, txn, a->prefix, &a->removed, err);
}

static int ctl_appkey_print(const char *id, const char *doc, size_t len, void *arg)
{
    json_object *o = json_tokener_parse(doc), *p = NULL, *c = NULL;

    (void)len;
    (void)arg;
    if (o != NULL) {
        json_object_object_get_ex(o, "project", &p);
        json_object_object_get_ex(o, "created", &c);
    }
    printf("%-24s %-24s sha256:%.16s\n", p ? json_object_get_string(p) : "?",
           c ? json_object_get_string(c) : "?", id);
    json_object_put(o);
    return 0;
}

static int ctl_appkey_list_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    (void)arg;
    printf("%-24s %-24s %s\n", "PROJECT", "CREATED", "KEY");
    return store_res_list(st, txn, INV_APPKEY, ctl_appkey_print, NULL, err);
}

/* A new key of CTL_APPKEY_LEN letters and digits, unbiased. */
static void ctl_appkey_new(char out[CTL_APPKEY_LEN + 1])
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;

    while (n < CTL_APPKEY_LEN) {
        unsigned char b[32];

        vg_random_bytes(b, sizeof b);
        for (size_t i = 0; i < sizeof b && n < CTL_APPKEY_LEN; i++)
            if (b[i] < 248) /* 248 = 4 * 62: no modulo bias */
                out[n++] = set[b[i] % 62];
    }
    out[n] = '\0';
}

int ctl_appkey(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"project", required_argument, NULL, 'p'},
                                         {"key", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    ctl_appkey_t a = {0};
    char fresh[CTL_APPKEY_LEN + 1];
    const char *sub;
    int opt, rc;

    (void)c;
    if (argc < 2)
        return vg_fail(err, VG_EINVAL, "appkey: missing subcommand (create, add, list, revoke)");
    sub = argv[1];
    if (strcmp(sub, "list") == 0)
        return store_txn_run(st, ctl_appkey_list_txn, NULL, err);
    if (strcmp(sub, "revoke") == 0) {
        if (argc != 3)
            return vg_fail(err, VG_EINVAL, "appkey revoke needs one KEY or sha256:DIGEST-PREFIX");
        a.prefix = argv[2];
        if ((rc = store_txn_run(st, ctl_appkey_revoke_txn, &a, err)) == VG_OK)
            printf("revoked\n");
        return rc;
    }
    if (strcmp(sub, "create") != 0 && strcmp(sub, "add") != 0)
        return vg_fail(err, VG_EINVAL, "appkey: unknown subcommand \"%s\"", sub);
    optind = 2;
    while ((opt = getopt_long(argc, argv, "p:k:", opts, NULL)) != -1) {
        if (opt == 'p')
            a.project = optarg;
        else if (opt == 'k' && strcmp(sub, "add") == 0)
            a.key = optarg;
        else
            return vg_fail(err, VG_EINVAL, "appkey %s: bad option", sub);
    }
    if (optind != argc || a.project == NULL)
        return vg_fail(err, VG_EINVAL, "appkey %s needs --project ID%s", sub,
                       strcmp(sub, "add") == 0 ? " and --key KEY" : "");
    if (strcmp(sub, "create") == 0) {
        ctl_appkey_new(fresh);
        a.key = fresh;
    } else if (a.key == NULL || strlen(a.key) < 8) {
        return vg_fail(err, VG_EINVAL, "appkey add needs a --key of at least 8 characters");
    }
    if ((rc = store_txn_run(st, ctl_appkey_add_txn, &a, err)) != VG_OK)
        return rc;
    if (strcmp(sub, "create") == 0) {
        /* the key itself only here, once: the store keeps its digest */
        printf("appkey for project %s (shown once, stored as its SHA-256):\n%s\n", a.project,
               a.key);
    } else {
        char digest[65];

        vg_sha256_hex(a.key, strlen(a.key), digest);
        printf("appkey for project %s stored (sha256:%.16s)\n", a.project, digest);
    }
    return VG_OK;
}

typedef struct {
    inv_server_t s;
    int n;
} ctl_server_t;

static int ctl_server_add_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    return inv_server_put(st, txn, &((ctl_server_t *)arg)->s, err);
}

static int ctl_server_del_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_server_t *a = arg;
    int rc = inv_server_del(st, txn, a->s.project, a->s.host_id, err);

    if (rc == VG_ENOTFOUND)
        return vg_fail(err, VG_ENOTFOUND, "project %s has no host %s", a->s.project, a->s.host_id);
    return rc;
}

static const char *ctl_str(json_object *o, const char *k)
{
    json_object *v;

    return json_object_object_get_ex(o, k, &v) && v != NULL ? json_object_get_string(v) : "-";
}

static int ctl_server_print(const char *id, json_object *doc, void *arg)
{
    (void)id;
    ((ctl_server_t *)arg)->n++;
    printf("%-24s %-24s %-16s %-6s %s\n", ctl_str(doc, "hostId"), ctl_str(doc, "hostNm"),
           ctl_str(doc, "svrIp"), ctl_str(doc, "region"), ctl_str(doc, "instanceId"));
    return 0;
}

static int ctl_server_list_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_server_t *a = arg;

    printf("%-24s %-24s %-16s %-6s %s\n", "HOST-ID", "NAME", "IP", "REGION", "INSTANCE-ID");
    return inv_list(st, txn, INV_SERVER, a->s.project, NULL, ctl_server_print, a, err);
}

int ctl_server(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"project", required_argument, NULL, 'p'},
                                         {"host-id", required_argument, NULL, 'h'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"ip", required_argument, NULL, 'i'},
                                         {"instance-id", required_argument, NULL, 'I'},
                                         {"region", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    ctl_server_t a = {0};
    const char *sub;
    int opt, rc;

    if (argc < 2)
        return vg_fail(err, VG_EINVAL, "server: missing subcommand (add, remove, list)");
    sub = argv[1];
    a.s.project = c->store_default_project;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "p:h:n:i:I:r:", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            a.s.project = optarg;
            break;
        case 'h':
            a.s.host_id = optarg;
            break;
        case 'n':
            a.s.name = optarg;
            break;
        case 'i':
            a.s.ip = optarg;
            break;
        case 'I':
            a.s.instance_id = optarg;
            break;
        case 'r':
            a.s.region = optarg;
            break;
        default:
            return vg_fail(err, VG_EINVAL, "server %s: bad option", sub);
        }
    }
    if (optind != argc)
        return vg_fail(err, VG_EINVAL, "server %s: unexpected argument \"%s\"", sub, argv[optind]);
    if (!inv_project_valid(a.s.project))
        return vg_fail(err, VG_EINVAL, "bad project id \"%s\"", a.s.project);
    if (strcmp(sub, "list") == 0) {
        rc = store_txn_run(st, ctl_server_list_txn, &a, err);
        return rc;
    }
    if (a.s.host_id == NULL)
        return vg_fail(err, VG_EINVAL, "server %s needs --host-id", sub);
    if (strcmp(sub, "remove") == 0) {
        if ((rc = store_txn_run(st, ctl_server_del_txn, &a, err)) == VG_OK)
            printf("host %s removed from project %s\n", a.s.host_id, a.s.project);
        return rc;
    }
    if (strcmp(sub, "add") != 0)
        return vg_fail(err, VG_EINVAL, "server: unknown subcommand \"%s\"", sub);
    if (a.s.name == NULL || a.s.ip == NULL)
        return vg_fail(err, VG_EINVAL, "server add needs --host-id, --name and --ip");
    if ((rc = store_txn_run(st, ctl_server_add_txn, &a, err)) == VG_OK)
        printf("host %s (%s, %s) stored in project %s, region %s\n", a.s.host_id, a.s.name, a.s.ip,
               a.s.project, a.s.region ? a.s.region : "kr");
    return rc;
}
