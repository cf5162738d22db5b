/* store/events.c - the StackTach event store (see events.h and ../shared/specs/stacktach.md).
 *
 * Raw tables: raw_<service>.db maps a raw id (big-endian u64, so cursor order is id order) to a
 * record of its columns (below), raw_<service>_text.db the same id to the stored text (deflated),
 * kept apart so the lookups that list rows read small records; raw_<service>_idx.db is the
 * columns' secondary (DB->associate, DUPSORT, the data is the
 * raw id) holding, for every raw, one key per index it appears in:
 *
 *   'i' instance|uuid \0 when8     'r' request_id \0 when8     'e' event \0 when8
 *   'h' host \0 when8 (not null)   't' tenant \0 when8          'd' deployment4 when8
 *   'w' when8
 *
 * when8 is the time in microseconds with the sign bit flipped, big-endian, so every index is
 * ordered by (key, when, id) and a lookup with time bounds is one range of one cursor.
 *
 * Derived data and the rest live in stacky.db under one-letter prefixes, maintained in the same
 * transaction as the raw:
 *
 *   S name → u64            sequences (raw ids per table, timings, trackers, usage, reports)
 *   P dep4 → name, Q name → dep4                              deployments
 *   H table → "1"                                             some raw of table had no host
 *   L instance → lifecycle  {last raw, last state, last task state}
 *   T id8 → timing;  I instance \0 id8;  O instance \0 name \0 id8 (start, no end yet)
 *   N name \0 diff8 id8 (complete, by diff);  C name \0 id8 → diff8 (complete, diff >= 0)
 *   K id8 → tracker;  R request \0 id8;  k start8 id8 (trackers with a last timing)
 *   a id8 → launch;  A instance \0 request → id8;  B instance \0 id8
 *   x id8 → delete;  D instance \0 launched8 deleted8 → id8;  E instance \0 id8
 *   X id8 → exists;  Y instance \0 id8
 *   u/v/y id8 → image usage/delete/exists (JSON documents)
 *   p id8 → report;  q name \0 start8 end8 → id8
 *   c dep4 event \0 host → u64 (stacktach_events_total's count)
 * SPDX-License-Identifier: MIT */
#include "events.h"

#include "core/buf.h"
#include "core/log.h"
#include "codec.h"
#include "ingest/batch.h"
#include "series.h"
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SK_REC_VERSION 1
#define SK_NULL_LEN    0xffffffffu
#define SK_KEY_MAX     1024 /* index keys carry strings; longer ones are cut (still prefix-exact) */

/* ---- byte helpers ---- */

/* a signed time as an order-preserving unsigned */
static void sk_time8(unsigned char *p, int64_t us)
{
    store_codec_put_u64(p, (uint64_t)us ^ 0x8000000000000000ull);
}

static int64_t sk_get_time8(const unsigned char *p)
{
    return (int64_t)(store_codec_u64(p) ^ 0x8000000000000000ull);
}

/* ---- records: a version byte, then fields; strings are u32 length (SK_NULL_LEN = null) ---- */

static void rec_u8(vg_buf_t *b, unsigned v)
{
    vg_buf_addc(b, (char)v);
}

static void rec_u32(vg_buf_t *b, uint32_t v)
{
    unsigned char p[4];

    store_codec_put_u32(p, v);
    vg_buf_add(b, p, 4);
}

static void rec_i64(vg_buf_t *b, int64_t v)
{
    unsigned char p[8];

    store_codec_put_u64(p, (uint64_t)v);
    vg_buf_add(b, p, 8);
}

static void rec_str(vg_buf_t *b, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    rec_u32(b, s != NULL ? (uint32_t)n : SK_NULL_LEN);
    if (n > 0)
        vg_buf_add(b, s, n);
}

static void rec_mem(vg_buf_t *b, const char *s, size_t n)
{
    rec_u32(b, (uint32_t)n);
    vg_buf_add(b, s, n);
}

typedef struct {
    const unsigned char *p, *end;
    vg_arena_t *a; /* NULL: strings are not copied (rd_span only) */
    int bad;
} rd_t;

static void rd_init(rd_t *r, const void *p, size_t len, vg_arena_t *a)
{
    r->p = p;
    r->end = r->p + len;
    r->a = a;
    r->bad = 0;
}

