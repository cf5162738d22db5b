/* ingest/scraper/scrape.c - one scrape's body, staleness and status into one transaction (see
 * scrape.h). The staleness bookkeeping follows Prometheus's scrape cache: the series of the last
 * written scrape, compared by canonical label set; only series written without their own
 * timestamp get markers, and a failed scrape counts as an empty one.
 * SPDX-License-Identifier: MIT */
#include "scrape.h"

#include "core/mem.h"
#include "ingest/expo.h"
#include "store/inventory.h"
#include "store/series.h"

#include <stdlib.h>
#include <string.h>

/* Prometheus's report series, in the order it writes them. */
enum { SCRAPE_UP, SCRAPE_DURATION, SCRAPE_SCRAPED, SCRAPE_POST_RELABEL, SCRAPE_ADDED, SCRAPE_NSYN };

static const char *const scrape_syn_names[SCRAPE_NSYN] = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added"};

void scrape_memo_fini(scrape_memo_t *m)
{
    free(m->e);
    free(m->blob);
    memset(m, 0, sizeof *m);
}

void scrape_host_port(char *out, size_t cap, const char *ip, int port)
{
    if (strchr(ip, ':') != NULL)
        snprintf(out, cap, "[%s]:%d", ip, port);
    else
        snprintf(out, cap, "%s:%d", ip, port);
}

static int scrape_has(const ing_label_t *l, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].name, name) == 0)
            return 1;
    return 0;
}

size_t scrape_relabel(const ing_label_t *in, size_t n, const ing_label_t *tl, size_t nt,
                      vg_arena_t *a, ing_label_t **out)
{
    ing_label_t *o = vg_arena_alloc(a, (n + nt + 1) * sizeof *o);
    ing_label_t *conf = vg_arena_alloc(a, (nt + 1) * sizeof *conf);
    size_t k = 0, nc = 0;

    /* scrape.go mutateSampleLabels: a scraped label with a target label's name (and a
     * non-empty value) conflicts; the target's value wins */
    for (size_t i = 0; i < n; i++) {
        if (in[i].value[0] == '\0')
            continue; /* an empty value is no label (labels.Builder drops it) */
        if (scrape_has(tl, nt, in[i].name))
            conf[nc++] = in[i];
        else
            o[k++] = in[i];
    }
    for (size_t i = 0; i < nt; i++)
        o[k++] = tl[i];
    /* resolveConflictingExposedLabels: shortest names first (stable), each prefixed with
     * exported_ until the name is taken neither by the scraped labels, the target's, nor an
     * earlier conflict's new name */
    for (size_t i = 1; i < nc; i++) {
        ing_label_t x = conf[i];
        size_t j = i;

        while (j > 0 && strlen(conf[j - 1].name) > strlen(x.name)) {
            conf[j] = conf[j - 1];
            j--;
        }
        conf[j] = x;
    }
    for (size_t i = 0; i < nc; i++) {
        const char *name = conf[i].name;

        do
            name = vg_arena_sprintf(a, "exported_%s", name);
        while (scrape_has(in, n, name) || scrape_has(tl, nt, name) || scrape_has(conf, i, name));
        conf[i].name = name;
    }
    for (size_t i = 0; i < nc; i++)
        o[k++] = conf[i];
    ing_labels_sort(o, k);
    *out = o;
    return k;
}

/* ---- series sets ---- */

typedef struct {
    scrape_entry_t *e;
    size_t n, cap;
} scrape_set_t;

static int scrape_entry_cmp(const void *x, const void *y)
{
    const scrape_entry_t *p = x, *q = y;

    if (p->hash != q->hash)
        return p->hash < q->hash ? -1 : 1;
    if (p->len != q->len)
        return p->len < q->len ? -1 : 1;
    return memcmp(p->canon, q->canon, p->len);
}

