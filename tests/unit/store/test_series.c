/* tests/unit/store/test_series.c - the series store on a real environment: append and read
 * back, tenancy, out-of-order merges and replacement, chunk splits, stale markers, matchers
 * (incl. the empty-value rule), label names and values, deletion, metadata, and a property
 * test of random batches against a reference model.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "store/series.h"
#include "support/bits.h"
#include "support/store_fixture.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ing_batch_t *b;
    const char *project;
} test_app_t;

static int test_append_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_app_t *x = arg;

    return store_series_append(st, txn, x->project, x->b, err);
}

static void test_append(store_t *st, const char *project, ing_batch_t *b)
{
    test_app_t x = {b, project};
    vg_err_t err = {0};

    if (store_txn_run(st, test_append_txn, &x, &err) != VG_OK)
        fail_msg("append: %s", err.msg);
}

/* Adds a sample of the series given as "name,k=v,k=v". */
static void test_add(ing_batch_t *b, const char *series, int64_t t, double v)
{
    ing_label_t l[8];
    size_t n = 0;
    char *s = vg_arena_strdup(b->arena, series), *save = NULL;
    vg_err_t err = {0};

    l[n++] = (ing_label_t){"__name__", strtok_r(s, ",", &save)};
    for (char *kv; (kv = strtok_r(NULL, ",", &save)) != NULL;) {
        char *eq = strchr(kv, '=');

        *eq = '\0';
        l[n++] = (ing_label_t){kv, eq + 1};
    }
    if (ing_batch_add_sample(b, l, n, t, v, &err) != VG_OK)
        fail_msg("add %s: %s", series, err.msg);
}

typedef struct {
    const char *project;
    const store_matcher_t *m;
    size_t nm;
    vg_arena_t *a;
    store_series_t *s;
    size_t n;
    int64_t mint, maxt;
    store_sample_t *smp;
    size_t nsmp;
    uint64_t id;
} test_read_t;

static int test_select_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_read_t *r = arg;

    return store_series_select(st, txn, r->project, r->m, r->nm, r->a, &r->s, &r->n, err);
}

static int test_samples_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_read_t *r = arg;

    return store_series_samples(st, txn, r->id, r->mint, r->maxt, r->a, &r->smp, &r->nsmp, err);
}

static size_t test_select(store_t *st, test_read_t *r)
{
    vg_err_t err = {0};

    if (store_txn_run(st, test_select_txn, r, &err) != VG_OK)
        fail_msg("select: %s", err.msg);
    return r->n;
}

static void test_samples(store_t *st, test_read_t *r, uint64_t id, int64_t mint, int64_t maxt)
{
    vg_err_t err = {0};

    r->id = id;
    r->mint = mint;
    r->maxt = maxt;
    if (store_txn_run(st, test_samples_txn, r, &err) != VG_OK)
        fail_msg("samples: %s", err.msg);
}

static store_t *test_open(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    vg_err_t err = {0};

    if (store_open(&t->conf, STORE_OPEN_FIRST, &st, &err) != VG_OK)
        fail_msg("open: %s", err.msg);
    return st;
}

static void test_series_roundtrip_and_tenancy(void **state)
{
    store_t *st = test_open(state);
    vg_arena_t a;
    ing_batch_t b;
    store_matcher_t up = {STORE_M_EQ, "__name__", "up", NULL, NULL};

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    test_add(&b, "up,job=a,instance=x", 1000, 1);
    test_add(&b, "up,job=b,instance=x", 1000, 0);
    test_add(&b, "up,job=a,instance=x", 2000, 1);
    test_add(&b, "other,job=a", 1000, 5);
    test_append(st, "p1", &b);
    ing_batch_init(&b, &a);
    test_add(&b, "up,job=a,instance=x", 1500, 42); /* same labels, another project */
    test_append(st, "p2", &b);

    test_read_t r = {.project = "p1", .m = &up, .nm = 1, .a = &a};

    assert_int_equal(test_select(st, &r), 2);
    /* sorted by label set: __name__, instance, job */
    assert_string_equal(r.s[0].labels[2].value, "a");
    assert_string_equal(r.s[1].labels[2].value, "b");
    assert_int_equal(r.s[0].nlabels, 3);
    test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
    assert_int_equal(r.nsmp, 2);
    assert_int_equal(r.smp[0].t, 1000);
    assert_int_equal(r.smp[1].t, 2000);

    r.project = "p2";
    assert_int_equal(test_select(st, &r), 1);
    uint64_t p2id = r.s[0].id;

    test_samples(st, &r, p2id, INT64_MIN, INT64_MAX);
    assert_int_equal(r.nsmp, 1);
    assert_true(r.smp[0].v == 42);
    r.project = "p3";
    assert_int_equal(test_select(st, &r), 0);
    /* no matchers: every series of the project, and only those */
    r.project = "p1";
    r.nm = 0;
    assert_int_equal(test_select(st, &r), 3);
    for (size_t i = 0; i < r.n; i++)
        assert_true(r.s[i].id != p2id);
    vg_arena_fini(&a);
    store_close(st);
}

