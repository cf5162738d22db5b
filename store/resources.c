/* store/resources.c - one btree keyed "kind\0id"; a cursor range over the "kind\0" prefix lists
 * a kind in id order.
 * SPDX-License-Identifier: MIT */
#include "resources.h"

#include "core/mem.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills k with "kind\0id" in buf (at least 1024 bytes).
 * A key too long to have been stored is VG_EINVAL for writes and VG_ENOTFOUND for reads. */
static int store_res_key(store_t *st, DBT *k, char *buf, const char *kind, const char *id,
                         int writing, vg_err_t *err)
{
    size_t kl = strlen(kind), il = strlen(id);

    (void)st;
    if (kl + 1 + il > 1024)
        return writing ? vg_fail(err, VG_EINVAL, "resource id too long")
                       : vg_fail(err, VG_ENOTFOUND, "not found");
    memcpy(buf, kind, kl);
    buf[kl] = '\0';
    memcpy(buf + kl + 1, id, il);
    memset(k, 0, sizeof *k);
    k->data = buf;
    k->size = (u_int32_t)(kl + 1 + il);
    return VG_OK;
}

int store_res_put(store_t *st, store_txn_t *txn, const char *kind, const char *id, const char *doc,
                  size_t len, vg_err_t *err)
{
    char kb[1024];
    DBT k, v = {0};
    int rc;

    if ((rc = store_res_key(st, &k, kb, kind, id, 1, err)) != VG_OK)
        return rc;
    v.data = (void *)doc;
    v.size = (u_int32_t)len;
    return store_rc(st, st->resources->put(st->resources, txn, &k, &v, 0), "resources put", err);
}

int store_res_get(store_t *st, store_txn_t *txn, const char *kind, const char *id, char **doc,
                  size_t *len, vg_err_t *err)
{
    char kb[1024];
    DBT k, v = {0};
    int rc;

    if ((rc = store_res_key(st, &k, kb, kind, id, 0, err)) != VG_OK)
        return rc;
    v.flags = DB_DBT_MALLOC;
    if ((rc = store_rc(st, st->resources->get(st->resources, txn, &k, &v, 0), "resources get",
                       err)) != VG_OK)
        return rc;
    *doc = vg_xmalloc(v.size + 1);
    memcpy(*doc, v.data, v.size);
    (*doc)[v.size] = '\0';
    *len = v.size;
    free(v.data);
    return VG_OK;
}

int store_res_del(store_t *st, store_txn_t *txn, const char *kind, const char *id, vg_err_t *err)
{
    char kb[1024];
    DBT k;
    int rc;

    if ((rc = store_res_key(st, &k, kb, kind, id, 0, err)) != VG_OK)
        return rc;
    return store_rc(st, st->resources->del(st->resources, txn, &k, 0), "resources del", err);
}

int store_res_list(store_t *st, store_txn_t *txn, const char *kind, store_res_fn fn, void *arg,
                   vg_err_t *err)
{
    return store_res_list_prefix(st, txn, kind, "", fn, arg, err);
}

int store_res_list_prefix(store_t *st, store_txn_t *txn, const char *kind, const char *prefix,
                          store_res_fn fn, void *arg, vg_err_t *err)
{
    char kb[1024], pfx[1024];
    size_t plen;
    DBC *cur;
    DBT k, v = {0};
    u_int32_t op = DB_SET_RANGE;
    int rc;

    if ((rc = store_res_key(st, &k, pfx, kind, prefix, 0, err)) != VG_OK)
        return rc == VG_ENOTFOUND ? VG_OK : rc; /* a prefix too long to be stored lists nothing */
    plen = k.size;
    memcpy(kb, pfx, plen);
    if ((rc = store_rc(st, st->resources->cursor(st->resources, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    k.data = kb;
    k.size = (u_int32_t)plen;
    k.ulen = sizeof kb;
    k.flags = DB_DBT_USERMEM;
    v.flags = DB_DBT_MALLOC;
    while ((rc = store_rc(st, cur->get(cur, &k, &v, op), "c_get", err)) == VG_OK) {
        op = DB_NEXT;
        if (k.size < plen || memcmp(k.data, pfx, plen) != 0) {
            free(v.data);
            break;
        }
        char id[1024];
        char *doc = vg_xmalloc(v.size + 1);

        /* the id as stored: the kind's prefix off, the id prefix kept */
        size_t kl = strlen(kind) + 1;

        snprintf(id, sizeof id, "%.*s", (int)(k.size - kl), (char *)k.data + kl);
        memcpy(doc, v.data, v.size);
        doc[v.size] = '\0';
        free(v.data);
        rc = fn(id, doc, v.size, arg);
        free(doc);
        if (rc != 0)
            goto out;
    }
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
out:
    cur->close(cur);
    return rc;
}
