/* tests/unit/handlers/test_stacky_api.c - the stacky API through fc_serve()
 * (../shared/specs/stacktach.md §1.3, §3, §4): ingest in every body form (pair, body alone with
 * the routing key from the priority, the old args form, NDJSON stopping at its bad line with
 * nothing of it stored), exact bodies of the raw, timing, KPI, watch and report views on a small
 * stream, the §3.3 error shape for bad parameters, unknown paths and wrong methods, the paging
 * limits and the time parameters' rounding. The clock is VIGIL_FAKE_NOW.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/events.h"
#include "support/fake_req.h"
#include "support/handler_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UUID1 "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define REQ1  "req-11111111-1111-4111-8111-111111111111"
#define NOVA_TITLES                                                                                \
    "[\"#\",\"?\",\"When\",\"Deployment\",\"Event\",\"Host\",\"State\",\"State'\",\"Task'\"]"

/* The stream every view test starts from (deployment d1, nova): an API update, a create.start
 * and its .end on monitor.error, then a body-only error message whose publisher has no host. */
static const char *const test_m1 =
    "[\"monitor.info\",{\"event_type\":\"compute.instance.update\",\"publisher_id\":\"api.api-1\","
    "\"timestamp\":\"2014-03-10 12:00:00\",\"_context_request_id\":\"" REQ1 "\","
    "\"payload\":{\"instance_id\":\"" UUID1 "\",\"tenant_id\":\"t1\",\"state\":\"active\","
    "\"old_state\":null}}]";
static const char *const test_m23 =
    "[\"monitor.info\",{\"event_type\":\"compute.instance.create.start\",\"publisher_id\":"
    "\"compute.h1\",\"timestamp\":\"2014-03-10 12:00:01.5\",\"_context_request_id\":\"" REQ1 "\","
    "\"payload\":{\"instance_id\":\"" UUID1 "\",\"tenant_id\":\"t1\",\"state\":\"building\","
    "\"image_meta\":{\"image_type\":\"snapshot\"}}}]\n"
    "[\"monitor.error\",{\"event_type\":\"compute.instance.create.end\",\"publisher_id\":"
    "\"compute.h1\",\"timestamp\":\"2014-03-10T12:00:11.250000Z\",\"_context_request_id\":"
    "\"" REQ1 "\",\"payload\":{\"instance_id\":\"" UUID1 "\",\"tenant_id\":\"t1\","
    "\"state\":\"active\"}}]\n";
static const char *const test_m4 =
    "{\"event_type\":\"rebuild_instance\",\"publisher_id\":\"compute\",\"priority\":\"error\","
    "\"timestamp\":\"2014-03-10 12:00:20\",\"payload\":{\"instance_uuid\":\"" UUID1 "\"}}";

/* One request; fails unless it answers status with exactly want. */
static void test_expect(test_handler_t *t, const char *method, const char *path, const char *query,
                        const char *ct, const char *body, int status, const char *want)
{
    char *got;
    int st = test_request(&t->w, method, path, query, ct, body, &got);

    if (st != status || strcmp(got, want) != 0)
        fail_msg("%s %s?%s: %d %s\n  want %d %s", method, path, query ? query : "", st, got, status,
                 want);
    free(got);
}

static void test_get(test_handler_t *t, const char *path, const char *query, int status,
                     const char *want)
{
    test_expect(t, "GET", path, query, NULL, NULL, status, want);
}

/* A 400 with the §3.3 body for message. */
static void test_bad(test_handler_t *t, const char *path, const char *query, const char *message)
{
    char want[1024];

    snprintf(want, sizeof want, "[[\"Error\",\"Message\"],[\"Bad Request\",\"%s\"]]", message);
    test_get(t, path, query, 400, want);
}