static void test_series_out_of_order_and_replace(void **state)
{
    store_t *st = test_open(state);
    vg_arena_t a;
    ing_batch_t b;
    store_matcher_t m = {STORE_M_EQ, "__name__", "m", NULL, NULL};
    test_read_t r = {.project = "p", .m = &m, .nm = 1, .a = &a};

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    test_add(&b, "m", 100, 1);
    test_add(&b, "m", 200, 2);
    test_append(st, "p", &b);
    ing_batch_init(&b, &a);
    test_add(&b, "m", 200, 20); /* replaces */
    test_add(&b, "m", 50, 0.5); /* before the first chunk */
    test_add(&b, "m", 150, 1.5);
    test_add(&b, "m", 150, 1.6); /* within a batch the later one wins */
    test_add(&b, "m", -7, ing_stale_nan());
    test_append(st, "p", &b);
    assert_int_equal(test_select(st, &r), 1);
    test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
    static const store_sample_t want[] = {{-7, 0}, {50, 0.5}, {100, 1}, {150, 1.6}, {200, 20}};

    assert_int_equal(r.nsmp, 5);
    for (size_t i = 0; i < 5; i++) {
        if (r.smp[i].t != want[i].t || (i > 0 && r.smp[i].v != want[i].v))
            fail_msg("sample %zu: got (%lld, %g), want (%lld, %g)", i, (long long)r.smp[i].t,
                     r.smp[i].v, (long long)want[i].t, want[i].v);
    }
    assert_true(ing_is_stale(r.smp[0].v));
    /* a window */
    test_samples(st, &r, r.s[0].id, 60, 150);
    assert_int_equal(r.nsmp, 2);
    assert_int_equal(r.smp[0].t, 100);
    vg_arena_fini(&a);
    store_close(st);
}

static void test_series_many_chunks(void **state)
{
    store_t *st = test_open(state);
    vg_arena_t a;
    ing_batch_t b;
    store_matcher_t m = {STORE_M_EQ, "__name__", "c", NULL, NULL};
    test_read_t r = {.project = "p", .m = &m, .nm = 1, .a = &a};

    vg_arena_init(&a, 0);
    /* 1000 scrapes appended one per batch, as a scraper does, then a backfill into the middle
     * and a sample decades earlier */
    for (int i = 0; i < 1000; i++) {
        ing_batch_init(&b, &a);
        test_add(&b, "c,job=x", 1700000000000 + i * 15000, i);
        test_append(st, "p", &b);
        if (i % 100 == 99)
            vg_arena_reset(&a);
    }
    ing_batch_init(&b, &a);
    test_add(&b, "c,job=x", 1700000000000 + 500 * 15000 + 7, -1);
    test_add(&b, "c,job=x", 0, 3);
    test_append(st, "p", &b);
    assert_int_equal(test_select(st, &r), 1);
    test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
    assert_int_equal(r.nsmp, 1002);
    assert_int_equal(r.smp[0].t, 0);
    for (size_t i = 1; i < r.nsmp; i++)
        if (r.smp[i].t <= r.smp[i - 1].t)
            fail_msg("not sorted at %zu", i);
    assert_int_equal(r.smp[502].t, 1700000000000 + 500 * 15000 + 7);
    assert_true(r.smp[502].v == -1);
    vg_arena_fini(&a);
    store_close(st);
}

static int test_re(const void *re, const char *value)
{
    return regexec(re, value, 0, NULL, 0) == 0;
}

