/* query/promql/eval.c - the evaluator. A prepass works out, for every selector, the time range
 * any step can read and loads those series once; then the tree is evaluated step by step (one
 * step for an instant query), each step's intermediate values in a scratch arena, and a range
 * query's steps are gathered into series by label set.
 * SPDX-License-Identifier: MIT */
#include "eval.h"

#include "core/buf.h"
#include "core/num.h"
#include "fetch.h"
#include "format.h"
#include "kernels.h"
#include "lexer.h"
#include "selector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the evaluator's state ---- */

typedef struct {
    const pql_node_t *node; /* a PQL_NODE_VECTOR */
    int64_t mint, maxt;     /* what any step may read */
    pql_series_t *s;
    size_t n;
} pql_sel_t;

typedef struct {
    const pql_eval_opts_t *o;
    pql_reader_t r;
    vg_arena_t *cur; /* where values of the step being evaluated go */
    pql_sel_t *sels;
    size_t nsels, cap_sels;
    store_sample_t *win; /* scratch for range windows */
    size_t cap_win;
    struct pql_subcache *subs; /* range queries: each subquery's inner values by time */
    vg_err_t *err;
} pql_ev_t;

static int pql_ev_fail(pql_ev_t *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int pql_ev_fail(pql_ev_t *ev, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    char *msg = vg_arena_vsprintf(ev->cur, fmt, ap);
    va_end(ap);
    return vg_fail(ev->err, VG_EINVAL, "%s", msg);
}

/* ---- label sets ---- */

static const char pql_name_label[] = "__name__";

static const char *pql_lget(const pql_lset_t *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->l[i].name, name) == 0)
            return m->l[i].value;
    return "";
}

static int pql_in(const char *name, const char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* m without the labels in names (and without __name__ when drop_name). */
static pql_lset_t pql_ldel(vg_arena_t *a, const pql_lset_t *m, const char **names, size_t n,
                           int drop_name)
{
    ing_label_t *l = vg_arena_alloc(a, (m->n ? m->n : 1) * sizeof *l);
    size_t k = 0;

    for (size_t i = 0; i < m->n; i++) {
        if (drop_name && strcmp(m->l[i].name, pql_name_label) == 0)
            continue;
        if (pql_in(m->l[i].name, names, n))
            continue;
        l[k++] = m->l[i];
    }
    return (pql_lset_t){l, k};
}

/* m with only the labels in names. */
static pql_lset_t pql_lkeep(vg_arena_t *a, const pql_lset_t *m, const char **names, size_t n)
{
    ing_label_t *l = vg_arena_alloc(a, (m->n ? m->n : 1) * sizeof *l);
    size_t k = 0;

    for (size_t i = 0; i < m->n; i++)
        if (pql_in(m->l[i].name, names, n))
            l[k++] = m->l[i];
    return (pql_lset_t){l, k};
}

static pql_lset_t pql_drop_name(vg_arena_t *a, const pql_lset_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->l[i].name, pql_name_label) == 0)
            return pql_ldel(a, m, NULL, 0, 1);
    return *m;
}

/* m with name set to value, or removed when value is empty. */
static pql_lset_t pql_lset(vg_arena_t *a, const pql_lset_t *m, const char *name, const char *value)
{
    ing_label_t *l = vg_arena_alloc(a, (m->n + 1) * sizeof *l);
    size_t k = 0, i = 0;

    while (i < m->n && strcmp(m->l[i].name, name) < 0)
        l[k++] = m->l[i++];
    if (i < m->n && strcmp(m->l[i].name, name) == 0)
        i++;
    if (*value != '\0')
        l[k++] = (ing_label_t){name, value};
    while (i < m->n)
        l[k++] = m->l[i++];
    return (pql_lset_t){l, k};
}

static int pql_lcmp(const pql_lset_t *a, const pql_lset_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int c;

    for (size_t i = 0; i < n; i++) {
        if ((c = strcmp(a->l[i].name, b->l[i].name)) != 0)
            return c;
        if ((c = strcmp(a->l[i].value, b->l[i].value)) != 0)
            return c;
    }
    return a->n < b->n ? -1 : a->n > b->n;
}

/* Prometheus's Labels.String(): {a="b", c="d"}. */
static const char *pql_lstr(vg_arena_t *a, const pql_lset_t *m)
{
    vg_buf_t b;
    char q[1024];

    vg_buf_init(&b, a);
    vg_buf_addc(&b, '{');
    for (size_t i = 0; i < m->n; i++) {
        pql_quote(q, sizeof q, m->l[i].value, strlen(m->l[i].value));
        vg_buf_printf(&b, "%s%s=%s", i ? ", " : "", m->l[i].name, q);
    }
    vg_buf_addc(&b, '}');
    return b.p;
}

/* Which labels a signature covers. */
enum { PQL_SIG_ON, PQL_SIG_IGNORING, PQL_SIG_ALL };

/* A byte string identifying a label set's values: of names (PQL_SIG_ON), of all labels but
 * names and __name__ (PQL_SIG_IGNORING), or of every label (PQL_SIG_ALL). Vector matching,
 * grouping and series identity compare these. */
static const char *pql_sig(vg_arena_t *a, const pql_lset_t *m, int mode, const char **names,
                           size_t n, size_t *len)
{
    vg_buf_t b;

    vg_buf_init(&b, a);
    vg_buf_reserve(&b, 1);
    for (size_t i = 0; i < m->n; i++) {
        if (mode == PQL_SIG_ON && !pql_in(m->l[i].name, names, n))
            continue;
        if (mode == PQL_SIG_IGNORING &&
            (pql_in(m->l[i].name, names, n) || strcmp(m->l[i].name, pql_name_label) == 0))
            continue;
        vg_buf_adds(&b, m->l[i].name);
        vg_buf_addc(&b, '\xff');
        vg_buf_adds(&b, m->l[i].value);
        vg_buf_addc(&b, '\xff');
    }
    *len = b.len;
    return b.p;
}

/* FNV-1a over a label set's names and values, with separators. */
static uint64_t pql_lhash(const pql_lset_t *m)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < m->n; i++) {
        for (const char *p = m->l[i].name; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
        for (const char *p = m->l[i].value; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xfe) * 1099511628211ull;
    }
    return h;
}

/* ---- a string-keyed table (open addressing, in an arena) ---- */

typedef struct {
    const char *k;
    size_t len;
    uint64_t h;
    size_t v;
} pql_slot_t;

typedef struct {
    vg_arena_t *a;
    pql_slot_t *s;
    size_t n, cap;
} pql_map_t;

static uint64_t pql_hash(const char *k, size_t len)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

static void pql_map_init(pql_map_t *m, vg_arena_t *a, size_t hint)
{
    m->a = a;
    m->n = 0;
    m->cap = 16;
    while (m->cap < hint * 2)
        m->cap *= 2;
    m->s = vg_arena_calloc(a, m->cap * sizeof *m->s);
}

/* The slot of key k: found (->k set) or where it goes (->k NULL). */
static pql_slot_t *pql_map_slot(pql_map_t *m, const char *k, size_t len, uint64_t h)
{
    size_t i = h & (m->cap - 1);

    while (m->s[i].k != NULL &&
           !(m->s[i].h == h && m->s[i].len == len && memcmp(m->s[i].k, k, len) == 0))
        i = (i + 1) & (m->cap - 1);
    return &m->s[i];
}

/* Returns 1 and *v when k is present; else inserts k with value v and returns 0. */
static int pql_map_put(pql_map_t *m, const char *k, size_t len, size_t *v)
{
    uint64_t h = pql_hash(k, len);
    pql_slot_t *s = pql_map_slot(m, k, len, h);

    if (s->k != NULL) {
        *v = s->v;
        return 1;
    }
    if ((m->n + 1) * 2 > m->cap) {
        pql_slot_t *old = m->s;
        size_t oldcap = m->cap;

        m->cap *= 2;
        m->s = vg_arena_calloc(m->a, m->cap * sizeof *m->s);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].k != NULL)
                *pql_map_slot(m, old[i].k, old[i].len, old[i].h) = old[i];
        s = pql_map_slot(m, k, len, h);
    }
    *s = (pql_slot_t){k, len, h, *v};
    m->n++;
    return 0;
}

static int pql_map_get(pql_map_t *m, const char *k, size_t len, size_t *v)
{
    pql_slot_t *s = pql_map_slot(m, k, len, pql_hash(k, len));

    if (s->k == NULL)
        return 0;
    *v = s->v;
    return 1;
}

/* ---- selectors: the prepass and their values at a step ---- */

static int64_t pql_at_time(const pql_ev_t *ev, const pql_at_t *at, int64_t ts)
{
    switch (at->kind) {
    case PQL_AT_TIME:
        return at->ms;
    case PQL_AT_START:
        return ev->o->start;
    case PQL_AT_END:
        return ev->o->end;
    default:
        return ts;
    }
}