static unsigned rd_u8(rd_t *r)
{
    if (r->p + 1 > r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

static uint32_t rd_u32(rd_t *r)
{
    uint32_t v;

    if (r->p + 4 > r->end) {
        r->bad = 1;
        return 0;
    }
    v = store_codec_u32(r->p);
    r->p += 4;
    return v;
}

static int64_t rd_i64(rd_t *r)
{
    int64_t v;

    if (r->p + 8 > r->end) {
        r->bad = 1;
        return 0;
    }
    v = (int64_t)store_codec_u64(r->p);
    r->p += 8;
    return v;
}

/* The next string as a pointer into the record and its length; *p NULL for null. */
static void rd_span(rd_t *r, const char **p, size_t *n)
{
    uint32_t len = rd_u32(r);

    *p = NULL;
    *n = 0;
    if (r->bad || len == SK_NULL_LEN)
        return;
    if ((size_t)(r->end - r->p) < len) {
        r->bad = 1;
        return;
    }
    *p = (const char *)r->p;
    *n = len;
    r->p += len;
}

static const char *rd_str(rd_t *r)
{
    const char *p;
    size_t n;

    rd_span(r, &p, &n);
    return p != NULL ? vg_arena_strndup(r->a, p, n) : NULL;
}

/* ---- raw records ---- */

/* the strings of a raw record, in order */
enum {
    RF_ROUTING_KEY,
    RF_PUBLISHER,
    RF_EVENT,
    RF_SERVICE,
    RF_HOST,
    RF_REQUEST_ID,
    RF_TENANT,
    RF_INSTANCE,
    RF_STATE,
    RF_OLD_STATE,
    RF_OLD_TASK,
    RF_TASK,
    RF_OS_ARCH,
    RF_OS_DISTRO,
    RF_OS_VERSION,
    RF_RAX_OPTIONS,
    RF_STATUS,
    RF_UUID,
    RF_OWNER,
    RF_MESSAGE_ID,
    RF_NSTR
};

/* header: version, table, deployment4, when8, image_type8; then RF_NSTR strings */

/* The stored text: a codec byte (0 plain, 1 zlib), its length, and the bytes (zlib: the
 * compressed stream). Notifications are JSON of a few KiB that deflates to about a third, and
 * every byte written is also logged: the fast level pays for itself in the write. */
#define RAW_JSON_PLAIN   0
#define RAW_JSON_ZLIB    1
#define RAW_ZLIB_MIN     256 /* shorter texts are stored plain */
#define RAW_JSON_MAX_LEN (256u << 20)

static void raw_encode_json(vg_buf_t *b, const char *json, size_t len)
{
    uLongf clen;

    if (len >= RAW_ZLIB_MIN && len < RAW_JSON_MAX_LEN) {
        clen = compressBound((uLong)len);
        vg_buf_reserve(b, 9 + clen);
        if (compress2((Bytef *)b->p + b->len + 9, &clen, (const Bytef *)json, (uLong)len, 1) ==
                Z_OK &&
            clen < len) {
            unsigned char *h = (unsigned char *)b->p + b->len;

            h[0] = RAW_JSON_ZLIB;
            store_codec_put_u32(h + 1, (uint32_t)len);
            store_codec_put_u32(h + 5, (uint32_t)clen);
            b->len += 9 + clen;
            b->p[b->len] = 0;
            return;
        }
    }
    rec_u8(b, RAW_JSON_PLAIN);
    rec_u32(b, (uint32_t)len);
    rec_mem(b, json, len);
}

/* The stored text back, NUL-terminated in a; NULL when the record is damaged. */
static char *raw_decode_json(rd_t *r, vg_arena_t *a, size_t *len)
{
    unsigned codec = rd_u8(r);
    uint32_t n = rd_u32(r);
    const char *p;
    size_t plen;
    char *out;
    uLongf olen = n;

    rd_span(r, &p, &plen);
    if (r->bad || p == NULL || n >= RAW_JSON_MAX_LEN)
        return NULL;
    if (codec == RAW_JSON_PLAIN) {
        *len = plen;
        return plen == n ? vg_arena_strndup(a, p, plen) : NULL;
    }
    out = vg_arena_alloc(a, (size_t)n + 1);
    if (codec != RAW_JSON_ZLIB ||
        uncompress((Bytef *)out, &olen, (const Bytef *)p, (uLong)plen) != Z_OK || olen != n)
        return NULL;
    out[n] = 0;
    *len = n;
    return out;
}

static void raw_encode(vg_buf_t *b, const sk_msg_t *m, uint32_t dep)
{
    const char *s[RF_NSTR] = {
        m->routing_key,     m->publisher,  m->event,
        m->service,         m->host,       m->request_id,
        m->tenant,          m->instance,   m->state,
        m->old_state,       m->old_task,   m->task,
        m->os_architecture, m->os_distro,  m->os_version,
        m->rax_options,     m->status,     m->uuid,
        m->owner,           m->message_id,
    };

    rec_u8(b, SK_REC_VERSION);
    rec_u8(b, (unsigned)m->table);
    rec_u32(b, dep);
    rec_i64(b, m->when_us);
    rec_i64(b, m->image_type);
    for (int i = 0; i < RF_NSTR; i++)
        rec_str(b, s[i]);
}

/* Fills out from a raw record (the columns; json stays NULL: raw_text_get). */
static int raw_decode(const void *p, size_t len, vg_arena_t *a, uint64_t id, sk_raw_t *out)
{
    rd_t r;
    const char **s[RF_NSTR] = {
        &out->m.routing_key,     &out->m.publisher,  &out->m.event,
        &out->m.service,         &out->m.host,       &out->m.request_id,
        &out->m.tenant,          &out->m.instance,   &out->m.state,
        &out->m.old_state,       &out->m.old_task,   &out->m.task,
        &out->m.os_architecture, &out->m.os_distro,  &out->m.os_version,
        &out->m.rax_options,     &out->m.status,     &out->m.uuid,
        &out->m.owner,           &out->m.message_id,
    };
    memset(out, 0, sizeof *out);
    rd_init(&r, p, len, a);
    if (rd_u8(&r) != SK_REC_VERSION)
        return -1;
    out->id = id;
    out->m.table = (sk_table_t)rd_u8(&r);
    out->deployment = rd_u32(&r);
    out->m.when_us = rd_i64(&r);
    out->m.image_type = rd_i64(&r);
    for (int i = 0; i < RF_NSTR; i++)
        *s[i] = rd_str(&r);
    if (r.bad || out->m.table >= SK_NTABLES)
        return -1;
    out->m.launched_at_us = out->m.deleted_at_us = out->m.terminated_at_us = SK_NO_TIME;
    out->m.audit_begin_us = out->m.audit_end_us = SK_NO_TIME;
    out->m.created_at_us = out->m.image_deleted_at_us = SK_NO_TIME;
    return 0;
}

/* ---- the secondary index keys (the associate callback) ---- */

/* Appends kind, s (cut at SK_KEY_MAX), a NUL and when8 at *p. */
static size_t idx_key_str(unsigned char *p, char kind, const char *s, size_t n, int64_t when)
{
    if (n > SK_KEY_MAX)
        n = SK_KEY_MAX;
    p[0] = (unsigned char)kind;
    memcpy(p + 1, s, n);
    p[1 + n] = 0;
    sk_time8(p + 2 + n, when);
    return n + 10;
}

int sk_index_keys(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
    rd_t r;
    const char *s[RF_NSTR];
    size_t n[RF_NSTR], total = 0, nkeys = 0;
    unsigned table, dep;
    int64_t when;
    DBT *keys;
    unsigned char *p;
    int idx_field[5] = {RF_INSTANCE, RF_REQUEST_ID, RF_EVENT, RF_HOST, RF_TENANT};
    const char kinds[5] = {'i', 'r', 'e', 'h', 't'};

    (void)sec;
    (void)key;
    rd_init(&r, data->data, data->size, NULL);
    if (rd_u8(&r) != SK_REC_VERSION)
        return DB_DONOTINDEX;
    table = rd_u8(&r);
    dep = rd_u32(&r);
    when = rd_i64(&r);
    (void)rd_i64(&r);
    for (int i = 0; i < RF_NSTR; i++)
        rd_span(&r, &s[i], &n[i]);
    if (r.bad)
        return DB_DONOTINDEX;
    if (table == SK_GLANCE) {
        /* glance's uuid lookups are by image */
        idx_field[0] = RF_UUID;
        idx_field[4] = -1; /* no tenant column */
    }
    for (int i = 0; i < 5; i++)
        if (idx_field[i] >= 0 && s[idx_field[i]] != NULL)
            total += (n[idx_field[i]] > SK_KEY_MAX ? SK_KEY_MAX : n[idx_field[i]]) + 10;
    total += 13 + 9;
    keys = malloc(7 * sizeof *keys + total);
    if (keys == NULL)
        return ENOMEM;
    memset(keys, 0, 7 * sizeof *keys);
    p = (unsigned char *)(keys + 7);
    for (int i = 0; i < 5; i++) {
        int f = idx_field[i];

        if (f < 0 || s[f] == NULL)
            continue;
        keys[nkeys].data = p;
        keys[nkeys].size = (u_int32_t)idx_key_str(p, kinds[i], s[f], n[f], when);
        p += keys[nkeys++].size;
    }
    p[0] = 'd';
    store_codec_put_u32(p + 1, dep);
    sk_time8(p + 5, when);
    keys[nkeys].data = p;
    keys[nkeys++].size = 13;
    p += 13;
    p[0] = 'w';
    sk_time8(p + 1, when);
    keys[nkeys].data = p;
    keys[nkeys++].size = 9;
    result->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
    result->data = keys;
    result->size = (u_int32_t)nkeys;
    return 0;
}

/* ---- stacky.db helpers ---- */

static DB *sk_raw_db(store_t *st, sk_table_t t)
{
    return t == SK_NOVA ? st->sk_raw_nova : t == SK_GLANCE ? st->sk_raw_glance : st->sk_raw_generic;
}

static DB *sk_idx_db(store_t *st, sk_table_t t)
{
    return t == SK_NOVA ? st->sk_idx_nova : t == SK_GLANCE ? st->sk_idx_glance : st->sk_idx_generic;
}

static DB *sk_text_db(store_t *st, sk_table_t t)
{
    return t == SK_NOVA     ? st->sk_text_nova
           : t == SK_GLANCE ? st->sk_text_glance
                            : st->sk_text_generic;
}

/* Stores the raw's text under its id in its table's text database. */
static int raw_text_put(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t t,
                        const unsigned char *key, const char *json, size_t len, vg_err_t *err)
{
    vg_buf_t b;
    DBT k = {0}, v = {0};
    DB *db = sk_text_db(st, t);

    vg_buf_init(&b, a);
    raw_encode_json(&b, json, len);
    k.data = (void *)key;
    k.size = 8;
    v.data = b.p;
    v.size = (u_int32_t)b.len;
    return store_rc(st, db->put(db, txn, &k, &v, DB_NOOVERWRITE), "text put", err);
}

/* Fills r->m.json from the text database. */
static int raw_text_get(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_raw_t *r, vg_err_t *err)
{
    unsigned char kb[8];
    DBT k = {0}, v = {0};
    DB *db = sk_text_db(st, r->m.table);
    rd_t d;
    int rc;

    store_codec_put_u64(kb, r->id);
    k.data = kb;
    k.size = 8;
    v.flags = DB_DBT_MALLOC;
    rc = db->get(db, txn, &k, &v, 0);
    if (rc == DB_NOTFOUND)
        return vg_fail(err, VG_EINTERNAL, "raw %llu has no text", (unsigned long long)r->id);
    if ((rc = store_rc(st, rc, "text get", err)) < 0)
        return rc;
    rd_init(&d, v.data, v.size, a);
    r->m.json = raw_decode_json(&d, a, &r->m.json_len);
    free(v.data);
    if (r->m.json == NULL)
        return vg_fail(err, VG_EINTERNAL, "raw %llu's text is damaged", (unsigned long long)r->id);
    return VG_OK;
}

static int kv_put(store_t *st, store_txn_t *txn, const void *k, size_t kl, const void *v, size_t vl,
                  vg_err_t *err)
{
    DBT dk = {0}, dv = {0};

    dk.data = (void *)k;
    dk.size = (u_int32_t)kl;
    dv.data = (void *)v;
    dv.size = (u_int32_t)vl;
    return store_rc(st, st->stacky->put(st->stacky, txn, &dk, &dv, 0), "stacky put", err);
}

/* VG_ENOTFOUND when absent; else the value in a (NUL-terminated copy), *vl its length. */
static int kv_get(store_t *st, store_txn_t *txn, vg_arena_t *a, const void *k, size_t kl, void **v,
                  size_t *vl, int rmw, vg_err_t *err)
{
    DBT dk = {0}, dv = {0};
    int rc;

    dk.data = (void *)k;
    dk.size = (u_int32_t)kl;
    dv.flags = DB_DBT_MALLOC;
    rc = st->stacky->get(st->stacky, txn, &dk, &dv, rmw && txn != NULL ? DB_RMW : 0);
    if (rc == DB_NOTFOUND)
        return VG_ENOTFOUND;
    if ((rc = store_rc(st, rc, "stacky get", err)) < 0)
        return rc;
    *v = vg_arena_alloc(a, dv.size + 1);
    if (dv.size > 0)
        memcpy(*v, dv.data, dv.size);
    ((char *)*v)[dv.size] = 0;
    *vl = dv.size;
    free(dv.data);
    return VG_OK;
}

static int kv_del(store_t *st, store_txn_t *txn, const void *k, size_t kl, vg_err_t *err)
{
    DBT dk = {0};
    int rc;

    dk.data = (void *)k;
    dk.size = (u_int32_t)kl;
    rc = st->stacky->del(st->stacky, txn, &dk, 0);
    return rc == DB_NOTFOUND ? VG_OK : store_rc(st, rc, "stacky del", err);
}

/* Keys are built in a buffer: a prefix letter, then parts. */
typedef struct {
    unsigned char p[SK_KEY_MAX * 2 + 64];
    size_t n;
} sk_key_t;

static void key_init(sk_key_t *k, char kind)
{
    k->p[0] = (unsigned char)kind;
    k->n = 1;
}

static void key_str(sk_key_t *k, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n > SK_KEY_MAX)
        n = SK_KEY_MAX;
    memcpy(k->p + k->n, s != NULL ? s : "", n);
    k->n += n;
    k->p[k->n++] = 0;
}

static void key_u64(sk_key_t *k, uint64_t v)
{
    store_codec_put_u64(k->p + k->n, v);
    k->n += 8;
}

static void key_time(sk_key_t *k, int64_t us)
{
    sk_time8(k->p + k->n, us);
    k->n += 8;
}

static void key_u32(sk_key_t *k, uint32_t v)
{
    store_codec_put_u32(k->p + k->n, v);
    k->n += 4;
}

/* Stores the record in b (then freed) under kind + id in stacky.db. */
static int rec_put(store_t *st, store_txn_t *txn, char kind, uint64_t id, vg_buf_t *b,
                   vg_err_t *err)
{
    sk_key_t k;
    int rc;

    key_init(&k, kind);
    key_u64(&k, id);
    rc = kv_put(st, txn, k.p, k.n, b->p, b->len, err);
    vg_buf_fini(b);
    return rc;
}

/* The next value of sequence name (1, 2, ...). */
static int sk_seq_next(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *name,
                       uint64_t *out, vg_err_t *err)
{
    sk_key_t k;
    void *v;
    size_t vl;
    unsigned char buf[8];
    uint64_t cur = 0;
    int rc;

    key_init(&k, 'S');
    key_str(&k, name);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 1, err);
    if (rc == VG_OK && vl == 8)
        cur = store_codec_u64(v);
    else if (rc != VG_OK && rc != VG_ENOTFOUND)
        return rc;
    store_codec_put_u64(buf, ++cur);
    if ((rc = kv_put(st, txn, k.p, k.n, buf, 8, err)) < 0)
        return rc;
    *out = cur;
    return VG_OK;
}

/* A cursor over stacky.db keys starting with prefix: fn(key, klen, val, vlen, arg) for each
 * (in order, or reverse), until it returns non-zero (1 = stop, < 0 = error). A forward scan may
 * start at the key from (flen bytes) instead of the prefix. */
typedef int (*kv_each_fn)(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg);