/* The answer's status and body, which must contain needle. */
static void test_contains(test_handler_t *t, const char *method, const char *path,
                          const char *query, const char *ct, const char *body, int status,
                          const char *needle)
{
    char *got;
    int st = test_request(&t->w, method, path, query, ct, body, &got);

    if (st != status || strstr(got, needle) == NULL)
        fail_msg("%s %s?%s: %d %s\n  want %d with %s", method, path, query ? query : "", st, got,
                 status, needle);
    free(got);
}

static void test_stream(test_handler_t *t)
{
    test_expect(t, "POST", "/stacky/ingest/", "deployment=d1&service=nova", "application/json",
                test_m1, 200, "{\"ingested\":1,\"ids\":[1]}");
    test_expect(t, "POST", "/stacky/ingest", "deployment=d1&service=nova", "application/x-ndjson",
                test_m23, 200, "{\"ingested\":2,\"ids\":[2,3]}");
    /* the service inferred from the publisher, the routing key from the priority */
    test_expect(t, "POST", "/stacky/ingest/", "deployment=d1", "application/json", test_m4, 200,
                "{\"ingested\":1,\"ids\":[4]}");
}

static int test_setup(void **state)
{
    setenv("VIGIL_FAKE_NOW", "2014-03-11T00:00:00Z", 1);
    return test_handler_setup(state);
}

/* ---- ingest ---- */

#define R1                                                                                         \
    "[1,\" \",\"2014-03-10 12:00:00\",\"d1\",\"compute.instance.update\",\"api-1\",\"active\","    \
    "null,\"\"]"
#define R2                                                                                         \
    "[2,\" \",\"2014-03-10 12:00:01.500000\",\"d1\",\"compute.instance.create.start\",\"h1\","     \
    "\"building\",\"\",\"\"]"
#define R3                                                                                         \
    "[3,\"E\",\"2014-03-10 12:00:11.250000\",\"d1\",\"compute.instance.create.end\",\"h1\","       \
    "\"active\",\"\",\"\"]"
#define R4 "[4,\"E\",\"2014-03-10 12:00:20\",\"d1\",\"rebuild_instance\",null,\"\",\"\",\"\"]"