/* Widens the range selector node v may read to [mint, maxt]. */
static void pql_sel_need(pql_ev_t *ev, const pql_node_t *v, int64_t mint, int64_t maxt)
{
    for (size_t i = 0; i < ev->nsels; i++) {
        if (ev->sels[i].node == v) {
            if (mint < ev->sels[i].mint)
                ev->sels[i].mint = mint;
            if (maxt > ev->sels[i].maxt)
                ev->sels[i].maxt = maxt;
            return;
        }
    }
    if (ev->nsels == ev->cap_sels) {
        pql_sel_t *grown;

        ev->cap_sels = ev->cap_sels ? ev->cap_sels * 2 : 8;
        grown = vg_arena_alloc(ev->o->a, ev->cap_sels * sizeof *grown);
        if (ev->nsels)
            memcpy(grown, ev->sels, ev->nsels * sizeof *grown);
        ev->sels = grown;
    }
    ev->sels[ev->nsels++] = (pql_sel_t){v, mint, maxt, NULL, 0};
}

static void pql_sub_need(pql_ev_t *ev, const pql_node_t *n, int64_t tlo, int64_t thi);

/* Records what every selector under n reads when n is evaluated at times [lo, hi]. */
static void pql_bounds(pql_ev_t *ev, const pql_node_t *n, int64_t lo, int64_t hi)
{
    switch (n->kind) {
    case PQL_NODE_VECTOR: {
        int64_t a = pql_at_time(ev, &n->vector.at, lo) - n->vector.offset_ms;
        int64_t b = pql_at_time(ev, &n->vector.at, hi) - n->vector.offset_ms;

        pql_sel_need(ev, n, a - ev->o->lookback_ms, b);
        break;
    }
    case PQL_NODE_MATRIX: {
        const pql_node_t *v = n->matrix.vector;
        int64_t a = pql_at_time(ev, &v->vector.at, lo) - v->vector.offset_ms;
        int64_t b = pql_at_time(ev, &v->vector.at, hi) - v->vector.offset_ms;

        pql_sel_need(ev, v, a - n->matrix.range_ms, b);
        break;
    }
    case PQL_NODE_SUBQUERY: {
        int64_t a = pql_at_time(ev, &n->subquery.at, lo) - n->subquery.offset_ms;
        int64_t b = pql_at_time(ev, &n->subquery.at, hi) - n->subquery.offset_ms;

        pql_sub_need(ev, n, a, b);
        pql_bounds(ev, n->subquery.expr, a - n->subquery.range_ms, b);
        break;
    }
    case PQL_NODE_PAREN:
        pql_bounds(ev, n->paren.expr, lo, hi);
        break;
    case PQL_NODE_UNARY:
        pql_bounds(ev, n->unary.expr, lo, hi);
        break;
    case PQL_NODE_BINARY:
        pql_bounds(ev, n->binary.lhs, lo, hi);
        pql_bounds(ev, n->binary.rhs, lo, hi);
        break;
    case PQL_NODE_AGGREGATE:
        pql_bounds(ev, n->aggregate.expr, lo, hi);
        if (n->aggregate.param != NULL)
            pql_bounds(ev, n->aggregate.param, lo, hi);
        break;
    case PQL_NODE_CALL:
        for (size_t i = 0; i < n->call.nargs; i++)
            pql_bounds(ev, n->call.args[i], lo, hi);
        break;
    default:
        break;
    }
}

static const pql_sel_t *pql_sel_of(const pql_ev_t *ev, const pql_node_t *v)
{
    for (size_t i = 0; i < ev->nsels; i++)
        if (ev->sels[i].node == v)
            return &ev->sels[i];
    return NULL;
}

static pql_value_t pql_vec(pql_sample_t *s, size_t n)
{
    return (pql_value_t){.type = PQL_VAL_VECTOR, .vec = s, .n = n};
}

static pql_value_t pql_scalar(int64_t ts, double v)
{
    return (pql_value_t){.type = PQL_VAL_SCALAR, .t = ts, .v = v};
}

/* An instant vector selector at ts: each series's value at (ts or @) - offset, with the
 * sample's own time in t (timestamp() reads it). */
static int pql_eval_vector(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    const pql_sel_t *sel = pql_sel_of(ev, n);
    int64_t t = pql_at_time(ev, &n->vector.at, ts) - n->vector.offset_ms;
    pql_sample_t *v = vg_arena_alloc(ev->cur, (sel->n ? sel->n : 1) * sizeof *v);
    size_t k = 0;

    for (size_t i = 0; i < sel->n; i++) {
        double x;
        int64_t pt;

        if (pql_value_at(&sel->s[i], t, ev->o->lookback_ms, &x, &pt))
            v[k++] = (pql_sample_t){sel->s[i].m, pt, x};
    }
    *out = pql_vec(v, k);
    return VG_OK;
}

/* A range vector selector at ts: each series's points in [t - range, t], stale markers
 * dropped, series without points left out. */
static int pql_eval_matrix(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    const pql_node_t *vn = n->matrix.vector;
    const pql_sel_t *sel = pql_sel_of(ev, vn);
    int64_t t = pql_at_time(ev, &vn->vector.at, ts) - vn->vector.offset_ms;
    pql_series_t *m = vg_arena_alloc(ev->cur, (sel->n ? sel->n : 1) * sizeof *m);
    size_t k = 0;

    for (size_t i = 0; i < sel->n; i++) {
        const pql_series_t *s = &sel->s[i];
        size_t lo = pql_lower_bound(s, t - n->matrix.range_ms), hi = lo, np;

        while (hi < s->n && s->p[hi].t <= t)
            hi++;
        if (hi == lo)
            continue;
        store_sample_t *p = vg_arena_alloc(ev->cur, (hi - lo) * sizeof *p);

        np = pql_window(s, t - n->matrix.range_ms, t, p);
        if (np > 0)
            m[k++] = (pql_series_t){s->m, p, np};
    }
    *out = (pql_value_t){.type = PQL_VAL_MATRIX, .mat = m, .n = k};
    return VG_OK;
}

/* ---- gathering points into series by label set (subqueries, range queries) ---- */

typedef struct {
    vg_arena_t *a; /* series, points and copied label sets */
    pql_series_t *s;
    size_t *cap;    /* point capacity of each series */
    uint64_t *hash; /* each series's label-set hash */
    size_t n, ns_cap;
    size_t *slots; /* hash table of series: index + 1, 0 empty */
    size_t nslots;
} pql_acc_t;

static void pql_acc_init(pql_acc_t *acc, vg_arena_t *a)
{
    memset(acc, 0, sizeof *acc);
    acc->a = a;
    acc->nslots = 64;
    acc->slots = vg_arena_calloc(a, acc->nslots * sizeof *acc->slots);
}

/* Adds the point (t, v) to the series of label set m, creating it (labels copied) if new. */
static void pql_acc_add(pql_acc_t *acc, const pql_lset_t *m, int64_t t, double v)
{
    uint64_t h = pql_lhash(m);
    size_t j, i = 0;
    pql_series_t *s;

    for (j = h & (acc->nslots - 1); acc->slots[j] != 0; j = (j + 1) & (acc->nslots - 1)) {
        i = acc->slots[j] - 1;
        if (acc->hash[i] == h && pql_lcmp(&acc->s[i].m, m) == 0)
            break;
    }
    if (acc->slots[j] == 0) {
        ing_label_t *l = vg_arena_alloc(acc->a, (m->n ? m->n : 1) * sizeof *l);

        if (acc->n == acc->ns_cap) {
            size_t cap = acc->ns_cap ? acc->ns_cap * 2 : 16;
            pql_series_t *gs = vg_arena_alloc(acc->a, cap * sizeof *gs);
            size_t *gc = vg_arena_alloc(acc->a, cap * sizeof *gc);
            uint64_t *gh = vg_arena_alloc(acc->a, cap * sizeof *gh);

            if (acc->n) {
                memcpy(gs, acc->s, acc->n * sizeof *gs);
                memcpy(gc, acc->cap, acc->n * sizeof *gc);
                memcpy(gh, acc->hash, acc->n * sizeof *gh);
            }
            acc->s = gs;
            acc->cap = gc;
            acc->hash = gh;
            acc->ns_cap = cap;
        }
        for (size_t k = 0; k < m->n; k++)
            l[k] = (ing_label_t){vg_arena_strdup(acc->a, m->l[k].name),
                                 vg_arena_strdup(acc->a, m->l[k].value)};
        i = acc->n++;
        acc->s[i] = (pql_series_t){{l, m->n}, NULL, 0};
        acc->cap[i] = 0;
        acc->hash[i] = h;
        acc->slots[j] = i + 1;
        if (acc->n * 2 > acc->nslots) { /* grow the table, rehashing from the kept hashes */
            acc->nslots *= 2;
            acc->slots = vg_arena_calloc(acc->a, acc->nslots * sizeof *acc->slots);
            for (size_t k = 0; k < acc->n; k++) {
                size_t q = acc->hash[k] & (acc->nslots - 1);

                while (acc->slots[q] != 0)
                    q = (q + 1) & (acc->nslots - 1);
                acc->slots[q] = k + 1;
            }
        }
    }
    s = &acc->s[i];
    if (s->n == acc->cap[i]) {
        size_t cap = acc->cap[i] ? acc->cap[i] * 2 : 8;
        store_sample_t *p = vg_arena_alloc(acc->a, cap * sizeof *p);

        if (s->n)
            memcpy(p, s->p, s->n * sizeof *p);
        s->p = p;
        acc->cap[i] = cap;
    }
    s->p[s->n++] = (store_sample_t){t, v};
}

