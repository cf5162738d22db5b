/* tests/unit/ingest/test_stacky.c - sk_msg_parse(), sk_body_split() and the §3 formats
 * (specs/stacktach.md §1, §3.3, §3.6-3.8), on hand-made messages and on the conformance data:
 * every line of all_events_by_time.jsonl against the rows of expected/expected.json, and the
 * glance/generic/minimal samples against glance_and_minimal/expected_fields.json.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/json.h"
#include "ingest/stacky.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SK_TEST_DATA
#error "SK_TEST_DATA must name the stacktach conformance directory"
#endif

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* The whole file SK_TEST_DATA/name in a (NUL-terminated); fails the test when unreadable. */
static char *test_sk_read(vg_arena_t *a, const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    long n;
    char *p;

    snprintf(path, sizeof path, "%s/%s", SK_TEST_DATA, name);
    if ((f = fopen(path, "rb")) == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = vg_arena_alloc(a, (size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n)
        fail_msg("cannot read %s", path);
    fclose(f);
    p[n] = '\0';
    *len = (size_t)n;
    return p;
}

static json_object *test_sk_json_file(vg_arena_t *a, const char *name)
{
    size_t len;
    char *p = test_sk_read(a, name, &len);
    json_object *obj;
    vg_err_t err = {0};

    if (vg_json_parse(a, p, len, 64, &obj, &err) != VG_OK)
        fail_msg("%s: %s", name, err.msg);
    return obj;
}

/* Parses the C string s; fails the test on an error. */
static void test_sk_parse(vg_arena_t *a, const char *s, int table, sk_msg_t *m)
{
    sk_parse_opts_t o = {.table = table};
    vg_err_t err = {0};

    if (sk_msg_parse(a, s, strlen(s), &o, m, &err) != VG_OK)
        fail_msg("\"%s\": %s", s, err.msg);
}

/* want NULL means null; the text otherwise */
static void test_sk_str_eq(const char *what, const char *got, const char *want)
{
    if (got == NULL && want == NULL)
        return;
    if (got == NULL || want == NULL || strcmp(got, want) != 0)
        fail_msg("%s: got %s%s%s, want %s%s%s", what, got ? "\"" : "", got ? got : "null",
                 got ? "\"" : "", want ? "\"" : "", want ? want : "null", want ? "\"" : "");
}

/* a JSON value from an expected file: null or a string */
static void test_sk_json_eq(const char *what, const char *got, json_object *want)
{
    if (want != NULL && !json_object_is_type(want, json_type_string))
        fail_msg("%s: expected value is not a string", what);
    test_sk_str_eq(what, got, want ? json_object_get_string(want) : NULL);
}

/* unix seconds with six decimals, the way expected_fields.json writes times */
static const char *test_sk_unix(char *buf, int64_t us)
{
    snprintf(buf, 32, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
    return buf;
}

/* ---- §1.4 time strings ---- */

static void test_sk_time_parse(void **state)
{
    static const struct {
        const char *in;
        int ok;
        int64_t want;
    } cases[] = {
        {"2014-03-10 13:00:00", 1, INT64_C(1394456400000000)},
        {"2014-03-10 13:00:00.175295", 1, INT64_C(1394456400175295)},
        {"2014-03-10 13:00:00.5", 1, INT64_C(1394456400500000)},
        {"2014-03-10 13:00:00.05", 1, INT64_C(1394456400050000)},
        {"2014-03-10T13:00:00", 1, INT64_C(1394456400000000)},
        {"2014-03-10T13:00:00.000001", 1, INT64_C(1394456400000001)},
        {"2014-03-10T13:00:00Z", 1, INT64_C(1394456400000000)},
        {"2014-03-10T13:00:00.123456Z", 1, INT64_C(1394456400123456)},
        {"1970-01-01 00:00:00", 1, 0},
        {"1969-12-31 23:59:59.999999", 1, -1},
        {"0001-01-01 00:00:00", 1, INT64_C(-62135596800000000)},
        {"9999-12-31 23:59:59.999999", 1, INT64_C(253402300799999999)},
        {"2012-02-29 12:00:00", 1, INT64_C(1330516800000000)},
        {"2000-02-29 00:00:00", 1, INT64_C(951782400000000)},
        {"2013-06-20 17:31:57.939614", 1, INT64_C(1371749517939614)},
        /* not one of the forms */
        {"", 0, 0},
        {"2014-03-10", 0, 0},
        {"2014-03-10 13:00", 0, 0},
        {"2014-03-10 13:00:00.", 0, 0},
        {"2014-03-10 13:00:00.1234567", 0, 0},
        {"2014-03-10 13:00:00Z", 0, 0},      /* a Z needs the T form */
        {"2014-03-10T13:00:00.5Z ", 0, 0},   /* ... and must be last */
        {"2014-03-10 13:00:00 ", 0, 0},      /* nothing after the seconds */
        {"2014-03-10 13:00:00+00:00", 0, 0}, /* no offsets */
        {"2014-03-10T13:00:00+01:00", 0, 0},
        {"2014-3-10 13:00:00", 0, 0},
        {"14-03-10 13:00:00", 0, 0},
        {"2014/03/10 13:00:00", 0, 0},
        {"2014-03-10x13:00:00", 0, 0},
        {"2014-03-10 13:00:0a", 0, 0},
        {"2014-03-10 13:00:00,5", 0, 0},
        {"2014-03-10 13:00:00.-5", 0, 0},
        {"1394456400", 0, 0},
        /* out of range */
        {"0000-01-01 00:00:00", 0, 0},
        {"2014-00-10 13:00:00", 0, 0},
        {"2014-13-10 13:00:00", 0, 0},
        {"2014-03-00 13:00:00", 0, 0},
        {"2014-03-32 13:00:00", 0, 0},
        {"2014-04-31 13:00:00", 0, 0},
        {"2013-02-29 13:00:00", 0, 0},
        {"1900-02-29 13:00:00", 0, 0},
        {"2014-03-10 24:00:00", 0, 0},
        {"2014-03-10 13:60:00", 0, 0},
        {"2014-03-10 13:00:60", 0, 0},
    };

    for (size_t i = 0; i < N(cases); i++) {
        int64_t got = 42;
        int rc = sk_time_parse(cases[i].in, &got);

        if (cases[i].ok && (rc != 0 || got != cases[i].want))
            fail_msg("case %zu \"%s\": got %d %" PRId64 ", want %" PRId64, i, cases[i].in, rc, got,
                     cases[i].want);
        if (!cases[i].ok && rc != -1)
            fail_msg("case %zu \"%s\": accepted as %" PRId64, i, cases[i].in, got);
    }
    assert_int_equal(sk_time_parse(NULL, &(int64_t){0}), -1);
}

/* ---- §3.6 and §3.7 formats ---- */

static void test_sk_fmt_when(void **state)
{
    static const struct {
        int64_t us;
        const char *when, *date, *time;
    } cases[] = {
        {INT64_C(1394456400000000), "2014-03-10 13:00:00", "2014-03-10", "13:00:00"},
        {INT64_C(1394456400175295), "2014-03-10 13:00:00.175295", "2014-03-10", "13:00:00.175295"},
        {INT64_C(1394456400000001), "2014-03-10 13:00:00.000001", "2014-03-10", "13:00:00.000001"},
        {0, "1970-01-01 00:00:00", "1970-01-01", "00:00:00"},
        {-1, "1969-12-31 23:59:59.999999", "1969-12-31", "23:59:59.999999"},
        {INT64_C(-62135596800000000), "0001-01-01 00:00:00", "0001-01-01", "00:00:00"},
        {INT64_C(253402300799999999), "9999-12-31 23:59:59.999999", "9999-12-31",
         "23:59:59.999999"},
        {INT64_C(951782400000000), "2000-02-29 00:00:00", "2000-02-29", "00:00:00"},
    };
    char buf[SK_FMT_MAX];

    for (size_t i = 0; i < N(cases); i++) {
        test_sk_str_eq("when", sk_fmt_when(buf, cases[i].us), cases[i].when);
        test_sk_str_eq("date", sk_fmt_date(buf, cases[i].us), cases[i].date);
        test_sk_str_eq("time", sk_fmt_time(buf, cases[i].us), cases[i].time);
    }
    /* the extremes print something without overrunning 40 bytes */
    assert_true(strlen(sk_fmt_when(buf, INT64_MIN)) < 40);
    assert_true(strlen(sk_fmt_when(buf, INT64_MAX)) < 40);
}

/* what sk_time_parse reads, sk_fmt_when prints back (the space form, minus zero fractions) */
static void test_sk_time_round_trip(void **state)
{
    static const char *const cases[] = {"2014-03-10 13:00:00",        "2014-03-10 13:00:00.175295",
                                        "1969-07-20 20:17:40.000001", "0001-01-01 00:00:00",
                                        "9999-12-31 23:59:59.999999", "2016-02-29 23:59:59.5"};
    static const char *const want[] = {"2014-03-10 13:00:00",        "2014-03-10 13:00:00.175295",
                                       "1969-07-20 20:17:40.000001", "0001-01-01 00:00:00",
                                       "9999-12-31 23:59:59.999999", "2016-02-29 23:59:59.500000"};
    char buf[SK_FMT_MAX];
    int64_t us;

    for (size_t i = 0; i < N(cases); i++) {
        assert_int_equal(sk_time_parse(cases[i], &us), 0);
        test_sk_str_eq(cases[i], sk_fmt_when(buf, us), want[i]);
    }
}

static void test_sk_fmt_durations(void **state)
{
    static const struct {
        int64_t us;
        const char *want;
    } stored[] = {
        {55503412, "0d 00:00:55.50"},
        {20000000, "0d 00:00:20.00"},
        {50980000, "0d 00:00:50.98"},
        {655999, "0d 00:00:00.65"}, /* truncated, not rounded */
        {INT64_C(30967840000), "0d 08:36:07.84"},
        {INT64_C(90061990000), "1d 01:01:01.99"},
        {0, "0d 00:00:00.00"},
        {-5500000, "-0d 00:00:05.50"}, /* upstream printed nonsense; ours is readable */
    };
    static const struct {
        double secs;
        const char *want;
    } floats[] = {
        {55.5, "0d 00:00:55.5"},
        {20.0, "0d 00:00:20.0"},
        {55.503412, "0d 00:00:55.50"},
        {0.25, "0d 00:00:00.25"},
        {3661.5, "0d 01:01:01.5"},
        {50.98, "0d 00:00:50.98"},
        {3698.19, "0d 01:01:38.19"},
        {0.9999999999999, "0d 00:00:00.0"}, /* "%.12g" gives "1", str() "1.0" */
        {0.00001, "0d 00:00:00e-0"},        /* str(1e-05) is "1e-05": upstream's [1:4] */
        {-5.5, "-0d 00:00:05.5"},
        {90061.0, "1d 01:01:01.0"},
    };
    static const struct {
        int64_t secs;
        const char *want;
    } ints[] = {
        {90061, "1d 01:01:01"}, {15, "0d 00:00:15"},   {1371, "0d 00:22:51"},
        {0, "0d 00:00:00"},     {-61, "-0d 00:01:01"},
    };
    static const struct {
        int64_t secs;
        const char *want;
    } strs[] = {
        {5, "5s"},          {0, "0s"},          {59, "59s"},
        {60, "1:00s"},      {344, "5:44s"},     {3599, "59:59s"},
        {3600, "01:00:00"}, {6074, "01:41:14"}, {360000, "100:00:00"},
        {-5, "-5s"},
    };
    char buf[SK_FMT_MAX];

    for (size_t i = 0; i < N(stored); i++)
        test_sk_str_eq("stored", sk_fmt_dur_stored(buf, stored[i].us), stored[i].want);
    for (size_t i = 0; i < N(floats); i++)
        test_sk_str_eq("float", sk_fmt_dur_float(buf, floats[i].secs), floats[i].want);
    for (size_t i = 0; i < N(ints); i++)
        test_sk_str_eq("int", sk_fmt_dur_int(buf, ints[i].secs), ints[i].want);
    for (size_t i = 0; i < N(strs); i++)
        test_sk_str_eq("sec_to_str", sk_fmt_sec_to_str(buf, strs[i].secs), strs[i].want);
    /* nothing overruns, whatever the number */
    assert_true(strlen(sk_fmt_dur_stored(buf, INT64_MIN)) < 40);
    assert_true(strlen(sk_fmt_dur_int(buf, INT64_MIN)) < 40);
    assert_true(strlen(sk_fmt_sec_to_str(buf, INT64_MAX)) < 40);
    assert_true(strlen(sk_fmt_dur_float(buf, 1e300)) < 40);
    assert_true(strlen(sk_fmt_dur_float(buf, -1.0 / 0.0)) < 40);
    assert_true(strlen(sk_fmt_dur_float(buf, 8.9e15)) < 40);
}

/* ---- §3.3 validation ---- */

static void test_sk_uuid_like(void **state)
{
    static const struct {
        const char *in;
        int uuid, req;
    } cases[] = {
        {"449f644d-64f9-469d-b359-5aa74aea5023", 1, 1},
        {"449f644d64f9469db3595aa74aea5023", 1, 1},
        {"00000000-0000-0000-0000-000000000000", 1, 1},
        {"req-f00d4f61-3f37-4a52-8e29-11ccd82e42c1", 0, 1},
        {"req-f00d4f613f374a528e2911ccd82e42c1", 0, 1},
        {"449F644D-64F9-469D-B359-5AA74AEA5023", 0, 0},
        {"449f644d-64f9-469d-b359-5aa74aea502", 0, 0},
        {"449f644d-64f9-469d-b359-5aa74aea50233", 0, 0},
        {"449f644d-64f9469d-b359-5aa74aea5023a", 0, 0},
        {"{449f644d-64f9-469d-b359-5aa74aea5023}", 0, 0},
        {"urn:uuid:449f644d-64f9-469d-b359-5aa74aea5023", 0, 0},
        {"449f644g-64f9-469d-b359-5aa74aea5023", 0, 0},
        {"449f644d64f9469db3595aa74aea502", 0, 0},
        {"req-449F644D-64F9-469D-B359-5AA74AEA5023", 0, 0},
        {"REQ-449f644d-64f9-469d-b359-5aa74aea5023", 0, 0},
        {"req-req-449f644d-64f9-469d-b359-5aa74aea5023", 0, 0},
        {"8888bbbb", 0, 0},
        {"req-", 0, 0},
        {"", 0, 0},
    };

    for (size_t i = 0; i < N(cases); i++) {
        if (sk_uuid_like(cases[i].in) != cases[i].uuid)
            fail_msg("case %zu \"%s\": uuid-like %d", i, cases[i].in, !cases[i].uuid);
        if (sk_request_id_like(cases[i].in) != cases[i].req)
            fail_msg("case %zu \"%s\": request-id-like %d", i, cases[i].in, !cases[i].req);
    }
    assert_int_equal(sk_uuid_like(NULL), 0);
    assert_int_equal(sk_request_id_like(NULL), 0);
}

static void test_sk_tables(void **state)
{
    sk_table_t t = SK_NTABLES;

    for (int i = 0; i < SK_NTABLES; i++) {
        assert_int_equal(sk_table_parse(sk_table_name((sk_table_t)i), &t), 0);
        assert_int_equal(t, i);
    }
    test_sk_str_eq("nova", sk_table_name(SK_NOVA), "nova");
    test_sk_str_eq("glance", sk_table_name(SK_GLANCE), "glance");
    test_sk_str_eq("generic", sk_table_name(SK_GENERIC), "generic");
    assert_int_equal(sk_table_parse("all", &t), -1);
    assert_int_equal(sk_table_parse("Nova", &t), -1);
    assert_int_equal(sk_table_parse("", &t), -1);
    assert_int_equal(sk_table_parse(NULL, &t), -1);
}

/* ---- the conformance stream ---- */

/* Checks one expected nova row [id, "?", When, deployment, event, host, state, old_state,
 * old_task] against message id of the stream. */
static void test_sk_check_row(json_object *row, const sk_msg_t *msgs, size_t n)
{
    int64_t id = json_object_get_int64(json_object_array_get_idx(row, 0));
    const sk_msg_t *m;
    char buf[SK_FMT_MAX], what[64];
    size_t rl;

    if (id < 1 || (size_t)id > n)
        fail_msg("row id %" PRId64 " out of range", id);
    m = &msgs[id - 1];
    rl = strlen(m->routing_key);
    snprintf(what, sizeof what, "raw %" PRId64 " ?", id);
    test_sk_json_eq(what, rl >= 5 && strcmp(m->routing_key + rl - 5, "error") == 0 ? "E" : " ",
                    json_object_array_get_idx(row, 1));
    snprintf(what, sizeof what, "raw %" PRId64 " when", id);
    test_sk_json_eq(what, sk_fmt_when(buf, m->when_us), json_object_array_get_idx(row, 2));
    snprintf(what, sizeof what, "raw %" PRId64 " event", id);
    test_sk_json_eq(what, m->event, json_object_array_get_idx(row, 4));
    snprintf(what, sizeof what, "raw %" PRId64 " host", id);
    test_sk_json_eq(what, m->host, json_object_array_get_idx(row, 5));
    snprintf(what, sizeof what, "raw %" PRId64 " state", id);
    test_sk_json_eq(what, m->state, json_object_array_get_idx(row, 6));
    snprintf(what, sizeof what, "raw %" PRId64 " old_state", id);
    test_sk_json_eq(what, m->old_state, json_object_array_get_idx(row, 7));
    snprintf(what, sizeof what, "raw %" PRId64 " old_task", id);
    test_sk_json_eq(what, m->old_task, json_object_array_get_idx(row, 8));
}

/* Every line of all_events_by_time.jsonl parses (nova, and inferred as nova), keeps its text,
 * and gives the columns expected.json shows for it under uuid.* and request.*. */
static void test_sk_all_events(void **state)
{
    vg_arena_t a;
    size_t len, n, checked = 0;
    char *body;
    sk_part_t *parts;
    sk_msg_t *msgs;
    json_object *exp, *group;

    vg_arena_init(&a, 0);
    body = test_sk_read(&a, "all_events_by_time.jsonl", &len);
    exp = test_sk_json_file(&a, "expected/expected.json");
    sk_body_split(&a, body, len, 0, &parts, &n);
    assert_int_equal(n, 301);
    msgs = vg_arena_alloc(&a, n * sizeof *msgs);
    for (size_t i = 0; i < n; i++) {
        sk_parse_opts_t infer = {.table = -1};
        vg_err_t err = {0};
        sk_msg_t m2;

        assert_int_equal(parts[i].line, i + 1);
        if (sk_msg_parse(&a, parts[i].p, parts[i].len, &(sk_parse_opts_t){.table = SK_NOVA},
                         &msgs[i], &err) != VG_OK)
            fail_msg("line %zu: %s", i + 1, err.msg);
        if (msgs[i].json_len != parts[i].len || memcmp(msgs[i].json, parts[i].p, parts[i].len) ||
            msgs[i].json[msgs[i].json_len] != '\0')
            fail_msg("line %zu: the json text is not the line", i + 1);
        if (sk_msg_parse(&a, parts[i].p, parts[i].len, &infer, &m2, &err) != VG_OK)
            fail_msg("line %zu inferred: %s", i + 1, err.msg);
        if (m2.table != SK_NOVA)
            fail_msg("line %zu (%s): inferred %s", i + 1, m2.event, sk_table_name(m2.table));
        assert_int_equal(msgs[i].table, SK_NOVA);
    }
    /* old-style error events: a bare method name, recognised by the publisher */
    test_sk_str_eq("raw 110", msgs[109].event, "terminate_instance");
    test_sk_str_eq("raw 110 key", msgs[109].routing_key, "monitor.error");

    json_object_object_get_ex(exp, "uuid", &group);
    json_object_object_foreach(group, inst, rows)
    {
        for (size_t r = 1; r < json_object_array_length(rows); r++) {
            json_object *row = json_object_array_get_idx(rows, r);

            test_sk_check_row(row, msgs, n);
            test_sk_str_eq(
                "instance",
                msgs[json_object_get_int64(json_object_array_get_idx(row, 0)) - 1].instance, inst);
            checked++;
        }
    }
    json_object_object_get_ex(exp, "request", &group);
    json_object_object_foreach(group, req, rrows)
    {
        for (size_t r = 1; r < json_object_array_length(rrows); r++) {
            json_object *row = json_object_array_get_idx(rrows, r);

            test_sk_check_row(row, msgs, n);
            test_sk_str_eq(
                "request_id",
                msgs[json_object_get_int64(json_object_array_get_idx(row, 0)) - 1].request_id, req);
            checked++;
        }
    }
    assert_true(checked >= 301);
    vg_arena_fini(&a);
}

/* §6 test 6: rows 150-153, with the no-fraction time and null versus "" */
static void test_sk_rows_150_153(void **state)
{
    static const struct {
        const char *when, *event, *host, *state, *old_state, *old_task, *task;
    } want[] = {
        {"2014-03-10 13:00:00", "compute.instance.update", "api-01.region-1.example.net", "active",
         "active", NULL, "powering-off"},
        {"2014-03-10 13:00:00.175295", "compute.instance.power_off.start", "compute-2472", "active",
         "", "", ""},
        {"2014-03-10 13:00:00.990505", "compute.instance.update", "compute-2472", "stopped",
         "active", "powering-off", NULL},
        {"2014-03-10 13:00:01.019109", "compute.instance.power_off.end", "compute-2472", "stopped",
         "", "", ""},
    };
    vg_arena_t a;
    size_t len, n;
    char *body, buf[SK_FMT_MAX];
    sk_part_t *parts;

    vg_arena_init(&a, 0);
    body = test_sk_read(&a, "all_events_by_time.jsonl", &len);
    sk_body_split(&a, body, len, 1, &parts, &n);
    assert_int_equal(n, 301);
    for (size_t i = 0; i < N(want); i++) {
        sk_msg_t m;
        vg_err_t err = {0};

        assert_int_equal(sk_msg_parse(&a, parts[149 + i].p, parts[149 + i].len,
                                      &(sk_parse_opts_t){.table = SK_NOVA}, &m, &err),
                         VG_OK);
        test_sk_str_eq("when", sk_fmt_when(buf, m.when_us), want[i].when);
        test_sk_str_eq("event", m.event, want[i].event);
        test_sk_str_eq("host", m.host, want[i].host);
        test_sk_str_eq("state", m.state, want[i].state);
        test_sk_str_eq("old_state", m.old_state, want[i].old_state);
        test_sk_str_eq("old_task", m.old_task, want[i].old_task);
        test_sk_str_eq("task", m.task, want[i].task);
        test_sk_str_eq("instance", m.instance, "449f644d-64f9-469d-b359-5aa74aea5023");
        test_sk_str_eq("request_id", m.request_id, "req-f00d4f61-3f37-4a52-8e29-11ccd82e42c1");
        test_sk_str_eq("tenant", m.tenant, "5833854");
        test_sk_str_eq("routing_key", m.routing_key, "monitor.info");
        test_sk_str_eq("service", m.service, i == 0 ? "api" : "compute");
        test_sk_str_eq("instance_type_id", m.instance_type_id, "5");     /* an integer */
        test_sk_str_eq("instance_flavor_id", m.instance_flavor_id, "5"); /* a string */
        test_sk_str_eq("os_distro", m.os_distro, "com.redhat");
        test_sk_str_eq("os_architecture", m.os_architecture, "x64");
        test_sk_str_eq("os_version", m.os_version, "6.3");
        test_sk_str_eq("rax_options", m.rax_options, "");
        assert_int_equal(m.image_type, 0x1 | 0x10 | 0x800);
        test_sk_str_eq("launched_at", sk_fmt_when(buf, m.launched_at_us),
                       "2013-04-24 04:15:11.667761");
        assert_true(m.deleted_at_us == SK_NO_TIME && m.terminated_at_us == SK_NO_TIME);
        assert_int_equal(m.bandwidth_public_out, i == 0 || i == 2 ? 19189871 : 0);
        assert_int_equal(m.has_message, 0);
        assert_null(m.message);
        assert_int_equal(m.error_code, 0);
    }
    vg_arena_fini(&a);
}

/* ---- glance, generic and the minimal nova sample ---- */

typedef struct {
    const char *file;
    sk_table_t table;
} test_sk_sample_t;

/* Compares m with the fields expected_fields.json lists for it. */
static void test_sk_check_fields(const char *name, const sk_msg_t *m, json_object *want)
{
    char buf[40], what[128];

    json_object_object_foreach(want, key, val)
    {
        const char *got = NULL;
        int is_str = 1;

        snprintf(what, sizeof what, "%s.%s", name, key);
        if (strcmp(key, "host") == 0)
            got = m->host;
        else if (strcmp(key, "instance") == 0)
            got = m->instance;
        else if (strcmp(key, "message_id") == 0)
            got = m->message_id;
        else if (strcmp(key, "request_id") == 0)
            got = m->request_id;
        else if (strcmp(key, "service") == 0)
            got = m->service;
        else if (strcmp(key, "tenant") == 0)
            got = m->tenant;
        else if (strcmp(key, "event") == 0)
            got = m->event;
        else if (strcmp(key, "publisher") == 0)
            got = m->publisher;
        else if (strcmp(key, "owner") == 0)
            got = m->owner;
        else if (strcmp(key, "status") == 0)
            got = m->status;
        else if (strcmp(key, "uuid") == 0)
            got = m->uuid;
        else if (strcmp(key, "state") == 0)
            got = m->state;
        else if (strcmp(key, "old_state") == 0)
            got = m->old_state;
        else if (strcmp(key, "old_task") == 0)
            got = m->old_task;
        else if (strcmp(key, "task") == 0)
            got = m->task;
        else if (strcmp(key, "os_architecture") == 0)
            got = m->os_architecture;
        else if (strcmp(key, "os_distro") == 0)
            got = m->os_distro;
        else if (strcmp(key, "os_version") == 0)
            got = m->os_version;
        else if (strcmp(key, "rax_options") == 0)
            got = m->rax_options;
        else if (strcmp(key, "when") == 0)
            got = test_sk_unix(buf, m->when_us);
        else if (strcmp(key, "question_mark_column") == 0)
            got = strlen(m->routing_key) >= 5 &&
                          strcmp(m->routing_key + strlen(m->routing_key) - 5, "error") == 0
                      ? "E"
                      : " ";
        else
            is_str = 0;
        if (is_str) {
            test_sk_json_eq(what, got, val);
        } else if (strcmp(key, "image_type") == 0) {
            /* null (a glance error's string payload) is SK_NULL_IMAGE_TYPE */
            int64_t want_t = val != NULL ? json_object_get_int64(val) : SK_NULL_IMAGE_TYPE;

            if (m->image_type != want_t)
                fail_msg("%s: got %" PRId64 ", want %" PRId64, what, m->image_type, want_t);
        } else if (strcmp(key, "bandwidth_public_out") == 0) {
            assert_int_equal(m->bandwidth_public_out, json_object_get_int64(val));
        }
    }
}

static void test_sk_samples(void **state)
{
    static const test_sk_sample_t samples[] = {
        {"generic_image_upload", SK_GENERIC},
        {"glance_image_delete", SK_GLANCE},
        {"glance_image_exists", SK_GLANCE},
        {"glance_image_upload", SK_GLANCE},
        {"glance_image_upload_error_string_payload", SK_GLANCE},
        {"glance_image_usage_upload", SK_GLANCE},
        {"nova_exists_minimal", SK_NOVA},
    };
    vg_arena_t a;
    json_object *exp;
    char file[128], buf[40];

    vg_arena_init(&a, 0);
    exp = test_sk_json_file(&a, "glance_and_minimal/expected_fields.json");
    for (size_t i = 0; i < N(samples); i++) {
        json_object *want, *sub;
        size_t len, n;
        char *body;
        sk_part_t *parts;
        sk_msg_t m, m2;
        vg_err_t err = {0};

        snprintf(file, sizeof file, "glance_and_minimal/%s.json", samples[i].file);
        body = test_sk_read(&a, file, &len);
        /* pretty-printed over many lines: one message */
        sk_body_split(&a, body, len, 0, &parts, &n);
        assert_int_equal(n, 1);
        assert_int_equal(parts[0].line, 1);
        if (sk_msg_parse(&a, parts[0].p, parts[0].len,
                         &(sk_parse_opts_t){.table = (int)samples[i].table}, &m, &err) != VG_OK)
            fail_msg("%s: %s", file, err.msg);
        assert_int_equal(m.table, samples[i].table);
        /* the inferred table agrees, except for the generic one (its event is image.*) */
        assert_int_equal(
            sk_msg_parse(&a, parts[0].p, parts[0].len, &(sk_parse_opts_t){.table = -1}, &m2, &err),
            VG_OK);
        assert_int_equal(m2.table, i == 0 ? SK_GLANCE : samples[i].table);
        if (!json_object_object_get_ex(exp, samples[i].file, &want))
            fail_msg("%s: not in expected_fields.json", samples[i].file);
        test_sk_check_fields(samples[i].file, &m, want);
        if (json_object_object_get_ex(want, "raw", &sub))
            test_sk_check_fields(samples[i].file, &m, sub);
    }
    vg_arena_fini(&a);

    /* the usage inputs behind image_deletes_row and each_row */
    vg_arena_init(&a, 0);
    {
        size_t len;
        char *body = test_sk_read(&a, "glance_and_minimal/glance_image_delete.json", &len);
        sk_msg_t m;
        vg_err_t err = {0};

        assert_int_equal(
            sk_msg_parse(&a, body, len, &(sk_parse_opts_t){.table = SK_GLANCE}, &m, &err), VG_OK);
        test_sk_str_eq("deleted_at", test_sk_unix(buf, m.image_deleted_at_us), "1371738717.939614");
        test_sk_str_eq("uuid", m.uuid, "2df2ccf6-bc1b-4853-aab0-25fda346b3bb");

        body = test_sk_read(&a, "glance_and_minimal/glance_image_exists.json", &len);
        assert_int_equal(
            sk_msg_parse(&a, body, len, &(sk_parse_opts_t){.table = SK_GLANCE}, &m, &err), VG_OK);
        assert_int_equal(m.nimages, 2);
        for (size_t i = 0; i < m.nimages; i++) {
            test_sk_str_eq("images[].id", m.images[i].uuid, "2df2ccf6-bc1b-4853-aab0-25fda346b3bb");
            test_sk_str_eq("images[].created_at", test_sk_unix(buf, m.images[i].created_at_us),
                           "1369078317.939614");
            assert_true(m.images[i].deleted_at_us == SK_NO_TIME);
            assert_int_equal(m.images[i].has_size, 1);
            assert_int_equal(m.images[i].size, 123);
        }
        test_sk_str_eq("audit begin", test_sk_unix(buf, m.audit_begin_us), "1369071117.939614");
        test_sk_str_eq("audit end", test_sk_unix(buf, m.audit_end_us), "1371749517.939614");
        test_sk_str_eq("message_id", m.message_id, "d14cfa51-6a0e-4cf8-9130-804738be96d2");
        test_sk_str_eq("owner", m.owner, "testtenantid1");
        assert_int_equal(m.has_size, 0);

        body = test_sk_read(&a, "glance_and_minimal/glance_image_usage_upload.json", &len);
        assert_int_equal(
            sk_msg_parse(&a, body, len, &(sk_parse_opts_t){.table = SK_GLANCE}, &m, &err), VG_OK);
        assert_int_equal(m.has_size, 1);
        assert_int_equal(m.size, 123);
        test_sk_str_eq("created_at", sk_fmt_when(buf, m.created_at_us), "2013-06-20 18:00:00");
        assert_true(m.image_deleted_at_us == SK_NO_TIME);

        body = test_sk_read(&a, "glance_and_minimal/glance_image_upload_error_string_payload.json",
                            &len);
        assert_int_equal(
            sk_msg_parse(&a, body, len, &(sk_parse_opts_t){.table = SK_GLANCE}, &m, &err), VG_OK);
        test_sk_str_eq("routing_key", m.routing_key, "glance_monitor.error");
        assert_null(m.status);
        assert_null(m.uuid);
        assert_null(m.owner);
        assert_null(m.instance);
        assert_int_equal(m.nimages, 0);
        assert_int_equal(m.has_size, 0);
    }
    vg_arena_fini(&a);
}

/* ---- hand-made messages ---- */

#define PUB         "\"publisher_id\":\"compute.host-1.example.com\""
#define EV          "\"event_type\":\"compute.instance.update\""
#define TS          "\"timestamp\":\"2014-03-10 13:00:00.5\""
#define BODY(extra) "{" PUB "," EV "," TS extra "}"

static void test_sk_body_form(void **state)
{
    static const struct {
        const char *in, *opt_rk, *want_rk;
    } cases[] = {
        {BODY(""), NULL, "monitor.info"},
        {BODY(",\"priority\":\"INFO\""), NULL, "monitor.info"},
        {BODY(",\"priority\":\"ERROR\""), NULL, "monitor.error"},
        {BODY(",\"priority\":\"error\""), NULL, "monitor.error"},
        {BODY(",\"priority\":\"Error\""), NULL, "monitor.error"},
        {BODY(",\"priority\":\"ERRORS\""), NULL, "monitor.info"},
        {BODY(",\"priority\":null"), NULL, "monitor.info"},
        {BODY(",\"priority\":5"), NULL, "monitor.info"},
        {BODY(",\"priority\":\"ERROR\""), "notifications.warn", "notifications.warn"},
        {BODY(""), "a\"b\\c", "a\"b\\c"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        sk_parse_opts_t o = {.table = SK_NOVA, .routing_key = cases[i].opt_rk};
        char *pretty = vg_arena_sprintf(&a, " \n\t%s\r\n ", cases[i].in);
        sk_msg_t m;
        vg_err_t err = {0};
        json_object *pair;
        vg_err_t jerr = {0};

        if (sk_msg_parse(&a, pretty, strlen(pretty), &o, &m, &err) != VG_OK)
            fail_msg("case %zu: %s", i, err.msg);
        test_sk_str_eq("routing_key", m.routing_key, cases[i].want_rk);
        /* [<key>, <the body text as sent, trimmed>] */
        assert_int_equal(m.json_len, strlen(m.json));
        if (strncmp(m.json + m.json_len - strlen(cases[i].in) - 1, cases[i].in,
                    strlen(cases[i].in)) != 0 ||
            strncmp(m.json, "[\"", 2) != 0 || m.json[m.json_len - 1] != ']')
            fail_msg("case %zu: json %s", i, m.json);
        if (vg_json_parse(&a, m.json, m.json_len, 64, &pair, &jerr) != VG_OK)
            fail_msg("case %zu: json %s: %s", i, m.json, jerr.msg);
        test_sk_str_eq("pair[0]", json_object_get_string(json_object_array_get_idx(pair, 0)),
                       cases[i].want_rk);
    }
    {
        sk_msg_t m;

        test_sk_parse(&a, BODY(""), SK_NOVA, &m);
        test_sk_str_eq("json", m.json, "[\"monitor.info\", " BODY("") "]");
        /* a pair ignores the routing key option and keeps its text as sent */
        sk_parse_opts_t o = {.table = SK_NOVA, .routing_key = "other"};
        const char *pair = "  [ \"monitor.error\" ,\n " BODY("") " ]\n";
        vg_err_t err = {0};

        assert_int_equal(sk_msg_parse(&a, pair, strlen(pair), &o, &m, &err), VG_OK);
        test_sk_str_eq("routing_key", m.routing_key, "monitor.error");
        test_sk_str_eq("json", m.json, "[ \"monitor.error\" ,\n " BODY("") " ]");
        /* no options: the table is inferred */
        assert_int_equal(sk_msg_parse(&a, pair, strlen(pair), NULL, &m, &err), VG_OK);
        assert_int_equal(m.table, SK_NOVA);
        test_sk_str_eq("routing_key", m.routing_key, "monitor.error");
    }
    vg_arena_fini(&a);
}

static void test_sk_common_fields(void **state)
{
    vg_arena_t a;
    sk_msg_t m;
    char buf[SK_FMT_MAX];

    vg_arena_init(&a, 0);
    test_sk_parse(&a, BODY(""), SK_NOVA, &m);
    test_sk_str_eq("publisher", m.publisher, "compute.host-1.example.com");
    test_sk_str_eq("service", m.service, "compute");
    test_sk_str_eq("host", m.host, "host-1.example.com");
    test_sk_str_eq("request_id", m.request_id, "");
    test_sk_str_eq("when", sk_fmt_when(buf, m.when_us), "2014-03-10 13:00:00.500000");
    assert_null(m.message_id);
    assert_null(m.tenant);
    assert_null(m.instance);
    test_sk_str_eq("state", m.state, "");
    test_sk_str_eq("os_distro", m.os_distro, "");
    assert_null(m.instance_type_id);
    assert_true(m.launched_at_us == SK_NO_TIME && m.audit_begin_us == SK_NO_TIME);
    assert_int_equal(m.nimages, 0);

    /* no dot: the publisher is the service and there is no host */
    test_sk_parse(&a, "{\"publisher_id\":\"nova-api\"," EV "," TS "}", SK_NOVA, &m);
    test_sk_str_eq("service", m.service, "nova-api");
    assert_null(m.host);
    test_sk_parse(&a, "{\"publisher_id\":\"compute.\"," EV "," TS "}", SK_NOVA, &m);
    test_sk_str_eq("service", m.service, "compute");
    test_sk_str_eq("host", m.host, "");
    test_sk_parse(&a,
                  "{\"publisher_id\":\"glance-api01-r2961.global.preprod-ord.ohthree.com\"," EV
                  "," TS "}",
                  SK_NOVA, &m);
    test_sk_str_eq("service", m.service, "glance-api01-r2961");
    test_sk_str_eq("host", m.host, "global.preprod-ord.ohthree.com");

    /* timestamp, else _context_timestamp when absent or empty */
    test_sk_parse(&a, "{" PUB "," EV ",\"_context_timestamp\":\"2014-03-10T13:00:00Z\"}", SK_NOVA,
                  &m);
    test_sk_str_eq("when", sk_fmt_when(buf, m.when_us), "2014-03-10 13:00:00");
    test_sk_parse(
        &a, "{" PUB "," EV ",\"timestamp\":\"\",\"_context_timestamp\":\"2014-03-10T13:00:01\"}",
        SK_NOVA, &m);
    test_sk_str_eq("when", sk_fmt_when(buf, m.when_us), "2014-03-10 13:00:01");
    test_sk_parse(
        &a, "{" PUB "," EV ",\"timestamp\":null,\"_context_timestamp\":\"2014-03-10 13:00:02\"}",
        SK_NOVA, &m);
    test_sk_str_eq("when", sk_fmt_when(buf, m.when_us), "2014-03-10 13:00:02");
    test_sk_parse(&a,
                  "{" PUB "," EV ",\"timestamp\":\"2014-03-10T13:00:03.123Z\","
                  "\"_context_timestamp\":\"2014-03-10 13:00:02\"}",
                  SK_NOVA, &m);
    test_sk_str_eq("when", sk_fmt_when(buf, m.when_us), "2014-03-10 13:00:03.123000");

    /* request id: "" when absent, null when null, the text otherwise */
    test_sk_parse(&a, BODY(",\"_context_request_id\":null"), SK_NOVA, &m);
    assert_null(m.request_id);
    test_sk_parse(&a, BODY(",\"_context_request_id\":\"req-1\",\"message_id\":\"m-1\""), SK_GENERIC,
                  &m);
    test_sk_str_eq("request_id", m.request_id, "req-1");
    test_sk_str_eq("message_id", m.message_id, "m-1");
    /* a NUL escaped inside a string that indexes nothing is kept */
    test_sk_parse(&a, BODY(",\"payload\":{\"state\":\"a\\u0000b\"}"), SK_NOVA, &m);
    assert_int_equal(memcmp(m.state, "a\0b", 4), 0);
    vg_arena_fini(&a);
}

/* §1.5 state columns: "" when the key is absent, null when null, JSON text for non-strings */
static void test_sk_nova_states(void **state)
{
    vg_arena_t a;
    sk_msg_t m;

    vg_arena_init(&a, 0);
    test_sk_parse(&a, BODY(",\"payload\":{\"state\":null,\"old_task_state\":null}"), SK_NOVA, &m);
    assert_null(m.state);
    assert_null(m.old_task);
    test_sk_str_eq("old_state", m.old_state, "");
    test_sk_str_eq("task", m.task, "");
    test_sk_parse(&a,
                  BODY(",\"payload\":{\"state\":5,\"old_state\":true,\"old_task_state\":\"x\","
                       "\"new_task_state\":1.50}"),
                  SK_NOVA, &m);
    test_sk_str_eq("state", m.state, "5");
    test_sk_str_eq("old_state", m.old_state, "true");
    test_sk_str_eq("old_task", m.old_task, "x");
    test_sk_str_eq("task", m.task, "1.50");
    /* a payload that is not an object is {} */
    test_sk_parse(&a, BODY(",\"payload\":\"oops\""), SK_NOVA, &m);
    test_sk_str_eq("state", m.state, "");
    assert_null(m.instance);
    assert_int_equal(m.image_type, 0);
    /* os fields: "" when absent, null when null */
    test_sk_parse(&a,
                  BODY(",\"payload\":{\"image_meta\":{\"org.openstack__1__os_distro\":null,"
                       "\"com.rackspace__1__options\":\"0\"}}"),
                  SK_NOVA, &m);
    assert_null(m.os_distro);
    test_sk_str_eq("rax_options", m.rax_options, "0");
    test_sk_str_eq("os_version", m.os_version, "");
    test_sk_parse(&a, BODY(",\"payload\":{\"image_meta\":null}"), SK_NOVA, &m);
    test_sk_str_eq("os_architecture", m.os_architecture, "");
    vg_arena_fini(&a);
}

/* §1.5 instance: instance_uuid (when present) over instance_id, then the falsy fallbacks */
static void test_sk_instance_rule(void **state)
{
    static const struct {
        const char *payload, *want;
    } cases[] = {
        {"{}", NULL},
        {"{\"instance_id\":\"i1\"}", "i1"},
        {"{\"instance_id\":\"i1\",\"instance_uuid\":\"u1\"}", "u1"},
        /* the key exists: it overrides instance_id even when null, then the fallbacks run */
        {"{\"instance_id\":\"i1\",\"instance_uuid\":null}", NULL},
        {"{\"instance_id\":\"i1\",\"instance_uuid\":null,\"instance\":{\"uuid\":\"n1\"}}", "n1"},
        {"{\"instance_id\":\"i1\",\"instance_uuid\":\"\",\"exception\":{\"kwargs\":{\"uuid\":"
         "\"e1\"}}}",
         "e1"},
        {"{\"instance_id\":\"\",\"exception\":{\"kwargs\":{\"uuid\":\"e1\"}},\"instance\":{"
         "\"uuid\":\"n1\"}}",
         "e1"},
        {"{\"instance_id\":0,\"exception\":{\"kwargs\":{}},\"instance\":{\"uuid\":\"n1\"}}", "n1"},
        {"{\"instance_id\":false,\"instance\":{\"uuid\":\"\"}}", ""},
        {"{\"instance_id\":[],\"instance\":{}}", NULL},
        {"{\"instance_id\":\"\"}", NULL},
        {"{\"instance_id\":7}", "7"},
        {"{\"exception\":\"boom\",\"instance\":\"x\"}", NULL},
        {"{\"exception\":{\"kwargs\":{\"uuid\":\"e1\"}}}", "e1"},
        {"{\"instance\":{\"uuid\":\"n1\"}}", "n1"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        for (int t = SK_NOVA; t <= SK_GENERIC; t += SK_GENERIC - SK_NOVA) {
            char *in = vg_arena_sprintf(&a, BODY(",\"payload\":%s"), cases[i].payload);
            sk_msg_t m;
            char what[64];

            test_sk_parse(&a, in, t, &m);
            snprintf(what, sizeof what, "case %zu %s", i, sk_table_name((sk_table_t)t));
            test_sk_str_eq(what, m.instance, cases[i].want);
        }
    }
    vg_arena_fini(&a);
}

/* §1.5 tenant: payload.tenant_id when the key exists (null too), else _context_project_id */
static void test_sk_tenant_rule(void **state)
{
    static const struct {
        const char *extra, *want;
    } cases[] = {
        {"", NULL},
        {",\"_context_project_id\":\"p\"", "p"},
        {",\"_context_project_id\":\"p\",\"payload\":{\"tenant_id\":\"t\"}", "t"},
        {",\"_context_project_id\":\"p\",\"payload\":{\"tenant_id\":null}", NULL},
        {",\"_context_project_id\":\"p\",\"payload\":{\"tenant\":\"x\"}", "p"},
        {",\"_context_project_id\":null", NULL},
        {",\"payload\":{\"tenant_id\":5833854}", "5833854"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        sk_msg_t m;
        char what[32];

        snprintf(what, sizeof what, "case %zu", i);
        test_sk_parse(&a, vg_arena_sprintf(&a, BODY("%s"), cases[i].extra), SK_NOVA, &m);
        test_sk_str_eq(what, m.tenant, cases[i].want);
        test_sk_parse(&a, vg_arena_sprintf(&a, BODY("%s"), cases[i].extra), SK_GENERIC, &m);
        test_sk_str_eq(what, m.tenant, cases[i].want);
        test_sk_parse(&a, vg_arena_sprintf(&a, BODY("%s"), cases[i].extra), SK_GLANCE, &m);
        assert_null(m.tenant); /* glance has no tenant */
    }
    vg_arena_fini(&a);
}

static void test_sk_image_type(void **state)
{
    static const struct {
        const char *payload;
        int64_t want;
    } cases[] = {
        {"{}", 0},
        {"{\"image_meta\":{\"image_type\":\"base\"}}", 0x1},
        {"{\"image_meta\":{\"image_type\":\"snapshot\"}}", 0x2},
        {"{\"image_meta\":{\"image_type\":\"import\"}}", 0x3},
        {"{\"image_meta\":{\"image_type\":\"Base\"}}", 0},
        {"{\"image_meta\":{\"os_type\":\"linux\"}}", 0x10},
        {"{\"image_meta\":{\"os_type\":\"windows\"}}", 0x20},
        {"{\"image_meta\":{\"os_type\":\"freebsd\"}}", 0x40},
        {"{\"os_type\":\"windows\"}", 0x20},
        {"{\"image_meta\":{},\"os_type\":\"windows\"}", 0x20},
        /* the meta key wins even when it matches nothing */
        {"{\"image_meta\":{\"os_type\":null},\"os_type\":\"windows\"}", 0},
        {"{\"image_meta\":{\"os_type\":\"linux\"},\"os_type\":\"windows\"}", 0x10},
        {"{\"image_meta\":{\"os_distro\":\"ubuntu\"}}", 0x100},
        {"{\"image_meta\":{\"os_distro\":\"debian\"}}", 0x200},
        {"{\"image_meta\":{\"os_distro\":\"centos\"}}", 0x400},
        {"{\"image_meta\":{\"os_distro\":\"rhel\"}}", 0x800},
        {"{\"image_meta\":{\"os_distro\":\"com.redhat\"}}", 0},
        {"{\"os_distro\":\"rhel\"}", 0}, /* only the meta's distro counts */
        {"{\"image_meta\":{\"image_type\":\"snapshot\",\"os_type\":\"windows\",\"os_distro\":"
         "\"centos\"}}",
         0x422},
        /* properties do not count: image_meta is what upstream reads */
        {"{\"properties\":{\"image_type\":\"snapshot\"}}", 0},
        {"{\"image_meta\":\"base\",\"os_type\":\"linux\"}", 0x10},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        char *in = vg_arena_sprintf(&a, BODY(",\"payload\":%s"), cases[i].payload);
        sk_msg_t m;

        test_sk_parse(&a, in, SK_NOVA, &m);
        if (m.image_type != cases[i].want)
            fail_msg("case %zu nova: got %#" PRIx64 ", want %#" PRIx64, i, m.image_type,
                     cases[i].want);
        test_sk_parse(&a, in, SK_GLANCE, &m);
        if (m.image_type != cases[i].want)
            fail_msg("case %zu glance: got %#" PRIx64 ", want %#" PRIx64, i, m.image_type,
                     cases[i].want);
    }
    vg_arena_fini(&a);
}

static void test_sk_usage_inputs(void **state)
{
    vg_arena_t a;
    sk_msg_t m;
    char buf[SK_FMT_MAX];

    vg_arena_init(&a, 0);
    test_sk_parse(&a,
                  BODY(",\"message_id\":\"mid\",\"payload\":{\"instance_type_id\":2,"
                       "\"instance_flavor_id\":\"2\",\"new_instance_type_id\":null,"
                       "\"launched_at\":\"2014-03-10 12:10:51.194870\",\"deleted_at\":\"\","
                       "\"terminated_at\":\"2014-03-10T12:50:24.585401Z\","
                       "\"audit_period_beginning\":\"2014-03-10 00:00:00\","
                       "\"audit_period_ending\":\"garbage\",\"message\":\"Success\","
                       "\"bandwidth\":{\"public\":{\"bw_in\":1,\"bw_out\":1697240969}},"
                       "\"exception\":{\"kwargs\":{\"code\":404}}}"),
                  SK_NOVA, &m);
    test_sk_str_eq("instance_type_id", m.instance_type_id, "2");
    test_sk_str_eq("instance_flavor_id", m.instance_flavor_id, "2");
    assert_null(m.new_instance_type_id);
    test_sk_str_eq("launched_at", sk_fmt_when(buf, m.launched_at_us), "2014-03-10 12:10:51.194870");
    assert_true(m.deleted_at_us == SK_NO_TIME);
    test_sk_str_eq("terminated_at", sk_fmt_when(buf, m.terminated_at_us),
                   "2014-03-10 12:50:24.585401");
    test_sk_str_eq("audit begin", sk_fmt_when(buf, m.audit_begin_us), "2014-03-10 00:00:00");
    assert_true(m.audit_end_us == SK_NO_TIME);
    assert_int_equal(m.has_message, 1);
    test_sk_str_eq("message", m.message, "Success");
    assert_int_equal(m.bandwidth_public_out, 1697240969);
    assert_int_equal(m.error_code, 404);
    test_sk_str_eq("message_id", m.message_id, "mid");

    test_sk_parse(&a,
                  BODY(",\"payload\":{\"message\":null,\"bandwidth\":null,\"new_instance_type_id\":"
                       "7,\"exception\":{\"kwargs\":{\"code\":\"500\"}},\"launched_at\":5}"),
                  SK_NOVA, &m);
    assert_int_equal(m.has_message, 1);
    assert_null(m.message);
    assert_int_equal(m.bandwidth_public_out, 0);
    test_sk_str_eq("new_instance_type_id", m.new_instance_type_id, "7");
    assert_int_equal(m.error_code, 500);
    assert_true(m.launched_at_us == SK_NO_TIME);

    static const char *const codes[] = {"\"5x0\"", "\"\"", "null", "1.5", "\"-4\"", "true"};
    for (size_t i = 0; i < N(codes); i++) {
        test_sk_parse(
            &a,
            vg_arena_sprintf(&a, BODY(",\"payload\":{\"exception\":{\"kwargs\":{\"code\":%s}}}"),
                             codes[i]),
            SK_NOVA, &m);
        if (m.error_code != 0)
            fail_msg("code %s: got %" PRId64, codes[i], m.error_code);
    }
    vg_arena_fini(&a);
}

/* §1.6: a glance payload's columns, and deleted_at from the body before the payload */
static void test_sk_glance_fields(void **state)
{
    vg_arena_t a;
    sk_msg_t m;
    char buf[SK_FMT_MAX];

    vg_arena_init(&a, 0);
    test_sk_parse(
        &a,
        BODY(",\"deleted_at\":\"2014-03-10 01:00:00\",\"payload\":{\"status\":\"active\","
             "\"id\":\"img\",\"owner\":\"o\",\"size\":\"12\","
             "\"created_at\":\"2014-03-09 01:00:00\",\"deleted_at\":\"2014-03-10 02:00:00\","
             "\"properties\":{\"instance_uuid\":null},\"images\":[1,{\"id\":null},"
             "{\"id\":\"a\",\"size\":5,\"deleted_at\":\"2014-03-10 03:00:00\"}]}"),
        SK_GLANCE, &m);
    test_sk_str_eq("status", m.status, "active");
    test_sk_str_eq("uuid", m.uuid, "img");
    test_sk_str_eq("owner", m.owner, "o");
    assert_null(m.instance);
    assert_int_equal(m.has_size, 0); /* a string is not a size */
    test_sk_str_eq("created_at", sk_fmt_when(buf, m.created_at_us), "2014-03-09 01:00:00");
    test_sk_str_eq("deleted_at", sk_fmt_when(buf, m.image_deleted_at_us), "2014-03-10 01:00:00");
    assert_int_equal(m.nimages, 2);
    assert_null(m.images[0].uuid);
    assert_true(m.images[0].created_at_us == SK_NO_TIME && m.images[0].has_size == 0);
    test_sk_str_eq("images[1]", m.images[1].uuid, "a");
    assert_int_equal(m.images[1].size, 5);
    test_sk_str_eq("images[1].deleted_at", sk_fmt_when(buf, m.images[1].deleted_at_us),
                   "2014-03-10 03:00:00");
    /* glance keeps no state and no nova usage inputs */
    assert_null(m.state);
    assert_null(m.instance_type_id);
    test_sk_parse(&a,
                  BODY(",\"deleted_at\":\"\",\"payload\":{\"deleted_at\":\"2014-03-10 02:00:00\"}"),
                  SK_GLANCE, &m);
    test_sk_str_eq("deleted_at", sk_fmt_when(buf, m.image_deleted_at_us), "2014-03-10 02:00:00");
    test_sk_parse(&a, BODY(",\"payload\":[1,2]"), SK_GLANCE, &m);
    assert_null(m.uuid);
    assert_null(m.status);
    vg_arena_fini(&a);
}

/* §1.3: the table when the request does not name one */
static void test_sk_infer_table(void **state)
{
    static const struct {
        const char *rk, *publisher, *event;
        sk_table_t want;
    } cases[] = {
        {"monitor.info", "compute.h", "compute.instance.update", SK_NOVA},
        {"monitor.info", "x.h", "image.upload", SK_GLANCE},
        {"glance_monitor.info", "compute.h", "compute.instance.update", SK_GLANCE},
        {"monitor.info", "scheduler.h", "scheduler.run_instance", SK_NOVA},
        {"monitor.info", "x.h", "scheduler.run_instance", SK_NOVA},
        {"monitor.error", "compute.h", "rebuild_instance", SK_NOVA},
        {"monitor.error", "scheduler", "run_instance", SK_NOVA},
        {"monitor.error", "api.h", "x", SK_NOVA},
        {"monitor.error", "conductor.h", "x", SK_NOVA},
        {"monitor.error", "network.h", "x", SK_NOVA},
        {"monitor.error", "computer.h", "x", SK_GENERIC},
        {"monitor.info", "volume.h", "volume.create.start", SK_GENERIC},
        {"monitor.info", "x.h", "images.upload", SK_GENERIC},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        char *in =
            vg_arena_sprintf(&a, "[\"%s\",{\"publisher_id\":\"%s\",\"event_type\":\"%s\"," TS "}]",
                             cases[i].rk, cases[i].publisher, cases[i].event);
        sk_msg_t m;

        test_sk_parse(&a, in, -1, &m);
        if (m.table != cases[i].want)
            fail_msg("case %zu: got %s, want %s", i, sk_table_name(m.table),
                     sk_table_name(cases[i].want));
        /* a table given wins */
        test_sk_parse(&a, in, SK_GENERIC, &m);
        assert_int_equal(m.table, SK_GENERIC);
    }
    vg_arena_fini(&a);
}

/* a body with its length, so NUL bytes can be part of it */
typedef struct {
    const char *p;
    size_t n;
} test_sk_body_t;
#define B(s)                                                                                       \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

static void test_sk_errors(void **state)
{
    static const struct {
        test_sk_body_t in;
        const char *want;
    } cases[] = {
        {B(""), "malformed JSON: unexpected end of data"},
        {B("  \n"), "malformed JSON: unexpected end of data"},
        {B("{"), "malformed JSON: unexpected end of data"},
        {B("[\"monitor.info\", {\"a\": }]"), "malformed JSON: unexpected character"},
        {B("{} {}"), "malformed JSON: unexpected data after the JSON value at offset 3"},
        {B("{\"a\":\"x\0\"}"), "malformed JSON: unexpected end of data"},
        {B("\"monitor.info\""), "expected [routing_key, body] or a body object"},
        {B(" null "), "expected [routing_key, body] or a body object"},
        {B("[] "), "expected [routing_key, body], got an array of 0"},
        {B("5"), "expected [routing_key, body] or a body object"},
        {B("x"), "expected [routing_key, body] or a body object"},
        {B("\"[1, {}]\""), "expected [routing_key, body] or a body object"},
        {B("[\"monitor.info\"]"), "expected [routing_key, body], got an array of 1"},
        {B("[\"monitor.info\", {}, 3]"), "expected [routing_key, body], got an array of 3"},
        {B("[1, {}]"), "routing key is not a string"},
        {B("[null, {}]"), "routing key is not a string"},
        {B("[\"monitor.info\", \"body\"]"), "message body is not an object"},
        {B("[\"monitor.info\", null]"), "message body is not an object"},
        {B("[\"monitor\\u0000info\", {}]"), "NUL byte in routing_key"},
        {B("[\"123456789012345678901234567890123456789012345678901\", {}]"),
         "routing key longer than 50 bytes"},
        {B("{}"), "missing publisher_id"},
        {B("[\"monitor.info\", {" EV "," TS "}]"), "missing publisher_id"},
        {B("{\"publisher_id\":null," EV "," TS "}"), "missing publisher_id"},
        {B("{\"publisher_id\":5," EV "," TS "}"), "missing publisher_id"},
        {B("{" PUB "," TS "}"), "missing event_type"},
        {B("{" PUB ",\"event_type\":[]," TS "}"), "missing event_type"},
        {B("{" PUB "," EV "}"), "missing timestamp"},
        {B("{" PUB "," EV ",\"timestamp\":\"\"}"), "missing timestamp"},
        {B("{" PUB "," EV ",\"timestamp\":null,\"_context_timestamp\":\"\"}"), "missing timestamp"},
        {B("{" PUB "," EV ",\"timestamp\":\"yesterday\"}"), "unparseable timestamp 'yesterday'"},
        {B("{" PUB "," EV ",\"timestamp\":\"2014-03-10 13:00:00+01:00\"}"),
         "unparseable timestamp '2014-03-10 13:00:00+01:00'"},
        {B("{" PUB "," EV ",\"_context_timestamp\":\"2014-02-30 13:00:00\"}"),
         "unparseable timestamp '2014-02-30 13:00:00'"},
        {B("{" PUB "," EV ",\"timestamp\":1394456400}"), "unparseable timestamp '1394456400'"},
        {B("{" PUB "," EV ",\"timestamp\":\"2014-03-10 13:00:00\\u0000x\"}"),
         "unparseable timestamp '2014-03-10 13:00:00\\u0000x'"},
        {B("{" PUB "," EV ",\"timestamp\":\"2014-03-10\\n13:00:00\"}"),
         "unparseable timestamp '2014-03-10\\n13:00:00'"},
        {B("{" PUB "," EV ",\"timestamp\":\"2014-03-10 "
           "13:00:00.1234567890123456789012345678901234567890123456789\"}"),
         "unparseable timestamp '2014-03-10 "
         "13:00:00.12345678901234567890123456789012345678901234'"},
        {B("{" PUB "," EV ",\"timestamp\":{\"a\":1}}"), "unparseable timestamp '{\"a\":1}'"},
        {B("{\"publisher_id\":\"compute.h\\u0000x\"," EV "," TS "}"), "NUL byte in publisher"},
        {B("{" PUB ",\"event_type\":\"a\\u0000\"," TS "}"), "NUL byte in event"},
        {B(BODY(",\"_context_request_id\":\"\\u0000\"")), "NUL byte in request_id"},
        {B(BODY(",\"_context_project_id\":\"p\\u0000\"")), "NUL byte in tenant"},
        {B(BODY(",\"payload\":{\"instance_id\":\"\\u0000\"}")), "NUL byte in instance"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        sk_msg_t m = {.event = "untouched"};
        vg_err_t err = {0};
        int rc = sk_msg_parse(&a, cases[i].in.p, cases[i].in.n,
                              &(sk_parse_opts_t){.table = SK_NOVA}, &m, &err);

        if (rc != VG_EINVAL || err.code != VG_EINVAL)
            fail_msg("case %zu \"%s\": got rc %d (%s), want VG_EINVAL", i, cases[i].in.p, rc,
                     err.msg);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu \"%s\":\n got %s\nwant %s", i, cases[i].in.p, err.msg,
                     cases[i].want);
        test_sk_str_eq("m untouched", m.event, "untouched");
    }
    /* nesting: 64 levels parse, 65 do not */
    for (int depth = 64; depth <= 65; depth++) {
        char *deep = vg_arena_alloc(&a, 2 * (size_t)depth);
        sk_msg_t m;
        vg_err_t err = {0};

        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        assert_int_equal(sk_msg_parse(&a, deep, 2 * (size_t)depth, NULL, &m, &err), VG_EINVAL);
        test_sk_str_eq("deep", err.msg,
                       depth == 64 ? "expected [routing_key, body], got an array of 1"
                                   : "malformed JSON: nesting too deep");
    }
    /* glance's indexed columns, an option too long, an unknown table */
    {
        static const struct {
            const char *extra, *want;
        } g[] = {
            {",\"payload\":{\"id\":\"a\\u0000\"}", "NUL byte in uuid"},
            {",\"payload\":{\"properties\":{\"instance_uuid\":\"\\u0000\"}}",
             "NUL byte in instance"},
            {",\"payload\":{\"images\":[{\"id\":\"\\u0000\"}]}", "NUL byte in images[].id"},
        };
        sk_msg_t m;
        vg_err_t err = {0};
        const char *body = BODY("");

        for (size_t i = 0; i < N(g); i++) {
            char *in = vg_arena_sprintf(&a, BODY("%s"), g[i].extra);

            assert_int_equal(
                sk_msg_parse(&a, in, strlen(in), &(sk_parse_opts_t){.table = SK_GLANCE}, &m, &err),
                VG_EINVAL);
            test_sk_str_eq(in, err.msg, g[i].want);
        }
        assert_int_equal(
            sk_msg_parse(&a, body, strlen(body),
                         &(sk_parse_opts_t){
                             .table = SK_NOVA,
                             .routing_key = "123456789012345678901234567890123456789012345678901"},
                         &m, &err),
            VG_EINVAL);
        test_sk_str_eq("long key", err.msg, "routing key longer than 50 bytes");
        assert_int_equal(
            sk_msg_parse(&a, body, strlen(body),
                         &(sk_parse_opts_t){
                             .table = SK_NOVA,
                             .routing_key = "12345678901234567890123456789012345678901234567890"},
                         &m, &err),
            VG_OK);
        assert_int_equal(
            sk_msg_parse(&a, body, strlen(body), &(sk_parse_opts_t){.table = 3}, &m, &err),
            VG_EINVAL);
        test_sk_str_eq("table", err.msg, "unknown table 3");
    }
    vg_arena_fini(&a);
}

/* ---- sk_body_split ---- */

static void test_sk_body_split(void **state)
{
    static const struct {
        test_sk_body_t in;
        int ndjson;
        size_t n;
        const char *want[4]; /* "line:text" of each part */
    } cases[] = {
        {B(""), 0, 0, {NULL}},
        {B(" \n\r\n\t "), 0, 0, {NULL}},
        {B(" \n\r\n\t "), 1, 0, {NULL}},
        {B("[1, {}]"), 0, 1, {"1:[1, {}]"}},
        {B("\n\n  [1, {}]  \n\n"), 0, 1, {"3:[1, {}]"}},
        /* a value over several lines */
        {B("[\n  \"a\",\n  {}\n]\n"), 0, 1, {"1:[\n  \"a\",\n  {}\n]"}},
        {B("\n{\n\"a\": 1}"), 0, 1, {"2:{\n\"a\": 1}"}},
        /* one value per line */
        {B("[\"a\", {}]\n[\"b\", {}]\n"), 0, 2, {"1:[\"a\", {}]", "2:[\"b\", {}]"}},
        {B("[\"a\", {}]\r\n\r\n  [\"b\", {}]  \r\n{\"c\": 1}"),
         0,
         3,
         {"1:[\"a\", {}]", "3:[\"b\", {}]", "4:{\"c\": 1}"}},
        {B("\n\n{\"a\":1}\nnot json\n"), 0, 2, {"3:{\"a\":1}", "4:not json"}},
        /* ndjson: always per line, even when the first line is not a value */
        {B("[\n1]\n"), 1, 2, {"1:[", "2:1]"}},
        {B("{\"a\":1}"), 1, 1, {"1:{\"a\":1}"}},
        /* the first line is not a whole value: one part, to fail as one message */
        {B("{\"a\":1} x\n{\"b\":2}"), 0, 1, {"1:{\"a\":1} x\n{\"b\":2}"}},
        /* NUL bytes are content */
        {B("[1,\0]\n[2]"), 0, 1, {"1:[1,"}},
        {B("[1]\n\0\n[2]"), 0, 3, {"1:[1]", "2:", "3:[2]"}},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < N(cases); i++) {
        sk_part_t *parts = (sk_part_t *)&a; /* anything: it must be reset */
        size_t n = 99;

        sk_body_split(&a, cases[i].in.p, cases[i].in.n, cases[i].ndjson, &parts, &n);
        if (n != cases[i].n)
            fail_msg("case %zu: got %zu parts, want %zu", i, n, cases[i].n);
        if (n == 0)
            assert_null(parts);
        for (size_t j = 0; j < n; j++) {
            /* printed with %s: a NUL ends the text, as in the want strings above */
            char *got =
                vg_arena_sprintf(&a, "%zu:%.*s", parts[j].line, (int)parts[j].len, parts[j].p);

            if (parts[j].p < cases[i].in.p ||
                parts[j].p + parts[j].len > cases[i].in.p + cases[i].in.n)
                fail_msg("case %zu part %zu: outside the body", i, j);
            test_sk_str_eq(vg_arena_sprintf(&a, "case %zu part %zu", i, j), got, cases[i].want[j]);
        }
    }
    /* a NUL inside a part is kept in its length */
    {
        sk_part_t *parts;
        size_t n;
        static const char body[] = "[1]\n[\0]\n";

        sk_body_split(&a, body, sizeof body - 1, 0, &parts, &n);
        assert_int_equal(n, 2);
        assert_int_equal(parts[1].len, 3);
    }
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sk_time_parse),      cmocka_unit_test(test_sk_fmt_when),
        cmocka_unit_test(test_sk_time_round_trip), cmocka_unit_test(test_sk_fmt_durations),
        cmocka_unit_test(test_sk_uuid_like),       cmocka_unit_test(test_sk_tables),
        cmocka_unit_test(test_sk_all_events),      cmocka_unit_test(test_sk_rows_150_153),
        cmocka_unit_test(test_sk_samples),         cmocka_unit_test(test_sk_body_form),
        cmocka_unit_test(test_sk_common_fields),   cmocka_unit_test(test_sk_nova_states),
        cmocka_unit_test(test_sk_instance_rule),   cmocka_unit_test(test_sk_tenant_rule),
        cmocka_unit_test(test_sk_image_type),      cmocka_unit_test(test_sk_usage_inputs),
        cmocka_unit_test(test_sk_glance_fields),   cmocka_unit_test(test_sk_infer_table),
        cmocka_unit_test(test_sk_errors),          cmocka_unit_test(test_sk_body_split),
    };
    return cmocka_run_group_tests_name("ingest/stacky", tests, NULL, NULL);
}