static void test_stacky_ingest_forms(void **state)
{
    test_handler_t *t = *state;
    char seq[2048];

    test_stream(t);
    test_get(t, "/stacky/request/", "request_id=" REQ1, 200,
             "[" NOVA_TITLES "," R1 "," R2 "," R3 "]");
    test_get(t, "/stacky/uuid/", "uuid=" UUID1, 200,
             "[" NOVA_TITLES "," R1 "," R2 "," R3 "," R4 "]");
    test_get(t, "/stacky/search/", "field=routing_key&value=monitor.error", 200,
             "[" NOVA_TITLES "," R4 "," R3 "]");
    test_get(t, "/stacky/search/", "field=image_type&value=2", 200, "[" NOVA_TITLES "," R2 "]");
    test_get(t, "/stacky/search/", "field=instance&value=" UUID1 "&limit=1", 200,
             "[" NOVA_TITLES "," R4 "]");
    test_get(t, "/stacky/search/", "field=tenant&value=t1&limit=1", 200,
             "[" NOVA_TITLES "," R3 "]");
    test_get(t, "/stacky/search/", "field=old_state&value=", 200,
             "[" NOVA_TITLES "," R4 "," R3 "," R2 "]");
    test_get(t, "/stacky/search/", "field=state&value=building&offset=1", 200, "[]");
    test_get(t, "/stacky/hosts/", NULL, 200, "[[\"Host Name\"],[null],[\"api-1\"],[\"h1\"]]");
    test_get(t, "/stacky/deployments/", NULL, 200, "[[\"#\",\"Name\"],[1,\"d1\"]]");
    test_get(t, "/stacky/events/", "service=nova", 200,
             "[[\"Event Name\"],[\"compute.instance.create.end\"],"
             "[\"compute.instance.create.start\"],[\"compute.instance.update\"],"
             "[\"rebuild_instance\"]]");

    /* the old form: args holds the pair; a second deployment gets id 2 */
    test_expect(t, "POST", "/stacky/ingest/", "deployment=d2&service=generic",
                "application/x-www-form-urlencoded",
                "args=%5B%22monitor.info%22%2C%7B%22event_type%22%3A%22e%22%2C%22publisher_id%22"
                "%3A%22x.y%22%2C%22timestamp%22%3A%222014-03-10+12%3A00%3A00%22%7D%5D",
                200, "{\"ingested\":1,\"ids\":[1]}");
    test_get(t, "/stacky/search/", "service=generic&field=deployment&value=2", 200,
             "[[\"#\",\"?\",\"When\",\"Deployment\",\"Event\",\"Host\",\"Instance\",\"Request "
             "id\"],[1,\" \",\"2014-03-10 12:00:00\",\"d2\",\"e\",\"y\",null,\"\"]]");
    test_get(t, "/stacky/events/", NULL, 200,
             "[[\"Event Name\"],[\"compute.instance.create.end\"],"
             "[\"compute.instance.create.start\"],[\"compute.instance.update\"],"
             "[\"rebuild_instance\"],[\"e\"]]");
    test_get(t, "/stacky/deployments", NULL, 200, "[[\"#\",\"Name\"],[1,\"d1\"],[2,\"d2\"]]");
    /* RFC 7464 records, and a routing key from the parameter for a body alone */
    snprintf(seq, sizeof seq, "\x1e%s\n\x1e%s\n", test_m1, test_m4);
    test_expect(t, "POST", "/stacky/ingest/", "deployment=d1&service=nova&routing_key=k.error",
                "application/json-seq", seq, 200, "{\"ingested\":2,\"ids\":[5,6]}");
    test_get(t, "/stacky/search/", "field=routing_key&value=k.error", 200,
             "[" NOVA_TITLES ",[6,\"E\",\"2014-03-10 12:00:20\",\"d1\",\"rebuild_instance\",null,"
             "\"\",\"\",\"\"]]");
}

static void test_stacky_ingest_errors(void **state)
{
    test_handler_t *t = *state;
    char five[4096], *got;

    /* a stream stops at its bad message: what came before it stays */
    snprintf(five, sizeof five, "%s\n%s\n{\"event_type\":\"x\"}\n%s\n%s\n", test_m1, test_m1,
             test_m1, test_m1);
    assert_int_equal(test_request(&t->w, "POST", "/stacky/ingest/", "service=nova",
                                  "application/x-ndjson", five, &got),
                     400);
    assert_non_null(strstr(got, "[[\"Error\",\"Message\"],[\"Bad Request\",\"line 3: "));
    assert_non_null(strstr(got, " (2 ingested before it)\"]]"));
    free(got);
    assert_int_equal(test_request(&t->w, "GET", "/stacky/show/2/", NULL, NULL, NULL, &got), 200);
    assert_true(strlen(got) > 0);
    free(got);
    test_get(t, "/stacky/show/3/", NULL, 200, "");

    test_contains(t, "POST", "/stacky/ingest/", NULL, "application/json", "[\"monitor.info\", {",
                  400, "\"line 1: ");
    test_contains(t, "POST", "/stacky/ingest/", NULL, "application/json",
                  "{\"event_type\":\"x\",\"timestamp\":\"2014-03-10 12:00:00\"}", 400,
                  "(0 ingested before it)");
    test_contains(t, "POST", "/stacky/ingest/", NULL, "application/json",
                  "{\"event_type\":\"x\",\"publisher_id\":\"a.b\",\"timestamp\":\"yesterday\"}",
                  400, "\"line 1: ");
    test_contains(t, "POST", "/stacky/ingest/", NULL, "application/json", "", 400, "Empty body");
    test_contains(t, "POST", "/stacky/ingest/", NULL, "application/json", "\n \n", 400,
                  "Empty body");
    test_expect(t, "POST", "/stacky/ingest/", "service=cinder", "application/json", test_m1, 400,
                "[[\"Error\",\"Message\"],[\"Bad Request\",\"Unknown service: cinder\"]]");
    test_contains(t, "POST", "/stacky/ingest/",
                  "deployment=ddddddddddddddddddddddddddddddddddddddddddddddddddd",
                  "application/json", test_m1, 400, "Invalid deployment name");
    test_contains(t, "POST", "/stacky/ingest/", "deployment=", "application/json", test_m1, 400,
                  "Invalid deployment name");
    test_contains(t, "POST", "/stacky/ingest/", NULL, "application/x-www-form-urlencoded", "a=1",
                  400, "Missing form field: args");
    test_get(t, "/stacky/show/3/", NULL, 200, "");
    test_get(t, "/stacky/deployments/", NULL, 200, "[[\"#\",\"Name\"],[1,\"default\"]]");
}