/* Adds a step's value at time t: a scalar as the series without labels, a vector sample by
 * sample. */
static void pql_acc_value(pql_acc_t *acc, const pql_value_t *v, int64_t t)
{
    if (v->type == PQL_VAL_SCALAR) {
        pql_lset_t none = {NULL, 0};

        pql_acc_add(acc, &none, t, v->v);
        return;
    }
    for (size_t i = 0; i < v->n; i++)
        pql_acc_add(acc, &v->vec[i].m, t, v->vec[i].v);
}

static int pql_eval_node(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out);

/* A subquery's inner values for the whole of a range query: the outer steps' windows
 * overlap, so the inner expression is evaluated once per inner step over every time the
 * prepass found it can be read at, and each outer step takes its window of those points. */
typedef struct pql_subcache {
    const pql_node_t *node;
    int64_t tlo, thi; /* the times (after @ and offset) the subquery is evaluated at */
    int built;
    pql_series_t *s; /* inner values, sorted by time within each series */
    size_t n;
    struct pql_subcache *next;
} pql_subcache_t;

static void pql_sub_need(pql_ev_t *ev, const pql_node_t *n, int64_t tlo, int64_t thi)
{
    pql_subcache_t *c;

    for (c = ev->subs; c != NULL && c->node != n; c = c->next)
        ;
    if (c == NULL) {
        c = vg_arena_calloc(ev->o->a, sizeof *c);
        c->node = n;
        c->tlo = tlo;
        c->thi = thi;
        c->next = ev->subs;
        ev->subs = c;
    }
    if (tlo < c->tlo)
        c->tlo = tlo;
    if (thi > c->thi)
        c->thi = thi;
}

/* The first multiple of step at or after from (Go's truncating division, as Prometheus). */
static int64_t pql_align(int64_t from, int64_t step)
{
    int64_t first = step * (from / step);

    return first < from ? first + step : first;
}

/* Evaluates the inner expression of c's subquery at every inner step of its whole range, each
 * step's intermediate values in a scratch arena, the points gathered in the query's arena. */
static int pql_sub_build(pql_ev_t *ev, pql_subcache_t *c)
{
    const pql_node_t *n = c->node;
    int64_t step = n->subquery.step_ms ? n->subquery.step_ms : PQL_DEFAULT_SUBQUERY_STEP_MS;
    vg_arena_t tmp, *saved = ev->cur;
    pql_acc_t acc;
    int rc = VG_OK;

    vg_arena_init(&tmp, 0);
    pql_acc_init(&acc, ev->o->a);
    ev->cur = &tmp;
    for (int64_t st = pql_align(c->tlo - n->subquery.range_ms, step); st <= c->thi; st += step) {
        pql_value_t v;

        if ((rc = pql_eval_node(ev, n->subquery.expr, st, &v)) < 0)
            break;
        pql_acc_value(&acc, &v, st);
        vg_arena_reset(&tmp);
        if ((rc = pql_check_deadline(&ev->r, "subquery evaluation", ev->err)) < 0)
            break;
    }
    ev->cur = saved;
    vg_arena_fini(&tmp);
    if (rc < 0)
        return rc;
    c->s = acc.s;
    c->n = acc.n;
    c->built = 1;
    return VG_OK;
}

/* expr[range:step] at ts: expr at every multiple of step in [t - range, t], t = (ts or @) -
 * offset, gathered into series. */
static int pql_eval_subquery(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    int64_t step = n->subquery.step_ms ? n->subquery.step_ms : PQL_DEFAULT_SUBQUERY_STEP_MS;
    int64_t t = pql_at_time(ev, &n->subquery.at, ts) - n->subquery.offset_ms;
    int64_t from = t - n->subquery.range_ms;
    pql_subcache_t *c;
    pql_acc_t acc;
    int rc;

    for (c = ev->subs; c != NULL && c->node != n; c = c->next)
        ;
    if (c != NULL && ev->cur != ev->o->a) { /* a range query: the window of the whole */
        if (!c->built && (rc = pql_sub_build(ev, c)) < 0)
            return rc;
        pql_series_t *m = vg_arena_alloc(ev->cur, (c->n ? c->n : 1) * sizeof *m);
        size_t k = 0;

        for (size_t i = 0; i < c->n; i++) {
            const pql_series_t *s = &c->s[i];
            size_t lo = pql_lower_bound(s, from), hi = lo;

            while (hi < s->n && s->p[hi].t <= t)
                hi++;
            if (hi > lo)
                m[k++] = (pql_series_t){s->m, s->p + lo, hi - lo};
        }
        *out = (pql_value_t){.type = PQL_VAL_MATRIX, .mat = m, .n = k};
        return VG_OK;
    }
    pql_acc_init(&acc, ev->cur);
    for (int64_t st = pql_align(from, step); st <= t; st += step) {
        pql_value_t v;

        if ((rc = pql_eval_node(ev, n->subquery.expr, st, &v)) < 0)
            return rc;
        pql_acc_value(&acc, &v, st);
        if ((rc = pql_check_deadline(&ev->r, "subquery evaluation", ev->err)) < 0)
            return rc;
    }
    *out = (pql_value_t){.type = PQL_VAL_MATRIX, .mat = acc.s, .n = acc.n};
    return VG_OK;
}

/* ---- binary operators ---- */

/* The value of lhs op rhs, and whether a comparison keeps it. */
static double pql_binop(pql_binop_t op, double l, double r, int *keep)
{
    *keep = 1;
    switch (op) {
    case PQL_OP_ADD:
        return l + r;
    case PQL_OP_SUB:
        return l - r;
    case PQL_OP_MUL:
        return l * r;
    case PQL_OP_DIV:
        return l / r;
    case PQL_OP_POW:
        return pow(l, r);
    case PQL_OP_MOD:
        return fmod(l, r);
    case PQL_OP_ATAN2:
        return atan2(l, r);
    case PQL_OP_EQLC:
        *keep = l == r;
        return l;
    case PQL_OP_NEQ:
        *keep = l != r;
        return l;
    case PQL_OP_GTR:
        *keep = l > r;
        return l;
    case PQL_OP_LSS:
        *keep = l < r;
        return l;
    case PQL_OP_GTE:
        *keep = l >= r;
        return l;
    case PQL_OP_LTE:
        *keep = l <= r;
        return l;
    default:
        *keep = 0;
        return NAN;
    }
}

/* Arithmetic drops the metric name; comparisons (filters) and atan2 keep it. */
static int pql_drops_name(pql_binop_t op)
{
    return op == PQL_OP_ADD || op == PQL_OP_SUB || op == PQL_OP_MUL || op == PQL_OP_DIV ||
           op == PQL_OP_POW || op == PQL_OP_MOD; /* not atan2, as in Prometheus */
}

static int pql_vector_scalar(pql_ev_t *ev, const pql_node_t *n, const pql_value_t *vec, double s,
                             int swap, pql_value_t *out)
{
    pql_sample_t *o = vg_arena_alloc(ev->cur, (vec->n ? vec->n : 1) * sizeof *o);
    size_t k = 0;

    for (size_t i = 0; i < vec->n; i++) {
        double l = vec->vec[i].v, r = s, v;
        int keep;

        if (swap)
            l = s, r = vec->vec[i].v;
        v = pql_binop(n->binary.op, l, r, &keep);
        /* a comparison keeps the vector's value, whichever side it is on */
        if (pql_binop_is_comparison(n->binary.op) && swap)
            v = r;
        if (n->binary.return_bool) {
            v = keep ? 1 : 0;
            keep = 1;
        }
        if (!keep)
            continue;
        o[k] = vec->vec[i];
        o[k].v = v;
        if (pql_drops_name(n->binary.op) || n->binary.return_bool)
            o[k].m = pql_drop_name(ev->cur, &o[k].m);
        k++;
    }
    *out = pql_vec(o, k);
    return VG_OK;
}

static const char *pql_match_sig(pql_ev_t *ev, const pql_matching_t *mt, const pql_lset_t *m,
                                 size_t *len)
{
    return pql_sig(ev->cur, m, mt->on ? PQL_SIG_ON : PQL_SIG_IGNORING, mt->labels, mt->nlabels,
                   len);
}