static int kv_scan(store_t *st, store_txn_t *txn, const void *prefix, size_t plen, const void *from,
                   size_t flen, int reverse, kv_each_fn fn, void *arg, vg_err_t *err)
{
    DB *db = st->stacky;
    DBC *cur;
    DBT k = {0}, v = {0};
    unsigned char seek[SK_KEY_MAX * 2 + 80];
    int rc, op;

    if (flen > sizeof seek - 1 || plen > sizeof seek - 1)
        return vg_fail(err, VG_EINTERNAL, "key too long");
    if ((rc = store_rc(st, db->cursor(db, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    if (!reverse) {
        memcpy(seek, from != NULL ? from : prefix, from != NULL ? flen : plen);
        k.data = seek;
        k.size = (u_int32_t)(from != NULL ? flen : plen);
        op = DB_SET_RANGE;
    } else {
        /* the first key past the prefix (prefix + 1: increment the last byte that is not
         * 0xff), then step back */
        size_t n = plen;

        memcpy(seek, prefix, n);
        while (n > 0 && seek[n - 1] == 0xff)
            n--;
        if (n > 0)
            seek[n - 1]++;
        k.data = seek;
        k.size = (u_int32_t)n;
        rc = n > 0 ? cur->get(cur, &k, &v, DB_SET_RANGE) : DB_NOTFOUND;
        if (rc == DB_NOTFOUND)
            op = DB_LAST;
        else if (rc == 0)
            op = DB_PREV;
        else {
            cur->close(cur);
            return store_rc(st, rc, "c_get", err);
        }
    }
    for (;;) {
        rc = cur->get(cur, &k, &v, op);
        op = reverse ? DB_PREV : DB_NEXT;
        if (rc == DB_NOTFOUND) {
            rc = VG_OK;
            break;
        }
        if ((rc = store_rc(st, rc, "c_get", err)) < 0)
            break;
        if (k.size < plen || memcmp(k.data, prefix, plen) != 0) {
            rc = VG_OK;
            break;
        }
        if ((rc = fn(k.data, k.size, v.data, v.size, arg)) != 0) {
            rc = rc > 0 ? VG_OK : rc;
            break;
        }
    }
    cur->close(cur);
    return rc;
}

/* ---- deployments ---- */

static int sk_deployment_id(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *name,
                            uint32_t *id, vg_err_t *err)
{
    sk_key_t k;
    void *v;
    size_t vl;
    uint64_t next;
    unsigned char buf[4];
    int rc;

    key_init(&k, 'Q');
    key_str(&k, name);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 0, err);
    if (rc == VG_OK && vl == 4) {
        *id = store_codec_u32(v);
        return VG_OK;
    }
    if (rc != VG_OK && rc != VG_ENOTFOUND)
        return rc;
    if ((rc = sk_seq_next(st, txn, a, "deployment", &next, err)) < 0)
        return rc;
    *id = (uint32_t)next;
    store_codec_put_u32(buf, *id);
    if ((rc = kv_put(st, txn, k.p, k.n, buf, 4, err)) < 0)
        return rc;
    key_init(&k, 'P');
    key_u32(&k, *id);
    return kv_put(st, txn, k.p, k.n, name, strlen(name), err);
}

typedef struct {
    vg_arena_t *a;
    sk_deployment_t *v;
    size_t n, cap;
} dep_list_t;

static int dep_collect(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    dep_list_t *l = arg;

    if (kl != 5)
        return 0;
    l->v = vg_arena_grow(l->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n].id = store_codec_u32(k + 1);
    l->v[l->n++].name = vg_arena_strndup(l->a, v, vl);
    return 0;
}

static int dep_cmp(const void *x, const void *y)
{
    return strcmp(((const sk_deployment_t *)x)->name, ((const sk_deployment_t *)y)->name);
}

int sk_deployments(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_deployment_t **out, size_t *n,
                   vg_err_t *err)
{
    dep_list_t l = {a, NULL, 0, 0};
    int rc = kv_scan(st, txn, "P", 1, NULL, 0, 0, dep_collect, &l, err);

    if (rc < 0)
        return rc;
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, dep_cmp);
    *out = l.v;
    *n = l.n;
    return VG_OK;
}

const char *sk_deployment_name(const sk_deployment_t *deps, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (deps[i].id == id)
            return deps[i].name;
    return NULL;
}

/* ---- derived data (§2) ---- */

static int str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int sk_lifecycle_put(store_t *st, store_txn_t *txn, const sk_msg_t *m, uint64_t raw,
                            vg_err_t *err)
{
    vg_buf_t b;
    sk_key_t k;
    int rc;

    vg_buf_init(&b, NULL);
    rec_u8(&b, SK_REC_VERSION);
    rec_i64(&b, (int64_t)raw);
    rec_str(&b, m->state);
    rec_str(&b, m->old_task); /* sic (§2.1): the old task state */
    key_init(&k, 'L');
    key_str(&k, m->instance);
    rc = kv_put(st, txn, k.p, k.n, b.p, b.len, err);
    vg_buf_fini(&b);
    return rc;
}

/* timing record: version, start_raw, end_raw, start_when, end_when, diff, name, instance */
static void timing_encode(vg_buf_t *b, const sk_timing_t *t)
{
    rec_u8(b, SK_REC_VERSION);
    rec_i64(b, (int64_t)t->start_raw);
    rec_i64(b, (int64_t)t->end_raw);
    rec_i64(b, t->start_when_us);
    rec_i64(b, t->end_when_us);
    rec_i64(b, t->diff_us);
    rec_str(b, t->name);
    rec_str(b, t->instance);
}

static int timing_decode(const void *p, size_t len, vg_arena_t *a, uint64_t id, sk_timing_t *t)
{
    rd_t r;

    rd_init(&r, p, len, a);
    if (rd_u8(&r) != SK_REC_VERSION)
        return -1;
    t->id = id;
    t->start_raw = (uint64_t)rd_i64(&r);
    t->end_raw = (uint64_t)rd_i64(&r);
    t->start_when_us = rd_i64(&r);
    t->end_when_us = rd_i64(&r);
    t->diff_us = rd_i64(&r);
    t->name = rd_str(&r);
    t->instance = rd_str(&r);
    return r.bad || t->name == NULL || t->instance == NULL ? -1 : 0;
}

static int timing_put(store_t *st, store_txn_t *txn, const sk_timing_t *t, vg_err_t *err)
{
    vg_buf_t b;

    vg_buf_init(&b, NULL);
    timing_encode(&b, t);
    return rec_put(st, txn, 'T', t->id, &b, err);
}

/* tracker record: version, start, last_timing, duration, end event, end deployment, end tenant,
 * request_id, instance */
typedef struct {
    uint64_t id, last_timing;
    int64_t start_us, duration_us;
    uint32_t end_dep;
    const char *end_event, *end_tenant, *request_id, *instance;
} sk_tracker_t;

static void tracker_encode(vg_buf_t *b, const sk_tracker_t *t)
{
    rec_u8(b, SK_REC_VERSION);
    rec_i64(b, t->start_us);
    rec_i64(b, (int64_t)t->last_timing);
    rec_i64(b, t->duration_us);
    rec_u32(b, t->end_dep);
    rec_str(b, t->end_event);
    rec_str(b, t->end_tenant);
    rec_str(b, t->request_id);
    rec_str(b, t->instance);
}

static int tracker_decode(const void *p, size_t len, vg_arena_t *a, uint64_t id, sk_tracker_t *t)
{
    rd_t r;

    rd_init(&r, p, len, a);
    if (rd_u8(&r) != SK_REC_VERSION)
        return -1;
    t->id = id;
    t->start_us = rd_i64(&r);
    t->last_timing = (uint64_t)rd_i64(&r);
    t->duration_us = rd_i64(&r);
    t->end_dep = rd_u32(&r);
    t->end_event = rd_str(&r);
    t->end_tenant = rd_str(&r);
    t->request_id = rd_str(&r);
    t->instance = rd_str(&r);
    return r.bad ? -1 : 0;
}

static int tracker_put(store_t *st, store_txn_t *txn, const sk_tracker_t *t, vg_err_t *err)
{
    vg_buf_t b;

    vg_buf_init(&b, NULL);
    tracker_encode(&b, t);
    return rec_put(st, txn, 'K', t->id, &b, err);
}

/* the first key under prefix: its bytes into *k (arena) */
typedef struct {
    vg_arena_t *a;
    unsigned char *k;
    size_t kl;
    void *v;
    size_t vl;
} first_t;

static int first_take(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    first_t *f = arg;

    f->k = vg_arena_alloc(f->a, kl);
    memcpy(f->k, k, kl);
    f->kl = kl;
    f->v = vg_arena_alloc(f->a, vl + 1);
    if (vl > 0)
        memcpy(f->v, v, vl);
    ((char *)f->v)[vl] = 0;
    f->vl = vl;
    return 1;
}

static int kv_first(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_key_t *prefix,
                    first_t *f, vg_err_t *err)
{
    f->a = a;
    f->k = NULL;
    return kv_scan(st, txn, prefix->p, prefix->n, NULL, 0, 0, first_take, f, err);
}

/* §2.3: a .end completed timing t: the request's first tracker takes it. */
static int sk_tracker_update(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                             uint32_t dep, const sk_timing_t *t, vg_err_t *err)
{
    sk_key_t k;
    first_t f;
    sk_tracker_t tr;
    uint64_t id;
    void *v;
    size_t vl;
    int rc, had;

    key_init(&k, 'R');
    key_str(&k, m->request_id);
    if ((rc = kv_first(st, txn, a, &k, &f, err)) < 0 || f.k == NULL)
        return rc;
    id = store_codec_u64(f.k + f.kl - 8);
    key_init(&k, 'K');
    key_u64(&k, id);
    if ((rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 1, err)) < 0)
        return rc == VG_ENOTFOUND ? VG_OK : rc;
    if (tracker_decode(v, vl, a, id, &tr) < 0)
        return vg_fail(err, VG_EINTERNAL, "tracker %llu is damaged", (unsigned long long)id);
    had = tr.last_timing != 0;
    tr.last_timing = t->id;
    tr.duration_us = t->end_when_us - tr.start_us;
    tr.end_dep = dep;
    tr.end_event = m->event;
    tr.end_tenant = m->tenant;
    if ((rc = tracker_put(st, txn, &tr, err)) < 0 || had)
        return rc;
    key_init(&k, 'k');
    key_time(&k, tr.start_us);
    key_u64(&k, id);
    return kv_put(st, txn, k.p, k.n, "", 0, err);
}

static int sk_tracker_new(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                          vg_err_t *err)
{
    sk_tracker_t tr = {0};
    sk_key_t k;
    int rc;

    if ((rc = sk_seq_next(st, txn, a, "tracker", &tr.id, err)) < 0)
        return rc;
    tr.start_us = m->when_us;
    tr.request_id = m->request_id;
    tr.instance = m->instance;
    if ((rc = tracker_put(st, txn, &tr, err)) < 0)
        return rc;
    key_init(&k, 'R');
    key_str(&k, m->request_id);
    key_u64(&k, tr.id);
    return kv_put(st, txn, k.p, k.n, "", 0, err);
}

/* §2.2 */
static int sk_timing_step(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                          uint32_t dep, uint64_t raw, int is_start, const char *name, vg_err_t *err)
{
    sk_timing_t t = {0};
    sk_key_t k;
    first_t f;
    int rc;

    if (!is_start) {
        key_init(&k, 'O');
        key_str(&k, m->instance);
        key_str(&k, name);
        if ((rc = kv_first(st, txn, a, &k, &f, err)) < 0)
            return rc;
        if (f.k != NULL) {
            sk_key_t tk;
            void *v;
            size_t vl;

            if ((rc = kv_del(st, txn, f.k, f.kl, err)) < 0)
                return rc;
            key_init(&tk, 'T');
            key_u64(&tk, store_codec_u64(f.k + f.kl - 8));
            if ((rc = kv_get(st, txn, a, tk.p, tk.n, &v, &vl, 1, err)) < 0)
                return rc;
            if (timing_decode(v, vl, a, store_codec_u64(f.k + f.kl - 8), &t) < 0)
                return vg_fail(err, VG_EINTERNAL, "timing is damaged");
            t.end_raw = raw;
            t.end_when_us = m->when_us;
            t.diff_us = t.end_when_us - t.start_when_us;
            if ((rc = timing_put(st, txn, &t, err)) < 0)
                return rc;
            key_init(&k, 'N');
            key_str(&k, name);
            key_time(&k, t.diff_us);
            key_u64(&k, t.id);
            if ((rc = kv_put(st, txn, k.p, k.n, "", 0, err)) < 0)
                return rc;
            if (t.diff_us >= 0) {
                unsigned char d[8];

                key_init(&k, 'C');
                key_str(&k, name);
                key_u64(&k, t.id);
                store_codec_put_u64(d, (uint64_t)t.diff_us);
                if ((rc = kv_put(st, txn, k.p, k.n, d, 8, err)) < 0)
                    return rc;
            }
            return sk_tracker_update(st, txn, a, m, dep, &t, err);
        }
    }
    if ((rc = sk_seq_next(st, txn, a, "timing", &t.id, err)) < 0)
        return rc;
    t.name = name;
    t.instance = m->instance;
    t.start_when_us = t.end_when_us = SK_NO_TIME;
    if (is_start) {
        t.start_raw = raw;
        t.start_when_us = m->when_us;
    } else {
        t.end_raw = raw;
        t.end_when_us = m->when_us;
    }
    if ((rc = timing_put(st, txn, &t, err)) < 0)
        return rc;
    key_init(&k, 'I');
    key_str(&k, m->instance);
    key_u64(&k, t.id);
    if ((rc = kv_put(st, txn, k.p, k.n, "", 0, err)) < 0 || !is_start)
        return rc;
    key_init(&k, 'O');
    key_str(&k, m->instance);
    key_str(&k, name);
    key_u64(&k, t.id);
    return kv_put(st, txn, k.p, k.n, "", 0, err);
}

/* ---- instance usage (§2.4-2.6) ---- */

static void launch_encode(vg_buf_t *b, const sk_launch_t *l)
{
    rec_u8(b, SK_REC_VERSION);
    rec_i64(b, l->launched_at_us);
    rec_str(b, l->instance);
    rec_str(b, l->request_id);
    rec_str(b, l->type_id);
    rec_str(b, l->flavor_id);
    rec_str(b, l->tenant);
    rec_str(b, l->os_architecture);
    rec_str(b, l->os_distro);
    rec_str(b, l->os_version);
    rec_str(b, l->rax_options);
}

static int launch_decode(const void *p, size_t len, vg_arena_t *a, sk_launch_t *l)
{
    rd_t r;

    rd_init(&r, p, len, a);
    if (rd_u8(&r) != SK_REC_VERSION)
        return -1;
    l->launched_at_us = rd_i64(&r);
    l->instance = rd_str(&r);
    l->request_id = rd_str(&r);
    l->type_id = rd_str(&r);
    l->flavor_id = rd_str(&r);
    l->tenant = rd_str(&r);
    l->os_architecture = rd_str(&r);
    l->os_distro = rd_str(&r);
    l->os_version = rd_str(&r);
    l->rax_options = rd_str(&r);
    return r.bad ? -1 : 0;
}

#define EV_PREFIX "compute.instance."

static int sk_usage_launch(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                           vg_err_t *err)
{
    const char *ev = m->event + strlen(EV_PREFIX);
    int create_s = strcmp(ev, "create.start") == 0, rebuild_s = strcmp(ev, "rebuild.start") == 0,
        prep_s = strcmp(ev, "resize.prep.start") == 0,
        revert_s = strcmp(ev, "resize.revert.start") == 0,
        rescue_s = strcmp(ev, "rescue.start") == 0;
    int create_e = strcmp(ev, "create.end") == 0, rebuild_e = strcmp(ev, "rebuild.end") == 0,
        finish_s = strcmp(ev, "finish_resize.start") == 0,
        finish_e = strcmp(ev, "finish_resize.end") == 0,
        revert_e = strcmp(ev, "resize.revert.end") == 0, rescue_e = strcmp(ev, "rescue.end") == 0;
    int is_start = create_s || rebuild_s || prep_s || revert_s || rescue_s;
    int is_end = create_e || rebuild_e || finish_s || finish_e || revert_e || rescue_e;
    sk_launch_t l = {0};
    sk_key_t k;
    void *v;
    size_t vl;
    uint64_t id;
    vg_buf_t b;
    int rc, fresh;

    if (!is_start && !is_end)
        return VG_OK;
    if (create_e && m->has_message && !str_eq(m->message, "Success"))
        return VG_OK;
    key_init(&k, 'A');
    key_str(&k, m->instance);
    key_str(&k, m->request_id);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 1, err);
    if (rc < 0 && rc != VG_ENOTFOUND)
        return rc;
    fresh = rc == VG_ENOTFOUND || vl != 8;
    if (fresh) {
        unsigned char idb[8];

        if ((rc = sk_seq_next(st, txn, a, "launch", &id, err)) < 0)
            return rc;
        store_codec_put_u64(idb, id);
        if ((rc = kv_put(st, txn, k.p, k.n, idb, 8, err)) < 0)
            return rc;
        key_init(&k, 'B');
        key_str(&k, m->instance);
        key_u64(&k, id);
        if ((rc = kv_put(st, txn, k.p, k.n, "", 0, err)) < 0)
            return rc;
        l.instance = m->instance;
        l.request_id = m->request_id;
        l.launched_at_us = SK_NO_TIME;
    } else {
        id = store_codec_u64(v);
        key_init(&k, 'a');
        key_u64(&k, id);
        if ((rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 1, err)) < 0)
            return rc;
        if (launch_decode(v, vl, a, &l) < 0)
            return vg_fail(err, VG_EINTERNAL, "launch %llu is damaged", (unsigned long long)id);
    }
    if (is_start) {
        if (create_s || rebuild_s || rescue_s) {
            l.type_id = m->instance_type_id;
            l.flavor_id = m->instance_flavor_id;
        }
        if ((rebuild_s || prep_s || revert_s || rescue_s) && l.launched_at_us == SK_NO_TIME)
            l.launched_at_us = m->launched_at_us;
        if ((prep_s || revert_s) && l.type_id == NULL && l.flavor_id == NULL) {
            l.type_id = m->instance_type_id;
            l.flavor_id = m->instance_flavor_id;
        }
    } else {
        if (!finish_s) {
            if (m->launched_at_us != SK_NO_TIME &&
                (l.launched_at_us == SK_NO_TIME || m->launched_at_us > l.launched_at_us))
                l.launched_at_us = m->launched_at_us;
            if (l.type_id == NULL)
                l.type_id = m->instance_type_id;
            if (l.flavor_id == NULL)
                l.flavor_id = m->instance_flavor_id;
        }
        if (revert_e || finish_s || finish_e) {
            l.type_id = m->instance_type_id;
            l.flavor_id = m->instance_flavor_id;
        }
    }
    l.tenant = m->tenant;
    l.os_architecture = m->os_architecture;
    l.os_distro = m->os_distro;
    l.os_version = m->os_version;
    l.rax_options = m->rax_options;
    vg_buf_init(&b, NULL);
    launch_encode(&b, &l);
    rc = rec_put(st, txn, 'a', id, &b, err);
    return rc;
}