/* ---- errors and parameters ---- */

static void test_stacky_errors(void **state)
{
    test_handler_t *t = *state;
    const char *params[] = {"REQUEST_METHOD=POST", "PATH_INFO=/stacky/uuid/", NULL};
    static const char field_note[] =
        "does not exist for the corresponding object.\\nNote: The field names of database are "
        "case-sensitive.";
    char msg[512];
    test_resp_t r;
    char *allow;

    test_stream(t);
    test_bad(t, "/stacky/request/", "request_id=" REQ1 "&limit=abc",
             "Invalid value for limit: abc");
    test_bad(t, "/stacky/request/", "request_id=" REQ1 "&limit=-1", "Invalid value for limit: -1");
    test_bad(t, "/stacky/request/", "request_id=" REQ1 "&offset=1.5",
             "Invalid value for offset: 1.5");
    test_bad(t, "/stacky/uuid/", "uuid=" UUID1 "&service=foo", "Unknown service: foo");
    test_bad(t, "/stacky/events/", "service=", "Unknown service: ");
    test_bad(t, "/stacky/hosts/", "service=all", "Unknown service: all");
    test_bad(t, "/stacky/uuid/", "uuid=" UUID1 "&when_min=noon",
             "Invalid value for when_min: noon");
    test_bad(t, "/stacky/uuid/", "uuid=" UUID1 "&when_max=1e9", "Invalid value for when_max: 1e9");
    test_bad(t, "/stacky/uuid/", NULL, "Missing parameter: uuid");
    test_bad(t, "/stacky/uuid/", "uuid=%7B" UUID1 "%7D", "{" UUID1 "} is not uuid-like");
    test_bad(t, "/stacky/timings/uuid/", "uuid=x", "x is not uuid-like");
    test_bad(t, "/stacky/usage/exists/", "instance=", " is not uuid-like");
    test_bad(t, "/stacky/request/", "request_id=" UUID1 "x", UUID1 "x is not request-id-like");
    test_bad(t, "/stacky/timings/", NULL, "Missing parameter: name");
    test_bad(t, "/stacky/timings/", "name=x&end_when_min=x", "Invalid value for end_when_min: x");
    test_bad(t, "/stacky/search/", "field=host", "Missing parameter: value");
    test_bad(t, "/stacky/search/", "value=x", "Missing parameter: field");
    snprintf(msg, sizeof msg, "The requested field 'Host' %s", field_note);
    test_bad(t, "/stacky/search/", "field=Host&value=x", msg);
    snprintf(msg, sizeof msg, "The requested field 'uuid' %s", field_note);
    test_bad(t, "/stacky/search/", "field=uuid&value=x", msg);
    snprintf(msg, sizeof msg, "The requested field 'tenant' %s", field_note);
    test_bad(t, "/stacky/search/", "field=tenant&value=x&service=glance", msg);
    test_bad(t, "/stacky/search/", "field=id&value=one", "Invalid value for id: one");
    test_bad(t, "/stacky/search/", "field=image_type&value=2.5",
             "Invalid value for image_type: 2.5");
    test_get(t, "/stacky/kpi/t9/", NULL, 404,
             "[[\"Error\",\"Message\"],[\"Not Found\",\"Could not find raws for tenant t9\"]]");
    test_get(t, "/stacky/nothing", NULL, 404,
             "[[\"Error\",\"Message\"],[\"Not Found\",\"no such path: /stacky/nothing\"]]");
    test_get(t, "/stacky/show/1x/", NULL, 404,
             "[[\"Error\",\"Message\"],[\"Not Found\",\"no such path: /stacky/show/1x/\"]]");
    test_get(t, "/stacky/kpi/a.b/", NULL, 404,
             "[[\"Error\",\"Message\"],[\"Not Found\",\"no such path: /stacky/kpi/a.b/\"]]");
    test_get(t, "/stacky/show/99999999999999999999999/", NULL, 200, "");
    test_expect(t, "POST", "/stacky/uuid/", NULL, NULL, NULL, 405,
                "[[\"Error\",\"Message\"],[\"Method Not Allowed\",\"method POST not allowed for "
                "/stacky/uuid/\"]]");
    test_serve(&t->w, params, NULL, 0, &r);
    allow = test_resp_header(&r, "Allow");
    assert_string_equal(allow, "GET, HEAD");
    free(allow);
    test_resp_free(&r);
}

