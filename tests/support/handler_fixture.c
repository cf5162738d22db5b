/* tests/support/handler_fixture.c - see handler_fixture.h.
 * SPDX-License-Identifier: MIT */
#include "handler_fixture.h"

#include "fake_req.h"
#include "store/inventory.h"

#include <stdlib.h>

static int test_handler_key(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    const conf_t *c = arg;

    return inv_appkey_add(st, txn, c->store_default_project, TEST_APPKEY, 0, err);
}

int test_handler_setup(void **state)
{
    test_handler_t *t = calloc(1, sizeof *t);
    vg_err_t err = {0};

    if (t == NULL || test_store_setup((void **)&t->fx) != 0)
        return -1;
    t->w.conf = &t->fx->conf;
    vg_arena_init(&t->w.arena, 0);
    if (store_open(&t->fx->conf, STORE_OPEN_FIRST, &t->w.store, &err) != VG_OK ||
        store_txn_run(t->w.store, test_handler_key, &t->fx->conf, &err) != VG_OK)
        return -1;
    *state = t;
    return 0;
}

int test_handler_teardown(void **state)
{
    test_handler_t *t = *state;

    store_close(t->w.store);
    vg_arena_fini(&t->w.arena);
    test_store_teardown((void **)&t->fx);
    free(t);
    return 0;
}
