/* tests/unit/store/test_events.c - the StackTach event store (store/events.c): raws and their
 * index range scans (bounds, order, ties, window, filters), id sequences per table, distinct
 * events and hosts, deployments, the derived timings, KPI trackers and instance usage
 * (specs/stacktach.md §2), image usage, reports, and that an aborted write leaves nothing.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/events.h"
#include "support/store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S  1000000LL          /* a second in microseconds */
#define T0 (1394452800LL * S) /* 2014-03-10 12:00:00 */

typedef test_open_store_t test_ev_t;

#define test_setup    test_open_store_setup
#define test_teardown test_open_store_teardown

/* ---- helpers ---- */

/* A nova message as the parser would make it: publisher "compute.<host>" (host NULL: "compute"),
 * service "compute" unless api is set. */
static sk_msg_t msg(vg_arena_t *a, int64_t when, const char *event, const char *instance,
                    const char *request, const char *host)
{
    sk_msg_t m;

    memset(&m, 0, sizeof m);
    m.table = SK_NOVA;
    m.routing_key = "monitor.info";
    m.when_us = when;
    m.event = event;
    m.host = host;
    m.publisher = host != NULL ? vg_arena_sprintf(a, "compute.%s", host) : "compute";
    m.service = "compute";
    m.request_id = request != NULL ? request : "";
    m.instance = instance;
    m.tenant = "t1";
    m.state = "active";
    m.old_state = "";
    m.old_task = NULL;
    m.task = "";
    m.os_architecture = m.os_distro = m.os_version = m.rax_options = "";
    m.json = vg_arena_sprintf(a, "[\"monitor.info\", {\"event_type\": \"%s\"}]", event);
    m.json_len = strlen(m.json);
    m.launched_at_us = m.deleted_at_us = m.terminated_at_us = SK_NO_TIME;
    m.audit_begin_us = m.audit_end_us = SK_NO_TIME;
    m.created_at_us = m.image_deleted_at_us = SK_NO_TIME;
    return m;
}

/* Stores the message, then fails: the transaction aborts. */
static int put_then_fail_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    uint64_t id;
    int rc = sk_store_message(st, txn, "default", "region-1", arg, T0 / 1000, &id, err);

    return rc == VG_OK ? vg_fail(err, VG_EINVAL, "abort on purpose") : rc;
}

static uint64_t put_dep(test_ev_t *t, const sk_msg_t *m, const char *dep)
{
    uint64_t id = 0;
    vg_err_t err = {0};

    assert_int_equal(sk_ingest(t->st, "default", dep, m, T0 / 1000, &id, &err), VG_OK);
    return id;
}

static uint64_t put(test_ev_t *t, const sk_msg_t *m)
{
    return put_dep(t, m, "region-1");
}

static size_t query(test_ev_t *t, sk_query_t *q, sk_raw_t **rows)
{
    size_t n = 0;
    vg_err_t err = {0};

    if (q->limit == 0)
        q->limit = 1000;
    assert_int_equal(sk_raws_query(t->st, NULL, &t->a, q, rows, &n, &err), VG_OK);
    return n;
}

static sk_query_t q_of(sk_table_t table, sk_index_t index, const char *value)
{
    sk_query_t q;

    memset(&q, 0, sizeof q);
    q.table = table;
    q.index = index;
    q.value = value;
    q.when_min = q.when_max = SK_NO_TIME;
    return q;
}

#define IA "449f644d-64f9-469d-b359-5aa74aea5023"
#define IB "88443e12-2f27-4830-8841-3538055feacb"

/* ---- raws and indexes ---- */