static void delete_key(sk_key_t *k, const char *instance, int64_t launched, int64_t deleted)
{
    key_init(k, 'D');
    key_str(k, instance);
    key_time(k, launched);
    key_time(k, deleted);
}

static int sk_usage_delete(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                           uint64_t raw, vg_err_t *err)
{
    int64_t deleted = m->terminated_at_us != SK_NO_TIME ? m->terminated_at_us : m->deleted_at_us;
    sk_key_t k;
    void *v;
    size_t vl;
    uint64_t id;
    vg_buf_t b;
    int rc;

    delete_key(&k, m->instance, m->launched_at_us, deleted);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 1, err);
    if (rc < 0 && rc != VG_ENOTFOUND)
        return rc;
    if (rc == VG_OK && vl == 8) {
        id = store_codec_u64(v);
    } else {
        unsigned char idb[8];

        if ((rc = sk_seq_next(st, txn, a, "delete", &id, err)) < 0)
            return rc;
        store_codec_put_u64(idb, id);
        if ((rc = kv_put(st, txn, k.p, k.n, idb, 8, err)) < 0)
            return rc;
        key_init(&k, 'E');
        key_str(&k, m->instance);
        key_u64(&k, id);
        if ((rc = kv_put(st, txn, k.p, k.n, "", 0, err)) < 0)
            return rc;
    }
    vg_buf_init(&b, NULL);
    rec_u8(&b, SK_REC_VERSION);
    rec_i64(&b, m->launched_at_us);
    rec_i64(&b, deleted);
    rec_i64(&b, (int64_t)raw);
    rec_str(&b, m->instance);
    rc = rec_put(st, txn, 'x', id, &b, err);
    return rc;
}

typedef struct {
    store_t *st;
    store_txn_t *txn;
    vg_arena_t *a;
    int64_t lo, hi;
    uint64_t found;
    vg_err_t *err;
} launch_find_t;