/* and, or, unless */
static int pql_set_op(pql_ev_t *ev, const pql_node_t *n, const pql_value_t *l, const pql_value_t *r,
                      pql_value_t *out)
{
    const pql_matching_t *mt = n->binary.matching;
    pql_sample_t *o = vg_arena_alloc(ev->cur, (l->n + r->n + 1) * sizeof *o);
    pql_map_t sigs;
    size_t k = 0, len, one = 1;
    const char *sig;

    pql_map_init(&sigs, ev->cur, l->n + r->n);
    if (n->binary.op == PQL_OP_OR) {
        for (size_t i = 0; i < l->n; i++) {
            sig = pql_match_sig(ev, mt, &l->vec[i].m, &len);
            pql_map_put(&sigs, sig, len, &one);
            o[k++] = l->vec[i];
        }
        for (size_t i = 0; i < r->n; i++) {
            size_t v;

            sig = pql_match_sig(ev, mt, &r->vec[i].m, &len);
            if (!pql_map_get(&sigs, sig, len, &v))
                o[k++] = r->vec[i];
        }
    } else {
        for (size_t i = 0; i < r->n; i++) {
            sig = pql_match_sig(ev, mt, &r->vec[i].m, &len);
            pql_map_put(&sigs, sig, len, &one);
        }
        for (size_t i = 0; i < l->n; i++) {
            size_t v;
            int found;

            sig = pql_match_sig(ev, mt, &l->vec[i].m, &len);
            found = pql_map_get(&sigs, sig, len, &v);
            if (found == (n->binary.op == PQL_OP_AND))
                o[k++] = l->vec[i];
        }
    }
    *out = pql_vec(o, k);
    return VG_OK;
}

/* The label set of a matched pair (Prometheus's resultMetric). */
static pql_lset_t pql_result_metric(pql_ev_t *ev, const pql_node_t *n, const pql_lset_t *l,
                                    const pql_lset_t *r)
{
    const pql_matching_t *mt = n->binary.matching;
    pql_lset_t m = *l;

    if (pql_drops_name(n->binary.op))
        m = pql_drop_name(ev->cur, &m);
    if (mt->card == PQL_CARD_ONE_TO_ONE) {
        if (mt->on)
            m = pql_lkeep(ev->cur, &m, mt->labels, mt->nlabels);
        else
            m = pql_ldel(ev->cur, &m, mt->labels, mt->nlabels, 0);
    }
    for (size_t i = 0; i < mt->ninclude; i++)
        m = pql_lset(ev->cur, &m, mt->include[i], pql_lget(r, mt->include[i]));
    return m;
}

static int pql_vector_vector(pql_ev_t *ev, const pql_node_t *n, const pql_value_t *lv,
                             const pql_value_t *rv, pql_value_t *out)
{
    const pql_matching_t *mt = n->binary.matching;
    const pql_value_t *lhs = lv, *rhs = rv;
    pql_sample_t *o;
    pql_map_t right, matched, inserted;
    size_t k = 0;

    if (mt->card == PQL_CARD_ONE_TO_MANY) { /* the "one" side goes right */
        lhs = rv;
        rhs = lv;
    }
    pql_map_init(&right, ev->cur, rhs->n);
    pql_map_init(&matched, ev->cur, lhs->n);
    pql_map_init(&inserted, ev->cur, lhs->n);
    for (size_t i = 0; i < rhs->n; i++) {
        size_t len, j = i;
        const char *sig = pql_match_sig(ev, mt, &rhs->vec[i].m, &len);

        if (pql_map_put(&right, sig, len, &j)) {
            const pql_lset_t *a = &rhs->vec[i].m, *b = &rhs->vec[j].m;
            pql_lset_t ml = mt->on ? pql_lkeep(ev->cur, a, mt->labels, mt->nlabels)
                                   : pql_ldel(ev->cur, a, mt->labels, mt->nlabels, 1);

            return pql_ev_fail(ev,
                               "found duplicate series for the match group %s on the %s "
                               "hand-side of the operation: [%s, %s];many-to-many matching not "
                               "allowed: matching labels must be unique on one side",
                               pql_lstr(ev->cur, &ml),
                               mt->card == PQL_CARD_ONE_TO_MANY ? "left" : "right",
                               pql_lstr(ev->cur, a), pql_lstr(ev->cur, b));
        }
    }
    o = vg_arena_alloc(ev->cur, (lhs->n ? lhs->n : 1) * sizeof *o);
    for (size_t i = 0; i < lhs->n; i++) {
        size_t len, j, none = 0;
        const char *sig = pql_match_sig(ev, mt, &lhs->vec[i].m, &len);
        double vl, vr, v;
        int keep;

        if (!pql_map_get(&right, sig, len, &j))
            continue;
        vl = lhs->vec[i].v;
        vr = rhs->vec[j].v;
        if (mt->card == PQL_CARD_ONE_TO_MANY) {
            double t = vl;

            vl = vr;
            vr = t;
        }
        v = pql_binop(n->binary.op, vl, vr, &keep);
        if (n->binary.return_bool)
            v = keep ? 1 : 0;
        else if (!keep)
            continue;
        pql_lset_t m = pql_result_metric(ev, n, &lhs->vec[i].m, &rhs->vec[j].m);

        if (n->binary.return_bool)
            m = pql_drop_name(ev->cur, &m);
        if (mt->card == PQL_CARD_ONE_TO_ONE) {
            if (pql_map_put(&matched, sig, len, &none))
                return pql_ev_fail(ev, "multiple matches for labels: many-to-one matching must "
                                       "be explicit (group_left/group_right)");
        } else {
            /* the result's labels must tell the matches of one group apart */
            size_t klen, glen;
            const char *key = pql_sig(ev->cur, &m, PQL_SIG_ALL, NULL, 0, &klen);
            char *both = vg_arena_alloc(ev->cur, len + klen + 1);

            memcpy(both, sig, len);
            both[len] = '\x01';
            memcpy(both + len + 1, key, klen);
            glen = len + 1 + klen;
            if (pql_map_put(&inserted, both, glen, &none))
                return pql_ev_fail(ev, "multiple matches for labels: grouping labels must "
                                       "ensure unique matches");
        }
        o[k++] = (pql_sample_t){m, 0, v};
    }
    *out = pql_vec(o, k);
    return VG_OK;
}

/* Fails when two samples of v have the same label set (Prometheus's check after every
 * function, operator and aggregation step). Label sets are told apart by a hash, and compared
 * in full only when hashes meet. */
static int pql_check_unique(pql_ev_t *ev, const pql_value_t *v)
{
    uint64_t *h;
    size_t cap = 16, *slot;

    if (v->type != PQL_VAL_VECTOR || v->n < 2)
        return VG_OK;
    while (cap < v->n * 2)
        cap *= 2;
    h = vg_arena_alloc(ev->cur, v->n * sizeof *h);
    slot = vg_arena_alloc(ev->cur, cap * sizeof *slot); /* index + 1; 0 is empty */
    memset(slot, 0, cap * sizeof *slot);
    for (size_t i = 0; i < v->n; i++) {
        size_t j;

        h[i] = pql_lhash(&v->vec[i].m);
        for (j = h[i] & (cap - 1); slot[j] != 0; j = (j + 1) & (cap - 1)) {
            size_t o = slot[j] - 1;

            if (h[o] == h[i] && pql_lcmp(&v->vec[o].m, &v->vec[i].m) == 0)
                return pql_ev_fail(ev, "vector cannot contain metrics with the same labelset");
        }
        slot[j] = i + 1;
    }
    return VG_OK;
}

static int pql_eval_binary(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    pql_value_t l, r;
    int rc;

    if ((rc = pql_eval_node(ev, n->binary.lhs, ts, &l)) < 0 ||
        (rc = pql_eval_node(ev, n->binary.rhs, ts, &r)) < 0)
        return rc;
    if (l.type == PQL_VAL_SCALAR && r.type == PQL_VAL_SCALAR) {
        int keep;
        double v = pql_binop(n->binary.op, l.v, r.v, &keep);

        if (pql_binop_is_comparison(n->binary.op)) /* scalars compare only with bool */
            v = keep ? 1 : 0;
        *out = pql_scalar(ts, v);
        return VG_OK;
    }
    if (l.type == PQL_VAL_VECTOR && r.type == PQL_VAL_SCALAR)
        rc = pql_vector_scalar(ev, n, &l, r.v, 0, out);
    else if (l.type == PQL_VAL_SCALAR && r.type == PQL_VAL_VECTOR)
        rc = pql_vector_scalar(ev, n, &r, l.v, 1, out);
    else if (pql_binop_is_set(n->binary.op))
        return pql_set_op(ev, n, &l, &r, out);
    else
        rc = pql_vector_vector(ev, n, &l, &r, out);
    if (rc < 0)
        return rc;
    return pql_check_unique(ev, out);
}

/* ---- aggregations ---- */

typedef struct {
    pql_lset_t m;
    double value, mean;
    size_t count;
    pql_sample_t *items; /* topk, bottomk, quantile: the group's samples */
    size_t nitems, cap;
} pql_group_t;

