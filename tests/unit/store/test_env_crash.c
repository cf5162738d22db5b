/* tests/unit/store/test_env_crash.c - the crash case DESIGN.md describes: a process killed while
 * holding a write lock in an open transaction must not wedge the others once failchk has run,
 * and a process started afterwards joins and writes. Not run under valgrind: there Berkeley DB's
 * mutex spin, which probes the holder with is_alive on every turn, stretches this to ~10 minutes;
 * it runs natively and under ASan+UBSan.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support/store_fixture.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int test_hold_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    int *pipefd = arg;
    int rc = store_meta_put(st, txn, "locked", "dead", 4, err);

    if (rc != VG_OK)
        return rc;
    /* tell the parent the write lock is held, then die inside the transaction */
    if (write(pipefd[1], "x", 1) != 1)
        _exit(3);
    raise(SIGKILL);
    return VG_OK;
}

static void test_env_killed_lock_holder_is_cleaned_by_failchk(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    vg_err_t err = {0};
    int pipefd[2], status;
    char c;

    assert_int_equal(store_open(&t->conf, STORE_OPEN_FIRST, &st, &err), VG_OK);
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();

    if (pid == 0) {
        store_t *cst;
        vg_err_t cerr = {0};

        close(pipefd[0]);
        if (store_open(&t->conf, STORE_OPEN_JOIN, &cst, &cerr) != VG_OK)
            _exit(2);
        store_txn_run(cst, test_hold_txn, pipefd, &cerr);
        _exit(4); /* not reached */
    }
    close(pipefd[1]);
    assert_int_equal(read(pipefd[0], &c, 1), 1);
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    /* the master's job: failchk frees the dead process's lock and aborts its transaction */
    assert_int_equal(store_failchk(st, &err), VG_OK);
    assert_false(store_panicked(st));
    test_meta_t put = {"locked", "alive", 0, 0}, get = {"locked", NULL, 0, 0};

    if (store_txn_run(st, test_meta_put_txn, &put, &err) != VG_OK)
        fail_msg("write after failchk: %s", err.msg);
    assert_int_equal(store_txn_run(st, test_meta_get_txn, &get, &err), VG_OK);
    assert_string_equal(get.val, "alive");

    /* and a newly started process joins and writes */
    pid = fork();
    if (pid == 0) {
        store_t *cst;
        vg_err_t cerr = {0};
        test_meta_t p2 = {"joined", "yes", 0, 0};

        if (store_open(&t->conf, STORE_OPEN_JOIN, &cst, &cerr) != VG_OK)
            _exit(2);
        int rc = store_txn_run(cst, test_meta_put_txn, &p2, &cerr);

        store_close(cst);
        _exit(rc == VG_OK ? 0 : 5);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    get.key = "joined";
    assert_int_equal(store_txn_run(st, test_meta_get_txn, &get, &err), VG_OK);
    assert_string_equal(get.val, "yes");
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_killed_lock_holder_is_cleaned_by_failchk,
                                        test_store_setup, test_store_teardown),
    };
    return cmocka_run_group_tests_name("store/env_crash", tests, NULL, NULL);
}
