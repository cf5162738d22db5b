/* fcgi/serve.h - one request from parameters to response, independent of how bytes arrive:
 * FastCGI streams, CGI stdin/stdout, or a test's buffers all go through fc_serve().
 * SPDX-License-Identifier: MIT */
#ifndef FC_SERVE_H
#define FC_SERVE_H

#include "http.h"

typedef struct {
    void *ctx;
    /* Reads up to n bytes; returns the count, 0 at the end of the body, -1 on error. */
    long (*read)(void *ctx, char *buf, size_t n);
    /* Writes all n bytes; returns 0, or -1 when the peer is gone. */
    int (*write)(void *ctx, const char *buf, size_t n);
} fc_conn_t;

typedef struct {
    const conf_t *conf;
    store_t *store;          /* NULL while the store cannot be opened */
    const char *store_error; /* why */
    vg_arena_t arena;        /* reset after every response */
    unsigned long seq;       /* requests served by this process */
    int pid;                 /* this process, for request ids (0: not looked up yet) */
} fc_worker_t;

/* Serves one request: parses params, routes, enforces the body limit (413 without reading past
 * it; the rest is drained so the web server sees a clean answer), reads the body, dispatches,
 * writes the response, logs one line and counts it. Resets w->arena before returning. */
void fc_serve(fc_worker_t *w, char *const *params, size_t nparams, fc_conn_t *conn);

#endif