static void test_stacky_paging_and_times(void **state)
{
    test_handler_t *t = *state;
    size_t cap = 1100 * 128, n = 0, rows = 0;
    char *body = malloc(cap), *got;

    test_stream(t);
    test_get(t, "/stacky/uuid/", "uuid=" UUID1 "&limit=1&offset=1", 200,
             "[" NOVA_TITLES "," R2 "]");
    test_get(t, "/stacky/uuid/", "uuid=" UUID1 "&limit=0", 200, "[]");
    test_get(t, "/stacky/uuid/", "uuid=" UUID1 "&limit=&offset=", 200,
             "[" NOVA_TITLES "," R1 "," R2 "," R3 "," R4 "]");
    test_get(t, "/stacky/request/", "request_id=" REQ1 "&limit=0", 200, "[" NOVA_TITLES "]");
    test_get(t, "/stacky/request/", "request_id=" REQ1 "&offset=9", 200, "[" NOVA_TITLES "]");
    /* bounds are inclusive; digits past the microsecond round inward */
    test_get(t, "/stacky/uuid/", "uuid=" UUID1 "&when_min=1394452801.5&when_max=1394452801.5", 200,
             "[" NOVA_TITLES "," R2 "]");
    test_get(t, "/stacky/uuid/",
             "uuid=" UUID1 "&when_min=1394452801.4999991&when_max=1394452801.5000009", 200,
             "[" NOVA_TITLES "," R2 "]");
    test_get(t, "/stacky/uuid/", "uuid=" UUID1 "&when_min=1394452801.5000001", 200,
             "[" NOVA_TITLES "," R3 "," R4 "]");
    test_get(t, "/stacky/uuid/", "uuid=" UUID1 "&when_max=1394452801.4999999", 200,
             "[" NOVA_TITLES "," R1 "]");
    test_get(t, "/stacky/search/", "field=when&value=1394452801.5", 200,
             "[" NOVA_TITLES "," R2 "]");
    test_get(t, "/stacky/search/", "field=when&value=1394452801.5000001", 200, "[]");
    test_get(t, "/stacky/search/", "field=id&value=2&when_max=1394452801", 200, "[]");
    test_get(t, "/stacky/search/", "field=id&value=2&when_max=1394452802", 200,
             "[" NOVA_TITLES "," R2 "]");
    test_get(t, "/stacky/search/", "field=deployment&value=2", 200, "[]");

    /* a limit above 1000 is cut to 1000 */
    assert_non_null(body);
    for (int i = 0; i < 1001; i++)
        n += (size_t)snprintf(body + n, cap - n,
                              "[\"r\",{\"event_type\":\"e\",\"publisher_id\":\"p.h\","
                              "\"timestamp\":\"2014-03-10 13:%02d:%02d\"}]\n",
                              i / 60 % 60, i % 60);
    test_contains(t, "POST", "/stacky/ingest/", "service=generic", "application/x-ndjson", body,
                  200, "{\"ingested\":1001,\"ids\":[1,2,3,");
    free(body);
    assert_int_equal(test_request(&t->w, "GET", "/stacky/search/",
                                  "service=generic&field=event&value=e&limit=5000", NULL, NULL,
                                  &got),
                     200);
    for (const char *p = got; (p = strstr(p, "\"e\",\"h\"")) != NULL; p++)
        rows++;
    assert_int_equal(rows, 1000);
    assert_non_null(strstr(got, "[1001,\" \",\"2014-03-10 13:16:40\",\"default\",\"e\",\"h\""));
    free(got);
}

