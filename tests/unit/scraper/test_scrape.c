/* tests/unit/scraper/test_scrape.c - scrape_commit() and friends on a real store, without HTTP:
 * honor_labels=false relabelling (job/instance, exported_*), the synthetic series on success,
 * failure and parse errors, staleness bookkeeping (a disappearing series, a failed scrape, an
 * explicit timestamp, a host that is gone, a target that is removed), metadata, the format by
 * Content-Type, and target status (a deleted target's status is a no-op).
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "ingest/scraper/scrape.h"
#include "store/inventory.h"
#include "store/series.h"
#include "support/store_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_P "p1"

/* "k=v,k=v" of a label set. */
static const char *test_labels_str(const ing_label_t *l, size_t n, vg_arena_t *a)
{
    vg_buf_t b;

    vg_buf_init(&b, a);
    for (size_t i = 0; i < n; i++)
        vg_buf_printf(&b, "%s%s=%s", i ? "," : "", l[i].name, l[i].value);
    return b.p;
}

static void test_scrape_relabel(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"__name__=a", "__name__=a,instance=h:1,job=j"},
        {"__name__=a,job=app", "__name__=a,exported_job=app,instance=h:1,job=j"},
        {"__name__=a,instance=x,job=y",
         "__name__=a,exported_instance=x,exported_job=y,instance=h:1,job=j"},
        /* exported_job is taken by the scrape: the conflict becomes exported_exported_job */
        {"__name__=a,exported_job=e,job=app",
         "__name__=a,exported_exported_job=app,exported_job=e,instance=h:1,job=j"},
        /* an empty value is no label, so no conflict either */
        {"__name__=a,foo=,job=", "__name__=a,instance=h:1,job=j"},
        {"__name__=a,zone=z", "__name__=a,instance=h:1,job=j,zone=z"},
    };
    const ing_label_t tl[2] = {{"instance", "h:1"}, {"job", "j"}};
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ing_label_t in[8], *out;
        size_t n = 0, k;
        char *s = vg_arena_strdup(&a, cases[i].in), *save = NULL;
        const char *got;

        for (char *kv = strtok_r(s, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');

            *eq = '\0';
            in[n++] = (ing_label_t){kv, eq + 1};
        }
        k = scrape_relabel(in, n, tl, 2, &a, &out);
        got = test_labels_str(out, k, &a);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu \"%s\": got %s, want %s", i, cases[i].in, got, cases[i].want);
    }
    vg_arena_fini(&a);
}

static void test_scrape_host_port(void **state)
{
    char buf[64];

    scrape_host_port(buf, sizeof buf, "10.0.0.1", 9100);
    assert_string_equal(buf, "10.0.0.1:9100");
    scrape_host_port(buf, sizeof buf, "::1", 9100);
    assert_string_equal(buf, "[::1]:9100");
}

/* ---- store helpers ---- */

typedef struct {
    test_store_t *fx;
    store_t *st;
    vg_arena_t a;
    scrape_memo_t memo;
} test_ctx_t;

static int test_setup(void **state)
{
    test_ctx_t *c = calloc(1, sizeof *c);
    vg_err_t err = {0};

    if (c == NULL || test_store_setup((void **)&c->fx) != 0)
        return -1;
    if (store_open(&c->fx->conf, STORE_OPEN_FIRST, &c->st, &err) != VG_OK) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        return -1;
    }
    vg_arena_init(&c->a, 0);
    *state = c;
    return 0;
}

static int test_teardown(void **state)
{
    test_ctx_t *c = *state;

    scrape_memo_fini(&c->memo);
    vg_arena_fini(&c->a);
    store_close(c->st);
    test_store_teardown((void **)&c->fx);
    free(c);
    return 0;
}

typedef struct {
    const char *kind, *rest;
    json_object *doc; /* put: the document; get: the result (caller puts it) */
    int del;
} test_doc_t;

static int test_doc_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_doc_t *d = arg;

    if (d->del)
        return inv_del(st, txn, d->kind, TEST_P, d->rest, err);
    if (d->doc != NULL)
        return inv_put(st, txn, d->kind, TEST_P, d->rest, d->doc, err);
    return inv_get(st, txn, d->kind, TEST_P, d->rest, &d->doc, err);
}