/* Appends the entry of a name-sorted label set (canonical bytes in a). */
static void scrape_set_add(scrape_set_t *s, vg_arena_t *a, const ing_label_t *l, size_t n,
                           int track)
{
    size_t len = 0;
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    char *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(l[i].name) + strlen(l[i].value) + 2;
    p = vg_arena_alloc(a, len ? len : 1);
    len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nn = strlen(l[i].name) + 1, vn = strlen(l[i].value) + 1;

        memcpy(p + len, l[i].name, nn);
        memcpy(p + len + nn, l[i].value, vn);
        len += nn + vn;
    }
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    if (s->n == s->cap) {
        scrape_entry_t *e;

        s->cap = s->cap ? 2 * s->cap : 64;
        e = vg_arena_alloc(a, s->cap * sizeof *e);
        if (s->n)
            memcpy(e, s->e, s->n * sizeof *e);
        s->e = e;
    }
    s->e[s->n++] = (scrape_entry_t){h, p, len, track};
}

/* Sorts the set and merges duplicates (a series written twice is tracked if either was). */
static void scrape_set_finish(scrape_set_t *s)
{
    size_t k = 0;

    if (s->n > 1)
        qsort(s->e, s->n, sizeof *s->e, scrape_entry_cmp);
    for (size_t i = 0; i < s->n; i++) {
        if (k > 0 && scrape_entry_cmp(&s->e[k - 1], &s->e[i]) == 0)
            s->e[k - 1].track |= s->e[i].track;
        else
            s->e[k++] = s->e[i];
    }
    s->n = k;
}

static int scrape_memo_has(const scrape_entry_t *e, size_t n, const scrape_entry_t *x)
{
    return n > 0 && bsearch(x, e, n, sizeof *e, scrape_entry_cmp) != NULL;
}

/* Splits canonical bytes back into labels (pointing into them) in a. */
static size_t scrape_canon_labels(const scrape_entry_t *e, vg_arena_t *a, ing_label_t **out)
{
    size_t n = 0, i = 0;
    ing_label_t *l;

    for (size_t k = 0; k < e->len; k++)
        n += e->canon[k] == '\0';
    n /= 2;
    l = vg_arena_alloc(a, (n ? n : 1) * sizeof *l);
    for (const char *p = e->canon, *end = e->canon + e->len; p < end && i < n; i++) {
        l[i].name = p;
        p += strlen(p) + 1;
        l[i].value = p;
        p += strlen(p) + 1;
    }
    *out = l;
    return i;
}

/* Adds a staleness marker at t_ms for every tracked memo series missing from cur (all of them
 * when cur is NULL). */
static int scrape_add_stale(ing_batch_t *b, const scrape_memo_t *memo, const scrape_set_t *cur,
                            int64_t t_ms, size_t *count, vg_err_t *err)
{
    for (size_t i = 0; i < memo->n; i++) {
        ing_label_t *l;
        size_t n;
        int rc;

        if (!memo->e[i].track || (cur != NULL && scrape_memo_has(cur->e, cur->n, &memo->e[i])))
            continue;
        n = scrape_canon_labels(&memo->e[i], b->arena, &l);
        if ((rc = ing_batch_add_sample(b, l, n, t_ms, ing_stale_nan(), err)) < 0)
            return rc;
        (*count)++;
    }
    return VG_OK;
}

/* Replaces *memo's series with a heap copy of cur. */
static void scrape_memo_set(scrape_memo_t *memo, const scrape_set_t *cur)
{
    size_t total = 0, off = 0;

    free(memo->e);
    free(memo->blob);
    memo->e = NULL;
    memo->blob = NULL;
    memo->n = 0;
    if (cur->n == 0)
        return;
    for (size_t i = 0; i < cur->n; i++)
        total += cur->e[i].len;
    memo->blob = vg_xmalloc(total ? total : 1);
    memo->e = vg_xmalloc(cur->n * sizeof *memo->e);
    for (size_t i = 0; i < cur->n; i++) {
        memcpy(memo->blob + off, cur->e[i].canon, cur->e[i].len);
        memo->e[i] = cur->e[i];
        memo->e[i].canon = memo->blob + off;
        off += cur->e[i].len;
    }
    memo->n = cur->n;
}

