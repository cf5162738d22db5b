/* tests/unit/ingest/test_batch.c - the batch: label sets come out sorted and checked, and the
 * metadata index finds every family again however many a batch holds.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/batch.h"

#include <stdio.h>
#include <string.h>

static void test_batch_sorts_labels(void **state)
{
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    ing_label_t in[] = {{"zone", "z"}, {"job", "j"}, {"__name__", "up"}, {"a", ""}, {"m", "1"}};

    (void)state;
    vg_arena_init(&a, 4096);
    ing_batch_init(&b, &a);
    assert_int_equal(ing_batch_add_sample(&b, in, 5, 7, 1.5, &err), VG_OK);
    assert_int_equal(b.nsamples, 1);
    assert_string_equal(b.samples[0].labels[0].name, "__name__");
    assert_string_equal(b.samples[0].labels[1].name, "a");
    assert_string_equal(b.samples[0].labels[2].name, "job");
    assert_string_equal(b.samples[0].labels[3].name, "m");
    assert_string_equal(b.samples[0].labels[4].name, "zone");
    /* the caller's array is left as it was */
    assert_string_equal(in[0].name, "zone");
    vg_arena_fini(&a);
}

static void test_batch_refuses_bad_sets(void **state)
{
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    ing_label_t dup[] = {{"job", "a"}, {"__name__", "up"}, {"job", "b"}};
    ing_label_t empty[] = {{"__name__", "up"}, {"", "x"}};
    ing_label_t noname[] = {{"job", "a"}};
    ing_label_t blank[] = {{"__name__", ""}};

    (void)state;
    vg_arena_init(&a, 4096);
    ing_batch_init(&b, &a);
    assert_int_equal(ing_batch_add_sample(&b, dup, 3, 0, 0, &err), VG_EINVAL);
    assert_string_equal(err.msg, "duplicate label name \"job\"");
    assert_int_equal(ing_batch_add_sample(&b, empty, 2, 0, 0, &err), VG_EINVAL);
    assert_string_equal(err.msg, "empty label name");
    assert_int_equal(ing_batch_add_sample(&b, noname, 1, 0, 0, &err), VG_EINVAL);
    assert_string_equal(err.msg, "sample without a metric name");
    assert_int_equal(ing_batch_add_sample(&b, blank, 1, 0, 0, &err), VG_EINVAL);
    assert_int_equal(b.nsamples, 0);
    vg_arena_fini(&a);
}

static void test_batch_meta_index(void **state)
{
    enum { N = 5000 };
    vg_arena_t a;
    ing_batch_t b;
    ing_meta_t *first[N];
    char name[32];

    (void)state;
    vg_arena_init(&a, 4096);
    ing_batch_init(&b, &a);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "metric_%d", i);
        first[i] = ing_batch_meta(&b, name);
        first[i]->help = "h";
        assert_string_equal(first[i]->metric, name);
    }
    assert_int_equal(b.nmeta, N);
    /* the array moved as it grew: look every family up again */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "metric_%d", i);
        ing_meta_t *m = ing_batch_meta(&b, name);

        assert_ptr_equal(m, &b.meta[i]);
        assert_string_equal(m->metric, name);
        assert_string_equal(m->help, "h");
    }
    assert_int_equal(b.nmeta, N);
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_sorts_labels),
        cmocka_unit_test(test_batch_refuses_bad_sets),
        cmocka_unit_test(test_batch_meta_index),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