static void test_series_matchers(void **state)
{
    store_t *st = test_open(state);
    vg_arena_t a;
    ing_batch_t b;
    regex_t re;

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    test_add(&b, "x,job=api,env=prod", 1, 1);
    test_add(&b, "x,job=api", 1, 1);
    test_add(&b, "x,job=db,env=dev", 1, 1);
    test_add(&b, "y,job=api", 1, 1);
    test_append(st, "p", &b);
    assert_int_equal(regcomp(&re, "^(pr.*)$", REG_EXTENDED | REG_NOSUB), 0);
    static const struct {
        store_matcher_t m[2];
        size_t nm, want;
    } cases[] = {
        {{{STORE_M_EQ, "__name__", "x", NULL, NULL}}, 1, 3},
        {{{STORE_M_EQ, "job", "api", NULL, NULL}}, 1, 3},
        {{{STORE_M_EQ, "__name__", "x", NULL, NULL}, {STORE_M_NEQ, "job", "api", NULL, NULL}},
         2,
         1},
        /* env="" also matches series without env */
        {{{STORE_M_EQ, "__name__", "x", NULL, NULL}, {STORE_M_EQ, "env", "", NULL, NULL}}, 2, 1},
        {{{STORE_M_NEQ, "env", "", NULL, NULL}}, 1, 2},
        {{{STORE_M_EQ, "job", "nope", NULL, NULL}}, 1, 0},
    };
    test_read_t r = {.project = "p", .m = NULL, .nm = 0, .a = &a};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r.m = cases[i].m;
        r.nm = cases[i].nm;
        if (test_select(st, &r) != cases[i].want)
            fail_msg("case %zu: got %zu series, want %zu", i, r.n, cases[i].want);
    }
    store_matcher_t rem[] = {{STORE_M_RE, "env", "pr.*", test_re, &re}};

    r.m = rem;
    r.nm = 1;
    assert_int_equal(test_select(st, &r), 1);
    rem[0].type = STORE_M_NRE; /* also the series without env */
    assert_int_equal(test_select(st, &r), 3);
    regfree(&re);
    vg_arena_fini(&a);
    store_close(st);
}

typedef struct {
    vg_arena_t *a;
    const char *name;
    const char **v;
    size_t n;
    const store_matcher_t *m;
    size_t nm, deleted;
    int64_t mint, maxt;
    ing_meta_t *meta;
} test_misc_t;

static int test_names_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_misc_t *x = arg;

    if (x->name == NULL)
        return store_series_label_names(st, txn, "p", x->a, &x->v, &x->n, err);
    return store_series_label_values(st, txn, "p", x->name, x->a, &x->v, &x->n, err);
}

static int test_delete_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_misc_t *x = arg;

    return store_series_delete(st, txn, "p", x->m, x->nm, x->mint, x->maxt, x->a, &x->deleted, err);
}

static int test_meta_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_misc_t *x = arg;

    return store_series_metadata(st, txn, "p", x->name, x->a, &x->meta, &x->n, err);
}

static const char *test_join(vg_arena_t *a, const char **v, size_t n)
{
    vg_buf_t b;

    vg_buf_init(&b, a);
    for (size_t i = 0; i < n; i++)
        vg_buf_printf(&b, "%s%s", i ? "," : "", v[i]);
    return b.p;
}

static void test_series_names_delete_metadata(void **state)
{
    store_t *st = test_open(state);
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    test_misc_t x = {.a = &a};

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    test_add(&b, "up,job=b", 10, 1);
    test_add(&b, "up,job=a", 10, 1);
    test_add(&b, "up,job=a", 20, 1);
    test_add(&b, "mem,zone=z", 10, 1);
    ing_meta_t *mt = ing_batch_meta(&b, "up");

    mt->type = "gauge";
    mt->help = "1 when up";
    test_append(st, "p", &b);
    ing_batch_init(&b, &a);
    ing_batch_meta(&b, "up")->unit = "seconds"; /* merges with what is stored */
    test_append(st, "p", &b);

    assert_int_equal(store_txn_run(st, test_names_txn, &x, &err), VG_OK);
    assert_string_equal(test_join(&a, x.v, x.n), "__name__,job,zone");
    x.name = "job";
    assert_int_equal(store_txn_run(st, test_names_txn, &x, &err), VG_OK);
    assert_string_equal(test_join(&a, x.v, x.n), "a,b");

    x.name = "up";
    assert_int_equal(store_txn_run(st, test_meta_txn, &x, &err), VG_OK);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.meta[0].type, "gauge");
    assert_string_equal(x.meta[0].unit, "seconds");
    assert_string_equal(x.meta[0].help, "1 when up");
    x.name = NULL;
    assert_int_equal(store_txn_run(st, test_meta_txn, &x, &err), VG_OK);
    assert_int_equal(x.n, 1);

    /* part of job=a's samples, then all of job=b: job=b leaves the catalog */
    store_matcher_t ja[] = {{STORE_M_EQ, "job", "a", NULL, NULL}};
    store_matcher_t jb[] = {{STORE_M_EQ, "job", "b", NULL, NULL}};

    x.m = ja;
    x.nm = 1;
    x.mint = 15;
    x.maxt = 25;
    assert_int_equal(store_txn_run(st, test_delete_txn, &x, &err), VG_OK);
    assert_int_equal(x.deleted, 1);
    x.m = jb;
    x.mint = INT64_MIN;
    x.maxt = INT64_MAX;
    assert_int_equal(store_txn_run(st, test_delete_txn, &x, &err), VG_OK);
    x.name = "job";
    assert_int_equal(store_txn_run(st, test_names_txn, &x, &err), VG_OK);
    assert_string_equal(test_join(&a, x.v, x.n), "a");
    test_read_t r = {.project = "p", .m = ja, .nm = 1, .a = &a};

    assert_int_equal(test_select(st, &r), 1);
    test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
    assert_int_equal(r.nsmp, 1);
    assert_int_equal(r.smp[0].t, 10);
    vg_arena_fini(&a);
    store_close(st);
}

