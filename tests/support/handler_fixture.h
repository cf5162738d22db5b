/* tests/support/handler_fixture.h - a worker with a store in a fresh directory, as cmocka
 * setup/teardown, for handler tests that drive fc_serve() through fake_req.
 * SPDX-License-Identifier: MIT */
#ifndef TEST_HANDLER_FIXTURE_H
#define TEST_HANDLER_FIXTURE_H

#include "fcgi/serve.h"
#include "store_fixture.h"

typedef struct {
    test_store_t *fx; /* the config and its directory */
    fc_worker_t w;    /* w.store is open (STORE_OPEN_FIRST) */
} test_handler_t;

/* *state becomes a test_handler_t; TEST_APPKEY is registered for [store] default_project. */
int test_handler_setup(void **state);
int test_handler_teardown(void **state);

#endif