/* Registers target j1/t1 (only its existence matters to the status). */
static void test_target_put(test_ctx_t *c)
{
    test_doc_t d = {INV_TARGET, "j1/t1", json_object_new_object(), 0};
    vg_err_t err = {0};

    json_object_object_add(d.doc, "targetId", json_object_new_string("t1"));
    if (store_txn_run(c->st, test_doc_txn, &d, &err) != VG_OK)
        fail_msg("target put: %s", err.msg);
    json_object_put(d.doc);
}

static void test_doc_del(test_ctx_t *c, const char *kind)
{
    test_doc_t d = {kind, "j1/t1", NULL, 1};
    vg_err_t err = {0};
    int rc = store_txn_run(c->st, test_doc_txn, &d, &err);

    if (rc != VG_OK && rc != VG_ENOTFOUND)
        fail_msg("del %s: %s", kind, err.msg);
}

/* The target status document as "resultCd failReason mntrnStatCd", or "none". */
static const char *test_status(test_ctx_t *c)
{
    test_doc_t d = {INV_TARGET_STATUS, "j1/t1", NULL, 0};
    vg_err_t err = {0};
    json_object *v = NULL;
    const char *s;
    int rc = store_txn_run(c->st, test_doc_txn, &d, &err);

    if (rc == VG_ENOTFOUND)
        return "none";
    if (rc != VG_OK)
        fail_msg("status get: %s", err.msg);
    json_object_object_get_ex(d.doc, "failReason", &v);
    s = vg_arena_sprintf(&c->a, "%d %s %s",
                         json_object_get_int(json_object_object_get(d.doc, "resultCd")),
                         v != NULL ? json_object_get_string(v) : "-",
                         json_object_get_string(json_object_object_get(d.doc, "mntrnStatCd")));
    json_object_put(d.doc);
    return s;
}

typedef struct {
    const char *name;
    vg_arena_t *a;
    vg_buf_t out;
} test_dump_t;

static int test_dump_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_dump_t *d = arg;
    store_matcher_t m = {STORE_M_EQ, "__name__", d->name, NULL, NULL};
    store_series_t *s;
    size_t n;
    int rc;

    d->out.len = 0;
    d->out.p[0] = '\0';
    if ((rc = store_series_select(st, txn, TEST_P, &m, 1, d->a, &s, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        store_sample_t *smp;
        size_t ns;

        if ((rc = store_series_samples(st, txn, s[i].id, INT64_MIN, INT64_MAX, d->a, &smp, &ns,
                                       err)) < 0)
            return rc;
        vg_buf_printf(&d->out, "%s%s", i ? "; " : "",
                      test_labels_str(s[i].labels, s[i].nlabels, d->a));
        for (size_t k = 0; k < ns; k++) {
            if (ing_is_stale(smp[k].v))
                vg_buf_printf(&d->out, " stale@%lld", (long long)smp[k].t);
            else
                vg_buf_printf(&d->out, " %g@%lld", smp[k].v, (long long)smp[k].t);
        }
    }
    return VG_OK;
}

/* Every series named name and its samples: "labels v@t v@t; labels ...". */
static const char *test_dump(test_ctx_t *c, const char *name)
{
    test_dump_t d = {name, &c->a, {0}};
    vg_err_t err = {0};

    vg_buf_init(&d.out, &c->a);
    if (store_txn_run(c->st, test_dump_txn, &d, &err) != VG_OK)
        fail_msg("dump %s: %s", name, err.msg);
    return d.out.p;
}

/* The values of one synthetic series, for job j1 at 10.0.0.1:9100. */
static const char *test_syn(test_ctx_t *c, const char *name)
{
    const char *s = test_dump(c, name);
    const char *want = vg_arena_sprintf(&c->a, "__name__=%s,instance=10.0.0.1:9100,job=j1 ", name);

    if (strncmp(s, want, strlen(want)) != 0)
        fail_msg("%s: got [%s], want labels %s", name, s, want);
    return s + strlen(want);
}

static scrape_report_t test_commit(test_ctx_t *c, int64_t t, const char *body, const char *ct,
                                   const char *error)
{
    scrape_result_t r = {.project = TEST_P,
                         .job_id = "j1",
                         .target_id = "t1",
                         .host_id = "h1",
                         .job_name = "j1",
                         .instance = "10.0.0.1:9100",
                         .start_ms = t,
                         .duration_s = 0.25,
                         .error = error,
                         .body = body,
                         .len = body != NULL ? strlen(body) : 0,
                         .content_type = ct};
    scrape_report_t rep;
    vg_err_t err = {0};

    if (scrape_commit(c->st, &c->memo, &r, &c->a, &rep, &err) != VG_OK)
        fail_msg("commit at %lld: %s", (long long)t, err.msg);
    if (rep.fail_reason != NULL) /* it lives in the arena the checks reset */
        rep.fail_reason = strdup(rep.fail_reason);
    return rep;
}

typedef struct {
    const char *metric;
    vg_arena_t *a;
    ing_meta_t *m;
    size_t n;
} test_md_t;

static int test_md_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    test_md_t *x = arg;

    return store_series_metadata(st, txn, TEST_P, x->metric, x->a, &x->m, &x->n, err);
}

