/* tests/support/store_fixture.h - a config pointing at a fresh store directory, as cmocka
 * setup/teardown, and meta-database transactions for store tests.
 * SPDX-License-Identifier: MIT */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include "conf/conf.h"
#include "store/store.h"

typedef struct {
    char *dir;
    conf_t conf; /* defaults; store home = dir, small cache, 3 s lock timeout */
} test_store_t;

/* cmocka setup/teardown: *state becomes a test_store_t. */
int test_store_setup(void **state);
int test_store_teardown(void **state);

/* A fresh store opened as the first process, and an arena: the setup most store tests need. */
typedef struct {
    test_store_t *fx;
    store_t *st;
    vg_arena_t a;
} test_open_store_t;

/* cmocka setup/teardown: *state becomes a test_open_store_t. */
int test_open_store_setup(void **state);
int test_open_store_teardown(void **state);

typedef struct {
    const char *key, *val; /* val: what to put, or what get found (valid until the next get) */
    int attempts;          /* how many times the transaction body ran */
    int fail_first;        /* put answers VG_ERETRY (a lost deadlock) this many times first */
} test_meta_t;

/* store_txn_fn bodies: put arg->val under arg->key; get it into arg->val. */
int test_meta_put_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err);
int test_meta_get_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err);

#endif
