/* tests/support/fake_req.h - drives fc_serve() with in-memory parameters and body and captures
 * the response, so handler and router tests need no web server (h2o's loopback idea).
 * SPDX-License-Identifier: MIT */
#ifndef TEST_FAKE_REQ_H
#define TEST_FAKE_REQ_H

#include "fcgi/serve.h"

#include <stddef.h>

/* The appkey handler_fixture registers for [store] default_project; test_request sends it. */
#define TEST_APPKEY        "test-appkey-0001"
#define TEST_APPKEY_HEADER "HTTP_X_TC_APP_KEY=" TEST_APPKEY

typedef struct {
    int status;
    char *head; /* the response head, "Status: ..." through the blank line */
    char *body;
    size_t body_len;
} test_resp_t;

/* Runs one request through w. params is a NULL-terminated "NAME=value" list; body may be NULL.
 * The response is malloc'd: free it with test_resp_free. */
void test_serve(fc_worker_t *w, const char *const *params, const char *body, size_t body_len,
                test_resp_t *out);
void test_resp_free(test_resp_t *r);
/* One request (method, path, query string, Content-Type and body may be NULL): returns the
 * status and the body in *out (malloc'd). */
int test_request(fc_worker_t *w, const char *method, const char *path, const char *query,
                 const char *ct, const char *body, char **out);
/* A header value from the captured head (case-insensitive name), malloc'd, or NULL. */
char *test_resp_header(const test_resp_t *r, const char *name);

#endif
