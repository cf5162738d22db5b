/* tests/unit/handlers/test_sysmon.c - appkey authentication and the sysmon API through
 * fc_serve(): where the key may come from (header, Basic password) and what a missing, unknown,
 * malformed, revoked or foreign key gets in each API's shape; base64; the inventory's project
 * isolation (a prefix never reaches a project whose id merely starts the same); and a job's
 * delete taking its targets and their status.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/digest.h"
#include "store/inventory.h"
#include "support/fake_req.h"
#include "support/handler_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One GET with the given extra parameter (a header, or NULL); the body in *out. */
static int test_get(test_handler_t *t, const char *path, const char *hdr, char **out)
{
    char p[512];
    const char *params[] = {"REQUEST_METHOD=GET", p, hdr, NULL};
    test_resp_t r;
    int status;

    snprintf(p, sizeof p, "PATH_INFO=%s", path);
    test_serve(&t->w, params, NULL, 0, &r);
    status = r.status;
    *out = strdup(r.body);
    test_resp_free(&r);
    return status;
}

static int test_key_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    const char *const *pk = arg;

    return inv_appkey_add(st, txn, pk[0], pk[1], 0, err);
}

static void test_add_key(test_handler_t *t, const char *project, const char *key)
{
    const char *pk[] = {project, key};
    vg_err_t err = {0};

    assert_int_equal(store_txn_run(t->w.store, test_key_txn, (void *)pk, &err), VG_OK);
}

static void test_base64(void **state)
{
    unsigned char out[64];

    (void)state;
    assert_int_equal(vg_base64_decode("cDprZXk=", 8, out, sizeof out), 5);
    assert_memory_equal(out, "p:key", 5);
    assert_int_equal(vg_base64_decode("cDprZXkx", 8, out, sizeof out), 6);
    assert_int_equal(vg_base64_decode("cDprZQ==", 8, out, sizeof out), 4);
    assert_int_equal(vg_base64_decode("", 0, out, sizeof out), 0);
    assert_int_equal(vg_base64_decode("cDprZXk", 7, out, sizeof out), -1);  /* length */
    assert_int_equal(vg_base64_decode("cD=rZXk=", 8, out, sizeof out), -1); /* inner '=' */
    assert_int_equal(vg_base64_decode("cDpr*Xk=", 8, out, sizeof out), -1); /* alphabet */
    assert_int_equal(vg_base64_decode("cDprZXkx", 8, out, 5), -1);          /* room */
}

static void test_auth_prometheus(void **state)
{
    test_handler_t *t = *state;
    static const struct {
        const char *hdr;
        int status;
        const char *body;
    } cases[] = {
        {NULL, 401,
         "{\"status\":\"error\",\"errorType\":\"unauthorized\",\"error\":\"appkey required: send "
         "it in X-TC-APP-KEY or as the HTTP Basic password\"}"},
        {"HTTP_X_TC_APP_KEY=wrong-key", 401,
         "{\"status\":\"error\",\"errorType\":\"unauthorized\",\"error\":\"invalid appkey\"}"},
        {"HTTP_X_TC_APP_KEY=", 401, NULL},
        {TEST_APPKEY_HEADER, 200, "{\"status\":\"success\",\"data\":[]}"},
        /* base64("proj:test-appkey-0001") */
        {"HTTP_AUTHORIZATION=Basic cHJvajp0ZXN0LWFwcGtleS0wMDAx", 200, NULL},
        {"HTTP_AUTHORIZATION=basic cHJvajp0ZXN0LWFwcGtleS0wMDAx", 200, NULL},
        /* base64(":test-appkey-0001"): an empty user is fine */
        {"HTTP_AUTHORIZATION=Basic OnRlc3QtYXBwa2V5LTAwMDE=", 200, NULL},
        /* base64("test-appkey-0001"): no colon, so no password */
        {"HTTP_AUTHORIZATION=Basic dGVzdC1hcHBrZXktMDAwMQ==", 401, NULL},
        {"HTTP_AUTHORIZATION=Basic %%%%", 401, NULL},
        {"HTTP_AUTHORIZATION=Bearer test-appkey-0001", 401, NULL},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body;
        int status = test_get(t, "/prometheus/api/v1/labels", cases[i].hdr, &body);

        if (status != cases[i].status || (cases[i].body && strcmp(body, cases[i].body) != 0))
            fail_msg("case %zu (%s): got %d %s", i, cases[i].hdr ? cases[i].hdr : "none", status,
                     body);
        free(body);
    }
}

static void test_auth_sysmon(void **state)
{
    test_handler_t *t = *state;
    const char *def = t->fx->conf.store_default_project;
    char path[256], *body;

    test_add_key(t, "other", "other-key-1");
    snprintf(path, sizeof path, "/v1.0/projects/%s/jobs", def);
    assert_int_equal(test_get(t, path, NULL, &body), 401);
    assert_string_equal(body, "{\"header\":{\"isSuccessful\":false,\"resultCode\":401,"
                              "\"resultMessage\":\"UNAUTHORIZED\"},\"body\":\"appkey required: "
                              "send it in X-TC-APP-KEY or as the HTTP Basic password\"}");
    free(body);
    assert_int_equal(test_get(t, path, "HTTP_X_TC_APP_KEY=other-key-1", &body), 403);
    assert_non_null(strstr(body, "\"resultCode\":403,\"resultMessage\":\"FORBIDDEN\""));
    free(body);
    assert_int_equal(test_get(t, path, TEST_APPKEY_HEADER, &body), 200);
    assert_string_equal(body, "{\"header\":{\"isSuccessful\":true,\"resultCode\":0,"
                              "\"resultMessage\":\"SUCCESS\"},\"body\":[]}");
    free(body);
    /* the other project's key works on its own path, and only there */
    assert_int_equal(
        test_get(t, "/v1.0/projects/other/jobs", "HTTP_X_TC_APP_KEY=other-key-1", &body), 200);
    free(body);
    assert_int_equal(test_get(t, "/v1.0/projects/other/jobs", TEST_APPKEY_HEADER, &body), 403);
    free(body);
}