/* ---- one scrape ---- */

static uint64_t scrape_hash_str(uint64_t h, const char *s)
{
    for (s = s != NULL ? s : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* a separator no string contains */
}

/* A hash of a batch's metadata, in order; never 0. */
static uint64_t scrape_meta_hash(const ing_batch_t *b)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < b->nmeta; i++) {
        h = scrape_hash_str(h, b->meta[i].metric);
        h = scrape_hash_str(h, b->meta[i].type);
        h = scrape_hash_str(h, b->meta[i].unit);
        h = scrape_hash_str(h, b->meta[i].help);
    }
    return h ? h : 1;
}

/* Builds the batch for a scrape whose parsed body is in (NULL: nothing parsed) and whose
 * failure is fail (NULL: up). A failed parse's samples only count (Prometheus reports the
 * partial counts); they are not written. Fills cur with what the memo becomes. */
static int scrape_build(const scrape_memo_t *memo, const scrape_result_t *r, const ing_batch_t *in,
                        const char *fail, vg_arena_t *a, ing_batch_t *b, scrape_set_t *cur,
                        scrape_report_t *out, vg_err_t *err)
{
    const ing_label_t tl[2] = {{"instance", r->instance}, {"job", r->job_name}};
    double syn[SCRAPE_NSYN];
    int rc;

    ing_batch_init(b, a);
    memset(cur, 0, sizeof *cur);
    out->scraped = out->post_relabel = out->series_added = out->stale = 0;
    out->up = fail == NULL;
    out->fail_reason = fail;
    if (in != NULL) {
        /* the body's metadata, as the import endpoint stores it, unless this target's last
         * scrape wrote the same: most scrapes repeat it, and each entry costs a write */
        if (fail == NULL && scrape_meta_hash(in) != memo->meta_hash) {
            b->meta = in->meta;
            b->nmeta = in->nmeta;
            b->cap_meta = in->cap_meta;
            b->meta_slots = in->meta_slots;
            b->nslots = in->nslots;
        }
        for (size_t i = 0; i < in->nsamples; i++) {
            const ing_sample_t *s = &in->samples[i];
            ing_label_t *l;
            size_t n = scrape_relabel(s->labels, s->nlabels, tl, 2, a, &l);

            if (fail == NULL && (rc = ing_batch_add_sample(b, l, n, s->t_ms, s->v, err)) < 0)
                return rc;
            /* a sample with its own timestamp gets no staleness marker (as in Prometheus);
             * one that carries exactly the scrape's start cannot be told apart */
            scrape_set_add(cur, a, l, n, s->t_ms == r->start_ms);
        }
        scrape_set_finish(cur);
        out->scraped = out->post_relabel = in->nsamples;
        for (size_t i = 0; i < cur->n; i++)
            out->series_added += !scrape_memo_has(memo->e, memo->n, &cur->e[i]);
        if (fail != NULL)
            cur->n = 0; /* a failed scrape is an empty one */
    }
    syn[SCRAPE_UP] = fail == NULL ? 1 : 0;
    syn[SCRAPE_DURATION] = r->duration_s;
    syn[SCRAPE_SCRAPED] = (double)out->scraped;
    syn[SCRAPE_POST_RELABEL] = (double)out->post_relabel;
    syn[SCRAPE_ADDED] = (double)out->series_added;
    for (int i = 0; i < SCRAPE_NSYN; i++) {
        ing_label_t l[3] = {{"__name__", scrape_syn_names[i]}, tl[0], tl[1]};

        if ((rc = ing_batch_add_sample(b, l, 3, r->start_ms, syn[i], err)) < 0)
            return rc;
        scrape_set_add(cur, a, l, 3, 1);
    }
    scrape_set_finish(cur);
    return scrape_add_stale(b, memo, cur, r->start_ms, &out->stale, err);
}

