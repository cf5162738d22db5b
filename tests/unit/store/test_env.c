/* tests/unit/store/test_env.c - the shared environment: open modes, the transaction helper and
 * its retry, statistics and checkpoints. The crash case is in test_env_crash.c.
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

static void test_env_open_write_read(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    vg_err_t err = {0};
    test_meta_t put = {"k", "v1", 0, 0}, get = {"k", NULL, 0, 0};

    if (store_open(&t->conf, STORE_OPEN_FIRST, &st, &err) != VG_OK)
        fail_msg("open: %s", err.msg);
    assert_int_equal(store_ping(st, &err), VG_OK);
    assert_int_equal(store_txn_run(st, test_meta_put_txn, &put, &err), VG_OK);
    store_close(st);
    /* reopened (recovering, since nobody is attached), the write is there */
    assert_int_equal(store_open(&t->conf, STORE_OPEN_AUTO, &st, &err), VG_OK);
    assert_int_equal(store_txn_run(st, test_meta_get_txn, &get, &err), VG_OK);
    assert_string_equal(get.val, "v1");
    get.key = "absent";
    assert_int_equal(store_txn_run(st, test_meta_get_txn, &get, &err), VG_ENOTFOUND);
    store_close(st);
}

static void test_env_retry_after_deadlock(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    vg_err_t err = {0};
    test_meta_t put = {"r", "x", 0, 2};

    assert_int_equal(store_open(&t->conf, STORE_OPEN_FIRST, &st, &err), VG_OK);
    assert_int_equal(store_txn_run(st, test_meta_put_txn, &put, &err), VG_OK);
    assert_int_equal(put.attempts, 3);
    /* more losses than [store] txn_retries allows: a 503-class error, not a hang */
    put = (test_meta_t){"r", "y", 0, 1000};
    assert_int_equal(store_txn_run(st, test_meta_put_txn, &put, &err), VG_EUNAVAIL);
    assert_int_equal(put.attempts, t->conf.store_txn_retries + 1);
    assert_string_equal(err.msg, "storage busy, try again");
    store_close(st);
}

static void test_env_stats_and_checkpoint(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    store_stats_t s;
    vg_err_t err = {0};

    assert_int_equal(store_open(&t->conf, STORE_OPEN_FIRST, &st, &err), VG_OK);
    assert_int_equal(store_checkpoint(st, 1, &err), VG_OK);
    assert_int_equal(store_stats(st, STORE_STATS_ALL, &s, &err), VG_OK);
    assert_true(s.log_bytes > 0);
    assert_true(s.last_checkpoint_s > 0);
    assert_int_equal(s.active_txns, 0);
    store_close(st);
}

static void test_env_unusable_home(void **state)
{
    test_store_t *t = *state;
    store_t *st;
    vg_err_t err = {0};

    free(t->conf.store_home);
    t->conf.store_home = strdup("/proc/vigil-cannot-live-here");
    assert_int_equal(store_open(&t->conf, STORE_OPEN_AUTO, &st, &err), VG_EUNAVAIL);
    assert_null(st);
    assert_non_null(strstr(err.msg, "/proc/vigil-cannot-live-here"));
}

/* A worker that exited but is not reaped yet is dead to the failure checks: otherwise a master
 * waiting in Berkeley DB on that worker's mutex would wait for ever. */
static void test_env_zombie_is_dead(void **state)
{
    pid_t pid;
    int status;

    (void)state;
    assert_int_equal(store_pid_alive(getpid()), 1);
    pid = fork();
    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    /* wait until it is a zombie: then it is dead, though kill(pid, 0) still succeeds */
    for (int i = 0; i < 200 && store_pid_alive(pid); i++)
        usleep(10000);
    assert_int_equal(kill(pid, 0), 0);
    assert_int_equal(store_pid_alive(pid), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(store_pid_alive(pid), 0);
    /* a live child is alive */
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    assert_int_equal(store_pid_alive(pid), 1);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_zombie_is_dead),
        cmocka_unit_test_setup_teardown(test_env_open_write_read, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_env_retry_after_deadlock, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_env_stats_and_checkpoint, test_store_setup,
                                        test_store_teardown),
        cmocka_unit_test_setup_teardown(test_env_unusable_home, test_store_setup,
                                        test_store_teardown),
    };
    return cmocka_run_group_tests_name("store/env", tests, NULL, NULL);
}