/* ---- timings, summary, kpi, watch, show ---- */

static void test_stacky_derived_views(void **state)
{
    test_handler_t *t = *state;

    test_stream(t);
    test_get(t, "/stacky/timings/uuid/", "uuid=" UUID1, 200,
             "[[\"?\",\"Event\",\"Time (secs)\"],[\".\",\"compute.instance.create\",\"0d "
             "00:00:09.75\"]]");
    test_get(t, "/stacky/timings/uuid/", "uuid=" UUID1 "&offset=1", 200,
             "[[\"?\",\"Event\",\"Time (secs)\"]]");
    test_get(t, "/stacky/timings/", "name=compute.instance.create", 200,
             "[[\"compute.instance.create\",\"Time\"],[\"" UUID1 "\",\"0d 00:00:09.75\"]]");
    test_get(t, "/stacky/timings/", "name=compute.instance.create&end_when_max=1394452811", 200,
             "[[\"compute.instance.create\",\"Time\"]]");
    test_get(t, "/stacky/summary/", NULL, 200,
             "[[\"Event\",\"N\",\"Min\",\"Max\",\"Avg\"],[\"compute.instance.create\",1,\"0d "
             "00:00:09.75\",\"0d 00:00:09.75\",\"0d 00:00:09\"]]");
    test_get(t, "/stacky/summary/", "offset=1", 200, "[[\"Event\",\"N\",\"Min\",\"Max\",\"Avg\"]]");
    /* the API update's tracker, closed by the create.end of its request */
    test_get(t, "/stacky/kpi/", NULL, 200,
             "[[\"Event\",\"Time\",\"UUID\",\"Deployment\"],[\"compute.instance.create\",\"0d "
             "00:00:11.25\",\"" UUID1 "\",\"d1\"]]");
    test_get(t, "/stacky/kpi/t1", NULL, 200,
             "[[\"Event\",\"Time\",\"UUID\",\"Deployment\"],[\"compute.instance.create\",\"0d "
             "00:00:11.25\",\"" UUID1 "\",\"d1\"]]");
    test_get(t, "/stacky/usage/launches/", "instance=" UUID1, 200,
             "[[\"UUID\",\"Launched At\",\"Instance Type Id\",\"Instance Flavor Id\"],"
             "[\"" UUID1 "\",null,null,null]]");
    test_get(t, "/stacky/usage/deletes/", NULL, 200, "[[\"UUID\",\"Launched At\",\"Deleted At\"]]");
    test_get(t, "/stacky/watch/1/", "since=1394452800", 200,
             "[[10,1,15,20,29,36],[[2,\" \",\"2014-03-10\",\"12:00:01.500000\",\"d1\","
             "\"compute.instance.create.start\",\"" UUID1 "\"],[3,\"E\",\"2014-03-10\","
             "\"12:00:11.250000\",\"d1\",\"compute.instance.create.end\",\"" UUID1 "\"],[4,\"E\","
             "\"2014-03-10\",\"12:00:20\",\"d1\",\"rebuild_instance\",\"" UUID1 "\"]],"
             "\"1394496000\"]");
    test_get(t, "/stacky/watch/0/", "since=1394452811.25&event_name=rebuild_instance", 200,
             "[[10,1,15,20,29,36],[[4,\"E\",\"2014-03-10\",\"12:00:20\",\"d1\","
             "\"rebuild_instance\",\"" UUID1 "\"]],\"1394496000\"]");
    test_get(t, "/stacky/watch/0/", "service=glance&since=0", 200,
             "[[10,1,15,20,29,36],[],\"1394496000\"]");
    test_get(t, "/stacky/watch/1/", NULL, 200, "[[10,1,15,20,29,36],[],\"1394496000\"]");
    test_contains(t, "GET", "/stacky/show/4/", NULL, NULL, NULL, 200,
                  "[[[\"Key\",\"Value\"],[\"#\",4],[\"When\",\"2014-03-10 12:00:20\"],"
                  "[\"Deployment\",\"d1\"],[\"Category\",\"monitor.error\"],"
                  "[\"Publisher\",\"compute\"],[\"State\",\"\"],[\"Event\",\"rebuild_instance\"],"
                  "[\"Service\",\"compute\"],[\"Host\",null],[\"UUID\",\"" UUID1 "\"],"
                  "[\"Req ID\",\"\"]],\"[\\n  \\\"monitor.error\\\",\\n  {\\n    "
                  "\\\"event_type\\\": \\\"rebuild_instance\\\",");
    test_contains(t, "GET", "/stacky/show/4", NULL, NULL, NULL, 200, "}\\n]\",\"" UUID1 "\"]");
    test_get(t, "/stacky/show/4/", "service=glance", 200, "");
}