static int pql_label_name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* Orders by value, descending (topk) or ascending (bottomk), NaN last, ties in input order. */
static int pql_desc;

static int pql_item_cmp(const void *x, const void *y)
{
    const pql_sample_t *a = x, *b = y;

    if (isnan(a->v) || isnan(b->v))
        return isnan(a->v) - isnan(b->v);
    if (a->v == b->v)
        return 0;
    return (a->v < b->v) == pql_desc ? 1 : -1;
}

/* qsort is not stable: ties are broken by position, kept in t (unused by aggregations). */
static int pql_item_cmp_stable(const void *x, const void *y)
{
    int c = pql_item_cmp(x, y);

    if (c != 0)
        return c;
    return ((const pql_sample_t *)x)->t < ((const pql_sample_t *)y)->t ? -1 : 1;
}

static int pql_eval_aggregate(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    pql_aggop_t op = n->aggregate.op;
    const char **grouping = n->aggregate.grouping;
    size_t ngrouping = n->aggregate.ngrouping;
    const char *value_label = NULL;
    pql_value_t v, p;
    pql_map_t idx;
    pql_group_t *g;
    size_t ng = 0;
    double param = 0;
    int64_t k = 0;
    int rc;

    if ((rc = pql_eval_node(ev, n->aggregate.expr, ts, &v)) < 0)
        return rc;
    if (n->aggregate.param != NULL) {
        if ((rc = pql_eval_node(ev, n->aggregate.param, ts, &p)) < 0)
            return rc;
        if (op == PQL_AGG_COUNT_VALUES)
            value_label = p.s;
        else
            param = p.v;
    }
    if (op == PQL_AGG_TOPK || op == PQL_AGG_BOTTOMK) {
        if (!(param >= -9.223372036854775e18 && param <= 9.223372036854775e18)) {
            char num[VG_FTOA_MAX];

            vg_ftoa_go(param, num);
            return pql_ev_fail(ev, "Scalar value %s overflows int64", num);
        }
        k = (int64_t)param;
        if (k < 1) {
            *out = pql_vec(NULL, 0);
            return VG_OK;
        }
    }
    if (op == PQL_AGG_COUNT_VALUES) {
        char q[512];

        if (!pql_label_name_ok(value_label)) {
            pql_quote(q, sizeof q, value_label, strlen(value_label));
            return pql_ev_fail(ev, "invalid label name %s", q);
        }
        if (!n->aggregate.without) { /* the value label joins the grouping */
            const char **gl = vg_arena_alloc(ev->cur, (ngrouping + 1) * sizeof *gl);

            if (ngrouping)
                memcpy(gl, grouping, ngrouping * sizeof *gl);
            gl[ngrouping++] = value_label;
            grouping = gl;
        }
    }
    g = vg_arena_alloc(ev->cur, (v.n ? v.n : 1) * sizeof *g);
    pql_map_init(&idx, ev->cur, v.n);
    for (size_t i = 0; i < v.n; i++) {
        pql_lset_t m = v.vec[i].m;
        double x = v.vec[i].v;
        size_t len, gi = ng;
        const char *key;

        if (op == PQL_AGG_COUNT_VALUES) {
            char num[VG_FTOA_MAX];

            vg_ftoa_go(x, num);
            m = pql_lset(ev->cur, &m, value_label, vg_arena_strdup(ev->cur, num));
        }
        key = n->aggregate.without
                  ? pql_sig(ev->cur, &m, PQL_SIG_IGNORING, grouping, ngrouping, &len)
                  : pql_sig(ev->cur, &m, PQL_SIG_ON, grouping, ngrouping, &len);
        if (!pql_map_put(&idx, key, len, &gi)) {
            pql_group_t *ng_ = &g[ng++];

            memset(ng_, 0, sizeof *ng_);
            if (n->aggregate.without)
                ng_->m = pql_ldel(ev->cur, &m, grouping, ngrouping, 1);
            else
                ng_->m = pql_lkeep(ev->cur, &m, grouping, ngrouping);
            ng_->value = x;
            ng_->mean = x;
            ng_->count = 1;
            if (op == PQL_AGG_STDDEV || op == PQL_AGG_STDVAR)
                ng_->value = 0;
            else if (op == PQL_AGG_GROUP)
                ng_->value = 1;
            if (op == PQL_AGG_TOPK || op == PQL_AGG_BOTTOMK || op == PQL_AGG_QUANTILE) {
                ng_->cap = 4;
                ng_->items = vg_arena_alloc(ev->cur, ng_->cap * sizeof *ng_->items);
                ng_->items[ng_->nitems++] = (pql_sample_t){v.vec[i].m, (int64_t)i, x};
            }
            continue;
        }
        pql_group_t *grp = &g[gi];

        switch (op) {
        case PQL_AGG_SUM:
            grp->value += x;
            break;
        case PQL_AGG_AVG:
            grp->count++;
            if (isinf(grp->mean)) {
                /* an infinite mean stays unless a NaN or the opposite infinity comes */
                if (isinf(x) && (grp->mean > 0) == (x > 0))
                    break;
                if (!isinf(x) && !isnan(x))
                    break;
            }
            grp->mean += x / (double)grp->count - grp->mean / (double)grp->count;
            break;
        case PQL_AGG_MAX:
            if (grp->value < x || isnan(grp->value))
                grp->value = x;
            break;
        case PQL_AGG_MIN:
            if (grp->value > x || isnan(grp->value))
                grp->value = x;
            break;
        case PQL_AGG_COUNT:
        case PQL_AGG_COUNT_VALUES:
            grp->count++;
            break;
        case PQL_AGG_STDDEV:
        case PQL_AGG_STDVAR: {
            double delta;

            grp->count++;
            delta = x - grp->mean;
            grp->mean += delta / (double)grp->count;
            grp->value += delta * (x - grp->mean);
            break;
        }
        case PQL_AGG_TOPK:
        case PQL_AGG_BOTTOMK:
        case PQL_AGG_QUANTILE:
            if (grp->nitems == grp->cap) {
                pql_sample_t *grown = vg_arena_alloc(ev->cur, grp->cap * 2 * sizeof *grown);

                memcpy(grown, grp->items, grp->nitems * sizeof *grown);
                grp->items = grown;
                grp->cap *= 2;
            }
            grp->items[grp->nitems++] = (pql_sample_t){v.vec[i].m, (int64_t)i, x};
            break;
        default:
            break;
        }
    }
    size_t total = 0;

    for (size_t i = 0; i < ng; i++)
        total += (op == PQL_AGG_TOPK || op == PQL_AGG_BOTTOMK) ? g[i].nitems : 1;
    pql_sample_t *o = vg_arena_alloc(ev->cur, (total ? total : 1) * sizeof *o);
    size_t no = 0;

    for (size_t i = 0; i < ng; i++) {
        pql_group_t *grp = &g[i];
        double val = grp->value;

        switch (op) {
        case PQL_AGG_AVG:
            val = grp->mean;
            break;
        case PQL_AGG_COUNT:
        case PQL_AGG_COUNT_VALUES:
            val = (double)grp->count;
            break;
        case PQL_AGG_STDVAR:
            val = grp->value / (double)grp->count;
            break;
        case PQL_AGG_STDDEV:
            val = sqrt(grp->value / (double)grp->count);
            break;
        case PQL_AGG_TOPK:
        case PQL_AGG_BOTTOMK:
            pql_desc = op == PQL_AGG_TOPK;
            qsort(grp->items, grp->nitems, sizeof *grp->items, pql_item_cmp_stable);
            for (size_t j = 0; j < grp->nitems && (int64_t)j < k; j++)
                o[no++] = (pql_sample_t){grp->items[j].m, 0, grp->items[j].v};
            continue;
        case PQL_AGG_QUANTILE: {
            double *vals = vg_arena_alloc(ev->cur, grp->nitems * sizeof *vals);

            for (size_t j = 0; j < grp->nitems; j++)
                vals[j] = grp->items[j].v;
            val = pql_quantile(param, vals, grp->nitems);
            break;
        }
        default:
            break;
        }
        o[no++] = (pql_sample_t){grp->m, 0, val};
    }
    *out = pql_vec(o, no);
    return VG_OK;
}

/* ---- functions ---- */

/* Go's math.Max and math.Min: an infinity wins, then NaN, then -0 < +0 (C's fmax and fmin
 * prefer the number to NaN). */
