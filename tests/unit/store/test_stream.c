/* tests/unit/store/test_stream.c - the stream log: records come back whole and in order, reads
 * resume after a sequence number, trimming keeps the newest, and two processes appending at
 * once get distinct, gap-free sequence numbers in commit order.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/stream.h"
#include "support/store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *body;
    uint64_t seq;
    size_t max, removed;
    uint64_t after, max_bytes;
    char seen[200][96];
    uint64_t seqs[200];
    size_t n;
} test_stream_t;

static int test_append_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_stream_t *x = arg;

    return store_stream_append(st, txn, "telegraf", "autogen", "s", 1700000000000000000, x->body,
                               strlen(x->body), &x->seq, err);
}

static int test_collect(const store_stream_rec_t *r, void *arg)
{
    test_stream_t *x = arg;

    if (x->n < 200) {
        snprintf(x->seen[x->n], sizeof x->seen[0], "%s/%s/%s/%lld/%.*s", r->db, r->rp, r->precision,
                 (long long)r->now_ns, (int)r->len, r->body);
        x->seqs[x->n] = r->seq;
    }
    x->n++;
    return 0;
}

static int test_read_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_stream_t *x = arg;

    x->n = 0;
    return store_stream_read(st, txn, x->after, x->max, test_collect, x, err);
}

#ifndef TEST_STREAM_CONCURRENT
static int test_trim_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_stream_t *x = arg;

    return store_stream_trim(st, txn, x->max_bytes, &x->removed, err);
}

static void test_stream_order_and_trim(void **state)
{
    test_store_t *t = *state;
    test_stream_t *x = calloc(1, sizeof *x);
    vg_err_t err = {0};
    store_t *st;

    assert_int_equal(store_open(&t->conf, STORE_OPEN_FIRST, &st, &err), VG_OK);
    static const char *bodies[] = {"cpu v=1", "cpu v=2 1", "mem,host=a free=3i"};

    for (size_t i = 0; i < 3; i++) {
        x->body = bodies[i];
        assert_int_equal(store_txn_run(st, test_append_txn, x, &err), VG_OK);
        assert_int_equal(x->seq, i + 1);
    }
    x->max = 100;
    assert_int_equal(store_txn_run(st, test_read_txn, x, &err), VG_OK);
    assert_int_equal(x->n, 3);
    assert_string_equal(x->seen[0], "telegraf/autogen/s/1700000000000000000/cpu v=1");
    assert_string_equal(x->seen[2], "telegraf/autogen/s/1700000000000000000/mem,host=a free=3i");
    x->after = 2;
    assert_int_equal(store_txn_run(st, test_read_txn, x, &err), VG_OK);
    assert_int_equal(x->n, 1);
    assert_int_equal(x->seqs[0], 3);
    x->after = 0;
    x->max = 2;
    assert_int_equal(store_txn_run(st, test_read_txn, x, &err), VG_OK);
    assert_int_equal(x->n, 2);

    /* a bound below one record: all but the newest go */
    x->max_bytes = 10;
    assert_int_equal(store_txn_run(st, test_trim_txn, x, &err), VG_OK);
    assert_int_equal(x->removed, 2);
    x->max = 100;
    assert_int_equal(store_txn_run(st, test_read_txn, x, &err), VG_OK);
    assert_int_equal(x->n, 1);
    assert_int_equal(x->seqs[0], 3);
    /* numbering goes on after the kept record */
    x->body = "cpu v=4";
    assert_int_equal(store_txn_run(st, test_append_txn, x, &err), VG_OK);
    assert_int_equal(x->seq, 4);
    store_close(st);
    free(x);
}

#else
static void test_stream_concurrent_appenders(void **state)
{
    test_store_t *t = *state;
    test_stream_t *x;
    vg_err_t err = {0};
    store_t *st;
    pid_t kids[2];

    assert_int_equal(store_open(&t->conf, STORE_OPEN_FIRST, &st, &err), VG_OK);
    for (int k = 0; k < 2; k++) {
        if ((kids[k] = fork()) == 0) {
            store_t *cst;
            test_stream_t cx = {0};
            char body[32];
            vg_err_t cerr = {0};

            if (store_open(&t->conf, STORE_OPEN_JOIN, &cst, &cerr) != VG_OK)
                _exit(2);
            for (int i = 0; i < 50; i++) {
                snprintf(body, sizeof body, "w%d n=%d", k, i);
                cx.body = body;
                if (store_txn_run(cst, test_append_txn, &cx, &cerr) != VG_OK)
                    _exit(3);
            }
            store_close(cst);
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status;

        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    x = calloc(1, sizeof *x); /* after the forks: the children own nothing to free */
    x->max = 1000;
    assert_int_equal(store_txn_run(st, test_read_txn, x, &err), VG_OK);
    assert_int_equal(x->n, 100);
    int next[2] = {0, 0};

    for (size_t i = 0; i < 100; i++) {
        int w, n;

        assert_int_equal(x->seqs[i], i + 1); /* gap-free */
        if (sscanf(strrchr(x->seen[i], '/') + 1, "w%d n=%d", &w, &n) != 2)
            fail_msg("record %zu: %s", i, x->seen[i]);
        assert_int_equal(n, next[w]); /* each writer's records in its own order */
        next[w]++;
    }
    store_close(st);
    free(x);
}
#endif

int main(void)
{
    /* Built twice: the concurrent case as its own executable (TEST_STREAM_CONCURRENT), which
     * memcheck skips - under valgrind, Berkeley DB's mutex spin between the two writers outlasts
     * the lock timeout; it runs natively and under ASan+UBSan. */
    const struct CMUnitTest tests[] = {
#ifdef TEST_STREAM_CONCURRENT
        cmocka_unit_test_setup_teardown(test_stream_concurrent_appenders, test_store_setup,
                                        test_store_teardown),
#else
        cmocka_unit_test_setup_teardown(test_stream_order_and_trim, test_store_setup,
                                        test_store_teardown),
#endif
    };
    return cmocka_run_group_tests_name("store/stream", tests, NULL, NULL);
}
