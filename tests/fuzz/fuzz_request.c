/* tests/fuzz/fuzz_request.c - libFuzzer target for a whole request through fc_serve(): the
 * input's lines up to an empty line are FastCGI parameters ("NAME=value"), the rest is the
 * body. Covers parameter and query decoding, routing, body reading and error rendering; every
 * response must start with a Status line.
 * SPDX-License-Identifier: MIT */
#include "core/buf.h"
#include "core/log.h"
#include "fcgi/serve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const char *in;
    size_t len, off;
    vg_buf_t out;
} fz_conn_t;

static long fz_read(void *ctx, char *buf, size_t n)
{
    fz_conn_t *c = ctx;

    if (n > c->len - c->off)
        n = c->len - c->off;
    memcpy(buf, c->in + c->off, n);
    c->off += n;
    return (long)n;
}

static int fz_write(void *ctx, const char *buf, size_t n)
{
    vg_buf_add(&((fz_conn_t *)ctx)->out, buf, n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static conf_t conf;
    static int ready;
    char *text = malloc(size + 1), *p, *params[64];
    size_t n = 0;
    fc_worker_t w = {0};
    fz_conn_t c = {0};
    fc_conn_t conn = {.ctx = &c, .read = fz_read, .write = fz_write};

    if (!ready) {
        conf_defaults(&conf);
        conf.fcgi_max_body_mb = 1;
        conf.fcgi_debug_routes = 1;
        vg_log_init("fuzz", LOG_EMERG); /* quiet */
        ready = 1;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (p = text; n < 63 && *p != '\0' && *p != '\n';) {
        char *nl = strchr(p, '\n');

        params[n++] = p;
        if (nl == NULL) {
            p += strlen(p);
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }
    params[n] = NULL;
    if (*p == '\n')
        p++;
    c.in = p;
    c.len = size - (size_t)(p - text);
    if (c.len > size)
        c.len = 0;
    vg_buf_init(&c.out, NULL);
    w.conf = &conf;
    w.store_error = "no store while fuzzing";
    vg_arena_init(&w.arena, 0);
    fc_serve(&w, params, n, &conn);
    if (c.out.len < 8 || memcmp(c.out.p, "Status: ", 8) != 0)
        abort();
    vg_arena_fini(&w.arena);
    vg_buf_fini(&c.out);
    free(text);
    return 0;
}