static int launch_match(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    launch_find_t *f = arg;
    sk_key_t lk;
    void *lv;
    size_t lvl;
    sk_launch_t l;
    uint64_t id = store_codec_u64(k + kl - 8);
    int rc;

    (void)v;
    (void)vl;
    key_init(&lk, 'a');
    key_u64(&lk, id);
    if ((rc = kv_get(f->st, f->txn, f->a, lk.p, lk.n, &lv, &lvl, 0, f->err)) < 0)
        return rc == VG_ENOTFOUND ? 0 : rc;
    if (launch_decode(lv, lvl, f->a, &l) == 0 && l.launched_at_us != SK_NO_TIME &&
        l.launched_at_us >= f->lo && l.launched_at_us <= f->hi) {
        f->found = id;
        return 1;
    }
    return 0;
}

static int sk_usage_exists(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                           uint64_t raw, vg_err_t *err)
{
    launch_find_t f = {st, txn, a, m->launched_at_us, m->launched_at_us + 1000000, 0, err};
    uint64_t id, del = 0;
    sk_key_t k;
    vg_buf_t b;
    int rc;

    key_init(&k, 'B');
    key_str(&k, m->instance);
    if ((rc = kv_scan(st, txn, k.p, k.n, NULL, 0, 0, launch_match, &f, err)) < 0)
        return rc;
    if (m->deleted_at_us != SK_NO_TIME) {
        void *v;
        size_t vl;

        delete_key(&k, m->instance, m->launched_at_us, m->deleted_at_us);
        rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 0, err);
        if (rc < 0 && rc != VG_ENOTFOUND)
            return rc;
        if (rc == VG_OK && vl == 8)
            del = store_codec_u64(v);
    }
    if ((rc = sk_seq_next(st, txn, a, "exists", &id, err)) < 0)
        return rc;
    vg_buf_init(&b, NULL);
    rec_u8(&b, SK_REC_VERSION);
    rec_i64(&b, m->launched_at_us);
    rec_i64(&b, m->deleted_at_us);
    rec_i64(&b, m->audit_begin_us);
    rec_i64(&b, m->audit_end_us);
    rec_i64(&b, m->bandwidth_public_out);
    rec_i64(&b, (int64_t)raw);
    rec_i64(&b, (int64_t)f.found);
    rec_i64(&b, (int64_t)del);
    rec_str(&b, m->instance);
    rec_str(&b, m->message_id);
    rec_str(&b, "pending");
    rec_str(&b, m->instance_type_id);
    rec_str(&b, m->instance_flavor_id);
    rec_str(&b, m->tenant);
    rec_str(&b, m->os_architecture);
    rec_str(&b, m->os_distro);
    rec_str(&b, m->os_version);
    rec_str(&b, m->rax_options);
    rc = rec_put(st, txn, 'X', id, &b, err);
    if (rc < 0)
        return rc;
    key_init(&k, 'Y');
    key_str(&k, m->instance);
    key_u64(&k, id);
    return kv_put(st, txn, k.p, k.n, "", 0, err);
}

static int exists_decode(const void *p, size_t len, vg_arena_t *a, sk_exists_t *e)
{
    rd_t r;

    rd_init(&r, p, len, a);
    if (rd_u8(&r) != SK_REC_VERSION)
        return -1;
    e->launched_at_us = rd_i64(&r);
    e->deleted_at_us = rd_i64(&r);
    e->audit_begin_us = rd_i64(&r);
    e->audit_end_us = rd_i64(&r);
    e->bandwidth_public_out = rd_i64(&r);
    e->raw = (uint64_t)rd_i64(&r);
    e->launch = (uint64_t)rd_i64(&r);
    e->del = (uint64_t)rd_i64(&r);
    e->instance = rd_str(&r);
    e->message_id = rd_str(&r);
    e->status = rd_str(&r);
    e->type_id = rd_str(&r);
    e->flavor_id = rd_str(&r);
    e->tenant = rd_str(&r);
    e->os_architecture = rd_str(&r);
    e->os_distro = rd_str(&r);
    e->os_version = rd_str(&r);
    e->rax_options = rd_str(&r);
    return r.bad ? -1 : 0;
}

/* ---- image usage (§2.7): JSON documents ---- */

static json_object *sk_time_json(int64_t us)
{
    char buf[48];
    uint64_t mag;

    if (us == SK_NO_TIME)
        return NULL;
    mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    snprintf(buf, sizeof buf, "%s%llu.%06llu", us < 0 ? "-" : "",
             (unsigned long long)(mag / 1000000), (unsigned long long)(mag % 1000000));
    return json_object_new_string(buf);
}

static json_object *sk_str_json(const char *s)
{
    return s != NULL ? json_object_new_string(s) : NULL;
}

static int sk_image_put(store_t *st, store_txn_t *txn, vg_arena_t *a, char kind, json_object *o,
                        vg_err_t *err)
{
    sk_key_t k;
    uint64_t id;
    const char *text;
    int rc;
    char seq[2] = {kind, 0};

    if ((rc = sk_seq_next(st, txn, a, seq, &id, err)) < 0) {
        json_object_put(o);
        return rc;
    }
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    key_init(&k, kind);
    key_u64(&k, id);
    rc = kv_put(st, txn, k.p, k.n, text, strlen(text), err);
    json_object_put(o);
    return rc;
}

static int sk_glance_usage(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                           uint64_t raw, vg_err_t *err)
{
    json_object *o;
    int rc = VG_OK;

    if (strcmp(m->event, "image.activate") == 0) {
        o = json_object_new_object();
        json_object_object_add(o, "uuid", sk_str_json(m->uuid));
        json_object_object_add(o, "created_at", sk_time_json(m->created_at_us));
        json_object_object_add(o, "owner", sk_str_json(m->owner));
        json_object_object_add(o, "size", m->has_size ? json_object_new_int64(m->size) : NULL);
        json_object_object_add(o, "last_raw", json_object_new_int64((int64_t)raw));
        return sk_image_put(st, txn, a, 'u', o, err);
    }
    if (strcmp(m->event, "image.delete") == 0) {
        o = json_object_new_object();
        json_object_object_add(o, "uuid", sk_str_json(m->uuid));
        json_object_object_add(o, "deleted_at", sk_time_json(m->image_deleted_at_us));
        json_object_object_add(o, "raw", json_object_new_int64((int64_t)raw));
        return sk_image_put(st, txn, a, 'v', o, err);
    }
    if (strcmp(m->event, "image.exists") != 0)
        return VG_OK;
    for (size_t i = 0; rc == VG_OK && i < m->nimages; i++) {
        const sk_image_t *im = &m->images[i];

        if (im->created_at_us == SK_NO_TIME)
            continue;
        o = json_object_new_object();
        json_object_object_add(o, "uuid", sk_str_json(im->uuid));
        json_object_object_add(o, "created_at", sk_time_json(im->created_at_us));
        json_object_object_add(o, "deleted_at", sk_time_json(im->deleted_at_us));
        json_object_object_add(o, "audit_period_beginning", sk_time_json(m->audit_begin_us));
        json_object_object_add(o, "audit_period_ending", sk_time_json(m->audit_end_us));
        json_object_object_add(o, "size", im->has_size ? json_object_new_int64(im->size) : NULL);
        json_object_object_add(o, "owner", sk_str_json(m->owner));
        json_object_object_add(o, "message_id", sk_str_json(m->message_id));
        json_object_object_add(o, "status", json_object_new_string("pending"));
        json_object_object_add(o, "raw", json_object_new_int64((int64_t)raw));
        rc = sk_image_put(st, txn, a, 'y', o, err);
    }
    return rc;
}

typedef struct {
    json_object *arr;
} img_list_t;

static int img_collect(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    img_list_t *l = arg;
    struct json_tokener *tok = json_tokener_new();
    json_object *d = json_tokener_parse_ex(tok, v, (int)vl);

    (void)k;
    (void)kl;
    json_tokener_free(tok);
    json_object_array_add(l->arr, d != NULL ? d : json_object_new_object());
    return 0;
}

int sk_images(store_t *st, store_txn_t *txn, sk_image_kind_t kind, json_object **out, vg_err_t *err)
{
    img_list_t l = {json_object_new_array()};
    char p = kind == SK_IMG_USAGE ? 'u' : kind == SK_IMG_DELETES ? 'v' : 'y';
    int rc = kv_scan(st, txn, &p, 1, NULL, 0, 0, img_collect, &l, err);

    if (rc < 0) {
        json_object_put(l.arr);
        return rc;
    }
    *out = l.arr;
    return VG_OK;
}

/* ---- stacktach_events_total ---- */

static int sk_count_event(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *project,
                          const char *deployment, uint32_t dep, const sk_msg_t *m, int64_t now_ms,
                          vg_err_t *err)
{
    sk_key_t k;
    void *v;
    size_t vl;
    uint64_t count = 0;
    unsigned char buf[8];
    ing_batch_t b;
    ing_label_t l[4] = {{"__name__", "stacktach_events_total"},
                        {"deployment", deployment},
                        {"event", m->event},
                        {"host", m->host != NULL ? m->host : ""}};
    int rc;

    key_init(&k, 'c');
    key_u32(&k, dep);
    key_str(&k, m->event);
    key_str(&k, m->host);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 1, err);
    if (rc == VG_OK && vl == 8)
        count = store_codec_u64(v);
    else if (rc != VG_OK && rc != VG_ENOTFOUND)
        return rc;
    store_codec_put_u64(buf, ++count);
    if ((rc = kv_put(st, txn, k.p, k.n, buf, 8, err)) < 0)
        return rc;
    ing_batch_init(&b, a);
    /* an empty host label is no label (Prometheus's rule) */
    if ((rc = ing_batch_add_sample(&b, l, m->host != NULL ? 4 : 3, now_ms, (double)count, err)) < 0)
        return rc;
    if (count == 1) {
        ing_meta_t *meta = ing_batch_meta(&b, "stacktach_events_total");

        meta->type = "counter";
        meta->help = "StackTach notifications stored, by deployment, event and publisher host";
    }
    return store_series_append(st, txn, project, &b, err);
}

/* ---- the write ---- */