static void test_raw_roundtrip_and_sequences(void **state)
{
    test_ev_t *t = *state;
    sk_msg_t m = msg(&t->a, T0, "compute.instance.update", IA, "req-1", "h1");
    sk_msg_t g = msg(&t->a, T0, "image.upload", NULL, "", "global.example");
    sk_raw_t r;
    vg_err_t err = {0};

    g.table = SK_GLANCE;
    g.uuid = "2df2ccf6-bc1b-4853-aab0-25fda346b3bb";
    g.status = "saving";
    assert_int_equal(put(t, &m), 1);
    assert_int_equal(put(t, &m), 2);
    assert_int_equal(put(t, &g), 1); /* each table has its own sequence */
    assert_int_equal(sk_raw_get(t->st, NULL, &t->a, SK_NOVA, 2, &r, &err), VG_OK);
    assert_int_equal(r.id, 2);
    assert_int_equal(r.deployment, 1);
    assert_int_equal(r.m.when_us, T0);
    assert_string_equal(r.m.json, m.json);
    assert_string_equal(r.m.old_state, ""); /* absent stays "" */
    assert_null(r.m.old_task);              /* null stays null */
    assert_string_equal(r.m.request_id, "req-1");
    assert_string_equal(r.m.publisher, "compute.h1");
    assert_int_equal(sk_raw_get(t->st, NULL, &t->a, SK_GLANCE, 1, &r, &err), VG_OK);
    assert_string_equal(r.m.status, "saving");
    assert_int_equal(sk_raw_get(t->st, NULL, &t->a, SK_NOVA, 3, &r, &err), VG_ENOTFOUND);
    assert_int_equal(sk_raw_get(t->st, NULL, &t->a, SK_GENERIC, 1, &r, &err), VG_ENOTFOUND);
}

static void test_index_order_bounds_window(void **state)
{
    test_ev_t *t = *state;
    sk_raw_t *rows;
    sk_query_t q;
    /* ids 1..6; 2 and 3 share a time (ties go by id); 5 is another instance */
    int64_t whens[] = {T0 + 3 * S, T0 + 1 * S, T0 + 1 * S, T0 + 2 * S, T0, T0 + 5 * S};
    const char *inst[] = {IA, IA, IA, IA, IB, IA};

    for (int i = 0; i < 6; i++) {
        sk_msg_t m = msg(&t->a, whens[i], i % 2 ? "compute.instance.update" : "x.start", inst[i],
                         i < 3 ? "req-a" : "req-b", i == 3 ? NULL : "h1");

        assert_int_equal(put(t, &m), (uint64_t)i + 1);
    }
    q = q_of(SK_NOVA, SK_BY_INSTANCE, IA);
    assert_int_equal(query(t, &q, &rows), 5);
    assert_int_equal(rows[0].id, 2);
    assert_int_equal(rows[1].id, 3);
    assert_int_equal(rows[2].id, 4);
    assert_int_equal(rows[3].id, 1);
    assert_int_equal(rows[4].id, 6);
    q.descending = 1;
    assert_int_equal(query(t, &q, &rows), 5);
    assert_int_equal(rows[0].id, 6);
    assert_int_equal(rows[3].id, 3);
    assert_int_equal(rows[4].id, 2);
    /* bounds are inclusive; an exclusive lower bound drops the ties at it */
    q = q_of(SK_NOVA, SK_BY_INSTANCE, IA);
    q.when_min = T0 + S;
    q.when_max = T0 + 3 * S;
    assert_int_equal(query(t, &q, &rows), 4);
    q.when_min_excl = 1;
    assert_int_equal(query(t, &q, &rows), 2);
    assert_int_equal(rows[0].id, 4);
    q.descending = 1;
    assert_int_equal(query(t, &q, &rows), 2);
    assert_int_equal(rows[0].id, 1);
    /* window */
    q = q_of(SK_NOVA, SK_BY_INSTANCE, IA);
    q.offset = 1;
    q.limit = 2;
    assert_int_equal(query(t, &q, &rows), 2);
    assert_int_equal(rows[0].id, 3);
    assert_int_equal(rows[1].id, 4);
    /* request, host, event, when, deployment, tenant */
    q = q_of(SK_NOVA, SK_BY_REQUEST, "req-a");
    assert_int_equal(query(t, &q, &rows), 3);
    q = q_of(SK_NOVA, SK_BY_HOST, "h1");
    assert_int_equal(query(t, &q, &rows), 5);
    q = q_of(SK_NOVA, SK_BY_EVENT, "x.start");
    assert_int_equal(query(t, &q, &rows), 3);
    q = q_of(SK_NOVA, SK_BY_WHEN, NULL);
    q.descending = 1;
    assert_int_equal(query(t, &q, &rows), 6);
    assert_int_equal(rows[0].id, 6);
    assert_int_equal(rows[5].id, 5);
    q = q_of(SK_NOVA, SK_BY_DEPLOYMENT, NULL);
    q.deployment = 1;
    assert_int_equal(query(t, &q, &rows), 6);
    q.deployment = 2;
    assert_int_equal(query(t, &q, &rows), 0);
    q = q_of(SK_NOVA, SK_BY_TENANT, "t1");
    assert_int_equal(query(t, &q, &rows), 6);
    /* a key that is a prefix of another does not match it */
    q = q_of(SK_NOVA, SK_BY_REQUEST, "req-");
    assert_int_equal(query(t, &q, &rows), 0);
    q = q_of(SK_NOVA, SK_BY_INSTANCE, "00000000-0000-0000-0000-000000000000");
    assert_int_equal(query(t, &q, &rows), 0);
    /* the other tables are empty */
    q = q_of(SK_GLANCE, SK_BY_WHEN, NULL);
    assert_int_equal(query(t, &q, &rows), 0);
}