/* store_series_ingest: a fill that adds more samples than flush_every many times over, with
 * series interleaved, out of order and repeated timestamps, gives what one append gives; the
 * metadata and extra labels land; a retried transaction runs the fill again without doubling
 * anything; and a fill that fails after flushes leaves nothing stored. */
typedef struct {
    int attempts, retry_first, fail_at;
} test_fill_t;

static int test_fill(ing_batch_t *b, void *arg, vg_err_t *err)
{
    test_fill_t *f = arg;
    char name[32];

    f->attempts++;
    for (int i = 0; i < 1000; i++) {
        int sid = i % 37, t = (i * 7919) % 400;

        if (i == f->fail_at)
            return vg_fail(err, VG_EINVAL, "bad line %d", i);
        snprintf(name, sizeof name, "streamed,s=%d", sid);
        test_add(b, name, t, (double)i);
    }
    ing_batch_meta(b, "streamed")->type = "gauge";
    if (f->retry_first-- > 0)
        return vg_fail(err, VG_ERETRY, "lost a deadlock");
    return VG_OK;
}

static void test_series_ingest_streamed(void **state)
{
    store_t *st = test_open(state);
    static const ing_label_t extra[] = {{"src", "bulk"}};
    test_fill_t f = {.retry_first = 1, .fail_at = -1};
    store_ingest_t in = {.project = "p",
                         .fill = test_fill,
                         .arg = &f,
                         .flush_every = 7,
                         .extra = extra,
                         .nextra = 1};
    vg_arena_t a;
    vg_err_t err = {0};
    double model[37][400];
    int present[37][400] = {{0}};

    vg_arena_init(&a, 0);
    for (int i = 0; i < 1000; i++) {
        model[i % 37][(i * 7919) % 400] = (double)i;
        present[i % 37][(i * 7919) % 400] = 1;
    }
    assert_int_equal(store_series_ingest(st, &in, &a, &err), VG_OK);
    assert_int_equal(f.attempts, 2);
    assert_int_equal(in.samples, 1000);
    for (int sid = 0; sid < 37; sid++) {
        char v[8];

        snprintf(v, sizeof v, "%d", sid);
        store_matcher_t m[] = {{STORE_M_EQ, "s", v, NULL, NULL},
                               {STORE_M_EQ, "src", "bulk", NULL, NULL}};
        test_read_t r = {.project = "p", .m = m, .nm = 2, .a = &a};
        size_t k = 0;

        assert_int_equal(test_select(st, &r), 1);
        test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
        for (int t = 0; t < 400; t++) {
            if (!present[sid][t])
                continue;
            if (k >= r.nsmp || r.smp[k].t != t || r.smp[k].v != model[sid][t])
                fail_msg("series %d t %d: sample %zu of %zu differs", sid, t, k, r.nsmp);
            k++;
        }
        assert_int_equal(k, r.nsmp);
    }
    /* the metadata came with the last write */
    test_misc_t mx = {.a = &a, .name = "streamed"};

    if (store_txn_run(st, test_meta_txn, &mx, &err) != VG_OK)
        fail_msg("metadata: %s", err.msg);
    assert_int_equal(mx.n, 1);
    assert_string_equal(mx.meta[0].type, "gauge");

    /* failing after 700 samples (a hundred flushes): nothing of that fill is stored */
    test_fill_t bad = {.fail_at = 700};
    store_ingest_t in2 = {.project = "q", .fill = test_fill, .arg = &bad, .flush_every = 7};
    store_matcher_t all[] = {{STORE_M_EQ, "__name__", "streamed", NULL, NULL}};
    test_read_t r = {.project = "q", .m = all, .nm = 1, .a = &a};

    assert_int_equal(store_series_ingest(st, &in2, &a, &err), VG_EINVAL);
    assert_string_equal(err.msg, "bad line 700");
    assert_int_equal(test_select(st, &r), 0);
    vg_arena_fini(&a);
    store_close(st);
}

