/* tests/unit/query/test_fetch.c - the evaluator's reads: the instant value at a time (lookback
 * boundary included, a stale marker ends a series), range windows without stale markers, and
 * pql_fetch over a real store with its sample limit.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "query/promql/fetch.h"
#include "support/store_fixture.h"

#include <string.h>

static void test_fetch_value_at(void **state)
{
    store_sample_t p[] = {{0, 1}, {60000, 2}, {120000, 0}, {300000, 4}};
    pql_series_t s = {{NULL, 0}, p, 4};
    store_sample_t w[4];
    double v;
    int64_t t;

    (void)state;
    p[2].v = ing_stale_nan();
    assert_int_equal(pql_value_at(&s, 60000, 300000, &v, &t), 1);
    assert_true(v == 2 && t == 60000);
    assert_int_equal(pql_value_at(&s, 90000, 300000, &v, &t), 1);
    assert_true(v == 2);
    /* the stale marker at 120 s ends the series until the next point */
    assert_int_equal(pql_value_at(&s, 150000, 300000, &v, &t), 0);
    assert_int_equal(pql_value_at(&s, 300000, 300000, &v, &t), 1);
    assert_true(v == 4);
    /* the lookback's left boundary is included, one ms further is not */
    assert_int_equal(pql_value_at(&s, 600000, 300000, &v, &t), 1);
    assert_int_equal(pql_value_at(&s, 600001, 300000, &v, &t), 0);
    assert_int_equal(pql_value_at(&s, -1, 300000, &v, &t), 0);
    /* windows are closed on both sides and skip stale markers */
    assert_int_equal(pql_window(&s, 0, 300000, w), 3);
    assert_true(w[2].t == 300000);
    assert_int_equal(pql_window(&s, 1, 299999, w), 1);
    assert_int_equal(pql_lower_bound(&s, 61000), 2);
}

static int test_fetch_load(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    vg_arena_t *a = arg;
    ing_batch_t b;
    char job[8];

    ing_batch_init(&b, a);
    for (int j = 0; j < 3; j++) {
        snprintf(job, sizeof job, "j%d", j);
        ing_label_t l[] = {{"__name__", "m"}, {"job", vg_arena_strdup(a, job)}};

        for (int i = 0; i < 10; i++)
            if (ing_batch_add_sample(&b, l, 2, i * 1000, i, err) < 0)
                return VG_EINVAL;
    }
    return store_series_append(st, txn, "p", &b, err);
}

typedef struct {
    pql_reader_t r;
    pql_series_t *s;
    size_t n;
    int rc;
} test_fetch_t;

static int test_fetch_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_fetch_t *x = arg;
    store_matcher_t m = {STORE_M_EQ, "__name__", "m", NULL, NULL};

    x->r.st = st;
    x->r.txn = txn;
    x->r.loaded = 0;
    x->rc = pql_fetch(&x->r, &m, 1, 2000, 5000, &x->s, &x->n, err);
    return VG_OK;
}

static void test_fetch_store(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    vg_err_t err = {0};
    vg_arena_t a;
    test_fetch_t x = {0};

    vg_arena_init(&a, 0);
    assert_int_equal(store_open(&t->conf, STORE_OPEN_FIRST, &st, &err), VG_OK);
    assert_int_equal(store_txn_run(st, test_fetch_load, &a, &err), VG_OK);
    x.r.project = "p";
    x.r.a = &a;
    assert_int_equal(store_txn_run(st, test_fetch_txn, &x, &err), VG_OK);
    assert_int_equal(x.rc, VG_OK);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.s[1].m.l[1].value, "j1");
    assert_int_equal(x.s[1].n, 4);
    assert_true(x.s[1].p[0].t == 2000 && x.s[1].p[3].t == 5000);
    assert_int_equal(x.r.loaded, 12);
    /* 12 points against a limit of 11 */
    x.r.max_samples = 11;
    assert_int_equal(store_txn_run(st, test_fetch_txn, &x, &err), VG_OK);
    assert_int_equal(x.rc, VG_ELIMIT);
    assert_string_equal(err.msg,
                        "query processing would load too many samples into memory in query "
                        "execution");
    store_close(st);
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_value_at),
        cmocka_unit_test_setup_teardown(test_fetch_store, test_store_setup, test_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