static int sk_derive_nova(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_msg_t *m,
                          uint32_t dep, uint64_t raw, vg_err_t *err)
{
    const char *dot = strrchr(m->event, '.');
    const char *step = dot != NULL ? dot + 1 : m->event;
    int is_start = strcmp(step, "start") == 0, is_end = strcmp(step, "end") == 0;
    int rc;

    if (m->instance == NULL || m->instance[0] == 0)
        return VG_OK;
    if ((rc = sk_lifecycle_put(st, txn, m, raw, err)) < 0)
        return rc;
    if ((is_start || is_end) && dot != NULL) {
        const char *name = vg_arena_strndup(a, m->event, (size_t)(dot - m->event));

        if ((rc = sk_timing_step(st, txn, a, m, dep, raw, is_start, name, err)) < 0)
            return rc;
    } else if (strcmp(m->event, "compute.instance.update") == 0 && m->service != NULL &&
               strstr(m->service, "api") != NULL) {
        if ((rc = sk_tracker_new(st, txn, a, m, err)) < 0)
            return rc;
    }
    if (strncmp(m->event, EV_PREFIX, strlen(EV_PREFIX)) != 0)
        return VG_OK;
    if ((rc = sk_usage_launch(st, txn, a, m, err)) < 0)
        return rc;
    if (strcmp(m->event, "compute.instance.delete.end") == 0 && m->launched_at_us != SK_NO_TIME)
        return sk_usage_delete(st, txn, a, m, raw, err);
    if (strcmp(m->event, "compute.instance.exists") == 0) {
        if (m->launched_at_us == SK_NO_TIME) {
            vg_log(LOG_INFO, "stacky: exists for %s without launched_at ignored", m->instance);
            return VG_OK;
        }
        return sk_usage_exists(st, txn, a, m, raw, err);
    }
    return VG_OK;
}

static const char *const sk_seq_names[SK_NTABLES] = {"raw_nova", "raw_glance", "raw_generic"};

static int sk_store_in(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *project,
                       const char *deployment, const sk_msg_t *m, int64_t now_ms, uint64_t *raw_id,
                       vg_err_t *err)
{
    uint32_t dep = 0;
    uint64_t id;
    vg_buf_t b;
    unsigned char kb[8];
    DBT k = {0}, v = {0};
    DB *db;
    int rc;

    if (m->table >= SK_NTABLES || m->event == NULL || m->publisher == NULL || m->json == NULL)
        return vg_fail(err, VG_EINVAL, "incomplete message");
    if ((rc = sk_deployment_id(st, txn, a, deployment, &dep, err)) < 0)
        return rc;
    if ((rc = sk_seq_next(st, txn, a, sk_seq_names[m->table], &id, err)) < 0)
        return rc;
    vg_buf_init(&b, a);
    raw_encode(&b, m, dep);
    store_codec_put_u64(kb, id);
    k.data = kb;
    k.size = 8;
    v.data = b.p;
    v.size = (u_int32_t)b.len;
    db = sk_raw_db(st, m->table);
    if ((rc = store_rc(st, db->put(db, txn, &k, &v, DB_NOOVERWRITE), "raw put", err)) < 0 ||
        (rc = raw_text_put(st, txn, a, m->table, kb, m->json, m->json_len, err)) < 0)
        return rc;
    if (m->host == NULL) {
        sk_key_t hk;
        char t = (char)('0' + m->table);

        key_init(&hk, 'H');
        hk.p[hk.n++] = (unsigned char)t;
        if ((rc = kv_put(st, txn, hk.p, hk.n, "1", 1, err)) < 0)
            return rc;
    }
    if (m->table == SK_NOVA) {
        if ((rc = sk_derive_nova(st, txn, a, m, dep, id, err)) < 0)
            return rc;
        if ((rc = sk_count_event(st, txn, a, project, deployment, dep, m, now_ms, err)) < 0)
            return rc;
    } else if (m->table == SK_GLANCE) {
        if ((rc = sk_glance_usage(st, txn, a, m, id, err)) < 0)
            return rc;
    }
    *raw_id = id;
    return VG_OK;
}

int sk_store_message(store_t *st, store_txn_t *txn, const char *project, const char *deployment,
                     const sk_msg_t *m, int64_t now_ms, uint64_t *raw_id, vg_err_t *err)
{
    vg_arena_t a;
    int rc;

    vg_arena_init(&a, 8192);
    rc = sk_store_in(st, txn, &a, project, deployment, m, now_ms, raw_id, err);
    vg_arena_fini(&a);
    return rc;
}

typedef struct {
    const char *project, *deployment;
    const sk_msg_t *m;
    int64_t now_ms;
    uint64_t id;
} sk_ingest_t;

static int sk_ingest_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    sk_ingest_t *p = arg;

    return sk_store_message(st, txn, p->project, p->deployment, p->m, p->now_ms, &p->id, err);
}

int sk_ingest(store_t *st, const char *project, const char *deployment, const sk_msg_t *m,
              int64_t now_ms, uint64_t *raw_id, vg_err_t *err)
{
    sk_ingest_t p = {project, deployment, m, now_ms, 0};
    int rc = store_txn_run_write(st, sk_ingest_txn, &p, err);

    *raw_id = p.id;
    return rc;
}

/* ---- reading raws ---- */

int sk_raw_get(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t table, uint64_t id,
               sk_raw_t *out, vg_err_t *err)
{
    unsigned char kb[8];
    DBT k = {0}, v = {0};
    DB *db = sk_raw_db(st, table);
    int rc;

    store_codec_put_u64(kb, id);
    k.data = kb;
    k.size = 8;
    v.flags = DB_DBT_MALLOC;
    rc = db->get(db, txn, &k, &v, 0);
    if (rc == DB_NOTFOUND)
        return vg_fail(err, VG_ENOTFOUND, "no raw %llu", (unsigned long long)id);
    if ((rc = store_rc(st, rc, "raw get", err)) < 0)
        return rc;
    rc = raw_decode(v.data, v.size, a, id, out);
    free(v.data);
    if (rc < 0)
        return vg_fail(err, VG_EINTERNAL, "raw %llu is damaged", (unsigned long long)id);
    return raw_text_get(st, txn, a, out, err);
}

/* the index prefix of a query: kind, then the value and a NUL, or the deployment */
static size_t query_prefix(const sk_query_t *q, unsigned char *p, size_t cap)
{
    static const char kinds[] = {'i', 'r', 'e', 'h', 't', 'd', 'w'};
    size_t n;

    p[0] = (unsigned char)kinds[q->index];
    if (q->index == SK_BY_WHEN)
        return 1;
    if (q->index == SK_BY_DEPLOYMENT) {
        store_codec_put_u32(p + 1, q->deployment);
        return 5;
    }
    n = q->value != NULL ? strlen(q->value) : 0;
    if (n > SK_KEY_MAX)
        n = SK_KEY_MAX;
    if (n + 2 > cap)
        n = cap - 2;
    memcpy(p + 1, q->value != NULL ? q->value : "", n);
    p[1 + n] = 0;
    return n + 2;
}

