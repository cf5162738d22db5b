/* store/series.c - catalog, postings, chunks and metadata (layout in DESIGN.md, "Data model").
 *   series            project\0 id(8)                  → canonical label set
 *   series_by_labels  project\0 canonical label set    → id(8)
 *   postings (dups)   project\0 name\0 value            → id(8), sorted; the empty name and value
 *                     (project\0\0) lists every series of the project
 *   chunks            id(8) start(8, sign bit flipped) → store_chunk_encode() bytes
 *   metadata          project\0 metric                 → type\0unit\0help
 * Integers are big-endian, so cursor order is numeric order; a canonical label set is
 * name\0value\0 for each label in name order.
 * SPDX-License-Identifier: MIT */
#include "series.h"

#include "codec.h"
#include "core/buf.h"
#include "core/mem.h"
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define STORE_KEY_MAX 65536 /* catalog keys: a label set longer than this is refused */

int store_matcher_matches(const store_matcher_t *m, const char *value)
{
    switch (m->type) {
    case STORE_M_EQ:
        return strcmp(value, m->value) == 0;
    case STORE_M_NEQ:
        return strcmp(value, m->value) != 0;
    case STORE_M_RE:
        return m->re_match(m->re, value) == 1;
    case STORE_M_NRE:
        return m->re_match(m->re, value) != 1;
    }
    return 0;
}

/* ---- keys ---- */

static void store_chunk_key(unsigned char k[16], uint64_t id, int64_t start)
{
    store_codec_put_u64(k, id);
    store_codec_put_u64(k + 8, (uint64_t)start ^ 0x8000000000000000ull);
}

static int64_t store_chunk_key_start(const unsigned char *k)
{
    return (int64_t)(store_codec_u64(k + 8) ^ 0x8000000000000000ull);
}

/* "project\0" + rest into b */
static void store_key_project(vg_buf_t *b, const char *project)
{
    b->len = 0;
    vg_buf_add(b, project, strlen(project) + 1);
}

static void store_canonical(vg_buf_t *b, const ing_label_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vg_buf_add(b, l[i].name, strlen(l[i].name) + 1);
        vg_buf_add(b, l[i].value, strlen(l[i].value) + 1);
    }
}

/* Splits a canonical label set back into labels in the arena. */
static int store_labels_parse(const char *p, size_t len, vg_arena_t *a, ing_label_t **out,
                              size_t *n, vg_err_t *err)
{
    size_t count = 0, i = 0;
    const char *e = p + len;

    for (const char *q = p; q < e; q++)
        count += *q == '\0';
    if (count % 2 != 0 || (len > 0 && p[len - 1] != '\0'))
        return vg_fail(err, VG_EINTERNAL, "store: corrupt label set");
    *out = vg_arena_alloc(a, (count / 2 + 1) * sizeof **out);
    while (p < e) {
        const char *name = p, *value = name + strlen(name) + 1;

        (*out)[i].name = vg_arena_strdup(a, name);
        (*out)[i].value = vg_arena_strdup(a, value);
        i++;
        p = value + strlen(value) + 1;
    }
    *n = i;
    return VG_OK;
}

/* ---- ids ---- */

typedef struct {
    uint64_t *v;
    size_t n, cap;
} store_ids_t;

static void store_ids_add(vg_arena_t *a, store_ids_t *s, uint64_t id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *v = vg_arena_alloc(a, cap * sizeof *v);

        if (s->n)
            memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = id;
}

static int store_u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

    return a < b ? -1 : a > b;
}

/* Sorts and removes duplicates. */
static void store_ids_normalize(store_ids_t *s)
{
    size_t j = 0;

    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof *s->v, store_u64_cmp);
    for (size_t i = 0; i < s->n; i++)
        if (j == 0 || s->v[j - 1] != s->v[i])
            s->v[j++] = s->v[i];
    s->n = j;
}

/* a = a ∩ b, both sorted: a merge. */
static void store_ids_intersect(store_ids_t *a, const store_ids_t *b)
{
    size_t i = 0, j = 0, k = 0;

    while (i < a->n && j < b->n) {
        if (a->v[i] < b->v[j])
            i++;
        else if (a->v[i] > b->v[j])
            j++;
        else {
            a->v[k++] = a->v[i];
            i++;
            j++;
        }
    }
    a->n = k;
}

