/* tests/support/store_fixture.c - see store_fixture.h.
 * SPDX-License-Identifier: MIT */
#include "store_fixture.h"

#include "core/log.h"
#include "tmpdir.h"

#include <stdlib.h>
#include <string.h>

int test_store_setup(void **state)
{
    test_store_t *t = calloc(1, sizeof *t);

    if (t == NULL)
        return -1;
    t->dir = test_tmpdir_new();
    conf_defaults(&t->conf);
    free(t->conf.store_home);
    t->conf.store_home = strdup(t->dir);
    t->conf.store_cache_mb = 8;
    t->conf.store_lock_timeout_ms = 3000; /* a wedged lock fails the test instead of hanging it */
    vg_log_init("test", LOG_ERR);
    *state = t;
    return 0;
}

int test_store_teardown(void **state)
{
    test_store_t *t = *state;

    conf_fini(&t->conf);
    test_tmpdir_free(t->dir);
    free(t);
    return 0;
}

int test_open_store_setup(void **state)
{
    test_open_store_t *t = calloc(1, sizeof *t);
    vg_err_t err = {0};

    if (t == NULL || test_store_setup((void **)&t->fx) != 0)
        return -1;
    if (store_open(&t->fx->conf, STORE_OPEN_FIRST, &t->st, &err) != VG_OK)
        return -1;
    vg_arena_init(&t->a, 0);
    *state = t;
    return 0;
}

int test_open_store_teardown(void **state)
{
    test_open_store_t *t = *state;

    vg_arena_fini(&t->a);
    store_close(t->st);
    test_store_teardown((void **)&t->fx);
    free(t);
    return 0;
}

int test_meta_put_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_meta_t *p = arg;

    p->attempts++;
    if (p->attempts <= p->fail_first)
        return VG_ERETRY;
    return store_meta_put(st, txn, p->key, p->val, strlen(p->val), err);
}

int test_meta_get_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    static char buf[64];
    test_meta_t *p = arg;
    size_t len = 0;
    int rc = store_meta_get(st, txn, p->key, buf, sizeof buf - 1, &len, err);

    buf[rc == VG_OK ? len : 0] = '\0';
    p->val = buf;
    return rc;
}
