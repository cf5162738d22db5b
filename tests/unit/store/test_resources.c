/* tests/unit/store/test_resources.c - kind/id documents: put, get, list in order, delete.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "core/log.h"
#include "store/resources.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char seen[8][32];
    int n;
} test_list_t;

static int test_collect(const char *id, const char *doc, size_t len, void *arg)
{
    test_list_t *l = arg;

    snprintf(l->seen[l->n++], sizeof l->seen[0], "%s=%.*s", id, (int)len, doc);
    return 0;
}

static int test_res_ops(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_list_t *l = arg;
    char *doc = NULL;
    size_t len;
    int rc;

    /* neighbouring kinds must not leak into a listing */
    if ((rc = store_res_put(st, txn, "job", "b", "2", 1, err)) ||
        (rc = store_res_put(st, txn, "job", "a", "1", 1, err)) ||
        (rc = store_res_put(st, txn, "jobs", "z", "9", 1, err)) ||
        (rc = store_res_put(st, txn, "jo", "bx", "8", 1, err)))
        return rc;
    if ((rc = store_res_get(st, txn, "job", "b", &doc, &len, err)) != VG_OK)
        return rc;
    assert_string_equal(doc, "2");
    free(doc);
    if ((rc = store_res_list(st, txn, "job", test_collect, l, err)) != VG_OK)
        return rc;
    if ((rc = store_res_del(st, txn, "job", "a", err)) != VG_OK)
        return rc;
    assert_int_equal(store_res_get(st, txn, "job", "a", &doc, &len, err), VG_ENOTFOUND);
    return VG_OK;
}

static void test_resources_roundtrip(void **state)
{
    char *dir = test_tmpdir_new();
    test_list_t l = {0};
    vg_err_t err = {0};
    store_t *st;
    conf_t c;

    vg_log_init("test", LOG_ERR);
    conf_defaults(&c);
    free(c.store_home);
    c.store_home = strdup(dir);
    c.store_cache_mb = 8;
    assert_int_equal(store_open(&c, STORE_OPEN_FIRST, &st, &err), VG_OK);
    if (store_txn_run(st, test_res_ops, &l, &err) != VG_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.seen[0], "a=1");
    assert_string_equal(l.seen[1], "b=2");
    store_close(st);
    conf_fini(&c);
    test_tmpdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_resources_roundtrip)};

    return cmocka_run_group_tests_name("store/resources", tests, NULL, NULL);
}