int sk_raws_query(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_query_t *q,
                  sk_raw_t **rows, size_t *n, vg_err_t *err)
{
    unsigned char prefix[SK_KEY_MAX + 16], seek[SK_KEY_MAX + 32];
    size_t plen = query_prefix(q, prefix, sizeof prefix - 16), skipped = 0, cap = 0, seen = 0;
    int64_t lo = q->when_min, hi = q->when_max;
    DB *idx = sk_idx_db(st, q->table);
    DBC *cur;
    DBT k = {0}, pk = {0}, v = {0};
    vg_arena_t tmp;
    sk_raw_t *out = NULL;
    int rc, op;

    *rows = NULL;
    *n = 0;
    if (q->limit == 0)
        return VG_OK;
    if (q->when_min_excl && lo != SK_NO_TIME) {
        if (lo == INT64_MAX)
            return VG_OK;
        lo++;
    }
    if (q->value != NULL && strlen(q->value) > SK_KEY_MAX)
        return VG_OK; /* no stored key is that long */
    if ((rc = store_rc(st, idx->cursor(idx, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    vg_arena_init(&tmp, 4096);
    memcpy(seek, prefix, plen);
    k.data = seek;
    if (!q->descending) {
        sk_time8(seek + plen, lo != SK_NO_TIME ? lo : INT64_MIN);
        k.size = (u_int32_t)(plen + 8);
        op = DB_SET_RANGE;
    } else {
        /* past every key at the upper bound, then step back */
        sk_time8(seek + plen, hi != SK_NO_TIME ? hi : INT64_MAX);
        seek[plen + 8] = 0xff;
        k.size = (u_int32_t)(plen + 9);
        rc = cur->get(cur, &k, &v, DB_SET_RANGE);
        if (rc == 0)
            op = DB_PREV;
        else if (rc == DB_NOTFOUND)
            op = DB_LAST;
        else {
            cur->close(cur);
            vg_arena_fini(&tmp);
            return store_rc(st, rc, "c_get", err);
        }
        k.data = NULL;
        k.size = 0;
    }
    memset(&v, 0, sizeof v);
    v.flags = DB_DBT_REALLOC;
    for (;;) {
        int64_t when;
        sk_raw_t r;

        rc = cur->pget(cur, &k, &pk, &v, op);
        op = q->descending ? DB_PREV : DB_NEXT;
        if (rc == DB_NOTFOUND) {
            rc = VG_OK;
            break;
        }
        if ((rc = store_rc(st, rc, "c_pget", err)) < 0)
            break;
        if (k.size != plen + 8 || memcmp(k.data, prefix, plen) != 0)
            break;
        when = sk_get_time8((const unsigned char *)k.data + plen);
        if ((!q->descending && hi != SK_NO_TIME && when > hi) ||
            (q->descending && lo != SK_NO_TIME && when < lo))
            break;
        if (q->descending && hi != SK_NO_TIME && when > hi)
            continue;
        if (q->keep != NULL && q->max_examined > 0 && ++seen > q->max_examined) {
            rc = vg_fail(err, VG_ELIMIT,
                         "the search read %zu notifications without filling the page: narrow "
                         "it with when_min and when_max",
                         q->max_examined);
            break;
        }
        /* judged on a copy in scratch memory (without the text), so rows the filters drop cost
         * no request memory however many are read */
        vg_arena_reset(&tmp);
        if (pk.size != 8 || raw_decode(v.data, v.size, &tmp, store_codec_u64(pk.data), &r) < 0)
            continue;
        if ((q->deployment != 0 && q->index != SK_BY_DEPLOYMENT && r.deployment != q->deployment) ||
            (q->event != NULL && strcmp(r.m.event, q->event) != 0) ||
            (q->keep != NULL && !q->keep(&r, q->keep_arg)))
            continue;
        if (skipped < q->offset) {
            skipped++;
            continue;
        }
        if (raw_decode(v.data, v.size, a, store_codec_u64(pk.data), &r) < 0)
            continue;
        if (!q->no_json && (rc = raw_text_get(st, txn, a, &r, err)) < 0)
            break;
        out = vg_arena_grow(a, out, *n, &cap, sizeof *out);
        out[(*n)++] = r;
        if (*n >= q->limit)
            break;
    }
    if (rc == VG_OK || rc == DB_NOTFOUND)
        rc = VG_OK;
    free(v.data);
    vg_arena_fini(&tmp);
    cur->close(cur);
    *rows = out;
    return rc;
}

/* ---- distinct values of an index ---- */

typedef struct {
    vg_arena_t *a;
    const char **v;
    size_t n, cap;
} str_list_t;

static void str_list_add(str_list_t *l, const char *s, size_t n)
{
    l->v = vg_arena_grow(l->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = vg_arena_strndup(l->a, s, n);
}

/* Every distinct value of index kind: jump from each value to the first key past it. */
static int sk_distinct(store_t *st, store_txn_t *txn, sk_table_t t, char kind, str_list_t *l,
                       vg_err_t *err)
{
    DB *idx = sk_idx_db(st, t);
    DBC *cur;
    DBT k = {0}, v = {0};
    unsigned char seek[SK_KEY_MAX + 16];
    int rc;

    if ((rc = store_rc(st, idx->cursor(idx, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    seek[0] = (unsigned char)kind;
    k.data = seek;
    k.size = 1;
    k.ulen = sizeof seek;
    k.flags = DB_DBT_USERMEM;
    v.flags = DB_DBT_PARTIAL;
    v.dlen = 0;
    for (;;) {
        const unsigned char *p;
        size_t vlen;

        rc = cur->get(cur, &k, &v, DB_SET_RANGE);
        if (rc == DB_NOTFOUND) {
            rc = VG_OK;
            break;
        }
        if ((rc = store_rc(st, rc, "c_get", err)) < 0)
            break;
        p = k.data;
        if (k.size < 10 || p[0] != (unsigned char)kind) {
            rc = VG_OK;
            break;
        }
        vlen = k.size - 10;
        str_list_add(l, (const char *)p + 1, vlen);
        /* the first key of the next value: this value followed by \1 */
        memmove(seek + 1, p + 1, vlen);
        seek[0] = (unsigned char)kind;
        seek[1 + vlen] = 1;
        k.size = (u_int32_t)(vlen + 2);
    }
    cur->close(cur);
    return rc;
}

int sk_events(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t table, const char ***names,
              size_t *n, vg_err_t *err)
{
    str_list_t l = {a, NULL, 0, 0};
    int rc = sk_distinct(st, txn, table, 'e', &l, err);

    *names = l.v;
    *n = l.n;
    return rc;
}

int sk_hosts(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t table, const char ***hosts,
             size_t *n, int *has_null, vg_err_t *err)
{
    str_list_t l = {a, NULL, 0, 0};
    sk_key_t k;
    void *v;
    size_t vl;
    int rc = sk_distinct(st, txn, table, 'h', &l, err);

    *hosts = l.v;
    *n = l.n;
    if (rc < 0)
        return rc;
    key_init(&k, 'H');
    k.p[k.n++] = (unsigned char)('0' + table);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 0, err);
    *has_null = rc == VG_OK;
    return rc == VG_ENOTFOUND ? VG_OK : rc;
}

int sk_tenant_known(store_t *st, store_txn_t *txn, const char *tenant, vg_err_t *err)
{
    vg_arena_t a;
    sk_query_t q = {.table = SK_NOVA,
                    .index = SK_BY_TENANT,
                    .value = tenant,
                    .when_min = SK_NO_TIME,
                    .when_max = SK_NO_TIME,
                    .limit = 1};
    sk_raw_t *rows;
    size_t n;
    int rc;

    vg_arena_init(&a, 8192);
    rc = sk_raws_query(st, txn, &a, &q, &rows, &n, err);
    vg_arena_fini(&a);
    return rc < 0 ? rc : n > 0;
}

/* ---- timings ---- */

typedef struct {
    store_t *st;
    store_txn_t *txn;
    vg_arena_t *a;
    vg_err_t *err;
    /* by name: bounds and window */
    int64_t end_min, end_max;
    size_t offset, limit, skipped;
    sk_timing_t *v;
    size_t n, cap;
} timing_list_t;

static int timing_load(timing_list_t *l, uint64_t id, sk_timing_t *t)
{
    sk_key_t k;
    void *v;
    size_t vl;
    int rc;

    key_init(&k, 'T');
    key_u64(&k, id);
    if ((rc = kv_get(l->st, l->txn, l->a, k.p, k.n, &v, &vl, 0, l->err)) < 0)
        return rc;
    if (timing_decode(v, vl, l->a, id, t) < 0)
        return vg_fail(l->err, VG_EINTERNAL, "timing %llu is damaged", (unsigned long long)id);
    return VG_OK;
}

static void timing_add(timing_list_t *l, const sk_timing_t *t)
{
    l->v = vg_arena_grow(l->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = *t;
}

static int timing_by_instance(const unsigned char *k, size_t kl, const void *v, size_t vl,
                              void *arg)
{
    timing_list_t *l = arg;
    sk_timing_t t;
    int rc;

    (void)v;
    (void)vl;
    if ((rc = timing_load(l, store_codec_u64(k + kl - 8), &t)) < 0)
        return rc == VG_ENOTFOUND ? 0 : rc;
    timing_add(l, &t);
    return 0;
}

int sk_timings_by_instance(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance,
                           sk_timing_t **out, size_t *n, vg_err_t *err)
{
    timing_list_t l = {.st = st, .txn = txn, .a = a, .err = err};
    sk_key_t k;
    int rc;

    key_init(&k, 'I');
    key_str(&k, instance);
    rc = kv_scan(st, txn, k.p, k.n, NULL, 0, 0, timing_by_instance, &l, err);
    *out = l.v;
    *n = l.n;
    return rc;
}

static int timing_by_name(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    timing_list_t *l = arg;
    sk_timing_t t;
    int rc;

    (void)v;
    (void)vl;
    if ((rc = timing_load(l, store_codec_u64(k + kl - 8), &t)) < 0)
        return rc == VG_ENOTFOUND ? 0 : rc;
    if ((l->end_min != SK_NO_TIME && t.end_when_us < l->end_min) ||
        (l->end_max != SK_NO_TIME && t.end_when_us > l->end_max))
        return 0;
    if (l->skipped < l->offset) {
        l->skipped++;
        return 0;
    }
    timing_add(l, &t);
    return l->n >= l->limit;
}

int sk_timings_by_name(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *name,
                       int64_t end_min, int64_t end_max, size_t offset, size_t limit,
                       sk_timing_t **out, size_t *n, vg_err_t *err)
{
    timing_list_t l = {.st = st,
                       .txn = txn,
                       .a = a,
                       .err = err,
                       .end_min = end_min,
                       .end_max = end_max,
                       .offset = offset,
                       .limit = limit};
    sk_key_t k;
    int rc = VG_OK;

    key_init(&k, 'N');
    key_str(&k, name);
    if (limit > 0)
        rc = kv_scan(st, txn, k.p, k.n, NULL, 0, 0, timing_by_name, &l, err);
    *out = l.v;
    *n = l.n;
    return rc;
}

typedef struct {
    size_t offset, limit, seen;
    sk_summary_t row;
} summary_acc_t;

static int summary_take(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    summary_acc_t *s = arg;
    int64_t d;

    (void)k;
    (void)kl;
    if (vl != 8)
        return 0;
    if (s->seen++ < s->offset)
        return 0;
    d = (int64_t)store_codec_u64(v);
    if (s->row.n == 0 || d < s->row.min_us)
        s->row.min_us = d;
    if (s->row.n == 0 || d > s->row.max_us)
        s->row.max_us = d;
    s->row.sum_us += d;
    s->row.n++;
    return s->row.n >= s->limit;
}

int sk_summary(store_t *st, store_txn_t *txn, vg_arena_t *a, size_t offset, size_t limit,
               sk_summary_t **out, size_t *n, vg_err_t *err)
{
    const char **events;
    size_t nevents, cap = 0;
    sk_summary_t *rows = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = sk_events(st, txn, a, SK_NOVA, &events, &nevents, err)) < 0)
        return rc;
    /* names ending in ".start" come out ascending already; the stripped names keep that order
     * except where a name is a prefix of another, so sort them */
    for (size_t i = 0; i < nevents; i++) {
        summary_acc_t s = {.offset = offset, .limit = limit};
        sk_key_t k;
        const char *name;

        if (!ends_with(events[i], ".start"))
            continue;
        name = vg_arena_strndup(a, events[i], strlen(events[i]) - 6);
        if (limit == 0)
            continue;
        key_init(&k, 'C');
        key_str(&k, name);
        if ((rc = kv_scan(st, txn, k.p, k.n, NULL, 0, 0, summary_take, &s, err)) < 0)
            return rc;
        if (s.row.n == 0)
            continue;
        s.row.name = name;
        rows = vg_arena_grow(a, rows, *n, &cap, sizeof *rows);
        rows[(*n)++] = s.row;
    }
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && strcmp(rows[j - 1].name, rows[j].name) > 0; j--) {
            sk_summary_t t = rows[j];

            rows[j] = rows[j - 1];
            rows[j - 1] = t;
        }
    *out = rows;
    return VG_OK;
}

/* ---- KPI ---- */

typedef struct {
    store_t *st;
    store_txn_t *txn;
    vg_arena_t *a;
    vg_err_t *err;
    const char *tenant;
    sk_kpi_t *v;
    size_t n, cap;
} kpi_list_t;

static int kpi_take(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    kpi_list_t *l = arg;
    sk_key_t tk;
    void *tv;
    size_t tvl;
    sk_tracker_t tr;
    uint64_t id = store_codec_u64(k + kl - 8);
    const char *ev;
    int rc;

    (void)v;
    (void)vl;
    key_init(&tk, 'K');
    key_u64(&tk, id);
    if ((rc = kv_get(l->st, l->txn, l->a, tk.p, tk.n, &tv, &tvl, 0, l->err)) < 0)
        return rc == VG_ENOTFOUND ? 0 : rc;
    if (tracker_decode(tv, tvl, l->a, id, &tr) < 0 || tr.last_timing == 0)
        return 0;
    if (l->tenant != NULL && !str_eq(tr.end_tenant, l->tenant))
        return 0;
    l->v = vg_arena_grow(l->a, l->v, l->n, &l->cap, sizeof *l->v);
    ev = tr.end_event != NULL ? tr.end_event : "";
    if (ends_with(ev, ".end"))
        ev = vg_arena_strndup(l->a, ev, strlen(ev) - 4);
    l->v[l->n].event = ev;
    l->v[l->n].duration_us = tr.duration_us;
    l->v[l->n].instance = tr.instance;
    l->v[l->n].deployment = tr.end_dep;
    l->v[l->n++].tenant = tr.end_tenant;
    return 0;
}

static int kpi_cmp(const void *x, const void *y)
{
    int64_t a = ((const sk_kpi_t *)x)->duration_us, b = ((const sk_kpi_t *)y)->duration_us;

    return (a > b) - (a < b);
}

int sk_kpi(store_t *st, store_txn_t *txn, vg_arena_t *a, int64_t since_us, const char *tenant,
           sk_kpi_t **out, size_t *n, vg_err_t *err)
{
    kpi_list_t l = {st, txn, a, err, tenant, NULL, 0, 0};
    sk_key_t from;
    int rc;

    key_init(&from, 'k');
    key_time(&from, since_us);
    rc = kv_scan(st, txn, "k", 1, from.p, from.n, 0, kpi_take, &l, err);
    if (rc < 0)
        return rc;
    /* stable for equal durations: keep start order (insertion sort over a mostly short list) */
    for (size_t i = 1; i < l.n; i++)
        for (size_t j = i; j > 0 && kpi_cmp(&l.v[j - 1], &l.v[j]) > 0; j--) {
            sk_kpi_t t = l.v[j];

            l.v[j] = l.v[j - 1];
            l.v[j - 1] = t;
        }
    *out = l.v;
    *n = l.n;
    return VG_OK;
}

/* ---- usage listings ---- */

typedef struct {
    store_t *st;
    store_txn_t *txn;
    vg_arena_t *a;
    vg_err_t *err;
    char rec; /* record prefix, for index walks */
    size_t offset, limit, skipped;
    int (*take)(void *l, const void *v, size_t vl);
    void *items;
    size_t n, cap, size;
} usage_list_t;

static void *usage_slot(usage_list_t *l)
{
    l->items = vg_arena_grow(l->a, l->items, l->n, &l->cap, l->size);
    return (char *)l->items + l->n * l->size;
}

static int usage_rec(usage_list_t *l, const void *v, size_t vl)
{
    if (l->skipped < l->offset) {
        l->skipped++;
        return 0;
    }
    if (l->take(l, v, vl) == 0)
        l->n++;
    return l->n >= l->limit;
}

/* over the records themselves ('a', 'x', 'X' + id8) */
static int usage_each_rec(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    (void)k;
    if (kl != 9)
        return 0;
    return usage_rec(arg, v, vl);
}

/* over an instance index (... + id8): load the record */
static int usage_each_idx(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    usage_list_t *l = arg;
    sk_key_t rk;
    void *rv;
    size_t rvl;
    int rc;

    (void)v;
    (void)vl;
    key_init(&rk, l->rec);
    key_u64(&rk, store_codec_u64(k + kl - 8));
    if ((rc = kv_get(l->st, l->txn, l->a, rk.p, rk.n, &rv, &rvl, 0, l->err)) < 0)
        return rc == VG_ENOTFOUND ? 0 : rc;
    return usage_rec(l, rv, rvl);
}

static int take_launch(void *lp, const void *v, size_t vl)
{
    usage_list_t *l = lp;

    return launch_decode(v, vl, l->a, usage_slot(l));
}

static int take_delete(void *lp, const void *v, size_t vl)
{
    usage_list_t *l = lp;
    sk_delete_t *d = usage_slot(l);
    rd_t r;

    rd_init(&r, v, vl, l->a);
    if (rd_u8(&r) != SK_REC_VERSION)
        return -1;
    d->launched_at_us = rd_i64(&r);
    d->deleted_at_us = rd_i64(&r);
    d->raw = (uint64_t)rd_i64(&r);
    d->instance = rd_str(&r);
    return r.bad ? -1 : 0;
}

static int take_exists(void *lp, const void *v, size_t vl)
{
    usage_list_t *l = lp;

    return exists_decode(v, vl, l->a, usage_slot(l));
}

static int usage_list(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, char rec,
                      char idx, size_t offset, size_t limit,
                      int (*take)(void *, const void *, size_t), size_t size, void **out, size_t *n,
                      vg_err_t *err)
{
    usage_list_t l = {st, txn, a, err, rec, offset, limit, 0, take, NULL, 0, 0, size};
    sk_key_t k;
    int rc = VG_OK;

    if (limit > 0) {
        if (instance != NULL) {
            key_init(&k, idx);
            key_str(&k, instance);
            rc = kv_scan(st, txn, k.p, k.n, NULL, 0, 0, usage_each_idx, &l, err);
        } else {
            rc = kv_scan(st, txn, &rec, 1, NULL, 0, 0, usage_each_rec, &l, err);
        }
    }
    *out = l.items;
    *n = l.n;
    return rc;
}

int sk_launches(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, size_t offset,
                size_t limit, sk_launch_t **out, size_t *n, vg_err_t *err)
{
    return usage_list(st, txn, a, instance, 'a', 'B', offset, limit, take_launch,
                      sizeof(sk_launch_t), (void **)out, n, err);
}

int sk_deletes(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, size_t offset,
               size_t limit, sk_delete_t **out, size_t *n, vg_err_t *err)
{
    return usage_list(st, txn, a, instance, 'x', 'E', offset, limit, take_delete,
                      sizeof(sk_delete_t), (void **)out, n, err);
}

int sk_exists(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, size_t offset,
              size_t limit, sk_exists_t **out, size_t *n, vg_err_t *err)
{
    return usage_list(st, txn, a, instance, 'X', 'Y', offset, limit, take_exists,
                      sizeof(sk_exists_t), (void **)out, n, err);
}

/* ---- reports ---- */

static void report_qkey(sk_key_t *k, const char *name, int64_t start, int64_t end)
{
    key_init(k, 'q');
    key_str(k, name);
    key_time(k, start);
    key_time(k, end);
}

int sk_report_put(store_t *st, store_txn_t *txn, const sk_report_t *r, uint64_t *id, vg_err_t *err)
{
    vg_arena_t a;
    vg_buf_t b;
    sk_key_t k;
    unsigned char idb[8];
    int rc;

    vg_arena_init(&a, 1024);
    rc = sk_seq_next(st, txn, &a, "report", id, err);
    vg_arena_fini(&a);
    if (rc < 0)
        return rc;
    vg_buf_init(&b, NULL);
    rec_u8(&b, SK_REC_VERSION);
    rec_i64(&b, r->period_start_us);
    rec_i64(&b, r->period_end_us);
    rec_i64(&b, r->created_us);
    rec_i64(&b, r->version);
    rec_str(&b, r->name);
    rec_mem(&b, r->json != NULL ? r->json : "", r->json != NULL ? r->json_len : 0);
    rc = rec_put(st, txn, 'p', *id, &b, err);
    if (rc < 0)
        return rc;
    report_qkey(&k, r->name != NULL ? r->name : "", r->period_start_us, r->period_end_us);
    store_codec_put_u64(idb, *id);
    return kv_put(st, txn, k.p, k.n, idb, 8, err);
}

static int report_decode(const void *p, size_t len, vg_arena_t *a, uint64_t id, sk_report_t *r)
{
    rd_t d;
    const char *json;
    size_t jlen;

    rd_init(&d, p, len, a);
    if (rd_u8(&d) != SK_REC_VERSION)
        return -1;
    r->id = id;
    r->period_start_us = rd_i64(&d);
    r->period_end_us = rd_i64(&d);
    r->created_us = rd_i64(&d);
    r->version = (int)rd_i64(&d);
    r->name = rd_str(&d);
    rd_span(&d, &json, &jlen);
    if (d.bad)
        return -1;
    r->json = vg_arena_strndup(a, json != NULL ? json : "", jlen);
    r->json_len = jlen;
    return 0;
}

int sk_report_get(store_t *st, store_txn_t *txn, vg_arena_t *a, uint64_t id, sk_report_t *out,
                  vg_err_t *err)
{
    sk_key_t k;
    void *v;
    size_t vl;
    int rc;

    key_init(&k, 'p');
    key_u64(&k, id);
    rc = kv_get(st, txn, a, k.p, k.n, &v, &vl, 0, err);
    if (rc == VG_ENOTFOUND)
        return vg_fail(err, VG_ENOTFOUND, "Report %llu not found", (unsigned long long)id);
    if (rc < 0)
        return rc;
    if (report_decode(v, vl, a, id, out) < 0)
        return vg_fail(err, VG_EINTERNAL, "report %llu is damaged", (unsigned long long)id);
    return VG_OK;
}

typedef struct {
    vg_arena_t *a;
    int (*keep)(const sk_report_t *, void *);
    void *arg;
    size_t offset, limit, skipped;
    sk_report_t *v;
    size_t n, cap;
} report_list_t;

static int report_take(const unsigned char *k, size_t kl, const void *v, size_t vl, void *arg)
{
    report_list_t *l = arg;
    sk_report_t r;

    if (kl != 9 || report_decode(v, vl, l->a, store_codec_u64(k + 1), &r) < 0)
        return 0;
    if (l->keep != NULL && !l->keep(&r, l->arg))
        return 0;
    if (l->skipped < l->offset) {
        l->skipped++;
        return 0;
    }
    l->v = vg_arena_grow(l->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = r;
    return l->n >= l->limit;
}

int sk_reports(store_t *st, store_txn_t *txn, vg_arena_t *a,
               int (*keep)(const sk_report_t *r, void *arg), void *arg, int descending,
               size_t offset, size_t limit, sk_report_t **out, size_t *n, vg_err_t *err)
{
    report_list_t l = {a, keep, arg, offset, limit, 0, NULL, 0, 0};
    int rc = VG_OK;

    if (limit > 0)
        rc = kv_scan(st, txn, "p", 1, NULL, 0, descending, report_take, &l, err);
    *out = l.v;
    *n = l.n;
    return rc;
}

int sk_report_exists(store_t *st, store_txn_t *txn, const char *name, int64_t period_start_us,
                     int64_t period_end_us, vg_err_t *err)
{
    vg_arena_t a;
    sk_key_t k;
    void *v;
    size_t vl;
    int rc;

    vg_arena_init(&a, 1024);
    report_qkey(&k, name, period_start_us, period_end_us);
    rc = kv_get(st, txn, &a, k.p, k.n, &v, &vl, 0, err);
    vg_arena_fini(&a);
    if (rc == VG_ENOTFOUND)
        return 0;
    return rc < 0 ? rc : 1;
}