#define TEST_LBL(name) "__name__=" name ",instance=10.0.0.1:9100,job=j1"

static void test_scrape_success(void **state)
{
    test_ctx_t *c = *state;
    scrape_report_t rep;
    vg_err_t err = {0};

    test_target_put(c);
    rep = test_commit(c, 1000,
                      "# HELP req_total Requests served.\n# TYPE req_total counter\n"
                      "req_total{code=\"200\",job=\"app\"} 5\ntemp 21.5\n",
                      "text/plain; version=0.0.4; charset=utf-8", NULL);
    assert_int_equal(rep.up, 1);
    assert_null(rep.fail_reason);
    assert_int_equal(rep.scraped, 2);
    assert_int_equal(rep.post_relabel, 2);
    assert_int_equal(rep.series_added, 2);
    assert_int_equal(rep.stale, 0);
    assert_int_equal(rep.status_written, 1);
    assert_string_equal(test_dump(c, "req_total"),
                        "__name__=req_total,code=200,exported_job=app,instance=10.0.0.1:9100,"
                        "job=j1 5@1000");
    assert_string_equal(test_dump(c, "temp"), TEST_LBL("temp") " 21.5@1000");
    assert_string_equal(test_syn(c, "up"), "1@1000");
    assert_string_equal(test_syn(c, "scrape_duration_seconds"), "0.25@1000");
    assert_string_equal(test_syn(c, "scrape_samples_scraped"), "2@1000");
    assert_string_equal(test_syn(c, "scrape_samples_post_metric_relabeling"), "2@1000");
    assert_string_equal(test_syn(c, "scrape_series_added"), "2@1000");
    assert_string_equal(test_status(c), "0 - UP");

    /* the exposition's metadata, as import stores it */
    test_md_t x = {"req_total", &c->a, NULL, 0};

    if (store_txn_run(c->st, test_md_txn, &x, &err) != VG_OK)
        fail_msg("metadata: %s", err.msg);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.m[0].type, "counter");
    assert_string_equal(x.m[0].help, "Requests served.");

    /* the same series again: nothing added */
    rep = test_commit(c, 2000, "req_total{code=\"200\",job=\"app\"} 6\ntemp 22\n", NULL, NULL);
    assert_int_equal(rep.series_added, 0);
    assert_string_equal(test_syn(c, "scrape_series_added"), "2@1000 0@2000");

    /* metadata is written again when it changes (unchanged, the write is skipped) */
    test_commit(c, 3000, "# HELP req_total Requests.\n# TYPE req_total counter\nreq_total 7\n",
                NULL, NULL);
    test_commit(c, 4000, "# HELP req_total Requests.\n# TYPE req_total counter\nreq_total 8\n",
                NULL, NULL);
    test_commit(c, 5000, "# HELP req_total Served.\n# TYPE req_total counter\nreq_total 9\n", NULL,
                NULL);
    if (store_txn_run(c->st, test_md_txn, &x, &err) != VG_OK)
        fail_msg("metadata: %s", err.msg);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.m[0].help, "Served.");
}

