/* store/stream.c - the `stream` btree: seq(8, big-endian) → db\0rp\0precision\0now_ns(8)body.
 * The byte total lives in the meta database ("stream_bytes") so trimming needs no scan.
 * SPDX-License-Identifier: MIT */
#include "stream.h"

#include "codec.h"
#include "core/mem.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int store_stream_bytes(store_t *st, store_txn_t *txn, uint64_t *bytes, vg_err_t *err)
{
    unsigned char b[8];
    size_t len = 0;
    int rc = store_meta_get(st, txn, "stream_bytes", b, sizeof b, &len, err);

    *bytes = rc == VG_OK && len == 8 ? store_codec_u64(b) : 0;
    return rc == VG_ENOTFOUND ? VG_OK : rc;
}

int store_stream_size(store_t *st, store_txn_t *txn, uint64_t *bytes, vg_err_t *err)
{
    return store_stream_bytes(st, txn, bytes, err);
}

static int store_stream_set_bytes(store_t *st, store_txn_t *txn, uint64_t bytes, vg_err_t *err)
{
    unsigned char b[8];

    store_codec_put_u64(b, bytes);
    return store_meta_put(st, txn, "stream_bytes", b, 8, err);
}

int store_stream_append(store_t *st, store_txn_t *txn, const char *db, const char *rp,
                        const char *precision, int64_t now_ns, const char *body, size_t len,
                        uint64_t *seq, vg_err_t *err)
{
    size_t dl = strlen(db) + 1, rl = strlen(rp) + 1, pl = strlen(precision) + 1;
    unsigned char kb[8];
    DBT k = {0}, v = {0};
    DBC *cur;
    uint64_t bytes;
    int rc;

    if ((rc = store_rc(st, st->stream->cursor(st->stream, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    k.data = kb;
    k.ulen = sizeof kb;
    k.flags = DB_DBT_USERMEM;
    v.flags = DB_DBT_PARTIAL; /* the key is all we need */
    /* DB_RMW: the tail stays write-locked until this transaction resolves */
    rc = cur->get(cur, &k, &v, DB_LAST | DB_RMW);
    cur->close(cur);
    if (rc == 0)
        *seq = store_codec_u64(kb) + 1;
    else if (rc == DB_NOTFOUND)
        *seq = 1;
    else
        return store_rc(st, rc, "stream tail", err);
    if ((rc = store_stream_bytes(st, txn, &bytes, err)) < 0)
        return rc;

    size_t total = dl + rl + pl + 8 + len;
    unsigned char *rec = vg_xmalloc(total);

    memcpy(rec, db, dl);
    memcpy(rec + dl, rp, rl);
    memcpy(rec + dl + rl, precision, pl);
    store_codec_put_u64(rec + dl + rl + pl, (uint64_t)now_ns);
    memcpy(rec + dl + rl + pl + 8, body, len);
    store_codec_put_u64(kb, *seq);
    memset(&k, 0, sizeof k);
    memset(&v, 0, sizeof v);
    k.data = kb;
    k.size = 8;
    v.data = rec;
    v.size = (u_int32_t)total;
    /* NOOVERWRITE as a guard: were two appenders ever handed one number, the loser retries */
    rc = st->stream->put(st->stream, txn, &k, &v, DB_NOOVERWRITE);
    rc = rc == DB_KEYEXIST ? VG_ERETRY : store_rc(st, rc, "stream put", err);
    free(rec);
    if (rc == VG_OK)
        rc = store_stream_set_bytes(st, txn, bytes + total, err);
    return rc;
}

/* Splits a stored record; VG_EINTERNAL when it is not one. */
static int store_stream_parse(const unsigned char *p, size_t n, store_stream_rec_t *r,
                              vg_err_t *err)
{
    const char *s = (const char *)p, *e = s + n;
    const char *f[3];

    for (int i = 0; i < 3; i++) {
        const char *z = memchr(s, '\0', (size_t)(e - s));

        if (z == NULL)
            return vg_fail(err, VG_EINTERNAL, "store: corrupt stream record");
        f[i] = s;
        s = z + 1;
    }
    if (e - s < 8)
        return vg_fail(err, VG_EINTERNAL, "store: corrupt stream record");
    r->db = f[0];
    r->rp = f[1];
    r->precision = f[2];
    r->now_ns = (int64_t)store_codec_u64(s);
    r->body = s + 8;
    r->len = (size_t)(e - s - 8);
    return VG_OK;
}

int store_stream_read(store_t *st, store_txn_t *txn, uint64_t after, size_t max, store_stream_fn fn,
                      void *arg, vg_err_t *err)
{
    unsigned char kb[8];
    DBT k = {0}, v = {0};
    DBC *cur;
    size_t n = 0;
    int rc;

    if ((rc = store_rc(st, st->stream->cursor(st->stream, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    store_codec_put_u64(kb, after + 1);
    k.data = kb;
    k.size = 8;
    k.ulen = sizeof kb;
    k.flags = DB_DBT_USERMEM;
    v.flags = DB_DBT_REALLOC;
    rc = store_rc(st, cur->get(cur, &k, &v, DB_SET_RANGE), "stream seek", err);
    while (rc == VG_OK && n < max) {
        store_stream_rec_t r;

        if ((rc = store_stream_parse(v.data, v.size, &r, err)) < 0)
            break;
        r.seq = store_codec_u64(kb);
        if ((rc = fn(&r, arg)) != 0)
            break;
        n++;
        rc = store_rc(st, cur->get(cur, &k, &v, DB_NEXT), "stream next", err);
    }
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
    free(v.data);
    cur->close(cur);
    return rc;
}

int store_stream_trim(store_t *st, store_txn_t *txn, uint64_t max_bytes, size_t *removed,
                      vg_err_t *err)
{
    unsigned char kb[8];
    DBT k = {0}, v = {0};
    DBC *cur;
    uint64_t bytes, last;
    int rc;

    *removed = 0;
    if ((rc = store_stream_bytes(st, txn, &bytes, err)) < 0 || bytes <= max_bytes)
        return rc;
    if ((rc = store_rc(st, st->stream->cursor(st->stream, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    k.data = kb;
    k.ulen = sizeof kb;
    k.flags = DB_DBT_USERMEM;
    v.flags = DB_DBT_REALLOC;
    /* the newest record always stays: writers find the next sequence number from it */
    rc = store_rc(st, cur->get(cur, &k, &v, DB_LAST | DB_RMW), "stream last", err);
    last = store_codec_u64(kb);
    if (rc == VG_OK)
        rc = store_rc(st, cur->get(cur, &k, &v, DB_FIRST | DB_RMW), "stream first", err);
    while (rc == VG_OK && bytes > max_bytes && store_codec_u64(kb) != last) {
        bytes = bytes > v.size ? bytes - v.size : 0;
        if ((rc = store_rc(st, cur->del(cur, 0), "stream del", err)) < 0)
            break;
        (*removed)++;
        rc = store_rc(st, cur->get(cur, &k, &v, DB_NEXT | DB_RMW), "stream next", err);
    }
    free(v.data);
    cur->close(cur);
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
    if (rc == VG_OK && *removed > 0)
        rc = store_stream_set_bytes(st, txn, bytes, err);
    return rc;
}
