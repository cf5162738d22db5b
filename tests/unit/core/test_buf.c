/* tests/unit/core/test_buf.c - vg_buf_t on the heap and in an arena.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"

#include <string.h>

static void test_buf_grows_and_terminates(void **state)
{
    vg_arena_t a;
    vg_buf_t heap, ar;

    vg_arena_init(&a, 0);
    vg_buf_init(&heap, NULL);
    vg_buf_init(&ar, &a);
    for (int i = 0; i < 5000; i++) {
        vg_buf_printf(&heap, "%d,", i);
        vg_buf_printf(&ar, "%d,", i);
    }
    vg_buf_addc(&heap, '!');
    assert_int_equal(heap.len, strlen(heap.p));
    assert_int_equal(ar.len, strlen(ar.p));
    assert_true(strncmp(heap.p, "0,1,2,", 6) == 0);
    assert_string_equal(heap.p + heap.len - 6, "4999,!");
    assert_memory_equal(heap.p, ar.p, ar.len);
    vg_buf_fini(&heap);
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_buf_grows_and_terminates)};

    return cmocka_run_group_tests_name("core/buf", tests, NULL, NULL);
}