static double pql_go_max(double a, double b)
{
    if ((isinf(a) && a > 0) || (isinf(b) && b > 0))
        return INFINITY;
    if (isnan(a) || isnan(b))
        return NAN;
    if (a == 0 && b == 0)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static double pql_go_min(double a, double b)
{
    if ((isinf(a) && a < 0) || (isinf(b) && b < 0))
        return -INFINITY;
    if (isnan(a) || isnan(b))
        return NAN;
    if (a == 0 && b == 0)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static double pql_simple(pql_func_id_t id, double x)
{
    switch (id) {
    case PQL_FN_ABS:
        return fabs(x);
    case PQL_FN_CEIL:
        return ceil(x);
    case PQL_FN_FLOOR:
        return floor(x);
    case PQL_FN_EXP:
        return exp(x);
    case PQL_FN_SQRT:
        return sqrt(x);
    case PQL_FN_LN:
        return log(x);
    case PQL_FN_LOG2:
        return log2(x);
    case PQL_FN_LOG10:
        return log10(x);
    case PQL_FN_SIN:
        return sin(x);
    case PQL_FN_COS:
        return cos(x);
    case PQL_FN_TAN:
        return tan(x);
    case PQL_FN_ASIN:
        return asin(x);
    case PQL_FN_ACOS:
        return acos(x);
    case PQL_FN_ATAN:
        return atan(x);
    case PQL_FN_SINH:
        return sinh(x);
    case PQL_FN_COSH:
        return cosh(x);
    case PQL_FN_TANH:
        return tanh(x);
    case PQL_FN_ASINH:
        return asinh(x);
    case PQL_FN_ACOSH:
        return acosh(x);
    case PQL_FN_ATANH:
        return atanh(x);
    case PQL_FN_DEG:
        return x * 180 / M_PI;
    case PQL_FN_RAD:
        return x * M_PI / 180;
    case PQL_FN_SGN:
        return x > 0 ? 1 : x < 0 ? -1 : x;
    default:
        return NAN;
    }
}

/* The date functions of a time in seconds, UTC. */
static double pql_date(pql_func_id_t id, double secs)
{
    time_t t = (time_t)(int64_t)secs;
    struct tm tm;

    gmtime_r(&t, &tm);
    switch (id) {
    case PQL_FN_DAY_OF_MONTH:
        return tm.tm_mday;
    case PQL_FN_DAY_OF_WEEK:
        return tm.tm_wday;
    case PQL_FN_DAY_OF_YEAR:
        return tm.tm_yday + 1;
    case PQL_FN_DAYS_IN_MONTH: {
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int y = tm.tm_year + 1900;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return days[tm.tm_mon] + (tm.tm_mon == 1 && leap);
    }
    case PQL_FN_HOUR:
        return tm.tm_hour;
    case PQL_FN_MINUTE:
        return tm.tm_min;
    case PQL_FN_MONTH:
        return tm.tm_mon + 1;
    case PQL_FN_YEAR:
        return tm.tm_year + 1900;
    default:
        return NAN;
    }
}

static const pql_node_t *pql_unparen(const pql_node_t *n)
{
    while (n->kind == PQL_NODE_PAREN)
        n = n->paren.expr;
    return n;
}

/* The labels absent() and absent_over_time() give: the selector's equality matchers on labels
 * other than __name__; a label with any other matcher, or a second one, is left out. */
static pql_lset_t pql_absent_labels(pql_ev_t *ev, const pql_node_t *arg)
{
    const pql_node_t *v = pql_unparen(arg);
    pql_lset_t out = {NULL, 0};
    const char **drop;
    size_t nd = 0;

    if (v->kind == PQL_NODE_MATRIX)
        v = v->matrix.vector;
    if (v->kind != PQL_NODE_VECTOR)
        return out;
    drop = vg_arena_alloc(ev->cur, (v->vector.nmatchers + 1) * sizeof *drop);
    for (size_t i = 0; i < v->vector.nmatchers; i++) {
        const store_matcher_t *m = &v->vector.matchers[i];

        if (strcmp(m->name, pql_name_label) == 0)
            continue;
        if (m->type == STORE_M_EQ && *pql_lget(&out, m->name) == '\0')
            out = pql_lset(ev->cur, &out, m->name, m->value);
        else
            drop[nd++] = m->name;
    }
    return nd ? pql_ldel(ev->cur, &out, drop, nd, 0) : out;
}

/* String argument i of a call (string literals, parenthesised or not). */
static const char *pql_str_arg(const pql_node_t *n, size_t i)
{
    return pql_unparen(n->call.args[i])->string.value;
}

/* The window a function over a range vector argument sees at ts: [start, end], range in s. */
static void pql_range_of(const pql_ev_t *ev, const pql_node_t *arg, int64_t ts, int64_t *start,
                         int64_t *end, double *range_s)
{
    const pql_node_t *a = pql_unparen(arg);
    int64_t range, t;

    if (a->kind == PQL_NODE_SUBQUERY) {
        t = pql_at_time(ev, &a->subquery.at, ts) - a->subquery.offset_ms;
        range = a->subquery.range_ms;
    } else {
        const pql_node_t *v = a->matrix.vector;

        t = pql_at_time(ev, &v->vector.at, ts) - v->vector.offset_ms;
        range = a->matrix.range_ms;
    }
    *start = t - range;
    *end = t;
    *range_s = (double)range / 1000;
}

static int pql_arg_scalar(pql_ev_t *ev, const pql_node_t *n, size_t i, int64_t ts, double *v)
{
    pql_value_t x;
    int rc;

    if ((rc = pql_eval_node(ev, n->call.args[i], ts, &x)) < 0)
        return rc;
    *v = x.v;
    return VG_OK;
}

/* Functions of a range vector: one sample per series that gives a value, named by its labels
 * without __name__. */
static int pql_eval_range_fn(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    pql_func_id_t id = n->call.func->id;
    size_t mi = (id == PQL_FN_QUANTILE_OVER_TIME) ? 1 : 0;
    double p1 = 0, p2 = 0, range_s;
    int64_t start, end;
    pql_value_t m;
    pql_sample_t *o;
    size_t k = 0;
    int rc;

    if ((rc = pql_eval_node(ev, n->call.args[mi], ts, &m)) < 0)
        return rc;
    if (id == PQL_FN_QUANTILE_OVER_TIME && (rc = pql_arg_scalar(ev, n, 0, ts, &p1)) < 0)
        return rc;
    if (id == PQL_FN_PREDICT_LINEAR && (rc = pql_arg_scalar(ev, n, 1, ts, &p1)) < 0)
        return rc;
    if (id == PQL_FN_HOLT_WINTERS) {
        if ((rc = pql_arg_scalar(ev, n, 1, ts, &p1)) < 0 ||
            (rc = pql_arg_scalar(ev, n, 2, ts, &p2)) < 0)
            return rc;
        if (p1 <= 0 || p1 >= 1)
            return pql_ev_fail(ev, "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", p1);
        if (p2 <= 0 || p2 >= 1)
            return pql_ev_fail(ev, "invalid trend factor. Expected: 0 < tf < 1, got: %f", p2);
    }
    if (id == PQL_FN_ABSENT_OVER_TIME) {
        if (m.n > 0) {
            *out = pql_vec(NULL, 0);
            return VG_OK;
        }
        o = vg_arena_alloc(ev->cur, sizeof *o);
        o[0] = (pql_sample_t){pql_absent_labels(ev, n->call.args[0]), ts, 1};
        *out = pql_vec(o, 1);
        return VG_OK;
    }
    pql_range_of(ev, n->call.args[mi], ts, &start, &end, &range_s);
    o = vg_arena_alloc(ev->cur, (m.n ? m.n : 1) * sizeof *o);
    for (size_t i = 0; i < m.n; i++) {
        const store_sample_t *p = m.mat[i].p;
        size_t np = m.mat[i].n;
        double v = 0, slope, icpt;
        int ok = 1;

        switch (id) {
        case PQL_FN_RATE:
            ok = pql_extrapolated_rate(p, np, start, end, range_s, 1, 1, &v) == 0;
            break;
        case PQL_FN_INCREASE:
            ok = pql_extrapolated_rate(p, np, start, end, range_s, 1, 0, &v) == 0;
            break;
        case PQL_FN_DELTA:
            ok = pql_extrapolated_rate(p, np, start, end, range_s, 0, 0, &v) == 0;
            break;
        case PQL_FN_IRATE:
            ok = pql_instant_value(p, np, 1, &v) == 0;
            break;
        case PQL_FN_IDELTA:
            ok = pql_instant_value(p, np, 0, &v) == 0;
            break;
        case PQL_FN_DERIV:
            if ((ok = np >= 2))
                pql_linear_regression(p, np, p[0].t, &v, &icpt);
            break;
        case PQL_FN_PREDICT_LINEAR:
            if ((ok = np >= 2)) {
                pql_linear_regression(p, np, ts, &slope, &icpt);
                v = slope * p1 + icpt;
            }
            break;
        case PQL_FN_HOLT_WINTERS:
            ok = pql_holt_winters(p, np, p1, p2, &v) == 0;
            break;
        case PQL_FN_RESETS:
            v = (double)pql_resets(p, np);
            break;
        case PQL_FN_CHANGES:
            v = (double)pql_changes(p, np);
            break;
        case PQL_FN_AVG_OVER_TIME:
            v = pql_avg_over_time(p, np);
            break;
        case PQL_FN_SUM_OVER_TIME:
            v = pql_sum_over_time(p, np);
            break;
        case PQL_FN_MIN_OVER_TIME:
            v = pql_min_over_time(p, np);
            break;
        case PQL_FN_MAX_OVER_TIME:
            v = pql_max_over_time(p, np);
            break;
        case PQL_FN_COUNT_OVER_TIME:
            v = (double)np;
            break;
        case PQL_FN_LAST_OVER_TIME:
            v = p[np - 1].v;
            break;
        case PQL_FN_PRESENT_OVER_TIME:
            v = 1;
            break;
        case PQL_FN_STDVAR_OVER_TIME:
            v = pql_stdvar_over_time(p, np);
            break;
        case PQL_FN_STDDEV_OVER_TIME:
            v = sqrt(pql_stdvar_over_time(p, np));
            break;
        case PQL_FN_QUANTILE_OVER_TIME: {
            double *vals = vg_arena_alloc(ev->cur, np * sizeof *vals);

            for (size_t j = 0; j < np; j++)
                vals[j] = p[j].v;
            v = pql_quantile(p1, vals, np);
            break;
        }
        default:
            ok = 0;
            break;
        }
        if (ok)
            o[k++] = (pql_sample_t){
                id == PQL_FN_LAST_OVER_TIME ? m.mat[i].m : pql_drop_name(ev->cur, &m.mat[i].m), ts,
                v};
    }
    *out = pql_vec(o, k);
    return pql_check_unique(ev, out);
}

/* histogram_quantile(phi, buckets): the samples grouped by their labels without le and
 * __name__, each group's buckets by le. */
static int pql_histogram_quantile(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    static const char *le[] = {"le"};
    pql_value_t v;
    double q, *upper;
    pql_map_t idx;
    pql_lset_t *gl;
    pql_bucket_t *b;
    size_t *gi, *off, *fill, ng = 0;
    int rc;

    if ((rc = pql_arg_scalar(ev, n, 0, ts, &q)) < 0 ||
        (rc = pql_eval_node(ev, n->call.args[1], ts, &v)) < 0)
        return rc;
    /* one pass for each sample's group (SIZE_MAX: no usable le, not a bucket) and the sizes */
    gl = vg_arena_alloc(ev->cur, (v.n ? v.n : 1) * sizeof *gl);
    gi = vg_arena_alloc(ev->cur, (v.n ? v.n : 1) * sizeof *gi);
    upper = vg_arena_alloc(ev->cur, (v.n ? v.n : 1) * sizeof *upper);
    off = vg_arena_calloc(ev->cur, (v.n + 1) * sizeof *off);
    pql_map_init(&idx, ev->cur, v.n);
    for (size_t i = 0; i < v.n; i++) {
        const char *les = pql_lget(&v.vec[i].m, "le");
        char *end;
        size_t len, g = ng;
        const char *key;

        gi[i] = SIZE_MAX;
        upper[i] = strtod(les, &end);
        if (*les == '\0' || *end != '\0')
            continue;
        /* grouped by every label but le (the name included); named without both */
        pql_lset_t m = pql_ldel(ev->cur, &v.vec[i].m, le, 1, 0);

        key = pql_sig(ev->cur, &m, PQL_SIG_ALL, NULL, 0, &len);
        if (!pql_map_put(&idx, key, len, &g))
            gl[ng++] = pql_drop_name(ev->cur, &m);
        gi[i] = g;
        off[g + 1]++;
    }
    for (size_t g = 0; g < ng; g++)
        off[g + 1] += off[g];
    b = vg_arena_alloc(ev->cur, (off[ng] ? off[ng] : 1) * sizeof *b);
    fill = vg_arena_calloc(ev->cur, (ng ? ng : 1) * sizeof *fill);
    for (size_t i = 0; i < v.n; i++)
        if (gi[i] != SIZE_MAX)
            b[off[gi[i]] + fill[gi[i]]++] = (pql_bucket_t){upper[i], v.vec[i].v};
    pql_sample_t *o = vg_arena_alloc(ev->cur, (ng ? ng : 1) * sizeof *o);

    for (size_t g = 0; g < ng; g++)
        o[g] = (pql_sample_t){gl[g], ts, pql_bucket_quantile(q, b + off[g], off[g + 1] - off[g])};
    *out = pql_vec(o, ng);
    return VG_OK;
}

static int pql_sort_desc_flag;

static int pql_sort_cmp(const void *x, const void *y)
{
    const pql_sample_t *a = x, *b = y;

    /* NaN last either way; ties keep their order (the position is in t) */
    if (isnan(a->v) || isnan(b->v)) {
        if (isnan(a->v) != isnan(b->v))
            return isnan(a->v) ? 1 : -1;
    } else if (a->v != b->v) {
        return (a->v < b->v) != pql_sort_desc_flag ? -1 : 1;
    }
    return a->t < b->t ? -1 : a->t > b->t;
}

static int pql_label_replace(pql_ev_t *ev, const pql_node_t *n, const pql_value_t *v,
                             pql_value_t *out)
{
    const char *dst = pql_str_arg(n, 1), *repl = pql_str_arg(n, 2);
    const char *src = pql_str_arg(n, 3), *rx = pql_str_arg(n, 4);
    pql_sample_t *o = vg_arena_alloc(ev->cur, (v->n ? v->n : 1) * sizeof *o);
    const void *re;
    vg_err_t sub = {0};

    if (pql_regex_compile(ev->cur, rx, strlen(rx), &re, &sub) < 0)
        return pql_ev_fail(ev, "invalid regular expression in label_replace(): %s", rx);
    if (!pql_label_name_ok(dst))
        return pql_ev_fail(ev, "invalid destination label name in label_replace(): %s", dst);
    for (size_t i = 0; i < v->n; i++) {
        const char *res;

        o[i] = v->vec[i];
        if (pql_regex_expand(ev->cur, re, pql_lget(&v->vec[i].m, src), repl, &res))
            o[i].m = pql_lset(ev->cur, &v->vec[i].m, dst, res);
    }
    *out = pql_vec(o, v->n);
    return VG_OK;
}

static int pql_label_join(pql_ev_t *ev, const pql_node_t *n, int64_t ts, const pql_value_t *v,
                          pql_value_t *out)
{
    const char *dst = pql_str_arg(n, 1), *sep = pql_str_arg(n, 2);
    pql_sample_t *o = vg_arena_alloc(ev->cur, (v->n ? v->n : 1) * sizeof *o);

    (void)ts;
    if (!pql_label_name_ok(dst))
        return pql_ev_fail(ev, "invalid destination label name in label_join(): %s", dst);
    for (size_t a = 3; a < n->call.nargs; a++)
        if (!pql_label_name_ok(pql_str_arg(n, a)))
            return pql_ev_fail(ev, "invalid source label name in label_join(): %s",
                               pql_str_arg(n, a));
    for (size_t i = 0; i < v->n; i++) {
        vg_buf_t b;

        vg_buf_init(&b, ev->cur);
        vg_buf_reserve(&b, 1);
        for (size_t a = 3; a < n->call.nargs; a++) {
            if (a > 3)
                vg_buf_adds(&b, sep);
            vg_buf_adds(&b, pql_lget(&v->vec[i].m, pql_str_arg(n, a)));
        }
        o[i] = v->vec[i];
        o[i].m = pql_lset(ev->cur, &v->vec[i].m, dst, b.p);
    }
    *out = pql_vec(o, v->n);
    return VG_OK;
}

static int pql_eval_call(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    pql_func_id_t id = n->call.func->id;
    pql_value_t v = {0};
    pql_sample_t *o;
    double a1 = 0, a2 = 0;
    int rc;

    switch (id) {
    case PQL_FN_TIME:
        *out = pql_scalar(ts, (double)ts / 1000);
        return VG_OK;
    case PQL_FN_PI:
        *out = pql_scalar(ts, M_PI);
        return VG_OK;
    case PQL_FN_VECTOR:
        if ((rc = pql_arg_scalar(ev, n, 0, ts, &a1)) < 0)
            return rc;
        o = vg_arena_alloc(ev->cur, sizeof *o);
        o[0] = (pql_sample_t){{NULL, 0}, ts, a1};
        *out = pql_vec(o, 1);
        return VG_OK;
    case PQL_FN_SCALAR:
        if ((rc = pql_eval_node(ev, n->call.args[0], ts, &v)) < 0)
            return rc;
        *out = pql_scalar(ts, v.n == 1 ? v.vec[0].v : NAN);
        return VG_OK;
    case PQL_FN_HISTOGRAM_QUANTILE:
        if ((rc = pql_histogram_quantile(ev, n, ts, out)) < 0)
            return rc;
        return pql_check_unique(ev, out);
    case PQL_FN_HISTOGRAM_COUNT:
    case PQL_FN_HISTOGRAM_SUM:
    case PQL_FN_HISTOGRAM_FRACTION:
        /* native histograms only: float samples give nothing */
        *out = pql_vec(NULL, 0);
        return VG_OK;
    default:
        break;
    }
    for (size_t i = 0; i < n->call.nargs; i++)
        if (n->call.args[i]->type == PQL_TYPE_MATRIX)
            return pql_eval_range_fn(ev, n, ts, out);
    if (n->call.nargs == 0) { /* the date functions default to vector(time()) */
        o = vg_arena_alloc(ev->cur, sizeof *o);
        o[0] = (pql_sample_t){{NULL, 0}, ts, pql_date(id, (double)ts / 1000)};
        *out = pql_vec(o, 1);
        return VG_OK;
    }
    if ((rc = pql_eval_node(ev, n->call.args[0], ts, &v)) < 0)
        return rc;
    if (id == PQL_FN_ABSENT) {
        if (v.n > 0) {
            *out = pql_vec(NULL, 0);
            return VG_OK;
        }
        o = vg_arena_alloc(ev->cur, sizeof *o);
        o[0] = (pql_sample_t){pql_absent_labels(ev, n->call.args[0]), ts, 1};
        *out = pql_vec(o, 1);
        return VG_OK;
    }
    if (id == PQL_FN_LABEL_REPLACE)
        rc = pql_label_replace(ev, n, &v, out);
    else if (id == PQL_FN_LABEL_JOIN)
        rc = pql_label_join(ev, n, ts, &v, out);
    if (id == PQL_FN_LABEL_REPLACE || id == PQL_FN_LABEL_JOIN)
        return rc < 0 ? rc : pql_check_unique(ev, out);
    if (id == PQL_FN_SORT || id == PQL_FN_SORT_DESC) {
        o = vg_arena_alloc(ev->cur, (v.n ? v.n : 1) * sizeof *o);
        for (size_t i = 0; i < v.n; i++) {
            o[i] = v.vec[i];
            o[i].t = (int64_t)i;
        }
        pql_sort_desc_flag = id == PQL_FN_SORT_DESC;
        qsort(o, v.n, sizeof *o, pql_sort_cmp);
        *out = pql_vec(o, v.n);
        return VG_OK;
    }
    if ((id == PQL_FN_CLAMP || id == PQL_FN_CLAMP_MIN || id == PQL_FN_CLAMP_MAX ||
         id == PQL_FN_ROUND) &&
        n->call.nargs > 1 && (rc = pql_arg_scalar(ev, n, 1, ts, &a1)) < 0)
        return rc;
    if (id == PQL_FN_CLAMP && (rc = pql_arg_scalar(ev, n, 2, ts, &a2)) < 0)
        return rc;
    if (id == PQL_FN_ROUND && n->call.nargs == 1)
        a1 = 1;
    if (id == PQL_FN_CLAMP && a2 < a1) { /* max below min: nothing */
        *out = pql_vec(NULL, 0);
        return VG_OK;
    }
    o = vg_arena_alloc(ev->cur, (v.n ? v.n : 1) * sizeof *o);
    for (size_t i = 0; i < v.n; i++) {
        double x = v.vec[i].v, y;

        switch (id) {
        case PQL_FN_TIMESTAMP: {
            const pql_node_t *arg = pql_unparen(n->call.args[0]);

            /* of a selector: the sample's own time; of anything else: the evaluation's */
            y = (double)(arg->kind == PQL_NODE_VECTOR ? v.vec[i].t : ts) / 1000;
            break;
        }
        case PQL_FN_CLAMP:
            y = pql_go_max(a1, pql_go_min(a2, x));
            break;
        case PQL_FN_CLAMP_MIN:
            y = pql_go_max(a1, x);
            break;
        case PQL_FN_CLAMP_MAX:
            y = pql_go_min(a1, x);
            break;
        case PQL_FN_ROUND: {
            double inv = 1.0 / a1;

            y = floor(x * inv + 0.5) / inv;
            break;
        }
        case PQL_FN_DAY_OF_MONTH:
        case PQL_FN_DAY_OF_WEEK:
        case PQL_FN_DAY_OF_YEAR:
        case PQL_FN_DAYS_IN_MONTH:
        case PQL_FN_HOUR:
        case PQL_FN_MINUTE:
        case PQL_FN_MONTH:
        case PQL_FN_YEAR:
            y = pql_date(id, x);
            break;
        default:
            y = pql_simple(id, x);
            break;
        }
        o[i] = (pql_sample_t){pql_drop_name(ev->cur, &v.vec[i].m), ts, y};
    }
    *out = pql_vec(o, v.n);
    return pql_check_unique(ev, out);
}

/* ---- the tree ---- */

static int pql_eval_node(pql_ev_t *ev, const pql_node_t *n, int64_t ts, pql_value_t *out)
{
    int rc;

    switch (n->kind) {
    case PQL_NODE_NUMBER:
        *out = pql_scalar(ts, n->number.value);
        return VG_OK;
    case PQL_NODE_STRING:
        *out = (pql_value_t){.type = PQL_VAL_STRING, .t = ts, .s = n->string.value};
        return VG_OK;
    case PQL_NODE_VECTOR:
        return pql_eval_vector(ev, n, ts, out);
    case PQL_NODE_MATRIX:
        return pql_eval_matrix(ev, n, ts, out);
    case PQL_NODE_SUBQUERY:
        return pql_eval_subquery(ev, n, ts, out);
    case PQL_NODE_PAREN:
        return pql_eval_node(ev, n->paren.expr, ts, out);
    case PQL_NODE_UNARY:
        if ((rc = pql_eval_node(ev, n->unary.expr, ts, out)) < 0)
            return rc;
        if (n->unary.op != PQL_OP_SUB)
            return VG_OK;
        if (out->type == PQL_VAL_SCALAR) {
            out->v = -out->v;
        } else {
            pql_sample_t *o = vg_arena_alloc(ev->cur, (out->n ? out->n : 1) * sizeof *o);

            for (size_t i = 0; i < out->n; i++)
                o[i] = (pql_sample_t){pql_drop_name(ev->cur, &out->vec[i].m), out->vec[i].t,
                                      -out->vec[i].v};
            out->vec = o;
            return pql_check_unique(ev, out);
        }
        return VG_OK;
    case PQL_NODE_BINARY:
        return pql_eval_binary(ev, n, ts, out);
    case PQL_NODE_AGGREGATE:
        return pql_eval_aggregate(ev, n, ts, out);
    case PQL_NODE_CALL:
        return pql_eval_call(ev, n, ts, out);
    }
    return vg_fail(ev->err, VG_EINTERNAL, "unknown node kind %d", (int)n->kind);
}

static int pql_series_cmp(const void *x, const void *y)
{
    return pql_lcmp(&((const pql_series_t *)x)->m, &((const pql_series_t *)y)->m);
}

int pql_eval(const pql_eval_opts_t *o, const pql_node_t *root, pql_value_t *out, vg_err_t *err)
{
    pql_ev_t ev = {.o = o, .cur = o->a, .err = err};
    int rc = VG_OK;

    ev.r = (pql_reader_t){o->st, o->txn, o->project, o->a, o->max_samples, 0, o->deadline_us};
    if (o->step > 0 && root->type != PQL_TYPE_SCALAR && root->type != PQL_TYPE_VECTOR)
        return vg_fail(err, VG_EINVAL,
                       "invalid expression type \"%s\" for range query, must be Scalar or "
                       "instant Vector",
                       pql_type_str(root->type));
    pql_bounds(&ev, root, o->start, o->end);
    for (size_t i = 0; i < ev.nsels; i++) {
        pql_sel_t *s = &ev.sels[i];

        rc = pql_fetch(&ev.r, s->node->vector.matchers, s->node->vector.nmatchers, s->mint, s->maxt,
                       &s->s, &s->n, err);
        if (rc < 0)
            return rc;
    }
    if (o->step <= 0) {
        if ((rc = pql_eval_node(&ev, root, o->start, out)) < 0)
            return rc;
        if (out->type == PQL_VAL_VECTOR)
            for (size_t i = 0; i < out->n; i++)
                out->vec[i].t = o->start;
        return VG_OK;
    }
    /* a range query: every step in a scratch arena, its points gathered in the result's */
    vg_arena_t step;
    pql_acc_t acc;

    vg_arena_init(&step, 0);
    pql_acc_init(&acc, o->a);
    ev.cur = &step;
    for (int64_t ts = o->start; ts <= o->end; ts += o->step) {
        pql_value_t v;

        if ((rc = pql_eval_node(&ev, root, ts, &v)) < 0)
            break;
        pql_acc_value(&acc, &v, ts);
        vg_arena_reset(&step);
        if ((rc = pql_check_deadline(&ev.r, "range query evaluation", err)) < 0)
            break;
    }
    vg_arena_fini(&step);
    if (rc < 0)
        return rc;
    qsort(acc.s, acc.n, sizeof *acc.s, pql_series_cmp);
    *out = (pql_value_t){.type = PQL_VAL_MATRIX, .mat = acc.s, .n = acc.n};
    return VG_OK;
}
