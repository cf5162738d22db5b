/* fcgi/serve.c - the request pipeline shared by every mode of vigil-fcgi.
 * SPDX-License-Identifier: MIT */
#include "serve.h"

#include "core/log.h"
#include "core/time.h"
#include "router.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Bodies past the limit are read and dropped up to this much, so a web server that is still
 * sending sees our 413 rather than a reset connection; beyond it the connection is closed. */
#define FC_DRAIN_MAX ((size_t)1 << 30)

static void fc_drain(fc_conn_t *conn, size_t max)
{
    char buf[65536];
    size_t total = 0;
    long n;

    while (total < max && (n = conn->read(conn->ctx, buf, sizeof buf)) > 0)
        total += (size_t)n;
}

/* Reads the body: Content-Length bytes, or (when none was given) up to the end of the stream.
 * Returns VG_ETOOBIG past limit (checked before allocating), VG_EINVAL when it ends early. */
static int fc_read_body(req_t *req, fc_conn_t *conn, size_t limit, vg_err_t *err)
{
    size_t want, len = 0;
    char *body;

    if (req->content_length >= 0) {
        if ((uint64_t)req->content_length > limit)
            return vg_fail(err, VG_ETOOBIG,
                           "request body of %lld bytes exceeds the limit of %zu "
                           "bytes",
                           (long long)req->content_length, limit);
        want = (size_t)req->content_length;
        body = vg_arena_alloc(req->arena, want + 1);
        while (len < want) {
            long n = conn->read(conn->ctx, body + len, want - len);

            if (n <= 0)
                return vg_fail(err, VG_EINVAL, "request body ended after %zu of %zu bytes", len,
                               want);
            len += (size_t)n;
        }
    } else if (!(req->method_bit & (M_POST | M_PUT | M_PATCH | M_DELETE))) {
        body = vg_arena_alloc(req->arena, 1); /* a GET without a length has no body */
    } else {
        /* no length: read to the end of the stream, at most limit + 1 bytes to detect excess */
        size_t cap = 65536;

        body = vg_arena_alloc(req->arena, cap + 1);
        for (;;) {
            long n;

            if (len == cap) {
                if (cap > limit)
                    return vg_fail(err, VG_ETOOBIG, "request body exceeds the limit of %zu bytes",
                                   limit);
                size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
                char *nb = vg_arena_alloc(req->arena, ncap + 1);

                memcpy(nb, body, len);
                body = nb;
                cap = ncap;
            }
            n = conn->read(conn->ctx, body + len, cap - len);
            if (n < 0)
                return vg_fail(err, VG_EINVAL, "error reading the request body");
            if (n == 0)
                break;
            len += (size_t)n;
        }
        if (len > limit)
            return vg_fail(err, VG_ETOOBIG, "request body exceeds the limit of %zu bytes", limit);
    }
    body[len] = '\0';
    return req_set_body(req, body, len, err);
}

void fc_serve(fc_worker_t *w, char *const *params, size_t nparams, fc_conn_t *conn)
{
    int64_t t0 = vg_mono_us();
    vg_err_t err = {0};
    fc_match_t m;
    req_t req;
    resp_t resp;
    vg_buf_t out;
    int rc;

    req_init(&req, &w->arena, w->conf);
    req.store = w->store;
    req.store_error = w->store_error;
    if (w->pid == 0)
        w->pid = (int)getpid();
    req.pid = w->pid;
    snprintf(req.id, sizeof req.id, "%x-%lx", (unsigned)w->pid, ++w->seq);
    vg_log_set_request(req.id);
    resp_init(&resp, &w->arena);

    rc = req_from_params(&req, params, nparams, &err);
    fc_route(&req, &m);
    if (rc != VG_OK) {
        fc_render_error(&req, &resp, &m, &err);
        fc_drain(conn, FC_DRAIN_MAX);
    } else if ((rc = fc_read_body(&req, conn, fc_body_limit(&req, &m), &err)) != VG_OK) {
        fc_render_error(&req, &resp, &m, &err);
        fc_drain(conn, FC_DRAIN_MAX);
    } else {
        fc_dispatch(&req, &resp, &m);
    }

    vg_buf_init(&out, &w->arena);
    resp_serialize(&resp, req.method_bit == M_HEAD, &out);
    rc = conn->write(conn->ctx, out.p, out.len);

    int64_t us = vg_mono_us() - t0;

    vg_log(LOG_INFO, "http: %s %s %d %zu %lldus%s", req.method, req.path, resp.status,
           resp.body.len, (long long)us, rc < 0 ? " (client gone)" : "");
    fc_stats_request(req.route, req.method_bit == M_OTHER ? "other" : req.method, resp.status, us);
    vg_log_set_request(NULL);
    vg_arena_reset(&w->arena);
}
