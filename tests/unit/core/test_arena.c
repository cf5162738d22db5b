/* tests/unit/core/test_arena.c - vg_arena_*: alignment, growth, big blocks, defers, reset.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"

#include <string.h>

static void test_arena_aligns_and_keeps_data(void **state)
{
    vg_arena_t a;
    char *ptrs[1000];

    vg_arena_init(&a, 1024);
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = vg_arena_alloc(&a, (size_t)(i % 37) + 1);
        if ((uintptr_t)ptrs[i] % 16 != 0)
            fail_msg("allocation %d not 16-byte aligned: %p", i, (void *)ptrs[i]);
        memset(ptrs[i], i & 0xff, (size_t)(i % 37) + 1);
    }
    for (int i = 0; i < 1000; i++)
        for (int j = 0; j < i % 37 + 1; j++)
            if ((unsigned char)ptrs[i][j] != (i & 0xff))
                fail_msg("allocation %d byte %d overwritten", i, j);
    vg_arena_fini(&a);
}

static void test_arena_big_allocation(void **state)
{
    vg_arena_t a;
    char *small, *big, *after;

    vg_arena_init(&a, 1024);
    small = vg_arena_alloc(&a, 10);
    big = vg_arena_alloc(&a, 1 << 20);
    memset(big, 'x', 1 << 20);
    after = vg_arena_alloc(&a, 10);
    /* the small block's free space stays in use after a big allocation */
    assert_true(after > small && after < small + 1024);
    vg_arena_fini(&a);
}

static int test_arena_defer_order[4], test_arena_defer_n;

static void test_arena_record(void *p)
{
    test_arena_defer_order[test_arena_defer_n++] = (int)(intptr_t)p;
}

static void test_arena_defers_run_last_first(void **state)
{
    vg_arena_t a;

    vg_arena_init(&a, 0);
    test_arena_defer_n = 0;
    for (intptr_t i = 1; i <= 3; i++)
        vg_arena_defer(&a, test_arena_record, (void *)i);
    vg_arena_reset(&a);
    assert_int_equal(test_arena_defer_n, 3);
    assert_int_equal(test_arena_defer_order[0], 3);
    assert_int_equal(test_arena_defer_order[2], 1);
    /* reset leaves nothing to run twice */
    vg_arena_fini(&a);
    assert_int_equal(test_arena_defer_n, 3);
}

static void test_arena_strings(void **state)
{
    vg_arena_t a;

    vg_arena_init(&a, 64);
    assert_string_equal(vg_arena_strndup(&a, "hello world", 5), "hello");
    assert_string_equal(vg_arena_sprintf(&a, "%s-%d", "x", 42), "x-42");
    char *longs = vg_arena_sprintf(&a, "%0500d", 7);

    assert_int_equal(strlen(longs), 500);
    vg_arena_reset(&a);
    assert_int_equal(a.used, 0);
    assert_string_equal(vg_arena_strdup(&a, "again"), "again");
    vg_arena_fini(&a);
}

static void test_arena_grow(void **state)
{
    vg_arena_t a;
    int *v = NULL;
    size_t cap = 0;

    (void)state;
    vg_arena_init(&a, 0);
    for (int i = 0; i < 1000; i++) {
        int *before = v;
        size_t old_cap = cap;

        v = vg_arena_grow(&a, v, (size_t)i, &cap, sizeof *v);
        if ((size_t)i < old_cap)
            assert_ptr_equal(v, before); /* room left: the same array */
        else
            assert_int_equal(cap, old_cap ? old_cap * 2 : 16);
        v[i] = i;
    }
    assert_int_equal(cap, 1024);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i);
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_aligns_and_keeps_data),
        cmocka_unit_test(test_arena_big_allocation),
        cmocka_unit_test(test_arena_defers_run_last_first),
        cmocka_unit_test(test_arena_strings),
        cmocka_unit_test(test_arena_grow),
    };
    return cmocka_run_group_tests_name("core/arena", tests, NULL, NULL);
}