static void test_scrape_staleness(void **state)
{
    test_ctx_t *c = *state;
    scrape_report_t rep;

    test_target_put(c);
    test_commit(c, 1000, "a 1\nb 2\n", NULL, NULL);
    /* b disappears: a marker at this scrape's time */
    rep = test_commit(c, 2000, "a 3\n", NULL, NULL);
    assert_int_equal(rep.stale, 1);
    assert_string_equal(test_dump(c, "b"), TEST_LBL("b") " 2@1000 stale@2000");
    /* a failed scrape makes every scraped series stale, not the synthetic ones */
    rep = test_commit(c, 3000, NULL, NULL, "server returned HTTP status 500 Internal Server Error");
    assert_int_equal(rep.up, 0);
    assert_int_equal(rep.stale, 1);
    assert_string_equal(rep.fail_reason, "server returned HTTP status 500 Internal Server Error");
    free((char *)rep.fail_reason);
    assert_string_equal(test_dump(c, "a"), TEST_LBL("a") " 1@1000 3@2000 stale@3000");
    assert_string_equal(test_syn(c, "up"), "1@1000 1@2000 0@3000");
    assert_string_equal(test_status(c),
                        "1 server returned HTTP status 500 Internal Server Error DOWN");
    /* back: both count as new again (the failure emptied the set), nothing goes stale */
    rep = test_commit(c, 4000, "a 4\nb 5\n", NULL, NULL);
    assert_int_equal(rep.series_added, 2);
    assert_int_equal(rep.stale, 0);
    assert_string_equal(test_dump(c, "b"), TEST_LBL("b") " 2@1000 stale@2000 5@4000");
    assert_string_equal(test_status(c), "0 - UP");
    /* a series with its own timestamp is never marked stale */
    test_commit(c, 5000, "a 6\nc 7 4500\n", NULL, NULL);
    rep = test_commit(c, 6000, "a 8\n", NULL, NULL);
    assert_int_equal(rep.stale, 0);
    assert_string_equal(test_dump(c, "c"), TEST_LBL("c") " 7@4500");
    assert_string_equal(test_dump(c, "b"), TEST_LBL("b") " 2@1000 stale@2000 5@4000 stale@5000");
    /* the same series twice in one scrape is one series */
    rep = test_commit(c, 7000, "a 9\na 10\n", NULL, NULL);
    assert_int_equal(rep.series_added, 0);
    assert_int_equal(rep.stale, 0);
}

static void test_scrape_parse_error(void **state)
{
    test_ctx_t *c = *state;
    scrape_report_t rep;

    test_target_put(c);
    test_commit(c, 1000, "a 1\n", NULL, NULL);
    rep = test_commit(c, 2000, "a 2\nb 3\n{garbage\n", "text/plain", NULL);
    assert_int_equal(rep.up, 0);
    assert_non_null(rep.fail_reason);
    if (strncmp(rep.fail_reason, "text format parsing error in line 3", 35) != 0)
        fail_msg("fail_reason: %s", rep.fail_reason);
    /* Prometheus reports the partial parse's counts, but writes none of its samples */
    assert_int_equal(rep.scraped, 2);
    assert_int_equal(rep.series_added, 1);
    assert_int_equal(rep.stale, 1);
    assert_string_equal(test_dump(c, "a"), TEST_LBL("a") " 1@1000 stale@2000");
    assert_string_equal(test_dump(c, "b"), "");
    assert_string_equal(test_syn(c, "up"), "1@1000 0@2000");
    assert_string_equal(test_syn(c, "scrape_samples_scraped"), "1@1000 2@2000");
    assert_string_equal(test_status(c), vg_arena_sprintf(&c->a, "1 %s DOWN", rep.fail_reason));
    free((char *)rep.fail_reason);

    /* OpenMetrics by Content-Type (second timestamps, # EOF); anything unknown is text */
    rep = test_commit(c, 3000, "a 4 2.5\n# EOF\n", "application/openmetrics-text; version=1.0.0",
                      NULL);
    assert_int_equal(rep.up, 1);
    rep = test_commit(c, 4000, "a 5\n", "application/json", NULL);
    assert_int_equal(rep.up, 1);
    assert_string_equal(test_dump(c, "a"), TEST_LBL("a") " 1@1000 stale@2000 4@2500 5@4000");
}

static void test_scrape_failure_synthetic(void **state)
{
    test_ctx_t *c = *state;
    scrape_report_t rep;

    test_target_put(c);
    rep = test_commit(c, 1000, NULL, NULL,
                      "Get \"http://10.0.0.1:9100/metrics\": context deadline "
                      "exceeded");
    free((char *)rep.fail_reason);
    assert_int_equal(rep.up, 0);
    assert_int_equal(rep.stale, 0);
    assert_string_equal(test_syn(c, "up"), "0@1000");
    assert_string_equal(test_syn(c, "scrape_duration_seconds"), "0.25@1000");
    assert_string_equal(test_syn(c, "scrape_samples_scraped"), "0@1000");
    assert_string_equal(test_syn(c, "scrape_samples_post_metric_relabeling"), "0@1000");
    assert_string_equal(test_syn(c, "scrape_series_added"), "0@1000");
    assert_string_equal(test_status(c),
                        "1 Get \"http://10.0.0.1:9100/metrics\": context deadline exceeded DOWN");
}