/* ---- reports ---- */

#define REPORT1_JSON "[{\"a\":1}]"
#define REPORT2_JSON "[{\"b\": 2}, [\"x\"]]"

static int test_reports_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    static const sk_report_t reports[] = {
        {0, 1389726000000000LL, 1389729599000000LL, 1389730212947450LL, "summary for region: all",
         4, REPORT1_JSON, sizeof REPORT1_JSON - 1},
        {0, 1394452800000000LL, 1394456399000000LL, 1394456700500000LL, "summary for region: all",
         4, REPORT2_JSON, sizeof REPORT2_JSON - 1},
        {0, 1394409600000000LL, 1394495999000000LL, 1394495999000000LL, "other", 1, "[]", 2},
    };
    uint64_t id;
    int rc = VG_OK;

    (void)arg;
    for (size_t i = 0; i < 3 && rc == VG_OK; i++)
        rc = sk_report_put(st, txn, &reports[i], &id, err);
    return rc;
}

#define REPORT_TITLES "[\"Id\",\"Start\",\"End\",\"Created\",\"Name\",\"Version\"]"
#define REPORT1_TEXT                                                                               \
    "[1,\"2014-01-14 19:00:00\",\"2014-01-14 19:59:59\",\"2014-01-14 20:10:12\",\"summary for "    \
    "region: all\",4]"
#define REPORT2_TEXT                                                                               \
    "[2,\"2014-03-10 12:00:00\",\"2014-03-10 12:59:59\",\"2014-03-10 13:05:00\",\"summary for "    \
    "region: all\",4]"
#define REPORT3_TEXT                                                                               \
    "[3,\"2014-03-10 00:00:00\",\"2014-03-10 23:59:59\",\"2014-03-10 23:59:59\",\"other\",1]"

