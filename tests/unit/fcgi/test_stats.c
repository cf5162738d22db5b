/* tests/unit/fcgi/test_stats.c - counters shared across processes: children counting at once
 * add up exactly in the parent's view.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fcgi/stats.h"
#include "support/tmpdir.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_stats_shared_across_processes(void **state)
{
    char *dir = test_tmpdir_new();
    pid_t kids[4];
    vg_buf_t out;

    assert_int_equal(fc_stats_open(dir), 0);
    for (int k = 0; k < 4; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            char route[32];

            for (int i = 0; i < 5000; i++) {
                /* many distinct routes at once: slot claiming races between processes */
                snprintf(route, sizeof route, "/r%d", i % 50);
                fc_stats_request(route, "GET", 200, 1500);
            }
            fc_stats_worker_restart();
            _exit(0);
        }
    }
    for (int k = 0; k < 4; k++) {
        int status;

        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    vg_buf_init(&out, NULL);
    fc_stats_render(&out);
    for (int r = 0; r < 50; r++) {
        char want[160];

        snprintf(want, sizeof want,
                 "vigil_http_requests_total{route=\"/r%d\",method=\"GET\",code=\"200\"} 400\n", r);
        if (strstr(out.p, want) == NULL)
            fail_msg("missing %s in\n%.2000s", want, out.p);
        snprintf(want, sizeof want,
                 "vigil_http_request_duration_seconds_bucket{route=\"/r%d\",le=\"0.001\"} 0\n", r);
        assert_non_null(strstr(out.p, want));
        snprintf(want, sizeof want,
                 "vigil_http_request_duration_seconds_bucket{route=\"/r%d\",le=\"0.0025\"} 400\n",
                 r);
        assert_non_null(strstr(out.p, want));
    }
    assert_non_null(strstr(out.p, "vigil_worker_restarts_total 4\n"));
    vg_buf_fini(&out);
    fc_stats_close();
    /* a second mapping of the same file sees the same numbers */
    assert_int_equal(fc_stats_open(dir), 0);
    vg_buf_init(&out, NULL);
    fc_stats_render(&out);
    assert_non_null(strstr(out.p, "vigil_worker_restarts_total 4\n"));
    vg_buf_fini(&out);
    fc_stats_close();
    test_tmpdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stats_shared_across_processes)};

    return cmocka_run_group_tests_name("fcgi/stats", tests, NULL, NULL);
}