/* store_compact: after most series are deleted, compaction gives pages back to the filesystem
 * and what is left reads back unchanged. */
static void test_series_compact(void **state)
{
    store_t *st = test_open(state);
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    uint64_t freed = 0;
    char name[32];

    vg_arena_init(&a, 0);
    for (int batch = 0; batch < 4; batch++) {
        ing_batch_init(&b, &a);
        for (int sid = batch * 100; sid < batch * 100 + 100; sid++) {
            snprintf(name, sizeof name, "cmp,s=%d", sid);
            for (int t = 0; t < 240; t++)
                test_add(&b, name, t * 15000, (double)(sid * 1000 + t) * 1.37);
        }
        test_append(st, "p", &b);
        vg_arena_reset(&a);
    }
    /* keep s=7 only */
    store_matcher_t rest[] = {{STORE_M_NEQ, "s", "7", NULL, NULL}};
    test_misc_t d = {.a = &a, .m = rest, .nm = 1, .mint = INT64_MIN, .maxt = INT64_MAX};

    if (store_txn_run(st, test_delete_txn, &d, &err) != VG_OK)
        fail_msg("delete: %s", err.msg);
    assert_int_equal(d.deleted, 399);
    assert_int_equal(store_compact(st, &freed, &err), VG_OK);
    assert_true(freed > 0);
    store_matcher_t seven[] = {{STORE_M_EQ, "s", "7", NULL, NULL}};
    test_read_t r = {.project = "p", .m = seven, .nm = 1, .a = &a};

    assert_int_equal(test_select(st, &r), 1);
    test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
    assert_int_equal(r.nsmp, 240);
    assert_true(r.smp[239].t == 239 * 15000 && r.smp[239].v == (double)(7000 + 239) * 1.37);
    vg_arena_fini(&a);
    store_close(st);
}

/* Random batches against a model: per series, a sorted map t → last written value. */
static void test_series_property(void **state)
{
    enum { NSERIES = 5, NT = 700 };
    store_t *st = test_open(state);
    static double model[NSERIES][NT];
    static int present[NSERIES][NT];
    vg_arena_t a;
    ing_batch_t b;
    unsigned seed = 12345;

    vg_arena_init(&a, 0);
    for (int batch = 0; batch < 60; batch++) {
        ing_batch_init(&b, &a);
        int n = 1 + (int)(rand_r(&seed) % 80);

        for (int i = 0; i < n; i++) {
            int s = (int)(rand_r(&seed) % NSERIES), t = (int)(rand_r(&seed) % NT);
            double v = (double)rand_r(&seed) / 7.0;
            char name[32];

            snprintf(name, sizeof name, "prop,s=%d", s);
            test_add(&b, name, (int64_t)t * 1000 - 200000, v);
            model[s][t] = v;
            present[s][t] = 1;
        }
        test_append(st, "p", &b);
        vg_arena_reset(&a);
    }
    for (int s = 0; s < NSERIES; s++) {
        char v[8];

        snprintf(v, sizeof v, "%d", s);
        store_matcher_t m[] = {{STORE_M_EQ, "s", v, NULL, NULL}};
        test_read_t r = {.project = "p", .m = m, .nm = 1, .a = &a};
        size_t k = 0;

        if (test_select(st, &r) == 0)
            continue;
        test_samples(st, &r, r.s[0].id, INT64_MIN, INT64_MAX);
        for (int t = 0; t < NT; t++) {
            if (!present[s][t])
                continue;
            if (k >= r.nsmp || r.smp[k].t != (int64_t)t * 1000 - 200000 ||
                test_bits(r.smp[k].v) != test_bits(model[s][t]))
                fail_msg("series %d t %d: sample %zu of %zu differs", s, t, k, r.nsmp);
            k++;
        }
        assert_int_equal(k, r.nsmp);
        vg_arena_reset(&a);
    }
    vg_arena_fini(&a);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_series_roundtrip_and_tenancy, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_out_of_order_and_replace, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_many_chunks, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_matchers, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_names_delete_metadata, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_ingest_streamed, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_compact, test_store_setup, test_store_teardown),
        cmocka_unit_test_setup_teardown(test_series_property, test_store_setup,
                                        test_store_teardown),
    };
    return cmocka_run_group_tests_name("store/series", tests, NULL, NULL);
}