static int keep_host_null(const sk_raw_t *r, void *arg)
{
    (void)arg;
    return r->m.host == NULL;
}

static void test_filters_distinct_deployments(void **state)
{
    test_ev_t *t = *state;
    sk_msg_t a = msg(&t->a, T0, "b.event", IA, "r", "h2");
    sk_msg_t b = msg(&t->a, T0 + S, "a.event", IA, "r", NULL);
    sk_msg_t c = msg(&t->a, T0 + 2 * S, "b.event.more", IA, "r", "h1");
    sk_raw_t *rows;
    sk_query_t q;
    sk_deployment_t *deps;
    const char **names;
    size_t n;
    int has_null;
    vg_err_t err = {0};

    put_dep(t, &a, "zeta");
    put_dep(t, &b, "alpha");
    put_dep(t, &c, "zeta");
    assert_int_equal(sk_deployments(t->st, NULL, &t->a, &deps, &n, &err), VG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(deps[0].name, "alpha"); /* by name, ids by creation */
    assert_int_equal(deps[0].id, 2);
    assert_string_equal(sk_deployment_name(deps, n, 1), "zeta");
    assert_null(sk_deployment_name(deps, n, 9));
    q = q_of(SK_NOVA, SK_BY_WHEN, NULL);
    q.deployment = 1;
    assert_int_equal(query(t, &q, &rows), 2);
    q = q_of(SK_NOVA, SK_BY_WHEN, NULL);
    q.event = "b.event";
    assert_int_equal(query(t, &q, &rows), 1);
    q = q_of(SK_NOVA, SK_BY_WHEN, NULL);
    q.keep = keep_host_null;
    assert_int_equal(query(t, &q, &rows), 1);
    assert_int_equal(rows[0].id, 2);
    assert_non_null(rows[0].m.json); /* the stored text comes along unless no_json */
    q.no_json = 1;
    assert_int_equal(query(t, &q, &rows), 1);
    assert_null(rows[0].m.json);
    /* a filtered scan gives up past max_examined rows instead of reading the whole table */
    q.max_examined = 2;
    q.limit = 1000;
    assert_int_equal(sk_raws_query(t->st, NULL, &t->a, &q, &rows, &n, &err), VG_ELIMIT);
    q.max_examined = 3;
    assert_int_equal(query(t, &q, &rows), 1);
    assert_int_equal(sk_events(t->st, NULL, &t->a, SK_NOVA, &names, &n, &err), VG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "a.event");
    assert_string_equal(names[1], "b.event");
    assert_string_equal(names[2], "b.event.more");
    assert_int_equal(sk_hosts(t->st, NULL, &t->a, SK_NOVA, &names, &n, &has_null, &err), VG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "h1");
    assert_int_equal(has_null, 1);
    assert_int_equal(sk_hosts(t->st, NULL, &t->a, SK_GLANCE, &names, &n, &has_null, &err), VG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(has_null, 0);
    assert_int_equal(sk_tenant_known(t->st, NULL, "t1", &err), 1);
    assert_int_equal(sk_tenant_known(t->st, NULL, "t2", &err), 0);
}

static void test_abort_leaves_nothing(void **state)
{
    test_ev_t *t = *state;
    sk_msg_t m = msg(&t->a, T0, "compute.instance.create.start", IA, "r", "h1");
    sk_raw_t *rows;
    sk_query_t q = q_of(SK_NOVA, SK_BY_WHEN, NULL);
    sk_timing_t *tm;
    sk_deployment_t *deps;
    size_t n;
    vg_err_t err = {0};

    assert_int_equal(store_txn_run_write(t->st, put_then_fail_txn, &m, &err), VG_EINVAL);
    assert_int_equal(query(t, &q, &rows), 0);
    assert_int_equal(sk_timings_by_instance(t->st, NULL, &t->a, IA, &tm, &n, &err), VG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sk_deployments(t->st, NULL, &t->a, &deps, &n, &err), VG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(put(t, &m), 1); /* the sequence did not move either */
}

/* ---- derived data ---- */

static void test_timings_pairing(void **state)
{
    test_ev_t *t = *state;
    const char *evs[] = {"compute.instance.create.start", "compute.instance.create.start",
                         "compute.instance.create.end",   "compute.instance.delete.end",
                         "compute.instance.create.error", "compute.instance.shutdown.start",
                         "compute.instance.shutdown.end"};
    int64_t at[] = {0, 10, 70, 80, 90, 100, 103};
    sk_timing_t *tm;
    sk_summary_t *sum;
    size_t n;
    vg_err_t err = {0};

    for (int i = 0; i < 7; i++) {
        sk_msg_t m = msg(&t->a, T0 + at[i] * S, evs[i], IA, "r", "h1");

        put(t, &m);
    }
    assert_int_equal(sk_timings_by_instance(t->st, NULL, &t->a, IA, &tm, &n, &err), VG_OK);
    assert_int_equal(n, 4);
    /* the first open create takes the end; the second stays open */
    assert_string_equal(tm[0].name, "compute.instance.create");
    assert_int_equal(tm[0].start_raw, 1);
    assert_int_equal(tm[0].end_raw, 3);
    assert_int_equal(tm[0].diff_us, 70 * S);
    assert_int_equal(tm[1].start_raw, 2);
    assert_int_equal(tm[1].end_raw, 0);
    assert_true(tm[1].end_when_us == SK_NO_TIME);
    /* an end without a start */
    assert_string_equal(tm[2].name, "compute.instance.delete");
    assert_int_equal(tm[2].start_raw, 0);
    assert_int_equal(tm[2].end_raw, 4);
    assert_string_equal(tm[3].name, "compute.instance.shutdown");
    assert_int_equal(tm[3].diff_us, 3 * S);
    assert_int_equal(sk_timings_by_name(t->st, NULL, &t->a, "compute.instance.create", SK_NO_TIME,
                                        SK_NO_TIME, 0, 50, &tm, &n, &err),
                     VG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sk_timings_by_name(t->st, NULL, &t->a, "compute.instance.delete", SK_NO_TIME,
                                        SK_NO_TIME, 0, 50, &tm, &n, &err),
                     VG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sk_summary(t->st, NULL, &t->a, 0, 50, &sum, &n, &err), VG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(sum[0].name, "compute.instance.create");
    assert_int_equal(sum[0].n, 1);
    assert_int_equal(sum[0].min_us, 70 * S);
    assert_string_equal(sum[1].name, "compute.instance.shutdown");
}

static void test_timings_by_name_order(void **state)
{
    test_ev_t *t = *state;
    /* three instances: diffs 30, 10, 20 s, ends at +30, +110, +220 */
    const char *ids[] = {"i-1", "i-2", "i-3"};
    int64_t starts[] = {0, 100, 200}, diffs[] = {30, 10, 20};
    sk_timing_t *tm;
    sk_summary_t *sum;
    size_t n;
    vg_err_t err = {0};

    for (int i = 0; i < 3; i++) {
        sk_msg_t s = msg(&t->a, T0 + starts[i] * S, "op.start", ids[i], "r", "h");
        sk_msg_t e = msg(&t->a, T0 + (starts[i] + diffs[i]) * S, "op.end", ids[i], "r", "h");

        put(t, &s);
        put(t, &e);
    }
    assert_int_equal(
        sk_timings_by_name(t->st, NULL, &t->a, "op", SK_NO_TIME, SK_NO_TIME, 0, 50, &tm, &n, &err),
        VG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(tm[0].instance, "i-2");
    assert_string_equal(tm[1].instance, "i-3");
    assert_string_equal(tm[2].instance, "i-1");
    assert_int_equal(
        sk_timings_by_name(t->st, NULL, &t->a, "op", SK_NO_TIME, SK_NO_TIME, 1, 1, &tm, &n, &err),
        VG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(tm[0].instance, "i-3");
    assert_int_equal(sk_timings_by_name(t->st, NULL, &t->a, "op", T0 + 100 * S, T0 + 200 * S, 0, 50,
                                        &tm, &n, &err),
                     VG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(tm[0].instance, "i-2");
    /* summary's window is per name and in creation order: limit 1 takes i-1's 30 s */
    assert_int_equal(sk_summary(t->st, NULL, &t->a, 0, 1, &sum, &n, &err), VG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sum[0].n, 1);
    assert_int_equal(sum[0].min_us, 30 * S);
    assert_int_equal(sk_summary(t->st, NULL, &t->a, 0, 50, &sum, &n, &err), VG_OK);
    assert_int_equal(sum[0].n, 3);
    assert_int_equal(sum[0].min_us, 10 * S);
    assert_int_equal(sum[0].max_us, 30 * S);
    assert_int_equal(sum[0].sum_us, 60 * S);
}

static void test_kpi_trackers(void **state)
{
    test_ev_t *t = *state;
    sk_msg_t u1 = msg(&t->a, T0, "compute.instance.update", IA, "req-1", "api-01");
    sk_msg_t u2 = msg(&t->a, T0 + S, "compute.instance.update", IA, "req-1", "api-01");
    sk_msg_t s = msg(&t->a, T0 + 2 * S, "compute.instance.create.start", IA, "req-1", "c1");
    sk_msg_t e = msg(&t->a, T0 + 42 * S, "compute.instance.create.end", IA, "req-1", "c1");
    sk_msg_t cu = msg(&t->a, T0, "compute.instance.update", IB, "req-2", "c1");
    sk_kpi_t *k;
    size_t n;
    vg_err_t err = {0};

    u1.service = u2.service = "api";
    put(t, &u1);
    put(t, &u2);
    put(t, &cu); /* not from an api service: no tracker */
    put(t, &s);
    put(t, &e);
    assert_int_equal(sk_kpi(t->st, NULL, &t->a, T0 - 3600 * S, NULL, &k, &n, &err), VG_OK);
    assert_int_equal(n, 1); /* the first tracker of the request took the timing */
    assert_string_equal(k[0].event, "compute.instance.create");
    assert_int_equal(k[0].duration_us, 42 * S);
    assert_string_equal(k[0].instance, IA);
    assert_int_equal(k[0].deployment, 1);
    assert_int_equal(sk_kpi(t->st, NULL, &t->a, T0 - 3600 * S, "t1", &k, &n, &err), VG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sk_kpi(t->st, NULL, &t->a, T0 - 3600 * S, "nobody", &k, &n, &err), VG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sk_kpi(t->st, NULL, &t->a, T0 + 1, NULL, &k, &n, &err), VG_OK);
    assert_int_equal(n, 0); /* the tracker started before the window */
}

static void test_usage(void **state)
{
    test_ev_t *t = *state;
    sk_msg_t cs = msg(&t->a, T0, "compute.instance.create.start", IA, "req-1", "c1");
    sk_msg_t ce = msg(&t->a, T0 + 50 * S, "compute.instance.create.end", IA, "req-1", "c1");
    sk_msg_t fs = msg(&t->a, T0, "compute.instance.create.start", IB, "req-2", "c1");
    sk_msg_t fe = msg(&t->a, T0 + 9 * S, "compute.instance.create.end", IB, "req-2", "c1");
    sk_msg_t de = msg(&t->a, T0 + 99 * S, "compute.instance.delete.end", IA, "req-3", "c1");
    sk_msg_t ex = msg(&t->a, T0 + 60 * S, "compute.instance.exists", IA, "", "c1");
    sk_msg_t ex0 = msg(&t->a, T0 + 61 * S, "compute.instance.exists", IB, "", "c1");
    sk_launch_t *l;
    sk_delete_t *d;
    sk_exists_t *x;
    size_t n;
    vg_err_t err = {0};

    cs.instance_type_id = fs.instance_type_id = "2";
    cs.instance_flavor_id = fs.instance_flavor_id = "2";
    ce.launched_at_us = T0 + 49 * S;
    fe.launched_at_us = T0 + 8 * S;
    fe.has_message = 1;
    fe.message = "Failed";
    de.launched_at_us = ce.launched_at_us;
    de.terminated_at_us = T0 + 98 * S;
    de.deleted_at_us = T0 + 97 * S;
    ex.launched_at_us = ce.launched_at_us - S / 2; /* the launch lies in [l, l + 1 s] */
    ex.message_id = "msg-1";
    ex.instance_type_id = ex.instance_flavor_id = "2";
    put(t, &cs);
    put(t, &fs);
    put(t, &ce);
    put(t, &fe);
    put(t, &ex);
    put(t, &ex0); /* no launched_at: ignored */
    put(t, &de);
    put(t, &de); /* get-or-create: still one delete row */
    assert_int_equal(sk_launches(t->st, NULL, &t->a, NULL, 0, 50, &l, &n, &err), VG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(l[0].instance, IA);
    assert_true(l[0].launched_at_us == T0 + 49 * S);
    assert_string_equal(l[0].type_id, "2");
    assert_string_equal(l[1].instance, IB);
    assert_true(l[1].launched_at_us == SK_NO_TIME); /* a failed create.end changes nothing */
    assert_int_equal(sk_launches(t->st, NULL, &t->a, IB, 0, 50, &l, &n, &err), VG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sk_launches(t->st, NULL, &t->a, NULL, 1, 50, &l, &n, &err), VG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(l[0].instance, IB);
    assert_int_equal(sk_deletes(t->st, NULL, &t->a, NULL, 0, 50, &d, &n, &err), VG_OK);
    assert_int_equal(n, 1);
    assert_true(d[0].deleted_at_us == T0 + 98 * S); /* terminated_at wins */
    assert_int_equal(d[0].raw, 8);
    assert_int_equal(sk_exists(t->st, NULL, &t->a, NULL, 0, 50, &x, &n, &err), VG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(x[0].message_id, "msg-1");
    assert_string_equal(x[0].status, "pending");
    assert_int_equal(x[0].launch, 1); /* launched within a second */
    assert_true(x[0].deleted_at_us == SK_NO_TIME);
    assert_int_equal(sk_exists(t->st, NULL, &t->a, IB, 0, 50, &x, &n, &err), VG_OK);
    assert_int_equal(n, 0);
}

static void test_images(void **state)
{
    test_ev_t *t = *state;
    sk_msg_t act = msg(&t->a, T0, "image.activate", NULL, "", "g");
    sk_msg_t ex = msg(&t->a, T0, "image.exists", NULL, "", "g");
    sk_image_t imgs[2] = {{"img-1", T0 - 10 * S, SK_NO_TIME, 123, 1},
                          {"img-2", SK_NO_TIME, SK_NO_TIME, 0, 0}};
    json_object *arr;
    vg_err_t err = {0};

    act.table = ex.table = SK_GLANCE;
    act.uuid = "img-1";
    act.size = 123;
    act.has_size = 1;
    act.created_at_us = T0 - 10 * S + 939614;
    act.owner = "o";
    ex.images = imgs;
    ex.nimages = 2;
    ex.audit_begin_us = T0;
    put(t, &act);
    put(t, &ex);
    assert_int_equal(sk_images(t->st, NULL, SK_IMG_USAGE, &arr, &err), VG_OK);
    assert_int_equal(json_object_array_length(arr), 1);
    assert_string_equal(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN),
                        "[{\"uuid\":\"img-1\",\"created_at\":\"1394452790.939614\",\"owner\":\"o\","
                        "\"size\":123,\"last_raw\":1}]");
    json_object_put(arr);
    assert_int_equal(sk_images(t->st, NULL, SK_IMG_EXISTS, &arr, &err), VG_OK);
    assert_int_equal(json_object_array_length(arr), 1); /* only the image with created_at */
    json_object_put(arr);
    assert_int_equal(sk_images(t->st, NULL, SK_IMG_DELETES, &arr, &err), VG_OK);
    assert_int_equal(json_object_array_length(arr), 0);
    json_object_put(arr);
}

/* ---- reports ---- */

typedef struct {
    sk_report_t r;
    uint64_t id;
} rep_put_t;

static int rep_put_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    rep_put_t *p = arg;

    return sk_report_put(st, txn, &p->r, &p->id, err);
}

static int keep_name(const sk_report_t *r, void *arg)
{
    return strcmp(r->name, arg) == 0;
}

static void test_reports(void **state)
{
    test_ev_t *t = *state;
    rep_put_t p = {{0, T0, T0 + 3599 * S, T0 + 4000 * S, "summary for region: all", 4, "[{}]", 4},
                   0};
    sk_report_t r, *list;
    size_t n;
    vg_err_t err = {0};

    assert_int_equal(store_txn_run(t->st, rep_put_txn, &p, &err), VG_OK);
    assert_int_equal(p.id, 1);
    p.r.name = "other";
    assert_int_equal(store_txn_run(t->st, rep_put_txn, &p, &err), VG_OK);
    assert_int_equal(p.id, 2);
    assert_int_equal(sk_report_get(t->st, NULL, &t->a, 1, &r, &err), VG_OK);
    assert_string_equal(r.name, "summary for region: all");
    assert_string_equal(r.json, "[{}]");
    assert_int_equal(r.version, 4);
    assert_true(r.period_end_us == T0 + 3599 * S);
    assert_int_equal(sk_report_get(t->st, NULL, &t->a, 3, &r, &err), VG_ENOTFOUND);
    assert_string_equal(err.msg, "Report 3 not found");
    assert_int_equal(sk_reports(t->st, NULL, &t->a, NULL, NULL, 1, 0, 50, &list, &n, &err), VG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, 2);
    assert_int_equal(sk_reports(t->st, NULL, &t->a, keep_name, "other", 0, 0, 50, &list, &n, &err),
                     VG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(
        sk_report_exists(t->st, NULL, "summary for region: all", T0, T0 + 3599 * S, &err), 1);
    assert_int_equal(
        sk_report_exists(t->st, NULL, "summary for region: all", T0, T0 + 3600 * S, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_raw_roundtrip_and_sequences, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_index_order_bounds_window, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_filters_distinct_deployments, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_timings_pairing, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_timings_by_name_order, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_kpi_trackers, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_usage, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_images, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_reports, test_setup, test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