typedef struct {
    const scrape_result_t *r; /* NULL: no status (a forgotten target) */
    const char *project;
    const ing_batch_t *b;
    const char *fail;
    int status_written;
} scrape_txn_t;

static int scrape_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    scrape_txn_t *x = arg;
    int rc;

    x->status_written = 0;
    if ((rc = store_series_append(st, txn, x->project, x->b, err)) < 0 || x->r == NULL)
        return rc;
    rc = inv_target_status_put(st, txn, x->project, x->r->job_id, x->r->target_id,
                               x->fail != NULL ? 1 : 0, x->fail, x->r->start_ms, err);
    if (rc == VG_ENOTFOUND)
        return VG_OK; /* deleted meanwhile: it stays deleted, its last samples still count */
    x->status_written = rc == VG_OK;
    return rc;
}

int scrape_commit(store_t *st, scrape_memo_t *memo, const scrape_result_t *r, vg_arena_t *a,
                  scrape_report_t *out, vg_err_t *err)
{
    scrape_txn_t x = {.r = r, .project = r->project};
    ing_batch_t parsed, b;
    scrape_set_t cur = {0};
    const ing_batch_t *in = NULL;
    const char *fail = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (r->instance == NULL) {
        /* no address to scrape: as if the target left service discovery */
        fail = vg_arena_sprintf(a, "host %s is not registered", r->host_id);
        ing_batch_init(&b, a);
        out->fail_reason = fail;
        if ((rc = scrape_add_stale(&b, memo, NULL, r->start_ms, &out->stale, err)) < 0)
            return rc;
    } else {
        if (r->error != NULL) {
            fail = vg_arena_strdup(a, r->error);
        } else {
            vg_err_t perr = {0};
            int om = ing_expo_format_from_content_type(r->content_type);

            /* textparse.New: OpenMetrics by its media type, anything else is text 0.0.4 */
            ing_batch_init(&parsed, a);
            if (ing_expo_parse(&parsed, r->body, r->len, om > 0, r->start_ms, &perr) != VG_OK)
                fail = vg_arena_strdup(a, perr.msg);
            in = &parsed;
        }
        if ((rc = scrape_build(memo, r, in, fail, a, &b, &cur, out, err)) < 0)
            return rc;
    }
    x.b = &b;
    x.fail = fail;
    rc = store_txn_run_write(st, scrape_txn, &x, err);
    if (rc == VG_EINVAL && fail == NULL && r->instance != NULL) {
        /* the store refused a sample (a label set past its key limit): a failed scrape */
        fail = vg_arena_strdup(a, err->msg);
        if ((rc = scrape_build(memo, r, in, fail, a, &b, &cur, out, err)) < 0)
            return rc;
        x.fail = fail;
        rc = store_txn_run_write(st, scrape_txn, &x, err);
    }
    if (rc < 0)
        return rc;
    out->status_written = x.status_written;
    scrape_memo_set(memo, &cur);
    if (fail == NULL && in != NULL)
        memo->meta_hash = scrape_meta_hash(in);
    return VG_OK;
}

int scrape_forget(store_t *st, scrape_memo_t *memo, const char *project, int64_t now_ms,
                  vg_arena_t *a, size_t *stale, vg_err_t *err)
{
    scrape_txn_t x = {.project = project};
    ing_batch_t b;
    int rc;

    *stale = 0;
    ing_batch_init(&b, a);
    if ((rc = scrape_add_stale(&b, memo, NULL, now_ms, stale, err)) < 0)
        return rc;
    if (b.nsamples > 0) {
        x.b = &b;
        if ((rc = store_txn_run_write(st, scrape_txn, &x, err)) < 0)
            return rc;
    }
    scrape_memo_fini(memo);
    return VG_OK;
}