/* Appends the ids of one postings key (all its duplicates). */
static int store_postings_get(store_t *st, store_txn_t *txn, const vg_buf_t *key, vg_arena_t *a,
                              store_ids_t *out, vg_err_t *err)
{
    DBC *cur;
    DBT k = {0}, v = {0};
    unsigned char idb[8];
    int rc;

    if ((rc = store_rc(st, st->postings->cursor(st->postings, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    k.data = key->p;
    k.size = (u_int32_t)key->len;
    v.data = idb;
    v.ulen = sizeof idb;
    v.flags = DB_DBT_USERMEM;
    rc = store_rc(st, cur->get(cur, &k, &v, DB_SET), "postings get", err);
    while (rc == VG_OK) {
        store_ids_add(a, out, store_codec_u64(idb));
        rc = store_rc(st, cur->get(cur, &k, &v, DB_NEXT_DUP), "postings next", err);
    }
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
    cur->close(cur);
    return rc;
}

/* Walks the distinct postings keys starting with prefix; fn gets the rest of each key. */
typedef int (*store_keys_fn)(const char *rest, size_t len, void *arg, vg_err_t *err);

static int store_postings_keys(store_t *st, store_txn_t *txn, const vg_buf_t *prefix,
                               store_keys_fn fn, void *arg, vg_err_t *err)
{
    DBC *cur;
    DBT k = {0}, v = {0};
    u_int32_t op = DB_SET_RANGE;
    int rc;

    if ((rc = store_rc(st, st->postings->cursor(st->postings, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    /* REALLOC: the search key's buffer is ours and Berkeley DB grows it for each key found */
    k.flags = DB_DBT_REALLOC;
    v.flags = DB_DBT_REALLOC;
    k.data = vg_xmalloc(prefix->len);
    memcpy(k.data, prefix->p, prefix->len);
    k.size = (u_int32_t)prefix->len;
    while ((rc = store_rc(st, cur->get(cur, &k, &v, op), "postings walk", err)) == VG_OK) {
        op = DB_NEXT_NODUP;
        if (k.size < prefix->len || memcmp(k.data, prefix->p, prefix->len) != 0)
            break;
        if ((rc = fn((const char *)k.data + prefix->len, k.size - prefix->len, arg, err)) < 0)
            break;
    }
    free(k.data);
    free(v.data);
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
    cur->close(cur);
    return rc;
}

/* ---- append ---- */

/* The id of the series with canonical label set canon, created (catalog and postings) when
 * new. DB_NOOVERWRITE makes two writers creating the same series agree on one id. */
static int store_series_id(store_t *st, store_txn_t *txn, const char *project,
                           const ing_sample_t *s, vg_buf_t *canon, vg_buf_t *tmp, uint64_t *id,
                           vg_err_t *err)
{
    DBT k = {0}, v = {0};
    unsigned char idb[8];
    db_seq_t seq;
    int rc;

    k.data = canon->p;
    k.size = (u_int32_t)canon->len;
    v.data = idb;
    v.ulen = v.size = sizeof idb;
    v.flags = DB_DBT_USERMEM;
    rc = st->series_by_labels->get(st->series_by_labels, txn, &k, &v, 0);
    if (rc == 0 && v.size == 8) {
        *id = store_codec_u64(idb);
        return VG_OK;
    }
    if (rc != DB_NOTFOUND)
        return store_rc(st, rc, "series_by_labels get", err);
    /* cached sequence values are handed out outside any transaction */
    if ((rc = store_rc(st, st->series_seq->get(st->series_seq, NULL, 1, &seq, 0), "sequence",
                       err)) < 0)
        return rc;
    *id = (uint64_t)seq;
    store_codec_put_u64(idb, *id);
    v.size = 8;
    rc = st->series_by_labels->put(st->series_by_labels, txn, &k, &v, DB_NOOVERWRITE);
    if (rc == DB_KEYEXIST) { /* created meanwhile by a transaction that committed first */
        if ((rc = st->series_by_labels->get(st->series_by_labels, txn, &k, &v, 0)) == 0)
            *id = store_codec_u64(idb);
        return store_rc(st, rc, "series_by_labels get", err);
    }
    if ((rc = store_rc(st, rc, "series_by_labels put", err)) < 0)
        return rc;
    /* the catalog entry: project\0 id → label set (the canonical key minus the project) */
    size_t plen = strlen(project) + 1;

    store_key_project(tmp, project);
    vg_buf_add(tmp, idb, 8);
    k.data = tmp->p;
    k.size = (u_int32_t)tmp->len;
    DBT lv = {0};

    lv.data = canon->p + plen;
    lv.size = (u_int32_t)(canon->len - plen);
    if ((rc = store_rc(st, st->series->put(st->series, txn, &k, &lv, 0), "series put", err)) < 0)
        return rc;
    /* postings: one per label, and the project-wide list */
    for (size_t i = 0; i <= s->nlabels; i++) {
        store_key_project(tmp, project);
        if (i < s->nlabels) {
            vg_buf_add(tmp, s->labels[i].name, strlen(s->labels[i].name) + 1);
            vg_buf_adds(tmp, s->labels[i].value);
        } else {
            vg_buf_addc(tmp, '\0');
        }
        k.data = tmp->p;
        k.size = (u_int32_t)tmp->len;
        rc = st->postings->put(st->postings, txn, &k, &v, DB_NODUPDATA);
        if (rc != DB_KEYEXIST && (rc = store_rc(st, rc, "postings put", err)) < 0)
            return rc;
    }
    return VG_OK;
}

/* Writes samples s[0..n) (sorted, unique) as one or more chunks of at most STORE_CHUNK_MAX. */
static int store_chunks_put(store_t *st, store_txn_t *txn, uint64_t id, const store_sample_t *s,
                            size_t n, vg_arena_t *a, vg_err_t *err)
{
    size_t pieces = (n + STORE_CHUNK_MAX - 1) / STORE_CHUNK_MAX;
    size_t cap = store_chunk_bound(STORE_CHUNK_MAX);
    unsigned char *buf = vg_arena_alloc(a, cap);

    for (size_t p = 0, off = 0; p < pieces; p++) {
        size_t cnt = (n - off) / (pieces - p); /* even pieces */
        unsigned char key[16];
        DBT k = {0}, v = {0};
        int rc;

        store_chunk_key(key, id, s[off].t);
        k.data = key;
        k.size = sizeof key;
        v.data = buf;
        v.size = (u_int32_t)store_chunk_encode(s + off, cnt, buf, cap);
        if (v.size == 0)
            return vg_fail(err, VG_EINTERNAL, "store: chunk encoding overflow");
        if ((rc = store_rc(st, st->chunks->put(st->chunks, txn, &k, &v, 0), "chunks put", err)) < 0)
            return rc;
        off += cnt;
    }
    return VG_OK;
}

static int store_chunk_decode_all(const void *p, size_t len, vg_arena_t *a, store_sample_t **out,
                                  size_t *n, vg_err_t *err)
{
    store_chunk_iter_t it;
    size_t cnt, i = 0;
    int rc;

    if (store_chunk_count(p, len, &cnt) != VG_OK)
        return vg_fail(err, VG_EINTERNAL, "store: corrupt chunk");
    *out = vg_arena_alloc(a, (cnt ? cnt : 1) * sizeof **out);
    store_chunk_iter_init(&it, p, len);
    while (i < cnt && (rc = store_chunk_iter_next(&it, &(*out)[i].t, &(*out)[i].v)) == 1)
        i++;
    if (i != cnt)
        return vg_fail(err, VG_EINTERNAL, "store: corrupt chunk");
    *n = cnt;
    return VG_OK;
}

/* Merges the sorted unique samples s[0..n) of series id into its chunks. */
static int store_series_merge(store_t *st, store_txn_t *txn, uint64_t id, const store_sample_t *s,
                              size_t n, vg_arena_t *a, vg_err_t *err)
{
    size_t i = 0;
    int rc = VG_OK;

    while (i < n && rc == VG_OK) {
        unsigned char key[16], found[16];
        DBT k = {0}, v = {0};
        DBC *cur;
        int have = 0;
        int64_t cstart = 0, next = INT64_MAX;
        store_sample_t *old = NULL;
        size_t nold = 0;

        if ((rc = store_rc(st, st->chunks->cursor(st->chunks, txn, &cur, 0), "cursor", err)) < 0)
            return rc;
        store_chunk_key(key, id, s[i].t);
        memcpy(found, key, sizeof found);
        k.data = found;
        k.size = sizeof found;
        k.ulen = sizeof found;
        k.flags = DB_DBT_USERMEM;
        v.flags = DB_DBT_MALLOC;
        /* the chunk covering s[i].t: the last one starting at or before it */
        int g = cur->get(cur, &k, &v, DB_SET_RANGE);

        if (g == 0 && store_codec_u64(found) == id && store_chunk_key_start(found) == s[i].t) {
            have = 1;
        } else {
            if (g == 0) {
                /* found a later key: remember where the next chunk of this series starts */
                if (store_codec_u64(found) == id)
                    next = store_chunk_key_start(found);
                free(v.data);
                v.data = NULL;
                g = cur->get(cur, &k, &v, DB_PREV);
            } else if (g == DB_NOTFOUND) {
                g = cur->get(cur, &k, &v, DB_LAST);
            }
            if (g == 0 && store_codec_u64(found) == id)
                have = 1;
            else if (g != 0 && g != DB_NOTFOUND)
                rc = store_rc(st, g, "chunks seek", err);
            else if (g == 0) {
                free(v.data);
                v.data = NULL;
            }
        }
        unsigned char *appended = NULL; /* the last chunk with every new sample after it */
        size_t alen = 0;

        if (rc == VG_OK && have) {
            unsigned char *raw = v.data;
            size_t rawlen = v.size, cnt;

            cstart = store_chunk_key_start(found);
            v.data = NULL;
            if (next == INT64_MAX) {
                /* the chunk after this one bounds what merges here */
                g = cur->get(cur, &k, &v, DB_NEXT);
                if (g == 0 && store_codec_u64(found) == id)
                    next = store_chunk_key_start(found);
                if (g == 0)
                    free(v.data);
                else if (g != DB_NOTFOUND)
                    rc = store_rc(st, g, "chunks next", err);
                v.data = NULL;
            }
            /* the common case, samples after all of the last chunk's: appended to its bits
             * without decoding it into an array or encoding its samples again */
            if (rc == VG_OK && next == INT64_MAX && store_chunk_count(raw, rawlen, &cnt) == VG_OK &&
                cnt + (n - i) <= STORE_CHUNK_MAX) {
                size_t cap = store_chunk_bound(cnt + (n - i));

                appended = vg_arena_alloc(a, cap);
                alen = store_chunk_append(raw, rawlen, s + i, n - i, appended, cap);
            }
            if (rc == VG_OK && alen == 0)
                rc = store_chunk_decode_all(raw, rawlen, a, &old, &nold, err);
            free(raw);
        }
        cur->close(cur);
        if (rc != VG_OK)
            return rc;
        if (alen > 0) {
            DBT av = {0};

            store_chunk_key(key, id, cstart);
            k.data = key;
            k.size = sizeof key;
            k.flags = 0;
            av.data = appended;
            av.size = (u_int32_t)alen;
            return store_rc(st, st->chunks->put(st->chunks, txn, &k, &av, 0), "chunks put", err);
        }

        /* the new samples this chunk takes: up to the next chunk's start */
        size_t j = i;

        while (j < n && s[j].t < next)
            j++;
        if (!have) {
            rc = store_chunks_put(st, txn, id, s + i, j - i, a, err);
        } else if (nold >= STORE_CHUNK_MAX && next == INT64_MAX && s[i].t > old[nold - 1].t) {
            /* appending past a full last chunk: a new chunk, the old one untouched */
            rc = store_chunks_put(st, txn, id, s + i, j - i, a, err);
        } else {
            store_sample_t *m = vg_arena_alloc(a, (nold + (j - i)) * sizeof *m);
            size_t nm = store_chunk_merge(old, nold, s + i, j - i, m);

            store_chunk_key(key, id, cstart);
            k.data = key;
            k.size = sizeof key;
            k.flags = 0;
            if (m[0].t != cstart) /* merged in front of the chunk: it is re-keyed */
                rc = store_rc(st, st->chunks->del(st->chunks, txn, &k, 0), "chunks del", err);
            if (rc == VG_OK)
                rc = store_chunks_put(st, txn, id, m, nm, a, err);
        }
        i = j;
    }
    return rc;
}

typedef struct {
    const ing_sample_t *s;
    const char *canon; /* arena copy of the canonical key */
    size_t len;
    size_t idx; /* position in the batch: later wins */
} store_app_t;

/* True when two samples' label sets are the same strings (pointer-equal): a parser that
 * interns its strings, or ing_batch_add_same, gives neighbours of one series this shape. */
static int store_same_strings(const ing_sample_t *x, const ing_sample_t *y)
{
    if (x->labels == y->labels)
        return 1;
    if (x->nlabels != y->nlabels)
        return 0;
    for (size_t i = 0; i < x->nlabels; i++)
        if (x->labels[i].name != y->labels[i].name || x->labels[i].value != y->labels[i].value)
            return 0;
    return 1;
}

static int store_app_cmp(const void *x, const void *y)
{
    const store_app_t *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = a->canon == b->canon ? 0 : memcmp(a->canon, b->canon, n);

    if (c != 0)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->s->t_ms != b->s->t_ms)
        return a->s->t_ms < b->s->t_ms ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int store_meta_merge(store_t *st, store_txn_t *txn, const char *project, const ing_meta_t *m,
                            vg_arena_t *a, vg_err_t *err)
{
    vg_buf_t key, val;
    DBT k = {0}, v = {0};
    const char *type = m->type, *unit = m->unit, *help = m->help;
    int rc;

    vg_buf_init(&key, a);
    vg_buf_init(&val, a);
    store_key_project(&key, project);
    vg_buf_adds(&key, m->metric);
    k.data = key.p;
    k.size = (u_int32_t)key.len;
    v.flags = DB_DBT_MALLOC;
    rc = st->metadata->get(st->metadata, txn, &k, &v, DB_RMW);
    if (rc == 0) { /* keep what this batch does not say */
        const char *p = v.data, *e = p + v.size;
        const char *ot = p, *ou = ot < e ? ot + strnlen(ot, (size_t)(e - ot)) + 1 : e;
        const char *oh = ou < e ? ou + strnlen(ou, (size_t)(e - ou)) + 1 : e;

        if (type == NULL && ot < e)
            type = vg_arena_strndup(a, ot, strnlen(ot, (size_t)(e - ot)));
        if (unit == NULL && ou < e)
            unit = vg_arena_strndup(a, ou, strnlen(ou, (size_t)(e - ou)));
        if (help == NULL && oh < e)
            help = vg_arena_strndup(a, oh, strnlen(oh, (size_t)(e - oh)));
        free(v.data);
    } else if (rc != DB_NOTFOUND) {
        return store_rc(st, rc, "metadata get", err);
    }
    vg_buf_add(&val, type ? type : "", strlen(type ? type : "") + 1);
    vg_buf_add(&val, unit ? unit : "", strlen(unit ? unit : "") + 1);
    vg_buf_add(&val, help ? help : "", strlen(help ? help : "") + 1);
    memset(&v, 0, sizeof v);
    v.data = val.p;
    v.size = (u_int32_t)val.len;
    return store_rc(st, st->metadata->put(st->metadata, txn, &k, &v, 0), "metadata put", err);
}

int store_series_append(store_t *st, store_txn_t *txn, const char *project, const ing_batch_t *b,
                        vg_err_t *err)
{
    vg_arena_t *a = b->scratch; /* reset with the samples when the batch flushes */
    vg_arena_t work;
    store_app_t *order;
    vg_buf_t canon, tmp;
    int rc = VG_OK;

    vg_buf_init(&canon, a);
    vg_buf_init(&tmp, a);
    order = vg_arena_alloc(a, (b->nsamples ? b->nsamples : 1) * sizeof *order);
    for (size_t i = 0; i < b->nsamples; i++) {
        if (i > 0 && store_same_strings(&b->samples[i], &b->samples[i - 1])) {
            /* the same label set as the sample before, so the same key */
            order[i] = (store_app_t){&b->samples[i], order[i - 1].canon, order[i - 1].len, i};
            continue;
        }
        store_key_project(&canon, project);
        store_canonical(&canon, b->samples[i].labels, b->samples[i].nlabels);
        if (canon.len > STORE_KEY_MAX)
            return vg_fail(err, VG_EINVAL, "label set of %zu bytes is larger than %d bytes",
                           canon.len, STORE_KEY_MAX);
        order[i] =
            (store_app_t){&b->samples[i], vg_arena_strndup(a, canon.p, canon.len), canon.len, i};
    }
    if (b->nsamples > 1)
        qsort(order, b->nsamples, sizeof *order, store_app_cmp);
    vg_arena_init(&work, 0);
    for (size_t i = 0; i < b->nsamples && rc == VG_OK;) {
        size_t j = i, n = 0;
        uint64_t id = 0;

        while (j < b->nsamples && order[j].len == order[i].len &&
               memcmp(order[j].canon, order[i].canon, order[i].len) == 0)
            j++;
        canon.len = 0;
        vg_buf_add(&canon, order[i].canon, order[i].len);
        if ((rc = store_series_id(st, txn, project, order[i].s, &canon, &tmp, &id, err)) < 0)
            break;
        /* one series's merge work (its samples, old chunks decoded, new ones encoded) is
         * dropped before the next series: memory follows the largest series, not the batch */
        vg_arena_reset(&work);
        store_sample_t *s = vg_arena_alloc(&work, (j - i) * sizeof *s);

        for (size_t k = i; k < j; k++) {
            /* equal timestamps: the batch's later sample (sorted after) replaces */
            if (n > 0 && s[n - 1].t == order[k].s->t_ms)
                n--;
            s[n++] = (store_sample_t){order[k].s->t_ms, order[k].s->v};
        }
        rc = store_series_merge(st, txn, id, s, n, &work, err);
        i = j;
    }
    vg_arena_fini(&work);
    for (size_t i = 0; i < b->nmeta && rc == VG_OK; i++)
        rc = store_meta_merge(st, txn, project, &b->meta[i], a, err);
    return rc;
}

typedef struct {
    store_t *st;
    store_txn_t *txn;
    store_ingest_t *in;
    vg_arena_t *a;
} store_ingest_ctx_t;

/* The batch's flush: its samples, without the metadata (written once, at the end). */
static int store_ingest_flush(ing_batch_t *b, void *arg, vg_err_t *err)
{
    store_ingest_ctx_t *c = arg;
    ing_batch_t view = *b;

    view.nmeta = 0;
    c->in->samples += b->nsamples;
    return store_series_append(c->st, c->txn, c->in->project, &view, err);
}

static int store_ingest_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    store_ingest_ctx_t *c = arg;
    store_ingest_t *in = c->in;
    vg_arena_t scratch;
    ing_batch_t b;
    int rc;

    c->st = st;
    c->txn = txn;
    in->samples = 0;
    vg_arena_init(&scratch, 0);
    ing_batch_init(&b, c->a);
    ing_batch_set_flush(&b, &scratch, in->flush_every ? in->flush_every : STORE_INGEST_FLUSH,
                        store_ingest_flush, c);
    ing_batch_set_extra(&b, in->extra, in->nextra);
    if ((rc = in->fill(&b, in->arg, err)) == VG_OK && (rc = ing_batch_flush(&b, err)) == VG_OK)
        rc = store_series_append(st, txn, in->project, &b, err); /* the metadata */
    if (rc == VG_OK && in->after != NULL)
        rc = in->after(st, txn, &b, in->arg, err);
    vg_arena_fini(&scratch);
    return rc;
}

int store_series_ingest(store_t *st, store_ingest_t *in, vg_arena_t *a, vg_err_t *err)
{
    store_ingest_ctx_t c = {NULL, NULL, in, a};

    return store_txn_run_write(st, store_ingest_txn, &c, err);
}

/* ---- select ---- */

typedef struct {
    const store_matcher_t *m;
    vg_arena_t *a;
    store_ids_t *ids;
    store_t *st;
    store_txn_t *txn;
    const vg_buf_t *prefix;
} store_re_walk_t;

/* For each value of the matcher's label that matches: add its postings. */
static int store_re_value(const char *rest, size_t len, void *arg, vg_err_t *err)
{
    store_re_walk_t *w = arg;
    char *value = vg_arena_strndup(w->a, rest, len);
    vg_buf_t key;

    if (!store_matcher_matches(w->m, value))
        return VG_OK;
    vg_buf_init(&key, w->a);
    vg_buf_add(&key, w->prefix->p, w->prefix->len);
    vg_buf_add(&key, rest, len);
    return store_postings_get(w->st, w->txn, &key, w->a, w->ids, err);
}

/* The ids of series whose label m->name has a value m accepts (non-empty values only). */
static int store_matcher_ids(store_t *st, store_txn_t *txn, const char *project,
                             const store_matcher_t *m, vg_arena_t *a, store_ids_t *ids,
                             vg_err_t *err)
{
    vg_buf_t key;
    int rc;

    vg_buf_init(&key, a);
    store_key_project(&key, project);
    vg_buf_add(&key, m->name, strlen(m->name) + 1);
    if (m->type == STORE_M_EQ) {
        vg_buf_adds(&key, m->value);
        rc = store_postings_get(st, txn, &key, a, ids, err);
    } else {
        store_re_walk_t w = {m, a, ids, st, txn, &key};

        rc = store_postings_keys(st, txn, &key, store_re_value, &w, err);
    }
    if (rc == VG_OK)
        store_ids_normalize(ids);
    return rc;
}

static int store_series_get(store_t *st, store_txn_t *txn, const char *project, uint64_t id,
                            vg_arena_t *a, store_series_t *out, vg_err_t *err)
{
    vg_buf_t key;
    unsigned char idb[8];
    DBT k = {0}, v = {0};
    int rc;

    vg_buf_init(&key, a);
    store_key_project(&key, project);
    store_codec_put_u64(idb, id);
    vg_buf_add(&key, idb, 8);
    k.data = key.p;
    k.size = (u_int32_t)key.len;
    v.flags = DB_DBT_MALLOC;
    if ((rc = store_rc(st, st->series->get(st->series, txn, &k, &v, 0), "series get", err)) < 0)
        return rc;
    out->id = id;
    rc = store_labels_parse(v.data, v.size, a, &out->labels, &out->nlabels, err);
    free(v.data);
    return rc;
}

int store_series_cmp(const void *x, const void *y)
{
    const store_series_t *a = x, *b = y;

    for (size_t i = 0; i < a->nlabels && i < b->nlabels; i++) {
        int c = strcmp(a->labels[i].name, b->labels[i].name);

        if (c == 0)
            c = strcmp(a->labels[i].value, b->labels[i].value);
        if (c != 0)
            return c;
    }
    return a->nlabels < b->nlabels ? -1 : a->nlabels > b->nlabels;
}

static const char *store_label_value(const store_series_t *s, const char *name)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].name, name) == 0)
            return s->labels[i].value;
    return "";
}

int store_series_select(store_t *st, store_txn_t *txn, const char *project,
                        const store_matcher_t *m, size_t nm, vg_arena_t *a, store_series_t **out,
                        size_t *n, vg_err_t *err)
{
    store_ids_t cand = {0};
    int have = 0, rc = VG_OK;

    /* candidates: the intersection of the matchers that need the label present (those that
     * do not accept the empty value); without any, every series of the project */
    for (size_t i = 0; i < nm && rc == VG_OK; i++) {
        store_ids_t ids = {0};

        if (store_matcher_matches(&m[i], ""))
            continue;
        if ((rc = store_matcher_ids(st, txn, project, &m[i], a, &ids, err)) < 0)
            return rc;
        if (!have) {
            cand = ids;
            have = 1;
        } else {
            store_ids_intersect(&cand, &ids);
        }
        if (cand.n == 0)
            break;
    }
    if (!have) {
        vg_buf_t key;

        vg_buf_init(&key, a);
        store_key_project(&key, project);
        vg_buf_addc(&key, '\0');
        if ((rc = store_postings_get(st, txn, &key, a, &cand, err)) < 0)
            return rc;
    }
    *out = vg_arena_alloc(a, (cand.n ? cand.n : 1) * sizeof **out);
    *n = 0;
    for (size_t i = 0; i < cand.n; i++) {
        store_series_t *s = &(*out)[*n];
        int ok = 1;

        if ((rc = store_series_get(st, txn, project, cand.v[i], a, s, err)) < 0)
            return rc;
        for (size_t j = 0; j < nm && ok; j++)
            ok = store_matcher_matches(&m[j], store_label_value(s, m[j].name));
        *n += ok;
    }
    if (*n > 1)
        qsort(*out, *n, sizeof **out, store_series_cmp);
    return VG_OK;
}

/* ---- samples ---- */

/* Positions cur on the first chunk of id that may hold t >= mint: the one covering mint. */
static int store_chunks_seek(store_t *st, DBC *cur, uint64_t id, int64_t mint, unsigned char *kb,
                             DBT *k, DBT *v, vg_err_t *err)
{
    store_chunk_key(kb, id, mint);
    k->data = kb;
    k->size = 16;
    k->ulen = 16;
    k->flags = DB_DBT_USERMEM;
    int g = cur->get(cur, k, v, DB_SET_RANGE);

    if (g == 0 && store_codec_u64(kb) == id && store_chunk_key_start(kb) == mint)
        return VG_OK;
    /* the previous chunk may cover mint */
    g = g == 0 ? cur->get(cur, k, v, DB_PREV) : g == DB_NOTFOUND ? cur->get(cur, k, v, DB_LAST) : g;
    if (g == 0 && store_codec_u64(kb) == id)
        return VG_OK;
    if (g != 0 && g != DB_NOTFOUND)
        return store_rc(st, g, "chunks seek", err);
    /* none before: the first chunk of id, if any */
    store_chunk_key(kb, id, INT64_MIN);
    g = cur->get(cur, k, v, DB_SET_RANGE);
    return store_rc(st, g, "chunks seek", err);
}

int store_series_samples(store_t *st, store_txn_t *txn, uint64_t id, int64_t mint, int64_t maxt,
                         vg_arena_t *a, store_sample_t **out, size_t *n, vg_err_t *err)
{
    unsigned char kb[16];
    DBT k = {0}, v = {0};
    DBC *cur;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = store_rc(st, st->chunks->cursor(st->chunks, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    /* the chunk bytes are read into one growing buffer and decoded straight into *out */
    v.flags = DB_DBT_REALLOC;
    rc = store_chunks_seek(st, cur, id, mint, kb, &k, &v, err);
    while (rc == VG_OK && store_codec_u64(kb) == id && store_chunk_key_start(kb) <= maxt) {
        store_chunk_iter_t it;
        size_t cnt;
        int64_t t;
        double val;
        int r;

        if (store_chunk_count(v.data, v.size, &cnt) != VG_OK) {
            rc = vg_fail(err, VG_EINTERNAL, "store: corrupt chunk of series %llu",
                         (unsigned long long)id);
            break;
        }
        if (*n + cnt > cap) {
            size_t ncap = cap ? cap * 2 : 256;
            store_sample_t *p;

            while (ncap < *n + cnt)
                ncap *= 2;
            p = vg_arena_alloc(a, ncap * sizeof *p);
            if (*n)
                memcpy(p, *out, *n * sizeof *p);
            *out = p;
            cap = ncap;
        }
        store_chunk_iter_init(&it, v.data, v.size);
        while ((r = store_chunk_iter_next(&it, &t, &val)) == 1)
            if (t >= mint && t <= maxt)
                (*out)[(*n)++] = (store_sample_t){t, val};
        if (r < 0) {
            rc = vg_fail(err, VG_EINTERNAL, "store: corrupt chunk of series %llu",
                         (unsigned long long)id);
            break;
        }
        rc = store_rc(st, cur->get(cur, &k, &v, DB_NEXT), "chunks next", err);
    }
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
    free(v.data);
    cur->close(cur);
    return rc;
}

int store_series_has_samples(store_t *st, store_txn_t *txn, uint64_t id, int64_t mint, int64_t maxt,
                             vg_err_t *err)
{
    vg_arena_t a;
    store_sample_t *s;
    size_t n = 0;
    int rc;

    vg_arena_init(&a, 0);
    rc = store_series_samples(st, txn, id, mint, maxt, &a, &s, &n, err);
    vg_arena_fini(&a);
    return rc < 0 ? rc : n > 0;
}

/* ---- label names and values ---- */

typedef struct {
    vg_arena_t *a;
    const char **v;
    size_t n, cap;
} store_strs_t;

static void store_strs_add(store_strs_t *s, const char *p, size_t len)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        const char **v = vg_arena_alloc(s->a, cap * sizeof *v);

        if (s->n)
            memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = vg_arena_strndup(s->a, p, len);
}

static int store_value_add(const char *rest, size_t len, void *arg, vg_err_t *err)
{
    (void)err;
    store_strs_add(arg, rest, len);
    return VG_OK;
}

int store_series_label_values(store_t *st, store_txn_t *txn, const char *project, const char *name,
                              vg_arena_t *a, const char ***out, size_t *n, vg_err_t *err)
{
    store_strs_t s = {a, NULL, 0, 0};
    vg_buf_t key;
    int rc;

    if (*name == '\0') {
        *out = vg_arena_alloc(a, sizeof **out);
        *n = 0;
        return VG_OK;
    }
    vg_buf_init(&key, a);
    store_key_project(&key, project);
    vg_buf_add(&key, name, strlen(name) + 1);
    rc = store_postings_keys(st, txn, &key, store_value_add, &s, err);
    *out = s.v ? s.v : vg_arena_alloc(a, sizeof **out);
    *n = s.n;
    return rc;
}

typedef struct {
    store_strs_t names;
} store_names_t;

static int store_name_add(const char *rest, size_t len, void *arg, vg_err_t *err)
{
    store_strs_t *s = arg;
    size_t nlen = strnlen(rest, len);

    (void)err;
    if (nlen == 0) /* the project-wide list */
        return VG_OK;
    if (s->n == 0 || strlen(s->v[s->n - 1]) != nlen || memcmp(s->v[s->n - 1], rest, nlen) != 0)
        store_strs_add(s, rest, nlen);
    return VG_OK;
}

int store_series_label_names(store_t *st, store_txn_t *txn, const char *project, vg_arena_t *a,
                             const char ***out, size_t *n, vg_err_t *err)
{
    store_strs_t s = {a, NULL, 0, 0};
    vg_buf_t key;
    int rc;

    vg_buf_init(&key, a);
    store_key_project(&key, project);
    rc = store_postings_keys(st, txn, &key, store_name_add, &s, err);
    *out = s.v ? s.v : vg_arena_alloc(a, sizeof **out);
    *n = s.n;
    return rc;
}

/* ---- delete ---- */

/* Removes series id from the catalog and the postings. */
static int store_series_forget(store_t *st, store_txn_t *txn, const char *project,
                               const store_series_t *s, vg_arena_t *a, vg_err_t *err)
{
    vg_buf_t key;
    unsigned char idb[8];
    DBT k = {0}, v = {0};
    DBC *cur;
    int rc;

    vg_buf_init(&key, a);
    store_codec_put_u64(idb, s->id);
    store_key_project(&key, project);
    vg_buf_add(&key, idb, 8);
    k.data = key.p;
    k.size = (u_int32_t)key.len;
    if ((rc = store_rc(st, st->series->del(st->series, txn, &k, 0), "series del", err)) < 0)
        return rc;
    store_key_project(&key, project);
    store_canonical(&key, s->labels, s->nlabels);
    k.data = key.p;
    k.size = (u_int32_t)key.len;
    rc = store_rc(st, st->series_by_labels->del(st->series_by_labels, txn, &k, 0),
                  "series_by_labels del", err);
    if (rc < 0)
        return rc;
    if ((rc = store_rc(st, st->postings->cursor(st->postings, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    for (size_t i = 0; i <= s->nlabels && rc == VG_OK; i++) {
        store_key_project(&key, project);
        if (i < s->nlabels) {
            vg_buf_add(&key, s->labels[i].name, strlen(s->labels[i].name) + 1);
            vg_buf_adds(&key, s->labels[i].value);
        } else {
            vg_buf_addc(&key, '\0');
        }
        k.data = key.p;
        k.size = (u_int32_t)key.len;
        v.data = idb;
        v.size = 8;
        rc = store_rc(st, cur->get(cur, &k, &v, DB_GET_BOTH), "postings find", err);
        if (rc == VG_OK)
            rc = store_rc(st, cur->del(cur, 0), "postings del", err);
        else if (rc == VG_ENOTFOUND)
            rc = VG_OK;
    }
    cur->close(cur);
    return rc;
}

/* Deletes the samples of id in [mint, maxt]; *left says whether any sample remains. */
static int store_chunks_delete(store_t *st, store_txn_t *txn, uint64_t id, int64_t mint,
                               int64_t maxt, vg_arena_t *a, int *left, vg_err_t *err)
{
    store_sample_t *all;
    size_t n, keep = 0;
    int rc;

    /* simple and exact: read every sample, drop the series' chunks, write back the rest */
    if ((rc = store_series_samples(st, txn, id, INT64_MIN, INT64_MAX, a, &all, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (all[i].t < mint || all[i].t > maxt)
            all[keep++] = all[i];
    *left = keep > 0;
    if (keep == n)
        return VG_OK;
    unsigned char kb[16];
    DBT k = {0}, v = {0};
    DBC *cur;

    if ((rc = store_rc(st, st->chunks->cursor(st->chunks, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    store_chunk_key(kb, id, INT64_MIN);
    k.data = kb;
    k.size = k.ulen = 16;
    k.flags = DB_DBT_USERMEM;
    v.flags = DB_DBT_REALLOC;
    rc = store_rc(st, cur->get(cur, &k, &v, DB_SET_RANGE), "chunks seek", err);
    while (rc == VG_OK && store_codec_u64(kb) == id) {
        if ((rc = store_rc(st, cur->del(cur, 0), "chunks del", err)) < 0)
            break;
        rc = store_rc(st, cur->get(cur, &k, &v, DB_NEXT), "chunks next", err);
    }
    free(v.data);
    cur->close(cur);
    if (rc == VG_ENOTFOUND)
        rc = VG_OK;
    if (rc == VG_OK && keep > 0)
        rc = store_chunks_put(st, txn, id, all, keep, a, err);
    return rc;
}

int store_series_delete(store_t *st, store_txn_t *txn, const char *project,
                        const store_matcher_t *m, size_t nm, int64_t mint, int64_t maxt,
                        vg_arena_t *a, size_t *deleted, vg_err_t *err)
{
    store_series_t *s;
    size_t n;
    int rc;

    *deleted = 0;
    if ((rc = store_series_select(st, txn, project, m, nm, a, &s, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int left = 0;

        if ((rc = store_chunks_delete(st, txn, s[i].id, mint, maxt, a, &left, err)) < 0)
            return rc;
        if (!left && (rc = store_series_forget(st, txn, project, &s[i], a, err)) < 0)
            return rc;
        (*deleted)++;
    }
    return VG_OK;
}

/* ---- metadata ---- */

int store_series_metadata(store_t *st, store_txn_t *txn, const char *project, const char *metric,
                          vg_arena_t *a, ing_meta_t **out, size_t *n, vg_err_t *err)
{
    vg_buf_t key;
    DBT k = {0}, v = {0};
    DBC *cur;
    size_t cap = 16, plen;
    u_int32_t op;
    int rc;

    vg_buf_init(&key, a);
    store_key_project(&key, project);
    plen = key.len;
    if (metric != NULL)
        vg_buf_add(&key, metric, strlen(metric));
    *n = 0;
    *out = vg_arena_alloc(a, cap * sizeof **out);
    if ((rc = store_rc(st, st->metadata->cursor(st->metadata, txn, &cur, 0), "cursor", err)) < 0)
        return rc;
    k.flags = DB_DBT_REALLOC;
    v.flags = DB_DBT_REALLOC;
    k.data = vg_xmalloc(key.len);
    memcpy(k.data, key.p, key.len);
    k.size = (u_int32_t)key.len;
    op = metric != NULL ? DB_SET : DB_SET_RANGE;
    while ((rc = store_rc(st, cur->get(cur, &k, &v, op), "metadata walk", err)) == VG_OK) {
        op = DB_NEXT;
        if (k.size < plen || memcmp(k.data, key.p, plen) != 0)
            break;
        if (*n == cap) {
            ing_meta_t *p = vg_arena_alloc(a, cap * 2 * sizeof *p);

            memcpy(p, *out, cap * sizeof *p);
            *out = p;
            cap *= 2;
        }
        const char *p = v.data, *e = p + v.size;
        size_t tl = strnlen(p, (size_t)(e - p));
        const char *u = p + tl + 1 <= e ? p + tl + 1 : e;
        size_t ul = strnlen(u, (size_t)(e - u));
        const char *h = u + ul + 1 <= e ? u + ul + 1 : e;
        size_t hl = strnlen(h, (size_t)(e - h));

        (*out)[(*n)++] = (ing_meta_t){
            vg_arena_strndup(a, (const char *)k.data + plen, k.size - plen),
            vg_arena_strndup(a, p, tl), vg_arena_strndup(a, u, ul), vg_arena_strndup(a, h, hl)};
        if (metric != NULL)
            break;
    }
    free(k.data);
    free(v.data);
    cur->close(cur);
    return rc == VG_ENOTFOUND ? VG_OK : rc;
}