static void test_scrape_deleted_target(void **state)
{
    test_ctx_t *c = *state;
    scrape_report_t rep;

    /* never registered: the samples are written, the status is not */
    rep = test_commit(c, 1000, "a 1\n", NULL, NULL);
    assert_int_equal(rep.status_written, 0);
    assert_string_equal(test_status(c), "none");
    assert_string_equal(test_dump(c, "a"), TEST_LBL("a") " 1@1000");
    /* registered: recorded; deleted (target and status): it stays deleted */
    test_target_put(c);
    rep = test_commit(c, 2000, "a 2\n", NULL, NULL);
    assert_int_equal(rep.status_written, 1);
    assert_string_equal(test_status(c), "0 - UP");
    test_doc_del(c, INV_TARGET);
    test_doc_del(c, INV_TARGET_STATUS);
    rep = test_commit(c, 3000, NULL, NULL, "boom");
    free((char *)rep.fail_reason);
    assert_int_equal(rep.status_written, 0);
    assert_string_equal(test_status(c), "none");
}

static void test_scrape_host_gone(void **state)
{
    test_ctx_t *c = *state;
    scrape_result_t r = {.project = TEST_P,
                         .job_id = "j1",
                         .target_id = "t1",
                         .host_id = "h1",
                         .job_name = "j1",
                         .instance = NULL,
                         .start_ms = 2000};
    scrape_report_t rep;
    vg_err_t err = {0};

    test_target_put(c);
    test_commit(c, 1000, "a 1\n", NULL, NULL);
    assert_int_equal(scrape_commit(c->st, &c->memo, &r, &c->a, &rep, &err), VG_OK);
    assert_int_equal(rep.up, 0);
    assert_string_equal(rep.fail_reason, "host h1 is not registered");
    assert_int_equal(rep.stale, 6); /* a and the five synthetic series */
    assert_string_equal(test_status(c), "1 host h1 is not registered DOWN");
    assert_string_equal(test_dump(c, "a"), TEST_LBL("a") " 1@1000 stale@2000");
    assert_string_equal(test_syn(c, "up"), "1@1000 stale@2000");
    assert_int_equal(c->memo.n, 0);
    /* and again: nothing left to mark */
    r.start_ms = 3000;
    assert_int_equal(scrape_commit(c->st, &c->memo, &r, &c->a, &rep, &err), VG_OK);
    assert_int_equal(rep.stale, 0);
}

static void test_scrape_forget(void **state)
{
    test_ctx_t *c = *state;
    vg_err_t err = {0};
    size_t stale = 0;

    test_target_put(c);
    test_commit(c, 1000, "a 1\nb 2 500\n", NULL, NULL);
    assert_int_equal(scrape_forget(c->st, &c->memo, TEST_P, 5000, &c->a, &stale, &err), VG_OK);
    assert_int_equal(stale, 6); /* a and the synthetic series; b carries its own timestamp */
    assert_int_equal(c->memo.n, 0);
    assert_string_equal(test_dump(c, "a"), TEST_LBL("a") " 1@1000 stale@5000");
    assert_string_equal(test_dump(c, "b"), TEST_LBL("b") " 2@500");
    assert_string_equal(test_syn(c, "scrape_duration_seconds"), "0.25@1000 stale@5000");
    /* an empty memo writes nothing */
    assert_int_equal(scrape_forget(c->st, &c->memo, TEST_P, 6000, &c->a, &stale, &err), VG_OK);
    assert_int_equal(stale, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scrape_relabel),
        cmocka_unit_test(test_scrape_host_port),
        cmocka_unit_test_setup_teardown(test_scrape_success, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_staleness, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_parse_error, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_failure_synthetic, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_deleted_target, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_host_gone, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_forget, test_setup, test_teardown),
    };

    return cmocka_run_group_tests_name("scraper/scrape", tests, NULL, NULL);
}