static void test_stacky_reports(void **state)
{
    test_handler_t *t = *state;
    vg_err_t err = {0};

    test_get(t, "/stacky/reports/", NULL, 200, "[" REPORT_TITLES "]");
    assert_int_equal(store_txn_run(t->w.store, test_reports_txn, NULL, &err), VG_OK);
    /* created in the last 24 hours by default, as unix floats */
    test_get(t, "/stacky/reports/", NULL, 200,
             "[" REPORT_TITLES ",[2,1394452800.0,1394456399.0,1394456700.5,\"summary for region: "
             "all\",4],[3,1394409600.0,1394495999.0,1394495999.0,\"other\",1]]");
    test_get(t, "/stacky/reports", "created_from=0&limit=1", 200,
             "[" REPORT_TITLES ",[1,1389726000.0,1389729599.0,1389730212.94745,\"summary for "
             "region: all\",4]]");
    test_get(t, "/stacky/reports/", "created_from=1394456700.5&created_to=1394456700.5", 200,
             "[" REPORT_TITLES ",[2,1394452800.0,1394456399.0,1394456700.5,\"summary for region: "
             "all\",4]]");
    /* the search: by id descending, times as text */
    test_get(t, "/stacky/reports/search/", "name=summary%20for%20region:%20all", 200,
             "[" REPORT_TITLES "," REPORT2_TEXT "," REPORT1_TEXT "]");
    test_get(t, "/stacky/reports/search", "created=2014-03-10", 200,
             "[" REPORT_TITLES "," REPORT3_TEXT "," REPORT2_TEXT "]");
    test_get(t, "/stacky/reports/search/", "created=2014-03-10&offset=1&limit=1", 200,
             "[" REPORT_TITLES "," REPORT2_TEXT "]");
    test_get(t, "/stacky/reports/search/", "period_start=2014-01-14%2019:00", 200,
             "[" REPORT_TITLES "," REPORT1_TEXT "]");
    test_get(t, "/stacky/reports/search/", "period_start=2014-01-14T19:00:00.000000Z", 200,
             "[" REPORT_TITLES "," REPORT1_TEXT "]");
    test_get(t, "/stacky/reports/search/", "period_start=2014-01-14%2020:00%2B01:00", 200,
             "[" REPORT_TITLES "," REPORT1_TEXT "]");
    test_get(t, "/stacky/reports/search/", "period_end=2014-03-10%2023:59:59&id=3", 200,
             "[" REPORT_TITLES "," REPORT3_TEXT "]");
    test_get(t, "/stacky/reports/search/", "id=2&name=other", 200, "[" REPORT_TITLES "]");
    test_bad(t, "/stacky/reports/search/", "b=1&a=2&id=x&a=3",
             "The requested fields either do not exist for the corresponding object or are not "
             "searchable: a, b. Note: The field names of database are case-sensitive.");
    test_bad(t, "/stacky/reports/search/", "id=-1",
             "'-1' value has an invalid format. It must be in integer format.");
    test_bad(t, "/stacky/reports/search/", "created=2014-02-30",
             "'2014-02-30' value has an invalid format. It must be in YYYY-MM-DD format.");
    test_bad(t, "/stacky/reports/search/", "period_end=2014-01-14%2025:00",
             "'2014-01-14 25:00' value has an invalid format. It must be in YYYY-MM-DD "
             "HH:MM[:ss[.uuuuuu]][TZ] format.");
    test_bad(t, "/stacky/reports/", "created_from=x", "Invalid value for created_from: x");
    test_expect(t, "GET", "/stacky/report/2/", NULL, NULL, NULL, 200, REPORT2_JSON);
    test_get(t, "/stacky/report/1", NULL, 200, REPORT1_JSON);
    test_get(t, "/stacky/report/4", NULL, 404,
             "[[\"Error\",\"Message\"],[\"Not Found\",\"Report 4 not found\"]]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stacky_ingest_forms, test_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_stacky_ingest_errors, test_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_stacky_errors, test_setup, test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_stacky_paging_and_times, test_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_stacky_derived_views, test_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_stacky_reports, test_setup, test_handler_teardown),
    };

    return cmocka_run_group_tests_name("handlers/stacky_api", tests, NULL, NULL);
}
