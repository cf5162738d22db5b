/* tests/support/fake_req.c - in-memory fc_conn_t.
 * SPDX-License-Identifier: MIT */
#include "fake_req.h"

#include "core/buf.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *in;
    size_t in_len, in_off;
    vg_buf_t out;
} test_conn_t;

static long test_read(void *ctx, char *buf, size_t n)
{
    test_conn_t *c = ctx;
    size_t left = c->in_len - c->in_off;

    if (n > left)
        n = left;
    memcpy(buf, c->in + c->in_off, n);
    c->in_off += n;
    return (long)n;
}

static int test_write(void *ctx, const char *buf, size_t n)
{
    test_conn_t *c = ctx;

    vg_buf_add(&c->out, buf, n);
    return 0;
}

void test_serve(fc_worker_t *w, const char *const *params, const char *body, size_t body_len,
                test_resp_t *out)
{
    test_conn_t c = {.in = body ? body : "", .in_len = body ? body_len : 0};
    fc_conn_t conn = {.ctx = &c, .read = test_read, .write = test_write};
    char *sep;

    vg_buf_init(&c.out, NULL);
    fc_serve(w, (char *const *)params, (size_t)-1, &conn);
    memset(out, 0, sizeof *out);
    sep = strstr(c.out.p, "\r\n\r\n");
    if (sep == NULL) {
        out->head = vg_xstrdup(c.out.p);
        out->body = vg_xstrdup("");
    } else {
        out->head = vg_xmalloc((size_t)(sep - c.out.p) + 3);
        memcpy(out->head, c.out.p, (size_t)(sep - c.out.p) + 2);
        out->head[sep - c.out.p + 2] = '\0';
        out->body_len = c.out.len - (size_t)(sep + 4 - c.out.p);
        out->body = vg_xmalloc(out->body_len + 1);
        memcpy(out->body, sep + 4, out->body_len);
        out->body[out->body_len] = '\0';
    }
    if (strncmp(out->head, "Status: ", 8) == 0)
        out->status = atoi(out->head + 8);
    vg_buf_fini(&c.out);
}

void test_resp_free(test_resp_t *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

int test_request(fc_worker_t *w, const char *method, const char *path, const char *query,
                 const char *ct, const char *body, char **out)
{
    char m[64], p[512], q[2048], c[256], l[64];
    const char *params[] = {m, p, q, c, l, TEST_APPKEY_HEADER, NULL};
    test_resp_t r;
    int status;

    snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
    snprintf(p, sizeof p, "PATH_INFO=%s", path);
    snprintf(q, sizeof q, "QUERY_STRING=%s", query ? query : "");
    snprintf(c, sizeof c, "CONTENT_TYPE=%s", ct ? ct : "");
    snprintf(l, sizeof l, "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
    test_serve(w, params, body, body ? strlen(body) : 0, &r);
    status = r.status;
    *out = vg_xstrdup(r.body);
    test_resp_free(&r);
    return status;
}

char *test_resp_header(const test_resp_t *r, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = r->head; p != NULL && *p;
         p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1, *e = strstr(v, "\r\n");

            while (*v == ' ')
                v++;
            size_t len = e ? (size_t)(e - v) : strlen(v);
            char *s = vg_xmalloc(len + 1);

            memcpy(s, v, len);
            s[len] = '\0';
            return s;
        }
    }
    return NULL;
}