static int test_revoke_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    int n;

    return inv_appkey_revoke(st, txn, arg, &n, err);
}

static void test_revoke(void **state)
{
    test_handler_t *t = *state;
    char digest[65], prefix[16], *body;
    vg_err_t err = {0};

    test_add_key(t, "p1", "revoke-me-1");
    test_add_key(t, "p1", "revoke-me-2");
    /* a key registered again for its own project is a no-op; for another project an error */
    test_add_key(t, "p1", "revoke-me-1");
    {
        const char *pk[] = {"p2", "revoke-me-1"};

        assert_int_equal(store_txn_run(t->w.store, test_key_txn, (void *)pk, &err), VG_ECONFLICT);
    }
    assert_int_equal(
        test_get(t, "/prometheus/api/v1/labels", "HTTP_X_TC_APP_KEY=revoke-me-1", &body), 200);
    free(body);
    assert_int_equal(store_txn_run(t->w.store, test_revoke_txn, "revoke-me-1", &err), VG_OK);
    assert_int_equal(
        test_get(t, "/prometheus/api/v1/labels", "HTTP_X_TC_APP_KEY=revoke-me-1", &body), 401);
    free(body);
    /* by digest prefix, as `appkey list` shows it */
    vg_sha256_hex("revoke-me-2", 11, digest);
    snprintf(prefix, sizeof prefix, "sha256:%.8s", digest);
    assert_int_equal(store_txn_run(t->w.store, test_revoke_txn, prefix, &err), VG_OK);
    assert_int_equal(
        test_get(t, "/prometheus/api/v1/labels", "HTTP_X_TC_APP_KEY=revoke-me-2", &body), 401);
    free(body);
    assert_int_equal(store_txn_run(t->w.store, test_revoke_txn, prefix, &err), VG_ENOTFOUND);
    assert_int_equal(store_txn_run(t->w.store, test_revoke_txn, "sha256:12", &err), VG_ENOTFOUND);
}

typedef struct {
    int n;
    char last[128];
} test_count_t;

static int test_count(const char *id, json_object *doc, void *arg)
{
    test_count_t *c = arg;

    (void)doc;
    c->n++;
    snprintf(c->last, sizeof c->last, "%s", id);
    return 0;
}

static int test_inventory_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    inv_server_t a = {"ab", "h1", "n", "10.0.0.1", NULL, NULL},
                 b = {"a", "h2", "n", "::1", "i-2", "jp"};
    test_count_t c = {0};
    json_object *doc = json_object_new_object();
    int rc;

    (void)arg;
    assert_int_equal(inv_server_put(st, txn, &a, err), VG_OK);
    assert_int_equal(inv_server_put(st, txn, &b, err), VG_OK);
    /* "a/" never lists "ab/..." */
    assert_int_equal(inv_list(st, txn, INV_SERVER, "a", NULL, test_count, &c, err), VG_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.last, "a/h2");
    /* ids that could escape their project are refused */
    a.project = "a/b";
    assert_int_equal(inv_server_put(st, txn, &a, err), VG_EINVAL);
    a.project = "ab";
    a.host_id = "h/1";
    assert_int_equal(inv_server_put(st, txn, &a, err), VG_EINVAL);
    a.host_id = "h1";
    a.region = "eu";
    assert_int_equal(inv_server_put(st, txn, &a, err), VG_EINVAL);
    a.region = NULL;
    a.ip = "1.2.3";
    assert_int_equal(inv_server_put(st, txn, &a, err), VG_EINVAL);
    /* a target's status is recorded only while the target exists */
    assert_int_equal(inv_target_status_put(st, txn, "a", "j", "t", 0, NULL, 0, err), VG_ENOTFOUND);
    assert_int_equal(inv_put(st, txn, INV_TARGET, "a", "j/t", doc, err), VG_OK);
    assert_int_equal(inv_target_status_put(st, txn, "a", "j", "t", 1, "down", 0, err), VG_OK);
    json_object_put(doc);
    rc = inv_get(st, txn, INV_TARGET_STATUS, "a", "j/t", &doc, err);
    assert_int_equal(rc, VG_OK);
    assert_string_equal(json_object_to_json_string(doc),
                        "{ \"resultCd\": 1, \"failReason\": \"down\", \"mntrnStatCd\": \"DOWN\", "
                        "\"lastScrape\": \"1970-01-01T00:00:00Z\" }");
    json_object_put(doc);
    return VG_OK;
}

static void test_inventory(void **state)
{
    test_handler_t *t = *state;
    vg_err_t err = {0};
    char id[37];

    assert_int_equal(store_txn_run(t->w.store, test_inventory_txn, NULL, &err), VG_OK);
    inv_uuid(id);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');
    assert_true(strchr("89ab", id[19]) != NULL);
    assert_true(inv_project_valid("proj-1.a_b"));
    assert_false(inv_project_valid(""));
    assert_false(inv_project_valid("a b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test_setup_teardown(test_auth_prometheus, test_handler_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_auth_sysmon, test_handler_setup,
                                        test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_revoke, test_handler_setup, test_handler_teardown),
        cmocka_unit_test_setup_teardown(test_inventory, test_handler_setup, test_handler_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
